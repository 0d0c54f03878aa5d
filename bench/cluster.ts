/**
 * The cluster benchmark: `redis-benchmark --cluster` against a 3-master
 * cluster of redis-server nodes and a 3-master local cluster of Respite
 * nodes (`main.ts --cluster-local 3 --cluster-replicas 0`, one process
 * each), on the same machine.
 *
 * For each kind and repetition: a fresh cluster (redis-server nodes formed
 * with `redis-cli --cluster create`, Respite's by `--cluster-local`), an
 * unmeasured warm-up, then SET and GET at -P 1 and -P 16 with
 * `redis-benchmark --cluster`, which spreads its keys over every slot and
 * sends each to its master. CPU µs/req is the three nodes' user+system CPU
 * time over the run divided by the requests. The median of the repetitions
 * is reported.
 *
 * Run on its own:
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write --allow-run --allow-env bench/cluster.ts [n1] [n16] [reps]
 * ```
 *
 * @module
 */

import { cpuMicros } from "./system.ts";
import { Conn, infoSection } from "./resp_client.ts";
import { quote, redisArgs, ROOT, tail } from "./servers.ts";

/** One measured test (SET or GET at one pipeline depth). */
export interface ClusterSample {
  test: "set" | "get";
  pipeline: number;
  requests: number;
  /** What redis-benchmark reported. */
  opsPerSec: number;
  /** The masters' CPU time per request, summed. */
  cpuUsPerReq: number;
}

/** What the cluster benchmark measured. */
export interface ClusterBenchResult {
  masters: number;
  reps: number;
  clients: number;
  /** Medians, in the order of {@link ClusterBenchResult.tests}. */
  redis: ClusterSample[];
  respite: ClusterSample[];
  tests: { test: "set" | "get"; pipeline: number; requests: number }[];
  /** The command lines, for the report. */
  commandLines: string[];
}

/** Options of {@link measureCluster}. */
export interface ClusterBenchOptions {
  /** Requests per run at -P 1 (default 100,000). */
  n1?: number;
  /** Requests per run at -P 16 (default 1,000,000). */
  n16?: number;
  /** Repetitions per kind (default 3). */
  reps?: number;
  /** redis-benchmark -c (default 50). */
  clients?: number;
  log?: (line: string) => void;
}

const MASTERS = 3;
const KEYSPACE = 100_000;
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A first port whose `n` ports and bus ports (+10000) are free, below the ephemeral range. */
function freeRange(n: number): number {
  for (let attempt = 0; attempt < 500; attempt++) {
    const base = 12000 + Math.floor(Math.random() * 9000);
    let ok = true;
    for (let p = base; p < base + n && ok; p++) {
      for (const q of [p, p + 10000]) {
        try {
          Deno.listen({ hostname: "127.0.0.1", port: q }).close();
        } catch {
          ok = false;
        }
      }
    }
    if (ok) return base;
  }
  throw new Error("no free range of ports");
}

/** A running cluster: its seed port, its masters' pids, and how to stop it. */
interface Cluster {
  seed: number;
  pids: number[];
  stop(): Promise<void>;
}

async function pidOf(port: number): Promise<number> {
  const c = await Conn.open(port);
  try {
    return Number((await infoSection(c, "server")).get("process_id"));
  } finally {
    c.close();
  }
}

async function answers(port: number): Promise<boolean> {
  try {
    const c = await Conn.open(port);
    try {
      return (await c.call("PING")) === "PONG";
    } finally {
      c.close();
    }
  } catch {
    return false;
  }
}

