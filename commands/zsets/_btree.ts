/**
 * The ordered half of a sorted set: a B+tree of sorted chunks, ordered by
 * (score, member bytes) exactly as Redis's skiplist (`t_zset.c`).
 *
 * Why not a skiplist: a skiplist node costs several JS objects (the node,
 * its link and span arrays) and every step of a search is a cache miss.
 * Here a leaf holds up to {@link LEAF_CAP} elements in parallel arrays
 * (scores in a `Float64Array`, members in a string array) and inner nodes
 * keep, per child, its element count (rank in O(log n)) and a separator key
 * (search in O(log n)), so a search touches a handful of contiguous arrays.
 *
 * Members are byte strings (one char per byte), so `<` on JS strings is
 * Redis's `memcmp`-then-length order. Scores compare with `<`/`===`, so
 * -0 and 0 are the same score, as in Redis; a stored -0 is kept as is.
 *
 * Invariants: leaves are linked in order; a separator `sep[j]` (j >= 1) of
 * an inner node is above every element of child j-1 and at or below every
 * element of child j (it may be stale: deletions never update it, which
 * keeps it valid); `counts[j]` is the number of elements under child j.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import {
  lexGteMin,
  lexLteMax,
  type LexRange,
  scoreGteMin,
  scoreLteMax,
  type ScoreRange,
} from "./_range.ts";

/** Elements per leaf at most. */
const LEAF_CAP = 128;
/** Below this a leaf tries to merge with a neighbour. */
const LEAF_MIN = LEAF_CAP >> 2;
/** Merged leaves stay this small, so an insert does not split them at once. */
const LEAF_MERGE = (LEAF_CAP * 3) >> 2;
/** Children per inner node at most. */
const INNER_CAP = 64;
const INNER_MIN = INNER_CAP >> 2;
const INNER_MERGE = (INNER_CAP * 3) >> 2;
/** The first leaf of a tree starts small and doubles up to LEAF_CAP. */
const FIRST_CAP = 4;

/** A leaf: `n` elements in (score, member) order. */
class Leaf {
  n = 0;
  scores: Float64Array;
  members: Bytes[];
  next: Leaf | null = null;
  prev: Leaf | null = null;

  constructor(cap: number) {
    this.scores = new Float64Array(cap);
    this.members = new Array<Bytes>(cap).fill("");
  }
}

/** An inner node: `n` children with their counts and separators. */
class Inner {
  n = 0;
  readonly children: (Node | null)[] = new Array<Node | null>(INNER_CAP).fill(null);
  readonly counts: number[] = new Array<number>(INNER_CAP).fill(0);
  readonly sepScores: Float64Array = new Float64Array(INNER_CAP);
  readonly sepMembers: Bytes[] = new Array<Bytes>(INNER_CAP).fill("");
}

type Node = Leaf | Inner;

