/**
 * A typed facade over npm `fengari` (Lua 5.3 in JavaScript): the functions
 * the scripting plugin uses, typed by `_fengari.d.ts` (fengari ships no
 * types). `_lua51.ts` makes the engine behind it behave as Redis's Lua 5.1.
 *
 * fengari's strings are `Uint8Array`s; Respite's are byte strings (one char
 * per byte). {@link toLua} and {@link fromLua} convert byte for byte (never
 * `to_luastring`, which UTF-8-encodes).
 *
 * fengari is imported by its full `npm:` specifier, so a program that
 * imports Respite's `mod.ts` needs no import map.
 *
 * @module
 */

// A full npm: specifier, not the import map's: Respite's mod.ts must load
// without an import map (in a program that imports it by path or URL).
// deno-lint-ignore-file no-import-prefix
/// <reference types="./_fengari.d.ts" />
// Must load before fengari: it reads FENGARICONF once, when it loads.
import "./_luaconf.ts";
import fengari from "npm:fengari@0.1.5";
import type { LuaString } from "npm:fengari@0.1.5";
import type { Bytes } from "../../core/types.ts";
import { bytesToString, stringToBytes } from "../../core/resp/bytes.ts";

export type {
  LauxApi,
  LuaApi,
  LuaDebug,
  LuaJsFunction,
  LualibApi,
  LuaState,
  LuaString,
} from "npm:fengari@0.1.5";

/** fengari's core Lua API. */
export const lua = fengari.lua;
/** fengari's auxiliary library. */
export const lauxlib = fengari.lauxlib;
/** fengari's standard library openers (Lua 5.3's; see `_lua51.ts` for the base library). */
export const lualib = fengari.lualib;

/**
 * A byte string as a Lua string, byte for byte.
 *
 * @example
 * ```ts
 * import { fromLua, toLua } from "./_fengari.ts";
 * console.log(toLua("\xff"), fromLua(toLua("ab"))); // Uint8Array(1) [ 255 ] ab
 * ```
 */
export function toLua(s: Bytes): LuaString {
  return stringToBytes(s);
}

/** A Lua string as a byte string, byte for byte. */
export function fromLua(u: LuaString): Bytes {
  return bytesToString(u, 0, u.length);
}
