"""The teacher's backends: its transformer run by torch as loaded, or exported to ONNX and run by onnxruntime.

Everything around the transformer (prompts, tokenizer, truncation at max_seq_length, pooling, Dense,
normalisation) is sentence-transformers' own code in every case:

- "torch": the model as sentence-transformers loaded it (fp32).
- "onnx": its transformer exported once to ONNX (torch.onnx, eager attention so that onnxruntime's BERT
  fusions apply: Attention, SkipLayerNormalization, BiasGelu), run by onnxruntime; fp32, the same vectors
  to ~1e-6.
- "onnx-int8" (the default): that graph with dynamic int8 weights, one scale per output channel
  (onnxruntime.quantization.quantize_dynamic), activations quantised per call; each layer's down-projection
  (the MatMul after GELU) stays float32 (_after_activation says why). Activations are quantised per batch,
  so a text's vector moves slightly (cosine ~0.9999) with the texts batched beside it; the same texts in the
  same order give the same vectors. benchmarks/teacher_speed.py measures its speed and its nDCG@10 against
  torch; docs/scaling.md has the figures.

An export is checked against torch on a few of the texts it is about to encode; a teacher whose
transformer cannot be exported, or whose export strays, is encoded with torch instead (a warning says so),
and its vectors are cached under the torch tag.

On disk: `teachers/<teacher weights sha256>/<backend tag>.onnx` under the cache folder, the exported
transformer (token ids -> token embeddings), written once per teacher through a temporary file and a rename.
Without a cache folder the export is made in a temporary folder and kept in memory for the process.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import tempfile
import time
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from hamming_site.builder import UserError
from hamming_site.builder.teacher.load import BACKENDS, DEFAULT_BACKEND, ENCODER_TYPES, fingerprint

log = logging.getLogger(__name__)

# an export is used only if its vectors of the probe texts are at least this close (cosine) to torch's
PARITY = {"onnx": 0.9999, "onnx-int8": 0.95}
PROBES = 8



class OrtTransformer(torch.nn.Module):
    """Stands in for the Hugging Face model inside sentence-transformers' Transformer module: token ids in,
    `last_hidden_state` out, computed by onnxruntime. Picklable (the session is made again on first use),
    so the multi-process pool can ship it to its workers."""

    def __init__(self, source: str | bytes, inputs: list[str], config, threads: int):
        super().__init__()
        self.source, self.inputs, self.config, self.threads = source, inputs, config, threads
        self._session = None

    @property
    def device(self):
        return torch.device("cpu")

    @property
    def dtype(self):
        return torch.float32

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **_):
        from transformers.modeling_outputs import BaseModelOutput

        ids = input_ids.cpu().numpy().astype(np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids) if attention_mask is None else attention_mask.cpu().numpy(),
            "token_type_ids": np.zeros_like(ids) if token_type_ids is None else token_type_ids.cpu().numpy(),
        }
        if self._session is None:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._session = ort.InferenceSession(self.source, opts, providers=["CPUExecutionProvider"])
        out = self._session.run(None, {name: feed[name].astype(np.int64) for name in self.inputs})[0]
        return BaseModelOutput(last_hidden_state=torch.from_numpy(out))

    def __getstate__(self):
        return {**self.__dict__, "_session": None}


def _hf_module(model):
    """(attribute name, Hugging Face model) of the teacher's first module, or None where the ONNX backends
    cannot stand in for it (not a sentence-transformers Transformer over a supported encoder)."""
    first = model[0]
    if type(first).__name__ != "Transformer":
        return None
    for attr in ("model", "auto_model"):  # sentence-transformers 6 names it model, 5 auto_model
        hf = first._modules.get(attr)
        if hf is not None:
            break
    else:
        return None
    if getattr(getattr(hf, "config", None), "model_type", None) not in ENCODER_TYPES:
        return None
    return attr, hf


def _input_names(model, hf) -> list[str]:
    names = list(getattr(model[0].tokenizer, "model_input_names", None) or ["input_ids", "attention_mask"])
    import inspect

    accepted = set(inspect.signature(hf.forward).parameters)
    return [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in names and n in accepted]


@contextmanager
def _eager_attention(hf):
    """The plain attention graph, which onnxruntime's optimizer recognises and fuses (sdpa's is not)."""
    before = getattr(hf.config, "_attn_implementation", None)
    switch = getattr(hf, "set_attn_implementation", None)
    if switch is None or before in (None, "eager"):
        yield
        return
    switch("eager")
    try:
        yield
    finally:
        switch(before)


def export_teacher(model, dest: Path, backend: str = DEFAULT_BACKEND) -> dict:
    """Export the teacher's transformer (token ids -> token embeddings) to `dest` for an ONNX backend,
    through a temporary file and a rename. Returns {"seconds", "bytes", "fused"}."""
    import warnings

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    found = _hf_module(model)
    if found is None:
        raise ValueError("not a sentence-transformers Transformer over a supported encoder")
    _, hf = found
    names = _input_names(model, hf)
    t0 = time.perf_counter()
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    enc = model[0].tokenizer(["search the site for a page", "a page"], padding=True, return_tensors="pt")
    example = tuple(enc[n] if n in enc else torch.zeros_like(enc["input_ids"]) for n in names)

    class Wrapper(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.hf = hf

        def forward(self, *args):
            return self.hf(**dict(zip(names, args, strict=True)), return_dict=True).last_hidden_state

    work = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        raw = work / "raw.onnx"
        axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
        with _eager_attention(hf), warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(Wrapper().eval(), example, str(raw), input_names=names,
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                              do_constant_folding=True, dynamo=False)
        fused, final = _fuse(raw, work / "fused.onnx", hf.config)
        if backend == "onnx-int8":
            quantized = work / "int8.onnx"
            kept = _after_activation(onnx.load(str(final)))
            with _quiet():
                quantize_dynamic(str(final), str(quantized), weight_type=QuantType.QInt8, per_channel=True,
                                 nodes_to_exclude=kept, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
            final = quantized
        os.replace(final, dest)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"seconds": round(time.perf_counter() - t0, 2), "bytes": dest.stat().st_size, "fused": fused}


ELEMENTWISE = {"Mul", "Add", "Div", "Cast", "Identity"}
ACTIVATIONS = {"Gelu", "BiasGelu", "FastGelu", "QuickGelu", "Erf", "Tanh", "Relu"}


def _after_activation(graph_model) -> list[str]:
    """The MatMuls fed by an activation (through elementwise ops only): each layer's down-projection, whose
    input (after GELU) has a few channels far larger than the rest, so that one int8 scale for the whole
    tensor rounds the others coarsely. Kept in float32 by the int8 recipe: on all-MiniLM-L6-v2 they were half
    the int8 error (cosine to fp32 0.9932 -> 0.9964) for 10 % of its speed."""
    graph = graph_model.graph
    producer = {out: node for node in graph.node for out in node.output}
    found = []
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        frontier, seen = [node.input[0]], 0
        while frontier and seen < 16:
            source = producer.get(frontier.pop())
            seen += 1
            if source is None:
                continue
            if source.op_type in ACTIVATIONS:
                found.append(node.name)
                break
            if source.op_type in ELEMENTWISE:
                frontier += list(source.input)
    return found


@contextmanager
def _quiet():
    """onnxruntime's optimizer and quantizer log warnings and advice to the root logger."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def _fuse(src: Path, dst: Path, config) -> tuple[dict, Path]:
    """onnxruntime's transformer optimizer (fused attention, layer norms, GELU); the graph as it was if the
    optimizer fails or fuses nothing."""
    try:
        from onnxruntime.transformers import optimizer

        with _quiet():
            opt = optimizer.optimize_model(str(src), model_type="bert", num_heads=config.num_attention_heads,
                                           hidden_size=config.hidden_size)
            stats = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
            if not stats:
                return {}, src
            opt.save_model_to_file(str(dst))
        return stats, dst
    except Exception as e:  # an architecture the fusions do not know: the plain graph is still right
        log.info("teacher export: no onnxruntime fusions (%s: %s)", type(e).__name__, e)
        return {}, src


_ENCODERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {(backend, threads): encoder}


def _with_transformer(model, attr: str, stand_in):
    """A shallow copy of the SentenceTransformer whose first module runs `stand_in`; the model itself (its
    weights, fingerprint and modules) is untouched."""
    first = copy.copy(model[0])
    first._modules = OrderedDict(first._modules)
    first._modules[attr] = stand_in
    clone = copy.copy(model)
    clone._modules = OrderedDict(model._modules)
    clone._modules[next(iter(clone._modules))] = first
    return clone


def teacher_encoder(model, backend: str = DEFAULT_BACKEND, cache_dir: Path | None = None,
                    teacher_sha: str | None = None, threads: int | None = None, probes: list[str] | None = None):
    """(encoder, backend actually used): a SentenceTransformer-like object whose encode_query/encode_document
    run the teacher on `backend`; the model itself and "torch" where that backend cannot run this teacher.
    Made once per (model, backend, threads) in a process; the export is cached on disk per teacher."""
    if backend not in BACKENDS:
        raise UserError(f"unknown teacher backend {backend!r}; choose one of {', '.join(BACKENDS)}.")
    if backend == "torch":
        return model, "torch"

    threads = threads or torch.get_num_threads()
    made = _ENCODERS.setdefault(model, {})
    if (backend, threads) in made:
        return made[(backend, threads)]
    found = _hf_module(model)
    result = (model, "torch")
    if found is None:
        log.warning("teacher backend %s cannot run this teacher (%s); using torch", backend, type(model[0]).__name__)
    else:
        try:
            result = (_onnx_encoder(model, backend, found, cache_dir, teacher_sha, threads, probes), backend)
        except Exception as e:  # an export that fails or strays: torch still encodes it right
            log.warning("teacher backend %s failed for this teacher (%s: %s); using torch", backend,
                        type(e).__name__, str(e)[:200])
    made[(backend, threads)] = result
    return result


