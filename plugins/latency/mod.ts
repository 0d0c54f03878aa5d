/**
 * Latency diagnostics, as Redis 7.0's: the latency monitor
 * (`latency-monitor-threshold`; LATENCY LATEST, HISTORY, GRAPH, DOCTOR,
 * RESET) fed by the events Respite has (`command`, `fast-command`,
 * `command-unblocking`, `expire-cycle`, `fork` for each slice of a
 * background snapshot, the fork's equivalent here, and the AOF's
 * `aof-write*` and `aof-fsync-always`), and per-command latency
 * histograms (`latency-tracking`, on by default; LATENCY HISTOGRAM and
 * INFO latencystats with `latency-tracking-info-percentiles`).
 *
 * Event sources report through the `latency` service, which tells them
 * whether the monitor is on, so they need not time anything while it is
 * off. Commands are seen through a dispatcher observer, added only while
 * tracking or the monitor is on.
 *
 * @module
 */

import { commandFamily, definePlugin } from "../../core/registry.ts";
import { ConfigError } from "../../core/config.ts";
import type {
  Bytes,
  CallEnd,
  CommandEntry,
  CommandSpec,
  Context,
  LatencyMonitor,
  ServerApi,
} from "../../core/types.ts";
import { parseScore } from "../../core/number.ts";
import { ReplyError } from "../../core/errors.ts";
import { helpSubcommand } from "../../core/help.ts";
import { LatencyHistogram } from "./_histogram.ts";
import { type DoctorContext, LatencyEvents } from "./_events.ts";

export { LatencyHistogram } from "./_histogram.ts";

const command = commandFamily({ group: "server" });

/**
 * Parses `latency-tracking-info-percentiles` as Redis does (space
 * separated doubles from 0 to 100; empty for none) and returns it in
 * CONFIG GET's form.
 *
 * @example
 * ```ts
 * import { normalizePercentiles } from "./mod.ts";
 * console.log(normalizePercentiles("50 99.90 1e2")); // "50 99.9 100"
 * ```
 */
export function normalizePercentiles(value: string): string {
  return parsePercentiles(value).map(formatPercentile).join(" ");
}

function parsePercentiles(value: string): number[] {
  if (value === "") return [];
  return value.split(" ").map((t) => {
    const p = parseScore(t);
    if (p === undefined) {
      throw new ConfigError("Invalid latency-tracking-info-percentiles parameters");
    }
    if (p < 0 || p > 100) {
      throw new ConfigError(
        "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
      );
    }
    return p;
  });
}

/** `%f` with the trailing zeros trimmed (Redis's trimDoubleString). */
function formatPercentile(p: number): string {
  const s = p.toFixed(6);
  return s.replace(/\.?0+$/, "");
}

const HELP = [
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
];

/** The kB of anonymous huge pages the process holds, as Redis's THP check reads it. */
function hugePagesKb(): number {
  try {
    const text = Deno.readTextFileSync("/proc/self/smaps_rollup");
    const m = /^AnonHugePages:\s+(\d+) kB/m.exec(text);
    return m === null ? 0 : Number(m[1]);
  } catch {
    return 0;
  }
}

/** One server's latency state. */
class Latency implements LatencyMonitor {
  readonly events: LatencyEvents = new LatencyEvents();
  readonly histograms: Map<CommandEntry, LatencyHistogram> = new Map();
  threshold = 0;
  tracking = true;
  percentiles: number[] = [50, 99, 99.9];
  /**
   * What blocked calls cost before they blocked: a call woken up is
   * recorded with it; one that times out is not recorded, as in Redis 7.0.
   */
  #blocked = new WeakMap<Context, number>();
  #stop: (() => void) | undefined;
  #resetstat: CommandEntry | undefined;
  /**
   * The histograms of the last few commands recorded: a pipeline repeats
   * one command, a script or a transaction alternates a few (EVAL and what
   * it calls; MULTI, the queued commands, EXEC), so most records find
   * theirs here instead of in the Map.
   */
  readonly #recentCmds: (CommandEntry | undefined)[] = new Array(4).fill(undefined);
  readonly #recentHists: (LatencyHistogram | undefined)[] = new Array(4).fill(undefined);
  #recentNext = 0;

