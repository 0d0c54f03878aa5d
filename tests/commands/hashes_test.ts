/**
 * HASHES family: differential scripts against redis-server (replies,
 * errors, RESP3, encodings, digests), propagation and keyspace events, and
 * ioredis / node-redis clients.
 */
import { Redis } from "ioredis";
import { createClient } from "redis";
import { builtinPlugins } from "../../mod.ts";
import {
  captureWrites,
  checkWrites,
  diffDirty,
  diffTest,
  RawClient,
  startRespite,
  type Step,
} from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

const u = (...cmd: string[]): Step => ({ cmd, unordered: true });
const shape = (...cmd: string[]): Step => ({ cmd, shapeOnly: true });
const BIN = "a\x00b\x80\x81\x9f\xff\r\nz";
const long = (n: number, ch = "x") => ch.repeat(n);

diffTest("hashes: HSET, HGET, HMGET, HMSET, HSETNX, HLEN, HEXISTS, HSTRLEN", [
  ["HSET", "h", "a", "1"],
  ["HSET", "h", "a", "2", "b", "3", "a", "4"],
  ["HGET", "h", "a"],
  ["HGET", "h", "nope"],
  ["HGET", "nokey", "a"],
  ["HMGET", "h", "a", "nope", "b", "a"],
  ["HMGET", "nokey", "a", "b"],
  ["HMSET", "h", "c", "5", "d", "6"],
  ["HLEN", "h"],
  ["HLEN", "nokey"],
  ["HSETNX", "h", "a", "x"],
  ["HSETNX", "h", "e", "x"],
  ["HSETNX", "new", "f", "v"],
  ["HGET", "h", "e"],
  ["HEXISTS", "h", "e"],
  ["HEXISTS", "h", "zz"],
  ["HEXISTS", "nokey", "e"],
  ["HSTRLEN", "h", "e"],
  ["HSTRLEN", "h", "zz"],
  ["HSTRLEN", "nokey", "zz"],
  ["HSET", "h", BIN, BIN + BIN],
  ["HGET", "h", BIN],
  ["HSTRLEN", "h", BIN],
  ["HSET", "h", "", ""],
  ["HGET", "h", ""],
  ["HEXISTS", "h", ""],
  ["HGETALL", "h"],
  ["HKEYS", "h"],
  ["HVALS", "h"],
  ["HGETALL", "nokey"],
  ["HKEYS", "nokey"],
  ["HVALS", "nokey"],
  ["TYPE", "h"],
  ["OBJECT", "ENCODING", "h"],
  ["DEBUG", "DIGEST-VALUE", "h"],
]);

diffTest("hashes: HDEL and deletion of emptied keys", [
  ["HSET", "h", "a", "1", "b", "2", "c", "3"],
  ["HDEL", "h", "a", "a", "zz"],
  ["HDEL", "h", "zz"],
  ["HDEL", "nokey", "a"],
  ["HKEYS", "h"],
  ["HDEL", "h", "b", "c", "b"],
  ["EXISTS", "h"],
  ["HLEN", "h"],
  ["HSET", "h", "x", "1"],
  ["EXPIRE", "h", "100"],
  ["HSET", "h", "y", "2"],
  ["TTL", "h"],
  ["HDEL", "h", "x", "y"],
  ["TTL", "h"],
]);

diffTest("hashes: arity and argument errors", [
  ["HSET", "h", "a"],
  ["HSET", "h", "a", "1", "b"],
  ["HMSET", "h", "a"],
  ["HMSET", "h", "a", "1", "b"],
  ["HSET", "h"],
  ["HSETNX", "h", "a"],
  ["HGET", "h"],
  ["HGET", "h", "a", "b"],
  ["HMGET", "h"],
  ["HDEL", "h"],
  ["HLEN"],
  ["HLEN", "h", "x"],
  ["HEXISTS", "h"],
  ["HKEYS"],
  ["HVALS", "h", "x"],
  ["HGETALL"],
  ["HINCRBY", "h", "a"],
  ["HINCRBYFLOAT", "h", "a"],
  ["HSTRLEN", "h"],
  ["HRANDFIELD"],
  ["HSCAN", "h"],
  ["EXISTS", "h"],
]);

