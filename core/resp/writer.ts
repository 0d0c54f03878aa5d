/**
 * The reply writer: encodes replies straight into a growable byte buffer,
 * in RESP2 or RESP3. One buffer per connection; the connection flushes it
 * once per read batch.
 *
 * @module
 */

import type { Bytes, ReplyWriter } from "../types.ts";
import { formatDouble } from "../number.ts";

const EMPTY = new Uint8Array(0);
/** 10^0 .. 10^15, for {@link decimalLength}. */
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** Digits of an integer from 0 to 2^53 - 1. */
function decimalLength(x: number): number {
  let d = 1;
  while (d < 16 && x >= POW10[d]!) d++;
  return d;
}

/**
 * Writes the `len` digits of `x` (0 to 2^53 - 1) at `p`. Above 2^31 the
 * low eight digits are split off first, so that the loops divide int32s
 * (by a constant: a multiply in optimized code).
 */
function writeDecimal(buf: Uint8Array, p: number, len: number, x: number): void {
  let i = p + len - 1;
  if (x > 0x7fffffff) {
    const hi = Math.floor(x / 1e8);
    let lo = x - hi * 1e8;
    for (let k = 0; k < 8; k++) {
      const q = (lo / 10) | 0;
      buf[i--] = 48 + lo - q * 10;
      lo = q;
    }
    x = hi;
  }
  if (x > 0x7fffffff) {
    // Above 10^8 * 2^31 (about 2^57): cannot be, for a safe integer.
    throw new RangeError("bulkUintPair: not a safe integer");
  }
  let v = x | 0;
  do {
    const q = (v / 10) | 0;
    buf[i--] = 48 + v - q * 10;
    v = q;
  } while (i >= p);
}

/**
 * A {@link ReplyWriter} over a byte buffer.
 *
 * @example
 * ```ts
 * import { BufferWriter } from "./writer.ts";
 * const w = new BufferWriter();
 * w.bulk("hi");
 * console.log(new TextDecoder().decode(w.take())); // "$2\r\nhi\r\n"
 * ```
 */
export class BufferWriter implements ReplyWriter {
  buf: Uint8Array;
  len = 0;
  resp: 2 | 3 = 2;
  /** Error replies written so far (the dispatcher counts failed calls). */
  errorCount = 0;
  /** Called for each error reply (INFO errorstats). */
  onError: ((msg: string) => void) | undefined;
  #spare: Uint8Array | undefined;
  /** The buffer handed over by detach(), until released. */
  #detached: Uint8Array | undefined;
  /** detach()'s last views of the two buffers (see there). */
  #viewA: Uint8Array = EMPTY;
  #viewOfA: Uint8Array | undefined;
  #viewB: Uint8Array = EMPTY;
  #viewOfB: Uint8Array | undefined;
  /** When false, replies are dropped (CLIENT REPLY OFF/SKIP). */
  enabled = true;

  constructor(size = 16 * 1024) {
    this.buf = new Uint8Array(size);
  }

