"""Known items: every document's title as the query, in site-eval's Python and in the page (Chromium).

    python benchmarks/known_items.py SITE_DIR [--json OUT]

Counts the titles whose own document ranks first (hybrid, the page's default, and lexical), and lists the
misses: a title shared by several documents can rank only one of them first (ties go to the lower index).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browsing import CHROMIUM, FLAGS, serve  # noqa: E402
from emit import emit

from hamming_site.builder.search.rank import SiteRanker  # noqa: E402

BATCH_JS = """([titles, mode]) => Promise.all(titles.map(t => window.hammingSearch.search(t, 1, {mode})
  .then(r => r.length ? r[0].index : -1)))"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("site", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    docs = [d for shard in sorted((args.site / "docs").glob("*.json")) for d in json.loads(shard.read_text())]
    items = [(i, d["title"]) for i, d in enumerate(docs) if d["title"].strip()]
    shared = {t for t in {t for _, t in items} if sum(1 for _, u in items if u == t) > 1}
    ranker = SiteRanker(args.site)
    result = {"site": str(args.site), "titles": len(items), "titles_shared_by_several_documents": len(shared)}
    firsts = {"python": {}, "page": {}}
    for mode in ("hybrid", "lexical"):
        firsts["python"][mode] = [(getattr(ranker, mode)(ranker.query(t), 1) or [(-1,)])[0][0] for _, t in items]
    httpd, url = serve(args.site)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page()
            page.goto(url)
            page.evaluate("() => window.hammingSearch.ready()")  # no query typed: ask for the transformer
            page.wait_for_selector("body[data-state=ready]", state="attached", timeout=120_000)
            for mode in ("hybrid", "lexical"):
                got = []
                for at in range(0, len(items), 100):
                    got += page.evaluate(BATCH_JS, [[t for _, t in items[at:at + 100]], mode])
                firsts["page"][mode] = got
            browser.close()
    finally:
        httpd.shutdown()
    for where, modes in firsts.items():
        for mode, found in modes.items():
            misses = [{"title": t, "expected": i, "first": f, "first_title": docs[f]["title"] if f >= 0 else None}
                      for (i, t), f in zip(items, found, strict=True) if f != i]
            result[f"{where}_{mode}"] = {"rank1": round(1 - len(misses) / len(items), 4), "misses": misses}
    result["page_equals_python"] = firsts["page"] == firsts["python"]
    emit(result, args.json, ensure_ascii=False)


if __name__ == "__main__":
    main()
