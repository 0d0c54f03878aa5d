/**
 * Lua 5.1's standard library as Redis's Lua has it, made from fengari's
 * 5.3 one ({@link stdlib51}): `string`, `table`, `math` and `coroutine`
 * hold 5.1's names and no others (5.3's additions are removed, 5.1's
 * compatibility functions added, as Redis's `pairs` listings show), and
 * the functions that changed between the versions behave and fail as
 * 5.1's: `math` returns floats (5.1 has no integers), `table.insert` and
 * `table.remove` use raw accesses and the table's border,
 * `coroutine.running` returns nil outside a coroutine, `string.char`
 * takes what C's int cast leaves of a number.
 *
 * @module
 */

import { lauxlib, lua, type LuaJsFunction, type LuaState, toLua } from "./_fengari.ts";
import { isReadonly } from "./_lua51.ts";

/**
 * What 5.3 has and Redis's 5.1 has not, by library (`_G`: the base
 * library, where Redis also removes the file functions).
 */
const REMOVED: Readonly<Record<string, readonly string[]>> = {
  _G: ["rawlen", "print", "dofile", "loadfile"],
  string: ["pack", "packsize", "unpack"],
  table: ["move", "pack", "unpack"],
  math: ["maxinteger", "mininteger", "tointeger", "type", "ult"],
  coroutine: ["isyieldable"],
};

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** C's ldexp: `m * 2^e`, in steps so that no power overflows on the way. */
function ldexp(m: number, e: number): number {
  while (e > 1023) {
    m *= 2 ** 1023;
    e -= 1023;
  }
  while (e < -1022) {
    m *= 2 ** -1022;
    e += 1022;
  }
  return m * 2 ** e;
}

/** C's frexp: `[m, e]` with `x = m * 2^e` and `0.5 <= |m| < 1`. */
function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  f64[0] = x;
  let exp = (u32[1]! >>> 20) & 0x7ff;
  let shift = 0;
  if (exp === 0) { // subnormal: scale into the normal range first
    f64[0] = x * 2 ** 64;
    exp = (u32[1]! >>> 20) & 0x7ff;
    shift = 64;
  }
  const e = exp - 1022 - shift;
  return [ldexp(x, -e), e];
}

/** A `math` function of one number, as 5.1's (a float result). */
function unary(f: (x: number) => number): LuaJsFunction {
  return (L) => {
    lua.lua_pushnumber(L, f(lauxlib.luaL_checknumber(L, 1)));
    return 1;
  };
}

/** 5.1's luaL_checkint: a number cut to a C int (5.3 refuses fractions). */
function checkint(L: LuaState, arg: number): number {
  return Math.trunc(lauxlib.luaL_checknumber(L, arg)) | 0;
}

/** The functions 5.1's `math` has that 5.3's lacks or changed. */
const MATH: Readonly<Record<string, LuaJsFunction>> = {
  abs: unary(Math.abs),
  ceil: unary(Math.ceil),
  floor: unary(Math.floor),
  cosh: unary(Math.cosh),
  sinh: unary(Math.sinh),
  tanh: unary(Math.tanh),
  log: unary(Math.log),
  log10: unary(Math.log10),
  atan2: (L) => {
    const y = lauxlib.luaL_checknumber(L, 1);
    lua.lua_pushnumber(L, Math.atan2(y, lauxlib.luaL_checknumber(L, 2)));
    return 1;
  },
  pow: (L) => {
    const x = lauxlib.luaL_checknumber(L, 1);
    lua.lua_pushnumber(L, Math.pow(x, lauxlib.luaL_checknumber(L, 2)));
    return 1;
  },
  // JS's % is C's fmod (the dividend's sign, exact).
  fmod: (L) => {
    const x = lauxlib.luaL_checknumber(L, 1);
    lua.lua_pushnumber(L, x % lauxlib.luaL_checknumber(L, 2));
    return 1;
  },
  ldexp: (L) => {
    const m = lauxlib.luaL_checknumber(L, 1);
    lua.lua_pushnumber(L, ldexp(m, checkint(L, 2)));
    return 1;
  },
  frexp: (L) => {
    const [m, e] = frexp(lauxlib.luaL_checknumber(L, 1));
    lua.lua_pushnumber(L, m);
    lua.lua_pushnumber(L, e);
    return 2;
  },
};

