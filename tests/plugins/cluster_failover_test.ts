/**
 * Failover with Respite replicas, as Redis 7.0 does it: a replica of a
 * master killed with SIGKILL wins the election and serves its slots (the
 * old master, restarted, follows it); CLUSTER FAILOVER on a Respite
 * replica loses no acknowledged write while a client writes (also between
 * Respite and redis-server nodes, both ways); a Respite replica of a
 * redis-server master takes over; `cluster-replica-no-failover` keeps a
 * replica out of elections but not out of CLUSTER FAILOVER FORCE; an
 * orphaned master gets a replica from a master with two. Then the same
 * logic in process, with a clock of its own. Small node timeouts keep
 * each test short.
 */

import { Cluster } from "ioredis";
import { assertEquals, assertOk as assert } from "../_assert.ts";
import { hasRedis, RawClient, type Reply, sleep, spawnServer } from "../_helpers.ts";
import { ClusterNode, ClusterState, NodeFlag } from "../../plugins/cluster/_state.ts";
import { Bus } from "../../plugins/cluster/bus/_bus.ts";
import { BusLink } from "../../plugins/cluster/bus/_link.ts";
import { processPacket } from "../../plugins/cluster/bus/_process.ts";
import {
  type ClusterMsg,
  decodeMessage,
  MsgFlag0,
  MsgType,
  NULL_NAME,
} from "../../plugins/cluster/bus/_messages.ts";
import {
  failoverBeforeSleep,
  replicaCron,
  startManualFailover,
} from "../../plugins/cluster/bus/_failover.ts";
import {
  allAgree,
  call,
  clusterInfo,
  clusterNodes,
  type ClusterProc,
  formCluster,
  myId,
  startNodes,
  stopAll,
  until,
} from "../_cluster.ts";

const NODE_TIMEOUT = 1000;
const ARGS = [
  "--cluster-node-timeout",
  String(NODE_TIMEOUT),
  "--repl-diskless-sync-delay",
  "0",
];
const THIRDS = [[0, 5460], [5461, 10922], [10923, 16383], []];

/** A key of each of `n` slots of 0..5460 (the first master's), and its value. */
function keysOfFirstMaster(n: number, tag: string): string[] {
  // {a}, {b}... hash to various slots; "{x}" keys of master 0's range are picked below.
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const k = `${tag}:${i}`;
    if (slotOf(k) <= 5460) out.push(k);
  }
  return out;
}

