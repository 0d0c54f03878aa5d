/**
 * The cluster bus: the message codec against Redis 7.0's layout and
 * against messages recorded from real redis-server nodes
 * (tests/fixtures/cluster_bus, recorded by its record.ts), malformed
 * input, and (further down) links and gossip between Respite and
 * redis-server nodes.
 */

import { assertEquals, assertMatch, assertOk, assertThrows } from "../_assert.ts";
import {
  type ClusterMsg,
  decodeMessage,
  emptySlots,
  encodeMessage,
  Layout,
  messageLength,
  MessageReader,
  MsgFlag0,
  MsgType,
  NULL_NAME,
  PingExtType,
} from "../../plugins/cluster/bus/_messages.ts";
import {
  bitmapSetBit,
  bitmapTestBit,
  ClusterNode,
  ClusterState,
  NodeFlag,
} from "../../plugins/cluster/_state.ts";
import { Bus } from "../../plugins/cluster/bus/_bus.ts";
import { BusLink } from "../../plugins/cluster/bus/_link.ts";
import { processPacket } from "../../plugins/cluster/bus/_process.ts";
import {
  call,
  freePort,
  hasRedis,
  type Proc,
  RawClient,
  runToExit,
  spawnServer,
  until,
} from "../_helpers.ts";

const FIXTURES = new URL("../fixtures/cluster_bus/", import.meta.url);

interface FixtureNode {
  id: string;
  port: number;
  cport: number;
  announcedCport?: number;
  hostname?: string;
}
const fixtures = JSON.parse(
  Deno.readTextFileSync(new URL("fixtures.json", FIXTURES)),
) as { nodes: Record<"a" | "b" | "c" | "d", FixtureNode>; messages: Record<string, string> };

function fixture(name: string): Uint8Array {
  return Deno.readFileSync(new URL(fixtures.messages[name]!, FIXTURES));
}

function decoded(bytes: Uint8Array): ClusterMsg {
  const m = decodeMessage(bytes);
  if (typeof m === "string") throw new Error(m);
  return m;
}

function baseMsg(type: number): ClusterMsg {
  return {
    type,
    port: 7000,
    pport: 0,
    cport: 17000,
    currentEpoch: 5,
    configEpoch: 4,
    offset: 123456,
    sender: "0123456789abcdef0123456789abcdef01234567",
    myslots: emptySlots(),
    slaveof: NULL_NAME,
    myip: "",
    flags: 1,
    state: 0,
    mflags: [0, 0, 0],
  };
}

const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at);
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at);
const u64 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getBigUint64(at);

Deno.test("bus codec: sizes and offsets are cluster.h's (7.0)", () => {
  // sizeof(clusterMsg) and CLUSTERMSG_MIN_LEN on 64-bit Linux.
  assertEquals(Layout.msgSize, 4352);
  assertEquals(Layout.headerSize, 2256);
  assertEquals(Layout.headerSize + Layout.dataSize, Layout.msgSize);
  assertEquals(Layout.gossipSize, 104);
  const m = baseMsg(MsgType.PING);
  m.port = 0x1234;
  m.pport = 0x2345;
  m.cport = 0x3456;
  m.flags = 0x0201;
  m.state = 1;
  m.mflags = [MsgFlag0.PAUSED, 7, 9];
  m.currentEpoch = 0x0102030405;
  m.configEpoch = 0x0a0b0c;
  m.offset = 2 ** 40 + 3;
  m.myip = "10.1.2.3";
  m.slaveof = "f".repeat(40);
  bitmapSetBit(m.myslots, 0);
  bitmapSetBit(m.myslots, 16383);
  m.gossip = [{
    nodename: "e".repeat(40),
    pingSent: 11,
    pongReceived: 22,
    ip: "192.168.0.1",
    port: 6379,
    cport: 16379,
    flags: 8,
    pport: 1,
  }];
  const b = encodeMessage(m);
  assertEquals(String.fromCharCode(...b.subarray(0, 4)), "RCmb");
  assertEquals(u32(b, 4), 2256 + 104);
  assertEquals(u16(b, 8), 1);
  assertEquals(u16(b, 10), 0x1234);
  assertEquals(u16(b, 12), MsgType.PING);
  assertEquals(u16(b, 14), 1);
  assertEquals(u64(b, 16), 0x0102030405n);
  assertEquals(u64(b, 24), 0x0a0b0cn);
  assertEquals(u64(b, 32), 2n ** 40n + 3n);
  assertEquals(String.fromCharCode(...b.subarray(40, 80)), m.sender);
  // Slot 0 is the low bit of the first byte, slot 16383 the high bit of the last.
  assertEquals(b[80], 1);
  assertEquals(b[80 + 2047], 0x80);
  assertEquals(String.fromCharCode(...b.subarray(2128, 2168)), m.slaveof);
  assertEquals(String.fromCharCode(...b.subarray(2168, 2176)), "10.1.2.3");
  assertEquals(b[2176], 0);
  assertEquals(u16(b, 2214), 0); // extensions
  assertEquals(u16(b, 2246), 0x2345);
  assertEquals(u16(b, 2248), 0x3456);
  assertEquals(u16(b, 2250), 0x0201);
  assertEquals([b[2252], b[2253], b[2254], b[2255]], [1, 1, 7, 9]);
  // The gossip entry.
  const g = 2256;
  assertEquals(String.fromCharCode(...b.subarray(g, g + 40)), "e".repeat(40));
  assertEquals(u32(b, g + 40), 11);
  assertEquals(u32(b, g + 44), 22);
  assertEquals(String.fromCharCode(...b.subarray(g + 48, g + 59)), "192.168.0.1");
  assertEquals(u16(b, g + 94), 6379);
  assertEquals(u16(b, g + 96), 16379);
  assertEquals(u16(b, g + 98), 8);
  assertEquals(u16(b, g + 100), 1);
  assertEquals(u16(b, g + 102), 0);
  // And back.
  const back = decoded(b);
  assertEquals(back.gossip, m.gossip);
  assertEquals(back.currentEpoch, m.currentEpoch);
  assertEquals(back.offset, m.offset);
  assertEquals(back.myip, "10.1.2.3");
  assertOk(bitmapTestBit(back.myslots, 16383));
  assertEquals(back.exts, []);
});

Deno.test("bus codec: bodies of FAIL, PUBLISH, UPDATE, MODULE and the hostname extension", () => {
  const fail = baseMsg(MsgType.FAIL);
  fail.fail = { nodename: "c".repeat(40) };
  const fb = encodeMessage(fail);
  assertEquals(fb.length, 2256 + 40);
  assertEquals(decoded(fb).fail, { nodename: "c".repeat(40) });

  const pub = baseMsg(MsgType.PUBLISH);
  pub.publish = { channel: "ch\x00\xff", message: "\r\nmsg" };
  const pb = encodeMessage(pub);
  assertEquals(pb.length, 2256 + 8 + 4 + 5);
  assertEquals([u32(pb, 2256), u32(pb, 2260)], [4, 5]);
  assertEquals(decoded(pb).publish, pub.publish);

  const upd = baseMsg(MsgType.UPDATE);
  const slots = emptySlots();
  bitmapSetBit(slots, 100);
  upd.update = { configEpoch: 9, nodename: "d".repeat(40), slots };
  const ub = encodeMessage(upd);
  assertEquals(ub.length, 4352);
  assertEquals(u64(ub, 2256), 9n);
  assertEquals(decoded(ub).update, upd.update);

  const mod = baseMsg(MsgType.MODULE);
  mod.module = { moduleId: 0xfedcba9876543210n, moduleType: 7, payload: new Uint8Array([1, 2]) };
  const mb = encodeMessage(mod);
  assertEquals(mb.length, 2256 + 13 + 2);
  assertEquals(decoded(mb).module, mod.module);

  for (const t of [MsgType.FAILOVER_AUTH_REQUEST, MsgType.FAILOVER_AUTH_ACK, MsgType.MFSTART]) {
    assertEquals(encodeMessage(baseMsg(t)).length, 2256);
    assertEquals(decoded(encodeMessage(baseMsg(t))).type, t);
  }

  // Hostname: NUL-terminated, padded to 8 bytes, after the gossip.
  const ping = baseMsg(MsgType.PONG);
  ping.exts = [{ type: PingExtType.HOSTNAME, hostname: "abcdefgh" }];
  const hb = encodeMessage(ping);
  assertEquals(hb.length, 2256 + 8 + 16);
  assertEquals(u16(hb, 2214), 1);
  assertEquals(hb[2253]! & MsgFlag0.EXT_DATA, MsgFlag0.EXT_DATA);
  assertEquals([u32(hb, 2256), u16(hb, 2260), u16(hb, 2262)], [24, 0, 0]);
  assertEquals(decoded(hb).exts, ping.exts);
  // An extension of an unknown type is skipped over and kept.
  ping.exts = [{ type: 9, data: new Uint8Array(8).fill(3) }, ping.exts[0]!];
  assertEquals(decoded(encodeMessage(ping)).exts, ping.exts);
  assertEquals(messageLength(ping), encodeMessage(ping).length);
});

