// The standalone search page: a box, a status line and results (documents with their best passages) over
// api.js, the public API any page can import. Its own: window.hammingSearch.search(text, k, {mode, filters, sort}) and .filters(). Corpus text
// only ever enters the DOM as text nodes. #results carries data-ranking: the ranking that made the list on screen (lexical, hybrid-lite,
// hybrid). What it loads, in order: the keyword chunks of a query; then the static encoder's rows and the codes
// (hybrid-lite); then, once a hybrid-lite list is on screen and unless the visitor asked to save data, the
// transformer (hybrid).
import { asYouType, embed, filters, getState, keywordsReady, liteReady, onOffline, onState, preload, profile, ready,
         saveData, search, searchReport, siteInfo } from "./api.js";
import { appendHighlighted, linkOrText, snippet } from "./highlight.js";

const $ = (id) => document.getElementById(id);
let words = {}; // the page's words in the site's language (manifest.json's strings, web/strings.json)
/** The page's sentence `key` in the site's language, {name} filled from params. */
const t = (key, params = {}) => (words[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
let said = ""; // the status line, without what it says of the offline copy
let keeping = ""; // what it says of the offline copy while it is being made: "available offline: 63 %"
const status = (text) => { said = text; $("status").textContent = keeping ? `${text} (${keeping})` : text; };
const SHOWN = 10;
const IDLE_MS = 1000; // with the keyword index in, the model starts loading after this long without a query

window.hammingSearch = { search, embed, profile, filters, ready, liteReady, keywordsReady };

// ---- the page ----

const setState = (s) => { document.body.dataset.state = s; };

function renderResult(r, match) {
  const { doc } = r;
  const li = document.createElement("li");
  li.dataset.index = String(r.index);
  li.dataset.id = doc.id;
  li.tabIndex = -1;
  const heading = document.createElement("h2");
  const best = r.passages[0]; // a long document's shard holds no text: what is shown of it is its passages'
  heading.append(linkOrText(r.url, doc.title || (doc.text ?? best.text).slice(0, 80), match));
  li.append(heading);
  const p = document.createElement("p");
  appendHighlighted(p, snippet(best.text, match), match);
  li.append(p);
  if (doc.passages) { // a page split at its headings: its best sections, each linking to its anchor
    const list = document.createElement("ul");
    list.className = "passages";
    for (const passage of r.passages) {
      if (!passage.heading) continue;
      const item = document.createElement("li");
      item.append(linkOrText(passage.url, passage.heading, match));
      list.append(item);
    }
    if (list.children.length) li.append(list);
  }
  return li;
}

let liteSite = false; // built with --meaning lite: the static encoder is the whole of its meaning
siteInfo().then((info) => { liteSite = info.meaning === "lite"; words = info.strings; }, () => {});

function describe(state, { n, count, ms, terms, note }, loaded) {
  if (note) return note; // what the list on screen lacks, until the next query
  const where = (found) => t("found", { found, count: count.toLocaleString(), ms: Math.round(ms) });
  const found = n ? t("results", { n }) : t("no_results");
  if (state === "ready" || (state === "lite" && liteSite)) return where(found);
  const pct = loaded == null ? "" : ` (${loaded}%)`;
  if (state === "lite" && !liteSite)
    return `${where(found)}; ${saveData() ? t("data_saver") : t("model_loading", { pct })}.`;
  if (state === "lite-only") return `${where(found)}; ${t("model_unavailable")}.`;
  // the keyword list alone: what it found, or that no word of the query is in the index
  const why = terms ? where(n ? t("keyword_results", { n }) : t("no_results")) : t("no_keyword");
  const next = state === "lexical-only" ? t("meaning_unavailable") : t("meaning_loading", { pct });
  return `${why}; ${next}.`;
}

let generation = 0;
let shown = null; // what the keyword results on screen were, so loading progress adds to them, never hides them
let loaded = null; // percent of the meaning-based search downloaded

let chosen = {}; // the filters checked: {key: [values]}
let offered = null;
/** The site's filters as checkboxes under the box, once a first list is on screen (their files are fetched only
 * then, so a first result costs what it did); a change runs the query again. */
function offerFilters(info) {
  if (offered || !info.filters.length) return;
  offered = Promise.all([import("./choices.js"), filters()]).then(([{ filterControls }, counts]) => {
    const { element } = filterControls(counts, null, (selected) => { chosen = selected; onInput($("q").value, false); });
    element.id = "filters";
    $("search-form").after(element);
  }).catch(() => { offered = null; });
}

async function onInput(text, pushUrl = true) {
  const mine = ++generation; // a slower, older query never overwrites a newer one
  const info = await siteInfo();
  if (!text.trim()) {
    $("results").replaceChildren();
    shown = null;
    if (mine === generation) status(t("type", { count: info.documents.toLocaleString() }));
    return;
  }
  const t0 = performance.now();
  try {
    // the best ranking loaded now; the next tier starts loading once this list is on screen
    const { results, mode, gaps, match, terms } = await searchReport(text, SHOWN, { filters: chosen });
    if (mine !== generation) return;
    $("results").replaceChildren(...results.map((r) => renderResult(r, match)));
    $("results").dataset.ranking = mode;
    shown = { n: results.length, count: info.documents, ms: performance.now() - t0, terms, note: missing(gaps) };
    status(describe(mode === "hybrid" ? "ready" : getState(), shown, loaded));
    if (pushUrl) history.replaceState(null, "", `?q=${encodeURIComponent(text)}`);
    offerFilters(info);
    if (mode !== "lexical") keepPage(info);
  } catch (e) {
    if (mine !== generation) return;
    $("results").replaceChildren(); // never the previous query's list under this one's failure
    delete $("results").dataset.ranking;
    shown = null;
    status(t("failed", { error: e.message }));
  }
}

/** What a query's list lacks, offline before those files were kept; null where it lacks nothing. */
function missing({ keywords, meaning, documents }) {
  const parts = [keywords && t("part_keywords"), meaning && t("part_meaning"),
                 documents && t("part_documents", { n: documents })].filter(Boolean);
  if (!parts.length) return null;
  return t("partial", { parts: parts.join(", ") });
}

let registered = false;
/** Once a ranking with meaning is on screen: the service worker that loads this page offline (sw.js). */
function keepPage(info) {
  if (registered || !info.offline || saveData() || !navigator.serviceWorker) return;
  registered = true;
  navigator.serviceWorker.register("sw.js").catch(() => {}); // a browser that refuses: online only, as before
}

onOffline(({ state, done, total }) => {
  if (!state) return;
  document.body.dataset.offline = state;
  keeping = state === "caching" ? t("offline", { pct: Math.floor((100 * done) / Math.max(total, 1)) }) : "";
  status(said);
});

$("search-form").addEventListener("submit", (e) => e.preventDefault());
const typed = asYouType((text) => onInput(text));
$("q").addEventListener("input", (e) => typed(e.target.value));

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

let started = false;
onState(async (state, detail) => {
  if (document.body.dataset.state === "error") return; // boot.js: opened from file://
  const info = await siteInfo().catch(() => null);
  if (state === "error") {
    setState("error");
    status(t("could_not_start", { error: detail.error?.message ?? "?" }));
  } else if ((state === "lexical" || state === "lite") && detail.total) {
    loaded = Math.round((100 * detail.loaded) / detail.total);
    status(shown && getState() === state ? describe(state, shown, loaded)
      : t("keywords_ready", { pct: loaded }));
  } else if (state === "lexical" && started) {
    setState("lexical"); // a deploy replaced the build: its meaning loads again
  } else if (state === "lexical" && !started) {
    started = true;
    setState("lexical");
    status(t("type_loading", { count: info.documents.toLocaleString() }));
    // idle: no query needs the network now, so the next tier loads (the static encoder's codes, or the model)
    setTimeout(preload, IDLE_MS);
    const q = new URLSearchParams(location.search).get("q");
    if (q) { $("q").value = q; await onInput(q, false); }
  } else if (state === "lite" || state === "lite-only") {
    setState(state);
    if (state === "lite-only") status(t("full_unavailable", { error: detail.error?.message }));
    const text = $("q").value;  // the same query again, now hybrid-lite
    if (text.trim()) onInput(text, false);
    else if (state === "lite") status(t("type", { count: info.documents.toLocaleString() }));
  } else if (state === "ready") {
    setState("ready");
    // the same query again, now hybrid: the box's text and the focus stay as they are
    const text = $("q").value;
    if (text.trim()) onInput(text, false);
    else status(t("type", { count: info.documents.toLocaleString() }));
  } else if (state === "lexical-only") {
    setState("lexical-only");
    status(t("meaning_failed", { error: detail.error?.message }));
    if ($("q").value.trim()) onInput($("q").value, false);
  }
});
