// node --test tests/js: codes by cluster (hamming_site/web/clusters.js), on files laid out as hamming_site/builder/output/clusters.py
// writes them; the page's probed ranking against Python's is tests/test_browser.py's.
import test from "node:test";
import assert from "node:assert/strict";
import { mergeClusters, parseCentroids, parseCluster, probe } from "../../hamming_site/web/clusters.js";

function head(magic, count, bits, flags = 0) {
  const v = new DataView(new ArrayBuffer(16));
  [...magic].forEach((ch, i) => v.setUint8(i, ch.charCodeAt(0)));
  v.setUint16(4, 1, true); v.setUint16(6, flags, true); v.setUint32(8, count, true); v.setUint16(12, bits, true);
  return new Uint8Array(v.buffer);
}
const join = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0)); let at = 0;
  for (const p of parts) { out.set(new Uint8Array(p.buffer ?? p, p.byteOffset ?? 0, p.byteLength), at); at += p.byteLength; } return out.buffer; };

test("parseCentroids: sizes, and centroids as int8 x their float32 scale; a wrong length is an error", () => {
  const bits = 32, sizes = Uint32Array.of(3, 2), scales = Float32Array.of(0.5, 0.25);
  const values = Int8Array.from({ length: 2 * bits }, (_, i) => (i % 7) - 3);
  const buf = join(head("HAMC", 2, bits), sizes, scales, values);
  const c = parseCentroids(buf);
  assert.equal(c.count, 2);
  assert.deepEqual([...c.sizes], [3, 2]);
  assert.equal(c.centroids[bits + 1], Math.fround(values[bits + 1] * 0.25));
  assert.throws(() => parseCentroids(buf.slice(0, buf.byteLength - 1)), /truncated/);
  assert.throws(() => parseCentroids(join(head("HAMK", 2, bits), sizes, scales, values)), /not a file of format 1/);
});

test("parseCentroids: sign-bit centroids (flag 1) read as +-1, bit i of a row at bit i%8 of its byte i/8", () => {
  const bits = 16, sizes = Uint32Array.of(4, 5), packed = Uint8Array.of(0b00000101, 0xff, 0, 0b10000000);
  const c = parseCentroids(join(head("HAMC", 2, bits, 1), sizes, packed));
  assert.deepEqual([...c.centroids.slice(0, 4)], [1, -1, 1, -1]);
  assert.deepEqual([...c.centroids.slice(8, 16)], [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual([...c.centroids.slice(16, 32)], [...Array(15).fill(-1), 1]);
  assert.deepEqual([...c.sizes], [4, 5]);
  assert.throws(() => parseCentroids(join(head("HAMC", 2, bits, 1), sizes, packed.slice(0, 3))), /truncated/);
});

test("probe: best centroids by dot product, ties by cluster number", () => {
  const cents = { count: 4, bits: 2, centroids: Float32Array.of(1, 0, 0, 1, 1, 0, -1, 0) };
  assert.deepEqual(probe(cents, Float32Array.of(1, 0.5), 3), [0, 2, 1]);
  assert.deepEqual(probe(cents, Float32Array.of(-1, 0), 4), [3, 1, 0, 2]);
});

test("parseCluster and mergeClusters: rows ascending with their codes; a cluster of another size is an error", () => {
  const a = parseCluster(join(head("HAMK", 2, 32), Uint32Array.of(1, 7), Uint32Array.of(11, 77)), { rows: 2, bits: 32 });
  const b = parseCluster(join(head("HAMK", 3, 32), Uint32Array.of(0, 4, 9), Uint32Array.of(0, 44, 99)), { rows: 3, bits: 32 });
  const merged = mergeClusters([a, b], 1);
  assert.deepEqual([...merged.ids], [0, 1, 4, 7, 9]);
  assert.deepEqual([...merged.words], [0, 11, 44, 77, 99]);
  assert.equal(merged.count, 5);
  assert.throws(() => parseCluster(join(head("HAMK", 2, 32), Uint32Array.of(1, 7), Uint32Array.of(11, 77)), { rows: 3, bits: 32 }, "codes/0001.bin"),
                /codes\/0001.bin does not hold the 3 codes/);
});
