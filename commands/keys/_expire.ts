/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME
 * and PERSIST, with Redis 7.0's options, overflow rules and propagation
 * (every expire leaves as `PEXPIREAT <abs ms>`, one in the past as `DEL`).
 *
 * @module
 */

import type { Bytes, CommandArg, Context } from "../../core/types.ts";
import { keys } from "../../core/registry.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseBigInteger } from "../../core/number.ts";
import { command, lookupNoTouch } from "./_util.ts";

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

const NX = 1, XX = 2, GT = 4, LT = 8;

/** Parses NX | XX | GT | LT after the time argument; throws Redis's errors. */
function parseFlags(argv: Bytes[]): number {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    if (opt === "nx") flags |= NX;
    else if (opt === "xx") flags |= XX;
    else if (opt === "gt") flags |= GT;
    else if (opt === "lt") flags |= LT;
    else throw new ReplyError(`ERR Unsupported option ${argv[j]}`);
  }
  if ((flags & NX) && (flags & (XX | GT | LT))) {
    throw new ReplyError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((flags & GT) && (flags & LT)) {
    throw new ReplyError("ERR GT and LT options at the same time are not compatible");
  }
  return flags;
}

/**
 * Redis's `expireGenericCommand`. `relative` adds the current time;
 * `seconds` multiplies the argument by 1000 first.
 */
function expireGeneric(c: Context, argv: Bytes[], relative: boolean, seconds: boolean): void {
  const name = argv[0]!.toLowerCase();
  const flags = parseFlags(argv);
  let when = parseBigInteger(argv[2]!);
  if (when === undefined) throw new ReplyError(Err.notInteger);
  // Only overflow is an error; negative times are allowed (and expire).
  if (seconds) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) {
      throw new ReplyError(Err.invalidExpire(name));
    }
    when *= 1000n;
  }
  const now = c.server.clock.now();
  const base = relative ? BigInt(now) : 0n;
  if (when > LLONG_MAX - base) throw new ReplyError(Err.invalidExpire(name));
  when += base;
  const at = Number(when);

  const db = c.db;
  const key = argv[1]!;
  if (db.get(key) === undefined) {
    c.reply.integer(0);
    return;
  }
  if (flags !== 0) {
    const current = db.getExpire(key);
    const refused = ((flags & NX) && current !== -1) ||
      ((flags & XX) && current === -1) ||
      // No TTL counts as an infinite one: GT never beats it, LT always does.
      ((flags & GT) && (current === -1 || at <= current)) ||
      ((flags & LT) && current !== -1 && at >= current);
    if (refused) {
      c.reply.integer(0);
      return;
    }
  }
  const ks = c.server.keyspace;
  if (at <= now && !ks.isReplica) {
    db.delete(key);
    c.changed(key, "del", "g");
    c.propagate([c.server.config.bool("lazyfree-lazy-expire") ? "UNLINK" : "DEL", key]);
  } else {
    db.setExpire(key, at);
    c.changed(key, "expire", "g");
    c.propagate(["PEXPIREAT", key, when.toString(), ...argv.slice(3)]);
  }
  c.reply.integer(1);
}

/** Redis's `ttlGenericCommand`. */
function ttlGeneric(c: Context, key: Bytes, ms: boolean, absolute: boolean): void {
  if (lookupNoTouch(c, key) === undefined) {
    c.reply.integer(-2);
    return;
  }
  const expire = c.db.getExpire(key);
  if (expire === -1) {
    c.reply.integer(-1);
    return;
  }
  let ttl = absolute ? expire : expire - c.server.clock.now();
  if (ttl < 0) ttl = 0;
  c.reply.integer(ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function persist(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  if (c.db.get(key) !== undefined && c.db.persist(key)) {
    c.changed(key, "persist", "g");
    c.reply.integer(1);
  } else {
    c.reply.integer(0);
  }
}

const KEY: CommandArg = { name: "key", type: "key", keySpecIndex: 0 };
/** NX | XX | GT | LT of the EXPIRE family (Redis 7.0). */
const CONDITION: CommandArg = {
  name: "condition",
  type: "oneof",
  since: "7.0.0",
  flags: ["optional"],
  arguments: [
    { name: "nx", type: "pure-token", token: "NX" },
    { name: "xx", type: "pure-token", token: "XX" },
    { name: "gt", type: "pure-token", token: "GT" },
    { name: "lt", type: "pure-token", token: "LT" },
  ],
};
const CONDITION_HISTORY = [["7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."]] as const;
const TTL_HISTORY = [["2.8.0", "Added the -2 reply."]] as const;

/** The commands of this file. */
export const expireCommands = [
  command({
    name: "expire",
    arity: -3,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "UPDATE"])],
    docs: {
      summary: "Set a key's time to live in seconds",
      since: "1.0.0",
      complexity: "O(1)",
      history: CONDITION_HISTORY,
      arguments: [KEY, { name: "seconds", type: "integer" }, CONDITION],
    },
    handler: (c, argv) => expireGeneric(c, argv, true, true),
  }),
  command({
    name: "pexpire",
    arity: -3,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "UPDATE"])],
    docs: {
      summary: "Set a key's time to live in milliseconds",
      since: "2.6.0",
      complexity: "O(1)",
      history: CONDITION_HISTORY,
      arguments: [KEY, { name: "milliseconds", type: "integer" }, CONDITION],
    },
    handler: (c, argv) => expireGeneric(c, argv, true, false),
  }),
  command({
    name: "expireat",
    arity: -3,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "UPDATE"])],
    docs: {
      summary: "Set the expiration for a key as a UNIX timestamp",
      since: "1.2.0",
      complexity: "O(1)",
      history: CONDITION_HISTORY,
      arguments: [KEY, { name: "unix-time-seconds", type: "unix-time" }, CONDITION],
    },
    handler: (c, argv) => expireGeneric(c, argv, false, true),
  }),
  command({
    name: "pexpireat",
    arity: -3,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "UPDATE"])],
    docs: {
      summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
      since: "2.6.0",
      complexity: "O(1)",
      history: CONDITION_HISTORY,
      arguments: [KEY, { name: "unix-time-milliseconds", type: "unix-time" }, CONDITION],
    },
    handler: (c, argv) => expireGeneric(c, argv, false, false),
  }),
  command({
    name: "ttl",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "Get the time to live for a key in seconds",
      since: "1.0.0",
      complexity: "O(1)",
      history: TTL_HISTORY,
      arguments: [KEY],
    },
    handler: (c, argv) => ttlGeneric(c, argv[1]!, false, false),
  }),
  command({
    name: "pttl",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "Get the time to live for a key in milliseconds",
      since: "2.6.0",
      complexity: "O(1)",
      history: TTL_HISTORY,
      arguments: [KEY],
    },
    handler: (c, argv) => ttlGeneric(c, argv[1]!, true, false),
  }),
  command({
    name: "expiretime",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Get the expiration Unix timestamp for a key",
      since: "7.0.0",
      complexity: "O(1)",
      arguments: [KEY],
    },
    handler: (c, argv) => ttlGeneric(c, argv[1]!, false, true),
  }),
  command({
    name: "pexpiretime",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Get the expiration Unix timestamp for a key in milliseconds",
      since: "7.0.0",
      complexity: "O(1)",
      arguments: [KEY],
    },
    handler: (c, argv) => ttlGeneric(c, argv[1]!, true, true),
  }),
  command({
    name: "persist",
    arity: 2,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "UPDATE"])],
    docs: {
      summary: "Remove the expiration from a key",
      since: "2.2.0",
      complexity: "O(1)",
      arguments: [KEY],
    },
    handler: persist,
  }),
];
