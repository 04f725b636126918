"""The static query encoder: the page's light meaning tier, no transformer and no runtime to download.

A table holds one row per keyword-index term (the page's own tokenization: hamming_site/builder/lexical/tokenize.py's
stemmed words) in the codes' space. A query's vector is the sum of its terms' rows, each counted as often as the query
repeats it; then Hamming + rerank against the codes exactly as for the transformer (a sum, not a mean: both
rankings depend on the vector's direction only, so the rows' norms act as the terms' weights).

Fitted per corpus on what the build has already computed: each row starts as the idf-weighted mean of the
binarizer's (unit) values of the texts that hold the term (query-like views and passages), turned halfway towards
the teacher's embedding of the word alone (its commonest written form, through the binarizer: model2vec's
reading of a word, which knows what the corpus's few uses of it do not; SciFact train lite 0.665 -> 0.682,
hybrid-lite 0.7271 -> 0.7308; the word alone: 0.635 / 0.7283). Then a few passes of Adam train the table so
that (1) each text's vector ranks a batch of passages by their sign bits as the teacher's cosine does (the
binarizer's listwise loss, as hamming_site/builder/model/adapt.py's rank_tune) and (2) it points where the binarizer
maps the teacher's embedding (cosine). Written by hamming_site/builder/output/static.py.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from hamming_site.builder.model.binarize import DOCS_PER_STEP, TAU, listwise, rerank_cosine
from hamming_site.builder.output.static import static_vector

STATIC_LR = 3e-3
STATIC_BATCH = 256


@dataclass(frozen=True)
class StaticTable:
    terms: list[str]  # the keyword index's terms, one row each
    rows: np.ndarray  # [terms, bits] float32

    def encode(self, term_counts: Counter) -> np.ndarray:
        """A query's vector from the table in memory, as the site's reader computes it from the files."""
        index = {t: i for i, t in enumerate(self.terms)}
        return static_vector(term_counts, lambda t: self.rows[index[t]] if t in index else None, self.rows.shape[1])


@dataclass(frozen=True)
class TermBags:
    """Each training text's term counts, all texts in three flat arrays: 12 bytes a term where a Counter a text
    takes about 90 (measured with tracemalloc on the example's texts: 1.9 KB a text against 0.26), so a million
    passages' counts fit in 0.4 GB, not 3. Text i's terms are ids[starts[i]:starts[i + 1]], in the order they
    first occur in it, each with its count; ids number the sorted `terms`."""

    terms: list[str]
    ids: np.ndarray  # int64
    counts: np.ndarray  # float32
    starts: np.ndarray  # int64, texts + 1

    @classmethod
    def of(cls, texts_terms: Iterable[Counter]) -> TermBags:
        """From each text's Counter of terms, consumed one at a time."""
        number: dict[str, int] = {}
        ids, counts, starts = array("q"), array("f"), array("q", [0])
        for bag in texts_terms:
            ids.extend(number.setdefault(t, len(number)) for t in bag)
            counts.extend(bag.values())
            starts.append(len(ids))
        terms = sorted(number)
        renumber = np.empty(len(terms), dtype=np.int64)
        renumber[[number[t] for t in terms]] = np.arange(len(terms))
        return cls(terms, renumber[np.frombuffer(ids, dtype=np.int64)] if len(ids) else np.zeros(0, np.int64),
                   np.frombuffer(counts, dtype=np.float32).copy(), np.frombuffer(starts, dtype=np.int64).copy())

    def __len__(self) -> int:
        return len(self.starts) - 1

    def text(self, i: int) -> slice:
        return slice(int(self.starts[i]), int(self.starts[i + 1]))

    def batch(self, rows: list[int]):
        """EmbeddingBag inputs of these texts: flat term ids, each text's offset into them, each id's count."""
        parts = [self.text(i) for i in rows]
        sizes = np.array([p.stop - p.start for p in parts], dtype=np.int64)
        flat = np.concatenate([self.ids[p] for p in parts]) if parts else np.zeros(0, np.int64)
        weights = np.concatenate([self.counts[p] for p in parts]) if parts else np.zeros(0, np.float32)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if parts else np.zeros(0, np.int64)
        return torch.from_numpy(flat), torch.from_numpy(offsets.astype(np.int64)), torch.from_numpy(weights)


def _initial_rows(bags: TermBags, targets: np.ndarray) -> np.ndarray:
    """Each term's idf-weighted mean of the unit targets of the texts holding it (Rocchio's centroid)."""
    unit = targets / np.maximum(np.linalg.norm(targets, axis=1, keepdims=True), 1e-12)
    sums = np.zeros((len(bags.terms), targets.shape[1]), dtype=np.float64)
    df = np.zeros(len(bags.terms), dtype=np.float64)
    for i, y in enumerate(unit):
        ids = bags.ids[bags.text(i)]
        sums[ids] += y
        df[ids] += 1
    idf = np.log(1 + len(bags) / np.maximum(df, 1))
    return (sums / np.maximum(df, 1)[:, None] * idf[:, None]).astype(np.float32)


def _with_words(rows: np.ndarray, terms: list[str], word_values: dict[str, np.ndarray], mix: str) -> np.ndarray:
    """The start moved towards the teacher's own reading of each word (its embedding of the word alone, mapped by
    the binarizer): "words" takes it instead of the centroid, "both" their unit sum; the idf weight is kept."""
    out = rows.copy()
    for i, term in enumerate(terms):
        v = word_values.get(term)
        if v is None:
            continue
        norm = float(np.linalg.norm(rows[i]))
        word = v / max(float(np.linalg.norm(v)), 1e-12)
        direction = word if mix == "words" else word + rows[i] / max(norm, 1e-12)
        out[i] = direction / max(float(np.linalg.norm(direction)), 1e-12) * norm
    return out


def fit_static(bags: TermBags, targets: np.ndarray, teacher: np.ndarray, docs_from: int, *, epochs: int,
               seed: int, word_values: dict | None = None, mix: str = "centroids",
               device: str = "cpu") -> tuple[StaticTable, dict]:
    """The table for this corpus. bags: each training text's term counts (views, then passages); targets: the
    binarizer's values of their teacher embeddings [texts, bits]; teacher: those embeddings; the texts from
    docs_from on are the passages, whose values' signs are the codes. The passages are read as that tail, never
    copied apart: at a million passages each copy of their vectors is 1.5 GB. Trained on `device`, with the CPU
    generator's draws."""
    terms = bags.terms
    rows = _initial_rows(bags, targets)
    if word_values and mix != "centroids":
        rows = _with_words(rows, terms, word_values, mix)
    stats = {"terms": len(terms), "texts": len(bags), "epochs": epochs, "steps": 0}
    if not terms or not epochs or docs_from >= len(teacher):
        return StaticTable(terms, rows), stats
    generator = torch.Generator().manual_seed(seed)
    # from the rows, not a random init: the global generator stays as it was for the stages after this one
    # sparse: a batch touches a few thousand of the table's rows; a dense Adam step moves all of them (SciFact,
    # 16 passes: 23 s instead of about 33 s, lite nDCG@10 on train 0.6660 against 0.6686, hybrid-lite 0.7298 / 0.7304)
    table = nn.EmbeddingBag.from_pretrained(torch.from_numpy(rows), freeze=False, mode="sum", sparse=True).to(device)
    y = torch.from_numpy(np.asarray(targets, dtype=np.float32)).to(device)  # read only: no copy on the CPU
    t_texts = F.normalize(torch.from_numpy(np.asarray(teacher, dtype=np.float32)).to(device), dim=1)
    t_docs = t_texts[docs_from:]
    signs = torch.where(y[docs_from:] > 0, 1.0, -1.0)
    opt = torch.optim.SparseAdam(list(table.parameters()), lr=STATIC_LR)
    has_terms = np.flatnonzero(np.diff(bags.starts)).tolist()
    batches = math.ceil(len(has_terms) / STATIC_BATCH)
    for _ in range(epochs):
        order = torch.randperm(len(has_terms), generator=generator).tolist()
        sums = [0.0, 0.0]
        for start in range(0, len(order), STATIC_BATCH):
            v = [has_terms[i] for i in order[start : start + STATIC_BATCH]]
            flat, offsets, weights = (a.to(device) for a in bags.batch(v))
            q = table(flat, offsets, per_sample_weights=weights)
            d = torch.randint(0, len(t_docs), (min(DOCS_PER_STEP, len(t_docs)),), generator=generator).to(device)
            v = torch.tensor(v, device=device)
            rank = listwise(rerank_cosine(q, signs[d]), F.log_softmax(t_texts[v] @ t_docs[d].T / TAU, 1))
            direction = 1 - F.cosine_similarity(q, y[v]).mean()
            opt.zero_grad(set_to_none=True)
            (rank + direction).backward()
            opt.step()
            sums = [sums[0] + rank.item(), sums[1] + direction.item()]
        stats = {**stats, "steps": stats["steps"] + batches, "rank": sums[0] / batches, "cosine": sums[1] / batches}
    return StaticTable(terms, table.weight.detach().cpu().numpy().copy()), stats
