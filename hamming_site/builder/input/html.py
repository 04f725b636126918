"""One HTML page in, one Document out: the page's main content as text, split into sections at h1-h3."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from selectolax.lexbor import LexborHTMLParser

from hamming_site.builder.input.attributes import collapse, page_attributes, weighted_ranges
from hamming_site.builder.input.corpus import Document, Section
from hamming_site.builder.lexical.languages import known

# Never text a reader sees. head: a stray <head> in content still holds no page text.
SKIP_TAGS = frozenset("script style noscript template svg iframe object canvas head".split())
# The page's chrome: dropped only when the page marks no main content, as then we read the whole <body>.
CHROME_TAGS = frozenset("nav header footer aside".split())
# ...but a header or footer inside an article or section is that part's own (HTML's rule): it holds its title.
PART_TAGS = frozenset({"article", "section"})
BLOCK_TAGS = frozenset(
    "address article aside blockquote body br caption center dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav ol option p pre search "
    "section summary table tbody tfoot thead tr ul".split()
)
CELL_TAGS = frozenset({"td", "th"})  # a row stays one line, its cells apart
HEADING_TAGS = frozenset("h1 h2 h3 h4 h5 h6".split())
SECTION_TAGS = frozenset({"h1", "h2", "h3"})  # h4-h6 are too fine-grained to be results of their own
NOT_SECTION_PARENTS = frozenset({"body", "html"})  # an id on these names the page, not the heading's part

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def decode_page(raw: bytes, sniff_meta: bool = True) -> tuple[str | None, str]:
    """(text, "") or (None, why it is skipped). UTF-8 unless the page's <meta> names another charset."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 BOM: its NUL bytes are text
        return raw.decode("utf-16", errors="replace").lstrip("\ufeff"), ""
    if b"\x00" in raw[:8192]:
        return None, "binary"
    if raw.startswith(b"\xef\xbb\xbf"):  # a BOM overrides any <meta>, as in browsers
        raw, sniff_meta = raw[3:], False
    encoding = _declared_encoding(raw[:2048]) if sniff_meta else None
    if encoding:
        try:  # legacy pages often hold a byte or two their charset lacks; browsers show U+FFFD, so do we
            return raw.decode(encoding, errors="replace"), ""
        except LookupError:  # a codec that is not a text encoding (base64, rot13): not a charset
            pass
    try:
        return raw.decode("utf-8"), ""
    except UnicodeDecodeError:
        return None, "not UTF-8"


def _declared_encoding(head: bytes) -> str | None:
    """A non-UTF-8 encoding named by <meta charset> or http-equiv, as Python names it; else None."""
    match = _META_CHARSET.search(head)
    if not match:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name.startswith("utf"):  # a <meta> cannot switch to UTF-16/32 (the bytes were readable): UTF-8
        return None
    # Browsers read latin-1 and ASCII labels as windows-1252 (the WHATWG Encoding Standard); pages rely on it.
    return "cp1252" if name in ("iso8859-1", "ascii") else name


def _is_permalink_symbol(text: str) -> bool:
    """¶, #, §, 🔗, an icon (empty once its <svg> is dropped): a heading's link to itself, not its words."""
    return len(text) <= 2 and not any(c.isalnum() for c in text)


@dataclass(eq=False)
class _Frame:
    """An element being walked: what its exit needs to know."""

    tag: str
    id: str
    mark: int  # len(walker.buf) when it opened: its own text is buf[mark:]
    lines: int = 0  # len(walker.lines) when it opened: lines its content has made since
    href: str = ""
    saw_heading: bool = False  # some heading already lies inside it


@dataclass(eq=False)
class _Heading:
    frame: _Frame
    level: int
    anchors: tuple[str, str]  # its own id, the id of the part it opens; "" where none
    inner_id: str = ""
    permalink: str = ""


@dataclass(frozen=True)
class _Head:
    line: int
    level: int
    text: str
    anchor: str


