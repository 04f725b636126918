"""build_site(config): the pipeline, one short block per stage, top to bottom.

input -> passages -> keyword index, and teacher -> binarizer -> codes -> query model -> export -> site.
A build that reuses a previous site (hamming_site/builder/reuse/) takes that site's binarizer and model: build_site
picks its maker once (reuse/maker.py's Reuse, or training.py's Training), and both make the same Meaning.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hamming_site.builder.config import BuildConfig
from hamming_site.builder.input import language_counts, languages_of, read_input, site_language
from hamming_site.builder.input.passages import row_documents, sections, split_passages
from hamming_site.builder.lexical.index import Bm25, write_index
from hamming_site.builder.model.distill import query_views
from hamming_site.builder.model.querymodel import sample_texts
from hamming_site.builder.output import manifest as site_manifest
from hamming_site.builder.output.clusters import write_clusters
from hamming_site.builder.output.codes import unpack
from hamming_site.builder.output.site import (
    check_out,
    make_temp_dir,
    page_strings,
    place,
    read_strings,
    render_page,
    site_root,
    template_files,
    write_shards,
)
from hamming_site.builder.output.vendor import runtime_files
from hamming_site.builder.reuse.maker import Reuse
from hamming_site.builder.reuse.policy import corpus_name, find
from hamming_site.builder.reuse.records import FOLDER as REBUILD_FOLDER
from hamming_site.builder.reuse.records import document_hashes
from hamming_site.builder.reuse.records import write as write_rebuild
from hamming_site.builder.stages import Run, Stages, reproducible
from hamming_site.builder.teacher.embed import embed, shared_pools
from hamming_site.builder.teacher.load import fingerprint, load_teacher, resolve_device
from hamming_site.builder.teacher.on_ray import RayTeacher
from hamming_site.builder.training import PROBE_QUERIES, Corpus, Models, Training, static_words

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@dataclass
class BuildResult:
    out: Path
    manifest: dict
    report: dict
    doc_floats: np.ndarray | None  # each code row's (passage's) float values, whose signs are its code (for site-eval)


def build_site(config: BuildConfig, progress: Progress | None = None) -> BuildResult:
    config.validate()
    out = config.site_folder()
    check_out(out, config.force)
    device = resolve_device(config.device)  # the one place: a device there is none of fails here, before the input
    # before any stage starts: bad input fails fast and alone (the output folder itself is never read: its marker)
    docs, skipped = read_input(config.corpus, config.base_url, config.pretty_urls, progress, config.language)
    config = config.for_languages(language_counts(docs))  # an auto teacher is English's or multilingual-e5-small
    # the site whose model and binarizer this build reuses: --model-from's (checked here) or OUT's own; None: train
    previous = find(config, out)
    template = template_files()  # the page's own files: a broken installation fails here, not at the end
    # the page's runtime: fetched once and cached, before the heavy stages (a lite site needs only the stemmer)
    runtime = runtime_files(transformer=config.meaning != "lite", languages=languages_of(docs))
    reproducible(config.seed, device)
    stage = Stages(progress)
    tmp = make_temp_dir(out)  # made first, so an interrupt at any stage exercises the same cleanup
    run = Run(config, device, config.resolved_cache_dir(), out, tmp, stage, progress)
    try:
        with stage("load models"):
            models, previous = _load_models(run, previous)
        maker = Training(run, models) if previous is None else Reuse(run, previous)  # the one branch on a reuse
        maker.prepare()  # a fresh build's shared query model, first, as the seeds expect
        with stage("passages"):
            corpus = _passages(run, docs, models.teacher, fresh=maker.fresh)
        with stage("lexical"):
            lexical = _lexical(config, tmp, docs, corpus)
        with stage("teacher"):
            plan = maker.plan(corpus.passages, corpus.hashes)  # a reuse encodes new or changed documents only
            t_docs, t_views, teacher_stats = _teacher(run, models, [corpus.texts[r] for r in plan.encode],
                                                      corpus.views, corpus.texts if maker.fresh else [],
                                                      corpus.languages)
        meaning = maker.meaning(corpus, plan, t_docs, t_views)  # binarize, model (or compose, export), static
        with stage("clusters"):  # codes fetched per cluster, on sites large enough to gain from it
            clusters = _clusters(config, tmp, meaning.codes, meaning.probe_queries)
        with stage("site"):
            manifest = _site(run, models, docs, corpus, meaning, lexical, clusters, template, runtime)
        report = site_manifest.report(
            run, manifest, meaning, documents=len(docs), skipped=skipped, views=len(corpus.views),
            teacher=teacher_stats, encoded=plan.encoded(), rebuild_folder=REBUILD_FOLDER,
            languages=language_counts(docs))
        (tmp / "report.json").write_text(json.dumps(report, indent=1) + "\n")
        place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out, manifest, report, meaning.doc_floats)


def _site(run: Run, models: Models, docs, corpus: Corpus, meaning, lexical, clusters, template, runtime) -> dict:
    """What the page reads and a reuse needs: tokenizer.json, rebuild/, the document shards, the page and its
    scripts, every fetched file named by its content, and manifest.json; returns the manifest."""
    config, tmp = run.config, run.tmp
    if meaning.model.tokenizer is not None:
        (tmp / "tokenizer.json").write_text(meaning.model.tokenizer, encoding="utf-8")
    write_rebuild(tmp / REBUILD_FOLDER, tmp, meaning.space, site_manifest.teacher_entry(config, models.teacher_sha),
                  corpus_name(config), docs, corpus.passages, corpus.hashes, meaning.probe_queries)
    shards = write_shards(tmp, docs, config.docs_per_shard, corpus.passages)
    manifest = site_manifest.manifest(config, tmp, site_root(config, run.out), len(docs),
                                      len(corpus.passages), shards, lexical, meaning.static, clusters,
                                      models.teacher_sha, meaning.model.student, [d.lang for d in docs])
    # the page's and the widget's own words, in the site's language (--language, else its commonest page's)
    language = site_language(docs)
    own = read_strings(config.strings) if config.strings is not None else None
    manifest = {**manifest, "language": language, "strings": page_strings(language, own)}
    manifest = render_page(tmp, manifest, template, *runtime)  # every fetched file named by its content
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _load_models(run: Run, previous) -> tuple[Models, object]:
    """(the teacher, its sha256 and the model the student is cut from; previous): previous stays only if its teacher
    is the one loaded (else an error for --model-from, or None: build afresh). A reuse never loads the student."""
    config = run.config
    teacher = load_teacher(config.teacher, run.cache, run.device)
    teacher_sha = fingerprint(teacher)
    if previous is not None:
        previous = previous.check_teacher(teacher_sha, config.teacher)
    reusing = previous is not None
    # the student is cut on the CPU (then trained on the device): the teacher itself only where it runs there
    on_cpu = run.device == "cpu"
    same = config.student == config.teacher and on_cpu
    base = teacher if same or reusing else load_teacher(config.student, run.cache)
    return Models(teacher, teacher_sha, base), previous


def _passages(run: Run, docs, teacher, fresh: bool) -> Corpus:
    """The passages, their model texts, query-like views (a fresh build's only) and each document's hash; writes
    passages.bin."""
    config = run.config
    # never longer than the teacher reads: its embedding of a passage must cover all of it
    length = min(config.max_length, teacher.max_seq_length or config.max_length)
    tok = teacher[0].tokenizer.backend_tokenizer
    passages = split_passages(docs, tok, length, min(config.overlap, length // 4))
    texts = [p.model_text(docs[p.doc]) for p in passages]
    views = query_views(texts, config.views_per_doc, config.seed, config.max_views) if fresh else []
    languages = languages_of(docs)
    # a question in English about pages in another language: a student distilled on the site's own text forgets
    # English questions without some (benchmarks/across_languages.py); the shared query model learnt English already
    bridged = fresh and config.query_model == "corpus" and languages != ("en",)
    bridge = sample_texts(config.bridge_texts)[0] if bridged and config.bridge_texts else []
    hashes = document_hashes(passages, texts, len(docs))  # what the teacher encodes for each document
    (run.tmp / "passages.bin").write_bytes(row_documents(passages).tobytes())
    return Corpus(passages, texts, views + bridge, hashes, languages, bridge)


def _lexical(config: BuildConfig, tmp: Path, docs, corpus: Corpus) -> dict:
    """The keyword index in lexical/: scored per section (a .jsonl document is one), written per passage
    (sections() says why), each page's words in its language. Returns the manifest's "lexical" entry."""
    passages = corpus.passages
    params = Bm25(config.bm25_k1, config.bm25_b, config.title_weight, config.chunk_bytes)
    first_rows = {p.doc: r for r, p in reversed(list(enumerate(passages)))}
    spans = sections(passages)
    scored = [(p.keyword_title(docs[p.doc]), docs[p.doc].text[p.start : passages[r + n - 1].end],
               p.names(docs[p.doc], first_rows[p.doc] == r), _weighted(docs[p.doc], p.start, passages[r + n - 1].end),
               docs[p.doc].lang)
              for r, n in spans for p in [passages[r]]]
    return write_index(tmp / "lexical", scored, params, [n for _, n in spans], corpus.languages)


def _weighted(doc, start: int, end: int) -> tuple:
    """The text of doc's data-hamming-weight elements within text[start:end], with their weights."""
    return tuple((doc.text[max(a, start) : min(b, end)], w) for a, b, w in doc.weights if a < end and b > start)


def _teacher(run: Run, models: Models, texts, views, fitted, languages: tuple[str, ...]):
    """The teacher's vectors of the passages to encode and of the views, and what it did (encoded, cached).
    With --engine ray a Ray Data job first writes what the cache lacks of these, and of the static encoder's
    words where it is fitted on the passages `fitted`, into the cache, from which they are then read."""
    config, teacher, sha = run.config, models.teacher, models.teacher_sha
    stats: dict = {}
    how = {"stats": stats, **run.teacher_run()}
    filled = None
    if config.engine == "ray":  # the static encoder's words too: one job, one start of the actors
        static = config.meaning != "full" and config.static_init != "centroids"
        words = list(static_words(fitted, languages).values()) if static else []
        with RayTeacher(config.teacher, run.cache, run.device, config.teacher_processes) as ray:
            filled = ray.fill([(texts, "document"), (views, "query"), (words, "query")], teacher, sha,
                              how["backend"], run.progress)
    with shared_pools():  # documents and views: one pool start
        t_docs = embed(texts, teacher, "document", run.cache, sha, run.progress, **how)
        t_views = embed(views, teacher, "query", run.cache, sha, run.progress, **how)
    if filled is not None:  # the job encoded what embed() then read from the cache
        n_docs, n_views, n_words = filled.pop("encoded")
        stats.update(filled, encoded=stats["encoded"] + n_docs + n_views + n_words,
                     cached=stats["cached"] - n_docs - n_views, seconds=stats["seconds"] + filled["seconds"])
    return t_docs, t_views, stats


def _clusters(config, tmp, codes, queries) -> dict | None:
    """clusters.bin and codes/ (hamming_site/builder/output/clusters.py) when the site has clusters_from passages or
    more; the probes are chosen on `queries`, query-like vectors (the views' binarizer values, what both encoders aim
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
