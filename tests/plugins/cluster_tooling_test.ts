/**
 * Cluster tooling and clients, unchanged: `redis-cli --cluster create`
 * with 3 masters and 3 replicas on six Respite nodes, `--cluster check`,
 * ioredis `Cluster` and node-redis `createCluster` writing and reading
 * 100,000 keys over all slots (automatic pipelines, MULTI on hash-tagged
 * keys, a Lua script with declared keys, SSUBSCRIBE/SPUBLISH),
 * `--cluster reshard` and `rebalance` moving slots with their keys, and a
 * master restarted with `kill -9` that rejoins from its nodes.conf. Then
 * the same with three Respite and three redis-server nodes: masters of
 * either kind, each with a replica of the other kind (added with
 * `--cluster add-node --cluster-slave`).
 */

import { Cluster } from "ioredis";
import { createCluster } from "redis";
import { assertEquals, assertOk } from "../_assert.ts";
import { hasRedis, hasRedisCli, RawClient, spawnServer } from "../_helpers.ts";
import {
  allAgree,
  call,
  clusterNodes,
  type ClusterProc,
  myId,
  startNodes,
  stopAll,
  until,
} from "../_cluster.ts";

/** Runs `redis-cli` with a time bound; returns its exit status and output. */
async function cli(args: string[], ms = 60000): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command("redis-cli", {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(ms),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  // Colour codes off, for matching.
  return { code: out.code, out: text.replace(/\x1b\[[0-9;]*m/g, "") };
}

const addr = (n: ClusterProc) => `127.0.0.1:${n.port}`;

/**
 * PUBLISH on a node of each kind reaches subscribers on every node of the
 * other kind (through the bus), and SPUBLISH a subscriber in the shard.
 */
async function publishAcross(nodes: readonly ClusterProc[]): Promise<void> {
  const subs = await Promise.all(nodes.map((n) => RawClient.connect(n.port)));
  try {
    for (const s of subs) assertEquals(await s.call("SUBSCRIBE", "news"), ["subscribe", "news", 1]);
    for (const from of [nodes[0]!, nodes[1]!]) {
      await call(from.port, "PUBLISH", "news", `from ${from.kind}`);
      for (const s of subs) {
        assertEquals((await s.read(5000)).value, ["message", "news", `from ${from.kind}`]);
      }
    }
  } finally {
    for (const s of subs) s.close();
  }
}

/**
 * Runs a step, naming it in its failure, with every node's CLUSTER NODES
 * at that moment (what each node believed when a client was redirected).
 */
async function step<T>(
  name: string,
  f: () => Promise<T>,
  nodes: readonly ClusterProc[] = [],
): Promise<T> {
  try {
    return await f();
  } catch (e) {
    let views = "";
    for (const n of nodes) {
      const v = await call(n.port, "CLUSTER", "NODES").catch((x) => String(x));
      views += `\n-- ${n.kind} ${n.port}:\n${typeof v === "string" ? v : JSON.stringify(v)}`;
      // What clients discover from (node-redis and ioredis read CLUSTER SLOTS).
      const slots = await call(n.port, "CLUSTER", "SLOTS").catch((x) => String(x));
      views += `\nCLUSTER SLOTS: ${JSON.stringify(slots)}`;
    }
    throw new Error(`${name}: ${e instanceof Error ? e.message : e}${views}`);
  }
}

/** `redis-cli --cluster check` passes: every slot covered, every node agreeing. */
async function check(n: ClusterProc): Promise<void> {
  const r = await cli(["--cluster", "check", addr(n)]);
  assertOk(r.out.includes("[OK] All nodes agree about slots configuration."), r.out);
  assertOk(r.out.includes("[OK] All 16384 slots covered."), r.out);
  assertOk(!r.out.includes("[ERR]"), r.out);
  assertEquals(r.code, 0, r.out);
}

/** Waits until each replica's link to its master is up. */
async function replicasUp(nodes: readonly ClusterProc[]): Promise<void> {
  await until("the replicas' links", async () => {
    for (const n of nodes) {
      const info = String(await call(n.port, "INFO", "replication"));
      if (info.includes("role:slave") && !info.includes("master_link_status:up")) return false;
    }
    return true;
  }, 30000);
}

const N = 100_000;

/** ioredis `Cluster`: the workload of the issue, against any node of the cluster. */
async function ioredisWorkload(seed: ClusterProc): Promise<void> {
  const opts = { enableAutoPipelining: true, shardedSubscribers: true };
  const c = new Cluster([{ host: "127.0.0.1", port: seed.port }], opts);
  const sub = new Cluster([{ host: "127.0.0.1", port: seed.port }], opts);
  try {
    for (let b = 0; b < N; b += 2000) {
      const writes = [];
      for (let i = b; i < b + 2000; i++) writes.push(c.set(`io:${i}`, `v${i}`));
      await Promise.all(writes);
    }
    let ok = 0;
    for (let b = 0; b < N; b += 2000) {
      const reads = [];
      for (let i = b; i < b + 2000; i++) reads.push(c.get(`io:${i}`));
      const got = await Promise.all(reads);
      got.forEach((v, j) => {
        if (v === `v${b + j}`) ok++;
      });
    }
    assertEquals(ok, N);
    // An explicit pipeline and MULTI on keys of one slot.
    const p = await c.pipeline().set("{user:1}:a", "1").incr("{user:1}:n").exec();
    assertEquals(p, [[null, "OK"], [null, 1]]);
    const m = await c.multi().incr("{user:1}:n").get("{user:1}:a").exec();
    assertEquals(m, [[null, 2], [null, "1"]]);
    const script = "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[2])";
    assertEquals(await c.eval(script, 2, "{s}:1", "{s}:2", "x"), null);
    assertEquals(await c.eval(script, 2, "{s}:2", "{s}:1", "y"), "x");
    const got = new Promise<string>((resolve) => {
      sub.on("smessage", (ch: string, msg: string) => resolve(`${ch}=${msg}`));
    });
    await sub.ssubscribe("orders:1");
    assertEquals(await c.spublish("orders:1", "shipped"), 1);
    assertEquals(await got, "orders:1=shipped");
    let total = 0;
    for (const n of c.nodes("master")) total += Number(await n.dbsize());
    assertEquals(total, N + 4);
    for (const n of c.nodes("master")) await n.flushall();
  } finally {
    c.disconnect();
    sub.disconnect();
  }
}

/** node-redis `createCluster`: the same workload. */
async function nodeRedisWorkload(seed: ClusterProc): Promise<void> {
  const c = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${seed.port}` }] });
  c.on("error", () => {});
  await c.connect();
  try {
    for (let b = 0; b < N; b += 2000) {
      const writes = [];
      for (let i = b; i < b + 2000; i++) writes.push(c.set(`nr:${i}`, `v${i}`));
      await Promise.all(writes);
    }
    let ok = 0;
    for (let b = 0; b < N; b += 2000) {
      const reads = [];
      for (let i = b; i < b + 2000; i++) reads.push(c.get(`nr:${i}`));
      const got = await Promise.all(reads);
      got.forEach((v, j) => {
        if (v === `v${b + j}`) ok++;
      });
    }
    assertEquals(ok, N);
    const m = await c.multi().set("{acct}:a", "1").incr("{acct}:n").get("{acct}:a").exec();
    assertEquals(m, ["OK", 1, "1"]);
    const script = "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[2])";
    assertEquals(await c.eval(script, { keys: ["{s}:3", "{s}:3"], arguments: ["z"] }), "z");
    const got = new Promise<string>((resolve) => {
      c.sSubscribe("events:7", (msg: string, ch: string) => resolve(`${ch}=${msg}`));
    });
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(await c.sPublish("events:7", "hello"), 1);
    assertEquals(await got, "events:7=hello");
    await c.sUnsubscribe("events:7");
    for (const n of c.masters) {
      const client = await c.nodeClient(n);
      await client.flushAll();
    }
  } catch (e) {
    // Where node-redis sent the redirected slot, for a failure's report.
    const moved = e instanceof Error ? /^MOVED (\d+) /.exec(e.message) : null;
    if (moved === null) throw e;
    const m = c.slots[Number(moved[1])]?.master;
    throw new Error(`${(e as Error).message} (node-redis's map: ${m?.host}:${m?.port})`);
  } finally {
    await c.disconnect();
  }
}

/**
 * `redis-cli --cluster reshard` moves 600 slots with their keys from one
 * master to another (SETSLOT, GETKEYSINSLOT, MIGRATE), then `rebalance`
 * evens the masters out again; every key stays readable throughout.
 */
async function reshardAndRebalance(
  nodes: readonly ClusterProc[],
  from: ClusterProc,
  to: ClusterProc,
): Promise<void> {
  const c = new Cluster([{ host: "127.0.0.1", port: from.port }], { enableAutoPipelining: true });
  try {
    const n = 3000;
    await Promise.all(Array.from({ length: n }, (_, i) => c.set(`rs:${i}`, `v${i}`)));
    // A client with a fresh slot map each time: automatic pipelines mixing
    // slots cannot follow a MOVED for part of a batch (ioredis, against
    // Redis as well).
    const readAll = async (when: string) => {
      const r = new Cluster([{ host: "127.0.0.1", port: to.port }], { enableAutoPipelining: true });
      try {
        const got = await Promise.all(Array.from({ length: n }, (_, i) => r.get(`rs:${i}`)));
        assertEquals(got.filter((v, i) => v === `v${i}`).length, n, when);
      } finally {
        r.disconnect();
      }
    };
    const r = await cli([
      "--cluster",
      "reshard",
      addr(from),
      "--cluster-from",
      await myId(from.port),
      "--cluster-to",
      await myId(to.port),
      "--cluster-slots",
      "600",
      "--cluster-yes",
    ], 120000);
    assertEquals(r.code, 0, r.out.slice(-2000));
    await allAgree(nodes, 30000);
    await check(nodes[0]!);
    await readAll("after reshard");
    const b = await cli(["--cluster", "rebalance", addr(to)], 120000);
    assertEquals(b.code, 0, b.out.slice(-2000));
    assertOk(b.out.includes("Rebalancing across"), b.out.slice(-2000));
    await allAgree(nodes, 30000);
    await check(nodes[0]!);
    await readAll("after rebalance");
  } finally {
    c.disconnect();
  }
  for (const m of nodes) {
    if (String(await call(m.port, "ROLE")).startsWith("master")) await call(m.port, "FLUSHALL");
  }
}

/**
 * Kills a master with SIGKILL, restarts it on its port and `dir`, and
 * waits until it is back in the cluster with its id and its slots.
 */
async function restartMaster(nodes: ClusterProc[], i: number): Promise<void> {
  const old = nodes[i]!;
  const id = await myId(old.port);
  const slotsBefore = (await clusterNodes(old.port)).find((f) => f[0] === id)!.slice(8);
  // Its dir stays: stop() removes only a dir spawnServer made itself.
  old.signal("SIGKILL");
  await old.exited(5000);
  const args = old.kind === "respite" ? ["--save", ""] : ["--save", "", "--bind", "127.0.0.1"];
  const p = await spawnServer(old.kind, [
    ...args,
    "--cluster-enabled",
    "yes",
    "--cluster-port",
    String(old.busPort),
    "--cluster-node-timeout",
    "15000",
    "--repl-diskless-sync-delay",
    "0",
  ], { port: old.port, dir: old.dir });
  const stop = p.stop.bind(p);
  nodes[i] = Object.assign(p, {
    kind: old.kind,
    busPort: old.busPort,
    stop: () => stopDir(stop, p.dir),
  });
  assertEquals(await myId(p.port), id);
  const mine = (await clusterNodes(p.port)).find((f) => f[0] === id)!;
  assertEquals(mine.slice(8), slotsBefore);
  await allAgree(nodes, 30000);
}

/** Stops a restarted node and removes its dir (spawned with a dir it did not make). */
async function stopDir(stop: () => Promise<void>, dir: string): Promise<void> {
  await stop();
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch { /* gone */ }
}

/** Nodes in their own dirs (so a restart finds its nodes.conf), diskless syncs without delay. */
async function nodesWithDirs(kinds: ("respite" | "redis")[]): Promise<ClusterProc[]> {
  // A long node timeout: a node slowed by a loaded machine is not failed
  // over in the middle of a workload.
  const nodes = await startNodes(kinds, [
    "--repl-diskless-sync-delay",
    "0",
    "--cluster-node-timeout",
    "15000",
  ]);
  return nodes;
}

Deno.test({
  name:
    "six Respite nodes: redis-cli --cluster create, check, reshard and rebalance, ioredis and node-redis, a restart",
  ignore: !hasRedisCli,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const nodes = await nodesWithDirs(Array(6).fill("respite"));
    try {
      const r = await cli([
        "--cluster",
        "create",
        ...nodes.map(addr),
        "--cluster-replicas",
        "1",
        "--cluster-yes",
      ]);
      assertEquals(r.code, 0, r.out);
      assertOk(r.out.includes("[OK] All 16384 slots covered."), r.out);
      await allAgree(nodes, 30000);
      await replicasUp(nodes);
      await check(nodes[0]!);
      // Three masters with a replica each, seen alike by every node.
      await until("every node to see 3 masters and 3 replicas", async () => {
        for (const n of nodes) {
          const lines = await clusterNodes(n.port);
          if (lines.filter((f) => f[2]!.includes("master")).length !== 3) return false;
          if (lines.filter((f) => f[2]!.includes("slave")).length !== 3) return false;
        }
        return true;
      }, 20000);
      await step("ioredis", () => ioredisWorkload(nodes[1]!), nodes);
      await step("node-redis", () => nodeRedisWorkload(nodes[2]!), nodes);
      await step("reshard", () => reshardAndRebalance(nodes, nodes[0]!, nodes[1]!), nodes);
      await step("restart", () => restartMaster(nodes, 0));
      await check(nodes[4]!);
    } finally {
      await stopAll(nodes);
    }
  },
});

Deno.test({
  name:
    "three Respite and three redis-server nodes: one cluster, replicas of the other kind, keys resharded both ways",
  ignore: !hasRedis || !hasRedisCli,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Masters: Respite, redis-server, Respite; replicas: redis-server, Respite, redis-server.
    const nodes = await nodesWithDirs(["respite", "redis", "respite", "redis", "respite", "redis"]);
    try {
      const masters = [nodes[0]!, nodes[1]!, nodes[2]!];
      const replicas = [nodes[3]!, nodes[4]!, nodes[5]!];
      const r = await cli(["--cluster", "create", ...masters.map(addr), "--cluster-yes"]);
      assertEquals(r.code, 0, r.out);
      for (let i = 0; i < 3; i++) {
        const a = await cli([
          "--cluster",
          "add-node",
          addr(replicas[i]!),
          addr(masters[0]!),
          "--cluster-slave",
          "--cluster-master-id",
          await myId(masters[i]!.port),
        ]);
        assertEquals(a.code, 0, a.out);
      }
      await allAgree(nodes, 30000);
      await replicasUp(nodes);
      // Each replica serves the master of the other kind.
      for (let i = 0; i < 3; i++) {
        const info = String(await call(replicas[i]!.port, "INFO", "replication"));
        assertOk(info.includes(`master_port:${masters[i]!.port}`), info);
        assertOk(replicas[i]!.kind !== masters[i]!.kind);
      }
      // Both kinds agree on every slot's owner and see each other connected.
      for (const n of nodes) {
        for (const f of await clusterNodes(n.port)) {
          assertEquals(f[7], "connected", `${n.kind} ${n.port}: ${f.join(" ")}`);
        }
      }
      await check(nodes[1]!);
      await check(nodes[4]!);
      await step("pub/sub across kinds", () => publishAcross(nodes));
      await step("ioredis", () => ioredisWorkload(nodes[1]!), nodes);
      await step("node-redis", () => nodeRedisWorkload(nodes[0]!), nodes);
      // Keys move from a redis-server master to a Respite one, then the
      // other way (MIGRATE and RESTORE-ASKING of both kinds).
      await step("reshard", () => reshardAndRebalance(nodes, nodes[1]!, nodes[0]!), nodes);
      await step("reshard back", () => reshardAndRebalance(nodes, nodes[2]!, nodes[1]!), nodes);
      await step("restart", () => restartMaster(nodes, 2));
      await check(nodes[5]!);
    } finally {
      await stopAll(nodes);
    }
  },
});
