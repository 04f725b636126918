// Pure functions of the search: codes.bin parsing, sign bits, XOR + popcount scan, top candidates by
// counting, and the asymmetric rerank. No DOM, no fetch: unit-tested in node (tests/js/).

export const MAGIC = 0x424d4148; // "HAMB" read as a little-endian u32
export const HEADER_BYTES = 32;

/** Parse codes.bin: {count, bits, words: Uint32Array of count * bits/32}; throws a readable Error. */
export function parseCodes(buffer, expected = {}) {
  if (buffer.byteLength < HEADER_BYTES) throw new Error("codes.bin is shorter than its 32-byte header");
  const view = new DataView(buffer);
  if (view.getUint32(0, true) !== MAGIC) throw new Error("codes.bin does not start with HAMB: not a codes file");
  const version = view.getUint16(4, true);
  if (expected.version !== undefined && version !== expected.version)
    throw new Error(`codes.bin format version ${version}, this page reads ${expected.version}`);
  const count = view.getUint32(8, true);
  const bits = view.getUint32(12, true);
  if (bits === 0 || bits % 32) throw new Error(`codes.bin declares ${bits} bits, not a multiple of 32`);
  const need = HEADER_BYTES + (count * bits) / 8;
  if (buffer.byteLength !== need)
    throw new Error(`codes.bin is ${buffer.byteLength} bytes, ${count} codes of ${bits} bits need ${need}: truncated or corrupted`);
  if (expected.count !== undefined && count !== expected.count)
    throw new Error(`codes.bin holds ${count} codes, manifest.json says ${expected.count}`);
  if (expected.bits !== undefined && bits !== expected.bits)
    throw new Error(`codes.bin holds ${bits}-bit codes, manifest.json says ${expected.bits}`);
  return { count, bits, words: new Uint32Array(buffer, HEADER_BYTES, (count * bits) / 32) };
}

/** Bit i of the code is 1 where embedding[i] > 0; bit i is bit (i % 32) of word (i / 32). */
export function signBits(embedding) {
  const words = new Uint32Array(embedding.length / 32);
  for (let i = 0; i < embedding.length; i++) if (embedding[i] > 0) words[i >>> 5] |= 1 << (i & 31);
  return words;
}

export function popcount32(x) {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Hamming distance from query (Uint32Array of w words) to each of the count codes in words. */
export function scan(words, query, count, out = new Uint16Array(count)) {
  const w = query.length;
  for (let d = 0, base = 0; d < count; d++, base += w) {
    let dist = 0;
    for (let j = 0; j < w; j++) {
      let x = words[base + j] ^ query[j];
      x -= (x >>> 1) & 0x55555555;
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      dist += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    }
    out[d] = dist;
  }
  return out;
}

// hamming_site/web/popcount.wat compiled (python benchmarks/popcount.py --embed writes this line). Its i64.popcnt
// scan measured 6-8x faster than the SWAR loop above on 1M codes in Chromium (docs/benchmarks.md).
export const POPCOUNT_WASM = "AGFzbQEAAAABCQFgBX9/f39/AAMDAgAABQMBAAEHIQMGbWVtb3J5AgAIc2Nhbl9pNjQAAAlzY2FuX3NpbWQAAQqOAgJsAwJ/AX4BfyAAIQgCQANAIAUgAU8NAUIAIQdBACEGAkADQCAGIAJPDQEgByAIKQMAIAMgBkEDdGopAwCFe3whByAIQQhqIQggBkEBaiEGDAALCyAEIAVBAXRqIAenOwEAIAVBAWohBQwACwsLngEDAn8BewF/IAAhCAJAA0AgBSABTw0B/QwAAAAAAAAAAAAAAAAAAAAAIQdBACEGAkADQCAGIAJPDQEgByAI/QAEACADIAZBBHRq/QAEAP1R/WL9ff2OASEHIAhBEGohCCAGQQFqIQYMAAsLIAf9fyEHIAQgBUEBdGogB/0bACAH/RsBaiAH/RsCIAf9GwNqajsBACAFQQFqIQUMAAsLCw==";

/**
 * A scan with scan()'s signature that runs a WASM kernel (the page's scan_i64, or scan_simd for the
 * benchmark) over a copy of `words` made once, or null where it cannot run (no WebAssembly, or codes not a
 * whole number of the kernel's words: use scan()).
 */
export function wasmScanner(words, count, bits, kernel = "scan_i64") {
  const unit = kernel === "scan_simd" ? 128 : 64; // bits a step of the kernel reads
  if (typeof WebAssembly !== "object" || bits % unit || !POPCOUNT_WASM) return null;
  const bytes = Uint8Array.from(atob(POPCOUNT_WASM), (c) => c.charCodeAt(0));
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const queryAt = words.byteLength, outAt = queryAt + bits / 8;
  const need = outAt + 2 * count;
  exports.memory.grow(Math.ceil(Math.max(0, need - exports.memory.buffer.byteLength) / 65536));
  new Uint32Array(exports.memory.buffer, 0, words.length).set(words);
  return (_words, query, n, out = new Uint16Array(n)) => {
    new Uint32Array(exports.memory.buffer, queryAt, query.length).set(query);
    exports[kernel](0, n, bits / unit, queryAt, outAt);
    out.set(new Uint16Array(exports.memory.buffer, outAt, n));
    return out;
  };
}

/** The n closest indices, by distance then index: distances are small integers, so count instead of sort. */
export function topByDistance(dist, bits, n) {
  n = Math.min(n, dist.length);
  const hist = new Uint32Array(bits + 2);
  for (let i = 0; i < dist.length; i++) hist[dist[i]]++;
  let cutoff = 0;
  for (let seen = 0; cutoff <= bits; cutoff++) {
    seen += hist[cutoff];
    if (seen >= n) break;
  }
  const start = new Uint32Array(cutoff + 2); // where each distance's run begins in the output
  for (let d = 0, at = 0; d <= cutoff; d++) { start[d] = at; at += hist[d]; }
  const fill = start.slice();
  const out = new Uint32Array(n);
  for (let i = 0; i < dist.length; i++) {
    const d = dist[i];
    if (d <= cutoff && fill[d] < n) out[fill[d]++] = i; // ascending i within a distance: ties by index
  }
  return out;
}

/** sum_i q_i * (2*bit_i - 1) for one code. */
export function asymmetricScore(words, base, q) {
  let s = 0;
  for (let i = 0; i < q.length; i++) s += (words[base + (i >>> 5)] >>> (i & 31)) & 1 ? q[i] : -q[i];
  return s;
}

/** The ranking of SPEC: Hamming ascending, then the first `depth` re-scored by score descending, ties by index. */
export function rank(words, count, bits, q, k, depth, scanner = scan) {
  const w = bits / 32;
  const dist = scanner(words, signBits(q), count);
  const take = Math.min(count, Math.max(k, depth));
  const cand = topByDistance(dist, bits, take);
  const rows = Array.from(cand, (index) => ({ index, distance: dist[index], score: asymmetricScore(words, index * w, q) }));
  const head = rows.slice(0, Math.min(depth, rows.length)).sort((a, b) => b.score - a.score || a.index - b.index);
  return head.concat(rows.slice(head.length)).slice(0, k);
}

/** Tokenizer truncation as Python's: keep the first max-1 ids and the final special token ([SEP]). */
export function truncate(ids, maxLength) {
  if (ids.length <= maxLength) return ids;
  return ids.slice(0, maxLength - 1).concat(ids.slice(-1));
}
