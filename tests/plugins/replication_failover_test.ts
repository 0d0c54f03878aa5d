/**
 * FAILOVER as Redis 7.0: its errors, its states in INFO
 * (`master_failover_state`), writes paused during the hand-over, PSYNC
 * FAILOVER, the old master going on as a replica of the new one with a
 * partial resync, TIMEOUT, FORCE and ABORT; and what a role change does to
 * clients a pause holds.
 *
 * @module
 */

import { assertEquals, assertOk as assert } from "../_assert.ts";
import { diffSession, encodeCommand, hasRedis, RawClient, sleep } from "../_helpers.ts";
import {
  call,
  caughtUp,
  digest,
  info,
  mixedLoad,
  pipe,
  type Proc,
  startRedisProc,
  startRespiteProc,
  until,
  withProcs,
} from "../_replication.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

// A role change ends blocked clients with UNBLOCKED; a client the pause
// postponed has not started its command: it runs once the pause ends, and
// is refused as any write to a replica.
diffSession("REPLICAOF leaves the clients CLIENT PAUSE postponed, refused once it ends", [
  [0, "CLIENT", "PAUSE", "300", "WRITE"],
  { send: [1, "SET", "x", "1"] },
  { act: () => sleep(50) },
  [0, "REPLICAOF", "127.0.0.1", "1"],
  { read: 1 },
  { act: () => sleep(400) },
  { read: 1 },
  [1, "PING"],
  [0, "REPLICAOF", "NO", "ONE"],
], { cleanup: [["REPLICAOF", "NO", "ONE"], ["CLIENT", "UNPAUSE"]] });

// Errors before any replica is attached, in Redis's order of checks.
diffSession("FAILOVER's errors on a master without replicas", [
  [0, "FAILOVER", "ABORT"],
  [0, "FAILOVER", "ABORT", "x"],
  [0, "FAILOVER", "TIMEOUT"],
  [0, "FAILOVER", "TIMEOUT", "0"],
  [0, "FAILOVER", "TIMEOUT", "-5"],
  [0, "FAILOVER", "TIMEOUT", "abc"],
  [0, "FAILOVER", "TIMEOUT", "10", "TIMEOUT", "20"],
  [0, "FAILOVER", "TO", "127.0.0.1"],
  [0, "FAILOVER", "TO", "127.0.0.1", "x"],
  [0, "FAILOVER", "TO", "127.0.0.1", "1", "TO", "127.0.0.1", "2"],
  [0, "FAILOVER", "FORCE", "FORCE"],
  [0, "FAILOVER", "BOGUS"],
  [0, "FAILOVER"],
  [0, "FAILOVER", "FORCE"],
  [0, "FAILOVER", "TO", "127.0.0.1", "1", "FORCE"],
  [0, "FAILOVER", "TO", "127.0.0.1", "1"],
]);

diffSession("FAILOVER on a replica, and PSYNC FAILOVER to a master", [
  [0, "REPLICAOF", "127.0.0.1", "1"],
  [0, "FAILOVER"],
  [0, "FAILOVER", "ABORT"],
  [0, "REPLICAOF", "NO", "ONE"],
  [1, "PSYNC", "?", "-1", "FAILOVER"],
], { cleanup: [["REPLICAOF", "NO", "ONE"]] });

type Start = (args?: string[]) => Promise<Proc>;

/** A master with two replicas, caught up. */
async function trio(start: Start, procs: Proc[]): Promise<[Proc, Proc, Proc]> {
  const m = await start();
  procs.push(m);
  const r1 = await start(["--replicaof", `127.0.0.1 ${m.port}`]);
  procs.push(r1);
  const r2 = await start(["--replicaof", `127.0.0.1 ${m.port}`]);
  procs.push(r2);
  await pipe(m.port, mixedLoad(300, 11));
  await caughtUp(m.port, [r1.port, r2.port]);
  return [m, r1, r2];
}

const failoverState = async (port: number) =>
  (await info(port, "replication")).get("master_failover_state");

const stat = async (port: number, field: string) => Number((await info(port, "stats")).get(field));

