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

/** Writes one bulk string at `p`; returns the offset after it. */
function writeBulk(buf: Uint8Array, p: number, s: Bytes): number {
  buf[p++] = 36;
  p = writeInt(buf, p, s.length);
  buf[p++] = 13;
  buf[p++] = 10;
  for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
  buf[p++] = 13;
  buf[p++] = 10;
  return p;
}

/** Bytes of `parts` as a RESP2 array of bulk strings. */
function frameSize(parts: readonly Bytes[]): number {
  let size = 1 + digits(parts.length) + 2;
  for (const s of parts) size += 1 + digits(s.length) + 2 + s.length + 2;
  return size;
}

/**
 * Encodes `parts` as a RESP2 array of bulk strings (`*<n>` header) into
 * `buf` from offset 0 (room checked by the caller); returns the length.
 */
function encodeInto(parts: readonly Bytes[], buf: Uint8Array): number {
  buf[0] = ARRAY;
  let p = writeInt(buf, 1, parts.length);
  buf[p++] = 13;
  buf[p++] = 10;
  for (const s of parts) p = writeBulk(buf, p, s);
  return p;
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
  const buf = new Uint8Array(frameSize(parts));
  encodeInto(parts, buf);
  return buf;
}

/**
 * The scratch buffers frames are encoded into, RESP2 and RESP3. A new
 * Uint8Array costs Deno some 250 ns (its bytes live outside V8's heap), a
 * view of a kept buffer a tenth of that: a frame is encoded here and each
 * subscriber's output copies it, before the next frame reuses the space.
 */
let scratch2: Uint8Array = new Uint8Array(1024);
let scratch3: Uint8Array = new Uint8Array(1024);
/**
 * The parts but the last of the frame in `scratch2` (its kind and channel,
 * and pattern) and where its last part starts: a PUBLISH to the channel
 * of the one before writes only its message.
 */
let lead: readonly Bytes[] = [];
let leadEnd = 0;
/** The last views handed out, reused while the buffer and length repeat. */
let view2: Uint8Array = scratch2.subarray(0, 0);
let view2Of: Uint8Array = scratch2;
let view3: Uint8Array = scratch3.subarray(0, 0);
let view3Of: Uint8Array = scratch3;

/** Encodes `parts` into `scratch2` (see {@link lead}); returns the length. */
function encodeScratch(parts: readonly Bytes[]): number {
  const n = parts.length;
  const size = frameSize(parts);
  if (scratch2.length < size) {
    scratch2 = new Uint8Array(Math.max(size, scratch2.length * 2));
    lead = [];
  }
  const buf = scratch2;
  let same = lead.length === n - 1;
  for (let k = 0; same && k < n - 1; k++) same = lead[k] === parts[k];
  let p = leadEnd;
  if (!same) {
    buf[0] = ARRAY;
    p = writeInt(buf, 1, n);
    buf[p++] = 13;
    buf[p++] = 10;
    for (let k = 0; k < n - 1; k++) p = writeBulk(buf, p, parts[k]!);
    lead = parts.slice(0, n - 1);
    leadEnd = p;
  }
  return writeBulk(buf, p, parts[n - 1]!);
}

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
      const len = encodeScratch(this.parts);
      // A view costs an allocation: messages of one size reuse the last.
      if (view2Of !== scratch2 || view2.length !== len) {
        view2 = scratch2.subarray(0, len);
        view2Of = scratch2;
      }
      this.#resp2 = r2 = view2;
    }
    if (resp === 2) return r2;
    let r3 = this.#resp3;
    if (r3 === undefined) {
      if (scratch3.length < r2.length) scratch3 = new Uint8Array(scratch2.length);
      scratch3.set(r2);
      scratch3[0] = PUSH;
      if (view3Of !== scratch3 || view3.length !== r2.length) {
        view3 = scratch3.subarray(0, r2.length);
        view3Of = scratch3;
      }
      this.#resp3 = r3 = view3;
    }
    return r3;
  }
}
