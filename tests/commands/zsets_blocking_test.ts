/**
 * BZPOPMIN, BZPOPMAX and BZMPOP: wake-ups by another client, timeouts in
 * RESP2 and RESP3, several keys, fairness, disconnects, wrong types and
 * many clients blocked at once.
 */
import { RawClient, sleep, startRespite } from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function cmd(...argv: string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

Deno.test({
  name: "zsets blocking: ZADD from another client wakes BZPOPMIN, BZPOPMAX, BZMPOP",
  ...opts,
  async fn() {
    const s = await startRespite();
    const a = await RawClient.connect(s.port), b = await RawClient.connect(s.port);
    try {
      await a.write(cmd("BZPOPMIN", "z", "0") + cmd("PING"));
      await sleep(20);
      assertEquals(s.server.blockedClients, 1);
      assertEquals(await b.call("ZADD", "z", "2", "two", "1", "one"), 2);
      assertEquals((await a.read()).value, ["z", "one", "1"]);
      assertEquals((await a.read()).value, "PONG");
      assertEquals(s.server.blockedClients, 0);

      await a.write(cmd("BZPOPMAX", "w", "z2", "0"));
      await sleep(20);
      assertEquals(await b.call("ZADD", "w", "5", "five"), 1);
      assertEquals((await a.read()).value, ["w", "five", "5"]);
      assertEquals(await b.call("EXISTS", "w"), 0);

      await a.write(cmd("BZMPOP", "0", "2", "m1", "m2", "MAX", "COUNT", "3"));
      await sleep(20);
      assertEquals(await b.call("ZADD", "m2", "1", "x", "2", "y"), 2);
      assertEquals((await a.read()).value, ["m2", [["y", "2"], ["x", "1"]]]);
      assertEquals(await b.call("EXISTS", "m2"), 0);

      // RESP3: nested pairs and doubles.
      await a.call("HELLO", "3");
      await a.write(cmd("BZMPOP", "0", "1", "r3", "MIN"));
      await sleep(20);
      await b.call("ZADD", "r3", "1.5", "p", "2", "q");
      assertEquals((await a.read()).raw, "*2\r\n$2\r\nr3\r\n*1\r\n*2\r\n$1\r\np\r\n,1.5\r\n");
      await a.write(cmd("BZPOPMAX", "r3", "0"));
      assertEquals((await a.read()).raw, "*3\r\n$2\r\nr3\r\n$1\r\nq\r\n,2\r\n");
    } finally {
      a.close();
      b.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "zsets blocking: timeouts reply a null array (RESP2) or null (RESP3)",
  ...opts,
  async fn() {
    const s = await startRespite();
    const a = await RawClient.connect(s.port);
    try {
      const t0 = Date.now();
      assertEquals(await a.command("BZPOPMIN", "z", "0.1"), "*-1\r\n");
      const took = Date.now() - t0;
      assertEquals(took >= 90 && took < 2000, true, `took ${took} ms`);
      assertEquals(await a.command("BZMPOP", "0.05", "1", "z", "MIN"), "*-1\r\n");
      await a.call("HELLO", "3");
      assertEquals(await a.command("BZPOPMAX", "z", "0.05"), "_\r\n");
      assertEquals(await a.command("BZMPOP", "0.05", "2", "z", "y", "MAX"), "_\r\n");
      assertEquals(s.server.blockedClients, 0);
    } finally {
      a.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "zsets blocking: first key with data wins; first blocked, first served",
  ...opts,
  async fn() {
    const s = await startRespite();
    const c1 = await RawClient.connect(s.port), c2 = await RawClient.connect(s.port);
    const c3 = await RawClient.connect(s.port), p = await RawClient.connect(s.port);
    try {
      // Data already present: the first key in argument order that has data.
      await p.call("ZADD", "k2", "1", "a");
      await p.call("ZADD", "k3", "1", "b");
      assertEquals(await c1.call("BZPOPMIN", "k1", "k3", "k2", "0"), ["k3", "b", "1"]);
      await p.call("DEL", "k2");

      await c1.write(cmd("BZPOPMIN", "q", "0"));
      await sleep(15);
      await c2.write(cmd("BZPOPMIN", "other", "q", "0"));
      await sleep(15);
      await c3.write(cmd("BZMPOP", "0", "1", "q", "MIN"));
      await sleep(15);
      assertEquals(s.server.blockedClients, 3);
      assertEquals(await p.call("ZADD", "q", "1", "a", "2", "b"), 2);
      assertEquals((await c1.read()).value, ["q", "a", "1"]);
      assertEquals((await c2.read()).value, ["q", "b", "2"]);
      assertEquals(s.server.blockedClients, 1);
      assertEquals(await p.call("ZADD", "q", "3", "c"), 1);
      assertEquals((await c3.read()).value, ["q", [["c", "3"]]]);
      assertEquals(s.server.blockedClients, 0);
    } finally {
      for (const c of [c1, c2, c3, p]) c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "zsets blocking: disconnect leaves no trace; wrong types do not serve",
  ...opts,
  async fn() {
    const s = await startRespite();
    const a = await RawClient.connect(s.port), b = await RawClient.connect(s.port);
    try {
      const gone = await RawClient.connect(s.port);
      await gone.write(cmd("BZPOPMIN", "z", "0"));
      await sleep(20);
      assertEquals(s.server.blockedClients, 1);
      gone.close();
      await sleep(20);
      assertEquals(s.server.blockedClients, 0);
      assertEquals(await b.call("ZADD", "z", "1", "kept"), 1);
      assertEquals(await b.call("ZCARD", "z"), 1);

      // A list on the key does not serve a sorted-set waiter.
      await a.write(cmd("BZPOPMIN", "l", "0"));
      await sleep(20);
      assertEquals(await b.call("RPUSH", "l", "x"), 1);
      await sleep(20);
      assertEquals(s.server.blockedClients, 1);
      assertEquals(await b.call("DEL", "l"), 1);
      assertEquals(await b.call("ZADD", "l", "3", "y"), 1);
      assertEquals((await a.read()).value, ["l", "y", "3"]);

      // CLIENT UNBLOCK.
      const id = await a.call("CLIENT", "ID") as number;
      await a.write(cmd("BZMPOP", "0", "1", "none", "MIN"));
      await sleep(20);
      assertEquals(await b.call("CLIENT", "UNBLOCK", String(id)), 1);
      assertEquals((await a.read()).raw, "*-1\r\n");
    } finally {
      a.close();
      b.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "zsets blocking: 200 clients blocked at once, served in order",
  ...opts,
  async fn() {
    const s = await startRespite();
    const clients: RawClient[] = [];
    const p = await RawClient.connect(s.port);
    try {
      for (let i = 0; i < 200; i++) {
        const c = await RawClient.connect(s.port);
        await c.write(cmd("BZPOPMIN", "many", "0"));
        clients.push(c);
      }
      await sleep(50);
      assertEquals(s.server.blockedClients, 200);
      const args: string[] = [];
      for (let i = 0; i < 200; i++) args.push(String(i), `m${i}`);
      assertEquals(await p.call("ZADD", "many", ...args), 200);
      for (let i = 0; i < 200; i++) {
        assertEquals((await clients[i]!.read()).value, ["many", `m${i}`, String(i)]);
      }
      assertEquals(s.server.blockedClients, 0);
      assertEquals(await p.call("EXISTS", "many"), 0);
    } finally {
      for (const c of clients) c.close();
      p.close();
      await s.close();
    }
  },
});
