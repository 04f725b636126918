// Filter controls for the widget and the standalone page: a fieldset per filter key, a checkbox per value with
// how many documents have it. Native checkboxes in fieldsets: Tab moves between them, Space toggles, and screen
// readers name each group by its legend. Values enter the DOM as text only.

/** The controls for `keys` of counts ({key: {value: documents}}; keys null: every key); onChange(selected) with
 * selected = {key: [values checked]}. Returns {element, selected()}. */
export function filterControls(counts, keys, onChange) {
  const element = document.createElement("div");
  element.className = "filters";
  const boxes = [];
  for (const key of keys ?? Object.keys(counts)) {
    const values = counts[key];
    if (!values) continue;
    const group = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = key;
    group.append(legend);
    for (const [value, n] of Object.entries(values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      Object.assign(box, { type: "checkbox", value });
      box.dataset.key = key;
      box.addEventListener("change", () => onChange(selected()));
      boxes.push(box);
      label.append(box, ` ${value} (${n})`);
      group.append(label);
    }
    element.append(group);
  }
  const selected = () => {
    const out = {};
    for (const b of boxes) if (b.checked) (out[b.dataset.key] ??= []).push(b.value);
    return out;
  };
  return { element, selected };
}
