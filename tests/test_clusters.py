"""Codes by cluster: k-means on the codes, the probes chosen by recall, the files read back as the page reads them,
and SiteRanker ranking over the probed rows only."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hamming_site.builder import UserError
from hamming_site.builder.build import build_site
from hamming_site.builder.output.clusters import (
    RECALL,
    SIGNS,
    ClusterIndex,
    choose_probes,
    cluster_count,
    kmeans,
    probe,
    read_centroids,
    read_cluster,
    write_clusters,
)
from hamming_site.builder.output.codes import pack, rank, read_codes
from hamming_site.builder.output.names import site_path
from hamming_site.builder.search.rank import SiteRanker


def _codes(n: int = 2000, bits: int = 64, groups: int = 8, seed: int = 0):
    """Packed codes drawn around `groups` centres (each bit flipped with probability 0.15), and query vectors
    near the centres."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((groups, bits))
    member = rng.integers(0, groups, n)
    values = np.sign(centres[member]) * np.where(rng.random((n, bits)) < 0.15, -1, 1)
    queries = centres[rng.integers(0, groups, 200)] + 0.5 * rng.standard_normal((200, bits))
    return pack(values.astype(np.float32)), values.astype(np.float32), queries.astype(np.float32)


def test_the_cluster_count_by_rows_or_by_the_square_root_of_the_rows():
    assert [cluster_count(n) for n in (4096, 11_477, 1_000_000)] == [128, 214, 2000]  # --cluster-rows 0
    assert cluster_count(11_477, rows_per_cluster=256) == 45  # the default, 256 rows a cluster
    assert cluster_count(10) == 5 and cluster_count(3) == 2 and cluster_count(36) == 12  # 2+ rows a cluster, 2+ of them


def test_kmeans_puts_every_row_in_a_cluster_and_recovers_the_groups():
    _, signs, _ = _codes()
    centroids, assign = kmeans(signs, 8, seed=0)
    assert centroids.shape == (8, 64) and np.allclose(np.linalg.norm(centroids, axis=1), 1, atol=1e-5)
    assert set(np.unique(assign)) == set(range(8))
    sizes = np.bincount(assign, minlength=8)
    assert sizes.min() > 100  # the 8 groups, each ~250 rows


def test_the_probes_chosen_reach_the_recall_and_fewer_would_not():
    _, signs, queries = _codes()
    centroids, assign = kmeans(signs, 16, seed=0)
    probes, recall = choose_probes(centroids, assign, signs, queries)
    assert recall >= RECALL and 1 <= probes <= 16

    def measured(p: int) -> float:
        found = []
        for q in queries:
            allowed = np.flatnonzero(np.isin(assign, probe(centroids, q, p)))
            exact = set(np.argsort(-(signs @ q), kind="stable")[:10].tolist())
            ours = allowed[np.argsort(-(signs[allowed] @ q), kind="stable")[:10]]
            found.append(len(exact & set(ours.tolist())) / 10)
        return float(np.mean(found))

    assert abs(measured(probes) - recall) < 1e-9
    if probes > 1:
        assert measured(probes - 1) < RECALL


def test_the_files_hold_every_row_once_with_its_code(tmp_path):
    codes, signs, queries = _codes(n=1000)
    entry = write_clusters(tmp_path, codes, 64, 100, queries, seed=0)
    centroids, sizes = read_centroids((tmp_path / "clusters.bin").read_bytes())
    assert entry["count"] == 10 == len(centroids) and sizes.sum() == 1000
    seen = []
    for c in range(entry["count"]):
        ids, part = read_cluster((tmp_path / "codes" / f"{c:04d}.bin").read_bytes())
        assert len(ids) == sizes[c] and (np.diff(ids) > 0).all()
        assert (part == codes[ids]).all()
        seen += ids.tolist()
    assert sorted(seen) == list(range(1000))
    assert entry["bytes"] == sum(p.stat().st_size for p in (tmp_path / "codes").iterdir())


