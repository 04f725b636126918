"""build_site(config): the pipeline, one short block per stage, top to bottom.

input -> passages -> keyword index, and teacher -> binarizer -> codes -> query model -> export -> site.
A build that reuses a previous site (builder/reuse/) takes that site's binarizer and model: it is consulted
where the teacher's work is planned, where the codes are assembled and where the model is made, nowhere else.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from builder.config import BuildConfig
from builder.input import read_input
from builder.input.passages import row_documents, sections, split_passages
from builder.lexical.index import Bm25, write_index
from builder.lexical.tokenize import terms, words
from builder.model.adapt import adapt, compose
from builder.model.binarize import fit_pca_itq, train_binarizer
from builder.model.distill import init_projection, query_views, train
from builder.model.export import OnnxEncoder, export_onnx, parity, quantize_weights
from builder.model.querymodel import QueryModelSpec, query_model
from builder.model.static import TermBags, fit_static
from builder.model.student import Tokenizer, make_student, tokenizer_json, truncate_ids
from builder.model.vocab import choose_tokens, prune_embeddings, prune_tokenizer, trim_positions
from builder.output import manifest as records
from builder.output.clusters import write_clusters
from builder.output.codes import pack, rank, unpack, write_codes
from builder.output.site import check_out, make_temp_dir, place, render_page, site_root, template_files, write_shards
from builder.output.static import write_static
from builder.output.vendor import runtime_files
from builder.reuse.policy import corpus_name, find
from builder.reuse.records import FOLDER as REBUILD_FOLDER
from builder.reuse.records import document_hashes
from builder.reuse.records import write as write_rebuild
from builder.stages import Stages, reproducible
from builder.teacher.embed import embed, shared_pools
from builder.teacher.load import fingerprint, load_teacher, resolve_device
from builder.teacher.on_ray import RayTeacher

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
PROBE_QUERIES = 2048  # query-like views the clusters' probes are chosen on (kept in rebuild/ for a reuse)


@dataclass
class BuildResult:
    out: Path
    manifest: dict
    report: dict
    doc_floats: np.ndarray | None  # each code row's (passage's) float values, whose signs are its code (for site-eval)


@dataclass
class ModelFiles:
    """The query model as the site ships it (model.onnx is written), and what making it measured."""

    tokenizer: str | None  # tokenizer.json's text (None: no transformer, --meaning lite)
    student: dict | None  # the manifest's "student": {"name", "layers", "vocabulary"}
    train: dict | None  # per-corpus distillation or the shared model's adaptation
    parity: dict | None  # int4/int8 against float32
    fidelity: dict | None  # the site's ranking against the teacher's on query-like views


def build_site(config: BuildConfig, progress: Progress | None = None) -> BuildResult:
    config.validate()
    out = config.site_folder()
    check_out(out, config.force)
    # the site whose model and binarizer this build reuses: --model-from's (checked here) or OUT's own; None: train
    previous = find(config, out)
    cache = config.resolved_cache_dir()
    # before any stage starts: bad input fails fast and alone (the output folder itself is never read: its marker)
    docs, skipped = read_input(config.corpus, config.base_url, config.pretty_urls, progress)
    template = template_files()  # the page's own files: a broken installation fails here, not at the end
    # the page's runtime: fetched once and cached, before the heavy stages (a lite site needs only the stemmer)
    runtime = runtime_files(transformer=config.meaning != "lite")
    reproducible(config.seed, resolve_device(config.device))
    stage = Stages(progress)
    tmp = make_temp_dir(out)  # made first, so an interrupt at any stage exercises the same cleanup
    try:
        with stage("load models"):
            teacher, teacher_sha, base, previous = _load_models(config, cache, previous)
        student = query_record = None
        if config.query_model == "shared" and previous is None and config.meaning != "lite":
            with stage("query model"):  # distilled once per teacher and shape, then from the cache
                student, query_record = query_model(teacher, teacher_sha, base, QueryModelSpec.from_config(config),
                                                    cache, progress, *_teacher_run(config).values(),
                                                    resolve_device(config.device))
        with stage("passages"):
            passages, texts, views, hashes = _passages(config, tmp, docs, teacher, fresh=previous is None)
        with stage("lexical"):
            lexical = _lexical(config, tmp, docs, passages)
        with stage("teacher"):
            plan = previous.plan(passages, hashes) if previous is not None else None
            encode = texts if plan is None else [texts[r] for r in plan.encode]  # reuse: new or changed documents
            t_docs, t_views, teacher_stats = _teacher(config, cache, teacher, teacher_sha, encode, views,
                                                      texts if previous is None else [], progress)
        with stage("binarize"):
            if previous is not None:  # the site's map: unchanged documents' rows copied, the others' projected
                space, binarizer_stats, doc_floats = previous.binarizer, previous.report.get("binarizer"), None
                codes = previous.assemble(plan, len(passages), pack(space.project(t_docs)))
            else:
                space, binarizer_stats = _binarizer(config, t_docs, t_views, progress)
                doc_floats = space.project(t_docs)  # documents are coded from the teacher: binarize.py says why
                codes = pack(doc_floats)
            write_codes(tmp / "codes.bin", codes, config.bits)
        if previous is not None:
            with stage("model"):  # the site's model.onnx and tokenizer.json as they are, checked against its records
                model = ModelFiles(previous.copy_model(tmp), previous.manifest["student"],
                                   previous.report.get("train"), previous.report.get("parity"), None)
        else:  # none where the static encoder is the site's whole meaning (--meaning lite)
            model = ModelFiles(None, None, None, None, None) if config.meaning == "lite" else _make_model(
                config, tmp, stage, base, student, query_record, texts, views, t_views, t_docs, space, codes,
                doc_floats, progress)
        with stage("static"):  # the light query encoder: a row per word, fetched per query word
            static = (previous.copy_static(tmp) if previous is not None else None if config.meaning == "full" else
                      _static(config, tmp, texts, views, t_views, t_docs, space, doc_floats, teacher, teacher_sha,
                              cache))
        with stage("clusters"):  # codes fetched per cluster, on sites large enough to gain from it
            probe_queries = _probe_queries(space, t_views, previous)  # query-like vectors, kept for a reuse
            clusters = _clusters(config, tmp, codes, probe_queries)
        with stage("site"):
            if model.tokenizer is not None:
                (tmp / "tokenizer.json").write_text(model.tokenizer, encoding="utf-8")
            write_rebuild(tmp / REBUILD_FOLDER, tmp, space, records.teacher_entry(config, teacher_sha),
                          corpus_name(config), docs, passages, hashes, probe_queries)  # what a reuse needs
            shards = write_shards(tmp, docs, config.docs_per_shard, passages)
            manifest = records.manifest(config, tmp, site_root(config, out), len(docs), len(passages), shards,
                                        lexical, static, clusters, teacher_sha, model.student)
            manifest = render_page(tmp, manifest, template, *runtime)  # every fetched file named by its content
            (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        report = records.report(
            config, tmp, manifest, documents=len(docs), skipped=skipped, views=len(views), seconds=stage.seconds,
            t_start=stage.started, teacher=teacher_stats, binarizer=binarizer_stats, model=model,
            query_model=_query_model_entry(previous, query_record),
            encoded=plan.encoded() if plan is not None else {"documents": len(docs), "reused": 0},
            rebuild_folder=REBUILD_FOLDER, device=resolve_device(config.device))
        (tmp / "report.json").write_text(json.dumps(report, indent=1) + "\n")
        place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out, manifest, report, doc_floats)


def _query_model_entry(previous, query_record: dict | None) -> dict | None:
    """report.json's "query_model": the reused site's, or this build's shared query model's (None: none)."""
    if previous is not None:
        return previous.report.get("query_model")
    return None if query_record is None else {k: query_record[k] for k in ("key", "source", "cached", "seconds",
                                                                             "train")}


def _load_models(config: BuildConfig, cache: Path, previous):
    """(teacher, its sha256, the model the student is cut from, previous): previous stays only if its teacher is
    the one loaded (else an error for --model-from, or None: build afresh). A reuse never loads the student."""
    teacher = load_teacher(config.teacher, cache, resolve_device(config.device))
    teacher_sha = fingerprint(teacher)
    if previous is not None:
        previous = previous.check_teacher(teacher_sha, config.teacher)
    reusing = previous is not None
    # the student is cut on the CPU (then trained on the device): the teacher itself only where it runs there
    on_cpu = resolve_device(config.device) == "cpu"
    base = teacher if (config.student == config.teacher and on_cpu) or reusing else load_teacher(config.student, cache)
    return teacher, teacher_sha, base, previous


def _passages(config: BuildConfig, tmp: Path, docs, teacher, fresh: bool):
    """(passages, their model texts, query-like views (a fresh build's only), each document's hash); writes
    passages.bin."""
    # never longer than the teacher reads: its embedding of a passage must cover all of it
    length = min(config.max_length, teacher.max_seq_length or config.max_length)
    tok = teacher[0].tokenizer.backend_tokenizer
    passages = split_passages(docs, tok, length, min(config.overlap, length // 4))
    texts = [p.model_text(docs[p.doc]) for p in passages]
    views = query_views(texts, config.views_per_doc, config.seed, config.max_views) if fresh else []
    hashes = document_hashes(passages, texts, len(docs))  # what the teacher encodes for each document
    (tmp / "passages.bin").write_bytes(row_documents(passages).tobytes())
    return passages, texts, views, hashes


def _lexical(config: BuildConfig, tmp: Path, docs, passages) -> dict:
    """The keyword index in lexical/: scored per section (a .jsonl document is one), written per passage
    (sections() says why). Returns the manifest's "lexical" entry."""
    params = Bm25(config.bm25_k1, config.bm25_b, config.title_weight, config.chunk_bytes)
    first_rows = {p.doc: r for r, p in reversed(list(enumerate(passages)))}
    spans = sections(passages)
    scored = [(p.keyword_title(docs[p.doc]), docs[p.doc].text[p.start : passages[r + n - 1].end],
               p.names(docs[p.doc], first_rows[p.doc] == r), _weighted(docs[p.doc], p.start, passages[r + n - 1].end))
              for r, n in spans for p in [passages[r]]]
    return write_index(tmp / "lexical", scored, params, [n for _, n in spans])


def _weighted(doc, start: int, end: int) -> tuple:
    """The text of doc's data-hamming-weight elements within text[start:end], with their weights."""
    return tuple((doc.text[max(a, start) : min(b, end)], w) for a, b, w in doc.weights if a < end and b > start)


def _teacher_run(config: BuildConfig) -> dict:
    """How the teacher runs: config's backend and processes on the CPU; on a GPU torch itself, one process (the
    ONNX backends and the process pools are the CPU's ways to go faster)."""
    if resolve_device(config.device) == "cpu":
        return {"backend": config.teacher_backend, "processes": config.teacher_processes}
    return {"backend": "torch", "processes": 1}


def _teacher(config: BuildConfig, cache: Path, teacher, teacher_sha: str, texts, views, fitted, progress):
    """The teacher's vectors of the passages to encode and of the views, and what it did (encoded, cached).
    With --engine ray a Ray Data job first writes what the cache lacks of these, and of the static encoder's
    words where it is fitted on the passages `fitted`, into the cache, from which they are then read."""
    stats: dict = {}
    run = {"stats": stats, **_teacher_run(config)}
    filled = None
    if config.engine == "ray":  # the static encoder's words too: one job, one start of the actors
        static = config.meaning != "full" and config.static_init != "centroids"
        words = list(_static_words(fitted).values()) if static else []
        with RayTeacher(config.teacher, cache, resolve_device(config.device), config.teacher_processes) as ray:
            filled = ray.fill([(texts, "document"), (views, "query"), (words, "query")], teacher, teacher_sha,
                              run["backend"], progress)
    with shared_pools():  # documents and views: one pool start
        t_docs = embed(texts, teacher, "document", cache, teacher_sha, progress, **run)
        t_views = embed(views, teacher, "query", cache, teacher_sha, progress, **run)
    if filled is not None:  # the job encoded what embed() then read from the cache
        n_docs, n_views, n_words = filled.pop("encoded")
        stats.update(filled, encoded=stats["encoded"] + n_docs + n_views + n_words,
                     cached=stats["cached"] - n_docs - n_views, seconds=stats["seconds"] + filled["seconds"])
    return t_docs, t_views, stats


def _static_words(texts) -> dict[str, str]:
    """The static encoder's words as the teacher reads them: term -> its commonest written form, terms sorted."""
    forms: dict[str, Counter] = {}
    for text in texts:
        for word in words(text):
            for term in terms(word):  # none for a stop word, else the word's stem
                forms.setdefault(term, Counter())[word] += 1
    return {t: forms[t].most_common(1)[0][0] for t in sorted(forms)}


def _binarizer(config: BuildConfig, t_docs, t_views, progress):
    init = fit_pca_itq(t_docs, config.bits, config.seed)
    return train_binarizer(init, t_docs, t_views, epochs=config.binarizer_epochs, seed=config.seed,
                           recon_weight=config.recon_weight, progress=progress, device=resolve_device(config.device))


def _static(config, tmp, texts, views, t_views, t_docs, space, doc_floats, teacher, teacher_sha, cache) -> dict:
    """The static encoder's table fitted on the views and passages, written to meaning/; its manifest entry."""
    bags = TermBags.of(Counter(terms(text)) for text in views + texts)
    targets = np.concatenate([space.project(t_views), doc_floats]) if len(t_views) else doc_floats
    word_values = None
    if config.static_init != "centroids":  # each term's commonest written form, as the teacher reads it alone
        surface = _static_words(texts)
        vectors = embed(list(surface.values()), teacher, "query", cache, teacher_sha, None, **_teacher_run(config))
        word_values = dict(zip(surface, space.project(vectors), strict=True))
    table, stats = fit_static(bags, targets, np.concatenate([t_views, t_docs]), len(t_views),
                              epochs=config.static_epochs, seed=config.seed, word_values=word_values,
                              mix=config.static_init, device=resolve_device(config.device))
    log.info("static encoder: %s", stats)
    return write_static(tmp, table.terms, table.rows, config.static_bucket_bytes)


def _probe_queries(space, t_views: np.ndarray, previous) -> np.ndarray | None:
    """What the clusters' probes are chosen on: the views' binarizer values (a fresh build's), else the ones the
    reused site recorded (None: it recorded none)."""
    if len(t_views):
        return space.project(t_views[:PROBE_QUERIES])
    return previous.probe_queries if previous is not None else None


def _clusters(config, tmp, codes, queries) -> dict | None:
    """clusters.bin and codes/ (builder/output/clusters.py) when the site has clusters_from passages or more;
    the probes are chosen on `queries`, query-like vectors (the views' binarizer values, what both encoders aim
    at), or where a reused site recorded none on 1,024 of the passages' own codes (easier than a visitor's
    questions: fewer probes). The transformer's tier ranks codes.bin whole where it is no larger than the model it
    downloads anyway."""
    if len(codes) < max(config.clusters_from, 2 * config.cluster_rows, 4):
        return None
    if queries is None:
        pick = np.random.default_rng(config.seed).permutation(len(codes))[:1024]
        queries = unpack(codes[pick], config.bits).astype(np.float32) * 2 - 1
    model = tmp / "model.onnx"
    small = model.exists() and (tmp / "codes.bin").stat().st_size <= model.stat().st_size
    whole = config.transformer_codes == "whole" or (config.transformer_codes == "auto" and small)
    return write_clusters(tmp, codes, config.bits, config.cluster_rows, queries[:PROBE_QUERIES], config.seed, whole,
                          config.sign_centroids_from)


def _make_model(config, tmp, stage, base, student, query_record, texts, views, t_views, t_docs, space,
                codes, doc_floats, progress) -> ModelFiles:
    """A fresh build's query model: the shared one composed with this corpus's map and adapted (or a student
    distilled on the corpus), its vocabulary pruned, exported to model.onnx and checked."""
    with stage("distill" if config.query_model == "corpus" else "compose"):
        tok_json = tokenizer_json(base, config.max_length)
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
                                weight_bits=config.weight_bits, device=resolve_device(config.device))
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
    info = {"name": records.display_name(config.student), "layers": kept, "vocabulary": len(keep)}
    return ModelFiles(tok_json, info, train_stats, parity_report, fidelity)


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
        device=resolve_device(config.device),
    )
    return student, kept, stats


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
