/**
 * Sorted-set arguments: scores as Redis's `strtod`-based
 * helpers read them, score ranges (`(1.5`, `-inf`) and lex ranges
 * (`[a`, `(b`, `-`, `+`), and the range types with their bound tests.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";

/** A score interval with optional exclusive ends (`(1.5`). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/**
 * A lexicographic interval. `min`/`max` undefined mean `-` / `+` (minus and
 * plus infinity); `minex`/`maxex` mark `(` ends.
 */
export interface LexRange {
  min: Bytes | undefined;
  max: Bytes | undefined;
  /** True when `min` is `+` (greater than everything). */
  minIsPlus: boolean;
  /** True when `max` is `-` (smaller than everything). */
  maxIsMinus: boolean;
  minex: boolean;
  maxex: boolean;
}

/** True when `v` is at or above the range's minimum. */
export function scoreGteMin(v: number, r: ScoreRange): boolean {
  return r.minex ? v > r.min : v >= r.min;
}

/** True when `v` is at or below the range's maximum. */
export function scoreLteMax(v: number, r: ScoreRange): boolean {
  return r.maxex ? v < r.max : v <= r.max;
}

/** True when member `v` is at or above the lex range's minimum. */
export function lexGteMin(v: Bytes, r: LexRange): boolean {
  if (r.minIsPlus) return false;
  if (r.min === undefined) return true;
  return r.minex ? v > r.min : v >= r.min;
}

/** True when member `v` is at or below the lex range's maximum. */
export function lexLteMax(v: Bytes, r: LexRange): boolean {
  if (r.maxIsMinus) return false;
  if (r.max === undefined) return true;
  return r.maxex ? v < r.max : v <= r.max;
}

/** The result of {@link strtod}: the value and how many chars it consumed. */
interface Strtod {
  value: number;
  used: number;
  /** glibc's ERANGE: overflow to infinity, or underflow to zero. */
  erange: boolean;
}

const DEC_RE =
  /^[ \t\n\v\f\r]*([+-]?)(?:(inf(?:inity)?|nan(?:\([0-9a-z_]*\))?)|0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?|([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?)/i;

/**
 * C's `strtod` on a byte string: leading white space, sign, decimal or
 * hexadecimal digits with an exponent, `inf`/`infinity`, `nan`.
 */
export function strtod(s: Bytes): Strtod {
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
    const v = mant * Math.pow(2, exp);
    return {
      value: neg ? -v : v,
      used: m[0].length,
      erange: !Number.isFinite(v) || (v === 0 && mant !== 0),
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
  return { value: v, used, erange: !Number.isFinite(v) || (v === 0 && nonzero) };
}

/**
 * Redis's getDoubleFromObject: the whole argument is a number, no leading
 * space, no overflow or underflow, not NaN. Undefined when invalid.
 */
export function parseScore(s: Bytes): number | undefined {
  if (s.length === 0) return undefined;
  const c = s.charCodeAt(0);
  if (c === 32 || (c >= 9 && c <= 13)) return undefined;
  // Fast path for plain decimals (the common case).
  if (/^-?[0-9]{1,15}(?:\.[0-9]{1,15})?$/.test(s)) return Number(s);
  const r = strtod(s);
  if (r.used !== s.length || r.erange || Number.isNaN(r.value)) return undefined;
  return r.value;
}

/** Parses a score or throws `msg` (default: `ERR value is not a valid float`). */
export function scoreArg(s: Bytes, msg = "ERR value is not a valid float"): number {
  const v = parseScore(s);
  if (v === undefined) throw new ReplyError(msg);
  return v;
}

function rangeItem(s: Bytes): [number, boolean] | undefined {
  const ex = s.charCodeAt(0) === 40; // "("
  const t = ex ? s.slice(1) : s;
  const r = strtod(t);
  if (r.used !== t.length || Number.isNaN(r.value)) return undefined;
  return [r.value, ex];
}

const NOT_FLOAT_RANGE = "ERR min or max is not a float";
const NOT_LEX_RANGE = "ERR min or max not valid string range item";

/** zslParseRange: `min max` with `(` for exclusive ends. */
export function parseScoreRange(min: Bytes, max: Bytes): ScoreRange {
  const a = rangeItem(min), b = rangeItem(max);
  if (a === undefined || b === undefined) throw new ReplyError(NOT_FLOAT_RANGE);
  return { min: a[0], minex: a[1], max: b[0], maxex: b[1] };
}

/** zslParseLexRange: `[a`, `(a`, `-`, `+`. */
export function parseLexRange(min: Bytes, max: Bytes): LexRange {
  const r: LexRange = {
    min: undefined,
    max: undefined,
    minIsPlus: false,
    maxIsMinus: false,
    minex: false,
    maxex: false,
  };
  const item = (s: Bytes, isMin: boolean) => {
    const c = s[0];
    if (c === "+" && s.length === 1) {
      if (isMin) r.minIsPlus = true;
      return;
    }
    if (c === "-" && s.length === 1) {
      if (!isMin) r.maxIsMinus = true;
      return;
    }
    if (c !== "(" && c !== "[") throw new ReplyError(NOT_LEX_RANGE);
    if (isMin) {
      r.min = s.slice(1);
      r.minex = c === "(";
    } else {
      r.max = s.slice(1);
      r.maxex = c === "(";
    }
  };
  item(min, true);
  item(max, false);
  return r;
}
