/**
 * Makes fengari behave as Redis's Lua 5.1 below the API, by replacing
 * functions of its internal modules (fengari's modules call each other
 * through their module objects, so a replacement there reaches every
 * caller): numbers, loading (source only, never bytecode), the wording of
 * syntax errors, no `_ENV`, Redis's read-only tables ({@link useLua51},
 * {@link setReadonly}) and JS exceptions as Lua errors; and the base
 * library with Lua 5.1's `load`, `loadstring` and `setmetatable`
 * ({@link openBase51}).
 *
 * @module
 */

import { lauxlib, lua, lualib, type LuaState, type LuaString, toLua } from "./_fengari.ts";
import {
  type Dyndata,
  ldebug,
  ldo,
  lfunc,
  llex,
  lobject,
  lparser,
  lstring,
  ltable,
  type LuaThread,
  lvm,
  lzio,
  type MBuffer,
  type Table,
  type TValue,
  type Zio,
} from "./vendor/fengari.js";
import { formatG } from "../../core/number.ts";

/** A hex integer numeral, as the lexer and `tonumber` accept it. */
const HEX = /^\s*([-+]?)0[xX]([0-9a-fA-F]+)\s*$/;

/**
 * Makes fengari's numbers behave as Lua 5.1's, where all are doubles.
 * fengari's modules call these conversions through the module object, so
 * replacing them there reaches the lexer, `tonumber`, `tostring`, string
 * coercion and concatenation.
 *
 * - `luaO_str2num`: every numeral is a float (fengari's integers are
 *   32-bit and wrap: `2147483647 + 1` would be negative), a hex one read
 *   in full (`0x100000000`, which BullMQ's priorities use, wrapped to 0);
 *   strings may spell infinities and NaNs as C's strtod reads them.
 * - `luaO_tostring`: floats print as C's `%.14g` (fengari prints `1e15`
 *   as `1000000000000000`; Lua 5.1 prints `1e+15`).
 */
