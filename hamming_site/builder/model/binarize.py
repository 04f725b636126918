"""The binarizer: a linear map from the teacher's embedding to `bits` values whose signs are the codes.

Documents are coded from the teacher's own embeddings (computed anyway as training targets): the page
never encodes a document, so nothing forces them through the small student, and measured on SciFact the
student's document bits were where most of the quality went (student docs 80.5 % / 84.8 % of the teacher,
teacher docs 84.4 % / 90.4 %, docs/benchmarks.md). The student only has to map queries into this space.

The map starts at PCA followed by an ITQ rotation (the rotation that makes the signs lose least), then is
trained on the teacher's embeddings of query-like views and documents:
- a listwise loss: the view's asymmetric score against the documents' straight-through sign bits, and its
  own bits against theirs (the Hamming stage), should rank the documents as the teacher's cosine does;
- the Hamming-embeddings decoder: the teacher embedding is reconstructed from the document's bits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

Progress = Callable[[str, int, int], None]
TAU = 0.02  # temperature of both rankings; the teacher's cosines between views and documents span ~0.1-0.8
DOCS_PER_STEP = 1024  # documents each batch of views is ranked against


@dataclass(frozen=True)
class Binarizer:
    mean: np.ndarray  # [dim] teacher mean
    matrix: np.ndarray  # [dim, bits]

    def project(self, teacher: np.ndarray) -> np.ndarray:
        """The float values whose signs are the code bits (the student's regression target)."""
        return ((teacher - self.mean) @ self.matrix).astype(np.float32)


def fit_pca_itq(teacher_docs: np.ndarray, bits: int, seed: int, iterations: int = 50) -> Binarizer:
    """PCA of the teacher (top min(bits, dim) components), a random rotation into `bits` directions, then ITQ
    (Gong & Lazebnik 2011): alternate codes = sign(ZR) and R = the rotation closest to mapping Z onto them.
    Scaled to unit variance. With bits above the teacher's dimension all dim components are kept."""
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
    rotation = np.eye(bits)
    for _ in range(iterations if len(x) > 1 else 0):
        u, _, vt = np.linalg.svd(z.T @ np.where(z @ rotation > 0, 1.0, -1.0))
        rotation = u @ vt
    matrix = matrix @ rotation
    spread = float((z @ rotation).std())
    scale = 1.0 / spread if spread > 1e-4 else 1.0  # one document (or copies of one) has no spread
    return Binarizer(mean.astype(np.float32), (matrix * scale).astype(np.float32))


def _sign_st(z: torch.Tensor) -> torch.Tensor:
    """sign(z) forward, tanh's gradient backward (straight-through)."""
    soft = torch.tanh(z)
    return soft + (torch.where(z > 0, 1.0, -1.0) - soft).detach()


def rerank_cosine(z: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    """The page's rerank score, sum_i z_i * code_i, of float queries z against sign codes (+-1), as a cosine."""
    return F.normalize(z, dim=1) @ code.T / code.shape[1] ** 0.5


def listwise(scores: torch.Tensor, teacher_log_p: torch.Tensor) -> torch.Tensor:
    return F.kl_div(F.log_softmax(scores / TAU, 1), teacher_log_p, log_target=True, reduction="batchmean")


def train_binarizer(
    init: Binarizer,
    teacher_docs: np.ndarray,
    teacher_views: np.ndarray,
    *,
    epochs: int,
    seed: int,
    recon_weight: float,
    batch_size: int = 256,
    lr: float = 1e-3,
    progress: Progress | None = None,
    device: str = "cpu",
) -> tuple[Binarizer, dict]:
    """Train the map on the teacher's embeddings (a few seconds an epoch on CPU: 384-d vectors, no text), on
    `device`; the draws come from a CPU generator, so a GPU run sees the batches a CPU run sees."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    mean = torch.from_numpy(init.mean).to(device)
    weight = nn.Parameter(torch.from_numpy(init.matrix.copy()).to(device))
    # read only, so the caller's float32 arrays themselves on the CPU (a copy of a million passages' is 1.5 GB)
    docs = torch.from_numpy(np.asarray(teacher_docs, dtype=np.float32)).to(device)
    views = torch.from_numpy(np.asarray(teacher_views, dtype=np.float32)).to(device) if len(teacher_views) else docs
    bits, dim = init.matrix.shape[1], teacher_docs.shape[1]
    decoder = nn.Linear(bits, dim).to(device)
    with torch.no_grad():  # the decoder starts as the pseudo-inverse of the map
        decoder.weight.copy_(torch.from_numpy(np.linalg.pinv(init.matrix).T.astype(np.float32)))
        decoder.bias.copy_(mean)
    opt = torch.optim.Adam([weight, *decoder.parameters()], lr=lr)
    steps = (len(views) + batch_size - 1) // batch_size
    stats = {"rank": float("nan"), "recon": float("nan"), "steps": 0}
    for epoch in range(epochs):
        order = torch.randperm(len(views), generator=generator)
        sums = [0.0, 0.0]
        for step in range(steps):
            v = views[order[step * batch_size : (step + 1) * batch_size].to(device)]
            d = docs[torch.randint(0, len(docs), (min(DOCS_PER_STEP, len(docs)),), generator=generator).to(device)]
            zv, zd = (v - mean) @ weight, (d - mean) @ weight
            code = _sign_st(zd)
            teacher_log_p = F.log_softmax(F.normalize(v, dim=1) @ F.normalize(d, dim=1).T / TAU, 1)
            asym = rerank_cosine(zv, code)
            ham = _sign_st(zv) @ code.T / bits  # 1 - 2 * hamming / bits
            rank = listwise(asym, teacher_log_p) + listwise(ham, teacher_log_p)
            recon = 1 - F.cosine_similarity(decoder(code), d).mean()
            loss = rank + recon_weight * recon
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sums[0] += rank.item()
            sums[1] += recon.item()
            if progress:
                progress("binarize", epoch * steps + step + 1, epochs * steps)
        stats = {"rank": sums[0] / steps, "recon": sums[1] / steps, "steps": (epoch + 1) * steps}
    return Binarizer(init.mean, weight.detach().cpu().numpy().copy()), stats
