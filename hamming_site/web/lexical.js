// Pure functions of the keyword search: tokenization (the build's hamming_site/builder/lexical/tokenize.py, parity-tested on
// every word of the example corpus), the chunked BM25 index's binary format (hamming_site/builder/lexical/index.py says it in
// full), integer BM25 scoring and exact-title tiers (hamming_site/builder/search/lexical.py). Fusing it with the meaning ranking
// is fusion.js's. No DOM, no fetch: unit-tested in node (tests/js/).

const WORD = /[\p{L}\p{N}]+/gu; // Python's [^\W_]+ (str.isalnum runs)
// whitespace as both Python and JavaScript define it (str.split and /\s/ each add a few code points of their own)
const SPACE = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;
const ASTRAL = /[\u{10000}-\u{10FFFF}]/u;
export const EXACT = "=", LOOSE = "~", REVERSED = "<"; // the title keys' and the reversed keys' first character

/** Lower-cased runs of letters and digits. */
export function words(text) {
  return String(text).toLowerCase().match(WORD) ?? [];
}

// the characters cut into overlapping bigrams in Chinese, Japanese and Korean (tokenize.py's CJK, the same ranges)
export const CJK = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f";
const CJK_SPLIT = new RegExp(`[${CJK}]+|[^${CJK}]+`, "gu");
const CJK_CHAR = new RegExp(`[${CJK}]`, "u");

/** A word that typos and prefixes apply to (expand.js): no CJK character, none outside the BMP (tokenize.py's). */
export const plain = (word) => !CJK_CHAR.test(word) && !ASTRAL.test(word);

/** A run of CJK characters as its overlapping pairs; a lone character as itself (tokenize.py's bigrams). */
export function bigrams(run) {
  const chars = [...run];
  if (chars.length < 2) return [run];
  return chars.slice(1).map((c, i) => chars[i] + c);
}

/**
 * {terms, queryTerms, queryTermCounts, queryWords, stop} for a stemmer (porter2.mjs's stem) and the index's stop words: English
 * alone. languages: the site's where it is not all English, [[code, stem function or null, stop words]] in the
 * manifest's order; each word then gives its distinct stems, one per language, unless it is a stop word of any of
 * them, and runs of CJK characters their bigrams (tokenize.py's terms). stop: the words a query leaves out.
 */
