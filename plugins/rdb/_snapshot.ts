/**
 * Point-in-time snapshots of the dataset, serialized in slices.
 *
 * There is no fork() and no copy-on-write memory in JavaScript, so the
 * snapshot is taken at key granularity:
 *
 * - When the job starts it records, for every database, the key and
 *   expiry Map objects and a live iterator over the keys (O(1): copying a
 *   million keys into an array paused the server for up to ~100 ms).
 *   FLUSHDB, FLUSHALL and SWAPDB replace those Map objects rather than
 *   emptying them, so the recorded ones keep the contents they had.
 * - Keys are then serialized in Map order, a slice per event-loop turn,
 *   each read from the recorded Map.
 * - Before any write command runs (the core's `beforeWrite` hook, which
 *   also covers EXEC's queue and re-run blocked commands), the old value
 *   and expiry of each key it names is preserved: a string by reference
 *   (strings are immutable), an object by `clone()`. Serializing a key
 *   uses the preserved state when there is one. MOVE and COPY may write a
 *   key in another database, so they preserve it in every database.
 *
 * Keys of volatile value types are left out, with one warning per
 * snapshot.
 *
 * A write to a key absent at the time marks it as created after the start:
 * the walk skips it. Keys deleted since the start are no longer met by the
 * iterator and are written from their preserved state at the end. Keys
 * already written need no preservation (a log of them is kept while the
 * job runs). A key that only expired meanwhile is left out (it had expired
 * anyway).
 *
 * What keeps the pauses short (a 1M-key dataset): slices of a few ms, the
 * checksum computed inside the slice budget, the log of written keys kept
 * in bounded sets (one Set of a million keys paused ~10 ms at each
 * rehash), and with a `sink` the file streamed out in small chunks
 * through one reused buffer instead of a whole-file buffer (tens of MB of
 * external memory that brought on full garbage collections).
 *
 * @module
 */

import type { Bytes, CommandEntry, Context } from "../../core/types.ts";
import {
  accessTimeOfTag,
  type Database,
  type Keyspace,
  type Stored,
  storedValue,
  type ValueType,
} from "../../core/keyspace.ts";
import { notPersistedWarning } from "../../core/value_type.ts";
import { keyPositions } from "../../core/registry.ts";
import { type KeyCursor, KeyMap } from "../../core/keymap.ts";
import { ByteWriter } from "./_buf.ts";
import { Crc64 } from "./_crc64.ts";
import { type EncodeOptions, RdbEncoder } from "./_encode.ts";
import {
  type HeaderInfo,
  writeDbHeader,
  writeFooter,
  writeFunction,
  writeHeader,
  writeKey,
} from "./_file.ts";
import type { SnapshotJob } from "./_service.ts";

/**
 * One database as it was when the snapshot started. Its keys are walked
 * with a live cursor (no up-front copy of a million keys, which paused the
 * server): keys created since the start are skipped, and keys written since
 * the start are serialized from their preserved old state.
 */
interface DbSnap {
  index: number;
  db: Database;
  data: KeyMap<Stored>;
  expires: KeyMap<number>;
  it: KeyCursor<Stored>;
  sizeAtStart: number;
  expiresAtStart: number;
  /** Old state of keys written since the start: [value, expireAt]. */
  preserved: KeyMap<[Stored, number]>;
  /**
   * Keys written since the start that were serialized before (the cursor
   * had passed them) or since (from their preserved state): met again (a
   * delete, then a new key at the end of the order) they are skipped.
   */
  emitted: KeyLog;
  /** Keys written since the start (the walk checks only these). */
  touched: KeyLog;
  /** Keys that did not exist at the start. */
  created: KeyLog;
  done: boolean;
}

/**
 * A set of keys kept as bounded tables: adding a million keys to one table
 * rebuilds a million entries at once (a pause of milliseconds); here no
 * rebuild moves more than {@link KeyLog.CHUNK} entries. The tables are
 * {@link KeyMap}s: a V8 `Set` would internalize every key it is asked
 * about (see core/keymap.ts).
 */
