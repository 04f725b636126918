// Filters and sort keys (hamming_site/builder/output/filters.py writes their files): fetched only when a query filters or sorts,
// so a query that does neither costs what it did. The same definitions as hamming_site/builder/search/rank.py's FilterIndex and
// sort_results, parity-tested (tests/test_filters.py).
import { load } from "./files.js";

const number = (n) => String(n).padStart(4, "0");

/** The file of the n-th key (filter keys first, then sort keys) of build m. */
const keyFile = (m, n) => load(`${m.filters.folder}/${number(n)}.json`, "json");

/** {key: {value: documents with it}} of every filter key: what a filter control offers. */
export async function filterCounts(m) {
  const f = m.filters;
  if (!f) return {};
  const files = await Promise.all(f.keys.map((_, n) => keyFile(m, n)));
  return Object.fromEntries(files.map(({ key, values }) =>
    [key, Object.fromEntries(Object.entries(values).map(([v, docs]) => [v, docs.length]))]));
}

/** The documents filters ({key: [values]}) allow: any of a key's values, every key given; null: no filter. A key or
 * value the site does not have allows nothing. */
export async function allowedDocuments(m, filters) {
  const given = Object.entries(filters ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])
    .filter(([, v]) => v.length);
  if (!given.length) return null;
  const keys = m.filters?.keys ?? [];
  let allowed = null;
  for (const [key, values] of given) {
    const n = keys.indexOf(key);
    const file = n < 0 ? { values: {} } : await keyFile(m, n);
    const docs = new Set(values.flatMap((v) => file.values[String(v)] ?? []));
    allowed = allowed === null ? docs : new Set([...allowed].filter((d) => docs.has(d)));
  }
  return allowed;
}

/** {numeric, values: one per document (null where it has none)} of a sort key; null where the site has none. */
export async function sortValues(m, key) {
  const sorts = m.filters?.sort ?? [];
  const at = sorts.findIndex((s) => s.key === key);
  if (at < 0) return null;
  const { values } = await keyFile(m, m.filters.keys.length + at);
  return { numeric: sorts[at].numeric, values };
}

/** results (best first) stably re-ordered by a sort key: "asc" or "desc", numbers as numbers where the key is
 * numeric, else strings by code unit; documents without the key left out, as Pagefind leaves them out. */
export function sortResults(results, { numeric, values }, direction) {
  const sign = direction === "desc" ? -1 : 1;
  const order = (a, b) => (numeric ? a - b : a < b ? -1 : a > b ? 1 : 0);
  return results.map((r, i) => ({ r, i, v: values[r.index] ?? null })).filter(({ v }) => v !== null)
    .sort((x, y) => sign * order(x.v, y.v) || x.i - y.i).map(({ r }) => r);
}

/** The keyword side of a query with only the allowed documents' rows (allowed: a Set of documents). */
export function keepKeywords({ lexical, tiers, ...rest }, rowDoc, allowed) {
  const ok = (r) => allowed.has(rowDoc ? rowDoc[r] : r);
  return { ...rest, lexical: { ...lexical, hits: lexical.hits.filter(ok) }, tiers: new Map([...tiers].filter(([r]) => ok(r))) };
}

/** Filtered results short of k, where more documents are allowed: the others appended, by index, unscored. */
export function fillAllowed(results, allowed, k, rowOf) {
  if (!allowed || results.length >= k) return results;
  const have = new Set(results.map((r) => r.index));
  const more = [...allowed].filter((d) => !have.has(d)).sort((a, b) => a - b).slice(0, k - results.length);
  return results.concat(more.map((d) => ({ index: d, score: null, distance: null,
                                           passages: [{ row: rowOf(d), score: null }] })));
}
