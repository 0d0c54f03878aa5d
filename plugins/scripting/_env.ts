/**
 * The sandbox Redis 7.0 gives scripts, built once per VM by
 * {@link openSandbox}: Lua 5.1's libraries, Redis's error handler, and
 * read-only globals and library tables.
 *
 * As in Redis (script_lua.c, function_lua.c), the globals are a real
 * table, read-only, whose metatable raises "Script attempted to access
 * nonexistent global variable" for a missing name; every table reachable
 * from it (the libraries, `redis`, the metatables, the strings'
 * metatable) is read-only too ("Attempt to modify a readonly table").
 * Reads cost nothing more than a plain table's: the mark is checked only
 * when a table is written (see `_lua51.ts`).
 *
 * A functions VM (FUNCTION LOAD, FCALL) has, as Redis's, empty read-only
 * globals whose read-only metatable reads through to those: to the usual
 * globals when a function runs, to the loading API while a library loads
 * (a `redis` table with only `register_function`, `log` and the log and
 * version constants). Its `redis` table lacks EVAL's `breakpoint`,
 * `debug` and `replicate_commands`, and its globals the error handler.
 *
 * @module
 */

import { fromLua, lauxlib, lua, type LuaJsFunction, type LuaState, toLua } from "./_fengari.ts";
import { isReadonly, setReadonly } from "./_lua51.ts";
import { stdlib51 } from "./_stdlib51.ts";

/**
 * Redis's error handler (its __redis__err__handler), as the chunk Redis
 * loads it from, "@err_handler_def": an error raised inside it (an error
 * object that is a read-only table) names it at the line Redis's does
 * (10). It makes an error a table {err=, source=, line=} with the frame
 * the error comes from: past one C function, as Redis (a library function
 * here is a JS function, or Lua code behind one, "=[redis-libs]" or
 * "=[redis-stdlib]", with the C functions that code calls), a C function
 * itself named "=[C]" at line -1. Lua 5.3's "attempt to index a
 * nil value (global 'x')" is worded as 5.1's "attempt to index global 'x'
 * (a nil value)". Given the debug library and the functions it uses.
 */
const ERROR_HANDLER = `local dbg, type, tostring, gsub, sub = ...
local function lib(i) return i ~= nil and i.what == "Lua" and sub(i.source, 1, 2) == "=[" end
local function c(i) return i ~= nil and (i.what == "C" or i.what == "J") end
return function(err)
  local lvl = 2 if c(dbg.getinfo(2, "S")) and lib(dbg.getinfo(3, "S")) then lvl = 3 end
  if lib(dbg.getinfo(lvl, "S")) then repeat lvl = lvl + 1 until not lib(dbg.getinfo(lvl, "S")) end
  if c(dbg.getinfo(lvl, "S")) then lvl = lvl + 1 end
  local i = dbg.getinfo(lvl, "nSl")
  if type(err) ~= "table" then err = {err = "ERR " .. gsub(tostring(err), "attempt to ([%a ]-) a (%a+) value %((%a+ '[^']*')%)", "attempt to %1 %3 (a %2 value)")} end
  if i then err["source"] = c(i) and "=[C]" or i.source err["line"] = i.currentline end
  return err
end`;

/**
 * The Lua run once with the real globals, given whether the VM is a
 * functions VM and {@link ERROR_HANDLER}: Lua 5.1's `_VERSION`, and the
 * error handler, kept in the registry (and, for EVAL, in the globals as
 * Redis has it); then `debug` goes.
 */
const PRELUDE = `
local library, handler_source = ...
local dbg = debug
-- An error in a function called without a name (pcall(load, "x")) names
-- it '?', as Lua 5.1 does; 5.3 would look it up in the loaded libraries.
local reg = dbg.getregistry()
reg._LOADED = nil
_VERSION = "Lua 5.1"
local handler = loadstring(handler_source, "@err_handler_def")(
  dbg, type, tostring, string.gsub, string.sub)
reg.__redis__err__handler = handler
if library then
  redis.breakpoint, redis.debug, redis.replicate_commands = nil, nil, nil
else
  __redis__err__handler = handler
end
debug = nil
`;

/** The loading API's copies of the `redis` fields (Redis's luaRegisterLogFunction, luaRegisterVersion). */
const LOADING_FIELDS = [
  "log",
  "LOG_DEBUG",
  "LOG_VERBOSE",
  "LOG_NOTICE",
  "LOG_WARNING",
  "REDIS_VERSION",
  "REDIS_VERSION_NUM",
];

/**
 * Redis's luaProtectedTableError, the `__index` of the globals' metatable:
 * a missing global raises, with the script's position.
 */
function protectedTableError(L: LuaState): number {
  if (lua.lua_gettop(L) !== 2) {
    lauxlib.luaL_error(L, "Wrong number of arguments to luaProtectedTableError");
  }
  if (!lua.lua_isstring(L, -1) && !lua.lua_isnumber(L, -1)) {
    lauxlib.luaL_error(L, "Second argument to luaProtectedTableError must be a string or number");
  }
  return lauxlib.luaL_error(
    L,
    "Script attempted to access nonexistent global variable '%s'",
    lua.lua_tolstring(L, -1),
  );
}

