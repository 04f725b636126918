"""The filter and sort index: files the page fetches only when a query filters or sorts (Pagefind's layout: a
query that does neither costs what it did before).

    filters/NNNN.json   one file per filter key, then one per sort key, in the order manifest.json's
                        filters.keys and filters.sort list them:
                        a filter key's: {"key": "tags", "values": {"value": [document index, ...]}}, values and
                        indices ascending
                        a sort key's:   {"key": "date", "values": [one per document: the value, or null]},
                        numbers as JSON numbers where every value of the key is a number ("numeric": true)

The folder is content-named like the others (hamming_site/builder/output/names.py). A site whose pages set no filter
and no sort key has none, and its manifest no "filters" entry.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from hamming_site.builder.input.corpus import Document

FOLDER = "filters"


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def write_filters(tmp: Path, docs: list[Document]) -> dict | None:
    """Writes tmp/filters/ (this module's docstring) and returns manifest.json's "filters" entry, or None."""
    keys: dict[str, dict[str, list[int]]] = {}
    sorts: dict[str, list[str | None]] = {}
    for i, doc in enumerate(docs):
        for key, value in doc.filters:
            keys.setdefault(key, {}).setdefault(value, []).append(i)
        for key, value in doc.sort:
            sorts.setdefault(key, [None] * len(docs))[i] = value
    if not keys and not sorts:
        return None
    folder = tmp / FOLDER
    folder.mkdir()
    files = [{"key": key, "values": {v: keys[key][v] for v in sorted(keys[key])}} for key in sorted(keys)]
    numbers = {key: [None if v is None else _number(v) for v in values] for key, values in sorts.items()}
    numeric = {key: all(v is None or n is not None for v, n in zip(sorts[key], numbers[key], strict=True))
               for key in sorts}
    for key in sorted(sorts):
        files.append({"key": key, "values": [_json_number(n) for n in numbers[key]] if numeric[key] else sorts[key]})
    for n, content in enumerate(files):
        (folder / f"{n:04d}.json").write_text(json.dumps(content, ensure_ascii=False, separators=(",", ":")))
    return {"folder": FOLDER, "keys": sorted(keys), "sort": [{"key": k, "numeric": numeric[k]} for k in sorted(sorts)]}


def _json_number(value: float | None) -> int | float | None:
    """An integral value as a JSON integer (5, not 5.0)."""
    return int(value) if value is not None and value.is_integer() and abs(value) < 2**53 else value


def shard_fields(doc: Document) -> dict:
    """What a document's shard row adds for its result: "meta" (but the title, unless it differs from the row's)
    and "filters" ({key: [values]}), each only where there are any."""
    out = {}
    meta = {k: v for k, v in doc.meta if k != "title" or v != doc.title}
    if meta:
        out["meta"] = meta
    if doc.filters:
        grouped: dict[str, list[str]] = {}
        for key, value in doc.filters:
            grouped.setdefault(key, []).append(value)
        out["filters"] = grouped
    return out


class FilterIndex:
    """A built site's filter and sort index, read as the page reads it (hamming_site/web/filters.js)."""

    def __init__(self, site: Path, manifest: dict):
        self.entry = manifest.get("filters")
        self.count = manifest["count"]
        self.site = Path(site)

    def _file(self, n: int) -> dict:
        return json.loads((self.site / self.entry["folder"] / f"{n:04d}.json").read_text(encoding="utf-8"))

    def counts(self) -> dict[str, dict[str, int]]:
        """{key: {value: documents with it}}: the page's filters()."""
        if not self.entry:
            return {}
        files = [self._file(n) for n in range(len(self.entry["keys"]))]
        return {f["key"]: {v: len(docs) for v, docs in f["values"].items()} for f in files}

    def allowed(self, filters: dict | None) -> set[int] | None:
        """The documents filters ({key: [values]}) allow: any of a key's values, every key given; None: no filter."""
        given = [(k, v if isinstance(v, list) else [v]) for k, v in (filters or {}).items()]
        given = [(k, v) for k, v in given if v]
        if not given:
            return None
        keys = self.entry["keys"] if self.entry else []
        allowed: set[int] | None = None
        for key, values in given:
            file = self._file(keys.index(key)) if key in keys else {"values": {}}
            docs = {d for v in values for d in file["values"].get(str(v), [])}
            allowed = docs if allowed is None else allowed & docs
        return allowed

    def sort_values(self, key: str) -> tuple[bool, list] | None:
        """(numeric, one value per document or None) of a sort key; None where the site has none."""
        sorts = self.entry["sort"] if self.entry else []
        at = next((i for i, s in enumerate(sorts) if s["key"] == key), None)
        if at is None:
            return None
        return sorts[at]["numeric"], self._file(len(self.entry["keys"]) + at)["values"]


def sort_results(results: list[dict], numeric: bool, values: list, direction: str) -> list[dict]:
    """results (best first) stably re-ordered by a sort key (hamming_site/web/filters.js's sortResults): numbers as
    numbers where the key is numeric, else strings by code unit; documents without the key left out, as Pagefind
    leaves them out."""
    have = [r for r in results if values[r["index"]] is not None]

    def key(r):
        v = values[r["index"]]
        return v if numeric else v.encode("utf-16-be")  # JavaScript compares strings by UTF-16 code unit

    return sorted(have, key=key, reverse=direction == "desc")  # reverse keeps equal keys in their order


def fill_allowed(results: list[dict], allowed: set[int] | None, k: int, row_of) -> list[dict]:
    """Filtered results short of k, where more documents are allowed: the others appended, by index, unscored
    (hamming_site/web/filters.js's fillAllowed)."""
    if allowed is None or len(results) >= k:
        return results
    have = {r["index"] for r in results}
    more = sorted(d for d in allowed if d not in have)[: k - len(results)]
    return results + [{"index": d, "score": None, "distance": None, "passages": [{"row": row_of(d), "score": None}]}
                      for d in more]
