/**
 * The benchmark report (bench/report.ts): the BullMQ section and the EVAL
 * and BullMQ targets, rendered from measurements made up for the test.
 *
 * @module
 */

import { checkTargets, render, type Report, type Row } from "../bench/report.ts";
import type { BullmqResult } from "../bench/bullmq.ts";
import { type ReplicationResult, type ReplicationSample, withRerun } from "../bench/replication.ts";
import { assertEquals, assertMatch, assertOk } from "./_assert.ts";

function report(bullmq: BullmqResult | undefined, evalRatio: number): Report {
  return {
    date: "2026-01-01T00:00:00Z",
    machine: {
      cpu: "cpu",
      cores: 2,
      memory: "1 GiB",
      os: "os",
      deno: "deno",
      redisServer: "Redis server",
      redisBenchmark: "redis-benchmark",
    },
    respiteVersion: "0.0.0",
    commit: "",
    options: { clients: 50, reps: 1, requests: { 16: 1000 }, flags: [], fillKeys: 10 },
    serverLines: [],
    commandLines: [],
    tables: [{
      pipeline: 16,
      rows: [{
        id: "EVAL",
        name: "EVAL",
        requests: 1000,
        redisOps: 600_000,
        respiteOps: 600_000 * evalRatio,
        redisCpu: 1.5,
        respiteCpu: 3,
      }],
    }],
    memory: undefined,
    persistence: undefined,
    replication: undefined,
    bullmq,
    seconds: 1,
    load: ["0", "0"],
  };
}

/** A throughput row at -P 16 (Redis at `redisOps`, CPU µs per request as given). */
function row(
  id: string,
  redisOps: number,
  respiteOps: number,
  redisCpu: number,
  respiteCpu: number,
): Row {
  return { id, name: id, requests: 1000, redisOps, respiteOps, redisCpu, respiteCpu };
}

const BULLMQ: BullmqResult = {
  jobs: 5000,
  reps: 2,
  version: "6.7.0",
  redis: { addedPerSec: 20_000, processedPerSec: 10_000 },
  respite: { addedPerSec: 5_000, processedPerSec: 4_000 },
  runs: {
    redis: [{ addedPerSec: 20_000, processedPerSec: 10_000 }, {
      addedPerSec: 20_000,
      processedPerSec: 10_000,
    }],
    respite: [{ addedPerSec: 5_000, processedPerSec: 4_000 }, {
      addedPerSec: NaN,
      processedPerSec: NaN,
    }],
  },
  serverLines: ["redis-server --port <port>"],
  commandLines: ["deno run bench/bullmq_load.ts -p <port> -n 5000"],
};

