/**
 * The keyspace: numbered databases of typed values with per-key expiry.
 *
 * Strings are stored as bare byte strings (no wrapper object), other types as
 * objects that carry their type name. Expiry times live in a second map, as
 * in Redis, so keys without a TTL cost nothing extra.
 *
 * @module
 */

import type { Bytes } from "./types.ts";
import type { Clock } from "./clock.ts";
import { WRONGTYPE } from "./errors.ts";
import { ScanCursors } from "./cursor.ts";
import { KeyMap } from "./keymap.ts";
import { ValueTypes } from "./value_type.ts";
import { Pause } from "./pause.ts";

export type { ValueType } from "./value_type.ts";

/**
 * A non-string value. Families define their own classes; `type` is what
 * TYPE reports and what typed lookups compare.
 *
 * @example
 * ```ts
 * import type { DataObject } from "./keyspace.ts";
 * class Counter implements DataObject {
 *   readonly type = "counter";
 *   n = 0;
 *   encoding() {
 *     return "raw";
 *   }
 *   clone() {
 *     const c = new Counter();
 *     c.n = this.n;
 *     return c;
 *   }
 * }
 * ```
 */
export interface DataObject {
  readonly type: string;
  /** OBJECT ENCODING's answer for this value. */
  encoding(): string;
  /** A deep copy (COPY, and snapshots). */
  clone(): DataObject;
}

/**
 * Implemented by list, set and sorted-set values, so commands that work
 * across types (SORT) read them without knowing their classes.
 */
export interface ElementsView {
  /** Lists head to tail, sets in any order, sorted sets by rank. */
  elements(): Iterable<Bytes>;
  /** Number of elements. */
  readonly length: number;
}

/** Implemented by hash values: SORT's `key->field` patterns read them. */
export interface FieldsView {
  field(name: Bytes): Bytes | undefined;
}

/**
 * Implemented by hash values: every field with its value, in the hash's
 * order (persistence reads them without knowing the class).
 */
export interface PairsView {
  pairs(): Iterable<[Bytes, Bytes]>;
  /** Number of fields. */
  readonly length: number;
}

/** Implemented by sorted-set values: members with scores, lowest first. */
export interface ScoredView {
  scored(): Iterable<[Bytes, number]>;
  /** Number of members. */
  readonly length: number;
  /** A member's score, when the type can look it up directly (else: scan). */
  scoreOf?(member: Bytes): number | undefined;
  /**
   * The members whose score is at least `min`, lowest first, when the type
   * can seek to them (else: scan {@link ScoredView.scored}).
   */
  scoredFrom?(min: number): Iterable<[Bytes, number]>;
}

/** A stream entry id: milliseconds and sequence number (unsigned 64-bit). */
export type StreamEntryId = readonly [ms: bigint, seq: bigint];

/** One entry of a {@link StreamDumpNode}, tombstones included. */
export interface StreamDumpEntry {
  id: StreamEntryId;
  /** Deleted by XDEL (a tombstone still stored in its node). */
  deleted: boolean;
  /** The field names are the node's master fields; `items` holds only values. */
  sameFields: boolean;
  /** Values in master-field order (`sameFields`), else field, value, field, ... */
  items: Bytes[];
}

/** A run of entries stored together (Redis: one listpack of the radix tree). */
export interface StreamDumpNode {
  /** The node's key: the id of its first entry ever. */
  master: StreamEntryId;
  /** The fields of the node's first entry. */
  masterFields: Bytes[];
  entries: StreamDumpEntry[];
}

/** A consumer group in a {@link StreamDump}. */
export interface StreamDumpGroup {
  name: Bytes;
  lastId: StreamEntryId;
  /** Entries read; -1 when unknown; undefined: estimate it (old RDB files). */
  entriesRead: number | undefined;
  /** Pending entries in id order, with their owner's name. */
  pel: { id: StreamEntryId; deliveryTime: number; deliveryCount: number; consumer: Bytes }[];
  consumers: { name: Bytes; seenTime: number }[];
}

/**
 * Everything a stream holds, as persistence (RDB, DUMP) reads and rebuilds
 * it, node layout included.
 */
