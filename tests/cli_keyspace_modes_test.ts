/**
 * redis-cli's keyspace modes against Respite: --bigkeys, --memkeys,
 * --hotkeys and --scan, with the same dataset loaded into a real
 * redis-server and the deterministic parts of the outputs compared (the
 * summaries of --bigkeys, which keys --memkeys finds biggest, the hottest
 * key, what --scan lists).
 *
 * @module
 */

import {
  hasRedis,
  hasRedisCli,
  RawClient,
  redisCli,
  startRealRedis,
  startRespite,
} from "./_helpers.ts";
import { assertEquals, assertMatch, assertOk } from "./_assert.ts";

/** Loads the same keys into a server: every type, sizes well apart. */
async function load(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await c.call("FLUSHALL");
    for (let i = 1; i <= 12; i++) {
      // Sizes far enough apart that Redis's allocator classes tell them apart.
      await c.call("SET", `str:${i}`, "x".repeat(i * i * 100));
      const n = i * i * i * 2;
      await c.call("RPUSH", `list:${i}`, ...Array.from({ length: n }, (_, j) => `e${j}`));
    }
    await c.call("HSET", "hash:small", "f", "v");
    await c.call("HSET", "hash:big", ...Array.from({ length: 40 }, (_, j) => `f${j}`));
    await c.call("SADD", "set:a", "a", "b", "c");
    await c.call("ZADD", "zset:a", "1", "a", "2", "b");
    await c.call("XADD", "stream:a", "1-1", "f", "v");
    await c.call("XADD", "stream:a", "1-2", "f", "v");
  } finally {
    c.close();
  }
}

/** The part of a --bigkeys/--memkeys/--hotkeys run after "-------- summary -------". */
function summary(out: string): string[] {
  const at = out.indexOf("-------- summary -------");
  assertOk(at !== -1, out);
  return out.slice(at).split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

/** Runs the same redis-cli mode on Respite and, when installed, on redis-server. */
async function both(
  args: string[],
  config: Record<string, string> = {},
): Promise<{ ours: string; theirs: string | undefined }> {
  const s = await startRespite({ config });
  const real = hasRedis
    ? await startRealRedis(Object.entries(config).flatMap(([k, v]) => [`--${k}`, v]))
    : undefined;
  try {
    await load(s.port);
    if (real) await load(real.port);
    return {
      ours: await redisCli(s.port, args),
      theirs: real ? await redisCli(real.port, args) : undefined,
    };
  } finally {
    await s.close();
    await real?.stop();
  }
}

const opts = { ignore: !hasRedisCli, sanitizeOps: false, sanitizeResources: false };

Deno.test({
  ...opts,
  name: "redis-cli --bigkeys: the same summary as redis-server's",
  async fn() {
    const { ours, theirs } = await both(["--bigkeys"]);
    const lines = summary(ours);
    assertOk(lines.includes(`Biggest string found '"str:12"' has 14400 bytes`), ours);
    assertOk(lines.includes(`Biggest   list found '"list:12"' has 3456 items`), ours);
    assertOk(
      lines.includes(`12 strings with 65000 bytes (41.38% of keys, avg size 5416.67)`),
      ours,
    );
    if (theirs !== undefined) assertEquals(lines, summary(theirs));
  },
});

/** `type -> key` of the "Biggest <type> found '<key>' has N bytes" lines. */
function biggest(lines: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of lines) {
    const r = /^Biggest\s+(\w+) found '"(.*)"' has (\d+) bytes$/.exec(l);
    if (r) {
      assertOk(Number(r[3]) > 0, l);
      m.set(r[1]!, r[2]!);
    }
  }
  return m;
}

Deno.test({
  ...opts,
  name: "redis-cli --memkeys: sizes from MEMORY USAGE, the same biggest keys as redis-server",
  async fn() {
    const { ours, theirs } = await both(["--memkeys", "--memkeys-samples", "0"]);
    const lines = summary(ours);
    const found = biggest(lines);
    assertEquals(found.get("string"), "str:12");
    assertEquals(found.get("list"), "list:12");
    assertEquals(found.get("hash"), "hash:big");
    assertEquals(found.size, 6);
    // Every type's total is counted in bytes, none zero.
    for (const type of ["strings", "lists", "hashs", "sets", "zsets", "streams"]) {
      const l = lines.find((x) => x.includes(` ${type} with `));
      assertMatch(l ?? "", /^\d+ \w+ with [1-9]\d* bytes/);
    }
    if (theirs !== undefined) {
      assertEquals(found, biggest(summary(theirs)));
      const counts = (ls: string[]) =>
        ls.filter((l) => / with \d+ bytes \(/.test(l)).map((l) => l.split(" with ")[0]);
      assertEquals(counts(lines), counts(summary(theirs)));
    }
  },
});

Deno.test({
  ...opts,
  name: "redis-cli --hotkeys: OBJECT FREQ under an LFU policy finds the hottest key",
  async fn() {
    // lfu-log-factor 0: every access counts, so the counters are exact.
    const config = { "maxmemory-policy": "allkeys-lfu", "lfu-log-factor": "0" };
    const s = await startRespite({ config });
    const real = hasRedis
      ? await startRealRedis(Object.entries(config).flatMap(([k, v]) => [`--${k}`, v]))
      : undefined;
    try {
      const outs = [];
      for (const port of [s.port, ...(real ? [real.port] : [])]) {
        await load(port);
        const c = await RawClient.connect(port);
        // A new key's counter is 5; the second XADD made stream:a's 6.
        for (let i = 0; i < 4; i++) await c.call("GET", "str:7");
        c.close();
        const lines = summary(await redisCli(port, ["--hotkeys"]));
        outs.push(lines);
        assertEquals(lines[2], `hot key found with counter: 9\tkeyname: "str:7"`, lines.join("\n"));
        assertEquals(lines[3], `hot key found with counter: 6\tkeyname: "stream:a"`);
        assertEquals(lines.length, 2 + 16);
      }
      if (outs.length === 2) assertEquals(outs[0]!.slice(0, 4), outs[1]!.slice(0, 4));
      // Without an LFU policy, OBJECT FREQ refuses, as redis-cli reports.
      const c = await RawClient.connect(s.port);
      await c.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
      c.close();
      const out = await redisCli(s.port, ["--hotkeys"]);
      assertOk(!out.includes("hot key found"), out);
    } finally {
      await s.close();
      await real?.stop();
    }
  },
});

Deno.test({
  ...opts,
  name: "redis-cli --scan lists the keys redis-server lists (all, --pattern, --quoted-pattern)",
  async fn() {
    const runs: [string[], number][] = [
      [["--scan"], 29],
      [["--scan", "--pattern", "str:1*"], 4],
      [["--scan", "--quoted-pattern", '"list:?"'], 9],
    ];
    for (const [args, n] of runs) {
      const { ours, theirs } = await both(args);
      const keys = ours.split("\n").filter((l) => l !== "").sort();
      assertEquals(keys.length, n, ours);
      if (theirs !== undefined) {
        assertEquals(keys, theirs.split("\n").filter((l) => l !== "").sort());
      }
    }
  },
});
