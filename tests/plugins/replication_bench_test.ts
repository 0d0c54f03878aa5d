/**
 * Replication throughput: writes per second carried from a master to one
 * replica (from the first write until the replica applied the last), for
 * Respite -> Respite and redis-server -> redis-server. Runs only with
 * `REPL_BENCH=1` (it takes a few seconds and measures, it does not check):
 *
 * ```sh
 * REPL_BENCH=1 deno test -A tests/replication_bench_test.ts
 * ```
 */

import { hasRedis } from "../_helpers.ts";
import {
  caughtUp,
  digest,
  info,
  type Proc,
  startRedisProc,
  startRespiteProc,
} from "../_replication.ts";
import { assertEquals } from "../_assert.ts";

const N = 500_000;
const enabled = hasRedis && Deno.env.get("REPL_BENCH") === "1";

async function measure(master: Proc, replica: Proc): Promise<number> {
  await caughtUp(master.port, [replica.port]);
  const t0 = performance.now();
  const out = await new Deno.Command("redis-benchmark", {
    args: [
      "-p",
      String(master.port),
      "-t",
      "set",
      "-n",
      String(N),
      "-P",
      "32",
      "-r",
      "100000",
      "-q",
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!out.success) throw new Error("redis-benchmark failed");
  await caughtUp(master.port, [replica.port], 120000);
  const secs = (performance.now() - t0) / 1000;
  assertEquals(await digest(replica.port), await digest(master.port));
  const off = (await info(master.port, "replication")).get("master_repl_offset");
  console.log(`  ${N} SETs (${off} stream bytes) carried in ${secs.toFixed(2)} s`);
  return N / secs;
}

Deno.test({
  name: "bench: replication throughput, Respite vs redis-server",
  ignore: !enabled,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const procs: Proc[] = [];
    try {
      const rm = await startRedisProc();
      procs.push(rm);
      const rr = await startRedisProc(["--replicaof", "127.0.0.1", String(rm.port)]);
      procs.push(rr);
      const redis = await measure(rm, rr);
      const m = await startRespiteProc();
      procs.push(m);
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      const ours = await measure(m, r);
      console.log(
        `  redis-server: ${Math.round(redis)} writes/s; Respite: ${Math.round(ours)} writes/s (${
          (ours / redis).toFixed(2)
        }x)`,
      );
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  },
});
