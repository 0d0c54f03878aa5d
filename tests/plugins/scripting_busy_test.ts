/**
 * Scripts past `busy-reply-threshold`: the BUSY state, SCRIPT KILL,
 * FUNCTION KILL and UNKILLABLE, SHUTDOWN while busy, FUNCTION LOAD's
 * timeout, EXEC around a long script, and what the rest of the server does
 * meanwhile (nothing: no expiry, no blocked client served, nothing
 * propagated in the middle), against redis-server 7.0 where the behaviour
 * is Redis's.
 */

import { assertEquals, assertOk } from "../_assert.ts";
import {
  diffSession,
  encodeCommand,
  hasRedis,
  RawClient,
  type Reply,
  type SessionStep,
  sharedServers,
  sleep,
  startRealRedis,
  startRespite,
  startRespiteProc,
} from "../_helpers.ts";
import type { Plugin } from "../../mod.ts";
import { sha1hex } from "../../core/sha1.ts";

/** An endless loop, in a script's own code. */
const ENDLESS = "local i = 0 while true do i = i + 1 end";
/** Lua that spins for `s` seconds by the server's clock. */
const spin = (s: number) =>
  "local function now() local t = redis.call('time') return t[1] + t[2] / 1000000 end " +
  `local t0 = now() while now() - t0 < ${s} do end`;

const THRESHOLD = [1, "CONFIG", "SET", "busy-reply-threshold", "100"] as const;
const RESET = { cleanup: [["CONFIG", "SET", "busy-reply-threshold", "5000"]] };
/** Long enough for both servers to be past the threshold. */
const pastThreshold: SessionStep = { act: () => sleep(300) };

diffSession("EVAL past the threshold: BUSY for the others, SCRIPT KILL ends it", [
  THRESHOLD,
  [1, "CONFIG", "RESETSTAT"],
  [1, "SCRIPT", "KILL"],
  [1, "FUNCTION", "KILL"],
  { send: [0, "EVAL", ENDLESS, "0"] },
  // The script's own client: its next command waits for the script.
  { send: [0, "PING"] },
  pastThreshold,
  [1, "PING"],
  [1, "GET", "x"],
  [1, "SET", "x", "1"],
  [1, "EVAL", "return 1", "0"],
  [1, "INFO", "server"],
  [1, "CLIENT", "LIST"],
  [1, "SCRIPT", "LOAD", "return 1"],
  [1, "SCRIPT", "FLUSH"],
  [1, "DEBUG", "SLEEP", "0"],
  [1, "PUBLISH", "ch", "m"],
  [1, "FUNCTION", "STATS"],
  [1, "FUNCTION", "KILL"],
  [1, "SHUTDOWN"],
  [1, "SHUTDOWN", "SAVE"],
  [1, "SHUTDOWN", "NOW"],
  [1, "SHUTDOWN", "FORCE"],
  [1, "SHUTDOWN", "ABORT"],
  [1, "SHUTDOWN", "NOSAVE", "SAVE"],
  [1, "SHUTDOWN", "BOGUS"],
  // allow_busy: transactions (MULTI queues nothing while busy), AUTH, RESET.
  [1, "WATCH", "x"],
  [1, "UNWATCH"],
  [1, "MULTI"],
  [1, "SET", "a", "b"],
  [1, "EXEC"],
  [1, "MULTI"],
  [1, "DISCARD"],
  [1, "AUTH", "nopass"],
  [1, "RESET"],
  [1, "SCRIPT", "KILL"],
  { read: 0 },
  [1, "PING"],
  [0, "PING"],
  [1, "SCRIPT", "KILL"],
  [1, "EXISTS", "x", "a"],
  [1, "INFO", "errorstats"],
], RESET);

diffSession("lua-time-limit is the same threshold", [
  [1, "CONFIG", "SET", "lua-time-limit", "100"],
  { send: [0, "EVAL", ENDLESS, "0"] },
  pastThreshold,
  [1, "PING"],
  [1, "SCRIPT", "KILL"],
  { read: 0 },
], RESET);

