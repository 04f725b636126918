"""Make builder/data/query_sample.txt.gz: the fixed, broad text sample the query model is distilled on.

The query model learns to put any text where the teacher puts it, so its sample must be broad (every field a
site may cover) and shaped like what a search box receives: names, short phrases, questions, sentences, and
some passage-length text. WordNet 3.0 gives that in one licensed source (Princeton's WordNet 3.0 licence
permits redistribution with its notice, kept in builder/data/WORDNET-LICENSE): 117,659 synsets over every
domain, each with its names, a definition and often example sentences.

Run: apt-get install wordnet-base && python tools/make_query_sample.py   (deterministic: same file each time)
"""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
OUT = Path(__file__).resolve().parents[1] / "builder" / "data" / "query_sample.txt.gz"
SIZE = 48_000  # texts; the one-off distillation is about proportional to it
_QUOTED = re.compile(r'"([^"]{12,})"')


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


def texts(rng: random.Random) -> list[str]:
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
    out = [t for t in dict.fromkeys(t.strip() for t in out) if len(t) >= 3]
    rng.shuffle(out)
    return out[:SIZE]


def main() -> None:
    sample = texts(random.Random(15))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(("\n".join(sample) + "\n").encode("utf-8"))
    print(f"{OUT}: {len(sample)} texts, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
