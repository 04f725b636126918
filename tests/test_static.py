"""The static query encoder: fitted per corpus, written in hashed buckets, read back as the page reads it, ranked
through SiteRanker's `lite` and `hybrid-lite`."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from hamming_site.builder.build import build_site
from hamming_site.builder.lexical.tokenize import terms
from hamming_site.builder.model.static import StaticTable, TermBags, fit_static
from hamming_site.builder.output.static import StaticReader, bucket_of, parse_bucket, quantize, write_static
from hamming_site.builder.search.rank import SiteRanker


def _topics(seed: int = 0):
    """Texts over 4 topics, each with its own words; the 'teacher' embedding of a text is the mean of its words'
    vectors (each its topic's direction plus a direction of its own) plus noise: a table can learn it."""
    rng = np.random.default_rng(seed)
    words = {t: [f"w{t}x{i}" for i in range(12)] for t in range(4)}
    centres = rng.standard_normal((4, 16)).astype(np.float32)
    vector = {w: centres[t] + 0.8 * rng.standard_normal(16) for t in range(4) for w in words[t]}
    vector["common"] = rng.standard_normal(16)
    texts, topics, teacher = [], [], []
    for n in range(400):
        t = n % 4
        text = rng.choice(words[t], size=4).tolist() + ["common"]
        texts.append(Counter(text))
        topics.append(t)
        teacher.append(np.mean([vector[w] for w in text], 0) + 0.05 * rng.standard_normal(16))
    return texts, np.array(topics), np.array(teacher, dtype=np.float32), words


def test_the_fitted_table_ranks_texts_of_the_queried_topic_first():
    texts, topics, teacher, words = _topics()
    values = teacher - teacher.mean(0)  # the binarizer's values: here the identity map
    table, stats = fit_static(TermBags.of(texts), values, teacher, 0, epochs=4, seed=0)
    assert stats["terms"] == 4 * 12 + 1 and stats["steps"] > 0
    signs = np.where(values > 0, 1.0, -1.0)
    for t in range(4):
        q = table.encode(Counter([words[t][0], words[t][5]]))
        top = np.argsort(-(signs @ q), kind="stable")[:20]
        assert (topics[top] == t).mean() >= 0.9


def test_training_ranks_more_like_the_teacher_than_its_start():
    texts, _, teacher, _ = _topics(1)
    values = teacher - teacher.mean(0)
    signs = np.where(values > 0, 1.0, -1.0)
    unit = teacher / np.linalg.norm(teacher, axis=1, keepdims=True)

    def agreement(table: StaticTable) -> float:
        """Mean share of the teacher's top 20 that the table's vector finds in its own top 20 (by sign bits)."""
        shares = []
        for counts, t in zip(texts[:100], unit[:100], strict=True):
            ours = set(np.argsort(-(signs @ table.encode(counts)), kind="stable")[:20].tolist())
            theirs = set(np.argsort(-(unit @ t), kind="stable")[:20].tolist())
            shares.append(len(ours & theirs) / 20)
        return float(np.mean(shares))

    start, _ = fit_static(TermBags.of(texts), values, teacher, 0, epochs=0, seed=0)
    trained, _ = fit_static(TermBags.of(texts), values, teacher, 0, epochs=4, seed=0)
    assert agreement(trained) > agreement(start)


def test_buckets_round_trip_every_term_within_int8(tmp_path):
    rng = np.random.default_rng(0)
    names = sorted({f"term{i}" for i in range(300)} | {"ünïcode", "日本", "a"})
    rows = rng.standard_normal((len(names), 32)).astype(np.float32)
    entry = write_static(tmp_path, names, rows, 1024)
    assert entry["terms"] == len(names) and entry["buckets"] > 1
    assert sum(p.stat().st_size for p in (tmp_path / "meaning").iterdir()) == entry["bytes"]
    reader = StaticReader(tmp_path, entry)
    q, scales = quantize(rows)
    for i, name in enumerate(names):
        bucket = tmp_path / "meaning" / f"{bucket_of(name, entry['buckets']):04d}.bin"
        assert name in parse_bucket(bucket.read_bytes())
        np.testing.assert_allclose(reader.row(name), rows[i], atol=float(scales[i]) / 2 + 1e-7)
    assert reader.row("absent") is None
    counts = Counter({"term1": 2, "absent": 1, "日本": 1})
    np.testing.assert_allclose(reader.encode(counts), 2 * reader.row("term1") + reader.row("日本"), rtol=1e-6)


def test_a_site_ships_the_table_and_ranks_with_it(tiny_config):
    result = build_site(tiny_config())
    static = result.manifest["static"]
    assert static["terms"] > 10 and static["dims"] == 64
    assert result.manifest["options"]["meaning"] == "both"
    ranker = SiteRanker(result.out)
    text = "music of the river"
    query = ranker.query(text)
    assert query.lite is not None and np.abs(query.lite).sum() > 0
    expected = sum(ranker.static.row(t) * c for t, c in Counter(terms(text)).items())
    np.testing.assert_allclose(query.lite, expected, rtol=1e-5)
    lite = ranker.results(query, 5, "lite")
    fused = ranker.results(query, 5, "hybrid-lite")
    assert len(lite) == 5 and len(fused) == 5
    assert fused[0]["index"] in {r["index"] for r in ranker.results(query, 12, "lexical")[:3]}


def test_a_full_site_has_no_table(tiny_config, tmp_path):
    result = build_site(tiny_config(meaning="full", out=tmp_path / "full"))
    assert result.manifest["static"] is None and not list(result.out.glob("meaning*"))
    assert json.loads((result.out / "manifest.json").read_text())["static"] is None


def test_a_lite_site_ships_no_transformer_and_ranks_by_its_static_encoder(tiny_config, tmp_path):
    result = build_site(tiny_config(meaning="lite", out=tmp_path / "lite"))
    manifest = result.manifest
    assert manifest["model"] is None and manifest["tokenizer"] is None and manifest["student"] is None
    assert manifest["static"]["terms"] > 10
    names = {p.name.split(".")[0] for p in result.out.iterdir()}  # content names: model.3f2a9c1d.onnx
    assert not names & {"model", "tokenizer", "ort", "ort-wasm-simd-threaded", "tokenizers"}, names
    assert "porter2" in names  # the keyword side's stemmer stays
    assert "query model" not in result.report["seconds"] and "export" not in result.report["seconds"]
    ranker = SiteRanker(result.out)
    query = ranker.query("music of the river")
    assert query.q is None
    assert ranker.results(query, 5) == ranker.results(query, 5, "hybrid-lite")  # the default is its hybrid
    assert ranker.results(query, 5, "semantic") == ranker.results(query, 5, "lite")
    again = build_site(tiny_config(meaning="lite", out=tmp_path / "again", model_from=result.out))
    assert again.report["encoded"]["reused"] == again.report["documents"]
    assert again.manifest["model"] is None and again.manifest["static"] == manifest["static"]


def test_term_bags_hold_each_texts_counts_in_first_occurrence_order():
    bags = TermBags.of(iter([Counter(["b", "a", "b"]), Counter(), Counter(["c", "a"])]))
    assert bags.terms == ["a", "b", "c"] and len(bags) == 3
    flat, offsets, weights = bags.batch([2, 1, 0])
    assert flat.tolist() == [2, 0, 1, 0] and offsets.tolist() == [0, 2, 2] and weights.tolist() == [1, 1, 2, 1]
