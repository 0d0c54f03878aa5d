/**
 * Lua 5.1's standard library as Redis's Lua has it, made from fengari's
 * 5.3 one ({@link stdlib51}): `string`, `table`, `math` and `coroutine`
 * hold 5.1's names and no others (5.3's additions are removed, 5.1's
 * compatibility functions added, as Redis's `pairs` listings show), and
 * the functions that changed between the versions behave and fail as
 * 5.1's: `math` returns floats (5.1 has no integers) and checks each
 * argument a number, `table.insert`, `table.remove`, `unpack` and `ipairs`
 * use raw accesses and the table's border, numbers given for integers are
 * cut as C casts them (5.3 refuses fractions),
 * `coroutine.running` returns nil outside a coroutine, `string.char`
 * takes what C's int cast leaves of a number, patterns are 5.1's (see
 * `_patterns51.ts`) and `string.format` is 5.1's over C's sprintf.
 *
 * @module
 */

import {
  lauxlib,
  lua,
  type LuaJsFunction,
  type LuaState,
  restoreHooks,
  toLua,
} from "./_fengari.ts";
import { isReadonly } from "./_lua51.ts";
import { foreach51, foreachi51, openCallbacks51, sortWith, tostring51 } from "./_callbacks51.ts";
import { find51, gmatch51, gsub51, match51 } from "./_patterns51.ts";
import {
  formatChar,
  formatFloat,
  formatInt,
  formatString,
  formatUnsigned,
  type Spec,
} from "./_printf.ts";

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

/**
 * 5.1's luaL_checkint: a number made a C int as x86-64 does it (5.3
 * refuses fractions): cut to a 64-bit integer (out of range or NaN:
 * INT64_MIN), of which the int keeps the low 32 bits.
 */
function checkint(L: LuaState, arg: number): number {
  const d = lauxlib.luaL_checknumber(L, arg);
  return d > -9223372036854775808 && d < 9223372036854775808 ? Math.trunc(d) | 0 : 0;
}

/** 5.1's luaL_optint. */
function optint(L: LuaState, arg: number, def: number): number {
  return lua.lua_isnoneornil(L, arg) ? def : checkint(L, arg);
}

/** Two numbers checked as gcc evaluates `f(check(L, 1), check(L, 2))`: the second first. */
function twoNumbers(L: LuaState): [number, number] {
  const y = lauxlib.luaL_checknumber(L, 2);
  return [lauxlib.luaL_checknumber(L, 1), y];
}

