"""Make hamming_site/builder/data/query_sample.txt.gz: the fixed, broad text sample the query model is distilled on.

The query model learns to put any text where the teacher puts it, so its sample must be broad (every field a
site may cover) and shaped like what a search box receives: names, short phrases, questions, sentences, and
some passage-length text. Three licensed sources, in fixed shares (SHARES):
- WordNet 3.0 (Princeton's licence permits redistribution with its notice, hamming_site/builder/data/WORDNET-LICENSE):
  117,659 synsets over every domain, each with its names, a definition and often example sentences;
- the Gene Ontology (CC BY 4.0, hamming_site/builder/data/GO-LICENSE), as Bioconductor's GO.db packs it: 43,559 terms of
  molecular and cell biology with names, synonyms and definitions: the vocabulary of papers in the life sciences;
- the Python 3.11 documentation (PSF licence, hamming_site/builder/data/PYTHON-DOCS-LICENSE), read by the build's own
  HTML reader: the headings, sentences and sections of a real documentation site.
General English alone left the query model 0.02-0.03 nDCG@10 short of the teacher on technical corpora.

Run (Debian; nothing else is installed: the .deb files are only unpacked):
    apt-get install wordnet-base && apt-get download r-bioc-go.db python3.11-doc
    dpkg -x r-bioc-go.db_*.deb /tmp/qs && dpkg -x python3.11-doc_*.deb /tmp/qs
    python tools/make_query_sample.py --root /tmp/qs      (deterministic: same file each time)
"""

from __future__ import annotations

import argparse
import gzip
import random
import re
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDNET = Path("/usr/share/wordnet")
GO_DB = "usr/lib/R/site-library/GO.db/extdata/GO.sqlite"  # under --root
PYTHON_DOCS = "usr/share/doc/python3.11/html"  # under --root
DOC_PARTS = ("tutorial", "library", "reference", "howto", "faq", "using")  # not the generated indexes
OUT = Path(__file__).resolve().parents[1] / "hamming_site" / "builder" / "data" / "query_sample.txt.gz"
SIZE = 48_000  # texts; the one-off distillation is about proportional to it
SHARES = {"wordnet": 0.67, "go": 0.165, "python-docs": 0.165}  # of SIZE
_QUOTED = re.compile(r'"([^"]{12,})"')
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_CODE = re.compile(r"^(>>>|\.\.\.|\$ |[#{}\[\]])|[{}=;]\s*$|\(\)$")


