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


def _runs(runs: list[list[int]]) -> np.ndarray:
    """Run-length coded [[value, count], ...] -> each document's value."""
    return np.repeat(np.array([v for v, _ in runs], dtype=np.int64), np.array([n for _, n in runs], dtype=np.int64))


def across_alphas(fusion: dict, text: str, documents: int, row_doc: np.ndarray | None = None,
                  held: np.ndarray | None = None, words: int = 0) -> np.ndarray | None:
    """Each row's weight of meaning in the hybrid ranking of `text` (fusion.js's acrossAlphas), or None where every
    row takes the manifest's alpha. The manifest's fusion "across" (a site with a document not in English: the
    across alpha, the letters of each script other than Latin, and each document's script and whether it is in
    English, run-length coded) makes a row lean on meaning (the across alpha) where the question has letters and
    the row does not hold every one of its `words` (held: each row's count, lexical.py's coverage), and either
    - its document is written in a script the question has no letter of (an English question in a Japanese page:
      its words match only names and stray English, which min-max scaling would make look as strong as a real
      match), or
    - its document is not in English and no row holds the whole question (an English question in a German page
      cannot be told by its letters; a question that no passage holds word for word is one for meaning).
    Where some row leans, a row holding the whole question (an untranslated English passage of a Japanese page)
    leans as far on its keywords (1 - the across alpha, where that is below the site's alpha): a passage that holds
    the question word for word is as sure a keyword match as the others are meaning matches (debian-handbook ja-JP,
    docs/benchmarks.md "Across languages").
    row_doc: each row's document (None: rows are documents)."""
    across = fusion.get("across")
    if not across or not any(c.isalpha() for c in text):
        return None
    foreign = np.array([False] + [not re.search(f"[{letters}]", text) for letters in across["scripts"]])
    rows = documents if row_doc is None else len(row_doc)
    whole = held == words if words and held is not None else np.zeros(rows, dtype=bool)
    lean = foreign[_runs(across["documents"])]
    if "english" in across and not whole.any():  # without "english" (an English teacher, an older site): scripts
        lean |= _runs(across["english"]) == 0
    assert len(lean) == documents, "fusion.across does not count the site's documents"
    if row_doc is not None:
        lean = lean[row_doc]
    lean &= ~whole
    if not lean.any():
        return None
    keyword = min(fusion["alpha"], 1 - across["alpha"])
    return np.where(lean, across["alpha"], np.where(whole, keyword, fusion["alpha"]))


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
