/**
 * The loading state, compared with redis-server: a dataset loaded at
 * start-up or by a replica's full sync with `key-load-delay` (and
 * `loading-process-events-interval-bytes`) lets clients in, and they get
 * LOADING (PING too, as Sentinel expects) except for the commands allowed
 * while loading; `repl-diskless-load swapdb` keeps the old dataset when the
 * new one fails to load, and serves it while loading the same history
 * (`async_loading`), where `disabled` and `on-empty-db` flush it first.
 *
 * @module
 */

import { assertEquals, assertOk as assert } from "../_assert.ts";
import { hasRedis, RawClient, type SpawnOptions } from "../_helpers.ts";
import { startServer } from "../../mod.ts";
import {
  call,
  caughtUp,
  fakeMaster,
  info,
  type Proc,
  startRedisProc,
  startRespiteProc,
  until,
  withProcs,
} from "../_replication.ts";

const opts = { sanitizeOps: false, sanitizeResources: false, ignore: !hasRedis };

type Start = (args?: string[], o?: SpawnOptions) => Promise<Proc>;
const SLOW = ["--key-load-delay", "100", "--loading-process-events-interval-bytes", "1024"];

/** An RDB file of `n` keys `<prefix>:<i>` (DEBUG POPULATE's). */
async function rdbOf(n: number, prefix: string): Promise<Uint8Array> {
  // Its own dir: nothing is loaded from the working directory.
  const dir = await Deno.makeTempDir({ prefix: "respite-rdbof-" });
  const s = await startServer({
    port: 0,
    logger: () => {},
    config: { "enable-debug-command": "yes", dir, save: "" },
  });
  const c = await RawClient.connect(s.port);
  try {
    await c.call("DEBUG", "POPULATE", String(n), prefix);
    return s.server.service("rdb")!.serialize();
  } finally {
    c.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** What a client sees of a server loading at start-up, and once it has loaded. */
async function whileLoading(p: Proc): Promise<unknown[]> {
  const seen: unknown[] = [];
  seen.push(await call(p.port, "PING"));
  seen.push(await call(p.port, "GET", "key:1"));
  seen.push(await call(p.port, "DBSIZE"));
  seen.push(await call(p.port, "CONFIG", "GET", "key-load-delay"));
  seen.push(await call(p.port, "CLIENT", "SETNAME", "sentinel-1234abcd-cmd"));
  seen.push(await call(p.port, "SET", "k", "v"));
  seen.push((await call(p.port, "ROLE") as unknown[])[0]);
  const pi = await info(p.port, "persistence");
  seen.push([pi.get("loading"), pi.get("async_loading")]);
  // Redis ends the section with them; here they precede the AOF's fields.
  seen.push([...pi.keys()].filter((k) => k.startsWith("loading_")).sort());
  return seen;
}

async function startupLoad(start: Start, file: Uint8Array): Promise<unknown[]> {
  const dir = await Deno.makeTempDir({ prefix: "respite-loading-" });
  try {
    await Deno.writeFile(`${dir}/dump.rdb`, file);
    return await withProcs(async (procs) => {
      const p = await start(SLOW, { dir, whileLoading: true });
      procs.push(p);
      const seen = await whileLoading(p);
      await until("the load", async () => (await call(p.port, "PING")) === "PONG", 10000);
      seen.push(await call(p.port, "DBSIZE"), await call(p.port, "GET", "key:1"));
      if (start === startRespiteProc) {
        // Ready once loaded, as Redis logs it.
        const log = p.log();
        assert(log.indexOf("DB loaded from disk") < log.indexOf("Ready to accept connections"));
      }
      return seen;
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  ...opts,
  name: "diff: a dataset loading at start-up answers LOADING (PING too) until it is loaded",
  async fn() {
    const file = await rdbOf(10000, "key");
    const respite = await startupLoad(startRespiteProc, file);
    assertEquals(respite[0], { error: "LOADING Redis is loading the dataset in memory" });
    assertEquals(respite.at(-2), 10000);
    assertEquals(respite, await startupLoad(startRedisProc, file));
  },
});

/** A replica loading its master's payload slowly: LOADING, then the data. */
async function replicaLoad(start: Start): Promise<unknown[]> {
  return await withProcs(async (procs) => {
    const m = await start(["--enable-debug-command", "yes"]);
    procs.push(m);
    await call(m.port, "DEBUG", "POPULATE", "10000", "key");
    const r = await start([...SLOW, "--replicaof", `127.0.0.1 ${m.port}`], {
      whileLoading: true,
    });
    procs.push(r);
    await until(
      "the replica to load",
      async () => (await info(r.port, "persistence")).get("loading") === "1",
      10000,
    );
    const seen: unknown[] = [];
    seen.push(await call(r.port, "PING"));
    seen.push(await call(r.port, "GET", "key:1"));
    const ri = await info(r.port, "replication");
    seen.push([ri.get("role"), ri.get("master_link_status"), ri.get("master_sync_in_progress")]);
    await caughtUp(m.port, [r.port], 30000);
    seen.push(await call(r.port, "PING"), await call(r.port, "DBSIZE"));
    return seen;
  });
}

Deno.test({
  ...opts,
  name: "diff: a replica loading its full sync answers LOADING, then serves the data",
  async fn() {
    const respite = await replicaLoad(startRespiteProc);
    assertEquals(respite[0], { error: "LOADING Redis is loading the dataset in memory" });
    assertEquals(respite, await replicaLoad(startRedisProc));
  },
});

const ID = "f".repeat(40);

/** `+FULLRESYNC`, then the payload as `$<len>`. */
function fullResync(payload: Uint8Array, offset = 0): Uint8Array {
  const head = new TextEncoder().encode(`+FULLRESYNC ${ID} ${offset}\r\n$${payload.length}\r\n`);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

/**
 * A replica holding 100 keys is sent half a payload, then the link drops:
 * its old dataset stays whatever `repl-diskless-load` says (Redis flushes
 * it only once the transfer is complete, or, with swapdb, once the new one
 * has loaded).
 */
async function cutPayload(start: Start, file: Uint8Array): Promise<unknown[]> {
  const whole = fullResync(file);
  const half = whole.subarray(0, whole.length - Math.floor(file.length / 2));
  const seen: unknown[] = [];
  for (const mode of ["disabled", "on-empty-db", "swapdb"]) {
    const fake = fakeMaster((cmd, conn) => {
      if (!cmd.startsWith("PSYNC")) return "+OK\r\n";
      if (conn === 1) {
        // The rest never comes: the link is closed once this is read.
        setTimeout(() => fake.close(), 300);
        return half;
      }
      return undefined;
    });
    await withProcs(async (procs) => {
      const r = await start(["--repl-diskless-load", mode, "--enable-debug-command", "yes"]);
      procs.push(r);
      await call(r.port, "DEBUG", "POPULATE", "100", "old");
      await call(r.port, "REPLICAOF", "127.0.0.1", String(fake.port));
      await until(`the link to drop (${mode})`, async () =>
        fake.accepted >= 1 && fake.closed &&
        (await info(r.port, "replication")).get("master_sync_in_progress") === "0", 10000);
      seen.push([mode, await call(r.port, "DBSIZE"), await call(r.port, "GET", "old:1")]);
    });
    fake.close();
  }
  return seen;
}

Deno.test({
  ...opts,
  name: "diff: a payload cut short leaves the old dataset, in every repl-diskless-load mode",
  async fn() {
    const file = await rdbOf(2000, "new");
    const respite = await cutPayload(startRespiteProc, file);
    assertEquals(respite, [
      ["disabled", 100, "value:1"],
      ["on-empty-db", 100, "value:1"],
      ["swapdb", 100, "value:1"],
    ]);
    assertEquals(respite, await cutPayload(startRedisProc, file));
  },
});

/**
 * A payload that fails to load (its checksum is wrong): with swapdb the old
 * dataset stays, otherwise it was flushed, and the replica tries again.
 * (Redis exits on a corrupt payload; Respite logs it and retries.)
 */
Deno.test({
  sanitizeOps: false,
  sanitizeResources: false,
  name: "replication: repl-diskless-load swapdb keeps the old dataset when the payload is corrupt",
  async fn() {
    const bad = (await rdbOf(50, "new")).slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    const seen: unknown[] = [];
    for (const mode of ["disabled", "on-empty-db", "swapdb"]) {
      const fake = fakeMaster((cmd) => cmd.startsWith("PSYNC") ? fullResync(bad) : "+OK\r\n");
      try {
        await withProcs(async (procs) => {
          const r = await startRespiteProc([
            ...["--repl-diskless-load", mode, "--enable-debug-command", "yes"],
          ]);
          procs.push(r);
          await call(r.port, "DEBUG", "POPULATE", "100", "old");
          await call(r.port, "REPLICAOF", "127.0.0.1", String(fake.port));
          await until(`the retry (${mode})`, () => Promise.resolve(fake.accepted >= 2), 10000);
          assert(r.log().includes("Wrong RDB checksum"));
          seen.push([mode, await call(r.port, "DBSIZE"), await call(r.port, "GET", "old:1")]);
        });
      } finally {
        fake.close();
      }
    }
    assertEquals(seen, [
      ["disabled", 0, null],
      ["on-empty-db", 0, null],
      ["swapdb", 100, "value:1"],
    ]);
  },
});

/**
 * swapdb and a full resync of the same history (the master's id is the
 * replica's): the old dataset is served while the new one loads
 * (`async_loading:1`), then swapped for it.
 */
async function servedWhileLoading(start: Start, small: Uint8Array, big: Uint8Array) {
  const fake = fakeMaster((cmd, conn) => {
    if (cmd.startsWith("PSYNC")) return fullResync(conn === 1 ? small : big);
    // The first link ends once the replica acknowledges its first sync.
    if (cmd.startsWith("REPLCONF ACK") && conn === 1) return null;
    if (cmd.startsWith("REPLCONF ACK")) return undefined;
    return "+OK\r\n";
  });
  try {
    return await withProcs(async (procs) => {
      const r = await start([...SLOW, "--repl-diskless-load", "swapdb"]);
      procs.push(r);
      await call(r.port, "REPLICAOF", "127.0.0.1", String(fake.port));
      await until(
        "the second sync to load",
        async () => (await info(r.port, "persistence")).get("async_loading") === "1",
        15000,
      );
      const seen: unknown[] = [];
      seen.push(await call(r.port, "GET", "old:1"), await call(r.port, "DBSIZE"));
      seen.push(await call(r.port, "PING"));
      seen.push(await call(r.port, "REPLICAOF", "NO", "ONE"));
      const pi = await info(r.port, "persistence");
      seen.push([pi.get("loading"), pi.get("async_loading")]);
      await until(
        "the swap",
        async () => (await info(r.port, "persistence")).get("async_loading") === "0",
        10000,
      );
      seen.push(await call(r.port, "GET", "old:1"), await call(r.port, "DBSIZE"));
      return seen;
    });
  } finally {
    fake.close();
  }
}

Deno.test({
  ...opts,
  name: "diff: repl-diskless-load swapdb serves the old dataset while the same history loads",
  async fn() {
    const small = await rdbOf(100, "old"), big = await rdbOf(10000, "key");
    const respite = await servedWhileLoading(startRespiteProc, small, big);
    assertEquals(respite.slice(0, 3), ["value:1", 100, "PONG"]);
    assertEquals(respite, await servedWhileLoading(startRedisProc, small, big));
  },
});
