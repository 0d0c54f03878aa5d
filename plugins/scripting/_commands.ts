/**
 * The scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT
 * LOAD / EXISTS / FLUSH / KILL / HELP / DEBUG, as Redis 7.0's eval.c.
 *
 * @module
 */

import { commandFamily, keys } from "../../core/registry.ts";
import type {
  AdmissionPhase,
  Bytes,
  CommandArg,
  CommandEntry,
  CommandHandler,
  CommandSpec,
  Context,
  ServerApi,
} from "../../core/types.ts";
import { Trait } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";
import { intArg } from "../../core/number.ts";
import { helpSubcommand } from "../../core/help.ts";
import { scriptTraits } from "./_flags.ts";
import type { Script } from "./_vm.ts";
import type { ScriptCache } from "./_cache.ts";
import type { Scripts } from "./_running.ts";
import { engineLoaded, withEngine } from "./_engine.ts";

const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";
/** The commands evalGeneric runs as, by (bySha ? 1 : 0) + (ro ? 2 : 0). */
const SELF_NAMES = ["eval", "evalsha", "eval_ro", "evalsha_ro"];
/** The admission a script without a shebang passes on a stale replica. */
const STALE: readonly AdmissionPhase[] = ["stale"];

const HELP = [
  "DEBUG (YES|SYNC|NO)",
  "    Set the debug mode for subsequent scripts executed.",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
];

const command = commandFamily({ category: "scripting" });

/** The arguments after the script in COMMAND DOCS. */
const KEYS_AND_ARGS: readonly CommandArg[] = [
  { name: "numkeys", type: "integer" },
  { name: "key", type: "key", keySpecIndex: 0, flags: ["optional", "multiple"] },
  { name: "arg", type: "string", flags: ["optional", "multiple"] },
];

