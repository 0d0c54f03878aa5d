/**
 * The Lua libraries of plugins/scripting/_libs.ts (cjson, cmsgpack, bit,
 * struct), run in a bare fengari state, compared byte for byte with what
 * the real redis-server computes for the same expressions.
 *
 * Each expression runs inside the same harness on both sides: its results
 * (or its error message) are serialised to one byte string, numbers as
 * their IEEE double bytes, tables with sorted keys.
 */

import {
  fromLua,
  lauxlib,
  lua,
  lualib,
  type LuaState,
  toLua,
} from "../../plugins/scripting/_fengari.ts";
import { LUA_LIBS_SOURCE, wrapLibFunction } from "../../plugins/scripting/_libs.ts";
import { assertEquals } from "../_assert.ts";
import { hasRedis, prng, RawClient, startRealRedis } from "../_helpers.ts";

/** A fengari state with Redis's libraries, as the scripting VM has them. */
function newState(): LuaState {
  const L = lauxlib.luaL_newstate();
  const libs = [
    ["_G", lualib.luaopen_base],
    ["table", lualib.luaopen_table],
    ["string", lualib.luaopen_string],
    ["math", lualib.luaopen_math],
  ] as const;
  for (const [name, open] of libs) {
    lauxlib.luaL_requiref(L, name, open, true);
    lua.lua_pop(L, 1);
  }
  const st = lauxlib.luaL_loadbuffer(L, toLua(LUA_LIBS_SOURCE), null, "=libs");
  lua.lua_pushlightuserdata(L, {}); // cjson.null, as in Redis
  lua.lua_pushjsfunction(L, wrapLibFunction);
  if (st !== lua.LUA_OK || lua.lua_pcall(L, 2, 0, 0) !== lua.LUA_OK) {
    throw new Error("libs failed: " + fromLua(lua.lua_tolstring(L, -1) ?? new Uint8Array()));
  }
  return L;
}

/** Runs a chunk that returns one string; returns it (or the load/run error). */
function runLocal(L: LuaState, src: string): string {
  const str = (b: Uint8Array | null) => fromLua(b ?? new Uint8Array());
  lua.lua_settop(L, 0);
  if (lauxlib.luaL_loadbuffer(L, toLua(src), null, "@user_script") !== lua.LUA_OK) {
    return "LOADERR " + str(lua.lua_tolstring(L, -1));
  }
  if (lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) return "RUNERR " + str(lua.lua_tolstring(L, -1));
  return str(lua.lua_tolstring(L, -1));
}

// The harness: line 1 holds the expression (so error positions read
// "user_script:1:" on both sides); the rest serialises its results.
// `PACKD` packs a double: struct in Redis (Lua 5.1), string.pack here.
const HARNESS = `
local function before(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local ser
ser = function(v)
  local t = type(v)
  if v == cjson.null then return "U" end
  if t == "string" then return "s" .. #v .. ":" .. v end
  if t == "number" then
    if v ~= v then return "nNaN" end
    return "n" .. PACKD(v)
  end
  if t == "boolean" then return v and "T" or "F" end
  if t == "nil" then return "N" end
  if t == "table" then
    local items = {}
    for k, x in pairs(v) do items[#items + 1] = ser(k) .. "=" .. ser(x) end
    table.sort(items, before)
    return "{" .. table.concat(items, ",") .. "}"
  end
  return "?" .. t
end
local function collect(ok, ...)
  local out = { ok and "OK" or "ERR" }
  local n = select("#", ...)
  for i = 1, n do out[#out + 1] = ser((select(i, ...))) end
  return table.concat(out, "|")
end
return collect(pcall(f))`;

function script(expr: string, packd: string): string {
  return `local f = function() return ${expr} end` +
    HARNESS.replace("PACKD(v)", packd);
}

/** A Lua string literal with every byte as a decimal escape. */
function luaLit(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) out += "\\" + s.charCodeAt(i);
  return out + '"';
}

