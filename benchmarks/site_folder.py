"""A real site folder, built: its section headings as queries, and every result link checked.

    build-site FOLDER                      # writes FOLDER/hamming/
    python benchmarks/site_folder.py FOLDER [--json OUT]

For each passage that starts an h1-h3 section, its heading is the query; a hit is the section's own page among
the first 3 results with the section among that page's sub-results (its best 1-3 passages), as the page shows
them. Counted per mode: hybrid (the page's default), lexical, semantic; over every section, and over the sections
whose heading no other section has (a heading on hundreds of pages, "Description", names none of them). Every
URL of every result and sub-result is resolved against the site folder: the file must exist, and a #fragment
must name an element's id (or an <a name>) in it.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from emit import emit
from selectolax.lexbor import LexborHTMLParser

from hamming_site.builder.output.names import documents
from hamming_site.builder.search.rank import SiteRanker

TOP = 3


def link_target(folder: Path, site: Path, root: str, url: str, anchor: str) -> str | None:
    """Why the link is broken, or None where its file and fragment exist."""
    base = (site.resolve().as_uri() + "/")
    target = urljoin(urljoin(base, root), url)
    path = Path(unquote(urlsplit(target).path))
    if path.is_dir():
        path = path / "index.html"
    if not path.is_file():
        return f"no file {path}"
    if anchor:
        ids = _ids(path)
        if anchor not in ids:
            return f"no id {anchor!r} in {path.relative_to(folder.resolve())}"
    return None


_IDS: dict[Path, set[str]] = {}


def _ids(path: Path) -> set[str]:
    if path not in _IDS:
        tree = LexborHTMLParser(path.read_bytes().decode("utf-8", "replace"))
        _IDS[path] = {n.attributes.get("id") for n in tree.css("[id]")} | {n.attributes.get("name")
                                                                           for n in tree.css("a[name]")}
    return _IDS[path]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("--site", type=Path, help="the built site (default FOLDER/hamming)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    site = args.site or args.folder / "hamming"
    manifest = json.loads((site / "manifest.json").read_text())
    report = json.loads((site / "report.json").read_text())
    docs = documents(site)
    ranker = SiteRanker(site)
    rows = ranker.row_doc if ranker.row_doc is not None else range(len(docs))
    first_row = {}
    for r, d in enumerate(rows):
        first_row.setdefault(int(d), r)
    # (query, doc, anchor) for each section start: the passage whose heading begins a section
    sections = []
    for d, doc in enumerate(docs):
        seen = set()
        for p in doc.get("passages", []):
            if p["heading"] and p["anchor"] and (p["anchor"] not in seen):
                seen.add(p["anchor"])
                sections.append((p["heading"], d, p["anchor"]))

    def anchors_of(result: dict) -> list[str]:
        """The anchor of each of a result's passages ("" where its document has no passages list)."""
        listed = docs[result["index"]].get("passages")
        return [listed[p["row"] - first_row[result["index"]]]["anchor"] if listed else "" for p in result["passages"]]

    hits = {m: 0 for m in ("hybrid", "lexical", "semantic")}
    first = {m: 0 for m in hits}
    # a heading many pages share ("Description", "Examples" on every reference page) cannot name its own page:
    # the figures are also given over the headings that occur once in the site
    said = Counter(heading.casefold() for heading, _, _ in sections)
    once = sum(count == 1 for count in said.values())  # the sections whose heading no other has
    distinct = {m: 0 for m in hits}
    broken, links, misses = [], 0, []
    for heading, d, anchor in sections:
        query = ranker.query(heading)
        for mode in hits:
            results = ranker.results(query, 10, mode)
            found = False
            for rank, r in enumerate(results[:TOP]):
                anchors = anchors_of(r)
                if r["index"] == d and anchor in anchors:
                    found = True
                    first[mode] += rank == 0 and anchors[0] == anchor
            hits[mode] += found
            distinct[mode] += found and said[heading.casefold()] == 1
            if mode == "hybrid":
                if not found:
                    misses.append(heading)
                for r in results:
                    for anchor_p in anchors_of(r):
                        links += 1
                        why = link_target(args.folder, site, manifest.get("root", ""), docs[r["index"]]["url"],
                                          anchor_p)
                        if why:
                            broken.append(why)
    n = len(sections)
    out = {
        "folder": str(args.folder),
        "documents": manifest["count"],
        "passages": manifest["passages"]["count"],
        "skipped": report.get("skipped", {}),
        "build_seconds": report["seconds"],
        "bytes": report["bytes"],
        "sections": n,
        f"section_in_top{TOP}": {m: round(v / n, 4) for m, v in hits.items()},
        "section_first": {m: round(v / n, 4) for m, v in first.items()},
        "distinct_headings": once,
        f"distinct_section_in_top{TOP}": {m: round(v / max(1, once), 4) for m, v in distinct.items()},
        "links_checked": links,
        "links_broken": len(broken),
        "broken_examples": sorted(set(broken))[:10],
        "hybrid_misses": misses[:30],
    }
    emit(out, args.json)


if __name__ == "__main__":
    main()
