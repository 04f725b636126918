"""manifest.json (what the page reads) and report.json (what the build did), each written in one place.

manifest.json: the site's table of contents. Every file the page fetches is named here with its bytes and
sha256; `options` holds every BuildConfig option that determines the output bytes (BuildConfig.options(), the
teacher and student by name, never by path), which is also what a later `--model-from` build reads back
(hamming_site/builder/reuse/policy.py). report.json: figures of the build (sizes, seconds per stage, teacher speed,
training, parity, fidelity); never fetched by the page.
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path

from hamming_site.builder import FORMAT_VERSION, __version__
from hamming_site.builder.lexical.languages import script_letters
from hamming_site.builder.output.names import offline_files
from hamming_site.builder.output.site import dir_bytes, file_entry
from hamming_site.builder.teacher.load import ENGLISH_TEACHERS


def display_name(name: str) -> str:
    """A model as manifest.json names it: a folder by its name (no paths in a site), anything else as given."""
    return Path(name).name if Path(name).exists() else name


def named_options(config) -> dict:
    """config.options() as manifest.json records them (teacher and student by name)."""
    return {**config.options(), "teacher": display_name(config.teacher), "student": display_name(config.student)}


def teacher_entry(config, teacher_sha: str) -> dict:
    return {"name": display_name(config.teacher), "sha256": teacher_sha}


def manifest(config, tmp: Path, root: str, docs: int, passages: int, shards: dict, lexical: dict,
             static: dict | None, clusters: dict | None, teacher_sha: str, student: dict,
             languages: list[str]) -> dict:
    """The manifest of the site being written in tmp (its model.onnx, codes.bin and passages.bin are there);
    languages: each document's."""
    return {
        "format_version": FORMAT_VERSION,
        "generator": f"hamming-site {__version__}",
        "count": docs,
        # code rows: one per passage; passages.bin holds each row's document (u32 LE, non-decreasing)
        "passages": {**file_entry(tmp / "passages.bin"), "count": passages},
        # what document URLs are relative to, from this folder ("../" when the site is the input folder)
        "root": root,
        "bits": config.bits,
        # the transformer's files; None on a --meaning lite site (no model, no tokenizer, no onnxruntime)
        "model": file_entry(tmp / "model.onnx") if student else None,
        "codes": file_entry(tmp / "codes.bin"),
        # the static query encoder's table (hamming_site/builder/output/static.py); None: the site has only the
        # transformer
        "static": static,
        # the codes by cluster (hamming_site/builder/output/clusters.py); None: a query fetches codes.bin whole
        "clusters": clusters,
        "tokenizer": {"file": "tokenizer.json", "max_length": config.max_length} if student else None,
        # sizes: each shard's document count, one digit a shard, where they differ (--docs-per-shard 0); else every
        # shard holds per_shard (names.py's shard_of reads either). parts: {shard: each document's count of text
        # parts} where a shard holds long documents (site.py's write_shards), so that the offline copy lists them
        "docs": {"folder": "docs", "per_shard": shards["per_shard"], "shards": shards["shards"],
                 **({"sizes": shards["sizes"]} if shards.get("sizes") else {}),
                 **({"parts": shards["parts"]} if shards.get("parts") else {})},
        # the filter and sort index (hamming_site/builder/output/filters.py), only where pages set filters or sort keys
        **({"filters": shards["filters"]} if shards["filters"] else {}),
        # visitors keep the site's files for offline use (--offline auto), or not (off)
        "offline": config.offline != "off",
        "lexical": lexical,
        "fusion": {"method": "minmax", "alpha": config.fusion_alpha, "depth": config.fusion_depth,
                   **across(config.fusion_across, languages, display_name(config.teacher) not in ENGLISH_TEACHERS)},
        "teacher": teacher_entry(config, teacher_sha),
        "student": student,  # {"name", "layers", "vocabulary"}: the query model's origin (None: no transformer)
        # names, not paths: a manifest holds no absolute paths, so rebuilds elsewhere compare equal
        "options": named_options(config),
        "seed": config.seed,
    }


