/**
 * The server family: CONFIG, INFO, DBSIZE, FLUSHDB, FLUSHALL, TIME,
 * SHUTDOWN and DEBUG, differentially against redis-server and through
 * clients.
 */

import { Redis } from "ioredis";
import { assertEquals, assertMatch, assertOk } from "../_assert.ts";
import { diffDirty, diffTest, RawClient, type Reply, startRespite } from "../_helpers.ts";
import { ManualClock } from "../../core/clock.ts";
import { definePlugin } from "../../mod.ts";
import type { Bytes } from "../../core/types.ts";
import type { Context } from "../../core/types.ts";
import { isLocalClient } from "../../commands/server/_debug.ts";
import { bytesToHuman } from "../../core/number.ts";

// ---- differential --------------------------------------------------------

diffDirty("FLUSHDB and FLUSHALL count each removed key, FLUSHALL one more", [
  ["FLUSHDB"],
  ["FLUSHALL"],
  ["SET", "a", "1"],
  ["SET", "b", "2"],
  ["FLUSHDB"],
  ["SET", "a", "1"],
  ["SELECT", "1"],
  ["SET", "b", "2"],
  ["SET", "c", "3"],
  ["FLUSHALL", "ASYNC"],
  ["FLUSHDB", "SYNC"],
  ["FLUSHDB", "bad"],
  ["SELECT", "0"],
]);

diffDirty("CONFIG SET changes no data", [
  ["CONFIG", "SET", "maxmemory-samples", "5"],
  ["CONFIG", "SET", "nosuch", "1"],
]);

diffTest("CONFIG GET fixed directives", [
  ["CONFIG", "GET", "maxclients"],
  ["CONFIG", "GET", "databases"],
  ["CONFIG", "GET", "hz"],
  ["CONFIG", "GET", "HZ"],
  ["CONFIG", "GET", "hz", "HZ"],
  ["CONFIG", "GET", "nosuch"],
  ["CONFIG", "GET", "nosuch*"],
  ["CONFIG", "GET", "save"],
  ["CONFIG", "GET", "appendonly"],
  { cmd: ["CONFIG", "GET", "maxclients", "databases", "hz"], unordered: true },
  { cmd: ["CONFIG", "GET", "maxclien*", "databa?es", "h[z]"], unordered: true },
  ["CONFIG", "GET"],
]);

diffTest("CONFIG SET errors and atomicity", [
  ["CONFIG", "SET", "foo", "bar"],
  ["CONFIG", "SET", "hz", "abc"],
  ["CONFIG", "SET", "hz", "5", "hz", "6"],
  ["CONFIG", "SET", "hz", "5", "HZ", "6"],
  ["CONFIG", "SET", "hz"],
  ["CONFIG", "SET", "hz", "5", "maxclients"],
  ["CONFIG", "SET", "databases", "4"],
  ["CONFIG", "SET", "databases", "4", "nosuch", "1"],
  ["CONFIG", "SET", "nosuch", "1", "databases", "4"],
  ["CONFIG", "SET", "maxmemory", "abc"],
  ["CONFIG", "SET", "timeout", "-1"],
  ["CONFIG", "SET", "maxmemory-policy", "x"],
  // All or nothing: hz is valid, maxclients is not, so hz stays 10.
  ["CONFIG", "SET", "hz", "7", "maxclients", "x"],
  ["CONFIG", "GET", "hz"],
  ["CONFIG", "SET", "hz", "7", "nosuch", "1"],
  ["CONFIG", "GET", "hz"],
  ["CONFIG", "SET", "hz", "20", "timeout", "0"],
  ["CONFIG", "GET", "hz"],
  ["CONFIG", "SET", "HZ", "10"],
  ["CONFIG", "GET", "hz"],
  ["CONFIG", "FOO"],
  ["CONFIG"],
  ["CONFIG", "RESETSTAT", "x"],
  ["CONFIG", "RESETSTAT"],
  ["CONFIG", "REWRITE"],
  ["CONFIG", "HELP"],
]);