  /** Returns the written bytes and resets the buffer (copy-free view). */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.len);
    this.len = 0;
    return out;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /**
   * Hands the written bytes over for an asynchronous write and continues in
   * a second buffer, so replies produced meanwhile (pub/sub messages) never
   * overwrite bytes still in flight. Give the buffer back with
   * {@link BufferWriter.release} once written.
   */
  detach(): Uint8Array {
    const buf = this.buf, len = this.len;
    // The two buffers take turns: each keeps its last view, reused while
    // the length repeats (a pipeline's replies often do), as a new view
    // costs about as much as writing a short reply.
    let out: Uint8Array;
    if (buf === this.#viewOfA && this.#viewA.length === len) out = this.#viewA;
    else if (buf === this.#viewOfB && this.#viewB.length === len) out = this.#viewB;
    else {
      out = buf.subarray(0, len);
      if (buf === this.#viewOfA) this.#viewA = out;
      else {
        this.#viewB = this.#viewA;
        this.#viewOfB = this.#viewOfA;
        this.#viewA = out;
        this.#viewOfA = buf;
      }
    }
    this.#detached = buf;
    this.buf = this.#spare ?? new Uint8Array(16 * 1024);
    this.#spare = undefined;
    this.len = 0;
    return out;
  }

  /**
   * Returns the buffer {@link BufferWriter.detach} handed over (`buf` is
   * its view) for reuse; large ones are dropped.
   */
  release(buf: Uint8Array): void {
    const whole = this.#detached;
    this.#detached = undefined;
    if (whole === undefined || whole.buffer !== buf.buffer) return;
    if (whole.length <= 1 << 20) {
      this.#spare = whole;
      return;
    }
    // Dropped: no view may keep it alive.
    if (this.#viewOfA === whole) {
      this.#viewA = EMPTY;
      this.#viewOfA = undefined;
    }
    if (this.#viewOfB === whole) {
      this.#viewB = EMPTY;
      this.#viewOfB = undefined;
    }
  }

  raw(bytes: Uint8Array): void {
    if (!this.enabled) return;
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  ok(): void {
    if (!this.enabled) return;
    if (this.len + 5 > this.buf.length) this.reserve(5);
    // Five stores cost less than TypedArray#set's call for five bytes.
    const buf = this.buf, p = this.len;
    buf[p] = 43; // +
    buf[p + 1] = 79; // O
    buf[p + 2] = 75; // K
    buf[p + 3] = 13;
    buf[p + 4] = 10;
    this.len = p + 5;
  }

  simple(s: string): void {
    if (!this.enabled) return;
    this.#line(43, s);
  }

  error(msg: string): void {
    this.errorCount++;
    this.onError?.(msg);
    if (!this.enabled) return;
    // Errors are one line: Redis replaces newlines with spaces.
    this.#line(45, /[\r\n]/.test(msg) ? msg.replace(/[\r\n]/g, " ") : msg);
  }

  integer(n: number): void {
    if (!this.enabled) return;
    this.#header(58, n);
  }

  /** An integer given as a BigInt (64-bit results beyond 2^53). */
  bigInteger(n: bigint): void {
    if (!this.enabled) return;
    this.#line(58, n.toString());
  }

  bulk(s: Bytes): void {
    if (!this.enabled) return;
    const n = s.length;
    this.reserve(n + 24);
    this.#headerNoReserve(36, n);
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  nullBulk(): void {
    if (!this.enabled) return;
    if (this.resp === 3) this.#ascii("_\r\n");
    else this.#ascii("$-1\r\n");
  }

  nullArray(): void {
    if (!this.enabled) return;
    if (this.resp === 3) this.#ascii("_\r\n");
    else this.#ascii("*-1\r\n");
  }

  array(n: number): void {
    if (!this.enabled) return;
    this.#header(42, n);
  }

  map(n: number): void {
    if (!this.enabled) return;
    if (this.resp === 3) this.#header(37, n);
    else this.#header(42, n * 2);
  }

  set(n: number): void {
    if (!this.enabled) return;
    this.#header(this.resp === 3 ? 126 : 42, n);
  }

  push(n: number): void {
    if (!this.enabled) return;
    this.#header(this.resp === 3 ? 62 : 42, n);
  }

  double(d: number): void {
    if (!this.enabled) return;
    if (this.resp === 3) this.#line(44, formatDouble(d));
    else this.bulk(formatDouble(d));
  }

  bool(b: boolean): void {
    if (!this.enabled) return;
    if (this.resp === 3) this.#ascii(b ? "#t\r\n" : "#f\r\n");
    else this.#ascii(b ? ":1\r\n" : ":0\r\n");
  }

  bigNumber(digits: string): void {
    if (!this.enabled) return;
    if (this.resp === 3) this.#line(40, digits);
    else this.bulk(digits);
  }

  verbatim(s: Bytes, format = "txt"): void {
    if (!this.enabled) return;
    if (this.resp === 3) {
      const body = format + ":" + s;
      this.reserve(body.length + 24);
      this.#headerNoReserve(61, body.length);
      this.#write(body);
      this.#write("\r\n");
    } else {
      this.bulk(s);
    }
  }

  bulkArray(items: readonly Bytes[]): void {
    if (!this.enabled) return;
    this.#header(42, items.length);
    for (const s of items) this.bulk(s);
  }

  /**
   * `$<n>\r\n<a>-<b>\r\n` straight into the buffer: a stream reply's IDs
   * made as strings cost two number conversions, a concatenation and a
   * copy out of a cons string each.
   */
  bulkUintPair(a: number, b: number): void {
    if (!this.enabled) return;
    const la = decimalLength(a), lb = decimalLength(b);
    const n = la + 1 + lb;
    this.reserve(n + 24);
    this.#headerNoReserve(36, n);
    const buf = this.buf;
    let p = this.len;
    writeDecimal(buf, p, la, a);
    p += la;
    buf[p++] = 45;
    writeDecimal(buf, p, lb, b);
    p += lb;
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /** Writes a type byte, a string and CRLF. */
  #line(type: number, s: string): void {
    this.reserve(s.length + 3);
    this.buf[this.len++] = type;
    this.#write(s);
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  #ascii(s: string): void {
    this.reserve(s.length);
    this.#write(s);
  }

  #write(s: string): void {
    const buf = this.buf;
    let p = this.len;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.len = p;
  }

  #header(type: number, n: number): void {
    this.reserve(24);
    this.#headerNoReserve(type, n);
  }

  /** Writes `<type><n>\r\n` without building a string (room reserved). */
  #headerNoReserve(type: number, n: number): void {
    const buf = this.buf;
    let p = this.len;
    buf[p++] = type;
    if (n < 0) {
      buf[p++] = 45;
      n = -n;
    }
    if (n < 10) {
      buf[p++] = 48 + n;
    } else if (n < 100) {
      buf[p++] = 48 + ((n / 10) | 0);
      buf[p++] = 48 + (n % 10);
    } else if (n <= 0x7fffffff) {
      // Lengths and most counters: int32 arithmetic, no float division.
      let digits = 3;
      for (let t = 1000; t <= n && digits < 10; t *= 10) digits++;
      p += digits;
      let q = p;
      // `| 0`: an integral double (a count computed in floats) gets int32
      // division too, not a float modulo per digit.
      for (let t = n | 0; t !== 0; t = (t / 10) | 0) buf[--q] = 48 + (t % 10);
    } else if (!Number.isSafeInteger(n)) {
      const s = String(n);
      for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    } else {
      const digits = decimalLength(n);
      writeDecimal(buf, p, digits, n);
      p += digits;
    }
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }
}
