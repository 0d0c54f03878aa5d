/**
 * Helpers for the Sentinel tests: real `redis-sentinel` processes (each
 * with its own writable config file, as Sentinel rewrites it), a set of
 * three watching one master, and the questions the tests ask them.
 *
 * @module
 */

import { call, freePort, type Proc, sleep, until } from "./_helpers.ts";

/** Whether `redis-sentinel` can be run here. */
export const hasSentinel: boolean = (() => {
  try {
    return new Deno.Command("redis-sentinel", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** The name the Sentinels monitor the master under. */
export const MASTER = "mymaster";

/** Timings small enough for tests (milliseconds). */
export interface SentinelTimings {
  downAfter: number;
  failoverTimeout: number;
}

/**
 * The timings every Sentinel test uses. A second of `down-after` was too
 * short on a loaded 2-core machine: a Sentinel whose new link to a just
 * promoted master got no PONG for a second (a Deno process starting
 * beside them) saw it down, two agreed, and a second failover promoted
 * the old master just restarted empty.
 */
export const TIMINGS: SentinelTimings = { downAfter: 3000, failoverTimeout: 5000 };

/** A redis-sentinel process. */
export interface Sentinel {
  readonly port: number;
  readonly log: () => string;
  stop(): Promise<void>;
}

/** Starts a redis-sentinel monitoring 127.0.0.1:`masterPort` with `quorum`. */
export async function startSentinel(
  masterPort: number,
  quorum = 2,
  t: SentinelTimings = TIMINGS,
): Promise<Sentinel> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "respite-sentinel-" });
  const conf = `${dir}/sentinel.conf`;
  await Deno.writeTextFile(
    conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${MASTER} 127.0.0.1 ${masterPort} ${quorum}`,
      `sentinel down-after-milliseconds ${MASTER} ${t.downAfter}`,
      `sentinel failover-timeout ${MASTER} ${t.failoverTimeout}`,
      "",
    ].join("\n"),
  );
  const child = new Deno.Command("redis-sentinel", {
    args: [conf],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += dec.decode(chunk, { stream: true });
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let exited = false;
  const status = child.status.then(() => (exited = true));
  const s: Sentinel = {
    port,
    log: () => text,
    async stop() {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
      await status;
      await drained;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  try {
    await until(`sentinel on ${port}`, async () => {
      if (exited) throw new Error(`redis-sentinel exited:\n${text}`);
      return (await call(port, "PING").catch(() => null)) === "PONG";
    });
  } catch (e) {
    await s.stop();
    throw e;
  }
  return s;
}

/** A Sentinel's answer as a field map (SENTINEL MASTER, an entry of REPLICAS). */
export function fields(reply: unknown): Map<string, string> {
  const m = new Map<string, string>();
  const a = reply as string[];
  for (let i = 0; i + 1 < a.length; i += 2) m.set(a[i]!, a[i + 1]!);
  return m;
}

/** The master's port as a Sentinel names it. */
export async function masterPortOf(sentinel: number): Promise<number> {
  const r = await call(sentinel, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER) as string[];
  return Number(r[1]);
}

/** What a Sentinel knows of the master's replicas, by port. */
export async function replicasOf(sentinel: number): Promise<Map<number, Map<string, string>>> {
  const list = await call(sentinel, "SENTINEL", "REPLICAS", MASTER) as unknown[];
  const out = new Map<number, Map<string, string>>();
  for (const r of list) {
    const f = fields(r);
    out.set(Number(f.get("port")), f);
  }
  return out;
}

/** How many other Sentinels a Sentinel knows (through the hello messages). */
export async function sentinelsKnown(sentinel: number): Promise<number> {
  return (await call(sentinel, "SENTINEL", "SENTINELS", MASTER) as unknown[]).length;
}

/**
 * Waits until every Sentinel knows the others and sees each of `replicas`
 * as a replica of `master` with its link up.
 */
export async function settled(
  sentinels: readonly Sentinel[],
  master: number,
  replicas: readonly number[],
  ms = 30000,
): Promise<void> {
  await until(`the Sentinels to agree on ${master} and ${replicas}`, async () => {
    for (const s of sentinels) {
      if (await masterPortOf(s.port) !== master) return false;
      if (await sentinelsKnown(s.port) !== sentinels.length - 1) return false;
      const known = await replicasOf(s.port);
      for (const r of replicas) {
        const f = known.get(r);
        if (f === undefined || f.get("master-link-status") !== "ok") return false;
        if (f.get("flags") !== "slave" || f.get("master-port") !== String(master)) return false;
      }
    }
    return true;
  }, ms);
}

/** Waits until every Sentinel names `port` as the master; returns the ms it took. */
export async function switched(
  sentinels: readonly Sentinel[],
  port: number,
  ms = 30000,
): Promise<number> {
  const t0 = Date.now();
  await until(`the Sentinels to switch to ${port}`, async () => {
    for (const s of sentinels) if (await masterPortOf(s.port) !== port) return false;
    return true;
  }, ms);
  return Date.now() - t0;
}

/**
 * Runs `fn` with lists it fills with started servers and Sentinels; stops
 * them all, printing their logs when it fails.
 */
export async function withDeployment(
  fn: (procs: Proc[], sentinels: Sentinel[]) => Promise<void>,
): Promise<void> {
  const procs: Proc[] = [], sentinels: Sentinel[] = [];
  try {
    await fn(procs, sentinels);
  } catch (e) {
    for (const p of procs) console.error(`--- log of :${p.port}\n${p.log()}`);
    for (const s of sentinels) console.error(`--- log of sentinel :${s.port}\n${s.log()}`);
    throw e;
  } finally {
    await Promise.all([...procs.map((p) => p.stop()), ...sentinels.map((s) => s.stop())]);
  }
}

/** Starts three Sentinels (quorum 2) over the master on `masterPort`. */
export async function threeSentinels(masterPort: number, into: Sentinel[]): Promise<Sentinel[]> {
  const out: Sentinel[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await startSentinel(masterPort);
    into.push(s);
    out.push(s);
  }
  return out;
}

export { sleep };
