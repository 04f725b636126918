// The static query encoder's pure functions, the twins of hamming_site/builder/output/static.py: a term's bucket (FNV-1a of
// its UTF-8 bytes, mod the bucket count), a bucket file's rows, and a query's vector (the sum of its terms' rows,
// each counted as often as the query repeats it, in float32 as numpy sums it). No DOM, no fetch: unit-tested in
// node (tests/js/) and parity-tested against Python through the page (tests/test_browser.py).
import { fnv1a64Hex } from "./lexical.js";

const HEADER = 16;
const MAGIC = 0x534d4148; // "HAMS" as a little-endian u32

/** The bucket file (meaning/NNNN.bin) holding term's row. */
export function bucketOf(term, buckets) {
  return Number(BigInt("0x" + fnv1a64Hex(term)) % BigInt(buckets));
}

/** A bucket file -> Map term -> Float32Array row (int8 x the row's float32 scale); throws a readable Error. */
export function parseBucket(buffer, name = "bucket") {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  if (bytes.length < HEADER || view.getUint32(0, true) !== MAGIC || view.getUint16(4, true) !== 1)
    throw new Error(`${name} is not a static table bucket of format 1`);
  const count = view.getUint32(8, true), dims = view.getUint16(12, true);
  const decoder = new TextDecoder();
  const rows = new Map();
  let at = HEADER;
  for (let n = 0; n < count; n++) {
    let len = 0, shift = 0, byte;
    do { byte = bytes[at++]; len += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    const term = decoder.decode(bytes.subarray(at, at + len));
    at += len;
    if (at + 4 + dims > bytes.length) throw new Error(`${name} is truncated`);
    const scale = view.getFloat32(at, true);
    const values = new Int8Array(buffer, at + 4, dims);
    rows.set(term, Float32Array.from(values, (v) => Math.fround(v * scale)));
    at += 4 + dims;
  }
  return rows;
}

/** Term counts of a query, in first-seen order (terms: tokenizer(...).terms(text), repeats kept). */
export function termCounts(terms) {
  const counts = new Map();
  for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

/** termCounts plus the first `take` terms of each expanded word (expand.js's groups) at half a word's weight
 * (hamming_site/builder/search/lexical.py's static_counts). */
export function staticCounts(terms, groups, take) {
  const counts = termCounts(terms);
  for (const { terms: expanded } of groups) for (const [t] of expanded.slice(0, take)) if (!counts.has(t)) counts.set(t, 0.5);
  return counts;
}

/** The query's vector: sum over its terms (first-seen order) of count x row, in float32; rowOf(term) -> row or
 * undefined (a term the corpus lacks counts nothing). */
export function encodeStatic(counts, rowOf, dims) {
  const q = new Float32Array(dims);
  for (const [term, count] of counts) {
    const row = rowOf(term);
    if (!row) continue;
    for (let i = 0; i < dims; i++) q[i] = Math.fround(q[i] + Math.fround(count * row[i]));
  }
  return q;
}
