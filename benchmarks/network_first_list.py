"""Time to the first lists over an emulated network, from a server like a static host's: nginx with TLS and gzip,
over HTTP/2 (what GitHub Pages, Netlify or Cloudflare serve) or HTTP/1.1, Chromium throttled by its own network
emulation (DevTools': each request's round trip, one shared throughput).

    python benchmarks/network_first_list.py SITE [SITE ...] --queries Q.jsonl [--runs 3] [--json OUT.json]

Needs nginx (`apt-get install -y nginx`) and openssl. For each site, protocol and network, the median over
`--runs` cold loads (a new browser context each) of navigation -> the first keyword list and -> the first
hybrid-lite list (the first question as ?q=, stamped by the page's own DOM as browser_latency.py stamps it), and
the requests made before the latter. browser_latency.py's figures are of Python's HTTP/1.1 server on 127.0.0.1
with no network in between: they count bytes well and requests badly.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from browser_latency import FIRST_LITE  # noqa: E402
from browsing import CHROMIUM, FIRST_RESULT, FLAGS  # noqa: E402
from emit import emit  # noqa: E402

# Lighthouse's mobile throttling (its "slow 4G": 150 ms, 1.6 Mbit/s down), and a fast home line
NETWORKS = {"mobile": {"latency": 150, "down_kbit": 1638.4, "up_kbit": 750},
            "broadband": {"latency": 20, "down_kbit": 20_000, "up_kbit": 5_000}}
NGINX = """user root; worker_processes 1; daemon on; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{}}
http {{
  types {{ text/html html; text/javascript js mjs; application/json json; text/css css; application/wasm wasm;
          application/octet-stream bin onnx; }}
  access_log off; sendfile on;
  gzip on; gzip_comp_level 6; gzip_min_length 0; gzip_types *;
  client_body_temp_path {tmp}/b; proxy_temp_path {tmp}/p; fastcgi_temp_path {tmp}/f; uwsgi_temp_path {tmp}/u;
  scgi_temp_path {tmp}/s;
  ssl_certificate {tmp}/cert.pem; ssl_certificate_key {tmp}/key.pem;
  server {{ listen 127.0.0.1:{h2} ssl http2; root {root}; }}
  server {{ listen 127.0.0.1:{h1} ssl; root {root}; }}
}}
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(root: Path, tmp: Path) -> dict[str, str]:
    """nginx serving root over HTTP/2 and HTTP/1.1, both with TLS (a self-signed certificate): {protocol: url}."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp / "key.pem"),
                    "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
    ports = {"h2": _port(), "h1": _port()}
    (tmp / "nginx.conf").write_text(NGINX.format(tmp=tmp, root=root.resolve(), **ports))
    subprocess.run(["nginx", "-c", str(tmp / "nginx.conf"), "-p", str(tmp)], check=True, capture_output=True)
    return {"h2": f"https://127.0.0.1:{ports['h2']}/", "http/1.1": f"https://127.0.0.1:{ports['h1']}/"}


def load(browser, url: str, query: str, network: dict) -> dict:
    """One cold load of url?q=query under `network`: the first lists' times and the requests before them."""
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    page.add_init_script(FIRST_RESULT)
    page.add_init_script(FIRST_LITE)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": network["latency"], "downloadThroughput": network["down_kbit"] * 1000 / 8,
        "uploadThroughput": network["up_kbit"] * 1000 / 8})
    page.goto(url + "?q=" + query)
    page.wait_for_selector("#results[data-ranking=hybrid-lite] li", timeout=180_000)
    seen = page.evaluate("() => ({keyword: window.__firstResultAt, lite: window.__firstLiteAt, res: performance"
                         ".getEntriesByType('resource').map(e => [e.startTime, e.nextHopProtocol])})")
    context.close()
    return {"keyword_ms": seen["keyword"], "lite_ms": seen["lite"],
            "requests": 1 + sum(1 for t, _ in seen["res"] if t < seen["lite"]),
            "protocols": sorted({p for _, p in seen["res"] if p})}


def _median(runs: list[dict], key: str) -> int:
    return round(statistics.median(r[key] for r in runs))


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sites", type=Path, nargs="+")
    ap.add_argument("--queries", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    query = json.loads(args.queries.read_text().splitlines()[0])["text"]
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*FLAGS, "--ignore-certificate-errors"])
        for site in args.sites:
            with tempfile.TemporaryDirectory() as tmp:
                urls = serve(site, Path(tmp))
                try:
                    for protocol, url in urls.items():
                        for name, network in NETWORKS.items():
                            runs = [load(browser, url, query, network) for _ in range(args.runs)]
                            results.append({"site": str(site), "protocol": protocol, "network": name,
                                            **{k: _median(runs, k) for k in ("keyword_ms", "lite_ms", "requests")},
                                            "runs": runs})
                            print({k: v for k, v in results[-1].items() if k != "runs"}, flush=True)
                finally:
                    subprocess.run(["nginx", "-c", str(Path(tmp) / "nginx.conf"), "-p", tmp, "-s", "stop"],
                                   capture_output=True)
        browser.close()
    emit({"command": "python benchmarks/network_first_list.py", "query": query, "networks": NETWORKS,
          "results": results}, args.json)


if __name__ == "__main__":
    main()