/** Evaluates every expression on the oracle (pipelined) and locally. */
async function compare(exprs: string[]): Promise<void> {
  const redis = await startRealRedis();
  try {
    const c = await RawClient.connect(redis.port);
    try {
      const parts: string[] = [];
      for (const e of exprs) {
        const src = script(e, "struct.pack('>d', v)");
        parts.push(`*3\r\n$4\r\nEVAL\r\n$${src.length}\r\n${src}\r\n$1\r\n0\r\n`);
      }
      await c.write(parts.join(""));
      const L = newState();
      const failures: string[] = [];
      for (const e of exprs) {
        const { value } = await c.read();
        const want = typeof value === "string" ? value : JSON.stringify(value);
        const got = runLocal(L, script(e, "string.pack('>d', v)"));
        if (got !== want) {
          failures.push(
            `${e}\n   redis: ${JSON.stringify(want)}\n   local: ${JSON.stringify(got)}`,
          );
        }
      }
      assertEquals(failures.join("\n"), "");
    } finally {
      c.close();
    }
  } finally {
    await redis.stop();
  }
}

function randomBytes(r: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(r() * 256));
  return s;
}

const CJSON = [
  // encode: scalars and numbers as "%.14g"
  `cjson.encode(1)`,
  `cjson.encode(-1.5)`,
  `cjson.encode(0.1)`,
  `cjson.encode(1/3)`,
  `cjson.encode(1e15)`,
  `cjson.encode(123456789012345)`,
  `cjson.encode(12345678901234.5)`,
  `cjson.encode(2^53)`,
  `cjson.encode(-0.0)`,
  `cjson.encode(1e-5)`,
  `cjson.encode(0.0001)`,
  `cjson.encode(1.7976931348623157e308)`,
  `cjson.encode(5e-324)`,
  `cjson.encode(99999999999999.5)`,
  `cjson.encode(2^31)`,
  `cjson.encode(-2^31 - 1)`,
  `cjson.encode(1/0)`,
  `cjson.encode(-1/0)`,
  `cjson.encode(0/0)`,
  `cjson.encode(true)`,
  `cjson.encode(false)`,
  `cjson.encode(nil)`,
  `cjson.encode(cjson.null)`,
  `cjson.encode("a/b\\"c\\\\d\\n\\r\\t\\b\\f\\0\\1\\31\\127\\128\\255 é")`,
  `cjson.encode("")`,
  // tables
  `cjson.encode({})`,
  `cjson.encode({1, 2, 3})`,
  `cjson.encode({1, nil, 3})`,
  `cjson.encode({[1] = 1, [3] = 3})`,
  `cjson.encode({[1] = 1, [11] = 2})`,
  `cjson.encode({[10] = 1})`,
  `cjson.encode({[11] = 1})`,
  `cjson.encode({[0] = 1})`,
  `cjson.encode({[1.5] = 1})`,
  `cjson.encode({[-1] = 1})`,
  `cjson.encode({a = 1})`,
  `cjson.encode({a = {b = {1, {c = "d"}}}})`,
  `cjson.encode({[true] = 1})`,
  `cjson.encode({[1/0] = 1, x = 1})`,
  `cjson.encode({function() end})`,
  `cjson.encode(function() end)`,
  `cjson.encode({a = cjson.null})`,
  `cjson.encode({{}, {{}}})`,
  `cjson.encode()`,
  `cjson.encode(1, 2)`,
  `(function() local t = {} local c = t for i = 1, 1001 do c[1] = {} c = c[1] end return cjson.encode(t) end)()`,
  `(function() local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t) end)()`,
  // decode
  `cjson.decode('{"a":1,"b":[1,2,{"c":null}],"d":"x\\\\u00e9\\\\/\\\\n"}')`,
  `cjson.decode('[1, 2.5, -3e2, 1E+2, 0.1, -0, 1e400, 12345678901234567890]')`,
  `cjson.decode('  "str"  ')`,
  `cjson.decode('true')`,
  `cjson.decode('false')`,
  `cjson.decode('null')`,
  `cjson.decode('[]')`,
  `cjson.decode('{}')`,
  `cjson.decode('"\\\\ud83d\\\\ude00"')`,
  `cjson.decode('"\\\\u0000x"')`,
  `cjson.decode('"\\\\ud83d"')`,
  `cjson.decode('"\\\\ude00"')`,
  `cjson.decode('"\\\\u12"')`,
  `cjson.decode('"\\\\ud83d\\\\u0041"')`,
  `cjson.decode('"\\\\x"')`,
  `cjson.decode('"abc')`,
  `cjson.decode('{')`,
  `cjson.decode('{"a"')`,
  `cjson.decode('{"a":}')`,
  `cjson.decode('{"a":1,}')`,
  `cjson.decode('{1:2}')`,
  `cjson.decode('[1,2')`,
  `cjson.decode('[1 2]')`,
  `cjson.decode('[1,]')`,
  `cjson.decode('')`,
  `cjson.decode('   ')`,
  `cjson.decode('1 2')`,
  `cjson.decode('truex')`,
  `cjson.decode('tru')`,
  `cjson.decode('nul')`,
  `cjson.decode('xyz')`,
  `cjson.decode('.5')`,
  `cjson.decode('-')`,
  `cjson.decode('-.5')`,
  `cjson.decode('1.')`,
  `cjson.decode('1e')`,
  `cjson.decode('01')`,
  `cjson.decode('+1')`,
  `cjson.decode('0x1F')`,
  `cjson.decode('-0x10')`,
  `cjson.decode('inf')`,
  `cjson.decode('-Infinity')`,
  `cjson.decode('nan') ~= cjson.decode('nan')`,
  `cjson.decode('[1,2]\\0garbage')`,
  `cjson.decode('\\0[')`,
  `cjson.decode('"a\\0b"')`,
  `cjson.decode('"tab\\there"')`,
  `cjson.decode(123)`,
  `cjson.decode(nil)`,
  `cjson.decode({})`,
  `cjson.decode()`,
  `cjson.decode('1', 2)`,
  `cjson.decode(string.rep('[', 1001))`,
  `cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000)) ~= nil`,
  `cjson.decode(string.rep('{"a":', 1001))`,
  `cjson.decode(cjson.encode({a = {1, 2, {b = "c"}}, d = "\\1\\2\\255"}))`,
  // configuration (on fresh instances, so the shared one keeps its defaults)
  `cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision()`,
  `cjson.encode_keep_buffer(), cjson.encode_invalid_numbers(), cjson.decode_invalid_numbers()`,
  `cjson.encode_sparse_array()`,
  `cjson._NAME, cjson._VERSION, type(cjson.new), type(cjson.new().null)`,
  `(function() local c = cjson.new() c.encode_max_depth(2) return c.encode({{1}}), pcall(c.encode, {{{1}}}) end)()`,
  `(function() local c = cjson.new() return c.encode_max_depth(2), pcall(c.encode, {{{1}}}) end)()`,
  `(function() local c = cjson.new() c.encode_number_precision(3) return c.encode(1/3), c.encode(12345), c.encode(0.00012345) end)()`,
  `(function() local c = cjson.new() c.encode_invalid_numbers(true) return c.encode({1/0, -1/0}) end)()`,
  `(function() local c = cjson.new() return c.encode_invalid_numbers("null"), c.encode({1/0, 0/0}) end)()`,
  `(function() local c = cjson.new() c.decode_invalid_numbers(false) return pcall(c.decode, '+1') end)()`,
  `(function() local c = cjson.new() c.decode_invalid_numbers(false) return pcall(c.decode, '01') end)()`,
  `(function() local c = cjson.new() c.decode_invalid_numbers(false) return pcall(c.decode, 'inf') end)()`,
  `(function() local c = cjson.new() c.decode_max_depth(2) return pcall(c.decode, '[[[1]]]') end)()`,
  `(function() local c = cjson.new() return c.encode_sparse_array(true), c.encode({[1] = 1, [20] = 2}) end)()`,
  `(function() local c = cjson.new() return c.encode_sparse_array(false, 0), c.encode({[1] = 1, [20] = 2}) end)()`,
  `(function() local c = cjson.new() return c.encode_sparse_array(false, 2, 100), c.encode({[1] = 1, [20] = 2}) end)()`,
  `(function() local c = cjson.new() return c.encode_keep_buffer(false), c.encode_keep_buffer() end)()`,
  `cjson.new().encode_max_depth(0)`,
  `cjson.new().encode_max_depth("x")`,
  `cjson.new().encode_max_depth(1, 2)`,
  `cjson.new().encode_number_precision(15)`,
  `cjson.new().encode_invalid_numbers("x")`,
  `cjson.new().encode_invalid_numbers(1)`,
  `cjson.new().encode_sparse_array(true, -1)`,
  `cjson.new().encode_sparse_array(1)`,
  `cjson.new().encode_keep_buffer("on")`,
  `pcall(cjson.decode, '{')`,
];

