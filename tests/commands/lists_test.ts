/**
 * LISTS family: differential scripts against redis-server (every command,
 * option and error, WRONGTYPE, RESP3), propagation and keyspace events, the
 * deque itself, and ioredis.
 */
import { Redis } from "ioredis";
import {
  captureWrites,
  checkWrites,
  diffDirty,
  diffTest,
  RawClient,
  startRespite,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";
import { Deque } from "../../commands/lists/_deque.ts";

const WRONG = [
  ["SET", "s", "x"],
  ["LPUSH", "s", "a"],
  ["RPUSH", "s", "a"],
  ["LPUSHX", "s", "a"],
  ["RPUSHX", "s", "a"],
  ["LPOP", "s"],
  ["RPOP", "s", "2"],
  ["LLEN", "s"],
  ["LRANGE", "s", "0", "-1"],
  ["LINDEX", "s", "0"],
  ["LSET", "s", "0", "x"],
  ["LREM", "s", "0", "x"],
  ["LTRIM", "s", "0", "1"],
  ["LINSERT", "s", "BEFORE", "a", "b"],
  ["LPOS", "s", "a"],
  ["LMOVE", "s", "d", "LEFT", "LEFT"],
  ["RPUSH", "l", "1"],
  ["LMOVE", "l", "s", "LEFT", "LEFT"],
  ["RPOPLPUSH", "l", "s"],
  ["LRANGE", "l", "0", "-1"],
  ["LMPOP", "2", "nokey", "s", "LEFT"],
  ["BLPOP", "nokey", "s", "0"],
  ["BRPOP", "s", "0"],
  ["BLMOVE", "s", "d", "LEFT", "LEFT", "0"],
  ["BLMOVE", "l", "s", "LEFT", "LEFT", "0"],
  ["BRPOPLPUSH", "s", "d", "0"],
  ["BLMPOP", "0", "1", "s", "RIGHT"],
  ["TYPE", "l"],
  ["OBJECT", "ENCODING", "l"],
];

diffTest("lists: WRONGTYPE against a string", WRONG);

diffTest("lists: push, pop, len", [
  ["LPUSH", "l", "a", "b", "c"],
  ["RPUSH", "l", "d", "e"],
  ["LRANGE", "l", "0", "-1"],
  ["LLEN", "l"],
  ["LLEN", "none"],
  ["LPUSHX", "none", "a"],
  ["RPUSHX", "none", "a", "b"],
  ["EXISTS", "none"],
  ["LPUSHX", "l", "x", "y"],
  ["RPUSHX", "l", "z"],
  ["LRANGE", "l", "0", "-1"],
  ["LPOP", "l"],
  ["RPOP", "l"],
  ["LPOP", "l", "2"],
  ["RPOP", "l", "2"],
  ["LPOP", "l", "0"],
  ["LPOP", "l", "100"],
  ["EXISTS", "l"],
  ["LPOP", "l"],
  ["LPOP", "l", "2"],
  ["RPOP", "l", "0"],
  ["LPOP", "l", "-1"],
  ["LPOP", "l", "x"],
  ["LPOP", "l", "1", "2"],
  ["RPOP", "l", "1", "2"],
  ["RPUSH", "l", "only"],
  ["RPOP", "l", "-1"],
  ["RPOP", "l"],
  ["LPUSH", "l"],
  ["LPOP"],
  ["RPUSH", "b", "\x00\xff", ""],
  ["LRANGE", "b", "0", "-1"],
  ["RPUSH", "n", "1", "2", "-3", "100000000000000000000", "0x1"],
  ["LRANGE", "n", "0", "-1"],
  ["OBJECT", "ENCODING", "n"],
  ["TYPE", "n"],
]);

diffTest("lists: RESP3 null shapes", [
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["LPOP", "none"],
  ["LPOP", "none", "1"],
  ["RPOP", "none", "0"],
  ["LINDEX", "none", "0"],
  ["LMOVE", "none", "x", "LEFT", "LEFT"],
  ["LMPOP", "1", "none", "LEFT"],
  ["LPOS", "none", "a"],
  ["LPOS", "none", "a", "COUNT", "0"],
  ["RPUSH", "l", "a", "b"],
  ["LPOP", "l", "0"],
  ["LPOP", "l", "1"],
  ["LMPOP", "1", "l", "RIGHT", "COUNT", "5"],
  ["RPUSH", "l", "a", "b"],
  ["BLPOP", "l", "0"],
  ["BLPOP", "none", "0.01"],
  ["BLMOVE", "none", "l", "LEFT", "LEFT", "0.01"],
  ["BRPOPLPUSH", "none", "l", "0.01"],
  ["BLMPOP", "0.01", "1", "none", "LEFT"],
]);

diffTest("lists: RESP2 null shapes and blocking timeouts", [
  ["LPOP", "none"],
  ["LPOP", "none", "1"],
  ["LINDEX", "none", "0"],
  ["LMPOP", "1", "none", "LEFT"],
  ["BLPOP", "none", "0.01"],
  ["BRPOP", "none", "x", "0.01"],
  ["BLMOVE", "none", "l", "LEFT", "LEFT", "0.01"],
  ["BRPOPLPUSH", "none", "l", "0.01"],
  ["BLMPOP", "0.01", "1", "none", "LEFT"],
]);

diffTest("lists: LRANGE and LINDEX", [
  ["RPUSH", "l", "a", "b", "c", "d", "e"],
  ["LRANGE", "l", "0", "0"],
  ["LRANGE", "l", "1", "3"],
  ["LRANGE", "l", "-2", "-1"],
  ["LRANGE", "l", "-100", "100"],
  ["LRANGE", "l", "3", "1"],
  ["LRANGE", "l", "5", "10"],
  ["LRANGE", "l", "-1", "-5"],
  ["LRANGE", "l", "x", "1"],
  ["LRANGE", "l", "0", "1.5"],
  ["LRANGE", "none", "0", "-1"],
  ["LRANGE", "none", "x", "-1"],
  ["LRANGE", "l", "0", "9223372036854775807"],
  ["LRANGE", "l", "-9223372036854775808", "2"],
  ["LRANGE", "l", "0", "9223372036854775808"],
  ["LINDEX", "l", "0"],
  ["LINDEX", "l", "4"],
  ["LINDEX", "l", "5"],
  ["LINDEX", "l", "-1"],
  ["LINDEX", "l", "-5"],
  ["LINDEX", "l", "-6"],
  ["LINDEX", "l", "x"],
  ["LINDEX", "none", "x"],
  ["LINDEX", "none", "1"],
  ["LRANGE", "l"],
]);

diffTest("lists: LSET, LREM, LTRIM, LINSERT", [
  ["LSET", "none", "0", "x"],
  ["LSET", "none", "x", "x"],
  ["RPUSH", "l", "a", "b", "a", "c", "a", "b"],
  ["LSET", "l", "0", "A"],
  ["LSET", "l", "-1", "B"],
  ["LSET", "l", "6", "x"],
  ["LSET", "l", "-7", "x"],
  ["LSET", "l", "x", "x"],
  ["LRANGE", "l", "0", "-1"],
  ["LREM", "l", "1", "a"],
  ["LRANGE", "l", "0", "-1"],
  ["RPUSH", "l", "a", "a", "c"],
  ["LREM", "l", "-2", "a"],
  ["LRANGE", "l", "0", "-1"],
  ["LREM", "l", "0", "c"],
  ["LREM", "l", "0", "zz"],
  ["LREM", "l", "x", "a"],
  ["LREM", "none", "0", "a"],
  ["LREM", "none", "x", "a"],
  ["LRANGE", "l", "0", "-1"],
  ["RPUSH", "t", "1", "2", "3", "4", "5", "6"],
  ["LTRIM", "t", "1", "-2"],
  ["LRANGE", "t", "0", "-1"],
  ["LTRIM", "t", "0", "100"],
  ["LRANGE", "t", "0", "-1"],
  ["LTRIM", "t", "-2", "-1"],
  ["LRANGE", "t", "0", "-1"],
  ["LTRIM", "t", "x", "1"],
  ["LTRIM", "none", "0", "1"],
  ["LTRIM", "none", "x", "1"],
  ["LTRIM", "t", "5", "1"],
  ["EXISTS", "t"],
  ["RPUSH", "t", "1", "2"],
  ["LTRIM", "t", "2", "5"],
  ["EXISTS", "t"],
  ["RPUSH", "i", "a", "b", "c"],
  ["LINSERT", "i", "BEFORE", "a", "x"],
  ["LINSERT", "i", "after", "c", "y"],
  ["LINSERT", "i", "AFTER", "b", "z"],
  ["LINSERT", "i", "before", "b", "w"],
  ["LINSERT", "i", "BEFORE", "nope", "q"],
  ["LINSERT", "i", "MIDDLE", "a", "q"],
  ["LINSERT", "none", "BEFORE", "a", "q"],
  ["LINSERT", "none", "MIDDLE", "a", "q"],
  ["EXISTS", "none"],
  ["LRANGE", "i", "0", "-1"],
  ["RPUSH", "r", "1", "1", "2", "1"],
  ["LREM", "r", "0", "1"],
  ["LREM", "r", "5", "2"],
  ["EXISTS", "r"],
]);

diffTest("lists: LPOS", [
  ["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"],
  ["LPOS", "l", "c"],
  ["LPOS", "l", "c", "RANK", "2"],
  ["LPOS", "l", "c", "RANK", "-1"],
  ["LPOS", "l", "c", "RANK", "-3"],
  ["LPOS", "l", "c", "RANK", "4"],
  ["LPOS", "l", "c", "RANK", "-4"],
  ["LPOS", "l", "c", "COUNT", "0"],
  ["LPOS", "l", "c", "COUNT", "2"],
  ["LPOS", "l", "c", "COUNT", "2", "RANK", "-1"],
  ["LPOS", "l", "c", "COUNT", "0", "RANK", "2"],
  ["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"],
  ["LPOS", "l", "c", "MAXLEN", "2"],
  ["LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1"],
  ["LPOS", "l", "c", "RANK", "-1", "MAXLEN", "0"],
  ["LPOS", "l", "x"],
  ["LPOS", "l", "x", "COUNT", "3"],
  ["LPOS", "l", "1"],
  ["LPOS", "l", "01"],
  ["LPOS", "l", "c", "RANK", "0"],
  ["LPOS", "l", "c", "RANK", "x"],
  ["LPOS", "l", "c", "RANK", "-9223372036854775808"],
  ["LPOS", "l", "c", "RANK", "-9223372036854775808", "COUNT", "2"],
  ["LPOS", "l", "c", "RANK", "-9223372036854775808", "COUNT", "0", "MAXLEN", "2"],
  ["LPOS", "l", "c", "RANK", "-9223372036854775809"],
  ["LPOS", "l", "c", "RANK", "-9223372036854775807"],
  ["LPOS", "l", "c", "RANK", "9223372036854775807"],
  ["LPOS", "l", "c", "COUNT", "-1"],
  ["LPOS", "l", "c", "COUNT", "x"],
  ["LPOS", "l", "c", "MAXLEN", "-1"],
  ["LPOS", "l", "c", "MAXLEN", "x"],
  ["LPOS", "l", "c", "RANK"],
  ["LPOS", "l", "c", "FOO", "1"],
  ["LPOS", "none", "c", "RANK", "0"],
  ["LPOS", "none", "c", "COUNT", "1"],
  ["LPOS", "l"],
]);

diffTest("lists: LMOVE and RPOPLPUSH", [
  ["RPUSH", "s", "1", "2", "3"],
  ["LMOVE", "s", "d", "LEFT", "RIGHT"],
  ["LMOVE", "s", "d", "right", "left"],
  ["LMOVE", "s", "d", "RIGHT", "RIGHT"],
  ["LRANGE", "d", "0", "-1"],
  ["EXISTS", "s"],
  ["LMOVE", "s", "d", "LEFT", "LEFT"],
  ["LMOVE", "d", "d", "LEFT", "RIGHT"],
  ["LRANGE", "d", "0", "-1"],
  ["RPOPLPUSH", "d", "d"],
  ["LRANGE", "d", "0", "-1"],
  ["RPOPLPUSH", "d", "e"],
  ["RPOPLPUSH", "none", "e"],
  ["LMOVE", "d", "e", "UP", "LEFT"],
  ["LMOVE", "d", "e", "LEFT", "DOWN"],
  ["LMOVE", "none", "e", "UP", "LEFT"],
  ["RPUSH", "one", "x"],
  ["LMOVE", "one", "one", "LEFT", "RIGHT"],
  ["LRANGE", "one", "0", "-1"],
  ["RPOPLPUSH", "one", "two"],
  ["EXISTS", "one"],
  ["LRANGE", "two", "0", "-1"],
  ["LMOVE", "d", "e"],
]);

diffTest("lists: LMPOP and BLMPOP arguments", [
  ["RPUSH", "a", "1", "2", "3", "4"],
  ["RPUSH", "b", "x"],
  ["LMPOP", "2", "none", "a", "LEFT"],
  ["LMPOP", "2", "none", "a", "RIGHT", "COUNT", "2"],
  ["LMPOP", "2", "a", "b", "left", "count", "10"],
  ["LMPOP", "2", "a", "b", "LEFT", "COUNT", "10"],
  ["LMPOP", "2", "a", "b", "LEFT"],
  ["RPUSH", "a", "1"],
  ["LMPOP", "0", "a", "LEFT"],
  ["LMPOP", "-1", "a", "LEFT"],
  ["LMPOP", "x", "a", "LEFT"],
  ["LMPOP", "3", "a", "LEFT"],
  ["LMPOP", "1", "a", "MIDDLE"],
  ["LMPOP", "1", "a", "LEFT", "COUNT"],
  ["LMPOP", "1", "a", "LEFT", "COUNT", "0"],
  ["LMPOP", "1", "a", "LEFT", "COUNT", "-1"],
  ["LMPOP", "1", "a", "LEFT", "COUNT", "x"],
  ["LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"],
  ["LMPOP", "1", "a", "LEFT", "FOO"],
  ["LMPOP", "1", "a"],
  ["BLMPOP", "0", "1", "a", "LEFT", "COUNT", "5"],
  ["BLMPOP", "x", "1", "a", "LEFT"],
  ["BLMPOP", "-1", "1", "a", "LEFT"],
  ["BLMPOP", "0", "0", "a", "LEFT"],
  ["BLMPOP", "0", "1", "a", "UP"],
  ["BLMPOP", "x", "0", "a", "LEFT"],
  ["BLMPOP", "x", "1", "a", "UP"],
  ["BLMPOP", "0", "1", "a", "LEFT", "COUNT", "0"],
  ["BLMPOP", "0", "1", "a"],
]);

diffTest("lists: blocking commands with data and argument errors", [
  ["RPUSH", "a", "1", "2", "3"],
  ["RPUSH", "b", "x", "y"],
  ["BLPOP", "none", "a", "b", "0"],
  ["BRPOP", "none", "b", "a", "0"],
  ["BLPOP", "a", "x"],
  ["BLPOP", "a", "-1"],
  ["BLPOP", "a", "-0.5"],
  ["BLPOP", "a", "inf"],
  ["BLPOP", "a", "1e400"],
  ["BLPOP", "a", ""],
  ["BLPOP", "a", "0.001"],
  ["BRPOP", "a", "1.5"],
  ["BLMOVE", "b", "c", "LEFT", "RIGHT", "0"],
  ["BLMOVE", "b", "c", "UP", "RIGHT", "0"],
  ["BLMOVE", "b", "c", "LEFT", "RIGHT", "x"],
  ["BLMOVE", "b", "c", "LEFT", "RIGHT", "-1"],
  ["BLMOVE", "b", "c", "UP", "RIGHT", "x"],
  ["RPUSH", "b", "z"],
  ["BRPOPLPUSH", "b", "c", "0"],
  ["BRPOPLPUSH", "b", "c", "0.01"],
  ["BRPOPLPUSH", "b", "c", "x"],
  ["LRANGE", "c", "0", "-1"],
  ["EXISTS", "b"],
  ["BLPOP", "a"],
  ["BLMOVE", "a", "b", "LEFT", "LEFT"],
]);

diffTest("lists: DEBUG DIGEST-VALUE, COPY, RENAME, big lists", [
  ["RPUSH", "l", "a", "1", "-5", "\x00", ""],
  ["DEBUG", "DIGEST-VALUE", "l"],
  ["COPY", "l", "l2"],
  ["DEBUG", "DIGEST-VALUE", "l2"],
  ["LPUSH", "l2", "z"],
  ["LRANGE", "l", "0", "-1"],
  ["RENAME", "l2", "l3"],
  ["LRANGE", "l3", "0", "-1"],
  ["RPUSH", "big", ...Array.from({ length: 300 }, (_, i) => `e${i}`)],
  ["LINDEX", "big", "150"],
  ["LINSERT", "big", "BEFORE", "e10", "X"],
  ["LINSERT", "big", "AFTER", "e290", "Y"],
  ["LRANGE", "big", "8", "12"],
  ["LRANGE", "big", "289", "293"],
  ["LTRIM", "big", "100", "-100"],
  ["LLEN", "big"],
  ["LPOP", "big", "50"],
  ["LRANGE", "big", "0", "3"],
  ["LPOS", "big", "e199"],
  ["DEBUG", "DIGEST-VALUE", "big"],
  ["OBJECT", "ENCODING", "big"],
]);

diffTest("lists: config directives", [
  ["CONFIG", "GET", "list-max-listpack-size"],
  ["CONFIG", "GET", "list-max-ziplist-size"],
  ["CONFIG", "GET", "list-compress-depth"],
  ["CONFIG", "SET", "list-max-listpack-size", "5"],
  ["RPUSH", "l", "1", "2", "3", "4", "5", "6", "7"],
  ["OBJECT", "ENCODING", "l"],
  ["CONFIG", "SET", "list-max-listpack-size", "-2"],
]);

// ---- The deque itself, over many random operations.

Deno.test("lists: deque matches an array model", () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const d = new Deque();
  const m: string[] = [];
  for (let step = 0; step < 20000; step++) {
    const op = rnd(9);
    const v = `v${rnd(20)}`;
    if (op === 0 || op === 1) {
      d.pushBack(v);
      m.push(v);
    } else if (op === 2) {
      d.pushFront(v);
      m.unshift(v);
    } else if (op === 3) assertEquals(d.popFront(), m.shift());
    else if (op === 4) assertEquals(d.popBack(), m.pop());
    else if (op === 5) {
      const i = rnd(m.length + 1);
      d.insertAt(i, v);
      m.splice(i, 0, v);
    } else if (op === 6 && m.length > 0) {
      const i = rnd(m.length);
      d.setAt(i, v);
      m[i] = v;
    } else if (op === 7 && step % 50 === 0) {
      const s = rnd(m.length + 1), e = rnd(m.length + 1) - 1;
      d.keepRange(s, Math.min(e, m.length - 1));
      const kept = s > e ? [] : m.slice(s, e + 1);
      m.length = 0;
      m.push(...kept);
    } else if (op === 8 && step % 10 === 0) {
      const limit = rnd(3), tail = rnd(2) === 1;
      let removed = 0;
      const idx: number[] = [];
      for (let k = 0; k < m.length; k++) idx.push(tail ? m.length - 1 - k : k);
      const drop = new Set<number>();
      for (const k of idx) {
        if (m[k] === v && (limit === 0 || removed < limit)) {
          drop.add(k);
          removed++;
        }
      }
      assertEquals(d.removeEqual(v, limit, tail), removed);
      const kept = m.filter((_, k) => !drop.has(k));
      m.length = 0;
      m.push(...kept);
    }
    assertEquals(d.length, m.length);
  }
  assertEquals(d.toArray(), m);
  assertEquals([...d], m);
});

