"""Write the static site: manifest, model, codes, document shards, tokenizer, page; and place it
atomically, never touching a folder that build-site did not create."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
from importlib import resources
from pathlib import Path

import jinja2

from hamming_site.builder import MARKER, TMP_PREFIX, UserError
from hamming_site.builder.input.corpus import Document
from hamming_site.builder.input.passages import Passage
from hamming_site.builder.output.filters import shard_fields, write_filters
from hamming_site.builder.output.names import content_names, digest

TEMPLATE_PACKAGE = "hamming_site.web"  # the repository's hamming_site/web/, installed inside the package
PAGE = "index.html.j2"
# copied into the site as they are
ASSETS = ("boot.js", "search.js", "api.js", "tiers.js", "rank.js", "highlight.js", "widget.js", "worker.js",
          "hamming.js", "lexical.js", "expand.js", "fusion.js", "static.js", "checked.js", "clusters.js", "offline.js",
          "files.js", "documents.js", "phrase.js", "filters.js", "choices.js", "sw.js",
          "style.css", "widget.css")

# what onnxruntime-web loads by itself (its glue module and its WebAssembly): the worker names them to it
ORT_FILES = {"wasm": "ort-wasm-simd-threaded.wasm", "mjs": "ort-wasm-simd-threaded.mjs"}


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_entry(path: Path) -> dict:
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256(path)}


def check_out(out: Path, force: bool) -> None:
    """Refuse an existing OUT that build-site did not make (no marker file), unless --force."""
    if out.exists() and not force:
        if not out.is_dir():
            raise UserError(f"{out} exists and is not a folder; choose another -o or pass --force.")
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise UserError(
                f"{out} exists and was not made by build-site; choose another -o or pass --force to replace it."
            )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_temp_dir(out: Path) -> Path:
    """A fresh folder beside OUT (same filesystem, so the final rename is atomic); removes the temp folders
    that killed builds left behind."""
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    stem = f"{TMP_PREFIX}{out.name}-"
    for stale in parent.glob(f"{stem}*"):
        pid = stale.name[len(stem) :]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    tmp = parent / f"{stem}{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    return tmp


def place(tmp: Path, out: Path) -> None:
    """Move the finished site into place; the old site is removed only after the new one is there."""
    (tmp / MARKER).write_text('{"made_by": "hamming-site"}\n')
    old = None
    # Signals between the two renames would leave no site at OUT: hold them for these few lines.
    masked = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, masked)
    try:
        if out.exists() or out.is_symlink():
            old = out.parent / f"{TMP_PREFIX}{out.name}-old-{os.getpid()}"
            os.rename(out, old)
        os.rename(tmp, out)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()


def _utf16(text: str, at: int) -> int:
    """A Python string offset as a JavaScript (UTF-16) one: the page slices the text with it."""
    if text.isascii() or max(text) <= "\uffff":  # the common case: the same offsets
        return at
    return at + sum(1 for c in text[:at] if ord(c) > 0xFFFF)


def _shard_row(doc: Document, passages: list[Passage]) -> tuple[dict, list[str]]:
    """A document's row in its shard, and its text parts (JSON texts; none unless the document is long)."""
    row = {"id": doc.id, "title": doc.title, "text": doc.text, "url": doc.url, **shard_fields(doc)}
    if len(passages) > 1 or any(p.heading or p.anchor for p in passages):
        # the page shows a matching passage as a sub-result: its heading, link and text[start:end]
        row["passages"] = [{"heading": p.heading, "anchor": p.anchor, "start": _utf16(doc.text, p.start),
                            "end": _utf16(doc.text, p.end)} for p in passages]
    if len(passages) < 2 or len(doc.text.encode()) <= LONG_TEXT:
        return row, []
    parts = []
    for k, (start, end, members) in enumerate(_parts(passages)):
        parts.append(json.dumps({"start": _utf16(doc.text, start), "text": doc.text[start:end]}, ensure_ascii=False,
                                separators=(",", ":")))
        for i in members:
            row["passages"][i]["part"] = k
    del row["text"]
    # each part's hash: a part's name carries its shard's, so the shard must change whenever a part does
    row["parts"] = [digest(p.encode()) for p in parts]
    return row, parts


def _parts(passages: list[Passage]) -> list[tuple[int, int, list[int]]]:
    """[(start, end, the passages in it)]: consecutive passages share a part while its text stays within about
    PART_BYTES characters (a longer passage alone)."""
    parts: list[tuple[int, int, list[int]]] = []
    for i, p in enumerate(passages):
        if parts and p.end - parts[-1][0] <= PART_BYTES:
            parts[-1] = (parts[-1][0], max(parts[-1][1], p.end), [*parts[-1][2], i])
        else:
            parts.append((p.start, p.end, [i]))
    return parts


