/**
 * The benchmark driver behind `deno task bench`: runs redis-benchmark (and,
 * for rows it cannot express, the scripted load generator bench/scripted.ts)
 * against the real redis-server and Respite (each its own process),
 * alternating between them, and writes BENCHMARKS.md.
 *
 * Flags:
 * - `--only set,get`  run only these tests (ids from bench/tests.ts; a row that
 *                     reads an earlier row's data gets that row run unmeasured)
 * - `--quick`         fewer requests, one repetition, a smaller fill
 * - `--n1 N`          requests per run at -P 1 (default 100000)
 * - `--n16 N`         requests per run at deeper pipelines (default 1000000)
 * - `--reps N`        runs per test per server; the median is reported (default 3)
 * - `--clients N`     redis-benchmark -c (default 50)
 * - `--pipelines L`   pipeline depths, comma separated (default 1,16)
 * - `--keys N`        memory fill: -r N -n N (default 1000000)
 * - `--no-memory`     skip the memory measurement
 * - `--persistence`   measure SAVE, BGSAVE and RDB load of `--keys` keys
 *                     (bench/persistence.ts); on by default without `--only`
 * - `--no-persistence` skip it
 * - `--replication`   measure the writes/s carried from a master to one replica
 *                     (bench/replication.ts); on by default without `--only`
 * - `--no-replication` skip it
 * - `--repl-writes N` SETs per replication run (default 500000)
 * - `--bullmq`        measure BullMQ's jobs added and processed per second
 *                     (bench/bullmq.ts); on by default without `--only`
 * - `--no-bullmq`     skip it
 * - `--bullmq-jobs N` jobs per BullMQ run (default 5000)
 * - `--cluster`       SET and GET through `redis-benchmark --cluster` on a
 *                     3-master redis-server cluster and a 3-master Respite
 *                     local cluster (bench/cluster.ts); on by default without
 *                     `--only`
 * - `--no-cluster`    skip it
 * - `--engines`       compare the Lua engines available on npm on the EVAL
 *                     row's script shape (bench/lua_engines.ts); on by
 *                     default without `--only`
 * - `--no-engines`    skip it
 * - `--no-rerun`      do not run again the rows that missed their target
 *                     (by default they run a second pass once all rows ran)
 * - `--floor`         run every row against bench/io_floor.ts too (a Deno
 *                     server that only answers +PONG: what Deno's sockets
 *                     cost), alternating with redis-server, then against
 *                     it with work per command (WORK_LEVELS) until it
 *                     misses the row's issue 19 target; on by default
 *                     without `--only` (the memory section measures its
 *                     idle RSS either way)
 * - `--no-floor`      skip it
 * - `--entry E`       Respite entry point: `main` (main.ts) or `launcher`
 *                     (bench/respite_server.ts); default main.ts when present
 * - `--out FILE`      where the report goes (default BENCHMARKS.md; `-` for stdout)
 * - `--json FILE`     also save the measurements as JSON
 * - `--render FILE`   measure nothing: re-render the report from a `--json` file
 *
 * @example
 * ```sh
 * deno task bench --only set,get --quick --out -
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type BenchTest, findTest, SCRIPT_SEPARATOR, SCRIPTED_TESTS, t, TESTS } from "./tests.ts";
import { cpuMicros, machineInfo, memory, readProc } from "./system.ts";
import {
  type BenchServer,
  defaultEntry,
  freePort,
  portFree,
  redisCli,
  type RespiteEntry,
  startIoFloor,
  startRedis,
  startRespite,
} from "./servers.ts";
import {
  checkTargets,
  CPU_GOAL,
  CPU_ROWS,
  type FloorRow,
  goalOf,
  type MemorySample,
  render,
  REPLICATION_GOAL,
  type Report,
  type Row,
  type RowFigures,
  USAGE_SAMPLES,
} from "./report.ts";
import { measurePersistence } from "./persistence.ts";
import { Conn } from "./resp_client.ts";
import { measureReplication, withRerun } from "./replication.ts";
import { measureBullmq } from "./bullmq.ts";
import { measureEngines } from "./lua_engines.ts";
import { measureCluster } from "./cluster.ts";
import { RESPITE_VERSION } from "../core/version.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/**
 * The floor's work per command (ns) in the sweep that measures what own
 * work a row's target leaves: each row climbs them until the floor falls
 * below the target.
 */
const WORK_LEVELS = [150, 300, 600, 1200, 2400];

