/**
 * Exact emulation of the x87 80-bit `long double` arithmetic that Redis uses
 * for INCRBYFLOAT: `strtold` parsing (decimal and hexadecimal), one correctly
 * rounded addition and `%.17Lf` printing with trailing zeros removed.
 *
 * A JS double has 53 mantissa bits where `long double` has 64, so doing the
 * sum in doubles gives visibly different replies (`0.1 + 0.2` is `0.3` in
 * Redis). BigInt arithmetic reproduces Redis digit for digit; the cost is a
 * few microseconds per call, and INCRBYFLOAT is not a hot command.
 *
 * @module
 */

/** A finite long double: `(-1)^neg * m * 2^e`, `m < 2^64`; or an infinity. */
export interface LongDouble {
  neg: boolean;
  m: bigint;
  e: number;
  inf: boolean;
}

const MANT_BITS = 64;
const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;
/** Exponent of the smallest subnormal (2^-16445). */
const EMIN = -16445;
/** Largest exponent a 64-bit mantissa may carry (below 2^16384). */
const EMAX = 16384 - MANT_BITS;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are refused. */
const MAX_CHARS = 5 * 1024;

const DEC_RE = /^([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?$/;
const HEX_RE =
  /^([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?$/;
const SPECIAL_RE = /^([+-]?)(?:inf|infinity|nan(?:\([0-9A-Za-z_]*\))?)$/i;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds `num / den * 2^bexp` (num, den > 0) to the nearest long double,
 * ties to even. Overflow gives an infinity.
 */
function fromRational(neg: boolean, num: bigint, den: bigint, bexp: number): LongDouble {
  if (num === 0n) return { neg, m: 0n, e: 0, inf: false };
  // Choose s so that q = floor(num * 2^s / den) has exactly 64 bits.
  let s = MANT_BITS - (bitLength(num) - bitLength(den));
  const quot = (shift: number): [bigint, bigint, bigint] => {
    const n = shift >= 0 ? num << BigInt(shift) : num;
    const d = shift >= 0 ? den : den << BigInt(-shift);
    return [n / d, n % d, d];
  };
  let [q, r, d] = quot(s);
  while (q >= TWO64) [q, r, d] = quot(--s);
  while (q < TWO63) [q, r, d] = quot(++s);
  let e = bexp - s;
  if (e < EMIN) {
    // Subnormal: fewer mantissa bits.
    s += EMIN - e;
    e = EMIN;
    [q, r, d] = quot(s);
  }
  const twice = r * 2n;
  if (twice > d || (twice === d && (q & 1n) === 1n)) q++;
  if (q === TWO64) {
    q >>= 1n;
    e++;
  }
  if (e > EMAX) return { neg, m: 0n, e: 0, inf: true };
  return { neg, m: q, e, inf: false };
}

/**
 * Parses a number as Redis's `string2ld` does (strtold, whole string, no
 * leading space, no NaN, no overflow or underflow to zero). Undefined when
 * Redis would refuse it.
 *
 * @example
 * ```ts
 * import { formatLongDouble, parseLongDouble } from "./longdouble.ts";
 * console.log(formatLongDouble(parseLongDouble("0x10")!)); // "16"
 * ```
 */
export function parseLongDouble(s: string): LongDouble | undefined {
  if (s.length === 0 || s.length >= MAX_CHARS) return undefined;
  let mt = DEC_RE.exec(s);
  if (mt !== null) {
    const neg = mt[1] === "-";
    const ip = mt[2] ?? "";
    const fp = mt[3] ?? mt[4] ?? "";
    let digits = (ip + fp).replace(/^0+/, "");
    if (digits === "") return { neg, m: 0n, e: 0, inf: false };
    let exp10 = Number(mt[5] ?? "0") - fp.length;
    const trimmed = digits.replace(/0+$/, "");
    exp10 += digits.length - trimmed.length;
    digits = trimmed;
    // Magnitude bounds (long double spans about 1e-4951 .. 1.19e4932).
    const mag = exp10 + digits.length;
    if (mag > 4934) return undefined; // ERANGE, HUGE_VAL
    if (mag < -4952) return undefined; // ERANGE, underflow to zero
    const n = BigInt(digits);
    const v = exp10 >= 0
      ? fromRational(neg, n * 10n ** BigInt(exp10), 1n, 0)
      : fromRational(neg, n, 10n ** BigInt(-exp10), 0);
    if (v.inf || v.m === 0n) return undefined;
    return v;
  }
  mt = HEX_RE.exec(s);
  if (mt !== null) {
    const neg = mt[1] === "-";
    const ip = mt[2] ?? "";
    const fp = mt[3] ?? mt[4] ?? "";
    const digits = (ip + fp).replace(/^0+/, "");
    if (digits === "") return { neg, m: 0n, e: 0, inf: false };
    const pexp = Number(mt[5] ?? "0");
    const bexp = pexp - 4 * fp.length;
    const mag = bexp + 4 * digits.length;
    if (mag > 16400) return undefined;
    if (mag < -16500) return undefined;
    const v = fromRational(neg, BigInt("0x" + digits), 1n, bexp);
    if (v.inf || v.m === 0n) return undefined;
    return v;
  }
  mt = SPECIAL_RE.exec(s);
  if (mt !== null) {
    if (/nan/i.test(s)) return undefined;
    return { neg: mt[1] === "-", m: 0n, e: 0, inf: true };
  }
  return undefined;
}

/**
 * Adds two long doubles with one rounding. Returns undefined when the result
 * is NaN or infinite (INCRBYFLOAT's refusal).
 */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  if (a.inf || b.inf) return undefined; // inf, or inf - inf = NaN
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const sa = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const sb = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  const sum = sa + sb;
  if (sum === 0n) return { neg: false, m: 0n, e: 0, inf: false };
  const r = fromRational(sum < 0n, sum < 0n ? -sum : sum, 1n, e);
  return r.inf ? undefined : r;
}

const POW17 = 10n ** 17n;

/**
 * Formats like Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf`, then
 * trailing zeros (and a bare point) removed, and `-0` printed as `0`.
 */
export function formatLongDouble(v: LongDouble): string {
  if (v.inf) return v.neg ? "-inf" : "inf";
  let x: bigint;
  if (v.e >= 0) {
    x = (v.m << BigInt(v.e)) * POW17;
  } else {
    const num = v.m * POW17;
    const sh = BigInt(-v.e);
    x = num >> sh;
    const r = num - (x << sh);
    const half = 1n << (sh - 1n);
    if (r > half || (r === half && (x & 1n) === 1n)) x++;
  }
  const digits = x.toString().padStart(18, "0");
  const ip = digits.slice(0, -17);
  const fp = digits.slice(-17).replace(/0+$/, "");
  const out = fp.length === 0 ? ip : ip + "." + fp;
  return v.neg && out !== "0" ? "-" + out : out;
}
