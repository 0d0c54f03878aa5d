/**
 * The HASHES family: HSET, HGET and friends, counters, HRANDFIELD and HSCAN,
 * with Redis 7.0's replies, errors, encodings, keyspace events and
 * propagation.
 *
 * A hash is a {@link HashObject}: a Map plus the listpack/hashtable encoding
 * flag, driven by `hash-max-listpack-entries` / `hash-max-listpack-value`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import type { Bytes, CommandSpec, Context } from "../../core/types.ts";
import { ConfigError } from "../../core/config.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { commandGroup, keys } from "../../core/registry.ts";
import { stringToBytes } from "../../core/resp/bytes.ts";
import { addLongDouble, formatLongDouble, parseLongDouble } from "../../core/longdouble.ts";
import { type HashLimits, HashObject } from "./_value.ts";
import { hrandfieldCommand, hscanCommand } from "./_random.ts";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const NOT_INTEGER = new ReplyError(Err.notInteger);
const NOT_FLOAT = new ReplyError(Err.notFloat);
const HASH_NOT_INTEGER = new ReplyError("ERR hash value is not an integer");
const HASH_NOT_FLOAT = new ReplyError("ERR hash value is not a float");

/**
 * Each server's live listpack thresholds (several servers may share this
 * module in one process, so they are not module globals).
 */
const LIMITS = new WeakMap<object, HashLimits>();
const DEFAULT_LIMITS: HashLimits = { entries: 512, value: 64 };

function limitsOf(c: Context): HashLimits {
  return LIMITS.get(c.server) ?? DEFAULT_LIMITS;
}

/** Looks up a hash for reading; WRONGTYPE for other types. */
function readHash(c: Context, key: Bytes): HashObject | undefined {
  return c.db.getTyped<HashObject>(key, "hash");
}

/** Looks up a hash for writing, creating (and storing) an empty one. */
function writeHash(c: Context, key: Bytes): HashObject {
  let h = c.db.getTyped<HashObject>(key, "hash");
  if (h === undefined) {
    h = new HashObject();
    c.db.set(key, h);
  }
  return h;
}

/** Records `n` field writes: one keyspace event, `n` changes (HSET counts one per pair). */
function changedBy(c: Context, key: Bytes, event: string, n: number): void {
  c.changed(key, event, "h", n);
}

/** HSET / HMSET key field value [field value ...] */
function hsetGeneric(c: Context, argv: Bytes[], hmset: boolean): void {
  const argc = argv.length;
  if ((argc & 1) === 1) throw new ReplyError(Err.arity(hmset ? "hmset" : "hset"));
  const key = argv[1]!;
  const h = writeHash(c, key);
  const limits = limitsOf(c);
  if (!h.ht) {
    // hashTypeTryConversion: any long argument converts before inserting.
    for (let i = 2; i < argc; i++) {
      if (argv[i]!.length > limits.value) {
        h.ht = true;
        break;
      }
    }
  }
  const map = h.map;
  const before = map.size;
  for (let i = 2; i < argc; i += 2) map.set(argv[i]!, argv[i + 1]!);
  const created = map.size - before;
  if (created !== 0) {
    h.fieldsChanged();
    h.checkSize(limits);
  }
  changedBy(c, key, "hset", (argc - 2) >> 1);
  if (hmset) c.reply.ok();
  else c.reply.integer(created);
}

/** HSETNX key field value */
function hsetnxCommand(c: Context, argv: Bytes[]): void {
  const limits = limitsOf(c);
  const key = argv[1]!, field = argv[2]!, value = argv[3]!;
  const h = writeHash(c, key);
  if (h.map.has(field)) {
    c.reply.integer(0);
    return;
  }
  h.checkLength(field, limits);
  h.checkLength(value, limits);
  h.map.set(field, value);
  h.fieldsChanged();
  h.checkSize(limits);
  c.changed(key, "hset", "h");
  c.reply.integer(1);
}

/** Stores a counter's new value: hashTypeSet's length check, then the size check. */
function setCounter(h: HashObject, field: Bytes, text: Bytes, limits: HashLimits): void {
  h.checkLength(field, limits);
  h.checkLength(text, limits);
  const before = h.map.size;
  h.map.set(field, text);
  if (h.map.size !== before) {
    h.fieldsChanged();
    h.checkSize(limits);
  }
}

/** HINCRBY key field increment, over the full signed 64-bit range. */
function hincrbyCommand(c: Context, argv: Bytes[]): void {
  const limits = limitsOf(c);
  const key = argv[1]!, field = argv[2]!, incrArg = argv[3]!;
  const incr = parseInteger(incrArg);
  if (incr === undefined) throw NOT_INTEGER;
  const h = writeHash(c, key);
  const old = h.map.get(field);
  let cur = 0;
  if (old !== undefined) {
    const p = parseInteger(old);
    if (p === undefined) throw HASH_NOT_INTEGER;
    cur = p;
  }
  let text: string;
  let big: bigint | undefined;
  const sum = cur + incr;
  if (Number.isSafeInteger(cur) && Number.isSafeInteger(incr) && Number.isSafeInteger(sum)) {
    text = String(sum);
  } else {
    big = BigInt(old ?? "0") + BigInt(incrArg);
    if (big > INT64_MAX || big < INT64_MIN) throw new ReplyError(Err.overflow);
    text = big.toString();
  }
  setCounter(h, field, text, limits);
  c.changed(key, "hincrby", "h");
  if (big === undefined) c.reply.integer(sum);
  else c.reply.raw(stringToBytes(`:${text}\r\n`));
}

