/**
 * Pub/sub under load: 100k messages to 50 subscribers (some through
 * patterns) arrive once each, in order; and a subscriber that never reads
 * is disconnected by `client-output-buffer-limit pubsub` while the others
 * keep receiving.
 *
 * @module
 */

import { startRespite } from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

const te = new TextEncoder();

function command(argv: readonly string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/**
 * Streams RESP arrays of bulk strings (pub/sub frames) off a socket without
 * building strings: confirmations are counted, and each message's payload
 * (a decimal sequence number) must be the next one expected.
 */
class Subscriber {
  confirmations = 0;
  next = 0;
  bytes = 0;
  error: string | undefined;
  #pending = new Uint8Array(0);
  #done: Promise<void> | undefined;

  constructor(readonly conn: Deno.TcpConn, readonly name: string) {}

  /** Reads until EOF or until `until()` holds, in the background. */
  start(until: () => boolean): void {
    this.#done = (async () => {
      const chunk = new Uint8Array(256 * 1024);
      try {
        while (!until()) {
          const n = await this.conn.read(chunk);
          if (n === null) break;
          this.bytes += n;
          this.#feed(chunk.subarray(0, n));
        }
      } catch (e) {
        this.error ??= `read failed: ${e}`;
      }
    })();
  }

  finished(): Promise<void> {
    return this.#done ?? Promise.resolve();
  }

  #feed(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.#pending.length !== 0) {
      buf = new Uint8Array(this.#pending.length + chunk.length);
      buf.set(this.#pending);
      buf.set(chunk, this.#pending.length);
    }
    let p = 0;
    for (;;) {
      const end = this.#frame(buf, p);
      if (end < 0) break;
      p = end;
    }
    this.#pending = buf.slice(p);
  }

  /** Parses one frame at `p`; returns its end, or -1 when incomplete. */
  #frame(buf: Uint8Array, p: number): number {
    const len = buf.length;
    if (p >= len) return -1;
    if (buf[p] !== 42) {
      this.error ??= `${this.name}: unexpected byte ${buf[p]} at frame start`;
      return -1;
    }
    let q = p + 1;
    let n = 0;
    while (q < len && buf[q] !== 13) n = n * 10 + buf[q++]! - 48;
    q += 2;
    let hasInteger = false, lastStart = 0, lastLen = 0;
    for (let i = 0; i < n; i++) {
      if (q >= len) return -1;
      const type = buf[q++];
      let m = 0;
      while (q < len && buf[q] !== 13) m = m * 10 + buf[q++]! - 48;
      q += 2;
      if (q > len) return -1;
      if (type === 58) {
        hasInteger = true; // the count in a (p)subscribe confirmation
        continue;
      }
      if (q + m + 2 > len) return -1;
      lastStart = q;
      lastLen = m;
      q += m + 2;
    }
    if (!hasInteger) {
      // A message: its payload starts with its sequence number (a big
      // payload pads the number with "x"s).
      let v = 0;
      for (let i = 0; i < lastLen; i++) {
        const d = buf[lastStart + i]! - 48;
        if (d < 0 || d > 9) break;
        v = v * 10 + d;
      }
      if (v !== this.next) this.error ??= `${this.name}: got ${v}, expected ${this.next}`;
      this.next++;
    } else {
      this.confirmations++;
    }
    return q;
  }
}

/** Reads exactly `n` bytes. */
async function readExactly(conn: Deno.TcpConn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const got = await conn.read(out.subarray(off));
    if (got === null) throw new Error("connection closed");
    off += got;
  }
  return out;
}

