/**
 * The example counter plugin, loaded in-process with startServer and from
 * the command line with `--plugin`, driven by ioredis and redis-cli; and
 * its type's persistence: SAVE, BGSAVE, shutdown, replication, DUMP/RESTORE
 * (and what a real Redis makes of them), AOF rewrites, DEBUG DIGEST.
 */

import { Redis } from "ioredis";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import counter, { Counter, counterType } from "../../../plugins/examples/counter.ts";
import {
  hasRedis,
  hasRedisCli,
  RawClient,
  redisCli,
  runToExit,
  sleep,
  spawnServer,
  START_PERMS,
  startRealRedis,
  startRespite,
} from "../../_helpers.ts";
import { assertEquals, assertMatch, assertOk, assertRejects } from "../../_assert.ts";
import { call, caughtUp, info, startRespiteProc, withProcs } from "../../_replication.ts";
import { waitRewrite } from "../../_aof.ts";
import type { ServerHandle } from "../../../mod.ts";

const ROOT = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));
const COUNTER_PLUGIN = join(ROOT, "plugins/examples/counter.ts");
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("counter: the data type", () => {
  const c = new Counter(3);
  assertEquals(c.type, "counter");
  assertEquals(c.encoding(), "int");
  const d = c.clone();
  d.value++;
  assertEquals([c.value, d.value], [3, 4]);
});

