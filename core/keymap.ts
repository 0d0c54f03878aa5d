/**
 * A string-keyed hash table with `Map`'s interface and iteration order,
 * for the keyspace's tables.
 *
 * Why not `Map`: V8 internalizes every string it is asked to look up in a
 * `Map` (a probe of the process-wide string table, a runtime call, and an
 * insert there for a new key) so that it can compare keys by pointer. Keys
 * that arrive as fresh strings from the wire pay that on every command;
 * with a million keys the string table is a second, cache-missing hash
 * table in front of the first. This one hashes the characters itself
 * (HalfSipHash-1-3 under a per-process random key, as Linux's `hsiphash`:
 * no one who cannot read the key can build colliding keys) and compares
 * candidates by content, so a lookup touches one bucket chain.
 *
 * Layout: entries in insertion order in parallel arrays (key, value, and a
 * hash and chain link per entry in one `Int32Array`); buckets hold the
 * first entry of their chain. A table made with `{ tags: true }` keeps an
 * int32 tag per entry beside them (the keyspace's access time), read and
 * written through the entry a lookup just found: no second table and no
 * second lookup. A delete leaves a hole; holes go when the
 * table is rebuilt (on growth, or on shrinking to a quarter). Iterators
 * follow rebuilds the way V8's do: a rebuilt generation records which
 * positions it dropped, so an iterator taken before keeps its place, and
 * every entry present for a whole iteration is visited exactly once.
 *
 * @example
 * ```ts
 * import { KeyMap } from "./keymap.ts";
 * const m = new KeyMap<number>();
 * m.set("a", 1).set("b", 2);
 * m.delete("a");
 * console.log(m.get("b"), m.size, [...m.keys()]); // 2 1 ["b"]
 * ```
 *
 * @module
 */

const seed = new Int32Array(2);
crypto.getRandomValues(seed);
const K0 = seed[0]!, K1 = seed[1]!;

/**
 * The last two strings hashed and their hashes: a command's key is usually
 * looked up more than once (a type check, then the write), a transaction
 * or a script alternates between a few keys, and a repeated key arrives as
 * the same string object (the parser's recent-string cache), whose
 * comparison here is a pointer's.
 */
let lastString: string | undefined;
let lastHash = 0;
let prevString: string | undefined;
let prevHash = 0;

/**
 * Keys {@link KeyMap.prefetch} hashed for the lookups that follow, in
 * their order, with their hashes: a lookup of the next one takes its hash
 * from here instead of hashing the key again.
 */
const PENDING_MAX = 32;
const pendingKeys: (string | undefined)[] = new Array(PENDING_MAX).fill(undefined);
const pendingHashes = new Int32Array(PENDING_MAX);
let pendingAt = 0;
let pendingEnd = 0;

/**
 * HalfSipHash-1-3 of a string's character codes (bytes, for the binary
 * strings keys are), 32 bits out, under this process's random key: the
 * hot path's copy of {@link halfSipHash}, its rounds written out. Its size
 * keeps V8 from inlining it into every lookup, where it would use up the
 * inlining budget of the dispatcher's command loop.
 */
