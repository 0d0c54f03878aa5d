/**
 * Tests of the HYPERLOGLOG family (PFADD, PFCOUNT, PFMERGE, PFDEBUG,
 * PFSELFTEST): differential scripts against redis-server comparing every
 * reply and the values' bytes (GET) after each kind of write, sparse and
 * dense, promotion, corrupted values, errors and arity; dirty counts,
 * keyspace events and WATCH compared with Redis; propagation in-process;
 * and a pass through ioredis.
 *
 * @module
 */

import { Redis } from "ioredis";
import {
  captureWrites,
  diffDirty,
  diffTest,
  hasRedis,
  RawClient,
  type Reply,
  sharedServers,
  startRespite,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";
import {
  cachedCard,
  freshCount,
  HLL_DENSE_SIZE,
  HLL_HDR_SIZE,
  isHll,
  murmurHash64A,
  patLenOf,
} from "../../commands/hyperloglog/_codec.ts";

/**
 * A differential test. Some change hll-sparse-max-bytes on the shared
 * servers: each starts from Redis's default.
 */
function hllDiff(name: string, script: () => string[][]): void {
  diffTest(name, () => [["CONFIG", "SET", "hll-sparse-max-bytes", "3000"], ...script()]);
}

const range = (n: number, f: (i: number) => string): string[] =>
  Array.from({ length: n }, (_, i) => f(i));

/** A 16-byte header: magic, encoding, unused, cached cardinality. */
function header(enc: number, card = "\0\0\0\0\0\0\0\x80"): string {
  return "HYLL" + String.fromCharCode(enc) + "\0\0\0" + card;
}
const EMPTY_SPARSE = header(1) + "\x7f\xff"; // XZERO:16384

hllDiff("PFADD / PFCOUNT on sparse values, bytes and cache", () => [
  ["PFADD", "h", "a", "b", "c"],
  ["GET", "h"],
  ["PFCOUNT", "h"],
  ["GET", "h"],
  ["PFCOUNT", "h"],
  ["PFADD", "h", "a"],
  ["GET", "h"],
  ["PFADD", "h", "d", "e", "f", "g"],
  ["GET", "h"],
  ["PFDEBUG", "DECODE", "h"],
  ["PFDEBUG", "ENCODING", "h"],
  ["PFCOUNT", "h"],
  ["GET", "h"],
  ["PFADD", "empty"],
  ["GET", "empty"],
  ["PFADD", "empty"],
  ["PFCOUNT", "empty"],
  ["GET", "empty"],
  ["PFCOUNT", "nokey"],
  ["EXISTS", "nokey"],
  ["TYPE", "h"],
  ["STRLEN", "h"],
  // TTLs survive PFADD and the cache update.
  ["EXPIRE", "h", "1000"],
  ["PFADD", "h", "zz"],
  ["PFCOUNT", "h"],
  ["TTL", "h"],
  ["PFADD", "many", ...range(300, (i) => `m${i}`)],
  ["GET", "many"],
  ["PFDEBUG", "DECODE", "many"],
  ["PFCOUNT", "many"],
  ["GET", "many"],
]);

hllDiff("binary elements and every hash tail length", () => {
  const steps: string[][] = [];
  const bin = "\x00\xff\x80\x7f\x01\xaa\x55\r\n\x9f\xfe\x10\x20\x30\x40\x50\x60\x70";
  for (let n = 0; n <= bin.length; n++) {
    steps.push(["PFADD", `b${n}`, bin.slice(0, n)]);
    steps.push(["GET", `b${n}`]);
  }
  steps.push(["PFADD", "all", ...range(bin.length + 1, (n) => bin.slice(0, n))]);
  steps.push(["PFCOUNT", "all"], ["GET", "all"]);
  steps.push(["PFADD", "bytes", ...range(256, (i) => String.fromCharCode(i, 255 - i, i))]);
  steps.push(["GET", "bytes"], ["PFCOUNT", "bytes"]);
  return steps;
});

hllDiff("promotion to dense at the default and a lowered hll-sparse-max-bytes", () => {
  const steps: string[][] = [];
  for (let b = 0; b < 30; b++) {
    steps.push(["PFADD", "p", ...range(100, (i) => `p${b}:${i}`)]);
    steps.push(["GET", "p"], ["PFDEBUG", "ENCODING", "p"]);
  }
  steps.push(["PFCOUNT", "p"], ["GET", "p"]);
  steps.push(["CONFIG", "SET", "hll-sparse-max-bytes", "60"]);
  for (let i = 0; i < 40; i++) {
    steps.push(["PFADD", "q", `q${i}`], ["GET", "q"]);
  }
  steps.push(["PFDEBUG", "ENCODING", "q"], ["PFCOUNT", "q"], ["GET", "q"]);
  steps.push(["CONFIG", "SET", "hll-sparse-max-bytes", "0"]);
  steps.push(["PFADD", "r", "x"], ["PFDEBUG", "ENCODING", "r"], ["GET", "r"]);
  steps.push(["PFADD", "r0"], ["PFDEBUG", "ENCODING", "r0"]);
  return steps;
});

hllDiff("large cardinalities (100k elements) count and bytes", () => {
  const steps: string[][] = [];
  for (let b = 0; b < 20; b++) {
    steps.push(["PFADD", "big", ...range(5000, (i) => `${b * 5000 + i}`)]);
    steps.push(["PFCOUNT", "big"]);
  }
  steps.push(["GET", "big"], ["PFDEBUG", "ENCODING", "big"]);
  steps.push(["PFADD", "big", "again"], ["PFCOUNT", "big"], ["GET", "big"]);
  return steps;
});

hllDiff("PFMERGE and PFCOUNT of several keys", () => [
  ["PFADD", "s1", "a", "b", "c"],
  ["PFADD", "s2", "c", "d", "e"],
  ["PFADD", "d1", ...range(4000, (i) => `d${i}`)],
  ["PFADD", "d2", ...range(3000, (i) => `d${i + 2000}`)],
  ["PFCOUNT", "s1", "s2"],
  ["PFCOUNT", "s1", "s2", "nokey"],
  ["PFCOUNT", "s1", "d1"],
  ["PFCOUNT", "d1", "d2", "s2"],
  ["GET", "s1"],
  ["PFMERGE", "m1", "s1", "s2"],
  ["GET", "m1"],
  ["PFCOUNT", "m1"],
  ["PFMERGE", "m2", "s1", "d1"],
  ["GET", "m2"],
  ["PFDEBUG", "ENCODING", "m2"],
  ["PFMERGE", "s1", "s2"],
  ["GET", "s1"],
  ["PFMERGE", "d2", "d1"],
  ["GET", "d2"],
  ["PFCOUNT", "d2"],
  ["PFMERGE", "s2", "d1"],
  ["GET", "s2"],
  ["PFMERGE", "only"],
  ["GET", "only"],
  ["PFMERGE", "none", "nokey1", "nokey2"],
  ["GET", "none"],
  ["PFMERGE", "self", "self"],
  ["GET", "self"],
  // A sparse destination that outgrows hll-sparse-max-bytes mid-merge.
  ["PFADD", "big1", ...range(1200, (i) => `x${i}`)],
  ["PFMERGE", "dst", "big1"],
  ["GET", "dst"],
  ["PFADD", "big2", ...range(1200, (i) => `y${i}`)],
  ["PFMERGE", "dst", "big2"],
  ["PFDEBUG", "ENCODING", "dst"],
  ["GET", "dst"],
  ["PFCOUNT", "dst"],
]);

hllDiff("PFDEBUG subcommands", () => [
  ["PFADD", "h", "a", "b", "c", "d"],
  ["PFDEBUG", "ENCODING", "h"],
  ["PFDEBUG", "decode", "h"],
  ["PFDEBUG", "GETREG", "h"],
  ["PFDEBUG", "ENCODING", "h"],
  ["GET", "h"],
  ["PFDEBUG", "DECODE", "h"],
  ["PFDEBUG", "TODENSE", "h"],
  ["PFADD", "h2", "x"],
  ["PFDEBUG", "todense", "h2"],
  ["PFDEBUG", "TODENSE", "h2"],
  ["GET", "h2"],
  ["PFCOUNT", "h2"],
  ["PFADD", "h2", "y"],
  ["GET", "h2"],
  ["PFDEBUG", "FOO", "h"],
  ["PFDEBUG", "FOO", "nokey"],
  ["PFDEBUG", "GETREG", "nokey"],
  ["RPUSH", "l", "x"],
  ["PFDEBUG", "ENCODING", "l"],
  ["SET", "str", "hello"],
  ["PFDEBUG", "ENCODING", "str"],
  ["PFSELFTEST"],
]);

hllDiff("wrong types and invalid HLL strings", () => [
  ["RPUSH", "l", "x"],
  ["PFADD", "l", "a"],
  ["PFADD", "l"],
  ["PFCOUNT", "l"],
  ["PFCOUNT", "nokey", "l"],
  ["PFMERGE", "l", "nokey"],
  ["PFMERGE", "dst", "l"],
  ["EXISTS", "dst"],
  ["SET", "n", "12345"],
  ["PFADD", "n", "a"],
  ["PFCOUNT", "n"],
  ["SET", "short", "HYLL"],
  ["PFCOUNT", "short"],
  ["SET", "badmagic", "HYLX" + "\x01" + "\0".repeat(11) + "\x7f\xff"],
  ["PFCOUNT", "badmagic"],
  ["SET", "badenc", header(2) + "\x7f\xff"],
  ["PFADD", "badenc", "a"],
  ["SET", "denselen", header(0) + "\0".repeat(100)],
  ["PFCOUNT", "denselen"],
  ["PFADD", "ok", "a"],
  ["PFCOUNT", "ok", "short"],
  ["PFMERGE", "ok", "denselen"],
  ["GET", "ok"],
]);

hllDiff("corrupted HLL objects", () => [
  // Too few registers.
  ["SET", "c1", header(1) + "\x40\x00"],
  ["PFCOUNT", "c1"],
  ["PFADD", "c1", "a"],
  ["PFADD", "c1"],
  ["PFDEBUG", "DECODE", "c1"],
  ["PFDEBUG", "TODENSE", "c1"],
  ["PFDEBUG", "GETREG", "c1"],
  ["PFCOUNT", "c1", "c1"],
  ["PFMERGE", "x", "c1"],
  ["EXISTS", "x"],
  // Too many registers: an add may still succeed in place.
  ["SET", "c2", EMPTY_SPARSE + "\x00"],
  ["PFADD", "c2", "a", "b", "c"],
  ["GET", "c2"],
  ["PFCOUNT", "c2"],
  ["GET", "c2"],
  // A VAL overflowing the register count.
  ["SET", "c3", header(1) + "\x7f\xfe\x83"],
  ["PFCOUNT", "c3"],
  ["PFDEBUG", "DECODE", "c3"],
  ["PFMERGE", "y", "c3"],
  // An empty body, a truncated XZERO.
  ["SET", "c4", header(1)],
  ["PFCOUNT", "c4"],
  ["PFADD", "c4", "a"],
  ["SET", "c5", header(1) + "\x7f"],
  ["PFCOUNT", "c5"],
  ["PFDEBUG", "DECODE", "c5"],
  // A valid cached cardinality is trusted as it is.
  ["SET", "c6", header(1, "\x05\0\0\0\0\0\0\0") + "\x7f\xff"],
  ["PFCOUNT", "c6"],
  ["SET", "c7", header(1, "\xff\xff\xff\xff\xff\xff\xff\x7f") + "\x7f\xff"],
  ["PFCOUNT", "c7"],
  ["SET", "c8", header(1, "\x01\x02\x03\x04\x05\x06\x07\x00") + "\x7f\xff"],
  ["PFCOUNT", "c8"],
  // Dense values with registers beyond the hash's range.
  ["SET", "c9", header(0) + "\xff".repeat(12288)],
  ["PFCOUNT", "c9"],
  ["GET", "c9"],
  ["PFCOUNT", "c9", "c9"],
  ["PFADD", "c9", "a"],
  ["SET", "c10", header(0) + "\x33".repeat(12288)],
  ["PFCOUNT", "c10"],
  ["GET", "c10"],
  ["PFMERGE", "c11", "c10"],
  ["GET", "c11"],
  // Non-zero unused header bytes are kept.
  ["SET", "c12", "HYLL\x01\x07\x08\x09" + "\0".repeat(7) + "\x80" + "\x7f\xff"],
  ["PFADD", "c12", "a"],
  ["PFDEBUG", "TODENSE", "c12"],
  ["GETRANGE", "c12", "0", "15"],
]);

hllDiff("arity errors", () => [
  ["PFADD"],
  ["PFCOUNT"],
  ["PFMERGE"],
  ["PFDEBUG"],
  ["PFDEBUG", "GETREG"],
  ["PFDEBUG", "GETREG", "a", "b"],
  ["PFSELFTEST", "x"],
]);

hllDiff("hll-sparse-max-bytes config", () => [
  ["CONFIG", "GET", "hll-sparse-max-bytes"],
  ["CONFIG", "SET", "hll-sparse-max-bytes", "3kb"],
  ["CONFIG", "GET", "hll-sparse-max-bytes"],
  ["CONFIG", "SET", "hll-sparse-max-bytes", "-1"],
  ["CONFIG", "SET", "hll-sparse-max-bytes", "abc"],
  ["CONFIG", "GET", "hll-sparse-max-bytes"],
  ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"],
]);

hllDiff("COMMAND INFO and WATCH", () => [
  ["COMMAND", "INFO", "pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"],
  ["COMMAND", "GETKEYS", "PFMERGE", "d", "s1", "s2"],
  ["COMMAND", "GETKEYS", "PFCOUNT", "a", "b"],
  // PFCOUNT updating the cache touches the key for WATCH.
  ["PFADD", "w", "a"],
  ["WATCH", "w"],
  ["PFCOUNT", "w"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // A valid cache changes nothing.
  ["WATCH", "w"],
  ["PFCOUNT", "w"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // PFADD that changes no register touches nothing.
  ["WATCH", "w"],
  ["PFADD", "w", "a"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["WATCH", "w"],
  ["PFMERGE", "w"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
]);

function changes(info: Reply): number {
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(String(info))![1]);
}

Deno.test({
  name: "diff: dirty counts and keyspace events",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    const script: string[][] = [
      ["PFADD", "h", "a", "b", "c"],
      ["PFADD", "h", "a"],
      ["PFADD", "h"],
      ["PFADD", "e"],
      ["PFCOUNT", "h"],
      ["PFCOUNT", "h"],
      ["PFCOUNT", "h", "e"],
      ["PFMERGE", "m", "h"],
      ["PFMERGE", "m"],
      ["PFDEBUG", "ENCODING", "m"],
      ["PFDEBUG", "GETREG", "m"],
      ["PFDEBUG", "GETREG", "m"],
      ["PFDEBUG", "TODENSE", "h"],
      ["PFDEBUG", "TODENSE", "h"],
      ["PFADD", "h", ...range(50, (i) => `z${i}`)],
      ["SET", "done", "1"],
    ];
    const trace = async (port: number) => {
      const c = await RawClient.connect(port);
      const sub = await RawClient.connect(port);
      try {
        await c.call("FLUSHALL");
        await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
        await sub.call("PSUBSCRIBE", "__key*__:*");
        const deltas: number[] = [];
        for (const argv of script) {
          const before = changes(await c.call("INFO", "persistence"));
          await c.call(...argv);
          deltas.push(changes(await c.call("INFO", "persistence")) - before);
        }
        const events: Reply[] = [];
        for (;;) {
          const m = (await sub.read()).value as Reply[];
          events.push(m.slice(2));
          if (m[2] === "__keyevent@0__:set" && m[3] === "done") break;
        }
        return { deltas, events };
      } finally {
        await c.call("CONFIG", "SET", "notify-keyspace-events", "");
        c.close();
        sub.close();
      }
    };
    const a = await trace(respite.port);
    const b = await trace(redis!.port);
    assertEquals(a.deltas, b.deltas);
    assertEquals(a.events, b.events);
    // Not vacuous: PFADD counts changed registers, PFCOUNT's cache update
    // and PFDEBUG's conversion count one each.
    assertEquals(a.deltas, [4, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 0, 50, 1]);
    assertEquals(a.events.length, 12);
  },
});

Deno.test({
  name: "PFCOUNT's cache update and PFDEBUG's conversion are propagated",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cap = captureWrites();
    const s = await startRespite({ plugins: [cap.plugin] });
    const c = await RawClient.connect(s.port);
    try {
      await c.call("PFADD", "h", "a");
      await c.call("PFADD", "h", "a");
      await c.call("PFCOUNT", "h");
      await c.call("PFCOUNT", "h");
      await c.call("PFCOUNT", "h", "h");
      await c.call("PFDEBUG", "ENCODING", "h");
      await c.call("PFDEBUG", "TODENSE", "h");
      await c.call("PFDEBUG", "TODENSE", "h");
      await c.call("PFMERGE", "m", "h");
      assertEquals(cap.propagated.filter((a) => a[0] !== "SELECT"), [
        ["PFADD", "h", "a"],
        ["PFCOUNT", "h"],
        ["PFDEBUG", "TODENSE", "h"],
        ["PFMERGE", "m", "h"],
      ]);
      assertEquals(cap.events, ["pfadd:$:h", ":" + ":h", "pfadd:$:m"]);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test("MurmurHash64A matches Redis's (seed 0xadc83b19)", () => {
  // Reference implementation over BigInt, straight from the C source.
  const ref = (key: string, seed: bigint): bigint => {
    const M = 0xc6a4a7935bd1e995n, MASK = (1n << 64n) - 1n;
    const len = key.length;
    let h = (seed ^ (BigInt(len) * M)) & MASK;
    const end = len - (len & 7);
    for (let i = 0; i < end; i += 8) {
      let k = 0n;
      for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(key.charCodeAt(i + j));
      k = (k * M) & MASK;
      k ^= k >> 47n;
      k = (k * M) & MASK;
      h ^= k;
      h = (h * M) & MASK;
    }
    if (len & 7) {
      for (let j = (len & 7) - 1; j >= 0; j--) {
        h ^= BigInt(key.charCodeAt(end + j)) << BigInt(8 * j);
      }
      h = (h * M) & MASK;
    }
    h ^= h >> 47n;
    h = (h * M) & MASK;
    h ^= h >> 47n;
    return h;
  };
  for (let n = 0; n < 40; n++) {
    const s = range(n, (i) => String.fromCharCode((i * 37 + n * 11) & 0xff)).join("");
    assertEquals(murmurHash64A(s), ref(s, 0xadc83b19n), `length ${n}`);
    assertEquals(murmurHash64A(s, 0), ref(s, 0n), `length ${n}, seed 0`);
  }
  // hllPatLen: the WebAssembly hash (elements up to 64 KB) against the
  // reference, register index and run length, over every tail length and
  // bytes 0x80-0xff; then a long element (JavaScript) the same way.
  const pat = (s: string) => {
    const h = ref(s, 0xadc83b19n);
    let x = (h >> 14n) | (1n << 50n), count = 1;
    while ((x & 1n) === 0n) (count++, x >>= 1n);
    return Number(h & 16383n) | count << 16;
  };
  for (let n = 0; n < 70; n++) {
    for (let t = 0; t < 8; t++) {
      const s = range(n, (i) => String.fromCharCode((i * 151 + t * 97 + n) & 0xff)).join("");
      assertEquals(patLenOf(s), pat(s), `length ${n}`);
      assertEquals(patLenOf(s, true), pat(s), `length ${n}, JavaScript`);
    }
  }
  const long = "\xfe".repeat(70000) + "x";
  assertEquals(patLenOf(long), pat(long));
  // A run past the hash's low 32 bits (bits 14 to 31 all 0: one element
  // in 2^18), where the count comes from the high half.
  let deep = 0;
  while ((patLenOf(`e${deep}`) >>> 16) <= 18) deep++;
  assertEquals(patLenOf(`e${deep}`), pat(`e${deep}`));
  assertEquals(patLenOf(`e${deep}`, true), pat(`e${deep}`));
});

Deno.test({
  name: "HyperLogLog through ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    try {
      await io.connect();
      assertEquals(await io.pfadd("hll", "a", "b", "c"), 1);
      assertEquals(await io.pfadd("hll", "a"), 0);
      assertEquals(await io.pfcount("hll"), 3);
      const raw = await io.getBuffer("hll");
      assertEquals(
        [...raw!].map((b) => b.toString(16).padStart(2, "0")).join(""),
        "48594c4c010000000300000000000000" + "60f38050b1844bfb80425a",
      );
      const elements = range(10000, (i) => `e${i}`);
      assertEquals(await io.pfadd("big", ...elements), 1);
      assertEquals(await io.pfcount("big"), BIG_COUNT);
      assertEquals(await io.pfmerge("u", "hll", "big"), "OK");
      assertEquals(await io.pfcount("u"), await io.pfcount("hll", "big"));
      await io.set("plain", "x");
      let err = "";
      try {
        await io.pfcount("plain");
      } catch (e) {
        err = (e as Error).message;
      }
      assertEquals(err, "WRONGTYPE Key is not a valid HyperLogLog string value.");
      // A value built by Redis is usable as it is.
      await io.set("copy", raw!);
      assertEquals(await io.pfcount("copy"), 3);
      assertEquals(await io.pfadd("copy", "d"), 1);
      assertEquals(await io.pfcount("copy"), 4);
    } finally {
      io.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "cardinalities beyond 2^53 are replied exactly",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    try {
      // Every register at 63: Redis's llroundl overflows to LLONG_MIN.
      await c.call("SET", "inf", header(0) + "\xff".repeat(12288));
      assertEquals(await c.command("PFCOUNT", "inf"), ":-9223372036854775808\r\n");
      await c.call("SET", "max", header(1, "\xff\xff\xff\xff\xff\xff\xff\x7f") + "\x7f\xff");
      assertEquals(await c.command("PFCOUNT", "max"), ":9223372036854775807\r\n");
    } finally {
      c.close();
      await s.close();
    }
  },
});

/** PFCOUNT of e0..e9999 as redis-server 7.0 answers it. */
const BIG_COUNT = 9973;

diffDirty("hyperloglog: PFADD, PFCOUNT's cache, PFMERGE and PFDEBUG, sparse and dense", [
  ["PFADD", "h", "a", "b", "c"],
  ["PFADD", "h", "a", "b", "c"],
  ["PFADD", "h"],
  ["PFADD", "fresh"],
  ["PFCOUNT", "h"],
  ["PFCOUNT", "h"],
  ["PFCOUNT", "h", "fresh"],
  ["PFCOUNT", "nothing"],
  ["PFMERGE", "m", "h", "fresh"],
  ["PFMERGE", "m", "h"],
  ["PFMERGE", "empty"],
  ["PFMERGE", "none", "nothing"],
  ["PFDEBUG", "ENCODING", "h"],
  ["PFDEBUG", "DECODE", "h"],
  ["PFDEBUG", "GETREG", "h"],
  ["PFDEBUG", "GETREG", "h"],
  ["PFDEBUG", "TODENSE", "m"],
  ["PFDEBUG", "TODENSE", "m"],
  ["PFADD", "m", "a"],
  ["PFADD", "m", "new1", "new2"],
  ["PFCOUNT", "m"],
  ["PFMERGE", "h", "m"],
  ["SET", "s", "not an hll"],
  ["PFADD", "s", "x"],
  ["PFMERGE", "s", "h"],
  ["PFDEBUG", "TODENSE", "nothing"],
]);

Deno.test("PFCOUNT's header fast path agrees with the general checks", () => {
  // freshCount must answer exactly where isHll and a fresh cache below
  // 2^53 would, and -1 (the general path, with its errors) elsewhere.
  const dense = (card: string) => header(0, card) + "\0".repeat(HLL_DENSE_SIZE - HLL_HDR_SIZE);
  const cards = [
    "\0\0\0\0\0\0\0\0",
    "\x39\x30\0\0\0\0\0\0",
    "\xff\xff\xff\xff\xff\xff\x1f\0", // 2^53 - 1
    "\0\0\0\0\0\0\x20\0", // 2^53: a BigInt, not the fast path
    "\x01\0\0\0\0\0\0\x80", // stale
    "\x01\0\0\0\0\0\0\x7f", // above 2^56
  ];
  const values: string[] = [];
  for (const card of cards) {
    values.push(dense(card), header(1, card) + "\x7f\xff", dense(card).slice(0, -1));
    values.push(header(2, card) + "\x7f\xff", "HYLX" + header(1, card).slice(4) + "\x7f\xff");
  }
  values.push("short", "", "HYLL\x01");
  for (const v of values) {
    const want = isHll(v) && typeof cachedCard(v) === "number" ? cachedCard(v) : -1;
    assertEquals(freshCount(v), want, JSON.stringify(v.slice(0, 16)));
  }
});
