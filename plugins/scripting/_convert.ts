/**
 * Reply conversions between Redis and Lua, as Redis 7.0's script_lua.c:
 *
 * - {@link LuaReplyWriter}: a reply writer that builds the Lua value of a
 *   command's reply on the Lua stack as the handler writes it (what
 *   `redis.call` returns), without encoding RESP. RESP2: integer -> number,
 *   bulk -> string, array -> table, status -> `{ok=}`, error -> `{err=}`,
 *   null -> false. RESP3 (after `redis.setresp(3)`) adds map -> `{map=}`,
 *   set -> `{set=}`, null -> nil, boolean, double -> `{double=}`, big number
 *   -> `{big_number=}`, verbatim -> `{verbatim_string=}`.
 * - {@link replyFromLua}: the script's return value as a reply.
 *
 * @module
 */

import type { Bytes, ReplyWriter } from "../../core/types.ts";
import { formatDouble } from "../../core/number.ts";
import {
  fromLua,
  lua,
  luaName,
  type LuaState,
  pushBytes,
  pushConstant,
  type TString,
} from "./_fengari.ts";

// Field names, made once: pushing one costs no copy and no hash.
const ERR = luaName("err"), OK = luaName("ok"), DOUBLE = luaName("double");
const BIG_NUMBER = luaName("big_number"), VERBATIM = luaName("verbatim_string");
const STRING = luaName("string"), FORMAT = luaName("format");
const MAP_FIELD = luaName("map"), SET_FIELD = luaName("set");

/**
 * Pushes Redis's error table for `text` (luaPushErrorBuff): "-CODE msg"
 * keeps its code, a bare message gets ERR; trailing CR/LF are trimmed.
 */
export function pushErrorTable(L: LuaState, text: Bytes): void {
  let code = "ERR", msg = text;
  if (text.charCodeAt(0) === 45) {
    const sp = text.indexOf(" ");
    if (sp === -1) msg = text.slice(1);
    else {
      code = text.slice(1, sp);
      msg = text.slice(sp + 1);
    }
  }
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, "");
  lua.lua_createtable(L, 0, 2);
  pushConstant(L, ERR);
  pushBytes(L, `${code} ${msg}`);
  lua.lua_rawset(L, -3);
}

/** An open aggregate while a reply is being built. */
interface Frame {
  kind: 0 | 1 | 2; // array, map, set
  left: number;
  index: number;
  /** Map: a key is on the stack waiting for its value. */
  key: boolean;
}

const ARRAY = 0, MAP = 1, SET = 2;

/**
 * A reply writer whose output is a Lua value on the stack of `L`. One
 * instance serves every `redis.call`; {@link LuaReplyWriter.begin} resets it.
 */
export class LuaReplyWriter implements ReplyWriter {
  #frames: Frame[] = [];
  resp: 2 | 3 = 2;
  errorCount = 0;
  /** Whether the (top-level) reply was an error. */
  isError = false;
  /** Values pushed at the top level (1 after a complete reply). */
  produced = 0;

  constructor(readonly L: LuaState) {}

  /** Prepares for the next command's reply. */
  begin(resp: 2 | 3): void {
    this.resp = resp;
    // Setting an array's length costs even when it does not change.
    if (this.#frames.length !== 0) this.#frames.length = 0;
    this.isError = false;
    this.produced = 0;
  }

  /** A value was pushed: stores it into the open aggregate, if any. */
  #done(): void {
    const L = this.L;
    for (;;) {
      // Not frames[length - 1] when empty: V8 reads index -1 as a property name.
      const open = this.#frames.length;
      if (open === 0) {
        this.produced++;
        return;
      }
      const f = this.#frames[open - 1]!;
      if (f.kind === ARRAY) {
        lua.lua_rawseti(L, -2, ++f.index);
      } else if (f.kind === MAP) {
        if (!f.key) {
          f.key = true;
          f.left--; // its value follows
          return;
        }
        f.key = false;
        if (lua.lua_type(L, -2) === lua.LUA_TNIL) lua.lua_pop(L, 2);
        else lua.lua_rawset(L, -3);
      } else {
        if (lua.lua_type(L, -1) === lua.LUA_TNIL) lua.lua_pop(L, 1);
        else {
          lua.lua_pushboolean(L, true);
          lua.lua_rawset(L, -3);
        }
      }
      if (--f.left > 0) return;
      this.#frames.pop();
      // A map or set is wrapped: {map={...}} / {set={...}} (see #open).
      if (f.kind !== ARRAY) lua.lua_rawset(L, -3);
    }
  }

