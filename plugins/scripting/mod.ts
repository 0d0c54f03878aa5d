/**
 * Lua scripting, as Redis 7.0: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and
 * SCRIPT LOAD / EXISTS / FLUSH / KILL / HELP / DEBUG, and the Lua engine
 * other plugins build on (the `scripting` service: function libraries).
 *
 * - The Lua engine (fengari and `_vm.ts`) is loaded when first needed,
 *   not at start-up: an idle server does without its 5 MB (`_engine.ts`).
 * - Scripts are cached by the SHA-1 of their body and compiled once into
 *   the server's VM (`_vm.ts`), which is created on first use and again
 *   after SCRIPT FLUSH (`_cache.ts`).
 * - A script runs atomically, in one propagation block
 *   (`server.beginAtomic`): the writes it makes propagate as themselves
 *   (effects replication), wrapped in MULTI/EXEC when there are several,
 *   when it ends; EVAL itself is never propagated.
 * - A shebang line (`#!lua flags=no-writes,allow-oom,...`) declares flags
 *   as Redis 7.0 parses them (`_flags.ts`); without one the script runs in
 *   Redis's backwards-compatible mode.
 * - A script that runs past `busy-reply-threshold` (`lua-time-limit`)
 *   pauses: its Lua thread yields from the count hook, its caller's
 *   command is suspended (`Context.suspendCall`) and the server is busy
 *   (other clients get BUSY but for `allow_busy` commands) while it goes on
 *   in slices. SCRIPT KILL and FUNCTION KILL stop one that has not written
 *   (`_running.ts`). A script whose caller cannot wait (the AOF, the
 *   master link) runs to its end. One that cannot pause where it is
 *   (inside a callback from JS: `table.sort`'s comparator, a `gsub`
 *   function, a coroutine of its own) runs on, and is stopped as SCRIPT
 *   KILL would once stuck for another threshold, unless it wrote.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import type { Bytes, Context, ServerApi } from "../../core/types.ts";
import { flagNames, type ScriptFlags, scriptTraits } from "./_flags.ts";
import type { Registration, RegistrationSink } from "./_register.ts";
import type { VmHost } from "./_vm.ts";
import { engine, loadEngine, withEngine } from "./_engine.ts";
import { ScriptCache } from "./_cache.ts";
import { scriptingCommands } from "./_commands.ts";
import { Scripts } from "./_running.ts";

export type { Registration, RegistrationSink, ScriptFlags };

/** FCALL of a registered function (see {@link LibraryVm.call}). */
export interface FunctionCall {
  caller: Context;
  fn: Registration;
  /** How many of argv's items after `numkeys` are keys; the rest are its arguments. */
  numkeys: number;
  /** FCALL_RO, or a `no-writes` function. */
  readOnly: boolean;
  /** Master link or AOF loading: no ACL, read-only-replica or OOM checks. */
  obey: boolean;
  /**
   * The caller's command (FUNCTION STATS shows it while it runs): FCALL,
   * the function, `numkeys`, the keys, the arguments.
   */
  argv: readonly Bytes[];
}

/** The script running now, as FUNCTION STATS shows it. */
export interface RunningScript {
  /** The script's SHA-1, or the function's name. */
  readonly name: string;
  /** A function (FCALL), not EVAL's script. */
  readonly fn: boolean;
  /** Its caller's command. */
  readonly argv: readonly Bytes[];
  /** How long it has been running. */
  readonly durationMs: number;
}

/**
 * A Lua VM in library mode (Redis's functions engine): libraries' code runs
 * once, at load, seeing only Redis's loading API (`redis.register_function`,
 * `redis.log` and the log and version constants), and the functions it
 * registered run later with the usual `redis.*` API and `(keys, args)`.
 */
