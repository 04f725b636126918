"""The documentation site answers a new user's questions: each question of benchmarks/data/docs-questions.jsonl
(written before the site was built), the pages that answer it (`pages`) and the sections of those pages whose text
answers it (`sections`, "page/#anchor", chosen by reading the pages once they had sections). Two counts:

- by page: a hit when one of its pages is among the first 3 results;
- by section: a hit when one of the first 3 results has one of its sections among its sub-results (a result is a
  page; its sub-results are its best passages, each linking to its section's #anchor, as the page shows them).

    mkdocs build                                   # docs-site/, searched by hamming-site (its search in hamming/)
    python benchmarks/docs_questions.py docs-site [--json OUT]

In Python (SiteRanker: lexical, hybrid-lite, hybrid; a sub-result's section: its passage's anchor in the document's
`passages`, as benchmarks/languages.py reads it) and in Chromium (the docs site's search page, served locally:
hammingSearch.search(q, 3, {mode}); a sub-result's section: its `url`'s path from the site's root and #anchor);
then offline: the page reloaded with the network cut, the questions again (hybrid).

Output: `python`, `page`, `page_offline` count hits by page (mode -> hits), `python_sections`, `page_sections`,
`page_offline_sections` by section; `python_top3` (hybrid: each question's first 3 pages) and
`python_top3_sections` (hybrid: each result's sub-results' sections).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emit import emit
from languages import section_anchors

from hamming_site.builder.output.names import documents
from hamming_site.builder.search.rank import SiteRanker

QUESTIONS = Path(__file__).resolve().parent / "data" / "docs-questions.jsonl"
MODES = ("lexical", "hybrid-lite", "hybrid")
# each result: its URL, and its sub-results' sections as "path/#anchor" from the site's root (the page is hamming/)
ASK_JS = """async ([qs, mode]) => { const out = [], root = new URL("..", location.href).pathname;
  const section = u => { const x = new URL(u, location.href);
    return (x.pathname.startsWith(root) ? x.pathname.slice(root.length) : x.pathname) + x.hash; };
  for (const q of qs) out.push((await window.hammingSearch.search(q, 3, {mode})).map(r => ({url: r.url,
    sections: (r.passages || []).filter(p => p.url).map(p => section(p.url))})));
  return out; }"""


def key(section: str) -> str:
    """A section as both sides name it: "page/#anchor", the site's front page's "./#anchor" as "#anchor"."""
    return section.removeprefix("./")


def hits(urls: list[list[str]], cases: list[dict]) -> int:
    """By page: one of a question's pages among its results' URLs."""
    return sum(any(p in u for u in got for p in case["pages"]) for got, case in zip(urls, cases, strict=True))


def section_hits(sections: list[list[list[str]]], cases: list[dict]) -> int:
    """By section: one of a question's sections among its results' sub-results (per result, its sections)."""
    return sum(any(key(s) in {key(x) for x in result} for result in got for s in case["sections"])
               for got, case in zip(sections, cases, strict=True))


def count(answers: list[list[dict]], cases: list[dict]) -> tuple[int, int]:
    """The page's answers ([{url, sections}] per question): hits by page, by section."""
    return (hits([[r["url"] for r in got] for got in answers], cases),
            section_hits([[r["sections"] for r in got] for got in answers], cases))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("site", type=Path, help="the built docs site (its search in SITE/hamming/)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    cases = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    search = args.site / "hamming"
    ranker = SiteRanker(search)
    m = json.loads((search / "manifest.json").read_text())
    docs = documents(search)
    anchors_of = section_anchors(ranker, docs)
    urls = [d.get("url", "") for d in docs]
    out: dict = {"site": str(args.site), "questions": len(cases), "python": {}, "page": {},
                 "python_sections": {}, "page_sections": {}}
    for mode in MODES:
        results = [ranker.results(ranker.query(c["question"]), 3, mode) for c in cases]
        got = [[urls[r["index"]] for r in rs] for rs in results]
        sections = [[[f"{urls[r['index']]}#{a}" for a in anchors_of(r)] for r in rs] for rs in results]
        out["python"][mode] = hits(got, cases)
        out["python_sections"][mode] = section_hits(sections, cases)
        if mode == "hybrid":
            out["python_top3"] = {c["question"]: g for c, g in zip(cases, got, strict=True)}
            out["python_top3_sections"] = {c["question"]: s for c, s in zip(cases, sections, strict=True)}
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from browsing import CHROMIUM, FLAGS, open_page, serve
    from playwright.sync_api import sync_playwright

    questions = [c["question"] for c in cases]
    httpd, base = serve(args.site)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context()
        page, _, errors = open_page(context, f"{base}hamming/index.html")
        for mode in MODES:
            out["page"][mode], out["page_sections"][mode] = count(page.evaluate(ASK_JS, [questions, mode]), cases)
        page.fill("#q", cases[0]["question"])  # a ranking with meaning on screen: the page keeps the rest
        page.wait_for_selector("#results[data-ranking=hybrid] li", timeout=60_000)
        page.wait_for_selector("body[data-offline=ready]", state="attached", timeout=120_000)
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("body[data-state=ready], body[data-state=lite-only]", state="attached",
                               timeout=60_000)
        by_page, by_section = count(page.evaluate(ASK_JS, [questions, "hybrid"]), cases)
        out["page_offline"] = {"hybrid": by_page}
        out["page_offline_sections"] = {"hybrid": by_section}
        out["errors"] = errors
        browser.close()
    httpd.shutdown()
    out["documents"] = m["count"]
    emit(out, args.json)


if __name__ == "__main__":
    main()
