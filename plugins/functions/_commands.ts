/**
 * The functions commands: FCALL, FCALL_RO and FUNCTION LOAD / LIST /
 * DELETE / FLUSH / DUMP / RESTORE / STATS / KILL / HELP, as Redis 7.0's
 * functions.c.
 *
 * @module
 */

import { commandFamily, keys } from "../../core/registry.ts";
import type { Bytes, CommandArg, CommandSpec, Context, ServerApi } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { globMatch } from "../../core/glob.ts";
import { helpSubcommand } from "../../core/help.ts";
import { bytesToString, stringToBytes } from "../../core/resp/bytes.ts";
import type { LibraryVm, ScriptingService } from "../scripting/mod.ts";
import type {} from "../rdb/mod.ts";
import type { FunctionStore, Library } from "./_libs.ts";

const HELP = [
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
];

const ALL_SHARDS = ["request_policy:all_shards", "response_policy:all_succeeded"];

const syntaxError = (sub: string) =>
  new ReplyError(
    `ERR unknown subcommand or wrong number of arguments for '${sub}'. Try FUNCTION HELP.`,
  );

const command = commandFamily({ category: "scripting" });

/** FCALL's and FCALL_RO's arguments in COMMAND DOCS. */
const FCALL_ARGS: readonly CommandArg[] = [
  { name: "function", type: "string" },
  { name: "numkeys", type: "integer" },
  { name: "key", type: "key", keySpecIndex: 0, flags: ["optional", "multiple"] },
  { name: "arg", type: "string", flags: ["optional", "multiple"] },
];

/** What the commands work on. */
export interface FunctionsHost {
  server: ServerApi;
  store: FunctionStore;
  scripting: ScriptingService;
  /** The library VM, created on first use. */
  vm(): LibraryVm;
}

