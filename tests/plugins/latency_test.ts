/**
 * LATENCY and INFO latencystats, differentially against redis-server
 * where the replies are deterministic (help, errors, the directives, an
 * idle monitor, the shape of the events and reports a slow command
 * leaves, the histograms' call counts), the histogram's buckets and
 * percentiles against a model of Redis's HdrHistogram, and the events
 * Respite's own sources raise: the expiry cycle, a background save's
 * slices (`fork`) and AOF writes.
 */

import {
  diffTest,
  encodeCommand,
  hasRedis,
  RawClient,
  type Reply,
  sharedServers,
  sleep,
  startRespite,
  until,
} from "../_helpers.ts";
import { assertEquals, assertMatch, assertOk } from "../_assert.ts";
import { LatencyHistogram, normalizePercentiles } from "../../plugins/latency/mod.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

diffTest("latency: help, errors, an idle monitor", [
  ["LATENCY", "RESET"],
  ["LATENCY", "HELP"],
  ["LATENCY", "LATEST"],
  ["LATENCY", "HISTORY", "command"],
  ["LATENCY", "GRAPH", "command"],
  ["LATENCY", "RESET", "command", "nosuch"],
  ["LATENCY", "DOCTOR"],
  ["LATENCY", "HISTOGRAM", "nosuch", "a|b|c"],
  ["LATENCY"],
  ["LATENCY", "NOSUCH"],
  ["LATENCY", "GRAPH"],
  ["LATENCY", "LATEST", "x"],
  ["LATENCY", "DOCTOR", "x"],
  ["LATENCY", "HISTORY", "a", "b"],
]);