diffSession("a script that wrote is UNKILLABLE, and runs to its end", [
  THRESHOLD,
  {
    send: [
      0,
      "EVAL",
      `redis.call('set', 'w', '1') ${spin(0.7)} return redis.call('get', 'w')`,
      "0",
    ],
  },
  pastThreshold,
  [1, "SCRIPT", "KILL"],
  [1, "FUNCTION", "KILL"],
  [1, "GET", "w"],
  { act: () => sleep(700) },
  { read: 0 },
  [1, "GET", "w"],
], RESET);

diffSession("a killed script's error caught by pcall: the rest of its line runs", [
  THRESHOLD,
  {
    send: [
      0,
      "EVAL",
      "local ok, e = pcall(function() while true do end end) " +
      "redis.call('set', 'caught', tostring(e)) return 1",
      "0",
    ],
  },
  pastThreshold,
  [1, "SCRIPT", "KILL"],
  { read: 0 },
  [1, "GET", "caught"],
], RESET);

diffSession("a killed script's error caught by pcall: raised again on its next line", [
  THRESHOLD,
  {
    send: [
      0,
      "EVAL",
      "local ok, e = pcall(function() while true do end end)\n" +
      "redis.call('set', 'caught', tostring(e))\nreturn 1",
      "0",
    ],
  },
  pastThreshold,
  [1, "SCRIPT", "KILL"],
  { read: 0 },
  [1, "EXISTS", "caught"],
], RESET);

diffSession("a script pauses inside xpcall and pcall, and is killed there", [
  THRESHOLD,
  {
    send: [
      0,
      "EVAL",
      "return {xpcall(function() return pcall(function() while true do end end) end, " +
      "function(e) return 'handled: ' .. tostring(e.err or e) end)}",
      "0",
    ],
  },
  pastThreshold,
  [1, "PING"],
  [1, "SCRIPT", "KILL"],
  { read: 0 },
], RESET);

diffSession("EXEC waits for a long script of its queue, the rest runs after it", [
  THRESHOLD,
  { send: [0, "MULTI"] },
  { send: [0, "SET", "m1", "x"] },
  { send: [0, "EVAL", ENDLESS, "0"] },
  { send: [0, "SET", "m2", "y"] },
  { send: [0, "EXEC"] },
  pastThreshold,
  [1, "GET", "m1"],
  [1, "SCRIPT", "KILL"],
  { read: 0 },
  [1, "MGET", "m1", "m2"],
], RESET);

diffSession("functions: FUNCTION KILL, SCRIPT KILL answers with the functions' BUSY", [
  THRESHOLD,
  [
    1,
    "FUNCTION",
    "LOAD",
    "#!lua name=busylib\n" +
    `redis.register_function('spin', function(keys, args) ${ENDLESS} end)\n` +
    "redis.register_function{function_name='spinro', flags={'no-writes'}, " +
    `callback=function(keys, args) ${ENDLESS} end}\n` +
    "redis.register_function('spinw', function(keys, args) " +
    `redis.call('set', 'fw', '1') ${spin(0.7)} return 'done' end)`,
  ],
  { send: [0, "FCALL", "spin", "1", "k", "arg"] },
  pastThreshold,
  [1, "PING"],
  [1, "SCRIPT", "KILL"],
  [1, "FUNCTION", "KILL"],
  { read: 0 },
  { send: [0, "FCALL_RO", "spinro", "0"] },
  pastThreshold,
  [1, "FUNCTION", "KILL"],
  { read: 0 },
  { send: [0, "FCALL", "spinw", "0"] },
  pastThreshold,
  [1, "FUNCTION", "KILL"],
  [1, "SCRIPT", "KILL"],
  { act: () => sleep(700) },
  { read: 0 },
  [1, "FUNCTION", "STATS"],
  [1, "FUNCTION", "DELETE", "busylib"],
], { cleanup: [...RESET.cleanup, ["FUNCTION", "FLUSH"]] });

