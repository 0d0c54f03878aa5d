/**
 * The sealed sandbox scripts run in, against redis-server 7.0: every trick
 * Redis's own tests try (tests/unit/scripting.tcl and functions.tcl) and
 * more, each as EVAL, as the body of a function (FUNCTION LOAD, FCALL) and
 * at a library's load time; the globals and library tables Lua 5.1 and
 * Redis have, and their functions where Lua 5.3's behave otherwise (base
 * functions, patterns, string.format, table.sort, cjson's and cmsgpack's
 * limits); the error handler; and a script's return value nested past
 * Lua's stack limit.
 */

import { assertEquals } from "../_assert.ts";
import { diffTest, encodeCommand, hasRedis, prng, sharedServers, type Step } from "../_helpers.ts";

/**
 * Each snippet run as EVAL, then as the body of function `test` (FUNCTION
 * LOAD, FCALL), then at a library's load time (unless `load` is false).
 */
function everywhere(snippets: readonly string[], load = true): Step[] {
  const steps: Step[] = [["FUNCTION", "FLUSH"]];
  for (const s of snippets) {
    steps.push(["EVAL", s, "0"]);
    steps.push([
      "FUNCTION",
      "LOAD",
      "REPLACE",
      `#!lua name=test\nredis.register_function('test', function(KEYS, ARGV)\n${s}\nend)`,
    ]);
    steps.push(["FCALL", "test", "0"]);
    if (load) {
      steps.push([
        "FUNCTION",
        "LOAD",
        "REPLACE",
        `#!lua name=atload\n${s}\nredis.register_function('atload', function() return 1 end)`,
      ]);
    }
  }
  steps.push(["FUNCTION", "FLUSH"]);
  return steps;
}

/** The sorted keys of a table, as a script returning them. */
const keysOf = (t: string) =>
  `local k = {} for n in pairs(${t}) do k[#k + 1] = n end table.sort(k) return k`;

diffTest(
  "Redis's tricks on global protection",
  everywhere([
    "setmetatable(_G, {})",
    "local g = getmetatable(_G)\ng.__index = {}",
    "redis = function() return 1 end",
    "_G = {}",
    "a = 1",
    "return a",
    "rawset(_G, 'a', 1)",
    "KEYS = {}",
    "local ok, e = pcall(setmetatable, _G, {}) return e",
    "local ok, e = pcall(rawset, _G, 'x', 1) return e",
    "local ok, e = pcall(function() x = 1 end) return e",
    "return type(getmetatable(_G))",
    "return type(getmetatable(_G).__index)",
    "getmetatable(_G).__newindex = 1",
    "rawset(getmetatable(_G), '__index', nil)",
    "setmetatable(getmetatable(_G), {})",
    "local t = setmetatable({}, {__newindex = _G}) t.x = 1",
    "local t = setmetatable({}, {__index = _G}) t.x = 1 return t.x",
    "table.insert(_G, 1)",
    "return #_G",
    "return next(_G) ~= nil",
    "return rawget(_G, 'redis') == redis",
    "return _G._G == _G",
    "return rawequal(_G, _G._G)",
  ]),
);

diffTest(
  "the error handler: a read-only error object, a failure inside a C function",
  everywhere([
    "error(_G)",
    "error(redis)",
    "error(getmetatable(''))",
    "error(setmetatable({}, {__newindex = function() error('x') end}))",
    "local ok, e = pcall(error, _G) return {ok, type(e)}",
    "return cjson.encode(function() end)",
    "return string.rep()",
    "return redis.call('nosuch')",
    "local t = nil return t.x",
    "return nosuch.x",
    "return #nosuch",
    "error({err = 'My Error'})",
    "error({err = 'My Error', source = 'x', line = 9})",
  ]),
);

diffTest(
  "nesting too deep for the C stack, and metatable loops, in Lua 5.1's words",
  everywhere([
    "local function f() return string.gsub('a', 'a', f) end return f()",
    "local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x",
    "local function f() return tostring(setmetatable({}, {__tostring = f})) end return f()",
    "local function f() return table.sort({1, 2}, function() f() return false end) end return f()",
    "local function f() return pcall(f) end return f()",
    "local t = {} t.__index = t setmetatable(t, t) return t.x",
    "local t = {} t.__newindex = t setmetatable(t, t) t.x = 1",
  ], false),
);

