"""Folders of HTML and Markdown pages: which text is read, how it is split into sections, what is skipped."""

import os
from pathlib import Path

import pytest

from hamming_site.builder import UserError
from hamming_site.builder.input.folder import read_folder
from hamming_site.builder.input.html import decode_page, page_from_html
from hamming_site.builder.input.markdown import github_slug, page_from_markdown

DATA = Path(__file__).parent / "data"
SITE = DATA / "site"
MD = DATA / "md"


def check_sections(doc):
    """Spans are non-empty, in order, inside the text, and start with their heading's words."""
    assert doc.sections, doc.id
    previous_end = 0
    for s in doc.sections:
        assert previous_end <= s.start < s.end <= len(doc.text), (doc.id, s)
        assert doc.text[s.start : s.end].startswith(s.heading), (doc.id, s)
        assert doc.text[s.start : s.end] == doc.text[s.start : s.end].strip(), (doc.id, s)
        previous_end = s.end
    assert doc.sections[0].start == 0 and doc.sections[-1].end == len(doc.text)


def by_id(docs):
    return {d.id: d for d in docs}


def page(body: str, head: str = "<title>T</title>"):
    doc = page_from_html(f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>", "u", "dir/p.html")
    if doc is not None:
        check_sections(doc)
    return doc


def anchors(doc):
    return [(s.heading, s.anchor) for s in doc.sections]


# --- the fixture site --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site():
    docs, skipped = read_folder(SITE)
    for doc in docs:
        check_sections(doc)
    return by_id(docs), skipped


def test_site_pages_sorted_hidden_and_output_folders_not_read(site):
    docs, skipped = site
    # not read: .hidden/ and .draft.html (dot names), hamming/ (holds .hamming-site), notes.txt (not a page)
    assert list(docs) == ["blog.html", "guide/sphinx.html", "index.html", "marked.html", "sub/my page.html"]
    assert skipped == {}
    assert docs["sub/my page.html"].url == "sub/my%20page.html"
    assert docs["guide/sphinx.html"].url == "guide/sphinx.html"


def test_mkdocs_page_reads_role_main_only(site):
    doc = site[0]["index.html"]
    assert doc.title == "Welcome - Teapot Docs"
    assert doc.text.startswith("Welcome\nTeapot brews green and black tea from the command line.\nFeatures\n")
    for chrome in ("Brewing guide", "Search", "Documentation built with MkDocs", "From here you can", "base_url"):
        assert chrome not in doc.text
    assert "¶" not in doc.text and all("¶" not in s.heading for s in doc.sections)
    # the h4 stays inside its h3's section
    assert anchors(doc) == [("Welcome", "welcome"), ("Features", "features"), ("Timer settings", "timer-settings")]
    last = doc.sections[-1]
    assert doc.text[last.start : last.end] == (
        "Timer settings\nTea Minutes\nGreen 2\nBlack 4\nFine tuning\nAdd thirty seconds for loose leaves."
    )


def test_sphinx_page_anchors_from_section_ids(site):
    doc = site[0]["guide/sphinx.html"]
    assert doc.title == "Brewing — Teapot 1.0 documentation"
    # <section id>, the older <div class="section" id>, and a toc-backref link that points elsewhere (#id1)
    assert anchors(doc) == [
        ("Brewing", "brewing"),
        ("Heating the water", "heating-the-water"),
        ("Steeping", "steeping"),
        ("Serving", "serving"),
    ]
    assert "¶" not in doc.text and "Quick search" not in doc.text and "Navigation" not in doc.text
    assert "Heat the water to 80 degrees for green tea.\nkettle.heat(80)\nkettle.wait()\n" in doc.text
    assert "Short steep\nLight and sweet.\nLong steep\n" in doc.text


def test_data_hamming_body_and_ignore(site):
    doc = site[0]["marked.html"]
    assert doc.text == (
        "Release notes\nVersion 2 adds oolong.\nVersion 1 was the first.\nNested bodies are read once.\n"
        "Thanks\nThanks to every tester."
    )
    assert anchors(doc) == [("Release notes", "notes"), ("Thanks", "thanks")]


def test_body_without_main_drops_chrome_scripts_and_hidden_markup(site):
    doc = site[0]["blog.html"]
    # the site's header, nav, aside and footer go; the article's own header (its title) stays
    assert doc.text == (
        "Cold brew at home\nMarch 2026\nCold brew needs twelve hours in the fridge.\nUse twice the usual leaves."
    )
    assert anchors(doc) == [("Cold brew at home", "")]


def test_base_url_prefixes_urls():
    docs, _ = read_folder(SITE, base_url="https://example.org/docs")
    assert by_id(docs)["sub/my page.html"].url == "https://example.org/docs/sub/my%20page.html"


def test_progress_reports_each_page():
    calls = []
    read_folder(SITE, progress=lambda *a: calls.append(a))
    assert calls == [("read pages", i, 5) for i in range(1, 6)]


# --- content choice, text, titles ---------------------------------------------------------------------------


def test_main_element_wins_over_body_and_role_main_counts():
    assert page("<nav>menu</nav><main><p>real</p></main><p>outside</p>").text == "real"
    assert page("<div>outside</div><div role='main'>real</div>").text == "real"
    assert page("<main><nav>inside main is content</nav></main>").text == "inside main is content"


def test_body_attribute_wins_over_main_and_ignore_removes_subtree():
    doc = page(
        "<main>main text<div data-hamming-body>one<span data-hamming-ignore>ad</span></div></main>"
        "<p data-hamming-body>two</p><div data-hamming-ignore><p data-hamming-body>hidden</p></div>"
    )
    assert doc.text == "one\ntwo"


def test_scripts_styles_and_friends_never_text():
    doc = page(
        "<main><p>a</p><script>s()</script><style>p{}</style><noscript>n</noscript>"
        "<template><p>t</p></template><svg><title>icon</title><text>svg</text></svg><p>b</p></main>"
    )
    assert doc.text == "a\nb"


def test_blocks_are_lines_and_inline_text_joins():
    doc = page(
        "<main><p>  one\n   <b>bo</b>ld  </p><div>two<br>three</div><ul><li>x<li>y</ul>"
        "<table><tr><th>h1</th><th>h2</th></tr><tr><td>c1</td><td>c2</td></tr></table>"
        "<pre>code  line\n  indented</pre><blockquote>quote</blockquote>tail</main>"
    )
    assert doc.text == "one bold\ntwo\nthree\nx\ny\nh1 h2\nc1 c2\ncode line\nindented\nquote\ntail"


def test_titles_title_tag_then_h1_then_file_name():
    assert page("<main><h1>Head</h1>x</main>", head="<title>  Tab\n title </title>").title == "Tab title"
    assert page("<main><h2>Two</h2><h1>Head</h1>x</main>", head="").title == "Head"
    assert page("<main><svg><title>icon</title></svg>x</main>", head="").title == "p"


def test_page_without_text_is_none():
    assert page("<nav>only chrome</nav><script>x()</script>") is None
    assert page("<main>   </main><p>outside</p>") is None


def test_broken_html_still_yields_text():
    doc = page_from_html("<div><p>Unclosed <b>bold<p>second<li>item</table></span><h2 id=h>Head</div>tail", "u", "b")
    check_sections(doc)
    assert doc.text == "Unclosed bold\nsecond\nitem\nHead\ntail"
    assert anchors(doc) == [("", ""), ("Head", "h")]


def test_deeply_nested_page_no_recursion():
    # Spans for the depth: Lexbor itself takes quadratic time on nested <div>s (100,000 take ~25 s to parse).
    html = "<div>" * 3000 + "<h2 id=deep>Deep</h2>" + "<span>" * 100_000 + "bottom" + "</span>" * 100_000
    doc = page_from_html(html + "</div>" * 3000 + "<p>after</p>", "u", "deep.html")
    assert doc.text == "Deep\nbottom\nafter"
    assert anchors(doc) == [("Deep", "deep")]


# --- sections and anchors -----------------------------------------------------------------------------------


def test_sections_split_at_h1_to_h3_with_intro():
    doc = page("<main><p>intro</p><h1>A</h1><p>a</p><h2>B</h2><h4>B4</h4><p>b</p><h3>C</h3><h5>C5</h5></main>")
    assert [doc.text[s.start : s.end] for s in doc.sections] == ["intro", "A\na", "B\nB4\nb", "C\nC5"]
    assert [s.heading for s in doc.sections] == ["", "A", "B", "C"]


def test_anchor_sources_in_order():
    doc = page(
        "<main>"
        "<section id=sec><h2 id=own>Own id wins</h2></section>"
        "<section id=parent><h2>Parent id<a href='#perm'>¶</a></h2><p>x</p><h3>Second in parent</h3></section>"
        "<div id=wrap><p>text</p><h2><span id=inner>Inner id</span><a href='#p2'>#</a></h2></div>"
        "<h2><a name=old></a>Old a name</h2>"
        "<h2>Permalink <a class=anchor href='#gh'><svg><path d=''/></svg></a></h2>"
        "<h2>See <a href='#elsewhere'>other part</a></h2>"
        "</main>"
    )
    assert anchors(doc) == [
        ("Own id wins", "own"),
        ("Parent id", "parent"),
        ("Second in parent", ""),  # not its parent's first heading: the id names the part above it
        ("Inner id", "inner"),  # an id inside the heading beats its parent's
        ("Old a name", "old"),
        ("Permalink", "gh"),
        ("See other part", ""),  # a worded link is not a permalink
    ]


def test_body_id_is_not_a_section_anchor():
    doc = page_from_html("<body id=page><h1>Top</h1><p>x</p></body>", "u", "p.html")
    assert anchors(doc) == [("Top", "")]


@pytest.mark.parametrize("symbol", ["¶", "#", "§", "🔗", "🔗\ufe0f", "", "\u200b"])
def test_permalink_symbols_leave_no_trace(symbol):
    doc = page(
        f"<main><h2>Title <a class=x href='#t'>{symbol}</a></h2><h5>Small<a href='#s'>{symbol}</a></h5>"
        "<p>body</p></main>"
    )
    assert doc.text == "Title\nSmall\nbody"
    assert anchors(doc) == [("Title", "t")]


def test_empty_heading_starts_no_section():
    doc = page("<main><p>a</p><h2 id=e><a href='#e'>¶</a></h2><p>b</p></main>")
    assert doc.text == "a\nb" and anchors(doc) == [("", "")]


# --- charsets and skips -------------------------------------------------------------------------------------


def test_decode_page_charsets():
    assert decode_page(b'<meta charset="iso-8859-1"><p>caf\xe9') == ('<meta charset="iso-8859-1"><p>caf\xe9', "")
    legacy = b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252"><p>\x93q\x94'
    assert decode_page(legacy)[0].endswith("\u201cq\u201d")
    # a BOM beats the <meta>; a Markdown page (sniff_meta=False) is UTF-8 only
    assert decode_page(b"\xef\xbb\xbf<meta charset=latin1>caf\xc3\xa9") == ("<meta charset=latin1>café", "")
    assert decode_page(b"<meta charset=latin1>caf\xe9", sniff_meta=False) == (None, "not UTF-8")
    assert decode_page(b"<meta charset=no-such-charset>caf\xe9") == (None, "not UTF-8")
    assert decode_page(b"<meta charset=base64><p>x") == ("<meta charset=base64><p>x", "")
    assert decode_page(b"<p>x\x00y") == (None, "binary")
    assert decode_page("<p>ü".encode("utf-16")) == ("<p>ü", "")


def test_latin1_page_read_through_its_meta(tmp_path):
    (tmp_path / "old.html").write_bytes(
        b"<html><head><meta charset=iso-8859-1><title>Caf\xe9</title></head>"
        b"<body><p>cr\xe8me br\xfbl\xe9e</p></body></html>"
    )
    docs, skipped = read_folder(tmp_path)
    assert (docs[0].title, docs[0].text, skipped) == ("Café", "crème brûlée", {})


def test_skips_are_counted_and_big_files_never_opened(tmp_path, monkeypatch):
    (tmp_path / "good.html").write_text("<p>good</p>")
    (tmp_path / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "latin.html").write_bytes(b"<p>caf\xe9</p>")
    (tmp_path / "empty.md").write_text("<!-- only a comment -->\n")
    with open(tmp_path / "big.html", "wb") as f:
        f.truncate(50 * 2**20)  # sparse: 50 MB of nothing on disk
    (tmp_path / "loop").symlink_to(".")
    (tmp_path / "gone.html").symlink_to(tmp_path / "missing.html")
    os.mkfifo(tmp_path / "pipe.html")  # reading it would block the build
    outside = tmp_path.parent / f"{tmp_path.name}-outside.html"
    outside.write_text("<p>linked in</p>")
    (tmp_path / "linked.html").symlink_to(outside)
    opened = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self.name) or real_open(self, *a, **k))
    docs, skipped = read_folder(tmp_path)
    assert [(d.id, d.text) for d in docs] == [("good.html", "good"), ("linked.html", "linked in")]
    assert skipped == {
        "binary": 1,
        "not UTF-8": 1,
        "no text": 1,
        "larger than 20 MB": 1,
        "symlinked folder": 1,
        "broken link": 1,
        "not a regular file": 1,
    }
    assert "big.html" not in opened and "pipe.html" not in opened


