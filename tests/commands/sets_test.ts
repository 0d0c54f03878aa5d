/**
 * SETS family: differential scripts against redis-server (replies, errors,
 * WRONGTYPE, RESP3, encodings, STORE variants), propagation and keyspace
 * events, the SetValue structure's random access, and ioredis.
 */
import { Redis } from "ioredis";
import {
  captureWrites,
  diffDirty,
  diffTest,
  RawClient,
  startRespite,
  type Step,
} from "../_helpers.ts";
import { assertEquals, assertOk as assert } from "../_assert.ts";
import { SetValue } from "../../commands/sets/_value.ts";

const U = (...cmd: string[]): Step => ({ cmd, unordered: true });
const HELLO3: Step = { cmd: ["HELLO", "3"], shapeOnly: true };
const HELLO2: Step = { cmd: ["HELLO", "2"], shapeOnly: true };
const BIN = "a\x00b\x80\xff\r\nz";

diffTest("sets: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD", [
  ["SADD", "s", "3", "1", "2", "-5", "100"],
  ["SMEMBERS", "s"],
  ["OBJECT", "ENCODING", "s"],
  ["SADD", "s", "3", "4"],
  ["SADD", "s", "3"],
  ["SCARD", "s"],
  ["SISMEMBER", "s", "3"],
  ["SISMEMBER", "s", "9"],
  ["SMISMEMBER", "s", "3", "9", "1"],
  ["SMISMEMBER", "nokey", "1", "2"],
  ["SISMEMBER", "nokey", "1"],
  ["SCARD", "nokey"],
  ["SMEMBERS", "nokey"],
  ["SREM", "s", "3", "3", "99"],
  ["SREM", "nokey", "a"],
  ["SREM", "s", "-5", "1", "2", "4", "100"],
  ["EXISTS", "s"],
  ["SADD", "b", BIN, "x", BIN],
  U("SMEMBERS", "b"),
  ["SISMEMBER", "b", BIN],
  ["SREM", "b", BIN],
  ["SMEMBERS", "b"],
  ["SADD", "e", ""],
  ["SMEMBERS", "e"],
  ["SADD", "ttl", "a"],
  ["EXPIRE", "ttl", "100"],
  ["SADD", "ttl", "b"],
  ["TTL", "ttl"],
  ["SREM", "ttl", "a"],
  ["TTL", "ttl"],
]);

diffTest("sets: WRONGTYPE and arity errors", [
  ["SET", "str", "x"],
  ["RPUSH", "list", "x"],
  ["SADD", "str", "a"],
  ["SADD", "list", "a"],
  ["SREM", "str", "a"],
  ["SMEMBERS", "str"],
  ["SMEMBERS", "list"],
  ["SISMEMBER", "str", "a"],
  ["SMISMEMBER", "str", "a"],
  ["SCARD", "list"],
  ["SPOP", "str"],
  ["SPOP", "str", "1"],
  ["SPOP", "str", "0"],
  ["SPOP", "str", "abc"],
  ["SRANDMEMBER", "str"],
  ["SRANDMEMBER", "str", "1"],
  ["SRANDMEMBER", "str", "0"],
  ["SRANDMEMBER", "str", "abc"],
  ["SPOP", "str", "1", "2"],
  ["SRANDMEMBER", "str", "1", "2"],
  ["SPOP", "nokey", "1", "2"],
  ["SSCAN", "str", "0"],
  ["SSCAN", "list", "0", "COUNT", "0"],
  ["SADD"],
  ["SADD", "k"],
  ["SREM", "k"],
  ["SMEMBERS"],
  ["SMEMBERS", "a", "b"],
  ["SISMEMBER", "a"],
  ["SMISMEMBER", "a"],
  ["SCARD"],
  ["SPOP"],
  ["SRANDMEMBER"],
  ["SMOVE", "a", "b"],
  ["SINTER"],
  ["SINTERCARD", "1"],
  ["SINTERSTORE", "d"],
  ["SUNION"],
  ["SUNIONSTORE", "d"],
  ["SDIFF"],
  ["SDIFFSTORE", "d"],
  ["SSCAN", "k"],
  ["EXISTS", "k", "a", "d"],
]);

