/**
 * Keyspace notifications, differentially against redis-server: each script
 * of writes runs on one connection while another PSUBSCRIBEs `__key*__:*`;
 * the ordered (pattern, channel, message) frames must match exactly.
 */

import {
  hasRedis,
  RawClient,
  type Reply,
  sleep,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";
import { formatEventFlags, parseEventFlags } from "../../plugins/notifications.ts";
import counter from "../../plugins/examples/counter.ts";
import { Redis } from "ioredis";

/** A script step: a command, a pause, or a command sent on a side connection. */
type NStep =
  | string[]
  | { sleep: number }
  /** Sent on a second connection without waiting (a blocking command). */
  | { background: string[] };

const respite = await startRespite({ config: { "enable-debug-command": "yes" } });
const redis = hasRedis ? await startRealRedis() : undefined;
globalThis.addEventListener("unload", () => {
  respite.close();
  redis?.stop();
});

/** Commands Respite has now (families still being built may lack some). */
async function missingCommands(script: readonly NStep[]): Promise<string[]> {
  const names = new Set<string>(["psubscribe", "publish"]);
  for (const s of script) {
    const argv = Array.isArray(s) ? s : "background" in s ? s.background : undefined;
    if (argv) names.add(argv[0]!.toLowerCase());
  }
  const c = await RawClient.connect(respite.port);
  try {
    const info = await c.call("COMMAND", "INFO", ...names) as Reply[];
    return [...names].filter((_, i) => info[i] === null);
  } finally {
    c.close();
  }
}

const END = "__keyend__:end";

/** Runs a script on one server; returns the notification frames received. */
async function capture(
  port: number,
  classes: string,
  script: readonly NStep[],
  setup: readonly string[][] = [],
): Promise<Reply[]> {
  const cmd = await RawClient.connect(port);
  const sub = await RawClient.connect(port);
  const side = await RawClient.connect(port);
  try {
    await cmd.call("FLUSHALL");
    for (const argv of setup) await cmd.call(...argv);
    await cmd.call("CONFIG", "SET", "notify-keyspace-events", classes);
    assertEquals(await sub.call("PSUBSCRIBE", "__key*__:*"), ["psubscribe", "__key*__:*", 1]);
    let pending = 0;
    for (const step of script) {
      if (Array.isArray(step)) {
        await cmd.call(...step);
      } else if ("sleep" in step) {
        await sleep(step.sleep);
      } else {
        await side.write(encode(step.background));
        pending++;
        await sleep(50); // let it block before the next step serves it
      }
    }
    for (; pending > 0; pending--) await side.read();
    await cmd.call("PUBLISH", END, "end");
    const frames: Reply[] = [];
    for (;;) {
      const { value } = await sub.read();
      if (Array.isArray(value) && value[2] === END) break;
      frames.push(value);
    }
    return frames;
  } finally {
    await cmd.call("CONFIG", "SET", "notify-keyspace-events", "").catch(() => {});
    await cmd.call("FLUSHALL").catch(() => {});
    cmd.close();
    sub.close();
    side.close();
  }
}

function encode(argv: readonly string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/**
 * Registers a differential notification test. It is ignored (visibly) when
 * redis-server is missing or Respite lacks one of the script's commands.
 */
async function notifyTest(
  name: string,
  classes: string,
  script: readonly NStep[],
  opts: { none?: boolean; setup?: string[][] } = {},
) {
  const missing = hasRedis ? await missingCommands(script) : [];
  Deno.test({
    name: `notify: ${name}${missing.length ? ` (missing: ${missing.join(" ")})` : ""}`,
    ignore: !hasRedis || missing.length !== 0,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const theirs = await capture(redis!.port, classes, script, opts.setup);
      // A script that raises nothing would compare nothing: say which.
      assertEquals(theirs.length === 0, opts.none === true, "events from redis-server");
      const ours = await capture(respite.port, classes, script, opts.setup);
      assertEquals(ours, theirs);
    },
  });
}

// --- the directive ---------------------------------------------------------

Deno.test("notify: class letters parse and format as Redis", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["KEA", "AKE"],
    ["A", "A"],
    ["Kg", "gK"],
    ["g$lshzxetmdn", "Am"],
    ["Ag$lshzxeKEtmd", "AKEm"],
    ["AKEn", "AKE"],
    ["KEm", "KEm"],
    ["nd$E", "$dnE"],
  ];
  for (const [input, out] of cases) {
    assertEquals(formatEventFlags(parseEventFlags(input)), out, input);
  }
});

