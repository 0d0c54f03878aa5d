/**
 * Renders BENCHMARKS.md from the driver's measurements.
 *
 * @module
 */

import type { MachineInfo } from "./system.ts";
import type { PersistenceResult, PersistenceSample } from "./persistence.ts";
import type { ReplicationResult, ReplicationSample } from "./replication.ts";
import type { BullmqResult, BullmqSample } from "./bullmq.ts";
import { type ClusterBenchResult, clusterSection } from "./cluster.ts";
import type { EnginesResult } from "./lua_engines.ts";

/** The median of one test at one pipeline depth, both servers. */
export interface Row {
  /** The test's id (bench/tests.ts), which targets refer to. */
  id: string;
  name: string;
  /** Requests (or units) per run. */
  requests: number;
  /** What one counted operation is, when not one request (e.g. "transactions"). */
  unit?: string;
  /** What the reader should know about the row (bench/tests.ts). */
  note?: string;
  redisOps: number;
  respiteOps: number;
  /** CPU microseconds per request; NaN when /proc was not readable. */
  redisCpu: number;
  respiteCpu: number;
  /**
   * A row that missed its target in the tables' pass is run again after
   * every row has run (as many repetitions, alternating, its data-filling
   * row first): the medians of that second pass, of both passes together
   * (`pooled`), and `pairRatio`, the median over both passes of each
   * repetition's Respite/Redis (the two runs of a repetition ran back to
   * back, on the same machine state), which the targets are checked
   * against; `cpuPairRatio` likewise for CPU per request. A row of
   * {@link CPU_ROWS} over {@link CPU_GOAL} runs again too.
   */
  rerun?: { again: RowFigures; pooled: RowFigures; pairRatio: number; cpuPairRatio: number };
}

/** A row's medians: ops/s and CPU µs per request on each server. */
export interface RowFigures {
  redisOps: number;
  respiteOps: number;
  redisCpu: number;
  respiteCpu: number;
}

/** One row run against redis-server and bench/io_floor.ts. */
export interface FloorRow {
  id: string;
  name: string;
  /** The pipeline depth (older reports: 16). */
  pipeline?: number;
  requests: number;
  redisOps: number;
  floorOps: number;
  redisCpu: number;
  floorCpu: number;
  /** Respite's own CPU per command, ns (bench/pipeline_inprocess.ts); absent in older reports. */
  ownNs?: number | undefined;
  /**
   * The floor with a busy loop of `ns` per command (bench/io_floor.ts
   * `--work`), by rising `ns`, up to the first that misses the row's
   * target; absent in older reports.
   */
  worked?: { ns: number; ops: number; cpu: number }[] | undefined;
  /** Commands per request (a transaction's unit holds several); 1 when absent. */
  perRequest?: number | undefined;
}

/** RSS of one server, idle and after the fill. */
export interface MemorySample {
  idleRss: number;
  rss: number;
  peakRss: number;
  keys: number;
  fillOps: number;
  /** Mean MEMORY USAGE of sampled keys after the fill (absent in older reports). */
  usagePerKey?: number;
}

/** Everything the report shows. */
export interface Report {
  date: string;
  machine: MachineInfo;
  respiteVersion: string;
  commit: string;
  options: {
    clients: number;
    reps: number;
    requests: Record<number, number>;
    /** The command-line flags of the run (a partial run says so). */
    flags: string[];
    fillKeys: number;
  };
  serverLines: string[];
  commandLines: string[];
  tables: { pipeline: number; rows: Row[] }[];
  memory:
    | {
      redis: MemorySample;
      respite: MemorySample;
      /** VmRSS of bench/io_floor.ts, idle (absent in older reports). */
      floorIdleRss?: number | undefined;
    }
    | undefined;
  /** SAVE, BGSAVE and RDB load times (bench/persistence.ts), when measured. */
  persistence: PersistenceResult | undefined;
  /** Writes/s carried to one replica (bench/replication.ts), when measured. */
  replication: ReplicationResult | undefined;
  /** BullMQ's jobs added and processed per second (bench/bullmq.ts), when measured. */
  bullmq?: BullmqResult | undefined;
  /** SET and GET through redis-benchmark --cluster on 3 masters (bench/cluster.ts). */
  cluster?: ClusterBenchResult | undefined;
  /** The Lua engines on the EVAL row's shape (bench/lua_engines.ts), when measured. */
  engines?: EnginesResult | undefined;
  /** Rows against a Deno server that only answers +PONG (`--floor`). */
  floor?: { rows: FloorRow[]; workLevels?: number[] | undefined } | undefined;
  seconds: number;
  /** 1-minute load average before and after the run. */
  load: [string, string];
}

/** One target and whether it was met (undefined: not measured). */
export interface TargetResult {
  /** The issue that sets it. */
  issue: number;
  label: string;
  actual: number | undefined;
  /** How the report shows `actual`, when it is not a ratio. */
  shown?: string;
  pass: boolean | undefined;
}

const ratio = (a: number, b: number) => a / b;
const fmtInt = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
const fmtRatio = (n: number | undefined) =>
  n !== undefined && Number.isFinite(n) ? `${n.toFixed(2)}x` : "n/a";
const fmtCpu = (n: number) => Number.isFinite(n) ? n.toFixed(2) : "n/a";
const mib = (n: number) => Number.isFinite(n) ? `${(n / 2 ** 20).toFixed(1)} MiB` : "n/a";
const fmtMs = (n: number) =>
  !Number.isFinite(n) ? "n/a" : n < 10 ? `${n.toFixed(1)} ms` : `${fmtInt(n)} ms`;
/** 1000000 -> "1M", 200000 -> "200k". */
const fmtCount = (n: number) =>
  n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n % 1000 === 0 ? `${n / 1000}k` : fmtInt(n);

