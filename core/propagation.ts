/**
 * Propagation: how a write leaves for the AOF and the replicas. The
 * dispatcher emits a command that counted changes as received, a handler
 * that called `c.propagate(argv)` emits that form instead, and an expiry
 * emits a DEL; every one reaches the `propagate` hooks in order.
 * `atomically` groups what a command emits (EXEC, a script, a blocked
 * command served) into MULTI ... EXEC, sent when the command ends.
 *
 * @module
 */

import type { Bytes } from "./types.ts";

/** A `propagate` hook. */
export type PropagateHook = (dbIndex: number, argv: readonly Bytes[]) => void;

/** The block's bounds, shared: hooks get argv read-only. */
const MULTI: readonly Bytes[] = Object.freeze(["MULTI"]);
const EXEC: readonly Bytes[] = Object.freeze(["EXEC"]);

/**
 * The propagate fan-out of one server.
 *
 * @example
 * ```ts
 * import { Propagation } from "./propagation.ts";
 * const out: string[] = [];
 * const p = new Propagation({ propagate: [(db, argv) => out.push(`${db} ${argv.join(" ")}`)] });
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
  /**
   * What the open block emitted, as (database, argv) pairs: it leaves when
   * the block closes, as Redis 7 propagates a command's effects once the
   * call ends. A block may stay open across tasks (a suspended script),
   * and nothing may reach the hooks in its middle. Reused from block to
   * block.
   */
  #held: (number | readonly Bytes[])[] = [];
  #spare: (number | readonly Bytes[])[] = [];

  /**
   * `lists` holds the server's `propagate` list, read at each call: the
   * server replaces it when hooks are registered or rearmed.
   */
  constructor(readonly lists: { readonly propagate: readonly PropagateHook[] }) {}

  /** Sends a write to every `propagate` hook (at the end of an open block). */
  emit(dbIndex: number, argv: readonly Bytes[]): void {
    const hs = this.lists.propagate;
    if (hs.length === 0) return;
    if (this.#depth !== 0) {
      this.#held.push(dbIndex, argv);
      return;
    }
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
      this.end();
    }
  }

  /** Opens a block that {@link Propagation.end} closes (see `atomically`). */
  begin(): void {
    this.#depth++;
  }

  /** Closes a block; the outermost sends what it held. */
  end(): void {
    if (--this.#depth !== 0) return;
    const held = this.#held;
    const n = held.length;
    if (n === 0) return;
    // Swapped first: a hook may propagate (a block of its own) meanwhile.
    this.#held = this.#spare;
    const hs = this.lists.propagate;
    if (n === 2) {
      // One write is atomic by itself: it goes out unwrapped.
      for (let i = 0; i < hs.length; i++) hs[i]!(held[0] as number, held[1] as readonly Bytes[]);
    } else {
      // MULTI under the first write's database, EXEC under the last one's,
      // so no SELECT comes between.
      for (let i = 0; i < hs.length; i++) hs[i]!(held[0] as number, MULTI);
      for (let j = 0; j < n; j += 2) {
        for (let i = 0; i < hs.length; i++) {
          hs[i]!(held[j] as number, held[j + 1] as readonly Bytes[]);
        }
      }
      for (let i = 0; i < hs.length; i++) hs[i]!(held[n - 2] as number, EXEC);
    }
    held.length = 0;
    this.#spare = held;
  }
}
