/**
 * The HyperLogLog codec, byte for byte as Redis 7.0's `hyperloglog.c`: the
 * 16-byte `HYLL` header with its cached cardinality, the sparse (ZERO /
 * XZERO / VAL opcodes) and dense (16384 six-bit registers) encodings,
 * MurmurHash64A with Redis's seed, the in-place sparse updates (including
 * their opcode splitting and merging, so the bytes match), promotion to
 * dense, and the cardinality estimator of Ertl (`hllTau` / `hllSigma`).
 *
 * A value is worked on as a {@link Hll}: a byte buffer with a length, like
 * Redis's sds, whose byte at `len` is always 0 (Redis reads the sds
 * terminator when an opcode or register straddles the end, and so must we).
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { bytesToString } from "../../core/resp/bytes.ts";
import { assemble, I32, I64, OP, sleb, sleb64 } from "../../core/wasm.ts";

/** Registers: 2^14. */
export const HLL_REGISTERS = 16384;
/** Bits of the hash that choose the register. */
const HLL_P = 14;
/** Bits of the hash left for the run of zeroes. */
const HLL_Q = 64 - HLL_P;
/** Header: magic, encoding, 3 unused bytes, 8-byte cached cardinality. */
export const HLL_HDR_SIZE = 16;
/** Length of a dense value. */
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * 6 + 7) >> 3);
/** Encoding byte of a dense value. */
export const HLL_DENSE = 0;
/** Encoding byte of a sparse value. */
export const HLL_SPARSE = 1;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
/** 0.5 / ln(2). */
const HLL_ALPHA_INF = 0.721347520444481703680;
/** Redis's seed for MurmurHash64A. */
const SEED = 0xadc83b19;

// ---------------------------------------------------------------------------
// MurmurHash64A on (hi, lo) pairs of 32-bit halves, kept as int32 (V8
// holds them untagged; unsigned values past 2^31 would be doubles): no
// BigInt on the hot path.

const M_HI = 0xc6a4a793, M_LO = 0x5bd1e995;
let hHi = 0, hLo = 0;

/** (hHi, hLo) = (aHi, aLo) * (bHi, bLo) mod 2^64. */
function mul64(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const a0 = aLo & 0xffff, a1 = aLo >>> 16, b0 = bLo & 0xffff, b1 = bLo >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  hLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) | 0;
  hHi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(aHi, bLo) +
    Math.imul(aLo, bHi)) | 0;
}

/** Hashes `key` into (hHi, hLo), as Redis's endian-neutral MurmurHash64A. */
function murmur(key: Bytes, seed: number): void {
  const len = key.length;
  // h = seed ^ (len * m)
  mul64(0, len | 0, M_HI, M_LO);
  let hi = hHi, lo = (hLo ^ seed) | 0;
  const end = len - (len & 7);
  let i = 0;
  for (; i < end; i += 8) {
    let kLo = (key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) |
      (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24)) | 0;
    let kHi = (key.charCodeAt(i + 4) | (key.charCodeAt(i + 5) << 8) |
      (key.charCodeAt(i + 6) << 16) | (key.charCodeAt(i + 7) << 24)) | 0;
    mul64(kHi, kLo, M_HI, M_LO);
    kHi = hHi;
    kLo = (hLo ^ (hHi >>> 15)) | 0; // k ^= k >> 47
    mul64(kHi, kLo, M_HI, M_LO);
    hi = (hi ^ hHi) | 0;
    lo = (lo ^ hLo) | 0;
    mul64(hi, lo, M_HI, M_LO);
    hi = hHi;
    lo = hLo;
  }
  const rest = len & 7;
  if (rest !== 0) {
    for (let j = rest - 1; j >= 0; j--) {
      const b = key.charCodeAt(i + j);
      if (j >= 4) hi = (hi ^ (b << ((j - 4) * 8))) | 0;
      else lo = (lo ^ (b << (j * 8))) | 0;
    }
    mul64(hi, lo, M_HI, M_LO);
    hi = hHi;
    lo = hLo;
  }
  lo = (lo ^ (hi >>> 15)) | 0;
  mul64(hi, lo, M_HI, M_LO);
  hLo = (hLo ^ (hHi >>> 15)) | 0;
}

