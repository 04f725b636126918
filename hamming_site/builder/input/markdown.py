"""One Markdown page in, one Document out: rendered to HTML, then read by the same extractor as HTML pages."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from hamming_site.builder import UserError
from hamming_site.builder.input.attributes import collapse, first_values, front_matter_attributes
from hamming_site.builder.input.corpus import Document
from hamming_site.builder.input.html import page_from_html
from hamming_site.builder.lexical.languages import known

try:
    import tomllib  # Python 3.11+
except ImportError:  # pragma: no cover - Python 3.10 reads TOML front matter without its title
    tomllib = None

_TOML_FRONT = re.compile(r"\A\+\+\+[ \t]*\r?\n(.*?)^\+\+\+[ \t]*$\r?\n?", re.DOTALL | re.MULTILINE)


def github_slug(title: str) -> str:
    """GitHub's heading ids (github-slugger): lowercase, punctuation dropped but - and _, spaces to -."""
    kept = (c for c in title.lower() if c in " -" or unicodedata.category(c)[0] in "LMN" or c == "_")
    return "".join(kept).replace(" ", "-")


SLUGS = {"github": github_slug}  # Hugo (goldmark) and GitLab make the same ids for ordinary headings


def _renderer(slug_style: str) -> MarkdownIt:
    if slug_style not in SLUGS:
        raise ValueError(f"unknown slug style {slug_style!r}; one of {sorted(SLUGS)}")
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    # Ids on h1-h3, the levels that start sections; duplicates get -1, -2 as on GitHub.
    md.use(anchors_plugin, min_level=1, max_level=3, slug_func=SLUGS[slug_style])
    return md


def _toml_front_matter(text: str, name: str) -> tuple[dict | None, str]:
    """Hugo's +++ front matter as a dict, and the text without it; (None, text) if the page has none."""
    match = _TOML_FRONT.match(text)
    if not match:
        return None, text
    if tomllib is None:
        return {}, text[match.end() :]
    try:
        return tomllib.loads(match.group(1)), text[match.end() :]
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{name}: the +++ front matter is not valid TOML ({e}).") from None


def _yaml_front_matter(tokens, name: str) -> dict:
    block = next((t.content for t in tokens if t.type == "front_matter"), None)
    if block is None:
        return {}
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 2}" if mark is not None else ""  # 0-based, and the --- line above
        raise UserError(f"{name}: the --- front matter is not valid YAML{at}; fix it or remove it.") from None
    return data if isinstance(data, dict) else {}  # a lone "---" block of prose is not metadata


def page_from_markdown(text: str, url: str, name: str, slug_style: str = "github") -> Document | None:
    """The page as a Document with id `name`; None if it has no text. Title: front matter's, else the first
    h1, else the file name. Raises UserError naming `name` for front matter that does not parse."""
    md = _renderer(slug_style)
    meta, text = _toml_front_matter(text, name)
    tokens = md.parse(text)
    if meta is None:
        meta = _yaml_front_matter(tokens, name)
    # Wrapped in <main>: all of a Markdown page is content, its own <nav> or <aside> included.
    doc = page_from_html("<main>" + md.renderer.render(tokens, md.options, {}) + "</main>", url, name)
    if doc is None:
        return None
    title = meta.get("title")
    if title is not None and str(title).strip():
        doc = dataclasses.replace(doc, title=collapse(str(title)))
    lang = meta.get("lang") or meta.get("language")
    if isinstance(lang, str) and known(lang):  # the front matter's language, over the rendered HTML's (none)
        doc = dataclasses.replace(doc, lang=lang)
    filters, fm_meta, sort = front_matter_attributes(meta, doc.title)
    # the page's own data-hamming-* (raw HTML in Markdown) first, then its front matter's
    return dataclasses.replace(doc, filters=tuple(dict.fromkeys(doc.filters + filters)),
                               meta=first_values(fm_meta + doc.meta), sort=first_values(doc.sort + sort))