diffTest("hashes: WRONGTYPE against a string key", [
  ["SET", "s", "v"],
  ["HSET", "s", "a", "1"],
  ["HMSET", "s", "a", "1"],
  ["HSETNX", "s", "a", "1"],
  ["HGET", "s", "a"],
  ["HMGET", "s", "a"],
  ["HGETALL", "s"],
  ["HDEL", "s", "a"],
  ["HLEN", "s"],
  ["HEXISTS", "s", "a"],
  ["HKEYS", "s"],
  ["HVALS", "s"],
  ["HINCRBY", "s", "a", "1"],
  ["HINCRBY", "s", "a", "x"],
  ["HINCRBYFLOAT", "s", "a", "1"],
  ["HINCRBYFLOAT", "s", "a", "x"],
  ["HSTRLEN", "s", "a"],
  ["HRANDFIELD", "s"],
  ["HRANDFIELD", "s", "2"],
  ["HRANDFIELD", "s", "x"],
  ["HRANDFIELD", "s", "-2", "WITHVALUES"],
  ["HSCAN", "s", "0"],
  ["HSCAN", "s", "x"],
  ["HSET", "h", "a", "1"],
  ["GET", "h"],
  ["INCR", "h"],
  ["GET", "s"],
]);

const registered = new Set(builtinPlugins.flatMap((p) => (p.commands ?? []).map((c) => c.name)));
const listScript: Step[] = [
  ["RPUSH", "l", "x"],
  ["HSET", "l", "a", "1"],
  ["HGET", "l", "a"],
  ["HGETALL", "l"],
  ["HDEL", "l", "a"],
  ["HINCRBY", "l", "a", "1"],
  ["HINCRBYFLOAT", "l", "a", "1"],
  ["HRANDFIELD", "l"],
  ["HSCAN", "l", "0"],
  ["HLEN", "l"],
  ["HSET", "h", "a", "1"],
  ["RPUSH", "h", "x"],
  ["LLEN", "h"],
];
if (registered.has("rpush")) diffTest("hashes: WRONGTYPE against a list key", listScript);
else Deno.test({ name: "diff: hashes: WRONGTYPE against a list key", ignore: true, fn() {} });

diffTest("hashes: HINCRBY", [
  ["HINCRBY", "h", "n", "5"],
  ["HINCRBY", "h", "n", "-7"],
  ["HINCRBY", "h", "n", "0"],
  ["HGET", "h", "n"],
  ["HINCRBY", "h", "n", "x"],
  ["HINCRBY", "h", "n", "1.5"],
  ["HINCRBY", "h", "n", "01"],
  ["HINCRBY", "h", "n", "9223372036854775808"],
  ["HSET", "h", "s", "abc", "f", "1.5", "z", "007", "sp", " 1", "neg0", "-0"],
  ["HINCRBY", "h", "s", "1"],
  ["HINCRBY", "h", "f", "1"],
  ["HINCRBY", "h", "z", "1"],
  ["HINCRBY", "h", "sp", "1"],
  ["HINCRBY", "h", "neg0", "1"],
  ["HINCRBY", "h", "s", "x"],
  ["HSET", "h", "big", "9223372036854775800"],
  ["HINCRBY", "h", "big", "7"],
  ["HINCRBY", "h", "big", "1"],
  ["HINCRBY", "h", "big", "-9223372036854775807"],
  ["HINCRBY", "h", "big", "-9223372036854775807"],
  ["HINCRBY", "h", "big", "-1"],
  ["HINCRBY", "h", "big", "-1"],
  ["HGET", "h", "big"],
  ["HINCRBY", "h", "c", "9007199254740993"],
  ["HINCRBY", "h", "c", "9007199254740993"],
  ["HINCRBY", "h", "c", "-18014398509481986"],
  ["HINCRBY", "h", "c", "-9223372036854775808"],
  ["HINCRBY", "h", "c", "-1"],
  ["HGET", "h", "c"],
  ["HINCRBY", "nokey", "n", "x"],
  ["EXISTS", "nokey"],
  ["HGETALL", "h"],
]);

