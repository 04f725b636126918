"""The integrations page's recipes for generators that write a folder (docs/integrations.md), checked on a tiny
project each where Debian packages the generator (hugo, jekyll: .ci/run installs them): the generator builds its
folder with the box in its layout, build-site makes the search site in its hamming/ folder, a page is found by its
heading, and the generator's next build keeps the search site for the next one to reuse. Astro's and Docusaurus's
recipes are checked the same way by benchmarks/generators_npm.py, not here: their npm installs are too big for CI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import hamming_site
from hamming_site.builder.output.names import documents
from hamming_site.builder.search.rank import SiteRanker

BOX = '<script type="module" src="/hamming/widget.js"></script><hamming-search></hamming-search>'
PAGES = {"timers": ("Timer settings", "The timer sets how long the network server sleeps between two polls."),
         "sorting": ("Sorting lists", "Sort a list of numbers with the sorted function and a key.")}


@pytest.fixture
def options(tiny_model, tmp_path):
    return {"teacher": str(tiny_model), "student": str(tiny_model), "student_layers": 2, "bits": 64, "epochs": 1,
            "max_length": 64, "query_texts": 400, "cache_dir": str(tmp_path / "cache")}


def layout(title: str, content: str) -> str:
    """A page layout with the box, as docs/integrations.md tells one to write it."""
    return f"<!doctype html><html><head><title>{title}</title></head><body>{BOX}<main>{content}</main></body></html>"


def hugo_project(root: Path) -> tuple[list[str], Path]:
    (root / "layouts" / "_default").mkdir(parents=True)
    (root / "config.toml").write_text('baseURL = "/"\ntitle = "Demo"\n')
    page = layout("{{ .Title }}", "{{ .Content }}")
    for name in ("single", "list"):
        (root / "layouts" / "_default" / f"{name}.html").write_text(page)
    (root / "content" / "guide").mkdir(parents=True)
    for slug, (title, text) in PAGES.items():
        (root / "content" / "guide" / f"{slug}.md").write_text(f'---\ntitle: "{title}"\n---\n\n## {title}\n\n{text}\n')
    return ["hugo", "--quiet", "-s", str(root)], root / "public"


def jekyll_project(root: Path) -> tuple[list[str], Path]:
    (root / "_layouts").mkdir(parents=True)
    (root / "_config.yml").write_text("title: Demo\nkeep_files: [hamming]\n")
    (root / "_layouts" / "default.html").write_text(layout("{{ page.title }}", "{{ content }}"))
    for slug, (title, text) in PAGES.items():
        (root / f"{slug}.md").write_text(f"---\nlayout: default\ntitle: {title}\n---\n\n## {title}\n\n{text}\n")
    return ["jekyll", "build", "--quiet", "-s", str(root), "-d", str(root / "_site")], root / "_site"


@pytest.mark.parametrize("generator,project", [("hugo", hugo_project), ("jekyll", jekyll_project)])
def test_a_generators_output_folder_gets_its_search_and_keeps_it(generator, project, options, tmp_path):
    if shutil.which(generator) is None:
        pytest.skip(f"{generator} is not installed (apt-get install {generator})")
    run, out = project(tmp_path / "project")
    done = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path / "project")
    assert done.returncode == 0, done.stderr[-2000:]
    hamming_site.build(out, **options)
    site = out / "hamming"
    titles = [d["title"] for d in documents(site)]
    assert "Timer settings" in titles and "Sorting lists" in titles
    ranker = SiteRanker(site)
    first = ranker.results(ranker.query("timer settings"), 1, "lexical")[0]
    assert titles[first["index"]] == "Timer settings"
    assert BOX in next(p for p in out.rglob("*.html") if "hamming" not in p.parts).read_text()
    done = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path / "project")  # the generator again
    assert done.returncode == 0 and (site / "manifest.json").is_file()  # it kept the search site
    again = hamming_site.build(out, **options)
    assert again.report["encoded"]["reused"] == len(titles)
