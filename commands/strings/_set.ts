/**
 * GET and the SET family: SET with its options, SETNX, SETEX, PSETEX,
 * GETSET, GETDEL, GETEX, MGET, MSET and MSETNX, propagated in Redis's
 * deterministic forms (an expire as an absolute `PXAT`, GETDEL as DEL).
 *
 * GET and plain SET are the hot path of every benchmark, so they skip
 * option parsing entirely.
 *
 * @module
 */

import { commandFamily, keys } from "../../core/registry.ts";
import type { Bytes, CommandArg, Context, KeySpecFlag } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";

// SET / GETEX option flags (Redis's OBJ_SET_* / OBJ_* bits).
const NX = 1, XX = 2, GET = 4, KEEPTTL = 8, PERSIST = 16;
const EX = 32, PX = 64, EXAT = 128, PXAT = 256;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

const INT64_MAX = 9223372036854775807n;
/** LLONG_MAX / 1000: larger second counts overflow once turned into ms. */
const MAX_SECONDS = 9223372036854775n;

const NOT_INTEGER = new ReplyError(Err.notInteger);
const SYNTAX = new ReplyError(Err.syntax);

/** Parsed SET/GETEX options: flag bits and the expire argument, if any. */
interface StringOptions {
  flags: number;
  expire: Bytes | undefined;
}

/**
 * Parses SET (isSet) or GETEX options from argv[3] (SET) / argv[2] (GETEX),
 * accepting exactly the combinations Redis's parseExtendedStringArguments
 * accepts (repeats allowed, conflicting options a syntax error).
 */
function parseOptions(argv: Bytes[], from: number, isSet: boolean): StringOptions {
  let flags = 0;
  let expire: Bytes | undefined;
  const argc = argv.length;
  for (let j = from; j < argc; j++) {
    const arg = argv[j]!;
    const opt = arg.length <= 7 ? arg.toUpperCase() : "";
    if (opt === "NX" && isSet && !(flags & XX)) flags |= NX;
    else if (opt === "XX" && isSet && !(flags & NX)) flags |= XX;
    else if (opt === "GET" && isSet) flags |= GET;
    else if (opt === "KEEPTTL" && isSet && !(flags & (PERSIST | ANY_EXPIRE))) flags |= KEEPTTL;
    else if (opt === "PERSIST" && !isSet && !(flags & (KEEPTTL | ANY_EXPIRE))) flags |= PERSIST;
    else {
      // EX/PX/EXAT/PXAT: one kind only (it may repeat), a value must follow.
      const bit = opt === "EX"
        ? EX
        : opt === "PX"
        ? PX
        : opt === "EXAT"
        ? EXAT
        : opt === "PXAT"
        ? PXAT
        : 0;
      if (bit === 0 || j === argc - 1 || (flags & (KEEPTTL | PERSIST | (ANY_EXPIRE & ~bit)))) {
        throw SYNTAX;
      }
      flags |= bit;
      expire = argv[++j]!;
    }
  }
  return { flags, expire };
}

/**
 * Turns an expire argument into an absolute Unix-ms time, returned as its
 * exact decimal text (times past 2^53 stay exact for propagation). Errors
 * are Redis's: not an integer, or `invalid expire time` for <= 0 and overflow.
 */
function absoluteExpire(c: Context, arg: Bytes, flags: number, cmd: string): string {
  const n = parseInteger(arg);
  if (n === undefined) throw NOT_INTEGER;
  if (n <= 0) throw new ReplyError(Err.invalidExpire(cmd));
  const seconds = (flags & (EX | EXAT)) !== 0;
  const relative = (flags & (EX | PX)) !== 0;
  const now = relative ? c.server.clock.now() : 0;
  const ms = (seconds ? n * 1000 : n) + now;
  if (Number.isSafeInteger(ms)) return String(ms);
  // Beyond 2^53: redo it exactly, with Redis's overflow checks.
  let b = BigInt(arg);
  if (seconds) {
    if (b > MAX_SECONDS) throw new ReplyError(Err.invalidExpire(cmd));
    b *= 1000n;
  }
  b += BigInt(now);
  if (b > INT64_MAX) throw new ReplyError(Err.invalidExpire(cmd));
  return b.toString();
}

