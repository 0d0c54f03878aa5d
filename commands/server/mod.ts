/**
 * The server family: CONFIG, INFO, DBSIZE, FLUSHDB, FLUSHALL, TIME,
 * SHUTDOWN and DEBUG (INFO's sections and DEBUG's subcommands live in
 * `_info.ts` and `_debug.ts`).
 *
 * @module
 */

import { commandFamily, definePlugin } from "../../core/registry.ts";
import type {
  Bytes,
  CommandArg,
  CommandDocs,
  CommandSpec,
  Context,
  ServerApi,
  ShutdownOptions,
} from "../../core/types.ts";
import type { Database } from "../../core/keyspace.ts";
import { ConfigError, type RewriteLine } from "../../core/config.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { createInfo } from "./_info.ts";
import { type DebugHandler, debugHandler, type DebugService } from "./_debug.ts";
import { configSubcommands } from "./_config.ts";

export type { DebugHandler, DebugService } from "./_debug.ts";

declare module "../../core/types.ts" {
  interface Services {
    /** Adds DEBUG subcommands (server plugin). */
    debug: DebugService;
  }
}

const command = commandFamily({ group: "server" });

/** Clears INFO's counters and every command's statistics (CONFIG RESETSTAT). */
function resetStats(server: ServerApi): void {
  const s = server.stats;
  s.totalConnections = 0;
  s.totalCommands = 0;
  s.rejectedConnections = 0;
  s.expiredKeys = 0;
  s.keyspaceHits = 0;
  s.keyspaceMisses = 0;
  s.netInputBytes = 0;
  s.netOutputBytes = 0;
  s.errorReplies = 0;
  s.errorCodes.clear();
  for (const e of server.commands.values()) {
    for (const x of [e, ...(e.subcommands?.values() ?? [])]) {
      x.calls = 0;
      x.usec = 0;
      x.rejectedCalls = 0;
      x.failedCalls = 0;
    }
  }
}

/** FLUSHDB / FLUSHALL's optional ASYNC|SYNC (both flush at once here). */
function checkFlushArgs(argv: Bytes[]): void {
  if (argv.length === 1) return;
  const a = argv[1]!.toLowerCase();
  if (argv.length > 2 || (a !== "async" && a !== "sync")) throw new ReplyError(Err.syntax);
}

/**
 * Empties databases: the database-changed hooks run first (WATCH sees the
 * keys that are about to go), then the maps are dropped in O(1); the GC
 * reclaims them, which is what ASYNC asks for. Returns the keys removed.
 */
function flush(server: ServerApi, dbs: readonly Database[]): number {
  let removed = 0;
  for (const db of dbs) {
    if (db.size === 0) continue;
    removed += db.size;
    server.emitDatabaseChanged(db, "flush");
    db.clear();
  }
  return removed;
}

/** FLUSHDB's and FLUSHALL's history (COMMAND DOCS). */
const FLUSH_HISTORY: CommandDocs["history"] = [
  ["4.0.0", "Added the `ASYNC` flushing mode modifier."],
  ["6.2.0", "Added the `SYNC` flushing mode modifier."],
];

/** FLUSHDB's and FLUSHALL's arguments (COMMAND DOCS). */
const FLUSH_ARGUMENTS: readonly CommandArg[] = [
  {
    name: "async",
    type: "oneof",
    flags: ["optional"],
    arguments: [
      { name: "async", type: "pure-token", token: "ASYNC", since: "4.0.0" },
      { name: "sync", type: "pure-token", token: "SYNC", since: "6.2.0" },
    ],
  },
];

/** FLUSHDB (`all` false) or FLUSHALL's handler. */
const flushHandler = (all: boolean) => (c: Context, argv: Bytes[]) => {
  checkFlushArgs(argv);
  const server = c.server;
  const removed = flush(server, all ? server.keyspace.dbs : [c.db]);
  // Redis 7.0 counts one change per removed key (no more for FLUSHALL).
  c.wrote(removed);
  // Propagated as received even when nothing was removed, as Redis does.
  c.propagate(argv);
  c.reply.ok();
};