diffTest("sets: SPOP and SRANDMEMBER (deterministic cases)", [
  ["SADD", "s", "3", "1", "2", "-5", "100"],
  ["SPOP", "s", "0"],
  ["SRANDMEMBER", "s", "0"],
  ["SPOP", "nokey"],
  ["SPOP", "nokey", "2"],
  ["SRANDMEMBER", "nokey"],
  ["SRANDMEMBER", "nokey", "2"],
  ["SRANDMEMBER", "nokey", "-2"],
  ["SPOP", "s", "-1"],
  ["SPOP", "s", "abc"],
  ["SPOP", "s", "9223372036854775808"],
  ["SPOP", "s", "-9223372036854775808"],
  ["SRANDMEMBER", "s", "abc"],
  ["SRANDMEMBER", "s", "-9223372036854775808"],
  ["SRANDMEMBER", "s", "1.5"],
  ["SRANDMEMBER", "s", "5"],
  ["SRANDMEMBER", "s", "9223372036854775807"],
  ["SCARD", "s"],
  ["SPOP", "s", "9223372036854775807"],
  ["EXISTS", "s"],
  ["SADD", "one", "x"],
  ["SRANDMEMBER", "one"],
  ["SRANDMEMBER", "one", "-3"],
  ["SPOP", "one"],
  ["EXISTS", "one"],
  ["SADD", "h", "a", "b", "c"],
  U("SPOP", "h", "3"),
  ["EXISTS", "h"],
  // A hashtable of integers pops whole as a (sorted) intset union.
  ["SADD", "hi", "x", "3", "1", "2"],
  ["SREM", "hi", "x"],
  ["SPOP", "hi", "10"],
  HELLO3,
  ["SADD", "s", "3", "1", "2"],
  ["SPOP", "s", "0"],
  ["SPOP", "nokey", "2"],
  ["SPOP", "nokey"],
  ["SRANDMEMBER", "nokey"],
  ["SRANDMEMBER", "nokey", "2"],
  ["SRANDMEMBER", "s", "0"],
  ["SRANDMEMBER", "s", "3"],
  ["SPOP", "s", "3"],
  HELLO2,
]);

diffTest("sets: SMOVE", [
  ["SADD", "a", "1", "2", "3"],
  ["SADD", "b", "3", "4"],
  ["SET", "str", "x"],
  ["SMOVE", "a", "m", "1"],
  ["SMOVE", "a", "m", "1"],
  ["OBJECT", "ENCODING", "m"],
  ["SMOVE", "nokey", "str", "x"],
  ["SMOVE", "str", "nokey", "x"],
  ["SMOVE", "a", "str", "x"],
  ["SMOVE", "a", "str", "2"],
  ["SMOVE", "a", "a", "2"],
  ["SMOVE", "a", "a", "99"],
  ["SMOVE", "a", "b", "3"],
  ["SMEMBERS", "a"],
  ["SMEMBERS", "b"],
  ["SMOVE", "a", "x", "2"],
  ["EXISTS", "a"],
  ["SMEMBERS", "x"],
  ["SADD", "h", "y", "z"],
  ["SMOVE", "h", "x", "y"],
  ["OBJECT", "ENCODING", "x"],
  U("SMEMBERS", "x"),
  ["SMOVE", "h", "x", "nope"],
]);

