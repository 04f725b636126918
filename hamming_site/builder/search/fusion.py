"""Hybrid ranking, the page's default: the keyword (BM25) and meaning (Hamming + rerank) candidates, each
scored by both signals, min-max normalised over their union and mixed; exact titles first. The same
definition as hamming_site/web/fusion.js's fuse(), parity-tested (tests/test_lexical.py)."""

from __future__ import annotations

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


def fuse(bm25: np.ndarray, tiers: np.ndarray, semantic: list[int], semantic_score: Callable[[np.ndarray], np.ndarray],
         k: int, alpha: float, depth: int) -> list[tuple[int, float]]:
    """[(index, fused score)] best first.

    bm25: every document's integer keyword score; tiers: exact-title tier per document (search/lexical.py);
    semantic: the meaning ranking's indices, best first; semantic_score: the asymmetric score of any documents
    (NaN where the query did not fetch a row's codes).
    Candidates: the first `depth` of each ranking and every titled match. Fused = alpha * semantic + (1 - alpha) *
    bm25, each min-max scaled over the candidates; sorted by tier, fused score descending, index ascending.
    """
    lexical = lexical_order(bm25, tiers, depth)
    titled = np.flatnonzero(tiers).tolist()
    cand = np.array(sorted(set(lexical) | set(semantic[:depth]) | set(titled)), dtype=np.int64)
    if not len(cand):
        return []
    fused = alpha * _unit(np.asarray(semantic_score(cand), dtype=np.float64)) + (1 - alpha) * _unit(
        bm25[cand].astype(np.float64))
    order = np.lexsort((cand, -fused, -tiers[cand]))[:k]
    return [(int(cand[i]), float(fused[i])) for i in order]
