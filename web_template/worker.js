// The transformer, off the main thread, loaded only when the page asks for it: model.onnx (checked against the
// manifest) and tokenizer.json -> tokenize -> model -> the query's float projection. It embeds; the engine ranks
// (the same code for this model and the static encoder). Messages: {type:"init", manifest} and
// {type:"embed", id, text}; replies {type:"progress"|"ready"|"error"|"result"}.
import * as ort from "./ort.wasm.min.mjs";
import { Tokenizer } from "./tokenizers.min.mjs";
import { fetchChecked } from "./checked.js";
import { truncate } from "./hamming.js";

let state = null; // {manifest, session, tokenizer}

async function init(manifest) {
  let loaded = 0;
  const onBytes = (n) => { loaded += n; postMessage({ type: "progress", loaded, total: manifest.model.bytes }); };
  ort.env.wasm.wasmPaths = new URL("./", import.meta.url).href;
  // Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const [modelBuf, tokJson] = await Promise.all([
    fetchChecked(manifest.model, manifest.model.file, onBytes),
    fetch(manifest.tokenizer.file).then((r) => {
      if (!r.ok) throw new Error(`${manifest.tokenizer.file}: HTTP ${r.status}`);
      return r.json();
    }),
  ]);
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
      ready ??= init(data.manifest);
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
