"""Filters, metadata and sort keys as Pagefind users set them, renamed data-hamming-* (issue #28): read from HTML,
Markdown front matter and .jsonl records; written as their own small files; applied before the top k; the page
and Python agree."""

import json
from pathlib import Path

import pytest
from browsing import CHROMIUM, serve

from hamming_site.builder.build import build_site
from hamming_site.builder.input.folder import read_folder
from hamming_site.builder.output.names import site_folder
from hamming_site.builder.search.rank import SiteRanker

FIXTURE = Path(__file__).resolve().parent / "data" / "filters"

EXPECTED = {
    "index.html": ({("author", "Freda"), ("tag", "python"), ("tag", "files")},
                   {"title": "Cookbook", "image": "cover.png"}, {"date": "2024-03-01", "weight": "3"}),
    "sorting.html": ({("author", "Ada"), ("tag", "python"), ("level", "beginner")},
                     {"title": "Sorting lists", "summary": "How to sort anything in python.", "date": "2023-11-20"},
                     {"weight": "10", "date": "2023-11-20"}),
    "network.html": ({("tag", "network"), ("author", "Freda")},
                     {"title": "Network servers", "image": "server.png", "image_alt": "a server rack"},
                     {"weight": "2"}),
    "plain.html": (set(), {"title": "Plain page"}, {}),
    "guide/data.md": ({("tags", "python"), ("tags", "data"), ("categories", "guide")},
                      {"title": "Data files", "author": "Ada", "weight": "5", "date": "2024-01-02", "draft": "false"},
                      {"weight": "5", "date": "2024-01-02"}),
    "guide/weights.md": ({("tags", "data")}, {"title": "Weights and measures", "weight": "2.5"}, {"weight": "2.5"}),
}
COUNTS = {"author": {"Ada": 1, "Freda": 2}, "categories": {"guide": 1}, "level": {"beginner": 1},
          "tag": {"files": 1, "network": 1, "python": 2}, "tags": {"data": 2, "python": 1}}


def test_every_attribute_form_is_read():
    docs, skipped = read_folder(FIXTURE)
    assert skipped == {} and {d.id for d in docs} == set(EXPECTED)
    for doc in docs:
        filters, meta, sort = EXPECTED[doc.id]
        assert (set(doc.filters), dict(doc.meta), dict(doc.sort)) == (filters, meta, sort), doc.id


def test_records_take_filters_meta_and_sort(tmp_path):
    from hamming_site.builder import UserError
    from hamming_site.builder.input.corpus import read_corpus

    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "a", "title": "A", "text": "x", "filters": {"tag": ["p", "q"], "year": 2024},
                                "meta": {"image": "a.png"}, "sort": {"rank": 3}}) + "\n")
    doc = read_corpus(path)[0]
    assert (doc.filters, dict(doc.meta), doc.sort) == ((("tag", "p"), ("tag", "q"), ("year", "2024")),
                                                         {"image": "a.png", "title": "A"}, (("rank", "3"),))
    path.write_text(json.dumps({"text": "x", "filters": {"tag": {"nested": 1}}}) + "\n")
    with pytest.raises(UserError, match=r"c.jsonl:1: \"filters\" 'tag' must be a string or a number"):
        read_corpus(path)


@pytest.fixture(scope="module")
def filtered_site(tmp_path_factory, tiny_model):
    """The fixture's pages plus 30 about sorting and files, five of them tagged rare: a filter that matches few of
    the query's best candidates."""
    from hamming_site.builder.config import BuildConfig

    folder = tmp_path_factory.mktemp("filters")
    site = folder / "pages"
    import shutil

    shutil.copytree(FIXTURE, site)
    for i in range(30):
        rare = i % 6 == 5  # about something else: few of the query's best candidates, none for its keywords
        text = ("tomatoes grow in the garden in summer" if rare else
                f"sort the list of files {i} times with python code, then read the text")
        tag = '<span data-hamming-filter="tag">rare</span>' if rare else ""
        (site / f"extra{i:02d}.html").write_text(
            f"<title>Extra {i}</title><main><h1>Extra {i}</h1><p>{text}</p>{tag}"
            f'<i data-hamming-sort="weight:{(i * 7) % 11}"></i></main>')
    config = BuildConfig(corpus=site, out=folder / "site", bits=64, teacher=str(tiny_model), student=str(tiny_model),
                         student_layers=2, epochs=1, max_length=64, query_texts=400, cache_dir=folder / "cache")
    build_site(config)
    return folder / "site"


