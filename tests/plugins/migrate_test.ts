/**
 * MIGRATE and RESTORE-ASKING against real Redis: the same session run from
 * a Respite source and from a redis-server source, each into a Respite
 * target and a redis-server target, reply for reply and value for value;
 * writes held while the target restores; the timeout.
 */

import { assertEquals, assertOk } from "../_assert.ts";
import {
  freePort,
  hasRedis,
  RawClient,
  type Reply,
  sleep,
  startRealRedis,
  startRespiteProc,
  until,
} from "../_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A running server of either kind. */
interface Node {
  port: number;
  stop(): unknown;
}

async function withNodes(kinds: ("respite" | "redis")[], fn: (n: Node[]) => Promise<void>) {
  const nodes: Node[] = [];
  try {
    for (const k of kinds) {
      nodes.push(k === "redis" ? await startRealRedis() : await startRespiteProc());
    }
    await fn(nodes);
  } finally {
    for (const n of nodes) await n.stop();
  }
}

/** The session from `source` into `target`: replies, then what the target holds. */
async function session(source: number, target: number): Promise<Reply[]> {
  const s = await RawClient.connect(source);
  const t = await RawClient.connect(target);
  const closed = freePort();
  const out: Reply[] = [];
  const run = async (c: RawClient, ...argv: string[]) => out.push(await c.call(...argv));
  const mig = (...rest: string[]) => run(s, "MIGRATE", "127.0.0.1", String(target), ...rest);
  try {
    await s.call("FLUSHALL");
    await t.call("FLUSHALL");
    await run(s, "SET", "k", "v\x00\xff");
    await run(s, "PEXPIRE", "k", "100000");
    await run(s, "RPUSH", "l", "a", "b", "c");
    await run(s, "HSET", "h", "f", "v");
    await run(s, "ZADD", "z", "1.5", "a", "2", "b");
    await run(s, "SADD", "s", "x", "y");
    await mig("k", "0", "5000");
    await run(s, "EXISTS", "k");
    await mig("", "0", "5000", "KEYS", "l", "h", "nosuch", "z", "s");
    await run(s, "DBSIZE");
    await mig("k", "0", "5000");
    await mig("", "0", "5000", "KEYS", "nosuch");
    await run(s, "SET", "x", "1");
    await run(t, "SET", "x", "2");
    await mig("x", "0", "5000");
    await run(s, "EXISTS", "x");
    await mig("x", "0", "5000", "COPY", "REPLACE");
    await run(s, "GET", "x");
    await mig("x", "0", "1000", "KEYS", "a");
    await mig("x", "0", "1000", "AUTH");
    await mig("x", "0", "1000", "AUTH2", "u");
    await mig("x", "0", "1000", "FOO");
    await mig("x", "abc", "1000");
    await mig("x", "0", "abc");
    await mig("x", "99", "1000");
    await mig("x", "0", "1000", "AUTH", "pw");
    await mig("x", "0", "1000", "AUTH2", "u", "pw");
    await run(s, "MIGRATE", "127.0.0.1", String(closed), "x", "0", "1000");
    await mig("x", "1", "0");
    await run(s, "EXISTS", "x");
    // Inside MULTI: EXEC runs MIGRATE in its turn, a failed one included.
    await run(s, "SET", "m", "1");
    await run(s, "SET", "m2", "2");
    await run(s, "MULTI");
    await mig("m", "0", "5000");
    await run(s, "EXISTS", "m");
    await run(s, "MIGRATE", "127.0.0.1", String(closed), "m2", "0", "1000");
    await run(s, "GET", "m2");
    await run(s, "EXEC");
    // What the target holds.
    await run(t, "GET", "k");
    const pttl = await t.call("PTTL", "k");
    out.push(typeof pttl === "number" && pttl > 90000 && pttl <= 100000);
    await run(t, "LRANGE", "l", "0", "-1");
    await run(t, "HGETALL", "h");
    await run(t, "ZRANGE", "z", "0", "-1", "WITHSCORES");
    await run(t, "SORT", "s", "ALPHA");
    await run(t, "GET", "x");
    await run(t, "MGET", "m", "m2");
    await run(t, "SELECT", "1");
    await run(t, "GET", "x");
    return out;
  } finally {
    s.close();
    t.close();
  }
}

