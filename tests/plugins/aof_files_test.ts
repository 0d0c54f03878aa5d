/**
 * The AOF's files: the manifest format, the incremental file byte for byte
 * against redis-server 7.0, torn tails (`aof-load-truncated`), turning AOF
 * on at runtime, automatic rewrites and INFO persistence.
 */

import { assertEquals, assertMatch, assertOk, assertThrows } from "../_assert.ts";
import { hasRedis, RawClient, sleep, startRespite } from "../_helpers.ts";
import { call, info, respite, run, startRedisAof, waitRewrite } from "../_aof.ts";
import { formatManifest, ManifestError, parseManifest } from "../../plugins/aof/_format.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "respite-aof-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const INCR1 = (dir: string) => `${dir}/aofdir/appendonly.aof.1.incr.aof`;

Deno.test("aof: manifest format and parse as Redis 7", () => {
  const text = "file appendonly.aof.2.base.rdb seq 2 type b\n" +
    "file appendonly.aof.1.incr.aof seq 1 type h\n" +
    "file appendonly.aof.2.incr.aof seq 2 type h\n" +
    "file appendonly.aof.3.incr.aof seq 3 type i\n" +
    "file appendonly.aof.4.incr.aof seq 4 type i\n";
  const m = parseManifest(text);
  assertEquals(m.base, { name: "appendonly.aof.2.base.rdb", seq: 2, type: "b" });
  assertEquals(m.incr.map((f) => f.seq), [3, 4]);
  assertEquals([m.baseSeq, m.incrSeq], [2, 4]);
  assertEquals(formatManifest(m), text);
  // Comments are skipped, keys are case-insensitive, names with spaces quoted.
  const q = parseManifest('# hi\nFILE "a b.aof" SEQ 1 TYPE i\n');
  assertEquals(q.incr, [{ name: "a b.aof", seq: 1, type: "i" }]);
  assertEquals(formatManifest(q), 'file "a b.aof" seq 1 type i\n');
  assertThrows(() => parseManifest(""), /Found an empty AOF manifest/);
  assertThrows(() => parseManifest("file x seq 1\n"), /Invalid AOF manifest file format/);
  assertThrows(
    () => parseManifest("file a seq 2 type i\nfile b seq 1 type i\n"),
    /non-monotonic sequence number/,
  );
  assertThrows(
    () => parseManifest("file a seq 1 type b\nfile b seq 2 type b\n"),
    /duplicate base file/,
  );
  assertThrows(() => parseManifest("file a seq 1 type x\n"), /Unknown AOF file type/);
  assertThrows(() => parseManifest("file d/a seq 1 type i\n"), /can't be a path/);
  assertOk(new ManifestError("x") instanceof Error);
});

/** Deterministic writes: their propagated form has no clock in it. */
const DETERMINISTIC: string[][] = [
  ["SET", "a", "1"],
  ["set", "b", "x"],
  ["APPEND", "b", "yz"],
  ["INCR", "a"],
  ["INCRBYFLOAT", "f", "1.5"],
  ["RPUSH", "l", "1", "2", "3"],
  ["LPOP", "l"],
  ["SADD", "s", "a", "b"],
  ["SREM", "s", "nope"],
  ["HSET", "h", "k", "v"],
  ["ZADD", "z", "1", "m"],
  ["SELECT", "4"],
  ["SET", "in4", "v"],
  ["MULTI"],
  ["SET", "t", "1"],
  ["SELECT", "6"],
  ["INCR", "t"],
  ["EXEC"],
  ["MULTI"],
  ["INCR", "single"],
  ["EXEC"],
  ["SELECT", "0"],
  ["DEL", "missing"],
  ["GETDEL", "b"],
  ["SET", "k", "v", "GET"],
  ["FLUSHDB"],
];

Deno.test({
  name: "aof: the incremental file is byte for byte the one redis-server writes",
  ignore: !hasRedis,
  async fn() {
    await withDir(async (dir) => {
      const redis = await startRedisAof(dir);
      await run(redis.port, DETERMINISTIC);
      await redis.stop();
      const expected = Deno.readFileSync(INCR1(dir));
      await Deno.remove(`${dir}/aofdir`, { recursive: true });
      const r = await respite(dir);
      await run(r.port, DETERMINISTIC);
      await r.close();
      assertEquals(
        new TextDecoder().decode(Deno.readFileSync(INCR1(dir))),
        new TextDecoder().decode(expected),
      );
    });
  },
});

Deno.test({
  name: "aof: a torn tail is truncated (aof-load-truncated yes) or stops start-up (no)",
  ignore: !hasRedis,
  async fn() {
    await withDir(async (dir) => {
      const r = await respite(dir);
      await run(r.port, [["SET", "a", "1"], ["RPUSH", "l", "x", "y"]]);
      const digest = await call(r.port, "DEBUG", "DIGEST");
      await r.close();
      const size = Deno.statSync(INCR1(dir)).size;
      const torn = "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$5\r\nhel";
      Deno.writeTextFileSync(INCR1(dir), torn, { append: true });
      // aof-load-truncated no: start-up fails, the file is untouched.
      assertThrows(() => respite(dir, { "aof-load-truncated": "no" }), /Unexpected end of file/);
      assertEquals(Deno.statSync(INCR1(dir)).size, size + torn.length);
      // Real Redis agrees on what a torn tail leaves.
      const redis = await startRedisAof(dir);
      assertEquals(await call(redis.port, "DEBUG", "DIGEST"), digest);
      await redis.stop();
      Deno.writeTextFileSync(INCR1(dir), torn, { append: true });
      const logs: string[] = [];
      const r2 = await startRespite({
        config: { appendonly: "yes", dir, appenddirname: "aofdir", "enable-debug-command": "yes" },
        logger: (l) => logs.push(l),
      });
      assertEquals(await call(r2.port, "DEBUG", "DIGEST"), digest);
      assertEquals(await call(r2.port, "EXISTS", "b"), 0);
      assertEquals(Deno.statSync(INCR1(dir)).size, size);
      assertOk(logs.some((l) => l.includes("!!! Warning: short read while loading the AOF file")));
      assertOk(
        logs.some((l) =>
          l.includes(`Truncating the AOF appendonly.aof.1.incr.aof at offset ${size}`)
        ),
      );
      // New writes go after the truncation point and load again.
      await call(r2.port, "SET", "c", "3");
      await r2.close();
      const r3 = await respite(dir);
      assertEquals(await call(r3.port, "GET", "c"), "3");
      await r3.close();
    });
  },
});

Deno.test("aof: an incomplete MULTI at the end is reverted; garbage is a format error", async () => {
  await withDir(async (dir) => {
    const r = await respite(dir);
    await call(r.port, "SET", "a", "1");
    await r.close();
    const size = Deno.statSync(INCR1(dir)).size;
    Deno.writeTextFileSync(
      INCR1(dir),
      "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n",
      { append: true },
    );
    const r2 = await respite(dir);
    assertEquals(await call(r2.port, "EXISTS", "b"), 0);
    assertEquals(await call(r2.port, "GET", "a"), "1");
    await r2.close();
    assertEquals(Deno.statSync(INCR1(dir)).size, size);
    // Not a command at all: fatal, whatever aof-load-truncated says.
    Deno.writeTextFileSync(INCR1(dir), "garbage\r\n", { append: true });
    assertThrows(() => respite(dir), /Bad file format reading the append only file/);
    assertThrows(() => respite(dir, { "aof-load-truncated": "no" }), /Bad file format/);
    // An unknown command is fatal too.
    Deno.truncateSync(INCR1(dir), size);
    Deno.writeTextFileSync(INCR1(dir), "*1\r\n$4\r\nNOPE\r\n", { append: true });
    assertThrows(() => respite(dir), /Unknown command 'NOPE' reading the append only file/);
  });
});

Deno.test("aof: a bad manifest stops start-up", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/aofdir`);
    Deno.writeTextFileSync(`${dir}/aofdir/appendonly.aof.manifest`, "file x seq\n");
    assertThrows(() => respite(dir), /Invalid AOF manifest file format/);
  });
});

Deno.test({
  name: "aof: CONFIG SET appendonly yes rewrites at once; redis-server loads the result",
  ignore: !hasRedis,
  async fn() {
    await withDir(async (dir) => {
      const r = await respite(dir, { appendonly: "no" });
      await run(r.port, [["SET", "a", "1"], ["SADD", "s", "x", "y"], ["SELECT", "3"], [
        "SET",
        "b",
        "2",
      ]]);
      assertEquals((await info(r.port)).aof_enabled, "0");
      assertEquals(await call(r.port, "CONFIG", "SET", "appendonly", "yes"), "OK");
      await call(r.port, "SET", "during", "1");
      await waitRewrite(r.port);
      const f = await info(r.port);
      assertEquals([f.aof_enabled, f.aof_rewrites, f.aof_last_bgrewrite_status], ["1", "1", "ok"]);
      await call(r.port, "SET", "later", "1");
      const digest = await call(r.port, "DEBUG", "DIGEST");
      await r.close();
      assertMatch(
        Deno.readTextFileSync(`${dir}/aofdir/appendonly.aof.manifest`),
        /^file appendonly\.aof\.1\.base\.(rdb|aof) seq 1 type b\nfile appendonly\.aof\.1\.incr\.aof seq 1 type i\n$/,
      );
      const redis = await startRedisAof(dir);
      assertEquals(await call(redis.port, "DEBUG", "DIGEST"), digest);
      await redis.stop();
    });
  },
});

Deno.test("aof: CONFIG SET appendonly no stops appending; BGREWRITEAOF while off writes a base", async () => {
  await withDir(async (dir) => {
    const r = await respite(dir);
    await call(r.port, "SET", "a", "1");
    assertEquals(await call(r.port, "CONFIG", "SET", "appendonly", "no"), "OK");
    const size = Deno.statSync(INCR1(dir)).size;
    await call(r.port, "SET", "b", "2");
    assertEquals(Deno.statSync(INCR1(dir)).size, size);
    assertEquals((await info(r.port)).aof_enabled, "0");
    assertEquals(
      await call(r.port, "BGREWRITEAOF"),
      "Background append only file rewriting started",
    );
    await waitRewrite(r.port);
    await r.close();
    // The base holds both keys; the old incremental file is gone.
    assertMatch(
      Deno.readTextFileSync(`${dir}/aofdir/appendonly.aof.manifest`),
      /^file appendonly\.aof\.2\.base\.(rdb|aof) seq 2 type b\n$/,
    );
    const r2 = await respite(dir);
    assertEquals(await call(r2.port, "MGET", "a", "b"), ["1", "2"]);
    await r2.close();
  });
});

Deno.test("aof: automatic rewrite on growth; INFO persistence fields", async () => {
  await withDir(async (dir) => {
    const r = await respite(dir, {
      "auto-aof-rewrite-min-size": "2000",
      "auto-aof-rewrite-percentage": "100",
      hz: "100",
    });
    const f0 = await info(r.port);
    assertEquals(
      [f0.aof_enabled, f0.aof_rewrites, f0.aof_base_size, f0.aof_last_write_status],
      ["1", "0", "0", "ok"],
    );
    const c = await RawClient.connect(r.port);
    for (let i = 0; i < 100; i++) await c.call("SET", `k${i}`, "v".repeat(20));
    c.close();
    for (let i = 0; i < 100 && (await info(r.port)).aof_rewrites === "0"; i++) await sleep(20);
    // A slow run may grow the AOF past twice its new base again before the
    // last SET: no more automatic rewrites from here.
    assertEquals(await call(r.port, "CONFIG", "SET", "auto-aof-rewrite-percentage", "0"), "OK");
    await waitRewrite(r.port);
    const f = await info(r.port);
    assertOk(Number(f.aof_rewrites) >= 1, f.aof_rewrites);
    assertOk(Number(f.aof_base_size) > 0 && Number(f.aof_current_size) >= Number(f.aof_base_size));
    // One rewrite in progress at a time (1 ms per key keeps this one going).
    assertEquals(await call(r.port, "CONFIG", "SET", "rdb-key-save-delay", "1000"), "OK");
    assertEquals(
      await call(r.port, "BGREWRITEAOF"),
      "Background append only file rewriting started",
    );
    assertEquals(await call(r.port, "BGREWRITEAOF"), {
      error: "ERR Background append only file rewriting already in progress",
    });
    await waitRewrite(r.port);
    assertEquals(await call(r.port, "DBSIZE"), 100);
    // No writes during that rewrite: the size INFO counts is the base file's
    // (streamed to disk as it was serialized).
    const base = /^file (\S+) seq \d+ type b$/m.exec(
      Deno.readTextFileSync(`${dir}/aofdir/appendonly.aof.manifest`),
    )?.[1];
    assertEquals(
      Number((await info(r.port)).aof_base_size),
      Deno.statSync(`${dir}/aofdir/${base}`).size,
    );
    await r.close();
    const r2 = await respite(dir);
    assertEquals(await call(r2.port, "DBSIZE"), 100);
    await r2.close();
  });
});