diffSession("FUNCTION LOAD stops a library's code after 500 ms", [
  [0, "FUNCTION", "LOAD", "#!lua name=lib\nlocal a = 1 while 1 do a = a + 1 end"],
  [
    0,
    "FUNCTION",
    "LOAD",
    "#!lua name=lib\npcall(function() while true do end end)\n" +
    "redis.register_function('f', function() return 1 end)",
  ],
  // The rest of the line after the caught error still runs.
  [
    0,
    "FUNCTION",
    "LOAD",
    "#!lua name=lib\npcall(function() while true do end end) " +
    "redis.register_function('f', function() return 1 end)",
  ],
  [0, "FUNCTION", "LIST"],
  [0, "FUNCTION", "FLUSH"],
  [0, "PING"],
]);

diffSession("busy-reply-threshold 0: a long script never pauses", [
  [1, "CONFIG", "SET", "busy-reply-threshold", "0"],
  { send: [0, "EVAL", `${spin(0.4)} return 'done'`, "0"] },
  { act: () => sleep(100) },
  [1, "PING"],
  { read: 0 },
], RESET);

diffSession("a client blocked on a key the script pushed to waits for the script's end", [
  THRESHOLD,
  { send: [2, "BLPOP", "list", "0"] },
  { act: () => sleep(50) },
  {
    send: [
      0,
      "EVAL",
      `redis.call('lpush', KEYS[1], 'a') ${spin(0.6)} return redis.call('llen', KEYS[1])`,
      "1",
      "list",
    ],
  },
  pastThreshold,
  [1, "LLEN", "list"],
  { act: () => sleep(500) },
  { read: 0 },
  { read: 2 },
  [1, "LLEN", "list"],
], { clients: 3, ...RESET });

diffSession("keys do not expire while a script holds the server", [
  THRESHOLD,
  [1, "SET", "k", "v", "PX", "50"],
  { send: [0, "EVAL", `${spin(0.6)} return redis.call('dbsize')`, "0"] },
  pastThreshold,
  [1, "DBSIZE"],
  { act: () => sleep(500) },
  { read: 0 },
  [1, "EXISTS", "k"],
], RESET);

/**
 * PING right after SCRIPT KILL's reply. Respite ends the killed script
 * before it reads another command: PONG at once. Redis sends the reply
 * from inside its script's hook and may take the PING in the same round
 * of events, before the script stops: BUSY for a moment, then PONG.
 */
const pingAfterKill: SessionStep = {
  act: async (server, port) => {
    const c = await RawClient.connect(port);
    try {
      const deadline = Date.now() + 2000;
      let reply = await c.call("PING");
      while (server === "redis" && reply !== "PONG" && Date.now() < deadline) {
        await sleep(10);
        reply = await c.call("PING");
      }
      assertEquals(reply, "PONG", `${server}: PING after SCRIPT KILL`);
    } finally {
      c.close();
    }
  },
};

diffSession("right after SCRIPT KILL the server answers again", [
  THRESHOLD,
  { send: [0, "EVAL", ENDLESS, "0"] },
  pastThreshold,
  [1, "SCRIPT", "KILL"],
  pingAfterKill,
  { read: 0 },
  [1, "PING"],
], RESET);

diffBusy("nothing is evicted while a script holds the server", async (port) => {
  const [a, b] = [await RawClient.connect(port), await RawClient.connect(port)];
  try {
    await b.call("FLUSHALL");
    await b.call("DEBUG", "POPULATE", "3000", "ev", "1000");
    const used = /used_memory:(\d+)/.exec(String(await b.call("INFO", "memory")))![1]!;
    // A low tenacity: each eviction run stops after a few keys and goes on
    // from a timer, which must not run in the script's middle.
    await b.call("CONFIG", "SET", "maxmemory-eviction-tenacity", "0");
    await b.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
    await b.call("CONFIG", "SET", "maxmemory", String(Number(used) - 1500000));
    const reply = await a.call(
      "EVAL",
      `local before = redis.call('dbsize') ${spin(0.5)} return before - redis.call('dbsize')`,
      "0",
    );
    await b.call("CONFIG", "SET", "maxmemory", "0");
    await b.call("CONFIG", "SET", "maxmemory-eviction-tenacity", "10");
    await b.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
    await b.call("FLUSHALL");
    return [reply];
  } finally {
    a.close();
    b.close();
  }
});