diffTest("hashes: HINCRBYFLOAT", [
  ["HINCRBYFLOAT", "h", "f", "0.1"],
  ["HINCRBYFLOAT", "h", "f", "0.2"],
  ["HINCRBYFLOAT", "h", "f", "-0.3"],
  ["HINCRBYFLOAT", "h", "f", "1e10"],
  ["HINCRBYFLOAT", "h", "f", "5.0e3"],
  ["HINCRBYFLOAT", "h", "f", "-1.5e-5"],
  ["HINCRBYFLOAT", "h", "g", "3"],
  ["HINCRBYFLOAT", "h", "g", "0x10"],
  ["HINCRBYFLOAT", "h", "g", ".5"],
  ["HINCRBYFLOAT", "h", "f", "x"],
  ["HINCRBYFLOAT", "h", "f", ""],
  ["HINCRBYFLOAT", "h", "f", " 1"],
  ["HINCRBYFLOAT", "h", "f", "inf"],
  ["HINCRBYFLOAT", "h", "f", "-inf"],
  ["HINCRBYFLOAT", "h", "f", "nan"],
  ["HSET", "h", "s", "abc", "i", "10", "e", "1e3"],
  ["HINCRBYFLOAT", "h", "s", "1"],
  ["HINCRBYFLOAT", "h", "i", "1.25"],
  ["HINCRBYFLOAT", "h", "e", "1"],
  ["HSET", "h", "m", "1.18e4932"],
  ["HINCRBYFLOAT", "h", "m", "1.18e4932"],
  ["HINCRBYFLOAT", "h", "m", "1e4000"],
  ["HINCRBYFLOAT", "h", "n", "1.5e400"],
  ["OBJECT", "ENCODING", "h"],
  ["DEBUG", "DIGEST-VALUE", "h"],
  u("HGETALL", "h"),
  ["HINCRBYFLOAT", "nokey", "f", "nan"],
  ["EXISTS", "nokey"],
]);

diffTest("hashes: HRANDFIELD deterministic cases", [
  ["HRANDFIELD", "nokey"],
  ["HRANDFIELD", "nokey", "3"],
  ["HRANDFIELD", "nokey", "-3", "WITHVALUES"],
  ["HRANDFIELD", "nokey", "0"],
  ["HSET", "one", "f", "v"],
  ["HRANDFIELD", "one"],
  ["HRANDFIELD", "one", "1"],
  ["HRANDFIELD", "one", "5"],
  ["HRANDFIELD", "one", "-3"],
  ["HRANDFIELD", "one", "-3", "WITHVALUES"],
  ["HRANDFIELD", "one", "2", "withvalues"],
  ["HRANDFIELD", "one", "0"],
  ["HRANDFIELD", "one", "0", "WITHVALUES"],
  ["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"],
  // count >= size: the whole listpack, in its order.
  ["HRANDFIELD", "h", "4"],
  ["HRANDFIELD", "h", "100", "WITHVALUES"],
  shape("HRANDFIELD", "h"),
  shape("HRANDFIELD", "h", "2"),
  shape("HRANDFIELD", "h", "3", "WITHVALUES"),
  shape("HRANDFIELD", "h", "-7"),
  shape("HRANDFIELD", "h", "-7", "WITHVALUES"),
  ["HRANDFIELD", "h", "x"],
  ["HRANDFIELD", "h", "1.5"],
  ["HRANDFIELD", "h", "2", "WITHVALUE"],
  ["HRANDFIELD", "h", "x", "WITHVALUE"],
  ["HRANDFIELD", "h", "2", "WITHVALUES", "x"],
  ["HRANDFIELD", "h", "-9223372036854775808"],
  ["HRANDFIELD", "h", "9223372036854775808"],
  ["HRANDFIELD", "h", "-9223372036854775808", "WITHVALUES"],
  ["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"],
  ["HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"],
  ["HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"],
  ["HRANDFIELD", "nokey", "4611686018427387904", "WITHVALUES"],
  ["HRANDFIELD", "h", "4611686018427387903"],
  shape("HELLO", "3"),
  ["HRANDFIELD", "nokey"],
  ["HRANDFIELD", "nokey", "2"],
  ["HRANDFIELD", "one", "-2", "WITHVALUES"],
  ["HRANDFIELD", "one", "3", "WITHVALUES"],
  ["HRANDFIELD", "h", "4", "WITHVALUES"],
  shape("HRANDFIELD", "h", "2", "WITHVALUES"),
  shape("HRANDFIELD", "h", "-6", "WITHVALUES"),
]);

