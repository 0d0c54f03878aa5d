/**
 * LCS: the longest common subsequence of two strings, with Redis 7.0's
 * option parsing, match ranges and reply layout.
 *
 * @module
 */

import { commandFamily } from "../../core/registry.ts";
import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";

const NOT_STRINGS = "ERR The specified keys must contain string values";
const NO_MEMORY = "ERR Insufficient memory, failed allocating transient memory for LCS";

/** One match: ranges in a and b (inclusive) and its length. */
type Match = [aStart: number, aEnd: number, bStart: number, bEnd: number, len: number];

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] */
function lcs(c: Context, argv: Bytes[]): void {
  const va = c.db.get(argv[1]!);
  const vb = c.db.get(argv[2]!);
  if (
    (va !== undefined && typeof va !== "string") || (vb !== undefined && typeof vb !== "string")
  ) {
    throw new ReplyError(NOT_STRINGS);
  }
  const a = va ?? "";
  const b = vb ?? "";
  let getLen = false, getIdx = false, withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    if (opt === "idx") getIdx = true;
    else if (opt === "len") getLen = true;
    else if (opt === "withmatchlen") withMatchLen = true;
    else if (opt === "minmatchlen" && j + 1 < argv.length) {
      const n = parseInteger(argv[++j]!);
      if (n === undefined) throw new ReplyError(Err.notInteger);
      minMatchLen = n < 0 ? 0 : n;
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  if (getIdx && getLen) {
    throw new ReplyError("ERR If you want both the length and indexes, please just use IDX.");
  }
  if (getLen) {
    c.reply.integer(lcsLength(a, b));
    return;
  }
  const alen = a.length, blen = b.length;
  const w = blen + 1;
  let table: Uint32Array;
  try {
    table = new Uint32Array((alen + 1) * w);
  } catch {
    throw new ReplyError(NO_MEMORY);
  }
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * w, prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) {
        table[row + j] = table[prev + j - 1]! + 1;
      } else {
        const l1 = table[prev + j]!, l2 = table[row + j - 1]!;
        table[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  const total = table[alen * w + blen]!;
  // Walk back from the end as Redis does, collecting the LCS (backwards)
  // and the contiguous match ranges.
  const out: number[] = new Array(total);
  let idx = total;
  const matches: Match[] = [];
  let aStart = alen, aEnd = 0, bStart = 0, bEnd = 0;
  let i = alen, j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    const ch = a.charCodeAt(i - 1);
    if (ch === b.charCodeAt(j - 1)) {
      out[--idx] = ch;
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if (table[(i - 1) * w + j]! > table[i * w + j - 1]!) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const len = aEnd - aStart + 1;
      if (getIdx && (minMatchLen === 0 || len >= minMatchLen)) {
        matches.push([aStart, aEnd, bStart, bEnd, len]);
      }
      aStart = alen;
    }
  }
  const r = c.reply;
  if (!getIdx) {
    r.bulk(fromCodes(out));
    return;
  }
  r.map(2);
  r.bulk("matches");
  r.array(matches.length);
  for (const m of matches) {
    r.array(withMatchLen ? 3 : 2);
    r.array(2);
    r.integer(m[0]);
    r.integer(m[1]);
    r.array(2);
    r.integer(m[2]);
    r.integer(m[3]);
    if (withMatchLen) r.integer(m[4]);
  }
  r.bulk("len");
  r.integer(total);
}

/** Builds a byte string from char codes in chunks (no argument-count limit). */
function fromCodes(codes: number[]): string {
  let s = "";
  for (let k = 0; k < codes.length; k += 8192) {
    s += String.fromCharCode(...codes.slice(k, k + 8192));
  }
  return s;
}

/** The LCS length only, with two rows instead of the whole table. */
function lcsLength(a: string, b: string): number {
  const blen = b.length;
  let prev = new Uint32Array(blen + 1);
  let cur = new Uint32Array(blen + 1);
  for (let i = 1; i <= a.length; i++) {
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) cur[j] = prev[j - 1]! + 1;
      else {
        const l1 = prev[j]!, l2 = cur[j - 1]!;
        cur[j] = l1 > l2 ? l1 : l2;
      }
    }
    [prev, cur] = [cur, prev];
  }
  return prev[blen]!;
}

const command = commandFamily({ category: "string" });

/** The LCS command. */
export const lcsCommand = command({
  name: "lcs",
  arity: -3,
  flags: ["readonly"],
  keySpecs: [{
    flags: ["RO", "ACCESS"],
    begin: { index: 1 },
    find: { range: { lastkey: 1, step: 1, limit: 0 } },
  }],
  docs: {
    summary: "Find longest common substring",
    since: "7.0.0",
    complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
    arguments: [
      { name: "key1", type: "key", keySpecIndex: 0 },
      { name: "key2", type: "key", keySpecIndex: 0 },
      { name: "len", type: "pure-token", token: "LEN", flags: ["optional"] },
      { name: "idx", type: "pure-token", token: "IDX", flags: ["optional"] },
      { name: "len", type: "integer", token: "MINMATCHLEN", flags: ["optional"] },
      { name: "withmatchlen", type: "pure-token", token: "WITHMATCHLEN", flags: ["optional"] },
    ],
  },
  handler: lcs,
});
