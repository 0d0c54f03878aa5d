/**
 * The GEO family, as Redis 7.0's geo.c: GEOADD, GEOPOS, GEODIST, GEOHASH,
 * GEORADIUS[BYMEMBER][_RO], GEOSEARCH and GEOSEARCHSTORE.
 *
 * A GEO set is a sorted set whose scores are 52-bit geohashes. This family
 * owns no value type: GEOADD runs the registered ZADD command with the
 * rewritten arguments (and propagates that ZADD, as Redis does), reads see
 * sorted sets through their typed view (`viewOf(v, "zset")`), and STORE
 * builds its sorted set with the registered `zset` type's `fromScored`.
 *
 * @module
 */

import { commandFamily, definePlugin, keys } from "../../core/registry.ts";
import type { Bytes, CommandArg, Context, KeySpec } from "../../core/types.ts";
import { viewOf } from "../../core/keyspace.ts";
import { Err, ReplyError, WRONGTYPE } from "../../core/errors.ts";
import { parseInteger, parseScore } from "../../core/number.ts";
import { formatLongDouble, type LongDouble } from "../../core/longdouble.ts";
import {
  decodeScore,
  distance,
  encodeScore,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  geohashString,
  type GeoShape,
} from "./_geohash.ts";
import {
  byDistanceAsc,
  byDistanceDesc,
  type GeoPoint,
  pqsort,
  searchShape,
  ZsetReader,
} from "./_search.ts";

// ---------------------------------------------------------------- formatting

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/** A finite double as sign, integer mantissa and binary exponent. */
function decompose(d: number): { neg: boolean; m: bigint; e: number } {
  F64[0] = d;
  const bits = U64[0]!;
  const neg = (bits >> 63n) === 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  return exp === 0
    ? { neg, m: frac, e: -1074 }
    : { neg, m: frac | 0x10000000000000n, e: exp - 1075 };
}

