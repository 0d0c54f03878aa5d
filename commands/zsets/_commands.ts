/**
 * Sorted-set command handlers: ZADD/ZINCRBY, lookups (ZSCORE, ZRANK...),
 * counts, removal and the ZRANGE family, with Redis 7.0's argument order,
 * replies and errors.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { intArg } from "../../core/number.ts";
import { AddResult, buildZset, type ZaddFlags, type ZsetLimits, ZSetObject } from "./_value.ts";
import type { ZCursor } from "./_btree.ts";
import {
  lexGteMin,
  lexLteMax,
  parseLexRange,
  parseScoreRange,
  scoreArg,
  scoreGteMin,
  scoreLteMax,
} from "./_range.ts";

/** Looks a sorted set up; WRONGTYPE for other types. */
export function readZset(c: Context, key: Bytes): ZSetObject | undefined {
  return c.db.getTyped<ZSetObject>(key, "zset");
}

/** Deletes a key its last removal emptied, with Redis's `del` event. */
export function deleteIfEmpty(c: Context, key: Bytes, z: ZSetObject): void {
  if (z.length !== 0) return;
  c.db.delete(key);
  // Redis counts the removed elements, not the key deletion.
  c.changed(key, "del", "g", 0);
}

/** Elements picked by a range, in reply order (parallel arrays). */
export interface Picked {
  members: Bytes[];
  scores: number[];
}

/** Writes members with optional scores: flat in RESP2, pairs in RESP3. */
export function replyPicked(c: Context, p: Picked, withscores: boolean): void {
  const r = c.reply;
  const { members, scores } = p;
  const n = members.length;
  if (!withscores) {
    r.array(n);
    for (let i = 0; i < n; i++) r.bulk(members[i]!);
  } else if (r.resp === 2) {
    r.array(n * 2);
    for (let i = 0; i < n; i++) {
      r.bulk(members[i]!);
      r.double(scores[i]!);
    }
  } else {
    r.array(n);
    for (let i = 0; i < n; i++) {
      r.array(2);
      r.bulk(members[i]!);
      r.double(scores[i]!);
    }
  }
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...; ZINCRBY key incr member. */
function zaddGeneric(c: Context, argv: Bytes[], zincrby: boolean, limits: ZsetLimits): void {
  const f: ZaddFlags = { incr: zincrby, nx: false, xx: false, gt: false, lt: false };
  let ch = false;
  let i = 2;
  const argc = argv.length;
  if (!zincrby) {
    for (; i < argc; i++) {
      // A score (a digit, sign or dot first) ends the options: no
      // lower-cased copy of it.
      if (argv[i]!.charCodeAt(0) <= 57) break;
      const o = argv[i]!.toLowerCase();
      if (o === "nx") f.nx = true;
      else if (o === "xx") f.xx = true;
      else if (o === "ch") ch = true;
      else if (o === "incr") f.incr = true;
      else if (o === "gt") f.gt = true;
      else if (o === "lt") f.lt = true;
      else break;
    }
  }
  const elements = argc - i;
  if (elements === 0 || (elements & 1) === 1) throw new ReplyError(Err.syntax);
  const n = elements >> 1;
  if (f.nx && f.xx) {
    throw new ReplyError("ERR XX and NX options at the same time are not compatible");
  }
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    throw new ReplyError("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (f.incr && n > 1) {
    throw new ReplyError("ERR INCR option supports a single increment-element pair");
  }
  // Every score is checked before anything changes (one pair, the usual
  // case, needs no array).
  const first = scoreArg(argv[i]!);
  let scores: number[] | undefined;
  if (n > 1) {
    scores = new Array<number>(n);
    scores[0] = first;
    for (let k = 1; k < n; k++) scores[k] = scoreArg(argv[i + 2 * k]!);
  }
  const key = argv[1]!;
  let z = readZset(c, key);
  if (z === undefined) {
    if (f.xx) {
      if (f.incr) c.reply.nullBulk();
      else c.reply.integer(0);
      return;
    }
    z = new ZSetObject(limits.entries !== 0 && argv[i + 1]!.length <= limits.value);
    c.db.set(key, z);
  }
  let added = 0, updated = 0, processed = 0;
  for (let k = 0; k < n; k++) {
    const res = z.add(k === 0 ? first : scores![k]!, argv[i + 2 * k + 1]!, f, limits);
    if (res === AddResult.Nan) {
      throw new ReplyError("ERR resulting score is not a number (NaN)");
    }
    if (res === AddResult.Added) added++;
    else if (res === AddResult.Updated) updated++;
    if (res !== AddResult.Nop) processed++;
  }
  if (added + updated !== 0) c.changed(key, f.incr ? "zincr" : "zadd", "z", added + updated);
  if (f.incr) {
    if (processed !== 0) c.reply.double(z.newScore);
    else c.reply.nullBulk();
  } else {
    c.reply.integer(ch ? added + updated : added);
  }
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
export function zadd(c: Context, argv: Bytes[], limits: ZsetLimits): void {
  zaddGeneric(c, argv, false, limits);
}

/** ZINCRBY key increment member */
export function zincrby(c: Context, argv: Bytes[], limits: ZsetLimits): void {
  zaddGeneric(c, argv, true, limits);
}

/** ZREM key member [member ...] */
export function zrem(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  const z = readZset(c, key);
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (z.remove(argv[i]!)) deleted++;
    if (z.length === 0) break;
  }
  if (deleted !== 0) {
    c.changed(key, "zrem", "z", deleted);
    deleteIfEmpty(c, key, z);
  }
  c.reply.integer(deleted);
}

/** ZSCORE key member */
export function zscore(c: Context, argv: Bytes[]): void {
  const s = readZset(c, argv[1]!)?.dict.get(argv[2]!);
  if (s === undefined) c.reply.nullBulk();
  else c.reply.double(s);
}

/** ZMSCORE key member [member ...] */
export function zmscore(c: Context, argv: Bytes[]): void {
  const z = readZset(c, argv[1]!);
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const s = z?.dict.get(argv[i]!);
    if (s === undefined) c.reply.nullBulk();
    else c.reply.double(s);
  }
}

