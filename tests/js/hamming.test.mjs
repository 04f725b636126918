// node --test tests/js: the pure functions of hamming_site/web/hamming.js against brute force.
import test from "node:test";
import assert from "node:assert/strict";
import { parseCodes, signBits, popcount32, scan, topByDistance, rank, truncate, wasmScanner } from "../../hamming_site/web/hamming.js";

function rng(seed) { return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32); }

function codesFile(codes, bits) {
  const buf = new ArrayBuffer(32 + (codes.length * bits) / 8);
  const v = new DataView(buf);
  v.setUint32(0, 0x424d4148, true); v.setUint16(4, 1, true); v.setUint32(8, codes.length, true); v.setUint32(12, bits, true);
  new Uint32Array(buf, 32).set(codes.flatMap((c) => Array.from(c)));
  return buf;
}

test("popcount32", () => {
  for (const x of [0, 1, 0xffffffff, 0x80000000, 0x12345678]) assert.equal(popcount32(x), x.toString(2).split("1").length - 1);
});

test("signBits puts bit i at bit i%32 of word i/32", () => {
  const e = new Float32Array(64).fill(-1); e[0] = e[5] = e[31] = e[32] = e[63] = 1;
  assert.deepEqual(Array.from(signBits(e)), [(1 | 32 | 2 ** 31) >>> 0, (1 | 2 ** 31) >>> 0]);
});

test("parseCodes validates", () => {
  const buf = codesFile([new Uint32Array([1, 2])], 64);
  assert.equal(parseCodes(buf, { count: 1, bits: 64, version: 1 }).words[1], 2);
  assert.throws(() => parseCodes(buf.slice(0, 36)), /truncated/);
  assert.throws(() => parseCodes(buf, { count: 2 }), /manifest/);
  const bad = buf.slice(0); new DataView(bad).setUint32(0, 0, true);
  assert.throws(() => parseCodes(bad), /HAMB/);
});

test("scan, topByDistance and rank equal brute force", () => {
  const r = rng(7), bits = 128, n = 700;
  const floats = Array.from({ length: n }, () => Float32Array.from({ length: bits }, () => r() - 0.5));
  const codes = floats.map(signBits);
  const { words } = parseCodes(codesFile(codes, bits));
  const q = Float32Array.from({ length: bits }, () => r() - 0.5);
  const dist = scan(words, signBits(q), n);
  const brute = floats.map((f) => f.reduce((s, x, i) => s + ((x > 0) !== (q[i] > 0) ? 1 : 0), 0));
  assert.deepEqual(Array.from(dist), brute);
  const order = [...brute.keys()].sort((a, b) => brute[a] - brute[b] || a - b);
  assert.deepEqual(Array.from(topByDistance(dist, bits, 50)), order.slice(0, 50));
  const score = (i) => floats[i].reduce((s, x, j) => s + (x > 0 ? q[j] : -q[j]), 0);
  const expect = order.slice(0, 100).sort((a, b) => score(b) - score(a) || a - b).slice(0, 10);
  assert.deepEqual(rank(words, n, bits, q, 10, 100).map((x) => x.index), expect);
  assert.equal(rank(words, 3, bits, q, 10, 100).length, 3);
});

test("truncate keeps [SEP]", () => {
  assert.deepEqual(truncate([101, 1, 2, 3, 102], 4), [101, 1, 2, 102]);
  assert.deepEqual(truncate([101, 102], 4), [101, 102]);
});

test("the WASM scanner gives scan()'s distances, and declines codes it cannot scan", () => {
  for (const [count, bits] of [[1, 64], [1000, 256], [333, 1024]]) {
    const words = new Uint32Array((count * bits) / 32);
    let x = count;
    for (let i = 0; i < words.length; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; words[i] = x; }
    const scanner = wasmScanner(words, count, bits);
    for (const flip of [0, 0xffffffff, 0x80000001]) {
      const query = words.slice(0, bits / 32).map((v) => v ^ flip);
      assert.deepEqual(scanner(words, query, count), scan(words, query, count));
      if (bits % 128 === 0)
        assert.deepEqual(wasmScanner(words, count, bits, "scan_simd")(words, query, count), scan(words, query, count));
    }
    const q = Float32Array.from({ length: bits }, (_, i) => Math.cos(i * 7));
    assert.deepEqual(rank(words, count, bits, q, 10, 100, scanner), rank(words, count, bits, q, 10, 100));
  }
  assert.equal(wasmScanner(new Uint32Array(3), 1, 96), null);
  assert.equal(wasmScanner(new Uint32Array(2), 1, 64, "scan_simd"), null);
});
