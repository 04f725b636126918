// The site's files as the engine has them: manifest.json (the one fixed name, revalidated, the kept copy when
// offline), every other file by its content name, fetched once and kept in the site's Cache Storage where the
// visitor keeps the site for offline use (checked.js, offline.js), and what is kept: off, caching, ready. A file
// that cannot be had is a Missing error, which a query turns into a gap rather than a failure (rank.js).
import { cacheName, cachedFetch, keepFiles, sha256Hex } from "./checked.js";
import { fill, missingFiles, offlineFiles, prune } from "./offline.js";

export const here = (name) => new URL(name, import.meta.url).href;
const BASE = here("./");
const MANIFEST = here("manifest.json");

/** The visitor asked to save data: the transformer is then never fetched unless an API call asks for it, and
 * nothing is kept for offline use. */
export const saveData = () => Boolean(globalThis.navigator?.connection?.saveData);

/** A file the page could not have: offline before it was kept, gone after a deploy (status 404), or corrupt. */
export class Missing extends Error {
  constructor(file, status, why = "") {
    super(`${file}: ${status ? `HTTP ${status}` : why || "not available"}`);
    this.file = file;
    this.status = status;
  }
}

const OWN_HASH = /\.([0-9a-f]{8})\.[a-z0-9]+$/; // a file named by its own content: docs/0003.3f2a9c1d.json

/** Where a file's name carries its own content's hash (document shards, passages.bin, tokenizer.json), the
 * bytes must match it: a corrupt file (or a kept copy gone bad) counts as missing. Without crypto.subtle (plain
 * http on a host other than localhost) only the parsers' own checks remain. */
async function checkOwnHash(name, url, buffer) {
  const want = OWN_HASH.exec(name)?.[1];
  const got = want && (await sha256Hex(buffer));
  if (got && got.slice(0, want.length) !== want) {
    (await siteCache())?.delete(url).catch(() => {});
    throw new Missing(name, 0, "its content does not match the hash in its name: corrupted");
  }
}

const cached = new Map(); // url -> promise
/** A file of the site as JSON (as = "json") or an ArrayBuffer, fetched once; a failure may be retried later. */
export function load(name, as) {
  const url = here(name);
  if (!cached.has(url)) {
    cached.set(url, cachedFetch(url).catch((e) => { throw new Missing(name, 0, e.message); }).then(async (r) => {
      if (!r.ok) throw new Missing(name, r.status);
      const buffer = await r.arrayBuffer();
      await checkOwnHash(name, url, buffer);
      if (as !== "json") return buffer;
      try { return JSON.parse(new TextDecoder().decode(buffer)); } catch (e) { throw new Missing(name, 0, e.message); }
    }));
    cached.get(url).catch(() => cached.delete(url));
  }
  return cached.get(url);
}

const parsedFiles = new Map(); // file name -> promise of what parse made of it
/** folder/NNNN.bin fetched and parsed once (parse(buffer, name)); a file parse refuses counts as missing. */
export function parsedFile(folder, n, parse) {
  const name = `${folder}/${String(n).padStart(4, "0")}.bin`;
  if (!parsedFiles.has(name)) {
    parsedFiles.set(name, load(name).then((buf) => {
      try { return parse(buf, name); } catch (e) { throw new Missing(name, 0, e.message); } // corrupt: missing
    }));
    parsedFiles.get(name).catch(() => parsedFiles.delete(name));
  }
  return parsedFiles.get(name);
}

/** Forgets every file loaded: a deploy replaced the build. */
export function forgetLoaded() { cached.clear(); parsedFiles.clear(); filling = null; }

// ---- what is kept for offline use: off, caching ({done, total} files), ready ----

let keptCache = null; // the site's cache where this visit keeps files (loadManifest says), else null
let visited = true; // something of the site was kept before this visit: files are looked for in the cache first
/** Whether to look for files in the cache first (the worker is told so). */
export const kept = () => visited;
let offline = { state: null };
const offlineListeners = new Set();
/** fn({state, done, total}) now and on each change of what is kept for offline use. */
export function onOffline(fn) { offlineListeners.add(fn); fn(offline); return () => offlineListeners.delete(fn); }
function tellOffline(o) { offline = o; for (const fn of offlineListeners) fn(o); }
/** Whether this visit keeps the site's files (the worker is told so). */
export const keeping = () => Boolean(keptCache);

const siteCache = () => (globalThis.caches ? caches.open(cacheName(BASE)).catch(() => null) : Promise.resolve(null));

/** manifest.json from the network, revalidated, and kept; offline, the kept copy. Decides whether this visit keeps
 * the site's files, and drops the previous build's. */
export async function loadManifest() {
  let m, response;
  try {
    response = await fetch(MANIFEST, { cache: "no-cache" });
    if (!response.ok) throw new Missing("manifest.json", response.status);
    m = await response.clone().json();
  } catch (e) {
    const kept = await (await siteCache())?.match(MANIFEST).catch(() => undefined);
    if (!kept) throw e;
    m = await kept.json();
    response = null;
  }
  if (m.format_version !== 1) throw new Error(`manifest format ${m.format_version}, this page reads 1`);
  // nothing kept yet (a first visit): no file is looked for in the cache, each a lookup on the way to a result
  visited = !response || Boolean(await (await siteCache())?.match(MANIFEST).catch(() => undefined));
  keptCache = await keepFiles(BASE, m.offline !== false && !saveData(), visited);
  if (keptCache && response) {
    await keptCache.put(MANIFEST, response);
    prune(keptCache, m, here).catch(() => {}); // the previous build's files
  }
  if (!keptCache) tellOffline({ state: "off" });
  else { // in the background: the first query does not wait for a look through thousands of kept files
    const cache = keptCache;
    missingFiles(cache, offlineFiles(m).map(here)).then((left) => {
      if (!left.length && offline.state !== "ready") tellOffline({ state: "ready" });
    }, () => {});
  }
  return m;
}

/** Whether this visit finds `name` kept in the site's cache. */
export async function isKept(name) {
  const cache = await siteCache();
  return Boolean(visited && cache && (await cache.match(here(name)).catch(() => undefined)));
}

let filling = null;
/** Fetches in the background, at low priority, every file of build m not kept yet (a file kept meanwhile, as the
 * worker keeps the model it downloads, is not fetched again). Resolves to "off", "caching" (stopped short: a
 * later call goes on) or "ready". */
export function keepOffline(m) {
  filling ??= (async () => {
    if (!keptCache) { tellOffline({ state: "off" }); return "off"; }
    return fill(keptCache, offlineFiles(m).map(here), tellOffline);
  })();
  filling.then((s) => { if (s !== "ready") filling = null; }, () => { filling = null; });
  return filling;
}
