/**
 * DEL, UNLINK, EXISTS, TYPE, TOUCH, KEYS and RANDOMKEY.
 *
 * @module
 */

import type { CommandSpec, Context } from "../../core/types.ts";
import { typeOf } from "../../core/keyspace.ts";
import { keys } from "../../core/registry.ts";
import { globMatch } from "../../core/glob.ts";
import { lookupRead } from "./_util.ts";

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

/** The commands of this file. */
export const basicCommands: readonly CommandSpec[] = [
  {
    name: "del",
    arity: -2,
    flags: ["write"],
    categories: ["keyspace"],
    keySpecs: [keys.rest(1, ["RM", "DELETE"])],
    docs: {
      summary: "Delete a key",
      since: "1.0.0",
      group: "generic",
      complexity:
        "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
    },
    handler: del,
  },
  {
    name: "unlink",
    arity: -2,
    flags: ["write", "fast"],
    categories: ["keyspace"],
    keySpecs: [keys.rest(1, ["RM", "DELETE"])],
    docs: {
      summary:
        "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
      since: "4.0.0",
      group: "generic",
      complexity:
        "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
    },
    // Values are reclaimed by the garbage collector either way.
    handler: del,
  },
  {
    name: "exists",
    arity: -2,
    flags: ["readonly", "fast"],
    categories: ["keyspace"],
    keySpecs: [keys.rest(1, ["RO"])],
    docs: {
      summary: "Determine if a key exists",
      since: "1.0.0",
      group: "generic",
      complexity: "O(N) where N is the number of keys to check.",
    },
    handler(c, argv) {
      let n = 0;
      // Duplicates count once each, as in Redis.
      for (let i = 1; i < argv.length; i++) if (lookupRead(c, argv[i]!) !== undefined) n++;
      c.reply.integer(n);
    },
  },
  {
    name: "type",
    arity: 2,
    flags: ["readonly", "fast"],
    categories: ["keyspace"],
    keySpecs: [keys.one(1, ["RO"])],
    docs: {
      summary: "Determine the type stored at key",
      since: "1.0.0",
      group: "generic",
      complexity: "O(1)",
    },
    handler(c, argv) {
      const v = lookupRead(c, argv[1]!);
      c.reply.simple(v === undefined ? "none" : typeOf(v));
    },
  },
  {
    name: "touch",
    arity: -2,
    flags: ["readonly", "fast"],
    categories: ["keyspace"],
    keySpecs: [keys.rest(1, ["RO"])],
    docs: {
      summary:
        "Alters the last access time of a key(s). Returns the number of existing keys specified.",
      since: "3.2.1",
      group: "generic",
      complexity: "O(N) where N is the number of keys that will be touched.",
    },
    handler(c, argv) {
      let n = 0;
      for (let i = 1; i < argv.length; i++) {
        const key = argv[i]!;
        if (lookupRead(c, key) !== undefined) {
          c.db.touch(key);
          n++;
        }
      }
      c.reply.integer(n);
    },
  },
  {
    name: "keys",
    arity: 2,
    flags: ["readonly"],
    categories: ["keyspace", "dangerous"],
    docs: {
      summary: "Find all keys matching the given pattern",
      since: "1.0.0",
      group: "generic",
      complexity:
        "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
    },
    handler(c, argv) {
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
    },
  },
  {
    name: "randomkey",
    arity: 1,
    flags: ["readonly"],
    categories: ["keyspace"],
    docs: {
      summary: "Return a random key from the keyspace",
      since: "1.0.0",
      group: "generic",
      complexity: "O(1)",
    },
    handler(c) {
      const key = c.db.randomKey();
      if (key === undefined) c.reply.nullBulk();
      else c.reply.bulk(key);
    },
  },
];
