/**
 * Geohash arithmetic as Redis 7.0 does it (geohash.c, geohash_helper.c):
 * 52-bit interleaved cells over longitude -180..180 and the Mercator
 * latitude range -85.05112878..85.05112878, their decoding to cell centres,
 * the eight neighbours of a cell, haversine distances, and the estimation of
 * the nine cells a radius or box search scans.
 *
 * Every formula keeps Redis's operation order (the C code is compiled
 * without FMA contraction on x86-64), so cells, scores and coordinates come
 * out bit for bit the same. Distances use V8's sin/cos/asin, which are
 * correctly rounded more often than glibc's: about 0.1% of evaluations
 * differ from Redis in the last bit, visible only in STOREDIST's full
 * precision scores (or for a point exactly on a search boundary).
 *
 * @module
 */

/** Cell precision of stored points: 26 steps, 52 bits. */
export const GEO_STEP_MAX = 26;
/** Mercator latitude bounds Redis accepts. */
export const GEO_LAT_MIN = -85.05112878;
/** Mercator latitude bounds Redis accepts. */
export const GEO_LAT_MAX = 85.05112878;
/** Longitude bounds. */
export const GEO_LONG_MIN = -180;
/** Longitude bounds. */
export const GEO_LONG_MAX = 180;

const D_R = Math.PI / 180.0;
const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;

/** A cell: interleaved bits (latitude on even bits) and its step (bits / 2). */
export interface HashBits {
  bits: bigint;
  step: number;
}

/** A coordinate range. */
export interface Range {
  min: number;
  max: number;
}

/** The rectangle a cell covers. */
export interface Area {
  longitude: Range;
  latitude: Range;
}

/** Redis's WGS84 ranges (the latitude clipped to Mercator's). */
export const LONG_RANGE: Range = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
/** Redis's WGS84 ranges (the latitude clipped to Mercator's). */
export const LAT_RANGE: Range = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The standard geohash latitude range GEOHASH re-encodes with. */
export const STD_LAT_RANGE: Range = { min: -90, max: 90 };

/** Spreads the low 16 bits of `x` onto the even bits of a 32-bit word. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  return (x | (x << 1)) & 0x55555555;
}

/** Gathers the even bits of a 32-bit word into 16 bits. */
function squash16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  return (x | (x >>> 8)) & 0x0000ffff;
}

