/**
 * STRINGS family: differential scripts against redis-server, WRONGTYPE
 * paths, propagation and keyspace events, and ioredis / node-redis clients.
 */
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { ManualClock } from "../../mod.ts";
import {
  captureWrites,
  checkWrites,
  diffDirty,
  diffTest,
  hasRedis,
  RawClient,
  type Reply,
  sharedServers,
  startRespite,
  type Step,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

/**
 * Prefixes every argument starting with `$` by a per-script namespace, so
 * scripts never see each other's keys on the shared server.
 */
function ns(prefix: string, steps: Step[]): Step[] {
  const fix = (argv: string[]) =>
    argv.map((a) => a.startsWith("$") ? `${prefix}:${a.slice(1)}` : a);
  return steps.map((s) => Array.isArray(s) ? fix(s) : { ...s, cmd: fix(s.cmd) });
}

const BIN = "a\x00b\x80\x81\x9f\xff\r\nz";

diffTest(
  "GET / SET basics and binary values",
  ns("s1", [
    ["GET", "$nokey"],
    ["SET", "$a", "hello"],
    ["GET", "$a"],
    ["SET", "$a", ""],
    ["GET", "$a"],
    ["SET", "$bin", BIN],
    ["GET", "$bin"],
    ["STRLEN", "$bin"],
    ["SET", "$\x00\xff", "\x80\x9f"],
    ["GET", "$\x00\xff"],
    ["SET", "$a"],
    ["GET"],
    ["GET", "$a", "b"],
    ["SET", "$a", "v", "bogus"],
    ["set", "$a", "v", "nx", "xx"],
    ["SET", "$a", "v", "XX", "NX"],
    ["SET", "$a", "v", "NX", "NX"],
    ["SET", "$a", "v", "XX", "XX"],
    ["GET", "$a"],
    ["SET", "$new", "v", "XX"],
    ["GET", "$new"],
    ["SET", "$new", "v1", "NX"],
    ["SET", "$new", "v2", "NX"],
    ["GET", "$new"],
    ["SET", "$new", "v3", "xx"],
    ["GET", "$new"],
  ]),
);

diffTest(
  "SET GET option combinations",
  ns("s2", [
    ["SET", "$a", "1", "GET"],
    ["SET", "$a", "2", "GET"],
    ["SET", "$a", "3", "GET", "GET"],
    ["SET", "$a", "4", "NX", "GET"],
    ["GET", "$a"],
    ["SET", "$b", "1", "NX", "GET"],
    ["GET", "$b"],
    ["SET", "$c", "1", "XX", "GET"],
    ["GET", "$c"],
    ["SET", "$b", "2", "XX", "GET"],
    ["SET", "$b", "3", "GET", "KEEPTTL"],
    ["SET", "$b", BIN, "GET"],
    ["SET", "$b", "x", "get"],
  ]),
);

diffTest(
  "SET expire options and errors",
  ns("s3", [
    ["SET", "$a", "v", "EX", "100"],
    ["TTL", "$a"],
    ["SET", "$a", "v", "PX", "100000"],
    ["TTL", "$a"],
    ["SET", "$a", "v", "EX", "10", "EX", "100"],
    ["TTL", "$a"],
    ["SET", "$a", "v", "KEEPTTL"],
    ["TTL", "$a"],
    ["SET", "$a", "v"],
    ["TTL", "$a"],
    ["SET", "$a", "v", "EXAT", "4102444800"],
    ["EXPIRETIME", "$a"],
    ["SET", "$a", "v", "PXAT", "4102444800123"],
    ["PEXPIRETIME", "$a"],
    ["SET", "$a", "v", "pxat", "9223372036854775807"],
    ["PEXPIRETIME", "$a"],
    ["SET", "$a", "v", "exat", "9223372036854775"],
    ["PEXPIRETIME", "$a"],
    ["SET", "$a", "v", "EX", "100", "NX"],
    ["SET", "$a", "w", "EX", "100", "XX", "GET"],
    ["TTL", "$a"],
    ["SET", "$past", "v", "EXAT", "1"],
    ["GET", "$past"],
    ["SET", "$past2", "v", "PXAT", "1", "GET"],
    ["GET", "$past2"],
    ["SET", "$a", "v", "EX"],
    ["SET", "$a", "v", "EX", "10", "PX", "10"],
    ["SET", "$a", "v", "PX", "10", "EXAT", "10"],
    ["SET", "$a", "v", "EXAT", "10", "PXAT", "10"],
    ["SET", "$a", "v", "KEEPTTL", "EX", "10"],
    ["SET", "$a", "v", "EX", "10", "KEEPTTL"],
    ["SET", "$a", "v", "PERSIST"],
    ["SET", "$a", "v", "EX", "0"],
    ["SET", "$a", "v", "EX", "-1"],
    ["SET", "$a", "v", "PX", "0"],
    ["SET", "$a", "v", "EXAT", "0"],
    ["SET", "$a", "v", "PXAT", "-5"],
    ["SET", "$a", "v", "EX", "abc"],
    ["SET", "$a", "v", "EX", "1.5"],
    ["SET", "$a", "v", "EX", " 1"],
    ["SET", "$a", "v", "EX", "9223372036854775"],
    ["SET", "$a", "v", "EX", "9223372036854776"],
    ["SET", "$a", "v", "PX", "9223372036854775807"],
    ["SET", "$a", "v", "PX", "9223372036854775808"],
    ["SET", "$a", "v", "EX", "0", "GET"],
    ["SET", "$a", "v", "EX", "0", "XX"],
  ]),
);

diffTest(
  "SETNX SETEX PSETEX GETSET",
  ns("s4", [
    ["SETNX", "$a", "1"],
    ["SETNX", "$a", "2"],
    ["GET", "$a"],
    ["SETNX", "$a"],
    ["SETEX", "$b", "100", BIN],
    ["GET", "$b"],
    ["TTL", "$b"],
    ["PSETEX", "$c", "100000", "v"],
    ["TTL", "$c"],
    ["SETEX", "$b", "0", "v"],
    ["SETEX", "$b", "-1", "v"],
    ["SETEX", "$b", "x", "v"],
    ["PSETEX", "$b", "0", "v"],
    ["PSETEX", "$b", "-10", "v"],
    ["SETEX", "$b", "9223372036854776", "v"],
    ["SETEX", "$b", "10"],
    ["GETSET", "$d", "1"],
    ["GETSET", "$d", "2"],
    ["GET", "$d"],
    ["SETEX", "$e", "100", "v"],
    ["GETSET", "$e", "w"],
    ["TTL", "$e"],
    ["GETSET", "$d"],
  ]),
);

diffTest(
  "GETDEL GETEX",
  ns("s5", [
    ["GETDEL", "$nokey"],
    ["SET", "$a", BIN],
    ["GETDEL", "$a"],
    ["GETDEL", "$a"],
    ["EXISTS", "$a"],
    ["GETDEL", "$a", "b"],
    ["GETEX", "$nokey"],
    ["GETEX", "$nokey", "EX", "0"],
    ["GETEX", "$nokey", "BOGUS"],
    ["SET", "$b", "v"],
    ["GETEX", "$b"],
    ["TTL", "$b"],
    ["GETEX", "$b", "EX", "100"],
    ["TTL", "$b"],
    ["GETEX", "$b", "PX", "200000"],
    ["TTL", "$b"],
    ["GETEX", "$b", "EXAT", "4102444800"],
    ["EXPIRETIME", "$b"],
    ["GETEX", "$b", "PXAT", "4102444800555"],
    ["PEXPIRETIME", "$b"],
    ["GETEX", "$b", "PERSIST"],
    ["TTL", "$b"],
    ["GETEX", "$b", "PERSIST"],
    ["GETEX", "$b", "EX", "0"],
    ["GETEX", "$b", "PX", "-1"],
    ["GETEX", "$b", "EX", "x"],
    ["GETEX", "$b", "EX"],
    ["GETEX", "$b", "PERSIST", "EX", "10"],
    ["GETEX", "$b", "EX", "10", "PERSIST"],
    ["GETEX", "$b", "EX", "10", "PX", "10"],
    ["GETEX", "$b", "EX", "10", "EX", "20"],
    ["TTL", "$b"],
    ["GETEX", "$b", "KEEPTTL"],
    ["GETEX", "$b", "NX"],
    ["GETEX", "$b", "GET"],
    ["GETEX", "$b", "EXAT", "1"],
    ["EXISTS", "$b"],
    ["SET", "$c", "v"],
    ["GETEX", "$c", "PXAT", "1"],
    ["GET", "$c"],
    ["GETEX"],
  ]),
);

diffTest(
  "MGET MSET MSETNX",
  ns("s6", [
    ["MSET", "$a", "1", "$b", BIN],
    ["MGET", "$a", "$b", "$nokey"],
    ["MSET", "$a"],
    ["MSET", "$a", "1", "$b"],
    ["MSET"],
    ["MGET"],
    ["MSETNX", "$a", "x", "$c", "y"],
    ["MGET", "$a", "$c"],
    ["MSETNX", "$c", "x", "$d", "y"],
    ["MGET", "$c", "$d"],
    ["MSETNX", "$e", "1", "$e", "2"],
    ["GET", "$e"],
    ["MSETNX", "$f", "1", "$g"],
    ["MSET", "$a", "1", "$a", "2"],
    ["GET", "$a"],
    ["SETEX", "$t", "100", "v"],
    ["MSET", "$t", "w"],
    ["TTL", "$t"],
  ]),
);

diffTest(
  "APPEND STRLEN GETRANGE SUBSTR",
  ns("s7", [
    ["APPEND", "$a", "hello"],
    ["APPEND", "$a", " world"],
    ["APPEND", "$a", ""],
    ["APPEND", "$a", BIN],
    ["GET", "$a"],
    ["STRLEN", "$a"],
    ["STRLEN", "$nokey"],
    ["APPEND", "$e", ""],
    ["EXISTS", "$e"],
    ["SETEX", "$t", "100", "v"],
    ["APPEND", "$t", "w"],
    ["TTL", "$t"],
    ["SET", "$s", "Hello World"],
    ["GETRANGE", "$s", "0", "4"],
    ["GETRANGE", "$s", "-5", "-1"],
    ["GETRANGE", "$s", "0", "-1"],
    ["GETRANGE", "$s", "-1", "-5"],
    ["GETRANGE", "$s", "5", "3"],
    ["GETRANGE", "$s", "-100", "100"],
    ["GETRANGE", "$s", "100", "200"],
    ["GETRANGE", "$s", "0", "0"],
    ["GETRANGE", "$s", "-1", "0"],
    ["GETRANGE", "$s", "3", "-100"],
    ["GETRANGE", "$s", "-9223372036854775808", "9223372036854775807"],
    ["GETRANGE", "$nokey", "0", "-1"],
    ["GETRANGE", "$s", "a", "1"],
    ["GETRANGE", "$s", "1", "b"],
    ["GETRANGE", "$s", "1"],
    ["GETRANGE", "$s", "9223372036854775808", "1"],
    ["SUBSTR", "$s", "1", "3"],
    ["SUBSTR", "$s", "-3", "-1"],
    ["SET", "$empty", ""],
    ["GETRANGE", "$empty", "0", "-1"],
    ["SET", "$n", "12345"],
    ["GETRANGE", "$n", "1", "2"],
    ["SET", "$bin", BIN],
    ["GETRANGE", "$bin", "1", "6"],
  ]),
);

diffTest(
  "SETRANGE",
  ns("s8", [
    ["SETRANGE", "$a", "0", "hello"],
    ["SETRANGE", "$a", "1", "EL"],
    ["GET", "$a"],
    ["SETRANGE", "$a", "8", "xy"],
    ["GET", "$a"],
    ["SETRANGE", "$a", "2", ""],
    ["SETRANGE", "$b", "3", "\xff\x00"],
    ["GET", "$b"],
    ["SETRANGE", "$c", "10", ""],
    ["EXISTS", "$c"],
    ["SETRANGE", "$a", "-1", "x"],
    ["SETRANGE", "$a", "x", "x"],
    ["SETRANGE", "$a", "536870911", "xy"],
    ["SETRANGE", "$a", "536870912", "x"],
    ["SETRANGE", "$a", "9223372036854775807", "x"],
    ["SETRANGE", "$nokey", "536870912", ""],
    ["SETRANGE", "$a", "0"],
    ["SETEX", "$t", "100", "value"],
    ["SETRANGE", "$t", "1", "A"],
    ["GET", "$t"],
    ["TTL", "$t"],
    ["SET", "$n", "1234"],
    ["SETRANGE", "$n", "1", "0"],
    ["INCR", "$n"],
  ]),
);

diffTest(
  "INCR DECR INCRBY DECRBY",
  ns("s9", [
    ["INCR", "$a"],
    ["INCR", "$a"],
    ["DECR", "$a"],
    ["DECR", "$b"],
    ["INCRBY", "$a", "100"],
    ["INCRBY", "$a", "-300"],
    ["DECRBY", "$a", "-50"],
    ["DECRBY", "$a", "5"],
    ["INCRBY", "$a", "0"],
    ["GET", "$a"],
    ["INCRBY", "$a", "x"],
    ["INCRBY", "$a", "1.5"],
    ["INCRBY", "$a", " 1"],
    ["INCRBY", "$a", "+1"],
    ["INCRBY", "$a", "01"],
    ["INCRBY", "$a", "-0"],
    ["INCRBY", "$a", ""],
    ["INCRBY", "$a", "9223372036854775808"],
    ["DECRBY", "$a", "-9223372036854775808"],
    ["DECRBY", "$nokey2", "-9223372036854775808"],
    ["SET", "$s", "abc"],
    ["INCR", "$s"],
    ["SET", "$s", "12 "],
    ["INCR", "$s"],
    ["SET", "$s", "012"],
    ["DECR", "$s"],
    ["SET", "$s", "-0"],
    ["INCR", "$s"],
    ["SET", "$s", "1.0"],
    ["INCR", "$s"],
    ["SET", "$s", ""],
    ["INCR", "$s"],
    ["SET", "$s", "9223372036854775808"],
    ["INCR", "$s"],
    ["SET", "$m", "9223372036854775806"],
    ["INCR", "$m"],
    ["GET", "$m"],
    ["INCR", "$m"],
    ["INCRBY", "$m", "0"],
    ["DECRBY", "$m", "-1"],
    ["INCRBY", "$m", "-9223372036854775807"],
    ["INCRBY", "$m", "-9223372036854775808"],
    ["SET", "$m", "-9223372036854775807"],
    ["DECR", "$m"],
    ["DECR", "$m"],
    ["DECRBY", "$m", "1"],
    ["INCRBY", "$m", "9223372036854775807"],
    ["SET", "$big", "9007199254740991"],
    ["INCR", "$big"],
    ["INCR", "$big"],
    ["INCRBY", "$big", "9007199254740993"],
    ["DECRBY", "$big", "18014398509481986"],
    ["SET", "$neg", "-9007199254740991"],
    ["DECR", "$neg"],
    ["DECR", "$neg"],
    ["SET", "$i", "123456789012345"],
    ["INCRBY", "$i", "1"],
    ["SET", "$i", "-12345678901234"],
    ["INCRBY", "$i", "-1"],
    ["SETEX", "$t", "100", "5"],
    ["INCR", "$t"],
    ["TTL", "$t"],
    ["INCR"],
    ["INCRBY", "$a"],
    ["DECR", "$a", "1"],
  ]),
);

diffTest(
  "INCRBYFLOAT",
  ns("s10", [
    ["INCRBYFLOAT", "$a", "1"],
    ["INCRBYFLOAT", "$a", "0.25"],
    ["INCRBYFLOAT", "$a", "-1.25"],
    ["SET", "$b", "0.1"],
    ["INCRBYFLOAT", "$b", "0.2"],
    ["SET", "$c", "1"],
    ["INCRBYFLOAT", "$c", "-1.1"],
    ["SET", "$d", "10.5"],
    ["INCRBYFLOAT", "$d", "0.1"],
    ["INCRBYFLOAT", "$d", "5.0e3"],
    ["INCRBYFLOAT", "$d", "-5.0E+3"],
    ["INCRBYFLOAT", "$d", "+1"],
    ["INCRBYFLOAT", "$d", ".5"],
    ["INCRBYFLOAT", "$d", "1."],
    ["INCRBYFLOAT", "$d", "0x10"],
    ["INCRBYFLOAT", "$d", "0x1.8p1"],
    ["INCRBYFLOAT", "$e", "1e30"],
    ["INCRBYFLOAT", "$e", "1e-20"],
    ["SET", "$f", "1e308"],
    ["INCRBYFLOAT", "$f", "1e308"],
    ["INCRBYFLOAT", "$g", "1e-20"],
    ["INCRBYFLOAT", "$g2", "-1e-20"],
    ["SET", "$h", "1.23456789012345678"],
    ["INCRBYFLOAT", "$h", "0"],
    ["SET", "$h", "123456789.123456789"],
    ["INCRBYFLOAT", "$h", "0.000000001"],
    ["SET", "$i", "-9223372036854775808"],
    ["INCRBYFLOAT", "$i", "1"],
    ["SET", "$j", "5"],
    ["INCRBYFLOAT", "$j", "-5"],
    ["INCRBYFLOAT", "$j", "inf"],
    ["INCRBYFLOAT", "$j", "-infinity"],
    ["INCRBYFLOAT", "$j", "nan"],
    ["INCRBYFLOAT", "$j", "abc"],
    ["INCRBYFLOAT", "$j", ""],
    ["INCRBYFLOAT", "$j", " 1"],
    ["INCRBYFLOAT", "$j", "1 "],
    ["INCRBYFLOAT", "$j", "1e"],
    ["INCRBYFLOAT", "$j", "1e-5000"],
    ["INCRBYFLOAT", "$j", "1e5000"],
    ["INCRBYFLOAT", "$j", "0e99999"],
    ["INCRBYFLOAT", "$j", "1e4000"],
    ["SET", "$k", "abc"],
    ["INCRBYFLOAT", "$k", "1"],
    ["SET", "$k", "inf"],
    ["INCRBYFLOAT", "$k", "1"],
    ["SETEX", "$t", "100", "1.5"],
    ["INCRBYFLOAT", "$t", "1"],
    ["TTL", "$t"],
    ["INCRBYFLOAT", "$t"],
  ]),
);

diffTest(
  "LCS",
  ns("s11", [
    ["MSET", "$a", "ohmytext", "$b", "mynewtext"],
    ["LCS", "$a", "$b"],
    ["LCS", "$a", "$b", "LEN"],
    ["LCS", "$a", "$b", "IDX"],
    ["LCS", "$a", "$b", "IDX", "MINMATCHLEN", "4"],
    ["LCS", "$a", "$b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
    ["LCS", "$a", "$b", "idx", "withmatchlen"],
    ["LCS", "$a", "$b", "IDX", "MINMATCHLEN", "-3"],
    ["LCS", "$a", "$b", "LEN", "LEN"],
    ["LCS", "$a", "$b", "IDX", "LEN"],
    ["LCS", "$a", "$b", "MINMATCHLEN"],
    ["LCS", "$a", "$b", "MINMATCHLEN", "x"],
    ["LCS", "$a", "$b", "BOGUS"],
    ["LCS", "$a", "$nokey"],
    ["LCS", "$nokey", "$nokey2", "IDX"],
    ["LCS", "$a", "$nokey", "LEN"],
    ["LCS", "$a"],
    ["MSET", "$x", "\x00\x80\xff\x9fabc\x00", "$y", "\xff\x00abc\x9f\x00"],
    ["LCS", "$x", "$y"],
    ["LCS", "$x", "$y", "IDX", "WITHMATCHLEN"],
    ["MSET", "$p", "ACCGGTCGAGTGCGCGGAAGCCGGCCGAA", "$q", "GTCGTTCGGAATGCCGTTGCTCTGTAAA"],
    ["LCS", "$p", "$q"],
    ["LCS", "$p", "$q", "LEN"],
    ["LCS", "$p", "$q", "IDX", "WITHMATCHLEN"],
    ["LCS", "$p", "$q", "IDX", "MINMATCHLEN", "2"],
  ]),
);

diffTest(
  "LCS IDX in RESP3",
  ns("s12", [
    { cmd: ["HELLO", "3"], shapeOnly: true },
    ["MSET", "$a", "ohmytext", "$b", "mynewtext"],
    ["LCS", "$a", "$b", "IDX", "WITHMATCHLEN"],
    ["LCS", "$a", "$nokey", "IDX"],
    ["LCS", "$a", "$b", "LEN"],
    ["GET", "$nokey"],
    ["MGET", "$a", "$nokey"],
    ["INCRBYFLOAT", "$f", "1.5"],
  ]),
);

// ---- WRONGTYPE paths, against real lists (RPUSH) on both servers.

const WRONGTYPE_SCRIPT: string[][] = [
  ["MKLIST", "l"],
  ["GET", "l"],
  ["SET", "l", "v", "GET"],
  ["SET", "l", "v", "NX", "GET"],
  ["SET", "l", "v", "EX", "0", "GET"],
  ["GETSET", "l", "v"],
  ["GETDEL", "l"],
  ["GETEX", "l"],
  ["GETEX", "l", "EX", "0"],
  ["GETEX", "l", "BOGUS"],
  ["MGET", "l", "nokey"],
  ["APPEND", "l", "x"],
  ["STRLEN", "l"],
  ["GETRANGE", "l", "0", "1"],
  ["GETRANGE", "l", "x", "1"],
  ["SUBSTR", "l", "0", "1"],
  ["SETRANGE", "l", "0", "x"],
  ["SETRANGE", "l", "0", ""],
  ["SETRANGE", "l", "-1", "x"],
  ["INCR", "l"],
  ["DECR", "l"],
  ["INCRBY", "l", "1"],
  ["INCRBY", "l", "x"],
  ["DECRBY", "l", "1"],
  ["INCRBYFLOAT", "l", "1"],
  ["INCRBYFLOAT", "l", "x"],
  ["LCS", "l", "nokey"],
  ["LCS", "nokey", "l", "BOGUS"],
  ["SETNX", "l", "v"],
  ["MSETNX", "l", "v", "m", "w"],
  ["SET", "l", "v", "NX"],
  ["SET", "l", "v", "XX"],
  ["GET", "l"],
  ["MKLIST", "l2"],
  ["MSET", "l2", "s"],
  ["GET", "l2"],
  ["MKLIST", "l3"],
  ["SETEX", "l3", "100", "s"],
  ["GET", "l3"],
];

/** Runs a script; an MKLIST step makes a one-element list with RPUSH. */
async function runOn(port: number, script: string[][]): Promise<Reply[]> {
  const c = await RawClient.connect(port);
  const out: Reply[] = [];
  try {
    for (const step of script) {
      if (step[0] === "MKLIST") {
        await c.call("DEL", step[1]!);
        out.push(await c.call("RPUSH", step[1]!, "x"));
      } else {
        out.push(await c.call(...step));
      }
    }
  } finally {
    c.close();
  }
  return out;
}

Deno.test({
  name: "diff: WRONGTYPE and type checks before options",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    const prefix = (k: string) => `wt:${k}`;
    const script = WRONGTYPE_SCRIPT.map((st) =>
      st.map((a, i) => i > 0 && /^(l\d?|m|nokey)$/.test(a) ? prefix(a) : a)
    );
    const ours = await runOn(respite.port, script);
    const theirs = await runOn(redis!.port, script);
    for (let i = 0; i < script.length; i++) {
      assertEquals(ours[i], theirs[i], `step ${i}: ${JSON.stringify(script[i])}`);
    }
  },
});

// ---- Propagation and keyspace events, with a manual clock.

Deno.test("strings: propagated argv and keyspace events", async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const t0 = clock.now();
  const cap = captureWrites();
  const s = await startRespite({ plugins: [cap.plugin], clock });
  const c = await RawClient.connect(s.port);
  const step = checkWrites(c, cap);
  try {
    await step(["SET", "k", "v"], "OK", [["SET", "k", "v"]], ["set:$:k"]);
    await step(
      ["SET", "k", "v", "EX", "10"],
      "OK",
      [["SET", "k", "v", "PXAT", String(t0 + 10000)]],
      [
        "set:$:k",
        "expire:g:k",
      ],
    );
    await step(["SET", "k", "w", "px", "1500", "GET"], "v", [[
      "SET",
      "k",
      "w",
      "PXAT",
      String(t0 + 1500),
    ]]);
    await step(["set", "k", "x", "get", "KEEPTTL", "GET"], "w", [["set", "k", "x", "KEEPTTL"]]);
    await step(["SET", "k", "y", "NX"], null, []);
    await step(["SET", "k", "v", "EXAT", "1"], "OK", [["SET", "k", "v", "PXAT", "1000"]]);
    // The key above is already expired: the lookup reclaims it (DEL) first.
    await step(["SET", "k", "v", "PXAT", "9223372036854775807"], "OK", [["DEL", "k"], [
      "SET",
      "k",
      "v",
      "PXAT",
      "9223372036854775807",
    ]]);
    await step(["SET", "k2", "v", "EX", "9000000000000000"], "OK", [[
      "SET",
      "k2",
      "v",
      "PXAT",
      (9000000000000000000n + BigInt(t0)).toString(),
    ]]);
    await step(["SETEX", "k", "10", "v"], "OK", [["SET", "k", "v", "PXAT", String(t0 + 10000)]]);
    await step(["PSETEX", "k", "10", "v"], "OK", [["SET", "k", "v", "PXAT", String(t0 + 10)]]);
    await step(["GETSET", "k", "z"], "v", [["SET", "k", "z"]]);
    await step(["GETEX", "k", "EX", "5"], "z", [["PEXPIREAT", "k", String(t0 + 5000)]], [
      "expire:g:k",
    ]);
    await step(["GETEX", "k", "PXAT", String(t0 + 7)], "z", [["PEXPIREAT", "k", String(t0 + 7)]]);
    await step(["GETEX", "k", "PERSIST"], "z", [["PERSIST", "k"]], ["persist:g:k"]);
    await step(["GETEX", "k", "PERSIST"], "z", []);
    await step(["GETEX", "k"], "z", []);
    await step(["GETEX", "k", "EXAT", String(Math.floor(t0 / 1000))], "z", [["DEL", "k"]], [
      "del:g:k",
    ]);
    await step(["GET", "k"], null, []);
    await step(["INCRBYFLOAT", "f", "1.5"], "1.5", [["SET", "f", "1.5", "KEEPTTL"]], [
      "incrbyfloat:$:f",
    ]);
    await step(["INCRBYFLOAT", "f", "0.1"], "1.6", [["SET", "f", "1.6", "KEEPTTL"]]);
    await step(["INCRBYFLOAT", "f", "x"], { error: "ERR value is not a valid float" }, []);
    await step(["GETDEL", "f"], "1.6", [["DEL", "f"]], ["del:g:f"]);
    await step(["GETDEL", "f"], null, []);
    await step(["INCR", "n"], 1, [["INCR", "n"]], ["incrby:$:n"]);
    await step(["APPEND", "n", "0"], 2, [["APPEND", "n", "0"]], ["append:$:n"]);
    await step(["SETRANGE", "n", "0", "2"], 2, [["SETRANGE", "n", "0", "2"]], ["setrange:$:n"]);
    await step(["SETRANGE", "n", "0", ""], 2, []);
    await step(["MSETNX", "n", "1", "m", "2"], 0, []);
    await step(["MSET", "a", "1", "b", "2"], "OK", [["MSET", "a", "1", "b", "2"]], [
      "set:$:a",
      "set:$:b",
    ]);
    await step(
      ["SET", "a", "v", "EX", "0"],
      { error: "ERR invalid expire time in 'set' command" },
      [],
    );
    // The TTL semantics behind the propagation: a relative expire uses the clock.
    await step(["SET", "t", "v", "PX", "100"], "OK", [["SET", "t", "v", "PXAT", String(t0 + 100)]]);
    await step(["INCRBYFLOAT", "t", "1"], { error: "ERR value is not a valid float" }, []);
    clock.advance(101);
    await step(["GET", "t"], null, [["DEL", "t"]]);
    // lazyfree settings turn the DELs into UNLINKs, as in Redis.
    await step(["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"], "OK", []);
    await step(["CONFIG", "SET", "lazyfree-lazy-expire", "yes"], "OK", []);
    await step(["SET", "u", "1"], "OK", [["SET", "u", "1"]]);
    await step(["GETEX", "u", "PXAT", "1"], "1", [["UNLINK", "u"]]);
    await step(["SET", "u", "2"], "OK", [["SET", "u", "2"]]);
    await step(["GETDEL", "u"], "2", [["UNLINK", "u"]]);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("strings: INCR beyond 2^53 replies exact 64-bit integers", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    assertEquals(await c.command("SET", "n", "9223372036854775806"), "+OK\r\n");
    assertEquals(await c.command("INCR", "n"), ":9223372036854775807\r\n");
    assertEquals(await c.command("INCR", "n"), "-ERR increment or decrement would overflow\r\n");
    assertEquals(await c.command("DECRBY", "n", "9223372036854775807"), ":0\r\n");
    assertEquals(
      await c.command("DECRBY", "n", "9223372036854775807"),
      ":-9223372036854775807\r\n",
    );
    assertEquals(await c.command("DECR", "n"), ":-9223372036854775808\r\n");
    assertEquals(await c.command("GET", "n"), "$20\r\n-9223372036854775808\r\n");
  } finally {
    c.close();
    await s.close();
  }
});

// ---- Real clients.

Deno.test({
  name: "strings: ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    await io.connect();
    try {
      assertEquals(await io.set("k", "v"), "OK");
      assertEquals(await io.get("k"), "v");
      assertEquals(await io.set("k", "w", "GET"), "v");
      assertEquals(await io.set("k", "x", "NX"), null);
      assertEquals(await io.set("e", "1", "EX", 100), "OK");
      assertEquals(await io.ttl("e"), 100);
      assertEquals(await io.getex("e", "PERSIST"), "1");
      assertEquals(await io.ttl("e"), -1);
      assertEquals(await io.getdel("e"), "1");
      assertEquals(await io.exists("e"), 0);
      assertEquals(await io.incr("n"), 1);
      assertEquals(await io.incrby("n", 41), 42);
      assertEquals(await io.decrby("n", 2), 40);
      assertEquals(await io.incrbyfloat("n", "0.5"), "40.5");
      assertEquals(await io.mset({ a: "1", b: "2" }), "OK");
      assertEquals(await io.mget("a", "b", "zz"), ["1", "2", null]);
      assertEquals(await io.msetnx("a", "x", "c", "y"), 0);
      assertEquals(await io.append("a", "23"), 3);
      assertEquals(await io.strlen("a"), 3);
      assertEquals(await io.getrange("a", 1, -1), "23");
      assertEquals(await io.setrange("a", 5, "z"), 6);
      assertEquals(await io.getBuffer("a"), Buffer.from([0x31, 0x32, 0x33, 0, 0, 0x7a]));
      const bin = Buffer.from([0x00, 0x80, 0x9f, 0xff, 0x0d, 0x0a]);
      assertEquals(await io.set("bin", bin), "OK");
      assertEquals(await io.getBuffer("bin"), bin);
      await io.set("l1", "ohmytext");
      await io.set("l2", "mynewtext");
      assertEquals(await io.call("LCS", "l1", "l2"), "mytext");
      assertEquals(await io.call("LCS", "l1", "l2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"), [
        "matches",
        [[[4, 7], [5, 8], 4]],
        "len",
        6,
      ]);
      await assertRejectsMsg(() => io.incr("k"), "ERR value is not an integer or out of range");
    } finally {
      io.disconnect();
      await s.close();
    }
  },
});

