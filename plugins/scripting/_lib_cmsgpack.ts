/**
 * `cmsgpack`: lua-cmsgpack 0.4.0 as Redis 7.0 ships it.
 * It uses the locals that `scripting_lib_common.ts` declares: the parts
 * are one Lua chunk, joined in `_libs.ts`.
 *
 * @module
 */

/** Lua source: one part of the libraries' chunk. */
export const CMSGPACK_SOURCE: string = String
  .raw`------------------------------------------------------------------------
-- cmsgpack (lua-cmsgpack 0.4.0)
------------------------------------------------------------------------

local MAX_NESTING = 16

local function mp_int(n)
  if n >= 0 then
    if n <= 127 then return char(n) end
    if n <= 0xff then return char(0xcc, n) end
    if n <= 0xffff then return spack(">BI2", 0xcd, n) end
    if n < TWO32 then return "\206" .. be_string(n, 4) end
    return "\207" .. be_string(n, 8)
  end
  if n >= -32 then return char(n & 0xff) end
  if n >= -128 then return spack(">Bb", 0xd0, n) end
  if n >= -32768 then return spack(">Bi2", 0xd1, n) end
  if n >= -TWO31 then return "\210" .. be_string(n, 4) end
  return "\211" .. be_string(n, 8)
end

local function mp_number(x)
  if mtype(x) == "integer" or (x == floor(x) and x >= -TWO63 and x < TWO63) then
    return mp_int(x)
  end
  -- float32 when lossless (NaN never is), else float64
  if sunpack(">f", spack(">f", x)) == x then return spack(">Bf", 0xca, x) end
  return spack(">Bd", 0xcb, x)
end

local function mp_string(s)
  local n = #s
  if n < 32 then return char(0xa0 | n) .. s end
  if n <= 0xff then return char(0xd9, n) .. s end
  if n <= 0xffff then return spack(">BI2", 0xda, n) .. s end
  return spack(">BI4", 0xdb, n) .. s
end

local mp_encode
function mp_encode(buf, n, v, level)
  local t = type(v)
  if t == "table" and not rawequal(v, NULL) and level < MAX_NESTING then
    -- An array when the keys are exactly 1..count.
    local count, max, is_array = 0, 0, true
    for k in next, v do
      if mtype(k) ~= "integer" or k <= 0 then
        is_array = false
        break
      end
      if k > max then max = k end
      count = count + 1
    end
    if is_array and max == count then
      n = n + 1
      buf[n] = count < 16 and char(0x90 | count) or count <= 0xffff and spack(">BI2", 0xdc, count) or
        spack(">BI4", 0xdd, count)
      for i = 1, count do n = mp_encode(buf, n, rawget(v, i), level + 1) end
    else
      local kv, kn = ordered_pairs(v)
      count = kn // 2
      n = n + 1
      buf[n] = count < 16 and char(0x80 | count) or count <= 0xffff and spack(">BI2", 0xde, count) or
        spack(">BI4", 0xdf, count)
      for j = 1, kn, 2 do
        n = mp_encode(buf, n, kv[j], level + 1)
        n = mp_encode(buf, n, kv[j + 1], level + 1)
      end
    end
    return n
  end
  n = n + 1
  if t == "string" then
    buf[n] = mp_string(v)
  elseif t == "number" then
    buf[n] = mp_number(v)
  elseif t == "boolean" then
    buf[n] = v and "\195" or "\194"
  else
    buf[n] = "\192"
  end
  return n
end

local MISSING = "Missing bytes in input."
local BADFMT = "Bad data format in input."

-- Decodes the value at p of s (length len): returns it and the next
-- position. h is how many slots the C decoder's Lua stack holds when it
-- pushes this value: it checks for one more (luaL_checkstack), an array
-- for one more again, which Lua 5.1 refuses past 8000 slots.
local mp_decode
local MAXCSTACK = 8000
local TOO_MANY =
  "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"
local function mp_array(s, p, len, count, h)
  if h + 2 > MAXCSTACK then throw("stack overflow (in function mp_decode_to_lua_array)") end
  local t = {}
  for i = 1, count do
    local v
    v, p = mp_decode(s, p, len, h + 2)
    t[i] = v
  end
  return t, p
end

local function mp_map(s, p, len, count, h)
  local t = {}
  for _ = 1, count do
    local k, v
    k, p = mp_decode(s, p, len, h + 1)
    v, p = mp_decode(s, p, len, h + 2)
    if k == nil then rawthrow("table index is nil") end
    if k ~= k then rawthrow("table index is NaN") end
    t[k] = v
  end
  return t, p
end

local function mp_bytes(s, p, len, n)
  if p + n - 1 > len then throw(MISSING) end
  return sub(s, p, p + n - 1), p + n
end

local function need(p, n, len)
  if p + n - 1 > len then throw(MISSING) end
end

function mp_decode(s, p, len, h)
  local c = byte(s, p)
  if c == nil then throw(MISSING) end
  if h + 1 > MAXCSTACK then throw(TOO_MANY) end
  if c < 0x80 then return c, p + 1 end
  if c >= 0xe0 then return c - 256, p + 1 end
  if c >= 0xa0 and c < 0xc0 then return mp_bytes(s, p + 1, len, c & 0x1f) end
  if c >= 0x90 and c < 0xa0 then return mp_array(s, p + 1, len, c & 0x0f, h) end
  if c < 0x90 then return mp_map(s, p + 1, len, c & 0x0f, h) end
  if c == 0xc0 then return nil, p + 1 end
  if c == 0xc2 then return false, p + 1 end
  if c == 0xc3 then return true, p + 1 end
  if c == 0xcc then
    need(p, 2, len)
    return byte(s, p + 1), p + 2
  end
  if c == 0xcd then
    need(p, 3, len)
    return sunpack(">I2", s, p + 1)
  end
  if c == 0xce then
    need(p, 5, len)
    return num_out(be_u32(s, p + 1)), p + 5
  end
  if c == 0xcf then -- lua-cmsgpack reads uint 64 as a signed 64-bit integer
    need(p, 9, len)
    return num_out(sunpack(">i4", s, p + 1) * TWO32 + be_u32(s, p + 5)), p + 9
  end
  if c == 0xd0 then
    need(p, 2, len)
    return sunpack(">b", s, p + 1)
  end
  if c == 0xd1 then
    need(p, 3, len)
    return sunpack(">i2", s, p + 1)
  end
  if c == 0xd2 then
    need(p, 5, len)
    return sunpack(">i4", s, p + 1)
  end
  if c == 0xd3 then
    need(p, 9, len)
    return num_out(sunpack(">i4", s, p + 1) * TWO32 + be_u32(s, p + 5)), p + 9
  end
  if c == 0xca then
    need(p, 5, len)
    return sunpack(">f", s, p + 1)
  end
  if c == 0xcb then
    need(p, 9, len)
    return sunpack(">d", s, p + 1)
  end
  if c == 0xd9 then
    need(p, 2, len)
    return mp_bytes(s, p + 2, len, byte(s, p + 1))
  end
  if c == 0xda then
    need(p, 3, len)
    return mp_bytes(s, p + 3, len, (sunpack(">I2", s, p + 1)))
  end
  if c == 0xdb then
    need(p, 5, len)
    return mp_bytes(s, p + 5, len, be_u32(s, p + 1))
  end
  if c == 0xdc then
    need(p, 3, len)
    return mp_array(s, p + 3, len, (sunpack(">I2", s, p + 1)), h)
  end
  if c == 0xdd then
    need(p, 5, len)
    return mp_array(s, p + 5, len, be_u32(s, p + 1), h)
  end
  if c == 0xde then
    need(p, 3, len)
    return mp_map(s, p + 3, len, (sunpack(">I2", s, p + 1)), h)
  end
  if c == 0xdf then
    need(p, 5, len)
    return mp_map(s, p + 5, len, be_u32(s, p + 1), h)
  end
  throw(BADFMT)
end

-- base: the slots the C function keeps under the values it pushes (unpack
-- keeps its arguments; unpack_one and unpack_limit pop all but the string).
local function mp_unpack_full(s, nargs, fname, limit, offset, base)
  s = checkstr(s, 1, fname, nargs)
  local len = #s
  if offset < 0 or limit < 0 then
    throw(format("Invalid request to unpack with offset of %d and limit of %d.", cint(offset), len))
  elseif offset > len then
    throw(format("Start offset %d greater than input length %d.", offset, len))
  end
  local decode_all = limit == 0 and offset == 0
  if decode_all then limit = huge end
  local out, cnt, p = {}, 0, offset + 1
  while p <= len and cnt < limit do
    cnt = cnt + 1
    out[cnt], p = mp_decode(s, p, len, base + cnt - 1)
  end
  if decode_all then return tunpack(out, 1, cnt) end
  return p > len and -1 or p - 1, tunpack(out, 1, cnt)
end

cmsgpack = {
  _NAME = "cmsgpack",
  _VERSION = "lua-cmsgpack 0.4.0",
  _COPYRIGHT = "Copyright (C) 2012, Salvatore Sanfilippo",
  _DESCRIPTION = "MessagePack C implementation for Lua",
  pack = wrap(function(nargs, ...)
    if nargs == 0 then argerr(0, "pack", "MessagePack pack needs input.") end
    local buf, n = {}, 0
    for i = 1, nargs do n = mp_encode(buf, n, (select(i, ...)), 0) end
    return concat(buf, "", 1, n)
  end),
  unpack = wrap(function(nargs, s)
    return mp_unpack_full(s, nargs, "unpack", 0, 0, nargs)
  end),
  unpack_one = wrap(function(nargs, s, offset)
    offset = optint(offset, 2, "unpack_one", nargs, 0)
    return mp_unpack_full(s, nargs, "unpack_one", 1, offset, 1)
  end),
  unpack_limit = wrap(function(nargs, s, limit, offset)
    limit = checkint(limit, 2, "unpack_limit", nargs)
    offset = optint(offset, 3, "unpack_limit", nargs, 0)
    return mp_unpack_full(s, nargs, "unpack_limit", limit, offset, 1)
  end),
}

`;
