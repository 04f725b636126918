"""The Astro and Docusaurus recipes of docs/integrations.md, run on a tiny project each (issue 38).

    python benchmarks/generators_npm.py [--work DIR] [--only astro|docusaurus] [--no-browser]

Not a test: a Docusaurus project installs some 1,300 npm packages (270 MB), more than CI should fetch on every
run. The script writes each project (package.json with exact versions, the box in the layout or navbar, two pages:
the recipe's files), `npm install`s it into WORK/GENERATOR once (again only when a pinned version changed), then:

1. the generator's build (a file left in its output folder first: the build must empty the folder);
2. `build-site OUT --pretty-urls` with the tests' tiny model (tests/conftest.py's make_tiny_model, as
   tests/test_generators.py builds with it), then SiteRanker finds "Timer settings" by its heading, every page
   has the box (the widget's script and the element) and OUT/hamming/widget.js exists;
3. the recipe's copy of OUT/hamming/ into the folder the generator copies as it is (Astro public/, Docusaurus
   static/); a page edited; the generator's build again: OUT/hamming/ must be back (its marker too, or the next
   build-site would refuse to replace it), and build-site must reuse it (1 document encoded, the others reused);
4. in Debian's Chromium (unless --no-browser, or where Playwright or /usr/bin/chromium is missing): the output
   served on 127.0.0.1, "Timer settings" typed into the box on the other page, a result must link to the page.

Prints PASS or FAIL per generator with each failed check, and exits 1 if any failed. Needs node and npm (Astro 5
runs on node 20; Astro 6 and later need node 22.12) and the registry at npm's configured address.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from hamming_site.builder.output.names import documents
from hamming_site.builder.search.rank import SiteRanker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # conftest's tiny model, browsing's server

ASTRO = {"astro": "5.18.2"}  # the last release for node 20 (checked 2026-12-07)
DOCUSAURUS = {"@docusaurus/core": "3.10.2", "@docusaurus/preset-classic": "3.10.2", "@mdx-js/react": "3.1.1",
              "react": "19.3.1", "react-dom": "19.3.1"}
PAGES = {"timers": ("Timer settings", "The timer sets how long the network server sleeps between two polls."),
         "sorting": ("Sorting lists", "Sort a list of numbers with the sorted function and a key.")}
TINY = ["--student-layers", "2", "--bits", "64", "--epochs", "1", "--max-length", "64", "--query-texts", "400"]
SCRIPT = re.compile(r'<script(?=[^>]*\stype="module")(?=[^>]*\ssrc="/hamming/widget\.js")[^>]*></script>')
ENV = {**os.environ, "ASTRO_TELEMETRY_DISABLED": "1", "NO_UPDATE_NOTIFIER": "1", "HF_HUB_OFFLINE": "1",
       "TOKENIZERS_PARALLELISM": "false"}


def package_json(name: str, pins: dict[str, str], build: str, **more) -> str:
    return json.dumps({"name": name, "private": True, **more, "scripts": {"build": build}, "dependencies": pins},
                      indent=2) + "\n"


def astro_project(root: Path) -> dict[str, str]:
    """The recipe's files: the box in the layout, as the two lines of docs/integrations.md."""
    layout = """---
const { title } = Astro.props.frontmatter ?? Astro.props;
---
<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>{title}</title></head>
  <body>
    <script type="module" src="/hamming/widget.js"></script>
    <hamming-search placeholder="Search the docs"></hamming-search>
    <main><slot /></main>
  </body>
</html>
"""
    files = {"package.json": package_json("hamming-astro-check", ASTRO, "astro build", type="module"),
             "src/layouts/Base.astro": layout}
    for slug, (title, text) in PAGES.items():
        files[f"src/pages/guide/{slug}.md"] = (f"---\nlayout: ../../layouts/Base.astro\ntitle: {title}\n---\n\n"
                                               f"## {title}\n\n{text}\n")
    return files


