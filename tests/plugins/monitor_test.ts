/**
 * MONITOR, differentially against redis-server: a client runs a script
 * (scripts, functions, MULTI/EXEC, passwords, SELECT, blocked commands,
 * rejected ones) while another monitors; the lines each server streams,
 * with timestamps and ports normalized, must be the same. Also the
 * monitoring client's own rules (a second MONITOR has no reply, no
 * keyspace access, RESET ends it), and `redis-cli monitor`.
 */

import {
  encodeCommand,
  hasRedis,
  hasRedisCli,
  RawClient,
  type Reply,
  sharedServers,
  sleep,
  startRespite,
} from "../_helpers.ts";
import { assertEquals, assertMatch, assertOk } from "../_assert.ts";
import { monitorLine } from "../../plugins/monitor/mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const END = "__monitor_end__";

/** A step of a monitored script: client 0 or 1 runs a command, or sends one without waiting. */
type MStep = [0 | 1, ...string[]] | { send: [0 | 1, ...string[]] } | { read: 0 | 1 };

/** Replaces each client's address by its name, and the timestamp by `T`. */
function normalize(line: string, names: Map<string, string>): string {
  assertMatch(line, /^\d{10}\.\d{6} \[\d+ [^\]]+\] "/, line);
  let out = line.replace(/^\d+\.\d+ /, "T ");
  for (const [addr, name] of names) out = out.replaceAll(addr, name);
  return out;
}

function addrOf(c: RawClient): string {
  const a = c.conn.localAddr as Deno.NetAddr;
  return `${a.hostname}:${a.port}`;
}

/** Runs a script under MONITOR; returns the replies and the normalized monitor lines. */
async function monitored(port: number, script: readonly MStep[]): Promise<[Reply[], string[]]> {
  const m = await RawClient.connect(port);
  const cs = [await RawClient.connect(port), await RawClient.connect(port)];
  const names = new Map([[addrOf(cs[0]!), "A"], [addrOf(cs[1]!), "B"]]);
  try {
    await cs[0]!.call("FLUSHALL");
    await cs[0]!.call("FUNCTION", "FLUSH");
    assertEquals(await m.call("MONITOR"), "OK");
    const replies: Reply[] = [];
    for (const step of script) {
      if (Array.isArray(step)) {
        const [n, ...argv] = step;
        const reply = await cs[n]!.call(...argv);
        // HELLO's reply carries the client id, which differs.
        const hello = argv[0] === "HELLO" && typeof reply === "object" && reply !== null &&
          !("error" in reply);
        replies.push(hello ? "(hello)" : reply);
      } else if ("send" in step) {
        const [n, ...argv] = step.send;
        await cs[n]!.write(encodeCommand(argv));
        await sleep(50);
      } else {
        replies.push((await cs[step.read]!.read()).value);
      }
    }
    await cs[0]!.call("ECHO", END);
    const lines: string[] = [];
    for (;;) {
      const line = String((await m.read()).value);
      if (line.includes(END)) break;
      lines.push(normalize(line, names));
    }
    return [replies, lines];
  } finally {
    m.close();
    for (const c of cs) c.close();
  }
}

/** Registers a test comparing a monitored script on Respite and redis-server. */
function diffMonitor(name: string, script: readonly MStep[]): void {
  Deno.test({
    name: `diff: monitor: ${name}`,
    ignore: !hasRedis,
    ...opts,
    async fn() {
      const { respite, redis } = await sharedServers();
      const [ourReplies, ours] = await monitored(respite.port, script);
      const [theirReplies, theirs] = await monitored(redis!.port, script);
      assertEquals(ourReplies, theirReplies, "replies");
      assertEquals(ours, theirs, "monitor lines");
    },
  });
}

diffMonitor("plain commands, quoting, rejected commands not shown", [
  [0, "SET", "a", "b"],
  [0, "GET", "a"],
  [0, "SET", "a b", 'c"d\\\x01\n\r\t\x07\x08\xff'],
  [0, "NOSUCH", "x"],
  [0, "GET"],
  [0, "CONFIG", "GET", "databases"],
  [0, "CLIENT", "SETNAME", "alice"],
  [0, "SELECT", "3"],
  [0, "SET", "in3", "v"],
  [0, "SELECT", "0"],
]);

diffMonitor("scripts and functions show before the commands they run, as lua", [
  [0, "EVAL", "redis.call('set','x','1'); return redis.call('get','x')", "0"],
  [0, "EVAL", "redis.call('select', 2); return redis.call('set','y','2')", "0"],
  [0, "EVALSHA", "0000000000000000000000000000000000000000", "0"],
  [0, "EVALSHA", "123", "0"],
  [0, "EVAL", "return redis.pcall('nosuch')", "0"],
  [
    0,
    "FUNCTION",
    "LOAD",
    "#!lua name=lib\nredis.register_function('f', function(k, a) return redis.call('set', k[1], a[1]) end)",
  ],
  [0, "FCALL", "f", "1", "fk", "fv"],
  [0, "FCALL_RO", "f", "1", "fk", "fv"],
]);

diffMonitor("MULTI/EXEC: the queued commands run before EXEC shows", [
  [0, "MULTI"],
  [0, "SET", "k", "v"],
  [0, "INCR", "n"],
  [0, "EVAL", "return redis.call('get', KEYS[1])", "1", "k"],
  [0, "EXEC"],
  [0, "MULTI"],
  [0, "SET", "k", "w"],
  [0, "DISCARD"],
  [0, "MULTI"],
  [0, "NOSUCH"],
  [0, "EXEC"],
]);

