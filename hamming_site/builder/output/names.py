"""Content-addressed names: every file the page fetches after manifest.json carries a hash of its content in its
name, so that files of two builds are never combined (a host or CDN that caches serves either build's files whole,
never one's index with the other's chunks), and a file that a rebuild leaves unchanged keeps its name, so a
returning visitor's cache still holds it.

    single files      codes.bin -> codes.3f2a9c1d.bin: the first 8 hex digits of the file's sha256 (model,
                      tokenizer, codes, passages, clusters, the runtime's files)
    numbered folders  lexical/ -> lexical.3f2a9c1d/ (keyword chunks, the static encoder's rows, the clusters'
                      codes): the hash of its files' names and contents. A rebuild rewrites such a folder's files
                      together (corpus-wide statistics: BM25's, the refitted encoders', the clustering), so one
                      name for all costs a returning visitor nothing, and the manifest names one folder, not
                      thousands of files
    document shards   docs/0003.json -> docs/0003.3f2a9c1d.json, each its own: a rebuild changes only the shards
                      of the documents changed; manifest.json's docs.hashes is their 8-digit hashes, concatenated
    page modules      rank.js -> rank.3f2a9c1d.js, the imports that name it rewritten first (leaves first),
                      so that a page never runs one build's engine with another's modules

Fixed names: manifest.json (fetched revalidated, the one file that says which build is current), index.html and
the entry scripts a page or host links (boot.js, search.js, widget.js, widget.css, sw.js), and what the page never
fetches (report.json, LICENSES*.txt, rebuild/).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

# fixed names: what a host page links or imports (api.js: the public search API), and what the page loads first
FIXED = {"manifest.json", "index.html", "boot.js", "search.js", "api.js", "widget.js", "widget.css", "sw.js",
         "report.json"}
DIGITS = 8


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGITS]


def hashed_name(name: str, data: bytes) -> str:
    """codes.bin -> codes.3f2a9c1d.bin; ort.wasm.min.mjs -> ort.wasm.min.3f2a9c1d.mjs."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest(data)}.{ext}" if dot else f"{name}.{digest(data)}"


def _rename(site: Path, name: str) -> str:
    path = site / name
    new = hashed_name(path.name, path.read_bytes())
    path.rename(path.with_name(new))
    return str(Path(name).with_name(new).as_posix())


def _rename_folder(site: Path, folder: str) -> str:
    """folder -> folder.<hash of its files' names and contents>."""
    h = hashlib.sha256()
    for path in sorted((site / folder).iterdir()):
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    new = f"{folder}.{h.hexdigest()[:DIGITS]}"
    (site / folder).rename(site / new)
    return new


def _rename_shards(site: Path, folder: str) -> str:
    """docs/NNNN.json -> docs/NNNN.<hash>.json, and its documents' text parts docs/NNNN-AT-K.json ->
    docs/NNNN.<hash>-AT-K.json (the shard holds each part's hash, so its own changes with theirs); returns the
    shards' hashes, concatenated in shard order."""
    hashes = []
    shards = sorted(p for p in (site / folder).glob("*.json") if p.stem.isdigit())
    for path in shards:
        h = digest(path.read_bytes())
        path.rename(path.with_name(f"{path.stem}.{h}.json"))
        for part in (site / folder).glob(f"{path.stem}-*.json"):
            part.rename(part.with_name(f"{path.stem}.{h}-{part.name[len(path.stem) + 1 :]}"))
        hashes.append(h)
    return "".join(hashes)


def _rewrite(text: str, names: dict[str, str]) -> str:
    """The `"./name"` string literals of a module (its imports, the worker's URL) naming the renamed modules."""
    return re.sub(r'"\./([^"]+)"', lambda g: f'"./{names.get(g.group(1), g.group(1))}"', text)


def _modules(site: Path, modules: list[str]) -> dict[str, str]:
    """Each page module renamed, leaves first, the references to the ones already renamed rewritten in it
    (`"./name"` string literals: imports, the worker's URL). Returns old -> new."""
    refs = {m: set() for m in modules}
    texts = {m: (site / m).read_text(encoding="utf-8") for m in modules}
    for m, text in texts.items():
        refs[m] = {o for o in modules if o != m and f'"./{o}"' in text}
    names: dict[str, str] = {}
    while len(names) < len(modules):
        ready = [m for m in modules if m not in names and refs[m] <= set(names)]
        if not ready:
            raise ValueError(f"page modules refer to each other in a cycle: {sorted(set(modules) - set(names))}")
        for m in ready:
            (site / m).write_text(_rewrite(texts[m], names), encoding="utf-8")
            names[m] = _rename(site, m)
    return names


