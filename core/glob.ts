/**
 * Redis's glob matching (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a]`,
 * `[a-z]` and `\` escapes, over byte strings. Used by KEYS, SCAN MATCH,
 * CONFIG GET, PSUBSCRIBE and ACL patterns.
 *
 * @module
 */

/**
 * True when `s` matches the glob `pattern`.
 *
 * @example
 * ```ts
 * import { globMatch } from "./glob.ts";
 * console.log(globMatch("user:*", "user:42")); // true
 * console.log(globMatch("h[^e]llo", "hello")); // false
 * ```
 */
export function globMatch(pattern: string, s: string, nocase = false): boolean {
  // As in Redis, "*" does not match the empty string (KEYS and SCAN
  // special-case a lone "*" themselves).
  if (pattern === "*") return s.length !== 0;
  return match(pattern, 0, s, 0, nocase, { skipLonger: false }, 0);
}

const MAX_NESTING = 1000;

interface State {
  skipLonger: boolean;
}

// A line-by-line port of Redis 7's stringmatchlen_impl, indices for pointers.
function match(
  p: string,
  pi: number,
  s: string,
  si: number,
  nocase: boolean,
  st: State,
  nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false;
  const plen = p.length, slen = s.length;
  while (pi < plen && si < slen) {
    switch (p.charCodeAt(pi)) {
      case 42: // '*'
        while (pi + 1 < plen && p.charCodeAt(pi + 1) === 42) pi++;
        if (pi + 1 === plen) return true;
        while (si < slen) {
          if (match(p, pi + 1, s, si, nocase, st, nesting + 1)) return true;
          if (st.skipLonger) return false;
          si++;
        }
        st.skipLonger = true;
        return false;
      case 63: // '?'
        si++;
        break;
      case 91: { // '['
        pi++;
        const not = p.charCodeAt(pi) === 94;
        if (not) pi++;
        let matched = false;
        const c = fold(s.charCodeAt(si), nocase);
        for (;;) {
          const left = plen - pi;
          const cc = p.charCodeAt(pi);
          if (cc === 92 && left >= 2) {
            pi++;
            if (fold(p.charCodeAt(pi), nocase) === c) matched = true;
          } else if (cc === 93) {
            break;
          } else if (left <= 0) {
            pi--;
            break;
          } else if (left >= 3 && p.charCodeAt(pi + 1) === 45) {
            // Redis compares ranges as C `char`s, signed on the platforms it
            // ships for: bytes 0x80-0xFF sort below 0x00. It swaps the ends
            // first and folds case after.
            let start = signed(cc);
            let end = signed(p.charCodeAt(pi + 2));
            if (start > end) [start, end] = [end, start];
            start = fold(start, nocase);
            end = fold(end, nocase);
            const sc = fold(signed(s.charCodeAt(si)), nocase);
            pi += 2;
            if (sc >= start && sc <= end) matched = true;
          } else if (fold(cc, nocase) === c) {
            matched = true;
          }
          pi++;
        }
        if (not) matched = !matched;
        if (!matched) return false;
        si++;
        break;
      }
      case 92: // '\'
        if (plen - pi >= 2) pi++;
        /* falls through */
      default:
        if (fold(p.charCodeAt(pi), nocase) !== fold(s.charCodeAt(si), nocase)) {
          return false;
        }
        si++;
        break;
    }
    pi++;
    if (si === slen) {
      while (pi < plen && p.charCodeAt(pi) === 42) pi++;
      break;
    }
  }
  return pi >= plen && si === slen;
}

function signed(c: number): number {
  return c >= 128 ? c - 256 : c;
}

function fold(c: number, nocase: boolean): number {
  return nocase && c >= 65 && c <= 90 ? c + 32 : c;
}