def site_root(config, out: Path) -> str:
    """What a document's URL is relative to, seen from the site: "" for a corpus file (its URLs are as given),
    the input folder relative to OUT for a site folder (e.g. "../" for the default FOLDER/hamming/)."""
    if not Path(config.corpus).is_dir() or config.base_url:
        return ""
    return Path(os.path.relpath(Path(config.corpus).resolve(), out.resolve())).as_posix() + "/"


SHARD_BYTES = 16384  # --docs-per-shard 0 (auto): consecutive documents share a shard up to about this many bytes
MAX_PER_SHARD = 4
# a split document whose text is longer (UTF-8 bytes) keeps it in parts of about PART_BYTES, beside its shard: a
# result shows only its best passages. A part is fetched once its shard is in, a round trip later, so parts pay
# only where the text they spare takes longer to send than a round trip: 150 ms on Lighthouse's mobile network
# (1.6 Mbit/s) is about 30 KB, on a 20 Mbit/s line 20 ms is 50 KB. From 4 KB, PostgreSQL's first lists fetched 36 KB
# less yet came later, on HTTP/1.1 twice as late (docs/benchmarks.md, "A long page's text by passage")
LONG_TEXT = 65536
PART_BYTES = 4096


def write_shards(tmp: Path, docs: list[Document], per_shard: int, passages: list[Passage]) -> dict:
    """docs/NNNN.json: consecutive documents with their passages, a shard fetched whole to show any of them; and the
    filter and sort index (hamming_site/builder/output/filters.py). per_shard N: N documents a shard. 0 (auto): up to
    MAX_PER_SHARD while the shard stays within SHARD_BYTES, a longer page alone (as a count per site, from the mean
    page, SciPy's four long tutorials shared one 64 KB (gzip) shard that a question about one of them fetched
    whole). A shard is a JSON array of rows {id, title, text, url, meta?, filters?, passages?: [{heading, anchor,
    start, end}]} (start and end: UTF-16 offsets into text). A long document (a split one whose text is over
    LONG_TEXT bytes) has no "text": its row has "parts", each part's 8-digit hash, each of its passages a "part",
    and part K of the document at place AT of shard NNNN is docs/NNNN-AT-K.json (docs/NNNN.<the shard's hash>-AT-K
    .json once named), {"start": its UTF-16 offset in the text, "text": the text of its passages}.
    Returns {"shards": how many, "per_shard": the most documents a shard holds, "parts": {shard number: each of
    its documents' part count} for the shards with parts, "sizes": each shard's documents as a string of digits
    (auto only), "filters": manifest.json's entry or None}."""
    folder = tmp / "docs"
    folder.mkdir()
    by_doc: list[list[Passage]] = [[] for _ in docs]
    for p in passages:
        by_doc[p.doc].append(p)
    made = [_shard_row(doc, by_doc[i]) for i, doc in enumerate(docs)]
    rows = [json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row, _ in made]
    groups = [rows[i : i + per_shard] for i in range(0, len(rows), per_shard)] if per_shard else _by_bytes(rows)
    parts, first = {}, 0
    for n, group in enumerate(groups):
        (folder / f"{n:04d}.json").write_text("[" + ",".join(group) + "]")
        counts = [len(made[first + at][1]) for at in range(len(group))]
        if any(counts):  # named NNNN-AT-K.json until the shard's hash renames them with it (names.py)
            parts[str(n)] = counts
            for at in range(len(group)):
                for k, text in enumerate(made[first + at][1]):
                    (folder / f"{n:04d}-{at}-{k}.json").write_text(text, encoding="utf-8")
        first += len(group)
    most = max((len(g) for g in groups), default=per_shard or 1)
    return {"shards": len(groups), "per_shard": per_shard or most, "parts": parts,
            "sizes": None if per_shard else "".join(str(len(g)) for g in groups), "filters": write_filters(tmp, docs)}


def _by_bytes(rows: list[str]) -> list[list[str]]:
    """Consecutive rows, up to MAX_PER_SHARD a group while the group stays within SHARD_BYTES (a longer row alone)."""
    groups: list[list[str]] = []
    size = 0
    for row in rows:
        n = len(row.encode())
        if not groups or len(groups[-1]) == MAX_PER_SHARD or size + n > SHARD_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(row)
        size += n
    return groups


