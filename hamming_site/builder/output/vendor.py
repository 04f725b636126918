"""The page's runtime files (onnxruntime-web, the tokenizer), fetched once from the npm registry at a pinned
version, checked against the registry's sha512 integrity, and cached; never from a CDN at page load.

Why fetched rather than vendored in the package: the WASM runtime is 14 MB, and pinning version + integrity
gives the same bytes as a vendored copy without putting them in git. Offline machines copy the cache folder
(or set HAMMING_SITE_VENDOR to a folder that holds the files).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hamming_site.builder import UserError
from hamming_site.builder.lexical.languages import PAGE_STEMMERS

REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity (SRI sha512) of the tarball
    files: dict[str, str]  # path inside the tarball -> file name in the site
    licence: str  # the notice the site carries
    # file name in the site -> (prefix, suffix) that turn a CommonJS file into an ES module (no build step)
    wrap: tuple[tuple[str, str, str], ...] = ()


ORT_LICENCE = """onnxruntime-web {version}: MIT License
Copyright (c) Microsoft Corporation. All rights reserved.

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and
to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of
the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
"""

PACKAGES = (
    Package(
        "onnxruntime-web", "1.30.0",
        "sha512-q0y+JrrtukXSzsBWEMccVfqX25LRmosXHF+CaRJmg8pZClzcV7svNc4rKY3jL02Vb7QmRMDs1SigqR4CXAfKYQ==",
        {
            "package/dist/ort.wasm.min.mjs": "ort.wasm.min.mjs",
            "package/dist/ort-wasm-simd-threaded.mjs": "ort-wasm-simd-threaded.mjs",
            "package/dist/ort-wasm-simd-threaded.wasm": "ort-wasm-simd-threaded.wasm",
        },
        ORT_LICENCE,
    ),
    Package(
        "@huggingface/tokenizers", "0.2.0",
        "sha512-LidMHe1FpcSYH4vcSjXooda34pC0M8m1gmDOv7SQi6Iv+ib1zX7J3sHBCC9/3FPCkn2k1b55FneVqMRxrr99pg==",
        {"package/dist/tokenizers.min.mjs": "tokenizers.min.mjs"},
        "@huggingface/tokenizers {version}: Apache License 2.0 (full text: LICENSE-tokenizers.txt)\n",
    ),
    # Snowball's English (Porter2) stemmer for the keyword search; it matches PyStemmer 2.2 word for word
    # (hamming_site/builder/lexical/tokenize.py). CommonJS (`exports.stem = ...`), so it is wrapped into an ES module.
    Package(
        "porter2", "1.1.0",
        "sha512-Io2cLEdZn0O1dH60pRsjmr/cH/qJJ/j6Cjubz8wQWi0b6vPdQIUxSBQKyx9d+8CN7fSnY+5uOU3rErMFjNqcLw==",
        {"package/dist/index.js": "porter2.mjs"},
        "porter2 {version}: MIT License, Copyright (c) 2024 eilvelia (full text: LICENSE-porter2.txt)\n",
        wrap=(("porter2.mjs", "const exports = {};\n", "\nexport const stem = exports.stem;\n"),),
    ),
    # Snowball 2.2's stemmers of the other languages, as Snowball's own generated JavaScript (ES modules, no
    # imports, no eval): word for word PyStemmer 2.2.0.3's on 5.05 M distinct words (lexical/languages.py). A site
    # ships only its languages' (stem-<code>.mjs, named by our codes: Orama's se is sv, dk is da).
    Package(
        "@orama/stemmers", "3.1.18",
        "sha512-xXs5fpiUvBs4jJZtnayJmUSomdxxiwwwvTbAzPHSyI6geLM7bxXHgpVlYz4JeMBycHX8bHF7j9m7F35BxhuZ8g==",
        {f"package/dist/{page}.js": f"stem-{code}.mjs" for code, page in PAGE_STEMMERS.items()},
        "@orama/stemmers {version}: Apache License 2.0, Copyright 2023 OramaSearch Inc. (full text: "
        "LICENSE-orama-stemmers.txt); generated from Snowball's stemmers: BSD 3-Clause License, Copyright (c) 2001, "
        "Dr Martin Porter, Copyright (c) 2002, Richard Boulton. All rights reserved.\n",
    ),
)
# Apache-2.0 asks for the licence text itself to travel with the code.
_EXTRA = {"@huggingface/tokenizers": {"package/LICENSE": "LICENSE-tokenizers.txt"},
          "porter2": {"package/LICENSE": "LICENSE-porter2.txt"},
          "@orama/stemmers": {"package/LICENSE.md": "LICENSE-orama-stemmers.txt"}}
STEMMERS_PACKAGE = "@orama/stemmers"


def _tarball_url(pkg: Package) -> str:
    base = pkg.name.split("/")[-1]
    return f"{REGISTRY}/{pkg.name}/-/{base}-{pkg.version}.tgz"


def _check_integrity(data: bytes, integrity: str) -> bool:
    algo, _, digest = integrity.partition("-")
    return base64.b64encode(hashlib.new(algo, data).digest()).decode() == digest


def _fetch(pkg: Package, folder: Path) -> None:
    url = _tarball_url(pkg)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as e:
        raise UserError(
            f"cannot download {pkg.name} {pkg.version} from the npm registry ({e}); run build-site once where "
            f"registry.npmjs.org is reachable, or set HAMMING_SITE_VENDOR to a folder holding "
            f"{', '.join(pkg.files.values())}."
        ) from None
    if not _check_integrity(data, pkg.integrity):
        raise UserError(f"{url} does not match its pinned sha512 integrity; refusing to use it.")
    wanted = {**pkg.files, **_EXTRA.get(pkg.name, {})}
    wraps = {name: (prefix, suffix) for name, prefix, suffix in pkg.wrap}
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member, name in wanted.items():
            source = tar.extractfile(member)
            if source is None:
                raise UserError(f"{url} has no {member}.")
            prefix, suffix = wraps.get(name, ("", ""))
            (tmp / name).write_bytes(prefix.encode() + source.read() + suffix.encode())
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def runtime_files(cache_dir: Path | None = None, transformer: bool = True, languages: tuple[str, ...] = ("en",)
                  ) -> tuple[list[Path], str]:
    """Paths of every runtime file for the site, and the licence notices to ship beside them; without the
    transformer (--meaning lite) only the keyword side's stemmers: English's always (porter2), the other
    languages' where the site has them."""
    cache_dir = cache_dir or Path.home() / ".cache" / "hamming-site"
    override = os.environ.get("HAMMING_SITE_VENDOR")
    wanted = {f"stem-{code}.mjs" for code in languages if code in PAGE_STEMMERS}
    paths, notices = [], []
    for pkg in PACKAGES:
        if (pkg.name == STEMMERS_PACKAGE and not wanted) or (not transformer and pkg.name not in ("porter2",
                                                                                                  STEMMERS_PACKAGE)):
            continue
        folder = Path(override) if override else cache_dir / "vendor" / f"{pkg.name.replace('/', '+')}@{pkg.version}"
        # the stemmers' package is fetched whole and cached; the site takes its languages' files
        shipped = [n for n in pkg.files.values() if pkg.name != STEMMERS_PACKAGE or n in wanted]
        names = [*pkg.files.values(), *_EXTRA.get(pkg.name, {}).values()]
        if not all((folder / n).exists() for n in names):
            if override:
                raise UserError(f"HAMMING_SITE_VENDOR={override} lacks {', '.join(names)}.")
            _fetch(pkg, folder)
        paths += [folder / n for n in [*shipped, *_EXTRA.get(pkg.name, {}).values()]]
        notices.append(pkg.licence.format(version=pkg.version))
    return paths, "\n".join(notices)
