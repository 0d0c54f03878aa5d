/**
 * A master made a replica ends every blocked client with Redis's UNBLOCKED
 * error and closes it: served later by the new master's stream, a blocked
 * pop would make the replica's data differ from its master's.
 */

import { assertEquals } from "../_assert.ts";
import {
  freePort,
  hasRedis,
  RawClient,
  type Reply,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";
import {
  call,
  caughtUp,
  digest,
  type Proc,
  startRedisProc,
  startRespiteProc,
  withProcs,
} from "../_replication.ts";
import { encodeCommand } from "../_helpers.ts";

const UNBLOCKED = "UNBLOCKED force unblock from blocking operation, " +
  "instance state changed (master -> replica?)";

/** One blocking command of each kind, as a client sends it. */
const BLOCKERS: readonly string[][] = [
  ["BLPOP", "list", "0"],
  ["BLMOVE", "list", "dst", "LEFT", "RIGHT", "0"],
  ["BZPOPMIN", "zset", "0"],
  ["XREAD", "BLOCK", "0", "STREAMS", "stream", "$"],
  ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "grouped", ">"],
  ["WAIT", "1", "0"],
];

/**
 * Blocks one client per command in {@link BLOCKERS}, makes the server a
 * replica of a port nothing listens on, and returns what each blocked
 * client then got and whether the server closed it.
 */
async function roleChange(port: number): Promise<[Reply, boolean][]> {
  const admin = await RawClient.connect(port);
  await admin.call("FLUSHALL");
  await admin.call("XGROUP", "CREATE", "grouped", "g", "$", "MKSTREAM");
  const blocked = await Promise.all(BLOCKERS.map(() => RawClient.connect(port)));
  try {
    for (let i = 0; i < BLOCKERS.length; i++) await blocked[i]!.write(encodeCommand(BLOCKERS[i]!));
    // Every one is parked before the role changes (the server handles a
    // connection's commands in order: a PING after it would wait too).
    for (let i = 0; i < 50; i++) {
      const info = await admin.call("INFO", "clients") as string;
      if (/blocked_clients:6\b/.test(info)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(await admin.call("REPLICAOF", "127.0.0.1", String(freePort())), "OK");
    const out: [Reply, boolean][] = [];
    for (const c of blocked) out.push([(await c.read()).value, await c.closedWithin(2000)]);
    assertEquals(await admin.call("REPLICAOF", "NO", "ONE"), "OK");
    return out;
  } finally {
    for (const c of blocked) c.close();
    admin.close();
  }
}

Deno.test({
  name: "diff: REPLICAOF ends every blocked client (lists, zsets, streams, WAIT) with UNBLOCKED",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const respite = await startRespite();
    const redis = await startRealRedis();
    try {
      const ours = await roleChange(respite.port);
      const theirs = await roleChange(redis.port);
      assertEquals(ours, theirs);
      assertEquals(ours[0], [{ error: UNBLOCKED }, true]);
    } finally {
      await respite.close();
      await redis.stop();
    }
  },
});

/**
 * The scenario end to end: a client blocked on a master that then
 * becomes a replica must not pop what the new master pushes.
 */
async function noDivergence(startMaster: () => Promise<Proc>): Promise<void> {
  await withProcs(async (procs) => {
    const master = await startMaster();
    procs.push(master);
    const replica = await startRespiteProc();
    procs.push(replica);
    const blocked = await RawClient.connect(replica.port);
    try {
      await blocked.write(encodeCommand(["BLPOP", "foo", "0"]));
      await new Promise((r) => setTimeout(r, 50));
      assertEquals(await call(replica.port, "REPLICAOF", "127.0.0.1", String(master.port)), "OK");
      assertEquals((await blocked.read()).value, { error: UNBLOCKED });
      assertEquals(await call(master.port, "RPUSH", "foo", "a", "b", "c"), 3);
      await caughtUp(master.port, [replica.port]);
      assertEquals(await call(replica.port, "LRANGE", "foo", "0", "-1"), ["a", "b", "c"]);
      assertEquals(await digest(replica.port), await digest(master.port));
    } finally {
      blocked.close();
    }
  });
}

Deno.test({
  name: "replication: a blocked pop on a master made replica leaves the data as the master's",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => noDivergence(() => startRespiteProc()),
});

Deno.test({
  name: "replication: the same with a Redis 7 master",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => noDivergence(() => startRedisProc()),
});
