/**
 * Redis's compact blob encodings as they appear inside RDB files: listpack
 * (read and write), ziplist, intset and zipmap (read; intset also write).
 * Elements are byte strings; integer entries read back as their decimal
 * text, as Redis returns them.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { ByteReader, ByteWriter } from "./_buf.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Redis's `string2ll`: the value of a canonical decimal integer that fits
 * 64 bits ("-0", "+1", "01" and spaces are rejected), else undefined.
 * Safe integers come back as numbers, larger ones as bigints.
 */
export function strictInt(s: Bytes): number | bigint | undefined {
  const n = s.length;
  if (n === 0 || n > 20) return undefined;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg) {
    if (n === 1) return undefined;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1 ? 0 : undefined; // "0" only; "-0", "01" are not
  if (first < 49 || first > 57) return undefined;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
  }
  if (n - i <= 15) return Number(s);
  const b = BigInt(s);
  if (b < INT64_MIN || b > INT64_MAX) return undefined;
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

// ---------------------------------------------------------------- listpack

/** Appends one listpack entry's backlen (the entry's size, 7 bits a byte). */
function backlen(w: ByteWriter, l: number): void {
  if (l <= 127) {
    w.u8(l);
  } else if (l < 16383) {
    w.u8(l >>> 7);
    w.u8((l & 127) | 128);
  } else if (l < 2097151) {
    w.u8(l >>> 14);
    w.u8(((l >>> 7) & 127) | 128);
    w.u8((l & 127) | 128);
  } else if (l < 268435455) {
    w.u8(l >>> 21);
    w.u8(((l >>> 14) & 127) | 128);
    w.u8(((l >>> 7) & 127) | 128);
    w.u8((l & 127) | 128);
  } else {
    w.u8(Math.floor(l / 2 ** 28));
    w.u8(((l >>> 21) & 127) | 128);
    w.u8(((l >>> 14) & 127) | 128);
    w.u8(((l >>> 7) & 127) | 128);
    w.u8((l & 127) | 128);
  }
}

/**
 * Builds a listpack. Elements that are canonical integers are stored with
 * the integer encodings, as Redis's `lpAppend` does.
 *
 * @example
 * ```ts
 * import { ListpackBuilder, readListpack } from "./_packed.ts";
 * const b = new ListpackBuilder();
 * b.add("a");
 * b.add("12");
 * console.log(readListpack(b.finish())); // ["a", "12"]
 * ```
 */
export class ListpackBuilder {
  readonly w: ByteWriter = new ByteWriter(64);
  count = 0;

  constructor() {
    this.w.pos = 6; // header: total bytes (u32), count (u16)
  }

  /** Bytes so far (header included, terminator not). */
  get size(): number {
    return this.w.pos;
  }

  /** Appends a string element (integer-encoded when it is a canonical integer). */
  add(s: Bytes): void {
    const n = s.length;
    if (n <= 20) {
      const v = strictInt(s);
      if (v !== undefined) return this.addInt(v);
    }
    const w = this.w;
    if (n < 64) {
      w.u8(0x80 | n);
      w.str(s);
      backlen(w, 1 + n);
    } else if (n < 4096) {
      w.u8(0xe0 | (n >>> 8));
      w.u8(n & 0xff);
      w.str(s);
      backlen(w, 2 + n);
    } else {
      w.u8(0xf0);
      w.u32le(n);
      w.str(s);
      backlen(w, 5 + n);
    }
    this.count++;
  }

  /** Appends an integer element with the smallest integer encoding. */
  addInt(v: number | bigint): void {
    const w = this.w;
    if (typeof v === "bigint") {
      w.u8(0xf4);
      w.i64le(v);
      backlen(w, 9);
    } else if (v >= 0 && v <= 127) {
      w.u8(v);
      backlen(w, 1);
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? v + 8192 : v;
      w.u8(0xc0 | (u >>> 8));
      w.u8(u & 0xff);
      backlen(w, 2);
    } else if (v >= -32768 && v <= 32767) {
      w.u8(0xf1);
      w.u8(v & 0xff);
      w.u8((v >> 8) & 0xff);
      backlen(w, 3);
    } else if (v >= -8388608 && v <= 8388607) {
      w.u8(0xf2);
      w.u8(v & 0xff);
      w.u8((v >> 8) & 0xff);
      w.u8((v >> 16) & 0xff);
      backlen(w, 4);
    } else if (v >= -2147483648 && v <= 2147483647) {
      w.u8(0xf3);
      w.u32le(v >>> 0);
      backlen(w, 5);
    } else {
      w.u8(0xf4);
      w.i64le(v);
      backlen(w, 9);
    }
    this.count++;
  }

