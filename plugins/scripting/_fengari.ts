/**
 * A typed facade over fengari (Lua 5.3 in JavaScript), vendored as one
 * patched ES module (`vendor/fengari.js`, made by `tools/vendor_fengari.sh`,
 * typed by `vendor/fengari.d.ts`): the functions the scripting plugin uses.
 * `_lua51.ts` makes the engine behind it behave as Redis's Lua 5.1.
 *
 * fengari's strings are `Uint8Array`s; Respite's are byte strings (one char
 * per byte). {@link toLua}, {@link fromLua} and {@link pushBytes} convert
 * byte for byte (never `to_luastring`, which UTF-8-encodes). Lua strings are
 * immutable, so the last short strings converted each way are kept and
 * reused: scripts pass the same keys and command names again and again.
 *
 * @module
 */

import {
  lauxlib as fengariLauxlib,
  lobject,
  lstring,
  ltable,
  lua as fengariLua,
  lualib as fengariLualib,
  type LuaState,
  type LuaString,
  type LuaThread,
  type Table,
  type TString,
  type TValue,
} from "./vendor/fengari.js";
import type { Bytes } from "../../core/types.ts";
import { bytesToString, stringToBytes } from "../../core/resp/bytes.ts";

export type {
  LauxApi,
  LuaApi,
  LuaDebug,
  LuaJsFunction,
  LualibApi,
  LuaState,
  LuaString,
  Table,
  TString,
} from "./vendor/fengari.js";

/** fengari's core Lua API. */
export const lua = fengariLua;
/** fengari's auxiliary library. */
export const lauxlib = fengariLauxlib;
/** fengari's standard library openers (Lua 5.3's; see `_lua51.ts` for the base library). */
export const lualib = fengariLualib;

/**
 * A byte string as a Lua string, byte for byte.
 *
 * @example
 * ```ts
 * import { fromLua, toLua } from "./_fengari.ts";
 * console.log(toLua("\xff"), fromLua(toLua("ab"))); // Uint8Array(1) [ 255 ] ab
 * ```
 */
export function toLua(s: Bytes): LuaString {
  return stringToBytes(s);
}

/** Strings up to this length are kept for reuse; longer ones are rare in loops. */
const SHORT = 64;
/**
 * Direct-mapped slots, each the last string converted that hashed there: a
 * miss costs a few array writes, with no Map upkeep and nothing the GC must
 * trace specially (a WeakMap costs more than it saves with random keys).
 */
const SLOTS = 256;
const pushedBytes: (Bytes | undefined)[] = new Array(SLOTS).fill(undefined);
const pushedLua: (TString | undefined)[] = new Array(SLOTS).fill(undefined);
const decodedLua: (LuaString | undefined)[] = new Array(SLOTS).fill(undefined);
const decodedBytes: Bytes[] = new Array(SLOTS).fill("");

function bytesSlot(s: Bytes): number {
  const n = s.length;
  return (n * 31 + s.charCodeAt(0) * 7 + s.charCodeAt(n >> 1) * 3 + s.charCodeAt(n - 1)) &
    (SLOTS - 1);
}

function luaSlot(u: LuaString): number {
  const n = u.length;
  return (n * 31 + u[0]! * 7 + u[n >> 1]! * 3 + u[n - 1]!) & (SLOTS - 1);
}

/** A Lua string as a byte string, byte for byte. */
export function fromLua(u: LuaString): Bytes {
  const n = u.length;
  if (n === 0 || n > SHORT) return bytesToString(u, 0, n);
  const i = luaSlot(u);
  if (decodedLua[i] === u) return decodedBytes[i]!;
  const s = bytesToString(u, 0, n);
  decodedLua[i] = u;
  decodedBytes[i] = s;
  return s;
}

/**
 * Pushes a byte string onto the stack as a Lua string: one copy of the
 * bytes, or none for a string pushed lately (`lua_pushstring` copies what
 * it is given once more).
 *
 * @example
 * ```ts
 * import { fromLua, lauxlib, lua, pushBytes } from "./_fengari.ts";
 * const L = lauxlib.luaL_newstate();
 * pushBytes(L, "k\xff");
 * console.log(fromLua(lua.lua_tolstring(L, -1)!) === "k\xff"); // true
 * ```
 */
