/**
 * Replication's edge cases, each run on Respite and, where Redis's
 * counters (`sync_full`, `sync_partial_ok`, `sync_partial_err`) say the
 * same thing, on redis-server too: links killed or cut under a write load
 * resync partially, a replica away longer than the backlog covers resyncs
 * fully, the handshake and the transfer time out, a master restarted from
 * its RDB lets its replicas resume, a promoted replica keeps the old
 * history as its second id (PSYNC2), also along a chain.
 *
 * @module
 */

import { assertEquals, assertOk as assert } from "../_assert.ts";
import { hasRedis, sleep } from "../_helpers.ts";
import {
  acked,
  call,
  caughtUp,
  digest,
  expireShortTtls,
  fakeMaster,
  info,
  mixedLoad,
  pipe,
  type Proc,
  startRedisProc,
  startRespiteProc,
  syncCounters,
  tcpProxy,
  until,
  withProcs,
  writeLoad,
} from "../_replication.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

type Start = (args?: string[], o?: { port?: number; dir?: string }) => Promise<Proc>;
const servers: [string, Start][] = [["Respite", startRespiteProc], [
  "redis-server",
  startRedisProc,
]];

/** Runs `scenario` on Respite and on redis-server; their results must be equal. */
function diffScenario(name: string, scenario: (start: Start) => Promise<unknown>): void {
  Deno.test(`replication: ${name}`, opts, async () => {
    const results: unknown[] = [];
    for (const [, start] of servers) {
      if (start === startRedisProc && !hasRedis) continue;
      results.push(await scenario(start));
    }
    if (results.length === 2) assertEquals(results[0], results[1], "Respite vs redis-server");
  });
}

const linkUp = async (port: number) =>
  (await info(port, "replication")).get("master_link_status") === "up";

diffScenario(
  "links killed (either side) or cut resync partially under a write load",
  (start) =>
    withProcs(async (procs) => {
      const m = await start();
      procs.push(m);
      const proxy = tcpProxy(m.port);
      try {
        const r = await start(["--replicaof", `127.0.0.1 ${proxy.port}`]);
        procs.push(r);
        await caughtUp(m.port, [r.port]);
        const load = writeLoad(m.port);
        const cuts: (() => Promise<unknown>)[] = [
          () => call(r.port, "CLIENT", "KILL", "TYPE", "master"),
          () => call(m.port, "CLIENT", "KILL", "TYPE", "replica"),
          () => Promise.resolve(proxy.cut()),
          () => call(r.port, "CLIENT", "KILL", "TYPE", "master"),
        ];
        try {
          for (const cut of cuts) {
            await sleep(150);
            const [, before] = await syncCounters(m.port);
            await cut();
            await until("the partial resync", async () =>
              (await syncCounters(m.port))[1] === before + 1 && await linkUp(r.port));
          }
          await sleep(150);
        } finally {
          assert((await load.stop()) > 0);
        }
        await caughtUp(m.port, [r.port]);
        assertEquals(await digest(r.port), await digest(m.port));
        assertEquals(proxy.accepted, 1 + cuts.length);
        return syncCounters(m.port);
      } finally {
        proxy.close();
      }
    }),
);

