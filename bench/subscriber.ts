/**
 * Benchmark row setup that keeps a pub/sub subscriber connected while a
 * row runs (the PUBLISH row measures delivery, not publishing to nobody).
 *
 * @module
 */

import { redisCli } from "./servers.ts";

/** Something a row needs running beside redis-benchmark. */
export interface RowSetup {
  /** Shown in BENCHMARKS.md beside the row's command line. */
  readonly describe: string;
  /** Starts it against a server; resolves to its teardown. */
  start(port: number): Promise<() => Promise<void>>;
}

/**
 * Keeps `redis-cli subscribe <channel>` connected (its output discarded)
 * for the duration of a run. The teardown warns when the subscriber did not
 * last the whole run (e.g. dropped by the pubsub output buffer limit), since
 * PUBLISH to nobody is cheaper and the row would flatter the server.
 *
 * @example
 * ```ts ignore
 * const stop = await subscriber("bench:channel").start(6379);
 * // ... run redis-benchmark ...
 * await stop();
 * ```
 */
export function subscriber(channel: string): RowSetup {
  return {
    describe: `redis-cli -h 127.0.0.1 -p <port> subscribe ${channel} > /dev/null`,
    async start(port) {
      const child = new Deno.Command("redis-cli", {
        args: ["-h", "127.0.0.1", "-p", String(port), "subscribe", channel],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      let exited = false;
      const status = child.status.then((s) => {
        exited = true;
        return s;
      });
      for (let i = 0; i < 200; i++) {
        const reply = await redisCli(port, "pubsub", "numsub", channel);
        if (reply.split("\n")[1] === "1") break;
        await new Promise((r) => setTimeout(r, 10));
      }
      return async () => {
        if (exited) console.error(`  subscriber to ${channel} was disconnected during the run`);
        else child.kill("SIGTERM");
        await status;
      };
    },
  };
}
