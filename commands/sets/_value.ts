/**
 * The set value: a table of byte strings, with Redis 7.0's encoding rules
 * and O(1) random access on demand.
 *
 * Storage. Members are the keys of a {@link KeyMap} (a V8 `Set` would
 * internalize each new member: a runtime call and a string-table entry).
 * The table has no random access, so the first time SPOP or SRANDMEMBER
 * needs a random member of a set larger than {@link WALK_LIMIT}, the set
 * switches for good to an indexed form: each member's value in the table
 * becomes its index in a dense array of members (until then it is 0).
 * Adds append, deletes swap the last member into the hole, so random picks
 * are exactly uniform and O(1) and SPOP with a count is O(count). Only sets
 * that are actually sampled pay for the index. Small sets pick by walking
 * their iterator a random number of steps.
 *
 * Encoding. Redis 7.0 keeps a set as an `intset` while every member is an
 * integer in canonical form that fits 64 bits and the set has at most
 * `set-max-intset-entries` members, else as a `hashtable`, for good. Only
 * the flag is modelled (the members are strings either way), plus the one
 * visible effect: intset members read back in ascending numeric order.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { DataObject, ElementsView, ValueType } from "../../core/keyspace.ts";
import type { Digestible, ValueDigest } from "../../core/digest.ts";
import { parseInteger } from "../../core/number.ts";
import { KeyMap } from "../../core/keymap.ts";

/** A server's live set encoding threshold, read from its config. */
export interface SetLimits {
  /** `set-max-intset-entries`. */
  maxIntset: number;
}

/** Sets up to this size pick random members by walking, without an index. */
const WALK_LIMIT = 16;

/**
 * True when `s` is what Redis's intset accepts: a canonical decimal integer
 * (no sign but `-`, no leading zeros) within the signed 64-bit range.
 */
export function isIntMember(s: Bytes): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  const c = s.charCodeAt(0);
  if (c !== 45 && (c < 48 || c > 57)) return false;
  return parseInteger(s) !== undefined;
}

/** Orders canonical integer strings numerically (exactly, past 2^53 too). */
function compareInts(a: Bytes, b: Bytes): number {
  const d = Number(a) - Number(b);
  if (d !== 0 || a === b) return d;
  const x = BigInt(a), y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A Redis set.
 *
 * @example
 * ```ts
 * import { SetValue } from "./_value.ts";
 * const s = new SetValue();
 * s.add("3", 512);
 * s.add("1", 512);
 * console.log(s.encoding(), [...s.elements()]); // "intset" ["1", "3"]
 * ```
 */
export class SetValue implements DataObject, ElementsView, Digestible {
  readonly type = "set";
  /** True while Redis would keep this set as an intset. */
  intset = true;
  /** Members, each -> its index in `#arr` once indexed (0 before). */
  #m = new KeyMap<number>();
  /** Dense member array (indexed form only). */
  #arr: Bytes[] | undefined;
  /** Intset read order, cached until the next change. */
  #sorted: Bytes[] | undefined;

  /** Builds a set from members, with the encoding Redis would choose. */
  static from(members: Iterable<Bytes>, maxIntset: number): SetValue {
    const s = new SetValue();
    for (const m of members) s.add(m, maxIntset);
    return s;
  }

  /** Number of members. */
  get length(): number {
    return this.#m.size;
  }

  /** OBJECT ENCODING's answer. */
  encoding(): string {
    return this.intset ? "intset" : "hashtable";
  }

  /** True when `m` is a member. */
  has(m: Bytes): boolean {
    return this.#m.has(m);
  }

  /**
   * Adds a member; true when it was new. `maxIntset` is the current
   * `set-max-intset-entries`: past it, or on a non-integer member, the set
   * becomes a hashtable for good (as Redis's setTypeAdd converts).
   */
  add(m: Bytes, maxIntset: number): boolean {
    const map = this.#m;
    if (this.#arr === undefined) {
      if (!map.put(m, 0)) return false;
    } else {
      if (map.has(m)) return false;
      map.set(m, this.#arr.length);
      this.#arr.push(m);
    }
    if (this.intset) {
      this.#sorted = undefined;
      if (map.size > maxIntset || !isIntMember(m)) this.intset = false;
    }
    return true;
  }

  /** Removes a member; true when it was there. */
  delete(m: Bytes): boolean {
    const arr = this.#arr;
    if (arr === undefined) {
      if (!this.#m.delete(m)) return false;
    } else {
      const map = this.#m;
      const i = map.get(m);
      if (i === undefined) return false;
      const last = arr.pop()!;
      if (i < arr.length) {
        arr[i] = last;
        map.set(last, i);
      }
      map.delete(m);
    }
    this.#sorted = undefined;
    return true;
  }

  /**
   * Members in Redis's read order where it is defined: ascending numbers
   * for an intset; otherwise insertion order (Redis's is hash order).
   */
  elements(): Iterable<Bytes> {
    if (!this.intset) return this.#m.keys();
    this.#sorted ??= [...this.#m.keys()].sort(compareInts);
    return this.#sorted;
  }

  /** A live iterator over the members (SSCAN keeps it between calls). */
  liveIterator(): Iterator<Bytes> {
    return this.#m.keys();
  }

  /** A uniformly random member; the set must not be empty. */
  random(): Bytes {
    const n = this.#m.size;
    if (this.#arr === undefined && n <= WALK_LIMIT) {
      let skip = Math.floor(Math.random() * n);
      for (const m of this.#m.keys()) if (skip-- === 0) return m;
    }
    const arr = this.#index();
    return arr[Math.floor(Math.random() * arr.length)]!;
  }

  /** Removes and returns a random member; the set must not be empty. */
  pop(): Bytes {
    const m = this.random();
    this.delete(m);
    return m;
  }

  /**
   * `count` distinct random members (count < length), in random order, in
   * O(count): rejection sampling when few are wanted, else a partial
   * Fisher-Yates shuffle of a copy of the index.
   */
  sample(count: number): Bytes[] {
    const arr = this.#index();
    const n = arr.length;
    if (count * 3 <= n) {
      const picked = new Set<number>();
      const out: Bytes[] = [];
      while (out.length < count) {
        const i = Math.floor(Math.random() * n);
        if (picked.has(i)) continue;
        picked.add(i);
        out.push(arr[i]!);
      }
      return out;
    }
    const copy = arr.slice();
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (n - i));
      const t = copy[i]!;
      copy[i] = copy[j]!;
      copy[j] = t;
    }
    copy.length = count;
    return copy;
  }

  /** Switches to the indexed form (once) and returns the member array. */
  #index(): Bytes[] {
    if (this.#arr !== undefined) return this.#arr;
    const map = this.#m;
    const arr: Bytes[] = [];
    // Values change, not keys: the walk is undisturbed.
    for (const m of map.keys()) {
      map.set(m, arr.length);
      arr.push(m);
    }
    this.#arr = arr;
    return arr;
  }

  /** A deep copy (members are immutable strings). */
  clone(): SetValue {
    const s = new SetValue();
    // The copy is not indexed: its values are not read until it is.
    s.#m = this.#m.copy();
    s.intset = this.intset;
    return s;
  }

  /** Redis's set digest: each member XORed in. */
  digest(d: ValueDigest): void {
    for (const m of this.#m.keys()) d.xor(m);
  }
}

/**
 * The `set` value type of a server whose threshold is `limits`:
 * persistence, RESTORE and SORT ... STORE build sets through it.
 */
export function setType(limits: SetLimits): ValueType {
  return { name: "set", fromElements: (items) => SetValue.from(items, limits.maxIntset) };
}