def test_dot_folders_output_folders_and_temp_folders_not_read(tmp_path):
    for rel in (".git/x.html", "out/index.html", ".hamming-site-tmp-123/index.html", "docs/a.html"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"<p>{rel}</p>")
    (tmp_path / "out" / ".hamming-site").write_text("")
    (tmp_path / ".hamming-site").write_text("")  # on the top folder the user chose: read it anyway
    (tmp_path / "top.HTML").write_text("<p>upper-case suffix</p>")
    docs, _ = read_folder(tmp_path)
    assert [d.id for d in docs] == ["docs/a.html", "top.HTML"]


# --- errors -------------------------------------------------------------------------------------------------


def test_missing_folder_or_a_file(tmp_path):
    with pytest.raises(UserError, match="no such folder"):
        read_folder(tmp_path / "nope")
    (tmp_path / "f.html").write_text("<p>x</p>")
    with pytest.raises(UserError, match="is a file"):
        read_folder(tmp_path / "f.html")


def test_folder_without_pages(tmp_path):
    with pytest.raises(UserError, match=r"holds no \.html or \.md pages to index"):
        read_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("text")
    (tmp_path / ".hidden.html").write_text("<p>x</p>")
    with pytest.raises(UserError) as e:
        read_folder(tmp_path)
    assert str(e.value) == f"{tmp_path} holds no .html or .md pages to index."


