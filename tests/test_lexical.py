"""The keyword search: the build's Python (hamming_site/builder/lexical/, hamming_site/builder/search/fusion.py) and the
page's JavaScript (hamming_site/web/lexical.js, driven through tests/js/lexical_cli.mjs) tokenize, read the index, rank
and fuse identically; the index round-trips; BM25's edge cases. Real queries from ../shared/data where it exists."""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hamming_site.builder.lexical.index import Bm25, IndexReader, chunk_of, impacts, parse_chunk, write_index
from hamming_site.builder.lexical.tokenize import (
    EXACT,
    LOOSE,
    REVERSED,
    STOPWORDS,
    fnv1a64,
    query_term_counts,
    query_terms,
    sort_key,
    terms,
    title_keys,
    words,
)
from hamming_site.builder.output.manifest import across
from hamming_site.builder.search.fusion import across_alphas, fuse
from hamming_site.builder.search.lexical import bm25_scores, expansions, held_words, lexical_order, title_tiers

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLI = ROOT / "tests" / "js" / "lexical_cli.mjs"
HARD_CASES = ROOT / "tests" / "data" / "tokenize_hard_cases.txt"
PARAMS = Bm25(chunk_bytes=2048)  # small chunks: many files, many chunk boundaries


# --- helpers -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def porter2() -> Path:
    from hamming_site.builder.output.vendor import runtime_files

    try:
        paths, _ = runtime_files()
    except Exception as e:  # offline without a cached copy
        pytest.skip(f"porter2.mjs is not available: {e}")
    return next(p for p in paths if p.name == "porter2.mjs")


@pytest.fixture(scope="session")
def js(porter2):
    def call(op: str, **request):
        result = subprocess.run(["node", str(CLI), str(porter2)], input=json.dumps({"op": op, **request}),
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout)

    return call


def assert_same(inputs: list, py: list, js: list, what: str) -> None:
    """Equal outputs, or a message naming the first 10 inputs that differ with both outputs."""
    assert len(py) == len(js) == len(inputs)
    bad = [(x, a, b) for x, a, b in zip(inputs, py, js, strict=True) if a != b]
    lines = [f"  {str(x)[:120]!r}\n    python: {a!r}\n    js:     {b!r}" for x, a, b in bad[:10]]
    assert not bad, f"{what}: {len(bad)} of {len(inputs)} inputs differ; first {len(lines)}:\n" + "\n".join(lines)


def hard_cases() -> list[str]:
    # split("\n"), not splitlines(): the file holds U+0085, U+001E, U+2028 ... inside lines
    lines = HARD_CASES.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) > 80
    return lines[:-1]


def example_rows() -> list[dict]:
    with (ROOT / "examples" / "stdlib.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    assert len(rows) == 1462
    return rows


def example_lines() -> list[str]:
    return [line for r in example_rows() for field in ("title", "text") for line in r[field].split("\n")]


def jsonl_field(path: Path, field: str) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line)[field] for line in f if line.strip()]


def shared(name: str, field: str) -> list[str]:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here")
    lines = jsonl_field(path, field)
    assert lines
    return lines


SOURCES = {
    "examples": example_lines,
    "hard-cases": hard_cases,
    "scifact-queries": lambda: shared("scifact/queries.jsonl", "text"),
    "cranfield-queries": lambda: shared("cranfield/queries.jsonl", "text"),
    "scifact-titles": lambda: shared("scifact/corpus.jsonl.gz", "title"),
}


# --- tokenization ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source", list(SOURCES))
def test_terms_and_words_match_js(js, source):
    texts = SOURCES[source]()
    assert_same(texts, [words(t) for t in texts], js("words", texts=texts), f"words ({source})")
    assert_same(texts, [terms(t) for t in texts], js("terms", texts=texts, stopwords=sorted(STOPWORDS)),
                f"terms ({source})")


@pytest.mark.parametrize("source", ["example-titles", "hard-cases"])
def test_title_keys_match_js(js, source):
    texts = [r["title"] for r in example_rows()] if source == "example-titles" else hard_cases()
    assert_same(texts, [list(title_keys(t)) for t in texts], js("titleKeys", texts=texts), f"title keys ({source})")


