"""Where a build's memory goes: resident memory sampled every 50 ms through a build, the peak of each stage.

    python benchmarks/build_memory.py CORPUS_OR_FOLDER [build-site options ...] [--json OUT]

The build runs in this process (hamming_site.build), so the figures are this process's resident set
(/proc/self/statm), children not included: the teacher's process pool, where a cold build starts one, has
its own. `start` is the resident set when the stage began, `peak` the most it reached during it; the
difference between a stage's start and the next one's is what the stage left behind.
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time
from pathlib import Path

from emit import emit

import hamming_site

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


class Sampler(threading.Thread):
    """Samples the resident set; stage(name) opens a new stage's record."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stages: dict[str, dict] = {}
        self.current = self._open("start")
        self.done = threading.Event()

    def _open(self, name: str) -> dict:
        now = rss_mb()
        record = self.stages.setdefault(name, {"start_mb": round(now, 1), "peak_mb": now})
        return record

    def stage(self, name: str, done: int, total: int) -> None:
        if total == 0 and name not in self.stages:  # a stage header (hamming_site/builder/build.py's Stages)
            self.current = self._open(name)

    def run(self) -> None:
        while not self.done.wait(0.05):
            record = self.current
            record["peak_mb"] = max(record["peak_mb"], rss_mb())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--out", type=Path, default=None)
    args, rest = parser.parse_known_args()
    options = {}
    for flag, value in zip(rest[::2], rest[1::2], strict=True):  # --cache-dir X --bits 512 ...
        options[flag.lstrip("-").replace("-", "_")] = _value(value)
    sampler = Sampler()
    sampler.start()
    t0 = time.perf_counter()
    result = hamming_site.build(args.corpus, args.out, progress=sampler.stage, force=True, **options)
    sampler.done.set()
    sampler.join()
    stages = {k: {"start_mb": v["start_mb"], "peak_mb": round(v["peak_mb"], 1)} for k, v in sampler.stages.items()}
    emit({
        "corpus": str(args.corpus),
        "options": options,
        "documents": result.report["documents"],
        "passages": result.report["passages"],
        "seconds": round(time.perf_counter() - t0, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "stages": stages,
    }, args.json)


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


if __name__ == "__main__":
    main()