def test_sign_centroids_are_each_clusters_majority_and_reach_the_recall_they_claim(tmp_path):
    codes, signs, queries = _codes(n=1000)
    entry = write_clusters(tmp_path, codes, 64, 100, queries, seed=0, signs_from=10)
    data = (tmp_path / "clusters.bin").read_bytes()
    assert int.from_bytes(data[6:8], "little") == SIGNS and len(data) == 16 + 10 * (4 + 64 // 8)
    centroids, sizes = read_centroids(data)
    assert set(np.unique(centroids).tolist()) == {-1.0, 1.0}
    index = ClusterIndex(tmp_path, entry)
    for c in range(10):
        majority = np.where(signs[index.rows[c]].sum(0) > 0, 1.0, -1.0)
        assert (centroids[c] == majority).mean() > 0.95  # the sign of the unit mean: the majority, ties aside
    found = []
    for q in queries:
        allowed = index.rows_for(q)
        exact = set(np.argsort(-(signs @ q), kind="stable")[:10].tolist())
        found.append(len(exact & set(allowed[np.argsort(-(signs[allowed] @ q), kind="stable")[:10]].tolist())) / 10)
    assert abs(float(np.mean(found)) - entry["recall"]) < 1e-4 and entry["recall"] >= RECALL


def test_a_clustered_site_ranks_over_the_probed_rows(tiny_config, tmp_path):
    result = build_site(tiny_config(clusters_from=0, cluster_rows=4, out=tmp_path / "clustered"))
    clusters = result.manifest["clusters"]
    assert clusters and clusters["count"] >= 2 and 1 <= clusters["probes"] <= clusters["count"]
    ranker = SiteRanker(result.out)
    codes, bits = read_codes(site_path(result.out, "codes.bin"))
    query = ranker.query("music of the river")
    rows = ranker.probed(query.q)
    assert rows is not None and set(rows.tolist()) <= set(range(len(codes)))
    ranked = ranker.meaning(query.q, query.dist, 5)
    assert {r[0] for r in ranked} <= set(rows.tolist())
    inside = rank(query.q, codes[rows], bits, 5, 100, query.dist[rows])
    assert [r[0] for r in ranked] == [int(rows[i]) for i, _, _ in inside]
    fused = ranker.results(query, 5, "hybrid")
    assert all(r["distance"] is None or r["index"] in set(rows.tolist()) for r in fused)
    assert clusters["transformer"] == "whole"  # codes.bin is smaller than the model: that tier scans it all
    assert ranker.probed(query.q, light=False) is None and ranker.probed(query.q, light=True) is not None
    small = build_site(tiny_config(out=tmp_path / "whole"))  # 12 passages: below clusters_from, codes.bin whole
    assert small.manifest["clusters"] is None and not list(small.out.glob("codes.*/"))


def test_a_reuse_chooses_its_probes_on_the_views_the_site_recorded(tiny_config, tmp_path):
    fresh = build_site(tiny_config(clusters_from=0, cluster_rows=4, out=tmp_path / "fresh"))
    recorded = json.loads((fresh.out / "rebuild" / "binarizer.json").read_text())["probe_queries"]
    probes = (fresh.out / "rebuild" / "probes.f16").read_bytes()
    assert recorded["rows"] == len(probes) // (2 * 64) >= 1  # float16 x 64 bits a view
    again = build_site(tiny_config(clusters_from=0, cluster_rows=4, out=tmp_path / "again", model_from=fresh.out))
    assert again.report["encoded"]["reused"] == again.report["documents"]  # a reuse: no views of its own
    assert again.manifest["clusters"]["probes"] == fresh.manifest["clusters"]["probes"]
    assert again.manifest["clusters"]["recall"] == fresh.manifest["clusters"]["recall"]
    assert (again.out / "rebuild" / "probes.f16").read_bytes() == probes  # kept for the reuse after it
    (fresh.out / "rebuild" / "probes.f16").write_bytes(probes[:-2])
    with pytest.raises(UserError, match="probes.f16 does not match"):
        build_site(tiny_config(clusters_from=0, cluster_rows=4, out=tmp_path / "broken", model_from=fresh.out))
    assert not (tmp_path / "broken").exists()