diffTest("sets: SINTER SINTERCARD SUNION SDIFF", [
  ["SADD", "a", "1", "2", "3", "4", "5"],
  ["SADD", "b", "3", "4", "5", "6", "7"],
  ["SADD", "c", "5", "4", "9"],
  ["SET", "str", "x"],
  ["SINTER", "a", "b", "c"],
  ["SINTER", "a", "b"],
  ["SINTER", "a", "nokey"],
  ["SINTER", "a"],
  ["SINTER", "nokey"],
  ["SINTERCARD", "3", "a", "b", "c"],
  ["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
  ["SINTERCARD", "2", "a", "b", "limit", "0"],
  ["SINTERCARD", "2", "a", "b", "LIMIT", "10"],
  ["SINTERCARD", "2", "a", "nokey"],
  ["SINTERCARD", "1", "a", "LIMIT", "2", "LIMIT", "0"],
  ["SINTERCARD", "0", "a"],
  ["SINTERCARD", "-1", "a"],
  ["SINTERCARD", "x", "a"],
  ["SINTERCARD", "2", "a"],
  ["SINTERCARD", "1", "a", "LIMIT"],
  ["SINTERCARD", "1", "a", "LIMIT", "-1"],
  ["SINTERCARD", "1", "a", "LIMIT", "x"],
  ["SINTERCARD", "1", "a", "foo", "1"],
  ["SINTERCARD", "9223372036854775807", "a"],
  ["SINTERCARD", "99999999999999999999", "a"],
  ["SINTERCARD", "2", "nokey", "str"],
  ["SUNION", "a", "b", "c"],
  ["SUNION", "a", "nokey"],
  ["SUNION", "nokey"],
  ["SDIFF", "a", "b"],
  ["SDIFF", "a", "b", "c"],
  ["SDIFF", "a", "a"],
  ["SDIFF", "nokey", "a"],
  ["SDIFF", "a", "nokey"],
  ["SINTER", "nokey", "str"],
  ["SINTER", "str", "nokey"],
  ["SUNION", "nokey", "str"],
  ["SDIFF", "nokey", "str"],
  ["SDIFF", "str", "nokey"],
  ["SADD", "h", "x", "y", "10"],
  U("SINTER", "h", "a"),
  U("SUNION", "h", "a"),
  ["SDIFF", "a", "h"],
  U("SDIFF", "h", "a"),
  ["SINTERCARD", "2", "h", "h"],
  HELLO3,
  ["SINTER", "a", "b", "c"],
  ["SUNION", "a", "b"],
  ["SDIFF", "a", "b"],
  ["SINTER", "nokey", "a"],
  ["SUNION", "nokey"],
  ["SDIFF", "nokey"],
  ["SMEMBERS", "a"],
  ["SMEMBERS", "nokey"],
  ["SINTERCARD", "1", "a"],
  HELLO2,
]);

diffTest("sets: STORE variants", [
  ["SADD", "a", "1", "2", "3", "4", "5"],
  ["SADD", "b", "3", "4", "5", "6", "7"],
  ["SADD", "c", "5", "4", "9"],
  ["SINTERSTORE", "d", "a", "b"],
  ["OBJECT", "ENCODING", "d"],
  ["SMEMBERS", "d"],
  ["EXPIRE", "d", "100"],
  ["SINTERSTORE", "d", "a", "c"],
  ["TTL", "d"],
  ["SMEMBERS", "d"],
  ["SINTERSTORE", "d", "a", "nokey"],
  ["EXISTS", "d"],
  ["SINTERSTORE", "d", "a", "nokey"],
  ["SUNIONSTORE", "d", "a", "b"],
  ["SMEMBERS", "d"],
  ["SUNIONSTORE", "d", "nokey"],
  ["EXISTS", "d"],
  ["SDIFFSTORE", "d", "a", "b"],
  ["SMEMBERS", "d"],
  ["SDIFFSTORE", "d", "a", "a"],
  ["EXISTS", "d"],
  ["SINTERSTORE", "a2", "a", "a2"],
  ["SUNIONSTORE", "a", "a", "c"],
  ["SMEMBERS", "a"],
  ["SET", "str", "x"],
  ["SINTERSTORE", "str", "a", "b"],
  ["TYPE", "str"],
  ["SMEMBERS", "str"],
  ["SET", "str2", "x"],
  ["SUNIONSTORE", "str2", "a"],
  ["TYPE", "str2"],
  ["SET", "str3", "x"],
  ["SDIFFSTORE", "str3", "nokey"],
  ["EXISTS", "str3"],
  ["SET", "str", "x"],
  ["SINTERSTORE", "d", "nokey", "str"],
  ["SUNIONSTORE", "d", "a", "str"],
  ["SDIFFSTORE", "d", "a", "str"],
  // A hashtable of integers stores as an intset, as Redis rebuilds it.
  ["SADD", "hi", "x", "2", "1"],
  ["SREM", "hi", "x"],
  ["OBJECT", "ENCODING", "hi"],
  ["SUNIONSTORE", "d2", "hi"],
  ["OBJECT", "ENCODING", "d2"],
  ["SINTERSTORE", "d3", "hi", "hi"],
  ["OBJECT", "ENCODING", "d3"],
  ["SDIFFSTORE", "d4", "hi", "nokey"],
  ["OBJECT", "ENCODING", "d4"],
  ["SUNION", "hi"],
  ["SADD", "h", "x", "y"],
  ["SUNIONSTORE", "d5", "h", "a"],
  ["OBJECT", "ENCODING", "d5"],
  ["SCARD", "d5"],
]);

diffTest("sets: encodings and CONFIG SET set-max-intset-entries", [
  ["CONFIG", "GET", "set-max-intset-entries"],
  ["SADD", "c", "9223372036854775807", "-9223372036854775808", "0"],
  ["OBJECT", "ENCODING", "c"],
  ["SMEMBERS", "c"],
  ["SADD", "big", "9223372036854775808"],
  ["OBJECT", "ENCODING", "big"],
  ["SADD", "e", "01"],
  ["OBJECT", "ENCODING", "e"],
  ["SADD", "f", "-0"],
  ["OBJECT", "ENCODING", "f"],
  ["SADD", "g", "+1"],
  ["OBJECT", "ENCODING", "g"],
  ["SADD", "sp", " 1"],
  ["OBJECT", "ENCODING", "sp"],
  ["SADD", "n", "-1", "-10", "5", "-3"],
  ["SMEMBERS", "n"],
  ["SADD", "n", "x"],
  ["OBJECT", "ENCODING", "n"],
  ["SREM", "n", "x"],
  ["OBJECT", "ENCODING", "n"],
  ["CONFIG", "SET", "set-max-intset-entries", "-1"],
  ["CONFIG", "SET", "set-max-intset-entries", "2"],
  ["CONFIG", "GET", "set-max-intset-entries"],
  ["SADD", "t", "1", "2", "3"],
  ["OBJECT", "ENCODING", "t"],
  ["SADD", "u", "1", "2"],
  ["OBJECT", "ENCODING", "u"],
  ["SADD", "u", "2"],
  ["OBJECT", "ENCODING", "u"],
  ["SADD", "u", "3"],
  ["OBJECT", "ENCODING", "u"],
  ["SREM", "u", "3", "2"],
  ["OBJECT", "ENCODING", "u"],
  ["CONFIG", "SET", "set-max-intset-entries", "0"],
  ["SADD", "z", "1"],
  ["OBJECT", "ENCODING", "z"],
  ["SADD", "c", "1"],
  ["OBJECT", "ENCODING", "c"],
  ["CONFIG", "SET", "set-max-intset-entries", "512"],
  ["DEBUG", "DIGEST-VALUE", "c", "n", "big", "nokey"],
  ["SADD", "ss", "a", "b", "c", BIN],
  ["DEBUG", "DIGEST-VALUE", "ss"],
  ["SADD", "ex", "1"],
  ["EXPIRE", "ex", "100"],
  ["DEBUG", "DIGEST-VALUE", "ex"],
  ["DEBUG", "DIGEST"],
]);

diffTest("sets: SSCAN", [
  ["SADD", "c", "9", "1", "5", "10", "100"],
  ["SSCAN", "c", "0"],
  ["SSCAN", "c", "0", "MATCH", "1*"],
  ["SSCAN", "c", "0", "match", "*", "count", "1"],
  ["SSCAN", "c", "0", "COUNT", "1"],
  ["SSCAN", "c", "5"],
  ["SSCAN", "c", "-1"],
  ["SSCAN", "c", ""],
  ["SSCAN", "c", "x"],
  ["SSCAN", "c", "0", "COUNT", "0"],
  ["SSCAN", "c", "0", "COUNT", "-1"],
  ["SSCAN", "c", "0", "COUNT", "x"],
  ["SSCAN", "c", "0", "TYPE", "set"],
  ["SSCAN", "c", "0", "MATCH"],
  ["SSCAN", "c", "0", "NOVALUES"],
  ["SSCAN", "nokey", "0", "COUNT", "0"],
  ["SSCAN", "nokey", "x"],
  ["SADD", "h", "only"],
  ["SSCAN", "h", "0", "COUNT", "100"],
  ["SSCAN", "h", "0", "MATCH", "x*", "COUNT", "100"],
  HELLO3,
  ["SSCAN", "c", "0"],
  HELLO2,
]);

Deno.test({
  name: "sets: propagation and keyspace events",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { plugin: capture, propagated: prop, events } = captureWrites();
    const s = await startRespite({ plugins: [capture] });
    const c = await RawClient.connect(s.port);
    const step = async (argv: string[], props: string[][], evs: string[]) => {
      prop.length = 0;
      events.length = 0;
      const r = await c.call(...argv);
      assertEquals(prop, props, `propagated for ${JSON.stringify(argv)}`);
      assertEquals(events, evs, `events for ${JSON.stringify(argv)}`);
      return r;
    };
    try {
      await step(["SADD", "s", "a", "b", "a"], [["SADD", "s", "a", "b", "a"]], ["sadd:s:s"]);
      await step(["SADD", "s", "a"], [], []);
      await step(["SREM", "s", "zz"], [], []);
      await step(["SREM", "s", "a", "zz"], [["SREM", "s", "a", "zz"]], ["srem:s:s"]);
      await step(["SREM", "s", "b"], [["SREM", "s", "b"]], ["srem:s:s", "del:g:s"]);
      // SPOP: one SREM per popped member; DEL when the whole set goes.
      await c.call("SADD", "p", "1", "2", "3", "4", "5");
      prop.length = 0;
      events.length = 0;
      const m = await c.call("SPOP", "p") as string;
      assertEquals(prop, [["SREM", "p", m]]);
      assertEquals(events, ["spop:s:p"]);
      prop.length = 0;
      events.length = 0;
      const two = await c.call("SPOP", "p", "2") as string[];
      assertEquals(two.length, 2);
      assertEquals(prop, two.map((x) => ["SREM", "p", x]));
      assertEquals(events, ["spop:s:p"]);
      const rest = await c.call("SMEMBERS", "p") as string[];
      assertEquals(rest.length, 2);
      assertEquals(new Set([m, ...two, ...rest]), new Set(["1", "2", "3", "4", "5"]));
      await step(["SPOP", "p", "0"], [], []);
      await step(["SPOP", "p", "5"], [["DEL", "p"]], ["spop:s:p", "del:g:p"]);
      await c.call("SADD", "q", "x");
      await step(["SPOP", "q"], [["SREM", "q", "x"]], ["spop:s:q", "del:g:q"]);
      await step(["SPOP", "q"], [], []);
      await step(["SRANDMEMBER", "nokey", "3"], [], []);
      // SMOVE: srem (+del) on the source, sadd on the destination.
      await c.call("SADD", "a", "1", "2");
      await step(["SMOVE", "a", "b", "1"], [["SMOVE", "a", "b", "1"]], [
        "srem:s:a",
        "sadd:s:b",
      ]);
      await c.call("SADD", "b", "2");
      await step(["SMOVE", "a", "b", "2"], [["SMOVE", "a", "b", "2"]], [
        "srem:s:a",
        "del:g:a",
      ]);
      await step(["SMOVE", "b", "c", "zz"], [], []);
      // STORE: the family event, or del when the result is empty.
      await step(["SINTERSTORE", "d", "b", "b"], [["SINTERSTORE", "d", "b", "b"]], [
        "sinterstore:s:d",
      ]);
      await step(["SUNIONSTORE", "d", "b"], [["SUNIONSTORE", "d", "b"]], ["sunionstore:s:d"]);
      await step(["SDIFFSTORE", "d", "b", "b"], [["SDIFFSTORE", "d", "b", "b"]], ["del:g:d"]);
      await step(["SDIFFSTORE", "d", "b", "b"], [], []);
      await step(["SINTERSTORE", "d", "nokey"], [], []);
      await step(["SDIFFSTORE", "d", "b"], [["SDIFFSTORE", "d", "b"]], ["sdiffstore:s:d"]);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "sets: dirty counts as Redis (one per member changed)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    const dirty = async () => {
      const info = await c.call("INFO", "persistence") as string;
      return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)![1]);
    };
    try {
      const d0 = await dirty();
      await c.call("SADD", "s", "a", "b", "c", "a");
      assertEquals(await dirty(), d0 + 3);
      await c.call("SREM", "s", "a", "b", "zz");
      assertEquals(await dirty(), d0 + 5);
      await c.call("SMOVE", "s", "t", "c");
      assertEquals(await dirty(), d0 + 7);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test("sets: SetValue random access is O(1) per pop on a big set", () => {
  const s = new SetValue();
  const n = 1_000_000;
  for (let i = 0; i < n; i++) s.add("m" + i, 512);
  assertEquals(s.encoding(), "hashtable");
  const t0 = performance.now();
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) seen.add(s.pop());
  const popped = s.sample(300_000); // the partial-shuffle path
  for (const m of popped) s.delete(m);
  const ms = performance.now() - t0;
  assertEquals(seen.size, 20_000);
  assertEquals(new Set(popped).size, 300_000);
  assertEquals(s.length, n - 320_000);
  for (const m of seen) assert(!s.has(m));
  assert(ms < 2000, `took ${ms} ms`);
  // Members added after indexing are reachable by random picks.
  const small = new SetValue();
  for (let i = 0; i < 40; i++) small.add(String(i), 512);
  small.random();
  small.add("new", 512);
  let hit = false;
  for (let i = 0; i < 5000 && !hit; i++) hit = small.random() === "new";
  assert(hit, "a member added after indexing is never picked");
  assertEquals(small.encoding(), "hashtable");
  const ints = SetValue.from(["10", "-2", "9223372036854775807", "3"], 512);
  assertEquals([...ints.elements()], ["-2", "3", "10", "9223372036854775807"]);
  assertEquals(ints.clone().encoding(), "intset");
});

Deno.test({
  name: "sets: through ioredis (random commands by their properties, SSCAN)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    await io.connect();
    try {
      const members = Array.from({ length: 50 }, (_, i) => `m${i}`);
      assertEquals(await io.sadd("s", ...members), 50);
      assertEquals(await io.scard("s"), 50);
      assertEquals(await io.sismember("s", "m7"), 1);
      assertEquals(await io.smismember("s", "m1", "zz"), [1, 0]);
      assertEquals((await io.smembers("s")).sort(), [...members].sort());
      for (let i = 0; i < 20; i++) {
        const five = await io.srandmember("s", 5);
        assertEquals(five.length, 5);
        assertEquals(new Set(five).size, 5, "SRANDMEMBER 5 gives distinct members");
        for (const m of five) assert(members.includes(m));
      }
      const many = await io.srandmember("s", -200);
      assertEquals(many.length, 200);
      assert(new Set(many).size < 200, "SRANDMEMBER -200 of 50 must repeat");
      for (const m of many) assert(members.includes(m));
      const all = await io.srandmember("s", 100);
      assertEquals(all.sort(), [...members].sort());
      // SPOP removes exactly what it returns.
      const popped = new Set<string>();
      const one = await io.spop("s");
      popped.add(one!);
      for (const m of await io.spop("s", 9)) popped.add(m);
      assertEquals(popped.size, 10);
      const left = await io.smembers("s");
      assertEquals(left.length, 40);
      for (const m of left) assert(!popped.has(m));
      assertEquals(new Set([...left, ...popped]).size, 50);
      // A full SSCAN of a hashtable set returns every member once.
      await io.sadd("big", ...Array.from({ length: 1000 }, (_, i) => `k${i}`));
      const got: string[] = [];
      let cursor = "0";
      let calls = 0;
      do {
        const [next, items] = await io.sscan("big", cursor, "COUNT", 50);
        cursor = next;
        got.push(...items);
        calls++;
      } while (cursor !== "0");
      assert(calls > 10, `SSCAN COUNT 50 took ${calls} calls`);
      assertEquals(got.length, 1000);
      assertEquals(new Set(got).size, 1000);
      const [, matched] = await io.sscan("big", "0", "MATCH", "k99*", "COUNT", 2000);
      assertEquals(matched.sort(), [
        "k99",
        "k990",
        "k991",
        "k992",
        "k993",
        "k994",
        "k995",
        "k996",
        "k997",
        "k998",
        "k999",
      ]);
      // Store and algebra.
      await io.sadd("x", "1", "2", "3");
      await io.sadd("y", "2", "3", "4");
      assertEquals(await io.sinter("x", "y"), ["2", "3"]);
      assertEquals(await io.sunion("x", "y"), ["1", "2", "3", "4"]);
      assertEquals(await io.sdiff("x", "y"), ["1"]);
      assertEquals(await io.sintercard(2, "x", "y"), 2);
      assertEquals(await io.sinterstore("z", "x", "y"), 2);
      assertEquals(await io.smembers("z"), ["2", "3"]);
      assertEquals(await io.smove("x", "y", "1"), 1);
      assertEquals(await io.smembers("y"), ["1", "2", "3", "4"]);
      assertEquals(await io.object("ENCODING", "y"), "intset");
    } finally {
      io.disconnect();
      await s.close();
    }
  },
});

