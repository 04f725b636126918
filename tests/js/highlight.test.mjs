// node --test tests/js: what the page and the widget mark in a result (hamming_site/web/highlight.js's pure parts),
// with a toy stemmer standing in for porter2 (it drops a final "s" and "ing").
import test from "node:test";
import assert from "node:assert/strict";
import { matcher, snippet } from "../../hamming_site/web/highlight.js";
import { byDocument } from "../../hamming_site/web/fusion.js";
import { tokenizer } from "../../hamming_site/web/lexical.js";

const tok = tokenizer((w) => w.replace(/(ing|s)$/, ""), ["an", "the", "do"]);

test("a word matches when the keyword index would match it: same stem, not a stop word, not a substring", () => {
  const match = matcher(tok, "how do I register an error handler");
  assert.ok(match("handlers") && match("Registering") && match("ERROR"));
  assert.ok(!match("Documentation") && !match("do") && !match("an") && !match("errorhandler"));
  assert.ok(!matcher(tok, "the an")("the"), "a query of stop words marks nothing");
});

test("the terms a half-typed or mistyped word stands for are marked too, as they scored", () => {
  const groups = [{ word: "normc", own: ["normc"], terms: [["normcase", 13, 16]] },
    { word: "hanlder", own: ["hanlder"], terms: [["handler", 1, 2]] }];
  const match = matcher(tok, "os path normc hanlder", groups);
  assert.ok(match("normcase") && match("Handlers") && match("path"));
  assert.ok(!match("normpath") && !matcher(tok, "os path normc")("normcase"));
});

test("a snippet starts a little before the first matching word", () => {
  const text = `${"filler words here ".repeat(30)}the error handler is registered${" and more".repeat(40)}`;
  const s = snippet(text, matcher(tok, "handler"), 120);
  assert.ok(s.startsWith("…") && s.endsWith("…") && s.includes("error handler"));
  assert.equal(snippet("short", matcher(tok, "x")), "short");
});

test("byDocument: documents by their best row, each with its best rows, k documents at most", () => {
  const rows = [5, 1, 6, 2, 0, 3].map((index, j) => ({ index, score: 10 - j, distance: j }));
  const rowDoc = Uint32Array.from([0, 0, 1, 1, 2, 3, 3]);
  assert.deepEqual(byDocument(rows, rowDoc, 2, 3), [
    { index: 3, score: 10, distance: 0, passages: [{ row: 5, score: 10 }, { row: 6, score: 8 }] },
    { index: 0, score: 9, distance: 1, passages: [{ row: 1, score: 9 }, { row: 0, score: 6 }] },
  ]);
  assert.deepEqual(byDocument(rows, null, 1, 1), [{ index: 5, score: 10, distance: 0, passages: [{ row: 5, score: 10 }] }]);
});
