/**
 * RDB persistence state for one server: the `rdb` service (serialize,
 * snapshot, load, DUMP payloads), SAVE and BGSAVE with their bookkeeping,
 * save points, start-up loading and INFO persistence fields.
 *
 * @module
 */

import { join } from "../../core/path.ts";
import type { Bytes, ServerApi } from "../../core/types.ts";
import { Database, type Value } from "../../core/keyspace.ts";
import { byteStringToUtf8 } from "../../core/resp/bytes.ts";
import type {} from "../replication/mod.ts";
import { ByteReader, ByteWriter } from "./_buf.ts";
import { Crc64 } from "./_crc64.ts";
import { type EncodeOptions, OP, RDB_VERSION, RdbEncoder } from "./_encode.ts";
import { EMPTY, RdbDecoder } from "./_decode.ts";
import { type HeaderInfo, readRdbSteps, writeFunction } from "./_file.ts";
import { DeferredInsert } from "./_insert.ts";
import { Snapshot, type SnapshotOptions } from "./_snapshot.ts";
import type {} from "../eviction/mod.ts"; // the `eviction` service's type
import { AtomicFile, writeFileAtomic } from "../../core/atomic_file.ts";
import type {
  LoadingState,
  LoadOptions,
  LoadResult,
  RdbService,
  SerializeOptions,
  SnapshotJob,
} from "./_service.ts";

/** RESTORE's error for a payload with a bad footer. */
export const BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong";
/** RESTORE's error for a payload whose value does not decode. */
export const BAD_FORMAT = "ERR Bad data format";

/** A DUMP payload's footer after what `e` wrote: the RDB version (2 bytes LE), CRC64 (8 bytes LE). */
function sealPayload(e: RdbEncoder): Uint8Array {
  e.w.u16le(RDB_VERSION);
  e.w.bytes(new Crc64().update(e.w.buf, 0, e.w.pos).bytes());
  return e.w.result().slice();
}

/** A DUMP payload without its footer, once the footer checks (verifyDumpPayload). */
function payloadBody(payload: Uint8Array): Uint8Array {
  const n = payload.length;
  if (n < 10) throw new Error(BAD_PAYLOAD);
  const version = payload[n - 10]! | (payload[n - 9]! << 8);
  if (version > RDB_VERSION) throw new Error(BAD_PAYLOAD);
  const crc = new Crc64().update(payload, 0, n - 8).bytes();
  for (let i = 0; i < 8; i++) if (crc[i] !== payload[n - 8 + i]) throw new Error(BAD_PAYLOAD);
  return payload.subarray(0, n - 10);
}

/** Parses the `save` directive: pairs of (seconds >= 1, changes >= 0). */
export function parseSavePoints(v: string): [number, number][] {
  if (v === "") return [];
  const parts = v.split(" ");
  if (parts.length % 2 !== 0) throw new Error("Invalid save parameters");
  const out: [number, number][] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const s = parts[i]!, c = parts[i + 1]!;
    if (!/^[+-]?\d+$/.test(s) || !/^[+-]?\d+$/.test(c)) throw new Error("Invalid save parameters");
    const secs = Number(s), changes = Number(c);
    if (secs < 1 || changes < 0) throw new Error("Invalid save parameters");
    out.push([secs, changes]);
  }
  return out;
}

/**
 * Redis's debugDelay: sleeps `usec` microseconds (a busy wait: the load
 * holds the event loop, as Redis's usleep holds its thread), or, when
 * negative, 1 µs once in -usec calls.
 */