  constructor(readonly server: ServerApi) {}

  sample(event: string, ms: number): void {
    const whole = Math.floor(ms);
    if (this.threshold === 0 || whole < this.threshold) return;
    this.events.add(event, whole, Math.floor(this.server.clock.now() / 1000));
  }

  /** Observes commands while tracking or the monitor is on, and only then. */
  rearm(): void {
    const on = this.tracking || this.threshold !== 0;
    if (on && this.#stop === undefined) {
      this.#resetstat = this.server.commands.get("config")?.subcommands?.get("resetstat");
      this.#stop = this.server.dispatcher.observe({
        after: (c, cmd, _argv, micros, end) => this.#after(c, cmd, micros, end),
        afterRun: (cmd, micros, calls) => this.#afterRun(cmd, micros, calls),
      });
    } else if (!on && this.#stop !== undefined) {
      this.#stop();
      this.#stop = undefined;
    }
  }

  #after(c: Context, cmd: CommandEntry, micros: number, end: CallEnd): void {
    if (this.server.keyspace.loading) return;
    if (this.threshold !== 0 && micros >= this.threshold * 1000) {
      this.sample(
        end === "woken"
          ? "command-unblocking"
          : cmd.flagSet.has("fast")
          ? "fast-command"
          : "command",
        micros / 1000,
      );
    }
    if (!this.tracking) return;
    if (end === "ran") {
      // CONFIG RESETSTAT clears the histograms with the other statistics,
      // before its own call is recorded.
      if (cmd === this.#resetstat) this.clearHistograms();
      this.#record(cmd, micros);
    } else if (end === "blocked") {
      this.#blocked.set(c, micros);
    } else {
      this.#record(cmd, (this.#blocked.get(c) ?? 0) + micros);
    }
  }

  /** `calls` pipelined calls of `cmd` that ran, each estimated at `micros`. */
  #afterRun(cmd: CommandEntry, micros: number, calls: number): void {
    if (this.server.keyspace.loading) return;
    if (this.threshold !== 0 && micros >= this.threshold * 1000) {
      // The same event #after would report for each of them.
      this.sample(cmd.flagSet.has("fast") ? "fast-command" : "command", micros / 1000);
    }
    if (!this.tracking) return;
    if (cmd === this.#resetstat) this.clearHistograms();
    this.#record(cmd, micros, calls);
  }

  #record(cmd: CommandEntry, micros: number, calls = 1): void {
    const cmds = this.#recentCmds;
    let slot = 0;
    while (slot < 4 && cmds[slot] !== cmd) slot++;
    let h: LatencyHistogram | undefined;
    if (slot < 4) h = this.#recentHists[slot]!;
    else {
      h = this.histograms.get(cmd);
      if (h === undefined) this.histograms.set(cmd, h = new LatencyHistogram());
      slot = this.#recentNext;
      cmds[slot] = cmd;
      this.#recentHists[slot] = h;
      this.#recentNext = (slot + 1) & 3;
    }
    h.record(micros, calls);
  }

  clearHistograms(): void {
    this.histograms.clear();
    this.#recentCmds.fill(undefined);
    this.#recentHists.fill(undefined);
  }

  /** INFO latencystats' lines. */
  info(): Record<string, string> {
    const out: Record<string, string> = {};
    if (!this.tracking) return out;
    const add = (e: CommandEntry) => {
      const h = this.histograms.get(e);
      if (h === undefined) return;
      out[`latency_percentiles_usec_${e.fullName}`] = this.percentiles
        .map((p) => `p${formatPercentile(p)}=${(h.percentile(p) / 1000).toFixed(3)}`)
        .join(",");
    };
    for (const e of this.server.commands.values()) {
      add(e);
      for (const s of e.subcommands?.values() ?? []) add(s);
    }
    return out;
  }

  doctorContext(): DoctorContext {
    const config = this.server.config;
    const num = (name: string, dflt: number) =>
      config.directive(name) === undefined ? dflt : config.number(name);
    return {
      threshold: this.threshold,
      slowlogThreshold: num("slowlog-log-slower-than", -1),
      hz: num("hz", 10),
      fsyncAlways: config.directive("appendfsync") !== undefined &&
        config.get("appendfsync") === "always",
      forkRate: 0,
      hugePages: hugePagesKb() > 0,
    };
  }
}