/** CRC16 (XMODEM) of the key, mod 16384 (no hash tags in these keys). */
function slotOf(key: string): number {
  let crc = 0;
  for (const ch of new TextEncoder().encode(key)) {
    crc ^= ch << 8;
    for (let j = 0; j < 8; j++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc % 16384;
}

async function info(port: number, field: string): Promise<string | undefined> {
  const text = String(await call(port, "INFO", "replication"));
  const m = new RegExp(`^${field}:(.*)\\r?$`, "m").exec(text);
  return m?.[1];
}

/** Makes `replica` a replica of `master` and waits for its link and for everyone to agree. */
async function replicate(nodes: ClusterProc[], replica: ClusterProc, master: ClusterProc) {
  assertEquals(await call(replica.port, "CLUSTER", "REPLICATE", await myId(master.port)), "OK");
  await until(
    "the replica's link",
    async () => (await info(replica.port, "master_link_status")) === "up",
    15000,
  );
  await allAgree(nodes, 15000);
  const [rid, mid] = [await myId(replica.port), await myId(master.port)];
  await until("every node to see the replica", async () => {
    for (const n of nodes) {
      const f = (await clusterNodes(n.port)).find((f) => f[0] === rid);
      if (f === undefined || !f[2]!.includes("slave") || f[3] !== mid) return false;
    }
    return true;
  }, 15000);
}

/** The id of the master serving `slot`, as `port` sees it (CLUSTER NODES). */
async function ownerOf(port: number, slot: number): Promise<string | undefined> {
  for (const f of await clusterNodes(port)) {
    if (!f[2]!.includes("master")) continue;
    for (const r of f.slice(8)) {
      if (r.startsWith("[")) continue;
      const [a, b] = r.split("-").map(Number);
      if (slot >= a! && slot <= (b ?? a)!) return f[0];
    }
  }
  return undefined;
}

/** Waits until every live node sees `id` serving slot 0 and reports cluster_state ok. */
async function waitOwner(live: ClusterProc[], id: string, ms: number): Promise<void> {
  await until(`${id} to serve slot 0 everywhere`, async () => {
    for (const n of live) {
      if ((await ownerOf(n.port, 0)) !== id) return false;
      if ((await clusterInfo(n.port)).get("cluster_state") !== "ok") return false;
    }
    return true;
  }, ms);
}

/** Restarts a killed node on its port and dir (its nodes.conf). */
async function restart(old: ClusterProc): Promise<ClusterProc> {
  const extra = old.kind === "redis" ? ["--bind", "127.0.0.1"] : [];
  const p = await spawnServer(old.kind, [
    "--save",
    "",
    "--appendonly",
    "no",
    "--cluster-enabled",
    "yes",
    "--cluster-port",
    String(old.busPort),
    ...ARGS,
    ...extra,
  ], { port: old.port, dir: old.dir });
  const stop = p.stop.bind(p);
  return Object.assign(p, {
    kind: old.kind,
    busPort: old.busPort,
    stop: async () => {
      await stop();
      try {
        Deno.removeSync(old.dir, { recursive: true });
      } catch { /* gone */ }
    },
  });
}

/** Kills a node with SIGKILL, keeping its dir for a restart. */
async function kill(n: ClusterProc): Promise<void> {
  n.signal("SIGKILL");
  await n.exited(5000);
}

/** Waits until `n` is a replica of `masterId` with its link up. */
async function waitReplicaOf(n: ClusterProc, masterId: string, ms: number): Promise<void> {
  await until(`${n.port} to replicate ${masterId}`, async () => {
    const me = (await clusterNodes(n.port)).find((f) => f[2]!.includes("myself"));
    if (me === undefined || !me[2]!.includes("slave") || me[3] !== masterId) return false;
    return (await info(n.port, "master_link_status")) === "up";
  }, ms);
}

/**
 * Kills the master of slot 0, waits for `replica` to serve its slots on
 * every live node, checks the keys through ioredis, restarts the old
 * master and waits for it to follow the new one. Returns the restarted node.
 */
async function killAndPromote(
  nodes: ClusterProc[],
  master: ClusterProc,
  replica: ClusterProc,
): Promise<ClusterProc> {
  const c = new Cluster([{ host: "127.0.0.1", port: nodes[1]!.port }]);
  try {
    const keys = keysOfFirstMaster(200, `k${master.kind}`);
    // The replica has every write before the master goes: WAIT counts the
    // acknowledgements of its own connection's writes, so both go through
    // one connection. (A WAIT on a connection that wrote nothing returns at
    // once; a replica just synced from redis-server gets the stream only
    // after its next REPLCONF ACK, up to a second later.)
    const writer = await RawClient.connect(master.port);
    try {
      for (const k of keys) assertEquals(await writer.call("SET", k, `v-${k}`), "OK");
      assertEquals(await writer.call("WAIT", "1", "5000"), 1);
    } finally {
      writer.close();
    }
    const replicaId = await myId(replica.port);
    const start = Date.now();
    await kill(master);
    const live = nodes.filter((n) => n !== master);
    await waitOwner(live, replicaId, NODE_TIMEOUT * 15);
    const took = Date.now() - start;
    assert(took < NODE_TIMEOUT * 15, `failover took ${took} ms`);
    assertEquals(await info(replica.port, "role"), "master");
    if (replica.kind === "respite") {
      await replica.waitLog(/Failover election won: I'm the new master\./, 1000);
    }
    // CLUSTER INFO counts the request sent to each live node and the two votes.
    const stats = await clusterInfo(replica.port);
    assert(Number(stats.get("cluster_stats_messages_auth-req_sent")) >= live.length - 1);
    assert(Number(stats.get("cluster_stats_messages_auth-ack_received")) >= 2);
    // Clients go on with the new master: every key is there, writes work.
    // (Each try bounded: a command queued toward the dead master waits for
    // ioredis's own reconnect, later on a loaded machine.)
    // A try that fails asks ioredis to reload the slot map, as it does on
    // a MOVED: a client that only saw its node's connection drop may keep
    // the old map until then.
    const reloadSlots = () =>
      Promise.race([
        new Promise<void>((resolve) => c.refreshSlotsCache(() => resolve())),
        sleep(2000),
      ]);
    // The new master has every key at once.
    for (const k of keys) assertEquals(await call(replica.port, "GET", k), `v-${k}`);
    await until("ioredis to read from the new master", async () => {
      let got: string | null | undefined;
      try {
        got = await Promise.race([c.get(keys[0]!), sleep(2000).then(() => undefined)]);
      } catch {
        got = undefined;
      }
      if (got === `v-${keys[0]}`) return true;
      await reloadSlots();
      return false;
    }, 30000);
    const values = await Promise.all(keys.map((k) => c.get(k)));
    assertEquals(values, keys.map((k) => `v-${k}`));
    assertEquals(await c.set(keys[0]!, "after"), "OK");
    assertEquals(await call(replica.port, "GET", keys[0]!), "after");
    // The old master comes back as a replica of the new one.
    const back = await restart(master);
    nodes[nodes.indexOf(master)] = back;
    await waitReplicaOf(back, replicaId, NODE_TIMEOUT * 15);
    await allAgree(nodes, 15000);
    return back;
  } finally {
    c.disconnect();
  }
}

Deno.test({
  name:
    "failover: a Respite replica takes over a killed Respite master; CLUSTER FAILOVER loses no write",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const nodes = await startNodes(Array(4).fill("respite"), ARGS);
    try {
      await formCluster(nodes, THIRDS);
      const [m0, , , r0] = nodes as [ClusterProc, ClusterProc, ClusterProc, ClusterProc];
      await replicate(nodes, r0, m0);
      let old!: ClusterProc;
      await t.step("kill -9 the master: the replica is elected", async () => {
        old = await killAndPromote(nodes, m0, r0);
      });
      await t.step("CLUSTER FAILOVER on the old master, a client writing", async () => {
        await manualFailover(nodes, old, r0);
      });
      await t.step("CLUSTER FAILOVER FORCE", async () => {
        const r0Id = await myId(r0.port);
        await waitReplicaOf(r0, await myId(old.port), 15000);
        assertEquals(await call(r0.port, "CLUSTER", "FAILOVER", "FORCE"), "OK");
        await waitOwner(nodes, r0Id, 15000);
        await waitReplicaOf(old, r0Id, 15000);
      });
    } finally {
      await stopAll(nodes);
    }
  },
});

/**
 * CLUSTER FAILOVER on `replica` while ioredis writes keys of its master's
 * slots: the replica serves them after, and every write that was
 * acknowledged is there with its value.
 */
async function manualFailover(
  nodes: ClusterProc[],
  replica: ClusterProc,
  master: ClusterProc,
): Promise<void> {
  const c = new Cluster([{ host: "127.0.0.1", port: nodes[1]!.port }], {
    retryDelayOnMoved: 10,
    maxRedirections: 64,
  });
  const acked = new Map<string, string>();
  let stop = false;
  const keys = keysOfFirstMaster(50, "mf");
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      const k = keys[i % keys.length]!;
      const v = `v${i}`;
      try {
        if ((await c.set(k, v)) === "OK") acked.set(k, v);
      } catch {
        // Not acknowledged: it may or may not be there.
        acked.delete(k);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  })();
  try {
    await until("some writes", () => Promise.resolve(acked.size >= 10), 10000);
    const replicaId = await myId(replica.port);
    // MFSTART goes over the replica's own link to its master: a node just
    // restarted may only have the master's inbound link yet (CLUSTER NODES
    // says connected), and then the failover times out, in Redis too.
    const masterId = await myId(master.port);
    await until("the replica's bus link to its master", async () => {
      const links = await call(replica.port, "CLUSTER", "LINKS") as Reply[][];
      return links.some((l) =>
        l.some((v, i) => v === "direction" && l[i + 1] === "to") &&
        l.some((v, i) => v === "node" && l[i + 1] === masterId)
      );
    }, 10000);
    // The master takes MFSTART only from a node it knows as its replica: one
    // that just followed it says so in its next ping.
    await until("the master to know its replica", async () => {
      const f = (await clusterNodes(master.port)).find((f) => f[0] === replicaId);
      return f !== undefined && f[2]!.includes("slave") && f[3] === masterId;
    }, 10000);
    assertEquals(await call(replica.port, "CLUSTER", "FAILOVER"), "OK");
    await waitOwner(nodes, replicaId, 15000);
    await replica.waitLog(
      /All master replication stream processed, manual failover can start\./,
      1000,
    );
    await waitReplicaOf(master, replicaId, 15000);
    // Writes go on against the new master for a moment.
    const before = acked.size;
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await writer;
    assert(before > 0);
    for (const [k, v] of acked) assertEquals(await call(replica.port, "GET", k), v, k);
  } finally {
    stop = true;
    await writer;
    c.disconnect();
  }
}

Deno.test({
  name: "failover: a Respite replica of a redis-server master takes over, the old master follows",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const nodes = await startNodes(["redis", "respite", "redis", "respite"], ARGS);
    try {
      await formCluster(nodes, THIRDS);
      const [m0, , , r0] = nodes as [ClusterProc, ClusterProc, ClusterProc, ClusterProc];
      await replicate(nodes, r0, m0);
      let back!: ClusterProc;
      await t.step("kill -9 the redis-server master: the Respite replica is elected", async () => {
        back = await killAndPromote(nodes, m0, r0);
      });
      await t.step("CLUSTER FAILOVER on the redis-server replica of a Respite master", async () => {
        await manualFailover(nodes, back, r0);
      });
      await t.step("CLUSTER FAILOVER on the Respite replica of a redis-server master", async () => {
        // Masters vote about one master once per two node timeouts.
        await new Promise((r) => setTimeout(r, 2 * NODE_TIMEOUT + 100));
        await manualFailover(nodes, r0, back);
      });
    } finally {
      await stopAll(nodes);
    }
  },
});

