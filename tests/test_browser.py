"""The built site in headless Chromium (Debian's chromium, driven by Playwright): the page ranks exactly as
site-eval's Python reference, shows it in the DOM, runs nothing from the corpus, and fetches only its own
origin. Marked slow + browser; CI runs them."""

from __future__ import annotations

import json
import re
import shutil
import time

import numpy as np
import pytest
from browsing import CHROMIUM, FIRST_RESULT, QUERIES, open_page, parity_queries, python_ranking, same_order, serve

from conftest import PARITY_SEEDS, parity_rows
from hamming_site.builder.output.names import site_path
from hamming_site.builder.search.rank import SiteRanker

pytestmark = [pytest.mark.slow, pytest.mark.browser]
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


# every query of a mode in one call: 200 round trips through Playwright would cost more than the ranking
SEARCH_ALL = """async ([queries, mode]) => {
  const out = [];
  for (const q of queries) out.push(await window.hammingSearch.search(q, 10, {mode}));
  return out;
}"""
EMBED_ALL = """async (queries) => {
  const out = [];
  for (const q of queries) out.push((await window.hammingSearch.embed(q)).embedding);
  return out;
}"""


def ranked(results: list[dict]) -> list[tuple]:
    """What must be equal between the page and Python: each result's document, distance and score, and its first
    passage's row and score (its best, or the one holding the query as written: phrase.py; the page shows a long
    section's windows as one passage: documents.js's described)."""
    return [(r["index"], r["distance"], r["score"], r["passages"][0]["row"], r["passages"][0]["score"])
            for r in results]


def test_page_ranks_as_python_and_shows_it(browser, served, site):
    page, requests, errors = open_page(browser, served)
    assert page.evaluate("document.body.dataset.state") == "ready", page.text_content("#status")
    expected = python_ranking(site, QUERIES)
    for query, py in zip(QUERIES, expected, strict=True):
        js = page.evaluate("q => window.hammingSearch.search(q, 10, {mode: 'semantic'})", query)
        assert same_order(js, py), (query, [r["index"] for r in js], [r[0] for r in py])
        assert [r["distance"] for r in js] == [r[1] for r in py]
        assert np.allclose([r["score"] for r in js], [r[2] for r in py], rtol=1e-3, atol=1e-3)
    for mode in ("hybrid", "lexical"):  # Python's own vector: onnxruntime rounds otherwise than the page's
        for query, py in zip(QUERIES, python_ranking(site, QUERIES, mode=mode), strict=True):
            js = page.evaluate("([q, mode]) => window.hammingSearch.search(q, 10, {mode})", [query, mode])
            assert same_order(js, py), (mode, query, [r["index"] for r in js], [r[0] for r in py])
    ranker = SiteRanker(site)
    for mode in ("lite", "hybrid-lite"):  # the static encoder's vector is Python's: everything is equal
        for query, js in zip(QUERIES, page.evaluate(SEARCH_ALL, [QUERIES, mode]), strict=True):
            assert ranked(js) == ranked(ranker.results(ranker.query(query), 10, mode)), (mode, query)
    # the DOM shows the API's ranking
    page.fill("#q", QUERIES[0])
    page.locator("#results li").nth(9).wait_for()
    shown = page.eval_on_selector_all("#results li", "els => els.map(e => Number(e.dataset.index))")
    api = page.evaluate("q => window.hammingSearch.search(q, 10)", QUERIES[0])
    assert shown == [r["index"] for r in api]
    assert all(page.eval_on_selector_all("#results li", "els => els.map(e => e.dataset.id)"))
    origin = served.rstrip("/")
    assert requests and all(r.startswith(origin + "/") for r in requests), requests
    assert not errors