Deno.test("bench report: the BullMQ section shows both servers' jobs/s and their ratio", () => {
  const md = render(report(BULLMQ, 0.6));
  assertMatch(md, /## BullMQ \(5k jobs\)/);
  assertMatch(md, /BullMQ 6\.7\.0/);
  assertMatch(md, /\| Jobs added\/s \| 20,000 \| 5,000 \| 0\.25x \|/);
  assertMatch(md, /\| Jobs processed\/s \| 10,000 \| 4,000 \| 0\.40x \|/);
  assertMatch(md, /\| Jobs processed\/s of each run \| 10,000, 10,000 \| 4,000, failed \| \|/);
  assertMatch(md, /deno run bench\/bullmq_load\.ts -p <port> -n 5000/);
});

Deno.test("bench report: the Lua engines section shows each engine's figures", () => {
  const r = report(undefined, 0.6);
  r.engines = {
    calls: 1000,
    commandLine: "deno run bench/lua_engines.ts 1000",
    samples: [
      { engine: "fengari 0.1.5", lua: "5.3", callUs: 1.234, arithMs: 150.4, stringsMs: 600 },
      { engine: "other", lua: "5.1.5", callUs: NaN, arithMs: 25, stringsMs: 47 },
    ],
  };
  const md = render(r);
  assertMatch(md, /## Lua engines/);
  assertMatch(md, /\| fengari 0\.1\.5 \| 5\.3 \| 1\.23 \| 150 \| 600 \|/);
  assertMatch(md, /\| other \| 5\.1\.5 \| n\/a \| 25 \| 47 \|/);
  assertOk(!render(report(undefined, 0.6)).includes("## Lua engines"));
});

Deno.test("bench report: issue 15's targets are EVAL at -P 16 and the BullMQ row", () => {
  const of15 = (r: Report) => checkTargets(r).filter((t) => t.issue === 15);
  const [evalGoal, bull] = of15(report(BULLMQ, 0.6));
  assertOk(evalGoal && bull);
  assertEquals([evalGoal.pass, bull.pass, bull.actual], [true, true, 0.4]);
  assertEquals(of15(report(BULLMQ, 0.4))[0]!.pass, false);
  // A report without the BullMQ measurement (saved before it existed) says so.
  assertEquals(of15(report(undefined, 0.4))[1]!.pass, undefined);
  assertOk(!render(report(undefined, 0.4)).includes("## BullMQ"));
});

Deno.test("bench report: the floor section and issue 19's per-row targets", () => {
  const r = report(undefined, 0.6);
  r.tables[0]!.rows.push(row("SET", 1_000_000, 850_000, 0.5, 0.6));
  r.floor = {
    rows: [{
      id: "SET",
      name: "SET",
      pipeline: 16,
      requests: 1000,
      redisOps: 1_000_000,
      floorOps: 900_000,
      redisCpu: 0.5,
      floorCpu: 0.45,
      ownNs: 240,
    }],
  };
  const md = render(r);
  assertMatch(md, /## The Deno floor/);
  assertMatch(
    md,
    /\| SET -P 16 \| 1,000,000 \| 900,000 \| 0\.90x \| 0\.85x \| 0\.94x \| 0\.50 \| 0\.45 \| 0\.60 \|/,
  );
  // 850k/s at 0.6 µs is 0.51 of a core; 0.9x of 1M/s at that share allows
  // 0.567 µs per request, 117 ns above the floor's 0.45.
  assertMatch(md, /\| SET -P 16 \| 0\.9x \| 0\.57 \| 0\.45 \| 117 ns \| 240 ns \| 0\.60 \|/);
  const of19 = checkTargets(r).filter((t) => t.issue === 19);
  const set = of19.find((t) => t.label.startsWith("SET at -P 16: Respite/Redis >= 0.9x"));
  assertEquals([set?.pass, set?.shown], [false, "0.85x; the Deno floor on this row: 0.90x"]);
  // EVAL's row has no floor: 0.8x is its bar.
  const ev = of19.find((t) => t.label.startsWith("EVAL at -P 16"));
  assertEquals([ev?.pass, ev?.shown], [false, undefined]);
  const cpu = of19.find((t) => t.label.startsWith("SET at -P 16: CPU"));
  assertEquals(cpu?.pass, true);
  // Unmeasured sections are not passed.
  assertEquals(of19.find((t) => t.label.startsWith("Idle RSS"))?.pass, undefined);
  assertOk(!render(report(undefined, 0.6)).includes("## The Deno floor"));
});

Deno.test("bench report: a target the Deno floor misses itself says so", () => {
  const r = report(undefined, 0.6);
  r.tables[0]!.rows.push(row("GET", 1_000_000, 800_000, 0.5, 0.6));
  r.floor = {
    rows: [{
      id: "GET",
      name: "GET",
      pipeline: 16,
      requests: 1000,
      redisOps: 1_000_000,
      floorOps: 880_000,
      redisCpu: 0.5,
      floorCpu: 0.45,
    }],
  };
  const sample = { idleRss: 60e6, rss: 100e6, peakRss: 120e6, keys: 10, fillOps: 1 };
  r.memory = { redis: { ...sample, idleRss: 12e6 }, respite: sample, floorIdleRss: 41e6 };
  const of19 = checkTargets(r).filter((t) => t.issue === 19);
  const get = of19.find((t) => t.label.startsWith("GET at -P 16"));
  assertEquals(
    [get?.pass, get?.shown],
    [false, "0.80x; the Deno floor on this row: 0.88x, below the target itself"],
  );
  const idle = of19.find((t) => t.label.startsWith("Idle RSS"));
  assertEquals(
    [idle?.pass, idle?.shown],
    [false, "60.0 MB; the Deno floor: 41.0 MB, above the target itself"],
  );
  assertMatch(
    render(r),
    /The Deno floor idle: bench\/io_floor\.ts .* holds 39\.1 MiB \(41\.0 MB\)/,
  );
  // MEMORY USAGE against the fill's growth per key (4 MB here): within 20%.
  const usage = (r: typeof of19) => r.find((t) => t.label.startsWith("MEMORY USAGE per key"));
  assertEquals(usage(of19)?.pass, undefined); // not measured
  r.memory.respite = { ...sample, usagePerKey: 3.5e6 };
  assertEquals(
    [usage(checkTargets(r))?.pass, usage(checkTargets(r))?.shown],
    [true, "0.88x (3500000 B against 4000000 B)"],
  );
  r.memory.respite = { ...sample, usagePerKey: 5e6 };
  assertEquals(usage(checkTargets(r))?.pass, false);
  assertMatch(
    render(r),
    /\| MEMORY USAGE per key \(mean of 1000 RANDOMKEYs\) \| n\/a \| 5000000 B \|/,
  );
});

Deno.test("bench report: a row run again is judged on both passes, and both are shown", () => {
  const r = report(undefined, 0.75);
  r.options.reps = 3;
  const row = r.tables[0]!.rows[0]!;
  row.rerun = {
    again: { redisOps: 500_000, respiteOps: 425_000, redisCpu: 1.5, respiteCpu: 2.5 },
    pooled: { redisOps: 550_000, respiteOps: 445_000, redisCpu: 1.5, respiteCpu: 2.7 },
    pairRatio: 0.83,
    cpuPairRatio: 1.7,
  };
  const ev = checkTargets(r).find((t) => t.issue === 19 && t.label.startsWith("EVAL at -P 16"));
  // The repetitions' median ratio (not 445k / 550k): a pass, the first pass's 0.75 beside it.
  assertEquals(
    [ev?.pass, ev?.shown],
    [true, "0.83x over both passes (first 0.75x, rerun 0.85x)"],
  );
  const md = render(r);
  assertMatch(md, /## Rows run again/);
  assertMatch(md, /\| EVAL -P 16 \| 0\.75x \| 0\.85x \| 0\.83x \| 550,000 \| 445,000 \| 1\.70x \|/);
  // The throughput table keeps the first pass.
  assertMatch(md, /\| EVAL \| 1,000 \| 600,000 \| 450,000 \| 0\.75x \|/);
  delete row.rerun;
  assertOk(!render(r).includes("## Rows run again"));
});

Deno.test("bench report: replication run again pools both passes' runs", () => {
  const sample = (writesPerSec: number): ReplicationSample => ({
    writes: 1000,
    ms: 1000 / writesPerSec * 1000,
    writesPerSec,
    streamBytes: 1,
    loadMs: 1,
    lagBytes: 0,
    keys: 1,
  });
  const pass = (redis: number[], respite: number[]): ReplicationResult => ({
    writes: 1000,
    reps: redis.length,
    redis: sample(redis[1]!),
    respite: sample(respite[1]!),
    runs: { redis: redis.map(sample), respite: respite.map(sample) },
    serverLines: [],
    commandLines: [],
  });
  const both = withRerun(
    pass([700, 800, 900], [500, 560, 600]),
    pass([600, 650, 700], [560, 570, 580]),
  );
  assertEquals([both.reps, both.runs.redis.length, both.firstPassRatio], [6, 6, 0.7]);
  // Per repetition: 500/700, 560/800, 600/900, 560/600, 570/650, 580/700.
  assertEquals(both.pairRatio?.toFixed(3), ((500 / 700 + 580 / 700) / 2).toFixed(3));
  // Medians of six: (700 + 700) / 2 and (560 + 570) / 2 (or either middle one).
  assertOk(both.redis.writesPerSec >= 700 && both.redis.writesPerSec <= 700);
  assertOk(both.respite.writesPerSec >= 560 && both.respite.writesPerSec <= 570);
  const r = report(undefined, 1);
  r.replication = both;
  const t = checkTargets(r).find((x) => x.issue === 19 && x.label.startsWith("Replication"));
  assertMatch(t?.shown ?? "", /^0\.77x over both passes \(first 0\.70x\)/);
  assertMatch(render(r), /came to 0\.70x, below the\s+target, so a second pass/);
});

Deno.test("bench report: a CPU-bound row run again is judged on its repetitions' CPU ratios", () => {
  const r = report(undefined, 1);
  r.tables[0]!.rows.push({
    ...row("INCR", 1_000_000, 1_000_000, 0.66, 0.87),
    rerun: {
      again: { redisOps: 1_000_000, respiteOps: 1_000_000, redisCpu: 0.7, respiteCpu: 0.8 },
      pooled: { redisOps: 1_000_000, respiteOps: 1_000_000, redisCpu: 0.68, respiteCpu: 0.84 },
      pairRatio: 1,
      cpuPairRatio: 1.2,
    },
  });
  const t = checkTargets(r).find((x) => x.label.startsWith("INCR at -P 16: CPU"));
  assertEquals([t?.pass, t?.shown], [true, "1.20x over both passes (first 1.32x)"]);
});
