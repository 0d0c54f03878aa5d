/**
 * A typed facade over npm `fengari` (Lua 5.3 in JavaScript): only the
 * functions the scripting plugin uses. fengari has no type declarations, so
 * this is the one file that sees it untyped.
 *
 * fengari's strings are `Uint8Array`s; Respite's are byte strings (one char
 * per byte). {@link toLua} and {@link fromLua} convert byte for byte (never
 * `to_luastring`, which UTF-8-encodes).
 *
 * Loading it also patches fengari where Redis's Lua 5.1 differs from 5.3
 * below the API: numbers, loading (source only, never bytecode) and the
 * wording of syntax errors; and the base library it exports has 5.1's
 * `load` and `loadstring`.
 *
 * @module
 */

// Must load before fengari: it reads FENGARICONF once, when it loads.
import "./_luaconf.ts";
import fengariModule from "fengari";
import ldebugModule from "fengari/src/ldebug.js";
import ldoModule from "fengari/src/ldo.js";
import lfuncModule from "fengari/src/lfunc.js";
import lobjectModule from "fengari/src/lobject.js";
import lparserModule from "fengari/src/lparser.js";
import lstringModule from "fengari/src/lstring.js";
import lzioModule from "fengari/src/lzio.js";
import type { Bytes } from "../../core/types.ts";

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
  lua_call(L: LuaState, nargs: number, nresults: number): void;
  lua_isnil(L: LuaState, idx: number): boolean;
  lua_load(
    L: LuaState,
    reader: (L: LuaState, data: unknown) => LuaString | null,
    data: unknown,
    chunkname: Str,
    mode: Str | null,
  ): number;
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
  luaL_checklstring(L: LuaState, arg: number): LuaString;
  luaL_checkstack(L: LuaState, n: number, msg: Str): void;
  luaL_checktype(L: LuaState, arg: number, t: number): void;
  luaL_optstring(L: LuaState, arg: number, def: Str): LuaString;
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
/**
 * fengari's standard library openers; the base library's `load` and
 * `loadstring` are Lua 5.1's ({@link openBase51}).
 */
export const lualib: LualibApi = { ...fengari.lualib, luaopen_base: openBase51 };

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

/** fengari's ldo module (protected calls, the parser's entry point). */
interface LDo {
  luaD_protectedparser(L: LuaThread, z: Zio, name: LuaString, mode: unknown): number;
  luaD_pcall(
    L: LuaThread,
    f: (L: LuaThread, p: Parse) => void,
    p: Parse,
    oldtop: number,
    ef: number,
  ): number;
}

/** The fields of fengari's `lua_State` the parser's entry point uses. */
interface LuaThread {
  top: number;
  errfunc: number;
  nny: number;
}

/** fengari's chunk reader (ZIO). */
interface Zio {
  zgetc(): number;
}

/** What fengari's parser needs (its SParser, without the mode). */
interface Parse {
  z: Zio;
  name: LuaString;
  buff: unknown;
  dyd: unknown;
}

interface LParser {
  Dyndata: new () => unknown;
  luaY_parser(
    L: LuaThread,
    z: Zio,
    buff: unknown,
    dyd: unknown,
    name: LuaString,
    firstchar: number,
  ): unknown;
}

/**
 * Every chunk is parsed as source, as in Redis, whose Lua never loads
 * precompiled chunks: crafted bytecode escapes any sandbox. A binary chunk
 * is then a syntax error at its first byte (ESC), whatever the caller
 * (EVAL, SCRIPT LOAD, FUNCTION LOAD, `load`, `loadstring`) and whatever
 * load mode it asks for. lua_load reaches the parser through the module
 * object, so replacing it there covers every path. Idempotent.
 */