/** The functions commands of one server. */
export function functionsCommands(host: FunctionsHost): CommandSpec[] {
  const { server, store, scripting } = host;

  function fcall(c: Context, argv: Bytes[], ro: boolean): void {
    const fn = store.current.functions.get(argv[1]!.toLowerCase());
    if (fn === undefined) throw new ReplyError("ERR Function not found");
    const numkeys = parseInteger(argv[2]!);
    if (numkeys === undefined) throw new ReplyError("ERR Bad number of keys provided");
    if (numkeys > argv.length - 3) {
      throw new ReplyError("ERR Number of keys can't be greater than number of args");
    }
    if (numkeys < 0) throw new ReplyError("ERR Number of keys can't be negative");
    // A function that may write was admitted as a write (see traitsFor).
    if (!fn.flags.noWrites && ro) {
      throw new ReplyError("ERR Can not execute a script with write flag using *_ro command.");
    }
    host.vm().call({
      caller: c,
      fn,
      numkeys,
      readOnly: ro || fn.flags.noWrites,
      obey: c.id === 0,
      argv,
    });
  }

  // Redis's fcallGetCommandFlags: the function's declared flags.
  const traitsFor = (_c: Context, argv: Bytes[], base: number): number => {
    const fn = store.current.functions.get(argv[1]!.toLowerCase());
    return fn === undefined ? base : scripting.traits(base, fn.flags);
  };

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
    for (const lib of store.current.libraries.values()) {
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
        const names = scripting.flagNames(f.flags);
        r.set(names.length);
        for (const n of names) r.bulk(n);
      }
      if (withCode) {
        r.bulk("library_code");
        r.bulk(lib.code);
      }
    }
  }

  // FUNCTION LOAD and RESTORE run their library code in the Lua engine,
  // loaded on first use (their handlers wait for it: scripting.withEngine).

  function load(c: Context, argv: Bytes[]): void {
    let replace = false;
    let i = 2;
    for (; i < argv.length - 1; i++) {
      if (argv[i]!.toLowerCase() !== "replace") {
        throw new ReplyError(`ERR Unknown option given: ${argv[i]}`);
      }
      replace = true;
    }
    const r = store.engine.create(store.current, argv[i]!, replace);
    if ("error" in r) throw new ReplyError(r.error);
    c.wrote();
    c.reply.bulk(r.name);
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
    const ctx = store.build(codes);
    if ("error" in ctx) throw new ReplyError(ctx.error);
    if (policy === "flush") {
      store.replace(ctx);
    } else {
      const err = store.engine.join(store.current, ctx, policy === "replace");
      if (err !== undefined) {
        store.engine.clear(ctx);
        throw new ReplyError(err);
      }
    }
    c.wrote();
    c.reply.ok();
  }

  return [
    command({
      name: "fcall",
      arity: -3,
      flags: ["noscript", "stale", "skip_monitor", "may_replicate", "no_mandatory_keys"],
      keySpecs: [{
        ...keys.counted(2, ["RW", "ACCESS", "UPDATE"]),
        notes: "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE",
      }],
      docs: {
        summary: "Invoke a function",
        since: "7.0.0",
        complexity: "Depends on the function that is executed.",
        arguments: FCALL_ARGS,
      },
      traitsFor,
      handler: (c, argv) => fcall(c, argv, false),
    }),
    command({
      name: "fcall_ro",
      arity: -3,
      flags: ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"],
      keySpecs: [{
        ...keys.counted(2, ["RO", "ACCESS"]),
        notes: "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS",
      }],
      docs: {
        summary: "Invoke a read-only function",
        since: "7.0.0",
        complexity: "Depends on the function that is executed.",
        arguments: FCALL_ARGS,
      },
      traitsFor,
      handler: (c, argv) => fcall(c, argv, true),
    }),
    command({
      name: "function",
      arity: -2,
      flags: [],
      docs: {
        summary: "A container for function commands",
        since: "7.0.0",
        complexity: "Depends on subcommand.",
      },
      subcommands: [
        {
          name: "dump",
          arity: 2,
          flags: ["noscript"],
          docs: {
            summary: "Dump all functions into a serialized binary payload",
            since: "7.0.0",
            complexity: "O(N) where N is the number of functions",
          },
          handler(c) {
            const rdb = server.service("rdb");
            if (rdb === undefined) throw new ReplyError("ERR FUNCTION DUMP needs the rdb plugin");
            const p = rdb.dumpFunctions(store.codes());
            c.reply.bulk(bytesToString(p, 0, p.length));
          },
        },
        {
          name: "load",
          arity: -3,
          flags: ["write", "denyoom", "noscript"],
          tips: ALL_SHARDS,
          docs: {
            summary: "Create a function with the given arguments (name, code, description)",
            since: "7.0.0",
            complexity: "O(1) (considering compilation time is redundant)",
            arguments: [
              { name: "replace", type: "pure-token", token: "REPLACE", flags: ["optional"] },
              { name: "function-code", type: "string" },
            ],
          },
          handler: (c, argv) => scripting.withEngine(c, () => load(c, argv)),
        },
        {
          name: "restore",
          arity: -3,
          flags: ["write", "denyoom", "noscript"],
          tips: ALL_SHARDS,
          docs: {
            summary: "Restore all the functions on the given payload",
            since: "7.0.0",
            complexity: "O(N) where N is the number of functions on the payload",
            arguments: [
              { name: "serialized-value", type: "string" },
              {
                name: "policy",
                type: "oneof",
                flags: ["optional"],
                arguments: [
                  { name: "flush", type: "pure-token", token: "FLUSH" },
                  { name: "append", type: "pure-token", token: "APPEND" },
                  { name: "replace", type: "pure-token", token: "REPLACE" },
                ],
              },
            ],
          },
          handler: (c, argv) => scripting.withEngine(c, () => restore(c, argv)),
        },
        {
          name: "list",
          arity: -2,
          flags: ["noscript"],
          tips: ["nondeterministic_output_order"],
          docs: {
            summary: "List information about all the functions",
            since: "7.0.0",
            complexity: "O(N) where N is the number of functions",
            arguments: [
              {
                name: "library-name-pattern",
                type: "string",
                token: "LIBRARYNAME",
                flags: ["optional"],
              },
              { name: "withcode", type: "pure-token", token: "WITHCODE", flags: ["optional"] },
            ],
          },
          handler: list,
        },
        helpSubcommand(HELP, "7.0.0"),
        {
          name: "kill",
          arity: 2,
          flags: ["noscript", "allow_busy"],
          tips: ["request_policy:all_shards", "response_policy:one_succeeded"],
          docs: {
            summary: "Kill the function currently in execution.",
            since: "7.0.0",
            complexity: "O(1)",
          },
          handler(c) {
            const err = scripting.kill(false);
            if (err !== undefined) throw new ReplyError(err);
            c.reply.ok();
          },
        },
        {
          name: "delete",
          arity: 3,
          flags: ["write", "noscript"],
          tips: ALL_SHARDS,
          docs: {
            summary: "Delete a function by name",
            since: "7.0.0",
            complexity: "O(1)",
            arguments: [{ name: "library-name", type: "string" }],
          },
          handler(c, argv) {
            const lib = store.current.libraries.get(argv[2]!);
            if (lib === undefined) throw new ReplyError("ERR Library not found");
            store.current.unlink(lib);
            store.engine.release(lib);
            c.wrote();
            c.reply.ok();
          },
        },
        {
          name: "flush",
          arity: -2,
          flags: ["write", "noscript"],
          tips: ALL_SHARDS,
          docs: {
            summary: "Deleting all functions",
            since: "7.0.0",
            complexity: "O(N) where N is the number of functions deleted",
            arguments: [{
              name: "async",
              type: "oneof",
              flags: ["optional"],
              arguments: [
                { name: "async", type: "pure-token", token: "ASYNC" },
                { name: "sync", type: "pure-token", token: "SYNC" },
              ],
            }],
          },
          handler(c, argv) {
            if (argv.length > 3) throw syntaxError("FLUSH");
            const mode = argv[2]?.toLowerCase();
            if (mode !== undefined && mode !== "sync" && mode !== "async") {
              throw new ReplyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            }
            store.engine.clear(store.current);
            c.wrote();
            c.reply.ok();
          },
        },
        {
          name: "stats",
          arity: 2,
          flags: ["noscript", "allow_busy"],
          tips: [
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
          ],
          docs: {
            summary:
              "Return information about the function currently running (name, description, duration)",
            since: "7.0.0",
            complexity: "O(1)",
          },
          handler(c) {
            const running = scripting.running();
            // An EVAL script holds the server: its BUSY error (Redis's
            // functionStatsCommand).
            if (running !== undefined && !running.fn) {
              throw new ReplyError(c.server.busy ?? "BUSY");
            }
            const r = c.reply;
            r.map(2);
            r.bulk("running_script");
            if (running === undefined) {
              r.nullBulk();
            } else {
              r.map(3);
              r.bulk("name");
              r.bulk(running.name);
              r.bulk("command");
              r.bulkArray(running.argv);
              r.bulk("duration_ms");
              r.integer(running.durationMs);
            }
            r.bulk("engines");
            r.map(1);
            r.bulk("LUA");
            r.map(2);
            r.bulk("libraries_count");
            r.integer(store.current.libraries.size);
            r.bulk("functions_count");
            r.integer(store.current.functionCount);
          },
        },
      ],
    }),
  ];
}
