/**
 * OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP.
 *
 * Strings are stored as bare byte strings, so their encoding is derived
 * from the value the way Redis's `tryObjectEncoding` would pick it. Strings
 * Redis keeps "raw" because they were built in place (APPEND, SETRANGE) are
 * reported as "embstr" when short.
 *
 * IDLETIME reads the keyspace's last-access times (`Database.access`) when
 * access tracking is on (`Keyspace.trackAccess`); otherwise it replies 0.
 * Recording a write time on every write would cost a map entry per key,
 * which is not worth it for an introspection command. FREQ keeps no
 * per-key counter: it reports Redis's initial counter, decayed by idle
 * minutes when access times are known.
 *
 * @module
 */

import type { Bytes, CommandArg, Context } from "../../core/types.ts";
import type { Value } from "../../core/keyspace.ts";
import { keys } from "../../core/registry.ts";
import { parseInteger } from "../../core/number.ts";
import { helpSubcommand } from "../../core/help.ts";
import { command, lookupRead } from "./_util.ts";

/** Redis's `OBJ_SHARED_REFCOUNT`: the refcount of shared objects. */
const SHARED_REFCOUNT = 2147483647;
/** Redis's `OBJ_SHARED_INTEGERS`. */
const SHARED_INTEGERS = 10000;
/** Redis's `LFU_INIT_VAL`: the counter of a new key. */
const LFU_INIT = 5;

/**
 * The encoding Redis gives a string value: "int" for a canonical integer of
 * at most 20 chars that fits a signed 64-bit long, "embstr" up to 44 bytes,
 * else "raw".
 *
 * @example
 * ```ts
 * import { stringEncoding } from "./_object.ts";
 * console.log(stringEncoding("123"), stringEncoding("abc")); // "int" "embstr"
 * ```
 */
export function stringEncoding(s: Bytes): "int" | "embstr" | "raw" {
  if (s.length <= 20 && parseInteger(s) !== undefined) return "int";
  return s.length <= 44 ? "embstr" : "raw";
}

function policy(c: Context): string {
  return c.server.config.get("maxmemory-policy");
}

function refcount(c: Context, v: Value): number {
  if (typeof v !== "string" || v.length > 4 || stringEncoding(v) !== "int") return 1;
  const n = Number(v);
  if (n < 0 || n >= SHARED_INTEGERS) return 1;
  // Redis stops sharing integers when an LRU/LFU policy needs per-key metadata.
  const p = policy(c);
  const noShare = c.server.config.number("maxmemory") !== 0 &&
    (p.endsWith("-lru") || p.endsWith("-lfu"));
  return noShare ? 1 : SHARED_REFCOUNT;
}

const LFU_MSG =
  "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

const HELP = [
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
];

/** Looks the key up (counted, not touched); replies null when missing. */
function lookup(c: Context, key: Bytes): Value | undefined {
  const v = lookupRead(c, key);
  if (v === undefined) c.reply.nullBulk();
  return v;
}

function encoding(c: Context, argv: Bytes[]): void {
  const v = lookup(c, argv[2]!);
  if (v === undefined) return;
  c.reply.bulk(typeof v === "string" ? stringEncoding(v) : v.encoding());
}

function freq(c: Context, argv: Bytes[]): void {
  const key = argv[2]!;
  if (lookup(c, key) === undefined) return;
  if (!policy(c).endsWith("-lfu")) {
    c.reply.error(
      `ERR An LFU maxmemory policy is not selected, access frequency not tracked. ${LFU_MSG}`,
    );
    return;
  }
  // No per-key counter is kept: a key's counter starts at LFU_INIT_VAL
  // and decays by one per idle minute (lfu-decay-time 1), as in Redis.
  const at = c.db.access.get(key);
  const minutes = at === undefined ? 0 : Math.floor((c.server.clock.now() - at) / 60000);
  c.reply.integer(Math.max(0, LFU_INIT - minutes));
}

function idletime(c: Context, argv: Bytes[]): void {
  const key = argv[2]!;
  if (lookup(c, key) === undefined) return;
  if (policy(c).endsWith("-lfu")) {
    c.reply.error(`ERR An LFU maxmemory policy is selected, idle time not tracked. ${LFU_MSG}`);
    return;
  }
  const at = c.db.access.get(key);
  const idle = at === undefined ? 0 : Math.max(0, c.server.clock.now() - at);
  c.reply.integer(Math.floor(idle / 1000));
}

const KEY: readonly CommandArg[] = [{ name: "key", type: "key", keySpecIndex: 0 }];

/** The OBJECT container command. */
export const objectCommand = command({
  name: "object",
  arity: -2,
  flags: [],
  docs: {
    summary: "A container for object introspection commands",
    since: "2.2.3",
    complexity: "Depends on subcommand.",
  },
  // In the order Redis lists them (COMMAND INFO, COMMAND DOCS).
  subcommands: [
    command({
      name: "freq",
      arity: 3,
      flags: ["readonly"],
      keySpecs: [keys.one(2, ["RO"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Get the logarithmic access frequency counter of a Redis object",
        since: "4.0.0",
        complexity: "O(1)",
        arguments: KEY,
      },
      handler: freq,
    }),
    command({
      name: "idletime",
      arity: 3,
      flags: ["readonly"],
      keySpecs: [keys.one(2, ["RO"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Get the time since a Redis object was last accessed",
        since: "2.2.3",
        complexity: "O(1)",
        arguments: KEY,
      },
      handler: idletime,
    }),
    command(helpSubcommand(HELP, "6.2.0")),
    command({
      name: "encoding",
      arity: 3,
      flags: ["readonly"],
      keySpecs: [keys.one(2, ["RO"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Inspect the internal encoding of a Redis object",
        since: "2.2.3",
        complexity: "O(1)",
        arguments: KEY,
      },
      handler: encoding,
    }),
    command({
      name: "refcount",
      arity: 3,
      flags: ["readonly"],
      keySpecs: [keys.one(2, ["RO"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Get the number of references to the value of the key",
        since: "2.2.3",
        complexity: "O(1)",
        arguments: KEY,
      },
      handler(c, argv) {
        const v = lookup(c, argv[2]!);
        if (v !== undefined) c.reply.integer(refcount(c, v));
      },
    }),
  ],
});
