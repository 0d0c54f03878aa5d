/**
 * The latency monitor's events (Redis's latency.c): per event, the worst
 * latency of each of the last 160 seconds that had one at or above
 * `latency-monitor-threshold`, and the worst ever. LATENCY LATEST,
 * HISTORY, GRAPH and DOCTOR read them.
 *
 * @module
 */

/** Samples kept per event (Redis's LATENCY_TS_LEN). */
const TS_LEN = 160;
/** LATENCY GRAPH's width. */
const GRAPH_COLS = 80;

/** One event's time series: a ring of (second, worst ms in it). */
interface Series {
  /** The next slot to fill. */
  idx: number;
  max: number;
  readonly times: number[];
  readonly latencies: number[];
}

/** What LATENCY DOCTOR says of one event (Redis's latencyStats). */
interface EventStats {
  samples: number;
  avg: number;
  mad: number;
  period: number;
  max: number;
}

/** What LATENCY DOCTOR needs to know of the server besides the events. */
export interface DoctorContext {
  /** `latency-monitor-threshold` (ms). */
  threshold: number;
  /** `slowlog-log-slower-than` (µs; negative: off). */
  slowlogThreshold: number;
  hz: number;
  /** `appendfsync` is `always`. */
  fsyncAlways: boolean;
  /** GB/s of the last fork-equivalent (the snapshot's serialization). */
  forkRate: number;
  /** The process has anonymous huge pages. */
  hugePages: boolean;
}

/**
 * The events of one server.
 *
 * @example
 * ```ts
 * import { LatencyEvents } from "./_events.ts";
 * const ev = new LatencyEvents();
 * ev.add("command", 120, 1700000000);
 * ev.add("command", 80, 1700000000); // the same second keeps its worst
 * console.log(ev.latest()); // [ [ "command", 1700000000, 120, 120 ] ]
 * ```
 */
export class LatencyEvents {
  #series = new Map<string, Series>();

  /** Records `ms` for `event` at `now` (Unix seconds): Redis's latencyAddSample. */
  add(event: string, ms: number, now: number): void {
    let ts = this.#series.get(event);
    if (ts === undefined) {
      ts = {
        idx: 0,
        max: 0,
        times: new Array(TS_LEN).fill(0),
        latencies: new Array(TS_LEN).fill(0),
      };
      this.#series.set(event, ts);
    }
    if (ms > ts.max) ts.max = ms;
    const prev = (ts.idx + TS_LEN - 1) % TS_LEN;
    if (ts.times[prev] === now) {
      if (ms > ts.latencies[prev]!) ts.latencies[prev] = ms;
      return;
    }
    ts.times[ts.idx] = now;
    ts.latencies[ts.idx] = ms;
    ts.idx = (ts.idx + 1) % TS_LEN;
  }

