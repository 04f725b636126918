// The search engine behind both the page (search.js) and the widget (widget.js): keyword results first
// (BM25 over the chunked index, fetched term by term), then, once the model is in, hybrid results. Every URL is
// relative to this module, so any page of the site can use it. Lazy loaders are cached as promises.
import { matcher } from "./highlight.js";
import { stem } from "./porter2.mjs";
import { byDocument, fuse } from "./fusion.js";
import { asymmetricScore, parseCodes, rank, scan, signBits } from "./hamming.js";
import { bm25Scores, chunkOf, lexicalOrder, parseChunk, titleKeys, titleTiers, tokenizer } from "./lexical.js";
import { bucketOf, encodeStatic, parseBucket, termCounts } from "./static.js";

const here = (name) => new URL(name, import.meta.url).href;
const SEMANTIC_ROWS_PER_RESULT = 4; // builder/ranking.py's: rows ranked per result when documents were split
const RERANK_DEPTH = 100; // worker.js's and builder/ranking.py's

const cached = new Map(); // url -> promise
function load(name, as) {
  const url = here(name);
  if (!cached.has(url)) {
    cached.set(url, fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
      return as === "json" ? r.json() : r.arrayBuffer();
    }));
    cached.get(url).catch(() => cached.delete(url)); // a failed fetch may be retried by a later query
  }
  return cached.get(url);
}

export const manifest = load("manifest.json", "json").then((m) => {
  if (m.format_version !== 1) throw new Error(`manifest format ${m.format_version}, this page reads 1`);
  return m;
});
export const lexicon = manifest.then((m) => ({ m, tok: tokenizer(stem, m.lexical.stopwords) }));

// ---- state: loading -> lexical -> ready, or lexical-only / error; listeners hear every change ----

let state = "loading";
const listeners = new Set();
export const getState = () => state;
function setState(s, detail = {}) {
  if (state === "error") return;
  state = s;
  for (const fn of listeners) fn(s, detail);
}
/** fn(state, detail) on each change and on model download progress ({loaded, total}). */
export function onState(fn) { listeners.add(fn); fn(state, {}); return () => listeners.delete(fn); }

lexicon.then(() => setState("lexical"), (e) => setState("error", { error: e }));

// ---- rows and documents ----

/** Each code row's document (passages.bin), or null where no document was split (rows are documents). */
const rowDocs = manifest.then(async (m) => {
  if (!m.passages || m.passages.count === m.count) return null;
  const buf = await load(m.passages.file);
  if (buf.byteLength !== 4 * m.passages.count) throw new Error(`${m.passages.file} is truncated or replaced`);
  return new Uint32Array(buf);
});

const shard = (m, n) => load(`${m.docs.folder}/${String(n).padStart(4, "0")}.json`, "json");