async function clusterOk(ports: number[]): Promise<boolean> {
  for (const p of ports) {
    try {
      const c = await Conn.open(p);
      try {
        if (!String(await c.call("CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
      } finally {
        c.close();
      }
    } catch {
      return false;
    }
  }
  return true;
}

async function waitFor(what: string, fn: () => Promise<boolean>, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!(await fn())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Three redis-server nodes formed with redis-cli --cluster create. */
async function redisCluster(): Promise<Cluster> {
  const base = freeRange(MASTERS);
  const ports = Array.from({ length: MASTERS }, (_, i) => base + i);
  const dirs: string[] = [];
  const children: Deno.ChildProcess[] = [];
  const stop = async () => {
    for (const c of children) {
      try {
        c.kill("SIGKILL");
      } catch { /* gone */ }
      await c.status;
    }
    for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
  };
  try {
    for (const p of ports) {
      const dir = await Deno.makeTempDir({ prefix: "respite-bench-cluster-redis-" });
      dirs.push(dir);
      const child = new Deno.Command("redis-server", {
        args: [...redisArgs(p), "--cluster-enabled", "yes", "--dir", dir],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      children.push(child);
    }
    for (const p of ports) await waitFor(`redis-server on ${p}`, () => answers(p), 30_000);
    const out = await new Deno.Command("redis-cli", {
      args: [
        "--cluster",
        "create",
        ...ports.map((p) => `127.0.0.1:${p}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`redis-cli --cluster create: ${dec.decode(out.stderr)}`);
    await waitFor("the redis-server cluster", () => clusterOk(ports), 60_000);
    return { seed: base, pids: await Promise.all(ports.map(pidOf)), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The arguments of Respite's local cluster (after `deno`). */
function respiteClusterArgs(base: number, dir: string): string[] {
  return [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    "--allow-run",
    "--no-code-cache",
    "--v8-flags=--max-semi-space-size=8",
    "main.ts",
    ...["--cluster-local", String(MASTERS), "--cluster-replicas", "0"],
    ...["--port", String(base), "--dir", dir, "--save", "", "--appendonly", "no"],
  ];
}

/** Respite's `--cluster-local 3 --cluster-replicas 0`. */
async function respiteCluster(): Promise<Cluster> {
  const base = freeRange(MASTERS);
  const ports = Array.from({ length: MASTERS }, (_, i) => base + i);
  const dir = await Deno.makeTempDir({ prefix: "respite-bench-cluster-respite-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: respiteClusterArgs(base, dir),
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = tail(child.stdout);
  const err = tail(child.stderr);
  let exited = false;
  child.status.then(() => exited = true);
  const stop = async () => {
    // The parent stops its nodes on SIGTERM.
    for (const [signal, wait] of [["SIGTERM", 15_000], ["SIGKILL", 5000]] as const) {
      if (exited) break;
      try {
        child.kill(signal);
      } catch { /* gone */ }
      await Promise.race([child.status, sleep(wait)]);
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitFor("Respite's local cluster", () => {
      if (exited) throw new Error(`--cluster-local exited:\n${out()}${err()}`);
      return Promise.resolve(out().includes("Cluster ready."));
    }, 90_000);
    return { seed: base, pids: await Promise.all(ports.map(pidOf)), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The redis-benchmark --cluster arguments of one test. */
function benchArgs(seed: string, test: string, pipeline: number, n: number, clients: number) {
  return [
    "--cluster",
    ...["-h", "127.0.0.1", "-p", seed, "-c", String(clients), "-n", String(n)],
    ...["-P", String(pipeline), "-r", String(KEYSPACE), "-t", test, "-q"],
  ];
}

/** Runs one redis-benchmark test; its requests per second and the masters' CPU. */
async function runTest(
  c: Cluster,
  test: "set" | "get",
  pipeline: number,
  n: number,
  clients: number,
): Promise<ClusterSample> {
  const cpu0 = c.pids.map((p) => cpuMicros(p) ?? NaN);
  const out = await new Deno.Command("redis-benchmark", {
    args: benchArgs(String(c.seed), test, pipeline, n, clients),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(600_000),
  }).output();
  const cpu1 = c.pids.map((p) => cpuMicros(p) ?? NaN);
  const text = dec.decode(out.stdout);
  const m = new RegExp(`^${test.toUpperCase()}: ([\\d.]+) requests per second`, "m").exec(text);
  if (!out.success || !m) {
    throw new Error(
      `redis-benchmark --cluster ${test}: ${text.slice(-300)}${dec.decode(out.stderr)}`,
    );
  }
  let cpu = 0;
  for (let i = 0; i < cpu0.length; i++) cpu += cpu1[i]! - cpu0[i]!;
  return { test, pipeline, requests: n, opsPerSec: Number(m[1]), cpuUsPerReq: cpu / n };
}

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Measures SET and GET through `redis-benchmark --cluster` on a 3-master
 * redis-server cluster and a 3-master Respite local cluster, alternating
 * which goes first. A failed run is logged and left out of the medians.
 */
export async function measureCluster(opts: ClusterBenchOptions = {}): Promise<ClusterBenchResult> {
  const n1 = opts.n1 ?? 100_000;
  const n16 = opts.n16 ?? 1_000_000;
  const reps = opts.reps ?? 3;
  const clients = opts.clients ?? 50;
  const log = opts.log ?? console.log;
  const tests = [
    { test: "set" as const, pipeline: 1, requests: n1 },
    { test: "get" as const, pipeline: 1, requests: n1 },
    { test: "set" as const, pipeline: 16, requests: n16 },
    { test: "get" as const, pipeline: 16, requests: n16 },
  ];
  const runs = {
    redis: tests.map(() => [] as ClusterSample[]),
    respite: tests.map(() => [] as ClusterSample[]),
  };
  const kinds = [["redis", redisCluster], ["respite", respiteCluster]] as const;
  for (let rep = 0; rep < reps; rep++) {
    for (const [kind, start] of rep % 2 === 0 ? kinds : [...kinds].reverse()) {
      let c: Cluster | undefined;
      try {
        c = await start();
        // Warm-up, unmeasured (V8 compiles Respite's hot paths).
        await runTest(c, "set", 16, Math.min(100_000, n16), clients);
        for (let i = 0; i < tests.length; i++) {
          const t = tests[i]!;
          const s = await runTest(c, t.test, t.pipeline, t.requests, clients);
          runs[kind][i]!.push(s);
          log(
            `cluster ${kind.padEnd(7)} ${t.test.toUpperCase()} -P ${t.pipeline}: ` +
              `${Math.round(s.opsPerSec)} req/s, ${s.cpuUsPerReq.toFixed(2)} CPU µs/req`,
          );
        }
      } catch (e) {
        console.error(`  cluster ${kind}: ${e instanceof Error ? e.message : e}`);
      } finally {
        await c?.stop();
      }
    }
  }
  const med = (kind: "redis" | "respite") =>
    tests.map((t, i) => ({
      ...t,
      opsPerSec: median(runs[kind][i]!.map((s) => s.opsPerSec)),
      cpuUsPerReq: median(runs[kind][i]!.map((s) => s.cpuUsPerReq)),
    }));
  return {
    masters: MASTERS,
    reps,
    clients,
    redis: med("redis"),
    respite: med("respite"),
    tests,
    commandLines: [
      `redis-server ${
        [...redisArgs(0), "--cluster-enabled", "yes"].map(quote).join(" ")
      } --dir <tmpdir>`.replace("--port 0", "--port <port>") + "  # three of them",
      "redis-cli --cluster create 127.0.0.1:<port1> 127.0.0.1:<port2> 127.0.0.1:<port3> " +
      "--cluster-replicas 0 --cluster-yes",
      `deno ${respiteClusterArgs(0, "<tmpdir>").map(quote).join(" ")}`.replace(
        "--port 0",
        "--port <port1>",
      ),
      ...tests.map((t) =>
        `redis-benchmark ${benchArgs("<port1>", t.test, t.pipeline, t.requests, clients).join(" ")}`
      ),
    ],
  };
}

/** The report's "Cluster" section. */
export function clusterSection(c: ClusterBenchResult): string[] {
  const int = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
  const us = (n: number) => Number.isFinite(n) ? n.toFixed(2) : "n/a";
  const ratio = (a: number, b: number) =>
    Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : "n/a";
  return [
    `## Cluster (${c.masters} masters, redis-benchmark --cluster)`,
    "",
    `A fresh ${c.masters}-master cluster per run: redis-server nodes formed with`,
    "`redis-cli --cluster create`, and Respite's local cluster (`deno task cluster`'s",
    `\`--cluster-local\`, ${c.masters} nodes and no replicas), every node its own process`,
    "without persistence. After an unmeasured warm-up, `redis-benchmark --cluster` sends each",
    `request to the master of its key's slot (${c.clients} clients, random keys out of`,
    `${int(KEYSPACE)}). CPU µs/req is the ${c.masters} masters' user+system CPU time during`,
    "the run divided by the requests; the nodes and redis-benchmark share the machine's cores,",
    `so this measures the cluster path (redirections never happen: the client knows the slots),`,
    `not scaling. ${c.reps} run(s) per kind, alternating which goes first; the table shows the`,
    "median.",
    "",
    "```sh",
    ...c.commandLines,
    "```",
    "",
    "| Test | Requests | Redis req/s | Respite req/s | Respite/Redis | Redis CPU µs/req | Respite CPU µs/req |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...c.tests.map((t, i) => {
      const r = c.redis[i]!, s = c.respite[i]!;
      return `| ${t.test.toUpperCase()} -P ${t.pipeline} | ${int(t.requests)} | ${
        int(r.opsPerSec)
      } | ${int(s.opsPerSec)} | ${ratio(s.opsPerSec, r.opsPerSec)} | ${us(r.cpuUsPerReq)} | ${
        us(s.cpuUsPerReq)
      } |`;
    }),
    "",
  ];
}

if (import.meta.main) {
  const n1 = Number(Deno.args[0] ?? 100_000);
  const n16 = Number(Deno.args[1] ?? 1_000_000);
  const reps = Number(Deno.args[2] ?? 3);
  const r = await measureCluster({ n1, n16, reps });
  console.log(clusterSection(r).join("\n"));
}
