/**
 * A typed facade over npm `fengari` (Lua 5.3 in JavaScript): only the
 * functions the scripting plugin uses. fengari has no type declarations, so
 * this is the one file that sees it untyped.
 *
 * fengari's strings are `Uint8Array`s; Respite's are byte strings (one char
 * per byte). {@link toLua} and {@link fromLua} convert byte for byte (never
 * `to_luastring`, which UTF-8-encodes).
 *
 * @module
 */

// Must load before fengari: it reads FENGARICONF once, when it loads.
import "./scripting_luaconf.ts";
import fengariModule from "fengari";
import lobjectModule from "fengari/src/lobject.js";
import lstringModule from "fengari/src/lstring.js";
import type { Bytes } from "../core/types.ts";

/** An opaque Lua state (fengari's `lua_State`). */
export type LuaState = { readonly __luaState: unique symbol };

/** A function Lua can call: returns how many results it pushed. */
export type LuaJsFunction = (L: LuaState) => number;

/** A Lua string as fengari holds it. */
export type LuaString = Uint8Array;

/** Field names and literals: ASCII JS strings or byte arrays. */
type Str = string | LuaString;

/** The part of fengari's `lua` namespace used here. */
export interface LuaApi {
  LUA_OK: number;
  LUA_MULTRET: number;
  LUA_REGISTRYINDEX: number;
  LUA_RIDX_GLOBALS: number;
  LUA_TNIL: number;
  LUA_TBOOLEAN: number;
  LUA_TNUMBER: number;
  LUA_TSTRING: number;
  LUA_TTABLE: number;
  LUA_TFUNCTION: number;
  lua_checkstack(L: LuaState, n: number): boolean;
  lua_concat(L: LuaState, n: number): void;
  lua_Debug: new () => LuaDebug;
  lua_getinfo(L: LuaState, what: Str, ar: LuaDebug): number;
  lua_getstack(L: LuaState, level: number, ar: LuaDebug): number;
  lua_pushjsclosure(L: LuaState, f: LuaJsFunction, n: number): void;
  lua_pushlightuserdata(L: LuaState, p: unknown): void;
  lua_upvalueindex(i: number): number;
  lua_createtable(L: LuaState, narr: number, nrec: number): void;
  lua_error(L: LuaState): never;
  lua_getfield(L: LuaState, idx: number, k: Str): number;
  lua_getglobal(L: LuaState, name: Str): number;
  lua_gettop(L: LuaState): number;
  lua_insert(L: LuaState, idx: number): void;
  lua_isinteger(L: LuaState, idx: number): boolean;
  lua_isstring(L: LuaState, idx: number): boolean;
  lua_istable(L: LuaState, idx: number): boolean;
  lua_next(L: LuaState, idx: number): number;
  lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
  lua_pop(L: LuaState, n: number): void;
  lua_pushboolean(L: LuaState, b: boolean): void;
  lua_pushinteger(L: LuaState, n: number): void;
  lua_pushjsfunction(L: LuaState, f: LuaJsFunction): void;
  lua_pushnil(L: LuaState): void;
  lua_pushnumber(L: LuaState, n: number): void;
  lua_pushstring(L: LuaState, s: Str): void;
  lua_pushvalue(L: LuaState, idx: number): void;
  lua_rawget(L: LuaState, idx: number): number;
  lua_rawgeti(L: LuaState, idx: number, n: number): number;
  lua_rawset(L: LuaState, idx: number): void;
  lua_rawseti(L: LuaState, idx: number, n: number): void;
  lua_remove(L: LuaState, idx: number): void;
  lua_replace(L: LuaState, idx: number): void;
  lua_setfield(L: LuaState, idx: number, k: Str): void;
  lua_setglobal(L: LuaState, name: Str): void;
  lua_settop(L: LuaState, idx: number): void;
  lua_toboolean(L: LuaState, idx: number): boolean;
  lua_tolstring(L: LuaState, idx: number): LuaString | null;
  lua_tonumber(L: LuaState, idx: number): number;
  lua_topointer(L: LuaState, idx: number): unknown;
  lua_type(L: LuaState, idx: number): number;
}

/** The part of fengari's `lauxlib` namespace used here. */
export interface LauxApi {
  luaL_newstate(): LuaState;
  luaL_loadbuffer(L: LuaState, buf: LuaString, name: Str | null, chunk: Str): number;
  luaL_requiref(L: LuaState, name: Str, open: LuaJsFunction, global: boolean): void;
  luaL_checkany(L: LuaState, arg: number): void;
  luaL_checkinteger(L: LuaState, arg: number): number;
  luaL_checknumber(L: LuaState, arg: number): number;
  luaL_error(L: LuaState, fmt: Str): never;
  luaL_argerror(L: LuaState, arg: number, msg: Str): never;
  luaL_where(L: LuaState, level: number): void;
  luaL_ref(L: LuaState, t: number): number;
  luaL_unref(L: LuaState, t: number, ref: number): void;
}

/** fengari's activation record (what `lua_getinfo` fills). */
export interface LuaDebug {
  name: LuaString | null | undefined;
}

/** The library openers used here. */
export interface LualibApi {
  luaopen_base: LuaJsFunction;
  luaopen_table: LuaJsFunction;
  luaopen_string: LuaJsFunction;
  luaopen_math: LuaJsFunction;
  luaopen_coroutine: LuaJsFunction;
  luaopen_debug: LuaJsFunction;
}

interface Fengari {
  lua: LuaApi;
  lauxlib: LauxApi;
  lualib: LualibApi;
}

