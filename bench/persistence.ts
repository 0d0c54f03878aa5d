/**
 * The persistence benchmark: SAVE, BGSAVE and start-up load times of a
 * 1M-key RDB on the real redis-server and on Respite.
 *
 * For each server and repetition: a fresh process on an empty temporary
 * `--dir` (its start-up time is the empty-start baseline), `DEBUG POPULATE N`,
 * SAVE (wall clock of the command), BGSAVE (from the command until INFO
 * persistence shows the save finished, while a second connection PINGs every
 * millisecond: the slowest PING is the longest pause clients saw), the dump's
 * size, then SHUTDOWN NOSAVE and a new process on the same directory, timed
 * from spawn until it answers PING and INFO persistence shows `loading:0`.
 * The load time reported is that minus the empty start (both are shown).
 *
 * Run on its own:
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write --allow-run --allow-env bench/persistence.ts [keys] [reps]
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

/** One server's measurements (one run, or the medians of several). */
export interface PersistenceSample {
  /** Keys in the dataset (DBSIZE after the fill, and after the reload). */
  keys: number;
  /** SAVE, milliseconds from sending it to `+OK`. */
  saveMs: number;
  /** BGSAVE, milliseconds from sending it until INFO shows it finished. */
  bgsaveMs: number;
  /** The slowest PING round trip while the BGSAVE ran, milliseconds. */
  maxPingMs: number;
  /** When that PING was sent, milliseconds after BGSAVE was. */
  maxPingAtMs: number;
  /** PINGs answered during the BGSAVE. */
  pings: number;
  /** dump.rdb size in bytes after the BGSAVE. */
  fileBytes: number;
  /** Spawn until ready (PING answered, `loading:0`) on the N-key dump, ms. */
  startLoadedMs: number;
  /** The same on an empty directory, ms. */
  startEmptyMs: number;
  /** startLoadedMs - startEmptyMs. */
  loadMs: number;
}

/** What the persistence benchmark measured. */
export interface PersistenceResult {
  keys: number;
  reps: number;
  /** Medians per field. */
  redis: PersistenceSample;
  respite: PersistenceSample;
  /** Every run, in the order measured. */
  runs: { redis: PersistenceSample[]; respite: PersistenceSample[] };
  /** The server command lines, for the report. */
  serverLines: string[];
  /** The commands sent, for the report. */
  commandLines: string[];
}

