/**
 * The bitmap family: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, and BITFIELD /
 * BITFIELD_RO (in `_bitfield.ts`). Bitmaps are plain string values; bit 0 is
 * the most significant bit of the first byte, and a string is treated as
 * zero-padded to infinity.
 *
 * Strings are immutable here, so a write rebuilds the value from slices of
 * the old one around the changed bytes: O(n) in the string's length where
 * Redis is O(1), but without copying byte by byte.
 *
 * @module
 */

import { commandFamily, definePlugin, keys } from "../../core/registry.ts";
import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { intArg, parseInteger } from "../../core/number.ts";
import {
  bitfieldCommand,
  bitfieldRoCommand,
  checkGrowth,
  fromBytes,
  parseBitOffset,
  readString,
  spliceBytes,
} from "./_bitfield.ts";

const BIT_VALUE_ERROR = "ERR bit is not an integer or out of range";

/** Set bits per byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = POPCOUNT[i >> 1]! + (i & 1);

function setbit(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  const offset = parseBitOffset(c, argv[2]!);
  const on = parseInteger(argv[3]!);
  if (on !== 0 && on !== 1) throw new ReplyError(BIT_VALUE_ERROR);
  const old = c.db.getString(key);
  const byte = Math.floor(offset / 8);
  const mask = 0x80 >> (offset & 7);
  const s = old ?? "";
  const grows = old === undefined || byte >= s.length;
  if (grows) checkGrowth(byte + 1);
  const before = byte < s.length ? s.charCodeAt(byte) : 0;
  const was = (before & mask) !== 0 ? 1 : 0;
  // Redis writes (and propagates) only when the key is created, grows, or
  // the bit actually flips.
  if (grows || was !== on) {
    const after = on ? before | mask : before & ~mask;
    c.db.replace(key, spliceBytes(s, byte, Uint8Array.of(after)));
    c.changed(key, "setbit", "$");
  }
  c.reply.integer(was);
}

function getbit(c: Context, argv: Bytes[]): void {
  const offset = parseBitOffset(c, argv[2]!);
  const s = readString(c, argv[1]!);
  const byte = Math.floor(offset / 8);
  if (s === undefined || byte >= s.length) {
    c.reply.integer(0);
    return;
  }
  c.reply.integer((s.charCodeAt(byte) >> (7 - (offset & 7))) & 1);
}

/** Parses the optional BYTE|BIT unit argument. */
function isBitUnit(arg: Bytes): boolean {
  const u = arg.toLowerCase();
  if (u === "bit") return true;
  if (u === "byte") return false;
  throw new ReplyError(Err.syntax);
}

/**
 * Resolves a [start, end] range Redis-style: negative indexes count from the
 * end, then both are clamped into the string (in `total` units).
 */
function clampRange(start: number, end: number, total: number): [number, number] {
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  return [start, end];
}

/** Counts set bits in bit positions [from, to] of `s` (inclusive). */
function countBits(s: Bytes, from: number, to: number): number {
  const first = Math.floor(from / 8), last = Math.floor(to / 8);
  const head = 0xff >> (from & 7), tail = (0xff << (7 - (to & 7))) & 0xff;
  if (first === last) return POPCOUNT[s.charCodeAt(first) & head & tail]!;
  let n = POPCOUNT[s.charCodeAt(first) & head]! + POPCOUNT[s.charCodeAt(last) & tail]!;
  for (let i = first + 1; i < last; i++) n += POPCOUNT[s.charCodeAt(i)]!;
  return n;
}

function bitcount(c: Context, argv: Bytes[]): void {
  // Redis 7.0 looks the key up before parsing the range: a missing key
  // answers 0 whatever the arguments.
  const s = readString(c, argv[1]!);
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  const argc = argv.length;
  if (argc === 2) {
    c.reply.integer(s.length === 0 ? 0 : countBits(s, 0, s.length * 8 - 1));
    return;
  }
  if (argc !== 4 && argc !== 5) throw new ReplyError(Err.syntax);
  let start = intArg(argv[2]!), end = intArg(argv[3]!);
  const bit = argc === 5 && isBitUnit(argv[4]!);
  const total = bit ? s.length * 8 : s.length;
  if (start < 0 && end < 0 && start > end) {
    c.reply.integer(0);
    return;
  }
  [start, end] = clampRange(start, end, total);
  if (start > end) {
    c.reply.integer(0);
    return;
  }
  c.reply.integer(bit ? countBits(s, start, end) : countBits(s, start * 8, end * 8 + 7));
}

/** First bit equal to `bit` in bit positions [from, to], or -1. */
function findBit(s: Bytes, bit: number, from: number, to: number): number {
  const first = Math.floor(from / 8), last = Math.floor(to / 8);
  for (let i = first; i <= last; i++) {
    let v = s.charCodeAt(i);
    if (bit === 0) v = ~v & 0xff;
    if (i === first) v &= 0xff >> (from & 7);
    if (i === last) v &= (0xff << (7 - (to & 7))) & 0xff;
    if (v !== 0) return i * 8 + Math.clz32(v) - 24;
  }
  return -1;
}

