/**
 * fengari's configuration. fengari reads `FENGARICONF` once, when it
 * loads, so this module must be imported before it. It asks for Lua 5.1's
 * number formatting (an integral float prints as `5`, not Lua 5.3's `5.0`):
 * Redis runs scripts on Lua 5.1, whose numbers are all doubles.
 *
 * @module
 */

const NAME = "FENGARICONF";
let conf: Record<string, unknown> = {};
try {
  conf = JSON.parse(Deno.env.get(NAME) ?? "{}");
} catch { /* not JSON: replaced */ }
Deno.env.set(NAME, JSON.stringify({ ...conf, LUA_COMPAT_FLOATSTRING: true }));
