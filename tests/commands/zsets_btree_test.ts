/**
 * The sorted-set B+tree (commands/zsets/_btree.ts) against a sorted-array
 * model: seeded random inserts, score moves, deletes, rank-range deletes,
 * rank and range lookups, with the tree's invariants checked as it grows
 * past two inner levels and shrinks back to empty.
 */

import { assertEquals } from "../_assert.ts";
import { prng } from "../_helpers.ts";
import { ZTree } from "../../commands/zsets/_btree.ts";
import type { LexRange, ScoreRange } from "../../commands/zsets/_range.ts";
import { lexGteMin, lexLteMax, scoreGteMin, scoreLteMax } from "../../commands/zsets/_range.ts";

type Entry = [number, string];

function before(a: Entry, b: Entry): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

function contents(t: ZTree): Entry[] {
  const out: Entry[] = [];
  t.forEach((m, s) => out.push([s, m]));
  return out;
}

function runModel(seed: number, sameScore: boolean): void {
  const rand = prng(seed);
  /** An integer in [0, n). */
  const ri = (n: number) => Math.floor(rand() * n);
  const t = new ZTree();
  const ref: Entry[] = [];
  const dict = new Map<string, number>();
  const find = (e: Entry) => {
    let lo = 0, hi = ref.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before(ref[mid]!, e)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const score = () => sameScore ? (ri(10) === 0 ? -0 : 0) : ri(3000) - 1500 + (ri(2) ? 0.5 : 0);
  const member = () => "m" + ri(30000).toString(36);
  for (let op = 0; op < 60000; op++) {
    const k = ri(100);
    // Grow for the first two thirds, then shrink.
    const grow = op < 40000 ? 60 : 15;
    if (k < grow) {
      const s = score(), m = member();
      const cur = dict.get(m);
      if (cur === undefined) {
        ref.splice(find([s, m]), 0, [s, m]);
        t.insert(s, m);
      } else if (cur !== s) {
        ref.splice(find([cur, m]), 1);
        ref.splice(find([s, m]), 0, [s, m]);
        t.updateScore(cur, m, s);
      }
      dict.set(m, s);
    } else if (k < grow + 15) {
      const m = ref.length !== 0 && ri(4) !== 0 ? ref[ri(ref.length)]![1] : member();
      const cur = dict.get(m);
      assertEquals(t.delete(cur ?? 0, m), cur !== undefined);
      if (cur !== undefined) {
        ref.splice(find([cur, m]), 1);
        dict.delete(m);
      }
    } else if (k < grow + 16 && ref.length !== 0) {
      const start = ri(ref.length);
      const count = 1 + ri(Math.min(ref.length - start, ri(50) === 0 ? 1000 : 10));
      for (const [, m] of ref.splice(start, count)) dict.delete(m);
      t.deleteRange(start, count);
    } else if (ref.length !== 0) {
      const r = ri(ref.length);
      const e = ref[r]!;
      assertEquals(t.rankOf(e[0], e[1]), r);
      assertEquals(t.rankOf(e[0], e[1] + "~"), -1);
      const c = t.seek(r)!;
      assertEquals([c.member, c.rank], [e[1], r]);
      if (c.next()) assertEquals([c.member, c.rank], [ref[r + 1]![1], r + 1]);
      else assertEquals(r, ref.length - 1);
      if (!sameScore) {
        const a = score(), b = score();
        const range: ScoreRange = {
          min: Math.min(a, b),
          max: Math.max(a, b),
          minex: ri(2) === 0,
          maxex: ri(2) === 0,
        };
        let first = ref.findIndex((x) => scoreGteMin(x[0], range));
        if (first >= 0 && !scoreLteMax(ref[first]![0], range)) first = -1;
        let last = ref.findLastIndex((x) => scoreLteMax(x[0], range));
        if (last >= 0 && !scoreGteMin(ref[last]![0], range)) last = -1;
        if (range.min === range.max && (range.minex || range.maxex)) first = last = -1;
        assertEquals(t.firstInScoreRange(range)?.rank ?? -1, first);
        assertEquals(t.lastInScoreRange(range)?.rank ?? -1, last);
      } else {
        const a = member(), b = member();
        const range: LexRange = {
          min: a < b ? a : b,
          max: a < b ? b : a,
          minIsPlus: false,
          maxIsMinus: false,
          minex: ri(2) === 0,
          maxex: ri(2) === 0,
        };
        let first = ref.findIndex((x) => lexGteMin(x[1], range));
        if (first >= 0 && !lexLteMax(ref[first]![1], range)) first = -1;
        let last = ref.findLastIndex((x) => lexLteMax(x[1], range));
        if (last >= 0 && !lexGteMin(ref[last]![1], range)) last = -1;
        if (range.min === range.max && (range.minex || range.maxex)) first = last = -1;
        assertEquals(t.firstInLexRange(range)?.rank ?? -1, first);
        assertEquals(t.lastInLexRange(range)?.rank ?? -1, last);
      }
    }
    if (op % 5000 === 0) t.check();
  }
  t.check();
  assertEquals(t.length, ref.length);
  // Same order, and every -0 kept as -0.
  const got = contents(t);
  assertEquals(got.map(([, m]) => m), ref.map(([, m]) => m));
  assertEquals(got.every(([s], i) => Object.is(s, ref[i]![0])), true);
  t.deleteRange(0, t.length);
  t.check();
  assertEquals([t.length, t.seek(0)], [0, null]);
}

Deno.test("zset btree: random operations match a sorted array (scores)", () => {
  runModel(1, false);
});

Deno.test("zset btree: random operations match a sorted array (one score, lex)", () => {
  runModel(2, true);
});

Deno.test("zset btree: in-order appends fill leaves; pops from both ends", () => {
  const t = new ZTree();
  for (let i = 0; i < 20000; i++) t.insert(i, "m" + i);
  t.check();
  assertEquals([t.seek(0)!.member, t.seek(19999)!.member, t.rankOf(12345, "m12345")], [
    "m0",
    "m19999",
    12345,
  ]);
  for (let i = 0; i < 9000; i++) {
    t.deleteRange(0, 1);
    t.deleteRange(t.length - 1, 1);
  }
  t.check();
  assertEquals([t.length, t.seek(0)!.member, t.seek(1999)!.member], [2000, "m9000", "m10999"]);
});