diffTest(
  "missing globals, and the checks of Redis's luaProtectedTableError",
  everywhere([
    "return nosuch",
    "return _G.nosuch",
    "return _G[1]",
    "return _G[1.5]",
    "return _G[true]",
    "return _G[{}]",
    "return _G['bin\\0ary']",
    "return getmetatable(_G).__index(1, 'zz')",
    "return getmetatable(_G).__index(1)",
    "return getmetatable(_G).__index(1, {})",
    "return getmetatable(_G).__index(1, 2, 3)",
    "return pcall(getmetatable(_G).__index, 1, 'zz')",
  ]),
);

diffTest(
  "Redis's tricks on read-only library tables",
  everywhere([
    "redis.call = function() return 1 end",
    "cjson.encode = function() return 1 end",
    "cmsgpack.pack = function() return 1 end",
    "bit.lshift = function() return 1 end",
    "struct.pack = function() return 1 end",
    "string.upper = function() return 1 end",
    "table.insert = function() return 1 end",
    "math.floor = function() return 1 end",
    "math.pi = 3",
    "coroutine.create = function() return 1 end",
    "redis.REPL_ALL = 5",
    "cjson.null = 5",
    "rawset(redis, 'a', 1)",
    "rawset(string, 'a', 1)",
    "rawset(cjson, 'a', 1)",
    "rawset(math, 'pi', 3)",
    "setmetatable(redis, {})",
    "setmetatable(string, {})",
    "table.insert(redis, 1)",
    "table.insert(cjson, 1, 2)",
    "table.remove(cjson)",
    "table.remove(math, 1)",
    "table.sort(bit)",
    "local t = setmetatable({}, {__newindex = redis}) t.x = 1",
    "local co = coroutine.create(function() a = 1 end) return {coroutine.resume(co)}",
    "local co = coroutine.wrap(function() redis.x = 1 end) co()",
    "return getmetatable(redis) == nil",
    "return type(getmetatable(string))",
    "local c = cjson.new() c.x = 1 return c.x",
  ]),
);

// Redis 7.0.15 (CVE-2025-46818): the basic types' metatables are read-only.
diffTest(
  "Redis's tricks on the basic types' metatables",
  everywhere([
    "getmetatable('').__index = function() return 1 end",
    "getmetatable('').__index.upper = nil",
    "getmetatable('').__metatable = 1",
    "rawset(getmetatable(''), '__index', {})",
    "setmetatable(getmetatable(''), {})",
    "setmetatable('', {})",
    "return type(getmetatable(''))",
    "return getmetatable('').__index == string",
    "return type(getmetatable(getmetatable('')))",
    "return ('x'):upper()",
    "getmetatable(nil).__index = function() return 1 end",
    "getmetatable(123.222).__index = function() return 1 end",
    "getmetatable(true).__index = function() return 1 end",
    "getmetatable(function() return 1 end).__index = function() return 1 end",
    "getmetatable(coroutine.create(function() return 1 end)).__index = function() return 1 end",
  ]),
);

diffTest(
  "what Lua 5.1 and Redis leave out is unreachable",
  everywhere([
    "loadfile('some file')",
    "dofile('some file')",
    "print('some data')",
    "return type(os)",
    "return type(io)",
    "return type(debug)",
    "return type(package)",
    "return type(require)",
    "return type(module)",
    "return type(setfenv)",
    "return type(getfenv)",
    "return type(newproxy)",
    "return type(rawlen)",
    "return type(_ENV)",
    "local _ENV = {} return type(_ENV)",
    "return type(bit32)",
    "return type(utf8)",
    "return type(string.pack)",
    "return type(table.move)",
    "return type(math.tointeger)",
    "return type(coroutine.isyieldable)",
    "return _VERSION",
  ]),
);

diffTest("the globals and library tables hold Lua 5.1's and Redis's names", [
  ...everywhere(
    ["_G", "string", "table", "math", "coroutine", "cjson", "cmsgpack", "bit", "struct", "redis"]
      .map(keysOf),
    false,
  ),
  ["EVAL", keysOf("getmetatable(_G)"), "0"],
  ["EVAL", keysOf("getmetatable('')"), "0"],
]);

