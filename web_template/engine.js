// The search engine behind both the page (search.js) and the widget (widget.js): keyword results first
// (BM25 over the chunked index, fetched term by term), then meaning by the static encoder (its rows fetched per
// query word, no runtime: hybrid-lite), then by the transformer in a worker (hybrid). Both encoders' vectors are
// ranked here, by the same code. Every URL is relative to this module, so any page of the site can use it. Lazy
// loaders are cached as promises.
import { fetchChecked } from "./checked.js";
import { described, documentOf, firstRow } from "./documents.js";
import { Missing, forgetLoaded, here, isKept, keepOffline, keeping, kept, load, loadManifest, parsedFile, saveData }
  from "./files.js";
import { matcher } from "./highlight.js";
import { stem } from "./porter2.mjs";
import { byDocument, meaningRows } from "./fusion.js";
import { parseCodes, scan, wasmScanner } from "./hamming.js";
import { bm25Scores, chunkOf, lexicalOrder, parseChunk, titleKeys, titleTiers, tokenizer } from "./lexical.js";
import { bucketOf, encodeStatic, parseBucket, termCounts } from "./static.js";
import { mergeClusters, parseCentroids, parseCluster, probe } from "./clusters.js";

export { Missing, onOffline, saveData } from "./files.js";
export { resolveUrl } from "./documents.js";

export let manifest; // promise of the current build's manifest: replaced when a deploy replaced the build
export let lexicon;
let rowDocs; // each code row's document (passages.bin), or null where no document was split
function begin(next) {
  manifest = next;
  lexicon = manifest.then((m) => ({ m, tok: tokenizer(stem, m.lexical.stopwords) }));
  rowDocs = manifest.then(async (m) => {
    if (!m.passages || m.passages.count === m.count) return null;
    const buf = await load(m.passages.file);
    if (buf.byteLength !== 4 * m.passages.count) throw new Missing(m.passages.file, 0, "truncated or replaced");
    return new Uint32Array(buf);
  });
}
begin(loadManifest());

// ---- state: loading -> lexical -> lite -> ready; lite-only (the transformer failed), lexical-only (no meaning
// at all), error. A site without the static encoder goes lexical -> ready. Listeners hear every change. ----

let state = "loading";
const listeners = new Set();
export const getState = () => state;
const ORDER = ["loading", "lexical", "lite", "ready"];
function setState(s, detail = {}) {
  if (state === "error") return;
  state = s;
  for (const fn of listeners) fn(s, detail);
}
/** Forward only: a late "lite" never follows "ready". */
function advance(s) { if (ORDER.indexOf(s) > ORDER.indexOf(state)) setState(s); }
/** fn(state, detail) on each change and on download progress ({loaded, total}) while meaning loads. */
export function onState(fn) { listeners.add(fn); fn(state, {}); return () => listeners.delete(fn); }


/** The ranking the page and the widget show in each state (what their lists' data-ranking says). */
export const rankingFor = (s) => ({ ready: "hybrid", lite: "hybrid-lite", "lite-only": "hybrid-lite" })[s] ?? "lexical";

/** Once a list ranked by `mode` in state `s` is on screen, the next tier starts loading: after keywords the static
 * encoder (or the transformer on a site without it); after a hybrid-lite list the transformer, unless the site
 * has none or the visitor saves data. */
export async function nextTier(mode, s) {
  const m = await manifest;
  // a visitor who keeps the model (a returning one, or offline) goes straight to it: nothing to download, and the
  // offline copy holds no static rows for a site with a transformer
  const straight = !m.static || (m.model && (await isKept(m.model.file)));
  if (mode === "lexical" && s === "lexical") (straight ? startSemantic() : startLite()).catch(() => {});
  else if (mode === "hybrid-lite" && s === "lite" && m.model && !saveData()) startSemantic().catch(() => {});
  // a ranking with meaning is on screen: the first visit's budget is spent. The rest of the site is kept for
  // offline use once the transformer the page loads next is in (or has failed): it never waits behind the copy
  if (mode !== "lexical") Promise.resolve(semantic).catch(() => {}).then(() => keepOffline(m));
}