export class KeyLog {
  static readonly CHUNK = 1 << 16;
  #full: KeyMap<true>[] = [];
  #cur = new KeyMap<true>();
  /** Keys added (each once). */
  size = 0;

  add(k: Bytes): void {
    if (this.has(k)) return;
    if (this.#cur.size >= KeyLog.CHUNK) {
      this.#full.push(this.#cur);
      this.#cur = new KeyMap();
    }
    this.#cur.set(k, true);
    this.size++;
  }

  has(k: Bytes): boolean {
    if (this.size === 0) return false;
    if (this.#cur.has(k)) return true;
    for (const s of this.#full) if (s.has(k)) return true;
    return false;
  }

  clear(): void {
    this.#full = [];
    this.#cur = new KeyMap();
    this.size = 0;
  }
}

/** Options for {@link Snapshot}. */
export interface SnapshotOptions {
  keyspace: Keyspace;
  encode: EncodeOptions;
  header: HeaderInfo;
  /** Compute the CRC-64 footer (`rdbchecksum`). */
  checksum: boolean;
  /** Function libraries' code, written after the header (as Redis). */
  functions?: readonly Bytes[];
  /**
   * Longest slice of work between two event-loop turns, in ms (3: a
   * client waits for the slice under way, then for the timer that ends it).
   */
  sliceMs?: number;
  /**
   * Told how long each slice of {@link Snapshot.start} held the event loop
   * (ms): the pause a fork is to Redis, for the latency monitor.
   */
  onSlice?: (ms: number) => void;
  /** Pause after every key, in ms (`rdb-key-save-delay`, for tests). */
  keyDelayMs?: number;
  /**
   * Takes the file in chunks as it is serialized (a chunk is only valid
   * until the returned promise settles); `done` then resolves with an
   * empty array. Without it `done` resolves with the whole file.
   */
  sink?: (chunk: Uint8Array) => Promise<void>;
  /** Logs the warning about keys of volatile types left out. */
  warn?: (msg: string) => void;
  /**
   * What each key's record carries of its access (Redis's
   * `rdbSaveKeyValuePair`): `lru`, its idle seconds (RDB_OPCODE_IDLE, under
   * an LRU policy); `freq`, its LFU counter (RDB_OPCODE_FREQ, under an LFU
   * policy).
   */
  access?: { lru: boolean; freq?: (db: Database, key: Bytes) => number | undefined };
}

/** Bytes a sink's buffer holds before a flush. */
const SINK_CHUNK = 1 << 20;

/** Thrown into `done` when a job is cancelled. */
export class SnapshotCancelled extends Error {
  constructor() {
    super("snapshot cancelled");
  }
}

/**
 * A point-in-time snapshot. {@link Snapshot.runSync} serializes it at
 * once; {@link Snapshot.start} in slices (see the module docs).
 */
export class Snapshot implements SnapshotJob {
  readonly keysTotal: number;
  keysProcessed = 0;
  #dbs: DbSnap[] = [];
  #byMap = new Map<KeyMap<Stored>, DbSnap>();
  #cancelled = false;
  #done: Promise<Uint8Array> | undefined;
  readonly #opts: SnapshotOptions;

  constructor(opts: SnapshotOptions) {
    this.#opts = opts;
    let total = 0;
    for (const db of opts.keyspace.dbs) {
      if (db.data.size === 0) continue;
      const s: DbSnap = {
        index: db.index,
        db,
        data: db.data,
        expires: db.expires,
        it: db.data.cursor(),
        sizeAtStart: db.data.size,
        expiresAtStart: db.expires.size,
        preserved: new KeyMap(),
        emitted: new KeyLog(),
        touched: new KeyLog(),
        created: new KeyLog(),
        done: false,
      };
      total += s.sizeAtStart;
      this.#dbs.push(s);
      this.#byMap.set(db.data, s);
    }
    this.keysTotal = total;
  }

  /** True once every key has been written (no more preservation needed). */
  get finished(): boolean {
    return this.#byMap.size === 0;
  }

  get done(): Promise<Uint8Array> {
    return this.#done ??= this.start();
  }

  cancel(): void {
    this.#cancelled = true;
  }

  /**
   * Preserves the keys a write command is about to change (the core's
   * `beforeWrite` hook).
   */
  beforeWrite(c: Context, cmd: CommandEntry, argv: Bytes[]): void {
    if (this.#byMap.size === 0) return;
    const name = cmd.fullName;
    let positions: number[];
    try {
      positions = keyPositions(cmd, argv);
    } catch {
      return;
    }
    if (name === "move" || name === "copy") {
      for (const s of this.#byMap.values()) for (const p of positions) this.#preserve(s, argv[p]);
      return;
    }
    const s = this.#byMap.get(c.db.data);
    if (s === undefined) return;
    for (const p of positions) this.#preserve(s, argv[p]);
  }

  #preserve(s: DbSnap, key: Bytes | undefined): void {
    if (key === undefined || s.touched.has(key)) return;
    s.touched.add(key);
    const at = s.data.indexOf(key);
    if (at !== -1 && at < s.it.position()) {
      // Serialized already: its change is not the snapshot's.
      s.emitted.add(key);
      return;
    }
    const v = s.data.get(key);
    if (v === undefined) {
      // Absent now and never preserved: it did not exist at the start (or
      // only expired since), so the walk must not pick it up later.
      s.created.add(key);
      return;
    }
    s.preserved.set(key, [typeof v !== "object" ? v : v.clone(), s.expires.get(key) ?? -1]);
  }

  /**
   * Serializes everything now, without yielding: into `sink` in chunks
   * (then the result is empty), or as one array.
   */
  runSync(sink?: (chunk: Uint8Array) => void): Uint8Array {
    // Nothing runs in between: no log of written keys is needed.
    const it = this.#steps(Infinity, sink !== undefined, false);
    for (let r = it.next(); !r.done; r = it.next()) {
      sink!(this.#buffered());
      this.#recycle();
    }
    if (sink === undefined) return this.#result!;
    sink(this.#buffered());
    this.#recycle();
    return new Uint8Array(0);
  }

  /** Serializes in slices, yielding to the event loop between them. */
  async start(): Promise<Uint8Array> {
    const delay = this.#opts.keyDelayMs ?? 0;
    const sink = this.#opts.sink;
    const it = this.#steps(delay > 0 ? 0 : this.#opts.sliceMs ?? 3, sink !== undefined, true);
    const onSlice = this.#opts.onSlice;
    const next = onSlice === undefined ? () => it.next() : () => {
      const t0 = performance.now();
      const r = it.next();
      onSlice(performance.now() - t0);
      return r;
    };
    for (let r = next(); !r.done; r = next()) {
      if (sink !== undefined) {
        await sink(this.#buffered());
        this.#recycle();
      }
      await new Promise((res) => setTimeout(res, delay));
      if (this.#cancelled) {
        this.#release();
        throw new SnapshotCancelled();
      }
    }
    if (sink === undefined) return this.#result!;
    await sink(this.#buffered());
    this.#recycle();
    return new Uint8Array(0);
  }

  /** The bytes buffered since the last {@link Snapshot.#recycle} (a view). */
  #buffered(): Uint8Array {
    return this.#w!.result();
  }

  /** Empties the buffer once the sink is done with its bytes. */
  #recycle(): void {
    this.#w!.reset(SINK_CHUNK * 2);
    this.#crcDone = 0;
  }

  #result: Uint8Array | undefined;
  #w: ByteWriter | undefined;
  #crc: Crc64 | undefined;
  /** Bytes of the buffer already fed to the checksum. */
  #crcDone = 0;

  /** Feeds the bytes written since the last call to the checksum. */
  #crcCatchUp(): void {
    const w = this.#w!;
    this.#crc?.update(w.buf, this.#crcDone, w.pos);
    this.#crcDone = w.pos;
  }

  #release(): void {
    for (const s of this.#dbs) this.#clear(s);
    this.#byMap.clear();
  }

  #clear(s: DbSnap): void {
    s.preserved.clear();
    s.emitted.clear();
    s.touched.clear();
    s.created.clear();
  }

  /**
   * The serialization, yielding after `sliceMs` of work or (`chunked`)
   * once a chunk's worth of bytes is buffered. `track` keeps the log of
   * written keys that writes running in between need.
   */
  *#steps(sliceMs: number, chunked: boolean, track: boolean): Generator<void, void, void> {
    const o = this.#opts;
    this.#w = new ByteWriter(
      chunked ? SINK_CHUNK * 2 : Math.min(1 << 26, Math.max(1 << 16, this.keysTotal * 32)),
    );
    const e = new RdbEncoder(o.encode, this.#w);
    this.#crc = o.checksum ? new Crc64() : undefined;
    writeHeader(e, o.header);
    for (const code of o.functions ?? []) writeFunction(e, code);
    const volatile = volatileTypes(o.encode.types);
    const skipped = new Map<string, number>();
    let t0 = performance.now();
    const lru = o.access?.lru === true, freqOf = o.access?.freq;
    // Idle times as of the start, as a fork's copy has them.
    const lruNow = o.keyspace.lruNow();
    for (const s of this.#dbs) {
      writeDbHeader(e, s.index, s.sizeAtStart, s.expiresAtStart);
      let i = 0;
      const emit = (k: Bytes, stored: Stored | undefined, exp: number, tag: number) => {
        const v = stored === undefined ? undefined : storedValue(stored);
        // Only a key written since the start can be met again.
        if (track && s.touched.size !== 0 && s.touched.has(k)) s.emitted.add(k);
        this.keysProcessed++;
        if (v === undefined) return;
        if (volatile !== undefined && typeof v !== "string" && volatile.has(v.type)) {
          skipped.set(v.type, (skipped.get(v.type) ?? 0) + 1);
          return;
        }
        if (!lru && freqOf === undefined) {
          writeKey(e, k, v, exp);
          return;
        }
        const idle = lru && tag !== -1 ? Math.max(0, lruNow - accessTimeOfTag(tag)) : -1;
        writeKey(e, k, v, exp, idle, freqOf?.(s.db, k) ?? -1);
      };
      for (let k = s.it.next(); k !== undefined; k = s.it.next()) {
        // Only a key written since the start can be new or met twice
        // (deleted, then created again at the end of the order).
        if (s.touched.size !== 0 && s.touched.has(k) && (s.created.has(k) || s.emitted.has(k))) {
          continue;
        }
        const p = s.preserved.size !== 0 ? s.preserved.get(k) : undefined;
        if (p !== undefined) emit(k, p[0], p[1], s.data.tagOf(k));
        else emit(k, s.it.value, s.expires.size !== 0 ? s.expires.get(k) ?? -1 : -1, s.it.tag);
        if ((++i & 63) === 0 || sliceMs === 0) {
          // The checksum is part of the slice's work, and so of its budget.
          this.#crcCatchUp();
          if (performance.now() - t0 >= sliceMs || (chunked && e.w.pos >= SINK_CHUNK)) {
            yield;
            t0 = performance.now();
          }
        }
      }
      // Keys deleted since the start: the walk no longer meets them.
      for (const [k, p] of s.preserved) if (!s.emitted.has(k)) emit(k, p[0], p[1], -1);
      s.done = true;
      this.#clear(s);
      this.#byMap.delete(s.data);
    }
    writeFooter(e, this.#crc, this.#crcDone);
    this.#result = e.w.result();
    if (skipped.size !== 0) o.warn?.(notPersistedWarning(skipped));
  }
}

/** The names of the volatile types, or undefined when there is none. */
function volatileTypes(types: ReadonlyMap<string, ValueType> | undefined): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (const t of types?.values() ?? []) if (t.volatile === true) (out ??= new Set()).add(t.name);
  return out;
}