/**
 * MurmurHash64A of a byte string as Redis computes it (unsigned 64-bit).
 *
 * @example
 * ```ts
 * import { murmurHash64A } from "./_codec.ts";
 * console.log(typeof murmurHash64A("a")); // "bigint"
 * ```
 */
export function murmurHash64A(key: Bytes, seed: number = SEED): bigint {
  murmur(key, seed >>> 0);
  return (BigInt(hHi >>> 0) << 32n) | BigInt(hLo >>> 0);
}

/** Register index of the last {@link patLen} call. */
let patIndex = 0;

/** Redis's hllPatLen: the register (in `patIndex`) and the 000..1 run length. */
function patLen(ele: Bytes): number {
  const n = ele.length;
  let f = wasmPatLen;
  if (f === undefined) f = loadWasm();
  if (f !== null && n <= WASM_MAX) {
    // Native 64-bit multiplies: half the time of the int32 halves, copy
    // included.
    const mem = wasmMem;
    for (let i = 0; i < n; i++) mem[i] = ele.charCodeAt(i);
    const r = f(n);
    patIndex = r & (HLL_REGISTERS - 1);
    return r >>> 16;
  }
  return patLenJs(ele);
}

/** {@link patLen} in JavaScript (no WebAssembly, or a longer element). */
function patLenJs(ele: Bytes): number {
  murmur(ele, SEED);
  patIndex = hLo & (HLL_REGISTERS - 1);
  const low = hLo >>> HLL_P; // hash bits 14..31
  if (low !== 0) return 32 - Math.clz32(low & -low);
  if (hHi !== 0) return 32 - HLL_P + 32 - Math.clz32(hHi & -hHi);
  return HLL_Q + 1;
}

/**
 * hllPatLen of an element as `index | count << 16`, by WebAssembly where
 * available (`js: true`: by JavaScript); both must agree (tests).
 *
 * @example
 * ```ts
 * import { patLenOf } from "./_codec.ts";
 * console.log(patLenOf("a") === patLenOf("a", true)); // true
 * ```
 */
export function patLenOf(ele: Bytes, js = false): number {
  const count = js ? patLenJs(ele) : patLen(ele);
  return patIndex | count << 16;
}

/** Elements up to this many bytes are hashed by WebAssembly (one page). */
const WASM_MAX = 65536;

/**
 * hllPatLen of the `n` bytes at 0 in its memory: MurmurHash64A with
 * Redis's seed, then `index | count << 16` (the register's index in the
 * low 14 bits, the run of zeros after them plus one above).
 */
