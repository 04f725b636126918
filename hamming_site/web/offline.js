// Offline after the first visit: every file a build's page can fetch (offlineFiles, the twin of
// hamming_site/builder/output/names.py's offline_files), kept in the site's Cache Storage (checked.js) by a background fill that
// the engine starts once a ranking with meaning has been shown, at low priority, never when the visitor saves data;
// and the previous build's files dropped once a new manifest is in. No DOM; offlineFiles is unit-tested in node.

const number = (n) => String(n).padStart(4, "0");

/** docs/NNNN.<hash>.json (a site built before content names: docs/NNNN.json). */
export const shardName = (m, n) =>
  `${m.docs.folder}/${number(n)}${m.docs.hashes ? "." + m.docs.hashes.slice(8 * n, 8 * n + 8) : ""}.json`;

/** Text part k of the document at place `at` of shard n (a long document's): docs/NNNN.<shard's hash>-AT-K.json. */
export const partName = (m, n, at, k) => `${shardName(m, n).slice(0, -".json".length)}-${at}-${k}.json`;

/** The files of build m a visitor keeps, relative to the site's folder, in the order they are fetched. */
export function offlineFiles(m) {
  const files = ["manifest.json", ...(m.page ?? [])];
  if (m.passages && m.passages.count !== m.count) files.push(m.passages.file);
  for (let n = 0; n < m.lexical.chunks.length; n++) files.push(`${m.lexical.folder}/${number(n)}.bin`);
  for (let n = 0; n < m.docs.shards; n++) { // each shard, then its long documents' text parts
    files.push(shardName(m, n));
    (m.docs.parts?.[n] ?? []).forEach((count, at) => {
      for (let k = 0; k < count; k++) files.push(partName(m, n, at, k));
    });
  }
  const f = m.filters; // the filter and sort index: filtered queries offline too
  if (f) for (let n = 0; n < f.keys.length + f.sort.length; n++) files.push(`${f.folder}/${number(n)}.json`);
  // the static encoder's rows only where it is the site's whole meaning: a visitor who keeps the model goes
  // straight to it (tiers.js's nextTier), and the rows are the largest part of a copy (SciFact: 7 of 22 MB gzip)
  if (m.static && !m.model) for (let n = 0; n < m.static.buckets; n++) files.push(`${m.static.folder}/${number(n)}.bin`);
  const c = m.clusters;
  if (c) {
    files.push(c.centroids.file);
    for (let n = 0; n < c.count; n++) files.push(`${c.folder}/${number(n)}.bin`);
  }
  if (!c || (m.model && c.transformer === "whole")) files.push(m.codes.file);
  if (m.model) files.push(m.model.file, m.tokenizer.file, ...Object.values(m.runtime ?? {}));
  return files;
}

const FILL_AT_ONCE = 2; // background requests in flight: enough to keep a connection busy, few enough to yield

/** Those of `urls` not in `cache`. */
export async function missingFiles(cache, urls) {
  const have = new Set((await cache.keys()).map((r) => r.url));
  return urls.filter((u) => !have.has(u));
}

/** Fills `cache` with those of `urls` not in it yet (one kept meanwhile, as the worker keeps the model it
 * downloads, is not fetched again); tell({state, done, total}) as it goes. Resolves to the final state: "ready",
 * or "caching" where a file could not be had (the next visit goes on from there). */
export async function fill(cache, urls, tell) {
  const missing = await missingFiles(cache, urls);
  let done = urls.length - missing.length, failed = false;
  tell({ state: missing.length ? "caching" : "ready", done, total: urls.length });
  const next = async () => {
    while (missing.length && !failed) {
      const url = missing.shift();
      try {
        if (!(await cache.match(url))) {
          const response = await fetch(url, { priority: "low" });
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          await cache.put(url, response);
        }
        done += 1;
        tell({ state: "caching", done, total: urls.length });
      } catch {
        failed = true; // offline again, or the site was deployed anew
      }
    }
  };
  await Promise.all(Array.from({ length: FILL_AT_ONCE }, next));
  const state = done === urls.length ? "ready" : "caching";
  tell({ state, done, total: urls.length });
  return state;
}

/** Deletes from `cache` what build m does not use: the previous build's files. */
export async function prune(cache, m, urlOf) {
  const current = new Set(offlineFiles(m).map(urlOf)); // index.html among them (m.page)
  await Promise.all((await cache.keys()).filter((r) => !current.has(r.url)).map((r) => cache.delete(r)));
}
