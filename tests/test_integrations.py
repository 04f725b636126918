"""The Python API (hamming_site.build), the Sphinx extension and the MkDocs plugin (issue #28, part 3): each builds
a real project with its own tool, puts the search box on its pages, and a rebuild reuses the site. The tiny test
model keeps it to seconds; a browser test types a section heading into the box on a built page."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from browsing import CHROMIUM, serve, widget_urls

import hamming_site
from hamming_site.builder import UserError


@pytest.fixture
def options(tiny_model, tmp_path):
    return {"teacher": str(tiny_model), "student": str(tiny_model), "student_layers": 2, "bits": 64, "epochs": 1,
            "max_length": 64, "query_texts": 400, "cache_dir": str(tmp_path / "cache")}


GUIDE = [("Install", "open a file and read the text to install the python package"),
         ("Timer settings", "the timer sets the sleep time of the network server"),
         ("Sorting lists", "sort a list of numbers with python code")]


def test_records_made_in_code_build_a_site(options, tmp_path):
    records = [{"id": f"r{i}", "title": title, "text": text, "url": f"page{i}.html", "filters": {"part": [str(i % 2)]}}
               for i, (title, text) in enumerate(GUIDE)]
    result = hamming_site.build(records, out=tmp_path / "site", **options)
    assert result.report["documents"] == 3 and (tmp_path / "site" / "manifest.json").is_file()
    assert result.manifest["filters"]["keys"] == ["part"]
    again = hamming_site.build(records, out=tmp_path / "site", **options)  # the same records: all reused
    assert again.report["encoded"] == {"documents": 0, "reused": 3}


@pytest.mark.parametrize("records,message", [
    ([{"id": "a", "text": "x", "tags": ["a"]}], "record 1 has 'tags': a record's fields are id, title, text, url, "
                                                "filters, meta, sort"),
    (["just text"], "record 1 is a str, not a mapping"),
])
def test_a_bad_record_is_one_sentence(options, tmp_path, records, message):
    with pytest.raises(UserError, match=message):
        hamming_site.build(records, out=tmp_path / "site", **options)
    assert not (tmp_path / "site").exists()


def test_an_unknown_option_names_the_known_ones(tmp_path):
    (tmp_path / "c.txt").write_text("hello\n")
    with pytest.raises(UserError, match=r"unknown option colour: the options are .*bits"):
        hamming_site.build(tmp_path / "c.txt", colour="blue")


def sphinx_project(folder: Path, options: dict) -> Path:
    src = folder / "src"
    src.mkdir(parents=True)
    (src / "conf.py").write_text(f'project = "Demo"\nextensions = ["hamming_site.sphinx"]\n'
                                 f'hamming_options = {options!r}\n')
    (src / "index.rst").write_text("Demo\n====\n\nWelcome to the demo.\n\n.. toctree::\n\n   guide\n")
    body = "".join(f"{title}\n{'-' * len(title)}\n\n{text}.\n\n" for title, text in GUIDE)
    (src / "guide.rst").write_text(f"Guide\n=====\n\n{body}")
    return src


def test_the_sphinx_extension_builds_the_site_and_puts_the_box_on_every_page(options, tmp_path):
    src, out = sphinx_project(tmp_path, options), tmp_path / "html"
    run = [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(src), str(out)]
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "hamming" / "manifest.json").read_text())
    assert manifest["count"] == 2  # index and guide: search, genindex are marked to be ignored
    report = json.loads((out / "hamming" / "report.json").read_text())
    assert report["skipped"].get("marked to be ignored", 0) >= 2
    for page in ("index.html", "guide.html"):
        html = (out / page).read_text()
        assert '<script type="module" src="hamming/widget.js"></script>' in html and "<hamming-search" in html
        assert 'id="searchbox"' not in html  # Sphinx's own box is replaced
    (src / "guide.rst").write_text((src / "guide.rst").read_text() + "More text about sorting files.\n")
    done = subprocess.run(run, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "hamming" / "report.json").read_text())
    assert report["encoded"] == {"documents": 1, "reused": 1}  # the site's model kept: only guide encoded


def mkdocs_project(folder: Path, options: dict) -> Path:
    (folder / "docs").mkdir(parents=True)
    (folder / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: Demo
        plugins:
          - search
          - hamming:
              options: {json.dumps(options)}
        """))
    (folder / "docs" / "index.md").write_text("# Demo\n\nWelcome to the demo.\n")
    body = "".join(f"## {title}\n\n{text}.\n\n" for title, text in GUIDE)
    (folder / "docs" / "guide.md").write_text(f"# Guide\n\n{body}")
    return folder


def test_the_mkdocs_plugin_builds_the_site_and_puts_the_box_in_the_main_column(options, tmp_path):
    project = mkdocs_project(tmp_path / "project", options)
    run = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml")]
    done = subprocess.run(run, capture_output=True, text=True, cwd=project)
    assert done.returncode == 0, done.stderr
    site = project / "site"
    assert json.loads((site / "hamming" / "manifest.json").read_text())["count"] >= 2
    html = (site / "guide" / "index.html").read_text()
    assert '<script type="module" src="../hamming/widget.js"></script>' in html
    assert html.index('role="main"') < html.index("<hamming-search")  # in the content column, not a dialog
    report = json.loads((site / "hamming" / "report.json").read_text())
    assert report["skipped"] == {"marked to be ignored": 1}  # 404.html, which has the box by an absolute path
    assert '<script type="module" src="/hamming/widget.js"></script>' in (site / "404.html").read_text()
    (project / "docs" / "new.md").write_text("# New\n\nsort the numbers.\n")
    done = subprocess.run(run, capture_output=True, text=True, cwd=project)
    assert done.returncode == 0, done.stderr
    report = json.loads((site / "hamming" / "report.json").read_text())
    assert report["encoded"]["reused"] >= 2 and report["encoded"]["documents"] <= 2, report["encoded"]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("tool", ["sphinx", "mkdocs"])
def test_a_heading_typed_into_the_box_finds_its_section(browser, options, tmp_path, tool):  # noqa: F811
    if tool == "sphinx":
        out = tmp_path / "html"
        run = [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(sphinx_project(tmp_path, options)), str(out)]
        page_path, want = "guide.html", "guide.html#timer-settings"
    else:
        project = mkdocs_project(tmp_path / "project", options)
        out = project / "site"
        run = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(project / "mkdocs.yml")]
        page_path, want = "guide/", "/guide/#timer-settings"
    done = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    httpd, url = serve(out)
    try:
        page = browser.new_page()
        problems: list[str] = []
        # the mkdocs theme's own highlight.js comes from a CDN, which this machine cannot reach
        page.on("pageerror", lambda e: problems.append(str(e)) if "hljs" not in str(e) else None)
        page.goto(url + page_path)
        urls = widget_urls(page, "Timer settings")
        assert any(u and u.endswith(want) for u in urls[:3]), urls
        assert not problems, problems
    finally:
        httpd.shutdown()
