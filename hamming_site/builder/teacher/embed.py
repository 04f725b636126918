"""embed(): the teacher's vectors of many texts, from the cache, else from a backend, in process pools.

The cache is hamming_site/builder/teacher/cache.py's, the backends hamming_site/builder/teacher/backends.py's.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from hamming_site.builder.teacher.backends import PROBES, backend_tag, teacher_encoder
from hamming_site.builder.teacher.cache import DB_NAME, EmbeddingCache, text_keys
from hamming_site.builder.teacher.load import BACKENDS, DEFAULT_BACKEND, dimension, fingerprint

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]

# processes=0 ("auto") starts a pool of one single-threaded process per core when a call has at least this many
# texts to encode: measured on 2 cores, 2 x 1 thread encodes ~1.5x the texts per second of 1 x 2 threads but
# takes ~26 s to start (benchmarks/teacher_speed.py pool), so it pays from about 2,000 texts.
POOL_MIN_TEXTS = 4000
BATCH_SIZE = 32  # texts a batch of the teacher
CHUNK_BATCHES = 8  # batches an encode call takes: one cache transaction and one progress step each
ENCODE = {"query": "encode_query", "document": "encode_document"}  # the teacher's prompts for each kind



def is_cached(texts: list[str], model, kind: str, cache_dir: Path, teacher_sha: str,
              backend: str = DEFAULT_BACKEND) -> bool:
    """True when every text's vector is in the cache (and so embed() encodes nothing)."""
    if cache_dir is None:
        return False
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return True
    if not (Path(cache_dir) / "teacher" / DB_NAME).exists():
        return False
    with EmbeddingCache(cache_dir) as db:
        return len(cached_vectors(db, distinct, model, kind, teacher_sha, backend)) == len(distinct)


def cached_vectors(db: EmbeddingCache, distinct: list[str], model, kind: str, teacher_sha: str,
                   backend: str) -> dict[str, np.ndarray]:
    """The vectors the cache holds of these distinct texts, by text."""
    keys = text_keys(distinct, teacher_sha, kind, model.max_seq_length, backend_tag(model, backend))
    hits = db.get(keys, dimension(model))
    return {t: hits[k] for t, k in zip(distinct, keys, strict=True) if k in hits}


def embed(
    texts: list[str],
    model,
    kind: str = "document",
    cache_dir: Path | None = None,
    teacher_sha: str | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    stats: dict | None = None,
    backend: str = DEFAULT_BACKEND,
    processes: int = 1,
    threads: int | None = None,
) -> np.ndarray:
    """Teacher embeddings (float32, [len(texts), dim], unit length), cached on disk per text.

    kind is "query" or "document": the teacher's own prompts for that kind are applied where it has them.
    Each distinct text not in the cache is encoded once, longest first so each batch pads little, in chunks
    that are written to the cache one transaction each. backend: BACKENDS (hamming_site/builder/teacher/backends.py).
    processes > 1 encodes with sentence-transformers' multi-process pool, `threads` threads each (default: this
    process's threads divided among them); processes=0 chooses (POOL_MIN_TEXTS); threads=None otherwise means torch's
    thread count. Inside shared_pools(), a pool outlives the call for the next one.
    stats, if given, gains (adds to) "encoded" (distinct texts run through the teacher), "cached" (distinct
    texts read from the cache) and "seconds" (spent encoding), and gets "backend" (the one that encoded) and
    "workers" (the most processes a call encoded with).
    """
    dim = dimension(model)
    first: dict[str, int] = {}
    for i, t in enumerate(texts):
        first.setdefault(t, i)
    distinct = list(first)
    vectors: dict[str, np.ndarray] = {}
    db = EmbeddingCache(cache_dir) if cache_dir is not None and distinct else None
    try:
        if db is not None:
            teacher_sha = teacher_sha or fingerprint(model)
            vectors = cached_vectors(db, distinct, model, kind, teacher_sha, backend)
        cached = len(vectors)
        todo = encode_order(t for t in distinct if t not in vectors)
        (used, workers), t0 = ("cache", 0), time.perf_counter()
        if todo:
            log.info("teacher: %d texts to encode, %d from the cache", len(todo), cached)
            used, workers = _encode_missing(todo, model, kind, db, teacher_sha, backend, batch_size, processes,
                                            threads, vectors, progress, dim)
        elif progress:
            progress("teacher", len(distinct), len(distinct))
    finally:
        if db is not None:
            db.close()
    if stats is not None:
        stats["encoded"] = stats.get("encoded", 0) + len(todo)
        stats["cached"] = stats.get("cached", 0) + cached
        stats["seconds"] = stats.get("seconds", 0.0) + (time.perf_counter() - t0 if todo else 0.0)
        stats["backend"] = used
        stats["workers"] = max(stats.get("workers", 0), workers)
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack([vectors[t] for t in texts]).astype(np.float32, copy=False)