MODEL_LICENCE = """model.onnx: a student distilled from {student} (sentence-transformers/all-MiniLM-L6-v2 is
Apache License 2.0, https://www.apache.org/licenses/LICENSE-2.0), trained on this site's documents with
targets from the teacher {teacher}. tokenizer.json is the student's tokenizer, under the same licence.
"""


STRINGS = "strings.json"  # the page's and the widget's words in each language they speak (read at build time)


def page_strings(language: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The page's and the widget's words in `language` (web/strings.json: en, de, fr, es, it, pt, ru, ja, zh, ko),
    English's where it has none, then the site's own (--strings, read_strings); manifest.json carries them, so
    every page of the site speaks alike."""
    table = tables()
    return {**table["en"], **table.get(language, {}), **(overrides or {})}


def tables() -> dict[str, dict[str, str]]:
    return json.loads(resources.files(TEMPLATE_PACKAGE).joinpath(STRINGS).read_text(encoding="utf-8"))


_FIELD = re.compile(r"\{(\w*)\}")


def read_strings(path: Path) -> dict[str, str]:
    """A site's own words for the page (--strings FILE): a JSON object of strings.json's keys, each a sentence with
    no {field} its English one lacks (the page fills {count}, {n}, ... and would show an unknown one as typed).
    A UserError (one sentence naming the file) where it is not that."""
    where = f"--strings {path}"
    try:
        given = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{where}: cannot read it ({e.strerror or type(e).__name__}).") from None
    except ValueError as e:
        raise UserError(f"{where}: not JSON ({e}).") from None
    english = tables()["en"]
    if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
        raise UserError(f"{where}: give a JSON object of sentences, such as {{\"placeholder\": \"Search the docs\"}}.")
    for key, text in given.items():
        if key not in english:
            raise UserError(f"{where}: {key!r} is not one of the page's words (those are {', '.join(english)}).")
        unknown = set(_FIELD.findall(text)) - set(_FIELD.findall(english[key]))
        if unknown:
            raise UserError(f"{where}: {key!r} has {{{sorted(unknown)[0]}}}, which the page does not fill (its "
                            f"fields there: {', '.join(sorted(set(_FIELD.findall(english[key])))) or 'none'}).")
    return given


def template_files() -> dict[str, bytes]:
    """The page's own files, read through importlib.resources so that a wheel, a zip and an editable checkout
    all work; called before any heavy work, so a broken installation fails in one sentence, not at the end."""
    try:
        root = resources.files(TEMPLATE_PACKAGE)
    except ModuleNotFoundError:
        root = None
    files = {}
    for name in (PAGE, *ASSETS):
        entry = root / name if root is not None else None
        if entry is None or not entry.is_file():
            raise UserError(
                f"this installation of hamming-site lacks its page file hamming_site/web/{name}; reinstall it "
                f"(pip install --force-reinstall hamming-site, or pip install -e . in a checkout)."
            )
        files[name] = entry.read_bytes()
    return files


def render_page(tmp: Path, manifest: dict, template: dict[str, bytes], runtime: list[Path], notices: str) -> dict:
    """The page, its scripts, the vendored runtime and the licence notices of everything shipped; every file the
    page fetches renamed by its content (hamming_site/builder/output/names.py). Returns the manifest that names them."""
    for path in runtime:
        shutil.copyfile(path, tmp / path.name)
    licence = (MODEL_LICENCE.format(student=manifest["student"]["name"], teacher=manifest["teacher"]["name"]) + "\n"
               if manifest["model"] else "")
    (tmp / "LICENSES.txt").write_text(f"{licence}{notices}")
    for name in ASSETS:
        (tmp / name).write_bytes(template[name])
    loaded_by_runtime = {kind: p.name for p in runtime for kind in ("wasm", "mjs") if p.name == ORT_FILES[kind]}
    modules = [n for n in ASSETS if n.endswith((".js", ".css"))] + [
        p.name for p in runtime if p.name.endswith(".mjs") and p.name not in loaded_by_runtime.values()]
    manifest, names = content_names(tmp, manifest, modules, loaded_by_runtime)
    # the other languages' stemmers, which the page imports by the names the manifest gives (English's it imports)
    stemmers = {n.removeprefix("stem-").removesuffix(".mjs"): names[n] for n in sorted(names) if n.startswith("stem-")}
    if stemmers:
        manifest = {**manifest, "lexical": {**manifest["lexical"], "stemmers": stemmers}}
    env = jinja2.Environment(
        loader=jinja2.DictLoader({PAGE: template[PAGE].decode("utf-8")}), autoescape=True, keep_trailing_newline=True
    )
    (tmp / "index.html").write_text(env.get_template(PAGE).render(manifest=manifest, names=names))
    return manifest


def dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