diffTest("DBSIZE, FLUSHDB, FLUSHALL", [
  ["DBSIZE"],
  ["SET", "a", "1"],
  ["SET", "b", "2"],
  ["DBSIZE"],
  ["DBSIZE", "x"],
  ["FLUSHDB", "x"],
  ["FLUSHDB", "sync", "async"],
  ["FLUSHDB", "SYNC"],
  ["DBSIZE"],
  ["SET", "a", "1"],
  ["SELECT", "1"],
  ["SET", "c", "1"],
  ["FLUSHDB"],
  ["DBSIZE"],
  ["SET", "c", "1"],
  ["SELECT", "0"],
  ["FLUSHALL", "x"],
  ["FLUSHALL", "async", "sync"],
  ["FLUSHALL", "ASYNC"],
  ["DBSIZE"],
  ["SELECT", "1"],
  ["DBSIZE"],
  ["SELECT", "0"],
  ["SET", "a", "1"],
  ["FLUSHALL", "sync"],
  ["DBSIZE"],
  ["FLUSHALL"],
]);

diffTest("TIME, SHUTDOWN and INFO errors", [
  ["TIME", "x"],
  ["SHUTDOWN", "foo"],
  ["SHUTDOWN", "ABORT"],
  ["SHUTDOWN", "SAVE", "NOSAVE"],
  ["SHUTDOWN", "ABORT", "NOW"],
  ["SHUTDOWN", "NOSAVE", "bogus"],
  ["INFO", "nosuch"],
  ["INFO", "nosuch", "other"],
]);

diffTest("DEBUG DIGEST and DIGEST-VALUE on strings", [
  ["DEBUG", "DIGEST"],
  ["DEBUG", "DIGEST-VALUE"],
  ["DEBUG", "DIGEST-VALUE", "nosuch"],
  ["SET", "foo", "bar"],
  ["DEBUG", "DIGEST"],
  ["DEBUG", "DIGEST-VALUE", "foo", "nosuch"],
  ["SET", "n", "12345"],
  ["SET", "bin", "\x00\xff\r\n"],
  ["DEBUG", "DIGEST"],
  ["DEBUG", "DIGEST-VALUE", "n", "bin"],
  // An expire changes the digest (its presence only, not its time).
  ["SET", "t", "v", "EX", "1000"],
  ["DEBUG", "DIGEST-VALUE", "t"],
  ["DEBUG", "DIGEST"],
  ["SET", "t", "v", "EX", "2000"],
  ["DEBUG", "DIGEST"],
  // The database index is part of the digest.
  ["SELECT", "3"],
  ["SET", "foo", "bar"],
  ["DEBUG", "DIGEST"],
  ["FLUSHDB"],
  ["SELECT", "0"],
  ["DEL", "foo", "n", "bin", "t"],
  ["DEBUG", "DIGEST"],
]);

diffTest("DEBUG subcommands", [
  ["DEBUG"],
  ["DEBUG", "nosuch"],
  ["DEBUG", "SET-ACTIVE-EXPIRE"],
  ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
  ["DEBUG", "SLEEP", "0"],
  ["DEBUG", "SLEEP", "x"],
  ["DEBUG", "SLEEP"],
  ["DEBUG", "LOG", "hello from a test"],
  ["DEBUG", "OBJECT"],
  ["DEBUG", "OBJECT", "nosuch"],
  ["DEBUG", "ERROR", "MYERR custom"],
  ["DEBUG", "PROTOCOL", "string"],
  ["DEBUG", "PROTOCOL", "integer"],
  ["DEBUG", "PROTOCOL", "double"],
  ["DEBUG", "PROTOCOL", "bignum"],
  ["DEBUG", "PROTOCOL", "null"],
  ["DEBUG", "PROTOCOL", "array"],
  ["DEBUG", "PROTOCOL", "set"],
  ["DEBUG", "PROTOCOL", "map"],
  ["DEBUG", "PROTOCOL", "attrib"],
  ["DEBUG", "PROTOCOL", "push"],
  ["DEBUG", "PROTOCOL", "verbatim"],
  ["DEBUG", "PROTOCOL", "true"],
  ["DEBUG", "PROTOCOL", "false"],
  ["DEBUG", "PROTOCOL", "foo"],
  ["DEBUG", "POPULATE", "x"],
  ["DEBUG", "POPULATE", "-1"],
  ["DEBUG", "POPULATE", "3"],
  ["DBSIZE"],
  { cmd: ["KEYS", "*"], unordered: true },
  ["GET", "key:2"],
  ["DEBUG", "DIGEST"],
  ["DEBUG", "POPULATE", "2", "k", "10"],
  ["GET", "k:1"],
  ["DEBUG", "POPULATE", "2", "p", "3"],
  ["GET", "p:1"],
  ["DEBUG", "DIGEST"],
]);

