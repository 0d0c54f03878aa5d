/**
 * The Lua engine, loaded on first use: fengari (a Lua VM in 485 KB of
 * JavaScript) and the VM built on it (`_vm.ts` and what it imports, 736 KB
 * of source in all). Loaded at start-up it cost an idle server about 5 MB
 * of RSS (73.5 -> 68.5 MB, of which the V8 heap's pages 4 MB: its source
 * text, bytecode and tables), which a server that never runs a script need
 * not pay. So no module of the plugin imports it statically (only its
 * types); it comes
 *
 * - with `import()` (a literal path, so `deno compile` embeds it) when a
 *   client's own command first needs it (EVAL, EVAL_RO, SCRIPT LOAD,
 *   FUNCTION LOAD, FUNCTION RESTORE): the command is suspended
 *   ({@link Context.suspendCall}) until the module is there (some 15 ms;
 *   the client's next input waits, other clients are served meanwhile),
 *   then runs as it would have, with the same reply;
 * - synchronously where nothing may wait: a command EXEC runs (suspending
 *   it would let other clients into the middle of the transaction), the
 *   AOF being loaded, a master's stream, an RDB that holds functions (at
 *   start-up, a full resync, DEBUG RELOAD). Deno's `require` of an ES
 *   module loads the same module instance synchronously, the event loop
 *   held meanwhile as a static import would have held it at start-up.
 *
 * @module
 */

import type { Context } from "../../core/types.ts";
import { nodeBuiltin } from "../../core/node_builtin.ts";
import type * as Vm from "./_vm.ts";
import type { Scripts } from "./_running.ts";

/** The engine's module. */
export type Engine = typeof Vm;

let loaded: Engine | undefined;
let loading: Promise<Engine> | undefined;

/** Whether the engine is loaded. */
export function engineLoaded(): boolean {
  return loaded !== undefined;
}

/** Loads the engine (once; again after a failed attempt). */
export function loadEngine(): Promise<Engine> {
  if (loaded !== undefined) return Promise.resolve(loaded);
  return loading ??= import("./_vm.ts").then(
    (m) => loaded = m,
    (e) => {
      loading = undefined;
      throw e;
    },
  );
}

/** The engine, loaded now (synchronously) when it is not yet. */
export function engine(): Engine {
  if (loaded !== undefined) return loaded;
  // Deno's require(esm): the module instance `import()` gives, loaded and
  // evaluated before it returns (also while an import() of it is pending).
  const { createRequire } = nodeBuiltin<typeof import("node:module")>("node:module");
  return loaded = createRequire(import.meta.url)("./_vm.ts") as Engine;
}

/**
 * Runs `step` (the rest of `c`'s command, which needs the engine) now when
 * the engine is loaded or the command cannot wait, else once it is loaded,
 * the command suspended meanwhile (see the module's notes). A server that
 * shuts down meanwhile runs it no more, as a paused script.
 */
export function withEngine(c: Context, scripts: Scripts, step: () => void): void {
  // Inside EXEC (the client is still in MULTI) the transaction must not
  // be split: the engine is loaded synchronously instead.
  const call = loaded === undefined && !c.flags.multi ? c.suspendCall(step) : undefined;
  if (call === undefined) return step();
  const go = () =>
    setTimeout(() => {
      if (!scripts.stopped) call.resume();
    }, 0);
  // A failed import leaves the step to try the synchronous way (and reply
  // its error).
  loadEngine().then(go, go);
}
