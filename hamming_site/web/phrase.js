// A question typed as the site writes it comes first: among the results a search shows, those whose document holds
// the query's exact text (case and spacing aside) in its title, a passage's heading or text move ahead, and the
// passages holding it become the result's first sub-results. The keyword side scores words (and CJK bigrams) as a
// bag, so a phrase of common words ranks every page repeating them above the one section written that way. It reads
// only the shards (and a long page's parts) the page fetches to show the results anyway. The twin of
// hamming_site/builder/search/phrase.py, whose docstring says why each rule is as it is.

import { CJK } from "./lexical.js";

// the same characters as phrase.py's _SPACE: JavaScript's \s and Python's differ at the edges
const SPACES = "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff";
// a run of two spaces or more, or of other spaces: a lone " " stays (replacing each is most of the time it takes)
const SPACE = new RegExp(` [${SPACES}]+|[${SPACES.replace(" ", "")}][${SPACES}]*`, "g");
const CJK3 = new RegExp(`[${CJK}][^]*[${CJK}][^]*[${CJK}]`, "u");
/** The results re-ordered: the first screen (phrase.py says why). */
export const PHRASE_DEPTH = 10;

/** Text as a phrase is compared: lower case, each run of spaces one space, none at either end. */
export const phraseKey = (text) => String(text).toLowerCase().replace(SPACE, " ").replace(/^ | $/g, "");

/** The query's phrase, or null where it is one word. */
export function phraseOf(query) {
  const key = phraseKey(query);
  return key.includes(" ") || CJK3.test(key) ? key : null;
}

/** A document's passages as its shard lists them, or one for its whole text (UTF-16 offsets). */
export const spansOf = (doc) => (doc.passages?.length ? doc.passages : [{ start: 0, end: (doc.text ?? "").length }]);

/** The rows of the result's document whose passages hold phrase, one a section (its windows share its heading and
 * anchor), perDoc at most (those ranked for it first, then, where the shard holds the text, the others in the
 * document's order); [] where only its title does; null where nothing does. textOf(span): a promise of that
 * passage's text (a long document's parts are fetched together, not one after another). */
export async function holding(result, doc, first, phrase, textOf, perDoc) {
  const spans = spansOf(doc);
  const ranked = result.passages.map((p) => p.row - first);
  const others = doc.text !== undefined ? spans.map((_, i) => i).filter((i) => !ranked.includes(i)) : [];
  const order = [...ranked, ...others];
  const texts = await Promise.all(order.map((i) => textOf(spans[i])));
  const rows = [], sections = new Set();
  for (const [n, i] of order.entries()) {
    const section = `${spans[i].heading ?? ""}\n${spans[i].anchor ?? ""}`;
    if (sections.has(section)) continue;
    if (phraseKey(spans[i].heading ?? "").includes(phrase) || phraseKey(texts[n]).includes(phrase)) {
      rows.push(first + i);
      sections.add(section);
      if (rows.length === perDoc) break;
    }
  }
  return rows.length || phraseKey(doc.title ?? "").includes(phrase) ? rows : null;
}

/** The result with the passages of `rows` as its first sub-results (each at its own score where it was ranked, else
 * at the result's best passage's), the others after them, perDoc at most. */
export function moved(result, rows, perDoc) {
  const scores = new Map(result.passages.map((p) => [p.row, p.score]));
  const best = result.passages[0].score;
  const ahead = rows.map((row) => ({ row, score: scores.has(row) ? scores.get(row) : best }));
  const rest = result.passages.filter((p) => !rows.includes(p.row));
  return { ...result, passages: [...ahead, ...rest].slice(0, perDoc) };
}

/** results (best first) with those of the first rows.length holding phrase first, the others after them and the
 * rest as they were; rows: the first results' holding() rows. */
export function phraseFirst(results, phrase, rows, perDoc) {
  if (phrase === null) return results;
  const head = results.slice(0, rows.length);
  const ahead = head.flatMap((r, i) => (rows[i] === null ? [] : [moved(r, rows[i], perDoc)]));
  return [...ahead, ...head.filter((_, i) => rows[i] === null), ...results.slice(rows.length)];
}
