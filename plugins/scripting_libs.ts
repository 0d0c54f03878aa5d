/**
 * The libraries Redis gives scripts besides Lua's own: `cjson`, `cmsgpack`,
 * `bit` and `struct`, written in Lua and loaded into each scripting VM.
 *
 * They reproduce Redis 7.0's C libraries (lua-cjson 2.1.0, lua-cmsgpack
 * 0.4.0, LuaBitOp 1.0.2, lua-struct 0.2) byte for byte, including their
 * error messages. Redis runs them on Lua 5.1, where every number is a
 * double; here integral results come back as Lua 5.3 integers (when within
 * ±2^53, so no precision is invented) and other numbers as floats.
 *
 * The chunk takes two optional arguments from the host:
 * 1. the value to use as `cjson.null`: Redis uses a NULL light userdata,
 *    which plain Lua cannot create (push one with `lua_pushlightuserdata`);
 *    without it a unique table stands in for it.
 * 2. `wrap(f)`: returns a JS function that calls the Lua function `f` with
 *    its arguments and, if `f` raises a string, re-raises it prefixed with
 *    `luaL_where(L, 1)` (the caller's "user_script:N: "), or if it raises a
 *    table, re-raises that table's [1] unchanged. Redis's libraries are C
 *    functions, which a Lua tail call (`return cjson.encode(x)`) cannot
 *    drop from the stack; a Lua wrapper can, losing the position. Without
 *    it a Lua wrapper is used (positions are missing after tail calls).
 *
 * @module
 */

