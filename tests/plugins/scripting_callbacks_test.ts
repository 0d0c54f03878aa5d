/**
 * The library functions that call a script's Lua back (`table.sort`'s
 * comparator, `string.gsub`'s function or table, `table.foreach`,
 * `tostring`'s `__tostring`) and the script's own coroutines, which a
 * script can pause inside (see scripting_busy_test.ts): their results and
 * errors against redis-server 7.0 on seeded random inputs, Lua 5.1's
 * refusal of a yield across pcall, a metamethod or a library call, and
 * small differences of Redis's sandbox (pcall without arguments,
 * `redis.set_repl` of a NaN, `redis.error_reply` with a NUL, NaNs' signs).
 */

import { diffTest, prng, type Step } from "../_helpers.ts";

/** Each snippet as EVAL, then as a function's body (FCALL), then at a library's load time. */
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

/** Comparators: consistent, inconsistent, counting their calls, failing. */
const COMPARATORS = [
  "function(x, y) return x < y end",
  "function(x, y) return x > y end",
  "function(x, y) return true end",
  "function(x, y) return false end",
  "function(x, y) return x <= y end",
  "function(x, y) calls = calls + 1 return x % 3 < y % 3 end",
  "function(x, y) calls = calls + 1 if calls > 20 then error('late') end return x < y end",
  "function(x, y) calls = calls + 1 return (x * 7) % 5 < (y * 7) % 5 end",
  "function(x, y) return nil end",
  "function(x, y) return x.z end",
  "function(x, y) calls = calls + 1 return redis.call('incr', 'sortcalls') % 2 == 0 end",
];

diffTest("table.sort with a comparator: seeded arrays, the same calls and results", () => {
  const rand = prng(15);
  const int = (n: number) => Math.floor(rand() * n);
  const steps: Step[] = [["DEL", "sortcalls"]];
  for (let k = 0; k < 150; k++) {
    const items = Array.from({ length: int(40) }, () => int(10)).join(", ");
    const cmp = COMPARATORS[int(COMPARATORS.length)]!;
    steps.push([
      "EVAL",
      `local calls = 0 local t = {${items}} local ok, e = pcall(table.sort, t, ${cmp}) ` +
      "return {tostring(ok), tostring(e), calls, unpack(t)}",
      "0",
    ]);
    if (k % 5 === 0) {
      steps.push([
        "EVAL",
        `local calls = 0 local t = {${items}} table.sort(t, ${cmp}) return t`,
        "0",
      ]);
    }
  }
  steps.push(["GET", "sortcalls"], ["DEL", "sortcalls"]);
  return steps;
});

const SUBJECTS = ["hello world", "", "aaa", "a,b,,c", "x=1, y=22", "\0a\0", "abcabc"];
const PATTERNS = [
  "o",
  "",
  "l*",
  "(%w+)",
  "(%w+)=(%w+)",
  "%s*",
  "^a",
  "a-",
  "(a)(b",
  "[",
  "%",
  "()",
  "(.)%1",
  "%f[%w]%w+",
  "b*$",
];
const REPLACEMENTS = [
  "function(...) return select('#', ...) .. table.concat({...}, '|') end",
  "function(c) return nil end",
  "function(c) return false end",
  "function(c) return 3.5 end",
  "function(c) return {} end",
  "function(c) return true end",
  "setmetatable({}, {__index = function(t, k) return '<' .. tostring(k) .. '>' end})",
  "setmetatable({}, {__index = {a = 'A'}})",
  "function(c) error('in repl') end",
  "function(c) return c end",
];

diffTest("string.gsub with a function or a table's __index: seeded calls", () => {
  const rand = prng(51);
  const steps: Step[] = [];
  for (const s of SUBJECTS) {
    for (const p of PATTERNS) {
      const r = REPLACEMENTS[Math.floor(rand() * REPLACEMENTS.length)]!;
      const max = rand() < 0.25 ? `, ${Math.floor(rand() * 3)}` : "";
      const subject = JSON.stringify(s).replaceAll("\\u0000", "\\0");
      steps.push([
        "EVAL",
        `return {pcall(string.gsub, ${subject}, ${JSON.stringify(p)}, ${r}${max})}`,
        "0",
      ]);
    }
  }
  return steps;
});

