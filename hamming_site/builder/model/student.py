"""The student: a few layers of a small encoder, mean pooling, and a linear projection to `bits` values.

The sign of each projected value is one bit of the document's code; the values themselves are the
query's float projection used to rerank (SPEC: asymmetric scoring).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
from torch import nn

# texts tokenized in one call: enough to keep the tokenizer's threads busy, few enough that their encodings (with
# offsets and token strings) never pile up: PostgreSQL's 11,477 passages tokenized in one call raised the passages
# stage's resident memory by 172 MB, in calls of 1,024 by 52 MB (benchmarks/build_memory.py)
ENCODE_BATCH = 1024


class Student(nn.Module):
    def __init__(self, encoder: nn.Module, bits: int):
        super().__init__()
        self.encoder = encoder
        self.proj = nn.Linear(encoder.config.hidden_size, bits)

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.proj(self.pooled(input_ids, attention_mask))


def keep_layers(n_total: int, n_keep: int) -> list[int]:
    """Layers spread evenly from the first to the last (the last one shapes the pooled output most)."""
    n_keep = min(n_keep, n_total)
    if n_keep == 1:
        return [n_total - 1]
    return sorted({int(round(x)) for x in np.linspace(0, n_total - 1, n_keep)})


def make_student(base_model, n_layers: int, bits: int) -> tuple[Student, list[int]]:
    """A Student cut from a loaded sentence-transformers model (its transformer, not its head)."""
    encoder = copy.deepcopy(base_model[0].auto_model).cpu().float()
    encoder.config._attn_implementation = "eager"  # exports to plain ONNX ops on every runtime
    layers = encoder.encoder.layer
    kept = keep_layers(len(layers), n_layers)
    encoder.encoder.layer = nn.ModuleList([layers[i] for i in kept])
    encoder.config.num_hidden_layers = len(kept)
    return Student(encoder, bits), kept


def tokenizer_json(base_model, max_length: int) -> str:
    """The student's tokenizer.json, with truncation to max_length: the file the site ships."""
    tok = base_model[0].tokenizer
    backend = copy.deepcopy(tok.backend_tokenizer)
    backend.enable_truncation(max_length)
    backend.no_padding()
    return backend.to_str()


class Tokenizer:
    """Tokenizes exactly as the page will: from the shipped tokenizer.json, truncated to max_length."""

    def __init__(self, json_text: str, max_length: int):
        from tokenizers import Tokenizer as HFTokenizer

        self.tok = HFTokenizer.from_str(json_text)
        self.tok.enable_truncation(max_length)
        self.tok.no_padding()
        self.max_length = max_length

    @classmethod
    def from_file(cls, path: Path, max_length: int) -> Tokenizer:
        return cls(Path(path).read_text(encoding="utf-8"), max_length)

    def ids(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for start in range(0, len(texts), ENCODE_BATCH)  # see ENCODE_BATCH
                for e in self.tok.encode_batch(texts[start : start + ENCODE_BATCH])]


def truncate_ids(ids: list[int], max_length: int) -> list[int]:
    """Cut to max_length keeping the final special token ([SEP]), as the tokenizer's own truncation does."""
    return ids if len(ids) <= max_length else ids[: max_length - 1] + ids[-1:]


def pad_batch(seqs: list[list[int]], pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(s) for s in seqs)
    ids = np.full((len(seqs), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.int64)
    for row, s in enumerate(seqs):
        ids[row, : len(s)] = s
        mask[row, : len(s)] = 1
    return ids, mask
