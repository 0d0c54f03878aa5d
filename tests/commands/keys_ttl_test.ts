/**
 * TTLs on a manual clock, keyspace events and propagation of the generic
 * key commands, and active expiry on the real clock.
 *
 * @module
 */

import type { Bytes, DataObject, Plugin } from "../../mod.ts";
import { ManualClock } from "../../mod.ts";
import { RawClient, sleep, startRespite } from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

const T0 = 1_000_000_000_000;

/** Records key events and propagated commands. */
function recorder() {
  const events: string[] = [];
  const props: string[][] = [];
  const plugin: Plugin = {
    name: "recorder",
    hooks: {
      keyChanged(db, key, event, cls) {
        events.push(`${db.index}:${key}:${event}:${cls}`);
      },
      propagate(_db, argv) {
        props.push([...argv]);
      },
    },
  };
  const take = () => {
    const out = { events: [...events], props: props.map((a) => a.join(" ")) };
    events.length = 0;
    props.length = 0;
    return out;
  };
  return { plugin, take };
}

class Box implements DataObject {
  readonly type = "box";
  constructor(public items: string[]) {}
  encoding(): string {
    return "boxed";
  }
  clone(): Box {
    return new Box([...this.items]);
  }
}

async function setup() {
  const clock = new ManualClock(T0);
  const rec = recorder();
  const s = await startRespite({ clock, plugins: [rec.plugin] });
  const c = await RawClient.connect(s.port);
  const db = (i: number) => s.server.keyspace.db(i);
  const put = (k: Bytes, v: string, i = 0) => db(i).set(k, v);
  return {
    clock,
    s,
    c,
    db,
    put,
    take: rec.take,
    async done() {
      c.close();
      await s.close();
    },
  };
}

Deno.test("TTL, PTTL, EXPIRETIME on a manual clock", async () => {
  const t = await setup();
  const { c, clock } = t;
  t.put("k", "v");
  assertEquals(await c.call("PEXPIRE", "k", "1000"), 1);
  assertEquals(await c.call("PTTL", "k"), 1000);
  assertEquals(await c.call("TTL", "k"), 1);
  assertEquals(await c.call("PEXPIRETIME", "k"), T0 + 1000);
  assertEquals(await c.call("EXPIRETIME", "k"), T0 / 1000 + 1);
  clock.advance(499);
  assertEquals(await c.call("PTTL", "k"), 501);
  assertEquals(await c.call("TTL", "k"), 1); // (501 + 500) / 1000
  clock.advance(2);
  assertEquals(await c.call("PTTL", "k"), 499);
  assertEquals(await c.call("TTL", "k"), 0);
  clock.advance(498);
  assertEquals(await c.call("PTTL", "k"), 1);
  t.take();
  clock.advance(1);
  // Expired exactly at its time: gone, reclaimed with an "expired" event.
  assertEquals(await c.call("PTTL", "k"), -2);
  assertEquals(t.take(), { events: ["0:k:expired:x"], props: ["DEL k"] });
  // EXPIRETIME rounds the absolute time to the nearest second.
  t.put("r", "v");
  await c.call("PEXPIREAT", "r", String(T0 + 10_499));
  assertEquals(await c.call("EXPIRETIME", "r"), T0 / 1000 + 10);
  await c.call("PEXPIREAT", "r", String(T0 + 10_500));
  assertEquals(await c.call("EXPIRETIME", "r"), T0 / 1000 + 11);
  await t.done();
});

