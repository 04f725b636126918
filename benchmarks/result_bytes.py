"""What showing a first list of results costs in document bytes: over the questions, for the top 10 of a ranking
(hybrid-lite, the first with meaning).

    python benchmarks/result_bytes.py QUERIES.jsonl SITE [--mode hybrid-lite] [--json OUT.json]

Mean gzip -6 bytes a question of what the page fetches to show the list: the document shards (docs/NNNN.json,
each whole) and, for a long page, the text parts of the passages shown (up to three a result); and, as the floor
that fetching text by passage aims at, each result's row without its text but with the text of the passages
shown.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np
from emit import emit

from hamming_site.builder.output.names import part_name, passage_text, shard_name, shard_of
from hamming_site.builder.search.rank import SiteRanker


def _gz(value) -> int:
    return len(gzip.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 6))


def measure(site: Path, queries: list[str], mode: str) -> dict:
    ranker = SiteRanker(site)
    m = ranker.manifest
    sizes: dict[str, int] = {}

    def gz_file(name: str) -> int:
        if name not in sizes:
            sizes[name] = len(gzip.compress((site / name).read_bytes(), 6))
        return sizes[name]

    shards, parts, shown = [], [], []
    for text in queries:
        results = ranker.results(ranker.query(text), 10, mode)
        fetched, floor = set(), 0
        part_files = set()
        for r in results:
            n, at = shard_of(m, r["index"])
            fetched.add(shard_name(m, n))
            row = json.loads((site / shard_name(m, n)).read_text(encoding="utf-8"))[at]
            first = ranker.first_row(r["index"])
            spans = row.get("passages")
            for p in r["passages"]:
                if spans and "part" in spans[p["row"] - first]:
                    part_files.add(part_name(m, n, at, spans[p["row"] - first]["part"]))
            texts = [passage_text(site, m, r["index"], row, spans[p["row"] - first]) if spans else row["text"]
                     for p in r["passages"]]
            floor += _gz({**{k: v for k, v in row.items() if k not in ("text", "parts")}, "shown": texts})
        shards.append(sum(gz_file(f) for f in fetched))
        parts.append(sum(gz_file(f) for f in part_files))
        shown.append(floor)
    mean = lambda xs: round(float(np.mean(xs)))  # noqa: E731
    return {"site": str(site), "mode": mode, "questions": len(queries), "fetched_gzip": mean(np.add(shards, parts)),
            "shards_gzip": mean(shards), "parts_gzip": mean(parts), "shown_passages_only_gzip": mean(shown)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("queries", type=Path)
    ap.add_argument("site", type=Path)
    ap.add_argument("--mode", default="hybrid-lite")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    queries = [json.loads(line)["text"] for line in args.queries.read_text().splitlines() if line.strip()]
    emit({"command": "python benchmarks/result_bytes.py", **measure(args.site, queries, args.mode)}, args.json)


if __name__ == "__main__":
    main()
