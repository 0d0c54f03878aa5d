/**
 * The replication backlog: a fixed-size ring of the most recent bytes of
 * the replication stream, so a replica that reconnects with an offset it
 * still covers gets only the missing bytes (`+CONTINUE`) instead of a full
 * resync.
 *
 * @module
 */

/**
 * A ring buffer over the tail of the replication stream. Offsets are Redis's
 * replication offsets: the stream's first byte is offset 1, and the backlog
 * holds the bytes up to {@link Backlog.end} (`master_repl_offset`).
 *
 * @example
 * ```ts
 * import { Backlog } from "./_backlog.ts";
 * const b = new Backlog(4, 0);
 * b.append(new TextEncoder().encode("abcdef"));
 * console.log(b.firstByte, b.histlen); // 3 4
 * console.log(new TextDecoder().decode(b.from(5))); // "ef"
 * ```
 */
export class Backlog {
  #buf: Uint8Array;
  /** Where the next byte goes. */
  #pos = 0;
  /** Bytes held (at most the size). */
  histlen = 0;
  /** Offset of the last byte appended (`master_repl_offset`). */
  end: number;

  /** A backlog of `size` bytes whose next byte has offset `end + 1`. */
  constructor(size: number, end: number) {
    this.#buf = new Uint8Array(Math.max(1, size));
    this.end = end;
  }

  /** The backlog's capacity (`repl_backlog_size`). */
  get size(): number {
    return this.#buf.length;
  }

  /** Offset of the oldest byte held (`repl_backlog_first_byte_offset`). */
  get firstByte(): number {
    return this.end - this.histlen + 1;
  }

  /** Appends stream bytes, dropping the oldest when full. */
  append(data: Uint8Array): void {
    const size = this.#buf.length;
    this.end += data.length;
    let src = data;
    if (src.length >= size) {
      src = src.subarray(src.length - size);
      this.#buf.set(src);
      this.#pos = 0;
      this.histlen = size;
      return;
    }
    const first = Math.min(size - this.#pos, src.length);
    this.#buf.set(src.subarray(0, first), this.#pos);
    if (first < src.length) this.#buf.set(src.subarray(first), 0);
    this.#pos = (this.#pos + src.length) % size;
    this.histlen = Math.min(size, this.histlen + src.length);
  }

  /** True when the backlog holds every byte from `offset` on (a PSYNC's offset). */
  covers(offset: number): boolean {
    return this.histlen !== 0
      ? offset >= this.firstByte && offset <= this.end + 1
      : offset === this.end + 1;
  }

  /** A copy of the bytes from `offset` (inclusive) to the end. */
  from(offset: number): Uint8Array {
    const n = this.end - offset + 1;
    if (n <= 0) return new Uint8Array(0);
    const size = this.#buf.length;
    const out = new Uint8Array(n);
    const start = (this.#pos - n + size) % size;
    const first = Math.min(n, size - start);
    out.set(this.#buf.subarray(start, start + first));
    if (first < n) out.set(this.#buf.subarray(0, n - first), first);
    return out;
  }

  /** Changes the capacity, keeping the newest bytes that still fit. */
  resize(size: number): void {
    size = Math.max(1, size);
    if (size === this.#buf.length) return;
    const keep = Math.min(this.histlen, size);
    const tail = this.from(this.end - keep + 1);
    this.#buf = new Uint8Array(size);
    this.#buf.set(tail);
    this.#pos = keep % size;
    this.histlen = keep;
  }
}
