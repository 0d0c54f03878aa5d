/**
 * Real Sentinels (`redis-sentinel`, three of them, quorum 2) driving
 * Respite: they find the replicas through INFO and each other through
 * hello messages on `__sentinel__:hello`, promote a replica when the
 * master is killed (replica-priority 0 keeps one out), reconfigure the
 * other with their MULTI ... EXEC transaction, turn the old master into a
 * replica when it comes back, and fail over on SENTINEL FAILOVER. The same
 * with a real Redis in the set, both ways.
 *
 * @module
 */

import { assertEquals, assertOk as assert } from "../_assert.ts";
import { hasRedis } from "../_helpers.ts";
import {
  call,
  caughtUp,
  info,
  type Proc,
  startRedisProc,
  startRespiteProc,
  until,
} from "../_replication.ts";
import {
  hasSentinel,
  MASTER,
  replicasOf,
  type Sentinel,
  settled,
  switched,
  threeSentinels,
  TIMINGS,
  withDeployment,
} from "../_sentinel.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !hasSentinel };
const deadline = TIMINGS.downAfter + TIMINGS.failoverTimeout;

/** Waits until `port` replicates from `master` with its link up. */
async function follows(port: number, master: number, ms = 30000): Promise<void> {
  await until(`${port} to replicate from ${master}`, async () => {
    const i = await info(port, "replication").catch(() => undefined);
    return i?.get("role") === "slave" && i.get("master_port") === String(master) &&
      i.get("master_link_status") === "up";
  }, ms);
}

/** Kills a server (SIGKILL) and waits for it to be gone. */
async function kill9(p: Proc): Promise<void> {
  p.signal("SIGKILL");
  await p.exited(5000);
}

Deno.test({
  ...opts,
  name: "sentinel: three Sentinels over a Respite master and two replicas fail over, and back",
  async fn() {
    await withDeployment(async (procs, sentinels) => {
      const m = await startRespiteProc();
      procs.push(m);
      const r1 = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r1);
      // Never promoted: Sentinel skips a replica of priority 0.
      const r2 = await startRespiteProc([
        ...["--replicaof", `127.0.0.1 ${m.port}`, "--replica-priority", "0"],
      ]);
      procs.push(r2);
      await call(m.port, "SET", "before", "1");
      await caughtUp(m.port, [r1.port, r2.port]);
      const ss = await threeSentinels(m.port, sentinels);
      await settled(ss, m.port, [r1.port, r2.port]);
      // What Sentinel read in INFO and learned through pub/sub.
      const known = await replicasOf(ss[0]!.port);
      assertEquals(known.get(r1.port)!.get("slave-priority"), "100");
      assertEquals(known.get(r2.port)!.get("slave-priority"), "0");
      assertEquals(
        await call(ss[0]!.port, "SENTINEL", "CKQUORUM", MASTER),
        "OK 3 usable Sentinels. Quorum and failover authorization can be reached",
      );
      // Each Sentinel listens for hellos on the master and on every replica.
      for (const p of [m.port, r1.port, r2.port]) {
        await until(
          "three hello subscribers",
          async () =>
            (await call(p, "PUBSUB", "NUMSUB", "__sentinel__:hello") as unknown[])[1] === 3,
        );
      }

      // kill -9 of the master: r1 is promoted, r2 follows it.
      await kill9(m);
      const took = await switched(ss, r1.port);
      assert(took <= deadline, `failover took ${took} ms (> ${deadline})`);
      assertEquals((await info(r1.port, "replication")).get("role"), "master");
      await follows(r2.port, r1.port);
      assertEquals(await call(r1.port, "SET", "after", "1"), "OK");
      await caughtUp(r1.port, [r2.port]);
      assertEquals(await call(r2.port, "GET", "before"), "1");
      assertEquals(await call(r2.port, "GET", "after"), "1");

      // The old master comes back (empty, as a master): Sentinel makes it a replica.
      const m2 = await startRespiteProc([], { port: m.port });
      procs.push(m2);
      await follows(m2.port, r1.port, 40000);
      await caughtUp(r1.port, [m2.port, r2.port]);
      assertEquals(await call(m2.port, "GET", "after"), "1");
      await settled(ss, r1.port, [r2.port, m2.port], 40000);

      // SENTINEL FAILOVER: m2 is the only replica it may promote.
      assertEquals(await call(ss[1]!.port, "SENTINEL", "FAILOVER", MASTER), "OK");
      await switched(ss, m2.port);
      assertEquals((await info(m2.port, "replication")).get("role"), "master");
      await follows(r2.port, m2.port);
      await follows(r1.port, m2.port, 40000);
      assertEquals(await call(m2.port, "SET", "last", "1"), "OK");
      await caughtUp(m2.port, [r1.port, r2.port]);
      assertEquals(await call(r1.port, "GET", "last"), "1");
    });
  },
});