/** SHUTDOWN's handler. */
function shutdown(c: Context, argv: Bytes[]): void {
  let save: boolean | undefined, nosave = false, now = false, force = false, abort = false;
  for (let i = 1; i < argv.length; i++) {
    switch (argv[i]!.toLowerCase()) {
      case "nosave":
        nosave = true;
        break;
      case "save":
        save = true;
        break;
      case "now":
        now = true;
        break;
      case "force":
        force = true;
        break;
      case "abort":
        abort = true;
        break;
      default:
        throw new ReplyError(Err.syntax);
    }
  }
  if ((abort && (save || nosave || now || force)) || (save && nosave)) {
    throw new ReplyError(Err.syntax);
  }
  // Shutting down is immediate here, so there is never one to abort.
  if (abort) throw new ReplyError("ERR No shutdown in progress.");
  // A script holds the server (busy): only NOSAVE, as Redis.
  const busy = c.server.busy;
  if (busy !== undefined && !nosave) throw new ReplyError(busy);
  if (nosave) save = false;
  // The reply waits for the outcome: none when the server goes (the
  // connection closes, as with Redis), an error when it stays up.
  const resume = c.suspend();
  c.server.shutdown({
    ...(save !== undefined ? { save } : {}),
    ...(now ? { now } : {}),
    ...(force ? { force } : {}),
  }).catch(() => {
    c.reply.error(SHUTDOWN_FAILED);
    resume();
  });
}

/** Redis's reply when a shutdown is refused (a final save failed). */
const SHUTDOWN_FAILED = "ERR Errors trying to SHUTDOWN. Check logs.";

/** `shutdown-on-sigterm` / `shutdown-on-sigint` flags, in Redis's order. */
const SIGNAL_FLAGS = ["save", "nosave", "now", "force"] as const;

/**
 * Normalises a `shutdown-on-sig*` value as Redis 7.0 does: any of
 * default|save|nosave|now|force, case-insensitive, repeats allowed, shown
 * in a fixed order (`default` when none is set).
 */
function normalizeSignalFlags(v: string): string {
  const words = v.split(" ").filter((w) => w !== "").map((w) => w.toLowerCase());
  const allowed: readonly string[] = ["default", ...SIGNAL_FLAGS];
  if (words.length === 0 || words.some((w) => !allowed.includes(w))) {
    throw new ConfigError(
      `argument(s) must be one of the following: ${allowed.join(", ")}`,
    );
  }
  if (words.includes("save") && words.includes("nosave")) {
    throw new ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously");
  }
  const set = SIGNAL_FLAGS.filter((f) => words.includes(f));
  return set.length === 0 ? "default" : set.join(" ");
}

/** CONFIG REWRITE's line for `shutdown-on-sig*`: the flags as separate arguments. */
function rewriteSignalFlags(v: string, name: string): RewriteLine[] {
  return [{ line: `${name} ${v}`, force: v !== "default" }];
}

/**
 * The shutdown options a signal asks for (`shutdown-on-sigterm`,
 * `shutdown-on-sigint`): `default` is a plain SHUTDOWN.
 *
 * @example
 * ```ts
 * import { signalShutdownOptions } from "./mod.ts";
 * console.log(signalShutdownOptions("nosave now")); // { save: false, now: true }
 * ```
 */
export function signalShutdownOptions(flags: string): ShutdownOptions {
  const words = flags.split(" ");
  const opts: ShutdownOptions = {};
  if (words.includes("save")) opts.save = true;
  if (words.includes("nosave")) opts.save = false;
  if (words.includes("now")) opts.now = true;
  if (words.includes("force")) opts.force = true;
  return opts;
}