Deno.test({
  name: "notify: CONFIG SET/GET notify-keyspace-events matches redis-server",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const run = async (port: number) => {
      const c = await RawClient.connect(port);
      const out: Reply[] = [await c.call("CONFIG", "GET", "notify-keyspace-events")];
      for (const v of ["KEA", "Kl", "Ex", "g$lshzxetmdn", "AKEn", "tKEd", "Z", "K E", "kea", ""]) {
        out.push(await c.call("CONFIG", "SET", "notify-keyspace-events", v));
        out.push(await c.call("CONFIG", "GET", "notify-keyspace-events"));
      }
      c.close();
      return out;
    };
    assertEquals(await run(respite.port), await run(redis!.port));
  },
});

// --- the families ------------------------------------------------------------

await notifyTest("strings", "KEA", [
  ["SET", "s", "1"],
  ["SET", "s", "2", "NX"],
  ["SET", "s", "3", "XX", "GET"],
  ["SETEX", "sx", "100", "v"],
  ["PSETEX", "px", "100000", "v"],
  ["SET", "se", "v", "EX", "100"],
  ["SET", "se", "w", "KEEPTTL"],
  ["SETNX", "nx", "1"],
  ["SETNX", "nx", "2"],
  ["MSET", "m1", "1", "m2", "2"],
  ["MSETNX", "m3", "1", "m4", "2"],
  ["GETSET", "m1", "9"],
  ["APPEND", "s", "x"],
  ["APPEND", "ap", "new"],
  ["INCR", "n"],
  ["INCRBY", "n", "5"],
  ["DECR", "n"],
  ["DECRBY", "n", "2"],
  ["INCRBYFLOAT", "f", "1.5"],
  ["SETRANGE", "s", "1", "ab"],
  ["SETRANGE", "sr", "0", ""],
  ["SETRANGE", "sr", "2", "x"],
  ["GETDEL", "s"],
  ["GETDEL", "s"],
  ["GETEX", "sx", "EX", "200"],
  ["GETEX", "sx", "PERSIST"],
  ["GETEX", "sx"],
  ["GETEX", "px", "PXAT", "1"],
  ["SET", "old", "v", "PXAT", "1"],
  ["INCR", "s"],
]);

