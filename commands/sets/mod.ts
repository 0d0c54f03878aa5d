/**
 * The SETS family: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD,
 * SPOP, SRANDMEMBER, SMOVE and SSCAN here; the multi-key algebra (SINTER,
 * SINTERCARD, SUNION, SDIFF and their STORE forms) in `set_ops.ts`. Replies,
 * errors, keyspace events, dirty counts and propagation follow Redis 7.0
 * (`t_set.c`); the value is a {@link SetValue} (`set_value.ts`).
 *
 * @module
 */

import type { Bytes, CommandSpec, Context, Plugin, ServerApi } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseBigInteger, parseInteger } from "../../core/number.ts";
import { keys } from "../../core/registry.ts";
import { globMatch } from "../../core/glob.ts";
import { ConfigError } from "../../core/config.ts";
import { parseScanCursor } from "../../core/cursor.ts";
import { SetValue } from "./_value.ts";
import { setOpCommands } from "./_ops.ts";
import { intsetLimit, watchIntsetLimit } from "./_limits.ts";

const SYNTAX = new ReplyError(Err.syntax);
const NOT_POSITIVE = new ReplyError("ERR value is out of range, must be positive");
const INT64_MIN = -9223372036854775808n;
/**
 * SRANDMEMBER with a negative count replies with |count| members. Redis
 * would try to build any size (and run out of memory); past this bound we
 * refuse instead.
 */
const MAX_REPEATED = 1 << 30;

/** The set at `key`, or undefined; throws WRONGTYPE for other types. */
export function getSet(c: Context, key: Bytes): SetValue | undefined {
  return c.db.getTyped<SetValue>(key, "set");
}

/** Writes members as a RESP3 set (RESP2: array). */
export function replySet(c: Context, items: readonly Bytes[]): void {
  c.reply.set(items.length);
  for (let i = 0; i < items.length; i++) c.reply.bulk(items[i]!);
}

/** Removes an emptied set, with Redis's `del` event. */
function deleteIfEmpty(c: Context, key: Bytes, s: SetValue): void {
  if (s.length !== 0) return;
  c.db.delete(key);
  // Redis counts the removed members, not the deletion.
  c.changed(key, "del", "g", 0);
}

const doc = (summary: string, since: string, complexity: string) => ({
  docs: { summary, since, group: "set", complexity },
});

