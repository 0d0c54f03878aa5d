/**
 * Bit-level access to byte strings, shared by the bitmap commands (offset
 * parsing, copy-on-write byte windows), and the BITFIELD / BITFIELD_RO
 * commands, with Redis 7.0's exact overflow arithmetic (including its quirks,
 * such as `OVERFLOW SAT SET i8 0 -9223372036854775808` saturating to 127).
 *
 * @module
 */

import type { Bytes, Context, KeySpecFlag } from "../../core/types.ts";
import { Err, ReplyError, WRONGTYPE } from "../../core/errors.ts";
import { parseBigInteger, parseInteger } from "../../core/number.ts";
import { commandFamily, keys } from "../../core/registry.ts";
import { bytesToString } from "../../core/resp/bytes.ts";
import { nodeBuiltin } from "../../core/node_builtin.ts";

/** Redis's error for a bad or too large bit offset. */
export const BIT_OFFSET_ERROR = "ERR bit offset is not an integer or out of range";

/**
 * The longest string V8 can hold. Redis allows 512MB strings; the last 24
 * bytes of that range cannot be represented here, so writes that would grow a
 * string past this length get the bit-offset error instead.
 */
export const MAX_STRING_LENGTH = 0x1fffffe8;

/**
 * Parses a bit offset as Redis's getBitOffsetFromArgument: a non-negative
 * integer whose byte (offset / 8) is below `proto-max-bulk-len`; with `hash`,
 * `#N` means N times `bits` (the N-th field of that width).
 */
export function parseBitOffset(c: Context, arg: Bytes, hash = false, bits = 0): number {
  const useHash = hash && bits > 0 && arg.charCodeAt(0) === 35; // '#'
  const text = useHash ? arg.slice(1) : arg;
  const maxBytes = c.server.config.number("proto-max-bulk-len");
  const n = parseInteger(text);
  if (n === undefined) throw new ReplyError(BIT_OFFSET_ERROR);
  let off = useHash ? n * bits : n;
  if (!Number.isSafeInteger(off)) {
    // C multiplies in 64 bits and wraps; reproduce that before the checks.
    const big = BigInt.asIntN(64, parseBigInteger(text)! * BigInt(useHash ? bits : 1));
    if (big < 0n || (big >> 3n) >= BigInt(maxBytes)) throw new ReplyError(BIT_OFFSET_ERROR);
    off = Number(big);
  }
  if (off < 0 || Math.floor(off / 8) >= maxBytes) throw new ReplyError(BIT_OFFSET_ERROR);
  return off;
}

/**
 * Looks a string up for reading, counting a keyspace hit or miss as Redis's
 * lookupKeyRead does (before the type check); throws WRONGTYPE.
 */
export function readString(c: Context, key: Bytes): Bytes | undefined {
  const v = c.db.get(key);
  if (v === undefined) {
    c.server.stats.keyspaceMisses++;
    return undefined;
  }
  c.server.stats.keyspaceHits++;
  if (typeof v !== "string") throw WRONGTYPE;
  return v;
}

/** Throws the bit-offset error when a string of `len` bytes cannot exist. */
export function checkGrowth(len: number): void {
  if (len > MAX_STRING_LENGTH) throw new ReplyError(BIT_OFFSET_ERROR);
}

/**
 * Converts bytes to a byte string. Large results (BITOP over big bitmaps) go
 * through node:buffer's "latin1", an exact byte-per-char mapping that is
 * about five times faster than chunked `String.fromCharCode` at that size
 * (loaded at the first such result: see core/node_builtin.ts).
 */
export function fromBytes(bytes: Uint8Array): Bytes {
  if (bytes.length < 65536) return bytesToString(bytes, 0, bytes.length);
  const { Buffer } = nodeBuiltin<typeof import("node:buffer")>("node:buffer");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
}

/**
 * Returns `s` with `bytes` written at byte `at`, zero-padding the string
 * when it must grow. Builds from slices, so the unchanged parts are not
 * copied byte by byte.
 */
export function spliceBytes(s: Bytes, at: number, bytes: Uint8Array): Bytes {
  const mid = fromBytes(bytes);
  const end = at + bytes.length;
  const prefix = at <= s.length ? s.slice(0, at) : s + "\x00".repeat(at - s.length);
  return end < s.length ? prefix + mid + s.slice(end) : prefix + mid;
}