const CMSGPACK = [
  `cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2^53)`,
  `cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31 - 1, -2^53, -2^63)`,
  // (Lua 5.1 merges a function's constants 0 and -0.0: they are kept apart)
  `cmsgpack.pack(2^63, 2^64, 1.5, 0.1, 1/0, -1/0, 1e300, 3.25, 16777217.5)`,
  `cmsgpack.pack(-0.0), cmsgpack.unpack(cmsgpack.pack(-0.0))`,
  `cmsgpack.pack(true, false, nil, cjson.null)`,
  `cmsgpack.pack("", "a", string.rep("x", 31), string.rep("x", 32), string.rep("y", 255))`,
  `cmsgpack.pack(string.rep("z", 256), string.rep("w", 65535))`,
  `#cmsgpack.pack(string.rep("z", 65536)), cmsgpack.pack(string.rep("z", 65536)):sub(1, 6)`,
  `cmsgpack.pack({}, {1, 2, 3}, {1, nil, 3}, {[2] = 1}, {a = 1}, {[1.5] = 2}, {[-1] = 1})`,
  `cmsgpack.pack({{{{{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}}}})`,
  `cmsgpack.pack({a = {b = {c = {d = {e = {f = {g = {h = {i = {j = {k = {l = {m = {n = {o = {p = {q = 1}}}}}}}}}}}}}}}}})`,
  `cmsgpack.pack((function() local t = {} for i = 1, 20 do t[i] = i end return t end)())`,
  `cmsgpack.pack((function() local t = {} for i = 1, 70000 do t[i] = 1 end return t end)()):sub(1, 8)`,
  `cmsgpack.pack(function() end)`,
  `cmsgpack.pack()`,
  `cmsgpack.unpack(cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2^53))`,
  `cmsgpack.unpack(cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2^31, -2^31 - 1, -2^53))`,
  `cmsgpack.unpack(cmsgpack.pack(1.5, 0.1, 1/0, -1/0, 1e300, 3.25, 2^63, 2^64))`,
  `cmsgpack.unpack(cmsgpack.pack({1, 2, {a = "b"}}, "str", true, false))`,
  `cmsgpack.unpack(cmsgpack.pack(nil, 1))`,
  `cmsgpack.unpack("")`,
  `cmsgpack.unpack("\\207\\255\\255\\255\\255\\255\\255\\255\\255")`,
  `cmsgpack.unpack("\\211\\128\\0\\0\\0\\0\\0\\0\\1")`,
  `cmsgpack.unpack("\\207\\0\\32\\0\\0\\0\\0\\0\\1")`,
  `cmsgpack.unpack("\\206\\255\\255\\255\\255\\210\\128\\0\\0\\0")`,
  `cmsgpack.unpack("\\202\\127\\192\\0\\0\\203\\127\\248\\0\\0\\0\\0\\0\\0") ~= 0`,
  `cmsgpack.unpack("\\196\\1a")`,
  `cmsgpack.unpack("\\193")`,
  `cmsgpack.unpack("\\212\\1\\1")`,
  `cmsgpack.unpack("\\217")`,
  `cmsgpack.unpack("\\217\\3ab")`,
  `cmsgpack.unpack("\\218\\0")`,
  `cmsgpack.unpack("\\205\\1")`,
  `cmsgpack.unpack("\\147\\1\\2")`,
  `cmsgpack.unpack("\\129\\161a")`,
  `cmsgpack.unpack("\\129\\192\\1")`,
  `cmsgpack.unpack("\\130\\161a\\1\\161a\\2")`,
  `cmsgpack.unpack("\\145\\192")`,
  `cmsgpack.unpack("\\129\\1\\192")`,
  `cmsgpack.unpack("\\222\\0\\2\\161a\\1\\161b\\2")`,
  `cmsgpack.unpack("\\220\\0\\3\\1\\2\\3")`,
  `cmsgpack.unpack("\\221\\0\\0\\0\\1\\1")`,
  `cmsgpack.unpack("\\219\\0\\0\\0\\2hi")`,
  `cmsgpack.unpack("\\218\\0\\2hi")`,
  `cmsgpack.unpack("\\129\\203\\63\\248\\0\\0\\0\\0\\0\\0\\1")`,
  `cmsgpack.unpack(123)`,
  `cmsgpack.unpack()`,
  `cmsgpack.unpack({})`,
  `cmsgpack.unpack_one("\\1\\2\\3")`,
  `cmsgpack.unpack_one("\\1\\2\\3", 2)`,
  `cmsgpack.unpack_one("\\1\\2\\3", 3)`,
  `cmsgpack.unpack_one("\\1\\2\\3", 4)`,
  `cmsgpack.unpack_one("\\1\\2\\3", -1)`,
  `cmsgpack.unpack_one("\\1\\2\\3", "x")`,
  `cmsgpack.unpack_one("\\1\\2\\3", "1")`,
  `cmsgpack.unpack_one("")`,
  `cmsgpack.unpack_limit("\\1\\2\\3", 2)`,
  `cmsgpack.unpack_limit("\\1\\2\\3", 2, 1)`,
  `cmsgpack.unpack_limit("\\1\\2\\3", 0)`,
  `cmsgpack.unpack_limit("\\1\\2\\3", 0, 1)`,
  `cmsgpack.unpack_limit("\\1\\2\\3", 5)`,
  `cmsgpack.unpack_limit("\\1\\2\\3", -1)`,
  `cmsgpack.unpack_limit("\\1\\2\\3")`,
  `cmsgpack.unpack_limit("\\1\\2\\3", 1, 9)`,
  `cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION`,
  // what a msgpackr client (BullMQ) sends: a map of job options
  `cmsgpack.unpack("\\134\\167attempts\\3\\165delay\\205\\3\\232\\164lifo\\194\\168priority\\0\\169timestamp\\203\\66\\120\\253\\17\\57\\176\\0\\0\\165jobId\\217\\40" .. string.rep("j", 40))`,
  `cmsgpack.unpack("\\130\\164keep\\206\\0\\1\\134\\160\\163age\\211\\0\\0\\1\\0\\0\\0\\0\\0")`,
  `cmsgpack.unpack("\\146\\145\\145\\163abc\\192")`,
];

