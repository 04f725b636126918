// shardOf: a document's shard and place, by the shards' sizes where they differ (names.py's shard_of is its twin).
import { test } from "node:test";
import assert from "node:assert/strict";
import { shardOf } from "../../web_template/documents.js";

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