/** The longest pause a client may see during Respite's BGSAVE (issue 6: "a few tens of ms"). */
const BGSAVE_MAX_PING_MS = 50;

/** The issues whose targets the report checks, with their titles. */
export const ISSUES: readonly { issue: number; title: string }[] = [
  { issue: 2, title: "strings, keyspace and memory" },
  { issue: 3, title: "lists, hashes, sets, sorted sets" },
  { issue: 4, title: "streams" },
  { issue: 5, title: "transactions and pub/sub" },
  { issue: 6, title: "persistence" },
  { issue: 7, title: "replication" },
  { issue: 15, title: "scripts: BUSY state, sealed sandbox, faster EVAL" },
  { issue: 19, title: "Redis's speed per core at pipeline 16, and Redis's memory" },
];

/** Issue 19's -P 16 minimums that differ from its 0.8x for every row. */
const P16_GOALS: Readonly<Record<string, number>> = { SET: 0.9, GET: 0.9, MULTI_EXEC: 0.7 };
/** Issue 19's rows whose server CPU per request at -P 16 must stay within {@link CPU_GOAL} of Redis's. */
export const CPU_ROWS = ["SET", "GET", "INCR", "LPUSH", "HSET", "ZADD", "XADD"];
/** Issue 19's bound on Respite/Redis CPU per request for {@link CPU_ROWS}. */
export const CPU_GOAL = 1.3;
/** Issue 19's idle RSS ceiling, in bytes (40 MB). */
const IDLE_RSS_MAX = 40e6;

/** Minimum Respite/Redis ops/s ratios: [issue, pipeline, row id, minimum]. */
const RATIO_GOALS: readonly [number, number, string, number][] = [
  [2, 16, "SET", 0.5],
  [2, 16, "GET", 0.5],
  [2, 1, "SET", 0.8],
  [2, 1, "GET", 0.8],
  [3, 16, "LPUSH", 0.4],
  [3, 16, "LPOP", 0.4],
  [3, 16, "SADD", 0.4],
  [3, 16, "HSET", 0.4],
  [3, 16, "ZADD", 0.4],
  [3, 16, "LRANGE_100", 0.4],
  [4, 16, "XADD", 0.4],
  [15, 16, "EVAL", 0.5],
];

/** Rows that must be present (measured on both servers) with no ratio target. */
const PRESENT_GOALS: readonly [number, string][] = [
  [5, "PUBLISH"],
  [5, "MULTI_EXEC"],
];

const findRow = (r: Report, pipeline: number, id: string) =>
  r.tables.find((t) => t.pipeline === pipeline)?.rows.find((x) => x.id === id);

const measured = (row: Row | undefined) =>
  row !== undefined && Number.isFinite(row.redisOps) && Number.isFinite(row.respiteOps);

/** Checks the project's performance targets against the measurements. */
export function checkTargets(r: Report): TargetResult[] {
  const results: TargetResult[] = [];
  for (const [issue, pipeline, id, min] of RATIO_GOALS) {
    const row = findRow(r, pipeline, id);
    const actual = row ? ratio(row.respiteOps, row.redisOps) : undefined;
    results.push({
      issue,
      label: `${row?.name ?? id} at -P ${pipeline}: Respite/Redis ops/s >= ${min}x`,
      actual,
      pass: actual === undefined || !Number.isFinite(actual) ? undefined : actual >= min,
    });
  }
  const m = r.memory;
  const rss = m ? ratio(m.respite.rss, m.redis.rss) : undefined;
  results.push({
    issue: 2,
    label: `RSS after the ${fmtInt(r.options.fillKeys)}-key fill: Respite/Redis <= 2.5x`,
    actual: rss,
    pass: rss === undefined || !Number.isFinite(rss) ? undefined : rss <= 2.5,
  });
  for (const [issue, id] of PRESENT_GOALS) {
    const rows = r.tables.map((t) => findRow(r, t.pipeline, id));
    const name = rows.find((x) => x)?.name ?? id;
    const depths = r.tables.map((t) => `-P ${t.pipeline}`).join(" and ");
    const all = rows.length > 0 && rows.every(measured);
    results.push({
      issue,
      label: `${name} row measured at ${depths || "every depth"} (no ratio target)`,
      // The ratio at the deepest pipeline, for information.
      actual: all ? ratio(rows.at(-1)!.respiteOps, rows.at(-1)!.redisOps) : undefined,
      pass: rows.every((x) => x === undefined) ? undefined : all,
    });
  }
  const p = r.persistence;
  const keys = fmtInt(p?.keys ?? r.options.fillKeys);
  const both = (f: keyof PersistenceSample) =>
    p !== undefined && Number.isFinite(p.redis[f]) && Number.isFinite(p.respite[f]);
  const timed = both("loadMs") && both("bgsaveMs");
  results.push({
    issue: 6,
    label: `Load time of the ${keys}-key RDB and BGSAVE time measured on both servers ` +
      "(no ratio target; the ratio shown is load time)",
    actual: timed && p ? ratio(p.respite.loadMs, p.redis.loadMs) : undefined,
    pass: p === undefined ? undefined : timed,
  });
  // A pause limit holds for every run, not the median one.
  const ping = p ? worst(p.runs.respite, "maxPingMs") : undefined;
  results.push({
    issue: 6,
    label: `Longest PING round trip during Respite's BGSAVE of ${keys} keys, worst of ` +
      `${p?.reps ?? "the"} runs, <= ${BGSAVE_MAX_PING_MS} ms`,
    actual: ping,
    shown: fmtMs(ping ?? NaN),
    pass: ping === undefined || !Number.isFinite(ping) ? undefined : ping <= BGSAVE_MAX_PING_MS,
  });
  // Undefined too in reports saved (--json) before the replication benchmark existed.
  const rp = r.replication;
  const replicated = rp !== undefined && Number.isFinite(rp.redis.writesPerSec) &&
    Number.isFinite(rp.respite.writesPerSec);
  results.push({
    issue: 7,
    label: "Replication throughput (writes/s carried to one replica) measured on both servers " +
      "(no ratio target; the ratio shown is Respite/Redis writes/s)",
    actual: replicated ? ratio(rp.respite.writesPerSec, rp.redis.writesPerSec) : undefined,
    pass: rp === undefined ? undefined : replicated,
  });
  // Undefined too in reports saved (--json) before the BullMQ benchmark existed.
  const bq = r.bullmq;
  const bqBoth = (f: keyof BullmqSample) =>
    bq !== undefined && Number.isFinite(bq.redis[f]) && Number.isFinite(bq.respite[f]);
  results.push({
    issue: 15,
    label: "BullMQ jobs added/s and processed/s measured on both servers " +
      "(no ratio target; the ratio shown is Respite/Redis jobs processed/s)",
    actual: bq && bqBoth("processedPerSec")
      ? ratio(bq.respite.processedPerSec, bq.redis.processedPerSec)
      : undefined,
    pass: bq === undefined ? undefined : bqBoth("addedPerSec") && bqBoth("processedPerSec"),
  });
  results.push(...issue19(r));
  return results;
}

