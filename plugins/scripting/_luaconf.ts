/**
 * fengari's configuration, which it reads from the `FENGARICONF`
 * environment variable once, when its modules load: it is process-wide,
 * shared by every server in the process, and cannot be per server. This
 * module must be imported before fengari. It asks for Lua 5.1's number
 * formatting (an integral float prints as `5`, not Lua 5.3's `5.0`): Redis
 * runs scripts on Lua 5.1, whose numbers are all doubles. Settings already
 * in the variable are kept.
 *
 * @module
 */

const NAME = "FENGARICONF";

function current(): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Deno.env.get(NAME) ?? "{}");
    return typeof v === "object" && v !== null ? { ...v } : {};
  } catch {
    return {}; // not JSON: replaced
  }
}

Deno.env.set(NAME, JSON.stringify({ ...current(), LUA_COMPAT_FLOATSTRING: true }));
