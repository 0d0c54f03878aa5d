/**
 * The replication benchmark: writes per second carried from a master to one
 * replica, redis-server -> redis-server and Respite -> Respite (each server
 * its own process, no persistence).
 *
 * For each server kind and repetition: a fresh master and a fresh replica
 * (`--replicaof` on its command line), waited on until the replica's link is
 * up and its `slave_repl_offset` equals the master's `master_repl_offset`;
 * a warm-up load (unmeasured) then FLUSHALL, waited on the same way; then
 * `redis-benchmark -t set -P 32` against the master. The clock starts at the
 * first write (DBSIZE on the master polled back to back from the moment
 * redis-benchmark is spawned until it is no longer 0) and stops when, after
 * redis-benchmark has exited, INFO replication shows the replica's
 * `slave_repl_offset` equal to the master's `master_repl_offset` (polled every
 * millisecond). Writes/s is the SETs sent divided by that time. The datasets
 * are then compared with DEBUG DIGEST, so a run that lost writes does not
 * count. The median of the repetitions is reported.
 *
 * Run on its own:
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write --allow-run --allow-env bench/replication.ts [writes] [reps]
 * ```
 *
 * @module
 */

import { Conn, infoSection, must } from "./resp_client.ts";
import {
  defaultEntry,
  freePort,
  quote,
  redisArgs,
  respiteArgs,
  type RespiteEntry,
  ROOT,
  tail,
} from "./servers.ts";

/** One repetition on one kind of server (or the medians of several). */
export interface ReplicationSample {
  /** SETs sent to the master. */
  writes: number;
  /** Milliseconds from the first write until the replica's offset equals the master's. */
  ms: number;
  /** writes / seconds. */
  writesPerSec: number;
  /** Replication stream bytes carried (growth of the master's offset). */
  streamBytes: number;
  /** Milliseconds from the first write until redis-benchmark exited. */
  loadMs: number;
  /** How far the replica was behind when redis-benchmark exited, in stream bytes. */
  lagBytes: number;
  /** Keys on the replica afterwards (equal to the master's; the digests matched). */
  keys: number;
}

/** What the replication benchmark measured. */
export interface ReplicationResult {
  writes: number;
  reps: number;
  /** Medians per field. */
  redis: ReplicationSample;
  respite: ReplicationSample;
  /** Every run, in the order measured. */
  runs: { redis: ReplicationSample[]; respite: ReplicationSample[] };
  /** The server command lines, for the report. */
  serverLines: string[];
  /** The commands sent, for the report. */
  commandLines: string[];
  /**
   * Respite/Redis writes/s of the first pass, when it missed its target
   * and a second pass ran (see {@link withRerun}): `reps`, `runs` and the
   * medians then cover both.
   */
  firstPassRatio?: number;
  /**
   * With a second pass: the median over all repetitions of each one's
   * Respite/Redis writes/s (its two runs ran back to back), which the
   * target is checked against.
   */
  pairRatio?: number;
}

/** Options of {@link measureReplication}. */
export interface ReplicationOptions {
  /** SETs per run (default 500,000). */
  writes?: number;
  /** Repetitions per kind; the median is reported (default 3). */
  reps?: number;
  /** Respite entry point (default main.ts when present). */
  entry?: RespiteEntry;
  /** Progress lines go here (default console.log). */
  log?: (line: string) => void;
}

/** Pipeline depth, clients and key range of the load. */
const PIPELINE = 32;
const CLIENTS = 50;
const KEYSPACE = 100_000;
/** SETs of the unmeasured warm-up load (lets V8 compile Respite's hot paths). */
const WARMUP = 50_000;

const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How to start one kind of server, as a master or as a replica of `master`. */
interface Kind {
  label: "Redis" | "Respite";
  cmd: string;
  args(port: number, master: number | undefined): string[];
  /** The command line as the report shows it. */
  shown(master: boolean): string;
}

/**
 * What both kinds get besides their usual benchmark arguments: the full sync
 * without Redis's 5 s diskless delay, and DEBUG for DEBUG DIGEST (Respite
 * also gets `--appendonly no`, which redisArgs already gives redis-server).
 */
