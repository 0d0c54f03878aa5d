/**
 * Redis's eviction pool (`evict.c`): sampled candidates kept sorted by how
 * good they are to evict, so that each eviction picks the best of many
 * samples gathered over time rather than the best of the last few.
 *
 * Sampling: Redis's `dictGetSomeKeys` reads a few consecutive buckets from
 * a random place. A JS `Map` has no random access, so {@link KeySampler}
 * walks a rotating iterator a random few steps per sample (O(1)
 * amortised); over successive evictions the cursor sweeps the whole table,
 * and neighbours in insertion order are compared with each other, which is
 * what Redis's bucket runs do too.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { KeyMap } from "../../core/keymap.ts";

/** Redis's `EVPOOL_SIZE`. */
export const POOL_SIZE = 16;

/** One candidate: its score (higher evicts first), key and database. */
export interface Candidate {
  idle: number;
  key: Bytes;
  db: number;
}

/**
 * Candidates sorted by ascending `idle`; the best one is last.
 *
 * @example
 * ```ts
 * import { EvictionPool } from "./_pool.ts";
 * const pool = new EvictionPool();
 * pool.offer(10, "a", 0);
 * pool.offer(99, "b", 0);
 * console.log(pool.pop()?.key); // "b"
 * ```
 */
export class EvictionPool {
  readonly entries: Candidate[] = [];

  /** Inserts a candidate where it belongs, dropping the worst when full. */
  offer(idle: number, key: Bytes, db: number): void {
    const e = this.entries;
    // Already pooled (sampled again): refresh its score.
    for (let i = 0; i < e.length; i++) {
      if (e[i]!.key === key && e[i]!.db === db) {
        e.splice(i, 1);
        break;
      }
    }
    let k = 0;
    while (k < e.length && e[k]!.idle < idle) k++;
    if (e.length >= POOL_SIZE) {
      if (k === 0) return; // worse than everything pooled
      e.splice(0, 1); // drop the worst to make room
      k--;
    }
    e.splice(k, 0, { idle, key, db });
  }

  /** Takes the best candidate out. */
  pop(): Candidate | undefined {
    return this.entries.pop();
  }

  /** Forgets every candidate (policy change, flush). */
  clear(): void {
    this.entries.length = 0;
  }
}

/**
 * Draws keys from maps (a database's keys, or its expiry table) through a
 * rotating iterator per map.
 */
export class KeySampler {
  #its = new WeakMap<KeyMap<unknown>, Iterator<Bytes>>();

  /** Up to `n` distinct-ish keys of `map`, from where the last draw stopped. */
  sample(map: KeyMap<unknown>, n: number): Bytes[] {
    if (map.size <= n) return [...map.keys()];
    const out: Bytes[] = [];
    let it = this.#its.get(map);
    // A random stride keeps successive samples from always being neighbours.
    const spread = Math.min(Math.floor(map.size / n), 16);
    let wraps = 0;
    while (out.length < n) {
      let skip = Math.floor(Math.random() * spread);
      let key: Bytes | undefined;
      while (skip-- >= 0) {
        let r = it?.next();
        if (r === undefined || r.done) {
          if (++wraps > 2) return out;
          it = map.keys();
          this.#its.set(map, it);
          r = it.next();
          if (r.done) return out;
        }
        key = r.value;
      }
      if (key !== undefined) out.push(key);
    }
    return out;
  }

  /** One key of `map`, as random as the sampler gets. */
  one(map: KeyMap<unknown>): Bytes | undefined {
    return this.sample(map, 1)[0];
  }
}
