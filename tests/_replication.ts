/**
 * Helpers for the replication tests: Respite and redis-server as child
 * processes, INFO parsing, waiting for replicas to catch up, and a seeded
 * mixed write load covering every type.
 *
 * @module
 */

import {
  call,
  info,
  prng,
  type Proc,
  RawClient,
  redisCli,
  sleep,
  type SpawnOptions,
  startRealRedis,
  startRespiteProc as startRespite,
  until,
} from "./_helpers.ts";

export { call, info, type Proc, until };

/** Diskless full syncs start at once, without waiting for more replicas. */
const NO_SYNC_DELAY = ["--repl-diskless-sync-delay", "0"];

/** Starts `main.ts` on a free port (diskless sync without delay, DEBUG on). */
export function startRespiteProc(args: string[] = [], opts: SpawnOptions = {}): Promise<Proc> {
  return startRespite([...NO_SYNC_DELAY, ...args], opts);
}

/** Starts redis-server on a free port (diskless sync without delay, DEBUG on). */
export function startRedisProc(args: string[] = [], opts: SpawnOptions = {}): Promise<Proc> {
  return startRealRedis([...NO_SYNC_DELAY, ...args], opts);
}

/** Waits until every replica's link is up and it applied the master's offset. */
export async function caughtUp(master: number, replicas: number[], ms = 15000): Promise<void> {
  await until(`replicas ${replicas} to catch up with ${master}`, async () => {
    const off = (await info(master, "replication")).get("master_repl_offset");
    for (const r of replicas) {
      const i = await info(r, "replication");
      if (i.get("master_link_status") !== "up" || i.get("slave_repl_offset") !== off) return false;
    }
    return true;
  }, ms);
}

/**
 * Makes the master reclaim the load's short-TTL keys (`t:*`, at most 40 ms)
 * now, so their DELs are in the stream before the datasets are compared:
 * EXISTS expires a key lazily, while KEYS only hides it.
 */
export async function expireShortTtls(port: number): Promise<void> {
  await sleep(60);
  const names = [...Array(40)].map((_, i) => `t:${i}`);
  await call(port, "EXISTS", ...names);
}

/** DEBUG DIGEST. */
export async function digest(port: number): Promise<string> {
  return String(await call(port, "DEBUG", "DIGEST"));
}

/** Sends commands pipelined through `redis-cli --pipe`; returns its summary. */
export async function pipe(port: number, cmds: readonly string[][]): Promise<string> {
  let s = "";
  for (const argv of cmds) {
    s += `*${argv.length}\r\n`;
    for (const a of argv) s += `$${new TextEncoder().encode(a).length}\r\n${a}\r\n`;
  }
  return (await redisCli(port, ["--pipe"], s)).trim();
}

/**
 * `n` writes of every type, deterministic for a seed: strings, counters,
 * lists, hashes, sets, sorted sets, streams, bitmaps, TTLs (some short, so
 * keys expire on the master while the load runs), MULTI/EXEC blocks, other
 * databases, and commands that propagate in a rewritten form (SPOP, INCRBYFLOAT,
 * EXPIRE, XADD *, GETEX, SET EX).
 */