/** The commands redis-benchmark's `-t` tests send (`-r` turns ZADD's score random). */
const T_COMMANDS: Readonly<Record<string, readonly string[]>> = {
  ping_mbulk: ["PING"],
  set: ["SET", "key:__rand_int__", "xxx"],
  get: ["GET", "key:__rand_int__"],
  incr: ["INCR", "counter:__rand_int__"],
  mset: ["MSET", ...Array.from({ length: 10 }, () => ["key:__rand_int__", "xxx"]).flat()],
  lpush: ["LPUSH", "mylist", "xxx"],
  sadd: ["SADD", "myset", "element:__rand_int__"],
  hset: ["HSET", "myhash", "element:__rand_int__", "xxx"],
  zadd: ["ZADD", "myzset", "0", "element:__rand_int__"],
};

/**
 * A row's arguments for bench/pipeline_inprocess.ts (its own work), or
 * undefined for rows that read what an earlier row left (the in-process
 * server starts empty, so they would measure misses).
 */
function ownWorkArgs(test: BenchTest): string[] | undefined {
  if (test.after === "SET_RANDOM" && test.args[0] === "-t" && test.args[1] === "get") {
    // The keys the random SET row leaves: one MSET of as many random draws.
    const range = test.args[test.args.indexOf("-r") + 1]!;
    return [
      "-r",
      range,
      "--pool",
      "65536",
      "--setup",
      `@${randomFill(Number(range))}`,
      ...T_COMMANDS.get!,
    ];
  }
  if (test.after !== undefined || test.id === "LRANGE_100") return undefined;
  if (test.tool === "scripted") {
    const s = SCRIPTED_TESTS.find((x) => x.id === test.id);
    return s?.script.flatMap((c, i) => i === 0 ? [...c] : [SCRIPT_SEPARATOR, ...c]);
  }
  if (test.args[0] !== "-t") return [...test.args];
  const base = T_COMMANDS[test.args[1]!];
  if (base === undefined) return undefined;
  const extra = test.args.slice(2);
  if (!extra.includes("-r")) return [...base];
  // Random members: a pool as large as the range, as redis-benchmark's.
  const zadd = base[0] === "ZADD" ? ["ZADD", "myzset", "__rand_int__", base[3]!] : base;
  return [...extra, "--pool", "65536", ...zadd];
}

let fillFile: string | undefined;

/**
 * A `--setup` file for bench/pipeline_inprocess.ts: MSET of `range` keys
 * drawn at random out of `range` (redis-benchmark's `key:` and 12 digits),
 * each `xxx`, as the random SET row leaves them (about 63% distinct).
 */
function randomFill(range: number): string {
  if (fillFile !== undefined) return fillFile;
  const argv = ["MSET"];
  for (let i = 0; i < range; i++) {
    argv.push(`key:${String(Math.floor(Math.random() * range)).padStart(12, "0")}`, "xxx");
  }
  fillFile = Deno.makeTempFileSync({ prefix: "respite-bench-fill-", suffix: ".json" });
  Deno.writeTextFileSync(fillFile, JSON.stringify(argv));
  return fillFile;
}

/**
 * Respite's own CPU per command (ns) from bench/pipeline_inprocess.ts: the
 * connection loop fed from memory, no kernel. NaN when it fails.
 */
async function ownWorkOf(test: BenchTest, pipeline: number): Promise<number | undefined> {
  const argv = ownWorkArgs(test);
  if (argv === undefined) return undefined;
  // Slow rows (scripts, transactions) send fewer, for a similar time.
  const n = test.tool === "scripted" || test.id === "EVAL" ? 300000 : 1000000;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=8",
      "bench/pipeline_inprocess.ts",
      "--rounds",
      "3",
      "-P",
      String(pipeline),
      "-n",
      String(n),
      ...argv,
    ],
    cwd: ROOT,
    stdin: "null",
    stderr: "null",
  }).output();
  // The quickest of the rounds: a round the machine slowed says nothing of the code.
  const rounds = [...new TextDecoder().decode(out.stdout).matchAll(/(\d+) ns CPU/g)];
  return rounds.length === 0 ? NaN : Math.min(...rounds.map((m) => Number(m[1])));
}

/**
 * How long a fresh server idles before its idle RSS is read: a Deno
 * process sheds several MiB of start-up garbage in its first seconds.
 */
const IDLE_WAIT_MS = 4000;

/** Ports reserved for the benchmark's redis-server. */
const REDIS_PORTS = [6398, 6399];

interface Options {
  only: string[] | undefined;
  quick: boolean;
  n1: number;
  n16: number;
  reps: number;
  clients: number;
  pipelines: number[];
  keys: number;
  memory: boolean;
  persistence: boolean;
  replication: boolean;
  replWrites: number;
  bullmq: boolean;
  bullmqJobs: number;
  engines: boolean;
  cluster: boolean;
  floor: boolean;
  /** Run the rows that missed their target again (see `--no-rerun`). */
  rerun: boolean;
  entry: RespiteEntry | undefined;
  out: string;
  json: string | undefined;
  render: string | undefined;
}

