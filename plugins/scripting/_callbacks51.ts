/**
 * The library functions that call Lua functions back, made so that a
 * script past `busy-reply-threshold` can pause inside them (the count hook
 * yields the script's thread, which a call from a JS function stops unless
 * it has a continuation): `table.sort` with a comparator (or items with
 * metatables, whose `__lt` is Lua), `table.foreach` and `table.foreachi`
 * run their loops in Lua ({@link CALLBACKS_SOURCE},
 * chunk "=[redis-stdlib]", which the error handler passes over as library
 * code), called through `lua_callk`; `tostring` calls `__tostring` with a
 * continuation; `string.gsub` is in `_patterns51.ts`, with a continuation
 * per replacement call, and a table's `__index` reached from Lua (`index`).
 *
 * "invalid order function for sorting" is returned by the Lua sort and
 * raised by the JS function, so that its position is the caller's, as
 * 5.1's luaL_error gives it from the C function.
 *
 * @module
 */

import { fromLua, lauxlib, lua, type LuaJsFunction, type LuaState, toLua } from "./_fengari.ts";
import { GSUB_INDEX } from "./_patterns51.ts";

/** Registry fields of the Lua functions. */
const SORT_LUA = "redis_sort51";
const FOREACH_LUA = "redis_foreach51";
const FOREACHI_LUA = "redis_foreachi51";

/**
 * 5.1's auxsort in Lua, step for step (the same comparisons in the same
 * order, the values compared and swapped as they were read): true when
 * the order function is invalid. With raw accesses, as 5.1's, for a table
 * with a metatable (`rawsort`); with plain indexing, which costs no call,
 * for one without (`auxsort`: a comparator that gave the table a
 * metatable in the middle of the sort would see its metamethods used).
 */
const AUXSORT = `local function AUXSORT(t, l, u, f)
  while l < u do
    local a, b = rawget(t, l), rawget(t, u)
    if f(b, a) then rawset(t, l, b) rawset(t, u, a) end
    if u - l == 1 then break end
    local i = floor((l + u) / 2)
    a, b = rawget(t, i), rawget(t, l)
    if f(a, b) then
      rawset(t, i, b) rawset(t, l, a)
    else
      b = rawget(t, u)
      if f(b, a) then rawset(t, i, b) rawset(t, u, a) end
    end
    if u - l == 2 then break end
    local p = rawget(t, i)
    rawset(t, i, rawget(t, u - 1)) rawset(t, u - 1, p)
    local j, ai, aj = u - 1
    i = l
    while true do
      while true do
        i = i + 1
        ai = rawget(t, i)
        if not f(ai, p) then break end
        if i > u then return true end
      end
      while true do
        j = j - 1
        aj = rawget(t, j)
        if not f(p, aj) then break end
        if j < l then return true end
      end
      if j < i then break end
      rawset(t, i, aj) rawset(t, j, ai)
    end
    a, b = rawget(t, u - 1), rawget(t, i)
    rawset(t, u - 1, b) rawset(t, i, a)
    if i - l < u - i then
      j, i, l = l, i - 1, i + 1
    else
      j, i, u = i + 1, u, i - 1
    end
    if AUXSORT(t, j, i, f) then return true end
  end
end

`;

const AUXSORTS = AUXSORT.replaceAll("AUXSORT", "rawsort") + "\n" +
  AUXSORT.replaceAll("AUXSORT", "auxsort")
    .replace(/rawget\(t, ([^)]*)\)/g, "t[$1]")
    .replace(/rawset\(t, ([^,]+), ([^)]+)\)/g, "t[$1] = $2");

/**
 * The Lua half of the functions: loaded once per state, given the
 * functions they use (so a script's changes cannot reach them).
 */
const CALLBACKS_SOURCE =
  `local rawget, rawset, next, floor, type, error, getmetatable, rawequal, sub = ...

${AUXSORTS}
-- A sort's order without a comparator when an item has a metatable, as
-- 5.1's lessthan: values of two types never compare, tables and userdata
-- only by the same __lt of both (called from Lua, where a script can
-- pause); its errors raised without a position, as from the C function.
local function lt(a, b)
  local ta, tb = type(a), type(b)
  if ta == tb then
    if ta == "number" or ta == "string" then return a < b end
    local ma, mb = getmetatable(a), getmetatable(b)
    local h = ma and rawget(ma, "__lt")
    if h ~= nil and rawequal(h, mb and rawget(mb, "__lt")) then return a < b end
  end
  if sub(ta, 3, 3) == sub(tb, 3, 3) then error("attempt to compare two " .. ta .. " values", 0) end
  error("attempt to compare " .. ta .. " with " .. tb, 0)
end

local function sort(t, n, f, raw)
  if raw then return rawsort(t, 1, n, f or lt) end
  return auxsort(t, 1, n, f or lt)
end

-- A table's value for gsub, its __index (which may be a Lua function)
-- called from Lua.
local function index(t, k) return t[k] end

local function foreach(t, f)
  for k, v in next, t do
    local r = f(k, v)
    if r ~= nil then return r end
  end
end

local function foreachi(t, n, f)
  for i = 1, n do
    local r = f(i, rawget(t, i))
    if r ~= nil then return r end
  end
end

return sort, index, foreach, foreachi`;

