// Search as you type: the index terms a half-typed or mistyped query word stands for, found in the keyword index's
// own chunks. The twin of hamming_site/builder/lexical/expand.py (which says the rules in full), name for name, and
// parity-tested against it (tests/test_expand.py); the bounds are the manifest's lexical.expand. No DOM, no fetch.
import { chunkOf, EXACT, LOOSE, REVERSED, plain, words } from "./lexical.js";

/** The word being typed: the query's last word where the text ends inside it, else null; never a stop word. */
export function typedWord(text, rules, stop) {
  const found = words(text);
  const last = found[found.length - 1];
  if (!last || !String(text).toLowerCase().endsWith(last)) return null;
  return last.length >= rules.prefix_min && plain(last) && !stop.has(last) ? last : null;
}

/** The chunk holding prefix and the next ones while their first key still begins with it, bound at most. */
export function rangeChunks(prefix, firsts, bound) {
  let c = chunkOf(prefix, firsts);
  const out = [c];
  while (out.length < bound && c + 1 < firsts.length && firsts[c + 1].startsWith(prefix)) out.push(++c);
  return out;
}

/** The chunk that would hold key, and its neighbours where they may hold keys beginning with prefix. */
export function nearChunks(key, prefix, firsts) {
  const c = chunkOf(key, firsts);
  const out = c > 0 && prefix < firsts[c] ? [c - 1, c] : [c];
  if (c + 1 < firsts.length && firsts[c + 1].startsWith(prefix)) out.push(c + 1);
  return out;
}

/** Optimal-string-alignment distance of a and b where it is at most `most`, else null. */
export function within(a, b, most) {
  if (Math.abs(a.length - b.length) > most) return null;
  let before = [];
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) next[j] = Math.min(next[j], before[j - 2] + 1);
    }
    if (Math.min(...next) > most) return null;
    [before, row] = [row, next];
  }
  return row[b.length] <= most ? row[b.length] : null;
}

