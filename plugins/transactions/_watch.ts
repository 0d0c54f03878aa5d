/**
 * WATCH bookkeeping for the transactions plugin: which clients watch which
 * keys of which database, and the rules (Redis 7.0's `multi.c`) by which a
 * change, a flush, a SWAPDB or an expiry makes a watching client's EXEC
 * fail.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { Database } from "../../core/keyspace.ts";
import { KeyMap } from "../../core/keymap.ts";

/** A client that can watch keys: the registry marks it dirty. */
export interface Watcher {
  /** Set once a watched key changed: the next EXEC fails. */
  dirty: boolean;
  /** The keys it watches, per database. */
  readonly watched: Map<Database, Map<Bytes, WatchedKey>>;
}

/** One client watching one key. */
export interface WatchedKey {
  readonly owner: Watcher;
  /**
   * The key was already logically expired (but not reclaimed) when WATCH
   * ran. Its reclaiming is then no change, and EXEC does not count it as
   * expired (Redis 7.0).
   */
  expired: boolean;
}

/** True when `key` has a TTL that has passed, reclaimed or not. */
export function keyIsExpired(db: Database, key: Bytes, now: number): boolean {
  const at = db.expires.get(key);
  return at !== undefined && at <= now;
}

/**
 * Every watched key: database -> key -> the clients watching it. Lookups
 * on the write path cost one counter test while nobody watches anything
 * (the transactions plugin also disarms its keyChanged hook then).
 *
 * @example
 * ```ts
 * import { Keyspace } from "../../core/keyspace.ts";
 * import { WatchRegistry, type Watcher } from "./_watch.ts";
 * const db = new Keyspace({ databases: 1 }).db(0);
 * const reg = new WatchRegistry();
 * const w: Watcher = { dirty: false, watched: new Map() };
 * reg.watch(w, db, "k", 0);
 * reg.keyChanged(db, "k");
 * console.log(w.dirty); // true
 * ```
 */
export class WatchRegistry {
  /**
   * Watches by database and key. KeyMaps: every write looks its key up
   * here while some key is watched, and a `Map` would intern each fresh
   * key string. A database's table stays once made (a KeyMap costs more
   * to make than a `Map`, and a client may WATCH per transaction).
   */
  #byDb = new Map<Database, KeyMap<Set<WatchedKey>>>();
  #count = 0;
  /** Called when a first key is watched (key changes matter again). */
  onFirst: (() => void) | undefined;

  /** Number of (client, key) watches. */
  get size(): number {
    return this.#count;
  }

  /** Starts watching; watching a key twice is a no-op. */
  watch(w: Watcher, db: Database, key: Bytes, now: number): void {
    let mine = w.watched.get(db);
    if (mine === undefined) w.watched.set(db, mine = new Map());
    if (mine.has(key)) return;
    const wk: WatchedKey = { owner: w, expired: keyIsExpired(db, key, now) };
    mine.set(key, wk);
    let keys = this.#byDb.get(db);
    if (keys === undefined) this.#byDb.set(db, keys = new KeyMap());
    let set = keys.get(key);
    if (set === undefined) keys.set(key, set = new Set());
    set.add(wk);
    if (this.#count++ === 0) this.onFirst?.();
  }

  /** Forgets every key a client watches (the dirty flag stays as it is). */
  unwatchAll(w: Watcher): void {
    for (const [db, mine] of w.watched) {
      const keys = this.#byDb.get(db);
      for (const [key, wk] of mine) {
        const set = keys?.get(key);
        if (set === undefined || !set.delete(wk)) continue;
        this.#count--;
        if (set.size === 0) keys!.delete(key);
      }
    }
    w.watched.clear();
  }

  /** A key was written, deleted or expired (`touchWatchedKey`). */
  keyChanged(db: Database, key: Bytes): void {
    if (this.#count === 0) return;
    const set = this.#byDb.get(db)?.get(key);
    if (set === undefined) return;
    const dirty: Watcher[] = [];
    for (const wk of set) {
      // An already-expired key being reclaimed is logically no change.
      if (wk.expired && !db.data.has(key)) {
        wk.expired = false;
        continue;
      }
      dirty.push(wk.owner);
    }
    this.#markDirty(dirty);
  }

  /**
   * `db` is about to be emptied: clients watching a key it holds (expired
   * or not) fail, as `touchAllWatchedKeysInDb(db, NULL)` does.
   */
  flushed(db: Database): void {
    if (this.#count === 0) return;
    const keys = this.#byDb.get(db);
    if (keys === undefined) return;
    const dirty: Watcher[] = [];
    for (const [key, set] of keys) {
      if (!db.data.has(key)) continue;
      for (const wk of set) {
        if (wk.expired) {
          wk.expired = false;
          continue;
        }
        dirty.push(wk.owner);
      }
    }
    this.#markDirty(dirty);
  }

  /**
   * `a` and `b` have just exchanged contents (SWAPDB). Watched keys stay
   * with their database number; a client fails when its key existed in
   * either database, unless it stays logically the same (expired before
   * and after, or missing replaced by expired).
   */
  swapped(a: Database, b: Database, now: number): void {
    if (this.#count === 0) return;
    const dirty: Watcher[] = [];
    this.#swappedOne(a, b, now, dirty);
    if (a !== b) this.#swappedOne(b, a, now, dirty);
    this.#markDirty(dirty);
  }

  /** Watches of `x`, which now holds what `y` held and vice versa. */
  #swappedOne(x: Database, y: Database, now: number, dirty: Watcher[]): void {
    const keys = this.#byDb.get(x);
    if (keys === undefined) return;
    for (const [key, set] of keys) {
      const existedHere = y.data.has(key); // x's old contents are in y now
      const arrived = x.data.has(key);
      if (!existedHere && !arrived) continue;
      for (const wk of set) {
        if (wk.expired) {
          if (!arrived) {
            wk.expired = false;
            continue;
          }
          if (keyIsExpired(x, key, now)) continue;
        } else if (!existedHere && keyIsExpired(x, key, now)) {
          wk.expired = true;
          continue;
        }
        dirty.push(wk.owner);
      }
    }
  }

  /** True when a key the client watches has expired since WATCH. */
  anyExpired(w: Watcher, now: number): boolean {
    for (const [db, mine] of w.watched) {
      for (const [key, wk] of mine) {
        if (!wk.expired && keyIsExpired(db, key, now)) return true;
      }
    }
    return false;
  }

  /** Marks clients dirty and drops their watches: nothing can undo it. */
  #markDirty(ws: readonly Watcher[]): void {
    for (const w of ws) {
      if (w.dirty && w.watched.size === 0) continue;
      w.dirty = true;
      this.unwatchAll(w);
    }
  }
}