await notifyTest("bitmaps", "KEA", [
  ["SETBIT", "b", "7", "1"],
  ["SETBIT", "b", "7", "1"],
  ["SETBIT", "b2", "100", "1"],
  ["BITOP", "AND", "dest", "b", "b2"],
  ["BITOP", "OR", "dest", "none1", "none2"],
  ["BITOP", "NOT", "dest2", "b"],
  ["BITFIELD", "bf", "SET", "u8", "0", "255"],
  ["BITFIELD", "bf", "GET", "u8", "0"],
  ["BITFIELD", "bf", "INCRBY", "u8", "0", "1"],
  ["BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "255"],
  ["BITFIELD_RO", "bf", "GET", "u8", "0"],
]);

await notifyTest("keys", "KEA", [
  ["SET", "a", "1"],
  ["SET", "b", "2"],
  ["DEL", "a", "missing", "b"],
  ["SET", "a", "1"],
  ["UNLINK", "a"],
  ["SET", "r", "1"],
  ["SET", "r2", "x"],
  ["RENAME", "r", "r2"],
  ["RENAME", "r2", "r2"],
  ["RENAMENX", "r2", "r3"],
  ["SET", "r4", "x"],
  ["RENAMENX", "r3", "r4"],
  ["MOVE", "r3", "1"],
  ["SET", "mv", "1"],
  ["MOVE", "mv", "1"],
  ["MOVE", "missing", "1"],
  ["SET", "c", "1"],
  ["COPY", "c", "c2"],
  ["COPY", "c", "c2"],
  ["COPY", "c", "c2", "REPLACE"],
  ["COPY", "c", "c3", "DB", "2"],
  ["EXPIRE", "c", "100"],
  ["PEXPIRE", "c", "100000"],
  ["EXPIREAT", "c", "4000000000"],
  ["PEXPIREAT", "c", "4000000000000"],
  ["EXPIRE", "c", "100", "NX"],
  ["PERSIST", "c"],
  ["PERSIST", "c"],
  ["EXPIRE", "missing", "10"],
  ["EXPIRE", "c2", "0"],
  ["PEXPIREAT", "c", "1"],
  ["SET", "t", "1"],
  ["PEXPIRE", "t", "1"],
  { sleep: 30 },
  ["GET", "t"],
  ["SELECT", "3"],
  ["SET", "in3", "v"],
  ["DEL", "in3"],
  ["SELECT", "0"],
  ["RPUSH", "sl", "3", "1", "2"],
  ["SORT", "sl", "STORE", "sorted"],
  ["SORT", "missing", "STORE", "sorted"],
  ["TOUCH", "sl"],
  ["FLUSHDB"],
  ["SET", "f", "1"],
  ["FLUSHALL"],
  ["SWAPDB", "0", "1"],
]);

await notifyTest("lists", "KEA", [
  ["LPUSH", "l", "a", "b"],
  ["RPUSH", "l", "c"],
  ["LPUSHX", "nol", "x"],
  ["RPUSHX", "l", "d"],
  ["LPUSHX", "l", "e"],
  ["LPOP", "l"],
  ["RPOP", "l", "2"],
  ["LINSERT", "l", "BEFORE", "a", "z"],
  ["LINSERT", "l", "AFTER", "none", "z"],
  ["LSET", "l", "0", "y"],
  ["LREM", "l", "0", "y"],
  ["LREM", "l", "0", "nothing"],
  ["RPUSH", "l", "1", "2", "3"],
  ["LTRIM", "l", "0", "1"],
  ["LTRIM", "l", "0", "-1"], // removes nothing: still an event
  ["LTRIM", "l", "5", "10"],
  ["RPUSH", "src", "1", "2"],
  ["LMOVE", "src", "dst", "LEFT", "RIGHT"],
  ["RPOPLPUSH", "src", "dst"],
  ["LMOVE", "dst", "dst", "LEFT", "LEFT"],
  ["LMPOP", "2", "none", "dst", "LEFT", "COUNT", "5"],
  ["RPUSH", "p", "1"],
  ["LPOP", "p"],
  { background: ["BLPOP", "q", "0"] },
  ["RPUSH", "q", "v1", "v2"],
  { background: ["BLMOVE", "q2", "d2", "RIGHT", "LEFT", "0"] },
  ["LPUSH", "q2", "w"],
]);

await notifyTest("hashes", "KEA", [
  ["HSET", "h", "a", "1", "b", "2"],
  ["HSET", "h", "a", "1"],
  ["HSETNX", "h", "a", "1"],
  ["HSETNX", "h", "c", "3"],
  ["HMSET", "h", "d", "4"],
  ["HDEL", "h", "a", "missing"],
  ["HDEL", "h", "missing"],
  ["HINCRBY", "h", "n", "1"],
  ["HINCRBYFLOAT", "h", "f", "1.5"],
  ["HDEL", "h", "b", "c", "d", "n", "f"],
  ["HINCRBY", "h2", "x", "5"],
]);

await notifyTest("sets", "KEA", [
  ["SADD", "s", "a", "b", "c"],
  ["SADD", "s", "a"],
  ["SREM", "s", "a", "zz"],
  ["SREM", "s", "zz"],
  ["SPOP", "s"],
  ["SADD", "s", "x", "y"],
  ["SPOP", "s", "1"],
  ["SPOP", "s", "10"],
  ["SADD", "s1", "a", "b"],
  ["SADD", "s2", "b", "c"],
  ["SMOVE", "s1", "s2", "a"],
  ["SMOVE", "s1", "s3", "b"],
  ["SMOVE", "s1", "s3", "b"],
  ["SINTERSTORE", "d", "s2", "s3"],
  ["SINTERSTORE", "d", "s2", "none"],
  ["SUNIONSTORE", "u", "s2", "s3"],
  ["SDIFFSTORE", "u", "s2", "s3"],
  ["SDIFFSTORE", "u", "none", "s2"],
  ["SREM", "s3", "b"],
]);

await notifyTest("sorted sets", "KEA", [
  ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
  ["ZADD", "z", "1", "a"],
  ["ZADD", "z", "5", "a"],
  ["ZADD", "z", "INCR", "1", "a"],
  ["ZINCRBY", "z", "2", "b"],
  ["ZREM", "z", "a", "missing"],
  ["ZREM", "z", "missing"],
  ["ZPOPMIN", "z"],
  ["ZPOPMAX", "z", "5"],
  ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
  ["ZREMRANGEBYSCORE", "z", "1", "1"],
  ["ZREMRANGEBYSCORE", "z", "100", "200"],
  ["ZREMRANGEBYRANK", "z", "0", "0"],
  ["ZREMRANGEBYLEX", "z", "-", "+"],
  ["ZADD", "z1", "1", "a", "2", "b"],
  ["ZADD", "z2", "1", "b"],
  ["ZUNIONSTORE", "u", "2", "z1", "z2"],
  ["ZINTERSTORE", "i", "2", "z1", "z2"],
  ["ZINTERSTORE", "i", "2", "z1", "none"],
  ["ZDIFFSTORE", "df", "2", "z1", "z2"],
  ["ZRANGESTORE", "rs", "z1", "0", "-1"],
  ["ZRANGESTORE", "rs", "none", "0", "-1"],
  ["ZMPOP", "1", "z2", "MIN"],
  { background: ["BZPOPMIN", "bq", "0"] },
  ["ZADD", "bq", "1", "m"],
]);

// --- class filtering -----------------------------------------------------------

const mixed: NStep[] = [
  ["SET", "s", "1"],
  ["RPUSH", "l", "a"],
  ["LPOP", "l"],
  ["HSET", "h", "f", "v"],
  ["SADD", "st", "m"],
  ["ZADD", "z", "1", "m"],
  ["EXPIRE", "s", "100"],
  ["DEL", "h"],
  ["SET", "t", "1", "PX", "1"],
  { sleep: 30 },
  ["GET", "t"],
];

await notifyTest("class Kl: list keyspace events only", "Kl", mixed);
await notifyTest("class Ex: expired keyevents only", "Ex", mixed);
await notifyTest("class E$g", "E$g", mixed);
await notifyTest("class Kshz", "Kshz", mixed);
await notifyTest("no-ops and errors raise nothing; edge writes", "KEA", [
  ["SET", "s", "v"],
  ["RPUSH", "l", "a"],
  ["LPUSH", "s", "x"],
  ["SET", "l", "v", "GET"],
  ["INCR", "s"],
  ["ZADD", "z", "1", "a"],
  ["ZADD", "z", "XX", "1", "nope"],
  ["ZADD", "z", "NX", "5", "a"],
  ["ZADD", "z", "GT", "0", "a"],
  ["ZADD", "z", "GT", "CH", "9", "a"],
  ["ZADD", "z", "INCR", "NX", "1", "a"],
  ["ZPOPMIN", "z", "10"],
  ["ZMPOP", "1", "z", "MIN"],
  ["HSET", "h", "a", "1"],
  ["HINCRBYFLOAT", "h", "a", "0"],
  ["HDEL", "h", "a"],
  ["SADD", "st", "a"],
  ["SPOP", "st", "0"],
  ["SINTERCARD", "1", "st"],
  ["SMISMEMBER", "st", "a"],
  ["GETEX", "s", "EXAT", "1"],
  ["GETEX", "nokey", "EX", "10"],
  ["SETRANGE", "sr", "3", "abc"],
  ["EXPIRE", "sr", "100", "GT"],
  ["EXPIRE", "sr", "100", "LT"],
  ["PERSIST", "sr"],
  ["LMPOP", "1", "l", "RIGHT"],
  ["BLMPOP", "0.01", "1", "l", "LEFT"],
  ["RPUSH", "l2", "a", "b"],
  ["BLMPOP", "0", "1", "l2", "LEFT", "COUNT", "5"],
  ["ZADD", "bz", "1", "a"],
  ["BZMPOP", "0", "1", "bz", "MAX"],
  ["BZPOPMAX", "bz", "0.01"],
]);
await notifyTest("active expiry", "KEA", [
  ["SET", "t", "v", "PX", "1"],
  ["MSET", "a", "1", "b", "2"],
  { sleep: 250 },
]);
await notifyTest("inside MULTI/EXEC", "KEA", [
  ["MULTI"],
  ["SET", "a", "1"],
  ["RPUSH", "l", "x"],
  ["INCR", "a"],
  ["DEL", "l"],
  ["EXEC"],
]);
await notifyTest("FLUSHALL, FLUSHDB and SWAPDB raise no events", "KEA", [
  ["SWAPDB", "0", "1"],
  ["FLUSHDB"],
  ["SELECT", "1"],
  ["FLUSHALL"],
  ["SELECT", "0"],
], { none: true, setup: [["SET", "a", "1"], ["RPUSH", "l", "x"], ["SET", "t", "v", "EX", "100"]] });
await notifyTest("no K or E: nothing", "A", mixed, { none: true });
await notifyTest("K without classes: nothing", "K", mixed, { none: true });
await notifyTest("empty: nothing", "", mixed, { none: true });
await notifyTest("class n: new keys", "KEAn", [
  ["SET", "s", "1"],
  ["SET", "s", "2"],
  ["RPUSH", "l", "a"],
  ["RPUSH", "l", "b"],
  ["HSET", "h", "f", "v"],
  ["SADD", "st", "m"],
  ["ZADD", "z", "1", "m"],
  ["RENAME", "s", "s2"],
  ["COPY", "s2", "s3"],
  ["MOVE", "s3", "1"],
  ["INCR", "n"],
  ["SETBIT", "b", "1", "1"],
  ["LMOVE", "l", "l2", "LEFT", "LEFT"],
  ["SINTERSTORE", "d", "st", "st"],
  ["ZUNIONSTORE", "zd", "1", "z"],
]);
await notifyTest("class n alone with E", "En", [
  ["SET", "s", "1"],
  ["SET", "s", "2"],
  ["DEL", "s"],
  ["SET", "s", "3"],
]);
await notifyTest("writes over expired keys", "KEAn", [
  // Lazy expiry only, so the expired events come in command order.
  ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
  ["SET", "s", "1", "PX", "1"],
  ["RPUSH", "l", "a"],
  ["PEXPIRE", "l", "1"],
  ["HSET", "h", "f", "v"],
  ["PEXPIRE", "h", "1"],
  ["SET", "b", "x", "PX", "1"],
  { sleep: 30 },
  ["SET", "s", "2"],
  ["RPUSH", "l", "b"],
  ["HSET", "h", "g", "w"],
  ["SETBIT", "b", "3", "1"],
  ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
]);

// --- beyond the built-in families ----------------------------------------------

/** Reads pmessage frames until `n` arrived; returns (channel, message) pairs. */
async function readEvents(sub: RawClient, n: number): Promise<[string, string][]> {
  const out: [string, string][] = [];
  while (out.length < n) {
    const v = (await sub.read(2000)).value as string[];
    out.push([v[2]!, v[3]!]);
  }
  return out;
}

const respiteHasPubsub = (await missingCommands([])).length === 0;

Deno.test({
  name: `notify: a user plugin's writes raise events${
    respiteHasPubsub ? "" : " (missing: psubscribe)"
  }`,
  ignore: !respiteHasPubsub,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({
      plugins: [counter],
      config: { "notify-keyspace-events": "KEdgn" },
    });
    const cmd = await RawClient.connect(s.port);
    const sub = await RawClient.connect(s.port);
    try {
      assertEquals(await cmd.call("CONFIG", "GET", "notify-keyspace-events"), [
        "notify-keyspace-events",
        "gdnKE",
      ]);
      await sub.call("PSUBSCRIBE", "__key*__:*");
      assertEquals(await cmd.call("COUNTER.INCR", "c", "5"), 5);
      assertEquals(await cmd.call("COUNTER.INCR", "c"), 6);
      assertEquals(await cmd.call("COUNTER.RESET", "c"), 6);
      await cmd.call("PUBLISH", END, "end");
      assertEquals(await readEvents(sub, 9), [
        ["__keyspace@0__:c", "new"],
        ["__keyevent@0__:new", "c"],
        ["__keyspace@0__:c", "counter.incr"],
        ["__keyevent@0__:counter.incr", "c"],
        ["__keyspace@0__:c", "counter.incr"],
        ["__keyevent@0__:counter.incr", "c"],
        ["__keyspace@0__:c", "del"],
        ["__keyevent@0__:del", "c"],
        [END, "end"],
      ]);
    } finally {
      cmd.close();
      sub.close();
      await s.close();
    }
  },
});