def content_names(site: Path, manifest: dict, modules: list[str], runtime: dict[str, str]) -> tuple[dict, dict]:
    """Renames the site's fetched files in place (see the module's docstring) and returns (the manifest naming
    them, old -> new for the page's own files: what index.html links). modules: the page's JavaScript (ours and
    the runtime's), runtime: {"wasm": ..., "mjs": ...} the files onnxruntime-web loads by itself (or {})."""
    m = {**manifest}
    for key in ("model", "codes", "passages", "tokenizer"):
        if m.get(key):
            m[key] = {**m[key], "file": _rename(site, m[key]["file"])}
    if m.get("clusters"):
        c = m["clusters"]
        m["clusters"] = {**c, "folder": _rename_folder(site, c["folder"]),
                         "centroids": {**c["centroids"], "file": _rename(site, c["centroids"]["file"])}}
    for key in ("lexical", "static", "filters"):
        if m.get(key):
            m[key] = {**m[key], "folder": _rename_folder(site, m[key]["folder"])}
    m["docs"] = {**m["docs"], "hashes": _rename_shards(site, m["docs"]["folder"])}
    names = _modules(site, [n for n in modules if n not in FIXED])
    m["runtime"] = {k: _rename(site, v) for k, v in runtime.items()} or None
    for entry in FIXED & set(modules):  # entry scripts keep their names; the imports in them are rewritten
        path = site / entry
        path.write_text(_rewrite(path.read_text(encoding="utf-8"), names), encoding="utf-8")
    # what the page itself loads, for the service worker and the offline copy: index.html and its scripts
    # (the worker only where there is a transformer for it to run)
    m["page"] = ["index.html", *sorted(n for n in FIXED & set(modules)),
                 *sorted(names[n] for n in names if m.get("model") or n != "worker.js")]
    # which build this is: manifests of two builds differ here, whatever else they share
    m["build"] = hashlib.sha256(json.dumps(m, sort_keys=True).encode()).hexdigest()[:16]
    return m, names


def shard_name(m: dict, n: int) -> str:
    """docs/NNNN.<hash>.json (a site built before content names: docs/NNNN.json); the page's shardName."""
    h = m["docs"].get("hashes")
    return f"{m['docs']['folder']}/{n:04d}{'.' + h[8 * n : 8 * n + 8] if h else ''}.json"


def part_name(m: dict, n: int, at: int, k: int) -> str:
    """Text part k of the document at place `at` of shard n: docs/NNNN.<the shard's hash>-AT-K.json; the page's
    partName."""
    return f"{shard_name(m, n)[: -len('.json')]}-{at}-{k}.json"


def documents(site: Path) -> list[dict]:
    """Every document's row, in order, as its shard holds it (for tests, benchmarks and tools)."""
    m = json.loads((Path(site) / "manifest.json").read_text(encoding="utf-8"))
    return [row for n in range(m["docs"]["shards"])
            for row in json.loads((Path(site) / shard_name(m, n)).read_text(encoding="utf-8"))]


def passage_text(site: Path, m: dict, index: int, row: dict, p: dict) -> str:
    """The text of passage p ({start, end, part?}) of document `index` (its shard's `row`, of build m), from the
    row's text or, for a long document, from its text part: what the page shows of it (documents.js's
    passageText)."""
    if "text" in row:
        text, offset = row["text"], 0
    else:
        n, at = shard_of(m, index)
        part = json.loads((Path(site) / part_name(m, n, at, p["part"])).read_text(encoding="utf-8"))
        text, offset = part["text"], part["start"]
    return utf16_slice(utf16(text), p["start"] - offset, p["end"] - offset)


def utf16(text: str) -> bytes:
    """text as the page indexes it: passage offsets are UTF-16 code units, as JavaScript slices."""
    return text.encode("utf-16-le", "surrogatepass")


