/**
 * Conversions between bytes and byte strings (one char code per byte).
 *
 * Never use `TextDecoder("latin1")` for this: the WHATWG "latin1" label is
 * windows-1252 and remaps bytes 0x80–0x9F.
 *
 * @module
 */

const CHUNK = 8192;
/** Up to this length, bytesToString passes the bytes as arguments (see there). */
const DIRECT_MAX = 32;
/** Up to this length, bytesToString copies into a reused array (see there). */
const COPY_MAX = 64;
const byLength: (number[] | undefined)[] = new Array(COPY_MAX + 1).fill(undefined);

/**
 * Decodes `buf[start, end)` into a byte string.
 *
 * @example
 * ```ts
 * import { bytesToString } from "./bytes.ts";
 * console.log(bytesToString(new Uint8Array([0x68, 0x80]), 0, 2).length); // 2
 * ```
 */
export function bytesToString(
  buf: Uint8Array,
  start: number,
  end: number,
): string {
  const len = end - start;
  if (len <= DIRECT_MAX) {
    // Short keys and values dominate: a direct call costs a third to a
    // quarter of apply() (over a subarray: a new view and a runtime call;
    // over a kept array: the copy into it).
    const b = buf, s = start;
    // deno-fmt-ignore
    switch (len) {
      case 0: return "";
      case 1: return String.fromCharCode(b[s]!);
      case 2: return String.fromCharCode(b[s]!, b[s + 1]!);
      case 3: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!);
      case 4: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
      case 5: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
      case 6: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
      case 7: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
      case 8: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
      case 9: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!);
      case 10: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!);
      case 11: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!);
      case 12: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!);
      case 13: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!);
      case 14: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!);
      case 15: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!);
      case 16: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!);
      case 17: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!);
      case 18: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!);
      case 19: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!);
      case 20: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!);
      case 21: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!);
      case 22: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!);
      case 23: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!);
      case 24: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!);
      case 25: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!,
        b[s + 24]!);
      case 26: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!,
        b[s + 24]!, b[s + 25]!);
      case 27: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!,
        b[s + 24]!, b[s + 25]!, b[s + 26]!);
      case 28: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!,
        b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!);
      case 29: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!,
        b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!);
      case 30: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!,
        b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!);
      case 31: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!,
        b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!);
      case 32: return String.fromCharCode(
        b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!,
        b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!,
        b[s + 16]!, b[s + 17]!, b[s + 18]!, b[s + 19]!, b[s + 20]!, b[s + 21]!, b[s + 22]!, b[s + 23]!,
        b[s + 24]!, b[s + 25]!, b[s + 26]!, b[s + 27]!, b[s + 28]!, b[s + 29]!, b[s + 30]!, b[s + 31]!);
    }
  }
  if (len <= COPY_MAX) {
    // apply() over a plain array of exactly `len` numbers kept for reuse:
    // a third cheaper than over a new subarray (no view, no runtime call).
    const codes = byLength[len] ??= new Array<number>(len).fill(0);
    for (let i = 0; i < len; i++) codes[i] = buf[start + i]!;
    return String.fromCharCode.apply(null, codes);
  }
  if (len <= CHUNK) {
    return String.fromCharCode.apply(
      null,
      buf.subarray(start, end) as unknown as number[],
    );
  }
  const parts: string[] = [];
  for (let i = start; i < end; i += CHUNK) {
    parts.push(
      String.fromCharCode.apply(
        null,
        buf.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[],
      ),
    );
  }
  return parts.join("");
}

/** Arguments longer than this are made anew each time (see recentBytesToString). */
const RECENT_MAX = 256;
/** Slots of recentBytesToString's cache: 2^RECENT_BITS. */
const RECENT_BITS = 8;
const RECENT_SLOTS = 1 << RECENT_BITS;
const recent: string[] = new Array(RECENT_SLOTS).fill("");
/** Each slot's tag (see recentBytesToString); 0 matches no string of 4+ bytes. */
const recentTags = new Int32Array(RECENT_SLOTS);
/** The tag of each slot's latest miss. */
const seenTags = new Int32Array(RECENT_SLOTS);
/** Each slot's length and bytes (4 to 256 bytes; see recentBytesToString). */
const recentLens = new Uint16Array(RECENT_SLOTS);
const recentBytes = new Uint8Array(RECENT_SLOTS * RECENT_MAX);
/** The same bytes by 32-bit words (slots start 4-aligned). */
const recentWords = new Int32Array(recentBytes.buffer);
/** A DataView of the last buffer compared (the parser's, which rarely changes). */
let wordBuf: Uint8Array | undefined;
let wordView: DataView = new DataView(new ArrayBuffer(0));

/**
 * {@link bytesToString} for command arguments: an argument of 2 to 256
 * bytes equal to one decoded lately comes back as that same string.
 * Clients repeat such arguments (a hot key, a script's body on every EVAL,
 * field names): comparing the bytes costs less than making a string, and
 * the string keeps the hash a Map computed for it, so the lookup that
 * follows hashes nothing and finds the key by identity. The cache is
 * direct-mapped and holds at most 64 KB of strings and a 64 KB copy of
 * their bytes (compared faster than a string). A string is kept at its second
 * sighting in a row of its slot, so a stream of distinct keys (random
 * keys) stores almost nothing: keeping strings costs more than missing.
 *
 * @example
 * ```ts
 * import { recentBytesToString } from "./bytes.ts";
 * const b = new TextEncoder().encode("user:1000:profile");
 * recentBytesToString(b, 0, b.length);
 * const a = recentBytesToString(b, 0, b.length); // seen twice: kept
 * console.log(recentBytesToString(b, 0, b.length) === a); // true
 * ```
 */
