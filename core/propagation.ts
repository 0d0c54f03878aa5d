/**
 * Propagation: how a write leaves for the AOF and the replicas. The
 * dispatcher emits a command that counted changes as received, a handler
 * that called `c.propagate(argv)` emits that form instead, and an expiry
 * emits a DEL; every one reaches the `propagate` hooks in order.
 * `atomically` groups what a command emits (EXEC, a script, a blocked
 * command served) into MULTI ... EXEC.
 *
 * @module
 */

import type { Bytes } from "./types.ts";

/** A `propagate` hook. */
export type PropagateHook = (dbIndex: number, argv: readonly Bytes[]) => void;

/**
 * The propagate fan-out of one server.
 *
 * @example
 * ```ts
 * import { Propagation } from "./propagation.ts";
 * const out: string[] = [];
 * const p = new Propagation([(db, argv) => out.push(`${db} ${argv.join(" ")}`)]);
 * p.atomically(() => {
 *   p.emit(0, ["SET", "a", "1"]);
 *   p.emit(0, ["SET", "b", "2"]);
 * });
 * p.atomically(() => p.emit(1, ["DEL", "c"]));
 * console.log(out); // ["0 MULTI", "0 SET a 1", "0 SET b 2", "0 EXEC", "1 DEL c"]
 * ```
 */
export class Propagation {
  #depth = 0;
  #opened = false;
  /** The database of the last write inside `atomically`. */
  #lastDb = 0;
  /** The first write inside `atomically`, held until a second one comes. */
  #pending: [number, readonly Bytes[]] | undefined;

  /**
   * `hooks` is the server's list itself: hooks registered later are
   * called too.
   */
  constructor(readonly hooks: readonly PropagateHook[]) {}

  /** Sends a write to every `propagate` hook. */
  emit(dbIndex: number, argv: readonly Bytes[]): void {
    const hs = this.hooks;
    if (hs.length === 0) return;
    if (this.#depth !== 0 && !this.#opened) {
      // Redis 7 wraps only two or more writes: hold the first until a
      // second one comes (MULTI goes under the first one's database).
      const first = this.#pending;
      if (first === undefined) {
        this.#pending = [dbIndex, argv];
        return;
      }
      this.#pending = undefined;
      this.#opened = true;
      for (let i = 0; i < hs.length; i++) hs[i]!(first[0], ["MULTI"]);
      for (let i = 0; i < hs.length; i++) hs[i]!(first[0], first[1]);
    }
    this.#lastDb = dbIndex;
    for (let i = 0; i < hs.length; i++) hs[i]!(dbIndex, argv);
  }

  /**
   * Runs `fn`; what it emits goes out as one MULTI ... EXEC block. As in
   * Redis 7, a single write goes out unwrapped and nothing goes out when
   * nothing was written. Nests: the outermost call closes the block.
   */
  atomically<T>(fn: () => T): T {
    this.#depth++;
    try {
      return fn();
    } finally {
      if (--this.#depth === 0) {
        const single = this.#pending;
        if (single !== undefined) {
          // One write is atomic by itself: it goes out unwrapped.
          this.#pending = undefined;
          for (const h of this.hooks) h(single[0], single[1]);
        } else if (this.#opened) {
          this.#opened = false;
          // Under the last command's database, so no SELECT comes between.
          for (const h of this.hooks) h(this.#lastDb, ["EXEC"]);
        }
      }
    }
  }
}