/** The document at index: {id, title, text, url, passages?} as docs/NNNN.json holds it. */
export async function documentAt(index) {
  const m = await manifest;
  const per = m.docs.per_shard;
  return (await shard(m, Math.floor(index / per)))[index % per];
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

// ---- the keyword side ----

const parsed = new Map(); // chunk number -> promise of its Map, parsed once
function chunk(m, n) {
  if (!parsed.has(n)) {
    const name = `${m.lexical.folder}/${String(n).padStart(4, "0")}.bin`;
    parsed.set(n, load(name).then((buf) => parseChunk(buf, name)));
    parsed.get(n).catch(() => parsed.delete(n));
  }
  return parsed.get(n);
}

async function postings(m, keys) {
  const firsts = m.lexical.chunks;
  if (!firsts.length) return keys.map(() => null);
  const chunks = await Promise.all(keys.map((key) => (key === null ? null : chunk(m, chunkOf(key, firsts)))));
  return keys.map((key, i) => (key === null ? null : chunks[i].get(key) ?? null));
}

/** The keyword side of a query: {lexical: {scores, hits}, tiers}, per row. */
async function keywords(text) {
  const { m, tok } = await lexicon;
  const terms = tok.queryTerms(text).slice(0, m.lexical.max_query_terms);
  const [exact, loose, ...lists] = await postings(m, [...titleKeys(text), ...terms]);
  return {
    lexical: bm25Scores(lists.filter(Boolean), m.passages?.count ?? m.count),
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

// ---- the meaning side: a worker with the model and codes, started only when needed ----

let worker = null;
let semantic = null; // promise of the worker's readiness, made once
const pending = new Map();
let nextId = 0;

export function startSemantic() {
  if (semantic) return semantic;
  semantic = manifest.then((m) => new Promise((resolve, reject) => {
    worker = new Worker(here("./worker.js"), { type: "module" });
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") {
        if (state === "lexical") for (const fn of listeners) fn(state, { loaded: data.loaded, total: data.total });
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
    worker.postMessage({ type: "init", manifest: m });
  }));
  semantic.then(() => setState("ready"), (e) => { if (state !== "error") setState("lexical-only", { error: e }); });
  return semantic;
}

async function ask(message) {
  await startSemantic();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ ...message, id });
  });
}

// ---- the light meaning side: the static encoder's rows, fetched per query word, on the main thread ----

const bucketsParsed = new Map(); // bucket number -> promise of its Map term -> row
function bucket(m, n) {
  if (!bucketsParsed.has(n)) {
    const name = `${m.static.folder}/${String(n).padStart(4, "0")}.bin`;
    bucketsParsed.set(n, load(name).then((buf) => parseBucket(buf, name)));
    bucketsParsed.get(n).catch(() => bucketsParsed.delete(n));
  }
  return bucketsParsed.get(n);
}

/** The static encoder's vector of a query (builder/ranking.py's Query.lite). */
async function staticVector(text) {
  const { m, tok } = await lexicon;
  if (!m.static) throw new Error("this site has no static encoder (it was built with --meaning full)");
  const counts = termCounts(tok.terms(text));
  const rows = new Map();
  await Promise.all([...counts.keys()].map(async (t) => rows.set(t, (await bucket(m, bucketOf(t, m.static.buckets))).get(t))));
  return encodeStatic(counts, (t) => rows.get(t), m.static.dims);
}

const pageCodes = manifest.then(async (m) => parseCodes(await load(m.codes.file),
  { count: m.passages?.count ?? m.count, bits: m.bits, version: m.format_version }));

/** Rows ranked by the static encoder: its Hamming + rerank (lite) or their fusion with the keywords (hybrid-lite),
 * as the worker ranks the transformer's. */
async function liteRows(text, k, mode) {
  const [m, rowDoc, codes, q] = await Promise.all([manifest, rowDocs, pageCodes, staticVector(text)]);
  const { words, count, bits } = codes;
  if (mode === "lite") return rank(words, count, bits, q, rowDoc ? Math.min(count, k * SEMANTIC_ROWS_PER_RESULT) : k, RERANK_DEPTH);
  const { lexical, tiers } = await keywords(text);
  const { alpha, depth } = m.fusion;
  const dist = scan(words, signBits(q), count);
  const meaning = rank(words, count, bits, q, Math.max(k, depth), RERANK_DEPTH, () => dist);
  const w = bits / 32;
  const fused = fuse(lexical, tiers, meaning.map((r) => r.index), (i) => asymmetricScore(words, i * w, q),
                     rowDoc ? count : k, alpha, depth);
  return fused.map(({ index, score }) => ({ index, distance: dist[index], score }));
}

// ---- ranking: rows first, then documents by their best row ----

