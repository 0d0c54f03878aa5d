/**
 * Resharding with `redis-cli --cluster` (reshard, add-node, rebalance,
 * del-node) over Respite nodes, alone and mixed with redis-server nodes:
 * slots move with MIGRATE and CLUSTER SETSLOT while an ioredis `Cluster`
 * client writes, and every write it got an answer for is readable after.
 */

import { Cluster } from "ioredis";
import { assertEquals, assertOk } from "../_assert.ts";
import { hasRedis, hasRedisCli, startRealRedis } from "../_helpers.ts";
import {
  allAgree,
  call,
  type ClusterProc,
  formCluster,
  myId,
  startNodes,
  stopAll,
  until,
} from "../_cluster.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs `redis-cli` with a time bound; returns its exit status and output. */
async function cli(args: string[], ms = 120_000): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command("redis-cli", {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(ms),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, out: text.replace(/\x1b\[[0-9;]*m/g, "") };
}

/** A cluster check that must pass: every slot covered, no open slot, nodes agreeing. */
async function check(seed: ClusterProc): Promise<void> {
  const r = await cli(["--cluster", "check", `127.0.0.1:${seed.port}`]);
  assertEquals(r.code, 0, r.out);
  assertOk(r.out.includes("[OK] All 16384 slots covered."), r.out);
  assertOk(!r.out.includes("[WARNING]"), r.out);
}

/**
 * Writes keys through ioredis `Cluster` until stopped; returns the keys it
 * got an OK for (each holds its own name as value).
 */
function writer(seed: ClusterProc, most = 20_000): { stop(): Promise<string[]> } {
  const c = new Cluster([{ host: "127.0.0.1", port: seed.port }], {
    enableAutoPipelining: true,
    clusterRetryStrategy: () => 100,
  });
  const acked: string[] = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && acked.length < most; i++) {
      const batch = [];
      for (let j = 0; j < 50; j++) {
        const key = `w:${i}:${j}`;
        batch.push(c.set(key, key).then((r) => r === "OK" && acked.push(key), () => {}));
      }
      await Promise.all(batch);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      c.disconnect();
      return acked;
    },
  };
}

/** Every acknowledged key is there, through a fresh cluster client. */
async function verify(seed: ClusterProc, keys: readonly string[]): Promise<void> {
  const c = new Cluster([{ host: "127.0.0.1", port: seed.port }]);
  try {
    const missing: string[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const part = keys.slice(i, i + 500);
      const got = await Promise.all(part.map((k) => c.get(k)));
      part.forEach((k, j) => got[j] !== k && missing.push(k));
    }
    assertEquals(missing.length, 0, `lost: ${missing.slice(0, 10).join(" ")}`);
  } finally {
    c.disconnect();
  }
}

async function reshard(seed: ClusterProc, from: ClusterProc, to: ClusterProc, slots: number) {
  const r = await cli([
    "--cluster",
    "reshard",
    `127.0.0.1:${seed.port}`,
    "--cluster-from",
    await myId(from.port),
    "--cluster-to",
    await myId(to.port),
    "--cluster-slots",
    String(slots),
    "--cluster-yes",
  ]);
  assertEquals(r.code, 0, r.out.slice(-2000));
}

/** Slots a node serves, from CLUSTER INFO's view of itself. */
async function slotsOf(n: ClusterProc): Promise<number> {
  const nodes = String(await call(n.port, "CLUSTER", "NODES")).split("\n");
  const me = nodes.find((l) => l.includes("myself"))!.split(" ").slice(8);
  let count = 0;
  for (const r of me) {
    if (r.startsWith("[")) continue;
    const [a, b] = r.split("-").map(Number);
    count += (b ?? a!) - a! + 1;
  }
  return count;
}

Deno.test({
  name: "cluster: three Respite masters: reshard 1,000 slots under writes, add-node, rebalance, " +
    "del-node; no acknowledged write lost",
  ignore: !hasRedisCli,
  ...opts,
  async fn() {
    const nodes = await startNodes(["respite", "respite", "respite", "respite"]);
    try {
      const [a, b, c, d] = nodes as [ClusterProc, ClusterProc, ClusterProc, ClusterProc];
      await formCluster([a, b, c], [[0, 5460], [5461, 10922], [10923, 16383]]);
      const w = writer(a);
      await reshard(a, a, b, 1000);
      const acked = await w.stop();
      assertOk(acked.length > 1000, `only ${acked.length} writes acknowledged`);
      await check(a);
      await verify(a, acked);
      const added = await cli([
        "--cluster",
        "add-node",
        `127.0.0.1:${d.port}`,
        `127.0.0.1:${a.port}`,
      ]);
      assertEquals(added.code, 0, added.out);
      await allAgree(nodes);
      // The empty master gets a share by weight (a small one: each slot
      // moved costs a few round trips and config saves on every node).
      const weights = await Promise.all(
        nodes.map(async (n, i) => `${await myId(n.port)}=${i === 3 ? "0.05" : "1"}`),
      );
      const rebalanced = await cli([
        "--cluster",
        "rebalance",
        `127.0.0.1:${a.port}`,
        "--cluster-use-empty-masters",
        "--cluster-weight",
        ...weights,
      ]);
      assertEquals(rebalanced.code, 0, rebalanced.out.slice(-2000));
      assertOk((await slotsOf(d)) > 100, "the new master got its share");
      await check(a);
      await verify(a, acked);
      // Empty `d` again, then remove it.
      await reshard(a, d, a, await slotsOf(d));
      const removed = await cli([
        "--cluster",
        "del-node",
        `127.0.0.1:${a.port}`,
        await myId(d.port),
      ]);
      assertEquals(removed.code, 0, removed.out);
      await allAgree([a, b, c]);
      await check(a);
      await verify(a, acked);
    } finally {
      await stopAll(nodes);
    }
  },
});