Deno.test("bus codec: messages recorded from redis-server 7.0 decode and re-encode byte for byte", () => {
  const { a, b, c } = fixtures.nodes;
  for (const name of Object.keys(fixtures.messages)) {
    const bytes = fixture(name);
    const m = decoded(bytes);
    assertEquals(encodeMessage(m), bytes, `${name} re-encoded`);
  }
  const meet = decoded(fixture("meet_hostname"));
  assertEquals(meet.type, MsgType.MEET);
  assertEquals([meet.sender, meet.port, meet.cport, meet.pport], [
    a.id,
    a.port,
    a.announcedCport,
    0,
  ]);
  assertEquals(meet.exts, [{ type: PingExtType.HOSTNAME, hostname: a.hostname! }]);
  assertEquals(meet.slaveof, NULL_NAME);
  // A's slots 0-5460 were assigned before the MEET.
  assertOk(bitmapTestBit(meet.myslots, 0) && bitmapTestBit(meet.myslots, 5460));
  assertOk(!bitmapTestBit(meet.myslots, 5461));

  const pong = decoded(fixture("pong"));
  assertEquals(pong.type, MsgType.PONG);
  assertEquals([pong.sender, pong.port, pong.cport], [b.id, b.port, b.announcedCport]);
  assertEquals(pong.exts, []); // B announces no hostname: no extension, no EXT_DATA
  assertEquals(pong.mflags[0] & MsgFlag0.EXT_DATA, 0);

  const gossip = decoded(fixture("ping_gossip"));
  assertOk(gossip.gossip!.length > 0);
  const ids = new Set(Object.values(fixtures.nodes).map((n) => n.id));
  for (const g of gossip.gossip!) {
    assertOk(ids.has(g.nodename), `gossip about ${g.nodename}`);
    assertEquals(g.ip, "127.0.0.1");
  }

  const fail = decoded(fixture("fail"));
  assertEquals(fail.fail, { nodename: c.id });
  const publish = decoded(fixture("publish"));
  assertEquals(publish.publish, { channel: "news", message: "hello\x00\xff" });
  assertEquals(publish.sender, a.id);
  const shard = decoded(fixture("publishshard"));
  assertEquals(shard.type, MsgType.PUBLISHSHARD);
  assertEquals(shard.publish, { channel: "{a}ch", message: "shard-msg" });
  // The manual failover: B, A's replica, asks A to pause, then asks for votes (forced).
  const mfstart = decoded(fixture("mfstart"));
  assertEquals([mfstart.type, mfstart.sender, mfstart.slaveof], [MsgType.MFSTART, b.id, a.id]);
  assertEquals(fixture("mfstart").length, Layout.headerSize);
  const authReq = decoded(fixture("auth_request"));
  assertEquals([authReq.sender, authReq.slaveof], [b.id, a.id]);
  assertEquals(authReq.mflags[0] & MsgFlag0.FORCEACK, MsgFlag0.FORCEACK);
  assertOk(bitmapTestBit(authReq.myslots, 0) && bitmapTestBit(authReq.myslots, 15495));
  const authAck = decoded(fixture("auth_ack"));
  assertEquals(authAck.type, MsgType.FAILOVER_AUTH_ACK);
  assertOk([a.id, fixtures.nodes.d.id].includes(authAck.sender));
  const update = decoded(fixture("update"));
  assertEquals(update.update!.nodename, a.id);
  assertOk(update.update!.configEpoch > 0);
  assertOk(bitmapTestBit(update.update!.slots, 100));
});

Deno.test("bus codec: the reader frames messages however the bytes arrive", () => {
  const all = Object.keys(fixtures.messages).map(fixture);
  const stream = new Uint8Array(all.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of all) {
    stream.set(b, at);
    at += b.length;
  }
  for (const step of [1, 7, 8, 9, 1000, 2256, 5000, stream.length]) {
    const reader = new MessageReader();
    const out: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += step) {
      out.push(...reader.feed(stream.slice(i, i + step)));
    }
    assertEquals(out, all, `step ${step}`);
    assertEquals(reader.buffered, 0);
  }
});

Deno.test("bus codec: a stream that is not a bus is refused; a huge length allocates nothing", () => {
  const ping = encodeMessage(baseMsg(MsgType.PING));
  const bad = ping.slice();
  bad[0] = 0x58;
  assertThrows(() => new MessageReader().feed(bad), /Bad message length or signature/);
  // Redis's read handler wants at least the header's length.
  const short = ping.slice();
  new DataView(short.buffer).setUint32(4, 2255);
  assertThrows(() => new MessageReader().feed(short), /Bad message length/);
  // Only 8 bytes decide; a RESP client on the bus port is refused at once.
  assertThrows(() => new MessageReader().feed(new TextEncoder().encode("PING\r\n\r\n")));
  const huge = ping.slice(0, 100);
  new DataView(huge.buffer).setUint32(4, 0xffffffff);
  const reader = new MessageReader();
  assertEquals(reader.feed(huge), []);
  assertEquals(reader.buffered, 100);
});

Deno.test("bus codec: malformed messages are refused as clusterIsValidPacket refuses them", () => {
  const check = (b: Uint8Array, re: RegExp) => {
    const r = decodeMessage(b);
    assertOk(typeof r === "string" && re.test(r), `got ${typeof r === "string" ? r : "a message"}`);
  };
  const setU32 = (b: Uint8Array, at: number, n: number) =>
    new DataView(b.buffer, b.byteOffset).setUint32(at, n);
  const setU16 = (b: Uint8Array, at: number, n: number) =>
    new DataView(b.buffer, b.byteOffset).setUint16(at, n);

  // Another protocol version.
  const v2 = encodeMessage(baseMsg(MsgType.PING));
  setU16(v2, 8, 2);
  check(v2, /protocol version 2/);
  // A gossip count the message has no room for.
  const many = encodeMessage(baseMsg(MsgType.PING));
  setU16(many, 14, 3);
  check(many, /^Received invalid ping packet of length 2256 but expected length 2568$/);
  // Bytes left over after the gossip (no extensions flagged).
  const extra = new Uint8Array(2264);
  extra.set(encodeMessage(baseMsg(MsgType.PONG)));
  setU32(extra, 4, 2264);
  check(extra, /invalid pong packet of length 2264 but expected length 2256/);
  // Extensions: not padded to 8, running past the end, shorter than a header.
  const withExt = baseMsg(MsgType.MEET);
  withExt.exts = [{ type: PingExtType.HOSTNAME, hostname: "host" }];
  const unpadded = encodeMessage(withExt);
  setU32(unpadded, 2256, 13);
  check(unpadded, /meet packet without proper padding \(13 bytes\)/);
  const overrun = encodeMessage(withExt);
  setU32(overrun, 2256, 64);
  check(overrun, /extension data that exceeds total packet length/);
  const zero = encodeMessage(withExt);
  setU32(zero, 2256, 0);
  check(zero, /extension data that exceeds total packet length/);
  const twoClaimed = encodeMessage(withExt);
  setU16(twoClaimed, 2214, 2);
  check(twoClaimed, /extension data that exceeds total packet length/);
  // Without EXT_DATA the extensions count is not looked at: the bytes are extra.
  const unflagged = encodeMessage(withExt);
  unflagged[2253] = 0;
  check(unflagged, /invalid meet packet of length 2272 but expected length 2256/);
  // Fixed-size bodies of the wrong size.
  for (const [type, size] of [[MsgType.FAIL, 40], [MsgType.UPDATE, 2096]] as const) {
    const m = baseMsg(type);
    const b = encodeMessage(m).slice(0, 2256 + size - 1);
    setU32(b, 4, b.length);
    check(b, /but expected length/);
  }
  const auth = new Uint8Array(2260);
  auth.set(encodeMessage(baseMsg(MsgType.FAILOVER_AUTH_REQUEST)));
  setU32(auth, 4, 2260);
  check(auth, /invalid auth-req packet of length 2260 but expected length 2256/);
  // PUBLISH lengths that do not add up, also ones that would overflow 32 bits.
  const pub = baseMsg(MsgType.PUBLISH);
  pub.publish = { channel: "c", message: "m" };
  const p1 = encodeMessage(pub);
  setU32(p1, 2260, 2);
  check(p1, /invalid publish packet of length 2266 but expected length 2267/);
  const p2 = encodeMessage(pub);
  setU32(p2, 2256, 0xffffffff);
  setU32(p2, 2260, 0xffffffff);
  check(p2, /invalid publish packet/);
  const p3 = encodeMessage(baseMsg(MsgType.PUBLISHSHARD)).slice(0, 2260);
  setU32(p3, 4, 2260);
  check(p3, /invalid publishshard packet/);
  const mod = encodeMessage(baseMsg(MsgType.MODULE)).slice(0, 2256);
  setU32(mod, 4, 2256);
  check(mod, /invalid module packet/);
  // The frame and its declared length disagree.
  const cut = encodeMessage(baseMsg(MsgType.PING)).slice(0, 2000);
  check(cut, /Bad message length/);
  // A type this version does not know is taken as it comes.
  const future = encodeMessage(baseMsg(MsgType.PING));
  setU16(future, 12, 42);
  const f = decoded(future);
  assertEquals([f.type, f.unknown!.length], [42, 0]);
  // Random corruption never throws.
  const rnd = (n: number) => Math.floor(Math.random() * n);
  const samples = Object.keys(fixtures.messages).map(fixture);
  for (let i = 0; i < 2000; i++) {
    const b = samples[i % samples.length]!.slice();
    for (let k = 0; k < 4; k++) b[rnd(b.length)] = rnd(256);
    if (i % 3 === 0) b[2256 + rnd(Math.max(1, b.length - 2256))] = rnd(256);
    const r = decodeMessage(b);
    assertOk(typeof r === "string" || typeof r === "object");
  }
});