/** Issue 19's targets: every row's speed and CPU, memory, load and replication. */
function issue19(r: Report): TargetResult[] {
  const out: TargetResult[] = [];
  const floorOf = (id: string, pipeline: number, min: number) => {
    const f = r.floor?.rows.find((x) => x.id === id && (x.pipeline ?? 16) === pipeline);
    if (f === undefined) return "";
    const at = ratio(f.floorOps, f.redisOps);
    const own = f.ownNs !== undefined && Number.isFinite(f.ownNs)
      ? `, Respite's ${fmtInt(f.ownNs)} ns`
      : "";
    const allows = f.worked === undefined || at < min
      ? ""
      : `; own work it allows: ${allowedWork(f, min * f.redisOps)}${own}`;
    return `; the Deno floor on this row: ${fmtRatio(at)}${
      at < min ? ", below the target itself" : ""
    }${allows}`;
  };
  /** A target met when `ok(actual)`; unmeasured when `actual` is missing or NaN. */
  const goal = (
    label: string,
    actual: number | undefined,
    ok: (x: number) => boolean,
    shown?: string,
  ) =>
    out.push({
      issue: 19,
      label,
      actual,
      ...(shown === undefined ? {} : { shown }),
      pass: actual === undefined || !Number.isFinite(actual) ? undefined : ok(actual),
    });
  const atLeast = (label: string, actual: number | undefined, min: number, shown?: string) =>
    goal(label, actual, (x) => x >= min, shown);
  const atMost = (label: string, actual: number | undefined, max: number, shown?: string) =>
    goal(label, actual, (x) => x <= max, shown);
  for (const t of r.tables) {
    for (const row of t.rows) {
      const min = goalOf(row.id, t.pipeline);
      const first = ratio(row.respiteOps, row.redisOps);
      const rerun = row.rerun;
      // A rerun row is judged on both passes' runs together.
      const actual = rerun ? rerun.pairRatio : first;
      const floor = floorOf(row.id, t.pipeline, min);
      const shown = rerun
        ? `${fmtRatio(actual)} over both passes (first ${fmtRatio(first)}, rerun ${
          fmtRatio(ratio(rerun.again.respiteOps, rerun.again.redisOps))
        })${floor}`
        : floor === ""
        ? undefined
        : `${fmtRatio(first)}${floor}`;
      atLeast(`${row.name} at -P ${t.pipeline}: Respite/Redis >= ${min}x`, actual, min, shown);
    }
  }
  for (const id of CPU_ROWS) {
    const row = findRow(r, 16, id);
    const first = row ? ratio(row.respiteCpu, row.redisCpu) : undefined;
    const rerun = row?.rerun;
    atMost(
      `${row?.name ?? id} at -P 16: CPU per request <= ${CPU_GOAL}x Redis's`,
      rerun ? rerun.cpuPairRatio : first,
      CPU_GOAL,
      rerun
        ? `${fmtRatio(rerun.cpuPairRatio)} over both passes (first ${fmtRatio(first ?? NaN)})`
        : undefined,
    );
  }
  const m = r.memory;
  atMost(
    `RSS after the ${fmtInt(r.options.fillKeys)}-key fill <= 1.6x Redis's`,
    m ? ratio(m.respite.rss, m.redis.rss) : undefined,
    1.6,
  );
  goal(
    "MEMORY USAGE per key within 20% of the fill's RSS growth per key",
    m?.respite.usagePerKey === undefined ? undefined : usageRatio(m.respite),
    (x) => x >= 0.8 && x <= 1.2,
    m?.respite.usagePerKey === undefined
      ? undefined
      : `${usageShare(m.respite)} (${bytesPerKey(m.respite.usagePerKey)} against ${
        perKey(m.respite)
      })`,
  );
  const floorIdle = m?.floorIdleRss;
  atMost(
    "Idle RSS <= 40 MB",
    m?.respite.idleRss,
    IDLE_RSS_MAX,
    m
      ? `${(m.respite.idleRss / 1e6).toFixed(1)} MB` +
        (floorIdle === undefined || !Number.isFinite(floorIdle)
          ? ""
          : `; the Deno floor: ${(floorIdle / 1e6).toFixed(1)} MB${
            floorIdle > IDLE_RSS_MAX ? ", above the target itself" : ""
          }`)
      : undefined,
  );
  const p = r.persistence;
  atMost(
    `${fmtInt(p?.keys ?? r.options.fillKeys)}-key RDB load <= 1.5x Redis's time`,
    p ? ratio(p.respite.loadMs, p.redis.loadMs) : undefined,
    1.5,
  );
  const ping = p ? worst(p.runs.respite, "maxPingMs") : undefined;
  atMost(
    "Worst PING during the BGSAVE <= 10 ms",
    ping,
    10,
    ping === undefined ? undefined : fmtMs(ping),
  );
  const rp = r.replication;
  atLeast(
    `Replication writes/s carried to a replica >= ${REPLICATION_GOAL}x Redis's`,
    rp ? rp.pairRatio ?? ratio(rp.respite.writesPerSec, rp.redis.writesPerSec) : undefined,
    REPLICATION_GOAL,
    rp?.pairRatio === undefined || rp.firstPassRatio === undefined
      ? undefined
      : `${fmtRatio(rp.pairRatio)} over both passes (first ${fmtRatio(rp.firstPassRatio)})`,
  );
  return out;
}

