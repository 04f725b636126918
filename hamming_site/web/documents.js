// Documents as the page shows them: a result's document from its shard (docs/NNNN.<hash>.json), its URL as the
// visitor's browser should open it, and its best passages as sub-results (heading, link, text: a long page's by part).
import { load } from "./files.js";
import { partName, shardName } from "./offline.js";

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

/** The text of a passage p ({start, end, part?}) of document `index`: from the document's text, or for a long
 * document (no text in its shard) from its text part, fetched once; "" where that part cannot be had. The twin of
 * names.py's passage_text. */
export async function passageText(m, index, doc, p) {
  if (doc.text !== undefined) return doc.text.slice(p.start, p.end);
  const [shard, at] = shardOf(m.docs, index);
  try {
    const part = await load(partName(m, shard, at, p.part), "json");
    return part.text.slice(p.start - part.start, p.end - part.start);
  } catch { return ""; } // offline before it was kept: the result still shows, without its text
}

/** Ranked results with what a visitor needs: {index, id, url, distance, score, passages: [{row, url, heading,
 * score, start, end, text}], meta, filters, doc} (a passage's text is what the page shows of it: a long
 * document's shard holds no text, doc.text is then undefined); docOf(index) resolves to a result's document, or
 * null to leave the result out. */
export async function described(m, rowDoc, results, docOf) {
  const out = await Promise.all(results.map(async (r) => {
    const doc = await docOf(r.index);
    if (!doc) return null;
    const first = rowDoc ? firstRow(rowDoc, r.index) : r.index;
    const seen = new Set(); // a long section's windows are one sub-result: the first listed (its best, or phrase.js's)
    const shown = r.passages.map(({ row, score }) => {
      const span = doc.passages?.[row - first] ?? { start: 0, end: doc.text?.length ?? 0 };
      return [span, { row, score, heading: span.heading ?? "", url: resolveUrl(m, doc.url, span.anchor ?? ""),
                      start: span.start, end: span.end }];
    }).filter(([, p]) => { const key = `${p.heading}\n${p.url}`; return !seen.has(key) && seen.add(key); });
    const passages = await Promise.all(shown.map(async ([span, p]) =>
      ({ ...p, text: await passageText(m, r.index, doc, span) })));
    // meta: the title always, then what the page set (data-hamming-meta, front matter); filters: {key: [values]}
    return { index: r.index, id: doc.id, url: resolveUrl(m, doc.url), distance: r.distance, score: r.score,
             passages, meta: { title: doc.title, ...doc.meta }, filters: doc.filters ?? {}, doc };
  }));
  return out.filter(Boolean);
}
