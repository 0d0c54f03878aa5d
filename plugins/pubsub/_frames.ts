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
 * Encodes `parts` as a RESP2 array of bulk strings (`*<n>` header) into
 * `out` from offset 0, growing it as needed; returns the buffer (a new one
 * when it grew) and the length. The RESP3 push form is the same bytes with
 * `>` as the first byte.
 */
function encodeInto(parts: readonly Bytes[], out: Uint8Array): [Uint8Array, number] {
  let size = 1 + digits(parts.length) + 2;
  for (const s of parts) size += 1 + digits(s.length) + 2 + s.length + 2;
  let buf = out;
  if (buf.length < size) buf = new Uint8Array(Math.max(size, buf.length * 2));
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
  return [buf, p];
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
  const [buf, len] = encodeInto(parts, EMPTY);
  return buf.length === len ? buf : buf.slice(0, len);
}

const EMPTY: Uint8Array = new Uint8Array(0);
/**
 * The scratch buffers frames are encoded into, RESP2 and RESP3. A new
 * Uint8Array costs Deno some 250 ns (its bytes live outside V8's heap), a
 * view of a kept buffer a tenth of that: a frame is encoded here and each
 * subscriber's output copies it, before the next frame reuses the space.
 */
let scratch2: Uint8Array = new Uint8Array(1024);
let scratch3: Uint8Array = new Uint8Array(1024);

/**
 * One message frame in both protocol versions, each encoded on first use:
 * a PUBLISH reaching only RESP2 subscribers never builds the RESP3 form.
 * Its bytes are valid until the next frame is encoded: copy them into the
 * subscribers' output right away.
 *
 * @example
 * ```ts
 * import { Frame } from "./_frames.ts";
 * const f = new Frame(["message", "ch", "hi"]);
 * console.log(f.bytes(3)[0] === 62); // true: ">" (a RESP3 push)
 * ```
 */
export class Frame {
  #resp2: Uint8Array | undefined;
  #resp3: Uint8Array | undefined;

  constructor(readonly parts: readonly Bytes[]) {}

  /** The frame's bytes for a client speaking `resp` (see {@link Frame}). */
  bytes(resp: 2 | 3): Uint8Array {
    let r2 = this.#resp2;
    if (r2 === undefined) {
      const [buf, len] = encodeInto(this.parts, scratch2);
      scratch2 = buf;
      this.#resp2 = r2 = buf.subarray(0, len);
    }
    if (resp === 2) return r2;
    let r3 = this.#resp3;
    if (r3 === undefined) {
      if (scratch3.length < r2.length) scratch3 = new Uint8Array(scratch2.length);
      scratch3.set(r2);
      scratch3[0] = PUSH;
      this.#resp3 = r3 = scratch3.subarray(0, r2.length);
    }
    return r3;
  }
}