Deno.test("EXPIRE family propagates PEXPIREAT, or DEL when in the past", async () => {
  const t = await setup();
  const { c, clock } = t;
  const now = clock.now();
  t.put("k", "v");
  assertEquals(await c.call("EXPIRE", "k", "10"), 1);
  assertEquals(t.take(), {
    events: ["0:k:expire:g"],
    props: [`PEXPIREAT k ${now + 10_000}`],
  });
  assertEquals(await c.call("PEXPIRE", "k", "20000", "GT"), 1);
  assertEquals(t.take().props, [`PEXPIREAT k ${now + 20_000} GT`]);
  assertEquals(await c.call("EXPIREAT", "k", String(now / 1000 + 30)), 1);
  assertEquals(t.take().props, [`PEXPIREAT k ${now + 30_000}`]);
  assertEquals(await c.call("pexpireat", "k", String(now + 40_000), "xx"), 1);
  assertEquals(t.take().props, [`PEXPIREAT k ${now + 40_000} xx`]);
  // Refused by a flag, or no key: nothing changes, nothing propagates.
  assertEquals(await c.call("EXPIRE", "k", "5", "NX"), 0);
  assertEquals(await c.call("EXPIRE", "nope", "5"), 0);
  assertEquals(t.take(), { events: [], props: [] });
  assertEquals(await c.call("PERSIST", "k"), 1);
  assertEquals(t.take(), { events: ["0:k:persist:g"], props: ["PERSIST k"] });
  assertEquals(await c.call("PERSIST", "k"), 0);
  assertEquals(t.take(), { events: [], props: [] });
  // A time in the past deletes: event "del", propagated as DEL.
  assertEquals(await c.call("EXPIRE", "k", "-5"), 1);
  assertEquals(t.take(), { events: ["0:k:del:g"], props: ["DEL k"] });
  assertEquals(t.db(0).size, 0);
  t.put("k", "v");
  assertEquals(await c.call("PEXPIREAT", "k", String(now)), 1);
  assertEquals(t.take().props, ["DEL k"]);
  t.s.server.config.set("lazyfree-lazy-expire", "yes");
  t.put("k", "v");
  assertEquals(await c.call("EXPIREAT", "k", "1"), 1);
  assertEquals(t.take().props, ["UNLINK k"]);
  // A replica keeps the key and sets the time: the master's DEL removes it.
  t.s.server.keyspace.isReplica = true;
  t.put("k", "v");
  assertEquals(await c.call("PEXPIREAT", "k", "1"), 1);
  assertEquals(t.db(0).getExpire("k"), 1);
  assertEquals(t.take().props, ["PEXPIREAT k 1"]);
  t.s.server.keyspace.isReplica = false;
  await t.done();
});

Deno.test("DEL, RENAME, MOVE, COPY: events and propagation", async () => {
  const t = await setup();
  const { c } = t;
  t.put("a", "1");
  t.put("b", "2");
  assertEquals(await c.call("DEL", "a", "nope", "b", "a"), 2);
  assertEquals(t.take(), { events: ["0:a:del:g", "0:b:del:g"], props: ["DEL a nope b a"] });
  assertEquals(await c.call("UNLINK", "nope"), 0);
  assertEquals(await c.call("DEL", "nope"), 0);
  assertEquals(t.take(), { events: [], props: [] });

  t.put("a", "1");
  assertEquals(await c.call("RENAME", "a", "b"), "OK");
  assertEquals(t.take(), {
    events: ["0:a:rename_from:g", "0:b:rename_to:g"],
    props: ["RENAME a b"],
  });
  assertEquals(await c.call("RENAME", "b", "b"), "OK");
  assertEquals(await c.call("RENAMENX", "b", "b"), 0);
  assertEquals(t.take(), { events: [], props: [] });
  assertEquals(await c.call("RENAMENX", "b", "c"), 1);
  assertEquals(t.take().events, ["0:b:rename_from:g", "0:c:rename_to:g"]);

  assertEquals(await c.call("MOVE", "c", "3"), 1);
  assertEquals(t.take(), { events: ["0:c:move_from:g", "3:c:move_to:g"], props: ["MOVE c 3"] });
  assertEquals(t.db(3).get("c"), "1");

  t.put("x", "1");
  assertEquals(await c.call("COPY", "x", "y", "DB", "2"), 1);
  assertEquals(t.take(), { events: ["2:y:copy_to:g"], props: ["COPY x y DB 2"] });
  assertEquals(await c.call("COPY", "x", "y", "DB", "2"), 0);
  assertEquals(t.take(), { events: [], props: [] });
  await t.done();
});

