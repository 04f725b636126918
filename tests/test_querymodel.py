"""The shared query model: distilled once, cached, composed exactly with a corpus's map."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import SENTENCES
from hamming_site.builder.build import build_site
from hamming_site.builder.model import querymodel
from hamming_site.builder.model.adapt import compose, refit
from hamming_site.builder.model.binarize import fit_pca_itq
from hamming_site.builder.model.querymodel import QueryModelSpec, query_model, sample_texts, ship
from hamming_site.builder.model.student import Tokenizer, pad_batch, tokenizer_json
from hamming_site.builder.teacher.embed import embed
from hamming_site.builder.teacher.load import fingerprint, load_teacher

SPEC = QueryModelSpec(layers=2, texts=300, epochs=1, batch_size=16, lr=3e-4, max_length=32, seed=0)


def test_the_sample_is_broad_and_fixed():
    texts, sha = sample_texts(48_000)
    assert len(texts) == 48_000 and len(set(texts)) == len(texts)
    lengths = [len(t.split()) for t in texts]
    assert min(lengths) == 1 and max(lengths) > 40  # names as typed, up to passage-like texts
    assert any(t.startswith("what is ") for t in texts) and any(t.startswith("how to ") for t in texts)
    assert sample_texts(10) == (texts[:10], sha)


def test_trained_once_then_from_the_cache(tiny_model, tmp_path):
    teacher = load_teacher(str(tiny_model))
    sha = fingerprint(teacher)
    first, record = query_model(teacher, sha, teacher, SPEC, tmp_path)
    assert record["cached"] is False and record["seconds"]["train"] > 0 and record["train"]["steps"] > 0
    again, cached = query_model(teacher, sha, teacher, SPEC, tmp_path)
    assert cached["cached"] is True and cached["key"] == record["key"]
    for (name, a), (_, b) in zip(first.state_dict().items(), again.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    folder = tmp_path / "query-model" / record["key"]
    assert json.loads((folder / "model.json").read_text())["sample_sha256"] == sample_texts(1)[1]
    other, _ = query_model(teacher, sha, teacher, QueryModelSpec(**{**SPEC.__dict__, "texts": 200}), tmp_path)
    assert len(list((tmp_path / "query-model").iterdir())) == 2  # another spec is another model


def test_it_regresses_the_teachers_embedding(tiny_model, tmp_path):
    teacher = load_teacher(str(tiny_model))
    student, record = query_model(teacher, fingerprint(teacher), teacher, SPEC, tmp_path)
    ids = Tokenizer(tokenizer_json(teacher, 32), 32).ids(SENTENCES)
    with torch.no_grad():
        out = student(*(torch.from_numpy(a) for a in pad_batch(ids))).numpy() / record["scale"]
    target = embed(SENTENCES, teacher, "query")
    cosine = (out * target).sum(1) / np.linalg.norm(out, axis=1)
    assert cosine.mean() > 0.8, cosine


def test_a_shipped_model_is_used_before_any_cache_or_training(tiny_model, tmp_path, monkeypatch):
    teacher = load_teacher(str(tiny_model))
    sha = fingerprint(teacher)
    trained, record = query_model(teacher, sha, teacher, SPEC, tmp_path / "made")
    shipped = ship(trained, teacher, record, tmp_path / f"query_model_{record['key']}")
    assert "encoder.embeddings.word_embeddings.weight" in shipped["from_teacher"]  # training leaves them the teacher's
    files = (tmp_path / f"query_model_{record['key']}.safetensors", tmp_path / f"query_model_{record['key']}.json")
    monkeypatch.setattr(querymodel, "shipped_model", lambda key: files if key == record["key"] else None)
    student, loaded = query_model(teacher, sha, teacher, SPEC, tmp_path / "fresh")
    assert loaded["source"] == "package" and loaded["key"] == record["key"]
    assert loaded["layers_kept"] == record["layers_kept"]
    assert not (tmp_path / "fresh" / "query-model").exists()  # nothing trained, nothing cached
    for (name, a), (_, b) in zip(trained.state_dict().items(), student.state_dict().items(), strict=True):
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-4), name  # float16 on disk
    record_file = files[1]
    broken = json.loads(record_file.read_text())
    broken["shipped"]["from_teacher"] = []
    record_file.write_text(json.dumps(broken))
    with pytest.raises(RuntimeError, match="does not fit"):
        query_model(teacher, sha, teacher, SPEC, tmp_path / "fresh")


def test_a_student_with_every_layer_is_the_teachers_own_trunk(tiny_model, tmp_path):
    teacher = load_teacher(str(tiny_model))
    layers = teacher[0].auto_model.config.num_hidden_layers
    spec = QueryModelSpec(**{**SPEC.__dict__, "layers": layers})
    student, record = query_model(teacher, fingerprint(teacher), teacher, spec, tmp_path)
    assert record["trunk"] == "teacher" and record["train"] is None and record["layers_kept"] == list(range(layers))
    assert not (tmp_path / "query-model").exists()  # nothing distilled, nothing cached
    ids = Tokenizer(tokenizer_json(teacher, 32), 32).ids(SENTENCES)
    with torch.no_grad():
        out = student(*(torch.from_numpy(a) for a in pad_batch(ids))).numpy()
    target = embed(SENTENCES, teacher, "query")
    cosine = (out * target).sum(1) / np.linalg.norm(out, axis=1)
    assert cosine.min() > 0.999, cosine  # the teacher's direction; only its normalisation is left to the head
    scale = np.linalg.norm(out, axis=1) / record["scale"]
    assert 0.5 < scale.mean() < 2, scale  # about the teacher's unit length, times sqrt(dim)


def test_compose_is_exact(tiny_model, tmp_path):
    teacher = load_teacher(str(tiny_model))
    student, record = query_model(teacher, fingerprint(teacher), teacher, SPEC, tmp_path)
    space = fit_pca_itq(embed(SENTENCES * 3, teacher, "document"), 64, seed=0)
    ids, mask = (torch.from_numpy(a) for a in pad_batch(Tokenizer(tokenizer_json(teacher, 32), 32).ids(SENTENCES)))
    with torch.no_grad():
        before = student(ids, mask).numpy()
        compose(student, space, record["dim"])
        after = student(ids, mask).numpy()
    assert after.shape == (len(SENTENCES), 64)
    np.testing.assert_allclose(after, space.project(before / record["scale"]), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["shared", "corpus"])
def test_both_modes_build(tiny_config, mode):
    config = tiny_config(query_model=mode)
    build_site(config)
    report = json.loads((config.out / "report.json").read_text())
    assert ("compose" in report["seconds"]) == (mode == "shared")
    assert ("distill" in report["seconds"]) == (mode == "corpus")
    assert (report["query_model"] is None) == (mode == "corpus")
    assert report["fidelity"]["query_bit_agreement"] > 0.5


def test_refit_fits_the_int4_model_the_page_runs(tiny_model, tmp_path):
    """With weight_bits 4 the projection is fitted to what the int4 weights make of the views, which is what
    model.onnx computes: there its error is lower than that of a projection fitted to the float weights."""
    import copy

    from torch.nn.utils import parametrize

    from hamming_site.builder.model.quant import int4_aware

    teacher = load_teacher(str(tiny_model))
    student, record = query_model(teacher, fingerprint(teacher), teacher, SPEC, tmp_path)
    space = fit_pca_itq(embed(SENTENCES * 3, teacher, "document"), 64, seed=0)
    compose(student, space, record["dim"])
    views = [f"{a} {b}" for a in SENTENCES for b in SENTENCES]
    token_ids = Tokenizer(tokenizer_json(teacher, 32), 32).ids(views)
    targets = space.project(embed(views, teacher, "query"))
    ids, mask = (torch.from_numpy(a) for a in pad_batch(token_ids))

    def error_as_stored(model) -> float:  # the trunk as int4 stores it, the projection as fitted
        with torch.no_grad(), int4_aware(model.encoder), parametrize.cached():
            return float(((model(ids, mask).numpy() - targets) ** 2).mean())

    fitted = {bits: copy.deepcopy(student) for bits in (32, 4)}
    for bits, model in fitted.items():
        refit(model, token_ids, targets, prior=0, weight_bits=bits)
    assert error_as_stored(fitted[4]) < error_as_stored(fitted[32])


def test_rank_tune_ranks_the_passages_more_like_the_teacher(tiny_model, tmp_path):
    """After the refit, rank_tune moves the projection so that the page's rerank (the query's floats against the
    passages' sign bits) orders the passages more as the teacher's cosine does, and stays near the refit."""
    import torch.nn.functional as F

    from hamming_site.builder.model.adapt import pooled_vectors, rank_tune
    from hamming_site.builder.model.binarize import TAU, listwise, rerank_cosine

    teacher = load_teacher(str(tiny_model))
    student, record = query_model(teacher, fingerprint(teacher), teacher, SPEC, tmp_path)
    t_docs = embed(SENTENCES, teacher, "document")
    space = fit_pca_itq(t_docs, 64, seed=0)
    compose(student, space, record["dim"])
    views = [f"{a} {b}" for a in SENTENCES for b in SENTENCES]
    token_ids = Tokenizer(tokenizer_json(teacher, 32), 32).ids(views)
    t_views = embed(views, teacher, "query")
    targets, doc_values = space.project(t_views), space.project(t_docs)
    pooled = pooled_vectors(student, token_ids)
    refit(student, token_ids, targets, prior=0, pooled=pooled)
    signs = torch.from_numpy(np.where(doc_values > 0, 1.0, -1.0).astype(np.float32))
    teacher_log_p = F.log_softmax(torch.from_numpy(t_views @ t_docs.T) / TAU, 1)

    def losses() -> tuple[float, float]:
        with torch.no_grad():
            q = student.proj(pooled.float())
            rank = listwise(rerank_cosine(q, signs), teacher_log_p)
            return float(rank), float(F.mse_loss(q, torch.from_numpy(targets)))

    weights = student.proj.weight.detach().clone()
    assert rank_tune(student, pooled, targets, t_views, t_docs, doc_values, epochs=0, seed=0) is None
    assert torch.equal(student.proj.weight, weights)
    rank_before, mse_before = losses()
    stats = rank_tune(student, pooled, targets, t_views, t_docs, doc_values, epochs=20, seed=0)
    rank_after, mse_after = losses()
    assert stats["steps"] == 20
    assert rank_after < rank_before
    assert mse_after < 2 * mse_before + 0.05