DOCUSAURUS_CONFIG = """export default {
  title: "Demo",
  url: "https://example.org",
  baseUrl: "/",
  presets: [["classic", {docs: {}, blog: false}]],
  // the box: the widget's script on every page, the element in the navbar
  scripts: [{src: "/hamming/widget.js", type: "module"}],
  themeConfig: {
    navbar: {
      title: "Demo",
      items: [{type: "html", position: "right",
               value: '<hamming-search placeholder="Search the docs"></hamming-search>'}],
    },
  },
};
"""
# the 404 page left out of the search (else "Page Not Found" is a result): a wrapper of the theme's NotFound/Content
NOT_FOUND = """import React from "react";
import Head from "@docusaurus/Head";
import Content from "@theme-original/NotFound/Content";

export default function ContentWrapper(props) {
  return (
    <>
      <Head><meta name="hamming-search" content="ignore" /></Head>
      <Content {...props} />
    </>
  );
}
"""


def docusaurus_project(root: Path) -> dict[str, str]:
    files = {"package.json": package_json("hamming-docusaurus-check", DOCUSAURUS, "docusaurus build"),
             "docusaurus.config.js": DOCUSAURUS_CONFIG,
             "src/theme/NotFound/Content/index.js": NOT_FOUND,
             # the navbar's title links to /: a home page, else the build stops at a broken link
             "src/pages/index.md": "# Demo\n\nThe guides: [timers](/docs/timers), [sorting](/docs/sorting).\n"}
    for slug, (title, text) in PAGES.items():
        files[f"docs/{slug}.md"] = f"---\ntitle: {title}\n---\n\n## {title}\n\n{text}\n"
    return files


# name: (project files, pins, build command, output folder, the folder the generator copies, a page, its URL's end)
GENERATORS = {
    "astro": (astro_project, ASTRO, ["npx", "astro", "build"], "dist", "public", "guide/sorting/",
              "guide/timers/#timer-settings"),
    "docusaurus": (docusaurus_project, DOCUSAURUS, ["npx", "docusaurus", "build"], "build", "static",
                   "docs/sorting/", "docs/timers/"),
}


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    print("  $", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=cwd, env=ENV, capture_output=True, text=True)


def installed(root: Path, pins: dict[str, str]) -> bool:
    for name, version in pins.items():
        meta = root / "node_modules" / name / "package.json"
        if not meta.is_file() or json.loads(meta.read_text())["version"] != version:
            return False
    return True


def build_site(out: Path, model: Path, cwd: Path) -> tuple[subprocess.CompletedProcess, dict]:
    done = run([sys.executable, "-m", "hamming_site", "build-site", str(out), "--pretty-urls", "--teacher",
                str(model), "--student", str(model), *TINY, "--cache-dir", str(cwd / ".hamming-cache")], cwd)
    report = out / "hamming" / "report.json"
    return done, json.loads(report.read_text()) if done.returncode == 0 and report.is_file() else {}


def browse(out: Path, page_path: str, want: str) -> str | None:
    """Why the box failed on the served page, or None."""
    from browsing import CHROMIUM, FLAGS, serve, widget_urls
    from playwright.sync_api import sync_playwright

    httpd, url = serve(out)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            try:
                page = browser.new_page()
                problems: list[str] = []
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
                page.goto(url + page_path)
                urls = widget_urls(page, "Timer settings")
                if not any(u and u.endswith(want) for u in urls[:3]):
                    return f"no result ending {want} among the first 3: {urls}"
                return "; ".join(problems) or None
            finally:
                browser.close()
    finally:
        httpd.shutdown()


