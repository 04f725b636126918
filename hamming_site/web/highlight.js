// How a result's text is shown, shared by the page and the widget: a window around the query's words, with
// them wrapped in <mark>. A word matches when the keyword index would match it (same stem, not a stop word, or a
// term the word being typed begins or a mistyped word stands for), so "handler" marks "handlers", "normc" marks
// "normcase" and "do" does not mark "Documentation". Text enters the DOM as text nodes only.
const WORD = /[\p{L}\p{N}]+/gu; // lexical.js's words

/** A predicate on the words of a text: does it match one of the query's terms, or a term a half-typed or mistyped
 * word of it stands for (groups: expand.js's, the terms that scored)? tok: lexical.js's tokenizer. */
export function matcher(tok, query, groups = []) {
  const wanted = new Set([...tok.queryTerms(query), ...groups.flatMap((g) => g.terms.map(([t]) => t))]);
  return (word) => wanted.size > 0 && tok.terms(word).some((t) => wanted.has(t));
}

/** Up to `size` characters of text, starting a little before the first matching word. */
export function snippet(text, match, size = 240) {
  if (text.length <= size) return text;
  let first = 0;
  for (const m of text.matchAll(WORD)) if (match(m[0])) { first = m.index; break; }
  const start = Math.max(0, first - 60);
  return (start ? "…" : "") + text.slice(start, start + size) + (start + size < text.length ? "…" : "");
}

/** Append text to el with its matching words wrapped in <mark>. */
export function appendHighlighted(el, text, match) {
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    if (!match(m[0])) continue;
    el.append(text.slice(last, m.index));
    const mark = document.createElement("mark");
    mark.textContent = m[0];
    el.append(mark);
    last = m.index + m[0].length;
  }
  el.append(text.slice(last));
}

/** A link (or, without a URL, a span) holding highlighted text. */
export function linkOrText(url, text, match) {
  const el = document.createElement(url ? "a" : "span");
  if (url) { el.href = url; el.rel = "noopener noreferrer"; }
  appendHighlighted(el, text, match);
  return el;
}