def test_every_page_skipped(tmp_path):
    (tmp_path / "a.html").write_bytes(b"\x00\x01")
    (tmp_path / "b.htm").write_bytes(b"\x00\x02")
    (tmp_path / "c.md").write_bytes(b"caf\xe9")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "sub")  # not a page: not in the count
    with pytest.raises(UserError) as e:
        read_folder(tmp_path)
    assert str(e.value) == f"{tmp_path}: none of its 3 pages had text to index (2 binary, 1 not UTF-8)."


# --- Markdown -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def md_site():
    docs, skipped = read_folder(MD)
    assert skipped == {}
    for doc in docs:
        check_sections(doc)
    return by_id(docs)


def test_markdown_titles_and_urls(md_site):
    assert [(d.id, d.url, d.title) for d in md_site.values()] == [
        ("guide.md", "guide.html", "Brewing guide"),  # first h1
        ("index.md", "./", "Teapot handbook"),  # front matter, over the h1 below it
        ("sub/README.md", "sub/", "README"),  # neither: the file name
    ]
    pretty = by_id(read_folder(MD, pretty_urls=True, base_url="https://x.org/")[0])
    assert [d.url for d in pretty.values()] == ["https://x.org/guide/", "https://x.org/", "https://x.org/sub/"]


def test_markdown_sections_use_github_slugs(md_site):
    doc = md_site["guide.md"]
    assert anchors(doc) == [
        ("Brewing guide", "brewing-guide"),
        ("Green tea", "green-tea"),
        ("Steps", "steps"),
        ("Black tea", "black-tea"),
        ("Steps", "steps-1"),
        ('Q&A: what\'s "oolong"?', "qa-whats-oolong"),
    ]
    assert "Milk or lemon?\nEither, never both." in doc.text  # h4: inside its section, no anchor of its own
    assert doc.text.endswith("Tea Oxidised\nOolong partly\nOolong is green partly oxidised.")  # table, ~~ ~~
    assert "title:" not in md_site["index.md"].text and md_site["index.md"].text.startswith("Welcome to the")


