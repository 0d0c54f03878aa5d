/**
 * Lua scripting: differential tests against redis-server 7.0 (conversions
 * both ways in RESP2 and RESP3, errors and their formats, the sandbox, the
 * script cache, read-only variants, SELECT), propagation of a script's
 * effects, and ioredis's defineCommand (EVALSHA, then EVAL on NOSCRIPT).
 */

import { Redis, type Result } from "ioredis";

// ioredis's way of typing a command added with defineCommand.
declare module "ioredis" {
  interface RedisCommander<Context> {
    addTwo(key: string, n: number): Result<number, Context>;
  }
}
import { assertEquals } from "../_assert.ts";
import {
  captureWrites,
  diffDirty,
  diffTest,
  freePort,
  hasRedis,
  RawClient,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";

const E = (script: string, ...rest: string[]) => ["EVAL", script, ...rest];

diffTest("lua to redis conversions (RESP2)", [
  E("return 3.99", "0"),
  E("return -3.99", "0"),
  E("return 1e20", "0"),
  E("return 2147483647 + 1", "0"),
  E("return tonumber('5') * 1000000000", "0"),
  E("return {1,2,3,'ciao',{1,2}}", "0"),
  E("return {1,nil,3}", "0"),
  E("return {}", "0"),
  E("return true", "0"),
  E("return false", "0"),
  E("return nil", "0"),
  E("return 'bin\\0ary'", "0"),
  E("return {ok='fine'}", "0"),
  E("return {err='My Error'}", "0"),
  E("return redis.status_reply('x')", "0"),
  E("return redis.error_reply('x')", "0"),
  E("return redis.error_reply('MY code')", "0"),
  E("return redis.error_reply('-X y')", "0"),
  E("return redis.status_reply(1)", "0"),
  E("return {double=3.5}", "0"),
  E("return {big_number='123'}", "0"),
  E("return {map={a=1}}", "0"),
  E("return {set={a=true}}", "0"),
  E("return {verbatim_string={format='txt',string='hi'}}", "0"),
  E("return {1, 2.5, 'x', true, false, nil}", "0"),
  E("return tostring(10/2)", "0"),
  E("return KEYS[1]..ARGV[1]..#KEYS..#ARGV", "1", "a", "b", "c"),
]);

diffTest("lua to redis conversions (RESP3)", [
  { cmd: ["HELLO", "3"], shapeOnly: true },
  E("return {double=3.5}", "0"),
  E("return {big_number='123'}", "0"),
  E("return {map={a=1}}", "0"),
  E("return {set={a=true}}", "0"),
  E("return {verbatim_string={format='txt',string='hi'}}", "0"),
  E("return true", "0"),
  E("return false", "0"),
  E("return nil", "0"),
  E("redis.setresp(3) return {true, false}", "0"),
  E("redis.setresp(3) return false", "0"),
]);

// Lua 5.1's numbers: all doubles, printed with %.14g; hex numerals read in
// full (BullMQ's priorities multiply by 0x100000000).
diffTest("numbers print and parse as Lua 5.1's", [
  [
    "EVAL",
    "return {tostring(0/0), tostring(1e15), tostring(1e-5), tostring(2^53), tostring(0.1+0.2), " +
    "tostring(-1e300*1e10), tostring(123456789012345), tostring(123456789012355), tostring(1/3), " +
    "1.5 .. 'x', tostring(10/2), 1e15 .. '', string.format('%s', 1e15), tostring(1e100), " +
    "tostring(5e-324), tostring(2147483647 + 1), tostring(0x100000000), " +
    "tostring(0xFFFFFFFF), tostring(-0x10), tostring(tonumber('0x10')), tostring(3 * 0x100000000 + 7)}",
    "0",
  ],
  ["EVAL", "return 0x100000000 + 5", "0"],
  ["EVAL", "return redis.call('SET', 'n', 2^40 + 0.5)", "0"],
  ["GET", "n"],
]);

// The libraries as scripts see them: cjson.null is a userdata, errors carry
// the script's position (also after a tail call), 5.3-only names are hidden.
diffTest("cjson, cmsgpack, bit and struct through EVAL", [
  E(
    "return {type(cjson.null), cjson.encode({1, 'a', {x = 1.5}}), cjson.encode(cjson.decode('[1,null,2]'))}",
    "0",
  ),
  E("return cjson.decode('{bad')", "0"),
  E("local x = cjson.decode('{bad')", "0"),
  E("return cjson.encode(function() end)", "0"),
  E("return bit.band(0xFF, 0x0F, 0x3)", "0"),
  E("return {bit.tohex(65535), bit.lshift(1, 31), bit.bnot(0)}", "0"),
  E("return {struct.pack('>i2', 258), struct.unpack('>i2', struct.pack('>i2', -2))}", "0"),
  E("return {cmsgpack.unpack(cmsgpack.pack({1, 2, 'x', {a = 'b'}}, 3, -1, 1.5, 2^40))}", "0"),
  E("return cmsgpack.unpack(string.char(0xcd, 1))", "0"),
  E("return type(rawlen)", "0"),
  E("return redis.sha1hex(cjson.encode({'\\0\\255\\31'}))", "0"),
]);

diffTest("redis to lua conversions", [
  ["HSET", "h", "a", "1"],
  ["SADD", "s", "x"],
  ["ZADD", "z", "1.5", "m"],
  ["SET", "str", "hello"],
  E("return redis.call('get','str')", "0"),
  E("return redis.call('get','nokey') == false", "0"),
  E("return type(redis.call('incr','n'))", "0"),
  E("return redis.call('ping')", "0"),
  E("return redis.call('ping').ok", "0"),
  E("return redis.call('hgetall','h')", "0"),
  E("return redis.call('zrange','z',0,-1,'withscores')", "0"),
  E("local r = redis.pcall('lpush','str','x') return r.err", "0"),
  E("redis.setresp(3) return redis.call('hgetall','h').map.a", "0"),
  E("redis.setresp(3) local r = redis.call('smembers','s') return {r.set.x, type(r.set)}", "0"),
  E("redis.setresp(3) return redis.call('zscore','z','m').double", "0"),
  E("redis.setresp(3) return redis.call('get','nokey') == nil", "0"),
  E("redis.setresp(3) return redis.call('hgetall','nokey')", "0"),
  { cmd: ["HELLO", "3"], shapeOnly: true },
  E("redis.setresp(3) return redis.call('hgetall','h')", "0"),
  E("redis.setresp(3) return redis.call('zscore','z','m')", "0"),
  E("redis.setresp(3) return redis.call('exists','h')", "0"),
]);

diffTest("redis.call errors and error formats", [
  ["SET", "str", "hello"],
  E("return redis.call('get')", "0"),
  E("return redis.call('nosuch')", "0"),
  E("return redis.call('config','nosuch')", "0"),
  E("return redis.pcall('set','x')", "0"),
  E("return redis.call()", "0"),
  E("return redis.call({})", "0"),
  E("return redis.pcall({})", "0"),
  E("return redis.call('lpush','str','x')", "0"),
  E("return redis.pcall('lpush','str','x')", "0"),
  E("return redis.call('blpop','x',0)", "0"),
  E("return redis.call('eval','return 1',0)", "0"),
  E("return redis.call('multi')", "0"),
  E("local ok, e = pcall(redis.call,'nosuch') return e", "0"),
  E("return pcall(redis.call,'incr')", "0"),
  E("local ok, e = pcall(error, 'x') return e", "0"),
  E("local ok, e = pcall(error, {err='x'}) return type(e)", "0"),
  E("error('boom')", "0"),
  E("error({err='boom'})", "0"),
  E("\n\nerror('line three')", "0"),
  E("local t = {} t.x.y = 1", "0"),
  E("local a a()", "0"),
  E("return nil + 1", "0"),
  E("return 1 +", "0"),
  E("x = = 2", "0"),
  E("return 'abc", "0"),
  E("return redis.setresp(4)", "0"),
  E("return redis.set_repl(99)", "0"),
  E("return redis.log(99, 'hello')", "0"),
  E("return redis.log(redis.LOG_DEBUG, 'hello')", "0"),
  E("return redis.sha1hex()", "0"),
  E("return redis.sha1hex('')", "0"),
  E("return redis.replicate_commands()", "0"),
  E("return redis.acl_check_cmd('nosuch')", "0"),
  E("return redis.acl_check_cmd('get','x')", "0"),
  E("return redis.REDIS_VERSION", "0"),
]);

diffTest("sandbox: globals and read-only tables", [
  E("return x", "0"),
  E("x = 1", "0"),
  E("string.x = 1", "0"),
  E("redis.call = nil", "0"),
  E("rawset(_G, 'x', 1)", "0"),
  E("local t = {} t.x = 1 return t.x", "0"),
  E("return _VERSION", "0"),
  E("return {type(loadstring), type(unpack), type(gcinfo), type(math.mod), type(table.getn)}", "0"),
  E("return type(os)", "0"),
  E("return type(print)", "0"),
  E("return type(debug)", "0"),
  E("local t = {} for k in pairs(redis) do t[#t+1] = k end table.sort(t) return t", "0"),
  E("return unpack({1, 2, 3})", "0"),
  E("return select('#', 1, 2, 3)", "0"),
  E("return string.format('%d-%s', 42, 'x')", "0"),
  E("return math.floor(7.9) * 1000000000", "0"),
]);

diffTest("script cache, numkeys, read-only variants", [
  E("return 1", "2", "a"),
  E("return 1", "-1"),
  E("return 1", "abc"),
  ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
  ["EVALSHA", "abc", "0"],
  ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "-1"],
  ["SCRIPT", "LOAD", "return 'hello'"],
  ["EVALSHA", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "0"],
  ["EVALSHA", "1B936E3FE509BCBC9CD0664897BBE8FD0CAC101B", "0"],
  ["EVALSHA_RO", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "0"],
  ["SCRIPT", "EXISTS", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "abc"],
  ["SCRIPT", "FLUSH", "bogus"],
  ["SCRIPT", "FLUSH", "sync", "async"],
  ["SCRIPT", "FLUSH", "ASYNC"],
  ["SCRIPT", "EXISTS", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b"],
  ["EVALSHA", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "0"],
  ["SCRIPT", "FLUSH"],
  ["SCRIPT", "KILL"],
  ["SCRIPT", "BOGUS"],
  ["SCRIPT", "LOAD", "return +"],
  ["SCRIPT", "HELP"],
  ["EVAL_RO", "return redis.call('set','a','b')", "0"],
  ["EVAL_RO", "return redis.call('get','a')", "0"],
  ["EVAL_RO", "#!lua\nreturn 1", "0"],
  ["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"],
  E("#!lua flags=no-writes\nreturn redis.call('set','a','b')", "0"),
  E("#!lua flags=bogus\nreturn 1", "0"),
  E("#!lua name=x\nreturn 1", "0"),
  E("#!luax\nreturn 1", "0"),
  E("#!lua", "0"),
  E("#!lua flags=allow-oom,no-cluster,allow-stale,allow-cross-slot-keys\nreturn 1", "0"),
  E("#!lua\nreturn redis.call('set','k','v')", "0"),
  ["GET", "k"],
  ["COMMAND", "GETKEYS", "EVAL", "return 1", "2", "k1", "k2", "arg"],
  ["COMMAND", "GETKEYS", "EVALSHA_RO", "abc", "1", "k1"],
  ["COMMAND", "INFO", "eval", "evalsha_ro", "script|load"],
]);

diffTest("writes, SELECT inside a script, atomic effects", [
  E(
    "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incrby', KEYS[2], 5)",
    "2",
    "a",
    "b",
    "v",
  ),
  ["MGET", "a", "b"],
  E(
    "redis.call('set','fl',0.1) redis.call('set','i',5) return {redis.call('get','fl'), redis.call('get','i')}",
    "0",
  ),
  E("redis.call('select', 1) redis.call('set','dbk','v') return redis.call('get','dbk')", "0"),
  ["GET", "dbk"],
  ["SELECT", "1"],
  ["GET", "dbk"],
  E("return redis.call('get','dbk')", "0"),
  ["SELECT", "0"],
  ["MULTI"],
  E("return redis.call('incr','c')", "0"),
  ["EXEC"],
  E("return redis.call('xread','count','1','streams','nostream','0')", "0"),
]);

diffDirty("SCRIPT LOAD and FLUSH change nothing; EVAL counts its writes", [
  ["SCRIPT", "FLUSH"],
  ["SCRIPT", "LOAD", "return redis.call('set', KEYS[1], 'v')"],
  ["SCRIPT", "LOAD", "return 1"],
  ["SCRIPT", "FLUSH"],
  ["SCRIPT", "FLUSH", "ASYNC"],
  E("return redis.call('get', 'd:a')", "0"),
  E("return redis.call('set', 'd:a', '1')", "0"),
  E("redis.call('set', 'd:a', '1') redis.call('set', 'd:b', '2') return 1", "0"),
  E("redis.call('incr', 'd:n') redis.call('del', 'd:none') return redis.call('incr', 'd:n')", "0"),
  E("redis.call('rpush', 'd:l', 'a', 'b', 'c') return redis.call('lpop', 'd:l', 2)", "0"),
  E("redis.set_repl(redis.REPL_NONE) return redis.call('set', 'd:a', '2')", "0"),
  E("return redis.pcall('incr', 'd:l')", "0"),
  E("redis.call('set', 'd:c', '1') return redis.call('nocommand')", "0"),
  E("#!lua flags=no-writes\nreturn redis.call('get', 'd:a')", "0"),
  ["EVAL_RO", "return redis.call('get', 'd:a')", "0"],
  ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
]);

diffTest("ACL checks inside scripts", [
  ["ACL", "SETUSER", "lua-lim", "on", "nopass", "~k*", "&ch*", "+eval", "+get", "+set", "+publish"],
  ["AUTH", "lua-lim", "x"],
  E("return redis.call('incr','k')", "0"),
  E("return redis.call('get','zz')", "0"),
  E("return redis.pcall('get','zz')", "0"),
  E("return redis.call('publish','zz','m')", "0"),
  E("return redis.acl_check_cmd('get','zz')", "0"),
  E("return redis.acl_check_cmd('get','k1')", "0"),
  E("return redis.call('set','k1','v')", "0"),
  ["AUTH", "default", "x"],
  ["ACL", "DELUSER", "lua-lim"],
]);

Deno.test({
  name: "scripting: effects propagate (MULTI/EXEC when several), EVAL itself does not",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const cap = captureWrites();
    const h = await startRespite({ plugins: [cap.plugin] });
    const c = await RawClient.connect(h.port);
    try {
      assertEquals(await c.call("EVAL", "return redis.call('get','x')", "0"), null);
      assertEquals(cap.propagated, []);
      assertEquals(
        await c.call(
          "EVAL",
          "redis.call('set',KEYS[1],'1') return redis.call('incr',KEYS[1])",
          "1",
          "k",
        ),
        2,
      );
      assertEquals(cap.propagated, [["MULTI"], ["set", "k", "1"], ["incr", "k"], ["EXEC"]]);
      cap.propagated.length = 0;
      await c.call("EVAL", "return redis.call('set','one','1','EX','100')", "0");
      assertEquals(cap.propagated.length, 1);
      assertEquals(cap.propagated[0]!.slice(0, 3), ["SET", "one", "1"]);
      assertEquals(cap.propagated[0]![3], "PXAT");
      cap.propagated.length = 0;
      await c.call("EVAL", "redis.set_repl(redis.REPL_NONE) return redis.call('set','q','1')", "0");
      assertEquals(cap.propagated, []);
      assertEquals(await c.call("GET", "q"), "1");
    } finally {
      c.close();
      await h.close();
    }
  },
});

