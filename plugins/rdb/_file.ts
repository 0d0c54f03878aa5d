/**
 * Whole RDB files: the header and AUX fields Redis 7.0 writes, databases
 * (SELECTDB, RESIZEDB), keys with their expiry, EOF and the CRC-64 footer;
 * and the reader for RDB versions 1 to 11.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { Value, ValueType } from "../../core/keyspace.ts";
import { ByteReader, RdbError } from "./_buf.ts";
import { Crc64 } from "./_crc64.ts";
import { OP, RDB_VERSION, type RdbEncoder } from "./_encode.ts";
import { EMPTY, RdbDecoder } from "./_decode.ts";
import { skipModuleValue } from "./_module.ts";

/** What the header's AUX fields say. */
export interface HeaderInfo {
  /** `redis-ver`. */
  version: string;
  /** `ctime`, Unix seconds. */
  ctime: number;
  /** `used-mem`. */
  usedMem: number;
  /** `aof-base`. */
  aofBase: boolean;
  /** More AUX fields (replication's `repl-id`, `repl-offset`, ...). */
  extra?: Readonly<Record<string, string>>;
}

/** Writes `REDIS0010` and the AUX fields (`rdbSaveInfoAuxFields`). */
export function writeHeader(e: RdbEncoder, h: HeaderInfo): void {
  e.w.str(`REDIS${String(RDB_VERSION).padStart(4, "0")}`);
  const aux = (k: string, v: string) => {
    e.w.u8(OP.AUX);
    e.string(k);
    e.string(v);
  };
  aux("redis-ver", h.version);
  aux("redis-bits", "64");
  aux("ctime", String(h.ctime));
  aux("used-mem", String(h.usedMem));
  aux("aof-base", h.aofBase ? "1" : "0");
  for (const [k, v] of Object.entries(h.extra ?? {})) aux(k, v);
}

/** A function library's record (`rdbSaveFunctions`): FUNCTION2 and its code. */
export function writeFunction(e: RdbEncoder, code: Bytes): void {
  e.w.u8(OP.FUNCTION2);
  e.string(code);
}

/** SELECTDB and RESIZEDB for a database about to be written. */
export function writeDbHeader(e: RdbEncoder, index: number, size: number, expires: number): void {
  e.w.u8(OP.SELECTDB);
  e.len(index);
  e.w.u8(OP.RESIZEDB);
  e.len(size);
  e.len(expires);
}

/**
 * One key: its expiry (when it has one), its LRU idle seconds and LFU
 * counter (when given: Redis writes them under LRU and LFU policies), type,
 * name and value.
 */
export function writeKey(
  e: RdbEncoder,
  key: Bytes,
  value: Value,
  expireAt: number,
  idle = -1,
  freq = -1,
): void {
  if (expireAt !== -1) {
    e.w.u8(OP.EXPIRETIME_MS);
    e.w.i64le(expireAt);
  }
  if (idle >= 0) {
    e.w.u8(OP.IDLE);
    e.len(idle);
  }
  if (freq >= 0) {
    e.w.u8(OP.FREQ);
    e.w.u8(freq);
  }
  const t = e.typeOf(value);
  e.w.u8(t);
  e.string(key);
  if (typeof value === "string") e.string(value);
  else e.object(t, value);
}

/**
 * EOF and the checksum (8 zero bytes when `rdbchecksum` is off). `crc`
 * already covers the buffer up to `crcFrom`.
 */
export function writeFooter(e: RdbEncoder, crc: Crc64 | undefined, crcFrom = 0): void {
  const w = e.w;
  w.u8(OP.EOF);
  if (crc === undefined) {
    for (let i = 0; i < 8; i++) w.u8(0);
    return;
  }
  crc.update(w.buf, crcFrom, w.pos);
  w.bytes(crc.bytes());
}

/** A key as the reader found it. */
export interface LoadedKey {
  db: number;
  key: Bytes;
  value: Value;
  /** Absolute expiry in Unix ms, or -1. */
  expireAt: number;
  /** LRU idle seconds (`RDB_OPCODE_IDLE`), or -1. */
  idle: number;
  /** LFU counter (`RDB_OPCODE_FREQ`), or -1. */
  freq: number;
  /** Where the key's record starts in the file. */
  offset: number;
}

/** Options for {@link readRdb}. */
export interface ReadOptions {
  types: ReadonlyMap<string, ValueType>;
  /** Verify the CRC-64 footer (`rdbchecksum`). */
  checksum: boolean;
  /** Number of databases the server has. */
  databases: number;
  /** Accept bytes after the footer (an AOF tail). */
  allowTrailing: boolean;
  /** Warnings (skipped function libraries, empty keys). */
  warn: (msg: string) => void;
  /**
   * Takes each function library's code (RDB_OPCODE_FUNCTION2). Without it
   * libraries are skipped with a warning.
   */
  onFunction?: (code: Bytes) => void;
  /** Sees each AUX field as it is read (a load's `used-mem` for INFO). */
  onAux?: (key: string, value: string) => void;
  /**
   * Hears a database's RESIZEDB: the keys, and of them those with an
   * expiry, that follow (a hint: the file may lie).
   */
  onResize?: (db: number, keys: number, expires: number) => void;
}

