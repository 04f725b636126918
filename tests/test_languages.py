"""Every language: a page's language (said, given or detected), its words stemmed and its stop words dropped in
it, CJK cut into bigrams, a query tokenized in all of the site's languages, and the page's JavaScript tokenizing
exactly as Python does in each (tests/data/languages.jsonl: a few sentences a language, inflected forms and
diacritics; docs/benchmarks.md has the parity on millions of words of real text)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hamming_site.builder import UserError
from hamming_site.builder.input import read_input, with_languages
from hamming_site.builder.input.corpus import Document
from hamming_site.builder.input.html import page_from_html
from hamming_site.builder.lexical.languages import STEMMERS, detect, normalize, stopwords
from hamming_site.builder.lexical.tokenize import STOPWORDS, bigrams, query_words, terms

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = [json.loads(line) for line in (ROOT / "tests" / "data" / "languages.jsonl").read_text().splitlines()]
CLI = ROOT / "tests" / "js" / "lexical_cli.mjs"


def test_a_language_tag_is_its_language():
    assert normalize("de-DE") == "de" and normalize("zh_Hans") == "zh" and normalize("nb") == "no"
    assert normalize(" FR ") == "fr"


@pytest.mark.parametrize("sample", SAMPLES, ids=[s["lang"] for s in SAMPLES])
def test_a_page_that_does_not_say_is_detected_by_script_and_stop_words(sample):
    found = detect(sample["title"] + "\n" + sample["text"])
    if sample["lang"] in ("sv", "da", "no"):  # three sentences share too many stop words to tell them apart
        assert found in (sample["lang"], None)
    else:
        assert found == sample["lang"]


def test_the_example_is_english_page_for_page():
    docs, _ = read_input(ROOT / "examples" / "stdlib.jsonl")
    assert {d.lang for d in docs} == {"en"}


def test_what_a_page_says_wins_and_language_overrides_everything(tmp_path):
    html = '<html lang="fr-FR"><body><main><p>The cat sat on the mat and read the book.</p></main></body></html>'
    assert page_from_html(html, "a.html", "a.html").lang == "fr-FR"
    german = "Die Häuser des Dorfes stehen im Tal und die Straßen sind schmal."
    docs = [Document("a", "", german, "", lang="es"), Document("b", "", german, ""), Document("c", "", german, ""),
            Document("d", "", "x", "")]  # too short to tell: the site's commonest
    assert [d.lang for d in with_languages(docs)] == ["es", "de", "de", "de"]
    assert [d.lang for d in with_languages(docs, "ja")] == ["ja"] * 4


def test_a_record_or_an_option_with_an_unknown_language_is_one_sentence(tmp_path, tiny_config):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "hello"}\n{"text": "bonjour", "lang": "klingon"}\n')
    with pytest.raises(UserError, match=r"c.jsonl:2: \"lang\" 'klingon' is not a language code"):
        read_input(corpus)
    with pytest.raises(UserError, match="--language xx-XX is not a language code"):
        tiny_config(language="xx-XX").validate()


def test_an_inflected_form_finds_what_the_form_in_the_text_finds():
    pairs = {"de": ("Häuser", "Haus"), "fr": ("maisons", "maison"), "es": ("casas", "casa"), "it": ("case", "casa"),
             "pt": ("casas", "casa"), "nl": ("boeken", "boek"), "sv": ("husen", "hus"), "da": ("husene", "huse"),
             "no": ("husene", "hus"), "fi": ("talot", "talo"), "ru": ("дома", "дом"), "en": ("houses", "house")}
    assert set(pairs) == set(STEMMERS)
    for code, (a, b) in pairs.items():
        assert terms(a, (code,)) == terms(b, (code,)), code


def test_an_english_page_of_a_japanese_site_is_found_by_a_piece_of_its_japanese(tmp_path):
    """A page half translated is detected as English, but the site's queries cut Japanese into bigrams: its own
    Japanese runs must be cut so too (debian-handbook ja-JP: 34 of its 59 missed pieces of text were on such pages)."""
    from hamming_site.builder.lexical.index import IndexReader, write_index
    from hamming_site.builder.search.lexical import bm25_scores

    rows = [("Packages", "Installing packages. パッケージの管理はとても大切な作業です。", [], (), "en"),
            ("設定", "設定ファイルは慎重に編集してください。", [], (), "ja")]
    folder = tmp_path / "site"
    folder.mkdir()
    entry = write_index(folder / "lexical", rows, languages=("en", "ja"))
    reader = IndexReader(folder, {"lexical": entry})
    scores = bm25_scores(reader, "管理はとても大切な", 2)
    assert scores[0] > 0 and scores[1] == 0
    assert bm25_scores(reader, "installing", 2)[0] > 0  # its English words stemmed as ever
    assert "パッケージの管理はとても大切な作業です" in terms(rows[0][1])  # on an English site: runs whole, as ever


def test_english_drops_its_stop_words_as_before_and_the_other_languages_none():
    assert terms("the houses of the village") == ["hous", "villag"]
    assert terms("the houses of the village", ("en",)) == ["hous", "villag"]
    assert terms("die Häuser des Dorfes", ("de",)) == ["die", "haus", "des", "dorf"]
    assert stopwords("de") == stopwords("en") == frozenset() and "the" in STOPWORDS
    # a query on a German and English site: each word's stems in both, a stop word of either left out of both
    assert terms("die houses", ("de", "en")) == ["die", "hous"]  # "houses" stems alike in both
    assert terms("die Häuser", ("de", "en")) == ["die", "haus", "häuser"]
    assert terms("the Häuser in the", ("de", "en")) == ["haus", "häuser"]  # not "the" as a German word


def test_cjk_runs_are_cut_into_bigrams_and_other_words_kept():
    assert bigrams("日本語") == ["日本", "本語"] and bigrams("語") == ["語"]
    cut = ["日本", "本語", "語の", "の文", "文書", "python", "packages"]
    assert terms("日本語の文書 Python packages", ("ja",)) == cut
    assert terms("검색 기능", ("ko",)) == ["검색", "기능"]
    # English alone keeps a CJK run as one word, as it always did (the example's index is unchanged)
    assert terms("日本語の文書") == ["日本語の文書"]


@pytest.fixture(scope="module")
def stemmer_files() -> dict[str, Path]:
    from hamming_site.builder.output.vendor import runtime_files

    try:
        paths, _ = runtime_files(transformer=False, languages=tuple(STEMMERS))
    except UserError as e:  # offline without a cached copy
        pytest.skip(str(e))
    return {p.name.removeprefix("stem-").removesuffix(".mjs"): p for p in paths if p.name.startswith("stem-")}


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_tokenizes_every_language_as_python_does(stemmer_files):
    porter2 = next(p for p in stemmer_files.values()).parent.parent / "porter2@1.1.0" / "porter2.mjs"
    texts = [s["title"] + " " + s["text"] for s in SAMPLES]
    words = sorted({w for t in texts for w in t.split()})
    sites = [(code,) for code in sorted({s["lang"] for s in SAMPLES})] + [("de", "en", "fr"), ("en", "ja", "ru")]
    for site in sites:
        languages = [[c, str(stemmer_files[c]) if c in stemmer_files else None,
                      sorted(STOPWORDS if c == "en" else stopwords(c))] for c in site]
        request = {"op": "terms", "texts": texts + words, "stopwords": sorted(STOPWORDS), "languages": languages}
        done = subprocess.run(["node", str(CLI), str(porter2)], input=json.dumps(request), capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout) == [terms(t, site) for t in texts + words], site
        # what "holds the whole question" counts: each word as its terms (fusion.py's across_alphas)
        done = subprocess.run(["node", str(CLI), str(porter2)], input=json.dumps({**request, "limit": 5}),
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout) == [query_words(t, 5, site) for t in texts + words], site


QUERIES = ["Häuser", "Haus Straßen", "maison", "construyeron casas", "strade", "construída", "boeken huizen",
           "husen", "bygde", "talot", "дома", "строили мосты", "房子", "建造", "家を建て", "検索", "집들", "houses",
           "die Häuser", "Python packages", "qqzx"]


@pytest.fixture(scope="module")
def languages_site(tmp_path_factory, tiny_model):
    """The samples as a site of 15 languages, built with the tiny test model."""
    from hamming_site.builder.build import build_site
    from hamming_site.builder.config import BuildConfig

    folder = tmp_path_factory.mktemp("languages")
    rows = [{**s, "id": s["lang"], "url": f"https://example.org/{s['lang']}"} for s in SAMPLES]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    build_site(BuildConfig(corpus=folder / "corpus.jsonl", out=folder / "site", bits=64, teacher=str(tiny_model),
                           student=str(tiny_model), student_layers=2, epochs=1, max_length=64, query_texts=400,
                           cache_dir=folder / "cache"))
    return folder / "site"


def test_a_site_in_many_languages_finds_each_page_by_its_words_in_any_form(languages_site):
    from hamming_site.builder.search.rank import SiteRanker

    report = json.loads((languages_site / "report.json").read_text())
    assert report["languages"] == {s["lang"]: 1 for s in SAMPLES}
    lexical = json.loads((languages_site / "manifest.json").read_text())["lexical"]
    assert list(lexical["languages"]) == sorted(s["lang"] for s in SAMPLES)
    assert set(lexical["stemmers"]) == set(STEMMERS) - {"en"}  # English's is porter2, imported by the page
    assert all((languages_site / f).is_file() for f in lexical["stemmers"].values())
    ranker = SiteRanker(languages_site)
    ids = [json.loads(line)["lang"] for line in (ROOT / "tests" / "data" / "languages.jsonl").read_text().splitlines()]
    first = {q: [ids[r["index"]] for r in ranker.results(ranker.query(q), 3, "lexical")] for q in QUERIES}
    expected = {"Häuser": "de", "Haus Straßen": "de", "maison": "fr", "construyeron casas": "es", "strade": "it",
                "construída": "pt", "boeken huizen": "nl", "talot": "fi", "дома": "ru", "строили мосты": "ru",
                "房子": "zh", "建造": "zh", "家を建て": "ja", "検索": "ja", "집들": "ko", "houses": "en"}
    assert {q: first[q][0] for q in expected} == expected
    assert first["qqzx"] == []


@pytest.mark.browser
def test_the_page_ranks_every_language_as_python_does(languages_site, browser):
    """Chromium: the page tokenizes (its stemmers fetched by the manifest's names, CJK bigrams) and ranks every
    query of every language as SiteRanker does, equal to the last bit (lexical and the static encoder's modes)."""
    from browsing import CHROMIUM, open_page, serve

    from hamming_site.builder.search.rank import SiteRanker

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    ranker = SiteRanker(languages_site)
    httpd, url = serve(languages_site)
    try:
        page, requests, errors = open_page(browser, url)
        for mode in ("lexical", "lite", "hybrid-lite"):
            pages = page.evaluate("""async ([queries, mode]) => {
              const out = [];
              for (const q of queries) out.push(await window.hammingSearch.search(q, 10, {mode}));
              return out;
            }""", [QUERIES, mode])
            for query, js in zip(QUERIES, pages, strict=True):
                py = ranker.results(ranker.query(query), 10, mode)
                assert [(r["index"], r["score"]) for r in js] == [(r["index"], r["score"]) for r in py], (mode, query)
        assert any("/stem-ru." in u for u in requests) and any("/stem-de." in u for u in requests)
        # the site's commonest language (a tie here: its first page's, German) is the page's
        assert page.get_attribute("html", "lang") == "de" and "Dokumente" in page.text_content("label")
        assert not errors
    finally:
        httpd.shutdown()


def test_the_page_speaks_the_sites_language(tiny_config):
    from hamming_site.builder.build import build_site
    from hamming_site.builder.output.site import page_strings

    result = build_site(tiny_config(language="fr"))
    page = (result.out / "index.html").read_text()
    count = result.manifest["count"]
    assert '<html lang="fr">' in page and f"Rechercher dans {count} documents" in page and "Décrivez ce que" in page
    assert result.manifest["language"] == "fr" and result.manifest["strings"] == page_strings("fr")
    assert page_strings("xx") == page_strings("en")  # a language it does not speak: English
    tables = [page_strings(code) for code in ("en", "de", "fr", "es", "it", "pt", "ru", "ja", "zh", "ko")]
    # every language has every sentence, with the same {placeholders} as English's
    slots = {k: set(re.findall(r"\{\w+\}", v)) for k, v in tables[0].items()}
    assert all({k: set(re.findall(r"\{\w+\}", v)) for k, v in table.items()} == slots for table in tables)


def test_a_site_gives_the_page_its_own_words_and_a_bad_file_is_one_sentence(tiny_config, tmp_path):
    from hamming_site.builder.build import build_site
    from hamming_site.builder.output.site import page_strings

    words = tmp_path / "words.json"
    words.write_text(json.dumps({"placeholder": "Cherchez dans le manuel", "label": "Le manuel : {count} pages"}),
                     encoding="utf-8")
    result = build_site(tiny_config(language="fr", strings=words))
    page = (result.out / "index.html").read_text()
    count = result.manifest["count"]
    assert "Cherchez dans le manuel" in page and f"Le manuel : {count} pages" in page
    strings = result.manifest["strings"]  # the widget and every page read these
    assert strings["placeholder"] == "Cherchez dans le manuel"
    assert strings["no_results"] == page_strings("fr")["no_results"]  # the others stay French
    assert "strings" not in result.manifest["options"]
    for bad, says in [("{not json", "not JSON"), ('["a list"]', "JSON object"),
                      ('{"placeholdr": "x"}', "'placeholdr' is not one of the page's words"),
                      ('{"results": "{n} of {total}"}', "{total}, which the page does not fill")]:
        words.write_text(bad, encoding="utf-8")
        with pytest.raises(UserError, match=re.escape(f"--strings {words}: ")) as e:
            build_site(tiny_config(out=tmp_path / "other", strings=words))
        assert says in str(e.value) and not (tmp_path / "other").exists()
    with pytest.raises(UserError, match="cannot read it"):
        build_site(tiny_config(out=tmp_path / "other", strings=tmp_path / "missing.json"))


def test_a_site_in_no_language_it_stems_and_a_page_mixing_scripts_build_and_search(tmp_path, tiny_config):
    """Greek, Hebrew and Thai (no stemmer, no bigrams: words as written, Thai's unspaced run whole) and a page
    mixing Japanese, Russian and English build, and each is found by its own words."""
    from hamming_site.builder.build import build_site
    from hamming_site.builder.search.rank import SiteRanker

    pages = {"el": "Τα σπίτια της πόλης είναι παλιά και όμορφα, με κήπους και αυλές.",
             "he": "הבתים בעיר ישנים ויפים, עם גינות וחצרות גדולות.",
             "th": "บ้านในเมืองเก่าและสวยงาม มีสวนและลานกว้าง",
             "mixed": "検索エンジンの設定 — настройка поиска — search settings for the manual"}
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps({"id": k, "title": k, "text": v}, ensure_ascii=False)
                                for k, v in pages.items()) + "\n", encoding="utf-8")
    result = build_site(tiny_config(corpus=corpus))
    languages = json.loads((result.out / "report.json").read_text())["languages"]
    # each script its language; the mixed page's most letters are Cyrillic
    assert languages == {"el": 1, "he": 1, "ru": 1, "th": 1}
    ranker = SiteRanker(result.out)
    ids = list(pages)
    for query, page in [("σπίτια", "el"), ("הבתים", "he"), ("มีสวนและลานกว้าง", "th"), ("設定", "mixed"),
                        ("поиска", "mixed"), ("settings", "mixed")]:
        top = ranker.results(ranker.query(query), 3, "lexical")
        assert top and ids[top[0]["index"]] == page, (query, [ids[r["index"]] for r in top])
