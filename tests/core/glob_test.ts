/**
 * Unit tests of core/glob.ts. The case-sensitive expectations were taken
 * from redis-server 7.0 (a key named by the string, then KEYS pattern).
 *
 * @module
 */

import { globMatch } from "../../core/glob.ts";
import { assertEquals } from "../_assert.ts";

const CASES: [string, string, boolean][] = [
  ["*", "abc", true],
  ["**", "", false],
  ["", "", true],
  ["", "a", false],
  ["a", "", false],
  ["?", "", false],
  ["?", "a", true],
  ["?", "ab", false],
  ["??", "ab", true],
  ["a*", "a", true],
  ["a*", "abc", true],
  ["*c", "abc", true],
  ["*c", "ab", false],
  ["a*c", "ac", true],
  ["a*c", "abbbc", true],
  ["a*c", "abbbcd", false],
  ["a*b*c", "aXbYc", true],
  ["a*b*c", "aXcYb", false],
  ["*a*", "bab", true],
  ["***", "x", true],
  ["a**", "a", true],
  ["h[ae]llo", "hello", true],
  ["h[ae]llo", "hallo", true],
  ["h[ae]llo", "hillo", false],
  ["h[^e]llo", "hello", false],
  ["h[^e]llo", "hallo", true],
  ["h[a-b]llo", "hbllo", true],
  ["h[b-a]llo", "hallo", true],
  ["h[a-b]llo", "hcllo", false],
  ["h[^a-b]llo", "hcllo", true],
  ["[abc", "a", true],
  ["[abc", "d", false],
  ["[", "[", false],
  ["[", "a", false],
  ["[^", "a", true],
  ["[^", "^", true],
  ["[a-", "a", true],
  ["[a-", "-", true],
  ["[a-", "b", false],
  ["[]", "]", false],
  ["[]]", "]", false],
  ["[\\]]", "]", true],
  ["[\\]", "\\", false],
  ["[\\", "\\", true],
  ["[-]", "-", true],
  ["[a-]", "-", false],
  ["[-a]", "a", true],
  ["\\", "\\", true],
  ["\\\\", "\\", true],
  ["\\*", "*", true],
  ["\\*", "a", false],
  ["\\?", "?", true],
  ["\\?", "a", false],
  ["a\\", "a\\", true],
  ["\\a", "a", true],
  ["*\\", "x\\", true],
  ["*\\*", "x*", true],
  ["*\\*", "xy", false],
  ["[*]", "*", true],
  ["[?]", "a", false],
  ["[a-\xff]", "\xff", true],
  ["[a-\xff]", "\x80", false],
  ["[a-\xff]", "b", false],
  ["[\x01-\x90]", "\xff", true],
  ["[\x01-\x90]", "\x02", false],
  ["[\x80]", "\x80", true],
  ["\xff*", "\xff\x00", true],
  ["a\x00b", "a\x00b", true],
  ["a?b", "a\x00b", true],
  ["[^\x00]", "\x00", false],
  ["A", "a", false],
  ["[A-Z]", "a", false],
  ["*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false],
  ["[a-c]*[x-z]", "bqqqy", true],
  ["user:*:name", "user:42:name", true],
];

Deno.test("globMatch agrees with Redis's stringmatchlen", () => {
  for (const [pattern, s, want] of CASES) {
    assertEquals(globMatch(pattern, s), want, `${JSON.stringify(pattern)} ~ ${JSON.stringify(s)}`);
  }
});

Deno.test("globMatch: a lone * does not match the empty string", () => {
  // KEYS and SCAN special-case "*"; stringmatchlen itself refuses "".
  assertEquals(globMatch("*", ""), false);
  assertEquals(globMatch("*", "x"), true);
});

Deno.test("globMatch: nocase folds ASCII letters after range swapping", () => {
  assertEquals(globMatch("A", "a", true), true);
  assertEquals(globMatch("a", "A", true), true);
  assertEquals(globMatch("[A-Z]", "q", true), true);
  assertEquals(globMatch("h[^E]llo", "hello", true), false);
  assertEquals(globMatch("\\A*", "abc", true), true);
  // Redis lower-cases the range ends after ordering them: Z-a becomes z-a,
  // an empty range; case-sensitively it holds [\\]^_`.
  assertEquals(globMatch("[Z-a]", "_", true), false);
  assertEquals(globMatch("[Z-a]", "_", false), true);
});

Deno.test("globMatch: deep star nesting stays bounded", () => {
  const t0 = performance.now();
  assertEquals(globMatch("*a".repeat(40) + "b", "a".repeat(200)), false);
  assertEquals(performance.now() - t0 < 1000, true);
});
