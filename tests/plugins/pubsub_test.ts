/**
 * Pub/sub: single-connection differential scripts, multi-client scenarios
 * whose raw frames are compared with a real redis-server, subscribed-mode
 * state (CLIENT LIST, INFO, RESET, disconnect), the `pubsub` service, and
 * ioredis / node-redis subscribers.
 *
 * @module
 */

import { Redis } from "ioredis";
import { createClient } from "redis";
import { definePlugin } from "../../mod.ts";
import {
  diffDirty,
  diffSession,
  diffTest,
  hasRedis,
  RawClient,
  redisCli,
  sharedServers,
  sleep,
  startRespite,
} from "../_helpers.ts";
import { assertEquals, assertMatch, assertOk } from "../_assert.ts";

// ---------------------------------------------------------------------------
// Single-connection scripts (one reply per step)

diffDirty("PUBLISH and SPUBLISH change no data", [
  ["PUBLISH", "ch", "m"],
  ["SPUBLISH", "ch", "m"],
  ["SET", "k", "v"],
  ["PUBLISH", "ch", "m"],
]);

diffTest("read-only scripts may not publish", [
  ["EVAL_RO", "return redis.call('PUBLISH', 'ch', 'm')", "0"],
  ["EVAL_RO", "return redis.call('SPUBLISH', 'ch', 'm')", "0"],
  ["EVAL", "return redis.call('PUBLISH', 'ch', 'm')", "0"],
]);

diffTest("pubsub: unsubscribe variants with no subscriptions", [
  ["UNSUBSCRIBE"],
  ["PUNSUBSCRIBE"],
  ["SUNSUBSCRIBE"],
  ["UNSUBSCRIBE", "nope"],
  ["PUNSUBSCRIBE", "no*"],
  ["SUNSUBSCRIBE", "nope"],
  // Not subscribed to anything, so not in subscribed mode.
  ["GET", "k"],
  ["PING"],
]);

diffTest("pubsub: PUBSUB introspection without subscribers, and errors", [
  ["PUBSUB", "NUMSUB"],
  ["PUBSUB", "NUMSUB", "d1:a", "d1:b", "d1:a"],
  ["PUBSUB", "NUMPAT"],
  ["PUBSUB", "CHANNELS", "d1:*"],
  ["PUBSUB", "SHARDCHANNELS", "d1:*"],
  ["PUBSUB", "SHARDNUMSUB", "d1:s"],
  ["PUBSUB", "SHARDNUMSUB"],
  ["PUBSUB", "HELP"],
  ["pubsub", "help"],
  ["PUBSUB"],
  ["PUBSUB", "foo"],
  ["PUBSUB", "CHANNELS", "a", "b"],
  ["pubsub", "shardchannels", "a", "b"],
  ["PUBSUB", "NUMPAT", "x"],
  ["PUBSUB", "HELP", "x"],
  ["PUBLISH", "d1:nobody", "m"],
  ["SPUBLISH", "d1:nobody", "m"],
  ["PUBLISH", "d1:x"],
  ["PUBLISH", "d1:x", "m", "extra"],
  ["SPUBLISH", "d1:x"],
  ["SUBSCRIBE"],
  ["PSUBSCRIBE"],
  ["SSUBSCRIBE"],
]);

diffTest("pubsub: RESP2 subscribed mode allows only the pub/sub commands", [
  ["SUBSCRIBE", "d2:a"],
  ["SUBSCRIBE", "d2:a"],
  ["GET", "k"],
  ["SET", "k", "v"],
  ["PUBLISH", "d2:a", "m"],
  ["PUBSUB", "NUMSUB", "d2:a"],
  ["CLIENT", "ID"],
  ["ECHO", "x"],
  ["PING"],
  ["PING", "hello"],
  ["ping", ""],
  ["nosuchcommand"],
  ["SUBSCRIBE"],
  ["PING", "a", "b"],
  ["PSUBSCRIBE", "d2:p*"],
  ["SSUBSCRIBE", "d2:s"],
  ["UNSUBSCRIBE", "d2:a"],
  ["GET", "k"],
  ["PUNSUBSCRIBE", "d2:p*"],
  ["GET", "k"],
  ["UNSUBSCRIBE", "d2:never"],
  ["SUNSUBSCRIBE", "d2:s"],
  ["GET", "k"],
  ["PING"],
]);

