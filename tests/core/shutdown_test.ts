/**
 * Shutdown when the final save cannot succeed: SHUTDOWN is refused with
 * Redis's error and the server keeps serving, signals do the same, FORCE
 * and NOSAVE still exit, an AOF that cannot be written refuses the
 * shutdown too, and `shutdown-on-sigterm` / `shutdown-on-sigint` choose a
 * signal's modifiers. Servers run as processes (main.ts, redis-server),
 * since whether the process exits is the point.
 */

import { join } from "node:path";
import {
  diffTest,
  hasRedis,
  type Proc,
  RawClient,
  type Reply,
  sleep,
  type SpawnOptions,
  spawnServer,
  startRespite,
  until,
} from "../_helpers.ts";
import { assertEquals, assertMatch, assertOk } from "../_assert.ts";

const REFUSED = "-ERR Errors trying to SHUTDOWN. Check logs.\r\n";
const dec = new TextDecoder();

const hasPrlimit: boolean = (() => {
  try {
    return new Deno.Command("prlimit", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** Sets a running process's file-size soft limit (bytes, or "unlimited"). */
async function setFileSizeLimit(pid: number, limit: string): Promise<void> {
  const out = await new Deno.Command("prlimit", {
    args: ["--pid", String(pid), `--fsize=${limit}:`],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertOk(out.success, `prlimit failed: ${dec.decode(out.stderr)}`);
}

/** Reads `dir`'s dump back through a fresh Respite. */
async function readBack(dir: string, key: string, extra: string[] = []): Promise<Reply> {
  const p = await spawnServer("respite", ["--save", "", ...extra], { dir });
  const c = await RawClient.connect(p.port);
  try {
    return await c.call("GET", key);
  } finally {
    c.close();
    await p.stop();
  }
}

/** Runs `fn` with a server process; stops it and removes its dir after. */
async function withServer(
  kind: "respite" | "redis",
  args: string[],
  fn: (p: Proc) => Promise<void>,
  opts: SpawnOptions = {},
): Promise<void> {
  const p = await spawnServer(kind, args, opts);
  try {
    await fn(p);
  } catch (e) {
    // The server's log says why it went away.
    throw new Error(`${(e as Error).message}\n--- ${kind} log ---\n${p.log()}`, { cause: e });
  } finally {
    await p.stop();
  }
}

Deno.test("SHUTDOWN whose final save fails is refused, the server keeps serving, and saves once the obstacle is gone", async () => {
  await withServer("respite", ["--save", "3600 1"], async (p) => {
    const a = await RawClient.connect(p.port);
    const b = await RawClient.connect(p.port);
    try {
      // A directory where the dump goes: the rename fails, even as root.
      Deno.mkdirSync(join(p.dir, "dump.rdb"));
      assertEquals(await a.call("SET", "a", "1"), "OK");
      // A command pipelined behind SHUTDOWN runs after its reply.
      await a.write("SHUTDOWN\r\nGET a\r\n");
      assertEquals((await a.read()).raw, REFUSED);
      assertEquals((await a.read()).value, "1");
      assertMatch(p.log(), /# Error trying to save the DB, can't exit\.\n/);
      assertMatch(
        p.log(),
        /# Errors trying to shut down the server\. Check the logs for more information\.\n/,
      );
      // Other clients stay connected, the listener stays open...
      assertEquals(await b.call("PING"), "PONG");
      const c = await RawClient.connect(p.port);
      // ...and the cron still runs: active expiry removes a key nobody reads.
      assertEquals(await c.call("SET", "t", "x", "PX", "20"), "OK");
      await until("active expiry", async () => (await c.call("DBSIZE")) === 1, 5000);
      c.close();
      assertEquals(await p.exited(200), undefined);

      Deno.removeSync(join(p.dir, "dump.rdb"));
      await a.write("SHUTDOWN\r\n");
      assertEquals(await a.closedWithin(5000), true);
      assertEquals(await b.closedWithin(5000), true);
      assertEquals(await p.exited(5000), 0);
      assertMatch(p.log(), /\* DB saved on disk\n/);
      assertEquals(await readBack(p.dir, "a"), "1");
    } finally {
      a.close();
      b.close();
    }
  });
});

Deno.test("SIGTERM whose final save fails: logged, the server keeps running; SHUTDOWN NOSAVE then exits 0", async () => {
  await withServer("respite", ["--save", "3600 1"], async (p) => {
    const a = await RawClient.connect(p.port);
    try {
      Deno.mkdirSync(join(p.dir, "dump.rdb"));
      assertEquals(await a.call("SET", "a", "1"), "OK");
      p.signal("SIGTERM");
      await p.waitLog(
        /# SIGTERM received but errors trying to shut down the server, check the logs for more information\n/,
      );
      assertMatch(p.log(), /# Error trying to save the DB, can't exit\.\n/);
      assertEquals(await p.exited(200), undefined);
      assertEquals(await a.call("GET", "a"), "1");
      // The refused shutdown is over: a SIGINT now is a new attempt, not
      // the "exit now" of a second signal during a shutdown.
      p.signal("SIGINT");
      await p.waitLog(/# SIGINT received but errors trying to shut down the server/);
      assertEquals(await p.exited(200), undefined);
      assertOk(!p.log().includes("You insist"), p.log());
      assertEquals(await a.call("GET", "a"), "1");

      await a.write("SHUTDOWN NOSAVE\r\n");
      assertEquals(await a.closedWithin(5000), true);
      assertEquals(await p.exited(5000), 0);
      assertMatch(p.log(), /# Respite is now ready to exit, bye bye\.\.\.\n/);
    } finally {
      a.close();
    }
  });
});

Deno.test("SHUTDOWN FORCE exits even though the final save fails", async () => {
  await withServer("respite", ["--save", "3600 1"], async (p) => {
    const a = await RawClient.connect(p.port);
    try {
      Deno.mkdirSync(join(p.dir, "dump.rdb"));
      assertEquals(await a.call("SET", "a", "1"), "OK");
      await a.write("SHUTDOWN FORCE\r\n");
      assertEquals(await a.closedWithin(5000), true);
      assertEquals(await p.exited(5000), 0);
      assertMatch(p.log(), /# Error trying to save the DB\. Exit anyway\.\n/);
      assertOk(!p.log().includes("can't exit"), p.log());
    } finally {
      a.close();
    }
  });
});

Deno.test("a second SIGINT during a shutdown exits at once with status 1", async () => {
  await withServer("respite", ["--save", ""], async (p) => {
    const a = await RawClient.connect(p.port);
    try {
      // A reply the client never reads keeps the shutdown waiting (for up
      // to a second) for its output to leave.
      assertEquals(await a.call("SETRANGE", "big", String(32 * 1024 * 1024 - 1), "x"), 32 << 20);
      await a.write("GET big\r\n");
      await sleep(200);
      p.signal("SIGINT");
      await p.waitLog(/# User requested shutdown\.\.\.\n/);
      p.signal("SIGINT");
      assertEquals(await p.exited(5000), 1);
      assertMatch(p.log(), /# You insist\.\.\. exiting now\.\n/);
    } finally {
      a.close();
    }
  });
});

Deno.test({
  name: "an AOF that cannot be written refuses the shutdown; once writable, nothing was lost",
  ignore: !hasPrlimit,
  async fn() {
    await withServer("respite", ["--save", "", "--appendonly", "yes"], async (p) => {
      const a = await RawClient.connect(p.port);
      try {
        // Past 64 KiB every write to a file fails with EFBIG.
        await setFileSizeLimit(p.pid, "65536");
        assertEquals(await a.call("SET", "big", "x".repeat(100_000)), "OK");
        // Later writes are refused rather than acknowledged and lost.
        const refused = await a.call("SET", "small", "1") as { error: string };
        assertMatch(refused.error, /^MISCONF Errors writing to the AOF file: /);
        await a.write("SHUTDOWN\r\n");
        assertEquals((await a.read()).raw, REFUSED);
        assertMatch(p.log(), /# Error writing to the AOF file: File too large\n/);
        assertMatch(p.log(), /# Error trying to write the AOF file, can't exit\.\n/);
        assertEquals(await p.exited(200), undefined);
        assertEquals(await a.call("GET", "small"), null);
        const info = await a.call("INFO", "persistence");
        assertMatch(String(info), /aof_last_write_status:err\r\n/);

        // The AOF stayed open with the unwritten tail buffered: once the
        // cron's retry writes it, writes are accepted again.
        await setFileSizeLimit(p.pid, "unlimited");
        await until("writes", async () => await a.call("SET", "small", "1") === "OK", 5000);
        await a.write("SHUTDOWN\r\n");
        assertEquals(await a.closedWithin(5000), true);
        assertEquals(await p.exited(5000), 0);
      } finally {
        a.close();
      }
      const q = await spawnServer("respite", ["--save", "", "--appendonly", "yes"], { dir: p.dir });
      const c = await RawClient.connect(q.port);
      try {
        assertEquals(await c.call("STRLEN", "big"), 100_000);
        assertEquals(await c.call("GET", "small"), "1");
      } finally {
        c.close();
        await q.stop();
      }
    }, { ignoreXfsz: true });
  },
});

Deno.test({
  name: "an AOF that cannot be written: SHUTDOWN FORCE exits, saying so",
  ignore: !hasPrlimit,
  async fn() {
    await withServer("respite", ["--save", "", "--appendonly", "yes"], async (p) => {
      const a = await RawClient.connect(p.port);
      try {
        await setFileSizeLimit(p.pid, "65536");
        assertEquals(await a.call("SET", "big", "x".repeat(100_000)), "OK");
        await a.write("SHUTDOWN FORCE\r\n");
        assertEquals(await a.closedWithin(5000), true);
        assertEquals(await p.exited(5000), 0);
        assertMatch(p.log(), /# Error writing to the AOF file: File too large\n/);
        assertMatch(p.log(), /# Error trying to write the AOF file\. Exit anyway\.\n/);
      } finally {
        a.close();
      }
    }, { ignoreXfsz: true });
  },
});

Deno.test("shutdown-on-sigint and shutdown-on-sigterm choose a signal's modifiers", async () => {
  // SAVE without save points: the signal saves anyway.
  await withServer("respite", ["--save", "", "--shutdown-on-sigint", "save now"], async (p) => {
    const a = await RawClient.connect(p.port);
    try {
      assertEquals(await a.call("CONFIG", "GET", "shutdown-on-sigint"), [
        "shutdown-on-sigint",
        "save now",
      ]);
      assertEquals(await a.call("SET", "a", "1"), "OK");
    } finally {
      a.close();
    }
    p.signal("SIGINT");
    assertEquals(await p.exited(5000), 0);
    assertEquals(await readBack(p.dir, "a"), "1");
  });
  // NOSAVE: the failing save is not even tried.
  await withServer(
    "respite",
    ["--save", "3600 1", "--shutdown-on-sigterm", "nosave"],
    async (p) => {
      const a = await RawClient.connect(p.port);
      try {
        Deno.mkdirSync(join(p.dir, "dump.rdb"));
        assertEquals(await a.call("SET", "a", "1"), "OK");
      } finally {
        a.close();
      }
      p.signal("SIGTERM");
      assertEquals(await p.exited(5000), 0);
      assertOk(!p.log().includes("Saving the final RDB snapshot"), p.log());
    },
  );
  // FORCE: the failing save is logged and the server exits.
  await withServer("respite", ["--save", "3600 1", "--shutdown-on-sigterm", "force"], async (p) => {
    Deno.mkdirSync(join(p.dir, "dump.rdb"));
    p.signal("SIGTERM");
    assertEquals(await p.exited(5000), 0);
    assertMatch(p.log(), /# Error trying to save the DB\. Exit anyway\.\n/);
  });
});

Deno.test("embedded: shutdown() rejects and keeps serving when the save fails; close() always closes", async () => {
  const s = await startRespite({ config: { save: "3600 1" } });
  const dir = s.server.config.get("dir");
  const a = await RawClient.connect(s.port);
  try {
    Deno.mkdirSync(join(dir, "dump.rdb"));
    assertEquals(await a.call("SET", "a", "1"), "OK");
    let refused = false;
    await s.server.shutdown().catch(() => (refused = true));
    assertEquals(refused, true);
    assertEquals(await a.call("GET", "a"), "1");
    await s.close();
    assertEquals(await a.closedWithin(5000), true);
    await s.finished;
  } finally {
    a.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

diffTest("shutdown-on-sigterm and shutdown-on-sigint values", [
  ["CONFIG", "GET", "shutdown-on-sigterm"],
  ["CONFIG", "GET", "shutdown-on-sigint"],
  ["CONFIG", "SET", "shutdown-on-sigterm", "save now"],
  ["CONFIG", "GET", "shutdown-on-sigterm"],
  ["CONFIG", "SET", "shutdown-on-sigterm", "now default"],
  ["CONFIG", "GET", "shutdown-on-sigterm"],
  ["CONFIG", "SET", "shutdown-on-sigterm", "FORCE nosave now"],
  ["CONFIG", "GET", "shutdown-on-sigterm"],
  ["CONFIG", "SET", "shutdown-on-sigterm", "save save"],
  ["CONFIG", "GET", "shutdown-on-sigterm"],
  ["CONFIG", "SET", "shutdown-on-sigint", "nosave save"],
  ["CONFIG", "SET", "shutdown-on-sigint", "bogus"],
  ["CONFIG", "SET", "shutdown-on-sigint", ""],
  ["CONFIG", "GET", "shutdown-on-sigint"],
  ["CONFIG", "SET", "shutdown-on-sigterm", "default"],
  ["CONFIG", "GET", "shutdown-on-sigterm"],
]);

Deno.test({
  name: "diff: a refused shutdown answers and keeps serving as redis-server does",
  ignore: !hasRedis,
  async fn() {
    const run = async (kind: "respite" | "redis"): Promise<unknown[]> => {
      const out: unknown[] = [];
      await withServer(kind, ["--save", "3600 1"], async (p) => {
        const a = await RawClient.connect(p.port);
        const b = await RawClient.connect(p.port);
        try {
          // Made after start-up: Redis refuses to start with it there.
          Deno.mkdirSync(join(p.dir, "dump.rdb"));
          out.push(await a.command("SET", "a", "1"));
          out.push(await a.command("SHUTDOWN"));
          out.push(await a.command("GET", "a"));
          out.push(await b.command("PING"));
          const c = await RawClient.connect(p.port);
          out.push(await c.command("PING"));
          c.close();
          p.signal("SIGTERM");
          await p.waitLog(/Errors trying to shut down the server/, 5000, 2);
          out.push(await p.exited(300));
          out.push(await a.command("GET", "a"));
          out.push(await a.command("SHUTDOWN", "SAVE", "NOSAVE"));
          await a.write("SHUTDOWN FORCE\r\n");
          out.push(await a.closedWithin(5000));
          out.push(await p.exited(5000));
          out.push(/Error trying to save the DB\. Exit anyway\./.test(p.log()));
        } finally {
          a.close();
          b.close();
        }
      });
      return out;
    };
    const ours = await run("respite");
    const theirs = await run("redis");
    assertEquals(ours, theirs);
  },
});

Deno.test({
  name: "diff: an AOF that cannot be written refuses writes and PING (MISCONF) until it can",
  ignore: !hasRedis || !hasPrlimit,
  async fn() {
    const run = async (kind: "respite" | "redis"): Promise<unknown[]> => {
      const out: unknown[] = [];
      const args = ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"];
      await withServer(kind, args, async (p) => {
        const a = await RawClient.connect(p.port);
        try {
          await until("the AOF", async () => {
            const info = String(await a.call("INFO", "persistence"));
            return info.includes("aof_rewrite_in_progress:0") && info.includes("aof_enabled:1");
          }, 5000);
          await setFileSizeLimit(p.pid, "65536");
          out.push(await a.call("SET", "big", "x".repeat(100_000)));
          // The reason depends on how the write failed (short or not).
          const prefix = (r: Reply) =>
            typeof r === "object" && r !== null && "error" in r
              ? r.error.slice(0, r.error.indexOf(":") + 1)
              : r;
          out.push(prefix(await a.call("SET", "small", "1")));
          out.push(prefix(await a.call("PING")));
          out.push(await a.call("GET", "small"));
          out.push(await a.call("STRLEN", "big"));
          await setFileSizeLimit(p.pid, "unlimited");
          await until("the AOF retry", async () => await a.call("PING") === "PONG", 5000);
          out.push(await a.call("SET", "small", "1"));
        } finally {
          a.close();
        }
      }, { ignoreXfsz: true });
      return out;
    };
    const ours = await run("respite");
    assertEquals(ours[1], "MISCONF Errors writing to the AOF file:");
    assertEquals(ours, await run("redis"));
  },
});