export interface StreamDump {
  nodes: StreamDumpNode[];
  /** Live entries. */
  length: number;
  lastId: StreamEntryId;
  /** Undefined: derive it from the entries (old RDB files). */
  firstId: StreamEntryId | undefined;
  maxDeletedId: StreamEntryId;
  /** Undefined: the length (old RDB files). */
  entriesAdded: number | undefined;
  /** Groups in name order. */
  groups: StreamDumpGroup[];
}

/** Implemented by stream values: their full contents for persistence. */
export interface StreamView {
  streamDump(): StreamDump;
}

/**
 * The view each type's values implement, by type name: code that reads
 * values of a type another family owns (persistence, SORT, GEO) gets them
 * typed through {@link viewOf}. A plugin's type adds its entry by
 * declaration merging.
 *
 * @example
 * ```ts
 * import { type DataObject, type ElementsView, Keyspace, viewOf } from "./keyspace.ts";
 * declare module "./keyspace.ts" {
 *   interface ValueViews {
 *     ring: ElementsView;
 *   }
 * }
 * class Ring implements DataObject, ElementsView {
 *   readonly type = "ring";
 *   constructor(readonly items: string[]) {}
 *   get length() {
 *     return this.items.length;
 *   }
 *   elements() {
 *     return this.items;
 *   }
 *   encoding() {
 *     return "ring";
 *   }
 *   clone() {
 *     return new Ring([...this.items]);
 *   }
 * }
 * Deno.test("another plugin reads a ring as elements", () => {
 *   const db = new Keyspace({ databases: 1 }).db(0);
 *   db.set("r", new Ring(["a", "b"]));
 *   console.log([...viewOf(db.get("r"), "ring")!.elements()]); // ["a", "b"]
 * });
 * ```
 */
export interface ValueViews {
  list: ElementsView;
  set: ElementsView;
  zset: ScoredView & ElementsView;
  hash: PairsView & FieldsView;
  stream: StreamView;
}

/**
 * `v` seen through the view of its type, or undefined when it is not of
 * type `type` (or missing).
 *
 * @example
 * ```ts
 * import { Keyspace, viewOf } from "./keyspace.ts";
 * const db = new Keyspace({ databases: 1 }).db(0);
 * console.log(viewOf(db.get("nothing"), "list")); // undefined
 * ```
 */
export function viewOf<K extends keyof ValueViews>(
  v: Value | undefined,
  type: K,
): ValueViews[K] | undefined {
  if (v === undefined || typeof v === "string" || v.type !== type) return undefined;
  return v as DataObject & ValueViews[K];
}

/** A stored value: a byte string, or a typed object. */
export type Value = Bytes | DataObject;

/**
 * What a database's `data` map holds: a value, or a string that is an
 * integer kept as a number (Redis's "int" encoding). INCR and its kin store
 * their results so, which saves making a string and parsing it back on
 * every increment. A number reads as its decimal string everywhere except
 * through {@link Database.getCounter}; code that reads `data` directly
 * turns it into one with {@link storedValue}.
 */
export type Stored = Value | number;

/**
 * The value a stored entry stands for: a number as its decimal string.
 *
 * @example
 * ```ts
 * import { storedValue } from "./keyspace.ts";
 * console.log(storedValue(42) === "42", storedValue("x")); // true x
 * ```
 */
export function storedValue(v: Stored): Value {
  return typeof v === "number" ? String(v) : v;
}

/** Returns the TYPE name of a value. */
export function typeOf(v: Value): string {
  return typeof v === "string" ? "string" : v.type;
}

/** Called when a key expires (lazily or actively). */
export type ExpireListener = (db: Database, key: Bytes) => void;

/**
 * Access times are kept in the key table's tags as `(time + ACCESS_BIAS) * 2
 * + raw`: the bias keeps a time before the keyspace's start (a restored
 * IDLETIME) a non-negative int32, so -1 stays "no such key".
 */
const ACCESS_BIAS = 1 << 29;

function accessTag(time: number, raw: number): number {
  return (time + ACCESS_BIAS) * 2 + raw;
}

