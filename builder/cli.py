"""Command line: argparse -> BuildConfig -> build_site / evaluate. The only module that prints."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from builder import UserError, __version__

_FIDELITY_HELP = "share of the teacher's top 10 that the site's ranking finds, on query-like views"


class _Bars:
    """Stage headers (like pagefind) and one tqdm bar per stage that reports counts."""

    def __init__(self):
        self.bars = {}
        self.t0 = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if total == 0:
            print(f"[{time.perf_counter() - self.t0:6.1f}s] {stage}", file=sys.stderr, flush=True)
            return
        bar = self.bars.get(stage)
        if bar is None or bar.total != total:
            if bar is not None:
                bar.close()
            bar = self.bars[stage] = tqdm(total=total, desc=f"  {stage}", unit="", leave=False, mininterval=0.5)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()
            del self.bars[stage]


def _common(p: argparse.ArgumentParser) -> None:
    # Defaults live in BuildConfig only: an option left out here is left out of the config.
    p.add_argument("-o", "--out", type=Path, help="output folder")
    p.add_argument("--bits", type=int, help="code length, a multiple of 32 from 32 to 1024 (default 256)")
    p.add_argument("--teacher", help="sentence-transformers model name or path")
    p.add_argument("--student", help="model whose layers and tokenizer make the student")
    p.add_argument("--student-layers", type=int, help="transformer layers the student keeps (default 3)")
    p.add_argument("--epochs", type=int, help="student training passes over views and documents (default 2)")
    p.add_argument("--binarizer-epochs", type=int, help="binarizer training passes (default 15)")
    p.add_argument("--vocab-size", type=int, help="word pieces the student keeps (default 14000; 0 = all)")
    p.add_argument("--weight-bits", type=int, choices=(4, 8), help="model weights as int4 (default) or int8")
    p.add_argument("--seed", type=int, help="random seed (same seed, same bytes)")
    p.add_argument("--max-length", type=int, help="token truncation for documents and queries (default 256)")
    p.add_argument("--train-max-length", type=int, help="document truncation while training the student")
    p.add_argument("--fusion-alpha", type=float, help="hybrid: weight of meaning against keywords, 0..1 (default 0.4)")
    p.add_argument("--fusion-depth", type=int, help="hybrid: candidates from each ranking (default 400)")
    p.add_argument("--title-weight", type=int, help="keyword index: times a title word counts (default 3)")
    p.add_argument("--bm25-k1", type=float, help="keyword index: BM25 k1 (default 1.2)")
    p.add_argument("--bm25-b", type=float, help="keyword index: BM25 b (default 0.75)")
    p.add_argument("--chunk-bytes", type=int, help="keyword index: target bytes of a chunk file (default 8192)")
    p.add_argument("--docs-per-shard", type=int, help="documents per docs/NNNN.json file (default 4)")
    p.add_argument("--force", action="store_true", help="replace an OUT folder that build-site did not make")
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage's details")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")


_OPTIONS = ("bits", "teacher", "student", "student_layers", "epochs", "binarizer_epochs", "vocab_size",
            "weight_bits", "seed", "max_length", "train_max_length", "fusion_alpha", "fusion_depth", "title_weight",
            "bm25_k1", "bm25_b", "chunk_bytes", "docs_per_shard")


def _config(args, corpus: Path, out: Path):
    from builder.config import BuildConfig

    fields = {name: getattr(args, name) for name in _OPTIONS if getattr(args, name) is not None}
    return BuildConfig(corpus=corpus, out=out, force=args.force, **fields).validate()


def _run(main) -> int:
    """User mistakes: one sentence, exit 2. SIGTERM unwinds like Ctrl-C, so temporary folders go."""
    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        main()
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the previous site, if any, is unchanged.", file=sys.stderr)
        return 130
    return 0


def _print_summary(report: dict, out: Path) -> None:
    s, b, f = report["seconds"], report["bytes"], report["fidelity"]
    print(f"\nBuilt {out}/ in {s['total']:.1f} s")
    print(f"  documents        {report['documents']:>12,}")
    print(f"  bits             {report['bits']:>12,}   ({report['bits'] // 8} bytes a document)")
    print(f"  model.onnx       {b['model']:>12,} bytes")
    print(f"  codes.bin        {b['codes']:>12,} bytes")
    print(f"  keyword index    {b['lexical']:>12,} bytes   (lexical/: a query fetches only its words' chunks)")
    print(f"  site total       {b['site']:>12,} bytes")
    print("  stages           " + ", ".join(f"{k} {v:.1f}s" for k, v in s.items() if k != "total"))
    speed = report["teacher_texts_per_second"]
    print(f"  teacher          {f'{speed:,.1f} texts/s' if speed else 'all embeddings from the cache':>12}")
    p = report["parity"]["torch_vs_quantized"]
    print(f"  int{report['weight_bits']} parity      min cosine {p['min_cosine']:.4f}, "
          f"bit agreement {p['bit_agreement']:.4f}")
    if f.get("teacher_top10_overlap") is not None:
        print(f"  fidelity         {f['teacher_top10_overlap']:.3f}   ({_FIDELITY_HELP})")
        print(f"  query bits       {f['query_bit_agreement']:.3f}   (student's query bits equal to the teacher's)")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for noisy in ("sentence_transformers", "transformers", "onnxruntime"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


def build_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="build-site", description="Build a static semantic-search site from a corpus.")
    p.add_argument("corpus", type=Path, help=".txt (one document per line) or .jsonl (text, id, title, url)")
    _common(p)
    p.add_argument("--serve", action="store_true", help="preview the built site on http://127.0.0.1:8000/")
    args = p.parse_args(argv)
    _setup_logging(args.verbose)

    def main():
        from builder.build import build_site

        config = _config(args, args.corpus, args.out or Path("site"))
        result = build_site(config, progress=_Bars())
        _print_summary(result.report, config.out)
        if args.serve:
            _serve(config.out)

    return _run(main)


def _serve(folder: Path, port: int = 8000) -> None:
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        print(f"Serving {folder}/ at http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        httpd.serve_forever()


def eval_main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="site-eval", description="Build a site from a BEIR folder and score it.")
    p.add_argument("beir_dir", type=Path, help="folder with corpus.jsonl[.gz], queries.jsonl, qrels/<split>.tsv")
    _common(p)
    p.add_argument("--split", default="test", help="qrels split to score (default test)")
    p.add_argument("--rerank-depth", type=int, default=100, help="Hamming candidates re-scored with floats")
    p.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = p.parse_args(argv)
    _setup_logging(args.verbose)

    def main():
        import json

        from builder.evaluate import evaluate, find_corpus

        corpus = find_corpus(args.beir_dir)
        config = _config(args, corpus, args.out or Path("unused"))
        result = evaluate(args.beir_dir, config, args.split, args.rerank_depth, out=args.out, progress=_Bars())
        text = json.dumps(result, indent=1)
        if args.json:
            args.json.write_text(text + "\n")
        print(text)

    return _run(main)