def test_the_filter_files_count_as_pagefind_does(filtered_site):
    ranker = SiteRanker(filtered_site)
    counts = ranker.filter_index.counts()
    assert {k: v for k, v in counts.items() if k != "tag"} == {k: v for k, v in COUNTS.items() if k != "tag"}
    assert counts["tag"] == {**COUNTS["tag"], "rare": 5}
    m = json.loads((filtered_site / "manifest.json").read_text())
    assert m["filters"]["keys"] == sorted(COUNTS) and m["filters"]["sort"] == [
        {"key": "date", "numeric": False}, {"key": "weight", "numeric": True}]
    assert len(list(site_folder(filtered_site, "filters").iterdir())) == len(COUNTS) + 2


def test_filters_apply_before_the_top_k(filtered_site):
    ranker = SiteRanker(filtered_site)
    docs = [d for shard in sorted((filtered_site / "docs").glob("*.json"), key=lambda p: int(p.name.split(".")[0]))
            for d in json.loads(shard.read_text())]
    rare = {i for i, d in enumerate(docs) if "rare" in d.get("filters", {}).get("tag", [])}
    query = ranker.query("sort the list of files with python")
    for mode in ("lexical", "semantic", "hybrid", "hybrid-lite", "lite"):
        top = ranker.results(query, 5, mode)
        assert not rare & {r["index"] for r in top}  # unfiltered, the rare pages are not the best
        only = ranker.results(query, 5, mode, filters={"tag": ["rare"]})
        assert {r["index"] for r in only} == rare, mode  # all five, though few were among the best
        both = ranker.results(query, 10, mode, filters={"tag": ["python", "network"], "author": ["Freda"]})
        assert {docs[r["index"]]["id"] for r in both} == {"index.html", "network.html"}, mode
        assert ranker.results(query, 5, mode, filters={"tag": ["no such"]}) == []


def test_sort_orders_numbers_as_numbers(filtered_site):
    ranker = SiteRanker(filtered_site)
    numeric, weights = ranker.filter_index.sort_values("weight")
    query = ranker.query("python")
    up = ranker.results(query, 40, "hybrid", sort={"weight": "asc"})
    have = [weights[r["index"]] for r in up if weights[r["index"]] is not None]
    assert numeric and have == sorted(have) and 10 in have and 2.5 in have  # 10 after 2.5: numbers, not strings
    assert len(have) == len(up)  # pages without a weight left out, as Pagefind leaves them out
    down = [weights[r["index"]] for r in ranker.results(query, 40, "hybrid", sort={"weight": "desc"})]
    assert [w for w in down if w is not None] == sorted(have, reverse=True)


def until(page, predicate: str, seconds: float = 30) -> None:
    """Polls a function in the page (the page's CSP forbids the eval that wait_for_function needs)."""
    import time

    end = time.monotonic() + seconds
    while not page.evaluate(predicate):
        assert time.monotonic() < end, (predicate, page.inner_text("main")[:3000])
        time.sleep(0.05)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_the_page_filters_sorts_and_counts_as_python(browser, filtered_site):  # noqa: F811
    ranker = SiteRanker(filtered_site)
    httpd, url = serve(filtered_site)
    try:
        page = browser.new_page()
        page.goto(url)
        until(page, "() => window.hammingSearch !== undefined")
        page.evaluate("window.hammingSearch.ready()")
        assert page.evaluate("window.hammingSearch.filters()") == ranker.filter_index.counts()
        cases = [("sort the list of files with python", {"filters": {"tag": ["rare"]}}),
                 ("network server", {"filters": {"author": ["Freda"], "tag": ["network", "files"]}}),
                 ("python", {"sort": {"weight": "desc"}}), ("read the text", {"sort": {"date": "asc"},
                                                                    "filters": {"tags": ["data"]}})]
        for text, options in cases:
            for mode in ("lexical", "semantic", "hybrid", "hybrid-lite"):
                js = page.evaluate("([t, o]) => window.hammingSearch.search(t, 8, o)",
                                   [text, {**options, "mode": mode}])
                py = ranker.results(ranker.query(text), 8, mode, **options)
                assert [r["index"] for r in js] == [r["index"] for r in py], (text, options, mode)
        first = page.evaluate("window.hammingSearch.search('sort lists', 3, {filters: {author: ['Ada']}})")[0]
        assert first["meta"] == {"title": "Sorting lists", "summary": "How to sort anything in python.",
                                 "date": "2023-11-20"}
        assert first["filters"] == {"author": ["Ada"], "tag": ["python"], "level": ["beginner"]}
    finally:
        httpd.shutdown()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_the_page_and_the_widget_offer_the_filters(browser, filtered_site):  # noqa: F811
    rare = {f"extra{i:02d}.html" for i in range(30) if i % 6 == 5}
    (filtered_site.parent / "pages" / "host.html").write_text(
        '<!doctype html><title>Host</title><script type="module" src="../site/widget.js"></script>'
        '<hamming-search filters="tag,author"></hamming-search>')
    httpd, url = serve(filtered_site.parent)
    try:
        page = browser.new_page()
        page.goto(url + "site/?q=sort%20the%20list%20of%20files%20with%20python")
        page.wait_for_selector("#results li")
        page.wait_for_selector("#filters input[value=rare]")
        assert page.locator("#filters legend").all_text_contents() == sorted(COUNTS)
        page.locator("#filters input[value=rare]").check()
        until(page, "() => [...document.querySelectorAll('#results li h2 a')].every(a => /extra/.test(a.href))"
                    " && document.querySelectorAll('#results > li').length === 5")
        hrefs = page.eval_on_selector_all("#results > li h2 a", "els => els.map(e => e.getAttribute('href'))")
        assert {h.rsplit("/", 1)[-1] for h in hrefs} == rare
        widget = browser.new_page()
        widget.goto(url + "pages/host.html")
        box = widget.locator("hamming-search input[type=search]")
        box.click()
        box.type("sort the list of files with python")
        widget.wait_for_selector("hamming-search [role=option]")
        assert widget.locator("hamming-search legend").all_text_contents() == ["tag", "author"]
        rare_box = widget.locator("hamming-search input[value=rare]")
        rare_box.focus()
        widget.keyboard.press("Space")  # keyboard: a native checkbox
        until(widget, "() => { const o = [...document.querySelector('hamming-search').shadowRoot.querySelectorAll("
                      "'[role=option].result')]; return o.length === 5 && o.every(e => /extra/.test(e.dataset.url)); }")
    finally:
        httpd.shutdown()