def synsets():
    """(pos, offset, names, definition, examples, hypernym offsets) per synset."""
    for pos in ("noun", "verb", "adj", "adv"):
        for line in (WORDNET / f"data.{pos}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):
                continue  # the licence header
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            n_words = int(fields[3], 16)
            names = [fields[4 + 2 * i].replace("_", " ") for i in range(n_words)]
            names = [re.sub(r"\(\w+\)$", "", n) for n in names]  # adjective markers: (a), (p), (ip)
            rest = fields[4 + 2 * n_words :]
            n_ptr = int(rest[0])
            hypernyms = [rest[1 + 4 * i + 1] for i in range(n_ptr) if rest[1 + 4 * i] in ("@", "@i")]
            definition = gloss.split(";")[0].strip().strip('"').strip()
            examples = _QUOTED.findall(gloss)
            yield pos, fields[0], names, definition, examples, hypernyms


def wordnet_texts(rng: random.Random) -> list[str]:
    entries = list(synsets())
    by_offset = {(e[0], e[1]): e for e in entries}
    out: list[str] = []
    for pos, _offset, names, definition, examples, hypernyms in entries:
        name = names[0]
        parent = by_offset.get((pos, hypernyms[0])) if hypernyms else None
        out.append(name)  # an exact name, as typed in a search box
        out.append(definition)
        out.extend(examples)
        if len(names) > 1:
            out.append(", ".join(names[:3]))
        if pos == "noun":
            out.append(rng.choice([f"what is {name}", f"what is a {name}", f"{name} definition", f"{name} meaning"]))
        elif pos == "verb":
            out.append(rng.choice([f"how to {name}", f"how do I {name}", f"why {name}"]))
        # passage-like: names, definition, examples and the parent's definition, as a page section reads
        body = f"{name}: {definition}." + "".join(f" {e}." for e in examples)
        if parent:
            body += f" A kind of {parent[2][0]}: {parent[3]}."
        out.append(body)
    return out


def go_texts(root: Path, rng: random.Random) -> list[str]:
    """Names (and a synonym) as typed, definitions, questions and passage-like entries of GO terms."""
    db = sqlite3.connect(root / GO_DB)
    names = dict(db.execute("SELECT _id, term FROM go_term"))
    parents: dict[int, int] = {}
    for table in ("go_bp_parents", "go_mf_parents", "go_cc_parents"):
        for child, parent, kind in db.execute(f"SELECT _id, _parent_id, relationship_type FROM {table}"):
            if kind == "isa":
                parents.setdefault(child, parent)
    synonyms: dict[int, list[str]] = {}
    for term, synonym in db.execute("SELECT _id, synonym FROM go_synonym WHERE like_go_id = 0"):
        synonyms.setdefault(term, []).append(synonym)
    out: list[str] = []
    for term, name, definition in db.execute("SELECT _id, term, definition FROM go_term ORDER BY _id"):
        out.append(name)
        if synonyms.get(term):
            out.append(rng.choice(synonyms[term]))
        if not definition:
            continue
        out.append(definition)
        out.append(rng.choice([f"what is {name}", f"{name} function", f"role of {name}"]))
        body = f"{name}: {definition}"
        if term in parents and parents[term] in names:
            body += f" A kind of {names[parents[term]]}."
        out.append(body)
    return out


def docs_texts(root: Path) -> list[str]:
    """Headings, "how to" questions, prose sentences and section openings of the Python documentation, read as
    a build reads an HTML site (hamming_site.builder.input)."""
    from hamming_site.builder.input.folder import read_folder

    out: list[str] = []
    for part in DOC_PARTS:
        docs, _ = read_folder(root / PYTHON_DOCS / part)
        for doc in docs:
            for section in doc.sections:
                heading = section.heading.strip()
                lines = [line.strip() for line in doc.text[section.start : section.end].splitlines()[1:]]
                prose = [line for line in lines if len(line.split()) >= 5 and not _CODE.search(line)]
                if heading:
                    out.append(heading)
                if heading[:1].isupper():
                    out.append(f"how to {heading[0].lower()}{heading[1:]}")
                for line in prose:
                    out += [s for s in _SENTENCE.split(line) if 5 <= len(s.split()) <= 60]
                if prose:
                    words = " ".join(prose).split()[:80]
                    out.append(f"{heading}: {' '.join(words)}")
    return out


def mix(sources: dict[str, list[str]], rng: random.Random) -> list[str]:
    """SIZE texts: each source's share, drawn without repeats, shuffled together."""
    out: list[str] = []
    seen: set[str] = set()
    for name, share in SHARES.items():
        texts = [t for t in dict.fromkeys(t.strip() for t in sources[name]) if len(t) >= 3 and t not in seen]
        rng.shuffle(texts)
        take = texts[: round(SIZE * share)]
        seen.update(take)
        out += take
    rng.shuffle(out)
    return out[:SIZE]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, required=True, help="where the two .deb files were unpacked")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    rng = random.Random(15)
    sources = {"wordnet": wordnet_texts(rng), "go": go_texts(args.root, rng), "python-docs": docs_texts(args.root)}
    sample = mix(sources, rng)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(("\n".join(sample) + "\n").encode("utf-8"))
    counts = ", ".join(f"{k} {len(v)}" for k, v in sources.items())
    print(f"{args.out}: {len(sample)} texts, {args.out.stat().st_size} bytes (available: {counts})")


if __name__ == "__main__":
    main()
