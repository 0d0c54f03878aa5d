/**
 * The clock every TTL, timeout and timestamp reads. Injectable, so tests can
 * move time without sleeping.
 *
 * @module
 */

/**
 * A source of Unix time in milliseconds.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./clock.ts";
 * const clock = new ManualClock(1_000);
 * clock.advance(500);
 * console.log(clock.now()); // 1500
 * ```
 */
export interface Clock {
  now(): number;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (for tests). */
export class ManualClock implements Clock {
  #t: number;
  constructor(start: number = Date.now()) {
    this.#t = start;
  }
  now(): number {
    return this.#t;
  }
  /** Moves time forward by `ms`. */
  advance(ms: number): void {
    this.#t += ms;
  }
  /** Sets the absolute time. */
  set(ms: number): void {
    this.#t = ms;
  }
}
