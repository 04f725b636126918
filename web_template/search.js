// The page: public API window.hammingSearch.search(text, k), the search box, results and status.
// Lazy loaders are cached as promises; corpus text only ever enters the DOM as text nodes.

const $ = (id) => document.getElementById(id);
const status = (text) => { $("status").textContent = text; };
const DEBOUNCE_MS = 120;
const SHOWN = 10;

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const pending = new Map();
let nextId = 0;
const shardPromises = new Map();

const ready = new Promise((resolve, reject) => {
  worker.onmessage = ({ data }) => {
    if (data.type === "progress") {
      // the model may still be streaming in after codes.bin failed its check: keep the error on screen
      if (document.body.dataset.state === "loading")
        status(`Loading the search model… ${Math.round((100 * data.loaded) / data.total)}%`);
    } else if (data.type === "ready") {
      resolve(data);
    } else if (data.type === "result" || (data.type === "error" && pending.has(data.id))) {
      const p = pending.get(data.id);
      pending.delete(data.id);
      data.type === "result" ? p.resolve(data) : p.reject(new Error(data.message));
    } else if (data.type === "error") {
      reject(new Error(data.message));
    }
  };
  worker.onerror = (e) => reject(new Error(e.message || "the search worker failed to start"));
});
worker.postMessage({ type: "init" });

// The worker has already fetched and checked manifest.json: the page uses its copy.
const manifest = () => ready.then((info) => info.manifest);

function shard(n) {
  if (!shardPromises.has(n)) {
    const name = `docs/${String(n).padStart(4, "0")}.json`;
    shardPromises.set(n, fetch(name).then((r) => { if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`); return r.json(); }));
  }
  return shardPromises.get(n);
}

async function documentAt(index) {
  const m = await manifest();
  const per = m.docs.per_shard;
  return (await shard(Math.floor(index / per)))[index % per];
}

async function ask(message) {
  await ready;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ ...message, id });
  });
}

const run = (text, k) => ask({ type: "search", text, k });

/** The same ranking the page shows: [{index, id, distance, score}], best first. */
async function search(text, k = SHOWN) {
  const { results } = await run(String(text), k);
  return Promise.all(results.map(async (r) => ({ ...r, id: (await documentAt(r.index)).id })));
}

/** The model's float projection of text and its token ids (what search() ranks with). */
async function embed(text) {
  const { embedding, ids } = await ask({ type: "embed", text: String(text) });
  return { embedding, ids };
}

/** search() plus where the time went: {results, timings: {tokenize, model, scan} ms, tokens}. */
async function profile(text, k = SHOWN) {
  const { results, timings, tokens } = await run(String(text), k);
  return { results, timings, tokens };
}

window.hammingSearch = { search, embed, profile, ready: () => ready.then(() => true) };

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

async function render(results, text, ms) {
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
  const m = await manifest();
  status(`${results.length ? results.length + " results" : "No results"} from ${m.count.toLocaleString()} documents, ${Math.round(ms)} ms`);
}

let generation = 0;
let timer = null;

async function onInput(text, pushUrl = true) {
  const mine = ++generation; // a slower, older query never overwrites a newer one
  if (!text.trim()) {
    $("results").replaceChildren();
    const m = await manifest();
    if (mine === generation) status(`${m.count.toLocaleString()} documents. Type to search.`);
    return;
  }
  const t0 = performance.now();
  try {
    const { results } = await run(text, SHOWN);
    if (mine !== generation) return;
    await render(results, text, performance.now() - t0);
    if (mine !== generation) return;
    if (pushUrl) history.replaceState(null, "", `?q=${encodeURIComponent(text)}`);
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

ready.then(async (info) => {
  document.body.dataset.state = "ready";
  status(`${info.manifest.count.toLocaleString()} documents. Type to search.`);
  const q = new URLSearchParams(location.search).get("q");
  if (q) { $("q").value = q; await onInput(q, false); }
}, (e) => {
  document.body.dataset.state = "error";
  status(`The search could not start: ${e.message}`);
});
