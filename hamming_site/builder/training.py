"""A fresh build's meaning side, trained: the shared query model (or none), then from the teacher's vectors the
binarizer and the codes, the query model composed with it and exported, the static encoder and the vectors the
clusters' probes are chosen on. A reuse makes the same Meaning from the previous site (reuse/records.py's
Previous): build_site takes one or the other, once, and the same path after."""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hamming_site.builder.lexical.tokenize import terms, words
from hamming_site.builder.model.adapt import Adaptation, adapt, compose
from hamming_site.builder.model.binarize import fit_pca_itq, train_binarizer
from hamming_site.builder.model.distill import init_projection, train
from hamming_site.builder.model.export import OnnxEncoder, export_onnx, parity, quantize_weights
from hamming_site.builder.model.meaning import Meaning, ModelFiles
from hamming_site.builder.model.querymodel import QueryModelSpec, query_model
from hamming_site.builder.model.static import TermBags, fit_static
from hamming_site.builder.model.student import Tokenizer, make_student, tokenizer_json, truncate_ids
from hamming_site.builder.model.vocab import choose_tokens, prune_embeddings, prune_tokenizer, trim_positions
from hamming_site.builder.output.codes import pack, rank, write_codes
from hamming_site.builder.output.manifest import display_name
from hamming_site.builder.output.static import write_static
from hamming_site.builder.reuse.records import Plan
from hamming_site.builder.teacher.embed import embed

log = logging.getLogger("hamming_site.builder.build")
PROBE_QUERIES = 2048  # query-like views the clusters' probes are chosen on (kept in rebuild/ for a reuse)


@dataclass
class Models:
    """What the "load models" stage gives: the teacher, its weights' sha256, and the model the student is cut from."""

    teacher: object
    teacher_sha: str
    base: object


@dataclass
class Corpus:
    """The passages as the teacher and the models see them."""

    passages: list
    texts: list[str]  # each passage's model text
    views: list[str]  # query-like views (a fresh build's; a reuse has none), the bridge's last
    hashes: list[str]  # what the teacher encodes for each document (reuse/records.py's document_hashes)
    languages: tuple[str, ...] = ("en",)  # the site's: the static encoder's terms are a query's, in all of them
    bridge: list[str] = field(default_factory=list)  # English texts among the views (config.bridge_texts)


