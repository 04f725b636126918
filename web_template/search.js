// The page: keyword results first (BM25 over the chunked index, fetched term by term), then, once the model
// is in, hybrid results. Public API: window.hammingSearch.search(text, k, {mode}). Lazy loaders are cached as
// promises; corpus text only ever enters the DOM as text nodes.
import { stem } from "./porter2.mjs";
import { bm25Scores, chunkOf, lexicalOrder, parseChunk, titleKeys, titleTiers, tokenizer } from "./lexical.js";

const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };
const setState = (s) => { document.body.dataset.state = s; };
const DEBOUNCE_MS = 120;
const SHOWN = 10;
const IDLE_MS = 1000; // with the keyword index in, the model starts loading after this long without a query

const cached = new Map(); // url -> promise
function load(url, as) {
  if (!cached.has(url)) {
    cached.set(url, fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return as === "json" ? r.json() : r.arrayBuffer();
    }));
    cached.get(url).catch(() => cached.delete(url)); // a failed fetch may be retried by a later query
  }
  return cached.get(url);
}

const manifest = load("manifest.json", "json").then((m) => {
  if (m.format_version !== 1) throw new Error(`manifest format ${m.format_version}, this page reads 1`);
  return m;
});
const lexicon = manifest.then((m) => ({ m, tok: tokenizer(stem, m.lexical.stopwords) }));

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

/** The keyword side of a query: {lexical: {scores, hits}, tiers} (the index's chunks for its terms). */
async function keywords(text) {
  const { m, tok } = await lexicon;
  const terms = tok.queryTerms(text).slice(0, m.lexical.max_query_terms);
  const [exact, loose, ...lists] = await postings(m, [...titleKeys(text), ...terms]);
  return {
    lexical: bm25Scores(lists.filter(Boolean), m.count),
    tiers: titleTiers(exact?.docs, loose?.docs),
  };
}

// ---- the meaning side: a worker with the model and codes, started only when needed ----

let worker = null;
let semantic = null; // promise of the worker's readiness, made once
const pending = new Map();
let nextId = 0;