// ---- Propagation and keyspace events.

Deno.test("lists: propagated argv and keyspace events", async () => {
  const cap = captureWrites();
  const s = await startRespite({ plugins: [cap.plugin] });
  const c = await RawClient.connect(s.port);
  const step = checkWrites(c, cap);
  try {
    await step(["RPUSH", "l", "a", "b", "c", "d"], 4, [["RPUSH", "l", "a", "b", "c", "d"]], [
      "rpush:l:l",
    ]);
    await step(["LPUSH", "l", "z"], 5, [["LPUSH", "l", "z"]], ["lpush:l:l"]);
    await step(["LPUSHX", "none", "z"], 0, [], []);
    await step(["LPOP", "l"], "z", [["LPOP", "l"]], ["lpop:l:l"]);
    await step(["RPOP", "l", "0"], [], [], []);
    await step(["LSET", "l", "0", "A"], "OK", [["LSET", "l", "0", "A"]], ["lset:l:l"]);
    await step(["LINSERT", "l", "AFTER", "A", "x"], 5, [["LINSERT", "l", "AFTER", "A", "x"]], [
      "linsert:l:l",
    ]);
    await step(["LINSERT", "l", "AFTER", "nope", "x"], -1, [], []);
    await step(["LREM", "l", "0", "x"], 1, [["LREM", "l", "0", "x"]], ["lrem:l:l"]);
    await step(["LREM", "l", "0", "x"], 0, [], []);
    await step(["LTRIM", "l", "0", "-1"], "OK", [], ["ltrim:l:l"]); // an event, not propagated
    await step(["LTRIM", "l", "0", "2"], "OK", [["LTRIM", "l", "0", "2"]], ["ltrim:l:l"]);
    await step(["LMOVE", "l", "m", "LEFT", "RIGHT"], "A", [["LMOVE", "l", "m", "LEFT", "RIGHT"]], [
      "rpush:l:m",
      "lpop:l:l",
    ]);
    await step(["RPOPLPUSH", "l", "m"], "c", [["RPOPLPUSH", "l", "m"]], [
      "lpush:l:m",
      "rpop:l:l",
    ]);
    await step(["LMPOP", "2", "l", "m", "LEFT", "COUNT", "5"], ["l", ["b"]], [["LPOP", "l", "1"]], [
      "lpop:l:l",
      "del:g:l",
    ]);
    await step(["RPUSH", "l", "1", "2", "3"], 3, [["RPUSH", "l", "1", "2", "3"]], ["rpush:l:l"]);
    await step(["BLPOP", "none", "l", "0"], ["l", "1"], [["LPOP", "l"]], ["lpop:l:l"]);
    await step(["BRPOP", "l", "0"], ["l", "3"], [["RPOP", "l"]], ["rpop:l:l"]);
    await step(["BLMOVE", "l", "m", "left", "Right", "0"], "2", [[
      "LMOVE",
      "l",
      "m",
      "left",
      "Right",
    ]], ["rpush:l:m", "lpop:l:l", "del:g:l"]);
    await step(["BRPOPLPUSH", "m", "m", "0"], "2", [["RPOPLPUSH", "m", "m"]], [
      "lpush:l:m",
      "rpop:l:m",
    ]);
    await step(["BLMPOP", "0", "1", "m", "RIGHT", "COUNT", "2"], ["m", ["A", "c"]], [[
      "RPOP",
      "m",
      "2",
    ]], ["rpop:l:m"]);
    await step(["RPOP", "m", "5"], ["2"], [["RPOP", "m", "5"]], ["rpop:l:m", "del:g:m"]);
    await step(["LPOP", "m"], null, [], []);
  } finally {
    c.close();
    await s.close();
  }
});