export function pushBytes(L: LuaState, s: Bytes): void {
  lobject.pushsvalue2s(L as unknown as LuaThread, luaString(L, s));
}

/** A byte string as a Lua string value, one reused lately if any. */
function luaString(L: LuaState, s: Bytes): TString {
  const n = s.length;
  let ts: TString;
  if (n === 0 || n > SHORT) {
    ts = lstring.luaS_bless(L as unknown as LuaThread, stringToBytes(s));
  } else {
    const i = bytesSlot(s);
    const hit = pushedLua[i];
    if (hit !== undefined && pushedBytes[i] === s) ts = hit;
    else {
      const u = stringToBytes(s);
      ts = lstring.luaS_bless(L as unknown as LuaThread, u);
      pushedBytes[i] = s;
      pushedLua[i] = ts;
      const j = luaSlot(u);
      decodedLua[j] = u;
      decodedBytes[j] = s;
    }
  }
  return ts;
}

/**
 * A Lua string made once, for {@link pushConstant}: it keeps the hash a
 * table computes for it, so using it as a key costs no rehash.
 */
export function luaConstant(L: LuaState, s: Bytes): TString {
  return lstring.luaS_bless(L as unknown as LuaThread, stringToBytes(s));
}

/**
 * A {@link luaConstant} made when a module loads, for any state: a Lua
 * string belongs to none (fengari's strings are plain values).
 */
export function luaName(s: Bytes): TString {
  return lstring.luaS_bless(null as unknown as LuaThread, stringToBytes(s));
}

/** Pushes a string made by {@link luaConstant}. */
export function pushConstant(L: LuaState, ts: TString): void {
  lobject.pushsvalue2s(L as unknown as LuaThread, ts);
}

/** The table at `idx`, as fengari holds it (for {@link refillArray}). */
export function tableAt(L: LuaState, idx: number): Table {
  return lua.lua_topointer(L, idx) as Table;
}

/**
 * Whether a table holds exactly the keys 1..n, added in that order, and
 * has no metatable: an array as the host made it, which Lua code could not
 * tell from a new one once its values are replaced.
 */
export function isHostArray(t: Table, n: number): boolean {
  if (t.metatable !== null) return false;
  let i = 0;
  for (let e = t.f; e !== undefined; e = e.n) if (e.key.value !== ++i) return false;
  return i === n;
}

/** fengari's type tag of a string value. */
const LUA_TLNGSTR = 20;
/** The value {@link refillArray} stores (the table copies it): a TValue's fields. */
const scratch = new lobject.TValue(0, null) as unknown as { type: number; value: unknown };

/**
 * Replaces the `old` items of an array for which {@link isHostArray} holds
 * with `items[from..to)`, as `lua_rawseti` would, without going through
 * the stack: an existing entry takes the new value in place, the keys past
 * the new length go from the end (so the others keep their order).
 */
export function refillArray(
  L: LuaState,
  t: Table,
  items: readonly Bytes[],
  from: number,
  to: number,
  old: number,
): void {
  const n = to - from;
  scratch.type = LUA_TLNGSTR;
  for (let i = 0; i < n; i++) {
    scratch.value = luaString(L, items[from + i]!);
    ltable.luaH_setint(t, i + 1, scratch as unknown as TValue);
  }
  scratch.value = null;
  for (let i = old; i > n; i--) ltable.luaH_setint(t, i, lobject.luaO_nilobject);
}

/** The fields of fengari's `lua_State` that hold its stack. */
interface LuaStack {
  stack: unknown[];
  top: number;
  stack_last: number;
  ci: CallFrame;
}

/** A call in progress (fengari's CallInfo): the stack it may use. */
interface CallFrame {
  readonly top: number;
  readonly previous: CallFrame | null;
}

/** fengari's first stack size and the slots it keeps spare past the last usable one. */
const BASIC_STACK_SIZE = 40, EXTRA_STACK = 5;
/** V8 looks at how sparse an array is, when one of its elements is deleted, from this length on. */
const SPARSE_CHECK_FROM = 64;