// ---------------------------------------------------------------------------
// Links and gossip between processes: Respite nodes and redis-server nodes.

const procOpts = { sanitizeOps: false, sanitizeResources: false, ignore: !hasRedis };

/** A cluster node process and its bus port. */
interface Node {
  kind: "respite" | "redis";
  proc: Proc;
  port: number;
  cport: number;
  id: string;
  dir: string;
}

const NODE_TIMEOUT = "1000";

/** Directories of restarted nodes (spawnServer removes only the ones it made). */
const keptDirs: string[] = [];
function removeKeptDirs(): void {
  for (const d of keptDirs.splice(0)) {
    try {
      Deno.removeSync(d, { recursive: true });
    } catch { /* gone */ }
  }
}

async function startNode(
  kind: "respite" | "redis",
  extra: string[] = [],
  keep?: { port: number; cport: number; dir: string },
): Promise<Node> {
  const cport = keep?.cport ?? freePort();
  const args = [
    ...["--cluster-enabled", "yes", "--cluster-port", String(cport)],
    ...["--cluster-node-timeout", NODE_TIMEOUT, "--save", "", "--appendonly", "no"],
    ...["--repl-diskless-sync-delay", "0"],
    ...extra,
  ];
  const proc = await spawnServer(
    kind,
    args,
    keep ? { port: keep.port, dir: keep.dir } : {},
  );
  const id = String(await call(proc.port, "CLUSTER", "MYID"));
  return { kind, proc, port: proc.port, cport, id, dir: proc.dir };
}

/** One line of CLUSTER NODES. */
interface NodeLine {
  id: string;
  addr: string;
  hostname: string;
  flags: string[];
  master: string;
  configEpoch: number;
  link: string;
  slots: string[];
}

async function nodesOf(n: Node): Promise<Map<string, NodeLine>> {
  const text = String(await call(n.port, "CLUSTER", "NODES"));
  const out = new Map<string, NodeLine>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const f = line.trim().split(" ");
    const [addr = "", hostname = ""] = f[1]!.split(",");
    out.set(f[0]!, {
      id: f[0]!,
      addr,
      hostname,
      flags: f[2]!.split(","),
      master: f[3]!,
      configEpoch: Number(f[6]),
      link: f[7]!,
      slots: f.slice(8),
    });
  }
  return out;
}

/** True when `n` sees `other` as a connected master or replica, out of handshake. */
/** DELSLOTS then ADDSLOTS of `slot` on `n`, in one MULTI: EXEC's replies. */
async function reclaim(n: Node, slot: string): Promise<unknown> {
  const c = await RawClient.connect(n.port);
  try {
    await c.call("MULTI");
    await c.call("CLUSTER", "DELSLOTS", slot);
    await c.call("CLUSTER", "ADDSLOTS", slot);
    return await c.call("EXEC");
  } finally {
    c.close();
  }
}

async function sees(n: Node, other: Node): Promise<boolean> {
  const line = (await nodesOf(n)).get(other.id);
  return line !== undefined && line.link === "connected" &&
    !line.flags.includes("handshake") && !line.flags.includes("fail") &&
    !line.flags.includes("fail?") && line.addr === `127.0.0.1:${other.port}@${other.cport}`;
}

async function flagged(n: Node, other: Node, flag: string): Promise<boolean> {
  return (await nodesOf(n)).get(other.id)?.flags.includes(flag) === true;
}

async function clusterInfo(n: Node): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const l of String(await call(n.port, "CLUSTER", "INFO")).split("\r\n")) {
    const i = l.indexOf(":");
    if (i > 0) m.set(l.slice(0, i), l.slice(i + 1));
  }
  return m;
}

/** Every node's view of each slot's owner, as CLUSTER SLOTS reports it. */
async function slotOwners(n: Node): Promise<string> {
  const r = await call(n.port, "CLUSTER", "SLOTS") as unknown[][];
  return r.map((e) => `${e[0]}-${e[1]}:${(e[2] as unknown[])[2]}`).sort().join(" ");
}