@pytest.mark.parametrize("seed", PARITY_SEEDS)
@pytest.mark.parametrize("layout", ["int8", "signs"])
def test_the_probed_ranking_is_pythons(browser, probed_site, layout, seed):
    """Codes by cluster (both encoders probing), int8 or sign-bit centroids, five builds: in every mode the page
    ranks PARITY_QUERIES queries exactly as Python does, scores to the last bit, and codes.bin itself is never
    fetched. The static encoder's vector is computed alike (float32 in one order), so its modes are compared from
    the text; the transformer's vector comes from two ONNX runtimes that round differently, so its modes are
    compared from the page's own vector (and that vector with Python's)."""
    site = probed_site(seed, layout)
    manifest = json.loads((site / "manifest.json").read_text())
    assert manifest["clusters"]["count"] > manifest["clusters"]["probes"] >= 1
    queries = parity_queries(parity_rows(seed), seed=seed)
    ranker = SiteRanker(site)
    httpd, url = serve(site)
    try:
        page, requests, errors = open_page(browser, url)
        assert page.evaluate("document.body.dataset.state") == "ready"
        vectors = page.evaluate(EMBED_ALL, queries)
        own = np.array([ranker.encoder.encode([q])[0] for q in queries])
        assert np.allclose(vectors, own, atol=2e-3), np.abs(np.array(vectors) - own).max()
        signals = [ranker.query(q, v) for q, v in zip(queries, vectors, strict=True)]
        for mode in ("lexical", "lite", "hybrid-lite", "semantic", "hybrid"):
            pages = page.evaluate(SEARCH_ALL, [queries, mode])
            for query, signal, js in zip(queries, signals, pages, strict=True):
                assert ranked(js) == ranked(ranker.results(signal, 10, mode)), (mode, query)
        assert not [u for u in requests if re.search(r"/codes\.[0-9a-f]{8}\.bin$", u)]
        assert [u for u in requests if re.search(r"/codes\.[0-9a-f]{8}/", u)]
        assert not errors
    finally:
        httpd.shutdown()


def test_a_lite_site_answers_by_its_static_encoder_and_fetches_no_runtime(browser, lite_site):
    assert not list(lite_site.glob("*.onnx")) and not list(lite_site.glob("*.wasm"))
    httpd, url = serve(lite_site)
    try:
        page = browser.new_page()
        requests, errors = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "?q=" + QUERIES[0].replace(" ", "+"))
        page.wait_for_selector("#results[data-ranking=hybrid-lite] li", timeout=30_000)
        assert page.evaluate("document.body.dataset.state") == "lite"
        assert page.evaluate("() => window.hammingSearch.ready()") is True
        ranker = SiteRanker(lite_site)
        for query in QUERIES:
            js = page.evaluate("q => window.hammingSearch.search(q, 10)", query)  # the default: hybrid-lite
            assert ranked(js) == ranked(ranker.results(ranker.query(query), 10, "hybrid-lite")), query
        page.wait_for_timeout(500)
        assert page.evaluate("document.body.dataset.state") == "lite"
        assert "loading" not in page.text_content("#status"), page.text_content("#status")
        assert not [u for u in requests if any(f in u for f in TRANSFORMER_FILES)], requests
        assert not errors
    finally:
        httpd.shutdown()


def test_corpus_text_is_never_markup(browser, served):
    page, _, errors = open_page(browser, served + "?q=" + "html image tag onerror script")
    page.locator("#results li").first.wait_for()
    ids = page.eval_on_selector_all("#results li", "els => els.map(e => e.dataset.id)")
    assert "evil-img" in ids and "evil-script" in ids
    item = page.locator('#results li[data-id="evil-img"]')
    assert "<img src=x" in item.inner_text()
    assert item.locator("img").count() == 0 and page.locator("#results script").count() == 0
    assert item.locator("a").count() == 0  # a javascript: url is not a link
    assert page.locator('#results li[data-id="evil-script"] a').get_attribute("href") == "https://example.org/script"
    assert page.evaluate("window.__pwned") is None
    assert page.input_value("#q") == "html image tag onerror script"  # ?q= ran on load
    assert not errors