Deno.test("RENAME, MOVE and COPY keep the TTL; COPY clones objects", async () => {
  const t = await setup();
  const { c, clock } = t;
  const at = clock.now() + 5000;
  t.put("a", "v");
  t.db(0).setExpire("a", at);
  await c.call("RENAME", "a", "b");
  assertEquals(t.db(0).getExpire("b"), at);
  await c.call("MOVE", "b", "1");
  assertEquals(t.db(1).getExpire("b"), at);
  await c.call("SELECT", "1");
  await c.call("COPY", "b", "c", "DB", "0");
  assertEquals(t.db(0).getExpire("c"), at);

  const box = new Box(["x"]);
  t.db(1).set("box", box);
  assertEquals(await c.call("COPY", "box", "box2"), 1);
  const copy = t.db(1).get("box2");
  assertOk(copy instanceof Box && copy !== box);
  copy.items.push("y");
  assertEquals(box.items, ["x"]);
  assertEquals(await c.call("TYPE", "box2"), "box");
  assertEquals(await c.call("OBJECT", "ENCODING", "box2"), "boxed");
  assertEquals(await c.call("OBJECT", "REFCOUNT", "box2"), 1);
  assertEquals(await c.call("SCAN", "0", "TYPE", "box"), ["0", ["box", "box2"]]);
  await t.done();
});

Deno.test("expired keys are invisible to EXISTS, KEYS, SCAN, RANDOMKEY", async () => {
  const t = await setup();
  const { c, clock } = t;
  t.put("live", "1");
  t.put("dead", "1");
  t.put("dead2", "1");
  t.db(0).setExpire("dead", clock.now() + 100);
  t.db(0).setExpire("dead2", clock.now() + 100);
  assertEquals(await c.call("EXISTS", "dead"), 1);
  clock.advance(100);
  // Active expiry must not run in between: the server's cron uses this clock
  // too, but the cycle reads the clock per tick, so keep the checks quick.
  assertEquals(await c.call("KEYS", "*"), ["live"]);
  assertEquals(t.db(0).size, 3, "KEYS does not reclaim");
  assertEquals(await c.call("SCAN", "0"), ["0", ["live"]]);
  assertEquals(t.db(0).size, 1, "SCAN reclaims what it meets");
  t.put("dead", "1");
  t.db(0).setExpire("dead", clock.now());
  assertEquals(await c.call("EXISTS", "dead", "live", "dead"), 1);
  assertEquals(await c.call("TYPE", "dead"), "none");
  t.db(0).delete("live");
  t.put("gone", "1");
  t.db(0).setExpire("gone", clock.now());
  assertEquals(await c.call("RANDOMKEY"), null);
  await t.done();
});

Deno.test("OBJECT IDLETIME and FREQ follow accesses and the policy", async () => {
  const t = await setup();
  const { c, clock, s } = t;
  t.put("k", "v");
  assertEquals(await c.call("OBJECT", "IDLETIME", "k"), 0);
  clock.advance(3_000);
  assertEquals(await c.call("TOUCH", "k", "nope"), 1);
  clock.advance(5_500);
  assertEquals(await c.call("OBJECT", "IDLETIME", "k"), 5);
  // RENAME's lookup is an access, as in Redis.
  await c.call("RENAME", "k", "k2");
  assertEquals(await c.call("OBJECT", "IDLETIME", "k2"), 0);
  s.server.config.set("maxmemory-policy", "allkeys-lfu");
  assertEquals(await c.call("OBJECT", "FREQ", "k2"), 5);
  clock.advance(120_000);
  assertEquals(await c.call("OBJECT", "FREQ", "k2"), 3);
  const err = await c.call("OBJECT", "IDLETIME", "k2") as { error: string };
  assertOk(err.error.startsWith("ERR An LFU maxmemory policy is selected"));
  // Integers stop being shared under an LRU/LFU policy with maxmemory.
  t.put("n", "7");
  assertEquals(await c.call("OBJECT", "REFCOUNT", "n"), 2147483647);
  s.server.config.set("maxmemory", "100mb");
  assertEquals(await c.call("OBJECT", "REFCOUNT", "n"), 1);
  s.server.config.set("maxmemory", "0");
  s.server.config.set("maxmemory-policy", "noeviction");
  await t.done();
});

Deno.test({
  name: "active expiry reclaims keys nobody reads",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    const db = s.server.keyspace.db(0);
    for (let i = 0; i < 200; i++) db.set(`v${i}`, "x");
    for (let i = 0; i < 10; i++) db.set(`p${i}`, "x");
    for (let i = 0; i < 200; i++) {
      assertEquals(await c.call("PEXPIRE", `v${i}`, String(20 + (i % 30))), 1);
    }
    assertEquals(db.size, 210);
    const t0 = Date.now();
    while (db.size > 10 && Date.now() - t0 < 3000) await sleep(20);
    assertEquals(db.size, 10);
    assertOk(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    c.close();
    await s.close();
  },
});