Deno.test({
  name: `notify: through ioredis${respiteHasPubsub ? "" : " (missing: psubscribe)"}`,
  ignore: !respiteHasPubsub,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    const sub = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    try {
      await io.connect();
      await sub.connect();
      assertEquals(await io.config("SET", "notify-keyspace-events", "KEA"), "OK");
      assertEquals(await io.config("GET", "notify-keyspace-events"), [
        "notify-keyspace-events",
        "AKE",
      ]);
      const got: string[][] = [];
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      sub.on("pmessage", (pattern: string, channel: string, message: string) => {
        if (channel === "__keyend__:end") done();
        else got.push([pattern, channel, message]);
      });
      await sub.psubscribe("__key*__:*");
      await io.set("k", "v", "EX", 100);
      await io.hset("h", "f", "1");
      await io.del("k", "h");
      await io.publish("__keyend__:end", "end");
      await finished;
      const p = "__key*__:*";
      assertEquals(got, [
        [p, "__keyspace@0__:k", "set"],
        [p, "__keyevent@0__:set", "k"],
        [p, "__keyspace@0__:k", "expire"],
        [p, "__keyevent@0__:expire", "k"],
        [p, "__keyspace@0__:h", "hset"],
        [p, "__keyevent@0__:hset", "h"],
        [p, "__keyspace@0__:k", "del"],
        [p, "__keyevent@0__:del", "k"],
        [p, "__keyspace@0__:h", "del"],
        [p, "__keyevent@0__:del", "h"],
      ]);
    } finally {
      io.disconnect();
      sub.disconnect();
      await s.close();
    }
  },
});
