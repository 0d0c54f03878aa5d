/**
 * `struct`: lua-struct 0.2 as patched by Redis.
 * It uses the locals that `scripting_lib_common.ts` declares: the parts
 * are one Lua chunk, joined in `_libs.ts`.
 *
 * @module
 */

/** Lua source: one part of the libraries' chunk. */
export const STRUCT_SOURCE: string = String
  .raw`------------------------------------------------------------------------
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
