/**
 * RDB interoperability with a real redis-server 7.0: datasets covering
 * every type and encoding (small and large, TTLs, several databases,
 * binary keys) saved by one server and loaded by the other, compared with
 * DEBUG DIGEST, per-key DEBUG DIGEST-VALUE, OBJECT ENCODING, absolute
 * expiry times and full dumps of the contents; and DUMP/RESTORE across the
 * two servers both ways.
 */

import { assertEquals, assertOk as assert } from "../_assert.ts";
import { hasRedis, RawClient, type Reply, startRealRedis, startRespite } from "../_helpers.ts";
import { builtinPlugins } from "../../plugins/builtins.ts";

const FAR = 4102444800000; // 2100-01-01

/** Byte string of `n` pseudo-random bytes (deterministic). */
function noise(n: number, seed: number): string {
  let s = "", x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += String.fromCharCode(x >>> 24);
  }
  return s;
}

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** Commands building the dataset, per database. */
export function dataset(): [number, string[][]][] {
  const ints = [
    "0",
    "1",
    "-1",
    "127",
    "128",
    "-4096",
    "4095",
    "4096",
    "32767",
    "-32768",
    "8388607",
    "-8388608",
    "2147483647",
    "-2147483648",
    "9223372036854775807",
    "-9223372036854775808",
    "007",
    "-0",
    "+1",
    " 1",
    "1e3",
    "9223372036854775808",
  ];
  const db0: string[][] = [
    ["SET", "str:small", "hello"],
    ["SET", "str:int", "12345"],
    ["SET", "str:neg", "-7"],
    ["SET", "str:int32", "-2147483648"],
    ["SET", "str:bigint", "1234567890123"],
    ["SET", "str:lzf", "ab".repeat(500)],
    ["SET", "str:noise", noise(300, 1)],
    ["SET", "str:empty", ""],
    ["SET", "str:ttl", "x", "PXAT", String(FAR)],
    ["SET", "str:ttl2", "y", "EXAT", "4102444801"],
    ["SET", "\x00\xff\r\nbin", "\x80\x81\x00"],
    ["RPUSH", "list:small", "a", "b", "1", "-2", "300", "70000", "1099511627776", "x".repeat(100)],
    ["RPUSH", "list:ints", ...ints],
    ["RPUSH", "list:big", ...range(5000, (i) => i % 3 === 0 ? String(i * 7919) : `item:${i}`)],
    ["RPUSH", "list:huge-elements", ...range(5, (i) => noise(10000, i + 10))],
    ["RPUSH", "list:ttl", "q"],
    ["PEXPIREAT", "list:ttl", String(FAR + 5)],
    ["SADD", "set:intset", "1", "2", "3", "-5", "100000"],
    ["SADD", "set:intset64", "1", "9223372036854775807", "-9223372036854775808"],
    ["SADD", "set:strings", "a", "b", "c", "1"],
    ["SADD", "set:bigints", ...range(600, (i) => String(i * 3))],
    ["SADD", "set:big", ...range(1000, (i) => `m${i}`)],
    ["HSET", "hash:small", "f1", "v1", "f2", "2", "n", "-300", "empty", ""],
    ["HSET", "hash:longval", "f", "v".repeat(100)],
    ["HSET", "hash:big", ...range(600, (i) => [`field:${i}`, String(i)]).flat()],
    ["HSET", "hash:ints", ...ints.flatMap((v, i) => [`k${i}`, v])],
    ["ZADD", "zset:small", "1", "a", "2.5", "b", "-3.25", "c", "inf", "d", "-inf", "e", "0", "f"],
    [
      "ZADD",
      "zset:scores",
      "1e300",
      "big",
      "1e-300",
      "tiny",
      "3.141592653589793",
      "pi",
      "9007199254740993",
      "p53",
      "-0",
      "negzero",
      "123456789",
      "int",
    ],
    ["ZADD", "zset:longmember", "1", "m".repeat(100)],
    ["ZADD", "zset:big", ...range(300, (i) => [String(i / 4), `member:${i}`]).flat()],
    [
      "ZADD",
      "zset:bigscores",
      "inf",
      "x",
      "-inf",
      "y",
      ...range(200, (i) => [String(i * 1.1), `z${i}`]).flat(),
    ],
    ["EXPIREAT", "zset:small", "4102444900"],
    ["XADD", "stream:small", "1-1", "a", "1", "b", "2"],
    ["XADD", "stream:small", "1-2", "a", "3", "b", "4"],
    ["XADD", "stream:small", "2-0", "c", "5"],
    ["XADD", "stream:small", "1700000000000-5", "x", "y".repeat(100), "n", "-17"],
    ["XDEL", "stream:small", "1-2"],
    ["XGROUP", "CREATE", "stream:small", "g1", "0"],
    ["XGROUP", "CREATE", "stream:small", "g2", "$", "ENTRIESREAD", "3"],
    ["XGROUP", "CREATE", "stream:small", "\x00g", "1-1"],
    ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "stream:small", ">"],
    ["XREADGROUP", "GROUP", "g1", "bob", "STREAMS", "stream:small", ">"],
    ["XACK", "stream:small", "g1", "1-1"],
    ["XGROUP", "CREATECONSUMER", "stream:small", "g1", "carol"],
    ["XSETID", "stream:small", "1700000000000-10", "ENTRIESADDED", "10", "MAXDELETEDID", "1-2"],
    ...range(
      700,
      (i) =>
        i % 10 === 3
          ? ["XADD", "stream:big", `${i + 1}-0`, "other", String(i)]
          : ["XADD", "stream:big", `${i + 1}-${i % 3}`, "f1", `v${i}`, "f2", String(i * 3)],
    ),
    ["XDEL", "stream:big", ...range(150, (i) => `${i + 1}-${i % 3}`)],
    ["XDEL", "stream:big", "300-2", "301-0", "302-1"],
    ["XGROUP", "CREATE", "stream:big", "grp", "0"],
    ["XREADGROUP", "GROUP", "grp", "c1", "COUNT", "50", "STREAMS", "stream:big", ">"],
    ["XADD", "stream:empty", "5-0", "f", "v"],
    ["XDEL", "stream:empty", "5-0"],
  ];
  const db1: string[][] = [
    ["SET", "a", "db1"],
    ["RPUSH", "l", "x"],
    ["HSET", "h", "f", "v"],
  ];
  const db15: string[][] = [
    ["SET", "\xff\xfe", "binary key"],
    ["SADD", "s\x00", "\x00", "\xff"],
    ["ZADD", "z", "1", "\x00\x01"],
  ];
  return [[0, db0], [1, db1], [15, db15]];
}

