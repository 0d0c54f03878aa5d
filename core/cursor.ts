/**
 * Cursors for SCAN-style commands over JavaScript `Map`s and `Set`s.
 *
 * A `Map` iterator is live: it visits every entry present for its whole life
 * exactly once, even while entries are added and deleted. So a scan keeps its
 * iterator between calls and the cursor is only a handle to it. That gives
 * Redis's SCAN guarantee without a hash table of our own. Handles are bounded
 * (oldest dropped first); an unknown cursor ends the scan.
 *
 * @module
 */

import { Err, ReplyError } from "./errors.ts";
import { parseInteger } from "./number.ts";

interface LiveScan {
  owner: object;
  it: Iterator<unknown>;
}

const MAX_LIVE = 4096;

/**
 * A table of live scan iterators.
 *
 * @example
 * ```ts
 * import { ScanCursors } from "./cursor.ts";
 * const cursors = new ScanCursors();
 * const map = new Map([["a", 1], ["b", 2]]);
 * const page = cursors.scan(map, "0", 1, () => map.keys());
 * console.log(page.items, page.cursor); // ["a"], "1"
 * ```
 */
export class ScanCursors {
  #live = new Map<string, LiveScan>();
  #next = 1;

  /**
   * Takes up to `count` items, continuing the scan named by `cursor`
   * ("0" starts one). Returns the items and the next cursor ("0" when done).
   */
  scan<T>(
    owner: object,
    cursor: string,
    count: number,
    make: () => Iterator<T>,
  ): { items: T[]; cursor: string } {
    let it: Iterator<T>;
    if (cursor === "0") {
      it = make();
    } else {
      const live = this.#live.get(cursor);
      if (live === undefined || live.owner !== owner) {
        return { items: [], cursor: "0" };
      }
      this.#live.delete(cursor);
      it = live.it as Iterator<T>;
    }
    const items: T[] = [];
    for (let i = 0; i < count; i++) {
      const r = it.next();
      if (r.done) return { items, cursor: "0" };
      items.push(r.value);
    }
    const next = String(this.#next++);
    if (this.#live.size >= MAX_LIVE) {
      const oldest = this.#live.keys().next().value;
      if (oldest !== undefined) this.#live.delete(oldest);
    }
    this.#live.set(next, { owner, it });
    return { items, cursor: next };
  }
}

/** Checks a SCAN cursor argument: an unsigned decimal integer. */
export function isValidCursor(s: string): boolean {
  return /^[0-9]{1,20}$/.test(s);
}

const ULONG_MAX = 18446744073709551615n;

/**
 * Parses a cursor the way Redis's `strtoul`-based `parseScanCursorOrReply`
 * does: optional sign, digits, nothing else; the empty string is 0; a
 * negative value wraps around. Returns the cursor in canonical decimal.
 *
 * @example
 * ```ts
 * import { parseScanCursor } from "./cursor.ts";
 * console.log(parseScanCursor("-1")); // "18446744073709551615"
 * ```
 */
export function parseScanCursor(s: string): string {
  const m = /^([+-]?)([0-9]*)$/.exec(s);
  if (m === null || (m[1] !== "" && m[2] === "")) throw new ReplyError("ERR invalid cursor");
  let n = m[2] === "" ? 0n : BigInt(m[2]!);
  if (n > ULONG_MAX) throw new ReplyError("ERR invalid cursor");
  if (m[1] === "-" && n !== 0n) n = ULONG_MAX + 1n - n;
  return n.toString();
}

/** SCAN's options (see {@link parseScanOptions}). */
export interface ScanOptions {
  /** How many entries to examine (COUNT, default 10). */
  count: number;
  /** MATCH's pattern; undefined for none or `*`. */
  pattern: string | undefined;
  /** SCAN's TYPE filter, lower case. */
  type: string | undefined;
}

/**
 * Parses the options of SCAN, HSCAN, SSCAN and ZSCAN from `argv[from]` on,
 * as Redis's scanGenericCommand: `COUNT n` (an integer of at least 1),
 * `MATCH pattern`, and for SCAN only (`withType`) `TYPE type`; anything
 * else is a syntax error.
 *
 * @example
 * ```ts
 * import { parseScanOptions } from "./cursor.ts";
 * const o = parseScanOptions(["HSCAN", "h", "0", "MATCH", "f*", "COUNT", "100"], 3);
 * console.log(o.count, o.pattern); // 100 "f*"
 * ```
 */
export function parseScanOptions(
  argv: readonly string[],
  from: number,
  withType = false,
): ScanOptions {
  const o: ScanOptions = { count: 10, pattern: undefined, type: undefined };
  for (let i = from; i < argv.length; i += 2) {
    const opt = argv[i]!.toLowerCase();
    if (i + 1 >= argv.length) throw new ReplyError(Err.syntax);
    const v = argv[i + 1]!;
    if (opt === "count") {
      const n = parseInteger(v);
      if (n === undefined) throw new ReplyError(Err.notInteger);
      if (n < 1) throw new ReplyError(Err.syntax);
      o.count = n;
    } else if (opt === "match") {
      o.pattern = v === "*" ? undefined : v;
    } else if (opt === "type" && withType) {
      o.type = v.toLowerCase();
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  return o;
}
