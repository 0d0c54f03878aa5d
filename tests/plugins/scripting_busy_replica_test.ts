/**
 * A replica busy with a script: its master's stream waits until the script
 * ends (the script sees no write of the master's in its middle), then
 * applies, as redis-server 7.0's replica does.
 */

import { assertEquals } from "../_assert.ts";
import { hasRedis, RawClient, sleep } from "../_helpers.ts";
import {
  call,
  caughtUp,
  startRedisProc,
  startRespiteProc,
  until,
  withProcs,
} from "../_replication.ts";

/** Reads KEYS[1], spins `s` seconds by the server's clock, reads it again. */
const READ_TWICE = "#!lua flags=no-writes\n" +
  "local before = redis.call('get', KEYS[1]) " +
  "local function now() local t = redis.call('time') return t[1] + t[2] / 1000000 end " +
  "local t0 = now() while now() - t0 < 0.8 do end " +
  "return {before, redis.call('get', KEYS[1])}";

Deno.test({
  name: "diff: a busy replica applies its master's writes after the script, not during it",
  ignore: !hasRedis,
  async fn() {
    const outcomes: unknown[] = [];
    for (const kind of ["respite", "redis"] as const) {
      const start = kind === "respite" ? startRespiteProc : startRedisProc;
      outcomes.push(
        await withProcs(async (procs) => {
          const master = await start();
          procs.push(master);
          const replica = await start([
            ...["--replicaof", "127.0.0.1", String(master.port)],
            ...["--busy-reply-threshold", "100"],
          ]);
          procs.push(replica);
          await call(master.port, "SET", "k", "v1");
          await caughtUp(master.port, [replica.port]);
          const [a, b] = [
            await RawClient.connect(replica.port),
            await RawClient.connect(replica.port),
          ];
          try {
            const script = a.call("EVAL", READ_TWICE, "1", "k");
            await sleep(300);
            const set = await call(master.port, "SET", "k", "v2");
            const busy = await b.call("PING");
            const seen = await script;
            await until("the replica to apply the write", async () => {
              return (await call(replica.port, "GET", "k")) === "v2";
            }, 10000);
            return [set, busy, seen];
          } finally {
            a.close();
            b.close();
          }
        }),
      );
    }
    assertEquals(outcomes[0], outcomes[1]);
  },
});