async function assertRejectsMsg(fn: () => Promise<unknown>, msg: string): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assertEquals((e as Error).message, msg);
    return;
  }
  throw new Error(`expected rejection: ${msg}`);
}

Deno.test({
  name: "strings: node-redis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const nr = createClient({ socket: { port: s.port } });
    await nr.connect();
    try {
      assertEquals(await nr.set("k", "v", { EX: 100, GET: true }), null);
      assertEquals(await nr.ttl("k"), 100);
      assertEquals(await nr.set("k", "w", { KEEPTTL: true }), "OK");
      assertEquals(await nr.ttl("k"), 100);
      assertEquals(await nr.getEx("k", { PX: 5000 }), "w");
      assertEquals(await nr.pTTL("k") <= 5000, true);
      assertEquals(await nr.setNX("k", "x"), false);
      assertEquals(await nr.setEx("s", 10, "v"), "OK");
      assertEquals(await nr.getSet("s", "u"), "v");
      assertEquals(await nr.ttl("s"), -1);
      assertEquals(await nr.incrBy("n", 5), 5);
      assertEquals(await nr.decr("n"), 4);
      assertEquals(await nr.incrByFloat("n", 0.25), "4.25");
      assertEquals(await nr.mGet(["n", "nokey", "s"]), ["4.25", null, "u"]);
      assertEquals(await nr.mSetNX({ x: "1", y: "2" }), true);
      assertEquals(await nr.getDel("x"), "1");
      assertEquals(await nr.sendCommand(["LCS", "k", "s", "LEN"]), 0);
      assertEquals(await nr.sendCommand(["SUBSTR", "y", "0", "-1"]), "2");
      try {
        await nr.sendCommand(["SET", "k", "v", "EX", "0"]);
        throw new Error("no error");
      } catch (e) {
        assertEquals((e as Error).message, "ERR invalid expire time in 'set' command");
      }
    } finally {
      await nr.disconnect();
      await s.close();
    }
  },
});

