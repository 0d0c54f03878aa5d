/**
 * Helpers for the replication tests: Respite and redis-server as child
 * processes, INFO parsing, waiting for replicas to catch up, and a seeded
 * mixed write load covering every type.
 *
 * @module
 */

import {
  call,
  encodeCommand,
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

/** Waits until the master has every replica's acknowledgement of its whole stream. */
export async function acked(master: number, ms = 15000): Promise<void> {
  await until(`the replicas of ${master} to acknowledge its offset`, async () => {
    const i = await info(master, "replication");
    const off = i.get("master_repl_offset");
    const n = Number(i.get("connected_slaves"));
    for (let k = 0; k < n; k++) {
      if (!i.get(`slave${k}`)?.includes(`,offset=${off},`)) return false;
    }
    return true;
  }, ms);
}

/**
 * Makes the master reclaim the load's short-TTL keys (`t:*`, at most 40 ms)
 * now, so their DELs are in the stream before the datasets are compared:
 * EXISTS expires a key lazily, while KEYS only hides it.
 */
export async function expireShortTtls(port: number, prefix = ""): Promise<void> {
  await sleep(60);
  const names = [...Array(40)].map((_, i) => `${prefix}t:${i}`);
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
export async function withProcs<T>(fn: (started: Proc[]) => Promise<T>): Promise<T> {
  const procs: Proc[] = [];
  try {
    return await fn(procs);
  } catch (e) {
    for (const p of procs) console.error(`--- log of :${p.port}\n${p.log()}`);
    throw e;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

/** A TCP proxy to a local port whose links a test can cut. */
export interface TcpProxy {
  readonly port: number;
  /** Links made through it so far. */
  readonly accepted: number;
  /** Closes every link (both sides see the connection drop). */
  cut(): void;
  /** Cuts and stops listening. */
  close(): void;
}

/** Starts a {@link TcpProxy} in front of 127.0.0.1:`target`. */
export function tcpProxy(target: number): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  let accepted = 0;
  const forward = (from: Deno.Conn, to: Deno.Conn) =>
    from.readable.pipeTo(to.writable).catch(() => {}).finally(() => {
      for (const c of [from, to]) {
        if (!open.delete(c)) continue;
        try {
          c.close();
        } catch { /* closed */ }
      }
    });
  (async () => {
    for await (const c of listener) {
      accepted++;
      try {
        const up = await Deno.connect({ hostname: "127.0.0.1", port: target });
        open.add(c);
        open.add(up);
        forward(c, up);
        forward(up, c);
      } catch {
        c.close();
      }
    }
  })().catch(() => {});
  const cut = () => {
    for (const c of [...open]) {
      open.delete(c);
      try {
        c.close();
      } catch { /* closed */ }
    }
  };
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    cut,
    close() {
      listener.close();
      cut();
    },
  };
}

/**
 * A fake master: accepts connections and answers each command it reads
 * (its arguments joined by spaces) with what `answer` returns for it
 * (nothing when undefined), so a test can stop a replica's handshake at
 * any step.
 */
export interface FakeMaster {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Every command received, in order. */
  readonly lines: string[];
  /** Whether it was closed. */
  readonly closed: boolean;
  close(): void;
}

/**
 * Starts a {@link FakeMaster}; `answer` is also told which connection
 * (1 for the first) the command came on, and may answer bytes, or null to
 * hang up.
 */
export function fakeMaster(
  answer: (command: string, conn: number) => string | Uint8Array | null | undefined,
): FakeMaster {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const lines: string[] = [];
  let accepted = 0, closed = false;
  const serve = async (c: Deno.Conn, connNo: number) => {
    const buf = new Uint8Array(4096);
    let pending = "";
    /** The next complete command, its arguments joined by spaces. */
    const takeCommand = (): string | undefined => {
      let i = pending.indexOf("\r\n");
      if (i === -1) return undefined;
      if (!pending.startsWith("*")) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 2);
        return line;
      }
      const n = Number(pending.slice(1, i));
      let at = i + 2;
      const args: string[] = [];
      for (let k = 0; k < n; k++) {
        i = pending.indexOf("\r\n", at);
        if (i === -1) return undefined;
        const len = Number(pending.slice(at + 1, i));
        if (pending.length < i + 2 + len + 2) return undefined;
        args.push(pending.slice(i + 2, i + 2 + len));
        at = i + 2 + len + 2;
      }
      pending = pending.slice(at);
      return args.join(" ");
    };
    for (;;) {
      const n = await c.read(buf).catch(() => null);
      if (n === null) break;
      pending += new TextDecoder().decode(buf.subarray(0, n));
      // Commands from replicas are RESP arrays of bulk strings (or inline).
      for (;;) {
        const cmd = takeCommand();
        if (cmd === undefined) break;
        lines.push(cmd);
        const out = answer(cmd, connNo);
        if (out === null) {
          // Hangs up on the replica.
          try {
            c.close();
          } catch { /* closed */ }
          conns.delete(c);
          return;
        }
        if (out !== undefined) {
          const bytes = typeof out === "string" ? new TextEncoder().encode(out) : out;
          for (let off = 0; off < bytes.length;) {
            const w = await c.write(bytes.subarray(off)).catch(() => -1);
            if (w < 0) break;
            off += w;
          }
        }
      }
    }
    conns.delete(c);
    try {
      c.close();
    } catch { /* closed */ }
  };
  (async () => {
    for await (const c of listener) {
      accepted++;
      conns.add(c);
      serve(c, accepted);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    lines,
    get closed() {
      return closed;
    },
    close() {
      if (closed) return;
      closed = true;
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

/** `sync_full`, `sync_partial_ok` and `sync_partial_err` of a master. */
export async function syncCounters(port: number): Promise<[number, number, number]> {
  const s = await info(port, "stats");
  return [
    Number(s.get("sync_full")),
    Number(s.get("sync_partial_ok")),
    Number(s.get("sync_partial_err")),
  ];
}

/**
 * Writes from one client, pipelined in batches, until stopped; `stop`
 * resolves with the number of writes made.
 */
export function writeLoad(port: number, prefix = "load:"): { stop(): Promise<number> } {
  let running = true, n = 0;
  const done = (async () => {
    const c = await RawClient.connect(port);
    try {
      while (running) {
        const batch: string[][] = [];
        for (let i = 0; i < 50; i++, n++) {
          batch.push(
            n % 3 === 0 ? ["INCR", `${prefix}counter`] : ["SET", `${prefix}${n % 500}`, `v${n}`],
          );
        }
        let bytes = "";
        for (const argv of batch) bytes += latinOf(encodeCommand(argv));
        await c.write(bytes);
        for (let i = 0; i < batch.length; i++) await c.read();
        await sleep(5);
      }
    } finally {
      c.close();
    }
    return n;
  })();
  return {
    stop() {
      running = false;
      return done;
    },
  };
}

function latinOf(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}
