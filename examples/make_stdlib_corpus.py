"""Make examples/stdlib.jsonl: the docstrings of Python's standard library (PSF licence), one document per
public module, class and function, so the demo is "search the stdlib by meaning".

    python examples/make_stdlib_corpus.py            # writes examples/stdlib.jsonl
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import warnings
from pathlib import Path

# Modules whose import has side effects (opens windows, prints, starts things) or that are internal.
SKIP = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "lib2to3", "test", "ensurepip",
        "pydoc_data", "venv", "__main__", "__phello__", "_pyrepl"}
MAX_CHARS = 1200  # first paragraphs only: what a reader sees as a search result


def first_paragraphs(doc: str) -> str:
    text = inspect.cleandoc(doc)
    parts = [p.strip() for p in text.split("\n\n") if p.strip()]
    out = ""
    for p in parts:
        if out and len(out) + len(p) > MAX_CHARS:
            break
        out = f"{out}\n\n{p}" if out else p
    return " ".join(out.split())[:MAX_CHARS]


def documents():
    names = sorted(n for n in sys.stdlib_module_names if not n.startswith("_") and n not in SKIP)
    for name in names:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = importlib.import_module(name)
        except Exception:  # platform-specific modules (winreg, msvcrt...) are simply absent
            continue
        if module.__doc__:
            yield {"id": name, "title": name, "text": first_paragraphs(module.__doc__),
                   "url": f"https://docs.python.org/3/library/{name}.html"}
        for attr, obj in sorted(vars(module).items()):
            if attr.startswith("_") or getattr(obj, "__module__", None) != name:
                continue
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not obj.__doc__:
                continue
            text = first_paragraphs(obj.__doc__)
            if len(text.split()) < 5:
                continue
            yield {"id": f"{name}.{attr}", "title": f"{name}.{attr}", "text": text,
                   "url": f"https://docs.python.org/3/library/{name}.html#{name}.{attr}"}


def main() -> None:
    out = Path(__file__).with_name("stdlib.jsonl")
    rows = list(documents())
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} documents to {out} (Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