// ---- A real client.

Deno.test({
  name: "lists: ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const r = new Redis({ port: s.port, lazyConnect: true });
    try {
      await r.connect();
      assertEquals(await r.rpush("q", "a", "b", "c"), 3);
      assertEquals(await r.lpush("q", "z"), 4);
      assertEquals(await r.lrange("q", 0, -1), ["z", "a", "b", "c"]);
      assertEquals(await r.lpop("q"), "z");
      assertEquals(await r.rpop("q", 2), ["c", "b"]);
      assertEquals(await r.llen("q"), 1);
      assertEquals(await r.lindex("q", 0), "a");
      assertEquals(await r.lset("q", 0, "A"), "OK");
      assertEquals(await r.lpos("q", "A"), 0);
      assertEquals(await r.lmove("q", "q2", "LEFT", "RIGHT"), "A");
      assertEquals(await r.exists("q"), 0);
      assertEquals(await r.blpop("q2", 0), ["q2", "A"]);
      assertEquals(await r.blpop("q2", 0.05), null);
      assertEquals(await r.brpoplpush("q2", "q3", 0.05), null);
      await r.rpush("m", "1", "2");
      assertEquals(await r.lmpop(1, "m", "RIGHT", "COUNT", 5), ["m", ["2", "1"]]);
      // A blocked ioredis client is served by a push from another connection.
      const r2 = new Redis({ port: s.port, lazyConnect: true });
      await r2.connect();
      const waiting = r.brpop("w", 0);
      await new Promise((res) => setTimeout(res, 30));
      assertEquals(await r2.lpush("w", "hi"), 1);
      assertEquals(await waiting, ["w", "hi"]);
      r2.disconnect();
      await r.set("str", "x");
      let err = "";
      try {
        await r.lpush("str", "x");
      } catch (e) {
        err = (e as Error).message;
      }
      assertEquals(err, "WRONGTYPE Operation against a key holding the wrong kind of value");
    } finally {
      r.disconnect();
      await s.close();
    }
  },
});