/** Lua source that defines the library globals (run once per VM). */
export const LUA_LIBS_SOURCE: string = String.raw`
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
  if x ~= x then return "nan" end
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

local function optint(v, n, fname, nargs, def)
  if v == nil then return def end
  return checkint(v, n, fname, nargs)
end

------------------------------------------------------------------------
-- cjson (lua-cjson 2.1.0)
------------------------------------------------------------------------

local ESC = {}
for i = 0, 31 do ESC[char(i)] = format("\\u%04x", i) end
ESC["\b"], ESC["\t"], ESC["\n"], ESC["\f"], ESC["\r"] = "\\b", "\\t", "\\n", "\\f", "\\r"
ESC['"'], ESC["\\"], ESC["/"], ESC["\127"] = '\\"', "\\\\", "\\/", "\\u007f"

local function json_string(s)
  return '"' .. gsub(s, '[\0-\31"/\\\127]', ESC) .. '"'
end

local UNESC = {
  [34] = '"', [92] = "\\", [47] = "/", [98] = "\b", [116] = "\t", [110] = "\n", [102] = "\f",
  [114] = "\r",
}

local function hex4(s, p)
  local h = sub(s, p, p + 3)
  if #h < 4 or find(h, "[^%x]") then return nil end
  return tonumber(h, 16)
end

local function utf8_of(cp)
  if cp <= 0x7F then return char(cp) end
  if cp <= 0x7FF then return char((cp >> 6) | 0xC0, (cp & 0x3F) | 0x80) end
  if cp <= 0xFFFF then
    return char((cp >> 12) | 0xE0, ((cp >> 6) & 0x3F) | 0x80, (cp & 0x3F) | 0x80)
  end
  return char((cp >> 18) | 0xF0, ((cp >> 12) & 0x3F) | 0x80, ((cp >> 6) & 0x3F) | 0x80,
    (cp & 0x3F) | 0x80)
end

local T_OBJ_BEGIN, T_OBJ_END, T_ARR_BEGIN, T_ARR_END = "T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN",
  "T_ARR_END"
local T_STRING, T_NUMBER, T_BOOLEAN, T_NULL = "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL"
local T_COLON, T_COMMA, T_END, T_ERROR = "T_COLON", "T_COMMA", "T_END", "T_ERROR"
local SINGLE = {
  [123] = T_OBJ_BEGIN, [125] = T_OBJ_END, [91] = T_ARR_BEGIN, [93] = T_ARR_END,
  [58] = T_COLON, [44] = T_COMMA,
}
-- Characters that may start a literal, a string or a number.
local UNKNOWN = { [102] = 1, [105] = 1, [73] = 1, [110] = 1, [78] = 1, [116] = 1, [34] = 1,
  [43] = 1, [45] = 1 }
for c = 48, 57 do UNKNOWN[c] = 1 end

-- C's strtod() at p: returns the value and the position after it, or nil.
local function strtod(s, p)
  local neg = false
  local c = byte(s, p)
  if c == 43 or c == 45 then
    neg = c == 45
    p = p + 1
  end
  local w = lower(sub(s, p, p + 7))
  if sub(w, 1, 3) == "inf" then
    return neg and -huge or huge, w == "infinity" and p + 8 or p + 3
  end
  if sub(w, 1, 3) == "nan" then
    return 0 / 0, match(s, "^%([%w_]*%)()", p + 3) or p + 3
  end
  local v, e
  if match(s, "^0[xX]%.?%x", p) then
    local m, q = match(s, "^0[xX](%x*%.?%x*)()", p)
    local ex, q2 = match(s, "^([pP][-+]?%d+)()", q)
    if ex then q = q2 else ex = "" end
    v, e = tonumber("0x" .. m .. ex), q
  else
    local m, q = match(s, "^(%d*%.?%d*)()", p)
    if not find(m, "%d") then return nil end
    local ex, q2 = match(s, "^([eE][-+]?%d+)()", q)
    if ex then q = q2 else ex = "" end
    v, e = tonumber(m .. ex), q
    if not v then v = tonumber(m .. "0" .. ex) end -- "1." is fine for C
  end
  v = v + 0.0
  if neg then v = -v end
  return v, e
end

local function make_cjson()
  local cfg = {
    sparse_convert = 0, sparse_ratio = 2, sparse_safe = 10,
    encode_max_depth = 1000, decode_max_depth = 1000,
    encode_invalid = 0, decode_invalid = 1, keep_buffer = 1, precision = 14,
  }
  local json = {}

  --- Configuration functions -------------------------------------------

  local function arg_init(nargs, max, fname)
    if nargs > max then argerr(max + 1, fname, "found too many arguments") end
  end

  local function integer_option(v, key, min, max, fname, nargs, n)
    if v ~= nil then
      local x = checkint(v, n, fname, nargs)
      if x < min or x > max then
        argerr(1, fname, format("expected integer between %d and %d", min, max))
      end
      cfg[key] = x
    end
    return cfg[key]
  end

  local BOOL_OPTIONS = { "off", "on" }
  local function enum_option(v, key, options, fname, nargs, n)
    if v ~= nil then
      if type(v) == "boolean" then
        cfg[key] = v and 1 or 0
      else
        local name = checkstr(v, n, fname, nargs)
        local found
        for i = 1, #options do
          if options[i] == name then found = i - 1 end
        end
        if not found then argerr(n, fname, format("invalid option '%s'", name)) end
        cfg[key] = found
      end
    end
    local s = cfg[key]
    if s == 0 or s == 1 then return s == 1 end
    return options[s + 1]
  end

  json.encode_sparse_array = wrap(function(nargs, convert, ratio, safe)
    arg_init(nargs, 3, "encode_sparse_array")
    local a = enum_option(convert, "sparse_convert", BOOL_OPTIONS, "encode_sparse_array", nargs, 1)
    local b = integer_option(ratio, "sparse_ratio", 0, INT_MAX, "encode_sparse_array", nargs, 2)
    local c = integer_option(safe, "sparse_safe", 0, INT_MAX, "encode_sparse_array", nargs, 3)
    return a, b, c
  end)

  local function int_cfg(name, key, min, max)
    json[name] = wrap(function(nargs, v)
      arg_init(nargs, 1, name)
      return integer_option(v, key, min, max, name, nargs, 1)
    end)
  end
  int_cfg("encode_max_depth", "encode_max_depth", 1, INT_MAX)
  int_cfg("decode_max_depth", "decode_max_depth", 1, INT_MAX)
  int_cfg("encode_number_precision", "precision", 1, 14)

  local function enum_cfg(name, key, options)
    json[name] = wrap(function(nargs, v)
      arg_init(nargs, 1, name)
      return enum_option(v, key, options, name, nargs, 1)
    end)
  end
  enum_cfg("encode_keep_buffer", "keep_buffer", BOOL_OPTIONS)
  enum_cfg("encode_invalid_numbers", "encode_invalid", { "off", "on", "null" })
  enum_cfg("decode_invalid_numbers", "decode_invalid", BOOL_OPTIONS)

  --- Encoding ------------------------------------------------------------

  local function encode_number(x, what)
    if x ~= x or x == huge or x == -huge then
      local mode = cfg.encode_invalid
      if mode == 0 then throw("Cannot serialise " .. what .. ": must not be NaN or Inf") end
      if mode == 2 then return "null" end
      if x ~= x then return "nan" end
    end
    return fmt_g(x, cfg.precision)
  end

  -- The array length of t, or -1 when it must be encoded as an object.
  local function array_length(t)
    local max, items = 0, 0
    for k in next, t do
      if type(k) ~= "number" or k < 1 or k ~= floor(k) then return -1 end
      if k > max then max = k end
      items = items + 1
    end
    local ratio = cfg.sparse_ratio
    if ratio > 0 and max > items * ratio and max > cfg.sparse_safe then
      if cfg.sparse_convert == 0 then throw("Cannot serialise table: excessively sparse array") end
      return -1
    end
    return max
  end

  local encode_value
  function encode_value(v, depth, buf, n)
    if rawequal(v, NULL) then
      n = n + 1
      buf[n] = "null"
      return n
    end
    local t = type(v)
    if t == "string" then
      n = n + 1
      buf[n] = json_string(v)
    elseif t == "number" then
      n = n + 1
      buf[n] = encode_number(v, "number")
    elseif t == "boolean" then
      n = n + 1
      buf[n] = v and "true" or "false"
    elseif t == "nil" then
      n = n + 1
      buf[n] = "null"
    elseif t == "table" then
      depth = depth + 1
      if depth > cfg.encode_max_depth then
        throw(format("Cannot serialise, excessive nesting (%d)", depth))
      end
      local len = array_length(v)
      if len > 0 then
        n = n + 1
        buf[n] = "["
        for i = 1, len do
          if i > 1 then
            n = n + 1
            buf[n] = ","
          end
          n = encode_value(rawget(v, i), depth, buf, n)
        end
        n = n + 1
        buf[n] = "]"
      else
        n = n + 1
        buf[n] = "{"
        local kv, kn = ordered_pairs(v)
        for j = 1, kn, 2 do
          local k, val = kv[j], kv[j + 1]
          n = n + 1
          local sep = j == 1 and "" or ","
          local kt = type(k)
          if kt == "number" then
            buf[n] = sep .. '"' .. encode_number(k, "number") .. '":'
          elseif kt == "string" then
            buf[n] = sep .. json_string(k) .. ":"
          else
            throw("Cannot serialise " .. typename(k, 0, 1) ..
              ": table key must be a number or string")
          end
          n = encode_value(val, depth, buf, n)
        end
        n = n + 1
        buf[n] = "}"
      end
    else
      throw("Cannot serialise " .. typename(v, 0, 1) .. ": type not supported")
    end
    return n
  end

  json.encode = wrap(function(nargs, v)
    if nargs ~= 1 then argerr(1, "encode", "expected 1 argument") end
    local buf = {}
    local n = encode_value(v, 0, buf, 0)
    return concat(buf, "", 1, n)
  end)

  --- Decoding ------------------------------------------------------------

  json.decode = wrap(function(nargs, s)
    if nargs ~= 1 then argerr(1, "decode", "expected 1 argument") end
    s = checkstr(s, 1, "decode", nargs)
    if #s >= 2 and (byte(s, 1) == 0 or byte(s, 2) == 0) then
      throw("JSON parser does not support UTF-16 or UTF-32")
    end
    local pos = 1 -- next byte to read; a NUL byte or the end is the end
    local depth = 0
    local decode_invalid = cfg.decode_invalid == 1
    local max_depth = cfg.decode_max_depth

    local function is_invalid_number(p)
      local c = byte(s, p)
      if c == 43 then return true end
      if c == 45 then
        p = p + 1
        c = byte(s, p)
      end
      if c == 48 then
        local c2 = byte(s, p + 1) or 0
        return (c2 | 0x20) == 120 or (c2 >= 48 and c2 <= 57)
      elseif (c or 0) <= 57 then
        return false
      end
      local w = lower(sub(s, p, p + 2))
      return w == "inf" or w == "nan"
    end

    local function number_token(idx)
      local v, e = strtod(s, pos)
      if not v then return T_ERROR, "invalid number", idx end
      pos = e
      return T_NUMBER, num_out(v), idx
    end

    local function string_token(idx)
      pos = pos + 1
      local parts, np = {}, 0
      while true do
        local q = find(s, '["\\\0]', pos)
        if not q then
          pos = #s + 1
          return T_ERROR, "unexpected end of string", pos - 1
        end
        if q > pos then
          np = np + 1
          parts[np] = sub(s, pos, q - 1)
        end
        pos = q
        local c = byte(s, q)
        if c == 34 then
          pos = pos + 1
          return T_STRING, concat(parts, "", 1, np), idx
        end
        if c == 0 then return T_ERROR, "unexpected end of string", pos - 1 end
        local e = byte(s, pos + 1)
        if e == 117 then
          local cp = hex4(s, pos + 2)
          local len = 6
          if cp and (cp & 0xF800) == 0xD800 then
            if cp & 0x400 ~= 0 or sub(s, pos + 6, pos + 7) ~= "\\u" then
              cp = nil
            else
              local low = hex4(s, pos + 8)
              if not low or (low & 0xFC00) ~= 0xDC00 then
                cp = nil
              else
                cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
                len = 12
              end
            end
          end
          if not cp then return T_ERROR, "invalid unicode escape code", pos - 1 end
          np = np + 1
          parts[np] = utf8_of(cp)
          pos = pos + len
        else
          local u = e and UNESC[e]
          if not u then return T_ERROR, "invalid escape code", pos - 1 end
          np = np + 1
          parts[np] = u
          pos = pos + 2
        end
      end
    end

    local function next_token()
      local c = byte(s, pos)
      while c == 32 or c == 9 or c == 10 or c == 13 do
        pos = pos + 1
        c = byte(s, pos)
      end
      local idx = pos - 1
      if c == nil or c == 0 then return T_END, nil, idx end
      local single = SINGLE[c]
      if single then
        pos = pos + 1
        return single, nil, idx
      end
      if not UNKNOWN[c] then return T_ERROR, "invalid token", idx end
      if c == 34 then return string_token(idx) end
      if c == 45 or (c >= 48 and c <= 57) then
        if not decode_invalid and is_invalid_number(pos) then
          return T_ERROR, "invalid number", idx
        end
        return number_token(idx)
      end
      if sub(s, pos, pos + 3) == "true" then
        pos = pos + 4
        return T_BOOLEAN, true, idx
      end
      if sub(s, pos, pos + 4) == "false" then
        pos = pos + 5
        return T_BOOLEAN, false, idx
      end
      if sub(s, pos, pos + 3) == "null" then
        pos = pos + 4
        return T_NULL, nil, idx
      end
      if decode_invalid and is_invalid_number(pos) then return number_token(idx) end
      return T_ERROR, "invalid token", idx
    end

    local function parse_error(expected, tt, tv, ti)
      throw(format("Expected %s but found %s at character %d", expected,
        tt == T_ERROR and tv or tt, ti + 1))
    end

    local function descend()
      depth = depth + 1
      if depth > max_depth then
        throw(format("Found too many nested data structures (%d) at character %d", depth, pos - 1))
      end
    end

    local parse_value
    local function parse_object()
      descend()
      local t = {}
      local tt, tv, ti = next_token()
      if tt == T_OBJ_END then
        depth = depth - 1
        return t
      end
      while true do
        if tt ~= T_STRING then parse_error("object key string", tt, tv, ti) end
        local key = tv
        tt, tv, ti = next_token()
        if tt ~= T_COLON then parse_error("colon", tt, tv, ti) end
        t[key] = parse_value(next_token())
        tt, tv, ti = next_token()
        if tt == T_OBJ_END then
          depth = depth - 1
          return t
        end
        if tt ~= T_COMMA then parse_error("comma or object end", tt, tv, ti) end
        tt, tv, ti = next_token()
      end
    end

    local function parse_array()
      descend()
      local t = {}
      local tt, tv, ti = next_token()
      if tt == T_ARR_END then
        depth = depth - 1
        return t
      end
      local i = 1
      while true do
        t[i] = parse_value(tt, tv, ti)
        tt, tv, ti = next_token()
        if tt == T_ARR_END then
          depth = depth - 1
          return t
        end
        if tt ~= T_COMMA then parse_error("comma or array end", tt, tv, ti) end
        tt, tv, ti = next_token()
        i = i + 1
      end
    end

    function parse_value(tt, tv, ti)
      if tt == T_STRING or tt == T_NUMBER or tt == T_BOOLEAN then return tv end
      if tt == T_OBJ_BEGIN then return parse_object() end
      if tt == T_ARR_BEGIN then return parse_array() end
      if tt == T_NULL then return NULL end
      parse_error("value", tt, tv, ti)
    end

    local v = parse_value(next_token())
    local tt, tv, ti = next_token()
    if tt ~= T_END then parse_error("the end", tt, tv, ti) end
    return v
  end)

  json.new = function() return make_cjson() end
  json.null = NULL
  json._NAME = "cjson"
  json._VERSION = "2.1.0"
  return json
end

cjson = make_cjson()

------------------------------------------------------------------------
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

-- Decodes the value at p of s (length len): returns it and the next position.
local mp_decode
local function mp_array(s, p, len, count)
  local t = {}
  for i = 1, count do
    local v
    v, p = mp_decode(s, p, len)
    t[i] = v
  end
  return t, p
end

local function mp_map(s, p, len, count)
  local t = {}
  for _ = 1, count do
    local k, v
    k, p = mp_decode(s, p, len)
    v, p = mp_decode(s, p, len)
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

function mp_decode(s, p, len)
  local c = byte(s, p)
  if c == nil then throw(MISSING) end
  if c < 0x80 then return c, p + 1 end
  if c >= 0xe0 then return c - 256, p + 1 end
  if c >= 0xa0 and c < 0xc0 then return mp_bytes(s, p + 1, len, c & 0x1f) end
  if c >= 0x90 and c < 0xa0 then return mp_array(s, p + 1, len, c & 0x0f) end
  if c < 0x90 then return mp_map(s, p + 1, len, c & 0x0f) end
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
    return mp_array(s, p + 3, len, (sunpack(">I2", s, p + 1)))
  end
  if c == 0xdd then
    need(p, 5, len)
    return mp_array(s, p + 5, len, be_u32(s, p + 1))
  end
  if c == 0xde then
    need(p, 3, len)
    return mp_map(s, p + 3, len, (sunpack(">I2", s, p + 1)))
  end
  if c == 0xdf then
    need(p, 5, len)
    return mp_map(s, p + 5, len, be_u32(s, p + 1))
  end
  throw(BADFMT)
end

local function mp_unpack_full(s, nargs, fname, limit, offset)
  s = checkstr(s, 1, fname, nargs)
  local len = #s
  if offset < 0 or limit < 0 then
    throw(format("Invalid request to unpack with offset of %d and limit of %d.", offset, len))
  elseif offset > len then
    throw(format("Start offset %d greater than input length %d.", offset, len))
  end
  local decode_all = limit == 0 and offset == 0
  if decode_all then limit = huge end
  local out, cnt, p = {}, 0, offset + 1
  while p <= len and cnt < limit do
    cnt = cnt + 1
    out[cnt], p = mp_decode(s, p, len)
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
    return mp_unpack_full(s, nargs, "unpack", 0, 0)
  end),
  unpack_one = wrap(function(nargs, s, offset)
    offset = optint(offset, 2, "unpack_one", nargs, 0)
    return mp_unpack_full(s, nargs, "unpack_one", 1, offset)
  end),
  unpack_limit = wrap(function(nargs, s, limit, offset)
    limit = checkint(limit, 2, "unpack_limit", nargs)
    offset = optint(offset, 3, "unpack_limit", nargs, 0)
    return mp_unpack_full(s, nargs, "unpack_limit", limit, offset)
  end),
}

------------------------------------------------------------------------
-- bit (LuaBitOp 1.0.2): 32-bit operations with signed results
------------------------------------------------------------------------

-- The argument as a (signed) 32-bit integer, derived as LuaBitOp does:
-- it adds 2^52+2^51 to the double and takes the low word of its mantissa.
-- fengari's integers are 32-bit, so Lua's bitwise operators then work
-- directly, with results as LuaBitOp returns them.
local function barg(v, n, fname, nargs)
  local x = v
  if type(x) ~= "number" then
    x = type(v) == "string" and tonumber(v) or nil
    if x == nil then argerr(n, fname, "number expected, got " .. typename(v, n, nargs)) end
  end
  if mtype(x) == "integer" then return x end
  if x == floor(x) and x >= -TWO31 and x < TWO31 then return tointeger(x) end
  return (sunpack("<i4", spack("<d", x + 6755399441055744.0)))
end

local function bitwise(fname, op)
  return wrap(function(nargs, ...)
    local b = barg((...), 1, fname, nargs)
    for i = nargs, 2, -1 do b = op(b, barg((select(i, ...)), i, fname, nargs)) end
    return b
  end)
end

local function shift(fname, op)
  return wrap(function(nargs, x, y)
    local b = barg(x, 1, fname, nargs)
    return op(b, barg(y, 2, fname, nargs) & 31)
  end)
end

local HEX_LOWER, HEX_UPPER = "0123456789abcdef", "0123456789ABCDEF"

bit = {
  tobit = wrap(function(nargs, x) return barg(x, 1, "tobit", nargs) end),
  bnot = wrap(function(nargs, x) return ~barg(x, 1, "bnot", nargs) end),
  band = bitwise("band", function(a, b) return a & b end),
  bor = bitwise("bor", function(a, b) return a | b end),
  bxor = bitwise("bxor", function(a, b) return a ~ b end),
  lshift = shift("lshift", function(b, n) return b << n end),
  rshift = shift("rshift", function(b, n) return b >> n end),
  arshift = shift("arshift", function(b, n)
    if b < 0 then return (b >> n) | ~(-1 >> n) end
    return b >> n
  end),
  rol = shift("rol", function(b, n) return (b << n) | (b >> (32 - n)) end),
  ror = shift("ror", function(b, n) return (b >> n) | (b << (32 - n)) end),
  bswap = wrap(function(nargs, x)
    local b = barg(x, 1, "bswap", nargs)
    return ((b >> 24) & 0xff) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24)
  end),
  tohex = wrap(function(nargs, x, w)
    local b = barg(x, 1, "tohex", nargs)
    local n = nargs < 2 and 8 or barg(w, 2, "tohex", nargs)
    local digits = HEX_LOWER
    if n < 0 then
      n = -n
      digits = HEX_UPPER
    end
    if n > 8 then n = 8 end
    local out = {}
    for i = n, 1, -1 do
      local d = (b & 15) + 1
      out[i] = sub(digits, d, d)
      b = b >> 4
    end
    return concat(out, "", 1, n)
  end),

}

------------------------------------------------------------------------
-- struct (lua-struct 0.2 as patched by Redis): little-endian, 64-bit
------------------------------------------------------------------------

local MAXINTSIZE, MAXALIGN = 32, 8
local SIZES = { [66] = 1, [98] = 1, [72] = 2, [104] = 2, [76] = 8, [108] = 8, [84] = 8,
  [102] = 4, [100] = 8, [120] = 1 }
local INT_OPTS = { [66] = 1, [98] = 1, [72] = 1, [104] = 1, [76] = 1, [108] = 1, [84] = 1,
  [105] = 1, [73] = 1 }

-- Reads the digits of fmt at i: returns the number (or df) and next i.
local function getnum(fmt, i, df)
  local d = match(fmt, "^%d+", i)
  if not d then return df, i end
  local a = 0
  for k = 1, #d do
    local c = byte(d, k) - 48
    if a > INT_MAX // 10 or a * 10 > INT_MAX - c then throw("integral size overflow") end
    a = a * 10 + c
  end
  return a, i + #d
end

local function optsize(opt, fmt, i)
  local sz = SIZES[opt]
  if sz then return sz, i end
  if opt == 99 then return getnum(fmt, i, 1) end -- c
  if opt == 105 or opt == 73 then -- i I
    local n
    n, i = getnum(fmt, i, 4)
    if n > MAXINTSIZE then
      throw(format("integral size %d is larger than limit of %d", n, MAXINTSIZE))
    end
    return n, i
  end
  return 0, i
end

local function gettoalign(len, align, opt, size)
  if size == 0 or opt == 99 then return 0 end
  if size > align then size = align end
  return (size - (len & (size - 1))) & (size - 1)
end

-- Applies an endianness/alignment option; returns big, align, next i.
local function controloptions(opt, fmt, i, big, align, fname)
  if opt == 32 then return big, align, i end
  if opt == 62 then return true, align, i end
  if opt == 60 then return false, align, i end
  if opt == 33 then
    local a
    a, i = getnum(fmt, i, MAXALIGN)
    if a & (a - 1) ~= 0 then throw(format("alignment %d is not a power of 2", a)) end
    return big, a, i
  end
  argerr(1, fname, format("invalid format option '%s'", char(opt)))
end

local function cfmt(fmt)
  local z = find(fmt, "\0", 1, true)
  if z then return sub(fmt, 1, z - 1) end
  return fmt
end

-- lua-struct converts the number to 64 bits ((unsigned) long long) and
-- writes "size" bytes of it: bytes past the 8th are zero.
local function putinteger(x, big, size)
  local v
  if mtype(x) == "integer" then
    v = x
  elseif x ~= x or x >= 2 * TWO63 or x < -TWO63 then
    v = -TWO63
  elseif x >= TWO63 then
    v = floor(x) - 2 * TWO63
  else
    v = toint(x)
  end
  local n = size < 8 and size or 8
  local b = be_bytes(v, n) -- most significant first
  local out = {}
  for k = 1, size do
    local idx = big and (k - (size - n)) or (n + 1 - k)
    out[k] = b[idx] or 0
  end
  return char(tunpack(out, 1, size))
end

-- lua-struct reads into 64 bits (the low 8 bytes survive) and
-- sign-extends with a mask of (~0 << (size*8 - 1)) (shift count mod 64).
local function getinteger(data, pos, big, signed, size)
  local n = size < 8 and size or 8
  local hi, lo = 0.0, 0.0
  for k = 1, 8 do
    local b = 0
    if k > 8 - n then
      local j = k - (8 - n) -- 1..n, most significant first
      b = byte(data, big and (pos + size - n + j - 1) or (pos + n - j))
    end
    if k <= 4 then hi = hi * 256 + b else lo = lo * 256 + b end
  end
  if signed then
    local sh = (size * 8 - 1) & 63
    if sh >= 32 then
      local low = 2.0 ^ (sh - 32)
      if hi >= low then hi = hi % low + (TWO32 - low) end
    elseif hi > 0 or lo >= 2.0 ^ sh then
      local low = 2.0 ^ sh
      hi = TWO32 - 1
      lo = lo % low + (TWO32 - low)
    end
    if hi >= TWO31 then return num_out((hi - TWO32) * TWO32 + lo) end
  end
  return num_out(hi * TWO32 + lo)
end

struct = {
  pack = wrap(function(nargs, fmt, ...)
    fmt = cfmt(checkstr(fmt, 1, "pack", nargs))
    -- lua-struct pushes a nil mark after its arguments: the first missing
    -- one is reported as nil, not "no value"
    nargs = nargs + 1
    local big, align = false, 1
    local out, no = {}, 0
    local total, arg, i = 0, 2, 1
    while i <= #fmt do
      local opt = byte(fmt, i)
      local size
      size, i = optsize(opt, fmt, i + 1)
      local toalign = gettoalign(total, align, opt, size)
      total = total + toalign
      if toalign > 0 then
        no = no + 1
        out[no] = rep("\0", toalign)
      end
      if INT_OPTS[opt] then
        local x = checknum((select(arg - 1, ...)), arg, "pack", nargs)
        arg = arg + 1
        no = no + 1
        out[no] = putinteger(x, big, size)
      elseif opt == 120 then
        no = no + 1
        out[no] = "\0"
      elseif opt == 102 or opt == 100 then
        local x = checknum((select(arg - 1, ...)), arg, "pack", nargs)
        arg = arg + 1
        no = no + 1
        out[no] = spack((big and ">" or "<") .. char(opt), x)
      elseif opt == 99 or opt == 115 then
        local s = checkstr((select(arg - 1, ...)), arg, "pack", nargs)
        arg = arg + 1
        if size == 0 then size = #s end
        if #s < size then argerr(arg, "pack", "string too short") end
        no = no + 1
        out[no] = sub(s, 1, size)
        if opt == 115 then
          no = no + 1
          out[no] = "\0"
          size = size + 1
        end
      else
        big, align, i = controloptions(opt, fmt, i, big, align, "pack")
      end
      total = total + size
    end
    return concat(out, "", 1, no)
  end),

  unpack = wrap(function(nargs, fmt, data, init)
    fmt = cfmt(checkstr(fmt, 1, "unpack", nargs))
    data = checkstr(data, 2, "unpack", nargs)
    local ld = #data
    -- (a size_t there: only 0 is refused; negative offsets are huge)
    local pos = optint(init, 3, "unpack", nargs, 1)
    if pos == 0 then argerr(3, "unpack", "offset must be 1 or greater") end
    pos = pos - 1
    local big, align = false, 1
    local res, n = {}, 0
    local i = 1
    while i <= #fmt do
      local opt = byte(fmt, i)
      local size
      size, i = optsize(opt, fmt, i + 1)
      pos = pos + gettoalign(pos, align, opt, size)
      if size > ld or pos < 0 or pos > ld - size then
        argerr(2, "unpack", "data string too short")
      end
      if INT_OPTS[opt] then
        n = n + 1
        res[n] = getinteger(data, pos + 1, big, opt >= 97, size)
      elseif opt == 120 then
        -- padding
      elseif opt == 102 or opt == 100 then
        n = n + 1
        res[n] = sunpack((big and ">" or "<") .. char(opt), data, pos + 1)
      elseif opt == 99 then
        if size == 0 then
          local prev = n > 0 and tonumber(res[n]) or nil
          if not prev then throw("format 'c0' needs a previous size") end
          size = toint(prev)
          n = n - 1
          if size < 0 or size > ld or pos < 0 or pos > ld - size then
            argerr(2, "unpack", "data string too short")
          end
        end
        n = n + 1
        res[n] = sub(data, pos + 1, pos + size)
      elseif opt == 115 then
        local z = find(data, "\0", pos + 1, true)
        if not z then throw("unfinished string in data") end
        n = n + 1
        res[n] = sub(data, pos + 1, z - 1)
        size = z - pos
      else
        big, align, i = controloptions(opt, fmt, i, big, align, "unpack")
      end
      pos = pos + size
    end
    n = n + 1
    res[n] = pos + 1
    return tunpack(res, 1, n)
  end),

  size = wrap(function(nargs, fmt)
    fmt = cfmt(checkstr(fmt, 1, "size", nargs))
    local big, align = false, 1
    local pos, i = 0, 1
    while i <= #fmt do
      local opt = byte(fmt, i)
      local size
      size, i = optsize(opt, fmt, i + 1)
      pos = pos + gettoalign(pos, align, opt, size)
      if opt == 115 then
        argerr(1, "size", "option 's' has no fixed size")
      elseif opt == 99 and size == 0 then
        argerr(1, "size", "option 'c0' has no fixed size")
      end
      if not find(char(opt), "^%w") then
        big, align, i = controloptions(opt, fmt, i, big, align, "size")
      end
      pos = pos + size
    end
    return pos
  end),
}
`;