export function hashKey(s: string): number {
  if (s === lastString) return lastHash;
  if (s === prevString) {
    const h = prevHash;
    prevString = lastString;
    prevHash = lastHash;
    lastString = s;
    return lastHash = h;
  }
  prevString = lastString;
  prevHash = lastHash;
  lastString = s;
  if (pendingAt !== pendingEnd) {
    if (s === pendingKeys[pendingAt]) {
      pendingKeys[pendingAt] = undefined;
      return lastHash = pendingHashes[pendingAt++]!;
    }
    // Out of order: the rest are hashed anew, and no stale key is compared.
    pendingAt = pendingEnd;
  }
  let v0 = K0, v1 = K1, v2 = 0x6c796765 ^ K0, v3 = 0x74656462 ^ K1;
  const n = s.length;
  const end = n & ~3;
  let i = 0;
  for (; i < end; i += 4) {
    const m = s.charCodeAt(i) | s.charCodeAt(i + 1) << 8 | s.charCodeAt(i + 2) << 16 |
      s.charCodeAt(i + 3) << 24;
    v3 ^= m;
    // One SipRound.
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5 | v1 >>> 27) ^ v0;
    v0 = v0 << 16 | v0 >>> 16;
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8 | v3 >>> 24) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7 | v3 >>> 25) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13 | v1 >>> 19) ^ v2;
    v2 = v2 << 16 | v2 >>> 16;
    v0 ^= m;
  }
  // The last block's round, then v2 ^= 0xff and three finalization rounds.
  const b = lastBlock(s, i, n);
  v3 ^= b;
  v0 = (v0 + v1) | 0;
  v1 = (v1 << 5 | v1 >>> 27) ^ v0;
  v0 = v0 << 16 | v0 >>> 16;
  v2 = (v2 + v3) | 0;
  v3 = (v3 << 8 | v3 >>> 24) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = (v3 << 7 | v3 >>> 25) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = (v1 << 13 | v1 >>> 19) ^ v2;
  v2 = v2 << 16 | v2 >>> 16;
  v0 ^= b;
  v2 ^= 0xff;
  v0 = (v0 + v1) | 0;
  v1 = (v1 << 5 | v1 >>> 27) ^ v0;
  v0 = v0 << 16 | v0 >>> 16;
  v2 = (v2 + v3) | 0;
  v3 = (v3 << 8 | v3 >>> 24) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = (v3 << 7 | v3 >>> 25) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = (v1 << 13 | v1 >>> 19) ^ v2;
  v2 = v2 << 16 | v2 >>> 16;
  v0 = (v0 + v1) | 0;
  v1 = (v1 << 5 | v1 >>> 27) ^ v0;
  v0 = v0 << 16 | v0 >>> 16;
  v2 = (v2 + v3) | 0;
  v3 = (v3 << 8 | v3 >>> 24) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = (v3 << 7 | v3 >>> 25) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = (v1 << 13 | v1 >>> 19) ^ v2;
  v2 = v2 << 16 | v2 >>> 16;
  v0 = (v0 + v1) | 0;
  v1 = (v1 << 5 | v1 >>> 27) ^ v0;
  v0 = v0 << 16 | v0 >>> 16;
  v2 = (v2 + v3) | 0;
  v3 = (v3 << 8 | v3 >>> 24) ^ v2;
  v0 = (v0 + v3) | 0;
  v3 = (v3 << 7 | v3 >>> 25) ^ v0;
  v2 = (v2 + v1) | 0;
  v1 = (v1 << 13 | v1 >>> 19) ^ v2;
  v2 = v2 << 16 | v2 >>> 16;
  return lastHash = v1 ^ v3;
}

/** HalfSipHash's last block: the tail's bytes, the length in the top byte. */
function lastBlock(s: string, i: number, n: number): number {
  let b = n << 24;
  switch (n & 3) {
    case 3:
      b |= s.charCodeAt(i + 2) << 16;
    // falls through
    case 2:
      b |= s.charCodeAt(i + 1) << 8;
    // falls through
    case 1:
      b |= s.charCodeAt(i);
  }
  return b;
}

/**
 * HalfSipHash-c-d with a 32-bit output (the reference implementation's
 * `halfsiphash` with `outlen` 4) of a string's character codes taken as
 * bytes, under the key `k0`, `k1` (its two little-endian words). For tests
 * against the reference vectors and {@link hashKey}.
 */
