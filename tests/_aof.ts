/**
 * Helpers of the AOF tests: one-shot commands, INFO persistence, waiting
 * for a rewrite, and the two servers with AOF on in a directory (the AOF
 * directory is `aofdir`).
 *
 * @module
 */

import { freePort, RawClient, sleep, startRespite } from "./_helpers.ts";

export async function call(port: number, ...argv: string[]) {
  const c = await RawClient.connect(port);
  try {
    return await c.call(...argv);
  } finally {
    c.close();
  }
}

export async function run(port: number, cmds: string[][]): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    for (const argv of cmds) await c.call(...argv);
  } finally {
    c.close();
  }
}

export async function info(port: number): Promise<Record<string, string>> {
  const text = String(await call(port, "INFO", "persistence"));
  return Object.fromEntries(
    text.split("\r\n").filter((l) => l.includes(":")).map((l) => l.split(":") as [string, string]),
  );
}

export async function waitRewrite(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const f = await info(port);
    if (f.aof_rewrite_in_progress === "0" && f.aof_rewrite_scheduled === "0") return;
    await sleep(20);
  }
  throw new Error("rewrite did not finish");
}

export async function startRedisAof(dir: string, extra: string[] = []) {
  const port = freePort();
  const child = new Deno.Command("redis-server", {
    args: [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes"],
      ...["--dir", dir, "--appenddirname", "aofdir", "--enable-debug-command", "yes", ...extra],
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ port, hostname: "127.0.0.1" })).close();
      break;
    } catch {
      await sleep(20);
    }
  }
  return {
    port,
    async stop() {
      try {
        await call(port, "SHUTDOWN", "NOSAVE");
      } catch { /* the connection closes */ }
      await child.status;
    },
  };
}

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
