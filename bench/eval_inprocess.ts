/**
 * EVAL's cost inside the server, without the network: a loop of EVALs run
 * through `Server.runCommand` on an internal client, as the dispatcher
 * runs them (timing, propagation, the script engine, the reply), in
 * nanoseconds of wall and CPU time per call. For profiling the script path
 * (`perf record` with `--v8-flags=--perf-basic-prof`, or `--cpu-prof`)
 * and for A/B runs of a change to it; the same-run comparison with Redis
 * is `deno task bench --only eval`.
 *
 * ```sh
 * deno run -A --v8-flags=--max-semi-space-size=8 bench/eval_inprocess.ts
 * ROUNDS=3 BODY="return 1" deno run -A bench/eval_inprocess.ts --latency-tracking no
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { startServer } from "../mod.ts";
import { BufferWriter } from "../core/resp/writer.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: { "latency-tracking": { type: "string", default: "yes" } },
});
const s = await startServer({
  port: 0,
  logger: () => {},
  config: { save: "", "latency-tracking": values["latency-tracking"] },
});
const server = s.server;
const w = new BufferWriter();
const c = server.createInternalClient({ reply: w });
const evalCmd = server.commands.get("eval")!;
const body = Deno.env.get("BODY") ?? "return(redis.call('INCR',KEYS[1]))";
const codes = (t: string) => Array.from(t, (ch) => ch.charCodeAt(0));
const [evalName, bodyCodes, keyCodes] = [codes("EVAL"), codes(body), codes("bench:eval")];
// New flat strings per call, as the parser makes them.
const argv = () => [
  String.fromCharCode(...evalName),
  String.fromCharCode(...bodyCodes),
  "1",
  String.fromCharCode(...keyCodes),
];
const calls = 300_000;
for (let round = 0; round < Number(Deno.env.get("ROUNDS") ?? 6); round++) {
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    server.runCommand(c, evalCmd, argv());
    if ((i & 15) === 15) w.take(); // a pipeline's replies, written
  }
  const wall = (performance.now() - t0) * 1e6 / calls;
  const u = process.cpuUsage(u0);
  const cpu = (u.user + u.system) * 1e3 / calls;
  console.log(`${wall.toFixed(0)} ns/EVAL wall, ${cpu.toFixed(0)} ns CPU`);
}
await s.close();