const BIT = [
  `bit.tobit(0), bit.tobit(1), bit.tobit(-1), bit.tobit(2^31), bit.tobit(2^32), bit.tobit(2^32 + 5)`,
  `bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(-2.5), bit.tobit(0.49999), bit.tobit(1e300)`,
  `bit.tobit(2^52 + 3), bit.tobit(2^53 + 2), bit.tobit(-2^52 - 3), bit.tobit(2^63), bit.tobit(1/0), bit.tobit(0/0)`,
  `bit.tobit("12"), bit.tobit(" 0x10 "), bit.tobit("1e3")`,
  `bit.tobit("x")`,
  `bit.tobit()`,
  `bit.tobit(nil)`,
  `bit.tobit({})`,
  `bit.tobit(true)`,
  `bit.bnot(0), bit.bnot(-1), bit.bnot(12345), bit.bnot(2^31)`,
  `bit.band(0xff00ff, 0x0ff0f0), bit.band(-1, 0x7fffffff), bit.band(7), bit.band(1, 3, 5, 7)`,
  `bit.bor(1, 2, 4, 2^31), bit.bor(0), bit.bxor(0xff, 0x0f, 0x01), bit.bxor(-1, 2^31)`,
  `bit.band()`,
  `bit.band(1, "x", {})`,
  `bit.band("x", 1)`,
  `bit.lshift(1, 0), bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.lshift(-1, 4), bit.lshift(3, -1)`,
  `bit.rshift(-1, 0), bit.rshift(-1, 1), bit.rshift(-1, 28), bit.rshift(-1, 32), bit.rshift(256, 4)`,
  `bit.arshift(-256, 4), bit.arshift(-1, 31), bit.arshift(2^31, 1), bit.arshift(256, 4), bit.arshift(-256, 0)`,
  `bit.rol(0x12345678, 4), bit.rol(-1, 7), bit.rol(1, 32), bit.rol(2^31, 1)`,
  `bit.ror(0x12345678, 4), bit.ror(1, 1), bit.ror(1, 0), bit.ror(0x80000001, 33)`,
  `bit.bswap(0x12345678), bit.bswap(-1), bit.bswap(0xff), bit.bswap(2^31)`,
  `bit.tohex(0), bit.tohex(-1), bit.tohex(255), bit.tohex(255, 2), bit.tohex(255, -2), bit.tohex(0x1234abcd, -8)`,
  `bit.tohex(0x1234abcd, 4), bit.tohex(1, 9), bit.tohex(1, -20), bit.tohex(1, 0), bit.tohex(2^32 + 10)`,
  `bit.tohex(1, "x")`,
  `bit.tohex(1, nil)`,
  `bit.lshift(1)`,
  `pcall(bit.band, "x", 1)`,
];