  #open(kind: 0 | 1 | 2, n: number): void {
    const L = this.L;
    lua.lua_checkstack(L, 5);
    if (kind !== ARRAY) {
      // The wrapper and its field name under the table being filled.
      lua.lua_createtable(L, 0, 1);
      pushConstant(L, kind === MAP ? MAP_FIELD : SET_FIELD);
    }
    lua.lua_createtable(L, kind === ARRAY ? n : 0, kind === ARRAY ? 0 : n);
    if (n <= 0) {
      if (kind !== ARRAY) lua.lua_rawset(L, -3);
      this.#done();
      return;
    }
    this.#frames.push({ kind, left: kind === MAP ? n * 2 : n, index: 0, key: false });
  }

  #single(field: TString, push: () => void): void {
    const L = this.L;
    lua.lua_createtable(L, 0, 1);
    pushConstant(L, field);
    push();
    lua.lua_rawset(L, -3);
    this.#done();
  }

  ok(): void {
    this.simple("OK");
  }

  simple(s: string): void {
    this.#single(OK, () => pushBytes(this.L, s));
  }

  error(msg: string): void {
    this.errorCount++;
    if (this.#frames.length === 0) this.isError = true;
    pushErrorTable(this.L, "-" + msg);
    this.#done();
  }

  integer(n: number): void {
    lua.lua_pushnumber(this.L, n);
    this.#done();
  }

  bigInteger(n: bigint): void {
    this.integer(Number(n));
  }

  bulk(s: Bytes): void {
    pushBytes(this.L, s);
    this.#done();
  }

  nullBulk(): void {
    if (this.resp === 3) lua.lua_pushnil(this.L);
    else lua.lua_pushboolean(this.L, false);
    this.#done();
  }

  nullArray(): void {
    this.nullBulk();
  }

  array(n: number): void {
    if (n < 0) return this.nullArray();
    this.#open(ARRAY, n);
  }

  map(n: number): void {
    if (this.resp === 2) this.#open(ARRAY, n * 2);
    else this.#open(MAP, n);
  }

  set(n: number): void {
    this.#open(this.resp === 2 ? ARRAY : SET, n);
  }

  push(n: number): void {
    this.#open(ARRAY, n);
  }

  double(d: number): void {
    if (this.resp === 2) return this.bulk(formatDouble(d));
    this.#single(DOUBLE, () => lua.lua_pushnumber(this.L, d));
  }

  bool(b: boolean): void {
    if (this.resp === 2) return this.integer(b ? 1 : 0);
    lua.lua_pushboolean(this.L, b);
    this.#done();
  }

  bigNumber(digits: string): void {
    if (this.resp === 2) return this.bulk(digits);
    this.#single(BIG_NUMBER, () => pushBytes(this.L, digits));
  }

  verbatim(s: Bytes, format = "txt"): void {
    if (this.resp === 2) return this.bulk(s);
    const L = this.L;
    this.#single(VERBATIM, () => {
      lua.lua_createtable(L, 0, 2);
      pushConstant(L, STRING);
      pushBytes(L, s);
      lua.lua_rawset(L, -3);
      pushConstant(L, FORMAT);
      pushBytes(L, format.slice(0, 3));
      lua.lua_rawset(L, -3);
    });
  }

  bulkArray(items: readonly Bytes[]): void {
    this.#open(ARRAY, items.length);
    for (const s of items) this.bulk(s);
  }

  bulkUintPair(a: number, b: number): void {
    this.bulk(`${a}-${b}`);
  }

  raw(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) at = this.#parse(bytes, at);
  }

  /** Replays one RESP value of precomputed reply bytes; returns its end. */
  #parse(b: Uint8Array, at: number): number {
    const type = b[at]!;
    let eol = at + 1;
    while (b[eol] !== 13) eol++;
    let line = "";
    for (let i = at + 1; i < eol; i++) line += String.fromCharCode(b[i]!);
    let next = eol + 2;
    switch (type) {
      case 43: // +
        this.simple(line);
        break;
      case 45: // -
        this.error(line);
        break;
      case 58: // :
        this.integer(Number(line));
        break;
      case 36: { // $
        const n = Number(line);
        if (n < 0) {
          this.nullBulk();
          break;
        }
        let s = "";
        for (let i = next; i < next + n; i++) s += String.fromCharCode(b[i]!);
        this.bulk(s);
        next += n + 2;
        break;
      }
      case 95: // _
        this.nullBulk();
        break;
      case 35: // #
        this.bool(line === "t");
        break;
      case 44: // ,
        this.double(Number(line.replace(/^(-?)inf$/, "$1Infinity")));
        break;
      case 40: // (
        this.bigNumber(line);
        break;
      case 42: // *
      case 37: // %
      case 126: // ~
      case 62: { // >
        const n = Number(line);
        if (n < 0) {
          this.nullArray();
          break;
        }
        if (type === 37) this.map(n);
        else if (type === 126) this.set(n);
        else this.array(n);
        const items = type === 37 ? n * 2 : n;
        for (let i = 0; i < items; i++) next = this.#parse(b, next);
        break;
      }
      default: // verbatim (=) and anything else: as a bulk string
        this.bulk(line);
    }
    return next;
  }
}