  /** Terminates the listpack and returns its bytes. */
  finish(): Uint8Array {
    const w = this.w;
    w.u8(0xff);
    const total = w.pos;
    const dv = new DataView(w.buf.buffer);
    dv.setUint32(0, total, true);
    dv.setUint16(4, this.count < 65535 ? this.count : 65535, true);
    return w.result();
  }
}

/** Builds a listpack of `items`. */
export function listpackOf(items: Iterable<Bytes>): Uint8Array {
  const b = new ListpackBuilder();
  for (const s of items) b.add(s);
  return b.finish();
}

/**
 * Decodes a listpack's elements. `base` is the blob's offset in the file,
 * for error messages.
 */
export function readListpack(blob: Uint8Array, base = 0): Bytes[] {
  const r = new ByteReader(blob, 0, base);
  if (blob.length < 7) r.fail("Listpack too short");
  const total = r.u32le();
  const count = r.u16le();
  if (total !== blob.length) r.fail("Listpack length mismatch", 0);
  const out: Bytes[] = [];
  for (;;) {
    const start = r.pos;
    const b = r.u8();
    if (b === 0xff) break;
    if ((b & 0x80) === 0) {
      out.push(String(b));
    } else if ((b & 0xc0) === 0x80) {
      out.push(r.str(b & 0x3f));
    } else if ((b & 0xe0) === 0xc0) {
      let v = ((b & 0x1f) << 8) | r.u8();
      if (v >= 4096) v -= 8192;
      out.push(String(v));
    } else if ((b & 0xf0) === 0xe0) {
      out.push(r.str(((b & 0x0f) << 8) | r.u8()));
    } else if (b === 0xf0) {
      out.push(r.str(r.u32le()));
    } else if (b === 0xf1) {
      r.need(2);
      out.push(String(r.dv.getInt16(r.pos, true)));
      r.pos += 2;
    } else if (b === 0xf2) {
      let v = r.u8() | (r.u8() << 8) | (r.u8() << 16);
      if (v >= 0x800000) v -= 0x1000000;
      out.push(String(v));
    } else if (b === 0xf3) {
      out.push(String(r.i32le()));
    } else if (b === 0xf4) {
      out.push(String(r.i64le()));
    } else {
      r.fail("Invalid listpack entry encoding", start);
    }
    // Skip the backlen: 1 to 5 bytes, the last one (first read) < 128.
    const len = r.pos - start;
    const bl = len <= 127 ? 1 : len < 16383 ? 2 : len < 2097151 ? 3 : len < 268435455 ? 4 : 5;
    r.need(bl);
    r.pos += bl;
  }
  if (r.pos !== blob.length) r.fail("Listpack has data after its terminator");
  if (count !== 65535 && count !== out.length) r.fail("Listpack count mismatch", 4);
  return out;
}

// ----------------------------------------------------------------- ziplist

