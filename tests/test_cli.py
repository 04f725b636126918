"""The command line: user mistakes are one sentence and exit status 2, never a traceback; a killed build
leaves the previous site intact."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import SENTENCES


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "hamming_site", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, timeout=600)


def tiny_args(tiny_model, out):
    return ["-o", out, "--teacher", tiny_model, "--student", tiny_model, "--student-layers", "2", "--bits", "64",
            "--epochs", "1", "--max-length", "64", "--query-texts", "400"]


def assert_user_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    # stage headers ("[  1.2s] load models") may precede an error found while loading the teacher
    # a progress bar ("  read pages:  0%|...", erased on a terminal) may too
    lines = [line for line in result.stderr.splitlines()
             if line.strip() and not line.startswith("[") and not re.match(r"\s+[\w ]+:\s+\d+%\|", line)]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.mark.parametrize(
    "name,data,fragment",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"\n \n", "empty"),
        ("bin.txt", b"\x00\x01\x02", "NUL"),
        ("bad.txt", b"ok\n\xc3\x28\n", "bad.txt:2: invalid UTF-8 at byte 0"),
        ("bad.jsonl", b'{"text": "ok"}\n{oops}\n', "bad.jsonl:2"),
        ("dup.jsonl", b'{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n', "line 1"),
    ],
)
def test_bad_corpus(tmp_path, tiny_model, name, data, fragment):
    corpus = tmp_path / name
    corpus.write_bytes(data)
    result = run("build-site", corpus, *tiny_args(tiny_model, tmp_path / "out"))
    assert_user_error(result, fragment)
    assert not (tmp_path / "out").exists()


def test_missing_file_directory_bad_bits_unknown_teacher(tmp_path, tiny_model):
    assert_user_error(run("build-site", tmp_path / "nope.txt"), "no such file")
    assert_user_error(run("build-site", tmp_path), "holds no .html or .md pages")
    corpus = tmp_path / "c.txt"
    corpus.write_text("hello\n")
    assert_user_error(run("build-site", corpus, "--bits", "100"), "multiple of 32")
    assert_user_error(run("build-site", corpus, "--teacher-backend", "tpu"), "use torch, onnx, onnx-int8")
    assert_user_error(run("build-site", corpus, "--teacher", "no-such-org/no-such-model"), "cannot load teacher")
    assert_user_error(run("build-site", corpus, "--device", "tpu"), "use auto, cpu, cuda, mps")
    assert_user_error(run("build-site", corpus, "--engine", "spark"), "use local, ray")


def test_engine_ray_without_ray_is_one_sentence(tmp_path, monkeypatch):
    import importlib.util

    from hamming_site.builder import UserError
    from hamming_site.builder.config import BuildConfig

    corpus = tmp_path / "c.txt"
    corpus.write_text("hello\n")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(UserError, match=r"--engine ray needs Ray .*pip install 'hamming-site\[ray\]'"):
        BuildConfig(corpus=corpus, engine="ray").validate()


def test_a_device_the_machine_lacks_is_one_sentence(tmp_path, tiny_model):
    import torch

    corpus = tmp_path / "c.txt"
    corpus.write_text("hello\n")
    for name, present in (("cuda", torch.cuda.is_available()), ("mps", torch.backends.mps.is_available())):
        if not present:
            result = run("build-site", corpus, *tiny_args(tiny_model, tmp_path / "out"), "--device", name)
            assert_user_error(result, f"--device {name}", "use --device cpu or auto")
            assert not (tmp_path / "out").exists()


def test_a_folder_of_pages_builds_inside_itself(tmp_path, tiny_model):
    site = tmp_path / "docs"
    (site / "guide").mkdir(parents=True)
    (site / "index.html").write_text("<title>Home</title><main><h1 id=top>Home</h1><p>the cat sat by the river"
                                     "</p><h2 id=more>More</h2><p>python code to sort a list</p></main>")
    (site / "guide" / "intro.md").write_text("---\ntitle: Intro\n---\n# Intro\nopen a file and write text\n")
    (site / "broken.html").write_bytes(b"\x00\x01binary")
    args = tiny_args(tiny_model, "")[2:]  # no -o: the site goes into docs/hamming/
    result = run("build-site", site, *args)
    assert result.returncode == 0, result.stderr
    assert "pages skipped" in result.stdout and "1 binary" in result.stdout
    docs = [json.loads(p.read_text()) for p in sorted((site / "hamming" / "docs").glob("*.json"))]
    assert sorted(d["url"] for shard in docs for d in shard) == ["guide/intro.html", "index.html"]
    again = run("build-site", site, *args)  # its own output is not input
    assert again.returncode == 0 and "documents                   2" in again.stdout, again.stdout


@pytest.mark.parametrize("files,fragment", [
    ({}, "holds no .html or .md pages"),
    ({"a.txt": b"text"}, "holds no .html or .md pages"),
    ({"a.html": b"\x00\x00", "b.html": b"<p>\xff\xfe bad</p>"}, "none of its 2 pages had text to index"),
])
def test_a_folder_with_nothing_to_index(tmp_path, tiny_model, files, fragment):
    site = tmp_path / "site"
    site.mkdir()
    for name, data in files.items():
        (site / name).write_bytes(data)
    assert_user_error(run("build-site", site, *tiny_args(tiny_model, "")[2:]), fragment)
    assert not (site / "hamming").exists()


def test_site_eval_needs_beir_layout(tmp_path):
    assert_user_error(run("site-eval", tmp_path), "no corpus.jsonl")


def test_foreign_out_refused(tmp_path, tiny_model):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(SENTENCES))
    out = tmp_path / "docs-site"
    out.mkdir()
    (out / "index.html").write_text("my own page")
    assert_user_error(run("build-site", corpus, *tiny_args(tiny_model, out)), "not made by build-site", "--force")
    assert (out / "index.html").read_text() == "my own page"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupted_build_keeps_previous_site(tmp_path, tiny_model, sig):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(SENTENCES * 20))
    out = tmp_path / "site"
    first = run("build-site", corpus, *tiny_args(tiny_model, out))
    assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    args = tiny_args(tiny_model, out)
    args[args.index("--epochs") + 1] = "50"
    args += ["--query-model", "corpus"]  # per-corpus distillation: a stage long enough to interrupt
    # A shell that runs this suite in the background hands its children SIGINT ignored, and Python keeps it
    # ignored; a user's Ctrl-C reaches a foreground build with the default disposition, so restore that.
    proc = subprocess.Popen([sys.executable, "-m", "hamming_site", "build-site", str(corpus), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    seen = threading.Event()

    def watch():  # interrupt in the middle of training, a stage of a minute here
        for line in proc.stderr:
            if "distill" in line:
                seen.set()

    threading.Thread(target=watch, daemon=True).start()
    assert seen.wait(timeout=300), "the build never reached the distill stage"
    time.sleep(2)
    assert proc.poll() is None and list(tmp_path.glob(".hamming-site-tmp-*"))
    proc.send_signal(sig)
    proc.wait(timeout=120)
    assert proc.returncode != 0
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    if sig != signal.SIGKILL:
        assert not list(tmp_path.glob(".hamming-site-tmp-*"))
    again = run("build-site", corpus, *tiny_args(tiny_model, out))
    assert again.returncode == 0, again.stderr
    assert not list(tmp_path.glob(".hamming-site-tmp-*"))  # a killed build's leftovers are cleaned up
