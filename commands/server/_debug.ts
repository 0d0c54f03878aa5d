/**
 * DEBUG: the subcommands test suites rely on (SLEEP, SET-ACTIVE-EXPIRE,
 * LOG, OBJECT, DIGEST, DIGEST-VALUE, ERROR, PROTOCOL, POPULATE, HELP),
 * gated by `enable-debug-command` as in Redis. Other plugins add
 * subcommands through the `debug` service ({@link DebugService}).
 *
 * @module
 */

import type { Bytes, CommandHandler, Context } from "../../core/types.ts";
import { storedValue, type Value } from "../../core/keyspace.ts";
import { ReplyError } from "../../core/errors.ts";
import { datasetDigest, digestHex, valueDigest } from "../../core/digest.ts";
import { strtod } from "../../core/number.ts";
import { replyHelp } from "../../core/help.ts";

/** A DEBUG subcommand: `argv` is the whole command (`DEBUG <sub> ...`). */
export type DebugHandler = (c: Context, argv: Bytes[]) => void;

/**
 * DEBUG subcommands other plugins add (DEBUG RELOAD comes from the rdb
 * plugin), through the `debug` service.
 */
export interface DebugService {
  /**
   * Adds `DEBUG <name>`; it runs once DEBUG itself is allowed
   * (`enable-debug-command`).
   *
   * @example
   * ```ts ignore
   * server.service("debug")?.register("hello", (c) => c.reply.simple("world"));
   * ```
   */
  register(name: string, handler: DebugHandler): void;
}

export const DEBUG_NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", ' +
  "you can run it from a local connection, otherwise you need to set this option in the " +
  "configuration file, and then restart the server.";

/**
 * True when the client connects from the loopback address or through the
 * Unix socket (Redis's islocalClient). A TCP client's address is an IP and
 * a port; a Unix socket client's is the socket's path and `:0`.
 */
export function isLocalClient(c: Context): boolean {
  const a = c.addr;
  if (!a.startsWith("[") && !/^\d+\.\d+\.\d+\.\d+:\d+$/.test(a)) return true;
  const host = a.startsWith("[") ? a.slice(1, a.indexOf("]")) : a.slice(0, a.lastIndexOf(":"));
  return host === "127.0.0.1" || host === "::1" || host === "::ffff:127.0.0.1";
}

/** Whether `enable-debug-command` lets this client run DEBUG. */
export function debugAllowed(c: Context): boolean {
  const v = c.server.config.get("enable-debug-command");
  return v === "yes" || (v === "local" && isLocalClient(c));
}

const HELP = [
  "DIGEST",
  "    Output a hex signature representing the current DB content.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    Output a hex signature of the values of all the specified keys.",
  "ERROR <string>",
  "    Return a Redis protocol error with <string> as message. Useful for clients",
  "    unit tests to simulate Redis errors.",
  "LOG <message>",
  "    Write <message> to the server log.",
  "OBJECT <key>",
  "    Show low level info about `key` and associated value.",
  "POPULATE <count> [<prefix>] [<size>]",
  "    Create <count> string keys named key:<num>. If <prefix> is specified then",
  "    it is used instead of the 'key' prefix. These are not propagated to",
  "    replicas. Cluster slots are not respected so keys not belonging to the",
  "    current node can be created in cluster mode.",
  "PROTOCOL <type>",
  "    Reply with a test value of the specified type. <type> can be: string,",
  "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
  "    true, false.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not",
  "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
  "    default.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
];

/** C's `atoi`. */
function atoi(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m ? Number(m[0]) : 0;
}

/** Blocks the whole process, as Redis's DEBUG SLEEP blocks its event loop. */
function blockFor(ms: number): void {
  // NaN or inf would wait forever.
  if (!(ms > 0 && ms < Infinity)) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** OBJECT ENCODING of a string value, by Redis's rules (int, embstr, raw). */
export function stringEncoding(v: Bytes): string {
  if (v.length <= 20 && /^(0|-?[1-9]\d*)$/.test(v)) {
    const n = BigInt(v);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return "int";
  }
  return v.length <= 44 ? "embstr" : "raw";
}

/**
 * RDB serialized length of a string, without LZF compression (Redis
 * compresses strings over 20 bytes, so its figure can be smaller).
 */
function serializedLength(v: Value): number {
  if (typeof v !== "string") {
    return "serializedLength" in v && typeof v.serializedLength === "function"
      ? Number(v.serializedLength())
      : 0;
  }
  if (v.length <= 11 && /^(0|-?[1-9]\d*)$/.test(v)) {
    const n = Number(v);
    if (n >= -128 && n <= 127) return 2;
    if (n >= -32768 && n <= 32767) return 3;
    if (n >= -2147483648 && n <= 2147483647) return 5;
  }
  const len = v.length;
  return (len < 64 ? 1 : len < 16384 ? 2 : 5) + len;
}

/** A stable pseudo address for DEBUG OBJECT (there is no pointer to show). */
function pseudoAddress(key: Bytes): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  return "0x7f" + h.toString(16).padStart(8, "0") + "00";
}