/** ZCARD key */
export function zcard(c: Context, argv: Bytes[]): void {
  c.reply.integer(readZset(c, argv[1]!)?.length ?? 0);
}

/** ZRANK / ZREVRANK key member */
function zrankGeneric(c: Context, argv: Bytes[], rev: boolean): void {
  const z = readZset(c, argv[1]!);
  const s = z?.dict.get(argv[2]!);
  if (z === undefined || s === undefined) {
    c.reply.nullBulk();
    return;
  }
  const rank = z.tree.rankOf(s, argv[2]!);
  c.reply.integer(rev ? z.length - 1 - rank : rank);
}

/** ZRANK key member */
export const zrank = (c: Context, argv: Bytes[]): void => zrankGeneric(c, argv, false);
/** ZREVRANK key member */
export const zrevrank = (c: Context, argv: Bytes[]): void => zrankGeneric(c, argv, true);

/** ZCOUNT key min max */
export function zcount(c: Context, argv: Bytes[]): void {
  const range = parseScoreRange(argv[2]!, argv[3]!);
  const z = readZset(c, argv[1]!);
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  const first = z.tree.firstInScoreRange(range);
  if (first === null) {
    c.reply.integer(0);
    return;
  }
  const last = z.tree.lastInScoreRange(range)!;
  c.reply.integer(last.rank - first.rank + 1);
}

/** ZLEXCOUNT key min max */
export function zlexcount(c: Context, argv: Bytes[]): void {
  const range = parseLexRange(argv[2]!, argv[3]!);
  const z = readZset(c, argv[1]!);
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  const first = z.tree.firstInLexRange(range);
  if (first === null) {
    c.reply.integer(0);
    return;
  }
  const last = z.tree.lastInLexRange(range)!;
  c.reply.integer(last.rank - first.rank + 1);
}

/**
 * Normalises a rank range as Redis does: `[first rank, count]` in forward
 * order (for REV, ranks count from the end), or undefined when empty.
 */
function rankSpan(
  z: ZSetObject,
  start: number,
  end: number,
  rev: boolean,
): [number, number] | undefined {
  const llen = z.length;
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return undefined;
  if (end >= llen) end = llen - 1;
  return [rev ? llen - 1 - end : start, end - start + 1];
}

