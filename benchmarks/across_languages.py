"""A question in one language, pages in another: do a manual's English headings find the same section in its
translation's site, and how does that compare with the teacher itself?

    build-site ENGLISH_FOLDER -o EN_SITE                     # the English copy, to read its headings
    build-site TRANSLATED_FOLDER -o SITE [--teacher T]       # each translation, with the teacher to compare
    python benchmarks/across_languages.py EN_SITE SITE [SITE...] --teacher T [--json OUT]

Translations keep the English copy's section ids and page names (debian-handbook, maint-guide: `start.en.html`
is `start.ja.html`), so each anchored section of the English site (h1-h3 with an id) is looked for in the
translated site by its page's name without the language part and its id. A hit: the section's page among the
first 3 results with the section among its sub-results, as the page shows them, per mode (lexical, hybrid-lite,
hybrid). Beside it the float teacher (torch, float32) over the same passages: the English heading as a query,
every passage of the translated site as a document (the teacher's prompts), documents ranked by their best
passage, a hit where the section's page is among the first 3 and the section among that page's 3 best passages.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from emit import emit

from hamming_site.builder.output.names import documents
from hamming_site.builder.search.rank import SiteRanker
from hamming_site.builder.teacher.load import load_teacher

TOP = 3
_LANG_PART = re.compile(r"\.[a-z]{2}(?:[-_][A-Za-z]{2})?(?=\.html?$)")  # start.ja.html, start.zh-cn.html


def page_key(url: str) -> str:
    """The page's name without the language part: start.ja.html and start.en.html are one page."""
    return _LANG_PART.sub("", url.split("#")[0].rsplit("/", 1)[-1])


def sections(docs: list[dict]):
    """(document index, anchor, heading, passage indexes) of each anchored section, in order."""
    out, row = [], 0
    for d, doc in enumerate(docs):
        seen: dict[str, int] = {}
        for p in doc.get("passages") or [{"heading": doc.get("title", ""), "anchor": ""}]:
            if p.get("anchor"):
                if p["anchor"] not in seen:
                    seen[p["anchor"]] = len(out)
                    out.append([d, p["anchor"], p.get("heading") or "", []])
                out[seen[p["anchor"]]][3].append(row)
            row += 1
    return out


def passage_texts(docs: list[dict]) -> list[str]:
    texts = []
    for doc in docs:
        text, listed = doc.get("text", ""), doc.get("passages")
        if not listed:
            texts.append(text)
            continue
        texts += [text[p["start"] : p["end"]] for p in listed]
    return texts


def measure(english: Path, site: Path, teacher, top: int = TOP) -> dict:
    en_docs, docs = documents(english), documents(site)
    by_key = {(page_key(docs[d]["url"]), anchor): (d, anchor) for d, anchor, _, _ in sections(docs)}
    cases = []
    for d, anchor, heading, _ in sections(en_docs):
        if heading and (key := (page_key(en_docs[d]["url"]), anchor)) in by_key:
            cases.append((heading, by_key[key]))
    ranker = SiteRanker(site)
    rows = ranker.row_doc if ranker.row_doc is not None else np.arange(len(docs))
    first_row: dict[int, int] = {}
    for r, d in enumerate(rows):
        first_row.setdefault(int(d), r)

    def anchors_of(result: dict) -> list[str]:
        listed = docs[result["index"]].get("passages")
        return [listed[p["row"] - first_row[result["index"]]]["anchor"] if listed else "" for p in result["passages"]]

    modes = ["lexical", "hybrid-lite"] + (["hybrid"] if ranker.encoder is not None else [])
    hits = dict.fromkeys(modes, 0)
    for heading, (d, anchor) in cases:
        signals = ranker.query(heading)
        for m in modes:
            results = ranker.results(signals, 10, m)[:top]
            hits[m] += any(r["index"] == d and anchor in anchors_of(r) for r in results)
    # the float teacher over the same passages
    texts = passage_texts(docs)
    row_anchor = [p.get("anchor", "") for doc in docs for p in (doc.get("passages") or [{}])]
    p_vec = teacher.encode_document(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    q_vec = teacher.encode_query([h for h, _ in cases], batch_size=64, normalize_embeddings=True,
                                 convert_to_numpy=True)
    teacher_hits = 0
    for (_, (d, anchor)), scores in zip(cases, q_vec @ p_vec.T, strict=True):
        order = np.argsort(-scores, kind="stable")
        best_docs: list[int] = []
        for r in order:
            if int(rows[r]) not in best_docs:
                best_docs.append(int(rows[r]))
            if len(best_docs) == top:
                break
        if d in best_docs:
            own = [r for r in order if int(rows[r]) == d][:3]
            teacher_hits += any(row_anchor[r] == anchor for r in own)
    n = len(cases)
    manifest = json.loads((site / "manifest.json").read_text())
    report = json.loads((site / "report.json").read_text())
    return {"site": str(site), "site teacher": manifest.get("options", {}).get("teacher"),
            "languages": report.get("languages"), "cases": n,
            f"top{top}": {**{m: round(hits[m] / n, 4) for m in modes}, "teacher float": round(teacher_hits / n, 4)}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("english", type=Path)
    ap.add_argument("sites", type=Path, nargs="+")
    ap.add_argument("--teacher", default="multilingual-e5-small")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    teacher = load_teacher(args.teacher)
    emit({"english": str(args.english), "teacher": args.teacher,
          "sites": [measure(args.english, s, teacher) for s in args.sites]}, args.json)


if __name__ == "__main__":
    main()