diffTest("latency: the directives", [
  { cmd: ["CONFIG", "GET", "latency*"], unordered: true },
  ["CONFIG", "SET", "latency-monitor-threshold", "-1"],
  ["CONFIG", "SET", "latency-monitor-threshold", "x"],
  ["CONFIG", "SET", "latency-tracking", "maybe"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", "abc"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", "101"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", "-1"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", "50  99"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 50 0 100 99.99 12.3456789 1e2"],
  ["CONFIG", "GET", "latency-tracking-info-percentiles"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", ""],
  ["CONFIG", "GET", "latency-tracking-info-percentiles"],
  ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 99 99.9"],
  ["CONFIG", "SET", "latency-tracking", "no"],
  ["INFO", "latencystats"],
  ["CONFIG", "SET", "latency-tracking", "yes"],
]);

/** Masks the numbers of a LATENCY DOCTOR report or GRAPH; drops the huge pages advice (per process). */
function maskReport(text: string): string {
  return text.split("\n")
    .filter((l) => !l.startsWith("- I detected a non zero amount of anonymous huge pages"))
    .join("\n")
    .replace(/\d+(\.\d+)?/g, "N");
}

Deno.test({
  name: "diff: latency: a slow command's event, history, graph and doctor's report",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    const run = async (port: number) => {
      const c = await RawClient.connect(port);
      try {
        await c.call("LATENCY", "RESET");
        await c.call("CONFIG", "SET", "latency-monitor-threshold", "5");
        await c.call("PING");
        await c.call("DEBUG", "SLEEP", "0.02");
        const latest = await c.call("LATENCY", "LATEST") as Reply[][];
        assertEquals(latest.length, 1);
        const [event, time, ms, max] = latest[0]!;
        assertOk(Math.abs((time as number) - Date.now() / 1000) < 5);
        assertOk((ms as number) >= 20 && (ms as number) < 1000 && max === ms, `${ms}`);
        const history = await c.call("LATENCY", "HISTORY", "command") as Reply[][];
        assertEquals(history, [[time, ms]]);
        const graph = await c.call("LATENCY", "GRAPH", "command") as string;
        assertMatch(
          graph,
          new RegExp(
            `^command - high ${ms} ms, low ${ms} ms \\(all time high ${ms} ms\\)\n-{80}\n`,
          ),
        );
        const out = [
          event,
          maskReport(graph),
          maskReport(await c.call("LATENCY", "DOCTOR") as string),
          await c.call("LATENCY", "HISTORY", "COMMAND"),
          await c.call("LATENCY", "RESET", "COMMAND"),
          await c.call("LATENCY", "LATEST"),
          maskReport(await c.call("LATENCY", "DOCTOR") as string),
        ];
        return out;
      } finally {
        await c.call("CONFIG", "SET", "latency-monitor-threshold", "0");
        await c.call("LATENCY", "RESET");
        c.close();
      }
    };
    const { respite, redis } = await sharedServers();
    assertEquals(await run(respite.port), await run(redis!.port));
  },
});

/** LATENCY HISTOGRAM's reply with each bucket's bound masked: names, calls, cumulative counts. */
function maskHistograms(r: Reply): Reply {
  const pairs = r as Reply[];
  const out: Reply[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const [, calls, , buckets] = pairs[i + 1] as Reply[];
    const b = buckets as number[];
    const counts = b.filter((_, j) => j % 2 === 1);
    // Bounds are powers of two (Redis's log iterator) and counts grow.
    for (let j = 0; j < b.length; j += 2) {
      assertOk(
        [
          1,
          2,
          4,
          8,
          16,
          33,
          66,
          132,
          264,
          528,
          1056,
          2113,
          4227,
          8454,
          16908,
          33816,
          67633,
          135266,
          270532,
          541065,
          1073741,
        ].includes(b[j]!),
        `${b[j]}`,
      );
    }
    for (let j = 1; j < counts.length; j++) assertOk(counts[j]! > counts[j - 1]!);
    out.push([pairs[i]!, calls!, counts.at(-1)!]);
  }
  // Sorted by name: Redis lists them in its hash tables' order.
  return out.sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
}

Deno.test({
  name: "diff: latency: histograms count every call, reset with CONFIG RESETSTAT",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    const run = async (port: number) => {
      const c = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      try {
        await c.call("FLUSHALL");
        await c.call("CONFIG", "RESETSTAT");
        for (let i = 0; i < 5; i++) await c.call("SET", "a", String(i));
        await c.call("GET", "a");
        await c.call("MULTI");
        await c.call("INCR", "n");
        await c.call("EXEC");
        await c.call("EVAL", "return redis.call('incr', KEYS[1])", "1", "n");
        // Served: recorded once; timed out: not recorded (Redis 7.0).
        await b.write(encodeCommand(["BLPOP", "bl", "0"]));
        await sleep(50);
        await c.call("RPUSH", "bl", "x");
        await b.read();
        await b.call("BLPOP", "none", "0.01");
        await c.call("CONFIG", "GET", "hz");
        const out = [
          maskHistograms(
            await c.call(
              "LATENCY",
              "HISTOGRAM",
              "set",
              "GET",
              "incr",
              "exec",
              "eval",
              "blpop",
              "rpush",
            ),
          ),
          maskHistograms(await c.call("LATENCY", "HISTOGRAM", "config")),
          await c.call("LATENCY", "HISTOGRAM", "config|nosuch", "nosuch"),
        ];
        await c.call("CONFIG", "RESETSTAT");
        out.push(maskHistograms(await c.call("LATENCY", "HISTOGRAM", "set", "config|resetstat")));
        // A histogram in use right before a reset goes with the rest.
        await c.call("SET", "a", "y");
        await c.call("CONFIG", "RESETSTAT");
        await c.call("SET", "a", "z");
        out.push(maskHistograms(await c.call("LATENCY", "HISTOGRAM", "set")));
        await c.call("HELLO", "3");
        const r3 = await c.call("LATENCY", "HISTOGRAM", "config|resetstat");
        out.push(JSON.stringify(r3).replace(/\[\d+,1\]/, "[B,1]"));
        // RESP3 INFO is a verbatim string; its lines in Redis's hash order.
        const info = await c.call("INFO", "latencystats") as { verbatim: string };
        out.push(info.verbatim.replace(/\d+\.\d{3}/g, "N").split("\r\n").sort());
        return out;
      } finally {
        c.close();
        b.close();
      }
    };
    const { respite, redis } = await sharedServers();
    assertEquals(await run(respite.port), await run(redis!.port));
  },
});