diffTest(
  "Lua 5.1's library functions that 5.3 changed",
  everywhere([
    "return {math.atan2(1, 2) > 0, math.pow(2, 10), math.mod(7, 3), math.fmod(-7, 3)}",
    "return {math.ldexp(0.5, 3), math.frexp(8)}",
    "return tostring(math.log10(1000)) .. tostring(math.cosh(0))",
    "return math.atan2(1)",
    "return math.pow('a', 1)",
    "return tostring(math.floor(3.7)) .. tostring(math.ceil(-3.7)) .. tostring(math.abs(-2))",
    "return math.log(8, 2)",
    "local t = {1, 2, 3} table.insert(t, 2, 'x') return t",
    "local t = {1, 2, 3} return {table.remove(t), table.remove(t, 1), t[1]}",
    "return table.remove({})",
    "return table.insert({}, 1, 2, 3)",
    "return {table.getn({1, 2}), table.maxn({[5] = 1, 2})}",
    "table.setn({}, 1)",
    "return table.foreach({10}, function(k, v) return k + v end)",
    "return table.foreachi({7, 8}, function(i, v) if i == 2 then return v end end)",
    "return coroutine.running()",
    "return gcinfo() > 0",
    "return type(collectgarbage('count'))",
    "return type(collectgarbage('step'))",
    "return collectgarbage('nosuch')",
    "return string.char(72, 105.9)",
    "return string.char(256)",
    "return string.gfind ~= nil",
    "return {math.atan2('a', 'b')}",
    "return {math.ldexp('a', 'b')}",
    "return {math.max('2', 1), math.min(2, '1')}",
    "return math.max(1, {})",
    "return math.min()",
  ]),
);

diffTest(
  "Lua 5.1's base functions that 5.3 changed",
  everywhere([
    "return {tostring(tonumber('nan')), tostring(tonumber(' inf ')), tostring('-inf' + 0)}",
    "return {tonumber('10', 16), tonumber('-1', 16), tonumber(' 0x1F ', 16), tonumber('z', 36)}",
    "return {tonumber('12\\0zz', 16), tonumber('', 16), tonumber('0x', 16)}",
    "return tonumber('1', 1.5)",
    "return tonumber(false, 1e308)",
    "return {select(2.5, 'a', 'b', 'c')}",
    "return {select('nan', 'a')}",
    "return {select(-1, 'a', 'b')}",
    "return {xpcall(function() return 1, 2 end)}",
    "return {xpcall(function(...) return select('#', ...) end, function() end, 1, 2)}",
    "return {pcall(xpcall, error, {})}",
    "return pairs({}) == next",
    "local t = {} for k, v in pairs({10, 20, 30}) do t[#t + 1] = k .. '=' .. v end return t",
    "local t = {} for k in pairs({{1}, {2}, 'x'}) do t[#t + 1] = k end return t",
    "local s = {} for i = 1, 120 do s[i] = i end\n" +
    "local t = {} for k in pairs({unpack(s)}) do t[#t + 1] = k end return t",
    "local a = {1, 2, 3, 4} a[2] = nil local t = {} for k in pairs(a) do t[#t + 1] = k end return t",
    "return {next({10, 20})}",
    "return pairs()",
    "return ipairs()",
    "local t = setmetatable({}, {__index = function(t, i) if i < 3 then return i end end})\n" +
    "local n = 0 for _ in ipairs(t) do n = n + 1 end return n",
    "local t = setmetatable({}, {__pairs = function() error('no') end})\n" +
    "for _ in pairs(t) do end return 1",
    "return {unpack({1, 2, 3}, 2.7, 3.2)}",
    "return unpack('x')",
    "return #{unpack({}, 1, 7997)}",
    "return #{unpack({}, 1, 7998)}",
    "return {pcall(error, 2^64)}",
    "return {pcall(error, 12, 2)}",
    "error(12)",
    "return {pcall(error)}",
    "return coroutine.create(string.len)",
    "return coroutine.wrap()",
    "return coroutine.status(1)",
    "return {coroutine.resume(nil)}",
    "return {coroutine.resume(coroutine.create(function(...) return ... end), 1, 2)}",
    "return {pcall(rawset, cjson.null)}",
  ]),
);

