"""Codes by cluster at scale: what a query fetches, against codes.bin whole, on structured synthetic codes.

    python benchmarks/clusters.py [--rows 10000 100000 1000000] [--cluster-rows 256 1024] [--json FILE]

Synthetic codes: 256-bit rows drawn around rows/256 random centres (each bit flipped with probability 0.2), and
200 query vectors near the centres (a centre's +-1 signs plus Gaussian noise of sd 1: as far from their rows as
a real query is). For each size: hamming_site/builder/output/clusters.py's write_clusters (k-means, probes chosen for
0.95 recall on the first 100 queries; from 256 clusters the centroids are sign bits), then on the other 100 the probed
top 10's recall against the exhaustive scan and the bytes a query fetches: clusters.bin once, plus its probed
clusters' files.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from emit import emit

from hamming_site.builder.output.clusters import SIGNS_FROM, ClusterIndex, write_clusters
from hamming_site.builder.output.codes import pack

BITS = 256


def synthetic(rows: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = np.where(rng.random((max(1, rows // 256), BITS)) < 0.5, -1.0, 1.0).astype(np.float32)
    member = rng.integers(0, len(centres), rows)
    signs = centres[member] * np.where(rng.random((rows, BITS)) < 0.2, -1.0, 1.0).astype(np.float32)
    queries = centres[rng.integers(0, len(centres), 200)] + rng.standard_normal((200, BITS)).astype(np.float32)
    return pack(signs), signs, queries


def measure(rows: int, cluster_rows: int) -> dict:
    codes, signs, queries = synthetic(rows)
    with tempfile.TemporaryDirectory() as work:
        t0 = time.perf_counter()
        entry = write_clusters(Path(work), codes, BITS, cluster_rows, queries[:100], seed=0)
        seconds = time.perf_counter() - t0
        index = ClusterIndex(Path(work), {**entry, "centroids": {"file": "clusters.bin"}})
        file_bytes = {p.relative_to(work).as_posix(): p.stat().st_size for p in Path(work).rglob("*.bin")}
    fetched_codes, recall = [], []
    for q in queries[100:]:
        fetched_codes.append(sum(file_bytes[f"codes/{c:04d}.bin"] for c in index.picked(q)))
        allowed = index.rows_for(q)
        exact = set(np.argsort(-(signs @ q), kind="stable")[:10].tolist())
        ours = allowed[np.argsort(-(signs[allowed] @ q), kind="stable")[:10]]
        recall.append(len(exact & set(ours.tolist())) / 10)
    total = np.asarray(fetched_codes) + file_bytes["clusters.bin"]
    return {"rows": rows, "cluster_rows": cluster_rows, "clusters": entry["count"], "probes": entry["probes"],
            "centroids": "signs" if entry["count"] >= SIGNS_FROM else "int8",
            "build_recall@10": entry["recall"], "held_out_recall@10": round(float(np.mean(recall)), 4),
            "centroids_bytes": entry["centroids"]["bytes"],
            "codes_fetched_bytes": {"mean": int(np.mean(fetched_codes)), "max": int(np.max(fetched_codes))},
            "all_fetched_bytes": {"mean": int(np.mean(total)), "max": int(np.max(total))},
            "codes_bin_bytes": 32 + rows * BITS // 8, "seconds": round(seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--cluster-rows", type=int, nargs="+", default=[256, 1024])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    results = []
    for rows in args.rows:
        for cluster_rows in args.cluster_rows:
            results.append(measure(rows, cluster_rows))
            print(results[-1], flush=True)
    emit({"command": "python benchmarks/clusters.py", "results": results}, args.json)


if __name__ == "__main__":
    main()
