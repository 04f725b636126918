"""The teacher pass as a Ray Data job (`--engine ray`): the texts the cache lacks, encoded by a pool of actors and
written into the same per-text cache (hamming_site/builder/teacher/cache.py), so the build's own embed() calls then find
every vector cached and the rest of the build runs locally, as it does after any earlier build.

Ray joins the cluster at RAY_ADDRESS where it is set, else starts a local instance, stopped again on leaving.
Each actor loads the teacher once, by the name the build was given (so a cluster's workers need hamming-site and
that teacher installed: `pip install hamming-site[ray]`), refuses to work if its weights differ from the
driver's (sha256), and runs one thread. It encodes whole chunks exactly as embed() does in one process: for each
kind, the distinct texts the cache lacks in encode_order, CHUNK_BATCHES batches a chunk, one encode call a
chunk. The int8 teacher's vectors depend on the texts batched together (backends.py), so equal chunks are what
make a Ray build's site byte for byte a local one's.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

import numpy as np

from hamming_site.builder import UserError
from hamming_site.builder.teacher.backends import PROBES, teacher_encoder
from hamming_site.builder.teacher.cache import EmbeddingCache, text_keys
from hamming_site.builder.teacher.embed import BATCH_SIZE, CHUNK_BATCHES, ENCODE, cached_vectors, encode_order
from hamming_site.builder.teacher.load import BACKENDS, dimension

log = logging.getLogger(__name__)
INSTALL = "pip install 'hamming-site[ray]'"


def require_ray():
    """The ray module, or a UserError (one sentence) where it is not installed."""
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data comes with the [data] extra, which ours installs)
    except ImportError:
        raise UserError(f"--engine ray needs Ray with Ray Data: {INSTALL}.") from None
    return ray


class RayTeacher:
    """A context manager around one build's Ray jobs: connects (or starts a local instance) on entering.

    workers: actors a job runs (0 = one per CPU of the cluster, or one per GPU with device cuda)."""

    def __init__(self, teacher: str, cache_dir: Path, device: str = "cpu", workers: int = 0):
        self.teacher, self.cache_dir, self.device, self.asked = teacher, Path(cache_dir), device, workers
        self.workers, self._started = 0, False

    def __enter__(self):
        ray = require_ray()
        if not ray.is_initialized():
            address = os.environ.get("RAY_ADDRESS") or None
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING, configure_logging=False)
            self._started = True
        ctx = ray.data.DataContext.get_current()
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # the build reports its own progress
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        unit = "GPU" if self.device != "cpu" else "CPU"
        have = int(ray.cluster_resources().get(unit, 0))
        if have < 1:
            raise UserError(f"--engine ray --device {self.device}: the Ray cluster has no {unit}.")
        self.workers = min(self.asked, have) if self.asked else have
        return self

    def __exit__(self, *exc):
        if self._started:
            import ray

            ray.shutdown()

    def fill(self, jobs: list[tuple[list[str], str]], model, teacher_sha: str, backend: str, progress=None) -> dict:
        """Encode what the cache lacks of each (texts, kind) and write it there; {"encoded": [texts a job],
        "seconds", "backend", "workers"}."""
        ray = require_ray()
        dim, length, t0 = dimension(model), model.max_seq_length, time.perf_counter()
        with EmbeddingCache(self.cache_dir) as db:
            chunks = _missing_chunks(jobs, db, model, teacher_sha, backend, BATCH_SIZE * CHUNK_BATCHES)
            encoded = [sum(len(texts) for job, _, texts in chunks if job == n) for n in range(len(jobs))]
            if not chunks:
                return {"encoded": encoded, "seconds": 0.0, "backend": "cache", "workers": 0}
            probes = chunks[0][2][:PROBES]
            # made here first, so a local instance's actors find the ONNX export on disk, and so the tag is known
            _, used = teacher_encoder(model, backend, self.cache_dir, teacher_sha, 1, probes=probes)
            rows = [{"chunk": i, "kind": kind, "texts": texts} for i, (_, kind, texts) in enumerate(chunks)]
            gpu, pool = self.device != "cpu", ray.data.ActorPoolStrategy(size=min(self.workers, len(rows)))
            ds = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
                TeacherActor, batch_size=1, batch_format="numpy", compute=pool,
                num_cpus=0 if gpu else 1, num_gpus=1 if gpu else 0,
                fn_constructor_kwargs={"teacher": self.teacher, "cache_dir": str(self.cache_dir),
                                       "teacher_sha": teacher_sha, "backend": backend, "device": self.device,
                                       "probes": probes})
            done, total = 0, sum(encoded)
            try:
                for row in ds.iter_rows():  # in the order the actors finish
                    _, kind, texts = chunks[int(row["chunk"])]
                    if row["backend"] != used:
                        raise UserError(f"a Ray worker ran the teacher on {row['backend']}, this machine on {used}: "
                                        f"give the workers the same teacher and onnxruntime.")
                    vectors = np.frombuffer(row["vectors"], dtype="<f4").reshape(len(texts), dim)
                    db.put(text_keys(texts, teacher_sha, kind, length, BACKENDS[used]), vectors)
                    done += len(texts)
                    if progress:
                        progress("teacher", done, total)
            except Exception as e:  # an actor's UserError reaches the user as itself, not as Ray's wrapping
                cause = _user_error(e)
                if cause is None:
                    raise
                raise cause from None
        return {"encoded": encoded, "seconds": time.perf_counter() - t0, "backend": used,
                "workers": min(self.workers, len(chunks))}


def _user_error(e: BaseException) -> UserError | None:
    """The UserError an actor raised, from Ray's error: an actor's constructor reaches the driver as text only."""
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, UserError):
            return e
        seen.add(id(e))
        said = re.search(r"builder\.UserError: (.+)", str(e))
        if said:
            return UserError(said.group(1).strip())
        e = getattr(e, "cause", None) or e.__cause__ or e.__context__
    return None


def _missing_chunks(jobs, db, model, teacher_sha, backend, size) -> list[tuple[int, str, list[str]]]:
    """(job, kind, texts) of each chunk to encode, as embed() would cut them in one process, the jobs one after
    another: a text an earlier job of its kind encodes is then in the cache, not encoded again."""
    chunks, planned = [], {}
    for job, (texts, kind) in enumerate(jobs):
        earlier = planned.setdefault(kind, set())
        distinct = [t for t in dict.fromkeys(texts) if t not in earlier]
        have = cached_vectors(db, distinct, model, kind, teacher_sha, backend)
        todo = encode_order(t for t in distinct if t not in have)
        earlier.update(todo)
        chunks += [(job, kind, todo[i : i + size]) for i in range(0, len(todo), size)]
    return chunks


class TeacherActor:
    """One Ray actor: loads the teacher once, then encodes one chunk a call (this module's docstring)."""

    def __init__(self, teacher, cache_dir, teacher_sha, backend, device, probes):
        import torch

        from hamming_site.builder.teacher.load import fingerprint, load_teacher

        torch.set_num_threads(1)
        model = load_teacher(teacher, Path(cache_dir), device)
        if fingerprint(model) != teacher_sha:
            raise UserError(f"the Ray worker's teacher {teacher!r} has other weights than the build's.")
        self.encoder, self.used = teacher_encoder(model, backend, Path(cache_dir), teacher_sha, 1, list(probes))

    def __call__(self, batch: dict) -> dict:
        kind, texts = str(batch["kind"][0]), [str(t) for t in batch["texts"][0]]
        out = getattr(self.encoder, ENCODE[kind])(texts, batch_size=BATCH_SIZE, normalize_embeddings=True,
                                                  convert_to_numpy=True, show_progress_bar=False)
        data = np.ascontiguousarray(np.asarray(out, dtype="<f4")).tobytes()
        return {"chunk": batch["chunk"], "vectors": np.array([data], dtype=object),
                "backend": np.array([self.used], dtype=object)}
