/**
 * `redis.register_function` as Redis 7.0's luaRegisterFunction: positional
 * `(name, callback)` or named `{function_name=, callback=, flags=,
 * description=}` arguments, read into a {@link Registration} of plain
 * values for the library being loaded. Errors are raised as Redis's error
 * tables, with Redis's messages.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { noFlags, type ScriptFlags, setFlag } from "./_flags.ts";
import { fromLua, lauxlib, lua, type LuaJsFunction, type LuaState } from "./_fengari.ts";
import { pushErrorTable } from "./_convert.ts";

/** A function a library registers. */
export interface Registration {
  /** The function's name, as registered (FCALL finds it in any case). */
  readonly name: Bytes;
  /** The VM's handle of the callback (a registry slot), to call or release it. */
  readonly handle: number;
  /** The flags it declared (never `compat`: functions have no such mode). */
  readonly flags: ScriptFlags;
  /** Its `description`, if it gave one. */
  readonly description: Bytes | undefined;
}

/**
 * Takes a registration while a library loads; returns the error that
 * refuses it (bad or duplicate name).
 */
export type RegistrationSink = (r: Registration) => string | undefined;

function raise(L: LuaState, msg: string): never {
  pushErrorTable(L, msg);
  return lua.lua_error(L);
}

/** The string at `idx` (lua_isstring: numbers too), without converting it in place. */
function stringAt(L: LuaState, idx: number): Bytes | undefined {
  if (!lua.lua_isstring(L, idx)) return undefined;
  lua.lua_pushvalue(L, idx);
  const s = fromLua(lua.lua_tolstring(L, -1)!);
  lua.lua_pop(L, 1);
  return s;
}

/** Reads a flags table (luaRegisterFunctionReadFlags); undefined for a bad flag. */
function readFlags(L: LuaState, flags: ScriptFlags): boolean {
  for (let j = 1;; j++) {
    lua.lua_rawgeti(L, -1, j);
    if (lua.lua_type(L, -1) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      return true;
    }
    const s = stringAt(L, -1);
    lua.lua_pop(L, 1);
    if (s === undefined) return false;
    if (!setFlag(flags, s.toLowerCase())) return false;
  }
}

/** Named arguments; takes a registry slot for the callback, or raises. */
function readNamed(L: LuaState): Registration {
  if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) {
    raise(
      L,
      "calling redis.register_function with a single argument is only applicable to Lua table " +
        "(representing named arguments).",
    );
  }
  let name: Bytes | undefined, description: Bytes | undefined, ref: number | undefined;
  const flags = noFlags(false);
  const fail = (msg: string): never => {
    if (ref !== undefined) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
    return raise(L, msg);
  };
  lua.lua_settop(L, 1);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, 1) !== 0) {
    const key = stringAt(L, -2);
    if (key === undefined) {
      fail("named argument key given to redis.register_function is not a string");
    }
    switch (key!.toLowerCase()) {
      case "function_name":
        name = stringAt(L, -1);
        if (name === undefined) {
          fail("function_name argument given to redis.register_function must be a string");
        }
        break;
      case "description":
        description = stringAt(L, -1);
        if (description === undefined) {
          fail("description argument given to redis.register_function must be a string");
        }
        break;
      case "callback":
        if (lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) {
          fail("callback argument given to redis.register_function must be a function");
        }
        if (ref !== undefined) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
        ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX); // pops the value
        continue;
      case "flags":
        if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
          fail(
            "flags argument to redis.register_function must be a table representing function flags",
          );
        }
        if (!readFlags(L, flags)) fail("unknown flag given");
        break;
      default:
        fail("unknown argument given to redis.register_function");
    }
    lua.lua_pop(L, 1);
  }
  if (name === undefined) fail("redis.register_function must get a function name argument");
  if (ref === undefined) fail("redis.register_function must get a callback argument");
  return { name: name!, handle: ref!, flags, description };
}

/**
 * Makes `redis.register_function`: registrations go to `sink()`, which is
 * undefined outside FUNCTION LOAD (the function then refuses to run).
 */
export function makeRegister(sink: () => RegistrationSink | undefined): LuaJsFunction {
  return (L) => {
    const take = sink();
    if (take === undefined) {
      raise(L, "redis.register_function can only be called on FUNCTION LOAD command");
    }
    const argc = lua.lua_gettop(L);
    if (argc < 1 || argc > 2) raise(L, "wrong number of arguments to redis.register_function");
    let reg: Registration;
    if (argc === 1) {
      reg = readNamed(L);
    } else {
      const name = stringAt(L, 1);
      if (name === undefined) {
        raise(L, "first argument to redis.register_function must be a string");
      }
      if (lua.lua_type(L, 2) !== lua.LUA_TFUNCTION) {
        raise(L, "second argument to redis.register_function must be a function");
      }
      lua.lua_settop(L, 2);
      reg = {
        name: name!,
        handle: lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX),
        flags: noFlags(false),
        description: undefined,
      };
    }
    const err = take!(reg);
    if (err !== undefined) {
      lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, reg.handle);
      raise(L, err);
    }
    return 0;
  };
}