diffDirty("strings: the SET family, one change per key written", [
  ["SET", "a", "1"],
  ["SET", "a", "1"],
  ["SET", "a", "2", "GET"],
  ["SET", "n", "1", "GET"],
  ["SET", "a", "3", "NX"],
  ["SET", "a", "3", "NX", "GET"],
  ["SET", "b", "1", "XX"],
  ["SET", "b", "1", "NX", "EX", "100"],
  ["SET", "b", "2", "XX", "PX", "100000", "GET"],
  ["SET", "b", "3", "KEEPTTL"],
  ["SET", "b", "4", "EXAT", "1"],
  ["SET", "b", "4", "EX", "0"],
  ["SET", "b", "4", "BOGUS"],
  ["SETNX", "c", "1"],
  ["SETNX", "c", "1"],
  ["SETEX", "d", "100", "v"],
  ["SETEX", "d", "0", "v"],
  ["PSETEX", "d", "100000", "v"],
  ["GETSET", "d", "w"],
  ["GETSET", "fresh", "w"],
  ["GETDEL", "d"],
  ["GETDEL", "d"],
  ["MSET", "x", "1", "y", "2", "x", "3"],
  ["MSETNX", "x", "1", "z", "2"],
  ["MSETNX", "z", "1", "w", "2"],
  ["MSET", "x"],
  ["RPUSH", "list", "e"],
  ["SET", "list", "v", "GET"],
  ["GETSET", "list", "v"],
]);

