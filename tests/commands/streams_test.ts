/**
 * Streams: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID, XREAD
 * (non-blocking) and XINFO STREAM, differentially against redis-server
 * (explicit ids so replies do not depend on time), `*` ids with a manual
 * clock, propagation, and a real client.
 */
import { Redis } from "ioredis";
import { ManualClock } from "../../core/clock.ts";
import {
  captureWrites,
  diffDirty,
  diffTest,
  encodeCommand,
  RawClient,
  type Reply,
  startRespite,
  type Step,
} from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

/** XADD key <i>-1 f v for i in [from, to]. */
function fill(key: string, from: number, to: number, value = "v"): Step[] {
  const out: Step[] = [];
  for (let i = from; i <= to; i++) out.push(["XADD", key, `${i}-1`, "f", value]);
  return out;
}

diffTest("XADD: explicit ids, ms-*, field forms, errors", [
  ["XADD", "s", "1-1", "a", "1"],
  ["XADD", "s", "1-2", "a", "2", "b", "3"],
  ["XADD", "s", "1-*", "c", "4"],
  ["XADD", "s", "2-*", "c", "5"],
  ["XADD", "s", "2", "c", "6"],
  ["XADD", "s", "3", "c", "6"],
  ["XADD", "s", "1-1", "a", "1"],
  ["XADD", "s", "3-0", "a", "1"],
  ["XADD", "s", "0-0", "a", "1"],
  ["XADD", "s", "0", "a", "1"],
  ["XADD", "s", "0-*", "a", "1"],
  ["XADD", "fresh", "0-*", "a", "1"],
  ["XADD", "fresh2", "0-0", "a", "1"],
  ["EXISTS", "fresh2"],
  ["XADD", "s", "abc", "a", "1"],
  ["XADD", "s", "1-x", "a", "1"],
  ["XADD", "s", "-1", "a", "1"],
  ["XADD", "s", "+", "a", "1"],
  ["XADD", "s", "-", "a", "1"],
  ["XADD", "s", "5-*-1", "a", "1"],
  ["XADD", "s", "*-1", "a", "1"],
  ["XADD", "s", "5-", "a", "1"],
  ["XADD", "s", "007-0", "a", "1"],
  ["XADD", "s", "+8-0", "a", "1"],
  ["XADD", "s", " 9-0", "a", "1"],
  ["XADD", "s", "10--1", "a", "1"],
  ["XADD", "s", "18446744073709551616-0", "a", "1"],
  ["XADD", "s", "10-18446744073709551615", "a", "1"],
  ["XADD", "s", "10-*", "a", "1"],
  ["XADD", "s", "11"],
  ["XADD", "s", "11", "a"],
  ["XADD", "s", "11", "a", "b", "c"],
  ["XADD", "s"],
  ["XADD", "s", "NOMKSTREAM"],
  ["XADD", "nokey", "NOMKSTREAM", "1-1", "a", "b"],
  ["EXISTS", "nokey"],
  ["XADD", "s", "nomkstream", "12-1", "a", "b"],
  ["XADD", "big", "18446744073709551615-18446744073709551614", "a", "b"],
  ["XADD", "big", "18446744073709551615-*", "a", "b"],
  ["XADD", "big", "18446744073709551615-*", "a", "b"],
  ["XADD", "big", "*", "a", "b"],
  ["XRANGE", "big", "-", "+"],
  ["XADD", "bin", "1-1", "f\x00\xff", "v\r\n\x00"],
  ["XRANGE", "bin", "-", "+"],
  ["XRANGE", "s", "-", "+"],
  ["XLEN", "s"],
  ["TYPE", "s"],
  ["OBJECT", "ENCODING", "s"],
  ["DEBUG", "DIGEST-VALUE", "s", "bin", "big", "nokey"],
  ["SET", "str", "x"],
  ["XADD", "str", "1-1", "a", "b"],
  ["XADD", "str", "NOMKSTREAM", "1-1", "a", "b"],
  ["XLEN", "str"],
  ["XADD", "s", "MAXLEN"],
  ["XADD", "s", "MAXLEN", "5"],
  ["XADD", "s", "MAXLEN", "x", "*", "a", "b"],
  ["XADD", "s", "MAXLEN", "-1", "*", "a", "b"],
  ["XADD", "s", "MAXLEN", "~", "-1", "*", "a", "b"],
  ["XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "a", "b"],
  ["XADD", "s", "MINID", "1", "MAXLEN", "1", "*", "a", "b"],
  ["XADD", "s", "MINID", "+", "*", "a", "b"],
  ["XADD", "s", "MINID", "x", "*", "a", "b"],
  ["XADD", "s", "LIMIT", "5", "*", "a", "b"],
  ["XADD", "s", "LIMIT", "-1", "*", "a", "b"],
  ["XADD", "s", "LIMIT", "x", "*", "a", "b"],
  ["XADD", "s", "MAXLEN", "5", "LIMIT", "5", "*", "a", "b"],
  ["XADD", "s", "MAXLEN", "=", "5", "LIMIT", "5", "*", "a", "b"],
  ["XADD", "s", "LIMIT"],
]);

diffTest("XADD trimming: MAXLEN and MINID, exact and approximate, LIMIT", [
  ...fill("t", 1, 250),
  ["XADD", "t", "MAXLEN", "~", "10", "251-1", "f", "v"],
  ["XLEN", "t"],
  ["XADD", "t", "MAXLEN", "~", "10", "LIMIT", "50", "252-1", "f", "v"],
  ["XLEN", "t"],
  ["XTRIM", "t", "MAXLEN", "~", "30"],
  ["XTRIM", "t", "MINID", "~", "240"],
  ["XTRIM", "t", "MINID", "245"],
  ["XRANGE", "t", "-", "+", "COUNT", "2"],
  ["XTRIM", "t", "MAXLEN", "=", "2"],
  ["XRANGE", "t", "-", "+"],
  ["XINFO", "STREAM", "t"],
  ["XADD", "t", "NOMKSTREAM", "MINID", "~", "0", "300-1", "a", "b"],
  ["XADD", "t", "MAXLEN", "0", "301-1", "a", "b"],
  ["XLEN", "t"],
  ["XINFO", "STREAM", "t"],
  ...fill("u", 1, 300),
  ["XTRIM", "u", "MAXLEN", "~", "0", "LIMIT", "150"],
  ["XTRIM", "u", "MAXLEN", "~", "0", "LIMIT", "0"],
  ["XLEN", "u"],
  ...fill("u", 301, 450),
  ["XTRIM", "u", "MINID", "~", "420-0", "LIMIT", "100"],
  ["XTRIM", "u", "MINID", "420"],
  ["XTRIM", "u", "MINID", "420"],
  ["XTRIM", "u", "MAXLEN", "0"],
  ["XINFO", "STREAM", "u"],
  ["XTRIM", "nokey", "MAXLEN", "0"],
  ["XTRIM", "u"],
  ["XTRIM", "u", "FOO", "1"],
  ["XTRIM", "u", "MAXLEN"],
  ["XTRIM", "u", "MAXLEN", "1", "NOMKSTREAM"],
  ["XTRIM", "u", "LIMIT", "1"],
  ["XTRIM", "u", "MAXLEN", "1", "LIMIT", "1"],
  ["XTRIM", "u", "MAXLEN", "1", "MINID", "1"],
  ["XTRIM", "u", "MAXLEN", "-1"],
  ["XTRIM", "u", "MINID", "-"],
]);

diffTest("node layout: entry and byte limits, tombstones, radix-tree counts", [
  ...fill("n", 1, 100),
  ["XDEL", "n", "1-1", "2-1", "3-1"],
  ["XADD", "n", "101-1", "f", "v"],
  ["XINFO", "STREAM", "n"],
  ["XTRIM", "n", "MAXLEN", "~", "0"],
  ["XINFO", "STREAM", "n"],
  ...fill("n", 200, 700),
  ["XINFO", "STREAM", "n"],
  ...fill("b", 1, 100, "x".repeat(60)),
  ["XINFO", "STREAM", "b"],
  ["XTRIM", "b", "MAXLEN", "~", "43"],
  ["XTRIM", "b", "MAXLEN", "~", "42"],
  ...fill("w", 1, 30, "y".repeat(400)),
  ["XINFO", "STREAM", "w"],
  ["XTRIM", "w", "MAXLEN", "~", "20"],
  ...fill("i", 1, 120, "12345"),
  ["XADD", "i", "121-1", "f", "-77", "g", "x"],
  ["XADD", "i", "5000000000-7", "f", "9223372036854775807"],
  ["XINFO", "STREAM", "i"],
  ["XTRIM", "i", "MAXLEN", "~", "1"],
  ["XLEN", "i"],
  ["CONFIG", "SET", "stream-node-max-entries", "7"],
  ...fill("c", 1, 30),
  ["XINFO", "STREAM", "c"],
  ["XTRIM", "c", "MAXLEN", "~", "10"],
  ["XADD", "c", "MAXLEN", "~", "1", "31-1", "f", "v"],
  ["CONFIG", "SET", "stream-node-max-entries", "0"],
  ["CONFIG", "SET", "stream-node-max-bytes", "100"],
  ...fill("d", 1, 12),
  ["XINFO", "STREAM", "d"],
  ["XTRIM", "d", "MAXLEN", "~", "5"],
  ["CONFIG", "SET", "stream-node-max-entries", "100"],
  ["CONFIG", "SET", "stream-node-max-bytes", "4096"],
  ["XADD", "e", "5-5", "f", "v"],
  ["XADD", "e", "6-0", "f", "v"],
  ["XADD", "e", "18446744073709551615-0", "f", "v"],
  ["XINFO", "STREAM", "e"],
  ["DEBUG", "DIGEST-VALUE", "n", "b", "w", "i", "c", "d", "e"],
]);

diffTest("XRANGE and XREVRANGE: bounds, exclusive, ms-only, COUNT, errors", [
  ["XADD", "s", "1-1", "a", "1"],
  ["XADD", "s", "1-2", "b", "2"],
  ["XADD", "s", "2-0", "c", "3"],
  ["XADD", "s", "3-5", "d", "4"],
  // Either side of 2^53, where an ID's reply is written without a string.
  ["XADD", "s", "9007199254740991-9007199254740991", "f", "6"],
  ["XADD", "s", "9007199254740992-0", "g", "7"],
  ["XADD", "s", "18446744073709551615-0", "e", "5"],
  ["XRANGE", "s", "-", "+"],
  ["EVAL", "return redis.call('XRANGE', KEYS[1], '-', '+')", "1", "s"],
  ["XREVRANGE", "s", "+", "-"],
  ["XRANGE", "s", "1", "1"],
  ["XRANGE", "s", "1-2", "2"],
  ["XRANGE", "s", "(1-1", "(3-5"],
  ["XRANGE", "s", "(1", "+"],
  ["XREVRANGE", "s", "(3-5", "(1-1"],
  ["XREVRANGE", "s", "3", "2"],
  ["XRANGE", "s", "-", "+", "COUNT", "2"],
  ["XREVRANGE", "s", "+", "-", "COUNT", "2"],
  ["XRANGE", "s", "-", "+", "COUNT", "0"],
  ["XRANGE", "s", "-", "+", "COUNT", "-5"],
  ["XRANGE", "s", "-", "+", "count", "1", "COUNT", "3"],
  ["XRANGE", "s", "-", "+", "COUNT"],
  ["XRANGE", "s", "-", "+", "COUNT", "x"],
  ["XRANGE", "s", "-", "+", "FOO", "1"],
  ["XRANGE", "s", "5", "1"],
  ["XRANGE", "s", "(-", "+"],
  ["XRANGE", "s", "-", "(+"],
  ["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"],
  ["XRANGE", "s", "-", "(0-0"],
  ["XRANGE", "s", "(", "+"],
  ["XRANGE", "s", "x", "+"],
  ["XRANGE", "s", "-", "x"],
  ["XRANGE", "s", "-", "18446744073709551615"],
  ["XREVRANGE", "s", "18446744073709551615", "18446744073709551615"],
  ["XRANGE", "nokey", "-", "+"],
  ["XRANGE", "nokey", "-", "+", "COUNT", "0"],
  ["XRANGE", "nokey", "x", "+"],
  ["XDEL", "s", "1-2", "2-0"],
  ["XRANGE", "s", "-", "+"],
  ["XREVRANGE", "s", "+", "-", "COUNT", "1"],
  ["XRANGE", "s", "1-2", "2-0"],
  ["SET", "str", "x"],
  ["XRANGE", "str", "-", "+"],
  ["XREVRANGE", "str", "+", "-"],
  ["XRANGE", "s"],
  ["XREVRANGE", "s", "+"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["XRANGE", "s", "-", "+"],
  ["XRANGE", "s", "-", "+", "COUNT", "0"],
  ["XRANGE", "nokey", "-", "+"],
]);

diffTest("XLEN, XDEL, XSETID and first/last bookkeeping", [
  ["XLEN", "s"],
  ["XDEL", "s", "1-1"],
  ["XDEL", "s", "bad"],
  ...fill("s", 1, 5),
  ["XDEL", "s", "1-1", "1-1", "3-1", "9-9"],
  ["XDEL", "s", "2-1", "bad"],
  ["XDEL", "s", "-"],
  ["XLEN", "s"],
  ["XINFO", "STREAM", "s"],
  ["XDEL", "s", "2-1", "4-1", "5-1"],
  ["XLEN", "s"],
  ["EXISTS", "s"],
  ["XINFO", "STREAM", "s"],
  ["XSETID", "s", "1-1"],
  ["XINFO", "STREAM", "s"],
  ["XADD", "s", "2-1", "f", "v"],
  ["XSETID", "s", "1-9"],
  ["XSETID", "s", "2-1"],
  ["XSETID", "s", "3", "ENTRIESADDED", "0"],
  ["XSETID", "s", "3", "ENTRIESADDED", "-1"],
  ["XSETID", "s", "3", "ENTRIESADDED", "x"],
  ["XSETID", "s", "3", "ENTRIESADDED", "9", "MAXDELETEDID", "4"],
  ["XSETID", "s", "5", "ENTRIESADDED", "9", "MAXDELETEDID", "4-5"],
  ["XSETID", "s", "5", "MAXDELETEDID", "+"],
  ["XSETID", "s", "5", "MAXDELETEDID"],
  ["XSETID", "s", "5", "FOO", "1"],
  ["XSETID", "s", "+"],
  ["XSETID", "s", "bad"],
  ["XINFO", "STREAM", "s"],
  ["XADD", "s", "5-5", "f", "v"],
  ["XADD", "s", "5-6", "f", "v"],
  ["XSETID", "nokey", "1-1"],
  ["SET", "str", "x"],
  ["XSETID", "str", "1-1"],
  ["XDEL", "str", "1-1"],
  ["XLEN", "str"],
  ["XSETID", "s"],
  ["XDEL", "s"],
  ["XLEN"],
  ["XSETID", "s", "18446744073709551615-18446744073709551615"],
  ["XADD", "s", "*", "a", "b"],
  ["XADD", "s", "5-*", "a", "b"],
]);

diffTest("XREAD without BLOCK: several streams, COUNT, $, errors", [
  ["XADD", "a", "1-1", "f", "1"],
  ["XADD", "a", "2-1", "f", "2"],
  ["XADD", "b", "5-1", "g", "1"],
  ["XREAD", "STREAMS", "a", "0"],
  ["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"],
  ["XREAD", "STREAMS", "a", "b", "1-1", "9"],
  ["XREAD", "STREAMS", "a", "b", "$", "$"],
  ["XREAD", "STREAMS", "nokey", "a", "0", "2"],
  ["XREAD", "STREAMS", "nokey", "0"],
  ["XREAD", "COUNT", "0", "STREAMS", "a", "0"],
  ["XREAD", "COUNT", "-3", "STREAMS", "a", "0"],
  ["XREAD", "count", "1", "count", "2", "STREAMS", "a", "0-0"],
  ["XREAD", "STREAMS", "a", "(1"],
  ["XREAD", "STREAMS", "a", "+"],
  ["XREAD", "STREAMS", "a", "-"],
  ["XREAD", "STREAMS", "a", ">"],
  ["XREAD", "STREAMS", "a", "b", "0"],
  ["XREAD", "STREAMS", "a"],
  ["XREAD", "COUNT", "x", "STREAMS", "a", "0"],
  ["XREAD", "BLOCK", "x", "STREAMS", "a", "0"],
  ["XREAD", "BLOCK", "-1", "STREAMS", "a", "0"],
  ["XREAD", "BLOCK", "0", "STREAMS", "a", "0"],
  ["XREAD", "FOO", "STREAMS", "a", "0"],
  ["XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"],
  ["XREAD", "NOACK", "STREAMS", "a", "0"],
  ["XREAD", "COUNT", "1", "a", "0"],
  ["XREAD", "STREAMS", "streams", "streams"],
  ["SET", "str", "x"],
  ["XREAD", "STREAMS", "a", "str", "0", "0"],
  ["XDEL", "a", "2-1"],
  ["XREAD", "STREAMS", "a", "1-1"],
  ["XREAD", "STREAMS", "a"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["XREAD", "STREAMS", "a", "b", "0", "0"],
  ["XREAD", "STREAMS", "a", "9"],
]);

diffTest("XINFO STREAM and FULL without groups; XINFO HELP and errors", [
  ["XINFO", "STREAM", "s"],
  ["XADD", "s", "1-1", "a", "1"],
  ["XADD", "s", "1-2", "b", "2", "c", "3"],
  ["XINFO", "STREAM", "s"],
  ["XINFO", "STREAM", "s", "FULL"],
  ["XINFO", "STREAM", "s", "FULL", "COUNT", "1"],
  ["XINFO", "STREAM", "s", "FULL", "COUNT", "0"],
  ["XINFO", "STREAM", "s", "FULL", "COUNT", "-1"],
  ["XINFO", "STREAM", "s", "FULL", "COUNT", "x"],
  ["XINFO", "STREAM", "s", "FULL", "COUNT"],
  ["XINFO", "STREAM", "s", "FOO"],
  ["XINFO", "stream", "s", "full", "foo", "1"],
  ["XINFO", "STREAM", "nokey", "FOO"],
  ["XINFO", "GROUPS", "s"],
  ["XINFO", "GROUPS", "nokey"],
  ["XINFO", "CONSUMERS", "s", "g"],
  ["XINFO", "HELP"],
  ["XINFO", "help", "extra"],
  ["XINFO", "FOO", "s"],
  ["XINFO"],
  ["XINFO", "STREAM"],
  ["SET", "str", "x"],
  ["XINFO", "STREAM", "str"],
  ["XINFO", "GROUPS", "str"],
  ["XADD", "e", "1-1", "a", "1"],
  ["XDEL", "e", "1-1"],
  ["XINFO", "STREAM", "e"],
  ["XINFO", "STREAM", "e", "FULL"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["XINFO", "STREAM", "s"],
  ["XINFO", "STREAM", "s", "FULL"],
  ["XINFO", "STREAM", "e"],
]);

diffTest("COPY, RENAME, DEL, keyspace commands on streams", [
  ["XADD", "s", "1-1", "a", "1"],
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["COPY", "s", "t"],
  ["XRANGE", "t", "-", "+"],
  ["XINFO", "GROUPS", "t"],
  ["XADD", "t", "2-1", "b", "2"],
  ["XLEN", "s"],
  ["XLEN", "t"],
  ["DEBUG", "DIGEST-VALUE", "s", "t"],
  ["RENAME", "t", "u"],
  ["XLEN", "u"],
  ["TYPE", "u"],
  ["DEL", "u"],
  ["EXISTS", "u"],
  ["OBJECT", "ENCODING", "s"],
]);

diffTest("COMMAND INFO of the stream commands", [
  [
    "COMMAND",
    "INFO",
    "xadd",
    "xrange",
    "xrevrange",
    "xlen",
    "xdel",
    "xtrim",
    "xread",
    "xreadgroup",
    "xsetid",
    "xack",
    "xpending",
    "xclaim",
    "xautoclaim",
  ],
  ...[
    "xgroup|create",
    "xgroup|setid",
    "xgroup|destroy",
    "xgroup|createconsumer",
    "xgroup|delconsumer",
    "xgroup|help",
    "xinfo|stream",
    "xinfo|groups",
    "xinfo|consumers",
    "xinfo|help",
  ].map((n) => ["COMMAND", "INFO", n]),
  ["COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"],
  ["COMMAND", "GETKEYS", "XREADGROUP", "GROUP", "g", "c", "STREAMS", "a", "b", ">", ">"],
  ["COMMAND", "GETKEYS", "XGROUP", "CREATE", "k", "g", "$"],
]);

Deno.test({
  name: "streams: `*` ids follow the clock and never go backwards",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const clock = new ManualClock(1_700_000_000_000);
    const s = await startRespite({ clock });
    const c = await RawClient.connect(s.port);
    try {
      assertEquals(await c.call("XADD", "s", "*", "f", "v"), "1700000000000-0");
      assertEquals(await c.call("XADD", "s", "*", "f", "v"), "1700000000000-1");
      clock.advance(5);
      assertEquals(await c.call("XADD", "s", "*", "f", "v"), "1700000000005-0");
      clock.set(1_600_000_000_000); // backwards: keeps the last ms
      assertEquals(await c.call("XADD", "s", "*", "f", "v"), "1700000000005-1");
      assertEquals(await c.call("XADD", "s", "1700000000005-*", "f", "v"), "1700000000005-2");
      assertEquals(await c.call("XADD", "s", "1800000000000-*", "f", "v"), "1800000000000-0");
      assertEquals(await c.call("XADD", "s", "*", "f", "v"), "1800000000000-1");
      assertEquals(await c.call("XLEN", "s"), 7);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "streams: a pipelined batch's `*` ids share the time its batch was read",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // A clock that moves on every read: one read per batch shows as one ms.
    let t = 1_700_000_000_000;
    const s = await startRespite({ clock: { now: () => t++ } });
    const c = await RawClient.connect(s.port);
    try {
      const xadd = encodeCommand(["XADD", "s", "*", "f", "v"]);
      const batch = new Uint8Array(xadd.length * 3);
      for (let i = 0; i < 3; i++) batch.set(xadd, i * xadd.length);
      await c.write(batch);
      const ids = [(await c.read()).value, (await c.read()).value, (await c.read()).value];
      const ms = String(ids[0]).split("-")[0];
      assertEquals(ids, [`${ms}-0`, `${ms}-1`, `${ms}-2`]);
      // Between batches the snapshot is off, and the next batch reads anew.
      assertEquals(s.server.keyspace.batchTime, 0);
      const next = String(await c.call("XADD", "s", "*", "f", "v"));
      assertOk(Number(next.split("-")[0]) > Number(ms), next);
      assertEquals(next.split("-")[1], "0");
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "streams: propagation of XADD ids and trims, XDEL, XTRIM, XSETID; keyspace events",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const clock = new ManualClock(1_700_000_000_000);
    const { plugin: capture, propagated: prop, events } = captureWrites();
    const s = await startRespite({ plugins: [capture], clock });
    const c = await RawClient.connect(s.port);
    const step = async (argv: string[], props: string[][], evs?: string[]) => {
      prop.length = 0;
      events.length = 0;
      await c.call(...argv);
      assertEquals(prop, props, `propagated for ${JSON.stringify(argv)}`);
      if (evs) assertEquals(events, evs, `events for ${JSON.stringify(argv)}`);
    };
    try {
      await step(["XADD", "s", "*", "f", "v"], [["XADD", "s", "1700000000000-0", "f", "v"]], [
        "xadd:t:s",
      ]);
      await step(["XADD", "s", "5-*", "f", "v"], []);
      await step(["XADD", "s", "1700000000001-*", "f", "v"], [[
        "XADD",
        "s",
        "1700000000001-0",
        "f",
        "v",
      ]]);
      await step(["XADD", "s", "1700000000002-3", "f", "v"], [[
        "XADD",
        "s",
        "1700000000002-3",
        "f",
        "v",
      ]]);
      for (let i = 0; i < 250; i++) await c.call("XADD", "t", `${i + 1}-1`, "f", "v");
      await step(
        ["XADD", "t", "MAXLEN", "~", "10", "251-1", "f", "v"],
        [["XADD", "t", "MAXLEN", "=", "51", "251-1", "f", "v"]],
        ["xadd:t:t", "xtrim:t:t"],
      );
      await step(
        ["XADD", "t", "MAXLEN", "~", "10", "LIMIT", "50", "*", "f", "v"],
        [["XADD", "t", "MAXLEN", "=", "52", "LIMIT", "50", "1700000000000-0", "f", "v"]],
        ["xadd:t:t"],
      );
      await step(["XTRIM", "t", "MAXLEN", "~", "30"], [], []);
      await step(["XTRIM", "t", "MINID", "245"], [["XTRIM", "t", "MINID", "245"]], [
        "xtrim:t:t",
      ]);
      await step(["XTRIM", "t", "MAXLEN", "=", "2"], [["XTRIM", "t", "MAXLEN", "=", "2"]]);
      await step(
        ["XADD", "t", "NOMKSTREAM", "MINID", "~", "0", "*", "a", "b"],
        [["XADD", "t", "NOMKSTREAM", "MINID", "=", "201-1", "1700000000000-1", "a", "b"]],
      );
      for (let i = 0; i < 300; i++) await c.call("XADD", "u", `${i + 1}-1`, "f", "v");
      await step(
        ["XTRIM", "u", "MINID", "~", "250"],
        [["XTRIM", "u", "MINID", "=", "201-1"]],
        ["xtrim:t:u"],
      );
      await step(["XDEL", "u", "201-1", "9-9"], [["XDEL", "u", "201-1", "9-9"]], ["xdel:t:u"]);
      await step(["XDEL", "u", "9-9"], [], []);
      await step(["XSETID", "u", "400-0"], [["XSETID", "u", "400-0"]], ["xsetid:t:u"]);
      await step(["XADD", "nokey", "NOMKSTREAM", "*", "a", "b"], [], []);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "streams: ioredis xadd/xrange/xread/xreadgroup/xack",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const r = new Redis({ port: s.port, lazyConnect: true });
    try {
      await r.connect();
      assertEquals(await r.xadd("s", "1-1", "a", "1"), "1-1");
      assertEquals(await r.xadd("s", "1-2", "b", "2", "c", "3"), "1-2");
      assertEquals(await r.xlen("s"), 2);
      assertEquals(await r.xrange("s", "-", "+"), [["1-1", ["a", "1"]], ["1-2", [
        "b",
        "2",
        "c",
        "3",
      ]]]);
      assertEquals(await r.xread("COUNT", 1, "STREAMS", "s", "0"), [["s", [["1-1", ["a", "1"]]]]]);
      assertEquals(await r.xgroup("CREATE", "s", "g", "0"), "OK");
      assertEquals(await r.xreadgroup("GROUP", "g", "alice", "STREAMS", "s", ">"), [
        ["s", [["1-1", ["a", "1"]], ["1-2", ["b", "2", "c", "3"]]]],
      ]);
      assertEquals(await r.xack("s", "g", "1-1", "1-9"), 1);
      const summary = await r.xpending("s", "g");
      assertEquals(summary, [1, "1-2", "1-2", [["alice", "1"]]]);
      const auto = await r.xautoclaim("s", "g", "bob", 0, "0", "JUSTID");
      assertEquals(auto, ["0-0", ["1-2"], []]);
      assertEquals(await r.xdel("s", "1-1"), 1);
      assertEquals(await r.xtrim("s", "MAXLEN", 0), 1);
      // A blocking read served by another connection's XADD.
      const r2 = new Redis({ port: s.port });
      try {
        const pending = r.xread("BLOCK", 5000, "STREAMS", "s", "$");
        await new Promise((res) => setTimeout(res, 50));
        await r2.xadd("s", "9-9", "x", "y");
        assertEquals(await pending, [["s", [["9-9", ["x", "y"]]]]]);
      } finally {
        r2.disconnect();
      }
    } finally {
      r.disconnect();
      await s.close();
    }
  },
});

diffDirty("streams: XADD, XDEL, XTRIM, XSETID", [
  ["XADD", "s", "1-1", "f", "v"],
  ["XADD", "s", "2-1", "f", "v", "g", "w"],
  ["XADD", "s", "3-*", "f", "v"],
  ["XADD", "s", "1-1", "f", "v"],
  ["XADD", "s", "MAXLEN", "2", "4-1", "f", "v"],
  ["XADD", "s", "MAXLEN", "~", "1", "5-1", "f", "v"],
  ["XADD", "none", "NOMKSTREAM", "1-1", "f", "v"],
  ["XADD", "s", "MINID", "5", "6-1", "f", "v"],
  ["XDEL", "s", "5-1", "9-9"],
  ["XADD", "s", "7-1", "f", "v"],
  ["XADD", "s", "8-1", "f", "v"],
  ["XDEL", "s", "7-1", "8-1"],
  ["XDEL", "s", "9-9"],
  ["XDEL", "none", "1-1"],
  ["XADD", "t", "1-1", "a", "1"],
  ["XADD", "t", "2-1", "a", "2"],
  ["XADD", "t", "3-1", "a", "3"],
  ["XADD", "t", "4-1", "a", "4"],
  ["XTRIM", "t", "MAXLEN", "1"],
  ["XTRIM", "t", "MAXLEN", "5"],
  ["XTRIM", "t", "MINID", "~", "9"],
  ["XTRIM", "none", "MAXLEN", "0"],
  ["XSETID", "t", "10-1"],
  ["XSETID", "t", "10-1"],
  ["XSETID", "t", "11-1", "ENTRIESADDED", "10", "MAXDELETEDID", "2-0"],
  ["XSETID", "none", "1-1"],
  ["XADD", "e", "1-1", "f", "v"],
  ["XDEL", "e", "1-1"],
  ["EXISTS", "e"],
]);

Deno.test("streams: two servers in one process keep their own node limits", async () => {
  const a = await startRespite({ config: { "stream-node-max-entries": "1" } });
  const b = await startRespite();
  const ca = await RawClient.connect(a.port), cb = await RawClient.connect(b.port);
  const listpacks = async (c: RawClient) => {
    const info = await c.call("XINFO", "STREAM", "s") as Reply[];
    return info[info.indexOf("radix-tree-keys") + 1];
  };
  try {
    for (const c of [ca, cb]) {
      for (let i = 1; i <= 3; i++) await c.call("XADD", "s", `${i}-1`, "f", "v");
    }
    assertEquals(await listpacks(ca), 3);
    assertEquals(await listpacks(cb), 1);
  } finally {
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  }
});