/** Options of {@link measurePersistence}. */
export interface PersistenceOptions {
  /** Keys to fill with DEBUG POPULATE (default 1,000,000). */
  keys?: number;
  /** Repetitions per server; the median is reported (default 3). */
  reps?: number;
  /** Respite entry point (default main.ts when present). */
  entry?: RespiteEntry;
  /** Progress lines go here (default console.log). */
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How to start one of the two servers on a directory. */
interface Kind {
  label: "Redis" | "Respite";
  cmd: string;
  args(port: number, dir: string): string[];
  /** The command line as the report shows it. */
  shown(port: number): string;
}

/** Both get the debug command (for DEBUG POPULATE); redisArgs already says `--appendonly no`. */
const REDIS_EXTRA = ["--enable-debug-command", "yes"];
const RESPITE_EXTRA = ["--appendonly", "no", ...REDIS_EXTRA];

function kinds(entry: RespiteEntry): Kind[] {
  return [
    {
      label: "Redis",
      cmd: "redis-server",
      args: (port, dir) => [...redisArgs(port), ...REDIS_EXTRA, "--dir", dir],
      shown: (port) =>
        `redis-server ${[...redisArgs(port), ...REDIS_EXTRA].map(quote).join(" ")} --dir <tmpdir>`,
    },
    {
      label: "Respite",
      cmd: Deno.execPath(),
      args: (port, dir) => [...respiteArgs(port, entry), ...RESPITE_EXTRA, "--dir", dir],
      shown: (port) =>
        `deno ${
          [...respiteArgs(port, entry), ...RESPITE_EXTRA].map(quote).join(" ")
        } --dir <tmpdir>`,
    },
  ];
}

/** A running server process. */
interface Proc {
  port: number;
  conn: Conn;
  /** Milliseconds from spawn to ready (PING answered, `loading:0`). */
  readyMs: number;
  stop(): Promise<void>;
}

/**
 * Spawns a server on `dir` and times it until it answers PING (Redis
 * answers -LOADING while it loads) and INFO persistence says `loading:0`.
 * Polls every 2 ms.
 */
async function start(kind: Kind, dir: string): Promise<Proc> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(kind.cmd, {
    args: kind.args(port, dir),
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
  const deadline = started + 120_000;
  let conn: Conn | undefined;
  try {
    for (;;) {
      if (exited || performance.now() > deadline) {
        throw new Error(`${kind.label} did not start on port ${port}:\n${out()}${err()}`);
      }
      if (!conn) {
        conn = await Conn.open(port).catch(() => undefined);
        if (!conn) {
          await sleep(2);
          continue;
        }
      }
      const pong = await conn.call("PING").catch(() => undefined);
      if (pong === undefined) {
        conn.close();
        conn = undefined;
      } else if (
        pong === "PONG" && (await infoSection(conn, "persistence")).get("loading") === "0"
      ) {
        break;
      }
      await sleep(2);
    }
  } catch (e) {
    conn?.close();
    await kill();
    throw e;
  }
  const readyMs = performance.now() - started;
  const ready = conn;
  const stop = async () => {
    // NOSAVE: the dump on disk is the one the BGSAVE wrote.
    await ready.call("SHUTDOWN", "NOSAVE").catch(() => {});
    ready.close();
    await Promise.race([child.status, sleep(10_000)]);
    await kill();
  };
  return { port, conn: ready, readyMs, stop };
}

/** One repetition on one server. */
async function runOnce(kind: Kind, keys: number): Promise<PersistenceSample> {
  const dir = await Deno.makeTempDir({ prefix: `respite-bench-rdb-${kind.label.toLowerCase()}-` });
  try {
    const empty = await start(kind, dir);
    let saveMs: number, bgsaveMs: number, maxPingMs: number, maxPingAtMs: number;
    let pings: number, filled: number;
    try {
      const c = empty.conn;
      await must(c, "DEBUG", "POPULATE", String(keys));
      filled = Number(await must(c, "DBSIZE"));
      if (filled !== keys) throw new Error(`${kind.label}: DBSIZE ${filled} after the fill`);

      const t0 = performance.now();
      const ok = await must(c, "SAVE");
      saveMs = performance.now() - t0;
      if (ok !== "OK") throw new Error(`${kind.label}: SAVE replied ${ok}`);

      ({ bgsaveMs, maxPingMs, maxPingAtMs, pings } = await bgsave(kind, c, empty.port));
    } finally {
      await empty.stop();
    }
    const fileBytes = (await Deno.stat(`${dir}/dump.rdb`)).size;
    const loaded = await start(kind, dir);
    try {
      const n = Number(await must(loaded.conn, "DBSIZE"));
      if (n !== keys) throw new Error(`${kind.label}: DBSIZE ${n} after loading the dump`);
    } finally {
      await loaded.stop();
    }
    return {
      keys: filled,
      saveMs,
      bgsaveMs,
      maxPingMs,
      maxPingAtMs,
      pings,
      fileBytes,
      startLoadedMs: loaded.readyMs,
      startEmptyMs: empty.readyMs,
      loadMs: loaded.readyMs - empty.readyMs,
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/**
 * BGSAVE: sent on `c`, then INFO persistence polled every 2 ms on a second
 * connection until `rdb_saves` has grown and no save is in progress, while a
 * third connection sends a PING every millisecond.
 */
async function bgsave(
  kind: Kind,
  c: Conn,
  port: number,
): Promise<{ bgsaveMs: number; maxPingMs: number; maxPingAtMs: number; pings: number }> {
  const poll = await Conn.open(port);
  const pinger = await Conn.open(port);
  try {
    const savesBefore = Number((await infoSection(poll, "persistence")).get("rdb_saves"));
    if (!Number.isFinite(savesBefore)) throw new Error(`${kind.label}: no rdb_saves in INFO`);
    let done = false;
    let maxPingMs = 0;
    let maxPingAtMs = NaN;
    let pings = 0;
    let t0 = performance.now();
    const pinging = (async () => {
      while (!done) {
        const t = performance.now();
        await must(pinger, "PING");
        const ms = performance.now() - t;
        if (ms > maxPingMs) [maxPingMs, maxPingAtMs] = [ms, t - t0];
        pings++;
        await sleep(1);
      }
    })();
    t0 = performance.now();
    let bgsaveMs: number;
    try {
      const started = await must(c, "BGSAVE");
      if (started !== "Background saving started") {
        throw new Error(`${kind.label}: BGSAVE replied ${started}`);
      }
      for (;;) {
        const info = await infoSection(poll, "persistence");
        if (
          info.get("rdb_bgsave_in_progress") === "0" &&
          Number(info.get("rdb_saves")) > savesBefore
        ) {
          bgsaveMs = performance.now() - t0;
          if (info.get("rdb_last_bgsave_status") !== "ok") {
            throw new Error(
              `${kind.label}: rdb_last_bgsave_status ${info.get("rdb_last_bgsave_status")}`,
            );
          }
          break;
        }
        if (performance.now() - t0 > 300_000) throw new Error(`${kind.label}: BGSAVE never ended`);
        await sleep(2);
      }
    } finally {
      done = true;
      await pinging;
    }
    return { bgsaveMs, maxPingMs, maxPingAtMs, pings };
  } finally {
    poll.close();
    pinger.close();
  }
}

/** The median of each field over the runs. */
function medians(runs: PersistenceSample[]): PersistenceSample {
  const med = (f: keyof PersistenceSample) => {
    const s = runs.map((r) => r[f]).filter(Number.isFinite).sort((a, b) => a - b);
    if (s.length === 0) return NaN;
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  };
  return {
    keys: med("keys"),
    saveMs: med("saveMs"),
    bgsaveMs: med("bgsaveMs"),
    maxPingMs: med("maxPingMs"),
    maxPingAtMs: med("maxPingAtMs"),
    pings: med("pings"),
    fileBytes: med("fileBytes"),
    startLoadedMs: med("startLoadedMs"),
    startEmptyMs: med("startEmptyMs"),
    loadMs: med("loadMs"),
  };
}

const NOT_MEASURED: PersistenceSample = {
  keys: NaN,
  saveMs: NaN,
  bgsaveMs: NaN,
  maxPingMs: NaN,
  maxPingAtMs: NaN,
  pings: NaN,
  fileBytes: NaN,
  startLoadedMs: NaN,
  startEmptyMs: NaN,
  loadMs: NaN,
};

/**
 * Measures SAVE, BGSAVE and load times on both servers, alternating which
 * goes first. A run that fails is logged and left out of the medians.
 */
export async function measurePersistence(
  opts: PersistenceOptions = {},
): Promise<PersistenceResult> {
  const keys = opts.keys ?? 1_000_000;
  const reps = opts.reps ?? 3;
  const log = opts.log ?? console.log;
  const [redis, respite] = kinds(opts.entry ?? defaultEntry()) as [Kind, Kind];
  const runs = { redis: [] as PersistenceSample[], respite: [] as PersistenceSample[] };
  for (let rep = 0; rep < reps; rep++) {
    for (const kind of rep % 2 === 0 ? [redis, respite] : [respite, redis]) {
      let s: PersistenceSample;
      try {
        s = await runOnce(kind, keys);
      } catch (e) {
        console.error(`  persistence ${kind.label}: ${e instanceof Error ? e.message : e}`);
        s = NOT_MEASURED;
      }
      (kind === redis ? runs.redis : runs.respite).push(s);
      log(
        `persistence ${kind.label.padEnd(7)} save ${s.saveMs.toFixed(0)} ms, bgsave ${
          s.bgsaveMs.toFixed(0)
        } ms (max ping ${s.maxPingMs.toFixed(1)} ms at ${Math.round(s.maxPingAtMs) || 0} ms, ` +
          `${s.pings} pings), ` +
          `${(s.fileBytes / 2 ** 20).toFixed(1)} MiB, load ${s.loadMs.toFixed(0)} ms ` +
          `(start ${s.startLoadedMs.toFixed(0)} - empty ${s.startEmptyMs.toFixed(0)})`,
      );
    }
  }
  const port = "<port>";
  return {
    keys,
    reps,
    redis: medians(runs.redis),
    respite: medians(runs.respite),
    runs,
    serverLines: [redis, respite].map((k) => k.shown(0).replace("--port 0", `--port ${port}`)),
    commandLines: [
      `# on the empty server; its start-up (spawn until PING and loading:0) is the baseline`,
      `redis-cli -p ${port} DEBUG POPULATE ${keys}`,
      `redis-cli -p ${port} SAVE`,
      `redis-cli -p ${port} BGSAVE`,
      `#   until: INFO persistence has rdb_bgsave_in_progress:0, rdb_saves grown, status ok`,
      `#   meanwhile, on another connection: PING, then 1 ms pause, repeated`,
      `redis-cli -p ${port} SHUTDOWN NOSAVE`,
      `# same command line and --dir again: spawn until PING answers and INFO has loading:0`,
    ],
  };
}

if (import.meta.main) {
  const keys = Number(Deno.args[0] ?? 1_000_000);
  const reps = Number(Deno.args[1] ?? 3);
  const r = await measurePersistence({ keys, reps });
  console.log(JSON.stringify({ redis: r.redis, respite: r.respite }, null, 2));
}