export interface LibraryVm {
  /**
   * Runs a library's code from `offset` (its shebang line's newline, so
   * line numbers hold). Each `redis.register_function` call is read into a
   * {@link Registration} and given to `register`, whose error, if any, is
   * raised in Lua. Returns the error reply (FUNCTION LOAD's), or undefined
   * once the code ran. Registrations taken stay alive until
   * {@link LibraryVm.release}d, whatever the outcome.
   */
  load(code: Bytes, offset: number, register: RegistrationSink): string | undefined;
  /** Runs a registered function and writes its reply to the caller. */
  call(opts: FunctionCall): void;
  /** Frees a registered function (its library was deleted or not loaded). */
  release(fn: Registration): void;
}

/** What the scripting plugin offers other plugins. */
export interface ScriptingService {
  /** A new VM in library mode. */
  libraryVm(): LibraryVm;
  /**
   * The admission traits of a command running a script with `flags`
   * (Redis's scriptFlagsToCmdFlags), from the command's own `base`.
   */
  traits(base: number, flags: ScriptFlags): number;
  /** The names of the flags set, in Redis's order (FUNCTION LIST). */
  flagNames(flags: ScriptFlags): string[];
  /**
   * SCRIPT KILL (`isEval`) or FUNCTION KILL: undefined once the running
   * script is marked to stop, else Redis's error (NOTBUSY, UNKILLABLE,
   * or BUSY when it is the other kind).
   */
  kill(isEval: boolean): string | undefined;
  /** The script running now (paused past the threshold), if any. */
  running(): RunningScript | undefined;
  /**
   * Runs `step`, the rest of `c`'s command, once the Lua engine is
   * loaded: now when it is, else the command is suspended while it loads
   * (loaded synchronously when the command cannot wait). For a command
   * that may create a VM or load code into one (FUNCTION LOAD, RESTORE).
   */
  withEngine(c: Context, step: () => void): void;
  /**
   * Loads the Lua engine now, in the background (it is otherwise loaded
   * when first needed, see `_engine.ts`).
   */
  preload(): Promise<void>;
}

declare module "../../core/types.ts" {
  interface Services {
    /** The Lua engine (scripting plugin). */
    scripting: ScriptingService;
  }
}

function libraryVm(host: VmHost): LibraryVm {
  const vm = new (engine().ScriptVM)(host, true);
  return {
    load: (code, offset, register) => vm.loadLibrary(code, offset, register),
    call: ({ caller, fn, numkeys, readOnly, obey, argv }) =>
      vm.run({
        caller,
        name: fn.name,
        flags: fn.flags,
        ref: fn.handle,
        fn: true,
        numkeys,
        readOnly,
        obey,
        argv,
      }),
    release: (fn) => vm.unref(fn.handle),
  };
}

function init(server: ServerApi) {
  const scripts = new Scripts();
  server.config.watch("busy-reply-threshold", (v) => (scripts.threshold = Number(v)));
  const host: VmHost = { server, scripts };
  const cache = new ScriptCache(host);
  server.provide("scripting", {
    libraryVm: () => libraryVm(host),
    traits: scriptTraits,
    flagNames,
    kill: (isEval) => scripts.kill(isEval),
    running() {
      const s = scripts.active;
      if (s === undefined) return undefined;
      return {
        name: s.name,
        fn: s.fn,
        argv: s.argv,
        durationMs: Math.floor(performance.now() - s.start),
      };
    },
    withEngine: (c, step) => withEngine(c, scripts, step),
    preload: () => loadEngine().then(() => {}),
  });
  return {
    commands: scriptingCommands(server, cache, scripts),
    hooks: {
      // A paused script goes no further once the server is going down.
      shutdown() {
        scripts.stopped = true;
      },
      info(section: string) {
        if (section !== "memory") return undefined;
        return { used_memory_scripts_eval: cache.memory(), number_of_cached_scripts: cache.size };
      },
    },
  };
}

/** The scripting plugin: EVAL and friends, SCRIPT, and the `scripting` service. */
export default definePlugin({
  name: "scripting",
  init,
});
