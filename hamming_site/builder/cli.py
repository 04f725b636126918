"""Command line: argparse -> BuildConfig -> build_site / evaluate. The only module that prints."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from hamming_site.builder import UserError, __version__

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


_TYPES = {"int": int, "float": float, "str": str, "Path | None": Path, "Path": Path}
_NOT_OPTIONS = {"corpus", "out"}  # the positional argument and -o, named here by hand


def _field_help() -> dict[str, str]:
    """Each BuildConfig field's comment: the one description of an option, shown by --help."""
    import inspect
    import re

    from hamming_site.builder.config import BuildConfig

    source = inspect.getsource(BuildConfig)
    described = {m[1]: m[2].strip() for m in re.finditer(r"^    (\w+): [^=#\n]+(?:=[^#\n]*)?#(.*)$", source, re.M)}
    # comment lines right above a field: its description was too long for one line
    for m in re.finditer(r"^((?:    #.*\n)+)    (\w+): [^#\n]*$", source, re.M):
        described.setdefault(m[2], " ".join(line.strip()[1:].strip() for line in m[1].splitlines()))
    return {name: text.replace("%", "%%") for name, text in described.items()}  # argparse formats help with %


def _common(p: argparse.ArgumentParser, skip: frozenset = frozenset()) -> None:
    """The options, one per BuildConfig field, named, typed and described by the field itself. Defaults live in
    BuildConfig only: an option left out on the command line is left out of the config."""
    from dataclasses import MISSING, fields

    from hamming_site.builder.config import BuildConfig

    p.add_argument("-o", "--out", type=Path, help="the site folder (default: FOLDER/hamming/ for a folder, else site/)")
    described = _field_help()
    for f in fields(BuildConfig):
        if f.name in _NOT_OPTIONS or f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        default = "" if f.default in (MISSING, None, "") else f" (default {f.default})"
        if f.type == "bool":
            p.add_argument(flag, dest=f.name, action="store_true", default=None, help=described.get(f.name))
        else:
            p.add_argument(flag, dest=f.name, type=_TYPES[f.type], help=described.get(f.name, "") + default)
    p.add_argument("-v", "--verbose", action="store_true", help="log each stage's details")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")


def _config(args, corpus: Path, out: Path | None):
    from dataclasses import fields

    from hamming_site.builder.config import BuildConfig
    from hamming_site.builder.options import config_from

    return config_from(corpus, out, {f.name: getattr(args, f.name) for f in fields(BuildConfig)
                                     if f.name not in _NOT_OPTIONS and getattr(args, f.name, None) is not None})


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
    s, b, f = report["seconds"], report["bytes"], report["fidelity"] or {}
    print(f"\nBuilt {out}/ in {s['total']:.1f} s")
    print(f"  documents        {report['documents']:>12,}")
    print(f"  passages         {report['passages']:>12,}   (code rows: long documents split at headings and length)")
    if report.get("skipped"):
        from hamming_site.builder.input.folder import describe_skips

        print(f"  pages skipped    {sum(report['skipped'].values()):>12,}   ({describe_skips(report['skipped'])})")
    print(f"  bits             {report['bits']:>12,}   ({report['bits'] // 8} bytes a document)")
    encoded = report.get("encoded")
    if encoded and encoded["reused"]:
        print(f"  encoded          {encoded['documents']:>12,}   documents new or changed; "
              f"{encoded['reused']:,} reused (their codes copied, and the previous site's model)")
    if b["model"]:
        print(f"  model.onnx       {b['model']:>12,} bytes")
    else:
        print("  model.onnx       none (--meaning lite: the static encoder is the site's meaning)")
    print(f"  codes.bin        {b['codes']:>12,} bytes")
    print(f"  keyword index    {b['lexical']:>12,} bytes   (lexical/: a query fetches only its words' chunks)")
    if report.get("static"):
        words = report["static"]["terms"]
        print(f"  static encoder   {report['static']['bytes']:>12,} bytes   (meaning/: {words:,} words, a query "
              f"fetches its words' rows)")
    if report.get("clusters"):
        c = report["clusters"]
        print(f"  codes by cluster {c['count']:>12,} clusters (a query fetches {c['probes']}: {c['recall']:.0%} of the "
              f"exhaustive top 10 on query-like views)")
    print(f"  site total       {b['site']:>12,} bytes")
    off = report.get("offline")
    print(f"  offline copy     {off['gzip']:>12,} bytes gzip ({off['files']:,} files a visitor keeps once a ranking "
          f"with meaning is shown)" if off else "  offline copy     none (--offline off)")
    print("  stages           " + ", ".join(f"{k} {v:.1f}s" for k, v in s.items() if k != "total"))
    speed = report["teacher_texts_per_second"]
    print(f"  teacher          {f'{speed:,.1f} texts/s' if speed else 'all embeddings from the cache':>12}")
    p = (report.get("parity") or {}).get("torch_vs_quantized")
    if p:
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


def build_parser() -> argparse.ArgumentParser:
    """build-site's options (the docs' options page is written from it: tools/options_page.py)."""
    p = argparse.ArgumentParser(prog="build-site", description="Build a static semantic-search site from a corpus.")
    p.add_argument("corpus", type=Path, help=".txt (one document per line), .jsonl (text, id, title, url), or a folder "
                   "of .html pages (a built site) or .md files")
    _common(p)
    p.add_argument("--serve", action="store_true", help="preview the built site on http://127.0.0.1:8000/")
    return p


def build_main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)

    def main():
        from hamming_site.builder.build import build_site

        config = _config(args, args.corpus, args.out)
        result = build_site(config, progress=_Bars())
        _print_summary(result.report, config.site_folder())
        if args.serve:
            _serve(config.site_folder())

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
    _common(p, skip=frozenset({"model_from", "retrain"}))  # it scores a model trained for the set, never a reused one
    p.add_argument("--split", default="test", help="qrels split to score (default test)")
    p.add_argument("--rerank-depth", type=int, default=100, help="Hamming candidates re-scored with floats")
    p.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = p.parse_args(argv)
    _setup_logging(args.verbose)

    def main():
        import json

        from hamming_site.builder.evaluate import evaluate, find_corpus

        corpus = find_corpus(args.beir_dir)
        config = _config(args, corpus, args.out)
        result = evaluate(args.beir_dir, config, args.split, args.rerank_depth, out=args.out, progress=_Bars())
        text = json.dumps(result, indent=1)
        if args.json:
            args.json.write_text(text + "\n")
        print(text)

    return _run(main)
