/**
 * The Lua VM of the scripting plugin: a fengari state holding Redis 7.0's
 * sandbox, the `redis.*` API, the compiled scripts (registry slots) and the
 * run of one script with its KEYS and ARGV. EVAL has one per server
 * (recreated by SCRIPT FLUSH); the functions plugin gets its own, in
 * library mode, through the `scripting` service.
 *
 * The sandbox follows Redis 7.0: reading a missing global raises "Script
 * attempted to access nonexistent global variable", and the globals and the
 * library tables are read-only ("Attempt to modify a readonly table"), as
 * Redis's patched Lua marks them (see `_env.ts` and `_lua51.ts`).
 *
 * Numbers: Redis's Lua 5.1 has only doubles; fengari's integers are 32-bit
 * and wrap. Every numeral is read as a float (see `_fengari.ts`),
 * `math.floor` and `math.ceil` return floats and Redis's replies are pushed
 * as floats, so arithmetic behaves as in Redis.
 *
 * @module
 */

import type {
  AdmissionPhase,
  Admitter,
  Bytes,
  CommandEntry,
  Context,
  ServerApi,
  Services,
  SuspendedCall,
} from "../../core/types.ts";
import { Trait } from "../../core/types.ts";
import { sha1hex } from "../../core/sha1.ts";
import { formatDouble } from "../../core/number.ts";
import type {} from "../acl/mod.ts";
import type { ClusterService } from "../cluster/mod.ts";
import {
  compactStack,
  fromLua,
  isHostArray,
  lauxlib,
  lua,
  luaConstant,
  type LuaDebug,
  type LuaJsFunction,
  lualib,
  type LuaState,
  pushBytes,
  pushConstant,
  refillArray,
  resetThread,
  restoreHooks,
  type Table,
  tableAt,
  toLua,
  type TString,
} from "./_fengari.ts";
import { hostRawset, openBase51, useLua51 } from "./_lua51.ts";
import { LuaReplyWriter, pushErrorTable, replyFromLua } from "./_convert.ts";
import { LUA_LIBS_SOURCE, wrapLibFunction } from "./_libs.ts";
import { openSandbox } from "./_env.ts";
import type { ScriptFlags } from "./_flags.ts";
import { makeRegister, type RegistrationSink } from "./_register.ts";
import type { ActiveScript, Scripts } from "./_running.ts";

/** A script of EVAL's cache, compiled in the VM. */
export interface Script {
  readonly sha: string;
  readonly body: Bytes;
  readonly flags: ScriptFlags;
  /** Its registry slot in the VM that compiled it. */
  readonly ref: number;
}

/** What a run needs to know about its caller. */
export interface RunOptions {
  caller: Context;
  /** What errors name: the script's SHA-1, or the function's name. */
  name: string;
  flags: ScriptFlags;
  /** The registry slot of the compiled script or registered function. */
  ref: number;
  /**
   * A function registered by a library (FCALL): called with `(keys, args)`
   * instead of KEYS/ARGV globals.
   */
  fn: boolean;
  /** How many of argv's items after `numkeys` are keys; the rest are its arguments. */
  numkeys: number;
  /** EVAL_RO / EVALSHA_RO, or a `no-writes` script. */
  readOnly: boolean;
  /** Master link or AOF loading: no ACL, read-only-replica or OOM checks. */
  obey: boolean;
  /**
   * The caller's command (what FUNCTION STATS shows while it runs): EVAL
   * or FCALL, its script or function, `numkeys`, the keys, the arguments.
   */
  argv: readonly Bytes[];
}

/** Where the VM asks the server about its state. */
export interface VmHost {
  server: ServerApi;
  /** What the server's VMs share: the threshold, the running script. */
  scripts: Scripts;
}

/** A global array (KEYS or ARGV), its table kept from run to run. */
interface GlobalArray {
  readonly name: TString;
  /** The table (held by the globals too), undefined before the first run. */
  table: Table | undefined;
  /** The items it holds. */
  len: number;
}

/** A script's run: what `redis.call` consults, and how it pauses. */
class Run implements ActiveScript {
  writeDirty = false;
  resp: 2 | 3 = 2;
  /** REPL_* flags of redis.set_repl (3 = all). */
  repl = REPL_ALL;
  killed = false;
  /** Past `busy-reply-threshold` (Redis's SCRIPT_TIMEDOUT). */
  timedOut = false;
  /** Its caller cannot wait (see Context.suspendable): it runs to its end now. */
  noPause = false;
  /**
   * When the hook next lets the event loop in (`performance.now()`); 0
   * until the hook first ran (see `start`), Infinity with no threshold.
   */
  pauseAt: number;
  /** The hook yielded (any other yield of the script's thread is refused). */
  hookYield = false;
  /** While paused: the caller's suspended call, and its next slice. */
  call: SuspendedCall | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  step: (() => void) | undefined;
  /**
   * When it started (`performance.now()`), as the hook first saw it: a
   * script too short for the hook costs no clock read.
   */
  start = 0;

  /** Runs the next slice now (see `ScriptVM.#pause`). */
  next: (() => void) | undefined;

  constructor(readonly opts: RunOptions, readonly threshold: number) {
    this.pauseAt = threshold > 0 ? 0 : Infinity;
  }

  wake(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    queueMicrotask(this.next!);
  }

  get name(): string {
    return this.opts.name;
  }
  get fn(): boolean {
    return this.opts.fn;
  }
  get caller(): Context {
    return this.opts.caller;
  }
  get argv(): readonly Bytes[] {
    return this.opts.argv;
  }
}

/**
 * Instructions between two looks at the clock while a script runs (Redis
 * looks every 100000; fengari runs about ten times slower).
 */
const HOOK_COUNT = 10000;
/** How long a paused script runs before it lets the event loop in again (ms). */
const SLICE_MS = 10;
/** How long a library's code may run at FUNCTION LOAD (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;
/** The script thread's stack slot holding the error handler (see #prepareThread). */
const HANDLER_SLOT = 1;
/** Lua 5.1's error for a yield it refuses (see `ScriptVM.#yield`). */
const YIELD_ACROSS = toLua("attempt to yield across metamethod/C-call boundary");

