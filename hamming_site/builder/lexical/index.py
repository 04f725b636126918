"""The keyword index: BM25 impacts per (term, document), quantised to one byte, written in chunks of terms
sorted as JavaScript sorts strings, so that a query fetches only the chunks holding its terms (as Pagefind
does).

Files (folder `lexical/` of the site; `manifest.json`'s `lexical` entry lists the chunks by their first key):

    NNNN.bin   12-byte header: magic "HAML", u16 format version (1), u16 flags (0), u32 key count;
               then per key, in ascending key order (UTF-16 code units):
                 varint key byte length, the key in UTF-8, varint df, varint byte length of the postings,
                 postings: df x (varint document delta, u8 impact).
               The first delta is the document index itself, each next one the gap to the previous (>= 1).
               varint: unsigned LEB128 (7 bits a byte, low bits first).

Keys are the stemmed terms of tokenize.py, plus two hashed keys per document title (tokenize.title_keys:
`=` + the exact title, `~` + the title ignoring case and punctuation) whose postings list the documents
bearing that title (impact 0), plus for each word of the text as written (lower-cased, 3 letters or more, no stop
word, no CJK character, none outside the Basic Multilingual Plane) its reversed key, `<` + the word written
backwards, with no postings (df 0): where the page looks for a mistyped word by its end, its terms then the
word's own (expand.py; since 2026-12-07, manifest `lexical.expand`).
A document's score for a query is the sum of its impacts over the query's
distinct terms: an integer, so the page and site-eval agree exactly.

Impact: Lucene's BM25, idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf' = tf (k1 + 1) / (tf + k1 (1 - b + b dl /
avgdl)), with the title's terms counted `title_weight` times in tf and dl; then round(255 * impact / max impact),
at least 1.
"""

from __future__ import annotations

import json
import math
import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hamming_site.builder.lexical.tokenize import (
    EXACT,
    LOOSE,
    REVERSED,
    STOPWORDS,
    plain,
    sort_key,
    stops,
    terms,
    title_keys,
    words,
)

MAGIC = b"HAML"
VERSION = 1
HEADER = struct.Struct("<4sHHI")


MAX_QUERY_TERMS = 32  # a query's 32 most repeated terms count: a pasted page fetches at most 34 chunks

# Search as you type (expand.py says how each is used); the manifest's lexical.expand, read by both sides. Chosen on
# the example site's members (benchmarks/as_you_type.py, docs/benchmarks.md)
EXPAND = {
    "prefix_min": 2,  # letters the word being typed needs before it matches the terms it begins
    "prefix_chunks": 2,  # chunks a prefix's terms are looked for in: a short prefix never fetches the whole index
    "prefix_terms": 16,  # terms a prefix matches at most, those most documents have
    "typo_min": 4,  # letters a word needs before a typo in it is looked for
    "typo_words": 3,  # words of a query looked at for typos
    "typo_terms": 4,  # terms a mistyped word matches at most
    "typo_ratio": 16,  # a known word also matches a term one edit away that this many times more documents have
    "static_terms": 2,  # of a word's expansions, those the static encoder's vector takes (at half weight)
}


@dataclass(frozen=True)
class Bm25:
    k1: float = 1.2  # term-frequency saturation (Lucene's default)
    b: float = 0.75  # length normalisation
    title_weight: int = 3  # a title word counts this many times in tf and document length
    chunk_bytes: int = 8192  # target size of a chunk file; a longer postings list gets a chunk of its own


def _varint(n: int, out: bytearray) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    n = shift = 0
    while True:
        if at >= len(data):
            raise ValueError("a keyword index chunk is truncated")
        byte = data[at]
        at += 1
        n |= (byte & 0x7F) << shift
        if byte < 0x80:
            return n, at
        shift += 7


