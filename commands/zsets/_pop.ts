/**
 * Pops (ZPOPMIN/ZPOPMAX, ZMPOP and the blocking BZPOPMIN/BZPOPMAX/BZMPOP),
 * ZRANDMEMBER and ZSCAN.
 *
 * Pops are propagated as Redis 7.0 does: BZPOPMIN/BZPOPMAX as
 * `ZPOPMIN|ZPOPMAX key`, ZMPOP/BZMPOP as `ZPOPMIN|ZPOPMAX key <popped>`.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { formatDouble, intArg, parseInteger } from "../../core/number.ts";
import { parseTimeout } from "../../core/blocking.ts";
import { globMatch } from "../../core/glob.ts";
import { parseScanCursor, parseScanOptions } from "../../core/cursor.ts";
import { deleteIfEmpty, readZset } from "./_commands.ts";
import type { ZSetObject } from "./_value.ts";
import type { ZCursor } from "./_btree.ts";

const LONG_MAX = 9223372036854775807n;

/** Reply shapes of the pop commands. */
interface PopShape {
  /** ZMPOP/BZMPOP: `[key, [[member, score], ...]]`. */
  withKey: boolean;
  /** Pairs as nested arrays (RESP3 with a count, and always for ZMPOP). */
  nested: boolean;
  /** Null array instead of an empty array when no key holds data. */
  nilWhenEmpty: boolean;
}

/**
 * Redis's genericZpopCommand over the first existing key. `count` -1 means
 * "not given". Returns the key popped from and how many, or undefined.
 */
function zpop(
  c: Context,
  keys: readonly Bytes[],
  max: boolean,
  count: number,
  shape: PopShape,
): [Bytes, number] | undefined {
  let z: ZSetObject | undefined;
  let key = "";
  for (const k of keys) {
    z = readZset(c, k);
    if (z !== undefined) {
      key = k;
      break;
    }
  }
  const r = c.reply;
  if (z === undefined) {
    if (shape.nilWhenEmpty) r.nullArray();
    else r.array(0);
    return undefined;
  }
  if (count === 0) {
    r.array(0);
    return undefined;
  }
  if (count === -1) count = 1;
  const n = Math.min(count, z.length);
  if (shape.withKey) {
    r.array(2);
    r.bulk(key);
  }
  r.array(shape.nested ? n : n * 2);
  const first = max ? z.length - n : 0;
  const cur = z.tree.seek(max ? z.length - 1 : 0)!;
  for (let i = 0; i < n; i++) {
    if (shape.nested) r.array(2);
    r.bulk(cur.member);
    r.double(cur.score);
    if (max) cur.prev();
    else cur.next();
  }
  z.removeRange(first, n);
  c.changed(key, max ? "zpopmax" : "zpopmin", "z", n);
  deleteIfEmpty(c, key, z);
  return [key, n];
}

/** ZPOPMIN / ZPOPMAX key [count] */
function zpopGeneric(c: Context, argv: Bytes[], max: boolean): void {
  if (argv.length > 3) throw new ReplyError(Err.syntax);
  let count = -1;
  if (argv.length === 3) {
    const n = parseInteger(argv[2]!);
    if (n === undefined || n < 0) {
      throw new ReplyError("ERR value is out of range, must be positive");
    }
    count = n;
  }
  zpop(c, [argv[1]!], max, count, {
    withKey: false,
    nested: c.reply.resp === 3 && count !== -1,
    nilWhenEmpty: false,
  });
}

/** ZPOPMIN key [count] */
export const zpopmin = (c: Context, argv: Bytes[]): void => zpopGeneric(c, argv, false);
/** ZPOPMAX key [count] */
export const zpopmax = (c: Context, argv: Bytes[]): void => zpopGeneric(c, argv, true);

/** BZPOPMIN / BZPOPMAX key [key ...] timeout */
function bzpopGeneric(c: Context, argv: Bytes[], max: boolean): void {
  const timeoutMs = parseTimeout(argv[argv.length - 1]!, "seconds");
  const keys = argv.slice(1, -1);
  for (const k of keys) {
    const z = readZset(c, k);
    if (z === undefined || z.length === 0) continue;
    const rank = max ? z.length - 1 : 0;
    const node = z.tree.seek(rank)!;
    const r = c.reply;
    r.array(3);
    r.bulk(k);
    r.bulk(node.member);
    r.double(node.score);
    z.removeRange(rank, 1);
    c.changed(k, max ? "zpopmax" : "zpopmin", "z");
    deleteIfEmpty(c, k, z);
    c.propagate([max ? "ZPOPMAX" : "ZPOPMIN", k]);
    return;
  }
  c.block({ keys, timeoutMs, type: "zset" });
}

/** BZPOPMIN key [key ...] timeout */
export const bzpopmin = (c: Context, argv: Bytes[]): void => bzpopGeneric(c, argv, false);
/** BZPOPMAX key [key ...] timeout */
export const bzpopmax = (c: Context, argv: Bytes[]): void => bzpopGeneric(c, argv, true);

