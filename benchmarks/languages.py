"""A real manual in another language, built: does typing a section's heading, or a short piece of its own text,
find the section (its page#anchor) in the top 3?

    build-site FOLDER -o SITE                  # defaults; the same FOLDER built before and after a change
    python benchmarks/languages.py SITE [SITE...] [--json OUT] [--fusion-across A]

For each passage that begins an anchored section (h1-h3 with an id): its heading as typed, and a piece of the
section's text: 10 consecutive Chinese, Japanese or Korean characters where the text is mostly in those, else 6
words from its middle (drawn with a fixed seed); and in a stemmed language that piece again with its words in other
forms: each word replaced by the site's commonest other word of the same Snowball stem, where it has one (a visitor
types "Pakete" where the text says "Paketen"; only pieces with a word replaced count). A hit: the section's own page
among the first 3 results with the section among its sub-results, as the page shows them. Per mode: lexical (the
first list), hybrid-lite and hybrid. Also the site's languages (report.json) and the keyword index's size.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path

import Stemmer
from emit import emit

from hamming_site.builder.lexical.languages import CJK, CJK_PUNCTUATION, STEMMERS, detect
from hamming_site.builder.lexical.tokenize import words
from hamming_site.builder.output.names import documents
from hamming_site.builder.search.rank import SiteRanker

TOP = 3
_CJK = re.compile(f"[{CJK}]")
_CJK_RUN = re.compile(f"[{CJK}][{CJK}{CJK_PUNCTUATION}]*")  # a run of CJK text and its punctuation


def piece(text: str, rng: random.Random) -> str | None:
    """10 consecutive Chinese or Japanese characters (their punctuation included) or 6 words from the middle of a
    section's text (None where it is too short). Until 2026-12-07 a CJK piece was any 10 characters of a page more
    than a quarter CJK, spaces removed: in manuals full of commands it often glued or cut Latin words ("anUser'sMa",
    "Architectu"), which no visitor types whole (a word's beginning is issue 37's)."""
    if len(_CJK.findall(text)) > len(text) / 4:
        runs = [m for m in _CJK_RUN.finditer(text) if len(m[0]) >= 10]
        if not runs:
            return None
        run = runs[rng.randrange(len(runs))][0]
        at = rng.randrange(len(run) - 9)
        return run[at : at + 10]
    words = text.split()
    if len(words) < 12:
        return None
    at = rng.randrange(len(words) // 4, len(words) - 6)
    return " ".join(words[at : at + 6])


def other_forms(docs: list[dict]):
    """word -> the site's commonest other word of its stem (in the site's language, detected from all its text)."""
    text = "\n".join(d.get("text", "") for d in docs)
    code = detect(text)
    if code not in STEMMERS:
        return None
    stem = Stemmer.Stemmer(STEMMERS[code]).stemWord
    counts = Counter(words(text))
    forms: dict[str, list[str]] = {}
    for w, _ in counts.most_common():
        forms.setdefault(stem(w), []).append(w)
    return lambda w: next((o for o in forms.get(stem(w.lower()), []) if o != w.lower()), None)


def inflected(piece_: str, other) -> str | None:
    """The piece with each word in another form the site has (None where no word has one)."""
    out = [other(w) or w for w in piece_.split()]
    return " ".join(out) if out != piece_.split() else None


def modes_of(ranker: SiteRanker) -> list[str]:
    """The page's modes a site has: the first list, the static encoder's, the transformer's where it has one."""
    return ["lexical", "hybrid-lite"] + (["hybrid"] if ranker.encoder is not None else [])


def section_anchors(ranker: SiteRanker, docs: list[dict]):
    """anchors_of(result): the anchors of a result's sub-results (its best passages, as the page shows them), ""
    where its document lists no passages."""
    rows = ranker.row_doc if ranker.row_doc is not None else range(len(docs))
    first_row: dict[int, int] = {}
    for r, d in enumerate(rows):
        first_row.setdefault(int(d), r)

    def anchors_of(result: dict) -> list[str]:
        listed = docs[result["index"]].get("passages")
        return [listed[p["row"] - first_row[result["index"]]]["anchor"] if listed else "" for p in result["passages"]]

    return anchors_of


def section_hit(ranker: SiteRanker, docs: list[dict]):
    """hit(results, d, anchor): document d among the results with its section `anchor` among its sub-results, as
    the page shows them."""
    anchors_of = section_anchors(ranker, docs)
    return lambda results, d, anchor: any(r["index"] == d and anchor in anchors_of(r) for r in results)


def ranker_for(site: Path, across: float | None = None) -> SiteRanker:
    """The site's ranker; across: its manifest's fusion.across weight replaced (the page reads it per query, so a
    value is tried without a rebuild)."""
    ranker = SiteRanker(site)
    if across is not None and ranker.manifest["fusion"].get("across"):
        ranker.manifest["fusion"]["across"]["alpha"] = across
    return ranker


def measure(site: Path, across: float | None = None) -> dict:
    docs = documents(site)
    other = other_forms(docs)
    ranker = ranker_for(site, across)
    hit = section_hit(ranker, docs)
    rng = random.Random(0)
    cases = []  # (kind, query, doc, anchor)
    for d, doc in enumerate(docs):
        passages, seen = doc.get("passages", []), set()
        for i, p in enumerate(passages):
            if not (p["heading"] and p["anchor"]) or p["anchor"] in seen:
                continue
            seen.add(p["anchor"])
            cases.append(("heading", p["heading"], d, p["anchor"]))
            end = next((q["start"] for q in passages[i + 1 :] if q["anchor"] != p["anchor"]), len(doc.get("text", "")))
            text = doc.get("text", "")[p["start"] : end]
            if (q := piece(text, rng)) is not None:
                cases.append(("text", q, d, p["anchor"]))
                if other is not None and (v := inflected(q, other)) is not None:
                    cases.append(("inflected", v, d, p["anchor"]))

    modes = modes_of(ranker)
    kinds = ("heading", "text", "inflected")
    hits = {(kind, m): 0 for kind in kinds for m in modes}
    count = {kind: sum(c[0] == kind for c in cases) for kind in kinds}
    for kind, query, d, anchor in cases:
        signals = ranker.query(query)
        for m in modes:
            results = ranker.results(signals, 10, m)[:TOP]
            hits[kind, m] += hit(results, d, anchor)
    manifest = json.loads((site / "manifest.json").read_text())
    report = json.loads((site / "report.json").read_text())
    return {"site": str(site), "documents": manifest["count"], "passages": manifest["passages"]["count"],
            "languages": report.get("languages"), "lexical_bytes": manifest["lexical"]["bytes"],
            "cases": count,
            f"top{TOP}": {f"{kind} {m}": round(hits[kind, m] / count[kind], 4) for kind, m in hits if count[kind]}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("sites", type=Path, nargs="+")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--fusion-across", type=float, help="try another fusion.across weight than the site's")
    args = ap.parse_args()
    emit({"sites": [measure(s, args.fusion_across) for s in args.sites]}, args.json)


if __name__ == "__main__":
    main()
