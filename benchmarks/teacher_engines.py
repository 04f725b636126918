"""The teacher pass on each engine: texts a second, from an empty cache, on this machine.

    python benchmarks/teacher_engines.py [--corpus CORPUS.jsonl] [--texts N] [--json OUT]

N texts of a BEIR corpus (default: SciFact's first 3,000 abstracts, title and text; without ../shared the
1,462 documents of examples/stdlib.jsonl) through the default int8 teacher: embed() in one process (2 threads),
embed() on the 2-process pool, and the Ray Data job of `--engine ray` (hamming_site/builder/teacher/on_ray.py) on a
local Ray instance with 1 and 2 actors of one thread each. A Ray job pays a start (its actors import torch, load the
teacher, open the ONNX session and check it on 8 texts), measured apart on 8 short texts, so that the rate
without it is what each further worker adds on a cluster. Run alone: two torch jobs at once share the cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from emit import emit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hamming_site.builder.input.corpus import read_corpus  # noqa: E402
from hamming_site.builder.teacher.embed import embed  # noqa: E402
from hamming_site.builder.teacher.load import fingerprint, load_teacher  # noqa: E402
from hamming_site.builder.teacher.on_ray import RayTeacher  # noqa: E402

SCIFACT = ROOT.parent / "shared" / "data" / "scifact" / "corpus.jsonl.gz"


def documents(corpus: Path, limit: int) -> list[str]:
    return [d.model_text() for d in read_corpus(corpus)][:limit]


def local(texts, model, sha, processes: int) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        stats: dict = {}
        t0 = time.perf_counter()
        embed(texts, model, "document", Path(cache), sha, stats=stats, processes=processes)
        wall = time.perf_counter() - t0
    return {"workers": processes, "wall_s": round(wall, 1), "texts_per_s": round(len(texts) / wall, 1)}


def on_ray(texts, model, sha, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        with RayTeacher("all-MiniLM-L6-v2", Path(cache), "cpu", workers) as ray:
            t1 = time.perf_counter()
            ray.fill([([f"a short text {i}" for i in range(8)], "document")], model, sha, "onnx-int8")
            t2 = time.perf_counter()
            ray.fill([(texts, "document")], model, sha, "onnx-int8")
            t3 = time.perf_counter()
    job, start = t3 - t2, t2 - t1
    return {"workers": ray.workers, "ray_init_s": round(t1 - t0, 1), "job_start_s": round(start, 1),
            "job_s": round(job, 1), "texts_per_s": round(len(texts) / job, 1),
            "texts_per_s_without_start": round(len(texts) / (job - start), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SCIFACT if SCIFACT.exists() else ROOT / "examples" / "stdlib.jsonl")
    ap.add_argument("--texts", type=int, default=3000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    model = load_teacher("all-MiniLM-L6-v2")
    sha = fingerprint(model)
    texts = documents(args.corpus, args.texts)
    result = {"corpus": args.corpus.name if args.corpus != SCIFACT else "scifact", "texts": len(texts),
              "characters": sum(map(len, texts)),
              "local": [local(texts, model, sha, 1), local(texts, model, sha, 2)],
              "ray": [on_ray(texts, model, sha, 1), on_ray(texts, model, sha, 2)]}
    emit(result, args.json)


if __name__ == "__main__":
    main()