Deno.test(
  "bus: Respite and redis-server nodes meet, gossip, agree on slots, detect failures",
  procOpts,
  async (t) => {
    const nodes: Node[] = [];
    try {
      const r1 = await startNode("respite");
      nodes.push(r1);
      const x = await startNode("redis");
      nodes.push(x);
      const r3 = await startNode("respite", ["--cluster-announce-hostname", "r3.example"]);
      nodes.push(r3);

      await t.step("a Respite node meets redis-server: both see the other connected", async () => {
        assertEquals(
          await call(r1.port, "CLUSTER", "MEET", "127.0.0.1", String(x.port), String(x.cport)),
          "OK",
        );
        await until("redis-server sees Respite", () => sees(x, r1));
        await until("Respite sees redis-server", () => sees(r1, x));
        // Each holds a link of its own to the other and one accepted from it.
        const links = await call(r1.port, "CLUSTER", "LINKS") as unknown[][];
        const dirs = links.map((l) => String(l[l.indexOf("direction") + 1]));
        assertOk(dirs.includes("to") && dirs.includes("from"), `links ${JSON.stringify(links)}`);
        assertEquals(Number((await clusterInfo(r1)).get("cluster_known_nodes")), 2);
        // Two masters that met at config epoch 0 end up with distinct epochs.
        await until("distinct config epochs", async () => {
          const a = (await nodesOf(x)).get(x.id)!.configEpoch;
          const b = (await nodesOf(x)).get(r1.id)!.configEpoch;
          return a !== b;
        });
      });

      await t.step(
        "redis-server meets a Respite node; the third learns of it by gossip",
        async () => {
          assertEquals(
            await call(x.port, "CLUSTER", "MEET", "127.0.0.1", String(r3.port), String(r3.cport)),
            "OK",
          );
          await until("redis-server sees r3", () => sees(x, r3));
          await until("r3 sees redis-server", () => sees(r3, x));
          await until("r1 learns r3 by gossip", () => sees(r1, r3), 15000);
          await until("r3 learns r1 by gossip", () => sees(r3, r1), 15000);
          for (const n of nodes) {
            assertEquals(Number((await clusterInfo(n)).get("cluster_known_nodes")), 3);
          }
          // r3's hostname reached the others through the ping extension.
          await until(
            "r3's hostname is known",
            async () =>
              (await nodesOf(x)).get(r3.id)?.hostname === "r3.example" &&
              (await nodesOf(r1)).get(r3.id)?.hostname === "r3.example",
          );
        },
      );

      await t.step("slots assigned on each node reach every other; the cluster is ok", async () => {
        assertEquals(await call(r1.port, "CLUSTER", "ADDSLOTSRANGE", "0", "5460"), "OK");
        assertEquals(await call(x.port, "CLUSTER", "ADDSLOTSRANGE", "5461", "10922"), "OK");
        assertEquals(await call(r3.port, "CLUSTER", "ADDSLOTSRANGE", "10923", "16383"), "OK");
        const want = [
          `0-5460:${r1.id}`,
          `10923-16383:${r3.id}`,
          `5461-10922:${x.id}`,
        ].sort().join(" ");
        for (const n of nodes) {
          await until(
            `node ${n.port} knows every owner`,
            async () => (await slotOwners(n)) === want,
          );
        }
        for (const n of nodes) {
          await until(
            `node ${n.port} ok`,
            async () => (await clusterInfo(n)).get("cluster_state") === "ok",
          );
        }
        // Config epochs all differ, as collisions were resolved.
        const epochs = new Set([...(await nodesOf(x)).values()].map((l) => l.configEpoch));
        assertEquals(epochs.size, 3);
      });

      const want = [`0-5460:${r1.id}`, `10923-16383:${r3.id}`, `5461-10922:${x.id}`].sort()
        .join(" ");
      const epochOf = async (viewer: Node, n: Node) =>
        (await nodesOf(viewer)).get(n.id)!.configEpoch;
      const stat = async (n: Node, name: string) =>
        Number((await clusterInfo(n)).get(`cluster_stats_messages_${name}`) ?? 0);

      await t.step("a stale claim on Respite is corrected by redis-server's UPDATE", async () => {
        // BUMPED, or STILL when x already has the greatest epoch.
        assertMatch(String(await call(x.port, "CLUSTER", "BUMPEPOCH")), /^(BUMPED|STILL) \d+$/);
        const epoch = await epochOf(x, x);
        assertOk(epoch > (await epochOf(x, r1)));
        for (const n of nodes) {
          await until(`${n.port} sees x's epoch`, async () => (await epochOf(n, x)) === epoch);
        }
        // r1 takes one of x's slots at its own, older, config epoch.
        // In one transaction: a ping between the two would give the slot back first.
        assertEquals(await reclaim(r1, "6000"), ["OK", "OK"]);
        await until("r1 gives slot 6000 back", async () => (await slotOwners(r1)) === want);
        assertOk((await stat(r1, "update_received")) > 0);
        for (const n of nodes) {
          await until(`node ${n.port} agrees`, async () => (await slotOwners(n)) === want);
        }
      });

      await t.step("a stale claim on redis-server is corrected by Respite's UPDATE", async () => {
        assertMatch(String(await call(r1.port, "CLUSTER", "BUMPEPOCH")), /^BUMPED \d+$/);
        const epoch = await epochOf(r1, r1);
        for (const n of nodes) {
          await until(`${n.port} sees r1's epoch`, async () => (await epochOf(n, r1)) === epoch);
        }
        const sent = await stat(r1, "update_sent");
        assertEquals(await reclaim(x, "100"), ["OK", "OK"]);
        await until("x gives slot 100 back", async () => (await slotOwners(x)) === want);
        assertOk((await stat(r1, "update_sent")) > sent);
        for (const n of nodes) {
          await until(`node ${n.port} agrees`, async () => (await slotOwners(n)) === want);
        }
      });

      await t.step("PUBLISH on redis-server reaches a subscriber of a Respite node", async () => {
        const sub = await RawClient.connect(r1.port);
        try {
          assertEquals(await sub.call("SUBSCRIBE", "news"), ["subscribe", "news", 1]);
          await call(x.port, "PUBLISH", "news", "hi\x00\xff");
          assertEquals((await sub.read()).value, ["message", "news", "hi\x00\xff"]);
        } finally {
          sub.close();
        }
      });

      await t.step("a killed Respite node is marked fail by redis-server and Respite", async () => {
        const keep = { port: r3.port, cport: r3.cport, dir: r3.dir };
        await r3.proc.signal("SIGKILL");
        await r3.proc.exited(5000);
        await until("redis-server marks r3 failed", () => flagged(x, r3, "fail"), 15000);
        await until("r1 marks r3 failed", () => flagged(r1, r3, "fail"), 15000);
        await until(
          "the cluster is down",
          async () => (await clusterInfo(r1)).get("cluster_state") === "fail",
        );
        // Restarted from its nodes.conf, it rejoins and the failure clears.
        const again = await startNode(
          "respite",
          ["--cluster-announce-hostname", "r3.example"],
          keep,
        );
        keptDirs.push(keep.dir);
        nodes[2] = again;
        assertEquals(again.id, r3.id);
        await until("redis-server sees r3 again", () => sees(x, again), 15000);
        await until("r1 sees r3 again", () => sees(r1, again), 15000);
        await until(
          "the cluster is ok again",
          async () => (await clusterInfo(r1)).get("cluster_state") === "ok",
          15000,
        );
      });

      await t.step("a killed redis-server node is marked fail by the Respite nodes", async () => {
        await x.proc.signal("SIGKILL");
        await x.proc.exited(5000);
        await until("r1 marks it failed", () => flagged(r1, x, "fail"), 15000);
        await until("r3 marks it failed", () => flagged(nodes[2]!, x, "fail"), 15000);
        const info = await clusterInfo(r1);
        assertEquals(info.get("cluster_state"), "fail");
        assertOk(
          Number(info.get("cluster_stats_messages_fail_sent") ?? 0) +
              Number(info.get("cluster_stats_messages_fail_received") ?? 0) > 0,
        );
      });
    } finally {
      for (const n of nodes) await n.proc.stop();
      removeKeptDirs();
    }
  },
);

