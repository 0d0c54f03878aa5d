/**
 * Set algebra: SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF
 * and SDIFFSTORE, as Redis 7.0's `sinterGenericCommand` and
 * `sunionDiffGenericCommand`: every source key is type-checked before
 * anything else, a missing key is an empty set, and a STORE whose result is
 * empty deletes its destination.
 *
 * Reply order follows Redis where Redis defines it: an intersection walks
 * the smallest set (ascending numbers when it is an intset); a union or
 * difference is built into a fresh set first, so an all-integer result
 * small enough to be an intset comes back sorted.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { type SetLimits, SetValue } from "./_value.ts";
import { replySet } from "./_commands.ts";

/** Looks up every key as a set (undefined when missing); WRONGTYPE first. */
function lookupAll(c: Context, names: readonly Bytes[]): (SetValue | undefined)[] {
  const out: (SetValue | undefined)[] = [];
  for (const k of names) out.push(c.db.getTyped<SetValue>(k, "set"));
  return out;
}

/**
 * The intersection's members, in Redis's order, stopping after `limit`
 * members (0: no limit). A missing set makes it empty.
 */
function intersect(sets: (SetValue | undefined)[], limit: number): Bytes[] {
  if (sets.some((s) => s === undefined)) return [];
  const sorted = (sets as SetValue[]).slice().sort((a, b) => a.length - b.length);
  const [first, ...rest] = sorted;
  const out: Bytes[] = [];
  outer: for (const m of first!.elements()) {
    for (let j = 0; j < rest.length; j++) if (!rest[j]!.has(m)) continue outer;
    out.push(m);
    if (out.length === limit) break;
  }
  return out;
}

/** Union (diff = false) or difference of the sets, as a fresh set. */
function unionDiff(
  sets: (SetValue | undefined)[],
  diff: boolean,
  maxIntset: number,
): SetValue {
  const out = new SetValue();
  if (!diff) {
    for (const s of sets) {
      if (s !== undefined) {
        for (const m of s.elements()) out.add(m, maxIntset);
      }
    }
    return out;
  }
  const [first, ...rest] = sets;
  if (first === undefined) return out;
  outer: for (const m of first.elements()) {
    for (const s of rest) if (s !== undefined && (s === first || s.has(m))) continue outer;
    out.add(m, maxIntset);
  }
  return out;
}

/**
 * Stores a STORE command's result: the new set (TTL cleared) with its
 * event, or, when empty, deletes the destination with a `del` event.
 */
function store(c: Context, dst: Bytes, result: SetValue, event: string): void {
  if (result.length !== 0) {
    c.db.set(dst, result);
    c.changed(dst, event, "s");
  } else if (c.db.delete(dst)) {
    c.changed(dst, "del", "g");
  }
  c.reply.integer(result.length);
}

/** SINTER key [key ...] */
export function sinter(c: Context, argv: Bytes[]): void {
  const r = intersect(lookupAll(c, argv.slice(1)), 0);
  replySet(c, r, r.length);
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit] */
export function sintercard(c: Context, argv: Bytes[]): void {
  const numkeys = parseInteger(argv[1]!);
  if (numkeys === undefined || numkeys < 1) {
    throw new ReplyError("ERR numkeys should be greater than 0");
  }
  if (numkeys > argv.length - 2) {
    throw new ReplyError("ERR Number of keys can't be greater than number of args");
  }
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if (argv[i]!.toLowerCase() === "limit" && i + 1 < argv.length) {
      const n = parseInteger(argv[++i]!);
      if (n === undefined || n < 0) throw new ReplyError("ERR LIMIT can't be negative");
      limit = n;
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  c.reply.integer(intersect(lookupAll(c, argv.slice(2, 2 + numkeys)), limit).length);
}

/** SINTERSTORE destination key [key ...] */
export function sinterstore(c: Context, argv: Bytes[], limits: SetLimits): void {
  const r = intersect(lookupAll(c, argv.slice(2)), 0);
  store(c, argv[1]!, SetValue.from(r, limits.maxIntset), "sinterstore");
}

/** SUNION key [key ...] */
export function sunion(c: Context, argv: Bytes[], limits: SetLimits): void {
  const r = unionDiff(lookupAll(c, argv.slice(1)), false, limits.maxIntset);
  replySet(c, r.elements(), r.length);
}

/** SUNIONSTORE destination key [key ...] */
export function sunionstore(c: Context, argv: Bytes[], limits: SetLimits): void {
  const r = unionDiff(lookupAll(c, argv.slice(2)), false, limits.maxIntset);
  store(c, argv[1]!, r, "sunionstore");
}

/** SDIFF key [key ...] */
export function sdiff(c: Context, argv: Bytes[], limits: SetLimits): void {
  const r = unionDiff(lookupAll(c, argv.slice(1)), true, limits.maxIntset);
  replySet(c, r.elements(), r.length);
}

/** SDIFFSTORE destination key [key ...] */
export function sdiffstore(c: Context, argv: Bytes[], limits: SetLimits): void {
  const r = unionDiff(lookupAll(c, argv.slice(2)), true, limits.maxIntset);
  store(c, argv[1]!, r, "sdiffstore");
}
