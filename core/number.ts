/**
 * Number parsing and formatting with Redis's rules, shared by every family.
 *
 * @module
 */

import { ReplyError } from "./errors.ts";

const INT_RE = /^-?[1-9][0-9]{0,18}$/;

/**
 * Parses a 64-bit signed integer as Redis's string2ll: no spaces, no "+", no
 * leading zeros. Values beyond 2^53 lose precision in a JS number, so they
 * are refused unless `bigOk` (callers that need the full range use BigInt).
 * Undefined when invalid.
 *
 * @example
 * ```ts
 * import { parseInteger } from "./number.ts";
 * console.log(parseInteger("42"), parseInteger("042")); // 42 undefined
 * ```
 */
export function parseInteger(s: string): number | undefined {
  if (s === "0") return 0;
  if (!INT_RE.test(s)) return undefined;
  const n = Number(s);
  if (Number.isSafeInteger(n)) return n;
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return undefined;
  return n;
}

/**
 * Parses a 64-bit signed integer into a BigInt (exact over the full range),
 * or undefined.
 */
export function parseBigInteger(s: string): bigint | undefined {
  if (s === "0") return 0n;
  if (!INT_RE.test(s)) return undefined;
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return undefined;
  return b;
}

/**
 * Parses an integer argument or throws Redis's
 * `ERR value is not an integer or out of range`.
 */
export function intArg(s: string, msg = "ERR value is not an integer or out of range"): number {
  const n = parseInteger(s);
  if (n === undefined) throw new ReplyError(msg);
  return n;
}

const FLOAT_RE = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity)$/i;

/**
 * Parses a float as Redis's string2ld/strtold: no surrounding spaces,
 * `inf`/`-inf` accepted, NaN refused. Undefined when invalid.
 *
 * @example
 * ```ts
 * import { parseFloatStrict } from "./number.ts";
 * console.log(parseFloatStrict("1.5"), parseFloatStrict("-inf")); // 1.5 -Infinity
 * ```
 */
export function parseFloatStrict(s: string): number | undefined {
  if (s.length === 0 || s.length > 5000 || !FLOAT_RE.test(s)) return undefined;
  const t = s.toLowerCase();
  if (t.endsWith("inf") || t.endsWith("infinity")) {
    return t.startsWith("-") ? -Infinity : Infinity;
  }
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * Formats a double like C's `%.17g` (what Redis 7.0 replies for scores).
 *
 * @example
 * ```ts
 * import { formatDouble } from "./number.ts";
 * console.log(formatDouble(1.1)); // "1.1000000000000001"
 * ```
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const e = d.toExponential(16);
  const at = e.indexOf("e");
  const exp = Number(e.slice(at + 1));
  if (exp < -4 || exp >= 17) {
    let mant = e.slice(0, at);
    if (mant.includes(".")) mant = mant.replace(/\.?0+$/, "");
    const ae = Math.abs(exp);
    return `${mant}e${exp < 0 ? "-" : "+"}${ae < 10 ? "0" : ""}${ae}`;
  }
  let f = d.toFixed(16 - exp);
  if (f.includes(".")) f = f.replace(/\.?0+$/, "");
  return f;
}

/**
 * Formats a number the way Redis prints a long double for humans
 * (INCRBYFLOAT, HINCRBYFLOAT): fixed notation, no exponent, no trailing
 * zeros. Uses the shortest representation that round-trips, which matches
 * Redis's 80-bit arithmetic in the common cases.
 *
 * @example
 * ```ts
 * import { formatHumanFloat } from "./number.ts";
 * console.log(formatHumanFloat(10.5 + 0.1)); // "10.6"
 * ```
 */
export function formatHumanFloat(d: number): string {
  if (Object.is(d, -0)) return "0";
  const s = String(d);
  if (!s.includes("e")) return s;
  // Expand exponent notation into plain digits.
  const neg = d < 0;
  const [mant, expStr] = (neg ? s.slice(1) : s).split("e") as [string, string];
  const exp = Number(expStr);
  const [ip, fp = ""] = mant.split(".") as [string, string?];
  const digits = ip + fp;
  const point = ip.length + exp;
  let out: string;
  if (point <= 0) {
    out = "0." + "0".repeat(-point) + digits;
  } else if (point >= digits.length) {
    out = digits + "0".repeat(point - digits.length);
  } else {
    out = digits.slice(0, point) + "." + digits.slice(point);
  }
  return (neg ? "-" : "") + out;
}