export function halfSipHash(s: string, k0: number, k1: number, c = 1, d = 3): number {
  let v0 = k0 | 0, v1 = k1 | 0, v2 = 0x6c796765 ^ k0, v3 = 0x74656462 ^ k1;
  const round = () => {
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5 | v1 >>> 27) ^ v0;
    v0 = v0 << 16 | v0 >>> 16;
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8 | v3 >>> 24) ^ v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7 | v3 >>> 25) ^ v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13 | v1 >>> 19) ^ v2;
    v2 = v2 << 16 | v2 >>> 16;
  };
  const n = s.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const m = s.charCodeAt(i) | s.charCodeAt(i + 1) << 8 | s.charCodeAt(i + 2) << 16 |
      s.charCodeAt(i + 3) << 24;
    v3 ^= m;
    for (let r = 0; r < c; r++) round();
    v0 ^= m;
  }
  const b = lastBlock(s, i, n);
  v3 ^= b;
  for (let r = 0; r < c; r++) round();
  v0 ^= b;
  v2 ^= 0xff;
  for (let r = 0; r < d; r++) round();
  return v1 ^ v3;
}

/** This process's hash key, for tests. */
export function hashKeySeed(): [number, number] {
  return [K0, K1];
}

/**
 * One generation of a table's entry positions. When the table is rebuilt
 * the old generation points at the new one and keeps the sorted positions
 * it dropped (or `null`: cleared), which is all an iterator needs.
 */
interface Generation {
  next: Generation | undefined;
  removed: Int32Array | null;
}

/**
 * A live position in a {@link KeyMap}'s order. Entries added after it are
 * met; entries deleted before it is reached are not; a rebuild of the table
 * does not move it.
 */
export interface KeyCursor<V> {
  /** The next entry's key (its value then in `value`), or undefined at the end. */
  next(): string | undefined;
  /** The value of the entry `next` returned last. */
  value: V | undefined;
  /** The tag of that entry (see {@link KeyMap.tagOf}), -1 in a table without tags. */
  tag: number;
  /**
   * How far the cursor is, in the table's current entry numbering: the
   * entries of {@link KeyMap.indexOf} below it have been passed.
   */
  position(): number;
}

const MIN_CAPACITY = 8;
/** Scratch for {@link KeyMap.prefetch}: the first entry of each key's chain. */
const prefetchEntries = new Int32Array(PENDING_MAX);
/** What {@link KeyMap.prefetch} read, kept so that its loads are not dead code. */
let prefetched = 0;
/** The most {@link KeyMap.reserve} allocates ahead (entries). */
const MAX_CAPACITY = 1 << 26;

/**
 * A `Map<string, V>` replacement that never internalizes its keys: see the
 * module's documentation. Iteration is in insertion order, live (entries
 * added during it are visited), and survives deletes and rebuilds.
 */
export class KeyMap<V> implements Iterable<[string, V]> {
  /**
   * Entries' slots, a power of two, and as many buckets: chains of at most
   * one entry on average, as Redis's dict (half as many buckets made a
   * full table's chains two long, a step of a lookup each, missed).
   */
  #capacity = 0;
  #mask = 0;
  /** First entry of each bucket's chain, -1 for none. */
  #buckets!: Int32Array;
  /** Per entry: its hash at 2i, the next entry of its chain at 2i + 1. */
  #links!: Int32Array;
  /** Per entry: its key, undefined for a hole. */
  #keys!: (string | undefined)[];
  #values!: (V | undefined)[];
  /** Per entry: its tag, when the table keeps tags. */
  #tags: Int32Array | undefined;
  /**
   * The tag {@link KeyMap.put} gives an entry it writes, unless told
   * otherwise (for a table with tags).
   */
  defaultTag = 0;
  /** Entries written so far (live ones and holes). */
  #used = 0;
  #size = 0;
  /** The last key found and its entry (see #find); cleared when entries move. */
  #lastKey: string | undefined;
  #lastIndex = -1;
  #gen: Generation = { next: undefined, removed: null };

  /** `tags`: keep an int32 per entry (see {@link KeyMap.tagOf}). */
  constructor(opts?: { tags?: boolean }) {
    this.#tags = opts?.tags === true ? new Int32Array(0) : undefined;
    this.#allocate(MIN_CAPACITY);
  }

