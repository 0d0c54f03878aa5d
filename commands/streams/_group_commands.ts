/**
 * Consumer-group commands: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER,
 * DELCONSUMER, HELP), XACK, XPENDING, XCLAIM and XAUTOCLAIM, with Redis
 * 7.0's replies, errors, keyspace events and propagation (XCLAIM and
 * XAUTOCLAIM propagate one `XCLAIM ... FORCE JUSTID LASTID` per entry they
 * changed, never themselves).
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { replyHelp } from "../../core/help.ts";
import { parseBigInteger } from "../../core/number.ts";
import { cmpId, endBound, parseId, startBound, type StreamId, strictId, ZERO_ID } from "./_id.ts";
import { StreamValue } from "./_value.ts";
import { Consumer, ConsumerGroup, INVALID_ENTRIES_READ, Nack } from "./_groups.ts";
import { getStream, llArg, subcommandSyntax, writeEntry } from "./_commands.ts";
import { flushEffects, noEffects, touchConsumer, xclaimOp } from "./_read.ts";

/** The common part of XGROUP's subcommands (after HELP). */
function xgroupPrepare(
  c: Context,
  argv: Bytes[],
  sub: "create" | "setid" | "destroy" | "createconsumer" | "delconsumer",
): { s: StreamValue | undefined; g: ConsumerGroup | undefined; entriesRead: number; mk: boolean } {
  let mk = false, entriesRead = INVALID_ENTRIES_READ;
  for (let i = 5; i < argv.length;) {
    const o = argv[i]!.toLowerCase();
    if (sub === "create" && o === "mkstream") {
      mk = true;
      i++;
    } else if (
      (sub === "create" || sub === "setid") && o === "entriesread" && i + 1 < argv.length
    ) {
      entriesRead = llArg(argv[i + 1]!);
      if (entriesRead < 0 && entriesRead !== INVALID_ENTRIES_READ) {
        throw new ReplyError("ERR value for ENTRIESREAD must be positive or -1");
      }
      i += 2;
    } else {
      throw subcommandSyntax(argv);
    }
  }
  const key = argv[2]!, name = argv[3]!;
  const s = getStream(c, key);
  if (!mk && s === undefined) {
    throw new ReplyError(
      "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
    );
  }
  const g = s?.group(name);
  if (
    !mk && g === undefined &&
    (sub === "setid" || sub === "createconsumer" || sub === "delconsumer")
  ) {
    throw new ReplyError(`NOGROUP No such consumer group '${name}' for key name '${key}'`);
  }
  return { s, g, entriesRead, mk };
}

/** XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n] */
export function xgroupCreate(c: Context, argv: Bytes[]): void {
  const p = xgroupPrepare(c, argv, "create");
  if (argv.length > 8) throw subcommandSyntax(argv);
  const key = argv[2]!, name = argv[3]!;
  let s = p.s;
  const id = argv[4] === "$" ? (s === undefined ? ZERO_ID : s.lastId) : strictId(argv[4]!);
  if (s === undefined) {
    s = new StreamValue();
    c.db.set(key, s);
  }
  s.groups ??= new Map();
  if (s.groups.has(name)) {
    throw new ReplyError("BUSYGROUP Consumer Group name already exists");
  }
  s.groups.set(name, new ConsumerGroup(id, p.entriesRead));
  c.reply.ok();
  c.changed(key, "xgroup-create", "t");
}

/** XGROUP SETID key group id|$ [ENTRIESREAD n] */
export function xgroupSetid(c: Context, argv: Bytes[]): void {
  const p = xgroupPrepare(c, argv, "setid");
  if (argv.length !== 5 && argv.length !== 7) throw subcommandSyntax(argv);
  const id = argv[4] === "$" ? p.s!.lastId : parseId(argv[4]!).id;
  p.g!.lastId = id;
  p.g!.entriesRead = p.entriesRead;
  c.reply.ok();
  c.changed(argv[2]!, "xgroup-setid", "t");
}

/** XGROUP DESTROY key group */
export function xgroupDestroy(c: Context, argv: Bytes[]): void {
  const p = xgroupPrepare(c, argv, "destroy");
  if (p.g === undefined) {
    c.reply.integer(0);
    return;
  }
  p.s!.groups!.delete(argv[3]!);
  c.reply.integer(1);
  // Also wakes XREADGROUP clients blocked on the group: they fail.
  c.changed(argv[2]!, "xgroup-destroy", "t");
}

/** XGROUP CREATECONSUMER key group consumer */
export function xgroupCreateConsumer(c: Context, argv: Bytes[]): void {
  const p = xgroupPrepare(c, argv, "createconsumer");
  const g = p.g!, name = argv[4]!;
  if (g.consumers.has(name)) {
    c.reply.integer(0);
    return;
  }
  g.consumers.set(name, new Consumer(name, c.server.clock.now()));
  c.reply.integer(1);
  c.changed(argv[2]!, "xgroup-createconsumer", "t");
}

