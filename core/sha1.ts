/**
 * SHA-1 of short byte strings, synchronous and allocation-free, for
 * `DEBUG DIGEST` (several hashes per key: `node:crypto`'s per-call setup
 * made a 150k-key digest take half a minute).
 *
 * @module
 */

import type { Bytes } from "./types.ts";

const W = new Int32Array(80);
const H = new Int32Array(5);

/** One 64-byte block, already in `W[0..15]`. */
function compress(): void {
  for (let t = 16; t < 80; t++) {
    const x = W[t - 3]! ^ W[t - 8]! ^ W[t - 14]! ^ W[t - 16]!;
    W[t] = (x << 1) | (x >>> 31);
  }
  let a = H[0]!, b = H[1]!, c = H[2]!, d = H[3]!, e = H[4]!;
  for (let t = 0; t < 80; t++) {
    let f: number, k: number;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const tmp = (((a << 5) | (a >>> 27)) + f + e + k + W[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
}

/**
 * Writes SHA-1(`src`) into `out[0..20)`. `src` is bytes or a byte string
 * (one char per byte); `out` may be `src` itself.
 *
 * @example
 * ```ts
 * import { sha1 } from "./sha1.ts";
 * const out = new Uint8Array(20);
 * sha1("abc", out); // a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d
 * ```
 */
export function sha1(src: Bytes | Uint8Array, out: Uint8Array): void {
  const str = typeof src === "string";
  const n = src.length;
  const total = (((n + 8) >> 6) + 1) << 6; // message, 0x80, 64-bit length: padded
  const bitsHi = Math.floor(n / 0x20000000), bitsLo = (n * 8) >>> 0;
  H[0] = 0x67452301;
  H[1] = 0xefcdab89 | 0;
  H[2] = 0x98badcfe | 0;
  H[3] = 0x10325476;
  H[4] = 0xc3d2e1f0 | 0;
  for (let off = 0; off < total; off += 64) {
    for (let i = 0; i < 16; i++) {
      const p0 = off + i * 4;
      let w = 0;
      if (p0 + 4 <= n) {
        w = str
          ? ((src as string).charCodeAt(p0) << 24) | ((src as string).charCodeAt(p0 + 1) << 16) |
            ((src as string).charCodeAt(p0 + 2) << 8) | (src as string).charCodeAt(p0 + 3)
          : ((src as Uint8Array)[p0]! << 24) | ((src as Uint8Array)[p0 + 1]! << 16) |
            ((src as Uint8Array)[p0 + 2]! << 8) | (src as Uint8Array)[p0 + 3]!;
      } else if (p0 === total - 8) {
        w = bitsHi;
      } else if (p0 === total - 4) {
        w = bitsLo;
      } else {
        for (let j = 0; j < 4; j++) {
          const p = p0 + j;
          const b = p < n
            ? (str ? (src as string).charCodeAt(p) : (src as Uint8Array)[p]!)
            : p === n
            ? 0x80
            : 0;
          w = (w << 8) | b;
        }
      }
      W[i] = w;
    }
    compress();
  }
  for (let i = 0; i < 5; i++) {
    const h = H[i]!;
    out[i * 4] = h >>> 24;
    out[i * 4 + 1] = (h >>> 16) & 255;
    out[i * 4 + 2] = (h >>> 8) & 255;
    out[i * 4 + 3] = h & 255;
  }
}

const HEX = "0123456789abcdef";

/** Bytes as lower-case hex digits. */
export function toHex(b: Uint8Array): string {
  let hex = "";
  for (let i = 0; i < b.length; i++) hex += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return hex;
}

/** SHA-1 as 40 lower-case hex digits (script ids, `redis.sha1hex`). */
export function sha1hex(src: Bytes | Uint8Array): string {
  const out = new Uint8Array(20);
  sha1(src, out);
  return toHex(out);
}
