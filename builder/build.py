"""build_site(config): the pipeline, one line per stage, top to bottom."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from builder import FORMAT_VERSION, __version__, reuse
from builder.adapt import adapt, compose
from builder.binarize import fit_pca_itq, train_binarizer
from builder.codes import pack, rank, write_codes
from builder.config import BuildConfig
from builder.distill import init_projection, query_views, train
from builder.export import OnnxEncoder, export_onnx, parity, quantize_weights
from builder.input import read_input
from builder.input.passages import row_documents, sections, split_passages
from builder.lexical.index import Bm25, write_index
from builder.querymodel import query_model
from builder.site import (
    check_out,
    dir_bytes,
    file_entry,
    make_temp_dir,
    place,
    render_page,
    site_root,
    template_files,
    write_shards,
)
from builder.student import Tokenizer, make_student, tokenizer_json, truncate_ids
from builder.teacher import embed, fingerprint, load_teacher, shared_pools
from builder.vendor import runtime_files
from builder.vocab import choose_tokens, prune_embeddings, prune_tokenizer, trim_positions

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass
class BuildResult:
    out: Path
    manifest: dict
    report: dict
    doc_floats: np.ndarray | None  # each code row's (passage's) float values, whose signs are its code (for site-eval)


class _Stages:
    """Times each stage and announces it through the progress callback (total 0 = a stage header)."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str):
        self.name, self.t0 = name, time.perf_counter()
        if self.progress:
            self.progress(name, 0, 0)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.seconds[self.name] = round(time.perf_counter() - self.t0, 3)
        log.info("%s: %.1f s", self.name, self.seconds[self.name])


def _display_name(name: str) -> str:
    return Path(name).name if Path(name).exists() else name


def _fidelity(encoder, space, teacher_views, teacher_docs, views, codes, bits, rng_seed) -> dict:
    """How well the site's ranking reproduces the teacher's, on a sample of query-like views (which the
    student trained on: an optimistic figure, site-eval's held-out queries are the honest one)."""
    rng = np.random.default_rng(rng_seed)
    sample = rng.choice(len(views), size=min(200, len(views)), replace=False) if views else []
    k = min(10, len(codes))
    overlap, agreement = [], []
    for i in sample:
        q = encoder.encode([views[i]])[0]
        target = space.project(teacher_views[i : i + 1])[0]
        agreement.append(float(((q > 0) == (target > 0)).mean()))
        ours = {r[0] for r in rank(q, codes, bits, k, 100)}
        theirs = set(np.argsort(-(teacher_docs @ teacher_views[i]), kind="stable")[:k].tolist())
        overlap.append(len(ours & theirs) / k)
    if not overlap:
        return {"views": 0, "teacher_top10_overlap": None, "query_bit_agreement": None}
    return {
        "views": len(sample),
        "teacher_top10_overlap": round(float(np.mean(overlap)), 4),
        # how often the student's query bits equal the binarizer's bits of the teacher's embedding
        "query_bit_agreement": round(float(np.mean(agreement)), 4),
    }


