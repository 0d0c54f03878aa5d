/**
 * C's printf conversions as glibc formats them, for Lua 5.1's
 * `string.format` (which hands each item to sprintf): integers as C's
 * `long long` and `unsigned long long` casts of the number, and floats
 * from their exact binary value, rounded half to even as glibc rounds
 * (JS's toFixed and toExponential round ties up and stop at 100 digits).
 *
 * @module
 */

/** A conversion specification: `%[flags][width][.precision]conversion`. */
export interface Spec {
  /** The flags, from `-+ #0`. */
  readonly flags: string;
  readonly width: number;
  /** -1 when absent. */
  readonly precision: number;
}

const TWO63 = 2 ** 63;
const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
const u32 = new Uint32Array(f64.buffer);

/** Pads `body` (after its sign or prefix `head`) to the spec's width. */
function pad(spec: Spec, head: string, body: string, zeros: boolean): string {
  const fill = spec.width - head.length - body.length;
  if (fill <= 0) return head + body;
  if (spec.flags.includes("-")) return head + body + " ".repeat(fill);
  if (zeros && spec.flags.includes("0")) return head + "0".repeat(fill) + body;
  return " ".repeat(fill) + head + body;
}

/** The sign a signed conversion shows for a number (`neg` or not). */
function signOf(spec: Spec, neg: boolean): string {
  return neg ? "-" : spec.flags.includes("+") ? "+" : spec.flags.includes(" ") ? " " : "";
}

/** Digits padded with zeros to the precision (an integer's minimum digits). */
function minDigits(spec: Spec, digits: string): string {
  if (spec.precision === 0 && digits === "0") return "";
  return spec.precision > digits.length
    ? "0".repeat(spec.precision - digits.length) + digits
    : digits;
}

/** `%d` / `%i` of C's `(long long)` cast of `d` (INT64_MIN when out of range). */
export function formatInt(spec: Spec, d: number): string {
  const v = d > -TWO63 && d < TWO63 ? BigInt(Math.trunc(d)) : -(2n ** 63n);
  const neg = v < 0n;
  const body = minDigits(spec, (neg ? -v : v).toString());
  return pad(spec, signOf(spec, neg), body, spec.precision < 0);
}

/**
 * C's `(unsigned long long)` cast of a double as gcc compiles it on
 * x86-64: from 2^63 on a conversion of `d - 2^63` with the top bit
 * flipped (0 from 2^64 on), else a signed one (INT64_MIN's bits out of
 * range, and for NaN).
 */
function toUnsigned(d: number): bigint {
  if (d >= TWO63) return d < 2 ** 64 ? BigInt(d) : 0n;
  return d > -TWO63 ? BigInt.asUintN(64, BigInt(Math.trunc(d))) : 2n ** 63n;
}

/** `%o`, `%u`, `%x`, `%X`. */
export function formatUnsigned(spec: Spec, conv: string, d: number): string {
  const v = toUnsigned(d);
  const base = conv === "o" ? 8 : conv === "u" ? 10 : 16;
  let digits = v.toString(base);
  if (conv === "X") digits = digits.toUpperCase();
  digits = minDigits(spec, digits);
  let head = "";
  if (spec.flags.includes("#")) {
    if (conv === "o" && digits[0] !== "0") digits = "0" + digits;
    else if ((conv === "x" || conv === "X") && v !== 0n) head = conv === "x" ? "0x" : "0X";
  }
  return pad(spec, head, digits, spec.precision < 0);
}

/** `%c`: the low byte of C's `(int)` cast. */
export function formatChar(spec: Spec, d: number): string {
  const c = d > -TWO63 && d < TWO63 ? Number(BigInt.asUintN(8, BigInt(Math.trunc(d)))) : 0;
  return pad(spec, "", String.fromCharCode(c), false);
}

/** `%s` of a byte string (already cut where C would see its end). */
export function formatString(spec: Spec, s: string): string {
  return pad(spec, "", spec.precision >= 0 ? s.slice(0, spec.precision) : s, false);
}

/** `x`'s exact value as `m * 2^e` (m a non-negative integer). */
function exact(x: number): [bigint, number] {
  f64[0] = x;
  const hi = u32[1]!, lo = u32[0]!;
  const exp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) return [m, -1074];
  m |= 1n << 52n;
  return [m, exp - 1075];
}

/** `num / den` rounded half to even. */
function roundDiv(num: bigint, den: bigint): bigint {
  const q = num / den, r2 = (num % den) * 2n;
  return r2 > den || (r2 === den && (q & 1n) === 1n) ? q + 1n : q;
}

