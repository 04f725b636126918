"""Pages in, documents out: .txt/.jsonl corpora, folders of HTML or Markdown pages, and their passages."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

from hamming_site.builder.input.corpus import Document
from hamming_site.builder.lexical.languages import detect, known, normalize


def read_input(path: Path, base_url: str = "", pretty_urls: bool = False, progress=None, language: str = ""
               ) -> tuple[list[Document], dict[str, int]]:
    """The documents of a corpus file or a site folder, each with its language resolved (with_languages), and the
    pages skipped by reason (a file skips none)."""
    path = Path(path)
    if path.is_dir():
        from hamming_site.builder.input.folder import read_folder

        docs, skipped = read_folder(path, base_url=base_url, pretty_urls=pretty_urls, progress=progress)
    else:
        from hamming_site.builder.input.corpus import read_corpus

        docs, skipped = read_corpus(path), {}
    return with_languages(docs, language), skipped


def with_languages(docs: list[Document], language: str = "") -> list[Document]:
    """Each document with `lang` its language code: `language` for all where given, else the one it says, else the
    one its text is in (lexical/languages.py's detect), else (too short to tell) the site's commonest, else en."""
    if language:
        return [dataclasses.replace(d, lang=normalize(language)) for d in docs]
    said = [normalize(d.lang) if known(d.lang) else detect(d.title + "\n" + d.text) for d in docs]
    common = Counter(code for code in said if code).most_common(1)
    fallback = common[0][0] if common else "en"
    return [dataclasses.replace(d, lang=code or fallback) for d, code in zip(docs, said, strict=True)]


def language_counts(docs: list[Document]) -> dict[str, int]:
    """Pages per language, in code order (report.json's "languages")."""
    return dict(sorted(Counter(d.lang for d in docs).items()))


def languages_of(docs: list[Document]) -> tuple[str, ...]:
    """The site's languages, in code order: what a query is tokenized in."""
    return tuple(language_counts(docs)) or ("en",)


def site_language(docs: list[Document]) -> str:
    """The language the page speaks: its pages' commonest (ties: the first page's); all of them with --language."""
    return Counter(d.lang for d in docs).most_common(1)[0][0] if docs else "en"