Deno.test({
  name: "migrate: a Respite source replies as a redis-server source, into either kind of target",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    await withNodes(
      ["respite", "redis", "respite", "redis"],
      async ([rs, rd, tRespite, tRedis]) => {
        for (const target of [tRedis!, tRespite!]) {
          const fromRedis = await session(rd!.port, target.port);
          const fromRespite = await session(rs!.port, target.port);
          assertEquals(fromRespite, fromRedis);
        }
      },
    );
  },
});

Deno.test({
  name: "migrate: other clients' writes wait for the target's replies, reads do not",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    await withNodes(["respite", "redis"], async ([src, target]) => {
      const [a, b, t] = [
        await RawClient.connect(src!.port),
        await RawClient.connect(src!.port),
        await RawClient.connect(target!.port),
      ];
      try {
        await a.call("SET", "k", "v");
        await a.call("SET", "other", "1");
        // The target holds its replies for 600 ms.
        await t.write(
          new TextEncoder().encode("*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.6\r\n"),
        );
        await sleep(50);
        const t0 = performance.now();
        const migrated = a.call("MIGRATE", "127.0.0.1", String(target!.port), "k", "0", "5000");
        await sleep(50);
        const read = await b.call("GET", "other");
        const readMs = performance.now() - t0;
        const order: string[] = [];
        const write = b.call("INCR", "other").then((r) => (order.push("write"), r));
        const done = migrated.then((r) => (order.push("migrate"), r));
        assertEquals(await done, "OK");
        assertEquals(await write, 2);
        assertEquals(read, "1");
        assertOk(readMs < 400, `the read waited ${readMs} ms`);
        assertEquals(order, ["migrate", "write"]);
        assertEquals(await b.call("EXISTS", "k"), 0);
        assertEquals((await t.read()).value, "OK");
        assertEquals(await t.call("GET", "k"), "v");
      } finally {
        a.close();
        b.close();
        t.close();
      }
    });
  },
});

Deno.test({
  name: "migrate: a target slower than the timeout gives IOERR and the key stays",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    await withNodes(["respite", "redis"], async ([src, target]) => {
      const [a, t] = [await RawClient.connect(src!.port), await RawClient.connect(target!.port)];
      try {
        await a.call("SET", "k", "v");
        await t.write(
          new TextEncoder().encode("*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.8\r\n"),
        );
        await sleep(50);
        const r = await a.call("MIGRATE", "127.0.0.1", String(target!.port), "k", "0", "200");
        assertEquals(r, { error: "IOERR error or timeout reading to target instance" });
        assertEquals(await a.call("GET", "k"), "v");
        // Writes go on once it gave up.
        assertEquals(await a.call("SET", "k2", "x"), "OK");
        assertEquals((await t.read()).value, "OK");
        // The next MIGRATE connects anew.
        const again = await a.call("MIGRATE", "127.0.0.1", String(target!.port), "k2", "0", "2000");
        assertEquals(again, "OK");
      } finally {
        a.close();
        t.close();
      }
    });
  },
});

Deno.test({
  name: "migrate: replicas see the moved keys deleted (a DEL), and nothing for COPY",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    await withNodes(["respite", "redis"], async ([src, target]) => {
      const replica = await startRealRedis(["--replicaof", "127.0.0.1", String(src!.port)]);
      const [a, r] = [await RawClient.connect(src!.port), await RawClient.connect(replica.port)];
      try {
        await until(
          "the replica's sync",
          async () => /master_link_status:up/.test(String(await r.call("INFO", "replication"))),
        );
        await a.call("MSET", "m1", "a", "m2", "b", "m3", "c");
        const port = String(target!.port);
        assertEquals(
          await a.call("MIGRATE", "127.0.0.1", port, "", "0", "2000", "KEYS", "m1", "m2"),
          "OK",
        );
        assertEquals(await a.call("MIGRATE", "127.0.0.1", port, "m3", "0", "2000", "COPY"), "OK");
        assertEquals(await a.call("SET", "done", "1"), "OK");
        await until("the marker", async () => await r.call("EXISTS", "done") === 1);
        assertEquals(await r.call("KEYS", "m*"), ["m3"]);
      } finally {
        a.close();
        r.close();
        await replica.stop();
      }
    });
  },
});
