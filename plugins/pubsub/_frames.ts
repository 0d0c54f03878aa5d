/**
 * Encodes pub/sub message frames (`message`, `pmessage`, `smessage`) once,
 * as bytes, so a PUBLISH to many subscribers copies the same bytes into each
 * subscriber's output instead of encoding the frame per subscriber.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";

/** `*` (RESP2 array) and `>` (RESP3 push): the only byte the versions differ in. */
const ARRAY = 42;
const PUSH = 62;

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

function writeInt(buf: Uint8Array, p: number, n: number): number {
  const d = digits(n);
  for (let q = p + d - 1; q >= p; q--) {
    buf[q] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
  return p + d;
}

/**
 * Encodes `parts` as a RESP2 array of bulk strings (`*<n>` header). The
 * RESP3 push form is the same bytes with `>` as the first byte.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./_frames.ts";
 * const f = encodeFrame(["message", "ch", "hi"]);
 * console.log(String.fromCharCode(...f)); // "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
 * ```
 */
export function encodeFrame(parts: readonly Bytes[]): Uint8Array {
  let size = 1 + digits(parts.length) + 2;
  for (const s of parts) size += 1 + digits(s.length) + 2 + s.length + 2;
  const buf = new Uint8Array(size);
  buf[0] = ARRAY;
  let p = writeInt(buf, 1, parts.length);
  buf[p++] = 13;
  buf[p++] = 10;
  for (const s of parts) {
    buf[p++] = 36;
    p = writeInt(buf, p, s.length);
    buf[p++] = 13;
    buf[p++] = 10;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    buf[p++] = 13;
    buf[p++] = 10;
  }
  return buf;
}

/**
 * One message frame in both protocol versions, each encoded on first use:
 * a PUBLISH reaching only RESP2 subscribers never builds the RESP3 form.
 */
export class Frame {
  #resp2: Uint8Array | undefined;
  #resp3: Uint8Array | undefined;

  constructor(readonly parts: readonly Bytes[]) {}

  /** The frame's bytes for a client speaking `resp`. */
  bytes(resp: 2 | 3): Uint8Array {
    const r2 = this.#resp2 ??= encodeFrame(this.parts);
    if (resp === 2) return r2;
    if (this.#resp3 === undefined) {
      this.#resp3 = r2.slice();
      this.#resp3[0] = PUSH;
    }
    return this.#resp3;
  }
}