diffTest("hashes: HSCAN", [
  ["HSCAN", "nokey", "0"],
  ["HSCAN", "nokey", "0", "COUNT", "0"],
  ["HSCAN", "nokey", "0", "BADOPT"],
  ["HSCAN", "nokey", "x"],
  ["HSET", "h", "a1", "1", "a2", "2", "b1", "3", "b2", "4"],
  ["HSCAN", "h", "0"],
  ["HSCAN", "h", "0", "COUNT", "1"],
  ["HSCAN", "h", "0", "MATCH", "a*"],
  ["HSCAN", "h", "0", "match", "*1", "count", "2"],
  ["HSCAN", "h", "0", "MATCH", "*"],
  ["HSCAN", "h", "0", "MATCH", "zz*"],
  ["HSCAN", "h", "123"],
  ["HSCAN", "h", "-1"],
  ["HSCAN", "h", "x"],
  ["HSCAN", "h", "18446744073709551616"],
  ["HSCAN", "h", "0", "COUNT", "0"],
  ["HSCAN", "h", "0", "COUNT", "-1"],
  ["HSCAN", "h", "0", "COUNT", "x"],
  ["HSCAN", "h", "0", "COUNT"],
  ["HSCAN", "h", "0", "MATCH"],
  ["HSCAN", "h", "0", "TYPE", "string"],
  ["HSCAN", "h", "0", "NOVALUES"],
  shape("HELLO", "3"),
  ["HSCAN", "h", "0", "MATCH", "b*"],
]);

diffTest("hashes: RESP3 replies", [
  shape("HELLO", "3"),
  ["HSET", "h", "a", "1", "b", "2"],
  ["HGETALL", "h"],
  ["HGETALL", "nokey"],
  ["HKEYS", "h"],
  ["HVALS", "nokey"],
  ["HGET", "h", "zz"],
  ["HMGET", "h", "a", "zz"],
  ["HINCRBYFLOAT", "h", "f", "1.5"],
  ["HINCRBY", "h", "i", "1"],
  ["HLEN", "h"],
  ["HEXISTS", "h", "a"],
  ["HSET", "h", "a", "x"],
  ["HGETALL", "h"],
]);

