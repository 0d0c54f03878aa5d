/**
 * Two servers in one process: each follows its own configuration, and no
 * state crosses from one to the other (keys, scripts, functions, ACL
 * users, subscriptions, transactions, blocked clients, client ids,
 * statistics). Per-server state lives in each plugin's `init`, never in a
 * module.
 *
 * Each test collects every difference before failing, so one run lists all
 * the state that leaks.
 *
 * @module
 */

import type { ServerHandle } from "../../mod.ts";
import { RawClient, type Reply, startRespite } from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Collects mismatches instead of stopping at the first. */
class Expect {
  readonly problems: string[] = [];
  eq(what: string, actual: unknown, expected: unknown): void {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      this.problems.push(
        `${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
      );
    }
  }
  done(): void {
    assertEquals(this.problems, []);
  }
}

/** Starts two servers side by side; `fn` gets them and a client of each. */
async function withPair(
  configA: Record<string, string>,
  configB: Record<string, string>,
  fn: (
    a: { server: ServerHandle; c: RawClient },
    b: { server: ServerHandle; c: RawClient },
  ) => Promise<void>,
): Promise<void> {
  const sa = await startRespite({ config: configA });
  const sb = await startRespite({ config: configB });
  const ca = await RawClient.connect(sa.port);
  const cb = await RawClient.connect(sb.port);
  try {
    await fn({ server: sa, c: ca }, { server: sb, c: cb });
  } finally {
    ca.close();
    cb.close();
    await sa.close();
    await sb.close();
  }
}

/** INFO `section` as a map. */
async function info(c: RawClient, section: string): Promise<Record<string, string>> {
  const text = String(await c.call("INFO", section));
  return Object.fromEntries(
    text.split("\r\n").filter((l) => l.includes(":")).map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i), l.slice(i + 1)];
    }),
  );
}

/** The same writes on both servers; each value's encoding per its own thresholds. */
async function encodings(c: RawClient): Promise<Record<string, Reply>> {
  await c.call("HSET", "h", "a", "1", "b", "2", "c", "3");
  await c.call("SADD", "s", "1", "2", "3");
  await c.call("ZADD", "z", "1", "a", "2", "b", "3", "c");
  await c.call("PFADD", "hll", "a", "b", "c");
  return {
    hash: await c.call("OBJECT", "ENCODING", "h"),
    set: await c.call("OBJECT", "ENCODING", "s"),
    zset: await c.call("OBJECT", "ENCODING", "z"),
    hll: await c.call("PFDEBUG", "ENCODING", "hll"),
  };
}

const SMALL = {
  "hash-max-listpack-entries": "2",
  "set-max-intset-entries": "2",
  "zset-max-listpack-entries": "2",
  "hll-sparse-max-bytes": "0",
  "databases": "2",
  "enable-debug-command": "yes",
};

Deno.test({
  name: "isolation: each server follows its own configuration",
  ...opts,
  async fn() {
    const e = new Expect();
    await withPair(SMALL, { "enable-debug-command": "yes" }, async (a, b) => {
      // A was configured first: B's defaults must not have replaced its
      // thresholds, nor A's B's.
      e.eq("A's encodings", await encodings(a.c), {
        hash: "hashtable",
        set: "hashtable",
        zset: "skiplist",
        hll: "dense",
      });
      e.eq("B's encodings", await encodings(b.c), {
        hash: "listpack",
        set: "intset",
        zset: "listpack",
        hll: "sparse",
      });
      e.eq("A: SELECT 5", await a.c.call("SELECT", "5"), { error: "ERR DB index is out of range" });
      e.eq("B: SELECT 5", await b.c.call("SELECT", "5"), "OK");
      e.eq("B: SELECT 0", await b.c.call("SELECT", "0"), "OK");
      e.eq("A: CONFIG GET databases", await a.c.call("CONFIG", "GET", "databases"), [
        "databases",
        "2",
      ]);
      // A runtime change reaches only its own server.
      e.eq("A: CONFIG SET", await a.c.call("CONFIG", "SET", "set-max-intset-entries", "1"), "OK");
      e.eq(
        "B: CONFIG GET after A's SET",
        await b.c.call("CONFIG", "GET", "set-max-intset-entries"),
        ["set-max-intset-entries", "512"],
      );
      await b.c.call("SADD", "s2", "1", "2");
      e.eq("B: a 2-member intset", await b.c.call("OBJECT", "ENCODING", "s2"), "intset");
    });
    e.done();
  },
});

Deno.test({
  name: "isolation: maxmemory refuses writes on its own server only",
  ...opts,
  async fn() {
    const e = new Expect();
    await withPair({ maxmemory: "1" }, { maxmemory: "0" }, async (a, b) => {
      // A's client alone is over one byte: its very first write is refused.
      e.eq("A: SET", await a.c.call("SET", "k", "v"), {
        error: "OOM command not allowed when used memory > 'maxmemory'.",
      });
      e.eq("B: SET", await b.c.call("SET", "k", "v"), "OK");
      e.eq("B: SET again", await b.c.call("SET", "k2", "v"), "OK");
      e.eq("A: maxmemory", (await info(a.c, "memory")).maxmemory, "1");
      e.eq("B: maxmemory", (await info(b.c, "memory")).maxmemory, "0");
    });
    e.done();
  },
});

Deno.test({
  name: "isolation: keys, scripts, functions, ACL users and transactions stay on their server",
  ...opts,
  async fn() {
    const e = new Expect();
    await withPair({}, {}, async (a, b) => {
      // B watches before A writes the same key: B's transaction goes through.
      e.eq("B: WATCH", await b.c.call("WATCH", "k"), "OK");
      e.eq("A: SET", await a.c.call("SET", "k", "a"), "OK");
      e.eq("B: GET", await b.c.call("GET", "k"), null);
      e.eq("B: MULTI", await b.c.call("MULTI"), "OK");
      e.eq("B: SET (queued)", await b.c.call("SET", "k", "b"), "QUEUED");
      e.eq("B: EXEC", await b.c.call("EXEC"), ["OK"]);
      e.eq("A: GET", await a.c.call("GET", "k"), "a");
      e.eq("B: DBSIZE", await b.c.call("DBSIZE"), 1);

      const sha = String(await a.c.call("SCRIPT", "LOAD", "return 'a'"));
      e.eq("B: SCRIPT EXISTS", await b.c.call("SCRIPT", "EXISTS", sha), [0]);
      e.eq("B: EVALSHA", await b.c.call("EVALSHA", sha, "0"), {
        error: "NOSCRIPT No matching script. Please use EVAL.",
      });

      const lib = "#!lua name=lib\nredis.register_function('f', function() return 'a' end)";
      e.eq("A: FUNCTION LOAD", await a.c.call("FUNCTION", "LOAD", lib), "lib");
      e.eq("B: FUNCTION LIST", await b.c.call("FUNCTION", "LIST"), []);
      e.eq("B: FCALL", await b.c.call("FCALL", "f", "0"), { error: "ERR Function not found" });
      e.eq("A: FCALL", await a.c.call("FCALL", "f", "0"), "a");

      e.eq(
        "A: ACL SETUSER",
        await a.c.call("ACL", "SETUSER", "alice", "on", ">pw", "~*", "+@all"),
        "OK",
      );
      e.eq("B: ACL USERS", await b.c.call("ACL", "USERS"), ["default"]);
      e.eq("B: AUTH alice", await b.c.call("AUTH", "alice", "pw"), {
        error: "WRONGPASS invalid username-password pair or user is disabled.",
      });
      e.eq("A: AUTH alice", await a.c.call("AUTH", "alice", "pw"), "OK");

      e.eq("A: CLIENT SETNAME", await a.c.call("CLIENT", "SETNAME", "only-on-a"), "OK");
      const list = String(await b.c.call("CLIENT", "LIST"));
      e.eq("B: CLIENT LIST names", list.includes("only-on-a"), false);
    });
    e.done();
  },
});

Deno.test({
  name: "isolation: subscriptions, notifications and blocked clients stay on their server",
  ...opts,
  async fn() {
    const e = new Expect();
    await withPair({ "notify-keyspace-events": "KEA" }, {}, async (a, b) => {
      const subA = await RawClient.connect(a.server.port);
      const subB = await RawClient.connect(b.server.port);
      const blocked = await RawClient.connect(b.server.port);
      try {
        await subA.call("SUBSCRIBE", "ch");
        await subB.call("PSUBSCRIBE", "*");
        e.eq("B: PUBLISH", await b.c.call("PUBLISH", "ch", "m"), 1);
        e.eq("B's subscriber gets B's message", (await subB.read()).value, [
          "pmessage",
          "*",
          "ch",
          "m",
        ]);
        e.eq("A: PUBSUB NUMPAT", await a.c.call("PUBSUB", "NUMPAT"), 0);
        e.eq("A: PUBSUB CHANNELS", await a.c.call("PUBSUB", "CHANNELS"), ["ch"]);
        e.eq("B: PUBSUB CHANNELS", await b.c.call("PUBSUB", "CHANNELS"), []);
        // A's write notifies (its own config) and nobody on B hears of it.
        e.eq("A: SET", await a.c.call("SET", "k", "v"), "OK");
        e.eq("A: PUBLISH", await a.c.call("PUBLISH", "ch", "n"), 1);
        e.eq("A's subscriber", (await subA.read()).value, ["message", "ch", "n"]);
        await b.c.call("SET", "k2", "v");
        const heard = await subB.read(200).then((r) => r.value, () => "nothing");
        e.eq("B's subscriber after writes on A and B", heard, "nothing");

        await blocked.write("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n");
        await new Promise((r) => setTimeout(r, 50));
        e.eq("A: LPUSH", await a.c.call("LPUSH", "q", "x"), 1);
        const woke = await blocked.read(200).then((r) => r.value, () => "still blocked");
        e.eq("B's BLPOP after A's LPUSH", woke, "still blocked");
        e.eq("A: blocked_clients", (await info(a.c, "clients")).blocked_clients, "0");
        e.eq("B: blocked_clients", (await info(b.c, "clients")).blocked_clients, "1");
      } finally {
        subA.close();
        subB.close();
        blocked.close();
      }
    });
    e.done();
  },
});

Deno.test({
  name: "isolation: client ids, statistics and identities are per server",
  ...opts,
  async fn() {
    const e = new Expect();
    await withPair({}, {}, async (a, b) => {
      const idB = await b.c.call("CLIENT", "ID");
      const statsB = await info(b.c, "stats");
      const dirtyB = (await info(b.c, "persistence")).rdb_changes_since_last_save;
      const more = await Promise.all([1, 2, 3].map(() => RawClient.connect(a.server.port)));
      try {
        for (const c of more) {
          await c.call("SET", "k", "v");
          await c.call("GET", "k");
          await c.call("GET", "missing");
          await c.call("NOSUCHCOMMAND");
          await c.call("SET", "t", "v", "PX", "1");
        }
        await new Promise((r) => setTimeout(r, 10));
        await a.c.call("GET", "t"); // expires it
        const fresh = await RawClient.connect(b.server.port);
        try {
          e.eq("B: a new client's id", await fresh.call("CLIENT", "ID"), (idB as number) + 1);
        } finally {
          fresh.close();
        }
        const after = await info(b.c, "stats");
        for (
          const f of [
            "keyspace_hits",
            "keyspace_misses",
            "expired_keys",
            "total_error_replies",
            "rejected_connections",
          ]
        ) {
          e.eq(`B: ${f}`, after[f], statsB[f]);
        }
        // B's own: the two INFOs and the new client's CLIENT ID (a command
        // is counted once it ran: the last INFO is not in its own count).
        e.eq(
          "B: total_commands_processed",
          Number(after.total_commands_processed),
          Number(statsB.total_commands_processed) + 3,
        );
        e.eq(
          "B: total_connections_received",
          Number(after.total_connections_received),
          Number(statsB.total_connections_received) + 1,
        );
        e.eq(
          "B: rdb_changes_since_last_save",
          (await info(b.c, "persistence")).rdb_changes_since_last_save,
          dirtyB,
        );
        const cmdstats = await info(b.c, "commandstats");
        e.eq("B: cmdstat_set", cmdstats.cmdstat_set, undefined);
        e.eq("B: errorstat_ERR", (await info(b.c, "errorstats")).errorstat_ERR, undefined);
        const ra = await info(a.c, "server"), rb = await info(b.c, "server");
        e.eq("run_id differs", ra.run_id !== rb.run_id, true);
        const ia = await info(a.c, "replication"), ib = await info(b.c, "replication");
        e.eq("master_replid differs", ia.master_replid !== ib.master_replid, true);
        e.eq("B: master_repl_offset", ib.master_repl_offset, "0");
      } finally {
        for (const c of more) c.close();
      }
    });
    e.done();
  },
});