diffTest("pubsub: pattern and shard counts are separate", [
  ["PSUBSCRIBE", "d3:*"],
  ["PSUBSCRIBE", "d3:*"],
  ["SSUBSCRIBE", "d3:s1"],
  ["SUBSCRIBE", "d3:c"],
  ["UNSUBSCRIBE", "d3:c"],
  ["UNSUBSCRIBE"],
  ["SUNSUBSCRIBE"],
  ["SUNSUBSCRIBE"],
  ["PUNSUBSCRIBE"],
  ["PUNSUBSCRIBE"],
  ["GET", "k"],
]);

diffTest("pubsub: RESET leaves subscribed mode", [
  ["SUBSCRIBE", "d4:a"],
  ["PSUBSCRIBE", "d4:*"],
  ["GET", "k"],
  ["RESET"],
  ["GET", "k"],
  ["PUBSUB", "NUMSUB", "d4:a"],
  ["UNSUBSCRIBE"],
]);

diffTest("pubsub: RESP3 clients may run any command while subscribed", [
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["SUBSCRIBE", "d5:a"],
  ["GET", "k"],
  ["SET", "k", "v"],
  ["GET", "k"],
  ["PING"],
  ["PUBSUB", "NUMSUB", "d5:a", "d5:b"],
  ["PSUBSCRIBE", "d5:p*"],
  ["UNSUBSCRIBE", "d5:a"],
  ["PUNSUBSCRIBE"],
  ["UNSUBSCRIBE"],
  ["SSUBSCRIBE", "d5:s"],
  ["SUNSUBSCRIBE"],
]);

// ---------------------------------------------------------------------------
// Multi-client scenarios: the same steps on both servers, raw frames compared

/** One step: client `c` sends `cmd` (if any) and then reads `read` frames. */
interface SStep {
  c: number;
  cmd?: string[];
  /** Frames to read after sending (default 1; 0 to read nothing). */
  read?: number;
  /** Sort this step's frames (the order Redis gives is its hash order). */
  sorted?: boolean;
  /** Read but do not record (replies with connection ids). */
  skip?: boolean;
  /** Close the client. */
  close?: boolean;
}

async function runScenario(port: number, clients: number, steps: SStep[]): Promise<string[]> {
  const cs: RawClient[] = [];
  for (let i = 0; i < clients; i++) cs.push(await RawClient.connect(port));
  const log: string[] = [];
  try {
    for (const s of steps) {
      const c = cs[s.c]!;
      if (s.close) {
        c.close();
        continue;
      }
      if (s.cmd) await c.write(encode(s.cmd));
      const frames: string[] = [];
      for (let i = 0; i < (s.read ?? 1); i++) frames.push((await c.read()).raw);
      if (s.sorted) frames.sort();
      if (!s.skip) log.push(...frames.map((f) => `${s.c}${s.cmd ? " " + s.cmd[0] : ""}: ${f}`));
    }
    // Nothing more may arrive on any client: a PING round trip flushes.
    for (const [i, c] of cs.entries()) {
      if (steps.some((s) => s.close && s.c === i)) continue;
      log.push(`${i} final: ${(await c.command("PING"))}`);
    }
  } finally {
    for (const c of cs) c.close();
  }
  return log;
}

function encode(argv: readonly string[]): Uint8Array {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

/** Runs a scenario against Respite and the real server; frames must match. */
function scenarioTest(name: string, clients: number, steps: SStep[]): void {
  Deno.test({
    name: `scenario: ${name}`,
    ignore: !hasRedis,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const { respite, redis } = await sharedServers();
      const ours = await runScenario(respite.port, clients, steps);
      const theirs = await runScenario(redis!.port, clients, steps);
      assertEquals(ours, theirs);
    },
  });
}