function wasmModule(): ReturnType<typeof assemble> {
  // Locals: n (param), i, end, j (i32), h, k (i64).
  const N = 0, I = 1, END = 2, J = 3, H = 4, K = 5;
  const { get, set, i32, i64 } = OP;
  const M = [i64, ...sleb64(0xc6a4a7935bd1e995n)];
  // deno-fmt-ignore
  const code = [
    // h = seed ^ (n * m); end = n - (n & 7)
    i64, ...sleb(SEED), get, N, OP.extendU, ...M, OP.mul64, OP.xor64, set, H,
    get, N, get, N, i32, 7, OP.and32, OP.sub, set, END,
    // for (; i < end; i += 8) { k = load64(i) * m; k ^= k >> 47; k *= m; h = (h ^ k) * m }
    OP.block, OP.void, OP.loop, OP.void,
    get, I, get, END, OP.geU, OP.brIf, 1,
    get, I, OP.load64, 3, 0, ...M, OP.mul64, set, K,
    get, K, get, K, i64, 47, OP.shrU64, OP.xor64, ...M, OP.mul64, set, K,
    get, H, get, K, OP.xor64, ...M, OP.mul64, set, H,
    get, I, i32, 8, OP.add, set, I, OP.br, 0, OP.end, OP.end,
    // the last n & 7 bytes: h ^= byte[j] << 8 * (j - i), from the top; h *= m
    get, I, get, N, OP.i32ne, OP.if, OP.void,
    get, N, set, J,
    OP.loop, OP.void,
    get, J, i32, 1, OP.sub, set, J,
    get, H, get, J, OP.load8, 0, 0, get, J, get, I, OP.sub, i32, 3, OP.shl, OP.extendU,
    OP.shl64, OP.xor64, set, H,
    get, J, get, I, OP.i32ne, OP.brIf, 0, OP.end,
    get, H, ...M, OP.mul64, set, H, OP.end,
    // h ^= h >> 47; h *= m; h ^= h >> 47
    get, H, get, H, i64, 47, OP.shrU64, OP.xor64, ...M, OP.mul64, set, H,
    get, H, get, H, i64, 47, OP.shrU64, OP.xor64, set, H,
    // (h & 16383) | (ctz((h >> 14) | 1 << 50) + 1) << 16
    get, H, i64, ...sleb(HLL_REGISTERS - 1), OP.and64, OP.wrap,
    get, H, i64, HLL_P, OP.shrU64, i64, ...sleb(2 ** HLL_Q), OP.or64, OP.ctz64, OP.wrap,
    i32, 1, OP.add, i32, 16, OP.shl, OP.or32,
  ];
  return assemble(1, [{
    name: "patLen",
    params: [I32],
    results: [I32],
    locals: [[3, I32], [2, I64]],
    code,
  }]);
}

/**
 * The WebAssembly patLen and its memory, made at the first element hashed
 * (null: unavailable): compiling a module at start-up kept V8's WebAssembly
 * compiler in an idle server's RSS.
 */
let wasmPatLen: ((n: number) => number) | null | undefined;
let wasmMem: Uint8Array = new Uint8Array(0);

function loadWasm(): ((n: number) => number) | null {
  const m = wasmModule();
  if (m !== undefined) wasmMem = m.mem;
  return wasmPatLen = (m?.exports.patLen as ((n: number) => number) | undefined) ?? null;
}

// ---------------------------------------------------------------------------
// Dense registers (at `off` in `p`), six bits each, LSB first.

function denseGet(p: Uint8Array, off: number, reg: number): number {
  const byte = off + ((reg * 6) >> 3), fb = (reg * 6) & 7;
  return ((p[byte]! >> fb) | (p[byte + 1]! << (8 - fb))) & 63;
}

function denseSetReg(p: Uint8Array, off: number, reg: number, val: number): void {
  const byte = off + ((reg * 6) >> 3), fb = (reg * 6) & 7, fb8 = 8 - fb;
  p[byte] = (p[byte]! & ~(63 << fb)) | (val << fb);
  p[byte + 1] = (p[byte + 1]! & ~(63 >> fb8)) | (val >> fb8);
}

/** The number of registers {@link denseAdd} raised. */
export let denseAdded = 0;

/**
 * PFADD of `eles[from..]` on `v`, a dense value, by editing the string
 * (no decoding of its 12 KB): the new value with its cache marked stale,
 * or `v` itself when no register rose. {@link denseAdded} counts the raises.
 */
