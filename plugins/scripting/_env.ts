/**
 * The Lua environment Redis 7.0 gives scripts, as Lua source run once per
 * VM: Lua 5.1 compatibility on fengari's 5.3, Redis's error handler, and
 * read-only globals and library tables.
 *
 * @module
 */

const READONLY_TABLE = "Attempt to modify a readonly table";

/**
 * The Lua run with the real globals before they are locked ({@link LOCK}):
 * 5.1 compatibility and the error handler (Redis's __redis__err__handler,
 * which adds the source and line of the failing script frame).
 */
export const PRELUDE = `
local G = _G
local dbg = debug
local type, tostring, next, error, setmetatable, rawset, gsub =
  type, tostring, next, error, setmetatable, rawset, string.gsub
unpack = table.unpack
gcinfo = function() return collectgarbage("count") end
math.mod = math.fmod
math.pow = function(x, y) return x ^ y end
math.ldexp = math.ldexp or function(m, e) return m * 2.0 ^ e end
math.frexp = math.frexp or function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = math.floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 end
  if math.abs(m) < 0.5 then m = m * 2; e = e - 1 end
  return m, e
end
math.log10 = math.log10 or function(x) return math.log(x, 10) end
math.cosh = math.cosh or function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = math.sinh or function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = math.tanh or function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end
local floor, ceil = math.floor, math.ceil
math.floor = function(x) return floor(x) + 0.0 end
math.ceil = function(x) return ceil(x) + 0.0 end
table.getn = function(t) return #t end
table.setn = function() error("'setn' is obsolete", 2) end
table.maxn = function(t)
  local n = 0
  for k in next, t do if type(k) == "number" and k > n then n = k end end
  return n
end
table.foreach = function(t, f)
  for k, v in next, t do local r = f(k, v) if r ~= nil then return r end end
end
table.foreachi = function(t, f)
  for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end
end
string.gfind = string.gmatch
print, dofile, loadfile, rawlen = nil, nil, nil, nil
-- An error in a function called without a name (pcall(load, "x")) names
-- it '?', as Lua 5.1 does; 5.3 would look it up in the loaded libraries.
dbg.getregistry()._LOADED = nil
_VERSION = "Lua 5.1"

local function internal(i)
  if i.what == "C" or i.what == "J" then return true end
  local s = i.source
  return type(s) == "string" and s:sub(1, 2) == "=["
end
__redis__err__handler = function(err)
  local lvl = 2
  local i = dbg.getinfo(lvl, "nSl")
  while i and internal(i) do
    lvl = lvl + 1
    i = dbg.getinfo(lvl, "nSl")
  end
  if type(err) ~= "table" then
    err = gsub(tostring(err), "attempt to ([%a ]-) a (%a+) value %((%a+ '[^']*')%)",
      "attempt to %1 %3 (a %2 value)")
    err = {err = "ERR " .. err}
  end
  if i then
    err["source"] = i.source
    err["line"] = i.currentline
  end
  return err
end
debug = nil
`;

/**
 * The Lua that makes the globals and the library tables read-only: returns
 * the proxy scripts see as `_G`.
 */
export const LOCK = `
local G = _G
local type, next, error, setmetatable, rawset, tostring = type, next, error, setmetatable, rawset, tostring
local protected = setmetatable({}, {__mode = "k"})
local function ro() error("${READONLY_TABLE}", 2) end
local function proxy(t)
  local p = {}
  protected[p] = true
  protected[t] = true
  setmetatable(p, {
    __index = t, __newindex = ro, __metatable = false,
    __pairs = function() return next, t, nil end,
    __len = function() return #t end,
  })
  return p
end
local seen = {[G] = true}
local function deep(t)
  for k, v in next, t do
    if type(v) == "table" and not seen[v] then
      seen[v] = true
      deep(v)
      rawset(t, k, proxy(v))
    end
  end
end
deep(G)
G.rawset = function(t, k, v)
  if protected[t] then error("${READONLY_TABLE}", 0) end
  return rawset(t, k, v)
end
setmetatable(G, {
  __index = function(_, k)
    error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
  end,
  __metatable = false,
})
local env = proxy(G)
rawset(G, "_G", env)
return env
`;

/**
 * The globals of a functions VM (run after {@link LOCK}, given the locked
 * globals and `redis.register_function`): an empty read-only table whose
 * reads go to the usual globals, or, while FUNCTION LOAD runs a library,
 * to Redis's loading API (a `redis` table with only `register_function`,
 * `log` and the log/version constants; any other name raises). Functions
 * defined by a library keep these globals, so at FCALL time they see the
 * usual ones, as in Redis (which swaps its globals' `__index`). Returns
 * the globals and the switch.
 */
export const LIBRARY_ENV = `
local env, register = ...
local setmetatable, error, tostring = setmetatable, error, tostring
local function ro() error("${READONLY_TABLE}", 2) end
local function missing(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
local function locked(t)
  setmetatable(t, {__index = missing, __metatable = false})
  return setmetatable({}, {__index = t, __newindex = ro, __metatable = false})
end
local redis = env.redis
local api = {register_function = register, log = redis.log}
for _, k in ipairs({"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING",
    "REDIS_VERSION", "REDIS_VERSION_NUM"}) do
  api[k] = redis[k]
end
local loading = locked({redis = locked(api)})
local meta = {__index = env, __newindex = ro, __metatable = false}
local globals = setmetatable({}, meta)
return globals, function(on) meta.__index = on and loading or env end
`;