/**
 * A byte string seen as zero-padded to infinity, with a writable window of
 * bytes `[lo, hi)` copied out of it; {@link ByteWindow.result} splices the
 * window back.
 */
class ByteWindow {
  readonly #base: Bytes;
  readonly #lo: number;
  readonly #win: Uint8Array;

  constructor(base: Bytes, lo: number, hi: number) {
    this.#base = base;
    this.#lo = lo;
    this.#win = new Uint8Array(Math.max(0, hi - lo));
    const end = Math.min(hi, base.length);
    for (let i = lo; i < end; i++) this.#win[i - lo] = base.charCodeAt(i);
  }

  byteAt(i: number): number {
    const j = i - this.#lo;
    if (j >= 0 && j < this.#win.length) return this.#win[j]!;
    return i < this.#base.length ? this.#base.charCodeAt(i) : 0;
  }

  /** Only called for bytes inside the window. */
  setByte(i: number, v: number): void {
    this.#win[i - this.#lo] = v;
  }

  result(): Bytes {
    return spliceBytes(this.#base, this.#lo, this.#win);
  }
}

/** Reads `bits` bits (MSB first) at bit `offset` as an unsigned value. */
function readBits(w: ByteWindow, offset: number, bits: number): bigint {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  let acc = 0n;
  for (let b = first; b <= last; b++) acc = (acc << 8n) | BigInt(w.byteAt(b));
  const shift = BigInt((last - first + 1) * 8 - (offset - first * 8) - bits);
  return (acc >> shift) & ((1n << BigInt(bits)) - 1n);
}

/** Writes the low `bits` bits of `value` at bit `offset`. */
function writeBits(w: ByteWindow, offset: number, bits: number, value: bigint): void {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  let acc = 0n;
  for (let b = first; b <= last; b++) acc = (acc << 8n) | BigInt(w.byteAt(b));
  const shift = BigInt((last - first + 1) * 8 - (offset - first * 8) - bits);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  acc = (acc & ~mask) | ((BigInt.asUintN(bits, value) << shift) & mask);
  for (let b = last; b >= first; b--) {
    w.setByte(b, Number(acc & 0xffn));
    acc >>= 8n;
  }
}

type Overflow = "wrap" | "sat" | "fail";

/**
 * Redis's checkUnsignedBitfieldOverflow: `value` is a u64, `incr` an i64.
 * Returns the replacement value on overflow (undefined for FAIL), or null
 * when there is no overflow.
 */
function unsignedOverflow(
  value: bigint,
  incr: bigint,
  bits: number,
  ow: Overflow,
): bigint | undefined | null {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  if (value > max || (incr > 0n && incr > maxincr)) {
    return ow === "wrap" ? BigInt.asUintN(bits, value + incr) : ow === "sat" ? max : undefined;
  }
  if (incr < 0n && incr < minincr) {
    return ow === "wrap" ? BigInt.asUintN(bits, value + incr) : ow === "sat" ? 0n : undefined;
  }
  return null;
}

/** Redis's checkSignedBitfieldOverflow, with its 64-bit wrap-arounds. */
function signedOverflow(
  value: bigint,
  incr: bigint,
  bits: number,
  ow: Overflow,
): bigint | undefined | null {
  const max = (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  const wide = bits === 64;
  if (
    value > max || (!wide && incr > maxincr) ||
    (value >= 0n && incr > 0n && incr > maxincr)
  ) {
    return ow === "wrap" ? BigInt.asIntN(bits, value + incr) : ow === "sat" ? max : undefined;
  }
  if (
    value < min || (!wide && incr < minincr) ||
    (value < 0n && incr < 0n && incr < minincr)
  ) {
    return ow === "wrap" ? BigInt.asIntN(bits, value + incr) : ow === "sat" ? min : undefined;
  }
  return null;
}

const TYPE_ERROR =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/** Parses `i<1-64>` or `u<1-63>` (case-sensitive, as Redis). */
function parseType(arg: Bytes): { signed: boolean; bits: number } {
  const c0 = arg.charCodeAt(0);
  const signed = c0 === 105; // 'i'
  if (!signed && c0 !== 117) throw new ReplyError(TYPE_ERROR); // 'u'
  // C reads the width with strlen(): it stops at a NUL byte.
  let rest = arg.slice(1);
  const nul = rest.indexOf("\x00");
  if (nul !== -1) rest = rest.slice(0, nul);
  const bits = parseInteger(rest);
  if (bits === undefined || bits < 1 || bits > (signed ? 64 : 63)) {
    throw new ReplyError(TYPE_ERROR);
  }
  return { signed, bits };
}

interface FieldOp {
  op: "get" | "set" | "incrby";
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  ow: Overflow;
}

/** Writes a 64-bit integer reply (beyond 2^53 when needed). */
function replyInt64(c: Context, v: bigint): void {
  if (v >= -9007199254740991n && v <= 9007199254740991n) c.reply.integer(Number(v));
  else c.reply.bigInteger(v);
}

function bitfield(c: Context, argv: Bytes[], readonlyCmd: boolean): void {
  const key = argv[1]!;
  const ops: FieldOp[] = [];
  let ow: Overflow = "wrap";
  let writes = false;
  let lowWrite = Infinity, highWrite = -1; // bit range written
  for (let j = 2; j < argv.length; j++) {
    const rem = argv.length - j - 1;
    const sub = argv[j]!.toLowerCase();
    let op: FieldOp["op"];
    if (sub === "get" && rem >= 2) op = "get";
    else if (sub === "set" && rem >= 3) op = "set";
    else if (sub === "incrby" && rem >= 3) op = "incrby";
    else if (sub === "overflow" && rem >= 1) {
      const t = argv[++j]!.toLowerCase();
      if (t !== "wrap" && t !== "sat" && t !== "fail") {
        throw new ReplyError("ERR Invalid OVERFLOW type specified");
      }
      ow = t;
      continue;
    } else {
      throw new ReplyError(Err.syntax);
    }
    const { signed, bits } = parseType(argv[j + 1]!);
    const offset = parseBitOffset(c, argv[j + 2]!, true, bits);
    let value = 0n;
    if (op !== "get") {
      writes = true;
      lowWrite = Math.min(lowWrite, offset);
      highWrite = Math.max(highWrite, offset + bits - 1);
      const v = parseBigInteger(argv[j + 3]!);
      if (v === undefined) throw new ReplyError(Err.notInteger);
      value = v;
    }
    ops.push({ op, signed, bits, offset, value, ow });
    j += op === "get" ? 2 : 3;
  }

  let base: Bytes;
  let w: ByteWindow;
  // Created or grown: then every write counts as a change, as in Redis.
  let grown = false;
  if (!writes) {
    base = readString(c, key) ?? "";
    w = new ByteWindow(base, 0, 0);
  } else {
    if (readonlyCmd) throw new ReplyError("ERR BITFIELD_RO only supports the GET subcommand");
    const old = c.db.getString(key);
    base = old ?? "";
    const hi = Math.floor(highWrite / 8) + 1;
    checkGrowth(hi);
    grown = old === undefined || hi > base.length;
    w = new ByteWindow(base, Math.floor(lowWrite / 8), hi);
  }
  let changes = 0;

  c.reply.array(ops.length);
  for (const o of ops) {
    const raw = readBits(w, o.offset, o.bits);
    const old = o.signed ? BigInt.asIntN(o.bits, raw) : raw;
    if (o.op === "get") {
      replyInt64(c, old);
      continue;
    }
    const check = o.signed ? signedOverflow : unsignedOverflow;
    let next: bigint;
    let ret: bigint;
    if (o.op === "incrby") {
      const r = check(old, o.value, o.bits, o.ow);
      if (r === undefined) {
        c.reply.nullBulk();
        continue;
      }
      next = r ?? old + o.value;
      ret = next;
    } else {
      // SET hands the value to the check as C's unsigned cast for u types.
      const v = o.signed ? o.value : BigInt.asUintN(64, o.value);
      const r = check(v, 0n, o.bits, o.ow);
      if (r === undefined) {
        c.reply.nullBulk();
        continue;
      }
      next = r ?? v;
      ret = old;
    }
    replyInt64(c, ret);
    writeBits(w, o.offset, o.bits, next);
    // A field set to the value it held changes nothing.
    if (grown || BigInt.asUintN(o.bits, next) !== raw) changes++;
  }

  if (writes) {
    // Redis creates and pads the key even when no write changed anything
    // (OVERFLOW FAIL), but then neither signals nor counts it.
    c.db.replace(key, w.result());
    if (changes !== 0) c.changed(key, "setbit", "$", changes);
  }
}

/**
 * BITFIELD's key flags for a call, as Redis's bitfieldGetKeys: read-only
 * when it has only GET (and OVERFLOW) operations.
 */
export function bitfieldKeyFlags(argv: readonly Bytes[]): readonly KeySpecFlag[] {
  for (let i = 2; i < argv.length; i++) {
    const rem = argv.length - i - 1;
    const a = argv[i]!.toLowerCase();
    if (a === "get" && rem >= 2) i += 2;
    else if (a === "overflow" && rem >= 1) i += 1;
    // SET, INCRBY, or a syntax error: safer to assume a write.
    else return RW_ACCESS_UPDATE;
  }
  return RO_ACCESS;
}

const RO_ACCESS: readonly KeySpecFlag[] = ["RO", "ACCESS"];
const RW_ACCESS_UPDATE: readonly KeySpecFlag[] = ["RW", "ACCESS", "UPDATE"];

const command = commandFamily({ category: "bitmap" });

/** The GET operation, BITFIELD_RO's only one. */
const GET_OPERATION = {
  name: "encoding_offset",
  type: "block",
  token: "GET",
  arguments: [{ name: "encoding", type: "string" }, { name: "offset", type: "integer" }],
} as const;

/** BITFIELD key [GET ...] [OVERFLOW ...] [SET ...] [INCRBY ...] */
export const bitfieldCommand = command({
  name: "bitfield",
  arity: -2,
  flags: ["write", "denyoom"],
  keySpecs: [{
    ...keys.one(1, ["RW", "ACCESS", "UPDATE", "VARIABLE_FLAGS"]),
    notes: "This command allows both access and modification of the key",
  }],
  keyFlags: bitfieldKeyFlags,
  docs: {
    summary: "Perform arbitrary bitfield integer operations on strings",
    since: "3.2.0",
    complexity: "O(1) for each subcommand specified",
    arguments: [
      { name: "key", type: "key", keySpecIndex: 0 },
      {
        name: "operation",
        type: "oneof",
        flags: ["optional", "multiple"],
        arguments: [
          GET_OPERATION,
          {
            name: "write",
            type: "block",
            arguments: [
              {
                name: "wrap_sat_fail",
                type: "oneof",
                token: "OVERFLOW",
                flags: ["optional"],
                arguments: [
                  { name: "wrap", type: "pure-token", token: "WRAP" },
                  { name: "sat", type: "pure-token", token: "SAT" },
                  { name: "fail", type: "pure-token", token: "FAIL" },
                ],
              },
              {
                name: "write_operation",
                type: "oneof",
                arguments: [
                  {
                    name: "encoding_offset_value",
                    type: "block",
                    token: "SET",
                    arguments: [
                      { name: "encoding", type: "string" },
                      { name: "offset", type: "integer" },
                      { name: "value", type: "integer" },
                    ],
                  },
                  {
                    name: "encoding_offset_increment",
                    type: "block",
                    token: "INCRBY",
                    arguments: [
                      { name: "encoding", type: "string" },
                      { name: "offset", type: "integer" },
                      { name: "increment", type: "integer" },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  },
  handler: (c, argv) => bitfield(c, argv, false),
});

/** BITFIELD_RO key [GET encoding offset ...] */
export const bitfieldRoCommand = command({
  name: "bitfield_ro",
  arity: -2,
  flags: ["readonly", "fast"],
  keySpecs: [keys.one(1, ["RO", "ACCESS"])],
  docs: {
    summary:
      "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
    since: "6.0.0",
    complexity: "O(1) for each subcommand specified",
    arguments: [
      { name: "key", type: "key", keySpecIndex: 0 },
      { ...GET_OPERATION, flags: ["optional", "multiple", "multiple_token"] },
    ],
  },
  handler: (c, argv) => bitfield(c, argv, true),
});