def _onnx_encoder(model, backend, found, cache_dir, teacher_sha, threads, probes):
    attr, hf = found
    if cache_dir is not None:
        teacher_sha = teacher_sha or fingerprint(model)
        path = Path(cache_dir) / "teachers" / teacher_sha / f"{BACKENDS[backend]}.onnx"
        if not path.exists():
            info = export_teacher(model, path, backend)
            log.info("teacher exported for %s in %.1f s (%d bytes; fused %s)", backend, info["seconds"],
                     info["bytes"], info["fused"])
        source = str(path)
    else:  # nothing on disk: exported into a temporary folder, kept in memory
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / "teacher.onnx"
            export_teacher(model, path, backend)
            source = path.read_bytes()
    clone = _with_transformer(model, attr, OrtTransformer(source, _input_names(model, hf), hf.config, threads))
    texts = (probes or [])[:PROBES] or ["search the site for a page", "the teacher encodes each text once"]
    kw = {"normalize_embeddings": True, "convert_to_numpy": True, "show_progress_bar": False}
    ours, theirs = clone.encode_document(texts, **kw), model.encode_document(texts, **kw)
    cosine = float((ours * theirs).sum(1).min())
    if not cosine >= PARITY[backend]:
        raise ValueError(f"its vectors stray from torch's (cosine {cosine:.4f} < {PARITY[backend]})")
    log.info("teacher backend %s: cosine to torch >= %.4f on %d texts", backend, cosine, len(texts))
    return clone


def backend_tag(model, backend: str) -> str:
    """The cache tag of `backend`'s vectors for this model: "torch" where an ONNX backend cannot run it."""
    if backend not in BACKENDS:
        raise UserError(f"unknown teacher backend {backend!r}; choose one of {', '.join(BACKENDS)}.")
    if backend != "torch" and _hf_module(model) is None:
        backend = "torch"
    device = getattr(getattr(model, "device", None), "type", "cpu")
    # a GPU's float sums differ from the CPU's in the last bits: its vectors are cached apart, so that a CPU build
    # never reads them and stays byte for byte what it was
    return BACKENDS[backend] if backend != "torch" or device == "cpu" else f"{BACKENDS['torch']}-{device}"