/** interleave64: `lat` bits on even positions, `lon` bits on odd ones. */
function interleave(lat: number, lon: number): bigint {
  const lo = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  const hi = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** deinterleave64 of the 64-bit value `hi:lo`: [lat part, lon part]. */
function deinterleave(hi: number, lo: number): [number, number] {
  const lat = (squash16(lo) | (squash16(hi) << 16)) >>> 0;
  const lon = (squash16(lo >>> 1) | (squash16(hi >>> 1) << 16)) >>> 0;
  return [lat, lon];
}

/** C's `(uint32_t)` of a non-negative double below 2^32. */
function toU32(d: number): number {
  return Math.trunc(d) >>> 0;
}

/**
 * geohashEncode: the cell of `step` steps holding the point, or undefined
 * when the point is outside the ranges (or Redis's limits).
 */
export function encode(
  longRange: Range,
  latRange: Range,
  longitude: number,
  latitude: number,
  step: number,
): HashBits | undefined {
  if (
    longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX ||
    latitude < GEO_LAT_MIN
  ) return undefined;
  if (
    latitude < latRange.min || latitude > latRange.max || longitude < longRange.min ||
    longitude > longRange.max
  ) return undefined;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  return { bits: interleave(toU32(latOffset), toU32(longOffset)), step };
}

/** The 52-bit score GEOADD stores for a point (already validated). */
export function encodeScore(longitude: number, latitude: number): bigint {
  return align52(encode(LONG_RANGE, LAT_RANGE, longitude, latitude, GEO_STEP_MAX)!);
}

/** geohashAlign52Bits: the cell's bits shifted to the 52-bit score scale. */
export function align52(h: HashBits): bigint {
  return h.bits << BigInt(52 - h.step * 2);
}

/** geohashDecode for the 64-bit value `hi:lo` at `step`. */
function decodeHalves(hi: number, lo: number, step: number, latRange: Range): Area {
  const [ilato, ilono] = deinterleave(hi, lo);
  const latScale = latRange.max - latRange.min;
  const longScale = LONG_RANGE.max - LONG_RANGE.min;
  const div = 2 ** step;
  return {
    latitude: {
      min: latRange.min + (ilato * 1.0 / div) * latScale,
      max: latRange.min + (((ilato + 1) >>> 0) * 1.0 / div) * latScale,
    },
    longitude: {
      min: LONG_RANGE.min + (ilono * 1.0 / div) * longScale,
      max: LONG_RANGE.min + (((ilono + 1) >>> 0) * 1.0 / div) * longScale,
    },
  };
}

/** geohashDecode of a cell over the WGS84 ranges. */
export function decodeArea(h: HashBits): Area {
  const b = BigInt.asUintN(64, h.bits);
  return decodeHalves(Number(b >> 32n), Number(b & 0xffffffffn), h.step, LAT_RANGE);
}

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
const TWO63 = 9223372036854775808;

/**
 * C's `(uint64_t)score` on x86-64 (out-of-range values give what the
 * instructions gcc emits give), split into 32-bit halves.
 */
function scoreHalves(score: number): [number, number] {
  if (score >= 0 && score < TWO53) {
    const t = Math.trunc(score);
    const hi = Math.floor(t / TWO32);
    return [hi, t - hi * TWO32];
  }
  let b: bigint;
  if (score < TWO63) {
    b = score >= -TWO63 ? BigInt.asUintN(64, BigInt(Math.trunc(score))) : 1n << 63n;
  } else {
    b = score < 2 * TWO63 ? BigInt(score) : 0n;
  }
  return [Number(b >> 32n), Number(b & 0xffffffffn)];
}

/**
 * decodeGeohash: the centre of the 52-bit cell a score names, clamped to
 * the valid ranges, as [longitude, latitude].
 */
export function decodeScore(score: number): [number, number] {
  const [hi, lo] = scoreHalves(score);
  const a = decodeHalves(hi, lo, GEO_STEP_MAX, LAT_RANGE);
  let x = (a.longitude.min + a.longitude.max) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (a.latitude.min + a.latitude.max) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return [x, y];
}

const GEO_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/**
 * GEOHASH's string for a score: the decoded centre re-encoded over the
 * standard -90..90 latitude range, 11 characters (the last always `0`).
 */
export function geohashString(score: number): string {
  const [lon, lat] = decodeScore(score);
  const h = encode(LONG_RANGE, STD_LAT_RANGE, lon, lat, GEO_STEP_MAX);
  const bits = h === undefined ? 0n : h.bits;
  let out = "";
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    out += GEO_ALPHABET[idx];
  }
  return out;
}

const EVEN64 = 0x5555555555555555n;
const ODD64 = 0xaaaaaaaaaaaaaaaan;

function moveX(h: HashBits, d: number): HashBits {
  if (d === 0) return h;
  let x = h.bits & ODD64;
  const y = h.bits & EVEN64;
  const zz = EVEN64 >> BigInt(64 - h.step * 2);
  if (d > 0) x = x + (zz + 1n);
  else x = BigInt.asUintN(64, (x | zz) - (zz + 1n));
  x &= ODD64 >> BigInt(64 - h.step * 2);
  return { bits: x | y, step: h.step };
}

function moveY(h: HashBits, d: number): HashBits {
  if (d === 0) return h;
  const x = h.bits & ODD64;
  let y = h.bits & EVEN64;
  const zz = ODD64 >> BigInt(64 - h.step * 2);
  if (d > 0) y = y + (zz + 1n);
  else y = BigInt.asUintN(64, (y | zz) - (zz + 1n));
  y &= EVEN64 >> BigInt(64 - h.step * 2);
  return { bits: x | y, step: h.step };
}

/** The eight neighbours of a cell (wrapping around the edges, as Redis). */
export interface Neighbors {
  north: HashBits;
  south: HashBits;
  east: HashBits;
  west: HashBits;
  northEast: HashBits;
  northWest: HashBits;
  southEast: HashBits;
  southWest: HashBits;
}