diffDirty("strings: GETEX counts only a changed TTL", [
  ["SET", "k", "v"],
  ["GETEX", "k"],
  ["GETEX", "k", "PERSIST"],
  ["GETEX", "k", "EX", "100"],
  ["GETEX", "k", "EX", "100"],
  ["GETEX", "k", "PERSIST"],
  ["GETEX", "k", "PERSIST"],
  ["GETEX", "k", "PXAT", "1"],
  ["EXISTS", "k"],
  ["GETEX", "missing", "EX", "10"],
  ["SET", "k", "v"],
  ["GETEX", "k", "EX", "0"],
  ["GETEX", "k", "EX", "10", "PX", "10"],
]);

diffDirty("strings: APPEND, SETRANGE and the counters", [
  ["APPEND", "s", ""],
  ["APPEND", "s", "abc"],
  ["APPEND", "s", ""],
  ["SETRANGE", "s", "0", "abc"],
  ["SETRANGE", "s", "1", ""],
  ["SETRANGE", "new", "5", ""],
  ["SETRANGE", "new", "2", "x"],
  ["SETRANGE", "s", "-1", "x"],
  ["INCR", "i"],
  ["INCRBY", "i", "0"],
  ["DECR", "i"],
  ["DECRBY", "i", "5"],
  ["INCRBY", "i", "x"],
  ["INCR", "s"],
  ["SET", "max", "9223372036854775807"],
  ["INCR", "max"],
  ["INCRBYFLOAT", "f", "0"],
  ["INCRBYFLOAT", "f", "1.5"],
  ["INCRBYFLOAT", "s", "1"],
  ["INCRBYFLOAT", "f", "inf"],
]);