/** A raw bus connection: sends messages, reads whole ones back. */
class RawBus {
  #reader = new MessageReader();
  #pending: Uint8Array[] = [];
  constructor(readonly conn: Deno.TcpConn) {}
  static async connect(port: number): Promise<RawBus> {
    return new RawBus(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  async send(b: Uint8Array): Promise<void> {
    let at = 0;
    while (at < b.length) at += await this.conn.write(b.subarray(at));
  }
  /** The next message, or "closed" when the peer closed the link, or "timeout". */
  async next(ms = 5000): Promise<ClusterMsg | "closed" | "timeout"> {
    const deadline = Date.now() + ms;
    const buf = new Uint8Array(65536);
    while (this.#pending.length === 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        this.conn.read(buf).catch(() => null),
        new Promise<"timeout">((r) =>
          timer = setTimeout(() => r("timeout"), deadline - Date.now())
        ),
      ]);
      clearTimeout(timer);
      if (n === "timeout") return "timeout";
      if (n === null) return "closed";
      this.#pending.push(...this.#reader.feed(buf.slice(0, n)));
    }
    this.lastRaw = this.#pending.shift()!;
    return decoded(this.lastRaw);
  }
  /** The bytes of the message {@link RawBus.next} returned last. */
  lastRaw: Uint8Array = new Uint8Array(0);
  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

Deno.test(
  "bus: bad input closes only its link or is dropped; nothing else changes",
  procOpts,
  async (t) => {
    const node = await startNode("respite");
    const links: RawBus[] = [];
    try {
      const stranger = "f".repeat(40);
      const ping = (type: number = MsgType.PING) => {
        const m = baseMsg(type);
        m.sender = stranger;
        m.port = 1;
        m.cport = 2;
        return m;
      };
      const open = async () => {
        const l = await RawBus.connect(node.cport);
        links.push(l);
        return l;
      };

      await t.step("a PING from an unknown node gets a PONG", async () => {
        const l = await open();
        await l.send(encodeMessage(ping()));
        const pong = await l.next();
        assertOk(typeof pong === "object", String(pong));
        assertEquals([pong.type, pong.sender, pong.cport], [MsgType.PONG, node.id, node.cport]);
        assertEquals(pong.port, node.port);
      });

      await t.step("malformed messages are dropped and the link kept", async () => {
        const l = await open();
        const bad: Uint8Array[] = [];
        const v2 = encodeMessage(ping());
        new DataView(v2.buffer).setUint16(8, 2);
        bad.push(v2);
        const many = encodeMessage(ping());
        new DataView(many.buffer).setUint16(14, 5);
        bad.push(many);
        const fail = encodeMessage({ ...ping(MsgType.FAIL), fail: { nodename: node.id } });
        const shortFail = fail.slice(0, fail.length - 8);
        new DataView(shortFail.buffer).setUint32(4, shortFail.length);
        bad.push(shortFail);
        const withExt = ping(MsgType.MEET);
        withExt.exts = [{ type: PingExtType.HOSTNAME, hostname: "x" }];
        const unpadded = encodeMessage(withExt);
        new DataView(unpadded.buffer).setUint32(2256, 12);
        bad.push(unpadded);
        // Well formed, but from nobody this node knows: ignored.
        bad.push(encodeMessage({ ...ping(MsgType.FAIL), fail: { nodename: node.id } }));
        bad.push(
          encodeMessage({ ...ping(MsgType.PUBLISH), publish: { channel: "c", message: "m" } }),
        );
        bad.push(
          encodeMessage({
            ...ping(MsgType.UPDATE),
            update: { configEpoch: 99, nodename: node.id, slots: emptySlots().fill(255) },
          }),
        );
        const future = encodeMessage(ping());
        new DataView(future.buffer).setUint16(12, 42);
        bad.push(future);
        for (const b of bad) await l.send(b);
        await l.send(encodeMessage(ping()));
        const pong = await l.next();
        assertOk(typeof pong === "object", `after bad messages: ${String(pong)}`);
        assertEquals(pong.type, MsgType.PONG);
        // None of them changed the node's view.
        const me = (await nodesOf(node)).get(node.id)!;
        assertEquals([me.flags, me.slots, (await nodesOf(node)).size], [
          ["myself", "master"],
          [],
          1,
        ]);
      });

      await t.step("a stream that is not the bus is closed", async () => {
        for (
          const junk of [
            new TextEncoder().encode("PING\r\n\r\n"),
            (() => {
              const b = encodeMessage(ping());
              new DataView(b.buffer).setUint32(4, 100);
              return b;
            })(),
            (() => {
              const b = encodeMessage(ping());
              b[3] = 0x4d;
              return b;
            })(),
          ]
        ) {
          const l = await open();
          await l.send(junk);
          assertEquals(await l.next(), "closed");
        }
      });

      await t.step("a message cut short or claiming 4 GB holds nothing", async () => {
        const l = await open();
        const huge = encodeMessage(ping()).slice(0, 64);
        new DataView(huge.buffer).setUint32(4, 0xffffffff);
        await l.send(huge);
        assertEquals(await l.next(300), "timeout");
        l.close();
        const l2 = await open();
        await l2.send(encodeMessage(ping()).slice(0, 1000));
        l2.close();
      });

      await t.step(
        "a MEET toward nobody stays a handshake for the node timeout, then goes",
        async () => {
          const nowhere = freePort();
          assertEquals(
            await call(node.port, "CLUSTER", "MEET", "127.0.0.1", "1", String(nowhere)),
            "OK",
          );
          const hs = [...(await nodesOf(node)).values()].find((l) => l.flags.includes("handshake"));
          assertOk(hs !== undefined, "a handshake node");
          await until("the handshake expires", async () => (await nodesOf(node)).size === 1, 5000);
        },
      );

      await t.step("the node serves on", async () => {
        assertEquals(await call(node.port, "PING"), "PONG");
        const info = await clusterInfo(node);
        // Malformed messages count as received (clusterIsValidPacket counts first); two PONGs went out.
        assertEquals(info.get("cluster_stats_messages_ping_received"), "4");
        assertEquals(info.get("cluster_stats_messages_meet_received"), "1");
        assertEquals(info.get("cluster_stats_messages_pong_sent"), "2");
        assertEquals(info.get("cluster_known_nodes"), "1");
      });

      await t.step("a MEET of its own address leaves it alone", async () => {
        assertEquals(
          await call(
            node.port,
            "CLUSTER",
            "MEET",
            "127.0.0.1",
            String(node.port),
            String(node.cport),
          ),
          "OK",
        );
        await until("the handshake with itself ends", async () => (await nodesOf(node)).size === 1);
        await new Promise((r) => setTimeout(r, 300));
        assertEquals((await nodesOf(node)).size, 1);
      });
    } finally {
      for (const l of links) l.close();
      await node.proc.stop();
    }
  },
);

Deno.test(
  "bus: replicas of either kind are advertised; shard messages reach the shard's replicas",
  procOpts,
  async (t) => {
    const nodes: Node[] = [];
    const clients: RawClient[] = [];
    try {
      const r1 = await startNode("respite");
      const x = await startNode("redis");
      const xr = await startNode("redis");
      const r2 = await startNode("respite");
      nodes.push(r1, x, xr, r2);
      assertEquals(await call(r1.port, "CLUSTER", "ADDSLOTSRANGE", "0", "8191"), "OK");
      assertEquals(await call(x.port, "CLUSTER", "ADDSLOTSRANGE", "8192", "16383"), "OK");
      for (const n of [x, xr, r2]) {
        await call(r1.port, "CLUSTER", "MEET", "127.0.0.1", String(n.port), String(n.cport));
      }
      for (const a of nodes) {
        for (const b of nodes) {
          if (a !== b) {
            await until(`${a.port} sees ${b.port}`, () => sees(a, b));
          }
        }
      }

      await t.step("CLUSTER REPLICATE on each kind shows everywhere", async () => {
        // A redis-server replica of the Respite master, a Respite replica of the redis-server one.
        assertEquals(await call(xr.port, "CLUSTER", "REPLICATE", r1.id), "OK");
        assertEquals(await call(r2.port, "CLUSTER", "REPLICATE", x.id), "OK");
        for (const n of nodes) {
          await until(`${n.port} sees both replicas`, async () => {
            const v = await nodesOf(n);
            return v.get(xr.id)?.master === r1.id && v.get(xr.id)!.flags.includes("slave") &&
              v.get(r2.id)?.master === x.id && v.get(r2.id)!.flags.includes("slave");
          });
        }
        // A replica advertises its master's slots and config epoch, not slots of its own.
        const v = await nodesOf(x);
        assertEquals(v.get(r2.id)!.slots, []);
        assertEquals(v.get(r2.id)!.configEpoch, v.get(x.id)!.configEpoch);
      });

      await t.step("SPUBLISH reaches subscribers on the master's replicas", async () => {
        const onXr = await RawClient.connect(xr.port);
        const onR2 = await RawClient.connect(r2.port);
        clients.push(onXr, onR2);
        for (const c of [onXr, onR2]) assertEquals(await c.call("READONLY"), "OK");
        assertEquals(await onXr.call("SSUBSCRIBE", "{bar}x"), ["ssubscribe", "{bar}x", 1]);
        assertEquals(await onR2.call("SSUBSCRIBE", "{a}ch"), ["ssubscribe", "{a}ch", 1]);
        // Respite master -> redis-server replica; redis-server master -> Respite replica.
        await call(r1.port, "SPUBLISH", "{bar}x", "from respite");
        assertEquals((await onXr.read()).value, ["smessage", "{bar}x", "from respite"]);
        await call(x.port, "SPUBLISH", "{a}ch", "from redis");
        assertEquals((await onR2.read()).value, ["smessage", "{a}ch", "from redis"]);
      });

      await t.step("a Respite replica restarted from nodes.conf replicates again", async () => {
        await until("x serves", async () => (await clusterInfo(x)).get("cluster_state") === "ok");
        assertEquals(await call(x.port, "SET", "{a}k", "before"), "OK");
        const keep = { port: r2.port, cport: r2.cport, dir: r2.dir };
        // Killed, not stopped: stop() would remove its dir and nodes.conf.
        r2.proc.signal("SIGKILL");
        await r2.proc.exited(5000);
        const again = await startNode("respite", [], keep);
        keptDirs.push(keep.dir);
        nodes[3] = again;
        assertEquals(again.id, r2.id);
        await until("it replicates x again", async () => {
          const role = await call(again.port, "ROLE") as unknown[];
          return role[0] === "slave" && role[2] === x.port && role[3] === "connected";
        }, 15000);
        assertEquals(await call(x.port, "SET", "{a}k", "after"), "OK");
        const c = await RawClient.connect(again.port);
        clients.push(c);
        assertEquals(await c.call("READONLY"), "OK");
        await until("the write arrives", async () => (await c.call("GET", "{a}k")) === "after");
        await until("x sees it back", () => sees(x, again));
      });

      await t.step("PUBLISH from Respite reaches every node", async () => {
        const subs: RawClient[] = [];
        for (const n of [x, xr, nodes[3]!]) {
          const c = await RawClient.connect(n.port);
          clients.push(c);
          subs.push(c);
          assertEquals(await c.call("SUBSCRIBE", "all"), ["subscribe", "all", 1]);
        }
        await call(r1.port, "PUBLISH", "all", "everyone");
        for (const c of subs) assertEquals((await c.read()).value, ["message", "all", "everyone"]);
      });
    } finally {
      for (const c of clients) c.close();
      for (const n of nodes) await n.proc.stop();
      removeKeptDirs();
    }
  },
);

// ---------------------------------------------------------------------------
// What received messages do to the node table, in process (no sockets).

/** A link that keeps what is sent on it. */
class CaptureLink extends BusLink {
  sent: ClusterMsg[] = [];
  override send(bytes: Uint8Array): void {
    this.sent.push(decoded(bytes));
  }
}

const NAME = (c: string) => c.repeat(40);

function table(opts: { nodeTimeout?: number } = {}) {
  const me = new ClusterNode(NAME("5"), NodeFlag.MYSELF | NodeFlag.MASTER, 0);
  me.ip = "127.0.0.1";
  me.port = 7000;
  me.cport = 17000;
  const st = new ClusterState(me);
  let now = 1_000_000;
  const delivered: [string, string, boolean][] = [];
  const masters: string[] = [];
  const logs: string[] = [];
  const bus = new Bus({
    state: () => st,
    bindAddrs: [],
    busPort: 0,
    nodeTimeout: () => opts.nodeTimeout ?? 1000,
    announced: () => ({ ip: "", port: 7000, pport: 0, cport: 17000, hostname: "" }),
    replOffset: () => 0,
    deliver: (c, m, shard) => void delivered.push([c, m, shard]),
    setMaster: (m) => void masters.push(m.name),
    deleteKeysInSlot() {},
    beforeSleep() {},
    log: (_l, m) => void logs.push(m),
    now: () => now,
  });
  /** A known node with an outbound link (captured) and an inbound one. */
  const known = (c: string, flags: number = NodeFlag.MASTER) => {
    const n = new ClusterNode(NAME(c), flags, now);
    n.ip = "127.0.0.1";
    n.port = 7000 + c.charCodeAt(0);
    n.cport = 17000 + c.charCodeAt(0);
    st.addNode(n);
    const out = new CaptureLink(bus, n, false, now);
    out.peerIp = "127.0.0.1";
    n.link = out;
    const inbound = new CaptureLink(bus, undefined, true, now);
    inbound.peerIp = "127.0.0.1";
    return { node: n, out, inbound };
  };
  /** A message from `sender` as it would describe itself. */
  const from = (n: ClusterNode, type: number): ClusterMsg => ({
    ...baseMsg(type),
    sender: n.name,
    port: n.port,
    cport: n.cport,
    configEpoch: n.configEpoch,
    currentEpoch: st.currentEpoch,
    myslots: n.slots.slice(),
    flags: n.flags,
    slaveof: n.replicaOf?.name ?? NULL_NAME,
  });
  return {
    st,
    me,
    bus,
    known,
    from,
    delivered,
    masters,
    logs,
    tick: (ms: number) => void (now += ms),
  };
}

Deno.test("bus process: a handshake renames the node; a MEET from a stranger adds one", () => {
  const { st, bus, from } = table();
  // CLUSTER MEET made a handshake node with a random name; its first PONG names it.
  assertOk(bus.meet("127.0.0.1", 7001, 17001));
  const hs = [...st.nodes.values()].find((n) => n.inHandshake)!;
  assertEquals(hs.flags & NodeFlag.MEET, NodeFlag.MEET);
  const link = new CaptureLink(bus, hs, false, 0);
  hs.link = link;
  const peer = new ClusterNode(NAME("a"), NodeFlag.MASTER, 0);
  peer.port = 7001;
  peer.cport = 17001;
  processPacket(bus, link, from(peer, MsgType.PONG));
  assertEquals([hs.name, hs.inHandshake, hs.isMaster], [NAME("a"), false, true]);
  assertEquals(st.lookup(NAME("a")), hs);
  // The same address again: a handshake already going on is not doubled.
  assertOk(bus.meet("127.0.0.1", 7002, 17002));
  assertOk(bus.meet("127.0.0.1", 7002, 17002));
  assertEquals([...st.nodes.values()].filter((n) => n.inHandshake).length, 1);
  assertEquals(bus.meet("not-an-ip", 7002, 17002), false);
  assertEquals(bus.meet("127.0.0.1", 0, 17002), false);
  assertEquals(bus.meet("::1", 7003, 70000), false);

  // A MEET on an accepted link from an unknown node: a handshake node, and a PONG.
  const inbound = new CaptureLink(bus, undefined, true, 0);
  inbound.peerIp = "10.0.0.9";
  inbound.localIp = "10.0.0.1";
  const stranger = new ClusterNode(NAME("b"), NodeFlag.MASTER, 0);
  stranger.port = 7100;
  stranger.cport = 17100;
  processPacket(bus, inbound, from(stranger, MsgType.MEET));
  const added = [...st.nodes.values()].find((n) => n.inHandshake && n.ip === "10.0.0.9")!;
  assertEquals([added.port, added.cport], [7100, 17100]);
  assertEquals(inbound.sent.map((m) => m.type), [MsgType.PONG]);
  // A MEET teaches this node the address it is reached at.
  assertEquals(st.myself.ip, "10.0.0.1");
});

Deno.test("bus process: an outbound link answered by another node loses its address", () => {
  const { st, bus, known, from } = table();
  const a = known("a");
  const impostor = new ClusterNode(NAME("c"), NodeFlag.MASTER, 0);
  processPacket(bus, a.out, from(impostor, MsgType.PONG));
  assertOk(!a.node.hasAddr);
  assertEquals([a.node.ip, a.node.port, a.node.cport], ["", 0, 0]);
  assertOk(a.out.isClosed);
  assertEquals(st.lookup(NAME("c")), undefined);
});

Deno.test("bus process: PFAIL turns FAIL on a majority of masters' reports, then FAIL goes to all", () => {
  const { st, bus, known, from, tick } = table();
  const a = known("a"), b = known("b"), c = known("c");
  const rep = known("d", NodeFlag.SLAVE);
  st.setReplicaOf(rep.node, a.node);
  // Four masters with slots: the quorum is 3; this node counts as one.
  st.addSlot(st.myself, 0);
  st.addSlot(a.node, 1);
  st.addSlot(b.node, 2);
  st.addSlot(c.node, 3);
  st.size = 4; // as clusterUpdateState counts them
  c.node.flags |= NodeFlag.PFAIL;
  const gossipAboutC = (sender: ClusterNode, flags: number) => {
    const m = from(sender, MsgType.PING);
    m.gossip = [{
      nodename: c.node.name,
      pingSent: 0,
      pongReceived: 0,
      ip: "127.0.0.1",
      port: c.node.port,
      cport: c.node.cport,
      flags,
      pport: 0,
    }];
    return m;
  };
  // A replica's report does not count.
  processPacket(bus, rep.inbound, gossipAboutC(rep.node, NodeFlag.MASTER | NodeFlag.PFAIL));
  assertEquals(c.node.failReports.length, 0);
  processPacket(bus, a.inbound, gossipAboutC(a.node, NodeFlag.MASTER | NodeFlag.PFAIL));
  assertEquals([c.node.failReports.length, c.node.failed], [1, false]);
  // Reports expire after twice the node timeout.
  tick(2500);
  processPacket(bus, b.inbound, gossipAboutC(b.node, NodeFlag.MASTER | NodeFlag.PFAIL));
  assertEquals([c.node.failReports.length, c.node.failed], [1, false]);
  processPacket(bus, a.inbound, gossipAboutC(a.node, NodeFlag.MASTER | NodeFlag.PFAIL));
  assertOk(c.node.failed && !c.node.timedOut);
  // FAIL went to every linked node past its handshake.
  for (const n of [a, b, c, rep]) {
    assertOk(n.out.sent.some((m) => m.type === MsgType.FAIL && m.fail!.nodename === c.node.name));
  }
  // A master back online withdraws its report.
  const d = known("e");
  d.node.flags |= NodeFlag.PFAIL;
  d.node.addFailureReport(a.node, 0);
  const m = gossipAboutC(a.node, NodeFlag.MASTER);
  m.gossip![0]!.nodename = d.node.name;
  processPacket(bus, a.inbound, m);
  assertEquals(d.node.failReports.length, 0);
});

Deno.test("bus process: FAIL messages, PONGs clearing PFAIL and FAIL", () => {
  const { st, bus, known, from, tick } = table();
  const a = known("a"), c = known("c"), r = known("r", NodeFlag.SLAVE);
  st.addSlot(c.node, 5);
  const fail = from(a.node, MsgType.FAIL);
  fail.fail = { nodename: c.node.name };
  processPacket(bus, a.inbound, fail);
  assertOk(c.node.failed);
  // About this node itself: ignored. From a stranger: ignored.
  fail.fail = { nodename: st.myself.name };
  processPacket(bus, a.inbound, fail);
  assertOk(!st.myself.failed);
  const stranger = new ClusterNode(NAME("9"), NodeFlag.MASTER, 0);
  const f2 = from(stranger, MsgType.FAIL);
  f2.fail = { nodename: r.node.name };
  processPacket(bus, new CaptureLink(bus, undefined, true, 0), f2);
  assertOk(!r.node.failed);
  // A PONG clears PFAIL at once.
  a.node.flags |= NodeFlag.PFAIL;
  a.node.pingSent = 1;
  processPacket(bus, a.out, from(a.node, MsgType.PONG));
  assertEquals([a.node.timedOut, a.node.pingSent], [false, 0]);
  // A failed master still holding slots: FAIL clears only after twice the timeout.
  processPacket(bus, c.out, from(c.node, MsgType.PONG));
  assertOk(c.node.failed);
  tick(2001);
  processPacket(bus, c.out, from(c.node, MsgType.PONG));
  assertOk(!c.node.failed);
  // A failed replica clears at once.
  r.node.flags |= NodeFlag.FAIL;
  processPacket(bus, r.out, from(r.node, MsgType.PONG));
  assertOk(!r.node.failed);
});

Deno.test("bus process: epochs, config epoch collisions, roles", () => {
  const { st, bus, known, from } = table();
  const hi = known("f"), lo = known("0");
  // A newer current epoch is adopted; a newer config epoch is recorded.
  const m = from(hi.node, MsgType.PING);
  m.currentEpoch = 7;
  m.configEpoch = 3;
  processPacket(bus, hi.inbound, m);
  assertEquals([st.currentEpoch, hi.node.configEpoch], [7, 3]);
  // Same config epoch as a master with a greater name: this node takes a new one.
  st.myself.configEpoch = 3;
  processPacket(bus, hi.inbound, from(hi.node, MsgType.PING));
  assertEquals([st.myself.configEpoch, st.currentEpoch], [8, 8]);
  // With a smaller name, the other one moves.
  lo.node.configEpoch = 8;
  processPacket(bus, lo.inbound, from(lo.node, MsgType.PING));
  assertEquals(st.myself.configEpoch, 8);
  // A master turning into a replica loses its slots.
  st.addSlot(lo.node, 9);
  const asReplica = from(lo.node, MsgType.PING);
  asReplica.slaveof = hi.node.name;
  asReplica.flags = NodeFlag.SLAVE;
  asReplica.myslots = hi.node.slots.slice();
  processPacket(bus, lo.inbound, asReplica);
  assertOk(
    lo.node.isReplica && lo.node.replicaOf === hi.node && hi.node.replicas.includes(lo.node),
  );
  assertEquals([lo.node.numslots, st.slots[9]], [0, undefined]);
  // And back to a master.
  processPacket(bus, lo.inbound, { ...from(lo.node, MsgType.PING), slaveof: NULL_NAME });
  assertOk(lo.node.isMaster && lo.node.replicaOf === undefined && hi.node.replicas.length === 0);
  // NOFAILOVER is the sender's to say.
  const nf = from(lo.node, MsgType.PING);
  nf.flags |= NodeFlag.NOFAILOVER;
  processPacket(bus, lo.inbound, nf);
  assertOk(lo.node.cantFailover);
});

Deno.test("bus process: slot claims, UPDATE messages, losing the last slot", () => {
  const { st, me, bus, known, from, masters } = table();
  const a = known("a"), b = known("b");
  me.configEpoch = 5;
  a.node.configEpoch = 2;
  b.node.configEpoch = 9;
  st.addSlot(me, 100);
  st.addSlot(me, 101);
  st.addSlot(a.node, 200);
  // A claims slot 100 at an older epoch: it keeps none of it and is told with an UPDATE.
  const claim = from(a.node, MsgType.PING);
  bitmapSetBit(claim.myslots, 100);
  processPacket(bus, a.inbound, claim);
  assertEquals(st.slots[100], me);
  const upd = a.out.sent.find((m) => m.type === MsgType.UPDATE)!;
  assertEquals([upd.update!.nodename, upd.update!.configEpoch], [me.name, 5]);
  assertOk(bitmapTestBit(upd.update!.slots, 100));
  // An unassigned slot is taken by whoever claims it.
  bitmapSetBit(claim.myslots, 300);
  processPacket(bus, a.inbound, claim);
  assertEquals(st.slots[300], a.node);
  // B claims 100 at a newer epoch: it is B's now.
  const bClaim = from(b.node, MsgType.PING);
  bitmapSetBit(bClaim.myslots, 100);
  processPacket(bus, b.inbound, bClaim);
  assertEquals(st.slots[100], b.node);
  assertEquals(masters, []);
  // An UPDATE about B with an older epoch is nothing new; a newer one moves 101 too.
  const u = from(a.node, MsgType.UPDATE);
  const slots = emptySlots();
  bitmapSetBit(slots, 100);
  bitmapSetBit(slots, 101);
  u.update = { configEpoch: 9, nodename: b.node.name, slots };
  processPacket(bus, a.inbound, u);
  assertEquals(st.slots[101], me);
  u.update = { configEpoch: 10, nodename: b.node.name, slots };
  processPacket(bus, a.inbound, u);
  assertEquals([st.slots[101], b.node.configEpoch], [b.node, 10]);
  // This master lost its last slot to B: it becomes B's replica.
  assertEquals(masters, [b.node.name]);
  // From a stranger, or about a stranger: ignored.
  u.update = { configEpoch: 99, nodename: NAME("9"), slots };
  processPacket(bus, a.inbound, u);
  u.sender = NAME("8");
  u.update = { configEpoch: 99, nodename: a.node.name, slots };
  processPacket(bus, new CaptureLink(bus, undefined, true, 0), u);
  assertEquals(a.node.configEpoch, 2);
});

Deno.test("bus process: gossip adds nodes a known node vouches for, and nothing else", () => {
  const { st, bus, known, from, delivered } = table();
  const a = known("a");
  const entry = (name: string, flags: number) => ({
    nodename: name,
    pingSent: 0,
    pongReceived: 0,
    ip: "127.0.0.2",
    port: 7777,
    cport: 17777,
    flags,
    pport: 0,
  });
  const m = from(a.node, MsgType.PING);
  m.gossip = [
    entry(NAME("1"), NodeFlag.MASTER),
    entry(NAME("2"), NodeFlag.MASTER | NodeFlag.NOADDR),
    entry("not hex".padEnd(40, "!"), NodeFlag.MASTER),
    entry(NAME("3"), NodeFlag.SLAVE | NodeFlag.MYSELF),
  ];
  st.blacklistAdd(NAME("4"), 1000);
  m.gossip.push(entry(NAME("4"), NodeFlag.MASTER));
  processPacket(bus, a.inbound, m);
  const added = st.lookup(NAME("1"))!;
  assertEquals([added.ip, added.port, added.cport, added.isMaster], [
    "127.0.0.2",
    7777,
    17777,
    true,
  ]);
  assertEquals(st.lookup(NAME("2")), undefined);
  assertEquals(st.lookup("not hex".padEnd(40, "!")), undefined);
  assertEquals(st.lookup(NAME("3"))!.isMyself, false);
  assertEquals(st.lookup(NAME("4")), undefined);
  // Gossip from a stranger adds nobody.
  const s = from(new ClusterNode(NAME("7"), NodeFlag.MASTER, 0), MsgType.PING);
  s.gossip = [entry(NAME("6"), NodeFlag.MASTER)];
  processPacket(bus, new CaptureLink(bus, undefined, true, 0), s);
  assertEquals(st.lookup(NAME("6")), undefined);
  // The hostname extension sets the sender's hostname; none clears it.
  const h = from(a.node, MsgType.PING);
  h.exts = [{ type: PingExtType.HOSTNAME, hostname: "a.example" }];
  processPacket(bus, a.inbound, h);
  assertEquals(a.node.hostname, "a.example");
  processPacket(bus, a.inbound, from(a.node, MsgType.PING));
  assertEquals(a.node.hostname, "");
  // PUBLISH from a known node is delivered; from a stranger it is not.
  const p = from(a.node, MsgType.PUBLISHSHARD);
  p.publish = { channel: "c", message: "m" };
  processPacket(bus, a.inbound, p);
  p.sender = NAME("7");
  processPacket(bus, new CaptureLink(bus, undefined, true, 0), p);
  assertEquals(delivered, [["c", "m", true]]);
  // The accepted link now belongs to its node.
  assertEquals([a.inbound.node, a.node.inboundLink], [a.node, a.inbound]);
});

Deno.test("bus: a bus port in use stops the start-up in Redis's words", async () => {
  const taken = Deno.listen({ hostname: "0.0.0.0", port: freePort() });
  try {
    const busPort = (taken.addr as Deno.NetAddr).port;
    const r = await runToExit("respite", [
      ...["--save", "", "--cluster-enabled", "yes", "--cluster-port", String(busPort)],
    ]);
    assertEquals(r.code, 1, r.log);
    assertOk(r.log.includes(`Failed listening on port ${busPort} (cluster), aborting.`), r.log);
  } finally {
    taken.close();
  }
});

Deno.test(
  "bus: Respite masters vote redis-server replicas in, by CLUSTER FAILOVER and after a failure",
  procOpts,
  async (t) => {
    const nodes: Node[] = [];
    try {
      const m1 = await startNode("respite");
      const m2 = await startNode("respite");
      const m3 = await startNode("respite");
      const s1 = await startNode("redis");
      const s2 = await startNode("redis");
      nodes.push(m1, m2, m3, s1, s2);
      assertEquals(await call(m1.port, "CLUSTER", "ADDSLOTSRANGE", "0", "5460"), "OK");
      assertEquals(await call(m2.port, "CLUSTER", "ADDSLOTSRANGE", "5461", "10922"), "OK");
      assertEquals(await call(m3.port, "CLUSTER", "ADDSLOTSRANGE", "10923", "16383"), "OK");
      for (const n of [m2, m3, s1, s2]) {
        await call(m1.port, "CLUSTER", "MEET", "127.0.0.1", String(n.port), String(n.cport));
      }
      for (const a of nodes) {
        for (const b of nodes) {
          if (a !== b) {
            await until(`${a.port} sees ${b.port}`, () => sees(a, b));
          }
        }
      }
      assertEquals(await call(s1.port, "CLUSTER", "REPLICATE", m1.id), "OK");
      assertEquals(await call(s2.port, "CLUSTER", "REPLICATE", m2.id), "OK");
      for (const [s, m] of [[s1, m1], [s2, m2]] as const) {
        await until(
          "the replica is in sync",
          async () =>
            String(await call(s.port, "INFO", "replication")).includes("master_link_status:up"),
        );
        for (const n of nodes) {
          await until(
            `${n.port} knows the replica`,
            async () => (await nodesOf(n)).get(s.id)?.master === m.id,
          );
        }
      }
      for (const n of nodes) {
        await until(
          `${n.port} ok`,
          async () => (await clusterInfo(n)).get("cluster_state") === "ok",
          15000,
        );
      }
      assertEquals(await call(m1.port, "SET", "{bar}k", "v1"), "OK");

      await t.step("CLUSTER FAILOVER on a redis-server replica of a Respite master", async () => {
        assertEquals(await call(s1.port, "CLUSTER", "FAILOVER"), "OK");
        for (const n of nodes) {
          await until(`${n.port} sees s1 as the master and m1 as its replica`, async () => {
            const v = await nodesOf(n);
            return v.get(s1.id)!.flags.includes("master") &&
              v.get(s1.id)!.slots.join(" ") === "0-5460" && v.get(m1.id)!.master === s1.id;
          }, 15000);
        }
        // The old master follows the new one, data included; its writes resumed.
        await until("m1 replicates s1", async () => {
          const role = await call(m1.port, "ROLE") as unknown[];
          return role[0] === "slave" && role[2] === s1.port && role[3] === "connected";
        }, 15000);
        assertEquals(await call(s1.port, "GET", "{bar}k"), "v1");
        assertEquals(await call(s1.port, "SET", "{bar}k", "v2"), "OK");
        const c = await RawClient.connect(m1.port);
        try {
          assertEquals(await c.call("READONLY"), "OK");
          await until("the write reaches m1", async () => (await c.call("GET", "{bar}k")) === "v2");
        } finally {
          c.close();
        }
        assertOk(m1.proc.log().includes("Manual failover requested by replica"), m1.proc.log());
      });

      await t.step("a failed Respite master's redis-server replica is voted in", async () => {
        m2.proc.signal("SIGKILL");
        await m2.proc.exited(5000);
        for (const n of [m1, m3, s1, s2]) {
          await until(`${n.port} sees s2 as master of m2's slots`, async () => {
            const v = await nodesOf(n);
            return v.get(s2.id)!.flags.includes("master") &&
              v.get(s2.id)!.slots.join(" ") === "5461-10922" &&
              v.get(m2.id)!.flags.includes("fail");
          }, 20000);
        }
        assertOk(m3.proc.log().includes(`Failover auth granted to ${s2.id}`), m3.proc.log());
        for (const n of [m1, m3, s1, s2]) {
          await until(
            `${n.port} ok`,
            async () => (await clusterInfo(n)).get("cluster_state") === "ok",
            15000,
          );
        }
      });
    } finally {
      for (const n of nodes) await n.proc.stop();
    }
  },
);

Deno.test("bus process: a master's vote, once per epoch, for a replica of a failed master", () => {
  const { st, me, bus, known, from, tick, logs } = table();
  const a = known("a"), r = known("r", NodeFlag.SLAVE);
  st.setReplicaOf(r.node, a.node);
  st.addSlot(a.node, 1);
  const ask = (mflags0 = 0) => {
    const m = from(r.node, MsgType.FAILOVER_AUTH_REQUEST);
    m.currentEpoch = st.currentEpoch + 1;
    m.myslots = a.node.slots.slice();
    m.mflags = [mflags0, 0, 0];
    processPacket(bus, r.inbound, m);
    return r.out.sent.filter((s) => s.type === MsgType.FAILOVER_AUTH_ACK).length;
  };
  // No slots here: no vote.
  assertEquals(ask(), 0);
  st.addSlot(me, 0);
  // Its master is up: no vote, unless forced (a manual failover).
  assertEquals(ask(), 0);
  assertOk(logs.some((l) => l.endsWith("its master is up")));
  assertEquals(ask(MsgFlag0.FORCEACK), 1);
  // One vote per epoch, and none about that master for two node timeouts.
  a.node.flags |= NodeFlag.FAIL;
  tick(1000);
  assertEquals(ask(), 1);
  assertOk(logs.some((l) => l.includes("can't vote about this master before")));
  tick(1001);
  assertEquals(ask(), 2);
  assertEquals(st.lastVoteEpoch, st.currentEpoch);
  // Asked again in the same epoch (from another replica, say): already voted.
  tick(5000);
  const again = from(r.node, MsgType.FAILOVER_AUTH_REQUEST);
  again.currentEpoch = st.currentEpoch;
  processPacket(bus, r.inbound, again);
  assertOk(logs.some((l) => l.endsWith(`already voted for epoch ${st.currentEpoch}`)));
  // A slot owner with a greater config epoch than the replica's claim: no vote.
  tick(5000);
  a.node.configEpoch = 50;
  const m = from(r.node, MsgType.FAILOVER_AUTH_REQUEST);
  m.currentEpoch = st.currentEpoch + 1;
  m.configEpoch = 3;
  m.myslots = a.node.slots.slice();
  processPacket(bus, r.inbound, m);
  assertOk(logs.some((l) => l.includes("slot 1 epoch (50) > reqEpoch (3)")));
  assertEquals(r.out.sent.filter((s) => s.type === MsgType.FAILOVER_AUTH_ACK).length, 2);
  // MFSTART from a node that is not this master's replica: ignored.
  processPacket(bus, r.inbound, from(r.node, MsgType.MFSTART));
  assertEquals(st.mfEnd, 0);
});

Deno.test(
  "bus: Respite's MEET is redis-server's, byte for byte, but for the node's own values",
  procOpts,
  async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const fake = (listener.addr as Deno.NetAddr).port;
    const node = await startNode("respite", ["--cluster-announce-hostname", "node-a.example"]);
    try {
      assertEquals(await call(node.port, "CLUSTER", "ADDSLOTSRANGE", "0", "5460"), "OK");
      assertEquals(await call(node.port, "CLUSTER", "MEET", "127.0.0.1", "7", String(fake)), "OK");
      const raw = new RawBus(await listener.accept() as Deno.TcpConn);
      try {
        const meet = await raw.next();
        assertOk(typeof meet === "object", String(meet));
        // redis-server's MEET (same hostname, same slots, nothing to gossip yet),
        // with this node's name, ports and epochs put in.
        const redis = decoded(fixture("meet_hostname"));
        const expected = encodeMessage({
          ...redis,
          sender: node.id,
          port: node.port,
          cport: node.cport,
          currentEpoch: meet.currentEpoch,
          configEpoch: meet.configEpoch,
          offset: meet.offset,
        });
        assertEquals(raw.lastRaw, expected);
        assertEquals([meet.type, meet.flags, meet.state], [MsgType.MEET, 17, 1]);
      } finally {
        raw.close();
      }
    } finally {
      listener.close();
      await node.proc.stop();
    }
  },
);