diffTest(
  "Lua 5.1's string and table functions that 5.3 changed",
  everywhere([
    "return {string.rep('ab', 3, ','), string.rep('ab', 2.9), string.rep('ab', -1)}",
    "return string.rep('ab', 2^64)",
    "return {string.sub('hello', 1.5, 3.9), string.byte('hello', 2.5)}",
    "return {string.format('%d', 1700000000000), string.format('%d', 3.7)}",
    "return string.find('hello', 'l', 3.5)",
    "local t = {} for i = 1, 300 do t[i] = (i * 7919) % 101 end\n" +
    "table.sort(t, function(a, b) return a > b end) return t",
    "local t = {} for i = 1, 200 do t[i] = {k = i % 5, id = i} end\n" +
    "table.sort(t, function(a, b) return a.k < b.k end)\n" +
    "local o = {} for i = 1, #t do o[i] = t[i].id end return o",
    "local t = {3, 1, 2} table.sort(t, function(a, b) return true end) return t",
    "local t = {} for i = 1, 50 do t[i] = i end\n" +
    "return {pcall(table.sort, t, function(a, b) return true end)}",
    "return {pcall(table.sort, {1, 'x', 2})}",
    "table.sort({}, 1)",
    "return table.concat({1, 2, 'x', 4.5}, ', ')",
    "return table.concat({1, {}, 3})",
    "return table.concat('x', {})",
    "return table.concat({1, 2, 3}, nil, 2.5)",
    "return {pcall(function() return cmsgpack.unpack_one('\\0', 2^64) end)}",
  ]),
);

diffTest("FUNCTION LOAD: a library sees only the loading API", [
  ["FUNCTION", "FLUSH"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nreturn math.random()"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nreturn redis.call('ping')"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nreturn redis.setresp(3)"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nreturn redis.set_repl(redis.REPL_NONE)"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nreturn redis.acl_check_cmd('set','xx',1)"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\na = 1"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nredis.x = 1"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nreturn _G"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nreturn getmetatable('')"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nredis.math.random()"],
  ["FUNCTION", "LOAD", "#!lua name=lib2\nredis.redis.call('ping')"],
  // Redis's "malicious access test": the API kept past the load.
  [
    "FUNCTION",
    "LOAD",
    `#!lua name=lib1
local lib = redis
lib.register_function('f1', function ()
  lib.redis = redis
  lib.math = math
  return {ok='OK'}
end)
lib.register_function('f2', function ()
  lib.register_function('f1', function ()
    lib.redis = redis
    lib.math = math
    return {ok='OK'}
  end)
end)
lib.register_function('f3', function () return {type(lib.log), lib.LOG_NOTICE} end)`,
  ],
  ["FCALL", "f1", "0"],
  ["FCALL", "f2", "0"],
  ["FCALL", "f3", "0"],
  // Registering from inside a function: `redis` then has no such field.
  [
    "FUNCTION",
    "LOAD",
    "REPLACE",
    `#!lua name=lib1
redis.register_function('f1', function(keys, args)
  redis.register_function('f2', function(key, args) return 2 end)
  return 1
end)`,
  ],
  ["FCALL", "f1", "0"],
  ["FUNCTION", "FLUSH"],
]);

diffTest("KEYS and ARGV are the script's own tables; globals persist nowhere", [
  ["EVAL", "KEYS[1] = 'x' ARGV[2] = 'y' return {KEYS[1], ARGV[1], ARGV[2]}", "1", "k", "a"],
  ["EVAL", "return {KEYS[1], ARGV[1], #ARGV}", "1", "k", "a"],
  ["EVAL", "return {type(KEYS), type(ARGV)}", "0"],
  ["FUNCTION", "FLUSH"],
  [
    "FUNCTION",
    "LOAD",
    "#!lua name=ka\nredis.register_function('ka', function(k, a) return {type(KEYS), #k, #a} end)",
  ],
  ["FCALL", "ka", "1", "k", "a"],
  ["FUNCTION", "FLUSH"],
]);

