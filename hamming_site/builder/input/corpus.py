"""Read a corpus (.txt or .jsonl, optionally gzipped) into documents, with errors that name the line."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from hamming_site.builder import UserError
from hamming_site.builder.input.attributes import record_attributes
from hamming_site.builder.lexical.languages import known


@dataclass(frozen=True)
class Section:
    """A part of a document under one heading: text[start:end] of its document, and where it links to."""

    heading: str  # the heading's text ("" before a page's first heading, or for a .jsonl document)
    anchor: str  # the fragment that links to it (without "#"); "" = the document itself
    start: int  # character offsets into Document.text
    end: int


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    url: str
    sections: tuple[Section, ...] = ()  # in text order; () = one section, the whole text
    # (key, value) pairs, hamming_site/builder/input/attributes.py: a filter key may repeat, meta and sort keys do not
    filters: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()  # "title" among them where the page was read with attributes
    sort: tuple[tuple[str, str], ...] = ()
    # (start, end, weight): text[start:end] is an element marked data-hamming-weight (0-10; 1 = as any text),
    # its words counted weight times by the keyword index
    weights: tuple[tuple[int, int, float], ...] = ()
    # the language the page says it is in (<html lang>, front matter, a record's "lang"; "" = it does not say);
    # the build resolves every page's (lexical/languages.py) and tokenizes its words in it
    lang: str = ""

    def parts(self) -> tuple[Section, ...]:
        return self.sections or (Section("", "", 0, len(self.text)),)

    def model_text(self) -> str:
        """What the models see: title + " " + text, as BEIR and MTEB do."""
        return f"{self.title} {self.text}".strip() if self.title else self.text


def _lines(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise UserError(f"{path}: not a readable gzip file ({e}).") from None
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise UserError(f"{path}:{line}: holds NUL bytes; this looks like a binary file, not a text corpus.")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.split(b"\n")


def _decode(path: Path, number: int, line: bytes) -> str:
    try:
        return line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError as e:
        raise UserError(
            f"{path}:{number}: invalid UTF-8 at byte {e.start} of the line; save the file as UTF-8."
        ) from None


def _from_json(path: Path, number: int, line: str) -> Document:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise UserError(f"{path}:{number}: not valid JSON ({e.msg}, column {e.colno}).") from None
    if not isinstance(obj, dict):
        raise UserError(f"{path}:{number}: expected a JSON object with a \"text\" field.")
    text = obj.get("text")
    if not isinstance(text, str):
        raise UserError(f"{path}:{number}: missing a \"text\" string.")
    doc_id = obj.get("id", obj.get("_id", str(number)))
    if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
        raise UserError(f"{path}:{number}: \"id\" must be a string or an integer.")
    fields = {}
    for key in ("title", "url"):
        value = obj.get(key) or ""
        if not isinstance(value, str):
            raise UserError(f"{path}:{number}: \"{key}\" must be a string.")
        fields[key] = value.strip()
    filters, meta, sort = record_attributes(obj, fields["title"], f"{path}:{number}")
    lang = obj.get("lang") or ""
    if not isinstance(lang, str) or (lang and not known(lang)):
        raise UserError(f"{path}:{number}: \"lang\" {lang!r} is not a language code (ISO 639-1, such as de, fr, ja).")
    return Document(str(doc_id), fields["title"], text.strip(), fields["url"], (), filters, meta, sort, lang=lang)


def read_corpus(path: Path) -> list[Document]:
    """Documents in file order. Raises UserError naming the file and line for any bad input."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path} is a directory: give a .txt or .jsonl file.")
    if not path.exists():
        raise UserError(f"{path}: no such file.")
    is_json = ".jsonl" in path.suffixes or ".json" in path.suffixes
    docs: list[Document] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(_lines(path), start=1):
        line = _decode(path, number, raw)
        if not line.strip():
            continue
        doc = _from_json(path, number, line) if is_json else Document(str(number), "", line.strip(), "")
        if doc.id in seen:
            raise UserError(f"{path}:{number}: id {doc.id!r} is already used on line {seen[doc.id]}.")
        seen[doc.id] = number
        docs.append(doc)
    if not docs:
        raise UserError(f"{path}: the corpus is empty (no non-blank lines).")
    return docs