/**
 * HINCRBYFLOAT key field increment, in 80-bit long double arithmetic as
 * Redis; propagated as HSET key field value.
 */
function hincrbyfloatCommand(c: Context, argv: Bytes[]): void {
  const limits = limitsOf(c);
  const key = argv[1]!, field = argv[2]!;
  const incr = parseLongDouble(argv[3]!);
  if (incr === undefined) throw NOT_FLOAT;
  if (incr.inf) throw new ReplyError("ERR value is NaN or Infinity");
  const h = writeHash(c, key);
  const old = h.map.get(field);
  let cur = parseLongDouble("0")!;
  if (old !== undefined) {
    const p = parseLongDouble(old);
    if (p === undefined) throw HASH_NOT_FLOAT;
    cur = p;
  }
  const sum = addLongDouble(cur, incr);
  if (sum === undefined) throw new ReplyError("ERR increment would produce NaN or Infinity");
  const text = formatLongDouble(sum);
  setCounter(h, field, text, limits);
  c.changed(key, "hincrbyfloat", "h");
  c.propagate(["HSET", key, field, text]);
  c.reply.bulk(text);
}

/** HGET key field */
function hgetCommand(c: Context, argv: Bytes[]): void {
  const v = readHash(c, argv[1]!)?.map.get(argv[2]!);
  if (v === undefined) c.reply.nullBulk();
  else c.reply.bulk(v);
}

/** HMGET key field [field ...] */
function hmgetCommand(c: Context, argv: Bytes[]): void {
  const map = readHash(c, argv[1]!)?.map;
  const r = c.reply;
  r.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const v = map?.get(argv[i]!);
    if (v === undefined) r.nullBulk();
    else r.bulk(v);
  }
}

/** HDEL key field [field ...]; deletes the key once empty. */
function hdelCommand(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  const h = readHash(c, key);
  if (h === undefined) {
    c.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (h.map.delete(argv[i]!)) {
      deleted++;
      if (h.map.size === 0) break;
    }
  }
  if (deleted !== 0) {
    h.fieldsChanged();
    const removed = h.map.size === 0;
    if (removed) c.db.delete(key);
    c.changed(key, "hdel", "h", deleted);
    if (removed) c.changed(key, "del", "g", 0);
  }
  c.reply.integer(deleted);
}

/** HLEN key */
function hlenCommand(c: Context, argv: Bytes[]): void {
  c.reply.integer(readHash(c, argv[1]!)?.map.size ?? 0);
}

/** HSTRLEN key field */
function hstrlenCommand(c: Context, argv: Bytes[]): void {
  c.reply.integer(readHash(c, argv[1]!)?.map.get(argv[2]!)?.length ?? 0);
}

/** HEXISTS key field */
function hexistsCommand(c: Context, argv: Bytes[]): void {
  c.reply.integer(readHash(c, argv[1]!)?.map.has(argv[2]!) ? 1 : 0);
}

/** HGETALL key: a map in RESP3, a flat array in RESP2. */
function hgetallCommand(c: Context, argv: Bytes[]): void {
  const map = readHash(c, argv[1]!)?.map;
  const r = c.reply;
  if (map === undefined) {
    r.map(0);
    return;
  }
  r.map(map.size);
  for (const [f, v] of map) {
    r.bulk(f);
    r.bulk(v);
  }
}

/** HKEYS key */
function hkeysCommand(c: Context, argv: Bytes[]): void {
  const map = readHash(c, argv[1]!)?.map;
  const r = c.reply;
  r.array(map?.size ?? 0);
  if (map !== undefined) { for (const f of map.keys()) r.bulk(f); }
}

/** HVALS key */
function hvalsCommand(c: Context, argv: Bytes[]): void {
  const map = readHash(c, argv[1]!)?.map;
  const r = c.reply;
  r.array(map?.size ?? 0);
  if (map !== undefined) { for (const v of map.values()) r.bulk(v); }
}

const RO = [keys.one(1, ["RO"])];
const RO_ACCESS = [keys.one(1, ["RO", "ACCESS"])];
const RW_UPDATE = [keys.one(1, ["RW", "UPDATE"])];
const RW_ACCESS_UPDATE = [keys.one(1, ["RW", "ACCESS", "UPDATE"])];

const spec = commandGroup("hash");

const ALL_N = "O(N) where N is the size of the hash.";