/** Records a write that also set a TTL: two events, one dirty change (as Redis). */
function changedWithExpire(c: Context, key: Bytes): void {
  c.changed(key, "set", "$");
  c.changed(key, "expire", "g", 0);
}

/** GET key — the hot path: one lookup, one reply. */
function getCommand(c: Context, argv: Bytes[]): void {
  const v = c.db.getString(argv[1]!);
  if (v === undefined) c.reply.nullBulk();
  else c.reply.bulk(v);
}

/** SET key value [NX|XX] [GET] [EX|PX|EXAT|PXAT t|KEEPTTL] */
function setCommand(c: Context, argv: Bytes[]): void {
  if (argv.length === 3) {
    const key = argv[1]!;
    c.db.set(key, argv[2]!);
    c.changed(key, "set", "$");
    c.reply.ok();
    return;
  }
  const { flags, expire } = parseOptions(argv, 3, true);
  setGeneric(c, argv, flags, expire, "set");
}

/**
 * Redis's setGenericCommand for SET, SETEX and PSETEX: validates the expire
 * first, then GET's type check, then NX/XX; propagates the deterministic form.
 */
function setGeneric(
  c: Context,
  argv: Bytes[],
  flags: number,
  expire: Bytes | undefined,
  cmd: string,
): void {
  const db = c.db;
  const key = argv[1]!;
  const value = cmd === "set" ? argv[2]! : argv[3]!;
  const at = expire === undefined ? undefined : absoluteExpire(c, expire, flags, cmd);
  let old: Bytes | undefined;
  let found: boolean;
  if (flags & GET) {
    old = db.getString(key);
    found = old !== undefined;
  } else {
    found = db.get(key) !== undefined;
  }
  if (((flags & NX) && found) || ((flags & XX) && !found)) {
    if (!(flags & GET) || old === undefined) c.reply.nullBulk();
    else c.reply.bulk(old);
    return;
  }
  db.set(key, value, (flags & KEEPTTL) !== 0);
  if (at !== undefined) {
    db.setExpire(key, Number(at));
    changedWithExpire(c, key);
    c.propagate(["SET", key, value, "PXAT", at]);
  } else {
    c.changed(key, "set", "$");
    // Replicas get the command without GET (it would be a read there).
    if (flags & GET) c.propagate(argv.filter((a, i) => i < 3 || a.toLowerCase() !== "get"));
  }
  if (!(flags & GET)) c.reply.ok();
  else if (old === undefined) c.reply.nullBulk();
  else c.reply.bulk(old);
}

/** SETNX key value */
function setnxCommand(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  if (c.db.get(key) !== undefined) {
    c.reply.integer(0);
    return;
  }
  c.db.set(key, argv[2]!);
  c.changed(key, "set", "$");
  c.reply.integer(1);
}

/** GETSET key value (propagated as SET). */
function getsetCommand(c: Context, argv: Bytes[]): void {
  const key = argv[1]!, value = argv[2]!;
  const old = c.db.getString(key);
  c.db.set(key, value);
  c.changed(key, "set", "$");
  c.propagate(["SET", key, value]);
  if (old === undefined) c.reply.nullBulk();
  else c.reply.bulk(old);
}

/** GETDEL key (propagated as DEL, or UNLINK with lazyfree-lazy-user-del). */
function getdelCommand(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  const v = c.db.getString(key);
  if (v === undefined) {
    c.reply.nullBulk();
    return;
  }
  c.reply.bulk(v);
  c.db.delete(key);
  c.changed(key, "del", "g");
  c.propagate([c.server.config.bool("lazyfree-lazy-user-del") ? "UNLINK" : "DEL", key]);
}

/** GETEX key [EX|PX|EXAT|PXAT t|PERSIST] */
function getexCommand(c: Context, argv: Bytes[]): void {
  const { flags, expire } = argv.length === 2 ? NO_OPTIONS : parseOptions(argv, 2, false);
  const key = argv[1]!;
  const db = c.db;
  const v = db.getString(key);
  if (v === undefined) {
    c.reply.nullBulk();
    return;
  }
  const at = expire === undefined ? undefined : absoluteExpire(c, expire, flags, "getex");
  c.reply.bulk(v);
  if (at === undefined) {
    if ((flags & PERSIST) && db.persist(key)) {
      c.changed(key, "persist", "g");
      c.propagate(["PERSIST", key]);
    }
    return;
  }
  const ms = Number(at);
  if ((flags & (EXAT | PXAT)) && ms <= c.server.clock.now() && !c.server.keyspace.isReplica) {
    // An absolute time already past: the key goes now.
    db.delete(key);
    c.changed(key, "del", "g");
    c.propagate([c.server.config.bool("lazyfree-lazy-expire") ? "UNLINK" : "DEL", key]);
    return;
  }
  db.setExpire(key, ms);
  c.changed(key, "expire", "g");
  c.propagate(["PEXPIREAT", key, at]);
}

