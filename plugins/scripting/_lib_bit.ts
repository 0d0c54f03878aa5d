/**
 * `bit`: LuaBitOp 1.0.2 (32-bit operations, signed results).
 * It uses the locals that `scripting_lib_common.ts` declares: the parts
 * are one Lua chunk, joined in `_libs.ts`.
 *
 * @module
 */

/** Lua source: one part of the libraries' chunk. */
export const BIT_SOURCE: string = String
  .raw`------------------------------------------------------------------------
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

`;