function bitpos(c: Context, argv: Bytes[]): void {
  const bit = intArg(argv[2]!);
  if (bit !== 0 && bit !== 1) throw new ReplyError("ERR The bit argument must be 1 or 0.");
  // A missing key is an infinite run of zeros (checked before the range).
  const s = readString(c, argv[1]!);
  if (s === undefined) {
    c.reply.integer(bit ? -1 : 0);
    return;
  }
  const argc = argv.length;
  if (argc > 6) throw new ReplyError(Err.syntax);
  let start = 0, end = s.length - 1;
  let endGiven = false, isBit = false;
  if (argc >= 4) {
    start = intArg(argv[3]!);
    if (argc === 6) isBit = isBitUnit(argv[5]!);
    if (argc >= 5) {
      end = intArg(argv[4]!);
      endGiven = true;
    }
    [start, end] = clampRange(start, end, isBit ? s.length * 8 : s.length);
  }
  if (start > end) {
    c.reply.integer(-1);
    return;
  }
  const pos = isBit ? findBit(s, bit, start, end) : findBit(s, bit, start * 8, end * 8 + 7);
  if (pos !== -1 || bit === 1 || endGiven) {
    c.reply.integer(pos);
    return;
  }
  // Looking for a clear bit without an explicit end: the string continues
  // with zeros, so the first one is just past the range.
  c.reply.integer((end + 1) * 8);
}

function bitop(c: Context, argv: Bytes[]): void {
  const opname = argv[1]!.toLowerCase();
  if (opname !== "and" && opname !== "or" && opname !== "xor" && opname !== "not") {
    throw new ReplyError(Err.syntax);
  }
  if (opname === "not" && argv.length !== 4) {
    throw new ReplyError("ERR BITOP NOT must be called with a single source key.");
  }
  const dest = argv[2]!;
  const srcs: Bytes[] = [];
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const s = readString(c, argv[j]!) ?? "";
    srcs.push(s);
    if (s.length > maxlen) maxlen = s.length;
  }
  if (maxlen === 0) {
    if (c.db.delete(dest)) c.changed(dest, "del", "g");
    c.reply.integer(0);
    return;
  }
  const out = new Uint8Array(maxlen);
  const first = srcs[0]!;
  for (let i = 0; i < first.length; i++) out[i] = first.charCodeAt(i);
  if (opname === "not") {
    for (let i = 0; i < maxlen; i++) out[i] = ~out[i]! & 0xff;
  } else {
    for (let k = 1; k < srcs.length; k++) {
      const s = srcs[k]!;
      const n = s.length;
      if (opname === "and") {
        for (let i = 0; i < n; i++) out[i]! &= s.charCodeAt(i);
        out.fill(0, n);
      } else if (opname === "or") {
        for (let i = 0; i < n; i++) out[i]! |= s.charCodeAt(i);
      } else {
        for (let i = 0; i < n; i++) out[i]! ^= s.charCodeAt(i);
      }
    }
  }
  c.db.set(dest, fromBytes(out));
  c.changed(dest, "set", "$");
  c.reply.integer(maxlen);
}

const command = commandFamily({ category: "bitmap" });

/** The optional BYTE|BIT unit of BITCOUNT and BITPOS (Redis 7.0). */
const INDEX_UNIT = {
  name: "index_unit",
  type: "oneof",
  since: "7.0.0",
  flags: ["optional"],
  arguments: [
    { name: "byte", type: "pure-token", token: "BYTE" },
    { name: "bit", type: "pure-token", token: "BIT" },
  ],
} as const;
const UNIT_HISTORY = [["7.0.0", "Added the `BYTE|BIT` option."]] as const;

const commands = [
  command({
    name: "setbit",
    arity: 4,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
    docs: {
      summary: "Sets or clears the bit at offset in the string value stored at key",
      since: "2.2.0",
      complexity: "O(1)",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "offset", type: "integer" },
        { name: "value", type: "integer" },
      ],
    },
    handler: setbit,
  }),
  command({
    name: "getbit",
    arity: 3,
    flags: ["readonly", "fast"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Returns the bit value at offset in the string value stored at key",
      since: "2.2.0",
      complexity: "O(1)",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "offset", type: "integer" },
      ],
    },
    handler: getbit,
  }),
  command({
    name: "bitcount",
    arity: -2,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Count set bits in a string",
      since: "2.6.0",
      complexity: "O(N)",
      history: UNIT_HISTORY,
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        {
          name: "index",
          type: "block",
          flags: ["optional"],
          arguments: [
            { name: "start", type: "integer" },
            { name: "end", type: "integer" },
            INDEX_UNIT,
          ],
        },
      ],
    },
    handler: bitcount,
  }),
  command({
    name: "bitpos",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Find first bit set or clear in a string",
      since: "2.8.7",
      complexity: "O(N)",
      history: UNIT_HISTORY,
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "bit", type: "integer" },
        {
          name: "index",
          type: "block",
          flags: ["optional"],
          arguments: [
            { name: "start", type: "integer" },
            {
              name: "end_index",
              type: "block",
              flags: ["optional"],
              arguments: [{ name: "end", type: "integer" }, INDEX_UNIT],
            },
          ],
        },
      ],
    },
    handler: bitpos,
  }),
  command({
    name: "bitop",
    arity: -4,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(2, ["OW", "UPDATE"]), keys.rest(3, ["RO", "ACCESS"])],
    docs: {
      summary: "Perform bitwise operations between strings",
      since: "2.6.0",
      complexity: "O(N)",
      arguments: [
        { name: "operation", type: "string" },
        { name: "destkey", type: "key", keySpecIndex: 0 },
        { name: "key", type: "key", keySpecIndex: 1, flags: ["multiple"] },
      ],
    },
    handler: bitop,
  }),
  bitfieldCommand,
  bitfieldRoCommand,
];

/** The bitmap commands plugin. */
export default definePlugin({ name: "bitmaps", commands });
