"""Packed codes: codes.bin (SPEC's 32-byte header + one row of bits per document) and the ranking that the
page and site-eval share: Hamming distance, then the asymmetric float rerank of the top candidates."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from hamming_site.builder import FORMAT_VERSION

MAGIC = b"HAMB"
HEADER = struct.Struct("<4sHHII")
HEADER_BYTES = 32
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def pack(embeddings: np.ndarray) -> np.ndarray:
    """[n, bits] floats -> [n, bits/8] uint8; bit i is 1 where embedding[i] > 0 (little bit order, so bytes
    read as little-endian u32 words put bit i at bit i%32 of word i//32)."""
    return np.packbits(embeddings > 0, axis=1, bitorder="little")


def unpack(codes: np.ndarray, bits: int) -> np.ndarray:
    return np.unpackbits(codes, axis=1, bitorder="little", count=bits)


def to_bytes(codes: np.ndarray, bits: int) -> bytes:
    if bits % 32 or codes.shape[1] * 8 != bits:
        raise ValueError(f"codes of {codes.shape[1] * 8} bits do not match bits={bits} (a multiple of 32)")
    header = HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(codes), bits).ljust(HEADER_BYTES, b"\0")
    return header + np.ascontiguousarray(codes, dtype=np.uint8).tobytes()


def from_bytes(data: bytes) -> tuple[np.ndarray, int]:
    """codes.bin bytes -> ([count, bits/8] uint8, bits); ValueError on a bad header or size."""
    if len(data) < HEADER_BYTES:
        raise ValueError("codes.bin is shorter than its 32-byte header")
    magic, version, _flags, count, bits = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError(f"codes.bin has magic {magic!r}, expected {MAGIC!r}")
    if version != FORMAT_VERSION:
        raise ValueError(f"codes.bin format version {version} is not {FORMAT_VERSION}")
    if bits == 0 or bits % 32:
        raise ValueError(f"codes.bin declares {bits} bits, not a positive multiple of 32")
    if len(data) != HEADER_BYTES + count * bits // 8:
        raise ValueError(f"codes.bin is {len(data)} bytes; {count} codes of {bits} bits need "
                         f"{HEADER_BYTES + count * bits // 8}")
    body = np.frombuffer(data, dtype=np.uint8, offset=HEADER_BYTES).reshape(count, bits // 8)
    return body, bits


def write_codes(path: Path, codes: np.ndarray, bits: int) -> None:
    Path(path).write_bytes(to_bytes(codes, bits))


def read_codes(path: Path) -> tuple[np.ndarray, int]:
    return from_bytes(Path(path).read_bytes())


def hamming(query_code: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Hamming distance from one packed code [bits/8] to every row of codes [n, bits/8]."""
    return _POPCOUNT[np.bitwise_xor(codes, query_code)].sum(1, dtype=np.int32)


def in_order(terms: np.ndarray) -> np.ndarray:
    """Each row of terms summed in float64 from its first column to its last, one addition at a time: the page's
    loop (hamming.js's asymmetricScore, clusters.js's probe), so that both get the same bits. A BLAS dot product
    sums in an order of its own that varies with the CPU's vector width (AVX2, AVX-512), and float32 rounds ties
    apart that float64 keeps: either put near-ties in another order than the page's on some machines (issue 40).
    numpy's accumulate is sequential by definition, where sum() is pairwise."""
    terms = np.asarray(terms, dtype=np.float64)
    if terms.shape[-1] == 0:
        return np.zeros(terms.shape[:-1])
    return np.cumsum(terms, axis=-1)[..., -1]


def asymmetric(query: np.ndarray, codes: np.ndarray, bits: int) -> np.ndarray:
    """sum_i q_i * (2*bit_i - 1) of each row of codes, in float64 over i ascending (in_order): the rerank score,
    for any documents. q_i is float32 (the page's Float32Array), exact in float64, so each term is too."""
    signs = unpack(codes, bits).astype(np.float64) * 2 - 1
    return in_order(signs * np.asarray(query, dtype=np.float32).astype(np.float64))


def rank(query: np.ndarray, codes: np.ndarray, bits: int, k: int, depth: int,
         dist: np.ndarray | None = None) -> list[tuple[int, int, float]]:
    """The page's ranking: [(index, distance, score)] best first.

    Hamming distance ascending (ties by index); the first max(k, depth) are re-scored with
    sum_i q_i * (2*bit_i - 1) and sorted by score descending, ties by index. dist: the query's Hamming
    distances, where the caller already has them.
    """
    if dist is None:
        dist = hamming(pack(query[None, :])[0], codes)
    n = len(codes)
    take = min(n, max(k, depth))
    order = np.lexsort((np.arange(n), dist))[:take]  # distance, then index
    scores = asymmetric(query, codes[order], bits)
    head = min(take, depth)
    if head:
        reranked = sorted(range(head), key=lambda j: (-scores[j], order[j]))
        perm = reranked + list(range(head, take))
        order, scores = order[perm], scores[perm]
    return [(int(i), int(dist[i]), float(s)) for i, s in zip(order[:k], scores[:k], strict=True)]
