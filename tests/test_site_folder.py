"""A site folder as input, with the real teacher: the site goes inside it and never reads itself, every result
links to an existing file and anchor, a long page's last section is found, and the <hamming-search> widget on an
existing page of the site navigates to a passage under the documented CSP, fetching nothing off-origin."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from browsing import CHROMIUM, serve

from conftest import SMALL_QUERY_MODEL
from hamming_site.builder.build import build_site
from hamming_site.builder.config import BuildConfig
from hamming_site.builder.output.names import documents, passage_text, site_path
from hamming_site.builder.search.rank import SiteRanker

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "site"
EXAMPLE = ROOT / "examples" / "stdlib.jsonl"
# The policy docs/input.md documents for a page that includes the widget.
WIDGET_CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; "
              "style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'")
LAST = "zipfile"  # the long page's last section
QUESTION = "how do I read and write ZIP archive files"

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _long_page(folder: Path) -> int:
    """library.html: one h2 section per standard-library module, over 5,000 words, zipfile last."""
    rows = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
    last = next(r for r in rows if r["id"] == LAST)
    body, words = [], 0
    for r in rows:
        if r["id"] == LAST or words > 5000:
            continue
        body.append(f'<section id="{r["id"]}"><h2>{r["title"]}</h2><p>{r["text"]}</p></section>')
        words += len(r["text"].split()) + len(r["title"].split())
    body.append(f'<section id="{LAST}"><h2>{last["title"]}</h2><p>{last["text"]}</p></section>')
    (folder / "library.html").write_text(
        "<!doctype html><html><head><meta charset=utf-8><title>Library notes</title></head><body><main>"
        + "\n".join(body) + "</main></body></html>", encoding="utf-8")
    return words


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("folder") / "site"
    shutil.copytree(FIXTURE, folder)
    shutil.rmtree(folder / "hamming")  # the fixture's fake output: here the real one goes there
    assert _long_page(folder) > 5000
    build_site(BuildConfig(corpus=folder, **SMALL_QUERY_MODEL))
    return folder


def test_the_site_goes_inside_and_never_reads_itself(folder):
    site = folder / "hamming"
    manifest = json.loads((site / "manifest.json").read_text())
    assert (site / ".hamming-site").exists() and manifest["root"] == "../"
    urls = sorted(d["url"] for d in documents(site))
    assert urls == ["blog.html", "guide/sphinx.html", "index.html", "library.html", "marked.html",
                    "sub/my%20page.html"]
    assert manifest["passages"]["count"] > manifest["count"]
    before = site_path(site, "passages.bin").read_bytes()
    build_site(BuildConfig(corpus=folder, **SMALL_QUERY_MODEL))  # again, over its own output: the same pages
    assert sorted(d["url"] for d in documents(site)) == urls
    assert site_path(site, "passages.bin").read_bytes() == before


def test_every_passage_links_to_an_existing_file_and_anchor(folder):
    from selectolax.lexbor import LexborHTMLParser

    anchors = 0
    site = folder / "hamming"
    manifest = json.loads((site / "manifest.json").read_text())
    for index, doc in enumerate(documents(site)):
        page = folder / doc["url"].replace("%20", " ")
        assert page.is_file(), doc["url"]
        ids = {n.attributes.get("id") for n in LexborHTMLParser(page.read_text(encoding="utf-8")).css("[id]")}
        seen = set()
        for p in doc.get("passages", []):
            if p["anchor"]:
                anchors += 1
                assert p["anchor"] in ids, (doc["url"], p["anchor"])
            if (p["heading"], p["anchor"]) not in seen:  # a section's first window starts with its heading
                assert passage_text(site, manifest, index, doc, p).startswith(p["heading"])
            seen.add((p["heading"], p["anchor"]))
    assert anchors > 100


def test_the_last_section_of_a_long_page_is_found(folder):
    ranker = SiteRanker(folder / "hamming")
    docs = documents(folder / "hamming")
    library = next(i for i, d in enumerate(docs) if d["url"] == "library.html")
    assert "parts" not in docs[library] and docs[library]["text"]  # 33 KB of text: whole in its shard (not 64 KB)
    first = int((ranker.row_doc == library).argmax())
    for mode in ("hybrid", "semantic"):
        results = ranker.results(ranker.query(QUESTION), 3, mode)
        hit = next(r for r in results if r["index"] == library)
        best = docs[library]["passages"][hit["passages"][0]["row"] - first]
        assert best["anchor"] == LAST, (mode, best)


@pytest.fixture(scope="module")
def served(folder):
    page = folder / "guide" / "sphinx.html"  # an existing page of the site gets the widget: two lines
    # the fixture's theme files (_static/) are not in the fixture: their 404s are not the widget's concern
    html = "\n".join(line for line in page.read_text(encoding="utf-8").splitlines() if "_static/" not in line)
    html = html.replace("<head>", f'<head><meta http-equiv="Content-Security-Policy" content="{WIDGET_CSP}">'
                        '<script type="module" src="../hamming/widget.js"></script>', 1)
    main = '<div class="body" role="main">'
    html = html.replace(main, main + "<hamming-search></hamming-search>", 1)
    assert "<hamming-search" in html
    page.write_text(html, encoding="utf-8")
    httpd, url = serve(folder)
    yield url
    httpd.shutdown()


def test_the_widget_navigates_to_a_passage(browser, served):  # noqa: F811  (the fixture)
    page = browser.new_page()
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text)
            if m.type in ("error", "warning") and not m.text.startswith("Failed to load resource") else None)
    # a missing file is reported by its response (the console line does not name it); the browser asks
    # for /favicon.ico on its own
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.goto(served + "guide/sphinx.html")
    box = page.locator("hamming-search input")
    box.click()
    box.type("Timer settings")
    page.wait_for_selector("hamming-search [role=option]", timeout=60_000)
    assert box.get_attribute("aria-expanded") == "true"
    # the model loads after the first keyword results: under the same policy, with no error
    page.wait_for_selector("hamming-search[data-state=ready]", state="attached", timeout=60_000)
    page.wait_for_selector("hamming-search [role=option]", timeout=60_000)
    box.press("ArrowDown")
    selected = page.locator("hamming-search [role=option][aria-selected=true]")
    assert box.get_attribute("aria-activedescendant") == selected.get_attribute("id")
    assert not problems, problems  # CSP violations are reported on the console as errors
    assert all(u.startswith(served) or u.startswith("data:") for u in requests), requests
    with page.expect_navigation():
        box.press("Enter")
    assert page.url == served + "index.html#timer-settings"


def test_the_widget_closes_on_escape_and_the_page_shows_sub_results(browser, served):  # noqa: F811
    page = browser.new_page()
    page.goto(served + "guide/sphinx.html")
    box = page.locator("hamming-search input")
    box.click()
    box.type("zip archive")
    page.wait_for_selector("hamming-search [role=option]", timeout=60_000)
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    # the same query ranked again once the model is in: the list stays closed until the visitor asks
    page.wait_for_selector("hamming-search ul[data-ranking=hybrid]", state="attached", timeout=60_000)
    assert box.get_attribute("aria-expanded") == "false"
    assert page.locator("hamming-search [role=listbox]").is_hidden()
    box.press("ArrowDown")
    assert box.get_attribute("aria-expanded") == "true"
    search = browser.new_page()
    search.goto(served + "hamming/?q=zip%20archive")
    search.wait_for_selector("#results li ul.passages a", timeout=60_000)
    hrefs = search.eval_on_selector_all("#results ul.passages a", "els => els.map(e => e.href)")
    assert served + f"library.html#{LAST}" in hrefs
    # its snippet is its best passage's text (passages[0].text, from the shard's text)
    library = search.locator("#results > li", has=search.locator(f'a[href="{served}library.html#{LAST}"]'))
    assert "zip" in library.locator("p").first.inner_text().lower()


def test_the_widget_keeps_the_site_and_answers_offline(browser, served, folder):  # noqa: F811
    """On a page outside the site's folder (no service worker reaches it), the engine keeps the site's files in
    Cache Storage itself: with the server stopped, a new question is answered from them."""
    httpd, url = serve(folder)  # a server of its own, to stop (the page was given the widget by `served`)
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(url + "guide/sphinx.html")
    box = page.locator("hamming-search input")
    box.click()
    box.type("Timer settings")
    page.wait_for_selector("hamming-search [role=option]", timeout=60_000)
    page.wait_for_selector("hamming-search[data-offline=ready]", state="attached", timeout=120_000)
    page.wait_for_selector("hamming-search[data-state=ready]", state="attached", timeout=60_000)
    httpd.shutdown()
    httpd.server_close()
    box.fill("")
    box.type("long page last section")
    page.wait_for_selector("hamming-search ul[data-ranking=hybrid] [role=option]", timeout=30_000)
    assert "Offline" not in page.locator("hamming-search .status").text_content()
    assert not problems, problems
