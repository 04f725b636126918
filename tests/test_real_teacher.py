"""The real packaged teacher (all-MiniLM-L6-v2 from PyPI, offline) on ~200 stdlib documents: the whole
pipeline and site-eval's scoring. Minutes on 2 cores, so marked slow; CI runs it."""

import json
from pathlib import Path

import pytest

from conftest import SMALL_QUERY_MODEL
from hamming_site.builder.build import build_site
from hamming_site.builder.config import BuildConfig
from hamming_site.builder.evaluate import evaluate
from hamming_site.builder.output.names import site_path
from hamming_site.builder.teacher.load import load_teacher

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "stdlib.jsonl"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def beir(tmp_path_factory) -> Path:
    """A known-item BEIR folder: 200 stdlib docs; each query is a doc's first sentence, without its title."""
    folder = tmp_path_factory.mktemp("beir")
    rows = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()[::7][:200]]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    queries, qrels = [], ["query-id\tcorpus-id\tscore"]
    for i, r in enumerate(rows[::5]):
        first = r["text"].split(". ")[0]
        if len(first.split()) >= 4:
            queries.append({"_id": f"q{i}", "text": first})
            qrels.append(f"q{i}\t{r['id']}\t1")
    (folder / "queries.jsonl").write_text("\n".join(json.dumps(q) for q in queries) + "\n")
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text("\n".join(qrels) + "\n")
    return folder


def test_the_default_query_model_ships_in_the_package():
    """Changing a default the query model's key depends on needs tools/ship_query_model.py run again."""
    from hamming_site.builder.model.querymodel import QueryModelSpec, model_key, shipped_model
    from hamming_site.builder.teacher.load import fingerprint

    config = BuildConfig(corpus=EXAMPLE).for_languages({"en": 1462})  # the example is English: auto's MiniLM
    sha = fingerprint(load_teacher(config.teacher))
    key = model_key(sha, sha, QueryModelSpec.from_config(config))
    assert shipped_model(key) is not None, key


def test_packaged_teacher_loads_offline():
    model = load_teacher("sentence-transformers/all-MiniLM-L6-v2")
    assert model.get_embedding_dimension() == 384 and model.max_seq_length == 256


def test_real_build_and_site_eval(beir, tmp_path):
    config = BuildConfig(corpus=beir / "corpus.jsonl", out=tmp_path / "site", bits=256, **SMALL_QUERY_MODEL)
    figures = evaluate(beir, config, "test", rerank_depth=100, out=tmp_path / "site")
    report = json.loads((tmp_path / "site" / "report.json").read_text())
    # the int4 file holds exactly the rounded weights the student's last epoch trained with
    assert report["parity"]["torch_vs_quantized"]["min_cosine"] > 0.9999
    assert report["parity"]["torch_vs_quantized"]["bit_agreement"] > 0.99
    assert report["parity"]["float_vs_quantized"]["min_cosine"] > 0.9
    assert figures["docs"] == 200 and figures["bits"] == 256 and figures["queries"] >= 20
    ndcg = figures["ndcg@10"]
    assert set(ndcg) == {"teacher", "student_float", "hamming", "hamming_rerank", "bm25", "hybrid", "lite",
                         "hybrid_lite"}
    assert set(figures["recall@100"]) == set(ndcg)
    assert ndcg["teacher"] > 0.8  # known-item search is easy for the teacher
    assert ndcg["hamming_rerank"] > 0.6 * ndcg["teacher"], figures  # the distilled codes find them too
    assert ndcg["bm25"] > 0.8, figures  # a document's own first sentence shares its words
    assert ndcg["hybrid"] >= min(ndcg["bm25"], ndcg["hamming_rerank"]), figures  # fusion loses to neither side
    assert ndcg["lite"] > 0.5 * ndcg["teacher"], figures  # the static encoder finds them by meaning too
    assert ndcg["hybrid_lite"] >= min(ndcg["bm25"], ndcg["lite"]), figures
    assert figures["fusion"] == {"method": "minmax", "alpha": config.fusion_alpha, "depth": config.fusion_depth}
    assert figures["passages"] >= 200 and figures["bytes"]["codes"] == 32 + figures["passages"] * 32  # a code a passage
    assert figures["bytes"]["model"] <= 6_000_000  # int4 weights, 14,000 word pieces: under issue #4's cap
    # a second run with the same options reuses the built site (no rebuild)
    again = evaluate(beir, config, "test", rerank_depth=100, out=tmp_path / "site")
    assert again["ndcg@10"] == ndcg and again["seconds"]["build"] == figures["seconds"]["build"]


def test_real_build_from_the_example_with_defaults_is_deterministic(tmp_path):
    small = tmp_path / "small.jsonl"
    small.write_text("".join(EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:60]))
    a = build_site(BuildConfig(corpus=small, out=tmp_path / "a", **SMALL_QUERY_MODEL))
    b = build_site(BuildConfig(corpus=small, out=tmp_path / "b", **SMALL_QUERY_MODEL))
    for name in ("codes.bin", "model.onnx", "manifest.json"):
        assert site_path(a.out, name).read_bytes() == site_path(b.out, name).read_bytes(), name
