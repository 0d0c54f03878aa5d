/**
 * CONFIG GET and CONFIG SET against redis-server 7.0.15: the parameter set
 * CONFIG GET * lists and its default values, every parameter's validation
 * (each probed with the same values on both servers), multi-parameter
 * CONFIG SET and its rollback, and the error texts.
 */

import {
  diffSession,
  diffTest,
  freePort,
  hasRedis,
  RawClient,
  type Reply,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

/** CONFIG GET's pairs as a name -> value map. */
function pairs(r: Reply): Map<string, string> {
  const a = r as string[];
  const m = new Map<string, string>();
  for (let i = 0; i < a.length; i += 2) m.set(a[i]!, a[i + 1]!);
  return m;
}

/** Respite and redis-server, configured alike, for the duration of `fn`. */
async function withBoth(
  config: Record<string, string>,
  fn: (ours: RawClient, theirs: RawClient) => Promise<void>,
): Promise<void> {
  const respite = await startRespite({
    config: { "enable-debug-command": "yes", ...config },
  });
  const redis = await startRealRedis(Object.entries(config).flatMap(([k, v]) => [`--${k}`, v]));
  const ours = await RawClient.connect(respite.port);
  const theirs = await RawClient.connect(redis.port);
  try {
    await fn(ours, theirs);
  } finally {
    ours.close();
    theirs.close();
    await respite.close();
    await redis.stop();
  }
}

/** Parameters whose values differ by design: where each server runs. */
const PER_SERVER = new Set(["port", "dir"]);

/** Redis 7.0's hidden parameters: answered only when named. */
const HIDDEN = [
  "use-exit-on-panic",
  "rdb-key-save-delay",
  "key-load-delay",
  "watchdog-period",
  "loading-process-events-interval-bytes",
];

Deno.test({
  name: "diff: CONFIG GET * lists every parameter redis-server lists, with its defaults",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withBoth({}, async (ours, theirs) => {
      const mine = pairs(await ours.call("CONFIG", "GET", "*"));
      const real = pairs(await theirs.call("CONFIG", "GET", "*"));
      assertEquals([...mine.keys()].sort(), [...real.keys()].sort());
      for (const [k, v] of real) {
        if (PER_SERVER.has(k)) continue;
        assertEquals(mine.get(k), v, k);
      }
      for (const k of HIDDEN) {
        assertEquals(await ours.call("CONFIG", "GET", k), await theirs.call("CONFIG", "GET", k), k);
      }
    });
  },
});

/** Values every parameter is tried with. */
const GENERIC = [
  "abc",
  "",
  "-1",
  "0",
  "1",
  "7",
  "100",
  "1k",
  "1kb",
  "2mb",
  "1gb",
  "1.5",
  "5%",
  "150%",
  "-5%",
  "007",
  "+5",
  " 5",
  "0777",
  "999",
  "yes",
  "no",
  "YES",
  "-2147483649",
  "2147483648",
  "4294967296",
  "-9223372036854775808",
  "9223372036854775807",
  "9223372036854775808",
  "18446744073709551615",
  "18446744073709551616",
];

/** Extra values for the parameters with a syntax of their own. */
const SPECIAL: Record<string, string[]> = {
  save: ["3600 1 300 100", "100 1", "0 1", "10 -1", "10 1 20", "10 1 20 x", "10  1"],
  "client-output-buffer-limit": [
    "pubsub 1mb 2mb 3",
    "replica 1 2 3",
    "slave 1gb 2kb 30 pubsub 0 0 0",
    "master 1 2 3",
    "normal 1 2",
    "pubsub 1x 2 3",
    "pubsub 1 2 -1",
    "pubsub 1 2 x",
    "PUBSUB 4 5 6",
  ],
  "notify-keyspace-events": ["KEA", "Ex", "AKE$", "Kg$lshzxetmdn", "KEn", "AKn", "Q", "E"],
  "oom-score-adj-values": ["0 200 800", "1 2", "0 0 3000", "-5 10 20", "a b c", "1 2 3 4"],
  "shutdown-on-sigterm": ["save now", "nosave save", "default", "NOW force", "now now", "x"],
  "shutdown-on-sigint": ["nosave", "force save", "default save"],
  "proc-title-template": ["{title}", "{port}", "{{", "{", "}", "{unknown}", "{server-mode}"],
  "cluster-announce-hostname": ["a_b", "a-b.c", "x".repeat(300)],
  "latency-tracking-info-percentiles": ["50 99", "101", "abc 5", "0 100", "99.99"],
};

