/**
 * Type declarations for the vendored fengari 0.1.5 bundle (`fengari.js`,
 * Lua 5.3 in JavaScript; fengari ships none): the parts of its API the scripting plugin calls, and of its
 * internal modules the ones `_lua51.ts` patches. Internal functions are
 * typed as fengari calls them; the state they get is the same object the
 * API calls `LuaState`, seen through the fields they use.
 */

/** An opaque Lua state (fengari's `lua_State`). */
export type LuaState = { readonly __luaState: unique symbol };

/** A function Lua can call: returns how many results it pushed. */
export type LuaJsFunction = (L: LuaState) => number;

/** A Lua string as fengari holds it. */
export type LuaString = Uint8Array;

/** Field names and literals: ASCII JS strings or byte arrays. */
type Str = string | LuaString;

/** fengari's activation record (what `lua_getinfo` fills). */
export interface LuaDebug {
  name: LuaString | null | undefined;
  /** "Lua", "main", or "J" for a JS function (after "S"). */
  what: LuaString | null | undefined;
  /** "metamethod", "for iterator", "global" ... (after "n"). */
  namewhat: LuaString | null | undefined;
}

/** A continuation (`lua_callk`, `lua_pcallk`, `lua_yieldk`). */
export type LuaKFunction = (L: LuaState, status: number, ctx: number) => number;

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
  LUA_TTHREAD: number;
  LUA_TUSERDATA: number;
  LUA_YIELD: number;
  LUA_MASKLINE: number;
  LUA_MASKCOUNT: number;
  lua_newthread(L: LuaState): LuaState;
  lua_resume(L: LuaState, from: LuaState | null, nargs: number): number;
  lua_yield(L: LuaState, nresults: number): void;
  lua_yieldk(L: LuaState, nresults: number, ctx: number, k: LuaKFunction | null): never;
  lua_callk(
    L: LuaState,
    nargs: number,
    nresults: number,
    ctx: number,
    k: LuaKFunction | null,
  ): void;
  lua_tothread(L: LuaState, idx: number): LuaState | null;
  lua_isyieldable(L: LuaState): boolean;
  lua_status(L: LuaState): number;
  lua_sethook(
    L: LuaState,
    f: ((L: LuaState, ar: LuaDebug) => void) | null,
    mask: number,
    count: number,
  ): void;
  lua_pcallk(
    L: LuaState,
    nargs: number,
    nresults: number,
    msgh: number,
    ctx: number,
    k: ((L: LuaState, status: number, ctx: number) => number) | null,
  ): number;
  lua_xmove(from: LuaState, to: LuaState, n: number): void;
  lua_atnativeerror(L: LuaState, f: LuaJsFunction | null): LuaJsFunction | null;
  lua_checkstack(L: LuaState, n: number): boolean;
  lua_concat(L: LuaState, n: number): void;
  lua_compare(L: LuaState, a: number, b: number, op: number): boolean;
  LUA_OPLT: number;
  lua_Debug: new () => LuaDebug;
  lua_getinfo(L: LuaState, what: Str, ar: LuaDebug): number;
  lua_call(L: LuaState, nargs: number, nresults: number): void;
  lua_isnil(L: LuaState, idx: number): boolean;
  lua_isnoneornil(L: LuaState, idx: number): boolean;
  lua_isnumber(L: LuaState, idx: number): boolean;
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
  lua_gettable(L: LuaState, idx: number): number;
  lua_getmetatable(L: LuaState, idx: number): boolean;
  lua_gettop(L: LuaState): number;
  lua_insert(L: LuaState, idx: number): void;
  lua_iscfunction(L: LuaState, idx: number): boolean;
  lua_isfunction(L: LuaState, idx: number): boolean;
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
  lua_pushthread(L: LuaState): boolean;
  lua_pushvalue(L: LuaState, idx: number): void;
  lua_rawget(L: LuaState, idx: number): number;
  lua_rawgeti(L: LuaState, idx: number, n: number): number;
  lua_rawlen(L: LuaState, idx: number): number;
  lua_rawset(L: LuaState, idx: number): void;
  lua_rawseti(L: LuaState, idx: number, n: number): void;
  lua_remove(L: LuaState, idx: number): void;
  lua_replace(L: LuaState, idx: number): void;
  lua_setfield(L: LuaState, idx: number, k: Str): void;
  lua_setglobal(L: LuaState, name: Str): void;
  lua_setmetatable(L: LuaState, idx: number): void;
  lua_settop(L: LuaState, idx: number): void;
  lua_toboolean(L: LuaState, idx: number): boolean;
  lua_tolstring(L: LuaState, idx: number): LuaString | null;
  lua_tonumber(L: LuaState, idx: number): number;
  lua_touserdata(L: LuaState, idx: number): unknown;
  lua_topointer(L: LuaState, idx: number): unknown;
  lua_type(L: LuaState, idx: number): number;
  lua_typename(L: LuaState, t: number): LuaString;
}

