"""The page's rankings of a built site, computed from the site's own files exactly as the page computes them:
`semantic` (the transformer's Hamming + rerank), `lexical` (BM25 + exact titles), `hybrid` (their fusion, the
default), and with the static encoder (a table row per word, hamming_site/builder/model/static.py) `lite` (its Hamming +
rerank) and `hybrid-lite` (its fusion with the keyword ranking).
site-eval, the browser tests' parity checks and the benchmarks all rank through this one class."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hamming_site.builder.lexical.index import IndexReader
from hamming_site.builder.lexical.tokenize import terms
from hamming_site.builder.model.export import OnnxEncoder
from hamming_site.builder.model.student import Tokenizer
from hamming_site.builder.output.clusters import ClusterIndex
from hamming_site.builder.output.codes import asymmetric, hamming, pack, rank, read_codes
from hamming_site.builder.output.filters import FilterIndex, fill_allowed, sort_results
from hamming_site.builder.output.names import documents, passage_text, site_file, utf16, utf16_slice
from hamming_site.builder.output.static import StaticReader
from hamming_site.builder.search.fusion import across_alphas, fuse
from hamming_site.builder.search.lexical import (
    bm25_scores,
    coverage,
    expansions,
    lexical_order,
    static_counts,
    title_tiers,
)
from hamming_site.builder.search.phrase import PHRASE_DEPTH, holding, phrase_first, phrase_of

RERANK_DEPTH = 100  # the page's worker.js RERANK_DEPTH
PASSAGES_PER_RESULT = 3  # a result's sub-results: its best passages (fusion.js's byDocument)
SEMANTIC_ROWS_PER_RESULT = 4  # meaning-only ranking of split documents: rows ranked for each result wanted


def by_document(rows: list[tuple[int, float, int | None]], row_doc: np.ndarray | None, k: int,
                per_doc: int = PASSAGES_PER_RESULT) -> list[dict]:
    """Rows (passages) ranked best first -> documents ranked by their best row, each with its best `per_doc`
    rows: [{index, score, distance, passages: [{row, score}]}]. row_doc None: rows are documents.
    The same definition as hamming_site/web/fusion.js's byDocument."""
    out: dict[int, dict] = {}
    for row, score, distance in rows:
        doc = row if row_doc is None else int(row_doc[row])
        hit = out.get(doc)
        if hit is None:
            if len(out) == k:
                continue
            hit = out[doc] = {"index": doc, "score": score, "distance": distance, "passages": []}
        if len(hit["passages"]) < per_doc:
            hit["passages"].append({"row": row, "score": score})
    return list(out.values())


@dataclass
class Query:
    """One query's signals: the model's float projection, Hamming distances, keyword scores and title tiers."""

    text: str
    q: np.ndarray | None  # None on a --meaning lite site
    dist: np.ndarray | None
    bm25: np.ndarray
    tiers: np.ndarray
    lite: np.ndarray | None = None  # the static encoder's vector (None: the site has no static table)
    lite_dist: np.ndarray | None = None
    # how many of the query's words each row holds, and how many it has (lexical.py's coverage: words the keyword
    # ranking counts, a CJK bigram one); None, 0 on a site without fusion "across", which never reads them
    held: np.ndarray | None = None
    words: int = 0


