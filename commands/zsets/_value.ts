/**
 * The sorted-set value: a member -> score map beside a {@link ZTree} (a
 * B+tree of sorted chunks) ordered by (score, member), and Redis's encoding
 * name (listpack while small, skiplist for good once `zset-max-listpack-*`
 * is exceeded; the structure is the same either way).
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { DataObject, ElementsView, ScoredView, ValueType } from "../../core/keyspace.ts";
import type { Digestible, ValueDigest } from "../../core/digest.ts";
import { formatDouble } from "../../core/number.ts";
import { ZTree } from "./_btree.ts";
import { ZDict } from "./_dict.ts";

/** The live `zset-max-listpack-entries` / `zset-max-listpack-value`. */
export interface ZsetLimits {
  entries: number;
  value: number;
}

/** ZADD's input flags (`ZADD_IN_*`). */
export interface ZaddFlags {
  incr: boolean;
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
}

/** What {@link ZSetObject.add} did (`ZADD_OUT_*`). */
export const enum AddResult {
  Nop,
  Added,
  Updated,
  /** Processed, but the score did not change. */
  Same,
  /** The increment made a NaN score. */
  Nan,
}

/**
 * A sorted set.
 *
 * @example
 * ```ts
 * import { ZSetObject } from "./_value.ts";
 * const z = new ZSetObject(true);
 * z.insert(1, "a");
 * console.log(z.encoding(), z.length); // "listpack" 1
 * ```
 */
export class ZSetObject implements DataObject, ElementsView, ScoredView, Digestible {
  readonly type = "zset";
  readonly dict: ZDict = new ZDict();
  readonly tree: ZTree = new ZTree();
  /** The new score of the last {@link ZSetObject.add}. */
  newScore = 0;

  constructor(public listpack: boolean) {}

  encoding(): string {
    return this.listpack ? "listpack" : "skiplist";
  }

  get length(): number {
    return this.dict.size;
  }

  elements(): Iterable<Bytes> {
    return this.tree.members();
  }

  /** `[member, score]` pairs in order, lowest first. */
  entries(): Iterable<[Bytes, number]> {
    return this.tree.entries();
  }

  /** `[member, score]` pairs, lowest first (RDB and DUMP read them). */
  scored(): Iterable<[Bytes, number]> {
    return this.tree.entries();
  }

  scoreOf(member: Bytes): number | undefined {
    return this.dict.get(member);
  }

  /** From the first score >= `min` (a B+tree seek; GEO's cell scans). */
  *scoredFrom(min: number): Iterable<[Bytes, number]> {
    const c = this.tree.firstInScoreRange({ min, max: Infinity, minex: false, maxex: false });
    if (c === null) return;
    do yield [c.member, c.score]; while (c.next());
  }

  digest(d: ValueDigest): void {
    this.tree.forEach((m, s) => d.element(m, formatDouble(s)));
  }

  clone(): ZSetObject {
    const z = new ZSetObject(this.listpack);
    // In order: every insert appends, so the copy's leaves come out full.
    this.tree.forEach((m, s) => z.insert(s, m));
    return z;
  }

  /**
   * Inserts a member known to be absent. A listpack stores scores as text,
   * where -0 reads back as 0, so a listpack-encoded set has no -0.
   */
  insert(score: number, member: Bytes): void {
    if (this.listpack && score === 0) score = 0;
    this.dict.set(member, score);
    this.tree.insert(score, member);
  }

  /** Removes a member; false when absent. */
  remove(member: Bytes): boolean {
    const dict = this.dict;
    const e = dict.find(member);
    if (e === -1) return false;
    const s = dict.scoreAt(e);
    dict.delete(member);
    this.tree.delete(s, member);
    return true;
  }

  /** Removes `count` elements from the 0-based rank `start` (all in range). */
  removeRange(start: number, count: number): void {
    const c = this.tree.seek(start);
    for (let k = 0; k < count && c !== null; k++) {
      this.dict.delete(c.member);
      c.next();
    }
    this.tree.deleteRange(start, count);
  }

  /** Converts to skiplist when the set outgrew the listpack limits. */
  checkSize(limits: ZsetLimits, member: Bytes): void {
    if (this.listpack && (this.dict.size > limits.entries || member.length > limits.value)) {
      this.listpack = false;
    }
  }

  /** Redis's zsetAdd. Sets {@link ZSetObject.newScore}. */
  add(score: number, member: Bytes, f: ZaddFlags, limits: ZsetLimits): AddResult {
    const dict = this.dict;
    // One hash lookup: the score is then read and written by entry.
    const e = dict.find(member);
    if (e !== -1) {
      const cur = dict.scoreAt(e);
      if (f.nx) return AddResult.Nop;
      if (f.incr) {
        score += cur;
        if (Number.isNaN(score)) return AddResult.Nan;
      }
      if ((f.lt && score >= cur) || (f.gt && score <= cur)) return AddResult.Nop;
      this.newScore = score;
      if (score === cur) return AddResult.Same;
      if (this.listpack && score === 0) score = 0;
      dict.setScoreAt(e, score);
      this.tree.updateScore(cur, member, score);
      return AddResult.Updated;
    }
    if (f.xx) return AddResult.Nop;
    this.newScore = score;
    // Redis converts before inserting, so the new element keeps a -0.
    if (this.listpack && (this.dict.size + 1 > limits.entries || member.length > limits.value)) {
      this.listpack = false;
    }
    if (this.listpack && score === 0) score = 0;
    dict.add(member, score);
    this.tree.insert(score, member);
    return AddResult.Added;
  }
}

/** Builds a result set (ZUNIONSTORE, ZRANGESTORE) with the encoding Redis picks. */
export function buildZset(
  items: Iterable<[Bytes, number]>,
  limits: ZsetLimits,
): ZSetObject {
  const z = new ZSetObject(false);
  let maxLen = 0;
  for (const [m, s] of items) {
    z.insert(s, m);
    if (m.length > maxLen) maxLen = m.length;
  }
  if (z.length <= limits.entries && maxLen <= limits.value) {
    z.listpack = true;
    // Scores pass through listpack text: -0 becomes 0.
    z.tree.clearNegativeZeros();
    for (const [m, s] of z.dict) if (s === 0) z.dict.set(m, 0);
  }
  return z;
}

/**
 * The `zset` value type of a server whose thresholds are `limits`:
 * persistence, RESTORE and GEO's STORE build sorted sets through it.
 */
export function zsetType(limits: ZsetLimits): ValueType {
  return { name: "zset", fromScored: (items) => buildZset(items, limits) };
}
