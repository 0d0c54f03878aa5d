/**
 * XREAD and XREADGROUP, blocking included.
 *
 * With nothing to serve and BLOCK given, the handler parks the client with
 * `c.block` and passes the ids it waits after (`$` resolved to the stream's
 * last id at block time) as the block's `data`; the core re-runs the same
 * argv when one of the streams changes, and the re-run reads those ids
 * from `c.blockedData`, so `$` keeps its first meaning. As in Redis 7.0 a
 * woken reader is served from the first stream that has data, at most
 * COUNT (default 1000) entries, and a woken XREADGROUP whose stream or
 * group is gone fails with Redis's UNBLOCKED / NOGROUP error.
 *
 * XREADGROUP propagates what it changed in the group as Redis does: one
 * `XCLAIM ... FORCE JUSTID LASTID` per delivered entry, `XGROUP SETID ...
 * ENTRIESREAD` for NOACK reads, `XGROUP CREATECONSUMER` for a consumer a
 * NOACK read created; several commands go out wrapped in MULTI/EXEC.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";
import { parseTimeout } from "../../core/blocking.ts";
import { cmpId, incrId, MAX_ID, parseId, type StreamId, ZERO_ID } from "./_id.ts";
import type { StreamNode } from "./_log.ts";
import { StreamValue } from "./_value.ts";
import { Consumer, type ConsumerGroup, Nack } from "./_groups.ts";
import { getStream, llArg, writeEntry, writeRange } from "./_commands.ts";

/** Redis's XREAD_BLOCKED_DEFAULT_COUNT. */
const BLOCKED_DEFAULT_COUNT = 1000;

/** What a blocked reader remembers: the id per stream (undefined: `>`). */
interface ReadBlock {
  ids: (StreamId | undefined)[];
}

/**
 * What a group command changed: the commands it propagates, the keyspace
 * events of the consumers it created (sent once the reply is written) and
 * the other changes Redis counts (claims, streams served).
 */
export interface GroupEffects {
  ops: Bytes[][];
  events: [Bytes, string][];
  dirty: number;
}

/** No effects yet. */
export function noEffects(): GroupEffects {
  return { ops: [], events: [], dirty: 0 };
}

/**
 * Applies a group command's effects as Redis 7.0 does: each consumer
 * created is an event and a change, the other changes are counted, and
 * the commands go out one as is, several inside MULTI/EXEC (never the
 * command itself).
 */
export function flushEffects(c: Context, fx: GroupEffects): void {
  c.preventPropagation();
  for (const [key, ev] of fx.events) c.changed(key, ev, "t");
  if (fx.dirty !== 0) c.wrote(fx.dirty);
  if (fx.ops.length === 1) c.propagate(fx.ops[0]!);
  else if (fx.ops.length > 1) c.server.atomically(() => fx.ops.forEach((op) => c.propagate(op)));
}

/** The XCLAIM Redis propagates for a NACK (streamPropagateXCLAIM). */
export function xclaimOp(
  key: Bytes,
  group: Bytes,
  g: ConsumerGroup,
  id: Bytes,
  n: Nack,
): Bytes[] {
  return [
    "XCLAIM",
    key,
    group,
    n.consumer!.name,
    "0",
    id,
    "TIME",
    String(n.deliveryTime),
    "RETRYCOUNT",
    String(n.deliveryCount),
    "FORCE",
    "JUSTID",
    "LASTID",
    g.lastId.toString(),
  ];
}

/** Looks up or creates a consumer, refreshing its seen time. */
export function touchConsumer(
  c: Context,
  key: Bytes,
  g: ConsumerGroup,
  name: Bytes,
  fx: GroupEffects,
): [Consumer, boolean] {
  const now = c.server.clock.now();
  let cons = g.consumers.get(name);
  if (cons !== undefined) {
    cons.seenTime = now;
    return [cons, false];
  }
  cons = new Consumer(name, now);
  g.consumers.set(name, cons);
  fx.events.push([key, "xgroup-createconsumer"]);
  return [cons, true];
}

/** One stream a read serves. */
interface Serve {
  key: Bytes;
  s: StreamValue;
  /** First id to deliver (inclusive). */
  start: StreamId;
  history: boolean;
  group: ConsumerGroup | undefined;
}

