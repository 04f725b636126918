"""How build.py runs its stages: each one timed, announced and followed by handing its freed memory back; the
seeds and kernels that make a build reproducible; and the Run every stage takes."""

from __future__ import annotations

import ctypes
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

log = logging.getLogger("hamming_site.builder.build")
Progress = Callable[[str, int, int], None]


class Stages:
    """Times each stage and announces it through the progress callback (total 0 = a stage header)."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.started = time.perf_counter()  # the whole build's start: report.json's total
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str):
        self.name, self.t0 = name, time.perf_counter()
        if self.progress:
            self.progress(name, 0, 0)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.seconds[self.name] = round(time.perf_counter() - self.t0, 3)
        log.info("%s: %.1f s", self.name, self.seconds[self.name])
        _trim()


def _trim() -> None:
    """Hand the memory a stage freed back to the system. glibc keeps what torch's threads freed in their arenas:
    the compose stage's forward passes left 390 MB resident that no later stage used, and every later peak stood
    on it (dask's workers trim the same way). Elsewhere than glibc: nothing to do."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


try:
    _LIBC = ctypes.CDLL("libc.so.6")
    _LIBC.malloc_trim  # noqa: B018  (musl has no malloc_trim: then nothing to trim)
except (OSError, AttributeError):
    _LIBC = None


def reproducible(seed: int, device: str) -> None:
    """The CPU build is the reference, reproducible byte for byte: torch's deterministic kernels, or an error. On a
    GPU torch lacks a deterministic form of some kernels (its list: index_add, scatter_add and more), so there a
    missing one only warns, and cuBLAS gets the fixed workspace that makes its matrix products repeatable
    (PyTorch's reproducibility notes): a GPU build is close to the CPU's, not equal to it."""
    if device == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=device != "cpu")


@dataclass(frozen=True)
class Run:
    """One build's setting, resolved once before any stage: what every stage takes instead of working it out again
    from the options (the device above all: resolve_device runs here and nowhere else in a build)."""

    config: object  # the BuildConfig (not imported: nothing below config imports it)
    device: str  # cpu, cuda or mps: the teacher and the training run there (the export on the CPU)
    cache: Path  # the teacher's embeddings, the shared query model, the page's runtime
    out: Path  # the site folder (config.site_folder()), which tmp replaces at the end
    tmp: Path  # the site being written, moved into place at the end
    stage: Stages
    progress: Progress | None

    def teacher_run(self) -> dict:
        """How the teacher runs: the options' backend and processes on the CPU; on a GPU torch itself, one process
        (the ONNX backends and the process pools are the CPU's ways to go faster)."""
        if self.device == "cpu":
            return {"backend": self.config.teacher_backend, "processes": self.config.teacher_processes}
        return {"backend": "torch", "processes": 1}