/** The server plugin. */
export default definePlugin({
  name: "server",
  config: [
    {
      name: "shutdown-on-sigterm",
      type: "string",
      default: "default",
      multiArg: true,
      validate: normalizeSignalFlags,
      rewrite: rewriteSignalFlags,
    },
    {
      name: "shutdown-on-sigint",
      type: "string",
      default: "default",
      multiArg: true,
      validate: normalizeSignalFlags,
      rewrite: rewriteSignalFlags,
    },
  ],
  init(server) {
    const debugSubcommands = new Map<string, DebugHandler>();
    server.provide("debug", {
      register: (name, handler) => void debugSubcommands.set(name.toLowerCase(), handler),
    });
    const info = createInfo(server);
    const commands: CommandSpec[] = [
      command({
        name: "config",
        arity: -2,
        flags: [],
        docs: {
          summary: "A container for server configuration commands",
          since: "2.0.0",
          complexity: "Depends on subcommand.",
        },
        subcommands: configSubcommands((c) => {
          resetStats(c.server);
          info.reset();
        }),
      }),
      command({
        name: "info",
        arity: -1,
        flags: ["loading", "stale"],
        categories: ["dangerous"],
        tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        docs: {
          summary: "Get information and statistics about the server",
          since: "1.0.0",
          complexity: "O(1)",
          history: [
            ["7.0.0", "Added support for taking multiple section arguments."],
          ],
          arguments: [
            { name: "section", type: "string", flags: ["optional", "multiple"] },
          ],
        },
        handler(c, argv) {
          c.reply.verbatim(info.render(argv.slice(1)));
        },
      }),
      command({
        name: "dbsize",
        arity: 1,
        flags: ["readonly", "fast"],
        categories: ["keyspace"],
        tips: ["request_policy:all_shards", "response_policy:agg_sum"],
        docs: {
          summary: "Return the number of keys in the selected database",
          since: "1.0.0",
          complexity: "O(1)",
        },
        handler: (c) => c.reply.integer(c.db.size),
      }),
      command({
        name: "flushdb",
        arity: -1,
        flags: ["write"],
        categories: ["keyspace", "dangerous"],
        tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
        docs: {
          summary: "Remove all keys from the current database",
          since: "1.0.0",
          complexity: "O(N) where N is the number of keys in the selected database",
          history: FLUSH_HISTORY,
          arguments: FLUSH_ARGUMENTS,
        },
        handler: flushHandler(false),
      }),
      command({
        name: "flushall",
        arity: -1,
        flags: ["write"],
        categories: ["keyspace", "dangerous"],
        tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
        docs: {
          summary: "Remove all keys from all databases",
          since: "1.0.0",
          complexity: "O(N) where N is the total number of keys in all databases",
          history: FLUSH_HISTORY,
          arguments: FLUSH_ARGUMENTS,
        },
        handler: flushHandler(true),
      }),
      command({
        name: "time",
        arity: 1,
        flags: ["loading", "stale", "fast"],
        tips: ["nondeterministic_output"],
        docs: {
          summary: "Return the current server time",
          since: "2.6.0",
          complexity: "O(1)",
        },
        handler(c) {
          const ms = c.server.clock.now();
          const secs = Math.floor(ms / 1000);
          c.reply.array(2);
          c.reply.bulk(String(secs));
          c.reply.bulk(String(Math.floor((ms - secs * 1000) * 1000)));
        },
      }),
      command({
        name: "shutdown",
        arity: -1,
        flags: ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
        docs: {
          summary: "Synchronously save the dataset to disk and then shut down the server",
          since: "1.0.0",
          complexity:
            "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
          history: [
            ["7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."],
          ],
          arguments: [
            {
              name: "nosave_save",
              type: "oneof",
              flags: ["optional"],
              arguments: [
                { name: "nosave", type: "pure-token", token: "NOSAVE" },
                { name: "save", type: "pure-token", token: "SAVE" },
              ],
            },
            { name: "now", type: "pure-token", token: "NOW", since: "7.0.0", flags: ["optional"] },
            {
              name: "force",
              type: "pure-token",
              token: "FORCE",
              since: "7.0.0",
              flags: ["optional"],
            },
            {
              name: "abort",
              type: "pure-token",
              token: "ABORT",
              since: "7.0.0",
              flags: ["optional"],
            },
          ],
        },
        handler: shutdown,
      }),
      command({
        name: "debug",
        arity: -2,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "A container for debugging commands",
          since: "1.0.0",
          complexity: "Depends on subcommand.",
          docFlags: ["syscmd"],
        },
        handler: debugHandler(debugSubcommands),
      }),
    ];
    return { commands, hooks: { cron: () => info.cron() } };
  },
});
