"""The one tokenization of the keyword index, applied identically by the page (hamming_site/web/lexical.js):
lower-case, split into runs of letters and digits, drop Lucene's English stop words, stem with Snowball's
English (Porter2) stemmer. Parity with the page is tested on every word of the example corpus.

Why PyStemmer 2.2.0.3 exactly: the page stems with the npm package porter2 1.1.0, which matches Snowball
2.2's English rules on every word tested (70,000 words: Snowball's own test vocabulary and the corpora here;
tests/test_lexical.py) but not Snowball 3's (76 words differ, e.g. `international`); a newer PyStemmer
would make the build and the page disagree on those words.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

# Lucene's EnglishAnalyzer stop set (also bm25s's "en"): short, so that words like "not" and "no" in titles
# still count where they are not in it; measured against no stop words on SciFact train (docs/benchmarks.md).
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they "
    "this to was will with".split()
)
_WORD = re.compile(r"[^\W_]+")  # letters and digits (str.isalnum), as the page's /[\p{L}\p{N}]+/gu
_stemmer = Stemmer.Stemmer("english")
EXACT, LOOSE = "=", "~"  # prefixes of the title keys: no word term holds either character


# Whitespace as both Python and JavaScript define it (str.split and /\s/ each add a few code points of their own).
_SPACE = re.compile("[\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # porter2 (JavaScript) counts UTF-16 code units, PyStemmer code points: they disagree on words holding a
    # character outside the Basic Multilingual Plane, so those are left as they are on both sides
    return word if any(ord(c) > 0xFFFF for c in word) else _stemmer.stemWord(word)


def words(text: str) -> list[str]:
    """Lower-cased runs of letters and digits: what the page highlights and what titles compare on."""
    return _WORD.findall(text.lower())


def terms(text: str) -> list[str]:
    """The index terms of a text, in order, repeats kept (BM25 counts them)."""
    return [_stem(w) for w in words(text) if w not in STOPWORDS]


def query_terms(text: str) -> list[str]:
    """The distinct terms of a query, in first-seen order (what the page highlights)."""
    return list(dict.fromkeys(terms(text)))


def query_term_counts(text: str, limit: int) -> list[tuple[str, int]]:
    """The terms a query's keyword ranking counts, each with how often the query repeats it (BM25's query-term
    frequency: a word a long question uses three times is what it is about): the most repeated first, ties in
    first-seen order, at most `limit` of them (a pasted page fetches at most that many chunks). Depends on the
    query alone, so the page, Python and an offline page count the same terms (hamming_site/web/lexical.js's
    queryTermCounts)."""
    counts: dict[str, int] = {}
    for term in terms(text):
        counts[term] = counts.get(term, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:limit]  # sorted() is stable: first-seen within a count


def fnv1a64(data: bytes) -> int:
    """64-bit FNV-1a: short, fixed-size title keys that the page computes the same way (lexical.js)."""
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def title_keys(title: str) -> tuple[str | None, str | None]:
    """The index keys under which a title (or a query) is looked up for exact-title matches: the title as
    written (spaces collapsed), and the title ignoring case and punctuation (its words joined by one space).
    Hashed, so that long titles cost 17 bytes a key; None where there is nothing to match."""
    exact = " ".join(w for w in _SPACE.split(title) if w)
    loose = " ".join(words(title))
    def key(prefix: str, text: str) -> str | None:
        return f"{prefix}{fnv1a64(text.encode('utf-8')):016x}" if text else None
    return key(EXACT, exact), key(LOOSE, loose)


def sort_key(key: str) -> bytes:
    """Keys sort by UTF-16 code units, as JavaScript compares strings (the page finds chunks by comparing)."""
    return key.encode("utf-16-be")
