"""The documentation site answers a new user's questions: each question of benchmarks/data/docs-questions.jsonl
(written before the site was built) and the pages that answer it; a hit: one of them among the first 3 results.

    mkdocs build                                   # docs-site/, searched by hamming-site (its search in hamming/)
    python benchmarks/docs_questions.py docs-site [--json OUT]

In Python (SiteRanker: lexical, hybrid-lite, hybrid) and in Chromium (the docs site's search page, served locally:
hammingSearch.search(q, 3, {mode})); then offline: the page reloaded with the network cut, the questions again.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from emit import emit

from hamming_site.builder.search.rank import SiteRanker

QUESTIONS = Path(__file__).resolve().parent / "data" / "docs-questions.jsonl"
MODES = ("lexical", "hybrid-lite", "hybrid")
ASK_JS = """async ([qs, mode]) => { const out = [];
  for (const q of qs) out.push((await window.hammingSearch.search(q, 3, {mode})).map(r => r.url));
  return out; }"""


def hits(urls: list[list[str]], cases: list[dict]) -> int:
    return sum(any(p in u for u in got for p in case["pages"]) for got, case in zip(urls, cases, strict=True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("site", type=Path, help="the built docs site (its search in SITE/hamming/)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    cases = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    search = args.site / "hamming"
    ranker = SiteRanker(search)
    m = json.loads((search / "manifest.json").read_text())
    from hamming_site.builder.output.names import documents

    urls = [d.get("url", "") for d in documents(search)]
    out: dict = {"site": str(args.site), "questions": len(cases), "python": {}, "page": {}}
    for mode in MODES:
        got = [[urls[r["index"]] for r in ranker.results(ranker.query(c["question"]), 3, mode)] for c in cases]
        out["python"][mode] = hits(got, cases)
        if mode == "hybrid":
            out["python_top3"] = {c["question"]: g for c, g in zip(cases, got, strict=True)}
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from browsing import CHROMIUM, FLAGS, open_page, serve
    from playwright.sync_api import sync_playwright

    httpd, base = serve(args.site)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context()
        page, _, errors = open_page(context, f"{base}hamming/index.html")
        for mode in MODES:
            out["page"][mode] = hits(page.evaluate(ASK_JS, [[c["question"] for c in cases], mode]), cases)
        page.fill("#q", cases[0]["question"])  # a ranking with meaning on screen: the page keeps the rest
        page.wait_for_selector("#results[data-ranking=hybrid] li", timeout=60_000)
        page.wait_for_selector("body[data-offline=ready]", state="attached", timeout=120_000)
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("body[data-state=ready], body[data-state=lite-only]", state="attached",
                               timeout=60_000)
        out["page_offline"] = {"hybrid": hits(page.evaluate(ASK_JS, [[c["question"] for c in cases], "hybrid"]),
                                              cases)}
        out["errors"] = errors
        browser.close()
    httpd.shutdown()
    out["documents"] = m["count"]
    emit(out, args.json)


if __name__ == "__main__":
    main()
