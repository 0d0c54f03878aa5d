/**
 * Sorted-set arguments: scores as Redis's `strtod`-based
 * helpers read them, score ranges (`(1.5`, `-inf`) and lex ranges
 * (`[a`, `(b`, `-`, `+`), and the range types with their bound tests.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";
import { parseScore, strtod } from "../../core/number.ts";

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
