// A query ranked from what the tiers have loaded (tiers.js): the keyword side (the chunks of its terms), the
// meaning side (the static encoder's rows of its words, or the transformer's vector from the worker; the codes of
// the clusters it probes), fused, grouped by document and described. The twin of hamming_site/builder/search/rank.py's
// SiteRanker, parity-tested in Chromium (tests/test_browser.py).
import { described, documentOf, firstRow, passageText } from "./documents.js";
import { holding, PHRASE_DEPTH, phraseFirst, phraseOf } from "./phrase.js";
import { Missing, parsedFile } from "./files.js";
import { matcher } from "./highlight.js";
import { byDocument, meaningRows, PASSAGES_PER_RESULT } from "./fusion.js";
import { bm25Scores, chunkOf, coverage, heldWords, lexicalOrder, parseChunk, titleKeys, titleTiers } from "./lexical.js";
import { bucketOf, encodeStatic, parseBucket, staticCounts } from "./static.js";
import { addGroups, expand } from "./expand.js";
import { mergeClusters, probe } from "./clusters.js";
import { scan } from "./hamming.js";
import { ask, centroids, cluster, codes, getState, lexicon, manifest, rowDocs, switchBuild } from "./tiers.js";

// ---- the keyword side ----

const chunk = (m, n) => parsedFile(m.lexical.folder, n, parseChunk); // a keyword chunk: Map key -> postings

async function postings(m, keys, gaps) {
  const firsts = m.lexical.chunks;
  if (!firsts.length) return keys.map(() => null);
  const chunks = await Promise.all(keys.map((key) => (key === null ? null : soft(chunk(m, chunkOf(key, firsts)), gaps, "keywords"))));
  // undefined where the key's chunk is missing (offline: coverage leaves its word out), null where it holds no key
  return keys.map((key, i) => (key === null ? null : chunks[i] === null ? undefined : chunks[i].get(key) ?? null));
}

/** The query's half-typed and mistyped words (expand.js's groups; [] on a site built before them). */
async function expansions(text, gaps) {
  const { m, tok } = await lexicon;
  if (!m.lexical.expand) return [];
  return expand(text, tok, m.lexical.expand, m.lexical.chunks, (n) => soft(chunk(m, n), gaps, "keywords"));
}

/** The keyword side of a query: {lexical: {scores, hits}, tiers, held, words}, per row; from the chunks the page
 * can have. held, words: how many of its words each row holds and how many it has (lexical.js's coverage), only
 * where the manifest has fusion.across (null, 0 otherwise); a word whose chunk is missing is left out. */
async function keywords(text, gaps, groups) {
  const { m, tok } = await lexicon;
  const counted = tok.queryTermCounts(text, m.lexical.max_query_terms);
  const expanded = await groups;
  const grouped = [...new Set(expanded.flatMap((g) => [...g.own, ...g.terms.map(([t]) => t)]))];
  const asked = [...new Set([...counted.map(([t]) => t), ...grouped])];
  const [exact, loose, ...lists] = await postings(m, [...titleKeys(text), ...asked], gaps);
  const of = new Map(asked.map((t, i) => [t, lists[i]]));
  const rows = m.passages?.count ?? m.count;
  const lexical = bm25Scores(counted.map(([t, qtf]) => of.get(t) && { ...of.get(t), qtf }).filter(Boolean), rows);
  let held = null, words = 0;
  if (m.fusion.across) {
    const found = heldWords(tok, text, m.lexical.max_query_terms, expanded).filter((w) => w.every((t) => of.get(t) !== undefined));
    held = coverage(found.map((w) => w.map((t) => of.get(t))), rows);
    words = found.length;
  }
  return { lexical: addGroups(lexical, expanded, (t) => of.get(t)), tiers: titleTiers(exact?.docs, loose?.docs), held, words };
}

/** A predicate on words: does this one match the query as the keyword index would (highlight.js's matcher)?
 * groups: the expansions its ranking scored (searchReport's), marked too. */
export async function highlighter(text, groups = []) {
  return matcher((await lexicon).tok, text, groups);
}

/** How many of the query's terms the keyword index knows to look for (0: only stop words or punctuation). */
export async function queryTermCount(text) {
  return (await lexicon).tok.queryTerms(text).length;
}

/** The rows a query vector q is ranked over, {ids (ascending; null: every row), words, count, scanner}: the
 * probed clusters', or codes.bin whole (no clusters, or the transformer's tier where the build says so). */
async function rowsFor(m, q, light, gaps) {
  if (!m.clusters || (!light && m.clusters.transformer === "whole")) {
    const c = await codes();
    return { ids: null, words: c.words, count: c.count, scanner: c.scanner };
  }
  const cents = await centroids();
  const parts = await Promise.all(probe(cents, q, m.clusters.probes).map((c) => soft(cluster(m, c, cents.sizes), gaps, "meaning")));
  return { ...mergeClusters(parts.filter(Boolean), m.bits / 32), scanner: scan };
}