export function recentBytesToString(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len < 4) {
    if (len < 2) return bytesToString(buf, start, end); // V8 keeps 1-char strings
    // Two or three bytes: the tag is the whole string (its top byte, the
    // length, is never a longer string's), so a match needs no check.
    const tag = len << 24 | buf[start]! << 16 | buf[start + 1]! << 8 |
      (len === 3 ? buf[end - 1]! : 0);
    const slot = Math.imul(tag, 0x9e3779b1) >>> (32 - RECENT_BITS);
    if (recentTags[slot] === tag) return recent[slot]!;
    const made = bytesToString(buf, start, end);
    if (seenTags[slot] === tag) {
      recent[slot] = made;
      recentTags[slot] = tag;
    } else {
      seenTags[slot] = tag;
    }
    return made;
  }
  if (len > RECENT_MAX) return bytesToString(buf, start, end);
  // The length and the last three bytes (where keys that share a prefix
  // differ) pick the slot and tell most misses apart without reading the
  // cached string, which a stream of distinct keys would find cold.
  if (buf !== wordBuf) {
    wordBuf = buf;
    wordView = new DataView(buf.buffer as ArrayBuffer, buf.byteOffset, buf.byteLength);
  }
  let tag = (len << 24 | buf[end - 3]! << 16 | buf[end - 2]! << 8 | buf[end - 1]!) ^
    (buf[start]! << 4) ^ (buf[start + (len >> 1)]! << 12);
  // And the four bytes before the last three: numbered keys (key:000000012345)
  // differ in their last digits, and with three of them one distinct key
  // in four matched its slot's last miss and was kept for nothing.
  if (len >= 7) tag ^= Math.imul(wordView.getInt32(end - 7, true), 0x85ebca6b);
  const slot = Math.imul(tag, 0x9e3779b1) >>> (32 - RECENT_BITS);
  if (recentTags[slot] === tag && recentLens[slot] === len) {
    // Compared with a copy of the bytes, four at a time (little-endian
    // words on both sides), then the last few: no string access per
    // character.
    const base = slot * RECENT_MAX, words = len >> 2;
    let w = 0;
    while (w < words && recentWords[(base >> 2) + w] === wordView.getInt32(start + w * 4, true)) {
      w++;
    }
    if (w === words) {
      let i = len - 1;
      const from = words * 4;
      while (i >= from && recentBytes[base + i] === buf[start + i]) i--;
      if (i < from) return recent[slot]!;
    }
  }
  const made = bytesToString(buf, start, end);
  // Kept when its tag was seen lately: storing a string costs more than a
  // miss (it outlives the young generation), so a stream of distinct keys
  // must not store each.
  if (seenTags[slot] === tag) {
    recent[slot] = made;
    recentTags[slot] = tag;
    recentLens[slot] = len;
    recentBytes.set(buf.subarray(start, end), slot * RECENT_MAX);
  } else {
    seenTags[slot] = tag;
  }
  return made;
}

/** Sets of {@link commandNameToString}'s cache (two names each), as bits. */
const NAME_SET_BITS = 6;
const NAME_SETS = 1 << NAME_SET_BITS;
const names: string[] = new Array(NAME_SETS * 2).fill("");

/**
 * {@link bytesToString} for a command's name (its first argument): a name
 * of up to 32 bytes seen lately comes back as the same string, so the
 * command table's lookup finds the hash it computed before instead of
 * hashing a new string (a runtime call in V8), once per command. Every
 * byte picks the set and each set holds two names, the last used first:
 * two commands a client alternates (PING and MULTI, HSET and HGET) do not
 * evict each other.
 *
 * @example
 * ```ts
 * import { commandNameToString } from "./bytes.ts";
 * const b = new TextEncoder().encode("GET");
 * console.log(commandNameToString(b, 0, 3) === commandNameToString(b, 0, 3)); // true
 * ```
 */
export function commandNameToString(buf: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len === 0 || len > 32) return bytesToString(buf, start, end);
  let h = len;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  const set = (h >>> (32 - NAME_SET_BITS)) << 1;
  const first = names[set]!;
  if (first.length === len && sameChars(first, buf, start)) return first;
  const second = names[set + 1]!;
  if (second.length === len && sameChars(second, buf, start)) {
    names[set + 1] = first;
    names[set] = second;
    return second;
  }
  const made = bytesToString(buf, start, end);
  names[set + 1] = first;
  names[set] = made;
  return made;
}

/** True when `s`'s char codes are the bytes of `buf` from `start`. */
function sameChars(s: string, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

/**
 * Encodes a byte string into bytes. Char codes above 0xFF are not valid
 * byte strings; they are written as UTF-8 so text given by embedders (JS
 * strings from `mod.ts` users) still round-trips sensibly.
 *
 * @example
 * ```ts
 * import { stringToBytes } from "./bytes.ts";
 * console.log(stringToBytes("\x00\xff")); // Uint8Array [0, 255]
 * ```
 */
export function stringToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return new TextEncoder().encode(s);
    out[i] = c;
  }
  return out;
}

/** True when every char code of `s` is a byte. */
export function isByteString(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

/**
 * Converts a JavaScript (UTF-16) string into a byte string of its UTF-8
 * bytes, for text that must go on the wire as UTF-8.
 */
export function utf8ToByteString(s: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  const b = new TextEncoder().encode(s);
  return bytesToString(b, 0, b.length);
}

/** Decodes a byte string holding UTF-8 into a JavaScript string. */
export function byteStringToUtf8(s: string): string {
  return new TextDecoder().decode(stringToBytes(s));
}
