"""Reuse: rebuild an edited corpus with a previous site's model and binarizer, encoding only what changed.

`build-site CORPUS --model-from SITE` (explicit), or `build-site` into an OUT that already holds a site
(implicit), keeps SITE's model.onnx, tokenizer.json and binarizer, and encodes with the teacher only the
documents that are new or changed: an unchanged document keeps its code rows byte for byte, copied from
SITE's codes.bin. The lexical index, passages.bin, the document shards and the page are rebuilt as usual.

Every build writes what this needs into SITE/rebuild/, a folder the page never fetches (and that the folder
reader never indexes: it lies inside the site, under the .hamming-site marker). All little-endian, no paths:

- `binarizer.f32`: the binarizer (hamming_site/builder/model/binarize.py) as raw float32: its mean [dim], then its
  matrix [dim, bits], row-major. A code row is `pack((teacher_embedding - mean) @ matrix)`
  (hamming_site/builder/output/codes.py).
- `binarizer.json`: `{"format_version": 1, "dim", "bits", "dtype": "float32-le", "layout", "sha256"` (of
  binarizer.f32)`, "teacher": {"name", "sha256"}` (as in manifest.json)`, "model": {"model.onnx": sha256,
  "tokenizer.json": sha256}}`: the query model files made for this binarizer, which a reuse copies (`{}` on a
  site built with --meaning lite, which has none), and `"probe_queries": {"file": "probes.f16", "rows",
  "dtype": "float16-le", "sha256"}` where the build had query-like views (older sites lack it).
- `probes.f16`: the query-like vectors the build chose its clusters' probes on
  (hamming_site/builder/output/clusters.py), as raw float16 [rows, bits]: the binarizer's values of up to 2,048 of its
  views' teacher embeddings. A reuse has no views of its own, and its documents' own codes are far easier queries than
  a visitor's (PostgreSQL's manual: 9 of 45 clusters where views need 19), so it chooses its probes on these.
- `documents.json`: `{"format_version": 1, "corpus"` (the input file's or folder's name, no path)`, "hash"`
  (how `sha256` is computed, in words)`, "columns": ["id", "sha256", "first_row", "rows"], "documents":
  [[id, sha256, first_row, rows], ...]}`, one entry per document in codes.bin order: its code rows are
  `first_row .. first_row + rows - 1`. `sha256` is the hash of what the teacher encodes for the document: for
  each of its passages in order (hamming_site/builder/input/passages.py), the UTF-8 byte length of the passage's model
  text as u64, then those bytes. The same hash, teacher and binarizer make the same code rows, so a document
  whose hash SITE holds gets SITE's rows (whatever its id: a code row depends on the text only).

Which options a reuse must share with SITE, and which site a build reuses: hamming_site/builder/reuse/policy.py.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hamming_site.builder import FORMAT_VERSION, UserError
from hamming_site.builder.input.corpus import Document
from hamming_site.builder.input.passages import Passage
from hamming_site.builder.model.binarize import Binarizer
from hamming_site.builder.output.codes import from_bytes, read_codes
from hamming_site.builder.output.names import site_file
from hamming_site.builder.output.static import FOLDER as STATIC_FOLDER

FOLDER = "rebuild"
REBUILD_FORMAT = 1
HASH = "sha256 over the document's passages in order: each model text's UTF-8 byte length as u64 LE, then its bytes"
COLUMNS = ["id", "sha256", "first_row", "rows"]
MODEL_FILES = ("model.onnx", "tokenizer.json")  # copied from the site reused, as they are
PROBES = "probes.f16"

def document_hashes(passages: list[Passage], texts: list[str], count: int) -> list[str]:
    """Each document's sha256 of its passages' model texts (texts[r] is passage r's), as documents.json holds."""
    hashes = [hashlib.sha256() for _ in range(count)]
    for p, text in zip(passages, texts, strict=True):
        data = text.encode("utf-8", "surrogatepass")
        hashes[p.doc].update(struct.pack("<Q", len(data)))
        hashes[p.doc].update(data)
    return [h.hexdigest() for h in hashes]


def _first_rows(passages: list[Passage], count: int) -> list[tuple[int, int]]:
    rows = [[0, 0] for _ in range(count)]
    for r, p in reversed(list(enumerate(passages))):
        rows[p.doc][0] = r
        rows[p.doc][1] += 1
    return [tuple(x) for x in rows]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(folder: Path, site: Path, binarizer: Binarizer, teacher: dict, corpus: str, docs: list[Document],
          passages: list[Passage], hashes: list[str], probe_queries: np.ndarray | None = None) -> None:
    """SITE/rebuild/: the binarizer, the model files' sha256 (site holds model.onnx and tokenizer.json), each
    document's hash and rows, and the vectors the clusters' probes were chosen on (None: none to keep)."""
    folder.mkdir()
    probes = None
    if probe_queries is not None:
        data = np.asarray(probe_queries, dtype="<f2").tobytes()
        (folder / PROBES).write_bytes(data)
        probes = {"file": PROBES, "rows": len(probe_queries), "dtype": "float16-le", "sha256": _sha(data)}
    raw = np.concatenate([binarizer.mean.astype("<f4").ravel(), binarizer.matrix.astype("<f4").ravel()]).tobytes()
    (folder / "binarizer.f32").write_bytes(raw)
    dim, bits = binarizer.matrix.shape
    meta = {
        "format_version": REBUILD_FORMAT, "dim": dim, "bits": bits, "dtype": "float32-le",
        "layout": "mean[dim], then matrix[dim][bits] row-major", "sha256": _sha(raw), "teacher": teacher,
        "model": {name: _sha((site / name).read_bytes()) for name in MODEL_FILES if (site / name).exists()},
        **({"probe_queries": probes} if probes else {}),
    }
    (folder / "binarizer.json").write_text(json.dumps(meta, indent=1) + "\n")
    rows = _first_rows(passages, len(docs))
    table = [[d.id, h, first, n] for d, h, (first, n) in zip(docs, hashes, rows, strict=True)]
    documents = {"format_version": REBUILD_FORMAT, "corpus": corpus, "hash": HASH, "columns": COLUMNS,
                 "documents": table}
    (folder / "documents.json").write_text(
        json.dumps(documents, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Plan:
    """What a reuse build encodes and what it copies."""

    copied: list[tuple[int, int, int]]  # (first row here, first row in SITE's codes.bin, rows)
    encode: list[int]  # the rows (passages) the teacher encodes
    documents: int  # documents encoded
    reused: int  # documents whose rows are copied

    def encoded(self) -> dict:
        return {"documents": self.documents, "reused": self.reused}


@dataclass
class Previous:
    """A site whose model and binarizer this build reuses, read and checked."""

    folder: Path
    explicit: bool  # --model-from (its mistakes are errors) rather than OUT's own site (they mean: build afresh)
    manifest: dict
    report: dict  # SITE's report.json ({} if it has none): the figures of the model reused
    binarizer: Binarizer
    teacher: dict  # {"name", "sha256"}
    corpus: str
    rows: dict[str, tuple[int, int]]  # document sha256 -> (first row, rows) in SITE's codes.bin
    codes: np.ndarray  # SITE's code rows, [rows, bits/8]
    meta: dict  # rebuild/binarizer.json
    probe_queries: np.ndarray | None  # float32 [rows, bits]: what SITE chose its probes on (None: not recorded)

    def check_teacher(self, sha: str, name: str) -> Previous | None:
        """Self if the teacher loaded is SITE's; else an error (--model-from) or None (build afresh)."""
        if sha == self.teacher["sha256"]:
            return self
        if self.explicit:
            raise UserError(
                f"teacher {name!r} here has other weights than the one {self.folder} was built with (sha256 "
                f"{sha[:12]}... against {self.teacher['sha256'][:12]}...): give that teacher, or build without "
                f"--model-from."
            )
        return None

    def plan(self, passages: list[Passage], hashes: list[str]) -> Plan:
        copied, encode, reused = [], [], 0
        for (first, n), h in zip(_first_rows(passages, len(hashes)), hashes, strict=True):
            old = self.rows.get(h)
            if old is not None and old[1] == n:
                copied.append((first, old[0], n))
                reused += 1
            else:
                encode.extend(range(first, first + n))
        return Plan(copied, encode, len(hashes) - reused, reused)

    def assemble(self, plan: Plan, rows: int, new_codes: np.ndarray) -> np.ndarray:
        """The code rows: SITE's, copied byte for byte, for unchanged documents; new_codes (of plan.encode)."""
        codes = np.zeros((rows, self.codes.shape[1]), dtype=np.uint8)
        codes[plan.encode] = new_codes
        for here, there, n in plan.copied:
            codes[here : here + n] = self.codes[there : there + n]
        return codes

    def copy_model(self, tmp: Path) -> str | None:
        """SITE's model.onnx into tmp, byte for byte; returns its tokenizer.json's text (checked when loaded), or
        None for a site without the transformer (--meaning lite)."""
        if not self.meta["model"]:
            return None
        files = {name: (self.folder / site_file(self.manifest, name)).read_bytes() for name in MODEL_FILES}
        _check_model(self.folder, files, self.meta, self.manifest)  # again: the site may have changed since
        (tmp / "model.onnx").write_bytes(files["model.onnx"])
        return files["tokenizer.json"].decode("utf-8")

    def copy_static(self, tmp: Path) -> dict | None:
        """SITE's static encoder table (its meaning/ folder) into tmp as it is, and its manifest entry; None when
        SITE has none. Its terms are SITE's corpus's: a word only the new documents use has no row."""
        entry = self.manifest.get("static")
        if not entry:
            return None
        try:
            shutil.copytree(self.folder / entry["folder"], tmp / STATIC_FOLDER)  # named by content again later
        except OSError as e:
            raise UserError(f"{self.folder}/{entry['folder']} is not readable ({e.strerror}); build it again "
                            f"without --model-from.") from None
        return {**entry, "folder": STATIC_FOLDER}


def _check_model(folder: Path, files: dict[str, bytes], meta: dict, manifest: dict) -> None:
    for name, data in files.items():
        if _sha(data) != meta["model"].get(name):
            raise UserError(f"{folder}/{site_file(manifest, name)} changed after the build that wrote it (its "
                            f"sha256 is not the one "
                            f"{FOLDER}/binarizer.json records); build without --model-from.")


def _read_json(path: Path, folder: Path, what: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{folder} is not {what}; give the folder build-site wrote.") from None
    except (OSError, ValueError) as e:
        raise UserError(f"{path} is not readable JSON ({type(e).__name__}); give a folder build-site wrote, "
                        f"or build it again.") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} is not a build-site record (not a JSON object); give a folder build-site wrote.")
    return data


def read_manifest(folder: Path) -> dict:
    if not folder.exists():
        raise UserError(f"{folder}: no such folder; --model-from takes a site folder that build-site wrote.")
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder; --model-from takes a site folder that build-site wrote.")
    manifest = _read_json(folder / "manifest.json", folder, "a site built by build-site (no manifest.json)")
    if manifest.get("format_version") != FORMAT_VERSION or not isinstance(manifest.get("options"), dict):
        raise UserError(f"{folder}/manifest.json is not of site format {FORMAT_VERSION} that this build-site "
                        f"writes; build the site again without --model-from.")
    return manifest


def load(folder: Path, explicit: bool) -> Previous:
    """SITE's records, checked: UserError (one sentence) on anything missing, unreadable or inconsistent."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    rebuild = folder / FOLDER
    if not rebuild.is_dir():
        raise UserError(f"{folder} was built by an older build-site, without the {FOLDER}/ folder that reuse needs; "
                        f"build it once without --model-from, then reuse it.")
    meta = _read_json(rebuild / "binarizer.json", folder, f"a complete site (no {FOLDER}/binarizer.json)")
    table = _read_json(rebuild / "documents.json", folder, f"a complete site (no {FOLDER}/documents.json)")
    broken = f"{folder} is not a complete site ({{}}); build it again without --model-from."
    try:
        codes_bytes = (folder / site_file(manifest, "codes.bin")).read_bytes()
        if _sha(codes_bytes) != manifest.get("codes", {}).get("sha256"):
            raise UserError(f"{folder}/codes.bin changed after the build that wrote it (its sha256 is not the one "
                            f"manifest.json records); build without --model-from.")
        codes, code_bits = from_bytes(codes_bytes)
    except (OSError, ValueError) as e:
        raise UserError(f"{folder}/codes.bin is not a readable codes file ({e}); build the site again.") from None
    try:
        raw = (rebuild / "binarizer.f32").read_bytes()
        dim, bits = int(meta["dim"]), int(meta["bits"])
        if meta.get("format_version") != REBUILD_FORMAT or table.get("format_version") != REBUILD_FORMAT:
            raise UserError(broken.format(f"{FOLDER}/ is not of format {REBUILD_FORMAT}"))
        if _sha(raw) != meta["sha256"] or len(raw) != 4 * dim * (bits + 1):
            raise UserError(broken.format(f"{FOLDER}/binarizer.f32 does not match {FOLDER}/binarizer.json"))
        values = np.frombuffer(raw, dtype="<f4")
        binarizer = Binarizer(values[:dim].copy(), values[dim:].reshape(dim, bits).copy())
        if code_bits != bits or manifest.get("bits") != bits:
            raise UserError(broken.format(f"codes.bin holds {code_bits} bits, the binarizer {bits}"))
        rows = {}
        for doc_id, h, first, n in table["documents"]:
            if not (isinstance(first, int) and isinstance(n, int) and 0 <= first and 1 <= n
                    and first + n <= len(codes)):
                raise UserError(broken.format(f"{FOLDER}/documents.json puts {doc_id!r} outside codes.bin"))
            rows.setdefault(h, (first, n))
        teacher = {"name": meta["teacher"]["name"], "sha256": meta["teacher"]["sha256"]}
        files = {name: (folder / site_file(manifest, name)).read_bytes() for name in MODEL_FILES
                 if name in meta["model"]}
        probe_queries = _probe_queries(rebuild, meta.get("probe_queries"), bits, broken)
    except OSError as e:
        where = Path(e.filename).relative_to(folder).as_posix() if e.filename else "a file"
        raise UserError(broken.format(f"{where}: {e.strerror}")) from None
    except (KeyError, TypeError, ValueError) as e:
        raise UserError(broken.format(f"{FOLDER}/ records: {type(e).__name__} {e}")) from None
    _check_model(folder, files, meta, manifest)
    report_path = folder / "report.json"
    try:
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
    except (OSError, ValueError):
        report = {}
    return Previous(folder, explicit, manifest, report if isinstance(report, dict) else {}, binarizer, teacher,
                    str(table.get("corpus", "")), rows, codes, meta, probe_queries)


def _probe_queries(rebuild: Path, entry: dict | None, bits: int, broken: str) -> np.ndarray | None:
    if entry is None:
        return None
    raw = (rebuild / PROBES).read_bytes()  # its own name, whatever the record says
    if _sha(raw) != entry["sha256"] or len(raw) != 2 * bits * int(entry["rows"]):
        raise UserError(broken.format(f"{FOLDER}/{PROBES} does not match {FOLDER}/binarizer.json"))
    return np.frombuffer(raw, dtype="<f2").reshape(-1, bits).astype(np.float32)


def compare_rows(site: Path, new: Path) -> dict:
    """For tests and benchmarks: of the documents of site `new` that `site` holds with the same id and hash,
    how many have code rows byte-identical to site's ("identical") and which do not ("differ": their ids)."""
    before = {d[0]: d for d in json.loads((site / FOLDER / "documents.json").read_text())["documents"]}
    old, _ = read_codes(site / site_file(read_manifest(site), "codes.bin"))
    codes, _ = read_codes(new / site_file(read_manifest(new), "codes.bin"))
    identical, differ = 0, []
    for doc_id, h, first, n in json.loads((new / FOLDER / "documents.json").read_text())["documents"]:
        prev = before.get(doc_id)
        if prev is not None and prev[1] == h:
            if codes[first : first + n].tobytes() == old[prev[2] : prev[2] + n].tobytes():
                identical += 1
            else:
                differ.append(doc_id)
    return {"identical": identical, "differ": differ}
