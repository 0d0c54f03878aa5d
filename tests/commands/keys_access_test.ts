/**
 * Access tracking: OBJECT IDLETIME whatever the policy, OBJECT FREQ under
 * an LFU policy, which commands count as an access (Redis's
 * LOOKUP_NOTOUCH), RESTORE's IDLETIME and FREQ, on a manual clock and
 * against redis-server where the answers are deterministic.
 *
 * @module
 */

import { ManualClock } from "../../mod.ts";
import {
  diffSession,
  diffTest,
  hasRedis,
  RawClient,
  type Reply,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

const T0 = 1_700_000_000_000;
/** DUMP of the string "v" (Redis 7's payload). */
const DUMP_V = "\x00\x01v\n\x00\x91\b\xce\xb2\x198\x8a\xce";

async function setup(config: Record<string, string> = {}) {
  const clock = new ManualClock(T0);
  const s = await startRespite({ clock, config: { "enable-debug-command": "yes", ...config } });
  const c = await RawClient.connect(s.port);
  return {
    clock,
    c,
    idle: (key: string) => c.call("OBJECT", "IDLETIME", key),
    async done() {
      c.close();
      await s.close();
    },
  };
}

Deno.test("access: IDLETIME is tracked under noeviction; reads and writes touch, TYPE/TTL/EXISTS/OBJECT/SCAN do not", async () => {
  const t = await setup();
  const { c, clock, idle } = t;
  try {
    for (const k of ["read", "touched", "peeked", "written", "list", "appended"]) {
      await c.call("SET", k, "1");
    }
    await c.call("RPUSH", "list2", "a");
    await c.call("EXPIRE", "peeked", "1000");
    clock.advance(10_000);
    assertEquals(await idle("read"), 10);
    await c.call("GET", "read");
    assertEquals(await c.call("TOUCH", "touched", "missing"), 1);
    await c.call("TYPE", "peeked");
    await c.call("TTL", "peeked");
    await c.call("PTTL", "peeked");
    await c.call("EXPIRETIME", "peeked");
    await c.call("EXISTS", "peeked");
    await c.call("OBJECT", "ENCODING", "peeked");
    await c.call("OBJECT", "REFCOUNT", "peeked");
    await c.call("SCAN", "0", "TYPE", "string", "COUNT", "100");
    await c.call("SET", "written", "2");
    await c.call("RPUSH", "list2", "b");
    await c.call("APPEND", "appended", "x");
    assertEquals(await idle("read"), 0);
    assertEquals(await idle("touched"), 0);
    assertEquals(await idle("peeked"), 10);
    assertEquals(await idle("written"), 0);
    assertEquals(await idle("list2"), 0);
    assertEquals(await idle("appended"), 0);
    assertEquals(await idle("list"), 10);
    // DEBUG OBJECT reports the same idle time, and is no access either.
    const dbg = String(await c.call("DEBUG", "OBJECT", "peeked"));
    assertOk(dbg.includes("lru_seconds_idle:10"), dbg);
    assertEquals(await idle("peeked"), 10);
    // RENAME and MOVE look the key up (an access) and keep the object.
    clock.advance(5_000);
    await c.call("RENAME", "list", "list3");
    assertEquals(await idle("list3"), 0);
    assertEquals(await idle("missing"), null);
  } finally {
    await t.done();
  }
});

Deno.test("access: RESTORE IDLETIME and FREQ set the key's access data by policy", async () => {
  const t = await setup();
  const { c, clock, idle } = t;
  try {
    assertEquals(await c.call("RESTORE", "a", "0", DUMP_V, "IDLETIME", "100"), "OK");
    assertEquals(await idle("a"), 100);
    clock.advance(2_000);
    assertEquals(await idle("a"), 102);
    // FREQ without an LFU policy is ignored, and OBJECT FREQ refuses.
    assertEquals(await c.call("RESTORE", "b", "0", DUMP_V, "FREQ", "100"), "OK");
    const err = await c.call("OBJECT", "FREQ", "b") as { error: string };
    assertOk(err.error.startsWith("ERR An LFU maxmemory policy is not selected"), err.error);
    await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
    assertEquals(await c.call("RESTORE", "c", "0", DUMP_V, "FREQ", "100"), "OK");
    assertEquals(await c.call("OBJECT", "FREQ", "c"), 100);
    // The counter decays by one per idle minute (lfu-decay-time 1).
    clock.advance(3 * 60_000);
    assertEquals(await c.call("OBJECT", "FREQ", "c"), 97);
    // A new key starts at 5; its first access always counts.
    await c.call("SET", "d", "1");
    assertEquals(await c.call("OBJECT", "FREQ", "d"), 5);
    await c.call("GET", "d");
    assertEquals(await c.call("OBJECT", "FREQ", "d"), 6);
    await c.call("SET", "d", "2");
    const f = await c.call("OBJECT", "FREQ", "d") as number;
    assertOk(f === 6 || f === 7, `FREQ after SET: ${f}`);
  } finally {
    await t.done();
  }
});

/** Idle times from a server on the real clock (one-second resolution). */
async function idleTimes(port: number): Promise<Reply[]> {
  const c = await RawClient.connect(port);
  try {
    await c.call("FLUSHALL");
    await c.call("SET", "a", "x");
    await c.call("SET", "b", "x");
    await c.call("RESTORE", "r", "0", DUMP_V, "IDLETIME", "1000");
    await new Promise((r) => setTimeout(r, 2100));
    await c.call("GET", "a");
    await c.call("TYPE", "b");
    await c.call("EXISTS", "b");
    return [
      await c.call("OBJECT", "IDLETIME", "a"),
      await c.call("OBJECT", "IDLETIME", "b"),
      await c.call("OBJECT", "IDLETIME", "r"),
    ];
  } finally {
    c.close();
  }
}

Deno.test({
  name: "access: idle times on the real clock, as redis-server's (when installed)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const real = hasRedis ? await startRealRedis() : undefined;
    try {
      for (const port of [s.port, ...(real ? [real.port] : [])]) {
        const [a, b, r] = await idleTimes(port) as number[];
        assertEquals(a, 0);
        assertOk(b === 2 || b === 3, `b: ${b} on ${port}`);
        assertOk(r! >= 1002 && r! <= 1003, `r: ${r} on ${port}`);
      }
    } finally {
      await s.close();
      await real?.stop();
    }
  },
});

