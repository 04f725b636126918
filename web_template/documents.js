// Documents as the page shows them: a result's document from its shard (docs/NNNN.<hash>.json), its URL as the
// visitor's browser should open it, and its best passages as sub-results (heading, link, text offsets).
import { load } from "./files.js";
import { shardName } from "./offline.js";

/** The document at index of build m: {id, title, text, url, passages?} as its shard holds it. */
export async function documentOf(m, index) {
  const per = m.docs.per_shard;
  return (await load(shardName(m, Math.floor(index / per)), "json"))[index % per];
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