/** The scripting commands of one server. */
export function scriptingCommands(
  server: ServerApi,
  cache: ScriptCache,
  scripts: Scripts,
): CommandSpec[] {
  /** EVAL, EVALSHA, EVAL_RO and EVALSHA_RO's entries, looked up once. */
  const selves: (CommandEntry | undefined)[] = [];
  const staleCheck = server.admitter(STALE);
  function evalGeneric(c: Context, argv: Bytes[], bySha: boolean, ro: boolean): void {
    if (bySha && argv[1]!.length !== 40) throw new ReplyError(NOSCRIPT);
    const numkeys = intArg(argv[2]!);
    if (numkeys > argv.length - 3) {
      throw new ReplyError("ERR Number of keys can't be greater than number of args");
    }
    if (numkeys < 0) throw new ReplyError("ERR Number of keys can't be negative");
    let script: Script | undefined;
    if (bySha) {
      script = cache.get(argv[1]!);
      if (script === undefined) throw new ReplyError(NOSCRIPT);
    } else {
      script = cache.create(argv[1]!);
    }
    const obey = c.id === 0;
    const flags = script.flags;
    // A script declared as writing was admitted as a write (see traitsFor).
    if (!flags.compat && !flags.noWrites && ro) {
      throw new ReplyError("ERR Can not execute a script with write flag using *_ro command.");
    }
    // A script without a shebang may not say it can run stale: refused on a
    // stale replica (Redis's scriptPrepareForRun in compatibility mode).
    if (flags.compat && !obey && staleCheck.armed) {
      const which = (bySha ? 1 : 0) + (ro ? 2 : 0);
      const self = selves[which] ??= server.commands.get(SELF_NAMES[which]!);
      const stale = self && staleCheck.check(c, self, argv, Trait.DENYSTALE);
      if (stale) throw new ReplyError(stale);
    }
    cache.vm.run({
      caller: c,
      name: script.sha,
      flags,
      ref: script.ref,
      fn: false,
      numkeys,
      readOnly: ro || (!flags.compat && flags.noWrites),
      obey,
      argv,
    });
  }

  /**
   * A handler that compiles a script: until the engine is loaded, it waits
   * for it (see `_engine.ts`). EVALSHA's need not: with no engine no script
   * is cached, and it answers NOSCRIPT.
   */
  const compiling = (h: CommandHandler): CommandHandler => (c, argv) =>
    engineLoaded() ? h(c, argv) : withEngine(c, scripts, () => h(c, argv));

  // Redis's evalGetCommandFlags: a known script's flags, or the shebang of
  // a body not compiled yet.
  const traitsFor = (bySha: boolean) => (_c: Context, argv: Bytes[], base: number): number => {
    const flags = cache.flagsOf(argv[1]!, bySha);
    return flags === undefined ? base : scriptTraits(base, flags);
  };

  return [
    command({
      name: "eval",
      arity: -3,
      flags: ["noscript", "stale", "skip_monitor", "may_replicate", "no_mandatory_keys"],
      keySpecs: [{
        ...keys.counted(2, ["RW", "ACCESS", "UPDATE"]),
        notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
      }],
      docs: {
        summary: "Execute a Lua script server side",
        since: "2.6.0",
        complexity: "Depends on the script that is executed.",
        arguments: [{ name: "script", type: "string" }, ...KEYS_AND_ARGS],
      },
      traitsFor: traitsFor(false),
      handler: compiling((c, argv) => evalGeneric(c, argv, false, false)),
    }),
    command({
      name: "evalsha",
      arity: -3,
      flags: ["noscript", "stale", "skip_monitor", "may_replicate", "no_mandatory_keys"],
      keySpecs: [keys.counted(2, ["RW", "ACCESS", "UPDATE"])],
      docs: {
        summary: "Execute a Lua script server side",
        since: "2.6.0",
        complexity: "Depends on the script that is executed.",
        arguments: [{ name: "sha1", type: "string" }, ...KEYS_AND_ARGS],
      },
      traitsFor: traitsFor(true),
      handler: (c, argv) => evalGeneric(c, argv, true, false),
    }),
    command({
      name: "eval_ro",
      arity: -3,
      flags: ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"],
      keySpecs: [{
        ...keys.counted(2, ["RO", "ACCESS"]),
        notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
      }],
      docs: {
        summary: "Execute a read-only Lua script server side",
        since: "7.0.0",
        complexity: "Depends on the script that is executed.",
        arguments: [{ name: "script", type: "string" }, ...KEYS_AND_ARGS],
      },
      traitsFor: traitsFor(false),
      handler: compiling((c, argv) => evalGeneric(c, argv, false, true)),
    }),
    command({
      name: "evalsha_ro",
      arity: -3,
      flags: ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"],
      keySpecs: [keys.counted(2, ["RO", "ACCESS"])],
      docs: {
        summary: "Execute a read-only Lua script server side",
        since: "7.0.0",
        complexity: "Depends on the script that is executed.",
        arguments: [{ name: "sha1", type: "string" }, ...KEYS_AND_ARGS],
      },
      traitsFor: traitsFor(true),
      handler: (c, argv) => evalGeneric(c, argv, true, true),
    }),
    command({
      name: "script",
      arity: -2,
      flags: [],
      docs: {
        summary: "A container for Lua scripts management commands",
        since: "2.6.0",
        complexity: "Depends on subcommand.",
      },
      subcommands: [
        {
          name: "flush",
          arity: -2,
          flags: ["noscript"],
          tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
          docs: {
            summary: "Remove all the scripts from the script cache.",
            since: "2.6.0",
            complexity: "O(N) with N being the number of scripts in cache",
            history: [["6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers."]],
            arguments: [{
              name: "async",
              type: "oneof",
              since: "6.2.0",
              flags: ["optional"],
              arguments: [
                { name: "async", type: "pure-token", token: "ASYNC" },
                { name: "sync", type: "pure-token", token: "SYNC" },
              ],
            }],
          },
          handler(c, argv) {
            const mode = argv[2]?.toLowerCase();
            if (argv.length > 3 || (mode !== undefined && mode !== "sync" && mode !== "async")) {
              throw new ReplyError("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            }
            cache.flush();
            c.reply.ok();
          },
        },
        {
          name: "exists",
          arity: -3,
          flags: ["noscript"],
          tips: ["request_policy:all_shards", "response_policy:agg_logical_and"],
          docs: {
            summary: "Check existence of scripts in the script cache.",
            since: "2.6.0",
            complexity:
              "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
            arguments: [{ name: "sha1", type: "string", flags: ["multiple"] }],
          },
          handler(c, argv) {
            c.reply.array(argv.length - 2);
            for (let i = 2; i < argv.length; i++) {
              c.reply.integer(cache.get(argv[i]!) === undefined ? 0 : 1);
            }
          },
        },
        {
          name: "debug",
          arity: 3,
          flags: ["noscript"],
          docs: {
            summary: "Set the debug mode for executed scripts.",
            since: "3.2.0",
            complexity: "O(1)",
            arguments: [{
              name: "mode",
              type: "oneof",
              arguments: [
                { name: "yes", type: "pure-token", token: "YES" },
                { name: "sync", type: "pure-token", token: "SYNC" },
                { name: "no", type: "pure-token", token: "NO" },
              ],
            }],
          },
          handler(c, argv) {
            const mode = argv[2]!.toLowerCase();
            if (mode === "no") return c.reply.ok();
            if (mode === "yes" || mode === "sync") {
              throw new ReplyError("ERR SCRIPT DEBUG is not supported by this server");
            }
            throw new ReplyError("ERR Use SCRIPT DEBUG YES/SYNC/NO");
          },
        },
        {
          name: "load",
          arity: 3,
          flags: ["noscript", "stale"],
          tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
          docs: {
            summary: "Load the specified Lua script into the script cache.",
            since: "2.6.0",
            complexity: "O(N) with N being the length in bytes of the script body.",
            arguments: [{ name: "script", type: "string" }],
          },
          handler: compiling((c, argv) => c.reply.bulk(cache.create(argv[2]!).sha)),
        },
        helpSubcommand(HELP),
        {
          name: "kill",
          arity: 2,
          flags: ["noscript", "allow_busy"],
          tips: ["request_policy:all_shards", "response_policy:one_succeeded"],
          docs: {
            summary: "Kill the script currently in execution.",
            since: "2.6.0",
            complexity: "O(1)",
          },
          handler(c) {
            const err = scripts.kill(true);
            if (err !== undefined) throw new ReplyError(err);
            c.reply.ok();
          },
        },
      ],
    }),
  ];
}
