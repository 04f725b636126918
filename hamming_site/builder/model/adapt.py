"""A build's adaptation of the shared query model to its corpus, in the "compose" stage: compose() its head with
the corpus's binarizer map (exact), refit() the projection in closed form on the corpus's query-like views,
rank_tune() the projection so that the page's rerank orders the corpus's passages as the teacher does, and at
most one training pass of the whole student (off by default). adapt() runs them in that order; every choice was
measured on SciFact train (docs/benchmarks.md, issue 15)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from hamming_site.builder.model.binarize import DOCS_PER_STEP, TAU, Binarizer, listwise, rerank_cosine
from hamming_site.builder.model.distill import train
from hamming_site.builder.model.quant import int4_aware
from hamming_site.builder.model.student import Student, pad_batch

RANK_LR = 3e-4  # rank_tune's Adam step (SciFact train: 1e-4 to 1e-3 within 0.002 of each other)
RANK_BATCH = 256  # views per rank_tune step, each ranking DOCS_PER_STEP passages (the binarizer's batch)


@torch.no_grad()
def compose(student: Student, space: Binarizer, dim: int) -> None:
    """Turn the query model's head (teacher embedding times sqrt(dim)) into the corpus's map: exact, since
    both are linear. project(t) = (t - mean) @ M with t = y / sqrt(dim), y = W h + b."""
    head = student.proj
    m = torch.from_numpy(space.matrix).double()  # [dim, bits]
    w = head.weight.double() / dim**0.5  # [dim, hidden]
    b = head.bias.double() / dim**0.5 - torch.from_numpy(space.mean).double()
    proj = nn.Linear(w.shape[1], m.shape[1])
    proj.weight.copy_((m.T @ w).float())
    proj.bias.copy_((b @ m).float())
    student.proj = proj


@torch.no_grad()
def pooled_vectors(student: Student, token_ids: list[list[int]], weight_bits: int = 32,
                   device: str = "cpu") -> torch.Tensor:
    """The student's pooled vectors (what its projection reads) of these texts, float64 on the CPU; weight_bits
    4: those of the int4 weights model.onnx stores, so what is fitted to them is what the page computes. The
    forward passes run on `device`; the student is back on the CPU after."""
    order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))  # little padding
    pooled = torch.zeros(len(token_ids), student.proj.in_features, dtype=torch.float64)
    student.to(device)
    with int4_aware(student) if weight_bits == 4 else contextlib.nullcontext(), parametrize.cached():
        for start in range(0, len(order), 64):
            idx = order[start : start + 64]
            ids, mask = (torch.from_numpy(a).to(device) for a in pad_batch([token_ids[i] for i in idx]))
            pooled[idx] = student.pooled(ids, mask).cpu().double()  # MPS has no float64
    student.to("cpu")
    return pooled


@torch.no_grad()
def refit(student: Student, token_ids: list[list[int]], targets: np.ndarray, prior: float,
          weight_bits: int = 32, pooled: torch.Tensor | None = None) -> dict:
    """Adapt the composed projection to a corpus, in closed form: least squares from the student's pooled
    vectors of the corpus's views to the map's values of the teacher's embeddings of them, pulled toward the
    composed projection as if it were `prior` more views (ridge around it: a small corpus keeps it, a large
    one moves it). weight_bits 4: the pooled vectors are those of the int4 weights model.onnx stores (SciFact
    train, hamming+rerank nDCG@10: 0.5895 fitted to the float weights' vectors, 0.5942 to the int4 ones').
    pooled: those vectors, where the caller has them. Returns the mean squared error before and after."""
    if pooled is None:
        pooled = pooled_vectors(student, token_ids, weight_bits)
    x = torch.cat([pooled, torch.ones(len(pooled), 1, dtype=torch.float64)], 1)
    y = torch.from_numpy(targets).double()
    w0 = torch.cat([student.proj.weight.double().T, student.proj.bias.double()[None]], 0)  # [hidden + 1, bits]
    before = float(((x @ w0 - y) ** 2).mean())
    lam = prior * float(x.pow(2).sum(1).mean()) / x.shape[1]  # `prior` views of average, isotropic size
    eye = torch.eye(x.shape[1], dtype=torch.float64)
    w = torch.linalg.solve(x.T @ x + lam * eye, x.T @ y + lam * w0)
    student.proj.weight.copy_(w[:-1].T.float())
    student.proj.bias.copy_(w[-1].float())
    return {"views": len(pooled), "mse_before": before, "mse_after": float(((x @ w - y) ** 2).mean())}


def rank_tune(student: Student, pooled: torch.Tensor, targets: np.ndarray, teacher_views: np.ndarray,
              teacher_docs: np.ndarray, doc_values: np.ndarray, *, epochs: int, seed: int,
              device: str = "cpu") -> dict | None:
    """Train the projection alone, on the pooled vectors refit() read, for what the page does with it: the
    query's floats against the passages' sign bits should rank the passages as the teacher's cosine does (the
    binarizer's listwise loss), refit()'s squared error keeping it near the refit. The refit regresses values,
    and the ranking depends on them only through the signs of the passages' values: SciFact train,
    hamming+rerank, 0.6078 -> 0.6119 in under a second (4 passes; 2 / 8 / 16: 0.6100 / 0.6107 / 0.6128)."""
    if not epochs or not len(pooled) or not len(teacher_docs):
        return None
    generator = torch.Generator().manual_seed(seed)  # on the CPU: a GPU run draws what a CPU run draws
    x, y = pooled.float().to(device), torch.from_numpy(targets).to(device)
    signs = torch.where(torch.from_numpy(doc_values).to(device) > 0, 1.0, -1.0)
    t_views = F.normalize(torch.from_numpy(np.asarray(teacher_views, dtype=np.float32)).to(device), dim=1)
    t_docs = F.normalize(torch.from_numpy(np.asarray(teacher_docs, dtype=np.float32)).to(device), dim=1)
    weight = nn.Parameter(student.proj.weight.detach().clone().to(device))
    bias = nn.Parameter(student.proj.bias.detach().clone().to(device))
    opt = torch.optim.Adam([weight, bias], lr=RANK_LR)
    batches = -(-len(x) // RANK_BATCH)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator).to(device)
        sums = [0.0, 0.0]  # the last pass's mean losses are reported
        for start in range(0, len(x), RANK_BATCH):
            v = order[start : start + RANK_BATCH]
            d = torch.randint(0, len(t_docs), (min(DOCS_PER_STEP, len(t_docs)),), generator=generator).to(device)
            q = x[v] @ weight.T + bias
            rank = listwise(rerank_cosine(q, signs[d]), F.log_softmax(t_views[v] @ t_docs[d].T / TAU, 1))
            mse = F.mse_loss(q, y[v])
            opt.zero_grad(set_to_none=True)
            (rank + mse).backward()
            opt.step()
            sums = [sums[0] + rank.item(), sums[1] + mse.item()]
    with torch.no_grad():
        student.proj.weight.copy_(weight)
        student.proj.bias.copy_(bias)
    return {"steps": epochs * batches, "rank": sums[0] / batches, "mse": sums[1] / batches}


@dataclass(frozen=True)
class Adaptation:
    """How adapt() fits the composed model to a corpus (BuildConfig's refit_prior, refit_views, rank_epochs,
    tune_views, batch_size, lr, seed and weight_bits)."""

    prior: float  # the map counts as this many views in the refit
    views: int  # views the refit reads
    rank_epochs: int  # passes of rank_tune
    tune: int  # views of the one pass of the whole student (0: none)
    batch_size: int
    lr: float
    seed: int
    weight_bits: int = 32  # the export's weights: the forward passes see them rounded so


def adapt(student: Student, token_ids: list[list[int]], teacher_views: np.ndarray, space: Binarizer,
          teacher_docs: np.ndarray, doc_values: np.ndarray, how: Adaptation, device: str = "cpu") -> dict:
    """Fit the composed model to a corpus briefly, on its query-like views (whose teacher embeddings the
    binarizer needed anyway): refit() the projection on `how.views` of them, rank_tune() it on the same views
    against the passages' codes (doc_values: the map's values of teacher_docs), then one pass of the whole
    student over `how.tune` of them (off by default: docs/benchmarks.md, issue 15). The forward passes and the
    training run on `device`; the refit's closed form on the CPU, in float64."""
    prior, views, rank_epochs, tune = how.prior, how.views, how.rank_epochs, how.tune
    batch_size, lr, seed, weight_bits = how.batch_size, how.lr, how.seed, how.weight_bits
    if not token_ids:
        return {"refit": None, "rank": None, "tune": None}
    order = np.random.default_rng(seed).permutation(len(token_ids))
    part = np.sort(order[:views])  # the refit's cost is its forward pass over these
    fitted = ranked = None
    if len(part):
        part_ids = [token_ids[i] for i in part]
        pooled, part_views = pooled_vectors(student, part_ids, weight_bits, device), teacher_views[part]
        targets = space.project(part_views)
        fitted = refit(student, part_ids, targets, prior, weight_bits, pooled)
        ranked = rank_tune(student, pooled, targets, part_views, teacher_docs, doc_values, epochs=rank_epochs,
                           seed=seed, device=device)
    tuned = None
    if tune:
        pick = order[:tune]
        tuned = train(student, [token_ids[i] for i in pick], teacher_views[pick], space, epochs=1,
                      batch_size=batch_size, lr=lr, seed=seed, device=device)
    return {"refit": fitted, "rank": ranked, "tune": tuned}