diffTest(
  "string.format as Lua 5.1's, items as glibc's sprintf",
  everywhere([
    "return string.format('%d|%5d|%-5d|%05d|%+d|% d|%i', 42, 42, 42, 42, 42, 42, -7)",
    "return string.format('%x|%X|%o|%u|%#x|%#o|%X|%u', 255, 255, 8, 42, 255, 8, -255, -1)",
    "return string.format('%f|%.2f|%10.3f|%-10.1f|%e|%.3E|%g|%G|%.3g', " +
    "3.14159, 2.5, 1/3, -2.25, 12345.678, 0.000123, 1e20, 1e-10, 2/3)",
    "return string.format('%.0f|%.0f|%.0f|%.1f|%.2f|%.20f', 0.5, 1.5, 2.5, 0.25, 1.005, 0.1)",
    "return string.format('%.15g|%.17g|%g|%g|%e|%E', 0.1, 0.1, 1e-5, 123456789, 1e300, 5e-324)",
    "return string.format('%#.3g|%#.2g|%#.1g|%#.3g|%#g|%#.0f|%#x', " +
    "9.9995, 9.96, 9.6, 999.95, 999999.5, 3, 0)",
    "return string.format('%05f|%-6f|%+f|% e|%g', 1/0, -1/0, 1/0, 0/0, -(0/0))",
    "return string.format('%d|%d|%x|%u', 1/0, 2^63, 2^53, 0/0)",
    "return string.format('%q', 'a\"b\\\\c\\nd\\re\\0f')",
    "return string.format('%c%c%c|%5c|', 72, 105, 0, 65)",
    "return string.format('%s|%10.4s|%.0s|%05s|%s|%.3s', 'abc', 'abcdef', 'abc', 'ab', 'a\\0b', 'a\\0bc')",
    "return #string.format('%s', string.rep('a\\0', 60))",
    "return string.format('%s|%s', 12.5, 1e100)",
    "return string.format('%5s', true)",
    "return string.format('%s', nil)",
    "return string.format('%-+ #0d|%5.3d|%.0d|%-08.3x', 1, 7, 0, 255)",
    "return string.format('%-+ #0-d', 1)",
    "return string.format('%123d', 1)",
    "return string.format('%a', 1)",
    "return string.format('%', 1)",
    "return string.format('%d')",
    "return string.format('%d', 'x')",
  ]),
);

diffTest("string.format: random conversions of odd numbers", () => {
  const rnd = prng(7);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
  const values = [
    "0",
    "-0",
    "0.5",
    "2.5",
    "-2.5",
    "1/3",
    "1e-5",
    "1e15",
    "1e21",
    "1e300",
    "5e-324",
    "2^31",
    "2^63",
    "2^64",
    "-2^63",
    "1/0",
    "0/0",
    "999.9995",
    "99.95",
    "1.005",
    "'12'",
    "65",
  ];
  const steps: Step[] = [];
  for (let i = 0; i < 300; i++) {
    let flags = "";
    for (let k = Math.floor(rnd() * 3); k > 0; k--) flags += pick(["-", "+", " ", "#", "0"]);
    const width = rnd() < 0.5 ? "" : String(Math.floor(rnd() * 30));
    const precision = rnd() < 0.5 ? "" : "." + String(Math.floor(rnd() * 25));
    const conv = pick(["d", "i", "o", "u", "x", "X", "e", "E", "f", "g", "G", "c"]);
    const v = rnd() < 0.5
      ? pick(values)
      : `${rnd() < 0.5 ? "-" : ""}math.ldexp(${Math.floor(rnd() * 2 ** 53)}, ${
        Math.floor(rnd() * 160) - 120
      })`;
    steps.push([
      "EVAL",
      `return {pcall(string.format, '[%${flags}${width}${precision}${conv}]', ${v})}`,
      "0",
    ]);
  }
  return steps;
});

