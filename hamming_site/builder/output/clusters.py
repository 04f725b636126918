"""Codes fetched per cluster (an inverted file): a query ranks the clusters' centroids, fetches only the codes of
the nearest `probes` clusters, and ranks those rows as it would rank them all.

The passages are clustered by their codes (spherical k-means on the +-1 vectors: the space the page scans, and
one a reuse can cluster again from codes.bin alone). From SIGNS_FROM clusters the centroids are kept as their sign
bits, as the codes are: 32 bytes where int8 takes 264, so that a million rows' 3,906 centroids cost 141 KB, not
1 MB, before a query fetches any code (a sign centroid is its cluster's majority vote, what its rows share; on
synthetic codes it routes as well as int8: docs/benchmarks.md, "Codes by cluster at scale"). The build picks
`probes`, the fewest clusters whose probed ranking finds at least RECALL of the exhaustive top 10 on its own
query-like views (the binarizer's values of their teacher embeddings, what both encoders aim at), and records
that recall.

Files (`manifest.json`'s `clusters` entry: `{"folder", "count", "probes", "recall", "bytes", "transformer",
"centroids"}`: "transformer" is "whole" where the transformer's tier ranks codes.bin whole rather than the probed
clusters (write_clusters says when), "centroids" a file entry of `clusters.bin` with its bytes and sha256):

    clusters.bin   16-byte header: magic "HAMC", u16 format version (1), u16 flags (0), u32 clusters, u16 bits,
                   u16 reserved (0); then clusters x u32 (each cluster's row count), clusters x f32 (each
                   centroid's scale), clusters x bits x i8 (the centroids: i8 x scale; a query's score against
                   centroid c is the dot product of its float vector with it). Flag 1 (signs): in place
                   of the scales and i8 centroids, clusters x bits/8 bytes, each centroid's sign bits packed
                   as codes.bin packs a code (a set bit: +1, a clear one: -1).
    codes/NNNN.bin 16-byte header: magic "HAMK", u16 format version (1), u16 flags (0), u32 rows, u16 bits,
                   u16 reserved (0); then rows x u32 (the code rows' indices, ascending), then rows x bits/8
                   bytes (their codes, as codes.bin holds them). The rows of all clusters are every row once.
codes.bin stays beside them, whole: what site-eval and a later reuse read; the page reads the clusters.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from hamming_site.builder.output.codes import in_order, pack, unpack
from hamming_site.builder.output.site import file_entry
from hamming_site.builder.output.static import quantize

CENTROIDS_MAGIC, CLUSTER_MAGIC, VERSION = b"HAMC", b"HAMK", 1
HEADER = struct.Struct("<4sHHIHH")
SIGNS = 1  # clusters.bin's flag: its centroids are sign bits
SIGNS_FROM = 256  # clusters from which the centroids are sign bits (int8's 256 centroids are 67 KB)
BLOCK = 16384  # rows compared with the centroids at once: a million rows x 3,906 centroids would be 31 GB
FOLDER, CENTROIDS = "codes", "clusters.bin"
# probed top 10 against the exhaustive top 10, on the build's query-like views. SciFact train, static encoder: 11
# of 39 clusters (0.95) lose 0.004 nDCG@10, 16 lose nothing; 0.97 probes 15 (test: hybrid-lite 0.7137 against
# 0.7160 at 0.98's 17), keeping the first hybrid-lite list under 300 KB (docs/benchmarks.md)
RECALL = 0.97
# clusters for --cluster-rows 0: 2 x sqrt(n) (FAISS's guideline for an inverted file is 4-16 x sqrt(n)). On real
# sites, where a query needs many more probes than on separable synthetic codes, the bytes a query fetches
# (centroids + probed clusters) fall steeply from 256 rows a cluster to about 30 (PostgreSQL's 11,477 passages:
# 172 KB at 45 clusters, 101 KB at 214, 79 KB at 359), but each probe is a request: in Chromium over an emulated
# network the first hybrid-lite list came no sooner (HTTP/2) or later (HTTP/1.1), and hybrid-lite lost 0.002-0.006
# nDCG@10 on SciFact, so 256 rows stays the default and this is the choice of a site that counts bytes
# (docs/benchmarks.md, "Smaller clusters")
CLUSTERS_PER_ROOT = 2
ITERATIONS = 12
FIT_ROWS_PER_CLUSTER = 256


def cluster_count(rows: int, rows_per_cluster: int = 0) -> int:
    """Clusters for `rows` codes: about rows_per_cluster rows each, or where that is 0, CLUSTERS_PER_ROOT x sqrt(rows),
    never fewer than 2 rows a cluster (k-means starts each at a row of its own)."""
    count = rows / rows_per_cluster if rows_per_cluster else CLUSTERS_PER_ROOT * np.sqrt(rows)
    return max(2, min(round(count), rows // 2))


def kmeans(signs: np.ndarray, clusters: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(unit centroids [clusters, bits] float64, each row's cluster) of spherical k-means on +-1 rows, fitted on
    at most FIT_ROWS_PER_CLUSTER rows a cluster drawn at random: start at rows drawn without replacement, assign
    each row to its most similar centroid, recentre; an emptied cluster takes the row least similar to its own
    centroid. Then every row is assigned."""
    rng = np.random.default_rng(seed)
    fit = signs if len(signs) <= FIT_ROWS_PER_CLUSTER * clusters else signs[
        np.sort(rng.choice(len(signs), size=FIT_ROWS_PER_CLUSTER * clusters, replace=False))]
    x = fit.astype(np.float32) / np.sqrt(signs.shape[1])
    centroids = x[rng.choice(len(x), size=clusters, replace=False)].copy()
    for _ in range(ITERATIONS):
        assign, best = _nearest(x, centroids)
        for c in np.flatnonzero(np.bincount(assign, minlength=clusters) == 0):  # the worst-placed row starts it
            worst = int(np.argmin(best))
            assign[worst], best[worst] = c, np.inf
        order = np.argsort(assign, kind="stable")
        starts = np.searchsorted(assign[order], np.arange(clusters))
        # the rows are +-1/sqrt(bits): their sums are exact in any order for 256 bits
        centre = np.add.reduceat(x[order], starts, axis=0)
        centroids = centre / np.maximum(np.linalg.norm(centre, axis=1, keepdims=True), 1e-12)
    return centroids, _nearest(signs, centroids)[0]


