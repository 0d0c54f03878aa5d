/**
 * Lua binary chunks never load: differential tests against redis-server
 * 7.0, whose Lua parses every chunk as source. Covers `loadstring`, `load`
 * (Lua 5.1's, with a reader function only), EVAL and SCRIPT LOAD of a
 * `string.dump` output, FUNCTION LOAD of one, and loading at FCALL time;
 * then the syntax errors' wording (Lua 5.1's) that these replies show.
 */

import { sha1hex } from "../../core/sha1.ts";
import { assertEquals } from "../_assert.ts";
import { diffTest, hasRedis, RawClient, type Reply, sharedServers } from "../_helpers.ts";

const E = (script: string, ...rest: string[]) => ["EVAL", script, "0", ...rest];

/** A Lua expression: the bytecode of a function returning 1. */
const DUMP = "string.dump(function() return 1 end)";

diffTest("binary chunks: loadstring", [
  E(`return loadstring(${DUMP})()`),
  E(`return select('#', loadstring(${DUMP}))`),
  E(`return select(2, loadstring(${DUMP}, 'x'))`),
  E(`return type(loadstring(${DUMP}, 'x', 'b'))`),
  E(`return select(2, loadstring('\\27' .. ${DUMP}:sub(2), '=dump'))`),
  E(`return select(2, pcall(loadstring(${DUMP})))`),
  E("return loadstring('return 1 + 1')()"),
  E("return type(loadstring('return 1', 'x', 'b'))"),
  E("return select(2, pcall(loadstring))"),
  E("return select(2, pcall(loadstring, {}))"),
  E("return select(2, pcall(loadstring, 'return 1', {}))"),
  E("return select(2, pcall(function() return loadstring() end))"),
]);

diffTest("binary chunks: load takes a reader function only (Lua 5.1)", [
  E(`return {pcall(load, ${DUMP})}`),
  E("return {pcall(load, 'return 1')}"),
  E("return select(2, pcall(function() return load('return 1') end))"),
  E("return select(2, pcall(load))"),
  E("return select(2, pcall(load, function() end, {}))"),
  E(`local d = ${DUMP}
     return select(2, load(function() local r = d; d = nil; return r end))`),
  // The signature byte alone in the first piece.
  E(`local d, n = ${DUMP}, 0
     local f, e = load(function() n = n + 1; return n == 1 and d:sub(1, 1) or
       n == 2 and d:sub(2) or nil end, 'pieces')
     return {tostring(f), e}`),
  // Lua 5.3's mode and environment arguments mean nothing here.
  E("return type(load(function() return nil end, 'x', 'b'))"),
  E("return type(load(function() return nil end, 'x', 't', {}))"),
  [
    "EVAL",
    "local t, i = {'return ', 'KEYS', '[1]'}, 0 return load(function() i = i + 1 return t[i] end)()",
    "1",
    "k",
  ],
  // An empty piece ends the chunk, as nil does.
  E("local t, i = {'return 5', '', '+ 1'}, 0 return load(function() i = i + 1 return t[i] end)()"),
  E("return select(2, load(function() return {} end))"),
]);

diffTest("binary chunks: functions load none, at FUNCTION LOAD or at FCALL time", [
  ["FUNCTION", "FLUSH"],
  ["FUNCTION", "LOAD", "#!lua name=bc\n\x1breturn 1"],
  ["FUNCTION", "LOAD", `#!lua name=bc\nlocal f = loadstring(${DUMP})`],
  [
    "FUNCTION",
    "LOAD",
    `#!lua name=bc
redis.register_function('call', function() return loadstring(${DUMP})() end)
redis.register_function('why', function() return select(2, loadstring(${DUMP}, 'x')) end)
redis.register_function('reader', function()
  local d = ${DUMP}
  return select(2, load(function() local r = d; d = nil; return r end))
end)
redis.register_function('loaddump', function() return {pcall(load, ${DUMP})} end)
redis.register_function('text', function() return loadstring('return 7')() end)`,
  ],
  ["FCALL", "call", "0"],
  ["FCALL", "why", "0"],
  ["FCALL", "reader", "0"],
  ["FCALL", "loaddump", "0"],
  ["FCALL", "text", "0"],
  ["FUNCTION", "FLUSH"],
]);

/**
 * Each server's own `string.dump` output (Lua 5.1's bytecode on Redis,
 * fengari's here) sent as a script or library body: both must refuse it
 * with the same reply.
 */
function dumpBodyTest(name: string, steps: (dump: string) => string[][]): void {
  Deno.test({
    name: `diff: ${name}`,
    ignore: !hasRedis,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const { respite, redis } = await sharedServers();
      const run = async (port: number) => {
        const c = await RawClient.connect(port);
        try {
          await c.call("FLUSHALL");
          await c.call("FUNCTION", "FLUSH");
          const dump = await c.call("EVAL", `return ${DUMP}`, "0");
          if (typeof dump !== "string" || dump[0] !== "\x1b") throw new Error(`no dump: ${dump}`);
          const out: Reply[] = [];
          for (const argv of steps(dump)) out.push(await c.call(...argv));
          return out;
        } finally {
          c.close();
        }
      };
      const ours = await run(respite.port);
      const theirs = await run(redis!.port);
      const argvs = steps("<dump>");
      for (let i = 0; i < argvs.length; i++) {
        assertEquals(ours[i], theirs[i], `step ${i}: ${JSON.stringify(argvs[i])}`);
      }
    },
  });
}

dumpBodyTest("binary chunks: EVAL, SCRIPT LOAD and FUNCTION LOAD bodies", (dump) => [
  ["EVAL", dump, "0"],
  ["EVAL", "#!lua\n" + dump, "0"],
  ["SCRIPT", "LOAD", dump],
  ["SCRIPT", "EXISTS", sha1hex(dump)],
  ["EVALSHA", sha1hex(dump), "0"],
  ["FUNCTION", "LOAD", "#!lua name=bin\n" + dump],
  ["FUNCTION", "LIST"],
  ["EVAL", "return loadstring(ARGV[1])", "0", dump],
  ["EVAL", "return select(2, loadstring(ARGV[1], 'arg'))", "0", dump],
]);

diffTest("syntax errors as Lua 5.1 words them", [
  E("\x01"),
  E("return 1 \x7f"),
  E("return \x80"),
  E("return ("),
  E("local function"),
  E("return select(2, loadstring('return (', 'x'))"),
  E("return select(2, loadstring('return \\27', 'x'))"),
  E("return select(2, loadstring('for', 'x'))"),
  E("return select(2, loadstring('return (\\0tail'))"),
  E("return select(2, loadstring('return (', 'a\\rb'))"),
  E("return select(2, loadstring('return (', 'name\\0tail'))"),
  E(`return select(2, loadstring('return (', '${"a".repeat(70)}'))`),
  E(`return select(2, loadstring('return (', '=${"a".repeat(90)}'))`),
  E(`return select(2, loadstring('return (', '@${"a".repeat(90)}'))`),
  E(`return select(2, pcall(loadstring('error("e")', '${"b".repeat(50)}')))`),
  E(`return select(2, pcall(loadstring('error("e")', '=${"b".repeat(70)}')))`),
  E(`return select(2, pcall(loadstring('error("e")', '@${"b".repeat(70)}')))`),
  E("return select(2, pcall(string.rep))"),
  E("return select(2, pcall(setmetatable, 1))"),
]);
