"""The teacher's embedding cache: one SQLite file of vectors, one row per (teacher, kind, length, backend, text).

`teacher/embeddings.sqlite3` under the cache folder (`cache_dir`, by default ~/.cache/hamming-site), with
SQLite's `-wal` and `-shm` files beside it: binary data, one SQLite 3 table
`vectors(key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID`. `key` is the 32 raw bytes of
sha256(b"hamming-teacher-1\\0" + f"{teacher weights sha256}\\0{kind}\\0{max_seq_length}\\0{backend tag}\\0"
+ sha256(text as UTF-8)); `vec` is the text's unit length embedding as raw little-endian float32 (4 x dim
bytes). Write-ahead logging, a busy timeout, one transaction per chunk of encoded texts: two builds may share
the file, and an interrupt loses at most the chunk in flight. Files of the earlier format (`<key>.f32` +
`<key>.json`) are ignored.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np

DB_NAME = "embeddings.sqlite3"
_KEY_VERSION = b"hamming-teacher-1\0"



def text_keys(texts: list[str], teacher_sha: str, kind: str, max_len, tag: str) -> list[bytes]:
    """The cache key of each text (this module's docstring)."""
    prefix = _KEY_VERSION + f"{teacher_sha}\0{kind}\0{max_len}\0{tag}\0".encode()
    return [
        hashlib.sha256(prefix + hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest()).digest() for t in texts
    ]


class EmbeddingCache:
    """Vectors by key in one SQLite file (this module's docstring); a context manager."""

    LOOKUP = 500  # keys per SELECT (under SQLite's oldest limit of 999 parameters)

    def __init__(self, cache_dir: Path):
        folder = Path(cache_dir) / "teacher"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / DB_NAME
        self.con = sqlite3.connect(self.path, timeout=300)
        try:  # readers never wait for a writer; falls back to the rollback journal where WAL cannot work
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.OperationalError:
            pass
        with self.con:
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID"
            )

    def get(self, keys: list[bytes], dim: int) -> dict[bytes, np.ndarray]:
        found = {}
        for start in range(0, len(keys), self.LOOKUP):
            part = keys[start : start + self.LOOKUP]
            marks = ",".join("?" * len(part))
            for key, vec in self.con.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", part):
                if len(vec) == 4 * dim:
                    found[bytes(key)] = np.frombuffer(vec, dtype="<f4")
        return found

    def put(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """One transaction: all of these rows or none."""
        rows = [(k, np.ascontiguousarray(v, dtype="<f4").tobytes()) for k, v in zip(keys, vectors, strict=True)]
        with self.con:
            self.con.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
