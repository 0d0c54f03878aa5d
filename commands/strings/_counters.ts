/**
 * Counters: INCR, DECR, INCRBY, DECRBY (64-bit, refusing overflow) and
 * INCRBYFLOAT (80-bit long double arithmetic, as Redis). They keep the
 * key's TTL.
 *
 * @module
 */

import { commandFamily, keys } from "../../core/registry.ts";
import type { Bytes, CommandArg, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseBigInteger, parseInteger } from "../../core/number.ts";

import { addLongDouble, formatLongDouble, parseLongDouble } from "../../core/longdouble.ts";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

const NOT_INTEGER = new ReplyError(Err.notInteger);
const NOT_FLOAT = new ReplyError(Err.notFloat);

/**
 * Parses a 64-bit integer: a number when exact in a double, a bigint
 * beyond, undefined when Redis's string2ll refuses it.
 */
function toInt(s: string): number | bigint | undefined {
  // Up to 15 characters a number is exact: parseInteger's one-pass loop.
  if (s.length <= 15) return parseInteger(s);
  const b = parseBigInteger(s);
  if (b === undefined) return undefined;
  return b <= SAFE_MAX && b >= -SAFE_MAX ? Number(b) : b;
}

/** Writes an integer reply of any 64-bit value. */
function replyInt(c: Context, v: number | bigint): void {
  if (typeof v === "number") c.reply.integer(v);
  else c.reply.bigInteger(v);
}

/**
 * INCR/DECR/INCRBY/DECRBY: adds `incr`, refusing int64 overflow; keeps the
 * TTL. A result that is a safe integer is stored as a number (Redis's
 * "int" encoding, see the keyspace's `Stored`): the next increment reads
 * it without parsing, and none makes a string.
 */
function incrDecr(c: Context, key: Bytes, incr: number | bigint): void {
  const db = c.db;
  const old = db.getCounter(key);
  let cur: number | bigint = 0;
  if (typeof old === "number") cur = old;
  else if (old !== undefined) {
    const p = toInt(old);
    if (p === undefined) throw NOT_INTEGER;
    cur = p;
  }
  let res: number | bigint;
  if (typeof cur === "number" && typeof incr === "number" && Number.isSafeInteger(cur + incr)) {
    res = cur + incr;
  } else {
    const b = BigInt(cur) + BigInt(incr);
    if (b > INT64_MAX || b < INT64_MIN) throw new ReplyError(Err.overflow);
    res = b <= SAFE_MAX && b >= -SAFE_MAX ? Number(b) : b;
  }
  // -0 cannot arise (x + y is -0 only when both are), so a number here
  // always reads back as the string Redis would store.
  const stored = typeof res === "number" ? res : String(res);
  if (old === undefined) db.set(key, stored);
  else db.replace(key, stored);
  c.changed(key, "incrby", "$");
  replyInt(c, res);
}

/** The increment argument of INCRBY/DECRBY. */
function incrArg(s: Bytes): number | bigint {
  const v = toInt(s);
  if (v === undefined) throw NOT_INTEGER;
  return v;
}

/** DECRBY key decrement: -LLONG_MIN does not exist. */
function decrbyCommand(c: Context, argv: Bytes[]): void {
  const v = incrArg(argv[2]!);
  if (typeof v === "number") {
    incrDecr(c, argv[1]!, -v);
    return;
  }
  if (v === INT64_MIN) throw new ReplyError("ERR decrement would overflow");
  incrDecr(c, argv[1]!, -v);
}

/**
 * INCRBYFLOAT key increment, in 80-bit long double arithmetic as Redis
 * (see core/longdouble.ts); propagated as SET key value KEEPTTL.
 */
function incrbyfloatCommand(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  const db = c.db;
  const old = db.getString(key);
  const cur = old === undefined ? parseLongDouble("0") : parseLongDouble(old);
  if (cur === undefined) throw NOT_FLOAT;
  const incr = parseLongDouble(argv[2]!);
  if (incr === undefined) throw NOT_FLOAT;
  const sum = addLongDouble(cur, incr);
  if (sum === undefined) throw new ReplyError("ERR increment would produce NaN or Infinity");
  const text = formatLongDouble(sum);
  if (old === undefined) db.set(key, text);
  else db.replace(key, text);
  c.changed(key, "incrbyfloat", "$");
  c.propagate(["SET", key, text, "KEEPTTL"]);
  c.reply.bulk(text);
}

const command = commandFamily({ category: "string" });

const KEY: CommandArg = { name: "key", type: "key", keySpecIndex: 0 };

/** The counter commands. */
export const counterCommands = [
  command({
    name: "incr",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
    docs: {
      summary: "Increment the integer value of a key by one",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: [KEY],
    },
    handler: (c, argv) => incrDecr(c, argv[1]!, 1),
  }),
  command({
    name: "decr",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
    docs: {
      summary: "Decrement the integer value of a key by one",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: [KEY],
    },
    handler: (c, argv) => incrDecr(c, argv[1]!, -1),
  }),
  command({
    name: "incrby",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
    docs: {
      summary: "Increment the integer value of a key by the given amount",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: [KEY, { name: "increment", type: "integer" }],
    },
    handler: (c, argv) => incrDecr(c, argv[1]!, incrArg(argv[2]!)),
  }),
  command({
    name: "decrby",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
    docs: {
      summary: "Decrement the integer value of a key by the given number",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: [KEY, { name: "decrement", type: "integer" }],
    },
    handler: decrbyCommand,
  }),
  command({
    name: "incrbyfloat",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
    docs: {
      summary: "Increment the float value of a key by the given amount",
      since: "2.6.0",
      complexity: "O(1)",
      arguments: [KEY, { name: "increment", type: "double" }],
    },
    handler: incrbyfloatCommand,
  }),
];
