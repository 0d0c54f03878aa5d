/**
 * The STRINGS family: GET, SET and friends, counters, ranges and LCS, with
 * Redis 7.0's replies, errors, keyspace events and propagation.
 *
 * Strings are stored as bare byte strings in the database. GET and plain SET
 * are the hot path of every benchmark, so they skip option parsing entirely.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import type { Bytes, CommandSpec, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseBigInteger, parseInteger } from "../../core/number.ts";
import { commandGroup, keys } from "../../core/registry.ts";
import { stringToBytes } from "../../core/resp/bytes.ts";
import { lcsCommand } from "./_lcs.ts";
import { addLongDouble, formatLongDouble, parseLongDouble } from "../../core/longdouble.ts";

// SET / GETEX option flags (Redis's OBJ_SET_* / OBJ_* bits).
const NX = 1, XX = 2, GET = 4, KEEPTTL = 8, PERSIST = 16;
const EX = 32, PX = 64, EXAT = 128, PXAT = 256;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
/** LLONG_MAX / 1000: larger second counts overflow once turned into ms. */
const MAX_SECONDS = 9223372036854775n;

const NOT_INTEGER = new ReplyError(Err.notInteger);
const NOT_FLOAT = new ReplyError(Err.notFloat);
const SYNTAX = new ReplyError(Err.syntax);
const TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

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

/** Redis's checkStringLength: the result must fit proto-max-bulk-len. */
function checkLength(c: Context, size: number, append: number): void {
  if (size + append > c.server.config.number("proto-max-bulk-len")) {
    throw new ReplyError(TOO_BIG);
  }
}

/** Builds a string, turning V8's string-length limit into Redis's error. */
function build(f: () => string): string {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) throw new ReplyError(TOO_BIG);
    throw e;
  }
}

/** APPEND key value (keeps the TTL). */
function appendCommand(c: Context, argv: Bytes[]): void {
  const key = argv[1]!, add = argv[2]!;
  const db = c.db;
  const old = db.getString(key);
  let len: number;
  if (old === undefined) {
    db.set(key, add);
    len = add.length;
  } else {
    checkLength(c, old.length, add.length);
    const v = build(() => old + add);
    db.replace(key, v);
    len = v.length;
  }
  c.changed(key, "append", "$");
  c.reply.integer(len);
}

/** STRLEN key */
function strlenCommand(c: Context, argv: Bytes[]): void {
  const v = c.db.getString(argv[1]!);
  c.reply.integer(v === undefined ? 0 : v.length);
}

/** GETRANGE / SUBSTR key start end */
function getrangeCommand(c: Context, argv: Bytes[]): void {
  let start = parseInteger(argv[2]!);
  if (start === undefined) throw NOT_INTEGER;
  let end = parseInteger(argv[3]!);
  if (end === undefined) throw NOT_INTEGER;
  const v = c.db.getString(argv[1]!);
  if (v === undefined) {
    c.reply.bulk("");
    return;
  }
  const len = v.length;
  if (start < 0 && end < 0 && start > end) {
    c.reply.bulk("");
    return;
  }
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) c.reply.bulk("");
  else c.reply.bulk(v.slice(start, end + 1));
}

/** SETRANGE key offset value (keeps the TTL). */
function setrangeCommand(c: Context, argv: Bytes[]): void {
  const key = argv[1]!, value = argv[3]!;
  const offset = parseInteger(argv[2]!);
  if (offset === undefined) throw NOT_INTEGER;
  if (offset < 0) throw new ReplyError("ERR offset is out of range");
  const db = c.db;
  const old = db.getString(key);
  if (value.length === 0) {
    c.reply.integer(old === undefined ? 0 : old.length);
    return;
  }
  checkLength(c, offset, value.length);
  const base = old ?? "";
  const v = build(() =>
    base.length >= offset
      ? base.slice(0, offset) + value + base.slice(offset + value.length)
      : base + "\0".repeat(offset - base.length) + value
  );
  if (old === undefined) db.set(key, v);
  else db.replace(key, v);
  c.changed(key, "setrange", "$");
  c.reply.integer(v.length);
}

/**
 * Parses a 64-bit integer: a number when exact in a double, a bigint
 * beyond, undefined when Redis's string2ll refuses it. Short strings take
 * a loop without regex or allocation (INCR is benchmarked).
 */
function toInt(s: string): number | bigint | undefined {
  const n = s.length;
  if (n === 0) return undefined;
  if (n <= 15) {
    let i = 0;
    let ch = s.charCodeAt(0);
    const neg = ch === 45;
    if (neg) {
      if (n === 1) return undefined;
      ch = s.charCodeAt(++i);
    }
    if (ch < 49 || ch > 57) return ch === 48 && n === 1 ? 0 : undefined;
    let v = ch - 48;
    for (i++; i < n; i++) {
      ch = s.charCodeAt(i);
      if (ch < 48 || ch > 57) return undefined;
      v = v * 10 + ch - 48;
    }
    return neg ? -v : v;
  }
  const b = parseBigInteger(s);
  if (b === undefined) return undefined;
  return b <= SAFE_MAX && b >= -SAFE_MAX ? Number(b) : b;
}

