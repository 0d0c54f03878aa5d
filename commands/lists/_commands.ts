/**
 * Handlers of the non-blocking list commands, following Redis 7.0's
 * t_list.c: the order of argument checks, replies for missing keys, error
 * texts and keyspace events.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { ListValue } from "./_value.ts";
import {
  clampRange,
  deleteIfEmpty,
  getList,
  longArg,
  type MoveEnds,
  moveOne,
  mpopFirst,
  parseMpop,
  popMany,
  popOne,
  rangeArg,
  type Span,
  whereArg,
} from "./_ops.ts";

const SYNTAX = new ReplyError(Err.syntax);
/** Scratch for {@link clampRange}'s result. */
const SPAN: Span = { from: 0, to: 0 };
const MUST_BE_POSITIVE = "ERR value is out of range, must be positive";

function push(c: Context, argv: Bytes[], left: boolean, onlyExisting: boolean): void {
  const key = argv[1]!;
  let l = getList(c, key);
  if (l === undefined) {
    if (onlyExisting) {
      c.reply.integer(0);
      return;
    }
    l = new ListValue();
    c.db.set(key, l);
  }
  if (left) { for (let i = 2; i < argv.length; i++) l.pushFront(argv[i]!); }
  else for (let i = 2; i < argv.length; i++) l.pushBack(argv[i]!);
  c.changed(key, left ? "lpush" : "rpush", "l", argv.length - 2);
  c.reply.integer(l.length);
}

/** LPUSH key element [element ...] */
export const lpush = (c: Context, argv: Bytes[]): void => push(c, argv, true, false);
/** RPUSH key element [element ...] */
export const rpush = (c: Context, argv: Bytes[]): void => push(c, argv, false, false);
/** LPUSHX key element [element ...] */
export const lpushx = (c: Context, argv: Bytes[]): void => push(c, argv, true, true);
/** RPUSHX key element [element ...] */
export const rpushx = (c: Context, argv: Bytes[]): void => push(c, argv, false, true);

function pop(c: Context, argv: Bytes[], left: boolean): void {
  if (argv.length > 3) throw new ReplyError(Err.arity(argv[0]!.toLowerCase()));
  const hasCount = argv.length === 3;
  const count = hasCount ? rangeArg(argv[2]!, 0, MUST_BE_POSITIVE) : 1;
  const key = argv[1]!;
  const l = getList(c, key);
  const r = c.reply;
  if (l === undefined) {
    if (hasCount) r.nullArray();
    else r.nullBulk();
    return;
  }
  if (hasCount && count === 0) {
    r.array(0);
    return;
  }
  if (!hasCount) {
    r.bulk(popOne(c, key, l, left, true));
    return;
  }
  r.bulkArray(popMany(c, key, l, left, count));
}

/** LPOP key [count] */
export const lpop = (c: Context, argv: Bytes[]): void => pop(c, argv, true);
/** RPOP key [count] */
export const rpop = (c: Context, argv: Bytes[]): void => pop(c, argv, false);

/** LLEN key */
export function llen(c: Context, argv: Bytes[]): void {
  c.reply.integer(getList(c, argv[1]!)?.length ?? 0);
}

/** LRANGE key start stop */
export function lrange(c: Context, argv: Bytes[]): void {
  const start = longArg(argv[2]!), end = longArg(argv[3]!);
  const l = getList(c, argv[1]!);
  const r = c.reply;
  if (l === undefined || !clampRange(start, end, l.length, SPAN)) {
    r.array(0);
    return;
  }
  const { from, to } = SPAN;
  r.array(to - from + 1);
  l.writeRange(from, to, r);
}

/** LINDEX key index */
export function lindex(c: Context, argv: Bytes[]): void {
  const l = getList(c, argv[1]!);
  if (l === undefined) {
    c.reply.nullBulk();
    return;
  }
  let i = longArg(argv[2]!);
  if (i < 0) i += l.length;
  if (i < 0 || i >= l.length) c.reply.nullBulk();
  else c.reply.bulk(l.at(i));
}

/** LSET key index element */
export function lset(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  const l = getList(c, key);
  if (l === undefined) throw new ReplyError(Err.noSuchKey);
  let i = longArg(argv[2]!);
  if (i < 0) i += l.length;
  if (i < 0 || i >= l.length) throw new ReplyError("ERR index out of range");
  l.setAt(i, argv[3]!);
  c.changed(key, "lset", "l");
  c.reply.ok();
}

/** LREM key count element */
export function lrem(c: Context, argv: Bytes[]): void {
  const count = longArg(argv[2]!);
  const key = argv[1]!;
  const l = getList(c, key);
  if (l === undefined) {
    c.reply.integer(0);
    return;
  }
  const removed = l.removeEqual(argv[3]!, Math.abs(count), count < 0);
  if (removed !== 0) {
    c.changed(key, "lrem", "l", removed);
    deleteIfEmpty(c, key, l);
  }
  c.reply.integer(removed);
}