const fengari = fengariModule as unknown as Fengari;

/** fengari's core Lua API. */
export const lua: LuaApi = fengari.lua;
/** fengari's auxiliary library. */
export const lauxlib: LauxApi = fengari.lauxlib;
/** fengari's standard library openers. */
export const lualib: LualibApi = fengari.lualib;

/** A byte string as a Lua string, byte for byte. */
export function toLua(s: Bytes): LuaString {
  const n = s.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A Lua string as a byte string, byte for byte. */
export function fromLua(u: LuaString): Bytes {
  const n = u.length;
  if (n < 64) {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(u[i]!);
    return s;
  }
  let s = "";
  for (let i = 0; i < n; i += 8192) {
    s += String.fromCharCode.apply(null, Array.from(u.subarray(i, i + 8192)));
  }
  return s;
}

/** A Lua value slot (fengari's TValue), as luaO_str2num fills it. */
interface TValue {
  ttisinteger(): boolean;
  setfltvalue(x: number): void;
  setsvalue(ts: unknown): void;
  value: number;
}

/** fengari's lstring module (interning a Lua string). */
interface LString {
  luaS_bless(L: unknown, b: Uint8Array): unknown;
}

/** fengari's lobject module (number <-> string conversions). */
interface LObject {
  luaO_str2num(s: Uint8Array, o: TValue): number;
  luaO_tostring(L: unknown, o: TValue): void;
  luaO_pushvfstring(L: unknown, fmt: Uint8Array, argp: unknown[]): unknown;
}

/** A hex integer numeral, as the lexer and `tonumber` accept it. */
const HEX = /^\s*([-+]?)0[xX]([0-9a-fA-F]+)\s*$/;

/**
 * Makes fengari's numbers behave as Lua 5.1's, where all are doubles.
 * fengari's modules call these conversions through the module object, so
 * replacing them there reaches the lexer, `tonumber`, `tostring`, string
 * coercion and concatenation. Idempotent.
 *
 * - `luaO_str2num`: every numeral is a float (fengari's integers are
 *   32-bit and wrap: `2147483647 + 1` would be negative), a hex one read
 *   in full (`0x100000000`, which BullMQ's priorities use, wrapped to 0).
 * - `luaO_tostring`: floats print as C's `%.14g` (fengari prints `1e15`
 *   as `1000000000000000`; Lua 5.1 prints `1e+15`).
 */
function luaNumbers(): void {
  const lobject = lobjectModule as unknown as LObject & { __respiteNumbers?: boolean };
  if (lobject.__respiteNumbers) return;
  lobject.__respiteNumbers = true;
  const str2num = lobject.luaO_str2num;
  lobject.luaO_str2num = (s, o) => {
    const n = str2num(s, o);
    if (n !== 0 && o.ttisinteger()) {
      const hex = HEX.exec(String.fromCharCode(...s.subarray(0, Math.min(s.length, 64))));
      o.setfltvalue(hex ? (hex[1] === "-" ? -1 : 1) * parseInt(hex[2]!, 16) : o.value);
    }
    return n;
  };
  // Concatenation and coercion format through luaO_tostring; tostring()
  // through luaO_pushvfstring("%f", n).
  const tostring = lobject.luaO_tostring;
  lobject.luaO_tostring = (L, o) => {
    if (o.ttisinteger()) return tostring(L, o);
    o.setsvalue((lstringModule as unknown as LString).luaS_bless(L, ascii(formatG14(o.value))));
  };
  const pushvfstring = lobject.luaO_pushvfstring;
  lobject.luaO_pushvfstring = (L, fmt, argp) =>
    fmt.length === 2 && fmt[0] === 37 && fmt[1] === 102 // "%f"
      ? pushvfstring(L, PERCENT_S, [ascii(formatG14(argp[0] as number))])
      : pushvfstring(L, fmt, argp);
}

/** "%s" as a Lua string. */
const PERCENT_S = new Uint8Array([37, 115]);

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}
luaNumbers();

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/**
 * C's `%.14g`, as Lua 5.1 formats numbers (glibc spells NaN with its
 * sign: 0/0 is `-nan`).
 */
export function formatG14(x: number): string {
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (Number.isNaN(x)) {
    f64[0] = x;
    return f64Bytes[7]! & 0x80 ? "-nan" : "nan";
  }
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  let e = x.toExponential(13);
  // toExponential rounds an exact tie away from zero; printf to even.
  const long = /^(-?\d\.\d{13})(\d+)(e.*)$/.exec(x.toExponential(40));
  if (long && /^50*$/.test(long[2]!) && Number(long[1]!.at(-1)) % 2 === 0) {
    e = long[1]! + long[3]!;
  }
  const at = e.indexOf("e");
  const exp = Number(e.slice(at + 1));
  const neg = x < 0 ? "-" : "";
  const digits = e.slice(neg.length, at).replace(".", "");
  if (exp < -4 || exp >= 14) {
    const frac = digits.slice(1).replace(/0+$/, "");
    const ae = Math.abs(exp);
    return `${neg}${digits[0]}${frac ? "." + frac : ""}e${exp < 0 ? "-" : "+"}${
      ae < 10 ? "0" : ""
    }${ae}`;
  }
  const int = exp < 0 ? "0" : digits.slice(0, exp + 1);
  const frac = (exp < 0 ? "0".repeat(-exp - 1) + digits : digits.slice(exp + 1)).replace(/0+$/, "");
  return `${neg}${int}${frac ? "." + frac : ""}`;
}
