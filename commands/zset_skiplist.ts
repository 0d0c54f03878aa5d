/**
 * Redis's sorted-set skiplist (`t_zset.c`): nodes ordered by (score, member
 * bytes), with a span on every forward link so rank lookups and rank ranges
 * are O(log n). Members are byte strings (one char per byte), so `<` on JS
 * strings is exactly Redis's `memcmp`-then-length order.
 *
 * @module
 */

import type { Bytes } from "../core/types.ts";

/** Redis's ZSKIPLIST_MAXLEVEL and ZSKIPLIST_P. */
const MAX_LEVEL = 32;
const P = 0.25;

/** A skiplist node: one element and its forward links. */
export class ZNode {
  /** Next node on each level (null at the end). */
  readonly next: (ZNode | null)[];
  /** How many level-0 steps each forward link skips. */
  readonly span: number[];
  /** The previous node on level 0 (null for the first element). */
  backward: ZNode | null = null;

  constructor(public member: Bytes, public score: number, level: number) {
    this.next = new Array<ZNode | null>(level).fill(null);
    this.span = new Array<number>(level).fill(0);
  }
}

/** A score interval with optional exclusive ends (`(1.5`). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/**
 * A lexicographic interval. `min`/`max` undefined mean `-` / `+` (minus and
 * plus infinity); `minex`/`maxex` mark `(` ends.
 */
export interface LexRange {
  min: Bytes | undefined;
  max: Bytes | undefined;
  /** True when `min` is `+` (greater than everything). */
  minIsPlus: boolean;
  /** True when `max` is `-` (smaller than everything). */
  maxIsMinus: boolean;
  minex: boolean;
  maxex: boolean;
}

/** True when `v` is at or above the range's minimum. */
export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

/** True when `v` is at or below the range's maximum. */
export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

/** True when member `v` is at or above the lex range's minimum. */
export function lexGteMin(v: Bytes, r: LexRange): boolean {
  if (r.minIsPlus) return false;
  if (r.min === undefined) return true;
  return r.minex ? v > r.min : v >= r.min;
}

/** True when member `v` is at or below the lex range's maximum. */
export function lexLteMax(v: Bytes, r: LexRange): boolean {
  if (r.maxIsMinus) return false;
  if (r.max === undefined) return true;
  return r.maxex ? v < r.max : v <= r.max;
}

function randomLevel(): number {
  let level = 1;
  while (level < MAX_LEVEL && Math.random() < P) level++;
  return level;
}

/** True when (score, member) sorts before node `x`'s element. */
function before(x: ZNode, score: number, member: Bytes): boolean {
  return x.score < score || (x.score === score && x.member < member);
}

/**
 * The skiplist. Members must be unique (the sorted set's map guarantees
 * it); every operation is O(log n) expected.
 *
 * @example
 * ```ts
 * import { SkipList } from "./zset_skiplist.ts";
 * const zsl = new SkipList();
 * zsl.insert(2, "b");
 * zsl.insert(1, "a");
 * console.log(zsl.rank(2, "b"), zsl.byRank(1)?.member); // 2 "a"
 * ```
 */
export class SkipList {
  readonly header: ZNode = new ZNode("", 0, MAX_LEVEL);
  tail: ZNode | null = null;
  length = 0;
  level = 1;
  readonly #update: ZNode[] = new Array<ZNode>(MAX_LEVEL);
  readonly #rank: number[] = new Array<number>(MAX_LEVEL).fill(0);

  /** The first (lowest) node. */
  get first(): ZNode | null {
    return this.header.next[0]!;
  }

  /** Inserts an element known to be absent. */
  insert(score: number, member: Bytes): ZNode {
    return this.#link(null, score, member);
  }