// ---- through clients -----------------------------------------------------

function parseInfo(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let cur: Map<string, string> | undefined;
  for (const line of text.split("\r\n")) {
    if (line.startsWith("# ")) {
      cur = new Map();
      out.set(line.slice(2), cur);
    } else if (line !== "") {
      const i = line.indexOf(":");
      assertOk(cur && i > 0, `bad INFO line ${JSON.stringify(line)}`);
      cur.set(line.slice(0, i), line.slice(i + 1));
    }
  }
  return out;
}

const DEFAULT_SECTIONS = [
  "Server",
  "Clients",
  "Memory",
  "Persistence",
  "Stats",
  "Replication",
  "CPU",
  "Modules",
  "Errorstats",
  "Cluster",
  "Keyspace",
];

Deno.test({
  name: "INFO: sections, fields and formats",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ clock: new ManualClock(1_000_000) });
    const redis = new Redis({ port: s.port, lazyConnect: true });
    try {
      await redis.connect();
      await redis.set("a", "1");
      await redis.set("b", "2", "EX", 100);
      const text = await redis.info();
      assertOk(text.startsWith("# Server\r\nredis_version:7.0.15\r\n"), text.slice(0, 40));
      assertOk(text.endsWith("\r\n") && !text.endsWith("\r\n\r\n"));
      const info = parseInfo(text);
      assertEquals([...info.keys()], DEFAULT_SECTIONS);
      const srv = info.get("Server")!;
      assertEquals(srv.get("tcp_port"), String(s.port));
      assertEquals(srv.get("redis_mode"), "standalone");
      assertEquals(srv.get("run_id")!.length, 40);
      assertEquals(srv.get("hz"), "10");
      assertEquals(info.get("Clients")!.get("connected_clients"), "1");
      assertEquals(info.get("Clients")!.get("blocked_clients"), "0");
      assertEquals(info.get("Clients")!.get("maxclients"), "10000");
      const mem = info.get("Memory")!;
      assertMatch(mem.get("used_memory")!, /^\d+$/);
      assertMatch(mem.get("used_memory_human")!, /^\d+(\.\d\d[KMGTP])?B?$/);
      assertEquals(mem.get("maxmemory"), "0");
      assertEquals(mem.get("maxmemory_human"), "0B");
      assertEquals(mem.get("maxmemory_policy"), "noeviction");
      const pers = info.get("Persistence")!;
      assertEquals(pers.get("loading"), "0");
      assertEquals(pers.get("aof_enabled"), "0");
      assertMatch(pers.get("rdb_changes_since_last_save")!, /^\d+$/);
      const stats = info.get("Stats")!;
      assertMatch(stats.get("instantaneous_ops_per_sec")!, /^\d+$/);
      assertMatch(stats.get("instantaneous_input_kbps")!, /^\d+\.\d\d$/);
      assertOk(Number(stats.get("total_commands_processed")) >= 3);
      assertEquals(stats.get("total_connections_received"), "1");
      const repl = info.get("Replication")!;
      assertEquals(repl.get("role"), "master");
      assertEquals(repl.get("connected_slaves"), "0");
      assertEquals(repl.get("master_repl_offset"), "0");
      assertEquals(repl.get("master_replid")!.length, 40);
      assertMatch(info.get("CPU")!.get("used_cpu_user")!, /^\d+\.\d{6}$/);
      assertEquals(info.get("Cluster")!.get("cluster_enabled"), "0");
      assertEquals(info.get("Keyspace")!.get("db0"), "keys=2,expires=1,avg_ttl=100000");

      // Several sections, any case, in Redis's order; unknown ones ignored.
      const two = parseInfo(await redis.info("KEYSPACE", "server", "nosuch"));
      assertEquals([...two.keys()], ["Server", "Keyspace"]);
      const all = parseInfo(await redis.info("all"));
      assertEquals([...all.keys()], [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Commandstats",
        "Errorstats",
        "Latencystats",
        "Cluster",
        "Keyspace",
      ]);
      assertEquals(
        await redis.info("keyspace"),
        "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=100000\r\n",
      );
    } finally {
      redis.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "INFO: commandstats, errorstats, CONFIG RESETSTAT, RESP3 verbatim",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    try {
      assertEquals(await c.call("CONFIG", "RESETSTAT"), "OK");
      await c.call("CONFIG", "GET", "hz");
      await c.call("CONFIG", "GET", "hz");
      await c.call("NOSUCHCOMMAND");
      await c.call("CONFIG", "SET", "hz", "x");
      await c.call("DBSIZE", "extra");
      const info = parseInfo(await c.call("INFO", "commandstats", "errorstats") as string);
      const cmd = info.get("Commandstats")!;
      assertMatch(
        cmd.get("cmdstat_config|get")!,
        /^calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/,
      );
      assertMatch(cmd.get("cmdstat_config|set")!, /^calls=1,.*,rejected_calls=0,failed_calls=1$/);
      assertMatch(cmd.get("cmdstat_dbsize")!, /^calls=0,.*,rejected_calls=1,failed_calls=0$/);
      assertEquals(cmd.has("cmdstat_config"), false);
      assertEquals(info.get("Errorstats")!.get("errorstat_ERR"), "count=3");

      assertEquals(await c.call("CONFIG", "RESETSTAT"), "OK");
      const after = parseInfo(
        await c.call("INFO", "commandstats", "errorstats", "stats") as string,
      );
      // RESETSTAT itself is counted once it has run, as in Redis.
      assertEquals([...after.get("Commandstats")!.keys()], ["cmdstat_config|resetstat"]);
      assertEquals([...after.get("Errorstats")!.keys()], []);
      assertEquals(after.get("Stats")!.get("total_error_replies"), "0");

      await c.call("HELLO", "3");
      const v = await c.call("INFO", "cluster") as Reply;
      assertEquals(v, { verbatim: "txt:# Cluster\r\ncluster_enabled:0\r\n" });
      const m = await c.call("CONFIG", "GET", "hz") as Reply;
      assertEquals(m, { map: [["hz", "10"]] });
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "INFO: plugin fields merge into sections",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const extra = definePlugin({
      name: "info-extra",
      hooks: {
        info(section: string) {
          if (section === "clients") return { blocked_clients: 3, extra_field: "x" };
          if (section === "replication") return { role: "slave", master_host: "h" };
          if (section === "mine") return { answer: 42 };
          return undefined;
        },
      },
    });
    const s = await startRespite({ plugins: [extra] });
    const c = await RawClient.connect(s.port);
    try {
      const text = await c.call("INFO", "clients", "replication", "mine") as string;
      const info = parseInfo(text);
      const cl = info.get("Clients")!;
      assertEquals(cl.get("blocked_clients"), "3");
      assertEquals(cl.get("extra_field"), "x");
      // Overrides stay in place; new fields come last.
      const keys = [...cl.keys()];
      assertEquals(keys.indexOf("blocked_clients"), 5);
      assertEquals(keys.at(-1), "extra_field");
      // Plugins that supply the leading field (role) lead the order.
      const repl = [...info.get("Replication")!.entries()];
      assertEquals(repl[0], ["role", "slave"]);
      assertEquals(info.get("Replication")!.get("master_host"), "h");
      assertEquals(info.get("Replication")!.get("master_repl_offset"), "0");
      assertEquals(info.get("Mine"), new Map([["answer", "42"]]));
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "TIME reads the injected clock",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const clock = new ManualClock(1_700_000_000_123);
    const s = await startRespite({ clock });
    const c = await RawClient.connect(s.port);
    try {
      assertEquals(await c.call("TIME"), ["1700000000", "123000"]);
      clock.advance(1_900);
      assertEquals(await c.call("TIME"), ["1700000002", "23000"]);
      assertEquals(await c.command("TIME"), "*2\r\n$10\r\n1700000002\r\n$5\r\n23000\r\n");
    } finally {
      c.close();
      await s.close();
    }
  },
});

