"""The teacher pass on the tiny model: the per-text cache, the ONNX backends against torch, the pool."""

import sqlite3

import numpy as np
import pytest

import hamming_site.builder.teacher.backends as backends_module
import hamming_site.builder.teacher.embed as embed_module
from conftest import SENTENCES
from hamming_site.builder.teacher.cache import EmbeddingCache, text_keys
from hamming_site.builder.teacher.embed import embed, is_cached
from hamming_site.builder.teacher.load import BACKENDS, DEFAULT_BACKEND, fingerprint, load_teacher

EDITED = {3: "a new text about the river and the mountain", 7: "another new text to build and test"}


@pytest.fixture(scope="module")
def model(tiny_model):
    return load_teacher(str(tiny_model))


def edited():
    return [EDITED.get(i, s) for i, s in enumerate(SENTENCES)]


def test_an_edited_list_encodes_only_the_changed_texts(model, tmp_path):
    sha = fingerprint(model)
    stats = {}
    before = embed(SENTENCES, model, "document", tmp_path, sha, stats=stats, backend="torch")
    assert stats == {"encoded": 12, "cached": 0, "seconds": stats["seconds"], "backend": "torch", "workers": 1}
    seen = []
    real = model.encode_document
    model.encode_document = lambda texts, **kw: seen.extend(texts) or real(texts, **kw)
    try:
        stats = {}
        after = embed(edited(), model, "document", tmp_path, sha, stats=stats, backend="torch")
    finally:
        del model.encode_document
    assert sorted(seen) == sorted(EDITED.values()) and (stats["encoded"], stats["cached"]) == (2, 10)
    kept = [i for i in range(len(SENTENCES)) if i not in EDITED]
    assert after.dtype == np.float32 and np.array_equal(after[kept], before[kept])  # bitwise
    assert is_cached(edited(), model, "document", tmp_path, sha, backend="torch")
    assert not is_cached([*edited(), "one more"], model, "document", tmp_path, sha, backend="torch")
    assert not is_cached(SENTENCES, model, "query", tmp_path, sha, backend="torch")  # the kind is in the key


def test_the_default_backend_caches_per_text_too(model, tmp_path):
    sha = fingerprint(model)
    before = embed(SENTENCES, model, "document", tmp_path, sha)
    stats = {}
    after = embed(edited(), model, "document", tmp_path, sha, stats=stats)
    assert (stats["encoded"], stats["cached"], stats["backend"]) == (2, 10, DEFAULT_BACKEND)
    kept = [i for i in range(len(SENTENCES)) if i not in EDITED]
    assert np.array_equal(after[kept], before[kept])
    assert is_cached(edited(), model, "document", tmp_path, sha)
    # another backend's vectors are other rows: torch encodes all twelve
    stats = {}
    embed(edited(), model, "document", tmp_path, sha, stats=stats, backend="torch")
    assert stats["encoded"] == 12


def test_the_cache_file_is_one_sqlite_table_of_float32_rows(model, tmp_path):
    sha = fingerprint(model)
    vectors = embed(SENTENCES + SENTENCES[:3], model, "query", tmp_path, sha, backend="torch")
    path = tmp_path / "teacher" / "embeddings.sqlite3"
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = dict(con.execute("SELECT key, vec FROM vectors"))
    assert len(rows) == 12  # distinct texts only
    key = text_keys([SENTENCES[5]], sha, "query", model.max_seq_length, "torch")[0]
    assert len(key) == 32 and rows[key] == vectors[5].astype("<f4").tobytes()


def test_an_interrupted_pass_keeps_the_chunks_it_wrote(model, tmp_path):
    sha = fingerprint(model)
    calls = []
    real = model.encode_document

    def fails_second(texts, **kw):
        calls.append(len(texts))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(texts, **kw)

    model.encode_document = fails_second
    try:
        with pytest.raises(KeyboardInterrupt):  # batch_size 1: chunks of 8 texts
            embed(SENTENCES, model, "document", tmp_path, sha, batch_size=1, backend="torch")
    finally:
        del model.encode_document
    stats = {}
    embed(SENTENCES, model, "document", tmp_path, sha, batch_size=1, stats=stats, backend="torch")
    assert calls[0] == 8 and (stats["cached"], stats["encoded"]) == (8, 4)


