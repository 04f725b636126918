"""--engine ray (issue 27): the teacher pass as a Ray Data job on a local Ray instance gives the local build's site,
byte for byte. The real packaged teacher on 300 documents with no cached embeddings, twice: minutes on 2 cores."""

import json
from pathlib import Path

import pytest

from hamming_site.builder.build import build_site
from hamming_site.builder.config import BuildConfig

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "stdlib.jsonl"
pytestmark = pytest.mark.slow


def test_a_ray_build_makes_the_local_builds_site(tmp_path):
    pytest.importorskip("ray.data")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:300]))
    local = build_site(BuildConfig(corpus=corpus, out=tmp_path / "local", cache_dir=tmp_path / "cache-local"))
    ray = build_site(BuildConfig(corpus=corpus, out=tmp_path / "ray", cache_dir=tmp_path / "cache-ray",
                                 engine="ray"))
    files = {p.relative_to(local.out) for p in local.out.rglob("*") if p.is_file()}
    assert files == {p.relative_to(ray.out) for p in ray.out.rglob("*") if p.is_file()}
    differ = [str(f) for f in sorted(files) if (local.out / f).read_bytes() != (ray.out / f).read_bytes()]
    assert differ == ["report.json"]  # its seconds and its engine; manifest.json included: engine is not an option
    assert ray.report["engine"]["name"] == "ray" and ray.report["engine"]["workers"] >= 1
    assert local.report["engine"]["name"] == "local"
    # every text came from the teacher, through Ray: passages, views and the static encoder's words
    assert ray.report["teacher"]["encoded"] > local.report["teacher"]["encoded"] >= ray.report["passages"]
    assert ray.report["teacher"]["cached"] == 0 and ray.report["teacher"]["backend"] == "onnx-int8"
    assert json.loads((ray.out / "manifest.json").read_text())["options"] == local.manifest["options"]


def test_a_worker_whose_teacher_differs_is_one_sentence(tiny_model, tmp_path):
    pytest.importorskip("ray.data")
    from hamming_site.builder import UserError
    from hamming_site.builder.teacher.load import load_teacher
    from hamming_site.builder.teacher.on_ray import RayTeacher

    model = load_teacher(str(tiny_model))
    with pytest.raises(UserError, match="has other weights than the build's"):
        with RayTeacher(str(tiny_model), tmp_path / "cache", "cpu", 1) as ray:
            ray.fill([(["a text", "another text"], "document")], model, "0" * 64, "onnx-int8")
