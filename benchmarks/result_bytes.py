"""What showing a first list of results costs in document bytes, and what it would cost if a long page's text
were fetched by passage: over the questions, for the top 10 of a ranking (hybrid-lite, the first with meaning).

    python benchmarks/result_bytes.py QUERIES.jsonl SITE [--mode hybrid-lite] [--json OUT.json]

Mean gzip -6 bytes a question of: the document shards the page fetches now (docs/NNNN.json, each whole); each
result's own row alone (a shard a document); and each result's row without its text but with the text of the
passages the list shows (up to three a result): what fetching text by passage could reach at best.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np
from emit import emit

from builder.output.names import shard_name, shard_of
from builder.ranking import SiteRanker


def _gz(value) -> int:
    return len(gzip.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 6))


def measure(site: Path, queries: list[str], mode: str) -> dict:
    ranker = SiteRanker(site)
    shards: dict[int, list] = {}

    def shard(n: int) -> list:
        if n not in shards:
            shards[n] = json.loads((site / shard_name(ranker.manifest, n)).read_text(encoding="utf-8"))
        return shards[n]

    now, alone, shown = [], [], []
    for text in queries:
        results = ranker.results(ranker.query(text), 10, mode)
        places = [shard_of(ranker.manifest, r["index"]) for r in results]
        now.append(sum(_gz(shard(n)) for n in {n for n, _ in places}))
        rows = [shard(n)[at] for n, at in places]
        alone.append(sum(_gz(row) for row in rows))
        total = 0
        for r, row in zip(results, rows, strict=True):
            first, spans = ranker.first_row(r["index"]), row.get("passages")
            # offsets are UTF-16 (the page's); near enough for a byte count
            texts = [row["text"][spans[p["row"] - first]["start"] : spans[p["row"] - first]["end"]] if spans
                     else row["text"] for p in r["passages"]]
            total += _gz({**{k: v for k, v in row.items() if k != "text"}, "shown": texts})
        shown.append(total)
    mean = lambda xs: round(float(np.mean(xs)))  # noqa: E731
    return {"site": str(site), "mode": mode, "questions": len(queries), "shards_now_gzip": mean(now),
            "each_document_alone_gzip": mean(alone), "shown_passages_only_gzip": mean(shown)}


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