/**
 * The access time (on {@link Keyspace.lruClock}) a key table's entry tag
 * holds: what a snapshot walking `Database.data` with a cursor reads the
 * keys' idle times from.
 */
export function accessTimeOfTag(tag: number): number {
  return (tag >> 1) - ACCESS_BIAS;
}

/**
 * One numbered database.
 *
 * **Access times.** Each key's last access (Redis's per-object `lru`
 * field: the {@link Keyspace.lruClock} of its last read or write) and
 * whether its string was modified in place (Redis's "raw" encoding, see
 * {@link Database.markRaw}) are the tag of its entry in `data`: a read
 * finds them beside the key it just looked up, and writes them only when
 * the coarse clock moved since; a write stores them with the value.
 *
 * @example
 * ```ts
 * import { Keyspace } from "./keyspace.ts";
 * const ks = new Keyspace({ databases: 16 });
 * const db = ks.db(0);
 * db.set("k", "v");
 * console.log(db.getString("k")); // "v"
 * ```
 */
export class Database {
  /**
   * The key -> value map, each entry tagged with its access time (see
   * {@link Database}). Mutate it only through the methods below.
   */
  data: KeyMap<Stored>;
  /** The key -> absolute expiry (Unix ms) map. */
  expires: KeyMap<number> = new KeyMap();
  #randomIt: Iterator<Bytes> | undefined;
  #expireIt: Iterator<[Bytes, number]> | undefined;

  constructor(readonly index: number, readonly keyspace: Keyspace) {
    this.data = newKeyTable(keyspace.lruClock);
  }

  /** Number of keys, expired-but-not-reclaimed ones included (as Redis). */
  get size(): number {
    return this.data.size;
  }

  /**
   * Brings the entries of `keys[0..n)` into the CPU's caches before they
   * are looked up, in that order (see {@link KeyMap.prefetch}). Returns
   * how many of them differ from the two before them.
   */
  prefetch(keys: readonly Bytes[], n: number): number {
    return this.data.prefetch(keys, n);
  }

  /**
   * Looks a key up, expiring it first if its time has passed, and records
   * the access (OBJECT IDLETIME, LRU and LFU eviction).
   */
  get(key: Bytes): Value | undefined {
    if (this.expires.size !== 0 && this.#expireIfNeeded(key)) return undefined;
    const v = this.data.get(key);
    if (v === undefined) return undefined;
    this.touch(key);
    return typeof v === "number" ? String(v) : v;
  }

  /**
   * Looks up a string value as {@link Database.getString} does, but an
   * integer kept as a number (see {@link Stored}) comes back as that
   * number: for commands that compute on it or write it out without a
   * string. Throws WRONGTYPE for other types.
   */
  getCounter(key: Bytes): Bytes | number | undefined {
    if (this.expires.size !== 0 && this.#expireIfNeeded(key)) return undefined;
    const v = this.data.get(key);
    if (v === undefined) return undefined;
    this.touch(key);
    if (typeof v === "string" || typeof v === "number") return v;
    throw WRONGTYPE;
  }

  /**
   * Looks a key up as {@link Database.get} does, without recording an
   * access: Redis's `LOOKUP_NOTOUCH` (TYPE, TTL, EXISTS, OBJECT, SCAN's
   * TYPE filter).
   */
  peek(key: Bytes): Value | undefined {
    if (this.expires.size !== 0 && this.#expireIfNeeded(key)) return undefined;
    const v = this.data.get(key);
    return typeof v === "number" ? String(v) : v;
  }

  /** Looks up a string value; throws WRONGTYPE for other types. */
  getString(key: Bytes): Bytes | undefined {
    const v = this.get(key);
    if (v === undefined || typeof v === "string") return v;
    throw WRONGTYPE;
  }

  /**
   * Looks up a value of one type; throws WRONGTYPE when the key holds
   * another type.
   */
  getTyped<T extends DataObject>(key: Bytes, type: string): T | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v === "string" || v.type !== type) throw WRONGTYPE;
    return v as T;
  }

  /** True when the key exists (and is not expired). */
  has(key: Bytes): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Stores a value. The key's TTL is cleared unless `keepTtl` is set (SET
   * semantics); use {@link Database.replace} to keep it implicitly.
   */
  set(key: Bytes, value: Stored, keepTtl = false): void {
    // Overwriting a key is an access to it (Redis's lookupKeyWrite).
    const onAccess = this.keyspace.onAccess;
    if (onAccess !== undefined && this.data.has(key)) onAccess(this, key);
    if (this.expires.size !== 0) {
      const at = this.expires.get(key);
      if (at !== undefined) {
        // A stale key expires first (its event, its DEL), as Redis's
        // lookupKeyWrite does before a write that did not look it up.
        if (
          at <= this.keyspace.clock.now() && !this.keyspace.isReplica && !this.keyspace.loading
        ) this.#expireNow(key);
        else if (!keepTtl) this.expires.delete(key);
      }
    }
    this.replace(key, value);
  }

