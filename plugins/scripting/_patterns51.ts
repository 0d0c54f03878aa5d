/**
 * Lua 5.1's pattern matching (lstrlib.c), step for step: `string.find`,
 * `string.match`, `string.gmatch` and `string.gsub` as Redis's scripts
 * run them. Where 5.3's differ: a pattern ends at a NUL (5.1 reads it as a
 * C string), `%g` is no class, a `%` before a non-digit in a replacement
 * string adds that character (5.3 refuses it), a search may start at the
 * end of the subject, and the error messages are 5.1's.
 *
 * @module
 */

import { lauxlib, lua, type LuaJsFunction, type LuaState } from "./_fengari.ts";

const L_ESC = 37; // '%'
const MAXCAPTURES = 32;
const CAP_UNFINISHED = -1;
const CAP_POSITION = -2;
const SPECIALS = new Set([..."^$*+?.([%-"].map((c) => c.charCodeAt(0)));

/** A match in progress (5.1's MatchState); positions index the subject. */
class MatchState {
  level = 0;
  readonly init = new Int32Array(MAXCAPTURES);
  readonly len = new Int32Array(MAXCAPTURES);
  constructor(
    readonly L: LuaState,
    /** The subject. */
    readonly s: Uint8Array,
    /** The pattern, up to its first NUL. */
    readonly p: Uint8Array,
  ) {}
  /** The subject's byte at `i`, C's NUL past its end. */
  sc(i: number): number {
    return i < this.s.length ? this.s[i]! : 0;
  }
  /** The pattern's byte at `i`, C's NUL past its end. */
  pc(i: number): number {
    return i < this.p.length ? this.p[i]! : 0;
  }
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isLower = (c: number) => c >= 97 && c <= 122;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isAlpha = (c: number) => isLower(c) || isUpper(c);
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isCntrl = (c: number) => c < 32 || c === 127;
const isPunct = (c: number) =>
  (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
const isXdigit = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

function matchClass(c: number, cl: number): boolean {
  let res: boolean;
  switch (cl | 0x20) {
    case 97: // a
      res = isAlpha(c);
      break;
    case 99: // c
      res = isCntrl(c);
      break;
    case 100: // d
      res = isDigit(c);
      break;
    case 108: // l
      res = isLower(c);
      break;
    case 112: // p
      res = isPunct(c);
      break;
    case 115: // s
      res = isSpace(c);
      break;
    case 117: // u
      res = isUpper(c);
      break;
    case 119: // w
      res = isAlpha(c) || isDigit(c);
      break;
    case 120: // x
      res = isXdigit(c);
      break;
    case 122: // z
      res = c === 0;
      break;
    default:
      return cl === c;
  }
  return isLower(cl) ? res : !res;
}

function classEnd(ms: MatchState, p: number): number {
  const c = ms.pc(p++);
  if (c === L_ESC) {
    if (ms.pc(p) === 0) lauxlib.luaL_error(ms.L, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (c === 91) { // '['
    if (ms.pc(p) === 94) p++; // '^'
    do {
      if (ms.pc(p) === 0) lauxlib.luaL_error(ms.L, "malformed pattern (missing ']')");
      if (ms.pc(p++) === L_ESC && ms.pc(p) !== 0) p++;
    } while (ms.pc(p) !== 93);
    return p + 1;
  }
  return p;
}

function matchBracketClass(ms: MatchState, c: number, p: number, ec: number): boolean {
  let sig = true;
  if (ms.pc(p + 1) === 94) {
    sig = false;
    p++;
  }
  while (++p < ec) {
    if (ms.pc(p) === L_ESC) {
      p++;
      if (matchClass(c, ms.pc(p))) return sig;
    } else if (ms.pc(p + 1) === 45 && p + 2 < ec) { // '-'
      p += 2;
      if (ms.pc(p - 2) <= c && c <= ms.pc(p)) return sig;
    } else if (ms.pc(p) === c) return sig;
  }
  return !sig;
}

function singleMatch(ms: MatchState, c: number, p: number, ep: number): boolean {
  switch (ms.pc(p)) {
    case 46: // '.'
      return true;
    case L_ESC:
      return matchClass(c, ms.pc(p + 1));
    case 91: // '['
      return matchBracketClass(ms, c, p, ep - 1);
    default:
      return ms.pc(p) === c;
  }
}

function matchBalance(ms: MatchState, s: number, p: number): number {
  if (ms.pc(p) === 0 || ms.pc(p + 1) === 0) lauxlib.luaL_error(ms.L, "unbalanced pattern");
  if (ms.sc(s) !== ms.pc(p)) return -1;
  const b = ms.pc(p), e = ms.pc(p + 1);
  let cont = 1;
  while (++s < ms.s.length) {
    const c = ms.s[s];
    if (c === e) {
      if (--cont === 0) return s + 1;
    } else if (c === b) cont++;
  }
  return -1;
}

function maxExpand(ms: MatchState, s: number, p: number, ep: number): number {
  let i = 0;
  while (s + i < ms.s.length && singleMatch(ms, ms.s[s + i]!, p, ep)) i++;
  while (i >= 0) {
    const res = match(ms, s + i, ep + 1);
    if (res !== -1) return res;
    i--;
  }
  return -1;
}

function minExpand(ms: MatchState, s: number, p: number, ep: number): number {
  for (;;) {
    const res = match(ms, s, ep + 1);
    if (res !== -1) return res;
    if (s < ms.s.length && singleMatch(ms, ms.s[s]!, p, ep)) s++;
    else return -1;
  }
}

function startCapture(ms: MatchState, s: number, p: number, what: number): number {
  const level = ms.level;
  if (level >= MAXCAPTURES) lauxlib.luaL_error(ms.L, "too many captures");
  ms.init[level] = s;
  ms.len[level] = what;
  ms.level = level + 1;
  const res = match(ms, s, p);
  if (res === -1) ms.level--;
  return res;
}

function endCapture(ms: MatchState, s: number, p: number): number {
  let l = ms.level - 1;
  while (l >= 0 && ms.len[l] !== CAP_UNFINISHED) l--;
  if (l < 0) return lauxlib.luaL_error(ms.L, "invalid pattern capture");
  ms.len[l] = s - ms.init[l]!;
  const res = match(ms, s, p);
  if (res === -1) ms.len[l] = CAP_UNFINISHED;
  return res;
}

function matchCapture(ms: MatchState, s: number, c: number): number {
  const l = c - 49; // '1'
  if (l < 0 || l >= ms.level || ms.len[l] === CAP_UNFINISHED) {
    lauxlib.luaL_error(ms.L, "invalid capture index");
  }
  const len = ms.len[l]!, init = ms.init[l]!;
  if (ms.s.length - s >= len) {
    let same = true;
    for (let i = 0; i < len && same; i++) same = ms.s[init + i] === ms.s[s + i];
    if (same) return s + len;
  }
  return -1;
}

/** 5.1's match: where the match of `p` on from `s` ends, or -1. */
function match(ms: MatchState, s: number, p: number): number {
  for (;;) {
    switch (ms.pc(p)) {
      case 40: // '('
        return ms.pc(p + 1) === 41
          ? startCapture(ms, s, p + 2, CAP_POSITION)
          : startCapture(ms, s, p + 1, CAP_UNFINISHED);
      case 41: // ')'
        return endCapture(ms, s, p + 1);
      case L_ESC: {
        const next = ms.pc(p + 1);
        if (next === 98) { // 'b'
          s = matchBalance(ms, s, p + 2);
          if (s === -1) return -1;
          p += 4;
          continue;
        }
        if (next === 102) { // 'f'
          p += 2;
          if (ms.pc(p) !== 91) lauxlib.luaL_error(ms.L, "missing '[' after '%%f' in pattern");
          const ep = classEnd(ms, p);
          const previous = s === 0 ? 0 : ms.s[s - 1]!;
          if (
            matchBracketClass(ms, previous, p, ep - 1) ||
            !matchBracketClass(ms, ms.sc(s), p, ep - 1)
          ) return -1;
          p = ep;
          continue;
        }
        if (isDigit(next)) {
          s = matchCapture(ms, s, next);
          if (s === -1) return -1;
          p += 2;
          continue;
        }
        break; // a pattern item
      }
      case 0:
        return s;
      case 36: // '$'
        if (ms.pc(p + 1) === 0) return s === ms.s.length ? s : -1;
        break;
    }
    const ep = classEnd(ms, p);
    const m = s < ms.s.length && singleMatch(ms, ms.s[s]!, p, ep);
    switch (ms.pc(ep)) {
      case 63: { // '?'
        if (m) {
          const res = match(ms, s + 1, ep + 1);
          if (res !== -1) return res;
        }
        p = ep + 1;
        continue;
      }
      case 42: // '*'
        return maxExpand(ms, s, p, ep);
      case 43: // '+'
        return m ? maxExpand(ms, s + 1, p, ep) : -1;
      case 45: // '-'
        return minExpand(ms, s, p, ep);
      default:
        if (!m) return -1;
        s++;
        p = ep;
    }
  }
}

function pushOneCapture(ms: MatchState, i: number, s: number, e: number): void {
  if (i >= ms.level) {
    if (i === 0) lua.lua_pushstring(ms.L, ms.s.subarray(s, e));
    else lauxlib.luaL_error(ms.L, "invalid capture index");
    return;
  }
  const l = ms.len[i]!;
  if (l === CAP_UNFINISHED) lauxlib.luaL_error(ms.L, "unfinished capture");
  if (l === CAP_POSITION) lua.lua_pushnumber(ms.L, ms.init[i]! + 1);
  else lua.lua_pushstring(ms.L, ms.s.subarray(ms.init[i]!, ms.init[i]! + l));
}

/** Pushes the captures (or the whole match, `s` not -1, when there are none). */
function pushCaptures(ms: MatchState, s: number, e: number): number {
  const n = ms.level === 0 && s !== -1 ? 1 : ms.level;
  lauxlib.luaL_checkstack(ms.L, n, "too many captures");
  for (let i = 0; i < n; i++) pushOneCapture(ms, i, s, e);
  return n;
}

/** A Lua string as C sees it: up to its first NUL. */
function cString(s: Uint8Array): Uint8Array {
  const nul = s.indexOf(0);
  return nul < 0 ? s : s.subarray(0, nul);
}

/** 5.1's luaL_optinteger: a number cut as C's cast (INT64_MIN out of range). */
function optInteger(L: LuaState, arg: number, def: number): number {
  if (lua.lua_isnoneornil(L, arg)) return def;
  const d = lauxlib.luaL_checknumber(L, arg);
  return d > -9223372036854775808 && d < 9223372036854775808 ? Math.trunc(d) : -(2 ** 63);
}

/** A relative position: negative counts back from the end. */
function posrelat(pos: number, len: number): number {
  if (pos < 0) pos += len + 1;
  return pos >= 0 ? pos : 0;
}

/** Where `p` occurs in `s` from `from`, or -1 (lmemfind). */
function memfind(s: Uint8Array, from: number, p: Uint8Array): number {
  if (p.length === 0) return from;
  outer: for (let i = from; i + p.length <= s.length; i++) {
    for (let j = 0; j < p.length; j++) if (s[i + j] !== p[j]) continue outer;
    return i;
  }
  return -1;
}

function findAux(L: LuaState, find: boolean): number {
  const s = lauxlib.luaL_checklstring(L, 1);
  const pat = lauxlib.luaL_checklstring(L, 2);
  let init = posrelat(optInteger(L, 3, 1), s.length) - 1;
  if (init < 0) init = 0;
  else if (init > s.length) init = s.length;
  const p = cString(pat);
  if (find && (lua.lua_toboolean(L, 4) || !p.some((c) => SPECIALS.has(c)))) {
    const at = memfind(s, init, pat);
    if (at !== -1) {
      lua.lua_pushnumber(L, at + 1);
      lua.lua_pushnumber(L, at + pat.length);
      return 2;
    }
  } else {
    const anchor = p[0] === 94; // '^'
    const ms = new MatchState(L, s, anchor ? p.subarray(1) : p);
    let s1 = init;
    do {
      ms.level = 0;
      const res = match(ms, s1, 0);
      if (res !== -1) {
        if (!find) return pushCaptures(ms, s1, res);
        lua.lua_pushnumber(L, s1 + 1);
        lua.lua_pushnumber(L, res);
        return pushCaptures(ms, -1, 0) + 2;
      }
    } while (s1++ < s.length && !anchor);
  }
  lua.lua_pushnil(L);
  return 1;
}

/** `string.find`. */
export const find51: LuaJsFunction = (L) => findAux(L, true);

/** `string.match`. */
export const match51: LuaJsFunction = (L) => findAux(L, false);

/** `string.gmatch`'s iterator (upvalues: subject, pattern, next start). */
const gmatchAux: LuaJsFunction = (L) => {
  const s = lua.lua_tolstring(L, lua.lua_upvalueindex(1))!;
  const p = cString(lua.lua_tolstring(L, lua.lua_upvalueindex(2))!);
  const ms = new MatchState(L, s, p);
  for (let src = lua.lua_tonumber(L, lua.lua_upvalueindex(3)); src <= s.length; src++) {
    ms.level = 0;
    const e = match(ms, src, 0);
    if (e !== -1) {
      lua.lua_pushnumber(L, e === src ? e + 1 : e); // an empty match moves on by one
      lua.lua_replace(L, lua.lua_upvalueindex(3));
      return pushCaptures(ms, src, e);
    }
  }
  return 0;
};

/** `string.gmatch`. */
export const gmatch51: LuaJsFunction = (L) => {
  lauxlib.luaL_checklstring(L, 1);
  lauxlib.luaL_checklstring(L, 2);
  lua.lua_settop(L, 2);
  lua.lua_pushnumber(L, 0);
  lua.lua_pushjsclosure(L, gmatchAux, 3);
  return 1;
};

/** 5.1's add_s: a replacement string, `%0`-`%9` its captures, `%` before anything else that thing. */
function addString(ms: MatchState, out: Uint8Array[], s: number, e: number): void {
  const news = lua.lua_tolstring(ms.L, 3)!;
  let run = 0;
  for (let i = 0; i < news.length; i++) {
    if (news[i] !== L_ESC) continue;
    if (i > run) out.push(news.subarray(run, i));
    i++; // past the escape; C reads the NUL past the end
    const c = i < news.length ? news[i]! : 0;
    if (!isDigit(c)) out.push(Uint8Array.of(c));
    else if (c === 48) out.push(ms.s.subarray(s, e));
    else {
      pushOneCapture(ms, c - 49, s, e);
      out.push(lua.lua_tolstring(ms.L, -1)!);
      lua.lua_pop(ms.L, 1);
    }
    run = i + 1;
  }
  if (run < news.length) out.push(news.subarray(run));
}

function addValue(ms: MatchState, out: Uint8Array[], s: number, e: number): void {
  const L = ms.L;
  switch (lua.lua_type(L, 3)) {
    case lua.LUA_TNUMBER:
    case lua.LUA_TSTRING:
      addString(ms, out, s, e);
      return;
    default: // a table without a metatable (see gsubCalls for the others)
      pushOneCapture(ms, 0, s, e);
      lua.lua_gettable(L, 3);
  }
  if (!lua.lua_toboolean(L, -1)) {
    lua.lua_pop(L, 1);
    out.push(ms.s.subarray(s, e)); // the original text
    return;
  }
  if (!lua.lua_isstring(L, -1)) {
    const type = lua.lua_typename(L, lua.lua_type(L, -1));
    lauxlib.luaL_error(L, "invalid replacement value (a %s)", type);
  }
  out.push(lua.lua_tolstring(L, -1)!);
  lua.lua_pop(L, 1);
}

/** `string.gsub`. */
export const gsub51: LuaJsFunction = (L) => {
  const src = lauxlib.luaL_checklstring(L, 1);
  let p = cString(lauxlib.luaL_checklstring(L, 2));
  const tr = lua.lua_type(L, 3);
  const maxS = lua.lua_isnoneornil(L, 4) ? src.length + 1 : (() => {
    const d = lauxlib.luaL_checknumber(L, 4);
    return d > -9223372036854775808 && d < 9223372036854775808 ? Math.trunc(d) | 0 : 0;
  })();
  const anchor = p[0] === 94;
  if (anchor) p = p.subarray(1);
  lauxlib.luaL_argcheck(
    L,
    tr === lua.LUA_TNUMBER || tr === lua.LUA_TSTRING || tr === lua.LUA_TFUNCTION ||
      tr === lua.LUA_TTABLE,
    3,
    "string/function/table expected",
  );
  const ms = new MatchState(L, src, p);
  if (tr === lua.LUA_TFUNCTION || (tr === lua.LUA_TTABLE && lua.lua_getmetatable(L, 3))) {
    lua.lua_settop(L, 3);
    const st = new Gsub(ms, maxS, anchor, tr === lua.LUA_TTABLE);
    lua.lua_pushlightuserdata(L, st);
    return gsubCalls(L, st);
  }
  const out: Uint8Array[] = [];
  let at = 0, n = 0, copied = 0;
  while (n < maxS) {
    ms.level = 0;
    const e = match(ms, at, 0);
    if (e !== -1) {
      n++;
      if (at > copied) out.push(src.subarray(copied, at));
      addValue(ms, out, at, e);
      copied = e > at ? e : at;
    }
    if (e !== -1 && e > at) at = e;
    else if (at < src.length) at++;
    else break;
    if (anchor) break;
  }
  return gsubResult(L, out, copied, src, n);
};

/** Pushes gsub's results: the parts, the rest of the subject from `copied`, and the count. */
function gsubResult(
  L: LuaState,
  out: Uint8Array[],
  copied: number,
  src: Uint8Array,
  n: number,
): number {
  out.push(src.subarray(copied));
  let size = 0;
  for (const part of out) size += part.length;
  const result = new Uint8Array(size);
  let k = 0;
  for (const part of out) {
    result.set(part, k);
    k += part.length;
  }
  lua.lua_pushstring(L, result);
  lua.lua_pushnumber(L, n);
  return 2;
}

/** The registry field of `function(t, k) return t[k] end` (see `_callbacks51.ts`). */
export const GSUB_INDEX = "redis_gsub_index51";

/**
 * A gsub whose replacement calls Lua (a function, or a table with a
 * metatable, whose `__index` may be one): its state, kept on the stack
 * (a light userdata, slot 4) for the continuation.
 */
class Gsub {
  readonly out: Uint8Array[] = [];
  at = 0;
  n = 0;
  copied = 0;
  /** Where the match being replaced ends. */
  e = 0;
  constructor(
    readonly ms: MatchState,
    readonly maxS: number,
    readonly anchor: boolean,
    readonly table: boolean,
  ) {}
}

/**
 * 5.1's gsub loop for a replacement that calls Lua: each call made with a
 * continuation ({@link gsubNext}), so that a script past
 * `busy-reply-threshold` can pause inside the replacement (see the
 * scripting VM's count hook) and go on from where it was.
 */
function gsubCalls(L: LuaState, st: Gsub): number {
  const ms = st.ms;
  while (st.n < st.maxS) {
    ms.level = 0;
    const at = st.at;
    const e = match(ms, at, 0);
    if (e !== -1) {
      st.n++;
      if (at > st.copied) st.out.push(ms.s.subarray(st.copied, at));
      st.e = e;
      if (st.table) {
        lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, GSUB_INDEX);
        lua.lua_pushvalue(L, 3);
        pushOneCapture(ms, 0, at, e);
        lua.lua_callk(L, 2, 1, 0, gsubNext);
      } else {
        lua.lua_pushvalue(L, 3);
        lua.lua_callk(L, pushCaptures(ms, at, e), 1, 0, gsubNext);
      }
      gsubValue(L, st);
    }
    if (!gsubAdvance(st, e)) break;
  }
  return gsubResult(L, st.out, st.copied, ms.s, st.n);
}

/** The continuation of a replacement's call after a pause. */
function gsubNext(L: LuaState): number {
  const st = lua.lua_touserdata(L, 4) as Gsub;
  gsubValue(L, st);
  if (gsubAdvance(st, st.e)) return gsubCalls(L, st);
  return gsubResult(L, st.out, st.copied, st.ms.s, st.n);
}

/** Takes the replacement value off the stack (5.1's add_value, after the call). */
function gsubValue(L: LuaState, st: Gsub): void {
  const at = st.at, e = st.e;
  if (!lua.lua_toboolean(L, -1)) st.out.push(st.ms.s.subarray(at, e)); // the original text
  else if (!lua.lua_isstring(L, -1)) {
    const type = lua.lua_typename(L, lua.lua_type(L, -1));
    lauxlib.luaL_error(L, "invalid replacement value (a %s)", type);
  } else st.out.push(lua.lua_tolstring(L, -1)!);
  lua.lua_pop(L, 1);
  st.copied = e > at ? e : at;
}

/** Moves past a match ending at `e` (-1: none) or a character; false when the loop ends. */
function gsubAdvance(st: Gsub, e: number): boolean {
  const at = st.at;
  if (e !== -1 && e > at) st.at = e;
  else if (at < st.ms.s.length) st.at = at + 1;
  else return false;
  return !st.anchor;
}