Deno.test({
  name: "latency: INFO latencystats follows latency-tracking-info-percentiles",
  ...opts,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    try {
      await c.call("SET", "k", "v");
      let info = String(await c.call("INFO", "latencystats"));
      assertMatch(info, /^# Latencystats\r\n/);
      assertMatch(
        info,
        /\r\nlatency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n/,
      );
      await c.call("CONFIG", "SET", "latency-tracking-info-percentiles", "0 12.5 100");
      info = String(await c.call("INFO", "latencystats"));
      assertMatch(
        info,
        /\r\nlatency_percentiles_usec_set:p0=\d+\.\d{3},p12\.5=\d+\.\d{3},p100=\d+\.\d{3}\r\n/,
      );
      await c.call("CONFIG", "SET", "latency-tracking", "no");
      assertEquals(await c.call("INFO", "latencystats"), "# Latencystats\r\n");
      // Not tracked while off; kept for when it is on again.
      await c.call("CONFIG", "SET", "latency-tracking", "yes");
      assertMatch(String(await c.call("INFO", "latencystats")), /latency_percentiles_usec_set:/);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test("latency: percentiles read and shown as Redis's", () => {
  assertEquals(normalizePercentiles("50 99.90 1e2 12.3456789"), "50 99.9 100 12.345679");
  assertEquals(normalizePercentiles(""), "");
});

// A model of Redis's HdrHistogram (1 ns .. 1 s, 2 significant digits,
// every counter kept) against which the compact histogram is checked.
function hdrIndex(ns: number): number {
  const bucket = 32 - Math.clz32(ns | 255) - 8;
  return ((bucket + 1) << 7) + (ns >>> bucket) - 128;
}
function hdrLowest(i: number): number {
  const b = (i >> 7) - 1;
  const sub = (i & 127) + 128;
  return b < 0 ? sub - 128 : sub * 2 ** b;
}
function hdrHighest(i: number): number {
  return hdrLowest(i) + 2 ** Math.max(0, (i >> 7) - 1) - 1;
}
class HdrModel {
  counts = new Float64Array(3072);
  total = 0;
  record(us: number): void {
    const ns = Math.min(1e9, Math.max(1, Math.floor(us) * 1000));
    this.counts[hdrIndex(ns)]!++;
    this.total++;
  }
  percentile(p: number): number {
    const target = Math.max(1, Math.trunc((Math.min(p, 100) / 100) * this.total + 0.5));
    let sum = 0;
    for (let i = 0; i < 3072; i++) {
      sum += this.counts[i]!;
      if (sum >= target) return p === 0 ? hdrLowest(i) : hdrHighest(i);
    }
    return 0;
  }
  cdf(): [number, number][] {
    const out: [number, number][] = [];
    let sum = 0, prev = 0, i = 0;
    for (let level = 1024; sum < this.total; level *= 2) {
      const top = level > 1e9 ? 3071 : hdrIndex(level);
      for (; i <= top; i++) sum += this.counts[i]!;
      if (sum > prev) out.push([Math.floor(hdrHighest(top) / 1000), sum]);
      prev = sum;
      if (level > 1e9) break;
    }
    return out;
  }
}

Deno.test("latency: the compact histogram answers as Redis's HdrHistogram", () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let trial = 0; trial < 300; trial++) {
    const h = new LatencyHistogram(), model = new HdrModel();
    const n = 1 + Math.floor(rnd() * 60);
    for (let k = 0; k < n; k++) {
      // Durations from 0 to ~9 s, most of them short.
      const us = Math.exp(rnd() * 16) - 1 + rnd();
      h.record(us);
      model.record(us);
    }
    for (const p of [0, 1, 12.5, 50, 90, 99, 99.9, 100]) {
      assertEquals(h.percentile(p), model.percentile(p), `p${p}, trial ${trial}`);
    }
    assertEquals(h.cdf(), model.cdf(), `trial ${trial}`);
    assertEquals(h.total, n);
  }
  // Values seen from redis-server 7.0.15 (2 µs -> 2.007, 151 µs -> 151.551).
  const h = new LatencyHistogram();
  h.record(2);
  assertEquals(h.percentile(50), 2007);
  h.record(151);
  assertEquals(h.percentile(100), 151551);
  assertEquals(h.cdf(), [[2, 1], [264, 2]]);
});

/** The events LATENCY LATEST lists. */
async function events(c: RawClient): Promise<string[]> {
  return (await c.call("LATENCY", "LATEST") as Reply[][]).map((e) => e[0] as string);
}

Deno.test({
  name: "latency: the expiry cycle, a background save's slices and AOF writes are events",
  ...opts,
  async fn() {
    const s = await startRespite({
      config: { "enable-debug-command": "yes", "latency-monitor-threshold": "1", hz: "100" },
    });
    const c = await RawClient.connect(s.port);
    try {
      // expire-cycle: many keys expiring at once.
      let batch = "";
      for (let i = 0; i < 100000; i++) batch += `SET k${i} v PX 1\r\n`;
      await c.write(batch);
      for (let i = 0; i < 100000; i++) await c.read();
      await until("expire-cycle", async () => (await events(c)).includes("expire-cycle"), 5000);
      // fork: BGSAVE's slices.
      await c.call("DEBUG", "POPULATE", "300000");
      assertEquals(await c.call("BGSAVE"), "Background saving started");
      await until("fork", async () => (await events(c)).includes("fork"), 10000);
      await until(
        "the save",
        async () =>
          String(await c.call("INFO", "persistence")).includes("rdb_bgsave_in_progress:0"),
      );
      // aof-write: a big write reaches the AOF.
      await c.call("CONFIG", "SET", "appendonly", "yes");
      await until(
        "the rewrite",
        async () =>
          String(await c.call("INFO", "persistence")).includes("aof_rewrite_in_progress:0"),
      );
      await c.call("SET", "big", "x".repeat(64 << 20));
      await until("aof-write", async () => (await events(c)).includes("aof-write"), 5000);
      const names = await events(c);
      assertOk(
        names.includes("aof-write-alone") || names.includes("aof-write-pending-fsync"),
        String(names),
      );
    } finally {
      c.close();
      await s.close();
    }
  },
});

/** Runs `fn` with a client of a fresh server. */
async function withClient(fn: (c: RawClient) => Promise<void>): Promise<void> {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    await fn(c);
  } finally {
    c.close();
    await s.close();
  }
}

/** A command as it goes on the wire, for batches written at once. */
function wire(...argv: string[]): string {
  return new TextDecoder().decode(encodeCommand(argv));
}

/** A script of some tens of milliseconds, not a fast command. */
const SLOW_EVAL = ["EVAL", "local t = 0 for i = 1, 2000000 do t = t + i end return 1", "0"];

/** The calls a LATENCY HISTOGRAM reply of one command counts (0 when empty). */
function callsOf(hist: Reply): Reply {
  const r = hist as Reply[];
  return r.length === 0 ? 0 : (r[1] as Reply[])[1]!;
}

/**
 * Checks INFO commandstats after a batch that ended with SLOW_EVAL: each
 * command made exactly its calls, in a small part of the script's time
 * (the script's is not theirs), and its histogram counts them all.
 */
async function assertCounted(c: RawClient, calls: Record<string, number>): Promise<void> {
  const stats = String(await c.call("INFO", "commandstats"));
  const usecOf = (cmd: string, n: number) => {
    const m = new RegExp(`\\r\\ncmdstat_${cmd}:calls=${n},usec=(\\d+),`).exec(stats);
    assertOk(m !== null, `${cmd}: ${n} calls in ${stats}`);
    return Number(m[1]);
  };
  const evalUs = usecOf("eval", 1);
  assertOk(evalUs >= 10000, `the script took ${evalUs} µs`);
  for (const [cmd, n] of Object.entries(calls)) {
    const us = usecOf(cmd, n);
    assertOk(us < evalUs / 4, `${cmd} usec ${us}: the script's time is not theirs`);
    assertEquals(callsOf(await c.call("LATENCY", "HISTOGRAM", cmd)), n);
  }
}

Deno.test({
  name:
    "latency: pipelined fast commands share clock reads; counts stay exact, a slow one is logged",
  ...opts,
  fn: () =>
    withClient(async (c) => {
      await c.call("SET", "k", "v");
      await c.call("CONFIG", "RESETSTAT");
      await c.call("SLOWLOG", "RESET");
      await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
      // One batch: fast GETs around a slow command (EVAL is not fast).
      const gets = wire("GET", "k").repeat(100);
      await c.write(gets + wire(...SLOW_EVAL) + gets);
      for (let i = 0; i < 201; i++) await c.read();
      await assertCounted(c, { get: 200 });
      const log = await c.call("SLOWLOG", "GET", "10") as Reply[][];
      assertEquals(log.map((e) => e[3]), [SLOW_EVAL]);
    }),
});

Deno.test({
  name: "latency: pipelined transactions of fast commands are estimated; counts stay exact",
  ...opts,
  fn: () =>
    withClient(async (c) => {
      await c.call("CONFIG", "RESETSTAT");
      // 100 transactions in one batch, then a slow command: EXEC's time is
      // its queue's estimates, and the slow one's is not theirs.
      const unit = wire("MULTI") + wire("SET", "k", "v") + wire("INCR", "n") + wire("EXEC");
      await c.write(unit.repeat(100) + wire(...SLOW_EVAL));
      for (let i = 0; i < 401; i++) await c.read();
      assertEquals(await c.call("GET", "n"), "100");
      await assertCounted(c, { multi: 100, exec: 100, set: 100, incr: 100 });
    }),
});

Deno.test({
  name: "latency: calls cheap by their arguments (MSET, PFCOUNT, XRANGE COUNT) are counted exactly",
  ...opts,
  fn: () =>
    withClient(async (c) => {
      await c.call("PFADD", "h", "a", "b");
      await c.call("XADD", "x", "*", "f", "v");
      await c.call("CONFIG", "RESETSTAT");
      const many = Array.from({ length: 20 }, () => ["k", "v"]).flat();
      const unit = wire("MSET", "a", "1", "b", "2") + wire("PFCOUNT", "h") +
        wire("XRANGE", "x", "-", "+", "COUNT", "10") + wire("MSET", ...many);
      await c.write(unit.repeat(50) + wire(...SLOW_EVAL));
      for (let i = 0; i < 201; i++) await c.read();
      await assertCounted(c, { mset: 100, pfcount: 50, xrange: 50 });
    }),
});

Deno.test({
  name: "latency: a command sees the histograms of the pipelined calls just before it",
  ...opts,
  fn: () =>
    withClient(async (c) => {
      await c.call("SET", "k", "v");
      await c.call("CONFIG", "RESETSTAT");
      const hist = wire("LATENCY", "HISTOGRAM", "get");
      // One batch: the GETs' histogram is read, cleared and read again.
      await c.write(
        wire("GET", "k").repeat(40) + hist + wire("GET", "k").repeat(10) +
          wire("CONFIG", "RESETSTAT") + hist + wire("GET", "k").repeat(5) + hist,
      );
      const replies: Reply[] = [];
      for (let i = 0; i < 59; i++) replies.push((await c.read()).value);
      assertEquals(callsOf(replies[40]!), 40);
      assertEquals(replies[51], "OK");
      assertEquals(callsOf(replies[52]!), 0);
      assertEquals(callsOf(replies[58]!), 5);
    }),
});

/** LATENCY HISTOGRAM's calls by command name. */
function callsByName(hist: Reply): Record<string, Reply> {
  const r = hist as Reply[];
  const out: Record<string, Reply> = {};
  for (let i = 0; i < r.length; i += 2) out[String(r[i])] = (r[i + 1] as Reply[])[1]!;
  return out;
}

Deno.test({
  name: "latency: a command sees the histograms of the calls EXEC and scripts made just before it",
  ...opts,
  fn: () =>
    withClient(async (c) => {
      await c.call("SCRIPT", "LOAD", "return 1");
      await c.call("CONFIG", "RESETSTAT");
      const unit = wire("MULTI") + wire("SET", "k", "v") + wire("INCR", "n") + wire("EXEC");
      const script = wire("EVAL", "return redis.call('incr', KEYS[1])", "1", "m");
      const hist = wire("LATENCY", "HISTOGRAM", "set", "incr");
      // One batch: the nested calls (held for the histograms' runs) are
      // read, cleared with CONFIG RESETSTAT, and read again.
      await c.write(
        unit.repeat(40) + script.repeat(20) + hist + unit.repeat(3) + wire("CONFIG", "RESETSTAT") +
          unit.repeat(5) + hist + wire("INFO", "latencystats"),
      );
      const replies: Reply[] = [];
      for (let i = 0; i < 216; i++) replies.push((await c.read()).value);
      assertEquals(callsByName(replies[180]!), { set: 40, incr: 60 });
      assertEquals(replies[193], "OK");
      assertEquals(callsByName(replies[214]!), { set: 5, incr: 5 });
      assertMatch(String(replies[215]), /latency_percentiles_usec_incr:p50=/);
      assertEquals(callsOf(await c.call("LATENCY", "HISTOGRAM", "exec")), 5);
    }),
});

Deno.test({
  name: "latency: a script's fast commands are each counted; one in sixteen reads the clock",
  ...opts,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    try {
      await c.call("CONFIG", "RESETSTAT");
      // 100 INCRs, then a slow INCR-free stretch: the estimates are means
      // of INCRs timed alone, so the script's own time is not theirs.
      const lua = "for i = 1, 100 do redis.call('INCR', KEYS[1]) end " +
        "local t = 0 for i = 1, 2000000 do t = t + i end return 1";
      assertEquals(await c.call("EVAL", lua, "1", "n"), 1);
      assertEquals(await c.call("GET", "n"), "100");
      const stats = String(await c.call("INFO", "commandstats"));
      const [, calls, usec] = /\r\ncmdstat_incr:calls=(\d+),usec=(\d+),/.exec(stats)!;
      assertEquals(Number(calls), 100);
      const evalUs = Number(/cmdstat_eval:calls=1,usec=(\d+),/.exec(stats)![1]);
      assertOk(Number(usec) > 0, "the INCRs' time is counted");
      assertOk(Number(usec) < evalUs / 4, `INCR usec ${usec}, EVAL ${evalUs}`);
      const hist = await c.call("LATENCY", "HISTOGRAM", "incr") as Reply[];
      assertEquals((hist[1] as Reply[])[1], 100);
    } finally {
      c.close();
      await s.close();
    }
  },
});
