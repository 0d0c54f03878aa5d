/**
 * Where a server's time per request goes, for one redis-benchmark row:
 * starts Respite with V8's perf map (`--perf-basic-prof`), records its main
 * thread with Linux `perf` while redis-benchmark runs, and prints the
 * functions by their share of the samples, self and inclusive (JIT code,
 * V8 builtins and the kernel named; native code of the `deno` binary,
 * which ships no symbols, shows as `[deno-native]`, mostly the garbage
 * collector, string hashing and other runtime calls).
 *
 * Needs `perf` (Debian: `linux-perf`) and `redis-benchmark`. The output is
 * what bench/PROFILE.md keeps per row.
 *
 * ```sh
 * deno run -A bench/perf_profile.ts -- -t get -r 1000000
 * deno run -A bench/perf_profile.ts --requests 1000000 -- EVAL "return 1" 0
 * deno run -A bench/perf_profile.ts --subscribe ch -- publish ch xxxxxxxxxxxxxxxx
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    port: { type: "string", default: "7399" },
    requests: { type: "string", default: "2000000" },
    seconds: { type: "string", default: "3" },
    top: { type: "string", default: "30" },
    subscribe: { type: "string" },
  },
});
const port = values.port;

/** One symbol of V8's perf map. */
interface MapEntry {
  start: bigint;
  end: bigint;
  name: string;
}

function readMap(pid: number): MapEntry[] {
  const text = Deno.readTextFileSync(`/tmp/perf-${pid}.map`);
  const out: MapEntry[] = [];
  for (const line of text.split("\n")) {
    const [a, s, ...n] = line.split(" ");
    if (a === undefined || s === undefined || n.length === 0) continue;
    const start = BigInt("0x" + a);
    out.push({ start, end: start + BigInt("0x" + s), name: n.join(" ") });
  }
  return out.sort((x, y) => (x.start < y.start ? -1 : 1));
}

function lookup(map: readonly MapEntry[], pc: bigint): string | undefined {
  let lo = 0, hi = map.length - 1, best = -1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (map[m]!.start <= pc) {
      best = m;
      lo = m + 1;
    } else hi = m - 1;
  }
  for (let i = best; i >= 0 && i > best - 30; i--) {
    const e = map[i]!;
    if (e.start <= pc && pc < e.end) {
      return e.name.replace(/file:\/\/\/[^ ]*?\/(core|commands|plugins)\//, "$1/")
        .replace(/^JS:[*+~o^]*'?/, "");
    }
  }
  return undefined;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout);
}

const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "--v8-flags=--max-semi-space-size=8,--perf-basic-prof",
    new URL("../main.ts", import.meta.url).pathname,
    "--port",
    port,
    "--save",
    "",
  ],
  stdout: "null",
  stderr: "null",
}).spawn();
let subscriber: Deno.ChildProcess | undefined;
try {
  for (let i = 0; i < 50; i++) {
    if ((await run("redis-cli", ["-p", port, "PING"])).includes("PONG")) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // A PUBLISH row needs someone listening (as BENCHMARKS.md's: redis-cli).
  subscriber = values.subscribe === undefined ? undefined : new Deno.Command("redis-cli", {
    args: ["-p", port, "subscribe", values.subscribe],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const bench = ["-p", port, "-c", "50", "-P", "16", "-q"];
  await run("redis-benchmark", [...bench, "-n", "100000", ...positionals]); // warm-up
  const data = await Deno.makeTempFile({ suffix: ".perf" });
  const perf = new Deno.Command("perf", {
    args: ["record", "-F", "3000", "-g", "-t", String(server.pid), "-o", data, "--", "sleep"]
      .concat(values.seconds),
    stdout: "null",
    stderr: "null",
  }).spawn();
  const line = await run("redis-benchmark", [...bench, "-n", values.requests, ...positionals]);
  await perf.status;
  console.log(line.split("\r").filter((l) => l.trim() !== "").pop()?.trim());
  const script = await run("perf", ["script", "-i", data, "-F", "tid,ip,sym,dso"]);
  await Deno.remove(data);
  const map = readMap(server.pid);
  const self = new Map<string, number>(), incl = new Map<string, number>();
  let total = 0;
  for (const block of script.split("\n\n")) {
    const frames = block.split("\n").slice(1).map((l) => l.trim().match(/^([0-9a-f]+)\s+(.*)$/))
      .filter((m) => m !== null).map((m) => {
        const named = lookup(map, BigInt("0x" + m[1]));
        if (named !== undefined) return named;
        if (m[2]!.includes("kernel")) return "[kernel]";
        return m[2]!.includes("/deno") ? "[deno-native]" : `[${m[2]!.split(" ")[0]}]`;
      });
    if (frames.length === 0) continue;
    total++;
    self.set(frames[0]!, (self.get(frames[0]!) ?? 0) + 1);
    for (const f of new Set(frames)) incl.set(f, (incl.get(f) ?? 0) + 1);
  }
  const top = Number(values.top);
  const show = (title: string, m: Map<string, number>) => {
    console.log(`\n${title} (${total} samples)`);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${(100 * v / total).toFixed(1).padStart(5)}%  ${k.slice(0, 110)}`);
    }
  };
  show("Self", self);
  show("Inclusive", incl);
} finally {
  server.kill("SIGKILL");
  await server.status;
  if (subscriber !== undefined) {
    try {
      subscriber.kill();
    } catch { /* gone with the server */ }
    await subscriber.status;
  }
}
