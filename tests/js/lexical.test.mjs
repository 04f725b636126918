// node --test tests/js: the pure functions of hamming_site/web/lexical.js and fusion.js (no stemmer: an identity stem stands in;
// parity with the build's Python, porter2 included, is tests/test_lexical.py's).
import test from "node:test";
import assert from "node:assert/strict";
import {
  EXACT, LOOSE, words, tokenizer, fnv1a64Hex, titleKeys, chunkOf, parseChunk, bm25Scores, titleTiers, lexicalOrder,
} from "../../hamming_site/web/lexical.js";
import { fuse } from "../../hamming_site/web/fusion.js";

function rng(seed) { return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32); }
const randint = (r, n) => Math.floor(r() * n);

function varint(n, out) {
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
}

/** A chunk file as hamming_site/builder/lexical/index.py writes it: entries [[key, docs, weights], ...] in key order. */
function chunkBytes(entries, { magic = "HAML", version = 1 } = {}) {
  const out = [...new TextEncoder().encode(magic), version & 0xff, version >> 8, 0, 0];
  const count = entries.length;
  out.push(count & 0xff, (count >> 8) & 0xff, (count >> 16) & 0xff, count >>> 24);
  for (const [key, docs, weights] of entries) {
    const body = [];
    docs.forEach((d, j) => { varint(d - (j ? docs[j - 1] : 0), body); body.push(weights[j]); });
    const raw = new TextEncoder().encode(key);
    varint(raw.length, out); out.push(...raw);
    varint(docs.length, out); varint(body.length, out); out.push(...body);
  }
  return new Uint8Array(out).buffer;
}

const plain = (map) => Object.fromEntries([...map].map(([k, { docs, weights }]) => [k, [Array.from(docs), Array.from(weights)]]));

test("words: lower-cased runs of letters and digits; underscores, punctuation and marks split", () => {
  assert.deepEqual(words("Hello, World!"), ["hello", "world"]);
  assert.deepEqual(words("snake_case_name __init__ os.path.join"), ["snake", "case", "name", "init", "os", "path", "join"]);
  assert.deepEqual(words("3.14 1e-9 2,000 1990s 0x1F"), ["3", "14", "1e", "9", "2", "000", "1990s", "0x1f"]);
  assert.deepEqual(words("Café NAÏVE Straße ΣΊΣΥΦΟΣ"), ["café", "naïve", "straße", "σίσυφος"]);
  assert.deepEqual(words("日本語のテキスト русский"), ["日本語のテキスト", "русский"]);
  assert.deepEqual(words("x² ½ Ⅻ ①"), ["x²", "½", "ⅻ", "①"]);
  assert.deepEqual(words("cafe\u0301"), ["cafe"]); // a combining mark is not a letter (nor in Python)
  assert.deepEqual(words("𝐚𝐛 🎉 a👍b"), ["𝐚𝐛", "a", "b"]);
  assert.deepEqual(words("... — \t "), []);
  assert.deepEqual(words(""), []);
  assert.deepEqual(words(42), ["42"]);
});

test("tokenizer: stop words dropped, stem applied, queryTerms distinct in first-seen order", () => {
  const stem = (w) => w.replace(/s$/, "");
  const { terms, queryTerms } = tokenizer(stem, ["the", "of", "and"]);
  assert.deepEqual(terms("The cats OF the hats and cats"), ["cat", "hat", "cat"]);
  assert.deepEqual(queryTerms("The cats OF the hats and cats hat"), ["cat", "hat"]);
  assert.deepEqual(terms("the of and"), []);
  const calls = [];
  const counted = tokenizer((w) => { calls.push(w); return w; }, []);
  counted.terms("a a a b");
  assert.deepEqual(calls, ["a", "b"]); // cached
});

test("fnv1a64Hex: FNV-1a 64 test vectors", () => {
  assert.equal(fnv1a64Hex(""), "cbf29ce484222325");
  assert.equal(fnv1a64Hex("a"), "af63dc4c8601ec8c");
  assert.equal(fnv1a64Hex("foobar"), "85944171f73967e8");
  assert.equal(fnv1a64Hex("é").length, 16); // UTF-8 bytes, always 16 digits
});