scenarioTest("message and pmessage delivery with receiver counts", 3, [
  { c: 0, cmd: ["SUBSCRIBE", "s1:c1", "s1:c2"], read: 2 },
  { c: 0, cmd: ["PSUBSCRIBE", "s1:c*"] },
  { c: 1, cmd: ["PSUBSCRIBE", "s1:?1"] },
  { c: 2, cmd: ["PUBLISH", "s1:c1", "m1"] },
  { c: 0, read: 2 },
  { c: 1 },
  { c: 2, cmd: ["PUBLISH", "s1:c3", "m2"] },
  { c: 0 },
  { c: 2, cmd: ["PUBLISH", "s1:x1", "m3"] },
  { c: 1 },
  { c: 2, cmd: ["PUBLISH", "s1:none", "m4"] },
  { c: 2, cmd: ["PUBSUB", "NUMPAT"] },
  { c: 2, cmd: ["PUBSUB", "NUMSUB", "s1:c1", "s1:c2", "s1:c3"] },
  { c: 2, cmd: ["PUBSUB", "CHANNELS", "s1:*1"] },
  { c: 0, cmd: ["PUNSUBSCRIBE", "s1:c*"] },
  { c: 2, cmd: ["PUBLISH", "s1:c1", "m5"] },
  { c: 0 },
  { c: 1, cmd: ["PUNSUBSCRIBE"] },
  { c: 2, cmd: ["PUBLISH", "s1:c1", "m6"] },
  { c: 0 },
  { c: 0, cmd: ["UNSUBSCRIBE", "s1:c2"] },
  { c: 0, cmd: ["UNSUBSCRIBE"] },
  { c: 2, cmd: ["PUBLISH", "s1:c1", "m7"] },
  { c: 2, cmd: ["PUBSUB", "NUMPAT"] },
]);

scenarioTest("one client matching several patterns gets one pmessage each", 2, [
  { c: 0, cmd: ["SUBSCRIBE", "s2:ch"] },
  { c: 0, cmd: ["PSUBSCRIBE", "s2:ch*", "s2:c?", "s2:*"], read: 3 },
  { c: 1, cmd: ["PUBLISH", "s2:ch", "hi"] },
  // The channel message comes first, then the patterns in Redis's hash order.
  { c: 0 },
  { c: 0, read: 3, sorted: true },
  { c: 1, cmd: ["PUBLISH", "s2:cx", "x"] },
  { c: 0, read: 2, sorted: true },
]);

scenarioTest("RESP3 subscriber gets push frames, also for its own PUBLISH", 2, [
  { c: 0, cmd: ["HELLO", "3"], skip: true },
  { c: 0, cmd: ["SUBSCRIBE", "s3:a", "s3:b"], read: 2 },
  { c: 0, cmd: ["PSUBSCRIBE", "s3:*"] },
  { c: 0, cmd: ["GET", "s3:k"] },
  { c: 1, cmd: ["PUBLISH", "s3:a", "from-2"] },
  { c: 0, read: 2 },
  // Its own PUBLISH: the pushes come before the integer reply.
  { c: 0, cmd: ["PUBLISH", "s3:b", "self"], read: 3 },
  { c: 0, cmd: ["UNSUBSCRIBE", "s3:a"] },
  { c: 0, cmd: ["PUNSUBSCRIBE"] },
  { c: 0, cmd: ["UNSUBSCRIBE"] },
  { c: 0, cmd: ["UNSUBSCRIBE"] },
  { c: 1, cmd: ["PUBLISH", "s3:b", "gone"] },
]);

scenarioTest("RESP2 and RESP3 subscribers of one channel", 3, [
  { c: 0, cmd: ["HELLO", "3"], skip: true },
  { c: 0, cmd: ["SUBSCRIBE", "s4:a"] },
  { c: 1, cmd: ["SUBSCRIBE", "s4:a"] },
  { c: 2, cmd: ["PUBLISH", "s4:a", "both"] },
  { c: 0 },
  { c: 1 },
  { c: 2, cmd: ["PUBLISH", "s4:a", ""] },
  { c: 0 },
  { c: 1 },
]);