Deno.test({
  name: "counter: in-process with ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ plugins: [counter], config: { "counter-max": "100" } });
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    try {
      await io.connect();
      assertEquals(await io.call("COUNTER.INCR", "visits"), 1);
      assertEquals(await io.call("counter.incr", "visits", "41"), 42);
      assertEquals(await io.call("COUNTER.GET", "visits"), 42);
      assertEquals(await io.call("COUNTER.GET", "nope"), null);
      assertEquals(await io.type("visits"), "counter");
      assertEquals(await io.object("ENCODING", "visits"), "int");
      // Errors: wrong type, bad increments, arity, the configured maximum.
      await io.set("str", "x");
      await assertRejects(() => io.call("COUNTER.INCR", "str"), /^ReplyError: WRONGTYPE Operation/);
      await assertRejects(() => io.call("COUNTER.GET", "str"), /^ReplyError: WRONGTYPE/);
      await assertRejects(() => io.call("COUNTER.RESET", "str"), /^ReplyError: WRONGTYPE/);
      assertEquals(await io.get("str"), "x");
      await assertRejects(
        () => io.call("COUNTER.INCR", "visits", "abc"),
        /ERR value is not an integer or out of range/,
      );
      await assertRejects(
        () => io.call("COUNTER.INCR", "visits", "0"),
        /ERR increment must be a positive integer/,
      );
      await assertRejects(() => io.call("COUNTER.INCR", "visits", "1", "2"), /ERR syntax error/);
      await assertRejects(
        () => io.call("COUNTER.GET"),
        /ERR wrong number of arguments for 'counter.get' command/,
      );
      await assertRejects(
        () => io.call("COUNTER.INCR", "visits", "59"),
        /ERR counter would exceed counter-max \(100\)/,
      );
      assertEquals(await io.call("COUNTER.GET", "visits"), 42);
      // The directive is live: CONFIG SET raises the limit.
      assertEquals(await io.config("GET", "counter-max"), ["counter-max", "100"]);
      assertEquals(await io.config("SET", "counter-max", "1000"), "OK");
      assertEquals(await io.call("COUNTER.INCR", "visits", "59"), 101);
      // The hook: INFO counters.
      assertEquals(s.server.pluginInfo("counters"), { counter_increments: 3, counter_max: 1000 });
      assertEquals(
        await io.info("counters"),
        "# Counters\r\ncounter_increments:3\r\ncounter_max:1000\r\n",
      );
      // Generic commands see the type: EXPIRE, COPY (clone), DEL.
      assertEquals(await io.copy("visits", "copy"), 1);
      assertEquals(await io.call("COUNTER.INCR", "copy"), 102);
      assertEquals(await io.call("COUNTER.GET", "visits"), 101);
      assertEquals(await io.call("COUNTER.RESET", "visits"), 101);
      assertEquals(await io.call("COUNTER.RESET", "visits"), null);
      assertEquals(await io.exists("visits"), 0);
      // COMMAND INFO comes from the spec.
      const info = (await io.call("COMMAND", "INFO", "counter.incr")) as unknown[][];
      assertEquals(info[0]!.slice(0, 7), [
        "counter.incr",
        -2,
        ["write", "denyoom", "fast"],
        1,
        1,
        1,
        [
          "@write",
          "@fast",
        ],
      ]);
      // A second server in the same process has its own state.
      const s2 = await startRespite({ plugins: [counter] });
      assertEquals(s2.server.pluginInfo("counters"), {
        counter_increments: 0,
        counter_max: Number.MAX_SAFE_INTEGER,
      });
      await s2.close();
    } finally {
      io.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "counter: WATCH sees COUNTER.INCR",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ plugins: [counter] });
    const a = await RawClient.connect(s.port);
    const b = await RawClient.connect(s.port);
    try {
      if ((await a.call("WATCH", "w")) !== "OK") {
        console.warn("WATCH is not available yet: skipped");
        return;
      }
      assertEquals(await b.call("COUNTER.INCR", "w"), 1);
      assertEquals(await a.call("MULTI"), "OK");
      assertEquals(await a.call("COUNTER.INCR", "w"), "QUEUED");
      assertEquals(await a.call("EXEC"), null);
      assertEquals(await a.call("COUNTER.GET", "w"), 1);
    } finally {
      a.close();
      b.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "counter: loaded by main.ts --plugin, used with redis-cli and ioredis",
  ignore: !hasRedisCli,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "respite-counter-" });
    // As `deno task start` runs it, from the repository root (where the
    // plugin's relative path resolves). With the default save points,
    // SHUTDOWN saves: into a directory of the test's own.
    const p = await spawnServer(
      "respite",
      ["--plugin", "plugins/examples/counter.ts", "--counter-max", "50"],
      { dir, cwd: ROOT, permissions: START_PERMS },
    );
    const port = p.port;
    try {
      assertEquals(await redisCli(port, ["--no-raw", "COUNTER.INCR", "k", "7"]), "(integer) 7\n");
      assertEquals(await redisCli(port, ["--no-raw", "COUNTER.GET", "k"]), "(integer) 7\n");
      assertEquals(await redisCli(port, ["--no-raw", "TYPE", "k"]), "counter\n");
      assertEquals(
        await redisCli(port, ["--no-raw", "CONFIG", "GET", "counter-max"]),
        '1) "counter-max"\n2) "50"\n',
      );
      assertEquals(
        await redisCli(port, ["--no-raw", "CONFIG", "GET", "plugin"]),
        '1) "plugin"\n2) "plugins/examples/counter.ts"\n',
      );
      assertEquals(
        await redisCli(port, ["--no-raw", "COUNTER.INCR", "k", "44"]),
        "(error) ERR counter would exceed counter-max (50)\n",
      );
      const io = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
      await io.connect();
      assertEquals(await io.call("COUNTER.INCR", "k", "43"), 50);
      io.disconnect();
    } finally {
      p.signal("SIGTERM");
      const code = await p.exited(10_000);
      await p.stop();
      const log = p.log();
      assertEquals(code, 0, log);
      assertOk(log.includes("* Plugin 'counter' loaded\n"));
      // SIGTERM saved the dataset (save points are on), counters included.
      assertOk(log.includes("DB saved on disk"), log);
      const s = await withCounter(dir);
      assertEquals(await call(s.port, "COUNTER.GET", "k"), 50);
      await s.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ------------------------------------------------------------ persistence

/** A server with the counter plugin and DEBUG on, in `dir`. */
function withCounter(dir: string, config: Record<string, string> = {}, logs?: string[]) {
  return startRespite({
    plugins: [counter],
    config: { dir, "enable-debug-command": "yes", ...config },
    ...(logs ? { logger: (l: string) => logs.push(l) } : {}),
  });
}

async function waitBgsave(port: number): Promise<Map<string, string>> {
  for (let i = 0; i < 200; i++) {
    const p = await info(port, "persistence");
    if (p.get("rdb_bgsave_in_progress") === "0") return p;
    await sleep(20);
  }
  throw new Error("BGSAVE did not finish");
}

Deno.test({
  name: "counter: SAVE, then a restart loads the counters (DEBUG DIGEST unchanged)",
  ...opts,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "respite-counter-" });
    let s: ServerHandle | undefined = await withCounter(dir);
    try {
      assertEquals(await call(s.port, "COUNTER.INCR", "c", "41"), 41);
      assertEquals(await call(s.port, "COUNTER.INCR", "big", String(2 ** 40)), 2 ** 40);
      assertEquals(await call(s.port, "SET", "s", "str"), "OK");
      assertEquals(await call(s.port, "PEXPIRE", "big", "100000000"), 1);
      const digest = await call(s.port, "DEBUG", "DIGEST");
      const valueDigest = await call(s.port, "DEBUG", "DIGEST-VALUE", "c");
      // Before: a bare ERR (the type could not be written).
      assertEquals(await call(s.port, "SAVE"), "OK");
      await s.close();
      s = await withCounter(dir);
      assertEquals(await call(s.port, "COUNTER.GET", "c"), 41);
      assertEquals(await call(s.port, "COUNTER.GET", "big"), 2 ** 40);
      assertEquals(await call(s.port, "TYPE", "c"), "counter");
      assertOk(Number(await call(s.port, "PTTL", "big")) > 0);
      assertEquals(await call(s.port, "DEBUG", "DIGEST"), digest);
      assertEquals(await call(s.port, "DEBUG", "DIGEST-VALUE", "c"), valueDigest);
      // The counter still works after the load.
      assertEquals(await call(s.port, "COUNTER.INCR", "c"), 42);
    } finally {
      await s?.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Redis's `mixDigest` and `xorDigest` over SHA-1, for the expected digest. */
function sha1(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(b).digest());
}
function xorIn(d: Uint8Array, data: Uint8Array): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) d[i]! ^= h[i]!;
}
function mixIn(d: Uint8Array, data: Uint8Array): void {
  xorIn(d, data);
  d.set(sha1(d));
}

