"""Passages: long sections split into windows of at most max_length tokens that cover the text, never cut inside a
word, overlap a little and keep their heading and anchor; results grouped by document in Python and the page
(lexical.js's byDocument) identically."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_lexical import js, porter2  # noqa: F401  (the node driver and its stemmer: fixtures)
from tokenizers import Tokenizer

from hamming_site.builder.input.corpus import Document, Section
from hamming_site.builder.input.passages import row_documents, split_passages
from hamming_site.builder.search.rank import by_document


@pytest.fixture(scope="module")
def tok(tiny_model) -> Tokenizer:
    return Tokenizer.from_file(str(tiny_model / "tokenizer.json"))


def _page(sections: list[tuple[str, str, str]], title: str = "A page") -> Document:
    text, spans = "", []
    for heading, anchor, body in sections:
        start = len(text)
        text += (f"{heading}\n{body}" if heading else body) + "\n"
        spans.append(Section(heading, anchor, start, len(text) - 1))
    return Document("p", title, text.rstrip("\n"), "page.html", tuple(spans))


WORDS = "the cat sat by the river and read a book about music python code to sort a list of numbers".split()


def test_long_sections_split_into_covering_windows(tok):
    rng = random.Random(0)
    body = " ".join(rng.choice(WORDS) for _ in range(900))
    doc = _page([("", "", "An intro."), ("Long part", "long", body), ("Short", "short", "the end of it")])
    passages = split_passages([doc], tok, max_length=64, overlap=8)
    long = [p for p in passages if p.anchor == "long"]
    assert len(long) > 10 and [p.first for p in long] == [True] + [False] * (len(long) - 1)
    section = doc.sections[1]
    assert long[0].start == section.start and long[-1].end == section.end
    for a, b in zip(long, long[1:], strict=False):
        assert b.start < a.end, "windows overlap"
        assert doc.text[b.start - 1] in " \n" and doc.text[a.end] in " \n", "cut between words"
    for p in passages:
        text = p.model_text(doc)
        assert len(tok.encode(text).ids) <= 64 + 2, "title + heading + window fit the model (with special tokens)"
        assert text.startswith("A page")
    assert [p.anchor for p in passages if p.first] == ["", "long", "short"]
    assert "Long part" in long[3].model_text(doc), "a later window still names its section"
    assert long[3].names(doc, False) == () and long[0].names(doc, False) == ("Long part",)
    assert passages[0].names(doc, True) == ("A page",)


def test_a_short_document_is_one_passage(tok):
    docs = [Document("a", "", "one short text", ""), Document("b", "T", "another", "u")]
    passages = split_passages(docs, tok, 64, 8)
    assert [(p.doc, p.start, p.end, p.heading, p.anchor) for p in passages] == [(0, 0, 14, "", ""), (1, 0, 7, "", "")]
    assert row_documents(passages).tolist() == [0, 1]
    assert passages[1].model_text(docs[1]) == "T another"


def test_a_word_longer_than_a_window_is_cut(tok):
    doc = Document("x", "", "a " + "abcd" * 22 + " b", "")  # under WordPiece's 100 characters: many pieces
    passages = split_passages([doc], tok, 16, 2)
    assert len(passages) > 1 and passages[0].start == 0 and passages[-1].end == len(doc.text)


def grouping_cases(n: int = 200):
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(n):
        docs = int(rng.integers(1, 30))
        per = rng.integers(1, 5, size=docs)
        row_doc = np.repeat(np.arange(docs), per)
        order = rng.permutation(len(row_doc))[: int(rng.integers(0, len(row_doc) + 1))]
        rows = [(int(r), float(len(order) - j), int(rng.integers(0, 64)) if rng.random() < .5 else None)
                for j, r in enumerate(order)]
        identity = rng.random() < .2
        cases.append({"rows": rows, "row_doc": None if identity else row_doc,
                      "k": int(rng.integers(1, 12)), "per": int(rng.integers(1, 4))})
    return cases


def test_grouping_matches_js(js):  # noqa: F811
    cases = grouping_cases()
    py = [by_document(c["rows"], c["row_doc"], c["k"], c["per"]) for c in cases]
    out = js("byDocument", cases=[{"rows": [{"index": r, "score": s, "distance": d} for r, s, d in c["rows"]],
                                    "rowDoc": None if c["row_doc"] is None else c["row_doc"].tolist(),
                                    "k": c["k"], "perDoc": c["per"]} for c in cases])
    assert py == out
    for r, c in zip(py, cases, strict=True):
        assert len({x["index"] for x in r}) == len(r) <= c["k"]
        assert all(1 <= len(x["passages"]) <= c["per"] for x in r)
        assert [x["score"] for x in r] == sorted((x["score"] for x in r), reverse=True), "by best passage"
    assert sum(len(r) for r in py) > 500


def test_a_section_is_scored_whole_and_written_to_each_of_its_passages(tmp_path, tok):
    from hamming_site.builder.input.passages import sections
    from hamming_site.builder.lexical.index import Bm25, IndexReader, impacts, write_index

    rng = random.Random(1)
    body = " ".join(rng.choice(WORDS) for _ in range(400)) + " zebra"
    doc = _page([("Intro", "intro", "an opening line"), ("Long part", "long", body)])
    passages = split_passages([doc], tok, max_length=64, overlap=8)
    spans = sections(passages)
    assert [n for _, n in spans][0] == 1 and spans[1][1] > 3 and sum(n for _, n in spans) == len(passages)
    units = [(p.keyword_title(doc), doc.text[p.start : passages[r + n - 1].end], p.names(doc, r == 0))
             for r, n in spans for p in [passages[r]]]
    meta = write_index(tmp_path / "lexical", units, Bm25(), [n for _, n in spans])
    assert meta["rows"] == len(passages)
    reader = IndexReader(tmp_path, {"lexical": meta})
    rows, weights = reader.postings("zebra")  # in the last window only, scored for the whole section
    first, n = spans[1]
    assert rows == list(range(first, first + n)) and len(set(weights)) == 1
    assert weights[0] == impacts(units, Bm25())["zebra"][1][0]
    from hamming_site.builder.lexical.tokenize import title_keys
    assert reader.postings(title_keys("Long part")[0])[0] == [first], "a heading's key: its section's first row"
    assert reader.postings(title_keys("A page")[0])[0] == [0], "the title's key: the page's first row"