/**
 * FAILOVER TO a replica that is stopped, so the hand-over waits: what the
 * master shows meanwhile, what a write gets, and where everyone ends up.
 * Returns the observations, the same for Respite and redis-server.
 */
async function failoverTo(start: Start): Promise<unknown[]> {
  const seen: unknown[] = [];
  await withProcs(async (procs) => {
    const [m, r1, r2] = await trio(start, procs);
    const oldId = (await info(m.port, "replication")).get("master_replid");
    r1.signal("SIGSTOP");
    // Written after the stop: the target cannot have acknowledged it.
    await call(m.port, "SET", "unacked", "1");
    const writer = await RawClient.connect(m.port);
    try {
      seen.push(await call(m.port, "FAILOVER", "TO", "127.0.0.1", String(r1.port)));
      seen.push(await call(m.port, "FAILOVER", "TO", "127.0.0.1", String(r1.port)));
      seen.push(await call(m.port, "REPLICAOF", "NO", "ONE"));
      seen.push(await failoverState(m.port));
      // Writes wait for the hand-over; reads go on.
      await writer.write(encodeCommand(["SET", "during", "1"]));
      seen.push(await call(m.port, "GET", "during"));
      seen.push(await call(m.port, "PSYNC", "?", "-1"));
      await sleep(300);
      seen.push(await failoverState(m.port));
      r1.signal("SIGCONT");
      // The paused write is refused once the master became a replica.
      seen.push((await writer.read()).value);
      await until(
        "the failover to end",
        async () =>
          (await failoverState(m.port)) === "no-failover" &&
          (await info(m.port, "replication")).get("master_link_status") === "up",
      );
      const mi = await info(m.port, "replication"), ri = await info(r1.port, "replication");
      seen.push([mi.get("role"), mi.get("master_port") === String(r1.port)]);
      seen.push([ri.get("role"), ri.get("master_replid2") === oldId]);
      // The old master resumed partially; the other replica stays its replica.
      seen.push([await stat(r1.port, "sync_full"), await stat(r1.port, "sync_partial_ok")]);
      await call(r1.port, "SET", "after", "1");
      await caughtUp(r1.port, [m.port]);
      await caughtUp(m.port, [r2.port]);
      seen.push(await call(r2.port, "GET", "after"));
      seen.push((await info(r2.port, "replication")).get("master_port") === String(m.port));
      assertEquals(await digest(r2.port), await digest(r1.port));
    } finally {
      writer.close();
    }
  });
  return seen;
}

Deno.test(
  "replication: FAILOVER TO a replica hands over and resyncs the old master partially",
  opts,
  async () => {
    const seen = await failoverTo(startRespiteProc);
    assertEquals(seen, [
      "OK",
      { error: "ERR FAILOVER already in progress." },
      { error: "ERR REPLICAOF not allowed while failing over." },
      "waiting-for-sync",
      null,
      { error: "NOMASTERLINK Can't SYNC while failing over" },
      "waiting-for-sync",
      { error: "READONLY You can't write against a read only replica." },
      ["slave", true],
      ["master", true],
      [0, 1],
      "1",
      true,
    ]);
  },
);

Deno.test({
  ...opts,
  name: "diff: FAILOVER TO a replica, the same steps on redis-server",
  ignore: !hasRedis,
  async fn() {
    assertEquals(await failoverTo(startRedisProc), await failoverTo(startRespiteProc));
  },
});

/**
 * TIMEOUT without FORCE gives up when the replica never catches up (writes
 * go on); with FORCE the master hands over anyway; ABORT stops a wait.
 */