/** Writes an integer reply of any 64-bit value. */
function replyInt(c: Context, v: number | bigint): void {
  if (typeof v === "number") c.reply.integer(v);
  else c.reply.raw(stringToBytes(`:${v}\r\n`));
}

/** INCR/DECR/INCRBY/DECRBY: adds `incr`, refusing int64 overflow; keeps the TTL. */
function incrDecr(c: Context, key: Bytes, incr: number | bigint): void {
  const db = c.db;
  const old = db.getString(key);
  let cur: number | bigint = 0;
  if (old !== undefined) {
    const p = toInt(old);
    if (p === undefined) throw NOT_INTEGER;
    cur = p;
  }
  let res: number | bigint;
  if (typeof cur === "number" && typeof incr === "number" && Number.isSafeInteger(cur + incr)) {
    res = cur + incr;
  } else {
    const b = BigInt(cur) + BigInt(incr);
    if (b > INT64_MAX || b < INT64_MIN) throw new ReplyError(Err.overflow);
    res = b <= SAFE_MAX && b >= -SAFE_MAX ? Number(b) : b;
  }
  const text = String(res);
  if (old === undefined) db.set(key, text);
  else db.replace(key, text);
  c.changed(key, "incrby", "$");
  replyInt(c, res);
}

/** The increment argument of INCRBY/DECRBY. */
function incrArg(s: Bytes): number | bigint {
  const v = toInt(s);
  if (v === undefined) throw NOT_INTEGER;
  return v;
}

/** DECRBY key decrement: -LLONG_MIN does not exist. */
function decrbyCommand(c: Context, argv: Bytes[]): void {
  const v = incrArg(argv[2]!);
  if (typeof v === "number") {
    incrDecr(c, argv[1]!, -v);
    return;
  }
  if (v === INT64_MIN) throw new ReplyError("ERR decrement would overflow");
  incrDecr(c, argv[1]!, -v);
}

/**
 * INCRBYFLOAT key increment, in 80-bit long double arithmetic as Redis
 * (see core/longdouble.ts); propagated as SET key value KEEPTTL.
 */
function incrbyfloatCommand(c: Context, argv: Bytes[]): void {
  const key = argv[1]!;
  const db = c.db;
  const old = db.getString(key);
  const cur = old === undefined ? parseLongDouble("0") : parseLongDouble(old);
  if (cur === undefined) throw NOT_FLOAT;
  const incr = parseLongDouble(argv[2]!);
  if (incr === undefined) throw NOT_FLOAT;
  const sum = addLongDouble(cur, incr);
  if (sum === undefined) throw new ReplyError("ERR increment would produce NaN or Infinity");
  const text = formatLongDouble(sum);
  if (old === undefined) db.set(key, text);
  else db.replace(key, text);
  c.changed(key, "incrbyfloat", "$");
  c.propagate(["SET", key, text, "KEEPTTL"]);
  c.reply.bulk(text);
}

const RO_ACCESS = [keys.one(1, ["RO", "ACCESS"])];
const RW_ACCESS_UPDATE = [keys.one(1, ["RW", "ACCESS", "UPDATE"])];
const OW_UPDATE = [keys.one(1, ["OW", "UPDATE"])];

const spec = commandGroup("string");

const RANGE_COMPLEXITY =
  "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.";