def test_two_handles_on_one_cache(tmp_path):
    a, b = EmbeddingCache(tmp_path), EmbeddingCache(tmp_path)
    with a, b:
        a.put([b"k" * 32], np.ones((1, 4), np.float32))
        b.put([b"j" * 32], np.zeros((1, 4), np.float32))
        assert set(a.get([b"k" * 32, b"j" * 32, b"x" * 32], 4)) == {b"k" * 32, b"j" * 32}
        assert b.get([b"k" * 32], 8) == {}  # a row of another width is no hit


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_onnx_backends_match_torch(tiny_model, tmp_path, backend):
    model = load_teacher(str(tiny_model))  # exported afresh (a model's encoders are kept for the process)
    sha = fingerprint(model)
    kind_texts = {"document": SENTENCES, "query": [s.split(" and ")[0] for s in SENTENCES]}
    for kind, texts in kind_texts.items():
        stats = {}
        ours = embed(texts, model, kind, tmp_path, sha, stats=stats, backend=backend)
        torch_ = embed(texts, model, kind, backend="torch")
        assert stats["backend"] == backend
        cosine = (ours * torch_).sum(1)
        if backend == "onnx":
            assert np.abs(ours - torch_).max() < 1e-5
        else:
            assert cosine.min() > 0.99
        assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    assert (tmp_path / "teachers" / sha / f"{BACKENDS[backend]}.onnx").stat().st_size > 0
    assert fingerprint(model) == sha and type(model[0].auto_model).__name__ == "BertModel"  # torch model untouched


def test_the_export_is_made_once_per_teacher(tiny_model, tmp_path, monkeypatch):
    first = load_teacher(str(tiny_model))
    sha = fingerprint(first)
    embed(SENTENCES[:4], first, "document", tmp_path, sha)
    monkeypatch.setattr(backends_module, "export_teacher", lambda *a, **k: pytest.fail("exported again"))
    again = load_teacher(str(tiny_model))  # another process would load it afresh too
    stats = {}
    embed(SENTENCES[4:], again, "document", tmp_path, sha, stats=stats)
    assert stats["backend"] == DEFAULT_BACKEND and stats["encoded"] == 8


def test_the_default_backend_is_deterministic(model):
    a = embed(SENTENCES, model, "document")
    assert np.array_equal(a, embed(SENTENCES, model, "document"))


def test_a_teacher_the_backend_cannot_run_is_encoded_with_torch(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setattr(backends_module, "_hf_module", lambda model: None)
    fresh = load_teacher(str(tiny_model))
    sha = fingerprint(fresh)
    stats = {}
    out = embed(SENTENCES, fresh, "document", tmp_path, sha, stats=stats)
    assert stats["backend"] == "torch"
    assert np.array_equal(out, embed(SENTENCES, fresh, "document", backend="torch"))
    assert is_cached(SENTENCES, fresh, "document", tmp_path, sha)  # under the torch tag, found again


def test_the_pool_gives_the_same_vectors(model):
    texts = SENTENCES * 3 + ["one text more"]  # duplicates are encoded once
    stats = {}
    pooled = embed(texts, model, "query", processes=2, threads=1, stats=stats, backend="onnx", batch_size=4)
    single = embed(texts, model, "query", backend="onnx", batch_size=4)
    assert stats["encoded"] == 13 and pooled.shape == single.shape
    assert np.abs(pooled - single).max() < 1e-5


def test_a_build_starts_one_pool_for_documents_and_views(model, monkeypatch):
    started = []
    real = embed_module._start_pool
    monkeypatch.setattr(embed_module, "_start_pool", lambda *a: started.append(a[1:]) or real(*a))
    with embed_module.shared_pools():
        docs = embed(SENTENCES, model, "document", processes=2, threads=1, backend="onnx", batch_size=4)
        views = embed(["one view", "another view"], model, "query", processes=2, threads=1, backend="onnx")
        assert len(embed_module._POOLS) == 1
    assert started == [(2, 1)] and embed_module._POOLS is None
    assert np.abs(docs - embed(SENTENCES, model, "document", backend="onnx")).max() < 1e-5
    assert views.shape == (2, docs.shape[1])


def test_auto_processes_only_pool_large_passes(monkeypatch):
    monkeypatch.setattr(embed_module.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    assert embed_module.auto_processes(embed_module.POOL_MIN_TEXTS - 1) == 1
    assert embed_module.auto_processes(embed_module.POOL_MIN_TEXTS) == 2
    monkeypatch.setattr(embed_module.os, "sched_getaffinity", lambda _: {0}, raising=False)
    assert embed_module.auto_processes(10**6) == 1


def test_a_gpus_vectors_are_cached_apart_from_the_cpus():
    from types import SimpleNamespace

    from hamming_site.builder.teacher.backends import backend_tag

    on = lambda kind: SimpleNamespace(device=SimpleNamespace(type=kind))  # noqa: E731
    assert backend_tag(on("cpu"), "torch") == "torch"
    assert backend_tag(on("cuda"), "torch") == "torch-cuda" and backend_tag(on("mps"), "torch") == "torch-mps"
