"""How the keyword index scales: index bytes, chunk list bytes (in manifest.json) and bytes a query fetches.

    python benchmarks/lexical_scale.py [--docs 100000] [--json OUT]

Corpora: SciFact itself (5,183 abstracts) and a synthetic corpus of N documents whose words are drawn from
SciFact's own word frequencies (each document's length drawn from SciFact's lengths, titles from its titles'
lengths), so the postings have a realistic Zipf shape. Queries: SciFact's test queries. Bytes per query = the
chunks its distinct terms and two title keys fall in (as the page fetches them), raw and gzip -6.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from emit import emit

from hamming_site.builder.evaluate import load_queries
from hamming_site.builder.input.corpus import read_corpus
from hamming_site.builder.lexical.index import MAX_QUERY_TERMS, Bm25, chunk_of, write_index
from hamming_site.builder.lexical.tokenize import query_terms, title_keys

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def synthetic(docs, n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    counts = Counter(w for d in docs for w in (d.title + " " + d.text).split())
    words = np.array(list(counts))
    p = np.array([counts[w] for w in words], dtype=np.float64)
    p /= p.sum()
    text_len = [len(d.text.split()) for d in docs]
    title_len = [len(d.title.split()) for d in docs]
    out = []
    for _ in range(n):
        t = rng.choice(words, size=max(1, title_len[rng.integers(len(docs))]), p=p)
        b = rng.choice(words, size=max(1, text_len[rng.integers(len(docs))]), p=p)
        out.append((" ".join(t), " ".join(b)))
    return out


def measure(texts, queries: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lexical"
        t0 = time.perf_counter()
        meta = write_index(folder, texts, Bm25())
        seconds = time.perf_counter() - t0
        files = sorted(folder.glob("*.bin"))
        raw = [f.stat().st_size for f in files]
        zipped = [len(gzip.compress(f.read_bytes(), 6)) for f in files]
        per_query = []
        for q in queries:
            keys = [k for k in (*title_keys(q), *query_terms(q)[:MAX_QUERY_TERMS]) if k]
            chunks = {chunk_of(k, meta["chunks"]) for k in keys} if meta["chunks"] else set()
            per_query.append((len(chunks), sum(raw[c] for c in chunks), sum(zipped[c] for c in chunks)))
    listing = json.dumps(meta["chunks"], ensure_ascii=False).encode()
    return {
        "documents": len(texts), "keys": meta["keys"], "index_bytes": meta["bytes"],
        "index_bytes_gzip": sum(zipped), "chunks": len(files), "largest_chunk": max(raw),
        "chunk_list_bytes": len(listing), "chunk_list_bytes_gzip": len(gzip.compress(listing, 6)),
        "build_seconds": round(seconds, 1),
        "per_query_p50": {"chunks": statistics.median(c for c, _, _ in per_query),
                          "bytes": statistics.median(b for _, b, _ in per_query),
                          "bytes_gzip": statistics.median(z for _, _, z in per_query)},
        "per_query_p95_bytes_gzip": sorted(z for _, _, z in per_query)[int(0.95 * (len(per_query) - 1))],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    docs = read_corpus(DATA / "scifact" / "corpus.jsonl.gz")
    queries = list(load_queries(DATA / "scifact").values())[:300]
    result = {"scifact": measure([(d.title, d.text) for d in docs], queries),
              f"synthetic_{args.docs}": measure(synthetic(docs, args.docs), queries)}
    emit(result, args.json)


if __name__ == "__main__":
    main()