const EXTRA = ["--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"];
const RESPITE_EXTRA = ["--appendonly", "no", ...EXTRA];

const replicaOf = (master: number | undefined) =>
  master === undefined ? [] : ["--replicaof", `127.0.0.1 ${master}`];

function kinds(entry: RespiteEntry): [Kind, Kind] {
  const shownReplica = (master: boolean) => master ? [] : ["--replicaof", "127.0.0.1 <master>"];
  return [
    {
      label: "Redis",
      cmd: "redis-server",
      args: (port, master) => [...redisArgs(port), ...EXTRA, ...replicaOf(master)],
      shown: (master) =>
        `redis-server ${
          [...redisArgs(0), ...EXTRA, ...shownReplica(master)].map(quote).join(" ")
        } --dir <tmpdir>`.replace("--port 0", master ? "--port <master>" : "--port <replica>"),
    },
    {
      label: "Respite",
      cmd: Deno.execPath(),
      args: (port, master) => [...respiteArgs(port, entry), ...RESPITE_EXTRA, ...replicaOf(master)],
      shown: (master) =>
        `deno ${
          [...respiteArgs(0, entry), ...RESPITE_EXTRA, ...shownReplica(master)].map(quote).join(" ")
        } --dir <tmpdir>`.replace("--port 0", master ? "--port <master>" : "--port <replica>"),
    },
  ];
}

/** A running server process with one open connection. */
interface Proc {
  port: number;
  conn: Conn;
  stop(): Promise<void>;
}

