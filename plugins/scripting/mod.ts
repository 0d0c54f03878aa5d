/**
 * Lua scripting, as Redis 7.0: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and
 * SCRIPT LOAD / EXISTS / FLUSH / KILL / HELP / DEBUG.
 *
 * - Scripts are cached by the SHA-1 of their body and compiled once into
 *   the VM (see `scripting_vm.ts`), which is created on first use and again
 *   after SCRIPT FLUSH.
 * - A script runs atomically, inside `server.atomically`: the writes it
 *   makes propagate as themselves (effects replication), wrapped in
 *   MULTI/EXEC when there are several; EVAL itself is never propagated.
 * - A shebang line (`#!lua flags=no-writes,allow-oom,...`) declares flags
 *   as Redis 7.0 parses them; without one the script runs in Redis's
 *   backwards-compatible mode.
 * - The event loop is blocked while a script runs, so no other client can
 *   send SCRIPT KILL meanwhile: it always answers NOTBUSY.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import type {
  Bytes,
  CommandHandler,
  CommandSpec,
  Context,
  KeySpec,
  ServerApi,
} from "../../core/types.ts";
import { Trait } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";
import { intArg } from "../../core/number.ts";
import { sha1hex } from "../../core/sha1.ts";
import { type Script, type ScriptFlags, scriptTraits, ScriptVM } from "./_vm.ts";

const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";
const GROUP = "scripting";
const CATS = ["scripting"] as const;

const FLAG_NAMES: Record<string, keyof ScriptFlags> = {
  "no-writes": "noWrites",
  "allow-oom": "allowOom",
  "allow-stale": "allowStale",
  "no-cluster": "noCluster",
  "allow-cross-slot-keys": "allowCrossSlot",
};

/**
 * Parses a script's shebang line (evalExtractShebangFlags): its flags and
 * the length of the line (kept out of the compiled source, its newline
 * kept so line numbers hold), or the error text.
 */
export function parseShebang(body: Bytes): { flags: ScriptFlags; length: number } | string {
  const flags: ScriptFlags = {
    compat: true,
    noWrites: false,
    allowOom: false,
    allowStale: false,
    noCluster: false,
    allowCrossSlot: false,
  };
  if (!body.startsWith("#!")) return { flags, length: 0 };
  const end = body.indexOf("\n");
  if (end === -1) return "ERR Invalid script shebang";
  const parts = body.slice(0, end).split(/[ \t\r\v\f]+/).filter((p) => p !== "");
  if (parts.length === 0) return "ERR Invalid engine in script shebang";
  if (parts[0] !== "#!lua") return `ERR Unexpected engine in script shebang: ${parts[0]}`;
  flags.compat = false;
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) return `ERR Unknown lua shebang option: ${part}`;
    const list = part.slice(6);
    if (list === "") continue;
    for (const f of list.split(",")) {
      const name = FLAG_NAMES[f];
      if (name === undefined) return `ERR Unexpected flag in script shebang: ${f}`;
      flags[name] = true;
    }
  }
  return { flags, length: end };
}

const evalKeys = (flags: KeySpec["flags"], notes?: string): KeySpec => ({
  flags,
  begin: { index: 2 },
  find: { keynum: { keynumidx: 0, firstkey: 1, step: 1 } },
  ...(notes === undefined ? {} : { notes }),
});

const HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
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
  "HELP",
  "    Prints this help.",
];

