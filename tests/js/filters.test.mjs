// node --test tests/js: the pure parts of filtering and sorting (hamming_site/web/filters.js, fusion.js's
// sinkDistances); their parity with hamming_site/builder/search/rank.py is tests/test_filters.py's.
import test from "node:test";
import assert from "node:assert/strict";
import { fillAllowed, keepKeywords, sortResults } from "../../hamming_site/web/filters.js";
import { sinkDistances } from "../../hamming_site/web/fusion.js";

const r = (...indices) => indices.map((index) => ({ index }));
const ids = (results) => results.map((x) => x.index);

test("numeric keys sort as numbers, others by code unit; without the key left out; ties keep their ranking", () => {
  const numeric = { numeric: true, values: [10, 2.5, null, 2.5, 3] };
  assert.deepEqual(ids(sortResults(r(0, 1, 2, 3, 4), numeric, "asc")), [1, 3, 4, 0]);
  assert.deepEqual(ids(sortResults(r(0, 1, 2, 3, 4), numeric, "desc")), [0, 4, 1, 3]);
  const text = { numeric: false, values: ["b", "B", "a", null, "é"] };
  assert.deepEqual(ids(sortResults(r(3, 0, 1, 2, 4), text, "asc")), [1, 2, 0, 4]);
});

test("filtered results short of k are filled with the other allowed documents, by index", () => {
  const ranked = [{ index: 7, score: 1, distance: 3, passages: [] }];
  const filled = fillAllowed(ranked, new Set([9, 7, 2, 5]), 3, (d) => d * 10);
  assert.deepEqual(ids(filled), [7, 2, 5]);
  assert.deepEqual(filled[1], { index: 2, score: null, distance: null, passages: [{ row: 20, score: null }] });
  assert.equal(fillAllowed(ranked, null, 3, (d) => d), ranked);
});

test("only the allowed documents' rows keep keyword hits and title tiers; the others sink past every distance", () => {
  const rowDoc = [0, 0, 1, 2];
  const keys = { lexical: { scores: [5, 4, 3, 2], hits: [0, 1, 2, 3] }, tiers: new Map([[2, 2], [3, 1]]) };
  const kept = keepKeywords(keys, rowDoc, new Set([0, 2]));
  assert.deepEqual(kept.lexical.hits, [0, 1, 3]);
  assert.deepEqual([...kept.tiers], [[3, 1]]);
  const dist = sinkDistances(new Uint16Array([4, 1, 0, 9]), (i) => i, rowDoc, new Set([1]), 64);
  assert.deepEqual([...dist], [65, 65, 0, 65]);
});