def _encode_missing(todo, model, kind, db, teacher_sha, backend, batch_size, processes, threads, vectors,
                    progress, dim) -> tuple[str, int]:
    """Encode `todo` (longest first) into `vectors`, writing each chunk to `db`; (the backend that ran, its
    processes)."""

    processes = auto_processes(len(todo)) if processes == 0 else max(1, int(processes))
    if threads is None:
        threads = max(1, torch.get_num_threads() // processes) if processes > 1 else torch.get_num_threads()
    cache_dir = Path(db.path).parent.parent if db is not None else None
    encoder, used = teacher_encoder(model, backend, cache_dir, teacher_sha, threads, probes=todo[:PROBES])
    tag = BACKENDS[used]
    if db is not None and tag != backend_tag(model, backend):  # fell back to torch: its own cached vectors
        keys = text_keys(todo, teacher_sha, kind, model.max_seq_length, tag)
        hits = db.get(keys, dim)
        vectors.update({t: hits[k] for t, k in zip(todo, keys, strict=True) if k in hits})
        todo = [t for t in todo if t not in vectors]
    method = ENCODE[kind]
    chunk = batch_size * CHUNK_BATCHES * processes
    pool = _pool(encoder, processes, threads) if processes > 1 and todo else None
    try:
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            kw = {"pool": pool, "chunk_size": batch_size} if pool is not None else {}
            out = getattr(encoder, method)(part, batch_size=batch_size, normalize_embeddings=True,
                                           convert_to_numpy=True, show_progress_bar=False, **kw)
            out = np.asarray(out, dtype=np.float32).reshape(len(part), dim)
            if db is not None:
                db.put(text_keys(part, teacher_sha, kind, model.max_seq_length, tag), out)
            vectors.update(zip(part, out, strict=True))
            if progress:
                progress("teacher", min(start + chunk, len(todo)), len(todo))
    finally:
        if pool is not None and _POOLS is None:
            encoder.stop_multi_process_pool(pool)
    return used, processes


def encode_order(texts) -> list[str]:
    """The order texts are encoded in: longest first, so each batch pads little. One process cuts it into
    chunks of CHUNK_BATCHES batches, one encode call each; the int8 teacher's vectors depend on the texts
    batched together, so every engine cuts the same chunks (hamming_site/builder/teacher/on_ray.py)."""
    return sorted(texts, key=len, reverse=True)


def auto_processes(texts: int) -> int:
    """Processes for `texts` to encode: one per usable core from POOL_MIN_TEXTS on, else 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores if cores > 1 and texts >= POOL_MIN_TEXTS else 1


_POOLS: dict | None = None  # inside shared_pools(): (encoder id, processes, threads) -> (encoder, pool)


@contextmanager
def shared_pools():
    """Inside: a pool embed() starts stays up for later calls (a build's documents and views pay one start);
    every pool is stopped on leaving."""
    global _POOLS
    outer, _POOLS = _POOLS, {} if _POOLS is None else _POOLS
    try:
        yield
    finally:
        if outer is None:
            pools, _POOLS = _POOLS, None
            for encoder, pool in pools.values():
                encoder.stop_multi_process_pool(pool)


def _pool(encoder, processes: int, threads: int):
    if _POOLS is None:
        return _start_pool(encoder, processes, threads)
    key = (id(encoder), processes, threads)
    if key not in _POOLS:
        _POOLS[key] = (encoder, _start_pool(encoder, processes, threads))
    return _POOLS[key][1]


def _start_pool(encoder, processes: int, threads: int):
    """sentence-transformers' pool of `processes` CPU workers with `threads` threads each (torch reads
    OMP_NUM_THREADS when a spawned worker imports it; an ONNX stand-in carries its own thread count)."""
    # The pool stops its workers with SIGTERM while they wait on its queue, and Python's resource tracker then
    # frees that queue's semaphore itself, warning of it at exit: harmless, so not shown to the user.
    quiet = "ignore::UserWarning:multiprocessing.resource_tracker"
    env = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), quiet]))}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()  # started now, so with that filter
        return encoder.start_multi_process_pool(["cpu"] * processes)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