// Redis modifies the string in place, which leaves it "raw" whatever it
// holds, until a new value replaces it (COPY and RENAME keep the encoding).
diffTest("strings: APPEND and SETRANGE leave a raw string", [
  ["SET", "n", "12"],
  ["APPEND", "n", "3"],
  ["OBJECT", "ENCODING", "n"],
  ["OBJECT", "REFCOUNT", "n"],
  ["SET", "m", "12"],
  ["SETRANGE", "m", "0", "9"],
  ["OBJECT", "ENCODING", "m"],
  ["SET", "s", "abc"],
  ["APPEND", "s", "d"],
  ["OBJECT", "ENCODING", "s"],
  ["SET", "e", "5"],
  ["APPEND", "e", ""],
  ["OBJECT", "ENCODING", "e"],
  ["OBJECT", "REFCOUNT", "e"],
  ["SET", "z", "5"],
  ["SETRANGE", "z", "0", ""],
  ["OBJECT", "ENCODING", "z"],
  ["SETRANGE", "new", "2", "ab"],
  ["OBJECT", "ENCODING", "new"],
  ["APPEND", "fresh", "42"],
  ["OBJECT", "ENCODING", "fresh"],
  ["RENAME", "s", "s2"],
  ["OBJECT", "ENCODING", "s2"],
  ["COPY", "s2", "s3"],
  ["OBJECT", "ENCODING", "s3"],
  ["INCR", "n"],
  ["OBJECT", "ENCODING", "n"],
  ["SET", "m", "9"],
  ["OBJECT", "ENCODING", "m"],
  ["GETSET", "s3", "x"],
  ["OBJECT", "ENCODING", "s3"],
]);

