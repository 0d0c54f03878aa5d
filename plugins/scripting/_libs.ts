/**
 * The libraries Redis gives scripts besides Lua's own: `cjson`, `cmsgpack`,
 * `bit` and `struct`, written in Lua and loaded into each scripting VM.
 *
 * They reproduce Redis 7.0's C libraries (lua-cjson 2.1.0, lua-cmsgpack
 * 0.4.0, LuaBitOp 1.0.2, lua-struct 0.2) byte for byte, including their
 * error messages. Redis runs them on Lua 5.1, where every number is a
 * double; here integral results come back as Lua 5.3 integers (when within
 * ±2^53, so no precision is invented) and other numbers as floats.
 *
 * The chunk takes two optional arguments from the host:
 * 1. the value to use as `cjson.null`: Redis uses a NULL light userdata,
 *    which plain Lua cannot create (push one with `lua_pushlightuserdata`);
 *    without it a unique table stands in for it.
 * 2. `wrap(f)`: returns a JS function that calls the Lua function `f` with
 *    its arguments and, if `f` raises a string, re-raises it prefixed with
 *    `luaL_where(L, 1)` (the caller's "user_script:N: "), or if it raises a
 *    table, re-raises that table's [1] unchanged. Redis's libraries are C
 *    functions, which a Lua tail call (`return cjson.encode(x)`) cannot
 *    drop from the stack; a Lua wrapper can, losing the position. Without
 *    it a Lua wrapper is used (positions are missing after tail calls).
 *
 * @module
 */

import {
  disableHooks,
  fromLua,
  lauxlib,
  lua,
  type LuaJsFunction,
  type LuaState,
  toLua,
} from "./_fengari.ts";
import { COMMON_SOURCE } from "./_lib_common.ts";
import { CJSON_SOURCE } from "./_lib_cjson.ts";
import { CMSGPACK_SOURCE } from "./_lib_cmsgpack.ts";
import { BIT_SOURCE } from "./_lib_bit.ts";
import { STRUCT_SOURCE } from "./_lib_struct.ts";

/**
 * Lua source that defines the library globals (run once per VM): one
 * chunk, so the libraries share the common part's locals.
 */
export const LUA_LIBS_SOURCE: string = COMMON_SOURCE + CJSON_SOURCE + CMSGPACK_SOURCE +
  BIT_SOURCE + STRUCT_SOURCE;

/**
 * `wrap(f)` for the libraries' chunk: a JS closure calling the Lua function
 * `f`. Redis's libraries are C functions, which a Lua tail call (`return
 * cjson.encode(x)`) cannot drop from the stack; a Lua wrapper can, and the
 * error would lose the script's position. On a string error the caller's
 * position (`user_script:N: `) is prepended and "bad argument" messages
 * name the function as its caller does ('?' from pcall); a table error
 * re-raises its [1] unchanged (errors raised inside C code carry no
 * position). The call has a continuation: a script past
 * `busy-reply-threshold` can pause inside (cjson on a large value).
 */
export function wrapLibFunction(L: LuaState): number {
  lua.lua_pushvalue(L, 1);
  lua.lua_pushjsclosure(L, wrapped, 1);
  return 1;
}

/** A library function (upvalue: its Lua function). */
const wrapped: LuaJsFunction = (L) => {
  const n = lua.lua_gettop(L);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_insert(L, 1);
  return wrappedDone(L, lua.lua_pcallk(L, n, lua.LUA_MULTRET, 0, 0, wrappedDone));
};

/** The end of a library function's call, also after a pause. */
function wrappedDone(L: LuaState, status: number): number {
  if (status === lua.LUA_OK || status === lua.LUA_YIELD) return lua.lua_gettop(L);
  if (lua.lua_type(L, -1) === lua.LUA_TTABLE) {
    // A library's raw error's [1], or a table of Redis's (SCRIPT KILL's) as it is.
    if (lua.lua_rawgeti(L, -1, 1) === lua.LUA_TNIL) lua.lua_pop(L, 1);
  } else {
    const msg = fromLua(lua.lua_tolstring(L, -1) ?? new Uint8Array());
    const m = /^(bad argument #\d+ to )'[^']*'/.exec(msg);
    if (m) {
      const ar = new lua.lua_Debug();
      lua.lua_getstack(L, 0, ar);
      lua.lua_getinfo(L, "n", ar);
      const name = ar.name ? fromLua(ar.name) : "?";
      lua.lua_pop(L, 1);
      lua.lua_pushstring(L, toLua(`${m[1]}'${name}'${msg.slice(m[0].length)}`));
    }
    lauxlib.luaL_where(L, 1);
    lua.lua_insert(L, -2);
    lua.lua_concat(L, 2);
  }
  // Hooks off while the error goes on, as for one the hook raised: a
  // killed script's line hook must not fire in the error handler.
  disableHooks(L);
  return lua.lua_error(L);
}