def check(name: str, work: Path, model: Path, browser: bool) -> list[str]:
    project, pins, build, out_name, carried, page_path, want = GENERATORS[name]
    root = work / name
    failed: list[str] = []
    for rel, text in project(root).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    shutil.rmtree(root / carried / "hamming", ignore_errors=True)  # from an earlier run
    if not installed(root, pins):
        done = run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], root)
        if done.returncode != 0:
            return [f"npm install failed: {done.stderr[-2000:]}"]
    out = root / out_name
    out.mkdir(exist_ok=True)
    (out / "left-over.txt").write_text("a file the generator's build should remove")

    done = run(build, root)
    if done.returncode != 0:
        return [f"{' '.join(build)} failed: {(done.stdout + done.stderr)[-2000:]}"]
    if (out / "left-over.txt").exists():
        failed.append(f"the build kept {out_name}/left-over.txt (expected: it empties {out_name}/)")
    done, report = build_site(out, model, root)
    if not report:
        return [*failed, f"build-site failed: {(done.stdout + done.stderr)[-2000:]}"]
    site = out / "hamming"
    titles = [d["title"] for d in documents(site)]
    print(f"  pages in the search: {titles}")
    ranker = SiteRanker(site)
    first = ranker.results(ranker.query("timer settings"), 1, "lexical")[0]
    if not titles[first["index"]].startswith("Timer settings"):
        failed.append(f"'timer settings' found {titles[first['index']]!r} first")
    if any(t.startswith("Page Not Found") for t in titles):
        failed.append("the 404 page is in the search")
    if not (site / "widget.js").is_file():
        failed.append("no hamming/widget.js where the box's script points")
    pages = [p for p in out.rglob("*.html") if "hamming" not in p.relative_to(out).parts]
    boxless = [str(p.relative_to(out)) for p in pages
               if not (SCRIPT.search(p.read_text()) and "<hamming-search" in p.read_text())]
    if not pages or boxless:
        failed.append(f"pages without the box: {boxless or 'no pages'}")

    shutil.copytree(site, root / carried / "hamming")  # the recipe: the generator copies it back on its next build
    page = next(p for p in (root / "src" / "pages" / "guide", root / "docs") if p.is_dir()) / "timers.md"
    page.write_text(page.read_text().replace("two polls.", "two polls of each client."))
    done = run(build, root)
    if done.returncode != 0:
        return [*failed, f"the second build failed: {(done.stdout + done.stderr)[-2000:]}"]
    if not (site / "manifest.json").is_file() or not (site / ".hamming-site").is_file():
        failed.append(f"the second build did not bring back {out_name}/hamming/ from {carried}/ (with its marker)")
    done, report = build_site(out, model, root)
    if report.get("encoded") != {"documents": 1, "reused": len(titles) - 1}:
        failed.append(f"the rebuild did not reuse the site: {report.get('encoded')} {done.stderr[-1000:]}")

    if browser:
        if not Path("/usr/bin/chromium").exists():
            print("  browser check skipped: no /usr/bin/chromium")
        else:
            try:
                problem = browse(out, page_path, want)
            except ImportError:
                print("  browser check skipped: Playwright is not installed (pip install -e .[test])")
            else:
                print(f"  browser: typed 'Timer settings' on /{page_path}: {problem or 'a result links to ' + want}")
                if problem:
                    failed.append(f"the box in Chromium: {problem}")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "hamming-generators-npm",
                        help="where the projects and their node_modules are kept between runs")
    parser.add_argument("--only", choices=sorted(GENERATORS), action="append")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium check")
    args = parser.parse_args()
    if shutil.which("npm") is None:
        print("FAIL: npm is not installed")
        return 1
    from conftest import make_tiny_model

    model_dir = args.work / "tiny-model"
    model = model_dir / "tiny-st"
    if not model.is_dir():
        shutil.rmtree(model_dir, ignore_errors=True)
        make_tiny_model(model_dir)
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    results = {}
    for name in args.only or sorted(GENERATORS):
        print(f"{name} ({', '.join(f'{k} {v}' for k, v in GENERATORS[name][1].items())}; node {node})", flush=True)
        results[name] = check(name, args.work, model, not args.no_browser)
    for name, failed in results.items():
        print(f"{'FAIL' if failed else 'PASS'} {name}" + "".join(f"\n  - {f}" for f in failed))
    return 1 if any(results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
