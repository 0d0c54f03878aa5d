/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. Differential scripts
 * against redis-server for everything one connection can show; several
 * raw connections for WATCH across clients and EXEC's atomicity; a capture
 * plugin for propagation; ioredis and node-redis for the client APIs.
 */

import { Redis } from "ioredis";
import { createClient } from "redis";
import { definePlugin } from "../../mod.ts";
import type { Bytes } from "../../core/types.ts";
import { keys } from "../../core/registry.ts";
import { ManualClock } from "../../core/clock.ts";
import {
  diffDirty,
  diffTest,
  hasRedis,
  RawClient,
  type Reply,
  sharedServers,
  sleep,
  startRespite,
} from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

const EXECABORT = { error: "EXECABORT Transaction discarded because of previous errors." };

diffDirty("EXEC counts its queued commands' changes, MULTI and the queueing none", [
  ["MULTI"],
  ["SET", "a", "1"],
  ["RPUSH", "l", "x", "y", "z"],
  ["SADD", "s", "m"],
  ["GET", "a"],
  ["EXEC"],
  ["MULTI"],
  ["DEL", "nosuch"],
  ["EXEC"],
  ["MULTI"],
  ["SET", "a", "2"],
  ["DISCARD"],
  ["WATCH", "a"],
  ["UNWATCH"],
]);

diffTest("COMMAND INFO and DOCS of the transaction commands", [
  ["COMMAND", "INFO", "multi", "exec", "discard", "watch", "unwatch"],
  ["COMMAND", "DOCS", "multi", "exec", "discard", "unwatch"],
  ["COMMAND", "GETKEYS", "WATCH", "a", "b"],
  { cmd: ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "transaction"], unordered: true },
]);

// ---- Queueing, EXEC, DISCARD and their errors.

diffTest("queued replies and EXEC's reply", [
  ["MULTI"],
  ["SET", "a", "1"],
  ["GET", "a"],
  ["INCR", "a"],
  ["RPUSH", "l", "x", "y"],
  ["LRANGE", "l", "0", "-1"],
  ["PING"],
  ["EXEC"],
  ["GET", "a"],
  ["MULTI"],
  ["EXEC"],
]);

diffTest("errors outside and inside MULTI", [
  ["EXEC"],
  ["DISCARD"],
  ["MULTI", "extra"],
  ["WATCH"],
  ["UNWATCH", "extra"],
  ["MULTI"],
  ["MULTI"],
  ["WATCH", "a"],
  ["SET", "a", "1"],
  // Neither error above fails the transaction.
  ["EXEC"],
  ["MULTI"],
  ["DISCARD"],
  ["DISCARD"],
  ["EXEC"],
]);

