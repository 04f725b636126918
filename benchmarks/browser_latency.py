"""Latency and bytes of a built site in headless Chromium (Debian's chromium via Playwright).

    python benchmarks/browser_latency.py SITE_DIR [--queries FILE.jsonl] [--json OUT.json]

Measures: navigation -> ready and navigation -> first result of ?q=; query latency p50/p95 split into
tokenize, model and scan (the worker's own timings, 100 queries); the scan alone over 10k, 100k and 1M
synthetic 256-bit codes; bytes transferred (raw and gzip -6, as a static host would serve them).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_browser import CHROMIUM, FLAGS, serve  # noqa: E402

SCAN_JS = """async ([n, bits, reps]) => {
  const h = await import("./hamming.js");
  const w = bits / 32, words = new Uint32Array(n * w);
  let x = 12345;
  for (let i = 0; i < words.length; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; words[i] = x; }
  const q = new Float32Array(bits).map((_, i) => Math.sin(i));
  const scanner = h.wasmScanner(words, n, bits) ?? h.scan;  // as the page's worker does
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    h.rank(words, n, bits, q, 10, 100, scanner);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}"""


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", type=Path)
    ap.add_argument("--queries", type=Path, help="BEIR queries.jsonl to draw 100 queries from")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    queries = ["how do proteins fold", "effects of exercise on heart disease", "parse json text"] * 34
    if args.queries:
        queries = [json.loads(line)["text"] for line in args.queries.read_text().splitlines()[:100]]
    httpd, url = serve(args.site)
    result = {"site": str(args.site)}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        sizes = []
        page.on("request", lambda r: sizes.append(r.url))  # the server sends each file's bytes as they are
        t0 = time.perf_counter()
        page.goto(url + "?q=" + queries[0])
        page.wait_for_selector("body[data-state=ready]", state="attached", timeout=120_000)
        result["navigation_to_ready_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        page.locator("#results li").first.wait_for(timeout=120_000)
        result["navigation_to_first_result_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        timings = [page.evaluate("q => window.hammingSearch.profile(q, 10)", q)["timings"] for q in queries]
        for key in ("tokenize", "model", "scan"):
            vals = [t[key] for t in timings]
            result[f"{key}_ms"] = {"p50": round(statistics.median(vals), 2), "p95": round(pct(vals, 95), 2)}
        totals = [t["tokenize"] + t["model"] + t["scan"] for t in timings]
        result["query_ms"] = {"p50": round(statistics.median(totals), 2), "p95": round(pct(totals, 95), 2)}
        result["scan_256bit_ms_p50"] = {str(n): round(page.evaluate(SCAN_JS, [n, 256, 7]), 2)
                                        for n in (10_000, 100_000, 1_000_000)}
        browser.close()
    httpd.shutdown()
    names = sorted({u[len(url):].split("?")[0] or "index.html" for u in sizes})
    raw = {name: (args.site / name).stat().st_size for name in names if (args.site / name).is_file()}
    result["bytes_transferred"] = sum(raw.values())
    result["bytes_gzip"] = sum(len(gzip.compress((args.site / name).read_bytes(), 6)) for name in raw)
    result["files"] = raw
    text = json.dumps(result, indent=1)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
