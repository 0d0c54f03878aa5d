/**
 * The core's blocking machinery, through a minimal queue type defined here
 * (so it is tested independently of the list family).
 */
import { type DataObject, definePlugin, ReplyError } from "../../mod.ts";
import { RawClient, sleep, startRespite } from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

class Queue implements DataObject {
  readonly type = "queue";
  items: string[] = [];
  encoding() {
    return "queue";
  }
  clone() {
    const q = new Queue();
    q.items = [...this.items];
    return q;
  }
}

const queues = definePlugin({
  name: "test-queues",
  commands: [{
    name: "qpush",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    handler(c, argv) {
      const key = argv[1]!;
      let q = c.db.getTyped<Queue>(key, "queue");
      if (!q) c.db.set(key, q = new Queue());
      q.items.push(...argv.slice(2));
      c.changed(key, "qpush", "l");
      c.reply.integer(q.items.length);
    },
  }, {
    name: "bqpop",
    arity: -3,
    flags: ["write", "blocking"],
    handler(c, argv) {
      const keys = argv.slice(1, -1);
      const timeout = Number(argv[argv.length - 1]);
      if (!(timeout >= 0)) throw new ReplyError("ERR timeout is negative");
      for (const k of keys) {
        const q = c.db.getTyped<Queue>(k, "queue");
        if (q && q.items.length) {
          const v = q.items.shift()!;
          if (q.items.length === 0) c.db.delete(k);
          c.changed(k, "qpop", "l");
          c.propagate(["QPOP", k]);
          c.reply.array(2);
          c.reply.bulk(k);
          c.reply.bulk(v);
          return;
        }
      }
      c.block({ keys, timeoutMs: timeout * 1000, type: "queue" });
    },
  }],
});

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "blocking: a push from another client wakes the waiter",
  ...opts,
  async fn() {
    const s = await startRespite({ plugins: [queues] });
    const a = await RawClient.connect(s.port), b = await RawClient.connect(s.port);
    await a.write("*3\r\n$5\r\nBQPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n");
    await sleep(30);
    assertEquals(s.server.blockedClients, 1);
    assertEquals(await b.call("QPUSH", "q", "x"), 1);
    assertEquals((await a.read()).value, ["q", "x"]);
    // The pipelined PING after the blocked command runs once it is served.
    assertEquals((await a.read()).value, "PONG");
    assertEquals(s.server.blockedClients, 0);
    a.close();
    b.close();
    await s.close();
  },
});

Deno.test({
  name: "blocking: first blocked, first served; several keys",
  ...opts,
  async fn() {
    const s = await startRespite({ plugins: [queues] });
    const c1 = await RawClient.connect(s.port), c2 = await RawClient.connect(s.port);
    const p = await RawClient.connect(s.port);
    await c1.write("*4\r\n$5\r\nBQPOP\r\n$2\r\nq1\r\n$2\r\nq2\r\n$1\r\n0\r\n");
    await sleep(20);
    await c2.write("*3\r\n$5\r\nBQPOP\r\n$2\r\nq2\r\n$1\r\n0\r\n");
    await sleep(20);
    assertEquals(await p.call("QPUSH", "q2", "a", "b"), 2);
    assertEquals((await c1.read()).value, ["q2", "a"]);
    assertEquals((await c2.read()).value, ["q2", "b"]);
    assertEquals(await p.call("EXISTS", "q2"), 0);
    for (const c of [c1, c2, p]) c.close();
    await s.close();
  },
});

Deno.test({
  name: "blocking: timeout, disconnect, CLIENT UNBLOCK",
  ...opts,
  async fn() {
    const s = await startRespite({ plugins: [queues] });
    const a = await RawClient.connect(s.port);
    const t0 = Date.now();
    assertEquals(await a.command("BQPOP", "q", "0.1"), "*-1\r\n");
    const took = Date.now() - t0;
    assertEquals(took >= 90 && took < 2000, true, `took ${took} ms`);
    // A client that disconnects while blocked leaves no trace.
    const gone = await RawClient.connect(s.port);
    await gone.write("*3\r\n$5\r\nBQPOP\r\n$1\r\nq\r\n$1\r\n0\r\n");
    await sleep(20);
    gone.close();
    await sleep(20);
    assertEquals(s.server.blockedClients, 0);
    assertEquals(await a.call("QPUSH", "q", "kept"), 1);
    assertEquals(await a.call("BQPOP", "q", "0"), ["q", "kept"]);
    // CLIENT UNBLOCK with TIMEOUT and ERROR.
    const b = await RawClient.connect(s.port);
    const id = await b.call("CLIENT", "ID") as number;
    await b.write("*3\r\n$5\r\nBQPOP\r\n$1\r\nq\r\n$1\r\n0\r\n");
    await sleep(20);
    assertEquals(await a.call("CLIENT", "UNBLOCK", String(id)), 1);
    assertEquals((await b.read()).raw, "*-1\r\n");
    await b.write("*3\r\n$5\r\nBQPOP\r\n$1\r\nq\r\n$1\r\n0\r\n");
    await sleep(20);
    assertEquals(await a.call("CLIENT", "UNBLOCK", String(id), "ERROR"), 1);
    assertEquals((await b.read()).value, {
      error: "UNBLOCKED client unblocked via CLIENT UNBLOCK",
    });
    assertEquals(await a.call("CLIENT", "UNBLOCK", String(id)), 0);
    a.close();
    b.close();
    await s.close();
  },
});

Deno.test({
  name: "blocking: a wrong-type value does not serve the waiter",
  ...opts,
  async fn() {
    const s = await startRespite({ plugins: [queues] });
    const a = await RawClient.connect(s.port), b = await RawClient.connect(s.port);
    await a.write("*3\r\n$5\r\nBQPOP\r\n$1\r\nq\r\n$1\r\n0\r\n");
    await sleep(20);
    assertEquals(await b.call("SET", "q", "string"), "OK");
    await sleep(20);
    assertEquals(s.server.blockedClients, 1);
    assertEquals(await b.call("DEL", "q"), 1);
    assertEquals(await b.call("QPUSH", "q", "v"), 1);
    assertEquals((await a.read()).value, ["q", "v"]);
    a.close();
    b.close();
    await s.close();
  },
});

Deno.test({
  name: "blocking: 500 clients blocked at once are all served",
  ...opts,
  async fn() {
    const s = await startRespite({ plugins: [queues] });
    const clients = await Promise.all(Array.from({ length: 500 }, () => RawClient.connect(s.port)));
    for (const c of clients) await c.write("*3\r\n$5\r\nBQPOP\r\n$1\r\nq\r\n$1\r\n0\r\n");
    for (let i = 0; i < 100 && s.server.blockedClients < 500; i++) await sleep(10);
    assertEquals(s.server.blockedClients, 500);
    const p = await RawClient.connect(s.port);
    const items = Array.from({ length: 500 }, (_, i) => `v${i}`);
    assertEquals(await p.call("QPUSH", "q", ...items), 500);
    const got = await Promise.all(
      clients.map(async (c) => ((await c.read()).value as string[])[1]),
    );
    // Arrival order across 500 sockets is not the write order; each element
    // reaches exactly one client.
    assertEquals([...got].sort(), [...items].sort());
    assertEquals(s.server.blockedClients, 0);
    for (const c of [...clients, p]) c.close();
    await s.close();
  },
});