/** Every STRINGS command. */
export const stringCommands: readonly CommandSpec[] = [
  spec("get", 2, ["readonly", "fast"], RO_ACCESS, getCommand, {
    summary: "Get the value of a key",
    since: "1.0.0",
  }),
  spec(
    "set",
    -3,
    ["write", "denyoom"],
    [{
      ...keys.one(1, ["RW", "ACCESS", "UPDATE", "VARIABLE_FLAGS"]),
      notes: "RW and ACCESS due to the optional `GET` argument",
    }],
    setCommand,
    { summary: "Set the string value of a key", since: "1.0.0" },
  ),
  spec("setnx", 3, ["write", "denyoom", "fast"], [keys.one(1, ["OW", "INSERT"])], setnxCommand, {
    summary: "Set the value of a key, only if the key does not exist",
    since: "1.0.0",
  }),
  spec(
    "setex",
    4,
    ["write", "denyoom"],
    OW_UPDATE,
    (c, argv) => setGeneric(c, argv, EX, argv[2]!, "setex"),
    { summary: "Set the value and expiration of a key", since: "2.0.0" },
  ),
  spec(
    "psetex",
    4,
    ["write", "denyoom"],
    OW_UPDATE,
    (c, argv) => setGeneric(c, argv, PX, argv[2]!, "psetex"),
    { summary: "Set the value and expiration in milliseconds of a key", since: "2.6.0" },
  ),
  spec("getset", 3, ["write", "denyoom", "fast"], RW_ACCESS_UPDATE, getsetCommand, {
    summary: "Set the string value of a key and return its old value",
    since: "1.0.0",
  }),
  spec("getdel", 2, ["write", "fast"], [keys.one(1, ["RW", "ACCESS", "DELETE"])], getdelCommand, {
    summary: "Get the value of a key and delete the key",
    since: "6.2.0",
  }),
  spec(
    "getex",
    -2,
    ["write", "fast"],
    [{
      ...keys.one(1, ["RW", "ACCESS", "UPDATE"]),
      notes: "RW and UPDATE because it changes the TTL",
    }],
    getexCommand,
    { summary: "Get the value of a key and optionally set its expiration", since: "6.2.0" },
  ),
  spec("mget", -2, ["readonly", "fast"], [keys.rest(1, ["RO", "ACCESS"])], mgetCommand, {
    summary: "Get the values of all the given keys",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to retrieve.",
  }),
  spec(
    "mset",
    -3,
    ["write", "denyoom"],
    [keys.rest(1, ["OW", "UPDATE"], 2)],
    (c, argv) => msetGeneric(c, argv, false),
    {
      summary: "Set multiple keys to multiple values",
      since: "1.0.1",
      complexity: "O(N) where N is the number of keys to set.",
    },
  ),
  spec(
    "msetnx",
    -3,
    ["write", "denyoom"],
    [keys.rest(1, ["OW", "INSERT"], 2)],
    (c, argv) => msetGeneric(c, argv, true),
    {
      summary: "Set multiple keys to multiple values, only if none of the keys exist",
      since: "1.0.1",
      complexity: "O(N) where N is the number of keys to set.",
    },
  ),
  spec("append", 3, ["write", "denyoom", "fast"], [keys.one(1, ["RW", "INSERT"])], appendCommand, {
    summary: "Append a value to a key",
    since: "2.0.0",
    complexity:
      "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
  }),
  spec("strlen", 2, ["readonly", "fast"], [keys.one(1, ["RO"])], strlenCommand, {
    summary: "Get the length of the value stored in a key",
    since: "2.2.0",
  }),
  spec("getrange", 4, ["readonly"], RO_ACCESS, getrangeCommand, {
    summary: "Get a substring of the string stored at a key",
    since: "2.4.0",
    complexity: RANGE_COMPLEXITY,
  }),
  spec("substr", 4, ["readonly"], RO_ACCESS, getrangeCommand, {
    summary: "Get a substring of the string stored at a key",
    since: "1.0.0",
    complexity: RANGE_COMPLEXITY,
  }),
  spec("setrange", 4, ["write", "denyoom"], [keys.one(1, ["RW", "UPDATE"])], setrangeCommand, {
    summary: "Overwrite part of a string at key starting at the specified offset",
    since: "2.2.0",
    complexity:
      "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
  }),
  spec(
    "incr",
    2,
    ["write", "denyoom", "fast"],
    RW_ACCESS_UPDATE,
    (c, argv) => incrDecr(c, argv[1]!, 1),
    { summary: "Increment the integer value of a key by one", since: "1.0.0" },
  ),
  spec(
    "decr",
    2,
    ["write", "denyoom", "fast"],
    RW_ACCESS_UPDATE,
    (c, argv) => incrDecr(c, argv[1]!, -1),
    { summary: "Decrement the integer value of a key by one", since: "1.0.0" },
  ),
  spec(
    "incrby",
    3,
    ["write", "denyoom", "fast"],
    RW_ACCESS_UPDATE,
    (c, argv) => incrDecr(c, argv[1]!, incrArg(argv[2]!)),
    { summary: "Increment the integer value of a key by the given amount", since: "1.0.0" },
  ),
  spec("decrby", 3, ["write", "denyoom", "fast"], RW_ACCESS_UPDATE, decrbyCommand, {
    summary: "Decrement the integer value of a key by the given number",
    since: "1.0.0",
  }),
  spec("incrbyfloat", 3, ["write", "denyoom", "fast"], RW_ACCESS_UPDATE, incrbyfloatCommand, {
    summary: "Increment the float value of a key by the given amount",
    since: "2.6.0",
  }),
  spec("lcs", -3, ["readonly"], [keys.rest(1, ["RO", "ACCESS"], 1, 1)], lcsCommand, {
    summary: "Find longest common substring",
    since: "7.0.0",
    complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
  }),
];

/** The STRINGS family plugin. */
export default definePlugin({ name: "strings", commands: stringCommands });