diffTest("hashes: listpack to hashtable by entries", [
  ["CONFIG", "SET", "hash-max-listpack-entries", "4"],
  ["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"],
  ["OBJECT", "ENCODING", "h"],
  ["HGETALL", "h"],
  ["HSCAN", "h", "0", "COUNT", "1"],
  ["DEBUG", "DIGEST-VALUE", "h"],
  ["HSET", "h", "e", "5"],
  ["OBJECT", "ENCODING", "h"],
  ["DEBUG", "DIGEST-VALUE", "h"],
  u("HGETALL", "h"),
  u("HKEYS", "h"),
  u("HVALS", "h"),
  ["HDEL", "h", "a", "b", "c"],
  ["OBJECT", "ENCODING", "h"],
  u("HKEYS", "h"),
  shape("HRANDFIELD", "h", "-3"),
  u("HRANDFIELD", "h", "2", "WITHVALUES"),
  ["HSETNX", "g", "a", "1"],
  ["HSETNX", "g", "b", "1"],
  ["HSETNX", "g", "c", "1"],
  ["HSETNX", "g", "d", "1"],
  ["OBJECT", "ENCODING", "g"],
  ["HSETNX", "g", "e", "1"],
  ["OBJECT", "ENCODING", "g"],
  ["HSET", "i", "a", "1", "b", "2", "c", "3", "d", "4"],
  ["HINCRBY", "i", "e", "1"],
  ["OBJECT", "ENCODING", "i"],
  ["HSET", "j", "a", "1", "b", "2", "c", "3", "d", "4"],
  ["HINCRBYFLOAT", "j", "e", "1.5"],
  ["OBJECT", "ENCODING", "j"],
  ["HMSET", "k", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"],
  ["OBJECT", "ENCODING", "k"],
  ["CONFIG", "SET", "hash-max-listpack-entries", "0"],
  ["HSET", "z", "a", "1"],
  ["OBJECT", "ENCODING", "z"],
  ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
  ["OBJECT", "ENCODING", "z"],
  ["CONFIG", "SET", "hash-max-ziplist-entries", "2"],
  ["CONFIG", "GET", "hash-max-listpack-entries"],
  ["HSET", "y", "a", "1", "b", "2", "c", "3"],
  ["OBJECT", "ENCODING", "y"],
  ["CONFIG", "SET", "hash-max-listpack-entries", "-1"],
  ["CONFIG", "SET", "hash-max-listpack-entries", "512"],
]);

diffTest("hashes: listpack to hashtable by value length", [
  ["CONFIG", "SET", "hash-max-listpack-value", "8"],
  ["HSET", "h", "a", long(8)],
  ["OBJECT", "ENCODING", "h"],
  ["HSET", "h", "a", long(9)],
  ["OBJECT", "ENCODING", "h"],
  ["HSET", "h", "a", "1"],
  ["OBJECT", "ENCODING", "h"],
  ["HSET", "f", long(9, "f"), "1"],
  ["OBJECT", "ENCODING", "f"],
  ["DEBUG", "DIGEST-VALUE", "f"],
  ["HSET", "g", "a", "1"],
  ["HSETNX", "g", "a", long(9)],
  ["OBJECT", "ENCODING", "g"],
  ["HSETNX", "g", "b", long(9)],
  ["OBJECT", "ENCODING", "g"],
  ["HSET", "i", "a", "1"],
  ["HINCRBY", "i", "a", "123456789"],
  ["OBJECT", "ENCODING", "i"],
  ["HSET", "j", "a", "1"],
  ["HINCRBYFLOAT", "j", "a", "0.125"],
  ["OBJECT", "ENCODING", "j"],
  ["HINCRBYFLOAT", "j", "a", "0.0000001"],
  ["OBJECT", "ENCODING", "j"],
  ["HSET", "k", "a", "1"],
  ["HINCRBY", "k", long(9, "k"), "1"],
  ["OBJECT", "ENCODING", "k"],
  ["HSET", "m", "a", "1"],
  ["HMSET", "m", "a", "2", "b", long(9)],
  ["OBJECT", "ENCODING", "m"],
  ["HDEL", "m", "b"],
  ["OBJECT", "ENCODING", "m"],
  ["HSET", "c", "a", "1"],
  ["COPY", "h", "c2"],
  ["OBJECT", "ENCODING", "c2"],
  ["COPY", "c", "c3"],
  ["OBJECT", "ENCODING", "c3"],
  ["CONFIG", "SET", "hash-max-listpack-value", "-1"],
  ["CONFIG", "SET", "hash-max-ziplist-value", "1kb"],
  ["CONFIG", "GET", "hash-max-listpack-value"],
  ["CONFIG", "SET", "hash-max-listpack-value", "64"],
  ["HSET", "d", "a", long(64)],
  ["OBJECT", "ENCODING", "d"],
  ["HSET", "d", "a", long(65)],
  ["OBJECT", "ENCODING", "d"],
]);

// A hash table of 600 fields: digests, HSCAN to the end, and unordered reads.
const many: string[] = [];
for (let i = 0; i < 600; i++) many.push(`f${i}`, `v${i}`);
diffTest("hashes: large hashtable", [
  ["HSET", "big", ...many],
  ["OBJECT", "ENCODING", "big"],
  ["HLEN", "big"],
  ["DEBUG", "DIGEST-VALUE", "big"],
  u("HKEYS", "big"),
  ["HGET", "big", "f599"],
  ["HDEL", "big", "f0", "f1", "f2"],
  ["DEBUG", "DIGEST-VALUE", "big"],
  shape("HRANDFIELD", "big", "3"),
  ["EXPIRE", "big", "1000"],
  ["DEBUG", "DIGEST-VALUE", "big"],
  ["HSET", "small", "x", "1", "y", "2"],
  ["DEBUG", "DIGEST-VALUE", "small"],
]);

Deno.test({
  name: "hashes: HSCAN walks a hashtable to the end exactly once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    try {
      await c.call("HSET", "big", ...many);
      const seen = new Map<string, string>();
      let cursor = "0", calls = 0;
      do {
        const r = await c.call("HSCAN", "big", cursor, "COUNT", "50") as [string, string[]];
        cursor = r[0];
        for (let i = 0; i < r[1].length; i += 2) {
          assertOk(!seen.has(r[1][i]!), `field ${r[1][i]} seen twice`);
          seen.set(r[1][i]!, r[1][i + 1]!);
        }
        // Deletions during the scan do not disturb it.
        if (calls++ === 2) await c.call("HDEL", "big", "f599");
      } while (cursor !== "0");
      assertEquals(seen.size, 599);
      assertEquals(seen.get("f10"), "v10");
      assertOk(calls >= 12, `calls ${calls}`);
      const m = await c.call("HSCAN", "big", "0", "MATCH", "f1?", "COUNT", "1000") as [
        string,
        string[],
      ];
      assertEquals(m[0], "0");
      assertEquals(m[1].length, 20);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "hashes: HRANDFIELD distribution through ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    try {
      await io.connect();
      const fields: Record<string, string> = {};
      for (let i = 0; i < 10; i++) fields[`f${i}`] = `v${i}`;
      await io.hset("h", fields);
      const bigFields: Record<string, string> = {};
      for (let i = 0; i < 1000; i++) bigFields[`g${i}`] = `w${i}`;
      await io.hset("big", bigFields);
      for (const key of ["h", "big"]) {
        const size = key === "h" ? 10 : 1000;
        const all = key === "h" ? fields : bigFields;
        for (const n of [1, 3, 5, 9, 50]) {
          const count = Math.min(n, size);
          const got = await io.hrandfield(key, n) as string[];
          assertEquals(got.length, count);
          assertEquals(new Set(got).size, count, "positive count: distinct");
          for (const f of got) assertOk(f in all);
          const wv = await io.hrandfield(key, n, "WITHVALUES") as string[];
          assertEquals(wv.length, count * 2);
          for (let i = 0; i < wv.length; i += 2) assertEquals(all[wv[i]!], wv[i + 1]);
        }
      }
      // Negative counts repeat: 200 picks out of 10 must repeat, and cover all.
      const rep = await io.hrandfield("h", -200) as string[];
      assertEquals(rep.length, 200);
      assertEquals(new Set(rep).size, 10);
      const repv = await io.hrandfield("h", -50, "WITHVALUES") as string[];
      assertEquals(repv.length, 100);
      for (let i = 0; i < repv.length; i += 2) assertEquals(fields[repv[i]!], repv[i + 1]);
      // Single picks: every field shows up over many calls, roughly uniformly.
      const counts = new Map<string, number>();
      const p = io.pipeline();
      for (let i = 0; i < 2000; i++) p.hrandfield("h");
      for (const [, f] of (await p.exec())!) {
        counts.set(f as string, (counts.get(f as string) ?? 0) + 1);
      }
      assertEquals(counts.size, 10);
      for (const [, n] of counts) assertOk(n > 120 && n < 300, `count ${n}`);
      // Distinct picks from a large hash: each of 1000 fields is reachable.
      const hit = new Set<string>();
      for (let i = 0; i < 60; i++) {
        for (const f of await io.hrandfield("big", 100) as string[]) hit.add(f);
      }
      assertOk(hit.size > 950, `hit ${hit.size}`);
    } finally {
      io.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "hashes through ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    try {
      await io.connect();
      assertEquals(await io.hset("user", { name: "ann", age: "41", city: "Oslo" }), 3);
      assertEquals(await io.hset("user", "age", "42", "zip", "0150"), 1);
      assertEquals(await io.hgetall("user"), {
        name: "ann",
        age: "42",
        city: "Oslo",
        zip: "0150",
      });
      assertEquals(await io.hgetall("nokey"), {});
      assertEquals(await io.hmget("user", "name", "nope"), ["ann", null]);
      assertEquals(await io.hincrby("user", "age", 3), 45);
      assertEquals(await io.hincrbyfloat("user", "score", "10.5"), "10.5");
      assertEquals(await io.hincrbyfloat("user", "score", "0.1"), "10.6");
      assertEquals(await io.hkeys("user"), ["name", "age", "city", "zip", "score"]);
      assertEquals(await io.hlen("user"), 5);
      assertEquals(await io.hdel("user", "zip", "nope"), 1);
      assertEquals(await io.hexists("user", "zip"), 0);
      assertEquals(await io.hstrlen("user", "city"), 4);
      assertEquals(await io.hsetnx("user", "name", "bob"), 0);
      assertEquals(await io.hscan("user", 0, "MATCH", "c*"), ["0", ["city", "Oslo"]]);
      assertEquals(await io.type("user"), "hash");
      assertEquals(await io.object("ENCODING", "user"), "listpack");
      let err = "";
      await io.hincrby("user", "name", 1).catch((e: Error) => err = e.message);
      assertEquals(err, "ERR hash value is not an integer");
      await io.hincrbyfloat("user", "name", 1).catch((e: Error) => err = e.message);
      assertEquals(err, "ERR hash value is not a float");
      await io.set("str", "x");
      await io.hget("str", "a").catch((e: Error) => err = e.message);
      assertEquals(err, "WRONGTYPE Operation against a key holding the wrong kind of value");
    } finally {
      io.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "hashes through node-redis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const nr = createClient({ socket: { port: s.port } });
    try {
      await nr.connect();
      assertEquals(await nr.hSet("h", { a: "1", b: "2" }), 2);
      assertEquals({ ...(await nr.hGetAll("h")) }, { a: "1", b: "2" });
      assertEquals(await nr.hGet("h", "b"), "2");
      assertEquals(await nr.hIncrBy("h", "a", 41), 42);
      assertEquals(await nr.hVals("h"), ["42", "2"]);
      assertOk(["a", "b"].includes(await nr.hRandField("h") as string));
      assertEquals(await nr.hDel("h", ["a", "b"]), 2);
      assertEquals(await nr.exists("h"), 0);
    } finally {
      await nr.quit().catch(() => {});
      await s.close();
    }
  },
});

