"""The one way a benchmark reports: its figures as JSON on stdout, and in --json FILE when given."""

from __future__ import annotations

import json
from pathlib import Path


def emit(result, path: Path | None = None, **dumps) -> str:
    """Print `result` as indented JSON and write it to `path` (its folder made) when given; returns the text."""
    text = json.dumps(result, indent=1, **dumps)
    print(text)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n")
    return text
