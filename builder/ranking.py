"""The page's three rankings of a built site, computed from the site's own files exactly as the page computes
them: `semantic` (Hamming + rerank), `lexical` (BM25 + exact titles) and `hybrid` (their fusion, the default).
site-eval, the browser tests' parity checks and the benchmarks all rank through this one class."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.codes import asymmetric, hamming, pack, rank, read_codes
from builder.export import OnnxEncoder
from builder.fusion import fuse
from builder.lexical.index import IndexReader
from builder.lexical.rank import bm25_scores, lexical_order, title_tiers
from builder.student import Tokenizer

RERANK_DEPTH = 100  # the page's worker.js RERANK_DEPTH


@dataclass
class Query:
    """One query's signals: the model's float projection, Hamming distances, keyword scores and title tiers."""

    text: str
    q: np.ndarray
    dist: np.ndarray
    bm25: np.ndarray
    tiers: np.ndarray


class SiteRanker:
    def __init__(self, site: Path, rerank_depth: int = RERANK_DEPTH):
        self.site = Path(site)
        self.manifest = json.loads((self.site / "manifest.json").read_text())
        tokenizer = Tokenizer.from_file(self.site / "tokenizer.json", self.manifest["tokenizer"]["max_length"])
        self.encoder = OnnxEncoder(self.site / "model.onnx", tokenizer)
        self.codes, self.bits = read_codes(self.site / "codes.bin")
        self.reader = IndexReader(self.site, self.manifest)
        self.rerank_depth = rerank_depth
        self.alpha, self.depth = self.manifest["fusion"]["alpha"], self.manifest["fusion"]["depth"]

    def query(self, text: str) -> Query:
        q = self.encoder.encode([text])[0]
        n = len(self.codes)
        return Query(text, q, hamming(pack(q[None, :])[0], self.codes), bm25_scores(self.reader, text, n),
                     title_tiers(self.reader, text, n))

    def semantic(self, query: Query, k: int) -> list[tuple[int, int, float]]:
        """[(index, distance, score)] best first."""
        return rank(query.q, self.codes, self.bits, k, self.rerank_depth, query.dist)

    def lexical(self, query: Query, k: int) -> list[tuple[int, float]]:
        return [(i, float(query.bm25[i])) for i in lexical_order(query.bm25, query.tiers, k)]

    def hybrid(self, query: Query, k: int) -> list[tuple[int, float]]:
        meaning = [r[0] for r in self.semantic(query, max(k, self.depth))]
        return fuse(query.bm25, query.tiers, meaning, lambda c: asymmetric(query.q, self.codes[c], self.bits), k,
                    self.alpha, self.depth)
