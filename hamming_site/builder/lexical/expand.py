"""Search as you type: the index terms a half-typed or mistyped query word stands for, found in the keyword index's
own chunks, the same in the page (hamming_site/web/expand.js, whose names match these).

- **Prefixes**: the word being typed (the query's last word, where the text ends inside it, of `prefix_min` letters
  or more, no stop word) also matches the terms it begins: those in the chunk that would hold it and at most
  `prefix_chunks - 1` chunks after it (the terms are sorted, so a prefix's terms are consecutive; a one- or
  two-letter prefix that spans more chunks gets those of its first chunks, never the whole index), the
  `prefix_terms` of them that most documents have. Each counts a document's impact times (len(prefix) +
  len(term)) / (2 len(term)): a whole-word match weighs most, a word typed nearly whole nearly as much.
- **Typos**: a query word of `typo_min` letters or more that no term matches (and, for the word being typed, that
  begins none) is matched to the terms within one edit (a letter dropped, added, changed, or two swapped; two edits
  for words of 8 letters or more) of its stem or of itself, looked for where one edit leaves them: a one-edit typo
  leaves intact either the word's first half or all of it after its first half and one letter, so the terms
  sharing its stem's first half are in the chunks around the stem itself (compared with the stem, and with the word
  cut to the term's length: a typo in a word's ending keeps the stemmer from cutting it), and the words sharing its
  end are found among the index's reversed keys (`<` + a word as written, backwards, no postings), around the word
  written backwards (at most 3 chunks each), and give their terms. A word the index does know is also matched to
  a term one edit away in its own chunk that `typo_ratio` times more documents have (the typo that is itself a
  rare word). At most `typo_words` words a query, `typo_terms` terms a word (the nearest first, then in key
  order). Each counts a document's impact halved per edit.
- A word's expansions score a document by the best of them beyond what the word's own terms give it (a typed
  prefix is one word, not a bag of them), added to the keyword ranking's integer scores; the static encoder takes
  the first `static_terms` of each word's expansions at half a word's weight.

All bounds are the manifest's (`lexical.expand`), written by the index, read by both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from hamming_site.builder.lexical.index import chunk_of
from hamming_site.builder.lexical.tokenize import EXACT, LOOSE, REVERSED, plain, sort_key, stops, terms, words

Chunk = dict[str, tuple[list[int], list[int]]]


class Group(NamedTuple):
    """One expanded word: a document scores the best of its terms' impact x numerator // denominator, beyond what
    the word's own terms (already counted) give it: the typed "compile" counts a page with "compile" and
    "compileall" once."""

    word: str
    own: list[str]
    terms: list[tuple[str, int, int]]


def units(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript counts a string."""
    return len(text.encode("utf-16-le")) // 2


def typed_word(text: str, rules: dict, stop: frozenset[str]) -> str | None:
    """The word being typed: the query's last word where the text ends inside it, else None; never a stop word
    (the "of" ending a question is no word half-typed; "ins" is, as "in" would be)."""
    found = words(text)
    if not found or not text.lower().endswith(found[-1]):
        return None
    last = found[-1]
    return last if units(last) >= rules["prefix_min"] and plain(last) and last not in stop else None


def range_chunks(prefix: str, firsts: list[str], bound: int) -> list[int]:
    """The chunks holding the first terms that begin with prefix: the one that would hold the prefix itself and the
    next ones while their first key still begins with it, `bound` at most."""
    c = chunk_of(prefix, firsts)
    out = [c]
    while len(out) < bound and c + 1 < len(firsts) and firsts[c + 1].startswith(prefix):
        c += 1
        out.append(c)
    return out


def near_chunks(key: str, prefix: str, firsts: list[str]) -> list[int]:
    """The chunk that would hold key, and its neighbours where they may hold keys beginning with prefix."""
    c = chunk_of(key, firsts)
    out = [c - 1] if c > 0 and sort_key(prefix) < sort_key(firsts[c]) else []
    out.append(c)
    if c + 1 < len(firsts) and firsts[c + 1].startswith(prefix):
        out.append(c + 1)
    return out