function debugDelay(usec: number): void {
  if (usec < 0) usec = Math.floor(Math.random() * -usec) === 0 ? 1 : 0;
  if (usec === 0) return;
  const end = performance.now() + usec / 1000;
  while (performance.now() < end) { /* wait */ }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * One server's RDB persistence.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * import { RdbPersistence } from "./_persist.ts";
 * const dir = Deno.makeTempDirSync();
 * const s = await startServer({ port: 0, config: { dir }, logger: () => {} });
 * const p = new RdbPersistence(s.server);
 * console.log(p.saveSync()); // true: SAVE wrote dump.rdb
 * await s.close();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class RdbPersistence implements RdbService {
  /** Unix seconds of the last successful save (start-up time at first). */
  lastSave: number;
  #lastBgsaveOk = true;
  lastBgsaveTimeSec = -1;
  /** Unix ms of the last BGSAVE attempt (save points retry after 5 s). */
  lastBgsaveTry = 0;
  saves = 0;
  lastLoadExpired = 0;

  /** Whether the last BGSAVE succeeded; its changes re-arm MISCONF's check. */
  get lastBgsaveOk(): boolean {
    return this.#lastBgsaveOk;
  }

  set lastBgsaveOk(ok: boolean) {
    if (ok === this.#lastBgsaveOk) return;
    this.#lastBgsaveOk = ok;
    this.server.rearm();
  }
  lastLoadLoaded = 0;
  /** The running BGSAVE, if any. */
  bgsave: Snapshot | undefined;
  bgsaveStartedAt = 0;
  /** `server.dirty` when the running BGSAVE started. */
  dirtyAtBgsave = 0;
  /** Snapshots in progress (BGSAVE, AOF rewrites): they preserve keys before writes. */
  readonly jobs: Set<Snapshot> = new Set();
  savePoints: [number, number][] = [];
  /** A BGSAVE asked for inside EXEC, started at the next cron tick. */
  scheduled = false;

  constructor(readonly server: ServerApi) {
    this.lastSave = Math.floor(server.clock.now() / 1000);
  }

  /** `dir`/`dbfilename` as a file-system path. */
  path(): string {
    const c = this.server.config;
    return join(byteStringToUtf8(c.get("dir")), byteStringToUtf8(c.get("dbfilename")));
  }

  encodeOptions(): EncodeOptions {
    const c = this.server.config;
    return {
      compress: c.bool("rdbcompression"),
      listFill: c.directive("list-max-listpack-size") !== undefined
        ? c.number("list-max-listpack-size")
        : -2,
      types: this.server.keyspace.types,
    };
  }

  header(aofBase: boolean, disk = false, aux?: Readonly<Record<string, string>>): HeaderInfo {
    // As Redis's rdbPopulateSaveInfo: a dump on disk carries the replication
    // id and offset, so a restarted replica can try a partial resync.
    // (Replication passes its own fields for the payloads it sends.)
    const repl = disk ? this.server.service("replication")?.rdbAux() : aux;
    return {
      version: this.server.version,
      ctime: Math.floor(this.server.clock.now() / 1000),
      usedMem: usedMemory(),
      aofBase,
      ...(repl ? { extra: repl } : {}),
    };
  }

  #newSnapshot(
    opts?: SerializeOptions,
    disk = false,
    sink?: (chunk: Uint8Array) => Promise<void>,
  ): Snapshot {
    return new Snapshot({
      ...(sink ? { sink } : {}),
      keyspace: this.server.keyspace,
      encode: this.encodeOptions(),
      header: this.header(opts?.aofBase === true, disk, opts?.aux),
      functions: this.server.service("functions")?.codes() ?? [],
      checksum: this.server.config.bool("rdbchecksum"),
      keyDelayMs: this.server.config.number("rdb-key-save-delay") / 1000,
      warn: (m) => this.server.log("warning", m),
      access: this.#accessRecords(),
      ...this.#sliceLatency(),
    });
  }

  /**
   * Redis saves each key's idle time under an LRU `maxmemory-policy` and
   * its LFU counter under an LFU one (rdbSaveKeyValuePair), so a restart
   * or a replica keeps what eviction ranks keys by.
   */
  #accessRecords(): NonNullable<SnapshotOptions["access"]> {
    const policy = this.server.config.get("maxmemory-policy");
    if (policy.endsWith("-lru")) return { lru: true };
    if (!policy.endsWith("-lfu")) return { lru: false };
    const eviction = this.server.service("eviction");
    return { lru: false, freq: (db, key) => eviction?.lfuCounter(db, key) };
  }

  /**
   * A background snapshot's slices are what a fork is to Redis: the
   * latency monitor records them as `fork` events (only while it is on).
   */
  #sliceLatency(): { onSlice?: (ms: number) => void } {
    const latency = this.server.service("latency");
    if (latency === undefined || latency.threshold === 0) return {};
    return { onSlice: (ms) => latency.sample("fork", ms) };
  }

  // ------------------------------------------------------------ service

  serialize(opts?: SerializeOptions): Uint8Array {
    return this.#newSnapshot(opts).runSync();
  }

  snapshot(opts?: SerializeOptions): SnapshotJob {
    const s = this.#newSnapshot(opts, false, opts?.sink);
    this.#addJob(s);
    const drop = () => this.#dropJob(s);
    s.done.then(drop, drop);
    // Cancelling is Redis's kill of the child: the job stops copying keys
    // before writes at once, not at its next slice.
    return {
      done: s.done,
      get keysProcessed() {
        return s.keysProcessed;
      },
      cancel() {
        s.cancel();
        drop();
      },
    };
  }

  load(bytes: Uint8Array, opts: LoadOptions = {}): LoadResult {
    const steps = this.#loadSteps(bytes, opts, Infinity);
    for (;;) {
      const s = steps.next();
      if (s.done) return s.value;
    }
  }

  /** The load in progress, if any (INFO, the LOADING check). */
  loading: LoadingState | undefined;
  #loadDone: Promise<void> | undefined;
  /** Set when the server shuts down: a load in progress stops. */
  #closed = false;

  loadAsync(bytes: Uint8Array, opts: LoadOptions = {}): Promise<LoadResult> {
    try {
      const r = this.#loadInSteps(bytes, opts);
      return r instanceof Promise ? r : Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  whenLoaded(): Promise<void> {
    return this.#loadDone ?? Promise.resolve();
  }

  /** Stops a load in progress (shutdown). */
  close(): void {
    this.#closed = true;
  }

  /**
   * Loads, letting the event loop run every
   * `loading-process-events-interval-bytes`: the result at once when the
   * file is smaller than that, else a promise, with the server in its
   * loading state meanwhile (Redis's processEventsWhileBlocked).
   */
  #loadInSteps(bytes: Uint8Array, opts: LoadOptions): LoadResult | Promise<LoadResult> {
    const server = this.server;
    const ks = server.keyspace;
    const every = server.config.number("loading-process-events-interval-bytes");
    const serveOld = opts.swap === true && opts.serveOld === true;
    const state: LoadingState = {
      startTime: Math.floor(server.clock.now() / 1000),
      totalBytes: bytes.length,
      loadedBytes: 0,
      usedMem: 0,
      serveOld,
    };
    const steps = this.#loadSteps(bytes, opts, every, state);
    const first = steps.next();
    if (first.done) return first.value;
    // A long load: clients are answered (LOADING) between its steps.
    this.loading = state;
    const wasLoading = ks.loading;
    if (!serveOld) ks.loading = true;
    server.rearm();
    let finish!: () => void;
    this.#loadDone = new Promise((r) => (finish = r));
    return (async (): Promise<LoadResult> => {
      try {
        let s: IteratorResult<number, LoadResult> = first;
        while (!s.done) {
          state.loadedBytes = s.value;
          await new Promise((r) => setTimeout(r, 0));
          if (this.#closed) {
            steps.return(undefined as never);
            throw new Error("Loading interrupted by a shutdown");
          }
          s = steps.next();
        }
        return s.value;
      } finally {
        this.loading = undefined;
        ks.loading = wasLoading;
        server.rearm();
        this.#loadDone = undefined;
        finish();
      }
    })();
  }

  /**
   * The load itself, in steps (see {@link readRdbSteps}); with `swap`,
   * into new databases swapped in at the end.
   */
  *#loadSteps(
    bytes: Uint8Array,
    opts: LoadOptions,
    pauseEvery: number,
    state?: LoadingState,
  ): Generator<number, LoadResult, void> {
    const server = this.server;
    const ks = server.keyspace;
    const swap = opts.swap === true;
    const dbs = swap ? ks.dbs.map((d) => new Database(d.index, ks)) : ks.dbs;
    if (!swap) {
      for (const db of ks.dbs) {
        if (db.size !== 0) server.emitDatabaseChanged(db, "flush");
        db.clear();
      }
    }
    const now = server.clock.now();
    const keep = opts.keepExpired === true || ks.isReplica;
    // key-load-delay (a test knob): microseconds per key, or when negative
    // one in -n keys delayed 1 µs, as Redis's debugDelay.
    const delay = server.config.number("key-load-delay");
    let expired = 0;
    // Libraries replace the current ones once the whole file has read well.
    const fns = server.service("functions");
    const codes: Bytes[] = [];
    const ins = new DeferredInsert(dbs);
    try {
      let summary;
      try {
        summary = yield* readRdbSteps(bytes, {
          types: ks.types,
          checksum: server.config.bool("rdbchecksum"),
          databases: ks.dbs.length,
          allowTrailing: opts.allowTrailing === true,
          warn: (m) => server.log("warning", m),
          onResize: (db, keys, expires) => {
            dbs[db]!.data.reserve(keys);
            dbs[db]!.expires.reserve(expires);
          },
          ...(fns ? { onFunction: (code: Bytes) => codes.push(code) } : {}),
          ...(state
            ? {
              onAux: (k: string, v: string) => {
                if (k === "used-mem") state.usedMem = Number(v) || 0;
              },
            }
            : {}),
        }, (k) => {
          if (delay !== 0) debugDelay(delay);
          if (!keep && k.expireAt !== -1 && k.expireAt < now) {
            expired++;
            return;
          }
          ins.add(k);
          this.lastLoadLoaded = ins.inserted;
        }, pauseEvery);
      } catch (e) {
        // A duplicate among the keys read before it comes first in the file.
        ins.flush();
        throw e;
      }
      // The last batches: at most some 200,000 inserts, no longer than a step.
      ins.flush();
      const keys = ins.inserted;
      if (swap) {
        for (const db of ks.dbs) {
          if (db.size !== 0) server.emitDatabaseChanged(db, "flush");
          db.swapWith(dbs[db.index]!);
        }
      }
      fns?.replace(codes);
      this.lastLoadLoaded = keys;
      this.lastLoadExpired = expired;
      return { bytesRead: summary.bytesRead, keys, expiredSkipped: expired, aux: summary.aux };
    } catch (e) {
      if (!swap) { for (const db of ks.dbs) db.clear(); }
      throw e;
    }
  }

  dumpValue(value: Value): Uint8Array {
    // Most values are small: a 64 KB buffer zeroed for each DUMP (and each
    // key MIGRATE sends) cost more than serializing it.
    const e = new RdbEncoder(this.encodeOptions(), new ByteWriter(256));
    e.value(value);
    return sealPayload(e);
  }

  restoreValue(payload: Uint8Array): Value {
    const body = payloadBody(payload);
    try {
      const r = new ByteReader(body);
      const d = new RdbDecoder(r, this.server.keyspace.types);
      const v = d.value(r.u8());
      if (v === EMPTY) throw new Error(BAD_FORMAT);
      return v;
    } catch {
      throw new Error(BAD_FORMAT);
    }
  }

  dumpFunctions(codes: readonly Bytes[]): Uint8Array {
    const e = new RdbEncoder(this.encodeOptions());
    for (const code of codes) writeFunction(e, code);
    return sealPayload(e);
  }

  restoreFunctions(payload: Uint8Array): Bytes[] {
    // As functionRestoreCommand: records up to the 10-byte footer.
    const body = payloadBody(payload);
    const r = new ByteReader(body);
    const d = new RdbDecoder(r, this.server.keyspace.types);
    const codes: Bytes[] = [];
    while (r.pos < body.length) {
      const type = r.u8();
      if (type === OP.FUNCTION) throw new Error("ERR Pre-GA function format not supported");
      if (type !== OP.FUNCTION2) throw new Error("ERR given type is not a function");
      try {
        codes.push(d.string());
      } catch {
        throw new Error("ERR Failed loading library payload");
      }
    }
    return codes;
  }

  writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
    return writeFileAtomic(path, data);
  }

  // -------------------------------------------------------- save / load

  /**
   * Serializes the dataset straight into `path` (atomically, blocking),
   * a chunk at a time: no whole-file buffer.
   */
  writeDumpSync(path: string): void {
    const f = AtomicFile.openSync(path);
    try {
      this.#newSnapshot(undefined, true).runSync((chunk) => f.writeSync(chunk));
    } catch (e) {
      f.abortSync();
      throw e;
    }
    f.commitSync();
  }

  /** SAVE: serializes and writes synchronously. Returns false on failure (logged). */
  saveSync(): boolean {
    try {
      this.save();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Redis's rdbSave (SAVE, DEBUG RELOAD, the final save): writes the dump
   * synchronously and resets the change count; throws on failure (logged).
   */
  save(): void {
    const server = this.server;
    try {
      this.writeDumpSync(this.path());
    } catch (e) {
      server.log("warning", `Failed saving the DB: ${errText(e)}`);
      throw e;
    }
    server.log("notice", "DB saved on disk");
    server.dirty = 0;
    this.lastSave = Math.floor(server.clock.now() / 1000);
    this.lastBgsaveOk = true;
    this.saves++;
  }

  /** A first job arms the beforeWrite hook (its copies before writes). */
  #addJob(s: Snapshot): void {
    this.jobs.add(s);
    if (this.jobs.size === 1) this.server.rearm();
  }

  #dropJob(s: Snapshot): void {
    if (this.jobs.delete(s) && this.jobs.size === 0) this.server.rearm();
  }

  /** BGSAVE: starts a background save; false when one is already running. */
  startBgsave(): boolean {
    if (this.bgsave !== undefined) return false;
    const server = this.server;
    // Streamed to the file as it is serialized: no whole-file buffer.
    const file = AtomicFile.open(this.path());
    file.catch(() => {}); // reported through `done`
    const snap = this.#newSnapshot(undefined, true, async (chunk) => (await file).write(chunk));
    this.#addJob(snap);
    this.bgsave = snap;
    this.bgsaveStartedAt = Date.now();
    this.lastBgsaveTry = server.clock.now();
    this.dirtyAtBgsave = server.dirty;
    this.saves++;
    server.log("notice", `Background saving started by pid ${Deno.pid}`);
    snap.done
      .then(async () => (await file).commit(), async (e) => {
        await file.then((f) => f.abort(), () => {});
        throw e;
      })
      .then(() => {
        server.log("notice", "DB saved on disk");
        server.log("notice", "Background saving terminated with success");
        server.dirty = Math.max(0, server.dirty - this.dirtyAtBgsave);
        this.lastSave = Math.floor(server.clock.now() / 1000);
        this.lastBgsaveOk = true;
      }, (e) => {
        if (snap === this.bgsave) {
          server.log("warning", `Background saving error: ${errText(e)}`);
          this.lastBgsaveOk = false;
        }
      })
      .finally(() => {
        this.#dropJob(snap);
        this.lastBgsaveTimeSec = Math.round((Date.now() - this.bgsaveStartedAt) / 1000);
        if (this.bgsave === snap) this.bgsave = undefined;
      });
    return true;
  }

  /** Stops a running BGSAVE (SHUTDOWN, FLUSHALL in Redis kill the child). */
  killBgsave(): void {
    const s = this.bgsave;
    if (s === undefined) return;
    this.bgsave = undefined;
    this.server.log("warning", "There is a child saving an .rdb. Killing it!");
    s.cancel();
    this.#dropJob(s);
    s.done.catch(() => {});
  }

  /**
   * Start-up: loads `dir`/`dbfilename` if it exists. Throws on a corrupt
   * file (the message names the offset) unless `rdb-load-corrupt` is
   * `empty`. A file larger than `loading-process-events-interval-bytes`
   * loads in steps: the promise settles once it is loaded, and the server
   * answers LOADING meanwhile.
   */
  loadAtStartup(): void | Promise<void> {
    const server = this.server;
    const path = this.path();
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      // A `dir` Deno's permissions keep closed (/proc without --allow-all)
      // holds no dump Redis could have written: start empty, as Redis there.
      if (e instanceof Deno.errors.NotCapable) {
        server.log("warning", `Not loading ${path}: ${errText(e)}`);
        return;
      }
      throw new Error(`Fatal error loading the DB (${path}): ${errText(e)}. Exiting.`);
    }
    const t0 = performance.now();
    const failed = (e: unknown) => {
      const msg = `Fatal error loading the DB (${path}): ${errText(e)}`;
      if (server.config.get("rdb-load-corrupt") === "empty") {
        server.log("warning", `${msg}. Starting with an empty dataset (rdb-load-corrupt empty).`);
        return;
      }
      throw new Error(`${msg}. Exiting.`);
    };
    const loaded = (res: LoadResult) => {
      this.server.service("replication")?.rdbLoaded(res.aux);
      const ver = res.aux.get("redis-ver");
      if (ver !== undefined) server.log("notice", `Loading RDB produced by version ${ver}`);
      const ctime = res.aux.get("ctime");
      if (ctime !== undefined) {
        server.log(
          "notice",
          `RDB age ${Math.floor(server.clock.now() / 1000) - Number(ctime)} seconds`,
        );
      }
      server.log(
        "notice",
        `Done loading RDB, keys loaded: ${res.keys}, keys expired: ${res.expiredSkipped}.`,
      );
      server.log(
        "notice",
        `DB loaded from disk: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`,
      );
    };
    let res: LoadResult | Promise<LoadResult>;
    try {
      res = this.#loadInSteps(bytes, {});
    } catch (e) {
      return failed(e);
    }
    if (!(res instanceof Promise)) return loaded(res);
    return res.then(loaded, (e) => {
      // A shutdown stopped the load: nothing to report.
      if (this.#closed) return;
      failed(e);
    });
  }

  /** Save points: starts a BGSAVE when one is due (`serverCron`). */
  cron(now: number): void {
    if (this.scheduled && this.bgsave === undefined) {
      this.scheduled = false;
      this.startBgsave();
      return;
    }
    if (this.bgsave !== undefined || this.savePoints.length === 0) return;
    const dirty = this.server.dirty;
    const elapsed = Math.floor(now / 1000) - this.lastSave;
    for (const [secs, changes] of this.savePoints) {
      if (
        dirty >= changes && elapsed > secs &&
        (now - this.lastBgsaveTry > 5000 || this.lastBgsaveOk)
      ) {
        this.server.log("notice", `${changes} changes in ${secs} seconds. Saving...`);
        this.startBgsave();
        return;
      }
    }
  }

  /** INFO persistence's RDB fields, in Redis's order. */
  info(): Record<string, string | number> {
    const s = this.bgsave;
    const now = Date.now();
    const l = this.loading;
    return {
      loading: l !== undefined && !l.serveOld ? 1 : 0,
      async_loading: l?.serveOld ? 1 : 0,
      current_cow_peak: 0,
      current_cow_size: 0,
      current_cow_size_age: 0,
      current_fork_perc: s
        ? ((s.keysProcessed / Math.max(1, s.keysTotal)) * 100).toFixed(2)
        : "0.00",
      current_save_keys_processed: s ? s.keysProcessed : 0,
      current_save_keys_total: s ? s.keysTotal : 0,
      rdb_changes_since_last_save: this.server.dirty,
      rdb_bgsave_in_progress: s ? 1 : 0,
      rdb_last_save_time: this.lastSave,
      rdb_last_bgsave_status: this.lastBgsaveOk ? "ok" : "err",
      rdb_last_bgsave_time_sec: this.lastBgsaveTimeSec,
      rdb_current_bgsave_time_sec: s ? Math.round((now - this.bgsaveStartedAt) / 1000) : -1,
      rdb_saves: this.saves,
      rdb_last_cow_size: 0,
      rdb_last_load_keys_expired: this.lastLoadExpired,
      rdb_last_load_keys_loaded: this.lastLoadLoaded,
      ...(l === undefined ? {} : this.#loadingInfo(l)),
    };
  }

  /** INFO's `loading_*` fields, as Redis computes them (they end the section). */
  #loadingInfo(l: LoadingState): Record<string, string | number> {
    const perc = l.totalBytes !== 0 ? l.loadedBytes / l.totalBytes * 100 : 0;
    const remaining = l.totalBytes !== 0 ? l.totalBytes - l.loadedBytes : 1;
    const elapsed = Math.floor(this.server.clock.now() / 1000) - l.startTime;
    const eta = elapsed === 0 ? 1 : Math.floor(elapsed * remaining / (l.loadedBytes + 1));
    return {
      loading_start_time: l.startTime,
      loading_total_bytes: l.totalBytes,
      loading_rdb_used_mem: l.usedMem,
      loading_loaded_bytes: l.loadedBytes,
      loading_loaded_perc: perc.toFixed(2),
      loading_eta_seconds: eta,
    };
  }
}

/** The process's resident memory (used-mem AUX field). */
function usedMemory(): number {
  try {
    return Deno.memoryUsage().rss;
  } catch {
    return 0;
  }
}

/** A DUMP payload's bytes as a byte string (for replies). */
export type { Bytes };