function startSemantic() {
  if (semantic) return semantic;
  semantic = manifest.then((m) => new Promise((resolve, reject) => {
    worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }) => {
      if (data.type === "progress") {
        if (document.body.dataset.state === "lexical")
          status(`Keyword search is ready; loading meaning-based search… ${Math.round((100 * data.loaded) / data.total)}%`);
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
  semantic.then(onSemanticReady, onSemanticFailed); // once: the page's state follows the model's first load
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

// ---- ranking, the same in every caller ----

async function rankWith(text, k, mode) {
  if (mode === "hybrid" && document.body.dataset.state === "lexical-only") mode = "lexical";
  if (mode === "lexical") {
    const { lexical, tiers } = await keywords(text);
    return lexicalOrder(lexical, tiers, k).map((index) => ({ index, distance: null, score: lexical.scores[index] }));
  }
  if (mode === "semantic") return (await ask({ type: "search", mode, text, k })).results;
  if (mode !== "hybrid") throw new Error(`unknown mode ${mode}: use hybrid, lexical or semantic`);
  return (await ask(await searchMessage(text, k, mode))).results;
}

/** The worker's search request: the query and its keyword side (scores of the matching documents, tiers). */
async function searchMessage(text, k, mode) {
  const { lexical, tiers } = await keywords(text);
  const hits = Uint32Array.from(lexical.hits);
  const hitScores = Uint32Array.from(hits, (i) => lexical.scores[i]);
  return { type: "search", mode, text, k, hits, hitScores, tiers: [...tiers] };
}

const shards = (m, n) => load(`${m.docs.folder}/${String(n).padStart(4, "0")}.json`, "json");

async function documentAt(index) {
  const m = await manifest;
  const per = m.docs.per_shard;
  return (await shards(m, Math.floor(index / per)))[index % per];
}

/** [{index, id, distance, score}], best first: what the page shows for that mode (default hybrid). */
async function search(text, k = SHOWN, { mode = "hybrid" } = {}) {
  const results = await rankWith(String(text), k, mode);
  return Promise.all(results.map(async (r) => ({ ...r, id: (await documentAt(r.index)).id })));
}

/** The model's float projection of text and its token ids. */
async function embed(text) {
  const { embedding, ids } = await ask({ type: "embed", text: String(text) });
  return { embedding, ids };
}

/** A semantic search plus where the time went: {results, timings: {tokenize, model, scan} ms, tokens}. */
async function profile(text, k = SHOWN, { mode = "hybrid" } = {}) {
  if (mode !== "semantic" && mode !== "hybrid") throw new Error("profile times the model: mode semantic or hybrid");
  const { results, timings, tokens } = await ask(await searchMessage(String(text), k, mode));
  return { results, timings, tokens };
}

window.hammingSearch = {
  search, embed, profile,
  ready: () => startSemantic().then(() => true),
  keywordsReady: () => lexicon.then(() => true),
};

// ---- the page ----

function queryWords(text) {
  return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) || [])];
}

/** Append text to el with the query's words wrapped in <mark>, as text nodes only (never HTML). */
function appendHighlighted(el, text, words) {
  if (!words.length) { el.append(text); return; }
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(`(${escaped.join("|")})`, "giu");
  let last = 0;
  for (const m of text.matchAll(re)) {
    el.append(text.slice(last, m.index));
    const mark = document.createElement("mark");
    mark.textContent = m[0];
    el.append(mark);
    last = m.index + m[0].length;
  }
  el.append(text.slice(last));
}

function snippet(text, words, size = 240) {
  if (text.length <= size) return text;
  const lower = text.toLowerCase();
  const hits = words.map((w) => lower.indexOf(w)).filter((i) => i >= 0);
  const start = Math.max(0, (hits.length ? Math.min(...hits) : 0) - 60);
  return (start ? "…" : "") + text.slice(start, start + size) + (start + size < text.length ? "…" : "");
}

function safeUrl(url) {
  try {
    const u = new URL(url, location.href);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch { return null; }
}

async function render(results, text) {
  const words = queryWords(text);
  const docs = await Promise.all(results.map((r) => documentAt(r.index)));
  const items = results.map((r, i) => {
    const doc = docs[i];
    const li = document.createElement("li");
    li.dataset.index = String(r.index);
    li.dataset.id = doc.id;
    li.tabIndex = -1;
    const heading = document.createElement("h2");
    const url = doc.url && safeUrl(doc.url);
    const titleHolder = url ? document.createElement("a") : heading;
    if (url) { titleHolder.href = url; titleHolder.rel = "noopener noreferrer"; heading.append(titleHolder); }
    appendHighlighted(titleHolder, doc.title || doc.text.slice(0, 80), words);
    const p = document.createElement("p");
    appendHighlighted(p, snippet(doc.text, words), words);
    li.append(heading, p);
    return li;
  });
  $("results").replaceChildren(...items);
}

function describe(state, n, count, ms, terms) {
  const found = n ? `${n} results` : "No results";
  if (state === "ready") return `${found} from ${count.toLocaleString()} documents, ${Math.round(ms)} ms`;
  const why = terms ? found.replace("results", "keyword results") : "No keyword in this query is in the index";
  const next = state === "lexical-only"
    ? "meaning-based search is unavailable (the model did not load); keyword search works"
    : "meaning-based results are loading";
  return `${why} from ${count.toLocaleString()} documents, ${Math.round(ms)} ms; ${next}.`;
}

let generation = 0;
let timer = null;

async function onInput(text, pushUrl = true) {
  const mine = ++generation; // a slower, older query never overwrites a newer one
  const m = await manifest;
  if (!text.trim()) {
    $("results").replaceChildren();
    if (mine === generation) status(`${m.count.toLocaleString()} documents. Type to search.`);
    return;
  }
  const t0 = performance.now();
  try {
    const state = document.body.dataset.state;
    const mode = state === "ready" ? "hybrid" : "lexical";
    const results = await rankWith(text, SHOWN, mode);
    if (mine !== generation) return;
    await render(results, text);
    if (mine !== generation) return;
    // tokenizing again is cheap; scoring every posting again (a second keywords()) is not
    const terms = mode === "lexical" ? (await lexicon).tok.queryTerms(text).length : 1;
    status(describe(mode === "hybrid" ? "ready" : document.body.dataset.state, results.length, m.count,
                     performance.now() - t0, terms));
    if (pushUrl) history.replaceState(null, "", `?q=${encodeURIComponent(text)}`);
    if (mode === "lexical" && state === "lexical") startSemantic().catch(() => {}); // first results are up
  } catch (e) {
    if (mine === generation) status(`Search failed: ${e.message}`);
  }
}

$("search-form").addEventListener("submit", (e) => e.preventDefault());
$("q").addEventListener("input", (e) => {
  clearTimeout(timer);
  timer = setTimeout(() => onInput(e.target.value), DEBOUNCE_MS);
});

// Arrow keys move between the box and the results; Enter on a result follows its link.
document.addEventListener("keydown", (e) => {
  const items = [...$("results").children];
  const at = items.indexOf(document.activeElement);
  if (e.key === "ArrowDown" && items.length) {
    e.preventDefault();
    items[Math.min(at + 1, items.length - 1)].focus();
  } else if (e.key === "ArrowUp" && at >= 0) {
    e.preventDefault();
    (at === 0 ? $("q") : items[at - 1]).focus();
  } else if (e.key === "Enter" && at >= 0) {
    items[at].querySelector("a")?.click();
  }
});

function onSemanticReady() {
  setState("ready");
  // the same query again, now hybrid: the box's text and the focus stay as they are
  const text = $("q").value;
  if (text.trim()) onInput(text, false);
  else manifest.then((m) => status(`${m.count.toLocaleString()} documents. Type to search.`));
}

function onSemanticFailed(e) {
  if (document.body.dataset.state === "error") return;
  setState("lexical-only");
  status(`Meaning-based search is unavailable (${e.message}); keyword search works.`);
  if ($("q").value.trim()) onInput($("q").value, false);
}

lexicon.then(async ({ m }) => {
  if (document.body.dataset.state === "error") return; // boot.js: opened from file://
  setState("lexical");
  status(`${m.count.toLocaleString()} documents. Type to search (meaning-based search is loading).`);
  setTimeout(() => startSemantic().catch(() => {}), IDLE_MS); // idle: no query needs the network now
  const q = new URLSearchParams(location.search).get("q");
  if (q) { $("q").value = q; await onInput(q, false); }
}, (e) => {
  setState("error");
  status(`The search could not start: ${e.message}`);
});
