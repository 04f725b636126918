"""The one tokenization of the keyword index, applied identically by the page (hamming_site/web/lexical.js):
lower-case, split into runs of letters and digits, drop the language's stop words, stem with its Snowball stemmer
(lexical/languages.py: English is Lucene's stop words and Porter2, as before), and in Chinese, Japanese and Korean
cut runs of their characters into overlapping bigrams. A page's words are tokenized in its language; a query's in
every language of the site (each word's distinct stems, in the languages' order), since nothing says which it is
in. Parity with the page is tested on every word of the example corpus and on real text in each language.

Why PyStemmer 2.2.0.3 exactly: the page stems with the npm package porter2 1.1.0, which matches Snowball
2.2's English rules on every word tested (70,000 words: Snowball's own test vocabulary and the corpora here;
tests/test_lexical.py) but not Snowball 3's (76 words differ, e.g. `international`); a newer PyStemmer
would make the build and the page disagree on those words.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from hamming_site.builder.lexical.languages import CJK, STEMMERS, stopwords

# Lucene's EnglishAnalyzer stop set (also bm25s's "en"): short, so that words like "not" and "no" in titles
# still count where they are not in it; measured against no stop words on SciFact train (docs/benchmarks.md).
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they "
    "this to was will with".split()
)
_WORD = re.compile(r"[^\W_]+")  # letters and digits (str.isalnum), as the page's /[\p{L}\p{N}]+/gu
_stemmer = Stemmer.Stemmer("english")
EXACT, LOOSE = "=", "~"  # prefixes of the title keys: no word term holds either character
REVERSED = "<"  # prefix of the reversed keys (a term written backwards: expand.py looks for typos with them)


# Whitespace as both Python and JavaScript define it (str.split and /\s/ each add a few code points of their own).
_SPACE = re.compile("[\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # porter2 (JavaScript) counts UTF-16 code units, PyStemmer code points: they disagree on words holding a
    # character outside the Basic Multilingual Plane, so those are left as they are on both sides
    return word if any(ord(c) > 0xFFFF for c in word) else _stemmer.stemWord(word)


# CJK (languages.py): the characters cut into bigrams, han, kana, hangul (the page's lexical.js CJK); a run of one
# stays one term
_CJK_SPLIT = re.compile(f"[{CJK}]+|[^{CJK}]+")
CJK_CHAR = re.compile(f"[{CJK}]")


@lru_cache(maxsize=64)
def _snowball(code: str):
    return Stemmer.Stemmer(STEMMERS[code])


@lru_cache(maxsize=400_000)
def _stem_in(word: str, code: str) -> str:
    if code == "en":
        return _stem(word)
    if code not in STEMMERS or any(ord(c) > 0xFFFF for c in word):
        return word
    return _snowball(code).stemWord(word)


def plain(word: str) -> bool:
    """A word that typos and prefixes apply to (expand.py): no CJK character (bigrams already match a part of those)
    and none outside the Basic Multilingual Plane (where the page and Python count and reverse differently)."""
    return not CJK_CHAR.search(word) and all(ord(c) <= 0xFFFF for c in word)


def bigrams(run: str) -> list[str]:
    """A run of CJK characters as its overlapping pairs ("日本語" -> "日本", "本語"); a lone character as itself."""
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


def words(text: str) -> list[str]:
    """Lower-cased runs of letters and digits: what the page highlights and what titles compare on."""
    return _WORD.findall(text.lower())


def stops(code: str) -> frozenset[str]:
    """The words the keyword index leaves out of a language: English's STOPWORDS, the others' none (languages.py)."""
    return STOPWORDS if code == "en" else stopwords(code)


def terms(text: str, languages: tuple[str, ...] = ("en",), cjk: bool = False) -> list[str]:
    """The index terms of a text, in order, repeats kept (BM25 counts them): a page's in its language, a query's in
    each of the site's (each word's distinct stems, in the order of `languages`; a stop word of any of them left
    out). CJK runs are cut into bigrams unless `languages` is English alone and not `cjk` (a page's `languages` is
    its own: the index passes cjk on a site not all English, whose queries cut them)."""
    return [t for word in word_terms(text, languages, cjk) for t in word]


def word_terms(text: str, languages: tuple[str, ...] = ("en",), cjk: bool = False) -> list[list[str]]:
    """terms() word by word: each word's distinct stems (one a language), each CJK bigram on its own; stop words
    left out (lexical.js's wordTerms)."""
    if languages == ("en",) and not cjk:  # English alone, the common case, byte for byte as before: runs whole
        return [[_stem(w)] for w in words(text) if w not in STOPWORDS]
    # CJK runs are bigrams in every other case: a Russian page's Japanese term is found by any part of it, as a
    # Japanese page's is
    # A stop word of any of the languages is left out of all: a French page holding an untranslated English
    # paragraph indexes its "the" as French, so an English question's "the is in" kept as French terms ranked the
    # half-translated pages first (debian-handbook fr-FR, a piece of a section's text found in the top 3: 83.2 %
    # keeping them, 91.8 % leaving them out; docs/benchmarks.md)
    left_out = frozenset().union(*(stops(code) for code in languages))
    out: list[list[str]] = []
    for word in words(text):
        for part in _CJK_SPLIT.findall(word) if CJK_CHAR.search(word) else (word,):
            if CJK_CHAR.match(part):
                out.extend([b] for b in bigrams(part))
            elif part not in left_out:
                out.append(list(dict.fromkeys(_stem_in(part, code) for code in languages)))
    return out


def query_terms(text: str, languages: tuple[str, ...] = ("en",)) -> list[str]:
    """The distinct terms of a query, in first-seen order (what the page highlights)."""
    return list(dict.fromkeys(terms(text, languages)))


def query_term_counts(text: str, limit: int, languages: tuple[str, ...] = ("en",)) -> list[tuple[str, int]]:
    """The terms a query's keyword ranking counts, each with how often the query repeats it (BM25's query-term
    frequency: a word a long question uses three times is what it is about): the most repeated first, ties in
    first-seen order, at most `limit` of them (a pasted page fetches at most that many chunks). Depends on the
    query alone, so the page, Python and an offline page count the same terms (hamming_site/web/lexical.js's
    queryTermCounts)."""
    counts: dict[str, int] = {}
    for term in terms(text, languages):
        counts[term] = counts.get(term, 0) + 1
    return sorted(counts.items(), key=lambda kv: -kv[1])[:limit]  # sorted() is stable: first-seen within a count


def query_words(text: str, limit: int, languages: tuple[str, ...] = ("en",)) -> list[list[str]]:
    """The query's distinct words, each as its terms (word_terms), in first-seen order, at most `limit`: what
    "holds the whole question" counts (search/lexical.py's coverage; lexical.js's queryWords)."""
    return [list(w) for w in dict.fromkeys(tuple(w) for w in word_terms(text, languages))][:limit]


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
