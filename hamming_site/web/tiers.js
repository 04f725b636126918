// The search's tiers and what they load, behind the public API (api.js): keyword results first (the chunked
// index, fetched term by term by rank.js), then meaning by the static encoder (its rows fetched per query word, no
// runtime: hybrid-lite), then by the transformer in a worker (hybrid). The state machine, the lazy loaders
// (cached as promises), the worker, and the switch to a new build a deploy made. Every URL is relative to this
// module, so any page of the site can use it.
import { fetchChecked } from "./checked.js";
import { documentOf } from "./documents.js";
import { forgetLoaded, here, isKept, keepOffline, keeping, kept, load, loadManifest, Missing, parsedFile, saveData }
  from "./files.js";
import { stem } from "./porter2.mjs";
import { parseCodes, scan, wasmScanner } from "./hamming.js";
import { tokenizer } from "./lexical.js";
import { parseCentroids, parseCluster } from "./clusters.js";

export { Missing, onOffline, saveData } from "./files.js";
export { resolveUrl } from "./documents.js";

export let manifest; // promise of the current build's manifest: replaced when a deploy replaced the build
export let lexicon;
export let rowDocs; // each code row's document (passages.bin), or null where no document was split
/** A site not all English: [[code, stem function or null, stop words]] for each of its languages, English's
 * stemmer the one imported above, the others' from the files the manifest names (stem-<code>.<hash>.mjs, fetched
 * only by a site that has the language); null for English alone. */
async function languages(m) {
  const site = m.lexical.languages;
  if (!site) return null;
  return Promise.all(Object.entries(site).map(async ([code, stop]) => {
    const file = m.lexical.stemmers?.[code];
    const fn = code === "en" ? stem : file ? (await import(here(file))).stemmer : null;
    return [code, fn, stop];
  }));
}

function begin(next) {
  manifest = next;
  lexicon = manifest.then(async (m) => ({ m, tok: tokenizer(stem, m.lexical.stopwords, await languages(m)) }));
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

// ---- the codes, shared by both encoders: codes.bin whole, or by cluster (clusters.bin first, then the clusters
// each query needs), fetched and checked once ----

let codesPromise = null;
export function codes() {
  codesPromise ??= manifest.then(async (m) => {
    const buf = await fetchChecked(m.codes, here(m.codes.file), counted(m.codes.bytes));
    const parsed = parseCodes(buf, { count: m.passages?.count ?? m.count, bits: m.bits, version: m.format_version });
    return { ...parsed, scanner: wasmScanner(parsed.words, parsed.count, parsed.bits) ?? scan };
  });
  return codesPromise;
}

let centroidsPromise = null;
export function centroids() {
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
export const cluster = (m, c, sizes) =>
  parsedFile(m.clusters.folder, c, (buf, name) => parseCluster(buf, { rows: sizes[c], bits: m.bits }, name));

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

export async function ask(message) {
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
export function switchBuild() {
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