/** A command by name as LATENCY HISTOGRAM takes it (`config|get` for a subcommand). */
function lookup(server: ServerApi, name: string): CommandEntry | undefined {
  const parts = name.toLowerCase().split("|");
  if (parts.length > 2) return undefined;
  const base = server.commands.get(parts[0]!);
  return parts.length === 1 ? base : base?.subcommands?.get(parts[1]!);
}

function replyHistogram(c: Context, name: string, h: LatencyHistogram): void {
  const r = c.reply;
  r.bulk(name);
  r.map(2);
  r.bulk("calls");
  r.integer(h.total);
  r.bulk("histogram_usec");
  const cdf = h.cdf();
  r.map(cdf.length);
  for (const [us, n] of cdf) {
    r.integer(us);
    r.integer(n);
  }
}

function latencyHistogram(l: Latency, c: Context, argv: Bytes[]): void {
  const found: [string, LatencyHistogram][] = [];
  const add = (e: CommandEntry) => {
    const h = l.histograms.get(e);
    if (h !== undefined) found.push([e.fullName, h]);
  };
  const withSubs = (e: CommandEntry) => {
    add(e);
    for (const s of e.subcommands?.values() ?? []) add(s);
  };
  if (argv.length === 2) {
    for (const e of l.server.commands.values()) withSubs(e);
  } else {
    for (let i = 2; i < argv.length; i++) {
      const e = lookup(l.server, argv[i]!);
      if (e !== undefined) withSubs(e);
    }
  }
  c.reply.map(found.length);
  for (const [name, h] of found) replyHistogram(c, name, h);
}

const TIPS = ["nondeterministic_output", "request_policy:all_nodes", "response_policy:special"];
const FLAGS = ["admin", "noscript", "loading", "stale"] as const;

