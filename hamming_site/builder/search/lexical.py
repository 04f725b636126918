"""The page's keyword ranking (hamming_site/web/lexical.js's bm25Scores, titleTiers and lexicalOrder), in Python
for site-eval."""

from __future__ import annotations

from collections import Counter

import numpy as np

from hamming_site.builder.lexical.expand import Group, expand
from hamming_site.builder.lexical.index import IndexReader
from hamming_site.builder.lexical.tokenize import query_term_counts, query_words, title_keys


def expansions(reader: IndexReader, query: str) -> list[Group]:
    """The query's half-typed and mistyped words' terms (expand.py), [] on a site built before them."""
    rules = reader.meta.get("expand")
    if not rules:
        return []
    languages = tuple(reader.meta.get("languages", ("en",)))
    return expand(query, languages, rules, reader.meta["chunks"], reader.chunk)


def static_counts(query_terms: list[str], groups, meta: dict) -> dict[str, float]:
    """The static encoder's term weights for a query (static.js's staticCounts): each of its terms as often as it
    repeats it, then the first `static_terms` terms of each expanded word at half a word's weight (exact in
    float32, so the page's sum is Python's)."""
    counts: dict[str, float] = dict(Counter(query_terms))
    take = meta.get("expand", {}).get("static_terms", 0)
    for group in groups:
        for term, _, _ in group.terms[:take]:
            counts.setdefault(term, 0.5)
    return counts


def bm25_scores(reader: IndexReader, query: str, count: int, groups=None) -> np.ndarray:
    """Integer BM25 score of every document (0 where no query term occurs): the sum over the query's terms of
    the term's impact times how often the query repeats the term (docs/benchmarks.md, issue #26: SciFact and
    Cranfield unchanged within 0.003, CACM's long questions 0.443 -> 0.495), plus for each expanded word
    (groups: expansions(), computed here where None) what the best of its terms' impact x numerator // denominator
    gives beyond the best of the word's own terms."""
    scores = np.zeros(count, dtype=np.int64)
    languages = tuple(reader.meta.get("languages", ("en",)))
    for term, qtf in query_term_counts(query, reader.meta["max_query_terms"], languages):
        docs, weights = reader.postings(term)
        np.add.at(scores, np.asarray(docs, dtype=np.int64), qtf * np.asarray(weights, dtype=np.int64))
    for group in expansions(reader, query) if groups is None else groups:
        own, best = np.zeros(count, dtype=np.int64), np.zeros(count, dtype=np.int64)
        for into, entries in ((own, [(t, 1, 1) for t in group.own]), (best, group.terms)):
            for term, num, den in entries:
                docs, weights = reader.postings(term)
                docs = np.asarray(docs, dtype=np.int64)
                into[docs] = np.maximum(into[docs], np.asarray(weights, dtype=np.int64) * num // den)
        scores += np.maximum(best - own, 0)
    return scores


def held_words(query: str, meta: dict, groups) -> list[list[str]]:
    """The query's words as coverage counts them, each as the terms that hold it (lexical.js's heldWords): its
    distinct words (query_words; a CJK bigram is one) whose terms are all among those its keyword ranking counts
    (query_term_counts: a long question fetches no chunk more), each held by any of its terms (one stem a language)
    or of its expansion's (groups: a half-typed or mistyped word is held where what it expands to is)."""
    languages = tuple(meta.get("languages", ("en",)))
    counted = {t for t, _ in query_term_counts(query, meta["max_query_terms"], languages)}
    out = []
    for word in query_words(query, meta["max_query_terms"], languages):
        if all(t in counted for t in word):
            more = [t for g in groups if set(g.own) & set(word) for t, _, _ in g.terms]
            out.append(list(dict.fromkeys(word + more)))
    return out


def coverage(reader: IndexReader, query: str, count: int, groups) -> tuple[np.ndarray, int]:
    """(how many of the query's words each row holds, how many words it has): held_words' (lexical.js's
    coverage). A row holding every one is a keyword match however the meaning ranks it (fusion.py's
    across_alphas)."""
    held = np.zeros(count, dtype=np.int64)
    found = held_words(query, reader.meta, groups)
    for word in found:
        has = np.zeros(count, dtype=bool)
        for term in word:
            has[np.asarray(reader.postings(term)[0], dtype=np.int64)] = True
        held += has
    return held, len(found)


def title_tiers(reader: IndexReader, query: str, count: int) -> np.ndarray:
    """2 where a document's title equals the query as written, 1 where it equals it ignoring case and
    punctuation, else 0: exact titles rank first, whatever the rest of the ranking says."""
    tiers = np.zeros(count, dtype=np.int8)
    exact, loose = title_keys(query)
    for key, tier in ((loose, 1), (exact, 2)):
        if key is not None:
            docs, _ = reader.postings(key)
            tiers[np.asarray(docs, dtype=np.int64)] = tier
    return tiers


def lexical_order(scores: np.ndarray, tiers: np.ndarray, k: int) -> list[int]:
    """Documents with a keyword or title match: title tier, then score descending, then index ascending."""
    hit = np.flatnonzero((scores > 0) | (tiers > 0))
    order = np.lexsort((hit, -scores[hit], -tiers[hit]))
    return hit[order][:k].tolist()
