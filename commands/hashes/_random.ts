/**
 * HRANDFIELD and HSCAN: the hash commands whose output is not fully
 * determined by the data, with Redis 7.0's argument checks and reply shapes.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseBigInteger, parseInteger } from "../../core/number.ts";
import { globMatch } from "../../core/glob.ts";
import { parseScanCursor, parseScanOptions } from "../../core/cursor.ts";
import type { HashObject } from "./_value.ts";

const LONG_MAX = 9223372036854775807n;
const NOT_INTEGER = new ReplyError(Err.notInteger);
const SYNTAX = new ReplyError(Err.syntax);

/** The count argument: -LONG_MAX..LONG_MAX, as getRangeLongFromObjectOrReply. */
function parseCount(s: Bytes, withValues: boolean): number {
  const n = parseInteger(s);
  if (n === undefined) throw NOT_INTEGER;
  if (Number.isSafeInteger(n)) return n;
  const b = parseBigInteger(s)!;
  if (b < -LONG_MAX) {
    throw new ReplyError(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    );
  }
  // WITHVALUES doubles the reply: Redis refuses counts beyond LONG_MAX/2.
  if (withValues && (b < -LONG_MAX / 2n || b > LONG_MAX / 2n)) {
    throw new ReplyError("ERR value is out of range");
  }
  return n;
}

/** Writes one field (and its value) of an HRANDFIELD reply. */
function replyPair(c: Context, h: HashObject, f: Bytes, withValues: boolean): void {
  const r = c.reply;
  if (!withValues) {
    r.bulk(f);
    return;
  }
  if (r.resp === 3) r.array(2);
  r.bulk(f);
  r.bulk(h.map.get(f)!);
}

/**
 * HRANDFIELD key [count [WITHVALUES]]: one random field, or `count`
 * distinct fields (count > 0), or |count| fields with repetitions (< 0).
 * WITHVALUES pairs are flat in RESP2 and two-element arrays in RESP3.
 */
export function hrandfield(c: Context, argv: Bytes[]): void {
  const argc = argv.length;
  const r = c.reply;
  if (argc === 2) {
    const h = c.db.getTyped<HashObject>(argv[1]!, "hash");
    if (h === undefined) r.nullBulk();
    else r.bulk(h.randomField());
    return;
  }
  if (argc > 4 || (argc === 4 && argv[3]!.toLowerCase() !== "withvalues")) {
    parseCount(argv[2]!, false);
    throw SYNTAX;
  }
  const withValues = argc === 4;
  const l = parseCount(argv[2]!, withValues);
  const h = c.db.getTyped<HashObject>(argv[1]!, "hash");
  if (h === undefined || l === 0) {
    r.array(0);
    return;
  }
  const size = h.map.size;
  const flat = withValues && r.resp === 2;
  if (l < 0) {
    const count = -l;
    r.array(flat ? count * 2 : count);
    for (let i = 0; i < count; i++) replyPair(c, h, h.randomField(), withValues);
    return;
  }
  if (l >= size) {
    // The whole hash, in its own order (Redis's case 2).
    r.array(flat ? size * 2 : size);
    for (const f of h.map.keys()) replyPair(c, h, f, withValues);
    return;
  }
  const picked = h.distinctFields(l);
  r.array(flat ? l * 2 : l);
  for (const f of picked) replyPair(c, h, f, withValues);
}

/**
 * HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack-encoded hash
 * is returned whole with cursor 0, as Redis does; a hash table is walked
 * with a live iterator (see core/cursor.ts), COUNT fields per call.
 */
export function hscan(c: Context, argv: Bytes[]): void {
  const cursor = parseScanCursor(argv[2]!);
  const h = c.db.getTyped<HashObject>(argv[1]!, "hash");
  const r = c.reply;
  if (h === undefined) {
    // Redis answers before looking at the options.
    r.array(2);
    r.bulk("0");
    r.array(0);
    return;
  }
  const { count, pattern } = parseScanOptions(argv, 3);
  let next = "0";
  let entries: Iterable<[Bytes, Bytes]>;
  if (!h.ht) {
    entries = h.map;
  } else {
    const page = c.server.keyspace.cursors.scan(h.map, cursor, count, () => h.map.entries());
    next = page.cursor;
    entries = page.items;
  }
  const out: Bytes[] = [];
  for (const [f, v] of entries) {
    if (pattern !== undefined && !globMatch(pattern, f)) continue;
    out.push(f, v);
  }
  r.array(2);
  r.bulk(next);
  r.bulkArray(out);
}