/** Renders the report as Markdown. */
export function render(r: Report): string {
  const o = r.options;
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  const flags = o.flags.length ? ` (flags: \`${o.flags.join(" ")}\`)` : "";
  push(
    "# Benchmarks",
    "",
    `<!-- generated by \`deno task bench\` on ${r.date}; do not edit by hand -->`,
    "",
    `Generated by \`deno task bench\` on ${r.date}${flags} in ${Math.round(r.seconds)} s.`,
    "Respite " + r.respiteVersion + (r.commit ? ` at commit \`${r.commit}\`` : "") + ".",
    "",
    "## Machine",
    "",
    `- CPU: ${r.machine.cpu}, ${r.machine.cores} cores (shared by the load generator and the server)`,
    `- Memory: ${r.machine.memory}`,
    `- OS: ${r.machine.os}`,
    `- Deno: ${r.machine.deno}`,
    `- ${r.machine.redisServer}`,
    `- ${r.machine.redisBenchmark}`,
    "",
    "## Method",
    "",
    "Both servers run as separate processes on 127.0.0.1. Each test runs",
    `${o.reps} time(s) per server, alternating Redis and Respite (and which goes first)`,
    "so that both see the same machine state; the tables show the median. CPU µs/req is",
    "the server process's user+system CPU time (all threads, from `/proc/<pid>/stat`)",
    "during the run divided by the requests sent. Both servers get one warm-up pass",
    "of every test first (it lets V8 compile Respite's hot paths). The machine's",
    `1-minute load average was ${r.load[0]} before the run and ${r.load[1]} after it;`,
    "anything else running at the time shows up as noise in both columns.",
    "",
    "Both servers run with their defaults, `latency-tracking yes` (Redis 7.0's) among them:",
    "every command's duration goes into INFO latencystats, and for that Respite reads",
    "Deno's high-resolution clock, about 0.25 µs a read on this machine, around every",
    "command (once per sixteen for pipelined cheap ones; with `latency-tracking no` and",
    "`slowlog-log-slower-than -1` a pipelined GET costs about 15% less; see the README).",
    "",
    "Rows run in the order shown, against the same two servers, so a row sees the data",
    "earlier rows left (see the notes). The Requests column is the requests (or units)",
    "sent per run.",
    "",
    ...rowNotes(r),
    "Servers:",
    "",
    "```sh",
    ...r.serverLines,
    "```",
    "",
    "Load-generator command lines (`<port>` is the server's port):",
    "",
    "```sh",
    ...r.commandLines,
    "```",
    "",
  );
  for (const t of r.tables) {
    push(
      `## Throughput at -P ${t.pipeline} (-c ${o.clients})`,
      "",
      "| Test | Requests | Redis ops/s | Respite ops/s | Respite/Redis | Redis CPU µs/req | Respite CPU µs/req | CPU ratio |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const row of t.rows) {
      push(
        `| ${row.name} | ${fmtInt(row.requests)} | ${fmtInt(row.redisOps)} | ${
          fmtInt(row.respiteOps)
        } | ${fmtRatio(ratio(row.respiteOps, row.redisOps))} | ${fmtCpu(row.redisCpu)} | ${
          fmtCpu(row.respiteCpu)
        } | ${fmtRatio(ratio(row.respiteCpu, row.redisCpu))} |`,
      );
    }
    push("");
  }
  push(...rerunSection(r));
  const m = r.memory;
  if (m) {
    push(
      `## Memory after filling ${fmtInt(o.fillKeys)} random keys of 16-byte values`,
      "",
      "Fresh servers; `redis-benchmark -t set -r N -n N -d 16 -P 16`; VmRSS and VmHWM from",
      "`/proc/<pid>/status`, keys from DBSIZE (random keys repeat, so fewer than N exist). The",
      "idle reading is taken four seconds after the server answers, as bench/idle_rss.ts does.",
      "",
      "| | Redis | Respite | Respite/Redis |",
      "| --- | ---: | ---: | ---: |",
      `| Keys (DBSIZE) | ${fmtInt(m.redis.keys)} | ${fmtInt(m.respite.keys)} | |`,
      `| RSS idle, before the fill | ${mib(m.redis.idleRss)} | ${mib(m.respite.idleRss)} | ${
        fmtRatio(ratio(m.respite.idleRss, m.redis.idleRss))
      } |`,
      `| RSS after the fill | ${mib(m.redis.rss)} | ${mib(m.respite.rss)} | ${
        fmtRatio(ratio(m.respite.rss, m.redis.rss))
      } |`,
      `| Peak RSS | ${mib(m.redis.peakRss)} | ${mib(m.respite.peakRss)} | ${
        fmtRatio(ratio(m.respite.peakRss, m.redis.peakRss))
      } |`,
      `| RSS growth per key | ${perKey(m.redis)} | ${perKey(m.respite)} | ${
        fmtRatio(
          ratio(
            (m.respite.rss - m.respite.idleRss) / m.respite.keys,
            (m.redis.rss - m.redis.idleRss) / m.redis.keys,
          ),
        )
      } |`,
      `| Fill ops/s (SET -P 16) | ${fmtInt(m.redis.fillOps)} | ${fmtInt(m.respite.fillOps)} | ${
        fmtRatio(ratio(m.respite.fillOps, m.redis.fillOps))
      } |`,
      ...(m.respite.usagePerKey === undefined ? [] : [
        `| MEMORY USAGE per key (mean of ${USAGE_SAMPLES} RANDOMKEYs) | ${
          bytesPerKey(m.redis.usagePerKey)
        } | ${bytesPerKey(m.respite.usagePerKey)} | ${
          fmtRatio(ratio(m.respite.usagePerKey, m.redis.usagePerKey ?? NaN))
        } |`,
        `| MEMORY USAGE / RSS growth per key | ${usageShare(m.redis)} | ${
          usageShare(m.respite)
        } | |`,
      ]),
      "",
    );
    if (m.floorIdleRss !== undefined) {
      push(
        `The Deno floor idle: bench/io_floor.ts (a Deno process that only answers +PONG, see ` +
          `below), started the same way and read after the same wait, having answered the ` +
          `same readiness PING as each server above, holds ${mib(m.floorIdleRss)} ` +
          `(${(m.floorIdleRss / 1e6).toFixed(1)} MB) with no server code: the ` +
          "`deno` binary's pages that ran or were read, V8's heap and Deno's runtime, and what " +
          "serving a first connection sets up. bench/idle_rss.ts splits both figures by " +
          "mapping, before and after a first PING (bench/PROFILE.md).",
        "",
      );
    }
  }
  if (r.floor) push(...floorSection(r));
  if (r.persistence) push(...persistenceSection(r.persistence));
  if (r.replication) push(...replicationSection(r.replication));
  if (r.bullmq) push(...bullmqSection(r.bullmq));
  if (r.cluster) push(...clusterSection(r.cluster));
  if (r.engines) push(...enginesSection(r.engines));
  push(
    "## Targets",
    "",
    "Each open issue's targets, checked against the tables above (Respite/Redis is the",
    "ratio of the medians).",
    "",
  );
  const results = checkTargets(r);
  for (const { issue, title } of ISSUES) {
    push(`### Issue ${issue}: ${title}`, "");
    for (const t of results.filter((x) => x.issue === issue)) {
      const verdict = t.pass === undefined ? "not measured" : t.pass ? "**pass**" : "**FAIL**";
      push(`- ${t.label}: ${t.shown ?? fmtRatio(t.actual)} — ${verdict}`);
    }
    push("");
  }
  push("");
  return lines.join("\n");
}

