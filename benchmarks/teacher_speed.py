"""The teacher pass: texts per second and retrieval quality of each backend of hamming_site/builder/teacher/.

    python benchmarks/teacher_speed.py speed                      # all backends side by side, one process
    python benchmarks/teacher_speed.py quality --backend torch    # then onnx, onnx-int8 (resumable)
    python benchmarks/teacher_speed.py pool --backend onnx-int8   # 1 process x 2 threads vs 2 x 1

speed: on a fixed sample of SciFact (the first --docs documents' title + text, which the teacher truncates at
its 256 tokens, and the first --queries queries of queries.jsonl as short query-like texts), each backend
encodes the sample in turn, --rounds times in alternation (torch, onnx, onnx-int8, torch, ...), nothing
cached; texts/s per backend and kind. Also each ONNX backend's one-off export seconds (from the model
folder, into an empty folder). `build_mix` is the texts/s of a SciFact build's teacher pass (5,183 documents
and 14,952 views, views taken as fast as the queries) predicted from the two rates.

quality: the teacher alone as a retriever on SciFact's TEST queries (--dataset cranfield: Cranfield's, under
the key quality_cranfield): every document (SciFact 5,183) and test query (300) embedded with one backend
through hamming_site.builder.teacher.embed (cached per text in --cache, so an interrupted run resumes), cosine top 100,
nDCG@10 with site-eval's metric code (hamming_site/builder/evaluate.py). Each backend's run also records the mean and
least cosine of its vectors to torch's, once torch has run.

pool: sentence-transformers' multi-process pool (embed(..., processes=N)) on the documents sample: 1 process
x 2 threads against 2 processes x 1 thread, the pool's start-up timed apart.

Each part updates its own key of benchmarks/results/teacher-speed.json. Hold the machine's CPU lock
(`flock /tmp/cpu.lock python ...`) so nothing else runs meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from hamming_site.builder.evaluate import _metrics, _ranked, _top, find_corpus, load_qrels, load_queries
from hamming_site.builder.input.corpus import read_corpus
from hamming_site.builder.teacher.backends import export_teacher
from hamming_site.builder.teacher.embed import embed
from hamming_site.builder.teacher.load import BACKENDS, fingerprint, load_teacher

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DATA = SHARED / "scifact"
RESULTS = Path(__file__).resolve().parent / "results" / "teacher-speed.json"
TEACHER = "sentence-transformers/all-MiniLM-L6-v2"
SCIFACT_BUILD = {"documents": 5183, "views": 14952}  # a default SciFact build's teacher pass (issue 15)


def machine() -> dict:
    import onnxruntime
    import sentence_transformers
    import transformers

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    flags = next((line for line in open("/proc/cpuinfo") if line.startswith("flags")), "").split()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "avx2": "avx2" in flags, "avx512f": "avx512f" in flags,
        "vnni": any(f in flags for f in ("avx512_vnni", "avx_vnni")), "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
        "sentence_transformers": sentence_transformers.__version__, "transformers": transformers.__version__,
        "python": platform.python_version(),
    }


def save(part: str, record: dict) -> None:
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[part] = record
    results["machine"] = machine()
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(record, indent=1))


def samples(n_docs: int, n_queries: int) -> tuple[list[str], list[str]]:
    docs = [d.model_text() for d in read_corpus(find_corpus(DATA))[:n_docs]]
    queries = list(load_queries(DATA).values())[:n_queries]
    return docs, queries


def timed(texts, model, kind, backend, processes=1, threads=None) -> float:
    stats: dict = {}
    t0 = time.perf_counter()
    embed(texts, model, kind, None, "bench", backend=backend, processes=processes, threads=threads, stats=stats,
          batch_size=32)
    seconds = time.perf_counter() - t0
    assert stats["backend"] == backend and stats["encoded"] == len(set(texts)), stats
    return seconds


def speed(args) -> None:
    model = load_teacher(TEACHER)
    docs, queries = samples(args.docs, args.queries)
    backends = args.backends
    export = {}
    for b in backends:
        if b != "torch":
            with tempfile.TemporaryDirectory() as work:
                export[b] = export_teacher(model, Path(work) / "teacher.onnx", b)
        timed(docs[:16] + queries[:16], model, "document", b)  # warm: the in-process export, the session
    rounds = []
    for r in range(args.rounds):
        for b in backends:
            row = {"round": r, "backend": b}
            for kind, texts in (("documents", docs), ("queries", queries)):
                seconds = timed(texts, model, "document" if kind == "documents" else "query", b)
                row[kind] = {"texts": len(texts), "seconds": round(seconds, 2),
                             "texts_per_second": round(len(texts) / seconds, 2)}
            print(row, flush=True)
            rounds.append(row)
    rates = {}
    for b in backends:
        mine = [x for x in rounds if x["backend"] == b]
        per = {k: sum(x[k]["texts"] for x in mine) / sum(x[k]["seconds"] for x in mine)
               for k in ("documents", "queries")}
        mix = sum(SCIFACT_BUILD.values()) / (SCIFACT_BUILD["documents"] / per["documents"]
                                              + SCIFACT_BUILD["views"] / per["queries"])
        rates[b] = {"documents": round(per["documents"], 2), "queries": round(per["queries"], 2),
                    "build_mix": round(mix, 2)}
    speedup = {b: {k: round(rates[b][k] / rates["torch"][k], 2) for k in rates[b]} for b in backends}
    save("speed", {
        "command": " ".join(["python", "benchmarks/teacher_speed.py", *sys.argv[1:]]),
        "sample": {"documents": f"SciFact corpus, first {len(docs)} documents (title + text)",
                   "queries": f"SciFact queries.jsonl, first {len(queries)}",
                   "doc_chars_mean": round(float(np.mean([len(t) for t in docs])), 1),
                   "query_chars_mean": round(float(np.mean([len(t) for t in queries])), 1),
                   "max_seq_length": model.max_seq_length, "batch_size": 32},
        "texts_per_second": rates, "speedup_vs_torch": speedup, "export": export, "rounds": rounds,
    })


def quality(args) -> None:
    model = load_teacher(TEACHER)
    sha = fingerprint(model)
    cache = Path(args.cache)
    data = SHARED / args.dataset
    qrels, queries = load_qrels(data, "test"), load_queries(data)
    qids = [q for q in queries if q in qrels]
    docs = read_corpus(find_corpus(data))
    ids, texts = [d.id for d in docs], [d.model_text() for d in docs]

    def vectors(backend, stats=None):
        d = embed(texts, model, "document", cache, sha, backend=backend, stats=stats, progress=_progress)
        q = embed([queries[i] for i in qids], model, "query", cache, sha, backend=backend, stats=stats)
        return d, q

    stats: dict = {}
    d, q = vectors(args.backend, stats)
    ndcg = _metrics({i: _ranked(ids, _top(d @ x, 100)) for i, x in zip(qids, q, strict=True)}, qrels)[0]
    record = {"ndcg@10": round(ndcg, 4), "documents": len(texts), "queries": len(qids), "split": "test",
              "encoded_this_run": stats["encoded"], "cached_this_run": stats["cached"]}
    if stats["cached"] == 0:  # a run that encoded everything: its rate too
        record["texts_per_second"] = round(stats["encoded"] / stats["seconds"], 2)
    part = "quality" if args.dataset == "scifact" else f"quality_{args.dataset}"
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous = results.get(part, {})
    if args.backend != "torch" and "torch" in previous:
        td, tq = vectors("torch")
        cos = {"documents": (d * td).sum(1), "queries": (q * tq).sum(1)}
        record["cosine_to_torch"] = {k: {"mean": round(float(c.mean()), 5), "min": round(float(c.min()), 5)}
                                     for k, c in cos.items()}
        record["ndcg@10_minus_torch"] = round(ndcg - previous["torch"]["ndcg@10"], 4)
    elif args.backend != "torch":
        print("run --backend torch first for the cosine to torch", file=sys.stderr)
    if args.backend in previous and "texts_per_second" in previous[args.backend]:
        record.setdefault("texts_per_second", previous[args.backend]["texts_per_second"])
    command = f"python benchmarks/teacher_speed.py quality --dataset {args.dataset} --backend B (each B)"
    save(part, {**previous, args.backend: record, "command": command})


def _progress(stage: str, done: int, total: int) -> None:
    if done == total or done % 1024 < 256:
        print(f"\r{stage} {done}/{total}", end="\n" if done == total else "", flush=True)


def pool(args) -> None:
    """1 x 2 threads and 1 x 1 through embed(); 2 processes x 1 thread through embed() (its pool started and
    stopped inside, as a build runs it) and, apart, through a pool already started (the steady rate)."""
    from hamming_site.builder.teacher.backends import teacher_encoder
    from hamming_site.builder.teacher.embed import _start_pool

    model = load_teacher(TEACHER)
    docs, _ = samples(args.docs, 0)
    b = args.backend
    for threads in (2, 1):
        timed(docs[:16], model, "document", b, threads=threads)  # warm: export and session
    encoder, _ = teacher_encoder(model, b, threads=1)
    kw = {"batch_size": 32, "normalize_embeddings": True, "convert_to_numpy": True, "show_progress_bar": False}
    rows = []
    for r in range(args.rounds):
        for processes, threads in ((1, 2), (1, 1), (2, 1)):
            seconds = timed(docs, model, "document", b, processes=processes, threads=threads)
            rows.append({"round": r, "processes": processes, "threads_each": threads, "how": "embed()",
                         "seconds": round(seconds, 2), "texts_per_second": round(len(docs) / seconds, 2)})
            print(rows[-1], flush=True)
        t0 = time.perf_counter()
        p = _start_pool(encoder, 2, 1)
        try:
            encoder.encode_document(docs[:4], pool=p, chunk_size=2, **kw)  # both workers up and answering
            start = time.perf_counter() - t0
            t0 = time.perf_counter()
            encoder.encode_document(sorted(docs, key=len, reverse=True), pool=p, chunk_size=32, **kw)
            seconds = time.perf_counter() - t0
        finally:
            encoder.stop_multi_process_pool(p)
        rows.append({"round": r, "processes": 2, "threads_each": 1, "how": "pool already started",
                     "start_seconds": round(start, 2), "seconds": round(seconds, 2),
                     "texts_per_second": round(len(docs) / seconds, 2)})
        print(rows[-1], flush=True)
    save("pool", {"command": " ".join(["python", "benchmarks/teacher_speed.py", *sys.argv[1:]]), "backend": b,
                  "documents": len(docs), "load_average_after": os.getloadavg()[0], "rounds": rows})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["speed", "quality", "pool"])
    ap.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=list(BACKENDS))
    ap.add_argument("--backend", default="onnx-int8", choices=list(BACKENDS))
    ap.add_argument("--dataset", default="scifact", help="quality: a BEIR folder of ../shared/data with a test split")
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--cache", default=str(Path.home() / ".cache" / "hamming-site-bench"),
                    help="the per-text teacher cache of the quality part (not the builds' own)")
    args = ap.parse_args()
    {"speed": speed, "quality": quality, "pool": pool}[args.part](args)


if __name__ == "__main__":
    main()
