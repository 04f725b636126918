"""Blocked int4 weights: one rounding rule shared by the export (the bytes model.onnx stores) and by
training (the student's last epoch sees the same rounded weights, so it learns to live with them).

A weight [channels, inputs] is cut into blocks of BLOCK consecutive inputs of one channel; each block stores
16 levels (-8..7) times a float16 scale. Of absmax/7 shrunk by each of CLIP_RATIOS, the scale with the least
squared error wins: clipping a block's one or two outliers rounds its other values finer.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

BLOCK = 64
CLIP_RATIOS = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)


@torch.no_grad()
def int4_blocks(blocks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """[..., block] float32 -> int4 levels (same shape, int8) and float16 scales [...]."""
    absmax = blocks.abs().amax(-1)
    best_q = best_s = best_err = None
    for ratio in CLIP_RATIOS:
        s = (absmax * ratio / 7.0).half()
        s = torch.where(s > 0, s, torch.ones_like(s))
        s32 = s.float().unsqueeze(-1)
        q = torch.clamp(torch.round(blocks / s32), -8, 7)
        err = ((q * s32 - blocks) ** 2).sum(-1)
        if best_err is None:
            best_q, best_s, best_err = q, s, err
            continue
        better = err < best_err
        best_q = torch.where(better.unsqueeze(-1), q, best_q)
        best_s = torch.where(better, s, best_s)
        best_err = torch.minimum(err, best_err)
    return best_q.to(torch.int8), best_s


def _int4_levels(w: torch.Tensor, block: int) -> tuple[torch.Tensor, torch.Tensor]:
    """[channels, inputs] -> int4 levels [channels, inputs] (int8) and float16 scales [channels, n_blocks];
    the last block of a row is padded with zeros."""
    channels, inputs = w.shape
    b = min(block, inputs)
    blocks = nn.functional.pad(w.detach().float(), (0, -inputs % b)).reshape(channels, -1, b)
    q, s = int4_blocks(blocks)
    return q.reshape(channels, -1)[:, :inputs], s


def int4_rows(w: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """[channels, inputs] -> int4 levels [channels, inputs] (int8) and float16 scales [channels, n_blocks]."""
    q, s = _int4_levels(torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32)), block)
    return q.numpy(), s.numpy()


def round_int4(w: torch.Tensor, block: int = BLOCK) -> torch.Tensor:
    """The float values int4_rows stores for a [channels, inputs] weight."""
    q, s = _int4_levels(w, block)
    scales = s.float().repeat_interleave(min(block, w.shape[1]), dim=1)[:, : w.shape[1]]
    return (q.float() * scales).to(w.dtype)


class _FakeInt4(nn.Module):
    """Forward: the int4-rounded weight. Backward: the identity (straight-through)."""

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return w + (round_int4(w) - w).detach()


@contextlib.contextmanager
def int4_aware(model: nn.Module, min_elements: int = 4096):
    """Inside: every large Linear weight trains through int4 rounding, and every large embedding table (frozen
    here) is replaced by its rounded values. On exit the float weights stay, which the export rounds the same
    way (same function, same input: the same levels)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear) and m.weight.numel() >= min_elements]
    tables = [m for m in model.modules() if isinstance(m, nn.Embedding) and m.weight.numel() >= min_elements]
    saved = [t.weight.detach().clone() for t in tables]
    with torch.no_grad():
        for t in tables:
            t.weight.copy_(round_int4(t.weight))
    for m in linears:
        parametrize.register_parametrization(m, "weight", _FakeInt4())
    try:
        yield
    finally:
        for m in linears:
            parametrize.remove_parametrizations(m, "weight", leave_parametrized=False)
        with torch.no_grad():
            for t, w in zip(tables, saved, strict=True):
                t.weight.copy_(w)


def pack_int4(q: np.ndarray) -> bytes:
    """ONNX's INT4 raw layout: two values a byte, the first in the low nibble."""
    flat = q.astype(np.uint8).ravel() & 0x0F
    if flat.size % 2:
        flat = np.append(flat, np.uint8(0))
    return (flat[0::2] | (flat[1::2] << 4)).tobytes()