Deno.test({
  name: "pubsub load: 100k messages to 50 subscribers arrive once, in order",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const TOTAL = 100_000;
    const SUBSCRIBERS = 50;
    const BATCH = 1000;
    const LIMIT_MS = 60_000;
    const s = await startRespite();
    const subs: Subscriber[] = [];
    const t0 = performance.now();
    try {
      // 35 subscribe to the channel; 15 through three different patterns.
      const patterns = ["load:*", "load:ch?nnel", "l*l"];
      for (let i = 0; i < SUBSCRIBERS; i++) {
        const conn = await Deno.connect({ port: s.port, hostname: "127.0.0.1" });
        const sub = new Subscriber(conn, `sub${i}`);
        const argv = i < 35 ? ["SUBSCRIBE", "load:channel"] : ["PSUBSCRIBE", patterns[i % 3]!];
        await conn.write(te.encode(command(argv)));
        sub.start(() => sub.next >= TOTAL || sub.error !== undefined);
        subs.push(sub);
      }
      while (subs.some((x) => x.confirmations === 0)) await new Promise((r) => setTimeout(r, 5));

      const pub = await Deno.connect({ port: s.port, hostname: "127.0.0.1" });
      const expected = `:${SUBSCRIBERS}\r\n`;
      try {
        for (let base = 0; base < TOTAL; base += BATCH) {
          let batch = "";
          for (let i = base; i < base + BATCH; i++) {
            batch += command(["PUBLISH", "load:channel", String(i)]);
          }
          await pub.write(te.encode(batch));
          const replies = new TextDecoder().decode(
            await readExactly(pub, expected.length * BATCH),
          );
          assertEquals(replies, expected.repeat(BATCH), `receivers of batch at ${base}`);
          assertOk(performance.now() - t0 < LIMIT_MS, "publishing took too long");
        }
      } finally {
        pub.close();
      }
      const deadline = new Promise<"timeout">((r) =>
        setTimeout(() => r("timeout"), Math.max(1, LIMIT_MS - (performance.now() - t0)))
      );
      const outcome = await Promise.race([
        Promise.all(subs.map((x) => x.finished())).then(() => "done" as const),
        deadline,
      ]);
      assertEquals(outcome, "done", "subscribers did not receive everything in time");
      for (const x of subs) {
        assertEquals(x.error, undefined);
        assertEquals(x.next, TOTAL, `${x.name} message count`);
        assertEquals(x.confirmations, 1);
      }
      const ms = performance.now() - t0;
      const mb = subs.reduce((a, x) => a + x.bytes, 0) / 1e6;
      console.log(
        `  ${TOTAL} messages x ${SUBSCRIBERS} subscribers (${mb.toFixed(0)} MB) in ${
          ms.toFixed(0)
        } ms`,
      );
    } finally {
      for (const x of subs) {
        try {
          x.conn.close();
        } catch { /* closed */ }
      }
      await s.close();
    }
  },
});

Deno.test({
  name: "pubsub load: the output buffer limit disconnects only the slow subscriber",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const logs: string[] = [];
    const s = await startRespite({
      config: { "client-output-buffer-limit": "pubsub 1mb 512kb 1" },
      logger: (line) => logs.push(line),
    });
    const COUNT = 400;
    const payload = "x".repeat(64 * 1024);
    const slow = await Deno.connect({ port: s.port, hostname: "127.0.0.1" });
    const fastConn = await Deno.connect({ port: s.port, hostname: "127.0.0.1" });
    const pub = await Deno.connect({ port: s.port, hostname: "127.0.0.1" });
    const fast = new Subscriber(fastConn, "fast");
    try {
      await slow.write(te.encode(command(["SUBSCRIBE", "big"])));
      await readExactly(slow, "*3\r\n$9\r\nsubscribe\r\n$3\r\nbig\r\n:1\r\n".length);
      await fastConn.write(te.encode(command(["PSUBSCRIBE", "b*"])));
      fast.start(() => fast.error !== undefined);
      while (fast.confirmations === 0) await new Promise((r) => setTimeout(r, 5));

      // 25 MB in all: more than the slow client's socket buffers can absorb.
      // Small batches keep the fast reader under the soft limit.
      let receivers = "";
      for (let i = 0; i < COUNT; i += 4) {
        let batch = "";
        for (let j = i; j < i + 4; j++) {
          batch += command(["PUBLISH", "big", String(j).padStart(6, "0") + payload]);
        }
        await pub.write(te.encode(batch));
        receivers += new TextDecoder().decode(await readExactly(pub, 4 * 4));
      }
      // The slow client was counted until it was dropped, then not any more.
      assertOk(receivers.startsWith(":2\r\n"));
      assertOk(receivers.endsWith(":1\r\n"));

      // Without reading anything, the slow client finds its socket closed.
      const buf = new Uint8Array(1 << 20);
      let closed = false;
      for (;;) {
        const n = await slow.read(buf).catch(() => null);
        if (n === null) {
          closed = true;
          break;
        }
      }
      assertOk(closed);
      assertOk(
        logs.some((l) => l.includes("closed for overcoming of output buffer limits")),
        "limit log line",
      );

      // The fast subscriber got every message, in order, and is still there.
      const t0 = performance.now();
      while (fast.next < COUNT && fast.error === undefined && performance.now() - t0 < 10_000) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assertEquals(fast.error, undefined);
      assertEquals(fast.next, COUNT);
      await pub.write(te.encode(command(["PUBSUB", "NUMPAT"])));
      assertEquals(new TextDecoder().decode(await readExactly(pub, 4)), ":1\r\n");
      await pub.write(te.encode(command(["PUBSUB", "NUMSUB", "big"])));
      const numsub = "*2\r\n$3\r\nbig\r\n:0\r\n";
      assertEquals(new TextDecoder().decode(await readExactly(pub, numsub.length)), numsub);
      assertEquals(s.server.clients.size, 2);
    } finally {
      for (const c of [slow, fastConn, pub]) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await s.close();
    }
  },
});
