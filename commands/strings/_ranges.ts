/**
 * Byte ranges of strings: APPEND, STRLEN, GETRANGE (and its old name
 * SUBSTR) and SETRANGE. APPEND and SETRANGE keep the key's TTL.
 *
 * @module
 */

import { commandFamily, keys } from "../../core/registry.ts";
import type { Bytes, CommandArg, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";

const NOT_INTEGER = new ReplyError(Err.notInteger);
const TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

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
    // Redis appends in place, to a string it makes "raw" first.
    db.markRaw(key);
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
  // Written in place, as Redis does, in a "raw" string (a new one too).
  db.markRaw(key);
  c.changed(key, "setrange", "$");
  c.reply.integer(v.length);
}

const command = commandFamily({ category: "string" });

const KEY: CommandArg = { name: "key", type: "key", keySpecIndex: 0 };
/** GETRANGE's and SUBSTR's arguments. */
const RANGE_ARGS: readonly CommandArg[] = [
  KEY,
  { name: "start", type: "integer" },
  { name: "end", type: "integer" },
];
const RANGE_COMPLEXITY =
  "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.";

/** The byte-range commands. */
export const rangeCommands = [
  command({
    name: "append",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "INSERT"])],
    docs: {
      summary: "Append a value to a key",
      since: "2.0.0",
      complexity:
        "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
      arguments: [KEY, { name: "value", type: "string" }],
    },
    handler: appendCommand,
  }),
  command({
    name: "strlen",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.one(1, ["RO"])],
    docs: {
      summary: "Get the length of the value stored in a key",
      since: "2.2.0",
      complexity: "O(1)",
      arguments: [KEY],
    },
    handler: strlenCommand,
  }),
  command({
    name: "getrange",
    arity: 4,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Get a substring of the string stored at a key",
      since: "2.4.0",
      complexity: RANGE_COMPLEXITY,
      arguments: RANGE_ARGS,
    },
    handler: getrangeCommand,
  }),
  command({
    name: "substr",
    arity: 4,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Get a substring of the string stored at a key",
      since: "1.0.0",
      complexity: RANGE_COMPLEXITY,
      docFlags: ["deprecated"],
      deprecatedSince: "2.0.0",
      replacedBy: "`GETRANGE`",
      arguments: RANGE_ARGS,
    },
    handler: getrangeCommand,
  }),
  command({
    name: "setrange",
    arity: 4,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, ["RW", "UPDATE"])],
    docs: {
      summary: "Overwrite part of a string at key starting at the specified offset",
      since: "2.2.0",
      complexity:
        "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
      arguments: [KEY, { name: "offset", type: "integer" }, { name: "value", type: "string" }],
    },
    handler: setrangeCommand,
  }),
];
