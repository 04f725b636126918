"""site-eval: build a site from a BEIR folder and score its queries exactly as the page ranks them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from hamming_site.builder import UserError, __version__
from hamming_site.builder.config import BuildConfig
from hamming_site.builder.input.corpus import read_corpus
from hamming_site.builder.output.codes import rank
from hamming_site.builder.search.rank import SiteRanker, by_document
from hamming_site.builder.teacher.embed import embed
from hamming_site.builder.teacher.load import fingerprint, load_teacher

DEPTH = 100  # how many results each run keeps (recall@100)


def find_corpus(beir_dir: Path) -> Path:
    for name in ("corpus.jsonl", "corpus.jsonl.gz"):
        if (Path(beir_dir) / name).exists():
            return Path(beir_dir) / name
    raise UserError(f"{beir_dir}: no corpus.jsonl or corpus.jsonl.gz; give a folder in BEIR layout.")


def load_queries(beir_dir: Path) -> dict[str, str]:
    path = Path(beir_dir) / "queries.jsonl"
    if not path.exists():
        raise UserError(f"{path}: no such file.")
    return {d.id: d.model_text() for d in read_corpus(path)}


def load_qrels(beir_dir: Path, split: str) -> dict[str, dict[str, int]]:
    path = Path(beir_dir) / "qrels" / f"{split}.tsv"
    if not path.exists():
        raise UserError(f"{path}: no such file; choose another --split.")
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        cols = line.split("\t")
        if number == 1 and cols[0] == "query-id" or not line.strip():
            continue
        if len(cols) < 3 or not cols[2].strip().lstrip("-").isdigit():
            raise UserError(f"{path}:{number}: expected query-id, corpus-id and an integer score.")
        qrels.setdefault(cols[0], {})[cols[1]] = int(cols[2])
    return qrels


def _metrics(run: dict[str, dict[str, float]], qrels: dict[str, dict[str, int]]) -> tuple[float, float]:
    import pytrec_eval

    scores = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"}).evaluate(run)
    per_query = [scores.get(q, {"ndcg_cut_10": 0.0, "recall_100": 0.0}) for q in qrels]
    return (
        float(np.mean([s["ndcg_cut_10"] for s in per_query])),
        float(np.mean([s["recall_100"] for s in per_query])),
    )


def _ranked(ids: list[str], order) -> dict[str, float]:
    """A pytrec_eval run entry: rank order expressed as descending scores."""
    return {ids[i]: float(len(order) - r) for r, i in enumerate(order)}


def _top(scores: np.ndarray, k: int) -> list[int]:
    return np.lexsort((np.arange(len(scores)), -scores))[:k].tolist()


def _best_rows(ranker: SiteRanker, rows) -> list[int]:
    """Documents in the order of their best row (passage), the first DEPTH."""
    return [r["index"] for r in by_document([(int(i), 0.0, None) for i in rows], ranker.row_doc, DEPTH)]


def _orders(ranker: SiteRanker, query, unit_docs: np.ndarray) -> dict[str, list[int]]:
    """Each ranking site-eval scores, as document indices best first."""
    docs = lambda mode: [r["index"] for r in ranker.results(query, DEPTH, mode)]
    out = {"bm25": docs("lexical")}
    if ranker.encoder is not None:
        q, dist = query.q, query.dist
        out["hybrid"], out["hamming_rerank"] = docs("hybrid"), docs("semantic")
        out["hamming"] = _best_rows(ranker, np.lexsort((np.arange(len(dist)), dist)))
        out["student_float"] = _best_rows(ranker, _top(unit_docs @ q, len(unit_docs)))
    if ranker.static is not None:
        out["lite"], out["hybrid_lite"] = docs("lite"), docs("hybrid-lite")
    return out


def _probed_recall(ranker: SiteRanker, q: np.ndarray, dist: np.ndarray, light: bool) -> float:
    """Share of the exhaustive Hamming + rerank top 10 that the page's search finds (1 where it scans it all)."""
    exact = {r[0] for r in rank(q, ranker.codes, ranker.bits, 10, ranker.rerank_depth, dist)}
    return len(exact & {r[0] for r in ranker.meaning(q, dist, 10, light)}) / max(1, len(exact))


def _walk(node, prefix: str = ""):
    """(relative name, file) for every file under an importlib.resources folder, sorted, at any depth."""
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        if child.is_dir():
            yield from _walk(child, f"{prefix}{child.name}/")
        elif child.is_file():
            yield f"{prefix}{child.name}", child


def _code_digest() -> str:
    """The builder's own code and page template, at every depth and wherever they are installed: a site built
    by other code is not reused (a version number alone missed changes between releases, and benchmarks then
    scored a stale site)."""
    from importlib import resources

    h = hashlib.sha256(__version__.encode())
    for name, entry in _walk(resources.files("hamming_site")):  # the page's files are in it too (hamming_site/web)
        if name.endswith((".py", ".j2", ".js", ".css", ".wat", ".json")):
            h.update(f"hamming_site/{name}".encode() + b"\0" + entry.read_bytes())
    return h.hexdigest()


def _cache_key(corpus: Path, config: BuildConfig) -> str:
    h = hashlib.sha256(Path(corpus).read_bytes())
    h.update(json.dumps({**config.options(), "code": _code_digest()}, sort_keys=True).encode())
    return h.hexdigest()[:24]