diffTest("access: OBJECT FREQ and IDLETIME by policy", [
  ["SET", "k", "v"],
  ["OBJECT", "FREQ", "k"],
  ["OBJECT", "IDLETIME", "k"],
  ["OBJECT", "FREQ", "missing"],
  ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
  ["SET", "n", "v"],
  ["OBJECT", "FREQ", "n"],
  ["GET", "n"],
  ["OBJECT", "FREQ", "n"],
  ["OBJECT", "IDLETIME", "n"],
  ["RESTORE", "r", "0", DUMP_V, "FREQ", "200"],
  ["OBJECT", "FREQ", "r"],
  ["CONFIG", "SET", "maxmemory-policy", "volatile-lru"],
  ["RESTORE", "r2", "0", DUMP_V, "IDLETIME", "0"],
  ["OBJECT", "IDLETIME", "r2"],
  ["OBJECT", "FREQ", "r2"],
  ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
]);

// Values are not small integers: Redis shares those objects (0-9999) between
// keys, and with them their access time.
diffSession("access: TOUCH, GET and writes reset the idle time; TYPE, EXISTS and TTL do not", [
  [0, "SET", "a", "x"],
  [0, "SET", "b", "x"],
  [0, "SET", "c", "x"],
  [0, "SET", "d", "x"],
  { act: () => new Promise((r) => setTimeout(r, 1100)) },
  [0, "TOUCH", "a"],
  [1, "GET", "b"],
  [0, "OBJECT", "IDLETIME", "a"],
  [0, "OBJECT", "IDLETIME", "b"],
  [0, "TYPE", "c"],
  [0, "EXISTS", "c"],
  [0, "TTL", "c"],
  [0, "OBJECT", "ENCODING", "c"],
  [0, "SET", "c", "y"],
  [0, "OBJECT", "IDLETIME", "c"],
  [0, "APPEND", "d", "y"],
  [0, "OBJECT", "IDLETIME", "d"],
]);