function options(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      n1: { type: "string" },
      n16: { type: "string" },
      reps: { type: "string" },
      clients: { type: "string" },
      pipelines: { type: "string" },
      keys: { type: "string" },
      "no-memory": { type: "boolean", default: false },
      persistence: { type: "boolean", default: false },
      "no-persistence": { type: "boolean", default: false },
      replication: { type: "boolean", default: false },
      "no-replication": { type: "boolean", default: false },
      "repl-writes": { type: "string" },
      bullmq: { type: "boolean", default: false },
      "no-bullmq": { type: "boolean", default: false },
      "bullmq-jobs": { type: "string" },
      engines: { type: "boolean", default: false },
      "no-engines": { type: "boolean", default: false },
      cluster: { type: "boolean", default: false },
      "no-cluster": { type: "boolean", default: false },
      "no-rerun": { type: "boolean", default: false },
      floor: { type: "boolean", default: false },
      "no-floor": { type: "boolean", default: false },
      entry: { type: "string" },
      out: { type: "string" },
      json: { type: "string" },
      render: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: deno task bench [--only set,get] [--quick] [--n1 N] [--n16 N] [--reps N]\n" +
        "       [--clients N] [--pipelines 1,16] [--keys N] [--no-memory]\n" +
        "       [--persistence | --no-persistence] [--replication | --no-replication]\n" +
        "       [--repl-writes N] [--bullmq | --no-bullmq] [--bullmq-jobs N]\n" +
        "       [--engines | --no-engines] [--cluster | --no-cluster] [--floor | --no-floor]\n" +
        "       [--no-rerun]\n" +
        "       [--entry main|launcher] [--out FILE|-] [--json FILE] [--render FILE]",
    );
    Deno.exit(0);
  }
  const quick = values.quick;
  const int = (v: string | undefined, dflt: number, name: string) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} wants a positive integer`);
    return n;
  };
  const only = values.only?.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (only) {
    const unknown = only.filter((n) => !findTest(n));
    if (unknown.length) {
      throw new Error(`unknown test(s) ${unknown.join(", ")}; known: ${TESTS.map((t) => t.id)}`);
    }
  }
  if (values.persistence && values["no-persistence"]) {
    throw new Error("--persistence and --no-persistence contradict each other");
  }
  if (values.replication && values["no-replication"]) {
    throw new Error("--replication and --no-replication contradict each other");
  }
  if (values.bullmq && values["no-bullmq"]) {
    throw new Error("--bullmq and --no-bullmq contradict each other");
  }
  if (values.engines && values["no-engines"]) {
    throw new Error("--engines and --no-engines contradict each other");
  }
  if (values.cluster && values["no-cluster"]) {
    throw new Error("--cluster and --no-cluster contradict each other");
  }
  if (values.floor && values["no-floor"]) {
    throw new Error("--floor and --no-floor contradict each other");
  }
  const entry = values.entry;
  if (entry !== undefined && entry !== "main" && entry !== "launcher") {
    throw new Error("--entry wants main or launcher");
  }
  return {
    only,
    quick,
    n1: int(values.n1, quick ? 20_000 : 100_000, "n1"),
    n16: int(values.n16, quick ? 200_000 : 1_000_000, "n16"),
    reps: int(values.reps, quick ? 1 : 3, "reps"),
    clients: int(values.clients, 50, "clients"),
    pipelines: (values.pipelines ?? "1,16").split(",").map((p) => int(p, 1, "pipelines")),
    keys: int(values.keys, quick ? 200_000 : 1_000_000, "keys"),
    memory: !values["no-memory"],
    // A full run includes it; a partial one (--only) only when asked.
    persistence: values.persistence || (!values["no-persistence"] && only === undefined),
    replication: values.replication || (!values["no-replication"] && only === undefined),
    replWrites: int(values["repl-writes"], quick ? 100_000 : 500_000, "repl-writes"),
    bullmq: values.bullmq || (!values["no-bullmq"] && only === undefined),
    bullmqJobs: int(values["bullmq-jobs"], quick ? 2000 : 5000, "bullmq-jobs"),
    engines: values.engines || (!values["no-engines"] && only === undefined),
    cluster: values.cluster || (!values["no-cluster"] && only === undefined),
    floor: values.floor || (!values["no-floor"] && only === undefined),
    rerun: !values["no-rerun"],
    entry,
    out: values.out ?? `${ROOT}BENCHMARKS.md`,
    json: values.json,
    render: values.render,
  };
}

/** The program a row runs, and the arguments that precede the common ones. */
function program(test: BenchTest): { cmd: string; shown: string; args: string[] } {
  if (test.tool === "redis-benchmark") return { cmd: "redis-benchmark", shown: "", args: [] };
  const args = ["run", "--allow-net", "bench/scripted.ts"];
  return { cmd: Deno.execPath(), shown: `deno ${args.join(" ")}`, args };
}

/** Requests (units) a row sends at a pipeline depth. */
function requests(o: Options, test: BenchTest, pipeline: number): number {
  const n = pipeline === 1 ? o.n1 : o.n16;
  return Math.max(1, Math.round(n * (test.scale ?? 1)));
}

/** Quotes an argument for the sh blocks of the report. */
function shellQuote(a: string): string {
  // `<port>` is a placeholder for the reader, not a shell redirection.
  return a === "<port>" || /^[\w./:=,+-]+$/.test(a) ? a : `'${a.replaceAll("'", `'"'"'`)}'`;
}

