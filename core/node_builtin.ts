/**
 * Node's built-in modules, loaded where first needed instead of imported.
 *
 * Deno builds its Node compatibility layer when a process first imports a
 * `node:` module or reads the `process` global: any one of them (even
 * `node:path`) cost an idle server 4 to 7 MB of RSS, all of them 9 MB. So
 * the modules the server runs at start-up and for common commands import
 * none, and the rare paths (MEMORY MALLOC-STATS, a full collection, BITOP
 * over large strings, Windows paths) take theirs from here when they run.
 *
 * @example
 * ```ts
 * import { nodeBuiltin } from "./node_builtin.ts";
 * const { Buffer } = nodeBuiltin<typeof import("node:buffer")>("node:buffer");
 * console.log(Buffer.from("hi").length); // 2
 * ```
 *
 * @module
 */

/** The built-in Node module `name` (`"node:v8"`), loaded now if it is not yet. */
export function nodeBuiltin<T>(name: string): T {
  // The global `process` is itself part of the layer: read only here.
  return globalThis.process.getBuiltinModule(name) as T;
}
