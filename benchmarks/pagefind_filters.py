"""Filters and sorting beside Pagefind's, on the same pages (issue #28).

    npm install --prefix /tmp/pf pagefind           # Pagefind's CLI and page script, from npm
    python benchmarks/pagefind_filters.py [--pagefind /tmp/pf/node_modules/.bin/pagefind] [--json OUT]

The HTML pages of tests/data/filters (every attribute form) plus 30 more, some tagged, each with a weight, are
written twice: as they are for build-site, and with data-hamming-* renamed data-pagefind-* for Pagefind (which
indexes HTML only, so the fixture's Markdown pages are left out of both). Both sites are served and opened in
Chromium: Pagefind's filters() against hammingSearch.filters(); the order of a sorted query ("python", by weight
ascending and descending) in both; and what the filter and sort index costs, gzip, in each.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from emit import emit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from browsing import CHROMIUM, FLAGS, serve  # noqa: E402

from hamming_site.builder.build import build_site  # noqa: E402
from hamming_site.builder.config import BuildConfig  # noqa: E402
from hamming_site.builder.output.names import site_folder  # noqa: E402

FIXTURE = ROOT / "tests" / "data" / "filters"
WEIGHTS = {"index": 3, "sorting": 10, "network": 2, "plain": None, **{f"extra{i:02d}": (i * 7) % 11 for i in range(30)}}


def pages(folder: Path) -> None:
    folder.mkdir(parents=True)
    for page in FIXTURE.glob("*.html"):
        shutil.copy(page, folder / page.name)
    for i in range(30):
        tag = f'<span data-hamming-filter="tag">{["web", "data", "rare"][i % 3]}</span>' if i % 2 else ""
        (folder / f"extra{i:02d}.html").write_text(
            f'<!doctype html><html><head><meta charset="utf-8"><title>Extra {i}</title></head><body><main>'
            f"<h1>Extra {i}</h1><p>python notes number {i}: reading files and sorting lists.</p>{tag}"
            f'<i data-hamming-sort="weight:{(i * 7) % 11}"></i></main></body></html>')


def gz(paths) -> int:
    return sum(len(gzip.compress(p.read_bytes(), 9)) for p in paths)


JS_PAGEFIND = """async ([sort]) => {
  const pf = await import('/pagefind/pagefind.js');
  await pf.init();
  const counts = await pf.filters();
  const order = async (dir) => {
    const s = await pf.search('python', { sort: { weight: dir } });
    return Promise.all(s.results.map(async (r) => (await r.data()).url));
  };
  return { counts, asc: await order('asc'), desc: await order('desc') };
}"""

JS_HAMMING = """async () => {
  const h = window.hammingSearch;
  const order = async (dir) => (await h.search('python', 100, { mode: 'lexical', sort: { weight: dir } }))
    .map((r) => r.url);
  return { counts: await h.filters(), asc: await order('asc'), desc: await order('desc') };
}"""


def compare(pagefind: str, browser=None, **options) -> dict:
    """Both sites built and opened in Chromium (this module's docstring): in `browser` (a Playwright browser), else
    one of its own; options: build-site's for our site."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            own = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            try:
                return compare(pagefind, own, **options)
            finally:
                own.close()
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        ours, theirs = work / "hamming-pages", work / "pagefind-pages"
        pages(ours)
        theirs.mkdir()
        for page in ours.glob("*.html"):
            (theirs / page.name).write_text(page.read_text().replace("data-hamming-", "data-pagefind-"))
        subprocess.run([pagefind, "--site", str(theirs)], check=True, capture_output=True)
        build_site(BuildConfig(corpus=ours, **options))
        version = subprocess.run([pagefind, "--version"], capture_output=True, text=True).stdout.split()[-1]
        result = {"pages": len(list(ours.glob("*.html"))), "pagefind": f"pagefind {version}"}
        httpd, url = serve(theirs)
        page = browser.new_page()
        page.goto(url + "index.html")
        pf = page.evaluate(JS_PAGEFIND, [None])
        httpd.shutdown()
        httpd, url = serve(ours)
        page = browser.new_page()
        page.goto(url + "hamming/")
        page.wait_for_selector("body[data-state=lexical], body[data-state=lite], body[data-state=ready]",
                               state="attached")
        ham = page.evaluate(JS_HAMMING)
        httpd.shutdown()
        strip = lambda urls: [u.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html") or "index" for u in urls]  # noqa: E731
        result["filter_counts_equal"] = pf["counts"] == ham["counts"]
        result["filters"] = {"pagefind": pf["counts"], "hamming": ham["counts"]}
        for d in ("asc", "desc"):
            names = {"pagefind": strip(pf[d]), "hamming": strip(ham[d])}
            # pages of equal weight may come in any order: the order is the same where the weights come the same
            weights = {k: [WEIGHTS[n] for n in v] for k, v in names.items()}
            result[f"sorted_{d}"] = {**names, "same_pages": sorted(names["pagefind"]) == sorted(names["hamming"]),
                                     "same_order_up_to_ties": weights["pagefind"] == weights["hamming"]}
        result["filter_index_gzip"] = {
            "pagefind": gz((theirs / "pagefind" / "filter").glob("*")),
            "hamming": gz(site_folder(ours / "hamming", "filters").glob("*.json"))}
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pagefind", default="/tmp/pf/node_modules/.bin/pagefind")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    emit(compare(args.pagefind), args.json)


if __name__ == "__main__":
    main()
