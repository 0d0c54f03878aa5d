/**
 * redis-cli's operations modes against Respite, each a bounded run (an
 * interval, then the process is killed): `--stat`, `--latency`,
 * `--latency-history`, `--pipe` and `--rdb` (a replica-style download of
 * a snapshot, which redis-server then loads). Where the output is
 * deterministic it is compared with redis-server's.
 */

import {
  hasRedis,
  hasRedisCli,
  RawClient,
  type Reply,
  spawnServer,
  startRealRedis,
  startRespite,
} from "./_helpers.ts";
import { assertEquals, assertMatch, assertOk } from "./_assert.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !hasRedisCli };

/**
 * Runs redis-cli for at most `ms` (then SIGTERM), its output unbuffered
 * so a killed run keeps what it printed; returns stdout and stderr.
 */
async function cli(
  port: number,
  args: string[],
  o: { ms?: number; stdin?: string } = {},
): Promise<{ out: string; err: string }> {
  const child = new Deno.Command("stdbuf", {
    args: ["-o0", "-e0", "redis-cli", "-p", String(port), ...args],
    stdin: o.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (o.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(o.stdin));
    await w.close();
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGTERM");
    } catch { /* exited already */ }
  }, o.ms ?? 10000);
  try {
    const r = await child.output();
    const dec = new TextDecoder();
    return { out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** The same small dataset on a server. */
async function fill(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await c.call("FLUSHALL");
    await c.call("SET", "s", "v");
    await c.call("RPUSH", "l", "a", "b", "c");
    await c.call("HSET", "h", "f", "1", "g", "2");
    await c.call("SADD", "set", "x", "y");
    await c.call("ZADD", "z", "1", "m", "2.5", "n");
    await c.call("XADD", "st", "1-1", "f", "v");
    await c.call("SET", "n", "12345");
    await c.call("SET", "ttl", "v", "EX", "1000");
  } finally {
    c.close();
  }
}

/** The first data line of `--stat`: keys, clients, blocked (memory and counters vary). */
function statColumns(out: string): string[] {
  const lines = out.split("\n");
  assertMatch(lines[0]!, /^------- data ------ -+ load -+ - child -$/);
  assertMatch(lines[1]!, /^keys\s+mem\s+clients\s+blocked\s+requests\s+connections\s*$/);
  const cols = lines[2]!.trim().split(/\s+/);
  assertMatch(cols[1]!, /^\d+(\.\d+)?[BKMG]?$/);
  assertMatch(lines[2]!, /\d+ \(\+\d+\)/);
  return [cols[0]!, cols[2]!, cols[3]!];
}

Deno.test({
  name: "cli modes: --stat shows the dataset and clients as for redis-server",
  ...opts,
  async fn() {
    const s = await startRespite();
    const redis = hasRedis ? await startRealRedis() : undefined;
    try {
      await fill(s.port);
      const ours = await cli(s.port, ["--stat", "-i", "0.2"], { ms: 1000 });
      const lines = ours.out.trim().split("\n");
      assertOk(lines.length >= 4, ours.out);
      assertEquals(statColumns(ours.out), ["8", "1", "0"]);
      if (redis !== undefined) {
        await fill(redis.port);
        const theirs = await cli(redis.port, ["--stat", "-i", "0.2"], { ms: 1000 });
        assertEquals(statColumns(ours.out), statColumns(theirs.out));
      }
    } finally {
      await s.close();
      await redis?.stop();
    }
  },
});

Deno.test({
  name: "cli modes: --latency and --latency-history sample Respite",
  ...opts,
  async fn() {
    const s = await startRespite();
    try {
      // Not a terminal: it samples for -i seconds (a PING every 10 ms),
      // prints "min max avg samples" and exits, as against redis-server.
      const lat = await cli(s.port, ["--latency", "-i", "0.3"], { ms: 5000 });
      const m = /^(\d+) (\d+) (\d+\.\d{2}) (\d+)\n$/.exec(lat.out);
      assertOk(m !== null, lat.out);
      assertOk(Number(m[1]) <= Number(m[2]) && Number(m[4]) >= 10, lat.out);
      // Windows of -i seconds, each closed by its range line.
      const hist = await cli(s.port, ["--latency-history", "-i", "0.3"], { ms: 1200 });
      const ranges = hist.out.split("\n").filter((l) => l.includes("seconds range"));
      assertOk(ranges.length >= 2, hist.out);
      for (const r of ranges) assertMatch(r, /^ -- 0\.\d\d seconds range$/);
    } finally {
      await s.close();
    }
  },
});

/** Mass insertion input: RESP commands, one of them failing. */
function pipeInput(n: number): string {
  let s = "";
  const cmd = (...argv: string[]) => {
    s += `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
  };
  for (let i = 0; i < n; i++) cmd("SET", `key:${i}`, `value:${i}`);
  cmd("INCR", "key:0");
  cmd("RPUSH", "list", "a", "b");
  return s;
}

Deno.test({
  name: "cli modes: --pipe inserts in mass and reports as for redis-server",
  ...opts,
  async fn() {
    const s = await startRespite();
    const redis = hasRedis ? await startRealRedis() : undefined;
    try {
      const run = async (port: number) => {
        const r = await cli(port, ["--pipe"], { stdin: pipeInput(5000) });
        const c = await RawClient.connect(port);
        try {
          const data: Reply[] = [
            await c.call("DBSIZE"),
            await c.call("GET", "key:4999"),
            await c.call("LRANGE", "list", "0", "-1"),
          ];
          return [r.out, r.err, data];
        } finally {
          c.close();
        }
      };
      const ours = await run(s.port);
      assertEquals(
        ours[0],
        "All data transferred. Waiting for the last reply...\n" +
          "Last reply received from server.\nerrors: 1, replies: 5002\n",
      );
      assertEquals(ours[1], "ERR value is not an integer or out of range\n");
      assertEquals(ours[2], [5001, "value:4999", ["a", "b"]]);
      if (redis !== undefined) assertEquals(ours, await run(redis.port));
    } finally {
      await s.close();
      await redis?.stop();
    }
  },
});

Deno.test({
  name: "cli modes: --rdb downloads a snapshot redis-server loads",
  ...opts,
  async fn() {
    const s = await startRespite({ config: { "enable-debug-command": "yes" } });
    const dir = await Deno.makeTempDir({ prefix: "respite-cli-rdb-" });
    let loaded;
    try {
      await fill(s.port);
      const file = `${dir}/download.rdb`;
      const r = await cli(s.port, ["--rdb", file]);
      assertMatch(r.err, /Transfer finished with success/);
      const bytes = await Deno.readFile(file);
      assertEquals(new TextDecoder().decode(bytes.subarray(0, 9)), "REDIS0010");
      const c = await RawClient.connect(s.port);
      const digest = await c.call("DEBUG", "DIGEST");
      c.close();
      if (hasRedis) {
        loaded = await spawnServer("redis", [
          ...["--dbfilename", "download.rdb", "--save", ""],
          ...["--enable-debug-command", "yes"],
        ], { dir });
        const l = await RawClient.connect(loaded.port);
        try {
          assertEquals(await l.call("DBSIZE"), 8);
          assertEquals(await l.call("LRANGE", "l", "0", "-1"), ["a", "b", "c"]);
          assertEquals(await l.call("DEBUG", "DIGEST"), digest);
        } finally {
          l.close();
        }
      }
    } finally {
      await s.close();
      await loaded?.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