diffBusy("idle clients are not timed out while a script holds the server", async (port) => {
  const a = await RawClient.connect(port);
  const b = await RawClient.connect(port);
  const idle = await RawClient.connect(port);
  try {
    await b.call("CONFIG", "SET", "timeout", "1");
    await idle.call("PING");
    await a.write(encodeCommand(["EVAL", `${spin(1.6)} return 1`, "0"]));
    await sleep(1400);
    // Idle for 1.4 s, past `timeout`: still connected (BUSY, not closed).
    const busy = await idle.call("PING");
    // (Whether the script's own client outlives the script's end is a race
    // in Redis, decided by the second its timeout is counted in.)
    await sleep(400);
    return [busy];
  } finally {
    for (const c of [a, b, idle]) c.close();
  }
});

/**
 * A differential check that needs more than a session: `run` against both
 * shared servers (threshold 100 ms), its results compared.
 */
function diffBusy(name: string, run: (port: number) => Promise<unknown[]>): void {
  Deno.test({
    name: `diff: ${name}`,
    ignore: !hasRedis,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const { respite, redis } = await sharedServers();
      const results: unknown[][] = [];
      const config = async (port: number, ...pairs: string[]) => {
        const c = await RawClient.connect(port);
        await c.call("CONFIG", "SET", ...pairs);
        c.close();
      };
      for (const port of [respite.port, redis!.port]) {
        await config(port, "busy-reply-threshold", "100");
        try {
          results.push(await run(port));
        } finally {
          await config(port, "busy-reply-threshold", "5000", "timeout", "0");
        }
      }
      assertEquals(results[0], results[1]);
    },
  });
}

diffBusy("FUNCTION STATS shows the running function, and its command", async (port) => {
  const [a, b] = [await RawClient.connect(port), await RawClient.connect(port)];
  try {
    await b.call(
      "FUNCTION",
      "LOAD",
      "REPLACE",
      `#!lua name=statslib\nredis.register_function('spin', function() ${ENDLESS} end)`,
    );
    await a.write(encodeCommand(["FCALL", "spin", "1", "key", "arg"]));
    await sleep(300);
    const stats = await b.call("FUNCTION", "STATS");
    // duration_ms: past the threshold, and growing.
    const running = (stats as Reply[])[1] as Reply[];
    const ms = running[5] as number;
    running[5] = "ms";
    await b.call("FUNCTION", "KILL");
    const killed = (await a.read()).value;
    await b.call("FUNCTION", "FLUSH");
    return [stats, ms >= 100 && ms < 5000, killed];
  } finally {
    a.close();
    b.close();
  }
});

diffBusy("a client that left during its script: the script's writes land", async (port) => {
  const [a, b] = [await RawClient.connect(port), await RawClient.connect(port)];
  try {
    await b.call("DEL", "left1", "left2");
    await a.write(
      encodeCommand([
        "EVAL",
        `redis.call('set', 'left1', 'x') ${spin(0.5)} redis.call('set', 'left2', 'y')`,
        "0",
      ]),
    );
    await sleep(250);
    a.close();
    const busy = await b.call("PING");
    await sleep(500);
    return [busy, await b.call("MGET", "left1", "left2")];
  } finally {
    a.close();
    b.close();
  }
});