/** C's `%.<digits>f` of a double: exact, ties to even. */
export function formatFixed(d: number, digits: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  const { neg, m, e } = decompose(d);
  const pow = 10n ** BigInt(digits);
  let x: bigint;
  if (e >= 0) {
    x = (m << BigInt(e)) * pow;
  } else {
    const num = m * pow;
    const sh = BigInt(-e);
    x = num >> sh;
    const r = num - (x << sh);
    const half = 1n << (sh - 1n);
    if (r > half || (r === half && (x & 1n) === 1n)) x++;
  }
  const s = x.toString().padStart(digits + 1, "0");
  const out = digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`;
  return neg ? "-" + out : out;
}

/** addReplyHumanLongDouble's text: `%.17Lf` with trailing zeros removed. */
export function formatHuman(d: number): string {
  if (!Number.isFinite(d)) return d > 0 ? "inf" : "-inf";
  const { neg, m, e } = decompose(d);
  const ld: LongDouble = { neg, m, e, inf: false };
  return formatLongDouble(ld);
}

const enc = new TextEncoder();

/** addReplyHumanLongDouble: a bulk string in RESP2, a double in RESP3. */
function replyHuman(c: Context, d: number): void {
  const s = formatHuman(d);
  if (c.reply.resp === 2) c.reply.bulk(s);
  else c.reply.raw(enc.encode(`,${s}\r\n`));
}

// ------------------------------------------------------------------- parsing

/** A C string's view of an argument (up to its first NUL), lower-cased. */
function word(s: Bytes): string {
  const z = s.indexOf("\0");
  return (z < 0 ? s : s.slice(0, z)).toLowerCase();
}

/** getDoubleFromObjectOrReply. */
function doubleArg(s: Bytes, msg: string = Err.notFloat): number {
  const v = parseScore(s);
  if (v === undefined) throw new ReplyError(msg);
  return v;
}

/** extractLongLatOrReply: [longitude, latitude]. */
function lonLatArg(lon: Bytes, lat: Bytes): [number, number] {
  const x = doubleArg(lon), y = doubleArg(lat);
  if (x < GEO_LONG_MIN || x > GEO_LONG_MAX || y < GEO_LAT_MIN || y > GEO_LAT_MAX) {
    throw new ReplyError(
      `ERR invalid longitude,latitude pair ${formatFixed(x, 6)},${formatFixed(y, 6)}`,
    );
  }
  return [x, y];
}

/** extractUnitOrReply: meters per unit. */
function unitArg(s: Bytes): number {
  switch (word(s)) {
    case "m":
      return 1;
    case "km":
      return 1000;
    case "ft":
      return 0.3048;
    case "mi":
      return 1609.34;
  }
  throw new ReplyError("ERR unsupported unit provided. please use M, KM, FT, MI");
}

/** extractDistanceOrReply: [radius, conversion]. */
function radiusArg(r: Bytes, unit: Bytes): [number, number] {
  const d = doubleArg(r, "ERR need numeric radius");
  if (d < 0) throw new ReplyError("ERR radius cannot be negative");
  return [d, unitArg(unit)];
}

/** Reads a sorted set as GEO does (WRONGTYPE for other types). */
function lookup(c: Context, key: Bytes): ZsetReader | undefined {
  const v = c.db.get(key);
  if (v === undefined) return undefined;
  const z = viewOf(v, "zset");
  if (z === undefined) throw WRONGTYPE;
  return new ZsetReader(z);
}

// ------------------------------------------------------------------ commands

/** GEOADD key [NX|XX] [CH] longitude latitude member [...]: runs ZADD. */
function geoadd(c: Context, argv: Bytes[]): void {
  let xx = false, nx = false, longidx = 2;
  for (; longidx < argv.length; longidx++) {
    const o = word(argv[longidx]!);
    if (o === "nx") nx = true;
    else if (o === "xx") xx = true;
    else if (o !== "ch") break;
  }
  if ((argv.length - longidx) % 3 !== 0 || (xx && nx)) throw new ReplyError(Err.syntax);
  const zargv: Bytes[] = ["zadd", ...argv.slice(1, longidx)];
  for (let i = longidx; i < argv.length; i += 3) {
    const [x, y] = lonLatArg(argv[i]!, argv[i + 1]!);
    zargv.push(encodeScore(x, y).toString(), argv[i + 2]!);
  }
  const zadd = c.server.commands.get("zadd")?.spec.handler;
  if (zadd === undefined) throw new ReplyError("ERR GEOADD needs the sorted-set commands");
  const dirty = c.server.dirty;
  zadd(c, zargv);
  // Redis replaces the command vector: replicas and the AOF get the ZADD.
  if (c.server.dirty !== dirty) c.propagate(zargv);
}

/** GEOPOS key [member ...] */
function geopos(c: Context, argv: Bytes[]): void {
  const z = lookup(c, argv[1]!);
  const scores = z?.scores(argv.slice(2));
  const r = c.reply;
  r.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = scores?.[j - 2];
    if (score === undefined) {
      r.nullArray();
      continue;
    }
    const [x, y] = decodeScore(score);
    r.array(2);
    replyHuman(c, x);
    replyHuman(c, y);
  }
}

/** GEODIST key member1 member2 [unit] */
function geodist(c: Context, argv: Bytes[]): void {
  let toMeter = 1;
  if (argv.length === 5) toMeter = unitArg(argv[4]!);
  else if (argv.length > 5) throw new ReplyError(Err.syntax);
  const z = lookup(c, argv[1]!);
  const [s1, s2] = z?.scores([argv[2]!, argv[3]!]) ?? [];
  if (s1 === undefined || s2 === undefined) {
    c.reply.nullBulk();
    return;
  }
  const [x1, y1] = decodeScore(s1);
  const [x2, y2] = decodeScore(s2);
  c.reply.bulk(formatFixed(distance(x1, y1, x2, y2) / toMeter, 4));
}

/** GEOHASH key [member ...] */
function geohash(c: Context, argv: Bytes[]): void {
  const z = lookup(c, argv[1]!);
  const scores = z?.scores(argv.slice(2));
  const r = c.reply;
  r.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = scores?.[j - 2];
    if (score === undefined) r.nullBulk();
    else r.bulk(geohashString(score));
  }
}

/** How a search command names its centre and shape (Redis's flags). */
const enum Kind {
  /** GEORADIUS[_RO]: longitude latitude radius unit. */
  Coords,
  /** GEORADIUSBYMEMBER[_RO]: member radius unit. */
  Member,
  /** GEOSEARCH: FROM... BY... options. */
  Search,
}

interface SearchCall {
  kind: Kind;
  /** STORE / STOREDIST are refused (the _RO variants). */
  noStore?: boolean;
  /** GEOSEARCHSTORE. */
  store?: boolean;
}

/** georadiusGeneric: every search command. */
function georadiusGeneric(c: Context, argv: Bytes[], call: SearchCall): void {
  const srcIndex = call.store ? 2 : 1;
  const z = lookup(c, argv[srcIndex]!);
  const shape: GeoShape = {
    kind: "circle",
    lon: 0,
    lat: 0,
    radius: 0,
    width: 0,
    height: 0,
    conversion: 1,
  };
  let baseArgs: number;
  let storeKey: Bytes | undefined;
  let storeDist = false;
  if (call.kind === Kind.Coords) {
    baseArgs = 6;
    [shape.lon, shape.lat] = lonLatArg(argv[2]!, argv[3]!);
    [shape.radius, shape.conversion] = radiusArg(argv[4]!, argv[5]!);
  } else if (call.kind === Kind.Member) {
    baseArgs = 5;
    // Without the source key, options are still parsed (for the reply's
    // type) but the member and radius are not.
    if (z !== undefined) {
      const score = z.score(argv[2]!);
      if (score === undefined) throw new ReplyError("ERR could not decode requested zset member");
      [shape.lon, shape.lat] = decodeScore(score);
      [shape.radius, shape.conversion] = radiusArg(argv[3]!, argv[4]!);
    }
  } else {
    baseArgs = 2;
    if (call.store) {
      baseArgs = 3;
      storeKey = argv[1]!;
    }
  }
  const search = call.kind === Kind.Search;
  let withdist = false, withhash = false, withcoords = false;
  let fromMember = false, fromLoc = false, byRadius = false, byBox = false;
  let sort: 0 | 1 | -1 = 0;
  let any = false;
  let count = 0;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const at = baseArgs + i;
    const arg = word(argv[at]!);
    if (arg === "withdist") withdist = true;
    else if (arg === "withhash") withhash = true;
    else if (arg === "withcoord") withcoords = true;
    else if (arg === "any") any = true;
    else if (arg === "asc") sort = 1;
    else if (arg === "desc") sort = -1;
    else if (arg === "count" && i + 1 < remaining) {
      const n = parseInteger(argv[at + 1]!);
      if (n === undefined) throw new ReplyError(Err.notInteger);
      if (n <= 0) throw new ReplyError("ERR COUNT must be > 0");
      count = n;
      i++;
    } else if (
      (arg === "store" || arg === "storedist") && i + 1 < remaining && !call.noStore && !search
    ) {
      storeKey = argv[at + 1]!;
      storeDist = arg === "storedist";
      i++;
    } else if (arg === "storedist" && search && call.store) {
      storeDist = true;
    } else if (arg === "frommember" && i + 1 < remaining && search && !fromLoc) {
      if (z !== undefined) {
        const score = z.score(argv[at + 1]!);
        if (score === undefined) {
          throw new ReplyError("ERR could not decode requested zset member");
        }
        [shape.lon, shape.lat] = decodeScore(score);
      }
      fromMember = true;
      i++;
    } else if (arg === "fromlonlat" && i + 2 < remaining && search && !fromMember) {
      [shape.lon, shape.lat] = lonLatArg(argv[at + 1]!, argv[at + 2]!);
      fromLoc = true;
      i += 2;
    } else if (arg === "byradius" && i + 2 < remaining && search && !byBox) {
      [shape.radius, shape.conversion] = radiusArg(argv[at + 1]!, argv[at + 2]!);
      shape.kind = "circle";
      byRadius = true;
      i += 2;
    } else if (arg === "bybox" && i + 3 < remaining && search && !byRadius) {
      const w = doubleArg(argv[at + 1]!, "ERR need numeric width");
      const h = doubleArg(argv[at + 2]!, "ERR need numeric height");
      if (h < 0 || w < 0) throw new ReplyError("ERR height or width cannot be negative");
      shape.conversion = unitArg(argv[at + 3]!);
      shape.width = w;
      shape.height = h;
      shape.kind = "box";
      byBox = true;
      i += 3;
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  if (storeKey !== undefined && (withdist || withhash || withcoords)) {
    throw new ReplyError(
      `ERR ${
        call.store ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"
      } is not compatible with WITHDIST, WITHHASH and WITHCOORD options`,
    );
  }
  if (search && !(fromMember || fromLoc)) {
    throw new ReplyError(
      `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0]}`,
    );
  }
  if (search && !(byRadius || byBox)) {
    throw new ReplyError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0]}`);
  }
  if (any && count === 0) throw new ReplyError("ERR the ANY argument requires COUNT argument");

  if (z === undefined) {
    if (storeKey !== undefined) {
      if (c.db.delete(storeKey)) c.changed(storeKey, "del", "g");
      c.reply.integer(0);
    } else {
      c.reply.array(0);
    }
    return;
  }
  // COUNT without an order returns the nearest ones (not with ANY).
  if (count !== 0 && sort === 0 && !any) sort = 1;

  const ga = searchShape(z, shape, any ? count : 0);
  if (ga.length === 0 && storeKey === undefined) {
    c.reply.array(0);
    return;
  }
  const returned = count === 0 || ga.length < count ? ga.length : count;
  if (sort !== 0) {
    const cmp = sort === 1 ? byDistanceAsc : byDistanceDesc;
    // glibc's qsort is a stable merge sort, like Array.prototype.sort.
    if (returned === ga.length) ga.sort(cmp);
    else pqsort(ga, cmp, 0, returned - 1);
  }
  if (storeKey === undefined) {
    replyPoints(c, ga, returned, shape.conversion, { withdist, withhash, withcoords });
  } else {
    store(c, storeKey, ga, returned, { storeDist, conversion: shape.conversion, search });
  }
}