function init(server: ServerApi) {
  const scripts = new Map<string, Script>();
  const byBody = new Map<Bytes, Script>();
  let vm: ScriptVM | undefined;

  const getVm = (): ScriptVM => vm ??= new ScriptVM({ server });

  /** Finds or compiles a body (luaCreateFunction); throws its error. */
  function create(body: Bytes): Script {
    // EVAL of a known body: one Map lookup instead of a SHA-1.
    const same = byBody.get(body);
    if (same !== undefined) return same;
    const sha = sha1hex(body);
    const known = scripts.get(sha);
    if (known !== undefined) return known;
    const parsed = parseShebang(body);
    if (typeof parsed === "string") throw new ReplyError(parsed);
    const script: Script = { sha, body, flags: parsed.flags };
    const err = getVm().compile(script, parsed.length);
    if (err !== undefined) throw new ReplyError(err);
    scripts.set(sha, script);
    byBody.set(script.body, script);
    return script;
  }

  function evalGeneric(c: Context, argv: Bytes[], bySha: boolean, ro: boolean): void {
    if (bySha && argv[1]!.length !== 40) throw new ReplyError(NOSCRIPT);
    const numkeys = intArg(argv[2]!);
    if (numkeys > argv.length - 3) {
      throw new ReplyError("ERR Number of keys can't be greater than number of args");
    }
    if (numkeys < 0) throw new ReplyError("ERR Number of keys can't be negative");
    let script: Script | undefined;
    if (bySha) {
      script = scripts.get(argv[1]!.toLowerCase());
      if (script === undefined) throw new ReplyError(NOSCRIPT);
    } else {
      script = create(argv[1]!);
    }
    const obey = c.id === 0;
    const flags = script.flags;
    // A script declared as writing was admitted as a write (see traitsFor).
    if (!flags.compat && !flags.noWrites && ro) {
      throw new ReplyError("ERR Can not execute a script with write flag using *_ro command.");
    }
    // A script without a shebang may not say it can run stale: refused on a
    // stale replica (Redis's scriptPrepareForRun in compatibility mode).
    if (flags.compat && !obey) {
      const self = server.commands.get(argv[0]!.toLowerCase());
      const stale = self &&
        server.admit(c, self, argv, { traits: Trait.DENYSTALE, phases: ["stale"] });
      if (stale) throw new ReplyError(stale);
    }
    getVm().run({
      caller: c,
      script,
      keys: argv.slice(3, 3 + numkeys),
      args: argv.slice(3 + numkeys),
      readOnly: ro || (!flags.compat && flags.noWrites),
      obey,
    });
  }

  const evalSpec = (
    name: string,
    bySha: boolean,
    ro: boolean,
    summary: string,
    since: string,
  ): CommandSpec => ({
    name,
    arity: -3,
    flags: ro
      ? ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"]
      : ["noscript", "stale", "skip_monitor", "no_mandatory_keys"],
    categories: CATS,
    keySpecs: [
      ro
        ? evalKeys(
          ["RO", "ACCESS"],
          bySha ? undefined : "We cannot tell how the keys will be used so we assume the worst, " +
            "RO and ACCESS",
        )
        : evalKeys(
          ["RW", "ACCESS", "UPDATE"],
          bySha ? undefined : "We cannot tell how the keys will be used so we assume the worst, " +
            "RW and UPDATE",
        ),
    ],
    docs: { summary, since, group: GROUP, complexity: "Depends on the script that is executed." },
    traitsFor: (_c, argv, base) => {
      // Redis's evalGetCommandFlags: a known script's flags, or the
      // shebang of a body not compiled yet.
      let flags: ScriptFlags | undefined;
      if (bySha) {
        flags = argv[1]!.length === 40 ? scripts.get(argv[1]!.toLowerCase())?.flags : undefined;
      } else {
        flags = byBody.get(argv[1]!)?.flags;
        if (flags === undefined) {
          const parsed = parseShebang(argv[1]!);
          if (typeof parsed !== "string") flags = parsed.flags;
        }
      }
      return flags === undefined ? base : scriptTraits(base, flags);
    },
    handler: (c, argv) => evalGeneric(c, argv, bySha, ro),
  });

  const sub = (
    name: string,
    arity: number,
    flags: CommandSpec["flags"],
    summary: string,
    complexity: string,
    handler: CommandHandler,
  ): CommandSpec => ({
    name,
    arity,
    flags,
    categories: CATS,
    docs: { summary, since: "2.6.0", group: GROUP, complexity },
    handler,
  });

  const commands: CommandSpec[] = [
    evalSpec("eval", false, false, "Execute a Lua script server side", "2.6.0"),
    evalSpec("evalsha", true, false, "Execute a Lua script server side", "2.6.0"),
    evalSpec("eval_ro", false, true, "Execute a read-only Lua script server side", "7.0.0"),
    evalSpec("evalsha_ro", true, true, "Execute a read-only Lua script server side", "7.0.0"),
    {
      name: "script",
      arity: -2,
      flags: [],
      docs: {
        summary: "A container for Lua scripts management commands",
        since: "2.6.0",
        group: GROUP,
        complexity: "Depends on subcommand.",
      },
      subcommands: [
        sub(
          "help",
          2,
          ["loading", "stale"],
          "Show helpful text about the different subcommands",
          "O(1)",
          (c) => {
            c.reply.array(HELP.length);
            for (const line of HELP) c.reply.simple(line);
          },
        ),
        sub(
          "load",
          3,
          ["noscript", "stale"],
          "Load the specified Lua script into the script cache.",
          "O(N) with N being the length in bytes of the script body.",
          (c, argv) => c.reply.bulk(create(argv[2]!).sha),
        ),
        sub(
          "exists",
          -3,
          ["noscript"],
          "Check existence of scripts in the script cache.",
          "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
          (c, argv) => {
            c.reply.array(argv.length - 2);
            for (let i = 2; i < argv.length; i++) {
              c.reply.integer(scripts.has(argv[i]!.toLowerCase()) ? 1 : 0);
            }
          },
        ),
        sub(
          "flush",
          -2,
          ["noscript"],
          "Remove all the scripts from the script cache.",
          "O(N) with N being the number of scripts in cache",
          (c, argv) => {
            const mode = argv[2]?.toLowerCase();
            if (argv.length > 3 || (mode !== undefined && mode !== "sync" && mode !== "async")) {
              throw new ReplyError("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            }
            scripts.clear();
            byBody.clear();
            vm = undefined;
            c.reply.ok();
          },
        ),
        sub(
          "kill",
          2,
          ["noscript", "allow_busy"],
          "Kill the script currently in execution.",
          "O(1)",
          () => {
            throw new ReplyError("NOTBUSY No scripts in execution right now.");
          },
        ),
        sub(
          "debug",
          3,
          ["noscript"],
          "Set the debug mode for executed scripts.",
          "O(1)",
          (c, argv) => {
            const mode = argv[2]!.toLowerCase();
            if (mode === "no") return c.reply.ok();
            if (mode === "yes" || mode === "sync") {
              throw new ReplyError("ERR SCRIPT DEBUG is not supported by this server");
            }
            throw new ReplyError("ERR Use SCRIPT DEBUG YES/SYNC/NO");
          },
        ),
      ],
    },
  ];

  return {
    commands,
    hooks: {
      info(section: string) {
        if (section !== "memory") return undefined;
        let bytes = 0;
        for (const s of scripts.values()) bytes += s.body.length + 40;
        return { used_memory_scripts_eval: bytes, number_of_cached_scripts: scripts.size };
      },
    },
  };
}

/** The scripting plugin: EVAL and friends, SCRIPT. */
export default definePlugin({
  name: "scripting",
  init,
});
