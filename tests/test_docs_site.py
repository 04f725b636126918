"""The documentation site (mkdocs.yml, docs/): built by MkDocs with our own plugin, strict (no broken internal link
or anchor), searched by hamming-site; every function of the page's API on its page; the README short. Built here
with the tiny test model (the real build is `mkdocs build`, docs/index.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("mkdocs")


@pytest.fixture
def options(tiny_model, tmp_path):
    return {"teacher": str(tiny_model), "student": str(tiny_model), "student_layers": 2, "bits": 64, "epochs": 1,
            "max_length": 64, "query_texts": 400, "cache_dir": str(tmp_path / "cache")}


def test_the_docs_site_builds_strict_with_its_search_on_every_page_and_its_404(options, tmp_path):
    config = tmp_path / "mkdocs.yml"  # the project's, with the tiny model: INHERIT keeps everything else
    config.write_text(f"INHERIT: {ROOT / 'mkdocs.yml'}\ndocs_dir: {ROOT / 'docs'}\n"
                      f"plugins:\n  - search\n  - hamming:\n      options: {json.dumps(options)}\n")
    out = tmp_path / "site"
    run = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config), "-d", str(out)]
    done = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    manifest = json.loads((out / "hamming" / "manifest.json").read_text())
    pages = sorted(p for p in out.rglob("index.html") if "hamming" not in p.parts)
    assert manifest["count"] == len(pages) >= 14  # every page searchable (404.html left out)
    for page in pages:
        assert "<hamming-search" in page.read_text(), page
    assert '<script type="module" src="/hamming/widget.js"></script>' in (out / "404.html").read_text()


def test_every_function_of_the_page_api_is_on_its_page():
    api = (ROOT / "hamming_site" / "web" / "api.js").read_text()
    names = set(re.findall(r"^export (?:async )?(?:function|const) (\w+)", api, re.M))
    for group in re.findall(r"^export \{([^}]*)\}", api, re.M):
        names |= {n.strip() for n in group.split(",")}
    page = (ROOT / "docs" / "page-and-widget.md").read_text()
    assert len(names) >= 15
    assert not sorted(n for n in names if f"`{n}(" not in page and f"`{n}`" not in page)


def test_the_readme_is_short_and_every_benchmark_figure_has_a_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    nav = (ROOT / "mkdocs.yml").read_text()
    assert "benchmarks.md" in nav and "options.md" in nav and "page-and-widget.md" in nav