const STRUCT = [
  `struct.pack("b", 1), struct.pack("b", -1), struct.pack("B", 255), struct.pack("B", 256)`,
  `struct.pack("h", 1), struct.pack(">h", 1), struct.pack("<H", 65535), struct.pack(">H", -1)`,
  `struct.pack("i", 1), struct.pack(">i", -2), struct.pack("I", 2^32 - 1), struct.pack(">I", 2^32)`,
  `struct.pack("l", 1), struct.pack(">l", -2), struct.pack("L", 2^53), struct.pack(">L", -2^63)`,
  `struct.pack("i1", 300), struct.pack(">i3", -2), struct.pack("<i3", 2^23), struct.pack("i7", -1)`,
  `struct.pack("i8", 2^63), struct.pack(">I8", 2^64 - 2048), struct.pack("i12", -1), struct.pack(">i12", 5)`,
  `struct.pack("T", 7), struct.pack("i", 1.9), struct.pack("i", -1.9), struct.pack("i", "12")`,
  `struct.pack("f", 1.5), struct.pack(">f", -0.1), struct.pack("d", 0.1), struct.pack(">d", 1/0)`,
  `struct.pack("c3", "abcdef"), struct.pack("c0", "xyz"), struct.pack("c", "q"), struct.pack("s", "hi")`,
  `struct.pack("x"), struct.pack("bxh", 1, 2), struct.pack("!bxh", 1, 2), struct.pack("!4bi", 1, 2)`,
  `struct.pack("!bd", 1, 2), struct.pack("!2bd", 1, 2), struct.pack("!bi3", 1, 2), struct.pack("! b < i > h", 1, 2, 3)`,
  `struct.pack("c3", "ab")`,
  `struct.pack("i", "x")`,
  `struct.pack("i")`,
  `struct.pack()`,
  `struct.pack("q", 1)`,
  `struct.pack("=i", 1)`,
  `struct.pack("i33", 1)`,
  `struct.pack("i32", -1)`,
  `struct.pack("!3i", 1)`,
  `struct.pack("i99999999999", 1)`,
  `struct.pack(12, 1)`,
  `struct.pack("b\\0b", 1, 2)`,
  `struct.unpack("b", "\\255"), struct.unpack("B", "\\255"), struct.unpack("<h", "\\1\\128"), struct.unpack(">H", "\\128\\1")`,
  `struct.unpack("i", "\\255\\255\\255\\255"), struct.unpack("I", "\\255\\255\\255\\255"), struct.unpack(">i3", "\\255\\255\\254")`,
  `struct.unpack("l", "\\255\\255\\255\\255\\255\\255\\255\\255"), struct.unpack("L", "\\255\\255\\255\\255\\255\\255\\255\\255")`,
  `struct.unpack("<i8", "\\1\\0\\0\\0\\0\\0\\32\\0"), struct.unpack(">I8", "\\128\\0\\0\\0\\0\\0\\0\\0"), struct.unpack(">l", "\\128\\0\\0\\0\\0\\0\\0\\1")`,
  `struct.unpack("i12", "\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255"), struct.unpack(">i9", "\\0\\0\\0\\0\\0\\0\\0\\0\\128")`,
  `struct.unpack("<I9", "\\1\\2\\3\\4\\5\\6\\7\\8\\9"), struct.unpack(">i16", string.rep("\\128", 16))`,
  `struct.unpack("f", struct.pack("f", 1.5)), struct.unpack(">d", struct.pack(">d", 0.1)), struct.unpack("f", struct.pack("f", 0.1))`,
  `struct.unpack("c3", "abcdef"), struct.unpack("c3c2", "abcdef"), struct.unpack("s", "ab\\0cd"), struct.unpack("ss", "a\\0b\\0")`,
  `struct.unpack("bc0", "\\3abcd"), struct.unpack("c1c0", "2abcd"), struct.unpack("xb", "\\1\\2"), struct.unpack("!bxi", "\\1\\0\\0\\0\\2\\0\\0\\0")`,
  `struct.unpack("b", "\\1\\2\\3", 2), struct.unpack("b", "\\1\\2\\3", 3), struct.unpack("", "abc", 4), struct.unpack("b", "abc", 2.9)`,
  `struct.unpack("b", "abc", 4)`,
  `struct.unpack("b", "abc", 0)`,
  `struct.unpack("b", "abc", 5)`,
  `struct.unpack("b", "abc", -1)`,
  `struct.unpack("i", "ab")`,
  `struct.unpack("c0", "abcd")`,
  `struct.unpack("c2c0", "abcd")`,
  `struct.unpack("bc0", "\\9abcd")`,
  `struct.unpack("s", "abcd")`,
  `struct.unpack("q", "abcd")`,
  `struct.unpack("i")`,
  `struct.unpack()`,
  `struct.unpack("b", 5)`,
  `struct.size("b"), struct.size("bhilfdx"), struct.size("!bhilfd"), struct.size("!2bd"), struct.size("c5"), struct.size("i3")`,
  `struct.size(""), struct.size("q"), struct.size(">!<"), struct.size("< i")`,
  `struct.size("s")`,
  `struct.size("c0")`,
  `struct.size("!3")`,
  `struct.size("=")`,
  `struct.size()`,
  `pcall(struct.pack, "q", 1)`,
];