diffTest(
  "callbacks: errors at their lines, nested calls, foreach, __tostring",
  everywhere([
    "local t = {3, 1, 2}\ntable.sort(t, function(a, b)\n  return a.x < b\nend)\nreturn t",
    "local t = {3, 1, 2, 5, 4, 6, 8, 7}\ntable.sort(t,\n function(a, b)\n return true\n end\n)\nreturn t",
    "return string.gsub('abc',\n '%w', function(c)\n error('x')\n end)",
    "return string.gsub('abc',\n '%w', function(c)\n return {}\n end)",
    "return string.gsub('abc',\n '(%w', function(c)\n return {}\n end)",
    "return string.gsub('abc', '%w', function(c) return string.gsub(c, '.', function(d) return d .. d end) end)",
    "local t = setmetatable({5, 2, 9}, {__index = function() error('never') end}) " +
    "table.sort(t, function(a, b) return a > b end) return t",
    "return {table.foreach({10, 20, x = 3}, function(k, v) if v == 20 then return 'stop' end end)}",
    "return {table.foreachi({10, 20, 30}, function(i, v) if v == 30 then return i end end)}",
    "return {select('#', table.foreachi({10, 20, 30}, function(i, v) end))}",
    "return table.foreachi({10, 20, 30})",
    "return table.foreach({10, 20, 30},\n function() error('fe') end)",
    "return type(tostring(setmetatable({}, {__tostring = function() return {} end})))",
    "return tostring(setmetatable({}, {__tostring = function() error('ts') end}))",
    "return tostring(setmetatable({}, {__tostring = function() end}))",
    "return {tostring(nil), tostring(true), tostring(1.5), tostring('x')}",
    "return tostring()",
  ]),
);

diffTest(
  "table.sort without a comparator, items with metatables: 5.1's order (__lt) and errors",
  everywhere([
    "local mt = {__lt = function(a, b) return a.v < b.v end} local t = {} " +
    "for i, v in ipairs({5, 3, 9, 1, 7, 2, 8, 4, 6, 0}) do t[i] = setmetatable({v = v}, mt) end " +
    "table.sort(t) local r = {} for i, x in ipairs(t) do r[i] = x.v end return r",
    "local mt = {__lt = function(a, b) return a.v < b.v end, __metatable = false} local t = {} " +
    "for i, v in ipairs({5, 3, 9}) do t[i] = setmetatable({v = v}, mt) end table.sort(t) " +
    "return {t[1].v, t[2].v, t[3].v}",
    "local t = {setmetatable({}, {}), setmetatable({}, {})} table.sort(t) return 1",
    "local t = {setmetatable({}, {}), {}} table.sort(t) return 1",
    "local t = {1, setmetatable({}, {})} table.sort(t) return 1",
    "local mt = {__lt = function(a, b)\n error('in lt')\n end}\n" +
    "table.sort({setmetatable({}, mt), setmetatable({}, mt)})\n return 1",
    // Always true: an item past the end (nil) is compared, 5.1 refuses it.
    "local mt = {__lt = function(a, b) return true end} local t = {} " +
    "for i = 1, 10 do t[i] = setmetatable({}, mt) end return {pcall(table.sort, t)}",
    "local mt = {__lt = function(a, b) return a.v < b.v end} " +
    "return {pcall(table.sort, {setmetatable({v = 1}, mt), 5})}",
    "local a, b = {__lt = function() return true end}, {__lt = function() return true end} " +
    "return {pcall(table.sort, {setmetatable({}, a), setmetatable({}, b)})}",
    "local t = {{}, 1} table.sort(t) return 1",
    "local t = {1, 'x'} table.sort(t) return 1",
    "local t = {0/0, 1, 0/0, 2, 0/0, 3, 4, 0/0} return {pcall(table.sort, t)}",
  ]),
);

