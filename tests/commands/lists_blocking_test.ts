/**
 * Blocking list commands over TCP: wake-ups by another client's push,
 * timeouts, fairness, several keys, disconnects, CLIENT UNBLOCK, 500
 * waiters, BLMOVE chains, propagation of served pops and INFO
 * blocked_clients. Multi-client scenarios also run against redis-server and
 * must give the same replies.
 */
import {
  captureWrites,
  encodeCommand,
  hasRedis,
  RawClient,
  type Reply,
  sleep,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Sends a command without waiting for its reply (it blocks). */
function send(c: RawClient, ...argv: string[]): Promise<void> {
  return c.write(encodeCommand(argv));
}

async function blockedCount(admin: RawClient): Promise<number> {
  const info = await admin.call("INFO", "clients") as string;
  return Number(/blocked_clients:(\d+)/.exec(info)![1]);
}

/** Waits until the server reports `n` blocked clients. */
async function waitBlocked(admin: RawClient, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await blockedCount(admin) === n) return;
    await sleep(5);
  }
  assertEquals(await blockedCount(admin), n, "blocked_clients");
}

/**
 * A scenario with several clients, run on one server; returns every reply
 * the blocked clients and the pusher saw, in a fixed order.
 */
type Scenario = (port: number) => Promise<Reply[]>;

function scenarioTest(name: string, run: Scenario): void {
  Deno.test({
    name: `blocking: ${name} (same as redis-server)`,
    ...opts,
    async fn() {
      const s = await startRespite();
      try {
        const ours = await run(s.port);
        if (!hasRedis) return;
        const real = await startRealRedis();
        try {
          assertEquals(ours, await run(real.port));
        } finally {
          await real.stop();
        }
      } finally {
        await s.close();
      }
    },
  });
}

async function clients(port: number, n: number): Promise<RawClient[]> {
  return await Promise.all(Array.from({ length: n }, () => RawClient.connect(port)));
}

scenarioTest("fairness: first blocked, first served on one key", async (port) => {
  const [a, b, c, p] = await clients(port, 4);
  const out: Reply[] = [];
  await send(a!, "BLPOP", "q", "0");
  await waitBlocked(p!, 1);
  await send(b!, "BRPOP", "q", "0");
  await waitBlocked(p!, 2);
  await send(c!, "BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5");
  await waitBlocked(p!, 3);
  out.push(await p!.call("RPUSH", "q", "1", "2", "3", "4", "5", "6"));
  out.push((await a!.read()).value, (await b!.read()).value, (await c!.read()).value);
  out.push(await p!.call("LRANGE", "q", "0", "-1"), await blockedCount(p!));
  for (const x of [a, b, c, p]) x!.close();
  return out;
});

scenarioTest("several keys: the pushed key serves; argument order at block time", async (
  port,
) => {
  const [a, b, p] = await clients(port, 3);
  const out: Reply[] = [];
  await send(a!, "BLPOP", "k1", "k2", "k3", "0");
  await send(b!, "BRPOP", "k3", "k2", "0");
  await waitBlocked(p!, 2);
  out.push(await p!.call("RPUSH", "k2", "x", "y"));
  out.push((await a!.read()).value, (await b!.read()).value);
  // Data on several keys before blocking: the first key in argument order.
  await p!.call("RPUSH", "k3", "three");
  await p!.call("RPUSH", "k2", "two");
  out.push(await a!.call("BLPOP", "k1", "k2", "k3", "0"));
  out.push(await a!.call("BLPOP", "k1", "k3", "k2", "0"));
  // A push of another type does not serve; a later list push does.
  await send(a!, "BLPOP", "k9", "0");
  await waitBlocked(p!, 1);
  out.push(await p!.call("SET", "k9", "str"), await blockedCount(p!));
  out.push(await p!.call("DEL", "k9"), await p!.call("LPUSH", "k9", "v"));
  out.push((await a!.read()).value);
  for (const x of [a, b, p]) x!.close();
  return out;
});

