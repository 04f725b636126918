"""Tune hybrid fusion on a training split, from a built site's model and codes (no rebuild per setting).

    python benchmarks/fusion.py SITE_DIR scifact --split train [--json OUT]

For every query: the site's model embeds it (ONNX, as site-eval), the meaning ranking is the page's Hamming +
rerank; the keyword side is the site's own index format built here with the default BM25 settings. Then
hamming_site.builder.search.fusion.fuse over a grid of alpha (weight of meaning) and depth (candidates per side), plus
reciprocal rank fusion for comparison. nDCG@10 with pytrec_eval, as site-eval. Tune on train; report test with
site-eval.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from emit import emit

from hamming_site.builder.evaluate import _metrics, find_corpus, load_qrels, load_queries
from hamming_site.builder.input.corpus import read_corpus
from hamming_site.builder.lexical.index import Bm25, IndexReader, write_index
from hamming_site.builder.model.export import OnnxEncoder
from hamming_site.builder.model.student import Tokenizer
from hamming_site.builder.output.codes import asymmetric, hamming, pack, rank, read_codes
from hamming_site.builder.output.names import site_path
from hamming_site.builder.search.fusion import fuse
from hamming_site.builder.search.lexical import bm25_scores, lexical_order, title_tiers

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def rrf(lexical: list[int], semantic: list[int], k: int, depth: int, c: int = 60) -> list[int]:
    score: dict[int, float] = {}
    for ranking in (lexical[:depth], semantic[:depth]):
        for r, i in enumerate(ranking):
            score[i] = score.get(i, 0.0) + 1 / (c + r + 1)
    return sorted(score, key=lambda i: (-score[i], i))[:k]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("site", type=Path)
    p.add_argument("dataset")
    p.add_argument("--split", default="train")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    beir = DATA / args.dataset
    docs = read_corpus(find_corpus(beir))
    ids = [d.id for d in docs]
    qrels = load_qrels(beir, args.split)
    queries = load_queries(beir)
    qids = [q for q in queries if q in qrels]
    manifest = json.loads((args.site / "manifest.json").read_text())
    tokenizer = Tokenizer.from_file(site_path(args.site, "tokenizer.json"), manifest["tokenizer"]["max_length"])
    encoder = OnnxEncoder(site_path(args.site, "model.onnx"), tokenizer)
    codes, bits = read_codes(site_path(args.site, "codes.bin"))
    with tempfile.TemporaryDirectory() as tmp:
        meta = write_index(Path(tmp) / "lexical", [(d.title, d.text) for d in docs], Bm25())
        reader = IndexReader(Path(tmp), {"lexical": meta})
        prepared = []
        for qid in qids:
            q = encoder.encode([queries[qid]])[0]
            dist = hamming(pack(q[None, :])[0], codes)
            semantic = [r[0] for r in rank(q, codes, bits, 400, 100, dist)]
            prepared.append((qid, q, semantic, bm25_scores(reader, queries[qid], len(ids)),
                             title_tiers(reader, queries[qid], len(ids))))
    def run(order_of) -> tuple[float, float]:
        return _metrics({qid: {ids[i]: 100.0 - r for r, i in enumerate(order_of(*rest))}
                         for qid, *rest in prepared}, qrels)
    rows = {"semantic": run(lambda q, sem, s, t: sem[:100]), "bm25": run(lambda q, sem, s, t: lexical_order(s, t, 100))}
    for depth in (50, 100, 200, 400):
        rows[f"rrf60 depth {depth}"] = run(lambda q, sem, s, t, d=depth: rrf(lexical_order(s, t, d), sem, 100, d))
        for alpha in (0.3, 0.4, 0.5, 0.6, 0.7):
            rows[f"minmax alpha {alpha} depth {depth}"] = run(
                lambda q, sem, s, t, a=alpha, d=depth: [i for i, _ in fuse(
                    s, t, sem, lambda c, q=q: asymmetric(q, codes[c], bits), 100, a, d)])
    out = {"dataset": args.dataset, "split": args.split, "queries": len(qids),
           "ndcg@10": {k: round(v[0], 4) for k, v in rows.items()},
           "recall@100": {k: round(v[1], 4) for k, v in rows.items()}}
    emit(out, args.json)


if __name__ == "__main__":
    main()