/** The part of fengari's `lauxlib` namespace used here. */
export interface LauxApi {
  luaL_newstate(): LuaState;
  luaL_loadbuffer(L: LuaState, buf: LuaString, name: Str | null, chunk: Str): number;
  luaL_requiref(L: LuaState, name: Str, open: LuaJsFunction, global: boolean): void;
  luaL_argcheck(L: LuaState, cond: unknown, arg: number, msg: Str): void;
  luaL_checkany(L: LuaState, arg: number): void;
  luaL_checkoption(L: LuaState, arg: number, def: Str | null, lst: LuaString[]): number;
  luaL_checklstring(L: LuaState, arg: number): LuaString;
  luaL_checkstack(L: LuaState, n: number, msg: Str): void;
  luaL_checktype(L: LuaState, arg: number, t: number): void;
  luaL_optstring(L: LuaState, arg: number, def: Str): LuaString;
  luaL_checkinteger(L: LuaState, arg: number): number;
  luaL_checknumber(L: LuaState, arg: number): number;
  luaL_error(L: LuaState, fmt: Str, ...args: unknown[]): never;
  luaL_getmetafield(L: LuaState, obj: number, e: Str): number;
  luaL_tolstring(L: LuaState, idx: number): LuaString;
  luaL_optnumber(L: LuaState, arg: number, def: number): number;
  luaL_argerror(L: LuaState, arg: number, msg: Str): never;
  luaL_where(L: LuaState, level: number): void;
  luaL_optinteger(L: LuaState, arg: number, def: number): number;
  luaL_ref(L: LuaState, t: number): number;
  luaL_unref(L: LuaState, t: number, ref: number): void;
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

/** The fields of fengari's `lua_State` its internals use here. */
export interface LuaThread {
  top: number;
  errfunc: number;
  nny: number;
}

/** A Lua value slot (fengari's TValue), as luaO_str2num fills it. */
export interface TValue {
  ttisinteger(): boolean;
  ttisnil(): boolean;
  setfltvalue(x: number): void;
  setsvalue(ts: TString): void;
  value: number;
}

/** An interned Lua string (fengari's TString). */
export interface TString {
  getstr(): LuaString;
}

/** fengari's chunk reader (ZIO). */
export interface Zio {
  zgetc(): number;
}

/** A Lua closure the parser made (fengari's LClosure). */
export interface LClosure {
  readonly nupvalues: number;
}

/** fengari's core Lua API. */
export declare const lua: LuaApi;
/** fengari's auxiliary library. */
export declare const lauxlib: LauxApi;
/** fengari's standard library openers. */
export declare const lualib: LualibApi;

/** fengari's lobject module: number <-> string conversions, messages. */
export declare const lobject: {
  luaO_str2num(s: LuaString, o: TValue): number;
  luaO_tostring(L: LuaThread, o: TValue): void;
  luaO_pushvfstring(L: LuaThread, fmt: LuaString, argp: unknown[]): unknown;
  luaO_pushfstring(L: LuaThread, fmt: LuaString, ...argp: unknown[]): unknown;
  luaO_chunkid(source: LuaString, bufflen: number): LuaString;
  pushsvalue2s(L: LuaThread, ts: TString): void;
  TValue: new (type: number, value: unknown) => TValue;
  luaO_nilobject: TValue;
};

/** fengari's lstring module: interning a Lua string. */
export declare const lstring: { luaS_bless(L: LuaThread, b: LuaString): TString };

/** The scanner's dynamic buffer. */
export interface MBuffer {
  n: number;
}
/** fengari's lzio module: chunk readers and buffers. */
export declare const lzio: { MBuffer: new () => MBuffer };

/** The parser's dynamic data (active locals, gotos, labels). */
export interface Dyndata {
  readonly actvar: unknown;
}
/** fengari's lparser module: the parser's entry point. */
export declare const lparser: {
  Dyndata: new () => Dyndata;
  luaY_parser(
    L: LuaThread,
    z: Zio,
    buff: MBuffer,
    dyd: Dyndata,
    name: LuaString,
    firstchar: number,
  ): LClosure;
};

/** fengari's lfunc module: closures and upvalues. */
export declare const lfunc: { luaF_initupvals(L: LuaThread, cl: LClosure): void };

/** fengari's ldo module: protected calls and the parser's entry point. */
export declare const ldo: {
  luaD_protectedparser(L: LuaThread, z: Zio, name: LuaString, mode: unknown): number;
  luaD_pcall<P>(
    L: LuaThread,
    f: (L: LuaThread, p: P) => void,
    p: P,
    oldtop: number,
    ef: number,
  ): number;
};

/** A Lua table as fengari holds it (its fields are fengari's). */
export interface Table {
  /** Redis's read-only mark (set by `_lua51.ts`; absent on most tables). */
  readonly?: boolean;
  readonly metatable: Table | null;
  /** The entries by key hash (an integer key hashes to itself). */
  readonly strong: Map<unknown, TableEntry>;
  /** The first and last entries, in insertion order (what `next` walks). */
  f: TableEntry | undefined;
  l: TableEntry | undefined;
}
/** An entry of a table: its key and its neighbours in insertion order. */
export interface TableEntry {
  readonly key: TValue;
  p: TableEntry | undefined;
  n: TableEntry | undefined;
}
/** fengari's ltable module: the primitive table store. */
export declare const ltable: {
  luaH_setfrom(L: LuaThread, t: Table, key: TValue, value: TValue): void;
  luaH_setint(t: Table, key: number, value: TValue): void;
};

/** fengari's lvm module: the API's number conversions. */
export declare const lvm: {
  tointeger(o: TValue): number | false;
  tonumber(o: TValue): number | false;
};

/** fengari's llex module: the name of the environment upvalue. */
export declare const llex: { LUA_ENV: LuaString };

/** fengari's ldebug module: runtime errors and the position added to them. */
export declare const ldebug: {
  luaG_addinfo(L: LuaThread, msg: unknown, src: TString | null, line: number): unknown;
  luaG_runerror(L: LuaThread, fmt: LuaString, ...argp: unknown[]): never;
};