/** Runs the dataset commands on a server. */
async function load(c: RawClient, data: [number, string[][]][]): Promise<void> {
  for (const [db, cmds] of data) {
    assertEquals(await c.call("SELECT", String(db)), "OK");
    for (const cmd of cmds) {
      const r = await c.call(...cmd);
      if (typeof r === "object" && r !== null && "error" in r) {
        throw new Error(`${cmd[0]}: ${r.error}`);
      }
    }
  }
  await c.call("SELECT", "0");
}

function sortedStrings(r: Reply): string[] {
  return (r as string[]).slice().sort();
}

/** Reads a value fully (in pages, so replies stay small). */
async function readValue(c: RawClient, type: string, k: string): Promise<unknown> {
  switch (type) {
    case "string":
      return await c.call("GET", k);
    case "list": {
      const n = await c.call("LLEN", k) as number;
      const out: Reply[] = [];
      for (let i = 0; i < n; i += 500) {
        out.push(...(await c.call("LRANGE", k, String(i), String(i + 499)) as Reply[]));
      }
      return out;
    }
    case "set":
      return sortedStrings(await c.call("SMEMBERS", k));
    case "hash": {
      const flat = await c.call("HGETALL", k) as string[];
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
      return pairs.sort();
    }
    case "zset":
      return await c.call("ZRANGE", k, "0", "-1", "WITHSCORES");
    case "stream":
      return [
        await c.call("XRANGE", k, "-", "+"),
        await c.call("XINFO", "STREAM", k, "FULL"),
      ];
  }
  return `?${type}`;
}

/** Everything observable about every key of every database. */
export async function snapshot(c: RawClient, dbs = 16): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (let db = 0; db < dbs; db++) {
    await c.call("SELECT", String(db));
    const keys = (await c.call("KEYS", "*") as string[]).sort();
    for (const k of keys) {
      const type = await c.call("TYPE", k) as string;
      out[`${db}/${k}`] = {
        type,
        encoding: type === "string" ? "-" : await c.call("OBJECT", "ENCODING", k),
        expireAt: await c.call("PEXPIRETIME", k),
        digest: await c.call("DEBUG", "DIGEST-VALUE", k),
        value: await readValue(c, type, k),
      };
    }
  }
  await c.call("SELECT", "0");
  out.digest = await c.call("DEBUG", "DIGEST");
  return out;
}