  /** Forgets `event` (case-insensitively), or every event; returns how many. */
  reset(event?: string): number {
    let n = 0;
    for (const name of [...this.#series.keys()]) {
      if (event === undefined || name.toLowerCase() === event.toLowerCase()) {
        this.#series.delete(name);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.#series.size;
  }

  /** LATENCY LATEST: `[event, time, latency, all-time max]` per event. */
  latest(): [string, number, number, number][] {
    const out: [string, number, number, number][] = [];
    for (const [name, ts] of this.#series) {
      const last = (ts.idx + TS_LEN - 1) % TS_LEN;
      out.push([name, ts.times[last]!, ts.latencies[last]!, ts.max]);
    }
    return out;
  }

  /** LATENCY HISTORY: `[time, latency]`, oldest first; undefined for an unknown event. */
  history(event: string): [number, number][] | undefined {
    const ts = this.#series.get(event);
    if (ts === undefined) return undefined;
    const out: [number, number][] = [];
    for (let j = 0; j < TS_LEN; j++) {
      const i = (ts.idx + j) % TS_LEN;
      if (ts.times[i] !== 0) out.push([ts.times[i]!, ts.latencies[i]!]);
    }
    return out;
  }

  /** LATENCY GRAPH's text (Redis's latencyCommandGenSparkeline); undefined for an unknown event. */
  graph(event: string, now: number): string | undefined {
    const ts = this.#series.get(event);
    if (ts === undefined) return undefined;
    const samples: { value: number; label: string }[] = [];
    let min = 0, max = 0;
    for (const [time, latency] of this.history(event)!) {
      if (samples.length === 0) min = max = latency;
      else {
        if (latency > max) max = latency;
        if (latency < min) min = latency;
      }
      const elapsed = now - time;
      const label = elapsed < 60
        ? `${elapsed}s`
        : elapsed < 3600
        ? `${Math.trunc(elapsed / 60)}m`
        : elapsed < 86400
        ? `${Math.trunc(elapsed / 3600)}h`
        : `${Math.trunc(elapsed / 86400)}d`;
      samples.push({ value: latency, label });
    }
    return `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n` +
      "-".repeat(GRAPH_COLS) + "\n" + sparkline(samples, GRAPH_COLS, 4);
  }

  /** Redis's analyzeLatencyForEvent. */
  #stats(ts: Series, now: number): EventStats {
    const s: EventStats = { samples: 0, avg: 0, mad: 0, period: 0, max: ts.max };
    let sum = 0, oldest = 0;
    for (let j = 0; j < TS_LEN; j++) {
      if (ts.times[j] === 0) continue;
      s.samples++;
      sum += ts.latencies[j]!;
      if (oldest === 0 || ts.times[j]! < oldest) oldest = ts.times[j]!;
    }
    if (s.samples === 0) return s;
    s.avg = Math.floor(sum / s.samples);
    s.period = now - oldest || 1;
    let dev = 0;
    for (let j = 0; j < TS_LEN; j++) {
      if (ts.times[j] !== 0) dev += Math.abs(s.avg - ts.latencies[j]!);
    }
    s.mad = Math.floor(dev / s.samples);
    return s;
  }

  /** LATENCY DOCTOR's report (Redis's createLatencyReport). */
  doctor(ctx: DoctorContext, now: number): string {
    if (this.#series.size === 0 && ctx.threshold === 0) return DISABLED;
    const advise = new Set<Advice>();
    let advices = 0, report = "", n = 0;
    const add = (...a: Advice[]) => {
      for (const x of a) advise.add(x);
      advices += a.length;
    };
    for (const [event, ts] of this.#series) {
      n++;
      if (n === 1) {
        report +=
          "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
      }
      const s = this.#stats(ts, now);
      report +=
        `${n}. ${event}: ${s.samples} latency spikes (average ${s.avg}ms, mean deviation ${s.mad}ms, period ${
          cFixed2(s.period / s.samples)
        } sec). Worst all time event ${ts.max}ms.`;
      const e = event.toLowerCase();
      if (e === "fork") {
        const r = ctx.forkRate;
        const quality = r < 10 ? "terrible" : r < 25 ? "poor" : r < 100 ? "good" : "excellent";
        if (r < 25) add("betterVm");
        report += ` Fork rate is ${cFixed2(r)} GB/sec (${quality}).`;
      }
      if (e === "command") {
        if (ctx.slowlogThreshold < 0) add("slowlogEnabled");
        else if (Math.trunc(ctx.slowlogThreshold / 1000) > ctx.threshold) add("slowlogTuning");
        add("slowlogInspect", "largeObjects");
      }
      if (e === "fast-command") add("scheduler");
      if (e === "aof-write-pending-fsync") add("localDisk", "diskContention", "ssd", "writeback");
      if (e === "aof-write-active-child") add("noAppendfsync", "writeback", "ssd");
      if (e === "aof-write-alone") add("localDisk", "writeback", "ssd");
      if (e === "aof-fsync-always") add("relaxFsync");
      if (e === "aof-fstat" || e === "rdb-unlink-temp-file") add("diskContention", "localDisk");
      if (e === "aof-rewrite-diff-write" || e === "aof-rename") {
        add("writeLoad", "writeback", "ssd", "localDisk");
      }
      if (e === "expire-cycle") add("hz", "largeObjects");
      if (e === "eviction-del") add("largeObjects");
      if (e === "eviction-cycle") add("massEviction");
      report += "\n";
    }
    if (ctx.hugePages) add("thp");
    if (n === 0 && advices === 0) return report + NO_SPIKES;
    if (n > 0 && advices === 0) return report + NO_FIX;
    report += "\nI have a few advices for you:\n\n";
    const threshold = ctx.threshold * 1000;
    for (const [key, text] of ADVICES) {
      if (!advise.has(key)) continue;
      if (key === "relaxFsync" && !ctx.fsyncAlways) continue;
      if (key === "hz" && ctx.hz >= 100) continue;
      report += text.replace("%llu", String(threshold));
    }
    return report;
  }
}

/** `%.2f` as C prints it: an exact tie rounds to even (0.125 -> "0.12"). */
function cFixed2(x: number): string {
  const scaled = x * 100;
  if (Number.isFinite(scaled) && scaled - Math.floor(scaled) === 0.5 && (x * 8) % 2 === 1) {
    const down = Math.floor(scaled);
    return ((down % 2 === 0 ? down : down + 1) / 100).toFixed(2);
  }
  return x.toFixed(2);
}

/**
 * Redis's ASCII sparkline (sparkline.c, filled style): `rows` rows of
 * `_o#|` per column, then the labels written downwards.
 */
function sparkline(
  samples: readonly { value: number; label: string }[],
  columns: number,
  rows: number,
): string {
  let min = 0, max = 0;
  samples.forEach((s, i) => {
    if (i === 0) min = max = s.value;
    else if (s.value < min) min = s.value;
    else if (s.value > max) max = s.value;
  });
  let out = "";
  for (let j = 0; j < samples.length; j += columns) {
    if (j !== 0) out += "\n";
    out += sparklineRange(samples, {
      min,
      max,
      rows,
      offset: j,
      len: Math.min(columns, samples.length - j),
    });
  }
  return out;
}

const FILL = "_o#";

function sparklineRange(
  samples: readonly { value: number; label: string }[],
  o: { min: number; max: number; rows: number; offset: number; len: number },
): string {
  const relmax = o.max - o.min || 1;
  const steps = FILL.length * o.rows;
  let out = "";
  for (let row = 0;; row++) {
    let more = false;
    const chars = new Array<string>(o.len).fill(" ");
    for (let j = 0; j < o.len; j++) {
      const s = samples[j + o.offset]!;
      let step = Math.trunc(Math.trunc((s.value - o.min) * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < o.rows) {
        const idx = step - (o.rows - row - 1) * FILL.length;
        more = true;
        if (idx >= 0 && idx < FILL.length) chars[j] = FILL[idx]!;
        else if (idx >= FILL.length) chars[j] = "|";
      } else {
        // One blank line between the graph and the labels.
        if (row - o.rows < 1) {
          more = true;
          break;
        }
        const at = row - o.rows - 1;
        if (s.label.length > at) {
          more = true;
          chars[j] = s.label[at]!;
        }
      }
    }
    if (!more) return out;
    out += chars.join("") + "\n";
  }
}

const DISABLED =
  "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
const NO_SPIKES =
  "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";
const NO_FIX =
  "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";

type Advice =
  | "betterVm"
  | "slowlogEnabled"
  | "slowlogTuning"
  | "slowlogInspect"
  | "scheduler"
  | "localDisk"
  | "ssd"
  | "writeback"
  | "diskContention"
  | "noAppendfsync"
  | "relaxFsync"
  | "writeLoad"
  | "hz"
  | "largeObjects"
  | "massEviction"
  | "thp";

/** The advices in the order Redis 7.0 gives them, with its text. */
const ADVICES: readonly [Advice, string][] = [
  [
    "betterVm",
    "- If you are using a virtual machine, consider upgrading it with a faster one using a hypervisior that provides less latency during fork() calls. Xen is known to have poor fork() performance. Even in the context of the same VM provider, certain kinds of instances can execute fork faster than others.\n",
  ],
  [
    "slowlogEnabled",
    "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %llu'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n",
  ],
  [
    "slowlogTuning",
    "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %llu'.\n",
  ],
  [
    "slowlogInspect",
    "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n",
  ],
  [
    "scheduler",
    "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n" +
    "  1) Lower the system load.\n" +
    "  2) Use a computer / VM just for Redis if you are running other software in the same system.\n" +
    '  3) Check if you have a "noisy neighbour" problem.\n' +
    "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
    "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n",
  ],
  [
    "localDisk",
    "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n",
  ],
  [
    "ssd",
    "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n",
  ],
  [
    "writeback",
    "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n",
  ],
  [
    "diskContention",
    "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n",
  ],
  [
    "noAppendfsync",
    "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n",
  ],
  [
    "relaxFsync",
    "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n",
  ],
  [
    "writeLoad",
    "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n",
  ],
  [
    "hz",
    "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
  ],
  [
    "largeObjects",
    "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n",
  ],
  [
    "massEviction",
    "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n",
  ],
  [
    "thp",
    "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n",
  ],
];