/** First index in `leaf` whose element is at or above (score, member). */
function lowerBound(leaf: Leaf, score: number, member: Bytes): number {
  const scores = leaf.scores, members = leaf.members;
  let lo = 0, hi = leaf.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = scores[mid]!;
    if (s < score || (s === score && members[mid]! < member)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The child of `node` whose key interval holds (score, member). */
function childFor(node: Inner, score: number, member: Bytes): number {
  const scores = node.sepScores, members = node.sepMembers;
  let lo = 1, hi = node.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = scores[mid]!;
    if (s < score || (s === score && members[mid]! <= member)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Sum of `counts[0..j)`. */
function countBefore(node: Inner, j: number): number {
  const counts = node.counts;
  let r = 0;
  for (let a = 0; a < j; a++) r += counts[a]!;
  return r;
}

function sumCounts(node: Inner): number {
  return countBefore(node, node.n);
}

/** Opens a gap at `i` in a leaf with room and writes the element there. */
function leafInsert(leaf: Leaf, i: number, score: number, member: Bytes): void {
  const scores = leaf.scores, members = leaf.members;
  for (let a = leaf.n; a > i; a--) {
    scores[a] = scores[a - 1]!;
    members[a] = members[a - 1]!;
  }
  scores[i] = score;
  members[i] = member;
  leaf.n++;
}

/** Doubles a small leaf's capacity (only a tree's first leaf is small). */
function growLeaf(leaf: Leaf): void {
  const cap = Math.min(leaf.scores.length * 2, LEAF_CAP);
  const scores = new Float64Array(cap);
  scores.set(leaf.scores);
  leaf.scores = scores;
  for (let a = leaf.members.length; a < cap; a++) leaf.members.push("");
}

/** Appends `src`'s elements to `dst` (which has room) and empties `src`. */
function leafAppend(dst: Leaf, src: Leaf): void {
  if (dst.scores.length < dst.n + src.n) {
    while (dst.scores.length < dst.n + src.n) growLeaf(dst);
  }
  for (let a = 0; a < src.n; a++) {
    dst.scores[dst.n + a] = src.scores[a]!;
    dst.members[dst.n + a] = src.members[a]!;
    src.members[a] = "";
  }
  dst.n += src.n;
  src.n = 0;
}

/** Opens a gap at `p` in an inner node with room and puts a child there. */
function innerInsert(
  node: Inner,
  p: number,
  child: Node,
  count: number,
  sepScore: number,
  sepMember: Bytes,
): void {
  const { children, counts, sepScores, sepMembers } = node;
  for (let a = node.n; a > p; a--) {
    children[a] = children[a - 1]!;
    counts[a] = counts[a - 1]!;
    sepScores[a] = sepScores[a - 1]!;
    sepMembers[a] = sepMembers[a - 1]!;
  }
  children[p] = child;
  counts[p] = count;
  sepScores[p] = sepScore;
  sepMembers[p] = sepMember;
  node.n++;
}

/** Moves children `[k, n)` of `src` to the end of `dst`. */
function innerMove(src: Inner, k: number, dst: Inner): void {
  for (let a = k; a < src.n; a++) {
    const b = dst.n++;
    dst.children[b] = src.children[a]!;
    dst.counts[b] = src.counts[a]!;
    dst.sepScores[b] = src.sepScores[a]!;
    dst.sepMembers[b] = src.sepMembers[a]!;
    src.children[a] = null;
    src.sepMembers[a] = "";
  }
  src.n = Math.min(src.n, k);
}

/**
 * A position in a {@link ZTree}: an element, its 0-based rank, and steps to
 * its neighbours. Valid until the tree is next modified.
 */
export class ZCursor {
  #leaf: Leaf;
  #i: number;
  /** The element's 0-based rank. */
  rank: number;

  /** Internal: made by {@link ZTree}'s lookups. */
  constructor(leaf: Leaf, i: number, rank: number) {
    this.#leaf = leaf;
    this.#i = i;
    this.rank = rank;
  }

  /** The element's member. */
  get member(): Bytes {
    return this.#leaf.members[this.#i]!;
  }

  /** The element's score. */
  get score(): number {
    return this.#leaf.scores[this.#i]!;
  }

  /** Moves to the next element; false (staying put) at the end. */
  next(): boolean {
    if (this.#i + 1 < this.#leaf.n) {
      this.#i++;
    } else {
      const next = this.#leaf.next;
      if (next === null) return false;
      this.#leaf = next;
      this.#i = 0;
    }
    this.rank++;
    return true;
  }

  /** Moves to the previous element; false (staying put) at the start. */
  prev(): boolean {
    if (this.#i > 0) {
      this.#i--;
    } else {
      const prev = this.#leaf.prev;
      if (prev === null) return false;
      this.#leaf = prev;
      this.#i = prev.n - 1;
    }
    this.rank--;
    return true;
  }
}

/**
 * The tree. Members must be unique (the sorted set's map guarantees it);
 * insert, delete, rank and range lookups are O(log n).
 *
 * @example
 * ```ts
 * import { ZTree } from "./_btree.ts";
 * const t = new ZTree();
 * t.insert(2, "b");
 * t.insert(1, "a");
 * console.log(t.rankOf(2, "b"), t.seek(0)?.member); // 1 "a"
 * ```
 */
export class ZTree {
  /** The number of elements. */
  length = 0;
  #root: Node;
  /** Inner levels above the leaves (0: the root is a leaf). */
  #height = 0;
  #head: Leaf;
  #tail: Leaf;
  /** The inner nodes and child indexes of the last descent, root first. */
  readonly #path: Inner[] = [];
  readonly #idx: number[] = [];

  constructor() {
    const leaf = new Leaf(FIRST_CAP);
    this.#root = leaf;
    this.#head = leaf;
    this.#tail = leaf;
  }

  /**
   * Walks down to the leaf for (score, member), recording the path and
   * adding `delta` to the counts on the way.
   */
  #descend(score: number, member: Bytes, delta: number): Leaf {
    let node = this.#root;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      const j = childFor(inner, score, member);
      if (delta !== 0) inner.counts[j]! += delta;
      this.#path[d] = inner;
      this.#idx[d] = j;
      node = inner.children[j]!;
    }
    return node as Leaf;
  }

  /** Walks down to the element at `rank` (in range); returns its leaf and index. */
  #descendRank(rank: number): [Leaf, number] {
    let node = this.#root;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      const counts = inner.counts;
      let j = 0;
      while (rank >= counts[j]!) rank -= counts[j++]!;
      this.#path[d] = inner;
      this.#idx[d] = j;
      node = inner.children[j]!;
    }
    return [node as Leaf, rank];
  }

  /** Inserts an element known to be absent. */
  insert(score: number, member: Bytes): void {
    const leaf = this.#descend(score, member, 1);
    const i = lowerBound(leaf, score, member);
    this.length++;
    if (leaf.n === leaf.scores.length) {
      if (leaf.n < LEAF_CAP) {
        growLeaf(leaf);
      } else {
        this.#splitLeaf(leaf, i, score, member);
        return;
      }
    }
    leafInsert(leaf, i, score, member);
  }

  /** Splits a full leaf and inserts the element into the right half. */
  #splitLeaf(leaf: Leaf, i: number, score: number, member: Bytes): void {
    const n = leaf.n;
    // Appending at the very end (or prepending at the very start) leaves
    // the full leaf alone: sets built in order end up with full leaves.
    const k = i === n && leaf.next === null ? n : i === 0 && leaf.prev === null ? 0 : n >> 1;
    const right = new Leaf(LEAF_CAP);
    for (let a = k; a < n; a++) {
      right.scores[a - k] = leaf.scores[a]!;
      right.members[a - k] = leaf.members[a]!;
      leaf.members[a] = "";
    }
    right.n = n - k;
    leaf.n = k;
    if (i < k || (i === k && k !== n)) leafInsert(leaf, i, score, member);
    else leafInsert(right, i - k, score, member);
    right.next = leaf.next;
    right.prev = leaf;
    if (leaf.next !== null) leaf.next.prev = right;
    else this.#tail = right;
    leaf.next = right;
    this.#addChild(this.#height - 1, right, right.scores[0]!, right.members[0]!, leaf.n, right.n);
  }

  /** True when the path above level `d` always took the last child. */
  #rightmost(d: number): boolean {
    for (let e = 0; e < d; e++) {
      if (this.#idx[e] !== this.#path[e]!.n - 1) return false;
    }
    return true;
  }

  /**
   * After the child at the path's level `d` split: records the left half's
   * count and adds the right half after it, splitting upwards as needed.
   */
  #addChild(
    d: number,
    child: Node,
    sepScore: number,
    sepMember: Bytes,
    leftCount: number,
    rightCount: number,
  ): void {
    if (d < 0) {
      const root = new Inner();
      innerInsert(root, 0, this.#root, leftCount, 0, "");
      innerInsert(root, 1, child, rightCount, sepScore, sepMember);
      this.#root = root;
      this.#height++;
      return;
    }
    const node = this.#path[d]!, j = this.#idx[d]!;
    node.counts[j] = leftCount;
    const p = j + 1;
    if (node.n < INNER_CAP) {
      innerInsert(node, p, child, rightCount, sepScore, sepMember);
      return;
    }
    const n = node.n;
    const k = p === n && this.#rightmost(d) ? n : n >> 1;
    const right = new Inner();
    let upScore: number, upMember: Bytes;
    if (k === n) {
      innerInsert(right, 0, child, rightCount, sepScore, sepMember);
      upScore = sepScore;
      upMember = sepMember;
    } else {
      upScore = node.sepScores[k]!;
      upMember = node.sepMembers[k]!;
      innerMove(node, k, right);
      if (p <= k) innerInsert(node, p, child, rightCount, sepScore, sepMember);
      else innerInsert(right, p - k, child, rightCount, sepScore, sepMember);
    }
    this.#addChild(d - 1, right, upScore, upMember, sumCounts(node), sumCounts(right));
  }

  /** Deletes the element (score, member); false when absent. */
  delete(score: number, member: Bytes): boolean {
    const leaf = this.#descend(score, member, 0);
    const i = lowerBound(leaf, score, member);
    if (i >= leaf.n || leaf.members[i] !== member || leaf.scores[i] !== score) return false;
    this.#removeRun(leaf, i, 1);
    return true;
  }

  /** Deletes `count` elements from rank `start` (both in range). */
  deleteRange(start: number, count: number): void {
    while (count > 0) {
      const [leaf, i] = this.#descendRank(start);
      const m = Math.min(count, leaf.n - i);
      this.#removeRun(leaf, i, m);
      count -= m;
    }
  }

  /** Removes `m` elements at `i` of the path's leaf, then rebalances. */
  #removeRun(leaf: Leaf, i: number, m: number): void {
    const scores = leaf.scores, members = leaf.members, n = leaf.n;
    for (let a = i + m; a < n; a++) {
      scores[a - m] = scores[a]!;
      members[a - m] = members[a]!;
    }
    for (let a = n - m; a < n; a++) members[a] = "";
    leaf.n = n - m;
    this.length -= m;
    for (let d = 0; d < this.#height; d++) this.#path[d]!.counts[this.#idx[d]!]! -= m;
    if (this.#height === 0) return;
    const d = this.#height - 1;
    const parent = this.#path[d]!, j = this.#idx[d]!;
    if (leaf.n === 0) {
      this.#unlinkLeaf(leaf);
      this.#removeChild(d);
      return;
    }
    if (leaf.n >= LEAF_MIN) return;
    if (j + 1 < parent.n) {
      const right = parent.children[j + 1] as Leaf;
      if (leaf.n + right.n <= LEAF_MERGE) {
        parent.counts[j]! += right.n;
        leafAppend(leaf, right);
        this.#unlinkLeaf(right);
        this.#idx[d] = j + 1;
        this.#removeChild(d);
        return;
      }
    }
    if (j > 0) {
      const left = parent.children[j - 1] as Leaf;
      if (left.n + leaf.n <= LEAF_MERGE) {
        parent.counts[j - 1]! += leaf.n;
        leafAppend(left, leaf);
        this.#unlinkLeaf(leaf);
        this.#removeChild(d);
      }
    }
  }

  #unlinkLeaf(leaf: Leaf): void {
    if (leaf.prev !== null) leaf.prev.next = leaf.next;
    else this.#head = leaf.next!;
    if (leaf.next !== null) leaf.next.prev = leaf.prev;
    else this.#tail = leaf.prev!;
    leaf.next = leaf.prev = null;
  }

  /**
   * Removes the child at the path's level `d` (emptied or merged away),
   * then merges or collapses under-full inner nodes upwards.
   */
  #removeChild(d: number): void {
    const node = this.#path[d]!, j = this.#idx[d]!;
    const { children, counts, sepScores, sepMembers } = node;
    const n = node.n;
    for (let a = j + 1; a < n; a++) {
      children[a - 1] = children[a]!;
      counts[a - 1] = counts[a]!;
      sepScores[a - 1] = sepScores[a]!;
      sepMembers[a - 1] = sepMembers[a]!;
    }
    children[n - 1] = null;
    sepMembers[n - 1] = "";
    node.n = n - 1;
    if (d === 0) {
      // The root: drop levels with a single child.
      while (this.#height > 0 && (this.#root as Inner).n === 1) {
        this.#root = (this.#root as Inner).children[0]!;
        this.#height--;
      }
      return;
    }
    if (node.n >= INNER_MIN) return;
    const parent = this.#path[d - 1]!, pj = this.#idx[d - 1]!;
    if (node.n === 0) {
      this.#removeChild(d - 1);
      return;
    }
    if (pj + 1 < parent.n) {
      const right = parent.children[pj + 1] as Inner;
      if (node.n + right.n <= INNER_MERGE) {
        // Right's first child gets the separator that bounded right.
        right.sepScores[0] = parent.sepScores[pj + 1]!;
        right.sepMembers[0] = parent.sepMembers[pj + 1]!;
        innerMove(right, 0, node);
        parent.counts[pj]! += parent.counts[pj + 1]!;
        this.#idx[d - 1] = pj + 1;
        this.#removeChild(d - 1);
        return;
      }
    }
    if (pj > 0) {
      const left = parent.children[pj - 1] as Inner;
      if (left.n + node.n <= INNER_MERGE) {
        node.sepScores[0] = parent.sepScores[pj]!;
        node.sepMembers[0] = parent.sepMembers[pj]!;
        innerMove(node, 0, left);
        parent.counts[pj - 1]! += parent.counts[pj]!;
        this.#removeChild(d - 1);
      }
    }
  }

  /**
   * Moves an element to a new score: in place when it keeps its position
   * inside its leaf, else a delete and an insert.
   */
  updateScore(cur: number, member: Bytes, score: number): void {
    const leaf = this.#descend(cur, member, 0);
    const i = lowerBound(leaf, cur, member);
    const scores = leaf.scores, members = leaf.members;
    // In place only between two neighbours of the same leaf, so separators
    // above stay valid; the first element may only move up, the last down.
    const up = score > cur;
    const prevOk = i > 0
      ? scores[i - 1]! < score || (scores[i - 1] === score && members[i - 1]! < member)
      : up || this.#height === 0;
    const nextOk = i + 1 < leaf.n
      ? scores[i + 1]! > score || (scores[i + 1] === score && members[i + 1]! > member)
      : !up || this.#height === 0;
    if (prevOk && nextOk) {
      scores[i] = score;
      return;
    }
    // Re-inserted as the stored string, not the argument: the sorted set's
    // map keeps its own (the same) key, so the member stays one string, and
    // an old one (a young argument stored in an old leaf would be promoted).
    const stored = members[i]!;
    this.#removeRun(leaf, i, 1);
    this.insert(score, stored);
  }

  /** The 0-based rank of (score, member), -1 when absent. */
  rankOf(score: number, member: Bytes): number {
    let node = this.#root, rank = 0;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      const j = childFor(inner, score, member);
      rank += countBefore(inner, j);
      node = inner.children[j]!;
    }
    const leaf = node as Leaf;
    const i = lowerBound(leaf, score, member);
    if (i >= leaf.n || leaf.members[i] !== member) return -1;
    return rank + i;
  }

  /** A cursor on the element at a 0-based rank, or null when out of range. */
  seek(rank: number): ZCursor | null {
    if (rank < 0 || rank >= this.length) return null;
    if (rank === 0) return new ZCursor(this.#head, 0, 0);
    if (rank === this.length - 1) return new ZCursor(this.#tail, this.#tail.n - 1, rank);
    const [leaf, i] = this.#descendRank(rank);
    return new ZCursor(leaf, i, rank);
  }

  /**
   * The first element for which the monotone `pred` (false...true) holds:
   * descends through the last child whose separator fails it, then scans
   * the leaf (linearly in a single-leaf tree, as Redis scans a listpack).
   */
  #first(pred: (score: number, member: Bytes) => boolean): ZCursor | null {
    let node = this.#root, rank = 0;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      let lo = 1, hi = inner.n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (pred(inner.sepScores[mid]!, inner.sepMembers[mid]!)) hi = mid;
        else lo = mid + 1;
      }
      rank += countBefore(inner, lo - 1);
      node = inner.children[lo - 1]!;
    }
    const leaf = node as Leaf;
    let i = 0;
    if (this.#height === 0) {
      while (i < leaf.n && !pred(leaf.scores[i]!, leaf.members[i]!)) i++;
    } else {
      let hi = leaf.n;
      while (i < hi) {
        const mid = (i + hi) >> 1;
        if (pred(leaf.scores[mid]!, leaf.members[mid]!)) hi = mid;
        else i = mid + 1;
      }
    }
    if (i < leaf.n) return new ZCursor(leaf, i, rank + i);
    // Everything here fails: the answer is the next leaf's first element.
    if (leaf.next === null) return null;
    return new ZCursor(leaf.next, 0, rank + leaf.n);
  }

  /** The last element for which the monotone `pred` (true...false) holds. */
  #last(pred: (score: number, member: Bytes) => boolean): ZCursor | null {
    let node = this.#root, rank = 0;
    for (let d = 0; d < this.#height; d++) {
      const inner = node as Inner;
      let lo = 1, hi = inner.n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (pred(inner.sepScores[mid]!, inner.sepMembers[mid]!)) lo = mid + 1;
        else hi = mid;
      }
      rank += countBefore(inner, lo - 1);
      node = inner.children[lo - 1]!;
    }
    const leaf = node as Leaf;
    let i: number;
    if (this.#height === 0) {
      i = leaf.n - 1;
      while (i >= 0 && !pred(leaf.scores[i]!, leaf.members[i]!)) i--;
    } else {
      let lo = 0, hi = leaf.n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (pred(leaf.scores[mid]!, leaf.members[mid]!)) lo = mid + 1;
        else hi = mid;
      }
      i = lo - 1;
    }
    if (i >= 0) return new ZCursor(leaf, i, rank + i);
    // Everything here fails: the answer is the previous leaf's last element.
    const prev = leaf.prev;
    if (prev === null) return null;
    return new ZCursor(prev, prev.n - 1, rank - 1);
  }

  /** zslIsInRange: could any element fall in the score range? */
  #inScoreRange(r: ScoreRange): boolean {
    if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    if (this.length === 0) return false;
    const tail = this.#tail, head = this.#head;
    return scoreGteMin(tail.scores[tail.n - 1]!, r) && scoreLteMax(head.scores[0]!, r);
  }

  /** The first element within the score range, or null. */
  firstInScoreRange(r: ScoreRange): ZCursor | null {
    if (!this.#inScoreRange(r)) return null;
    const c = this.#first((s) => scoreGteMin(s, r));
    return c !== null && scoreLteMax(c.score, r) ? c : null;
  }

  /** The last element within the score range, or null. */
  lastInScoreRange(r: ScoreRange): ZCursor | null {
    if (!this.#inScoreRange(r)) return null;
    const c = this.#last((s) => scoreLteMax(s, r));
    return c !== null && scoreGteMin(c.score, r) ? c : null;
  }

  /** zslIsInLexRange: could any element fall in the lex range? */
  #inLexRange(r: LexRange): boolean {
    // An empty range: min above max.
    if (r.minIsPlus || r.maxIsMinus) return false;
    if (r.min !== undefined && r.max !== undefined) {
      if (r.min > r.max || (r.min === r.max && (r.minex || r.maxex))) return false;
    }
    if (this.length === 0) return false;
    const tail = this.#tail, head = this.#head;
    return lexGteMin(tail.members[tail.n - 1]!, r) && lexLteMax(head.members[0]!, r);
  }

  /** The first element within the lex range, or null. */
  firstInLexRange(r: LexRange): ZCursor | null {
    if (!this.#inLexRange(r)) return null;
    const c = this.#first((_, m) => lexGteMin(m, r));
    return c !== null && lexLteMax(c.member, r) ? c : null;
  }

  /** The last element within the lex range, or null. */
  lastInLexRange(r: LexRange): ZCursor | null {
    if (!this.#inLexRange(r)) return null;
    const c = this.#last((_, m) => lexLteMax(m, r));
    return c !== null && lexGteMin(c.member, r) ? c : null;
  }

  /** Calls `fn` on every element in order. */
  forEach(fn: (member: Bytes, score: number) => void): void {
    for (let leaf: Leaf | null = this.#head; leaf !== null; leaf = leaf.next) {
      const scores = leaf.scores, members = leaf.members;
      for (let i = 0; i < leaf.n; i++) fn(members[i]!, scores[i]!);
    }
  }

  /** The elements in order, as `[member, score]`. */
  *entries(): IterableIterator<[Bytes, number]> {
    for (let leaf: Leaf | null = this.#head; leaf !== null; leaf = leaf.next) {
      for (let i = 0; i < leaf.n; i++) yield [leaf.members[i]!, leaf.scores[i]!];
    }
  }

  /** The members in order. */
  *members(): IterableIterator<Bytes> {
    for (let leaf: Leaf | null = this.#head; leaf !== null; leaf = leaf.next) {
      for (let i = 0; i < leaf.n; i++) yield leaf.members[i]!;
    }
  }

  /** Turns every -0 score into 0 (what a listpack's text scores do). */
  clearNegativeZeros(): void {
    for (let leaf: Leaf | null = this.#head; leaf !== null; leaf = leaf.next) {
      const scores = leaf.scores;
      for (let i = 0; i < leaf.n; i++) if (scores[i] === 0) scores[i] = 0;
    }
  }

  /** Checks every invariant (tests only); throws on the first broken one. */
  check(): void {
    let seen = 0;
    let prevS = -Infinity, prevM: Bytes | undefined;
    let expectLeaf: Leaf | null = this.#head;
    const walk = (node: Node, depth: number, lo: [number, Bytes] | null): number => {
      if (depth === this.#height) {
        const leaf = node as Leaf;
        if (leaf !== expectLeaf) throw new Error("leaf chain out of order");
        expectLeaf = leaf.next;
        if (leaf.n === 0 && this.#height > 0) throw new Error("empty leaf");
        for (let i = 0; i < leaf.n; i++) {
          const s = leaf.scores[i]!, m = leaf.members[i]!;
          if (prevM !== undefined && !(prevS < s || (prevS === s && prevM < m))) {
            throw new Error("elements out of order");
          }
          if (lo !== null && (s < lo[0] || (s === lo[0] && m < lo[1]))) {
            throw new Error("element below its separator");
          }
          prevS = s;
          prevM = m;
          seen++;
        }
        return leaf.n;
      }
      const inner = node as Inner;
      if (inner.n === 0 || (node === this.#root && inner.n < 2)) throw new Error("thin inner");
      let total = 0;
      for (let j = 0; j < inner.n; j++) {
        const bound: [number, Bytes] | null = j === 0
          ? lo
          : [inner.sepScores[j]!, inner.sepMembers[j]!];
        if (j > 0 && prevM !== undefined) {
          const [s, m] = bound!;
          if (!(prevS < s || (prevS === s && prevM < m))) throw new Error("separator too low");
        }
        const c = walk(inner.children[j]!, depth + 1, bound);
        if (c !== inner.counts[j]) throw new Error("bad count");
        total += c;
      }
      return total;
    };
    const total = walk(this.#root, 0, null);
    if (total !== this.length || seen !== this.length) throw new Error("bad length");
    if (expectLeaf !== null) throw new Error("leaf chain too long");
  }
}