/**
 * Gives a state a small stack again, in a new array. A stack grown by a
 * deep script (or by setting up the libraries) keeps its length otherwise,
 * and upstream fengari, which pops by `delete`, turns an array of 64 slots
 * or more into a dictionary (every push, pop and register access of every
 * script then a hash-table operation). The vendored build pops by
 * assignment; the stack is still given back its small size, holes only
 * above the top. To be called between runs; a state whose calls in
 * progress still need a big stack keeps it.
 *
 * @example
 * ```ts
 * import { compactStack, lauxlib } from "./_fengari.ts";
 * const L = lauxlib.luaL_newstate();
 * compactStack(L); // a new state's stack is small already: nothing to do
 * ```
 */
export function compactStack(L: LuaState): void {
  const state = L as unknown as LuaStack;
  const old = state.stack;
  if (old.length < SPARSE_CHECK_FROM) return;
  let inUse = state.top;
  for (let ci: CallFrame | null = state.ci; ci !== null; ci = ci.previous) {
    if (inUse < ci.top) inUse = ci.top;
  }
  // As fengari's luaD_shrinkstack sizes it (its assertions hold the same).
  const size = Math.max(BASIC_STACK_SIZE, inUse + 1 + (inUse >> 3) + 2 * EXTRA_STACK);
  if (size >= SPARSE_CHECK_FROM) return;
  const stack = new Array(size);
  for (let i = 0; i < state.top; i++) stack[i] = old[i];
  state.stack = stack;
  state.stack_last = size - EXTRA_STACK;
}

/**
 * To be called by the continuation of a yieldable `lua_pcallk` that got an
 * error: fengari's `lua_pcallk` never records that hooks were allowed (C
 * Lua's `setoah`), so its error recovery in a resumed thread turns them off
 * for good. They were on (no pcall is made from inside a hook) and must be,
 * or a script could no longer be paused or killed (its count hook).
 *
 * @example
 * ```ts
 * import { lauxlib, restoreHooks } from "./_fengari.ts";
 * restoreHooks(lauxlib.luaL_newstate());
 * ```
 */
export function restoreHooks(L: LuaState): void {
  (L as unknown as { allowhook: number }).allowhook = 1;
}

/**
 * Turns hooks off until the error being raised is caught (where
 * {@link restoreHooks}, or a non-yieldable pcall, turns them on again, or
 * the thread dies), as C Lua leaves them after an error raised by a hook:
 * the error handler then runs without them.
 *
 * @example
 * ```ts
 * import { disableHooks, lauxlib, restoreHooks } from "./_fengari.ts";
 * const L = lauxlib.luaL_newstate();
 * disableHooks(L);
 * restoreHooks(L);
 * ```
 */
export function disableHooks(L: LuaState): void {
  (L as unknown as { allowhook: number }).allowhook = 0;
}

/**
 * Makes a thread that died of an error (`lua_resume` returned one) usable
 * again, as Lua 5.4's `lua_resetthread`: back at its base level, with only
 * its first `keep` stack values. The slots above are deleted, so closures
 * that captured one keep their own values (as fengari's luaF_close makes
 * them). Hooks are allowed again (an error raised from a hook left them
 * off).
 *
 * @example
 * ```ts
 * import { lauxlib, lua, resetThread } from "./_fengari.ts";
 * const L = lauxlib.luaL_newstate();
 * const co = lua.lua_newthread(L);
 * lauxlib.luaL_loadbuffer(co, new TextEncoder().encode("error('x')"), null, "=x");
 * console.log(lua.lua_resume(co, L, 0) !== lua.LUA_OK); // true
 * resetThread(co, 0);
 * console.log(lua.lua_status(co) === lua.LUA_OK, lua.lua_gettop(co)); // true 0
 * ```
 */
export function resetThread(L: LuaState, keep: number): void {
  const t = L as unknown as { ci: unknown; base_ci: unknown; status: number };
  t.ci = t.base_ci;
  t.status = lua.LUA_OK;
  restoreHooks(L);
  lua.lua_settop(L, keep);
}