diffTest("queue-time errors abort EXEC", [
  ["MULTI"],
  ["SET", "a", "1"],
  ["NOSUCHCOMMAND", "x"],
  ["SET", "b", "2"],
  ["EXEC"],
  ["MGET", "a", "b"],
  ["MULTI"],
  ["SET", "a"],
  ["EXEC"],
  ["MULTI"],
  ["CLIENT", "nosuchsub"],
  ["EXEC"],
  // EXEC's own arity error ends the transaction, inside MULTI or not.
  ["MULTI"],
  ["SET", "a", "1"],
  ["EXEC", "extra"],
  ["EXEC"],
  ["EXISTS", "a"],
  ["WATCH", "a"],
  ["EXEC", "extra"],
  ["SET", "a", "1"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // A command flagged no_multi is refused at queue time.
  ["MULTI"],
  ["SHUTDOWN"],
  ["SET", "a", "1"],
  ["EXEC"],
  ["EXISTS", "a"],
]);

diffTest("run-time errors take their slot in EXEC's reply", [
  ["SET", "s", "text"],
  ["RPUSH", "l", "x"],
  ["MULTI"],
  ["INCR", "s"],
  ["SET", "a", "1"],
  ["LPUSH", "s", "x"],
  ["GET", "l"],
  ["INCR", "a"],
  ["EXPIRE", "a", "notanumber"],
  ["EXEC"],
  ["MGET", "a", "s"],
]);

diffTest("DISCARD drops the queue and the watches", [
  ["MULTI"],
  ["SET", "a", "1"],
  ["DISCARD"],
  ["EXISTS", "a"],
  ["WATCH", "a"],
  ["MULTI"],
  ["DISCARD"],
  ["SET", "a", "2"],
  ["MULTI"],
  ["GET", "a"],
  ["EXEC"],
]);

diffTest("SELECT inside MULTI stays in force after EXEC", [
  ["MULTI"],
  ["SELECT", "1"],
  ["SET", "a", "in1"],
  ["EXEC"],
  ["GET", "a"],
  ["SELECT", "0"],
  ["EXISTS", "a"],
]);

diffTest("RESET leaves MULTI and drops the watches", [
  ["WATCH", "a"],
  ["MULTI"],
  ["SET", "a", "1"],
  ["RESET"],
  ["EXEC"],
  ["SET", "a", "2"],
  ["MULTI"],
  ["GET", "a"],
  ["EXEC"],
]);

// ---- WATCH on one connection.

diffTest("WATCH: the client's own write aborts EXEC", [
  ["SET", "k", "1"],
  ["WATCH", "k"],
  ["SET", "k", "1"],
  ["MULTI"],
  ["SET", "other", "x"],
  ["EXEC"],
  ["EXISTS", "other"],
  // Unwatched by the failed EXEC: the next transaction runs.
  ["SET", "k", "2"],
  ["MULTI"],
  ["GET", "k"],
  ["EXEC"],
]);

diffTest("WATCH: untouched, no-op writes and other keys do not abort", [
  ["WATCH", "k", "k", "j"],
  ["DEL", "k"],
  ["SET", "unrelated", "1"],
  ["SELECT", "1"],
  ["SET", "k", "other db"],
  ["SELECT", "0"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
]);

diffTest("WATCH: DEL, EXPIRE, rename and friends abort", [
  ["SET", "k", "1"],
  ["WATCH", "k"],
  ["DEL", "k"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["SET", "k", "1"],
  ["WATCH", "k"],
  ["EXPIRE", "k", "100"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["WATCH", "k"],
  ["RENAME", "k", "k2"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["WATCH", "k"],
  ["RENAME", "k2", "k"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["WATCH", "l"],
  ["RPUSH", "l", "x"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
]);

diffTest("WATCH: UNWATCH, EXEC without MULTI, WATCH once dirty", [
  ["WATCH", "k"],
  ["SET", "k", "1"],
  ["UNWATCH"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // EXEC without MULTI keeps the watches.
  ["WATCH", "k"],
  ["EXEC"],
  ["SET", "k", "2"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // Dirty stays dirty whatever is watched next.
  ["WATCH", "k"],
  ["SET", "k", "3"],
  ["WATCH", "j"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // UNWATCH queued in MULTI comes too late to help.
  ["WATCH", "k"],
  ["SET", "k", "4"],
  ["MULTI"],
  ["UNWATCH"],
  ["EXEC"],
]);

diffTest("WATCH: FLUSHALL and FLUSHDB abort only for keys that existed", [
  ["SET", "k", "1"],
  ["WATCH", "k"],
  ["FLUSHALL"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["SET", "other", "1"],
  ["WATCH", "k"],
  ["FLUSHALL"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["SET", "k", "1"],
  ["WATCH", "k"],
  ["SELECT", "1"],
  ["SET", "z", "1"],
  ["FLUSHDB"],
  ["SELECT", "0"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["WATCH", "k"],
  ["FLUSHDB"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
]);

diffTest("WATCH: SWAPDB aborts when the key is in either database", [
  // Missing here, present in the other database.
  ["WATCH", "k"],
  ["SELECT", "1"],
  ["SET", "k", "1"],
  ["SWAPDB", "0", "1"],
  ["SELECT", "0"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // Present here (now), the other database empty.
  ["FLUSHALL"],
  ["SET", "k", "1"],
  ["WATCH", "k"],
  ["SWAPDB", "1", "0"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // In neither database.
  ["FLUSHALL"],
  ["SELECT", "1"],
  ["SET", "j", "1"],
  ["SELECT", "0"],
  ["WATCH", "k"],
  ["SWAPDB", "0", "1"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // Watching in db 1 while db 0 and 2 swap.
  ["FLUSHALL"],
  ["SET", "k", "1"],
  ["SELECT", "1"],
  ["WATCH", "k"],
  ["SWAPDB", "0", "2"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["SELECT", "0"],
]);

diffTest("WATCH: expiry, logical at EXEC and already expired at WATCH", [
  ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
  // Expires after WATCH, never reclaimed: EXEC still fails.
  ["SET", "k", "v"],
  // Long enough to be still alive at WATCH on a loaded machine.
  ["PEXPIRE", "k", "100"],
  ["WATCH", "k"],
  ["DEBUG", "SLEEP", "0.15"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // Expires after WATCH and is reclaimed by a read.
  ["SET", "k", "v"],
  // Long enough to be still alive at WATCH on a loaded machine.
  ["PEXPIRE", "k", "100"],
  ["WATCH", "k"],
  ["DEBUG", "SLEEP", "0.15"],
  ["GET", "k"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // Already expired at WATCH: its reclaiming is no change...
  ["SET", "k", "v"],
  ["PEXPIRE", "k", "1"],
  ["DEBUG", "SLEEP", "0.01"],
  ["WATCH", "k"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["SET", "k", "v"],
  ["PEXPIRE", "k", "1"],
  ["DEBUG", "SLEEP", "0.01"],
  ["WATCH", "k"],
  ["GET", "k"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  // ... nor a flush; but setting it again is.
  ["SET", "k", "v"],
  ["PEXPIRE", "k", "1"],
  ["DEBUG", "SLEEP", "0.01"],
  ["WATCH", "k"],
  ["FLUSHALL"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["SET", "k", "v"],
  ["PEXPIRE", "k", "1"],
  ["DEBUG", "SLEEP", "0.01"],
  ["WATCH", "k"],
  ["SET", "k", "new"],
  ["MULTI"],
  ["PING"],
  ["EXEC"],
  ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
]);

diffTest("RESP3: an aborted EXEC is a null", [
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["SET", "k", "1"],
  ["WATCH", "k"],
  ["INCR", "k"],
  ["MULTI"],
  ["GET", "k"],
  ["EXEC"],
  ["MULTI"],
  ["GET", "k"],
  ["HGETALL", "nohash"],
  ["EXEC"],
  ["MULTI"],
  ["NOSUCH"],
  ["EXEC"],
  { cmd: ["HELLO", "2"], shapeOnly: true },
]);

diffTest("blocking commands inside MULTI answer at once", [
  ["MULTI"],
  ["BLPOP", "nolist", "0"],
  ["BRPOP", "nolist", "nolist2", "0"],
  ["BLMOVE", "nolist", "dst", "LEFT", "RIGHT", "0"],
  ["BRPOPLPUSH", "nolist", "dst", "0"],
  ["BLMPOP", "0", "1", "nolist", "LEFT"],
  ["BZPOPMIN", "nozset", "0"],
  ["BZMPOP", "0", "1", "nozset", "MAX"],
  ["EXEC"],
  ["RPUSH", "l", "a", "b"],
  ["ZADD", "z", "1", "m"],
  ["MULTI"],
  ["BLPOP", "l", "0"],
  ["BRPOP", "l", "0"],
  ["BLPOP", "l", "0"],
  ["BZPOPMAX", "z", "0"],
  ["EXEC"],
]);

// ---- Several clients.

async function withServer(
  fn: (port: number) => Promise<void>,
  opts: Parameters<typeof startRespite>[0] = {},
): Promise<void> {
  const s = await startRespite(opts);
  try {
    await fn(s.port);
  } finally {
    await s.close();
  }
}

Deno.test("WATCH: another client's write aborts EXEC; other keys do not", async () => {
  await withServer(async (port) => {
    const a = await RawClient.connect(port), b = await RawClient.connect(port);
    try {
      assertEquals(await a.call("WATCH", "k", "j"), "OK");
      assertEquals(await b.call("SET", "unrelated", "1"), "OK");
      assertEquals(await a.call("MULTI"), "OK");
      assertEquals(await a.call("INCR", "n"), "QUEUED");
      assertEquals(await a.call("EXEC"), [1]);
      assertEquals(await a.call("WATCH", "k"), "OK");
      assertEquals(await b.call("SET", "k", "1"), "OK");
      assertEquals(await a.call("MULTI"), "OK");
      assertEquals(await a.call("INCR", "n"), "QUEUED");
      assertEquals(await a.command("EXEC"), "*-1\r\n");
      assertEquals(await a.call("GET", "n"), "1");
      // B's write after A's MULTI (still before EXEC) counts as well.
      assertEquals(await a.call("WATCH", "k"), "OK");
      assertEquals(await a.call("MULTI"), "OK");
      assertEquals(await a.call("INCR", "n"), "QUEUED");
      assertEquals(await b.call("DEL", "k"), 1);
      assertEquals(await a.call("EXEC"), null);
      // A client that disconnects drops its watches with it.
      assertEquals(await b.call("WATCH", "k"), "OK");
      b.close();
      assertEquals(await a.call("SET", "k", "2"), "OK");
    } finally {
      a.close();
      b.close();
    }
  });
});

Deno.test("QUIT inside MULTI runs at once and drops the transaction", async () => {
  await withServer(async (port) => {
    const a = await RawClient.connect(port), b = await RawClient.connect(port);
    try {
      assertEquals(await a.call("MULTI"), "OK");
      assertEquals(await a.call("SET", "k", "1"), "QUEUED");
      assertEquals(await a.call("QUIT"), "OK");
      assertOk(await a.closedWithin(2000));
      assertEquals(await b.call("EXISTS", "k"), 0);
    } finally {
      a.close();
      b.close();
    }
  });
});

Deno.test("WATCH: a user plugin's write command invalidates a watch", async () => {
  const touch = definePlugin({
    name: "test-touch",
    commands: [{
      name: "test.touch",
      arity: 2,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "UPDATE"])],
      handler(c, argv: Bytes[]) {
        c.db.set(argv[1]!, "touched");
        c.changed(argv[1]!, "touch", "g");
        c.reply.ok();
      },
    }],
  });
  await withServer(async (port) => {
    const a = await RawClient.connect(port), b = await RawClient.connect(port);
    try {
      assertEquals(await a.call("WATCH", "k"), "OK");
      assertEquals(await b.call("TEST.TOUCH", "k"), "OK");
      assertEquals(await a.call("MULTI"), "OK");
      assertEquals(await a.call("GET", "k"), "QUEUED");
      assertEquals(await a.call("EXEC"), null);
      // Queued itself, it runs inside EXEC like a built-in.
      assertEquals(await a.call("MULTI"), "OK");
      assertEquals(await a.call("TEST.TOUCH", "j"), "QUEUED");
      assertEquals(await a.call("GET", "j"), "QUEUED");
      assertEquals(await a.call("EXEC"), ["OK", "touched"]);
    } finally {
      a.close();
      b.close();
    }
  }, { plugins: [touch] });
});

Deno.test("EXEC is atomic: a concurrent reader never sees its middle", async () => {
  await withServer(async (port) => {
    const a = await RawClient.connect(port), b = await RawClient.connect(port);
    try {
      const N = 2000;
      let script = "*1\r\n$5\r\nMULTI\r\n";
      for (let i = 0; i < N; i++) {
        script += "*2\r\n$4\r\nINCR\r\n$1\r\nx\r\n*2\r\n$4\r\nINCR\r\n$1\r\ny\r\n";
      }
      script += "*1\r\n$4\r\nEXEC\r\n";
      const writing = a.write(script);
      const seen = new Set<string>();
      let done = false;
      const reading = (async () => {
        for (let r = 0; r < 2 * N + 2; r++) await a.read();
        done = true;
      })();
      while (!done) {
        const v = await b.call("MGET", "x", "y") as (string | null)[];
        assertEquals(v[0], v[1], "x and y move together");
        seen.add(String(v[0]));
      }
      await writing;
      await reading;
      assertEquals(await b.call("MGET", "x", "y"), [String(N), String(N)]);
      assertOk([...seen].every((s) => s === "null" || s === String(N)));
    } finally {
      a.close();
      b.close();
    }
  });
});

Deno.test("EXEC wakes clients blocked on keys it fills, after the whole queue", async () => {
  await withServer(async (port) => {
    const a = await RawClient.connect(port), b = await RawClient.connect(port);
    try {
      await b.write("*3\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\n0\r\n");
      await sleep(50);
      assertEquals(await a.call("MULTI"), "OK");
      assertEquals(await a.call("RPUSH", "l", "1", "2"), "QUEUED");
      assertEquals(await a.call("LPOP", "l"), "QUEUED");
      assertEquals(await a.call("EXEC"), [2, "1"]);
      assertEquals((await b.read()).value, ["l", "2"]);
    } finally {
      a.close();
      b.close();
    }
  });
});

Deno.test("CLIENT LIST: multi, multi-mem and the x and d flags", async () => {
  const fields = async (port: number): Promise<string[]> => {
    const a = await RawClient.connect(port), b = await RawClient.connect(port);
    const out: string[] = [];
    const id = await a.call("CLIENT", "ID");
    const look = async () => {
      const list = await b.call("CLIENT", "LIST") as string;
      const line = list.split("\n").find((l) => l.startsWith(`id=${id} `))!;
      out.push(
        line.split(" ").filter((f) => /^(flags|multi|multi-mem)=/.test(f)).join(" "),
      );
    };
    try {
      await look();
      await a.call("MULTI");
      await look();
      await a.call("SET", "a", "1");
      await a.call("SET", "abcdefghij", "1234567890");
      await look();
      await a.call("NOSUCH");
      await look();
      await a.call("DISCARD");
      await look();
      await a.call("WATCH", "k");
      await b.call("SET", "k", "1");
      await look();
      await a.call("MULTI");
      await look();
      await a.call("RESET");
      await look();
    } finally {
      a.close();
      b.close();
    }
    return out;
  };
  const expected = [
    "flags=N multi=-1 multi-mem=0",
    "flags=x multi=0 multi-mem=0",
    "flags=x multi=2 multi-mem=76",
    "flags=x multi=2 multi-mem=76",
    "flags=N multi=-1 multi-mem=0",
    "flags=d multi=-1 multi-mem=0",
    "flags=xd multi=0 multi-mem=0",
    "flags=N multi=-1 multi-mem=0",
  ];
  await withServer(async (port) => assertEquals(await fields(port), expected));
  if (hasRedis) {
    const { redis } = await sharedServers();
    assertEquals(await fields(redis!.port), expected);
  }
});

Deno.test({
  name: "INFO commandstats: queued commands count once, at EXEC",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stats = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      try {
        for (
          const argv of [
            ["CONFIG", "RESETSTAT"],
            ["MULTI"],
            ["SET", "a", "x"],
            ["INCR", "a"],
            ["SET"],
            ["EXEC"],
            ["MULTI"],
            ["SET", "a", "x"],
            ["INCR", "a"],
            ["EXEC"],
            ["EXEC"],
            ["WATCH", "a"],
            ["SET", "a", "1"],
            ["MULTI"],
            ["EXEC"],
          ]
        ) await c.call(...argv);
        const info = await c.call("INFO", "commandstats") as string;
        return info.split("\r\n").filter((l) => /^cmdstat_(set|incr|exec|multi|watch):/.test(l))
          .map((l) => l.replace(/usec=[^,]*,usec_per_call=[^,]*,/, "")).sort();
      } finally {
        c.close();
      }
    };
    const expected = [
      "cmdstat_exec:calls=4,rejected_calls=0,failed_calls=2",
      "cmdstat_incr:calls=1,rejected_calls=0,failed_calls=1",
      "cmdstat_multi:calls=3,rejected_calls=0,failed_calls=0",
      "cmdstat_set:calls=2,rejected_calls=1,failed_calls=0",
      "cmdstat_watch:calls=1,rejected_calls=0,failed_calls=0",
    ];
    await withServer(async (port) => assertEquals(await stats(port), expected));
    if (hasRedis) {
      const { redis } = await sharedServers();
      assertEquals(await stats(redis!.port), expected);
    }
  },
});

// ---- Propagation.

Deno.test("propagation: MULTI ... EXEC around two or more writes, as Redis 7", async () => {
  const clock = new ManualClock(1_700_000_000_000);
  const prop: string[] = [];
  const capture = definePlugin({
    name: "capture",
    hooks: {
      propagate(db, argv) {
        prop.push(`${db}:${argv.join(" ")}`);
      },
    },
  });
  await withServer(async (port) => {
    const c = await RawClient.connect(port);
    const tx = async (cmds: string[][], reply: Reply, expected: string[]) => {
      prop.length = 0;
      assertEquals(await c.call("MULTI"), "OK");
      for (const argv of cmds) assertEquals(await c.call(...argv), "QUEUED");
      assertEquals(await c.call("EXEC"), reply);
      assertEquals(prop, expected, JSON.stringify(cmds));
    };
    try {
      await tx(
        [["SET", "a", "1"], ["GET", "a"], ["INCR", "a"]],
        ["OK", "1", 2],
        ["0:MULTI", "0:SET a 1", "0:INCR a", "0:EXEC"],
      );
      // One write is atomic alone: Redis 7 sends it unwrapped.
      await tx([["SET", "b", "1"], ["GET", "b"]], ["OK", "1"], ["0:SET b 1"]);
      // Read-only, or writes that change nothing: nothing at all.
      await tx([["GET", "a"], ["DEL", "nokey"]], ["2", 0], []);
      await tx([], [], []);
      // The database follows SELECT; rewritten forms stay rewritten; a
      // failing write is not propagated.
      await tx(
        [["INCR", "s"], ["SELECT", "1"], ["RPUSH", "a", "x"], ["SET", "t", "x"], ["INCR", "t"], [
          "EXPIRE",
          "t",
          "100",
        ]],
        [1, "OK", 1, "OK", { error: "ERR value is not an integer or out of range" }, 1],
        [
          "0:MULTI",
          "0:INCR s",
          "1:RPUSH a x",
          "1:SET t x",
          `1:PEXPIREAT t ${clock.now() + 100_000}`,
          "1:EXEC",
        ],
      );
      // An aborted EXEC propagates nothing, nor does EXEC on its own.
      prop.length = 0;
      assertEquals(await c.call("MULTI"), "OK");
      assertEquals(await c.call("SET", "a", "1"), "QUEUED");
      assertEquals(await c.call("NOSUCH"), {
        error: "ERR unknown command 'NOSUCH', with args beginning with: ",
      });
      assertEquals(await c.call("EXEC"), EXECABORT);
      assertEquals(await c.call("EXEC"), { error: "ERR EXEC without MULTI" });
      assertEquals(prop, []);
    } finally {
      c.close();
    }
  }, { plugins: [capture], clock });
});

// ---- Real clients.

Deno.test({
  name: "ioredis: multi().set().get().exec() and WATCH",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withServer(async (port) => {
      const io = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
      const other = new Redis({ port, lazyConnect: true, enableReadyCheck: false });
      try {
        await io.connect();
        await other.connect();
        assertEquals(await io.multi().set("k", "v").get("k").exec(), [[null, "OK"], [null, "v"]]);
        // A run-time error comes back in its slot.
        const res = await io.multi().incr("k").set("n", "1").exec();
        assertEquals(res?.length, 2);
        assertEquals((res![0]![0] as Error).message, "ERR value is not an integer or out of range");
        assertEquals(res![1], [null, "OK"]);
        // A queue-time error rejects exec().
        let err = "";
        try {
          await io.multi().set("k", "v").call("NOSUCH").exec();
        } catch (e) {
          err = (e as Error).message;
        }
        assertOk(err.startsWith("EXECABORT"), err);
        // WATCH: another client's write makes exec() resolve to null.
        assertEquals(await io.watch("k"), "OK");
        assertEquals(await other.set("k", "changed"), "OK");
        assertEquals(await io.multi().set("k", "mine").exec(), null);
        assertEquals(await io.get("k"), "changed");
        assertEquals(await io.watch("k"), "OK");
        assertEquals(await io.multi().set("k", "mine").exec(), [[null, "OK"]]);
        assertEquals(await io.get("k"), "mine");
      } finally {
        io.disconnect();
        other.disconnect();
      }
    });
  },
});

Deno.test({
  name: "node-redis: multi() and WATCH",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withServer(async (port) => {
      const nr = createClient({ socket: { port, host: "127.0.0.1" } });
      const other = createClient({ socket: { port, host: "127.0.0.1" } });
      await nr.connect();
      await other.connect();
      try {
        assertEquals(await nr.multi().set("a", "1").incr("a").get("a").exec(), ["OK", 2, "2"]);
        assertEquals(await nr.watch("a"), "OK");
        assertEquals(await other.set("a", "x"), "OK");
        let msg = "";
        try {
          await nr.multi().set("a", "mine").exec();
        } catch (e) {
          msg = (e as Error).message;
        }
        assertEquals(msg, "One (or more) of the watched keys has been changed");
        assertEquals(await nr.get("a"), "x");
      } finally {
        await nr.quit();
        await other.quit();
      }
    });
  },
});