const progress = { loaded: 0, total: 0 };
function counted(bytes) { progress.total += bytes; return (n) => { progress.loaded += n; tellProgress(); }; }
function tellProgress() {
  if (state === "lexical" || state === "lite") for (const fn of listeners) fn(state, { ...progress });
}

lexicon.then(() => setState("lexical"), (e) => setState("error", { error: e }));

// ---- rows and documents ----

/** The document at index: {id, title, text, url, passages?} as docs/NNNN.json holds it. */
export async function documentAt(index) {
  return documentOf(await manifest, index);
}

// ---- the keyword side ----

const chunk = (m, n) => parsedFile(m.lexical.folder, n, parseChunk); // a keyword chunk: Map key -> postings

async function postings(m, keys, gaps) {
  const firsts = m.lexical.chunks;
  if (!firsts.length) return keys.map(() => null);
  const chunks = await Promise.all(keys.map((key) => (key === null ? null : soft(chunk(m, chunkOf(key, firsts)), gaps, "keywords"))));
  return keys.map((key, i) => (key === null ? null : chunks[i]?.get(key) ?? null));
}

/** The keyword side of a query: {lexical: {scores, hits}, tiers}, per row; from the chunks the page can have. */
async function keywords(text, gaps) {
  const { m, tok } = await lexicon;
  const counted = tok.queryTermCounts(text, m.lexical.max_query_terms);
  const [exact, loose, ...lists] = await postings(m, [...titleKeys(text), ...counted.map(([t]) => t)], gaps);
  return {
    lexical: bm25Scores(lists.map((l, i) => l && { ...l, qtf: counted[i][1] }).filter(Boolean), m.passages?.count ?? m.count),
    tiers: titleTiers(exact?.docs, loose?.docs),
  };
}

/** A predicate on words: does this one match the query as the keyword index would (highlight.js's matcher)? */
export async function highlighter(text) {
  return matcher((await lexicon).tok, text);
}

/** How many of the query's terms the keyword index knows to look for (0: only stop words or punctuation). */
export async function queryTermCount(text) {
  return (await lexicon).tok.queryTerms(text).length;
}

// ---- the codes, shared by both encoders: codes.bin whole, or by cluster (clusters.bin first, then the clusters
// each query needs), fetched and checked once ----

let codesPromise = null;
function codes() {
  codesPromise ??= manifest.then(async (m) => {
    const buf = await fetchChecked(m.codes, here(m.codes.file), counted(m.codes.bytes));
    const parsed = parseCodes(buf, { count: m.passages?.count ?? m.count, bits: m.bits, version: m.format_version });
    return { ...parsed, scanner: wasmScanner(parsed.words, parsed.count, parsed.bits) ?? scan };
  });
  return codesPromise;
}

let centroidsPromise = null;
function centroids() {
  centroidsPromise ??= manifest.then(async (m) => {
    const entry = m.clusters.centroids;
    const parsed = parseCentroids(await fetchChecked(entry, here(entry.file), counted(entry.bytes)), entry.file);
    if (parsed.count !== m.clusters.count || parsed.bits !== m.bits) throw new Error(`${entry.file} does not match manifest.json`);
    return parsed;
  });
  return centroidsPromise;
}

/** What a meaning ranking needs before any query: the centroids, or codes.bin on a site without clusters. */
const meaningBase = () => manifest.then((m) => (m.clusters ? centroids() : codes()));

/** A cluster's rows and codes: {ids, words}. */
const cluster = (m, c, sizes) =>
  parsedFile(m.clusters.folder, c, (buf, name) => parseCluster(buf, { rows: sizes[c], bits: m.bits }, name));

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