diffScenario(
  "a replica away longer than the backlog covers resyncs fully",
  (start) =>
    withProcs(async (procs) => {
      const m = await start(["--repl-backlog-size", "16kb"]);
      procs.push(m);
      const r = await start(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await pipe(m.port, mixedLoad(200, 21));
      await expireShortTtls(m.port);
      await caughtUp(m.port, [r.port]);
      // Away briefly: the backlog covers what it missed.
      r.signal("SIGSTOP");
      await call(m.port, "CLIENT", "KILL", "TYPE", "replica");
      await pipe(m.port, [...Array(20)].map((_, i) => ["SET", `near:${i}`, "x"]));
      r.signal("SIGCONT");
      await caughtUp(m.port, [r.port]);
      const first = await syncCounters(m.port);
      // Away while far more than 16kb is written.
      r.signal("SIGSTOP");
      await call(m.port, "CLIENT", "KILL", "TYPE", "replica");
      await pipe(m.port, [...Array(1000)].map((_, i) => ["SET", `far:${i}`, "y".repeat(64)]));
      r.signal("SIGCONT");
      await caughtUp(m.port, [r.port]);
      assertEquals(await digest(r.port), await digest(m.port));
      return [first, await syncCounters(m.port)];
    }),
);

/**
 * A master that never finishes the handshake: it says nothing at all, or
 * answers until PSYNC and then nothing, or starts the payload and stalls.
 * The replica gives up after repl-timeout and tries again.
 */
diffScenario(
  "the handshake and the transfer time out after repl-timeout",
  async (start) => {
    const stalls: [string, (line: string) => string | undefined][] = [
      ["silent", () => undefined],
      ["no PSYNC reply", (l) => (l.startsWith("PSYNC") ? undefined : "+OK\r\n")],
      [
        "stalled payload",
        (l) =>
          l.startsWith("PSYNC")
            ? `+FULLRESYNC ${"a".repeat(40)} 0\r\n$1000\r\nREDIS0009`
            : "+OK\r\n",
      ],
    ];
    const seen: unknown[] = [];
    for (const [what, answer] of stalls) {
      const fake = fakeMaster(answer);
      try {
        await withProcs(async (procs) => {
          const r = await start([
            ...["--repl-timeout", "1", "--replicaof", `127.0.0.1 ${fake.port}`],
          ]);
          procs.push(r);
          await until(
            `a second attempt (${what})`,
            () => Promise.resolve(fake.accepted >= 2),
            8000,
          );
          const i = await info(r.port, "replication");
          // Redis's words for the two timeouts.
          const timedOut = what === "stalled payload"
            ? "Timeout receiving bulk data from MASTER"
            : "Timeout connecting to the MASTER";
          await r.waitLog(new RegExp(timedOut));
          seen.push([what, i.get("master_link_status"), fake.lines.includes("PING")]);
        });
      } finally {
        fake.close();
      }
    }
    return seen;
  },
);

/**
 * SHUTDOWN saves the replication id and offset in the RDB; the master
 * started again from it continues that history under a new id (the saved
 * one its second), so its replicas resume partially, as Redis 7.0.
 */
diffScenario(
  "a master restarted from its RDB lets its replicas resync partially",
  (start) =>
    withProcs(async (procs) => {
      const dir = await Deno.makeTempDir({ prefix: "respite-restart-" });
      try {
        const m = await start(["--save", ""], { dir });
        procs.push(m);
        const r1 = await start(["--replicaof", `127.0.0.1 ${m.port}`]);
        procs.push(r1);
        const r2 = await start(["--replicaof", `127.0.0.1 ${m.port}`]);
        procs.push(r2);
        await pipe(m.port, mixedLoad(300, 31));
        // Keys that expire while the master is down would be dropped by its
        // load and kept by the replicas: reclaim the short TTLs first.
        await expireShortTtls(m.port);
        await caughtUp(m.port, [r1.port, r2.port]);
        // Redis waits for lagging replicas at SHUTDOWN (asking them for an
        // ACK, which moves the offset): none lags here.
        await acked(m.port);
        const before = await info(m.port, "replication");
        await call(m.port, "SHUTDOWN", "SAVE").catch(() => {});
        assertEquals(await m.exited(5000), 0);
        const m2 = await start(["--save", ""], { dir, port: m.port });
        procs.push(m2);
        const after = await info(m2.port, "replication");
        assert(after.get("master_replid") !== before.get("master_replid"));
        assertEquals(after.get("master_replid2"), before.get("master_replid"));
        assertEquals(after.get("master_repl_offset"), before.get("master_repl_offset"));
        assertEquals(
          after.get("second_repl_offset"),
          String(Number(before.get("master_repl_offset")) + 1),
        );
        await caughtUp(m2.port, [r1.port, r2.port]);
        await call(m2.port, "SET", "after-restart", "1");
        await caughtUp(m2.port, [r1.port, r2.port]);
        assertEquals(await call(r2.port, "GET", "after-restart"), "1");
        assertEquals(await digest(r1.port), await digest(m2.port));
        return syncCounters(m2.port);
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }),
);

/**
 * PSYNC2: m has replicas a and b, and b has its own replica c. a is
 * promoted and b follows it; c, chained under b, never resyncs; the old
 * master m then follows a too. Everyone continues partially.
 */
diffScenario(
  "a promoted replica keeps the old id as its second, so the others continue partially (PSYNC2), also along a chain",
  (start) =>
    withProcs(async (procs) => {
      const m = await start();
      procs.push(m);
      const a = await start(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(a);
      const b = await start(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(b);
      const c = await start(["--replicaof", `127.0.0.1 ${b.port}`]);
      procs.push(c);
      await pipe(m.port, mixedLoad(300, 41));
      // Keys the master expires after the promotion would put it ahead.
      await expireShortTtls(m.port);
      await caughtUp(m.port, [a.port, b.port]);
      await caughtUp(b.port, [c.port]);
      const old = (await info(m.port, "replication")).get("master_replid");
      assertEquals(await call(a.port, "REPLICAOF", "NO", "ONE"), "OK");
      assertEquals((await info(a.port, "replication")).get("master_replid2"), old);
      assertEquals(await call(b.port, "REPLICAOF", "127.0.0.1", String(a.port)), "OK");
      assertEquals(await call(m.port, "REPLICAOF", "127.0.0.1", String(a.port)), "OK");
      await pipe(a.port, mixedLoad(100, 42, "new:"));
      await expireShortTtls(a.port, "new:");
      await caughtUp(a.port, [b.port, m.port]);
      await caughtUp(b.port, [c.port]);
      const id = (await info(a.port, "replication")).get("master_replid");
      for (const p of [b.port, c.port, m.port]) {
        assertEquals((await info(p, "replication")).get("master_replid"), id);
      }
      assertEquals(await digest(c.port), await digest(a.port));
      assertEquals(await digest(m.port), await digest(a.port));
      return [
        await syncCounters(a.port),
        await syncCounters(b.port),
        await syncCounters(m.port),
      ];
    }),
);

/**
 * A stream that turns malformed after some commands: what was applied
 * counts in the offset the replica resumes from, so the master does not
 * send it again (INCRs applied twice would show). Respite only: redis-server
 * 7.0.15 crashes resurrecting its cached master after such an error.
 */
Deno.test(
  "replication: a malformed stream drops the link; the replica resumes after what it applied",
  opts,
  async () => {
    const enc = new TextEncoder();
    const id = "c".repeat(40);
    // An empty RDB (a zero checksum is not checked), three INCRs, then bytes
    // that are no command.
    const incr = "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
    const payload = new Uint8Array([...enc.encode("REDIS0009"), 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    const first = new Uint8Array([
      ...enc.encode(`+FULLRESYNC ${id} 0\r\n$${payload.length}\r\n`),
      ...payload,
      ...enc.encode(incr.repeat(3) + "*1\r\n%bad\r\n"),
    ]);
    const fake = fakeMaster((l, conn) => {
      if (l.startsWith("REPLCONF ACK")) return undefined;
      if (!l.startsWith("PSYNC")) return l.startsWith("PING") ? "+PONG\r\n" : "+OK\r\n";
      return conn === 1 ? first : "+CONTINUE\r\n";
    });
    const psyncs = () => fake.lines.filter((l) => l.startsWith("PSYNC"));
    try {
      await withProcs(async (procs) => {
        const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${fake.port}`]);
        procs.push(r);
        await until("a second PSYNC", () => Promise.resolve(psyncs().length >= 2), 8000);
        await until("its link up", () => linkUp(r.port));
        // 21 bytes per INCR: the stream resumes at 3 * 21 + 1.
        assertEquals(psyncs(), ["PSYNC ? -1", `PSYNC ${id} 64`]);
        assertEquals(await call(r.port, "GET", "n"), "3");
      });
    } finally {
      fake.close();
    }
  },
);
