/**
 * XINFO STREAM (and FULL [COUNT n]), XINFO GROUPS, XINFO CONSUMERS and
 * XINFO HELP, field for field as Redis 7.0 replies (maps in RESP3).
 *
 * @module
 */

import type { Bytes, Context, ReplyWriter } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { replyHelp } from "../../core/help.ts";
import { MAX_ID, ZERO_ID } from "./_id.ts";
import type { StreamValue } from "./_value.ts";
import type { ConsumerGroup, IdMap, Nack } from "./_groups.ts";
import { getStream, llArg, subcommandSyntax, writeEntry, writeRange } from "./_commands.ts";

/** XINFO HELP */
export function xinfoHelp(c: Context, argv: Bytes[]): void {
  replyHelp(c, argv, [
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
  ]);
}

function streamOrNoKey(c: Context, key: Bytes): StreamValue {
  const s = getStream(c, key);
  if (s === undefined) throw new ReplyError(Err.noSuchKey);
  return s;
}

/**
 * XINFO STREAM FULL's `pel-count` and `pending` fields of a group or a
 * consumer: the first `count` entries (0: all) in id order, each with its
 * owner when the list is a group's.
 */
function writePending(r: ReplyWriter, pel: IdMap, count: number, owners: boolean): void {
  r.bulk("pel-count");
  r.integer(pel.size);
  r.bulk("pending");
  const list: Nack[] = [];
  for (const n of pel.values()) {
    if (count !== 0 && list.length >= count) break;
    list.push(n);
  }
  r.array(list.length);
  for (const n of list) {
    r.array(owners ? 4 : 3);
    r.bulk(n.id.toString());
    if (owners) r.bulk(n.consumer!.name);
    r.integer(n.deliveryTime);
    r.integer(n.deliveryCount);
  }
}

function lag(r: ReplyWriter, s: StreamValue, g: ConsumerGroup): void {
  const l = s.lag(g);
  if (l === undefined) r.nullBulk();
  else r.integer(l);
}

function entriesRead(r: ReplyWriter, g: ConsumerGroup): void {
  if (g.entriesRead === -1) r.nullBulk();
  else r.integer(g.entriesRead);
}

/** XINFO STREAM key [FULL [COUNT count]] */
export function xinfoStream(c: Context, argv: Bytes[]): void {
  const s = streamOrNoKey(c, argv[2]!);
  const opts = argv.length - 3;
  let full = false, count = 10;
  if (opts !== 0) {
    if (opts !== 1 && opts !== 3) throw subcommandSyntax(argv);
    if (argv[3]!.toLowerCase() !== "full") throw subcommandSyntax(argv);
    if (opts === 3) {
      if (argv[4]!.toLowerCase() !== "count") throw subcommandSyntax(argv);
      count = llArg(argv[5]!);
      if (count < 0) count = 10;
    }
    full = true;
  }
  const r = c.reply;
  r.map(full ? 9 : 10);
  r.bulk("length");
  r.integer(s.length);
  r.bulk("radix-tree-keys");
  r.integer(s.log.nodes.length);
  r.bulk("radix-tree-nodes");
  r.integer(s.log.radixNodes());
  r.bulk("last-generated-id");
  r.bulk(s.lastId.toString());
  r.bulk("max-deleted-entry-id");
  r.bulk(s.maxDeletedId.toString());
  r.bulk("entries-added");
  r.integer(s.entriesAdded);
  r.bulk("recorded-first-entry-id");
  r.bulk(s.firstId.toString());
  if (!full) {
    r.bulk("groups");
    r.integer(s.groups?.size ?? 0);
    for (const last of [false, true]) {
      r.bulk(last ? "last-entry" : "first-entry");
      const at = s.log.edge(last, false);
      if (at === undefined) r.nullBulk();
      else writeEntry(r, at.node, at.index);
    }
    return;
  }
  r.bulk("entries");
  writeRange(r, s, ZERO_ID, MAX_ID, { rev: false, count });
  r.bulk("groups");
  const groups = s.sortedGroups();
  r.array(groups.length);
  for (const [name, g] of groups) {
    r.map(7);
    r.bulk("name");
    r.bulk(name);
    r.bulk("last-delivered-id");
    r.bulk(g.lastId.toString());
    r.bulk("entries-read");
    entriesRead(r, g);
    r.bulk("lag");
    lag(r, s, g);
    writePending(r, g.pel, count, true);
    r.bulk("consumers");
    const consumers = g.sortedConsumers();
    r.array(consumers.length);
    for (const cons of consumers) {
      r.map(4);
      r.bulk("name");
      r.bulk(cons.name);
      r.bulk("seen-time");
      r.integer(cons.seenTime);
      writePending(r, cons.pel, count, false);
    }
  }
}

/** XINFO GROUPS key */
export function xinfoGroups(c: Context, argv: Bytes[]): void {
  const s = streamOrNoKey(c, argv[2]!);
  const r = c.reply;
  const groups = s.sortedGroups();
  r.array(groups.length);
  for (const [name, g] of groups) {
    r.map(6);
    r.bulk("name");
    r.bulk(name);
    r.bulk("consumers");
    r.integer(g.consumers.size);
    r.bulk("pending");
    r.integer(g.pel.size);
    r.bulk("last-delivered-id");
    r.bulk(g.lastId.toString());
    r.bulk("entries-read");
    entriesRead(r, g);
    r.bulk("lag");
    lag(r, s, g);
  }
}

/** XINFO CONSUMERS key group */
export function xinfoConsumers(c: Context, argv: Bytes[]): void {
  const key = argv[2]!, name = argv[3]!;
  const s = streamOrNoKey(c, key);
  const g = s.group(name);
  if (g === undefined) {
    throw new ReplyError(`NOGROUP No such consumer group '${name}' for key name '${key}'`);
  }
  const r = c.reply;
  const now = c.server.clock.now();
  const consumers = g.sortedConsumers();
  r.array(consumers.length);
  for (const cons of consumers) {
    r.map(3);
    r.bulk("name");
    r.bulk(cons.name);
    r.bulk("pending");
    r.integer(cons.pel.size);
    r.bulk("idle");
    r.integer(Math.max(0, now - cons.seenTime));
  }
}
