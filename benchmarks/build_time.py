"""A whole build timed per stage, with no teacher embeddings cached (the query model may be).

    python benchmarks/build_time.py ../shared/data/scifact/corpus.jsonl.gz [--json OUT] [-- build-site options]

The build gets a fresh cache folder, so the teacher encodes every passage and view; the shared query model,
which a machine distils once, is linked in from the default cache when it is there (its one-off cost is
reported apart, as report.json's query_model.seconds). Prints and saves report.json's seconds per stage, the
non-teacher total and the teacher's texts per second.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from emit import emit

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--cache", type=Path, help="an empty folder to use as the cache and keep (e.g. for a site-eval "
                    "with --cache-dir after it); default: a temporary one")
    args, rest = ap.parse_known_args()
    with tempfile.TemporaryDirectory() as work:
        cache = args.cache or Path(work) / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        if any(p.name != "query-model" for p in cache.iterdir()):
            sys.exit(f"{cache} is not empty: the build must start with no teacher embeddings cached")
        shared = Path.home() / ".cache" / "hamming-site" / "query-model"
        if shared.exists() and not (cache / "query-model").exists():
            (cache / "query-model").symlink_to(shared)
        build = [sys.executable, "-m", "hamming_site", "build-site", str(args.corpus), "-o", f"{work}/site"]
        subprocess.run([*build, "--cache-dir", str(cache), *rest], check=True)
        report = json.loads((Path(work) / "site" / "report.json").read_text())
    seconds = report["seconds"]
    figures = {
        "corpus": str(args.corpus), "options": rest, "documents": report["documents"],
        "passages": report["passages"], "views": report["views"], "seconds": seconds,
        "not_teacher": round(seconds["total"] - seconds.get("teacher", 0), 1),
        "teacher_texts_per_second": report["teacher_texts_per_second"],
        "query_model": report.get("query_model"), "encoded": report.get("encoded"),
    }
    emit(figures, args.json)


if __name__ == "__main__":
    sys.exit(main())