/**
 * `lua_rawseti` as Redis's Lua: a read-only table refuses, without a
 * position (Redis raises it from the C API).
 */
function rawseti(L: LuaState, idx: number, n: number): void {
  if (isReadonly(L, idx)) {
    lua.lua_pushstring(L, "Attempt to modify a readonly table");
    lua.lua_error(L);
  }
  lua.lua_rawseti(L, idx, n);
}

/** 5.1's aux_getn: a table's border (its raw length). */
function getn(L: LuaState, idx: number): number {
  lauxlib.luaL_checktype(L, idx, lua.LUA_TTABLE);
  return lua.lua_rawlen(L, idx);
}

/** The functions of 5.1's `table` that 5.3's lacks or changed. */
const TABLE: Readonly<Record<string, LuaJsFunction>> = {
  getn: (L) => {
    lua.lua_pushnumber(L, getn(L, 1));
    return 1;
  },
  setn: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    return lauxlib.luaL_error(L, "'setn' is obsolete");
  },
  maxn: (L) => {
    let max = 0;
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, 1) !== 0) {
      lua.lua_pop(L, 1);
      if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
        const v = lua.lua_tonumber(L, -1);
        if (v > max) max = v;
      }
    }
    lua.lua_pushnumber(L, max);
    return 1;
  },
  foreach: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, 1) !== 0) {
      lua.lua_pushvalue(L, 2);
      lua.lua_pushvalue(L, -3);
      lua.lua_pushvalue(L, -3);
      lua.lua_call(L, 2, 1);
      if (!lua.lua_isnil(L, -1)) return 1;
      lua.lua_pop(L, 2);
    }
    return 0;
  },
  foreachi: (L) => {
    const n = getn(L, 1);
    lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
    for (let i = 1; i <= n; i++) {
      lua.lua_pushvalue(L, 2);
      lua.lua_pushnumber(L, i);
      lua.lua_rawgeti(L, 1, i);
      lua.lua_call(L, 2, 1);
      if (!lua.lua_isnil(L, -1)) return 1;
      lua.lua_pop(L, 1);
    }
    return 0;
  },
  insert: (L) => {
    let e = getn(L, 1) + 1;
    let pos: number;
    switch (lua.lua_gettop(L)) {
      case 2:
        pos = e;
        break;
      case 3:
        pos = checkint(L, 2);
        if (pos > e) e = pos;
        for (let i = e; i > pos; i--) {
          lua.lua_rawgeti(L, 1, i - 1);
          rawseti(L, 1, i);
        }
        break;
      default:
        return lauxlib.luaL_error(L, "wrong number of arguments to 'insert'");
    }
    rawseti(L, 1, pos);
    return 0;
  },
  remove: (L) => {
    const e = getn(L, 1);
    let pos = lua.lua_isnoneornil(L, 2) ? e : checkint(L, 2);
    if (!(1 <= pos && pos <= e)) return 0;
    lua.lua_rawgeti(L, 1, pos);
    for (; pos < e; pos++) {
      lua.lua_rawgeti(L, 1, pos + 1);
      rawseti(L, 1, pos);
    }
    lua.lua_pushnil(L);
    rawseti(L, 1, e);
    return 1;
  },
};

const GC_OPTIONS = ["stop", "restart", "collect", "count", "step", "setpause", "setstepmul"]
  .map(toLua);

/**
 * The memory the VM holds, in KB: fengari's objects live in the JS heap,
 * which its collector manages, so this is the heap in use.
 */
function heapKb(): number {
  return Deno.memoryUsage().heapUsed / 1024;
}

/**
 * 5.1's `collectgarbage` and `gcinfo` (fengari has no lua_gc): the options
 * are checked as 5.1 checks them; collecting is the JS collector's.
 */