function sourceChunksOnly(): void {
  const ldo = ldoModule as unknown as LDo & { __respiteSourceOnly?: boolean };
  if (ldo.__respiteSourceOnly) return;
  ldo.__respiteSourceOnly = true;
  const lparser = lparserModule as unknown as LParser;
  const MBuffer = (lzioModule as unknown as { MBuffer: new () => unknown }).MBuffer;
  const initUpvals = (lfuncModule as unknown as {
    luaF_initupvals(L: LuaThread, cl: unknown): void;
  }).luaF_initupvals;
  const parse = (L: LuaThread, p: Parse): void => {
    initUpvals(L, lparser.luaY_parser(L, p.z, p.buff, p.dyd, p.name, p.z.zgetc()));
  };
  ldo.luaD_protectedparser = (L, z, name) => {
    const p: Parse = { z, name, buff: new MBuffer(), dyd: new lparser.Dyndata() };
    L.nny++; // no yielding while parsing, as fengari's own
    const status = ldo.luaD_pcall(L, parse, p, L.top, L.errfunc);
    L.nny--;
    return status;
  };
}
sourceChunksOnly();

const TOKEN_CHAR = ascii("'%c'");
const TOKEN_CNTRL = ascii("'char(%d)'");
const TOKEN_QUOTED = ascii("'%s'");
const NEAR = ascii("%s near %s");
const NEAR_QUOTED = ascii("%s near '%s'");
const EXPECTED = ascii("%s expected");
const EXPECTED_QUOTED = ascii("'%s' expected");
const EOF = ascii("<eof>");
const AT_LINE = ascii("%s:%d: %s");
const QUOTE = 39;

/** fengari's lobject.luaO_pushfstring, as the lexer and parser call it. */
type PushFString = (L: unknown, fmt: Uint8Array, ...argp: unknown[]) => unknown;

/** A chunk's source as fengari keeps it. */
interface TString {
  getstr(): LuaString;
}

/**
 * Syntax errors as Lua 5.1 words them. The lexer and parser format them
 * through the lobject and ldebug module objects (runtime errors do not).
 * Idempotent.
 *
 * - A stray control character is `'char(27)'` (5.3: `'<\27>'`), any other
 *   byte is quoted as it is (5.3: `'<\128>'`).
 * - The end of the chunk is quoted, `near '<eof>'` and `'<eof>' expected`.
 * - Chunk names are cut as 5.1 cuts them ({@link chunkid51}), with its
 *   larger size for syntax errors (80, where 5.3 uses 60 for all).
 */
function syntaxErrors51(): void {
  const lobject = lobjectModule as unknown as {
    luaO_pushfstring: PushFString;
    luaO_chunkid(source: LuaString, bufflen: number): LuaString;
    __respiteSyntax?: boolean;
  };
  if (lobject.__respiteSyntax) return;
  lobject.__respiteSyntax = true;
  const pushfstring = lobject.luaO_pushfstring;
  lobject.luaO_pushfstring = (L, fmt, ...argp) => {
    if (sameBytes(fmt, TOKEN_CHAR)) {
      const c = argp[0] as number;
      return c < 32 || c === 127
        ? pushfstring(L, TOKEN_CNTRL, c)
        : pushfstring(L, TOKEN_QUOTED, Uint8Array.of(c));
    }
    if (sameBytes(fmt, NEAR) && argp[1] instanceof Uint8Array && sameBytes(argp[1], EOF)) {
      return pushfstring(L, NEAR_QUOTED, argp[0], argp[1]);
    }
    if (sameBytes(fmt, EXPECTED) && argp[0] instanceof Uint8Array && argp[0][0] !== QUOTE) {
      return pushfstring(L, EXPECTED_QUOTED, argp[0]);
    }
    return pushfstring(L, fmt, ...argp);
  };
  // fengari's bufflen leaves out C's terminating NUL.
  lobject.luaO_chunkid = (source, bufflen) => chunkid51(source, bufflen + 1);
  const ldebug = ldebugModule as unknown as {
    luaG_addinfo(L: unknown, msg: unknown, src: TString | null, line: number): unknown;
  };
  ldebug.luaG_addinfo = (L, msg, src, line) =>
    lobject.luaO_pushfstring(L, AT_LINE, src ? chunkid51(src.getstr(), 80) : ascii("?"), line, msg);
}
syntaxErrors51();