/** Elements between two ranks (Redis's index normalisation). */
function byRank(z: ZSetObject, start: number, end: number, rev: boolean): Picked {
  const out: Picked = { members: [], scores: [] };
  const span = rankSpan(z, start, end, rev);
  if (span === undefined) return out;
  const [first, count] = span;
  const cur = z.tree.seek(rev ? first + count - 1 : first)!;
  for (let k = 0; k < count; k++) {
    out.members.push(cur.member);
    out.scores.push(cur.score);
    if (rev) cur.prev();
    else cur.next();
  }
  return out;
}

type Range =
  | { type: "rank"; start: number; end: number }
  | { type: "score"; range: ReturnType<typeof parseScoreRange> }
  | { type: "lex"; range: ReturnType<typeof parseLexRange> };

/** Walks a score or lex range with LIMIT's offset and count. */
function byRange(
  z: ZSetObject,
  r: Exclude<Range, { type: "rank" }>,
  offset: number,
  limit: number,
  rev: boolean,
): Picked {
  const out: Picked = { members: [], scores: [] };
  if (offset > 0 && offset >= z.length) return out;
  const tree = z.tree;
  let n: ZCursor | null;
  if (r.type === "score") {
    n = rev ? tree.lastInScoreRange(r.range) : tree.firstInScoreRange(r.range);
  } else {
    n = rev ? tree.lastInLexRange(r.range) : tree.firstInLexRange(r.range);
  }
  // A negative offset skips everything, as Redis's `while (ln && offset--)`.
  if (offset < 0) n = null;
  for (; n !== null && offset > 0; offset--) if (!(rev ? n.prev() : n.next())) n = null;
  while (n !== null && limit !== 0) {
    let inside: boolean;
    if (r.type === "score") {
      inside = rev ? scoreGteMin(n.score, r.range) : scoreLteMax(n.score, r.range);
    } else {
      inside = rev ? lexGteMin(n.member, r.range) : lexLteMax(n.member, r.range);
    }
    if (!inside) break;
    out.members.push(n.member);
    out.scores.push(n.score);
    limit--;
    if (!(rev ? n.prev() : n.next())) n = null;
  }
  return out;
}

/** How a ZRANGE-family command was called. */
interface ZrangeCall {
  /** Index of the source key in argv. */
  keyIndex: number;
  /** Preset by ZRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGE... */
  type?: "rank" | "score" | "lex";
  rev?: boolean;
  /** ZRANGESTORE: the server's thresholds, for the set it stores. */
  store?: ZsetLimits;
}