const INT64_MIN = -9223372036854775808;

/** C's `(long long)` of a double on x86-64: out of range or NaN -> INT64_MIN. */
function toLongLong(d: number): number {
  if (!(d > -9223372036854775808 && d < 9223372036854775808)) {
    return d === INT64_MIN ? d : INT64_MIN;
  }
  return Math.trunc(d);
}

/** A string with CR and LF mapped to spaces (status and error lines). */
function oneLine(s: Bytes): Bytes {
  return s.replace(/[\r\n]/g, " ");
}

/** Reads field `name` of the table at `idx` (raw), leaving it on the stack. */
function rawField(L: LuaState, idx: number, name: TString): number {
  pushConstant(L, name);
  return lua.lua_rawget(L, idx < 0 ? idx - 1 : idx);
}

/** Lua 5.1's LUAI_MAXCSTACK: the stack size lua_checkstack refuses past. */
const MAX_CSTACK = 8000;

/**
 * The containers open while a value converts, by depth: kind, next array
 * index or map step, array length. Shared: a conversion runs no Lua code,
 * so it never re-enters.
 */
const openKind: number[] = [];
const openNext: number[] = [];
const openLen: number[] = [];

/**
 * Writes the Lua value on top of the stack as a reply and pops it
 * (luaReplyToRedisReply). `scriptResp` is the script's `redis.setresp`
 * protocol, which decides how booleans convert.
 *
 * Nested tables convert without recursion, leaving on the Lua stack what
 * Redis's recursion leaves (the table, the key of a map or set entry, the
 * element), so the depth limit is Redis's: a value whose conversion
 * would need the stack past Lua 5.1's 8000 slots becomes the error
 * "reached lua stack limit" (a table that contains itself ends there).
 * Redis starts with the error handler and the value on the stack.
 */
export function replyFromLua(L: LuaState, w: ReplyWriter, scriptResp: 2 | 3): void {
  const base = lua.lua_gettop(L) - 2;
  let depth = 0;
  let pending = true; // a value on top of the stack waits to be written
  for (;;) {
    if (pending) {
      const kind = writeValue(L, w, scriptResp, base);
      if (kind !== DONE) {
        openKind[depth] = kind;
        openNext[depth] = kind === ARRAY ? 1 : 0;
        if (kind === ARRAY) w.array(openLen[depth] = arrayLength(L));
        depth++;
      }
      pending = false;
    }
    if (depth === 0) return;
    const d = depth - 1;
    const kind = openKind[d]!;
    if (kind === ARRAY) {
      // Stack: table (element i on top while it converts).
      const i = openNext[d]!;
      if (i <= openLen[d]!) {
        lua.lua_rawgeti(L, -1, i);
        openNext[d] = i + 1;
        pending = true;
      } else {
        lua.lua_pop(L, 1);
        depth--;
      }
    } else if (kind === MAP && openNext[d] === 1) {
      // The key was written: its value is on top (table, map, key, value).
      openNext[d] = 0;
      pending = true;
    } else if (lua.lua_next(L, -2) !== 0) {
      // Stack: table, map or set, key, value; the key is written from a copy.
      if (kind === MAP) {
        openNext[d] = 1;
        lua.lua_pushvalue(L, -2);
      } else {
        lua.lua_pop(L, 1); // a set's value (true) is not sent
        lua.lua_pushvalue(L, -1);
      }
      pending = true;
    } else {
      lua.lua_pop(L, 2);
      depth--;
    }
  }
}

const DONE = -1;

