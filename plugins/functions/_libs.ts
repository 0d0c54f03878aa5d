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
import type { LibraryVm, Registration } from "../scripting/mod.ts";
import { BAD_NAME, parseLibraryMeta, validName } from "./_meta.ts";

/** A registered function, in its library. */
export interface FunctionInfo extends Registration {
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
  /** The VM, created on first use (see the plugin). */
  constructor(readonly vm: () => LibraryVm) {}

  /** Takes a registration of the library being loaded, or returns the error refusing it. */
  #register(lib: Library, r: Registration): string | undefined {
    if (!validName(r.name)) return BAD_NAME;
    if (lib.functions.has(r.name)) return "Function already exists in the library";
    lib.functions.set(r.name, { ...r, library: lib });
    return undefined;
  }

  /** Frees a library's functions in the VM. */
  release(lib: Library): void {
    for (const f of lib.functions.values()) this.vm().release(f);
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
    let err = this.vm().load(code, meta.offset, (r) => this.#register(lib, r));
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

/** One server's libraries (Redis's `curr_functions_lib_ctx`) and their engine. */
export class FunctionStore {
  readonly engine: LibraryEngine;
  current: Libraries = new Libraries();

  constructor(vm: () => LibraryVm) {
    this.engine = new LibraryEngine(vm);
  }

  /** Every library's code, in creation order. */
  codes(): Bytes[] {
    return [...this.current.libraries.values()].map((l) => l.code);
  }

  /** Loads codes into a new set of libraries, or returns the first error reply. */
  build(codes: readonly Bytes[]): Libraries | { error: string } {
    const ctx = new Libraries();
    for (const code of codes) {
      const r = this.engine.create(ctx, code, false);
      if ("error" in r) {
        this.engine.clear(ctx);
        return r;
      }
    }
    return ctx;
  }

  /** Makes `ctx` the current libraries, freeing the old ones. */
  replace(ctx: Libraries): void {
    this.engine.clear(this.current);
    this.current = ctx;
  }
}
