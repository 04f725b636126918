"""The query model: the student, distilled ONCE per (teacher, student shape) and reused by every build.

The page's model only has to put a query where the teacher would; nothing in that is specific to a corpus
except the binarizer's map, which is linear. So the student is trained once to regress the teacher's own
(query) embedding, scaled by SCALE, on a fixed, broad sample shipped in the package
(hamming_site/builder/data/query_sample.txt.gz: names, definitions, questions, sentences and passage-like texts from
WordNet, the Gene Ontology and the Python documentation, tools/make_query_sample.py), never on a user's corpus.
A build then composes its head with the corpus's map (hamming_site/builder/model/adapt.py: exact, both are linear),
prunes the vocabulary and exports. Per-corpus distillation stays available (BuildConfig.query_model = "corpus").

On disk, under CACHE/query-model/KEY/ (KEY: sha256 of teacher weights sha, student weights sha, the
student's shape and training options, sample sha), written atomically:
- model.safetensors: the student's state dict (safetensors: raw little-endian tensors + a JSON header);
- model.json: what it is (the key's parts, teacher dimension, SCALE) and what it cost (seconds, loss).

The package ships the default's (the default teacher, shape and options):
hamming_site/builder/data/query_model_KEY.safetensors holds every tensor but the word embeddings (training leaves them
the teacher's), as float16, and query_model_KEY.json its model.json (tools/ship_query_model.py makes both). A build
whose KEY matches uses it before any cache, so every machine builds the same bytes and none pays the one-off
distillation.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from hamming_site.builder.model.binarize import Binarizer
from hamming_site.builder.model.distill import init_projection, train
from hamming_site.builder.model.student import Student, Tokenizer, make_student, tokenizer_json, truncate_ids
from hamming_site.builder.teacher.embed import embed
from hamming_site.builder.teacher.load import DEFAULT_BACKEND, fingerprint

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
FORMAT = 1


@dataclass(frozen=True)
class QueryModelSpec:
    layers: int  # transformer layers the student keeps
    texts: int  # texts of the shipped sample it trains on (the one-off cost is about proportional)
    epochs: int  # passes over them; the last trains through the int4 rounding of the export
    batch_size: int
    lr: float
    max_length: int  # truncation while training (queries are short)
    seed: int

    @classmethod
    def from_config(cls, config) -> QueryModelSpec:
        """The spec a BuildConfig asks for (the config is read, never imported: it sits above this module)."""
        return cls(layers=config.student_layers, texts=config.query_texts, epochs=config.query_epochs,
                   batch_size=config.batch_size, lr=config.lr, max_length=config.train_max_length, seed=config.seed)


def sample_file():
    return resources.files("hamming_site.builder.data") / "query_sample.txt.gz"


def sample_texts(n: int) -> tuple[list[str], str]:
    """The first n texts of the shipped sample (it is shuffled once, at make time) and the file's sha256."""
    raw = sample_file().read_bytes()
    texts = gzip.decompress(raw).decode("utf-8").splitlines()
    return texts[:n], hashlib.sha256(raw).hexdigest()


def _space(dim: int) -> Binarizer:
    """The query model's target: the teacher's unit vector times sqrt(dim), so each value has about unit
    spread, as the corpus maps' values do (the same learning rates suit both)."""
    return Binarizer(np.zeros(dim, np.float32), (np.eye(dim) * dim**0.5).astype(np.float32))


def cache_key(teacher_sha: str, student_sha: str, spec: QueryModelSpec, sample_sha: str) -> str:
    parts = json.dumps({"format": FORMAT, "teacher": teacher_sha, "student": student_sha, "spec": asdict(spec),
                        "sample": sample_sha}, sort_keys=True)
    return hashlib.sha256(parts.encode()).hexdigest()[:32]