class _Walker:
    """Turns content into lines (one per block) and headings. Iterative: a page nested 100,000 deep is fine."""

    def __init__(self, drop_chrome: bool):
        self.drop_chrome = drop_chrome
        self.lines: list[str] = []
        self.heads: list[_Head] = []
        self.buf: list[str] = []
        self.pre = 0
        self.parts = 0  # open article/section elements
        self.headings = 0  # open h1-h6 elements: their permalinks are dropped
        self.heading: _Heading | None = None

    def walk(self, root) -> None:
        stack: list[tuple[object, _Frame | None]] = [(root, None)]
        frames: list[_Frame] = []
        while stack:
            node, frame = stack.pop()
            if frame is not None:
                self._leave(frame, frames)
                continue
            tag = node.tag
            if tag == "-text":
                text = node.text_content or ""
                self.buf.append(text if self.pre else text.replace("\n", " "))
                continue
            if not node.is_element_node or tag in SKIP_TAGS or self._is_chrome(tag):
                continue
            attrs = node.attributes
            if "data-hamming-ignore" in attrs:
                continue
            frame = self._enter(tag, attrs, frames)
            frames.append(frame)
            stack.append((node, frame))
            children = []
            child = node.child
            while child is not None:
                children.append(child)
                child = child.next
            stack.extend((c, None) for c in reversed(children))
        self._flush()

    def _is_chrome(self, tag: str) -> bool:
        if not self.drop_chrome or tag not in CHROME_TAGS:
            return False
        return tag in ("nav", "aside") or not self.parts

    def _enter(self, tag: str, attrs: dict, frames: list[_Frame]) -> _Frame:
        frame = _Frame(tag, attrs.get("id") or "", len(self.buf), len(self.lines))
        if tag in BLOCK_TAGS:
            self._break()
        elif tag in CELL_TAGS:
            self.buf.append(" ")
        if tag == "pre":
            self.pre += 1
        elif tag in PART_TAGS:
            self.parts += 1
        heading = self.heading
        if tag == "a" and self.headings:
            frame.href = attrs.get("href") or ""
        if tag in HEADING_TAGS:
            self.headings += 1
            parent = frames[-1] if frames else None
            first_in_parent = parent is not None and not parent.saw_heading and parent.tag not in NOT_SECTION_PARENTS
            if parent is not None:
                parent.saw_heading = True
            if tag in SECTION_TAGS and heading is None:
                self._flush()
                frame.mark = 0
                parent_id = self._part_id(frames) if first_in_parent else ""
                self.heading = _Heading(frame, int(tag[1]), (frame.id, parent_id))
        elif heading is not None:
            # MediaWiki's <span id>, old <a name>: an anchor inside the heading
            if not heading.inner_id:
                heading.inner_id = frame.id or (attrs.get("name") or "" if tag == "a" else "")
        return frame

    def _part_id(self, frames: list[_Frame]) -> str:
        """The id of the part a heading opens: its parent's; else, as DocBook writes <div class="sect1" id=x>
        <div class="titlepage"><div><div><h2>, the nearest ancestor's of which the heading is the first content."""
        if frames[-1].id:
            return frames[-1].id
        for frame in reversed(frames):
            if (frame is not frames[-1] and frame.saw_heading) or frame.tag in NOT_SECTION_PARENTS:
                return ""
            if frame.lines != len(self.lines) or collapse("".join(self.buf[frame.mark :])):
                return ""  # content before the heading: the id would name that, not the heading's part
            if frame.id:
                return frame.id
        return ""

    def _leave(self, frame: _Frame, frames: list[_Frame]) -> None:
        frames.pop()
        if frame.saw_heading and frames:
            frames[-1].saw_heading = True
        tag = frame.tag
        heading = self.heading
        if tag == "pre":
            self.pre -= 1
        elif tag in PART_TAGS:
            self.parts -= 1
        elif tag in HEADING_TAGS:
            self.headings -= 1
        if frame.href.startswith("#") and _is_permalink_symbol(collapse("".join(self.buf[frame.mark :]))):
            del self.buf[frame.mark :]
            # Only a symbol link is the heading's own: a worded one may point elsewhere (Sphinx's toc-backref).
            if heading is not None and not heading.permalink:
                heading.permalink = frame.href[1:]
        if heading is not None and heading.frame is frame:
            self._end_heading(heading)
        elif tag in BLOCK_TAGS:
            self._break()

    def _end_heading(self, heading: _Heading) -> None:
        self.heading = None
        text = collapse("".join(self.buf))
        self.buf.clear()
        if not text:  # an empty heading starts no section
            return
        own, parent = heading.anchors
        anchors = [own, heading.inner_id, parent, heading.permalink]
        self.lines.append(text)
        self.heads.append(_Head(len(self.lines) - 1, heading.level, text, next((a for a in anchors if a), "")))

    def _break(self) -> None:
        if self.heading is not None:  # a heading stays one line, whatever it holds
            self.buf.append(" ")
        else:
            self._flush()

    def _flush(self) -> None:
        if not self.buf:
            return
        text = "".join(self.buf)
        self.buf.clear()
        for part in text.split("\n"):  # only <pre> text still holds newlines
            line = collapse(part)
            if line:
                self.lines.append(line)