const NOT_ALLOWED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", ' +
  "you can run it from a local connection, otherwise you need to set this option in the " +
  "configuration file, and then restart the server.";

Deno.test({
  name: "DEBUG is gated by enable-debug-command",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    for (const [mode, allowed] of [["no", false], ["yes", true], ["local", true]] as const) {
      const s = await startRespite(
        mode === "no" ? {} : { config: { "enable-debug-command": mode } },
      );
      const c = await RawClient.connect(s.port);
      try {
        const r = await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
        assertEquals(r, allowed ? "OK" : { error: NOT_ALLOWED }, mode);
        assertEquals(s.server.keyspace.activeExpire, !allowed);
        assertEquals(
          await c.call("CONFIG", "SET", "enable-debug-command", "yes"),
          {
            error:
              "ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable config",
          },
        );
        if (allowed) {
          assertEquals(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK");
          assertEquals(s.server.keyspace.activeExpire, true);
        }
      } finally {
        c.close();
        await s.close();
      }
    }
    // "local" admits loopback clients only.
    const ctx = (addr: string) => ({ addr }) as unknown as Context;
    assertEquals(isLocalClient(ctx("127.0.0.1:5000")), true);
    assertEquals(isLocalClient(ctx("[::1]:5000")), true);
    assertEquals(isLocalClient(ctx("10.1.2.3:5000")), false);
    assertEquals(isLocalClient(ctx("[fe80::1]:5000")), false);
  },
});