Deno.test({
  name: "diff: SHUTDOWN NOSAVE ends a server busy with a script, without saving",
  ignore: !hasRedis,
  async fn() {
    const outcomes: unknown[] = [];
    for (const kind of ["respite", "redis"] as const) {
      const args = ["--busy-reply-threshold", "100", "--save", "3600 1"];
      const proc = kind === "respite" ? await startRespiteProc(args) : await startRealRedis(args);
      try {
        const [a, b] = [await RawClient.connect(proc.port), await RawClient.connect(proc.port)];
        await b.call("SET", "k", "v");
        await a.write(encodeCommand(["EVAL", ENDLESS, "0"]));
        await sleep(300);
        const refused = await b.call("SHUTDOWN");
        await b.write(encodeCommand(["SHUTDOWN", "NOSAVE"]));
        const closed = [await b.closedWithin(5000), await a.closedWithin(5000)];
        const code = await proc.exited(5000);
        let saved = true;
        try {
          Deno.statSync(`${proc.dir}/dump.rdb`);
        } catch {
          saved = false;
        }
        outcomes.push([refused, closed, code, saved]);
        a.close();
        b.close();
      } finally {
        await proc.stop();
      }
    }
    assertEquals(outcomes[0], outcomes[1]);
  },
});

Deno.test({
  name: "diff: SIGTERM while busy: the shutdown and its save wait for the script's end",
  ignore: !hasRedis,
  async fn() {
    const outcomes: unknown[] = [];
    for (const kind of ["respite", "redis"] as const) {
      const args = ["--busy-reply-threshold", "100", "--save", "3600 1"];
      const proc = kind === "respite" ? await startRespiteProc(args) : await startRealRedis(args);
      try {
        const [a, b] = [await RawClient.connect(proc.port), await RawClient.connect(proc.port)];
        await b.call("SET", "k", "v");
        await a.write(encodeCommand(["EVAL", ENDLESS, "0"]));
        await sleep(300);
        proc.signal("SIGTERM");
        await sleep(300);
        const busy = await b.call("PING");
        const up = (await proc.exited(100)) === undefined;
        const kill = await b.call("SCRIPT", "KILL");
        const code = await proc.exited(10000);
        let saved = true;
        try {
          Deno.statSync(`${proc.dir}/dump.rdb`);
        } catch {
          saved = false;
        }
        outcomes.push([busy, up, kill, code, saved]);
        a.close();
        b.close();
      } finally {
        await proc.stop();
      }
    }
    assertEquals(outcomes[0], outcomes[1]);
  },
});

/**
 * Endless loops where a script runs Lua called back by a library function,
 * the libraries' own code (Lua here, C in Redis) or a coroutine of its
 * own: it pauses there as in its own code.
 */
const CALLBACK_LOOPS: Readonly<Record<string, string>> = {
  "a sort comparator": `table.sort({3, 1, 2}, function(a, b) ${ENDLESS} end)`,
  "a gsub function": `string.gsub('abc', '%w', function(c) ${ENDLESS} end)`,
  "a gsub table's __index":
    `string.gsub('abc', '%w', setmetatable({}, {__index = function() ${ENDLESS} end}))`,
  "__tostring": `tostring(setmetatable({}, {__tostring = function() ${ENDLESS} end}))`,
  "the __lt of a sort without comparator": `local mt = {__lt = function(a, b) ${ENDLESS} end} ` +
    "table.sort({setmetatable({}, mt), setmetatable({}, mt)})",
  "a coroutine.wrap function": `coroutine.wrap(function() ${ENDLESS} end)()`,
  "a pcall in nested coroutines": "return coroutine.resume(coroutine.create(function() " +
    `return coroutine.wrap(function() return pcall(function() ${ENDLESS} end) end)() end))`,
  "a for iterator's coroutine": `for x in coroutine.wrap(function() ${ENDLESS} end) do end`,
  "cjson's and cmsgpack's code":
    "local s, m = cjson.encode({1, {a = 'x'}}), cmsgpack.pack({1, 2}) " +
    "while true do cjson.decode(s) cmsgpack.unpack(m) end",
  "a comparator in a coroutine": "local co = coroutine.create(function() " +
    `table.sort({3, 1, 2}, function(a, b) ${ENDLESS} end) end) return {coroutine.resume(co)}`,
};

