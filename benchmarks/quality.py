"""Quality, size and build time of built sites on the BEIR sets in ../shared/data, via site-eval.

    python benchmarks/quality.py --datasets scifact cranfield --bits 256 384 [--epochs N] [--tag NAME]
        [--rerank-depth N] [--set name=value ...]

Each run writes benchmarks/results/<dataset>-<bits>-<tag>.json (the site-eval JSON); the markdown table of
every result on disk is printed and written to benchmarks/results/table.md for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hamming_site.builder.config import BuildConfig
from hamming_site.builder.evaluate import evaluate, find_corpus

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results"


def table() -> str:
    rows = ["| dataset | split | bits | tag | teacher | student float | hamming | hamming+rerank | recall@100 rerank "
            "| model bytes | codes bytes | build s | query p50 ms |", "|" + " --- |" * 13]
    for path in sorted(RESULTS.glob("*.json")):
        r = json.loads(path.read_text())
        if "ndcg@10" not in r:  # other benchmarks' results share the folder
            continue
        n, rel = r["ndcg@10"], r["relative_ndcg@10"]
        rows.append(
            f"| {r['dataset']} | {r['split']} | {r['bits']} | {r.get('tag', '')} | {n['teacher']:.4f} "
            f"| {n['student_float']:.4f} ({rel['student_float']:.1%}) | {n['hamming']:.4f} ({rel['hamming']:.1%}) "
            f"| {n['hamming_rerank']:.4f} ({rel['hamming_rerank']:.1%}) | {r['recall@100']['hamming_rerank']:.4f} "
            f"| {r['bytes']['model']:,} | {r['bytes']['codes']:,} | {r['seconds']['build']:.0f} "
            f"| {r['seconds']['query_p50_ms']:.1f} |"
        )
    return "\n".join(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=["scifact", "cranfield"])
    p.add_argument("--bits", nargs="+", type=int, default=[256])
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--split", default="test")
    p.add_argument("--tag", default="default")
    p.add_argument("--rerank-depth", type=int, default=100, help="Hamming candidates re-scored (default 100)")
    p.add_argument("--set", nargs="*", default=[], help="other BuildConfig fields, as name=value")
    args = p.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    extra = {}
    for item in args.set:
        name, value = item.split("=", 1)
        extra[name] = type(getattr(BuildConfig, name))(value)
    for name in args.datasets:
        beir = DATA / name
        for bits in args.bits:
            fields = {"corpus": find_corpus(beir), "bits": bits, **extra}
            if args.epochs is not None:
                fields["epochs"] = args.epochs
            result = evaluate(beir, BuildConfig(**fields), args.split, args.rerank_depth)
            result["tag"] = args.tag
            result["options"] = {k: v for k, v in BuildConfig(**fields).options().items()}
            out = RESULTS / f"{name}-{args.split}-{bits}-{args.tag}.json"
            out.write_text(json.dumps(result, indent=1) + "\n")
            print(json.dumps(result), flush=True)
    (RESULTS / "table.md").write_text(table() + "\n")
    print(table())


if __name__ == "__main__":
    main()