Deno.test({
  name: "scripting: ioredis defineCommand (EVALSHA, NOSCRIPT -> EVAL fallback)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const h = await startRespite();
    const r = new Redis({ port: h.port, lazyConnect: true });
    try {
      await r.connect();
      r.defineCommand("addTwo", {
        numberOfKeys: 1,
        lua: "return redis.call('incrby', KEYS[1], ARGV[1]) + 1",
      });
      assertEquals(await r.addTwo("cnt", 5), 6);
      assertEquals(await r.script("FLUSH"), "OK");
      assertEquals(await r.addTwo("cnt", 5), 11);
      assertEquals(await r.get("cnt"), "10");
      const sha = await r.script("LOAD", "return {KEYS[1], ARGV[1]}") as string;
      assertEquals(await r.evalsha(sha, 1, "a", "b"), ["a", "b"]);
      assertEquals(await r.script("EXISTS", sha), [1]);
      assertEquals(await r.eval("return {ok='fine'}", 0), "fine");
      let err = "";
      try {
        await r.eval("return redis.call('nosuch')", 0);
      } catch (e) {
        err = (e as Error).message;
      }
      assertEquals(
        err,
        "ERR Unknown Redis command called from script script: " +
          "206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.",
      );
    } finally {
      r.disconnect();
      await h.close();
    }
  },
});

