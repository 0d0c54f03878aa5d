/**
 * The `rdb` service: the RDB serializer and loader other plugins use (the
 * AOF's RDB preamble, replication's full sync, DUMP/RESTORE). Get it with
 * `server.service("rdb")` and list `"rdb"` in the plugin's `dependencies`.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { Value } from "../../core/keyspace.ts";

/**
 * What the rdb plugin asks of the plugin that provides `functions`
 * (Redis 7's function libraries, which an RDB file holds as
 * `RDB_OPCODE_FUNCTION2` records of their code, before the databases).
 * Without a provider, libraries in a file are skipped with a warning.
 */
export interface RdbFunctions {
  /** Every library's code (shebang included), for a save or FUNCTION DUMP. */
  codes(): Bytes[];
  /**
   * Replaces every library with these (an RDB load replaces the whole
   * dataset). Throws an Error whose message is the reason (Redis's reply)
   * when one does not load; the libraries are then left unchanged.
   */
  replace(codes: readonly Bytes[]): void;
}

declare module "../../core/types.ts" {
  interface Services {
    /** Function libraries as the RDB sees them (see {@link RdbFunctions}). */
    functions: RdbFunctions;
  }
}

/** Options for serializing the whole dataset. */
export interface SerializeOptions {
  /**
   * Writes the `aof-base` AUX field as 1 (an AOF base file / preamble), as
   * Redis does for `aof-use-rdb-preamble`. Default false.
   */
  aofBase?: boolean;
  /**
   * Only for {@link RdbService.snapshot}: takes the file in chunks as it is
   * serialized (each chunk is valid until the returned promise settles),
   * so no whole-file buffer is held; `done` then resolves with an empty
   * array.
   */
  sink?: (chunk: Uint8Array) => Promise<void>;
  /** More AUX fields for the header (replication's `repl-id`, `repl-offset`, ...). */
  aux?: Readonly<Record<string, string>>;
}

/** Options for loading a whole RDB file. */
export interface LoadOptions {
  /**
   * Keep keys whose expiry time has passed (Redis keeps them when loading
   * an AOF preamble or as a replica; a master drops them). Default false.
   */
  keepExpired?: boolean;
  /**
   * Accept trailing bytes after the EOF opcode and checksum (an AOF file
   * with an RDB preamble). Default false: trailing bytes are an error.
   */
  allowTrailing?: boolean;
  /**
   * Load into new databases and swap them in only once the whole file has
   * loaded (a replica's `repl-diskless-load swapdb`): a failed load leaves
   * the dataset as it was. Default false: the databases are flushed first.
   */
  swap?: boolean;
  /**
   * With `swap`: the current dataset is served while the load goes on
   * (Redis's async loading: `async_loading:1`, only commands flagged
   * `no_async_loading` are refused). Otherwise clients get LOADING.
   */
  serveOld?: boolean;
}

/** A load in progress (INFO persistence's `loading_*` fields). */
export interface LoadingState {
  /** Unix seconds when it started. */
  readonly startTime: number;
  readonly totalBytes: number;
  loadedBytes: number;
  /** The `used-mem` AUX field of the file, once read (0 until then). */
  usedMem: number;
  /** Old data served meanwhile (`async_loading`) rather than LOADING. */
  readonly serveOld: boolean;
}

/** What a load found. */
export interface LoadResult {
  /** Bytes consumed: up to and including the checksum (the AOF tail starts here). */
  bytesRead: number;
  /** Keys loaded (expired ones left out). */
  keys: number;
  /** Keys skipped because their expiry had passed. */
  expiredSkipped: number;
  /** The AUX fields of the file (`redis-ver`, `ctime`, `aof-base`, ...). */
  aux: Map<string, string>;
}

/** A snapshot being serialized in slices (BGSAVE, AOF rewrite). */
export interface SnapshotJob {
  /**
   * Resolves with the whole file once serialized. The contents are the
   * dataset as it was when the job was created (point in time), however
   * the dataset changes meanwhile.
   */
  readonly done: Promise<Uint8Array>;
  /** Keys serialized so far / in the snapshot (INFO current_save_keys_*). */
  readonly keysProcessed: number;
  /** Stops the job; `done` rejects. */
  cancel(): void;
}

/**
 * The RDB service. Byte strings throughout are Redis's RDB version 10 as
 * Redis 7.0 writes it; the loader reads versions 1 to 11. Snapshots leave
 * out the keys of volatile value types, with one warning each.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const rdb = s.server.service("rdb")!;
 * const file = rdb.serialize(); // whole dataset, synchronously
 * rdb.load(file); // replaces the dataset
 * const payload = rdb.dumpValue("hello"); // DUMP's payload
 * console.log(rdb.restoreValue(payload)); // hello
 * await s.close();
 * ```
 */
export interface RdbService {
  /** The whole dataset as an RDB file, synchronously (blocks the event loop). */
  serialize(opts?: SerializeOptions): Uint8Array;
  /**
   * Starts serializing a point-in-time snapshot of the whole dataset in
   * slices across event-loop turns, so the server keeps answering.
   */
  snapshot(opts?: SerializeOptions): SnapshotJob;
  /**
   * Replaces the dataset with the file's contents (every database is
   * flushed first). Throws an {@link RdbError}-like Error naming the offset
   * when the file is corrupt; the dataset is then left empty.
   */
  load(bytes: Uint8Array, opts?: LoadOptions): LoadResult;
  /**
   * {@link RdbService.load} letting the event loop run every
   * `loading-process-events-interval-bytes` (clients get LOADING
   * meanwhile, as from a Redis that loads). A file that small loads at
   * once. Rejects as `load` throws.
   */
  loadAsync(bytes: Uint8Array, opts?: LoadOptions): Promise<LoadResult>;
  /** The load in progress, if any. */
  readonly loading: LoadingState | undefined;
  /** Resolves once no load is in progress (now, when none is). */
  whenLoaded(): Promise<void>;
  /**
   * DUMP's payload: value, RDB version (2 bytes LE), CRC64 (8 bytes LE).
   * A plugin type's value is a module value (see `_module.ts`). Throws
   * a `NotPersistedError` for a value of a volatile or unregistered type.
   */
  dumpValue(value: Value): Uint8Array;
  /**
   * Parses a DUMP payload; throws `Error("ERR DUMP payload version or
   * checksum are wrong")` or `Error("ERR Bad data format")` as Redis.
   */
  restoreValue(payload: Uint8Array): Value;
  /**
   * FUNCTION DUMP's payload: a FUNCTION2 record per library's code, RDB
   * version (2 bytes LE), CRC64 (8 bytes LE).
   */
  dumpFunctions(codes: readonly Bytes[]): Uint8Array;
  /**
   * Parses a FUNCTION DUMP payload into the libraries' code; throws
   * `Error("ERR DUMP payload version or checksum are wrong")`,
   * `Error("ERR given type is not a function")` and the like, as Redis.
   */
  restoreFunctions(payload: Uint8Array): Bytes[];
  /**
   * Writes `data` to `path` atomically: a temporary file beside it,
   * fsync, rename, fsync of the directory.
   */
  writeFileAtomic(path: string, data: Uint8Array): Promise<void>;
}