def impacts(texts: list[tuple], params: Bm25, cjk: bool = False) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(title, text), (title, text, names), (title, text, names, weighted) or (..., weighted, language) per row ->
    {key: (row indices ascending, u8 impacts)}. A row is a document or a passage; `names` are the strings it
    answers to exactly (title keys), by default its title; `weighted`: (fragment of text, weight) pairs whose words
    count weight times (data-hamming-weight: 0 leaves them out, 2 counts them twice); `language`: the code its
    words are tokenized in (tokenize.terms; default en); cjk: CJK runs cut into bigrams whatever the row's language,
    as a query on a site not all English is (an English page of a Japanese site quotes Japanese: until 2026-12-07
    such a page kept its runs whole, and a piece of its Japanese text found nothing)."""
    counts, lengths = [], []
    surface: set[str] = set()  # the words as written that the reversed keys list
    for title, text, *rest in texts:
        lang = (rest[2],) if len(rest) > 2 else ("en",)
        stop = stops(lang[0])
        surface.update(w for w in words(f"{title} {text}") if len(w) >= 3 and w not in stop and plain(w))
        tf = Counter(terms(text, lang, cjk))
        weighted = rest[1] if len(rest) > 1 else ()
        for fragment, weight in weighted:
            for t in terms(fragment, lang, cjk):
                tf[t] += weight - 1
        if weighted:  # weight 0 took words out: no posting for them
            tf = Counter({t: f for t, f in tf.items() if f > 1e-9})
        for t in terms(title, lang, cjk):
            tf[t] += params.title_weight
        counts.append(tf)
        lengths.append(sum(tf.values()))
    n = len(texts)
    avgdl = max(sum(lengths) / max(n, 1), 1e-9)
    postings: dict[str, list[tuple[int, float]]] = {}
    for doc, tf in enumerate(counts):
        norm = params.k1 * (1 - params.b + params.b * lengths[doc] / avgdl)
        for term, f in tf.items():
            postings.setdefault(term, []).append((doc, f * (params.k1 + 1) / (f + norm)))
    top = 0.0
    scored = {}
    for term, rows in postings.items():
        df = len(rows)
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        docs = np.array([d for d, _ in rows], dtype=np.int64)
        values = np.array([w for _, w in rows], dtype=np.float64) * idf
        top = max(top, float(values.max()))
        scored[term] = (docs, values)
    out = {t: (d, np.clip(np.rint(v * 255 / (top or 1)), 1, 255).astype(np.uint8)) for t, (d, v) in scored.items()}
    titles: dict[str, list[int]] = {}
    for doc, (title, _, *names) in enumerate(texts):
        for name in names[0] if names else (title,):
            for key in title_keys(name):
                if key is not None and doc not in titles.setdefault(key, [])[-1:]:
                    titles[key].append(doc)
    for key, docs in titles.items():
        out[key] = (np.array(docs, dtype=np.int64), np.zeros(len(docs), dtype=np.uint8))
    none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint8))
    for word in surface:
        out[REVERSED + word[::-1]] = none
    return out


def _entry(key: str, docs: np.ndarray, weights: np.ndarray) -> bytes:
    body = bytearray()
    prev = 0
    for d, w in zip(docs.tolist(), weights.tolist(), strict=True):
        _varint(d - prev, body)
        body.append(w)
        prev = d
    raw = key.encode("utf-8")
    out = bytearray()
    _varint(len(raw), out)
    out += raw
    _varint(len(docs), out)
    _varint(len(body), out)
    return bytes(out + body)


def spread(index: dict[str, tuple[np.ndarray, np.ndarray]], rows: list[int]) -> dict:
    """Postings of units (sections) -> postings of rows (passages): unit u's rows are the next rows[u] rows,
    each with the unit's impact, and its title keys go to its first row only. A section split into windows is
    scored as a whole, as BM25 scores a document: a window alone lacks the words of its neighbours."""
    first = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)
    counts = np.asarray(rows, dtype=np.int64)
    out = {}
    for key, (units, weights) in index.items():
        if key[0] in (EXACT, LOOSE):  # a title key: the section's (or page's) first row
            out[key] = (first[units], weights)
            continue
        n = counts[units]
        starts = np.repeat(first[units], n)
        offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        out[key] = (starts + offsets, np.repeat(weights, n))
    return out


def write_index(folder: Path, texts: list[tuple], params: Bm25 = Bm25(), rows: list[int] | None = None,
                languages: tuple[str, ...] = ("en",)) -> dict:
    """Write the chunks into folder; returns the manifest's `lexical` entry. texts: one (title, text[, names[,
    weighted[, language]]]) per unit scored; rows: how many consecutive rows (passages) each unit covers (None: one
    each); languages: the site's, which a query is tokenized in (English alone: the entry as it always was)."""
    folder.mkdir()
    index = impacts(texts, params, cjk=languages != ("en",))
    if rows is not None:
        index = spread(index, rows)
    keys = sorted(index, key=sort_key)
    chunks: list[list[bytes]] = []
    firsts: list[str] = []
    size = params.chunk_bytes
    for key in keys:
        entry = _entry(key, *index[key])
        if size + len(entry) > params.chunk_bytes and (not chunks or chunks[-1]):
            chunks.append([])
            firsts.append(key)
            size = HEADER.size
        chunks[-1].append(entry)
        size += len(entry)
    total = 0
    for i, entries in enumerate(chunks):
        data = HEADER.pack(MAGIC, VERSION, 0, len(entries)) + b"".join(entries)
        (folder / f"{i:04d}.bin").write_bytes(data)
        total += len(data)
    return {
        "folder": folder.name,
        "format_version": VERSION,
        "rows": len(texts) if rows is None else int(sum(rows)),  # code rows: documents, or their passages
        "keys": len(keys),
        "bytes": total,
        # chunk i holds the keys k with firsts[i] <= k < firsts[i + 1] (JavaScript string order)
        "chunks": firsts,
        "stopwords": sorted(STOPWORDS),
        "max_query_terms": MAX_QUERY_TERMS,
        "expand": EXPAND,
        "stemmer": "snowball-english-2.2",
        # a site not all English: its languages, and each one's stop words ("stopwords" above stays English's)
        **({"languages": {code: sorted(stops(code)) for code in languages}}
           if languages != ("en",) else {}),
        "bm25": {"k1": params.k1, "b": params.b, "title_weight": params.title_weight},
    }


