"""<hamming-search> on an existing page of a built site folder, in headless Chromium (Debian's chromium).

    build-site FOLDER
    python benchmarks/widget.py FOLDER [--page quickstart.html] [--json OUT]

Works on a copy of FOLDER whose page gets the two lines docs/input.md documents plus the documented CSP. From a cold
cache: page load, then typing the first query -> first option (keyword results; the bytes fetched for it, the
page's own assets apart), -> data-state=ready (the model; all bytes); then the hybrid latency of the engine over
the section-heading queries, and ArrowDown + Enter: the URL it opens must exist with its #anchor. Reports console
errors (CSP violations are among them) and any request off the origin.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_latency import gz  # noqa: E402
from browsing import CHROMIUM, FLAGS, serve  # noqa: E402
from emit import emit
from site_folder import link_target  # noqa: E402
from test_site_folder import WIDGET_CSP  # noqa: E402

from hamming_site.builder.output.names import documents

HYBRID_JS = """async (queries) => {
  const api = await import("/hamming/api.js");
  const times = [];
  for (const q of queries) {
    const t0 = performance.now();
    await api.search(q, 8);
    times.push(performance.now() - t0);
  }
  return times;
}"""


def inject(page: Path, depth: int, widget: bool = True) -> str:
    """The page with the documented CSP and, if widget, the widget's two lines, written beside the original."""
    up = "../" * depth
    html = page.read_text(encoding="utf-8")
    head = f'<meta http-equiv="Content-Security-Policy" content="{WIDGET_CSP}">'
    if widget:
        head += f'<script type="module" src="{up}hamming/widget.js"></script>'
    html = html.replace("<head>", "<head>" + head, 1)
    i = html.index("<body")
    j = html.index(">", i) + 1
    if widget:
        html = html[:j] + '<hamming-search placeholder="Search"></hamming-search>' + html[j:]
    out = page.with_name(("widget-" if widget else "policy-") + page.name)
    out.write_text(html, encoding="utf-8")
    return out.name


def console_problems(browser, url: str) -> list[str]:
    """What the console reports for a page without user action (the baseline: the page's own inline scripts and
    styles break the policy too, with or without the widget)."""
    page = browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.goto(url, wait_until="load")
    page.wait_for_timeout(500)
    page.close()
    return problems


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--page", default="quickstart.html")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    docs = documents(args.folder / "hamming")
    headings = [p["heading"] for d in docs for p in d.get("passages", []) if p["heading"]][:100]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "site"
        shutil.copytree(args.folder, folder)
        with_widget = inject(folder / args.page, args.page.count("/"))
        baseline_page = inject(folder / args.page, args.page.count("/"), widget=False)
        where = args.page.rpartition("/")[0]
        where = where + "/" if where else ""
        httpd, url = serve(folder)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            baseline = console_problems(browser, url + where + baseline_page)
            page = browser.new_page()
            requests, problems = [], []
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(url + where + with_widget, wait_until="load")
            box = page.locator("hamming-search input")
            box.click()
            before = len(requests)
            t0 = time.perf_counter()
            box.type(headings[0], delay=0)
            page.wait_for_selector("hamming-search [role=option]", timeout=120_000)
            first_ms = (time.perf_counter() - t0) * 1000  # includes the widget's 120 ms debounce
            first = requests[before:]
            page.wait_for_selector("hamming-search[data-state=ready]", state="attached", timeout=300_000)
            ready_ms = (time.perf_counter() - t0) * 1000
            everything = requests[before:]
            times = page.evaluate(HYBRID_JS, headings)
            box.fill("")
            box.type(headings[1], delay=0)
            page.wait_for_selector("hamming-search [role=option]", timeout=60_000)
            box.press("ArrowDown")
            with page.expect_navigation():
                box.press("Enter")
            opened = page.url
            browser.close()
        httpd.shutdown()
        rel = opened[len(url):]
        path, _, anchor = rel.partition("#")
        broken = link_target(folder, folder / "hamming", "../", path, anchor)

    def size(urls):
        names = sorted({u[len(url):].split("?")[0] for u in urls if u.startswith(url + "hamming/")})
        files = [args.folder / n for n in names if (args.folder / n).is_file()]
        return {"requests": len(names), "bytes": sum(f.stat().st_size for f in files),
                "bytes_gzip": sum(gz(f) for f in files)}

    out = {
        "folder": str(args.folder), "page": args.page,
        "first_option_ms": round(first_ms, 1), "ready_ms": round(ready_ms, 1),
        "before_first_option": size(first), "until_ready": size(everything),
        "hybrid_query_ms": {"p50": round(statistics.median(times), 2), "max": round(max(times), 2),
                            "queries": len(times)},
        "enter_opened": rel, "link_ok": broken is None,
        "console_problems_of_the_page_itself": sorted(set(baseline)),
        # what the widget adds to the console: CSP violations and errors of its own (should be none)
        "console_problems_of_the_widget": [m for m in problems if m not in baseline],
        "off_origin": [u for u in requests if not u.startswith(url)],
    }
    emit(out, args.json)


if __name__ == "__main__":
    main()
