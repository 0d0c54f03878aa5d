/**
 * Function libraries as Redis 7.0's functions.c keeps them: libraries by
 * name (case-sensitive), a library's functions by name (case-sensitive:
 * `f` and `F` may both be registered), every function by name across
 * libraries (case-insensitive: FCALL finds `F` as `f`, the last linked
 * wins), creating a library from its code (FUNCTION LOAD) and
 * joining a set of libraries into another (FUNCTION RESTORE).
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { Script, ScriptVM } from "../scripting/_vm.ts";
import { BAD_NAME, parseLibraryMeta, validName } from "./_meta.ts";
import type { Registration } from "./_register.ts";

/** A registered function. */
export interface FunctionInfo {
  readonly name: Bytes;
  readonly ref: number;
  readonly description: Bytes | undefined;
  /** What the VM runs: `sha` is the function's name (error messages). */
  readonly script: Script;
  readonly library: Library;
}

/** A library: its code and the functions it registered. */
export interface Library {
  readonly name: Bytes;
  readonly code: Bytes;
  /** By name, in registration order. */
  readonly functions: Map<string, FunctionInfo>;
}

/** A set of libraries (Redis's functionsLibCtx). */
export class Libraries {
  readonly libraries: Map<Bytes, Library> = new Map();
  /** By lower-case name. */
  readonly functions: Map<string, FunctionInfo> = new Map();
  /** Functions of all libraries (FUNCTION STATS's `functions_count`). */
  functionCount = 0;

  link(lib: Library): void {
    this.libraries.set(lib.name, lib);
    for (const f of lib.functions.values()) this.functions.set(f.name.toLowerCase(), f);
    this.functionCount += lib.functions.size;
  }

  unlink(lib: Library): void {
    this.libraries.delete(lib.name);
    for (const f of lib.functions.values()) this.functions.delete(f.name.toLowerCase());
    this.functionCount -= lib.functions.size;
  }
}

/** Creates libraries in one VM (the Lua engine). */
export class LibraryEngine {
  #pending: Library | undefined;

  constructor(readonly vm: () => ScriptVM) {}

  /** Takes a registration for the library being loaded (see `makeRegister`). */
  register(r: Registration): string | undefined {
    const lib = this.#pending;
    if (lib === undefined) {
      return "redis.register_function can only be called on FUNCTION LOAD command";
    }
    if (!validName(r.name)) return BAD_NAME;
    if (lib.functions.has(r.name)) return "Function already exists in the library";
    lib.functions.set(r.name, {
      name: r.name,
      ref: r.ref,
      description: r.description,
      script: { sha: r.name, body: lib.code, flags: r.flags },
      library: lib,
    });
    return undefined;
  }

  /** Whether a library is loading (register_function is allowed). */
  get loading(): boolean {
    return this.#pending !== undefined;
  }

  /** Frees a library's functions in the VM. */
  release(lib: Library): void {
    for (const f of lib.functions.values()) this.vm().unref(f.ref);
  }

  /**
   * FUNCTION LOAD into `ctx` (functionsCreateWithLibraryCtx): returns the
   * library's name or the error reply. With `replace` a library of the
   * same name is replaced (its functions may then be reused).
   */
  create(ctx: Libraries, code: Bytes, replace: boolean): { name: Bytes } | { error: string } {
    const meta = parseLibraryMeta(code);
    if (typeof meta === "string") return { error: meta };
    if (!validName(meta.name)) return { error: `ERR ${BAD_NAME}` };
    if (meta.engine.toLowerCase() !== "lua") {
      return { error: `ERR Engine '${meta.engine}' not found` };
    }
    const old = ctx.libraries.get(meta.name);
    if (old !== undefined && !replace) {
      return { error: `ERR Library '${meta.name}' already exists` };
    }
    const lib: Library = { name: meta.name, code, functions: new Map() };
    const vm = this.vm();
    this.#pending = lib;
    let err: string | undefined;
    try {
      err = vm.loadLibrary(code, meta.offset);
    } finally {
      this.#pending = undefined;
    }
    if (err === undefined && lib.functions.size === 0) err = "ERR No functions registered";
    if (err === undefined) {
      for (const f of lib.functions.values()) {
        const other = ctx.functions.get(f.name.toLowerCase());
        if (other !== undefined && other.library !== old) {
          err = `ERR Function ${f.name} already exists`;
          break;
        }
      }
    }
    if (err !== undefined) {
      this.release(lib);
      return { error: err };
    }
    if (old !== undefined) {
      ctx.unlink(old);
      this.release(old);
    }
    ctx.link(lib);
    return { name: lib.name };
  }

  /**
   * Adds `src`'s libraries to `dst` (libraryJoin); with `replace` those of
   * the same name are replaced. Returns the error reply, `dst` unchanged.
   */
  join(dst: Libraries, src: Libraries, replace: boolean): string | undefined {
    const replaced: Library[] = [];
    for (const lib of src.libraries.values()) {
      const old = dst.libraries.get(lib.name);
      if (old === undefined) continue;
      if (!replace) return `ERR Library ${lib.name} already exists`;
      replaced.push(old);
    }
    for (const [k, f] of src.functions) {
      const other = dst.functions.get(k);
      if (other !== undefined && !replaced.includes(other.library)) {
        return `ERR Function ${f.name} already exists`;
      }
    }
    for (const old of replaced) {
      dst.unlink(old);
      this.release(old);
    }
    for (const lib of src.libraries.values()) dst.link(lib);
    return undefined;
  }

  /** Frees every library of `ctx` and empties it. */
  clear(ctx: Libraries): void {
    for (const lib of ctx.libraries.values()) this.release(lib);
    ctx.libraries.clear();
    ctx.functions.clear();
    ctx.functionCount = 0;
  }
}
