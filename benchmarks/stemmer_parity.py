"""The page's stemmers against the build's, word for word, on real vocabularies.

    apt-get install -y wngerman wfrench wspanish witalian wportuguese wdutch wswedish wdanish wnorwegian
    python benchmarks/stemmer_parity.py [--words de=FILE ...] [--json OUT]

For each language: the distinct lower-cased words ([^\\W_]+, as the index splits them) of its word lists (by
default Debian's /usr/share/dict/ lists above; `--words ru=FILE` adds any other, e.g. hunspell-ru expanded with
unmunch), stemmed by PyStemmer (the build) and by the file the page imports (stem-<code>.mjs, @orama/stemmers, run
in node); the count that differ and a few examples. English: porter2.mjs against PyStemmer's english.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

import Stemmer
from emit import emit

from hamming_site.builder.lexical.languages import STEMMERS
from hamming_site.builder.output.vendor import runtime_files

DICT = Path("/usr/share/dict")
DEFAULT = {"de": ["ngerman"], "fr": ["french"], "es": ["spanish"], "it": ["italian"], "pt": ["portuguese"],
           "nl": ["dutch"], "sv": ["swedish"], "da": ["danish"], "no": ["bokmaal", "nynorsk"],
           "en": ["american-english", "british-english"]}
WORD = re.compile(r"[^\W_]+")
# stems stdin's lines with a module's export (porter2: stem, the others: stemmer), one stem a line
NODE = """const m = await import(process.argv[1]); const f = m.stemmer ?? m.stem;
const words = require("fs").readFileSync(0, "utf8").split("\\n"); words.pop();
process.stdout.write(words.map((w) => f(w)).join("\\n") + "\\n");"""


def vocabulary(files: list[Path]) -> list[str]:
    words: set[str] = set()
    for f in files:
        if f.exists():
            words.update(WORD.findall(f.read_bytes().decode("utf-8", "replace").lower()))
    # words outside the Basic Multilingual Plane stay unstemmed on both sides (tokenize.py)
    return sorted(w for w in words if not w.isdigit() and all(ord(c) <= 0xFFFF for c in w))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--words", action="append", default=[], help="CODE=FILE: more words for a language")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    files = {code: [DICT / n for n in names] for code, names in DEFAULT.items()}
    for item in args.words:
        code, _, path = item.partition("=")
        files.setdefault(code, []).append(Path(path))
    paths, _ = runtime_files(transformer=False, languages=tuple(STEMMERS))
    page = {p.name.removeprefix("stem-").removesuffix(".mjs"): p for p in paths if p.name.startswith("stem-")}
    page["en"] = next(p for p in paths if p.name == "porter2.mjs")
    out = {}
    for code, lists in sorted(files.items()):
        words = vocabulary(lists)
        if not words:
            continue
        build = Stemmer.Stemmer(STEMMERS[code]).stemWords(words)
        done = subprocess.run(["node", "--input-type=module", "-e", NODE.replace("require(\"fs\")",
                               "(await import(\"node:fs\")).default"), page[code].as_uri()],
                              input="\n".join(words) + "\n", capture_output=True, text=True, check=True)
        shown = done.stdout.split("\n")[:-1]
        differ = [(w, a, b) for w, a, b in zip(words, build, shown, strict=True) if a != b]
        out[code] = {"words": len(words), "differ": len(differ), "examples": differ[:10],
                     "lists": [str(f) for f in lists if f.exists()]}
    emit(out, args.json)


if __name__ == "__main__":
    main()