/** Issue 19's minimum Respite/Redis ratio for a row at a depth. */
/** Issue 19's replication target: Respite/Redis writes/s carried to a replica. */
export const REPLICATION_GOAL = 0.8;

export function goalOf(id: string, pipeline: number): number {
  return pipeline === 1 ? 1 : P16_GOALS[id] ?? 0.8;
}

/** The rows that missed their target and ran again, with both passes. */
function rerunSection(r: Report): string[] {
  const rows = r.tables.flatMap((t) =>
    t.rows.filter((x) => x.rerun !== undefined).map((x) => ({ row: x, pipeline: t.pipeline }))
  );
  if (rows.length === 0) return [];
  const reps = r.options.reps;
  const out = [
    "## Rows run again",
    "",
    "A row below its target in the tables above (its ops/s, or its CPU per request where that",
    "has a bound) ran again once every row had run: as many",
    `repetitions (${reps} per server), alternating the same way, against the same two servers,`,
    "its data-filling row (see the notes) run unmeasured first. The targets are checked",
    `against "Both passes": the median of the ${reps * 2} repetitions' ratios (each one's Redis`,
    "and Respite runs ran back to back, so a slow stretch of the machine slows both; the",
    "medians of each server's runs apart can pair a slow stretch with a quick one), and so",
    "is the CPU ratio. The ops/s columns are each server's medians over both passes; the",
    "tables above keep the first pass.",
    "",
    "| Test | First pass | Rerun | Both passes | Redis ops/s (both) | Respite ops/s (both) | CPU ratio (both) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const { row, pipeline } of rows) {
    const { again, pooled, pairRatio, cpuPairRatio } = row.rerun!;
    out.push(
      `| ${row.name} -P ${pipeline} | ${fmtRatio(ratio(row.respiteOps, row.redisOps))} | ${
        fmtRatio(ratio(again.respiteOps, again.redisOps))
      } | ${fmtRatio(pairRatio)} | ${fmtInt(pooled.redisOps)} | ${fmtInt(pooled.respiteOps)} | ${
        fmtRatio(cpuPairRatio)
      } |`,
    );
  }
  out.push("");
  return out;
}

