/**
 * Redis 7.0 functions: FUNCTION LOAD / LIST / DELETE / FLUSH / DUMP /
 * RESTORE / STATS / KILL / HELP, FCALL and FCALL_RO.
 *
 * - Libraries live in their own Lua VM (a {@link ScriptVM} in library
 *   mode), separate from EVAL's: a library's code runs once at load with
 *   only Redis's loading API (`redis.register_function`, `redis.log`),
 *   and its functions run at FCALL with the usual `redis.*` API and
 *   `(keys, args)` as arguments.
 * - FUNCTION LOAD / DELETE / FLUSH / RESTORE are writes propagated as
 *   themselves; FCALL propagates the effects of the function as EVAL does.
 * - The rdb plugin saves and loads libraries through the `functions`
 *   service (RDB_OPCODE_FUNCTION2 records), and the AOF rewrite emits
 *   `FUNCTION LOAD` for each library.
 * - Listing order: Redis lists libraries and functions in hash-table
 *   order; here it is creation order.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import type { Bytes, CommandHandler, CommandSpec, Context, ServerApi } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { globMatch } from "../../core/glob.ts";
import { bytesToString, stringToBytes } from "../../core/resp/bytes.ts";
import { scriptTraits, ScriptVM } from "../scripting/_vm.ts";
import type {} from "../rdb/mod.ts";
import { Libraries, type Library, LibraryEngine } from "./_libs.ts";
import { FUNCTION_FLAGS, makeRegister } from "./_register.ts";

const GROUP = "scripting";
const CATS = ["scripting"] as const;

const HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
  "HELP",
  "    Prints this help.",
];

const syntaxError = (sub: string) =>
  new ReplyError(
    `ERR unknown subcommand or wrong number of arguments for '${sub}'. Try FUNCTION HELP.`,
  );

function init(server: ServerApi) {
  // The engine reaches the VM lazily: the VM's register_function needs the engine.
  const engine: LibraryEngine = new LibraryEngine(() => getVm());
  const register = makeRegister(() => (engine.loading ? (r) => engine.register(r) : undefined));
  // Created on first use: a Lua VM costs memory a server without functions
  // need not pay.
  let vm: ScriptVM | undefined;
  const getVm = (): ScriptVM => vm ??= new ScriptVM({ server }, { register });
  let current = new Libraries();

  /** Loads codes into a new set of libraries, or throws the first error. */
  function build(codes: readonly Bytes[]): Libraries {
    const ctx = new Libraries();
    for (const code of codes) {
      const r = engine.create(ctx, code, false);
      if ("error" in r) {
        engine.clear(ctx);
        throw new ReplyError(r.error);
      }
    }
    return ctx;
  }

  server.provide("functions", {
    codes: () => [...current.libraries.values()].map((l) => l.code),
    replace(codes) {
      let ctx: Libraries;
      try {
        ctx = build(codes);
      } catch (e) {
        throw new Error(`Failed loading library: ${(e as Error).message}`);
      }
      engine.clear(current);
      current = ctx;
    },
  });

  function fcall(c: Context, argv: Bytes[], ro: boolean): void {
    const fn = current.functions.get(argv[1]!.toLowerCase());
    if (fn === undefined) throw new ReplyError("ERR Function not found");
    const numkeys = parseInteger(argv[2]!);
    if (numkeys === undefined) throw new ReplyError("ERR Bad number of keys provided");
    if (numkeys > argv.length - 3) {
      throw new ReplyError("ERR Number of keys can't be greater than number of args");
    }
    if (numkeys < 0) throw new ReplyError("ERR Number of keys can't be negative");
    const obey = c.id === 0;
    const flags = fn.script.flags;
    // A function that may write was admitted as a write (see traitsFor).
    if (!flags.noWrites && ro) {
      throw new ReplyError("ERR Can not execute a script with write flag using *_ro command.");
    }
    getVm().run({
      caller: c,
      script: fn.script,
      ref: fn.ref,
      keys: argv.slice(3, 3 + numkeys),
      args: argv.slice(3 + numkeys),
      readOnly: ro || flags.noWrites,
      obey,
    });
  }

  function list(c: Context, argv: Bytes[]): void {
    let withCode = false;
    let pattern: Bytes | undefined;
    for (let i = 2; i < argv.length; i++) {
      const a = argv[i]!.toLowerCase();
      if (!withCode && a === "withcode") {
        withCode = true;
        continue;
      }
      if (pattern === undefined && a === "libraryname") {
        if (i >= argv.length - 1) throw new ReplyError("ERR library name argument was not given");
        pattern = argv[++i]!;
        continue;
      }
      throw new ReplyError(`ERR Unknown argument ${argv[i]}`);
    }
    const libs: Library[] = [];
    for (const lib of current.libraries.values()) {
      if (pattern === undefined || globMatch(pattern, lib.name, true)) libs.push(lib);
    }
    const r = c.reply;
    r.array(libs.length);
    for (const lib of libs) {
      r.map(withCode ? 4 : 3);
      r.bulk("library_name");
      r.bulk(lib.name);
      r.bulk("engine");
      r.bulk("LUA");
      r.bulk("functions");
      r.array(lib.functions.size);
      for (const f of lib.functions.values()) {
        r.map(3);
        r.bulk("name");
        r.bulk(f.name);
        r.bulk("description");
        if (f.description === undefined) r.nullBulk();
        else r.bulk(f.description);
        r.bulk("flags");
        const names = FUNCTION_FLAGS.filter(([, k]) => f.script.flags[k]).map(([n]) => n);
        r.set(names.length);
        for (const n of names) r.bulk(n);
      }
      if (withCode) {
        r.bulk("library_code");
        r.bulk(lib.code);
      }
    }
  }

  function restore(c: Context, argv: Bytes[]): void {
    if (argv.length > 4) throw syntaxError("RESTORE");
    let policy = "append";
    if (argv.length === 4) {
      policy = argv[3]!.toLowerCase();
      if (policy !== "append" && policy !== "replace" && policy !== "flush") {
        throw new ReplyError(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
        );
      }
    }
    const rdb = server.service("rdb");
    if (rdb === undefined) throw new ReplyError("ERR FUNCTION RESTORE needs the rdb plugin");
    let codes: Bytes[];
    try {
      codes = rdb.restoreFunctions(stringToBytes(argv[2]!));
    } catch (e) {
      throw new ReplyError((e as Error).message);
    }
    const ctx = build(codes);
    if (policy === "flush") {
      engine.clear(current);
      current = ctx;
    } else {
      const err = engine.join(current, ctx, policy === "replace");
      if (err !== undefined) {
        engine.clear(ctx);
        throw new ReplyError(err);
      }
    }
    c.wrote();
    c.reply.ok();
  }

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
    docs: { summary, since: "7.0.0", group: GROUP, complexity },
    handler,
  });

  const fcallSpec = (name: string, ro: boolean, summary: string): CommandSpec => ({
    name,
    arity: -3,
    flags: ro
      ? ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"]
      : ["noscript", "stale", "skip_monitor", "no_mandatory_keys"],
    categories: CATS,
    keySpecs: [{
      flags: ro ? ["RO", "ACCESS"] : ["RW", "ACCESS", "UPDATE"],
      begin: { index: 2 },
      find: { keynum: { keynumidx: 0, firstkey: 1, step: 1 } },
      notes: ro
        ? "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
        : "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
    }],
    docs: {
      summary,
      since: "7.0.0",
      group: GROUP,
      complexity: "Depends on the function that is executed.",
    },
    // Redis's fcallGetCommandFlags: the function's declared flags.
    traitsFor: (_c, argv, base) => {
      const fn = current.functions.get(argv[1]!.toLowerCase());
      return fn === undefined ? base : scriptTraits(base, fn.script.flags);
    },
    handler: (c, argv) => fcall(c, argv, ro),
  });

  const commands: CommandSpec[] = [
    fcallSpec("fcall", false, "Invoke a function"),
    fcallSpec("fcall_ro", true, "Invoke a read-only function"),
    {
      name: "function",
      arity: -2,
      flags: [],
      docs: {
        summary: "A container for function commands",
        since: "7.0.0",
        group: GROUP,
        complexity: "Depends on subcommand.",
      },
      subcommands: [
        sub(
          "load",
          -3,
          ["write", "denyoom", "noscript"],
          "Create a function with the given arguments (name, code, description)",
          "O(1) (considering compilation time is redundant)",
          (c, argv) => {
            let replace = false;
            let i = 2;
            for (; i < argv.length - 1; i++) {
              if (argv[i]!.toLowerCase() !== "replace") {
                throw new ReplyError(`ERR Unknown option given: ${argv[i]}`);
              }
              replace = true;
            }
            const r = engine.create(current, argv[i]!, replace);
            if ("error" in r) throw new ReplyError(r.error);
            c.wrote();
            c.reply.bulk(r.name);
          },
        ),
        sub(
          "delete",
          3,
          ["write", "noscript"],
          "Delete a function by name",
          "O(1)",
          (c, argv) => {
            const lib = current.libraries.get(argv[2]!);
            if (lib === undefined) throw new ReplyError("ERR Library not found");
            current.unlink(lib);
            engine.release(lib);
            c.wrote();
            c.reply.ok();
          },
        ),
        sub(
          "list",
          -2,
          ["noscript"],
          "List information about all the functions",
          "O(N) where N is the number of functions",
          list,
        ),
        sub(
          "flush",
          -2,
          ["write", "noscript"],
          "Deleting all functions",
          "O(N) where N is the number of functions deleted",
          (c, argv) => {
            if (argv.length > 3) throw syntaxError("FLUSH");
            const mode = argv[2]?.toLowerCase();
            if (mode !== undefined && mode !== "sync" && mode !== "async") {
              throw new ReplyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            }
            engine.clear(current);
            c.wrote();
            c.reply.ok();
          },
        ),
        sub(
          "dump",
          2,
          ["noscript"],
          "Dump all functions into a serialized binary payload",
          "O(N) where N is the number of functions",
          (c) => {
            const rdb = server.service("rdb");
            if (rdb === undefined) throw new ReplyError("ERR FUNCTION DUMP needs the rdb plugin");
            const p = rdb.dumpFunctions([...current.libraries.values()].map((l) => l.code));
            c.reply.bulk(bytesToString(p, 0, p.length));
          },
        ),
        sub(
          "restore",
          -3,
          ["write", "denyoom", "noscript"],
          "Restore all the functions on the given payload",
          "O(N) where N is the number of functions on the payload",
          restore,
        ),
        sub(
          "stats",
          2,
          ["noscript", "allow_busy"],
          "Return information about the function currently running (name, description, duration)",
          "O(1)",
          (c) => {
            const r = c.reply;
            r.map(2);
            r.bulk("running_script");
            // Nothing runs while a command is served (the event loop is blocked).
            r.nullBulk();
            r.bulk("engines");
            r.map(1);
            r.bulk("LUA");
            r.map(2);
            r.bulk("libraries_count");
            r.integer(current.libraries.size);
            r.bulk("functions_count");
            r.integer(current.functionCount);
          },
        ),
        sub(
          "kill",
          2,
          ["noscript", "allow_busy"],
          "Kill the function currently in execution.",
          "O(1)",
          () => {
            throw new ReplyError("NOTBUSY No scripts in execution right now.");
          },
        ),
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
      ],
    },
  ];

  return {
    commands,
    hooks: {
      info(section: string) {
        if (section !== "memory") return undefined;
        let bytes = 0;
        for (const l of current.libraries.values()) bytes += l.code.length;
        return {
          used_memory_functions: bytes,
          number_of_functions: current.functionCount,
          number_of_libraries: current.libraries.size,
        };
      },
    },
  };
}

/** The functions plugin: FUNCTION and FCALL. */
export default definePlugin({
  name: "functions",
  init,
});