scenarioTest("shard channels: SSUBSCRIBE, SPUBLISH, SUNSUBSCRIBE", 2, [
  { c: 0, cmd: ["SSUBSCRIBE", "s5:a", "s5:b", "s5:a"], read: 3 },
  { c: 1, cmd: ["SPUBLISH", "s5:a", "m"] },
  { c: 0 },
  { c: 1, cmd: ["PUBLISH", "s5:a", "not-shard"] },
  { c: 1, cmd: ["PUBSUB", "SHARDNUMSUB", "s5:a", "s5:b", "s5:c"] },
  { c: 1, cmd: ["PUBSUB", "SHARDCHANNELS", "s5:[ac]"] },
  { c: 1, cmd: ["PUBSUB", "CHANNELS", "s5:*"] },
  { c: 0, cmd: ["GET", "k"] },
  { c: 0, cmd: ["SUNSUBSCRIBE", "s5:a"] },
  { c: 1, cmd: ["SPUBLISH", "s5:a", "m"] },
  { c: 0, cmd: ["SUNSUBSCRIBE"] },
  { c: 0, cmd: ["GET", "k"] },
]);

scenarioTest("glob rules and binary-safe channels", 2, [
  { c: 0, cmd: ["PSUBSCRIBE", "s6:h[ae]llo", "s6:h\\*", "s6:[^a]x"], read: 3 },
  { c: 0, cmd: ["SUBSCRIBE", "s6:\x00\xff\r\n"] },
  { c: 1, cmd: ["PUBLISH", "s6:hello", "1"] },
  { c: 0 },
  { c: 1, cmd: ["PUBLISH", "s6:hallo", "2"] },
  { c: 0 },
  { c: 1, cmd: ["PUBLISH", "s6:hxllo", "3"] },
  { c: 1, cmd: ["PUBLISH", "s6:h*", "4"] },
  { c: 0 },
  { c: 1, cmd: ["PUBLISH", "s6:hx", "5"] },
  { c: 0 },
  { c: 1, cmd: ["PUBLISH", "s6:ax", "6"] },
  { c: 1, cmd: ["PUBLISH", "s6:\x00\xff\r\n", "\x00\xfe"] },
  { c: 0 },
]);

scenarioTest("a lone * pattern and the empty channel", 2, [
  { c: 0, cmd: ["PSUBSCRIBE", "*"] },
  { c: 1, cmd: ["PUBLISH", "", "empty"] },
  { c: 1, cmd: ["PUBLISH", "s7", "x"] },
  { c: 0 },
]);

scenarioTest("RESET drops subscriptions silently", 3, [
  { c: 0, cmd: ["SUBSCRIBE", "s8:a"] },
  { c: 0, cmd: ["PSUBSCRIBE", "s8:*"] },
  { c: 0, cmd: ["RESET"] },
  { c: 2, cmd: ["PUBLISH", "s8:a", "m"] },
  { c: 2, cmd: ["PUBSUB", "NUMSUB", "s8:a"] },
  { c: 1, cmd: ["SUBSCRIBE", "s8:b"] },
  { c: 0, cmd: ["GET", "s8:k"] },
]);

// ---------------------------------------------------------------------------
// Respite-only checks

