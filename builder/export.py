"""Export the student to ONNX (tokens -> float projection), quantise to int8, and check parity."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import torch

from builder.student import Student, pad_batch

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


def quantize_int8(src: Path, dst: Path) -> None:
    """Dynamic int8 weights. per_channel + reduce_range: the variant whose results agree between
    onnxruntime-web and Python's onnxruntime on CPUs without VNNI."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True
    )


class OnnxEncoder:
    """Runs an exported model as the page does: one text at a time (dynamic int8 scales activations per
    batch, so batching would change the bits)."""

    def __init__(self, path: Path, tokenizer):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # one thread: the same arithmetic on every machine, as in the page
        opts.inter_op_num_threads = 1
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


def parity(student: Student, fp32: Path, int8: Path, tokenizer, texts: list[str]) -> dict:
    """torch vs ONNX fp32 vs ONNX int8 on sample texts, one at a time."""
    with torch.no_grad():
        ref = np.stack(
            [
                student(*(torch.from_numpy(x) for x in pad_batch([ids])))[0].numpy()
                for ids in tokenizer.ids(texts)
            ]
        )
    f32 = OnnxEncoder(fp32, tokenizer).encode(texts)
    i8 = OnnxEncoder(int8, tokenizer).encode(texts)
    report = {"texts": len(texts), "torch_vs_fp32": _compare(ref, f32), "torch_vs_int8": _compare(ref, i8)}
    if report["torch_vs_fp32"]["max_abs_diff"] > 1e-3 * max(1.0, float(np.abs(ref).max())):
        raise RuntimeError(f"ONNX export disagrees with torch: {report['torch_vs_fp32']}")
    return report
