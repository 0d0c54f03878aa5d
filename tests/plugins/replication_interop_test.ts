/**
 * Replication between Respite and real redis-server 7: each as the other's
 * replica, full and partial resyncs, both payload formats, and a chain
 * through Respite. Datasets are compared with DEBUG DIGEST (Respite
 * implements Redis's digest).
 */

import { assertEquals, assertOk as assert } from "../_assert.ts";
import { hasRedis } from "../_helpers.ts";
import {
  call,
  caughtUp,
  digest,
  expireShortTtls,
  explainDiff,
  info,
  mixedLoad,
  pipe,
  startRedisProc,
  startRespiteProc,
  withProcs,
} from "../_replication.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !hasRedis };

/** Loads writes, lets the short TTLs run out on the master, waits for the replicas. */
async function load(master: number, replicas: number[], n: number, seed: number): Promise<void> {
  const summary = await pipe(master, mixedLoad(n, seed));
  assert(summary.includes("errors: 0"), summary);
  await expireShortTtls(master);
  await caughtUp(master, replicas);
}

async function sameData(ports: number[]): Promise<void> {
  const d = await digest(ports[0]!);
  assert(d !== "0000000000000000000000000000000000000000", "the dataset is not empty");
  for (const p of ports.slice(1)) {
    const dp = await digest(p);
    if (dp !== d) throw new Error(`digest of :${p} differs:\n${await explainDiff(ports[0]!, p)}`);
  }
}

Deno.test(
  "interop: a Redis 7 replica of a Respite master, full then partial",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc();
      procs.push(m);
      await pipe(m.port, mixedLoad(3000, 11));
      const r = await startRedisProc(["--replicaof", "127.0.0.1", String(m.port)]);
      procs.push(r);
      await load(m.port, [r.port], 3000, 12);
      await sameData([m.port, r.port]);
      // The link drops; Redis reconnects with PSYNC and continues.
      assertEquals(await call(m.port, "CLIENT", "KILL", "TYPE", "replica"), 1);
      await load(m.port, [r.port], 2000, 13);
      const stats = await info(m.port, "stats");
      assertEquals(stats.get("sync_full"), "1");
      assertEquals(stats.get("sync_partial_ok"), "1");
      await sameData([m.port, r.port]);
      assertEquals(
        (await info(r.port, "replication")).get("master_replid"),
        (await info(m.port, "replication")).get("master_replid"),
      );
      assertEquals(await call(m.port, "WAIT", "1", "5000"), 1);
    }),
);

Deno.test(
  "interop: a Respite replica of a Redis 7 master (diskless), full then partial",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRedisProc();
      procs.push(m);
      await pipe(m.port, mixedLoad(3000, 21));
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await load(m.port, [r.port], 3000, 22);
      await sameData([m.port, r.port]);
      assertEquals(await call(m.port, "CLIENT", "KILL", "TYPE", "replica"), 1);
      await load(m.port, [r.port], 2000, 23);
      const stats = await info(m.port, "stats");
      assertEquals(stats.get("sync_full"), "1");
      assertEquals(stats.get("sync_partial_ok"), "1");
      await sameData([m.port, r.port]);
      // Redis's WAIT counts our acknowledgements.
      assertEquals(await call(m.port, "WAIT", "1", "5000"), 1);
    }),
);

Deno.test(
  "interop: Redis master with disk sync ($<len> payload) to Respite",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRedisProc(["--repl-diskless-sync", "no"]);
      procs.push(m);
      await pipe(m.port, mixedLoad(2000, 31));
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await load(m.port, [r.port], 2000, 32);
      await sameData([m.port, r.port]);
    }),
);

Deno.test(
  "interop: Redis master -> Respite replica -> Redis replica (chained)",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRedisProc();
      procs.push(m);
      const mid = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(mid);
      // The stream sits in database 2 when the last replica syncs.
      await pipe(m.port, [["SELECT", "2"], ["SET", "in2", "a"]]);
      await caughtUp(m.port, [mid.port]);
      const leaf = await startRedisProc(["--replicaof", "127.0.0.1", String(mid.port)]);
      procs.push(leaf);
      await caughtUp(mid.port, [leaf.port]);
      // No SELECT precedes this write in the stream: the leaf must already be in db 2.
      await pipe(m.port, [["SELECT", "2"], ["SET", "in2b", "b"]]);
      await caughtUp(m.port, [mid.port]);
      await caughtUp(mid.port, [leaf.port]);
      assertEquals(await call(leaf.port, "DBSIZE"), 0);
      await load(m.port, [mid.port], 3000, 41);
      await caughtUp(mid.port, [leaf.port]);
      await sameData([m.port, mid.port, leaf.port]);
      const mi = await info(m.port, "replication");
      const li = await info(leaf.port, "replication");
      assertEquals(li.get("master_replid"), mi.get("master_replid"));
      assertEquals(li.get("master_repl_offset"), mi.get("master_repl_offset"));
    }),
);

Deno.test(
  "interop: a payload of many chunks, streamed (diskless) and whole (disk), to Respite and Redis",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc();
      procs.push(m);
      // ~4 MB of RDB: the snapshot hands it over in 1 MB chunks.
      assertEquals(await call(m.port, "DEBUG", "POPULATE", "150000"), "OK");
      const ports: number[] = [];
      for (const diskless of ["yes", "no"]) {
        assertEquals(await call(m.port, "CONFIG", "SET", "repl-diskless-sync", diskless), "OK");
        assertEquals(await call(m.port, "CONFIG", "SET", "repl-diskless-sync-delay", "0"), "OK");
        const a = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
        procs.push(a);
        const b = await startRedisProc(["--replicaof", "127.0.0.1", String(m.port)]);
        procs.push(b);
        // Writes while the payloads are being made go in the stream after them.
        ports.push(a.port, b.port);
        await load(m.port, ports, 2000, diskless === "yes" ? 51 : 52);
        await sameData([m.port, ...ports]);
        assertEquals(await call(b.port, "DBSIZE"), await call(m.port, "DBSIZE"));
      }
      assertEquals((await info(m.port, "stats")).get("sync_full"), "4");
    }),
);
