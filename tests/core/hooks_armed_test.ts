/**
 * Armed hooks (`Plugin.hooksArmed`): a hook whose predicate is false is
 * left out of the lists the core calls, and `rearm()` asks again. The
 * built-in plugins disarm what an idle server does not need (WATCH,
 * MULTI, tracking, notifications, maxmemory, the AOF, replication) and arm
 * it the moment a client or a setting needs it.
 */

import { definePlugin, type Server } from "../../mod.ts";
import { assertEquals } from "../_assert.ts";
import { RawClient, startRespite, until } from "../_helpers.ts";

Deno.test("hooks: a disarmed hook is not called, and rearm() arms it", async () => {
  let on = false;
  const seen: string[] = [];
  const audit = definePlugin({
    name: "audit",
    hooks: { keyChanged: (_db, key) => void seen.push(key) },
    hooksArmed: { keyChanged: () => on },
  });
  const s = await startRespite({ plugins: [audit] });
  const c = await RawClient.connect(s.port);
  try {
    await c.call("SET", "a", "1");
    assertEquals(seen, []);
    on = true;
    s.server.rearm();
    await c.call("SET", "b", "1");
    assertEquals(seen, ["b"]);
    on = false;
    s.server.rearm();
    await c.call("SET", "c", "1");
    assertEquals(seen, ["b"]);
  } finally {
    c.close();
    await s.close();
  }
});

/** How many hooks of each hot kind the core calls now. */
function hot(server: Server): Record<string, number> {
  const h = server.hooks;
  return {
    keyChanged: h.keyChanged.length,
    propagate: h.propagate.length,
    beforeWrite: h.beforeWrite.length,
    beforeCommand: h.beforeCommand.length,
    beforeFlush: h.beforeFlush.length,
    admission: server.admission.length,
  };
}

const IDLE = {
  keyChanged: 0,
  propagate: 0,
  beforeWrite: 0,
  beforeCommand: 0,
  beforeFlush: 0,
  admission: 0,
};

Deno.test("hooks: an idle server calls no per-command hook; WATCH and MULTI arm theirs", async () => {
  const s = await startRespite();
  const a = await RawClient.connect(s.port);
  const b = await RawClient.connect(s.port);
  try {
    assertEquals(hot(s.server), IDLE);
    // WATCH arms keyChanged at once: the other client's write is seen.
    assertEquals(await a.call("WATCH", "k"), "OK");
    assertEquals(hot(s.server).keyChanged, 1);
    await b.call("SET", "k", "2");
    assertEquals(await a.call("MULTI"), "OK");
    assertEquals(hot(s.server).beforeCommand, 1);
    assertEquals(hot(s.server).admission, 1);
    assertEquals(await a.call("SET", "k", "3"), "QUEUED");
    assertEquals(await a.call("EXEC"), null);
    assertEquals(await b.call("GET", "k"), "2");
    // Disarmed by the cron once nobody watches or queues.
    await until(
      "the transaction hooks disarmed",
      () => Promise.resolve(hot(s.server).beforeCommand === 0 && hot(s.server).keyChanged === 0),
    );
    assertEquals(hot(s.server), IDLE);
    // A transaction right after works as before.
    assertEquals(await a.call("MULTI"), "OK");
    assertEquals(await a.call("INCR", "n"), "QUEUED");
    assertEquals(await a.call("EXEC"), [1]);
  } finally {
    a.close();
    b.close();
    await s.close();
  }
});

Deno.test("hooks: settings and clients that need key changes arm keyChanged", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    assertEquals(await c.call("CONFIG", "SET", "notify-keyspace-events", "KA"), "OK");
    assertEquals(hot(s.server).keyChanged, 1);
    assertEquals(await c.call("CONFIG", "SET", "notify-keyspace-events", ""), "OK");
    assertEquals(hot(s.server).keyChanged, 0);
    assertEquals(await c.call("CONFIG", "SET", "maxmemory", "100mb"), "OK");
    assertEquals(hot(s.server).keyChanged, 1);
    assertEquals(await c.call("CONFIG", "SET", "maxmemory", "0"), "OK");
    assertEquals(await c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), "OK");
    assertEquals(hot(s.server).keyChanged, 1);
    assertEquals(await c.call("CONFIG", "SET", "maxmemory-policy", "noeviction"), "OK");
    assertEquals(hot(s.server).keyChanged, 0);
    assertEquals(await c.call("CLIENT", "TRACKING", "ON"), "OK");
    assertEquals(hot(s.server).keyChanged, 1);
    assertEquals(await c.call("CLIENT", "TRACKING", "OFF"), "OK");
    await until(
      "the tracking hook disarmed",
      () => Promise.resolve(hot(s.server).keyChanged === 0),
    );
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("hooks: the AOF arms propagate and beforeFlush while it is on", async () => {
  const s = await startRespite({ config: { save: "" } });
  const c = await RawClient.connect(s.port);
  try {
    assertEquals(await c.call("CONFIG", "SET", "appendonly", "yes"), "OK");
    assertEquals(hot(s.server).propagate, 1);
    assertEquals(hot(s.server).beforeFlush, 1);
    await c.call("SET", "k", "v");
    assertEquals(await c.call("CONFIG", "SET", "appendonly", "no"), "OK");
    assertEquals(hot(s.server), IDLE);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("hooks: turning the AOF off mid-rewrite disarms the rewrite's beforeWrite at once", async () => {
  // Slow per key, so the rewrite's snapshot is surely still running.
  const s = await startRespite({ config: { save: "", "rdb-key-save-delay": "100000" } });
  const c = await RawClient.connect(s.port);
  try {
    for (let i = 0; i < 5; i++) await c.call("SET", `k${i}`, "v");
    assertEquals(await c.call("CONFIG", "SET", "appendonly", "yes"), "OK");
    assertEquals(hot(s.server).beforeWrite, 1);
    assertEquals(await c.call("CONFIG", "SET", "appendonly", "no"), "OK");
    assertEquals(hot(s.server), IDLE);
  } finally {
    c.close();
    await s.close();
  }
});
