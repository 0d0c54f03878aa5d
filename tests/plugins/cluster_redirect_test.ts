/**
 * Redirection in a two-master cluster, against redis-server: the same
 * script runs on the first node of an all-Respite pair and of a
 * redis-server pair (slots 0-8191 and 8192-16383 each), and the replies
 * must match, ports and node ids masked: MOVED, CROSSSLOT, CLUSTERDOWN,
 * keyless commands, MULTI/EXEC, EVAL and FCALL (declared keys, keys a
 * script reaches, `allow-cross-slot-keys`, `no-cluster`), blocking
 * commands, shard pub/sub, READONLY and ASKING on a master. Then: a client
 * blocked on a slot that goes away gets Redis's error; PUBLISH reaches a
 * subscriber on the other node; `redis-cli -c` follows MOVED.
 *
 * Keys used, by slot: on the first node b (3300), {b}x (3300), c (7365),
 * list1 (7141), ch2 (5801); on the second a (15495), d (11298), zs1
 * (9393), ch1 (9930).
 */

import { assertEquals, assertOk } from "../_assert.ts";
import { hasRedis, RawClient, redisCli, type Reply, sleep } from "../_helpers.ts";
import {
  allAgree,
  type ClusterProc,
  formCluster,
  maskPort,
  run,
  startNodes,
  stopAll,
} from "../_cluster.ts";

const HALVES = [[0, 8191], [8192, 16383]];

const FLIB = "#!lua name=clib\n" +
  "redis.register_function{function_name='getk', callback=function(k) return redis.call('get', k[1]) end}\n" +
  "redis.register_function{function_name='getb', callback=function(k) return redis.call('get', 'b') end}\n" +
  "redis.register_function{function_name='geta', callback=function(k) return redis.call('get', 'a') end}";

const SCRIPT: string[][] = [
  ["SET", "b", "1"],
  ["GET", "b"],
  ["GET", "a"],
  ["SET", "a", "1"],
  ["MGET", "b", "{b}x"],
  ["MGET", "b", "c"],
  ["MGET", "a", "d"],
  ["DEL", "b", "a"],
  ["EXISTS", "a"],
  ["OBJECT", "ENCODING", "a"],
  ["RENAME", "b", "c"],
  ["RENAME", "b", "{b}x"],
  ["SORT", "list1", "STORE", "a"],
  ["ZUNIONSTORE", "zs1", "1", "b"],
  ["XREAD", "STREAMS", "a", "b", "0", "0"],
  ["BLPOP", "a", "0"],
  ["BLPOP", "list1", "0.05"],
  ["BLMOVE", "list1", "a", "LEFT", "LEFT", "0"],
  ["PING"],
  ["DBSIZE"],
  ["KEYS", "*"],
  ["ECHO", "a"],
  ["CLUSTER", "KEYSLOT", "a"],
  ["CLUSTER", "COUNTKEYSINSLOT", "3300"],
  ["CLUSTER", "GETKEYSINSLOT", "3300", "10"],
  ["SET", "{b}1", "1"],
  ["SET", "{b}2", "1"],
  ["SET", "{b}3", "1"],
  ["CLUSTER", "COUNTKEYSINSLOT", "3300"],
  ["CLUSTER", "GETKEYSINSLOT", "3300", "10"],
  ["DEL", "{b}2"],
  ["SET", "{b}2", "2"],
  ["SET", "{b}1", "2"],
  ["CLUSTER", "GETKEYSINSLOT", "3300", "10"],
  ["CLUSTER", "GETKEYSINSLOT", "3300", "2"],
  ["CLUSTER", "GETKEYSINSLOT", "3300", "0"],
  ["CLUSTER", "COUNTKEYSINSLOT", "3300"],
  ["DEL", "{b}1", "{b}2", "{b}3"],
  ["CLUSTER", "COUNTKEYSINSLOT", "3300"],
  ["CLUSTER", "SLOTS"],
  ["MULTI"],
  ["SET", "b", "2"],
  ["SET", "a", "2"],
  ["EXEC"],
  ["MULTI"],
  ["SET", "b", "3"],
  ["SET", "c", "3"],
  ["EXEC"],
  ["MULTI"],
  ["SET", "b", "4"],
  ["GET", "{b}x"],
  ["EXEC"],
  ["EXEC"],
  ["WATCH", "a"],
  ["WATCH", "b"],
  ["UNWATCH"],
  ["EVAL", "return 1", "2", "b", "c"],
  ["EVAL", "return 1", "1", "a"],
  ["EVAL", "return redis.call('get', KEYS[1])", "1", "b"],
  ["EVAL", "return redis.call('get', 'a')", "0"],
  ["EVAL", "redis.call('get', 'b'); return redis.call('get', 'c')", "0"],
  ["EVAL", "#!lua\nredis.call('get', 'b'); return redis.call('get', 'c')", "0"],
  [
    "EVAL",
    "#!lua flags=allow-cross-slot-keys\nredis.call('get', 'b'); return redis.call('get', 'c')",
    "0",
  ],
  ["EVAL", "#!lua flags=allow-cross-slot-keys\nreturn 1", "2", "b", "c"],
  ["EVAL", "#!lua\nreturn redis.call('get', 'c')", "1", "b"],
  ["EVAL", "#!lua\nreturn redis.call('get', '{b}x')", "1", "b"],
  ["EVAL", "#!lua flags=no-cluster\nreturn 1", "0"],
  ["EVAL", "return redis.pcall('get', 'a')", "0"],
  ["FUNCTION", "LOAD", "REPLACE", FLIB],
  ["FCALL", "getk", "1", "b"],
  ["FCALL", "getk", "1", "a"],
  ["FCALL", "getb", "0"],
  ["FCALL", "getb", "1", "c"],
  ["FCALL", "geta", "0"],
  ["FCALL_RO", "getk", "2", "b", "c"],
  ["SPUBLISH", "ch1", "m"],
  ["SPUBLISH", "ch2", "m"],
  ["PUBLISH", "ch1", "m"],
  ["PUBSUB", "SHARDNUMSUB", "ch1"],
  ["READONLY"],
  ["GET", "a"],
  ["GET", "b"],
  ["READWRITE"],
  ["ASKING"],
  ["GET", "a"],
  ["GET", "b"],
  ["SELECT", "1"],
  ["FLUSHALL"],
  ["FUNCTION", "FLUSH"],
];

