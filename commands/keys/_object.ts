/**
 * OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP.
 *
 * Strings are stored as bare byte strings, so their encoding is derived
 * from the value the way Redis's `tryObjectEncoding` would pick it, except
 * for strings modified in place (APPEND, SETRANGE, ...), which Redis keeps
 * "raw": the keyspace marks those (`Database.markRaw`).
 *
 * IDLETIME reads the keyspace's access times, kept for every key on
 * Redis's one-second LRU clock whatever the policy. FREQ reads the LFU
 * counter the eviction plugin keeps under an LFU policy. Neither lookup
 * counts as an access.
 *
 * @module
 */

import type { Bytes, CommandArg, Context } from "../../core/types.ts";
import type { Value } from "../../core/keyspace.ts";
import { keys } from "../../core/registry.ts";
import { parseInteger } from "../../core/number.ts";
import { helpSubcommand } from "../../core/help.ts";
import { command, lookupNoTouch } from "./_util.ts";
import type {} from "../../plugins/eviction/mod.ts"; // the `eviction` service's type

/** Redis's `OBJ_SHARED_REFCOUNT`: the refcount of shared objects. */
const SHARED_REFCOUNT = 2147483647;
/** Redis's `OBJ_SHARED_INTEGERS`. */
const SHARED_INTEGERS = 10000;
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

/** OBJECT ENCODING's answer for the value of `key`. */
export function encodingOf(c: Context, key: Bytes, v: Value): string {
  if (typeof v !== "string") return v.encoding();
  return c.db.isRaw(key) ? "raw" : stringEncoding(v);
}

function refcount(c: Context, key: Bytes, v: Value): number {
  if (typeof v !== "string" || v.length > 4 || encodingOf(c, key, v) !== "int") return 1;
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
  const v = lookupNoTouch(c, key);
  if (v === undefined) c.reply.nullBulk();
  return v;
}

function encoding(c: Context, argv: Bytes[]): void {
  const key = argv[2]!;
  const v = lookup(c, key);
  if (v !== undefined) c.reply.bulk(encodingOf(c, key, v));
}

function freq(c: Context, argv: Bytes[]): void {
  const key = argv[2]!;
  if (lookup(c, key) === undefined) return;
  const counter = policy(c).endsWith("-lfu")
    ? c.server.service("eviction")?.lfuCounter(c.db, key)
    : undefined;
  if (counter === undefined) {
    c.reply.error(
      `ERR An LFU maxmemory policy is not selected, access frequency not tracked. ${LFU_MSG}`,
    );
    return;
  }
  c.reply.integer(counter);
}

function idletime(c: Context, argv: Bytes[]): void {
  const key = argv[2]!;
  if (lookup(c, key) === undefined) return;
  if (policy(c).endsWith("-lfu")) {
    c.reply.error(`ERR An LFU maxmemory policy is selected, idle time not tracked. ${LFU_MSG}`);
    return;
  }
  c.reply.integer(c.db.idleSeconds(key));
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
        if (v !== undefined) c.reply.integer(refcount(c, argv[2]!, v));
      },
    }),
  ],
});
