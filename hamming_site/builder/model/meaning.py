"""What a build's meaning side is, made either by training (builder/training.py) or from a previous site's records
(reuse/records.py's Previous.meaning): one object, so the pipeline takes the same path after either."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ModelFiles:
    """The query model as the site ships it (model.onnx is written), and what making it measured."""

    tokenizer: str | None  # tokenizer.json's text (None: no transformer, --meaning lite)
    student: dict | None  # the manifest's "student": {"name", "layers", "vocabulary"}
    train: dict | None  # per-corpus distillation or the shared model's adaptation
    parity: dict | None  # int4/int8 against float32
    fidelity: dict | None  # the site's ranking against the teacher's on query-like views


@dataclass
class Meaning:
    """The codes, both query encoders and what a later reuse needs, with the figures report.json shows."""

    space: object  # the binarizer (model/binarize.py's Binarizer): teacher embedding -> code values
    codes: np.ndarray  # packed code rows [passages, bits/8], written to codes.bin
    doc_floats: np.ndarray | None  # each row's float values, whose signs are its code (None for a reuse)
    binarizer: dict | None  # the binarizer's training figures (a reuse: the site's)
    model: ModelFiles
    static: dict | None  # the static encoder's manifest entry (None: --meaning full)
    probe_queries: np.ndarray | None  # query-like vectors the clusters' probes are chosen on (None: none known)
    query_model: dict | None  # report.json's "query_model": the shared query model's record (None: none)