/** Gives the table on top of the stack Redis's error metatable (luaSetErrorMetatable). */
function setErrorMetatable(L: LuaState): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushjsfunction(L, protectedTableError);
  lua.lua_setfield(L, -2, "__index");
  lua.lua_setmetatable(L, -2);
}

/**
 * Marks the table on top of the stack read-only, and every table reachable
 * from it through values and metatables (luaSetTableProtectionRecursively).
 */
function protect(L: LuaState): void {
  if (isReadonly(L, -1)) return;
  setReadonly(L, -1, true);
  lua.lua_checkstack(L, 3);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    if (lua.lua_istable(L, -1)) protect(L);
    lua.lua_pop(L, 1);
  }
  if (lua.lua_getmetatable(L, -1)) {
    protect(L);
    lua.lua_pop(L, 1);
  }
}

/** Runs trusted set-up code with the `args` values on top of the stack. */
function exec(L: LuaState, src: string, args: number): void {
  let ok = lauxlib.luaL_loadbuffer(L, toLua(src), null, "=[redis]") === lua.LUA_OK;
  if (ok) {
    lua.lua_insert(L, -1 - args);
    ok = lua.lua_pcall(L, args, 0, 0) === lua.LUA_OK;
  }
  if (!ok) {
    const msg = fromLua(lua.lua_tolstring(L, -1) ?? new Uint8Array());
    throw new Error(`scripting VM set-up failed: ${msg}`);
  }
}

/**
 * A functions VM's switch (called with a boolean): points the globals'
 * metatable at the loading API (true) or back at the usual globals. Its
 * upvalues: that metatable, the API, the globals.
 */
const switchGlobals: LuaJsFunction = (L) => {
  const loading = lua.lua_toboolean(L, 1);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_pushvalue(L, lua.lua_upvalueindex(loading ? 2 : 3));
  setReadonly(L, -2, false);
  lua.lua_setfield(L, -2, "__index");
  setReadonly(L, -1, true);
  lua.lua_pop(L, 1);
  return 0;
};

/**
 * Seals a VM whose globals hold the Lua libraries and the `redis` API
 * (and cjson, cmsgpack, bit, struct): makes the libraries Lua 5.1's, adds
 * the error handler (registry field `__redis__err__handler`), keeps the
 * real globals at registry field `redis_G` and makes everything
 * read-only. A functions VM (`register` given: `redis.register_function`)
 * then gets its own globals for the chunks compiled from now on; returns
 * the registry slot of their switch (see {@link switchGlobals}), or 0.
 *
 * @example
 * ```ts ignore
 * const envSwitch = openSandbox(L, makeRegister(() => sink)); // a functions VM
 * ```
 */
export function openSandbox(L: LuaState, register?: LuaJsFunction): number {
  const library = register !== undefined;
  stdlib51(L);
  lua.lua_pushboolean(L, library);
  lua.lua_pushstring(L, ERROR_HANDLER);
  exec(L, PRELUDE, 2);
  lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
  const g = lua.lua_gettop(L);
  lua.lua_pushvalue(L, g);
  lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, "redis_G");
  setErrorMetatable(L);
  protect(L);
  // The strings' metatable (its __index is `string`), as Redis since 7.0.15.
  lua.lua_pushstring(L, "");
  lua.lua_getmetatable(L, -1);
  protect(L);
  lua.lua_settop(L, g);
  if (!library) {
    lua.lua_settop(L, g - 1);
    return 0;
  }
  // The loading API: {redis = {register_function, log, ...}}, each with
  // the error metatable, read-only.
  lua.lua_createtable(L, 0, 1);
  const api = lua.lua_gettop(L);
  lua.lua_createtable(L, 0, LOADING_FIELDS.length + 1);
  lua.lua_pushjsfunction(L, register);
  lua.lua_setfield(L, -2, "register_function");
  lua.lua_getfield(L, g, "redis");
  for (const k of LOADING_FIELDS) {
    lua.lua_getfield(L, -1, k);
    lua.lua_setfield(L, -3, k);
  }
  lua.lua_pop(L, 1);
  setErrorMetatable(L);
  lua.lua_setfield(L, api, "redis");
  setErrorMetatable(L);
  protect(L);
  // The functions' globals: empty, reading through their metatable.
  lua.lua_createtable(L, 0, 0);
  const globals = lua.lua_gettop(L);
  lua.lua_createtable(L, 0, 1);
  const meta = lua.lua_gettop(L);
  lua.lua_pushvalue(L, g);
  lua.lua_setfield(L, meta, "__index");
  lua.lua_pushvalue(L, meta);
  lua.lua_setmetatable(L, globals);
  setReadonly(L, meta, true);
  setReadonly(L, globals, true);
  lua.lua_pushvalue(L, globals);
  lua.lua_rawseti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
  lua.lua_pushvalue(L, meta);
  lua.lua_pushvalue(L, api);
  lua.lua_pushvalue(L, g);
  lua.lua_pushjsclosure(L, switchGlobals, 3);
  const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  lua.lua_settop(L, g - 1);
  return ref;
}
