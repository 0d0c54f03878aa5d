/**
 * Stream entry ids: two unsigned 64-bit numbers (`<ms>-<seq>`), parsed,
 * compared, stepped and formatted exactly as Redis's t_stream.c does.
 *
 * A 64-bit part does not fit a JS number, so each is held as two 32-bit
 * halves. Ids Redis clients use every day (a Unix-ms time and a small
 * sequence) take the fast paths; the full range (`+`, exhausted streams,
 * `18446744073709551615-...`) stays exact.
 *
 * @module
 */

import type { Bytes, ReplyWriter } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";

/** 2^32: an ID part is kept as its high and low 32-bit halves. */
export const TWO32 = 4294967296;
/** Below this high half, hi * 2^32 + lo is an exact JS number. */
export const EXACT_HI = 0x200000;

/** An id: the ms and seq parts, each as high and low 32-bit halves. */
export class StreamId {
  constructor(
    readonly msHi: number,
    readonly msLo: number,
    readonly seqHi: number,
    readonly seqLo: number,
  ) {}

  /** `<ms>-<seq>`, as Redis prints it. */
  toString(): string {
    return u64String(this.msHi, this.msLo) + "-" + u64String(this.seqHi, this.seqLo);
  }
}

/** 0-0. */
export const ZERO_ID: StreamId = new StreamId(0, 0, 0, 0);
/** The largest id (`+`). */
export const MAX_ID: StreamId = new StreamId(TWO32 - 1, TWO32 - 1, TWO32 - 1, TWO32 - 1);

/** The error every malformed id gets. */
export const INVALID_ID = "ERR Invalid stream ID specified as stream command argument";

/** An id from a JS-number ms time and seq (both below 2^53). */
export function makeId(ms: number, seq: number): StreamId {
  return new StreamId(Math.floor(ms / TWO32), ms >>> 0, Math.floor(seq / TWO32), seq >>> 0);
}

/** Compares two ids: negative, zero or positive. */
export function cmpId(a: StreamId, b: StreamId): number {
  return a.msHi - b.msHi || a.msLo - b.msLo || a.seqHi - b.seqHi || a.seqLo - b.seqLo;
}

/** True for 0-0. */
export function isZeroId(id: StreamId): boolean {
  return (id.msHi | id.msLo | id.seqHi | id.seqLo) === 0;
}

/** The next id, or undefined past the largest one (Redis's streamIncrID). */
export function incrId(id: StreamId): StreamId | undefined {
  if (id.seqLo !== TWO32 - 1) return new StreamId(id.msHi, id.msLo, id.seqHi, id.seqLo + 1);
  if (id.seqHi !== TWO32 - 1) return new StreamId(id.msHi, id.msLo, id.seqHi + 1, 0);
  if (id.msLo !== TWO32 - 1) return new StreamId(id.msHi, id.msLo + 1, 0, 0);
  if (id.msHi !== TWO32 - 1) return new StreamId(id.msHi + 1, 0, 0, 0);
  return undefined;
}

/** The previous id, or undefined before 0-0 (Redis's streamDecrID). */
export function decrId(id: StreamId): StreamId | undefined {
  if (id.seqLo !== 0) return new StreamId(id.msHi, id.msLo, id.seqHi, id.seqLo - 1);
  if (id.seqHi !== 0) return new StreamId(id.msHi, id.msLo, id.seqHi - 1, TWO32 - 1);
  if (id.msLo !== 0) return new StreamId(id.msHi, id.msLo - 1, TWO32 - 1, TWO32 - 1);
  if (id.msHi !== 0) return new StreamId(id.msHi - 1, TWO32 - 1, TWO32 - 1, TWO32 - 1);
  return undefined;
}

/**
 * Writes an id as a bulk string, as `r.bulk(id.toString())` would: as
 * digits straight into the reply when both parts are below 2^53.
 */
export function replyId(r: ReplyWriter, id: StreamId): void {
  replyIdParts(r, id.msHi, id.msLo, id.seqHi, id.seqLo);
}

/** {@link replyId} of an id given as its four 32-bit halves. */
export function replyIdParts(
  r: ReplyWriter,
  msHi: number,
  msLo: number,
  seqHi: number,
  seqLo: number,
): void {
  if (msHi < EXACT_HI && seqHi < EXACT_HI) {
    r.bulkUintPair(msHi * TWO32 + msLo, seqHi * TWO32 + seqLo);
  } else {
    r.bulk(u64String(msHi, msLo) + "-" + u64String(seqHi, seqLo));
  }
}