def test_github_slug():
    assert github_slug("Über Café & co.!") == "über-café--co"
    assert github_slug("snake_case and-dash 2") == "snake_case-and-dash-2"


def test_markdown_page_alone():
    doc = page_from_markdown("Intro\n\n## A\n<script>x()</script>\n\ntext <em>raw html</em>\n", "a.html", "d/a.md")
    assert (doc.title, doc.text, anchors(doc)) == ("a", "Intro\nA\ntext raw html", [("", ""), ("A", "a")])
    assert page_from_markdown("---\ntitle: Only front matter\n---\n", "u", "e.md") is None


def test_toml_front_matter():
    pytest.importorskip("tomllib")
    doc = page_from_markdown('+++\ntitle = "Hugo page"\ndraft = false\n+++\n# H\nbody\n', "u", "h.md")
    assert (doc.title, doc.text) == ("Hugo page", "H\nbody")


def test_bad_front_matter_names_the_file(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "bad.md").write_text("---\ntitle: [unclosed\n---\n# Page\n")
    with pytest.raises(UserError) as e:
        read_folder(tmp_path)
    assert str(e.value).startswith(f"{tmp_path}/docs/bad.md: the --- front matter is not valid YAML")


def test_folder_with_html_and_markdown_reads_both(tmp_path):
    (tmp_path / "a.md").write_text("# From Markdown\n")
    (tmp_path / "b.html").write_text("<h1>From HTML</h1>")
    (tmp_path / "c.markdown").write_text("text")
    docs, _ = read_folder(tmp_path)
    assert [(d.id, d.url, d.text) for d in docs] == [
        ("a.md", "a.html", "From Markdown"),
        ("b.html", "b.html", "From HTML"),
        ("c.markdown", "c.html", "text"),
    ]