diffTest("sets: COMMAND INFO (flags, ACL categories, key specs, tips)", [
  [
    "COMMAND",
    "INFO",
    ..."sadd srem smembers sismember smismember scard spop srandmember smove sinter sintercard sinterstore sunion sunionstore sdiff sdiffstore sscan"
      .split(" "),
  ],
  ["COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"],
  ["COMMAND", "GETKEYS", "SMOVE", "a", "b", "m"],
  ["COMMAND", "GETKEYS", "SUNIONSTORE", "d", "a", "b"],
]);

diffDirty("sets: every write command", [
  ["SADD", "s", "1", "2", "3"],
  ["SADD", "s", "3", "4", "x"],
  ["SADD", "s", "1"],
  ["SREM", "s", "1", "nope", "2"],
  ["SREM", "s", "nope"],
  ["SREM", "none", "a"],
  ["SADD", "one", "a"],
  ["SREM", "one", "a"],
  ["SADD", "p", "only"],
  ["SPOP", "p"],
  ["SPOP", "none"],
  ["SADD", "p", "5", "6", "7"],
  ["SPOP", "p", "0"],
  ["SPOP", "p", "10"],
  ["SPOP", "none", "2"],
  ["SADD", "a", "1", "2", "3"],
  ["SADD", "b", "2", "3", "4"],
  ["SMOVE", "a", "b", "1"],
  ["SMOVE", "a", "b", "2"],
  ["SMOVE", "a", "b", "nope"],
  ["SMOVE", "a", "c", "3"],
  ["SMOVE", "none", "c", "3"],
  ["SMOVE", "b", "b", "2"],
  ["SADD", "c", "4"],
  ["SMOVE", "b", "c", "4"],
  ["SINTERSTORE", "d", "b", "c"],
  ["SINTERSTORE", "d", "b", "nope"],
  ["SINTERSTORE", "d", "b", "nope"],
  ["SUNIONSTORE", "d", "b", "c"],
  ["SUNIONSTORE", "d", "none"],
  ["SDIFFSTORE", "d", "b", "c"],
  ["SDIFFSTORE", "d", "b", "b"],
  ["SDIFFSTORE", "d", "b", "b"],
  ["SET", "str", "x"],
  ["SADD", "str", "a"],
  ["SUNIONSTORE", "d", "str"],
]);

Deno.test("sets: two servers in one process keep their own set-max-intset-entries", async () => {
  const a = await startRespite({ config: { "set-max-intset-entries": "1" } });
  const b = await startRespite();
  const ca = await RawClient.connect(a.port), cb = await RawClient.connect(b.port);
  try {
    for (const c of [ca, cb]) {
      await c.call("SADD", "s", "1", "2");
      await c.call("SUNIONSTORE", "u", "s");
    }
    assertEquals(await ca.call("OBJECT", "ENCODING", "s"), "hashtable");
    assertEquals(await ca.call("OBJECT", "ENCODING", "u"), "hashtable");
    assertEquals(await cb.call("OBJECT", "ENCODING", "s"), "intset");
    assertEquals(await cb.call("OBJECT", "ENCODING", "u"), "intset");
    await ca.call("CONFIG", "SET", "set-max-intset-entries", "512");
    await cb.call("CONFIG", "SET", "set-max-intset-entries", "0");
    for (const c of [ca, cb]) await c.call("SADD", "t", "7");
    assertEquals(await ca.call("OBJECT", "ENCODING", "t"), "intset");
    assertEquals(await cb.call("OBJECT", "ENCODING", "t"), "hashtable");
  } finally {
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  }
});