Deno.test({
  name: "failover: cluster-replica-no-failover keeps a replica out of elections, not FORCE",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const nodes = await startNodes(Array(4).fill("respite"), ARGS);
    try {
      await formCluster(nodes, THIRDS);
      const [m0, m1, , r0] = nodes as [ClusterProc, ClusterProc, ClusterProc, ClusterProc];
      await replicate(nodes, r0, m0);
      assertEquals(
        await call(r0.port, "CONFIG", "SET", "cluster-replica-no-failover", "yes"),
        "OK",
      );
      const r0Id = await myId(r0.port);
      await until("the nofailover flag to spread", async () => {
        const f = (await clusterNodes(m1.port)).find((f) => f[0] === r0Id);
        return f !== undefined && f[2]!.includes("nofailover");
      }, 10000);
      await kill(m0);
      // The master is marked failed, and its replica stays one.
      await until("the master to be failed", async () => {
        const f = (await clusterNodes(m1.port)).find((f) => f[2]!.includes("master,fail"));
        return f !== undefined;
      }, 10000);
      await new Promise((r) => setTimeout(r, 3000));
      assertEquals(await info(r0.port, "role"), "slave");
      assertEquals(r0.log().includes("Starting a failover election"), false);
      // FORCE is a manual failover: it runs.
      assertEquals(await call(r0.port, "CLUSTER", "FAILOVER", "FORCE"), "OK");
      await waitOwner(nodes.filter((n) => n !== m0), r0Id, 10000);
      assertEquals(await info(r0.port, "role"), "master");
    } finally {
      await stopAll(nodes);
    }
  },
});

