// A file the manifest names with its bytes and sha256, fetched with progress and checked: a truncated, replaced
// or corrupted file is an Error that names it, never a silently wrong ranking. Used by the engine (codes.bin)
// and the worker (model.onnx). And the site's files kept for offline use: Cache Storage, shared by the page, the
// widget on any page of the origin, the worker and the service worker (sw.js), one cache per site folder.

/** The Cache Storage name of the site whose folder is base (a URL ending in "/"); sw.js names it alike. */
export const cacheName = (base) => `hamming-site ${base}`;

let keeping = null; // promise of the site's cache (null: no Cache Storage on this origin)
let writing = false;
let reading = true;
/** Read the files fetched through cachedFetch from the cache of the site at base (a URL ending in "/") where
 * `read` (a first visit has nothing kept: it asks the network at once), and keep them there where `write` (not
 * with --offline off, nor when the visitor saves data). Resolves to the cache where it writes, else null. */
export async function keepFiles(base, write, read = true) {
  keeping = globalThis.caches ? caches.open(cacheName(base)).catch(() => null) : Promise.resolve(null);
  writing = write;
  reading = read;
  return write ? keeping : null;
}

/** GET url from the site's cache if it is there (a content-named file never changes), else from the network,
 * kept in the cache once read whole. Resolves to a Response, as fetch does. */
export async function cachedFetch(url, init = {}) {
  const cache = await keeping;
  const hit = reading && cache && (await cache.match(url).catch(() => undefined));
  if (hit) return hit;
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) { // no network: what this visit kept since it began still answers
    const late = !reading && cache && (await cache.match(url).catch(() => undefined));
    if (late) return late;
    throw e;
  }
  if (response.ok && cache && writing) cache.put(url, response.clone()).catch(() => {});
  return response;
}

/** The hex sha256 of buffer; null without crypto.subtle (plain http on a host other than localhost). */
export async function sha256Hex(buffer) {
  if (!globalThis.crypto?.subtle) return null; // plain http on a non-local host: sizes are still checked
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** entry: {file, bytes, sha256}; url: where it is; onBytes(n) as bytes arrive. Resolves to an ArrayBuffer. */
export async function fetchChecked(entry, url, onBytes = () => {}) {
  const response = await cachedFetch(url);
  if (!response.ok) throw new Error(`${entry.file}: HTTP ${response.status}`);
  const reader = response.body.getReader();
  const chunks = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.length;
    onBytes(value.length);
  }
  const bytes = new Uint8Array(got);
  for (let at = 0, i = 0; i < chunks.length; at += chunks[i].length, i++) bytes.set(chunks[i], at);
  const hash = got === entry.bytes ? await sha256Hex(bytes.buffer) : null;
  if (got !== entry.bytes || (hash && hash !== entry.sha256)) {
    (await keeping)?.delete(url).catch(() => {}); // a kept copy that went bad is fetched again next time
    if (got !== entry.bytes) throw new Error(`${entry.file} is ${got} bytes, the manifest says ${entry.bytes}: truncated or replaced`);
    throw new Error(`${entry.file} does not match its sha256 in manifest.json: corrupted`);
  }
  return bytes.buffer;
}