  /**
   * Stores a value keeping any TTL (in-place updates such as APPEND). The
   * key counts as accessed now, and its string as not raw.
   */
  replace(key: Bytes, value: Stored): void {
    // The entry's tag: now, not raw (the table's default, kept current by
    // Keyspace.setTime).
    const onNew = this.keyspace.onNew;
    if (this.data.put(key, value) && onNew !== undefined) onNew(this, key);
  }

  /** Deletes a key; true when it existed. */
  delete(key: Bytes): boolean {
    if (!this.data.delete(key)) return false;
    if (this.expires.size !== 0) this.expires.delete(key);
    return true;
  }

  /** Sets an absolute expiry in Unix ms. The key must exist. */
  setExpire(key: Bytes, atMs: number): void {
    this.expires.set(key, atMs);
  }

  /** The absolute expiry in Unix ms, or -1 when the key has none. */
  getExpire(key: Bytes): number {
    return this.expires.get(key) ?? -1;
  }

  /** Removes a TTL; true when there was one. */
  persist(key: Bytes): boolean {
    return this.expires.delete(key);
  }

  /** Removes every key. */
  clear(): void {
    this.data = newKeyTable(this.keyspace.lruClock);
    this.expires = new KeyMap();
    this.#randomIt = undefined;
    this.#expireIt = undefined;
  }

  /** Exchanges contents with another database (SWAPDB). */
  swapWith(other: Database): void {
    [this.data, other.data] = [other.data, this.data];
    [this.expires, other.expires] = [other.expires, this.expires];
    this.#randomIt = this.#expireIt = undefined;
    other.#randomIt = other.#expireIt = undefined;
  }

  /**
   * A random live key, or undefined when the database is empty. Walks a
   * rotating iterator a random few steps: O(1) amortised without an index.
   */
  randomKey(): Bytes | undefined {
    for (let tries = 0; tries < 100 && this.data.size !== 0; tries++) {
      let skip = Math.floor(Math.random() * Math.min(this.data.size, 16));
      let key: Bytes | undefined;
      while (skip-- >= 0) {
        let r = this.#randomIt?.next();
        if (r === undefined || r.done) {
          this.#randomIt = this.data.keys();
          r = this.#randomIt.next();
          if (r.done) return undefined;
        }
        key = r.value;
      }
      if (key !== undefined && this.peek(key) !== undefined) return key;
    }
    return undefined;
  }

  /**
   * One bounded step of active expiry: examines up to `max` keys with a TTL
   * (round-robin) and reclaims the expired ones. Returns [examined, expired].
   */
  activeExpireStep(max: number, now: number): [number, number] {
    if (this.expires.size === 0 || this.keyspace.isReplica) return [0, 0];
    let examined = 0, expired = 0;
    while (examined < max) {
      let r = this.#expireIt?.next();
      if (r === undefined || r.done) {
        this.#expireIt = this.expires.entries();
        r = this.#expireIt.next();
        if (r.done) break;
        if (examined !== 0) break; // one full lap per step at most
      }
      examined++;
      const [key, at] = r.value;
      if (at <= now) {
        this.#expireNow(key);
        expired++;
      }
    }
    return [examined, expired];
  }

