/**
 * GEO family: differential scripts against redis-server (replies, errors,
 * ordering, COUNT/ANY, STORE/STOREDIST, RESP3, COMMAND INFO), a seeded
 * random comparison over real-world, polar, antimeridian and duplicate
 * points, propagation and keyspace events, and ioredis.
 */
import { Redis } from "ioredis";

import {
  captureWrites,
  checkWrites,
  diffDirty,
  diffTest,
  prng,
  RawClient,
  startRespite,
  type Step,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

const SICILY = [
  "GEOADD",
  "Sicily",
  "13.361389",
  "38.115556",
  "Palermo",
  "15.087269",
  "37.502669",
  "Catania",
  "12.758489",
  "38.788135",
  "edge1",
  "17.241510",
  "38.788135",
  "edge2",
];

const CITIES = [
  "GEOADD",
  "w",
  "-0.1276",
  "51.5072",
  "London",
  "2.3522",
  "48.8566",
  "Paris",
  "-74.0060",
  "40.7128",
  "NewYork",
  "139.6917",
  "35.6895",
  "Tokyo",
  "151.2093",
  "-33.8688",
  "Sydney",
  "-43.1729",
  "-22.9068",
  "Rio",
  "174.7633",
  "-36.8485",
  "Auckland",
  "-179.9",
  "-16.5",
  "Fiji-W",
  "179.9",
  "-16.5",
  "Fiji-E",
  "180",
  "0",
  "am-east",
  "-180",
  "0",
  "am-west",
  "0",
  "85.05112878",
  "north-edge",
  "0",
  "-85.05112878",
  "south-edge",
  "45",
  "84.9",
  "arctic",
  "-60",
  "-84.5",
  "antarctic",
  "2.3522",
  "48.8566",
  "Paris-dup",
  "2.3522",
  "48.8566",
  "Paris-dup2",
  "0",
  "0",
  "null-island",
];

diffTest("GEOADD options, replies and errors", [
  SICILY,
  ["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"],
  ["GEOADD", "Sicily", "CH", "13.361389", "38.115556", "Palermo", "13.4", "38.1", "edge1"],
  ["GEOADD", "Sicily", "NX", "1", "2", "Palermo", "1", "2", "new"],
  ["GEOADD", "Sicily", "XX", "1", "2", "Palermo", "1", "2", "new2"],
  ["GEOADD", "Sicily", "XX", "CH", "3", "4", "Palermo"],
  ["GEOADD", "Sicily", "ch", "nx", "ch", "5", "6", "x"],
  ["ZRANGE", "Sicily", "0", "-1", "WITHSCORES"],
  ["GEOADD", "Sicily", "NX", "XX", "1", "2", "a"],
  ["GEOADD", "Sicily", "1", "2"],
  ["GEOADD", "Sicily", "1", "2", "a", "3"],
  ["GEOADD", "Sicily", "GT", "1", "2", "a"],
  ["GEOADD", "Sicily", "abc", "2", "a"],
  ["GEOADD", "Sicily", "1", "nan", "a"],
  ["GEOADD", "Sicily", "180.000001", "2", "a"],
  ["GEOADD", "Sicily", "1", "85.05112879", "a"],
  ["GEOADD", "Sicily", "-1e300", "-90", "a"],
  ["GEOADD", "Sicily", "inf", "0", "a"],
  ["GEOADD", "Sicily", "0", "-inf", "a"],
  ["GEOADD", "Sicily", "1", "2", "ok", "200", "2", "bad"],
  ["ZCARD", "Sicily"],
  ["GEOADD", "Sicily", "ch", "nx", "ch"],
  ["GEOADD", "k"],
  ["SET", "str", "v"],
  ["GEOADD", "str", "1", "2", "a"],
  ["GEOADD", "empty", "XX", "1", "2", "a"],
  ["EXISTS", "empty"],
  ["GEOADD", "ints", "1", "2", "123", "3", "4", "-5"],
  ["GEOPOS", "ints", "123", "-5"],
]);

diffTest("GEOPOS, GEOHASH, GEODIST on cities, poles and the antimeridian", () => {
  const members = [];
  for (let i = 4; i < CITIES.length; i += 3) members.push(CITIES[i]!);
  const dist: Step[] = [];
  const units = ["m", "km", "ft", "mi", "M", "Km", "FT", "mI"];
  for (let i = 0; i < members.length; i++) {
    dist.push(["GEODIST", "w", members[i]!, members[(i * 7 + 3) % members.length]!]);
    dist.push(["GEODIST", "w", members[i]!, members[(i * 5 + 1) % members.length]!, units[i % 8]!]);
  }
  return [
    CITIES,
    ["GEOPOS", "w", ...members, "missing"],
    ["GEOHASH", "w", ...members, "missing"],
    ...dist,
    ["GEODIST", "w", "London", "London"],
    ["GEODIST", "w", "Paris", "Paris-dup", "km"],
    ["GEODIST", "w", "London", "nope"],
    ["GEODIST", "nokey", "a", "b"],
    ["GEODIST", "nokey", "a", "b", "parsec"],
    ["GEODIST", "w", "London", "Paris", "parsec"],
    ["GEODIST", "w", "London", "Paris", "km", "extra"],
    ["GEODIST", "w", "London", "Paris", "m\x00x"],
    ["GEOPOS", "nokey", "a", "b"],
    ["GEOPOS", "w"],
    ["GEOHASH", "nokey", "a"],
    ["GEOHASH", "w"],
    ["SET", "str", "v"],
    ["GEOPOS", "str", "a"],
    ["GEOHASH", "str", "a"],
    ["GEODIST", "str", "a", "b"],
    ["GEODIST", "str", "a", "b", "bad"],
    // Scores that are not geohashes still decode (clamped), as in Redis.
    ["ZADD", "odd", "0", "zero", "-1", "neg", "1.5", "half", "9007199254740993", "big"],
    ["ZADD", "odd", "inf", "pinf", "-inf", "ninf", "1e30", "huge"],
    ["GEOPOS", "odd", "zero", "neg", "half", "big", "pinf", "ninf", "huge"],
    ["GEOHASH", "odd", "zero", "neg", "half", "big", "pinf", "ninf", "huge"],
    ["GEODIST", "odd", "zero", "huge", "km"],
  ];
});

diffTest("GEORADIUS / GEORADIUSBYMEMBER options and ordering", () => {
  const out: Step[] = [SICILY, CITIES];
  const opts = [
    [],
    ["WITHDIST"],
    ["WITHCOORD"],
    ["WITHHASH"],
    ["WITHDIST", "WITHCOORD", "WITHHASH"],
    ["ASC"],
    ["DESC", "WITHDIST"],
    ["COUNT", "1"],
    ["COUNT", "2", "DESC"],
    ["COUNT", "1", "ANY"],
    ["COUNT", "2", "ANY", "ASC", "WITHDIST"],
    ["COUNT", "100"],
    ["withdist", "asc", "count", "3", "withhash"],
  ];
  for (const o of opts) {
    out.push(["GEORADIUS", "Sicily", "15", "37", "200", "km", ...o]);
    out.push(["GEORADIUS_RO", "Sicily", "15", "37", "300", "km", ...o]);
    out.push(["GEORADIUSBYMEMBER", "Sicily", "Palermo", "200", "km", ...o]);
    out.push(["GEORADIUSBYMEMBER_RO", "w", "Paris", "1000", "km", ...o]);
    out.push(["GEORADIUS", "w", "179.95", "-16.5", "50", "km", ...o]);
    out.push(["GEORADIUS", "w", "0", "84", "3000", "km", ...o]);
    out.push(["GEORADIUS", "w", "0", "0", "20000", "km", ...o]);
    out.push(["GEORADIUS", "w", "2.3522", "48.8566", "0", "m", ...o]);
  }
  out.push(
    ["GEORADIUS", "Sicily", "15", "37", "200", "mi", "WITHDIST"],
    ["GEORADIUS", "Sicily", "15", "37", "700000", "ft", "WITHDIST"],
    ["GEORADIUS", "Sicily", "15", "37", "1", "m"],
    ["GEORADIUS", "nokey", "15", "37", "1", "m"],
    ["GEORADIUSBYMEMBER", "nokey", "x", "abc", "parsec", "WITHDIST"],
    ["GEORADIUS", "w", "0", "0", "inf", "km", "COUNT", "3"],
  );
  return out;
});

diffTest("GEOSEARCH FROMMEMBER/FROMLONLAT BYRADIUS/BYBOX", () => {
  const out: Step[] = [SICILY, CITIES];
  const from = [
    ["FROMLONLAT", "15", "37"],
    ["FROMMEMBER", "Palermo"],
    ["fromlonlat", "13.5", "38"],
  ];
  const by = [
    ["BYRADIUS", "200", "km"],
    ["BYBOX", "400", "400", "km"],
    ["BYBOX", "100", "600", "km"],
    ["BYBOX", "600", "100", "mi"],
    ["byradius", "500000", "ft"],
  ];
  const opts = [
    [],
    ["ASC", "WITHCOORD", "WITHDIST", "WITHHASH"],
    ["DESC", "COUNT", "2"],
    ["COUNT", "1", "ANY"],
    ["COUNT", "3", "ANY", "DESC", "WITHDIST"],
  ];
  for (const f of from) {
    for (const b of by) {
      for (const o of opts) {
        out.push(["GEOSEARCH", "Sicily", ...f, ...b, ...o]);
      }
    }
  }
  for (const o of opts) {
    out.push(["GEOSEARCH", "w", "FROMLONLAT", "180", "-16.5", "BYBOX", "100", "10", "km", ...o]);
    out.push(["GEOSEARCH", "w", "FROMMEMBER", "arctic", "BYBOX", "5000", "800", "km", ...o]);
    out.push(["GEOSEARCH", "w", "FROMMEMBER", "Paris", "BYRADIUS", "1", "m", ...o]);
    out.push(["GEOSEARCH", "w", "FROMLONLAT", "-60", "-85", "BYRADIUS", "2000", "km", ...o]);
  }
  out.push(["GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"]);
  out.push([
    "GEOSEARCH",
    "Sicily",
    "FROMMEMBER",
    "Palermo",
    "FROMMEMBER",
    "Catania",
    "BYRADIUS",
    "1",
    "m",
  ]);
  return out;
});

diffTest("STORE, STOREDIST and GEOSEARCHSTORE", [
  SICILY,
  CITIES,
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d1"],
  ["ZRANGE", "d1", "0", "-1", "WITHSCORES"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "d2"],
  ["ZRANGE", "d2", "0", "-1", "WITHSCORES"],
  ["GEORADIUS", "Sicily", "15", "37", "500", "km", "STORE", "d3", "COUNT", "2", "DESC"],
  ["ZRANGE", "d3", "0", "-1", "WITHSCORES"],
  ["GEORADIUSBYMEMBER", "w", "Paris", "1000", "mi", "STOREDIST", "d4", "ASC", "COUNT", "3"],
  ["ZRANGE", "d4", "0", "-1", "WITHSCORES"],
  ["OBJECT", "ENCODING", "d4"],
  ["GEOSEARCHSTORE", "d5", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km"],
  ["ZRANGE", "d5", "0", "-1", "WITHSCORES"],
  [
    "GEOSEARCHSTORE",
    "d6",
    "Sicily",
    "FROMLONLAT",
    "15",
    "37",
    "BYBOX",
    "400",
    "400",
    "km",
    "ASC",
    "COUNT",
    "3",
    "STOREDIST",
  ],
  ["ZRANGE", "d6", "0", "-1", "WITHSCORES"],
  ["GEOSEARCHSTORE", "d7", "w", "FROMMEMBER", "Paris", "BYRADIUS", "1", "m", "storedist"],
  ["ZRANGE", "d7", "0", "-1", "WITHSCORES"],
  // The source itself as the destination; then an empty result deletes it.
  ["GEOADD", "self", "15", "37", "a", "16", "38", "b"],
  ["GEORADIUS", "self", "15", "37", "1", "km", "STORE", "self"],
  ["ZRANGE", "self", "0", "-1", "WITHSCORES"],
  ["SET", "dst", "x"],
  ["EXPIRE", "dst", "100"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst"],
  ["TYPE", "dst"],
  ["TTL", "dst"],
  ["GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst"],
  ["EXISTS", "dst"],
  ["SET", "dst", "x"],
  ["GEORADIUS", "nokey", "0", "0", "1", "km", "STORE", "dst"],
  ["EXISTS", "dst"],
  ["SET", "dst", "x"],
  ["GEOSEARCHSTORE", "dst", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"],
  ["EXISTS", "dst"],
  ["GEOSEARCHSTORE", "dst", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"],
  // STORE twice: the last one wins.
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "a", "STOREDIST", "b"],
  ["ZRANGE", "b", "0", "-1", "WITHSCORES"],
  ["EXISTS", "a"],
]);

diffTest("search errors", [
  SICILY,
  ["SET", "str", "x"],
  ["GEORADIUS", "str", "15", "37", "1", "km"],
  ["GEORADIUS", "str", "bad", "37", "1", "km"],
  ["GEOSEARCH", "str", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"],
  ["GEOSEARCHSTORE", "d", "str", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"],
  ["GEORADIUS", "Sicily", "15", "37", "-1", "km"],
  ["GEORADIUS", "Sicily", "15", "37", "abc", "km"],
  ["GEORADIUS", "Sicily", "15", "37", "1", "parsec"],
  ["GEORADIUS", "Sicily", "15", "95", "1", "km"],
  ["GEORADIUS", "Sicily", "-181", "0", "1", "km"],
  ["GEORADIUS", "Sicily", "x", "0", "1", "km"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY", "COUNT", "1"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "-1"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "x"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "STORE", "d"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "d", "WITHHASH"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "bogus"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "FROMLONLAT", "1", "2"],
  ["GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "d"],
  ["GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "STOREDIST", "d"],
  ["GEORADIUSBYMEMBER", "Sicily", "nobody", "200", "km"],
  ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "-5", "km"],
  ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "5", "yards"],
  ["GEOSEARCH", "Sicily", "BYRADIUS", "200", "km"],
  ["geosearch", "Sicily", "FROMLONLAT", "15", "37", "ASC"],
  ["GeoSearch", "Sicily", "FROMLONLAT", "15", "37", "COUNT", "2"],
  ["GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m", "BYBOX", "1", "1", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "m", "BYRADIUS", "1", "m"],
  ["GEOSEARCH", "Sicily", "FROMMEMBER", "nobody", "BYRADIUS", "1", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "100", "BYRADIUS", "1", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "-1", "1", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "-1", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "a", "1", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "b", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1", "parsec"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "1", "1"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "BYRADIUS", "1", "m"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m", "STOREDIST"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m", "STORE", "d"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m", "ANY"],
  ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m", "WITHDIST"],
  ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m", "STORE", "x"],
  ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km", "STOREDIST"],
  ["GEOSEARCHSTORE", "d", "nokey", "BYRADIUS", "1", "m", "WITHHASH", "x"],
  ["GEOSEARCHSTORE", "d", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "m", "WITHHASH"],
  ["GEORADIUS", "Sicily", "15", "37", "1"],
  ["GEORADIUSBYMEMBER", "Sicily", "Palermo", "1"],
  ["GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37"],
  ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS"],
  ["GEODIST", "Sicily", "a"],
  ["GEOPOS"],
]);

diffTest("RESP3 replies", [
  // Its content (server, version, id) differs; only its shape is compared.
  { cmd: ["HELLO", "3"], shapeOnly: true },
  SICILY,
  ["GEOPOS", "Sicily", "Palermo", "nope"],
  ["GEOHASH", "Sicily", "Palermo", "nope"],
  ["GEODIST", "Sicily", "Palermo", "Catania", "km"],
  ["GEODIST", "Sicily", "Palermo", "nope"],
  ["GEODIST", "nokey", "a", "b"],
  ["GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"],
  ["GEOSEARCH", "Sicily", "FROMMEMBER", "edge1", "BYBOX", "600", "300", "km", "WITHCOORD"],
  ["GEOSEARCH", "nokey", "FROMMEMBER", "edge1", "BYBOX", "600", "300", "km", "WITHCOORD"],
]);

diffTest("COMMAND INFO of every GEO command", () =>
  [
    "geoadd",
    "geopos",
    "geodist",
    "geohash",
    "georadius",
    "georadiusbymember",
    "georadius_ro",
    "georadiusbymember_ro",
    "geosearch",
    "geosearchstore",
  ].flatMap((c) => [
    ["COMMAND", "INFO", c],
    ["COMMAND", "GETKEYS", c, "src", "1", "2", "3", "km", "STORE", "dst"],
  ]).concat([
    ["COMMAND", "GETKEYS", "GEORADIUS", "src", "1", "2", "3", "km", "STOREDIST", "d2"],
    ["COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "src", "m", "3", "km", "STORE", "d3"],
    ["COMMAND", "GETKEYS", "GEOSEARCHSTORE", "dst", "src", "FROMMEMBER", "m", "BYRADIUS", "1", "m"],
  ]));

diffTest("seeded random searches (clusters, poles, antimeridian, duplicates)", () => {
  const rnd = prng(20240607);
  const between = (a: number, b: number) => a + (b - a) * rnd();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const point = (): [number, number] => {
    const r = rnd();
    if (r < 0.15) return [rnd() < 0.5 ? between(170, 180) : between(-180, -170), between(-60, 60)];
    if (r < 0.3) return [between(-180, 180), between(75, 85.05) * (rnd() < 0.5 ? 1 : -1)];
    if (r < 0.6) return [between(12, 16), between(36, 40)];
    return [between(-180, 180), between(-85, 85)];
  };
  const f = (x: number) => x.toFixed(6);
  const out: Step[] = [];
  const pts: [number, number][] = [];
  for (let i = 0; i < 400; i++) {
    const p = point();
    pts.push(p);
    out.push(["GEOADD", "g", f(p[0]), f(p[1]), `m${i}`]);
  }
  for (let i = 0; i < 30; i++) {
    const p = pts[i % 4]!;
    out.push(["GEOADD", "g", f(p[0]), f(p[1]), `dup${i}`]);
  }
  const units = ["m", "km", "ft", "mi"];
  for (let i = 0; i < 250; i++) {
    let [lon, lat] = rnd() < 0.3 ? pts[Math.floor(rnd() * 8)]! : point();
    if (rnd() < 0.05) lon = pick([180, -180, 179.9999, -179.9999]);
    if (rnd() < 0.03) lat = pick([85.05112878, -85.05112878]);
    const radius = String(pick([1, 10, 100, 500, 1000, 3000, 6000, 10000, 20000, 0, 5000.5]));
    const u = pick(units);
    const opts: string[] = [];
    for (const o of ["WITHDIST", "WITHCOORD", "WITHHASH"]) if (rnd() < 0.5) opts.push(o);
    const s = rnd();
    if (s < 0.3) opts.push("ASC");
    else if (s < 0.5) opts.push("DESC");
    if (rnd() < 0.4) {
      opts.push("COUNT", String(pick([1, 2, 3, 5, 10, 50])));
      if (rnd() < 0.3) opts.push("ANY");
    }
    const k = rnd();
    if (k < 0.3) {
      out.push(["GEORADIUS", "g", f(lon), f(lat), radius, u, ...opts]);
    } else if (k < 0.45) {
      out.push(["GEORADIUSBYMEMBER_RO", "g", `m${Math.floor(rnd() * 400)}`, radius, u, ...opts]);
    } else if (k < 0.75) {
      out.push(
        rnd() < 0.5
          ? [
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            f(lon),
            f(lat),
            "BYBOX",
            String(Number(radius) * pick([0.5, 1, 2])),
            radius,
            u,
            ...opts,
          ]
          : [
            "GEOSEARCH",
            "g",
            "FROMMEMBER",
            `dup${Math.floor(rnd() * 30)}`,
            "BYRADIUS",
            radius,
            u,
            ...opts,
          ],
      );
    } else {
      const o = opts.filter((x) => !x.startsWith("WITH"));
      const dist = rnd() < 0.5;
      if (dist) o.push("STOREDIST");
      out.push([
        "GEOSEARCHSTORE",
        "dst",
        "g",
        "FROMLONLAT",
        f(lon),
        f(lat),
        "BYRADIUS",
        radius,
        u,
        ...o,
      ]);
      // Stored distances are compared through ZRANGE order only: their
      // last bit may differ (see geohash.ts); geohash scores are exact.
      out.push(dist ? ["ZRANGE", "dst", "0", "-1"] : ["ZRANGE", "dst", "0", "-1", "WITHSCORES"]);
    }
  }
  const all = pts.map((_, i) => `m${i}`);
  out.push(["GEOPOS", "g", ...all], ["GEOHASH", "g", ...all]);
  for (let i = 0; i < 100; i++) {
    out.push([
      "GEODIST",
      "g",
      `m${Math.floor(rnd() * 400)}`,
      `m${Math.floor(rnd() * 400)}`,
      pick(units),
    ]);
  }
  return out;
});

Deno.test({
  name: "geo: propagation and keyspace events",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cap = captureWrites();
    const s = await startRespite({ plugins: [cap.plugin] });
    const c = await RawClient.connect(s.port);
    const step = checkWrites(c, cap);
    try {
      await step(
        ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
        2,
        [["zadd", "g", "3479099956230698", "Palermo", "3479447370796909", "Catania"]],
        ["zadd:z:g"],
      );
      await step(["GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo"], 0, [], []);
      await step(
        ["GEOADD", "g", "XX", "CH", "13.4", "38.1", "Palermo"],
        1,
        [["zadd", "g", "XX", "CH", "3479099937378871", "Palermo"]],
        ["zadd:z:g"],
      );
      const store = ["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d"];
      await step(store, 2, [store], ["georadiusstore:z:d"]);
      const search = [
        "GEOSEARCHSTORE",
        "d2",
        "g",
        "FROMLONLAT",
        "15",
        "37",
        "BYRADIUS",
        "200",
        "km",
      ];
      await step(search, 2, [search], ["geosearchstore:z:d2"]);
      const empty = ["GEORADIUS", "g", "15", "37", "1", "m", "STORE", "d"];
      await step(empty, 0, [empty], ["del:g:d"]);
      await step(empty, 0, [], []);
      const nokey = ["GEORADIUS", "nokey", "15", "37", "1", "m", "STORE", "d2"];
      await step(nokey, 0, [nokey], ["del:g:d2"]);
      await step(["GEORADIUS", "g", "15", "37", "200", "km"], ["Palermo", "Catania"], [], []);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "geo: ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const r = new Redis({ port: s.port, lazyConnect: true });
    try {
      await r.connect();
      assertEquals(
        await r.geoadd("Sicily", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"),
        2,
      );
      assertEquals(await r.geodist("Sicily", "Palermo", "Catania", "KM"), "166.2742");
      assertEquals(await r.geopos("Sicily", "Palermo", "x"), [
        ["13.36138933897018433", "38.11555639549629859"],
        null,
      ]);
      assertEquals(await r.geohash("Sicily", "Palermo", "Catania"), ["sqc8b49rny0", "sqdtr74hyu0"]);
      assertEquals(
        await r.georadius("Sicily", 15, 37, 200, "km", "WITHDIST", "ASC"),
        [["Catania", "56.4413"], ["Palermo", "190.4424"]],
      );
      assertEquals(
        await r.geosearch("Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", 200, "km", "DESC"),
        ["Catania", "Palermo"],
      );
      assertEquals(
        await r.geosearchstore("dst", "Sicily", "FROMLONLAT", 15, 37, "BYBOX", 400, 400, "km"),
        2,
      );
      assertEquals(await r.zrange("dst", 0, -1, "WITHSCORES"), [
        "Palermo",
        "3479099956230698",
        "Catania",
        "3479447370796909",
      ]);
      await assertRejects(() => r.call("GEODIST", "Sicily", "Palermo", "Catania", "parsec"));
    } finally {
      r.disconnect();
      await s.close();
    }
  },
});

async function assertRejects(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assertEquals(
      (e as Error).message,
      "ERR unsupported unit provided. please use M, KM, FT, MI",
    );
    return;
  }
  throw new Error("expected a rejection");
}

diffDirty("geo: GEOADD counts as its ZADD, STORE one change per stored member", [
  ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
  ["GEOADD", "g", "13.361389", "38.115556", "Palermo"],
  ["GEOADD", "g", "CH", "13.361389", "38.115556", "Palermo", "1", "1", "Other"],
  ["GEOADD", "g", "XX", "2", "2", "Other", "3", "3", "New"],
  ["GEOADD", "g", "NX", "2", "2", "Other"],
  ["GEOADD", "g", "NX", "XX", "2", "2", "Other"],
  ["GEOADD", "g", "200", "100", "bad"],
  ["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
  ["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"],
  ["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
  ["GEOSEARCHSTORE", "dst", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "1", "km"],
  ["GEOSEARCHSTORE", "dst", "nothing", "FROMLONLAT", "0", "0", "BYBOX", "1", "1", "km"],
  ["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "r"],
  ["GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "r"],
  ["GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "1", "STORE", "r"],
  ["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "r"],
  ["GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "STORE", "m"],
  ["GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "STOREDIST", "m"],
  ["GEORADIUSBYMEMBER", "nothing", "Palermo", "200", "km", "STORE", "m"],
  ["GEORADIUS", "g", "15", "37", "200", "km"],
  ["GEOSEARCH", "g", "FROMMEMBER", "Palermo", "BYRADIUS", "200", "km"],
]);