/** Masks ports (as `<p0>`, `<p1>`) and node ids (by order of appearance). */
function masker(nodes: readonly ClusterProc[]): (r: Reply) => Reply {
  const ids = new Map<string, string>();
  const text = (s: string): string => {
    let out = s.replace(/\b[0-9a-f]{40}\b/g, (id) => {
      if (!ids.has(id)) ids.set(id, `<id${ids.size}>`);
      return ids.get(id)!;
    });
    nodes.forEach((n, i) => {
      out = maskPort(maskPort(out, n.busPort, `<bus${i}>`), n.port, `<p${i}>`);
    });
    return out;
  };
  const mask = (r: Reply): Reply => {
    if (typeof r === "number") {
      const i = nodes.findIndex((n) => n.port === r);
      return i < 0 ? r : `<p${i}>`;
    }
    if (typeof r === "string") return text(r);
    if (Array.isArray(r)) return r.map(mask);
    if (r !== null && typeof r === "object") {
      if ("error" in r) return { error: text(r.error) };
      if ("verbatim" in r) return { verbatim: text(r.verbatim) };
      if ("map" in r) return { map: r.map.map(([k, v]) => [mask(k), mask(v)]) };
    }
    return r;
  };
  return mask;
}

/** A two-master cluster of one kind, formed, or undefined without redis-server. */
async function pair(kind: "respite" | "redis", args: string[] = []): Promise<ClusterProc[]> {
  const nodes = await startNodes([kind, kind], args);
  try {
    await formCluster(nodes, HALVES);
  } catch (e) {
    await stopAll(nodes);
    throw e;
  }
  return nodes;
}

let pairs: Promise<{ respite: ClusterProc[]; redis: ClusterProc[] }> | undefined;

