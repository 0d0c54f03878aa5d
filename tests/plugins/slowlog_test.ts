/**
 * SLOWLOG, differentially against redis-server: with every command
 * logged (`slowlog-log-slower-than 0`) the entries of a script must be the
 * same on both, but for ids, times and durations: the arguments
 * (truncated at 32 arguments and 128 bytes, passwords redacted), the
 * client's address and name, nested commands (EXEC's, a script's), what
 * is left out (EXEC, rejected commands), blocked commands logged when
 * they end, and `slowlog-max-len`. The subcommands' replies and errors,
 * and the directives, are compared as well.
 */

import {
  diffTest,
  encodeCommand,
  hasRedis,
  RawClient,
  type Reply,
  sharedServers,
  sleep,
  startRespite,
} from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";
import { entryArgs } from "../../plugins/monitor/mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A step: client 0 or 1 runs a command, sends one without waiting, or reads a reply. */
type SStep = [0 | 1, ...string[]] | { send: [0 | 1, ...string[]] } | { read: 0 | 1 };

/**
 * Runs `script` with every command logged; returns the log's entries
 * (newest first) without id, time and duration, ids checked to increase
 * by one, and the clients' addresses replaced by their names.
 */
async function logged(
  port: number,
  script: readonly SStep[],
  config: readonly string[] = [],
): Promise<Reply[]> {
  const cs = [await RawClient.connect(port), await RawClient.connect(port)];
  const names = new Map<string, string>();
  cs.forEach((c, i) => {
    const a = c.conn.localAddr as Deno.NetAddr;
    names.set(`${a.hostname}:${a.port}`, ["A", "B"][i]!);
  });
  try {
    await cs[0]!.call("FLUSHALL");
    await cs[0]!.call("CONFIG", "SET", "slowlog-log-slower-than", "0", ...config);
    await cs[0]!.call("SLOWLOG", "RESET");
    for (const step of script) {
      if (Array.isArray(step)) {
        const [n, ...argv] = step;
        await cs[n]!.call(...argv);
      } else if ("send" in step) {
        const [n, ...argv] = step.send;
        await cs[n]!.write(encodeCommand(argv));
        await sleep(50);
      } else {
        await cs[step.read]!.read();
      }
    }
    await cs[0]!.call("CONFIG", "SET", "slowlog-log-slower-than", "-1");
    const entries = await cs[0]!.call("SLOWLOG", "GET", "-1") as Reply[][];
    const ids = entries.map((e) => e[0] as number);
    for (let i = 1; i < ids.length; i++) assertEquals(ids[i - 1]! - ids[i]!, 1, "ids");
    for (const e of entries) {
      assertOk(typeof e[1] === "number" && Math.abs(e[1] - Date.now() / 1000) < 60, "time");
      assertOk(typeof e[2] === "number" && e[2] >= 0, "duration");
    }
    return entries.map((e) => [e[3]!, names.get(e[4] as string) ?? e[4]!, e[5]!]);
  } finally {
    await cs[0]!.call("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128")
      .catch(() => {});
    for (const c of cs) c.close();
  }
}

function diffSlowlog(name: string, script: readonly SStep[], config: readonly string[] = []): void {
  Deno.test({
    name: `diff: slowlog: ${name}`,
    ignore: !hasRedis,
    ...opts,
    async fn() {
      const { respite, redis } = await sharedServers();
      assertEquals(
        await logged(respite.port, script, config),
        await logged(redis!.port, script, config),
      );
    },
  });
}

const many = Array.from({ length: 40 }, (_, i) => `k${i}`);

diffSlowlog("arguments, truncation, client names, what is left out", [
  [0, "SET", "a", "b"],
  [0, "SET", "big", "x".repeat(200)],
  [0, "SET", "x".repeat(129), "y".repeat(128)],
  [0, "DEL", ...many],
  [0, "MSET", ...many.slice(0, 15).flatMap((k) => [k, k])],
  [0, "DEL", ...many.slice(0, 31)],
  [0, "CLIENT", "SETNAME", "alice"],
  [1, "PING"],
  [0, "GET", "a"],
  [0, "NOSUCH"],
  [0, "GET"],
  [0, "SLOWLOG", "LEN"],
]);

diffSlowlog("nested commands: EXEC's under its client, a script's as ?:0", [
  [0, "MULTI"],
  [0, "SET", "k", "v"],
  [0, "INCR", "n"],
  [0, "EXEC"],
  [0, "EVAL", "redis.call('set','x','1'); return redis.call('get','x')", "0"],
  [0, "FUNCTION", "FLUSH"],
  [
    0,
    "FUNCTION",
    "LOAD",
    "#!lua name=sl\nredis.register_function('f', function(k) return redis.call('get', k[1]) end)",
  ],
  [0, "FCALL", "f", "1", "x"],
  [0, "FUNCTION", "FLUSH"],
]);