/** geohashNeighbors. */
export function neighbors(h: HashBits): Neighbors {
  return {
    east: moveX(h, 1),
    west: moveX(h, -1),
    south: moveY(h, -1),
    north: moveY(h, 1),
    northWest: moveY(moveX(h, -1), 1),
    southWest: moveY(moveX(h, -1), -1),
    northEast: moveY(moveX(h, 1), 1),
    southEast: moveY(moveX(h, 1), -1),
  };
}

const degRad = (ang: number) => ang * D_R;
const radDeg = (ang: number) => ang / D_R;

/** Haversine distance in meters (Redis 7.0's geohashGetDistance). */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS *
    Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v));
}

/** A search shape; sizes are in the unit given, `conversion` to meters. */
export interface GeoShape {
  kind: "circle" | "box";
  /** Centre: longitude, latitude. */
  lon: number;
  lat: number;
  radius: number;
  width: number;
  height: number;
  conversion: number;
}

/**
 * geoWithinShape's test for a decoded point: its distance to the centre in
 * meters, or undefined when it is outside the shape.
 */
export function distanceIfWithin(s: GeoShape, lon: number, lat: number): number | undefined {
  if (s.kind === "circle") {
    const d = distance(s.lon, s.lat, lon, lat);
    return d > s.radius * s.conversion ? undefined : d;
  }
  const widthM = s.width * s.conversion;
  const heightM = s.height * s.conversion;
  const lonDistance = distance(lon, lat, s.lon, lat);
  const latDistance = distance(lon, lat, lon, s.lat);
  if (lonDistance > widthM / 2 || latDistance > heightM / 2) return undefined;
  return distance(s.lon, s.lat, lon, lat);
}

/** geohashEstimateStepsByRadius. */
function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [min lon, min lat, max lon, max lat]. */
function boundingBox(s: GeoShape): [number, number, number, number] {
  const circle = s.kind === "circle";
  const height = s.conversion * (circle ? s.radius : s.height / 2);
  const width = s.conversion * (circle ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(s.lat + latDelta)));
  const longDeltaBottom = radDeg(
    width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(s.lat - latDelta)),
  );
  const southern = s.lat < 0;
  return [
    southern ? s.lon - longDeltaBottom : s.lon - longDeltaTop,
    s.lat - latDelta,
    southern ? s.lon + longDeltaBottom : s.lon + longDeltaTop,
    s.lat + latDelta,
  ];
}

/**
 * geohashCalculateAreasByShapeWGS84: the cells a search scans, in Redis's
 * order (centre, N, S, E, W, NE, NW, SE, SW); `undefined` marks a
 * neighbour Redis excluded (GZERO).
 */
export function searchCells(s: GeoShape): (HashBits | undefined)[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s);
  let radiusMeters = s.kind === "circle"
    ? s.radius
    : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radiusMeters *= s.conversion;
  let steps = estimateSteps(radiusMeters, s.lat);
  let hash = encode(LONG_RANGE, LAT_RANGE, s.lon, s.lat, steps) ?? { bits: 0n, step: steps };
  let n = neighbors(hash);
  let area = decodeArea(hash);
  const north = decodeArea(n.north), south = decodeArea(n.south);
  const east = decodeArea(n.east), west = decodeArea(n.west);
  const decrease = north.latitude.max < maxLat || south.latitude.min > minLat ||
    east.longitude.max < maxLon || west.longitude.min > minLon;
  if (steps > 1 && decrease) {
    steps--;
    hash = encode(LONG_RANGE, LAT_RANGE, s.lon, s.lat, steps) ?? { bits: 0n, step: steps };
    n = neighbors(hash);
    area = decodeArea(hash);
  }
  const cells: (HashBits | undefined)[] = [
    hash,
    n.north,
    n.south,
    n.east,
    n.west,
    n.northEast,
    n.northWest,
    n.southEast,
    n.southWest,
  ];
  if (steps >= 2) {
    // Indexes as above: 1 N, 2 S, 3 E, 4 W, 5 NE, 6 NW, 7 SE, 8 SW.
    const drop = (...idx: number[]) => idx.forEach((i) => (cells[i] = undefined));
    if (area.latitude.min < minLat) drop(2, 8, 7);
    if (area.latitude.max > maxLat) drop(1, 5, 6);
    if (area.longitude.min < minLon) drop(4, 8, 6);
    if (area.longitude.max > maxLon) drop(3, 7, 5);
  }
  return cells;
}
