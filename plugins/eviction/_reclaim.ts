/**
 * Giving the heap a burst of writes left behind back to the system once
 * the server is idle.
 *
 * A `Map` grows by copying its entries into a table twice the size; the
 * old table (about 15 MB for half a million keys) is freed only by V8's
 * next full collection, as are the requests' objects that reached the old
 * generation, and the young generation keeps the largest size the burst
 * gave it. A server that goes quiet after a bulk load allocates nothing,
 * so that collection never comes (V8's memory reducer, which would run it,
 * does not under Deno). So when the number of keys moved by
 * {@link RECLAIM_KEYS} or the heap grew by {@link RECLAIM_BYTES} since the
 * last collection, and no command ran for {@link IDLE_MS}, one full
 * collection runs: about 80 ms for 632,000 keys, on a server nobody is
 * talking to. Measured one second after redis-benchmark's SET fills of
 * 100,000 and 1,000,000 random keys: RSS 95 -> 80 MiB and 146 -> 133 MiB.
 * MEMORY PURGE runs one on demand, as Redis's asks its allocator to give
 * memory back.
 *
 * The collection is V8's `gc()`: available where Deno runs with
 * `--expose-gc`, and otherwise taken from a `node:vm` context made with the
 * flag turned on for that moment (both taken at the first collection: see
 * core/node_builtin.ts).
 *
 * @module
 */

import { nodeBuiltin } from "../../core/node_builtin.ts";

/** Keys added or removed since the last collection that call for one. */
export const RECLAIM_KEYS = 50_000;
/** Heap growth since the last collection that calls for one. */
export const RECLAIM_BYTES = 32 * 1024 * 1024;
/** How long no command must have run (the server is idle). */
export const IDLE_MS = 300;
/**
 * How often a quiet server's key count is looked at again (keys expire or
 * get evicted with no command running): counting them on every cron tick
 * of an idle server was enough for V8 to compile the count, and its
 * compiler's pages joined the idle RSS.
 */
export const LOOK_MS = 1000;

let collect: (() => void) | null | undefined;

/** V8's full collection, or null where it cannot be had. */
function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === "function") return collect = own as () => void;
  const v8 = nodeBuiltin<typeof import("node:v8")>("node:v8");
  try {
    const vm = nodeBuiltin<typeof import("node:vm")>("node:vm");
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    collect = typeof gc === "function" ? gc as () => void : null;
  } catch {
    collect = null;
  } finally {
    try {
      v8.setFlagsFromString("--no-expose-gc");
    } catch {
      // Left on: only new `node:vm` contexts would see a `gc` global.
    }
  }
  return collect;
}

/**
 * Runs a full garbage collection now; false when the runtime offers none.
 *
 * @example
 * ```ts
 * import { collectGarbage } from "./_reclaim.ts";
 * console.log(typeof collectGarbage()); // "boolean"
 * ```
 */
export function collectGarbage(): boolean {
  const gc = collector();
  if (gc === null) return false;
  gc();
  return true;
}

/** The heap's size (committed), without `node:v8`. */
function heapBytes(): number {
  return Deno.memoryUsage().heapTotal;
}

/**
 * Decides, tick by tick, when a collection is due (see the module's notes).
 *
 * @example
 * ```ts
 * import { IdleReclaimer } from "./_reclaim.ts";
 * const r = new IdleReclaimer(() => true);
 * console.log(r.tick(0, 0, () => 0)); // false: nothing changed
 * ```
 */
export class IdleReclaimer {
  #keys = 0;
  #heap: number;
  #commands = -1;
  #quietSince = 0;
  /**
   * The key count of this quiet spell's last look at the heap, -1 before
   * it: while no command runs and no key comes or goes, the answer stands
   * (reading the heap's size opens a /proc file).
   */
  #judgedKeys = -1;
  #judgedAt = 0;

  /** `run` collects (and says whether it could). */
  constructor(private readonly run: () => boolean = collectGarbage) {
    this.#heap = heapBytes();
  }

  /**
   * One cron tick at `nowMs`, with the server's command count and how to
   * count its keys; true when it collected.
   */
  tick(nowMs: number, commands: number, keysNow: () => number): boolean {
    if (commands !== this.#commands) {
      this.#commands = commands;
      this.#quietSince = nowMs;
      this.#judgedKeys = -1;
      return false;
    }
    if (nowMs - this.#quietSince < IDLE_MS) return false;
    if (this.#judgedKeys !== -1 && nowMs - this.#judgedAt < LOOK_MS) return false;
    this.#judgedAt = nowMs;
    const keys = keysNow();
    if (keys === this.#judgedKeys) return false;
    this.#judgedKeys = keys;
    if (Math.abs(keys - this.#keys) < RECLAIM_KEYS && heapBytes() - this.#heap < RECLAIM_BYTES) {
      return false;
    }
    this.collected(keys, this.run());
    return true;
  }

  /** Records a collection (also MEMORY PURGE's): the new reference point. */
  collected(keys: number, ran = true): void {
    this.#keys = keys;
    // Where none can run, the next tick must not try again at once.
    this.#heap = ran ? heapBytes() : Infinity;
  }
}