/** Decodes a ziplist's elements (RDB types written before Redis 7). */
export function readZiplist(blob: Uint8Array, base = 0): Bytes[] {
  const r = new ByteReader(blob, 0, base);
  if (blob.length < 11) r.fail("Ziplist too short");
  const total = r.u32le();
  r.u32le(); // tail offset
  r.u16le(); // count (may be saturated)
  if (total !== blob.length) r.fail("Ziplist length mismatch", 0);
  const out: Bytes[] = [];
  for (;;) {
    const first = r.u8();
    if (first === 0xff) break;
    if (first === 0xfe) r.u32le(); // prevlen, 5-byte form
    const start = r.pos;
    const enc = r.u8();
    const hi = enc >>> 6;
    if (hi === 0) {
      out.push(r.str(enc & 0x3f));
    } else if (hi === 1) {
      out.push(r.str(((enc & 0x3f) << 8) | r.u8()));
    } else if (hi === 2) {
      if (enc !== 0x80) r.fail("Invalid ziplist string encoding", start);
      out.push(r.str(r.u32be()));
    } else if (enc === 0xc0) {
      r.need(2);
      out.push(String(r.dv.getInt16(r.pos, true)));
      r.pos += 2;
    } else if (enc === 0xd0) {
      out.push(String(r.i32le()));
    } else if (enc === 0xe0) {
      out.push(String(r.i64le()));
    } else if (enc === 0xf0) {
      let v = r.u8() | (r.u8() << 8) | (r.u8() << 16);
      if (v >= 0x800000) v -= 0x1000000;
      out.push(String(v));
    } else if (enc === 0xfe) {
      const v = r.u8();
      out.push(String(v >= 128 ? v - 256 : v));
    } else if (enc >= 0xf1 && enc <= 0xfd) {
      out.push(String((enc & 0x0f) - 1));
    } else {
      r.fail("Invalid ziplist entry encoding", start);
    }
    // The next entry starts with its own prevlen: handled at the loop top.
    if (r.pos >= blob.length) r.fail("Ziplist without terminator");
    const next = blob[r.pos]!;
    if (next === 0xff) {
      r.pos++;
      break;
    }
  }
  if (r.pos !== blob.length) r.fail("Ziplist has data after its terminator");
  return out;
}

// ------------------------------------------------------------------ intset

/** Decodes an intset's members (ascending). */
export function readIntset(blob: Uint8Array, base = 0): Bytes[] {
  const r = new ByteReader(blob, 0, base);
  const enc = r.u32le();
  const len = r.u32le();
  if ((enc !== 2 && enc !== 4 && enc !== 8) || 8 + enc * len !== blob.length) {
    r.fail("Invalid intset encoding or length", 0);
  }
  const out: Bytes[] = new Array(len);
  for (let i = 0; i < len; i++) {
    if (enc === 2) {
      out[i] = String(r.dv.getInt16(r.pos, true));
      r.pos += 2;
    } else if (enc === 4) {
      out[i] = String(r.i32le());
    } else {
      out[i] = String(r.i64le());
    }
  }
  return out;
}

/** Encodes integer members (canonical decimal strings) as an intset, sorted. */
export function intsetOf(members: Iterable<Bytes>): Uint8Array {
  const vals: bigint[] = [];
  let enc = 2;
  for (const m of members) {
    const v = BigInt(m);
    vals.push(v);
    if (v < -2147483648n || v > 2147483647n) enc = 8;
    else if ((v < -32768n || v > 32767n) && enc < 4) enc = 4;
  }
  vals.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const w = new ByteWriter(8 + enc * vals.length);
  w.u32le(enc);
  w.u32le(vals.length);
  const dv = new DataView(w.buf.buffer);
  for (const v of vals) {
    if (enc === 2) dv.setInt16(w.pos, Number(v), true);
    else if (enc === 4) dv.setInt32(w.pos, Number(v), true);
    else dv.setBigInt64(w.pos, v, true);
    w.pos += enc;
  }
  return w.result();
}

// ------------------------------------------------------------------ zipmap

/** Decodes a zipmap (Redis 2.x small hashes) into field, value, field, ... */
export function readZipmap(blob: Uint8Array, base = 0): Bytes[] {
  const r = new ByteReader(blob, 0, base);
  r.u8(); // zmlen (saturates at 254)
  const out: Bytes[] = [];
  const len = (): number => {
    const b = r.u8();
    if (b < 254) return b;
    if (b === 254) return r.u32le();
    return -1;
  };
  for (;;) {
    const klen = len();
    if (klen === -1) break;
    out.push(r.str(klen));
    const vlen = len();
    if (vlen === -1) r.fail("Zipmap value missing");
    const free = r.u8();
    out.push(r.str(vlen));
    r.need(free);
    r.pos += free;
  }
  return out;
}