// ---- the static encoder: its rows fetched per query word, on the main thread ----

const bucket = (m, n) => parsedFile(m.static.folder, n, parseBucket); // the static rows: Map term -> row

/** The static encoder's vector of a query (hamming_site/builder/search/rank.py's Query.lite). */
async function staticVector(text, gaps, groups) {
  const { m, tok } = await lexicon;
  if (!m.static) throw new Error("this site has no static encoder (it was built with --meaning full)");
  const counts = staticCounts(tok.terms(text), await groups, m.lexical.expand?.static_terms ?? 0);
  const rows = new Map();
  await Promise.all([...counts.keys()].map(async (t) =>
    rows.set(t, (await soft(bucket(m, bucketOf(t, m.static.buckets)), gaps, "meaning"))?.get(t))));
  return encodeStatic(counts, (t) => rows.get(t), m.static.dims);
}

// ---- ranking: rows first, then documents by their best row ----

/** The rankings a query may ask for (the meaning side's rows: fusion.js's meaningRows). */
const MODES = ["hybrid", "lexical", "semantic", "lite", "hybrid-lite"];

/** What a query could not have ({keywords, meaning, documents}: files missing; gone: one was deleted by a deploy). */
const noGaps = () => ({ keywords: 0, meaning: 0, documents: 0, gone: false });
/** Counts error e as a gap of the query (gaps[kind]) where it is a missing file; throws it otherwise. */
function gap(e, gaps, kind) {
  if (!(e instanceof Missing) || !gaps) throw e;
  gaps[kind] += 1;
  gaps.gone ||= e.status === 404;
}
/** p, or null where the file it loads is missing (counted in gaps[kind]): the query goes on with what it has. */
function soft(p, gaps, kind) { return p.catch((e) => { gap(e, gaps, kind); return null; }); }

async function lexicalResults(m, rowDoc, text, k, gaps, allowed, groups = expansions(text, gaps)) {
  const { lexical, tiers } = await restricted(await keywords(text, gaps, groups), rowDoc, allowed);
  const rows = lexicalOrder(lexical, tiers, rowDoc ? m.passages.count : k)
    .map((index) => ({ index, distance: null, score: lexical.scores[index] }));
  return { results: byDocument(rows, rowDoc, k), mode: "lexical", groups: await groups };
}

let filtering = null; // filters.js, fetched by the first query that filters or sorts
const filterModule = () => (filtering ??= import("./filters.js"));
/** The keyword side with only the allowed documents' rows (allowed: a Set, or null for all). */
const restricted = async (keys, rowDoc, allowed) =>
  (allowed && keys ? (await filterModule()).keepKeywords(keys, rowDoc, allowed) : keys);

/** rankOver with filters ({key: [values]}: before the top k) and a sort ({key: "asc" | "desc"}: the first
 * fusion-depth results re-ordered by it, those without it out, then the top k), as hamming_site/builder/search/rank.py's;
 * without a sort, those of the first 10 holding the query as written first (phraseOrdered). */
async function rankWith(text, k, mode, gaps, { filters, sort } = {}) {
  const [key, direction] = Object.entries(sort ?? {})[0] ?? [];
  if (!key && !Object.values(filters ?? {}).some((v) => [v].flat().length)) {
    return phraseOrdered(await rankOver(text, k, mode, gaps, null), text, gaps);
  }
  const f = await filterModule();
  const [m, rowDoc] = await Promise.all([manifest, rowDocs]);
  const allowed = await f.allowedDocuments(m, filters);
  const want = key ? Math.max(k, m.fusion.depth) : k;
  const out = await rankOver(text, want, mode, gaps, allowed);
  out.results = f.fillAllowed(out.results, allowed, want, (d) => (rowDoc ? firstRow(rowDoc, d) : d));
  const values = key ? await f.sortValues(m, key) : null;
  if (values) out.results = f.sortResults(out.results, values, direction);
  out.results = out.results.slice(0, k);
  return values ? out : phraseOrdered(out, text, gaps);
}

/** out with its results holding the query's exact text first (phrase.js), from the shards (and a long page's
 * parts) that describe() then shows: a document that cannot be had holds nothing (describe() reports it). */
async function phraseOrdered(out, text, gaps) {
  const phrase = phraseOf(text);
  if (phrase === null || !out.results.length) return out;
  const [m, rowDoc] = await Promise.all([manifest, rowDocs]);
  const rows = await Promise.all(out.results.slice(0, PHRASE_DEPTH).map(async (r) => {
    const doc = await documentOf(m, r.index).catch(() => null);
    return doc ? holding(r, doc, rowDoc ? firstRow(rowDoc, r.index) : r.index, phrase,
                         (span) => passageText(m, r.index, doc, span), PASSAGES_PER_RESULT) : null;
  }));
  return { ...out, results: phraseFirst(out.results, phrase, rows, PASSAGES_PER_RESULT) };
}