  /** Live entries. */
  get size(): number {
    return this.#size;
  }

  get [Symbol.toStringTag](): string {
    return "KeyMap";
  }

  #allocate(capacity: number): void {
    this.#capacity = capacity;
    this.#mask = capacity - 1;
    this.#buckets = new Int32Array(capacity).fill(-1);
    this.#links = new Int32Array(capacity << 1);
    // Filled, so that every table's arrays hold tagged values (one elements
    // kind, whatever V is): the lookups stay monomorphic.
    this.#keys = new Array(capacity).fill(undefined);
    this.#values = new Array(capacity).fill(undefined);
    if (this.#tags !== undefined) this.#tags = new Int32Array(capacity);
    this.#used = 0;
    this.#lastKey = undefined;
  }

  /**
   * The entry holding `key`, or -1. The last entry found is remembered:
   * a command looks its key up, then writes it.
   */
  #find(key: string): number {
    if (key === this.#lastKey) return this.#lastIndex;
    const h = hashKey(key);
    const links = this.#links, keys = this.#keys;
    for (let i = this.#buckets[h & this.#mask]!; i !== -1; i = links[2 * i + 1]!) {
      if (links[2 * i] === h && keys[i] === key) {
        this.#lastKey = key;
        this.#lastIndex = i;
        return i;
      }
    }
    return -1;
  }