/** The hash commands. */
const hashCommands: CommandSpec[] = [
  spec(
    "hset",
    -4,
    ["write", "denyoom", "fast"],
    RW_UPDATE,
    (c, argv) => hsetGeneric(c, argv, false),
    {
      summary: "Set the string value of a hash field",
      since: "2.0.0",
      complexity:
        "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
    },
  ),
  spec(
    "hmset",
    -4,
    ["write", "denyoom", "fast"],
    RW_UPDATE,
    (c, argv) => hsetGeneric(c, argv, true),
    {
      summary: "Set multiple hash fields to multiple values",
      since: "2.0.0",
      complexity: "O(N) where N is the number of fields being set.",
    },
  ),
  spec(
    "hsetnx",
    4,
    ["write", "denyoom", "fast"],
    [keys.one(1, ["RW", "INSERT"])],
    hsetnxCommand,
    { summary: "Set the value of a hash field, only if the field does not exist", since: "2.0.0" },
  ),
  spec("hget", 3, ["readonly", "fast"], RO_ACCESS, hgetCommand, {
    summary: "Get the value of a hash field",
    since: "2.0.0",
  }),
  spec("hmget", -3, ["readonly", "fast"], RO_ACCESS, hmgetCommand, {
    summary: "Get the values of all the given hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields being requested.",
  }),
  spec("hgetall", 2, ["readonly"], RO_ACCESS, hgetallCommand, {
    summary: "Get all the fields and values in a hash",
    since: "2.0.0",
    complexity: ALL_N,
  }),
  spec("hdel", -3, ["write", "fast"], [keys.one(1, ["RW", "DELETE"])], hdelCommand, {
    summary: "Delete one or more hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields to be removed.",
  }),
  spec("hlen", 2, ["readonly", "fast"], RO, hlenCommand, {
    summary: "Get the number of fields in a hash",
    since: "2.0.0",
  }),
  spec("hexists", 3, ["readonly", "fast"], RO, hexistsCommand, {
    summary: "Determine if a hash field exists",
    since: "2.0.0",
  }),
  spec("hkeys", 2, ["readonly"], RO_ACCESS, hkeysCommand, {
    summary: "Get all the fields in a hash",
    since: "2.0.0",
    complexity: ALL_N,
  }),
  spec("hvals", 2, ["readonly"], RO_ACCESS, hvalsCommand, {
    summary: "Get all the values in a hash",
    since: "2.0.0",
    complexity: ALL_N,
  }),
  spec(
    "hincrby",
    4,
    ["write", "denyoom", "fast"],
    RW_ACCESS_UPDATE,
    hincrbyCommand,
    { summary: "Increment the integer value of a hash field by the given number", since: "2.0.0" },
  ),
  spec(
    "hincrbyfloat",
    4,
    ["write", "denyoom", "fast"],
    RW_ACCESS_UPDATE,
    hincrbyfloatCommand,
    { summary: "Increment the float value of a hash field by the given amount", since: "2.6.0" },
  ),
  spec("hstrlen", 3, ["readonly", "fast"], RO, hstrlenCommand, {
    summary: "Get the length of the value of a hash field",
    since: "3.2.0",
  }),
  spec("hrandfield", -2, ["readonly"], RO_ACCESS, hrandfieldCommand, {
    summary: "Get one or multiple random fields from a hash",
    since: "6.2.0",
    complexity: "O(N) where N is the number of fields returned",
  }),
  spec("hscan", -3, ["readonly"], RO_ACCESS, hscanCommand, {
    summary: "Incrementally iterate hash fields and associated values",
    since: "2.8.0",
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
  }),
];

/** Redis's range error for these size_t directives (LONG_MAX bound). */
function nonNegative(msg: string): (v: string) => string {
  return (v) => {
    if (Number(v) < 0) throw new ConfigError(msg);
    return v;
  };
}

/** The HASHES family plugin. */
export default definePlugin({
  name: "hashes",
  config: [
    {
      name: "hash-max-listpack-entries",
      type: "int",
      // Redis 7.0's built-in default (redis.conf ships 128, the binary 512).
      default: "512",
      aliases: ["hash-max-ziplist-entries"],
      validate: nonNegative("argument must be between 0 and 9223372036854775807 inclusive"),
    },
    {
      name: "hash-max-listpack-value",
      type: "memory",
      default: "64",
      aliases: ["hash-max-ziplist-value"],
      validate: nonNegative("argument must be a memory value"),
    },
  ],
  commands: hashCommands,
  init(server) {
    const limits: HashLimits = { entries: 512, value: 64 };
    server.config.watch("hash-max-listpack-entries", (v) => (limits.entries = Number(v)));
    server.config.watch("hash-max-listpack-value", (v) => (limits.value = Number(v)));
    LIMITS.set(server, limits);
    server.keyspace.types.set("hash", {
      name: "hash",
      fromPairs: (pairs) => HashObject.fromPairs(pairs, limits),
    });
  },
});