diffTest(
  "coroutines as Lua 5.1's: no yield across pcall, a metamethod, a for iterator or a library call",
  everywhere([
    "local co = coroutine.create(function() local ok, e = pcall(function() coroutine.yield(1) end) " +
    "return tostring(ok) .. tostring(e) end) local a, b = coroutine.resume(co) " +
    "return {tostring(a), tostring(b)}",
    "local co = coroutine.create(function() local ok, e = xpcall(function() coroutine.yield(1) end, " +
    "function(e) return 'h:' .. e end) return tostring(ok) .. tostring(e) end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() return select(2, pcall(coroutine.yield, 1)) end) " +
    "return {coroutine.resume(co)}",
    "local co = coroutine.create(function() local t = setmetatable({}, {__index = function(t, k) " +
    "coroutine.yield(k) return 1 end}) return t.x end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() local t = setmetatable({}, {__newindex = function(t, k, v) " +
    "coroutine.yield(k) end}) t.x = 1 return 2 end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() return 'a' .. setmetatable({}, {__concat = function() " +
    "coroutine.yield(1) return 'c' end}) end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() for x in function() coroutine.yield(5) end do end " +
    "return 1 end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() table.sort({3, 2, 1}, function(a, b) coroutine.yield(1) " +
    "return a < b end) return 1 end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() return string.gsub('ab', '.', function(c) " +
    "coroutine.yield(c) end) end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() return tostring(setmetatable({}, {__tostring = function() " +
    "coroutine.yield(1) return 'x' end})) end) return {coroutine.resume(co)}",
    // __call is an ordinary call in 5.1: the yield is allowed.
    "local co = coroutine.create(function() local o = setmetatable({}, {__call = function(self, a) " +
    "return coroutine.yield(a) end}) return o(7) end) local r1 = {coroutine.resume(co)} " +
    "local r2 = {coroutine.resume(co, 9)} return {tostring(r1[1]), r1[2], tostring(r2[1]), r2[2]}",
    "local co = coroutine.create(function() return coroutine.resume(coroutine.running()) end) " +
    "return {coroutine.resume(co)}",
    "local co co = coroutine.create(function() local c2 = coroutine.create(function() " +
    "return coroutine.resume(co) end) return coroutine.resume(c2) end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() return 1 end) coroutine.resume(co) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() error('boom') end) local r = {coroutine.resume(co)} " +
    "local r2 = {coroutine.resume(co)} return {tostring(r[1]), r[2], tostring(r2[1]), r2[2], coroutine.status(co)}",
    "local f = coroutine.wrap(function() error('boom') end) return f()",
    "local f = coroutine.wrap(function() error({1}) end) return {pcall(f)}",
    "local f = coroutine.wrap(function() error(42) end) return {pcall(f)}",
    "local f = coroutine.wrap(function() return 1 end) f() return f()",
    "local f = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end) return {f(1), f(10)}",
    "return coroutine.resume(1)",
    "return coroutine.wrap(1)",
    "return {coroutine.resume(coroutine.create(function(...) return select('#', ...), ... end), 1, nil, 3)}",
    "local co = coroutine.create(function() return coroutine.status(coroutine.running()) end) " +
    "return {coroutine.resume(co)}",
    "local function gen(n) return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end) end " +
    "local s = 0 for i in gen(10) do s = s + i end return s",
    "local co = coroutine.create(function() return coroutine.yield(coroutine.yield(1)) end) " +
    "local a = {coroutine.resume(co)} local b = {coroutine.resume(co, 2)} local c = {coroutine.resume(co, 3)} " +
    "return {a[2], b[2], c[2], coroutine.status(co)}",
  ]),
);

diffTest(
  "Redis's pcall without arguments, set_repl of a NaN, error_reply with a NUL, NaNs' signs",
  everywhere([
    "return {pcall()}",
    "return select('#', pcall())",
    "redis.set_repl(0/0) return 1",
    "redis.set_repl(2^32 + 1) return 1",
    "redis.set_repl(3.7) return 1",
    "return redis.error_reply('a\\0b')",
    "return redis.error_reply('-MY code\\0x')",
    "return redis.error_reply('')",
    "return redis.error_reply('a\\0b').err",
    "redis.call('set', 'nank', 0/0) return redis.call('get', 'nank')",
    "redis.call('set', 'nank', -(0/0)) return redis.call('get', 'nank')",
    "return {tostring(0/0), tostring(-(0/0)), 0/0 .. '', string.format('%f', 0/0)}",
    "redis.setresp(3) return {double = 0/0}",
    "redis.setresp(3) return {double = -(0/0)}",
  ], false).concat([["DEL", "nank"]]),
);

