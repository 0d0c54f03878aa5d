/**
 * Redis 7.0 functions: differential tests against redis-server 7.0 (every
 * FUNCTION subcommand and error, register_function's forms and errors,
 * FCALL/FCALL_RO with flags and conversions, ACL), FUNCTION DUMP/RESTORE
 * across the two servers, RDB files both ways, DEBUG RELOAD, the AOF
 * rewrite, propagation, and ioredis.
 */

import { Redis } from "ioredis";
import { assertEquals, assertOk } from "../_assert.ts";
import {
  captureWrites,
  diffDirty,
  diffTest,
  hasRedis,
  RawClient,
  type Reply,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";

const FLUSH = ["FUNCTION", "FLUSH"];
const lib = (name: string, body: string) => `#!lua name=${name}\n${body}`;
const LOAD = (name: string, body: string) => ["FUNCTION", "LOAD", lib(name, body)];
const one = (fn: string) => `redis.register_function('${fn}', function(keys, args) return 1 end)`;

diffTest("FUNCTION LOAD: metadata and library errors", [
  FLUSH,
  ["FUNCTION", "LOAD", "return 1"],
  ["FUNCTION", "LOAD", "#!lua"],
  ["FUNCTION", "LOAD", "#!lua\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua name=\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua name=x name=y\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua foo=bar\nreturn 1"],
  ["FUNCTION", "LOAD", "#!python name=x\nreturn 1"],
  ["FUNCTION", "LOAD", "#! name=x\nreturn 1"],
  ["FUNCTION", "LOAD", "  #!lua name=x\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua name='unbalanced\nreturn 1"],
  ["FUNCTION", "LOAD", "#!LUA NAME=x\nreturn 1"],
  ["FUNCTION", "LOAD", '#!lua   name="q1"  \r\n' + one("q1")],
  LOAD("x", "return 1 +"),
  LOAD("x", "local x = 1"),
  LOAD("x", one("f")),
  LOAD("x", one("g")),
  ["FUNCTION", "LOAD", "REPLACE", lib("y", one("f"))],
  ["FUNCTION", "LOAD", "replace", "REPLACE", lib("x", one("F"))],
  ["FUNCTION", "LOAD", "foo", lib("x", one("f"))],
  ["FUNCTION", "LOAD"],
  ["FCALL", "f", "0"],
  { cmd: ["FUNCTION", "LIST"], unordered: true },
]);

diffTest("FUNCTION LOAD: the loading environment", [
  FLUSH,
  LOAD("x", "error('boom')"),
  LOAD("x", "local x = 1\n\n\nlocal y = string.format('%d', 1)"),
  LOAD("x", "redis.call('set','a','b')"),
  LOAD("x", "redis.pcall('set','a','b')"),
  LOAD("x", "redis.setresp(3)"),
  LOAD("x", "local a = KEYS"),
  LOAD("x", "local s = cjson.encode({1})"),
  LOAD("x", "a = 1"),
  LOAD("x", "redis.x = 1"),
  LOAD("x", "_G.x = 1"),
  LOAD("x", "redis.log(1)"),
  LOAD("x", "redis.register_function('f', function() return 1 end) local _ = nosuch"),
  LOAD(
    "x",
    "local a = redis.LOG_WARNING .. redis.REDIS_VERSION_NUM .. redis.REDIS_VERSION " +
      "redis.log(redis.LOG_NOTICE, 'loading') " +
      "redis.register_function('f', function() return a end)",
  ),
  ["FCALL", "f", "0"],
  ["GET", "a"],
]);

const REG_CASES = [
  "redis.register_function('f', function() return 1 end) redis.register_function('f', function() return 1 end)",
  "redis.register_function('f-1', function() return 1 end)",
  "redis.register_function('', function() return 1 end)",
  "redis.register_function('f')",
  "redis.register_function(5)",
  "redis.register_function(1, 2)",
  "redis.register_function({}, 2)",
  "redis.register_function('a', 2, 3)",
  "redis.register_function()",
  "redis.register_function{function_name='f'}",
  "redis.register_function{callback=function() end}",
  "redis.register_function{function_name='f', callback=function() end, foo=1}",
  "redis.register_function{function_name='f', callback=function() end, flags={'bad'}}",
  "redis.register_function{function_name='f', callback=function() end, flags='no-writes'}",
  "redis.register_function{function_name='f', callback=function() end, flags={{}}}",
  "redis.register_function{function_name='f', callback=function() end, description=function() end}",
  "redis.register_function{function_name='f', callback=1}",
  "redis.register_function{function_name={}, callback=function() end}",
  "redis.register_function{[1]='f', callback=function() end}",
  "redis.register_function{FUNCTION_NAME='f', Callback=function() return 'named' end, description=5}",
  "redis.register_function(7, function() return 'seven' end)",
  "local function f() return 'shared' end redis.register_function('f', f) redis.register_function('g', f)",
  "redis.register_function('f', function(keys, args) return redis.register_function('g', function() end) end)",
  "redis.register_function('f', function(keys, args) return #KEYS end)",
];

diffTest(
  "redis.register_function: positional and named forms, every error",
  REG_CASES.flatMap((body) => [
    FLUSH,
    LOAD("x", body),
    ["FCALL", "f", "0"],
    ["FCALL", "7", "0"],
  ]),
);

const LIB1 = lib(
  "lib1",
  "redis.register_function{function_name='set1', callback=function(k, a) " +
    "return redis.call('set', k[1], a[1]) end, description='writes a key'}",
);
const LIB2 = lib(
  "lib2",
  "redis.register_function{function_name='get1', callback=function(k) " +
    "return redis.call('get', k[1]) end, flags={'no-writes', 'ALLOW-STALE', 'allow-oom', " +
    "'no-cluster', 'allow-cross-slot-keys'}}",
);
const LIB3 = lib(
  "other",
  "redis.register_function('nested', function() return redis.call('fcall', 'get1', 0) end)",
);
const LIB4 = lib(
  "lib4",
  "redis.register_function{function_name='rowrite', callback=function() " +
    "return redis.call('set', 'x', 'y') end, flags={'no-writes'}}",
);
const LIB5 = lib(
  "lib5",
  "redis.register_function('conv', function(k, a) " +
    "local t = {} for i, v in ipairs(a) do t[i] = v end " +
    "if a[1] == 'err' then return redis.error_reply('MY bad') end " +
    "if a[1] == 'status' then return redis.status_reply('fine') end " +
    "if a[1] == 'raise' then error('oops') end " +
    "if a[1] == 'call' then return redis.call('nosuchcmd') end " +
    "if a[1] == 'pcall' then return redis.pcall('incr', 'str') end " +
    "if a[1] == 'resp3' then redis.setresp(3) return redis.call('hgetall', 'h') end " +
    "if a[1] == 'num' then return 3.99 end " +
    "if a[1] == 'nil' then return nil end " +
    "if a[1] == 'bool' then return {true, false} end " +
    "return {k, t, #k, #a} end)",
);

diffTest("FCALL / FCALL_RO: arguments, flags, conversions, errors", [
  FLUSH,
  ["FUNCTION", "LOAD", LIB1],
  ["FUNCTION", "LOAD", LIB2],
  ["FUNCTION", "LOAD", LIB3],
  ["FUNCTION", "LOAD", LIB4],
  ["FUNCTION", "LOAD", LIB5],
  ["FCALL", "set1", "1", "k", "v"],
  ["FCALL", "SET1", "1", "k", "v2"],
  ["FCALL", "get1", "1", "k"],
  ["FCALL_RO", "get1", "1", "k"],
  ["FCALL_RO", "set1", "1", "k", "v"],
  ["FCALL", "nested", "0"],
  ["FCALL", "rowrite", "0"],
  ["FCALL_RO", "rowrite", "0"],
  ["FCALL", "set1", "x"],
  ["FCALL", "set1", "3", "a"],
  ["FCALL", "set1", "-1"],
  ["FCALL", "nosuch", "x"],
  ["FCALL_RO", "nosuch", "0"],
  ["FCALL", "set1"],
  ["EVAL", "return redis.call('fcall','get1',0)", "0"],
  ["FCALL", "conv", "2", "a", "b", "c", "d"],
  ["FCALL", "conv", "0"],
  ["FCALL", "conv", "0", "err"],
  ["FCALL", "conv", "0", "status"],
  ["FCALL", "conv", "0", "raise"],
  ["FCALL", "conv", "0", "call"],
  ["SET", "str", "abc"],
  ["FCALL", "conv", "0", "pcall"],
  ["HSET", "h", "f", "v"],
  ["FCALL", "conv", "0", "resp3"],
  ["FCALL", "conv", "0", "num"],
  ["FCALL", "conv", "0", "nil"],
  ["FCALL", "conv", "0", "bool"],
  ["MULTI"],
  ["FCALL", "set1", "1", "m", "1"],
  ["FUNCTION", "LOAD", lib("m", one("m1"))],
  ["FCALL", "m1", "0"],
  ["EXEC"],
  ["GET", "m"],
]);

diffTest("FUNCTION LIST / STATS / DELETE / FLUSH / KILL / HELP", [
  FLUSH,
  ["FUNCTION", "LIST"],
  ["FUNCTION", "STATS"],
  ["FUNCTION", "LOAD", LIB1],
  ["FUNCTION", "LOAD", LIB2],
  ["FUNCTION", "LOAD", lib("zz", one("zz1"))],
  { cmd: ["FUNCTION", "LIST"], unordered: true },
  { cmd: ["FUNCTION", "LIST", "WITHCODE"], unordered: true },
  { cmd: ["FUNCTION", "LIST", "LIBRARYNAME", "LIB*"], unordered: true },
  ["FUNCTION", "LIST", "libraryname", "*2", "withcode"],
  ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "nomatch"],
  ["FUNCTION", "LIST", "LIBRARYNAME"],
  ["FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"],
  ["FUNCTION", "LIST", "WITHCODE", "WITHCODE"],
  ["FUNCTION", "LIST", "foo"],
  ["FUNCTION", "STATS"],
  ["FUNCTION", "STATS", "x"],
  ["FUNCTION", "DELETE", "LIB1"],
  ["FUNCTION", "DELETE", "lib1"],
  ["FUNCTION", "DELETE", "lib1"],
  ["FUNCTION", "DELETE"],
  ["FCALL", "set1", "1", "k", "v"],
  { cmd: ["FUNCTION", "LIST"], unordered: true },
  ["FUNCTION", "KILL"],
  ["FUNCTION", "FLUSH", "foo"],
  ["FUNCTION", "FLUSH", "SYNC", "x"],
  ["FUNCTION", "FLUSH", "ASYNC"],
  ["FUNCTION", "LIST"],
  ["FUNCTION", "FOO"],
  ["FUNCTION", "HELP"],
  ["FUNCTION", "DUMP"],
  ["FUNCTION", "RESTORE", "garbage"],
  ["FUNCTION", "RESTORE", "garbage", "FOO"],
  ["FUNCTION", "RESTORE", "garbage", "FLUSH", "X"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["FUNCTION", "LOAD", LIB2],
  ["FUNCTION", "LIST", "WITHCODE"],
  ["FUNCTION", "STATS"],
  { cmd: ["HELLO", "2"], shapeOnly: true },
  ["COMMAND", "INFO", "fcall", "fcall_ro", "function|load", "function|list", "function|stats"],
]);

diffTest("ACL: FCALL needs @scripting, keys are checked", [
  FLUSH,
  ["FUNCTION", "LOAD", LIB1],
  ["ACL", "SETUSER", "fn-none", "on", "nopass", "~*", "+@all", "-@scripting"],
  ["ACL", "SETUSER", "fn-lim", "on", "nopass", "~k*", "+fcall", "+get", "+set", "+function|list"],
  ["AUTH", "fn-none", "x"],
  ["FCALL", "set1", "1", "k", "v"],
  ["FUNCTION", "LIST"],
  ["AUTH", "fn-lim", "x"],
  ["FCALL", "set1", "1", "k1", "v"],
  ["FCALL", "set1", "1", "zz", "v"],
  ["FUNCTION", "LIST"],
  ["FUNCTION", "FLUSH"],
  ["AUTH", "default", "x"],
  ["ACL", "DELUSER", "fn-none", "fn-lim"],
]);

/** FUNCTION LIST with libraries and their functions sorted (Redis's order is its hash's). */
function sortedList(r: Reply): Reply {
  const libs = (r as Reply[]).map((l) => {
    const a = [...(l as Reply[])];
    a[5] = [...(a[5] as Reply[])].sort((x, y) => JSON.stringify(x) < JSON.stringify(y) ? -1 : 1);
    return a;
  });
  return libs.sort((x, y) => JSON.stringify(x) < JSON.stringify(y) ? -1 : 1);
}

Deno.test({
  name: "functions: FUNCTION DUMP / RESTORE across Respite and redis-server, policies",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRealRedis();
    const respite = await startRespite();
    const a = await RawClient.connect(redis.port), b = await RawClient.connect(respite.port);
    try {
      const multi = lib(
        "multi",
        "redis.register_function('m1', function() return 'one' end)\n" +
          "redis.register_function{function_name='m2', callback=function() return 2 end, " +
          "flags={'no-writes'}, description='a long enough description for compression'}",
      );
      for (const c of [a, b]) {
        assertEquals(await c.call("FUNCTION", "LOAD", multi), "multi");
        assertEquals(await c.call("FUNCTION", "LOAD", LIB1), "lib1");
      }
      // Dumps restore on the other side. (Their bytes may differ: LZF
      // implementations may pick different back-references.)
      const fromRedis = await a.call("FUNCTION", "DUMP") as string;
      const fromRespite = await b.call("FUNCTION", "DUMP") as string;
      const want = sortedList(await a.call("FUNCTION", "LIST", "WITHCODE"));
      const steps = async (c: RawClient, payload: string) => [
        await c.call("FUNCTION", "RESTORE", payload),
        await c.call("FUNCTION", "FLUSH"),
        await c.call("FUNCTION", "RESTORE", payload),
        sortedList(await c.call("FUNCTION", "LIST", "WITHCODE")),
        await c.call("FCALL", "m1", "0"),
        await c.call("FUNCTION", "RESTORE", payload, "APPEND"),
        await c.call("FUNCTION", "RESTORE", payload, "replace"),
        await c.call("FUNCTION", "DELETE", "lib1"),
        await c.call("FUNCTION", "LOAD", lib("clash", one("m1"))),
        await c.call("FUNCTION", "LOAD", lib("clash", one("set1"))),
        await c.call("FUNCTION", "RESTORE", payload, "REPLACE"),
        await c.call("FUNCTION", "RESTORE", payload, "FLUSH"),
        sortedList(await c.call("FUNCTION", "LIST", "WITHCODE")),
        await c.call("SET", "k", "v"),
        await c.call("FUNCTION", "RESTORE", await c.call("DUMP", "k") as string),
        await c.call("FUNCTION", "RESTORE", payload.slice(0, -1) + "x"),
      ];
      const ra = await steps(a, fromRespite), rb = await steps(b, fromRedis);
      assertEquals(rb, ra);
      assertEquals(ra[3], want);
      assertEquals(ra[4], "one");
    } finally {
      a.close();
      b.close();
      await respite.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "functions: RDB both ways with redis-server, DEBUG RELOAD, restart",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-fn-" });
    let respite = await startRespite({
      config: { dir, dbfilename: "respite.rdb", "enable-debug-command": "yes" },
    });
    let b = await RawClient.connect(respite.port);
    let redis;
    try {
      assertEquals(await b.call("FUNCTION", "LOAD", LIB1), "lib1");
      assertEquals(await b.call("FUNCTION", "LOAD", LIB2), "lib2");
      assertEquals(await b.call("DEBUG", "RELOAD"), "OK");
      assertEquals(await b.call("FCALL", "set1", "1", "k", "v"), "OK");
      assertEquals(await b.call("FCALL_RO", "get1", "1", "k"), "v");
      assertEquals(await b.call("SAVE"), "OK");
      const want = sortedList(await b.call("FUNCTION", "LIST", "WITHCODE"));
      b.close();
      await respite.close();
      // Respite's file in redis-server.
      redis = await startRealRedis(["--dir", dir, "--dbfilename", "respite.rdb"]);
      const a = await RawClient.connect(redis.port);
      assertEquals(sortedList(await a.call("FUNCTION", "LIST", "WITHCODE")), want);
      assertEquals(await a.call("FCALL", "get1", "1", "k"), "v");
      assertEquals(await a.call("FUNCTION", "DELETE", "lib1"), "OK");
      assertEquals(await a.call("FUNCTION", "LOAD", lib("fromredis", one("r1"))), "fromredis");
      assertEquals(await a.call("SAVE"), "OK");
      const want2 = sortedList(await a.call("FUNCTION", "LIST", "WITHCODE"));
      a.close();
      // redis-server's file in Respite (a restart).
      respite = await startRespite({ config: { dir, dbfilename: "respite.rdb" } });
      b = await RawClient.connect(respite.port);
      assertEquals(sortedList(await b.call("FUNCTION", "LIST", "WITHCODE")), want2);
      assertEquals(await b.call("FCALL", "r1", "0"), 1);
      assertEquals(await b.call("FCALL", "get1", "1", "k"), "v");
      assertEquals(await b.call("FCALL", "set1", "1", "k", "v"), {
        error: "ERR Function not found",
      });
    } finally {
      b.close();
      await respite.close();
      await redis?.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "functions: an AOF rewrite without RDB preamble keeps libraries (FUNCTION LOAD first)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-fn-aof-" });
    const config = { dir, appendonly: "yes", "aof-use-rdb-preamble": "no" };
    let h = await startRespite({ config });
    let c = await RawClient.connect(h.port);
    try {
      assertEquals(await c.call("FUNCTION", "LOAD", LIB1), "lib1");
      assertEquals(await c.call("FCALL", "set1", "1", "k", "v"), "OK");
      assertEquals(await c.call("BGREWRITEAOF"), "Background append only file rewriting started");
      for (let i = 0; i < 100; i++) {
        const info = await c.call("INFO", "persistence") as string;
        if (info.includes("aof_rewrite_in_progress:0") && info.includes("aof_rewrites:1")) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const base = [...Deno.readDirSync(`${dir}/appendonlydir`)].find((e) =>
        e.name.endsWith(".base.aof")
      );
      assertOk(base !== undefined);
      const text = Deno.readTextFileSync(`${dir}/appendonlydir/${base.name}`);
      assertOk(text.startsWith("*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n"), text.slice(0, 60));
      assertEquals(await c.call("FUNCTION", "LOAD", lib("later", one("l1"))), "later");
      c.close();
      await h.close();
      h = await startRespite({ config });
      c = await RawClient.connect(h.port);
      assertEquals(await c.call("FCALL", "l1", "0"), 1);
      assertEquals(await c.call("FCALL", "set1", "1", "k", "w"), "OK");
      assertEquals(await c.call("GET", "k"), "w");
    } finally {
      c.close();
      await h.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "functions: FUNCTION commands propagate as themselves, FCALL as its effects",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cap = captureWrites();
    const h = await startRespite({ plugins: [cap.plugin] });
    const c = await RawClient.connect(h.port);
    try {
      assertEquals(await c.call("FUNCTION", "LOAD", LIB1), "lib1");
      assertEquals(await c.call("FUNCTION", "LOAD", LIB1), {
        error: "ERR Library 'lib1' already exists",
      });
      const multi = lib(
        "multi",
        "redis.register_function('two', function(k) redis.call('set', k[1], '1') " +
          "return redis.call('incr', k[1]) end)\n" +
          "redis.register_function{function_name='ro', callback=function(k) " +
          "return redis.call('get', k[1]) end, flags={'no-writes'}}",
      );
      assertEquals(await c.call("FUNCTION", "LOAD", multi), "multi");
      assertEquals(cap.propagated, [["FUNCTION", "LOAD", LIB1], ["FUNCTION", "LOAD", multi]]);
      cap.propagated.length = 0;
      assertEquals(await c.call("FCALL", "two", "1", "k"), 2);
      assertEquals(await c.call("FCALL_RO", "ro", "1", "k"), "2");
      assertEquals(await c.call("FCALL", "set1", "1", "s", "v"), "OK");
      assertEquals(cap.propagated, [
        ["MULTI"],
        ["set", "k", "1"],
        ["incr", "k"],
        ["EXEC"],
        ["set", "s", "v"],
      ]);
      cap.propagated.length = 0;
      assertEquals(await c.call("FUNCTION", "DELETE", "lib1"), "OK");
      assertEquals(await c.call("FUNCTION", "DELETE", "lib1"), { error: "ERR Library not found" });
      const dump = await c.call("FUNCTION", "DUMP") as string;
      assertEquals(await c.call("FUNCTION", "RESTORE", dump, "FLUSH"), "OK");
      assertEquals(await c.call("FUNCTION", "FLUSH"), "OK");
      assertEquals(cap.propagated, [
        ["FUNCTION", "DELETE", "lib1"],
        ["FUNCTION", "RESTORE", dump, "FLUSH"],
        ["FUNCTION", "FLUSH"],
      ]);
    } finally {
      c.close();
      await h.close();
    }
  },
});

Deno.test({
  name: "functions: ioredis FUNCTION LOAD and FCALL",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const h = await startRespite();
    const r = new Redis({ port: h.port, lazyConnect: true });
    try {
      await r.connect();
      assertEquals(await r.call("FUNCTION", "LOAD", LIB1), "lib1");
      assertEquals(await r.call("FUNCTION", "LOAD", LIB2), "lib2");
      assertEquals(await r.call("FCALL", "set1", 1, "key", "value"), "OK");
      assertEquals(await r.call("FCALL_RO", "get1", 1, "key"), "value");
      assertEquals(await r.get("key"), "value");
      let err = "";
      try {
        await r.call("FCALL_RO", "set1", 1, "key", "x");
      } catch (e) {
        err = (e as Error).message;
      }
      assertEquals(err, "ERR Can not execute a script with write flag using *_ro command.");
      const list = await r.call("FUNCTION", "LIST", "LIBRARYNAME", "lib1") as unknown[];
      assertEquals(list, [[
        "library_name",
        "lib1",
        "engine",
        "LUA",
        "functions",
        [["name", "set1", "description", "writes a key", "flags", []]],
      ]]);
    } finally {
      r.disconnect();
      await h.close();
    }
  },
});

/** FUNCTION DUMP of library `d` (function `d1`), as redis-server 7.0 makes it. */
const DUMP_D = "\xf5@C#!lua name=d\x0aredis.register_function('d1', function() return 1 end)" +
  "\x0a\x00\xfc+\xdb\x13\x94\x1f\xadi";

diffDirty("FUNCTION LOAD, DELETE, FLUSH and RESTORE count one change each; FCALL its writes", [
  FLUSH,
  LOAD("dl", one("dl1")),
  LOAD("dl", one("dl1")),
  ["FUNCTION", "LOAD", "REPLACE", lib("dl", one("dl1"))],
  ["FUNCTION", "LOAD", lib("bad", "return 1")],
  ["FUNCTION", "LIST"],
  ["FUNCTION", "DUMP"],
  ["FUNCTION", "STATS"],
  ["FUNCTION", "DELETE", "dl"],
  ["FUNCTION", "DELETE", "dl"],
  FLUSH,
  FLUSH,
  ["FUNCTION", "FLUSH", "SYNC"],
  ["FUNCTION", "RESTORE", DUMP_D],
  ["FUNCTION", "RESTORE", DUMP_D],
  ["FUNCTION", "RESTORE", DUMP_D, "REPLACE"],
  ["FUNCTION", "RESTORE", DUMP_D, "FLUSH"],
  ["FUNCTION", "RESTORE", "garbage"],
  ["FUNCTION", "RESTORE", DUMP_D, "BAD"],
  LOAD(
    "fw",
    "redis.register_function('w', function(keys) redis.call('set', keys[1], 'x') " +
      "return redis.call('incr', keys[2]) end)\n" +
      "redis.register_function{function_name='r', callback=function(keys) " +
      "return redis.call('get', keys[1]) end, flags={'no-writes'}}",
  ),
  ["FCALL", "w", "2", "fd:a", "fd:n"],
  ["FCALL", "r", "1", "fd:a"],
  ["FCALL_RO", "r", "1", "fd:a"],
  ["FCALL", "nofn", "0"],
  FLUSH,
]);
