"""Pages in, documents out: .txt/.jsonl corpora, folders of HTML or Markdown pages, and their passages."""

from __future__ import annotations

from pathlib import Path

from hamming_site.builder.input.corpus import Document


def read_input(path: Path, base_url: str = "", pretty_urls: bool = False, progress=None
               ) -> tuple[list[Document], dict[str, int]]:
    """The documents of a corpus file or a site folder, and the pages skipped by reason (a file skips none)."""
    path = Path(path)
    if path.is_dir():
        from hamming_site.builder.input.folder import read_folder

        return read_folder(path, base_url=base_url, pretty_urls=pretty_urls, progress=progress)
    from hamming_site.builder.input.corpus import read_corpus

    return read_corpus(path), {}
