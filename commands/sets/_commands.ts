/**
 * Handlers of the single-key set commands and SMOVE (the multi-key algebra
 * is in `_ops.ts`), following Redis 7.0's t_set.c: replies, errors,
 * encodings, keyspace events, change counts and propagation (SPOP as SREM,
 * or DEL when it takes the whole set). Handlers that may grow a set take
 * the server's {@link SetLimits}.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseBigInteger, parseInteger } from "../../core/number.ts";
import { globMatch } from "../../core/glob.ts";
import { parseScanCursor, parseScanOptions } from "../../core/cursor.ts";
import { type SetLimits, SetValue } from "./_value.ts";

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
export function replySet(c: Context, items: Iterable<Bytes>, n: number): void {
  c.reply.set(n);
  for (const m of items) c.reply.bulk(m);
}

/** Removes an emptied set, with Redis's `del` event. */
function deleteIfEmpty(c: Context, key: Bytes, s: SetValue): void {
  if (s.length !== 0) return;
  c.db.delete(key);
  // Redis counts the removed members, not the deletion.
  c.changed(key, "del", "g", 0);
}

/** SADD key member [member ...] */
export function sadd(c: Context, argv: Bytes[], limits: SetLimits): void {
  const key = argv[1]!;
  let s = getSet(c, key);
  const fresh = s === undefined;
  s ??= new SetValue();
  const max = limits.maxIntset;
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (s.add(argv[i]!, max)) added++;
  if (fresh) c.db.set(key, s);
  if (added !== 0) c.changed(key, "sadd", "s", added);
  c.reply.integer(added);
}

/** SREM key member [member ...] */
export function srem(c: Context, argv: Bytes[]): void {
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
}

/** SMEMBERS key */
export function smembers(c: Context, argv: Bytes[]): void {
  const s = getSet(c, argv[1]!);
  if (s === undefined) c.reply.set(0);
  else replySet(c, s.elements(), s.length);
}

/** SISMEMBER key member */
export function sismember(c: Context, argv: Bytes[]): void {
  const s = getSet(c, argv[1]!);
  c.reply.integer(s !== undefined && s.has(argv[2]!) ? 1 : 0);
}

/** SMISMEMBER key member [member ...] */
export function smismember(c: Context, argv: Bytes[]): void {
  const s = getSet(c, argv[1]!);
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    c.reply.integer(s !== undefined && s.has(argv[i]!) ? 1 : 0);
  }
}

/** SCARD key */
export function scard(c: Context, argv: Bytes[]): void {
  c.reply.integer(getSet(c, argv[1]!)?.length ?? 0);
}

/** SPOP key [count] */
export function spop(c: Context, argv: Bytes[], limits: SetLimits): void {
  if (argv.length > 3) throw SYNTAX;
  if (argv.length === 3) return spopCount(c, argv, limits);
  const key = argv[1]!;
  const s = getSet(c, key);
  if (s === undefined) return c.reply.nullBulk();
  const m = s.pop();
  c.changed(key, "spop", "s");
  c.propagate(["SREM", key, m]);
  deleteIfEmpty(c, key, s);
  c.reply.bulk(m);
}

/** SPOP key count: Redis 7.0's spopWithCountCommand. */
function spopCount(c: Context, argv: Bytes[], limits: SetLimits): void {
  const n = parseInteger(argv[2]!);
  if (n === undefined || n < 0) throw NOT_POSITIVE;
  const key = argv[1]!;
  const s = getSet(c, key);
  if (s === undefined || n === 0) return c.reply.set(0);
  if (n >= s.length) {
    // The whole set: reply with it (built as a union of one set, so an
    // all-integer hashtable set replies sorted), delete, propagate as DEL.
    const all = [...(s.intset ? s : SetValue.from(s.elements(), limits.maxIntset)).elements()];
    c.changed(key, "spop", "s", all.length);
    c.db.delete(key);
    c.changed(key, "del", "g", 0);
    c.propagate(["DEL", key]);
    return replySet(c, all, all.length);
  }
  const popped = s.sample(n);
  for (let i = 0; i < popped.length; i++) s.delete(popped[i]!);
  c.changed(key, "spop", "s", n);
  // Redis 7.0 propagates one SREM per member (7.2 batches them).
  for (let i = 0; i < popped.length; i++) c.propagate(["SREM", key, popped[i]!]);
  replySet(c, popped, popped.length);
}

/** SRANDMEMBER key [count] */
export function srandmember(c: Context, argv: Bytes[]): void {
  if (argv.length > 3) throw SYNTAX;
  if (argv.length === 3) return srandmemberCount(c, argv);
  const s = getSet(c, argv[1]!);
  if (s === undefined) c.reply.nullBulk();
  else c.reply.bulk(s.random());
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

/** SMOVE source destination member */
export function smove(c: Context, argv: Bytes[], limits: SetLimits): void {
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
  if (target.add(m, limits.maxIntset)) c.changed(dstKey, "sadd", "s");
  c.reply.integer(1);
}

/** SSCAN key cursor [MATCH pattern] [COUNT count] */
export function sscan(c: Context, argv: Bytes[]): void {
  const cursor = parseScanCursor(argv[2]!);
  const s = getSet(c, argv[1]!);
  if (s === undefined) {
    c.reply.array(2);
    c.reply.bulk("0");
    c.reply.array(0);
    return;
  }
  const { count, pattern } = parseScanOptions(argv, 3);
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
