"""Quality against bytes a document: the site's codes at each length beside the teacher's own baselines.

    python benchmarks/plot.py --dataset scifact --split test

Reads the site-eval results tagged `default` in benchmarks/results/ (benchmarks/quality.py writes them) and
the teacher cache (run site-eval once first) for two baselines measured here, not quoted: the teacher's
float embeddings (384 float32 = 1,536 bytes a document, what transformers.js search ships) and the signs of
the teacher's 384 dimensions (48 bytes), ranked the same two ways as the site (Hamming, then the top 100
re-scored with the float query against the signs). Writes docs/quality-vs-bytes.png and
benchmarks/results/baselines-<dataset>-<split>.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from hamming_site.builder.evaluate import _metrics, _ranked, find_corpus, load_qrels, load_queries
from hamming_site.builder.input.corpus import read_corpus
from hamming_site.builder.output.codes import hamming, pack, rank
from hamming_site.builder.teacher.embed import embed
from hamming_site.builder.teacher.load import fingerprint, load_teacher

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"


def teacher_signs(dataset: str, split: str) -> dict:
    """nDCG@10 of the teacher's raw sign bits (Hamming, and Hamming top 100 + float rerank)."""
    beir = DATA / dataset
    qrels, queries = load_qrels(beir, split), load_queries(beir)
    order = {q: i for i, q in enumerate(queries)}
    qids = sorted(qrels, key=order.__getitem__)
    docs = read_corpus(find_corpus(beir))
    ids = [d.id for d in docs]
    model = load_teacher("sentence-transformers/all-MiniLM-L6-v2")
    sha, cache = fingerprint(model), Path.home() / ".cache" / "hamming-site"
    d = embed([x.model_text() for x in docs], model, "document", cache, sha)
    q = embed([queries[i] for i in qids], model, "query", cache, sha)
    codes, bits = pack(d), d.shape[1]
    ham, rr = {}, {}
    for qid, x in zip(qids, q, strict=True):
        dist = hamming(pack(x[None])[0], codes)
        ham[qid] = _ranked(ids, np.lexsort((np.arange(len(dist)), dist))[:100].tolist())
        rr[qid] = _ranked(ids, [r[0] for r in rank(x, codes, bits, 100, 100, dist)])
    return {"dataset": dataset, "split": split, "bits": bits,
            "hamming": round(_metrics(ham, qrels)[0], 4), "hamming_rerank": round(_metrics(rr, qrels)[0], 4)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="scifact")
    p.add_argument("--split", default="test")
    args = p.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_bits = {}  # code length -> result: the current default, else the earlier int8 default
    for tag in ("int8-v16000", "default"):
        for path in RESULTS.glob(f"{args.dataset}-{args.split}-*-{tag}.json"):
            r = json.loads(path.read_text())
            by_bits[r["bits"]] = r
    if not by_bits:
        raise SystemExit(f"no {args.dataset}-{args.split}-*-default.json in {RESULTS}: run benchmarks/quality.py")
    rows = [(b // 8, r["relative_ndcg@10"]["hamming"], r["relative_ndcg@10"]["hamming_rerank"], r["bytes"]["model"])
            for b, r in sorted(by_bits.items())]
    teacher = next(iter(by_bits.values()))
    t_ndcg = teacher["ndcg@10"]["teacher"]
    base = teacher_signs(args.dataset, args.split)
    (RESULTS / f"baselines-{args.dataset}-{args.split}.json").write_text(json.dumps(base, indent=1) + "\n")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    nbytes = [r[0] for r in rows]
    ax.plot(nbytes, [100 * r[2] for r in rows], "o-", label="hamming-site: Hamming top 100 + float rerank")
    ax.plot(nbytes, [100 * r[1] for r in rows], "s--", label="hamming-site: Hamming only")
    for n, _, rerank, model_bytes in rows:  # which model each point ran (earlier points: the int8 default)
        ax.annotate(f"model {model_bytes / 1e6:.1f} MB", (n, 100 * rerank), textcoords="offset points",
                    xytext=(-20, 8), fontsize=7)
    ax.plot([48], [100 * base["hamming_rerank"] / t_ndcg], "^", ms=9, label="teacher's 384 signs + float rerank")
    ax.plot([48], [100 * base["hamming"] / t_ndcg], "v", ms=9, label="teacher's 384 signs, Hamming only")
    ax.plot([1536], [100], "*", ms=12, label="teacher float32 (1,536 B, transformers.js style)")
    ax.set_xscale("log", base=2)
    ax.set_xticks([8, 16, 32, 48, 64, 128, 256, 512, 1536], ["8", "16", "32", "48", "64", "128", "256", "512", "1536"])
    ax.set_xlabel("bytes a document")
    ax.set_ylabel("nDCG@10, % of the teacher's float embeddings")
    ax.set_title(f"{args.dataset} {args.split} ({teacher['queries']} queries), teacher all-MiniLM-L6-v2 "
                 f"nDCG@10 {t_ndcg:.4f}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    out = ROOT / "docs" / "quality-vs-bytes.png"
    fig.savefig(out, dpi=120)
    print(json.dumps(base), out)


if __name__ == "__main__":
    main()