/** The static encoder's vector of a query (builder/ranking.py's Query.lite). */
async function staticVector(text, gaps) {
  const { m, tok } = await lexicon;
  if (!m.static) throw new Error("this site has no static encoder (it was built with --meaning full)");
  const counts = termCounts(tok.terms(text));
  const rows = new Map();
  await Promise.all([...counts.keys()].map(async (t) =>
    rows.set(t, (await soft(bucket(m, bucketOf(t, m.static.buckets)), gaps, "meaning"))?.get(t))));
  return encodeStatic(counts, (t) => rows.get(t), m.static.dims);
}

let lite = null;
/** Readies the static encoder (the codes): state lite. Resolves false on a site without it. */
export function startLite() {
  if (lite) return lite;
  lite = manifest.then(async (m) => {
    if (!m.static) return false;
    await meaningBase();
    advance("lite");
    return true;
  });
  lite.catch((e) => { if (ORDER.includes(state)) setState("lexical-only", { error: e }); }); // once, as it is made
  return lite;
}

// ---- the transformer: a worker that embeds, started only when asked ----

let worker = null;
let semantic = null; // promise of the worker's readiness, made once
const pending = new Map();
let nextId = 0;

/** Readies the transformer (and the codes): state ready. The page calls it once a hybrid-lite list is shown. On a
 * site without the transformer (--meaning lite) it readies the static encoder, its only meaning. */
export function startSemantic() {
  if (semantic) return semantic;
  semantic = manifest.then((m) => (m.model ? startTransformer(m) : startLite().then(() => undefined)));
  return semantic;
}

function startTransformer(m) {
  const model = new Promise((resolve, reject) => {
    const onBytes = counted(m.model.bytes);
    let seen = 0;
    worker = new Worker(here("./worker.js"), { type: "module" });
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") {
        onBytes(data.loaded - seen);
        seen = data.loaded;
      } else if (data.type === "ready") {
        resolve();
      } else if (data.type === "result" || (data.type === "error" && pending.has(data.id))) {
        const p = pending.get(data.id);
        pending.delete(data.id);
        data.type === "result" ? p.resolve(data) : p.reject(new Error(data.message));
      } else if (data.type === "error") {
        reject(new Error(data.message));
      }
    };
    worker.onerror = (e) => reject(new Error(e.message || "the search worker failed to start"));
    worker.postMessage({ type: "init", manifest: m, keep: keeping(), kept: kept() });
  });
  // the transformer's tier: codes.bin whole where the build says so, beside the model; else the centroids
  const ready = Promise.all([m.clusters?.transformer === "whole" ? codes() : meaningBase(), model]).then(() => undefined);
  ready.then(() => advance("ready"), async (e) => {
    if (!ORDER.includes(state)) return;
    const liteWorks = Boolean(m.static) && await meaningBase().then(() => true, () => false);
    setState(liteWorks ? "lite-only" : "lexical-only", { error: e });
  });
  return ready;
}

async function ask(message) {
  await startSemantic();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ ...message, id });
  });
}

// ---- a deploy replaced the build: its manifest, and everything loaded from the old one, dropped ----

let switching = null;
/** Loads manifest.json again; where it names another build, drops what the old one loaded (the tiers load again
 * as far as they had, from the new build's files) and resolves true. */
