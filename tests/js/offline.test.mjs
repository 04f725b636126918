// node --test tests/js: the files a visitor keeps offline (hamming_site/web/offline.js); its parity with
// hamming_site/builder/output/names.py's offline_files is tests/test_offline.py's.
import test from "node:test";
import assert from "node:assert/strict";
import { fill, missingFiles, offlineFiles, prune } from "../../hamming_site/web/offline.js";

const manifest = {
  count: 3, page: ["index.html", "search.js", "engine.1234abcd.js"],
  passages: { file: "passages.aaaaaaaa.bin", count: 5 }, lexical: { folder: "lexical.bbbbbbbb", chunks: ["a", "m"] },
  docs: { folder: "docs", shards: 2, hashes: "1111111122222222" }, static: { folder: "meaning.cccccccc", buckets: 1 },
  clusters: null, codes: { file: "codes.dddddddd.bin" }, model: { file: "model.eeeeeeee.onnx" },
  tokenizer: { file: "tokenizer.ffffffff.json" }, runtime: { wasm: "ort-wasm-simd-threaded.99999999.wasm" },
};

test("offlineFiles: the page, then the keyword index, documents, static rows (lite sites), codes, the transformer", () => {
  assert.deepEqual(offlineFiles(manifest), [
    "manifest.json", "index.html", "search.js", "engine.1234abcd.js", "passages.aaaaaaaa.bin",
    "lexical.bbbbbbbb/0000.bin", "lexical.bbbbbbbb/0001.bin", "docs/0000.11111111.json", "docs/0001.22222222.json",
    "codes.dddddddd.bin", "model.eeeeeeee.onnx", "tokenizer.ffffffff.json",
    "ort-wasm-simd-threaded.99999999.wasm"]); // no static rows: a visitor who keeps the model goes straight to it
  const clustered = { ...manifest, model: null, clusters: { folder: "codes.gggggggg", count: 2, centroids: { file: "clusters.hhhhhhhh.bin" } } };
  const files = offlineFiles(clustered);
  assert.deepEqual(files.slice(-4), ["meaning.cccccccc/0000.bin", "clusters.hhhhhhhh.bin", "codes.gggggggg/0000.bin",
                                     "codes.gggggggg/0001.bin"]); // a lite site: its rows are its meaning
  assert.ok(!files.includes("codes.dddddddd.bin")); // probed by cluster: codes.bin itself is never fetched
});

test("offlineFiles: a long document's text parts right after its shard", () => {
  const m = { ...manifest, docs: { ...manifest.docs, parts: { 1: [0, 2] } } };
  const files = offlineFiles(m);
  const at = files.indexOf("docs/0001.22222222.json");
  assert.deepEqual(files.slice(at, at + 3), ["docs/0001.22222222.json", "docs/0001.22222222-1-0.json",
                                             "docs/0001.22222222-1-1.json"]);
});

/** A Cache Storage cache in memory, as much of it as offline.js uses. */
function memoryCache(urls = []) {
  const kept = new Map(urls.map((u) => [u, "kept"]));
  return {
    kept,
    keys: async () => [...kept.keys()].map((url) => ({ url })),
    match: async (url) => kept.get(url),
    put: async (url, r) => { kept.set(url, r); },
    delete: async (r) => kept.delete(r.url),
  };
}

test("fill fetches only what is missing, says how far it got, and stops short where the network fails", async () => {
  const urls = ["u/a", "u/b", "u/c", "u/d"];
  const cache = memoryCache(["u/a"]);
  const fetched = [];
  globalThis.fetch = async (url) => { fetched.push(url); return url === "u/d" ? { ok: false, status: 404 } : { ok: true }; };
  const told = [];
  const state = await fill(cache, urls, (s) => told.push(s));
  assert.equal(state, "caching");
  assert.deepEqual(fetched.sort(), ["u/b", "u/c", "u/d"]);
  assert.deepEqual(told[0], { state: "caching", done: 1, total: 4 });
  assert.deepEqual(told.at(-1), { state: "caching", done: 3, total: 4 });
  globalThis.fetch = async () => ({ ok: true });
  assert.equal(await fill(cache, urls, () => {}), "ready");
  assert.deepEqual(await missingFiles(cache, urls), []);
});

test("prune drops the files another build named", async () => {
  const here = (f) => `https://x/site/${f}`;
  const cache = memoryCache([here("index.html"), here("codes.dddddddd.bin"), here("codes.00000000.bin")]);
  await prune(cache, manifest, here);
  assert.deepEqual([...cache.kept.keys()], [here("index.html"), here("codes.dddddddd.bin")]);
});