diffMonitor("passwords are redacted as Redis redacts them", [
  [0, "AUTH", "foo", "bar"],
  [0, "AUTH", "onlypassword"],
  [0, "AUTH", "a", "b", "c"],
  [0, "HELLO", "3", "AUTH", "default", "wrong"],
  [0, "HELLO", "2", "SETNAME", "n", "AUTH", "u", "p"],
  [0, "HELLO", "2", "AUTH", "u"],
  [0, "HELLO", "9", "AUTH", "u", "p"],
  [0, "HELLO", "2"],
]);

diffMonitor("a blocked command shows once, when it blocks", [
  { send: [1, "BLPOP", "bl", "0"] },
  [0, "LPUSH", "bl", "x"],
  { read: 1 },
  [0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
  { send: [1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"] },
  [0, "XGROUP", "DESTROY", "s", "g"],
  { read: 1 },
  [1, "BLPOP", "none", "0.01"],
]);

/** Reads replies until none arrives for a moment; timestamps normalized. */
async function drain(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    try {
      out.push((await c.read(150)).raw.replace(/^\+\d+\.\d+ \[(\d+) [^\]]+\]/, "+T [$1 X]"));
    } catch {
      return out;
    }
  }
}

Deno.test({
  name: "diff: monitor: the monitoring client's own rules, and RESET",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    const run = async (port: number) => {
      const m = await RawClient.connect(port);
      const a = await RawClient.connect(port);
      const out: string[][] = [];
      try {
        // A second MONITOR gets no reply; PING's reply comes before its line.
        await m.write("MONITOR\r\nMONITOR\r\nPING\r\n");
        out.push(await drain(m));
        // Keyspace access is refused (Redis treats monitors as replicas).
        await m.write(encodeCommand(["GET", "x"]));
        await m.write(encodeCommand(["SET", "x", "1"]));
        out.push(await drain(m));
        await a.call("SET", "k", "v");
        out.push(await drain(m));
        // RESET ends it.
        await m.write(encodeCommand(["RESET"]));
        out.push(await drain(m));
        await a.call("SET", "k", "v2");
        await m.write(encodeCommand(["GET", "k"]));
        out.push(await drain(m));
        // Not inside MULTI/EXEC.
        await a.call("MULTI");
        await a.call("MONITOR");
        out.push([JSON.stringify(await a.call("EXEC"))]);
        // Not from a script.
        out.push([JSON.stringify(await a.call("EVAL", "return redis.call('monitor')", "0"))]);
        return out;
      } finally {
        m.close();
        a.close();
      }
    };
    const { respite, redis } = await sharedServers();
    assertEquals(await run(respite.port), await run(redis!.port));
  },
});

Deno.test({
  name: "monitor: a monitor's CLIENT INFO flags are O; a closed monitor is forgotten",
  ...opts,
  async fn() {
    const s = await startRespite();
    const m = await RawClient.connect(s.port);
    const a = await RawClient.connect(s.port);
    try {
      assertEquals(await m.call("MONITOR"), "OK");
      await m.write(encodeCommand(["CLIENT", "INFO"]));
      const info = String((await m.read()).value);
      assertMatch(info, / flags=O /);
      await m.read(); // CLIENT INFO's own line
      await a.call("SET", "k", "v");
      assertMatch(String((await m.read()).value), / "SET" "k" "v"$/);
      m.close();
      await sleep(50);
      // The last monitor gone, commands run as before, and a new monitor
      // sees each of them once.
      assertEquals(await a.call("SET", "k", "w"), "OK");
      const m2 = await RawClient.connect(s.port);
      assertEquals(await m2.call("MONITOR"), "OK");
      await a.call("GET", "k");
      assertMatch(String((await m2.read()).value), / "GET" "k"$/);
      await a.call("PING");
      assertMatch(String((await m2.read()).value), / "PING"$/);
      m2.close();
    } finally {
      m.close();
      a.close();
      await s.close();
    }
  },
});

Deno.test("monitor: monitorLine formats as replicationFeedMonitors", () => {
  assertEquals(
    monitorLine(1700000000000042, 3, "lua", ["set", "k", "\x00\xff"]),
    '1700000000.000042 [3 lua] "set" "k" "\\x00\\xff"',
  );
});

Deno.test({
  name: "monitor: redis-cli monitor streams Respite's commands",
  ignore: !hasRedisCli,
  ...opts,
  async fn() {
    const s = await startRespite();
    const child = new Deno.Command("redis-cli", {
      args: ["-p", String(s.port), "monitor"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const a = await RawClient.connect(s.port);
    try {
      // Wait until the monitor is attached.
      for (
        let i = 0;
        i < 100 && !(String(await a.call("CLIENT", "LIST"))).includes("flags=O");
        i++
      ) {
        await sleep(20);
      }
      await a.call("SET", "greeting", "hello world");
      await a.call("EVAL", "return redis.call('get', KEYS[1])", "1", "greeting");
      await a.call("AUTH", "secret");
      await sleep(200);
    } finally {
      a.close();
      child.kill("SIGTERM");
    }
    const text = new TextDecoder().decode((await child.output()).stdout);
    await s.close();
    const lines = text.trim().split("\n");
    assertEquals(lines[0], "OK");
    const rest = lines.slice(1).map((l) => l.replace(/^\d+\.\d+ \[0 [^\]]+\] /, ""));
    assertOk(rest.includes('"SET" "greeting" "hello world"'), text);
    assertOk(rest.includes('"EVAL" "return redis.call(\'get\', KEYS[1])" "1" "greeting"'), text);
    assertOk(rest.includes('"get" "greeting"'), text);
    assertOk(rest.includes('"AUTH" "(redacted)"'), text);
    assertOk(lines.some((l) => /^\d+\.\d{6} \[0 lua\] "get" "greeting"$/.test(l)), text);
  },
});