/**
 * A Respite master with a Redis replica: killed, Redis is promoted; the
 * Respite server comes back as Redis's replica (Sentinel reconfigures it),
 * and SENTINEL FAILOVER hands the master role back to it.
 */
Deno.test({
  ...opts,
  ignore: !hasSentinel || !hasRedis,
  name: "sentinel: a Respite master and a Redis replica fail over both ways",
  async fn() {
    await withDeployment(async (procs, sentinels) => {
      const m = await startRespiteProc();
      procs.push(m);
      const r = await startRedisProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await call(m.port, "SET", "k", "respite");
      await caughtUp(m.port, [r.port]);
      const ss = await threeSentinels(m.port, sentinels);
      await settled(ss, m.port, [r.port]);
      await kill9(m);
      const took = await switched(ss, r.port);
      assert(took <= deadline, `failover took ${took} ms (> ${deadline})`);
      assertEquals(await call(r.port, "GET", "k"), "respite");
      const m2 = await startRespiteProc([], { port: m.port });
      procs.push(m2);
      await follows(m2.port, r.port, 40000);
      await call(r.port, "SET", "k", "redis");
      await caughtUp(r.port, [m2.port]);
      await settled(ss, r.port, [m2.port], 40000);
      // And back: SENTINEL FAILOVER promotes the Respite replica of Redis.
      // (The old master's turn to follow, some 10 s later, is the first
      // test's.)
      assertEquals(await call(ss[0]!.port, "SENTINEL", "FAILOVER", MASTER), "OK");
      await switched(ss, m2.port);
      assertEquals((await info(m2.port, "replication")).get("role"), "master");
      assertEquals(await call(m2.port, "GET", "k"), "redis");
      assertEquals(await call(m2.port, "SET", "k", "respite again"), "OK");
    });
  },
});

Deno.test({
  ...opts,
  ignore: !hasSentinel || !hasRedis,
  name: "sentinel: a Redis master killed promotes its Respite replica",
  async fn() {
    await withDeployment(async (procs, sentinels) => {
      const m = await startRedisProc();
      procs.push(m);
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      const r2 = await startRedisProc([
        "--replicaof",
        `127.0.0.1 ${m.port}`,
        "--replica-priority",
        "0",
      ]);
      procs.push(r2);
      await call(m.port, "SET", "k", "redis");
      await caughtUp(m.port, [r.port, r2.port]);
      const ss: Sentinel[] = await threeSentinels(m.port, sentinels);
      await settled(ss, m.port, [r.port, r2.port]);
      await kill9(m);
      const took = await switched(ss, r.port);
      assert(took <= deadline, `failover took ${took} ms (> ${deadline})`);
      await follows(r2.port, r.port);
      await call(r.port, "SET", "k", "respite");
      await caughtUp(r.port, [r2.port]);
      assertEquals(await call(r2.port, "GET", "k"), "respite");
    });
  },
});

