/**
 * The request parser: RESP multibulk and inline commands, incrementally, over
 * one reusable byte buffer per connection.
 *
 * It keeps Redis's state machine (multibulk count, then each bulk), so a
 * frame split anywhere across reads resumes where it stopped instead of
 * being parsed again, and a large bulk is not rescanned on every read.
 *
 * @module
 */

import { bytesToString, commandNameToString, recentBytesToString } from "./bytes.ts";
import { splitArgs } from "../config.ts";

/** Redis's PROTO_INLINE_MAX_SIZE: longest inline line or header line. */
export const INLINE_MAX = 64 * 1024;
const INITIAL_SIZE = 16 * 1024;
/**
 * Redis's PROTO_MBULK_BIG_ARG: a bulk this long gets a buffer of its exact
 * size instead of a doubled one.
 */
const BIG_ARG = 32 * 1024;

/**
 * A protocol error. `reply` is the error reply to send (without `-`) before
 * closing, or undefined when the connection closes silently (query buffer
 * limit, as Redis).
 */
export class ProtocolError extends Error {
  constructor(readonly reply: string | undefined, message = reply ?? "") {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Limits the parser enforces. */
export interface ParserLimits {
  /** `proto-max-bulk-len`. */
  maxBulk: number;
  /** `client-query-buffer-limit`. */
  maxQuery: number;
}

/**
 * Incremental request parser.
 *
 * @example
 * ```ts
 * import { RequestParser } from "./parser.ts";
 * const p = new RequestParser({ maxBulk: 512 * 1024 * 1024, maxQuery: 1 << 30 });
 * p.push(new TextEncoder().encode("*1\r\n$4\r\nPING\r\nECHO hi\r\n"));
 * console.log(p.next(), p.next(), p.next()); // ["PING"] ["ECHO","hi"] null
 * ```
 */
export class RequestParser {
  /** The buffer reads go into; bytes in [start, end) are unparsed. */
  buf: Uint8Array = new Uint8Array(INITIAL_SIZE);
  start = 0;
  end = 0;
  /** The buffer of the usual size, kept to go back to after a big request. */
  #small: Uint8Array = this.buf;
  /** writable()'s last view, of `#viewOf` from `#viewAt`. */
  #view: Uint8Array = this.buf;
  #viewOf: Uint8Array = this.buf;
  #viewAt = 0;
  /**
   * Where the bytes of the current read began: while its commands run they
   * still count as held (Redis trims its query buffer after the batch).
   */
  #batchStart = 0;
  limits: ParserLimits;
  /** Set when an unauthenticated client must get Redis's tighter limits. */
  strict = false;
  #multibulk = 0; // arguments still to read in this command
  #bulk = -1; // length of the bulk being read, -1 before its header
  #argv: string[] = [];
  // Where the last unsuccessful search for a line end stopped, so a line
  // arriving in many small reads is scanned once, not once per read.
  #scanStart = -1;
  #scanByte = 0;
  #scanned = 0;

  constructor(limits: ParserLimits) {
    this.limits = limits;
  }

  /**
   * A view of free space at the end of the buffer, for `conn.read`. Grows
   * the buffer (or compacts it) so at least `min` bytes are free.
   */
  writable(min = 4096): Uint8Array {
    if (this.start === this.end) {
      this.start = this.end = this.#batchStart = 0;
      this.#scanStart = -1;
    }
    // A big bulk being read gets room for exactly what is left of it, as
    // Redis sizes its query buffer for such an argument.
    const bulkLeft = this.#bulk >= BIG_ARG ? this.#bulk + 2 - (this.end - this.start) : 0;
    if (bulkLeft > 0) min = bulkLeft;
    if (this.buf.length - this.end < min) {
      this.#scanStart = -1;
      const used = this.end - this.start;
      if (this.start > 0 && this.buf.length - used >= min) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let size = used + min;
        if (bulkLeft === 0) {
          size = this.buf.length * 2;
          while (size - used < min) size *= 2;
        }
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = this.#batchStart = 0;
      this.end = used;
    }
    // The same view as last time when nothing moved (a read of a whole
    // batch starts at 0 again): a new view per read costs tens of ns.
    const buf = this.buf, end = this.end;
    if (buf !== this.#viewOf || end !== this.#viewAt) {
      this.#view = buf.subarray(end);
      this.#viewOf = buf;
      this.#viewAt = end;
    }
    return this.#view;
  }

  /**
   * Goes back to the usual 16 KB buffer once a bigger one is not needed
   * (nothing pending, or a little that fits), so a big request does not pin
   * memory for the life of the connection; Redis's cron shrinks its query
   * buffers the same way, a second or two later. Call it only when no read
   * into the buffer is in flight.
   */
  shrink(): void {
    const buf = this.buf;
    if (buf === this.#small) return;
    const used = this.end - this.start;
    if (used === 0) {
      this.buf = this.#small;
      this.start = this.end = this.#batchStart = 0;
      this.#scanStart = -1;
    } else if (used <= INITIAL_SIZE / 2 && this.#bulk < BIG_ARG) {
      this.#small.set(buf.subarray(this.start, this.end));
      this.buf = this.#small;
      this.start = this.#batchStart = 0;
      this.end = used;
      this.#scanStart = -1;
    }
  }

  /**
   * Marks `n` bytes written into {@link writable}'s view. Throws a silent
   * ProtocolError when the bytes left unparsed by earlier reads already
   * exceed `maxQuery` (a suspended client that keeps sending); the usual
   * check is in {@link next}, after parsing, so one large read of complete
   * pipelined commands is never mistaken for an oversized request (Redis
   * reads 16 KB at a time and cannot tell those apart either).
   */
  commit(n: number): void {
    this.#batchStart = this.start;
    this.end += n;
    if (this.end - n - this.start > this.limits.maxQuery) throw queryLimit();
  }

  /** Bytes of the arguments of a command not complete yet (`argv-mem`). */
  get partialArgvBytes(): number {
    let n = 0;
    for (const a of this.#argv) n += a.length;
    return n;
  }

  /** Copies bytes in (tests, and callers without a read view). */
  push(bytes: Uint8Array): void {
    this.writable(bytes.length).set(bytes);
    this.commit(bytes.length);
  }

  /**
   * Bytes held in the buffer (CLIENT LIST `qbuf`): those not yet parsed,
   * and while a batch runs, the commands of it already parsed too (Redis
   * trims its query buffer after the batch).
   */
  get pending(): number {
    return this.end - this.#batchStart;
  }

  /** Commands parsed by {@link readAhead}, not yet returned by `next`. */
  #ahead: (string[] | undefined)[] = [];
  #aheadAt = 0;
  #aheadEnd = 0;
  /** The error parsing ahead met: `next` throws it after the commands before it. */
  #aheadError: ProtocolError | undefined;
  /** Commands or an error parsed ahead wait (one test on `next`'s path). */
  #queued = false;

  /**
   * Parses up to `max` more complete commands now, which {@link next}
   * then returns in order (and a protocol error among them only after the
   * commands before it): so that a caller can look at a pipelined batch's
   * next commands before running the current one (to prefetch their keys).
   * Returns how many it parsed; call it only when the previous ones were
   * all taken ({@link ahead} is 0).
   */
  readAhead(max: number): number {
    if (this.#queued) return 0;
    const q = this.#ahead;
    // The batch's bytes stay counted (`pending`) until its commands ran.
    const batchStart = this.#batchStart;
    let n = 0;
    while (n < max) {
      let argv: string[] | null;
      try {
        argv = this.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.#aheadError = e;
        break;
      }
      if (argv === null) break;
      q[n++] = argv;
    }
    this.#batchStart = batchStart;
    this.#aheadAt = 0;
    this.#aheadEnd = n;
    this.#queued = n !== 0 || this.#aheadError !== undefined;
    return n;
  }

  /** The commands {@link readAhead} parsed that {@link next} has not returned yet. */
  get ahead(): number {
    return this.#aheadEnd - this.#aheadAt;
  }

  /** The `i`th of the commands parsed ahead and not yet returned. */
  aheadAt(i: number): string[] {
    return this.#ahead[this.#aheadAt + i]!;
  }

  #takeAhead(): string[] {
    if (this.#aheadAt !== this.#aheadEnd) {
      const argv = this.#ahead[this.#aheadAt]!;
      this.#ahead[this.#aheadAt++] = undefined;
      this.#queued = this.#aheadAt !== this.#aheadEnd || this.#aheadError !== undefined;
      return argv;
    }
    const e = this.#aheadError!;
    this.#aheadError = undefined;
    this.#queued = false;
    throw e;
  }

  /**
   * The next complete command, or null when more bytes are needed. Empty
   * commands (`*0`, blank lines) are skipped. Throws ProtocolError.
   */
  next(): string[] | null {
    if (this.#queued) return this.#takeAhead();
    if (this.#multibulk === 0 && this.buf[this.start] === 42 && this.start < this.end) {
      const argv = this.#whole();
      if (argv !== undefined) return argv;
    }
    for (;;) {
      if (this.#multibulk === 0) {
        if (this.start >= this.end) {
          this.#batchStart = this.start;
          return null;
        }
        if (this.buf[this.start] !== 42) { // not '*': inline command
          const argv = this.#inline();
          if (argv === null) return this.#incomplete();
          if (argv.length === 0) continue;
          return argv;
        }
        const n = this.#header(true);
        if (n === null) return this.#incomplete();
        if (n <= 0) continue;
        this.#multibulk = n;
        this.#argv = [];
      }
      while (this.#multibulk > 0) {
        if (this.#bulk === -1) {
          const len = this.#header(false);
          if (len === null) return this.#incomplete();
          this.#bulk = len;
        }
        if (this.end - this.start < this.#bulk + 2) return this.#incomplete();
        const s = this.start;
        // Like Redis, the two bytes after the data are skipped unchecked.
        const argv = this.#argv, end = s + this.#bulk;
        argv.push(
          argv.length === 0
            ? commandNameToString(this.buf, s, end)
            : recentBytesToString(this.buf, s, end),
        );
        this.start = s + this.#bulk + 2;
        this.#bulk = -1;
        this.#multibulk--;
      }
      const argv = this.#argv;
      this.#argv = [];
      return argv;
    }
  }

  /**
   * The usual case in one pass over locals: a multibulk command that has
   * fully arrived, with counts and lengths of 1 to 9 digits (or a `$0`).
   * Undefined, with nothing consumed, for anything else (partial input,
   * an unauthenticated client, an error to reply): the general path in
   * {@link next} takes it from the same place.
   */
  #whole(): string[] | undefined {
    if (this.strict) return undefined;
    const buf = this.buf, end = this.end;
    let p = this.start + 1;
    let d = buf[p]! - 48;
    if (!(d >= 1 && d <= 9)) return undefined;
    let n = d;
    for (p++; p < end; p++) {
      d = buf[p]! - 48;
      if (d < 0 || d > 9 || n > 99999999) break;
      n = n * 10 + d;
    }
    if (p + 1 >= end || buf[p] !== 13) return undefined;
    p += 2;
    const maxBulk = this.limits.maxBulk;
    // Sized up front: a push into `[]` calls a builtin that grows it.
    const argv: string[] = new Array(n);
    for (let k = 0; k < n; k++) {
      if (p + 1 >= end || buf[p] !== 36) return undefined;
      d = buf[++p]! - 48;
      let len = d;
      if (d >= 1 && d <= 9) {
        for (p++; p < end; p++) {
          d = buf[p]! - 48;
          if (d < 0 || d > 9 || len > 99999999) break;
          len = len * 10 + d;
        }
      } else if (d === 0) {
        p++;
      } else {
        return undefined;
      }
      if (p + 1 >= end || buf[p] !== 13 || len > maxBulk) return undefined;
      p += 2;
      if (end - p < len + 2) return undefined;
      argv[k] = k === 0
        ? commandNameToString(buf, p, p + len)
        : recentBytesToString(buf, p, p + len);
      p += len + 2;
    }
    this.start = p;
    return argv;
  }

  /** Null, after checking `client-query-buffer-limit` on what is left. */
  #incomplete(): null {
    if (this.end - this.start > this.limits.maxQuery) throw queryLimit();
    // The batch is done: what is left is all the buffer holds.
    this.#batchStart = this.start;
    return null;
  }

  /** Reads a `*N` or `$N` header line; null when incomplete. */
  #header(multibulk: boolean): number | null {
    const buf = this.buf;
    const s = this.start;
    const cr = this.#find(13, s);
    // Like Redis, the byte after CR must have arrived but is not checked.
    if (cr === -1 || cr + 1 >= this.end) {
      if (this.end - s > INLINE_MAX) {
        throw new ProtocolError(
          multibulk
            ? "ERR Protocol error: too big mbulk count string"
            : "ERR Protocol error: too big bulk count string",
        );
      }
      return null;
    }
    if (!multibulk && buf[s] !== 36) { // '$'
      const got = String.fromCharCode(buf[s]!);
      throw new ProtocolError(`ERR Protocol error: expected '$', got '${got}'`);
    }
    const n = parseLongLong(buf, s + 1, cr);
    if (multibulk) {
      if (n === undefined || n > 2147483647) {
        throw new ProtocolError("ERR Protocol error: invalid multibulk length");
      }
      if (this.strict && n > 10) {
        throw new ProtocolError("ERR Protocol error: unauthenticated multibulk length");
      }
    } else {
      if (n === undefined || n < 0 || n > this.limits.maxBulk) {
        throw new ProtocolError("ERR Protocol error: invalid bulk length");
      }
      if (this.strict && n > 16384) {
        throw new ProtocolError("ERR Protocol error: unauthenticated bulk length");
      }
    }
    this.start = cr + 2;
    return n;
  }

  /** Parses an inline command line; null when the line is incomplete. */
  #inline(): string[] | null {
    const s = this.start;
    const nl = this.#find(10, s);
    if (nl === -1) {
      if (this.end - s > INLINE_MAX) {
        throw new ProtocolError("ERR Protocol error: too big inline request");
      }
      return null;
    }
    const lineEnd = nl > s && this.buf[nl - 1] === 13 ? nl - 1 : nl;
    let line = bytesToString(this.buf, s, lineEnd);
    this.start = nl + 1;
    // Redis splits the line as a C string: a NUL byte ends it.
    const nul = line.indexOf("\0");
    if (nul !== -1) line = line.slice(0, nul);
    const argv = splitArgs(line);
    if (argv === undefined) {
      throw new ProtocolError("ERR Protocol error: unbalanced quotes in request");
    }
    return argv;
  }

  /**
   * Index of the first `byte` at or after `from` (the current start), or -1.
   * Remembers how far a failed search got, so the next one resumes there.
   */
  #find(byte: number, from: number): number {
    const buf = this.buf, end = this.end;
    let i = from;
    if (this.#scanStart === from && this.#scanByte === byte) i = this.#scanned;
    // A stale memo needs no reset on success: `start` only moves forward,
    // except in writable(), which clears it.
    for (; i < end; i++) if (buf[i] === byte) return i;
    this.#scanStart = from;
    this.#scanByte = byte;
    this.#scanned = end;
    return -1;
  }
}

function queryLimit(): ProtocolError {
  return new ProtocolError(undefined, "query buffer limit reached");
}

const LLONG_DIGITS = "9223372036854775807";

/**
 * Parses a signed decimal in `buf[s, e)` as Redis's string2ll does: no
 * spaces, no leading zeros, no "+", within 64 bits. Undefined when invalid.
 * Values beyond 2^53 come back rounded; callers only compare them with
 * limits far below that.
 */
export function parseLongLong(buf: Uint8Array, s: number, e: number): number | undefined {
  if (s >= e || e - s > 20) return undefined;
  let neg = false;
  let i = s;
  if (buf[i] === 45) { // '-'
    neg = true;
    i++;
    if (i === e) return undefined;
  }
  if (buf[i] === 48) return e - i === 1 && !neg ? 0 : undefined;
  const digits = e - i;
  if (digits > 19) return undefined;
  if (digits === 19 && !fitsLongLong(buf, i, neg)) return undefined;
  let n = 0;
  for (; i < e; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/** Whether 19 digits at `i` are within LLONG_MAX (LLONG_MIN when negative). */
function fitsLongLong(buf: Uint8Array, i: number, neg: boolean): boolean {
  for (let k = 0; k < 19; k++) {
    const d = buf[i + k]!, m = LLONG_DIGITS.charCodeAt(k) + (neg && k === 18 ? 1 : 0);
    if (d !== m) return d < m;
  }
  return true;
}
