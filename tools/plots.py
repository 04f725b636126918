"""Writes the plots of docs/benchmarks.md as SVG into docs/img/, from the result files in benchmarks/results/:

    pip install -e ".[docs]"     # matplotlib
    python tools/plots.py        # docs/img/ranking-quality-vs-bytes.svg, time-to-first-list.svg, build-stages.svg

- ranking-quality-vs-bytes.svg: SciFact test, nDCG@10 of each ranking the page shows against the KB (gzip) a cold visit
  fetches before that ranking's first list (site-eval-scifact-as-you-type.json, browser-scifact-as-you-type.json;
  the transformer's tier: the page until ready in browser-scifact-lite.json, the last run made before the page
  began keeping its offline copy, which now follows ready and would be counted with it).
- time-to-first-list.svg: navigation to the first keyword list, the first hybrid-lite list and the transformer
  ready, in headless Chromium, cold cache, for SciFact and the three big real sites (browser-*.json).
- build-stages.svg: a real site's build, seconds per stage, cold and with the teacher's embeddings cached
  (site-folder-*.json; where a cold build's stages are only in docs/benchmarks.md, the table COLD below).

The output is deterministic (no date, a fixed hash salt, text kept as text), so an unchanged result file gives an
unchanged SVG.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
OUT = ROOT / "docs" / "img"
SAVE = {"format": "svg", "metadata": {"Date": None}}
matplotlib.rcParams.update({"svg.hashsalt": "hamming-site", "svg.fonttype": "none", "font.size": 9,
                            "axes.spines.top": False, "axes.spines.right": False})

# The cold builds of PostgreSQL's and SciPy's documentation, whose site-folder-*.json hold the later rebuild with the
# embeddings cached: docs/benchmarks.md, "Big real sites, end to end" (the rows "build, cold cache" and "slowest
# other stages"). Seconds; "other" is the total less the stages named.
COLD = {
    "PostgreSQL": {"total": 298.6, "teacher": 229.2, "static": 37.2, "compose": 8.4, "binarize": 6.8},
    "SciPy": {"total": 412.5, "teacher": 330.9, "static": 46.8, "compose": 11.5, "binarize": 6.9},
}
STAGES = ["teacher", "static", "compose", "binarize", "other"]
COLOURS = {"teacher": "#4c72b0", "static": "#dd8452", "compose": "#55a868", "binarize": "#c44e52",
           "other": "#8c8c8c"}
SITES = [("SciFact", "browser-scifact-as-you-type.json"), ("GNU Octave", "browser-octave-docs.json"),
         ("PostgreSQL", "browser-postgresql-docs.json"), ("SciPy", "browser-scipy-docs.json")]


def load(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


def half_up(x: float) -> str:
    """one decimal, halves up (132.25 KB reads 132.3, as docs/benchmarks.md writes it)"""
    return str(Decimal(str(x)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def quality_vs_bytes() -> plt.Figure:
    quality = load("site-eval-scifact-as-you-type.json")["ndcg@10"]
    page = load("browser-scifact-as-you-type.json")
    kb = {"lexical": page["before_first_result"]["bytes_gzip"] / 1000,
          "hybrid-lite": page["before_first_hybrid_lite"]["bytes_gzip"] / 1000,
          "hybrid": load("browser-scifact-lite.json")["whole_page"]["bytes_gzip"] / 1000}
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    shown = [("lexical", "bm25", "keyword list (BM25)"),
             ("hybrid-lite", "hybrid_lite", "hybrid-lite (static encoder + keywords)"),
             ("hybrid", "hybrid", "hybrid (the Transformer + keywords)")]
    ax.plot([kb[t] for t, _, _ in shown], [quality[k] for _, k, _ in shown], "-", color="#bbbbbb", zorder=1)
    for (tier, key, label), colour in zip(shown, ("#4c72b0", "#55a868", "#c44e52"), strict=True):
        ax.scatter([kb[tier]], [quality[key]], s=45, color=colour, zorder=3, label=label)
        size = f"{kb[tier] / 1000:.2f} MB" if kb[tier] >= 1000 else f"{half_up(kb[tier])} KB"
        ax.annotate(f"{quality[key]:.4f}\n{size}", (kb[tier], quality[key]), textcoords="offset points",
                    xytext=(6, -22), fontsize=8)
    alone = [("hybrid-lite", "lite", "meaning alone: static encoder (lite)"),
             ("hybrid", "hamming_rerank", "meaning alone: the Transformer (semantic)")]
    for (tier, key, label), colour in zip(alone, ("#55a868", "#c44e52"), strict=True):
        ax.scatter([kb[tier]], [quality[key]], s=45, facecolors="none", edgecolors=colour, zorder=3, label=label)
    ax.axhline(quality["teacher"], color="#8c8c8c", ls="--", lw=1,
               label=f"the teacher's float embeddings ({quality['teacher']:.4f}; not shipped)")
    ax.set_xscale("log")
    ax.set_xlim(60, 30000)
    ax.set_ylim(0.55, 0.76)
    ax.set_xlabel("KB (gzip) fetched before the ranking's first list, cold cache")
    ax.set_ylabel("nDCG@10, SciFact test (300 queries)")
    ax.legend(fontsize=7, loc="lower right", frameon=False)
    ax.grid(alpha=0.3, which="both", lw=0.5)
    return fig


def time_to_first_list() -> plt.Figure:
    tiers = [("navigation_to_first_result_ms", "first keyword list", "#4c72b0"),
             ("navigation_to_first_hybrid_lite_ms", "first hybrid-lite list", "#55a868"),
             ("navigation_to_ready_ms", "the Transformer ready (hybrid)", "#c44e52")]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    width = 0.26
    for i, (_, name) in enumerate(SITES):
        page = load(name)
        kb = [page["before_first_result"]["bytes_gzip"] / 1000, page["before_first_hybrid_lite"]["bytes_gzip"] / 1000]
        for j, (key, label, colour) in enumerate(tiers):
            x = i + (j - 1) * width
            ax.bar([x], [page[key]], width, color=colour, label=label if i == 0 else None)
            note = f"{page[key]:,.0f}" + (f"\n{kb[j]:.0f} KB" if j < 2 else "")
            ax.annotate(note, (x, page[key]), textcoords="offset points", xytext=(0, 2), ha="center", fontsize=6.5)
    ax.set_xticks(range(len(SITES)), [s for s, _ in SITES])
    ax.set_ylabel("ms after navigation (headless Chromium, cold)")
    ax.set_ylim(0, 1900)
    ax.legend(fontsize=7, loc="upper left", frameon=False, ncols=3)
    ax.grid(axis="y", alpha=0.3, lw=0.5)
    return fig


def grouped(seconds: dict) -> dict:
    """a build's stage seconds in the plot's groups: the four slowest by name, every other stage as "other" """
    named = {s: seconds.get(s, 0.0) for s in STAGES[:-1]}
    return {**named, "other": seconds["total"] - sum(named.values())}


def build_stages() -> plt.Figure:
    octave = load("site-folder-octave.json")
    bars = [("GNU Octave (2,863 pages), cold", grouped(octave["build_seconds"]))]
    for site, name in (("PostgreSQL", "site-folder-postgresql.json"), ("SciPy", "site-folder-scipy.json")):
        pages = f"{load(name)['documents']:,} pages"
        bars.append((f"{site} ({pages}), cold", grouped(COLD[site])))
        bars.append((f"{site}, embeddings cached", grouped(load(name)["build_seconds"])))
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    for y, (_, parts) in enumerate(reversed(bars)):
        left = 0.0
        for stage in STAGES:
            ax.barh([y], [parts[stage]], left=left, color=COLOURS[stage], height=0.6,
                    label=stage if y == 0 else None)
            left += parts[stage]
        ax.annotate(f"{left:.1f} s", (left, y), textcoords="offset points", xytext=(4, -3), fontsize=7)
    ax.set_yticks(range(len(bars)), [label for label, _ in reversed(bars)], fontsize=7.5)
    ax.set_xlabel("seconds on 2 cores")
    ax.set_xlim(0, 450)
    ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.4, 1.0), ncols=5, frameon=False)
    ax.grid(axis="x", alpha=0.3, lw=0.5)
    return fig


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in (("ranking-quality-vs-bytes", quality_vs_bytes), ("time-to-first-list", time_to_first_list),
                       ("build-stages", build_stages)):
        fig = make()
        fig.tight_layout()
        path = OUT / f"{name}.svg"
        fig.savefig(path, **SAVE)
        plt.close(fig)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