scenarioTest("BLMOVE chain: a served move wakes the next waiter", async (port) => {
  const [a, b, c, p] = await clients(port, 4);
  const out: Reply[] = [];
  await send(a!, "BLMOVE", "q1", "q2", "LEFT", "RIGHT", "0");
  await send(b!, "BRPOPLPUSH", "q2", "q3", "0");
  await send(c!, "BLPOP", "q3", "0");
  await waitBlocked(p!, 3);
  out.push(await p!.call("RPUSH", "q1", "v"));
  out.push((await a!.read()).value, (await b!.read()).value, (await c!.read()).value);
  out.push(await p!.call("EXISTS", "q1", "q2", "q3"), await blockedCount(p!));
  // BLMOVE onto its own source, with another client waiting on it.
  await send(a!, "BLMOVE", "r", "r", "RIGHT", "LEFT", "0");
  await send(b!, "BLPOP", "r", "0");
  await waitBlocked(p!, 2);
  out.push(await p!.call("RPUSH", "r", "x", "y"));
  out.push((await a!.read()).value, (await b!.read()).value);
  out.push(await p!.call("LRANGE", "r", "0", "-1"));
  // A served move whose destination holds another type: WRONGTYPE, no pop.
  await p!.call("SET", "dst", "s");
  await send(a!, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0");
  await waitBlocked(p!, 1);
  out.push(await p!.call("RPUSH", "src", "e"));
  out.push((await a!.read()).value, await p!.call("LRANGE", "src", "0", "-1"));
  for (const x of [a, b, c, p]) x!.close();
  return out;
});

scenarioTest("timeouts in RESP2 and RESP3", async (port) => {
  const [a] = await clients(port, 1);
  const out: Reply[] = [];
  for (
    const argv of [
      ["BLPOP", "n", "0.05"],
      ["BRPOP", "n", "m", "0.05"],
      ["BLMOVE", "n", "d", "LEFT", "LEFT", "0.05"],
      ["BRPOPLPUSH", "n", "d", "0.05"],
      ["BLMPOP", "0.05", "1", "n", "LEFT"],
    ]
  ) {
    out.push(await a!.command(...argv));
  }
  await a!.call("HELLO", "3");
  out.push(await a!.command("BLPOP", "n", "0.05"));
  out.push(await a!.command("BLMOVE", "n", "d", "LEFT", "LEFT", "0.05"));
  a!.close();
  return out;
});

Deno.test({
  name: "blocking: unblocked by another client's push; timeout honoured",
  ...opts,
  async fn() {
    const s = await startRespite();
    const [a, p] = await clients(s.port, 2);
    try {
      await a!.write(
        new Uint8Array([...encodeCommand(["BLPOP", "q", "0"]), ...encodeCommand(["PING"])]),
      );
      await waitBlocked(p!, 1);
      assertEquals(await p!.call("LPUSH", "q", "x"), 1);
      assertEquals((await a!.read()).value, ["q", "x"]);
      // The command pipelined behind the blocked one runs after it.
      assertEquals((await a!.read()).value, "PONG");
      const t0 = Date.now();
      assertEquals(await a!.command("BRPOP", "q", "0.2"), "*-1\r\n");
      const took = Date.now() - t0;
      assertEquals(took >= 190 && took < 1500, true, `took ${took} ms`);
      assertEquals(await blockedCount(p!), 0);
    } finally {
      a!.close();
      p!.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "blocking: a client that disconnects while blocked swallows nothing",
  ...opts,
  async fn() {
    const s = await startRespite();
    const [gone, a, p] = await clients(s.port, 3);
    try {
      await send(gone!, "BLPOP", "q", "0");
      await waitBlocked(p!, 1);
      gone!.close();
      await waitBlocked(p!, 0);
      await send(a!, "BLPOP", "q", "0");
      await waitBlocked(p!, 1);
      assertEquals(await p!.call("RPUSH", "q", "first", "second"), 2);
      assertEquals((await a!.read()).value, ["q", "first"]);
      assertEquals(await p!.call("LRANGE", "q", "0", "-1"), ["second"]);
    } finally {
      a!.close();
      p!.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "blocking: CLIENT UNBLOCK and INFO blocked_clients",
  ...opts,
  async fn() {
    const s = await startRespite();
    const [a, p] = await clients(s.port, 2);
    try {
      const id = String(await a!.call("CLIENT", "ID"));
      await send(a!, "BLMOVE", "q", "d", "LEFT", "LEFT", "0");
      await waitBlocked(p!, 1);
      assertEquals(await p!.call("CLIENT", "UNBLOCK", id), 1);
      assertEquals((await a!.read()).raw, "*-1\r\n");
      await send(a!, "BLMPOP", "0", "2", "q", "r", "LEFT");
      await waitBlocked(p!, 1);
      assertEquals(await p!.call("CLIENT", "UNBLOCK", id, "ERROR"), 1);
      assertEquals((await a!.read()).value, {
        error: "UNBLOCKED client unblocked via CLIENT UNBLOCK",
      });
      assertEquals(await p!.call("CLIENT", "UNBLOCK", id), 0);
      assertEquals(await blockedCount(p!), 0);
      // The unblocked client is usable, and a push now stays in the list.
      assertEquals(await p!.call("RPUSH", "q", "v"), 1);
      assertEquals(await a!.call("LPOP", "q"), "v");
    } finally {
      a!.close();
      p!.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "blocking: 500 clients blocked at once are all served, in order",
  ...opts,
  async fn() {
    const s = await startRespite();
    const cs = await clients(s.port, 500);
    const p = await RawClient.connect(s.port);
    try {
      // Block them one by one so the queue order is known.
      for (let i = 0; i < cs.length; i++) {
        await send(cs[i]!, i % 2 ? "BRPOP" : "BLPOP", "q", "0");
        if (i % 50 === 49) await waitBlocked(p, i + 1);
      }
      await waitBlocked(p, 500);
      const items = Array.from({ length: 500 }, (_, i) => `v${i}`);
      // One push per element, so each waiter's share is determined.
      for (const it of items) await p.call("RPUSH", "q", it);
      const got = await Promise.all(cs.map(async (c) => (await c.read()).value));
      assertEquals(got, items.map((v) => ["q", v]));
      assertEquals(await blockedCount(p), 0);
      assertEquals(await p.call("EXISTS", "q"), 0);
    } finally {
      for (const c of [...cs, p]) c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "blocking: a served pop is propagated as the pop that happened",
  ...opts,
  async fn() {
    const { plugin: capture, propagated: prop } = captureWrites();
    const s = await startRespite({ plugins: [capture] });
    const [a, b, c, d, p] = await clients(s.port, 5);
    try {
      await send(a!, "BLPOP", "x", "q", "0");
      await send(b!, "BRPOP", "q", "0");
      await send(c!, "BLMPOP", "0", "1", "q", "RIGHT", "COUNT", "3");
      await waitBlocked(p!, 3);
      prop.length = 0;
      assertEquals(await p!.call("RPUSH", "q", "1", "2", "3", "4"), 4);
      assertEquals((await a!.read()).value, ["q", "1"]);
      assertEquals((await b!.read()).value, ["q", "4"]);
      assertEquals((await c!.read()).value, ["q", ["3", "2"]]);
      assertEquals(prop, [
        ["RPUSH", "q", "1", "2", "3", "4"],
        ["LPOP", "q"],
        ["RPOP", "q"],
        ["RPOP", "q", "2"],
      ]);
      // A chain: BLMOVE then BRPOPLPUSH then BLPOP, all from one push.
      await send(a!, "BLMOVE", "m1", "m2", "left", "RIGHT", "0");
      await send(b!, "BRPOPLPUSH", "m2", "m3", "0");
      await send(d!, "BLPOP", "m3", "0");
      await waitBlocked(p!, 3);
      prop.length = 0;
      assertEquals(await p!.call("LPUSH", "m1", "v"), 1);
      assertEquals((await a!.read()).value, "v");
      assertEquals((await b!.read()).value, "v");
      assertEquals((await d!.read()).value, ["m3", "v"]);
      assertEquals(prop, [
        ["LPUSH", "m1", "v"],
        ["LMOVE", "m1", "m2", "left", "RIGHT"],
        ["RPOPLPUSH", "m2", "m3"],
        ["LPOP", "m3"],
      ]);
      // A timeout propagates nothing.
      prop.length = 0;
      assertEquals(await a!.command("BLPOP", "none", "0.02"), "*-1\r\n");
      assertEquals(prop, []);
    } finally {
      for (const x of [a, b, c, d, p]) x!.close();
      await s.close();
    }
  },
});

/** `rdb_changes_since_last_save`: Redis's change counter. */
async function dirty(c: RawClient): Promise<number> {
  const info = await c.call("INFO", "persistence") as string;
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)![1]);
}

// Redis counts no change when it serves a woken BLPOP, BRPOP, BLMOVE or
// BRPOPLPUSH (the write that woke it counts), BLMPOP's and BZMPOP's popped
// elements, one for BZPOPMIN, and for XREADGROUP only the consumer it
// creates; the same reads served at once count as their non-blocking twins.
scenarioTest("change counts of the clients a write serves, every blocking family", async (
  port,
) => {
  const [w, p] = await clients(port, 2);
  const out: Reply[] = [];
  const cases: [string[][], string[], string[]][] = [
    [[], ["BLPOP", "q", "0"], ["RPUSH", "q", "a", "b", "c"]],
    [[], ["BRPOP", "q", "0"], ["RPUSH", "q", "a", "b"]],
    [[], ["BLMOVE", "q", "d", "LEFT", "LEFT", "0"], ["RPUSH", "q", "a"]],
    [[], ["BRPOPLPUSH", "q", "d", "0"], ["RPUSH", "q", "a", "b"]],
    [[], ["BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5"], ["RPUSH", "q", "a", "b", "c"]],
    [[], ["BZPOPMIN", "z", "0"], ["ZADD", "z", "1", "a", "2", "b"]],
    [[], ["BZMPOP", "0", "1", "z", "MAX", "COUNT", "5"], ["ZADD", "z", "1", "a", "2", "b"]],
    [
      [["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]],
      ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"],
      ["XADD", "s", "1-1", "f", "v"],
    ],
    [
      [["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]],
      ["XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">"],
      ["XADD", "s", "1-1", "f", "v"],
    ],
    [[], ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], ["XADD", "s", "1-1", "f", "v"]],
  ];
  for (const [setup, block, write] of cases) {
    await p!.call("FLUSHALL");
    for (const argv of setup) await p!.call(...argv);
    await send(w!, ...block);
    await waitBlocked(p!, 1);
    const before = await dirty(p!);
    out.push(await p!.call(...write), (await w!.read()).value, (await dirty(p!)) - before);
  }
  for (const x of [w, p]) x!.close();
  return out;
});
