/**
 * The Lua engines available on npm, on the EVAL row's script shape and on
 * two loops of plain Lua: what switching Respite's engine would buy.
 *
 * - fengari 0.1.5 (Lua 5.3 in JavaScript), vendored and patched, driven as Respite drives it
 *   (plugins/scripting/_fengari.ts: strings pushed with one copy, the stack
 *   kept in a small array).
 * - wasmoon 1.16.0 (Lua 5.4 compiled to WebAssembly), through the raw
 *   exports of its Emscripten module (its high-level API converts every
 *   value and is far slower), strings copied into its memory.
 * - lua-wasm-bindings 0.5.3 (Lua 5.1.5, Redis's version, compiled to
 *   WebAssembly): its bindings cannot register a JavaScript function, so it
 *   runs the loops only.
 *
 * The shape: `return(f(KEYS[1]))`, where `f` is a JavaScript function that
 * reads its string argument and increments a counter (standing in for
 * `redis.call('INCR', KEYS[1])`), KEYS a new one-element table each call,
 * called with a protected call from JavaScript and its number read back.
 * The loops: `s = s + i % 7` three million times (arithmetic), and 100,000
 * `t[#t + 1] = tostring(i) .. 'x'` (strings and a growing table). Each
 * figure is the best of three rounds of CPU time, after a warm-up round.
 *
 * Run on its own (prints JSON):
 *
 * ```sh
 * deno run --allow-read --allow-env bench/lua_engines.ts [calls]
 * ```
 *
 * @module
 */

// Each engine by its full npm: specifier: only this benchmark uses them.
// deno-lint-ignore-file no-import-prefix
import process from "node:process";
import {
  compactStack,
  fromLua,
  lauxlib,
  lua,
  lualib,
  type LuaState,
  pushBytes,
  toLua,
} from "../plugins/scripting/_fengari.ts";

/** One engine's figures. */
export interface EngineSample {
  /** Package and version. */
  engine: string;
  /** The Lua version it implements. */
  lua: string;
  /** µs of CPU per call of the EVAL shape; NaN when the engine cannot run it. */
  callUs: number;
  /** ms of CPU for the arithmetic loop. */
  arithMs: number;
  /** ms of CPU for the strings-and-table loop. */
  stringsMs: number;
}

/** What the engine benchmark measured. */
export interface EnginesResult {
  /** Calls of the shape per round. */
  calls: number;
  samples: EngineSample[];
  /** The command line, for the report. */
  commandLine: string;
}

const SHAPE = "return(f(KEYS[1]))";
const ARITH = "local s = 0 for i = 1, 3000000 do s = s + i % 7 end return s";
const STRINGS = "local t = {} for i = 1, 100000 do t[#t + 1] = tostring(i) .. 'x' end return #t";
const KEY = "bench:eval";

/** Best CPU time of three rounds of `n` runs of `f`, after a warm-up round, per run in µs. */
function cpuPerRun(n: number, f: () => void): number {
  for (let i = 0; i < n; i++) f();
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / n);
  }
  return best;
}

/** The counter `f` increments, by key. */
const counters = new Map<string, number>();
function incr(key: string): number {
  const v = (counters.get(key) ?? 0) + 1;
  counters.set(key, v);
  return v;
}

function measureFengari(calls: number): EngineSample {
  const L = lauxlib.luaL_newstate();
  lauxlib.luaL_requiref(L, "_G", lualib.luaopen_base, true);
  lauxlib.luaL_requiref(L, "table", lualib.luaopen_table, true);
  lauxlib.luaL_requiref(L, "string", lualib.luaopen_string, true);
  lua.lua_settop(L, 0);
  lua.lua_pushjsfunction(L, (L: LuaState) => {
    const key = fromLua(lua.lua_tolstring(L, 1)!);
    lua.lua_settop(L, 0);
    lua.lua_pushnumber(L, incr(key));
    return 1;
  });
  lua.lua_setglobal(L, "f");
  const compile = (src: string) => {
    if (lauxlib.luaL_loadbuffer(L, toLua(src), null, "=bench") !== lua.LUA_OK) {
      throw new Error(`fengari: ${fromLua(lua.lua_tolstring(L, -1)!)}`);
    }
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  };
  const keysName = toLua("KEYS");
  const run = (ref: number, setKeys: boolean) => {
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
    if (setKeys) {
      lua.lua_createtable(L, 1, 0);
      pushBytes(L, KEY);
      lua.lua_rawseti(L, -2, 1);
      lua.lua_setglobal(L, keysName);
    }
    if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) {
      throw new Error(`fengari: ${fromLua(lua.lua_tolstring(L, -1)!)}`);
    }
    lua.lua_tonumber(L, -1);
    lua.lua_settop(L, 0);
    compactStack(L);
  };
  const shape = compile(SHAPE), arith = compile(ARITH), strings = compile(STRINGS);
  compactStack(L);
  return {
    engine: "fengari 0.1.5 (patched)",
    lua: "5.3 (in JavaScript)",
    callUs: cpuPerRun(calls, () => run(shape, true)),
    arithMs: cpuPerRun(1, () => run(arith, false)) / 1000,
    stringsMs: cpuPerRun(1, () => run(strings, false)) / 1000,
  };
}

