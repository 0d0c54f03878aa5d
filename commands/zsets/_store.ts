/**
 * ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD: Redis's
 * zunionInterDiffGenericCommand, with its argument order, its errors, plain
 * sets accepted as inputs (every member scoring 1) and its arithmetic
 * (a NaN from `inf * 0` or `inf + -inf` counts as 0).
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { type ElementsView, viewOf } from "../../core/keyspace.ts";
import { Err, ReplyError, WRONGTYPE } from "../../core/errors.ts";
import { intArg, parseInteger } from "../../core/number.ts";
import { buildZset, type ZsetLimits, ZSetObject } from "./_value.ts";
import { scoreArg } from "./_range.ts";

/** The set operation. */
export type SetOp = "union" | "inter" | "diff";

type Aggregate = "sum" | "min" | "max";

/** One input: a sorted set, a plain set, or a missing key. */
interface Source {
  z: ZSetObject | undefined;
  set: ElementsView | undefined;
  /** A plain set's members, built when a lookup needs them. */
  members: Set<Bytes> | undefined;
  weight: number;
  size: number;
}

function* iterate(s: Source): Iterable<[Bytes, number]> {
  if (s.z !== undefined) {
    yield* s.z.entries();
  } else if (s.set !== undefined) {
    for (const m of s.set.elements()) yield [m, 1];
  }
}

function find(s: Source, member: Bytes): number | undefined {
  if (s.z !== undefined) return s.z.dict.get(member);
  if (s.set === undefined) return undefined;
  s.members ??= new Set(s.set.elements());
  return s.members.has(member) ? 1 : undefined;
}

function aggregate(target: number, val: number, agg: Aggregate): number {
  if (agg === "sum") {
    const r = target + val;
    return Number.isNaN(r) ? 0 : r;
  }
  if (agg === "min") return val < target ? val : target;
  return val > target ? val : target;
}

/** Which command of the family runs. */
export interface SetOpOptions {
  op: SetOp;
  /** The STORE forms: the destination is the first argument. */
  store?: boolean;
  /** ZINTERCARD: count only. */
  cardOnly?: boolean;
  /** The server's thresholds, for a stored result. */
  limits: ZsetLimits;
}

/** Runs ZUNION, ZINTER, ZDIFF, their STORE forms or ZINTERCARD. */
export function zsetOperation(c: Context, argv: Bytes[], o: SetOpOptions): void {
  const numkeysIndex = o.store ? 2 : 1;
  const numkeys = intArg(argv[numkeysIndex]!);
  if (numkeys < 1) {
    throw new ReplyError(
      `ERR at least 1 input key is needed for '${argv[0]!.toLowerCase()}' command`,
    );
  }
  if (numkeys > argv.length - (numkeysIndex + 1)) throw new ReplyError(Err.syntax);
  const src: Source[] = [];
  let j = numkeysIndex + 1;
  for (let i = 0; i < numkeys; i++, j++) {
    const v = c.db.get(argv[j]!);
    const s: Source = { z: undefined, set: undefined, members: undefined, weight: 1, size: 0 };
    if (v instanceof ZSetObject) {
      s.z = v;
      s.size = v.length;
    } else if (v !== undefined) {
      // A plain set takes part with every member scoring 1.
      s.set = viewOf(v, "set");
      if (s.set === undefined) throw WRONGTYPE;
      s.size = s.set.length;
    }
    src.push(s);
  }
  let agg: Aggregate = "sum";
  let withscores = false;
  let limit = 0;
  const argc = argv.length;
  while (j < argc) {
    const remaining = argc - j;
    const opt = argv[j]!.toLowerCase();
    const full = o.op !== "diff" && !o.cardOnly;
    if (full && remaining >= numkeys + 1 && opt === "weights") {
      j++;
      for (let i = 0; i < numkeys; i++, j++) {
        src[i]!.weight = scoreArg(argv[j]!, "ERR weight value is not a float");
      }
    } else if (full && remaining >= 2 && opt === "aggregate") {
      const a = argv[j + 1]!.toLowerCase();
      if (a !== "sum" && a !== "min" && a !== "max") throw new ReplyError(Err.syntax);
      agg = a;
      j += 2;
    } else if (!o.store && !o.cardOnly && opt === "withscores") {
      withscores = true;
      j++;
    } else if (o.cardOnly && remaining >= 2 && opt === "limit") {
      const n = parseInteger(argv[j + 1]!);
      if (n === undefined || n < 0) throw new ReplyError("ERR LIMIT can't be negative");
      limit = n;
      j += 2;
    } else {
      throw new ReplyError(Err.syntax);
    }
  }

  // Redis orders union and intersection inputs by size (a stable sort here,
  // as glibc's qsort is for small arrays); the difference keeps its first.
  if (o.op !== "diff") src.sort((a, b) => a.size - b.size);

  if (o.cardOnly) {
    c.reply.integer(interCard(src, limit));
    return;
  }
  const result = new Map<Bytes, number>();
  if (o.op === "inter") {
    const first = src[0]!;
    if (first.size > 0) {
      outer: for (const [m, s0] of iterate(first)) {
        let score = first.weight * s0;
        if (Number.isNaN(score)) score = 0;
        for (let i = 1; i < src.length; i++) {
          const other = src[i]!;
          const v = find(other, m);
          if (v === undefined) continue outer;
          score = aggregate(score, v * other.weight, agg);
        }
        result.set(m, score);
      }
    }
  } else if (o.op === "union") {
    for (const s of src) {
      if (s.size === 0) continue;
      for (const [m, v] of iterate(s)) {
        let score = s.weight * v;
        if (Number.isNaN(score)) score = 0;
        const cur = result.get(m);
        result.set(m, cur === undefined ? score : aggregate(cur, score, agg));
      }
    }
  } else {
    const first = src[0]!;
    if (first.size > 0) {
      outer: for (const [m, v] of iterate(first)) {
        for (let i = 1; i < src.length; i++) {
          if (find(src[i]!, m) !== undefined) continue outer;
        }
        result.set(m, v);
      }
    }
  }

  if (o.store) {
    const dst = argv[1]!;
    if (result.size !== 0) {
      const z = buildZset(result, o.limits);
      c.db.set(dst, z);
      c.changed(dst, `z${o.op}store`, "z");
      c.reply.integer(z.length);
    } else {
      c.reply.integer(0);
      if (c.db.delete(dst)) c.changed(dst, "del", "g");
    }
    return;
  }
  const items = [...result].sort((a, b) =>
    a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
  );
  const r = c.reply;
  if (!withscores) {
    r.array(items.length);
    for (const [m] of items) r.bulk(m);
  } else if (r.resp === 2) {
    r.array(items.length * 2);
    for (const [m, s] of items) {
      r.bulk(m);
      r.double(s);
    }
  } else {
    r.array(items.length);
    for (const [m, s] of items) {
      r.array(2);
      r.bulk(m);
      r.double(s);
    }
  }
}

function interCard(src: Source[], limit: number): number {
  const first = src[0]!;
  if (first.size === 0) return 0;
  let n = 0;
  outer: for (const [m] of iterate(first)) {
    for (let i = 1; i < src.length; i++) {
      if (find(src[i]!, m) === undefined) continue outer;
    }
    n++;
    if (limit !== 0 && n >= limit) break;
  }
  return n;
}
