"""Offline after the first visit, and deploys that never mix two builds, in headless Chromium: the network cut for
real (the server stopped: a service worker's own fetches ignore Playwright's offline switch), one build deployed
over another behind a cache, and a cut before everything was kept. Marked slow + browser; CI runs them."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import urllib.request
from pathlib import Path

import pytest
from browsing import CHROMIUM, QUERIES, python_ranking, same_order, serve

from hamming_site.builder.output.names import shard_of, site_path
from hamming_site.builder.search.rank import SiteRanker

pytestmark = [pytest.mark.slow, pytest.mark.browser]
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)

NEVER_TYPED = QUERIES[10:20]  # not asked before the network is cut


def stop(httpd) -> None:
    httpd.shutdown()
    httpd.server_close()


def down(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except OSError:
        return True
    return False


def ids(site: Path, queries: list[str], mode: str = "hybrid") -> list[list[str]]:
    """site-eval's ranking of each query, as document ids (builds differ in their documents' indices)."""
    docs = [d["id"] for n in range(json.loads((site / "manifest.json").read_text())["docs"]["shards"])
            for d in json.loads(site_path(site, f"docs/{n:04d}.json").read_text())]
    ranker = SiteRanker(site)
    return [[docs[r["index"]] for r in ranker.results(ranker.query(q), 10, mode)] for q in queries]


@pytest.fixture(scope="module")
def thousand(site, tmp_path_factory) -> Path:
    """1,000 of the example's documents, with site's model (the issue's size; the teacher encodes only them)."""
    from conftest import EXAMPLE, SMALL_QUERY_MODEL
    from hamming_site.builder.build import build_site
    from hamming_site.builder.config import BuildConfig

    folder = tmp_path_factory.mktemp("thousand")
    (folder / "corpus.jsonl").write_text("".join(EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:1000]))
    build_site(BuildConfig(corpus=folder / "corpus.jsonl", out=folder / "site", model_from=site, **SMALL_QUERY_MODEL))
    return folder / "site"


def test_after_the_first_visit_the_site_answers_and_loads_with_no_network(browser, thousand):
    site = thousand
    assert json.loads((site / "manifest.json").read_text())["count"] == 1000
    httpd, url = serve(site)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.fill("#q", QUERIES[0])  # the first ranking with meaning on screen starts the offline copy
    page.wait_for_selector("#results[data-ranking=hybrid-lite] li, #results[data-ranking=hybrid] li", timeout=60_000)
    page.wait_for_selector("body[data-offline=ready]", state="attached", timeout=180_000)
    page.wait_for_selector("body[data-state=ready]", state="attached", timeout=60_000)
    expected = python_ranking(site, NEVER_TYPED, mode="hybrid")
    stop(httpd)
    assert down(url)
    for query, py in zip(NEVER_TYPED, expected, strict=True):
        js = page.evaluate("q => window.hammingSearch.search(q, 10)", query)
        assert same_order(js, py), (query, [r["index"] for r in js], [r[0] for r in py])
    page.fill("#q", NEVER_TYPED[0])
    page.wait_for_selector("#results[data-ranking=hybrid] li", timeout=30_000)
    assert "could be had" not in page.text_content("#status")
    page.reload()  # no server: the service worker serves the page, the engine its files
    page.wait_for_selector("body[data-state=lexical], body[data-state=lite], body[data-state=ready]",
                           state="attached", timeout=30_000)
    assert page.evaluate("() => window.hammingSearch.ready()") is True
    for query, py in zip(NEVER_TYPED[5:], expected[5:], strict=True):
        js = page.evaluate("q => window.hammingSearch.search(q, 10)", query)
        assert same_order(js, py), (query, [r["index"] for r in js], [r[0] for r in py])
    page.fill("#q", NEVER_TYPED[1])  # the model is kept: the page goes straight to it, no static rows needed
    page.wait_for_selector("#results[data-ranking=hybrid] li", timeout=30_000)
    assert "could be had" not in page.text_content("#status"), page.text_content("#status")
    assert page.evaluate("document.body.dataset.state") == "ready"
    assert not errors, errors
    context.close()


class _Cached(http.server.SimpleHTTPRequestHandler):
    """Every file cacheable for an hour, as a host that was not told otherwise may send."""

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=3600")
        super().end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def other_build(site, tmp_path_factory) -> Path:
    """Other documents than site's (so every chunk and index differs), with site's model."""
    from conftest import EXAMPLE, SMALL_QUERY_MODEL
    from hamming_site.builder.build import build_site
    from hamming_site.builder.config import BuildConfig

    folder = tmp_path_factory.mktemp("other")
    rows = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()[2::5][:250]]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    build_site(BuildConfig(corpus=folder / "corpus.jsonl", out=folder / "site", chunk_bytes=2048, model_from=site,
                           **SMALL_QUERY_MODEL))
    return folder / "site"