function replyPoints(
  c: Context,
  ga: GeoPoint[],
  returned: number,
  conversion: number,
  o: { withdist: boolean; withhash: boolean; withcoords: boolean },
): void {
  const r = c.reply;
  const options = (o.withdist ? 1 : 0) + (o.withcoords ? 1 : 0) + (o.withhash ? 1 : 0);
  r.array(returned);
  for (let i = 0; i < returned; i++) {
    const gp = ga[i]!;
    if (options !== 0) r.array(options + 1);
    r.bulk(gp.member);
    if (o.withdist) r.bulk(formatFixed(gp.dist / conversion, 4));
    if (o.withhash) r.integer(Math.trunc(gp.score));
    if (o.withcoords) {
      r.array(2);
      replyHuman(c, gp.lon);
      replyHuman(c, gp.lat);
    }
  }
}

function store(
  c: Context,
  key: Bytes,
  ga: GeoPoint[],
  returned: number,
  o: { storeDist: boolean; conversion: number; search: boolean },
): void {
  if (returned === 0) {
    if (c.db.delete(key)) c.changed(key, "del", "g");
    c.reply.integer(0);
    return;
  }
  const items = new Map<Bytes, number>();
  for (let i = 0; i < returned; i++) {
    const gp = ga[i]!;
    items.set(gp.member, o.storeDist ? gp.dist / o.conversion : gp.score);
  }
  const build = c.server.keyspace.types.get("zset")?.fromScored;
  if (build === undefined) throw new ReplyError("ERR STORE needs the sorted-set type");
  c.db.set(key, build(items));
  // Redis counts every stored element as a change.
  c.changed(key, o.search ? "geosearchstore" : "georadiusstore", "z", returned);
  c.reply.integer(returned);
}

