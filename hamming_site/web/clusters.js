// Codes by cluster, the twin of hamming_site/builder/output/clusters.py's readers and probe: clusters.bin (the centroids and
// each cluster's row count), codes/NNNN.bin (a cluster's row indices and codes), the clusters a query fetches,
// and the fetched clusters merged into one set of rows in ascending order (so that ties in the ranking fall to
// the lower row, as over all of them). No DOM, no fetch: unit-tested in node (tests/js/).

const HEADER = 16;
const CENTROIDS = 0x434d4148; // "HAMC" as a little-endian u32
const CLUSTER = 0x4b4d4148; // "HAMK"

function header(buffer, magic, name) {
  const view = new DataView(buffer);
  if (buffer.byteLength < HEADER || view.getUint32(0, true) !== magic || view.getUint16(4, true) !== 1)
    throw new Error(`${name} is not a file of format 1 (${magic === CENTROIDS ? "centroids" : "a cluster's codes"})`);
  return { flags: view.getUint16(6, true), count: view.getUint32(8, true), bits: view.getUint16(12, true) };
}

const SIGNS = 1; // clusters.bin's flag: its centroids are sign bits, packed as a code is

/** clusters.bin -> {count, bits, sizes: Uint32Array, centroids: Float32Array [count * bits] (i8 x scale, or +-1
 * where they are sign bits)}. */
export function parseCentroids(buffer, name = "clusters.bin") {
  const { flags, count, bits } = header(buffer, CENTROIDS, name);
  const signs = (flags & SIGNS) !== 0;
  if (buffer.byteLength !== HEADER + count * (4 + (signs ? bits / 8 : 4 + bits))) throw new Error(`${name} is truncated or corrupted`);
  const sizes = new Uint32Array(buffer.slice(HEADER, HEADER + 4 * count));
  const centroids = new Float32Array(count * bits);
  if (signs) {
    const packed = new Uint8Array(buffer, HEADER + 4 * count, (count * bits) / 8);
    for (let i = 0; i < count * bits; i++) centroids[i] = (packed[i >> 3] >> (i & 7)) & 1 ? 1 : -1;
    return { count, bits, sizes, centroids };
  }
  const scales = new Float32Array(buffer.slice(HEADER + 4 * count, HEADER + 8 * count));
  const values = new Int8Array(buffer, HEADER + 8 * count, count * bits);
  for (let c = 0; c < count; c++)
    for (let i = 0; i < bits; i++) centroids[c * bits + i] = Math.fround(values[c * bits + i] * scales[c]);
  return { count, bits, sizes, centroids };
}

/** codes/NNNN.bin -> {ids: Uint32Array (ascending rows), words: Uint32Array of their codes}; expected: {rows, bits}. */
export function parseCluster(buffer, expected, name = "cluster") {
  const { count, bits } = header(buffer, CLUSTER, name);
  if (count !== expected.rows || bits !== expected.bits || buffer.byteLength !== HEADER + count * (4 + bits / 8))
    throw new Error(`${name} does not hold the ${expected.rows} codes clusters.bin says: truncated or replaced`);
  return { ids: new Uint32Array(buffer, HEADER, count), words: new Uint32Array(buffer, HEADER + 4 * count, (count * bits) / 32) };
}

/** The clusters a query vector q fetches: its `probes` best centroids by dot product, ties by cluster number. */
export function probe({ count, bits, centroids }, q, probes) {
  const scores = new Float64Array(count);
  for (let c = 0; c < count; c++) {
    let s = 0;
    for (let i = 0; i < bits; i++) s += q[i] * centroids[c * bits + i];
    scores[c] = s;
  }
  const order = Array.from({ length: count }, (_, c) => c);
  order.sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, probes);
}

/** Clusters' rows as one set: {ids: ascending rows, words: their codes, count}; w: words a code. */
export function mergeClusters(parts, w) {
  const count = parts.reduce((n, p) => n + p.ids.length, 0);
  const all = [];
  for (const p of parts) for (let j = 0; j < p.ids.length; j++) all.push([p.ids[j], p, j]);
  all.sort((a, b) => a[0] - b[0]);
  const ids = new Uint32Array(count), words = new Uint32Array(count * w);
  all.forEach(([id, p, j], i) => { ids[i] = id; words.set(p.words.subarray(j * w, (j + 1) * w), i * w); });
  return { ids, words, count };
}
