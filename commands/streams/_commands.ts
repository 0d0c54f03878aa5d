/**
 * The stream commands that work on entries: XADD, XRANGE, XREVRANGE, XLEN,
 * XDEL, XTRIM and XSETID, with Redis 7.0's argument parsing, errors,
 * keyspace events and propagation (a generated id and an approximate trim
 * are propagated in their exact, deterministic form).
 *
 * @module
 */

import type { Bytes, Context, ReplyWriter } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import {
  cmpId,
  endBound,
  incrId,
  isZeroId,
  MAX_ID,
  parseId,
  replyId,
  startBound,
  type StreamId,
  StreamId as Id,
  strictId,
  ZERO_ID,
} from "./_id.ts";
import { type NodeLimits, SAMEFIELDS, type StreamNode, type TrimArgs } from "./_log.ts";
import { StreamValue } from "./_value.ts";

/** The stream at `key` (WRONGTYPE for other types). */
export function getStream(c: Context, key: Bytes): StreamValue | undefined {
  return c.db.getTyped<StreamValue>(key, "stream");
}

/** Writes one entry: `[id, [field, value, ...]]`. */
export function writeEntry(r: ReplyWriter, node: StreamNode, i: number): void {
  r.array(2);
  node.writeId(r, i);
  const d = node.data[i]!;
  if ((node.flags[i]! & SAMEFIELDS) !== 0) {
    const mf = node.masterFields;
    r.array(mf.length * 2);
    if (typeof d === "string") {
      r.bulk(mf[0]!);
      r.bulk(d);
    } else {
      for (let k = 0; k < mf.length; k++) {
        r.bulk(mf[k]!);
        r.bulk(d[k]!);
      }
    }
  } else {
    r.bulkArray(d as Bytes[]);
  }
}