def _run_length(values: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for v in values:
        if runs and runs[-1][0] == v:
            runs[-1][1] += 1
        else:
            runs.append([v, 1])
    return runs


def across(alpha: float, languages: list[str], multilingual: bool = True) -> dict:
    """The fusion's "across" entry where some document is not in English (none otherwise): {"alpha", "scripts":
    [the letters of each script other than Latin that a document is written in, a character class's ranges],
    "documents": [[script, count], ...]: each document's script, run-length coded, 0 for Latin letters and 1 on
    for the scripts', "english": [[1 or 0, count], ...]: whether each document is in English, run-length coded}.
    Not multilingual (an English teacher: a site at least 95 % English, or --teacher all-MiniLM-L6-v2), there is
    no "english" (its model cannot rank a German page for an English question; a page in another script still
    leans, as its words cannot match), and no entry where every page is in Latin letters.
    search/fusion.py's across_alphas reads it."""
    letters = [script_letters(code) for code in languages]
    scripts = sorted({x for x in letters if x})
    if all(code == "en" for code in languages) or not (multilingual or scripts):
        return {}
    entry = {"alpha": alpha, "scripts": scripts,
             "documents": _run_length([scripts.index(x) + 1 if x else 0 for x in letters])}
    if multilingual:
        entry["english"] = _run_length([int(code == "en") for code in languages])
    return {"across": entry}


def report(run, manifest: dict, meaning, *, documents: int, skipped: dict, views: int, teacher: dict, encoded: dict,
           rebuild_folder: str, languages: dict | None = None) -> dict:
    """report.json's figures. run: the build's (stages.py's Run: its options, folder, stage times and device);
    meaning: what trained or reused the model (model/meaning.py's Meaning)."""
    config, tmp, seconds, model = run.config, run.tmp, run.stage.seconds, meaning.model
    out = {
        "documents": documents,
        "passages": manifest["passages"]["count"],
        "skipped": skipped,  # pages of a site folder left out, by reason
        "languages": languages or {},  # pages per language (lexical/languages.py): said, given or detected
        "views": views,
        "bits": config.bits,
        "weight_bits": config.weight_bits,
        "seconds": {**seconds, "total": round(time.perf_counter() - run.stage.started, 3)},
        # texts the teacher encoded (not cached) per second; None when every embedding came from the cache
        "teacher_texts_per_second": (round(teacher["encoded"] / seconds["teacher"], 1)
                                     if teacher.get("encoded") else None),
        "teacher": teacher,
        "device": run.device,  # where the teacher and the training ran (load.py's resolve_device); the export: the CPU
        # what ran the teacher pass: this machine's processes or a Ray Data job's actors (the most a pass used)
        "engine": {"name": config.engine, "workers": teacher.get("workers", 0)},
        "binarizer": meaning.binarizer,
        "train": model.train,  # per-corpus distillation, or the shared model's adaptation to this corpus
        # the shared query model: its cache key, whether it came from the cache, its one-off cost
        "query_model": meaning.query_model,
        "parity": model.parity,
        "fidelity": model.fidelity,  # None for a reuse (it needs the teacher's embedding of every document)
        # documents the teacher encoded, and those whose code rows were copied from the site reused
        "encoded": encoded,
        "bytes": {"model": manifest["model"]["bytes"] if manifest["model"] else 0, "codes": manifest["codes"]["bytes"],
                  "lexical": manifest["lexical"]["bytes"]},
        # the static encoder's table (words, bytes) and the codes by cluster (clusters, probes, recall on the views)
        "static": manifest["static"] and {k: manifest["static"][k] for k in ("terms", "bytes")},
        "clusters": manifest["clusters"] and {k: manifest["clusters"][k]
                                              for k in ("count", "probes", "recall", "transformer")},
    }
    out["bytes"]["rebuild"] = dir_bytes(tmp / rebuild_folder)  # what a reuse reads; the page never fetches it
    # what a host serves; report.json and rebuild/ are not fetched
    out["bytes"]["site"] = dir_bytes(tmp) - out["bytes"]["rebuild"]
    # what a visitor's offline copy costs: every file offline_files lists, as served and gzipped (level 6, as
    # hosts compress; codes and the model hardly shrink); None with --offline off
    if manifest["offline"]:
        files = offline_files(manifest)
        sizes = [(tmp / f).stat().st_size for f in files if f != "manifest.json"]
        gz = sum(len(zlib.compress((tmp / f).read_bytes(), 6)) for f in files if f != "manifest.json")
        out["offline"] = {"files": len(files), "bytes": sum(sizes), "gzip": gz}
    else:
        out["offline"] = None
    return out
