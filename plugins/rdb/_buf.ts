/**
 * Byte-level helpers of the RDB codec: a growable output buffer and a
 * bounds-checked input cursor whose errors name the offset.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { bytesToString } from "../../core/resp/bytes.ts";

/** A corrupt or truncated RDB input; `offset` is where reading failed. */
export class RdbError extends Error {
  constructor(msg: string, readonly offset: number) {
    super(`${msg} at offset ${offset}`);
    this.name = "RdbError";
  }
}

/**
 * A growable byte buffer.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./_buf.ts";
 * const w = new ByteWriter();
 * w.u8(1);
 * w.str("ab");
 * console.log(w.result()); // Uint8Array(3) [ 1, 97, 98 ]
 * ```
 */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  #dv: DataView;

  constructor(initial = 4096) {
    this.buf = new Uint8Array(initial);
    this.#dv = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
    this.#dv = new DataView(b.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16le(v: number): void {
    this.ensure(2);
    this.#dv.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32le(v: number): void {
    this.ensure(4);
    this.#dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  u32be(v: number): void {
    this.ensure(4);
    this.#dv.setUint32(this.pos, v, false);
    this.pos += 4;
  }

  /** A 64-bit integer (a safe integer or a bigint), little endian. */
  i64le(v: number | bigint): void {
    this.ensure(8);
    this.#dv.setBigInt64(this.pos, BigInt(v), true);
    this.pos += 8;
  }

  /** A 64-bit unsigned integer, big endian (stream ids). */
  u64be(v: number | bigint): void {
    this.ensure(8);
    this.#dv.setBigUint64(this.pos, BigInt(v), false);
    this.pos += 8;
  }

  f64le(v: number): void {
    this.ensure(8);
    this.#dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** The bytes of a byte string. */
  str(s: Bytes): void {
    const n = s.length;
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** The bytes written so far (a view, not a copy). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * Drops everything written; a buffer grown beyond `maxKeep` bytes (by
   * one huge value) is let go for one of that size.
   */
  reset(maxKeep = Infinity): void {
    this.pos = 0;
    if (this.buf.length > maxKeep) {
      this.buf = new Uint8Array(maxKeep);
      this.#dv = new DataView(this.buf.buffer);
    }
  }
}

/**
 * A cursor over input bytes; every read checks bounds and throws an
 * {@link RdbError} naming the offset.
 */
export class ByteReader {
  pos: number;
  readonly dv: DataView;

  constructor(readonly buf: Uint8Array, pos = 0, readonly base = 0) {
    this.pos = pos;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Throws an error at the current offset (plus `base`, for nested blobs). */
  fail(msg: string, at: number = this.pos): never {
    throw new RdbError(msg, this.base + at);
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) this.fail("Unexpected EOF reading RDB file");
  }

  get left(): number {
    return this.buf.length - this.pos;
  }

  u8(): number {
    if (this.pos >= this.buf.length) this.fail("Unexpected EOF reading RDB file");
    return this.buf[this.pos++]!;
  }

  u16le(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32le(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32le(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u32be(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, false);
    this.pos += 4;
    return v;
  }

  /** A signed 64-bit little-endian integer, as a number when safe, else a bigint. */
  i64le(): number | bigint {
    this.need(8);
    const v = this.dv.getBigInt64(this.pos, true);
    this.pos += 8;
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  }

  /** An unsigned 64-bit big-endian integer as a bigint. */
  u64be(): bigint {
    this.need(8);
    const v = this.dv.getBigUint64(this.pos, false);
    this.pos += 8;
    return v;
  }

  f64le(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` bytes as a view. */
  view(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** `n` bytes as a byte string. */
  str(n: number): Bytes {
    this.need(n);
    const s = bytesToString(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}
