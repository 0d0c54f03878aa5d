/**
 * The RDB value decoder: every object type and encoding Redis 2.x to 7.2
 * writes (RDB versions 1 to 11). Values are built through the value types
 * the families register (`server.keyspace.types`), which pick the encoding
 * Redis would pick for the content under the current configuration; module
 * values through the plugin type whose module type id they carry.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { Value, ValueType } from "../../core/keyspace.ts";
import { bytesToString } from "../../core/resp/bytes.ts";
import type { ByteReader } from "./_buf.ts";
import { lzfDecompress } from "./_lzf.ts";
import { readIntset, readListpack, readZiplist, readZipmap } from "./_packed.ts";
import { T } from "./_encode.ts";
import { decodeStream } from "./_stream.ts";
import { readModuleValue } from "./_module.ts";

/** Returned for a collection with no elements (Redis skips such keys). */
export const EMPTY: unique symbol = Symbol("empty");

/** Parses a score written as text (listpacks, ziplists, old ZSET). */
export function parseScore(s: Bytes): number {
  if (s === "inf" || s === "+inf") return Infinity;
  if (s === "-inf") return -Infinity;
  const d = Number(s);
  if (Number.isNaN(d) || s.length === 0) throw new Error(`invalid score '${s}'`);
  return d;
}

/**
 * Reads RDB-encoded values from a {@link ByteReader}.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./_buf.ts";
 * import { RdbDecoder } from "./_decode.ts";
 * // Type 0 (a string) of 5 bytes.
 * const bytes = new Uint8Array([0, 5, 104, 101, 108, 108, 111]);
 * const d = new RdbDecoder(new ByteReader(bytes), new Map());
 * console.log(d.value(d.r.u8())); // hello
 * ```
 */
export class RdbDecoder {
  constructor(readonly r: ByteReader, readonly types: ReadonlyMap<string, ValueType>) {}

  /** A length (`rdbLoadLen`); an encoded-string marker is an error here. */
  len(): number {
    const r = this.r;
    const at = r.pos;
    const b = r.u8();
    const kind = b >>> 6;
    if (kind === 0) return b & 0x3f;
    if (kind === 1) return ((b & 0x3f) << 8) | r.u8();
    if (b === 0x80) return r.u32be();
    if (b === 0x81) {
      const v = r.u64be();
      if (v > 9007199254740991n) r.fail("Length too large", at);
      return Number(v);
    }
    return r.fail("Unexpected encoded length", at);
  }

  /** A 64-bit length as a bigint when it does not fit a safe integer (stream ids). */
  len64(): bigint {
    const r = this.r;
    const b = r.buf[r.pos];
    if (b === 0x81) {
      r.pos++;
      return r.u64be();
    }
    return BigInt(this.len());
  }

  /** A string (`rdbGenericLoadStringObject`) as a byte string. */
  string(): Bytes {
    const r = this.r;
    const b = r.u8();
    if ((b & 0xc0) !== 0xc0) {
      r.pos--;
      return r.str(this.len());
    }
    return this.#special(b);
  }

  /** A string as raw bytes (listpack/ziplist/intset blobs). */
  blob(): Uint8Array {
    const r = this.r;
    const b = r.u8();
    if ((b & 0xc0) !== 0xc0) {
      r.pos--;
      return r.view(this.len());
    }
    if ((b & 0x3f) === 3) return this.#lzf();
    const s = this.#special(b);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  #special(b: number): Bytes {
    const r = this.r;
    switch (b & 0x3f) {
      case 0: {
        const v = r.u8();
        return String(v >= 128 ? v - 256 : v);
      }
      case 1: {
        r.need(2);
        const v = r.dv.getInt16(r.pos, true);
        r.pos += 2;
        return String(v);
      }
      case 2:
        return String(r.i32le());
      case 3: {
        const d = this.#lzf();
        return bytesToString(d, 0, d.length);
      }
    }
    return r.fail("Unknown RDB string encoding type", r.pos - 1);
  }

