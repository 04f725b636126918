import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamming_site.builder import UserError
from hamming_site.builder.input.corpus import read_corpus


def write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_txt_ids_are_line_numbers_and_blank_lines_skipped(tmp_path):
    docs = read_corpus(write(tmp_path, "c.txt", b"first doc\n\n  \nsecond doc\n"))
    assert [(d.id, d.text) for d in docs] == [("1", "first doc"), ("4", "second doc")]


def test_jsonl_fields_and_model_text(tmp_path):
    rows = [{"_id": "a", "title": "T", "text": "body", "url": "https://x", "extra": 1}, {"text": "only"}]
    docs = read_corpus(write(tmp_path, "c.jsonl", "\n".join(map(json.dumps, rows)).encode()))
    assert docs[0].id == "a" and docs[0].model_text() == "T body" and docs[0].url == "https://x"
    assert docs[1].id == "2" and docs[1].model_text() == "only"


def test_bom_crlf_and_any_script(tmp_path):
    text = "\ufeff日本語の文書\r\nمرحبا بالعالم\r\nemoji 🎉 here\r\n"
    docs = read_corpus(write(tmp_path, "c.txt", text.encode()))
    assert [d.text for d in docs] == ["日本語の文書", "مرحبا بالعالم", "emoji 🎉 here"]


def test_huge_line_kept_whole(tmp_path):
    line = ("word " * 1_000_000).strip()
    docs = read_corpus(write(tmp_path, "c.txt", line.encode()))
    assert len(docs[0].text) == len(line)


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("e.txt", b"", "empty"),
        ("b.txt", b"\n  \n\n", "empty"),
        ("bin.txt", b"ok\nbad\x00bytes\n", "c/bin.txt:2: holds NUL"),
        ("u.txt", b"fine\nalso fine\nbad \xff here\n", "u.txt:3: invalid UTF-8 at byte 4"),
        ("j.jsonl", b'{"text": "a"}\n{"text": \n', "j.jsonl:2: not valid JSON"),
        ("m.jsonl", b'{"text": "a"}\n{"title": "no text"}\n', "m.jsonl:2: missing a \"text\""),
        ("d.jsonl", b'{"id": "x", "text": "a"}\n{"id": "y", "text": "b"}\n{"id": "x", "text": "c"}\n',
         "d.jsonl:3: id 'x' is already used on line 1"),
        ("a.jsonl", b'[1, 2]\n', "a.jsonl:1: expected a JSON object"),
    ],
)
def test_bad_input_names_the_line(tmp_path, name, data, message):
    (tmp_path / "c").mkdir()
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        read_corpus(write(tmp_path / "c", name, data))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        read_corpus(tmp_path / "nope.txt")
    with pytest.raises(UserError, match="is a directory"):
        read_corpus(tmp_path)


line_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1).filter(
    lambda s: s.strip() and "\x85" not in s
)


@settings(max_examples=60, deadline=None)
@given(st.lists(line_text, min_size=1, max_size=20))
def test_txt_round_trip(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("rt") / "c.txt"
    path.write_bytes("\n".join(lines).encode("utf-8"))
    docs = read_corpus(path)
    assert [d.text for d in docs] == [line.strip() for line in lines]
    assert [d.id for d in docs] == [str(i + 1) for i in range(len(lines))]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1).filter(str.strip), st.text().filter(str.strip)), min_size=1, max_size=15,
                unique_by=lambda t: t[0]))
def test_jsonl_round_trip(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("rt") / "c.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in rows), encoding="utf-8")
    docs = read_corpus(path)
    assert [d.id for d in docs] == [i for i, _ in rows]
    assert [d.text for d in docs] == [t.strip() for _, t in rows]