// INCR keeps its result as a number (Redis's int encoding): every other
// reader sees the decimal string, and persistence writes it as one.
diffTest(
  "strings: a counter reads as its string everywhere",
  ns("s20", [
    ["INCRBY", "$c", "41"],
    ["INCR", "$c"],
    ["GET", "$c"],
    ["MGET", "$c", "$nokey"],
    ["STRLEN", "$c"],
    ["GETRANGE", "$c", "1", "-1"],
    ["TYPE", "$c"],
    ["OBJECT", "ENCODING", "$c"],
    ["EXISTS", "$c"],
    ["DUMP", "$c"],
    ["DEBUG", "DIGEST-VALUE", "$c"],
    ["BITCOUNT", "$c"],
    ["GETBIT", "$c", "2"],
    ["LCS", "$c", "$c"],
    ["PFCOUNT", "$c"],
    ["LPUSH", "$c", "x"],
    ["EVAL", "return redis.call('GET', KEYS[1])", "1", "$c"],
    ["COPY", "$c", "$copy"],
    ["GET", "$copy"],
    ["INCR", "$copy"],
    ["RENAME", "$copy", "$renamed"],
    ["GET", "$renamed"],
    ["RPUSH", "$l", "a", "b"],
    ["SET", "$w_a", "5"],
    ["INCRBY", "$w_b", "-3"],
    ["SORT", "$l", "BY", "$w_*", "GET", "$w_*"],
    ["INCRBYFLOAT", "$c", "0.5"],
    ["OBJECT", "ENCODING", "$c"],
    ["INCRBY", "$d", "-7"],
    ["SET", "$d", "x", "GET"],
    ["INCR", "$e"],
    ["GETSET", "$e", "y"],
    ["INCR", "$f"],
    ["GETDEL", "$f"],
    ["INCR", "$g"],
    ["GETEX", "$g", "PX", "100000"],
    ["INCR", "$g"],
    // TTL, not PTTL: a millisecond may pass on either server before it reads.
    ["TTL", "$g"],
    ["INCR", "$h"],
    ["APPEND", "$h", "0"],
    ["OBJECT", "ENCODING", "$h"],
    ["INCR", "$h"],
    ["INCR", "$i"],
    ["SETRANGE", "$i", "0", "7"],
    ["GET", "$i"],
    ["INCR", "$j"],
    ["SETBIT", "$j", "7", "0"],
    ["GET", "$j"],
    ["INCRBY", "$k", "9007199254740990"],
    ["INCR", "$k"],
    ["INCR", "$k"],
    ["OBJECT", "ENCODING", "$k"],
    ["GET", "$k"],
    ["DECRBY", "$m", "123"],
    ["DUMP", "$m"],
    ["DEBUG", "RELOAD"],
    ["GET", "$c"],
    ["GET", "$m"],
    ["INCR", "$m"],
    ["GET", "$k"],
  ]),
);