Deno.test({
  name: "scripting: refusals inside scripts are in the ACL LOG (context lua), as in Redis",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRealRedis();
    const respite = await startRespite();
    try {
      const logs: unknown[] = [];
      for (const port of [redis.port, respite.port]) {
        const c = await RawClient.connect(port);
        await c.call("ACL", "SETUSER", "lua-lim", "on", "nopass", "~k*", "&ch*", "+eval", "+get");
        await c.call("AUTH", "lua-lim", "x");
        for (
          const body of [
            "return redis.call('incr','k')",
            "return redis.pcall('get','zz')",
            "return redis.acl_check_cmd('get','zz')",
            "return redis.call('publish','zz','m')",
          ]
        ) await c.call("EVAL", body, "0");
        await c.call("AUTH", "default", "x");
        const entries = await c.call("ACL", "LOG") as unknown[][];
        // Times and client details differ between the two servers.
        logs.push(entries.map((e) => e.slice(0, 10)));
        c.close();
      }
      assertEquals(logs[1], logs[0]);
      assertEquals((logs[0] as unknown[]).length, 3);
    } finally {
      await respite.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "scripting: writes from a script on a read-only replica fail as in Redis",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // A master that is not there: a replica that keeps trying (and serves
    // its stale data meanwhile).
    const nowhere = String(freePort());
    const redis = await startRealRedis(["--replicaof", "127.0.0.1", nowhere]);
    const respite = await startRespite({ config: { replicaof: `127.0.0.1 ${nowhere}` } });
    try {
      const replies: unknown[][] = [];
      for (const port of [redis.port, respite.port]) {
        const c = await RawClient.connect(port);
        replies.push([
          await c.call("EVAL", "return redis.call('SET','a','1')", "0"),
          await c.call("EVAL", "return redis.pcall('SET','a','1')", "0"),
          await c.call("EVAL", "return redis.call('GET','a')", "0"),
          await c.call("EVAL", "#!lua\nreturn redis.call('SET','a','1')", "0"),
          await c.call("EVAL", "#!lua flags=no-writes\nreturn redis.call('GET','a')", "0"),
          await c.call("EVAL_RO", "return redis.call('GET','a')", "0"),
          await c.call("EVAL_RO", "#!lua\nreturn redis.call('GET','a')", "0"),
        ]);
        c.close();
      }
      assertEquals(replies[1], replies[0]);
    } finally {
      await respite.close();
      await redis.stop();
    }
  },
});