/** Parses `numkeys key... MIN|MAX [COUNT n]` from `numkeysIndex`. */
function parseMpop(argv: Bytes[], numkeysIndex: number) {
  const numkeys = parseInteger(argv[numkeysIndex]!);
  if (numkeys === undefined || numkeys < 1) {
    throw new ReplyError("ERR numkeys should be greater than 0");
  }
  const whereIdx = numkeysIndex + numkeys + 1;
  if (whereIdx >= argv.length) throw new ReplyError(Err.syntax);
  const where = argv[whereIdx]!.toLowerCase();
  if (where !== "min" && where !== "max") throw new ReplyError(Err.syntax);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && argv[j]!.toLowerCase() === "count" && j + 1 < argv.length) {
      j++;
      const n = parseInteger(argv[j]!);
      if (n === undefined || n < 1) throw new ReplyError("ERR count should be greater than 0");
      count = n;
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  return {
    keys: argv.slice(numkeysIndex + 1, whereIdx),
    max: where === "max",
    count: count === -1 ? 1 : count,
  };
}

const MPOP_SHAPE: PopShape = { withKey: true, nested: true, nilWhenEmpty: true };

function propagateMpop(c: Context, max: boolean, popped: [Bytes, number] | undefined): void {
  if (popped !== undefined) {
    c.propagate([max ? "ZPOPMAX" : "ZPOPMIN", popped[0], String(popped[1])]);
  }
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
export function zmpop(c: Context, argv: Bytes[]): void {
  const p = parseMpop(argv, 1);
  propagateMpop(c, p.max, zpop(c, p.keys, p.max, p.count, MPOP_SHAPE));
}

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
export function bzmpop(c: Context, argv: Bytes[]): void {
  const p = parseMpop(argv, 2);
  const timeoutMs = parseTimeout(argv[1]!, "seconds");
  for (const k of p.keys) {
    const z = readZset(c, k);
    if (z === undefined || z.length === 0) continue;
    propagateMpop(c, p.max, zpop(c, [k], p.max, p.count, MPOP_SHAPE));
    return;
  }
  c.block({ keys: p.keys, timeoutMs, type: "zset" });
}

function randomNode(z: ZSetObject): ZCursor {
  return z.tree.seek(Math.floor(Math.random() * z.length))!;
}

function replyPair(c: Context, member: Bytes, score: number, withscores: boolean): void {
  if (withscores && c.reply.resp === 3) c.reply.array(2);
  c.reply.bulk(member);
  if (withscores) c.reply.double(score);
}

/** ZRANDMEMBER key [count [WITHSCORES]] */
export function zrandmember(c: Context, argv: Bytes[]): void {
  if (argv.length === 2) {
    const z = readZset(c, argv[1]!);
    if (z === undefined) c.reply.nullBulk();
    else c.reply.bulk(randomNode(z).member);
    return;
  }
  if (argv[2] === "-9223372036854775808") {
    throw new ReplyError(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  }
  let count = intArg(argv[2]!);
  let withscores = false;
  if (argv.length > 4 || (argv.length === 4 && argv[3]!.toLowerCase() !== "withscores")) {
    throw new ReplyError(Err.syntax);
  } else if (argv.length === 4) {
    withscores = true;
    const big = BigInt(argv[2]!);
    if (big < -LONG_MAX / 2n || big > LONG_MAX / 2n) {
      throw new ReplyError("ERR value is out of range");
    }
  }
  const z = readZset(c, argv[1]!);
  const r = c.reply;
  if (z === undefined || count === 0) {
    r.array(0);
    return;
  }
  const unique = count > 0;
  if (!unique) count = -count;
  const size = z.length;
  const width = withscores && r.resp === 2 ? 2 : 1;
  if (!unique || count === 1) {
    r.array(count * width);
    for (let i = 0; i < count; i++) {
      const n = randomNode(z);
      replyPair(c, n.member, n.score, withscores);
    }
    return;
  }
  if (count >= size) {
    r.array(size * width);
    z.tree.forEach((member, score) => replyPair(c, member, score, withscores));
    return;
  }
  // Distinct random ranks: a partial Fisher-Yates over rank numbers.
  const picked = new Map<number, number>();
  r.array(count * width);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const vj = picked.get(j) ?? j;
    picked.set(j, picked.get(i) ?? i);
    const n = z.tree.seek(vj)!;
    replyPair(c, n.member, n.score, withscores);
  }
}

/** ZSCAN key cursor [MATCH pattern] [COUNT count] */
export function zscan(c: Context, argv: Bytes[]): void {
  const cursor = parseScanCursor(argv[2]!);
  const z = readZset(c, argv[1]!);
  const r = c.reply;
  if (z === undefined) {
    r.array(2);
    r.bulk("0");
    r.array(0);
    return;
  }
  const { count, pattern } = parseScanOptions(argv, 3);
  let items: [Bytes, number][];
  let next = "0";
  if (z.listpack) {
    // A listpack is returned whole in one call, as Redis does.
    items = [...z.entries()];
  } else {
    const page = c.server.keyspace.cursors.scan(z.dict, cursor, count, () => z.dict.entries());
    items = page.items;
    next = page.cursor;
  }
  if (pattern !== undefined) items = items.filter(([m]) => globMatch(pattern, m));
  r.array(2);
  r.bulk(next);
  r.array(items.length * 2);
  for (const [m, s] of items) {
    r.bulk(m);
    // Scores are strings here even in RESP3, as in Redis.
    r.bulk(formatDouble(s));
  }
}
