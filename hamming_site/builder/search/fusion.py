"""Hybrid ranking, the page's default: the keyword (BM25) and meaning (Hamming + rerank) candidates, each
scored by both signals, min-max normalised over their union and mixed; exact titles first. The same
definition as hamming_site/web/fusion.js's fuse(), parity-tested (tests/test_lexical.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from hamming_site.builder.search.lexical import lexical_order


def _unit(x: np.ndarray) -> np.ndarray:
    """Min-max scaled to [0, 1]; an unknown value (NaN: a row whose cluster the query did not fetch) counts as the
    lowest, 0."""
    known = ~np.isnan(x)
    if not known.any():
        return np.zeros_like(x)
    lo, hi = x[known].min(), x[known].max()
    return np.where(known, (x - lo) / (hi - lo), 0.0) if hi > lo else np.zeros_like(x)


def across_alphas(fusion: dict, text: str, documents: int) -> np.ndarray | None:
    """Each document's weight of meaning in the hybrid ranking of `text` (fusion.js's acrossAlphas), or None where
    every document takes the manifest's alpha: a document written in another script than Latin letters (the
    manifest's fusion "across": the scripts' letters and each document's, run-length coded) takes the across alpha
    where the question has letters but none of its script's. An English question's words can match only names and
    stray English in a Japanese page, which min-max scaling would make look as strong as a real match; in the
    site's English pages they keep their weight."""
    across = fusion.get("across")
    if not across or not any(c.isalpha() for c in text):
        return None
    foreign = np.array([False] + [not re.search(f"[{letters}]", text) for letters in across["scripts"]])
    if not foreign.any():
        return None
    script = np.repeat(np.array([s for s, _ in across["documents"]], dtype=np.int64),
                       np.array([n for _, n in across["documents"]], dtype=np.int64))
    assert len(script) == documents, "fusion.across.documents does not count the site's documents"
    return np.where(foreign[script], across["alpha"], fusion["alpha"])


def fuse(bm25: np.ndarray, tiers: np.ndarray, semantic: list[int], semantic_score: Callable[[np.ndarray], np.ndarray],
         k: int, alpha: float | np.ndarray, depth: int) -> list[tuple[int, float]]:
    """[(index, fused score)] best first.

    bm25: every document's integer keyword score; tiers: exact-title tier per document (search/lexical.py);
    semantic: the meaning ranking's indices, best first; semantic_score: the asymmetric score of any documents
    (NaN where the query did not fetch a row's codes).
    Candidates: the first `depth` of each ranking and every titled match. Fused = alpha * semantic + (1 - alpha) *
    bm25, each min-max scaled over the candidates (alpha: one for all, or an array of each index's); sorted by
    tier, fused score descending, index ascending.
    """
    lexical = lexical_order(bm25, tiers, depth)
    titled = np.flatnonzero(tiers).tolist()
    cand = np.array(sorted(set(lexical) | set(semantic[:depth]) | set(titled)), dtype=np.int64)
    if not len(cand):
        return []
    a = alpha if np.isscalar(alpha) else np.asarray(alpha, dtype=np.float64)[cand]  # or each index's (across_alphas)
    fused = a * _unit(np.asarray(semantic_score(cand), dtype=np.float64)) + (1 - a) * _unit(
        bm25[cand].astype(np.float64))
    order = np.lexsort((cand, -fused, -tiers[cand]))[:k]
    return [(int(cand[i]), float(fused[i])) for i in order]