const setCommands: CommandSpec[] = [
  {
    name: "sadd",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RW", "INSERT"])],
    ...doc(
      "Add one or more members to a set",
      "1.0.0",
      "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    ),
    handler(c, argv) {
      const key = argv[1]!;
      let s = getSet(c, key);
      const fresh = s === undefined;
      s ??= new SetValue();
      const max = intsetLimit(c);
      let added = 0;
      for (let i = 2; i < argv.length; i++) if (s.add(argv[i]!, max)) added++;
      if (fresh) c.db.set(key, s);
      if (added !== 0) {
        c.changed(key, "sadd", "s", added);
      }
      c.reply.integer(added);
    },
  },
  {
    name: "srem",
    arity: -3,
    flags: ["write", "fast"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RW", "DELETE"])],
    ...doc(
      "Remove one or more members from a set",
      "1.0.0",
      "O(N) where N is the number of members to be removed.",
    ),
    handler(c, argv) {
      const key = argv[1]!;
      const s = getSet(c, key);
      let removed = 0;
      if (s !== undefined) {
        for (let i = 2; i < argv.length && s.length !== 0; i++) {
          if (s.delete(argv[i]!)) removed++;
        }
        if (removed !== 0) {
          c.changed(key, "srem", "s", removed);
          deleteIfEmpty(c, key, s);
        }
      }
      c.reply.integer(removed);
    },
  },
  {
    name: "smembers",
    arity: 2,
    flags: ["readonly"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    ...doc("Get all the members in a set", "1.0.0", "O(N) where N is the set cardinality."),
    handler(c, argv) {
      const s = getSet(c, argv[1]!);
      if (s === undefined) return c.reply.set(0);
      c.reply.set(s.length);
      for (const m of s.elements()) c.reply.bulk(m);
    },
  },
  {
    name: "sismember",
    arity: 3,
    flags: ["readonly", "fast"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RO"])],
    ...doc("Determine if a given value is a member of a set", "1.0.0", "O(1)"),
    handler(c, argv) {
      const s = getSet(c, argv[1]!);
      c.reply.integer(s !== undefined && s.has(argv[2]!) ? 1 : 0);
    },
  },
  {
    name: "smismember",
    arity: -3,
    flags: ["readonly", "fast"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    ...doc(
      "Returns the membership associated with the given elements for a set",
      "6.2.0",
      "O(N) where N is the number of elements being checked for membership",
    ),
    handler(c, argv) {
      const s = getSet(c, argv[1]!);
      c.reply.array(argv.length - 2);
      for (let i = 2; i < argv.length; i++) {
        c.reply.integer(s !== undefined && s.has(argv[i]!) ? 1 : 0);
      }
    },
  },
  {
    name: "scard",
    arity: 2,
    flags: ["readonly", "fast"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RO"])],
    ...doc("Get the number of members in a set", "1.0.0", "O(1)"),
    handler(c, argv) {
      c.reply.integer(getSet(c, argv[1]!)?.length ?? 0);
    },
  },
  {
    name: "spop",
    arity: -2,
    flags: ["write", "fast"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"])],
    ...doc(
      "Remove and return one or multiple random members from a set",
      "1.0.0",
      "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
    ),
    handler(c, argv) {
      if (argv.length > 3) throw SYNTAX;
      if (argv.length === 3) return spopCount(c, argv);
      const key = argv[1]!;
      const s = getSet(c, key);
      if (s === undefined) return c.reply.nullBulk();
      const m = s.pop();
      c.changed(key, "spop", "s");
      c.propagate(["SREM", key, m]);
      deleteIfEmpty(c, key, s);
      c.reply.bulk(m);
    },
  },
  {
    name: "srandmember",
    arity: -2,
    flags: ["readonly"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    ...doc(
      "Get one or multiple random members from a set",
      "1.0.0",
      "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
    ),
    handler(c, argv) {
      if (argv.length > 3) throw SYNTAX;
      if (argv.length === 3) return srandmemberCount(c, argv);
      const s = getSet(c, argv[1]!);
      if (s === undefined) c.reply.nullBulk();
      else c.reply.bulk(s.random());
    },
  },
  {
    name: "smove",
    arity: 4,
    flags: ["write", "fast"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"]), keys.one(2, ["RW", "INSERT"])],
    ...doc("Move a member from one set to another", "1.0.0", "O(1)"),
    handler(c, argv) {
      const srcKey = argv[1]!, dstKey = argv[2]!, m = argv[3]!;
      const src = c.db.get(srcKey);
      const dst = c.db.get(dstKey);
      if (src === undefined) return c.reply.integer(0);
      const srcSet = getSet(c, srcKey)!;
      const dstSet = dst === undefined ? undefined : getSet(c, dstKey);
      if (srcSet === dstSet) return c.reply.integer(srcSet.has(m) ? 1 : 0);
      if (!srcSet.delete(m)) return c.reply.integer(0);
      c.changed(srcKey, "srem", "s");
      deleteIfEmpty(c, srcKey, srcSet);
      let target = dstSet;
      if (target === undefined) {
        target = new SetValue();
        c.db.set(dstKey, target);
      }
      if (target.add(m, intsetLimit(c))) c.changed(dstKey, "sadd", "s");
      c.reply.integer(1);
    },
  },
  {
    name: "sscan",
    arity: -3,
    flags: ["readonly"],
    categories: ["set"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    ...doc(
      "Incrementally iterate Set elements",
      "2.8.0",
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    ),
    handler: sscan,
  },
  ...setOpCommands,
];

/** SPOP key count: Redis 7.0's spopWithCountCommand. */
function spopCount(c: Context, argv: Bytes[]): void {
  const n = parseInteger(argv[2]!);
  if (n === undefined || n < 0) throw NOT_POSITIVE;
  const key = argv[1]!;
  const s = getSet(c, key);
  if (s === undefined || n === 0) return c.reply.set(0);
  if (n >= s.length) {
    // The whole set: reply with it (built as a union of one set, so an
    // all-integer hashtable set replies sorted), delete, propagate as DEL.
    const all = [...(s.intset ? s : SetValue.from(s.elements(), intsetLimit(c))).elements()];
    c.changed(key, "spop", "s", all.length);
    c.db.delete(key);
    c.changed(key, "del", "g", 0);
    c.propagate(["DEL", key]);
    return replySet(c, all);
  }
  const popped = s.sample(n);
  for (let i = 0; i < popped.length; i++) s.delete(popped[i]!);
  c.changed(key, "spop", "s", n);
  // Redis 7.0 propagates one SREM per member (7.2 batches them).
  for (let i = 0; i < popped.length; i++) c.propagate(["SREM", key, popped[i]!]);
  replySet(c, popped);
}

/** SRANDMEMBER key count: Redis 7.0's srandmemberWithCountCommand. */
function srandmemberCount(c: Context, argv: Bytes[]): void {
  const arg = argv[2]!;
  const n = parseInteger(arg);
  if (n === undefined) throw new ReplyError(Err.notInteger);
  if (n < -9.2e18 && parseBigInteger(arg) === INT64_MIN) {
    throw new ReplyError(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  }
  const s = getSet(c, argv[1]!);
  if (s === undefined || n === 0) return c.reply.array(0);
  const r = c.reply;
  if (n < 0) {
    // Repetitions allowed: |count| independent picks.
    if (-n > MAX_REPEATED) throw new ReplyError("ERR value is out of range");
    r.array(-n);
    for (let i = 0; i < -n; i++) r.bulk(s.random());
    return;
  }
  if (n >= s.length) {
    r.array(s.length);
    for (const m of s.elements()) r.bulk(m);
    return;
  }
  r.bulkArray(s.sample(n));
}

/** SSCAN key cursor [MATCH pattern] [COUNT count]. */
function sscan(c: Context, argv: Bytes[]): void {
  const cursor = parseScanCursor(argv[2]!);
  const s = getSet(c, argv[1]!);
  if (s === undefined) {
    c.reply.array(2);
    c.reply.bulk("0");
    c.reply.array(0);
    return;
  }
  let count = 10;
  let pattern: string | undefined;
  for (let i = 3; i < argv.length; i += 2) {
    const opt = argv[i]!.toLowerCase();
    if (i + 1 >= argv.length) throw SYNTAX;
    if (opt === "count") {
      const v = parseInteger(argv[i + 1]!);
      if (v === undefined) throw new ReplyError(Err.notInteger);
      if (v < 1) throw SYNTAX;
      count = v;
    } else if (opt === "match") {
      const p = argv[i + 1]!;
      pattern = p === "*" ? undefined : p;
    } else {
      throw SYNTAX;
    }
  }
  let items: Bytes[];
  let next = "0";
  if (s.intset) {
    // A compact (intset) set is returned whole in one call, as Redis does.
    items = [...s.elements()];
  } else {
    const page = c.server.keyspace.cursors.scan(s, cursor, count, () => s.liveIterator());
    items = page.items;
    next = page.cursor;
  }
  if (pattern !== undefined) items = items.filter((m) => globMatch(pattern, m));
  c.reply.array(2);
  c.reply.bulk(next);
  c.reply.bulkArray(items);
}

/** The sets plugin. */
const sets: Plugin = {
  name: "sets",
  config: [{
    name: "set-max-intset-entries",
    type: "int",
    default: "512",
    validate(v) {
      // Checked here rather than with min/max so the message names
      // Redis's bounds (the upper one is not a safe JS integer).
      if (Number(v) < 0) {
        throw new ConfigError("argument must be between 0 and 9223372036854775807 inclusive");
      }
      return v;
    },
  }],
  commands: setCommands,
  init(server: ServerApi) {
    watchIntsetLimit(server);
    server.keyspace.types.set("set", {
      name: "set",
      fromElements: (items) =>
        SetValue.from(items, Number(server.config.get("set-max-intset-entries"))),
    });
  },
};

export default sets;