export function tokenizer(stem, stopwords, languages = null) {
  /** fn with a cache of its own (a query's words repeat across keystrokes and tiers). */
  const stemmer = (fn) => {
    const cache = new Map();
    return (w) => {
      let s = cache.get(w);
      // porter2 counts UTF-16 code units, PyStemmer code points: words with astral characters stay unstemmed
      if (s === undefined) { s = ASTRAL.test(w) ? w : fn(w); if (cache.size < 50000) cache.set(w, s); }
      return s;
    };
  };
  // each word as its terms (tokenize.py's word_terms): one stem a language, each CJK bigram on its own
  let wordTerms, stop;
  if (!languages) {
    stop = new Set(stopwords);
    const stemmed = stemmer(stem);
    wordTerms = (text) => words(text).filter((w) => !stop.has(w)).map((w) => [stemmed(w)]);
  } else {
    const site = languages.map(([code, fn]) => ({ code, stem: fn ? stemmer(fn) : (w) => w }));
    // a stop word of any language is left out of all (tokenize.py's terms says why)
    stop = new Set(languages.flatMap(([, , list]) => [...list]));
    // CJK runs as bigrams in every language but English alone, which keeps them whole as it always did (tokenize.py)
    const cjk = !(site.length === 1 && site[0].code === "en");
    wordTerms = (text) => {
      const out = [];
      for (const word of words(text)) {
        for (const part of cjk && CJK_CHAR.test(word) ? word.match(CJK_SPLIT) : [word]) {
          if (cjk && CJK_CHAR.test(part[0])) { for (const b of bigrams(part)) out.push([b]); continue; }
          if (!stop.has(part)) out.push([...new Set(site.map((l) => l.stem(part)))]);
        }
      }
      return out;
    };
  }
  const terms = (text) => wordTerms(text).flat();
  /** [[term, times the query repeats it]]: the most repeated first, ties in first-seen order, at most limit
   * (hamming_site/builder/lexical/tokenize.py's query_term_counts). */
  const queryTermCounts = (text, limit = Infinity) => {
    const counts = new Map();
    for (const t of terms(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit); // Array.prototype.sort is stable
  };
  /** The query's distinct words, each as its terms, first seen first, at most limit (tokenize.py's query_words):
   * what "holds the whole question" counts (coverage). */
  const queryWords = (text, limit = Infinity) => {
    const seen = new Map();
    for (const w of wordTerms(text)) { const key = w.join("\u0000"); if (!seen.has(key)) seen.set(key, w); }
    return [...seen.values()].slice(0, limit);
  };
  return { terms, queryTerms: (text) => [...new Set(terms(text))], queryTermCounts, queryWords, stop };
}

/** 64-bit FNV-1a of the UTF-8 bytes, as 16 hex digits. */
export function fnv1a64Hex(text) {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

/** [exact, loose] title keys of a title or query (null where empty): see tokenize.py's title_keys. */
export function titleKeys(title) {
  const exact = String(title).split(SPACE).filter(Boolean).join(" ");
  const loose = words(title).join(" ");
  return [[EXACT, exact], [LOOSE, loose]].map(([p, t]) => (t ? p + fnv1a64Hex(t) : null));
}

/** The chunk that would hold key: the last whose first key is <= key (JavaScript string order). */
export function chunkOf(key, firsts) {
  let lo = 0, hi = firsts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (firsts[mid] <= key) lo = mid; else hi = mid - 1;
  }
  return lo;
}

const HEADER = 12;
const MAGIC = 0x4c4d4148; // "HAML" as a little-endian u32

/** A chunk file -> Map key -> {docs: Uint32Array, weights: Uint8Array}; throws a readable Error. */
export function parseChunk(buffer, name = "chunk") {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < HEADER) throw new Error(`${name} is shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC || view.getUint16(4, true) !== 1)
    throw new Error(`${name} is not a version-1 keyword index chunk`);
  const count = view.getUint32(8, true);
  const decoder = new TextDecoder();
  let at = HEADER;
  const varint = () => {
    let n = 0, scale = 1, byte;
    do {
      if (at >= bytes.length) throw new Error(`${name} is truncated`);
      byte = bytes[at++];
      n += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte & 0x80);
    return n;
  };
  const out = new Map();
  for (let i = 0; i < count; i++) {
    const len = varint();
    const key = decoder.decode(bytes.subarray(at, at + len));
    at += len;
    const df = varint();
    const end = varint() + at;
    if (end > bytes.length) throw new Error(`${name} is truncated`);
    const docs = new Uint32Array(df), weights = new Uint8Array(df);
    for (let j = 0, doc = 0; j < df; j++) {
      doc += varint();
      docs[j] = doc;
      weights[j] = bytes[at++];
    }
    if (at !== end) throw new Error(`${name}: key ${key} has a malformed postings list`);
    out.set(key, { docs, weights });
  }
  return out;
}

/** Sum of impacts over the query's postings lists, each times its term's count in the query (qtf, default 1):
 * {scores: Uint32Array(count), hits: touched indices}. */
export function bm25Scores(postings, count) {
  const scores = new Uint32Array(count);
  const hits = [];
  for (const { docs, weights, qtf = 1 } of postings) {
    for (let j = 0; j < docs.length; j++) {
      if (scores[docs[j]] === 0) hits.push(docs[j]);
      scores[docs[j]] += qtf * weights[j];
    }
  }
  return { scores, hits };
}

/** The query's words as coverage counts them, each as the terms that hold it (hamming_site/builder/search/lexical.py's
 * held_words): its distinct words whose terms are all among those its keyword ranking counts, each held by any of
 * its terms or of its expansion's (groups: expand.js's). */
export function heldWords(tok, text, limit, groups) {
  const counted = new Set(tok.queryTermCounts(text, limit).map(([t]) => t));
  return tok.queryWords(text, limit).filter((w) => w.every((t) => counted.has(t))).map((w) => {
    const more = groups.filter((g) => g.own.some((t) => w.includes(t))).flatMap((g) => g.terms.map(([t]) => t));
    return [...new Set([...w, ...more])];
  });
}

/** How many of the query's words each of `count` rows holds (hamming_site/builder/search/lexical.py's coverage):
 * words, each its terms' postings lists (null: a term no chunk holds). */
export function coverage(words, count) {
  const held = new Uint16Array(count), seen = new Uint32Array(count);
  words.forEach((lists, i) => {
    for (const list of lists) if (list) for (const d of list.docs) if (seen[d] !== i + 1) { seen[d] = i + 1; held[d] += 1; }
  });
  return held;
}

/** Map index -> 2 (title as written) or 1 (ignoring case and punctuation), from the title keys' postings. */
export function titleTiers(exactDocs, looseDocs) {
  const tiers = new Map();
  for (const d of looseDocs ?? []) tiers.set(d, 1);
  for (const d of exactDocs ?? []) tiers.set(d, 2);
  return tiers;
}

/** Documents with a keyword or title match, best first: tier, score descending, index ascending. */
export function lexicalOrder({ scores, hits }, tiers, k) {
  const all = [...new Set([...hits, ...tiers.keys()])];
  const tier = (i) => tiers.get(i) ?? 0;
  all.sort((a, b) => tier(b) - tier(a) || scores[b] - scores[a] || a - b);
  return all.slice(0, k);
}
