/**
 * EVAL's script cache (Redis's `lctx.lua_scripts`): scripts by SHA-1,
 * compiled once into the server's Lua VM, which is created on first use
 * and dropped with the cache by SCRIPT FLUSH.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";
import { sha1hex } from "../../core/sha1.ts";
import { parseShebang, type ScriptFlags } from "./_flags.ts";
import type { Script, ScriptVM, VmHost } from "./_vm.ts";
import { engine } from "./_engine.ts";

/** The scripts one server has compiled, and the VM they live in. */
export class ScriptCache {
  readonly #host: VmHost;
  readonly #scripts = new Map<string, Script>();
  /** EVAL of a known body: one Map lookup instead of a SHA-1. */
  readonly #byBody = new Map<Bytes, Script>();
  #vm: ScriptVM | undefined;

  constructor(host: VmHost) {
    this.#host = host;
  }

  /**
   * The VM, created on first use: a server that runs no script pays
   * nothing (the engine itself is loaded then too, see `_engine.ts`).
   */
  get vm(): ScriptVM {
    return this.#vm ??= new (engine().ScriptVM)(this.#host);
  }

  /** Scripts cached. */
  get size(): number {
    return this.#scripts.size;
  }

  /** The script of a SHA-1 (any case), if cached. */
  get(sha: string): Script | undefined {
    return this.#scripts.get(sha.toLowerCase());
  }

  /**
   * The script EVAL found last: a client repeating one body (the same
   * string, as the parser keeps it) skips the Map lookups.
   */
  #last: Script | undefined;

  /** Finds or compiles a body (luaCreateFunction); throws its error reply. */
  create(body: Bytes): Script {
    const last = this.#last;
    if (last !== undefined && last.body === body) return last;
    const same = this.#byBody.get(body);
    if (same !== undefined) return this.#last = same;
    const sha = sha1hex(body);
    const known = this.#scripts.get(sha);
    if (known !== undefined) return known;
    const parsed = parseShebang(body);
    if (typeof parsed === "string") throw new ReplyError(parsed);
    const ref = this.vm.compile(body, parsed.length);
    if (typeof ref === "string") throw new ReplyError(ref);
    const script: Script = { sha, body, flags: parsed.flags, ref };
    this.#scripts.set(sha, script);
    this.#byBody.set(body, script);
    return script;
  }

  /**
   * The flags EVAL or EVALSHA of `arg` (a body or a SHA-1) runs with: a
   * cached script's, or the shebang of a body not compiled yet; undefined
   * when unknown (evalGetCommandFlags).
   */
  flagsOf(arg: Bytes, bySha: boolean): ScriptFlags | undefined {
    if (bySha) return arg.length === 40 ? this.get(arg)?.flags : undefined;
    const last = this.#last;
    if (last !== undefined && last.body === arg) return last.flags;
    const known = this.#byBody.get(arg)?.flags;
    if (known !== undefined) return known;
    const parsed = parseShebang(arg);
    return typeof parsed === "string" ? undefined : parsed.flags;
  }

  /** SCRIPT FLUSH: every script, and the VM with them. */
  flush(): void {
    this.#last = undefined;
    this.#scripts.clear();
    this.#byBody.clear();
    this.#vm = undefined;
  }

  /** Bytes INFO reports as `used_memory_scripts_eval`. */
  memory(): number {
    let bytes = 0;
    for (const s of this.#scripts.values()) bytes += s.body.length + 40;
    return bytes;
  }
}