/** The floor table: what a Deno server that does nothing gets, next to Respite. */
function floorSection(r: Report): string[] {
  const out = [
    "## The Deno floor",
    "",
    "bench/io_floor.ts is a Deno server that reads each connection into a reused buffer",
    "(`Deno.Conn.read`), answers every command with `+PONG` without parsing it, and writes",
    "once per read, as Respite's connection loop does. Run with the same redis-benchmark",
    "command lines as the throughput tables, alternating with redis-server, it shows what",
    "Deno's sockets alone cost: Floor/Redis is the best Respite/Redis ratio any Deno server",
    "can reach on that row, and Respite/Floor how much of it Respite reaches. The Respite",
    "columns are the throughput tables'.",
    "",
    "| Test | Redis ops/s | Floor ops/s | Floor/Redis | Respite/Redis | Respite/Floor | Redis CPU µs/req | Floor CPU µs/req | Respite CPU µs/req |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const budget: string[] = [];
  const sweep: string[] = [];
  const levels = r.floor!.workLevels ?? [];
  for (const f of r.floor!.rows) {
    const p = f.pipeline ?? 16;
    const row = findRow(r, p, f.id);
    out.push(
      `| ${f.name} -P ${p} | ${fmtInt(f.redisOps)} | ${fmtInt(f.floorOps)} | ${
        fmtRatio(ratio(f.floorOps, f.redisOps))
      } | ${fmtRatio(row ? ratio(row.respiteOps, row.redisOps) : NaN)} | ${
        fmtRatio(row ? ratio(row.respiteOps, f.floorOps) : NaN)
      } | ${fmtCpu(f.redisCpu)} | ${fmtCpu(f.floorCpu)} | ${fmtCpu(row?.respiteCpu ?? NaN)} |`,
    );
    const goal = goalOf(f.id, p);
    const own = f.ownNs !== undefined && Number.isFinite(f.ownNs) ? `${fmtInt(f.ownNs)} ns` : "n/a";
    if (f.worked !== undefined) {
      const cells = levels.map((ns) => {
        const w = f.worked!.find((x) => x.ns === ns);
        return w === undefined ? "" : `${fmtInt(w.ops)} (${fmtCpu(w.cpu)})`;
      });
      sweep.push(
        `| ${f.name} -P ${p} | ${goal}x | ${fmtInt(goal * f.redisOps)} | ${fmtInt(f.floorOps)} (${
          fmtCpu(f.floorCpu)
        }) | ${cells.join(" | ")} | ${allowedWork(f, goal * f.redisOps)} | ${own} | ${
          fmtRatio(row ? ratio(row.respiteOps, row.redisOps) : NaN)
        } |`,
      );
      continue;
    }
    if (row === undefined || f.ownNs === undefined) continue;
    // Older reports: the server is CPU-bound on these rows: its ops/s
    // times its CPU per request is the share of a core it gets. At that
    // share, the target's ops/s allow this much CPU per request; less the
    // floor's is what is left for Respite's own work.
    const share = row.respiteOps * row.respiteCpu;
    const allowed = share / (goal * row.redisOps);
    budget.push(
      `| ${f.name} -P ${p} | ${goal}x | ${fmtCpu(allowed)} | ${fmtCpu(f.floorCpu)} | ${
        fmtInt((allowed - f.floorCpu) * 1000)
      } ns | ${own} | ${fmtCpu(row.respiteCpu)} |`,
    );
  }
  out.push("");
  if (sweep.length !== 0) {
    out.push(
      "What the targets leave for Respite's own work, measured. The same floor, started with",
      "`--work <ns>`, spins that many nanoseconds per command (a dependent chain of arithmetic,",
      "calibrated against the clock at its start on an idle core) before it replies: a Deno",
      "server whose own work costs exactly that. Each row climbs the levels until the floor",
      "falls below the row's target (ops/s, with CPU µs per request in brackets). The work the",
      "target allows is where the floor crosses it (interpolated in time per request), per",
      "request (a transaction's unit is several commands, each given the work). Respite's own",
      "work is what bench/pipeline_inprocess.ts measures on an idle core, the same unit (the",
      "quickest of three rounds): the connection loop fed from memory, no kernel. A target is",
      "within a Deno server's reach only with own work below what it allows; the spin",
      "touches no memory and allocates",
      "nothing, so real work of the same length fares worse (a cache miss, a collection).",
      "Own work costs more than its length under load: the client that waits for a slower",
      "server has to be woken by more of its writes (the floor's system time per request",
      "grows with the work), and the two processes share the machine's cores.",
      "",
      `| Row | Target | Target ops/s | Floor ops/s (CPU µs/req) | ${
        levels.map((ns) => `With ${fmtInt(ns)} ns`).join(" | ")
      } | Own work the target allows | Respite's own work (in-process) | Respite/Redis |`,
      `| --- | ---: | ---: | ---: | ${levels.map(() => "---:").join(" | ")} | ---: | ---: | ---: |`,
      ...sweep,
      "",
    );
  }
  if (budget.length !== 0) {
    out.push(
      "What the targets leave for Respite's own work. The server is CPU-bound on these rows:",
      "its ops/s times its CPU per request is the share of a core it gets; at that share the",
      "target's ops/s allow the CPU per request shown, and less the floor's CPU per request",
      "(Deno's sockets, measured above) is what would be left for parsing, dispatch, the",
      "keyspace and the reply. Respite's own work per command is measured without the kernel",
      "by bench/pipeline_inprocess.ts (the connection loop fed from memory, the same",
      "commands). Where the room left is below that, or below zero, the target needs a",
      "server faster than the measured floor allows.",
      "",
      "| Row | Target | CPU µs/req the target allows | Floor CPU µs/req | Left for own work | Respite's own work (in-process) | Respite CPU µs/req |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
      ...budget,
      "",
    );
  }
  return out;
}

/**
 * The own work per request a target allows, from a row's sweep: where the
 * floor's ops/s cross `target`, interpolated linearly in time per request
 * between the levels around it.
 */
function allowedWork(f: FloorRow, target: number): string {
  const per = f.perRequest ?? 1;
  const points = [{ ns: 0, ops: f.floorOps }, ...(f.worked ?? [])];
  if (!(points[0]!.ops >= target)) return "none (the floor misses it)";
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!;
    if (b.ops >= target) continue;
    const at = a.ns + (b.ns - a.ns) * (1 / target - 1 / a.ops) / (1 / b.ops - 1 / a.ops);
    return `${fmtInt(at * per)} ns`;
  }
  return `over ${fmtInt(points[points.length - 1]!.ns * per)} ns`;
}

