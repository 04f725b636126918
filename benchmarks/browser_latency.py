"""Latency and bytes of a built site in headless Chromium (Debian's chromium via Playwright).

    python benchmarks/browser_latency.py SITE_DIR [--queries FILE.jsonl] [--json OUT.json]

Measures, from a cold cache: navigation -> first result of ?q= (keyword results: the model is not yet
requested) and the bytes requested before it (raw and gzip -6, as a static host would serve them, workers
included); the same for the first hybrid-lite list (the static encoder: no .onnx or .wasm may come before it);
navigation -> ready (hybrid) and the whole page's bytes; query latency p50/p95 of the lexical mode
(first time, fetching its chunks, and again), of hybrid, and of the semantic side split into tokenize, model and
scan (the worker's own timings, 100 queries); the scan alone over 10k, 100k and 1M synthetic 256-bit codes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browsing import CHROMIUM, FIRST_RESULT, FLAGS, serve  # noqa: E402
from emit import emit

from hamming_site.builder.output.names import site_path

SCAN_JS = """async ([n, bits, reps, module]) => {
  const h = await import("./" + module);  // hamming.js by its content name
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


# stamps performance.now() when the page itself marks its first hybrid-lite list (#results[data-ranking])
FIRST_LITE = """new MutationObserver(() => {
  const r = document.getElementById("results");
  if (!window.__firstLiteAt && r && r.dataset.ranking === "hybrid-lite" && r.children.length)
    window.__firstLiteAt = performance.now();
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-ranking"]});"""


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


TIME_JS = """async ([queries, mode, reps]) => {
  const times = [];
  for (let r = 0; r < reps; r++) for (const q of queries) {
    const t0 = performance.now();
    if (mode === "lexical") await window.hammingSearch.search(q, 10, {mode}); // ranks, then ids from shards
    else await window.hammingSearch.profile(q, 10, {mode});
    times.push(performance.now() - t0);
  }
  return times;
}"""


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 6))


def transferred(site: Path, url: str, urls: list[str]) -> dict:
    """Bytes of the site's files that were requested (each counted once: the server sends whole files), raw and
    as gzip -6 would send them; any request off the site's origin is reported, not counted."""
    names = sorted({u[len(url):].split("?")[0] or "index.html" for u in urls if u.startswith(url)})
    files = {n: (site / n) for n in names if (site / n).is_file()}
    return {"requests": len(urls), "off_origin": [u for u in urls if not u.startswith(url)],
            "bytes": sum(f.stat().st_size for f in files.values()), "bytes_gzip": sum(gz(f) for f in files.values()),
            "files": {n: f.stat().st_size for n, f in files.items()}}


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
    result = {"site": str(args.site), "first_query": queries[0]}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()  # a new context: a cold cache
        page.add_init_script(FIRST_RESULT)  # stamps performance.now() when the first result enters the DOM
        page.add_init_script(FIRST_LITE)
        urls: list[str] = []
        page.on("request", lambda r: urls.append(r.url))
        page.goto(url + "?q=" + queries[0])
        page.locator("#results li").first.wait_for(timeout=120_000)
        timeline = page.evaluate("() => ({at: window.__firstResultAt, state: document.body.dataset.state, "
                                 "res: performance.getEntriesByType('resource').map(e => [e.name, e.startTime])})")
        # navigation start is performance.now() = 0; requests started before the first result was in the DOM
        # (the worker's own fetches can only start after worker.js, itself listed here)
        result["navigation_to_first_result_ms"] = round(timeline["at"], 1)
        result["state_at_first_result"] = page.evaluate("document.body.dataset.state")
        early = [url + "index.html"] + [u for u, t in timeline["res"] if t < timeline["at"]]
        result["before_first_result"] = transferred(args.site, url, early)
        t0 = time.perf_counter() - timeline["at"] / 1000
        if page.evaluate("window.hammingSearch && document.body.dataset.state") != "ready":
            page.wait_for_selector("#results[data-ranking=hybrid-lite] li, body[data-state=ready]", timeout=120_000)
        lite = page.evaluate("() => ({at: window.__firstLiteAt, "
                             "res: performance.getEntriesByType('resource').map(e => [e.name, e.startTime])})")
        if lite["at"]:  # a site with the static encoder: what its first hybrid-lite list cost
            before = [url + "index.html"] + [u for u, t in lite["res"] if t < lite["at"]]
            result["navigation_to_first_hybrid_lite_ms"] = round(lite["at"], 1)
            result["before_first_hybrid_lite"] = transferred(args.site, url, before)
            result["before_first_hybrid_lite"]["runtime_or_model"] = [
                u for u in before if re.search(r"\.onnx$|\.wasm$|/worker\.[0-9a-f]{8}\.js$", u)]
        page.wait_for_selector("body[data-state=ready]", state="attached", timeout=120_000)
        result["navigation_to_ready_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        # the offline copy (issue 25): everything kept once the page has shown a ranking with meaning
        page.wait_for_selector("body[data-offline=ready], body[data-offline=off]", state="attached", timeout=600_000)
        result["offline"] = page.evaluate("document.body.dataset.offline")
        result["whole_page"] = transferred(args.site, url, list(urls))
        timings = [page.evaluate("q => window.hammingSearch.profile(q, 10, {mode: 'semantic'})", q)["timings"]
                   for q in queries]
        for key in ("tokenize", "model", "scan"):
            vals = [t[key] for t in timings]
            result[f"semantic_{key}_ms"] = {"p50": round(statistics.median(vals), 2), "p95": round(pct(vals, 95), 2)}
        for mode, reps in (("lexical", 1), ("lexical", 2), ("hybrid", 1)):
            times = page.evaluate(TIME_JS, [queries, mode, reps])[len(queries) * (reps - 1):]
            name = f"{mode}_query_ms" + ("_first_time" if mode == "lexical" and reps == 1 else "")
            result[name] = {"p50": round(statistics.median(times), 2), "p95": round(pct(times, 95), 2)}
        module = site_path(args.site, "hamming.js").name
        result["scan_256bit_ms_p50"] = {str(n): round(page.evaluate(SCAN_JS, [n, 256, 7, module]), 2)
                                        for n in (10_000, 100_000, 1_000_000)}
        browser.close()
    httpd.shutdown()
    emit(result, args.json)


if __name__ == "__main__":
    main()