/** {results, mode (the ranking made), timings?, tokens?}: where the meaning side cannot be had (its codes or the
 * static encoder's rows missing), the keyword ranking. gaps: null to fail on any missing file. allowed: a Set of
 * the documents a filter allows, or null. */
async function rankOver(text, k, mode, gaps, allowed) {
  if (mode === "hybrid" && getState() === "lexical-only") mode = "lexical";
  if (mode === "hybrid" && getState() === "lite-only") mode = "hybrid-lite";
  if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}: use ${MODES.join(", ")}`);
  const [m, rowDoc] = await Promise.all([manifest, rowDocs]);
  if (!m.model) mode = { hybrid: "hybrid-lite", semantic: "lite" }[mode] ?? mode; // a --meaning lite site
  if (mode === "lexical") return lexicalResults(m, rowDoc, text, k, gaps, allowed);
  const light = mode === "lite" || mode === "hybrid-lite";
  const fused = mode === "hybrid" || mode === "hybrid-lite";
  let embedded, keys, set;
  // once, for the keyword side and the static encoder's words; a meaning-only ranking reads no keyword chunk
  const groups = fused || light ? expansions(text, gaps) : undefined;
  try {
    [embedded, keys] = await Promise.all([
      light ? staticVector(text, gaps, groups) : ask({ type: "embed", text }),
      fused ? keywords(text, gaps, groups).then((kw) => restricted(kw, rowDoc, allowed)) : null]);
    set = await rowsFor(m, light ? embedded : embedded.q, light, gaps);
  } catch (e) {
    gap(e, gaps, "meaning");
    return lexicalResults(m, rowDoc, text, k, gaps, allowed, groups);
  }
  const q = light ? embedded : embedded.q;
  const t0 = performance.now();
  const results = byDocument(meaningRows(m, set, rowDoc, q, k, mode, keys, allowed, text), rowDoc, k);
  const scored = (await groups) ?? [];
  if (light) return { results, mode, groups: scored };
  const timings = { tokenize: embedded.tokenize, model: embedded.model, scan: performance.now() - t0 };
  return { results, mode, timings, tokens: embedded.ids.length, groups: scored };
}

/** rankWith and the documents of its results; where a file of the build on screen was deleted by a deploy, the
 * new build's manifest and the query again, once: results always come from one build. */
async function ranked(text, k, mode, options) {
  for (let attempt = 0; ; attempt++) {
    const gaps = noGaps();
    const out = await rankWith(String(text), k, mode, gaps, options);
    const results = await describe(out.results, gaps);
    if (!gaps.gone || attempt > 0 || !(await switchBuild())) return { ...out, results, gaps };
  }
}

/** Results with their documents (documents.js); one whose shard cannot be had is left out (gaps.documents). */
async function describe(results, gaps) {
  const [m, rowDoc] = await Promise.all([manifest, rowDocs]);
  return described(m, rowDoc, results, (index) => soft(documentOf(m, index), gaps, "documents"));
}

/** [{index, id, url, distance, score, passages, meta, filters}], best first: what the page shows for that mode;
 * options {mode, filters: {key: [values]}, sort: {key: "asc" | "desc"}}. */
export async function search(text, k = 10, { mode = "hybrid", ...options } = {}) {
  return (await ranked(text, k, mode, options)).results.map(({ doc, ...r }) => r);
}

/** search() plus each result's document ({id, title, text, url, passages}), for rendering. */
export async function searchDocuments(text, k = 10, { mode = "hybrid", ...options } = {}) {
  return (await ranked(text, k, mode, options)).results;
}

/** What the page and the widget show: {results (with their documents), mode (the ranking that made them), gaps
 * ({keywords, meaning, documents}: files this query could not have, offline before they were kept), groups
 * (expand.js's: what its half-typed and mistyped words stood for, for highlighting)}. */
export async function searchReport(text, k = 10, { mode = "hybrid", ...options } = {}) {
  const { results, mode: made, gaps, groups } = await ranked(text, k, mode, options);
  return { results, mode: made, gaps, groups };
}

/** {key: {value: documents with it}}: the site's filters and how many documents each value has. */
export const filters = async () => (await filterModule()).filterCounts(await manifest);

/** The model's float projection of text and its token ids. */
export async function embed(text) {
  const { q, ids } = await ask({ type: "embed", text: String(text) });
  return { embedding: Array.from(q), ids };
}

/** A semantic or hybrid search plus where the time went: {results, timings: {tokenize, model, scan} ms, tokens}. */
export async function profile(text, k = 10, { mode = "hybrid" } = {}) {
  if (mode !== "semantic" && mode !== "hybrid") throw new Error("profile times the model: mode semantic or hybrid");
  const { results, timings, tokens } = await rankOver(String(text), k, mode, null, null);
  return { results, timings, tokens };
}