Deno.test({
  name: "counter: DEBUG DIGEST-VALUE follows Redis's module digest",
  ...opts,
  async fn() {
    const s = await withCounter(Deno.makeTempDirSync({ prefix: "respite-counter-" }));
    try {
      await call(s.port, "COUNTER.INCR", "c", "41");
      // xorObjectDigest: the type (OBJ_MODULE = 5), then SHA1 of the
      // module's `x`, into which the ended sequence ("41") was XORed.
      const d = new Uint8Array(20);
      mixIn(d, new Uint8Array([0, 0, 0, 5]));
      const o = new Uint8Array(20);
      mixIn(o, new TextEncoder().encode("41"));
      const x = new Uint8Array(20);
      xorIn(x, o);
      xorIn(d, x);
      const hex = [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
      assertEquals(await call(s.port, "DEBUG", "DIGEST-VALUE", "c"), [hex]);
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: "counter: BGSAVE with save points, writes go on (no MISCONF), SHUTDOWN saves",
  ...opts,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "respite-counter-" });
    // redis-server's default save points, as `main.ts` uses them.
    const config = { save: "3600 1 300 100 60 10000" };
    let s: ServerHandle | undefined = await withCounter(dir, config);
    try {
      await call(s.port, "COUNTER.INCR", "c", "7");
      await call(s.port, "COUNTER.INCR", "gone", "1");
      assertEquals(await call(s.port, "BGSAVE"), "Background saving started");
      const p = await waitBgsave(s.port);
      // Before: "err", and every write after it answered MISCONF.
      assertEquals(p.get("rdb_last_bgsave_status"), "ok");
      assertEquals(await call(s.port, "COUNTER.RESET", "gone"), 1);
      assertEquals(await call(s.port, "COUNTER.INCR", "c", "3"), 10);
      // Shutting down with save points saves the dataset, counters included.
      await s.close();
      s = await withCounter(dir, config);
      assertEquals(await call(s.port, "COUNTER.GET", "c"), 10);
      assertEquals(await call(s.port, "EXISTS", "gone"), 0);
    } finally {
      await s?.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "counter: DUMP and RESTORE round trip; a server without the type refuses the payload",
  ...opts,
  async fn() {
    const s = await withCounter(Deno.makeTempDirSync({ prefix: "respite-counter-" }));
    const bare = await startRespite();
    try {
      await call(s.port, "COUNTER.INCR", "c", "1234567");
      // Before: DUMP failed with a logged stack trace.
      const payload = String(await call(s.port, "DUMP", "c"));
      // RDB_TYPE_MODULE_2, then the module type id (a 64-bit length).
      assertEquals(payload.charCodeAt(0), 7);
      assertEquals(payload.charCodeAt(1), 0x81);
      assertEquals(await call(s.port, "RESTORE", "copy", "0", payload), "OK");
      assertEquals(await call(s.port, "TYPE", "copy"), "counter");
      assertEquals(await call(s.port, "COUNTER.GET", "copy"), 1234567);
      assertEquals(await call(s.port, "RESTORE", "copy", "0", payload), {
        error: "BUSYKEY Target key name already exists.",
      });
      assertEquals(await call(s.port, "RESTORE", "copy", "5000", payload, "REPLACE"), "OK");
      assertOk(Number(await call(s.port, "PTTL", "copy")) > 0);
      assertEquals(await call(s.port, "RESTORE", "copy", "0", payload, "REPLACE"), "OK");
      assertEquals(
        await call(s.port, "DEBUG", "DIGEST-VALUE", "copy"),
        await call(s.port, "DEBUG", "DIGEST-VALUE", "c"),
      );
      // Respite without the plugin answers as Redis does for module data
      // it has no module for.
      assertEquals(await call(bare.port, "RESTORE", "c", "0", payload), {
        error: "ERR Bad data format",
      });
    } finally {
      await s.close();
      await bare.close();
    }
  },
});

Deno.test({
  name: "counter: redis-server refuses the DUMP payload and the RDB file (unknown module type)",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "respite-counter-" });
    const s = await withCounter(dir);
    const redis = await startRealRedis();
    try {
      await call(s.port, "COUNTER.INCR", "c", "5");
      await call(s.port, "SET", "s", "v");
      const payload = String(await call(s.port, "DUMP", "c"));
      assertEquals(await call(redis.port, "RESTORE", "c", "0", payload), {
        error: "ERR Bad data format",
      });
      // A string's payload still moves over: only the module value is refused.
      assertEquals(
        await call(redis.port, "RESTORE", "s", "0", String(await call(s.port, "DUMP", "s"))),
        "OK",
      );
      assertEquals(await call(s.port, "SAVE"), "OK");
      // It does not start: it exits after its report (or is killed here).
      const { code, log } = await runToExit("redis", ["--save", ""], { dir });
      assertOk(code !== undefined, "redis-server loaded module data it has no module for");
      assertMatch(
        log,
        /The RDB file contains module data I can't load: no matching module type 'CounterEx'/,
      );
      // Its check of the file (run after the failure) finds the format valid:
      // the module opcodes are as Redis writes them.
      assertMatch(log, /RDB looks OK/);
    } finally {
      await s.close();
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "counter: a Respite replica with the plugin gets counters by full sync and stream",
  ...opts,
  fn: () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc(["--plugin", COUNTER_PLUGIN]);
      procs.push(m);
      await call(m.port, "COUNTER.INCR", "before", "3");
      const r = await startRespiteProc([
        "--plugin",
        COUNTER_PLUGIN,
        "--replicaof",
        `127.0.0.1 ${m.port}`,
      ]);
      procs.push(r);
      // Before: the master looped on "Can't produce the RDB for replicas".
      await caughtUp(m.port, [r.port]);
      assertEquals(await call(r.port, "COUNTER.GET", "before"), 3);
      assertEquals(await call(m.port, "COUNTER.INCR", "before", "2"), 5);
      assertEquals(await call(m.port, "COUNTER.INCR", "after"), 1);
      await caughtUp(m.port, [r.port]);
      assertEquals(await call(r.port, "COUNTER.GET", "before"), 5);
      assertEquals(await call(r.port, "COUNTER.GET", "after"), 1);
      assertEquals(
        await call(r.port, "DEBUG", "DIGEST"),
        await call(m.port, "DEBUG", "DIGEST"),
      );
      assertOk(!m.log().includes("Can't produce the RDB"), m.log());
    }),
});