/**
 * ioredis given the Sentinels (not the master) writes through a failover:
 * each write is followed by WAIT 1 0, and every write WAIT acknowledged is
 * on the promoted replica. The replica's own replica (chained) lets WAIT
 * count one replica after the failover too, and Sentinel, which does not
 * see it, never promotes it. (node-redis 4.7.0 has no Sentinel client.)
 */
Deno.test({
  ...opts,
  name:
    "sentinel: ioredis with `sentinels` keeps writing across a failover; no acknowledged write is lost",
  async fn() {
    const { Redis } = await import("ioredis");
    await withDeployment(async (procs, sentinels) => {
      const m = await startRespiteProc();
      procs.push(m);
      const r1 = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r1);
      const r2 = await startRespiteProc(["--replicaof", `127.0.0.1 ${r1.port}`]);
      procs.push(r2);
      await caughtUp(m.port, [r1.port]);
      await caughtUp(r1.port, [r2.port]);
      const ss = await threeSentinels(m.port, sentinels);
      await settled(ss, m.port, [r1.port]);
      const io = new Redis({
        sentinels: ss.map((s) => ({ host: "127.0.0.1", port: s.port })),
        name: MASTER,
        maxRetriesPerRequest: null,
        retryStrategy: () => 50,
        sentinelRetryStrategy: () => 50,
        enableReadyCheck: true,
      });
      io.on("error", () => {});
      const acked: number[] = [];
      let errors = 0, killedAt = -1, switchedAt = -1;
      const end = Date.now() + 40000;
      try {
        for (let i = 0; acked.length - switchedAt < 50 || switchedAt === -1; i++) {
          if (Date.now() > end) throw new Error(`stuck after ${acked.length} acknowledged writes`);
          if (acked.length === 100 && killedAt === -1) {
            killedAt = acked.length;
            await kill9(m);
            switched(ss, r1.port).then(() => (switchedAt = acked.length), () => {});
          }
          try {
            await io.set(`k:${i}`, String(i));
            const n = await io.call("WAIT", "1", "0") as number;
            if (n >= 1) acked.push(i);
          } catch {
            errors++;
          }
        }
      } finally {
        io.disconnect();
      }
      // Everything acknowledged is on the new master.
      const missing: number[] = [];
      for (const i of acked) {
        if (await call(r1.port, "GET", `k:${i}`) !== String(i)) missing.push(i);
      }
      assertEquals(missing, []);
      assertEquals((await info(r1.port, "replication")).get("role"), "master");
      assert(acked.length >= 150, `acknowledged ${acked.length}, errors ${errors}`);
    });
  },
});

/**
 * A master busy with a script answers BUSY: Sentinel, which sees it down,
 * sends SCRIPT KILL, and the master is up again. (No replica: nothing to
 * fail over to.) The same with redis-server.
 */
async function busyMaster(start: typeof startRespiteProc): Promise<unknown> {
  let outcome: unknown;
  await withDeployment(async (procs, sentinels) => {
    const m = await start(["--busy-reply-threshold", "100"]);
    procs.push(m);
    const ss = await threeSentinels(m.port, sentinels);
    await settled(ss, m.port, []);
    const script = call(m.port, "EVAL", "while true do end", "0");
    const reply = await script as { error?: string };
    outcome = reply.error?.replace(/f_[0-9a-f]{40}/, "f_<sha>");
    assert(ss.some((s) => s.log().includes("+sdown master")), "Sentinel saw the master down");
    await until(
      "the master to be up again",
      () => Promise.resolve(ss.every((s) => /-sdown master/.test(s.log()))),
      10000,
    );
    assertEquals(await call(m.port, "PING"), "PONG");
  });
  return outcome;
}

Deno.test({
  ...opts,
  ignore: !hasSentinel || !hasRedis,
  name: "sentinel: a master BUSY with a script is sent SCRIPT KILL and comes back",
  async fn() {
    const respite = await busyMaster(startRespiteProc);
    assert(String(respite).includes("Script killed by user with SCRIPT KILL"), String(respite));
    assertEquals(respite, await busyMaster(startRedisProc));
  },
});