/** The notes of the rows in the report, once each, as a Markdown list. */
function rowNotes(r: Report): string[] {
  const seen = new Map<string, string>();
  for (const t of r.tables) {
    for (const row of t.rows) if (row.note && !seen.has(row.name)) seen.set(row.name, row.note);
  }
  if (seen.size === 0) return [];
  return ["Notes on the rows:", "", ...[...seen].map(([name, note]) => `- ${name}: ${note}`), ""];
}

function perKey(s: MemorySample): string {
  const b = (s.rss - s.idleRss) / s.keys;
  return Number.isFinite(b) ? `${Math.round(b)} B` : "n/a";
}

/** Keys whose MEMORY USAGE the bench averages after the fill. */
export const USAGE_SAMPLES = 1000;

/** A byte count per key, or n/a. */
function bytesPerKey(b: number | undefined): string {
  return b !== undefined && Number.isFinite(b) ? `${Math.round(b)} B` : "n/a";
}

/** MEMORY USAGE per key over the fill's RSS growth per key. */
function usageRatio(s: MemorySample): number {
  return (s.usagePerKey ?? NaN) / ((s.rss - s.idleRss) / s.keys);
}

/** {@link usageRatio} as shown. */
function usageShare(s: MemorySample): string {
  const r = usageRatio(s);
  return Number.isFinite(r) ? fmtRatio(r) : "n/a";
}

/** The largest value of a field over the runs (NaN when none measured it). */
function worst(runs: readonly PersistenceSample[], f: keyof PersistenceSample): number {
  const xs = runs.map((r) => r[f]).filter(Number.isFinite);
  return xs.length ? Math.max(...xs) : NaN;
}

/** The "Persistence" section: method, command lines and the table. */
function persistenceSection(p: PersistenceResult): string[] {
  const row = (label: string, f: keyof PersistenceSample, fmt: (n: number) => string) =>
    `| ${label} | ${fmt(p.redis[f])} | ${fmt(p.respite[f])} | ${
      fmtRatio(ratio(p.respite[f], p.redis[f]))
    } |`;
  return [
    `## Persistence (${fmtCount(p.keys)} keys)`,
    "",
    `\`DEBUG POPULATE ${p.keys}\` keys (\`key:N\` = \`value:N\`) on a fresh server with an empty`,
    "temporary `--dir`, then SAVE (wall clock from sending it to `+OK`), then BGSAVE (from",
    "sending it until INFO persistence shows `rdb_bgsave_in_progress:0`, `rdb_saves` grown",
    "and `rdb_last_bgsave_status:ok`; meanwhile a second connection sends PING, waits 1 ms",
    "and repeats, and the slowest round trip is shown), then `SHUTDOWN NOSAVE` and a new",
    "process with the same command line on the same directory. Start-up is the time from",
    "spawning the process until it answers PING (Redis answers `-LOADING` while it loads)",
    "and INFO persistence shows `loading:0`, polled every 2 ms; the load time is the",
    "start-up on the dump minus the start-up on the empty directory at the beginning of the",
    `same run (Deno's own start-up is in the latter). ${p.reps} run(s) per server,`,
    "alternating which goes first; the table shows the median of each line.",
    "",
    "```sh",
    ...p.serverLines,
    ...p.commandLines,
    "```",
    "",
    "| | Redis | Respite | Respite/Redis |",
    "| --- | ---: | ---: | ---: |",
    row("SAVE", "saveMs", fmtMs),
    row("BGSAVE", "bgsaveMs", fmtMs),
    row("Longest PING during BGSAVE (median run)", "maxPingMs", fmtMs),
    `| Longest PING during BGSAVE (worst run) | ${fmtMs(worst(p.runs.redis, "maxPingMs"))} | ${
      fmtMs(worst(p.runs.respite, "maxPingMs"))
    } | ${fmtRatio(ratio(worst(p.runs.respite, "maxPingMs"), worst(p.runs.redis, "maxPingMs")))} |`,
    row("Load (start-up on the dump minus empty start-up)", "loadMs", fmtMs),
    row("Start-up on the dump", "startLoadedMs", fmtMs),
    row("Start-up on an empty directory", "startEmptyMs", fmtMs),
    row("dump.rdb size", "fileBytes", mib),
    "",
  ];
}

/** The "Replication" section: method, command lines and the table. */
function replicationSection(p: ReplicationResult): string[] {
  const row = (label: string, f: keyof ReplicationSample, fmt: (n: number) => string) =>
    `| ${label} | ${fmt(p.redis[f])} | ${fmt(p.respite[f])} | ${
      fmtRatio(ratio(p.respite[f], p.redis[f]))
    } |`;
  const runs = (xs: readonly ReplicationSample[]) =>
    xs.map((x) => Number.isFinite(x.writesPerSec) ? fmtInt(x.writesPerSec) : "failed").join(", ");
  const bytes = (n: number) => Number.isFinite(n) ? `${fmtInt(n)} B` : "n/a";
  return [
    "## Replication (writes/s to one replica)",
    "",
    "Each pair is a fresh master and a fresh replica of the same kind (redis-server ->",
    "redis-server, Respite -> Respite), each its own process with an empty temporary `--dir`",
    "and no persistence, the replica started with `--replicaof`. Once the replica's INFO",
    "replication shows `master_link_status:up` and `slave_repl_offset` equal to the master's",
    "`master_repl_offset`, an unmeasured warm-up load and FLUSHALL run and the replica is",
    `waited on again. Then ${fmtInt(p.writes)} pipelined SETs go to the master with`,
    "redis-benchmark. The clock starts at the first write (DBSIZE on the master, polled back",
    "to back from the moment redis-benchmark is spawned, is no longer 0) and stops when, after",
    "redis-benchmark has exited, the replica's `slave_repl_offset` equals the master's",
    "`master_repl_offset` (both polled every 1 ms). Writes/s is the SETs sent divided by that",
    "time; the master, the replica and redis-benchmark share the machine's cores. A run",
    "counts only if the replica's DEBUG DIGEST then equals the master's.",
    `${p.reps} run(s) per pair, alternating which goes first; the table shows the median of`,
    "each line.",
    ...(p.firstPassRatio === undefined ? [] : [
      `The first ${p.reps / 2} run(s) per pair came to ${fmtRatio(p.firstPassRatio)}, below the`,
      "target, so a second pass as long ran after them; the table covers both, and the target",
      `is checked against the median of the ${p.reps} repetitions' own ratios: ${
        fmtRatio(p.pairRatio ?? NaN)
      }.`,
    ]),
    "",
    "```sh",
    ...p.serverLines,
    ...p.commandLines,
    "```",
    "",
    "| | Redis | Respite | Respite/Redis |",
    "| --- | ---: | ---: | ---: |",
    row("Writes/s carried to the replica", "writesPerSec", fmtInt),
    row("First write to replica caught up", "ms", fmtMs),
    row("First write to redis-benchmark done", "loadMs", fmtMs),
    // A ratio of two lags, often 0, says nothing.
    `| Replica behind when redis-benchmark was done | ${bytes(p.redis.lagBytes)} | ${
      bytes(p.respite.lagBytes)
    } | |`,
    row("Replication stream carried", "streamBytes", mib),
    `| Writes/s of each run | ${runs(p.runs.redis)} | ${runs(p.runs.respite)} | |`,
    "",
  ];
}

