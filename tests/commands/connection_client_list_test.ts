/**
 * CLIENT LIST's buffer fields against redis-server's in the same
 * situations (a small command, a big one still arriving, after it, a reply
 * the client does not read), CLIENT NO-EVICT across RESET, and client
 * eviction under `maxmemory-clients`.
 *
 * @module
 */

import {
  diffSession,
  encodeCommand,
  hasRedis,
  RawClient,
  sharedServers,
  sleep,
  startRealRedis,
  startRespite,
  until,
} from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

/** A CLIENT LIST line's fields. */
function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of line.trim().split(" ")) {
    const i = kv.indexOf("=");
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** The line of client `id` in CLIENT LIST. */
async function lineOf(c: RawClient, id: number): Promise<Record<string, string>> {
  const list = String(await c.call("CLIENT", "LIST", "ID", String(id)));
  return fields(list);
}

const n = (f: Record<string, string>, k: string) => Number(f[k]);

/** Observations of the buffer fields on one server. */
async function bufferScenario(port: number): Promise<Record<string, unknown>> {
  const a = await RawClient.connect(port);
  const b = await RawClient.connect(port);
  const slow = await RawClient.connect(port);
  const out: Record<string, unknown> = {};
  try {
    // The caller's own command is in its query buffer while it runs.
    const self = fields(String(await a.call("CLIENT", "INFO")));
    out.self = [self.qbuf, self["argv-mem"], self["multi-mem"], self.obl, self.oll, self.omem];
    out.selfEvents = self.events;
    // A reply makes the reply buffer's peak.
    const list = String(await a.call("CLIENT", "LIST"));
    out.peak = n(fields(String(await a.call("CLIENT", "INFO"))), "rbp") >= list.length;
    // In MULTI the queue holds memory.
    const aId = Number(await a.call("CLIENT", "ID"));
    await a.call("MULTI");
    await a.call("SET", "k", "v".repeat(100));
    const multi = await lineOf(b, aId);
    out.multi = [multi.multi, n(multi, "multi-mem") > 100, multi.flags];
    await a.call("DISCARD");
    // A big argument still arriving: the buffer holds it, sized for all of it.
    const bId = Number(await b.call("CLIENT", "ID"));
    await b.write("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$100000\r\n" + "y".repeat(50000));
    await until("50000 bytes held", async () => n(await lineOf(a, bId), "qbuf") === 50000);
    const half = await lineOf(a, bId);
    out.half = [half.qbuf, n(half, "qbuf") + n(half, "qbuf-free") >= 100000, half["argv-mem"]];
    await b.write("y".repeat(50000) + "\r\n");
    assertEquals((await b.read()).value, "OK");
    // Once done, the big buffer goes (Redis: at its next cron; Respite: at
    // the client's next read).
    await until("the big buffer to go", async () => {
      const f = await lineOf(a, bId);
      return n(f, "qbuf") + n(f, "qbuf-free") <= 20480;
    });
    out.after = (await lineOf(a, bId)).qbuf;
    // A client that does not read its replies: output piles up.
    await a.call("SET", "big", "z".repeat(1 << 20));
    const slowId = Number(await slow.call("CLIENT", "ID"));
    // Enough that no socket buffer can take it all; Redis installs its write
    // handler only once a write falls short, so wait for that too.
    for (let i = 0; i < 32; i++) await slow.write(encodeCommand(["GET", "big"]));
    await until("output to pile up", async () => {
      const l = await lineOf(a, slowId);
      return n(l, "omem") > 0 && l.events === "rw";
    });
    const piled = await lineOf(a, slowId);
    out.piled = [piled.events, n(piled, "oll") > 0, n(piled, "tot-mem") > n(piled, "omem")];
    return out;
  } finally {
    await a.call("DEL", "big").catch(() => {});
    a.close();
    b.close();
    slow.close();
  }
}

Deno.test({
  name: "CLIENT LIST: qbuf, argv-mem, multi-mem, rbp, omem and events as redis-server's",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    const ours = await bufferScenario(respite.port);
    assertEquals(ours.self, ["26", "10", "0", "0", "0", "0"]);
    assertEquals(ours.half, ["50000", true, "4"]);
    assertEquals(ours.after, "0");
    if (hasRedis) assertEquals(ours, await bufferScenario(redis!.port));
  },
});

diffSession("CLIENT NO-EVICT: its errors; it outlives RESET", [
  [0, "CLIENT", "NO-EVICT"],
  [0, "CLIENT", "NO-EVICT", "maybe"],
  [0, "CLIENT", "NO-EVICT", "on", "x"],
  [0, "CLIENT", "NO-EVICT", "ON"],
  [0, "RESET"],
  [0, "CLIENT", "NO-EVICT", "off"],
]);

Deno.test({
  name: "CLIENT NO-EVICT: the flag in CLIENT LIST, kept across RESET (as redis-server's)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    for (const port of [respite.port, ...(hasRedis ? [redis!.port] : [])]) {
      const c = await RawClient.connect(port);
      try {
        const flags = async () => fields(String(await c.call("CLIENT", "INFO"))).flags;
        assertEquals(await c.call("CLIENT", "NO-EVICT", "on"), "OK");
        assertEquals(await flags(), "e");
        await c.call("RESET");
        assertEquals(await flags(), "e");
        assertEquals(await c.call("CLIENT", "NO-EVICT", "off"), "OK");
        assertEquals(await flags(), "N");
      } finally {
        c.close();
      }
    }
  },
});

/** Client eviction on one server: which clients survive a big query buffer. */
async function evictionScenario(port: number): Promise<unknown[]> {
  const admin = await RawClient.connect(port);
  const kept = await RawClient.connect(port);
  const evicted = await RawClient.connect(port);
  try {
    await admin.call("CLIENT", "NO-EVICT", "on");
    assertEquals(await admin.call("CONFIG", "SET", "maxmemory-clients", "200kb"), "OK");
    const stat = async () =>
      Number(/evicted_clients:(\d+)/.exec(String(await admin.call("INFO", "stats")))![1]);
    const before = await stat();
    await kept.call("CLIENT", "NO-EVICT", "on");
    // Both start a 1 MB argument: their query buffers take it all.
    const header = "*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$1000000\r\n";
    await kept.write(header + "a".repeat(1000));
    await sleep(100);
    await evicted.write(header + "a".repeat(1000));
    const closed = await evicted.closedWithin(3000);
    await kept.write("a".repeat(999000) + "\r\n");
    const reply = (await kept.read()).value;
    return [closed, reply, (await stat()) - before];
  } finally {
    await admin.call("CONFIG", "SET", "maxmemory-clients", "0").catch(() => {});
    admin.close();
    kept.close();
    evicted.close();
  }
}

Deno.test({
  name: "maxmemory-clients: the biggest client goes, not one with NO-EVICT (as redis-server)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const real = hasRedis ? await startRealRedis() : undefined;
    try {
      const ours = await evictionScenario(s.port);
      assertEquals(ours, [true, "OK", 1]);
      if (real) assertEquals(await evictionScenario(real.port), ours);
      assertOk(true);
    } finally {
      await s.close();
      await real?.stop();
    }
  },
});
