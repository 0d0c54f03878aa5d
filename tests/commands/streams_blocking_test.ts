/**
 * XREAD BLOCK and XREADGROUP BLOCK: wake-ups by XADD from another client,
 * `$`, timeouts (RESP2 and RESP3), several streams, many readers, consumer
 * groups, and the errors Redis 7.0 gives a blocked XREADGROUP whose stream
 * or group goes away.
 */
import { captureWrites, encodeCommand, RawClient, sleep, startRespite } from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function send(c: RawClient, ...argv: string[]): Promise<void> {
  await c.write(encodeCommand(argv));
}

Deno.test({
  name: "streams blocking: XADD wakes XREAD; $ means entries added after the call",
  ...opts,
  async fn() {
    const s = await startRespite();
    const a = await RawClient.connect(s.port), b = await RawClient.connect(s.port);
    try {
      await b.call("XADD", "s", "1-1", "old", "1");
      await send(a, "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
      await send(a, "PING");
      await sleep(30);
      assertEquals(s.server.blockedClients, 1);
      await b.call("XADD", "s", "2-1", "new", "2");
      assertEquals((await a.read()).value, [["s", [["2-1", ["new", "2"]]]]]);
      assertEquals((await a.read()).value, "PONG");
      assertEquals(s.server.blockedClients, 0);

      // $ on a missing key; the stream created later serves it.
      await send(a, "XREAD", "BLOCK", "0", "STREAMS", "fresh", "$");
      await sleep(20);
      await b.call("XADD", "fresh", "5-5", "f", "v");
      assertEquals((await a.read()).value, [["fresh", [["5-5", ["f", "v"]]]]]);

      // Entries added in one transaction arrive together.
      await send(a, "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
      await sleep(20);
      await b.call("MULTI");
      await b.call("XADD", "s", "3-1", "a", "1");
      await b.call("XADD", "s", "4-1", "b", "2");
      await b.call("EXEC");
      assertEquals((await a.read()).value, [["s", [["3-1", ["a", "1"]], ["4-1", ["b", "2"]]]]]);

      // An explicit id: only newer entries serve it; COUNT applies.
      await send(a, "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", "10-0");
      await sleep(20);
      await b.call("XADD", "s", "9-1", "x", "y");
      await sleep(20);
      assertEquals(s.server.blockedClients, 1);
      await b.call("XADD", "s", "11-1", "x", "z");
      await b.call("XADD", "s", "12-1", "x", "w");
      assertEquals((await a.read()).value, [["s", [["11-1", ["x", "z"]]]]]);
    } finally {
      a.close();
      b.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "streams blocking: timeouts reply null (RESP2 *-1, RESP3 _); MULTI does not block",
  ...opts,
  async fn() {
    const s = await startRespite();
    const a = await RawClient.connect(s.port);
    try {
      const t0 = Date.now();
      assertEquals(await a.command("XREAD", "BLOCK", "100", "STREAMS", "s", "$"), "*-1\r\n");
      const took = Date.now() - t0;
      assertEquals(took >= 90 && took < 2000, true, `took ${took} ms`);
      await a.call("XGROUP", "CREATE", "g", "grp", "$", "MKSTREAM");
      assertEquals(
        await a.command("XREADGROUP", "GROUP", "grp", "c", "BLOCK", "50", "STREAMS", "g", ">"),
        "*-1\r\n",
      );
      await a.call("HELLO", "3");
      assertEquals(await a.command("XREAD", "BLOCK", "50", "STREAMS", "s", "0"), "_\r\n");
      assertEquals(
        await a.command("XREADGROUP", "GROUP", "grp", "c", "BLOCK", "50", "STREAMS", "g", ">"),
        "_\r\n",
      );
      await a.call("HELLO", "2");
      await a.call("MULTI");
      await a.call("XREAD", "BLOCK", "0", "STREAMS", "s", "$");
      assertEquals(await a.call("EXEC"), [null]);
      assertEquals(s.server.blockedClients, 0);
      assertEquals(
        await a.call("XREAD", "BLOCK", "-1", "STREAMS", "s", "$"),
        { error: "ERR timeout is negative" },
      );
      assertEquals(
        await a.call("XREAD", "BLOCK", "1.5", "STREAMS", "s", "$"),
        { error: "ERR timeout is not an integer or out of range" },
      );
    } finally {
      a.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "streams blocking: several streams, and many readers served by one XADD",
  ...opts,
  async fn() {
    const s = await startRespite();
    const w = await RawClient.connect(s.port);
    const readers: RawClient[] = [];
    try {
      await w.call("XADD", "a", "1-1", "f", "a1");
      const r0 = await RawClient.connect(s.port);
      readers.push(r0);
      await send(r0, "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$");
      await sleep(20);
      await w.call("XADD", "b", "7-7", "f", "b1");
      assertEquals((await r0.read()).value, [["b", [["7-7", ["f", "b1"]]]]]);
      // RESP3: a map of one stream.
      await r0.call("HELLO", "3");
      await send(r0, "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$");
      await sleep(20);
      await w.call("XADD", "a", "2-1", "f", "a2");
      assertEquals((await r0.read()).value, { map: [["a", [["2-1", ["f", "a2"]]]]] });

      for (let i = 0; i < 25; i++) {
        const r = await RawClient.connect(s.port);
        readers.push(r);
        await send(r, "XREAD", "BLOCK", "5000", "STREAMS", "a", "$");
      }
      await sleep(50);
      assertEquals(s.server.blockedClients, 25);
      await w.call("XADD", "a", "3-1", "f", "a3");
      for (const r of readers.slice(1)) {
        assertEquals((await r.read()).value, [["a", [["3-1", ["f", "a3"]]]]]);
      }
      assertEquals(s.server.blockedClients, 0);
    } finally {
      for (const r of readers) r.close();
      w.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "streams blocking: XREADGROUP, one consumer per group gets each entry; propagation",
  ...opts,
  async fn() {
    const { plugin: capture, propagated: prop } = captureWrites();
    const s = await startRespite({ plugins: [capture] });
    const w = await RawClient.connect(s.port);
    const c1 = await RawClient.connect(s.port), c2 = await RawClient.connect(s.port);
    const d1 = await RawClient.connect(s.port);
    try {
      await w.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
      await w.call("XGROUP", "CREATE", "s", "h", "$");
      await send(c1, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">");
      await send(c2, "XREADGROUP", "GROUP", "g", "c2", "BLOCK", "0", "STREAMS", "s", ">");
      await send(d1, "XREADGROUP", "GROUP", "h", "d1", "NOACK", "BLOCK", "0", "STREAMS", "s", ">");
      await sleep(30);
      assertEquals(s.server.blockedClients, 3);
      prop.length = 0;
      await w.call("XADD", "s", "1-1", "f", "v");
      assertEquals((await c1.read()).value, [["s", [["1-1", ["f", "v"]]]]]);
      assertEquals((await d1.read()).value, [["s", [["1-1", ["f", "v"]]]]]);
      assertEquals(s.server.blockedClients, 1);
      const time = prop[1]![7]!;
      assertEquals(prop, [
        ["XADD", "s", "1-1", "f", "v"],
        [
          "XCLAIM",
          "s",
          "g",
          "c1",
          "0",
          "1-1",
          "TIME",
          time,
          "RETRYCOUNT",
          "1",
          "FORCE",
          "JUSTID",
          "LASTID",
          "1-1",
        ],
        ["MULTI"],
        ["XGROUP", "CREATECONSUMER", "s", "h", "d1"],
        ["XGROUP", "SETID", "s", "h", "1-1", "ENTRIESREAD", "1"],
        ["EXEC"],
      ]);
      await w.call("XADD", "s", "2-1", "f", "w");
      assertEquals((await c2.read()).value, [["s", [["2-1", ["f", "w"]]]]]);
      assertEquals(await w.call("XPENDING", "s", "g"), [2, "1-1", "2-1", [["c1", "1"], [
        "c2",
        "1",
      ]]]);
      // A blocked reader of a stream whose group is re-read by someone else stays blocked.
      await send(c1, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "s", ">");
      await sleep(20);
      await w.call("XACK", "s", "g", "1-1");
      await sleep(20);
      assertEquals(s.server.blockedClients, 1);
      await w.call("XADD", "s", "3-1", "f", "x");
      assertEquals((await c1.read()).value, [["s", [["3-1", ["f", "x"]]]]]);
    } finally {
      for (const c of [w, c1, c2, d1]) c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "streams blocking: a deleted stream or group fails blocked XREADGROUP; XREAD waits on",
  ...opts,
  async fn() {
    const s = await startRespite();
    const w = await RawClient.connect(s.port);
    const r = await RawClient.connect(s.port), x = await RawClient.connect(s.port);
    const block = (c: RawClient) =>
      send(c, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">");
    try {
      await w.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
      await block(r);
      await send(x, "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
      await sleep(20);
      await w.call("DEL", "s");
      assertEquals((await r.read()).value, { error: "UNBLOCKED the stream key no longer exists" });
      assertEquals(s.server.blockedClients, 1);

      await w.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
      await block(r);
      await sleep(20);
      await w.call("XGROUP", "DESTROY", "s", "g");
      assertEquals((await r.read()).value, {
        error: "NOGROUP the consumer group this client was blocked on no longer exists",
      });

      await w.call("XGROUP", "CREATE", "s", "g", "$");
      await block(r);
      await sleep(20);
      await w.call("SET", "s", "string now");
      assertEquals((await r.read()).value, { error: "UNBLOCKED the stream key no longer exists" });

      await w.call("DEL", "s");
      await w.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM");
      await block(r);
      await sleep(20);
      await w.call("FLUSHALL");
      assertEquals((await r.read()).value, { error: "UNBLOCKED the stream key no longer exists" });

      // XREAD is still waiting, through all of that.
      assertEquals(s.server.blockedClients, 1);
      await w.call("XADD", "s", "5-5", "a", "b");
      assertEquals((await x.read()).value, [["s", [["5-5", ["a", "b"]]]]]);
      assertEquals(s.server.blockedClients, 0);
    } finally {
      for (const c of [w, r, x]) c.close();
      await s.close();
    }
  },
});