class SiteRanker:
    def __init__(self, site: Path, rerank_depth: int = RERANK_DEPTH):
        self.site = Path(site)
        self.manifest = json.loads((self.site / "manifest.json").read_text())
        self.encoder = None  # a --meaning lite site has no transformer
        if self.manifest["model"]:
            tokenizer = Tokenizer.from_file(self.site / self.file("tokenizer.json"),
                                            self.manifest["tokenizer"]["max_length"])
            self.encoder = OnnxEncoder(self.site / self.file("model.onnx"), tokenizer)
        self.codes, self.bits = read_codes(self.site / self.file("codes.bin"))
        rows = self.manifest.get("passages", {}).get("count", self.manifest["count"])
        # None when no document was split: rows are documents (the page then skips passages.bin too)
        self.row_doc = (np.fromfile(self.site / self.file("passages.bin"), dtype="<u4").astype(np.int64)
                        if rows != self.manifest["count"] else None)
        self.reader = IndexReader(self.site, self.manifest)
        self.languages = tuple(self.manifest["lexical"].get("languages", ("en",)))  # what a query is tokenized in
        self.rerank_depth = rerank_depth
        self.alpha, self.depth = self.manifest["fusion"]["alpha"], self.manifest["fusion"]["depth"]
        static = self.manifest.get("static")
        self.static = StaticReader(self.site, static) if static else None
        self.clusters = self.manifest.get("clusters")
        # what the page reads: the centroids, and each cluster's rows (its codes are codes.bin's)
        self.cluster_index = ClusterIndex(self.site, self.clusters) if self.clusters else None
        self.filter_index = FilterIndex(self.site, self.manifest)
        self._documents: list[dict] | None = None  # read on the first phrase (the shards the page fetches to show)

    def file(self, name: str) -> str:
        """Where the site keeps model.onnx, tokenizer.json, codes.bin or passages.bin (its content name)."""
        return site_file(self.manifest, name)

    def probed(self, q: np.ndarray, light: bool = True) -> np.ndarray | None:
        """The rows whose codes the page fetches for the query vector q (of the static encoder where light, else of
        the transformer), ascending; None: all of them."""
        if not self.clusters or (not light and self.clusters.get("transformer") == "whole"):
            return None
        return self.cluster_index.rows_for(q)

    def meaning(self, q: np.ndarray, dist: np.ndarray, k: int, light: bool = True) -> list[tuple[int, int, float]]:
        """[(row, distance, score)]: the page's Hamming + rerank of q over the rows it fetches."""
        return self._ranked_over(q, dist, k, self.probed(q, light))

    def _ranked_over(self, q: np.ndarray, dist: np.ndarray, k: int, rows: np.ndarray | None):
        """Hamming + rerank of q over `rows` (ascending; None: all of them), as [(row, distance, score)]."""
        if rows is None:
            return rank(q, self.codes, self.bits, k, self.rerank_depth, dist)
        ranked = rank(q, self.codes[rows], self.bits, k, self.rerank_depth, dist[rows])
        return [(int(rows[i]), d, s) for i, d, s in ranked]

    def query(self, text: str, q: np.ndarray | None = None) -> Query:
        """The query's signals; q: the transformer's vector where the caller has it (the page's own, in the parity
        tests: two ONNX runtimes round differently, the ranking from one vector must not differ at all)."""
        if q is None and self.encoder is not None:
            q = self.encoder.encode([text])[0]
        q = None if q is None else np.asarray(q, dtype=np.float32)
        n = len(self.codes)
        groups = expansions(self.reader, text)
        lite = self.static.encode(static_counts(terms(text, self.languages), groups, self.reader.meta)) \
            if self.static is not None else None
        return Query(text, q, None if q is None else hamming(pack(q[None, :])[0], self.codes),
                     bm25_scores(self.reader, text, n, groups), title_tiers(self.reader, text, n), lite,
                     None if lite is None else hamming(pack(lite[None, :])[0], self.codes),
                     *(coverage(self.reader, text, n, groups) if self.manifest["fusion"].get("across") else (None, 0)))

    def results(self, query: Query, k: int, mode: str = "hybrid", filters: dict | None = None,
                sort: dict | None = None) -> list[dict]:
        """What the page's search(text, k, {mode, filters, sort}) ranks: documents by their best passage, with their
        best passages: [{index, score, distance, passages: [{row, score}]}]. filters ({key: [values]}) apply before
        the top k; a sort ({key: "asc" | "desc"}) re-orders the first fusion-depth results (those without the key
        left out), then takes k (the page's rankWith); without one, those of the first 10 holding the query as
        written come first, with the passages holding it (phrase_first)."""
        allowed = self.filter_index.allowed(filters)
        key, direction = next(iter((sort or {}).items()), (None, None))
        want = max(k, self.depth) if key else k
        out = fill_allowed(self._results(query, want, mode, allowed), allowed, want, self.first_row)
        values = self.filter_index.sort_values(key) if key else None
        if values:
            return sort_results(out, *values, direction)[:k]
        return self.phrase_first(out[:k], query.text)

    def phrase_first(self, results: list[dict], text: str) -> list[dict]:
        """The results with those holding the query's exact text first (phrase.py; the page's phraseFirst)."""
        phrase = phrase_of(text)
        if phrase is None or not results:
            return results
        if self._documents is None:  # the shards the page fetches to show the results
            self._documents = documents(self.site)
        rows = []
        for r in results[:PHRASE_DEPTH]:
            doc = self._documents[r["index"]]
            rows.append(holding(r, doc, self.first_row(r["index"]), phrase, self._text_of(r["index"], doc),
                                PASSAGES_PER_RESULT))
        return phrase_first(results, phrase, rows, PASSAGES_PER_RESULT)

    def _text_of(self, index: int, doc: dict):
        """span -> its text, as the page slices it (names.py's passage_text), the document's UTF-16 encoded once."""
        if "text" not in doc:
            return lambda span: passage_text(self.site, self.manifest, index, doc, span)
        units = utf16(doc["text"])
        return lambda span: utf16_slice(units, span["start"], span["end"])

    def first_row(self, doc: int) -> int:
        return doc if self.row_doc is None else int(np.searchsorted(self.row_doc, doc))

    def _results(self, query: Query, k: int, mode: str, allowed: set[int] | None) -> list[dict]:
        split = self.row_doc is not None
        n = len(self.codes)
        if self.encoder is None:  # a --meaning lite site: the page's hybrid and semantic are its static encoder's
            mode = {"hybrid": "hybrid-lite", "semantic": "lite"}.get(mode, mode)
        if mode in ("lite", "hybrid-lite"):
            if query.lite is None:
                raise ValueError(f"mode {mode}: this site has no static encoder (built with --meaning full)")
            q, dist = query.lite, query.lite_dist
        else:
            q, dist = query.q, query.dist
        light = mode in ("lite", "hybrid-lite")
        bm25, tiers = query.bm25, query.tiers
        if allowed is not None:  # filtered: the other documents' rows out of the keyword side, last on the meaning's
            ok = np.isin(np.arange(n) if self.row_doc is None else self.row_doc, np.fromiter(allowed, dtype=np.int64))
            bm25, tiers = np.where(ok, bm25, 0), np.where(ok, tiers, 0)
            dist = None if dist is None else np.where(ok, dist, self.bits + 1)
        if mode in ("semantic", "lite"):
            want = min(n, k * SEMANTIC_ROWS_PER_RESULT) if split else k
            rows = [(i, s, d) for i, d, s in self.meaning(q, dist, want, light) if d <= self.bits]
        elif mode == "lexical":
            rows = [(i, float(bm25[i]), None) for i in lexical_order(bm25, tiers, n if split else k)]
        elif mode in ("hybrid", "hybrid-lite"):
            fetched = self.probed(q, light)  # a row whose codes were not fetched has no meaning score: the lowest
            meaning = [r[0] for r in self._ranked_over(q, dist, max(k, self.depth), fetched) if r[1] <= self.bits]
            known = np.ones(n, dtype=bool) if fetched is None else np.isin(np.arange(n), fetched)
            fused = fuse(bm25, tiers, meaning,
                         lambda c: np.where(known[c], asymmetric(q, self.codes[c], self.bits), np.nan),
                         n if split else k, self._alpha(query, light), self.depth)
            rows = [(i, s, int(dist[i]) if known[i] else None) for i, s in fused]
        else:
            raise ValueError(f"unknown mode {mode}")
        return by_document(rows, self.row_doc, k)

    def _alpha(self, query: Query, light: bool) -> float | np.ndarray:
        """The weight of meaning, one or each row's: the transformer's hybrid leans on meaning in the rows that a
        question cannot match word for word (fusion.py's across_alphas), the static encoder's never (its words are
        a bag fitted on 2,000 sentences: across languages it ranks no better than the keywords)."""
        rows = None if light else across_alphas({**self.manifest["fusion"], "alpha": self.alpha}, query.text,
                                                self.manifest["count"], self.row_doc, query.held, query.words)
        return self.alpha if rows is None else rows

    def semantic(self, query: Query, k: int) -> list[tuple[int, int, float]]:
        """[(index, distance, score)] best first."""
        return [(r["index"], r["distance"], r["score"]) for r in self.results(query, k, "semantic")]

    def lexical(self, query: Query, k: int) -> list[tuple[int, float]]:
        return [(r["index"], r["score"]) for r in self.results(query, k, "lexical")]

    def hybrid(self, query: Query, k: int) -> list[tuple[int, float]]:
        return [(r["index"], r["score"]) for r in self.results(query, k, "hybrid")]