function luaNumbers(): void {
  const str2num = lobject.luaO_str2num;
  lobject.luaO_str2num = (s, o) => {
    const n = str2num(s, o);
    if (n === 0) return strtodWords(s, o);
    if (o.ttisinteger()) {
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
    o.setsvalue(lstring.luaS_bless(L, toLua(formatG14(o.value))));
  };
  const pushvfstring = lobject.luaO_pushvfstring;
  lobject.luaO_pushvfstring = (L, fmt, argp) => {
    if (fmt.length === 2 && fmt[0] === 37 && fmt[1] === 102) { // "%f"
      return pushvfstring(L, PERCENT_S, [toLua(formatG14(Number(argp[0])))]);
    }
    // luaL_typeerror's words: 5.1 calls a light userdata (cjson.null) a userdata.
    const got = argp[1];
    if (got instanceof Uint8Array && sameBytes(fmt, EXPECTED_GOT) && sameBytes(got, LIGHT)) {
      return pushvfstring(L, fmt, [argp[0], USERDATA]);
    }
    // luaG_typeerror's words: 5.1 names the variable first ("attempt to
    // index local 'x' (a nil value)"), also where no error handler rewords
    // the message (a pcall's), and knows no constants.
    const info = argp[2];
    if (info instanceof Uint8Array && info.length > 4 && sameBytes(fmt, TYPE_ERROR)) {
      if (sameBytes(info.subarray(0, CONSTANT.length), CONSTANT)) {
        return pushvfstring(L, fmt, [argp[0], argp[1], EMPTY]);
      }
      return pushvfstring(L, TYPE_ERROR_51, [argp[0], info.subarray(2, info.length - 1), argp[1]]);
    }
    return pushvfstring(L, fmt, argp);
  };
  // The API's integers (what library functions take for counts and
  // positions) are C's cast of the number, as 5.1's lua_tointeger: cut
  // toward zero, INT64_MIN out of range; 5.3 refuses any fraction ("number
  // has no integer representation"). The VM's own conversions (table keys,
  // loops) do not come through the module object and keep theirs.
  lvm.tointeger = (o) => {
    if (o.ttisinteger()) return o.value;
    const n = lvm.tonumber(o);
    if (n === false) return false;
    return n > -9223372036854775808 && n < 9223372036854775808 ? Math.trunc(n) : -(2 ** 63);
  };
}

/** luaG_typeerror's format (the variable, if known: " (local 'x')"), and 5.1's. */
const TYPE_ERROR = toLua("attempt to %s a %s value%s");
const TYPE_ERROR_51 = toLua("attempt to %s %s (a %s value)");
const CONSTANT = toLua(" (constant ");
const EMPTY = new Uint8Array(0);

/** luaL_typeerror's format, and the type name fengari gives there and 5.1's. */
const EXPECTED_GOT = toLua("%s expected, got %s");
const USERDATA = toLua("userdata");
const LIGHT = toLua("light userdata");

/** strtod's words for infinities and NaNs, with C's spaces around. */
const STRTOD_WORDS = /^[\t-\r ]*([-+]?)(?:(inf(?:inity)?)|nan(?:\([0-9A-Za-z_]*\))?)[\t-\r ]*$/i;

/**
 * Lua 5.1 reads numbers with C's strtod, which takes "inf", "infinity"
 * and "nan" (5.3 refuses them): `tonumber('inf')`, `'nan' + 0`. Sets `o`
 * and returns luaO_str2num's size, or 0.
 */
function strtodWords(s: LuaString, o: TValue): number {
  if (s.length > 64) return 0;
  const m = STRTOD_WORDS.exec(String.fromCharCode(...s));
  if (m === null) return 0;
  const neg = m[1] === "-";
  if (m[2] !== undefined) o.setfltvalue(neg ? -Infinity : Infinity);
  else {
    // glibc keeps the sign of "-nan"; JS's NaN literal may carry either.
    f64Bits[1] = neg ? 0xfff80000 : 0x7ff80000;
    f64Bits[0] = 0;
    o.setfltvalue(f64[0]!);
  }
  return s.length + 1;
}

/** "%s" as a Lua string. */
const PERCENT_S = new Uint8Array([37, 115]);

const f64 = new Float64Array(1);
const f64Bits = new Uint32Array(f64.buffer);

/**
 * C's `%.14g`, as Lua 5.1 formats numbers (glibc spells NaN with its
 * sign: 0/0 is `-nan`).
 */
function formatG14(x: number): string {
  return formatG(x, 14);
}

/** What fengari's parser needs (its SParser, without the mode). */
interface Parse {
  z: Zio;
  name: LuaString;
  buff: MBuffer;
  dyd: Dyndata;
}

/**
 * Every chunk is parsed as source, as in Redis, whose Lua never loads
 * precompiled chunks: crafted bytecode escapes any sandbox. A binary chunk
 * is then a syntax error at its first byte (ESC), whatever the caller
 * (EVAL, SCRIPT LOAD, FUNCTION LOAD, `load`, `loadstring`) and whatever
 * load mode it asks for. lua_load reaches the parser through the module
 * object, so replacing it there covers every path.
 */
function sourceChunksOnly(): void {
  const parse = (L: LuaThread, p: Parse): void => {
    lfunc.luaF_initupvals(L, lparser.luaY_parser(L, p.z, p.buff, p.dyd, p.name, p.z.zgetc()));
  };
  ldo.luaD_protectedparser = (L, z, name) => {
    const p: Parse = { z, name, buff: new lzio.MBuffer(), dyd: new lparser.Dyndata() };
    L.nny++; // no yielding while parsing, as fengari's own
    const status = ldo.luaD_pcall(L, parse, p, L.top, L.errfunc);
    L.nny--;
    return status;
  };
}

const TOKEN_CHAR = toLua("'%c'");
const TOKEN_CNTRL = toLua("'char(%d)'");
const TOKEN_QUOTED = toLua("'%s'");
const NEAR = toLua("%s near %s");
const NEAR_QUOTED = toLua("%s near '%s'");
const EXPECTED = toLua("%s expected");
const EXPECTED_QUOTED = toLua("'%s' expected");
const EOF = toLua("<eof>");
const AT_LINE = toLua("%s:%d: %s");
const QUOTE = 39;

/**
 * Syntax errors as Lua 5.1 words them. The lexer and parser format them
 * through the lobject and ldebug module objects (runtime errors do not).
 *
 * - A stray control character is `'char(27)'` (5.3: `'<\27>'`), any other
 *   byte is quoted as it is (5.3: `'<\128>'`).
 * - The end of the chunk is quoted, `near '<eof>'` and `'<eof>' expected`.
 * - Chunk names are cut as 5.1 cuts them ({@link chunkid51}), with its
 *   larger size for syntax errors (80, where 5.3 uses 60 for all).
 */
function syntaxErrors51(): void {
  const pushfstring = lobject.luaO_pushfstring;
  lobject.luaO_pushfstring = (L, fmt, ...argp) => {
    if (sameBytes(fmt, TOKEN_CHAR)) {
      const c = Number(argp[0]);
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
  ldebug.luaG_addinfo = (L, msg, src, line) =>
    lobject.luaO_pushfstring(L, AT_LINE, src ? chunkid51(src.getstr(), 80) : toLua("?"), line, msg);
}

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
    return name.length > max ? concatBytes(toLua("..."), name.subarray(name.length - max)) : name;
  }
  let len = src.findIndex((c) => c === 10 || c === 13);
  if (len < 0) len = src.length;
  const max = size - 17; // sizeof(" [string \"...\"] ")
  if (len > max) len = max;
  return len < src.length
    ? concatBytes(toLua('[string "'), src.subarray(0, len), toLua('..."]'))
    : concatBytes(toLua('[string "'), src, toLua('"]'));
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
export function openBase51(L: LuaState): number {
  const n = lualib.luaopen_base(L);
  lua.lua_pushjsfunction(L, load51);
  lua.lua_setfield(L, -2, "load");
  lua.lua_pushjsfunction(L, loadstring51);
  lua.lua_setfield(L, -2, "loadstring");
  lua.lua_pushjsfunction(L, setmetatable51);
  lua.lua_setfield(L, -2, "setmetatable");
  lua.lua_atnativeerror(L, nativeError);
  return n;
}

/**
 * Lua 5.1's `setmetatable` with Redis's check: a read-only table's
 * metatable cannot change (no position in the message: Redis raises it
 * from the C API).
 */
function setmetatable51(L: LuaState): number {
  const t = lua.lua_type(L, 2);
  lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
  lauxlib.luaL_argcheck(L, t === lua.LUA_TNIL || t === lua.LUA_TTABLE, 2, "nil or table expected");
  if (lauxlib.luaL_getmetafield(L, 1, "__metatable") !== lua.LUA_TNIL) {
    lauxlib.luaL_error(L, "cannot change a protected metatable");
  }
  if ((lua.lua_topointer(L, 1) as Table).readonly === true) {
    lua.lua_pushstring(L, READONLY);
    lua.lua_error(L);
  }
  lua.lua_settop(L, 2);
  lua.lua_setmetatable(L, 1);
  return 1;
}

/**
 * A JS exception inside a script (a deep recursion through JS functions,
 * an allocation too large for the engine, or a defect) becomes a Lua
 * error with Lua's words, never JS's: a script can catch it with `pcall`,
 * and its text is no JS message.
 */
function nativeError(L: LuaState): number {
  const e = lua.lua_touserdata(L, 1);
  const stack = e instanceof RangeError && /call stack/i.test(e.message);
  lua.lua_pushstring(
    L,
    stack ? "stack overflow" : e instanceof RangeError ? "not enough memory" : "internal error",
  );
  return 1;
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

/** Redis's message for a write to a read-only table. */
const READONLY = toLua("Attempt to modify a readonly table");

/**
 * Redis's read-only tables (its Lua's `lua_enablereadonlytable`): every
 * store into a marked table raises "Attempt to modify a readonly table",
 * with the script's position when Lua code stores (assignments, a
 * `__newindex` chain reaching the table) and without it from library
 * functions (`rawset`, `table.insert`): the same paths and words as Redis.
 * All of them end in ltable's luaH_setfrom, called through the module
 * object; the host writes past the mark with {@link hostRawset}. Reads
 * are untouched: a read-only table is an ordinary table.
 */
function readonlyTables(): void {
  const setfrom = ltable.luaH_setfrom;
  ltable.luaH_setfrom = (L, t, key, value) => {
    if (t.readonly === true) ldebug.luaG_runerror(L, READONLY);
    setfrom(L, t, key, value);
  };
}

/** Runtime errors fengari words its own way, and Lua 5.1's words. */
const RUNTIME_WORDS: readonly [LuaString, LuaString][] = [
  ["JS stack overflow", "C stack overflow"],
  ["'__index' chain too long; possible loop", "loop in gettable"],
  ["'__newindex' chain too long; possible loop", "loop in settable"],
].map(([a, b]) => [toLua(a!), toLua(b!)]);

/**
 * Lua 5.1's words for the runtime errors fengari raises in its own (a
 * nesting too deep for the C stack, an `__index` or `__newindex` loop):
 * they come through ldebug's luaG_runerror, by the module object.
 */
function runtimeWords51(): void {
  const runerror = ldebug.luaG_runerror;
  ldebug.luaG_runerror = (L, fmt, ...argp) => {
    for (const [ours, theirs] of RUNTIME_WORDS) {
      if (sameBytes(fmt, ours)) return runerror(L, theirs);
    }
    return runerror(L, fmt, ...argp);
  };
}

/**
 * Marks the table at `idx` read-only, or writable again.
 *
 * @example
 * ```ts ignore
 * setReadonly(L, -1, true); // as Redis's lua_enablereadonlytable(L, -1, 1)
 * ```
 */
export function setReadonly(L: LuaState, idx: number, on: boolean): void {
  (lua.lua_topointer(L, idx) as Table).readonly = on;
}

/** Whether the table at `idx` is read-only. */
export function isReadonly(L: LuaState, idx: number): boolean {
  return (lua.lua_topointer(L, idx) as Table).readonly === true;
}

/**
 * `lua_rawset` by the host into a table that may be read-only (KEYS and
 * ARGV into the globals, as Redis lifts the protection around them).
 */
export function hostRawset(L: LuaState, idx: number): void {
  const t = lua.lua_topointer(L, idx) as Table;
  const ro = t.readonly === true;
  t.readonly = false;
  lua.lua_rawset(L, idx);
  if (ro) t.readonly = true;
}

/**
 * Lua 5.1 walks a table's array part in index order: `pairs({10, 20})`
 * gives key 1, then 2. fengari lists keys in the order they were added,
 * and a table constructor stores its items last to first (OP_SETLIST,
 * through ltable's luaH_setint), so they came out backwards. A new integer
 * key now goes just before the key one above it when that one is there,
 * else last as before: a constructor's items end in index order, and
 * tables filled upwards are unchanged.
 */
function arrayOrder(): void {
  const setint = ltable.luaH_setint;
  ltable.luaH_setint = (t, key, value) => {
    const above = value.ttisnil() || t.strong.has(key) ? undefined : t.strong.get(key + 1);
    setint(t, key, value);
    if (above === undefined) return;
    // The new entry is last: move it before `above`.
    const e = t.l!;
    t.l = e.p;
    t.l!.n = undefined;
    e.p = above.p;
    e.n = above;
    if (above.p === undefined) t.f = e;
    else above.p.n = e;
    above.p = e;
  };
}

/**
 * Lua 5.1 has no `_ENV`: a script's `_ENV` is an ordinary global name
 * (missing, so it raises), not its environment. The parser names the
 * environment upvalue after llex's constant, and the debug messages
 * ("global 'x'") compare with the same bytes: renamed in place to a name
 * no identifier can spell, both still agree.
 */
function noEnv(): void {
  llex.LUA_ENV.set([40, 69, 78, 86]); // "(ENV"
}

/** Marks fengari's modules as changed (shared by any copy of this module). */
const PATCHED = Symbol.for("respite.lua51");

/**
 * Applies the changes to fengari, once per process: its modules are shared
 * by every server (and every Lua state) in it. The scripting VM calls it
 * before it creates a state.
 */
export function useLua51(): void {
  if (PATCHED in lobject) return;
  Object.defineProperty(lobject, PATCHED, { value: true });
  luaNumbers();
  sourceChunksOnly();
  syntaxErrors51();
  readonlyTables();
  runtimeWords51();
  arrayOrder();
  noEnv();
}