/** Redis's zrangeGenericCommand. */
function zrangeGeneric(c: Context, argv: Bytes[], call: ZrangeCall): void {
  const store = call.store !== undefined;
  let type = call.type;
  let rev = call.rev;
  let withscores = false;
  let offset = 0, limit = -1;
  for (let j = call.keyIndex + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const o = argv[j]!.toLowerCase();
    if (!store && o === "withscores") {
      withscores = true;
    } else if (o === "limit" && left >= 2) {
      offset = intArg(argv[j + 1]!);
      limit = intArg(argv[j + 2]!);
      j += 2;
    } else if (rev === undefined && o === "rev") {
      rev = true;
    } else if (type === undefined && o === "bylex") {
      type = "lex";
    } else if (type === undefined && o === "byscore") {
      type = "score";
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  rev ??= false;
  type ??= "rank";
  if (limit !== -1 && type === "rank") {
    throw new ReplyError(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
  }
  if (withscores && type === "lex") {
    throw new ReplyError("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  let minIdx = call.keyIndex + 1, maxIdx = call.keyIndex + 2;
  if (rev && type !== "rank") [minIdx, maxIdx] = [maxIdx, minIdx];
  let range: Range;
  if (type === "rank") {
    range = { type, start: intArg(argv[minIdx]!), end: intArg(argv[maxIdx]!) };
  } else if (type === "score") {
    range = { type, range: parseScoreRange(argv[minIdx]!, argv[maxIdx]!) };
  } else {
    range = { type, range: parseLexRange(argv[minIdx]!, argv[maxIdx]!) };
  }
  const z = readZset(c, argv[call.keyIndex]!);
  let picked: Picked = { members: [], scores: [] };
  if (z !== undefined) {
    picked = range.type === "rank"
      ? byRank(z, range.start, range.end, rev)
      : byRange(z, range, offset, limit, rev);
  }
  if (!store) {
    replyPicked(c, picked, withscores);
    return;
  }
  const dst = argv[1]!;
  const n = picked.members.length;
  if (n !== 0) {
    const items: [Bytes, number][] = picked.members.map((m, i) => [m, picked.scores[i]!]);
    c.db.set(dst, buildZset(items, call.store!));
    c.changed(dst, "zrangestore", "z");
  } else if (c.db.delete(dst)) {
    c.changed(dst, "del", "g");
  }
  c.reply.integer(n);
}

const RANGE: ZrangeCall = { keyIndex: 1 };
const BY_SCORE: ZrangeCall = { keyIndex: 1, type: "score", rev: false };
const REV_BY_SCORE: ZrangeCall = { keyIndex: 1, type: "score", rev: true };
const BY_LEX: ZrangeCall = { keyIndex: 1, type: "lex", rev: false };
const REV_BY_LEX: ZrangeCall = { keyIndex: 1, type: "lex", rev: true };
const REV_BY_RANK: ZrangeCall = { keyIndex: 1, type: "rank", rev: true };

/** ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
export const zrange = (c: Context, argv: Bytes[]): void => zrangeGeneric(c, argv, RANGE);
/** ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
export const zrangebyscore = (c: Context, argv: Bytes[]): void => zrangeGeneric(c, argv, BY_SCORE);
/** ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
export const zrevrangebyscore = (c: Context, argv: Bytes[]): void =>
  zrangeGeneric(c, argv, REV_BY_SCORE);
/** ZRANGEBYLEX key min max [LIMIT offset count] */
export const zrangebylex = (c: Context, argv: Bytes[]): void => zrangeGeneric(c, argv, BY_LEX);
/** ZREVRANGEBYLEX key max min [LIMIT offset count] */
export const zrevrangebylex = (c: Context, argv: Bytes[]): void =>
  zrangeGeneric(c, argv, REV_BY_LEX);
/** ZREVRANGE key start stop [WITHSCORES] */
export const zrevrange = (c: Context, argv: Bytes[]): void => zrangeGeneric(c, argv, REV_BY_RANK);

/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
export function zrangestore(c: Context, argv: Bytes[], limits: ZsetLimits): void {
  zrangeGeneric(c, argv, { keyIndex: 2, store: limits });
}

/** ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key min max */
function zremrangeGeneric(c: Context, argv: Bytes[], type: Range["type"]): void {
  let range: Range;
  if (type === "rank") {
    range = { type, start: intArg(argv[2]!), end: intArg(argv[3]!) };
  } else if (type === "score") {
    range = { type, range: parseScoreRange(argv[2]!, argv[3]!) };
  } else {
    range = { type, range: parseLexRange(argv[2]!, argv[3]!) };
  }
  const key = argv[1]!;
  const z = readZset(c, key);
  if (z === undefined) {
    c.reply.integer(0);
    return;
  }
  let first = 0, count = 0;
  if (range.type === "rank") {
    const span = rankSpan(z, range.start, range.end, false);
    if (span !== undefined) [first, count] = span;
  } else {
    // From the first element in range, while inside (as Redis walks it).
    const n = range.type === "score"
      ? z.tree.firstInScoreRange(range.range)
      : z.tree.firstInLexRange(range.range);
    if (n !== null) {
      first = n.rank;
      do {
        const inside = range.type === "score"
          ? scoreLteMax(n.score, range.range)
          : lexLteMax(n.member, range.range);
        if (!inside) break;
        count++;
      } while (n.next());
    }
  }
  if (count !== 0) {
    z.removeRange(first, count);
    c.changed(key, `zremrangeby${type}`, "z", count);
    deleteIfEmpty(c, key, z);
  }
  c.reply.integer(count);
}

/** ZREMRANGEBYRANK key start stop */
export const zremrangebyrank = (c: Context, argv: Bytes[]): void =>
  zremrangeGeneric(c, argv, "rank");
/** ZREMRANGEBYSCORE key min max */
export const zremrangebyscore = (c: Context, argv: Bytes[]): void =>
  zremrangeGeneric(c, argv, "score");
/** ZREMRANGEBYLEX key min max */
export const zremrangebylex = (c: Context, argv: Bytes[]): void => zremrangeGeneric(c, argv, "lex");