const NO_OPTIONS: StringOptions = { flags: 0, expire: undefined };

/** MGET key [key ...] — other types read as nil. */
function mgetCommand(c: Context, argv: Bytes[]): void {
  const r = c.reply, db = c.db;
  r.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = db.get(argv[i]!);
    if (typeof v === "string") r.bulk(v);
    else r.nullBulk();
  }
}

/** MSET / MSETNX. */
function msetGeneric(c: Context, argv: Bytes[], nx: boolean): void {
  if (argv.length % 2 === 0) throw new ReplyError(Err.arity(nx ? "msetnx" : "mset"));
  const db = c.db;
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) {
      if (db.get(argv[j]!) !== undefined) {
        c.reply.integer(0);
        return;
      }
    }
  }
  for (let j = 1; j < argv.length; j += 2) {
    db.set(argv[j]!, argv[j + 1]!);
    c.changed(argv[j]!, "set", "$");
  }
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

/**
 * SET's key flags for a call, as Redis's setGetKeys: with GET the key is
 * read too.
 */
function setKeyFlags(argv: readonly Bytes[]): readonly KeySpecFlag[] {
  for (let i = 3; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.length === 3 && a.toLowerCase() === "get") return RW_ACCESS_UPDATE;
  }
  return OW_UPDATE;
}

const RW_ACCESS_UPDATE: readonly KeySpecFlag[] = ["RW", "ACCESS", "UPDATE"];
const OW_UPDATE: readonly KeySpecFlag[] = ["OW", "UPDATE"];

const command = commandFamily({ category: "string" });

const KEY: CommandArg = { name: "key", type: "key", keySpecIndex: 0 };
const VALUE: CommandArg = { name: "value", type: "string" };
/** MSET's and MSETNX's pairs. */
const KEY_VALUES: readonly CommandArg[] = [
  { name: "key_value", type: "block", flags: ["multiple"], arguments: [KEY, VALUE] },
];

