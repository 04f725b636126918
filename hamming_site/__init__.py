"""hamming-site's Python API: build a search site from a corpus file, a folder of pages, or records made in code.

    import hamming_site
    hamming_site.build("docs/_build/html")                     # the site goes into docs/_build/html/hamming/
    hamming_site.build([{"id": "a", "title": "Alpha", "text": "...", "url": "a.html",
                         "filters": {"tag": ["intro"]}, "meta": {"image": "a.png"}}], out="site")

Options are build-site's, with underscores (`bits=256`, `model_from="site"`, `teacher_processes=2`); mistakes
raise hamming_site.UserError with the one sentence the CLI prints. The Sphinx extension (hamming_site.sphinx)
and the MkDocs plugin (hamming_site.mkdocs) call build(). The implementation lives in the `builder` package.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from hamming_site.builder import UserError, __version__

__all__ = ["IGNORE_META", "RECORD_FIELDS", "UserError", "__version__", "build", "summary"]

# a record's fields: a .jsonl corpus line's (docs/input.md); filters {key: [values]}, meta {key: value} and sort
# {key: value} as Pagefind's custom records have them (hamming_site/builder/input/attributes.py)
RECORD_FIELDS = ("id", "title", "text", "url", "filters", "meta", "sort", "lang")
RECORDS_NAME = "records.jsonl"  # records are built as a corpus of this name: a rebuild into the same `out` reuses
# in a page's <head>: the folder reader leaves the page out (hamming_site/builder/input/html.py); the Sphinx extension
# and the MkDocs plugin mark the pages that only repeat others' words
IGNORE_META = '<meta name="hamming-search" content="ignore">'


def build(source: str | os.PathLike | Iterable[Mapping], out: str | os.PathLike | None = None, *,
          progress: Callable[[str, int, int], None] | None = None, **options):
    """Build a site and return hamming_site.builder.build.BuildResult (`out`, `manifest`, `report`).

    source: a corpus file (.txt, .jsonl), a folder of .html/.md pages, or records ({"id", "title", "text",
    "url", "filters", "meta", "sort"}; text required). out: the site folder (default: FOLDER/hamming/ for a
    folder, else site/). progress(stage, done, total) is called as the stages go."""
    from hamming_site.builder.build import build_site
    from hamming_site.builder.options import config_from

    if isinstance(source, (str, os.PathLike)):
        return build_site(config_from(Path(source), out, options), progress)
    with tempfile.TemporaryDirectory(prefix="hamming-records-") as work:
        corpus = Path(work) / RECORDS_NAME
        _write_records(source, corpus)
        return build_site(config_from(corpus, Path(out) if out is not None else Path("site"), options), progress)


def summary(result) -> str:
    """One line on a finished build, as the Sphinx extension and the MkDocs plugin log it."""
    report = result.report
    return (f"{report['documents']} pages searchable in {result.out} ({report['seconds']['total']:.1f} s, "
            f"{report['encoded']['documents']} encoded, {report['encoded']['reused']} reused)")


def _write_records(records: Iterable[Mapping], path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for n, record in enumerate(records, 1):
            if not isinstance(record, Mapping):
                raise UserError(f"record {n} is a {type(record).__name__}, not a mapping of "
                                f"{', '.join(RECORD_FIELDS)}.")
            extra = sorted(set(record) - set(RECORD_FIELDS))
            if extra:
                raise UserError(f"record {n} has {', '.join(map(repr, extra))}: a record's fields are "
                                f"{', '.join(RECORD_FIELDS)}.")
            f.write(json.dumps({k: record[k] for k in RECORD_FIELDS if k in record}, ensure_ascii=False) + "\n")
