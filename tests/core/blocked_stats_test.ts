/**
 * A blocked command is one call in INFO commandstats, however it ends:
 * served by a write, woken to fail (XREADGROUP whose group is destroyed:
 * one failed call), timed out. Its re-run is not counted again, as Redis
 * counts the call when it is made.
 */

import { diffSession, type SessionStep, sleep } from "../_helpers.ts";

/**
 * INFO commandstats of the blocking commands, durations masked (a script,
 * so the session compares it as one reply).
 */
const STATS = `
local out = {}
for line in string.gmatch(redis.call('INFO', 'commandstats'), '[^\\r\\n]+') do
  if line:find('blpop') or line:find('xreadgroup') or line:find('bzpopmin') then
    table.insert(out, (line:gsub('usec=%d+,usec_per_call=[%d.]+,', '')))
  end
end
table.sort(out)
return out
`;

const wait: SessionStep = { act: () => sleep(50) };

/** Sends a command on client 1 without waiting for its reply. */
function background(...argv: string[]): SessionStep {
  return {
    act: async (_server, port) => {
      const conn = await Deno.connect({ port, hostname: "127.0.0.1" });
      let s = `*${argv.length}\r\n`;
      for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
      await conn.write(new TextEncoder().encode(s));
      pending.push(conn);
      await sleep(50);
    },
  };
}

const pending: Deno.Conn[] = [];
const closeAll: SessionStep = {
  act: () => {
    for (const c of pending.splice(0)) c.close();
  },
};

diffSession("commandstats: a blocked command counts one call however it ends", [
  [0, "CONFIG", "RESETSTAT"],
  // Served by a write.
  background("BLPOP", "bl", "0"),
  [0, "RPUSH", "bl", "x"],
  wait,
  // Woken to fail: one failed call.
  [0, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
  background("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"),
  [0, "XGROUP", "DESTROY", "s", "g"],
  wait,
  // Woken, found nothing, blocked again, then served.
  background("BZPOPMIN", "z", "0"),
  [0, "SET", "z", "not a zset"],
  [0, "DEL", "z"],
  [0, "ZADD", "z", "1", "m"],
  wait,
  // Timed out.
  [1, "BLPOP", "none", "0.01"],
  closeAll,
  [0, "EVAL", STATS, "0"],
]);