def within(a: str, b: str, most: int) -> int | None:
    """The optimal-string-alignment distance of a and b (Levenshtein plus swapping two neighbours) where it is at
    most `most`, else None."""
    if abs(len(a) - len(b)) > most:
        return None
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        nxt = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            nxt[j] = min(row[j] + 1, nxt[j - 1] + 1, row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                nxt[j] = min(nxt[j], before[j - 2] + 1)
        if min(nxt) > most:
            return None
        before, row = row, nxt
    return row[-1] if row[-1] <= most else None


def halves(stem: str, word: str) -> tuple[str, str]:
    """(the stem's first half, the reversed keys' prefix of the word's end): one edit leaves one of them intact."""
    n = len(word)
    return stem[: (len(stem) + 1) // 2], REVERSED + word[::-1][: max(1, n - (n + 1) // 2 - 1)]


def stem_distance(word: str, stem: str, term: str, most: int) -> int | None:
    """How far a mistyped word is from a term (a stem): its own stem's distance, or that of the word cut to the
    term's length (one letter more or less), where a typo in its ending kept the stemmer from cutting it
    ("correlatgion" is no stem of "correl"); at least 1, None beyond `most`."""
    n = len(term)
    found = [d for d in (within(stem, term, most), *(within(word[: n + j], term, most) for j in (-1, 0, 1)))
             if d is not None]
    return max(1, min(found)) if found else None


class Expansion:
    """One query's expansions, worked out in three rounds of chunk reads (each round's chunks fetched together in
    the page): `wanted()` lists the chunks the next round needs, `take(chunks)` reads them."""

    def __init__(self, text: str, languages: tuple[str, ...], rules: dict, firsts: list[str]):
        self.rules, self.firsts, self.languages = rules, firsts, languages
        self.exact = set(terms(text, languages))
        stop = frozenset().union(*(stops(c) for c in languages))
        self.typed = typed_word(text, rules, stop) if firsts else None
        self.prefix_terms: list[tuple[str, int, int]] = []  # (term, numerator, denominator)
        self.words = [w for w in dict.fromkeys(words(text)) if units(w) >= rules["typo_min"] and plain(w)
                      and w not in stop] if firsts else []
        self.stems = {w: (terms(w, languages) or [w])[0] for w in self.words}
        self.typos: dict[str, list[tuple[str, int]]] = {}  # word -> [(term, edits)]
        self._unknown: list[str] = []  # the words no term matches, looked for in round 1
        self.round = 0

    def wanted(self) -> list[int]:
        """The chunks the next round reads ([] once done)."""
        if self.round == 0:
            out = [chunk_of(s, self.firsts) for s in self.stems.values()]
            if self.typed is not None:
                out += range_chunks(self.typed, self.firsts, self.rules["prefix_chunks"])
            return sorted(set(out))
        if self.round == 1:
            out = []
            for w in self._unknown:
                first, back = halves(self.stems[w], w)
                out += near_chunks(self.stems[w], first, self.firsts) + near_chunks(REVERSED + w[::-1], back,
                                                                                    self.firsts)
            return sorted(set(out))
        if self.round == 2:
            return sorted({chunk_of(t, self.firsts) for found in self.typos.values() for t, _ in found})
        return []

    def take(self, chunks: dict[int, Chunk]) -> None:
        """Reads the chunks `wanted()` listed (and any others already read) and moves to the next round."""
        if self.round == 0:
            self._prefixes(chunks)
            df = {w: len(chunks[chunk_of(s, self.firsts)].get(s, ((),))[0]) for w, s in self.stems.items()}
            known = [w for w in self.words if df[w] > 0]
            self._unknown = [w for w in self.words if df[w] == 0 and not (w == self.typed and self.prefix_terms)]
            self._unknown = self._unknown[: self.rules["typo_words"]]
            for w in known[: max(0, self.rules["typo_words"] - len(self._unknown))]:
                found = self._rare(w, df[w], chunks[chunk_of(self.stems[w], self.firsts)])
                if found:
                    self.typos[w] = found
        elif self.round == 1:
            for w in self._unknown:
                found = self._near(w, chunks)
                if found:
                    self.typos[w] = found
        self.round += 1

    def _prefixes(self, chunks: dict[int, Chunk]) -> None:
        p = self.typed
        if p is None:
            return
        found = [(key, len(postings[0])) for c in range_chunks(p, self.firsts, self.rules["prefix_chunks"])
                 for key, postings in chunks[c].items() if key.startswith(p) and key not in self.exact]
        found.sort(key=lambda kv: (-kv[1], sort_key(kv[0])))
        self.prefix_terms = [(t, units(p) + units(t), 2 * units(t)) for t, _ in found[: self.rules["prefix_terms"]]]

    def _nearest(self, found: dict[str, int]) -> list[tuple[str, int]]:
        """The terms found nearest first, then in key order, at most typo_terms; none the query has itself."""
        found = {t: d for t, d in found.items() if t not in self.exact}
        return sorted(found.items(), key=lambda kv: (kv[1], sort_key(kv[0])))[: self.rules["typo_terms"]]

    def _near(self, w: str, chunks: dict[int, Chunk]) -> list[tuple[str, int]]:
        """An unknown word's terms within reach: stems sharing its stem's first half, around its stem; words as
        written sharing its end, around it written backwards (their terms then)."""
        s, most = self.stems[w], 1 if units(w) < 8 else 2
        first, back = halves(s, w)
        found: dict[str, int] = {}
        for c in near_chunks(s, first, self.firsts):
            for key in chunks[c]:
                if key.startswith(first) and plain(key) and (d := stem_distance(w, s, key, most)) is not None:
                    found[key] = min(d, found.get(key, d))
        for c in near_chunks(REVERSED + w[::-1], back, self.firsts):
            for key in chunks[c]:
                if key.startswith(back) and (d := within(w, key[1:][::-1], most)) is not None and d > 0:
                    for t in terms(key[1:][::-1], self.languages):
                        found[t] = min(d, found.get(t, d))
        return self._nearest(found)

    def _rare(self, w: str, df: int, chunk: Chunk) -> list[tuple[str, int]]:
        """A known word's terms one edit from its stem in its own chunk that typo_ratio times more documents have."""
        s = self.stems[w]
        return self._nearest({k: 1 for k, (docs, _) in chunk.items() if k[:1] not in (REVERSED, EXACT, LOOSE) and k != s
                              and len(docs) >= self.rules["typo_ratio"] * df and plain(k)
                              and within(s, k, 1) is not None})

    def groups(self) -> list[Group]:
        """Each expanded word: its own terms and the terms it stands for with their weights."""
        out = [Group(self.typed, terms(self.typed, self.languages), self.prefix_terms)] if self.prefix_terms else []
        out += [Group(w, [self.stems[w]], [(t, 1, 2**d) for t, d in found]) for w, found in self.typos.items()]
        return out


def expand(text: str, languages: tuple[str, ...], rules: dict, firsts: list[str],
           chunk: Callable[[int], Chunk]) -> list[Group]:
    """The query's expansion groups (Expansion.groups), reading chunks through chunk(n)."""
    e = Expansion(text, languages, rules, firsts)
    read: dict[int, Chunk] = {}
    while e.round < 3:
        for c in e.wanted():
            read.setdefault(c, chunk(c))
        e.take(read)
    return e.groups()