function switchBuild() {
  switching ??= (async () => {
    const old = await manifest.catch(() => null);
    const fresh = await loadManifest().catch(() => null);
    if (!fresh || (old && fresh.build === old.build)) return false;
    begin(Promise.resolve(fresh));
    codesPromise = centroidsPromise = lite = semantic = null;
    forgetLoaded();
    if (worker) {
      worker.terminate();
      worker = null;
      for (const p of pending.values()) p.reject(new Error("a new build of the site replaced the one loaded"));
      pending.clear();
    }
    const was = state;
    if (ORDER.includes(was) || was === "lite-only") setState("lexical");
    if (was === "lite" || was === "lite-only" || was === "ready") startLite().catch(() => {});
    if (was === "ready") startSemantic().catch(() => {});
    return true;
  })().finally(() => { switching = null; });
  return switching;
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

async function lexicalResults(m, rowDoc, text, k, gaps, allowed) {
  const { lexical, tiers } = await restricted(await keywords(text, gaps), rowDoc, allowed);
  const rows = lexicalOrder(lexical, tiers, rowDoc ? m.passages.count : k)
    .map((index) => ({ index, distance: null, score: lexical.scores[index] }));
  return { results: byDocument(rows, rowDoc, k), mode: "lexical" };
}

let filtering = null; // filters.js, fetched by the first query that filters or sorts
const filterModule = () => (filtering ??= import("./filters.js"));
/** The keyword side with only the allowed documents' rows (allowed: a Set, or null for all). */
const restricted = async (keys, rowDoc, allowed) =>
  (allowed && keys ? (await filterModule()).keepKeywords(keys, rowDoc, allowed) : keys);

/** rankOver with filters ({key: [values]}: before the top k) and a sort ({key: "asc" | "desc"}: the first
 * fusion-depth results re-ordered by it, those without it out, then the top k), as builder/ranking.py's. */
async function rankWith(text, k, mode, gaps, { filters, sort } = {}) {
  const [key, direction] = Object.entries(sort ?? {})[0] ?? [];
  if (!key && !Object.values(filters ?? {}).some((v) => [v].flat().length)) return rankOver(text, k, mode, gaps, null);
  const f = await filterModule();
  const [m, rowDoc] = await Promise.all([manifest, rowDocs]);
  const allowed = await f.allowedDocuments(m, filters);
  const want = key ? Math.max(k, m.fusion.depth) : k;
  const out = await rankOver(text, want, mode, gaps, allowed);
  out.results = f.fillAllowed(out.results, allowed, want, (d) => (rowDoc ? firstRow(rowDoc, d) : d));
  const values = key ? await f.sortValues(m, key) : null;
  if (values) out.results = f.sortResults(out.results, values, direction);
  out.results = out.results.slice(0, k);
  return out;
}

/** {results, mode (the ranking made), timings?, tokens?}: where the meaning side cannot be had (its codes or the
 * static encoder's rows missing), the keyword ranking. gaps: null to fail on any missing file. allowed: a Set of
 * the documents a filter allows, or null. */
async function rankOver(text, k, mode, gaps, allowed) {
  if (mode === "hybrid" && state === "lexical-only") mode = "lexical";
  if (mode === "hybrid" && state === "lite-only") mode = "hybrid-lite";
  if (!MODES.includes(mode)) throw new Error(`unknown mode ${mode}: use ${MODES.join(", ")}`);
  const [m, rowDoc] = await Promise.all([manifest, rowDocs]);
  if (!m.model) mode = { hybrid: "hybrid-lite", semantic: "lite" }[mode] ?? mode; // a --meaning lite site
  if (mode === "lexical") return lexicalResults(m, rowDoc, text, k, gaps, allowed);
  const light = mode === "lite" || mode === "hybrid-lite";
  const fused = mode === "hybrid" || mode === "hybrid-lite";
  let embedded, keys, set;
  try {
    [embedded, keys] = await Promise.all([
      light ? staticVector(text, gaps) : ask({ type: "embed", text }),
      fused ? keywords(text, gaps).then((kw) => restricted(kw, rowDoc, allowed)) : null]);
    set = await rowsFor(m, light ? embedded : embedded.q, light, gaps);
  } catch (e) {
    gap(e, gaps, "meaning");
    return lexicalResults(m, rowDoc, text, k, gaps, allowed);
  }
  const q = light ? embedded : embedded.q;
  const t0 = performance.now();
  const results = byDocument(meaningRows(m, set, rowDoc, q, k, mode, keys, allowed), rowDoc, k);
  if (light) return { results, mode };
  const timings = { tokenize: embedded.tokenize, model: embedded.model, scan: performance.now() - t0 };
  return { results, mode, timings, tokens: embedded.ids.length };
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
 * ({keywords, meaning, documents}: files this query could not have, offline before they were kept)}. */
export async function searchReport(text, k = 10, { mode = "hybrid", ...options } = {}) {
  const { results, mode: made, gaps } = await ranked(text, k, mode, options);
  return { results, mode: made, gaps };
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
