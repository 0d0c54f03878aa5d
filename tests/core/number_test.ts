/**
 * Integer parsing with Redis's string2ll rules: the one-pass parser for
 * short strings must accept and refuse exactly what the general path does
 * (no sign but "-", no leading zeros, no "-0", no spaces, 64-bit range).
 */

import { parseInteger } from "../../core/number.ts";
import { assertEquals } from "../_assert.ts";
import { prng } from "../_helpers.ts";

/** The rules as a RegExp and BigInt: the reference. */
function reference(s: string): number | undefined {
  if (s === "0") return 0;
  if (!/^-?[1-9][0-9]{0,18}$/.test(s)) return undefined;
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return undefined;
  return Number(s);
}

Deno.test("parseInteger: string2ll's rules at every length", () => {
  const cases = [
    "",
    "0",
    "-0",
    "00",
    "01",
    "-01",
    "-",
    "--1",
    "+1",
    " 1",
    "1 ",
    "1a",
    "a1",
    "1.0",
    "1e3",
    "\x001",
    "1\x00",
    "\u0661",
    "7",
    "-7",
    "10",
    "-10",
    "999999999999999",
    "-99999999999999",
    "123456789012345",
    "1234567890123456",
    "-123456789012345",
    "9007199254740991",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999",
  ];
  for (const s of cases) assertEquals(parseInteger(s), reference(s), JSON.stringify(s));
  // Random strings over digits, "-" and a few others, every length to 21.
  const rand = prng(5);
  const alphabet = "0123456789-+ a.";
  for (let n = 0; n < 20000; n++) {
    const len = Math.floor(rand() * 22);
    let s = "";
    for (let i = 0; i < len; i++) {
      s += rand() < 0.9
        ? alphabet[Math.floor(rand() * 10)]
        : alphabet[Math.floor(rand() * alphabet.length)];
    }
    assertEquals(parseInteger(s), reference(s), JSON.stringify(s));
  }
});
