/**
 * Assertions over `node:assert/strict` (the `@std/assert` package is not
 * installable here), with the argument order Deno users expect.
 *
 * @module
 */

import assert from "node:assert/strict";

/** Deep, strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg);
}

/** Truthiness. */
export function assertOk(value: unknown, msg?: string): asserts value {
  assert.ok(value, msg);
}

/** The value matches a regular expression. */
export function assertMatch(actual: string, re: RegExp, msg?: string): void {
  assert.match(actual, re, msg);
}

/** The promise rejects (optionally with a message matching `re`). */
export async function assertRejects(fn: () => Promise<unknown>, re?: RegExp): Promise<void> {
  if (re) await assert.rejects(fn, re);
  else await assert.rejects(fn);
}

/** The function throws (optionally with a message matching `re`). */
export function assertThrows(fn: () => unknown, re?: RegExp): void {
  if (re) assert.throws(fn, re);
  else assert.throws(fn);
}
