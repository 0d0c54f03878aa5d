/**
 * The member -> score half of a sorted set: a hash table of its own instead
 * of a `Map<Bytes, number>`.
 *
 * Why: members arrive as new strings (one per command), and V8 internalizes
 * a new string on its first Map lookup (a call into the runtime and a probe
 * of the process-wide string table), which cost more than the rest of the
 * lookup (ZADD of 100k random members: some 300 ns per command). Here the
 * hash is the keyspace's (core/keymap.ts: JIT code, HalfSipHash under a
 * per-process random key), scores sit in a `Float64Array` (no heap number
 * per fractional score), and ZADD finds a member once (`find`) then reads
 * and writes its score by slot.
 *
 * Layout, as V8's OrderedHashMap: entries in insertion order (parallel
 * arrays), a bucket array of chain heads, each entry the next of its chain.
 * A deletion leaves a hole; holes go when the entries are rebuilt (when the
 * entry arrays are full, or a quarter used). A rebuild makes new arrays, so
 * an iterator keeps walking the arrays it started on: every member present
 * for a whole ZSCAN is seen, with its score at the time it is returned.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { hashKey as hashOf } from "../../core/keymap.ts";

const MIN_CAP = 8;

/**
 * A member -> score table.
 *
 * @example
 * ```ts
 * import { ZDict } from "./_dict.ts";
 * const d = new ZDict();
 * d.set("a", 1.5);
 * const i = d.find("a");
 * console.log(d.scoreAt(i), d.get("b"), d.size); // 1.5 undefined 1
 * ```
 */
export class ZDict {
  /** The number of members. */
  size = 0;
  /** Entries used, holes included. */
  #used = 0;
  #keys: (Bytes | undefined)[];
  #scores: Float64Array;
  #hashes: Int32Array;
  /** The next entry of each entry's chain, -1 at the end. */
  #next: Int32Array;
  /** Each bucket's first entry, -1 when empty; half as many as entries. */
  #buckets: Int32Array;
  /** The hash of the last {@link ZDict.find}'s member, for {@link ZDict.add}. */
  #lastHash = 0;

  constructor(cap = MIN_CAP) {
    this.#keys = new Array<Bytes | undefined>(cap).fill(undefined);
    this.#scores = new Float64Array(cap);
    this.#hashes = new Int32Array(cap);
    this.#next = new Int32Array(cap);
    this.#buckets = new Int32Array(cap >> 1).fill(-1);
  }

  /** The entry index of `member`, or -1 when absent. */
  find(member: Bytes): number {
    const h = hashOf(member);
    this.#lastHash = h;
    const keys = this.#keys, hashes = this.#hashes, next = this.#next;
    let e = this.#buckets[h & (this.#buckets.length - 1)]!;
    while (e !== -1) {
      if (hashes[e] === h && keys[e] === member) return e;
      e = next[e]!;
    }
    return -1;
  }

  /** The score at an entry index from {@link ZDict.find}. */
  scoreAt(e: number): number {
    return this.#scores[e]!;
  }

  /** Sets the score at an entry index from {@link ZDict.find}. */
  setScoreAt(e: number, score: number): void {
    this.#scores[e] = score;
  }

  /** The score of `member`, or undefined. */
  get(member: Bytes): number | undefined {
    const e = this.find(member);
    return e === -1 ? undefined : this.#scores[e]!;
  }

  has(member: Bytes): boolean {
    return this.find(member) !== -1;
  }

  /** Sets a member's score, adding the member when absent. */
  set(member: Bytes, score: number): void {
    const e = this.find(member);
    if (e !== -1) this.#scores[e] = score;
    else this.add(member, score);
  }

  /**
   * Adds a member the last {@link ZDict.find} (no change in between) did
   * not find, reusing its hash.
   */
  add(member: Bytes, score: number): void {
    if (this.#used === this.#keys.length) {
      // Full: rebuild in place of the holes, or twice as large.
      this.#rebuild(this.size * 2 >= this.#used ? this.#used * 2 : this.#used);
    }
    const h = this.#lastHash, e = this.#used++;
    this.#keys[e] = member;
    this.#scores[e] = score;
    this.#hashes[e] = h;
    const b = h & (this.#buckets.length - 1);
    this.#next[e] = this.#buckets[b]!;
    this.#buckets[b] = e;
    this.size++;
  }

  /** Removes a member; false when absent. */
  delete(member: Bytes): boolean {
    const h = hashOf(member);
    const keys = this.#keys, hashes = this.#hashes, next = this.#next;
    const b = h & (this.#buckets.length - 1);
    let prev = -1, e = this.#buckets[b]!;
    while (e !== -1) {
      if (hashes[e] === h && keys[e] === member) break;
      prev = e;
      e = next[e]!;
    }
    if (e === -1) return false;
    if (prev === -1) this.#buckets[b] = next[e]!;
    else next[prev] = next[e]!;
    keys[e] = undefined;
    this.size--;
    if (this.size === 0) {
      // Emptied (the key goes too, but a MULTI may add again): start over.
      this.#used = 0;
      this.#buckets.fill(-1);
    } else if (this.size * 4 <= this.#used && this.#keys.length > MIN_CAP) {
      this.#rebuild(Math.max(MIN_CAP, this.#keys.length >> 1));
    }
    return true;
  }

  /** Copies the live entries to new arrays of `cap` entries, in order. */
  #rebuild(cap: number): void {
    const keys = this.#keys, scores = this.#scores, hashes = this.#hashes, used = this.#used;
    const nkeys = new Array<Bytes | undefined>(cap).fill(undefined);
    const nscores = new Float64Array(cap), nhashes = new Int32Array(cap);
    const nnext = new Int32Array(cap), nbuckets = new Int32Array(cap >> 1).fill(-1);
    const mask = nbuckets.length - 1;
    let n = 0;
    for (let e = 0; e < used; e++) {
      const k = keys[e];
      if (k === undefined) continue;
      const h = hashes[e]!;
      nkeys[n] = k;
      nscores[n] = scores[e]!;
      nhashes[n] = h;
      nnext[n] = nbuckets[h & mask]!;
      nbuckets[h & mask] = n;
      n++;
    }
    this.#keys = nkeys;
    this.#scores = nscores;
    this.#hashes = nhashes;
    this.#next = nnext;
    this.#buckets = nbuckets;
    this.#used = n;
  }

  /**
   * `[member, score]` pairs in insertion order. Survives changes: it walks
   * the entry arrays it started on (a rebuild makes new ones) and gives the
   * member's current score, skipping members no longer present.
   */
  *entries(): IterableIterator<[Bytes, number]> {
    const keys = this.#keys;
    for (let e = 0; e < keys.length; e++) {
      const k = keys[e];
      if (k === undefined) continue;
      if (keys === this.#keys) {
        yield [k, this.#scores[e]!];
      } else {
        const s = this.get(k);
        if (s !== undefined) yield [k, s];
      }
    }
  }

  [Symbol.iterator](): IterableIterator<[Bytes, number]> {
    return this.entries();
  }
}
