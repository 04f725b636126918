// Pure functions that combine rankings, each the twin of a Python function of the same name: hybrid fusion
// (hamming_site/builder/search/fusion.py's fuse), grouping ranked passages into documents (hamming_site/builder/search/rank.py's by_document) and the
// meaning side of a query, filtered or not (hamming_site/builder/search/rank.py's results).
// No DOM, no fetch: unit-tested in node (tests/js/) and parity-tested against Python (tests/test_lexical.py).

import { asymmetricScore, rank, signBits } from "./hamming.js";
import { lexicalOrder } from "./lexical.js";

const SEMANTIC_ROWS_PER_RESULT = 4; // hamming_site/builder/search/rank.py's: rows ranked per result when documents were split
const RERANK_DEPTH = 100; // worker.js's and hamming_site/builder/search/rank.py's

/** Min-max scaled to [0, 1]; an unknown value (null: a row whose cluster the query did not fetch) counts as 0. */
function unit(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) { if (v === null) continue; if (v < lo) lo = v; if (v > hi) hi = v; }
  return values.map((v) => (v !== null && hi > lo ? (v - lo) / (hi - lo) : 0));
}

/** Each document's weight of meaning in the hybrid ranking of `text` (hamming_site/builder/search/fusion.py's
 * across_alphas), or null where every document takes the fusion's alpha: a document written in another script than
 * Latin letters (fusion.across: the scripts' letters, each document's script run-length coded) takes the across
 * alpha where the question has letters but none of its script's. */
export function acrossAlphas(fusion, text, documents) {
  const across = fusion.across;
  if (!across || !/\p{L}/u.test(text)) return null;
  const foreign = [false, ...across.scripts.map((letters) => !new RegExp(`[${letters}]`, "u").test(text))];
  if (!foreign.some(Boolean)) return null;
  const out = new Float64Array(documents);
  let at = 0;
  for (const [script, count] of across.documents) out.fill(foreign[script] ? across.alpha : fusion.alpha, at, (at += count));
  if (at !== documents) throw new Error("fusion.across.documents does not count the site's documents");
  return out;
}

/**
 * Hybrid ranking (hamming_site/builder/search/fusion.py's fuse): candidates are the first `depth` of the keyword ranking and of the
 * meaning ranking (`semantic`, indices best first) and every titled match; each gets both scores (semanticScore
 * of any index, null where its codes were not fetched), min-max scaled over the candidates, mixed alpha : 1 - alpha
 * (alpha: a number, or a function of the index); sorted by tier, fused score descending, index ascending. Returns
 * [{index, score}] best first.
 */
export function fuse(lexical, tiers, semantic, semanticScore, k, alpha, depth) {
  const weight = typeof alpha === "number" ? () => alpha : alpha; // one for all, or each index's (acrossAlphas)
  const cand = [...new Set([...lexicalOrder(lexical, tiers, depth), ...semantic.slice(0, depth), ...tiers.keys()])];
  cand.sort((a, b) => a - b);
  const sem = unit(cand.map(semanticScore));
  const lex = unit(cand.map((i) => lexical.scores[i]));
  const rows = cand.map((index, j) => {
    const a = weight(index);
    return { index, score: a * sem[j] + (1 - a) * lex[j], tier: tiers.get(index) ?? 0 };
  });
  rows.sort((a, b) => b.tier - a.tier || b.score - a.score || a.index - b.index);
  return rows.slice(0, k).map(({ index, score }) => ({ index, score }));
}

export const PASSAGES_PER_RESULT = 3; // a result's sub-results (rank.py's)

/**
 * Rows (passages) ranked best first -> documents ranked by their best row, each with its best `perDoc` rows:
 * [{index, score, distance, passages: [{row, score}]}]. rowDoc null: rows are documents. The same definition
 * as hamming_site/builder/search/rank.py's by_document.
 */
export function byDocument(rows, rowDoc, k, perDoc = PASSAGES_PER_RESULT) {
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

/** Hamming distances with every row of a document not allowed pushed past the farthest (bits + 1), so that a
 * ranking takes the allowed rows first, in their own order; row(i) is the i-th distance's row. */
export function sinkDistances(dist, row, rowDoc, allowed, bits) {
  for (let i = 0; i < dist.length; i++) if (!allowed.has(rowDoc ? rowDoc[row(i)] : row(i))) dist[i] = bits + 1;
  return dist;
}

/** The meaning side of a query (hamming_site/builder/search/rank.py's results): the fetched set's rows ranked by Hamming + rerank
 * (semantic, lite) or fused with the keyword side `keys` (hybrid, hybrid-lite); rows as [{index, distance, score}].
 * allowed: a Set of the documents a filter allows (their rows only), or null; text: the question (acrossAlphas). */
export function meaningRows(m, set, rowDoc, q, k, mode, keys, allowed, text = "") {
  const { ids, words, count } = set;
  const bits = m.bits, rows = m.passages?.count ?? m.count;
  const row = (i) => (ids ? ids[i] : i);
  // filtered: the rows of documents not allowed ranked last, then dropped (filters.js)
  const scanner = allowed ? (w, qb, c) => sinkDistances(set.scanner(w, qb, c), row, rowDoc, allowed, bits) : set.scanner;
  const kept = (r) => !allowed || r.distance <= bits;
  if (mode === "semantic" || mode === "lite") {
    const ranked = rank(words, count, bits, q, rowDoc ? Math.min(rows, k * SEMANTIC_ROWS_PER_RESULT) : k, RERANK_DEPTH, scanner);
    return ranked.filter(kept).map((r) => ({ ...r, index: row(r.index) }));
  }
  const depth = m.fusion.depth;
  // the transformer's hybrid leans on meaning in a document of another script than the question's (rank.py's _alpha)
  const docs = mode === "hybrid" ? acrossAlphas(m.fusion, text, m.count) : null;
  const alpha = !docs ? m.fusion.alpha : rowDoc ? (r) => docs[rowDoc[r]] : (r) => docs[r];
  const dist = scanner(words, signBits(q), count);
  const meaning = rank(words, count, bits, q, Math.max(k, depth), RERANK_DEPTH, () => dist).filter(kept);
  const local = ids ? new Map(Array.from(ids, (id, i) => [id, i])) : null;
  const at = (r) => (local ? local.get(r) : r); // the row's place in the fetched set, undefined if not fetched
  const w = bits / 32;
  const fused = fuse(keys.lexical, keys.tiers, meaning.map((r) => row(r.index)),
                     (r) => (at(r) === undefined ? null : asymmetricScore(words, at(r) * w, q)),
                     rowDoc ? rows : k, alpha, depth);
  return fused.map(({ index, score }) => ({ index, distance: at(index) === undefined ? null : dist[at(index)], score }));
}
