"""A Sphinx extension: `extensions = ["hamming_site.sphinx"]` in conf.py, and every HTML build also writes the
search site into the output's hamming/ folder and puts its search box on every page.

- The box replaces Sphinx's own wherever the theme shows it (the sidebar templates searchbox.html and
  searchfield.html: alabaster, classic, nature, pyramid and the other themes built on Sphinx's basic one).
- `hamming_options = {"bits": 256, ...}` in conf.py: build-site's options, with underscores.
- Sphinx's search page, general index, module index and highlighted sources are marked
  `<meta name="hamming-search" content="ignore">`: they would only repeat the pages' words.
- A rebuild reuses the site already in hamming/ (its model and binarizer, as build-site --model-from does), so it
  encodes only new or changed pages; `hamming_options = {"retrain": True}` trains afresh.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from hamming_site import IGNORE_META, build, summary
from hamming_site.builder import UserError, __version__

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
IGNORED = {"search", "genindex", "py-modindex"}  # and every _modules/ page (highlighted sources)


def setup(app: Sphinx) -> dict:
    app.add_config_value("hamming_options", {}, "env", types=[dict])
    app.connect("config-inited", _templates)
    app.connect("html-page-context", _mark_ignored)
    app.connect("build-finished", _build)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}


def _templates(app: Sphinx, config) -> None:
    config.templates_path = [str(TEMPLATES), *config.templates_path]  # ours before the theme's


def _mark_ignored(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if pagename in IGNORED or pagename.startswith("_modules/"):
        context["metatags"] = context.get("metatags", "") + IGNORE_META + "\n"


def _build(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html" or app.builder.name == "singlehtml":
        return
    try:
        # dirhtml writes page/index.html and links page/: the results link the same way
        options = {"pretty_urls": app.builder.name == "dirhtml", **app.config.hamming_options}
        result = build(Path(app.outdir), **options)
    except UserError as e:
        raise ExtensionError(f"hamming-site: {e}") from None
    log.info("hamming-site: %s", summary(result))