/** The worker's search request: the query, how many rows to rank, and its keyword side. */
async function searchMessage(text, k, mode) {
  const [m, rowDoc] = await Promise.all([manifest, rowDocs]);
  const rows = m.passages?.count ?? m.count;
  if (mode === "semantic")
    return { type: "search", mode, text, k: rowDoc ? Math.min(rows, k * SEMANTIC_ROWS_PER_RESULT) : k };
  const { lexical, tiers } = await keywords(text);
  const hits = Uint32Array.from(lexical.hits);
  const hitScores = Uint32Array.from(hits, (i) => lexical.scores[i]);
  return { type: "search", mode, text, k: rowDoc ? rows : k, docK: k, hits, hitScores, tiers: [...tiers] };
}

async function rankWith(text, k, mode) {
  if (mode === "hybrid" && state === "lexical-only") mode = "lexical";
  if (!["hybrid", "lexical", "semantic", "lite", "hybrid-lite"].includes(mode))
    throw new Error(`unknown mode ${mode}: use hybrid, lexical, semantic, lite or hybrid-lite`);
  const rowDoc = await rowDocs;
  if (mode === "lite" || mode === "hybrid-lite") return { results: byDocument(await liteRows(text, k, mode), rowDoc, k) };
  if (mode === "lexical") {
    const [m, { lexical, tiers }] = await Promise.all([manifest, keywords(text)]);
    const rows = lexicalOrder(lexical, tiers, rowDoc ? m.passages.count : k)
      .map((index) => ({ index, distance: null, score: lexical.scores[index] }));
    return { results: byDocument(rows, rowDoc, k) };
  }
  const reply = await ask(await searchMessage(text, k, mode));
  return { ...reply, results: byDocument(reply.results, rowDoc, k) };
}

/** The first row of document doc: rowDoc is non-decreasing, so a document's rows are consecutive. */
function firstRow(rowDoc, doc) {
  let lo = 0, hi = rowDoc.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (rowDoc[mid] < doc) lo = mid + 1; else hi = mid; }
  return lo;
}

/** Results with what a visitor needs: {index, id, url, distance, score, passages: [{row, url, heading, score}]}. */
async function describe(results) {
  const [m, rowDoc] = await Promise.all([manifest, rowDocs]);
  return Promise.all(results.map(async (r) => {
    const doc = await documentAt(r.index);
    const first = rowDoc ? firstRow(rowDoc, r.index) : r.index;
    const seen = new Set(); // a long section's windows are one sub-result: its best
    const passages = r.passages.map(({ row, score }) => {
      const p = doc.passages?.[row - first];
      return { row, score, heading: p?.heading ?? "", url: resolveUrl(m, doc.url, p?.anchor ?? ""),
               start: p?.start ?? 0, end: p?.end ?? doc.text.length };
    }).filter((p) => { const key = `${p.heading}\n${p.url}`; return !seen.has(key) && seen.add(key); });
    return { index: r.index, id: doc.id, url: resolveUrl(m, doc.url), distance: r.distance, score: r.score,
             passages, doc };
  }));
}

/** [{index, id, url, distance, score, passages}], best first: what the page shows for that mode. */
export async function search(text, k = 10, { mode = "hybrid" } = {}) {
  const { results } = await rankWith(String(text), k, mode);
  return (await describe(results)).map(({ doc, ...r }) => r);
}

/** search() plus each result's document ({id, title, text, url, passages}), for rendering. */
export async function searchDocuments(text, k = 10, { mode = "hybrid" } = {}) {
  return describe((await rankWith(String(text), k, mode)).results);
}

/** The model's float projection of text and its token ids. */
export async function embed(text) {
  const { embedding, ids } = await ask({ type: "embed", text: String(text) });
  return { embedding, ids };
}

/** A semantic or hybrid search plus where the time went: {results, timings: {tokenize, model, scan} ms, tokens}. */
export async function profile(text, k = 10, { mode = "hybrid" } = {}) {
  if (mode !== "semantic" && mode !== "hybrid") throw new Error("profile times the model: mode semantic or hybrid");
  const { results, timings, tokens } = await rankWith(String(text), k, mode);
  return { results, timings, tokens };
}
