/**
 * The shared part of the libraries' chunk: the host's arguments, local
 * copies of the standard functions, error helpers (positions as Redis's C
 * libraries give them) and number formatting (`%.14g`).
 *
 * @module
 */

/** Lua source: one part of the libraries' chunk. */
export const COMMON_SOURCE: string = String.raw`
local NULL, host_wrap = ...
if NULL == nil then
  NULL = setmetatable({}, { __tostring = function() return "userdata: (nil)" end })
end

local type, tostring, tonumber, error, select, next, pcall, rawequal, rawget, rawlen =
  type, tostring, tonumber, error, select, next, pcall, rawequal, rawget, rawlen
local getmetatable, setmetatable = getmetatable, setmetatable
local mtype, tointeger, floor, huge = math.type, math.tointeger, math.floor, math.huge
local byte, char, sub, format, find, rep, gsub, lower, match =
  string.byte, string.char, string.sub, string.format, string.find, string.rep, string.gsub,
  string.lower, string.match
local spack, sunpack = string.pack, string.unpack
local concat, tunpack = table.concat, table.unpack

-- fengari's integers are 32-bit: anything wider is computed in floats.
local TWO31, TWO32, TWO63 = 2147483648.0, 4294967296.0, 9223372036854775808.0
local INT_MAX = 2147483647

-- Errors. Library code raises them with throw() (luaL_error: the caller's
-- position is prepended), rawthrow() (a Lua runtime error raised inside C
-- code: no position) or argerr() (luaL_argerror). Each public function is
-- wrapped so that the position is the script's, not this chunk's.

local RAW = {}
local function throw(msg) error(msg, 0) end
local function rawthrow(msg) error(setmetatable({ msg }, RAW), 0) end
local function argerr(n, fname, msg)
  error(format("bad argument #%d to '%s' (%s)", n, fname, msg), 0)
end

local function rethrow(ok, ...)
  if ok then return ... end
  local e = ...
  if type(e) == "table" and getmetatable(e) == RAW then error(e[1], 0) end
  error(e, 2)
end

-- Public functions receive the argument count first (to tell nil from
-- "no value" as Lua's C API does). With a host wrapper (a JS function,
-- which a tail call cannot remove from the stack) the position is right
-- even in "return cjson.encode(x)"; the Lua fallback loses it there.
local wrap
if host_wrap then
  wrap = function(f)
    return host_wrap(function(...) return f(select("#", ...), ...) end)
  end
else
  wrap = function(f)
    return function(...) return rethrow(pcall(f, select("#", ...), ...)) end
  end
end

-- Iterates t like Lua 5.1 would for the common cases: the array part
-- (1..#t) first, then the other keys. Returns keys and values in a list.
local function ordered_pairs(t)
  local out, n = {}, 0
  local alen = rawlen(t)
  for i = 1, alen do
    local v = rawget(t, i)
    if v ~= nil then
      out[n + 1], out[n + 2] = i, v
      n = n + 2
    end
  end
  for k, v in next, t do
    if not (mtype(k) == "integer" and k >= 1 and k <= alen) then
      out[n + 1], out[n + 2] = k, v
      n = n + 2
    end
  end
  return out, n
end

local function typename(v, n, nargs)
  if n > nargs then return "no value" end
  if rawequal(v, NULL) then return "userdata" end
  return type(v)
end

-- Lua 5.1 formats numbers with "%.14g"; fengari's %g is JavaScript's, so
-- this formats from the exact decimal expansion, rounding half to even
-- as C's printf does.
local LIM = {}
for p = 1, 17 do LIM[p] = 10 ^ p end

local function fmt_g(x, prec)
  if x ~= x then return tostring(x) end -- "nan" or "-nan", as glibc shows its sign
  if x == huge then return "inf" end
  if x == -huge then return "-inf" end
  if mtype(x) == "integer" then
    if x > -LIM[prec] and x < LIM[prec] then return tostring(x) end
    x = x + 0.0
  elseif x == floor(x) and x > -LIM[prec] and x < LIM[prec] then
    if x == 0 and 1 / x < 0 then return "-0" end
    return format("%.0f", x)
  end
  local neg = x < 0
  if neg then x = -x end
  local d1, frac, ex = match(format("%.40e", x), "^(%d)%.(%d+)e([-+]%d+)$")
  local digits = d1 .. frac
  local e = tointeger(tonumber(ex))
  local head = sub(digits, 1, prec)
  local nxt = byte(digits, prec + 1) - 48
  local up = nxt > 5 or
    (nxt == 5 and (find(digits, "[1-9]", prec + 2) ~= nil or (byte(head, prec) - 48) % 2 == 1))
  if up then
    local hb = { byte(head, 1, prec) }
    local k = prec
    while k >= 1 do
      if hb[k] == 57 then
        hb[k] = 48
        k = k - 1
      else
        hb[k] = hb[k] + 1
        break
      end
    end
    if k == 0 then
      hb[1] = 49
      e = e + 1
    end
    head = char(tunpack(hb))
  end
  local out
  if e < prec and e >= -4 then
    if e >= 0 then
      out = sub(head, 1, e + 1) .. "." .. sub(head, e + 2)
    else
      out = "0." .. rep("0", -e - 1) .. head
    end
    out = gsub(gsub(out, "0+$", ""), "%.$", "")
  else
    local m = gsub(gsub(sub(head, 1, 1) .. "." .. sub(head, 2), "0+$", ""), "%.$", "")
    out = m .. (e < 0 and "e-" or "e+") .. (e > -10 and e < 10 and "0" or "") .. (e < 0 and -e or e)
  end
  return neg and "-" .. out or out
end

-- A number handed to scripts: an integer when it is integral and fits
-- fengari's (32-bit) integers, otherwise a float (Lua 5.1 had only those).
local function num_out(v)
  if mtype(v) == "float" and v == floor(v) and v >= -TWO31 and v < TWO31 and
    not (v == 0 and 1 / v < 0) then
    return tointeger(v)
  end
  return v
end

-- luaL_checklstring / luaL_checknumber / luaL_optinteger of Lua 5.1.
local function checkstr(v, n, fname, nargs)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" then return fmt_g(v, 14) end
  argerr(n, fname, "string expected, got " .. typename(v, n, nargs))
end

local function checknum(v, n, fname, nargs)
  if type(v) == "number" then return v end
  local x = type(v) == "string" and tonumber(v) or nil
  if x then return x end
  argerr(n, fname, "number expected, got " .. typename(v, n, nargs))
end

-- lua_Integer (64-bit) conversion of Lua 5.1: truncation toward zero;
-- the result is a float when it does not fit fengari's integers.
local function toint(x)
  if mtype(x) == "integer" then return x end
  if x ~= x or x >= TWO63 or x < -TWO63 then return -TWO63 end
  if x >= 0 then return floor(x) end
  return -floor(-x)
end

-- The low "size" bytes (size <= 8) of the two's complement of the
-- integral number v, most significant first.
local function be_bytes(v, size)
  local b = {}
  local neg = v < 0
  local m = neg and -(v + 0.0) or v
  for k = size, 1, -1 do
    local r = m % 256
    b[k] = r
    m = (m - r) / 256
  end
  if neg then
    local carry = 1
    for k = size, 1, -1 do
      local x = 255 - b[k] + carry
      if x == 256 then
        b[k] = 0
      else
        b[k] = x
        carry = 0
      end
    end
  end
  return b
end

local function be_string(v, size) return char(tunpack(be_bytes(v, size), 1, size)) end

-- Big-endian unsigned 32-bit integer at p, as a number.
local function be_u32(s, p)
  local v = sunpack(">i4", s, p)
  if v < 0 then return v + TWO32 end
  return v
end

local function checkint(v, n, fname, nargs)
  return toint(checknum(v, n, fname, nargs))
end

-- C's (int) of a lua_Integer: its low 32 bits.
local function cint(x)
  x = x % 4294967296
  if x >= 2147483648 then x = x - 4294967296 end
  return x
end

local function optint(v, n, fname, nargs, def)
  if v == nil then return def end
  return checkint(v, n, fname, nargs)
end

`;
