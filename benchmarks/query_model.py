"""The shared query model against a built site: composed as is, or its projection refitted on the corpus.

    site-eval ../shared/data/cranfield -o /tmp/cran            # any default build (its rebuild/ holds the map)
    python benchmarks/query_model.py ../shared/data/cranfield /tmp/cran --split test [--priors 256] [--tune 2048]

Queries are encoded by the torch student (float weights, no int4 export) and ranked as the page ranks them
(Hamming top 100 + rerank over the site's codes.bin, documents by their best passage), so variants differ only
in the query model. Teacher embeddings of the views come from the cache (the site's build made them).
Writes benchmarks/results/query-model-<dataset>-<split>.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
import torch

from hamming_site.builder.config import BuildConfig
from hamming_site.builder.evaluate import _metrics, _ranked, find_corpus, load_qrels, load_queries
from hamming_site.builder.input import read_input
from hamming_site.builder.input.passages import split_passages
from hamming_site.builder.model.adapt import compose, refit
from hamming_site.builder.model.distill import query_views, train
from hamming_site.builder.model.querymodel import QueryModelSpec, query_model
from hamming_site.builder.model.student import Tokenizer, pad_batch, tokenizer_json, truncate_ids
from hamming_site.builder.output.codes import rank, read_codes
from hamming_site.builder.output.names import site_path
from hamming_site.builder.reuse.records import load
from hamming_site.builder.search.rank import by_document
from hamming_site.builder.teacher.embed import embed
from hamming_site.builder.teacher.load import fingerprint, load_teacher

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("beir", type=Path)
    ap.add_argument("site", type=Path)
    ap.add_argument("--split", default="test")
    ap.add_argument("--priors", nargs="*", type=float, default=[4096, 1024, 256, 64, 16])
    ap.add_argument("--tune", nargs="*", type=int, default=[], help="then fine-tune the whole student one pass "
                    "over this many views, from the refit at --tune-prior")
    ap.add_argument("--tune-prior", type=float, default=256)
    args = ap.parse_args()
    config = BuildConfig(corpus=find_corpus(args.beir)).for_languages({"en": 1})  # the BEIR sets are English
    cache = config.resolved_cache_dir()
    teacher = load_teacher(config.teacher, cache)
    sha = fingerprint(teacher)
    space = load(args.site, explicit=True).binarizer
    codes, bits = read_codes(site_path(args.site, "codes.bin"))
    row_doc = np.frombuffer(site_path(args.site, "passages.bin").read_bytes(), "<u4")

    docs, _ = read_input(config.corpus, "", False, None)
    length = min(config.max_length, teacher.max_seq_length)
    passages = split_passages(docs, teacher[0].tokenizer.backend_tokenizer, length, min(config.overlap, length // 4))
    texts = [p.model_text(docs[p.doc]) for p in passages]
    views = query_views(texts, config.views_per_doc, config.seed, config.max_views)
    t_views = embed(views, teacher, "query", cache, sha)
    tokenizer = Tokenizer(tokenizer_json(teacher, config.max_length), config.max_length)
    view_ids = [truncate_ids(i, config.train_max_length) for i in tokenizer.ids(views)]

    qrels, queries = load_qrels(args.beir, args.split), load_queries(args.beir)
    qids = [q for q in queries if q in qrels]
    q_ids = tokenizer.ids([queries[q] for q in qids])
    ids = [d.id for d in docs]

    def score(student) -> float:
        run = {}
        with torch.no_grad():
            for qid, one in zip(qids, q_ids, strict=True):
                q = student(*(torch.from_numpy(a) for a in pad_batch([one])))[0].numpy()
                rows = [(i, s, d) for i, d, s in rank(q, codes, bits, 400, 100)]  # as SiteRanker's semantic
                run[qid] = _ranked(ids, [r["index"] for r in by_document(rows, row_doc, 100)])
        return round(_metrics(run, qrels)[0], 4)

    figures = {"dataset": args.beir.name, "split": args.split, "views": len(views), "hamming_rerank": {}}
    student, record = query_model(teacher, sha, teacher, QueryModelSpec.from_config(config), cache)
    compose(student, space, record["dim"])
    base_state = {k: v.clone() for k, v in student.proj.state_dict().items()}
    figures["hamming_rerank"]["composed"] = score(student)
    print(figures, flush=True)
    targets = space.project(t_views)
    for prior in args.priors:
        student.proj.load_state_dict(base_state)
        fit = refit(student, view_ids, targets, prior)
        figures["hamming_rerank"][f"refit prior {prior}"] = score(student)
        figures.setdefault("refit", {})[str(prior)] = fit
        print(figures, flush=True)
    for n in args.tune:
        tuned = copy.deepcopy(student)
        tuned.proj.load_state_dict(base_state)
        refit(tuned, view_ids, targets, args.tune_prior)
        pick = np.random.default_rng(config.seed).permutation(len(view_ids))[:n]
        t0 = time.perf_counter()
        train(tuned, [view_ids[i] for i in pick], t_views[pick], space, epochs=1, batch_size=config.batch_size,
              lr=config.lr, seed=config.seed)
        figures.setdefault("tune_seconds", {})[n] = round(time.perf_counter() - t0, 1)
        figures["hamming_rerank"][f"refit {args.tune_prior} + tune {n} views"] = score(tuned)
        print(figures, flush=True)
    (RESULTS / f"query-model-{args.beir.name}-{args.split}.json").write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