def test_a_deploy_over_an_open_page_never_mixes_two_builds(browser, site, other_build, tmp_path):
    deployed = tmp_path / "deployed"
    shutil.copytree(site, deployed)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Cached, directory=str(deployed)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    queries = QUERIES[:12]
    a, b = ids(site, queries), ids(other_build, queries)
    a_lex, b_lex = ids(site, queries, "lexical"), ids(other_build, queries, "lexical")
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        assert page.evaluate("() => window.hammingSearch.ready()") is True
        for q, want in zip(queries[:3], a[:3], strict=True):  # build A, some of its files fetched
            assert [r["id"] for r in page.evaluate("q => window.hammingSearch.search(q, 10)", q)] == want
        shutil.rmtree(deployed)  # build B in its place, as a deploy does
        shutil.copytree(other_build, deployed)
        answered_as_b = 0
        for i, q in enumerate(queries):
            for mode, (wa, wb) in (("lexical", (a_lex[i], b_lex[i])), ("hybrid", (a[i], b[i]))):
                got = [r["id"] for r in page.evaluate("([q, mode]) => window.hammingSearch.search(q, 10, {mode})",
                                                      [q, mode])]
                assert got in (wa, wb), (mode, q, got, wa, wb)  # one build's ranking, never a mix
                answered_as_b += got == wb != wa
        assert answered_as_b  # a file of A gone (404): the page moved to B without a reload
        for _ in range(2):
            page.reload()
            page.wait_for_selector("body[data-state=lexical], body[data-state=lite]", state="attached",
                                   timeout=30_000)
        assert page.evaluate("() => window.hammingSearch.ready()") is True
        for q, want in zip(queries, b, strict=True):
            assert [r["id"] for r in page.evaluate("q => window.hammingSearch.search(q, 10)", q)] == want
        context.close()
    finally:
        stop(httpd)


def test_a_cut_before_everything_is_kept_answers_with_what_the_page_has(browser, site):
    httpd, url = serve(site)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # saving data: nothing is kept in the background, so what the page has is what it fetched (deterministic)
    page.add_init_script("Object.defineProperty(navigator, 'connection', {value: {saveData: true}})")
    page.goto(url)
    assert page.evaluate("() => window.hammingSearch.ready()") is True  # the API asks for the model: it comes
    assert page.evaluate("document.body.dataset.offline") == "off"
    page.fill("#q", "json")
    page.wait_for_selector("#results[data-ranking=hybrid] li", timeout=30_000)
    shown = page.eval_on_selector_all("#results li", "els => els.map(e => e.dataset.id)")
    # cut before the offline copy was made: the keyword chunks, shards and static rows the page has not fetched
    # cannot be had (the static encoder's and the transformer's meaning are in memory)
    page.context.route("**/*", lambda route: route.abort())
    page.fill("#q", "json parsing of configuration")
    page.wait_for_selector("#status:has-text('could be had')", timeout=30_000)
    status = page.text_content("#status")
    assert "offline before it was kept" in status and "keyword index" in status, status
    after = page.eval_on_selector_all("#results li", "els => els.map(e => e.dataset.id)")
    assert after != shown  # never the previous query's list under this one
    assert page.evaluate("document.querySelector('#results').dataset.ranking") == "hybrid"
    # the keywords the page has still answer: "json" alone, from its kept chunk, as before the cut
    page.fill("#q", "json")
    page.wait_for_selector("#status:not(:has-text('could be had'))", timeout=30_000)
    assert page.eval_on_selector_all("#results li", "els => els.map(e => e.dataset.id)") == shown
    assert not errors, errors
    context.close()
    stop(httpd)


def test_a_damaged_shard_counts_as_missing(browser, site, tmp_path):
    """A document shard whose bytes do not match the hash in its name is left out, and the status says so."""
    broken = tmp_path / "broken"
    shutil.copytree(site, broken)
    ranker = SiteRanker(broken)
    top = ranker.results(ranker.query(QUERIES[3]), 10, "lexical")[0]["index"]
    shard = site_path(broken, f"docs/{shard_of(ranker.manifest, top)[0]:04d}.json")
    shard.write_bytes(shard.read_bytes().replace(b'"text":"', b'"text":"!', 1))  # still JSON, other bytes
    httpd, url = serve(broken)
    try:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-state=lexical], body[data-state=lite]", state="attached", timeout=30_000)
        results = page.evaluate("q => window.hammingSearch.search(q, 10, {mode: 'lexical'})", QUERIES[3])
        assert top not in [r["index"] for r in results] and results
        page.fill("#q", QUERIES[3])
        page.wait_for_selector("#status:has-text('could be had')", timeout=30_000)
        assert "of the results' documents" in page.text_content("#status")
    finally:
        stop(httpd)
