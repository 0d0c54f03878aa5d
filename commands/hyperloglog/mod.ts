/**
 * The HYPERLOGLOG family: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST,
 * with Redis 7.0's replies, errors, keyspace events and propagation. Values
 * are plain strings in Redis's own format (see `_codec.ts`), so GET,
 * DUMP/RESTORE and RDB files carry the same bytes as Redis's.
 *
 * Writes follow `hyperloglog.c`:
 * - PFADD and PFMERGE raise a `pfadd` string event; PFADD adds one to the
 *   dirty counter per register changed (plus one for a new key).
 * - PFCOUNT of one key whose cached cardinality is stale stores the new
 *   cache in the value: WATCH sees a change and the PFCOUNT is propagated
 *   (Redis's signalModifiedKey and dirty++), with no keyspace event.
 * - PFDEBUG GETREG / TODENSE on a sparse value convert it to dense and are
 *   propagated (dirty++), with neither event nor WATCH signal.
 *
 * @module
 */

import { commandFamily, definePlugin, keys } from "../../core/registry.ts";
import type { Bytes, CommandSpec, Context, EventClass } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";
import { LONG_MAX } from "../../core/config.ts";
import {
  cachedCard,
  denseAdd,
  denseAdded,
  estimate,
  freshCount,
  Hll,
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  isHll,
  rawHisto,
  selfTest,
} from "./_codec.ts";

const NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const INVALID = "INVALIDOBJ Corrupted HLL object detected";

/** A change WATCH sees that notifies nothing (signalModifiedKey alone). */
const NO_EVENT: EventClass = "";

/** The server's `hll-sparse-max-bytes` (see the plugin's `init`). */
type SparseMax = () => number;

/** Reads a key as an HLL: undefined when missing; errors as Redis. */
function readHll(c: Context, key: Bytes): Hll | undefined {
  const v = c.db.getString(key);
  if (v === undefined) return undefined;
  if (!isHll(v)) throw new ReplyError(NOT_HLL);
  return Hll.from(v);
}

/** Replies an unsigned 64-bit cardinality as Redis's addReplyLongLong. */
function replyCard(c: Context, card: number | bigint): void {
  if (typeof card === "number") {
    c.reply.integer(card);
    return;
  }
  const n = BigInt.asIntN(64, card);
  if (n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER)) {
    c.reply.integer(Number(n));
  } else {
    c.reply.bigInteger(n);
  }
}

/** PFADD key [element ...] */
function pfadd(c: Context, argv: Bytes[], sparseMax: SparseMax): void {
  const key = argv[1]!;
  const db = c.db;
  // A dense value is edited as a string: its 12 KB are not decoded.
  const v = db.getString(key);
  if (v !== undefined && v.charCodeAt(4) === HLL_DENSE && argv.length > 2 && isHll(v)) {
    const nv = denseAdd(v, argv, 2);
    if (denseAdded !== 0) {
      db.replace(key, nv);
      c.changed(key, "pfadd", "$", denseAdded);
    }
    c.reply.integer(denseAdded !== 0 ? 1 : 0);
    return;
  }
  let hll = readHll(c, key);
  let updated = 0;
  const created = hll === undefined;
  if (hll === undefined) {
    hll = Hll.create();
    updated++;
  }
  const max = sparseMax();
  for (let j = 2; j < argv.length; j++) {
    const r = hll.add(argv[j]!, max);
    if (r === 1) updated++;
    else if (r === -1) {
      // Redis edits the value in place: what was added before stays.
      db.replace(key, hll.toBytes());
      c.reply.error(INVALID);
      return;
    }
  }
  if (updated !== 0) {
    hll.invalidateCache();
    if (created) db.set(key, hll.toBytes());
    else db.replace(key, hll.toBytes());
    c.changed(key, "pfadd", "$", updated);
  }
  c.reply.integer(updated !== 0 ? 1 : 0);
}

/** PFCOUNT key [key ...] */
function pfcount(c: Context, argv: Bytes[]): void {
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const hll = readHll(c, argv[j]!);
      if (hll === undefined) continue;
      if (!hll.mergeInto(max)) throw new ReplyError(INVALID);
    }
    replyCard(c, estimate(rawHisto(max)));
    return;
  }
  const key = argv[1]!;
  const v = c.db.getString(key);
  if (v === undefined) {
    c.reply.integer(0);
    return;
  }
  // The usual case, a valid HLL with a fresh cache, in one read of its header.
  const fresh = freshCount(v);
  if (fresh >= 0) {
    c.reply.integer(fresh);
    return;
  }
  if (!isHll(v)) throw new ReplyError(NOT_HLL);
  // A valid cache is read from the header: no decoding.
  const cached = cachedCard(v);
  if (cached !== undefined) {
    replyCard(c, cached);
    return;
  }
  const hll = Hll.from(v);
  const card = hll.count();
  if (card === undefined) throw new ReplyError(INVALID);
  hll.cached = card;
  c.db.replace(key, hll.toBytes());
  c.changed(key, "", NO_EVENT);
  replyCard(c, card);
}

/** PFMERGE destkey [sourcekey ...] */
function pfmerge(c: Context, argv: Bytes[], sparseMax: SparseMax): void {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  let dest: Hll | undefined;
  for (let j = 1; j < argv.length; j++) {
    const hll = readHll(c, argv[j]!);
    if (hll === undefined) continue;
    if (j === 1) dest = hll;
    if (hll.encoding !== HLL_SPARSE) useDense = true;
    if (!hll.mergeInto(max)) throw new ReplyError(INVALID);
  }
  const key = argv[1]!;
  const created = dest === undefined;
  dest ??= Hll.create();
  // Cannot fail: the destination's opcodes were checked by the merge.
  if (useDense && !dest.toDense()) throw new ReplyError(INVALID);
  const sparse = sparseMax();
  for (let j = 0; j < HLL_REGISTERS; j++) {
    if (max[j] !== 0) dest.set(j, max[j]!, sparse);
  }
  dest.invalidateCache();
  if (created) c.db.set(key, dest.toBytes());
  else c.db.replace(key, dest.toBytes());
  c.changed(key, "pfadd", "$");
  c.reply.ok();
}

/** PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key */
function pfdebug(c: Context, argv: Bytes[]): void {
  const sub = argv[1]!;
  const key = argv[2]!;
  const v = c.db.getString(key);
  if (v === undefined) throw new ReplyError("ERR The specified key does not exist");
  if (!isHll(v)) throw new ReplyError(NOT_HLL);
  const hll = Hll.from(v);
  switch (sub.toLowerCase()) {
    case "getreg": {
      if (hll.encoding === HLL_SPARSE) {
        if (!hll.toDense()) throw new ReplyError(INVALID);
        c.db.replace(key, hll.toBytes());
        c.wrote(); // propagated, as Redis forces it on conversion
      }
      const regs = hll.registers();
      c.reply.array(regs.length);
      for (const r of regs) c.reply.integer(r);
      return;
    }
    case "decode":
      if (hll.encoding !== HLL_SPARSE) throw new ReplyError("ERR HLL encoding is not sparse");
      c.reply.bulk(hll.decode());
      return;
    case "encoding":
      c.reply.simple(hll.encoding === HLL_SPARSE ? "sparse" : "dense");
      return;
    case "todense": {
      let conv = 0;
      if (hll.encoding === HLL_SPARSE) {
        if (!hll.toDense()) throw new ReplyError(INVALID);
        c.db.replace(key, hll.toBytes());
        c.wrote();
        conv = 1;
      }
      c.reply.integer(conv);
      return;
    }
    default:
      throw new ReplyError(`ERR Unknown PFDEBUG subcommand '${sub}'`);
  }
}

/** PFSELFTEST (a reduced version of Redis's: up to 100k elements). */
function pfselftest(c: Context, sparseMax: SparseMax): void {
  const failed = selfTest(sparseMax());
  if (failed !== undefined) c.reply.error(failed);
  else c.reply.ok();
}

const command = commandFamily({ category: "hyperloglog" });

/** The HYPERLOGLOG family's commands, for a server's `hll-sparse-max-bytes`. */
function hyperloglogCommands(sparseMax: SparseMax): CommandSpec[] {
  return [
    command({
      name: "pfadd",
      arity: -2,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "INSERT"])],
      docs: {
        summary: "Adds the specified elements to the specified HyperLogLog.",
        since: "2.8.9",
        complexity: "O(1) to add every element.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "element", type: "string", flags: ["optional", "multiple"] },
        ],
      },
      handler: (c, argv) => pfadd(c, argv, sparseMax),
    }),
    command({
      name: "pfcount",
      arity: -2,
      // may_replicate (hidden by COMMAND INFO): it may rewrite the key.
      flags: ["readonly", "may_replicate"],
      keySpecs: [{
        ...keys.rest(1, ["RW", "ACCESS"]),
        notes:
          "RW because it may change the internal representation of the key, and propagate to replicas",
      }],
      docs: {
        summary:
          "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        since: "2.8.9",
        complexity:
          "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
        arguments: [{ name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] }],
      },
      // One key: its cached count, or at worst one pass over 16384 registers.
      fastWhen: (argv) => argv.length === 2,
      handler: pfcount,
    }),
    command({
      name: "pfdebug",
      arity: 3,
      flags: ["write", "denyoom", "admin"],
      keySpecs: [keys.one(2, ["RW", "ACCESS"])],
      docs: {
        summary: "Internal commands for debugging HyperLogLog values",
        since: "2.8.9",
        complexity: "N/A",
        docFlags: ["syscmd"],
        arguments: [
          { name: "subcommand", type: "string" },
          { name: "key", type: "key", keySpecIndex: 0 },
        ],
      },
      handler: pfdebug,
    }),
    command({
      name: "pfmerge",
      arity: -2,
      flags: ["write", "denyoom"],
      keySpecs: [keys.one(1, ["RW", "ACCESS", "INSERT"]), keys.rest(2, ["RO", "ACCESS"])],
      docs: {
        summary: "Merge N different HyperLogLogs into a single one.",
        since: "2.8.9",
        complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
        arguments: [
          { name: "destkey", type: "key", keySpecIndex: 0 },
          { name: "sourcekey", type: "key", keySpecIndex: 1, flags: ["multiple"] },
        ],
      },
      handler: (c, argv) => pfmerge(c, argv, sparseMax),
    }),
    command({
      name: "pfselftest",
      arity: 1,
      flags: ["admin"],
      docs: {
        summary: "An internal command for testing HyperLogLog values",
        since: "2.8.9",
        complexity: "N/A",
        docFlags: ["syscmd"],
      },
      handler: (c) => pfselftest(c, sparseMax),
    }),
  ];
}

/** The HYPERLOGLOG family plugin. */
export default definePlugin({
  name: "hyperloglog",
  config: [{
    name: "hll-sparse-max-bytes",
    type: "memory",
    default: "3000",
    // A size_t: -1 wraps above the maximum.
    min: 0,
    max: LONG_MAX,
    unsigned: true,
  }],
  init(server) {
    // Kept current by the watcher (called at once), as writes read it often.
    let bytes = 0;
    server.config.watch("hll-sparse-max-bytes", (v) => (bytes = Number(v)));
    return { commands: hyperloglogCommands(() => bytes) };
  },
});
