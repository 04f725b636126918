"""The languages the keyword index knows, and a page's language when nothing says it.

Stemmed with Snowball 2.2 (PyStemmer 2.2.0.3 here, the same rules compiled to JavaScript in the page:
@orama/stemmers 3.1.18's files are Snowball's own generated code, and agree with PyStemmer word for word on
5.05 M distinct words of real text in these 11 languages, Debian's word lists and manuals; porter2 1.1.0 for
English, as before): en, de, fr, es, it, pt, nl, sv, da, no, fi, ru. Only English drops stop words (Lucene's short
list, tokenize.STOPWORDS; stopwords() says why the others drop none); Snowball's own lists
(data/snowball_stopwords.json, BSD-3-Clause: data/SNOWBALL-LICENSE) tell a page's language. Chinese, Japanese and
Korean are cut into overlapping character bigrams (tokenize.py), as Lucene's CJK analyzer does: no dictionary, so
the build and the page cannot segment differently. Any other language is indexed as written, lower-cased, unstemmed.

A page's language: what it says (<html lang>, front matter or a .jsonl record's `lang`, --language), else
detect(): the script of its letters (kana: ja, hangul: ko, han: zh, cyrillic: ru), else the Latin-script language
whose Snowball stop words its words hit most (English where none stands out).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

# code -> Snowball's name (PyStemmer's), and the page's stemmer (@orama/stemmers' file name; English: porter2)
STEMMERS = {"en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian", "pt": "portuguese",
            "nl": "dutch", "sv": "swedish", "da": "danish", "no": "norwegian", "fi": "finnish", "ru": "russian"}
PAGE_STEMMERS = {"de": "de", "fr": "fr", "es": "es", "it": "it", "pt": "pt", "nl": "nl", "sv": "se", "da": "dk",
                 "no": "no", "fi": "fi", "ru": "ru"}
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "ji": "yi"}
# ISO 639-1: a --language (or a page's lang) outside it is a mistake, not a language without a stemmer
ISO_639_1 = frozenset("""aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy
da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik
io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt
my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so
sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu""".split())

# han, kana and hangul: what the keyword index cuts into bigrams (tokenize.py) and query_views counts one by one
CJK = ("\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
       "\uf900-\ufaff\uff66-\uff9f")
CJK_PUNCTUATION = "\u3000-\u303f\uff01-\uff65"  # their full stops, brackets and full-width signs
_CYRILLIC_LETTERS, _GREEK, _HEBREW = "\u0400-\u04ff", "\u0370-\u03ff\u1f00-\u1fff", "\u0590-\u05ff"
_ARABIC, _THAI, _DEVANAGARI = "\u0600-\u06ff\u0750-\u077f", "\u0e00-\u0e7f", "\u0900-\u097f"
# the letters each script's languages are written in, as a character class's ranges (the manifest's fusion
# "across": the page and search/fusion.py tell by them a question written in another script than the site's)
_SCRIPT_LETTERS = {**dict.fromkeys(CJK_LANGUAGES, CJK),
                   **dict.fromkeys(("ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn", "tt", "ba", "cv",
                                    "ce", "os", "kv", "av", "cu"), _CYRILLIC_LETTERS),
                   "el": _GREEK, "he": _HEBREW, "yi": _HEBREW,
                   **dict.fromkeys(("ar", "fa", "ur", "ps", "ug", "sd"), _ARABIC),
                   "th": _THAI, **dict.fromkeys(("hi", "mr", "ne", "sa"), _DEVANAGARI)}
# the scripts detect() tells apart, as character classes (the page needs none of this: languages come from the build)
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile(f"[{_CYRILLIC_LETTERS}]")
# scripts that name their language well enough, for languages with no stemmer here: words are indexed as written
# (a Greek, Hebrew, Arabic, Thai or Hindi page counted as its own, not as the site's commonest language)
_SCRIPTS = {code: re.compile(f"[{_SCRIPT_LETTERS[code]}]") for code in ("el", "he", "ar", "th", "hi")}
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")
DETECT_CHARS = 4000  # a page's first characters are enough to tell its language, and bound the cost
SCRIPT_SHARE = 0.2  # of a page's letters, the share that makes it CJK or Cyrillic
# stop words a Latin-script page must hit, and by how much its language must lead the next: the example's 1,462
# docstrings, SciFact, Cranfield and CACM then detect as English but for a handful too short to tell (those take
# the site's commonest language); real German, French, ... manuals each detect as theirs (docs/benchmarks.md)
MIN_HITS, MARGIN = 4, 1.5


def normalize(code: str) -> str:
    """A BCP 47 tag's language ("de-DE" -> "de", "zh_Hans" -> "zh", "nb" -> "no"); "" for an empty one."""
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return ALIASES.get(primary, primary)


def known(code: str) -> bool:
    return normalize(code) in ISO_639_1


@lru_cache(maxsize=1)
def _snowball_stopwords() -> dict[str, frozenset[str]]:
    data = resources.files("hamming_site.builder.data").joinpath("snowball_stopwords.json").read_text("utf-8")
    return {code: frozenset(words) for code, words in json.loads(data).items()}


def stopwords(code: str) -> frozenset[str]:
    """The words a language's keyword index leaves out: none but English's (tokenize.STOPWORDS, Lucene's 33). With
    Snowball's own lists (94-308 words) a piece of a section's text typed as it is found its section less often on
    real manuals (developers-reference de 94.3 % in the top 3, fr 90.2 %; without them 96.7 %, 92.7 %; maint-guide
    ru 89.3 % either way: docs/benchmarks.md), so they serve detect() only; BM25's idf already makes a word that
    every page has weigh little."""
    return frozenset()


def script_letters(code: str) -> str | None:
    """The ranges of the letters `code`'s language is written in (a character class without its brackets), or None
    for a language written in Latin letters (or one this table does not know)."""
    return _SCRIPT_LETTERS.get(normalize(code))


def detect(text: str) -> str | None:
    """The language of a page that does not say: by script, else by stop words; None where neither tells (a short
    or code-like text: with_languages then takes the site's commonest)."""
    sample = text[:DETECT_CHARS]
    letters = len(_LETTER.findall(sample))
    if not letters:
        return None
    kana, hangul, han = len(_KANA.findall(sample)), len(_HANGUL.findall(sample)), len(_HAN.findall(sample))
    if kana + hangul + han >= SCRIPT_SHARE * letters:
        return "ja" if kana >= 0.1 * (kana + han) and kana >= hangul else "ko" if hangul > han else "zh"
    if len(_CYRILLIC.findall(sample)) >= SCRIPT_SHARE * letters:
        return "ru"
    for code, script in _SCRIPTS.items():
        if len(script.findall(sample)) >= 0.5 * letters:  # most of its letters: a formula's α β never decides
            return code
    # distinct words of two letters or more: "a", "e", "l" are in too many lists, and a name repeated in code ("io")
    # is one word however often it comes
    words = {w.lower() for w in _WORD.findall(sample) if len(w) > 1}
    lists = _snowball_stopwords()
    hits = {code: len(words & lists[code]) for code in STEMMERS if code != "ru"}
    best = max(sorted(hits), key=lambda c: hits[c])
    # shared short words ("in", "de", "die", "io") hit several lists: a language wins by a clear margin only
    runner_up = max((n for c, n in hits.items() if c != best), default=0)
    return best if hits[best] >= MIN_HITS and hits[best] >= MARGIN * runner_up else None
