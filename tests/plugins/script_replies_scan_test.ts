/**
 * No JS exception reaches a client from a script or a function: the
 * scripting and functions test suites (every `scripting*_test.ts` and
 * `functions*_test.ts` here, and the BullMQ test) run again in this file
 * with a watcher on every byte the Respite servers they start send to
 * their clients, and the last test fails if any of it reads as a JS
 * exception's text.
 */

import { assertEquals } from "../_assert.ts";
import { watchReplies } from "../_helpers.ts";

/**
 * What a JS exception's message or name leaves in a reply (Redis's own
 * "given type is not a function", FUNCTION RESTORE's, is no such text).
 */
const JS_TEXT =
  /RangeError|TypeError|ReferenceError|SyntaxError:|InternalError|Maximum call stack|(?<!given type )is not a function|is not defined|is not iterable|Cannot read propert|Cannot set propert|Cannot convert|Invalid array length|Invalid typed array|Invalid string length|undefined|\[object /;

/** What each client's last write ended with: a text cut between two writes is still found. */
const tails = new Map<number, string>();
const found: string[] = [];

watchReplies((client, bytes) => {
  let s = tails.get(client) ?? "";
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 8192)));
  }
  const m = JS_TEXT.exec(s);
  if (m !== null && found.length < 20) {
    found.push(JSON.stringify(s.slice(Math.max(0, m.index - 120), m.index + 120)));
  }
  tails.set(client, s.slice(-40));
});

const here = new URL(".", import.meta.url);
const suites = [...Deno.readDirSync(here)]
  .map((e) => e.name)
  .filter((n) => /^(scripting|functions).*_test\.ts$/.test(n))
  .sort()
  .map((n) => new URL(n, here).href);
for (const suite of [...suites, new URL("../bullmq_test.ts", here).href]) await import(suite);

Deno.test("scripts and functions: no reply of their suites carries a JS exception's text", () => {
  assertEquals(suites.length >= 4, true, "the suites were found");
  assertEquals(found, []);
});