/** The command line shown in the report for a row's run. */
function shownLine(test: BenchTest, args: string[]): string {
  const p = program(test);
  return `${p.shown || p.cmd} ${args.map(shellQuote).join(" ")}`;
}

/** The common load-generator arguments, with `<port>` left for the caller. */
function benchArgs(o: Options, test: BenchTest, pipeline: number, n: number): string[] {
  return [
    "-h",
    "127.0.0.1",
    "-p",
    "<port>",
    "-c",
    String(o.clients),
    "-n",
    String(n),
    "-P",
    String(pipeline),
    "--csv",
    ...test.args,
  ];
}

/** Parses redis-benchmark's CSV into test name -> requests per second. */
export function parseCsv(text: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = line.match(/^"((?:[^"]|"")*)","([^"]*)"/);
    if (!m || m[1] === "test") continue;
    rows.set(m[1]!.replaceAll('""', '"'), Number(m[2]));
  }
  return rows;
}

/** Picks the test's row from the CSV rows. */
function pick(test: BenchTest, rows: Map<string, number>): number {
  if (test.row !== undefined) return rows.get(test.row) ?? NaN;
  for (const [name, rps] of rows) if (name.toUpperCase().startsWith(test.name)) return rps;
  return rows.size === 1 ? [...rows.values()][0]! : NaN;
}

interface RunResult {
  rps: number;
  cpuPerReq: number;
}

/** A row's medians over its runs on each server. */
function figures(got: { Redis: RunResult[]; Respite: RunResult[] }): RowFigures {
  return {
    redisOps: median(got.Redis.map((r) => r.rps)),
    respiteOps: median(got.Respite.map((r) => r.rps)),
    redisCpu: median(got.Redis.map((r) => r.cpuPerReq)),
    respiteCpu: median(got.Respite.map((r) => r.cpuPerReq)),
  };
}

/** Runs one redis-benchmark invocation against one server. */
async function runOnce(server: BenchServer, args: string[], test: BenchTest): Promise<RunResult> {
  const n = Number(args[args.indexOf("-n") + 1]);
  const teardown = await test.setup?.start(server.port);
  try {
    return await measure(server, args, test, n);
  } finally {
    await teardown?.();
  }
}

async function measure(
  server: BenchServer,
  args: string[],
  test: BenchTest,
  n: number,
): Promise<RunResult> {
  const before = cpuMicros(server.pid);
  // A server that stops answering must not hang the whole run.
  const signal = AbortSignal.timeout(Math.max(120_000, n / 2));
  let out: Deno.CommandOutput;
  const p = program(test);
  try {
    out = await new Deno.Command(p.cmd, {
      args: [...p.args, ...args.map((a) => a === "<port>" ? String(server.port) : a)],
      cwd: ROOT,
      stdin: "null",
      signal,
    }).output();
  } catch (e) {
    console.error(`  ${server.label} ${test.name}: ${test.tool} failed: ${e}`);
    return { rps: NaN, cpuPerReq: NaN };
  }
  const after = cpuMicros(server.pid);
  const stdout = new TextDecoder().decode(out.stdout);
  const rps = signal.aborted ? NaN : pick(test, parseCsv(stdout));
  if (!Number.isFinite(rps)) {
    const why = signal.aborted ? "timed out" : new TextDecoder().decode(out.stderr).slice(0, 500);
    console.error(`  ${server.label} ${test.name}: no result (${why})\n${stdout.slice(0, 500)}`);
  }
  // CPU per request only means something for a run that completed.
  const cpuPerReq = before === undefined || after === undefined || !Number.isFinite(rps)
    ? NaN
    : (after - before) / n;
  return { rps, cpuPerReq };
}

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function pickRedisPort(): number {
  return REDIS_PORTS.find(portFree) ?? freePort();
}