def parse_chunk(data: bytes, name: str = "chunk") -> dict[str, tuple[list[int], list[int]]]:
    """A chunk file -> {key: (document indices, impacts)}; the page's parseChunk in Python."""
    if len(data) < HEADER.size:
        raise ValueError(f"{name} is shorter than its header")
    magic, version, _flags, count = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"{name} is not a version-{VERSION} keyword index chunk")
    out = {}
    at = HEADER.size
    for _ in range(count):
        length, at = _read_varint(data, at)
        key = data[at : at + length].decode("utf-8")
        at += length
        df, at = _read_varint(data, at)
        size, at = _read_varint(data, at)
        end = at + size
        if end > len(data):
            raise ValueError(f"{name} is truncated")
        docs, weights, doc = [], [], 0
        while at < end:
            delta, at = _read_varint(data, at)
            doc += delta
            docs.append(doc)
            weights.append(data[at])
            at += 1
        if len(docs) != df:
            raise ValueError(f"{name}: key {key!r} lists {len(docs)} postings, its header says {df}")
        out[key] = (docs, weights)
    return out


def chunk_of(key: str, firsts: list[str]) -> int:
    """Index of the chunk that would hold key (binary search on the first keys, in JavaScript order)."""
    lo, hi, k = 0, len(firsts) - 1, sort_key(key)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if sort_key(firsts[mid]) <= k:
            lo = mid
        else:
            hi = mid - 1
    return lo


class IndexReader:
    """The site's keyword index read back from its files, chunk by chunk, as the page reads it."""

    def __init__(self, site: Path, manifest: dict | None = None):
        manifest = manifest or json.loads((Path(site) / "manifest.json").read_text())
        self.meta = manifest["lexical"]
        self.folder = Path(site) / self.meta["folder"]
        self.chunks: dict[int, dict] = {}

    def chunk(self, n: int) -> dict[str, tuple[list[int], list[int]]]:
        if n not in self.chunks:
            path = self.folder / f"{n:04d}.bin"
            self.chunks[n] = parse_chunk(path.read_bytes(), str(path))
        return self.chunks[n]

    def postings(self, key: str) -> tuple[list[int], list[int]]:
        if not self.meta["chunks"]:
            return [], []
        return self.chunk(chunk_of(key, self.meta["chunks"])).get(key, ([], []))
