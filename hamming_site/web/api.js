// The public search API, by a fixed name: api.js keeps its name in every build (as search.js and widget.js do),
// so any page can import it, and the site's own page (search.js) and widget (widget.js) use nothing else.
//
//   import { search, searchReport, onState } from "/hamming/api.js";
//   const results = await search("parse json", 10);            // [{index, id, url, score, passages, meta, ...}]
//
// Results are the same whoever asks: the ranking is rank.js's, over what the tiers (tiers.js) have loaded.
import { highlighter, queryTermCount, searchReport as report } from "./rank.js";
import { getState, lexicon, manifest, nextTier, rankingFor, startLite, startSemantic } from "./tiers.js";

export { embed, filters, profile, search, searchDocuments } from "./rank.js";
export { getState, onOffline, onState, saveData } from "./tiers.js";

/**
 * What a search box shows for text: {results (with their documents), mode (the ranking that made them), gaps
 * (files this query could not have), match (a predicate: does a word match the query as the keyword index
 * would, for highlighting), terms (how many of the query's words the keyword index looks for; 0: only stop words)}.
 * mode: left out, the best ranking loaded now (lexical, then hybrid-lite, then hybrid). Once the caller has its
 * list (the next task), the next tier starts loading: a first list never waits behind it.
 */
export async function searchReport(text, k = 10, { mode, ...options } = {}) {
  const state = getState();
  // groups: what its half-typed and mistyped words stood for, marked as they scored (never computed twice)
  const { groups, ...out } = await report(text, k, { mode: mode ?? rankingFor(state), ...options });
  const [match, terms] = await Promise.all([highlighter(text, groups),
                                            out.mode === "lexical" ? queryTermCount(text) : 1]);
  setTimeout(() => nextTier(out.mode, state), 0);
  return { ...out, match, terms };
}

/**
 * For a search box: a function to call with the box's text on every keystroke, which runs fn(text) at once where no
 * earlier call is running, else once it ends, with the latest text only. No debounce (each list within the time a
 * search takes: a keyword list a few ms once its chunks are in), no stale list overtaking a newer one (they run one
 * after another), never more than one search waiting (fast typing skips the texts in between).
 */
export function asYouType(fn) {
  let running = false, waiting = null;
  const go = (text) => {
    running = true;
    Promise.resolve().then(() => fn(text)).catch(() => {}).finally(() => {
      running = false;
      if (waiting !== null) { const next = waiting; waiting = null; go(next); }
    });
  };
  return (text) => { if (running) waiting = text; else go(text); };
}

/** The ranking search() makes by default in the state the search is in now (what searchReport's mode would be). */
export const currentRanking = () => rankingFor(getState());

/** Starts loading the next tier now, as the page does once it is idle (nothing loads that a query would not). */
export const preload = () => nextTier("lexical", "lexical");

/** Resolve true once the keyword index can answer, the static encoder (false: the site has none), the transformer. */
export const keywordsReady = () => lexicon.then(() => true);
export const liteReady = () => startLite();
export const ready = () => startSemantic().then(() => true);

/** What a UI says of the site: {documents, filters (the keys a visitor can filter by), offline (whether the site
 * may be kept for offline use), meaning ("both", "lite", "full" or "none"), language (its pages' commonest, or
 * --language), strings (the page's and the widget's words in that language: web/strings.json)}. */
export async function siteInfo() {
  const m = await manifest;
  const meaning = m.static && m.model ? "both" : m.static ? "lite" : m.model ? "full" : "none";
  return { documents: m.count, filters: m.filters?.keys ?? [], offline: m.offline !== false, meaning,
           language: m.language ?? "en", strings: m.strings ?? {} };
}
