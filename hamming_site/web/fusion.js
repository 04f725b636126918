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

/** Run-length coded [[value, count], ...] -> each document's value. */
function runs(coded, documents) {
  const out = new Uint8Array(documents);
  let at = 0;
  for (const [value, count] of coded) out.fill(value, at, (at += count));
  if (at !== documents) throw new Error("fusion.across does not count the site's documents");
  return out;
}

// fusion.across -> what every query reads of it: each document's script and Englishness, rows per document, and
// the rows of the documents that lean, per kind of question (a page's hybrid query must not pay per row for it)
const acrossCache = new WeakMap();
function acrossOf(across, documents, rowDoc) {
  let c = acrossCache.get(across);
  if (!c || c.rowDoc !== rowDoc) {
    const perDoc = new Uint32Array(documents);
    if (rowDoc) for (const d of rowDoc) perDoc[d] += 1; else perDoc.fill(1);
    c = { rowDoc, perDoc, script: runs(across.documents, documents),
          english: across.english ? runs(across.english, documents) : null, leaning: new Map() };
    acrossCache.set(across, c);
  }
  return c;
}

/** Each row's weight of meaning in the hybrid ranking of `text` (hamming_site/builder/search/fusion.py's
 * across_alphas, which says why), as a function of the row, or null where every row takes the fusion's alpha: a row
 * leans on meaning (fusion.across.alpha) where the question has letters and the row does not hold every one of its
 * `words` (held: each row's count, lexical.js's coverage), and either its document is written in a script the
 * question has no letter of (fusion.across.scripts, .documents), or it is not in English (.english) and no row
 * holds the whole question; where some row leans, a row holding the whole question takes
 * min(alpha, 1 - fusion.across.alpha), leaning as far on its keywords. rowDoc: each row's document, or null. */
export function acrossAlphas(fusion, text, documents, rowDoc = null, held = null, words = 0) {
  const across = fusion.across;
  if (!across || !/\p{L}/u.test(text)) return null;
  const foreign = [false, ...across.scripts.map((letters) => !new RegExp(`[${letters}]`, "u").test(text))];
  const whole = [];
  if (words && held) for (let r = 0; r < held.length; r++) if (held[r] === words) whole.push(r);
  const { perDoc, script, english, leaning } = acrossOf(across, documents, rowDoc);
  const byEnglish = english !== null && !whole.length;
  const leans = (d) => foreign[script[d]] || (byEnglish && !english[d]);
  const kind = `${foreign.map(Number).join("")}${byEnglish ? "e" : ""}`;
  if (!leaning.has(kind)) {
    let n = 0;
    for (let d = 0; d < documents; d++) if (leans(d)) n += perDoc[d];
    leaning.set(kind, n);
  }
  const doc = (r) => (rowDoc ? rowDoc[r] : r);
  if (leaning.get(kind) === whole.filter((r) => leans(doc(r))).length) return null; // every leaning row is whole
  const holds = new Set(whole), keyword = Math.min(fusion.alpha, 1 - across.alpha);
  return (r) => (holds.has(r) ? keyword : leans(doc(r)) ? across.alpha : fusion.alpha);
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
  // the transformer's hybrid leans on meaning in the rows a question cannot match word for word (rank.py's _alpha)
  const alpha = (mode === "hybrid" && acrossAlphas(m.fusion, text, m.count, rowDoc, keys.held, keys.words)) || m.fusion.alpha;
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