  /** Links `node` (reused by updateScore) or a new node at its place. */
  #link(node: ZNode | null, score: number, member: Bytes): ZNode {
    const update = this.#update, rank = this.#rank;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      let f = x.next[i]!;
      while (f !== null && before(f, score, member)) {
        rank[i]! += x.span[i]!;
        x = f;
        f = x.next[i]!;
      }
      update[i] = x;
    }
    const level = node === null ? randomLevel() : node.next.length;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.header;
        this.header.span[i] = this.length;
      }
      this.level = level;
    }
    const n = node ?? new ZNode(member, score, level);
    n.score = score;
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      n.next[i] = u.next[i]!;
      u.next[i] = n;
      n.span[i] = u.span[i]! - (rank[0]! - rank[i]!);
      u.span[i] = rank[0]! - rank[i]! + 1;
    }
    for (let i = level; i < this.level; i++) update[i]!.span[i]!++;
    n.backward = update[0] === this.header ? null : update[0]!;
    if (n.next[0] !== null) n.next[0]!.backward = n;
    else this.tail = n;
    this.length++;
    return n;
  }

  #unlink(x: ZNode, update: ZNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (u.next[i] === x) {
        u.span[i]! += x.span[i]! - 1;
        u.next[i] = x.next[i]!;
      } else {
        u.span[i]!--;
      }
    }
    if (x.next[0] !== null) x.next[0]!.backward = x.backward;
    else this.tail = x.backward;
    while (this.level > 1 && this.header.next[this.level - 1] === null) this.level--;
    this.length--;
  }

  /** Deletes the element (score, member); false when absent. */
  delete(score: number, member: Bytes): boolean {
    const update = this.#update;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i]!;
      while (f !== null && before(f, score, member)) {
        x = f;
        f = x.next[i]!;
      }
      update[i] = x;
    }
    const t = x.next[0]!;
    if (t === null || t.score !== score || t.member !== member) return false;
    this.#unlink(t, update);
    return true;
  }

  /**
   * Moves an element to a new score, in place when its position does not
   * change (Redis's zslUpdateScore).
   */
  updateScore(cur: number, member: Bytes, score: number): void {
    const update = this.#update;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i]!;
      while (f !== null && before(f, cur, member)) {
        x = f;
        f = x.next[i]!;
      }
      update[i] = x;
    }
    const t = x.next[0]!;
    const prev = t.backward, next = t.next[0]!;
    if (
      (prev === null || prev.score < score || (prev.score === score && prev.member < member)) &&
      (next === null || next.score > score || (next.score === score && next.member > member))
    ) {
      t.score = score;
      return;
    }
    this.#unlink(t, update);
    // Reuse the node, as Redis does: no allocation on a score change.
    this.#link(t, score, member);
  }

  /** The 1-based rank of (score, member), 0 when absent. */
  rank(score: number, member: Bytes): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let f = x.next[i]!;
      while (f !== null && (f.score < score || (f.score === score && f.member <= member))) {
        rank += x.span[i]!;
        x = f;
        f = x.next[i]!;
      }
      if (x !== this.header && x.member === member) return rank;
    }
    return 0;
  }

  /** The node at a 1-based rank, or null. */
  byRank(rank: number): ZNode | null {
    if (rank < 1 || rank > this.length) return null;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && traversed + x.span[i]! <= rank) {
        traversed += x.span[i]!;
        x = x.next[i]!;
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /** zslIsInRange: could any element fall in the range? */
  #inScoreRange(r: ScoreRange): boolean {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    if (this.tail === null || !scoreGteMin(this.tail.score, r)) return false;
    const f = this.header.next[0]!;
    return f !== null && scoreLteMax(f.score, r);
  }

  /** The first node within the score range, or null. */
  firstInScoreRange(r: ScoreRange): ZNode | null {
    if (!this.#inScoreRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !scoreGteMin(x.next[i]!.score, r)) x = x.next[i]!;
    }
    const n = x.next[0]!;
    return n !== null && scoreLteMax(n.score, r) ? n : null;
  }

  /** The last node within the score range, or null. */
  lastInScoreRange(r: ScoreRange): ZNode | null {
    if (!this.#inScoreRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && scoreLteMax(x.next[i]!.score, r)) x = x.next[i]!;
    }
    return x !== this.header && scoreGteMin(x.score, r) ? x : null;
  }

  /** zslIsInLexRange: could any element fall in the range? */
  #inLexRange(r: LexRange): boolean {
    // An empty range: min above max.
    if (r.minIsPlus || r.maxIsMinus) return false;
    if (r.min !== undefined && r.max !== undefined) {
      if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    }
    if (this.tail === null || !lexGteMin(this.tail.member, r)) return false;
    const f = this.header.next[0]!;
    return f !== null && lexLteMax(f.member, r);
  }

  /** The first node within the lex range, or null. */
  firstInLexRange(r: LexRange): ZNode | null {
    if (!this.#inLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && !lexGteMin(x.next[i]!.member, r)) x = x.next[i]!;
    }
    const n = x.next[0]!;
    return n !== null && lexLteMax(n.member, r) ? n : null;
  }

  /** The last node within the lex range, or null. */
  lastInLexRange(r: LexRange): ZNode | null {
    if (!this.#inLexRange(r)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] !== null && lexLteMax(x.next[i]!.member, r)) x = x.next[i]!;
    }
    return x !== this.header && lexGteMin(x.member, r) ? x : null;
  }
}