def test_fnv1a64_vectors_and_title_keys():
    assert fnv1a64(b"") == 0xCBF29CE484222325
    assert fnv1a64(b"a") == 0xAF63DC4C8601EC8C
    assert fnv1a64(b"foobar") == 0x85944171F73967E8
    assert title_keys("  Re.Match \t x ") == (f"{EXACT}{fnv1a64(b'Re.Match x'):016x}",
                                              f"{LOOSE}{fnv1a64(b're match x'):016x}")
    assert title_keys("...") == (f"{EXACT}{fnv1a64(b'...'):016x}", None)
    assert title_keys(" \t ") == (None, None)
    assert title_keys("Café") == (f"{EXACT}{fnv1a64('Café'.encode()):016x}", f"{LOOSE}{fnv1a64('café'.encode()):016x}")


def test_tokenize_basics():
    assert words("snake_case __init__ os.path 3.14 Café ΣΊΣΥΦΟΣ") == [
        "snake", "case", "init", "os", "path", "3", "14", "café", "σίσυφος"]
    assert terms("The dogs are running into the houses") == ["dog", "run", "hous"]
    assert query_terms("running runs run RUN the") == ["run"]
    assert terms("the and of") == [] and terms("...") == [] and terms("") == []
    # Snowball 2.2's exceptions and special prefixes (porter2 1.1.0 follows 2.2, not 3)
    assert terms("skies dying news generously communism arsenal") == ["sky", "die", "news", "generous", "communism",
                                                                      "arsenal"]
    assert sort_key("\U0001f600") < sort_key("\uffff")  # UTF-16 code units, as JavaScript orders strings


# --- the index files -----------------------------------------------------------------------------------------

def corpus_texts(name: str) -> list[tuple[str, str]]:
    if name == "examples":
        return [(r["title"], r["text"]) for r in example_rows()]
    lines = hard_cases()
    return [(line, lines[(i + 1) % len(lines)]) for i, line in enumerate(lines)]


@pytest.fixture(scope="session")
def example_site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    texts = corpus_texts("examples")
    meta = write_index(site / "lexical", texts, PARAMS)
    (site / "manifest.json").write_text(json.dumps({"lexical": meta}), encoding="utf-8")
    return site, meta, texts


