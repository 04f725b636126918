// node --test tests/js: the static query encoder's pure functions (hamming_site/web/static.js). The buckets' hashes
// below were computed by hamming_site/builder/output/static.py's bucket_of; the page's parity with Python's whole ranking is
// tests/test_browser.py's.
import test from "node:test";
import assert from "node:assert/strict";
import { bucketOf, encodeStatic, parseBucket, termCounts } from "../../hamming_site/web/static.js";

test("bucketOf: the same bucket as hamming_site/builder/output/static.py's bucket_of", () => {
  const python = { search: [0, 3, 73, 57833], "ünïcode": [0, 6, 171, 23531], "日本": [0, 1, 169, 52881], a: [0, 5, 996, 60556] };
  for (const [term, buckets] of Object.entries(python))
    assert.deepEqual([1, 7, 1000, 65536].map((n) => bucketOf(term, n)), buckets, term);
});

/** A bucket file as hamming_site/builder/output/static.py writes it. */
function bucketFile(entries, dims) {
  const enc = new TextEncoder();
  const parts = [];
  const head = new DataView(new ArrayBuffer(16));
  head.setUint32(0, 0x534d4148, true); head.setUint16(4, 1, true); head.setUint32(8, entries.length, true); head.setUint16(12, dims, true);
  parts.push(new Uint8Array(head.buffer));
  for (const [term, scale, values] of entries) {
    const key = enc.encode(term);
    const len = [];
    for (let n = key.length; ; n >>= 7) { if (n < 0x80) { len.push(n); break; } len.push((n & 0x7f) | 0x80); }
    const f = new DataView(new ArrayBuffer(4)); f.setFloat32(0, scale, true);
    parts.push(Uint8Array.from(len), key, new Uint8Array(f.buffer), Uint8Array.from(Int8Array.from(values)));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { out.set(p, at); return at + p.length; }, 0);
  return out.buffer;
}

test("parseBucket: rows are int8 x the row's float32 scale; a long key's varint length; bad files are errors", () => {
  const long = "x".repeat(200);
  const rows = parseBucket(bucketFile([["cat", 0.5, [1, -2, 127]], [long, 0.1, [-127, 0, 3]]], 3));
  assert.deepEqual([...rows.get("cat")], [0.5, -1, 63.5]);
  assert.deepEqual([...rows.get(long)], [-127, 0, 3].map((v) => Math.fround(v * Math.fround(0.1))));
  assert.throws(() => parseBucket(new ArrayBuffer(8)), /not a static table bucket/);
  const cut = bucketFile([["cat", 0.5, [1, -2, 127]]], 3).slice(0, 20);
  assert.throws(() => parseBucket(cut, "meaning/0001.bin"), /meaning\/0001.bin is truncated/);
});

test("encodeStatic: the counted sum of the known terms' rows, in float32; unknown terms count nothing", () => {
  const rows = new Map([["cat", Float32Array.of(1, 0.1)], ["dog", Float32Array.of(-1, 0.2)]]);
  const counts = termCounts(["cat", "fish", "cat", "dog"]);
  assert.deepEqual([...counts], [["cat", 2], ["fish", 1], ["dog", 1]]);
  const q = encodeStatic(counts, (t) => rows.get(t), 2);
  assert.deepEqual([...q], [1, Math.fround(Math.fround(2 * Math.fround(0.1)) + Math.fround(0.2))]);
  assert.deepEqual([...encodeStatic(new Map(), () => undefined, 2)], [0, 0]);
});
