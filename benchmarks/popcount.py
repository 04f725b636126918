"""The page's SWAR popcount scan (hamming_site/web/hamming.js) against two WASM kernels, in headless Chromium.

    python benchmarks/popcount.py [--json benchmarks/results/popcount.json]
    python benchmarks/popcount.py --embed    # after editing hamming_site/web/popcount.wat


Kernels (hamming_site/web/popcount.wat, compiled with the `wabt` npm package, installed once into
~/.cache/hamming-site/bench-npm): i64.popcnt over 64-bit words, and i8x16.popcnt over 128-bit vectors.
Each scans n random 256-bit codes (n = 10k, 100k, 1M) into u16 distances; the figure is the median of
15 runs, after checking that all three give the same distances. Both WASM figures go through
hamming.js's wasmScanner, as the page's worker calls it (codes copied into WASM memory once, distances
copied out each query).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browsing import CHROMIUM, FLAGS, serve  # noqa: E402

NPM = Path.home() / ".cache" / "hamming-site" / "bench-npm"
COMPILE = """const wabt = await require("wabt")(); const fs = require("fs");
const m = wabt.parseWat("popcount.wat", fs.readFileSync(process.argv[1], "utf8"), {simd: true});
fs.writeFileSync(process.argv[2], Buffer.from(m.toBinary({}).buffer));"""
BENCH_JS = """async ([n, bits, reps]) => {
  const h = await import("./hamming.js");
  const w = bits / 32, words = new Uint32Array(n * w);
  let x = 12345;
  for (let i = 0; i < words.length; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; words[i] = x; }
  const query = words.slice(7 * w, 8 * w).map((v) => v ^ 0x01010101);
  const median = (f) => {
    const t = [];
    for (let r = 0; r < reps; r++) { const t0 = performance.now(); f(); t.push(performance.now() - t0); }
    return t.sort((a, b) => a - b)[Math.floor(reps / 2)];
  };
  const swarOut = new Uint16Array(n), pageOut = new Uint16Array(n);
  const swar = median(() => h.scan(words, query, n, swarOut));
  const scanner = h.wasmScanner(words, n, bits);  // what the page's worker uses
  const i64 = median(() => scanner(words, query, n, pageOut));
  const sameI64 = pageOut.every((v, i) => v === swarOut[i]);
  const simdScanner = h.wasmScanner(words, n, bits, "scan_simd");
  const simdOut = new Uint16Array(n);
  const simd = median(() => simdScanner(words, query, n, simdOut));
  const sameSimd = simdOut.every((v, i) => v === swarOut[i]);
  return { n, bits, swar_ms: swar, wasm_i64_ms: i64, wasm_simd_ms: simd, same: sameI64 && sameSimd };
}"""


def compile_kernel(target: Path) -> None:
    if not (NPM / "node_modules" / "wabt").exists():
        NPM.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-save", "--no-audit", "--no-fund", "wabt@1.0.39"], cwd=NPM,
                       check=True)
    script = "(async () => {" + COMPILE + "})()"
    subprocess.run(["node", "-e", script, str(ROOT / "hamming_site" / "web" / "popcount.wat"), str(target)],
                   cwd=NPM, check=True, env={"NODE_PATH": str(NPM / "node_modules"), "PATH": "/usr/bin:/bin"})


def embed() -> None:
    """hamming.js carries the kernel as base64: no extra file to fetch, no build step for the page."""
    with tempfile.TemporaryDirectory() as folder:
        wasm = Path(folder) / "popcount.wasm"
        compile_kernel(wasm)
        line = f'export const POPCOUNT_WASM = "{base64.b64encode(wasm.read_bytes()).decode()}";'
    js = ROOT / "hamming_site" / "web" / "hamming.js"
    text = re.sub(r'^export const POPCOUNT_WASM = ".*";$', line, js.read_text(), flags=re.M)
    js.write_text(text)
    print(f"{js}: {len(line)} characters of kernel")


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--embed", action="store_true", help="write the compiled kernel into hamming.js")
    args = ap.parse_args()
    if args.embed:
        return embed()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        shutil.copy(ROOT / "hamming_site" / "web" / "hamming.js", folder)
        (folder / "index.html").write_text("<!doctype html><title>popcount</title>")
        httpd, url = serve(folder)
        rows = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            page = browser.new_page()
            page.goto(url)
            for n in (10_000, 100_000, 1_000_000):
                row = page.evaluate(BENCH_JS, [n, 256, 15])
                assert row["same"], "the kernels disagree"
                rows.append(row)
                print(json.dumps(row))
            browser.close()
        httpd.shutdown()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
