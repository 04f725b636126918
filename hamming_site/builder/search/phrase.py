"""A question typed as the site writes it comes first. Among the k results a search shows, those whose document
holds the query's exact text (case and spacing aside) in its title, a passage's heading or a passage's text move
ahead of the others, each keeping its place among its kind, and the passages that hold it become the result's first
sub-results. The keyword side scores words (and CJK bigrams) as a bag, so a phrase of common words ("を設定します。
これは", "the related package") ranks every page that repeats those words above the one section written that way.

The page fetches the shown results' shards to show them, so this costs no byte: a document's passages are read
from its shard's text; a long document's (its text in parts, fetched by passage) only the passages ranked for it,
whose parts the page fetches to show them (the page may fetch a part more, of a window it then shows as one with
another). Offline, a document whose shard the page has not kept holds nothing there, while Python reads it.
Only the first PHRASE_DEPTH results move, and only a query of two words or more, or of three Chinese, Japanese or
Korean characters, is a phrase. The twin of hamming_site/web/phrase.js."""

from __future__ import annotations

import re
from collections.abc import Callable

from hamming_site.builder.lexical.languages import CJK
from hamming_site.builder.output.names import utf16

# the same characters as phrase.js's SPACE: Python's \s and JavaScript's differ at the edges
_SPACES = "\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# a run of two spaces or more, or of other spaces: a lone " " stays (replacing each is most of the time it takes)
_SPACE = re.compile(f" [{_SPACES}]+|[{_SPACES.replace(' ', '')}][{_SPACES}]*")
_CJK3 = re.compile(f"[{CJK}].*[{CJK}].*[{CJK}]", re.S)
# the results re-ordered: the page's first screen (its list shows 10, the widget 8); past them a phrase would lift a
# weak match over the ranking's strong ones (CACM test, nDCG@10 of the first 100 re-ordered: 0.500 -> 0.496)
PHRASE_DEPTH = 10


def phrase_key(text: str) -> str:
    """Text as a phrase is compared: lower case, each run of spaces one space, none at either end."""
    return _SPACE.sub(" ", text.lower()).strip(" ")


def phrase_of(query: str) -> str | None:
    """The query's phrase, or None where it is one word (a word is the keyword side's: nothing to add)."""
    key = phrase_key(query)
    return key if " " in key or _CJK3.search(key) else None


def spans_of(doc: dict) -> list[dict]:
    """A document's passages as its shard lists them ({start, end, heading?, anchor?, part?}), or one for its
    whole text (offsets in UTF-16 units, as the page slices)."""
    return doc.get("passages") or [{"start": 0, "end": len(utf16(doc.get("text", ""))) // 2}]


def holding(result: dict, doc: dict, first: int, phrase: str, text_of: Callable[[dict], str],
            per_doc: int) -> list[int] | None:
    """The rows of the result's document whose passages hold phrase, one a section (a long section's windows share
    its heading and anchor, and the page shows them as one), per_doc at most: those ranked for it first (best
    first), then, where the shard holds the document's text, the others in the document's order; [] where only its
    title does; None where nothing does. text_of(span): that passage's text."""
    spans = spans_of(doc)
    ranked = [p["row"] - first for p in result["passages"]]
    others = [i for i in range(len(spans)) if i not in ranked] if "text" in doc else []
    rows, sections = [], set()
    for i in ranked + others:
        section = (spans[i].get("heading", ""), spans[i].get("anchor", ""))
        if section in sections:
            continue
        if phrase in phrase_key(spans[i].get("heading", "")) or phrase in phrase_key(text_of(spans[i])):
            rows.append(first + i)
            sections.add(section)
            if len(rows) == per_doc:
                break
    return rows if rows or phrase in phrase_key(doc.get("title", "")) else None


def moved(result: dict, rows: list[int], per_doc: int) -> dict:
    """The result with the passages of `rows` as its first sub-results (each at its own score where it was
    ranked, else at the result's best passage's), the others after them in their order, per_doc at most."""
    scores = {p["row"]: p["score"] for p in result["passages"]}
    best = result["passages"][0]["score"]
    ahead = [{"row": row, "score": scores.get(row, best)} for row in rows]
    rest = [p for p in result["passages"] if p["row"] not in rows]
    return {**result, "passages": [*ahead, *rest][:per_doc]}


def phrase_first(results: list[dict], phrase: str | None, rows: list[int | None], per_doc: int) -> list[dict]:
    """results (best first) with those of the first len(rows) holding phrase first, the others after them and
    the rest as they were; rows: the first results' `holding` rows (None: it does not hold the phrase)."""
    if phrase is None:
        return results
    head = results[: len(rows)]
    ahead = [moved(r, row, per_doc) for r, row in zip(head, rows, strict=True) if row is not None]
    return ahead + [r for r, row in zip(head, rows, strict=True) if row is None] + results[len(rows) :]
