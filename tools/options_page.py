"""Writes docs/options.md, the reference of every build-site option, from build-site's own parser (whose
descriptions are BuildConfig's field comments: one source) and the reuse policy (which options a --model-from
rebuild may change). tests/test_options_page.py checks that the page is this script's output.

    python tools/options_page.py            # rewrite docs/options.md
"""

from __future__ import annotations

import sys
from pathlib import Path

from hamming_site.builder.cli import build_parser
from hamming_site.builder.reuse.policy import FREE_OPTIONS, MODEL_OPTIONS

PAGE = Path(__file__).resolve().parent.parent / "docs" / "options.md"
# each option's group, in the page's order (a new option fails the test until it is placed here)
GROUPS = {
    "Input": ["corpus", "out", "language", "overlap", "strings"],
    "Model (meaning)": ["bits", "teacher", "teacher_backend", "student", "student_layers", "query_model", "query_texts",
                        "query_epochs", "refit_prior", "refit_views", "rank_epochs", "tune_views", "meaning",
                        "static_epochs", "static_init", "static_bucket_bytes", "epochs", "binarizer_epochs",
                        "batch_size", "lr", "recon_weight", "vocab_size", "weight_bits", "max_length",
                        "train_max_length", "views_per_doc", "max_views", "bridge_texts", "seed"],
    "Index (keywords, codes, fusion)": ["bm25_k1", "bm25_b", "title_weight", "chunk_bytes", "cluster_rows",
                                        "clusters_from", "sign_centroids_from", "transformer_codes", "fusion_alpha",
                                        "fusion_depth", "fusion_across"],
    "Page": ["base_url", "pretty_urls", "docs_per_shard", "offline"],
    "Build engine": ["teacher_processes", "device", "engine", "cache_dir", "model_from", "retrain", "force", "verbose",
                     "serve", "version", "help"],
}


def options() -> dict[str, tuple[str, str]]:
    """dest -> (flags, help) of every build-site option and argument."""
    out = {}
    for action in build_parser()._actions:
        flags = ", ".join(f"`{f}`" for f in action.option_strings) or f"`{action.dest.upper()}`"
        out[action.dest] = (flags, (action.help or "").replace("%%", "%"))
    return out


def reuse(dest: str) -> str:
    if dest in MODEL_OPTIONS:
        return "retrains"
    return "free" if dest in FREE_OPTIONS else ""


def page() -> str:
    known = options()
    placed = [d for group in GROUPS.values() for d in group]
    missing = sorted(set(known) - set(placed))
    if missing:
        raise SystemExit(f"tools/options_page.py: place these options in a group: {', '.join(missing)}")
    lines = ["# Options", "",
             "Every option of `build-site` (and of `site-eval`, which takes the same), written from the command's own",
             "help by `python tools/options_page.py`: each description is the comment of its `BuildConfig` field.",
             "The plugins take the same options with underscores",
             "(`plugins: [search, {hamming: {options: {bits: 256}}}]`, `hamming_options = {\"bits\": 256}` in Sphinx's",
             "conf.py).", "",
             "## What a rebuild may change", "",
             "`build-site NEW -o SITE --model-from OLD` reuses OLD's model and encodes only new or",
             "changed documents. An option marked *retrains* shaped the model: a rebuild that changes it trains",
             "afresh. One marked *free* a rebuild may change at no cost (it rebuilds that part anyway). The others say",
             "where and how a build runs, never what it makes.", ""]
    for group, dests in GROUPS.items():
        lines += [f"## {group}", "", "| option | what it does | rebuild |", "| --- | --- | --- |"]
        for dest in dests:
            flags, text = known[dest]
            lines.append(f"| {flags} | {text.replace('|', '&#124;')} | {reuse(dest)} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    PAGE.write_text(page(), encoding="utf-8")
    print(f"wrote {PAGE}", file=sys.stderr)