Deno.test({
  name: "scripting libs: cjson matches redis-server",
  ignore: !hasRedis,
  fn: () => compare(CJSON),
});

Deno.test({
  name: "scripting libs: cmsgpack matches redis-server",
  ignore: !hasRedis,
  fn: () => compare(CMSGPACK),
});

Deno.test({
  name: "scripting libs: bit and struct match redis-server",
  ignore: !hasRedis,
  fn: () => compare([...BIT, ...STRUCT]),
});

Deno.test({
  name: "scripting libs: random binary strings and numbers round-trip as in redis-server",
  ignore: !hasRedis,
  fn: () => {
    const r = prng(7);
    const exprs: string[] = [];
    for (let i = 0; i < 40; i++) {
      const raw = randomBytes(r, Math.floor(r() * (i < 30 ? 40 : 300)));
      const s = luaLit(raw);
      const z = luaLit(raw.replaceAll("\0", ""));
      exprs.push(
        `cmsgpack.pack(${s}, {${s}, k = ${s}}), cmsgpack.unpack(cmsgpack.pack(${s}, {${s}}))`,
        `cjson.encode(${s}), cjson.decode(cjson.encode({${s}, x = ${s}}))`,
        `struct.pack("c0s", ${s}, ${z}), struct.unpack("c" .. #${s} .. "s", ${s} .. ${z} .. "\\0")`,
      );
    }
    for (let i = 0; i < 30; i++) {
      const n = Math.floor((r() - 0.5) * 2 ** (r() * 60));
      const x = (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
      exprs.push(
        `cmsgpack.pack(${n}, ${x}), cmsgpack.unpack(cmsgpack.pack(${n}, ${x}))`,
        `cjson.encode({${n}, ${x}}), cjson.decode(cjson.encode({${n}, ${x}}))`,
        `bit.tobit(${n}), bit.tohex(${n}), bit.band(${n}, ${x} * 1e6), bit.ror(${n}, ${i})`,
        `struct.pack(">i8d", ${n}, ${x}), struct.unpack(">i8", struct.pack(">i8", ${n}))`,
      );
    }
    return compare(exprs);
  },
});
