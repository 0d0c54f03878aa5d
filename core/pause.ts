/**
 * CLIENT PAUSE, as Redis 7.0's `pauseClients`: while a pause is on, the
 * dataset stands still. Commands that may write or replicate (WRITE), or
 * all commands (ALL), wait instead of running: the dispatcher parks their
 * clients and runs them, in order, when the pause ends. Keys neither expire
 * nor get evicted meanwhile (a read still sees an expired key as gone).
 * Replicas' connections are never paused; a replica's link to its master
 * is (its stream waits, unread bytes pile up).
 *
 * The pause lives on the keyspace (`Keyspace.pause`), so expiry, eviction
 * and the dispatcher test one field, `level`, and pay nothing while it is
 * 0. Its end is a timer, and the cron checks it too (for clocks that jump).
 *
 * @module
 */

import type { Clock } from "./clock.ts";
import { Trait } from "./types.ts";

/** Pause levels, Redis's `CLIENT_PAUSE_*` in their order of strictness. */
export const PauseLevel = {
  OFF: 0,
  /** Commands that may write or replicate wait. */
  WRITE: 1,
  /** Every command waits. */
  ALL: 2,
} as const;

/**
 * Why a pause is on (Redis's `pause_purpose`): CLIENT PAUSE, FAILOVER
 * holding writes while a replica takes over, or MIGRATE holding them while
 * its target restores the keys (Redis blocks the whole server then).
 */
export type PausePurpose = "client" | "failover" | "migrate";

/**
 * The marker of a postponed client's block (`BlockSpec.data`): such a
 * client waits for the pause's end, not for a key.
 */
export const POSTPONED: unique symbol = Symbol("postponed by CLIENT PAUSE");

/**
 * A server's client pause.
 *
 * @example
 * ```ts
 * import { Pause, PauseLevel } from "./pause.ts";
 * import { ManualClock } from "./clock.ts";
 * import { Trait } from "./types.ts";
 * const clock = new ManualClock(0);
 * const pause = new Pause(clock);
 * pause.start(PauseLevel.WRITE, 1000);
 * console.log(pause.holds(Trait.WRITE), pause.holds(Trait.READ)); // true false
 * clock.advance(1000);
 * pause.tick();
 * console.log(pause.level); // 0
 * ```
 */
export class Pause {
  /** The current level ({@link PauseLevel}); 0 when off. */
  level: number = PauseLevel.OFF;
  /** When the pause ends (Unix ms): the latest end of its purposes. */
  end = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiting: (() => void)[] = [];
  /**
   * The pause of each purpose (Redis's `client_pause_per_purpose`): CLIENT
   * PAUSE's and FAILOVER's are kept apart, so CLIENT UNPAUSE does not end
   * a failover's and each ends on its own.
   */
  #purposes = new Map<PausePurpose, { level: number; end: number }>();

  constructor(readonly clock: Clock) {}

  /**
   * Starts or extends the pause of a purpose until `end`: a pause already on
   * for it keeps the later end and the stricter level, as Redis's does.
   */
  start(level: number, end: number, purpose: PausePurpose = "client"): void {
    const p = this.#purposes.get(purpose);
    if (p === undefined) this.#purposes.set(purpose, { level, end });
    else {
      if (level > p.level) p.level = level;
      if (end > p.end) p.end = end;
    }
    this.#update();
  }

  /** Ends the purposes whose time has come (the timer, the cron). */
  tick(now: number = this.clock.now()): void {
    if (this.level === PauseLevel.OFF) return;
    let ended = false;
    for (const [purpose, p] of this.#purposes) {
      if (now >= p.end) {
        this.#purposes.delete(purpose);
        ended = true;
      }
    }
    if (ended) this.#update();
  }

  /**
   * Ends a purpose's pause (CLIENT UNPAUSE, a failover's end). What waited
   * runs in a later task, in the order it was postponed, as Redis runs the
   * paused clients after the current command; what another purpose still
   * holds waits again.
   */
  stop(purpose: PausePurpose = "client"): void {
    if (this.#purposes.delete(purpose)) this.#update();
  }

  /** Recomputes the level and end from the purposes; releases waiters when the level drops. */
  #update(): void {
    let level: number = PauseLevel.OFF, end = 0, next = Infinity;
    for (const p of this.#purposes.values()) {
      if (p.level > level) level = p.level;
      if (p.end > end) end = p.end;
      if (p.end < next) next = p.end;
    }
    const dropped = level < this.level;
    this.level = level;
    this.end = end;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (next !== Infinity && next < Number.MAX_SAFE_INTEGER) {
      this.#timer = setTimeout(
        () => {
          this.#timer = undefined;
          this.tick();
        },
        // Timers take at most 2^31-1 ms; the cron checks the end too.
        Math.min(2147483647, Math.max(0, next - this.clock.now())),
      );
    }
    if (!dropped || this.#waiting.length === 0) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    setTimeout(() => {
      for (const fn of waiting) fn();
    }, 0);
  }

  /**
   * Whether a command with these {@link Trait} bits waits now: every
   * command under ALL, those that may write or replicate under WRITE.
   */
  holds(traits: number): boolean {
    return this.level === PauseLevel.ALL ||
      (this.level === PauseLevel.WRITE && (traits & (Trait.WRITE | Trait.MAY_REPLICATE)) !== 0);
  }

  /**
   * Runs `fn` once the pause is over or weaker (immediately, in a later
   * task, when it is off): `fn` checks again whether it is still held.
   */
  whenOver(fn: () => void): void {
    if (this.level === PauseLevel.OFF) setTimeout(fn, 0);
    else this.#waiting.push(fn);
  }

  /** Clears the timer (the server shuts down); waiting work is dropped. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#waiting = [];
    this.#purposes.clear();
  }
}
