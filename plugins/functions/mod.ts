/**
 * Redis 7.0 functions: FUNCTION LOAD / LIST / DELETE / FLUSH / DUMP /
 * RESTORE / STATS / KILL / HELP, FCALL and FCALL_RO.
 *
 * - Libraries live in their own Lua VM, separate from EVAL's: a
 *   {@link LibraryVm} the scripting plugin provides (its `scripting`
 *   service). A library's code runs once at load with only Redis's loading
 *   API (`redis.register_function`, `redis.log`), and its functions run at
 *   FCALL with the usual `redis.*` API and `(keys, args)` as arguments.
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
import type { ServerApi } from "../../core/types.ts";
import type { LibraryVm } from "../scripting/mod.ts";
import type {} from "../rdb/mod.ts";
import { FunctionStore } from "./_libs.ts";
import { functionsCommands } from "./_commands.ts";

function init(server: ServerApi) {
  const scripting = server.service("scripting");
  if (scripting === undefined) throw new Error("the functions plugin needs the scripting plugin");
  // Created on first use: a Lua VM costs memory a server without functions
  // need not pay.
  let vm: LibraryVm | undefined;
  const getVm = (): LibraryVm => vm ??= scripting.libraryVm();
  const store = new FunctionStore(getVm);

  server.provide("functions", {
    codes: () => store.codes(),
    replace(codes) {
      const ctx = store.build(codes);
      if ("error" in ctx) throw new Error(`Failed loading library: ${ctx.error}`);
      store.replace(ctx);
    },
  });

  return {
    commands: functionsCommands({ server, store, scripting, vm: getVm }),
    hooks: {
      info(section: string) {
        if (section !== "memory") return undefined;
        let bytes = 0;
        for (const l of store.current.libraries.values()) bytes += l.code.length;
        return {
          used_memory_functions: bytes,
          number_of_functions: store.current.functionCount,
          number_of_libraries: store.current.libraries.size,
        };
      },
    },
  };
}

/** The functions plugin: FUNCTION and FCALL, on the scripting plugin's Lua engine. */
export default definePlugin({
  name: "functions",
  dependencies: ["scripting"],
  init,
});
