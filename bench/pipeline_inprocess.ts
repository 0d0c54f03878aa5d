/**
 * The server's cost per pipelined command without the kernel: the real
 * connection loop (read, parse, dispatch, reply, write) of Respite fed by
 * an in-memory socket that returns the same batch of `-P` commands on
 * every read and swallows every write. Prints nanoseconds of wall and CPU
 * time per command. Its figures are the part of redis-benchmark's CPU per
 * request that Respite's own code spends, for A/B runs of a change to the
 * hot path and for profiling it (`perf record` with
 * `--v8-flags=--perf-basic-prof`, or `--cpu-prof`).
 *
 * `;` separates the commands of a unit sent together (a transaction):
 * `-P` units per read, figures per unit. `__rand_int__` in an argument is
 * replaced by a 12-digit number below
 * `-r` per command, as redis-benchmark does (`-r 0`: the literal), in a
 * pool of `--pool` batches (4096) cycled.
 *
 * ```sh
 * deno run -A --v8-flags=--max-semi-space-size=8 bench/pipeline_inprocess.ts GET key:__rand_int__
 * deno run -A bench/pipeline_inprocess.ts -r 1000000 -n 2000000 SET key:__rand_int__ xxx
 * deno run -A bench/pipeline_inprocess.ts -r 100000 --pool 65536 -n 1000000 ZADD z __rand_int__ m:__rand_int__
 * deno run -A bench/pipeline_inprocess.ts -r 1000000 MULTI ";" SET key:__rand_int__ xxx ";" INCR counter ";" EXEC
 * deno run -A bench/pipeline_inprocess.ts --setup '["PFADD","h","a","b"]' PFCOUNT h
 * deno run -A bench/pipeline_inprocess.ts --config cluster-enabled=yes \
 *   --setup '["CLUSTER","ADDSLOTSRANGE","0","16383"]' GET key
 * ```
 *
 * `--setup` (repeatable) is a command as a JSON array of strings, sent
 * once over real TCP before the rounds (its reply is not checked);
 * `@path` reads it from a file.
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { startServer } from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    P: { type: "string", short: "P", default: "16" },
    n: { type: "string", short: "n", default: "3000000" },
    r: { type: "string", short: "r", default: "0" },
    rounds: { type: "string", default: "5" },
    pool: { type: "string", default: "4096" },
    config: { type: "string", multiple: true, default: [] },
    setup: { type: "string", multiple: true, default: [] },
  },
});
const args = positionals.length !== 0 ? positionals : ["GET", "key:__rand_int__"];
// `;` separates the commands of a unit (MULTI ; SET k v ; EXEC): -P units
// per read, and the figures are per unit.
const units: string[][] = [[]];
for (const a of args) a === ";" ? units.push([]) : units[units.length - 1]!.push(a);
const P = Number(values.P);
const range = Number(values.r);
const config: Record<string, string> = { save: "" };
for (const kv of values.config) {
  const i = kv.indexOf("=");
  config[kv.slice(0, i)] = kv.slice(i + 1);
}

const enc = new TextEncoder();
/** A batch of P commands, with random numbers where `__rand_int__` is. */
function batch(): Uint8Array {
  let text = "";
  for (let i = 0; i < P * units.length; i++) {
    const unit = units[i % units.length]!;
    text += `*${unit.length}\r\n`;
    for (const a of unit) {
      const v = range > 0
        ? a.replaceAll(
          "__rand_int__",
          String(Math.floor(Math.random() * range)).padStart(12, "0"),
        )
        : a;
      text += `$${enc.encode(v).length}\r\n${v}\r\n`;
    }
  }
  return enc.encode(text);
}
// Random keys: a pool of batches, cycled (each differs, as redis-benchmark's).
// `--pool` (a power of two) makes it larger, so that commands which change
// state (ZADD of random scores) do not repeat before the data is full-size.
const batches = Array.from({ length: range > 0 ? Number(values.pool) : 1 }, batch);

const s = await startServer({ port: 0, logger: () => {}, config });

/**
 * One unit over real TCP first, answered before any round: what loads on
 * first use (the Lua engine) is loaded, and an error reply stops the run
 * instead of being measured.
 */
async function warmUp(): Promise<void> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port: s.port });
  try {
    for (const json of values.setup) {
      const text = json.startsWith("@") ? Deno.readTextFileSync(json.slice(1)) : json;
      const cmd = JSON.parse(text) as string[];
      await c.write(enc.encode(
        `*${cmd.length}\r\n` + cmd.map((a) => `$${enc.encode(a).length}\r\n${a}\r\n`).join(""),
      ));
      await c.read(new Uint8Array(65536));
      // (One read: a reply longer than that would be taken for the next one's.)
    }
    // `__rand_int__` as the batches have it (a ZADD score must be a number).
    const arg = (a: string) => range > 0 ? a.replaceAll("__rand_int__", "0".repeat(12)) : a;
    const text = units.map((u) =>
      `*${u.length}\r\n` +
      u.map((a) => `$${enc.encode(arg(a)).length}\r\n${arg(a)}\r\n`).join("")
    ).join("");
    const buf = new Uint8Array(4096);
    let reply = "";
    // A cluster node given its slots by `--setup` serves once its state is
    // ok (its cron's next turn): up to 5 s.
    for (let tries = 0; tries < 50; tries++) {
      await c.write(enc.encode(text));
      const n = await c.read(buf);
      reply = new TextDecoder().decode(buf.subarray(0, n ?? 0));
      if (!reply.startsWith("-CLUSTERDOWN")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (reply.startsWith("-")) {
      console.error(`error reply: ${reply.split("\r\n")[0]}`);
      Deno.exit(1);
    }
  } finally {
    c.close();
  }
}
await warmUp();
const total = Number(values.n);
let reads = 0;
let budget = 0;
let done: (() => void) | undefined;
/** The loop's idle read, resolved when the next round starts. */
let idle: (() => void) | undefined;
const addr = { transport: "tcp", hostname: "127.0.0.1", port: 1 } as const;
function fill(buf: Uint8Array): number {
  const b = batches[reads++ & (batches.length - 1)]!;
  buf.set(b);
  budget -= P;
  return b.length;
}
const conn = {
  remoteAddr: addr,
  localAddr: addr,
  setNoDelay() {},
  setKeepAlive() {},
  close() {},
  read(buf: Uint8Array): Promise<number | null> {
    if (budget <= 0) {
      done?.();
      return new Promise((resolve) => (idle = () => resolve(fill(buf))));
    }
    return Promise.resolve(fill(buf));
  },
  write(data: Uint8Array): Promise<number> {
    return Promise.resolve(data.length);
  },
};
let started = false;
for (let round = 0; round < Number(values.rounds); round++) {
  budget = total;
  const finished = new Promise<void>((r) => (done = r));
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  if (!started) {
    started = true;
    const listener = {
      async *[Symbol.asyncIterator]() {
        yield conn;
      },
    };
    void s.server.connections.accept(listener as unknown as Deno.Listener);
  } else {
    // The loop waits on its idle read: hand it the next batch.
    idle!();
  }
  await finished;
  const wall = (performance.now() - t0) * 1e6 / total;
  const u = process.cpuUsage(u0);
  const cpu = (u.user + u.system) * 1e3 / total;
  const name = units.length === 1 ? args[0] : units.map((u) => u[0]).join("+");
  console.log(`${name}: ${wall.toFixed(0)} ns/command wall, ${cpu.toFixed(0)} ns CPU`);
}
Deno.exit(0);
