/**
 * Building blocks shared by the list commands and their blocking variants:
 * typed lookup, argument parsing with Redis's error texts, and the pop /
 * move operations with their keyspace events.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { ListValue } from "./_value.ts";

/** The list at `key`, undefined when missing; throws WRONGTYPE. */
export function getList(c: Context, key: Bytes): ListValue | undefined {
  return c.db.getTyped<ListValue>(key, "list");
}

const NOT_INTEGER = new ReplyError(Err.notInteger);
const SYNTAX = new ReplyError(Err.syntax);

/** getLongFromObjectOrReply: an integer or `ERR value is not an integer...`. */
export function longArg(s: Bytes): number {
  const n = parseInteger(s);
  if (n === undefined) throw NOT_INTEGER;
  return n;
}

/**
 * getRangeLongFromObjectOrReply(min, LONG_MAX, msg): `msg` replaces both the
 * not-an-integer and the out-of-range error.
 */
export function rangeArg(s: Bytes, min: number, msg: string): number {
  const n = parseInteger(s);
  if (n === undefined || n < min) throw new ReplyError(msg);
  return n;
}

/** The first and last index of a range (see {@link clampRange}). */
export interface Span {
  from: number;
  to: number;
}

/**
 * Redis's index normalisation for a `start stop` range over `len`
 * elements (negative indexes count from the tail): writes the first and
 * last index inside the list to `out` (a caller's scratch object, so the
 * hot path allocates nothing); false when the range is empty.
 */
export function clampRange(start: number, end: number, len: number, out: Span): boolean {
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return false;
  out.from = start;
  out.to = end >= len ? len - 1 : end;
  return true;
}

/** LEFT / RIGHT (case-insensitive): true for LEFT; syntax error otherwise. */
export function whereArg(s: Bytes): boolean {
  const u = s.toUpperCase();
  if (u === "LEFT") return true;
  if (u === "RIGHT") return false;
  throw SYNTAX;
}

/**
 * Deletes an emptied list, with Redis's "del" event after the family event
 * (the removed elements were counted as changes, the deletion is not).
 */
export function deleteIfEmpty(c: Context, key: Bytes, l: ListValue): void {
  if (l.length === 0) {
    c.db.delete(key);
    c.changed(key, "del", "g", 0);
  }
}

/**
 * Pops one element from one end of a non-empty list, notifies `lpop` /
 * `rpop` and deletes the list when emptied. `counted` is false when
 * Redis counts no change: it serves a woken BLPOP or BRPOP so.
 */
export function popOne(
  c: Context,
  key: Bytes,
  l: ListValue,
  left: boolean,
  counted: boolean,
): Bytes {
  const v = (left ? l.popFront() : l.popBack())!;
  c.changed(key, left ? "lpop" : "rpop", "l", counted ? 1 : 0);
  deleteIfEmpty(c, key, l);
  return v;
}

/**
 * Pops up to `count` elements from one end of a non-empty list (in pop
 * order), notifies `lpop` / `rpop` and deletes the list when emptied.
 */
export function popMany(
  c: Context,
  key: Bytes,
  l: ListValue,
  left: boolean,
  count: number,
): Bytes[] {
  const n = Math.min(count, l.length);
  const out = new Array<Bytes>(n);
  for (let i = 0; i < n; i++) out[i] = (left ? l.popFront() : l.popBack())!;
  c.changed(key, left ? "lpop" : "rpop", "l", n);
  deleteIfEmpty(c, key, l);
  return out;
}

/** Which ends a move takes from and pushes to (LMOVE's LEFT|RIGHT pair). */
export interface MoveEnds {
  fromLeft: boolean;
  toLeft: boolean;
  /**
   * False when Redis counts no change: it serves a woken BLMOVE or
   * BRPOPLPUSH so. Default true.
   */
  counted?: boolean;
}

/**
 * LMOVE's core (lmoveGenericCommand): pops from a non-empty `src` and
 * pushes to `dst`, with Redis's event order (push on dst, pop on src, then
 * del). Throws WRONGTYPE before changing anything when `dst` is not a list.
 */
export function moveOne(
  c: Context,
  opts: MoveEnds & { src: Bytes; dst: Bytes; list: ListValue },
): Bytes {
  const { src, dst, list, fromLeft, toLeft } = opts;
  let target = getList(c, dst);
  const v = (fromLeft ? list.popFront() : list.popBack())!;
  if (target === undefined) {
    target = new ListValue();
    c.db.set(dst, target);
  }
  if (toLeft) target.pushFront(v);
  else target.pushBack(v);
  // One change in all, as Redis counts a move.
  c.changed(dst, toLeft ? "lpush" : "rpush", "l", opts.counted === false ? 0 : 1);
  c.changed(src, fromLeft ? "lpop" : "rpop", "l", 0);
  deleteIfEmpty(c, src, list);
  return v;
}

/** Parsed `numkeys key... LEFT|RIGHT [COUNT n]` of LMPOP / BLMPOP. */
export interface MpopArgs {
  keys: Bytes[];
  left: boolean;
  count: number;
}

/** Parses LMPOP's arguments from `numkeysIdx`, as lmpopGenericCommand does. */
export function parseMpop(argv: Bytes[], numkeysIdx: number): MpopArgs {
  const numkeys = rangeArg(argv[numkeysIdx]!, 1, "ERR numkeys should be greater than 0");
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) throw SYNTAX;
  const left = whereArg(argv[whereIdx]!);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && argv[j]!.toUpperCase() === "COUNT" && j + 1 < argv.length) {
      count = rangeArg(argv[++j]!, 1, "ERR count should be greater than 0");
    } else {
      throw SYNTAX;
    }
  }
  return {
    keys: argv.slice(numkeysIdx + 1, whereIdx),
    left,
    count: count === -1 ? 1 : count,
  };
}

/**
 * LMPOP's pop from the first non-empty key: replies `[key, [elements]]`,
 * propagates `LPOP|RPOP key n` (n = elements popped) and returns true; or
 * returns false, having written nothing, when every key is empty.
 */
export function mpopFirst(c: Context, args: MpopArgs): boolean {
  for (const key of args.keys) {
    const l = getList(c, key);
    if (l === undefined) continue;
    const items = popMany(c, key, l, args.left, args.count);
    c.propagate([args.left ? "LPOP" : "RPOP", key, String(items.length)]);
    const r = c.reply;
    r.array(2);
    r.bulk(key);
    r.bulkArray(items);
    return true;
  }
  return false;
}
