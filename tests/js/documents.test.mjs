// shardOf: a document's shard and place, by the shards' sizes where they differ (names.py's shard_of is its twin).
import { test } from "node:test";
import assert from "node:assert/strict";
import { passageText, shardOf } from "../../hamming_site/web/documents.js";

test("uniform shards: per_shard documents each", () => {
  const docs = { per_shard: 3 };
  assert.deepEqual([0, 2, 3, 7].map((i) => shardOf(docs, i)), [[0, 0], [0, 2], [1, 0], [2, 1]]);
});

test("shards of differing sizes: each document once, in order", () => {
  const docs = { per_shard: 4, sizes: "4124" };
  const seen = [];
  for (let i = 0; i < 11; i++) seen.push(shardOf(docs, i).join(":"));
  assert.deepEqual(seen, ["0:0", "0:1", "0:2", "0:3", "1:0", "2:0", "2:1", "3:0", "3:1", "3:2", "3:3"]);
});

test("passageText: a short document's from its text; a long one's from its text part, by UTF-16 offsets", async () => {
  const m = { docs: { folder: "docs", per_shard: 2, shards: 1, hashes: "abcdef01", parts: { 0: [0, 2] } } };
  const text = "🙂 héllo wörld, a long page's text";
  assert.equal(await passageText(m, 0, { text }, { start: 3, end: 8 }), "héllo");
  const asked = [];
  globalThis.fetch = async (url) => {
    asked.push(String(url));
    return new Response(JSON.stringify({ start: 3, text: text.slice(3) }));
  };
  assert.equal(await passageText(m, 1, { parts: ["x", "y"] }, { start: 9, end: 14, part: 0 }), "wörld");
  assert.match(asked[0], /\/docs\/0000\.abcdef01-1-0\.json$/); // the shard's hash, the document's place, the part
  globalThis.fetch = async () => { throw new TypeError("offline"); };
  assert.equal(await passageText(m, 1, { parts: ["x", "y"] }, { start: 20, end: 24, part: 1 }), ""); // not had
  delete globalThis.fetch;
});