/** GET and the SET family's commands. */
export const setCommands = [
  command({
    name: "get",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Get the value of a key",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: [KEY],
    },
    handler: getCommand,
  }),
  command({
    name: "set",
    arity: -3,
    flags: ["write", "denyoom"],
    keySpecs: [{
      ...keys.one(1, ["RW", "ACCESS", "UPDATE", "VARIABLE_FLAGS"]),
      notes: "RW and ACCESS due to the optional `GET` argument",
    }],
    keyFlags: setKeyFlags,
    docs: {
      summary: "Set the string value of a key",
      since: "1.0.0",
      complexity: "O(1)",
      history: [
        ["2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."],
        ["6.0.0", "Added the `KEEPTTL` option."],
        ["6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."],
        ["7.0.0", "Allowed the `NX` and `GET` options to be used together."],
      ],
      arguments: [
        KEY,
        VALUE,
        {
          name: "condition",
          type: "oneof",
          since: "2.6.12",
          flags: ["optional"],
          arguments: [
            { name: "nx", type: "pure-token", token: "NX" },
            { name: "xx", type: "pure-token", token: "XX" },
          ],
        },
        { name: "get", type: "pure-token", token: "GET", since: "6.2.0", flags: ["optional"] },
        {
          name: "expiration",
          type: "oneof",
          flags: ["optional"],
          arguments: [
            { name: "seconds", type: "integer", token: "EX", since: "2.6.12" },
            { name: "milliseconds", type: "integer", token: "PX", since: "2.6.12" },
            { name: "unix-time-seconds", type: "unix-time", token: "EXAT", since: "6.2.0" },
            { name: "unix-time-milliseconds", type: "unix-time", token: "PXAT", since: "6.2.0" },
            { name: "keepttl", type: "pure-token", token: "KEEPTTL", since: "6.0.0" },
          ],
        },
      ],
    },
    handler: setCommand,
  }),
  command({
    name: "setnx",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["OW", "INSERT"])],
    docs: {
      summary: "Set the value of a key, only if the key does not exist",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: [KEY, VALUE],
    },
    handler: setnxCommand,
  }),
  command({
    name: "setex",
    arity: 4,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, OW_UPDATE)],
    docs: {
      summary: "Set the value and expiration of a key",
      since: "2.0.0",
      complexity: "O(1)",
      arguments: [KEY, { name: "seconds", type: "integer" }, VALUE],
    },
    handler: (c, argv) => setGeneric(c, argv, EX, argv[2]!, "setex"),
  }),
  command({
    name: "psetex",
    arity: 4,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, OW_UPDATE)],
    docs: {
      summary: "Set the value and expiration in milliseconds of a key",
      since: "2.6.0",
      complexity: "O(1)",
      arguments: [KEY, { name: "milliseconds", type: "integer" }, VALUE],
    },
    handler: (c, argv) => setGeneric(c, argv, PX, argv[2]!, "psetex"),
  }),
  command({
    name: "getset",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, RW_ACCESS_UPDATE)],
    docs: {
      summary: "Set the string value of a key and return its old value",
      since: "1.0.0",
      complexity: "O(1)",
      docFlags: ["deprecated"],
      deprecatedSince: "6.2.0",
      replacedBy: "`SET` with the `!GET` argument",
      arguments: [KEY, VALUE],
    },
    handler: getsetCommand,
  }),
  command({
    name: "getdel",
    arity: 2,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"])],
    docs: {
      summary: "Get the value of a key and delete the key",
      since: "6.2.0",
      complexity: "O(1)",
      arguments: [KEY],
    },
    handler: getdelCommand,
  }),
  command({
    name: "getex",
    arity: -2,
    flags: ["write", "fast"],
    keySpecs: [{
      ...keys.one(1, RW_ACCESS_UPDATE),
      notes: "RW and UPDATE because it changes the TTL",
    }],
    docs: {
      summary: "Get the value of a key and optionally set its expiration",
      since: "6.2.0",
      complexity: "O(1)",
      arguments: [
        KEY,
        {
          name: "expiration",
          type: "oneof",
          flags: ["optional"],
          arguments: [
            { name: "seconds", type: "integer", token: "EX" },
            { name: "milliseconds", type: "integer", token: "PX" },
            { name: "unix-time-seconds", type: "unix-time", token: "EXAT" },
            { name: "unix-time-milliseconds", type: "unix-time", token: "PXAT" },
            { name: "persist", type: "pure-token", token: "PERSIST" },
          ],
        },
      ],
    },
    handler: getexCommand,
  }),
  command({
    name: "mget",
    arity: -2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.rest(1, ["RO", "ACCESS"])],
    tips: ["request_policy:multi_shard"],
    docs: {
      summary: "Get the values of all the given keys",
      since: "1.0.0",
      complexity: "O(N) where N is the number of keys to retrieve.",
      arguments: [{ ...KEY, flags: ["multiple"] }],
    },
    handler: mgetCommand,
  }),
  command({
    name: "mset",
    arity: -3,
    flags: ["write", "denyoom"],
    keySpecs: [keys.rest(1, OW_UPDATE, 2)],
    tips: ["request_policy:multi_shard", "response_policy:all_succeeded"],
    docs: {
      summary: "Set multiple keys to multiple values",
      since: "1.0.1",
      complexity: "O(N) where N is the number of keys to set.",
      arguments: KEY_VALUES,
    },
    // A few keys: as cheap as a fast command.
    fastWhen: (argv) => argv.length <= 33,
    handler: (c, argv) => msetGeneric(c, argv, false),
  }),
  command({
    name: "msetnx",
    arity: -3,
    flags: ["write", "denyoom"],
    keySpecs: [keys.rest(1, ["OW", "INSERT"], 2)],
    tips: ["request_policy:multi_shard", "response_policy:agg_min"],
    docs: {
      summary: "Set multiple keys to multiple values, only if none of the keys exist",
      since: "1.0.1",
      complexity: "O(N) where N is the number of keys to set.",
      arguments: KEY_VALUES,
    },
    fastWhen: (argv) => argv.length <= 33,
    handler: (c, argv) => msetGeneric(c, argv, true),
  }),
];