export function denseAdd(v: Bytes, eles: readonly Bytes[], from: number): Bytes {
  let out = v;
  denseAdded = 0;
  for (let j = from; j < eles.length; j++) {
    const count = patLen(eles[j]!);
    const byte = HLL_HDR_SIZE + ((patIndex * 6) >> 3), fb = (patIndex * 6) & 7, fb8 = 8 - fb;
    // The last register has no byte after it (Redis's buffer ends there).
    const last = byte + 1 >= out.length;
    const b0 = out.charCodeAt(byte), b1 = last ? 0 : out.charCodeAt(byte + 1);
    if (count <= (((b0 >> fb) | (b1 << fb8)) & 63)) continue;
    const n0 = ((b0 & ~(63 << fb)) | (count << fb)) & 255;
    out = last ? out.slice(0, byte) + String.fromCharCode(n0) : out.slice(0, byte) +
      String.fromCharCode(n0, ((b1 & ~(63 >> fb8)) | (count >> fb8)) & 255) +
      out.slice(byte + 2);
    denseAdded++;
  }
  if (denseAdded === 0) return v;
  return out.slice(0, 15) + String.fromCharCode(out.charCodeAt(15) | 0x80) + out.slice(16);
}

/** The cached cardinality of a value, or undefined when it is stale. */
export function cachedCard(v: Bytes): number | bigint | undefined {
  const top = v.charCodeAt(15);
  if ((top & 0x80) !== 0) return undefined;
  if (top === 0 && v.charCodeAt(14) < 0x20) {
    // Below 2^53 (any real count): a number, no BigInt per byte.
    let k = 0;
    for (let i = 14; i >= 8; i--) k = k * 256 + v.charCodeAt(i);
    return k;
  }
  let n = 0n;
  for (let i = 15; i >= 8; i--) n = (n << 8n) | BigInt(v.charCodeAt(i));
  return n;
}

/**
 * PFCOUNT's one-key fast path: the cached cardinality of `v` when it is a
 * valid HyperLogLog (as {@link isHll}) whose cache is fresh and below 2^53
 * (any real count), read from the header in one pass; -1 otherwise (the
 * caller takes the general path, errors included).
 */
export function freshCount(v: Bytes): number {
  const len = v.length;
  if (
    len < HLL_HDR_SIZE || v.charCodeAt(0) !== 72 || v.charCodeAt(1) !== 89 ||
    v.charCodeAt(2) !== 76 || v.charCodeAt(3) !== 76 || v.charCodeAt(15) !== 0
  ) {
    return -1;
  }
  const enc = v.charCodeAt(4), b14 = v.charCodeAt(14);
  if (b14 >= 0x20 || (enc === HLL_DENSE ? len !== HLL_DENSE_SIZE : enc !== HLL_SPARSE)) return -1;
  const lo = v.charCodeAt(8) | v.charCodeAt(9) << 8 | v.charCodeAt(10) << 16 |
    v.charCodeAt(11) << 24;
  const hi = v.charCodeAt(12) | v.charCodeAt(13) << 8 | b14 << 16;
  // Below 2^31, an int32: a float here would send the reply's formatting
  // down its slower path.
  if (hi === 0 && lo >= 0) return lo;
  return hi * 4294967296 + (lo >>> 0);
}

/** Histogram of register values; 64 slots, as Redis (values up to 63). */
function denseHisto(p: Uint8Array, off: number, histo: Int32Array): void {
  // Four registers in every three bytes, as Redis's unrolled loop.
  const end = off + (HLL_REGISTERS * 6) / 8;
  for (let i = off; i < end; i += 3) {
    const b0 = p[i]!, b1 = p[i + 1]!, b2 = p[i + 2]!;
    histo[b0 & 63]!++;
    histo[((b0 >> 6) | (b1 << 2)) & 63]!++;
    histo[((b1 >> 4) | (b2 << 4)) & 63]!++;
    histo[b2 >> 2]!++;
  }
}

// ---------------------------------------------------------------------------
// The estimator.

/** Ertl's sigma. */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** Ertl's tau. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** 2^63: what `(uint64_t)llroundl(x)` gives on x86-64 for inf and overflow. */
const LLROUND_OVERFLOW = 9223372036854775808n;

/**
 * Redis's hllCount from a register histogram: the cardinality as an
 * unsigned 64-bit integer.
 */