  #lzf(): Uint8Array {
    const r = this.r;
    const at = r.pos;
    const clen = this.len();
    const len = this.len();
    const data = r.view(clen);
    try {
      return lzfDecompress(data, len);
    } catch (e) {
      return r.fail(`Invalid LZF compressed string (${(e as Error).message})`, at);
    }
  }

  /** A double written as text (`rdbLoadDoubleValue`, old ZSET type). */
  textDouble(): number {
    const r = this.r;
    const n = r.u8();
    if (n === 255) return -Infinity;
    if (n === 254) return Infinity;
    if (n === 253) return NaN;
    return Number(r.str(n));
  }

  #type(name: string): ValueType {
    const t = this.types.get(name);
    if (t === undefined) throw new Error(`no '${name}' value type is registered`);
    return t;
  }

  /** Elements of a blob-encoded collection, with the blob's file offset for errors. */
  #blobItems(read: (b: Uint8Array, base: number) => Bytes[]): Bytes[] {
    const at = this.r.pos;
    const b = this.blob();
    return read(b, at);
  }

  /** The value of RDB type `t` (`rdbLoadObject`), or {@link EMPTY}. */
  value(t: number): Value | typeof EMPTY {
    const r = this.r;
    const at = r.pos - 1;
    switch (t) {
      case T.STRING:
        return this.string();
      case T.LIST: {
        const n = this.len();
        const items: Bytes[] = new Array(n);
        for (let i = 0; i < n; i++) items[i] = this.string();
        return this.#list(items);
      }
      case T.LIST_ZIPLIST:
        return this.#list(this.#blobItems(readZiplist));
      case T.LIST_QUICKLIST:
      case T.LIST_QUICKLIST_2: {
        const nodes = this.len();
        const items: Bytes[] = [];
        for (let i = 0; i < nodes; i++) {
          let container = 2;
          if (t === T.LIST_QUICKLIST_2) {
            container = this.len();
            if (container !== 1 && container !== 2) r.fail("Unknown quicklist node container", at);
          }
          if (container === 1) {
            items.push(this.string());
            continue;
          }
          const els = this.#blobItems(t === T.LIST_QUICKLIST ? readZiplist : readListpack);
          for (const e of els) items.push(e);
        }
        return this.#list(items);
      }
      case T.SET: {
        const n = this.len();
        const items: Bytes[] = new Array(n);
        for (let i = 0; i < n; i++) items[i] = this.string();
        return this.#set(items, at);
      }
      case T.SET_INTSET:
        return this.#set(this.#blobItems(readIntset), at);
      case T.SET_LISTPACK:
        return this.#set(this.#blobItems(readListpack), at);
      case T.ZSET:
      case T.ZSET_2: {
        const n = this.len();
        const items: [Bytes, number][] = new Array(n);
        for (let i = 0; i < n; i++) {
          const m = this.string();
          const s = t === T.ZSET_2 ? r.f64le() : this.textDouble();
          if (Number.isNaN(s)) r.fail("Zset with NaN score detected", at);
          items[i] = [m, s];
        }
        return this.#zset(items, at);
      }
      case T.ZSET_ZIPLIST:
      case T.ZSET_LISTPACK: {
        const flat = this.#blobItems(t === T.ZSET_LISTPACK ? readListpack : readZiplist);
        if (flat.length % 2 !== 0) r.fail("Sorted set blob with an odd number of entries", at);
        const items: [Bytes, number][] = new Array(flat.length / 2);
        for (let i = 0; i < flat.length; i += 2) {
          let s: number;
          try {
            s = parseScore(flat[i + 1]!);
          } catch (e) {
            return r.fail((e as Error).message, at);
          }
          items[i / 2] = [flat[i]!, s];
        }
        return this.#zset(items, at);
      }
      case T.HASH: {
        const n = this.len();
        const items: [Bytes, Bytes][] = new Array(n);
        for (let i = 0; i < n; i++) items[i] = [this.string(), this.string()];
        return this.#hash(items, at);
      }
      case T.HASH_ZIPMAP:
      case T.HASH_ZIPLIST:
      case T.HASH_LISTPACK: {
        const flat = this.#blobItems(
          t === T.HASH_LISTPACK ? readListpack : t === T.HASH_ZIPLIST ? readZiplist : readZipmap,
        );
        if (flat.length % 2 !== 0) r.fail("Hash blob with an odd number of entries", at);
        const items: [Bytes, Bytes][] = new Array(flat.length / 2);
        for (let i = 0; i < flat.length; i += 2) items[i / 2] = [flat[i]!, flat[i + 1]!];
        return this.#hash(items, at);
      }
      case T.STREAM_LISTPACKS:
      case T.STREAM_LISTPACKS_2:
      case T.STREAM_LISTPACKS_3:
        return decodeStream(this, t, this.#type("stream"));
      case T.MODULE:
      case T.MODULE_2:
        return readModuleValue(this, t, this.types);
    }
    return r.fail(`Unknown RDB value type ${t}`, at);
  }

  #list(items: Bytes[]): Value | typeof EMPTY {
    if (items.length === 0) return EMPTY;
    return this.#type("list").fromElements!(items);
  }

  #set(items: Bytes[], at: number): Value | typeof EMPTY {
    if (items.length === 0) return EMPTY;
    if (new Set(items).size !== items.length) this.r.fail("Duplicate set members detected", at);
    return this.#type("set").fromElements!(items);
  }

  #zset(items: [Bytes, number][], at: number): Value | typeof EMPTY {
    if (items.length === 0) return EMPTY;
    const seen = new Set<Bytes>();
    for (const [m] of items) seen.add(m);
    if (seen.size !== items.length) this.r.fail("Duplicate zset fields detected", at);
    return this.#type("zset").fromScored!(items);
  }

  #hash(items: [Bytes, Bytes][], at: number): Value | typeof EMPTY {
    if (items.length === 0) return EMPTY;
    const seen = new Set<Bytes>();
    for (const [f] of items) seen.add(f);
    if (seen.size !== items.length) this.r.fail("Duplicate hash fields detected", at);
    return this.#type("hash").fromPairs!(items);
  }
}