/**
 * Loads the Lua half into the registry. Run once per state, before the
 * sandbox hides `debug` (it takes `debug.getmetatable`).
 */
export function openCallbacks51(L: LuaState): void {
  if (
    lauxlib.luaL_loadbuffer(L, toLua(CALLBACKS_SOURCE), null, "=[redis-stdlib]") !== lua.LUA_OK
  ) {
    throw new Error(`scripting VM set-up failed: ${fromLua(lua.lua_tolstring(L, -1)!)}`);
  }
  for (const name of ["rawget", "rawset", "next"]) lua.lua_getglobal(L, name);
  const more = [
    ["math", "floor"],
    ["_G", "type"],
    ["_G", "error"],
    ["debug", "getmetatable"],
    ["_G", "rawequal"],
    ["string", "sub"],
  ];
  for (const [lib, name] of more) {
    lua.lua_getglobal(L, lib!);
    lua.lua_getfield(L, -1, name!);
    lua.lua_remove(L, -2);
  }
  lua.lua_call(L, 9, 4);
  for (const field of [FOREACHI_LUA, FOREACH_LUA, GSUB_INDEX, SORT_LUA]) {
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, field);
  }
}

/** A continuation returning what the Lua function left (the frame holds nothing else). */
const results = (L: LuaState): number => lua.lua_gettop(L);

/**
 * Calls the Lua function of registry `field` with the frame's first
 * `nargs` values, its results the call's.
 */
function callLua(L: LuaState, field: string, nargs: number): number {
  lua.lua_settop(L, nargs);
  lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, field);
  lua.lua_insert(L, 1);
  lua.lua_callk(L, nargs, lua.LUA_MULTRET, 0, results);
  return lua.lua_gettop(L);
}

/**
 * `table.sort(t, f)` past its checks, `n` its length (`f` nil: Lua's
 * order, for items with metatables): 5.1's auxsort in Lua, "invalid order
 * function for sorting" raised here.
 */
export function sortWith(L: LuaState, n: number): number {
  lua.lua_settop(L, 2);
  const raw = lua.lua_getmetatable(L, 1);
  lua.lua_settop(L, 2);
  lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, SORT_LUA);
  lua.lua_pushvalue(L, 1);
  lua.lua_pushnumber(L, n);
  lua.lua_pushvalue(L, 2);
  lua.lua_pushboolean(L, raw);
  lua.lua_callk(L, 4, 1, 0, sortDone);
  return sortDone(L);
}

function sortDone(L: LuaState): number {
  if (lua.lua_toboolean(L, -1)) lauxlib.luaL_error(L, "invalid order function for sorting");
  return 0;
}

/** 5.1's `table.foreach`. */
export const foreach51: LuaJsFunction = (L) => {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
  return callLua(L, FOREACH_LUA, 2);
};

/** 5.1's `table.foreachi`: `n` read before the function is checked, as 5.1's. */
export const foreachi51: LuaJsFunction = (L) => {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  const n = lua.lua_rawlen(L, 1);
  lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
  lua.lua_settop(L, 2);
  lua.lua_pushnumber(L, n);
  lua.lua_insert(L, 2);
  return callLua(L, FOREACHI_LUA, 3);
};

/**
 * 5.1's `tostring`: a value's `__tostring` called (and its result returned
 * whatever it is, as 5.1; 5.3 wants a string), by a continuation.
 */
export const tostring51: LuaJsFunction = (L) => {
  lauxlib.luaL_checkany(L, 1);
  // Only tables and userdata can have a __tostring of their own (the
  // strings' metatable is read-only, other types have none).
  const t = lua.lua_type(L, 1);
  if (
    (t !== lua.LUA_TTABLE && t !== lua.LUA_TUSERDATA) ||
    lauxlib.luaL_getmetafield(L, 1, TOSTRING) === lua.LUA_TNIL
  ) {
    lauxlib.luaL_tolstring(L, 1);
    return 1;
  }
  lua.lua_pushvalue(L, 1);
  lua.lua_callk(L, 1, 1, 0, one);
  return 1;
};

const TOSTRING = toLua("__tostring");
const one = (): number => 1;