Deno.test({
  name: "cluster: Respite and redis-server masters: 1,000 slots move each way under writes",
  ignore: !hasRedisCli || !hasRedis,
  ...opts,
  async fn() {
    const nodes = await startNodes(["respite", "redis", "respite"]);
    try {
      const [a, r, c] = nodes as [ClusterProc, ClusterProc, ClusterProc];
      await formCluster([a, r, c], [[0, 5460], [5461, 10922], [10923, 16383]]);
      const w = writer(r, 10_000);
      await reshard(a, a, r, 1000); // Respite -> redis-server
      await reshard(a, r, c, 1000); // redis-server -> Respite
      const acked = await w.stop();
      assertOk(acked.length > 500, `only ${acked.length} writes acknowledged`);
      await allAgree(nodes);
      await check(a);
      await verify(a, acked);
    } finally {
      await stopAll(nodes);
    }
  },
});

Deno.test({
  name: "cluster: redis-cli --cluster add-node --cluster-slave, fix, import, call and " +
    "set-timeout on Respite masters",
  ignore: !hasRedisCli || !hasRedis,
  ...opts,
  async fn() {
    const nodes = await startNodes(["respite", "respite", "respite", "respite"]);
    const source = await startRealRedis();
    try {
      const [a, b, c, d] = nodes as [ClusterProc, ClusterProc, ClusterProc, ClusterProc];
      await formCluster([a, b, c], [[0, 5460], [5461, 10922], [10923, 16383]]);
      const seed = `127.0.0.1:${a.port}`;
      // A replica of `a`.
      const slave = await cli([
        "--cluster",
        "add-node",
        `127.0.0.1:${d.port}`,
        seed,
        "--cluster-slave",
        "--cluster-master-id",
        await myId(a.port),
      ]);
      assertEquals(slave.code, 0, slave.out);
      await until(
        "the new replica",
        async () =>
          /role:slave/.test(String(await call(d.port, "INFO", "replication"))) &&
          /master_link_status:up/.test(String(await call(d.port, "INFO", "replication"))),
      );
      await allAgree(nodes);
      // `fix` closes a slot left open by a migration that stopped halfway.
      assertEquals(await call(a.port, "SET", "{7}k", "v"), "OK"); // a slot of `a`
      const slot = Number(await call(a.port, "CLUSTER", "KEYSLOT", "{7}k"));
      assertEquals(
        await call(a.port, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", await myId(b.port)),
        "OK",
      );
      const fixed = await cli(["--cluster", "fix", seed]);
      assertEquals(fixed.code, 0, fixed.out.slice(-2000));
      await check(a);
      const reader = new Cluster([{ host: "127.0.0.1", port: a.port }]);
      try {
        assertEquals(await reader.get("{7}k"), "v");
      } finally {
        reader.disconnect();
      }
      // `import` moves a standalone server's keys into the cluster.
      for (let i = 0; i < 200; i++) await call(source.port, "SET", `imp:${i}`, `v${i}`);
      const imported = await cli([
        "--cluster",
        "import",
        seed,
        "--cluster-from",
        `127.0.0.1:${source.port}`,
        "--cluster-copy",
      ]);
      assertEquals(imported.code, 0, imported.out.slice(-2000));
      const cl = new Cluster([{ host: "127.0.0.1", port: a.port }]);
      try {
        for (let i = 0; i < 200; i += 37) assertEquals(await cl.get(`imp:${i}`), `v${i}`);
      } finally {
        cl.disconnect();
      }
      // `call` runs a command on every node; `set-timeout` sets the node
      // timeout everywhere (its CONFIG REWRITE fails without a config
      // file, on Redis too).
      const called = await cli(["--cluster", "call", seed, "DBSIZE"]);
      assertEquals(called.code, 0, called.out);
      assertEquals(called.out.match(/^127\.0\.0\.1:\d+: \d+$/gm)?.length, 4, called.out);
      await cli(["--cluster", "set-timeout", seed, "7000"]);
      for (const n of nodes) {
        assertEquals(await call(n.port, "CONFIG", "GET", "cluster-node-timeout"), [
          "cluster-node-timeout",
          "7000",
        ]);
      }
    } finally {
      await source.stop();
      await stopAll(nodes);
    }
  },
});