Deno.test("hashes: propagation, keyspace events and dirty counts", async () => {
  const cap = captureWrites();
  const s = await startRespite({ plugins: [cap.plugin] });
  const c = await RawClient.connect(s.port);
  const dirty = async () => {
    const info = await c.call("INFO", "persistence") as string;
    return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)![1]);
  };
  const step = checkWrites(c, cap);
  try {
    const d0 = await dirty();
    await step(["HSET", "h", "a", "1", "b", "2"], 2, [["HSET", "h", "a", "1", "b", "2"]], [
      "hset:h:h",
    ]);
    assertEquals(await dirty(), d0 + 2);
    await step(["HMSET", "h", "a", "1"], "OK", [["HMSET", "h", "a", "1"]], ["hset:h:h"]);
    await step(["HSETNX", "h", "a", "1"], 0, [], []);
    await step(["HSETNX", "h", "c", "1"], 1, [["HSETNX", "h", "c", "1"]], ["hset:h:h"]);
    await step(["HINCRBY", "h", "n", "2"], 2, [["HINCRBY", "h", "n", "2"]], ["hincrby:h:h"]);
    await step(
      ["HINCRBY", "h", "a", "x"],
      { error: "ERR value is not an integer or out of range" },
      [],
      [],
    );
    await step(
      ["HINCRBYFLOAT", "h", "f", "1.10"],
      "1.1",
      [["HSET", "h", "f", "1.1"]],
      ["hincrbyfloat:h:h"],
    );
    await step(
      ["HINCRBYFLOAT", "h", "f", "0x1p-1"],
      "1.6",
      [["HSET", "h", "f", "1.6"]],
      ["hincrbyfloat:h:h"],
    );
    await step(
      ["HINCRBYFLOAT", "h", "a", "inf"],
      { error: "ERR value is NaN or Infinity" },
      [],
      [],
    );
    await step(["HDEL", "h", "zz"], 0, [], []);
    const d1 = await dirty();
    await step(["HDEL", "h", "a", "b", "zz"], 2, [["HDEL", "h", "a", "b", "zz"]], ["hdel:h:h"]);
    assertEquals(await dirty(), d1 + 2);
    await step(["HDEL", "h", "c", "n", "f"], 3, [["HDEL", "h", "c", "n", "f"]], [
      "hdel:h:h",
      "del:g:h",
    ]);
    assertEquals(await dirty(), d1 + 5);
    await step(["EXISTS", "h"], 0, [], []);
    await step(["HGET", "h", "a"], null, [], []);
    await step(["HRANDFIELD", "h"], null, [], []);
  } finally {
    c.close();
    await s.close();
  }
});