function gcFunctions(): { collectgarbage: LuaJsFunction; gcinfo: LuaJsFunction } {
  let pause = 200, stepmul = 200;
  const collectgarbage: LuaJsFunction = (L) => {
    const o = lauxlib.luaL_checkoption(L, 1, "collect", GC_OPTIONS);
    const ex = lua.lua_isnoneornil(L, 2) ? 0 : checkint(L, 2);
    let res = 0;
    if (o === 3) res = heapKb();
    else if (o === 4) {
      lua.lua_pushboolean(L, false);
      return 1;
    } else if (o === 5) [res, pause] = [pause, ex];
    else if (o === 6) [res, stepmul] = [stepmul, ex];
    lua.lua_pushnumber(L, res);
    return 1;
  };
  const gcinfo: LuaJsFunction = (L) => {
    lua.lua_pushnumber(L, Math.floor(heapKb()));
    return 1;
  };
  return { collectgarbage, gcinfo };
}

/**
 * 5.1's `string.char` (fengari's raises a JS exception for a code past
 * 255): a number cut to an int, refused unless it is a byte.
 */
function char51(L: LuaState): number {
  const n = lua.lua_gettop(L);
  const b = new Uint8Array(n);
  for (let i = 1; i <= n; i++) {
    const c = checkint(L, i);
    lauxlib.luaL_argcheck(L, c >= 0 && c <= 255, i, "invalid value");
    b[i - 1] = c;
  }
  lua.lua_pushstring(L, b);
  return 1;
}

/** 5.1's `coroutine.running`: nil in the main thread. */
function running51(L: LuaState): number {
  if (lua.lua_pushthread(L)) lua.lua_pushnil(L);
  return 1;
}

/** Sets `t[name] = f` on the table on top of the stack. */
function setFunction(L: LuaState, name: string, f: LuaJsFunction): void {
  lua.lua_pushjsfunction(L, f);
  lua.lua_setfield(L, -2, name);
}

/**
 * Makes the global libraries (opened from fengari's 5.3 ones) Redis's
 * Lua 5.1 libraries; also the base library's `unpack` (5.3's
 * `table.unpack`), `collectgarbage` and `gcinfo`, and removes `rawlen`
 * and the file functions. Run once per state, after cjson and the others
 * took what they use, before the sandbox locks the tables.
 *
 * @example
 * ```ts ignore
 * stdlib51(L); // `math.atan2` exists, `string.pack` does not
 * ```
 */
export function stdlib51(L: LuaState): void {
  lua.lua_getglobal(L, "table");
  lua.lua_getfield(L, -1, "unpack");
  lua.lua_setglobal(L, "unpack");
  lua.lua_pop(L, 1);
  for (const [name, f] of Object.entries(gcFunctions())) {
    lua.lua_pushjsfunction(L, f);
    lua.lua_setglobal(L, name);
  }
  for (const [lib, names] of Object.entries(REMOVED)) {
    lua.lua_getglobal(L, lib);
    for (const name of names) {
      lua.lua_pushnil(L);
      lua.lua_setfield(L, -2, name);
    }
    lua.lua_pop(L, 1);
  }
  lua.lua_getglobal(L, "string");
  lua.lua_getfield(L, -1, "gmatch");
  lua.lua_setfield(L, -2, "gfind");
  setFunction(L, "char", char51);
  lua.lua_pop(L, 1);
  lua.lua_getglobal(L, "math");
  for (const [name, f] of Object.entries(MATH)) setFunction(L, name, f);
  lua.lua_getfield(L, -1, "fmod");
  lua.lua_setfield(L, -2, "mod");
  lua.lua_pop(L, 1);
  lua.lua_getglobal(L, "table");
  for (const [name, f] of Object.entries(TABLE)) setFunction(L, name, f);
  lua.lua_pop(L, 1);
  lua.lua_getglobal(L, "coroutine");
  setFunction(L, "running", running51);
  lua.lua_pop(L, 1);
}