export function estimate(histo: Int32Array): bigint {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  const e = HLL_ALPHA_INF * m * m / z;
  if (!(e < 9223372036854775807)) return LLROUND_OVERFLOW;
  // llroundl: halves away from zero (e is never negative).
  return BigInt(Math.round(e));
}

/** Histogram of one-register-per-byte registers (PFCOUNT of many keys). */
export function rawHisto(regs: Uint8Array): Int32Array {
  const histo = new Int32Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[regs[i]!]!++;
  return histo;
}

// ---------------------------------------------------------------------------

/**
 * True when `v` passes Redis's isHLLObjectOrReply: long enough for the
 * header, `HYLL` magic, a known encoding, and a dense value of exactly the
 * dense size. (Integer-encoded strings are shorter than a header.)
 */
export function isHll(v: Bytes): boolean {
  if (v.length < HLL_HDR_SIZE) return false;
  if (v.charCodeAt(0) !== 72 || v.charCodeAt(1) !== 89) return false; // "HY"
  if (v.charCodeAt(2) !== 76 || v.charCodeAt(3) !== 76) return false; // "LL"
  const enc = v.charCodeAt(4);
  if (enc > HLL_SPARSE) return false;
  return enc !== HLL_DENSE || v.length === HLL_DENSE_SIZE;
}

/** What {@link Hll.set} and {@link Hll.add} report. */
export type SetResult = 1 | 0 | -1;

/**
 * A HyperLogLog value being worked on: `buf[0..len)` holds the bytes Redis
 * would hold, `buf[len]` is 0 (the sds terminator).
 *
 * @example
 * ```ts
 * import { Hll } from "./_codec.ts";
 * const h = Hll.create();
 * h.add("a", 3000);
 * console.log(h.count()); // 1n
 * ```
 */
export class Hll {
  buf: Uint8Array;
  len: number;

  constructor(buf: Uint8Array, len: number) {
    this.buf = buf;
    this.len = len;
  }

  /** A new, empty sparse HLL (Redis's createHLLObject): `XZERO:16384`. */
  static create(): Hll {
    const buf = new Uint8Array(64);
    buf.set([72, 89, 76, 76, HLL_SPARSE]);
    const l = SPARSE_XZERO_MAX_LEN - 1;
    buf[HLL_HDR_SIZE] = (l >> 8) | 0x40;
    buf[HLL_HDR_SIZE + 1] = l & 0xff;
    return new Hll(buf, HLL_HDR_SIZE + 2);
  }

  /** Loads a value already checked with {@link isHll}. */
  static from(v: Bytes): Hll {
    const len = v.length;
    const buf = new Uint8Array(len + 8);
    for (let i = 0; i < len; i++) buf[i] = v.charCodeAt(i);
    return new Hll(buf, len);
  }

  /** The value's bytes as a byte string. */
  toBytes(): Bytes {
    return bytesToString(this.buf, 0, this.len);
  }

  /** The encoding byte ({@link HLL_DENSE} or {@link HLL_SPARSE}). */
  get encoding(): number {
    return this.buf[4]!;
  }

  /** Marks the cached cardinality stale (MSB of its last byte). */
  invalidateCache(): void {
    this.buf[15]! |= 0x80;
  }

  /** True when the cached cardinality may be used. */
  get cacheValid(): boolean {
    return (this.buf[15]! & 0x80) === 0;
  }

  /** The cached cardinality (little endian, unsigned 64-bit). */
  get cached(): bigint {
    let n = 0n;
    for (let i = 15; i >= 8; i--) n = (n << 8n) | BigInt(this.buf[i]!);
    return n;
  }

  set cached(card: bigint) {
    for (let i = 8; i < 16; i++) {
      this.buf[i] = Number(card & 0xffn);
      card >>= 8n;
    }
  }