/** One Respite pair and one redis-server pair, shared by the tests of this file. */
function sharedPairs(): Promise<{ respite: ClusterProc[]; redis: ClusterProc[] }> {
  pairs ??= (async () => {
    const [respite, redis] = await Promise.all([pair("respite"), pair("redis")]);
    globalThis.addEventListener("unload", () => {
      for (const n of [...respite, ...redis]) n.stop();
    });
    return { respite, redis };
  })();
  return pairs;
}

for (const resp of [2, 3] as const) {
  Deno.test({
    name: `diff: redirection in a two-master cluster (RESP${resp})`,
    ignore: !hasRedis,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const { respite, redis } = await sharedPairs();
      const steps = resp === 3 ? [["HELLO", "3"], ...SCRIPT] : SCRIPT;
      const ours = (await run(respite[0]!.port, steps)).map(masker(respite));
      const theirs = (await run(redis[0]!.port, steps)).map(masker(redis));
      for (let i = resp === 3 ? 1 : 0; i < steps.length; i++) {
        assertEquals(ours[i], theirs[i], `step ${i}: ${JSON.stringify(steps[i])}`);
      }
    },
  });
}

/** Blocks a client on `list1` (first node), deletes its slot, returns the client's reply. */
async function blockedThenSlotGone(node: ClusterProc): Promise<Reply> {
  const blocked = await RawClient.connect(node.port);
  const admin = await RawClient.connect(node.port);
  try {
    const reply = blocked.call("BLPOP", "list1", "0");
    await sleep(100);
    assertEquals(await admin.call("CLUSTER", "DELSLOTS", "7141"), "OK");
    const r = await Promise.race([reply, sleep(5000).then(() => "no reply in 5 s")]);
    assertEquals(await admin.call("CLUSTER", "ADDSLOTS", "7141"), "OK");
    return r;
  } finally {
    blocked.close();
    admin.close();
  }
}

Deno.test({
  name: "diff: a client blocked on a slot that goes away gets Redis's error",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedPairs();
    const ours = await blockedThenSlotGone(respite[0]!);
    const theirs = await blockedThenSlotGone(redis[0]!);
    assertEquals(ours, theirs);
    assertEquals(ours, { error: "CLUSTERDOWN The cluster is down" });
    await Promise.all([allAgree(respite), allAgree(redis)]);
  },
});

Deno.test({
  name: "PUBLISH on one node reaches a subscriber on the other; SPUBLISH stays in its shard",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite } = await sharedPairs();
    const sub = await RawClient.connect(respite[1]!.port);
    try {
      assertEquals(await sub.call("SUBSCRIBE", "news"), ["subscribe", "news", 1]);
      assertEquals(await call2(respite[0]!, ["PUBLISH", "news", "hello"]), 0);
      assertEquals((await sub.read(5000)).value, ["message", "news", "hello"]);
      assertEquals(await sub.call("SSUBSCRIBE", "ch1"), ["ssubscribe", "ch1", 1]);
      assertEquals(await call2(respite[1]!, ["SPUBLISH", "ch1", "shard"]), 1);
      assertEquals((await sub.read(5000)).value, ["smessage", "ch1", "shard"]);
      assertEquals(await call2(respite[0]!, ["SPUBLISH", "ch1", "x"]), {
        error: `MOVED 9930 127.0.0.1:${respite[1]!.port}`,
      });
    } finally {
      sub.close();
    }
  },
});

async function call2(node: ClusterProc, argv: string[]): Promise<Reply> {
  return (await run(node.port, [argv]))[0]!;
}

Deno.test({
  name: "redis-cli -c follows MOVED to the other node",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite } = await sharedPairs();
    const port = respite[0]!.port;
    assertEquals((await redisCli(port, ["-c", "SET", "a", "from-cli"])).trim(), "OK");
    assertEquals((await redisCli(port, ["-c", "GET", "a"])).trim(), "from-cli");
    assertEquals(await call2(respite[1]!, ["GET", "a"]), "from-cli");
    assertOk((await redisCli(port, ["GET", "a"])).includes("MOVED 15495"));
    await call2(respite[1]!, ["DEL", "a"]);
  },
});