def _site(beir_dir, config: BuildConfig, out: Path | None, progress) -> tuple[Path, np.ndarray, float]:
    """The built site and its documents' float projections, rebuilt only when an option changed."""
    from hamming_site.builder.build import build_site

    corpus = find_corpus(beir_dir)
    key_dir = config.resolved_cache_dir() / "eval" / f"{Path(beir_dir).name}-{_cache_key(corpus, config)}"
    out = Path(out) if out else key_dir / "site"
    floats_file = key_dir / "doc_floats.f32"
    meta_file = key_dir / "build.json"
    if (out / "manifest.json").exists() and floats_file.exists() and meta_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta.get("out") == str(out.resolve()):
            floats = np.fromfile(floats_file, dtype="<f4").reshape(meta["count"], meta["bits"])
            return out, floats, meta["seconds"]
    # retrain: the scores are of a model trained for this set, never of one reused from a site at OUT
    result = build_site(dataclasses.replace(config, corpus=corpus, out=out, force=True, retrain=True), progress)
    key_dir.mkdir(parents=True, exist_ok=True)
    result.doc_floats.astype("<f4").tofile(floats_file)
    seconds = result.report["seconds"]["total"]
    meta = {"out": str(out.resolve()), "count": len(result.doc_floats), "bits": config.bits, "seconds": seconds}
    meta_file.write_text(json.dumps(meta))
    return out, result.doc_floats, seconds


def evaluate(beir_dir: Path, config: BuildConfig, split: str, rerank_depth: int, out: Path | None = None,
             progress=None) -> dict:
    beir_dir = Path(beir_dir)
    qrels = load_qrels(beir_dir, split)
    queries = load_queries(beir_dir)
    missing = [q for q in qrels if q not in queries]
    if missing:
        raise UserError(f"{beir_dir}/qrels/{split}.tsv names query {missing[0]!r}, absent from queries.jsonl.")
    order = {q: i for i, q in enumerate(queries)}
    qids = sorted(qrels, key=order.__getitem__)
    site, doc_floats, build_seconds = _site(beir_dir, config, out, progress)
    manifest = json.loads((site / "manifest.json").read_text())
    docs = read_corpus(find_corpus(beir_dir))
    ids = [d.id for d in docs]

    cache = config.resolved_cache_dir()
    # the teacher the site was built with (an auto one chosen by the site's languages, as the build chose it)
    config = config.for_languages(json.loads((site / "report.json").read_text())["languages"])
    teacher = load_teacher(config.teacher, cache)
    sha = fingerprint(teacher)
    run = {"backend": config.teacher_backend, "processes": config.teacher_processes}
    t_docs = embed([d.model_text() for d in docs], teacher, "document", cache, sha, progress, **run)
    t_queries = embed([queries[q] for q in qids], teacher, "query", cache, sha, progress, **run)

    ranker = SiteRanker(site, rerank_depth)
    unit_docs = doc_floats / np.maximum(np.linalg.norm(doc_floats, axis=1, keepdims=True), 1e-12)
    full = ranker.encoder is not None  # a --meaning lite site has no transformer
    names = ("teacher", "bm25") + (("student_float", "hamming", "hamming_rerank", "hybrid") if full else ())
    names += ("lite", "hybrid_lite") if ranker.static is not None else ()
    runs: dict[str, dict] = {name: {} for name in names}
    latency = []
    recall: dict[str, list[float]] = {"hamming_rerank": [], "lite": []}  # probed against exhaustive, top 10
    for n, (qid, t_q) in enumerate(zip(qids, t_queries, strict=True)):
        t0 = time.perf_counter()
        query = ranker.query(queries[qid])
        ranker.results(query, DEPTH)  # the page's default ranking: what the latency is of
        latency.append((time.perf_counter() - t0) * 1000)
        for name, order in _orders(ranker, query, unit_docs).items():
            runs[name][qid] = _ranked(ids, order)
        runs["teacher"][qid] = _ranked(ids, _top(t_docs @ t_q, DEPTH))
        if ranker.clusters:
            if full:
                recall["hamming_rerank"].append(_probed_recall(ranker, query.q, query.dist, light=False))
            if query.lite is not None:
                recall["lite"].append(_probed_recall(ranker, query.lite, query.lite_dist, light=True))
        if progress:
            progress("queries", n + 1, len(qids))
    figures = {name: _metrics(run, qrels) for name, run in runs.items()}
    ndcg = {k: round(v[0], 4) for k, v in figures.items()}
    report = json.loads((site / "report.json").read_text()) if (site / "report.json").exists() else {}
    return {
        "dataset": beir_dir.name,
        "docs": len(docs),
        "passages": len(ranker.codes),
        "queries": len(qids),
        "bits": ranker.bits,
        "ndcg@10": ndcg,
        "recall@100": {k: round(v[1], 4) for k, v in figures.items()},
        "relative_ndcg@10": {k: round(v / ndcg["teacher"], 4) if ndcg["teacher"] else None for k, v in ndcg.items()},
        "bytes": {
            "model": manifest["model"]["bytes"] if manifest["model"] else 0,
            "codes": manifest["codes"]["bytes"],
            "site": report.get("bytes", {}).get("site", 0),
        },
        "seconds": {"build": build_seconds, "query_p50_ms": round(float(np.median(latency)), 2)},
        "split": split,
        "rerank_depth": rerank_depth,
        "fusion": manifest["fusion"],
        # codes by cluster: the probed ranking's top 10 against the exhaustive scan's, per encoder (None: one file)
        "clusters": {**{k: v for k, v in manifest["clusters"].items() if k != "centroids"},
                     "probed_recall@10": {k: round(float(np.mean(v)), 4) for k, v in recall.items() if v}}
        if manifest.get("clusters") else None,
        "lexical": {"bytes": manifest["lexical"]["bytes"], "chunks": len(manifest["lexical"]["chunks"]),
                    "bm25": manifest["lexical"]["bm25"]},
    }
