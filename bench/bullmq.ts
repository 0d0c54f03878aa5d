/**
 * The BullMQ benchmark: jobs added and jobs processed per second by BullMQ
 * (every state change of a job is a Lua script: EVALSHA), against a fresh
 * redis-server and a fresh Respite, each its own process with no
 * persistence. The load generator is bench/bullmq_load.ts, run as its own
 * Deno process: an unmeasured warm-up on another queue, then `--jobs` jobs
 * added with 50 `Queue.add` calls in flight, then processed by a Worker of
 * concurrency 50 whose processor returns at once. The median of the
 * repetitions is reported.
 *
 * Run on its own:
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write --allow-run --allow-env bench/bullmq.ts [jobs] [reps]
 * ```
 *
 * @module
 */

import {
  type BenchServer,
  defaultEntry,
  freePort,
  type RespiteEntry,
  ROOT,
  startRedis,
  startRespite,
} from "./servers.ts";

/** One run on one kind of server (or the medians of several). */
export interface BullmqSample {
  /** Jobs added per second (Queue.add, 50 in flight). */
  addedPerSec: number;
  /** Jobs completed per second by one Worker of concurrency 50. */
  processedPerSec: number;
}

/** What the BullMQ benchmark measured. */
export interface BullmqResult {
  /** Jobs per run. */
  jobs: number;
  reps: number;
  /** The `npm:bullmq` version used. */
  version: string;
  /** Medians per field. */
  redis: BullmqSample;
  respite: BullmqSample;
  /** Every run, in the order measured. */
  runs: { redis: BullmqSample[]; respite: BullmqSample[] };
  /** The server command lines, for the report. */
  serverLines: string[];
  /** The load generator's command line, for the report. */
  commandLines: string[];
}

/** Options of {@link measureBullmq}. */
export interface BullmqOptions {
  /** Jobs per run (default 5,000). */
  jobs?: number;
  /** Repetitions per server kind; the median is reported (default 3). */
  reps?: number;
  /** Respite entry point (default main.ts when present). */
  entry?: RespiteEntry;
  /** Progress lines (default console.log). */
  log?: (line: string) => void;
}

/** `Queue.add` calls in flight, and the Worker's concurrency. */
const WINDOW = 50;
const CONCURRENCY = 50;

const NOT_MEASURED: BullmqSample = { addedPerSec: NaN, processedPerSec: NaN };

/** The load generator's arguments for `jobs` jobs, `<port>` left to fill. */
function loadArgs(jobs: number, port: string): string[] {
  const warmup = Math.max(100, Math.round(jobs / 5));
  return [
    "run",
    "--allow-net",
    "--allow-env",
    "--allow-read",
    "--allow-sys",
    "bench/bullmq_load.ts",
    "-p",
    port,
    "-n",
    String(jobs),
    "--window",
    String(WINDOW),
    "--concurrency",
    String(CONCURRENCY),
    "--warmup",
    String(warmup),
  ];
}

/** The `bullmq` version of the import map (deno.json). */
function bullmqVersion(): string {
  try {
    const json = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
    const spec: string = json.imports?.bullmq ?? "";
    return spec.replace(/^npm:bullmq@/, "") || "?";
  } catch {
    return "?";
  }
}

/** Runs the load generator against one server and reads its JSON line. */
async function runOnce(server: BenchServer, jobs: number): Promise<BullmqSample> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: loadArgs(jobs, String(server.port)),
    cwd: ROOT,
    stdin: "null",
    // A server that stops answering must not hang the whole run.
    signal: AbortSignal.timeout(Math.max(120_000, jobs * 20)),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const last = stdout.split("\n").at(-1) ?? "";
  let r: { addedPerSec?: number; processedPerSec?: number; errors?: number; firstError?: string };
  try {
    r = JSON.parse(last);
  } catch {
    const err = new TextDecoder().decode(out.stderr).slice(-500);
    throw new Error(`the load generator printed no result (exit ${out.code}): ${err}`);
  }
  if (!out.success || r.errors) {
    throw new Error(`${r.errors ?? "?"} error(s), first: ${r.firstError ?? "?"}`);
  }
  return { addedPerSec: r.addedPerSec ?? NaN, processedPerSec: r.processedPerSec ?? NaN };
}

function medians(xs: readonly BullmqSample[]): BullmqSample {
  const med = (f: keyof BullmqSample) => {
    const s = xs.map((x) => x[f]).filter(Number.isFinite).sort((a, b) => a - b);
    if (s.length === 0) return NaN;
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  return { addedPerSec: med("addedPerSec"), processedPerSec: med("processedPerSec") };
}

/**
 * Measures BullMQ's jobs added and processed per second on a fresh
 * redis-server and a fresh Respite per repetition, alternating which goes
 * first. A run that fails is logged and left out of the medians.
 */
export async function measureBullmq(opts: BullmqOptions = {}): Promise<BullmqResult> {
  const jobs = opts.jobs ?? 5000;
  const reps = opts.reps ?? 3;
  const log = opts.log ?? console.log;
  const entry = opts.entry ?? defaultEntry();
  const runs = { redis: [] as BullmqSample[], respite: [] as BullmqSample[] };
  const lines = { redis: "", respite: "" };
  for (let rep = 0; rep < reps; rep++) {
    for (
      const kind of rep % 2 === 0 ? ["redis", "respite"] as const : ["respite", "redis"] as const
    ) {
      let s = NOT_MEASURED;
      let server: BenchServer | undefined;
      try {
        server = kind === "redis"
          ? await startRedis(freePort())
          : await startRespite(freePort(), entry);
        lines[kind] = server.commandLine.replace(/--port \d+/, "--port <port>");
        s = await runOnce(server, jobs);
      } catch (e) {
        console.error(`  bullmq ${kind}: ${e instanceof Error ? e.message : e}`);
      } finally {
        await server?.stop();
      }
      runs[kind].push(s);
      log(
        `bullmq ${kind.padEnd(7)} ${jobs} jobs: ${Math.round(s.addedPerSec)} added/s, ` +
          `${Math.round(s.processedPerSec)} processed/s`,
      );
    }
  }
  return {
    jobs,
    reps,
    version: bullmqVersion(),
    redis: medians(runs.redis),
    respite: medians(runs.respite),
    runs,
    serverLines: [lines.redis, lines.respite].filter(Boolean),
    commandLines: [`deno ${loadArgs(jobs, "<port>").join(" ")}`],
  };
}

if (import.meta.main) {
  const jobs = Number(Deno.args[0] ?? 5000);
  const reps = Number(Deno.args[1] ?? 3);
  const r = await measureBullmq({ jobs, reps });
  console.log(JSON.stringify({ redis: r.redis, respite: r.respite }, null, 2));
}