Deno.test({
  name: "replica migration: an orphaned master gets a replica from a master with two",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Two masters; the first has two replicas, the second one.
    const nodes = await startNodes(Array(5).fill("respite"), ARGS);
    try {
      await formCluster(nodes, [[0, 8191], [8192, 16383]]);
      const [m0, m1, r0a, r0b, r1] = nodes as ClusterProc[] as [
        ClusterProc,
        ClusterProc,
        ClusterProc,
        ClusterProc,
        ClusterProc,
      ];
      await replicate(nodes, r0a, m0);
      await replicate(nodes, r0b, m0);
      await replicate(nodes, r1, m1);
      await kill(r1);
      const m1Id = await myId(m1.port);
      const [aId, bId] = [await myId(r0a.port), await myId(r0b.port)];
      // The replica with the smaller name moves.
      const mover = aId < bId ? r0a : r0b;
      await waitReplicaOf(mover, m1Id, 20000);
      await mover.waitLog(new RegExp(`Migrating to orphaned master ${m1Id}`), 1000);
      const stayer = mover === r0a ? r0b : r0a;
      const me = (await clusterNodes(stayer.port)).find((f) => f[2]!.includes("myself"))!;
      assertEquals(me[3], await myId(m0.port));
    } finally {
      await stopAll(nodes);
    }
  },
});

