"""What the browser tests share: Debian's chromium and its flags, the example's queries, a server for a site
folder, a page opened until its meaning is in, and site-eval's rankings to compare the page's with."""

from __future__ import annotations

import functools
import http.server
import random
import re
import threading
from pathlib import Path

from hamming_site.builder.search.rank import SiteRanker

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUERIES = [
    "parse json text", "read a file line by line", "sort a list in place", "current date and time",
    "compress data with gzip", "regular expression matching", "random number generator", "http request client",
    "temporary directory", "hash a password securely", "split a path into parts", "run a shell command",
    "copy a file tree", "base64 encode bytes", "decimal arithmetic precision", "thread pool executor",
    "unit testing framework", "command line argument parsing", "write csv rows", "xml element tree",
    "email message parsing", "sqlite database connection", "logging handler configuration",
    "deep copy of an object", "calendar month", "environment variables", "socket server", "heap queue",
    "fractions rational numbers", "zip archive",
]

PARITY_QUERIES = 200


def parity_queries(rows: list[dict], n: int = PARITY_QUERIES, seed: int = 0) -> list[str]:
    """n queries for a parity test on a site of these documents: QUERIES, the titles of documents that have a twin
    (an exact title: two documents tied), a query of words no document has (every score 0: all tied), a word
    repeated, two runs of three words of a document's text (a phrase, phrase.py), then one to four words drawn at
    random (fixed seed) from the documents' text, the last of a third of them half-typed and of another third with a
    letter dropped."""
    rng = random.Random(seed)
    twins = [r["title"] for r in rows if r["id"].endswith("-twin")]
    words = sorted({w for r in rows for w in re.findall(r"[A-Za-z_]{3,}", r["text"])})
    out = [*QUERIES, *twins, "qqzx vvwk", "file file file path"]
    for r in rng.sample([r for r in rows if len(r["text"].split()) >= 12], 2):  # phrases the site writes (phrase.py)
        text = r["text"].split()
        at = rng.randrange(len(text) - 3)
        out.append(" ".join(text[at : at + 3]))
    while len(out) < n:
        picked = rng.sample(words, rng.randint(1, 4))
        last = picked[-1]
        if len(out) % 3 == 0:  # half-typed (search as you type: its prefixes)
            picked[-1] = last[: rng.randint(2, len(last))]
        elif len(out) % 3 == 1 and len(last) >= 4:  # a letter dropped (its typos)
            at = rng.randrange(len(last))
            picked[-1] = last[:at] + last[at + 1 :]
        out.append(" ".join(picked))
    return out[:n]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path):
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def widget_urls(page, text: str) -> list[str]:
    """text typed into the page's <hamming-search> box: its results' URLs once it lists some (selectors, not
    wait_for_function: the CSP forbids eval)."""
    box = page.locator("hamming-search input")
    box.click()
    box.type(text)
    page.wait_for_selector("hamming-search [role=option]", timeout=60_000)
    return page.eval_on_selector_all("hamming-search [role=option]", "els => els.map(e => e.dataset.url)")


def open_page(browser, url):
    page = browser.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    # selectors, not wait_for_function: the page's CSP (rightly) forbids the eval that polling uses
    page.wait_for_selector(f"{SETTLED}, body[data-state=lite]", state="attached", timeout=60_000)
    # with no query typed the page stops at the static encoder (lite); an embedder asks for the model
    page.evaluate("() => window.hammingSearch.ready().catch(() => false)")
    page.wait_for_selector(SETTLED, state="attached", timeout=60_000)
    return page, requests, errors


SETTLED = ", ".join(f"body[data-state={s}]" for s in ("ready", "error", "lexical-only", "lite-only"))


def python_ranking(site: Path, queries: list[str], k: int = 10, mode: str = "semantic"):
    """site-eval's rankings of the queries: [(index, distance, score)] (semantic) or [(index, score)]."""
    ranker = SiteRanker(site)
    if mode in ("lite", "hybrid-lite"):  # [(index, score)], as results() gives them
        return [[(r["index"], r["score"]) for r in ranker.results(ranker.query(q), k, mode)] for q in queries]
    return [getattr(ranker, mode)(ranker.query(q), k) for q in queries]


def same_order(js: list[dict], py: list[tuple]) -> bool:
    """Equal order, letting neighbours swap where their scores differ by under 1e-4 relative (SPEC)."""
    if [r["index"] for r in js] == [r[0] for r in py]:
        return True
    if sorted(r["index"] for r in js) != sorted(r[0] for r in py):
        return False
    score = {r[0]: r[-1] for r in py}
    for a, b in zip(js, js[1:], strict=False):
        sa, sb = score[a["index"]], score[b["index"]]
        if sa < sb and abs(sa - sb) > 1e-4 * max(abs(sa), abs(sb), 1e-9):
            return False
    return True


# stamps performance.now() when the first result enters the DOM (an init script: the CSP forbids eval)
FIRST_RESULT = """new MutationObserver((_, obs) => {
  const r = document.getElementById("results");
  if (r && r.children.length) { window.__firstResultAt = performance.now(); obs.disconnect(); }
}).observe(document, {subtree: true, childList: true});"""
