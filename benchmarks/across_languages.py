"""A question in one language, pages in another: do a manual's English headings find the same section in its
translation's site, and how does that compare with the teacher itself?

    build-site ENGLISH_FOLDER -o EN_SITE                     # the English copy, to read its headings
    build-site TRANSLATED_FOLDER -o SITE [--teacher T]       # each translation, with the teacher to compare
    python benchmarks/across_languages.py EN_SITE SITE [SITE...] [--teacher T|none] [--json OUT] [--fusion-across A]

Translations keep the English copy's section ids and page names (debian-handbook, maint-guide: `start.en.html`
is `start.ja.html`), so each anchored section of the English site (h1-h3 with an id) is looked for in the
translated site by its page's name without the language part and its id (a section whose heading the translation
left in English is left out: its own words find it). A hit: the section's page among the first 3 results with
the section among its sub-results, as the page shows them, per mode (lexical, hybrid-lite, hybrid, and semantic:
the transformer alone). Beside it the float teacher (torch, float32) over the same passages: the English heading
as a query, every passage of the translated site as a document (the teacher's prompts), documents ranked by their best
passage, a hit where the section's page is among the first 3 and the section among that page's 3 best passages
(each passage as the build's teacher read it: title, heading, text).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from emit import emit
from languages import modes_of, ranker_for, section_hit

from hamming_site.builder.output.names import documents
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
    """Each passage as the build's teacher read it (Passage.model_text): the page's title, the section's heading
    where the window does not begin with it, the window's text."""
    texts = []
    for doc in docs:
        text, title, listed = doc.get("text", ""), doc.get("title", ""), doc.get("passages")
        if not listed:
            texts.append(" ".join(x for x in (title, text) if x).strip())
            continue
        for i, p in enumerate(listed):
            window, heading = text[p["start"] : p["end"]], p.get("heading") or ""
            first = i == 0 or (listed[i - 1].get("anchor"), listed[i - 1].get("heading")) != (p.get("anchor"), heading)
            head = [title] if title else []
            if heading and not (first and window.startswith(heading)) and heading != title:
                head.append(heading)
            texts.append(" ".join([*head, window]).strip())
    return texts


def measure(english: Path, site: Path, teacher, top: int = TOP, across: float | None = None) -> dict:
    en_docs, docs = documents(english), documents(site)
    by_key = {(page_key(docs[d]["url"]), anchor): (d, anchor, heading) for d, anchor, heading, _ in sections(docs)}
    cases, untranslated = [], 0
    for d, anchor, heading, _ in sections(en_docs):
        if heading and (key := (page_key(en_docs[d]["url"]), anchor)) in by_key:
            there = by_key[key]
            if there[2].strip().lower() == heading.strip().lower():  # left in English: found by its own words
                untranslated += 1
                continue
            cases.append((heading, there[:2]))
    ranker = ranker_for(site, across)
    rows = ranker.row_doc if ranker.row_doc is not None else np.arange(len(docs))
    # and the transformer alone (semantic), to tell the student's share of a miss from the fusion's
    hit, modes = section_hit(ranker, docs), modes_of(ranker) + (["semantic"] if ranker.encoder is not None else [])
    hits = dict.fromkeys(modes, 0)
    for heading, (d, anchor) in cases:
        signals = ranker.query(heading)
        for m in modes:
            hits[m] += hit(ranker.results(signals, 10, m)[:top], d, anchor)
    n = len(cases)
    manifest = json.loads((site / "manifest.json").read_text())
    report = json.loads((site / "report.json").read_text())
    out = {"site": str(site), "site teacher": manifest.get("options", {}).get("teacher"),
           "languages": report.get("languages"), "cases": n, "untranslated (left out)": untranslated,
           f"top{top}": {m: round(hits[m] / n, 4) for m in modes}}
    if teacher is not None:
        out[f"top{top}"]["teacher float"] = round(_teacher_hits(teacher, docs, rows, cases, top) / n, 4)
    return out


def _teacher_hits(teacher, docs: list[dict], rows, cases, top: int) -> int:
    """The float teacher over the site's passages: documents by their best passage, a hit where the section's page
    is among the first `top` and the section among that page's 3 best passages."""
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
    return teacher_hits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("english", type=Path)
    ap.add_argument("sites", type=Path, nargs="+")
    ap.add_argument("--teacher", default="multilingual-e5-small", help="the float teacher to compare; none: no column")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--fusion-across", type=float, help="try another fusion.across weight than the sites'")
    args = ap.parse_args()
    teacher = None if args.teacher == "none" else load_teacher(args.teacher)
    emit({"english": str(args.english), "teacher": args.teacher,
          "sites": [measure(args.english, s, teacher, across=args.fusion_across) for s in args.sites]}, args.json)


if __name__ == "__main__":
    main()
