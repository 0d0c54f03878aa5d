/**
 * CLIENT PAUSE and CLIENT UNPAUSE (core/pause.ts and the dispatcher's
 * postponing): which commands wait under WRITE and ALL, that they run in
 * order when the pause ends, that keys neither expire nor get evicted
 * meanwhile, the pause of a replica's stream, and that replicas' own
 * connections are never paused. Scenarios run on Respite and on
 * redis-server, and their traces are compared.
 *
 * @module
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
  until,
} from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

diffTest("CLIENT PAUSE and UNPAUSE: arguments and errors", [
  ["CLIENT", "PAUSE"],
  ["CLIENT", "PAUSE", "100", "foo"],
  ["CLIENT", "PAUSE", "x", "foo"],
  ["CLIENT", "PAUSE", "-1"],
  ["CLIENT", "PAUSE", "x"],
  ["CLIENT", "PAUSE", "1.5"],
  ["CLIENT", "PAUSE", "99999999999999999999"],
  ["CLIENT", "PAUSE", "9223372036854775000"],
  ["CLIENT", "PAUSE", "1", "WRITE", "extra"],
  ["CLIENT", "UNPAUSE", "x"],
  ["CLIENT", "PAUSE", "0"],
  ["CLIENT", "PAUSE", "0", "write"],
  ["CLIENT", "UNPAUSE"],
  ["CLIENT", "UNPAUSE"],
]);

/** INFO's blocked_clients (postponed clients count, as in Redis 7.0). */
async function blocked(c: RawClient): Promise<number> {
  return Number(/blocked_clients:(\d+)/.exec(String(await c.call("INFO", "clients")))![1]);
}

async function waitBlocked(c: RawClient, n: number): Promise<void> {
  await until(`${n} blocked clients`, async () => (await blocked(c)) === n, 5000);
}

/** Sends a command without waiting for its reply. */
function send(c: RawClient, ...argv: string[]): Promise<void> {
  return c.write(encodeCommand(argv));
}

/** An error's first sentence (the rest names a script, which differs). */
function firstSentence(r: Reply): Reply {
  return r !== null && typeof r === "object" && "error" in r ? r.error.split(". ")[0]! : r;
}

/** A CLIENT PAUSE session on one server; its trace is compared across servers. */
async function pauseScenario(port: number): Promise<Reply[]> {
  const admin = await RawClient.connect(port);
  const cs = await Promise.all([1, 2, 3, 4, 5].map(() => RawClient.connect(port)));
  const [a, b, c, d, p] = cs as [RawClient, RawClient, RawClient, RawClient, RawClient];
  const out: Reply[] = [];
  try {
    await admin.call("FLUSHALL");
    await admin.call("FUNCTION", "FLUSH");
    out.push(
      await admin.call(
        "FUNCTION",
        "LOAD",
        "#!lua name=pauselib\nredis.register_function{function_name='ro', " +
          "callback=function() return 'hello' end, flags={'no-writes'}}",
      ),
    );
    out.push(await admin.call("SET", "k", "v"));
    await admin.call("PFADD", "hll", "a");

    // WRITE: reads, read-only scripts and refused commands go on.
    out.push(await admin.call("CLIENT", "PAUSE", "100000", "WRITE"));
    out.push(await a.call("GET", "k"));
    out.push(await a.call("PING"));
    out.push(await a.call("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"));
    out.push(await a.call("EVAL", "#!lua flags=no-writes\nreturn 2", "0"));
    out.push(await a.call("FCALL", "ro", "0"));
    out.push(await a.call("SET", "k"));
    out.push(await a.call("MULTI"), await a.call("GET", "k"), await a.call("EXEC"));
    out.push(await blocked(admin));
    out.push(firstSentence(await a.call("EVAL_RO", "return redis.call('publish','ch','m')", "0")));

    // Writes, PUBLISH, scripts without flags, a write in MULTI and PFCOUNT
    // (which may replicate) wait, and run in the order they came.
    await send(a, "SET", "k", "w1");
    await waitBlocked(admin, 1);
    await send(b, "PUBLISH", "ch", "m");
    await waitBlocked(admin, 2);
    await send(c, "EVAL", "return redis.call('set', KEYS[1], 'w3')", "1", "k");
    await waitBlocked(admin, 3);
    out.push(await d.call("MULTI"), await d.call("GET", "k"));
    await send(d, "SET", "k", "w4");
    await waitBlocked(admin, 4);
    await send(p, "PFCOUNT", "hll");
    await waitBlocked(admin, 5);
    const list = String(await admin.call("CLIENT", "LIST")).split("\n");
    out.push(list.filter((l) => / flags=b /.test(l)).map((l) => /cmd=(\S+)/.exec(l)![1]!));
    out.push(await admin.call("GET", "k"));
    out.push(await admin.call("CLIENT", "UNPAUSE"));
    out.push((await a.read()).value, (await b.read()).value, (await c.read()).value);
    out.push((await d.read()).value, (await p.read()).value, await d.call("EXEC"));
    out.push(await admin.call("GET", "k"));

    // ALL: every command waits; the timeout ends the pause.
    out.push(await admin.call("CLIENT", "PAUSE", "300", "ALL"));
    const t0 = Date.now();
    out.push(await a.call("PING"));
    out.push(Date.now() - t0 >= 250);

    // A monitor is never paused (Redis flags monitors as replicas).
    const m = await RawClient.connect(port);
    try {
      out.push(await m.call("MONITOR"));
      out.push(await admin.call("CLIENT", "PAUSE", "500", "ALL"));
      const t1 = Date.now();
      out.push(await m.call("PING"));
      out.push(Date.now() - t1 < 250);
      out.push(/ "PING"$/.test(String((await m.read()).value)));
      await admin.call("PING"); // waits for the pause's end
    } finally {
      m.close();
    }

    // A pause started inside MULTI applies once EXEC is done.
    out.push(await a.call("MULTI"));
    out.push(await a.call("SET", "t1", "x"), await a.call("CLIENT", "PAUSE", "60000", "WRITE"));
    out.push(await a.call("SET", "t2", "x"), await a.call("EXEC"));
    await send(b, "SET", "t3", "x");
    await waitBlocked(admin, 1);
    out.push(await admin.call("MGET", "t1", "t2", "t3"));
    out.push(await admin.call("CLIENT", "UNPAUSE"), (await b.read()).value);

    // Nothing expires while paused: expired keys read as gone but stay.
    const expired = async () =>
      Number(/expired_keys:(\d+)/.exec(String(await admin.call("INFO", "stats")))![1]);
    const before = await expired();
    out.push(await a.call("MULTI"));
    await a.call("SET", "e1", "x", "PX", "10");
    await a.call("SET", "e2", "x", "PX", "10");
    await a.call("CLIENT", "PAUSE", "50000", "WRITE");
    out.push(await a.call("EXEC"));
    await sleep(300);
    out.push(await admin.call("GET", "e1"), await admin.call("EXISTS", "e2"));
    out.push((await expired()) - before);
    out.push(await admin.call("CLIENT", "UNPAUSE"));
    await admin.call("GET", "e1");
    await admin.call("GET", "e2");
    out.push((await expired()) - before);
    return out;
  } finally {
    await admin.call("CLIENT", "UNPAUSE").catch(() => {});
    admin.close();
    for (const x of cs) x.close();
  }
}