def _content_roots(tree: LexborHTMLParser) -> tuple[list, bool]:
    """The elements to read, and whether the page's chrome (nav, header, ...) must be dropped from them."""
    marked = [node for node in tree.css("[data-hamming-body]") if not _inside_marked(node)]
    if marked:
        return marked, False
    main = tree.css_first("main, [role=main]")
    if main is not None:
        return [main], False
    return ([tree.body] if tree.body is not None else []), True


def _inside_marked(node) -> bool:
    """Inside another data-hamming-body (read with it already) or inside a data-hamming-ignore."""
    parent = node.parent
    while parent is not None:
        if parent.is_element_node:
            attrs = parent.attributes
            if "data-hamming-body" in attrs or "data-hamming-ignore" in attrs:
                return True
        parent = parent.parent
    return False


def _sections(lines: list[str], heads: list[_Head]) -> tuple[Section, ...]:
    starts = []
    pos = 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1

    def end(last: int) -> int:  # where line `last` ends
        return starts[last] + len(lines[last])

    first = heads[0].line if heads else len(lines)
    sections = [Section("", "", 0, end(first - 1))] if first > 0 else []
    for i, head in enumerate(heads):
        last = heads[i + 1].line - 1 if i + 1 < len(heads) else len(lines) - 1
        sections.append(Section(head.text, head.anchor, starts[head.line], end(last)))
    return tuple(sections)


class Ignored(Exception):
    """A page that asks to be left out: <meta name="hamming-search" content="ignore"> (as the Sphinx extension
    marks Sphinx's search, index and highlighted-source pages)."""


def page_from_html(html: str, url: str, name: str) -> Document | None:
    """The page's main content as a Document with id `name`; None if it has no text; Ignored if it asks.

    Content: the elements marked data-hamming-body, else the first <main> or [role=main], else <body> less
    its nav, header, footer and aside. Sections start at h1-h3; each links to, in this order, its heading's
    id, an id inside the heading, the id of the part the heading opens (Sphinx's <section id>), or the
    fragment of the heading's permalink (¶).
    """
    tree = LexborHTMLParser(html)
    if tree.css_first('meta[name="hamming-search"][content="ignore"]') is not None:
        raise Ignored(name)
    roots, drop_chrome = _content_roots(tree)
    walker = _Walker(drop_chrome)
    for root in roots:
        walker.walk(root)
    if not walker.lines:
        return None
    title_node = tree.head.css_first("title") if tree.head is not None else None
    title = collapse(title_node.text()) if title_node is not None else ""
    if not title:
        title = next((h.text for h in walker.heads if h.level == 1), "") or PurePosixPath(name).stem
    text = "\n".join(walker.lines)
    return Document(name, title, text, url, _sections(walker.lines, walker.heads), *page_attributes(tree, roots, title),
                    weighted_ranges(roots, text, name), lang=_declared_language(tree))


def _declared_language(tree) -> str:
    """<html lang> (or xml:lang), else <body lang>: what the page says it is in, where that is a language code."""
    for node in (tree.css_first("html"), tree.body):
        for attribute in ("lang", "xml:lang"):
            value = (node.attributes.get(attribute) or "") if node is not None else ""
            if value and known(value):
                return value
    return ""