for (const [where, body] of Object.entries(CALLBACK_LOOPS)) {
  diffSession(`an endless loop inside ${where}: BUSY for the others, SCRIPT KILL ends it`, [
    THRESHOLD,
    { send: [0, "EVAL", body, "0"] },
    pastThreshold,
    [1, "PING"],
    [1, "SCRIPT", "KILL"],
    { read: 0 },
    [1, "PING"],
  ], RESET);
}

diffSession("a script paused inside callbacks and coroutines goes on with their values", [
  THRESHOLD,
  {
    send: [
      0,
      "EVAL",
      "local function now() local t = redis.call('time') return t[1] + t[2] / 1000000 end " +
      "local function spin(s) local t0 = now() while now() - t0 < s do end end " +
      "local co = coroutine.wrap(function(a) local s = a for i = 1, 3 do spin(0.12) " +
      "s = s + coroutine.yield(s) end return s end) " +
      "local r = {co(1), co(2), co(3), co(4)} " +
      "local t, calls = {9, 4, 7, 1, 8, 2, 6, 3, 5, 10, 0}, 0 " +
      "table.sort(t, function(a, b) calls = calls + 1 spin(0.004) return a < b end) " +
      "local g, n = string.gsub('hello world', '%w', function(c) spin(0.01) return c:upper() end) " +
      "local inner = coroutine.wrap(function() local c2 = coroutine.wrap(function() " +
      "for i = 1, 3 do spin(0.06) coroutine.yield(i * 10) end end) return c2() + c2() + c2() end)() " +
      "local ts = tostring(setmetatable({}, {__tostring = function() spin(0.15) return 'ts' end})) " +
      "return {r, t, calls, g, n, inner, ts}",
      "0",
    ],
  },
  pastThreshold,
  [1, "PING"],
  { read: 0 },
  [1, "PING"],
], RESET);

Deno.test({
  name: "diff: an endless loop inside a callback or a coroutine after a write: " +
    "UNKILLABLE, BUSY, SHUTDOWN NOSAVE ends the server",
  ignore: !hasRedis,
  async fn() {
    for (const where of ["a sort comparator", "a gsub function", "a pcall in nested coroutines"]) {
      const body = `redis.call('set', 'w', '1') ${CALLBACK_LOOPS[where]}`;
      const outcomes: unknown[] = [];
      for (const kind of ["respite", "redis"] as const) {
        const args = ["--busy-reply-threshold", "100", "--save", ""];
        const proc = kind === "respite" ? await startRespiteProc(args) : await startRealRedis(args);
        try {
          const [a, b] = [await RawClient.connect(proc.port), await RawClient.connect(proc.port)];
          await a.write(encodeCommand(["EVAL", body, "0"]));
          await sleep(300);
          const busy = await b.call("GET", "w");
          const kill = await b.call("SCRIPT", "KILL");
          await sleep(200);
          const still = await b.call("PING");
          await b.write(encodeCommand(["SHUTDOWN", "NOSAVE"]));
          const closed = [await b.closedWithin(5000), await a.closedWithin(5000)];
          outcomes.push([busy, kill, still, closed, await proc.exited(5000)]);
          a.close();
          b.close();
        } finally {
          await proc.stop();
        }
      }
      assertEquals(outcomes[0], outcomes[1], where);
    }
  },
});

// Respite's own: where a script cannot pause (a call from a JS function
// without a continuation: `load`'s reader, run inside the parser), it is
// stopped as SCRIPT KILL would (nobody can send it) once stuck for another
// threshold, unless it wrote.

