/**
 * DEL, UNLINK, EXISTS, TYPE, TOUCH, KEYS and RANDOMKEY.
 *
 * @module
 */

import type { CommandArg, Context } from "../../core/types.ts";
import { typeOf } from "../../core/keyspace.ts";
import { keys } from "../../core/registry.ts";
import { globMatch } from "../../core/glob.ts";
import { command, lookupNoTouch, lookupRead } from "./_util.ts";

/** DEL and UNLINK: one change per key deleted. */
function del(c: Context, argv: string[]): void {
  const db = c.db;
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i]!;
    // get() first so an expired key counts as absent (and is reclaimed).
    if (db.get(key) !== undefined && db.delete(key)) {
      c.changed(key, "del", "g");
      n++;
    }
  }
  c.reply.integer(n);
}

/** EXISTS: duplicates count once each, as in Redis. */
function exists(c: Context, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (lookupNoTouch(c, argv[i]!) !== undefined) n++;
  c.reply.integer(n);
}

function touch(c: Context, argv: string[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i]!;
    // The lookup records the access.
    if (lookupRead(c, key) !== undefined) n++;
  }
  c.reply.integer(n);
}

function keysCommand(c: Context, argv: string[]): void {
  const db = c.db;
  const pattern = argv[1]!;
  const all = pattern === "*";
  const now = c.server.clock.now();
  const checkTtl = db.expires.size !== 0;
  const out: string[] = [];
  for (const key of db.data.keys()) {
    if (!all && !globMatch(pattern, key)) continue;
    // Like Redis 7.0, KEYS skips expired keys without reclaiming them.
    if (checkTtl) {
      const at = db.expires.get(key);
      if (at !== undefined && at <= now) continue;
    }
    out.push(key);
  }
  c.reply.bulkArray(out);
}

const KEYS: readonly CommandArg[] = [
  { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
];
const MULTI_SHARD_SUM = ["request_policy:multi_shard", "response_policy:agg_sum"];

/** The commands of this file. */
export const basicCommands = [
  command({
    name: "del",
    arity: -2,
    flags: ["write"],
    keySpecs: [keys.rest(1, ["RM", "DELETE"])],
    tips: MULTI_SHARD_SUM,
    docs: {
      summary: "Delete a key",
      since: "1.0.0",
      complexity:
        "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
      arguments: KEYS,
    },
    handler: del,
  }),
  command({
    name: "unlink",
    arity: -2,
    flags: ["write", "fast"],
    keySpecs: [keys.rest(1, ["RM", "DELETE"])],
    tips: MULTI_SHARD_SUM,
    docs: {
      summary:
        "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
      since: "4.0.0",
      complexity:
        "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
      arguments: KEYS,
    },
    // Values are reclaimed by the garbage collector either way.
    handler: del,
  }),
  command({
    name: "exists",
    arity: -2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.rest(1, ["RO"])],
    tips: MULTI_SHARD_SUM,
    docs: {
      summary: "Determine if a key exists",
      since: "1.0.0",
      complexity: "O(N) where N is the number of keys to check.",
      history: [["3.0.3", "Accepts multiple `key` arguments."]],
      arguments: KEYS,
    },
    handler: exists,
  }),
  command({
    name: "type",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.one(1, ["RO"])],
    docs: {
      summary: "Determine the type stored at key",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: [{ name: "key", type: "key", keySpecIndex: 0 }],
    },
    handler(c, argv) {
      const v = lookupNoTouch(c, argv[1]!);
      c.reply.simple(v === undefined ? "none" : typeOf(v));
    },
  }),
  command({
    name: "touch",
    arity: -2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.rest(1, ["RO"])],
    tips: MULTI_SHARD_SUM,
    docs: {
      summary:
        "Alters the last access time of a key(s). Returns the number of existing keys specified.",
      since: "3.2.1",
      complexity: "O(N) where N is the number of keys that will be touched.",
      arguments: KEYS,
    },
    handler: touch,
  }),
  command({
    name: "keys",
    arity: 2,
    flags: ["readonly"],
    categories: ["dangerous"],
    tips: ["request_policy:all_shards", "nondeterministic_output_order"],
    docs: {
      summary: "Find all keys matching the given pattern",
      since: "1.0.0",
      complexity:
        "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
      arguments: [{ name: "pattern", type: "pattern" }],
    },
    handler: keysCommand,
  }),
  command({
    name: "randomkey",
    arity: 1,
    flags: ["readonly"],
    tips: ["request_policy:all_shards", "nondeterministic_output"],
    docs: {
      summary: "Return a random key from the keyspace",
      since: "1.0.0",
      complexity: "O(1)",
    },
    handler(c) {
      const key = c.db.randomKey();
      if (key === undefined) c.reply.nullBulk();
      else c.reply.bulk(key);
    },
  }),
];