/** Decimal text of an unsigned 64-bit number given as halves. */
export function u64String(hi: number, lo: number): string {
  if (hi < EXACT_HI) return String(hi * TWO32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** The halves as a BigInt (rare paths: big deltas). */
export function u64Big(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The ms part as a JS number (exact below 2^53). */
export function msNumber(id: StreamId): number {
  return id.msHi * TWO32 + id.msLo;
}

const U64_MAX = 18446744073709551615n;
const SPACES = /^[ \t\n\v\f\r]*/;

/**
 * Redis's string2ull: string2ll first (so a plain negative number is
 * refused), then strtoull (leading spaces, a sign, leading zeros; a minus
 * wraps around modulo 2^64). Returns the halves or undefined.
 */
export function parseU64(s: string): [number, number] | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  if (n <= 15) {
    let fast = true;
    for (let i = 0; i < n; i++) {
      const ch = s.charCodeAt(i);
      if (ch < 48 || ch > 57) {
        fast = false;
        break;
      }
    }
    if (fast) {
      const v = Number(s);
      return [Math.floor(v / TWO32), v >>> 0];
    }
  }
  // string2ll accepts a canonical negative int64: refused (negative).
  if (/^-[1-9][0-9]*$/.test(s) && s.length <= 20) {
    const b = BigInt(s);
    if (b >= -9223372036854775808n) return undefined;
  }
  const rest = s.slice(SPACES.exec(s)![0].length);
  const m = /^([+-]?)([0-9]+)$/.exec(rest);
  if (m === null) return undefined;
  let v = BigInt(m[2]!);
  if (v > U64_MAX) return undefined;
  if (m[1] === "-") v = (U64_MAX + 1n - v) & U64_MAX;
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** How a parsed id came out. */
export interface ParsedId {
  id: StreamId;
  /** False for `<ms>-*` (XADD only): the sequence is to be generated. */
  seqGiven: boolean;
}

/**
 * Redis's streamGenericParseIDOrReply. `missingSeq` fills a ms-only id
 * (0 or the max); `strict` refuses `-` and `+`; `allowSeqStar` accepts
 * `<ms>-*`. Throws the invalid-id error.
 */
export function parseId(
  s: Bytes,
  opts: { missingMax?: boolean; strict?: boolean; allowSeqStar?: boolean } = {},
): ParsedId {
  if (s.length > 127) throw new ReplyError(INVALID_ID);
  // Redis reads the id as a C string: it ends at a NUL byte.
  const nul = s.indexOf("\0");
  if (nul !== -1) s = s.slice(0, nul);
  if (s === "-" || s === "+") {
    if (opts.strict) throw new ReplyError(INVALID_ID);
    return { id: s === "-" ? ZERO_ID : MAX_ID, seqGiven: true };
  }
  const dash = s.indexOf("-");
  const ms = parseU64(dash === -1 ? s : s.slice(0, dash));
  if (ms === undefined) throw new ReplyError(INVALID_ID);
  if (dash === -1) {
    const id = opts.missingMax
      ? new StreamId(ms[0], ms[1], TWO32 - 1, TWO32 - 1)
      : new StreamId(ms[0], ms[1], 0, 0);
    return { id, seqGiven: true };
  }
  const tail = s.slice(dash + 1);
  if (opts.allowSeqStar && tail === "*") {
    return { id: new StreamId(ms[0], ms[1], 0, 0), seqGiven: false };
  }
  const seq = parseU64(tail);
  if (seq === undefined) throw new ReplyError(INVALID_ID);
  return { id: new StreamId(ms[0], ms[1], seq[0], seq[1]), seqGiven: true };
}

/** A strict id (no `-`/`+`), missing sequence 0: the common case. */
export function strictId(s: Bytes): StreamId {
  return parseId(s, { strict: true }).id;
}

/**
 * A range bound as Redis's streamParseIntervalIDOrReply: `(` makes it
 * exclusive (and strict); the caller steps it.
 */
export function parseBound(s: Bytes, missingMax: boolean): { id: StreamId; exclusive: boolean } {
  if (s.length > 1 && s.charCodeAt(0) === 40) {
    return { id: parseId(s.slice(1), { strict: true, missingMax }).id, exclusive: true };
  }
  return { id: parseId(s, { missingMax }).id, exclusive: false };
}

/** A start bound, stepped past when exclusive. */
export function startBound(s: Bytes): StreamId {
  const b = parseBound(s, false);
  if (!b.exclusive) return b.id;
  const next = incrId(b.id);
  if (next === undefined) throw new ReplyError("ERR invalid start ID for the interval");
  return next;
}

/** An end bound, stepped back when exclusive. */
export function endBound(s: Bytes): StreamId {
  const b = parseBound(s, true);
  if (!b.exclusive) return b.id;
  const prev = decrId(b.id);
  if (prev === undefined) throw new ReplyError("ERR invalid end ID for the interval");
  return prev;
}