// ---- COMMAND INFO matches Redis for every list command.

diffTest("lists: COMMAND INFO", [
  ...[
    "lpush",
    "rpush",
    "lpushx",
    "rpushx",
    "lpop",
    "rpop",
    "llen",
    "lrange",
    "lindex",
    "lset",
    "lrem",
    "ltrim",
    "linsert",
    "lpos",
    "lmove",
    "rpoplpush",
    "lmpop",
    "blpop",
    "brpop",
    "blmove",
    "brpoplpush",
    "blmpop",
  ].map((n) => ["COMMAND", "INFO", n]),
  ["COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT"],
  ["COMMAND", "GETKEYS", "BLMPOP", "0", "2", "a", "b", "LEFT"],
  ["COMMAND", "GETKEYS", "BLPOP", "a", "b", "0"],
  ["COMMAND", "GETKEYS", "BLMOVE", "a", "b", "LEFT", "LEFT", "0"],
]);

diffTest("lists: blocking commands inside MULTI do not block", [
  ["MULTI"],
  ["BLPOP", "none", "0"],
  ["BRPOP", "none", "1"],
  ["BLMOVE", "none", "d", "LEFT", "LEFT", "0"],
  ["BRPOPLPUSH", "none", "d", "0"],
  ["BLMPOP", "0", "1", "none", "LEFT"],
  ["RPUSH", "q", "a", "b"],
  ["BLPOP", "q", "0"],
  ["BLMOVE", "q", "d", "LEFT", "LEFT", "0"],
  ["BLPOP", "q", "-1"],
  ["EXEC"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["MULTI"],
  ["BLPOP", "none", "0"],
  ["BLMOVE", "none", "d", "LEFT", "LEFT", "0"],
  ["EXEC"],
]);

diffDirty("lists: every write command", [
  ["LPUSH", "l", "a", "b", "c"],
  ["RPUSH", "l", "d", "e"],
  ["LPUSHX", "l", "x", "y"],
  ["RPUSHX", "l", "z"],
  ["LPUSHX", "none", "x"],
  ["RPUSHX", "none", "x"],
  ["LPOP", "l"],
  ["RPOP", "l"],
  ["LPOP", "l", "2"],
  ["RPOP", "l", "0"],
  ["LPOP", "none", "2"],
  ["LSET", "l", "0", "new"],
  ["LSET", "l", "0", "new"],
  ["RPUSH", "r", "a", "b", "a", "c", "a"],
  ["LREM", "r", "0", "a"],
  ["LREM", "r", "1", "zz"],
  ["LTRIM", "r", "0", "-1"],
  ["RPUSH", "r", "d", "e", "f"],
  ["LTRIM", "r", "1", "2"],
  ["LTRIM", "r", "5", "9"],
  ["LTRIM", "none", "0", "1"],
  ["RPUSH", "i", "a", "b"],
  ["LINSERT", "i", "BEFORE", "b", "x"],
  ["LINSERT", "i", "AFTER", "zz", "x"],
  ["LMOVE", "i", "i", "LEFT", "RIGHT"],
  ["LMOVE", "i", "j", "LEFT", "LEFT"],
  ["RPOPLPUSH", "i", "j"],
  ["RPOPLPUSH", "none", "j"],
  ["LMPOP", "2", "none", "j", "LEFT", "COUNT", "2"],
  ["LMPOP", "1", "j", "RIGHT", "COUNT", "10"],
  ["LMPOP", "1", "none", "LEFT"],
  ["RPUSH", "b", "1", "2", "3", "4", "5", "6"],
  ["BLPOP", "none", "b", "0"],
  ["BRPOP", "b", "0"],
  ["BLMOVE", "b", "c", "LEFT", "LEFT", "0"],
  ["BLMOVE", "b", "b", "LEFT", "RIGHT", "0"],
  ["BRPOPLPUSH", "b", "c", "0"],
  ["BLMPOP", "0", "1", "b", "LEFT", "COUNT", "5"],
  ["SET", "s", "x"],
  ["LPUSH", "s", "a"],
  ["LMOVE", "c", "s", "LEFT", "LEFT"],
]);
