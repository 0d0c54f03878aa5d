/**
 * Load: 2,000 concurrent connections against a `main.ts` subprocess, with
 * the limits configured small enough to be reached:
 *
 * - 1,000 clients send half a command and go idle (`timeout 3` closes them);
 * - 100 slow readers pipeline large GETs and never read
 *   (`client-output-buffer-limit normal 256kb 128kb 1` disconnects them);
 * - 100 subscribers never read while messages are published
 *   (`pubsub 1mb 512kb 1` disconnects them);
 * - 50 clients send 1.5 MB of one unfinished bulk
 *   (`client-query-buffer-limit 1mb` closes them);
 * - 5 fake replicas send PSYNC and never read the stream of writes
 *   (`replica 1mb 512kb 1` disconnects them);
 * - 745 pipelined writers run rounds of 50 SET/GET and check every reply;
 * - `maxclients` is exactly what is connected: one more is refused.
 *
 * A sentinel PINGs throughout (its worst latency is bounded) and the
 * server's RSS (from /proc) stays within a bound computed from the
 * configured limits. The test raises its own open-file limit with
 * `prlimit` when the soft limit is too low for 4,000+ sockets (both ends
 * live on this machine); it is skipped when the hard limit forbids it.
 *
 * @module
 */

import { assertEquals, assertOk } from "../_assert.ts";
import { encodeCommand, RawClient, sleep, startRespiteProc } from "../_helpers.ts";

const CONNS = 2000;
const IDLE = 1000, SLOW = 100, SUBS = 100, QBUF = 50, REPLICAS = 5;
const WRITERS = CONNS - IDLE - SLOW - SUBS - QBUF - REPLICAS;
const MB = 1024 * 1024;

/** Raises this process's soft open-file limit (children inherit it); returns the result. */
function ensureFdLimit(want: number): number {
  const run = (args: string[]) => {
    try {
      const o = new Deno.Command("prlimit", { args, stdout: "piped", stderr: "null" }).outputSync();
      return o.success ? new TextDecoder().decode(o.stdout).trim() : undefined;
    } catch {
      return undefined;
    }
  };
  const pid = String(Deno.pid);
  const cur = run(["--pid", pid, "--nofile", "--output", "SOFT,HARD", "--noheadings"]);
  if (cur === undefined) return 0;
  const [soft, hard] = cur.split(/\s+/).map((x) => x === "unlimited" ? Infinity : Number(x));
  if (soft! >= want) return soft!;
  const next = Math.min(want, hard!);
  run(["--pid", pid, `--nofile=${next}:${hard === Infinity ? "unlimited" : hard}`]);
  return next;
}