diffSlowlog("passwords redacted", [
  [0, "AUTH", "foo", "bar"],
  [0, "AUTH", "onlypassword"],
  [0, "AUTH", "a", "b", "c"],
  [0, "HELLO", "3", "AUTH", "default", "x"],
  [0, "HELLO", "2", "AUTH", "u"],
  [0, "HELLO", "9", "AUTH", "u", "p"],
  [0, "HELLO", "2"],
  [0, "ACL", "SETUSER", "bob", "on", ">pw", "~*"],
  [0, "ACL", "DELUSER", "bob"],
  [0, "CONFIG", "SET", "requirepass", "", "masterauth", "secret"],
  [0, "CONFIG", "SET", "requirepass", "", "masterauth"],
  [0, "CONFIG", "SET", "MASTERAUTH", ""],
]);

diffSlowlog("a blocked command is logged when it is served, not when it times out", [
  { send: [1, "BLPOP", "bl", "0"] },
  [0, "LPUSH", "bl", "x"],
  { read: 1 },
  [0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
  { send: [1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"] },
  [0, "XGROUP", "DESTROY", "s", "g"],
  { read: 1 },
  [1, "BLPOP", "none", "0.01"],
  [1, "PING"],
]);

diffSlowlog("slowlog-max-len keeps the newest, trimmed at the next entry", [
  [0, "SET", "a", "1"],
  [0, "SET", "b", "2"],
  [0, "SET", "c", "3"],
  [0, "CONFIG", "SET", "slowlog-max-len", "2"],
  [0, "SET", "d", "4"],
], []);

diffTest("slowlog: subcommands, counts and errors", [
  ["SLOWLOG", "HELP"],
  ["SLOWLOG", "RESET"],
  ["SLOWLOG", "LEN"],
  ["SLOWLOG", "GET"],
  ["SLOWLOG", "GET", "0"],
  ["SLOWLOG", "GET", "-1"],
  ["SLOWLOG", "GET", "-2"],
  ["SLOWLOG", "GET", "abc"],
  ["SLOWLOG", "GET", "1", "2"],
  ["SLOWLOG", "get", "1", "2"],
  ["SLOWLOG", "LEN", "x"],
  ["SLOWLOG", "RESET", "x"],
  ["SLOWLOG"],
  ["SLOWLOG", "NOSUCH"],
  { cmd: ["CONFIG", "GET", "slowlog*"], unordered: true },
  ["CONFIG", "SET", "slowlog-log-slower-than", "-2"],
  ["CONFIG", "SET", "slowlog-log-slower-than", "1.5"],
  ["CONFIG", "SET", "slowlog-max-len", "-1"],
  ["CONFIG", "SET", "slowlog-max-len", "1k"],
]);

Deno.test({
  name:
    "slowlog: only commands at or above the threshold; off at -1; an idle gap is not a command's",
  ...opts,
  async fn() {
    const s = await startRespite({ config: { "enable-debug-command": "yes" } });
    const c = await RawClient.connect(s.port);
    try {
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "20000");
      await c.call("SLOWLOG", "RESET");
      await c.call("PING");
      await c.call("DEBUG", "SLEEP", "0.03");
      // The second PING follows a pause: the wait is not part of it.
      await sleep(60);
      await c.call("PING");
      const entries = await c.call("SLOWLOG", "GET") as Reply[][];
      assertEquals(entries.map((e) => e[3]), [["DEBUG", "SLEEP", "0.03"]]);
      assertOk((entries[0]![2] as number) >= 30000);
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "-1");
      await c.call("DEBUG", "SLEEP", "0.03");
      assertEquals(await c.call("SLOWLOG", "LEN"), 1);
      // Pipelined commands are timed each on its own.
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "20000");
      await c.write("PING\r\nDEBUG SLEEP 0.03\r\nPING\r\nPING\r\n");
      for (let i = 0; i < 4; i++) await c.read();
      const after = await c.call("SLOWLOG", "GET") as Reply[][];
      assertEquals(after.map((e) => e[3]), [["DEBUG", "SLEEP", "0.03"], [
        "DEBUG",
        "SLEEP",
        "0.03",
      ]]);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test("slowlog: entryArgs keeps 32 arguments of 128 bytes", () => {
  const argv = ["DEL", ...Array.from({ length: 40 }, (_, i) => `k${i}`)];
  const out = entryArgs(argv);
  assertEquals(out.length, 32);
  assertEquals(out[31], "... (10 more arguments)");
  assertEquals(entryArgs(["SET", "k", "v".repeat(129)])[2], "v".repeat(128) + "... (1 more bytes)");
  assertEquals(entryArgs(argv.slice(0, 32)), argv.slice(0, 32));
});
