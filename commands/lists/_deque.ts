/**
 * A chunked deque of byte strings: the storage behind list values.
 *
 * A short list is one small array (4 slots, doubled up to one chunk of
 * {@link CHUNK} slots) with free room on both sides; it is never wrapped,
 * so an index is a plain offset. A longer list is a ring of fixed-size
 * chunks, as Redis's quicklist is a list of small nodes: growing adds a
 * chunk (or doubles the small ring of chunk references), so a long list is
 * never copied, and no array of a million slots is reallocated, filled and
 * rescanned by the collector.
 *
 * Push and pop at either end are O(1) amortised, reading or replacing an
 * element by index is O(1) (LINDEX, LSET). A chunk emptied by pops is given
 * back, the ring of chunks halves when a quarter used, and a list that fits
 * one chunk again becomes a small array that halves when a quarter full, so
 * a list that grew and shrank gives its memory back.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";

type Chunk = (Bytes | undefined)[];
/** Chunk references; the ones no element reaches are undefined. */
type Ring = (Chunk | undefined)[];

/** log2 of the chunk size. */
const SHIFT = 8;
/** Slots per chunk, and the largest small array. */
const CHUNK = 1 << SHIFT;
const SLOT = CHUNK - 1;
const MIN_CAPACITY = 4;
/** A small array shrinks only above this capacity. */
const SHRINK_ABOVE = 16;

/**
 * Emptied chunks (every slot undefined) kept for reuse, so a list that
 * pushes and pops across a chunk boundary, or a queue that moves along its
 * ring, does not allocate. Bounded: CHUNK * POOL_MAX slots in all.
 */
const pool: Chunk[] = [];
const POOL_MAX = 16;

function newChunk(): Chunk {
  return pool.pop() ?? new Array<Bytes | undefined>(CHUNK);
}

function pow2(n: number): number {
  let cap = MIN_CAPACITY;
  while (cap < n && cap < CHUNK) cap *= 2;
  return cap;
}

/**
 * A double-ended queue over a small array, or a ring of chunks.
 *
 * Two shapes, told apart by `#mask`:
 * - small (`#mask < CHUNK`): `#data` is the element array, of `#mask + 1`
 *   slots, and the elements sit at `#head .. #head + #len - 1`, unwrapped.
 * - chunked: `#data` is a ring of `(#mask + 1) / CHUNK` chunk references;
 *   element `i` is at virtual slot `p = (#head + i) & #mask`, that is slot
 *   `p & SLOT` of chunk `p >> SHIFT`. The chunks from the head's to the
 *   tail's are allocated, the others undefined; the head's and the tail's
 *   chunk are never the same chunk unless the list spans one chunk, so an
 *   end that reaches a chunk boundary always finds a free chunk or a full
 *   ring. A chunked list spans at least two chunks (one becomes small).
 *
 * @example
 * ```ts
 * import { Deque } from "./_deque.ts";
 * const d = new Deque();
 * d.pushBack("b");
 * d.pushFront("a");
 * console.log(d.at(0), d.at(1), d.length); // "a" "b" 2
 * ```
 */
export class Deque {
  #data: Chunk | Ring;
  #head = 0;
  #len = 0;
  #mask: number;

  constructor(capacity = MIN_CAPACITY) {
    const cap = pow2(capacity);
    this.#data = new Array<Bytes | undefined>(cap);
    this.#mask = cap - 1;
  }

  /** Builds a deque holding `items` in order. */
  static from(items: readonly Bytes[]): Deque {
    const d = new Deque(items.length);
    for (let i = 0; i < items.length; i++) d.pushBack(items[i]!);
    return d;
  }

  /** Number of elements. */
  get length(): number {
    return this.#len;
  }

