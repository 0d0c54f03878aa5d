/**
 * Hash slots: CRC16 (XMODEM, as Redis's crc16.c) of the key, or of its
 * `{hash tag}`, modulo 16384 (keyHashSlot).
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    t[i] = crc;
  }
  return t;
})();

/**
 * CRC16-CCITT (XMODEM) of a byte string, over `[from, to)`, going on from
 * `start` (the CRC of what came before).
 *
 * @example
 * ```ts
 * import { crc16 } from "./_slots.ts";
 * console.log(crc16("123456789").toString(16)); // "31c3"
 * ```
 */
export function crc16(s: Bytes, from = 0, to = s.length, start = 0): number {
  let crc = start;
  for (let i = from; i < to; i++) {
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff]!;
  }
  return crc;
}

/**
 * The slot of a key: only the part between the first `{` and the next `}`
 * is hashed when that part is not empty (a hash tag), else the whole key.
 *
 * @example
 * ```ts
 * import { keyHashSlot } from "./_slots.ts";
 * console.log(keyHashSlot("foo")); // 12182
 * console.log(keyHashSlot("{user1000}.following") === keyHashSlot("{user1000}.followers")); // true
 * console.log(keyHashSlot("foo{}{bar}") === keyHashSlot("foo{}{bar}x")); // false: `{}` is empty, the whole key is hashed
 * ```
 */
export function keyHashSlot(key: Bytes): number {
  // One pass hashes the whole key until a `{` appears (most keys have
  // none): no separate search first.
  const len = key.length;
  let crc = 0;
  for (let i = 0; i < len; i++) {
    const ch = key.charCodeAt(i);
    if (ch === 123) return tagSlot(key, i, crc);
    crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ ch) & 0xff]!;
  }
  return crc & 16383;
}

/** {@link keyHashSlot} from the first `{`, at `open`, with the CRC of what precedes it. */
function tagSlot(key: Bytes, open: number, crcBefore: number): number {
  const close = key.indexOf("}", open + 1);
  if (close < 0 || close === open + 1) return crc16(key, open, key.length, crcBefore) & 16383;
  return crc16(key, open + 1, close) & 16383;
}
