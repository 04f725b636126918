// Documents as the page shows them: a result's document from its shard (docs/NNNN.<hash>.json), its URL as the
// visitor's browser should open it, and its best passages as sub-results (heading, link, text offsets).
import { load } from "./files.js";
import { shardName } from "./offline.js";

const firsts = new WeakMap(); // manifest -> each shard's first document, where docs.sizes gives the shards' sizes

/** [shard, place in it] of document index: by docs.sizes (one digit a shard) where the shards differ, else every
 * shard holds docs.per_shard (names.py's shard_of). */
export function shardOf(docs, index) {
  if (!docs.sizes) return [Math.floor(index / docs.per_shard), index % docs.per_shard];
  let first = firsts.get(docs);
  if (!first) {
    first = new Uint32Array(docs.sizes.length);
    for (let n = 1; n < first.length; n++) first[n] = first[n - 1] + Number(docs.sizes[n - 1]);
    firsts.set(docs, first);
  }
  let lo = 0, hi = first.length - 1; // the last shard whose first document is at or before index
  while (lo < hi) { const mid = (lo + hi + 1) >>> 1; if (first[mid] <= index) lo = mid; else hi = mid - 1; }
  return [lo, index - first[lo]];
}

/** The document at index of build m: {id, title, text, url, passages?} as its shard holds it. */
export async function documentOf(m, index) {
  const [shard, at] = shardOf(m.docs, index);
  return (await load(shardName(m, shard), "json"))[at];
}

/** A document's URL as the visitor's browser should open it; null where it has none or not http(s). */
export function resolveUrl(m, url, anchor = "") {
  if (!url && !anchor) return null;
  try {
    const u = new URL(url || "", new URL(m.root || "", import.meta.url));
    if (anchor) u.hash = anchor;
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch { return null; }
}

/** The first row of document doc: rowDoc is non-decreasing, so a document's rows are consecutive. */
export function firstRow(rowDoc, doc) {
  let lo = 0, hi = rowDoc.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (rowDoc[mid] < doc) lo = mid + 1; else hi = mid; }
  return lo;
}

/** Ranked results with what a visitor needs: {index, id, url, distance, score, passages: [{row, url, heading,
 * score, start, end}], meta, filters, doc}; docOf(index) resolves to a result's document, or null to leave the
 * result out. */
export async function described(m, rowDoc, results, docOf) {
  const out = await Promise.all(results.map(async (r) => {
    const doc = await docOf(r.index);
    if (!doc) return null;
    const first = rowDoc ? firstRow(rowDoc, r.index) : r.index;
    const seen = new Set(); // a long section's windows are one sub-result: its best
    const passages = r.passages.map(({ row, score }) => {
      const p = doc.passages?.[row - first];
      return { row, score, heading: p?.heading ?? "", url: resolveUrl(m, doc.url, p?.anchor ?? ""),
               start: p?.start ?? 0, end: p?.end ?? doc.text.length };
    }).filter((p) => { const key = `${p.heading}\n${p.url}`; return !seen.has(key) && seen.add(key); });
    // meta: the title always, then what the page set (data-hamming-meta, front matter); filters: {key: [values]}
    return { index: r.index, id: doc.id, url: resolveUrl(m, doc.url), distance: r.distance, score: r.score,
             passages, meta: { title: doc.title, ...doc.meta }, filters: doc.filters ?? {}, doc };
  }));
  return out.filter(Boolean);
}
