/**
 * AOF directories written by Respite load in redis-server 7.0 and the
 * other way round, with identical contents (DEBUG DIGEST, which covers
 * every type and every TTL), before and after BGREWRITEAOF.
 */

import { assertEquals, assertMatch, assertOk } from "../_assert.ts";
import { hasRedis } from "../_helpers.ts";
import { call, info, respite, run, startRedisAof, waitRewrite } from "../_aof.ts";

const BIN = "a\r\nb\x00\xff\x80z";

/** Writes of every type and encoding, several databases, a transaction. */
const DATASET: string[][] = [
  ["SET", "s", "hello"],
  ["APPEND", "s", " world"],
  ["SET", "n", "12345"],
  ["INCR", "n"],
  ["SET", BIN, BIN],
  ["SET", "big", "x".repeat(5000)],
  ["RPUSH", "l", "a", "b", "c", "1", "2"],
  ["LPUSH", "l", "z"],
  ["LPOP", "l"],
  ["RPUSH", "biglist", ...Array.from({ length: 300 }, (_, i) => `e${i}`)],
  ["SADD", "si", "1", "2", "3", "-7"],
  ["SADD", "ss", "a", "b", "c"],
  ["SREM", "ss", "b"],
  ["SADD", "bigset", ...Array.from({ length: 200 }, (_, i) => `m${i}`)],
  ["HSET", "h", "f1", "v1", "f2", "v2", "f3", "3"],
  ["HDEL", "h", "f1"],
  ["HINCRBY", "h", "f3", "4"],
  ["HSET", "bighash", ...Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat()],
  ["ZADD", "z", "1.5", "a", "2", "b", "inf", "c", "-inf", "d", "0.1", "e"],
  ["ZINCRBY", "z", "1", "a"],
  ["ZADD", "bigz", ...Array.from({ length: 200 }, (_, i) => [String(i / 3), `m${i}`]).flat()],
  ["SET", "ttl", "v", "PX", "100000000"],
  ["SET", "ttl2", "v"],
  ["EXPIRE", "ttl2", "5000"],
  ["HSET", "httl", "a", "1"],
  ["PEXPIREAT", "httl", String(Date.now() + 9_000_000)],
  ["SELECT", "5"],
  ["SET", "db5", "five"],
  ["RPUSH", "l5", "x"],
  ["MULTI"],
  ["SET", "t1", "1"],
  ["INCR", "t1"],
  ["SADD", "t2", "x"],
  ["EXEC"],
  ["SELECT", "0"],
  ["DEL", "missing"],
  ["SET", "gone", "1"],
  ["DEL", "gone"],
];

/** Streams, with a consumer group and a pending entry. */
const STREAMS: string[][] = [
  ["SET", "s", "v"],
  ["XADD", "st", "1-1", "f", "v"],
  ["XADD", "st", "2-1", "g", "w", "h", "x"],
  ["XGROUP", "CREATE", "st", "grp", "0"],
  ["XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "st", ">"],
  ["XADD", "st2", "MAXLEN", "0", "5-5", "f", "v"],
];

/** Writes after a rewrite (they land in the new incremental file). */
const AFTER: string[][] = [
  ["SET", "after", "1"],
  ["SELECT", "2"],
  ["LPUSH", "l2", "p", "q"],
  ["SELECT", "0"],
  ["RPOP", "l"],
  ["ZREM", "z", "e"],
];

function manifest(dir: string): string {
  return Deno.readTextFileSync(`${dir}/aofdir/appendonly.aof.manifest`);
}

async function respiteToRedis(preamble: string, dataset: string[][]): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "respite-aof-" });
  try {
    const r = await respite(dir, { "aof-use-rdb-preamble": preamble });
    await run(r.port, dataset);
    const d1 = await call(r.port, "DEBUG", "DIGEST");
    await r.close();
    const ext = preamble === "yes" && r.server.service("rdb") ? "rdb" : "aof";
    assertEquals(
      manifest(dir),
      `file appendonly.aof.1.base.${ext} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n`,
    );
    let redis = await startRedisAof(dir, ["--aof-use-rdb-preamble", preamble]);
    assertEquals(await call(redis.port, "DEBUG", "DIGEST"), d1);
    await redis.stop();

    // Rewrite in Respite, write more, load again in Redis.
    const r2 = await respite(dir, { "aof-use-rdb-preamble": preamble });
    assertEquals(await call(r2.port, "DEBUG", "DIGEST"), d1);
    assertEquals(
      await call(r2.port, "BGREWRITEAOF"),
      "Background append only file rewriting started",
    );
    await run(r2.port, AFTER);
    await waitRewrite(r2.port);
    assertEquals((await info(r2.port)).aof_rewrites, "1");
    const d2 = await call(r2.port, "DEBUG", "DIGEST");
    await r2.close();
    assertEquals(
      manifest(dir),
      `file appendonly.aof.2.base.${ext} seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n`,
    );
    assertEquals(
      [...Deno.readDirSync(`${dir}/aofdir`)].map((e) => e.name).sort(),
      [`appendonly.aof.2.base.${ext}`, "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"],
    );
    redis = await startRedisAof(dir, ["--aof-use-rdb-preamble", preamble]);
    assertEquals(await call(redis.port, "DEBUG", "DIGEST"), d2);
    assertEquals(await call(redis.port, "GET", "after"), "1");
    await redis.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function redisToRespite(preamble: string, dataset: string[][]): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "respite-aof-" });
  try {
    let redis = await startRedisAof(dir, ["--aof-use-rdb-preamble", preamble]);
    await run(redis.port, dataset);
    const d1 = await call(redis.port, "DEBUG", "DIGEST");
    await redis.stop();
    const r = await respite(dir);
    assertEquals(await call(r.port, "DEBUG", "DIGEST"), d1);
    if (dataset === DATASET) {
      assertEquals(await call(r.port, "GET", BIN), BIN);
      const pttl = Number(await call(r.port, "PTTL", "ttl"));
      assertOk(pttl > 99_000_000 && pttl <= 100_000_000, `pttl ${pttl}`);
    }
    await r.close();

    redis = await startRedisAof(dir, ["--aof-use-rdb-preamble", preamble]);
    assertMatch(String(await call(redis.port, "BGREWRITEAOF")), /rewriting started/);
    await waitRewrite(redis.port);
    await run(redis.port, AFTER);
    const d2 = await call(redis.port, "DEBUG", "DIGEST");
    await redis.stop();
    assertMatch(manifest(dir), /^file appendonly\.aof\.2\.base\.(rdb|aof) seq 2 type b\n/);
    const r2 = await respite(dir);
    assertEquals(await call(r2.port, "DEBUG", "DIGEST"), d2);
    await r2.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const preamble of ["yes", "no"]) {
  Deno.test({
    name:
      `aof: Respite's AOF (preamble ${preamble}) loads in redis-server, before and after BGREWRITEAOF`,
    ignore: !hasRedis,
    fn: () => respiteToRedis(preamble, DATASET),
  });
  Deno.test({
    name:
      `aof: redis-server's AOF (preamble ${preamble}) loads in Respite, before and after BGREWRITEAOF`,
    ignore: !hasRedis,
    fn: () => redisToRespite(preamble, DATASET),
  });
}

Deno.test({
  name: "aof: streams go both ways in base and incremental files (needs the rdb plugin's streams)",
  ignore: !hasRedis,
  async fn() {
    for (const preamble of ["yes", "no"]) {
      await respiteToRedis(preamble, STREAMS);
      await redisToRespite(preamble, STREAMS);
    }
  },
});