diffTest(
  "coroutines: values through yields, statuses, errors and redis.call inside, deep nesting",
  everywhere([
    "local co = coroutine.create(function(...) local a = {...} local b = {coroutine.yield(#a)} return #b, unpack(b) end) local r1 = {coroutine.resume(co, 1, 2, 3)} local r2 = {coroutine.resume(co, 'x', nil, 'z')} return {r1[2], r2[2], r2[3], tostring(r2[4]), r2[5], coroutine.status(co)}",
    "local co = coroutine.create(function() coroutine.yield() end) return {coroutine.status(co), select('#', coroutine.resume(co)), coroutine.status(co), select('#', coroutine.resume(co)), coroutine.status(co)}",
    "local f = coroutine.wrap(function() coroutine.yield(1) end) f() f() return {pcall(f)}",
    "local co = coroutine.create(function() local x = nil; x() end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() redis.call('nosuchcommand') end) local ok, e = coroutine.resume(co) return {tostring(ok), type(e), e and e.err}",
    "local co = coroutine.create(function() return redis.pcall('nosuchcommand') end) local ok, e = coroutine.resume(co) return {tostring(ok), type(e), e.err}",
    "local co = coroutine.create(function() return redis.call('set', 'cok', 'v') end) local ok, e = coroutine.resume(co) return {tostring(ok), e.ok, redis.call('get', 'cok')}",
    "local f = coroutine.wrap(function() redis.call('nosuchcommand') end) return f()",
    "local f = coroutine.wrap(function() error(redis.error_reply('MY err')) end) return f()",
    "local co = coroutine.create(function() error() end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() error(nil) end) local ok, e = coroutine.resume(co) return {tostring(ok), tostring(e)}",
    "local f = coroutine.wrap(function() error() end) return {pcall(f)}",
    "local t = {} for i = 1, 5 do local co = coroutine.wrap(function() coroutine.yield(i) return i * 2 end) t[#t+1] = co() t[#t+1] = co() end return t",
    "local function deep(n) if n == 0 then return coroutine.yield('bottom') end return deep(n - 1) end local co = coroutine.create(function() return deep(100) end) local a = {coroutine.resume(co)} local b = {coroutine.resume(co, 'up')} return {a[2], b[2]}",
    "local depth = 0 local function nest() depth = depth + 1 local co = coroutine.create(nest) local ok, e = coroutine.resume(co) return ok, e end local ok, e = nest() return {depth > 100, tostring(ok), tostring(e)}",
    "local co = coroutine.create(function() return pcall(error, 'inner') end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() local ok, e = pcall(function() local c2 = coroutine.wrap(function() coroutine.yield('y') end) return c2() end) return ok, e end) return {coroutine.resume(co)}",
    "return {pcall(coroutine.yield)}",
    "return {pcall(coroutine.resume)}",
    "return {pcall(coroutine.wrap)}",
    "return {pcall(coroutine.create)}",
    "return {pcall(coroutine.status)}",
    "return {pcall(coroutine.status, 1)}",
    "return {pcall(coroutine.create, print)}",
    "return {pcall(coroutine.create, tostring)}",
    "return coroutine.running()",
    "local co = coroutine.create(function() return coroutine.running() == co end) return {coroutine.resume(co)}",
    "local co = coroutine.create(function() return type(coroutine.running()) end) return {coroutine.resume(co)}",
    "local co = coroutine.wrap(function() local ok, e = pcall(error, {1}) return type(e) end) return co()",
    "local co = coroutine.create(function() local t = setmetatable({}, {__index = function(t, k) return k .. '!' end}) return t.x end) return {coroutine.resume(co)}",
    "return {coroutine.resume(coroutine.create(function() return string.gsub('ab', '.', function(c) return c:upper() end) end))}",
    "return {coroutine.resume(coroutine.create(function() local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) return unpack(t) end))}",
  ], false).concat([["DEL", "cok"]]),
);
