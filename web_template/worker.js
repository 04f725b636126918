// The meaning side of the search, off the main thread, loaded only after the keyword results: codes.bin +
// model.onnx (checked against the manifest) -> tokenize -> model -> sign bits -> XOR/popcount scan -> rerank,
// fused with the keyword scores the page sends. It ranks code rows (passages); the page groups them into
// documents. Messages: {type:"init", manifest}, {type:"search", id, text, k (rows), docK (results wanted), mode,
// hits, hitScores, tiers} and {type:"embed", id, text}; replies {type:"progress"|"ready"|"error"|"result"}.
import * as ort from "./ort.wasm.min.mjs";
import { Tokenizer } from "./tokenizers.min.mjs";
import { asymmetricScore, parseCodes, rank, scan, signBits, truncate, wasmScanner } from "./hamming.js";
import { fuse } from "./fusion.js";

const RERANK_DEPTH = 100;
let state = null; // {manifest, codes, session, tokenizer}

async function sha256Hex(buffer) {
  if (!globalThis.crypto?.subtle) return null; // plain http on a non-local host: sizes are still checked
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function fetchChecked(entry, onBytes) {
  const response = await fetch(entry.file);
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
  if (got !== entry.bytes) throw new Error(`${entry.file} is ${got} bytes, the manifest says ${entry.bytes}: truncated or replaced`);
  const hash = await sha256Hex(bytes.buffer);
  if (hash && hash !== entry.sha256) throw new Error(`${entry.file} does not match its sha256 in manifest.json: corrupted`);
  return bytes.buffer;
}

async function init(manifest) {
  const total = manifest.model.bytes + manifest.codes.bytes;
  let loaded = 0;
  const onBytes = (n) => { loaded += n; postMessage({ type: "progress", loaded, total }); };
  ort.env.wasm.wasmPaths = new URL("./", import.meta.url).href;
  // Threads need SharedArrayBuffer, which only a cross-origin isolated page has.
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  const [codesBuf, modelBuf, tokJson] = await Promise.all([
    fetchChecked(manifest.codes, onBytes),
    fetchChecked(manifest.model, onBytes),
    fetch(manifest.tokenizer.file).then((r) => r.json()),
  ]);
  const rows = manifest.passages?.count ?? manifest.count;
  const codes = parseCodes(codesBuf, { count: rows, bits: manifest.bits, version: manifest.format_version });
  const session = await ort.InferenceSession.create(new Uint8Array(modelBuf), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "basic", // as site-eval's Python: float math after int4/int8 weights are dequantised
    // dequantise the weights once at load, not on every query (as site-eval's Python does)
    extra: { session: { disable_quant_qdq: "1" } },
  });
  const tokenizer = new Tokenizer(tokJson, {});
  const scanner = wasmScanner(codes.words, codes.count, codes.bits) ?? scan;
  state = { manifest, codes, session, tokenizer, scanner };
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
  const q = out.embedding.data;
  return { q, ids, tokenize: t1 - t0, model: performance.now() - t1 };
}

async function search({ text, k, docK, mode, hits, hitScores, tiers }) {
  const { q, ids, tokenize, model } = await embed(text);
  const t0 = performance.now();
  const { words, count, bits } = state.codes;
  let results;
  if (mode === "semantic") {
    results = rank(words, count, bits, q, k, RERANK_DEPTH, state.scanner);
  } else {
    const { alpha, depth } = state.manifest.fusion;
    const dist = state.scanner(words, signBits(q), count);
    const meaning = rank(words, count, bits, q, Math.max(docK ?? k, depth), RERANK_DEPTH, () => dist);
    const scores = new Uint32Array(count);
    hits.forEach((i, j) => { scores[i] = hitScores[j]; });
    const w = bits / 32;
    const fused = fuse({ scores, hits: Array.from(hits) }, new Map(tiers), meaning.map((r) => r.index),
                       (i) => asymmetricScore(words, i * w, q), k, alpha, depth);
    results = fused.map(({ index, score }) => ({ index, distance: dist[index], score }));
  }
  return { results, timings: { tokenize, model, scan: performance.now() - t0 }, tokens: ids.length };
}

let ready = null;
self.onmessage = async ({ data }) => {
  try {
    if (data.type === "init") {
      ready ??= init(data.manifest);
      await ready;
      postMessage({ type: "ready", manifest: state.manifest });
    } else if (data.type === "embed") {
      await ready;
      const { q, ids } = await embed(data.text);
      postMessage({ type: "result", id: data.id, embedding: Array.from(q), ids });
    } else if (data.type === "search") {
      await ready;
      postMessage({ type: "result", id: data.id, ...(await search(data)) });
    }
  } catch (e) {
    postMessage({ type: "error", id: data.id, message: String(e?.message || e) });
  }
};