function latencyCommand(l: Latency): CommandSpec {
  const now = () => Math.floor(l.server.clock.now() / 1000);
  const eventArg = [{ name: "event", type: "string" }] as const;
  return {
    name: "latency",
    arity: -2,
    flags: [],
    docs: {
      summary: "A container for latency diagnostics commands",
      since: "2.8.13",
      complexity: "Depends on subcommand.",
    },
    subcommands: [
      {
        name: "graph",
        arity: 3,
        flags: FLAGS,
        tips: TIPS,
        docs: {
          summary: "Return a latency graph for the event.",
          since: "2.8.13",
          complexity: "O(1)",
          arguments: eventArg,
        },
        handler(c, argv) {
          const graph = l.events.graph(argv[2]!, now());
          if (graph === undefined) {
            throw new ReplyError(`ERR No samples available for event '${argv[2]!}'`);
          }
          c.reply.verbatim(graph, "txt");
        },
      },
      {
        name: "latest",
        arity: 2,
        flags: FLAGS,
        tips: TIPS,
        docs: {
          summary: "Return the latest latency samples for all events.",
          since: "2.8.13",
          complexity: "O(1)",
        },
        handler(c) {
          const r = c.reply;
          const latest = l.events.latest();
          r.array(latest.length);
          for (const [event, time, latency, max] of latest) {
            r.array(4);
            r.bulk(event);
            r.integer(time);
            r.integer(latency);
            r.integer(max);
          }
        },
      },
      {
        name: "history",
        arity: 3,
        flags: FLAGS,
        tips: TIPS,
        docs: {
          summary: "Return timestamp-latency samples for the event.",
          since: "2.8.13",
          complexity: "O(1)",
          arguments: eventArg,
        },
        handler(c, argv) {
          const r = c.reply;
          const samples = l.events.history(argv[2]!) ?? [];
          r.array(samples.length);
          for (const [time, latency] of samples) {
            r.array(2);
            r.integer(time);
            r.integer(latency);
          }
        },
      },
      {
        name: "reset",
        arity: -2,
        flags: FLAGS,
        tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
        docs: {
          summary: "Reset latency data for one or more events.",
          since: "2.8.13",
          complexity: "O(1)",
          arguments: [{ name: "event", type: "string", flags: ["optional", "multiple"] }],
        },
        handler(c, argv) {
          let n = 0;
          if (argv.length === 2) n = l.events.reset();
          else for (let i = 2; i < argv.length; i++) n += l.events.reset(argv[i]!);
          c.reply.integer(n);
        },
      },
      {
        name: "histogram",
        arity: -2,
        flags: FLAGS,
        tips: TIPS,
        docs: {
          summary:
            "Return the cumulative distribution of latencies of a subset of commands or all.",
          since: "7.0.0",
          complexity:
            "O(N) where N is the number of commands with latency information being retrieved.",
          arguments: [{ name: "command", type: "string", flags: ["optional", "multiple"] }],
        },
        handler: (c, argv) => latencyHistogram(l, c, argv),
      },
      {
        name: "doctor",
        arity: 2,
        flags: FLAGS,
        tips: TIPS,
        docs: {
          summary: "Return a human readable latency analysis report.",
          since: "2.8.13",
          complexity: "O(1)",
        },
        handler: (c) => c.reply.verbatim(l.events.doctor(l.doctorContext(), now()), "txt"),
      },
      {
        ...helpSubcommand(HELP, "2.8.13"),
        docs: {
          summary: "Show helpful text about the different subcommands.",
          since: "2.8.13",
          complexity: "O(1)",
        },
      },
    ],
  };
}

/**
 * The latency plugin; it provides the `latency` service.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {}, config: { "latency-monitor-threshold": "1" } });
 * const latency = s.server.service("latency")!;
 * latency.sample("expire-cycle", 25); // 25 ms: at or above the threshold
 * const c = await Deno.connect({ port: s.port });
 * await c.write(new TextEncoder().encode("LATENCY HISTORY expire-cycle\r\n"));
 * const buf = new Uint8Array(128);
 * const n = await c.read(buf);
 * console.log(new TextDecoder().decode(buf.subarray(0, n!))); // "*1\r\n*2\r\n:<time>\r\n:25\r\n"
 * c.close();
 * await s.close();
 * ```
 */
export default definePlugin({
  name: "latency",
  config: [
    { name: "latency-monitor-threshold", type: "int", default: "0", min: 0 },
    { name: "latency-tracking", type: "bool", default: "yes" },
    {
      name: "latency-tracking-info-percentiles",
      type: "string",
      default: "50 99 99.9",
      multiArg: true,
      validate: normalizePercentiles,
      // Always written, `""` for none, so a rewritten file never falls
      // back to the defaults (Redis's rewrite of it).
      rewrite: (v, name) => [{ line: `${name} ${v === "" ? '""' : v}`, force: true }],
    },
  ],
  init(server) {
    const l = new Latency(server);
    server.provide("latency", l);
    server.config.watch("latency-monitor-threshold", (v) => {
      l.threshold = Number(v);
      l.rearm();
    });
    server.config.watch("latency-tracking", (v) => {
      l.tracking = v === "yes";
      l.rearm();
    });
    server.config.watch("latency-tracking-info-percentiles", (v) => {
      l.percentiles = parsePercentiles(v);
    });
    return {
      commands: [command(latencyCommand(l))],
      hooks: {
        info: (section) => section === "latencystats" ? l.info() : undefined,
      },
    };
  },
});
