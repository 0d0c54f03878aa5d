/**
 * The RDB plugin's commands: SAVE, BGSAVE, LASTSAVE, DUMP and RESTORE.
 *
 * @module
 */

import type { Bytes, CommandSpec, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { intArg } from "../../core/number.ts";
import { commandFamily, keys } from "../../core/registry.ts";
import { bytesToString, stringToBytes } from "../../core/resp/bytes.ts";
import type { RdbPersistence } from "./_persist.ts";
import { NotPersistedError } from "./_module.ts";

const BUSYKEY = "BUSYKEY Target key name already exists.";

const command = commandFamily({ group: "server" });

/** The commands of one server's RDB persistence. */
export function rdbCommands(st: RdbPersistence): CommandSpec[] {
  return [
    command({
      name: "save",
      arity: 1,
      flags: ["admin", "noscript", "no_async_loading", "no_multi"],
      docs: {
        summary: "Synchronously save the dataset to disk",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of keys in all databases",
      },
      handler(c) {
        if (st.bgsave !== undefined) {
          throw new ReplyError("ERR Background save already in progress");
        }
        if (st.saveSync()) c.reply.ok();
        else c.reply.error("ERR");
      },
    }),
    command({
      name: "bgsave",
      arity: -1,
      flags: ["admin", "noscript", "no_async_loading"],
      docs: {
        summary: "Asynchronously save the dataset to disk",
        since: "1.0.0",
        complexity: "O(1)",
        history: [["3.2.2", "Added the `SCHEDULE` option."]],
        arguments: [{
          name: "schedule",
          type: "pure-token",
          token: "SCHEDULE",
          since: "3.2.2",
          flags: ["optional"],
        }],
      },
      handler(c, argv) {
        // SCHEDULE is accepted: what it waits for in Redis, a running AOF
        // rewrite, does not hold back a save here.
        if (argv.length > 1 && !(argv.length === 2 && argv[1]!.toLowerCase() === "schedule")) {
          throw new ReplyError(Err.syntax);
        }
        if (st.bgsave !== undefined) {
          throw new ReplyError("ERR Background save already in progress");
        }
        if (!c.blockable) {
          // Inside EXEC Redis only schedules it (no fork inside a transaction).
          st.scheduled = true;
          c.reply.simple("Background saving scheduled");
          return;
        }
        st.startBgsave();
        c.reply.simple("Background saving started");
      },
    }),
    command({
      name: "lastsave",
      arity: 1,
      flags: ["loading", "stale", "fast"],
      categories: ["admin", "dangerous"],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Get the UNIX time stamp of the last successful save to disk",
        since: "1.0.0",
        complexity: "O(1)",
      },
      handler: (c) => c.reply.integer(st.lastSave),
    }),
    command({
      name: "dump",
      arity: 2,
      flags: ["readonly"],
      categories: ["keyspace"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Return a serialized version of the value stored at the specified key.",
        since: "2.6.0",
        group: "generic",
        complexity:
          "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
        arguments: [{ name: "key", type: "key", keySpecIndex: 0 }],
      },
      handler(c, argv) {
        const key = argv[1]!;
        const v = c.db.get(key);
        if (v === undefined) {
          c.server.stats.keyspaceMisses++;
          c.reply.nullBulk();
          return;
        }
        c.server.stats.keyspaceHits++;
        c.db.touch(key);
        let payload: Uint8Array;
        try {
          payload = st.dumpValue(v);
        } catch (e) {
          // A volatile or unregistered type: a reply, not a crash.
          if (e instanceof NotPersistedError) throw new ReplyError(`ERR ${e.message}`);
          throw e;
        }
        c.reply.bulk(bytesToString(payload, 0, payload.length));
      },
    }),
    command({
      name: "restore",
      arity: -4,
      flags: ["write", "denyoom"],
      categories: ["keyspace", "dangerous"],
      keySpecs: [keys.one(1, ["OW", "UPDATE"])],
      docs: {
        summary:
          "Create a key using the provided serialized value, previously obtained using DUMP.",
        since: "2.6.0",
        group: "generic",
        ...RESTORE_DOCS,
      },
      handler: restore(st),
    }),
  ];
}

/**
 * RESTORE's documentation after its summary (RESTORE-ASKING, MIGRATE's
 * internal form, has the same arguments).
 */
export const RESTORE_DOCS = {
  complexity:
    "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
  history: [
    ["3.0.0", "Added the `REPLACE` modifier."],
    ["5.0.0", "Added the `ABSTTL` modifier."],
    ["5.0.0", "Added the `IDLETIME` and `FREQ` options."],
  ],
  arguments: [
    { name: "key", type: "key", keySpecIndex: 0 },
    { name: "ttl", type: "integer" },
    { name: "serialized-value", type: "string" },
    {
      name: "replace",
      type: "pure-token",
      token: "REPLACE",
      since: "3.0.0",
      flags: ["optional"],
    },
    {
      name: "absttl",
      type: "pure-token",
      token: "ABSTTL",
      since: "5.0.0",
      flags: ["optional"],
    },
    {
      name: "seconds",
      type: "integer",
      token: "IDLETIME",
      since: "5.0.0",
      flags: ["optional"],
    },
    {
      name: "frequency",
      type: "integer",
      token: "FREQ",
      since: "5.0.0",
      flags: ["optional"],
    },
  ],
} as const;

/** RESTORE's handler (RESTORE-ASKING's too). */
export function restore(st: RdbPersistence) {
  return (c: Context, argv: Bytes[]): void => {
    let replace = false, absttl = false, idle = -1, freq = -1;
    for (let j = 4; j < argv.length; j++) {
      const opt = argv[j]!.toLowerCase();
      const more = argv.length - j - 1;
      if (opt === "replace") {
        replace = true;
      } else if (opt === "absttl") {
        absttl = true;
      } else if (opt === "idletime" && more >= 1 && freq === -1) {
        idle = intArg(argv[++j]!);
        if (idle < 0) throw new ReplyError("ERR Invalid IDLETIME value, must be >= 0");
      } else if (opt === "freq" && more >= 1 && idle === -1) {
        freq = intArg(argv[++j]!);
        if (freq < 0 || freq > 255) {
          throw new ReplyError("ERR Invalid FREQ value, must be >= 0 and <= 255");
        }
      } else {
        throw new ReplyError(Err.syntax);
      }
    }
    const key = argv[1]!;
    const db = c.db;
    if (!replace && db.get(key) !== undefined) throw new ReplyError(BUSYKEY);
    let ttl = intArg(argv[2]!);
    if (ttl < 0) throw new ReplyError("ERR Invalid TTL value, must be >= 0");
    let value;
    try {
      value = st.restoreValue(stringToBytes(argv[3]!));
    } catch (e) {
      throw new ReplyError((e as Error).message);
    }
    const deleted = replace && db.delete(key);
    const now = c.server.clock.now();
    if (ttl !== 0 && !absttl) ttl += now;
    if (ttl !== 0 && ttl <= now && !db.keyspace.isReplica) {
      // Already expired: the key is not created (an old one is deleted).
      if (deleted) {
        c.changed(key, "del", "g");
        c.propagate(["DEL", key]);
      }
      c.reply.ok();
      return;
    }
    db.set(key, value);
    if (ttl !== 0) db.setExpire(key, ttl);
    db.restoreAccess(key, idle, freq);
    c.changed(key, "restore", "g");
    if (ttl !== 0 && !absttl) {
      const out = argv.slice();
      out[2] = String(ttl);
      out.push("ABSTTL");
      c.propagate(out);
    }
    c.reply.ok();
  };
}