diffTest(
  "patterns as Lua 5.1's: find, match, gmatch, gsub",
  everywhere([
    "return {string.find('hello', 'l+'), string.find('a.b', '.', 1, true), string.find('abc', 'b', 10)}",
    "return {string.match('key:123:abc', '(%a+):(%d+)'), string.match('  x  ', '^%s*(.-)%s*$')}",
    "return {string.match('THE (quick) fox', '%b()'), string.match('THE fox', '%f[%a]%a+', 2)}",
    "return {string.find('hello', '()ll()')}",
    "return {string.match('', '', 1), string.match('abc', '', 10), string.match('abc', 'c', 4)}",
    "return {string.gsub('hello world', 'o', '0'), string.gsub('abc', '%w', '%0%0')}",
    "return {string.gsub('abc', '', '-'), string.gsub('abc', 'b*', '-')}",
    "return {string.gsub('x=1, y=22', '(%w+)=(%w+)', '%2=%1')}",
    "return {string.gsub('abc', '%w', {a = 'A', b = true})}",
    "return {string.gsub('abc', '%w', function(c) if c == 'b' then return false end return c:upper() end)}",
    "return {string.gsub('a%b', '%%', '100%')}",
    "return {string.gsub('abc', 'b', '%g')}",
    "return {string.gsub('abc', '.', '\\0x')}",
    "return {string.gsub('abc', '\\0x', '-')}",
    "return {string.gsub('aaa', 'a', 'b', 2), string.gsub('aaa', 'a', 'b', 2^31)}",
    "return {string.gsub('aaa', '^a', 'b')}",
    "return string.gsub('abc', '(', 'x')",
    "return string.gsub('abc', '%', 'x')",
    "return string.gsub('abc', '[a', 'x')",
    "return string.gsub('abc', '%1', 'x')",
    "return string.gsub('abc', '(a)', '%2')",
    "return string.gsub('abc', 'a', {})",
    "return string.gsub('abc', 'a', function() return {} end)",
    "return string.find('abc', '%f')",
    "return string.find('abc', '%b')",
    "local t = {} for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do t[#t + 1] = k .. v end return t",
    "local t = {} for w in string.gmatch('one two', '%a*') do t[#t + 1] = '<' .. w .. '>' end return t",
    "local t = {} for w in string.gfind('a1b2', '%d') do t[#t + 1] = w end return t",
    "return string.match(string.rep('a', 40), string.rep('(a)', 33))",
  ]),
);

diffTest("patterns: seeded random subjects, patterns and replacements", () => {
  const rnd = prng(11);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
  const strings = [
    "''",
    "'hello world'",
    "'a.b.c'",
    "'%d+'",
    "'aaa'",
    "'\\0x\\0'",
    "'[a-z]+'",
    "'(a)(b)'",
    "'%'",
    "'%b()'",
    "'%f[%w]'",
    "'(()'",
    "'[%'",
    "'[^]'",
    "'x*?'",
    "'%1'",
    "'(a)%1'",
    "'.-'",
    "'^a'",
    "'a$'",
    "'%z'",
    "'%g'",
    "'()'",
    "'key:123:abc'",
    "'(%d+)-(%d+)'",
    "'%S+'",
    "'[]]'",
    "'[a-]'",
    "'(.)%1'",
    "'%p+'",
  ];
  const numbers = ["0", "1", "-1", "2", "-100", "100", "1.5", "2^31", "0/0", "nil"];
  const calls = [
    "string.find(%s, %s, %n)",
    "string.find(%s, %s, %n, true)",
    "string.match(%s, %s, %n)",
    "string.gsub(%s, %s, %s)",
    "string.gsub(%s, %s, %s, %n)",
    "string.gsub(%s, %s, {a = 'X'})",
    "string.gsub(%s, %s, function(c) return c end)",
    "(function() local t = {} for a in string.gmatch(%s, %s) do t[#t + 1] = a end return t end)()",
  ];
  const steps: Step[] = [];
  for (let i = 0; i < 300; i++) {
    const call = pick(calls).replace(/%s/g, () => pick(strings)).replace(
      /%n/g,
      () => pick(numbers),
    );
    steps.push(["EVAL", `return {pcall(function() return ${call} end)}`, "0"]);
  }
  return steps;
});

// cjson's options are global: each script puts them back.
const CJSON_DEFAULTS = "cjson.encode_max_depth(1000) cjson.decode_max_depth(1000) " +
  "cjson.encode_number_precision(14) cjson.encode_invalid_numbers(false)";

diffTest(
  "cjson's options take numbers as lua-cjson's C ints",
  everywhere([
    "local r = {pcall(cjson.encode_max_depth, 1e10)} local d = cjson.encode_max_depth() " +
    CJSON_DEFAULTS + " return {r, d}",
    "local r = {pcall(cjson.decode_max_depth, 2^31)} " + CJSON_DEFAULTS + " return r",
    "local r = {pcall(cjson.encode_number_precision, 3.9)} local d = cjson.encode_number_precision() " +
    CJSON_DEFAULTS + " return {r, d}",
    "local r = {pcall(cjson.encode_invalid_numbers, 0/0)} " + CJSON_DEFAULTS + " return r",
    "cjson.encode_invalid_numbers(true) local r = cjson.encode({0/0, 1/0}) " + CJSON_DEFAULTS +
    " return r",
  ], false),
);