def utf16_slice(units: bytes, start: int, end: int) -> str:
    """The text of UTF-16 units start..end of utf16(text)."""
    return units[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")


def shard_of(m: dict, index: int) -> tuple[int, int]:
    """(shard, place in it) of document `index`: by docs.sizes where the shards differ, else per_shard (the
    page's documentOf)."""
    sizes = m["docs"].get("sizes")
    if not sizes:
        return divmod(index, m["docs"]["per_shard"])
    for n, size in enumerate(map(int, sizes)):
        if index < size:
            return n, index
        index -= size
    raise IndexError("document index past the last shard")


def offline_files(m: dict) -> list[str]:
    """Every file a visitor keeps for the site to work offline, in the order the page fetches them in the
    background (the twin of the page's offlineFiles in offline.js): the page, the keyword index, the documents,
    the static encoder's rows (only where it is the site's whole meaning: a visitor who keeps the model goes
    straight to it), the codes, then the transformer's files."""
    number = lambda n: f"{n:04d}"  # noqa: E731
    files = ["manifest.json", *m["page"]]
    if m.get("passages") and m["passages"]["count"] != m["count"]:
        files.append(m["passages"]["file"])
    files += [f"{m['lexical']['folder']}/{number(n)}.bin" for n in range(len(m["lexical"]["chunks"]))]
    parts = m["docs"].get("parts") or {}
    for n in range(m["docs"]["shards"]):  # each shard, then its documents' text parts
        files.append(shard_name(m, n))
        files += [part_name(m, n, at, k) for at, count in enumerate(parts.get(str(n), ())) for k in range(count)]
    if m.get("filters"):
        f = m["filters"]
        files += [f"{f['folder']}/{number(n)}.json" for n in range(len(f["keys"]) + len(f["sort"]))]
    if m.get("static") and not m.get("model"):  # a visitor who keeps the model goes straight to it
        files += [f"{m['static']['folder']}/{number(n)}.bin" for n in range(m["static"]["buckets"])]
    c = m.get("clusters")
    if c:
        files += [c["centroids"]["file"], *(f"{c['folder']}/{number(n)}.bin" for n in range(c["count"]))]
    if not c or (m.get("model") and c.get("transformer") == "whole"):
        files.append(m["codes"]["file"])
    if m.get("model"):
        files += [m["model"]["file"], m["tokenizer"]["file"], *(m.get("runtime") or {}).values()]
    return files


# the manifest's entry for each single file (a site built before content names holds them under these names)
ENTRIES = {"model.onnx": "model", "tokenizer.json": "tokenizer", "codes.bin": "codes", "passages.bin": "passages"}


def site_file(manifest: dict, name: str) -> str:
    """Where a site keeps one of ENTRIES's files: its content name, or `name` itself on an older site."""
    entry = manifest.get(ENTRIES[name]) or {}
    return entry.get("file", name)


def site_path(site: Path, name: str) -> Path:
    """Where a site keeps the file it called `name` before content names (codes.bin, clusters.bin, model.onnx,
    docs/0003.json, lexical/0012.bin, meaning/0001.bin, codes/0002.bin, rank.js): for tests, benchmarks and
    tools that look inside a site."""
    site = Path(site)
    m = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    if name in ENTRIES:
        return site / site_file(m, name)
    if name == "clusters.bin":
        return site / m["clusters"]["centroids"]["file"]
    folder, _, rest = name.partition("/")
    if rest:
        if folder == "docs":
            return site / shard_name(m, int(rest.split(".")[0]))
        return site / _folder(m, folder) / rest
    stem, _, ext = name.rpartition(".")
    found = [p for p in m.get("page", []) if re.fullmatch(rf"{re.escape(stem)}\.[0-9a-f]{{{DIGITS}}}\.{ext}", p)]
    found += [f for f in (m.get("runtime") or {}).values() if f.startswith(stem + ".")]
    return site / (found[0] if found else name)


def _folder(m: dict, name: str) -> str:
    """The content name of the folder a site called `name` (lexical, meaning, codes, filters; docs keeps its
    name)."""
    entry = m.get({"lexical": "lexical", "meaning": "static", "codes": "clusters", "filters": "filters"}.get(name, ""))
    return entry["folder"] if entry else name


def site_folder(site: Path, name: str) -> Path:
    """Where a site keeps the folder it called `name` (lexical, meaning, codes; docs keeps its name)."""
    return Path(site) / _folder(json.loads((Path(site) / "manifest.json").read_text(encoding="utf-8")), name)