  /** True (and reclaims it) when the key's TTL has passed. */
  #expireIfNeeded(key: Bytes): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > this.keyspace.clock.now()) return false;
    if (this.keyspace.loading) return false;
    // A replica shows the key as gone but waits for the master's DEL; under
    // CLIENT PAUSE the dataset stands still.
    if (this.keyspace.isReplica || this.keyspace.pause.level !== 0) return true;
    this.#expireNow(key);
    return true;
  }

  #expireNow(key: Bytes): void {
    this.delete(key);
    this.keyspace.onExpire?.(this, key);
  }

  /**
   * Records an access to an existing key (what every {@link Database.get}
   * does; TOUCH calls it). The raw mark is kept.
   */
  touch(key: Bytes): void {
    const data = this.data;
    // The lookup before it found the key: its entry is remembered. The
    // table's default tag is now's, not raw (kept current by setTime).
    const cur = data.tagOf(key);
    const now = data.defaultTag;
    if (cur !== -1 && cur >> 1 !== now >> 1) data.setTag(key, now | (cur & 1));
    const onAccess = this.keyspace.onAccess;
    if (onAccess !== undefined) onAccess(this, key);
  }

  /**
   * Seconds since the key was last read or written (OBJECT IDLETIME), on
   * Redis's one-second LRU clock. The key must exist.
   */
  idleSeconds(key: Bytes): number {
    const tag = this.data.tagOf(key);
    if (tag === -1) return 0;
    return Math.max(0, this.keyspace.lruNow() - accessTimeOfTag(tag));
  }

  /**
   * Sets a key's access data from a serialized form (RESTORE's IDLETIME
   * and FREQ, an RDB file's IDLE and FREQ records): `idle` seconds ago
   * (none when negative), and the LFU counter `freq` (none when negative),
   * which the keyspace's {@link Keyspace.onFrequency} listener keeps.
   */
  restoreAccess(key: Bytes, idle: number, freq: number): void {
    if (idle >= 0) {
      const tag = this.data.tagOf(key);
      const time = Math.max(this.keyspace.lruClock - idle, -ACCESS_BIAS);
      if (tag !== -1) this.data.setTag(key, accessTag(time, tag & 1));
    }
    if (freq >= 0) this.keyspace.onFrequency?.(this, key, freq);
  }

  /**
   * Gives `newKey` in `to` the access data of `key` (RENAME and MOVE keep
   * the object, so its idle time and encoding). With `fresh`, only the
   * encoding is carried and the access is now (COPY makes a new object).
   */
  copyMeta(key: Bytes, to: Database, newKey: Bytes, fresh = false): void {
    const cur = this.data.tagOf(key);
    if (cur === -1) return;
    to.data.setTag(newKey, fresh ? accessTag(this.keyspace.lruClock, cur & 1) : cur);
  }

  /**
   * Marks the key's string as modified in place: Redis keeps such a string
   * "raw" (APPEND, SETRANGE, SETBIT), whatever it holds, until it is
   * replaced by a new value. Call it after storing the value.
   */
  markRaw(key: Bytes): void {
    const tag = this.data.tagOf(key);
    if (tag !== -1) this.data.setTag(key, tag | 1);
  }

  /** Whether the key's string was modified in place (see {@link Database.markRaw}). */
  isRaw(key: Bytes): boolean {
    const tag = this.data.tagOf(key);
    return tag !== -1 && (tag & 1) === 1;
  }
}

/** A key table whose new entries are accessed at `lruClock`. */
function newKeyTable(lruClock: number): KeyMap<Stored> {
  const t = new KeyMap<Stored>({ tags: true });
  t.defaultTag = accessTag(lruClock, 0);
  return t;
}

/** Options for {@link Keyspace}. */
export interface KeyspaceOptions {
  databases: number;
  clock?: Clock;
}

/**
 * All databases, the clock they expire by, and the shared scan cursors.
 *
 * @example
 * ```ts
 * import { Keyspace } from "./keyspace.ts";
 * const ks = new Keyspace({ databases: 2 });
 * ks.db(1).set("a", "1");
 * console.log(ks.db(1).size); // 1
 * ```
 */
