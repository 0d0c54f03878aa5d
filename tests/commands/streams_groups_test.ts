/**
 * Stream consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM,
 * XAUTOCLAIM, XINFO GROUPS/CONSUMERS/STREAM FULL. Differential scripts
 * compare time-dependent fields (idle, delivery times) by shape only; a
 * manual-clock test checks those values exactly; a capture plugin checks
 * what is propagated (the forms Redis 7.0 writes to its AOF).
 */
import { ManualClock } from "../../core/clock.ts";
import {
  captureWrites,
  diffDirty,
  diffTest,
  RawClient,
  type Reply,
  startRespite,
  type Step,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

const shape = (...cmd: string[]): Step => ({ cmd, shapeOnly: true });

function fill(key: string, from: number, to: number): Step[] {
  const out: Step[] = [];
  for (let i = from; i <= to; i++) out.push(["XADD", key, `${i}-1`, "f", `v${i}`]);
  return out;
}

diffTest("XGROUP: CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP, errors", [
  ["XGROUP", "CREATE", "s", "g", "$"],
  ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
  ["XINFO", "GROUPS", "s"],
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "5"],
  ["XGROUP", "CREATE", "s", "g3", "0", "ENTRIESREAD", "-1", "MKSTREAM"],
  ["XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "-2"],
  ["XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD", "x"],
  ["XGROUP", "CREATE", "s", "g4", "0", "ENTRIESREAD"],
  ["XGROUP", "CREATE", "s", "g4", "0", "FOO"],
  ["XGROUP", "CREATE", "s", "g4", "x"],
  ["XGROUP", "CREATE", "s", "g4", "+"],
  ["XGROUP", "CREATE", "s", "g4", "-"],
  ["XGROUP", "CREATE", "s", "g4", "0", "MKSTREAM", "MKSTREAM", "ENTRIESREAD", "1"],
  ["XGROUP", "CREATE", "s"],
  ["XGROUP", "CREATE", "nokey", "g", "0"],
  ["XGROUP", "CREATE", "nokey", "g", "x", "MKSTREAM"],
  ["EXISTS", "nokey"],
  ...fill("s", 1, 3),
  ["XGROUP", "CREATE", "s", "gl", "$"],
  ["XGROUP", "SETID", "s", "g", "2-1"],
  ["XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "3"],
  ["XGROUP", "SETID", "s", "g2", "-"],
  ["XGROUP", "SETID", "s", "g2", "+"],
  ["XGROUP", "SETID", "s", "g3", "1"],
  ["XGROUP", "SETID", "s", "g3", "x"],
  ["XGROUP", "SETID", "s", "g3", "1", "ENTRIESREAD"],
  ["XGROUP", "SETID", "s", "g3", "1", "MKSTREAM"],
  ["XGROUP", "SETID", "s", "nog", "1"],
  ["XGROUP", "SETID", "nokey", "g", "1"],
  ["XINFO", "GROUPS", "s"],
  ["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
  ["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
  ["XGROUP", "CREATECONSUMER", "s", "g", "bob"],
  ["XGROUP", "CREATECONSUMER", "s", "nog", "bob"],
  ["XGROUP", "CREATECONSUMER", "nokey", "g", "bob"],
  ["XGROUP", "CREATECONSUMER", "s", "g"],
  shape("XINFO", "CONSUMERS", "s", "g"),
  ["XGROUP", "DELCONSUMER", "s", "g", "bob"],
  ["XGROUP", "DELCONSUMER", "s", "g", "bob"],
  ["XGROUP", "DELCONSUMER", "s", "nog", "bob"],
  ["XGROUP", "DESTROY", "s", "g2"],
  ["XGROUP", "DESTROY", "s", "g2"],
  ["XGROUP", "DESTROY", "nokey", "g2"],
  ["XGROUP", "DESTROY", "s"],
  ["XINFO", "GROUPS", "s"],
  ["XGROUP", "HELP"],
  ["XGROUP", "help", "x"],
  ["XGROUP", "FOO", "s", "g"],
  ["XGROUP"],
  ["SET", "str", "x"],
  ["XGROUP", "CREATE", "str", "g", "0"],
  ["XGROUP", "CREATE", "str", "g", "0", "MKSTREAM"],
  ["XGROUP", "DESTROY", "str", "g"],
  ["XINFO", "CONSUMERS", "s", "nog"],
  ["XINFO", "CONSUMERS", "nokey", "g"],
  ["XINFO", "CONSUMERS", "str", "g"],
]);

diffTest("XREADGROUP: >, history, COUNT, NOACK, several streams, errors", [
  ...fill("s", 1, 5),
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
  ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "1-1"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "2-1"],
  ["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"],
  ["XREADGROUP", "GROUP", "g", "dave", "NOACK", "COUNT", "1", "STREAMS", "s", ">"],
  ["XPENDING", "s", "g"],
  ["XINFO", "GROUPS", "s"],
  ["XDEL", "s", "1-1"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
  ["XINFO", "GROUPS", "s"],
  ["XADD", "t", "1-1", "x", "y"],
  ["XGROUP", "CREATE", "t", "g", "$"],
  ["XADD", "t", "2-1", "x", "z"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "t", ">", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "t", "0", ">"],
  ["XADD", "s", "9-1", "f", "new"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "t", "s", ">", ">"],
  ["XGROUP", "SETID", "s", "g", "0"],
  ["XREADGROUP", "GROUP", "g", "erin", "COUNT", "2", "STREAMS", "s", ">"],
  ["XPENDING", "s", "g"],
  ["XINFO", "GROUPS", "s"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "+"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "x"],
  ["XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "nokey", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "t", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s"],
  ["XREADGROUP", "STREAMS", "s", ">", "x", "y"],
  ["XREADGROUP", "COUNT", "1", "GROUP", "g", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "x", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "-1", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "FOO", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "alice"],
  ["SET", "str", "x"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "str", ">"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "0"],
  ["XREADGROUP", "GROUP", "g", "zed", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "zed", "BLOCK", "10", "STREAMS", "s", ">"],
  ["XINFO", "GROUPS", "s"],
]);

diffTest("group lag and entries-read through XDEL, XTRIM, XSETID, SETID", [
  ...fill("s", 1, 10),
  ["XGROUP", "CREATE", "s", "a", "0"],
  ["XGROUP", "CREATE", "s", "b", "$"],
  ["XGROUP", "CREATE", "s", "c", "3-1"],
  ["XGROUP", "CREATE", "s", "d", "0", "ENTRIESREAD", "4"],
  ["XINFO", "GROUPS", "s"],
  ["XREADGROUP", "GROUP", "a", "x", "COUNT", "3", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "c", "x", "COUNT", "3", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "d", "x", "COUNT", "1", "STREAMS", "s", ">"],
  ["XINFO", "GROUPS", "s"],
  ["XDEL", "s", "5-1"],
  ["XINFO", "GROUPS", "s"],
  ["XREADGROUP", "GROUP", "a", "x", "COUNT", "3", "STREAMS", "s", ">"],
  ["XINFO", "GROUPS", "s"],
  ["XTRIM", "s", "MAXLEN", "4"],
  ["XINFO", "GROUPS", "s"],
  ["XDEL", "s", "1-1", "2-1"],
  ["XINFO", "GROUPS", "s"],
  ["XDEL", "s", "7-1", "8-1", "9-1", "10-1"],
  ["XINFO", "GROUPS", "s"],
  ["XINFO", "STREAM", "s"],
  ["XADD", "s", "11-1", "f", "v"],
  ["XINFO", "GROUPS", "s"],
  ["XSETID", "s", "20-0", "ENTRIESADDED", "30", "MAXDELETEDID", "15-0"],
  ["XINFO", "GROUPS", "s"],
  ["XGROUP", "SETID", "s", "a", "$"],
  ["XGROUP", "SETID", "s", "b", "11-1", "ENTRIESREAD", "29"],
  ["XINFO", "GROUPS", "s"],
  ["XREADGROUP", "GROUP", "c", "x", "STREAMS", "s", ">"],
  ["XINFO", "GROUPS", "s"],
  ["XADD", "e", "1-1", "f", "v"],
  ["XGROUP", "CREATE", "e", "g", "0"],
  ["XDEL", "e", "1-1"],
  ["XINFO", "GROUPS", "e"],
  ["XGROUP", "CREATE", "m", "g", "$", "MKSTREAM"],
  ["XINFO", "GROUPS", "m"],
]);

diffTest("XACK and XPENDING: summary, ranges, IDLE, consumer, errors", [
  ...fill("s", 1, 6),
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["XPENDING", "s", "g"],
  ["XPENDING", "s", "g", "-", "+", "10"],
  ["XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">"],
  ["XPENDING", "s", "g"],
  shape("XPENDING", "s", "g", "-", "+", "10"),
  shape("XPENDING", "s", "g", "-", "+", "2"),
  shape("XPENDING", "s", "g", "(1-1", "(5-1", "10", "alice"),
  shape("XPENDING", "s", "g", "IDLE", "0", "-", "+", "10", "bob"),
  ["XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10"],
  ["XPENDING", "s", "g", "-", "+", "0"],
  ["XPENDING", "s", "g", "-", "+", "-1"],
  ["XPENDING", "s", "g", "-", "+", "10", "nobody"],
  ["XPENDING", "s", "g", "5", "1", "10"],
  ["XPENDING", "s", "g", "-"],
  ["XPENDING", "s", "g", "-", "+"],
  ["XPENDING", "s", "g", "-", "+", "x"],
  ["XPENDING", "s", "g", "x", "+", "1"],
  ["XPENDING", "s", "g", "(-", "+", "1"],
  ["XPENDING", "s", "g", "IDLE", "x", "-", "+", "1"],
  ["XPENDING", "s", "g", "IDLE", "1", "-", "+"],
  ["XPENDING", "s", "g", "IDLE", "1", "-", "+", "1", "c", "extra"],
  ["XPENDING", "s", "g", "-", "+", "1", "c", "extra"],
  ["XPENDING", "s", "nog"],
  ["XPENDING", "nokey", "g"],
  ["XPENDING", "nokey", "g", "x", "+", "1"],
  ["XACK", "s", "g", "1-1", "2-1", "2-1", "9-9"],
  ["XACK", "s", "g", "3-1", "bad"],
  ["XACK", "s", "nog", "bad"],
  ["XACK", "nokey", "g", "1-1"],
  ["XPENDING", "s", "g"],
  ["XACK", "s", "g", "3-1", "4-1", "5-1"],
  ["XPENDING", "s", "g"],
  shape("XINFO", "CONSUMERS", "s", "g"),
  ["SET", "str", "x"],
  ["XACK", "str", "g", "1-1"],
  ["XPENDING", "str", "g"],
  ["XACK", "s", "g"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["XPENDING", "s", "g"],
  ["XPENDING", "s", "g", "IDLE", "100000", "-", "+", "10"],
]);

diffTest("XCLAIM and XAUTOCLAIM: FORCE, JUSTID, RETRYCOUNT, LASTID, deleted entries", [
  ...fill("s", 1, 8),
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "4", "STREAMS", "s", ">"],
  ["XCLAIM", "s", "g", "bob", "0", "1-1", "2-1"],
  ["XCLAIM", "s", "g", "bob", "0", "3-1", "JUSTID"],
  ["XCLAIM", "s", "g", "bob", "100000", "4-1"],
  ["XCLAIM", "s", "g", "bob", "0", "7-1"],
  ["XCLAIM", "s", "g", "bob", "0", "7-1", "FORCE", "JUSTID"],
  ["XCLAIM", "s", "g", "bob", "0", "99-1", "FORCE"],
  ["XCLAIM", "s", "g", "carol", "0", "1-1", "RETRYCOUNT", "7", "IDLE", "5", "JUSTID"],
  ["XCLAIM", "s", "g", "carol", "0", "2-1", "TIME", "1", "JUSTID"],
  ["XCLAIM", "s", "g", "carol", "0", "2-1", "TIME", "99999999999999", "JUSTID"],
  ["XCLAIM", "s", "g", "carol", "-5", "2-1", "IDLE", "-5", "JUSTID"],
  ["XPENDING", "s", "g"],
  ["XINFO", "GROUPS", "s"],
  ["XCLAIM", "s", "g", "carol", "0", "4-1", "LASTID", "6-1", "JUSTID"],
  ["XCLAIM", "s", "g", "carol", "0", "LASTID", "7-0"],
  ["XINFO", "GROUPS", "s"],
  ["XDEL", "s", "2-1"],
  ["XCLAIM", "s", "g", "dave", "0", "2-1", "3-1"],
  ["XPENDING", "s", "g"],
  shape("XINFO", "CONSUMERS", "s", "g"),
  ["XCLAIM", "s", "g", "dave", "x", "1-1"],
  ["XCLAIM", "s", "g", "dave", "0", "1-1", "IDLE", "x"],
  ["XCLAIM", "s", "g", "dave", "0", "1-1", "TIME", "x"],
  ["XCLAIM", "s", "g", "dave", "0", "1-1", "RETRYCOUNT", "x"],
  ["XCLAIM", "s", "g", "dave", "0", "1-1", "LASTID", "x"],
  ["XCLAIM", "s", "g", "dave", "0", "1-1", "FOO"],
  ["XCLAIM", "s", "g", "dave", "0", "1-1", "IDLE"],
  ["XCLAIM", "s", "nog", "dave", "x", "1-1"],
  ["XCLAIM", "nokey", "g", "dave", "0", "1-1"],
  ["XCLAIM", "s", "g", "dave", "0"],
  ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "2"],
  ["XAUTOCLAIM", "s", "g", "erin", "0", "0", "COUNT", "2", "JUSTID"],
  ["XAUTOCLAIM", "s", "g", "erin", "100000", "0"],
  ["XAUTOCLAIM", "s", "g", "erin", "0", "(3-1", "JUSTID"],
  ["XDEL", "s", "1-1", "3-1", "4-1"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "-", "COUNT", "1"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "-", "COUNT", "2"],
  ["XPENDING", "s", "g"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "-"],
  ["XAUTOCLAIM", "s", "g", "fred", "x", "-"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "x"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "(18446744073709551615-18446744073709551615"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "0", "COUNT", "0"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "0", "COUNT", "x"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "0", "COUNT", "576460752303423488"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "0", "COUNT"],
  ["XAUTOCLAIM", "s", "g", "fred", "0", "0", "FOO"],
  ["XAUTOCLAIM", "s", "nog", "fred", "0", "0"],
  ["XAUTOCLAIM", "nokey", "g", "fred", "0", "0"],
  ["SET", "str", "x"],
  ["XCLAIM", "str", "g", "c", "0", "1-1"],
  ["XAUTOCLAIM", "str", "g", "c", "0", "0"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["XAUTOCLAIM", "s", "g", "fred", "0", "0"],
]);

diffTest("XAUTOCLAIM attempts: a PEL of many deleted and idle-filtered entries", [
  ...fill("s", 1, 40),
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">"],
  ["XTRIM", "s", "MAXLEN", "10"],
  ["XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "3", "JUSTID"],
  ["XAUTOCLAIM", "s", "g", "b", "100000", "0", "COUNT", "1"],
  ["XAUTOCLAIM", "s", "g", "b", "100000", "0", "COUNT", "2"],
  ["XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "25", "JUSTID"],
  ["XPENDING", "s", "g"],
]);

diffTest("XINFO STREAM FULL and XINFO GROUPS with groups and consumers", [
  ...fill("s", 1, 15),
  ["XGROUP", "CREATE", "s", "g1", "0"],
  ["XGROUP", "CREATE", "s", "a0", "$"],
  ["XGROUP", "CREATE", "s", "\xffz", "0"],
  ["XREADGROUP", "GROUP", "g1", "zed", "COUNT", "12", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g1", "amy", "STREAMS", "s", ">"],
  ["XINFO", "GROUPS", "s"],
  shape("XINFO", "STREAM", "s", "FULL"),
  shape("XINFO", "STREAM", "s", "FULL", "COUNT", "0"),
  shape("XINFO", "STREAM", "s", "FULL", "COUNT", "3"),
  shape("XINFO", "CONSUMERS", "s", "g1"),
  ["XINFO", "STREAM", "s"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["XINFO", "GROUPS", "s"],
  shape("XINFO", "STREAM", "s", "FULL", "COUNT", "2"),
]);

Deno.test({
  name: "stream groups: idle times, delivery times and counts follow the clock",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const clock = new ManualClock(1_000_000);
    const s = await startRespite({ clock });
    const c = await RawClient.connect(s.port);
    const call = (...a: string[]) => c.call(...a);
    try {
      await call("XADD", "s", "1-1", "f", "a");
      await call("XADD", "s", "2-1", "f", "b");
      await call("XGROUP", "CREATE", "s", "g", "0");
      await call("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">");
      clock.advance(250);
      assertEquals(await call("XPENDING", "s", "g", "-", "+", "10"), [
        ["1-1", "alice", 250, 1],
        ["2-1", "alice", 250, 1],
      ]);
      assertEquals(await call("XPENDING", "s", "g", "IDLE", "251", "-", "+", "10"), []);
      assertEquals(await call("XINFO", "CONSUMERS", "s", "g"), [[
        "name",
        "alice",
        "pending",
        2,
        "idle",
        250,
      ]]);
      // History re-delivery bumps counts and resets the delivery time.
      await call("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "0");
      clock.advance(100);
      assertEquals(await call("XPENDING", "s", "g", "-", "+", "10"), [
        ["1-1", "alice", 100, 2],
        ["2-1", "alice", 350, 1],
      ]);
      assertEquals(await call("XCLAIM", "s", "g", "bob", "300", "1-1", "2-1", "JUSTID"), ["2-1"]);
      clock.advance(10);
      assertEquals(await call("XPENDING", "s", "g", "-", "+", "10"), [
        ["1-1", "alice", 110, 2],
        ["2-1", "bob", 10, 1],
      ]);
      await call("XCLAIM", "s", "g", "bob", "0", "1-1", "IDLE", "40");
      assertEquals(await call("XPENDING", "s", "g", "-", "+", "1"), [["1-1", "bob", 40, 3]]);
      await call("XCLAIM", "s", "g", "bob", "0", "1-1", "TIME", String(clock.now() - 70));
      assertEquals(await call("XPENDING", "s", "g", "-", "+", "1"), [["1-1", "bob", 70, 4]]);
      clock.advance(1000);
      assertEquals(await call("XAUTOCLAIM", "s", "g", "carol", "1050", "0"), [
        "0-0",
        [["1-1", ["f", "a"]]],
        [],
      ]);
      const full = await call("XINFO", "STREAM", "s", "FULL") as Reply[];
      const groups = full[full.length - 1] as Reply[][];
      const now = clock.now();
      assertEquals(groups[0]![11], [["1-1", "carol", now, 5], ["2-1", "bob", now - 1010, 1]]);
      assertEquals(groups[0]![13], [
        ["name", "alice", "seen-time", now - 1110, "pel-count", 0, "pending", []],
        ["name", "bob", "seen-time", now - 1000, "pel-count", 1, "pending", [[
          "2-1",
          now - 1010,
          1,
        ]]],
        ["name", "carol", "seen-time", now, "pel-count", 1, "pending", [["1-1", now, 5]]],
      ]);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "stream groups: propagation as Redis 7.0 writes it (XCLAIM, XGROUP SETID, MULTI)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const clock = new ManualClock(5_000);
    const { plugin: capture, propagated: prop } = captureWrites();
    const s = await startRespite({ plugins: [capture], clock });
    const c = await RawClient.connect(s.port);
    const step = async (argv: string[], props: string[][]) => {
      prop.length = 0;
      await c.call(...argv);
      assertEquals(prop, props, `propagated for ${JSON.stringify(argv)}`);
    };
    const claim = (consumer: string, id: string, count: number, last: string, t = 5000) => [
      "XCLAIM",
      "s",
      "g",
      consumer,
      "0",
      id,
      "TIME",
      String(t),
      "RETRYCOUNT",
      String(count),
      "FORCE",
      "JUSTID",
      "LASTID",
      last,
    ];
    try {
      for (let i = 1; i <= 4; i++) await c.call("XADD", "s", `${i}-1`, "f", "v");
      await step(["XGROUP", "CREATE", "s", "g", "0"], [["XGROUP", "CREATE", "s", "g", "0"]]);
      await step(["XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">"], [
        ["MULTI"],
        claim("c1", "1-1", 1, "1-1"),
        claim("c1", "2-1", 1, "2-1"),
        ["EXEC"],
      ]);
      await step(["XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "s", ">"], [
        claim("c1", "3-1", 1, "3-1"),
      ]);
      await step(["XREADGROUP", "GROUP", "g", "c2", "NOACK", "STREAMS", "s", "0"], [
        ["XGROUP", "CREATECONSUMER", "s", "g", "c2"],
      ]);
      await step(["XREADGROUP", "GROUP", "g", "c2", "NOACK", "STREAMS", "s", ">"], [
        ["XGROUP", "SETID", "s", "g", "4-1", "ENTRIESREAD", "4"],
      ]);
      await step(["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"], []);
      await step(["XREADGROUP", "GROUP", "g", "c3", "STREAMS", "s", ">"], []);
      await step(["XCLAIM", "s", "g", "c9", "0", "3-1", "JUSTID"], [claim("c9", "3-1", 2, "4-1")]);
      await step(["XCLAIM", "s", "g", "c9", "0", "1-1"], [claim("c9", "1-1", 3, "4-1")]);
      await step(["XCLAIM", "s", "g", "c9", "0", "LASTID", "9-0"], [
        ["XGROUP", "SETID", "s", "g", "9-0", "ENTRIESREAD", "4"],
      ]);
      await step(["XCLAIM", "s", "g", "c9", "0", "8-8"], []);
      await c.call("XDEL", "s", "2-1");
      await step(["XCLAIM", "s", "g", "c9", "0", "2-1"], [claim("c1", "2-1", 2, "9-0")]);
      clock.advance(7);
      await step(["XAUTOCLAIM", "s", "g", "c8", "0", "0"], [
        ["MULTI"],
        claim("c8", "1-1", 4, "9-0", 5007),
        claim("c8", "3-1", 3, "9-0", 5007),
        ["EXEC"],
      ]);
      await step(["XAUTOCLAIM", "s", "g", "c8", "1000", "0"], []);
      await step(["XACK", "s", "g", "1-1", "7-7"], [["XACK", "s", "g", "1-1", "7-7"]]);
      await step(["XACK", "s", "g", "7-7"], []);
      await step(["XGROUP", "SETID", "s", "g", "$"], [["XGROUP", "SETID", "s", "g", "$"]]);
      await step(["XGROUP", "CREATECONSUMER", "s", "g", "zz"], [
        ["XGROUP", "CREATECONSUMER", "s", "g", "zz"],
      ]);
      await step(["XGROUP", "CREATECONSUMER", "s", "g", "zz"], []);
      await step(["XGROUP", "DELCONSUMER", "s", "g", "zz"], [
        ["XGROUP", "DELCONSUMER", "s", "g", "zz"],
      ]);
      await step(["XGROUP", "DESTROY", "s", "g"], [["XGROUP", "DESTROY", "s", "g"]]);
      await step(["XGROUP", "DESTROY", "s", "g"], []);
      await step(["XINFO", "STREAM", "s"], []);
      await step(["XPENDING", "s", "nog"], []);
    } finally {
      c.close();
      await s.close();
    }
  },
});

diffDirty("stream groups: XGROUP, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM", [
  ["XADD", "s", "1-1", "f", "v1"],
  ["XADD", "s", "2-1", "f", "v2"],
  ["XADD", "s", "3-1", "f", "v3"],
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["XGROUP", "CREATE", "s", "g", "0"],
  ["XGROUP", "CREATE", "new", "g", "$", "MKSTREAM"],
  ["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
  ["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
  ["XGROUP", "SETID", "s", "g", "0"],
  ["XGROUP", "SETID", "s", "g", "1-1", "ENTRIESREAD", "1"],
  ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
  ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0"],
  ["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"],
  ["XADD", "s", "4-1", "f", "v4"],
  ["XREADGROUP", "GROUP", "g", "dave", "NOACK", "STREAMS", "s", ">"],
  ["XACK", "s", "g", "2-1", "3-1", "9-9"],
  ["XACK", "s", "g", "9-9"],
  ["XACK", "none", "g", "1-1"],
  ["XCLAIM", "s", "g", "carol", "0", "2-1", "JUSTID"],
  ["XCLAIM", "s", "g", "carol", "0", "9-9"],
  ["XCLAIM", "s", "g", "carol", "0", "9-9", "LASTID", "5-0"],
  ["XGROUP", "SETID", "s", "g", "1-1"],
  ["XREADGROUP", "GROUP", "g", "erin", "STREAMS", "s", ">"],
  ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "COUNT", "2", "JUSTID"],
  ["XDEL", "s", "3-1"],
  ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "JUSTID"],
  ["XAUTOCLAIM", "s", "g", "frank", "0", "0", "JUSTID"],
  ["XAUTOCLAIM", "s", "g", "gina", "100000000", "0", "JUSTID"],
  ["XCLAIM", "s", "g", "hank", "0", "2-1", "4-1", "JUSTID"],
  ["XCLAIM", "s", "g", "hank", "100000000", "2-1"],
  ["XGROUP", "DELCONSUMER", "s", "g", "frank"],
  ["XGROUP", "DELCONSUMER", "s", "g", "frank"],
  ["XGROUP", "DESTROY", "s", "g"],
  ["XGROUP", "DESTROY", "s", "g"],
]);
