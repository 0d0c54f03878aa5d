/**
 * Random identifiers (run ids, replication ids).
 *
 * @module
 */

/**
 * `n` random hexadecimal characters, as Redis's `getRandomHexChars`.
 *
 * @example
 * ```ts
 * import { randomHex } from "./random.ts";
 * console.log(randomHex(40).length); // 40
 * ```
 */
export function randomHex(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2)));
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s.slice(0, n);
}
