"""The site's keyword ranking (hamming_site/builder/lexical) against bm25s, the reference BM25, on BEIR sets.

    python benchmarks/lexical.py scifact --split train [--grid]   # tune on train
    python benchmarks/lexical.py scifact cranfield --split test   # report
    python benchmarks/lexical.py scifact --no-expand                # words matched whole, as before issue 37

Both read `title + text`. bm25s: Lucene BM25 (k1 1.5, b 0.75), its English stop words (Lucene's 33), PyStemmer's
English stemmer. Ours: the index the site ships (one-byte impacts, title words counted `title_weight` times),
read back from its chunk files and scored exactly as the page scores (integer sums), exact titles first.
Writes benchmarks/results/lexical-<set>-<split>.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from hamming_site.builder.evaluate import _metrics, find_corpus, load_qrels, load_queries
from hamming_site.builder.input.corpus import read_corpus
from hamming_site.builder.lexical.index import Bm25, IndexReader, write_index
from hamming_site.builder.search.lexical import bm25_scores, lexical_order, title_tiers

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"


def reference(docs, ids, queries, qids, qrels) -> tuple[float, float]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    corpus = [d.model_text() for d in docs]
    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index(bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    tokens = bm25s.tokenize([queries[q] for q in qids], stopwords="en", stemmer=stemmer, show_progress=False)
    found, scores = retriever.retrieve(tokens, k=100, show_progress=False)
    run = {q: {ids[d]: float(s) for d, s in zip(found[i], scores[i], strict=True) if s > 0}
           for i, q in enumerate(qids)}
    return _metrics(run, qrels)


def tokenizations(docs, ids, queries, qids, qrels) -> dict:
    """The candidate tokenizations, each through bm25s (Lucene BM25, k1 1.5, b 0.75): the choice of issue #13."""
    import bm25s
    import Stemmer
    from tokenizers import Tokenizer

    from hamming_site.builder.lexical.tokenize import STOPWORDS
    from hamming_site.builder.model.student import tokenizer_json
    from hamming_site.builder.teacher.load import load_teacher

    pieces = Tokenizer.from_str(tokenizer_json(load_teacher("sentence-transformers/all-MiniLM-L6-v2"), 512))
    def wordpiece(texts):
        return [[t for t in e.tokens[1:-1] if t not in STOPWORDS] for e in pieces.encode_batch(texts)]
    stemmer = Stemmer.Stemmer("english")
    corpus = [d.model_text() for d in docs]
    qtexts = [queries[q] for q in qids]
    out = {}
    for name, tok in (
        ("stemmed words, stop words",
         lambda t: bm25s.tokenize(t, stopwords="en", stemmer=stemmer, show_progress=False)),
        ("words, stop words", lambda t: bm25s.tokenize(t, stopwords="en", show_progress=False)),
        ("stemmed words, no stop words", lambda t: bm25s.tokenize(t, stemmer=stemmer, show_progress=False)),
        ("MiniLM word pieces, stop words", wordpiece),
    ):
        retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        retriever.index(tok(corpus), show_progress=False)
        found, scores = retriever.retrieve(tok(qtexts), k=100, show_progress=False)
        run = {q: {ids[d]: float(s) for d, s in zip(found[i], scores[i], strict=True) if s > 0}
               for i, q in enumerate(qids)}
        out[name] = round(_metrics(run, qrels)[0], 4)
    return out


def ours(docs, ids, queries, qids, qrels, params: Bm25, expand: bool = True) -> tuple[tuple[float, float], dict]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        meta = write_index(Path(tmp) / "lexical", [(d.title, d.text) for d in docs], params)
        seconds = time.perf_counter() - t0
        if not expand:  # words matched whole only, as before search as you type (issue 37)
            meta.pop("expand")
        reader = IndexReader(Path(tmp), {"lexical": meta})
        run = {}
        for q in qids:
            s = bm25_scores(reader, queries[q], len(docs))
            t = title_tiers(reader, queries[q], len(docs))
            run[q] = {ids[i]: float(100 - r) for r, i in enumerate(lexical_order(s, t, 100))}
        sizes = sorted(p.stat().st_size for p in (Path(tmp) / "lexical").glob("*.bin"))
    info = {"index_bytes": meta["bytes"], "chunks": len(sizes), "largest_chunk": sizes[-1], "keys": meta["keys"],
            "build_seconds": round(seconds, 2)}
    return _metrics(run, qrels), info


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("sets", nargs="+")
    p.add_argument("--split", default="test")
    p.add_argument("--grid", action="store_true", help="k1 x title_weight grid (tune on train only)")
    p.add_argument("--no-expand", action="store_true", help="words matched whole (no prefixes, no typos)")
    p.add_argument("--tokenizations", action="store_true", help="compare tokenizations through bm25s (nDCG@10)")
    args = p.parse_args()
    for name in args.sets:
        beir = DATA / name
        docs = read_corpus(find_corpus(beir))
        ids = [d.id for d in docs]
        qrels = load_qrels(beir, args.split)
        queries = load_queries(beir)
        qids = [q for q in queries if q in qrels]
        out = {"dataset": name, "split": args.split, "queries": len(qids), "docs": len(docs)}
        ref = reference(docs, ids, queries, qids, qrels)
        out["bm25s"] = {"ndcg@10": round(ref[0], 4), "recall@100": round(ref[1], 4)}
        if args.tokenizations:
            out["tokenizations_ndcg@10"] = tokenizations(docs, ids, queries, qids, qrels)
            print(out["tokenizations_ndcg@10"], file=sys.stderr)
        grid = itertools.product((0.9, 1.2, 1.5), (1, 2, 3)) if args.grid else [(Bm25.k1, Bm25.title_weight)]
        out["site"] = []
        for k1, tw in grid:
            (ndcg, recall), info = ours(docs, ids, queries, qids, qrels, Bm25(k1=k1, title_weight=tw),
                                        not args.no_expand)
            row = {"k1": k1, "b": 0.75, "title_weight": tw, "ndcg@10": round(ndcg, 4), "recall@100": round(recall, 4),
                   **info}
            out["site"].append(row)
            print(name, args.split, row, file=sys.stderr)
        print(json.dumps(out, indent=1))
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"lexical-{name}-{args.split}{'-grid' if args.grid else ''}.json").write_text(
            json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