def _nearest(x: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each row's most similar centroid, that similarity), BLOCK rows at a time."""
    assign, best = np.empty(len(x), dtype=np.int64), np.empty(len(x), dtype=np.float32)
    for i in range(0, len(x), BLOCK):
        sims = x[i : i + BLOCK] @ centroids.T
        assign[i : i + BLOCK] = sims.argmax(1)
        best[i : i + BLOCK] = sims[np.arange(len(sims)), assign[i : i + BLOCK]]
    return assign, best


def probe(centroids: np.ndarray, q: np.ndarray, probes: int) -> np.ndarray:
    """The clusters a query fetches: its `probes` best centroids by dot product, ties by cluster number. The product
    of two float32 values is exact in float64; the sum runs over the bits in order, as the page's loop does
    (codes.in_order), so that a near-tie between two centroids falls the same way on every machine."""
    q64 = np.asarray(q, dtype=np.float32).astype(np.float64)
    scores = in_order(np.asarray(centroids, dtype=np.float64) * q64)  # float32 values: exact in float64
    return np.lexsort((np.arange(len(scores)), -scores))[:probes]


def choose_probes(centroids: np.ndarray, assign: np.ndarray, codes_pm: np.ndarray, queries: np.ndarray
                  ) -> tuple[int, float]:
    """The fewest probes whose top 10 holds RECALL of the exhaustive top 10 (by the page's rerank score),
    averaged over `queries`; and that recall. A row of the exhaustive top 10 is in the probed top 10 exactly
    when its cluster is probed, so each needs the probes up to its cluster's place in the query's order."""
    k = min(10, len(codes_pm))
    # the rerank score (Hamming first would only change ties among the top 100), 64 queries at a time: bounded
    # memory on a million rows
    exact = np.concatenate([np.argsort(-(queries[i : i + 64] @ codes_pm.T), axis=1, kind="stable")[:, :k]
                            for i in range(0, len(queries), 64)])
    place = np.empty((len(queries), len(centroids)), dtype=np.int64)
    wide = np.asarray(centroids, dtype=np.float64)  # once, not once a query (probe takes either)
    for qi, q in enumerate(queries):
        place[qi, probe(wide, q, len(centroids))] = np.arange(1, len(centroids) + 1)
    need = np.take_along_axis(place, assign[exact], axis=1)  # [queries, k]: probes each exact row needs
    for p in range(1, len(centroids) + 1):
        recall = float((need <= p).mean())
        if recall >= RECALL:
            return p, recall
    return len(centroids), 1.0


def write_clusters(site: Path, codes: np.ndarray, bits: int, rows_per_cluster: int, queries: np.ndarray,
                   seed: int, transformer_whole: bool = False, signs_from: int = SIGNS_FROM) -> dict:
    """clusters.bin and codes/NNNN.bin for `codes` (packed rows), in cluster_count(rows, rows_per_cluster)
    clusters; returns the manifest's "clusters" entry.
    transformer_whole: the transformer's tier ranks codes.bin whole (worth it where codes.bin is small beside the
    model that tier downloads anyway: the transformer's vectors need far more probes than the static encoder's
    for the same ranking, SciFact train hybrid 0.7181 with 11 of 39 clusters, 0.7291 with 16, 0.7371 whole)."""
    signs = unpack(codes, bits).astype(np.float32) * 2 - 1
    count = cluster_count(len(codes), rows_per_cluster)
    centroids, assign = kmeans(signs, count, seed)
    flags = SIGNS if count >= signs_from else 0
    if flags:
        packed = pack(centroids)
        stored, read = packed.tobytes(), unpack(packed, bits).astype(np.float32) * 2 - 1
    else:
        q8, scales = quantize(centroids)
        stored, read = scales.astype("<f4").tobytes() + q8.tobytes(), q8.astype(np.float32) * scales[:, None]
    probes, recall = choose_probes(read, assign, signs, queries)
    folder = Path(site) / FOLDER
    folder.mkdir()
    # each cluster's rows, ascending: one stable sort, as kmeans recentres (a pass per cluster over a million rows
    # would be thousands of passes)
    order = np.argsort(assign, kind="stable").astype("<u4")
    sizes = np.bincount(assign, minlength=count)
    ends, total = np.cumsum(sizes), 0
    for c in range(count):
        rows = order[ends[c] - sizes[c] : ends[c]]
        data = HEADER.pack(CLUSTER_MAGIC, VERSION, 0, len(rows), bits, 0) + rows.tobytes() + codes[rows].tobytes()
        (folder / f"{c:04d}.bin").write_bytes(data)
        total += len(data)
    head = HEADER.pack(CENTROIDS_MAGIC, VERSION, flags, count, bits, 0)
    (Path(site) / CENTROIDS).write_bytes(head + np.asarray(sizes, dtype="<u4").tobytes() + stored)
    return {"folder": FOLDER, "count": count, "probes": probes, "recall": round(recall, 4), "bytes": total,
            "transformer": "whole" if transformer_whole else "probed", "centroids": file_entry(Path(site) / CENTROIDS)}


def read_centroids(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(centroids as the page reads them: i8 x scale, or +-1 where they are sign bits, float32 [clusters, bits];
    each cluster's row count)."""
    magic, version, flags, count, bits, _ = HEADER.unpack_from(data, 0)
    if magic != CENTROIDS_MAGIC or version != VERSION:
        raise ValueError("not a clusters.bin of format 1")
    at = HEADER.size
    sizes = np.frombuffer(data, dtype="<u4", count=count, offset=at).astype(np.int64)
    if flags & SIGNS:
        packed = np.frombuffer(data, dtype=np.uint8, count=count * bits // 8, offset=at + 4 * count)
        return unpack(packed.reshape(count, bits // 8), bits).astype(np.float32) * 2 - 1, sizes
    scales = np.frombuffer(data, dtype="<f4", count=count, offset=at + 4 * count)
    q8 = np.frombuffer(data, dtype=np.int8, count=count * bits, offset=at + 8 * count).reshape(count, bits)
    return q8.astype(np.float32) * scales[:, None], sizes


def read_cluster(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(row indices, their packed codes) of one codes/NNNN.bin."""
    magic, version, _, rows, bits, _ = HEADER.unpack_from(data, 0)
    if magic != CLUSTER_MAGIC or version != VERSION:
        raise ValueError("not a codes/NNNN.bin cluster of format 1")
    ids = np.frombuffer(data, dtype="<u4", count=rows, offset=HEADER.size).astype(np.int64)
    codes = np.frombuffer(data, dtype=np.uint8, count=rows * bits // 8, offset=HEADER.size + 4 * rows)
    return ids, codes.reshape(rows, bits // 8)


class ClusterIndex:
    """A site's clusters as the page reads them (its manifest's "clusters" entry): the clusters a query vector
    fetches, and their rows."""

    def __init__(self, site: Path, entry: dict):
        self.entry = entry
        centroids, _ = read_centroids((Path(site) / entry["centroids"]["file"]).read_bytes())
        self.centroids = centroids.astype(np.float64)  # as probe() sums them, widened once rather than each query
        folder = Path(site) / entry["folder"]
        self.rows = [read_cluster((folder / f"{c:04d}.bin").read_bytes())[0] for c in range(entry["count"])]

    def picked(self, q: np.ndarray) -> np.ndarray:
        return probe(self.centroids, q, self.entry["probes"])

    def rows_for(self, q: np.ndarray) -> np.ndarray:
        """The rows whose codes q fetches, ascending."""
        return np.sort(np.concatenate([self.rows[c] for c in self.picked(q)]))