/** Spawns a server on its own temporary directory and waits until it answers PING. */
async function start(kind: Kind, master: number | undefined): Promise<Proc> {
  const port = freePort();
  const role = master === undefined ? "master" : "replica";
  const dir = await Deno.makeTempDir({
    prefix: `respite-bench-repl-${kind.label.toLowerCase()}-${role}-`,
  });
  const child = new Deno.Command(kind.cmd, {
    args: [...kind.args(port, master), "--dir", dir],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = tail(child.stdout);
  const err = tail(child.stderr);
  let exited = false;
  child.status.then(() => exited = true);
  const kill = async () => {
    for (const [signal, wait] of [["SIGTERM", 5000], ["SIGKILL", 5000]] as const) {
      if (exited) return;
      try {
        child.kill(signal);
      } catch { /* gone */ }
      await Promise.race([child.status, sleep(wait)]);
    }
  };
  const cleanup = async () => {
    await kill();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = performance.now() + 60_000;
  let conn: Conn | undefined;
  try {
    for (;;) {
      if (exited || performance.now() > deadline) {
        throw new Error(`${kind.label} ${role} did not start on port ${port}:\n${out()}${err()}`);
      }
      conn ??= await Conn.open(port).catch(() => undefined);
      if (conn) {
        const pong = await conn.call("PING").catch(() => undefined);
        if (pong === "PONG") break;
        if (pong === undefined) {
          conn.close();
          conn = undefined;
        }
      }
      await sleep(10);
    }
  } catch (e) {
    conn?.close();
    await cleanup();
    throw e;
  }
  const ready = conn;
  const stop = async () => {
    await ready.call("SHUTDOWN", "NOSAVE").catch(() => {});
    ready.close();
    await Promise.race([child.status, sleep(10_000)]);
    await cleanup();
  };
  return { port, conn: ready, stop };
}

/**
 * Polls INFO replication on both every millisecond until the replica's link
 * is up and its offset equals the master's; returns that offset and when it
 * was seen.
 */
async function caughtUp(
  master: Conn,
  replica: Conn,
  what: string,
  ms = 300_000,
): Promise<{ offset: number; at: number }> {
  const end = performance.now() + ms;
  for (;;) {
    const m = await infoSection(master, "replication");
    const r = await infoSection(replica, "replication");
    const at = performance.now();
    const offset = Number(m.get("master_repl_offset"));
    if (
      r.get("master_link_status") === "up" && Number(r.get("slave_repl_offset")) === offset
    ) {
      return { offset, at };
    }
    if (at > end) {
      throw new Error(
        `${what}: replica never caught up (master ${offset}, replica ${
          r.get("slave_repl_offset")
        }, link ${r.get("master_link_status")})`,
      );
    }
    await sleep(1);
  }
}

/** The redis-benchmark arguments of a load of `n` SETs on `port`. */
function loadArgs(port: string, n: number): string[] {
  return [
    "-h",
    "127.0.0.1",
    "-p",
    port,
    "-c",
    String(CLIENTS),
    "-n",
    String(n),
    "-P",
    String(PIPELINE),
    "-r",
    String(KEYSPACE),
    "-t",
    "set",
    "-q",
  ];
}

/** Runs redis-benchmark; fails when it does. */
async function load(port: number, n: number): Promise<void> {
  const out = await new Deno.Command("redis-benchmark", {
    args: loadArgs(String(port), n),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(600_000),
  }).output();
  if (!out.success) {
    throw new Error(`redis-benchmark failed: ${dec.decode(out.stderr).slice(0, 500)}`);
  }
}

/** One repetition on one kind: a fresh master and replica. */
async function runOnce(kind: Kind, writes: number): Promise<ReplicationSample> {
  const master = await start(kind, undefined);
  let replica: Proc | undefined;
  // A separate connection each for the first-write poll and the offset polls.
  let probe: Conn | undefined;
  try {
    replica = await start(kind, master.port);
    probe = await Conn.open(master.port);
    const m = master.conn, r = replica.conn;
    await caughtUp(m, r, `${kind.label} initial sync`, 60_000);

    await load(master.port, Math.min(WARMUP, writes));
    await must(m, "FLUSHALL");
    const base = await caughtUp(m, r, `${kind.label} warm-up`);
    if (await must(r, "DBSIZE") !== 0) throw new Error(`${kind.label}: replica not flushed`);

    // The first SET makes DBSIZE 1: poll it back to back until then.
    let loading = true;
    const running = load(master.port, writes).finally(() => loading = false);
    const firstWrite = (async () => {
      while (loading) {
        const sent = performance.now();
        if (Number(await must(probe!, "DBSIZE")) > 0) return sent;
      }
      return undefined;
    })();
    const [, first] = await Promise.all([running, firstWrite]);
    const loadEnd = performance.now();
    if (first === undefined) throw new Error(`${kind.label}: never saw the first write`);
    const lagAtEnd = await infoSection(m, "replication").then(async (mi) =>
      Number(mi.get("master_repl_offset")) -
      Number((await infoSection(r, "replication")).get("slave_repl_offset"))
    );
    const done = await caughtUp(m, r, `${kind.label} load`);

    const [dm, dr] = [await must(m, "DEBUG", "DIGEST"), await must(r, "DEBUG", "DIGEST")];
    if (dm !== dr) throw new Error(`${kind.label}: replica digest ${dr} != master's ${dm}`);
    const keys = Number(await must(r, "DBSIZE"));
    const ms = done.at - first;
    return {
      writes,
      ms,
      writesPerSec: writes / (ms / 1000),
      streamBytes: done.offset - base.offset,
      loadMs: loadEnd - first,
      lagBytes: lagAtEnd,
      keys,
    };
  } finally {
    probe?.close();
    await replica?.stop();
    await master.stop();
  }
}

/** The median of the finite values (NaN for none). */
function medianOf(values: number[]): number {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The median of each field over the runs. */
function medians(runs: ReplicationSample[]): ReplicationSample {
  const med = (f: keyof ReplicationSample) => medianOf(runs.map((r) => r[f]));
  return {
    writes: med("writes"),
    ms: med("ms"),
    writesPerSec: med("writesPerSec"),
    streamBytes: med("streamBytes"),
    loadMs: med("loadMs"),
    lagBytes: med("lagBytes"),
    keys: med("keys"),
  };
}

const NOT_MEASURED: ReplicationSample = {
  writes: NaN,
  ms: NaN,
  writesPerSec: NaN,
  streamBytes: NaN,
  loadMs: NaN,
  lagBytes: NaN,
  keys: NaN,
};

/**
 * Measures the writes per second carried to one replica, redis-server ->
 * redis-server and Respite -> Respite, alternating which goes first. A run
 * that fails is logged and left out of the medians.
 */
export async function measureReplication(
  opts: ReplicationOptions = {},
): Promise<ReplicationResult> {
  const writes = opts.writes ?? 500_000;
  const reps = opts.reps ?? 3;
  const log = opts.log ?? console.log;
  const [redis, respite] = kinds(opts.entry ?? defaultEntry());
  const runs = { redis: [] as ReplicationSample[], respite: [] as ReplicationSample[] };
  for (let rep = 0; rep < reps; rep++) {
    for (const kind of rep % 2 === 0 ? [redis, respite] : [respite, redis]) {
      let s: ReplicationSample;
      try {
        s = await runOnce(kind, writes);
      } catch (e) {
        console.error(`  replication ${kind.label}: ${e instanceof Error ? e.message : e}`);
        s = NOT_MEASURED;
      }
      (kind === redis ? runs.redis : runs.respite).push(s);
      log(
        `replication ${kind.label.padEnd(7)} ${s.writes} SETs carried in ${s.ms.toFixed(0)} ms: ` +
          `${Math.round(s.writesPerSec)} writes/s (${(s.streamBytes / 2 ** 20).toFixed(1)} MiB ` +
          `of stream; load done at ${s.loadMs.toFixed(0)} ms, replica ${s.lagBytes} bytes behind ` +
          `then; ${s.keys} keys, digests equal)`,
      );
    }
  }
  const loadLine = `redis-benchmark ${loadArgs("<master>", writes).join(" ")}`;
  return {
    writes,
    reps,
    redis: medians(runs.redis),
    respite: medians(runs.respite),
    runs,
    serverLines: [redis.shown(true), redis.shown(false), respite.shown(true), respite.shown(false)],
    commandLines: [
      "# until the replica's INFO replication has master_link_status:up and",
      "# slave_repl_offset equal to the master's master_repl_offset, polled every 1 ms:",
      `redis-benchmark ${loadArgs("<master>", Math.min(WARMUP, writes)).join(" ")}  # warm-up`,
      "redis-cli -p <master> FLUSHALL",
      "# wait for the replica again, then, timed from the first write (DBSIZE > 0 on the",
      "# master) until the replica's offset equals the master's after the load:",
      loadLine,
      "redis-cli -p <master> DEBUG DIGEST  # must equal the replica's",
    ],
  };
}

/**
 * Both passes as one result: the second pass's runs after the first's,
 * the medians over all of them, and the first pass's ratio kept.
 *
 * @example
 * ```ts ignore
 * let r = await measureReplication({ reps: 3 });
 * if (r.respite.writesPerSec < 0.8 * r.redis.writesPerSec) {
 *   r = withRerun(r, await measureReplication({ reps: 3 }));
 * }
 * ```
 */
export function withRerun(first: ReplicationResult, again: ReplicationResult): ReplicationResult {
  const runs = {
    redis: [...first.runs.redis, ...again.runs.redis],
    respite: [...first.runs.respite, ...again.runs.respite],
  };
  return {
    ...first,
    reps: first.reps + again.reps,
    runs,
    redis: medians(runs.redis),
    respite: medians(runs.respite),
    firstPassRatio: first.respite.writesPerSec / first.redis.writesPerSec,
    pairRatio: medianOf(runs.respite.map((x, i) => x.writesPerSec / runs.redis[i]!.writesPerSec)),
  };
}

if (import.meta.main) {
  const writes = Number(Deno.args[0] ?? 500_000);
  const reps = Number(Deno.args[1] ?? 3);
  const r = await measureReplication({ writes, reps });
  console.log(JSON.stringify({ redis: r.redis, respite: r.respite }, null, 2));
}