function debugObject(c: Context, key: Bytes): string {
  const db = c.db;
  // Like Redis, DEBUG OBJECT sees logically expired keys.
  const stored = db.data.get(key);
  if (stored === undefined) throw new ReplyError("ERR no such key");
  const v = storedValue(stored);
  const idle = db.idleSeconds(key);
  const enc = typeof v !== "string" ? v.encoding() : db.isRaw(key) ? "raw" : stringEncoding(v);
  return `Value at:${pseudoAddress(key)} refcount:1 encoding:${enc} serializedlength:${
    serializedLength(v)
  } lru:${(Math.floor(c.server.clock.now() / 1000) - idle) & 0xffffff} lru_seconds_idle:${idle}`;
}

function protocol(c: Context, type: string): void {
  const r = c.reply;
  switch (type.toLowerCase()) {
    case "string":
      return r.bulk("Hello World");
    case "integer":
      return r.integer(12345);
    case "double":
      return r.double(3.141);
    case "bignum":
      return r.bigNumber("1234567999999999999999999999999999999");
    case "null":
      return r.nullBulk();
    case "array":
    case "set":
      if (type.toLowerCase() === "array") r.array(3);
      else r.set(3);
      for (let i = 0; i < 3; i++) r.integer(i);
      return;
    case "map":
      r.map(3);
      for (let i = 0; i < 3; i++) {
        r.integer(i);
        r.bool(i === 1);
      }
      return;
    case "attrib":
      // The writer has no attribute type; the attribute is omitted, as RESP2 does.
      return r.bulk("Some real reply following the attribute");
    case "push":
      if (r.resp < 3) throw new ReplyError("ERR RESP2 is not supported by this command");
      r.push(2);
      r.bulk("server-cpu-usage");
      r.integer(42);
      return r.bulk("Some real reply following the push reply");
    case "verbatim":
      return r.verbatim("This is a verbatim\nstring", "txt");
    case "true":
      return r.bool(true);
    case "false":
      return r.bool(false);
    default:
      throw new ReplyError(
        "ERR Wrong protocol type name. Please use one of the following: " +
          "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
      );
  }
}

function populate(c: Context, argv: Bytes[]): void {
  const count = /^-?\d+$/.test(argv[2]!) ? Number(argv[2]) : -1;
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new ReplyError("ERR value is out of range, must be positive");
  }
  const prefix = argv[3] ?? "key";
  let size = 0;
  if (argv[4] !== undefined) {
    size = /^-?\d+$/.test(argv[4]) ? Number(argv[4]) : -1;
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new ReplyError("ERR value is out of range, must be positive");
    }
  }
  const db = c.db;
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`;
    if (db.data.has(key)) continue;
    let val = `value:${i}`;
    if (size !== 0) {
      val = size <= val.length ? val.slice(0, size) : val + "\0".repeat(size - val.length);
    }
    // As Redis: added directly, neither propagated nor signalled.
    db.set(key, val);
  }
  c.reply.ok();
}

/** DEBUG's handler, with the subcommands plugins registered in `extra`. */
export const debugHandler =
  (extra: ReadonlyMap<string, DebugHandler>): CommandHandler => (c, argv) => {
    if (!debugAllowed(c)) throw new ReplyError(DEBUG_NOT_ALLOWED);
    const sub = argv[1]!.toLowerCase();
    const argc = argv.length;
    const r = c.reply;
    if (sub === "help" && argc === 2) {
      replyHelp(c, argv, HELP);
    } else if (sub === "sleep" && argc === 3) {
      // DEBUG SLEEP takes "abc" as 0, as C's strtod.
      blockFor(strtod(argv[2]!).value * 1000);
      r.ok();
    } else if (sub === "set-active-expire" && argc === 3) {
      c.server.keyspace.activeExpire = atoi(argv[2]!) !== 0;
      r.ok();
    } else if (sub === "log" && argc === 3) {
      c.server.log("warning", `DEBUG LOG: ${argv[2]}`);
      r.ok();
    } else if (sub === "object" && argc === 3) {
      r.simple(debugObject(c, argv[2]!));
    } else if (sub === "digest" && argc === 2) {
      r.simple(digestHex(datasetDigest(c.server.keyspace.dbs)));
    } else if (sub === "digest-value" && argc >= 2) {
      r.array(argc - 2);
      for (let i = 2; i < argc; i++) r.simple(digestHex(valueDigest(c.db, argv[i]!)));
    } else if (sub === "error" && argc === 3) {
      r.error(argv[2]!);
    } else if (sub === "protocol" && argc === 3) {
      protocol(c, argv[2]!);
    } else if (sub === "populate" && argc >= 3 && argc <= 5) {
      populate(c, argv);
    } else if (extra.has(sub)) {
      extra.get(sub)!(c, argv);
    } else {
      throw new ReplyError(
        `ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try DEBUG HELP.`,
      );
    }
  };
