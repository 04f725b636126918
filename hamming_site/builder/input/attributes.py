"""A page's filters, metadata and sort keys, set as Pagefind sets them (renamed data-hamming-*), or in Markdown front
matter, or in a .jsonl record.

HTML, anywhere in the page (its <head> included):

    data-hamming-filter="author"               key from the attribute, value from the element's text
    data-hamming-filter="author:Freda"         key and value inline
    data-hamming-filter="author[content]"      value from another attribute of the element (<meta content>)
    data-hamming-filter="tag[data-a], x[data-b]"  several, comma-separated (the attribute forms)

data-hamming-meta and data-hamming-sort take the same forms. A page may give a filter key several values; a meta or
sort key keeps its first. `title` is always in a page's meta (its title), `image` where the indexed content holds
an <img> (its src). As Pagefind's: inside `data-hamming-ignore` the attributes still count (the text alone is left
out), inside `data-hamming-ignore="all"` nothing does.

Markdown front matter: a list (`tags: [a, b]`, `categories`) is a filter, any other scalar is meta; `weight` and
`date` are also sort keys. A .jsonl record: "filters" {key: value or [values]}, "meta" {key: value}, "sort"
{key: value}.
"""

from __future__ import annotations

import datetime
import re

from hamming_site.builder import UserError

Pairs = tuple[tuple[str, str], ...]
_ATTRIBUTE = re.compile(r"^\s*([^\s\[\]:,]+)\s*\[\s*([^\]\s]+)\s*\]\s*$")
KINDS = ("filter", "meta", "sort")
FRONT_MATTER_SORTS = ("weight", "date")


def collapse(text: str) -> str:
    """Runs of whitespace as one space, none at either end: how a page's text and its attribute values read."""
    return " ".join(text.split())


def _specs(value: str, node) -> list[tuple[str, str]]:
    """(key, value) pairs of one data-hamming-* attribute on `node` (this module's docstring)."""
    value = value.strip()
    if not value:
        return []
    parts = value.split(",") if _ATTRIBUTE.match(value.split(",")[0]) else [value]
    out = []
    for part in parts:
        found = _ATTRIBUTE.match(part)
        if found:
            got = node.attributes.get(found.group(2))
            if got is not None and collapse(got):
                out.append((found.group(1), collapse(got)))
        elif ":" in part:
            key, _, inline = part.partition(":")
            if key.strip() and collapse(inline):
                out.append((key.strip(), collapse(inline)))
        elif part.strip():
            text = collapse(node.text(deep=True) or "")
            if text:
                out.append((part.strip(), text))
    return out


def page_attributes(tree, roots, title: str) -> tuple[Pairs, Pairs, Pairs]:
    """(filters, meta, sort) of a parsed HTML page whose content roots are `roots` (html.py's)."""
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
    for kind in KINDS:
        for node in tree.css(f"[data-hamming-{kind}]"):
            if not _ignored(node, all_only=True):
                found[kind] += _specs(node.attributes.get(f"data-hamming-{kind}") or "", node)
    meta = first_values([*found["meta"], ("title", title)])  # an element marked as the title wins
    if "image" not in dict(meta):
        image = next((img.attributes.get("src") for root in roots for img in root.css("img[src]")
                      if not _ignored(img, all_only=False)), None)
        if image:
            meta = (*meta, ("image", image))
    return tuple(dict.fromkeys(found["filter"])), meta, first_values(found["sort"])


def _ignored(node, all_only: bool) -> bool:
    """Inside (or itself) an element marked data-hamming-ignore="all", or with all_only False any such mark."""
    while node is not None:
        mark = node.attributes.get("data-hamming-ignore", False) if node.is_element_node else False
        if mark is not False and (not all_only or mark == "all"):
            return True
        node = node.parent
    return False


def first_values(pairs) -> Pairs:
    """A key's first value only (a page has one title, one date)."""
    seen: dict[str, str] = {}
    for key, value in pairs:
        seen.setdefault(key, value)
    return tuple(seen.items())


def _scalar(value) -> str | None:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float, datetime.date)):
        return collapse(str(value)) or None
    return None


def front_matter_attributes(data: dict, title: str) -> tuple[Pairs, Pairs, Pairs]:
    """(filters, meta, sort) of a Markdown page's front matter (this module's docstring)."""
    filters, meta, sort = [], [("title", title)], []
    for key, value in data.items():
        key = str(key)
        if isinstance(value, (list, tuple)):
            filters += [(key, v) for v in map(_scalar, value) if v]
        elif (text := _scalar(value)) is not None and key != "title":
            meta.append((key, text))
            if key in FRONT_MATTER_SORTS:
                sort.append((key, text))
    return tuple(dict.fromkeys(filters)), first_values(meta), first_values(sort)


def record_attributes(obj: dict, title: str, where: str) -> tuple[Pairs, Pairs, Pairs]:
    """(filters, meta, sort) of a .jsonl record; UserError naming `where` (path:line) for a wrong shape."""
    out = []
    for field in ("filters", "meta", "sort"):
        value = obj.get(field) or {}
        if not isinstance(value, dict):
            raise UserError(f'{where}: "{field}" must be an object of keys and values.')
        pairs = []
        for key, v in value.items():
            values = v if field == "filters" and isinstance(v, list) else [v]
            for one in values:
                text = _scalar(one)
                if text is None:
                    raise UserError(f'{where}: "{field}" {key!r} must be a string or a number'
                                    f'{" (or a list of them)" if field == "filters" else ""}.')
                pairs.append((str(key), text))
        out.append(pairs)
    filters, meta, sort = out
    return tuple(dict.fromkeys(filters)), first_values([*meta, ("title", title)]), first_values(sort)


MAX_WEIGHT = 10.0


def weighted_ranges(roots, text: str, where: str) -> tuple[tuple[int, int, float], ...]:
    """(start, end, weight) in `text` (the page's text, as the reader joined it) of each element marked
    data-hamming-weight in the content, found in document order; UserError naming `where` for a weight that is
    not a number from 0 to 10."""
    out, at = [], 0
    for root in roots:
        for node in root.css("[data-hamming-weight]"):
            raw = node.attributes.get("data-hamming-weight") or ""
            try:
                weight = float(raw)
            except ValueError:
                weight = -1.0
            if not 0 <= weight <= MAX_WEIGHT:
                raise UserError(f'{where}: data-hamming-weight="{raw}" must be a number from 0 to 10.')
            fragment = collapse(node.text(deep=True) or "")
            if not fragment or weight == 1:
                continue
            found = text.find(fragment, at)
            if found < 0:  # before the last one found: nested, or repeated out of order
                found = text.find(fragment)
            if found >= 0:
                out.append((found, found + len(fragment), weight))
                at = found + len(fragment)
    return tuple(out)