/**
 * Values left out: what would take the test's own connection away or the
 * server's memory (`maxclients` past the open files limit, a huge
 * replication backlog, the DEBUG watchdog), and AOF starts.
 */
const SKIP_VALUES: Record<string, (v: string) => boolean> = {
  "repl-backlog-size": (v) => v === "9223372036854775807" || v === "1gb",
  "watchdog-period": (v) => /^[1-9]/.test(v),
  appendonly: (v) => v.toLowerCase() === "yes",
  maxclients: (v) => Number(v) > 10000,
  "oom-score-adj": (v) => v.toLowerCase() === "absolute",
};

/** Parameters not probed: the connection's own (port, bind, the password). */
const SKIP = new Set(["port", "bind", "requirepass"]);

Deno.test({
  name: "diff: CONFIG SET validates every parameter as redis-server does",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withBoth({}, async (ours, theirs) => {
      const real = pairs(await theirs.call("CONFIG", "GET", "*"));
      const mine = pairs(await ours.call("CONFIG", "GET", "*"));
      const names = [...real.keys(), ...HIDDEN].filter((n) =>
        !SKIP.has(n) && mine.has(n) || HIDDEN.includes(n)
      );
      const mismatches: string[] = [];
      for (const name of names.sort()) {
        const enums = await enumValues(theirs, name);
        const values = [...GENERIC, ...enums, ...(SPECIAL[name] ?? [])]
          .filter((v) => !SKIP_VALUES[name]?.(v));
        for (const v of values) {
          const results: Reply[][] = [];
          for (const c of [ours, theirs]) {
            const before = pairs(await c.call("CONFIG", "GET", name)).get(name)!;
            const reply = await c.call("CONFIG", "SET", name, v);
            const after = pairs(await c.call("CONFIG", "GET", name)).get(name)!;
            if (after !== before) await c.call("CONFIG", "SET", name, before);
            results.push(PER_SERVER.has(name) ? [reply] : [reply, after]);
          }
          const [a, b] = results;
          if (JSON.stringify(a) !== JSON.stringify(b)) {
            mismatches.push(
              `${name} ${JSON.stringify(v)}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`,
            );
          }
        }
      }
      assertEquals(mismatches, []);
    });
  },
});

/** The values an enum parameter takes, from redis-server's error message. */
async function enumValues(c: RawClient, name: string): Promise<string[]> {
  const before = pairs(await c.call("CONFIG", "GET", name)).get(name)!;
  const r = await c.call("CONFIG", "SET", name, "\x01bad");
  if (r === "OK") await c.call("CONFIG", "SET", name, before);
  const m = typeof r === "object" && r !== null && "error" in r
    ? /must be one of the following: (.*)$/.exec(r.error)
    : null;
  return m ? m[1]!.split(", ").flatMap((v) => [v, v.toUpperCase()]) : [];
}