/** XGROUP DELCONSUMER key group consumer */
export function xgroupDelConsumer(c: Context, argv: Bytes[]): void {
  const p = xgroupPrepare(c, argv, "delconsumer");
  const g = p.g!;
  const cons = g.consumers.get(argv[4]!);
  if (cons === undefined) {
    c.reply.integer(0);
    return;
  }
  const pending = cons.pel.size;
  g.deleteConsumer(cons);
  c.reply.integer(pending);
  c.changed(argv[2]!, "xgroup-delconsumer", "t");
}

/** XGROUP HELP */
export function xgroupHelp(c: Context, argv: Bytes[]): void {
  replyHelp(c, argv, [
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
  ]);
}

/** The stream and group a group command works on, or NOGROUP. */
function streamGroup(c: Context, key: Bytes, group: Bytes): [StreamValue, ConsumerGroup] {
  const s = getStream(c, key);
  const g = s?.group(group);
  if (g === undefined) {
    throw new ReplyError(`NOGROUP No such key '${key}' or consumer group '${group}'`);
  }
  return [s!, g];
}

/** XACK key group id [id ...] */
export function xack(c: Context, argv: Bytes[]): void {
  const g = getStream(c, argv[1]!)?.group(argv[2]!);
  if (g === undefined) {
    c.reply.integer(0);
    return;
  }
  const ids: StreamId[] = [];
  for (let j = 3; j < argv.length; j++) ids.push(strictId(argv[j]!));
  let acked = 0;
  for (const id of ids) {
    const n = g.pel.get(id);
    if (n === undefined) continue;
    g.pel.delete(id);
    n.consumer?.pel.delete(id);
    acked++;
    // No keyspace event, as in Redis: only a change to propagate.
    c.wrote();
  }
  c.reply.integer(acked);
}

/** XPENDING key group [[IDLE min-idle] start end count [consumer]] */
export function xpending(c: Context, argv: Bytes[]): void {
  const argc = argv.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) throw new ReplyError(Err.syntax);
  let start = ZERO_ID, end = ZERO_ID, count = 0, minIdle = 0;
  let consumerName: Bytes | undefined;
  if (argc >= 6) {
    let at = 3;
    if (argv[3]!.toLowerCase() === "idle") {
      minIdle = llArg(argv[4]!);
      if (argc < 8) throw new ReplyError(Err.syntax);
      at += 2;
    }
    count = llArg(argv[at + 2]!);
    if (count < 0) count = 0;
    start = startBound(argv[at]!);
    end = endBound(argv[at + 1]!);
    if (at + 3 < argc) consumerName = argv[at + 3]!;
  }
  const [, g] = streamGroup(c, argv[1]!, argv[2]!);
  const r = c.reply;
  if (argc === 3) {
    r.array(4);
    r.integer(g.pel.size);
    if (g.pel.size === 0) {
      r.nullBulk();
      r.nullBulk();
      r.nullArray();
      return;
    }
    r.bulk(g.pel.first()!.id.toString());
    r.bulk(g.pel.last()!.id.toString());
    const owners = g.sortedConsumers().filter((x) => x.pel.size !== 0);
    r.array(owners.length);
    for (const o of owners) {
      r.array(2);
      r.bulk(o.name);
      r.bulk(String(o.pel.size));
    }
    return;
  }
  let pel = g.pel;
  if (consumerName !== undefined) {
    const cons = g.consumers.get(consumerName);
    if (cons === undefined) {
      r.array(0);
      return;
    }
    pel = cons.pel;
  }
  const now = c.server.clock.now();
  const out: Nack[] = [];
  if (count > 0) {
    for (const n of pel.from(start)) {
      if (cmpId(n.id, end) > 0) break;
      if (minIdle !== 0 && now - n.deliveryTime < minIdle) continue;
      out.push(n);
      if (out.length === count) break;
    }
  }
  r.array(out.length);
  for (const n of out) {
    r.array(4);
    r.bulk(n.id.toString());
    r.bulk(n.consumer!.name);
    r.integer(Math.max(0, now - n.deliveryTime));
    r.integer(n.deliveryCount);
  }
}

/** Assigns a NACK to `cons` (removing it from its previous owner). */
function moveNack(n: Nack, cons: Consumer): void {
  if (n.consumer === cons) return;
  n.consumer?.pel.delete(n.id);
  n.consumer = cons;
  cons.pel.set(n);
}

/** Drops a NACK whose entry was deleted from the stream. */
function dropNack(g: ConsumerGroup, n: Nack): void {
  g.pel.delete(n.id);
  n.consumer?.pel.delete(n.id);
}

/**
 * XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms]
 * [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]
 */