def _distill(config, base, keep, tokenizer, views, texts, t_views, t_docs, space, progress):
    """Per-corpus distillation (query_model "corpus"): the student trained on this corpus's views and
    documents (cut short) to regress the corpus's map of the teacher's embeddings."""
    student, kept = make_student(base, config.student_layers, config.bits)
    prune_embeddings(student.encoder, keep)
    trim_positions(student.encoder, config.max_length)
    token_ids = [truncate_ids(ids, config.train_max_length) for ids in tokenizer.ids(views + texts)]
    targets = np.concatenate([t_views, t_docs])
    if config.student == config.teacher:  # the student's pooled space is the teacher's
        init_projection(student, space, token_ids[:: max(1, len(token_ids) // 64)][:64])
    else:  # another space, maybe another width: fit the start on 2,048 texts
        pick = np.random.default_rng(config.seed).permutation(len(token_ids))[:2048]
        init_projection(student, space, [token_ids[i] for i in pick], targets[pick])
    stats = train(
        student, token_ids, targets, space,
        epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
        seed=config.seed, int4_epochs=1 if config.weight_bits == 4 else 0, progress=progress,
    )
    return student, kept, stats


def build_site(config: BuildConfig, progress: Progress | None = None) -> BuildResult:
    config.validate()
    out = config.site_folder()
    check_out(out, config.force)
    # the site whose model and binarizer this build reuses: --model-from's (checked here) or OUT's own; None: train
    previous = reuse.find(config, out)
    cache = config.resolved_cache_dir()
    # before any stage starts: bad input fails fast and alone (the output folder itself is never read: its marker)
    docs, skipped = read_input(config.corpus, config.base_url, config.pretty_urls, progress)
    template = template_files()  # the page's own files: a broken installation fails here, not at the end
    runtime = runtime_files()  # the page's runtime: fetched once and cached, before the heavy stages
    torch.manual_seed(config.seed)
    torch.use_deterministic_algorithms(True)
    stage = _Stages(progress)
    t_start = time.perf_counter()

    tmp = make_temp_dir(out)  # made first, so an interrupt at any stage exercises the same cleanup
    try:
        with stage("load models"):
            teacher = load_teacher(config.teacher, cache)
            teacher_sha = fingerprint(teacher)
            if previous is not None:  # the site's teacher, or (--model-from) an error
                previous = previous.check_teacher(teacher_sha, config.teacher)
            reusing = previous is not None  # then the student is never loaded: the site's model is copied
            base = teacher if config.student == config.teacher or reusing else load_teacher(config.student, cache)
            tok_json = tokenizer_json(base, config.max_length)
        if config.query_model == "shared" and previous is None:
            with stage("query model"):  # distilled once per teacher and shape, then from the cache
                student, query_record = query_model(teacher, teacher_sha, base, config.query_spec(), cache, progress,
                                                    config.teacher_backend, config.teacher_processes)
        with stage("passages"):
            # never longer than the teacher reads: its embedding of a passage must cover all of it
            length = min(config.max_length, teacher.max_seq_length or config.max_length)
            tok = teacher[0].tokenizer.backend_tokenizer
            passages = split_passages(docs, tok, length, min(config.overlap, length // 4))
            first_rows = {p.doc: r for r, p in reversed(list(enumerate(passages)))}
            texts = [p.model_text(docs[p.doc]) for p in passages]
            views = query_views(texts, config.views_per_doc, config.seed, config.max_views) if previous is None else []
            hashes = reuse.document_hashes(passages, texts, len(docs))  # what the teacher encodes for each document
            (tmp / "passages.bin").write_bytes(row_documents(passages).tobytes())
        with stage("lexical"):
            params = Bm25(config.bm25_k1, config.bm25_b, config.title_weight, config.chunk_bytes)
            # scored per section (a .jsonl document is one), written per passage: sections() says why
            spans = sections(passages)
            scored = [(p.keyword_title(docs[p.doc]), docs[p.doc].text[p.start : passages[r + n - 1].end],
                       p.names(docs[p.doc], first_rows[p.doc] == r)) for r, n in spans for p in [passages[r]]]
            lexical = write_index(tmp / "lexical", scored, params, [n for _, n in spans])
        with stage("teacher"):
            plan = previous.plan(passages, hashes) if previous is not None else None
            encode = texts if plan is None else [texts[r] for r in plan.encode]  # reuse: new or changed documents
            teacher_stats: dict = {}  # distinct texts encoded now, and taken from the per-text cache
            run = {"stats": teacher_stats, "backend": config.teacher_backend, "processes": config.teacher_processes}
            with shared_pools():  # documents and views: one pool start
                t_docs = embed(encode, teacher, "document", cache, teacher_sha, progress, **run)
                t_views = embed(views, teacher, "query", cache, teacher_sha, progress, **run)
        with stage("binarize"):
            if previous is not None:  # the site's map: unchanged documents' rows copied, the others' projected
                space, binarizer_stats = previous.binarizer, previous.report.get("binarizer")
                codes = previous.assemble(plan, len(passages), pack(space.project(t_docs)))
                doc_floats = None  # the copied rows' floats are not known (BuildResult)
            else:
                init = fit_pca_itq(t_docs, config.bits, config.seed)
                space, binarizer_stats = train_binarizer(
                    init, t_docs, t_views, epochs=config.binarizer_epochs, seed=config.seed,
                    recon_weight=config.recon_weight, progress=progress,
                )
                doc_floats = space.project(t_docs)  # documents are coded from the teacher: binarize.py says why
                codes = pack(doc_floats)
            write_codes(tmp / "codes.bin", codes, config.bits)
        if previous is not None:
            with stage("model"):  # the site's model.onnx and tokenizer.json as they are, checked against its records
                tok_json = previous.copy_model(tmp)
                train_stats, parity_report, fidelity = previous.report.get("train"), previous.report.get("parity"), None
        else:
            with stage("distill" if config.query_model == "corpus" else "compose"):
                keep = choose_tokens(tok_json, texts, config.vocab_size)
                tok_json = prune_tokenizer(tok_json, keep)
                tokenizer = Tokenizer(tok_json, config.max_length)
                if config.query_model == "shared":  # the query model composed with this corpus's map, then adapted
                    kept = query_record["layers_kept"]
                    compose(student, space, query_record["dim"])
                    prune_embeddings(student.encoder, keep)
                    trim_positions(student.encoder, config.max_length)
                    view_ids = [truncate_ids(ids, config.train_max_length) for ids in tokenizer.ids(views)]
                    train_stats = adapt(student, view_ids, t_views, space, t_docs, doc_floats,
                                        prior=config.refit_prior, views=config.refit_views,
                                        rank_epochs=config.rank_epochs, tune=config.tune_views,
                                        batch_size=config.batch_size, lr=config.lr, seed=config.seed,
                                        weight_bits=config.weight_bits)
                else:
                    student, kept, train_stats = _distill(config, base, keep, tokenizer, views, texts, t_views, t_docs,
                                                          space, progress)
            with stage("export"), tempfile.TemporaryDirectory() as work:
                fp32 = Path(work) / "model.fp32.onnx"
                export_onnx(student, fp32)
                quantize_weights(fp32, tmp / "model.onnx", config.weight_bits)
                sample = (views or texts)[:32]
                parity_report = parity(student, fp32, tmp / "model.onnx", tokenizer, sample, config.weight_bits)
                encoder = OnnxEncoder(tmp / "model.onnx", tokenizer)
                fidelity = _fidelity(encoder, space, t_views, t_docs, views, codes, config.bits, config.seed)
        with stage("site"):
            (tmp / "tokenizer.json").write_text(tok_json, encoding="utf-8")
            reuse.write(tmp / reuse.FOLDER, tmp, space, {"name": _display_name(config.teacher), "sha256": teacher_sha},
                        reuse.corpus_name(config), docs, passages, hashes)  # what a later reuse needs
            shards = write_shards(tmp / "docs", docs, config.docs_per_shard, passages)
            manifest = {
                "format_version": FORMAT_VERSION,
                "generator": f"hamming-site {__version__}",
                "count": len(docs),
                # code rows: one per passage; passages.bin holds each row's document (u32 LE, non-decreasing)
                "passages": {**file_entry(tmp / "passages.bin"), "count": len(passages)},
                # what document URLs are relative to, from this folder ("../" when the site is the input folder)
                "root": site_root(config, out),
                "bits": config.bits,
                "model": file_entry(tmp / "model.onnx"),
                "codes": file_entry(tmp / "codes.bin"),
                "tokenizer": {"file": "tokenizer.json", "max_length": config.max_length},
                "docs": {"folder": "docs", "per_shard": config.docs_per_shard, "shards": shards},
                "lexical": lexical,
                "fusion": {"method": "minmax", "alpha": config.fusion_alpha, "depth": config.fusion_depth},
                "teacher": {"name": _display_name(config.teacher), "sha256": teacher_sha},
                "student": (previous.manifest["student"] if previous is not None else
                            {"name": _display_name(config.student), "layers": kept, "vocabulary": len(keep)}),
                # names, not paths: a manifest holds no absolute paths, so rebuilds elsewhere compare equal
                "options": {**config.options(), "teacher": _display_name(config.teacher),
                            "student": _display_name(config.student)},
                "seed": config.seed,
            }
            render_page(tmp, manifest, template, *runtime)
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        report = {
            "documents": len(docs),
            "passages": len(passages),
            "skipped": skipped,  # pages of a site folder left out, by reason
            "views": len(views),
            "bits": config.bits,
            "weight_bits": config.weight_bits,
            "seconds": {**stage.seconds, "total": round(time.perf_counter() - t_start, 3)},
            # texts the teacher encoded (not cached) per second; None when every embedding came from the cache
            "teacher_texts_per_second": (round(teacher_stats["encoded"] / stage.seconds["teacher"], 1)
                                         if teacher_stats.get("encoded") else None),
            "teacher": teacher_stats,
            "binarizer": binarizer_stats,
            "train": train_stats,  # per-corpus distillation, or the shared model's adaptation to this corpus
            # the shared query model: its cache key, whether it came from the cache, its one-off cost
            "query_model": (previous.report.get("query_model") if previous is not None else
                            None if config.query_model == "corpus" else
                            {k: query_record[k] for k in ("key", "source", "cached", "seconds", "train")}),
            "parity": parity_report,
            "fidelity": fidelity,  # None for a reuse (it needs the teacher's embedding of every document)
            # documents the teacher encoded, and those whose code rows were copied from the site reused
            "encoded": plan.encoded() if plan is not None else {"documents": len(docs), "reused": 0},
            "bytes": {"model": manifest["model"]["bytes"], "codes": manifest["codes"]["bytes"],
                      "lexical": lexical["bytes"]},
        }
        report["bytes"]["rebuild"] = dir_bytes(tmp / reuse.FOLDER)  # what a reuse reads; the page never fetches it
        # what a host serves; report.json and rebuild/ are not fetched
        report["bytes"]["site"] = dir_bytes(tmp) - report["bytes"]["rebuild"]
        (tmp / "report.json").write_text(json.dumps(report, indent=1) + "\n")
        place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out, manifest, report, doc_floats)
