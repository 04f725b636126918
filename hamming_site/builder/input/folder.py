"""A folder of HTML and Markdown pages (a built static site, or a docs source tree) into documents."""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from hamming_site.builder import MARKER, TMP_PREFIX, UserError
from hamming_site.builder.input.corpus import Document
from hamming_site.builder.input.html import Ignored, decode_page, page_from_html
from hamming_site.builder.input.markdown import page_from_markdown

READERS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
MAX_BYTES = 20 * 2**20
FOLDER_PAGES = ("index", "readme", "_index")  # Markdown pages served as their folder's URL

Progress = Callable[[str, int, int], None]


def _find_pages(folder: Path, skipped: Counter) -> list[str]:
    """Relative paths ("/"-separated) of the files that look like pages, sorted."""

    def unlistable(error: OSError) -> None:
        if Path(error.filename) == folder:
            raise UserError(f"{folder}: cannot list the folder ({error.strerror}).")
        skipped["unreadable folder"] += 1

    pages = []
    for dirpath, dirnames, filenames in os.walk(folder, onerror=unlistable, followlinks=False):
        keep = []
        for name in sorted(dirnames):
            path = os.path.join(dirpath, name)
            # never our own output (its marker) nor a killed build's half-written folder
            if name.startswith((".", TMP_PREFIX)) or os.path.exists(os.path.join(path, MARKER)):
                continue
            if os.path.islink(path):  # a link can loop back up, or lead out of the site
                skipped["symlinked folder"] += 1
                continue
            keep.append(name)
        dirnames[:] = keep
        rel_dir = Path(dirpath).relative_to(folder).as_posix()
        # Sphinx's _static and _sources, Jekyll's _includes and _layouts: a Markdown file there is an asset's README
        # or a partial that no page serves (SciPy's _static/scipy-mathjax/README.md linked to no page)
        underscored = any(part.startswith("_") for part in PurePosixPath(rel_dir).parts)
        for name in filenames:
            kind = READERS.get(Path(name).suffix.lower())
            if name.startswith(".") or kind is None:
                continue
            if kind == "markdown" and underscored:
                skipped["Markdown in a _folder (not a page)"] += 1
                continue
            pages.append(name if rel_dir == "." else f"{rel_dir}/{name}")
    return sorted(pages)


def _url(rel: str, kind: str, base_url: str, pretty_urls: bool) -> str:
    path = PurePosixPath(rel)
    folder = "" if str(path.parent) == "." else f"{path.parent}/"
    if kind == "markdown":
        if path.stem.lower() in FOLDER_PAGES:
            rel = folder
        else:
            rel = f"{folder}{path.stem}/" if pretty_urls else f"{folder}{path.stem}.html"
    elif pretty_urls and path.name.lower() == "index.html":  # MkDocs' links: folder/, never folder/index.html
        rel = folder
    if not rel and not base_url:
        rel = "./"  # the site's top page; "" would be no link at all
    return base_url + quote(rel, safe="/")


def _read(path: Path) -> tuple[bytes | None, str]:
    """The file's bytes, or (None, why not): never reads past MAX_BYTES, never opens what is not a file."""
    try:
        info = path.stat()
    except OSError:
        return None, "broken link" if path.is_symlink() else "unreadable"
    if not stat.S_ISREG(info.st_mode):  # a FIFO named page.html would block the build
        return None, "not a regular file"
    if info.st_size > MAX_BYTES:
        return None, "larger than 20 MB"
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError:
        return None, "unreadable"
    return (None, "larger than 20 MB") if len(raw) > MAX_BYTES else (raw, "")


def _page(folder: Path, rel: str, base_url: str, pretty_urls: bool) -> tuple[Document | None, str]:
    kind = READERS[PurePosixPath(rel).suffix.lower()]
    raw, reason = _read(folder / rel)
    if raw is None:
        return None, reason
    text, reason = decode_page(raw, sniff_meta=kind == "html")
    if text is None:
        return None, reason
    url = _url(rel, kind, base_url, pretty_urls)
    try:
        doc = page_from_html(text, url, rel) if kind == "html" else page_from_markdown(text, url, rel)
    except Ignored:
        return None, "marked to be ignored"
    except UserError as e:  # its message starts with `rel`: make that the path the user can open
        raise UserError(f"{folder}/{e}") from None
    return (doc, "") if doc is not None else (None, "no text")


def describe_skips(skipped: dict[str, int]) -> str:
    """"2 binary, 1 not UTF-8": the pages skipped, commonest reason first (the error and the build summary)."""
    return ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])))


def read_folder(
    folder: Path, base_url: str = "", pretty_urls: bool = False, progress: Progress | None = None
) -> tuple[list[Document], dict[str, int]]:
    """Every .html/.htm/.md/.markdown page under `folder`, sorted by relative path, and {reason: count} of
    the pages skipped. Document ids are relative paths; urls are base_url + where the page is served.

    Not read: dot-files and dot-folders, folders holding this tool's output (a .hamming-site file), linked
    folders. Raises UserError if the folder is missing, holds no pages, or none of its pages has text.
    """
    folder = Path(folder)
    if not folder.exists():
        raise UserError(f"{folder}: no such folder.")
    if not folder.is_dir():
        raise UserError(f"{folder} is a file: give the folder that holds the site's pages.")
    if base_url and not base_url.endswith("/"):
        base_url += "/"  # a page's path is relative to the folder the base URL names
    skipped_folders: Counter = Counter()
    pages = _find_pages(folder, skipped_folders)
    if not pages:
        raise UserError(f"{folder} holds no .html or .md pages to index.")
    docs = []
    skipped: Counter = Counter()
    for done, rel in enumerate(pages, start=1):
        doc, reason = _page(folder, rel, base_url, pretty_urls)
        if doc is None:
            skipped[reason] += 1
        else:
            docs.append(doc)
        if progress is not None:
            progress("read pages", done, len(pages))
    if not docs:
        raise UserError(f"{folder}: none of its {len(pages)} pages had text to index ({describe_skips(skipped)}).")
    return docs, dict(skipped + skipped_folders)
