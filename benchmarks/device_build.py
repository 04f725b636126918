"""A build on a GPU beside the same build on the CPU: stage seconds and nDCG@10 of each (for docs/scaling.md).

    python benchmarks/device_build.py BEIR_DIR [--devices cuda,cpu] [--json OUT]

For each device, `site-eval BEIR_DIR --split test --device D` with an empty cache of its own, so the teacher
encodes every passage and view on that device; the shared query model is linked in from the default cache when
it is there, as benchmarks/build_time.py does. The nDCG figures are each site's own rankings against the
qrels; the teacher's column is the CPU teacher's in both runs (site-eval's reference), so the two sites are
compared against one yardstick. Prints and saves, per device: report.json's seconds per stage, its device,
and the nDCG@10 of every ranking.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from emit import emit


def run(beir: Path, device: str, work: Path) -> dict:
    cache, site, figures = work / f"cache-{device}", work / f"site-{device}", work / f"eval-{device}.json"
    cache.mkdir()
    shared = Path.home() / ".cache" / "hamming-site" / "query-model"
    if shared.exists():
        (cache / "query-model").symlink_to(shared)
    command = [sys.executable, "-m", "hamming_site", "site-eval", str(beir), "--split", "test", "--device", device,
               "--cache-dir", str(cache), "--out", str(site), "--json", str(figures)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        return {"device": device, "error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    report = json.loads((site / "report.json").read_text())
    result = json.loads(figures.read_text())
    return {"device": report["device"], "seconds": report["seconds"], "teacher": report["teacher"],
            "ndcg@10": result["ndcg@10"], "fidelity": report.get("fidelity")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("beir_dir", type=Path)
    ap.add_argument("--devices", default="cuda,cpu")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        runs = [run(args.beir_dir, device, Path(work)) for device in args.devices.split(",")]
    emit({"dataset": args.beir_dir.name, "runs": runs}, args.json)


if __name__ == "__main__":
    main()
