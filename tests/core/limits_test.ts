/**
 * Server limits over TCP, against Respite and (where it applies) the real
 * redis-server started with the same directives: proto-max-bulk-len,
 * client-query-buffer-limit, maxclients, timeout, client-output-buffer-limit
 * and slow readers.
 */

import type { ServerHandle } from "../../mod.ts";
import {
  hasRedis,
  RawClient,
  type RealRedis,
  sleep,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/**
 * Runs `fn` against Respite started with `config`, then against a real
 * redis-server started with the same directives (when installed).
 */
async function both(
  config: Record<string, string>,
  fn: (port: number, respite: ServerHandle | undefined) => Promise<void>,
): Promise<void> {
  const s = await startRespite({ config });
  try {
    await fn(s.port, s);
  } finally {
    await s.close();
  }
  if (!hasRedis) return;
  const args = Object.entries(config).flatMap(([k, v]) => [`--${k}`, v]);
  const r: RealRedis = await startRealRedis(args);
  try {
    await fn(r.port, undefined);
  } finally {
    await r.stop();
  }
}

/** Reads until EOF (or `ms`); returns the byte count and whether it closed. */
async function drain(
  c: RawClient,
  ms: number,
  maxBytes = Infinity,
): Promise<{ n: number; closed: boolean }> {
  const buf = new Uint8Array(1 << 20);
  const deadline = Date.now() + ms;
  let n = 0;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || n >= maxBytes) return { n, closed: false };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        c.conn.read(buf),
        new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), left))),
      ]).finally(() => clearTimeout(timer));
      if (r === "timeout") return { n, closed: false };
      if (r === null) return { n, closed: true };
      n += r;
    }
  } catch {
    return { n, closed: true };
  }
}

/** Writes, ignoring a reset from a server that already closed. */
async function tryWrite(c: RawClient, data: string | Uint8Array): Promise<boolean> {
  try {
    await c.write(data);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "limits: proto-max-bulk-len refuses a larger bulk",
  ...opts,
  async fn() {
    await both({ "proto-max-bulk-len": "1mb" }, async (port) => {
      const ok = await RawClient.connect(port);
      // Exactly the limit is accepted.
      const value = "v".repeat(1024 * 1024);
      assertEquals(await ok.command("SET", "k", value), "+OK\r\n");
      const bad = await RawClient.connect(port);
      await bad.write("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n");
      assertEquals((await bad.read()).raw, "-ERR Protocol error: invalid bulk length\r\n");
      assertOk(await bad.closedWithin(2000));
      assertEquals(await ok.command("STRLEN", "k").catch(() => ""), ":1048576\r\n");
      ok.close();
      bad.close();
    });
  },
});

