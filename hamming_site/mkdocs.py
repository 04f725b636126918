"""An MkDocs plugin: `plugins: [search, hamming]` in mkdocs.yml, and `mkdocs build` also writes the search site
into the output's hamming/ folder and puts its search box at the top of every page's main content.

- The box goes right inside the element with role="main" (the mkdocs and readthedocs themes' content column),
  else at the top of <body>: visible without opening anything, where the default theme keeps its own search in a
  dialog.
- 404.html gets the box too, by the site's absolute path (`site_url`'s, else the host's root).
- `plugins: [search, {hamming: {options: {bits: 256}}}]`: build-site's options, with underscores.
- MkDocs empties site_dir before each build; the plugin keeps the previous hamming/ aside first and rebuilds from
  it (its model and binarizer, as build-site --model-from does), so a rebuild encodes only new or changed
  pages. Where the options changed so that it cannot be reused, the site is trained afresh.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.config import config_options
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.utils import get_relative_url

from hamming_site import IGNORE_META, build, summary
from hamming_site.builder import UserError

log = get_plugin_logger(__name__)
BOX = ('<div class="hamming-searchbox" role="search"><script type="module" src="{src}"></script>'
       '<hamming-search placeholder="Search the docs"></hamming-search></div>')
MAIN = re.compile(r"<[a-zA-Z][^>]*\brole\s*=\s*[\"']?main\b[^>]*>")
BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


class HammingPlugin(BasePlugin):
    config_scheme = (("options", config_options.Type(dict, default={})),)

    def on_pre_build(self, config) -> None:
        self._kept = None
        site = Path(config.site_dir) / "hamming"
        if (site / "manifest.json").is_file():  # before MkDocs empties site_dir
            self._kept = Path(tempfile.mkdtemp(prefix="hamming-previous-"))
            shutil.move(str(site), str(self._kept / "hamming"))

    def on_post_page(self, output: str, page, config) -> str:
        return _with_box(output, get_relative_url("hamming/widget.js", page.url))

    def on_post_template(self, output: str, template_name: str, config) -> str:
        """404.html is not a page to find: marked so the site leaves it out. It gets the search box too (a visitor
        who followed a broken link is the one who most needs it), by the site's absolute path: a host serves it at
        whatever address was missing, so no relative link holds."""
        if template_name != "404.html":
            return output
        at = re.search(r"<head\b[^>]*>", output, re.IGNORECASE)
        output = output if at is None else output[: at.end()] + IGNORE_META + output[at.end() :]
        root = urlsplit(config.site_url or "/").path.rstrip("/")
        return _with_box(output, f"{root}/hamming/widget.js")

    def on_post_build(self, config) -> None:
        # MkDocs links a page as folder/ (use_directory_urls): the results link the same way
        options = {"pretty_urls": bool(config.use_directory_urls), **self.config["options"]}
        previous = self._kept and self._kept / "hamming"
        try:
            result = _build(config.site_dir, previous, options)
        except UserError as e:
            raise PluginError(f"hamming-site: {e}") from None
        finally:  # a failed build leaves the previous site where the next build will look for it
            if previous is not None and not (Path(config.site_dir) / "hamming").exists():
                shutil.move(str(previous), str(Path(config.site_dir) / "hamming"))
            if self._kept is not None:
                shutil.rmtree(self._kept, ignore_errors=True)
        log.info(summary(result))


def _with_box(output: str, src: str) -> str:
    box = BOX.format(src=src)
    at = MAIN.search(output) or BODY.search(output)
    return output if at is None else output[: at.end()] + box + output[at.end() :]


def _build(site_dir: str, previous: Path | None, options: dict):
    """The site built reusing the previous build's model where it can, else trained anew (a changed option)."""
    if previous is None or "model_from" in options:  # nothing kept, or the user names the site to reuse
        return build(site_dir, **options)
    try:
        return build(site_dir, model_from=str(previous), **options)
    except UserError as e:
        log.warning("the previous search site cannot be reused (%s); training a new one", e)
        return build(site_dir, **options)