/** The raw exports of wasmoon's Emscripten module used here. */
interface WasmoonModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(n: number): number;
  addFunction(f: (L: number) => number, sig: string): number;
  _luaL_newstate(): number;
  _luaL_openlibs(L: number): void;
  _luaL_loadbufferx(L: number, buf: number, n: number, name: number, mode: number): number;
  _luaL_ref(L: number, t: number): number;
  _lua_pushcclosure(L: number, f: number, n: number): void;
  _lua_setglobal(L: number, name: number): void;
  _lua_tolstring(L: number, idx: number, len: number): number;
  _lua_settop(L: number, idx: number): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_tonumberx(L: number, idx: number, isnum: number): number;
  _lua_rawgeti(L: number, idx: number, n: bigint): number;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_pushlstring(L: number, s: number, n: number): number;
  _lua_rawseti(L: number, idx: number, n: bigint): void;
  _lua_pcallk(L: number, na: number, nr: number, eh: number, ctx: number, k: number): number;
}

/** Lua 5.4's LUA_REGISTRYINDEX (-LUAI_MAXSTACK - 1000). */
const REGISTRY_54 = -1001000;

async function measureWasmoon(calls: number): Promise<EngineSample> {
  const { LuaWasm } = await import("npm:wasmoon@1.16.0");
  const m = (await LuaWasm.initialize()).module as unknown as WasmoonModule;
  const L = m._luaL_newstate();
  m._luaL_openlibs(L);
  const cstring = (s: string) => {
    const p = m._malloc(s.length + 1);
    for (let i = 0; i < s.length; i++) m.HEAPU8[p + i] = s.charCodeAt(i);
    m.HEAPU8[p + s.length] = 0;
    return p;
  };
  const len = m._malloc(8);
  const scratch = m._malloc(4096);
  const f = m.addFunction((L: number) => {
    const p = m._lua_tolstring(L, 1, len);
    const key = String.fromCharCode(...m.HEAPU8.subarray(p, p + m.HEAPU32[len >> 2]!));
    m._lua_settop(L, 0);
    m._lua_pushnumber(L, incr(key));
    return 1;
  }, "ii");
  m._lua_pushcclosure(L, f, 0);
  m._lua_setglobal(L, cstring("f"));
  const name = cstring("=bench");
  const compile = (src: string) => {
    if (m._luaL_loadbufferx(L, cstring(src), src.length, name, 0) !== 0) {
      throw new Error("wasmoon: the chunk did not compile");
    }
    return m._luaL_ref(L, REGISTRY_54);
  };
  const keys = cstring("KEYS");
  const run = (ref: number, setKeys: boolean) => {
    m._lua_rawgeti(L, REGISTRY_54, BigInt(ref));
    if (setKeys) {
      m._lua_createtable(L, 1, 0);
      for (let i = 0; i < KEY.length; i++) m.HEAPU8[scratch + i] = KEY.charCodeAt(i);
      m._lua_pushlstring(L, scratch, KEY.length);
      m._lua_rawseti(L, -2, 1n);
      m._lua_setglobal(L, keys);
    }
    if (m._lua_pcallk(L, 0, 1, 0, 0, 0) !== 0) throw new Error("wasmoon: the chunk failed");
    m._lua_tonumberx(L, -1, 0);
    m._lua_settop(L, 0);
  };
  const shape = compile(SHAPE), arith = compile(ARITH), strings = compile(STRINGS);
  return {
    engine: "wasmoon 1.16.0",
    lua: "5.4 (WebAssembly)",
    callUs: cpuPerRun(calls, () => run(shape, true)),
    arithMs: cpuPerRun(1, () => run(arith, false)) / 1000,
    stringsMs: cpuPerRun(1, () => run(strings, false)) / 1000,
  };
}

/** The part of lua-wasm-bindings' API used here. */
interface Lua51Bindings {
  lauxlib: { luaL_newstate(): number; luaL_dostring(L: number, s: string): number };
  lualib: { luaL_openlibs(L: number): void };
  lua: { lua_settop(L: number, idx: number): void };
}

async function measureLua51(): Promise<EngineSample> {
  const b = await import(
    "npm:lua-wasm-bindings@0.5.3/dist/lua.51.js"
  ) as unknown as Lua51Bindings;
  const L = b.lauxlib.luaL_newstate();
  b.lualib.luaL_openlibs(L);
  // Only luaL_dostring: each run compiles its (short) chunk again.
  const run = (src: string) => {
    if (b.lauxlib.luaL_dostring(L, src) !== 0) throw new Error("lua-wasm-bindings: chunk failed");
    b.lua.lua_settop(L, 0);
  };
  return {
    engine: "lua-wasm-bindings 0.5.3",
    lua: "5.1.5 (WebAssembly)",
    callUs: NaN,
    arithMs: cpuPerRun(1, () => run(ARITH)) / 1000,
    stringsMs: cpuPerRun(1, () => run(STRINGS)) / 1000,
  };
}

/** Measures every engine in this process. */
export async function runEngines(calls: number): Promise<EngineSample[]> {
  return [measureFengari(calls), await measureWasmoon(calls), await measureLua51()];
}

const ARGS = ["run", "--allow-read", "--allow-env", "bench/lua_engines.ts"];

/** Runs the engine benchmark as its own process (from the repository root). */
export async function measureEngines(calls = 200_000, root = "."): Promise<EnginesResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...ARGS, String(calls)],
    cwd: root,
    stdin: "null",
    signal: AbortSignal.timeout(300_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  let samples: EngineSample[];
  try {
    samples = JSON.parse(text, (_, v) => v === null ? NaN : v);
  } catch {
    const err = new TextDecoder().decode(out.stderr).slice(-500);
    throw new Error(`the engine benchmark printed no result (exit ${out.code}): ${err}`);
  }
  return { calls, samples, commandLine: `deno ${[...ARGS, String(calls)].join(" ")}` };
}

if (import.meta.main) {
  const calls = Number(Deno.args[0] ?? 200_000);
  console.log(JSON.stringify(await runEngines(calls)));
}