export class Keyspace {
  readonly dbs: Database[];
  clock: Clock;
  /** Set by the server: runs the key-expired hooks. */
  onExpire: ExpireListener | undefined;
  /**
   * Called when {@link Database.set} or {@link Database.replace} creates a
   * key (Redis's `new` keyspace event, raised by `dbAdd`). Undefined unless
   * someone listens, so a write costs one extra property read.
   */
  onNew: ExpireListener | undefined;
  /** On a replica keys expire only when the master says so. */
  isReplica = false;
  /**
   * True while a dataset is loaded at start-up (AOF replay): nothing
   * expires, so commands see keys as they were when written, as in Redis.
   */
  loading = false;
  /**
   * Called for every recorded access while set (LFU eviction counts
   * accesses through it); undefined otherwise, so reads cost nothing extra.
   */
  onAccess: ((db: Database, key: Bytes) => void) | undefined;
  /**
   * Keeps a restored LFU counter (see {@link Database.restoreAccess}); set
   * by the eviction plugin under an LFU policy.
   */
  onFrequency: ((db: Database, key: Bytes, freq: number) => void) | undefined;
  /**
   * Redis's LRU clock: whole seconds since the keyspace was made, as of
   * the last {@link Keyspace.setTime} (each batch of a client's commands,
   * and the cron). Access times are recorded on it, so a read costs no
   * clock call.
   */
  lruClock = 0;
  /**
   * The clock's reading when the batch of a client's commands now running
   * was read, or 0 between batches (see {@link Keyspace.commandTime}).
   */
  batchTime = 0;
  #epoch: number;
  /** Whether the cron's active expiry cycle runs (DEBUG SET-ACTIVE-EXPIRE). */
  activeExpire = true;
  /**
   * CLIENT PAUSE: while on, commands wait and keys neither expire nor get
   * evicted (see `pause.ts`).
   */
  readonly pause: Pause = new Pause({ now: () => this.clock.now() });
  /**
   * Value types registered by plugins, by name. Registering checks that a
   * type is persisted or volatile (see {@link ValueTypes}).
   */
  readonly types: ValueTypes = new ValueTypes();
  /** Live SCAN iterators shared by every SCAN-style command. */
  readonly cursors: ScanCursors = new ScanCursors();

  constructor(opts: KeyspaceOptions) {
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.#epoch = Math.floor(this.clock.now() / 1000);
    this.dbs = [];
    for (let i = 0; i < opts.databases; i++) {
      this.dbs.push(new Database(i, this));
    }
  }

  /** The database with that index (the caller checks the range). */
  db(index: number): Database {
    return this.dbs[index]!;
  }

  /** Advances {@link Keyspace.lruClock} to `nowMs` (Unix ms). */
  setTime(nowMs: number): void {
    const t = Math.floor(nowMs / 1000) - this.#epoch;
    if (t === this.lruClock) return;
    this.lruClock = t;
    // What a write records (see Database).
    const tag = accessTag(t, 0);
    for (const db of this.dbs) db.data.defaultTag = tag;
  }

  /**
   * "Now" for what a command stamps into data (a stream entry's ID): the
   * time its batch was read while one runs, so a pipelined batch reads the
   * clock once (Redis 7.2's command time snapshot, per batch); the clock
   * otherwise. Never earlier than an ID already given: streams keep their
   * IDs increasing whatever the clock says.
   *
   * @example
   * ```ts
   * import { Keyspace } from "./keyspace.ts";
   * const ks = new Keyspace({ databases: 1, clock: { now: () => 5000 } });
   * ks.batchTime = 4000;
   * console.log(ks.commandTime()); // 4000
   * ks.batchTime = 0;
   * console.log(ks.commandTime()); // 5000
   * ```
   */
  commandTime(): number {
    const t = this.batchTime;
    return t !== 0 ? t : this.clock.now();
  }

  /** The LRU clock read from the clock now (for idle times). */
  lruNow(): number {
    return Math.floor(this.clock.now() / 1000) - this.#epoch;
  }

  /** Total keys over all databases. */
  get totalKeys(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }
}