/** Starts Respite, falling back to the launcher when main.ts does not come up. */
async function bootRespite(o: Options): Promise<{ server: BenchServer; entry: RespiteEntry }> {
  const entry = o.entry ?? defaultEntry();
  try {
    return { server: await startRespite(freePort(), entry), entry };
  } catch (e) {
    if (o.entry !== undefined || entry === "launcher") throw e;
    console.error(`main.ts did not start; using bench/respite_server.ts instead.\n${e}`);
    return { server: await startRespite(freePort(), "launcher"), entry: "launcher" };
  }
}

/** The memory fill: N random keys of 16-byte values, pipelined. */
function fillArgs(o: Options): string[] {
  const n = String(o.keys);
  const c = String(o.clients);
  return ["-h", "127.0.0.1", "-p", "<port>", "-c", c, "-t", "set", "-r", n, "-n", n, "-d", "16"]
    .concat(["-P", "16", "--csv"]);
}

/** Fills a fresh server with random keys and measures its memory. */
async function measureMemory(server: BenchServer, o: Options): Promise<MemorySample> {
  // Let start-up allocation settle before the idle reading (as
  // bench/idle_rss.ts waits).
  await new Promise((r) => setTimeout(r, IDLE_WAIT_MS));
  const idle = memory(server.pid);
  const fill = await runOnce(server, fillArgs(o), t("set"));
  await new Promise((r) => setTimeout(r, 1000));
  const after = memory(server.pid);
  // A failed fill says nothing about memory per key: report no RSS then.
  const filled = Number.isFinite(fill.rps);
  const keys = Number((await redisCli(server.port, "dbsize")) || NaN);
  return {
    idleRss: idle?.rss ?? NaN,
    rss: filled ? after?.rss ?? NaN : NaN,
    peakRss: filled ? after?.peak ?? NaN : NaN,
    keys,
    fillOps: fill.rps,
    usagePerKey: filled ? await usagePerKey(server.port, USAGE_SAMPLES) : NaN,
  };
}

/** The mean MEMORY USAGE of `n` keys drawn with RANDOMKEY (repeats allowed). */
async function usagePerKey(port: number, n: number): Promise<number> {
  const conn = await Conn.open(port);
  try {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const key = await conn.call("RANDOMKEY");
      if (typeof key !== "string") return NaN;
      const bytes = await conn.call("MEMORY", "USAGE", key);
      if (typeof bytes !== "number") return NaN;
      total += bytes;
    }
    return total / n;
  } finally {
    conn.close();
  }
}

/**
 * Formats Markdown as `deno fmt` would (aligned tables, wrapped prose), so
 * the generated file passes `deno fmt --check` as written.
 */
async function formatMarkdown(md: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(md));
  await writer.close();
  const out = await child.output();
  return out.success ? new TextDecoder().decode(out.stdout) : md;
}

/** The 1-minute load average: other work on the machine skews the numbers. */
function loadAverage(): string {
  try {
    return readProc("/proc/loadavg").split(" ")[0] ?? "?";
  } catch {
    return "?";
  }
}

function gitCommit(): string {
  try {
    const run = (args: string[]) =>
      new TextDecoder().decode(
        new Deno.Command("git", { args, cwd: ROOT, stderr: "null" }).outputSync().stdout,
      ).trim();
    const head = run(["rev-parse", "--short", "HEAD"]);
    if (!head) return "";
    return run(["status", "--porcelain", "--untracked-files=no"])
      ? `${head} (+ local changes)`
      : head;
  } catch {
    return "";
  }
}

