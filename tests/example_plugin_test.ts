/**
 * The example counter plugin, loaded in-process with startServer and from
 * the command line with `--plugin`, driven by ioredis and redis-cli.
 */

import { Redis } from "ioredis";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import counter, { Counter } from "../plugins/examples/counter.ts";
import { freePort, hasRedisCli, RawClient, redisCli, sleep, startRespite } from "./_helpers.ts";
import { assertEquals, assertOk, assertRejects } from "./_assert.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

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
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env=FENGARICONF",
        "main.ts",
        "--plugin",
        "plugins/examples/counter.ts",
        "--counter-max",
        "50",
        "--port",
        String(port),
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    try {
      let up = false;
      for (let i = 0; i < 200 && !up; i++) {
        try {
          (await Deno.connect({ port, hostname: "127.0.0.1" })).close();
          up = true;
        } catch {
          await sleep(50);
        }
      }
      assertOk(up, "main.ts did not start");
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
      child.kill("SIGTERM");
      const o = await output;
      assertEquals(o.code, 0);
      assertOk(new TextDecoder().decode(o.stdout).includes("* Plugin 'counter' loaded\n"));
    }
  },
});
