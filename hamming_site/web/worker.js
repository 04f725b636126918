// The transformer, off the main thread, loaded only when the page asks for it: model.onnx (checked against the
// manifest) and tokenizer.json -> tokenize -> model -> the query's float projection. It embeds; the engine ranks
// (the same code for this model and the static encoder). Messages: {type:"init", manifest} and
// {type:"embed", id, text}; replies {type:"progress"|"ready"|"error"|"result"}.
import * as ort from "./ort.wasm.min.mjs";
import { Tokenizer } from "./tokenizers.min.mjs";
import { cachedFetch, fetchChecked, keepFiles } from "./checked.js";
import { truncate } from "./hamming.js";

let state = null; // {manifest, session, tokenizer}

async function init(manifest, keep, kept) {
  // the page's choice: its files kept for offline use, or not; looked for in the cache first, or not (first visit)
  keepFiles(new URL("./", import.meta.url).href, keep, kept);
  let loaded = 0;
  const onBytes = (n) => { loaded += n; postMessage({ type: "progress", loaded, total: manifest.model.bytes }); };
  // onnxruntime-web's own files, by their content names; its WebAssembly read here, so that it is kept offline
  // with the site's other files (a widget outside the site's folder has no service worker to keep it)
  const here = (name) => new URL(name, import.meta.url).href;
  ort.env.wasm.wasmPaths = manifest.runtime ? { mjs: here(manifest.runtime.mjs), wasm: here(manifest.runtime.wasm) } : here("./");
  const wasm = manifest.runtime && cachedFetch(here(manifest.runtime.wasm)).then((r) => {
    if (!r.ok) throw new Error(`${manifest.runtime.wasm}: HTTP ${r.status}`);
    return r.arrayBuffer();
  });
  // Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const [wasmBytes, modelBuf, tokJson] = await Promise.all([
    wasm,
    fetchChecked(manifest.model, here(manifest.model.file), onBytes),
    cachedFetch(here(manifest.tokenizer.file)).then((r) => {
      if (!r.ok) throw new Error(`${manifest.tokenizer.file}: HTTP ${r.status}`);
      return r.json();
    }),
  ]);
  if (wasmBytes) ort.env.wasm.wasmBinary = new Uint8Array(wasmBytes);
  const session = await ort.InferenceSession.create(new Uint8Array(modelBuf), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "basic", // as site-eval's Python: float math after int4/int8 weights are dequantised
    // dequantise the weights once at load, not on every query (as site-eval's Python does)
    extra: { session: { disable_quant_qdq: "1" } },
  });
  state = { manifest, session, tokenizer: new Tokenizer(tokJson, {}) };
}

async function embed(text) {
  const { tokenizer, session, manifest } = state;
  const t0 = performance.now();
  const ids = truncate(tokenizer.encode(text).ids, manifest.tokenizer.max_length);
  const t1 = performance.now();
  const shape = [1, ids.length];
  const feeds = {
    input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), shape),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(ids.length).fill(1n), shape),
  };
  const out = await session.run(feeds);
  return { q: Float32Array.from(out.embedding.data), ids, tokenize: t1 - t0, model: performance.now() - t1 };
}

let ready = null;
self.onmessage = async ({ data }) => {
  try {
    if (data.type === "init") {
      ready ??= init(data.manifest, data.keep, data.kept);
      await ready;
      postMessage({ type: "ready" });
    } else if (data.type === "embed") {
      await ready;
      postMessage({ type: "result", id: data.id, ...(await embed(data.text)) });
    }
  } catch (e) {
    postMessage({ type: "error", id: data.id, message: String(e?.message || e) });
  }
};