Deno.test({
  name: "limits: client-query-buffer-limit closes silently on an oversized request",
  ...opts,
  async fn() {
    await both({ "client-query-buffer-limit": "1mb" }, async (port) => {
      const other = await RawClient.connect(port);
      const c = await RawClient.connect(port);
      // A 2 MB bulk (allowed by proto-max-bulk-len), sent without its end.
      await tryWrite(c, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n");
      await tryWrite(c, new Uint8Array(1536 * 1024).fill(120));
      const r = await drain(c, 3000);
      assertEquals(r, { n: 0, closed: true });
      assertEquals(await other.command("PING"), "+PONG\r\n");
      assertEquals(await other.command("GET", "k"), "$-1\r\n");
      // Below the limit, a big value and then more than the limit's worth
      // of complete pipelined commands in one write are all served.
      assertEquals(await other.command("SET", "k", "x".repeat(900_000)), "+OK\r\n");
      const n = 60_000;
      await other.write("PING\r\n".repeat(n));
      const got = await drain(other, 5000, 7 * n);
      assertEquals(got, { n: 7 * n, closed: false });
      other.close();
      c.close();
    });
  },
});

Deno.test({
  name: "limits: maxclients refuses the next connection with Redis's error",
  ...opts,
  async fn() {
    await both({ maxclients: "2" }, async (port, respite) => {
      await sleep(50); // let the server see the start-up probe's close
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      assertEquals(await a.command("PING"), "+PONG\r\n");
      assertEquals(await b.command("PING"), "+PONG\r\n");
      const before = respite?.server.stats.totalConnections;
      const c = await RawClient.connect(port);
      assertEquals((await c.read()).raw, "-ERR max number of clients reached\r\n");
      assertOk(await c.closedWithin(2000));
      if (respite) {
        assertEquals(respite.server.stats.rejectedConnections, 1);
        assertEquals(respite.server.stats.totalConnections, before);
      }
      assertEquals(await a.command("SET", "k", "1"), "+OK\r\n");
      assertEquals(await b.command("GET", "k"), "$1\r\n1\r\n");
      // A freed slot can be taken again.
      a.close();
      await sleep(100);
      const d = await RawClient.connect(port);
      assertEquals(await d.command("PING"), "+PONG\r\n");
      b.close();
      c.close();
      d.close();
    });
  },
});

Deno.test({
  name: "limits: timeout closes idle clients only",
  ...opts,
  async fn() {
    await both({ timeout: "1" }, async (port) => {
      const idle = await RawClient.connect(port);
      const busy = await RawClient.connect(port);
      assertEquals(await idle.command("PING"), "+PONG\r\n");
      const t0 = Date.now();
      let done = false;
      const closed = idle.closedWithin(4000).finally(() => (done = true));
      for (let i = 0; i < 12 && !done; i++) {
        await sleep(250);
        assertEquals(await busy.command("PING"), "+PONG\r\n");
      }
      assertOk(await closed, "idle client still open");
      const waited = Date.now() - t0;
      assertOk(waited >= 900, `closed after ${waited} ms`);
      assertEquals(await busy.command("PING"), "+PONG\r\n");
      idle.close();
      busy.close();
    });
  },
});

const MB = 1024 * 1024;

/** Sets `big` to a 1 MB value through `c`. */
async function setBig(c: RawClient): Promise<void> {
  assertEquals(await c.command("SET", "big", "b".repeat(MB)), "+OK\r\n");
}

const GET_BIG = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
const REPLY_BIG = `$${MB}\r\n`.length + MB + 2;

Deno.test({
  name: "limits: timeout spares a client that keeps receiving a long reply",
  ...opts,
  async fn() {
    await both({ timeout: "1" }, async (port) => {
      const other = await RawClient.connect(port);
      await setBig(other);
      other.close();
      const slow = await RawClient.connect(port);
      const n = 24;
      await slow.write(GET_BIG.repeat(n));
      // Read 256 KB every 40 ms: the replies take well over the 1 s
      // timeout to go out, and every write that makes progress counts as
      // interaction, so the client stays.
      const buf = new Uint8Array(256 * 1024);
      let got = 0;
      const t0 = Date.now();
      while (got < n * REPLY_BIG) {
        const r = await slow.conn.read(buf);
        assertOk(r !== null, `closed after ${got} bytes, ${Date.now() - t0} ms`);
        got += r;
        await sleep(40);
      }
      // (No command after: the last bytes came from the kernel's buffers,
      // long after the server's last write, so the client may be idle by
      // now, in Redis too.)
      assertOk(Date.now() - t0 > 1500, `all read in ${Date.now() - t0} ms`);
      slow.close();
    });
  },
});

Deno.test({
  name: "limits: a client that does not read stalls only itself",
  ...opts,
  async fn() {
    await both({}, async (port) => {
      const other = await RawClient.connect(port);
      await setBig(other);
      const slow = await RawClient.connect(port);
      const n = 40;
      await slow.write(GET_BIG.repeat(n));
      await sleep(200);
      for (let i = 0; i < 5; i++) {
        const t0 = Date.now();
        assertEquals(await other.command("PING"), "+PONG\r\n");
        assertOk(Date.now() - t0 < 500, "another client waited");
      }
      // Without a limit, nothing is lost: every reply arrives, in full.
      const r = await drain(slow, 10_000, n * REPLY_BIG);
      assertEquals(r, { n: n * REPLY_BIG, closed: false });
      assertEquals(await slow.command("PING"), "+PONG\r\n");
      other.close();
      slow.close();
    });
  },
});

Deno.test({
  name: "limits: client-output-buffer-limit disconnects a client that does not read",
  ...opts,
  async fn() {
    await both({ "client-output-buffer-limit": "normal 4mb 2mb 1" }, async (port, respite) => {
      const other = await RawClient.connect(port);
      await setBig(other);
      // All at once: over the hard limit within the batch.
      const burst = await RawClient.connect(port);
      await burst.write(GET_BIG.repeat(40));
      // Trickled: each request alone is small; the output piles up.
      const trickle = await RawClient.connect(port);
      for (let i = 0; i < 30; i++) {
        if (!await tryWrite(trickle, GET_BIG)) break;
        await sleep(20);
      }
      await sleep(300);
      assertEquals(await other.command("PING"), "+PONG\r\n");
      if (respite) assertEquals(respite.server.clients.size, 1);
      for (const c of [burst, trickle]) {
        const r = await drain(c, 3000);
        assertOk(r.closed, "not disconnected");
        assertOk(r.n < 20 * REPLY_BIG, `received ${r.n} bytes`);
        c.close();
      }
      // A client that reads keeps working under the same limit.
      for (let i = 0; i < 3; i++) {
        await other.write(GET_BIG);
        assertEquals(await drain(other, 3000, REPLY_BIG), { n: REPLY_BIG, closed: false });
      }
      assertEquals(await other.command("PING"), "+PONG\r\n");
      other.close();
    });
  },
});

Deno.test({
  name: "limits: the soft output limit disconnects after its seconds",
  ...opts,
  async fn() {
    await both({ "client-output-buffer-limit": "normal 0 2mb 1" }, async (port, respite) => {
      const other = await RawClient.connect(port);
      await setBig(other);
      const slow = await RawClient.connect(port);
      const t0 = Date.now();
      await slow.write(GET_BIG.repeat(30));
      await sleep(1300);
      // Respite's cron notices on its own. Redis checks only when more
      // output is added, counting whole seconds (elapsed > 1 means 2 s).
      if (respite) assertEquals(respite.server.clients.size, 1);
      else await sleep(1000);
      await tryWrite(slow, GET_BIG);
      await sleep(200);
      assertEquals(await other.command("PING"), "+PONG\r\n");
      const r = await drain(slow, 3000);
      assertOk(r.closed, `not disconnected: ${JSON.stringify(r)}`);
      assertOk(r.n < 30 * REPLY_BIG, `received ${r.n} bytes`);
      assertOk(Date.now() - t0 >= 1000);
      other.close();
      slow.close();
    });
  },
});