def model_key(teacher_sha: str, student_sha: str, spec: QueryModelSpec) -> str:
    """The key of the query model these make with the shipped sample: its cache folder's and shipped files' name."""
    return cache_key(teacher_sha, student_sha, spec, hashlib.sha256(sample_file().read_bytes()).hexdigest())


def query_model(teacher, teacher_sha: str, base, spec: QueryModelSpec, cache_dir: Path,
                progress: Progress | None = None, backend: str = DEFAULT_BACKEND,
                processes: int = 0, device: str = "cpu") -> tuple[Student, dict]:
    """The student whose head outputs the teacher's embedding (times sqrt(dim)): the package's, else the cache's,
    else trained now and cached. Returns it and its record (model.json), "source" saying which (package, cache,
    trained; teacher for the teacher's own trunk) and "cached" whether it was made before this build. Trained on
    `device`; base may be the teacher's copy on the CPU (where the teacher runs on a GPU): the same weights."""
    dim = _dim(teacher)
    student, kept = make_student(base, spec.layers, dim)
    student_sha = teacher_sha if base is teacher else fingerprint(base)
    same = student_sha == teacher_sha  # cut from the teacher itself, wherever each copy lives
    if same and len(kept) == _layers(teacher):  # no key: nothing is distilled or cached
        return student, _teacher_trunk(student, base, spec, teacher_sha, kept, dim)
    key = model_key(teacher_sha, student_sha, spec)
    folder = Path(cache_dir) / "query-model" / key
    shipped = shipped_model(key)
    if shipped is not None:
        record = _load_shipped(student, *shipped)
        log.info("query model %s from the package", key)
        return student, {**record, "cached": True, "source": "package"}
    if (folder / "model.json").exists() and (folder / "model.safetensors").exists():
        from safetensors.torch import load_file

        student.load_state_dict(load_file(folder / "model.safetensors"))
        student.eval()
        record = json.loads((folder / "model.json").read_text())
        log.info("query model %s from the cache", key)
        return student, {**record, "cached": True, "source": "cache"}
    t0 = time.perf_counter()
    texts, sample_sha = sample_texts(spec.texts)
    targets = embed(texts, teacher, "query", cache_dir, teacher_sha, progress, backend=backend, processes=processes)
    t_teacher = time.perf_counter() - t0
    tokenizer = Tokenizer(tokenizer_json(base, spec.max_length), spec.max_length)
    token_ids = [truncate_ids(ids, spec.max_length) for ids in tokenizer.ids(texts)]
    space = _space(dim)
    if same:
        init_projection(student, space, token_ids[:: max(1, len(token_ids) // 256)][:256])
    else:
        pick = np.random.default_rng(spec.seed).permutation(len(token_ids))[:2048]
        init_projection(student, space, [token_ids[i] for i in pick], targets[pick])
    stats = train(student, token_ids, targets, space, epochs=spec.epochs, batch_size=spec.batch_size, lr=spec.lr,
                  seed=spec.seed, int4_epochs=min(1, spec.epochs), progress=progress, device=device)
    # the one-off cost, paid by the first build with this teacher and shape on a machine
    seconds = {"teacher": round(t_teacher, 1), "train": round(time.perf_counter() - t0 - t_teacher, 1)}
    record = _record(key, teacher_sha, student_sha, sample_sha, spec, kept, dim, stats, seconds)
    _save(folder, student, record)
    return student, {**record, "cached": False, "source": "trained"}


def shipped_model(key: str):
    """(weights, record) files the package ships for KEY, or None."""
    folder = resources.files("hamming_site.builder.data")
    weights, record = folder / f"query_model_{key}.safetensors", folder / f"query_model_{key}.json"
    return (weights, record) if weights.is_file() and record.is_file() else None


def ship(student: Student, base, record: dict, stem: Path) -> dict:
    """Write STEM.safetensors and STEM.json, the files shipped_model() reads: every tensor that training changed,
    as float16 (the page's model rounds them to int4 anyway), and the record naming those taken from `base`."""
    from safetensors.torch import save_file

    fresh, _ = make_student(base, len(record["layers_kept"]), record["dim"])  # the teacher's own tensors
    teachers = fresh.state_dict()
    state, from_teacher = {}, []
    for name, tensor in student.state_dict().items():
        if name in teachers and teachers[name].shape == tensor.shape and torch.equal(teachers[name], tensor):
            from_teacher.append(name)
        else:
            state[name] = tensor.to(torch.float16).contiguous()
    save_file(state, f"{stem}.safetensors")
    shipped = {"dtype": "float16", "from_teacher": sorted(from_teacher),
               "parameters": sum(t.numel() for t in state.values())}
    info = {k: v for k, v in record.items() if k not in ("cached", "source")}
    Path(f"{stem}.json").write_text(json.dumps({**info, "shipped": shipped}, indent=1) + "\n")
    return shipped


def _load_shipped(student: Student, weights, record) -> dict:
    """Load the shipped tensors (float16) into a student cut from the teacher; those not shipped (the word
    embeddings) must be the ones the record says were left as the teacher's."""
    from safetensors.torch import load

    info = json.loads(record.read_text())
    state = {k: v.float() for k, v in load(weights.read_bytes()).items()}
    missing, unexpected = student.load_state_dict(state, strict=False)
    if unexpected or sorted(missing) != sorted(info["shipped"]["from_teacher"]):
        raise RuntimeError(f"the shipped query model {weights.name} does not fit this student: missing {missing}, "
                           f"unexpected {unexpected}")
    student.eval()
    return info


def _teacher_trunk(student: Student, base, spec: QueryModelSpec, teacher_sha: str, kept: list[int],
                   dim: int) -> dict:
    """A student that keeps every layer of the teacher IS the teacher's transformer: nothing to distil. Its head
    is the teacher's normalisation made linear (divided by the mean pooled norm on 256 texts of the sample), and
    the build's refit fits it to the corpus (SciFact train, hamming+rerank: 0.6323, against 0.6052 for the
    3-layer query model distilled on the sample, the default; docs/benchmarks.md)."""
    t0 = time.perf_counter()
    texts, sample_sha = sample_texts(256)
    tokenizer = Tokenizer(tokenizer_json(base, spec.max_length), spec.max_length)
    student.eval()
    ids = sorted((truncate_ids(one, spec.max_length) for one in tokenizer.ids(texts)), key=len)  # little padding
    init_projection(student, _space(dim), ids)
    seconds = {"teacher": 0.0, "train": round(time.perf_counter() - t0, 1)}
    record = _record(None, teacher_sha, teacher_sha, sample_sha, spec, kept, dim, None, seconds)
    return {**record, "trunk": "teacher", "cached": False, "source": "teacher"}


def _record(key, teacher_sha: str, student_sha: str, sample_sha: str, spec: QueryModelSpec, kept: list[int],
            dim: int, train_stats, seconds: dict) -> dict:
    """model.json: what the query model is (the key's parts, teacher dimension, SCALE) and what it cost."""
    return {"format": FORMAT, "key": key, "teacher_sha256": teacher_sha, "student_sha256": student_sha,
            "sample_sha256": sample_sha, "spec": asdict(spec), "layers_kept": kept, "dim": dim, "scale": dim**0.5,
            "train": train_stats, "seconds": seconds}


def _layers(model) -> int:
    return model[0].auto_model.config.num_hidden_layers


def _dim(teacher) -> int:
    return (getattr(teacher, "get_embedding_dimension", None) or teacher.get_sentence_embedding_dimension)()


def _save(folder: Path, student: Student, record: dict) -> None:
    from safetensors.torch import save_file

    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        save_file({k: v.contiguous() for k, v in student.state_dict().items()}, tmp / "model.safetensors")
        (tmp / "model.json").write_text(json.dumps(record, indent=1) + "\n")
        if folder.exists():  # another build got there first: same key, same bytes
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
