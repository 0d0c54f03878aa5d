/**
 * A replica's link to its master as Redis's master client: listed by
 * CLIENT LIST (`flags=M`, TYPE master), killed by CLIENT KILL (TYPE, ADDR,
 * ID, the old form), after which the link comes back with a partial
 * resynchronization under the same id; and CLIENT PAUSE on either side (a
 * paused replica reads its stream but applies nothing; a paused master
 * never holds its replicas' connections).
 *
 * @module
 */

import { assertEquals, assertMatch } from "../_assert.ts";
import { encodeCommand, hasRedis, RawClient, sleep, startRespite } from "../_helpers.ts";
import {
  call,
  caughtUp,
  info,
  type Proc,
  startRedisProc,
  startRespiteProc,
  until,
  withProcs,
} from "../_replication.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The replica's master client line, or undefined while the link is down. */
async function masterLine(replica: number): Promise<string | undefined> {
  const list = String(await call(replica, "CLIENT", "LIST", "TYPE", "master")).trim();
  return list === "" ? undefined : list;
}

/** Waits for the link to be up and listed; returns the master client's line. */
async function listed(replica: number): Promise<string> {
  let line: string | undefined;
  await until("the master client to be listed", async () => {
    line = await masterLine(replica);
    return line !== undefined &&
      (await info(replica, "replication")).get("master_link_status") === "up";
  });
  return line!;
}

const idOf = (line: string) => Number(/^id=(\d+) /.exec(line)![1]);
const partialOks = async (master: number) =>
  Number((await info(master, "stats")).get("sync_partial_ok"));

async function killScenario(master: Proc, replica: Proc): Promise<void> {
  await caughtUp(master.port, [replica.port]);
  const line = await listed(replica.port);
  assertMatch(
    line,
    new RegExp(`^id=\\d+ addr=127\\.0\\.0\\.1:${master.port} laddr=127\\.0\\.0\\.1:\\d+ `),
  );
  assertMatch(line, / flags=M db=0 /);
  assertMatch(line, / user=\(superuser\) /);
  // Not a normal client: TYPE normal leaves it.
  assertEquals(await call(replica.port, "CLIENT", "KILL", "TYPE", "normal"), 0);
  const id = idOf(line);
  const kills: string[][] = [
    ["CLIENT", "KILL", "TYPE", "master"],
    ["CLIENT", "KILL", "ADDR", `127.0.0.1:${master.port}`],
    ["CLIENT", "KILL", "ID", String(id)],
    ["CLIENT", "KILL", `127.0.0.1:${master.port}`],
  ];
  for (const [i, argv] of kills.entries()) {
    const before = await partialOks(master.port);
    assertEquals(await call(replica.port, ...argv), i === 3 ? "OK" : 1, argv.join(" "));
    await call(master.port, "SET", `after-kill-${i}`, "v");
    const again = await listed(replica.port);
    // The cached master comes back: a partial resync, the same id.
    assertEquals(idOf(again), id);
    await until("a partial resync", async () => (await partialOks(master.port)) === before + 1);
    await caughtUp(master.port, [replica.port]);
    assertEquals(await call(replica.port, "GET", `after-kill-${i}`), "v");
  }
}

Deno.test(
  "replication: the master client is listed (flags=M) and killable; the link resyncs partially",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc();
      procs.push(m);
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await killScenario(m, r);
      // No master client on a master, nor once the replica is promoted.
      assertEquals(await call(m.port, "CLIENT", "LIST", "TYPE", "master"), "");
      assertEquals(await call(m.port, "CLIENT", "KILL", "TYPE", "master"), 0);
      assertEquals(await call(r.port, "REPLICAOF", "NO", "ONE"), "OK");
      assertEquals(await masterLine(r.port), undefined);
    }),
);

Deno.test({
  ...opts,
  name: "replication: killing a redis-server master's client resyncs partially too",
  ignore: !hasRedis,
  fn: () =>
    withProcs(async (procs) => {
      const m = await startRedisProc();
      procs.push(m);
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await killScenario(m, r);
    }),
});

Deno.test(
  "replication: a paused replica reads its stream and applies it when the pause ends",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc(["--repl-ping-replica-period", "3600"]);
      procs.push(m);
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await caughtUp(m.port, [r.port]);
      // Written once the link is up: the stream's SELECT is behind us.
      await call(m.port, "SET", "foo", "bar");
      await caughtUp(m.port, [r.port]);
      const applied = (await info(r.port, "replication")).get("slave_repl_offset");
      assertEquals(await call(r.port, "CLIENT", "PAUSE", "100000", "WRITE"), "OK");
      await call(m.port, "SET", "foo2", "bar2");
      const offset = (await info(m.port, "replication")).get("master_repl_offset");
      await until("the replica to read the write", async () =>
        (await info(r.port, "replication")).get("slave_read_repl_offset") === offset);
      await sleep(100);
      assertEquals((await info(r.port, "replication")).get("slave_repl_offset"), applied);
      assertEquals(await call(r.port, "GET", "foo2"), null);
      assertEquals(await call(r.port, "CLIENT", "UNPAUSE"), "OK");
      await caughtUp(m.port, [r.port]);
      assertEquals(await call(r.port, "GET", "foo2"), "bar2");
    }),
);

Deno.test({
  ...opts,
  name: "replication: a paused master never holds its replicas' connections",
  async fn() {
    const m = await startRespite();
    const r = await startRespite();
    const admin = await RawClient.connect(m.port);
    const other = await RawClient.connect(m.port);
    try {
      assertEquals(await call(r.port, "REPLICAOF", "127.0.0.1", String(m.port)), "OK");
      await until(
        "the link",
        async () => (await info(r.port, "replication")).get("master_link_status") === "up",
      );
      assertEquals(await admin.call("CLIENT", "PAUSE", "3000", "ALL"), "OK");
      await other.write(encodeCommand(["PING"]));
      // The replica acknowledges every second: its REPLCONF ACKs run; only
      // the normal client's PING waits.
      await sleep(1300);
      assertEquals(m.server.blockedClients, 1);
      m.server.keyspace.pause.stop();
      assertEquals((await other.read()).value, "PONG");
    } finally {
      admin.close();
      other.close();
      await r.close();
      await m.close();
    }
  },
});