// --------------------------------------------------------------------- specs

const command = commandFamily({ category: "geo" });

/** A STORE / STOREDIST destination, found after its keyword. */
function storeKey(keyword: string, startfrom: number): KeySpec {
  return {
    flags: ["OW", "UPDATE"],
    begin: { keyword, startfrom },
    find: { range: { lastkey: 0, step: 1, limit: 0 } },
  };
}

const KEY: CommandArg = { name: "key", type: "key", keySpecIndex: 0 };
const MEMBERS: CommandArg = { name: "member", type: "string", flags: ["multiple"] };
const UNIT: CommandArg = {
  name: "unit",
  type: "oneof",
  arguments: [
    { name: "m", type: "pure-token", token: "M" },
    { name: "km", type: "pure-token", token: "KM" },
    { name: "ft", type: "pure-token", token: "FT" },
    { name: "mi", type: "pure-token", token: "MI" },
  ],
};
const WITH: readonly CommandArg[] = [
  { name: "withcoord", type: "pure-token", token: "WITHCOORD", flags: ["optional"] },
  { name: "withdist", type: "pure-token", token: "WITHDIST", flags: ["optional"] },
  { name: "withhash", type: "pure-token", token: "WITHHASH", flags: ["optional"] },
];
const COUNT: CommandArg = {
  name: "count",
  type: "block",
  flags: ["optional"],
  arguments: [
    { name: "count", type: "integer", token: "COUNT" },
    { name: "any", type: "pure-token", token: "ANY", flags: ["optional"] },
  ],
};
/** GEORADIUS's COUNT, whose ANY Redis dates. */
const COUNT_ANY_SINCE: CommandArg = {
  ...COUNT,
  arguments: [
    { name: "count", type: "integer", token: "COUNT" },
    { name: "any", type: "pure-token", token: "ANY", since: "6.2.0", flags: ["optional"] },
  ],
};
const ORDER: CommandArg = {
  name: "order",
  type: "oneof",
  flags: ["optional"],
  arguments: [
    { name: "asc", type: "pure-token", token: "ASC" },
    { name: "desc", type: "pure-token", token: "DESC" },
  ],
};
const STORE: readonly CommandArg[] = [
  { name: "key", type: "key", keySpecIndex: 1, token: "STORE", flags: ["optional"] },
  { name: "key", type: "key", keySpecIndex: 2, token: "STOREDIST", flags: ["optional"] },
];
/** GEORADIUS[_RO]'s arguments before STORE. */
const RADIUS_ARGS: readonly CommandArg[] = [
  KEY,
  { name: "longitude", type: "double" },
  { name: "latitude", type: "double" },
  { name: "radius", type: "double" },
  UNIT,
  ...WITH,
  COUNT_ANY_SINCE,
  ORDER,
];
/** GEORADIUSBYMEMBER[_RO]'s arguments before STORE. */
const BYMEMBER_ARGS: readonly CommandArg[] = [
  KEY,
  { name: "member", type: "string" },
  { name: "radius", type: "double" },
  UNIT,
  ...WITH,
  COUNT,
  ORDER,
];
/** GEOSEARCH[STORE]'s centre and shape. */
const FROM_BY: readonly CommandArg[] = [
  {
    name: "from",
    type: "oneof",
    arguments: [
      { name: "member", type: "string", token: "FROMMEMBER" },
      {
        name: "longitude_latitude",
        type: "block",
        token: "FROMLONLAT",
        arguments: [{ name: "longitude", type: "double" }, { name: "latitude", type: "double" }],
      },
    ],
  },
  {
    name: "by",
    type: "oneof",
    arguments: [
      {
        name: "circle",
        type: "block",
        arguments: [{ name: "radius", type: "double", token: "BYRADIUS" }, UNIT],
      },
      {
        name: "box",
        type: "block",
        arguments: [
          { name: "width", type: "double", token: "BYBOX" },
          { name: "height", type: "double" },
          UNIT,
        ],
      },
    ],
  },
  ORDER,
  COUNT,
];