/** What {@link readRdb} returns besides the keys. */
export interface ReadSummary {
  bytesRead: number;
  aux: Map<string, string>;
  version: number;
}

/**
 * Parses a whole RDB file, handing each key to `onKey`. Throws an
 * {@link RdbError} naming the offset for a corrupt or truncated file.
 */
export function readRdb(
  bytes: Uint8Array,
  opts: ReadOptions,
  onKey: (k: LoadedKey) => void,
): ReadSummary {
  const steps = readRdbSteps(bytes, opts, onKey, Infinity);
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}

/**
 * {@link readRdb} in steps: after a key that crosses a multiple of
 * `pauseEvery` bytes it yields the bytes read so far, so a caller can let
 * the event loop run (Redis's processEventsWhileBlocked during a load,
 * every `loading-process-events-interval-bytes`). The summary is the
 * generator's return value.
 */
export function* readRdbSteps(
  bytes: Uint8Array,
  opts: ReadOptions,
  onKey: (k: LoadedKey) => void,
  pauseEvery: number,
): Generator<number, ReadSummary, void> {
  let nextPause = pauseEvery;
  const r = new ByteReader(bytes);
  if (bytes.length < 9) r.fail("Unexpected EOF reading RDB file");
  const magic = r.str(5);
  if (magic !== "REDIS") r.fail("Wrong signature trying to load DB from file", 0);
  const verText = r.str(4);
  const version = /^\d{4}$/.test(verText) ? Number(verText) : NaN;
  if (!(version >= 1 && version <= 11)) r.fail(`Can't handle RDB format version ${verText}`, 5);
  const d = new RdbDecoder(r, opts.types);
  const aux = new Map<string, string>();
  let db = 0;
  let expireAt = -1, idle = -1, freq = -1, recordAt = -1;
  let emptySkipped = 0;
  for (;;) {
    const at = r.pos;
    if (recordAt === -1) recordAt = at;
    const type = r.u8();
    switch (type) {
      case OP.EXPIRETIME:
        expireAt = r.i32le() * 1000;
        continue;
      case OP.EXPIRETIME_MS: {
        const v = r.i64le();
        expireAt = Number(v);
        continue;
      }
      case OP.FREQ:
        freq = r.u8();
        continue;
      case OP.IDLE:
        idle = d.len();
        continue;
      case OP.EOF:
        break;
      case OP.SELECTDB:
        recordAt = -1;
        db = d.len();
        if (db >= opts.databases) {
          r.fail(
            `Data file was created with a Redis server configured to handle more than ${opts.databases} databases`,
            at,
          );
        }
        continue;
      case OP.RESIZEDB: {
        const keys = d.len(), expires = d.len();
        // A key takes at least 3 bytes of the file: a larger hint is a lie.
        const most = (bytes.length - r.pos) / 3;
        opts.onResize?.(db, Math.min(keys, most), Math.min(expires, most));
        continue;
      }
      case OP.AUX: {
        recordAt = -1;
        const k = d.string();
        const v = d.string();
        aux.set(k, v);
        opts.onAux?.(k, v);
        continue;
      }
      case OP.MODULE_AUX: {
        d.len64(); // module id
        const when = d.len(); // when_opcode
        void when;
        d.len(); // when
        skipModuleValue(d);
        opts.warn("The RDB file contains AUX module data Respite can't load: skipped");
        continue;
      }
      case OP.FUNCTION2: {
        const code = d.string();
        if (opts.onFunction !== undefined) {
          opts.onFunction(code);
          continue;
        }
        opts.warn(
          "The RDB file contains a function library: skipped (functions are not supported)",
        );
        continue;
      }
      case OP.FUNCTION: {
        d.string(); // name
        d.string(); // engine
        if (d.len() === 1) d.string(); // description
        d.string(); // code
        opts.warn("The RDB file contains a function: skipped (functions are not supported)");
        continue;
      }
      default: {
        const key = d.string();
        const value = d.value(type);
        if (value === EMPTY) {
          if (emptySkipped++ < 10) opts.warn(`rdbLoadObject skipping empty key: ${key}`);
        } else {
          onKey({ db, key, value, expireAt, idle, freq, offset: recordAt });
        }
        expireAt =
          idle =
          freq =
          recordAt =
            -1;
        if (r.pos >= nextPause) {
          nextPause = (Math.floor(r.pos / pauseEvery) + 1) * pauseEvery;
          yield r.pos;
        }
        continue;
      }
    }
    break;
  }
  const eofEnd = r.pos;
  if (version >= 5) {
    const stored = r.view(8);
    if (opts.checksum && stored.some((b) => b !== 0)) {
      const crc = new Crc64().update(bytes, 0, eofEnd).bytes();
      if (!crc.every((b, i) => b === stored[i])) {
        throw new RdbError(
          `Wrong RDB checksum expected: (${hex(stored)}) got: (${hex(crc)})`,
          eofEnd,
        );
      }
    }
  }
  if (!opts.allowTrailing && r.pos !== bytes.length) {
    r.fail("Unexpected data after the end of the RDB file");
  }
  return { bytesRead: r.pos, aux, version };
}

/** Hex of an 8-byte little-endian checksum, as Redis prints it (`%llx`). */
function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 7; i >= 0; i--) s += b[i]!.toString(16).padStart(2, "0");
  return s.replace(/^0+(?=.)/, "");
}
