/**
 * The RDB value encoder: one key's value in the encoding Redis 7.0 writes
 * (RDB version 10), shared by files, DUMP and the AOF preamble.
 *
 * Values are read through the views families implement (`viewOf`:
 * ElementsView, PairsView, ScoredView, StreamView), never through their
 * classes.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import {
  type DataObject,
  type ElementsView,
  type Value,
  type ValueType,
  viewOf,
} from "../../core/keyspace.ts";
import { formatDouble } from "../../core/number.ts";
import { ByteWriter } from "./_buf.ts";
import { lzfCompress } from "./_lzf.ts";
import { intsetOf, ListpackBuilder } from "./_packed.ts";
import { encodeStream } from "./_stream.ts";
import { moduleRdbOf, writeModuleValue } from "./_module.ts";

/** RDB object types (`RDB_TYPE_*`). */
export const T = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
} as const;

/** RDB opcodes (`RDB_OPCODE_*`). */
export const OP = {
  FUNCTION2: 245,
  FUNCTION: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const;

/** The RDB version Redis 7.0 writes. */
export const RDB_VERSION = 10;

/** Settings the encoder reads from the configuration. */
export interface EncodeOptions {
  /** `rdbcompression`: LZF-compress strings longer than 20 bytes. */
  compress: boolean;
  /** `list-max-listpack-size`: how quicklist nodes are filled. */
  listFill: number;
  /**
   * The registered value types: plugin types are written as module values
   * with their `rdb` declaration. Without it only Redis's types encode.
   */
  types?: ReadonlyMap<string, ValueType>;
}

/** Quicklist node size limits for negative `list-max-listpack-size`. */
const NODE_BYTES = [4096, 8192, 16384, 32768, 65536];
/** Redis's per-element overhead estimate when filling a quicklist node. */
const SIZE_ESTIMATE_OVERHEAD = 8;
/** Redis's safety limit for count-limited quicklist nodes. */
const SIZE_SAFETY_LIMIT = 8192;

/** Scratch buffers for compressing strings: reused, never holding anything between calls. */
let scratch = new Uint8Array(1024);
let scratchOut = new Uint8Array(1024);

/**
 * Writes values in RDB encoding into a {@link ByteWriter}.
 *
 * @example
 * ```ts
 * import { RdbEncoder } from "./_encode.ts";
 * const e = new RdbEncoder({ compress: true, listFill: -2 });
 * e.string("hello");
 * console.log(e.w.result()); // Uint8Array(6) [ 5, 104, 101, 108, 108, 111 ]
 * ```
 */
export class RdbEncoder {
  readonly w: ByteWriter;

  constructor(readonly opts: EncodeOptions, w: ByteWriter = new ByteWriter(1 << 16)) {
    this.w = w;
  }

  /** A length (`rdbSaveLen`). */
  len(n: number): void {
    const w = this.w;
    if (n < 64) {
      w.u8(n);
    } else if (n < 16384) {
      w.u8(0x40 | (n >>> 8));
      w.u8(n & 0xff);
    } else if (n <= 0xffffffff) {
      w.u8(0x80);
      w.u32be(n);
    } else {
      w.u8(0x81);
      w.u64be(n);
    }
  }

  /** A length that may not fit a safe integer (stream ids, counters). */
  len64(n: bigint): void {
    if (n <= 0xffffffffn) return this.len(Number(n));
    this.w.u8(0x81);
    this.w.u64be(n);
  }

  /**
   * A string (`rdbSaveRawString`): integer encoding for short canonical
   * 32-bit integers, LZF for long compressible strings, else raw.
   */
  string(s: Bytes): void {
    const n = s.length;
    const w = this.w;
    if (n <= 11 && n !== 0) {
      const c = s.charCodeAt(0);
      if ((c >= 48 && c <= 57) || c === 45) {
        const v = shortInt(s);
        if (v !== undefined) {
          if (v >= -128 && v <= 127) {
            w.ensure(2);
            w.buf[w.pos++] = 0xc0;
            w.buf[w.pos++] = v & 0xff;
          } else if (v >= -32768 && v <= 32767) {
            w.ensure(3);
            w.buf[w.pos++] = 0xc1;
            w.buf[w.pos++] = v & 0xff;
            w.buf[w.pos++] = (v >> 8) & 0xff;
          } else if (v >= -2147483648 && v <= 2147483647) {
            w.u8(0xc2);
            w.u32le(v >>> 0);
          } else {
            this.len(n);
            w.str(s);
          }
          return;
        }
      }
    }
    if (this.opts.compress && n > 20) {
      if (scratch.length < n) scratch = new Uint8Array(n * 2);
      for (let i = 0; i < n; i++) scratch[i] = s.charCodeAt(i);
      if (this.#lzf(scratch, n)) return;
      this.len(n);
      w.bytes(scratch.subarray(0, n));
      return;
    }
    w.ensure(n + 9);
    this.len(n);
    w.str(s);
  }

  /** A binary blob saved as a string (listpacks, intsets): LZF when it pays. */
  blob(b: Uint8Array): void {
    if (this.opts.compress && b.length > 20 && this.#lzf(b, b.length)) return;
    this.len(b.length);
    this.w.bytes(b);
  }

  /** `rdbSaveLzfStringObject`; false when the data does not compress. */
  #lzf(src: Uint8Array, n: number): boolean {
    if (n <= 4) return false;
    if (scratchOut.length < n) scratchOut = new Uint8Array(n * 2);
    const clen = lzfCompress(src, 0, n, scratchOut, 0, n - 4);
    if (clen === 0) return false;
    this.w.u8(0xc3);
    this.len(clen);
    this.len(n);
    this.w.bytes(scratchOut.subarray(0, clen));
    return true;
  }

  /** The RDB type byte for a value (`rdbSaveObjectType`). */
  typeOf(v: Value): number {
    if (typeof v === "string") return T.STRING;
    switch (v.type) {
      case "list":
        return T.LIST_QUICKLIST_2;
      case "set":
        return v.encoding() === "intset" ? T.SET_INTSET : T.SET;
      case "hash":
        return v.encoding() === "listpack" ? T.HASH_LISTPACK : T.HASH;
      case "zset":
        return v.encoding() === "listpack" ? T.ZSET_LISTPACK : T.ZSET_2;
      case "stream":
        return T.STREAM_LISTPACKS_2;
    }
    // Throws for a volatile or unregistered type.
    moduleRdbOf(v, this.opts.types);
    return T.MODULE_2;
  }

  /** Type byte then value (`rdbSaveObjectType` + `rdbSaveObject`). */
  value(v: Value): void {
    const t = this.typeOf(v);
    this.w.u8(t);
    if (typeof v === "string") return this.string(v);
    this.object(t, v);
  }

  /**
   * The value body for RDB type `t`, which {@link RdbEncoder.typeOf} chose
   * for `v`'s type (so `viewOf(v, v.type)` is never undefined).
   */
  object(t: number, v: DataObject): void {
    switch (t) {
      case T.LIST_QUICKLIST_2:
        return this.#quicklist(viewOf(v, "list")!);
      case T.SET_INTSET:
        return this.blob(intsetOf(viewOf(v, "set")!.elements()));
      case T.SET: {
        const e = viewOf(v, "set")!;
        this.len(e.length);
        for (const m of e.elements()) this.string(m);
        return;
      }
      case T.HASH_LISTPACK: {
        const b = new ListpackBuilder();
        for (const [f, val] of viewOf(v, "hash")!.pairs()) {
          b.add(f);
          b.add(val);
        }
        return this.blob(b.finish());
      }
      case T.HASH: {
        const h = viewOf(v, "hash")!;
        this.len(h.length);
        for (const [f, val] of h.pairs()) {
          this.string(f);
          this.string(val);
        }
        return;
      }
      case T.ZSET_LISTPACK: {
        const b = new ListpackBuilder();
        for (const [m, s] of viewOf(v, "zset")!.scored()) {
          b.add(m);
          b.add(formatDouble(s));
        }
        return this.blob(b.finish());
      }
      case T.ZSET_2: {
        // Redis saves from the highest score down, so its loader can
        // insert at the head; any order loads the same.
        const z = viewOf(v, "zset")!;
        const all = [...z.scored()];
        this.len(all.length);
        for (let i = all.length - 1; i >= 0; i--) {
          const [m, s] = all[i]!;
          this.string(m);
          this.w.f64le(s);
        }
        return;
      }
      case T.STREAM_LISTPACKS_2:
        return encodeStream(this, viewOf(v, "stream")!);
      case T.MODULE_2:
        return writeModuleValue(this, moduleRdbOf(v, this.opts.types), v);
    }
  }

  /**
   * A list as a quicklist of listpack nodes, filled as Redis fills them
   * under `list-max-listpack-size`.
   */
  #quicklist(list: ElementsView): void {
    const fill = this.opts.listFill;
    const sizeLimit = fill < 0 ? NODE_BYTES[Math.min(-fill, 5) - 1]! : SIZE_SAFETY_LIMIT;
    const countLimit = fill > 0 ? fill : Infinity;
    const nodes: Uint8Array[] = [];
    let b = new ListpackBuilder();
    for (const e of list.elements()) {
      if (
        b.count !== 0 &&
        (b.size + 1 + e.length + SIZE_ESTIMATE_OVERHEAD > sizeLimit || b.count + 1 > countLimit)
      ) {
        nodes.push(b.finish());
        b = new ListpackBuilder();
      }
      b.add(e);
    }
    if (b.count !== 0) nodes.push(b.finish());
    this.len(nodes.length);
    for (const n of nodes) {
      this.len(2); // QUICKLIST_NODE_CONTAINER_PACKED
      this.blob(n);
    }
  }
}

/** The value of a canonical decimal integer of up to 11 chars, if `s` is one. */
function shortInt(s: Bytes): number | undefined {
  const n = s.length;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return undefined;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1 ? 0 : undefined;
  let v = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    v = v * 10 + c;
  }
  return s.charCodeAt(0) === 45 ? -v : v;
}
