"""Export the student to ONNX (tokens -> float projection), store its weights as int4 or int8, check parity."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import torch
from torch.nn.utils import parametrize

from hamming_site.builder.model.quant import BLOCK, int4_aware, int4_rows, pack_int4
from hamming_site.builder.model.student import Student, pad_batch

log = logging.getLogger(__name__)
OPSET = 17


def export_onnx(student: Student, path: Path) -> None:
    """fp32 ONNX with dynamic batch and sequence axes, opset 17."""
    student.eval()
    ids = torch.tensor([[1, 2, 3, 4], [1, 3, 4, 0]], dtype=torch.long)  # any ids inside every vocabulary
    mask = (ids != 0).long()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            student,
            (ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def quantize_weights(src: Path, dst: Path, weight_bits: int = 4, block: int = BLOCK, min_elements: int = 4096) -> None:
    """Weight-only quantisation: every large MatMul weight and embedding table is stored as signed integers
    behind a DequantizeLinear, so the file is small but all arithmetic stays float32 (the page folds the
    weights to float32 once, at load).

    weight_bits 8: one symmetric scale per output channel (per row for embeddings). weight_bits 4: one
    scale per `block` consecutive inputs of each output channel (per block of a row for embeddings), stored
    as float16 (opset 21's blocked int4 DequantizeLinear), rounded as quant.py says (the student's last
    training epoch saw the same rounding). Measured in docs/benchmarks.md.

    Why not onnxruntime's quantize_dynamic: it quantises activations too, per call, and a 1e-7 difference
    between onnxruntime-web and Python's onnxruntime then flips a rounding step and moves the output by up to
    6 % (measured on this project's student); weight-only quantisation agrees to ~1e-6.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper, version_converter

    if weight_bits not in (4, 8):
        raise ValueError(f"weight_bits must be 4 or 8, not {weight_bits}")
    model = onnx.load(str(src))
    if weight_bits == 4:  # blocked int4 DequantizeLinear needs opset 21
        model = version_converter.convert_version(model, 21)
        del model.graph.value_info[:]  # the converter's inferred shapes: bytes the runtime recomputes anyway
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    axis_of = {}  # initializer name -> the axis its inputs run along (the one blocks cut)
    for node in graph.node:
        if node.op_type == "MatMul" and node.input[1] in inits:
            axis_of[node.input[1]] = 0  # B is [K, N]: each output column is a run of K inputs
        elif node.op_type == "Gemm" and node.input[1] in inits:  # the projection, from nn.Linear
            transposed = any(a.name == "transB" and a.i for a in node.attribute)
            axis_of[node.input[1]] = 1 if transposed else 0
        elif node.op_type == "Gather" and node.input[0] in inits:
            axis_of[node.input[0]] = 1  # embedding table [V, H]: each token row is its own run
    new_nodes = []
    for name, axis in sorted(axis_of.items()):
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        if w.ndim != 2 or w.size < min_elements:
            continue
        graph.initializer.remove(inits[name])
        if weight_bits == 8:
            scale = np.abs(w).max(axis=axis, keepdims=True) / 127.0
            scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
            q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
            graph.initializer.extend([
                numpy_helper.from_array(q, f"{name}_q"),
                numpy_helper.from_array(scale.squeeze(axis), f"{name}_scale"),
            ])
            new_nodes.append(helper.make_node(
                "DequantizeLinear", [f"{name}_q", f"{name}_scale"], [name], axis=1 - axis, name=f"dq_{name}"))
            continue
        q, scale = int4_rows(np.moveaxis(w, axis, -1), block)  # rows: [channels, inputs], as torch holds them
        q, scale = np.moveaxis(q, -1, axis), np.moveaxis(scale, -1, axis)  # back to w's layout
        graph.initializer.extend([
            helper.make_tensor(f"{name}_q", TensorProto.INT4, q.shape, pack_int4(q), raw=True),
            numpy_helper.from_array(np.ascontiguousarray(scale), f"{name}_scale"),
        ])
        new_nodes += [
            helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_scale"], [f"{name}_f16"], axis=axis,
                             block_size=min(block, w.shape[axis]), name=f"dq_{name}"),
            helper.make_node("Cast", [f"{name}_f16"], [name], to=TensorProto.FLOAT, name=f"cast_{name}"),
        ]
    for node in reversed(new_nodes):
        graph.node.insert(0, node)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


class OnnxEncoder:
    """Runs an exported model as the page does: one text at a time, one thread (padding and threads change
    the order of float sums, and with it, rarely, a bit)."""

    def __init__(self, path: Path, tokenizer):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # one thread: the same arithmetic on every machine, as in the page
        opts.inter_op_num_threads = 1
        # Extended optimisations fuse DequantizeLinear + MatMul into an integer kernel that quantises the
        # activations (2-3 % away from float); onnxruntime-web does not, so neither do we: the page sets
        # the same level.
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        # Fold the weights' DequantizeLinear into float32 constants once, at load: otherwise every query
        # dequantises every weight (measured: 41 ms a query, 5.6 ms folded). The page sets the same.
        opts.add_session_config_entry("session.disable_quant_qdq", "1")
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer

    def encode_ids(self, ids: list[int]) -> np.ndarray:
        a, m = pad_batch([ids])
        return self.session.run(["embedding"], {"input_ids": a, "attention_mask": m})[0][0]

    def encode(self, texts: list[str], progress=None, stage: str = "encode") -> np.ndarray:
        out = []
        for i, ids in enumerate(self.tokenizer.ids(texts)):
            out.append(self.encode_ids(ids))
            if progress and (i % 64 == 63 or i == len(texts) - 1):
                progress(stage, i + 1, len(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


def _compare(a: np.ndarray, b: np.ndarray) -> dict:
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    return {
        "max_abs_diff": float(np.abs(a - b).max()),
        "min_cosine": float(cos.min()),
        "bit_agreement": float(((a > 0) == (b > 0)).mean()),
    }


def parity(student: Student, fp32: Path, quantized: Path, tokenizer, texts: list[str], weight_bits: int = 8) -> dict:
    """On sample texts, one at a time: torch vs ONNX fp32 (the export), torch with the int4 rounding of
    training vs the int4 model (the file stores what the student learnt; int8 compares with plain torch),
    and float vs quantised weights (what the rounding itself moves)."""
    def run() -> np.ndarray:
        with torch.no_grad():
            return np.stack([student(*(torch.from_numpy(x) for x in pad_batch([ids])))[0].numpy()
                             for ids in tokenizer.ids(texts)])

    ref = run()
    if weight_bits == 4:
        with int4_aware(student), parametrize.cached():  # rounded once, not again for every text
            rounded = run()
    else:
        rounded = ref
    f32 = OnnxEncoder(fp32, tokenizer).encode(texts)
    qm = OnnxEncoder(quantized, tokenizer).encode(texts)
    report = {"texts": len(texts), "weight_bits": weight_bits, "torch_vs_fp32": _compare(ref, f32),
              "torch_vs_quantized": _compare(rounded, qm), "float_vs_quantized": _compare(ref, qm)}
    if report["torch_vs_fp32"]["max_abs_diff"] > 1e-3 * max(1.0, float(np.abs(ref).max())):
        raise RuntimeError(f"ONNX export disagrees with torch: {report['torch_vs_fp32']}")
    return report
