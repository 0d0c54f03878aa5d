/**
 * Redis's LFU counter (`evict.c`): an 8-bit logarithmic access counter
 * with the minute it was last decremented, packed into one small integer
 * (`minutes << 8 | counter`) so a per-key entry stays a V8 small integer.
 *
 * @module
 */

/** Redis's `LFU_INIT_VAL`: the counter of a new key. */
export const LFU_INIT_VAL = 5;

/** Minutes since the epoch, on 16 bits, as Redis's `LFUGetTimeInMinutes`. */
export function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 65535;
}

/** The packed value of a new key. */
export function lfuNew(nowMs: number): number {
  return lfuMinutes(nowMs) * 256 + LFU_INIT_VAL;
}

/**
 * The counter decayed by the minutes elapsed since its last decrement
 * (`LFUDecrAndReturn`), one step per `decayTime` minutes.
 *
 * @example
 * ```ts
 * import { lfuCounter, lfuNew } from "./_lfu.ts";
 * const v = lfuNew(0);
 * console.log(lfuCounter(v, 3 * 60000, 1)); // 2
 * ```
 */
export function lfuCounter(packed: number, nowMs: number, decayTime: number): number {
  const ldt = packed >> 8;
  const counter = packed & 255;
  const now = lfuMinutes(nowMs);
  const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  const periods = decayTime > 0 ? Math.floor(elapsed / decayTime) : 0;
  return periods > counter ? 0 : counter - periods;
}

/**
 * An access (`updateLFU`): decays, then increments with probability
 * 1 / ((counter - LFU_INIT_VAL) * logFactor + 1), as `LFULogIncr`.
 */
export function lfuTouch(
  packed: number,
  nowMs: number,
  opts: { decayTime: number; logFactor: number },
): number {
  let counter = lfuCounter(packed, nowMs, opts.decayTime);
  if (counter < 255) {
    const base = Math.max(0, counter - LFU_INIT_VAL);
    if (Math.random() < 1 / (base * opts.logFactor + 1)) counter++;
  }
  return lfuMinutes(nowMs) * 256 + counter;
}
