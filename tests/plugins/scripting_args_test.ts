/**
 * KEYS and ARGV, differentially against redis-server 7.0: each script sees
 * them as new tables holding its own keys and arguments, whatever the
 * script before it did to them (changed values, added keys, removed keys, a
 * metatable, an error half-way).
 */

import { diffTest } from "../_helpers.ts";

const E = (script: string, ...rest: string[]) => ["EVAL", script, ...rest];

/** Every key and value of KEYS and ARGV in `pairs` order, their length and metatable. */
const DUMP = `
local function dump(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = type(k) .. ':' .. tostring(k) .. '=' .. tostring(v) end
  out[#out + 1] = 'n=' .. #t
  out[#out + 1] = 'mt=' .. tostring(getmetatable(t) ~= nil)
  out[#out + 1] = '9=' .. tostring(t[9])
  return table.concat(out, ' ')
end
return {dump(KEYS), dump(ARGV)}`;

diffTest("KEYS and ARGV are new to every script", [
  E(DUMP, "2", "k1", "k2", "a1"),
  E("KEYS[1] = 'x' ARGV[1] = 'y' return {KEYS[1], ARGV[1]}", "1", "k1", "a1"),
  E(DUMP, "1", "k1", "a1", "a2"),
  E("KEYS.extra = 1 ARGV[5] = 'z' return #ARGV", "1", "k1"),
  E(DUMP, "2", "k1", "k2"),
  E("setmetatable(KEYS, {__index = function() return 'meta' end}) return KEYS[9]", "1", "k"),
  E(DUMP, "1", "k1", "a1"),
  E("KEYS[1] = nil KEYS[3] = 'c' return 1", "2", "k1", "k2"),
  E(DUMP, "3", "k1", "k2", "k3"),
  E("table.remove(KEYS, 1) table.insert(ARGV, 1, 'first') return #KEYS", "2", "k1", "k2", "a"),
  E(DUMP, "2", "k1", "k2", "a1", "a2"),
  E("KEYS.x = 1 ARGV[1] = nil error('boom')", "1", "k1", "a1"),
  E(DUMP, "1", "k1", "a1"),
  E(DUMP, "0"),
  E(DUMP, "3", "k1", "k2", "k3", "a1", "a2", "a3"),
  E(DUMP, "1", "\x00\xff", "\r\n"),
]);