diffTest("CONFIG GET: several patterns, aliases, hidden parameters, case", [
  { cmd: ["CONFIG", "GET", "slave*"], unordered: true },
  { cmd: ["CONFIG", "GET", "*ziplist*"], unordered: true },
  { cmd: ["CONFIG", "GET", "min-slaves-*", "min-replicas-*"], unordered: true },
  { cmd: ["CONFIG", "GET", "lua-time-limit", "busy-reply-threshold"], unordered: true },
  { cmd: ["CONFIG", "GET", "slaveof", "replicaof", "SLAVEOF"], unordered: true },
  ["CONFIG", "GET", "MAXMEMORY"],
  { cmd: ["CONFIG", "GET", "maxmemory", "MAXMEMORY", "MaxMemory"], unordered: true },
  { cmd: ["CONFIG", "GET", "MAXMEM*"], unordered: true },
  { cmd: ["CONFIG", "GET", "*delay*"], unordered: true },
  ["CONFIG", "GET", "key-load-delay"],
  ["CONFIG", "GET", "rdb-key-save-delay"],
  ["CONFIG", "GET", "KEY-LOAD-DELAY"],
  { cmd: ["CONFIG", "GET", "*cluster*"], unordered: true },
  { cmd: ["CONFIG", "GET", "tls-*"], unordered: true },
  ["CONFIG", "GET", "plugin*"],
  ["CONFIG", "GET", "user"],
  ["CONFIG", "GET", "loadmodule"],
  ["CONFIG", "GET", "lua-replicate-commands"],
]);

diffTest("CONFIG SET: immutable, protected, unknown, duplicates, in Redis's words", [
  ["CONFIG", "SET", "daemonize", "no"],
  ["CONFIG", "SET", "databases", "4"],
  ["CONFIG", "SET", "unixsocket", "/tmp/x.sock"],
  ["CONFIG", "SET", "replicaof", "no one"],
  ["CONFIG", "SET", "slaveof", "no one"],
  ["CONFIG", "SET", "io-threads", "2"],
  ["CONFIG", "SET", "enable-protected-configs", "yes"],
  ["CONFIG", "SET", "dir", "/tmp"],
  ["CONFIG", "SET", "dbfilename", "x.rdb"],
  ["CONFIG", "SET", "protected-mode", "no"],
  ["CONFIG", "SET", "DIR", "/tmp"],
  // The first bad name decides: unknown before immutable, and after.
  ["CONFIG", "SET", "nosuch", "1", "daemonize", "no"],
  ["CONFIG", "SET", "daemonize", "no", "nosuch", "1"],
  ["CONFIG", "SET", "hz", "5", "dir", "/tmp", "nosuch", "1"],
  // An alias and its name are the same parameter.
  ["CONFIG", "SET", "slave-priority", "5", "replica-priority", "6"],
  ["CONFIG", "SET", "lua-time-limit", "5", "BUSY-REPLY-THRESHOLD", "6"],
  ["CONFIG", "SET", "hz", "5", "hz", "6", "nosuch", "1"],
  // A bad value names the parameter in lower case (an alias as itself).
  ["CONFIG", "SET", "SLAVE-PRIORITY", "abc"],
  ["CONFIG", "SET", "MAXMEMORY", "abc"],
  ["CONFIG", "SET", "Hash-Max-Ziplist-Entries", "-1"],
  ["CONFIG", "SET", "activedefrag", "yes"],
  ["CONFIG", "SET", "hz", "5", "maxmemory"],
  ["CONFIG", "SET", "hz"],
]);

diffTest("CONFIG SET of several parameters: all or nothing", [
  ["CONFIG", "SET", "hz", "20", "maxmemory", "1mb", "timeout", "5"],
  { cmd: ["CONFIG", "GET", "hz", "maxmemory", "timeout"], unordered: true },
  // The third value is bad: the first two are restored.
  ["CONFIG", "SET", "hz", "30", "maxmemory", "2mb", "timeout", "x"],
  { cmd: ["CONFIG", "GET", "hz", "maxmemory", "timeout"], unordered: true },
  ["CONFIG", "SET", "save", "100 1", "notify-keyspace-events", "Q"],
  ["CONFIG", "GET", "save"],
  ["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 2mb 3", "hz", "0"],
  ["CONFIG", "GET", "client-output-buffer-limit"],
  ["CONFIG", "GET", "hz"],
  // A class given alone keeps the others.
  ["CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 2mb 3"],
  ["CONFIG", "GET", "client-output-buffer-limit"],
  ["CONFIG", "SET", "hz", "10", "maxmemory", "0", "timeout", "0", "save", ""],
  [
    "CONFIG",
    "SET",
    "client-output-buffer-limit",
    "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60",
  ],
]);