/** `|x| * 10^p` rounded half to even (x finite). */
function scaled(m: bigint, e: number, p: number): bigint {
  let num = m, den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (p >= 0) num *= 10n ** BigInt(p);
  else den *= 10n ** BigInt(-p);
  return roundDiv(num, den);
}

/** `%f`'s digits of |x|: the rounded value with `p` decimals, the point placed. */
function fixedDigits(m: bigint, e: number, p: number): string {
  const s = scaled(m, e, p).toString().padStart(p + 1, "0");
  return p === 0 ? s : s.slice(0, s.length - p) + "." + s.slice(s.length - p);
}

/** `%e`'s parts of |x| (nonzero): `p + 1` significant digits and the exponent. */
function expDigits(x: number, m: bigint, e: number, p: number): [string, number] {
  let ex = Math.floor(Math.log10(Math.abs(x)));
  for (;;) {
    const q = scaled(m, e, p - ex);
    const digits = q.toString();
    if (digits.length > p + 1) ex++;
    else if (digits.length < p + 1) ex--;
    else return [digits, ex];
  }
}

/** The exponent of |x| (nonzero) in base 10, before any rounding. */
function decimalExponent(x: number, m: bigint, e: number): number {
  // |x| >= 10^k, exactly.
  const atLeast = (k: number): boolean => {
    let lhs = m, rhs = 1n;
    if (e >= 0) lhs <<= BigInt(e);
    else rhs <<= BigInt(-e);
    if (k >= 0) rhs *= 10n ** BigInt(k);
    else lhs *= 10n ** BigInt(-k);
    return lhs >= rhs;
  };
  let ex = Math.floor(Math.log10(Math.abs(x)));
  while (!atLeast(ex)) ex--;
  while (atLeast(ex + 1)) ex++;
  return ex;
}

/** An exponent as C writes it: a sign and at least two digits. */
function expText(ex: number): string {
  return (ex < 0 ? "-" : "+") + String(Math.abs(ex)).padStart(2, "0");
}

/** `%g` without `#`: no trailing zeros in the fraction, nor a bare point. */
function stripZeros(body: string): string {
  const at = body.indexOf("e");
  const mant = at < 0 ? body : body.slice(0, at);
  if (!mant.includes(".")) return body;
  return mant.replace(/0+$/, "").replace(/\.$/, "") + (at < 0 ? "" : body.slice(at));
}

/** `%e`, `%E`, `%f`, `%g`, `%G` of a double, as glibc. */
export function formatFloat(spec: Spec, conv: string, x: number): string {
  f64[0] = x;
  const neg = (u8[7]! & 0x80) !== 0;
  const upper = conv === "E" || conv === "G";
  if (!Number.isFinite(x)) {
    const word = Number.isNaN(x) ? "nan" : "inf";
    return pad(spec, signOf(spec, neg), upper ? word.toUpperCase() : word, false);
  }
  const alt = spec.flags.includes("#");
  const [m, e] = exact(x);
  let body: string;
  if (conv === "f") {
    const p = spec.precision < 0 ? 6 : spec.precision;
    body = fixedDigits(m, e, p);
    if (alt && p === 0) body += ".";
  } else if (conv === "e" || conv === "E") {
    const p = spec.precision < 0 ? 6 : spec.precision;
    const [digits, ex] = x === 0 ? ["0".repeat(p + 1), 0] : expDigits(x, m, e, p);
    body = digits[0]! + (p > 0 || alt ? "." : "") + digits.slice(1) + "e" + expText(ex);
  } else {
    const p = spec.precision < 0 ? 6 : spec.precision === 0 ? 1 : spec.precision;
    const ex = x === 0 ? 0 : expDigits(x, m, e, p - 1)[1];
    if (ex < p && ex >= -4) {
      body = fixedDigits(m, e, p - 1 - ex);
      if (alt && !body.includes(".")) body += ".";
    } else {
      let [digits] = expDigits(x, m, e, p - 1);
      // glibc's quirk: a value rounded up into the exponent style (999.95
      // by %#.3g) keeps the fraction digits the fixed style had: none.
      if (alt && ex === p && decimalExponent(x, m, e) === p - 1) digits = digits[0]!;
      body = digits[0]! + (digits.length > 1 || alt ? "." : "") + digits.slice(1) + "e" +
        expText(ex);
    }
    if (!alt) body = stripZeros(body);
  }
  if (upper) body = body.toUpperCase();
  return pad(spec, signOf(spec, neg), body, true);
}