test("titleKeys: exact (whitespace collapsed) and loose (words) keys, null where empty", () => {
  assert.equal(EXACT, "=");
  assert.equal(LOOSE, "~");
  assert.deepEqual(titleKeys("  Re.Match \t x "), ["=" + fnv1a64Hex("Re.Match x"), "~" + fnv1a64Hex("re match x")]);
  assert.deepEqual(titleKeys("re.match"), ["=" + fnv1a64Hex("re.match"), "~" + fnv1a64Hex("re match")]);
  assert.deepEqual(titleKeys("..."), ["=" + fnv1a64Hex("..."), null]);
  assert.deepEqual(titleKeys(" \t "), [null, null]);
  assert.deepEqual(titleKeys(""), [null, null]);
});

test("parseChunk reads a hand-built chunk: multi-byte varints, UTF-8 keys, empty postings", () => {
  const entries = [
    ["apple", [0, 5, 300, 20000, 2 ** 21 + 7], [10, 255, 1, 2, 3]],
    ["banana", [127], [0]],
    ["café", [128, 129], [7, 8]],
    ["~" + fnv1a64Hex("x"), [3], [0]],
    ["𝐚", [16383, 16384], [1, 1]],
  ];
  const map = parseChunk(chunkBytes(entries));
  assert.deepEqual(Object.keys(plain(map)), entries.map(([k]) => k));
  assert.deepEqual(plain(map), Object.fromEntries(entries.map(([k, d, w]) => [k, [d, w]])));
  assert.ok(map.get("apple").docs instanceof Uint32Array && map.get("apple").weights instanceof Uint8Array);
  assert.equal(parseChunk(chunkBytes([])).size, 0);
  // a view into a larger buffer (byteOffset > 0) reads the same
  const raw = new Uint8Array(chunkBytes(entries));
  const padded = new Uint8Array(raw.length + 3); padded.set(raw, 3);
  assert.deepEqual(plain(parseChunk(padded.subarray(3))), plain(map));
});

test("parseChunk errors: short, bad magic, bad version, truncated, malformed", () => {
  const good = chunkBytes([["apple", [1, 2, 300], [4, 5, 6]], ["pear", [9], [1]]]);
  assert.throws(() => parseChunk(good.slice(0, 11), "c.bin"), /c\.bin is shorter than its header/);
  assert.throws(() => parseChunk(chunkBytes([], { magic: "HAMB" })), /not a version-1 keyword index chunk/);
  assert.throws(() => parseChunk(chunkBytes([], { version: 2 })), /not a version-1/);
  for (const cut of [13, 20, good.byteLength - 2]) {
    assert.throws(() => parseChunk(good.slice(0, cut), "t.bin"), /t\.bin/, `cut at ${cut}`);
  }
  assert.throws(() => parseChunk(good.slice(0, good.byteLength - 3)), /truncated|malformed/);
  // a header that claims more keys than the file holds
  const more = new Uint8Array(good.slice(0)); more[8] = 3;
  assert.throws(() => parseChunk(more.buffer), /truncated/);
  // postings byte length that disagrees with df
  const bytes = [...new Uint8Array(chunkBytes([["k", [1, 2], [3, 4]]]))];
  const at = 12 + 1 + 1 + 1; // key length, key, df -> the postings length byte
  assert.equal(bytes[at], 4);
  bytes[at] = 5; bytes.push(0);
  assert.throws(() => parseChunk(new Uint8Array(bytes).buffer, "m.bin"), /m\.bin: key k has a malformed postings list/);
});

test("parseChunk rejects a chunk cut inside its last impact byte (not read as impact 0)", () => {
  const good = chunkBytes([["apple", [1, 2, 300], [4, 5, 6]], ["pear", [9], [200]]]);
  assert.equal(parseChunk(good).get("pear").weights[0], 200);
  assert.throws(() => parseChunk(good.slice(0, good.byteLength - 1), "t.bin"), /t\.bin is truncated/);
});