/**
 * Lua 5.1's luaO_chunkid: how a chunk name is shown in a message given a
 * C buffer of `size` bytes (its NUL included). `=name` is shown as is,
 * `@file` keeps its end, and a source string its first line, in
 * `[string "..."]`.
 */
function chunkid51(source: LuaString, size: number): LuaString {
  const nul = source.indexOf(0);
  const src = nul < 0 ? source : source.subarray(0, nul);
  if (src[0] === 61) return src.subarray(1, size); // '='
  if (src[0] === 64) { // '@'
    const max = size - 8; // sizeof(" '...' ")
    const name = src.subarray(1);
    return name.length > max ? concatBytes(ascii("..."), name.subarray(name.length - max)) : name;
  }
  let len = src.findIndex((c) => c === 10 || c === 13);
  if (len < 0) len = src.length;
  const max = size - 17; // sizeof(" [string \"...\"] ")
  if (len > max) len = max;
  return len < src.length
    ? concatBytes(ascii('[string "'), src.subarray(0, len), ascii('..."]'))
    : concatBytes(ascii('[string "'), src, ascii('"]'));
}

function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The base library with Lua 5.1's `load` (a reader function only, no mode
 * or environment) and `loadstring`, which 5.3 lacks. Scripts must not get
 * 5.3's `load` of a string: Redis's Lua has none.
 */
function openBase51(L: LuaState): number {
  const n = fengari.lualib.luaopen_base(L);
  lua.lua_pushjsfunction(L, load51);
  lua.lua_setfield(L, -2, "load");
  lua.lua_pushjsfunction(L, loadstring51);
  lua.lua_setfield(L, -2, "loadstring");
  return n;
}

/** Lua 5.1's `loadstring(s [, chunkname])`. */
function loadstring51(L: LuaState): number {
  const s = lauxlib.luaL_checklstring(L, 1);
  const name = lauxlib.luaL_optstring(L, 2, s);
  return loaded(L, lauxlib.luaL_loadbuffer(L, s, null, cString(name)));
}

/** Lua 5.1's `load(func [, chunkname])`: the arguments checked in its order. */
function load51(L: LuaState): number {
  const name = lauxlib.luaL_optstring(L, 2, "=(load)");
  lauxlib.luaL_checktype(L, 1, lua.LUA_TFUNCTION);
  lua.lua_settop(L, 3); // the function, the name and a slot for each piece
  return loaded(L, lua.lua_load(L, readPiece, null, cString(name), null));
}

/** `load`'s reader: calls the function for the next piece of the chunk. */
function readPiece(L: LuaState): LuaString | null {
  lauxlib.luaL_checkstack(L, 2, "too many nested functions");
  lua.lua_pushvalue(L, 1);
  lua.lua_call(L, 0, 1);
  if (lua.lua_isnil(L, -1)) {
    lua.lua_pop(L, 1);
    return null;
  }
  if (!lua.lua_isstring(L, -1)) lauxlib.luaL_error(L, "reader function must return a string");
  lua.lua_replace(L, 3); // keeps the piece on the stack while it is read
  return lua.lua_tolstring(L, 3);
}

/** The loaded function, or nil and the error message. */
function loaded(L: LuaState, status: number): number {
  if (status === lua.LUA_OK) return 1;
  lua.lua_pushnil(L);
  lua.lua_insert(L, -2);
  return 2;
}

/** A chunk name as Lua 5.1's C API sees it: up to its first NUL. */
function cString(s: LuaString): LuaString {
  const nul = s.indexOf(0);
  return nul < 0 ? s : s.subarray(0, nul);
}

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