def absent_keys(keys: list[str], n: int = 200) -> list[str]:
    rng = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789=~!é日\uffff\ue000\U0001f600\U0001d41a"
    present = set(keys)
    out = ["", "!", "0", "zzzzzzzz", "\uffff", "\U0010ffff", "=", "~", "~~", "=0000000000000000", "~ffffffffffffffff"]
    for key in keys[:: max(1, len(keys) // 60)]:
        out += [key + "a", key[:-1], key + "\U0001f600"]
    out = [k for k in dict.fromkeys(out) if k not in present][:n]
    while len(out) < n:
        key = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        if key not in present and key not in out:
            out.append(key)
    return out


@pytest.mark.parametrize("corpus", ["examples", "hard-cases"])
def test_index_round_trip(js, tmp_path, corpus):
    texts = corpus_texts(corpus)
    meta = write_index(tmp_path / "lexical", texts, PARAMS)
    files = sorted((tmp_path / "lexical").glob("*.bin"))
    firsts = meta["chunks"]
    assert [f.name for f in files] == [f"{i:04d}.bin" for i in range(len(firsts))]
    if corpus == "examples":
        assert len(files) > 20
    py = [parse_chunk(f.read_bytes(), f.name) for f in files]
    py_lists = [{k: [list(d), list(w)] for k, (d, w) in chunk.items()} for chunk in py]
    js_chunks = js("parseChunks", files=[str(f) for f in files])
    assert_same([f.name for f in files], py_lists, js_chunks, "parseChunk")
    assert sum(f.stat().st_size for f in files) == meta["bytes"]

    # every chunk holds the keys from its first key to the next chunk's, in JavaScript string order
    keys = [k for chunk in py for k in chunk]
    assert len(keys) == len(set(keys)) == meta["keys"]
    assert keys == sorted(keys, key=sort_key)
    assert [next(iter(chunk)) for chunk in py] == firsts
    holder = [i for i, chunk in enumerate(py) for _ in chunk]
    assert [chunk_of(k, firsts) for k in keys] == holder
    assert js("chunkOf", keys=keys, firsts=firsts) == holder, "JS chunkOf disagrees on a present key"
    absent = absent_keys(keys)
    assert len(absent) == 200
    py_absent = [chunk_of(k, firsts) for k in absent]
    assert_same(absent, py_absent, js("chunkOf", keys=absent, firsts=firsts), "chunkOf of absent keys")
    for key, n in zip(absent, py_absent, strict=True):  # the last chunk whose first key is <= key (0 below all)
        assert n == max([i for i, f in enumerate(firsts) if sort_key(f) <= sort_key(key)], default=0)

    # the files hold exactly impacts()
    expected = impacts(texts, PARAMS)
    files_hold = {k: v for chunk in py for k, v in chunk.items()}
    assert set(files_hold) == set(expected)
    for key, (docs, weights) in expected.items():
        assert files_hold[key] == (docs.tolist(), weights.tolist()), key


def test_impacts_range(example_site):
    _, _, texts = example_site
    index = impacts(texts, PARAMS)
    word_max = 0
    reversed_keys = {key for key in index if key[0] == REVERSED}
    for key in reversed_keys:  # the words as written, backwards, for typos: no postings
        assert len(index[key][0]) == len(index[key][1]) == 0 and len(key) >= 4, key
    assert {"<emanesab", "<onenil", "<esacmron"} <= reversed_keys  # "normcase" as written, not its stem "normcas"
    for key, (docs, weights) in index.items():
        if key in reversed_keys:
            continue
        assert len(docs) == len(weights) > 0
        assert np.all(np.diff(docs) > 0) and docs[0] >= 0 and docs[-1] < len(texts), key
        if key[0] in (EXACT, LOOSE):
            assert len(key) == 17 and np.all(weights == 0), key
        else:
            assert words(key) == [key] and weights.min() >= 1 and weights.max() <= 255, key
            word_max = max(word_max, int(weights.max()))
    assert word_max == 255  # scaled by the largest impact
    title_docs = sorted(d for k, (docs, _) in index.items() if k[0] == EXACT for d in docs.tolist())
    assert title_docs == list(range(len(texts)))  # every document has its exact title key


# --- ranking -------------------------------------------------------------------------------------------------

QUESTIONS = [
    "how do I read a file line by line", "sort a list of dictionaries by a key", "parse command line arguments",
    "what is the difference between a list and a tuple", "regular expression match at the start of a string",
    "how to make an HTTP request", "current date and time in UTC", "copy a directory tree recursively",
    "serialize an object to JSON", "run a subprocess and capture its output", "random number between two values",
    "abstract base classes", "thread safe queue", "temporary files and directories", "hash a password securely",
]
STOPWORD_QUERIES = ["the and of", "is it not", "a", "to be or not to be"]
UNKNOWN_QUERIES = ["zzyzx qwertyuiop", "xyzzy", "日本語のテキスト", "🎉👩‍👩‍👧", "флибустьер", "ta𝐛ed"]
EMPTY_QUERIES = ["", "   ", "...", "\t—\t"]


def ranking_queries() -> list[str]:
    titles = [r["title"] for r in example_rows()]
    rng = random.Random(11)
    picked = ["re.match", "re.Match", "abc", "os.path.join", "json.dumps"] + rng.sample(titles, 26)
    verbatim, lower, punct = picked[:11], picked[11:21], picked[21:31]
    queries = (verbatim + [t.lower() if i % 3 else t.upper() for i, t in enumerate(lower)]
               + [t.replace(".", " ").replace("_", "-") + "()" if i % 2 else t.replace(".", "::") + "?"
                  for i, t in enumerate(punct)]
               + QUESTIONS + STOPWORD_QUERIES + UNKNOWN_QUERIES + EMPTY_QUERIES[:4])
    assert len(queries) == 60, len(queries)
    return queries


def python_rank(reader: IndexReader, query: str, count: int, k: int = 20) -> dict:
    groups = expansions(reader, query)
    scores = bm25_scores(reader, query, count, groups)
    tiers = title_tiers(reader, query, count)
    order = lexical_order(scores, tiers, k)
    return {"order": order, "scores": scores[order].tolist(),
            "groups": [{"word": g.word, "own": g.own, "terms": [list(t) for t in g.terms]} for g in groups]}


# half-typed and mistyped words (issue 37): prefixes of one letter to whole words, typos of each kind, digits
AS_YOU_TYPE = ["l", "li", "lin", "line", "linen", "lineno", "os.path.norm", "os.path.normc", "normcsae", "nromcase",
               "getcwdd", "gtcwd", "correlatoin", "read a fil", "read a file ", "parse comand line argumnts", "2", "20",
               "json.dum", "abstractmethd", "subprocess.Popn", "x", "qqqqqqqqqq", "lineno.", "ZIPFILE.ZipF", "1234",
               "?!", "defaultdct", "iter", "asyncio.gather_", "threding", "httpserver", "urllib.parse.urlencod"]


def test_ranking_matches_js(js, example_site):
    site, meta, texts = example_site
    queries = ranking_queries() + AS_YOU_TYPE
    reader = IndexReader(site)
    py = [python_rank(reader, q, len(texts)) for q in queries]
    out = js("rank", folder=str(site / meta["folder"]), firsts=meta["chunks"], stopwords=meta["stopwords"],
             count=len(texts), queries=queries, k=20, expandRules=meta["expand"])
    assert_same(queries, py, out, "lexical ranking")
    assert sum(bool(r["order"]) for r in py) >= 70  # most queries find something
    assert all(len(r["order"]) <= 20 for r in py)
    assert sum(bool(r["groups"]) for r in py) >= 25  # and most of the half-typed ones expand
    for q in STOPWORD_QUERIES + EMPTY_QUERIES + ["zzyzx qwertyuiop", "日本語のテキスト", "🎉👩‍👩‍👧"]:
        assert py[queries.index(q)]["order"] == [], q


def test_exact_titles(example_site):
    site, _, texts = example_site
    reader = IndexReader(site)
    n = len(texts)
    for doc, (title, _) in enumerate(texts):
        assert title_tiers(reader, title, n)[doc] == 2, title
        assert title_tiers(reader, f"  {title.upper()} ", n)[doc] >= 1, title
    index = {title: doc for doc, (title, _) in enumerate(texts)}
    assert "re.match" in index and "re.Match" in index
    for query, first, second in (("re.match", "re.match", "re.Match"), ("re.Match", "re.Match", "re.match")):
        order = python_rank(reader, query, n)["order"]
        assert order[:2] == [index[first], index[second]], (query, [texts[i][0] for i in order[:5]])


# --- fusion --------------------------------------------------------------------------------------------------

def fusion_cases(count: int = 200, n: int = 300) -> list[dict]:
    rng = np.random.default_rng(2024)
    cases = []
    for c in range(count):
        kind = c % 10
        zero = rng.uniform(0.6, 0.98)
        high = 4 if kind in (1, 2) else 800  # few distinct values: ties
        bm25 = np.where(rng.random(n) < zero, 0, rng.integers(1, high, n))
        if kind == 3 or c == 0:
            bm25[:] = 0  # no lexical hits
        tiers = np.where(rng.random(n) < rng.choice([0.0, 0.005, 0.02]), rng.integers(1, 3, n), 0)
        semantic = rng.permutation(n)[: int(rng.integers(0, n + 1))].tolist()
        sem = rng.normal(size=n)
        if kind in (2, 4):
            sem = np.round(sem, 1)  # ties in the semantic score
        if kind == 5 or c == 1:  # every score equal
            bm25 = np.where(rng.random(n) < 0.5, 0, 7)
            bm25[:] = 7 if c == 1 else bm25
            sem = np.full(n, 0.25)
        if c == 2:  # nothing at all
            bm25[:], tiers[:], semantic = 0, 0, []
        if kind == 6 or c == 3:  # rows whose codes a probed query did not fetch: no meaning score
            sem[rng.random(n) < (1.0 if c == 3 else 0.5)] = np.nan
        alpha = float(rng.choice([0.0, 1.0, 0.5, rng.uniform()]))
        if rng.uniform() < 0.3:  # one per index, as acrossAlphas gives on a site in several scripts
            alpha = rng.choice([0.4, 0.8], size=n).astype(np.float64)
        cases.append({"bm25": bm25.astype(np.int64), "tiers": tiers.astype(np.int8), "semantic": semantic,
                      "sem": sem.astype(np.float64), "k": int(rng.integers(0, 60)), "alpha": alpha,
                      "depth": int(rng.integers(0, 120))})
    return cases


def test_fusion_matches_js(js):
    cases = fusion_cases()
    py = [fuse(c["bm25"], c["tiers"], c["semantic"], lambda cand, s=c["sem"]: s[cand], c["k"], c["alpha"],
               c["depth"]) for c in cases]
    request = [{"scores": {str(i): int(s) for i, s in enumerate(c["bm25"]) if s},
                "tiers": {str(i): int(t) for i, t in enumerate(c["tiers"]) if t},
                "semantic": c["semantic"],
                "semanticScores": {str(i): None if np.isnan(s) else float(s) for i, s in enumerate(c["sem"])},
                "k": c["k"], "alpha": c["alpha"] if np.isscalar(c["alpha"]) else c["alpha"].tolist(),
                "depth": c["depth"], "count": len(c["bm25"])} for c in cases]
    out = js("fuse", cases=request)
    labels = [f"case {i} (k={c['k']}, alpha={np.mean(c['alpha']):.3f}, depth={c['depth']})"
              for i, c in enumerate(cases)]
    assert_same(labels, [[i for i, _ in r] for r in py], [[x["index"] for x in r] for r in out], "fused order")
    for label, a, b in zip(labels, py, out, strict=True):
        assert np.allclose([s for _, s in a], [x["score"] for x in b], rtol=0, atol=1e-12), label
    assert sum(bool(r) for r in py) > 150 and py[2] == []
    for r, c in zip(py, cases, strict=True):  # titled matches first, then fused score descending
        keys = [(-int(c["tiers"][i]), -s, i) for i, s in r]
        assert keys == sorted(keys)


ACROSS_TEXTS = ["Installing packages with APT", "パッケージの管理", "APT でパッケージを入れる", "dpkg", "12345",
                "...!?", "", "Установка пакетов", "Ἀθῆναι", "שלום", "مرحبا", "สวัสดี", "नमस्ते", "한국어 문서", "中文 apt",
                "ｶﾀｶﾅ", "e\u0301t\u00e9", "²³", "_x_", "Ⅷ", "\U0001f600 emoji", "𠀀 rare han"]


@pytest.mark.parametrize("language", ["ja", "zh", "ko", "ru", "el", "he", "ar", "th", "hi", "en", "de"])
def test_across_alphas_match_js(js, language):
    """A document written in another script than Latin letters leans on meaning for a question with letters but
    none of its script's, and a document not in English for a question no row holds whole; English documents keep
    alpha; in Python and the page."""
    languages = ["en", language, language, "de", language, "ja", "en"]
    fusion = {"alpha": 0.4, "depth": 400, **across(0.8, languages)}
    py = [across_alphas(fusion, t, len(languages)) for t in ACROSS_TEXTS]
    out = js("acrossAlphas", fusion=fusion, texts=ACROSS_TEXTS, documents=len(languages))
    assert [None if a is None else a.tolist() for a in py] == out
    assert py[ACROSS_TEXTS.index("12345")] is None and py[ACROSS_TEXTS.index("")] is None  # no letters: alpha
    english = py[0]  # "Installing packages with APT", held by no row here
    assert english.tolist() == [0.4 if code == "en" else 0.8 for code in languages]
    assert fusion["across"]["english"] == ([[1, 1], [0, 5], [1, 1]] if language != "en" else
                                           [[1, 3], [0, 1], [1, 1], [0, 1], [1, 1]])
    if language in ("en", "de"):
        assert fusion["across"]["documents"] == [[0, 5], [1, 1], [0, 1]]
    assert across(0.8, ["en", "en"]) == {}  # an English site ranks as ever
    # an English teacher (a site at least 95 % English): scripts alone, and nothing where every page is in Latin
    assert across(0.8, ["en", "de"], multilingual=False) == {}
    assert across(0.8, ["en", "ja"], multilingual=False)["across"].keys() == {"alpha", "scripts", "documents"}


def test_the_words_a_row_must_hold_are_the_same_in_python_and_js(js):
    """What "holds the whole question" counts: the question's distinct words whose terms the keyword ranking counts
    (a long question no more than its 32 terms), each held by its terms or its expansion's."""
    from hamming_site.builder.lexical.expand import Group

    long = " ".join(f"word{i} word{i}" for i in range(40))  # 40 distinct words, 32 of them counted
    texts = ["Installing the packages with APT", "instal packag", "", "the of and", long, "packages packages apt"]
    groups = [[], [Group("instal", ["instal"], [("install", 1, 1), ("installer", 1, 2)])], [], [], [],
              [Group("apt", ["apt"], [("aptitude", 1, 1)]), Group("zzz", ["zzz"], [("zzzz", 1, 1)])]]
    meta = {"max_query_terms": 32}
    py = [held_words(t, meta, g) for t, g in zip(texts, groups, strict=True)]
    out = js("heldWords", texts=texts, stopwords=sorted(STOPWORDS), limit=32,
             groups=[[{"own": g.own, "terms": [list(t) for t in g.terms]} for g in gs] for gs in groups])
    assert py == out
    assert py[1] == [["instal", "install", "installer"], ["packag"]] and py[2] == py[3] == []
    assert len(py[4]) == 32 and py[5] == [["packag"], ["apt", "aptitude"]]


def test_a_row_holding_the_whole_question_keeps_its_keywords_in_python_and_js(js):
    """Rows (passages) of a Japanese document lean on meaning for an English question, and a row holding every one
    of its words (an untranslated English passage) as far on its keywords; a German document's rows lean only where
    no row holds the whole question (its letters do not tell an English question from a German one); the same rows
    in Python and the page."""
    languages = ["en", "ja", "ja", "en", "de"]
    fusion = {"alpha": 0.6, "depth": 400, **across(0.9, languages)}
    row_doc = np.array([0, 1, 1, 1, 2, 3, 3, 4], dtype=np.int64)
    held = np.array([3, 3, 2, 0, 3, 1, 3, 0], dtype=np.int64)
    none_whole = [0.6, 0.9, 0.9, 0.9, 0.9, 0.6, 0.6, 0.9]
    kw = 1 - 0.9  # a row holding the whole question, where others lean
    cases = [("Installing packages with APT", 3, [kw, kw, 0.9, 0.9, kw, 0.6, kw, 0.6]),
             ("Installing packages with APT", 4, none_whole), ("Installing packages with APT", 0, none_whole),
             ("パッケージの管理", 3, None), ("パッケージの管理", 4, none_whole)]
    for text, count, want in cases:
        py = across_alphas(fusion, text, len(languages), row_doc, held, count)
        assert (None if py is None else py.tolist()) == want, (text, count)
        out = js("acrossAlphas", fusion=fusion, texts=[text], documents=len(languages), rowDoc=row_doc.tolist(),
                 held=held.tolist(), words=count)
        assert out == [want], (text, count)


# --- BM25 edge cases -----------------------------------------------------------------------------------------

def test_stop_word_only_corpus(tmp_path):
    texts = [("the", "and of the"), ("A", "is it not"), ("", "to be or not to be"), ("...", "")]
    (tmp_path / "stop").mkdir()
    meta = write_index(tmp_path / "stop" / "lexical", texts, PARAMS)
    keys = [k for f in sorted((tmp_path / "stop" / "lexical").glob("*.bin")) for k in parse_chunk(f.read_bytes())]
    assert keys and all(k[0] in (EXACT, LOOSE) for k in keys)
    assert meta["keys"] == len(keys) == 5  # exact keys of "the", "A", "..."; loose keys of "the", "a"
    reader = IndexReader(tmp_path / "stop", {"lexical": meta})
    assert python_rank(reader, "the", len(texts))["order"] == [0]  # a title match despite no terms
    assert python_rank(reader, "and of", len(texts))["order"] == []

    (tmp_path / "empty").mkdir()
    meta = write_index(tmp_path / "empty" / "lexical", [("", "the"), ("", "")], PARAMS)
    assert meta["keys"] == 0 and meta["chunks"] == [] and meta["bytes"] == 0
    reader = IndexReader(tmp_path / "empty", {"lexical": meta})
    assert python_rank(reader, "the anything", 2)["order"] == []


@pytest.mark.parametrize("query", [
    "the and of a an", "!?.,;:()[]{}—…", "🎉👍🏽👩‍👩‍👧🇫🇷", "zq" * 5000, "!" * 10_000, "  \t  ", "",
    "qz" + "\u0301" * 9998,
])
def test_queries_that_match_nothing(example_site, query):
    site, _, texts = example_site
    reader = IndexReader(site)
    scores = bm25_scores(reader, query, len(texts))
    tiers = title_tiers(reader, query, len(texts))
    assert not scores.any() and not tiers.any()
    assert lexical_order(scores, tiers, 20) == []


def test_parse_chunk_errors(example_site):
    site, meta, _ = example_site
    data = (site / meta["folder"] / "0000.bin").read_bytes()
    with pytest.raises(ValueError, match="shorter"):
        parse_chunk(data[:11])
    with pytest.raises(ValueError, match="version-1"):
        parse_chunk(b"XAML" + data[4:])
    with pytest.raises(ValueError, match="version-1"):
        parse_chunk(data[:4] + b"\x02\x00" + data[6:])
    with pytest.raises((ValueError, IndexError)):
        parse_chunk(data[: len(data) // 2])


def test_a_repeated_query_word_counts_as_often_as_it_is_repeated(js, tmp_path):
    """BM25's query-term frequency: a question that says "scheduler" three times is about the scheduler, so the
    page about it ranks above one that matches more of the question's other, incidental words; said once, the
    other page wins. Page and Python agree, on these and on long pasted queries (the 32 most repeated terms)."""
    filler = [(f"note {i}", f"notes {i} on caching and disks") for i in range(6)]
    texts = [("Scheduler", "the kernel scheduler decides which process runs next; the scheduler balances load"),
             ("Buffers", "memory allocation, file caching and network buffers"), *filler]
    meta = write_index(tmp_path / "lexical", texts, PARAMS)
    (tmp_path / "manifest.json").write_text(json.dumps({"lexical": meta}), encoding="utf-8")
    reader = IndexReader(tmp_path)
    repeated = "scheduler? yes, the scheduler: how does the scheduler pick memory, file or network work"
    once = "scheduler memory file network"
    assert python_rank(reader, repeated, len(texts))["order"][0] == 0
    assert python_rank(reader, once, len(texts))["order"][0] == 1
    words = " ".join(f"word{i}" for i in range(60))
    long = [f"{words} scheduler scheduler", f"{words} {words} buffers memory", " ".join(["file"] * 3 + [words])]
    queries = [repeated, once, *long]
    py = [python_rank(reader, q, len(texts)) for q in queries]
    out = js("rank", folder=str(tmp_path / "lexical"), firsts=meta["chunks"], stopwords=meta["stopwords"],
             count=len(texts), queries=queries, k=20, maxQueryTerms=meta["max_query_terms"])
    assert_same(queries, py, out, "lexical ranking with repeated words")
    assert py[2]["order"][0] == 0  # 62 distinct terms: the repeated "scheduler" is among the 32 counted
    assert query_term_counts(long[2], 32)[0] == ("file", 3) and len(query_term_counts(long[2], 32)) == 32


def test_the_meaning_scores_and_probes_are_pythons_to_the_last_bit(js):
    """hamming.js's asymmetricScore and clusters.js's probe against codes.asymmetric and clusters.probe: equal
    doubles, not close ones, on vectors whose values span 16 orders of magnitude (where any other summation
    order rounds differently: a BLAS dot product differs here) and on ties made on purpose (a code equal to
    another, centroids equal to others: the lower index first)."""
    from hamming_site.builder.output.clusters import probe
    from hamming_site.builder.output.codes import asymmetric, pack

    rng = np.random.default_rng(40)
    for bits in (32, 256, 1024):
        q = (rng.standard_normal(bits) * 10.0 ** rng.integers(-8, 8, bits)).astype(np.float32)
        signs = rng.choice(np.array([-1, 1], dtype=np.float32), size=(64, bits))
        signs[40:48] = signs[:8]  # twins
        codes = pack(signs)
        py = asymmetric(q, codes, bits).tolist()
        words = np.ascontiguousarray(codes).view("<u4").tolist()
        assert js("scores", q=q.tolist(), codes=words) == py
        assert py != (signs @ q).astype(np.float64).tolist()  # float32 BLAS, as before issue 40: not the page's
        centroids = np.vstack([rng.integers(-127, 128, (24, bits)) * np.float32(0.013), signs[:8]]).astype(np.float32)
        centroids[30:32] = centroids[24:26]
        assert js("probe", q=q.tolist(), centroids=centroids.tolist(), probes=20) == probe(centroids, q, 20).tolist()


# --- a phrase typed as the site writes it (phrase.py, phrase.js) -------------------------------------------------

PHRASE_TEXTS = ["を設定します。これは", "the related  package", "Word", "two words", "  Spaced\u3000Out\ufeff ", "日本",
                "日本語", "a", "", "ΣΊΣΥΦΟΣ rolls", "İstanbul Straße", "tab\there", "x\x1cy", "中文 apt", "🙂 two"]


def phrase_cases() -> list[dict]:
    """Results over small documents: a phrase in a ranked passage, in another passage of a short document, in a title
    only, in no document, across a passage boundary (not held), and with a sub-result to drop past perDoc."""
    docs = {
        "0": {"title": "Alpha", "text": "The mail server. Set it up with care.",
              "passages": [{"start": 0, "end": 16, "heading": "Mail, with care"},
                           {"start": 17, "end": 37, "heading": "Setup"}]},
        "1": {"title": "Beta", "text": "Nothing here about the thing."},
        "2": {"title": "Set it up with care", "text": "Other words."},
        "3": {"title": "Gamma", "text": "を設定します。これは大事です。",
              "passages": [{"start": 0, "end": 11, "heading": ""}, {"start": 11, "end": 15, "heading": "大事"}]},
        "4": {"title": "Delta", "text": "Mail server notes", "passages": [
            {"start": 0, "end": 5, "heading": "A"}, {"start": 5, "end": 12, "heading": "B"},
            {"start": 12, "end": 17, "heading": "C"}, {"start": 0, "end": 0, "heading": "set IT   up with Care!"}]},
    }
    firsts = {"0": 0, "1": 2, "2": 3, "3": 4, "4": 6}

    def result(index: int, rows: list[int], score: float) -> dict:
        return {"index": index, "score": score, "distance": None,
                "passages": [{"row": r, "score": score - n} for n, r in enumerate(rows)]}

    results = [result(1, [2], 9.0), result(4, [6, 7, 8], 8.0), result(0, [0], 7.0), result(2, [3], 6.0),
               result(3, [4], 5.0)]
    windows = {"0": {"title": "W", "text": "alpha beta. alpha beta. gamma alpha beta", "passages": [
        {"start": 0, "end": 11, "heading": "S", "anchor": "s"}, {"start": 12, "end": 23, "heading": "S", "anchor": "s"},
        {"start": 24, "end": 40, "heading": "T", "anchor": "t"}]}}
    # a section's two windows hold it: the section once, then the other section holding it
    one = [{"query": "Alpha  beta", "results": [result(0, [1], 3.0)], "docs": windows, "firsts": {"0": 0},
            "perDoc": 3}]
    return one + [{"query": q, "results": results, "docs": docs, "firsts": firsts, "perDoc": 3}
            for q in ("set it up with care", "SET it  up", "mail server", "server. set", "を設定します。これは",
                      "します。これは大事", "nothing", "no such phrase", "care", "with care")]


def test_phrase_first_matches_js(js):
    from hamming_site.builder.search.phrase import PHRASE_DEPTH, holding, phrase_first, phrase_key, phrase_of

    cases = phrase_cases()
    out = js("phrase", texts=PHRASE_TEXTS, cases=cases)
    assert_same(PHRASE_TEXTS, [phrase_key(t) for t in PHRASE_TEXTS], out["keys"], "phrase keys")
    assert_same(PHRASE_TEXTS, [phrase_of(t) for t in PHRASE_TEXTS], out["phrases"], "phrases")
    py = []
    for c in cases:
        phrase = phrase_of(c["query"])

        def text_of(span, doc):
            units = doc["text"].encode("utf-16-le", "surrogatepass")
            return units[2 * span["start"] : 2 * span["end"]].decode("utf-16-le", "surrogatepass")

        rows = [] if phrase is None else [
            holding(r, c["docs"][str(r["index"])], c["firsts"][str(r["index"])], phrase,
                    lambda span, doc=c["docs"][str(r["index"])]: text_of(span, doc), c["perDoc"])
            for r in c["results"][:PHRASE_DEPTH]]
        py.append(phrase_first(c["results"], phrase, rows, c["perDoc"]))
    assert_same([c["query"] for c in cases], py, out["ordered"], "phrase first")
    assert [p["row"] for p in py[0][0]["passages"]] == [1, 2]  # a section's windows once
    cases, py = cases[1:], py[1:]
    order = {c["query"]: [(r["index"], r["passages"][0]["row"]) for r in o] for c, o in zip(cases, py, strict=True)}
    # held in a passage ranked for it, in another passage, in a heading, in a title only; the rest keep their order
    assert order["set it up with care"] == [(4, 9), (0, 1), (2, 3), (1, 2), (3, 4)]
    assert order["mail server"] == [(0, 0), (1, 2), (4, 6), (2, 3), (3, 4)]  # Delta's is cut by a passage's end
    assert order["を設定します。これは"][0] == (3, 4)
    assert order["server. set"][0] == (1, 2) and order["します。これは大事"][0] == (1, 2)  # across passages: not held
    assert order["care"] == order["no such phrase"] == [(1, 2), (4, 6), (0, 0), (2, 3), (3, 4)]  # one word: no phrase
    assert [[p["row"] for p in r["passages"]] for r in py[0]][:2] == [[9, 6, 7], [1, 0]]  # perDoc at most
    rows_of = {c["query"]: [(r["index"], [p["row"] for p in r["passages"]]) for r in o]
               for c, o in zip(cases, py, strict=True)}
    # every passage holding it first
    assert rows_of["with care"] == [(4, [9, 6, 7]), (0, [0, 1]), (2, [3]), (1, [2]), (3, [4])]
    many = [{"index": i, "passages": [{"row": i, "score": 1.0}]} for i in range(PHRASE_DEPTH + 2)]
    held = [None] * (PHRASE_DEPTH - 1) + [[PHRASE_DEPTH - 1]]  # the last of the first screen holds it: it comes first
    assert [r["index"] for r in phrase_first(many, "a b", held, 3)] == \
        [PHRASE_DEPTH - 1, *range(PHRASE_DEPTH - 1), PHRASE_DEPTH, PHRASE_DEPTH + 1]
