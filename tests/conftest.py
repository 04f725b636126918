"""Fixtures: a tiny randomly initialised BERT sentence-transformer with its own vocabulary, made in the
test, so the pipeline runs offline in seconds; the real packaged teacher only in tests marked slow."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# The real teacher's tests share one small query model (4,000 of the sample's texts, one pass: about a minute on
# 2 cores, once, cached in ~/.cache/hamming-site as a build's is) rather than the default's one-off 30 minutes;
# the code path is the default's.
SMALL_QUERY_MODEL = {"query_texts": 4000, "query_epochs": 1}

WORDS = (
    "the a of to and in is it for on with as by at from this that be are was search page site code bits "
    "model query document python file text data string number list read write open close network server "
    "client time date sort find match error value type class function module test build run fast slow "
    "small large red green blue cat dog bird tree river mountain music art science math physics cell "
    "gene "
).split()


def make_tiny_model(folder: Path, layers: int = 4, hidden: int = 32) -> Path:
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, BertTokenizerFast

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    letters = list("abcdefghijklmnopqrstuvwxyz0123456789")
    vocab = specials + WORDS + letters + [f"##{c}" for c in letters]
    vocab = list(dict.fromkeys(vocab))
    tok = Tokenizer(WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    hf = folder / "hf"
    hf.mkdir(parents=True)
    BertTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                      sep_token="[SEP]", mask_token="[MASK]").save_pretrained(hf)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=hidden * 2, max_position_embeddings=128)
    BertModel(config).save_pretrained(hf)
    transformer = models.Transformer(str(hf), max_seq_length=64)
    st = SentenceTransformer(modules=[transformer, models.Pooling(hidden, "mean"), models.Normalize()], device="cpu")
    out = folder / "tiny-st"
    st.save(str(out))
    return out


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


SENTENCES = [
    "the cat sat by the river and read a book about music",
    "python code to sort a list of numbers fast",
    "open a file and write text data to it",
    "the red bird sang in the green tree on the mountain",
    "network server and client exchange data over time",
    "a gene in the cell controls the colour of the dog",
    "math and physics are the science of numbers",
    "build the site and run the test to find an error",
    "read a string and match a value of each type",
    "small blue class with a large function module",
    "the date and time of the search page query",
    "art and music of the river valley",
]


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.jsonl"
    rows = [{"id": f"d{i}", "title": f"doc {i}", "text": s, "url": f"https://example.org/{i}"}
            for i, s in enumerate(SENTENCES)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny_config(tiny_model, small_corpus, tmp_path):
    from hamming_site.builder.config import BuildConfig

    def make(**kw):
        fields = dict(corpus=small_corpus, out=tmp_path / "site", bits=64, teacher=str(tiny_model),
                      student=str(tiny_model), student_layers=2, epochs=2, batch_size=8, max_length=64,
                      query_texts=400, cache_dir=tmp_path / "cache")
        fields.update(kw)
        return BuildConfig(**fields)

    return make


# ---- the browser tests' sites (tests/test_browser*.py): built once a session ----

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "stdlib.jsonl"
EVIL = [
    {"id": "evil-img", "title": "<img src=x onerror=\"window.__pwned=1\">", "text": "an image <img src=x "
     "onerror=\"window.__pwned=1\"> tag about parsing html markup safely", "url": "javascript:window.__pwned=1"},
    {"id": "evil-script", "title": "script tag", "text": "<script>window.__pwned=1</script> running scripts in "
     "html documents", "url": "https://example.org/script"},
]


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    from hamming_site.builder.build import build_site
    from hamming_site.builder.config import BuildConfig

    folder = tmp_path_factory.mktemp("browser")
    rows = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()[::5][:250]] + EVIL
    corpus = folder / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    build_site(BuildConfig(corpus=corpus, out=folder / "site", chunk_bytes=2048, **SMALL_QUERY_MODEL))
    return folder / "site"


# the page and site-eval rank every mode from one site's files; a build on another machine (another CPU's teacher
# bits) makes other near-ties, so the parity tests build several: each seed takes another fifth of the example and
# builds with that --seed (issue 40: a fresh AVX-512 machine broke a tie the other way in one query of 30)
PARITY_SEEDS = range(5)
TWINS = 25  # every TWINS-th document again under another id: equal codes and scores, so only the tie rule orders them


def parity_rows(seed: int) -> list[dict]:
    """The corpus of seed's site: every fifth document of the example from the seed-th, the two evil ones, and
    twins of some (near-ties made on purpose: the twin is a later row, so it must come right after its original)."""
    rows = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()[seed::5][:250]] + EVIL
    return rows + [{**r, "id": f"{r['id']}-twin", "url": f"{r['url']}#twin"} for r in rows[::TWINS]]


@pytest.fixture(scope="session")
def probed_site(tmp_path_factory):
    """(seed, layout) -> a site of parity_rows(seed) whose codes are fetched by cluster (a few dozen rows each; both
    encoders probe), its centroids int8 ("int8") or sign bits ("signs", as from 256 clusters); one site's model per
    seed, made once a session."""
    from hamming_site.builder.build import build_site
    from hamming_site.builder.config import BuildConfig

    made: dict = {}

    def make(seed: int, layout: str) -> Path:
        if seed not in made:
            folder = tmp_path_factory.mktemp(f"seed{seed}")
            (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in parity_rows(seed)) + "\n")
            build_site(BuildConfig(corpus=folder / "corpus.jsonl", out=folder / "site", chunk_bytes=2048, seed=seed,
                                   **SMALL_QUERY_MODEL))
            made[seed] = folder
        folder = made[seed]
        out = folder / layout
        if not out.exists():
            build_site(BuildConfig(corpus=folder / "corpus.jsonl", out=out, chunk_bytes=2048, cluster_rows=32,
                                   clusters_from=0, sign_centroids_from=2 if layout == "signs" else 256,
                                   transformer_codes="probed", model_from=folder / "site", seed=seed,
                                   **SMALL_QUERY_MODEL))
        return out

    return make


@pytest.fixture(scope="session")
def lite_site(site, tmp_path_factory) -> Path:
    """The same corpus built with --meaning lite: no transformer, no runtime."""
    from hamming_site.builder.build import build_site
    from hamming_site.builder.config import BuildConfig

    folder = tmp_path_factory.mktemp("lite")
    build_site(BuildConfig(corpus=site.parent / "corpus.jsonl", out=folder / "site", chunk_bytes=2048, meaning="lite"))
    return folder / "site"


@pytest.fixture(scope="session")
def browser():
    from browsing import CHROMIUM, FLAGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def served(site):
    from browsing import serve

    httpd, url = serve(site)
    yield url
    httpd.shutdown()
