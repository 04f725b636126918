// How a result's text is shown, shared by the page and the widget: a window around the query's words, with
// them wrapped in <mark>. Text enters the DOM as text nodes only, never as HTML.

/** The query's words as the highlighter looks for them (letters and digits, 2 or more). */
export function queryWords(text) {
  return [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) || [])];
}

/** Up to `size` characters of text around the first of the words found. */
export function snippet(text, words, size = 240) {
  if (text.length <= size) return text;
  const lower = text.toLowerCase();
  const hits = words.map((w) => lower.indexOf(w)).filter((i) => i >= 0);
  const start = Math.max(0, (hits.length ? Math.min(...hits) : 0) - 60);
  return (start ? "…" : "") + text.slice(start, start + size) + (start + size < text.length ? "…" : "");
}

/** Append text to el with the words wrapped in <mark>. */
export function appendHighlighted(el, text, words) {
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

/** A link (or, without a URL, a span) holding highlighted text. */
export function linkOrText(url, text, words) {
  const el = document.createElement(url ? "a" : "span");
  if (url) { el.href = url; el.rel = "noopener noreferrer"; }
  appendHighlighted(el, text, words);
  return el;
}