Deno.test({
  name: "pubsub: disconnect removes the client's subscriptions",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const a = await RawClient.connect(s.port);
    const b = await RawClient.connect(s.port);
    try {
      await a.write(encode(["SUBSCRIBE", "x", "y"]));
      await a.read();
      await a.read();
      await a.call("PSUBSCRIBE", "x*");
      await a.call("SSUBSCRIBE", "sx");
      assertEquals(await b.call("PUBLISH", "x", "m"), 2);
      a.close();
      let n: unknown = 2;
      for (let i = 0; i < 100 && n !== 0; i++) {
        await sleep(10);
        n = await b.call("PUBLISH", "x", "m");
      }
      assertEquals(n, 0);
      assertEquals(await b.call("PUBSUB", "NUMSUB", "x", "y"), ["x", 0, "y", 0]);
      assertEquals(await b.call("PUBSUB", "NUMPAT"), 0);
      assertEquals(await b.call("PUBSUB", "SHARDCHANNELS"), []);
    } finally {
      a.close();
      b.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "pubsub: CLIENT LIST sub/psub/ssub fields, flag P and INFO stats",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const a = await RawClient.connect(s.port);
    const b = await RawClient.connect(s.port);
    try {
      await a.write(encode(["SUBSCRIBE", "c1", "c2"]));
      await a.read();
      await a.read();
      await a.call("PSUBSCRIBE", "p*");
      await a.call("SSUBSCRIBE", "s1");
      const list = (await b.call("CLIENT", "LIST", "TYPE", "pubsub")) as string;
      assertMatch(list, /^id=\d+ .* flags=P db=0 sub=2 psub=1 ssub=1 multi=-1 /);
      assertEquals(list.trim().split("\n").length, 1);
      const info = (await b.call("INFO", "stats")) as string;
      assertMatch(info, /\r\npubsub_channels:2\r\npubsub_patterns:1\r\npubsubshard_channels:1\r\n/);
      // RESET: back to a normal client with no subscriptions.
      assertEquals(await a.call("RESET"), "RESET");
      const info2 = (await a.call("CLIENT", "INFO")) as string;
      assertMatch(info2, / flags=N db=0 sub=0 psub=0 ssub=0 /);
      assertEquals(await b.call("CLIENT", "LIST", "TYPE", "pubsub"), "");
      assertMatch((await b.call("INFO", "stats")) as string, /\r\npubsub_channels:0\r\n/);
    } finally {
      a.close();
      b.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "pubsub: the pubsub service publishes to channels and patterns",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const probe = definePlugin({
      name: "pubsub-probe",
      dependencies: ["pubsub"],
      init(server) {
        const ps = server.service("pubsub")!;
        return {
          commands: [{
            name: "probe.publish",
            arity: 3,
            flags: ["fast"],
            handler: (c, argv) => c.reply.integer(ps.publish(argv[1]!, argv[2]!)),
          }],
        };
      },
    });
    const s = await startRespite({ plugins: [probe] });
    const a = await RawClient.connect(s.port);
    const b = await RawClient.connect(s.port);
    try {
      await a.call("SUBSCRIBE", "__keyevent@0__:set");
      await a.call("PSUBSCRIBE", "__key*");
      assertEquals(await b.call("probe.publish", "__keyevent@0__:set", "k"), 2);
      assertEquals(await a.read().then((r) => r.value), ["message", "__keyevent@0__:set", "k"]);
      assertEquals(await a.read().then((r) => r.value), [
        "pmessage",
        "__key*",
        "__keyevent@0__:set",
        "k",
      ]);
      assertEquals(s.server.service("pubsub")!.publish("other", "x"), 0);
    } finally {
      a.close();
      b.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "pubsub: redis-cli subscribe receives messages",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const child = new Deno.Command("redis-cli", {
      args: ["-p", String(s.port), "subscribe", "cli"],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      let n = 0;
      for (let i = 0; i < 200 && n === 0; i++) {
        await sleep(10);
        n = Number((await redisCli(s.port, ["pubsub", "numsub", "cli"])).split("\n")[1]);
      }
      assertEquals(await redisCli(s.port, ["publish", "cli", "hello"]), "1\n");
    } finally {
      child.kill("SIGTERM");
      const out = new TextDecoder().decode((await child.output()).stdout);
      assertEquals(out, "subscribe\ncli\n1\nmessage\ncli\nhello\n");
      await s.close();
    }
  },
});

// ---------------------------------------------------------------------------
// Real clients

Deno.test({
  name: "ioredis: subscribe and psubscribe deliver 'message' and 'pmessage'",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const sub = new Redis({ port: s.port, lazyConnect: true });
    const pub = new Redis({ port: s.port, lazyConnect: true });
    await sub.connect();
    await pub.connect();
    try {
      const got: string[] = [];
      let done!: () => void;
      const all = new Promise<void>((r) => done = r);
      sub.on("message", (ch: string, msg: string) => {
        got.push(`message ${ch} ${msg}`);
        if (got.length === 4) done();
      });
      sub.on("pmessage", (pat: string, ch: string, msg: string) => {
        got.push(`pmessage ${pat} ${ch} ${msg}`);
        if (got.length === 4) done();
      });
      assertEquals(await sub.subscribe("news", "sport"), 2);
      assertEquals(await sub.psubscribe("n*"), 3);
      assertEquals(await pub.publish("news", "héllo"), 2);
      assertEquals(await pub.publish("sport", "goal"), 1);
      assertEquals(await pub.publish("nothing", "x"), 1);
      await all;
      assertEquals(got, [
        "message news héllo",
        "pmessage n* news héllo",
        "message sport goal",
        "pmessage n* nothing x",
      ]);
      assertEquals(await pub.pubsub("NUMSUB", "news", "sport"), ["news", 1, "sport", 1]);
      assertEquals(await pub.pubsub("NUMPAT"), 1);
      assertEquals(await sub.unsubscribe("news"), 2);
      assertEquals(await sub.punsubscribe("n*"), 1);
      assertEquals(await pub.publish("news", "late"), 0);
      // ioredis refuses GET while subscribed; after the last unsubscribe it works.
      await sub.unsubscribe();
      assertEquals(await sub.get("nope"), null);
    } finally {
      sub.disconnect();
      pub.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "node-redis: subscribe, pSubscribe and sSubscribe listeners",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const pub = createClient({ socket: { port: s.port } });
    await pub.connect();
    const sub = pub.duplicate();
    await sub.connect();
    try {
      const got: string[] = [];
      let done!: () => void;
      const all = new Promise<void>((r) => done = r);
      const note = (line: string) => {
        got.push(line);
        if (got.length === 3) done();
      };
      await sub.subscribe("chan", (msg, ch) => note(`chan ${ch} ${msg}`));
      await sub.pSubscribe("ch*", (msg, ch) => note(`pattern ${ch} ${msg}`));
      await sub.sSubscribe("shard", (msg, ch) => note(`shard ${ch} ${msg}`));
      assertEquals(await pub.publish("chan", "one"), 2);
      assertEquals(await pub.sPublish("shard", "two"), 1);
      await all;
      assertEquals(got.sort(), ["chan chan one", "pattern chan one", "shard shard two"]);
      assertEquals({ ...(await pub.pubSubNumSub(["chan", "x"])) }, { chan: 1, x: 0 });
      assertEquals(await pub.pubSubNumPat(), 1);
      assertEquals(await pub.pubSubShardChannels(), ["shard"]);
      await sub.unsubscribe("chan");
      await sub.pUnsubscribe();
      await sub.sUnsubscribe();
      assertEquals(await pub.publish("chan", "late"), 0);
      assertOk(sub.isOpen);
    } finally {
      await sub.disconnect();
      await pub.disconnect();
      await s.close();
    }
  },
});

// ---------------------------------------------------------------------------
// CLIENT REPLY OFF: pub/sub output is pushed, so it is not a reply to drop

diffSession("pubsub: confirmations and messages reach a client whose replies are off", [
  { send: [0, "CLIENT", "REPLY", "OFF"] },
  [0, "SUBSCRIBE", "ch"],
  [0, "PSUBSCRIBE", "c*"],
  [1, "PUBLISH", "ch", "hi"],
  { read: 0 },
  { send: [0, "PING"] },
  [0, "UNSUBSCRIBE", "ch"],
  { read: 0 },
  [0, "RESET"],
  { send: [0, "CLIENT", "REPLY", "SKIP"] },
  [0, "SUBSCRIBE", "ch"],
  [0, "PING"],
]);

diffSession("pubsub: keyspace notifications reach a client whose replies are off", [
  [1, "CONFIG", "SET", "notify-keyspace-events", "KA"],
  { send: [0, "CLIENT", "REPLY", "OFF"] },
  [0, "SUBSCRIBE", "__keyspace@0__:k"],
  [1, "SET", "k", "v"],
  [1, "DEL", "k"],
  { read: 0 },
  [0, "RESET"],
], { cleanup: [["CONFIG", "SET", "notify-keyspace-events", ""]] });