/**
 * Writes the value on top of the stack and pops it; or, for an array, map
 * or set, leaves the table (and the map or set with a nil key to start
 * `lua_next`) on the stack and returns its kind. A map or set has its
 * header written; an array's is the caller's, which counts it.
 */
function writeValue(L: LuaState, w: ReplyWriter, scriptResp: 2 | 3, base: number): number {
  // Redis's lua_checkstack(lua, 4), 4 slots being what a map needs.
  if (lua.lua_gettop(L) - base + 4 > MAX_CSTACK || !lua.lua_checkstack(L, 4)) {
    w.error("ERR reached lua stack limit");
    lua.lua_pop(L, 1);
    return DONE;
  }
  const t = lua.lua_type(L, -1);
  if (t === lua.LUA_TSTRING) {
    w.bulk(fromLua(lua.lua_tolstring(L, -1)!));
  } else if (t === lua.LUA_TBOOLEAN) {
    const b = lua.lua_toboolean(L, -1);
    if (scriptResp === 2) {
      if (b) w.integer(1);
      else w.nullBulk();
    } else {
      w.bool(b);
    }
  } else if (t === lua.LUA_TNUMBER) {
    writeInteger(w, toLongLong(lua.lua_tonumber(L, -1)));
  } else if (t === lua.LUA_TTABLE) {
    return tableReply(L, w);
  } else {
    w.nullBulk();
  }
  lua.lua_pop(L, 1);
  return DONE;
}

function writeInteger(w: ReplyWriter, n: number): void {
  if (!Number.isSafeInteger(n)) w.bigInteger(BigInt(n));
  else w.integer(n);
}

/**
 * A table on top of the stack: an error, status, double, big number or
 * verbatim reply is written and popped; a map, set or array is left open
 * (see {@link writeValue}).
 */
function tableReply(L: LuaState, w: ReplyWriter): number {
  if (rawField(L, -1, ERR) === lua.LUA_TSTRING) {
    const msg = fromLua(lua.lua_tolstring(L, -1)!);
    lua.lua_pop(L, 2);
    w.error(oneLine(msg));
    return DONE;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, -1, OK) === lua.LUA_TSTRING) {
    w.simple(oneLine(cutNul(fromLua(lua.lua_tolstring(L, -1)!))));
    lua.lua_pop(L, 2);
    return DONE;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, -1, DOUBLE) === lua.LUA_TNUMBER) {
    w.double(lua.lua_tonumber(L, -1));
    lua.lua_pop(L, 2);
    return DONE;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, -1, BIG_NUMBER) === lua.LUA_TSTRING) {
    w.bigNumber(oneLine(fromLua(lua.lua_tolstring(L, -1)!)));
    lua.lua_pop(L, 2);
    return DONE;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, -1, VERBATIM) === lua.LUA_TTABLE) {
    if (rawField(L, -1, FORMAT) === lua.LUA_TSTRING) {
      const format = fromLua(lua.lua_tolstring(L, -1)!);
      if (rawField(L, -2, STRING) === lua.LUA_TSTRING) {
        w.verbatim(fromLua(lua.lua_tolstring(L, -1)!), format.slice(0, 3));
        lua.lua_pop(L, 4);
        return DONE;
      }
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
  }
  lua.lua_pop(L, 1);
  if (rawField(L, -1, MAP_FIELD) === lua.LUA_TTABLE) {
    w.map(tableSize(L));
    lua.lua_pushnil(L);
    return MAP;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, -1, SET_FIELD) === lua.LUA_TTABLE) {
    w.set(tableSize(L));
    lua.lua_pushnil(L);
    return SET;
  }
  lua.lua_pop(L, 1);
  return ARRAY;
}

/** An array's length as Redis sends it: up to the first nil. */
function arrayLength(L: LuaState): number {
  let n = 0;
  while (lua.lua_rawgeti(L, -1, n + 1) !== lua.LUA_TNIL) {
    n++;
    lua.lua_pop(L, 1);
  }
  lua.lua_pop(L, 1);
  return n;
}

/** How many entries the table on top of the stack has. */
function tableSize(L: LuaState): number {
  let n = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    n++;
    lua.lua_pop(L, 1);
  }
  return n;
}

/** Redis builds status lines with sdsnew: a NUL byte ends them. */
function cutNul(s: Bytes): Bytes {
  const i = s.indexOf("\0");
  return i === -1 ? s : s.slice(0, i);
}