const J = 74; // 'J': what lua_getinfo calls a JS function
const METAMETHOD = toLua("metamethod");
const FOR_ITERATOR = toLua("for iterator");
const JS_STACK = toLua("JS stack overflow");

function eqBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** 5.1's costatus: what `co` is to `L`. */
function costatus(L: LuaState, co: LuaState, ar: LuaDebug): string {
  if (L === co) return "running";
  const status = lua.lua_status(co);
  if (status === lua.LUA_YIELD) return "suspended";
  if (status !== lua.LUA_OK) return "dead";
  if (lua.lua_getstack(co, 0, ar)) return "normal";
  return lua.lua_gettop(co) === 0 ? "dead" : "suspended";
}

/** The end of 5.1's `coroutine.resume`: true and the results, or false and the error. */
function resumeResults(L: LuaState, r: number): number {
  lua.lua_pushboolean(L, r >= 0);
  if (r < 0) {
    lua.lua_insert(L, -2);
    return 2;
  }
  lua.lua_insert(L, -(r + 1));
  return r + 1;
}

/** The end of a 5.1 `coroutine.wrap` function: its results, or its error raised. */
function wrapResults(L: LuaState, r: number): number {
  if (r >= 0) return r;
  if (lua.lua_isstring(L, -1)) {
    lauxlib.luaL_where(L, 1);
    lua.lua_insert(L, -2);
    lua.lua_concat(L, 2);
  }
  return lua.lua_error(L);
}

/** The end of our pcall (see `ScriptVM.#pcall`), also after a pause. */
function pcallDone(L: LuaState, status: number): number {
  if (status !== lua.LUA_OK && status !== lua.LUA_YIELD) {
    restoreHooks(L);
    lua.lua_remove(L, 1);
    if (lua.lua_istable(L, -1)) {
      lua.lua_getfield(L, -1, "err");
      if (lua.lua_isstring(L, -1)) lua.lua_replace(L, -2);
      else lua.lua_pop(L, 1);
    }
    lua.lua_pushboolean(L, false);
    lua.lua_insert(L, 1);
  }
  return lua.lua_gettop(L);
}

const REPL_AOF = 1, REPL_REPLICA = 2, REPL_ALL = 3;

/** What Redis's luaRedisPcall answers when given nothing to call. */
const CALL_BOOLEAN = toLua("attempt to call a boolean value");

/** C's `(int)` of a double on x86-64: out of range or NaN -> INT_MIN. */
function cInt(d: number): number {
  return d > -2147483649 && d < 2147483648 ? Math.trunc(d) : -2147483648;
}