/** The "BullMQ" section: method, command lines and the table. */
function bullmqSection(b: BullmqResult): string[] {
  const row = (label: string, f: keyof BullmqSample) =>
    `| ${label} | ${fmtInt(b.redis[f])} | ${fmtInt(b.respite[f])} | ${
      fmtRatio(ratio(b.respite[f], b.redis[f]))
    } |`;
  const runs = (xs: readonly BullmqSample[], f: keyof BullmqSample) =>
    xs.map((x) => Number.isFinite(x[f]) ? fmtInt(x[f]) : "failed").join(", ");
  return [
    `## BullMQ (${fmtCount(b.jobs)} jobs)`,
    "",
    `BullMQ ${b.version} (\`npm:bullmq\`, with ioredis, given a plain \`{host, port}\``,
    "connection), where every change of a job's state is a Lua script (EVALSHA). Per run, a",
    "fresh server with no persistence and bench/bullmq_load.ts as its own Deno process on the",
    "same machine: an unmeasured warm-up on another queue (a fifth of the jobs), then",
    `${fmtInt(b.jobs)} jobs added to a new queue with 50 \`Queue.add\` calls in flight (jobs`,
    "added/s: the jobs divided by the time until the last add was acknowledged), then one",
    "Worker of concurrency 50 with a processor that returns at once (jobs processed/s: the",
    "jobs divided by the time from starting the worker until the last job completed). The",
    "load generator competes with the server for the machine's cores.",
    `${b.reps} run(s) per server, alternating which goes first; the table shows the median.`,
    "",
    "```sh",
    ...b.serverLines,
    ...b.commandLines,
    "```",
    "",
    "| | Redis | Respite | Respite/Redis |",
    "| --- | ---: | ---: | ---: |",
    row("Jobs added/s", "addedPerSec"),
    row("Jobs processed/s", "processedPerSec"),
    `| Jobs added/s of each run | ${runs(b.runs.redis, "addedPerSec")} | ${
      runs(b.runs.respite, "addedPerSec")
    } | |`,
    `| Jobs processed/s of each run | ${runs(b.runs.redis, "processedPerSec")} | ${
      runs(b.runs.respite, "processedPerSec")
    } | |`,
    "",
  ];
}

/** The "Lua engines" section: what another engine would change, measured. */
function enginesSection(e: EnginesResult): string[] {
  const num = (n: number, digits: number) => Number.isFinite(n) ? n.toFixed(digits) : "n/a";
  return [
    "## Lua engines",
    "",
    "Respite runs scripts on fengari (Lua 5.3 written in JavaScript, made to behave as Redis's",
    "Lua 5.1), vendored with patches that make calls allocate less (tools/vendor_fengari.sh",
    "lists them). The Lua engines available on npm, on the EVAL row's script shape and on two",
    "loops of plain Lua, in one Deno process (bench/lua_engines.ts; CPU time, best of three",
    "rounds after a warm-up). The shape: `return(f(KEYS[1]))` with `f` a JavaScript function",
    "that reads its string argument and increments a counter (standing in for `redis.call`),",
    `KEYS a new one-element table each call, ${fmtInt(e.calls)} calls per round. The loops:`,
    "`s = s + i % 7` three million times, and `t[#t + 1] = tostring(i) .. 'x'` 100,000",
    "times. fengari is driven as Respite drives it; wasmoon through the raw exports of its",
    "Emscripten module (strings copied into its memory); lua-wasm-bindings, the only build",
    "of Redis's Lua 5.1.5, exposes no way to register a JavaScript function, so it runs the",
    "loops only. Lua 5.4 differs from Redis's 5.1 in what scripts see (64-bit integers beside",
    "floats, integer division and bitwise operators, no `setfenv`/`getfenv` or `unpack`, a",
    "different standard library), as fengari's 5.3 does; Respite closes that gap for fengari",
    "in plugins/scripting/_lua51.ts, and a switch would mean doing it again.",
    "",
    "```sh",
    e.commandLine,
    "```",
    "",
    "| Engine | Lua | µs per call of the shape | Arithmetic loop (ms) | Strings loop (ms) |",
    "| --- | --- | ---: | ---: | ---: |",
    ...e.samples.map((s) =>
      `| ${s.engine} | ${s.lua} | ${num(s.callUs, 2)} | ${num(s.arithMs, 0)} | ${
        num(s.stringsMs, 0)
      } |`
    ),
    "",
  ];
}