  /** Sets the length (sdsIncrLen), keeping room and the 0 terminator. */
  #setLen(n: number): void {
    this.len = n;
    this.buf[n] = 0;
  }

  /** Makes room for `n` more bytes plus the terminator (sdsMakeRoomFor). */
  #room(n: number): void {
    if (this.len + n + 1 <= this.buf.length) return;
    const nb = new Uint8Array(Math.max(this.buf.length * 2, this.len + n + 8));
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }

  /** Adds an element: 1 when a register grew, 0 if not, -1 when corrupt. */
  add(ele: Bytes, sparseMaxBytes: number): SetResult {
    const count = patLen(ele);
    const enc = this.buf[4];
    if (enc === HLL_DENSE) return this.#denseSet(patIndex, count);
    if (enc === HLL_SPARSE) return this.set(patIndex, count, sparseMaxBytes);
    return -1;
  }

  #denseSet(index: number, count: number): SetResult {
    if (count > denseGet(this.buf, HLL_HDR_SIZE, index)) {
      denseSetReg(this.buf, HLL_HDR_SIZE, index, count);
      return 1;
    }
    return 0;
  }

  /**
   * Sets register `index` to `count` if larger: hllDenseSet, or
   * hllSparseSet with its splitting, merging and promotion rules.
   */
  set(index: number, count: number, sparseMaxBytes: number): SetResult {
    if (this.buf[4] === HLL_DENSE) return this.#denseSet(index, count);
    if (count > SPARSE_VAL_MAX_VALUE) return this.#promote(index, count);
    this.#room(3);
    const b = this.buf;
    const sparse = HLL_HDR_SIZE;
    let end = this.len;
    let p = sparse, first = 0, prev = -1, span = 0;
    while (p < end) {
      const op = b[p]!;
      let oplen = 1;
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
      else if (op & 0x80) span = (op & 3) + 1;
      else {
        span = (((op & 0x3f) << 8) | b[p + 1]!) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;

    const op = b[p]!;
    const isXzero = (op & 0xc0) === 0x40;
    const isZero = (op & 0xc0) === 0;
    let next: number = isXzero ? p + 2 : p + 1;
    if (next >= end) next = -1;
    let runlen: number;
    if (isZero) runlen = (op & 0x3f) + 1;
    else if (isXzero) runlen = (((op & 0x3f) << 8) | b[p + 1]!) + 1;
    else runlen = (op & 3) + 1;

    let updated = false;
    if (!isZero && !isXzero) {
      const oldcount = ((op >> 2) & 0x1f) + 1;
      if (oldcount >= count) return 0;
      if (runlen === 1) {
        b[p] = valOp(count, 1);
        updated = true;
      }
    }
    if (!updated && isZero && runlen === 1) {
      b[p] = valOp(count, 1);
      updated = true;
    }
    if (!updated) {
      // General case: split the opcode into up to three.
      const seq: number[] = [];
      const last = first + span - 1;
      if (isZero || isXzero) {
        if (index !== first) pushZeros(seq, index - first);
        seq.push(valOp(count, 1));
        if (index !== last) pushZeros(seq, last - index);
      } else {
        const curval = ((op >> 2) & 0x1f) + 1;
        if (index !== first) seq.push(valOp(curval, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(curval, last - index));
      }
      const seqlen = seq.length;
      const oldlen = isXzero ? 2 : 1;
      const deltalen = seqlen - oldlen;
      if (deltalen > 0 && this.len + deltalen > sparseMaxBytes) {
        return this.#promote(index, count);
      }
      if (deltalen !== 0 && next !== -1) b.copyWithin(next + deltalen, next, end);
      this.#setLen(this.len + deltalen);
      for (let i = 0; i < seqlen; i++) b[p + i] = seq[i]!;
      end += deltalen;
    }

    // Merge adjacent VAL opcodes of the same value, scanning up to 5
    // opcodes from the previous one.
    p = prev !== -1 ? prev : sparse;
    let scanlen = 5;
    while (p < end && scanlen--) {
      const o = b[p]!;
      if ((o & 0xc0) === 0x40) {
        p += 2;
        continue;
      } else if ((o & 0xc0) === 0) {
        p++;
        continue;
      }
      if (p + 1 < end && (b[p + 1]! & 0x80)) {
        const o2 = b[p + 1]!;
        const v1 = ((o >> 2) & 0x1f) + 1, v2 = ((o2 >> 2) & 0x1f) + 1;
        if (v1 === v2) {
          const len = (o & 3) + 1 + (o2 & 3) + 1;
          if (len <= SPARSE_VAL_MAX_LEN) {
            b[p + 1] = valOp(v1, len);
            b.copyWithin(p, p + 1, end + 1);
            this.#setLen(this.len - 1);
            end--;
            continue;
          }
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  #promote(index: number, count: number): SetResult {
    if (!this.toDense()) return -1;
    // Always 1: promotion happens only when the register grows.
    return this.#denseSet(index, count);
  }

  /**
   * Converts a sparse value to dense (hllSparseToDense), header copied;
   * false (value untouched) when the sparse opcodes are corrupt.
   */
  toDense(): boolean {
    if (this.buf[4] === HLL_DENSE) return true;
    const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
    dense.set(this.buf.subarray(0, HLL_HDR_SIZE));
    dense[4] = HLL_DENSE;
    const b = this.buf, end = this.len;
    let idx = 0, p = HLL_HDR_SIZE;
    while (p < end) {
      const op = b[p]!;
      if ((op & 0xc0) === 0) {
        idx += (op & 0x3f) + 1;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        idx += (((op & 0x3f) << 8) | b[p + 1]!) + 1;
        p += 2;
      } else {
        let runlen = (op & 3) + 1;
        const regval = ((op >> 2) & 0x1f) + 1;
        if (runlen + idx > HLL_REGISTERS) break;
        while (runlen--) denseSetReg(dense, HLL_HDR_SIZE, idx++, regval);
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return false;
    this.buf = dense;
    this.len = HLL_DENSE_SIZE;
    return true;
  }

  /** The register histogram; undefined when a sparse value is corrupt. */
  histogram(): Int32Array | undefined {
    const histo = new Int32Array(64);
    if (this.buf[4] === HLL_DENSE) {
      denseHisto(this.buf, HLL_HDR_SIZE, histo);
      return histo;
    }
    const b = this.buf, end = this.len;
    let idx = 0, p = HLL_HDR_SIZE;
    while (p < end) {
      const op = b[p]!;
      if ((op & 0xc0) === 0) {
        const runlen = (op & 0x3f) + 1;
        idx += runlen;
        histo[0]! += runlen;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        const runlen = (((op & 0x3f) << 8) | b[p + 1]!) + 1;
        idx += runlen;
        histo[0]! += runlen;
        p += 2;
      } else {
        const runlen = (op & 3) + 1;
        idx += runlen;
        histo[((op >> 2) & 0x1f) + 1]! += runlen;
        p++;
      }
    }
    return idx === HLL_REGISTERS ? histo : undefined;
  }

  /** hllCount; undefined when the value is corrupt. */
  count(): bigint | undefined {
    const h = this.histogram();
    return h === undefined ? undefined : estimate(h);
  }

  /**
   * Merges the registers into `max` (one byte per register) by maximum
   * (hllMerge); false when a sparse value is corrupt.
   */
  mergeInto(max: Uint8Array): boolean {
    const b = this.buf;
    if (b[4] === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const v = denseGet(b, HLL_HDR_SIZE, i);
        if (v > max[i]!) max[i] = v;
      }
      return true;
    }
    const end = this.len;
    let i = 0, p = HLL_HDR_SIZE;
    while (p < end) {
      const op = b[p]!;
      if ((op & 0xc0) === 0) {
        i += (op & 0x3f) + 1;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        i += (((op & 0x3f) << 8) | b[p + 1]!) + 1;
        p += 2;
      } else {
        let runlen = (op & 3) + 1;
        const regval = ((op >> 2) & 0x1f) + 1;
        if (runlen + i > HLL_REGISTERS) break;
        while (runlen--) {
          if (regval > max[i]!) max[i] = regval;
          i++;
        }
        p++;
      }
    }
    return i === HLL_REGISTERS;
  }

  /** Every register of a dense value (PFDEBUG GETREG). */
  registers(): number[] {
    const out: number[] = new Array(HLL_REGISTERS);
    for (let i = 0; i < HLL_REGISTERS; i++) out[i] = denseGet(this.buf, HLL_HDR_SIZE, i);
    return out;
  }

  /** The sparse opcodes as PFDEBUG DECODE prints them. */
  decode(): string {
    const b = this.buf, end = this.len;
    const parts: string[] = [];
    let p = HLL_HDR_SIZE;
    while (p < end) {
      const op = b[p]!;
      if ((op & 0xc0) === 0) {
        parts.push(`z:${(op & 0x3f) + 1}`);
        p++;
      } else if ((op & 0xc0) === 0x40) {
        parts.push(`Z:${(((op & 0x3f) << 8) | b[p + 1]!) + 1}`);
        p += 2;
      } else {
        parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 3) + 1}`);
        p++;
      }
    }
    return parts.join(" ");
  }
}

/** A VAL opcode: 1vvvvvxx. */
function valOp(val: number, len: number): number {
  return (((val - 1) << 2) | (len - 1)) | 0x80;
}

/** A ZERO (1 byte) or XZERO (2 bytes) opcode for `len` zero registers. */
function pushZeros(seq: number[], len: number): void {
  if (len > SPARSE_ZERO_MAX_LEN) {
    const l = len - 1;
    seq.push((l >> 8) | 0x40, l & 0xff);
  } else {
    seq.push(len - 1);
  }
}

/**
 * Redis's PFSELFTEST, reduced: register access over random values, then
 * dense and sparse HLLs fed the same elements must agree, and the error
 * must stay within 6 standard errors, at 1, 10, ... `maxCard`. Returns an
 * error reply text, or undefined when every check passed.
 */
export function selfTest(sparseMaxBytes: number, maxCard = 100000): string | undefined {
  const regs = new Uint8Array(HLL_DENSE_SIZE + 1);
  const bytes = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < 10; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = Math.floor(Math.random() * 64);
      bytes[i] = r;
      denseSetReg(regs, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(regs, HLL_HDR_SIZE, i);
      if (v !== bytes[i]) {
        return `TESTFAILED Register ${i} should be ${bytes[i]} but is ${v}`;
      }
    }
  }
  const dense = Hll.create();
  dense.toDense();
  const sparse = Hll.create();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seed = Math.floor(Math.random() * 0x100000000);
  let checkpoint = 1;
  const ele = new Uint8Array(8);
  for (let j = 1; j <= maxCard; j++) {
    const x = (j ^ seed) >>> 0;
    ele[0] = x & 0xff;
    ele[1] = (x >>> 8) & 0xff;
    ele[2] = (x >>> 16) & 0xff;
    ele[3] = x >>> 24;
    const s = bytesToString(ele, 0, 8);
    dense.add(s, sparseMaxBytes);
    sparse.add(s, sparseMaxBytes);
    if (j !== checkpoint) continue;
    if (j < sparseMaxBytes / 2 && sparse.encoding !== HLL_SPARSE) {
      return "TESTFAILED sparse encoding not used";
    }
    const card = dense.count()!;
    if (card !== sparse.count()) return "TESTFAILED dense/sparse disagree";
    let maxerr = Math.ceil(relerr * 6 * checkpoint);
    if (j === 10) maxerr = 1;
    const abserr = Math.abs(checkpoint - Number(card));
    if (abserr > maxerr) {
      return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    }
    checkpoint *= 10;
  }
  return undefined;
}