Deno.test("a script that cannot pause (load's reader) is stopped once stuck", async () => {
  const s = await startRespite({ config: { "busy-reply-threshold": "100" } });
  const c = await RawClient.connect(s.port);
  try {
    const t0 = performance.now();
    // load catches the error; the script's next line raises it again.
    const body = `local f = load(function() ${ENDLESS} end)\nreturn 1`;
    const r = await c.call("EVAL", body, "0");
    const ms = performance.now() - t0;
    assertEquals(
      r,
      {
        error: `ERR Script killed by user with SCRIPT KILL... script: ${
          sha1hex(body)
        }, on @user_script:2.`,
      },
      `after ${ms} ms`,
    );
    assertOk(ms >= 200 && ms < 3000, `stopped after ${ms} ms`);
    assertEquals(await c.call("PING"), "PONG");
  } finally {
    c.close();
    await s.close();
  }
});

// Scripts run in a thread of their own, which must look like Lua's main one.
diffSession("the script's thread is the main one: no yield, no running coroutine", [
  [0, "SET", "k", "v"],
  [0, "EVAL", "return coroutine.wrap(function() return redis.call('get', 'k') end)()", "0"],
  [0, "EVAL", "return coroutine.running()", "0"],
  [0, "EVAL", "coroutine.yield(1) return 2", "0"],
  [0, "EVAL", "local ok, e = pcall(coroutine.yield, 1) return {tostring(ok), e}", "0"],
  [
    0,
    "EVAL",
    "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) " +
    "local _, x = coroutine.resume(co, 1) local _, y = coroutine.resume(co, 10) " +
    "return {x, y, coroutine.status(co)}",
    "0",
  ],
  [0, "EVAL", "return redis.call('get', 'k')", "0"],
]);

/** A plugin that records what reaches the propagate hooks. */
function recorder(): { plugin: Plugin; seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    plugin: {
      name: "propagate-recorder",
      hooks: { propagate: (db, argv) => void seen.push(`${db} ${argv.join(" ")}`) },
    },
  };
}

Deno.test("propagation: a killed read-only script sends nothing, a paused one one block", async () => {
  const rec = recorder();
  const s = await startRespite({
    plugins: [rec.plugin],
    config: { "busy-reply-threshold": "100" },
  });
  const [a, b] = [await RawClient.connect(s.port), await RawClient.connect(s.port)];
  try {
    await a.write(encodeCommand(["EVAL", `local x = redis.call('get', 'k') ${ENDLESS}`, "0"]));
    await sleep(250);
    assertEquals(await b.call("SCRIPT", "KILL"), "OK");
    await a.read();
    assertEquals(rec.seen, []);
    // Writes around a pause: one MULTI ... EXEC, nothing between, though
    // others wrote (refused) and a key's TTL passed meanwhile.
    await b.call("SET", "ttl", "v", "PX", "20");
    await a.write(
      encodeCommand([
        "EVAL",
        `redis.call('set', 'a', '1') ${spin(0.4)} redis.call('set', 'b', '2')`,
        "0",
      ]),
    );
    await sleep(200);
    const refused = await b.call("SET", "c", "3");
    assertOk(typeof refused === "object" && refused !== null && "error" in refused);
    await a.read();
    // (The expired key's DEL comes after, from the cron.)
    const own = () => rec.seen.filter((l) => !l.includes(" ttl"));
    assertEquals(own(), ["0 MULTI", "0 set a 1", "0 set b 2", "0 EXEC"]);
    // EXEC around a paused script: one block too.
    rec.seen.length = 0;
    await a.write(encodeCommand(["MULTI"]));
    await a.write(encodeCommand(["SET", "x", "1"]));
    await a.write(encodeCommand(["EVAL", `redis.call('set', 'y', '2') ${spin(0.3)}`, "0"]));
    await a.write(encodeCommand(["SET", "z", "3"]));
    await a.write(encodeCommand(["EXEC"]));
    for (let i = 0; i < 5; i++) await a.read(3000);
    assertEquals(own(), ["0 MULTI", "0 SET x 1", "0 set y 2", "0 SET z 3", "0 EXEC"]);
  } finally {
    a.close();
    b.close();
    await s.close();
  }
});