/** Replaces values that look like current Unix ms times with 0. */
function maskTimes<T>(v: T): T {
  if (typeof v === "number" && v > 1_600_000_000_000 && v < 4_000_000_000_000) return 0 as T;
  if (Array.isArray(v)) return v.map(maskTimes) as T;
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskTimes(x)])) as T;
  }
  return v;
}

function assertSame(a: Record<string, unknown>, b: Record<string, unknown>): void {
  assertEquals(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(a)) assertEquals(a[k], b[k], `key ${k}`);
}

const opts = { ignore: !hasRedis, sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "rdb interop: each type digests like Redis before any file is involved",
  opts,
  async () => {
    const redis = await startRealRedis();
    const respite = await startRespite({ config: { "enable-debug-command": "yes" } });
    const a = await RawClient.connect(redis.port), b = await RawClient.connect(respite.port);
    try {
      await load(a, dataset());
      await load(b, dataset());
      // Built separately: delivery and seen times differ; mask them.
      assertSame(maskTimes(await snapshot(b)), maskTimes(await snapshot(a)));
    } finally {
      a.close();
      b.close();
      await respite.close();
      await redis.stop();
    }
  },
);

Deno.test("rdb interop: redis-server SAVE, Respite loads", opts, async () => {
  const dir = await Deno.makeTempDir({ prefix: "respite-rdb-" });
  const redis = await startRealRedis(["--dir", dir]);
  const a = await RawClient.connect(redis.port);
  let respite;
  try {
    await load(a, dataset());
    assertEquals(await a.call("SAVE"), "OK");
    const want = await snapshot(a);
    assert(Object.keys(want).length > 38, String(Object.keys(want).length));
    respite = await startRespite({ config: { dir, "enable-debug-command": "yes" } });
    const b = await RawClient.connect(respite.port);
    try {
      assertSame(await snapshot(b), want);
    } finally {
      b.close();
    }
  } finally {
    a.close();
    await respite?.close();
    await redis.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "rdb interop: a function library in Redis's dump is loaded (skipped with a warning without the functions plugin)",
  opts,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "respite-rdb-" });
    const redis = await startRealRedis(["--dir", dir]);
    const a = await RawClient.connect(redis.port);
    let respite, bare;
    try {
      const lib = "#!lua name=mylib\nredis.register_function('one', function() return 1 end)";
      assertEquals(await a.call("FUNCTION", "LOAD", lib), "mylib");
      assertEquals(await a.call("SET", "k", "v"), "OK");
      assertEquals(await a.call("SAVE"), "OK");
      respite = await startRespite({ config: { dir } });
      const b = await RawClient.connect(respite.port);
      try {
        assertEquals(await b.call("GET", "k"), "v");
        assertEquals(await b.call("DBSIZE"), 1);
        assertEquals(await b.call("FUNCTION", "LIST", "WITHCODE"), [[
          "library_name",
          "mylib",
          "engine",
          "LUA",
          "functions",
          [["name", "one", "description", null, "flags", []]],
          "library_code",
          lib,
        ]]);
        assertEquals(await b.call("FCALL", "one", "0"), 1);
      } finally {
        b.close();
      }
      // Without the functions plugin: skipped with a warning.
      const lines: string[] = [];
      bare = await startRespite({
        config: { dir },
        builtins: builtinPlugins.filter((p) => p.name !== "functions"),
        logger: (l) => lines.push(l),
      });
      const c = await RawClient.connect(bare.port);
      try {
        assertEquals(await c.call("GET", "k"), "v");
      } finally {
        c.close();
      }
      assert(
        lines.some((l) => l.includes("function library: skipped")),
        lines.join("\n"),
      );
    } finally {
      a.close();
      await respite?.close();
      await bare?.close();
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("rdb interop: Respite SAVE, redis-server loads", opts, async () => {
  const dir = await Deno.makeTempDir({ prefix: "respite-rdb-" });
  const respite = await startRespite({
    config: { dir, dbfilename: "respite.rdb", "enable-debug-command": "yes" },
  });
  const b = await RawClient.connect(respite.port);
  let redis;
  try {
    await load(b, dataset());
    assertEquals(await b.call("SAVE"), "OK");
    const want = await snapshot(b);
    redis = await startRealRedis(["--dir", dir, "--dbfilename", "respite.rdb"]);
    const a = await RawClient.connect(redis.port);
    try {
      assertSame(await snapshot(a), want);
    } finally {
      a.close();
    }
  } finally {
    b.close();
    await respite.close();
    await redis?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rdb interop: DUMP from each server RESTOREs on the other", opts, async () => {
  const redis = await startRealRedis();
  const respite = await startRespite({ config: { "enable-debug-command": "yes" } });
  const a = await RawClient.connect(redis.port), b = await RawClient.connect(respite.port);
  try {
    await load(a, dataset());
    await load(b, dataset());
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const db of ["0", "1", "15"]) {
        await from.call("SELECT", db);
        await to.call("SELECT", db);
        const keys = await from.call("KEYS", "*") as string[];
        assert(keys.length > 0);
        for (const k of keys) {
          // RESTORE without a TTL: compare the value alone.
          await from.call("PERSIST", k);
          const payload = await from.call("DUMP", k) as string;
          const digest = await from.call("DEBUG", "DIGEST-VALUE", k);
          const enc = await from.call("OBJECT", "ENCODING", k);
          const type = await from.call("TYPE", k);
          assertEquals(await to.call("RESTORE", k, "0", payload, "REPLACE"), "OK", k);
          assertEquals(await to.call("DEBUG", "DIGEST-VALUE", k), digest, k);
          if (type !== "string") assertEquals(await to.call("OBJECT", "ENCODING", k), enc, k);
        }
      }
    }
  } finally {
    a.close();
    b.close();
    await respite.close();
    await redis.stop();
  }
});

Deno.test("rdb interop: RESTORE errors and options match Redis", opts, async () => {
  const redis = await startRealRedis();
  const respite = await startRespite({ config: { "enable-debug-command": "yes" } });
  const a = await RawClient.connect(redis.port), b = await RawClient.connect(respite.port);
  try {
    const payload = await a.call("DUMP", "nokey");
    assertEquals(payload, null);
    await a.call("SET", "src", "value");
    const good = await a.call("DUMP", "src") as string;
    const bad = good.slice(0, -1) + String.fromCharCode(good.charCodeAt(good.length - 1) ^ 1);
    const newer = good.slice(0, -10) + "\x0b\x00" + good.slice(-8);
    const script: string[][] = [
      ["RESTORE", "k", "0", good],
      ["RESTORE", "k", "0", good],
      ["RESTORE", "k", "0", good, "REPLACE"],
      ["TTL", "k"],
      ["RESTORE", "k", "-1", good, "REPLACE"],
      ["RESTORE", "k", "abc", good, "REPLACE"],
      ["RESTORE", "k2", "0", bad],
      ["RESTORE", "k2", "0", newer],
      ["RESTORE", "k2", "0", "short"],
      ["RESTORE", "k2", "0", good, "FOO"],
      ["RESTORE", "k2", "0", good, "IDLETIME"],
      ["RESTORE", "k2", "0", good, "IDLETIME", "-1"],
      ["RESTORE", "k2", "0", good, "IDLETIME", "x"],
      ["RESTORE", "k2", "0", good, "FREQ", "256"],
      ["RESTORE", "k2", "0", good, "FREQ", "1", "IDLETIME", "1"],
      ["RESTORE", "k2", "0", good, "IDLETIME", "10", "FREQ", "1"],
      ["RESTORE", "k2", "0", good, "IDLETIME", "10"],
      ["GET", "k2"],
      ["RESTORE", "k3", "100000", good],
      ["PTTL", "k3"],
      ["RESTORE", "k4", "1", good, "ABSTTL"],
      ["EXISTS", "k4"],
      ["RESTORE", "k3", "1", good, "ABSTTL", "REPLACE"],
      ["EXISTS", "k3"],
      ["RESTORE", "k5", String(FAR), good, "ABSTTL"],
      ["PEXPIRETIME", "k5"],
      ["SET", "k6", "x"],
      ["RESTORE", "k6", "0", good, "REPLACE", "REPLACE"],
      ["GET", "k6"],
      ["RESTORE"],
      ["DUMP"],
      ["DUMP", "a", "b"],
    ];
    for (const cmd of script) {
      let ra = await a.call(...cmd), rb = await b.call(...cmd);
      if (cmd[0] === "PTTL") {
        // Both near 100000 ms.
        assert(typeof ra === "number" && ra > 99000 && typeof rb === "number" && rb > 99000);
        ra = rb = 0;
      }
      assertEquals(rb, ra, cmd.map((x) => x.length > 20 ? "<payload>" : x).join(" "));
    }
  } finally {
    a.close();
    b.close();
    await respite.close();
    await redis.stop();
  }
});