Deno.test({
  name: "CLIENT PAUSE WRITE and ALL: what waits, in which order, expiry (diff with redis-server)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    const ours = await pauseScenario(respite.port);
    // What Redis answers, where it does not need a second server to know.
    assertEquals(ours.slice(1, 5), ["OK", "OK", "v", "PONG"]);
    if (hasRedis) assertEquals(ours, await pauseScenario(redis!.port));
  },
});

Deno.test({
  name: "CLIENT PAUSE: a client's pipelined commands wait behind its postponed one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const admin = await RawClient.connect(s.port);
    const c = await RawClient.connect(s.port);
    try {
      await admin.call("CLIENT", "PAUSE", "100000", "WRITE");
      await c.write(
        [["SET", "a", "1"], ["GET", "a"], ["INCR", "a"]].map((x) =>
          new TextDecoder().decode(encodeCommand(x))
        ).join(""),
      );
      await waitBlocked(admin, 1);
      assertEquals(await admin.call("GET", "a"), null);
      assertEquals(await admin.call("CLIENT", "UNPAUSE"), "OK");
      assertEquals((await c.read()).value, "OK");
      assertEquals((await c.read()).value, "1");
      assertEquals((await c.read()).value, 2);
      // A client that goes away while postponed is forgotten.
      await admin.call("CLIENT", "PAUSE", "100000", "ALL");
      await c.write(encodeCommand(["SET", "a", "9"]));
      await sleep(50);
      c.close();
      await sleep(50);
      const other = await RawClient.connect(s.port);
      await other.write(encodeCommand(["CLIENT", "UNPAUSE"]));
      await sleep(50);
      // Under ALL, UNPAUSE itself waits: the pause is lifted through the API.
      s.server.keyspace.pause.stop();
      assertEquals((await other.read()).value, "OK");
      assertEquals(await other.call("GET", "a"), "2");
      other.close();
    } finally {
      admin.close();
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "CLIENT PAUSE: nothing is evicted while paused; CLIENT UNBLOCK leaves a paused client",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ config: { "maxmemory-policy": "allkeys-random" } });
    const c = await RawClient.connect(s.port);
    const w = await RawClient.connect(s.port);
    try {
      for (let i = 0; i < 50; i++) await c.call("SET", `k${i}`, "x".repeat(1000));
      const used = Number(/used_memory:(\d+)/.exec(String(await c.call("INFO", "memory")))![1]);
      await c.call("CLIENT", "PAUSE", "100000", "WRITE");
      // Room for about half the keys: nothing goes while paused.
      await c.call("CONFIG", "SET", "maxmemory", String(used - 25_000));
      assertEquals(await c.call("DBSIZE"), 50);
      await w.write(encodeCommand(["SET", "n", "1"]));
      await waitBlocked(c, 1);
      const list = String(await c.call("CLIENT", "LIST"));
      const paused = /id=(\d+) [^\n]*flags=b /.exec(list)![1]!;
      assertEquals(await c.call("CLIENT", "UNBLOCK", paused), 0);
      assertEquals(await c.call("CLIENT", "UNPAUSE"), "OK");
      assertEquals((await w.read()).value, "OK");
      assertOk((await c.call("DBSIZE") as number) < 50);
    } finally {
      c.close();
      w.close();
      await s.close();
    }
  },
});