/** The AOF base file (its name has `.base.`) as a byte string. */
function baseFile(dir: string): string {
  for (const e of Deno.readDirSync(join(dir, "aofdir"))) {
    if (!e.name.includes(".base.")) continue;
    let s = "";
    for (const b of Deno.readFileSync(join(dir, "aofdir", e.name))) s += String.fromCharCode(b);
    return s;
  }
  throw new Error("no AOF base file");
}

for (const preamble of ["no", "yes"]) {
  Deno.test({
    name: `counter: BGREWRITEAOF (aof-use-rdb-preamble ${preamble}), then a restart from the AOF`,
    ...opts,
    async fn() {
      const dir = Deno.makeTempDirSync({ prefix: "respite-counter-" });
      const config = {
        appendonly: "yes",
        appenddirname: "aofdir",
        "aof-use-rdb-preamble": preamble,
      };
      let s: ServerHandle | undefined = await withCounter(dir, config);
      try {
        await call(s.port, "COUNTER.INCR", "c", "5");
        await call(s.port, "COUNTER.INCR", "c", "2");
        await call(s.port, "COUNTER.INCR", "t", "9");
        await call(s.port, "PEXPIRE", "t", "100000000");
        // Before: the rewrite failed.
        assertEquals(
          await call(s.port, "BGREWRITEAOF"),
          "Background append only file rewriting started",
        );
        await waitRewrite(s.port);
        assertEquals((await info(s.port, "persistence")).get("aof_last_bgrewrite_status"), "ok");
        const base = baseFile(dir);
        if (preamble === "yes") {
          assertOk(base.startsWith("REDIS"), "the base is an RDB");
        } else {
          // The type's `rewrite`: one command rebuilds the counter.
          assertOk(base.includes("$12\r\nCOUNTER.INCR\r\n$1\r\nc\r\n$1\r\n7\r\n"), base);
        }
        await call(s.port, "COUNTER.INCR", "c", "1");
        const digest = await call(s.port, "DEBUG", "DIGEST");
        await s.close();
        s = await withCounter(dir, config);
        assertEquals(await call(s.port, "COUNTER.GET", "c"), 8);
        assertEquals(await call(s.port, "COUNTER.GET", "t"), 9);
        assertOk(Number(await call(s.port, "PTTL", "t")) > 0);
        assertEquals(await call(s.port, "DEBUG", "DIGEST"), digest);
      } finally {
        await s?.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test("counter: the type's RDB and size declarations", () => {
  assertEquals(counterType.name, "counter");
  assertEquals(counterType.rdb?.name, "CounterEx");
  assertEquals(counterType.rewrite?.("k", new Counter(3)), [["COUNTER.INCR", "k", "3"]]);
  assertEquals(counterType.memoryUsage?.(new Counter(3)), 32);
});