export function xclaim(c: Context, argv: Bytes[]): void {
  const key = argv[1]!, groupName = argv[2]!;
  const [s, g] = streamGroup(c, key, groupName);
  let minIdle = llArg(argv[4]!, "ERR Invalid min-idle-time argument for XCLAIM");
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  const idArgs: Bytes[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    let id: StreamId;
    try {
      id = strictId(argv[j]!);
    } catch {
      break;
    }
    ids.push(id);
    idArgs.push(argv[j]!);
  }
  const now = c.server.clock.now();
  let force = false, justid = false, retry = -1, delivery = -1, lastId = ZERO_ID;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j]!;
    const lc = opt.toLowerCase();
    if (lc === "force") force = true;
    else if (lc === "justid") justid = true;
    else if (lc === "idle" && more > 0) {
      delivery = now - llArg(argv[++j]!, "ERR Invalid IDLE option argument for XCLAIM");
    } else if (lc === "time" && more > 0) {
      delivery = llArg(argv[++j]!, "ERR Invalid TIME option argument for XCLAIM");
    } else if (lc === "retrycount" && more > 0) {
      retry = llArg(argv[++j]!, "ERR Invalid RETRYCOUNT option argument for XCLAIM");
    } else if (lc === "lastid" && more > 0) {
      lastId = strictId(argv[++j]!);
    } else {
      throw new ReplyError(`ERR Unrecognized XCLAIM option '${opt}'`);
    }
  }
  let propagateLast = false;
  if (cmpId(lastId, g.lastId) > 0) {
    g.lastId = lastId;
    propagateLast = true;
  }
  if (delivery !== -1) {
    if (delivery < 0 || delivery > now) delivery = now;
  } else {
    delivery = now;
  }
  const fx = noEffects();
  let cons: Consumer | undefined;
  const r = c.reply;
  const replies: (() => void)[] = [];
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    let n = g.pel.get(id);
    const at = s.log.find(id);
    if (at === undefined) {
      if (n !== undefined) {
        fx.ops.push(xclaimOp(key, groupName, g, idArgs[k]!, n));
        propagateLast = false;
        dropNack(g, n);
      }
      continue;
    }
    if (force && n === undefined) {
      n = new Nack(id, now, 1, undefined);
      g.pel.set(n);
    }
    if (n === undefined) continue;
    if (n.consumer !== undefined && minIdle !== 0 && now - n.deliveryTime < minIdle) continue;
    cons ??= touchConsumer(c, key, g, argv[3]!, fx)[0];
    n.deliveryTime = delivery;
    if (retry >= 0) n.deliveryCount = retry;
    else if (!justid) n.deliveryCount++;
    moveNack(n, cons);
    if (justid) {
      const idStr = id.toString();
      replies.push(() => r.bulk(idStr));
    } else {
      replies.push(() => writeEntry(r, at.node, at.index));
    }
    fx.ops.push(xclaimOp(key, groupName, g, idArgs[k]!, n));
    propagateLast = false;
  }
  if (propagateLast) {
    fx.ops.push([
      "XGROUP",
      "SETID",
      key,
      groupName,
      g.lastId.toString(),
      "ENTRIESREAD",
      String(g.entriesRead),
    ]);
  }
  r.array(replies.length);
  for (const w of replies) w();
  // Each claim, dropped entry and group update is a change.
  fx.dirty = fx.ops.length;
  flushEffects(c, fx);
}

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
export function xautoclaim(c: Context, argv: Bytes[]): void {
  const key = argv[1]!, groupName = argv[2]!;
  let minIdle = llArg(argv[4]!, "ERR Invalid min-idle-time argument for XAUTOCLAIM");
  if (minIdle < 0) minIdle = 0;
  const start = startBound(argv[5]!);
  let count = 100, justid = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const lc = argv[j]!.toLowerCase();
    if (lc === "count" && more > 0) {
      const n = parseBigInteger(argv[j + 1]!);
      // LONG_MAX / 16: COUNT * 10 attempts must not overflow.
      if (n === undefined || n < 1n || n > 576460752303423487n) {
        throw new ReplyError("ERR COUNT must be > 0");
      }
      count = Number(n);
      j++;
    } else if (lc === "justid") {
      justid = true;
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  const [s, g] = streamGroup(c, key, groupName);
  const fx = noEffects();
  let cons: Consumer | undefined;
  const now = c.server.clock.now();
  let attempts = count * 10;
  const claimed: (() => void)[] = [];
  const deleted: StreamId[] = [];
  const r = c.reply;
  const it = g.pel.from(start);
  while (attempts-- !== 0 && count !== 0) {
    const step = it.next();
    if (step.done) break;
    const n = step.value;
    const at = s.log.find(n.id);
    if (at === undefined) {
      fx.ops.push(xclaimOp(key, groupName, g, n.id.toString(), n));
      dropNack(g, n);
      deleted.push(n.id);
      count--;
      continue;
    }
    if (minIdle !== 0 && now - n.deliveryTime < minIdle) continue;
    cons ??= touchConsumer(c, key, g, argv[3]!, fx)[0];
    n.deliveryTime = now;
    if (!justid) n.deliveryCount++;
    moveNack(n, cons);
    const id = n.id;
    if (justid) claimed.push(() => r.bulk(id.toString()));
    else claimed.push(() => writeEntry(r, at.node, at.index));
    count--;
    fx.ops.push(xclaimOp(key, groupName, g, id.toString(), n));
  }
  const next = it.next();
  r.array(3);
  r.bulk(next.done ? "0-0" : next.value.id.toString());
  r.array(claimed.length);
  for (const w of claimed) w();
  r.array(deleted.length);
  for (const id of deleted) r.bulk(id.toString());
  fx.dirty = fx.ops.length;
  flushEffects(c, fx);
}
