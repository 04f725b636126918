"""The page's keyword ranking (hamming_site/web/lexical.js's bm25Scores, titleTiers and lexicalOrder), in Python
for site-eval."""

from __future__ import annotations

import numpy as np

from hamming_site.builder.lexical.index import IndexReader
from hamming_site.builder.lexical.tokenize import query_term_counts, title_keys


def bm25_scores(reader: IndexReader, query: str, count: int) -> np.ndarray:
    """Integer BM25 score of every document (0 where no query term occurs): the sum over the query's terms of
    the term's impact times how often the query repeats the term (docs/benchmarks.md, issue #26: SciFact and
    Cranfield unchanged within 0.003, CACM's long questions 0.443 -> 0.495)."""
    scores = np.zeros(count, dtype=np.int64)
    languages = tuple(reader.meta.get("languages", ("en",)))
    for term, qtf in query_term_counts(query, reader.meta["max_query_terms"], languages):
        docs, weights = reader.postings(term)
        np.add.at(scores, np.asarray(docs, dtype=np.int64), qtf * np.asarray(weights, dtype=np.int64))
    return scores


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