class Training:
    """The meaning side trained on this corpus (the maker build_site takes where no site is reused)."""

    fresh = True  # query-like views are made, and the static encoder's words read from the passages

    def __init__(self, run, models: Models):
        self.run, self.models = run, models
        self.student = self.record = None  # the shared query model and its record (model.json)

    def prepare(self) -> None:
        """The shared query model, distilled once per teacher and shape, then from the cache (or the package)."""
        config, run = self.run.config, self.run
        if config.query_model != "shared" or config.meaning == "lite":
            return
        with run.stage("query model"):
            m, spec = self.models, QueryModelSpec.from_config(config)
            self.student, self.record = query_model(m.teacher, m.teacher_sha, m.base, spec, run.cache, run.progress,
                                                    *run.teacher_run().values(), run.device)

    def plan(self, passages: list, hashes: list[str]) -> Plan:
        """Every passage encoded, none copied: what reuse/records.py's Plan says of a fresh build."""
        return Plan([], list(range(len(passages))), len(hashes), 0)

    def meaning(self, corpus: Corpus, plan, t_docs: np.ndarray, t_views: np.ndarray) -> Meaning:
        """The binarizer and codes (codes.bin written), the query model (model.onnx), the static encoder (meaning/)."""
        config, run = self.run.config, self.run
        with run.stage("binarize"):
            init = fit_pca_itq(t_docs, config.bits, config.seed)
            space, stats = train_binarizer(init, t_docs, t_views, epochs=config.binarizer_epochs, seed=config.seed,
                                           recon_weight=config.recon_weight, progress=run.progress, device=run.device)
            doc_floats = space.project(t_docs)  # documents are coded from the teacher: binarize.py says why
            codes = pack(doc_floats)
            write_codes(run.tmp / "codes.bin", codes, config.bits)
        # none where the static encoder is the site's whole meaning (--meaning lite)
        model = (ModelFiles(None, None, None, None, None) if config.meaning == "lite" else
                 self._model(corpus, t_docs, t_views, space, codes, doc_floats))
        with run.stage("static"):  # the light query encoder: a row per word, fetched per query word
            static = None if config.meaning == "full" else self._static(corpus, t_docs, t_views, space, doc_floats)
        probes = space.project(t_views[:PROBE_QUERIES]) if len(t_views) else None
        record = None if self.record is None else {k: self.record[k] for k in ("key", "source", "cached", "seconds",
                                                                                 "train")}
        return Meaning(space, codes, doc_floats, stats, model, static, probes, record)

    def _model(self, corpus: Corpus, t_docs, t_views, space, codes, doc_floats) -> ModelFiles:
        """The query model: the shared one composed with this corpus's map and adapted (or a student distilled on
        the corpus), its vocabulary pruned, exported to model.onnx and checked."""
        config, run = self.run.config, self.run
        texts, views = corpus.texts, corpus.views
        with run.stage("distill" if config.query_model == "corpus" else "compose"):
            tok_json = tokenizer_json(self.models.base, config.max_length)
            keep = choose_tokens(tok_json, texts + corpus.bridge, config.vocab_size)  # the bridge's words too
            tok_json = prune_tokenizer(tok_json, keep)
            tokenizer = Tokenizer(tok_json, config.max_length)
            if config.query_model == "shared":  # the query model composed with this corpus's map, then adapted
                student, kept = self.student, self.record["layers_kept"]
                compose(student, space, self.record["dim"])
                prune_embeddings(student.encoder, keep)
                trim_positions(student.encoder, config.max_length)
                view_ids = [truncate_ids(ids, config.train_max_length) for ids in tokenizer.ids(views)]
                how = Adaptation(prior=config.refit_prior, views=config.refit_views, rank_epochs=config.rank_epochs,
                                 tune=config.tune_views, batch_size=config.batch_size, lr=config.lr, seed=config.seed,
                                 weight_bits=config.weight_bits)
                train_stats = adapt(student, view_ids, t_views, space, t_docs, doc_floats, how, run.device)
            else:
                student, kept, train_stats = self._distill(keep, tokenizer, corpus, t_views, t_docs, space)
        with run.stage("export"), tempfile.TemporaryDirectory() as work:
            fp32 = Path(work) / "model.fp32.onnx"
            export_onnx(student, fp32)
            quantize_weights(fp32, run.tmp / "model.onnx", config.weight_bits)
            sample = (views or texts)[:32]
            parity_report = parity(student, fp32, run.tmp / "model.onnx", tokenizer, sample, config.weight_bits)
            encoder = OnnxEncoder(run.tmp / "model.onnx", tokenizer)
            fidelity = _fidelity(encoder, space, t_views, t_docs, views, codes, config.bits, config.seed)
        info = {"name": display_name(config.student), "layers": kept, "vocabulary": len(keep)}
        return ModelFiles(tok_json, info, train_stats, parity_report, fidelity)

    def _distill(self, keep, tokenizer, corpus: Corpus, t_views, t_docs, space):
        """Per-corpus distillation (query_model "corpus"): the student trained on this corpus's views and
        documents (cut short) to regress the corpus's map of the teacher's embeddings."""
        config = self.run.config
        student, kept = make_student(self.models.base, config.student_layers, config.bits)
        prune_embeddings(student.encoder, keep)
        trim_positions(student.encoder, config.max_length)
        token_ids = [truncate_ids(ids, config.train_max_length) for ids in tokenizer.ids(corpus.views + corpus.texts)]
        targets = np.concatenate([t_views, t_docs])
        if config.student == config.teacher:  # the student's pooled space is the teacher's
            init_projection(student, space, token_ids[:: max(1, len(token_ids) // 64)][:64])
        else:  # another space, maybe another width: fit the start on 2,048 texts
            pick = np.random.default_rng(config.seed).permutation(len(token_ids))[:2048]
            init_projection(student, space, [token_ids[i] for i in pick], targets[pick])
        stats = train(
            student, token_ids, targets, space,
            epochs=config.epochs, batch_size=config.batch_size, lr=config.lr,
            seed=config.seed, int4_epochs=1 if config.weight_bits == 4 else 0, progress=self.run.progress,
            device=self.run.device,
        )
        return student, kept, stats

    def _static(self, corpus: Corpus, t_docs, t_views, space, doc_floats) -> dict:
        """The static encoder's table fitted on the views and passages, written to meaning/; its manifest entry."""
        config, run, m = self.run.config, self.run, self.models
        bags = TermBags.of(Counter(terms(text, corpus.languages)) for text in corpus.views + corpus.texts)
        targets = np.concatenate([space.project(t_views), doc_floats]) if len(t_views) else doc_floats
        word_values = None
        if config.static_init != "centroids":  # each term's commonest written form, as the teacher reads it alone
            surface = static_words(corpus.texts, corpus.languages)
            vectors = embed(list(surface.values()), m.teacher, "query", run.cache, m.teacher_sha, None,
                            **run.teacher_run())
            word_values = dict(zip(surface, space.project(vectors), strict=True))
        table, stats = fit_static(bags, targets, np.concatenate([t_views, t_docs]), len(t_views),
                                  epochs=config.static_epochs, seed=config.seed, word_values=word_values,
                                  mix=config.static_init, device=run.device)
        log.info("static encoder: %s", stats)
        return write_static(run.tmp, table.terms, table.rows, config.static_bucket_bytes)


def static_words(texts, languages: tuple[str, ...] = ("en",)) -> dict[str, str]:
    """The static encoder's words as the teacher reads them: term -> its commonest written form, terms sorted."""
    forms: dict[str, Counter] = {}
    for text in texts:
        for word in words(text):
            for term in terms(word, languages):  # none for a stop word, else its stems (or CJK bigrams)
                forms.setdefault(term, Counter())[word] += 1
    return {t: forms[t].most_common(1)[0][0] for t in sorted(forms)}


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
