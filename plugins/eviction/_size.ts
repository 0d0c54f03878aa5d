/**
 * Estimates of how many bytes a key costs in V8's heap, for `maxmemory`.
 *
 * V8's own figure (`Deno.memoryUsage().heapUsed`) moves only after a
 * garbage collection and counts garbage, so it cannot tell, command by
 * command, whether the dataset is over the limit. These estimates are
 * calibrated instead on what V8 spends per object (measured with
 * `--expose-gc` on Deno 2.9, 64-bit, no pointer compression):
 *
 * - a flat one-byte string: a 16-byte header plus its bytes, rounded up
 *   to 8;
 * - a `Map` entry: about 37 bytes (key, value and chain slots, plus the
 *   bucket array at the table's average load), 53 when the value is a
 *   heap number (an expiry or access time in ms is not a small integer);
 * - container elements: the element strings plus their structure's share.
 *
 * Containers are measured from a sample of their first few elements times
 * their length (5 by default, as Redis's MEMORY USAGE), so the estimate
 * stays O(1) per write even on a list of a million elements; MEMORY USAGE
 * ... SAMPLES picks another count. A plugin's type gives its own estimate
 * through its value type's `memoryUsage`.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { type Value, type ValueType, viewOf } from "../../core/keyspace.ts";
import { heapStringBytes } from "../../core/value_type.ts";

/** A `Map` entry whose value is a pointer or a small integer. */
export const MAP_ENTRY = 40;
/**
 * An entry of a database's key table: a `Map` entry plus its int32 tag
 * (the access time) at the table's average load.
 */
export const KEY_ENTRY = MAP_ENTRY + 6;
/** A `Map` entry whose value is a heap number (times in ms). */
export const MAP_ENTRY_NUMBER = 56;
/**
 * How many elements of a container are looked at to size it (Redis's
 * `OBJ_COMPUTE_SIZE_DEF_SAMPLES`).
 */
export const DEFAULT_SAMPLES = 5;

/** Per-element structure overhead beyond the element strings, by type. */
const ELEMENT_OVERHEAD: Record<string, number> = {
  list: 8, // one slot in the deque's ring buffer
  set: MAP_ENTRY, // a Set (or intset array) entry
  hash: MAP_ENTRY, // a Map entry, field and value strings counted apart
  zset: MAP_ENTRY + 24, // member -> score map entry plus a B-tree slot and score
};

/** Average bytes of the first `samples` elements (strings), or a default. */
function sampleAverage(
  items: Iterable<Bytes | [Bytes, Bytes]>,
  samples: number,
  fallback: number,
): number {
  let n = 0, total = 0;
  for (const it of items) {
    total += typeof it === "string"
      ? heapStringBytes(it.length)
      : heapStringBytes(it[0].length) + heapStringBytes(it[1].length);
    if (++n === samples) break;
  }
  return n === 0 ? fallback : total / n;
}

/**
 * Estimated bytes of a stored value (not its key nor its table entry),
 * from `samples` of a container's elements (0: all of them). A value
 * whose registered type in `types` has `memoryUsage` is measured by it.
 *
 * @example
 * ```ts
 * import { valueBytes } from "./_size.ts";
 * console.log(valueBytes("hello")); // 24
 * ```
 */
export function valueBytes(
  v: Value,
  types?: ReadonlyMap<string, ValueType>,
  samples: number = DEFAULT_SAMPLES,
): number {
  if (typeof v === "string") return heapStringBytes(v.length);
  const own = types?.get(v.type)?.memoryUsage?.(v);
  if (own !== undefined && Number.isFinite(own) && own >= 0) return Math.round(own);
  const len = "length" in v && typeof v.length === "number" ? v.length : 1;
  const per = ELEMENT_OVERHEAD[v.type] ?? 64;
  let avg = 32;
  const n = samples === 0 ? Infinity : samples;
  const hash = viewOf(v, "hash");
  const elements = viewOf(v, "list") ?? viewOf(v, "set") ?? viewOf(v, "zset");
  if (hash !== undefined) avg = sampleAverage(hash.pairs(), n, 48);
  else if (elements !== undefined) avg = sampleAverage(elements.elements(), n, 24);
  // The object itself and its backing structure's fixed part.
  return 96 + Math.round(len * (avg + per));
}

/**
 * Estimated bytes one key costs: its name, its value (measured with
 * `types`, see {@link valueBytes}), its entry in the key table, in the
 * expiry table when it has a TTL, and the bookkeeping kept for it (`extra`:
 * access-time, size and LFU entries).
 */
export function keyBytes(
  key: Bytes,
  v: Value,
  hasTtl: boolean,
  extra: number,
  types?: ReadonlyMap<string, ValueType>,
  samples: number = DEFAULT_SAMPLES,
): number {
  return heapStringBytes(key.length) + valueBytes(v, types, samples) + KEY_ENTRY +
    (hasTtl ? MAP_ENTRY_NUMBER : 0) + extra;
}
