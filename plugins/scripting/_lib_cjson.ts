/**
 * `cjson`: lua-cjson 2.1.0 as Redis 7.0 ships it.
 * It uses the locals that `scripting_lib_common.ts` declares: the parts
 * are one Lua chunk, joined in `_libs.ts`.
 *
 * @module
 */

/** Lua source: one part of the libraries' chunk. */
export const CJSON_SOURCE: string = String
  .raw`------------------------------------------------------------------------
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
      local x = cint(checkint(v, n, fname, nargs)) -- lua-cjson keeps an int
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

`;
