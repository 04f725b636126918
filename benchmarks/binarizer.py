"""How good can the document codes be? The binarizer alone, on the teacher's own query embeddings.

    python benchmarks/binarizer.py --dataset scifact --split train --bits 64 128 256 384 512

No student: queries are the teacher's embeddings mapped by the binarizer, so this isolates the documents'
bits (the ceiling a perfect student would reach). For each code length it scores, as the page ranks
(Hamming top 100, then the asymmetric rerank): PCA + random rotation; PCA + ITQ; PCA + ITQ then trained
(listwise + decoder losses, hamming_site/builder/model/binarize.py), with and without the decoder term. Reads the
teacher cache (run site-eval once first). Writes benchmarks/results/binarizer-<dataset>-<split>.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from hamming_site.builder.evaluate import _metrics, _ranked, _top, find_corpus, load_qrels, load_queries
from hamming_site.builder.input.corpus import read_corpus
from hamming_site.builder.model.binarize import fit_pca_itq, train_binarizer
from hamming_site.builder.model.distill import query_views
from hamming_site.builder.output.codes import hamming, pack, rank
from hamming_site.builder.teacher.embed import embed
from hamming_site.builder.teacher.load import fingerprint, load_teacher

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"


def score(q, d, ids, qids, qrels, bits) -> tuple[float, float]:
    codes = pack(d)
    ham, rr = {}, {}
    for qid, x in zip(qids, q, strict=True):
        dist = hamming(pack(x[None])[0], codes)
        ham[qid] = _ranked(ids, np.lexsort((np.arange(len(dist)), dist))[:100].tolist())
        rr[qid] = _ranked(ids, [r[0] for r in rank(x, codes, bits, 100, 100, dist)])
    return _metrics(ham, qrels)[0], _metrics(rr, qrels)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="scifact")
    ap.add_argument("--split", default="train")
    ap.add_argument("--bits", nargs="+", type=int, default=[64, 128, 256, 384, 512])
    ap.add_argument("--epochs", type=int, default=15)
    args = ap.parse_args()
    beir = DATA / args.dataset
    qrels, queries = load_qrels(beir, args.split), load_queries(beir)
    qids = [q for q in queries if q in qrels]
    docs = read_corpus(find_corpus(beir))
    ids, texts = [d.id for d in docs], [d.model_text() for d in docs]
    teacher = load_teacher("sentence-transformers/all-MiniLM-L6-v2")
    cache, sha = Path.home() / ".cache" / "hamming-site", fingerprint(teacher)
    t_docs = embed(texts, teacher, "document", cache, sha)
    t_views = embed(query_views(texts, 3, 0), teacher, "query", cache, sha)
    t_q = embed([queries[q] for q in qids], teacher, "query", cache, sha)
    base = _metrics({q: _ranked(ids, _top(t_docs @ x, 100)) for q, x in zip(qids, t_q, strict=True)}, qrels)[0]
    rows = []
    for bits in args.bits:
        variants = {
            "pca+random": fit_pca_itq(t_docs, bits, 0, iterations=0),
            "pca+itq": fit_pca_itq(t_docs, bits, 0),
        }
        for name, recon in (("trained", 0.2), ("trained, no decoder", 0.0)):
            variants[name], _ = train_binarizer(variants["pca+itq"], t_docs, t_views, epochs=args.epochs, seed=0,
                                                recon_weight=recon)
        for name, space in variants.items():
            h, r = score(space.project(t_q), space.project(t_docs), ids, qids, qrels, bits)
            row = {"bits": bits, "binarizer": name, "hamming": round(h / base, 4), "hamming_rerank": round(r / base, 4)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    out = {"dataset": args.dataset, "split": args.split, "queries": len(qids), "teacher_ndcg@10": round(base, 4),
           "epochs": args.epochs, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"binarizer-{args.dataset}-{args.split}.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