/** The process's RSS in bytes; 0 once it has exited (the test's own failure path kills it). */
function rssOf(pid: number): number {
  let status: string;
  try {
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return 0;
  }
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

const fdLimit = Deno.build.os === "linux" ? ensureFdLimit(8192) : 0;

async function connect(port: number): Promise<Deno.TcpConn> {
  for (let i = 0;; i++) {
    try {
      return await Deno.connect({ hostname: "127.0.0.1", port });
    } catch (e) {
      if (i > 50) throw e;
      await sleep(20);
    }
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<boolean> {
  try {
    let off = 0;
    while (off < data.length) off += await conn.write(data.subarray(off));
    return true;
  } catch {
    return false;
  }
}

/** Resolves true when the peer closes within `ms` (reading and dropping data). */
async function closesWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  const buf = new Uint8Array(65536);
  const deadline = Date.now() + ms;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    while (Date.now() < deadline) {
      const n = await Promise.race([
        conn.read(buf).catch(() => null),
        new Promise<"t">((r) => timer = setTimeout(() => r("t"), deadline - Date.now())),
      ]);
      clearTimeout(timer);
      if (n === null) return true;
      if (n === "t") return false;
    }
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) out.set(p, off), off += p.length;
  return out;
}

Deno.test({
  name: "load: 2,000 connections of slow readers, idle half-commands and pipelined writers",
  ignore: Deno.build.os !== "linux" || fdLimit < 4500,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const maxclients = CONNS + 2; // the load plus the sentinel and the publisher
    const proc = await startRespiteProc([
      ...["--maxclients", String(maxclients), "--timeout", "3"],
      "--client-output-buffer-limit",
      "normal 256kb 128kb 1 pubsub 1mb 512kb 1 replica 1mb 512kb 1",
      ...["--repl-diskless-sync-delay", "0", "--client-query-buffer-limit", "1mb"],
      ...["--logfile", "respite.log"], // in its dir, its working directory
    ]);
    const port = proc.port;
    const conns: Deno.TcpConn[] = [];
    try {
      const sentinel = await RawClient.connect(port);
      const pub = await RawClient.connect(port);
      assertEquals(await pub.call("SET", "big", "b".repeat(256 * 1024)), "OK");
      const baseline = rssOf(proc.pid);
      let maxRss = baseline, maxLatency = 0, pings = 0, done = false;
      const watch = (async () => {
        while (!done) {
          const t0 = performance.now();
          assertEquals(await sentinel.call("PING"), "PONG");
          maxLatency = Math.max(maxLatency, performance.now() - t0);
          pings++;
          maxRss = Math.max(maxRss, rssOf(proc.pid));
          await sleep(20);
        }
      })();

      // Open all 2,000, then check maxclients refuses one more.
      for (let i = 0; i < CONNS; i += 100) {
        conns.push(...await Promise.all(Array.from({ length: 100 }, () => connect(port))));
      }
      await sleep(200);
      const extra = await RawClient.connect(port);
      assertEquals((await extra.read()).raw, "-ERR max number of clients reached\r\n");
      extra.close();

      const idle = conns.slice(0, IDLE);
      const slow = conns.slice(IDLE, IDLE + SLOW);
      const subs = conns.slice(IDLE + SLOW, IDLE + SLOW + SUBS);
      const qbuf = conns.slice(IDLE + SLOW + SUBS, IDLE + SLOW + SUBS + QBUF);
      const replicas = conns.slice(IDLE + SLOW + SUBS + QBUF, IDLE + SLOW + SUBS + QBUF + REPLICAS);
      const writers = conns.slice(IDLE + SLOW + SUBS + QBUF + REPLICAS);
      assertEquals(writers.length, WRITERS);
      const readers = writers.map((c) => new ReaderOf(c));
      // The writers wait for their turn behind the heavy phases, which can
      // take longer than `timeout` on a loaded machine: they stay active.
      let keepAlive = true;
      const pinging = (async () => {
        const ping = encodeCommand(["PING"]);
        while (keepAlive) {
          await Promise.all(writers.map(async (c, w) => {
            assertOk(await writeAll(c, ping));
            assertEquals(await readers[w]!.line(), "+PONG");
          }));
          await sleep(500);
        }
      })();

      const t0 = Date.now();
      // Idle half-commands.
      const half = new TextEncoder().encode("*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$100\r\nabc");
      await Promise.all(idle.map((c) => writeAll(c, half)));
      // Subscribers that never read.
      const sub = encodeCommand(["SUBSCRIBE", "news"]);
      await Promise.all(subs.map((c) => writeAll(c, sub)));
      // Slow readers: 64 x 256 KB of replies asked for, none read.
      const gets = concat(Array.from({ length: 64 }, () => encodeCommand(["GET", "big"])));
      const slowWrites = Promise.all(slow.map((c) => writeAll(c, gets)));
      // Query buffer attackers: 1.5 MB of a bulk that never ends.
      const attack = concat([
        new TextEncoder().encode(`*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$${4 * MB}\r\n`),
        new Uint8Array(1.5 * MB).fill(120),
      ]);
      const attacks = Promise.all(qbuf.map((c) => writeAll(c, attack)));
      // Replicas that never read what the master streams to them.
      const psync = encodeCommand(["PSYNC", "?", "-1"]);
      await Promise.all(replicas.map((c) => writeAll(c, psync)));
      // Publish ~20 MB per subscriber.
      await sleep(100);
      const msg = "m".repeat(10_000);
      const publishes = concat(
        Array.from({ length: 100 }, () => encodeCommand(["PUBLISH", "news", msg])),
      );
      for (let r = 0; r < 20; r++) {
        await pub.write(publishes);
        for (let i = 0; i < 100; i++) await pub.read();
      }
      // And ~20 MB of writes for the replicas' stream.
      for (let r = 0; r < 80; r++) {
        assertEquals(await pub.call("SET", "big2", "c".repeat(256 * 1024)), "OK");
      }
      // Pipelined writers: rounds of 50 SET/GET, every reply checked.
      keepAlive = false;
      await pinging;
      let replies = 0;
      await Promise.all(writers.map(async (c, w) => {
        const rc = readers[w]!;
        for (let round = 0; round < 3; round++) {
          const parts: Uint8Array[] = [];
          for (let i = 0; i < 25; i++) {
            parts.push(encodeCommand(["SET", `w${w}:${i}`, `v${round}:${i}`]));
            parts.push(encodeCommand(["GET", `w${w}:${i}`]));
          }
          assertOk(await writeAll(c, concat(parts)));
          for (let i = 0; i < 25; i++) {
            assertEquals(await rc.line(), "+OK");
            assertEquals(await rc.line(), `$${`v${round}:${i}`.length}`);
            assertEquals(await rc.line(), `v${round}:${i}`);
            replies += 2;
          }
        }
      }));
      assertEquals(replies, WRITERS * 150);
      await slowWrites;
      await attacks;

      // Every limit closed its clients: output (normal, pub/sub), query buffer, timeout.
      const closed = async (cs: Deno.TcpConn[], ms: number) =>
        (await Promise.all(cs.map((c) => closesWithin(c, ms)))).filter(Boolean).length;
      assertEquals(await closed(qbuf, 5000), QBUF, "query buffer limit");
      assertEquals(await closed(slow, 5000), SLOW, "normal output buffer limit");
      assertEquals(await closed(subs, 5000), SUBS, "pubsub output buffer limit");
      assertEquals(await closed(replicas, 5000), REPLICAS, "replica output buffer limit");
      assertEquals(await closed(idle, 8000), IDLE, "timeout");
      const elapsed = Date.now() - t0;
      // The output-limit closes are the server's own (its log says so).
      const log = await Deno.readTextFile(`${proc.dir}/respite.log`);
      const limitCloses = log.split("closed for overcoming of output buffer limits").length - 1;
      assertEquals(limitCloses, SLOW + SUBS + REPLICAS);

      done = true;
      await watch;
      const info = await sentinel.call("INFO", "clients") as string;
      assertEquals(/connected_clients:(\d+)/.exec(info)![1], String(2 + WRITERS));
      // RSS bound from the configured limits: every client's buffers plus
      // what each limit lets a client hold before it is closed.
      const bound = baseline + CONNS * 64 * 1024 + SLOW * 256 * 1024 + SUBS * MB + QBUF * 2 * MB +
        REPLICAS * MB +
        128 * MB; // V8 heap slack (garbage between collections)
      assertOk(maxRss < bound, `max RSS ${maxRss >> 20} MB, bound ${bound >> 20} MB`);
      assertOk(pings > 20, `${pings} pings`);
      // A liveness bound, not a speed target: 160-350 ms is usual on the 2-core
      // machine, 772 was seen once while its host slowed every process about
      // 2x; a client that stalled the loop would hold it for seconds.
      assertOk(maxLatency < 1500, `sentinel PING took up to ${maxLatency.toFixed(0)} ms`);
      console.log(
        `  ${CONNS} conns: RSS ${baseline >> 20} -> max ${maxRss >> 20} MB (bound ${
          bound >> 20
        }), sentinel ${pings} PINGs max ${maxLatency.toFixed(0)} ms, limits hit in ${elapsed} ms`,
      );
      sentinel.close();
      pub.close();
    } finally {
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await proc.stop();
    }
  },
});

/** Reads CRLF-terminated lines from a connection. */
class ReaderOf {
  #buf = "";
  #chunk = new Uint8Array(65536);
  constructor(readonly conn: Deno.Conn) {}

  async line(): Promise<string> {
    for (;;) {
      const i = this.#buf.indexOf("\r\n");
      if (i !== -1) {
        const l = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 2);
        return l;
      }
      const n = await this.conn.read(this.#chunk);
      if (n === null) throw new Error("connection closed");
      this.#buf += String.fromCharCode(...this.#chunk.subarray(0, n));
    }
  }
}