Deno.test({
  name: "DEBUG SET-ACTIVE-EXPIRE 0 stops the active expiry cycle",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const clock = new ManualClock(1_000_000);
    const s = await startRespite({ clock, config: { "enable-debug-command": "yes", hz: "100" } });
    const c = await RawClient.connect(s.port);
    try {
      assertEquals(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0"), "OK");
      await c.call("SET", "k", "v", "PX", "10");
      clock.advance(100);
      await new Promise((r) => setTimeout(r, 60));
      // Still stored (only a lookup would expire it).
      assertEquals(s.server.keyspace.db(0).data.has("k"), true);
      assertEquals(await c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1"), "OK");
      await new Promise((r) => setTimeout(r, 60));
      assertEquals(s.server.keyspace.db(0).data.has("k"), false);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "DEBUG OBJECT line",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ config: { "enable-debug-command": "yes" } });
    const c = await RawClient.connect(s.port);
    try {
      await c.call("SET", "n", "12345");
      await c.call("SET", "e", "bar");
      await c.call("SET", "r", "x".repeat(45));
      const re = (enc: string, len: number) =>
        new RegExp(
          `^Value at:0x[0-9a-f]+ refcount:1 encoding:${enc} serializedlength:${len} lru:\\d+ lru_seconds_idle:\\d+$`,
        );
      assertMatch(await c.call("DEBUG", "OBJECT", "n") as string, re("int", 3));
      assertMatch(await c.call("DEBUG", "OBJECT", "e") as string, re("embstr", 4));
      assertMatch(await c.call("DEBUG", "OBJECT", "r") as string, re("raw", 46));
      assertOk((await c.command("DEBUG", "OBJECT", "e")).startsWith("+Value at:"));
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "CONFIG SET then GET round trip, applied to the server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const redis = new Redis({ port: s.port, lazyConnect: true });
    try {
      await redis.connect();
      assertEquals(await redis.config("SET", "maxclients", "500", "timeout", "30"), "OK");
      assertEquals(await redis.config("GET", "maxclients"), ["maxclients", "500"]);
      assertEquals(await redis.config("GET", "timeout"), ["timeout", "30"]);
      assertEquals(s.server.config.number("maxclients"), 500);
      assertEquals(await redis.config("SET", "maxmemory", "1mb"), "OK");
      assertEquals(await redis.config("GET", "maxmemory"), ["maxmemory", "1048576"]);
      assertMatch(await redis.info("memory"), /\r\nmaxmemory_human:1\.00M\r\n/);
      // Failed multi-set changes nothing.
      await redis.config("SET", "maxclients", "600", "timeout", "-5").then(
        () => assertOk(false, "should fail"),
        (e: Error) =>
          assertEquals(
            e.message,
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive",
          ),
      );
      assertEquals(await redis.config("GET", "maxclients"), ["maxclients", "500"]);
      assertEquals(s.server.config.number("maxclients"), 500);
    } finally {
      redis.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "FLUSHALL ASYNC empties every database, signals each and propagates as received",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const flushed: number[] = [];
    const propagated: string[][] = [];
    const spy = definePlugin({
      name: "spy",
      hooks: {
        databaseChanged(db, event) {
          if (event === "flush") flushed.push(db.index);
        },
        propagate(_db: number, argv: readonly Bytes[]) {
          propagated.push([...argv]);
        },
      },
    });
    const s = await startRespite({ plugins: [spy] });
    const redis = new Redis({ port: s.port, lazyConnect: true });
    try {
      await redis.connect();
      await redis.set("a", "1");
      await redis.set("b", "1");
      s.server.keyspace.db(3).set("x", "1");
      propagated.length = 0;
      const dirty = s.server.dirty;
      assertEquals(await redis.flushall("ASYNC"), "OK");
      assertEquals(flushed, [0, 3]);
      assertEquals(propagated, [["flushall", "ASYNC"]]);
      // One change per removed key, as Redis 7.0 counts them.
      assertEquals(s.server.dirty, dirty + 3);
      assertEquals(s.server.keyspace.totalKeys, 0);
      assertEquals(await redis.dbsize(), 0);
      // Propagated even when there was nothing to flush.
      assertEquals(await redis.flushdb(), "OK");
      assertEquals(propagated.at(-1), ["flushdb"]);
      assertEquals(flushed, [0, 3]);
    } finally {
      redis.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "SHUTDOWN closes the connection and stops the server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let hookOpts: unknown;
    const p = definePlugin({
      name: "shutdown-spy",
      hooks: {
        shutdown(opts) {
          hookOpts = opts;
        },
      },
    });
    const s = await startRespite({ plugins: [p] });
    const c = await RawClient.connect(s.port);
    const other = await RawClient.connect(s.port);
    try {
      assertEquals(await c.call("PING"), "PONG");
      await c.write("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
      assertEquals(await c.closedWithin(2000), true);
      assertEquals(await other.closedWithin(2000), true);
      await s.finished;
      assertEquals(hookOpts, { save: false });
      let refused = false;
      try {
        (await Deno.connect({ port: s.port, hostname: "127.0.0.1" })).close();
      } catch {
        refused = true;
      }
      assertEquals(refused, true);
    } finally {
      c.close();
      other.close();
    }
  },
});

Deno.test("bytesToHuman formats like Redis", () => {
  assertEquals(bytesToHuman(0), "0B");
  assertEquals(bytesToHuman(1023), "1023B");
  assertEquals(bytesToHuman(1024), "1.00K");
  assertEquals(bytesToHuman(1536), "1.50K");
  assertEquals(bytesToHuman(1024 * 1024 * 1.09), "1.09M");
  assertEquals(bytesToHuman(5 * 1024 ** 3), "5.00G");
});