  /** Appends at the tail. */
  pushBack(v: Bytes): void {
    const n = this.#len, mask = this.#mask;
    const p = (this.#head + n) & mask;
    // Slot 0 of a chunk (or the small array's end): maybe no room there.
    if ((p & SLOT) === 0) return this.#pushBackSlow(v);
    if (mask < CHUNK) (this.#data as Chunk)[p] = v;
    else (this.#data as Ring)[p >> SHIFT]![p & SLOT] = v;
    this.#len = n + 1;
  }

  /** Prepends at the head. */
  pushFront(v: Bytes): void {
    const g = this.#head;
    if ((g & SLOT) === 0) return this.#pushFrontSlow(v);
    const mask = this.#mask;
    const p = g - 1; // g is not at a chunk start: no wrap
    if (mask < CHUNK) (this.#data as Chunk)[p] = v;
    else (this.#data as Ring)[p >> SHIFT]![p & SLOT] = v;
    this.#head = p;
    this.#len++;
  }

  /** Removes and returns the head element. */
  popFront(): Bytes | undefined {
    const n = this.#len;
    if (n === 0) return undefined;
    const g = this.#head, mask = this.#mask;
    this.#len = n - 1;
    if (mask < CHUNK) {
      const b = this.#data as Chunk;
      const v = b[g];
      b[g] = undefined;
      this.#head = n === 1 ? 0 : g + 1;
      if (n <= (mask + 1) >> 2 && mask >= SHRINK_ABOVE) this.#shrinkSmall();
      return v;
    }
    const k = g >> SHIFT;
    const c = (this.#data as Ring)[k]!;
    const v = c[g & SLOT];
    c[g & SLOT] = undefined;
    const h = (g + 1) & mask;
    this.#head = h;
    if ((h & SLOT) === 0) this.#chunkEmptied(k);
    return v;
  }

  /** Removes and returns the tail element. */
  popBack(): Bytes | undefined {
    const n = this.#len;
    if (n === 0) return undefined;
    const mask = this.#mask;
    this.#len = n - 1;
    if (mask < CHUNK) {
      const b = this.#data as Chunk;
      const e = this.#head + n - 1;
      const v = b[e];
      b[e] = undefined;
      if (n === 1) this.#head = 0;
      else if (n <= (mask + 1) >> 2 && mask >= SHRINK_ABOVE) this.#shrinkSmall();
      return v;
    }
    const e = (this.#head + n - 1) & mask;
    const k = e >> SHIFT;
    const c = (this.#data as Ring)[k]!;
    const v = c[e & SLOT];
    c[e & SLOT] = undefined;
    if ((e & SLOT) === 0) this.#chunkEmptied(k);
    return v;
  }

  /** The element at `i` (0 = head); the caller checks `0 <= i < length`. */
  at(i: number): Bytes {
    const p = this.#head + i, mask = this.#mask, data = this.#data;
    if (mask < CHUNK) return (data as Chunk)[p] as Bytes;
    const q = p & mask;
    return ((data as Ring)[q >> SHIFT] as Chunk)[q & SLOT] as Bytes;
  }

  /** Replaces the element at `i`; the caller checks the range. */
  setAt(i: number, v: Bytes): void {
    const p = this.#head + i, mask = this.#mask, data = this.#data;
    if (mask < CHUNK) {
      (data as Chunk)[p] = v;
      return;
    }
    const q = p & mask;
    ((data as Ring)[q >> SHIFT] as Chunk)[q & SLOT] = v;
  }

  /** Elements `start..end` inclusive (already clamped), head to tail. */
  range(start: number, end: number): Bytes[] {
    const count = end - start + 1;
    const out = new Array<Bytes>(count);
    const mask = this.#mask;
    if (mask < CHUNK) {
      const b = this.#data as Chunk, base = this.#head + start;
      for (let j = 0; j < count; j++) out[j] = b[base + j]!;
      return out;
    }
    // Chunk by chunk.
    const map = this.#data as Ring;
    let p = (this.#head + start) & mask, j = 0;
    while (j < count) {
      const c = map[p >> SHIFT]!;
      let s = p & SLOT;
      const stop = j + Math.min(CHUNK - s, count - j);
      while (j < stop) out[j++] = c[s++]!;
      p = (p + CHUNK - (p & SLOT)) & mask;
    }
    return out;
  }

  /**
   * Hands elements `start..end` inclusive (already clamped), head to tail,
   * to `sink.bulk`, chunk by chunk: LRANGE's replies without an index
   * lookup per element or an array of them.
   */
  writeRange(start: number, end: number, sink: { bulk(v: Bytes): void }): void {
    const count = end - start + 1;
    const mask = this.#mask;
    if (mask < CHUNK) {
      const b = this.#data as Chunk, base = this.#head + start;
      for (let j = 0; j < count; j++) sink.bulk(b[base + j]!);
      return;
    }
    const map = this.#data as Ring;
    let p = (this.#head + start) & mask, left = count;
    while (left > 0) {
      const c = map[p >> SHIFT]!;
      let s = p & SLOT;
      const n = Math.min(CHUNK - s, left);
      for (const stop = s + n; s < stop; s++) sink.bulk(c[s]!);
      left -= n;
      p = (p + CHUNK - (p & SLOT)) & mask;
    }
  }

  /**
   * Inserts `v` so that it ends up at index `i` (0..length), moving the
   * shorter side: O(min(i, length - i)).
   */
  insertAt(i: number, v: Bytes): void {
    const n = this.#len;
    if (i === 0) return this.pushFront(v);
    if (i === n) return this.pushBack(v);
    if (i < n / 2) {
      // One more slot at the head, then elements 1..i-1 move one left.
      this.pushFront(this.at(0));
      for (let j = 1; j < i; j++) this.setAt(j, this.at(j + 1));
    } else {
      // One more slot at the tail, then elements i..n-2 move one right.
      this.pushBack(this.at(n - 1));
      for (let j = n - 1; j > i; j--) this.setAt(j, this.at(j - 1));
    }
    this.setAt(i, v);
  }

  /** Keeps only elements `start..end` inclusive (clamped; empty when start > end). */
  keepRange(start: number, end: number): void {
    if (start > end) {
      this.#reset(MIN_CAPACITY);
      return;
    }
    const n = this.#len, kept = end - start + 1;
    if (kept === n) return;
    if (kept < n - kept) {
      // Fewer to keep than to drop: rebuild from the kept ones.
      const items = this.range(start, end);
      this.#reset(kept);
      for (let j = 0; j < kept; j++) this.pushBack(items[j]!);
      return;
    }
    // Popping gives chunks back and shrinks as it goes.
    for (let j = 0; j < start; j++) this.popFront();
    for (let j = end + 1; j < n; j++) this.popBack();
  }

  /**
   * Removes up to `limit` elements equal to `v` (0 = all), scanning from the
   * head, or from the tail when `fromTail`. Returns how many went.
   */
  removeEqual(v: Bytes, limit: number, fromTail: boolean): number {
    const n = this.#len;
    // Mark the victims, then compact once: O(n) however many match.
    const drop = new Uint8Array(n);
    let removed = 0;
    if (fromTail) {
      for (let j = n - 1; j >= 0 && (limit === 0 || removed < limit); j--) {
        if (this.at(j) === v) {
          drop[j] = 1;
          removed++;
        }
      }
    } else {
      for (let j = 0; j < n && (limit === 0 || removed < limit); j++) {
        if (this.at(j) === v) {
          drop[j] = 1;
          removed++;
        }
      }
    }
    if (removed === 0) return 0;
    let w = 0;
    for (let j = 0; j < n; j++) {
      if (drop[j] === 0) {
        if (w !== j) this.setAt(w, this.at(j));
        w++;
      }
    }
    // The tail's leftovers go by popping, which gives chunks back.
    for (let j = w; j < n; j++) this.popBack();
    return removed;
  }

  /** Index of the first element equal to `v` from the head, or -1. */
  indexOf(v: Bytes): number {
    const n = this.#len;
    for (let j = 0; j < n; j++) if (this.at(j) === v) return j;
    return -1;
  }

  /** Head to tail. */
  *[Symbol.iterator](): IterableIterator<Bytes> {
    for (let j = 0; j < this.#len; j++) yield this.at(j);
  }

  /** All elements head to tail, as an array. */
  toArray(): Bytes[] {
    return this.#len === 0 ? [] : this.range(0, this.#len - 1);
  }

  /** Empty, as a small array of at least `capacity` slots (up to a chunk). */
  #reset(capacity: number): void {
    const cap = pow2(capacity);
    this.#data = new Array<Bytes | undefined>(cap);
    this.#mask = cap - 1;
    this.#head = 0;
    this.#len = 0;
  }

  /** pushBack when the next slot is a chunk's first (or past the small array). */
  #pushBackSlow(v: Bytes): void {
    const n = this.#len, mask = this.#mask;
    if (mask < CHUNK) {
      let b = this.#data as Chunk;
      const cap = mask + 1;
      if (n === 0) this.#head = 0;
      else if (2 * n <= cap) {
        // Room at the head: centre the elements.
        const from = this.#head, to = (cap - n) >> 1;
        for (let j = 0; j < n; j++) {
          b[to + j] = b[from + j];
          b[from + j] = undefined;
        }
        this.#head = to;
      } else if (cap < CHUNK) {
        b = this.#grow(2 * cap, 0);
      } else {
        // A full chunk: becomes the first of a ring of two.
        const map: Ring = new Array<Chunk | undefined>(2);
        map[0] = b;
        const c = map[1] = newChunk();
        c[0] = v;
        this.#data = map;
        this.#mask = 2 * CHUNK - 1;
        this.#len = n + 1;
        return;
      }
      b[this.#head + n] = v;
      this.#len = n + 1;
      return;
    }
    let p = (this.#head + n) & mask;
    if (p >> SHIFT === this.#head >> SHIFT) {
      // The ring is full up to the head's chunk.
      this.#remap(2 * ((mask + 1) >> SHIFT));
      p = this.#head + n;
    }
    const map = this.#data as Ring;
    (map[p >> SHIFT] ??= newChunk())[0] = v;
    this.#len = n + 1;
  }

  /** pushFront when the head is at a chunk's first slot (or the small array's). */
  #pushFrontSlow(v: Bytes): void {
    const n = this.#len, mask = this.#mask;
    if (mask < CHUNK) {
      let b = this.#data as Chunk;
      const cap = mask + 1;
      if (n === 0) this.#head = cap;
      else if (2 * n <= cap) {
        // Room at the tail: centre the elements.
        const to = (cap - n + 1) >> 1;
        for (let j = n - 1; j >= 0; j--) {
          b[to + j] = b[j];
          b[j] = undefined;
        }
        this.#head = to;
      } else if (cap < CHUNK) {
        b = this.#grow(2 * cap, 2 * cap - n);
      } else {
        // A full chunk: becomes the second of a ring of two.
        const map: Ring = new Array<Chunk | undefined>(2);
        map[1] = b;
        const c = map[0] = newChunk();
        c[CHUNK - 1] = v;
        this.#data = map;
        this.#mask = 2 * CHUNK - 1;
        this.#head = CHUNK - 1;
        this.#len = n + 1;
        return;
      }
      b[--this.#head] = v;
      this.#len = n + 1;
      return;
    }
    const g = this.#head;
    if (((g - 1) & mask) >> SHIFT === ((g + n - 1) & mask) >> SHIFT) {
      // The ring is full back to the tail's chunk.
      this.#remap(2 * ((mask + 1) >> SHIFT));
    }
    const h = (this.#head - 1) & this.#mask;
    const map = this.#data as Ring;
    (map[h >> SHIFT] ??= newChunk())[CHUNK - 1] = v;
    this.#head = h;
    this.#len = n + 1;
  }

  /** Copies the small array into one of `cap` slots, the elements from `at`. */
  #grow(cap: number, at: number): Chunk {
    const b = this.#data as Chunk, g = this.#head, n = this.#len;
    const next = new Array<Bytes | undefined>(cap);
    for (let j = 0; j < n; j++) next[at + j] = b[g + j];
    this.#data = next;
    this.#mask = cap - 1;
    this.#head = at;
    return next;
  }

  /** Halves a small array a quarter full (elements centred). */
  #shrinkSmall(): void {
    const n = this.#len, cap = (this.#mask + 1) >> 1;
    this.#grow(cap, (cap - n) >> 1);
  }

  /**
   * Chunk `k` of a chunked list was emptied by a pop and the list no longer
   * reaches it: gives it back, then shrinks the ring, or turns a list that
   * fits its head's chunk back into a small array.
   */
  #chunkEmptied(k: number): void {
    const map = this.#data as Ring;
    const c = map[k]!;
    map[k] = undefined;
    if (pool.length < POOL_MAX) pool.push(c);
    const n = this.#len, g = this.#head;
    if (n === 0) return this.#reset(MIN_CAPACITY);
    const used = ((g & SLOT) + n + SLOT) >> SHIFT;
    if (used === 1) {
      this.#data = map[g >> SHIFT]!;
      this.#mask = CHUNK - 1;
      this.#head = g & SLOT;
      return;
    }
    const chunks = (this.#mask + 1) >> SHIFT;
    if (chunks > 2 && used * 4 <= chunks) this.#remap(chunks >> 1);
  }

  /**
   * A ring of `chunks` chunk references holding the same chunks, the head's
   * first; positions move, elements stay in their chunks.
   */
  #remap(chunks: number): void {
    const map = this.#data as Ring, g = this.#head, n = this.#len;
    const used = ((g & SLOT) + n + SLOT) >> SHIFT;
    const mm = map.length - 1, first = g >> SHIFT;
    const next: Ring = new Array<Chunk | undefined>(chunks);
    for (let j = 0; j < used; j++) next[j] = map[(first + j) & mm]!;
    this.#data = next;
    this.#head = g & SLOT;
    this.#mask = chunks * CHUNK - 1;
  }
}
