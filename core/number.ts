/**
 * Number parsing and formatting with Redis's rules, shared by every family.
 *
 * @module
 */

import { ReplyError } from "./errors.ts";
import { ConfigError } from "./config.ts";

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
  const len = s.length;
  if (len !== 0 && len <= 15) {
    // Up to 15 digits: exact in a double, parsed in one pass (a RegExp
    // test and Number() cost several times this on every count, index
    // and numkeys argument).
    let i = 0, ch = s.charCodeAt(0);
    const neg = ch === 45; // "-"
    if (neg) ch = len === 1 ? 0 : s.charCodeAt(++i);
    if (ch < 49 || ch > 57) return ch === 48 && len === 1 ? 0 : undefined;
    let v = ch - 48;
    for (i++; i < len; i++) {
      ch = s.charCodeAt(i);
      if (ch < 48 || ch > 57) return undefined;
      v = v * 10 + ch - 48;
    }
    return neg ? -v : v;
  }
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
  // Fast path: a safe integer's shortest form is its exact digits, which
  // is what %.17g prints for it (beyond 2^53 they can differ).
  if (Number.isSafeInteger(d) && d !== 0) return String(d);
  return formatG(d, 17);
}

const nanBits = new Float64Array(1);
const nanBytes = new Uint8Array(nanBits.buffer);

/** Whether a NaN has its sign bit set. */
function nanSign(d: number): boolean {
  nanBits[0] = d;
  return (nanBytes[7]! & 0x80) !== 0;
}

/**
 * Formats a double like C's `%.<precision>g` (2 to 17 significant digits),
 * rounding ties to even as glibc's printf does. NaN is `nan`, or `-nan`
 * with its sign bit set as glibc prints it (x86's 0/0 is one).
 *
 * @example
 * ```ts
 * import { formatG } from "./number.ts";
 * console.log(formatG(1e15, 14), formatG(0.1, 17)); // "1e+15" "0.10000000000000001"
 * ```
 */
export function formatG(d: number, precision: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return nanSign(d) ? "-nan" : "nan";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  let e = d.toExponential(precision - 1);
  // toExponential rounds an exact tie away from zero; printf to even. A
  // tie needs d = N * 10^k exactly, N of precision + 1 digits: then 5^-k
  // divides N, so d has at most TIE_BITS[precision] binary fraction digits.
  if (Number.isInteger(d * TIE_SCALE[precision]!)) e = halfEven(d, e, precision);
  const at = e.indexOf("e");
  const exp = Number(e.slice(at + 1));
  const neg = d < 0 ? "-" : "";
  const digits = e.slice(neg.length, at).replace(".", "");
  if (exp < -4 || exp >= precision) {
    const frac = digits.slice(1).replace(/0+$/, "");
    const ae = Math.abs(exp);
    return `${neg}${digits[0]}${frac ? "." + frac : ""}e${exp < 0 ? "-" : "+"}${
      ae < 10 ? "0" : ""
    }${ae}`;
  }
  // Fixed notation from the same rounded digits (toFixed would round again).
  const int = exp < 0 ? "0" : digits.slice(0, exp + 1);
  const frac = (exp < 0 ? "0".repeat(-exp - 1) + digits : digits.slice(exp + 1)).replace(/0+$/, "");
  return `${neg}${int}${frac ? "." + frac : ""}`;
}

/** 2^floor((p + 1) * log5(10)) by precision p: see {@link formatG}. */
const TIE_SCALE = Array.from(
  { length: 18 },
  (_, p) => 2 ** Math.floor((p + 1) * Math.log(10) / Math.log(5)),
);

/**
 * `e` (d rounded to `precision` digits by toExponential) with an exact tie
 * rounded to even instead. 40 digits show a tie exactly: a double that is
 * no (precision + 1)-digit decimal differs from every one by more than
 * 10^-33 of itself.
 */
function halfEven(d: number, e: string, precision: number): string {
  const long = d.toExponential(40);
  const at = long.indexOf("e");
  const cut = (d < 0 ? 2 : 1) + precision; // sign, first digit and point
  if (!/^50*$/.test(long.slice(cut, at))) return e;
  if ((long.charCodeAt(cut - 1) & 1) === 1) return e;
  return long.slice(0, cut) + long.slice(at);
}

/** The result of {@link strtod}: the value and how many chars it consumed. */
export interface Strtod {
  value: number;
  used: number;
  /**
   * glibc's ERANGE: overflow to infinity, underflow to zero, or a
   * subnormal result that is not exact.
   */
  erange: boolean;
}