// ---------------------------------------------------------------------------
// The replica's side in process (no sockets): what it sends and when.

/** A link that keeps what is sent on it. */
class CaptureLink extends BusLink {
  sent: ClusterMsg[] = [];
  override send(bytes: Uint8Array): void {
    const m = decodeMessage(bytes);
    if (typeof m === "string") throw new Error(m);
    this.sent.push(m);
  }
}

const NAME = (c: string) => c.repeat(40);

/**
 * This node ("5") a replica of master "a" serving slots 0..99; masters
 * "b" and "c" serve 100..199 and 200..299; "r" is another replica of "a".
 */
function replicaTable() {
  let now = 1_000_000;
  const me = new ClusterNode(NAME("5"), NodeFlag.MYSELF | NodeFlag.SLAVE, 0);
  const st = new ClusterState(me);
  const io = {
    offset: 100,
    dataAge: 0,
    noFailover: false,
    unsetMaster: 0,
    masters: [] as string[],
    logs: [] as string[],
  };
  const bus = new Bus({
    state: () => st,
    bindAddrs: [],
    busPort: 0,
    nodeTimeout: () => 1000,
    announced: () => ({ ip: "", port: 7000, pport: 0, cport: 17000, hostname: "" }),
    replOffset: () => io.offset,
    replicaDataAge: () => io.dataAge,
    replicaNoFailover: () => io.noFailover,
    unsetMaster: () => void io.unsetMaster++,
    deliver() {},
    setMaster: (m) => void io.masters.push(m.name),
    deleteKeysInSlot() {},
    beforeSleep() {},
    log: (_l, m) => void io.logs.push(m),
    now: () => now,
  });
  const known = (c: string, flags: number) => {
    const n = new ClusterNode(NAME(c), flags, now);
    n.ip = "127.0.0.1";
    n.port = 7000 + c.charCodeAt(0);
    n.cport = 17000 + c.charCodeAt(0);
    st.addNode(n);
    const out = new CaptureLink(bus, n, false, now);
    n.link = out;
    const inbound = new CaptureLink(bus, undefined, true, now);
    inbound.peerIp = "127.0.0.1";
    return { node: n, out, inbound };
  };
  const a = known("a", NodeFlag.MASTER), b = known("b", NodeFlag.MASTER);
  const c = known("c", NodeFlag.MASTER), r = known("r", NodeFlag.SLAVE);
  for (let j = 0; j < 300; j++) st.addSlot([a, b, c][Math.floor(j / 100)]!.node, j);
  a.node.configEpoch = 1, b.node.configEpoch = 2, c.node.configEpoch = 3;
  st.currentEpoch = 3;
  st.setReplicaOf(me, a.node);
  st.setReplicaOf(r.node, a.node);
  st.size = 3;
  const from = (n: ClusterNode, type: number): ClusterMsg => ({
    type,
    port: n.port,
    pport: 0,
    cport: n.cport,
    currentEpoch: st.currentEpoch,
    configEpoch: n.configEpoch,
    offset: n.replOffset,
    sender: n.name,
    myslots: n.slots.slice(),
    slaveof: n.replicaOf?.name ?? NULL_NAME,
    myip: "",
    flags: n.flags,
    state: 0,
    mflags: [0, 0, 0],
  });
  const sent = (l: { out: CaptureLink }, type: number) => l.out.sent.filter((m) => m.type === type);
  return {
    st,
    me,
    bus,
    io,
    a,
    b,
    c,
    r,
    from,
    sent,
    /** The bus's cron work for a replica, after `ms`. */
    cron(ms = 100) {
      now += ms;
      replicaCron(bus);
    },
    /** A message arrives (then the end-of-turn failover work, as the bus does it). */
    receive(link: BusLink, msg: ClusterMsg) {
      processPacket(bus, link, msg);
      failoverBeforeSleep(bus);
    },
    get now() {
      return now;
    },
  };
}

