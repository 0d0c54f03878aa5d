/**
 * Helpers of the AOF tests: INFO persistence, waiting for a rewrite, and
 * the two servers with AOF on in a directory (the AOF directory is
 * `aofdir`).
 *
 * @module
 */

import {
  call,
  info as infoSection,
  RawClient,
  startRealRedis,
  startRespite,
  until,
} from "./_helpers.ts";

export { call };

/** Runs commands one after the other on one connection. */
export async function run(port: number, cmds: string[][]): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    for (const argv of cmds) await c.call(...argv);
  } finally {
    c.close();
  }
}

/** INFO persistence's fields. */
export async function info(port: number): Promise<Record<string, string>> {
  return Object.fromEntries(await infoSection(port, "persistence"));
}

/** Waits until no AOF rewrite is running or scheduled. */
export function waitRewrite(port: number): Promise<void> {
  return until("the AOF rewrite to finish", async () => {
    const f = await info(port);
    return f.aof_rewrite_in_progress === "0" && f.aof_rewrite_scheduled === "0";
  });
}

/** redis-server with AOF on in `dir`; `stop` shuts it down (SHUTDOWN NOSAVE). */
export async function startRedisAof(
  dir: string,
  extra: string[] = [],
): Promise<{ port: number; stop(): Promise<void> }> {
  const p = await startRealRedis(["--appendonly", "yes", "--appenddirname", "aofdir", ...extra], {
    dir,
  });
  return {
    port: p.port,
    async stop() {
      await call(p.port, "SHUTDOWN", "NOSAVE").catch(() => {/* the connection closes */});
      await p.stop();
    },
  };
}

/** Respite in-process with AOF on in `dir` (DEBUG on). */
export function respite(dir: string, extra: Record<string, string> = {}) {
  return startRespite({
    config: {
      appendonly: "yes",
      dir,
      appenddirname: "aofdir",
      "enable-debug-command": "yes",
      ...extra,
    },
  });
}