/** Redis's addReplySubcommandSyntaxError (XGROUP, XINFO). */
export function subcommandSyntax(argv: Bytes[]): ReplyError {
  return new ReplyError(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1]!.slice(0, 128)}'. Try ${
      argv[0]!.toUpperCase()
    } HELP.`,
  );
}

/** Parses a long long argument with Redis's generic error. */
export function llArg(s: Bytes, msg: string = Err.notInteger): number {
  const n = parseInteger(s);
  if (n === undefined) throw new ReplyError(msg);
  return n;
}

/** What XADD and XTRIM parse (streamAddTrimArgs). */
interface AddTrimArgs {
  /** Position of the id argument (XADD), or argc. */
  idPos: number;
  id: StreamId;
  idGiven: boolean;
  seqGiven: boolean;
  noMkstream: boolean;
  trim: TrimArgs | undefined;
  /** Position of the MAXLEN/MINID threshold argument. */
  trimArgIdx: number;
}

/** Redis's streamParseAddOrTrimArgsOrReply. */
function parseAddTrim(argv: Bytes[], xadd: boolean, limits: NodeLimits): AddTrimArgs {
  const a: AddTrimArgs = {
    idPos: argv.length,
    id: ZERO_ID,
    idGiven: false,
    seqGiven: true,
    noMkstream: false,
    trim: undefined,
    trimArgIdx: 0,
  };
  let strategy: "maxlen" | "minid" | undefined;
  let approx = false, maxlen = 0, minid = ZERO_ID, limit = 0, limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i]!;
    if (xadd && opt === "*") break;
    const lc = opt.length <= 10 ? opt.toLowerCase() : "";
    if ((lc === "maxlen" || lc === "minid") && more > 0) {
      if (strategy !== undefined) {
        throw new ReplyError(
          "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
        );
      }
      approx = false;
      const next = argv[i + 1]!;
      if (more >= 2 && next === "~") {
        approx = true;
        i++;
      } else if (more >= 2 && next === "=") {
        i++;
      }
      if (lc === "maxlen") {
        maxlen = llArg(argv[i + 1]!);
        if (maxlen < 0) throw new ReplyError("ERR The MAXLEN argument must be >= 0.");
      } else {
        minid = strictId(argv[i + 1]!);
      }
      i++;
      strategy = lc;
      a.trimArgIdx = i;
    } else if (lc === "limit" && more > 0) {
      limit = llArg(argv[i + 1]!);
      if (limit < 0) throw new ReplyError("ERR The LIMIT argument must be >= 0.");
      limitGiven = true;
      i++;
    } else if (xadd && lc === "nomkstream") {
      a.noMkstream = true;
    } else if (xadd) {
      const p = parseId(opt, { strict: true, allowSeqStar: true });
      a.id = p.id;
      a.seqGiven = p.seqGiven;
      a.idGiven = true;
      break;
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  a.idPos = i;
  if (limit !== 0 && strategy === undefined) {
    throw new ReplyError(
      "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
    );
  }
  if (!xadd && strategy === undefined) {
    throw new ReplyError("ERR syntax error, XTRIM must be called with a trimming strategy");
  }
  if (limitGiven) {
    if (!approx) {
      throw new ReplyError("ERR syntax error, LIMIT cannot be used without the special ~ option");
    }
  } else if (approx) {
    limit = 100 * limits.maxEntries;
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
  } else {
    limit = 0;
  }
  if (strategy !== undefined) a.trim = { strategy, maxlen, minid, approx, limit };
  return a;
}

/** Trims after XADD/XTRIM; returns the entries removed. */
function trimStream(s: StreamValue, t: TrimArgs): number {
  const deleted = s.log.trim(t);
  if (s.length === 0) s.firstId = ZERO_ID;
  else if (deleted !== 0) s.refreshFirstId();
  return deleted;
}

/**
 * The argv to propagate after an approximate trim: `~` becomes `=` and the
 * threshold the exact result (the length, or the first id left).
 */
function exactTrimArgv(argv: readonly Bytes[], a: AddTrimArgs, s: StreamValue): Bytes[] {
  const out = argv.slice();
  out[a.trimArgIdx - 1] = "=";
  out[a.trimArgIdx] = a.trim!.strategy === "maxlen"
    ? String(s.length)
    : s.firstIdWithTombstones().toString();
  return out;
}

const TWO32 = 4294967296;

/** XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ... */
export function xadd(c: Context, argv: Bytes[], limits: NodeLimits): void {
  const a = parseAddTrim(argv, true, limits);
  const fieldPos = a.idPos + 1;
  const nf = argv.length - fieldPos;
  if (nf < 2 || nf % 2 === 1) throw new ReplyError(Err.arity("xadd"));
  if (a.idGiven && a.seqGiven && isZeroId(a.id)) {
    throw new ReplyError("ERR The ID specified in XADD must be greater than 0-0");
  }
  const key = argv[1]!;
  let s = getStream(c, key);
  if (s === undefined) {
    if (a.noMkstream) {
      c.reply.nullBulk();
      return;
    }
    s = new StreamValue();
    c.db.set(key, s);
  }
  const last = s.lastId;
  if (cmpId(last, MAX_ID) === 0) {
    throw new ReplyError(
      "ERR The stream has exhausted the last possible ID, unable to add more items",
    );
  }
  let id: StreamId | undefined;
  if (!a.idGiven) {
    const now = c.server.keyspace.commandTime();
    const hi = Math.floor(now / TWO32), lo = now >>> 0;
    if (hi > last.msHi || (hi === last.msHi && lo > last.msLo)) id = new Id(hi, lo, 0, 0);
    else id = incrId(last);
  } else if (!a.seqGiven) {
    const u = a.id;
    if (u.msHi === last.msHi && u.msLo === last.msLo) {
      id = incrId(last);
      // Redis 7.0 reports a sequence overflow with this (odd) error.
      if (id === undefined || id.msHi !== u.msHi || id.msLo !== u.msLo) {
        throw new ReplyError("ERR Elements are too large to be stored");
      }
    } else id = u;
  } else {
    id = a.id;
  }
  if (id === undefined || cmpId(id, last) <= 0) {
    throw new ReplyError(
      "ERR The ID specified in XADD is equal or smaller than the target stream top item",
    );
  }
  s.log.append(id, argv, fieldPos, nf / 2, limits);
  s.lastId = id;
  s.entriesAdded++;
  if (s.length === 1) s.firstId = id;
  replyId(c.reply, id);
  c.changed(key, "xadd", "t");
  let prop: Bytes[] | undefined;
  if (a.trim !== undefined) {
    // Redis counts the entry added, not the ones the trim removed.
    if (trimStream(s, a.trim) !== 0) c.changed(key, "xtrim", "t", 0);
    if (a.trim.approx) prop = exactTrimArgv(argv, a, s);
  }
  if (!a.idGiven || !a.seqGiven) {
    // Its own form only when something receives it (no copy of argv per
    // XADD otherwise); as received it must not go out either way.
    if (!c.propagating) {
      c.preventPropagation();
      return;
    }
    prop ??= argv.slice();
    prop[a.idPos] = id.toString();
  }
  if (prop !== undefined) c.propagate(prop);
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] */
export function xtrim(c: Context, argv: Bytes[], limits: NodeLimits): void {
  const a = parseAddTrim(argv, false, limits);
  const key = argv[1]!;
  const s = getStream(c, key);
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  const deleted = trimStream(s, a.trim!);
  if (deleted !== 0) {
    c.changed(key, "xtrim", "t", deleted);
    if (a.trim!.approx) c.propagate(exactTrimArgv(argv, a, s));
  }
  c.reply.integer(deleted);
}

/** XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n] */
function xrangeGeneric(c: Context, argv: Bytes[], rev: boolean): void {
  const start = startBound(rev ? argv[3]! : argv[2]!);
  const end = endBound(rev ? argv[2]! : argv[3]!);
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (argv[j]!.toLowerCase() === "count" && j + 1 < argv.length) {
      count = llArg(argv[j + 1]!);
      if (count < 0) count = 0;
      j++;
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  const s = getStream(c, argv[1]!);
  const r = c.reply;
  if (s === undefined) {
    r.array(0);
    return;
  }
  if (count === 0) {
    r.nullArray();
    return;
  }
  writeRange(r, s, start, end, { rev, count: count === -1 ? 0 : count });
}

/** XRANGE key start end [COUNT count] */
export const xrange = (c: Context, argv: Bytes[]): void => xrangeGeneric(c, argv, false);
/** XREVRANGE key end start [COUNT count] */
export const xrevrange = (c: Context, argv: Bytes[]): void => xrangeGeneric(c, argv, true);

/** Writes the live entries in [start, end] as an array (at most `count`; 0: all). */
export function writeRange(
  r: ReplyWriter,
  s: StreamValue,
  start: StreamId,
  end: StreamId,
  opts: { rev: boolean; count: number },
): void {
  const nodes: StreamNode[] = [], idx: number[] = [];
  s.log.range(start, end, opts.rev, opts.count, (node, i) => {
    nodes.push(node);
    idx.push(i);
  });
  r.array(nodes.length);
  for (let k = 0; k < nodes.length; k++) writeEntry(r, nodes[k]!, idx[k]!);
}

/** XLEN key */
export function xlen(c: Context, argv: Bytes[]): void {
  const s = getStream(c, argv[1]!);
  c.reply.integer(s === undefined ? 0 : s.length);
}

/** XDEL key id [id ...] */
export function xdel(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  const s = getStream(c, key);
  if (s === undefined) {
    c.reply.integer(0);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) ids.push(strictId(argv[j]!));
  let deleted = 0, firstGone = false;
  for (const id of ids) {
    if (!s.log.delete(id)) continue;
    if (cmpId(id, s.firstId) === 0) firstGone = true;
    if (cmpId(id, s.maxDeletedId) > 0) s.maxDeletedId = id;
    deleted++;
  }
  if (deleted !== 0) {
    if (s.length === 0) s.firstId = ZERO_ID;
    else if (firstGone) s.refreshFirstId();
    c.changed(key, "xdel", "t", deleted);
  }
  c.reply.integer(deleted);
}

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
export function xsetid(c: Context, argv: Bytes[]): void {
  const id = strictId(argv[2]!);
  let entriesAdded = -1, maxDel = ZERO_ID;
  for (let i = 3; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i]!.toLowerCase();
    if (opt === "entriesadded" && more > 0) {
      entriesAdded = llArg(argv[i + 1]!);
      if (entriesAdded < 0) throw new ReplyError("ERR entries_added must be positive");
      i++;
    } else if (opt === "maxdeletedid" && more > 0) {
      maxDel = strictId(argv[i + 1]!);
      if (cmpId(id, maxDel) < 0) {
        throw new ReplyError(
          "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        );
      }
      i++;
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  const key = argv[1]!;
  const s = getStream(c, key);
  if (s === undefined) throw new ReplyError(Err.noSuchKey);
  if (s.length > 0) {
    if (cmpId(id, s.lastValidId()) < 0) {
      throw new ReplyError(
        "ERR The ID specified in XSETID is smaller than the target stream top item",
      );
    }
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      throw new ReplyError(
        "ERR The entries_added specified in XSETID is smaller than the target stream length",
      );
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (!isZeroId(maxDel)) s.maxDeletedId = maxDel;
  c.reply.ok();
  c.changed(key, "xsetid", "t");
}
