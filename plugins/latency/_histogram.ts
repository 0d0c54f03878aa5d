/**
 * A command's latency histogram, compatible with the HdrHistogram Redis
 * 7.0 keeps per command (1 ns to 1 s, 2 significant digits): the same
 * bucket boundaries, so LATENCY HISTOGRAM and INFO latencystats give
 * Redis's numbers.
 *
 * Compact: Redis records whole microseconds, and HdrHistogram tells apart
 * every one of them up to 131 µs, then groups them. So a slot per whole
 * microsecond up to 131, then a slot per HdrHistogram counter, in an array
 * that grows only as far as the slowest call: a command that never took
 * over 100 µs holds about 100 slots instead of HdrHistogram's 3072
 * counters, and recording it is one array increment.
 *
 * @module
 */

/** Redis's LATENCY_HISTOGRAM_MAX_VALUE (ns). */
const MAX_NS = 1_000_000_000;
/** log2 of half the sub-buckets of one bucket (2 significant digits: 256 sub-buckets). */
const HALF_MAGNITUDE = 7;
/** Counters in all (HdrHistogram's counts_len for 1 ns .. 1 s). */
const COUNTS_LEN = 3072;

/** The counter index of `ns` (HdrHistogram's counts_index_for). */
export function indexOf(ns: number): number {
  const bucket = 32 - Math.clz32(ns | 255) - (HALF_MAGNITUDE + 1);
  return ((bucket + 1) << HALF_MAGNITUDE) + (ns >>> bucket) - (1 << HALF_MAGNITUDE);
}

/** Whole microseconds with a slot each. */
const EXACT_US = 132;
/** The HdrHistogram counter of the first grouped slot. */
const GROUPED_BASE = indexOf(EXACT_US * 1000);
/** Slots in all: up to the counter of 1 s. */
const SLOTS = EXACT_US + indexOf(MAX_NS) - GROUPED_BASE + 1;

/** The slot of a call of `micros` µs. */
function slotOf(micros: number): number {
  if (micros < EXACT_US) return micros | 0;
  const ns = micros >= MAX_NS / 1000 ? MAX_NS : Math.floor(micros) * 1000;
  return EXACT_US + indexOf(ns) - GROUPED_BASE;
}

/** The HdrHistogram counter a slot stands for. */
function counterOf(slot: number): number {
  return slot < EXACT_US ? indexOf(slot === 0 ? 1 : slot * 1000) : slot - EXACT_US + GROUPED_BASE;
}

function bucketOf(index: number): number {
  const b = (index >> HALF_MAGNITUDE) - 1;
  return b < 0 ? 0 : b;
}

/** The lowest value counted at `index`. */
function lowestAt(index: number): number {
  const b = (index >> HALF_MAGNITUDE) - 1;
  const sub = (index & ((1 << HALF_MAGNITUDE) - 1)) + (1 << HALF_MAGNITUDE);
  return b < 0 ? sub - (1 << HALF_MAGNITUDE) : sub * 2 ** b;
}

/** The highest value counted at `index`. */
function highestAt(index: number): number {
  return lowestAt(index) + 2 ** bucketOf(index) - 1;
}

/**
 * Durations of one command.
 *
 * @example
 * ```ts
 * import { LatencyHistogram } from "./_histogram.ts";
 * const h = new LatencyHistogram();
 * for (const us of [1, 2, 3, 150]) h.record(us);
 * console.log(h.cdf()); // [ [ 1, 1 ], [ 2, 2 ], [ 4, 3 ], [ 264, 4 ] ]
 * console.log(h.percentile(50)); // 2007
 * ```
 */
export class LatencyHistogram {
  #slots = new Float64Array(16);
  /** Calls recorded. */
  total = 0;

  /**
   * Records `calls` calls of `micros` µs each (Redis records whole
   * microseconds, as ns).
   */
  record(micros: number, calls = 1): void {
    const i = slotOf(micros);
    let slots = this.#slots;
    if (i >= slots.length) {
      const grown = new Float64Array(Math.min(SLOTS, Math.max(i + 1, slots.length * 2)));
      grown.set(slots);
      this.#slots = slots = grown;
    }
    slots[i]! += calls;
    this.total += calls;
  }

  /**
   * The value (ns) at a percentile, as HdrHistogram's
   * `hdr_value_at_percentile`: the highest value of the counter where the
   * percentile falls (the lowest for the 0th).
   */
  percentile(p: number): number {
    const requested = p < 100 ? p : 100;
    let target = Math.trunc((requested / 100) * this.total + 0.5);
    if (target < 1) target = 1;
    const slots = this.#slots;
    let sum = 0;
    for (let i = 0; i < slots.length; i++) {
      sum += slots[i]!;
      if (sum >= target) return p === 0 ? lowestAt(counterOf(i)) : highestAt(counterOf(i));
    }
    return 0;
  }

  /**
   * The cumulative distribution LATENCY HISTOGRAM replies: `[µs, calls at
   * or below]` at each power of two from 1024 ns (HdrHistogram's log
   * iterator), where the count grew.
   */
  cdf(): [number, number][] {
    const out: [number, number][] = [];
    const slots = this.#slots;
    let sum = 0, prev = 0, i = 0;
    for (let level = 1024; sum < this.total; level *= 2) {
      // Past 1 s the iterator ends on the last counter.
      const top = level > MAX_NS ? COUNTS_LEN - 1 : indexOf(level);
      for (; i < slots.length && counterOf(i) <= top; i++) sum += slots[i]!;
      if (sum > prev) out.push([Math.floor(highestAt(top) / 1000), sum]);
      prev = sum;
      if (level > MAX_NS) break;
    }
    return out;
  }
}
