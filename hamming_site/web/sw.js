// The service worker of the search page: it lets the page itself load with no network once its files are kept.
// Scoped to the site's folder, it serves a file named by its content (rank.3f2a9c1d.js, lexical.3f2a9c1d/…,
// docs/0003.3f2a9c1d.json) from the site's Cache Storage first, since such a file never changes; and the few
// fixed names (index.html, manifest.json, the entry scripts) from the network first, revalidated, falling back to
// the kept copy offline. What is kept, and when, is the engine's business (offline.js): the engine keeps the same
// cache from any page of the origin, so the widget answers offline where this worker does not reach.
// A plain script, no imports: it is registered as a classic worker so that every browser with service workers runs it.

const BASE = new URL("./", self.location).href;
const CACHE = `hamming-site ${BASE}`; // checked.js's cacheName
const CONTENT_NAMED = /\.[0-9a-f]{8}(\.[a-z0-9]+)?$|\.[0-9a-f]{8}\//;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || !request.url.startsWith(BASE)) return;
  const path = new URL(request.url).pathname.slice(new URL(BASE).pathname.length);
  if (CONTENT_NAMED.test(path)) event.respondWith(cacheFirst(request.url));
  else event.respondWith(networkFirst(request, path === "" ? BASE + "index.html" : BASE + path));
});

async function cacheFirst(url) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(url);
  if (kept) return kept;
  return fetch(url); // the engine decides what to keep (never before the first visit's budget is spent)
}

/** The network's copy, revalidated (a fixed name's content changes with each build), else the kept one; `key`:
 * the file as the cache holds it (the folder's URL, with or without a query, is index.html). */
async function networkFirst(request, key) {
  try {
    const response = await fetch(request.mode === "navigate" ? key : request, { cache: "no-cache" });
    if (response.ok && (await caches.has(CACHE))) {
      const cache = await caches.open(CACHE);
      if (await cache.match(key)) await cache.put(key, response.clone()); // keep kept copies fresh
    }
    return response;
  } catch (e) {
    const kept = await (await caches.open(CACHE)).match(key);
    if (kept) return kept;
    throw e;
  }
}