const RADIUS_COMPLEXITY =
  "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_COMPLEXITY =
  "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";
const UPPERCASE_UNITS = ["7.0.0", "Added support for uppercase unit names."] as const;

/** Every GEO command, with Redis 7.0's COMMAND INFO and DOCS. */
export const geoCommands = [
  command({
    name: "geoadd",
    arity: -5,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, ["RW", "UPDATE"])],
    docs: {
      summary:
        "Add one or more geospatial items in the geospatial index represented using a sorted set",
      since: "3.2.0",
      complexity:
        "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
      history: [["6.2.0", "Added the `CH`, `NX` and `XX` options."]],
      arguments: [
        KEY,
        {
          name: "condition",
          type: "oneof",
          since: "6.2.0",
          flags: ["optional"],
          arguments: [
            { name: "nx", type: "pure-token", token: "NX" },
            { name: "xx", type: "pure-token", token: "XX" },
          ],
        },
        { name: "change", type: "pure-token", token: "CH", since: "6.2.0", flags: ["optional"] },
        {
          name: "longitude_latitude_member",
          type: "block",
          flags: ["multiple"],
          arguments: [
            { name: "longitude", type: "double" },
            { name: "latitude", type: "double" },
            { name: "member", type: "string" },
          ],
        },
      ],
    },
    handler: geoadd,
  }),
  command({
    name: "geodist",
    arity: -4,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Returns the distance between two members of a geospatial index",
      since: "3.2.0",
      complexity: "O(log(N))",
      arguments: [
        KEY,
        { name: "member1", type: "string" },
        { name: "member2", type: "string" },
        { ...UNIT, flags: ["optional"] },
      ],
    },
    handler: geodist,
  }),
  command({
    name: "geohash",
    arity: -2,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Returns members of a geospatial index as standard geohash strings",
      since: "3.2.0",
      complexity:
        "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
      arguments: [KEY, MEMBERS],
    },
    handler: geohash,
  }),
  command({
    name: "geopos",
    arity: -2,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Returns longitude and latitude of members of a geospatial index",
      since: "3.2.0",
      complexity: "O(N) where N is the number of members requested.",
      arguments: [KEY, MEMBERS],
    },
    handler: geopos,
  }),
  command({
    name: "georadius",
    arity: -6,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"]), storeKey("STORE", 6), storeKey("STOREDIST", 6)],
    docs: {
      summary:
        "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
      since: "3.2.0",
      complexity: RADIUS_COMPLEXITY,
      docFlags: ["deprecated"],
      deprecatedSince: "6.2.0",
      replacedBy: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument",
      history: [["6.2.0", "Added the `ANY` option for `COUNT`."], UPPERCASE_UNITS],
      arguments: [...RADIUS_ARGS, ...STORE],
    },
    handler: (c, a) => georadiusGeneric(c, a, { kind: Kind.Coords }),
  }),
  command({
    name: "georadius_ro",
    arity: -6,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "A read-only variant for GEORADIUS",
      since: "3.2.10",
      complexity: RADIUS_COMPLEXITY,
      docFlags: ["deprecated"],
      deprecatedSince: "6.2.0",
      replacedBy: "`GEOSEARCH` with the `BYRADIUS` argument",
      history: [["6.2.0", "Added the `ANY` option for `COUNT`."]],
      arguments: RADIUS_ARGS,
    },
    handler: (c, a) => georadiusGeneric(c, a, { kind: Kind.Coords, noStore: true }),
  }),
  command({
    name: "georadiusbymember",
    arity: -5,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"]), storeKey("STORE", 5), storeKey("STOREDIST", 5)],
    docs: {
      summary:
        "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
      since: "3.2.0",
      complexity: RADIUS_COMPLEXITY,
      docFlags: ["deprecated"],
      deprecatedSince: "6.2.0",
      replacedBy: "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments",
      history: [UPPERCASE_UNITS],
      arguments: [...BYMEMBER_ARGS, ...STORE],
    },
    handler: (c, a) => georadiusGeneric(c, a, { kind: Kind.Member }),
  }),
  command({
    name: "georadiusbymember_ro",
    arity: -5,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "A read-only variant for GEORADIUSBYMEMBER",
      since: "3.2.10",
      complexity: RADIUS_COMPLEXITY,
      docFlags: ["deprecated"],
      deprecatedSince: "6.2.0",
      replacedBy: "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments",
      arguments: BYMEMBER_ARGS,
    },
    handler: (c, a) => georadiusGeneric(c, a, { kind: Kind.Member, noStore: true }),
  }),
  command({
    name: "geosearch",
    arity: -7,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary:
        "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
      since: "6.2.0",
      complexity: SEARCH_COMPLEXITY,
      history: [UPPERCASE_UNITS],
      arguments: [KEY, ...FROM_BY, ...WITH],
    },
    handler: (c, a) => georadiusGeneric(c, a, { kind: Kind.Search }),
  }),
  command({
    name: "geosearchstore",
    arity: -8,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, ["OW", "UPDATE"]), keys.one(2, ["RO", "ACCESS"])],
    docs: {
      summary:
        "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
      since: "6.2.0",
      complexity: SEARCH_COMPLEXITY,
      history: [UPPERCASE_UNITS],
      arguments: [
        { name: "destination", type: "key", keySpecIndex: 0 },
        { name: "source", type: "key", keySpecIndex: 1 },
        ...FROM_BY,
        { name: "storedist", type: "pure-token", token: "STOREDIST", flags: ["optional"] },
      ],
    },
    handler: (c, a) => georadiusGeneric(c, a, { kind: Kind.Search, store: true }),
  }),
];

/** The GEO family plugin (it needs the sorted-set family). */
export default definePlugin({
  name: "geo",
  dependencies: ["zsets"],
  commands: geoCommands,
});
