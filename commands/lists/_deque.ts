/**
 * A ring-buffer deque of byte strings: the storage behind list values.
 *
 * Push and pop at either end are O(1) amortised, reading or replacing an
 * element by index is O(1) (LINDEX, LSET), and a range read (LRANGE) walks
 * the slots directly. The capacity is a power of two so an index wraps with
 * a mask; it doubles when full and halves when a quarter full, so a list
 * that grew and shrank gives its memory back.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";

const MIN_CAPACITY = 4;

/**
 * A double-ended queue over a circular buffer.
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
  #buf: (Bytes | undefined)[];
  #head = 0;
  #len = 0;
  #mask: number;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.#buf = new Array<Bytes | undefined>(cap).fill(undefined);
    this.#mask = cap - 1;
  }

  /** Builds a deque holding `items` in order. */
  static from(items: readonly Bytes[]): Deque {
    const d = new Deque(items.length);
    for (let i = 0; i < items.length; i++) d.#buf[i] = items[i];
    d.#len = items.length;
    return d;
  }

  /** Number of elements. */
  get length(): number {
    return this.#len;
  }

  /** Appends at the tail. */
  pushBack(v: Bytes): void {
    if (this.#len === this.#buf.length) this.#resize(this.#buf.length * 2);
    this.#buf[(this.#head + this.#len) & this.#mask] = v;
    this.#len++;
  }

  /** Prepends at the head. */
  pushFront(v: Bytes): void {
    if (this.#len === this.#buf.length) this.#resize(this.#buf.length * 2);
    this.#head = (this.#head - 1) & this.#mask;
    this.#buf[this.#head] = v;
    this.#len++;
  }

  /** Removes and returns the head element. */
  popFront(): Bytes | undefined {
    if (this.#len === 0) return undefined;
    const v = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#len--;
    this.#maybeShrink();
    return v;
  }

  /** Removes and returns the tail element. */
  popBack(): Bytes | undefined {
    if (this.#len === 0) return undefined;
    const i = (this.#head + this.#len - 1) & this.#mask;
    const v = this.#buf[i];
    this.#buf[i] = undefined;
    this.#len--;
    this.#maybeShrink();
    return v;
  }

  /** The element at `i` (0 = head); the caller checks `0 <= i < length`. */
  at(i: number): Bytes {
    return this.#buf[(this.#head + i) & this.#mask]!;
  }

  /** Replaces the element at `i`; the caller checks the range. */
  setAt(i: number, v: Bytes): void {
    this.#buf[(this.#head + i) & this.#mask] = v;
  }

  /** Elements `start..end` inclusive (already clamped), head to tail. */
  range(start: number, end: number): Bytes[] {
    const out = new Array<Bytes>(end - start + 1);
    const buf = this.#buf, mask = this.#mask, base = this.#head + start;
    for (let j = 0; j <= end - start; j++) out[j] = buf[(base + j) & mask]!;
    return out;
  }

  /**
   * Inserts `v` so that it ends up at index `i` (0..length), moving the
   * shorter side: O(min(i, length - i)).
   */
  insertAt(i: number, v: Bytes): void {
    if (i === 0) return this.pushFront(v);
    if (i === this.#len) return this.pushBack(v);
    if (this.#len === this.#buf.length) this.#resize(this.#buf.length * 2);
    const buf = this.#buf, mask = this.#mask;
    if (i < this.#len / 2) {
      this.#head = (this.#head - 1) & mask;
      for (let j = 0; j < i; j++) {
        buf[(this.#head + j) & mask] = buf[(this.#head + j + 1) & mask];
      }
    } else {
      for (let j = this.#len; j > i; j--) {
        buf[(this.#head + j) & mask] = buf[(this.#head + j - 1) & mask];
      }
    }
    buf[(this.#head + i) & mask] = v;
    this.#len++;
  }

  /** Keeps only elements `start..end` inclusive (clamped; empty when start > end). */
  keepRange(start: number, end: number): void {
    if (start > end) {
      this.#reset();
      return;
    }
    const buf = this.#buf, mask = this.#mask;
    for (let j = 0; j < start; j++) buf[(this.#head + j) & mask] = undefined;
    for (let j = end + 1; j < this.#len; j++) buf[(this.#head + j) & mask] = undefined;
    this.#head = (this.#head + start) & mask;
    this.#len = end - start + 1;
    this.#maybeShrink();
  }

  /**
   * Removes up to `limit` elements equal to `v` (0 = all), scanning from the
   * head, or from the tail when `fromTail`. Returns how many went.
   */
  removeEqual(v: Bytes, limit: number, fromTail: boolean): number {
    const n = this.#len;
    const buf = this.#buf, mask = this.#mask, head = this.#head;
    // Mark the victims, then compact once: O(n) however many match.
    const drop = new Uint8Array(n);
    let removed = 0;
    if (fromTail) {
      for (let j = n - 1; j >= 0 && (limit === 0 || removed < limit); j--) {
        if (buf[(head + j) & mask] === v) {
          drop[j] = 1;
          removed++;
        }
      }
    } else {
      for (let j = 0; j < n && (limit === 0 || removed < limit); j++) {
        if (buf[(head + j) & mask] === v) {
          drop[j] = 1;
          removed++;
        }
      }
    }
    if (removed === 0) return 0;
    let w = 0;
    for (let j = 0; j < n; j++) {
      if (drop[j] === 0) {
        if (w !== j) buf[(head + w) & mask] = buf[(head + j) & mask];
        w++;
      }
    }
    for (let j = w; j < n; j++) buf[(head + j) & mask] = undefined;
    this.#len = w;
    this.#maybeShrink();
    return removed;
  }

  /** Index of the first element equal to `v` from the head, or -1. */
  indexOf(v: Bytes): number {
    const buf = this.#buf, mask = this.#mask, head = this.#head;
    for (let j = 0; j < this.#len; j++) if (buf[(head + j) & mask] === v) return j;
    return -1;
  }

  /** Head to tail. */
  *[Symbol.iterator](): IterableIterator<Bytes> {
    for (let j = 0; j < this.#len; j++) yield this.#buf[(this.#head + j) & this.#mask]!;
  }

  /** All elements head to tail, as an array. */
  toArray(): Bytes[] {
    return this.#len === 0 ? [] : this.range(0, this.#len - 1);
  }

  #reset(): void {
    this.#buf = new Array<Bytes | undefined>(MIN_CAPACITY).fill(undefined);
    this.#mask = MIN_CAPACITY - 1;
    this.#head = 0;
    this.#len = 0;
  }

  #maybeShrink(): void {
    const cap = this.#buf.length;
    if (cap > 64 && this.#len < cap / 4) this.#resize(cap / 2);
  }

  #resize(cap: number): void {
    const next = new Array<Bytes | undefined>(cap).fill(undefined);
    for (let j = 0; j < this.#len; j++) next[j] = this.#buf[(this.#head + j) & this.#mask];
    this.#buf = next;
    this.#head = 0;
    this.#mask = cap - 1;
  }
}
