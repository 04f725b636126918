"""The docs' options page (docs/options.md) is tools/options_page.py's output from build-site's own parser: every
option of `build-site --help` is on it, in a group, with what a --model-from rebuild may do with it."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("options_page", ROOT / "tools" / "options_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_options_page_is_written_from_the_parser_and_up_to_date():
    tool = _tool()
    assert (ROOT / "docs" / "options.md").read_text(encoding="utf-8") == tool.page(), \
        "docs/options.md is out of date: run python tools/options_page.py"


def test_every_option_of_build_site_help_is_on_the_page():
    shown = subprocess.run([sys.executable, "-m", "hamming_site", "build-site", "--help"], capture_output=True,
                           text=True, check=True).stdout
    flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+|-[a-z])\b", shown))
    page = (ROOT / "docs" / "options.md").read_text(encoding="utf-8")
    assert len(flags) > 50
    assert not sorted(f for f in flags if f"`{f}`" not in page)
    assert "| `--bits` |" in page and "| retrains |" in page and "| `--fusion-alpha` |" in page