/** 5.1's math.min and math.max: every argument a number. */
function extreme(max: boolean): LuaJsFunction {
  return (L) => {
    const n = lua.lua_gettop(L);
    let r = lauxlib.luaL_checknumber(L, 1);
    for (let i = 2; i <= n; i++) {
      const d = lauxlib.luaL_checknumber(L, i);
      if (max ? d > r : d < r) r = d;
    }
    lua.lua_pushnumber(L, r);
    return 1;
  };
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
  min: extreme(false),
  max: extreme(true),
  atan2: (L) => {
    const [y, x] = twoNumbers(L);
    lua.lua_pushnumber(L, Math.atan2(y, x));
    return 1;
  },
  pow: (L) => {
    const [x, y] = twoNumbers(L);
    lua.lua_pushnumber(L, Math.pow(x, y));
    return 1;
  },
  // JS's % is C's fmod (the dividend's sign, exact).
  fmod: (L) => {
    const [x, y] = twoNumbers(L);
    lua.lua_pushnumber(L, x % y);
    return 1;
  },
  ldexp: (L) => {
    const e = checkint(L, 2);
    lua.lua_pushnumber(L, ldexp(lauxlib.luaL_checknumber(L, 1), e));
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

/**
 * 5.1's sort_comp without a comparator (a comparator's sort runs in Lua,
 * see `_callbacks51.ts`): whether the value at `a` sorts before the one
 * at `b`.
 */
function sortComp(L: LuaState, a: number, b: number): boolean {
  return lua.lua_compare(L, a, b, lua.LUA_OPLT);
}

/** Whether an item of the array at 1 (of `n`) is a table or userdata with a metatable. */
function withMetatable(L: LuaState, n: number): boolean {
  for (let i = 1; i <= n; i++) {
    const t = lua.lua_rawgeti(L, 1, i);
    if ((t === lua.LUA_TTABLE || t === lua.LUA_TUSERDATA) && lua.lua_getmetatable(L, -1)) {
      lua.lua_pop(L, 2);
      return true;
    }
    lua.lua_pop(L, 1);
  }
  return false;
}

/** Swaps in the two values on top of the stack: t[i] = top, t[j] = below it. */
function set2(L: LuaState, i: number, j: number): void {
  rawseti(L, 1, i);
  rawseti(L, 1, j);
}

/**
 * 5.1's auxsort, step for step: the same comparisons in the same order,
 * so ties and inconsistent comparators end as in Redis (5.3's pivot is
 * random past 100 elements).
 */
function auxsort(L: LuaState, l: number, u: number): void {
  while (l < u) {
    lua.lua_rawgeti(L, 1, l);
    lua.lua_rawgeti(L, 1, u);
    if (sortComp(L, -1, -2)) set2(L, l, u);
    else lua.lua_pop(L, 2);
    if (u - l === 1) break;
    let i = Math.trunc((l + u) / 2);
    lua.lua_rawgeti(L, 1, i);
    lua.lua_rawgeti(L, 1, l);
    if (sortComp(L, -2, -1)) set2(L, i, l);
    else {
      lua.lua_pop(L, 1);
      lua.lua_rawgeti(L, 1, u);
      if (sortComp(L, -1, -2)) set2(L, i, u);
      else lua.lua_pop(L, 2);
    }
    if (u - l === 2) break;
    lua.lua_rawgeti(L, 1, i); // the pivot
    lua.lua_pushvalue(L, -1);
    lua.lua_rawgeti(L, 1, u - 1);
    set2(L, i, u - 1);
    i = l;
    let j = u - 1;
    for (;;) {
      while ((lua.lua_rawgeti(L, 1, ++i), sortComp(L, -1, -2))) {
        if (i > u) lauxlib.luaL_error(L, "invalid order function for sorting");
        lua.lua_pop(L, 1);
      }
      while ((lua.lua_rawgeti(L, 1, --j), sortComp(L, -3, -1))) {
        if (j < l) lauxlib.luaL_error(L, "invalid order function for sorting");
        lua.lua_pop(L, 1);
      }
      if (j < i) {
        lua.lua_pop(L, 3);
        break;
      }
      set2(L, i, j);
    }
    lua.lua_rawgeti(L, 1, u - 1);
    lua.lua_rawgeti(L, 1, i);
    set2(L, u - 1, i);
    if (i - l < u - i) {
      j = l;
      i = i - 1;
      l = i + 2;
    } else {
      j = i + 1;
      i = u;
      u = j - 2;
    }
    auxsort(L, j, i);
  }
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
  foreach: foreach51,
  foreachi: foreachi51,
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
  // 5.1 checks the separator before the table.
  concat: (L) => {
    const sep = lua.lua_isnoneornil(L, 2) ? EMPTY : lauxlib.luaL_checklstring(L, 2);
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    let i = optint(L, 3, 1);
    const last = lua.lua_isnoneornil(L, 4) ? lua.lua_rawlen(L, 1) : checkint(L, 4);
    const parts: Uint8Array[] = [];
    let size = 0;
    for (; i <= last; i++) {
      lua.lua_rawgeti(L, 1, i);
      if (!lua.lua_isstring(L, -1)) {
        const type = lua.lua_typename(L, lua.lua_type(L, -1));
        lauxlib.luaL_error(L, "invalid value (%s) at index %d in table for 'concat'", type, i);
      }
      const v = lua.lua_tolstring(L, -1)!;
      lua.lua_pop(L, 1);
      parts.push(v);
      size += v.length;
      if (i < last) {
        parts.push(sep);
        size += sep.length;
      }
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    lua.lua_pushstring(L, out);
    return 1;
  },
  sort: (L) => {
    const n = getn(L, 1);
    lua.lua_checkstack(L, 40);
    if (!lua.lua_isnoneornil(L, 2)) {
      lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
      return sortWith(L, n);
    }
    lua.lua_settop(L, 2);
    // An item with a metatable may have an __lt, Lua code: then the sort
    // runs in Lua too, where a script can pause.
    if (withMetatable(L, n)) return sortWith(L, n);
    auxsort(L, 1, n);
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

const EMPTY = new Uint8Array(0);

/** Lua 5.1's LUAI_MAXCSTACK: lua_checkstack refuses to grow a C function's stack past it. */
const MAX_CSTACK = 8000;

/** C's isspace. */
const isSpace = (c: number | undefined) => c === 32 || (c !== undefined && c >= 9 && c <= 13);

/**
 * C's strtoul over a Lua string (up to its first NUL, as C sees it),
 * then 5.1's tonumber checks: only spaces may follow. Null if no digit
 * was read or something else follows.
 */
function strtoul(s: Uint8Array, base: number): number | null {
  const nul = s.indexOf(0);
  const end = nul < 0 ? s.length : nul;
  let p = 0;
  while (isSpace(s[p])) p++;
  const neg = s[p] === 45;
  if (neg || s[p] === 43) p++;
  const digit = (c: number | undefined): number => {
    if (c === undefined) return 99;
    if (c >= 48 && c <= 57) return c - 48;
    const l = c | 0x20;
    return l >= 97 && l <= 122 ? l - 87 : 99;
  };
  if (base === 16 && s[p] === 48 && (s[p + 1]! | 0x20) === 120 && digit(s[p + 2]) < 16) p += 2;
  let v = 0n;
  const start = p;
  while (p < end && digit(s[p]) < base) v = v * BigInt(base) + BigInt(digit(s[p++]));
  if (p === start) return null;
  while (p < end && isSpace(s[p])) p++;
  if (p !== end) return null;
  const max = (1n << 64n) - 1n;
  if (v > max) v = max; // ERANGE: ULONG_MAX
  else if (neg) v = (-v) & max;
  return Number(v);
}

/** The functions of 5.1's base library that 5.3 changed. */
const BASE: Readonly<Record<string, LuaJsFunction>> = {
  unpack: (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    let i = optint(L, 2, 1);
    const e = lua.lua_isnoneornil(L, 3) ? lua.lua_rawlen(L, 1) : checkint(L, 3);
    if (i > e) return 0;
    const n = (e - i + 1) | 0; // C int arithmetic: an overflow leaves n <= 0
    if (n <= 0 || lua.lua_gettop(L) + n > MAX_CSTACK || !lua.lua_checkstack(L, n)) {
      return lauxlib.luaL_error(L, "too many results to unpack");
    }
    lua.lua_rawgeti(L, 1, i);
    while (i++ < e) lua.lua_rawgeti(L, 1, i);
    return n;
  },
  select: (L) => {
    const n = lua.lua_gettop(L);
    if (lua.lua_type(L, 1) === lua.LUA_TSTRING && lua.lua_tolstring(L, 1)![0] === 35) { // '#'
      lua.lua_pushnumber(L, n - 1);
      return 1;
    }
    let i = checkint(L, 1);
    if (i < 0) i = n + i;
    else if (i > n) i = n;
    lauxlib.luaL_argcheck(L, 1 <= i, 1, "index out of range");
    return n - i;
  },
  tonumber: (L) => {
    const base = optint(L, 2, 10);
    if (base === 10) {
      lauxlib.luaL_checkany(L, 1);
      if (lua.lua_isnumber(L, 1)) {
        lua.lua_pushnumber(L, lua.lua_tonumber(L, 1));
        return 1;
      }
    } else {
      const s = lauxlib.luaL_checklstring(L, 1);
      lauxlib.luaL_argcheck(L, 2 <= base && base <= 36, 2, "base out of range");
      const n = strtoul(s, base);
      if (n !== null) {
        lua.lua_pushnumber(L, n);
        return 1;
      }
    }
    lua.lua_pushnil(L);
    return 1;
  },
  // 5.1's error positions a number message too (5.3: strings only).
  error: (L) => {
    const level = optint(L, 2, 1);
    lua.lua_settop(L, 1);
    if (lua.lua_isstring(L, 1) && level > 0) {
      lauxlib.luaL_where(L, level);
      lua.lua_pushvalue(L, 1);
      lua.lua_concat(L, 2);
    }
    return lua.lua_error(L);
  },
  // 5.1's xpcall passes the function no arguments, and takes any handler.
  // With a continuation, as 5.3's: a script past busy-reply-threshold may
  // pause inside.
  xpcall: (L) => {
    lauxlib.luaL_checkany(L, 2);
    lua.lua_settop(L, 2);
    lua.lua_insert(L, 1);
    return xpcallDone(L, lua.lua_pcallk(L, 0, lua.LUA_MULTRET, 1, 0, xpcallDone));
  },
};

/** The end of `xpcall`, also after a pause. */
function xpcallDone(L: LuaState, status: number): number {
  const ok = status === lua.LUA_OK || status === lua.LUA_YIELD;
  if (!ok) restoreHooks(L);
  lua.lua_pushboolean(L, ok);
  lua.lua_replace(L, 1);
  return lua.lua_gettop(L);
}

/**
 * 5.1's `next` as `pairs` returns it: its own closure of the function, so
 * not equal to the global `next` (Lua 5.1's auxopen).
 */
const pairsNext: LuaJsFunction = (L) => {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lua.lua_settop(L, 2);
  if (lua.lua_next(L, 1) !== 0) return 2;
  lua.lua_pushnil(L);
  return 1;
};

/** 5.1's `pairs` (upvalue: its `next`): a table only, and no `__pairs`. */
const pairs51: LuaJsFunction = (L) => {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_pushvalue(L, 1);
  lua.lua_pushnil(L);
  return 3;
};

/** 5.1's `ipairs` iterator: raw reads (5.3's honours `__index`). */
const ipairsaux: LuaJsFunction = (L) => {
  const i = checkint(L, 2) + 1;
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lua.lua_pushnumber(L, i);
  lua.lua_rawgeti(L, 1, i);
  return lua.lua_isnil(L, -1) ? 0 : 2;
};

/** 5.1's `ipairs` (upvalue: its iterator). */
const ipairs51: LuaJsFunction = (L) => {
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_pushvalue(L, 1);
  lua.lua_pushnumber(L, 0);
  return 3;
};

/**
 * A 5.3 coroutine function (upvalue 1) behind 5.1's check of its first
 * argument: a Lua function (`create`) or a coroutine (`status`), with
 * 5.1's words. (`resume` and `wrap` are the scripting VM's, which pause a
 * coroutine when the script must.)
 */
function coroutineCheck(luaFunction: boolean): LuaJsFunction {
  return (L) => {
    if (luaFunction) {
      const ok = lua.lua_isfunction(L, 1) && !lua.lua_iscfunction(L, 1);
      lauxlib.luaL_argcheck(L, ok, 1, "Lua function expected");
    } else {
      lauxlib.luaL_argcheck(L, lua.lua_type(L, 1) === lua.LUA_TTHREAD, 1, "coroutine expected");
    }
    lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
    lua.lua_insert(L, 1);
    lua.lua_call(L, lua.lua_gettop(L) - 1, lua.LUA_MULTRET);
    return lua.lua_gettop(L);
  };
}

/** A Lua string as a byte string. */
function bytesOf(s: Uint8Array): string {
  let out = "";
  for (let i = 0; i < s.length; i += 8192) {
    out += String.fromCharCode(...s.subarray(i, Math.min(s.length, i + 8192)));
  }
  return out;
}

/** C's view of a Lua string: up to its first NUL. */
function cString(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

const FORMAT_FLAGS = "-+ #0";

/** 5.1's addquoted (`%q`). */
function quoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (ch === '"' || ch === "\\" || ch === "\n") out += "\\" + ch;
    else if (ch === "\r") out += "\\r";
    else if (ch === "\0") out += "\\000";
    else out += ch;
  }
  return out + '"';
}

/**
 * 5.1's `string.format`: its format scanning (five flags at most, two
 * digits of width and of precision), each item formatted as C's sprintf
 * (see `_printf.ts`) and cut at a NUL as C's strlen cuts it, `%s` taking
 * strings and numbers only, `%q` as 5.1 quotes. fengari's threw JS
 * exceptions for flags such as `% d` and `%#x`.
 */
function format51(L: LuaState): number {
  const top = lua.lua_gettop(L);
  let arg = 1;
  const fmt = lauxlib.luaL_checklstring(L, arg);
  const n = fmt.length;
  const at = (k: number): number => (k < n ? fmt[k]! : 0); // C sees a NUL past the end
  const isDigit = (k: number): boolean => at(k) >= 48 && at(k) <= 57;
  let out = "";
  let i = 0;
  while (i < n) {
    if (fmt[i] !== 37) { // '%'
      out += String.fromCharCode(fmt[i++]!);
      continue;
    }
    if (at(++i) === 37) {
      out += "%";
      i++;
      continue;
    }
    if (++arg > top) lauxlib.luaL_argerror(L, arg, "no value");
    let p = i;
    while (at(p) !== 0 && FORMAT_FLAGS.includes(String.fromCharCode(at(p)))) p++;
    if (p - i >= FORMAT_FLAGS.length + 1) lauxlib.luaL_error(L, "invalid format (repeated flags)");
    const flags = String.fromCharCode(...fmt.subarray(i, p));
    let width = 0, precision = -1;
    for (let d = 0; d < 2 && isDigit(p); d++) width = width * 10 + at(p++) - 48;
    if (at(p) === 46) { // '.'
      p++;
      precision = 0;
      for (let d = 0; d < 2 && isDigit(p); d++) precision = precision * 10 + at(p++) - 48;
    }
    if (isDigit(p)) lauxlib.luaL_error(L, "invalid format (width or precision too long)");
    const conv = String.fromCharCode(at(p));
    i = p + 1;
    const spec: Spec = { flags, width, precision };
    let item: string;
    switch (conv) {
      case "c":
        item = formatChar(spec, lauxlib.luaL_checknumber(L, arg));
        break;
      case "d":
      case "i":
        item = formatInt(spec, lauxlib.luaL_checknumber(L, arg));
        break;
      case "o":
      case "u":
      case "x":
      case "X":
        item = formatUnsigned(spec, conv, lauxlib.luaL_checknumber(L, arg));
        break;
      case "e":
      case "E":
      case "f":
      case "g":
      case "G":
        item = formatFloat(spec, conv, lauxlib.luaL_checknumber(L, arg));
        break;
      case "q":
        out += quoted(bytesOf(lauxlib.luaL_checklstring(L, arg)));
        continue;
      case "s": {
        const s = bytesOf(lauxlib.luaL_checklstring(L, arg));
        // Without a precision a long string goes in whole (NULs too), as 5.1.
        if (precision < 0 && s.length >= 100) {
          out += s;
          continue;
        }
        item = formatString(spec, cString(s));
        break;
      }
      default:
        return lauxlib.luaL_error(
          L,
          "invalid option '%%%s' to 'format'",
          at(p) === 0 ? new Uint8Array(0) : Uint8Array.of(at(p)),
        );
    }
    out += cString(item);
  }
  lua.lua_pushstring(L, toLua(out));
  return 1;
}

/** 5.1's `string.rep`: no separator, and a count cut as C's int cast. */
function rep51(L: LuaState): number {
  const s = lauxlib.luaL_checklstring(L, 1);
  const n = checkint(L, 2);
  if (n <= 0 || s.length === 0) {
    lua.lua_pushstring(L, new Uint8Array(0));
    return 1;
  }
  // Past the engine's sizes this throws, which the script sees as "not enough memory".
  const out = new Uint8Array(s.length * n);
  out.set(s);
  for (let filled = s.length; filled < out.length; filled *= 2) {
    out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
  }
  lua.lua_pushstring(L, out);
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
 * Lua 5.1 libraries; also the base library's `unpack`, `select`,
 * `tonumber`, `xpcall`, `pairs`, `ipairs`, `collectgarbage` and `gcinfo`
 * as 5.1's, and removes `rawlen` and the file functions. Run once per state, after cjson and the others
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
  for (const [name, f] of Object.entries({ ...BASE, ...gcFunctions() })) {
    lua.lua_pushjsfunction(L, f);
    lua.lua_setglobal(L, name);
  }
  lua.lua_pushjsfunction(L, tostring51);
  lua.lua_setglobal(L, "tostring");
  lua.lua_pushjsfunction(L, pairsNext);
  lua.lua_pushjsclosure(L, pairs51, 1);
  lua.lua_setglobal(L, "pairs");
  lua.lua_pushjsfunction(L, ipairsaux);
  lua.lua_pushjsclosure(L, ipairs51, 1);
  lua.lua_setglobal(L, "ipairs");
  for (const [lib, names] of Object.entries(REMOVED)) {
    lua.lua_getglobal(L, lib);
    for (const name of names) {
      lua.lua_pushnil(L);
      lua.lua_setfield(L, -2, name);
    }
    lua.lua_pop(L, 1);
  }
  lua.lua_getglobal(L, "string");
  setFunction(L, "find", find51);
  setFunction(L, "match", match51);
  setFunction(L, "gmatch", gmatch51);
  setFunction(L, "gsub", gsub51);
  lua.lua_getfield(L, -1, "gmatch");
  lua.lua_setfield(L, -2, "gfind");
  setFunction(L, "char", char51);
  setFunction(L, "rep", rep51);
  setFunction(L, "format", format51);
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
  for (const name of ["create", "status"]) {
    lua.lua_getfield(L, -1, name);
    lua.lua_pushjsclosure(L, coroutineCheck(name === "create"), 1);
    lua.lua_setfield(L, -2, name);
  }
  lua.lua_pop(L, 1);
  openCallbacks51(L);
}