def test_weights_lift_the_weighted_page_and_zero_leaves_words_out(tmp_path, tiny_model):
    from hamming_site.builder import UserError
    from hamming_site.builder.config import BuildConfig

    pages = tmp_path / "pages"
    pages.mkdir()
    body = "<p>a page about gardens, soil and water in the summer months of the year</p>"
    (pages / "plain.html").write_text(f"<title>Plain</title><main>{body}<p>tomato</p></main>")
    (pages / "lifted.html").write_text(f'<title>Lifted</title><main>{body}<p data-hamming-weight="5">tomato</p></main>')
    (pages / "hidden.html").write_text(f'<title>Hidden</title><main>{body}<p data-hamming-weight="0">tomato</p></main>')
    docs, _ = read_folder(pages)
    assert {d.id: d.weights for d in docs}["lifted.html"] == ((len(docs[1].text) - 6, len(docs[1].text), 5.0),)
    config = BuildConfig(corpus=pages, out=tmp_path / "site", bits=64, teacher=str(tiny_model),
                         student=str(tiny_model), student_layers=2, epochs=1, max_length=64, query_texts=400,
                         cache_dir=tmp_path / "cache")
    build_site(config)
    ranker = SiteRanker(tmp_path / "site")
    ids = [d.id for d in read_folder(pages)[0]]
    found = [ids[r["index"]] for r in ranker.results(ranker.query("tomato"), 3, "lexical")]
    assert found == ["lifted.html", "plain.html"]  # weighted first; weight 0: its words are not indexed
    (pages / "bad.html").write_text('<main><p data-hamming-weight="11">x</p></main>')
    with pytest.raises(UserError, match=r'bad.html: data-hamming-weight="11" must be a number from 0 to 10'):
        read_folder(pages)


PAGEFIND = Path("/tmp/pf/node_modules/.bin/pagefind")  # .ci/run: npm install --prefix /tmp/pf pagefind@1.6.0


@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM.exists() and PAGEFIND.exists()), reason="needs chromium and npm's pagefind")
def test_filter_counts_and_sorted_order_equal_pagefinds(browser, tiny_model, tmp_path):  # noqa: F811
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from pagefind_filters import compare

    result = compare(str(PAGEFIND), browser, teacher=str(tiny_model), student=str(tiny_model), student_layers=2,
                     bits=64, epochs=1, max_length=64, query_texts=400, cache_dir=tmp_path / "cache")
    assert result["filter_counts_equal"], result["filters"]
    for d in ("asc", "desc"):
        assert result[f"sorted_{d}"]["same_pages"] and result[f"sorted_{d}"]["same_order_up_to_ties"], result