/** What a pcall of `call` gave, with a returned table or number shown as its type. */
const shown = (call: string) =>
  `local ok, v = pcall(${call}) return {ok, type(v) == 'string' and v or type(v)}`;

diffTest(
  "cmsgpack.unpack stops where the C decoder's Lua stack does",
  everywhere([
    shown("cmsgpack.unpack, string.rep('\\145', 3999) .. '\\1'"),
    shown("cmsgpack.unpack, string.rep('\\145', 4000) .. '\\1'"),
    shown("cmsgpack.unpack, string.rep('\\145', 100000)"),
    shown("cmsgpack.unpack, '\\1' .. string.rep('\\145', 3998) .. '\\1'"),
    shown("cmsgpack.unpack, '\\129' .. string.rep('\\145', 3999) .. '\\1\\1'"),
    shown("cmsgpack.unpack, string.rep('\\1', 7999)"),
    shown("cmsgpack.unpack, string.rep('\\1', 8000)"),
    shown("cmsgpack.unpack, string.rep('\\1', 7999), 1"),
    shown("cmsgpack.unpack_limit, string.rep('\\1', 8000), 7998, 0"),
    shown("cmsgpack.unpack_one, string.rep('\\145', 3999) .. '\\1', 0, 1, 2, 3"),
    "local x = cmsgpack.unpack(string.rep('\\145', 100000)) return 1",
  ], false),
);

/**
 * Sends `argv` then PING as one write and reads until PING's reply: the
 * script's reply byte for byte, however deep (the test client's parser
 * recurses, and a reply nested 8000 deep would overflow it).
 */
async function rawReply(port: number, ...cmds: string[][]): Promise<string> {
  const conn = await Deno.connect({ port, hostname: "127.0.0.1" });
  try {
    const parts = [...cmds, ["PING"]].map(encodeCommand);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    await conn.write(out);
    const buf = new Uint8Array(1 << 16);
    let got = "";
    const deadline = Date.now() + 10000;
    while (!got.endsWith("+PONG\r\n")) {
      if (Date.now() > deadline) throw new Error("no reply");
      const n = await conn.read(buf);
      if (n === null) throw new Error("connection closed");
      for (let i = 0; i < n; i++) got += String.fromCharCode(buf[i]!);
    }
    return got;
  } finally {
    conn.close();
  }
}

/** Scripts returning tables nested past the limit (maps of one entry, so the order is Redis's). */
const DEEP = [
  "local a = {} a[1] = a return a",
  "local a = {} local b = {a} a[1] = b return a",
  "local a = {} a[1] = a a[2] = 'x' return a",
  "local a = {} a.map = {x = a} return a",
  "local a = {map = {}} a.map[a] = 1 return a",
  "local a = {set = {}} a.set[a] = true return a",
  "local a = {} local m = {map = {}} local s = {set = {}} a[1] = m m.map.k = s s.set[a] = true return a",
];

Deno.test({
  name: "diff: a reply nested past Lua's stack limit ends in 'reached lua stack limit'",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    for (const proto of ["2", "3"]) {
      for (const script of DEEP) {
        for (const src of [script, "redis.setresp(3) " + script]) {
          const cmds = [["HELLO", proto], ["EVAL", src, "0"]];
          const ours = await rawReply(respite.port, ...cmds);
          const theirs = await rawReply(redis!.port, ...cmds);
          // HELLO's reply carries the connection id: compare from the script's reply on.
          const cut = (s: string) => s.slice(s.indexOf("modules") + "modules\r\n*0\r\n".length);
          const label = `RESP${proto} ${src}`;
          assertEquals(cut(ours).length, cut(theirs).length, label);
          assertEquals(cut(ours) === cut(theirs), true, label);
        }
      }
    }
    // FCALL converts the same way.
    const lib = "#!lua name=deep\nredis.register_function('deep', function() " + DEEP[0] +
      " end)";
    const load = ["FUNCTION", "LOAD", "REPLACE", lib];
    const ours = await rawReply(respite.port, load, ["FCALL", "deep", "0"]);
    const theirs = await rawReply(redis!.port, load, ["FCALL", "deep", "0"]);
    assertEquals(ours.endsWith("-ERR reached lua stack limit\r\n+PONG\r\n"), true);
    assertEquals(ours === theirs, true);
  },
});
