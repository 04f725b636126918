"""What the static encoder's first ranking fetches of the codes on real built sites: clusters.bin, then each
query's probed clusters, gzip -6 as a static host serves them.

    python benchmarks/cluster_bytes.py QUERIES.jsonl SITE [SITE ...] [--json OUT.json]

Build the same folder with several `--cluster-rows` (0: the default, 4 x sqrt(passages) clusters) into several
sites, then compare them here: for each site its clusters, probes and build recall (manifest.json), the centroids'
bytes, and over the queries (the page's own encoder, hamming_site/builder/search/rank.py) the mean rows and bytes of the
clusters a query fetches. Quality is site-eval's business (it reports the probed recall and nDCG on judged questions).
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import Counter
from pathlib import Path

import numpy as np
from emit import emit

from hamming_site.builder.lexical.tokenize import terms
from hamming_site.builder.output.clusters import HEADER, SIGNS
from hamming_site.builder.search.rank import SiteRanker


def measure(site: Path, queries: list[str]) -> dict:
    ranker = SiteRanker(site)
    entry = ranker.clusters
    if not entry or ranker.static is None:
        raise SystemExit(f"{site}: no clusters or no static encoder to measure")
    folder = site / entry["folder"]
    gz = [len(gzip.compress((folder / f"{c:04d}.bin").read_bytes(), 6)) for c in range(entry["count"])]
    head = (site / entry["centroids"]["file"]).read_bytes()
    centroids, flags = len(gzip.compress(head, 6)), HEADER.unpack_from(head, 0)[2]
    fetched, rows = [], []
    for text in queries:
        picked = ranker.cluster_index.picked(ranker.static.encode(Counter(terms(text))))
        fetched.append(sum(gz[c] for c in picked))
        rows.append(sum(len(ranker.cluster_index.rows[c]) for c in picked))
    return {"site": str(site), "rows": len(ranker.codes),
            "cluster_rows": ranker.manifest["options"].get("cluster_rows"), "clusters": entry["count"],
            "centroids": "signs" if flags & SIGNS else "int8", "probes": entry["probes"],
            "build_recall@10": entry["recall"],
            "centroids_gzip": centroids, "rows_fetched_mean": round(float(np.mean(rows))),
            "codes_gzip_mean": round(float(np.mean(fetched))),
            "codes_and_centroids_gzip_mean": round(float(np.mean(fetched)) + centroids)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("queries", type=Path)
    ap.add_argument("sites", type=Path, nargs="+")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    queries = [json.loads(line)["text"] for line in args.queries.read_text().splitlines() if line.strip()]
    emit({"command": "python benchmarks/cluster_bytes.py", "queries": str(args.queries),
          "sites": [measure(site, queries) for site in args.sites]}, args.json)


if __name__ == "__main__":
    main()
