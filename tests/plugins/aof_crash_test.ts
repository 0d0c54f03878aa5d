/**
 * Crash tests: a Respite process (main.ts) killed with SIGKILL under a
 * write load. With `appendfsync always` no acknowledged write is lost;
 * with `everysec` at most about a second of them. A rewrite killed midway
 * leaves the previous AOF loadable.
 */

import { assertEquals, assertOk } from "../_assert.ts";
import { RawClient, sleep, spawnServer, startRespite } from "../_helpers.ts";

/** main.ts with AOF on in `dir`, which `stop` keeps: the crash's AOF is loaded from it. */
function spawnRespite(dir: string, extra: string[]) {
  return spawnServer("respite", ["--appendonly", "yes", ...extra], { dir });
}

interface Ack {
  value: number;
  at: number;
}

/** Clients each INCR their own key until stopped, recording every ack. */
async function writeLoad(port: number, clients: number, until: () => boolean): Promise<Ack[][]> {
  const acks: Ack[][] = Array.from({ length: clients }, () => []);
  await Promise.all(acks.map(async (mine, i) => {
    const c = await RawClient.connect(port);
    try {
      while (!until()) {
        const v = await c.call("INCR", `k${i}`);
        mine.push({ value: Number(v), at: performance.now() });
      }
    } catch {
      /* killed: the connection drops */
    } finally {
      c.close();
    }
  }));
  return acks;
}

async function reload(dir: string, clients: number): Promise<number[]> {
  const r = await startRespite({ config: { appendonly: "yes", dir } });
  const c = await RawClient.connect(r.port);
  const out: number[] = [];
  for (let i = 0; i < clients; i++) out.push(Number(await c.call("GET", `k${i}`) ?? 0));
  c.close();
  await r.close();
  return out;
}

async function crash(
  policy: string,
): Promise<{ acks: Ack[][]; after: number[]; killedAt: number }> {
  const dir = await Deno.makeTempDir({ prefix: "respite-aof-crash-" });
  try {
    const p = await spawnRespite(dir, ["--appendfsync", policy]);
    let killedAt = 0;
    const t0 = performance.now();
    const load = writeLoad(p.port, 4, () => killedAt !== 0);
    while (performance.now() - t0 < 1500) await sleep(50);
    killedAt = performance.now();
    await p.stop(); // SIGKILL: the crash
    const acks = await load;
    const after = await reload(dir, 4);
    return { acks, after, killedAt };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "aof crash: appendfsync always loses no acknowledged write",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { acks, after } = await crash("always");
    for (let i = 0; i < acks.length; i++) {
      const last = acks[i]!.at(-1)?.value ?? 0;
      assertOk(last > 10, `client ${i} made progress (${last})`);
      // Everything acknowledged is there; at most the one write in flight more.
      assertOk(
        after[i]! >= last && after[i]! <= last + 1,
        `k${i}: acked ${last}, loaded ${after[i]}`,
      );
    }
  },
});

Deno.test({
  name: "aof crash: appendfsync everysec loses at most about a second of writes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { acks, after, killedAt } = await crash("everysec");
    for (let i = 0; i < acks.length; i++) {
      const mine = acks[i]!;
      const last = mine.at(-1)?.value ?? 0;
      const safe = mine.filter((a) => a.at < killedAt - 1500).at(-1)?.value ?? 0;
      assertOk(last > 10, `client ${i} made progress (${last})`);
      assertOk(
        after[i]! >= safe && after[i]! <= last + 1,
        `k${i}: acked ${last}, loaded ${after[i]}`,
      );
    }
  },
});

Deno.test({
  name: "aof crash: a rewrite killed midway leaves the previous AOF loadable",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-aof-crash-" });
    try {
      const p = await spawnRespite(dir, ["--appendfsync", "always"]);
      const c = await RawClient.connect(p.port);
      // A pipeline of 20k writes, then a rewrite killed at once.
      let batch = "";
      for (let i = 0; i < 20000; i++) {
        const k = `key:${i}`, v = `value:${i}`;
        batch += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
      }
      await c.write(batch);
      for (let i = 0; i < 20000; i++) await c.read();
      assertEquals(await c.call("BGREWRITEAOF"), "Background append only file rewriting started");
      await p.stop(); // SIGKILL, with the rewrite under way
      c.close();
      const r = await startRespite({ config: { appendonly: "yes", dir } });
      const c2 = await RawClient.connect(r.port);
      assertEquals(await c2.call("DBSIZE"), 20000);
      assertEquals(await c2.call("GET", "key:19999"), "value:19999");
      c2.close();
      await r.close();
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