def test_docbook_section_ids_sit_on_the_wrapper_around_the_title():
    """PostgreSQL's documentation (DocBook XSL): the id is on the section's div, the heading three divs down."""
    doc = page(
        "<main><div class='sect1' id='EXPLICIT-LOCKING'><div class='titlepage'><div><div>"
        "<h2 class='title'>13.3. Explicit Locking</h2></div></div></div><p>Locks.</p>"
        "<div class='sect2' id='LOCKING-TABLES'><div class='titlepage'><div><div>"
        "<h3 class='title'>13.3.1. Table-Level Locks</h3></div></div></div><p>Table locks.</p>"
        "<div class='tip'><h3 class='title'>Tip</h3><p>x</p></div></div>"
        "<div id='later'><p>text first</p><div><h3>After text</h3></div></div></div></main>"
    )
    assert anchors(doc) == [("13.3. Explicit Locking", "EXPLICIT-LOCKING"), ("13.3.1. Table-Level Locks",
                            "LOCKING-TABLES"), ("Tip", ""), ("After text", "")]


def test_pretty_urls_link_an_html_index_as_its_folder(tmp_path):
    from hamming_site.builder.input.folder import read_folder

    for rel in ("index.html", "guide/index.html", "guide/other.html"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"<main><h1>{rel}</h1><p>text</p></main>")
    urls = lambda pretty: sorted(d.url for d in read_folder(tmp_path, pretty_urls=pretty)[0])  # noqa: E731
    assert urls(True) == ["./", "guide/", "guide/other.html"]
    assert urls(False) == ["guide/index.html", "guide/other.html", "index.html"]
    marked = '<head><meta name="hamming-search" content="ignore"></head><main><p>the search page</p></main>'
    (tmp_path / "search.html").write_text(marked)
    docs, skipped = read_folder(tmp_path)
    assert "search.html" not in [d.id for d in docs] and skipped == {"marked to be ignored": 1}


def test_markdown_in_an_underscore_folder_is_no_page(tmp_path):
    for rel in ("_static/lib/README.md", "_modules/api.html", "guide/_index.md", "guide/page.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(f"# {rel}\n\ntext of {rel}\n" if rel.endswith(".md") else f"<p>{rel}</p>")
    docs, skipped = read_folder(tmp_path)
    assert [(d.id, d.url) for d in docs] == [("_modules/api.html", "_modules/api.html"), ("guide/_index.md", "guide/"),
                                            ("guide/page.md", "guide/page.html")]
    assert skipped == {"Markdown in a _folder (not a page)": 1}