Deno.test("failover in process: a replica of a FAIL master waits, asks for votes, wins with a majority", () => {
  const t = replicaTable();
  const { st, me, a, b, c, r, io } = t;
  // Master up: nothing happens.
  t.cron();
  assertEquals(t.sent(b, MsgType.FAILOVER_AUTH_REQUEST).length, 0);
  a.node.flags |= NodeFlag.FAIL;
  a.node.failTime = t.now;
  t.cron();
  // Scheduled 500..999 ms ahead (rank 0), the other replica hears our offset.
  const delay = st.failoverAuthTime - t.now;
  assert(delay >= 500 && delay < 1000, `delay ${delay}`);
  assert(
    io.logs.some((l) =>
      /^Start of election delayed for \d+ milliseconds \(rank #0, offset 100\)\.$/.test(l)
    ),
  );
  assertEquals(t.sent(r, MsgType.PONG).length, 1);
  assertEquals(t.sent(b, MsgType.PONG).length, 0);
  t.cron(delay - 100);
  assertEquals(t.sent(b, MsgType.FAILOVER_AUTH_REQUEST).length, 0);
  t.cron(100);
  // The request goes to every node, at a new epoch, no FORCEACK.
  assertEquals(st.currentEpoch, 4);
  assertEquals(st.failoverAuthEpoch, 4);
  for (const n of [a, b, c, r]) assertEquals(t.sent(n, MsgType.FAILOVER_AUTH_REQUEST).length, 1);
  const req = t.sent(b, MsgType.FAILOVER_AUTH_REQUEST)[0]!;
  assertEquals([req.currentEpoch, req.configEpoch, req.mflags[0]], [4, 1, 0]);
  assertEquals(req.slaveof, a.node.name);
  // A vote from a replica does not count; one master's is not a majority of 3.
  t.receive(r.inbound, t.from(r.node, MsgType.FAILOVER_AUTH_ACK));
  t.receive(b.inbound, t.from(b.node, MsgType.FAILOVER_AUTH_ACK));
  assertEquals(st.failoverAuthCount, 1);
  assert(me.isReplica);
  t.receive(c.inbound, t.from(c.node, MsgType.FAILOVER_AUTH_ACK));
  // Won: a master at the election's epoch, with the old master's slots, replication off.
  assert(me.isMaster);
  assertEquals(me.configEpoch, 4);
  assertEquals(me.numslots, 100);
  assertEquals(st.slots[0], me);
  assertEquals(a.node.numslots, 0);
  assertEquals(io.unsetMaster, 1);
  assert(io.logs.includes("Failover election won: I'm the new master."));
  assert(io.logs.includes("configEpoch set to 4 after successful failover"));
  // Everyone hears it at once.
  for (const n of [b, c, r]) assertEquals(t.sent(n, MsgType.PONG).length >= 1, true);
  const pong = t.sent(b, MsgType.PONG).at(-1)!;
  assertEquals([pong.slaveof, pong.configEpoch], [NULL_NAME, 4]);
});

Deno.test("failover in process: rank by offset, no quorum in time, no-failover, old data", () => {
  const t = replicaTable();
  const { st, a, b, r, io } = t;
  // The other replica processed more: one second more to wait.
  r.node.replOffset = 500;
  a.node.flags |= NodeFlag.FAIL;
  a.node.failTime = t.now;
  t.cron();
  assertEquals(st.failoverAuthRank, 1);
  const delay = st.failoverAuthTime - t.now;
  assert(delay >= 1500 && delay < 2000, `delay ${delay}`);
  // Asked, but no vote comes within the auth timeout (2 s at least): expired.
  t.cron(delay);
  assertEquals(t.sent(b, MsgType.FAILOVER_AUTH_REQUEST).length, 1);
  t.cron(2001);
  assertEquals(t.sent(b, MsgType.FAILOVER_AUTH_REQUEST).length, 1);
  // The next attempt comes after twice the auth timeout, at a new epoch.
  for (let i = 0; i < 25; i++) t.cron(100);
  assertEquals(t.sent(b, MsgType.FAILOVER_AUTH_REQUEST).length, 1);
  t.cron(4000);
  t.cron(st.failoverAuthTime - t.now);
  assertEquals(t.sent(b, MsgType.FAILOVER_AUTH_REQUEST).length, 2);
  assertEquals(st.failoverAuthEpoch, 5);
  // Logged once the master has been down long enough to matter.
  t.cron(6000);
  assert(io.logs.some((l) => l.startsWith("Currently unable to failover: ")));

  // cluster-replica-no-failover: no election.
  const u = replicaTable();
  u.io.noFailover = true;
  u.a.node.flags |= NodeFlag.FAIL;
  u.cron();
  u.cron(2000);
  assertEquals(u.st.failoverAuthTime, 0);
  assertEquals(u.sent(u.b, MsgType.FAILOVER_AUTH_REQUEST).length, 0);

  // Data older than repl-ping-replica-period + node timeout × validity factor (10 + 10 s).
  const v = replicaTable();
  v.io.dataAge = 1000 + 20_001;
  v.a.node.flags |= NodeFlag.FAIL;
  v.a.node.failTime = v.now - 60_000;
  v.cron();
  assertEquals(v.st.failoverAuthTime, 0);
  assert(v.io.logs.some((l) => l.includes("cluster-replica-validity-factor")));
  v.io.dataAge = 1000 + 20_000;
  v.cron();
  assert(v.st.failoverAuthTime !== 0);
});

Deno.test("failover in process: CLUSTER FAILOVER waits for the master's offset, then forces the vote", () => {
  const t = replicaTable();
  const { st, me, a, b, c, io } = t;
  startManualFailover(t.bus, false);
  assertEquals(t.sent(a, MsgType.MFSTART).length, 1);
  assert(st.mfEnd !== 0 && !st.mfCanStart);
  // The paused master's ping tells its offset; this replica is behind.
  a.node.replOffset = 150;
  const ping = t.from(a.node, MsgType.PING);
  ping.mflags = [MsgFlag0.PAUSED, 0, 0];
  t.receive(a.inbound, ping);
  assertEquals(st.mfMasterOffset, 150);
  t.cron();
  assertEquals(t.sent(b, MsgType.FAILOVER_AUTH_REQUEST).length, 0);
  io.offset = 150;
  t.cron();
  assert(io.logs.includes("All master replication stream processed, manual failover can start."));
  // No delay, FORCEACK set; the master (up) votes too.
  t.cron();
  const req = t.sent(b, MsgType.FAILOVER_AUTH_REQUEST)[0]!;
  assertEquals(req.mflags[0] & MsgFlag0.FORCEACK, MsgFlag0.FORCEACK);
  t.receive(a.inbound, t.from(a.node, MsgType.FAILOVER_AUTH_ACK));
  t.receive(c.inbound, t.from(c.node, MsgType.FAILOVER_AUTH_ACK));
  assert(me.isMaster);
  assertEquals(st.mfEnd, 0);

  // FORCE: no MFSTART, the election at once; no majority within 5 s: abandoned.
  const f = replicaTable();
  startManualFailover(f.bus, true);
  assertEquals(f.sent(f.a, MsgType.MFSTART).length, 0);
  f.cron();
  f.cron();
  assertEquals(f.sent(f.b, MsgType.FAILOVER_AUTH_REQUEST).length, 1);
  f.cron(5001);
  f.bus.cron();
  assertEquals(f.st.mfEnd, 0);
  assert(f.io.logs.includes("Manual failover timed out."));
});

Deno.test("failover in process: replica migration to an orphaned master", () => {
  const t = replicaTable();
  const { st, me, b, r, io } = t;
  // "b" had a replica that failed: orphaned. "a" has two working replicas.
  const gone = new ClusterNode(NAME("g"), NodeFlag.SLAVE | NodeFlag.FAIL, 0);
  st.addNode(gone);
  st.setReplicaOf(gone, b.node);
  st.state = "ok";
  t.cron();
  // Not before the orphan has been one for 5 s.
  assertEquals(io.masters, []);
  for (let i = 0; i < 50; i++) t.cron(100);
  assertEquals(io.masters, []);
  t.cron(200);
  // This replica's name ("5...") is smaller than "r...": it moves.
  assertEquals(io.masters, [b.node.name]);
  assert(io.logs.includes(`Migrating to orphaned master ${b.node.name}`));
  void me, r;

  // With cluster-migration-barrier at 2, "a" must keep two: nobody moves.
  const u = replicaTable();
  const g2 = new ClusterNode(NAME("g"), NodeFlag.SLAVE | NodeFlag.FAIL, 0);
  u.st.addNode(g2);
  u.st.setReplicaOf(g2, u.b.node);
  u.st.state = "ok";
  (u.bus.host as { migrationBarrier?: () => number }).migrationBarrier = () => 2;
  for (let i = 0; i < 70; i++) u.cron(100);
  assertEquals(u.io.masters, []);
});
