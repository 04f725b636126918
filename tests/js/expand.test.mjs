// node --test tests/js: search as you type's pure functions (hamming_site/web/expand.js). Their parity with Python
// (hamming_site/builder/lexical/expand.py) over the example's whole index is tests/test_lexical.py's.
import test from "node:test";
import assert from "node:assert/strict";
import { addGroups, expand, halves, nearChunks, rangeChunks, stemDistance, typedWord, within } from "../../hamming_site/web/expand.js";
import { bm25Scores } from "../../hamming_site/web/lexical.js";

const RULES = { prefix_min: 2, prefix_chunks: 2, prefix_terms: 16, typo_min: 4, typo_words: 3, typo_terms: 4,
  typo_ratio: 16, static_terms: 2 };
const STOP = new Set(["the", "of", "in"]);

test("within: one edit of each kind, two where allowed, null beyond", () => {
  assert.equal(within("lineno", "lineno", 1), 0);
  assert.equal(within("lineon", "lineno", 1), 1); // two neighbours swapped
  assert.equal(within("lneno", "lineno", 1), 1); // a letter dropped
  assert.equal(within("linenoo", "lineno", 1), 1); // one added
  assert.equal(within("linexo", "lineno", 1), 1); // one changed
  assert.equal(within("lxnexo", "lineno", 1), null);
  assert.equal(within("lxnexo", "lineno", 2), 2);
  assert.equal(within("ab", "abcd", 1), null); // lengths alone rule it out
});

test("stemDistance: a typo in a word's ending is found by the word cut to the stem's length", () => {
  assert.equal(stemDistance("correlatgion", "correlatgion", "correl", 2), 1);
  assert.equal(stemDistance("getcommenos", "getcommeno", "getcomment", 2), 1);
  assert.equal(stemDistance("zebra", "zebra", "correl", 1), null);
});

test("typedWord: the last word only while typed, never a stop word, digits included", () => {
  assert.equal(typedWord("os.path.normc", RULES, STOP), "normc");
  assert.equal(typedWord("read a fil", RULES, STOP), "fil");
  assert.equal(typedWord("read a file ", RULES, STOP), null); // a space: the word is whole
  assert.equal(typedWord("lineno.", RULES, STOP), null);
  assert.equal(typedWord("x", RULES, STOP), null); // under prefix_min
  assert.equal(typedWord("a question of", RULES, STOP), null);
  assert.equal(typedWord("20", RULES, STOP), "20");
  assert.equal(typedWord("?!", RULES, STOP), null);
  assert.equal(typedWord("", RULES, STOP), null);
  assert.equal(typedWord("日本語", RULES, STOP), null); // CJK: its bigrams already match a part of it
});

test("rangeChunks: a prefix that would match thousands of terms reads two chunks at most", () => {
  const firsts = ["a", ...Array.from({ length: 500 }, (_, i) => `s${String(i).padStart(4, "0")}`), "t"];
  assert.deepEqual(rangeChunks("s", firsts, 2), [0, 1]); // "s" sorts before "s0000": the chunk before, then one
  assert.deepEqual(rangeChunks("s02", firsts, 2), [200, 201]); // "s0199" holds the first of them
  assert.deepEqual(rangeChunks("t", firsts, 2), [501]);
  assert.deepEqual(nearChunks("s0200", "s02", firsts), [200, 201, 202]);
  assert.deepEqual(halves("normcas", "normcsae"), ["norm", "<eas"]); // 8 letters: 4, and 3 of its end
});

test("expand and addGroups: a prefix's terms, best of them once per document, beyond the word's own", async () => {
  const tok = { terms: (t) => (t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP.has(w)), stop: STOP };
  const list = (docs, weights) => ({ docs: Uint32Array.from(docs), weights: Uint8Array.from(weights) });
  const chunk = new Map([["line", list([0, 1], [100, 40])], ["linear", list([2], [200])], ["lineno", list([1, 3], [200, 90])],
    ["<enil", list([], [])]]);
  const groups = await expand("line", tok, RULES, ["a"], async () => chunk);
  assert.deepEqual(groups, [{ word: "line", own: ["line"], terms: [["lineno", 10, 12], ["linear", 10, 12]] }]); // most documents first
  const lexical = addGroups(bm25Scores([{ ...chunk.get("line"), qtf: 1 }], 4), groups, (t) => chunk.get(t));
  // doc 0: "line" only; doc 1: 40 for "line", then lineno's 200 x 10/12 = 166 beyond it; docs 2, 3: prefix only
  assert.deepEqual(Array.from(lexical.scores), [100, 166, 166, 75]);
  assert.deepEqual(lexical.hits, [0, 1, 3, 2]);
  assert.deepEqual(await expand("line ", tok, RULES, ["a"], async () => chunk), []); // typed whole
});
