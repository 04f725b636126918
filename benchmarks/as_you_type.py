"""Search as you type: does a member's name typed half-way, or with one typo, find it in the top 5?

    python benchmarks/as_you_type.py SITE [--page] [--no-expand] [--members 60] [--seed 0] [--json OUT]

Members: documents whose title (less a " — Site" suffix) is dotted (`os.path.normcase`) and ends in one word of 7 or
more letters and digits
(so that its first 6 letters are not the whole word), drawn with a fixed seed. Each is typed four ways: whole, its
first 4 letters, its first 6, and whole with one typo (a letter dropped, changed or added at a random place, drawn
with the same seed). A hit: a result among the first 5 whose title ends in that member's name (several classes may
have a `lineno`: any of them answers the visitor). Per ranking: lexical (the first list), hybrid-lite and hybrid,
as SiteRanker ranks them (site-eval's Python); with --page, the same queries in Chromium through
`hammingSearch.search(q, 5, {mode})`, and the time from a keystroke to its list in the page's own search box (each
member typed letter by letter, 60 ms apart, on a warm page: p50/p95 of the lists shown).
"""

from __future__ import annotations

import argparse
import random
import re
import string
import sys
from pathlib import Path

from emit import emit

from hamming_site.builder.output.names import documents
from hamming_site.builder.search.rank import SiteRanker

TOP = 5
FORMS = ("whole", "first 4", "first 6", "one typo")
_MEMBER = re.compile(r"\.([a-z][a-z0-9]{6,})$")


def bare(title: str) -> str:
    """A page's title without its site's suffix ("scipy.linalg.solve — SciPy v1.10.1 Manual")."""
    return title.split(" \u2014 ")[0].strip()


def members(docs: list[dict], count: int, rng: random.Random) -> list[str]:
    names = sorted({m[1] for d in docs if (m := _MEMBER.search(bare(d.get("title", ""))))})
    return rng.sample(names, min(count, len(names)))


def typo(word: str, rng: random.Random) -> str:
    at = rng.randrange(len(word))
    kind = rng.choice(("drop", "change", "add"))
    if kind == "drop":
        return word[:at] + word[at + 1 :]
    letter = rng.choice([c for c in string.ascii_lowercase if c != word[at]])
    return word[:at] + letter + word[at + (kind == "change") :]


def forms(name: str, rng: random.Random) -> dict[str, str]:
    return {"whole": name, "first 4": name[:4], "first 6": name[:6], "one typo": typo(name, rng)}


def hit(titles: list[str], member: str) -> bool:
    return any(bare(t).lower().endswith("." + member) for t in titles[:TOP])


def python_side(site: Path, cases: list[tuple[str, dict]], titles: list[str], expand: bool = True) -> dict:
    ranker = SiteRanker(site)
    if not expand:  # words matched whole, as before issue 37 (the same index: its reversed keys are never looked up)
        ranker.reader.meta.pop("expand", None)
    modes = ["lexical", "hybrid-lite"] + (["hybrid"] if ranker.encoder is not None else [])
    hits = {f"{form} {m}": 0 for form in FORMS for m in modes}
    misses: dict[str, list[str]] = {}
    for name, typed in cases:
        for form, q in typed.items():
            query = ranker.query(q)
            for m in modes:
                got = hit([titles[r["index"]] for r in ranker.results(query, TOP, m)], name)
                hits[f"{form} {m}"] += got
                if not got and m == "lexical":
                    misses.setdefault(form, []).append(q)
    return {"top5": {k: round(v / len(cases), 4) for k, v in hits.items()}, "lexical misses": misses}


PAGE_JS = """async ([queries, mode]) => { const out = [];
  for (const q of queries) out.push((await window.hammingSearch.search(q, 5, {mode})).map(r => r.index));
  return out; }"""


def page_side(site: Path, cases: list[tuple[str, dict]], titles: list[str]) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from browsing import CHROMIUM, FLAGS, open_page, serve
    from playwright.sync_api import sync_playwright

    queries = [q for _, typed in cases for q in typed.values()]
    out: dict = {"top5": {}}
    httpd, base = serve(site)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page, _, _ = open_page(browser, base)  # every tier loaded
        for mode in ("lexical", "hybrid-lite", "hybrid"):
            got = page.evaluate(PAGE_JS, [queries, mode])
            at = 0
            for name, typed in cases:
                for form in typed:
                    key = f"{form} {mode}"
                    out["top5"][key] = out["top5"].get(key, 0) + hit([titles[i] for i in got[at]], name)
                    at += 1
        out["top5"] = {k: round(v / len(cases), 4) for k, v in out["top5"].items()}
        out["keystroke_ms"] = keystrokes(page, [name for name, _ in cases])
        browser.close()
    httpd.shutdown()
    return out


def keystrokes(page, names: list[str]) -> dict:
    """Type each name letter by letter into the page's box; each list's time from its keystroke (the page stamps
    #results when it renders: a MutationObserver records when, so no polling delay counts)."""
    page.evaluate("""() => { window.__shown = [];
      new MutationObserver(() => window.__shown.push([performance.now(), document.getElementById('q').value]))
        .observe(document.getElementById('results'), {childList: true}); }""")
    times = []
    for name in names:
        page.fill("#q", "")
        page.wait_for_timeout(200)
        typed_at = {}
        for i in range(1, len(name) + 1):
            page.evaluate("(v) => { window.__typed = performance.now(); const q = document.getElementById('q');"
                          " q.value = v; q.dispatchEvent(new Event('input', {bubbles: true})); }", name[:i])
            typed_at[name[:i]] = page.evaluate("() => window.__typed")
            page.wait_for_timeout(60)
        page.wait_for_timeout(400)
        for t, value in page.evaluate("() => window.__shown.splice(0)"):
            if value in typed_at and t >= typed_at[value]:
                times.append(t - typed_at[value])
    times.sort()
    pick = lambda f: round(times[min(len(times) - 1, int(f * len(times)))], 1) if times else None  # noqa: E731
    return {"lists": len(times), "p50": pick(0.5), "p95": pick(0.95), "max": round(times[-1], 1) if times else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("site", type=Path)
    ap.add_argument("--members", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--page", action="store_true", help="also in Chromium, and each keystroke's time")
    ap.add_argument("--no-expand", action="store_true", help="Python's ranking with words matched whole only")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    docs = documents(args.site)
    titles = [d.get("title", "") for d in docs]
    rng = random.Random(args.seed)
    cases = [(name, forms(name, rng)) for name in members(docs, args.members, rng)]
    result = {"site": str(args.site), "members": len(cases), "cases": {n: t for n, t in cases},
              "python": python_side(args.site, cases, titles, not args.no_expand)}
    if args.page:
        result["page"] = page_side(args.site, cases, titles)
    emit(result, args.json)


if __name__ == "__main__":
    main()