async function main(): Promise<void> {
  const o = options(Deno.args);
  if (o.render) return await publish(await loadReport(o.render), o);
  const started = performance.now();
  const loadBefore = loadAverage();
  const tests = TESTS.filter((t) => !o.only || o.only.includes(t.id));
  // Rows whose data-filling row was left out by --only: it runs unmeasured.
  const fillers = new Map<BenchTest, BenchTest>();
  for (const test of tests) {
    const before = test.after === undefined ? undefined : findTest(test.after);
    if (before && !tests.includes(before)) fillers.set(test, before);
  }
  const nFor = (p: number) => p === 1 ? o.n1 : o.n16;

  const redis = await startRedis(pickRedisPort());
  let respite: BenchServer | undefined;
  const servers: BenchServer[] = [redis];
  const stopAll = () => Promise.all(servers.map((s) => s.stop()));
  try {
    const boot = await bootRespite(o);
    respite = boot.server;
    servers.push(respite);
    console.log(
      `redis-server on ${redis.port} (pid ${redis.pid}); respite on ${respite.port} ` +
        `(pid ${respite.pid}, ${boot.entry === "main" ? "main.ts" : "bench/respite_server.ts"})`,
    );

    console.log("warm-up ...");
    for (const server of [redis, respite]) {
      for (const test of tests) {
        const filler = fillers.get(test);
        const n = Math.min(requests(o, test, 16), 100_000);
        if (filler) await runOnce(server, benchArgs(o, filler, 16, n), filler);
        await runOnce(server, benchArgs(o, test, 16, n), test);
      }
    }

    /** `o.reps` runs of a row per server, alternating which goes first. */
    const alternate = async (test: BenchTest, args: string[]) => {
      const got = { Redis: [] as RunResult[], Respite: [] as RunResult[] };
      for (let rep = 0; rep < o.reps; rep++) {
        const order = rep % 2 === 0 ? [redis, respite!] : [respite!, redis];
        for (const server of order) {
          got[server.label as "Redis" | "Respite"].push(await runOnce(server, args, test));
        }
      }
      return got;
    };
    /** Each measured row's runs, by `${pipeline} ${id}`, for the reruns. */
    const runsOf = new Map<string, { Redis: RunResult[]; Respite: RunResult[] }>();
    const serverLines = [redis.commandLine, respite.commandLine];
    const tables: Report["tables"] = [];
    const commandLines: string[] = [];
    for (const pipeline of o.pipelines) {
      const rows: Row[] = [];
      for (const test of tests) {
        const args = benchArgs(o, test, pipeline, requests(o, test, pipeline));
        const filler = fillers.get(test);
        if (filler) {
          // As many of the filling row's requests as this row will read.
          const fill = benchArgs(o, filler, pipeline, requests(o, test, pipeline) * o.reps);
          commandLines.push(`# unmeasured, to fill the data: ${shownLine(filler, fill)}`);
          for (const server of [redis, respite]) await runOnce(server, fill, filler);
        }
        commandLines.push(shownLine(test, args));
        if (test.setup) commandLines.push(`#   while running: ${test.setup.describe}`);
        const got = await alternate(test, args);
        runsOf.set(`${pipeline} ${test.id}`, got);
        const row: Row = {
          id: test.id,
          name: test.name,
          requests: requests(o, test, pipeline),
          ...(test.unit === undefined ? {} : { unit: test.unit }),
          ...(test.note === undefined ? {} : { note: test.note }),
          ...figures(got),
        };
        rows.push(row);
        console.log(
          `-P ${pipeline} ${test.id.padEnd(12)} redis ${Math.round(row.redisOps)} ` +
            `respite ${Math.round(row.respiteOps)} ratio ${
              (row.respiteOps / row.redisOps).toFixed(2)
            }` +
            ` cpu µs/req ${row.redisCpu.toFixed(2)} / ${row.respiteCpu.toFixed(2)}` +
            ` (runs: redis ${got.Redis.map((r) => Math.round(r.rps / 1000))}k;` +
            ` respite ${got.Respite.map((r) => Math.round(r.rps / 1000))}k)`,
        );
      }
      tables.push({ pipeline, rows });
    }

    // A row that missed its target runs again once all have run (noise on
    // a shared machine moves single rows): its data-filling row first, as
    // the first pass had it just before.
    for (const table of o.rerun ? tables : []) {
      const pipeline = table.pipeline;
      for (const row of table.rows) {
        const slow = row.respiteOps < goalOf(row.id, pipeline) * row.redisOps;
        const costly = pipeline === 16 && CPU_ROWS.includes(row.id) &&
          row.respiteCpu > CPU_GOAL * row.redisCpu;
        if (!slow && !costly) continue;
        const test = tests.find((x) => x.id === row.id)!;
        const n = requests(o, test, pipeline);
        const before = test.after === undefined ? undefined : findTest(test.after);
        if (before) {
          const fill = benchArgs(o, before, pipeline, n * o.reps);
          for (const server of [redis, respite]) await runOnce(server, fill, before);
        }
        const again = await alternate(test, benchArgs(o, test, pipeline, n));
        const first = runsOf.get(`${pipeline} ${test.id}`)!;
        row.rerun = {
          again: figures(again),
          pooled: figures({
            Redis: [...first.Redis, ...again.Redis],
            Respite: [...first.Respite, ...again.Respite],
          }),
          cpuPairRatio: median(
            [first, again].flatMap((g) =>
              g.Respite.map((x, i) => x.cpuPerReq / g.Redis[i]!.cpuPerReq)
            ),
          ),
          pairRatio: median(
            [first, again].flatMap((g) => g.Respite.map((x, i) => x.rps / g.Redis[i]!.rps)),
          ),
        };
        console.log(
          `rerun -P ${pipeline} ${test.id.padEnd(12)} ratio ${
            (row.rerun.again.respiteOps / row.rerun.again.redisOps).toFixed(2)
          }; both passes ${row.rerun.pairRatio.toFixed(2)}` +
            ` (runs: redis ${again.Redis.map((r) => Math.round(r.rps / 1000))}k;` +
            ` respite ${again.Respite.map((r) => Math.round(r.rps / 1000))}k)`,
        );
      }
    }

    let floor: Report["floor"];
    if (o.floor) {
      console.log("floor: bench/io_floor.ts against redis-server ...");
      const f = await startIoFloor(freePort());
      servers.push(f);
      serverLines.push(f.commandLine);
      floor = { rows: [], workLevels: WORK_LEVELS };
      /** The floors with work per command, by ns, started when first needed. */
      const workers = new Map<number, BenchServer>();
      for (const pipeline of o.pipelines) {
        for (const test of tests) {
          const n = requests(o, test, pipeline);
          const args = benchArgs(o, test, pipeline, n);
          const runs = { redis: [] as RunResult[], floor: [] as RunResult[] };
          for (let rep = 0; rep < o.reps; rep++) {
            const order = rep % 2 === 0 ? [redis, f] : [f, redis];
            for (const server of order) {
              (server === f ? runs.floor : runs.redis).push(await runOnce(server, args, test));
            }
          }
          const row: FloorRow = {
            id: test.id,
            name: test.name,
            pipeline,
            requests: n,
            redisOps: median(runs.redis.map((r) => r.rps)),
            floorOps: median(runs.floor.map((r) => r.rps)),
            redisCpu: median(runs.redis.map((r) => r.cpuPerReq)),
            floorCpu: median(runs.floor.map((r) => r.cpuPerReq)),
            ownNs: await ownWorkOf(test, pipeline),
            perRequest: test.tool === "scripted"
              ? SCRIPTED_TESTS.find((x) => x.id === test.id)?.script.length ?? 1
              : 1,
            worked: [],
          };
          // The sweep: the same floor with work per command, climbing
          // until it misses the target (or the levels run out).
          const target = goalOf(test.id, pipeline) * row.redisOps;
          for (const ns of row.floorOps >= target ? WORK_LEVELS : []) {
            const w = workers.get(ns) ?? await startIoFloor(freePort(), ns);
            if (!workers.has(ns)) {
              workers.set(ns, w);
              servers.push(w);
              serverLines.push(w.commandLine);
            }
            const got: RunResult[] = [];
            for (let rep = 0; rep < o.reps; rep++) got.push(await runOnce(w, args, test));
            const ops = median(got.map((r) => r.rps));
            row.worked!.push({ ns, ops, cpu: median(got.map((r) => r.cpuPerReq)) });
            if (!(ops >= target)) break;
          }
          floor.rows.push(row);
          console.log(
            `floor -P ${pipeline} ${test.id.padEnd(12)} redis ${Math.round(row.redisOps)} floor ${
              Math.round(row.floorOps)
            } ratio ${(row.floorOps / row.redisOps).toFixed(2)} cpu µs/req ${
              row.redisCpu.toFixed(2)
            } / ${row.floorCpu.toFixed(2)}; own work ${row.ownNs ?? "-"} ns; with work ${
              row.worked!.map((x) => `${x.ns} ns ${Math.round(x.ops)}`).join(", ")
            }`,
          );
        }
      }
    }
    await stopAll();
    servers.length = 0;

    let mem: Report["memory"];
    if (o.memory) {
      console.log(`memory: filling ${o.keys} random keys ...`);
      const r2 = await startRedis(pickRedisPort());
      servers.push(r2);
      const redisMem = await measureMemory(r2, o);
      await stopAll();
      servers.length = 0;
      const s2 = (await bootRespite(o)).server;
      servers.push(s2);
      const respiteMem = await measureMemory(s2, o);
      await stopAll();
      servers.length = 0;
      // What any Deno server holds idle: a process that only listens.
      const f2 = await startIoFloor(freePort());
      servers.push(f2);
      await new Promise((r) => setTimeout(r, IDLE_WAIT_MS));
      const floorIdle = memory(f2.pid)?.rss ?? NaN;
      await stopAll();
      servers.length = 0;
      mem = { redis: redisMem, respite: respiteMem, floorIdleRss: floorIdle };
      commandLines.push(shownLine(t("set"), fillArgs(o)));
      console.log(
        `memory: redis ${(redisMem.rss / 2 ** 20).toFixed(1)} MiB (${redisMem.keys} keys), ` +
          `respite ${(respiteMem.rss / 2 ** 20).toFixed(1)} MiB (${respiteMem.keys} keys), ` +
          `ratio ${(respiteMem.rss / redisMem.rss).toFixed(2)}`,
      );
    }

    let persistence: Report["persistence"];
    if (o.persistence) {
      console.log(`persistence: ${o.keys} keys, ${o.reps} run(s) per server ...`);
      persistence = await measurePersistence({
        keys: o.keys,
        reps: o.reps,
        ...(o.entry === undefined ? {} : { entry: o.entry }),
      });
    }

    let replication: Report["replication"];
    if (o.replication) {
      console.log(`replication: ${o.replWrites} SETs, ${o.reps} run(s) per server ...`);
      const measure = () =>
        measureReplication({
          writes: o.replWrites,
          reps: o.reps,
          ...(o.entry === undefined ? {} : { entry: o.entry }),
        });
      replication = await measure();
      const { redis: rr, respite: rs } = replication;
      if (o.rerun && rs.writesPerSec < REPLICATION_GOAL * rr.writesPerSec) {
        console.log("replication: below its target; a second pass ...");
        replication = withRerun(replication, await measure());
      }
    }

    let bullmq: Report["bullmq"];
    if (o.bullmq) {
      console.log(`bullmq: ${o.bullmqJobs} jobs, ${o.reps} run(s) per server ...`);
      bullmq = await measureBullmq({
        jobs: o.bullmqJobs,
        reps: o.reps,
        ...(o.entry === undefined ? {} : { entry: o.entry }),
      });
    }

    let engines: Report["engines"];
    if (o.engines) {
      console.log("lua engines: the EVAL shape and two loops on each ...");
      try {
        engines = await measureEngines(o.quick ? 50_000 : 200_000, ROOT);
        for (const s of engines.samples) {
          console.log(
            `lua engines: ${s.engine}, Lua ${s.lua}: ${s.callUs.toFixed(2)} µs/call, ` +
              `loops ${s.arithMs.toFixed(0)} / ${s.stringsMs.toFixed(0)} ms`,
          );
        }
      } catch (e) {
        console.error(`  lua engines: ${e instanceof Error ? e.message : e}`);
      }
    }

    let cluster: Report["cluster"];
    if (o.cluster) {
      console.log(`cluster: 3 masters each, ${o.reps} run(s) per kind ...`);
      cluster = await measureCluster({ n1: o.n1, n16: o.n16, reps: o.reps, clients: o.clients });
    }

    const report: Report = {
      date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      machine: machineInfo(),
      respiteVersion: RESPITE_VERSION,
      commit: gitCommit(),
      options: {
        clients: o.clients,
        reps: o.reps,
        requests: Object.fromEntries(o.pipelines.map((p) => [p, nFor(p)])),
        flags: measuringFlags(Deno.args),
        fillKeys: o.keys,
      },
      serverLines,
      commandLines,
      tables,
      memory: mem,
      persistence,
      replication,
      bullmq,
      engines,
      cluster,
      floor,
      seconds: (performance.now() - started) / 1000,
      load: [loadBefore, loadAverage()],
    };
    if (o.json) {
      // Non-finite numbers (unmeasured) survive as strings; see loadReport.
      const replacer = (_: string, v: unknown) =>
        typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
      await Deno.writeTextFile(o.json, JSON.stringify(report, replacer, 1) + "\n");
      console.log(`wrote ${o.json}`);
    }
    await publish(report, o);
  } finally {
    await stopAll();
    if (fillFile !== undefined) Deno.removeSync(fillFile);
  }
}

/** The flags that change what is measured: not where the output goes. */
function measuringFlags(args: readonly string[]): string[] {
  const output = new Set(["--out", "--json"]);
  return args.filter((a, i) =>
    !output.has(a) && !output.has(args[i - 1] ?? "") && !/^--(out|json)=/.test(a)
  );
}

/** Reads a report saved with `--json`. */
async function loadReport(path: string): Promise<Report> {
  const special = new Set(["NaN", "Infinity", "-Infinity"]);
  return JSON.parse(
    await Deno.readTextFile(path),
    (_, v) => typeof v === "string" && special.has(v) ? Number(v) : v,
  ) as Report;
}

/** Writes the report where `--out` says and prints the targets. */
async function publish(report: Report, o: Options): Promise<void> {
  const md = await formatMarkdown(render(report));
  if (o.out === "-") console.log(md);
  else {
    await Deno.writeTextFile(o.out, md);
    console.log(`wrote ${o.out}`);
  }
  for (const t of checkTargets(report)) {
    const verdict = t.pass === undefined ? "not measured" : t.pass ? "pass" : "FAIL";
    console.log(`${verdict.padEnd(12)} ${t.label} (${t.actual?.toFixed(2) ?? "n/a"})`);
  }
}

if (import.meta.main) await main();