const DEC_RE =
  /^[ \t\n\v\f\r]*([+-]?)(?:(inf(?:inity)?|nan(?:\([0-9a-z_]*\))?)|0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?|([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?)/i;

/**
 * C's `strtod` on a byte string: leading white space, sign, decimal or
 * hexadecimal digits with an exponent, `inf`/`infinity`, `nan`.
 *
 * @example
 * ```ts
 * import { strtod } from "./number.ts";
 * console.log(strtod("1.5e3xyz")); // { value: 1500, used: 5, erange: false }
 * ```
 */
export function strtod(s: string): Strtod {
  const m = DEC_RE.exec(s);
  const none = { value: 0, used: 0, erange: false };
  if (m === null) return none;
  const neg = m[1] === "-";
  if (m[2] !== undefined) {
    const v = m[2][0]!.toLowerCase() === "n" ? NaN : Infinity;
    return { value: neg ? -v : v, used: m[0].length, erange: false };
  }
  if (m[3] !== undefined) {
    const int = m[3], frac = m[4] ?? "";
    if (int.length + frac.length === 0) {
      // "0x" alone: strtod reads the "0" and stops before the "x".
      return { value: 0, used: m[0].indexOf("0") + 1, erange: false };
    }
    let mant = 0;
    for (const ch of int + frac) mant = mant * 16 + parseInt(ch, 16);
    const exp = Number(m[5] ?? "0") - 4 * frac.length;
    // 2^exp alone underflows below 2^-1074: scale in two exact steps.
    const v = exp < -1074 ? mant * 2 ** (exp + 1074) * 2 ** -1074 : mant * 2 ** exp;
    const inexact = isSubnormal(v) &&
      inexactSubnormal(v, BigInt("0x" + int + frac), 2n, exp, 0);
    return {
      value: neg ? -v : v,
      used: m[0].length,
      erange: !Number.isFinite(v) || (v === 0 && mant !== 0) || inexact,
    };
  }
  const int = m[6] ?? "", frac = m[7];
  if (int.length === 0 && (frac === undefined || frac.length === 0)) return none;
  // A trailing "e" without digits is not part of the number.
  let used = m[0].length;
  let text = m[0];
  if (m[8] === undefined) {
    const e = text.search(/[eE]/);
    if (e !== -1) {
      used = e;
      text = text.slice(0, e);
    }
  }
  const v = Number(text.trim());
  const nonzero = /[1-9]/.test(int + (frac ?? ""));
  const inexact = isSubnormal(v) &&
    inexactSubnormal(v, BigInt(int + (frac ?? "")), 10n, Number(m[8] ?? "0"), frac?.length ?? 0);
  return { value: v, used, erange: !Number.isFinite(v) || (v === 0 && nonzero) || inexact };
}

/** Below the smallest normal double, and not zero. */
function isSubnormal(v: number): boolean {
  return v !== 0 && Math.abs(v) < 2.2250738585072014e-308;
}

/**
 * Whether the subnormal `v` differs from the exact value
 * `digits * base^(exp - shift)`: `v` is k * 2^-1074 for an integer k.
 */
function inexactSubnormal(
  v: number,
  digits: bigint,
  base: bigint,
  exp: number,
  shift: number,
): boolean {
  const k = BigInt(Math.abs(v) * 2 ** 537 * 2 ** 537); // exact: a power-of-two scaling
  // digits * base^e == k * 2^-1074, both sides made integers.
  const e = exp - shift;
  let lhs = digits * 2n ** 1074n, rhs = k;
  if (e >= 0) lhs *= base ** BigInt(e);
  else rhs *= base ** BigInt(-e);
  return lhs !== rhs;
}

/**
 * Redis's getDoubleFromObject (scores, GEO coordinates): the whole argument
 * is a number, no leading space, no overflow or underflow, not NaN.
 * Undefined when invalid.
 *
 * @example
 * ```ts
 * import { parseScore } from "./number.ts";
 * console.log(parseScore("-inf"), parseScore(" 1")); // -Infinity undefined
 * ```
 */
export function parseScore(s: string): number | undefined {
  if (s.length === 0) return undefined;
  const c = s.charCodeAt(0);
  if (c === 32 || (c >= 9 && c <= 13)) return undefined;
  // Integers of up to 15 digits (exact in a double) need no regex nor
  // Number(): a score is most often one (timestamps, counters, ranks).
  const n = s.length;
  if (n <= 15) {
    let i = c === 45 ? 1 : 0; // "-"
    if (i < n) {
      let v = 0;
      for (; i < n; i++) {
        const d = s.charCodeAt(i) - 48;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
      if (i === n) return c === 45 ? -v : v;
    }
  }
  // Fast path for plain decimals (the common case).
  if (/^-?[0-9]{1,15}(?:\.[0-9]{1,15})?$/.test(s)) return Number(s);
  const r = strtod(s);
  // Redis refuses ERANGE only for an overflow or an underflow to zero.
  if (r.used !== s.length || Number.isNaN(r.value)) return undefined;
  if (r.erange && (r.value === 0 || !Number.isFinite(r.value))) return undefined;
  return r.value;
}

/**
 * Redis's `bytesToHuman`: `512B`, `1.50K`, `2.00M`...
 *
 * @example
 * ```ts
 * import { bytesToHuman } from "./number.ts";
 * console.log(bytesToHuman(1536)); // "1.50K"
 * ```
 */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let d = n;
  for (const u of units) {
    d /= 1024;
    if (d < 1024 || u === "P") return `${d.toFixed(2)}${u}`;
  }
  return `${n}B`;
}

/**
 * The `validate` of a config directive Redis keeps in a size_t (listpack
 * and stream node limits): a negative value is refused with Redis's
 * reason, which names the directive's kind (the upper bound, LONG_MAX, is
 * beyond a safe JS integer, so `min`/`max` cannot say it).
 *
 * @example
 * ```ts
 * import { nonNegative } from "./number.ts";
 * const validate = nonNegative("int");
 * console.log(validate("128")); // "128"
 * try {
 *   validate("-1");
 * } catch (e) {
 *   console.log((e as Error).message); // "argument must be between 0 and 9223372036854775807 inclusive"
 * }
 * ```
 */
export function nonNegative(kind: "int" | "memory"): (value: string) => string {
  const reason = kind === "int"
    ? "argument must be between 0 and 9223372036854775807 inclusive"
    : "argument must be a memory value";
  return (value) => {
    if (Number(value) < 0) throw new ConfigError(reason);
    return value;
  };
}
