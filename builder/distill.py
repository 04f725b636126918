"""Train the student (HPD) and its binarizer (Hamming embeddings) to mimic the teacher.

HPD: the student's projection regresses the teacher's embedding mapped to `bits` dimensions by a fixed
linear map (PCA on the teacher's document embeddings, then a random rotation that spreads variance over
all bits). Binarizer: a linear decoder reconstructs the teacher's embedding from the straight-through
sign bits of the projection, so the bits themselves are trained to keep the teacher's geometry.
"""

from __future__ import annotations

import logging
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from builder.student import Student, pad_batch

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")


@dataclass(frozen=True)
class TargetSpace:
    mean: np.ndarray  # [dim] teacher mean
    matrix: np.ndarray  # [dim, bits] PCA basis times a random rotation, scaled to unit variance

    def project(self, teacher: np.ndarray) -> np.ndarray:
        return ((teacher - self.mean) @ self.matrix).astype(np.float32)


def fit_target_space(teacher_docs: np.ndarray, bits: int, seed: int) -> TargetSpace:
    """PCA of the teacher (top min(bits, dim) components) followed by a random orthogonal rotation.

    With bits above the teacher's dimension the rotation maps all dim components into `bits` directions.
    """
    x = teacher_docs.astype(np.float64)
    mean = x.mean(0)
    cov = np.cov((x - mean).T) if len(x) > 1 else np.eye(x.shape[1])
    eigval, eigvec = np.linalg.eigh(np.atleast_2d(cov))
    k = min(bits, x.shape[1])
    basis = eigvec[:, np.argsort(-eigval)[:k]]  # [dim, k]
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((bits, bits)))
    q *= np.sign(np.diag(r))  # a uniformly random rotation, independent of LAPACK's sign choices
    matrix = basis @ q[:k, :]
    z = (x - mean) @ matrix
    spread = float(z.std())
    scale = 1.0 / spread if spread > 1e-4 else 1.0  # one document (or copies of one) has no spread
    return TargetSpace(mean.astype(np.float32), (matrix * scale).astype(np.float32))


def query_views(texts: list[str], per_doc: int, seed: int) -> list[str]:
    """Short, query-like views of each document: single sentences and spans of 4 to 16 words."""
    rng = random.Random(seed)
    views: list[str] = []
    for text in texts:
        sentences = [s for s in _SENTENCE.split(text) if len(s.split()) >= 3]
        words = text.split()
        for v in range(per_doc):
            if v % 2 == 0 and sentences:
                views.append(rng.choice(sentences))
            elif len(words) > 4:
                n = rng.randint(4, min(16, len(words)))
                start = rng.randint(0, len(words) - n)
                views.append(" ".join(words[start : start + n]))
    seen: set[str] = set(texts)
    unique = []
    for v in views:  # never encode the same text twice
        if v not in seen:
            seen.add(v)
            unique.append(v)
    return unique


def _batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: little padding, still a random order of batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def init_projection(student: Student, space: TargetSpace, sample: list[list[int]]) -> None:
    """Start the projection at the teacher's map. The teacher normalises its pooled vector; the student's
    is not normalised, so divide by the mean pooled norm measured on a sample of the training texts."""
    with torch.no_grad():
        ids, mask = pad_batch(sample)
        norm = student.pooled(torch.from_numpy(ids), torch.from_numpy(mask)).norm(dim=1).mean().item()
        student.proj.weight.copy_(torch.from_numpy(space.matrix.T.copy()) / max(norm, 1e-6))
        student.proj.bias.copy_(torch.from_numpy(-(space.mean @ space.matrix)))


def train(
    student: Student,
    token_ids: list[list[int]],
    teacher: np.ndarray,
    space: TargetSpace,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    recon_weight: float,
    seed: int,
    progress: Progress | None = None,
) -> dict:
    """Fit student (and a decoder used only in training). Returns the last epoch's mean losses."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    targets = torch.from_numpy(space.project(teacher))
    teacher_t = torch.from_numpy(teacher.astype(np.float32))
    bits, dim = space.matrix.shape[1], teacher.shape[1]
    decoder = nn.Linear(bits, dim)
    with torch.no_grad():  # the decoder starts as the pseudo-inverse of the target map
        decoder.weight.copy_(torch.from_numpy(np.linalg.pinv(space.matrix).T.astype(np.float32)))
        decoder.bias.copy_(torch.from_numpy(space.mean))
    # Token embeddings stay the teacher's: most of the parameters, costly to update, and what lets a word
    # seen only in queries keep its meaning.
    student.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    body = [p for p in student.encoder.parameters() if p.requires_grad]
    head = list(student.proj.parameters()) + list(decoder.parameters())
    opt = torch.optim.AdamW(
        [{"params": body, "lr": lr}, {"params": head, "lr": lr * 10}], weight_decay=0.01
    )
    lengths = [len(t) for t in token_ids]
    steps_per_epoch = math.ceil(len(token_ids) / batch_size)
    total = max(1, epochs * steps_per_epoch)
    warmup = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    stats = {"hpd": float("nan"), "recon": float("nan"), "steps": 0}
    step = 0
    student.train()
    for epoch in range(epochs):
        sums = [0.0, 0.0]
        for batch in _batches(lengths, batch_size, rng):
            ids, mask = pad_batch([token_ids[i] for i in batch])
            y = student(torch.from_numpy(ids), torch.from_numpy(mask))
            hpd = F.mse_loss(y, targets[batch])
            soft = torch.tanh(y)
            code = soft + (torch.sign(y) - soft).detach()  # straight-through sign
            recon = 1 - F.cosine_similarity(decoder(code), teacher_t[batch]).mean()
            loss = hpd + recon_weight * recon
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
            opt.step()
            sched.step()
            sums[0] += hpd.item() * len(batch)
            sums[1] += recon.item() * len(batch)
            step += 1
            if progress:
                progress("train", step, total)
        stats = {"hpd": sums[0] / len(token_ids), "recon": sums[1] / len(token_ids), "steps": step}
        log.info("epoch %d: hpd %.4f recon %.4f", epoch + 1, stats["hpd"], stats["recon"])
    student.eval()
    return stats