test("chunkOf: the last chunk whose first key is <= the key, in UTF-16 order", () => {
  const firsts = ["b", "d", "f"];
  const cases = { "": 0, a: 0, b: 0, ba: 0, c: 0, d: 1, dz: 1, e: 1, f: 2, z: 2, "\uffff": 2 };
  for (const [key, n] of Object.entries(cases)) assert.equal(chunkOf(key, firsts), n, key);
  assert.equal(chunkOf("anything", ["x"]), 0);
  assert.equal(chunkOf("anything", []), 0);
  // an astral character sorts below U+FFFF in UTF-16 (not in code-point order)
  const wide = ["a", "\u{1F600}", "\uffff"];
  assert.equal(chunkOf("\u{1F601}", wide), 1);
  assert.equal(chunkOf("\ufffe", wide), 1);
  assert.equal(chunkOf("\uffff", wide), 2);
  const r = rng(3), alphabet = ["a", "b", "c", "~", "=", "é", "\uffff", "\u{1F600}"];
  const str = () => Array.from({ length: 1 + randint(r, 5) }, () => alphabet[randint(r, alphabet.length)]).join("");
  for (let t = 0; t < 200; t++) {
    const fs = [...new Set(Array.from({ length: 1 + randint(r, 12) }, str))].sort();
    const key = str();
    let expect = 0;
    fs.forEach((f, i) => { if (f <= key) expect = i; });
    assert.equal(chunkOf(key, fs), expect, `${key} in ${fs}`);
  }
});

test("bm25Scores equals brute force; hits lists each scored document once", () => {
  const r = rng(11);
  for (let t = 0; t < 50; t++) {
    const count = 1 + randint(r, 300);
    const lists = Array.from({ length: randint(r, 6) }, () => {
      const docs = [...new Set(Array.from({ length: randint(r, 40) }, () => randint(r, count)))].sort((a, b) => a - b);
      return { docs: Uint32Array.from(docs), weights: Uint8Array.from(docs, () => 1 + randint(r, 255)) };
    });
    const brute = new Array(count).fill(0);
    for (const { docs, weights } of lists) docs.forEach((d, j) => { brute[d] += weights[j]; });
    const { scores, hits } = bm25Scores(lists, count);
    assert.deepEqual(Array.from(scores), brute);
    assert.deepEqual([...hits].sort((a, b) => a - b), brute.flatMap((s, i) => (s > 0 ? [i] : [])));
  }
  assert.deepEqual(Array.from(bm25Scores([], 3).scores), [0, 0, 0]);
});

test("titleTiers: exact beats loose", () => {
  const tiers = titleTiers([4, 7], [7, 9, 1]);
  assert.deepEqual([...tiers].sort((a, b) => a[0] - b[0]), [[1, 1], [4, 2], [7, 2], [9, 1]]);
  assert.equal(titleTiers(null, undefined).size, 0);
});

test("lexicalOrder: tier, then score descending, then index ascending; titled documents without score count", () => {
  const scores = Uint32Array.from([5, 9, 5, 0, 9, 1, 0, 5]);
  const lexical = { scores, hits: [7, 2, 0, 1, 4, 5] };
  assert.deepEqual(lexicalOrder(lexical, new Map(), 10), [1, 4, 0, 2, 7, 5]);
  assert.deepEqual(lexicalOrder(lexical, new Map([[6, 1], [5, 1], [3, 2]]), 10), [3, 5, 6, 1, 4, 0, 2, 7]);
  assert.deepEqual(lexicalOrder(lexical, new Map([[0, 2]]), 3), [0, 1, 4]);
  assert.deepEqual(lexicalOrder(lexical, new Map(), 0), []);
  assert.deepEqual(lexicalOrder({ scores: new Uint32Array(3), hits: [] }, new Map(), 5), []);
});