const reversed = (s) => [...s].reverse().join("");
const jsOrder = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** [the stem's first half, the reversed keys' prefix of the word's end]: one edit leaves one of them intact. */
export function halves(stem, word) {
  const n = word.length;
  return [stem.slice(0, (stem.length + 1) >> 1), REVERSED + reversed(word).slice(0, Math.max(1, n - ((n + 1) >> 1) - 1))];
}

/** A mistyped word's distance to a term: its stem's, or the word cut to the term's length (+-1); at least 1. */
export function stemDistance(word, stem, term, most) {
  const n = term.length;
  const found = [within(stem, term, most), ...[-1, 0, 1].map((j) => within(word.slice(0, Math.max(0, n + j)), term, most))]
    .filter((d) => d !== null);
  return found.length ? Math.max(1, Math.min(...found)) : null;
}

/** One query's expansions, in three rounds of chunk reads: wanted() lists the chunks the next round needs,
 * take(chunks: Map n -> Map key -> postings) reads them. tok: the page's tokenizer (lexical.js). */
export class Expansion {
  constructor(text, tok, rules, firsts) {
    Object.assign(this, { tok, rules, firsts });
    this.exact = new Set(tok.terms(text));
    this.typed = firsts.length ? typedWord(text, rules, tok.stop) : null;
    this.prefixTerms = [];
    this.words = firsts.length
      ? [...new Set(words(text))].filter((w) => w.length >= rules.typo_min && plain(w) && !tok.stop.has(w)) : [];
    this.stems = new Map(this.words.map((w) => [w, tok.terms(w)[0] ?? w]));
    this.typos = new Map();
    this.unknown = [];
    this.round = 0;
  }

  wanted() {
    const { firsts } = this;
    let out = [];
    if (this.round === 0) {
      out = [...this.stems.values()].map((s) => chunkOf(s, firsts));
      if (this.typed !== null) out.push(...rangeChunks(this.typed, firsts, this.rules.prefix_chunks));
    } else if (this.round === 1) {
      for (const w of this.unknown) {
        const [first, back] = halves(this.stems.get(w), w);
        out.push(...nearChunks(this.stems.get(w), first, firsts), ...nearChunks(REVERSED + reversed(w), back, firsts));
      }
    } else if (this.round === 2) {
      for (const found of this.typos.values()) for (const [t] of found) out.push(chunkOf(t, firsts));
    }
    return [...new Set(out)].sort((a, b) => a - b);
  }

  take(chunks) {
    if (this.round === 0) {
      this.prefixes(chunks);
      const df = new Map([...this.stems].map(([w, s]) => [w, chunks.get(chunkOf(s, this.firsts)).get(s)?.docs.length ?? 0]));
      const known = this.words.filter((w) => df.get(w) > 0);
      this.unknown = this.words.filter((w) => df.get(w) === 0 && !(w === this.typed && this.prefixTerms.length))
        .slice(0, this.rules.typo_words);
      for (const w of known.slice(0, Math.max(0, this.rules.typo_words - this.unknown.length))) {
        const found = this.rare(w, df.get(w), chunks.get(chunkOf(this.stems.get(w), this.firsts)));
        if (found.length) this.typos.set(w, found);
      }
    } else if (this.round === 1) {
      for (const w of this.unknown) {
        const found = this.near(w, chunks);
        if (found.length) this.typos.set(w, found);
      }
    }
    this.round++;
  }

  prefixes(chunks) {
    const p = this.typed;
    if (p === null) return;
    const found = [];
    for (const c of rangeChunks(p, this.firsts, this.rules.prefix_chunks))
      for (const [key, { docs }] of chunks.get(c)) if (key.startsWith(p) && !this.exact.has(key)) found.push([key, docs.length]);
    found.sort((a, b) => b[1] - a[1] || jsOrder(a[0], b[0]));
    this.prefixTerms = found.slice(0, this.rules.prefix_terms).map(([t]) => [t, p.length + t.length, 2 * t.length]);
  }

  nearest(found) {
    return [...found].filter(([t]) => !this.exact.has(t))
      .sort((a, b) => a[1] - b[1] || jsOrder(a[0], b[0])).slice(0, this.rules.typo_terms);
  }

  near(w, chunks) {
    const s = this.stems.get(w), most = w.length < 8 ? 1 : 2;
    const [first, back] = halves(s, w);
    const found = new Map();
    const keep = (t, d) => found.set(t, Math.min(d, found.get(t) ?? d));
    for (const c of nearChunks(s, first, this.firsts)) {
      for (const key of chunks.get(c).keys()) {
        const d = key.startsWith(first) && plain(key) ? stemDistance(w, s, key, most) : null;
        if (d !== null) keep(key, d);
      }
    }
    for (const c of nearChunks(REVERSED + reversed(w), back, this.firsts)) {
      for (const key of chunks.get(c).keys()) {
        if (!key.startsWith(back)) continue;
        const written = reversed(key.slice(1));
        const d = within(w, written, most);
        if (d !== null && d > 0) for (const t of this.tok.terms(written)) keep(t, d);
      }
    }
    return this.nearest(found);
  }

  rare(w, df, chunk) {
    const s = this.stems.get(w);
    const found = new Map();
    for (const [k, { docs }] of chunk) {
      if (![REVERSED, EXACT, LOOSE].includes(k[0]) && k !== s && docs.length >= this.rules.typo_ratio * df && plain(k)
          && within(s, k, 1) !== null) found.set(k, 1);
    }
    return this.nearest(found);
  }

  /** [{word, own: [term], terms: [[term, numerator, denominator]]}]: each expanded word. */
  groups() {
    const out = this.prefixTerms.length ? [{ word: this.typed, own: this.tok.terms(this.typed), terms: this.prefixTerms }] : [];
    for (const [w, found] of this.typos) out.push({ word: w, own: [this.stems.get(w)], terms: found.map(([t, d]) => [t, 1, 2 ** d]) });
    return out;
  }
}

/** The query's expansion groups, reading chunks through the async chunk(n) -> Map (or null where missing: the
 * query goes on without them). */
export async function expand(text, tok, rules, firsts, chunk) {
  const e = new Expansion(text, tok, rules, firsts);
  const read = new Map();
  while (e.round < 3) {
    const want = e.wanted().filter((c) => !read.has(c));
    const got = await Promise.all(want.map((c) => chunk(c)));
    want.forEach((c, i) => read.set(c, got[i] ?? new Map()));
    e.take(read);
  }
  return e.groups();
}

/** Adds each group's best term (impact x num / den, integer) beyond its word's own best to scores (bm25Scores'
 * {scores, hits}); postings(term) -> {docs, weights} or null. */
export function addGroups(lexical, groups, postings) {
  const { scores, hits } = lexical;
  for (const { own, terms } of groups) {
    const best = new Map(), mine = new Map();
    for (const [into, entries] of [[mine, own.map((t) => [t, 1, 1])], [best, terms]]) {
      for (const [term, num, den] of entries) {
        const list = postings(term);
        if (!list) continue;
        for (let j = 0; j < list.docs.length; j++) {
          const v = Math.floor((list.weights[j] * num) / den);
          if (v > (into.get(list.docs[j]) ?? 0)) into.set(list.docs[j], v);
        }
      }
    }
    for (const [d, v] of best) {
      const add = v - (mine.get(d) ?? 0);
      if (add <= 0) continue;
      if (scores[d] === 0) hits.push(d);
      scores[d] += add;
    }
  }
  return lexical;
}