export function mixedLoad(n: number, seed = 1, prefix = ""): string[][] {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const k = (t: string) => `${prefix}${t}:${Math.floor(r() * 40)}`;
  const v = () => `v${Math.floor(r() * 1000)}`;
  const num = () => String(Math.floor(r() * 100));
  const out: string[][] = [];
  const gens: (() => string[][])[] = [
    () => [["SET", k("s"), v()]],
    () => [["APPEND", k("s"), v()]],
    () => [["INCRBY", k("n"), num()]],
    () => [["INCRBYFLOAT", k("f"), "1.5"]],
    () => [["SET", k("s"), v(), "EX", "100"]],
    () => [["SET", k("t"), v(), "PX", String(1 + Math.floor(r() * 40))]],
    () => [["GETEX", k("s"), "PX", "100000"]],
    () => [["SETRANGE", k("s"), num(), "xy"]],
    () => [["RPUSH", k("l"), v(), v()]],
    () => [["LPUSH", k("l"), v()]],
    () => [["LPOP", k("l")]],
    () => [["LMOVE", k("l"), k("l"), "LEFT", "RIGHT"]],
    () => [["LTRIM", k("l"), "0", "5"]],
    () => [["HSET", k("h"), `f${num()}`, v()]],
    () => [["HINCRBY", k("h"), `c${num()}`, "3"]],
    () => [["HINCRBYFLOAT", k("h"), "fl", "0.25"]],
    () => [["HDEL", k("h"), `f${num()}`]],
    () => [["SADD", k("set"), v(), v()]],
    () => [["SREM", k("set"), v()]],
    () => [["SPOP", k("set")]],
    () => [["SINTERSTORE", k("set"), k("set"), k("set")]],
    () => [["ZADD", k("z"), num(), v()]],
    () => [["ZINCRBY", k("z"), "2.5", v()]],
    () => [["ZPOPMIN", k("z")]],
    () => [["ZUNIONSTORE", k("z"), "2", k("z"), k("z")]],
    () => [["XADD", k("x"), "*", "f", v()]],
    () => [["XADD", k("x"), "MAXLEN", "5", "*", "g", v()]],
    () => [["XTRIM", k("x"), "MAXLEN", "3"]],
    () => [["SETBIT", k("b"), num(), "1"]],
    () => [["EXPIRE", k("s"), "1000"]],
    () => [["PERSIST", k("s")]],
    () => [["DEL", k("s")]],
    () => [["COPY", k("s"), k("s2"), "REPLACE"]],
    () => [["SELECT", "2"], ["SET", k("db2"), v()], ["RPUSH", k("dbl"), v()], ["SELECT", "0"]],
    () => [["MULTI"], ["INCR", k("n")], ["RPUSH", k("l"), v()], ["SADD", k("set"), v()], ["EXEC"]],
  ];
  while (out.length < n) out.push(...pick(gens)());
  return out;
}

/** Describes how two datasets differ (keys, values, TTLs), for failure messages. */
export async function explainDiff(a: number, b: number): Promise<string> {
  const ca = await RawClient.connect(a), cb = await RawClient.connect(b);
  const out: string[] = [];
  try {
    for (let db = 0; db < 16 && out.length < 20; db++) {
      await ca.call("SELECT", String(db));
      await cb.call("SELECT", String(db));
      const ka = new Set(await ca.call("KEYS", "*") as string[]);
      const kb = new Set(await cb.call("KEYS", "*") as string[]);
      for (const k of ka) if (!kb.has(k)) out.push(`db${db} ${k}: only on :${a}`);
      for (const k of kb) if (!ka.has(k)) out.push(`db${db} ${k}: only on :${b}`);
      for (const k of ka) {
        if (!kb.has(k)) continue;
        const va = JSON.stringify([
          await ca.call("DEBUG", "DIGEST-VALUE", k),
          await ca.call("PEXPIRETIME", k),
        ]);
        const vb = JSON.stringify([
          await cb.call("DEBUG", "DIGEST-VALUE", k),
          await cb.call("PEXPIRETIME", k),
        ]);
        if (va !== vb) out.push(`db${db} ${k}: ${va} vs ${vb}`);
      }
      const sa = await ca.call("DBSIZE"), sb = await cb.call("DBSIZE");
      if (sa !== sb) out.push(`db${db} dbsize ${sa} vs ${sb}`);
    }
  } finally {
    ca.close();
    cb.close();
  }
  return out.join("\n");
}

/** Runs `fn` with a list it fills with started processes; stops them all, printing their logs on failure. */
export async function withProcs(fn: (started: Proc[]) => Promise<void>): Promise<void> {
  const procs: Proc[] = [];
  try {
    await fn(procs);
  } catch (e) {
    for (const p of procs) console.error(`--- log of :${p.port}\n${p.log()}`);
    throw e;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}
