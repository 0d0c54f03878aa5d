/**
 * Handlers of the hash commands but HRANDFIELD and HSCAN (`_random.ts`),
 * following Redis 7.0's t_hash.c: replies, errors, encodings, keyspace
 * events, change counts and propagation. Handlers that may grow a hash
 * take the server's listpack thresholds.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { stringToBytes } from "../../core/resp/bytes.ts";
import { addLongDouble, formatLongDouble, parseLongDouble } from "../../core/longdouble.ts";
import { type HashLimits, HashObject } from "./_value.ts";

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const NOT_INTEGER = new ReplyError(Err.notInteger);
const NOT_FLOAT = new ReplyError(Err.notFloat);
const HASH_NOT_INTEGER = new ReplyError("ERR hash value is not an integer");
const HASH_NOT_FLOAT = new ReplyError("ERR hash value is not a float");

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

/** HSET / HMSET key field value [field value ...]; returns the fields created. */
function setFields(c: Context, argv: Bytes[], limits: HashLimits): number {
  const argc = argv.length;
  if ((argc & 1) === 1) throw new ReplyError(Err.arity(argv[0]!.toLowerCase()));
  const key = argv[1]!;
  const h = writeHash(c, key);
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
  // Redis counts one change per pair, new or not.
  c.changed(key, "hset", "h", (argc - 2) >> 1);
  return created;
}

/** HSET key field value [field value ...] */
export function hset(c: Context, argv: Bytes[], limits: HashLimits): void {
  c.reply.integer(setFields(c, argv, limits));
}

/** HMSET key field value [field value ...] */
export function hmset(c: Context, argv: Bytes[], limits: HashLimits): void {
  setFields(c, argv, limits);
  c.reply.ok();
}

/** HSETNX key field value */
export function hsetnx(c: Context, argv: Bytes[], limits: HashLimits): void {
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
export function hincrby(c: Context, argv: Bytes[], limits: HashLimits): void {
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
export function hincrbyfloat(c: Context, argv: Bytes[], limits: HashLimits): void {
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
export function hget(c: Context, argv: Bytes[]): void {
  const v = readHash(c, argv[1]!)?.map.get(argv[2]!);
  if (v === undefined) c.reply.nullBulk();
  else c.reply.bulk(v);
}

/** HMGET key field [field ...] */
export function hmget(c: Context, argv: Bytes[]): void {
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
export function hdel(c: Context, argv: Bytes[]): void {
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
export function hlen(c: Context, argv: Bytes[]): void {
  c.reply.integer(readHash(c, argv[1]!)?.map.size ?? 0);
}

/** HSTRLEN key field */
export function hstrlen(c: Context, argv: Bytes[]): void {
  c.reply.integer(readHash(c, argv[1]!)?.map.get(argv[2]!)?.length ?? 0);
}

/** HEXISTS key field */
export function hexists(c: Context, argv: Bytes[]): void {
  c.reply.integer(readHash(c, argv[1]!)?.map.has(argv[2]!) ? 1 : 0);
}

/** HGETALL key: a map in RESP3, a flat array in RESP2. */
export function hgetall(c: Context, argv: Bytes[]): void {
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
export function hkeys(c: Context, argv: Bytes[]): void {
  const map = readHash(c, argv[1]!)?.map;
  const r = c.reply;
  r.array(map?.size ?? 0);
  if (map !== undefined) { for (const f of map.keys()) r.bulk(f); }
}

/** HVALS key */
export function hvals(c: Context, argv: Bytes[]): void {
  const map = readHash(c, argv[1]!)?.map;
  const r = c.reply;
  r.array(map?.size ?? 0);
  if (map !== undefined) { for (const v of map.values()) r.bulk(v); }
}