/** XREAD [COUNT n] [BLOCK ms] STREAMS key ... id ... (and XREADGROUP). */
function xreadGeneric(c: Context, argv: Bytes[], groupRead: boolean): void {
  let timeout = -1, count = 0, streamsArg = 0, n = 0, noack = false;
  let groupName: Bytes | undefined, consumerName: Bytes | undefined;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i]!.toLowerCase();
    if (o === "block" && more > 0) {
      timeout = parseTimeout(argv[++i]!, "milliseconds");
    } else if (o === "count" && more > 0) {
      count = llArg(argv[++i]!);
      if (count < 0) count = 0;
    } else if (o === "streams" && more > 0) {
      streamsArg = i + 1;
      n = argv.length - streamsArg;
      if (n % 2 !== 0) {
        // Redis 7.0 words it this way for XREADGROUP too.
        throw new ReplyError(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
      }
      n /= 2;
      break;
    } else if (o === "group" && more >= 2) {
      if (!groupRead) {
        throw new ReplyError(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      groupName = argv[i + 1]!;
      consumerName = argv[i + 2]!;
      i += 2;
    } else if (o === "noack") {
      if (!groupRead) {
        throw new ReplyError(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      noack = true;
    } else {
      throw new ReplyError("ERR syntax error");
    }
  }
  if (streamsArg === 0) throw new ReplyError("ERR syntax error");
  if (groupRead && groupName === undefined) {
    throw new ReplyError("ERR Missing GROUP option for XREADGROUP");
  }
  const keys = argv.slice(streamsArg, streamsArg + n);
  const woken = c.blockedData as ReadBlock | undefined;
  if (woken !== undefined) {
    serveWoken(c, keys, woken, {
      count: count === 0 ? BLOCKED_DEFAULT_COUNT : count,
      groupName,
      consumerName,
      noack,
      woken: true,
      timeout,
    });
    return;
  }
  const ids: (StreamId | undefined)[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const key = keys[k]!;
    const arg = argv[streamsArg + n + k]!;
    const s = getStream(c, key);
    if (groupName !== undefined && (s === undefined || s.group(groupName) === undefined)) {
      throw new ReplyError(
        `NOGROUP No such key '${key}' or consumer group '${groupName}' in XREADGROUP with GROUP option`,
      );
    }
    if (arg === "$") {
      if (groupRead) {
        throw new ReplyError(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
      }
      ids[k] = s === undefined ? ZERO_ID : s.lastId;
    } else if (arg === ">") {
      if (!groupRead) {
        throw new ReplyError(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
        );
      }
      ids[k] = undefined;
    } else {
      ids[k] = parseId(arg, { strict: true }).id;
    }
  }
  const serve: Serve[] = [];
  for (let k = 0; k < n; k++) {
    const key = keys[k]!;
    const s = getStream(c, key);
    if (s === undefined) continue;
    const id = ids[k];
    if (groupName !== undefined) {
      const g = s.group(groupName)!;
      if (id !== undefined) {
        serve.push({ key, s, start: incrId(id) ?? ZERO_ID, history: true, group: g });
      } else if (s.length !== 0 && cmpId(s.lastValidId(), g.lastId) > 0) {
        serve.push({ key, s, start: incrId(g.lastId) ?? ZERO_ID, history: false, group: g });
      }
    } else if (s.length !== 0 && cmpId(s.lastValidId(), id!) > 0) {
      serve.push({ key, s, start: incrId(id!) ?? ZERO_ID, history: false, group: undefined });
    }
  }
  if (serve.length !== 0) {
    writeServed(c, serve, { count, groupName, consumerName, noack, woken: false });
    return;
  }
  if (timeout !== -1) {
    c.block({
      keys,
      timeoutMs: timeout,
      type: "stream",
      data: { ids } satisfies ReadBlock,
      wakeOnDelete: groupRead,
      independent: true,
    });
    return;
  }
  c.reply.nullArray();
}

/** XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...] */
export const xread = (c: Context, argv: Bytes[]): void => xreadGeneric(c, argv, false);
/**
 * XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds]
 * [NOACK] STREAMS key [key ...] id [id ...]
 */
export const xreadgroup = (c: Context, argv: Bytes[]): void => xreadGeneric(c, argv, true);

interface ServeOpts {
  count: number;
  groupName: Bytes | undefined;
  consumerName: Bytes | undefined;
  noack: boolean;
  /** A wake-up's re-run (Redis serves it without XREADGROUP's own counts). */
  woken: boolean;
}

/** A re-run after a wake-up: serve the first stream with data, or block again. */
function serveWoken(
  c: Context,
  keys: Bytes[],
  woken: ReadBlock,
  o: ServeOpts & { timeout: number },
): void {
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const v = c.db.get(key);
    const s = v instanceof StreamValue ? v : undefined;
    if (o.groupName !== undefined) {
      if (s === undefined) throw new ReplyError("UNBLOCKED the stream key no longer exists");
      const g = s.group(o.groupName);
      if (g === undefined) {
        throw new ReplyError(
          "NOGROUP the consumer group this client was blocked on no longer exists",
        );
      }
      if (s.length !== 0 && cmpId(s.lastValidId(), g.lastId) > 0) {
        const start = incrId(g.lastId) ?? ZERO_ID;
        writeServed(c, [{ key, s, start, history: false, group: g }], o);
        return;
      }
    } else if (s !== undefined) {
      const id = woken.ids[k]!;
      if (s.length !== 0 && cmpId(s.lastValidId(), id) > 0) {
        writeServed(
          c,
          [{ key, s, start: incrId(id) ?? ZERO_ID, history: false, group: undefined }],
          o,
        );
        return;
      }
    }
  }
  c.block({
    keys,
    timeoutMs: o.timeout,
    type: "stream",
    data: woken,
    wakeOnDelete: o.groupName !== undefined,
    independent: true,
  });
}

/** Writes the reply for the streams served (RESP2 pairs, RESP3 a map). */
function writeServed(c: Context, serve: Serve[], o: ServeOpts): void {
  const r = c.reply;
  if (r.resp === 2) r.array(serve.length);
  else r.map(serve.length);
  const fx = noEffects();
  for (const sv of serve) {
    if (r.resp === 2) r.array(2);
    r.bulk(sv.key);
    if (sv.group === undefined) {
      writeRange(r, sv.s, sv.start, MAX_ID, { rev: false, count: o.count });
      continue;
    }
    // Redis counts one change per stream a group read serves (only the
    // consumers created when it serves a woken reader).
    if (!o.woken) fx.dirty++;
    const [cons, created] = touchConsumer(c, sv.key, sv.group, o.consumerName!, fx);
    if (created && o.noack) {
      fx.ops.push(["XGROUP", "CREATECONSUMER", sv.key, o.groupName!, cons.name]);
    }
    if (sv.history) serveHistory(c, sv, cons, o.count);
    else serveNew(c, sv, cons, o, fx);
  }
  flushEffects(c, fx);
}

/** Delivers new entries to a consumer (`>`): PEL, group position, XCLAIMs. */
function serveNew(c: Context, sv: Serve, cons: Consumer, o: ServeOpts, fx: GroupEffects): void {
  const r = c.reply, s = sv.s, g = sv.group!;
  const nodes: StreamNode[] = [], idx: number[] = [];
  s.log.range(sv.start, MAX_ID, false, o.count, (node, i) => {
    nodes.push(node);
    idx.push(i);
  });
  r.array(nodes.length);
  const now = c.server.clock.now();
  let moved = false;
  for (let k = 0; k < nodes.length; k++) {
    const node = nodes[k]!, i = idx[k]!;
    const id = node.id(i);
    if (cmpId(id, g.lastId) > 0) {
      s.advanceGroup(g, id);
      moved = true;
    }
    writeEntry(r, node, i);
    if (o.noack) continue;
    let nack = g.pel.get(id);
    if (nack === undefined) {
      nack = new Nack(id, now, 1, cons);
      g.pel.set(nack);
      cons.pel.set(nack);
    } else {
      nack.consumer?.pel.delete(id);
      nack.consumer = cons;
      nack.deliveryTime = now;
      nack.deliveryCount = 1;
      cons.pel.set(nack);
    }
    fx.ops.push(xclaimOp(sv.key, o.groupName!, g, node.idString(i), nack));
  }
  if (moved && o.noack) {
    fx.ops.push([
      "XGROUP",
      "SETID",
      sv.key,
      o.groupName!,
      g.lastId.toString(),
      "ENTRIESREAD",
      String(g.entriesRead),
    ]);
  }
}

/** Re-delivers a consumer's own pending entries from `start` (history). */
function serveHistory(c: Context, sv: Serve, cons: Consumer, count: number): void {
  const r = c.reply;
  const list: Nack[] = [];
  for (const nack of cons.pel.from(sv.start)) {
    if (count !== 0 && list.length >= count) break;
    list.push(nack);
  }
  r.array(list.length);
  const now = c.server.clock.now();
  for (const nack of list) {
    const at = sv.s.log.find(nack.id);
    if (at === undefined) {
      r.array(2);
      r.bulk(nack.id.toString());
      r.nullArray();
      continue;
    }
    writeEntry(r, at.node, at.index);
    nack.deliveryTime = now;
    nack.deliveryCount++;
  }
}