/** hamming_site/builder/search/fusion.py's fuse, written out plainly. */
function bruteFuse(scores, tiers, semantic, semScore, k, alpha, depth) {
  const n = scores.length, tier = (i) => tiers.get(i) ?? 0;
  const lexical = [...Array(n).keys()].filter((i) => scores[i] > 0 || tier(i) > 0)
    .sort((a, b) => tier(b) - tier(a) || scores[b] - scores[a] || a - b).slice(0, depth);
  const cand = [...new Set([...lexical, ...semantic.slice(0, depth), ...tiers.keys()])].sort((a, b) => a - b);
  const scale = (xs) => {
    const lo = Math.min(...xs), hi = Math.max(...xs);
    return xs.map((x) => (hi > lo ? (x - lo) / (hi - lo) : 0));
  };
  const sem = scale(cand.map(semScore)), lex = scale(cand.map((i) => scores[i]));
  return cand.map((index, j) => ({ index, score: alpha * sem[j] + (1 - alpha) * lex[j] }))
    .sort((a, b) => tier(b.index) - tier(a.index) || b.score - a.score || a.index - b.index).slice(0, k);
}

test("fuse equals a brute-force reimplementation on random inputs", () => {
  const r = rng(29);
  let nonEmpty = 0;
  for (let t = 0; t < 300; t++) {
    const n = 1 + randint(r, 200);
    const zero = 0.5 + r() / 2, few = t % 4 === 0;
    const scores = Uint32Array.from({ length: n }, () => (r() < zero ? 0 : 1 + randint(r, few ? 3 : 500)));
    if (t % 7 === 0) scores.fill(0);
    const hits = [...scores.keys()].filter((i) => scores[i] > 0);
    const tiers = new Map();
    for (let i = 0; i < n; i++) if (r() < 0.02) tiers.set(i, 1 + randint(r, 2));
    const semantic = [...Array(n).keys()].sort(() => r() - 0.5).slice(0, randint(r, n + 1));
    const sem = Float64Array.from({ length: n }, () => (t % 5 === 0 ? 0.5 : t % 3 === 0 ? randint(r, 4) / 4 : r()));
    const k = randint(r, 40), alpha = [0, 1, 0.5, r()][t % 4], depth = randint(r, 80);
    const got = fuse({ scores, hits }, tiers, semantic, (i) => sem[i], k, alpha, depth);
    const want = bruteFuse(scores, tiers, semantic, (i) => sem[i], k, alpha, depth);
    assert.deepEqual(got.map((x) => x.index), want.map((x) => x.index), `case ${t}`);
    got.forEach((x, j) => assert.ok(Math.abs(x.score - want[j].score) <= 1e-12, `case ${t}`));
    if (got.length) nonEmpty++;
  }
  assert.ok(nonEmpty > 200);
});

test("fuse: titled matches first whatever their scores; alpha picks the signal; empty inputs", () => {
  const scores = Uint32Array.from([0, 10, 3, 0, 7]);
  const lexical = { scores, hits: [1, 2, 4] };
  const sem = [0.9, 0.1, 0.2, 0.0, 0.3];
  const tiers = new Map([[3, 2], [0, 1]]);
  const got = fuse(lexical, tiers, [0, 4, 2, 1, 3], (i) => sem[i], 10, 0.5, 10);
  assert.deepEqual(got.map((x) => x.index), [3, 0, 1, 4, 2]);
  assert.deepEqual(fuse(lexical, new Map(), [0, 4, 2, 1, 3], (i) => sem[i], 10, 0, 10).map((x) => x.index), [1, 4, 2, 0, 3]);
  assert.deepEqual(fuse(lexical, new Map(), [0, 4, 2, 1, 3], (i) => sem[i], 10, 1, 10).map((x) => x.index), [0, 4, 2, 1, 3]);
  assert.deepEqual(fuse(lexical, new Map(), [0, 4], (i) => sem[i], 2, 1, 1).map((x) => x.index), [0, 1]);
  const none = { scores: new Uint32Array(4), hits: [] };
  assert.deepEqual(fuse(none, new Map(), [], () => 0, 10, 0.5, 10), []);
  const flat = fuse(none, new Map(), [2, 0, 1], () => 0.3, 10, 0.5, 10);
  assert.deepEqual(flat, [{ index: 0, score: 0 }, { index: 1, score: 0 }, { index: 2, score: 0 }]);
});
