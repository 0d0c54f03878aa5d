/**
 * Point-in-time snapshots of the dataset, serialized in slices.
 *
 * There is no fork() and no copy-on-write memory in JavaScript, so the
 * snapshot is taken at key granularity:
 *
 * - When the job starts it records, for every database, the key and
 *   expiry Map objects and an array of their keys (`Array.from(keys)`:
 *   about 5–10 ms for a million keys, the only pause). FLUSHDB, FLUSHALL
 *   and SWAPDB replace those Map objects rather than emptying them, so the
 *   recorded ones keep the contents they had.
 * - Keys are then serialized in order, a slice per event-loop turn, each
 *   read from the recorded Map.
 * - Before any write command runs (the core's `beforeWrite` hook, which
 *   also covers EXEC's queue and re-run blocked commands), the old value
 *   and expiry of each key it names is preserved: a string by reference
 *   (strings are immutable), an object by `clone()`. Serializing a key
 *   uses the preserved state when there is one. MOVE and COPY may write a
 *   key in another database, so they preserve it in every database.
 *
 * Keys created after the start are not in the key arrays and are never
 * written; deleted ones come from their preserved state. A key that only
 * expired meanwhile is left out (it had expired anyway). A clone may be
 * wasted on a key already written; that is the price of not keeping an
 * index from key to position.
 *
 * @module
 */

import type { Bytes, CommandEntry, Context } from "../core/types.ts";
import type { Keyspace, Value } from "../core/keyspace.ts";
import { keyPositions } from "../core/registry.ts";
import { ByteWriter } from "./rdb_buf.ts";
import { Crc64 } from "./rdb_crc64.ts";
import { type EncodeOptions, RdbEncoder } from "./rdb_encode.ts";
import { type HeaderInfo, writeDbHeader, writeFooter, writeHeader, writeKey } from "./rdb_file.ts";
import type { SnapshotJob } from "./rdb_service.ts";

/** One database as it was when the snapshot started. */
interface DbSnap {
  index: number;
  data: Map<Bytes, Value>;
  expires: Map<Bytes, number>;
  keys: Bytes[];
  expiresAtStart: number;
  /** Old state of keys written since the start: [value, expireAt]. */
  preserved: Map<Bytes, [Value, number]>;
  done: boolean;
}

/** Options for {@link Snapshot}. */
export interface SnapshotOptions {
  keyspace: Keyspace;
  encode: EncodeOptions;
  header: HeaderInfo;
  /** Compute the CRC-64 footer (`rdbchecksum`). */
  checksum: boolean;
  /** Longest slice of work between two event-loop turns, in ms. */
  sliceMs?: number;
  /** Pause after every key, in ms (`rdb-key-save-delay`, for tests). */
  keyDelayMs?: number;
}

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
  #byMap = new Map<Map<Bytes, Value>, DbSnap>();
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
        data: db.data,
        expires: db.expires,
        keys: Array.from(db.data.keys()),
        expiresAtStart: db.expires.size,
        preserved: new Map(),
        done: false,
      };
      total += s.keys.length;
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
    if (key === undefined || s.preserved.has(key)) return;
    const v = s.data.get(key);
    if (v === undefined) return; // absent at the start, or only expired since
    s.preserved.set(key, [typeof v === "string" ? v : v.clone(), s.expires.get(key) ?? -1]);
  }

  /** Serializes everything now, without yielding. */
  runSync(): Uint8Array {
    const it = this.#steps(Infinity);
    for (let r = it.next(); !r.done; r = it.next()) { /* no yielding */ }
    return this.#result!;
  }

  /** Serializes in slices, yielding to the event loop between them. */
  async start(): Promise<Uint8Array> {
    const delay = this.#opts.keyDelayMs ?? 0;
    const it = this.#steps(delay > 0 ? 0 : this.#opts.sliceMs ?? 10);
    for (let r = it.next(); !r.done; r = it.next()) {
      await new Promise((res) => setTimeout(res, delay));
      if (this.#cancelled) {
        this.#release();
        throw new SnapshotCancelled();
      }
    }
    return this.#result!;
  }

  #result: Uint8Array | undefined;

  #release(): void {
    for (const s of this.#dbs) {
      s.keys = [];
      s.preserved.clear();
    }
    this.#byMap.clear();
  }

  *#steps(sliceMs: number): Generator<void, void, void> {
    const o = this.#opts;
    const e = new RdbEncoder(
      o.encode,
      new ByteWriter(Math.min(1 << 26, Math.max(1 << 16, this.keysTotal * 32))),
    );
    const crc = o.checksum ? new Crc64() : undefined;
    let crcDone = 0;
    writeHeader(e, o.header);
    let t0 = performance.now();
    for (const s of this.#dbs) {
      writeDbHeader(e, s.index, s.keys.length, s.expiresAtStart);
      const keys = s.keys;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        let v: Value | undefined, exp: number;
        const p = s.preserved.size !== 0 ? s.preserved.get(k) : undefined;
        if (p !== undefined) {
          v = p[0];
          exp = p[1];
        } else {
          v = s.data.get(k);
          exp = s.expires.size !== 0 ? s.expires.get(k) ?? -1 : -1;
        }
        if (v !== undefined) writeKey(e, k, v, exp);
        this.keysProcessed++;
        if (((i & 63) === 63 || sliceMs === 0) && performance.now() - t0 >= sliceMs) {
          if (crc !== undefined) {
            crc.update(e.w.buf, crcDone, e.w.pos);
            crcDone = e.w.pos;
          }
          yield;
          t0 = performance.now();
        }
      }
      s.done = true;
      s.keys = [];
      s.preserved.clear();
      this.#byMap.delete(s.data);
    }
    writeFooter(e, crc, crcDone);
    this.#result = e.w.result();
  }
}
