"""Content names and the offline copy: the files a build names by their content, what a visitor keeps for offline
use (the page's offlineFiles against hamming_site/builder/output/names.py's offline_files), and what a rebuild keeps."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hamming_site.builder.build import build_site
from hamming_site.builder.output.names import hashed_name, offline_files, site_path

ROOT = Path(__file__).resolve().parent.parent


def test_hashed_names_carry_the_contents_digest():
    assert hashed_name("codes.bin", b"abc") == "codes.ba7816bf.bin"  # sha256("abc") begins ba7816bf
    assert hashed_name("ort.wasm.min.mjs", b"abc") == "ort.wasm.min.ba7816bf.mjs"


def test_every_file_the_page_fetches_is_listed_and_named_by_its_content(tiny_config):
    result = build_site(tiny_config(clusters_from=0, cluster_rows=4))
    out, m = result.out, result.manifest
    files = offline_files(m)
    assert all((out / f).is_file() for f in files if f != "manifest.json"), [f for f in files if not (out / f).exists()]
    fixed = {"manifest.json", "index.html", "boot.js", "search.js", "api.js", "widget.js", "widget.css", "sw.js"}
    for f in files:
        if f in fixed:
            continue
        assert re.search(r"\.[0-9a-f]{8}(\.[a-z0-9]+)?$|\.[0-9a-f]{8}/", f), f
    # every file the page reaches is kept: the site's whole folder but what it never fetches
    never = {"report.json", "LICENSES.txt", ".hamming-site", "codes"}  # codes.bin itself: ranked by cluster
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and "rebuild" not in p.parts}
    left = {f for f in on_disk - set(files) if not f.startswith("LICENSE") and f not in never}
    # passages.bin where no document was split (the page skips it); codes.bin where both encoders probe clusters;
    # the static rows, which a visitor who keeps the model never needs
    rows = {f"{m['static']['folder']}/{p.name}" for p in (out / m["static"]["folder"]).iterdir()}
    assert left - rows <= {site_path(out, "codes.bin").name, site_path(out, "passages.bin").name}, left
    assert rows <= left
    assert result.report["offline"]["files"] == len(files) and result.report["offline"]["gzip"] > 0


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_keeps_the_files_python_lists(tiny_config, tmp_path):
    for name, options in (("plain", {}), ("clustered", {"clusters_from": 0, "cluster_rows": 4}),
                          ("lite", {"meaning": "lite"})):
        m = build_site(tiny_config(out=tmp_path / name, **options)).manifest
        script = ("import { offlineFiles } from " + json.dumps((ROOT / "hamming_site" / "web" / "offline.js").as_uri())
                  + "; process.stdout.write(JSON.stringify(offlineFiles(JSON.parse(process.argv[1]))));")
        node = subprocess.run(["node", "--input-type=module", "-e", script, json.dumps(m)], capture_output=True,
                              text=True, check=True, timeout=60)
        assert json.loads(node.stdout) == offline_files(m), name
        if name == "plain":  # a long document's text parts (no page of this corpus is long enough to have any)
            long = {**m, "docs": {**m["docs"], "parts": {"0": [0, 2]}}}
            node = subprocess.run(["node", "--input-type=module", "-e", script, json.dumps(long)], capture_output=True,
                                  text=True, check=True, timeout=60)
            assert json.loads(node.stdout) == offline_files(long) != offline_files(m)


def test_offline_off_is_recorded(tiny_config):
    result = build_site(tiny_config(offline="off"))
    assert result.manifest["offline"] is False and result.report["offline"] is None
