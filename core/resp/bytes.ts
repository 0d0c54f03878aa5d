/**
 * Conversions between bytes and byte strings (one char code per byte).
 *
 * Never use `TextDecoder("latin1")` for this: the WHATWG "latin1" label is
 * windows-1252 and remaps bytes 0x80–0x9F.
 *
 * @module
 */

const CHUNK = 8192;

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
  if (len <= 12) {
    // Short keys and values dominate; a direct call avoids a subarray.
    switch (len) {
      case 0:
        return "";
      case 1:
        return String.fromCharCode(buf[start]!);
      case 2:
        return String.fromCharCode(buf[start]!, buf[start + 1]!);
      case 3:
        return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!);
      case 4:
        return String.fromCharCode(
          buf[start]!,
          buf[start + 1]!,
          buf[start + 2]!,
          buf[start + 3]!,
        );
    }
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
