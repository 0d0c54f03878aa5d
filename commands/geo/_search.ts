/**
 * The radius / box search over a sorted set (Redis 7.0's
 * membersOfAllNeighbors, geoGetPointsInRange and the result sorting), and
 * the read-only view of a sorted set the GEO commands use.
 *
 * GEO reads sorted sets through {@link ScoredView} only (the type registry's
 * contract), never through the zset family's classes: a member lookup or a
 * range scan is one ordered pass over the set, O(n) where Redis is
 * O(log n). A score lookup and a "from score" iterator on ScoredView would
 * remove that cost.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { ScoredView } from "../../core/keyspace.ts";
import { align52, decodeScore, distanceIfWithin, type GeoShape, searchCells } from "./_geohash.ts";

/**
 * A sorted set as GEO reads it: direct lookups and a seek to the first
 * score of a range when the type offers them ({@link ScoredView.scoreOf},
 * {@link ScoredView.scoredFrom}), else one ordered pass over
 * {@link ScoredView.scored}, stopping as early as it can.
 */
export class ZsetReader {
  #view: ScoredView;

  constructor(view: ScoredView) {
    this.#view = view;
  }

  /** The scores of `members` (undefined where absent), in one pass. */
  scores(members: readonly Bytes[]): (number | undefined)[] {
    const view = this.#view;
    if (view.scoreOf !== undefined) return members.map((m) => view.scoreOf!(m));
    const want = new Map<Bytes, number | undefined>();
    for (const m of members) want.set(m, undefined);
    let left = want.size;
    if (left !== 0) {
      for (const [m, s] of this.#view.scored()) {
        if (want.has(m)) {
          want.set(m, s);
          if (--left === 0) break;
        }
      }
    }
    return members.map((m) => want.get(m));
  }

  /** The member's score, or undefined when it is absent. */
  score(member: Bytes): number | undefined {
    return this.scores([member])[0];
  }

  /**
   * Calls `fn(i, member, score)` for each element and each range `i` with
   * `min <= score < max`, in (score, member) order.
   */
  ranges(
    ranges: readonly (readonly [number, number])[],
    fn: (i: number, member: Bytes, score: number) => void,
  ): void {
    let lo = Infinity, hi = -Infinity;
    for (const [min, max] of ranges) {
      if (min < lo) lo = min;
      if (max > hi) hi = max;
    }
    const view = this.#view;
    const from = view.scoredFrom !== undefined ? view.scoredFrom(lo) : view.scored();
    for (const [m, s] of from) {
      if (s < lo) continue;
      if (s >= hi) break;
      for (let i = 0; i < ranges.length; i++) {
        const r = ranges[i]!;
        if (s >= r[0] && s < r[1]) fn(i, m, s);
      }
    }
  }
}

/** One match: the member, its score, its decoded position and distance (m). */
export interface GeoPoint {
  member: Bytes;
  score: number;
  lon: number;
  lat: number;
  dist: number;
}

/**
 * membersOfAllNeighbors: scans the nine cells in Redis's order and keeps the
 * points inside the shape. `limit` (COUNT ... ANY) stops the scan as soon as
 * that many points were found; 0 means no limit.
 */
export function searchShape(z: ZsetReader, shape: GeoShape, limit: number): GeoPoint[] {
  const cells = searchCells(shape);
  // The cells Redis scans, in its order. Redis stops between cells (and
  // within one) once `limit` points were found: the same as scanning them
  // all in one pass, per cell, and keeping the first `limit` in cell order.
  const ranges: [number, number][] = [];
  let last = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === undefined) continue;
    // Redis skips a cell equal to the last processed one, but never
    // compares with the centre (its `last_processed &&` test).
    const prev = cells[last];
    if (last !== 0 && prev !== undefined && cell.bits === prev.bits && cell.step === prev.step) {
      continue;
    }
    ranges.push([
      Number(align52(cell)),
      Number(align52({ bits: cell.bits + 1n, step: cell.step })),
    ]);
    last = i;
  }
  const found: GeoPoint[][] = ranges.map(() => []);
  z.ranges(ranges, (i, member, score) => {
    const [lon, lat] = decodeScore(score);
    const dist = distanceIfWithin(shape, lon, lat);
    if (dist !== undefined) found[i]!.push({ member, score, lon, lat, dist });
  });
  const out = found.flat();
  if (limit !== 0 && out.length > limit) out.length = limit;
  return out;
}

type Cmp = (a: GeoPoint, b: GeoPoint) => number;

/** sort_gp_asc. */
export const byDistanceAsc: Cmp = (a, b) => a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1;
/** sort_gp_desc. */
export const byDistanceDesc: Cmp = (a, b) => -byDistanceAsc(a, b);

/**
 * Redis's pqsort (partial Bentley-McIlroy quicksort from NetBSD): sorts so
 * that positions `lrange..rrange` hold the right elements. Ported step for
 * step, as the order of ties (points at the same distance) depends on it.
 */
export function pqsort(v: GeoPoint[], cmp: Cmp, lrange: number, rrange: number): void {
  partial(v, 0, v.length, cmp, lrange, rrange);
}

function partial(v: GeoPoint[], a: number, n: number, cmp: Cmp, L: number, R: number): void {
  const swap = (i: number, j: number) => {
    const t = v[i]!;
    v[i] = v[j]!;
    v[j] = t;
  };
  const vecswap = (i: number, j: number, k: number) => {
    for (let x = 0; x < k; x++) swap(i + x, j + x);
  };
  const med3 = (x: number, y: number, z: number) =>
    cmp(v[x]!, v[y]!) < 0
      ? (cmp(v[y]!, v[z]!) < 0 ? y : (cmp(v[x]!, v[z]!) < 0 ? z : x))
      : (cmp(v[y]!, v[z]!) > 0 ? y : (cmp(v[x]!, v[z]!) < 0 ? x : z));
  const outside = (s: number, k: number) => (L < s && R < s) || (L >= s + k && R >= s + k);
  for (;;) {
    if (n < 7) {
      for (let pm = a + 1; pm < a + n; pm++) {
        for (let pl = pm; pl > a && cmp(v[pl - 1]!, v[pl]!) > 0; pl--) swap(pl, pl - 1);
      }
      return;
    }
    let pm = a + Math.floor(n / 2);
    if (n > 7) {
      let pl = a;
      let pn = a + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = med3(pl, pl + d, pl + 2 * d);
        pm = med3(pm - d, pm, pm + d);
        pn = med3(pn - 2 * d, pn - d, pn);
      }
      pm = med3(pl, pm, pn);
    }
    swap(a, pm);
    let pa = a + 1, pb = a + 1;
    let pc = a + n - 1, pd = a + n - 1;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(v[pb]!, v[a]!)) <= 0) {
        if (r === 0) swap(pa++, pb);
        pb++;
      }
      while (pb <= pc && (r = cmp(v[pc]!, v[a]!)) >= 0) {
        if (r === 0) swap(pc, pd--);
        pc--;
      }
      if (pb > pc) break;
      swap(pb++, pc--);
    }
    const pn = a + n;
    let r = Math.min(pa - a, pb - pa);
    vecswap(a, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(pb, pn - r, r);
    if ((r = pb - pa) > 1 && !outside(a, r)) partial(v, a, r, cmp, L, R);
    if ((r = pd - pc) > 1) {
      a = pn - r;
      n = r;
      if (!outside(a, n)) continue;
    }
    return;
  }
}