  /**
   * Brings into the CPU's caches what looking up `keys[0..n)` will read
   * (bucket, entry, key, value), a level at a time across all of them, so
   * that their cache misses overlap instead of coming one after another
   * (as Valkey prefetches a batch's keys); and keeps their hashes for those
   * lookups, which must follow in the same order. JavaScript has no
   * prefetch instruction: a load stands for it, and the loads of one level
   * are independent of each other, so the CPU runs them together.
   * Returns how many of `keys` differ from the two before them: when that
   * is at most half of `n` (a key repeated, or two alternating), nothing
   * is loaded, as it is cached.
   *
   * @example
   * ```ts
   * import { KeyMap } from "./keymap.ts";
   * const m = new KeyMap<string>();
   * m.set("a", "1").set("b", "2");
   * m.prefetch(["a", "b", "c"], 3);
   * console.log(m.get("a"), m.get("b"), m.get("c")); // "1" "2" undefined
   * ```
   */
  prefetch(keys: readonly string[], n: number): number {
    if (n > PENDING_MAX) n = PENDING_MAX;
    // Keys unlike the two before them (a transaction alternates two).
    let runs = 0, last = 0, before = 0;
    for (let j = 0; j < n; j++) {
      const k = keys[j]!;
      const h = hashKey(k);
      if (j === 0 || (h !== last && (j === 1 || h !== before))) runs++;
      before = last;
      pendingHashes[j] = last = h;
      pendingKeys[j] = k;
    }
    // Hashed last of all: the lookups start from the first.
    pendingAt = 0;
    pendingEnd = n;
    lastString = prevString = undefined;
    // Mostly one key again and again: its lines are in the cache already.
    if (runs * 2 <= n) return runs;
    const buckets = this.#buckets, links = this.#links, mask = this.#mask;
    const ks = this.#keys, vs = this.#values, tags = this.#tags;
    const at = prefetchEntries;
    // A level at a time: each loop's loads depend on the loop before, not
    // on each other.
    for (let j = 0; j < n; j++) at[j] = buckets[pendingHashes[j]! & mask]!;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      let i = at[j]!;
      if (i === -1) continue;
      // The entry's hash, and the next in its chain when that is not it.
      if (links[2 * i] !== pendingHashes[j]) {
        i = links[2 * i + 1]!;
        at[j] = i;
        if (i === -1) continue;
        sum ^= links[2 * i]!;
      }
      if (ks[i] !== undefined) sum++;
      if (vs[i] !== undefined) sum++;
      if (tags !== undefined) sum ^= tags[i]!;
    }
    // The key's characters (compared) and the value's header (replied).
    for (let j = 0; j < n; j++) {
      const i = at[j]!;
      if (i === -1) continue;
      const k = ks[i];
      if (k !== undefined) sum ^= k.length;
      const v = vs[i];
      if (typeof v === "string") sum ^= v.length;
    }
    prefetched ^= sum;
    return runs;
  }

  /** The value stored under `key`, or undefined. */
  get(key: string): V | undefined {
    const i = this.#find(key);
    return i === -1 ? undefined : this.#values[i];
  }

  /** True when `key` is present. */
  has(key: string): boolean {
    return this.#find(key) !== -1;
  }

  /** Stores `value` under `key` (a new key goes last in order). */
  set(key: string, value: V): this {
    this.put(key, value);
    return this;
  }

  /**
   * Stores `value` under `key` as {@link KeyMap.set} does; true when the
   * key was new (one lookup where `has` then `set` takes two). A table
   * with tags gives the entry `tag`.
   */
  put(key: string, value: V, tag: number = this.defaultTag): boolean {
    const i = this.#find(key);
    if (i !== -1) {
      this.#values[i] = value;
      if (this.#tags !== undefined) this.#tags[i] = tag;
      return false;
    }
    const h = hashKey(key); // remembered from the failed lookup
    if (this.#used === this.#capacity) {
      // Full of live entries: double; mostly holes: rebuild in place.
      this.#rebuild(this.#size * 2 >= this.#capacity ? this.#capacity * 2 : this.#capacity);
    }
    const j = this.#used++;
    const b = h & this.#mask;
    this.#links[2 * j] = h;
    this.#links[2 * j + 1] = this.#buckets[b]!;
    this.#buckets[b] = j;
    this.#keys[j] = key;
    this.#values[j] = value;
    if (this.#tags !== undefined) this.#tags[j] = tag;
    this.#size++;
    return true;
  }

  /**
   * The tag of `key`'s entry, or -1 when the key is absent or the table
   * keeps no tags. Right after a lookup of the same key it costs an array
   * read: the entry found last is remembered.
   */
  tagOf(key: string): number {
    const tags = this.#tags;
    if (tags === undefined) return -1;
    const i = this.#find(key);
    return i === -1 ? -1 : tags[i]!;
  }

  /** Sets the tag of `key`'s entry; false when the key is absent or the table keeps no tags. */
  setTag(key: string, tag: number): boolean {
    const tags = this.#tags;
    if (tags === undefined) return false;
    const i = this.#find(key);
    if (i === -1) return false;
    tags[i] = tag;
    return true;
  }

  /** Removes `key`; true when it was present. */
  delete(key: string): boolean {
    const i = this.#find(key);
    if (i === -1) return false;
    this.#lastKey = undefined;
    // The hole stays chained (its key never matches) until a rebuild.
    this.#keys[i] = undefined;
    this.#values[i] = undefined;
    this.#size--;
    if (this.#size < this.#capacity >> 2 && this.#capacity > MIN_CAPACITY) {
      this.#rebuild(this.#capacity >> 1);
    }
    return true;
  }

  /** A copy of the table (its entries in the same order, without holes). */
  copy(): KeyMap<V> {
    const tags = this.#tags;
    const m = new KeyMap<V>({ tags: tags !== undefined });
    m.defaultTag = this.defaultTag;
    m.reserve(this.#size);
    for (let i = 0; i < this.#used; i++) {
      const k = this.#keys[i];
      if (k !== undefined) m.put(k, this.#values[i] as V, tags === undefined ? 0 : tags[i]!);
    }
    return m;
  }

  /**
   * Makes room for `n` entries in all, so that filling the table to that
   * size rebuilds it no more (a load that knows its size, as Redis's
   * `dictExpand` on RESIZEDB).
   */
  reserve(n: number): void {
    let capacity = this.#capacity;
    while (capacity < n && capacity < MAX_CAPACITY) capacity *= 2;
    if (capacity > this.#capacity) this.#rebuild(capacity);
  }

  /** Removes every entry. */
  clear(): void {
    this.#gen = this.#gen.next = { next: undefined, removed: null };
    this.#allocate(MIN_CAPACITY);
    this.#size = 0;
  }

  /**
   * Rebuilds the table at `capacity`, dropping holes, and starts a new
   * generation that records the dropped positions for live iterators.
   */
  #rebuild(capacity: number): void {
    const keys = this.#keys, values = this.#values, links = this.#links, used = this.#used;
    const tags = this.#tags;
    const removed = new Int32Array(used - this.#size);
    let r = 0;
    this.#allocate(capacity);
    const nk = this.#keys, nv = this.#values, nl = this.#links, nb = this.#buckets;
    const nt = this.#tags;
    const mask = this.#mask;
    let j = 0;
    for (let i = 0; i < used; i++) {
      const k = keys[i];
      if (k === undefined) {
        removed[r++] = i;
        continue;
      }
      const h = links[2 * i]!;
      const b = h & mask;
      nl[2 * j] = h;
      nl[2 * j + 1] = nb[b]!;
      nb[b] = j;
      nk[j] = k;
      nv[j] = values[i];
      if (nt !== undefined) nt[j] = tags![i]!;
      j++;
    }
    this.#used = j;
    const gen: Generation = { next: undefined, removed: null };
    this.#gen.removed = removed;
    this.#gen = this.#gen.next = gen;
  }

  /**
   * A cursor over the entries in insertion order: an iterator that also
   * says where it is (see {@link KeyCursor}).
   */
  cursor(): KeyCursor<V> {
    // Arrow functions inside the class: they read the table's private fields.
    let gen = this.#gen;
    let i = 0;
    const sync = () => {
      while (gen.next !== undefined) {
        const removed = gen.removed;
        i = removed === null ? 0 : i - dropsBefore(removed, i);
        gen = gen.next;
      }
    };
    const cursor: KeyCursor<V> = {
      value: undefined,
      tag: -1,
      next: (): string | undefined => {
        sync();
        const keys = this.#keys, used = this.#used;
        while (i < used) {
          const k = keys[i++];
          if (k !== undefined) {
            cursor.value = this.#values[i - 1];
            const tags = this.#tags;
            if (tags !== undefined) cursor.tag = tags[i - 1]!;
            return k;
          }
        }
        cursor.value = undefined;
        return undefined;
      },
      position: (): number => {
        sync();
        return i;
      },
    };
    return cursor;
  }

  /**
   * Where `key` stands in the table's order (its entry's number, holes
   * counted: compare it with a {@link KeyCursor.position}), or -1.
   */
  indexOf(key: string): number {
    return this.#find(key);
  }

  /** Walks the entries through a cursor; `emit` shapes each item. */
  *#walk<T>(emit: (k: string, v: V) => T): Generator<T, undefined> {
    const c = this.cursor();
    for (let k = c.next(); k !== undefined; k = c.next()) yield emit(k, c.value as V);
    return undefined;
  }

  /** Keys in insertion order. */
  keys(): IterableIterator<string> {
    return this.#walk((k) => k);
  }

  /** Values in insertion order. */
  values(): IterableIterator<V> {
    return this.#walk((_k, v) => v);
  }

  /** `[key, value]` pairs in insertion order. */
  entries(): IterableIterator<[string, V]> {
    return this.#walk((k, v) => [k, v] as [string, V]);
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** Calls `fn` for each entry in insertion order, as `Map.forEach`. */
  forEach(fn: (value: V, key: string, map: KeyMap<V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}

/** How many of the sorted positions `removed` lie below `i`. */
function dropsBefore(removed: Int32Array, i: number): number {
  let lo = 0, hi = removed.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (removed[mid]! < i) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
