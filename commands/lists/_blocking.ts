/**
 * The blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
 *
 * Each handler does what its non-blocking twin does when a key has data,
 * and otherwise parks the client with `c.block` (the core re-runs the same
 * command when a key it waits on holds a list again, first blocked first
 * served). Whether run at once or on a wake-up, the pop that happened is
 * propagated as Redis 7.0 writes it to the AOF and replicas: `LPOP key`,
 * `RPOP key n`, `LMOVE src dst <from> <to>`, `RPOPLPUSH src dst`.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { parseTimeout } from "../../core/blocking.ts";
import { getList, mpopFirst, parseMpop, popOne, whereArg } from "./_ops.ts";
import { lmoveGeneric } from "./_commands.ts";

/** The block's data: a re-run finds it in `c.blockedData` (a wake-up). */
const WOKEN = "woken";

function bpop(c: Context, argv: Bytes[], left: boolean): void {
  const last = argv.length - 1;
  const timeoutMs = parseTimeout(argv[last]!, "seconds");
  for (let i = 1; i < last; i++) {
    const key = argv[i]!;
    const l = getList(c, key);
    if (l === undefined) continue;
    // Redis counts no change when it serves a woken BLPOP or BRPOP.
    const v = popOne(c, key, l, left, c.blockedData !== WOKEN);
    c.propagate([left ? "LPOP" : "RPOP", key]);
    const r = c.reply;
    r.array(2);
    r.bulk(key);
    r.bulk(v);
    return;
  }
  c.block({ keys: argv.slice(1, last), timeoutMs, type: "list", data: WOKEN });
}

/** BLPOP key [key ...] timeout */
export const blpop = (c: Context, argv: Bytes[]): void => bpop(c, argv, true);
/** BRPOP key [key ...] timeout */
export const brpop = (c: Context, argv: Bytes[]): void => bpop(c, argv, false);

function bmove(c: Context, argv: Bytes[], opts: {
  fromLeft: boolean;
  toLeft: boolean;
  timeoutMs: number;
  rewrite: readonly Bytes[];
}): void {
  const src = argv[1]!;
  if (getList(c, src) !== undefined) {
    // Redis counts no change when it serves a woken BLMOVE or BRPOPLPUSH.
    const counted = c.blockedData !== WOKEN;
    lmoveGeneric(c, argv, { fromLeft: opts.fromLeft, toLeft: opts.toLeft, counted });
    c.propagate(opts.rewrite);
    return;
  }
  // Inside MULTI Redis answers a null bulk here, though a timeout gives a
  // null array.
  if (!c.blockable) c.reply.nullBulk();
  else c.block({ keys: [src], timeoutMs: opts.timeoutMs, type: "list", data: WOKEN });
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
export function blmove(c: Context, argv: Bytes[]): void {
  const fromLeft = whereArg(argv[3]!), toLeft = whereArg(argv[4]!);
  const timeoutMs = parseTimeout(argv[5]!, "seconds");
  bmove(c, argv, {
    fromLeft,
    toLeft,
    timeoutMs,
    rewrite: ["LMOVE", argv[1]!, argv[2]!, argv[3]!, argv[4]!],
  });
}

/** BRPOPLPUSH source destination timeout */
export function brpoplpush(c: Context, argv: Bytes[]): void {
  const timeoutMs = parseTimeout(argv[3]!, "seconds");
  bmove(c, argv, {
    fromLeft: false,
    toLeft: true,
    timeoutMs,
    rewrite: ["RPOPLPUSH", argv[1]!, argv[2]!],
  });
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
export function blmpop(c: Context, argv: Bytes[]): void {
  const args = parseMpop(argv, 2);
  const timeoutMs = parseTimeout(argv[1]!, "seconds");
  if (!mpopFirst(c, args)) c.block({ keys: args.keys, timeoutMs, type: "list" });
}
