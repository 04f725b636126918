// <hamming-search>: a search box for any page of the site, as an ARIA combobox in a Shadow DOM.
//   <script type="module" src="/hamming/widget.js"></script>
//   <hamming-search placeholder="Search the docs"></hamming-search>
// Keyword results come at once; the model loads after the first query and then makes them hybrid. Arrows move
// through the results, Enter opens one (its best passage: page.html#section), Escape closes the list.
// Styled through CSS custom properties (--hamming-*, widget.css) and ::part(input|list|option|filters).
// filters="tag,section": checkboxes for those filter keys (their files fetched when the box is first focused).
import { asYouType, filters, onOffline, onState, searchReport, siteInfo } from "./api.js";
import { appendHighlighted, snippet } from "./highlight.js";

let instances = 0;

class HammingSearch extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const id = `hamming-${instances++}`;
    const root = this.attachShadow({ mode: "open" });
    const css = document.createElement("link"); // a file, not a <style>: a page's CSP may forbid inline styles
    css.rel = "stylesheet";
    css.href = new URL("./widget.css", import.meta.url).href;
    this.input = document.createElement("input");
    Object.assign(this.input, { type: "search", autocomplete: "off", spellcheck: false,
                                placeholder: this.getAttribute("placeholder") || "Search" });
    this.input.setAttribute("part", "input");
    this.input.setAttribute("role", "combobox");
    this.input.setAttribute("aria-label", this.getAttribute("label") || "Search this site");
    // the site's own words where the page set none (manifest.json's strings, in the site's language)
    siteInfo().then(({ strings }) => {
      if (!this.getAttribute("placeholder") && strings.widget_placeholder) this.input.placeholder = strings.widget_placeholder;
      if (!this.getAttribute("label") && strings.widget_label) this.input.setAttribute("aria-label", strings.widget_label);
    }, () => {});
    this.input.setAttribute("aria-autocomplete", "list");
    this.input.setAttribute("aria-expanded", "false");
    this.input.setAttribute("aria-controls", `${id}-list`);
    this.list = document.createElement("ul");
    this.list.id = `${id}-list`;
    this.list.setAttribute("role", "listbox");
    this.list.setAttribute("part", "list");
    this.list.hidden = true;
    this.status = document.createElement("p");
    this.status.className = "status";
    this.status.setAttribute("aria-live", "polite");
    root.append(css, this.input, this.list, this.status);
    this.idBase = id;
    this.active = -1;
    this.generation = 0;
    this.dismissed = false; // Escape closed the list
    const typed = asYouType((text) => this.run(text));
    this.input.addEventListener("input", () => {
      this.dismissed = false;
      typed(this.input.value);
    });
    this.input.addEventListener("keydown", (e) => this.onKey(e));
    this.input.addEventListener("blur", () => setTimeout(() => {
      if (!root.activeElement) this.close();
    }, 150));
    this.input.addEventListener("focus", () => this.offerFilters(root), { once: true });
    this.input.addEventListener("focus", () => {
      if (this.list.children.length) { this.dismissed = false; this.open(); }
    });
    // once the static encoder, then the model, is in, the query on screen is ranked again (hybrid-lite, hybrid)
    // data-state mirrors the engine's (loading, lexical, lite, ready, lite-only, lexical-only, error)
    this.unsubscribe = onState((state, detail) => {
      if (state === this.dataset.state || detail.total) return;
      this.dataset.state = state;
      if (["lite", "lite-only", "ready"].includes(state) && this.input.value.trim()) this.run(this.input.value);
    });
    // data-offline: what the site's offline copy is (off, caching, ready), kept by the engine from any page
    this.unkeep = onOffline(({ state }) => { if (state) this.dataset.offline = state; });
  }

  /** The filter controls the filters attribute asks for, under the box; a change re-runs the query. */
  async offerFilters(root) {
    const keys = this.getAttribute("filters")?.split(",").map((k) => k.trim()).filter(Boolean);
    if (!keys?.length) return;
    const [{ filterControls }, counts] = await Promise.all([import("./choices.js"), filters()]);
    const { element, selected } = filterControls(counts, keys, (chosen) => {
      this.chosen = chosen;
      this.dismissed = false;
      if (this.input.value.trim()) this.run(this.input.value);
    });
    element.setAttribute("part", "filters");
    root.insertBefore(element, this.list);
    this.chosen = selected();
  }

  disconnectedCallback() { this.unsubscribe?.(); this.unkeep?.(); }

  get options() { return [...this.list.querySelectorAll("[role=option]")]; }

  open() { this.list.hidden = false; this.input.setAttribute("aria-expanded", "true"); }

  close() {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.select(-1);
  }

  select(i) {
    const options = this.options;
    this.active = i;
    options.forEach((o, j) => o.setAttribute("aria-selected", String(j === i)));
    if (i >= 0 && options[i]) {
      this.input.setAttribute("aria-activedescendant", options[i].id);
      options[i].scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  }

  onKey(e) {
    const n = this.options.length;
    if (e.key === "ArrowDown" && n) {
      e.preventDefault();
      this.dismissed = false;
      this.open();
      this.select(Math.min(this.active + 1, n - 1));
    } else if (e.key === "ArrowUp" && n) {
      e.preventDefault();
      this.select(Math.max(this.active - 1, 0));
    } else if (e.key === "Enter") {
      const option = this.options[this.active >= 0 ? this.active : 0];
      if (option?.dataset.url) { e.preventDefault(); location.assign(option.dataset.url); }
    } else if (e.key === "Escape") {
      // closed until the visitor types or asks again: a later tier's list of this query must not reopen it
      if (this.list.hidden) { this.input.value = ""; return; }
      e.preventDefault();
      this.dismissed = true;
      this.close();
    }
  }

  async run(text) {
    const mine = ++this.generation;
    if (!text.trim()) { this.list.replaceChildren(); this.close(); this.status.textContent = ""; return; }
    const k = Number(this.getAttribute("results")) || 8;
    try {
      // the best ranking loaded now; the next tier starts loading once this list is on screen
      const { results, mode, gaps, match } = await searchReport(text, k, { filters: this.chosen });
      if (mine !== this.generation) return;
      this.render(results, match, text === this.shownText);
      this.shownText = text;
      const partial = gaps.keywords || gaps.meaning || gaps.documents;
      const say = (await siteInfo()).strings; // the site's language (manifest.json's strings)
      if (mine !== this.generation) return;
      this.status.textContent = partial ? say.widget_partial : results.length ? "" : say.no_results;
      this.list.dataset.ranking = mode;
    } catch (e) {
      if (mine !== this.generation) return;
      this.list.replaceChildren(); // never the previous query's list under this one's failure
      delete this.list.dataset.ranking;
      this.close();
      const say = await siteInfo().then((i) => i.strings, () => ({}));
      this.status.textContent = (say.failed ?? "Search failed: {error}").replace("{error}", e.message);
    }
  }

  option(url, cls) {
    const li = document.createElement("li");
    li.id = `${this.idBase}-o${this.optionCount++}`;
    li.setAttribute("role", "option");
    li.setAttribute("part", "option");
    li.setAttribute("aria-selected", "false");
    li.className = cls;
    if (url) li.dataset.url = url;
    li.addEventListener("mousedown", (e) => { e.preventDefault(); if (url) location.assign(url); });
    return li;
  }

  render(results, match, again = false) {
    // again (the same query, ranked by a later tier: hybrid-lite, then hybrid): the option the visitor moved to
    // stays chosen, by its link (the arrow keys' place was lost while the model finished loading)
    const chosen = again && this.active >= 0 ? this.options[this.active]?.dataset.url : undefined;
    this.optionCount = 0;
    const items = [];
    for (const r of results) {
      const [best, ...more] = r.passages;
      const main = this.option(best.url || r.url, "result");
      const title = document.createElement("strong");
      appendHighlighted(title, r.doc.title || (r.doc.text ?? best.text).slice(0, 80), match);
      main.append(title);
      if (best.heading && best.heading !== r.doc.title) {
        const where = document.createElement("span");
        where.className = "heading";
        appendHighlighted(where, best.heading, match);
        main.append(where);
      }
      const text = document.createElement("span");
      text.className = "snippet";
      appendHighlighted(text, snippet(best.text, match, 160), match);
      main.append(text);
      items.push(main);
      for (const p of more) {
        if (!p.heading) continue;
        const sub = this.option(p.url, "sub");
        appendHighlighted(sub, p.heading, match);
        items.push(sub);
      }
    }
    this.list.replaceChildren(...items);
    this.select(chosen === undefined ? -1 : items.findIndex((o) => o.dataset.url === chosen));
    if (items.length && !this.dismissed) this.open(); else this.close();
  }
}

if (!customElements.get("hamming-search")) customElements.define("hamming-search", HammingSearch);
