"""Reuse (issue 15): the example corpus with 10 documents edited and 10 added, rebuilt with --model-from.

    python benchmarks/reuse.py [--work DIR] [--json benchmarks/results/reuse-stdlib.json] [-- BUILD-SITE OPTIONS]

1. `build-site examples/stdlib.jsonl -o WORK/site --retrain` (a full build; skipped when WORK/site already
   holds a site, unless --fresh: its report.json keeps the figures of the build that made it).
2. WORK/edited.jsonl: the example with the text of 10 documents (evenly spread) changed and 10 new documents
   appended (copies of 10 others' text under new ids and titles). Each edit carries this run's time, so no
   embedding of an edited or new text comes from the teacher cache of an earlier run; the cache is the user's
   otherwise, as on any rebuild (it holds the teacher's exported ONNX graph, made once per machine).
3. `build-site WORK/edited.jsonl -o WORK/edited-site --model-from WORK/site`, timed as a user sees it (the whole
   process: start-up, imports and all).
4. Checks: report.json's encoded.documents == 20 and reused == 1,452, and the code rows of every unchanged
   document byte-identical to the first site's (hamming_site.builder.reuse.records.compare_rows).
5. A returning visitor (issue 25): of the edited site's offline copy, the files whose content names the first
   site's copy lacks (what the visitor's next visit fetches), by kind, gzip bytes, against a first visit's whole
   copy.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from emit import emit

from hamming_site.builder.output.names import offline_files, site_path
from hamming_site.builder.reuse.records import compare_rows

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "stdlib.jsonl"
EDITS = 10
ADDS = 10


def edit(source: Path, dest: Path, nonce: str) -> dict:
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = len(rows) // EDITS
    edited = [rows[i * step]["id"] for i in range(EDITS)]
    for i in range(EDITS):
        rows[i * step]["text"] += f" (Changed in release {nonce}: see the notes.)"
    added = []
    for i in range(ADDS):
        src = rows[i * step + step // 2]
        added.append(f"new.{i}")
        rows.append({**src, "id": f"new.{i}", "title": f"new.{i} {src['title']} ({nonce})",
                     "url": src["url"] + f"#new{i}"})
    dest.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return {"documents": len(rows), "edited": edited, "added": added}


def build(*args) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hamming_site", "build-site", *map(str, args)], capture_output=True,
                          text=True)
    seconds = time.perf_counter() - t0
    if done.returncode:
        sys.exit(f"build-site {' '.join(map(str, args))} failed:\n{done.stderr[-3000:]}")
    return round(seconds, 2), done.stdout


def gzip_bytes(path: Path) -> int:
    return len(zlib.compress(path.read_bytes(), 6))


def returning_visitor(site: Path, edited: Path) -> dict:
    """A visitor who kept SITE offline comes back after the rebuild: what the next visit fetches is every file of
    the new offline copy whose (content) name the old copy lacks, against a first visit's whole copy."""
    old = set(offline_files(json.loads((site / "manifest.json").read_text())))
    files = offline_files(json.loads((edited / "manifest.json").read_text()))
    new = [f for f in files if f not in old or f in ("manifest.json", "index.html")]  # fixed names: revalidated
    kinds: dict[str, dict] = {}
    for f in new:
        kind = f.split("/")[0].split(".")[0] if "/" in f else f.split(".")[0]
        k = kinds.setdefault(kind, {"files": 0, "gzip": 0})
        k["files"] += 1
        k["gzip"] += gzip_bytes(edited / f)
    total = sum(gzip_bytes(edited / f) for f in files)
    fetched = sum(k["gzip"] for k in kinds.values())
    return {"first_visit": {"files": len(files), "gzip": total},
            "next_visit": {"files": len(new), "gzip": fetched, "by_kind": kinds},
            "kept": {"files": len(files) - len(new), "gzip": total - fetched,
                     "single_files": sorted(f for f in files if f in old and "/" not in f)}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "hamming-reuse",
                    help="where the sites and the edited corpus go (outside the checkout)")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "reuse-stdlib.json")
    ap.add_argument("--fresh", action="store_true", help="build the first site again even if WORK/site exists")
    ap.add_argument("options", nargs="*", help="build-site options of the first build (after --)")
    args = ap.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    site, edited_site = work / "site", work / "edited-site"

    full_seconds = None
    if args.fresh or not (site / "report.json").exists():
        full_seconds, _ = build(EXAMPLE, "-o", site, "--retrain", *args.options)
    full_report = json.loads((site / "report.json").read_text())
    corpus = edit(EXAMPLE, work / "edited.jsonl", time.strftime("%Y%m%d.%H%M%S"))
    seconds, _ = build(work / "edited.jsonl", "-o", edited_site, "--model-from", site)
    report = json.loads((edited_site / "report.json").read_text())
    rows = compare_rows(site, edited_site)
    unchanged = corpus["documents"] - EDITS - ADDS
    result = {
        "corpus": EXAMPLE.name,
        "options": args.options,
        # ran_now false: WORK/site was there, its report.json gives the seconds of the build that made it
        "full_build": {"ran_now": full_seconds is not None, "seconds_wall": full_seconds,
                       "seconds": full_report["seconds"],
                       "encoded": full_report.get("encoded")},
        "edit": {"edited": EDITS, "added": ADDS, "documents": corpus["documents"]},
        "rebuild": {
            "command": "build-site edited.jsonl -o edited-site --model-from site",
            "seconds_wall": seconds,  # the whole process, as a user times it
            "seconds": report["seconds"],
            "encoded": report["encoded"],
            "teacher_texts_per_second": report["teacher_texts_per_second"],
            "unchanged_rows_identical": rows["identical"],
            "unchanged_rows_differ": rows["differ"],
        },
        "checks": {
            "seconds_wall <= 30": seconds <= 30,
            "encoded.documents == 20": report["encoded"]["documents"] == EDITS + ADDS,
            f"reused == {unchanged}": report["encoded"]["reused"] == unchanged,
            "unchanged rows byte-identical": rows["identical"] == unchanged and not rows["differ"],
            "model.onnx identical": site_path(site, "model.onnx").read_bytes()
            == site_path(edited_site, "model.onnx").read_bytes(),
        },
        "returning_visitor": returning_visitor(site, edited_site),
        "machine": {"cpus": __import__("os").cpu_count()},
    }
    emit(result, args.json)
    if not all(result["checks"].values()):
        sys.exit("a check failed")


if __name__ == "__main__":
    main()