diffTest("hashes: COMMAND INFO", [
  [
    "COMMAND",
    "INFO",
    "hset",
    "hsetnx",
    "hget",
    "hmget",
    "hmset",
    "hgetall",
    "hdel",
    "hlen",
    "hexists",
    "hkeys",
    "hvals",
    "hincrby",
    "hincrbyfloat",
    "hstrlen",
    "hrandfield",
    "hscan",
  ],
]);

diffDirty("hashes: every write command", [
  ["HSET", "h", "a", "1", "b", "2", "c", "3"],
  ["HSET", "h", "a", "1", "d", "4"],
  ["HMSET", "h", "a", "9", "e", "5"],
  ["HSETNX", "h", "a", "x"],
  ["HSETNX", "h", "f", "6"],
  ["HDEL", "h", "a", "b", "nope"],
  ["HDEL", "h", "nope"],
  ["HDEL", "none", "a"],
  ["HINCRBY", "h", "c", "5"],
  ["HINCRBY", "h", "n", "0"],
  ["HINCRBY", "h", "e", "x"],
  ["HINCRBYFLOAT", "h", "c", "1.5"],
  ["HINCRBYFLOAT", "h", "m", "0"],
  ["HINCRBYFLOAT", "h", "e", "x"],
  ["HINCRBYFLOAT", "h", "a9", "inf"],
  ["HSET", "two", "a", "1", "b", "2"],
  ["HDEL", "two", "a", "b"],
  ["EXISTS", "two"],
  ["SET", "s", "x"],
  ["HSET", "s", "a", "1"],
]);

Deno.test("hashes: two servers in one process keep their own listpack thresholds", async () => {
  const a = await startRespite({ config: { "hash-max-listpack-entries": "1" } });
  const b = await startRespite();
  const ca = await RawClient.connect(a.port), cb = await RawClient.connect(b.port);
  try {
    for (const c of [ca, cb]) await c.call("HSET", "h", "f1", "1", "f2", "2");
    assertEquals(await ca.call("OBJECT", "ENCODING", "h"), "hashtable");
    assertEquals(await cb.call("OBJECT", "ENCODING", "h"), "listpack");
    await cb.call("CONFIG", "SET", "hash-max-listpack-value", "1");
    for (const c of [ca, cb]) await c.call("HSET", "g", "f", "1");
    assertEquals(await ca.call("OBJECT", "ENCODING", "g"), "listpack");
    await cb.call("HSET", "g", "long", "value");
    assertEquals(await cb.call("OBJECT", "ENCODING", "g"), "hashtable");
    await ca.call("HSET", "g", "long", "value");
    assertEquals(await ca.call("OBJECT", "ENCODING", "g"), "hashtable");
  } finally {
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  }
});
