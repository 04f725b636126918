"""The static query encoder's table on disk: rows fetched per query term, in buckets chosen by the term's hash.

Folder `meaning/` of the site; `manifest.json`'s `static` entry: `{"folder", "buckets", "dims", "terms",
"bytes"}`. A term's bucket is `fnv1a64(term as UTF-8) mod buckets` (hamming_site/builder/lexical/tokenize.py's fnv1a64,
the page's fnv1a64Hex), so the page needs no list of terms to find a row: a query fetches at most one small file
per distinct term (a term the corpus lacks costs its bucket too: the page cannot know it is absent before).

    NNNN.bin   16-byte header: magic "HAMS", u16 format version (1), u16 flags (0), u32 term count, u16 dims,
               u16 reserved (0); then per term, in ascending key order (UTF-16 code units):
                 varint key byte length, the key in UTF-8, f32 scale (LE), dims x i8.
               A row's values are i8 x scale (per-row symmetric quantisation: scale = max |value| / 127).
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np

from hamming_site.builder.lexical.tokenize import fnv1a64, sort_key

MAGIC = b"HAMS"
VERSION = 1
HEADER = struct.Struct("<4sHHIHH")
FOLDER = "meaning"


def bucket_of(term: str, buckets: int) -> int:
    return fnv1a64(term.encode("utf-8")) % buckets


def quantize(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 rows, float32 scales): per-row symmetric int8."""
    peak = np.abs(rows).max(axis=1) if rows.size else np.zeros(len(rows), dtype=np.float32)
    scales = np.where(peak > 0, peak / 127, 1.0).astype(np.float32)
    return np.clip(np.rint(rows / scales[:, None]), -127, 127).astype(np.int8), scales


def _varint(n: int, out: bytearray) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def write_static(site: Path, terms: list[str], rows: np.ndarray, bucket_bytes: int) -> dict:
    """meaning/NNNN.bin for the table; returns the manifest's "static" entry."""
    folder = Path(site) / FOLDER
    folder.mkdir()
    dims = rows.shape[1]
    entry_bytes = 1 + 4 + dims + (sum(len(t.encode("utf-8")) for t in terms) / max(1, len(terms)))
    buckets = max(1, math.ceil(len(terms) * entry_bytes / bucket_bytes))
    q, scales = quantize(rows)
    members: list[list[int]] = [[] for _ in range(buckets)]
    for i, term in enumerate(terms):
        members[bucket_of(term, buckets)].append(i)
    total = 0
    for b, ids in enumerate(members):
        ids.sort(key=lambda i: sort_key(terms[i]))
        out = bytearray(HEADER.pack(MAGIC, VERSION, 0, len(ids), dims, 0))
        for i in ids:
            key = terms[i].encode("utf-8")
            _varint(len(key), out)
            out += key + struct.pack("<f", scales[i]) + q[i].tobytes()
        (folder / f"{b:04d}.bin").write_bytes(bytes(out))
        total += len(out)
    return {"folder": FOLDER, "buckets": buckets, "dims": dims, "terms": len(terms), "bytes": total}


def parse_bucket(data: bytes) -> dict[str, np.ndarray]:
    """term -> its row (float32, dequantised) of one bucket file."""
    magic, version, _, count, dims, _ = HEADER.unpack_from(data, 0)
    if magic != MAGIC or version != VERSION:
        raise ValueError("not a static table bucket of format 1")
    at, rows = HEADER.size, {}
    for _ in range(count):
        n, shift = 0, 0
        while True:
            byte = data[at]
            at += 1
            n |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        key = data[at : at + n].decode("utf-8")
        at += n
        (scale,) = struct.unpack_from("<f", data, at)
        values = np.frombuffer(data, dtype=np.int8, count=dims, offset=at + 4)
        rows[key] = values.astype(np.float32) * np.float32(scale)
        at += 4 + dims
    return rows


class StaticReader:
    """The table as the page reads it: rows fetched per term's bucket (cached)."""

    def __init__(self, site: Path, entry: dict):
        self.folder, self.entry = Path(site) / entry["folder"], entry
        self.cache: dict[int, dict[str, np.ndarray]] = {}

    def row(self, term: str) -> np.ndarray | None:
        b = bucket_of(term, self.entry["buckets"])
        if b not in self.cache:
            self.cache[b] = parse_bucket((self.folder / f"{b:04d}.bin").read_bytes())
        return self.cache[b].get(term)

    def encode(self, term_counts) -> np.ndarray:
        """The query's vector, as the page computes it (static_vector)."""
        return static_vector(term_counts, self.row, self.entry["dims"])


def static_vector(term_counts, row_of, dims: int) -> np.ndarray:
    """A query's vector: the float32 sum, in the query's first-seen term order, of count x row over its terms
    (row_of(term) -> its row, or None for a term without one). The page's encodeStatic (static.js)."""
    q = np.zeros(dims, dtype=np.float32)
    for term, count in term_counts.items():
        row = row_of(term)
        if row is not None:
            q += np.float32(count) * row
    return q