/** LTRIM key start stop */
export function ltrim(c: Context, argv: Bytes[]): void {
  const start = longArg(argv[2]!), end = longArg(argv[3]!);
  const key = argv[1]!;
  const l = getList(c, key);
  if (l === undefined) {
    c.reply.ok();
    return;
  }
  const len = l.length;
  const trimmed = clampRange(start, end, len, SPAN);
  const from = trimmed ? SPAN.from : 1, to = trimmed ? SPAN.to : 0;
  const kept = to - from + 1;
  // As Redis: the event and WATCH fire even when nothing goes, but only the
  // removed elements count as changes (so a no-op trim is not propagated).
  if (kept !== len) l.keepRange(from, to);
  c.changed(key, "ltrim", "l", len - kept);
  deleteIfEmpty(c, key, l);
  c.reply.ok();
}

/** LINSERT key BEFORE|AFTER pivot element */
export function linsert(c: Context, argv: Bytes[]): void {
  const where = argv[2]!.toUpperCase();
  if (where !== "BEFORE" && where !== "AFTER") throw SYNTAX;
  const key = argv[1]!;
  const l = getList(c, key);
  if (l === undefined) {
    c.reply.integer(0);
    return;
  }
  const at = l.indexOf(argv[3]!);
  if (at === -1) {
    c.reply.integer(-1);
    return;
  }
  l.insertAt(where === "AFTER" ? at + 1 : at, argv[4]!);
  c.changed(key, "linsert", "l");
  c.reply.integer(l.length);
}

const RANK_ZERO = "ERR RANK can't be zero: use 1 to start from the first match, " +
  "2 from the second ... or use negative to start from the end of the list";

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
export function lpos(c: Context, argv: Bytes[]): void {
  let rank = 1, count = -1, maxlen = 0, rankMin = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!.toUpperCase();
    const more = j + 1 < argv.length;
    if (opt === "RANK" && more) {
      const arg = argv[++j]!;
      rank = longArg(arg);
      // LONG_MIN stays negative when Redis negates it: every match from the
      // tail qualifies and COUNT's stop test overflows, so it never stops.
      rankMin = arg === "-9223372036854775808";
      if (rank === 0) throw new ReplyError(RANK_ZERO);
    } else if (opt === "COUNT" && more) {
      count = rangeArg(argv[++j]!, 0, "ERR COUNT can't be negative");
    } else if (opt === "MAXLEN" && more) {
      maxlen = rangeArg(argv[++j]!, 0, "ERR MAXLEN can't be negative");
    } else {
      throw SYNTAX;
    }
  }
  const l = getList(c, argv[1]!);
  const r = c.reply;
  if (l === undefined) {
    if (count !== -1) r.array(0);
    else r.nullBulk();
    return;
  }
  const ele = argv[2]!;
  const len = l.length;
  const fromTail = rank < 0;
  if (fromTail) rank = -rank;
  const found: number[] = [];
  let matches = 0;
  for (let n = 0; n < len && (maxlen === 0 || n < maxlen); n++) {
    const i = fromTail ? len - 1 - n : n;
    if (l.at(i) !== ele) continue;
    matches++;
    if (!rankMin && matches < rank) continue;
    found.push(i);
    if (count === -1 || (count !== 0 && !rankMin && found.length >= count)) break;
  }
  if (count !== -1) {
    r.array(found.length);
    for (const i of found) r.integer(i);
  } else if (found.length !== 0) {
    r.integer(found[0]!);
  } else {
    r.nullBulk();
  }
}

/** The shared body of LMOVE / RPOPLPUSH (and their blocking forms when data is there). */
export function lmoveGeneric(c: Context, argv: Bytes[], ends: MoveEnds): void {
  const src = argv[1]!, dst = argv[2]!;
  const list = getList(c, src);
  if (list === undefined) {
    c.reply.nullBulk();
    return;
  }
  c.reply.bulk(moveOne(c, { ...ends, src, dst, list }));
}

/** LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
export function lmove(c: Context, argv: Bytes[]): void {
  lmoveGeneric(c, argv, { fromLeft: whereArg(argv[3]!), toLeft: whereArg(argv[4]!) });
}

const RPOPLPUSH: MoveEnds = { fromLeft: false, toLeft: true };

/** RPOPLPUSH source destination */
export function rpoplpush(c: Context, argv: Bytes[]): void {
  lmoveGeneric(c, argv, RPOPLPUSH);
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
export function lmpop(c: Context, argv: Bytes[]): void {
  const args = parseMpop(argv, 1);
  if (!mpopFirst(c, args)) c.reply.nullArray();
}