async function timeouts(start: Start): Promise<unknown[]> {
  const seen: unknown[] = [];
  await withProcs(async (procs) => {
    const [m, r1] = await trio(start, procs);
    r1.signal("SIGSTOP");
    await call(m.port, "SET", "unacked", "1");
    const writer = await RawClient.connect(m.port);
    try {
      seen.push(
        await call(m.port, "FAILOVER", "TO", "127.0.0.1", String(r1.port), "TIMEOUT", "500"),
      );
      await writer.write(encodeCommand(["SET", "k", "1"]));
      seen.push(await failoverState(m.port));
      seen.push((await writer.read()).value);
      seen.push(await failoverState(m.port));
      seen.push(await call(m.port, "FAILOVER", "TIMEOUT", "60000"));
      seen.push(await call(m.port, "FAILOVER", "ABORT"));
      seen.push(await failoverState(m.port));
      seen.push(await call(m.port, "SET", "k", "2"));
      // FORCE: the target is stopped, the master becomes its replica at the
      // timeout and waits for its answer.
      seen.push(
        await call(
          m.port,
          "FAILOVER",
          "TO",
          "127.0.0.1",
          String(r1.port),
          "FORCE",
          "TIMEOUT",
          "300",
        ),
      );
      await until(
        "the forced hand-over",
        async () => (await failoverState(m.port)) === "failover-in-progress",
      );
      seen.push((await info(m.port, "replication")).get("role"));
      r1.signal("SIGCONT");
      await until(
        "the failover to end",
        async () => (await failoverState(m.port)) === "no-failover",
      );
      seen.push((await info(r1.port, "replication")).get("role"));
      seen.push(await call(r1.port, "GET", "k"));
    } finally {
      writer.close();
      r1.signal("SIGCONT");
    }
  });
  return seen;
}

Deno.test(
  "replication: FAILOVER TIMEOUT gives up, FORCE hands over anyway, ABORT stops",
  opts,
  async () => {
    assertEquals(await timeouts(startRespiteProc), [
      "OK",
      "waiting-for-sync",
      "OK",
      "no-failover",
      "OK",
      "OK",
      "no-failover",
      "OK",
      "OK",
      "slave",
      "master",
      "2",
    ]);
  },
);

Deno.test({
  ...opts,
  name: "diff: FAILOVER TIMEOUT, FORCE and ABORT, the same steps on redis-server",
  ignore: !hasRedis,
  async fn() {
    assertEquals(await timeouts(startRedisProc), await timeouts(startRespiteProc));
  },
});

Deno.test(
  "replication: FAILOVER without TO picks a synced replica",
  opts,
  () =>
    withProcs(async (procs) => {
      const [m, r1, r2] = await trio(startRespiteProc, procs);
      assertEquals(await call(m.port, "FAILOVER"), "OK");
      await until(
        "the failover to end",
        async () =>
          (await failoverState(m.port)) === "no-failover" &&
          (await info(m.port, "replication")).get("role") === "slave",
      );
      const port = Number((await info(m.port, "replication")).get("master_port"));
      assert(port === r1.port || port === r2.port);
      assertEquals((await info(port, "replication")).get("role"), "master");
      assertEquals(await stat(port, "sync_partial_ok"), 1);
    }),
);

Deno.test({
  ...opts,
  name: "replication: FAILOVER between Respite and redis-server, both ways, with partial resyncs",
  ignore: !hasRedis,
  fn: () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc();
      procs.push(m);
      const r = await startRedisProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await pipe(m.port, mixedLoad(200, 12));
      await caughtUp(m.port, [r.port]);
      const over = async (from: Proc, to: Proc) => {
        assertEquals(await call(from.port, "FAILOVER", "TO", "127.0.0.1", String(to.port)), "OK");
        await until("the failover to end", async () =>
          (await failoverState(from.port)) === "no-failover" &&
          (await info(from.port, "replication")).get("master_link_status") === "up");
        assertEquals((await info(to.port, "replication")).get("role"), "master");
      };
      // Respite hands over to Redis, which takes the old master back partially.
      await over(m, r);
      assertEquals(await stat(r.port, "sync_partial_ok"), 1);
      await call(r.port, "SET", "on-redis", "1");
      await caughtUp(r.port, [m.port]);
      // And Redis back to Respite.
      await over(r, m);
      assertEquals(await stat(m.port, "sync_partial_ok"), 1);
      await call(m.port, "SET", "on-respite", "1");
      await caughtUp(m.port, [r.port]);
      assertEquals(await call(r.port, "GET", "on-redis"), "1");
      assertEquals(await call(r.port, "GET", "on-respite"), "1");
      assertEquals(await stat(m.port, "sync_full"), 1);
      assertEquals(await stat(r.port, "sync_full"), 0);
    }),
});