/** A port something already listens on, for the failed apply. */
let busy: Deno.Listener | undefined;

diffSession("CONFIG SET port to a port in use fails as Redis's apply does, and restores all", [
  {
    act: () => {
      busy ??= Deno.listen({ hostname: "127.0.0.1", port: freePort() });
    },
  },
  [0, "CONFIG", "SET", "maxmemory", "1mb"],
  {
    act: async (_server, port) => {
      const c = await RawClient.connect(port);
      try {
        const p = String((busy!.addr as Deno.NetAddr).port);
        const r = await c.call("CONFIG", "SET", "timeout", "7", "port", p, "maxmemory", "2mb");
        assertEquals(r, {
          error:
            "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
        });
      } finally {
        c.close();
      }
    },
  },
  [0, "CONFIG", "GET", "timeout"],
  [0, "CONFIG", "GET", "maxmemory"],
  [1, "PING"],
], {
  cleanup: [["CONFIG", "SET", "maxmemory", "0", "timeout", "0"]],
});

Deno.test({
  name: "diff: enable-protected-configs lets local clients change dir and dbfilename",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    for (const mode of ["local", "yes"]) {
      await withBoth({ "enable-protected-configs": mode }, async (ours, theirs) => {
        const dir = await Deno.makeTempDir({ prefix: "respite-protected-" });
        try {
          for (
            const argv of [
              ["CONFIG", "SET", "dir", dir],
              ["CONFIG", "GET", "dir"],
              ["CONFIG", "SET", "dbfilename", "x.rdb"],
              ["CONFIG", "SET", "dbfilename", "a/x.rdb"],
              ["CONFIG", "SET", "dir", "/nonexistent"],
              ["CONFIG", "SET", "dir", "/etc/hostname"],
              ["CONFIG", "GET", "dir"],
              ["CONFIG", "SET", "protected-mode", "no"],
              ["CONFIG", "GET", "protected-mode"],
            ]
          ) {
            assertEquals(await ours.call(...argv), await theirs.call(...argv), argv.join(" "));
          }
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      });
    }
  },
});

Deno.test("CONFIG SET restores every value when an apply fails", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    const inUse = String((busy.addr as Deno.NetAddr).port);
    assertEquals(await c.call("CONFIG", "SET", "hz", "20", "port", inUse, "maxmemory", "1mb"), {
      error:
        "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
    });
    assertEquals(await c.call("CONFIG", "GET", "hz"), ["hz", "10"]);
    assertEquals(await c.call("CONFIG", "GET", "maxmemory"), ["maxmemory", "0"]);
    assertEquals(await c.call("CONFIG", "GET", "port"), ["port", String(s.port)]);
    assertEquals(await c.call("PING"), "PONG");
  } finally {
    c.close();
    busy.close();
    await s.close();
  }
});

Deno.test({
  name: "diff: CONFIG SET appendonly yes that cannot start the AOF answers Redis's reason",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // A file where the AOF directory should go: the AOF cannot start.
    const dirs = await Promise.all([0, 1].map(() => Deno.makeTempDir({ prefix: "respite-aof-" })));
    for (const d of dirs) await Deno.writeTextFile(`${d}/appendonlydir`, "");
    const respite = await startRespite({ config: { dir: dirs[0]! } });
    const redis = await startRealRedis([], { dir: dirs[1]! });
    try {
      const out: Reply[][] = [];
      for (const port of [respite.port, redis.port]) {
        const c = await RawClient.connect(port);
        try {
          out.push([
            await c.call("CONFIG", "SET", "appendonly", "yes"),
            await c.call("CONFIG", "GET", "appendonly"),
          ]);
        } finally {
          c.close();
        }
      }
      assertEquals(out[0], out[1]);
      assertEquals(out[0]![0], {
        error:
          "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs.",
      });
    } finally {
      await respite.close();
      await redis.stop();
      for (const d of dirs) await Deno.remove(d, { recursive: true });
    }
  },
});
