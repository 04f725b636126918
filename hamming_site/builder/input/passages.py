"""Split documents into passages: at their sections (h1-h3 for pages), then into windows of at most
`max_length` tokens of the model's own tokenizer, with a little overlap. A passage is one code row and one
keyword-index row; documents stay the unit of results (passages.bin maps rows to documents)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

import numpy as np
from tokenizers import Tokenizer

from hamming_site.builder.input.corpus import Document

ENCODE_BATCH = 1024  # strings (titles, sections, headings) tokenized in one call
SPECIAL_TOKENS = 2  # [CLS] and [SEP]: the model's input holds them besides the passage's own tokens


@dataclass(frozen=True)
class Passage:
    doc: int  # the document's index
    heading: str  # its section's heading ("" for none)
    anchor: str  # its section's fragment ("" = the document itself)
    start: int  # Document.text[start:end] is the passage's text
    end: int
    first: bool  # the first passage of its section: it carries the heading as a title key

    def model_text(self, doc: Document) -> str:
        """What the models see: the document's title, the heading (when the window does not start with it), the
        text: a window from the middle of a long section still says what page and section it is from."""
        text = doc.text[self.start : self.end]
        head = [doc.title] if doc.title else []
        if self.heading and not (self.first and text.startswith(self.heading)) and self.heading != doc.title:
            head.append(self.heading)
        return " ".join([*head, text]).strip()

    def keyword_title(self, doc: Document) -> str:
        """The keyword index's title field of this row: the page's title and its section's heading."""
        return f"{doc.title} {self.heading}".strip() if self.heading != doc.title else doc.title

    def names(self, doc: Document, first_of_doc: bool) -> tuple[str, ...]:
        """Exact-match names (title keys): the document's title on its first row, a heading on its first row."""
        out = [doc.title] if first_of_doc and doc.title else []
        if self.first and self.heading and self.heading != doc.title:
            out.append(self.heading)
        return tuple(out)


def _cuts(offsets: list[tuple[int, int]], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Token windows [a, b) of at most `budget` tokens, ending where a word starts (never inside a word,
    unless one word is longer than a window), each starting `overlap` tokens before the previous end."""
    n = len(offsets)
    word_start = [i == 0 or offsets[i][0] > offsets[i - 1][1] for i in range(n)]
    windows, a = [], 0
    while a < n:
        b = min(n, a + budget)
        if b < n:
            snap = next((j for j in range(b, a + budget // 2, -1) if word_start[j]), b)
            b = snap
        windows.append((a, b))
        if b >= n:
            break
        nxt = max(a + 1, b - overlap)
        a = next((j for j in range(nxt, b) if word_start[j]), nxt)
    return windows


def split_passages(docs: list[Document], tokenizer: Tokenizer, max_length: int, overlap: int) -> list[Passage]:
    """Every document's passages, in document order (so a document's rows are consecutive)."""
    tok = Tokenizer.from_str(tokenizer.to_str())  # a copy: truncation off, the caller's tokenizer untouched
    tok.no_truncation()
    tok.no_padding()
    parts = [list(doc.parts()) for doc in docs]
    encoded = _encoded(tok, _strings(docs, parts))
    out: list[Passage] = []
    for d, secs in enumerate(parts):
        title_tokens = len(next(encoded).ids)  # "" has none
        for section in secs:
            offsets, heading_tokens = next(encoded).offsets, len(next(encoded).ids)
            text_length = section.end - section.start
            # the title and heading go in front of every window: leave them room, but never less than half
            budget = max(max_length // 2, max_length - SPECIAL_TOKENS - title_tokens - heading_tokens)
            if not offsets:
                out.append(Passage(d, section.heading, section.anchor, section.start, section.end, True))
                continue
            for j, (a, b) in enumerate(_cuts(offsets, budget, overlap)):
                start = section.start + (0 if a == 0 else offsets[a][0])
                end = section.start + (text_length if b == len(offsets) else offsets[b - 1][1])
                out.append(Passage(d, section.heading, section.anchor, start, end, j == 0))
    return out


def _strings(docs: list[Document], parts: list) -> Iterator[str]:
    """What split_passages tokenizes, in its order: each document's title, then each section's text and heading."""
    for doc, secs in zip(docs, parts, strict=True):
        yield doc.title or ""
        for sec in secs:
            yield doc.text[sec.start : sec.end]
            yield sec.heading or ""


def _encoded(tok: Tokenizer, strings: Iterator[str]) -> Iterator:
    """Each string's encoding, in order, tokenized ENCODE_BATCH strings a call: one call per string cost SciFact
    ~4 s (the tokenizer's threads idle), one call for all held every encoding (offsets, tokens) of a site at once."""
    while batch := list(islice(strings, ENCODE_BATCH)):
        yield from tok.encode_batch(batch, add_special_tokens=False)


def row_documents(passages: list[Passage]) -> np.ndarray:
    """passages.bin's content: each code row's document index, u32 little-endian, non-decreasing."""
    return np.array([p.doc for p in passages], dtype="<u4")


def sections(passages: list[Passage]) -> list[tuple[int, int]]:
    """[(first row, rows)] of the sections the passages came from: a section's windows are consecutive.
    The keyword index scores a section as a whole (one .jsonl document is one section): measured on SciFact, BM25
    over each window alone lost 0.015 nDCG@10 against BM25 over the document (a window lacks its neighbours'
    words), while the model gained from windows (it reads 256 tokens, and now every one of them is read)."""
    spans: list[tuple[int, int]] = []
    for r, p in enumerate(passages):
        if p.first or not spans:
            spans.append((r, 0))
        spans[-1] = (spans[-1][0], spans[-1][1] + 1)
    return spans
