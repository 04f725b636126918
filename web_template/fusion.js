// Pure functions that combine rankings, each the twin of a Python function of the same name: hybrid fusion
// (builder/fusion.py's fuse) and grouping ranked passages into documents (builder/ranking.py's by_document).
// No DOM, no fetch: unit-tested in node (tests/js/) and parity-tested against Python (tests/test_lexical.py).

import { lexicalOrder } from "./lexical.js";

/** Min-max scaled to [0, 1]; an unknown value (null: a row whose cluster the query did not fetch) counts as 0. */
function unit(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v === null) continue; if (v < lo) lo = v; if (v > hi) hi = v; }
  return values.map((v) => (v !== null && hi > lo ? (v - lo) / (hi - lo) : 0));
}

/**
 * Hybrid ranking (builder/fusion.py's fuse): candidates are the first `depth` of the keyword ranking and of the
 * meaning ranking (`semantic`, indices best first) and every titled match; each gets both scores (semanticScore
 * of any index, null where its codes were not fetched), min-max scaled over the candidates, mixed alpha : 1 - alpha; sorted by tier, fused score
 * descending, index ascending. Returns [{index, score}] best first.
 */
export function fuse(lexical, tiers, semantic, semanticScore, k, alpha, depth) {
  const cand = [...new Set([...lexicalOrder(lexical, tiers, depth), ...semantic.slice(0, depth), ...tiers.keys()])];
  cand.sort((a, b) => a - b);
  const sem = unit(cand.map(semanticScore));
  const lex = unit(cand.map((i) => lexical.scores[i]));
  const rows = cand.map((index, j) => ({ index, score: alpha * sem[j] + (1 - alpha) * lex[j], tier: tiers.get(index) ?? 0 }));
  rows.sort((a, b) => b.tier - a.tier || b.score - a.score || a.index - b.index);
  return rows.slice(0, k).map(({ index, score }) => ({ index, score }));
}

/**
 * Rows (passages) ranked best first -> documents ranked by their best row, each with its best `perDoc` rows:
 * [{index, score, distance, passages: [{row, score}]}]. rowDoc null: rows are documents. The same definition
 * as builder/ranking.py's by_document.
 */
export function byDocument(rows, rowDoc, k, perDoc = 3) {
  const out = new Map();
  for (const { index: row, score, distance } of rows) {
    const doc = rowDoc ? rowDoc[row] : row;
    let hit = out.get(doc);
    if (!hit) {
      if (out.size === k) continue;
      hit = { index: doc, score, distance, passages: [] };
      out.set(doc, hit);
    }
    if (hit.passages.length < perDoc) hit.passages.push({ row, score });
  }
  return [...out.values()];
}