/** A byte string as C reads it: up to its first NUL. */
function cString(s: Bytes): Bytes {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

/** The checks a script's first write passes, in Redis's order for scripts. */
const WRITE_PHASES: readonly AdmissionPhase[] = ["readonly", "misconf", "noreplicas"];
const OOM_PHASE: readonly AdmissionPhase[] = ["oom"];
const STALE_PHASE: readonly AdmissionPhase[] = ["stale"];

/** 48-bit lrand48 state (Redis's redisLrand48, so math.random is portable). */
class Rand48 {
  #x = 0x1234abcd330en;
  seed(s: number): void {
    this.#x = ((BigInt(s | 0) & 0xffffffffn) << 16n) | 0x330en;
  }
  next(): number {
    this.#x = (this.#x * 0x5deece66dn + 0xbn) & 0xffffffffffffn;
    return Number(this.#x >> 17n);
  }
}

const RAND_MAX = 2147483647;

/**
 * One Lua interpreter with Redis's environment. Created once per server
 * and again after SCRIPT FLUSH.
 */
export class ScriptVM {
  readonly L: LuaState;
  readonly #host: VmHost;
  /**
   * The cluster service, looked up when a script first runs a command
   * (every plugin is initialised by then); null outside cluster mode.
   */
  #cluster: ClusterService | null | undefined;
  /** The auth service, looked up at the first command a script runs (null: none). */
  #auth: Services["auth"] | null | undefined;
  /** The admission checks a script's commands pass (see #check). */
  readonly #admitters: { stale: Admitter; write: Admitter; oom: Admitter };
  /** The client scripts run commands as: replies become Lua values. */
  #client!: Context;
  /** Builds command replies as Lua values on the script thread's stack. */
  #writer!: LuaReplyWriter;
  readonly #rand = new Rand48();
  #run: Run | undefined;
  #inCall = false;
  #nameCache = new Map<string, CommandEntry | undefined>();
  #globals = 0;
  /** Registry slot of the error handler. */
  #errHandler = 0;
  /** Library mode: registry slot of the function switching the globals. */
  #envSwitch = 0;
  /** KEYS and ARGV, set on every run. */
  readonly #keysArray: GlobalArray;
  readonly #argvArray: GlobalArray;
  /** Library mode: where registrations go while a library loads. */
  #sink: RegistrationSink | undefined;
  /**
   * The thread scripts run in, made on first use and again if one dies:
   * resumed, so that a script past `busy-reply-threshold` can pause (its
   * hook yields) and go on in a later task. To the script it is Lua's
   * main thread (`coroutine.running()` is nil, a yield is refused).
   */
  #co: LuaState | undefined;
  /** Its registry slot (what keeps it alive). */
  #coRef = 0;
  /** Its hook: 0 none, 1 the count hook, 2 the line hook of a kill. */
  #coHook = 0;
  /**
   * The coroutines being resumed (by `coroutine.resume` or a
   * `coroutine.wrap` function), outermost first: pairs of the thread
   * resuming and the coroutine. The hook pauses a coroutine only when the
   * chain starts at the script's thread and every thread in it can yield.
   */
  readonly #chain: LuaState[] = [];
  readonly #ar = new lua.lua_Debug();

  /**
   * `library` makes a functions VM: its chunks see globals that
   * {@link ScriptVM.loadLibrary} can switch to the loading API.
   */
  constructor(host: VmHost, library = false) {
    this.#host = host;
    const server = host.server;
    this.#admitters = {
      stale: server.admitter(STALE_PHASE),
      write: server.admitter(WRITE_PHASES),
      oom: server.admitter(OOM_PHASE),
    };
    useLua51();
    const L = lauxlib.luaL_newstate();
    this.L = L;
    this.#keysArray = { name: luaConstant(L, "KEYS"), table: undefined, len: 0 };
    this.#argvArray = { name: luaConstant(L, "ARGV"), table: undefined, len: 0 };
    this.#newThread();
    this.#open(library);
    this.#prepareThread(this.#co!);
    // Setting up grew the stack: see compactStack.
    compactStack(L);
  }

  #open(library: boolean): void {
    const L = this.L;
    lauxlib.luaL_requiref(L, "_G", openBase51, true);
    lauxlib.luaL_requiref(L, "table", lualib.luaopen_table, true);
    lauxlib.luaL_requiref(L, "string", lualib.luaopen_string, true);
    lauxlib.luaL_requiref(L, "math", lualib.luaopen_math, true);
    lauxlib.luaL_requiref(L, "coroutine", lualib.luaopen_coroutine, true);
    lauxlib.luaL_requiref(L, "debug", lualib.luaopen_debug, true);
    lua.lua_settop(L, 0);
    this.#registerApi();
    // The libraries first: they keep Lua 5.3's own functions (rawlen,
    // integer math.floor) that the sandbox then hides or replaces.
    this.#openLibs();
    this.#envSwitch = openSandbox(L, library ? makeRegister(() => this.#sink) : undefined);
    // The real globals stay reachable from JS (KEYS and ARGV go there).
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, "redis_G");
    this.#globals = lua.lua_gettop(L); // stays at stack slot 1
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, "__redis__err__handler");
    this.#errHandler = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    // Scripts run in a thread of their own (see #co) that must look like
    // the main one.
    lua.lua_getfield(L, this.#globals, "coroutine");
    lua.lua_pushstring(L, "running");
    lua.lua_pushjsfunction(L, this.#running);
    hostRawset(L, -3);
    lua.lua_pushstring(L, "yield");
    lua.lua_pushjsfunction(L, this.#yield);
    hostRawset(L, -3);
    lua.lua_pushstring(L, "resume");
    lua.lua_pushjsfunction(L, this.#coResume);
    hostRawset(L, -3);
    lua.lua_pushstring(L, "wrap");
    lua.lua_pushjsfunction(L, this.#coWrap);
    hostRawset(L, -3);
    lua.lua_pop(L, 1);
  }

  /** 5.1's `coroutine.running`: nil outside the script's own coroutines. */
  readonly #running: LuaJsFunction = (L) => {
    if (lua.lua_pushthread(L) || L === this.#co) {
      lua.lua_pop(L, 1);
      lua.lua_pushnil(L);
    }
    return 1;
  };

  /**
   * `coroutine.yield`, refused where Lua 5.1 refuses it: outside the
   * script's own coroutines (its thread stands for the main one), or
   * across a call from JS or a metamethod (see #boundary).
   */
  readonly #yield: LuaJsFunction = (L) => {
    if (L === this.#co || !lua.lua_isyieldable(L) || this.#boundary(L)) {
      lua.lua_pushstring(L, YIELD_ACROSS);
      return lua.lua_error(L);
    }
    lua.lua_yield(L, lua.lua_gettop(L));
    return 0;
  };

  /**
   * Whether Lua 5.1 would refuse a yield of the coroutine `L` here: a call
   * from a JS function is on its stack (pcall, a sort comparator ...,
   * which 5.3's continuations let yield, and the hook's pauses must), or a
   * metamethod or a for iterator that the VM called (5.1 calls them as C
   * calls).
   */
  #boundary(L: LuaState): boolean {
    const ar = this.#ar;
    for (let level = 1; lua.lua_getstack(L, level, ar); level++) {
      lua.lua_getinfo(L, "Sn", ar);
      if (ar.what?.[0] === J) return true;
      const how = ar.namewhat;
      if (
        how !== null && how !== undefined &&
        (eqBytes(how, METAMETHOD) || eqBytes(how, FOR_ITERATOR))
      ) {
        return true;
      }
    }
    return false;
  }

  /** 5.1's `coroutine.resume`. */
  readonly #coResume: LuaJsFunction = (L) => {
    const co = lua.lua_tothread(L, 1);
    lauxlib.luaL_argcheck(L, co !== null, 1, "coroutine expected");
    return resumeResults(L, this.#auxresume(L, co!, lua.lua_gettop(L) - 1, false));
  };

  /** `coroutine.resume` going on after a pause (see #resumeIn). */
  readonly #coResumeNext = (L: LuaState): number =>
    resumeResults(L, this.#resumeIn(L, lua.lua_tothread(L, 1)!, 0, false));

  /** 5.1's `coroutine.wrap`. */
  readonly #coWrap: LuaJsFunction = (L) => {
    const ok = lua.lua_isfunction(L, 1) && !lua.lua_iscfunction(L, 1);
    lauxlib.luaL_argcheck(L, ok, 1, "Lua function expected");
    const co = lua.lua_newthread(L);
    lua.lua_pushvalue(L, 1);
    lua.lua_xmove(L, co, 1);
    lua.lua_pushjsclosure(L, this.#wrapped, 1);
    return 1;
  };

  /** A function of `coroutine.wrap` (upvalue: its coroutine). */
  readonly #wrapped: LuaJsFunction = (L) => {
    const co = lua.lua_tothread(L, lua.lua_upvalueindex(1))!;
    return wrapResults(L, this.#auxresume(L, co, lua.lua_gettop(L), true));
  };

  /** A `coroutine.wrap` function going on after a pause. */
  readonly #wrappedNext = (L: LuaState): number =>
    wrapResults(L, this.#resumeIn(L, lua.lua_tothread(L, lua.lua_upvalueindex(1))!, 0, true));

  /**
   * 5.1's auxresume: resumes `co` with the `narg` values on top of `L`'s
   * stack; the count of its results moved to `L`, or -1 and its error.
   */
  #auxresume(L: LuaState, co: LuaState, narg: number, wrap: boolean): number {
    const status = costatus(L, co, this.#ar);
    if (!lua.lua_checkstack(co, narg)) lauxlib.luaL_error(L, "too many arguments to resume");
    if (status !== "suspended") {
      lua.lua_pushstring(L, `cannot resume ${status} coroutine`);
      return -1;
    }
    lua.lua_xmove(L, co, narg);
    return this.#resumeIn(L, co, narg, wrap);
  }

  /**
   * Resumes `co` from `L`. When the count hook paused it (the script is
   * past `busy-reply-threshold`), `L` is paused too, up to the script's
   * thread: its continuation resumes `co` again in the next slice.
   */
  #resumeIn(L: LuaState, co: LuaState, narg: number, wrap: boolean): number {
    const chain = this.#chain;
    chain.push(L, co);
    const status = lua.lua_resume(co, L, narg);
    chain.length -= 2;
    if (status === lua.LUA_YIELD && this.#run?.hookYield) {
      lua.lua_yieldk(L, 0, 0, wrap ? this.#wrappedNext : this.#coResumeNext);
    }
    if (status === lua.LUA_OK || status === lua.LUA_YIELD) {
      const nres = lua.lua_gettop(co);
      if (!lua.lua_checkstack(L, nres + 1)) lauxlib.luaL_error(L, "too many results to resume");
      lua.lua_xmove(co, L, nres);
      return nres;
    }
    lua.lua_xmove(co, L, 1);
    // Refused past the C stack's depth: in 5.1's words.
    if (lua.lua_type(L, -1) === lua.LUA_TSTRING && eqBytes(lua.lua_tolstring(L, -1)!, JS_STACK)) {
      lua.lua_pushstring(L, "C stack overflow");
      lua.lua_replace(L, -2);
    }
    return -1;
  }

  /**
   * Whether the hook can pause the script in `L`: its own thread, or a
   * coroutine resumed by a chain of coroutines from it, all able to yield.
   */
  #pausable(L: LuaState): boolean {
    if (!lua.lua_isyieldable(L)) return false;
    if (L === this.#co) return true;
    const chain = this.#chain;
    const n = chain.length;
    if (n === 0 || chain[0] !== this.#co || chain[n - 1] !== L) return false;
    for (let i = 0; i < n; i += 2) if (!lua.lua_isyieldable(chain[i]!)) return false;
    return true;
  }

  /**
   * cjson, cmsgpack, bit and struct (Lua source): given a light userdata
   * for `cjson.null` and {@link wrapLibFunction} to make their functions
   * behave as the C functions they are in Redis.
   */
  #openLibs(): void {
    const L = this.L;
    if (
      lauxlib.luaL_loadbuffer(L, toLua(LUA_LIBS_SOURCE), null, "=[redis-libs]") !== lua.LUA_OK
    ) {
      throw new Error(`scripting VM set-up failed: ${fromLua(lua.lua_tolstring(L, -1)!)}`);
    }
    lua.lua_pushlightuserdata(L, null);
    lua.lua_pushjsfunction(L, wrapLibFunction);
    if (lua.lua_pcall(L, 2, 0, 0) !== lua.LUA_OK) {
      throw new Error(`scripting VM set-up failed: ${fromLua(lua.lua_tolstring(L, -1)!)}`);
    }
  }

  #fn(table: number, name: string, f: LuaJsFunction): void {
    lua.lua_pushjsfunction(this.L, f);
    const pseudo = table === lua.LUA_REGISTRYINDEX;
    lua.lua_setfield(this.L, table < 0 && !pseudo ? table - 1 : table, name);
  }

  #num(name: string, n: number): void {
    lua.lua_pushnumber(this.L, n);
    lua.lua_setfield(this.L, -2, name);
  }

  #registerApi(): void {
    const L = this.L;
    lua.lua_createtable(L, 0, 32);
    this.#fn(-1, "call", (L) => this.#call(L, true));
    this.#fn(-1, "pcall", (L) => this.#call(L, false));
    this.#fn(-1, "log", (L) => this.#log(L));
    this.#num("LOG_DEBUG", 0);
    this.#num("LOG_VERBOSE", 1);
    this.#num("LOG_NOTICE", 2);
    this.#num("LOG_WARNING", 3);
    lua.lua_pushstring(L, this.#host.server.version);
    lua.lua_setfield(L, -2, "REDIS_VERSION");
    const [maj, min, pat] = this.#host.server.version.split(".").map(Number);
    this.#num("REDIS_VERSION_NUM", ((maj ?? 0) << 16) | ((min ?? 0) << 8) | (pat ?? 0));
    this.#fn(-1, "setresp", (L) => {
      const run = this.#need(L, "redis.setresp");
      if (lua.lua_gettop(L) !== 1) this.#raise(L, "redis.setresp() requires one argument.");
      const resp = Math.trunc(lua.lua_tonumber(L, -1));
      if (resp !== 2 && resp !== 3) this.#raise(L, "RESP version must be 2 or 3.");
      run.resp = resp;
      return 0;
    });
    this.#fn(-1, "sha1hex", (L) => {
      if (lua.lua_gettop(L) !== 1) this.#raise(L, "wrong number of arguments");
      lua.lua_pushstring(L, sha1hex(lua.lua_tolstring(L, 1) ?? new Uint8Array()));
      return 1;
    });
    this.#fn(-1, "error_reply", (L) => {
      if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(L, "wrong number or type of arguments");
        return 1;
      }
      // Read as a C string, up to its first NUL.
      const err = cString(fromLua(lua.lua_tolstring(L, -1)!));
      pushErrorTable(L, err.startsWith("-") ? err : "-" + err);
      return 1;
    });
    this.#fn(-1, "status_reply", (L) => {
      if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(L, "wrong number or type of arguments");
        return 1;
      }
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushvalue(L, -2);
      lua.lua_setfield(L, -2, "ok");
      return 1;
    });
    this.#fn(-1, "set_repl", (L) => {
      const run = this.#need(L, "redis.set_repl");
      if (lua.lua_gettop(L) !== 1) this.#raise(L, "redis.set_repl() requires two arguments.");
      const flags = cInt(lua.lua_tonumber(L, -1));
      if ((flags & ~REPL_ALL) !== 0) {
        this.#raise(
          L,
          "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        );
      }
      run.repl = flags;
      this.#client.noPropagation = flags === 0;
      return 0;
    });
    this.#num("REPL_NONE", 0);
    this.#num("REPL_AOF", REPL_AOF);
    this.#num("REPL_SLAVE", REPL_REPLICA);
    this.#num("REPL_REPLICA", REPL_REPLICA);
    this.#num("REPL_ALL", REPL_ALL);
    this.#fn(-1, "replicate_commands", (L) => {
      lua.lua_pushboolean(L, true);
      return 1;
    });
    this.#fn(-1, "breakpoint", (L) => {
      lua.lua_pushboolean(L, false);
      return 1;
    });
    this.#fn(-1, "debug", () => 0);
    this.#fn(-1, "acl_check_cmd", (L) => this.#aclCheck(L));
    lua.lua_setglobal(L, "redis");

    this.#fn(lua.LUA_REGISTRYINDEX, "redis_pcall", (L) => this.#pcall(L));
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, "redis_pcall");
    lua.lua_setglobal(L, "pcall");

    lua.lua_getglobal(L, "math");
    this.#fn(-1, "random", (L) => this.#mathRandom(L));
    this.#fn(-1, "randomseed", (L) => {
      this.#rand.seed(lauxlib.luaL_checknumber(L, 1) | 0);
      return 0;
    });
    lua.lua_pop(L, 1);
  }

  /** The current run, or a Lua error for an API used outside one. */
  #need(L: LuaState, what: string): Run {
    const run = this.#run;
    if (run === undefined) this.#raise(L, `${what} can only be called inside a script invocation`);
    return run;
  }

  /** Raises Redis's error table for `msg` (luaPushError + luaError). */
  #raise(L: LuaState, msg: string): never {
    pushErrorTable(L, msg);
    return lua.lua_error(L);
  }

  /**
   * Our pcall: an error table is returned as its `err` string (Redis 7).
   * A continuation, as Lua's own pcall: a script may pause inside.
   */
  #pcall(L: LuaState): number {
    const argc = lua.lua_gettop(L);
    if (argc === 0) {
      // Redis's luaRedisPcall then calls its own placeholder (`true`).
      lua.lua_pushboolean(L, false);
      lua.lua_pushstring(L, CALL_BOOLEAN);
      return 2;
    }
    lua.lua_pushboolean(L, true);
    lua.lua_insert(L, 1);
    return pcallDone(L, lua.lua_pcallk(L, argc - 1, lua.LUA_MULTRET, 0, 0, pcallDone));
  }

  #log(L: LuaState): number {
    const argc = lua.lua_gettop(L);
    if (argc < 2) this.#raise(L, "redis.log() requires two arguments or more.");
    if (lua.lua_type(L, 1) !== lua.LUA_TNUMBER && !lua.lua_isstring(L, 1)) {
      this.#raise(L, "First argument must be a number (log level).");
    }
    const level = Math.trunc(lua.lua_tonumber(L, 1));
    if (!(level >= 0 && level <= 3)) this.#raise(L, "Invalid debug level.");
    const parts: string[] = [];
    for (let i = 2; i <= argc; i++) {
      const s = lua.lua_tolstring(L, i);
      if (s !== null) parts.push(fromLua(s));
    }
    const names = ["debug", "verbose", "notice", "warning"] as const;
    this.#host.server.log(names[level]!, parts.join(" "));
    return 0;
  }

  /** Lua arguments as a command argv (luaArgsToRedisArgv), or an error. */
  #argv(L: LuaState): Bytes[] | string {
    const argc = lua.lua_gettop(L);
    if (argc === 0) return "Please specify at least one argument for this redis lib call";
    const argv: Bytes[] = new Array(argc);
    for (let i = 1; i <= argc; i++) {
      const t = lua.lua_type(L, i);
      if (t === lua.LUA_TNUMBER) {
        argv[i - 1] = formatDouble(lua.lua_tonumber(L, i));
      } else if (t === lua.LUA_TSTRING) {
        argv[i - 1] = fromLua(lua.lua_tolstring(L, i)!);
      } else {
        lua.lua_settop(L, 0);
        return "Lua redis lib command arguments must be strings or integers";
      }
    }
    lua.lua_settop(L, 0);
    return argv;
  }

  /** Finds a command as Redis's lookupCommand (subcommand included). */
  #lookup(argv: Bytes[]): CommandEntry | undefined {
    const name = argv[0]!;
    let cmd = this.#nameCache.get(name);
    if (cmd === undefined) {
      cmd = this.#host.server.commands.get(name.toLowerCase());
      if (cmd === undefined) return undefined;
      if (this.#nameCache.size < 512) this.#nameCache.set(name, cmd);
    }
    if (cmd.subcommands !== undefined && argv.length >= 2) {
      return cmd.subcommands.get(argv[1]!.toLowerCase());
    }
    return cmd;
  }

  /** redis.call (raise) and redis.pcall: Redis's scriptCall checks, then the command. */
  #call(L: LuaState, raise: boolean): number {
    const run = this.#need(L, "redis.call/pcall");
    const argv = this.#argv(L);
    if (typeof argv === "string") {
      pushErrorTable(L, argv);
      return raise ? lua.lua_error(L) : 1;
    }
    if (this.#inCall) {
      pushErrorTable(
        L,
        "luaRedisGenericCommand() recursive call detected. " +
          "Are you doing funny stuff with Lua debug hooks?",
      );
      return 1;
    }
    const err = this.#check(run, argv);
    if (typeof err === "string") {
      pushErrorTable(L, err);
      lua.lua_pushboolean(L, true);
      lua.lua_setfield(L, -2, "ignore_error_stats_update");
      return raise ? lua.lua_error(L) : 1;
    }
    const c = this.#client;
    const w = this.#writer;
    // The reply is built on the script thread's stack; a coroutine of the
    // script's gets it moved to its own.
    const wl = w.L;
    const top = L === wl ? 0 : lua.lua_gettop(wl);
    w.begin(run.resp);
    this.#inCall = true;
    try {
      this.#host.server.runCommand(c, err, argv);
    } finally {
      this.#inCall = false;
    }
    if (w.produced !== 1) {
      // A handler that wrote nothing (cannot happen for a well-formed one).
      lua.lua_settop(wl, top);
      lua.lua_settop(L, 0);
      lua.lua_pushnil(L);
    } else if (L !== wl) {
      lua.lua_xmove(wl, L, 1);
    }
    if (raise && w.isError) return lua.lua_error(L);
    return 1;
  }

  /** The command to run, or the error text refusing it. */
  #check(run: Run, argv: Bytes[]): CommandEntry | string {
    const cmd = this.#lookup(argv);
    if (cmd === undefined) return "Unknown Redis command called from script";
    const arity = cmd.spec.arity;
    if ((arity > 0 && arity !== argv.length) || argv.length < -arity) {
      return "Wrong number of args calling Redis command from script";
    }
    if (cmd.flagSet.has("noscript")) return "This Redis command is not allowed from script";
    const opts = run.opts;
    // A script allowed on a stale replica (`allow-stale`) still runs only
    // the commands flagged `stale` (Redis's scriptVerifyAllowStale).
    const adm = this.#admitters;
    if (
      !opts.obey && (cmd.traits & Trait.DENYSTALE) !== 0 && adm.stale.armed &&
      adm.stale.check(opts.caller, cmd, argv, cmd.traits) !== undefined
    ) {
      return "Can not execute the command on a stale replica";
    }
    if (!opts.obey) {
      let auth = this.#auth;
      if (auth === undefined) auth = this.#auth = this.#host.server.service("auth") ?? null;
      const v = auth?.permits(opts.caller, cmd, argv, "lua") ?? "ok";
      if (v !== "ok") {
        return v === "command"
          ? "The user executing the script can't run this command or subcommand"
          : v === "key"
          ? "The user executing the script can't access at least one of the keys " +
            "mentioned in the command arguments"
          : "The user executing the script can't publish to the channel mentioned in the command";
      }
    }
    if (opts.readOnly && (cmd.traits & Trait.MAY_REPLICATE) !== 0) {
      return "Write commands are not allowed from read-only scripts.";
    }
    // Once the script wrote, it must run to its end: the server's state is
    // checked only before its first write (Redis's scriptVerifyWriteCommandAllow
    // and scriptVerifyOOM).
    if (!run.writeDirty && !opts.obey) {
      if (cmd.isWrite && adm.write.armed) {
        const err = adm.write.check(opts.caller, cmd, argv, cmd.traits);
        if (err !== undefined) return "-" + err;
      }
      if (!opts.flags.allowOom && (cmd.traits & Trait.DENYOOM) !== 0 && adm.oom.armed) {
        const err = adm.oom.check(opts.caller, cmd, argv, cmd.traits);
        if (err !== undefined) return "-" + err;
      }
    }
    if (cmd.isWrite) run.writeDirty = true;
    if (!opts.obey) {
      // A cluster node runs only commands for its own slots (and, unless
      // the script allows cross-slot keys, for one slot).
      let cluster = this.#cluster;
      if (cluster === undefined) {
        cluster = this.#cluster = this.#host.server.service("cluster") ?? null;
      }
      if (cluster !== null) {
        const flags = opts.flags;
        const err = cluster.scriptCheck(
          opts.caller,
          cmd,
          argv,
          run,
          flags.compat || flags.allowCrossSlot,
        );
        if (err !== undefined) return err;
      }
    }
    return cmd;
  }

  #aclCheck(L: LuaState): number {
    const run = this.#need(L, "redis.acl_check_cmd");
    const argv = this.#argv(L);
    if (typeof argv === "string") this.#raise(L, argv);
    const cmd = this.#lookup(argv);
    if (cmd === undefined) this.#raise(L, "Invalid command passed to redis.acl_check_cmd()");
    const auth = this.#host.server.service("auth");
    lua.lua_pushboolean(L, (auth?.permits(run.opts.caller, cmd, argv) ?? "ok") === "ok");
    return 1;
  }

  /**
   * Compiles a script body (after its shebang line, kept as an empty line
   * so line numbers hold) into a registry slot. Returns the slot, or the
   * error reply on a syntax error.
   */
  compile(body: Bytes, shebangLength: number): number | string {
    const L = this.L;
    const src = toLua(body).subarray(shebangLength);
    if (lauxlib.luaL_loadbuffer(L, src, null, "@user_script") !== lua.LUA_OK) {
      const msg = fromLua(lua.lua_tolstring(L, -1) ?? new Uint8Array());
      lua.lua_pop(L, 1);
      // Lua 5.1 quotes the end-of-stream token.
      return "ERR Error compiling script (new function): " +
        msg.replace(/ near <eof>$/, " near '<eof>'");
    }
    // An integer registry slot: the per-run lookup hashes no string.
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /**
   * Runs a function library's code (from its shebang line's newline on, so
   * line numbers hold) as Redis's FUNCTION LOAD: its globals are then only
   * `redis.register_function`, `redis.log` and the log/version constants
   * (library mode, see the constructor), and its registrations go to
   * `sink`. Returns the error reply, or undefined once the code ran (it
   * registered what it registered).
   */
  loadLibrary(code: Bytes, offset: number, sink: RegistrationSink): string | undefined {
    const L = this.L;
    const base = this.#globals;
    lua.lua_settop(L, base);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#errHandler);
    if (
      lauxlib.luaL_loadbuffer(L, toLua(code).subarray(offset), null, "@user_function") !==
        lua.LUA_OK
    ) {
      const msg = fromLua(lua.lua_tolstring(L, -1) ?? new Uint8Array());
      lua.lua_settop(L, base);
      return "ERR Error compiling function: " + msg.replace(/ near <eof>$/, " near '<eof>'");
    }
    this.#switchEnv(true);
    this.#sink = sink;
    // Redis's luaEngineLoadHook: a library's code gets LOAD_TIMEOUT_MS.
    const deadline = performance.now() + LOAD_TIMEOUT_MS;
    const hook = (L: LuaState): void => {
      if (performance.now() <= deadline) return;
      // On every new line from now on: a pcall that catches the error
      // does not get far.
      lua.lua_sethook(L, hook, lua.LUA_MASKLINE, 0);
      pushErrorTable(L, "FUNCTION LOAD timeout");
      lua.lua_error(L);
    };
    lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, HOOK_COUNT);
    let status: number;
    try {
      status = lua.lua_pcall(L, 0, 0, base + 1);
    } finally {
      lua.lua_sethook(L, null, 0, 0);
      this.#sink = undefined;
      this.#switchEnv(false);
    }
    let err: string | undefined;
    if (status !== lua.LUA_OK) {
      if (lua.lua_istable(L, -1)) lua.lua_getfield(L, -1, "err");
      const s = lua.lua_tolstring(L, -1);
      err = "ERR Error registering functions: " +
        (s === null ? "ERR unknown error" : fromLua(s)).replace(/[\r\n]/g, " ");
    }
    lua.lua_settop(L, base);
    return err;
  }

  /** Library mode: points the globals at the loading API or back. */
  #switchEnv(loading: boolean): void {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#envSwitch);
    lua.lua_pushboolean(L, loading);
    lua.lua_pcall(L, 1, 0, 0);
  }

  /** Frees a registry slot (a function of a deleted library). */
  unref(ref: number): void {
    lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, ref);
  }

  /** Pushes `items[from..to)` as a Lua table. */
  #pushArray(items: readonly Bytes[], from: number, to: number): void {
    const L = this.L;
    lua.lua_createtable(L, to - from, 0);
    for (let i = from; i < to; i++) {
      pushBytes(L, items[i]!);
      lua.lua_rawseti(L, -2, i - from + 1);
    }
  }

  /**
   * Sets KEYS or ARGV in the real globals table for a run. Redis makes new
   * tables each time; nothing a script can write outlives its run (the
   * globals and the libraries are read-only), so refilling the last run's
   * table is the same to it, and saves making one, as long as the table is
   * as the host left it (the script may have changed it: then it is made
   * anew).
   */
  #setArray(g: GlobalArray, items: readonly Bytes[], from: number, to: number): void {
    const L = this.L;
    const t = g.table;
    if (t !== undefined && isHostArray(t, g.len)) {
      refillArray(L, t, items, from, to, g.len);
      g.len = to - from;
      return;
    }
    pushConstant(L, g.name);
    this.#pushArray(items, from, to);
    g.table = tableAt(L, -1);
    g.len = to - from;
    hostRawset(L, this.#globals);
  }

  /** Runs a compiled script and writes its reply to the caller. */
  run(opts: RunOptions): void {
    const L = this.L;
    const caller = opts.caller;
    if (
      opts.flags.noCluster && !opts.flags.compat &&
      this.#host.server.service("cluster") !== undefined
    ) {
      caller.reply.error("ERR Can not run script on cluster, 'no-cluster' flag is set.");
      return;
    }
    const base = this.#globals;
    // The last script's end left it there (see #finish).
    if (lua.lua_gettop(L) !== base) lua.lua_settop(L, base);
    const co = this.#thread();
    lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, opts.ref);
    let nargs = 0;
    const argv = opts.argv, keysEnd = 3 + opts.numkeys;
    if (!opts.fn) {
      this.#setArray(this.#keysArray, argv, 3, keysEnd);
      this.#setArray(this.#argvArray, argv, keysEnd, argv.length);
    } else {
      this.#pushArray(argv, 3, keysEnd);
      this.#pushArray(argv, keysEnd, argv.length);
      lua.lua_xmove(L, co, 2);
      nargs = 2;
    }
    const c = this.#client;
    c.db = caller.db;
    c.user = caller.user;
    c.noPropagation = false;
    const scripts = this.#host.scripts;
    const threshold = scripts.threshold;
    const run = new Run(opts, threshold);
    // Redis sets its hook only with a threshold: 0 never pauses.
    const hook = threshold > 0 ? 1 : 0;
    if (this.#coHook !== hook) {
      this.#coHook = hook;
      if (hook === 1) lua.lua_sethook(co, this.#hook, lua.LUA_MASKCOUNT, HOOK_COUNT);
      else lua.lua_sethook(co, null, 0, 0);
    }
    this.#run = run;
    // (Setting an array's length is a runtime call even when it is 0.)
    if (this.#chain.length !== 0) this.#chain.length = 0;
    scripts.active = run;
    // One block for the AOF and the replicas, open while the script
    // pauses: its effects leave when it ends.
    this.#host.server.beginAtomic();
    this.#resume(run, co, nargs);
  }

  /** The script's thread, made when there is none. */
  #thread(): LuaState {
    return this.#co ?? this.#newThread();
  }

  /**
   * A new thread for scripts, with the client their commands run as, whose
   * replies are built on that thread's stack.
   */
  #newThread(): LuaState {
    const L = this.L;
    const co = lua.lua_newthread(L);
    this.#coRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.#co = co;
    this.#coHook = 0;
    this.#writer = new LuaReplyWriter(co);
    const c = this.#host.server.createInternalClient({ reply: this.#writer });
    c.blockable = false;
    c.flags.script = true;
    this.#client = c;
    if (this.#errHandler !== 0) this.#prepareThread(co);
    return co;
  }

  /**
   * Puts Redis's error handler at the thread's first stack slot, for good,
   * as the handler of the errors that end a script: called where the error
   * is raised (lua_pcall's `msgh`), it adds the script's source and line.
   * A script runs above it.
   */
  #prepareThread(co: LuaState): void {
    lua.lua_rawgeti(co, lua.LUA_REGISTRYINDEX, this.#errHandler);
    (co as unknown as { errfunc: number }).errfunc = HANDLER_SLOT;
  }

  /**
   * Runs (or goes on with) the script until it ends, or pauses where its
   * caller can wait: the caller's command is suspended, the server busy,
   * and the next slice runs in a later task.
   */
  #resume(run: Run, co: LuaState, nargs: number): void {
    let status: number;
    try {
      status = lua.lua_resume(co, this.L, nargs);
      while (status === lua.LUA_YIELD) {
        if (!run.hookYield) break; // cannot happen: coroutine.yield is refused
        run.hookYield = false;
        if (!run.noPause && !this.#host.scripts.stopped) {
          run.step ??= () => this.#step(run);
          const call = run.opts.caller.suspendCall(run.step);
          if (call !== undefined) {
            run.call = call;
            this.#pause(run);
            return;
          }
          run.noPause = true;
        }
        status = lua.lua_resume(co, this.L, 0);
      }
    } catch (e) {
      this.#end(run);
      this.#dropThread();
      throw e;
    }
    this.#finish(run, co, status);
  }

  /** Pauses the script: the server is busy until it ends. */
  #pause(run: Run): void {
    const server = this.#host.server;
    if (server.busy === undefined) server.setBusy(this.#host.scripts.busyError(run));
    run.next ??= () => {
      run.timer = undefined;
      if (!this.#host.scripts.stopped) run.call!.resume();
    };
    run.timer = setTimeout(run.next, 0);
  }

  /** A slice of a paused script (a step of its caller's suspended call). */
  #step(run: Run): void {
    run.pauseAt = performance.now() + SLICE_MS;
    this.#resume(run, this.#co!, 0);
  }

  /**
   * The count hook (Redis's luaMaskCountHook): a killed script raises
   * Redis's error, and one past `busy-reply-threshold` pauses where it can:
   * in its own code, in library callbacks (`table.sort`'s comparator, a
   * `gsub` function: see `_callbacks51.ts`) and pcall, and in its own
   * coroutines (see #resumeIn), not inside a call from a JS function
   * without a continuation (an `__lt` of a sort without comparator,
   * xpcall's handler, `load`'s reader), where nothing can yield.
   * No one can send SCRIPT KILL while it cannot pause: once it has been
   * unable to for another `busy-reply-threshold`, it is stopped as SCRIPT
   * KILL would stop it, if it has not written (one that wrote runs on, as
   * in Redis, where only SHUTDOWN NOSAVE ends it).
   */
  readonly #hook = (L: LuaState): void => {
    const run = this.#run;
    if (run === undefined) return;
    const log = (msg: string) => this.#host.server.log("warning", msg);
    if (!run.killed) {
      const now = performance.now();
      if (now < run.pauseAt) return;
      if (run.start === 0) {
        run.start = now;
        run.pauseAt = now + run.threshold;
        return;
      }
      if (!run.timedOut) {
        run.timedOut = true;
        log(
          `Slow script detected: still in execution after ${Math.floor(now - run.start)} ` +
            `milliseconds. You can try killing the script using the ${
              run.opts.fn ? "FUNCTION KILL" : "SCRIPT KILL"
            } command. Script name is: ${run.opts.name}.`,
        );
      }
      if (run.noPause) return;
      if (this.#pausable(L)) {
        run.hookYield = true;
        lua.lua_yield(L, 0);
        return;
      }
      const stuck = now - run.pauseAt;
      if (run.writeDirty || stuck < this.#host.scripts.threshold) return;
      log(
        `Lua script killed: it could not be paused for ${Math.floor(stuck)} milliseconds ` +
          "(inside a call from JS that cannot yield).",
      );
      run.killed = true;
    } else {
      log("Lua script killed by user with SCRIPT KILL.");
    }
    // On every new line from now on, as Redis: a pcall that catches the
    // error does not get far. Only in this thread, as Redis: in a coroutine,
    // the script's thread raises it at its next count (the error handler it
    // runs there when the error goes on through a `coroutine.wrap` function
    // must not raise it again).
    lua.lua_sethook(L, this.#hook, lua.LUA_MASKLINE, 0);
    if (L === this.#co) this.#coHook = 2;
    pushErrorTable(L, "Script killed by user with SCRIPT KILL...");
    lua.lua_error(L);
  };

  /** The run is over: nothing of it is left running or open. */
  #end(run: Run): void {
    this.#run = undefined;
    const scripts = this.#host.scripts;
    if (scripts.active === run) scripts.active = undefined;
    this.#client.noPropagation = false;
    const server = this.#host.server;
    if (run.call !== undefined && server.busy !== undefined) server.setBusy(undefined);
    server.endAtomic();
  }

  /** Forgets a thread that died (a new one is made for the next run). */
  #dropThread(): void {
    if (this.#co === undefined) return;
    lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, this.#coRef);
    this.#co = undefined;
  }

  /** Writes the script's reply (or error) to its caller. */
  #finish(run: Run, co: LuaState, status: number): void {
    this.#end(run);
    const opts = run.opts;
    const w = opts.caller.reply;
    if (status === lua.LUA_OK) {
      // Its first result, as lua_pcall(..., 1, ...) keeps it.
      lua.lua_settop(co, HANDLER_SLOT + 1);
      replyFromLua(co, w, run.resp);
      lua.lua_settop(co, HANDLER_SLOT);
    } else {
      // The error ended the thread (it died): the error value moves to the
      // main stack, the thread goes back to its base for the next script.
      const L = this.L;
      lua.lua_xmove(co, L, 1);
      resetThread(co, HANDLER_SLOT);
      if (lua.lua_istable(L, -1)) {
        w.error(errorMessage(L, opts.name));
      } else {
        const s = lua.lua_tolstring(L, -1);
        w.error(
          `ERR Error running script ${opts.name}, ${
            s === null ? "execution failure" : fromLua(s).slice(0, 100)
          }`.replace(/[\r\n]/g, " "),
        );
      }
    }
    compactStack(co);
    lua.lua_settop(this.L, this.#globals);
    compactStack(this.L);
  }

  /** math.random on lrand48, as Redis (the same sequence everywhere). */
  #mathRandom(L: LuaState): number {
    const r = (this.#rand.next() % RAND_MAX) / RAND_MAX;
    const argc = lua.lua_gettop(L);
    if (argc === 0) {
      lua.lua_pushnumber(L, r);
    } else if (argc === 1) {
      const u = lauxlib.luaL_checknumber(L, 1) | 0;
      if (u < 1) lauxlib.luaL_argerror(L, 1, "interval is empty");
      lua.lua_pushnumber(L, Math.floor(r * u) + 1);
    } else if (argc === 2) {
      const l = lauxlib.luaL_checknumber(L, 1) | 0, u = lauxlib.luaL_checknumber(L, 2) | 0;
      if (l > u) lauxlib.luaL_argerror(L, 2, "interval is empty");
      lua.lua_pushnumber(L, Math.floor(r * (u - l + 1)) + l);
    } else {
      lauxlib.luaL_error(L, "wrong number of arguments");
    }
    return 1;
  }
}

/** The reply for a script's error table (luaCallFunction's error path). */
function errorMessage(L: LuaState, sha: string): string {
  const field = (name: string): string | undefined => {
    lua.lua_getfield(L, -1, name);
    const s = lua.lua_isstring(L, -1) ? fromLua(lua.lua_tolstring(L, -1)!) : undefined;
    lua.lua_pop(L, 1);
    return s;
  };
  const msg = field("err") ?? "ERR unknown error";
  const source = field("source"), line = field("line");
  let out = msg;
  if (source !== undefined && line !== undefined) out += ` script: ${sha}, on ${source}:${line}.`;
  return out.replace(/[\r\n]/g, " ");
}