def test_corrupted_codes_are_reported(browser, site, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(site, broken)
    codes = site_path(broken, "codes.bin")
    codes.write_bytes(codes.read_bytes()[:-7])
    httpd, url = serve(broken)
    try:
        page, _, _ = open_page(browser, url)
        assert page.evaluate("document.body.dataset.state") == "lexical-only"
        assert codes.name in page.text_content("#status")
        assert_keywords_work(page)
    finally:
        httpd.shutdown()


def assert_keywords_work(page) -> None:
    """Keyword search answers in the page and through the API (hybrid falls back to it)."""
    page.fill("#q", "json")
    page.locator("#results li").first.wait_for()
    assert "keyword search works" in page.text_content("#status")
    lexical = page.evaluate("q => window.hammingSearch.search(q, 10, {mode: 'lexical'})", "json")
    hybrid = page.evaluate("q => window.hammingSearch.search(q, 10)", "json")
    assert lexical and [r["index"] for r in lexical] == [r["index"] for r in hybrid]


def test_file_url_explains_what_to_do(browser, site):
    page = browser.new_page()
    page.goto((site / "index.html").as_uri())
    page.wait_for_selector("body[data-state=error]", state="attached", timeout=10_000)
    assert "http.server" in page.text_content("#status")


def _shown(page) -> list[int]:
    return page.eval_on_selector_all("#results li", "els => els.map(e => Number(e.dataset.index))")


def test_fast_typing_long_and_empty_queries(browser, served):
    page, _, errors = open_page(browser, served)
    # 50 queries typed in a row, some faster than a search and some slower: whatever
    # order the answers come back in, the page ends on the last query's results.
    queries = [QUERIES[i % len(QUERIES)][: 5 + i % 20] for i in range(49)] + ["compress data with gzip"]
    for i, q in enumerate(queries):
        started = time.perf_counter()
        page.fill("#q", q)
        assert time.perf_counter() - started < 2, "the page stopped answering while queries ran"
        page.wait_for_timeout((0, 30, 250)[i % 3])
    expected = [r["index"] for r in page.evaluate("q => window.hammingSearch.search(q, 10)", queries[-1])]
    deadline = time.time() + 30
    while _shown(page) != expected and time.time() < deadline:
        page.wait_for_timeout(100)
    assert _shown(page) == expected
    page.wait_for_timeout(1000)  # nothing older lands afterwards
    assert _shown(page) == expected
    assert "?q=compress" in page.url

    long_query = " ".join(["json"] * 2000)[:10_000]
    assert len(page.evaluate("q => window.hammingSearch.search(q, 10)", long_query)) == 10
    page.fill("#q", long_query)
    page.wait_for_selector("#status:has-text('ms')", timeout=30_000)
    page.fill("#q", "")
    page.wait_for_selector("#status:has-text('Type to search')", timeout=30_000)
    assert _shown(page) == [] and page.evaluate("document.body.dataset.state") == "ready"
    assert not errors


@pytest.mark.parametrize("name", ["codes.bin", "model.onnx"])
def test_a_corrupted_file_of_the_right_size_is_reported(browser, site, tmp_path, name):
    """Corrupted codes leave keywords only; a corrupted model leaves the static encoder (lite-only)."""
    broken = tmp_path / "broken"
    shutil.copytree(site, broken)
    path = site_path(broken, name)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10  # one flipped bit: same size, different sha256
    path.write_bytes(bytes(data))
    httpd, url = serve(broken)
    try:
        page, _, _ = open_page(browser, url)
        assert page.evaluate("document.body.dataset.state") == ("lexical-only" if name == "codes.bin" else "lite-only")
        assert path.name in page.text_content("#status") and "sha256" in page.text_content("#status")
        if name == "codes.bin":
            assert_keywords_work(page)
        else:
            assert_lite_works(page)
    finally:
        httpd.shutdown()


def assert_lite_works(page) -> None:
    """With the model out of reach, the page and the API (hybrid falls back to it) rank by hybrid-lite."""
    page.fill("#q", "json")
    page.wait_for_selector("#results[data-ranking=hybrid-lite] li", timeout=30_000)
    assert "light meaning-based search works" in page.text_content("#status")
    lite = page.evaluate("q => window.hammingSearch.search(q, 10, {mode: 'hybrid-lite'})", "json")
    hybrid = page.evaluate("q => window.hammingSearch.search(q, 10)", "json")
    assert lite and [r["index"] for r in lite] == [r["index"] for r in hybrid]


def test_the_policy_blocks_remote_scripts_and_connections(browser, served):
    page, _, _ = open_page(browser, served)
    # the browser refuses both before any connection (Playwright still logs the attempted script request)
    violated = page.evaluate("""() => new Promise((resolve) => {
      const seen = [];
      document.addEventListener("securitypolicyviolation", (e) => {
        seen.push(e.effectiveDirective);
        if (seen.length === 2) resolve(seen.sort());
      });
      const s = document.createElement("script");
      s.src = "http://127.0.0.2:9/evil.js";
      document.body.append(s);
      fetch("http://127.0.0.2:9/data").catch(() => {});
    })""")
    assert violated == ["connect-src", "script-src-elem"]


# parts of the content names (model.3f2a9c1d.onnx, meaning.3f2a9c1d/0001.bin) of the files of meaning
SEMANTIC_FILES = ("/model.", "/codes.", "/tokenizer.", "/ort.wasm", "/ort-wasm", "/worker.", "/meaning.")
TRANSFORMER_FILES = ("/model.", "/tokenizer.", "/ort.wasm", "/ort-wasm", "/worker.")
def test_lexical_then_lite_then_hybrid(browser, served, site):
    """Keyword results come before anything of meaning is requested; then the static encoder's list (hybrid-lite)
    before anything of the transformer; released, the model re-ranks the same query as hybrid without touching
    the box or the focus. #results' data-ranking says which ranking is on screen."""
    page = browser.new_page()
    page.add_init_script(FIRST_RESULT)
    # the ranking of the first list shown, read when it enters the DOM (the next one may replace it at once)
    page.add_init_script("""new MutationObserver((_, obs) => {
  const r = document.getElementById("results");
  if (r && r.children.length) { window.__firstRanking = r.dataset.ranking; obs.disconnect(); }
}).observe(document, {subtree: true, childList: true});""")
    held = []
    page.context.route("**/model.*.onnx", lambda route: held.append(route))
    query = QUERIES[4]
    page.goto(served + "?q=" + query.replace(" ", "+"))
    page.locator("#results li").first.wait_for(timeout=30_000)
    assert page.evaluate("window.__firstRanking") == "lexical"
    lexical = page.evaluate("q => window.hammingSearch.search(q, 10, {mode: 'lexical'})", query)
    # the first result's moment: nothing of meaning (codes, rows, model, runtime, worker) was requested before it
    timeline = page.evaluate("() => ({at: window.__firstResultAt, "
                             "res: performance.getEntriesByType('resource').map(e => [e.name, e.startTime])})")
    early = [u for u, t in timeline["res"] if t < timeline["at"] and any(f in u for f in SEMANTIC_FILES)]
    assert timeline["at"] and not early, f"requested before the first result: {early}"
    assert lexical
    page.wait_for_selector("#results[data-ranking=hybrid-lite] li", timeout=30_000)
    lite = page.evaluate("q => window.hammingSearch.search(q, 10, {mode: 'hybrid-lite'})", query)
    assert _shown(page) == [r["index"] for r in lite]
    assert same_order(lite, python_ranking(site, [query], mode="hybrid-lite")[0])
    page.focus("#q")
    deadline = time.time() + 30
    while not held and time.time() < deadline:
        page.wait_for_timeout(100)
    assert held, "the model was never requested after the hybrid-lite list"
    assert page.evaluate("document.body.dataset.state") == "lite"
    assert "the full model is loading" in page.text_content("#status")
    held[0].continue_()
    page.wait_for_selector("body[data-state=ready]", state="attached", timeout=60_000)
    page.wait_for_selector("#results[data-ranking=hybrid] li", timeout=30_000)
    hybrid = page.evaluate("q => window.hammingSearch.search(q, 10)", query)
    assert _shown(page) == [r["index"] for r in hybrid]
    assert page.input_value("#q") == query and page.evaluate("document.activeElement.id") == "q"
    assert same_order(hybrid, python_ranking(site, [query], mode="hybrid")[0])


def test_the_transformer_waits_for_a_hybrid_lite_list_and_never_comes_when_saving_data(browser, served):
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script("Object.defineProperty(navigator, 'connection', {value: {saveData: true}})")
    page.goto(served)
    page.wait_for_selector("body[data-state=lite]", state="attached", timeout=30_000)
    page.fill("#q", QUERIES[2])
    page.wait_for_selector("#results[data-ranking=hybrid-lite] li", timeout=30_000)
    page.wait_for_timeout(1500)
    assert not [u for u in requests if any(f in u for f in TRANSFORMER_FILES)], requests
    assert "data saver" in page.text_content("#status")
    assert page.evaluate("document.body.dataset.state") == "lite"


def test_a_blocked_model_leaves_the_static_encoder_and_blocked_codes_leave_keywords(browser, served):
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.context.route("**/model.*.onnx", lambda route: route.abort())
    page.goto(served)
    page.wait_for_selector("body[data-state=lite]", state="attached", timeout=30_000)
    page.fill("#q", "json")  # a hybrid-lite list, then the model is requested and fails
    page.wait_for_selector("body[data-state=lite-only]", state="attached", timeout=30_000)
    assert_lite_works(page)
    page = browser.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.context.route("**/codes.*.bin", lambda route: route.abort())
    page.goto(served)
    page.wait_for_selector("body[data-state=lexical-only]", state="attached", timeout=30_000)
    assert_keywords_work(page)
    assert not errors


def test_a_title_as_the_query_finds_its_document_first(browser, served, site):
    page, _, errors = open_page(browser, served)
    docs = [d for shard in sorted((site / "docs").glob("*.json")) for d in json.loads(shard.read_text())]
    titles = {}
    for i, d in enumerate(docs):
        titles.setdefault(d["title"], []).append(i)
    unique = [(t, ix[0]) for t, ix in titles.items() if len(ix) == 1 and t][:40]
    for mode in ("hybrid", "lexical"):
        firsts = page.evaluate("([ts, mode]) => Promise.all(ts.map(t => window.hammingSearch.search(t, 1, {mode})))",
                               [[t for t, _ in unique], mode])
        assert [f[0]["index"] for f in firsts] == [i for _, i in unique], mode
    assert not errors


def test_queries_without_keywords_are_answered(browser, served):
    page, _, errors = open_page(browser, served)
    for query in ("the and of", "?!... ---", "🙂🚀", "русский текст", " ".join(["json"] * 2000)[:10_000]):
        lexical = page.evaluate("q => window.hammingSearch.search(q, 10, {mode: 'lexical'})", query)
        hybrid = page.evaluate("q => window.hammingSearch.search(q, 10)", query)
        assert (lexical == []) == (query != " ".join(["json"] * 2000)[:10_000]), query
        assert len(hybrid) == 10, query  # meaning answers when no keyword does
        page.fill("#q", query)
        page.wait_for_selector("#status:has-text('ms')", timeout=30_000)
    assert not errors


HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>A host page</title>
<script type="module">
  import { search, onState } from "./hamming/api.js";
  window.hostSearch = search;
  onState((state) => { document.body.dataset.hamming = state; });
</script></head><body><p>Any page of a site.</p></body></html>
"""


def test_a_host_page_imports_the_public_api_and_gets_the_pages_results(browser, site, tmp_path):
    """api.js keeps its name in every build: a page of the host site imports search() from it and gets the same
    top 10 as the site's own page, in every mode, for 10 questions."""
    shutil.copytree(site, tmp_path / "hamming")
    (tmp_path / "host.html").write_text(HOST_PAGE)
    httpd, url = serve(tmp_path)
    try:
        own, _, errors = open_page(browser, url + "hamming/")
        host = browser.new_page()
        host.on("pageerror", lambda e: errors.append(str(e)))
        host.goto(url + "host.html")
        host.wait_for_selector("body[data-hamming=lexical], body[data-hamming=lite]", state="attached", timeout=30_000)
        for mode in ("lexical", "hybrid-lite", "hybrid"):
            theirs = host.evaluate(SEARCH_ALL.replace("window.hammingSearch.search", "window.hostSearch"),
                                   [QUERIES[:10], mode])
            ours = own.evaluate(SEARCH_ALL, [QUERIES[:10], mode])
            assert [ranked(r) for r in theirs] == [ranked(r) for r in ours], mode
            assert sum(map(len, theirs)) >= 50  # lists, not empty ones (a keyword list may hold fewer than 10)
        assert not errors
    finally:
        httpd.shutdown()
