/**
 * Replication between Respite processes: full sync, the write stream,
 * chained replicas, WAIT, partial and full resyncs, promotion.
 */

import { assertEquals, assertOk as assert } from "../_assert.ts";
import { encodeCommand, RawClient } from "../_helpers.ts";
import {
  call,
  caughtUp,
  digest,
  expireShortTtls,
  info,
  mixedLoad,
  pipe,
  startRespiteProc,
  until,
  withProcs,
} from "../_replication.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "replication: data before and after connect, SELECT, READONLY, ROLE, INFO",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc();
      procs.push(m);
      await pipe(m.port, [
        ["XADD", "st0", "*", "f", "v"],
        ["SET", "before", "1"],
        ["RPUSH", "l", "a", "b"],
        ["SELECT", "3"],
        [
          "HSET",
          "h3",
          "f",
          "v",
        ],
      ]);
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await caughtUp(m.port, [r.port]);
      assertEquals(await call(r.port, "GET", "before"), "1");
      await pipe(m.port, [["SET", "after", "2"], ["SELECT", "5"], ["SET", "in5", "x"]]);
      // Before a replica, XADD's generated ID went nowhere; now it goes out
      // as the ID, not `*` (the digests below differ otherwise).
      await pipe(m.port, [["XADD", "st", "*", "f", "v"], ["XADD", "st", "*", "g", "w"]]);
      await caughtUp(m.port, [r.port]);
      assertEquals(await call(r.port, "GET", "after"), "2");
      assertEquals(await call(r.port, "XLEN", "st"), 2);
      const c = await RawClient.connect(r.port);
      assertEquals(await c.call("SELECT", "5"), "OK");
      assertEquals(await c.call("GET", "in5"), "x");
      assertEquals(await c.call("SELECT", "3"), "OK");
      assertEquals(await c.call("HGET", "h3", "f"), "v");
      assertEquals(await c.call("SET", "k", "v"), {
        error: "READONLY You can't write against a read only replica.",
      });
      // A write queued in MULTI aborts the transaction, as in Redis.
      assertEquals(await c.call("MULTI"), "OK");
      assertEquals(await c.call("SET", "k", "v"), {
        error: "READONLY You can't write against a read only replica.",
      });
      assertEquals(await c.call("EXEC"), {
        error: "EXECABORT Transaction discarded because of previous errors.",
      });
      c.close();
      assertEquals(await digest(r.port), await digest(m.port));
      const mi = await info(m.port, "replication");
      const ri = await info(r.port, "replication");
      assertEquals(mi.get("role"), "master");
      assertEquals(mi.get("connected_slaves"), "1");
      assert(/^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/.test(mi.get("slave0")!));
      assertEquals(mi.get("slave0")!.split(",")[1], `port=${r.port}`);
      assertEquals(ri.get("role"), "slave");
      assertEquals(ri.get("master_port"), String(m.port));
      assertEquals(ri.get("master_link_status"), "up");
      assertEquals(ri.get("master_replid"), mi.get("master_replid"));
      assertEquals(ri.get("master_repl_offset"), mi.get("master_repl_offset"));
      const off = Number(mi.get("master_repl_offset"));
      const role = await call(m.port, "ROLE") as unknown[];
      assertEquals(role[0], "master");
      assert((role[1] as number) >= off);
      assertEquals((role[2] as string[][])[0]!.slice(0, 2), ["127.0.0.1", String(r.port)]);
      const rrole = await call(r.port, "ROLE") as unknown[];
      assertEquals(rrole.slice(0, 4), ["slave", "127.0.0.1", m.port, "connected"]);
      // HELLO names the role too, as Redis: "replica".
      const hello = await call(r.port, "HELLO", "2") as unknown[];
      assertEquals(hello[hello.indexOf("role") + 1], "replica");
      assertEquals(await call(r.port, "WAIT", "1", "0"), {
        error:
          "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
      });
      assertEquals((await info(m.port, "stats")).get("sync_full"), "1");
    }),
);

Deno.test(
  "replication: 10k writes of every type, fan-out and a chained replica",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc();
      procs.push(m);
      const r1 = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r1);
      const r2 = await startRespiteProc(["--replicaof", `127.0.0.1 ${r1.port}`]);
      procs.push(r2);
      const r3 = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r3);
      await caughtUp(m.port, [r1.port, r3.port]);
      await caughtUp(r1.port, [r2.port]);
      const load = mixedLoad(10000, 7);
      const summary = await pipe(m.port, load);
      assert(summary.includes("errors: 0"), summary);
      // Short TTLs run out; the master's DELs reach the replicas.
      await expireShortTtls(m.port);
      await caughtUp(m.port, [r1.port, r3.port]);
      await caughtUp(r1.port, [r2.port]);
      const d = await digest(m.port);
      assert(d !== "0000000000000000000000000000000000000000");
      assertEquals(await digest(r1.port), d);
      assertEquals(await digest(r2.port), d);
      assertEquals(await digest(r3.port), d);
      // Order: a list built by many pushes and pops reads the same everywhere.
      for (let i = 0; i < 40; i++) {
        const want = await call(m.port, "LRANGE", `l:${i}`, "0", "-1");
        assertEquals(await call(r2.port, "LRANGE", `l:${i}`, "0", "-1"), want);
      }
      // The chained replica has the master's id and offsets.
      const mi = await info(m.port, "replication");
      const r2i = await info(r2.port, "replication");
      assertEquals(r2i.get("master_replid"), mi.get("master_replid"));
      assertEquals(r2i.get("master_repl_offset"), mi.get("master_repl_offset"));
      assertEquals((await info(r1.port, "replication")).get("connected_slaves"), "1");
    }),
);

Deno.test("replication: WAIT counts acknowledgements", opts, () =>
  withProcs(async (procs) => {
    const m = await startRespiteProc();
    procs.push(m);
    const r1 = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
    procs.push(r1);
    const r2 = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
    procs.push(r2);
    await caughtUp(m.port, [r1.port, r2.port]);
    const c = await RawClient.connect(m.port);
    assertEquals(await c.call("SET", "w", "1"), "OK");
    assertEquals(await c.call("WAIT", "2", "5000"), 2);
    assertEquals(await c.call("WAIT", "0", "0"), 2);
    let t0 = Date.now();
    assertEquals(await c.call("WAIT", "3", "300"), 2);
    assert(Date.now() - t0 >= 280, "WAIT waited for its timeout");
    assertEquals(await c.call("WAIT", "x", "0"), {
      error: "ERR value is not an integer or out of range",
    });
    assertEquals(await c.call("WAIT", "1", "-1"), { error: "ERR timeout is negative" });
    assertEquals(await c.call("WAIT", "1", "1.5"), {
      error: "ERR timeout is not an integer or out of range",
    });
    // Inside MULTI, WAIT does not block.
    assertEquals(await c.call("MULTI"), "OK");
    assertEquals(await c.call("WAIT", "5", "0"), "QUEUED");
    assertEquals(await c.call("EXEC"), [2]);
    // A paused replica does not acknowledge.
    r2.signal("SIGSTOP");
    assertEquals(await c.call("SET", "w", "2"), "OK");
    t0 = Date.now();
    assertEquals(await c.call("WAIT", "2", "400"), 1);
    assert(Date.now() - t0 >= 380);
    // Pipelined commands after a WAIT run once it answers, in order.
    await c.write("*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n*2\r\n$3\r\nGET\r\n$1\r\nw\r\n");
    assertEquals((await c.read()).value, 1);
    assertEquals((await c.read()).value, "2");
    r2.signal("SIGCONT");
    assertEquals(await c.call("WAIT", "2", "5000"), 2);
    c.close();
  }));

Deno.test("replication: min-replicas-to-write", opts, () =>
  withProcs(async (procs) => {
    const m = await startRespiteProc([
      "--min-replicas-to-write",
      "1",
      "--min-replicas-max-lag",
      "1",
    ]);
    procs.push(m);
    assertEquals(await call(m.port, "SET", "a", "1"), {
      error: "NOREPLICAS Not enough good replicas to write.",
    });
    assertEquals(await call(m.port, "GET", "a"), null);
    const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
    procs.push(r);
    await caughtUp(m.port, [r.port]);
    assertEquals(await call(m.port, "SET", "a", "1"), "OK");
    r.signal("SIGSTOP");
    // Without ACKs for longer than the max lag, the replica is not good.
    await until("the replica to lag", async () => {
      const reply = await call(m.port, "SET", "a", "2");
      return JSON.stringify(reply).includes("NOREPLICAS");
    });
    r.signal("SIGCONT");
  }));

Deno.test(
  "replication: partial resync within the backlog, full resync outside it",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc(["--repl-backlog-size", "64kb"]);
      procs.push(m);
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      await pipe(m.port, mixedLoad(500, 3));
      await caughtUp(m.port, [r.port]);
      // The replica is paused and its link killed; a little is written meanwhile.
      r.signal("SIGSTOP");
      assertEquals(await call(m.port, "CLIENT", "KILL", "TYPE", "replica"), 1);
      await pipe(m.port, mixedLoad(200, 4));
      r.signal("SIGCONT");
      await caughtUp(m.port, [r.port]);
      let stats = await info(m.port, "stats");
      assertEquals(stats.get("sync_full"), "1");
      assertEquals(stats.get("sync_partial_ok"), "1");
      assert(r.log().includes("Successful partial resynchronization with master."));
      // The load has 1-40 ms TTLs: reclaim them on the master first, so an
      // expiry between the two DEBUG DIGESTs cannot make them differ.
      await expireShortTtls(m.port);
      await caughtUp(m.port, [r.port]);
      assertEquals(await digest(r.port), await digest(m.port));
      // Again, with more written than the backlog holds: a full resync.
      r.signal("SIGSTOP");
      assertEquals(await call(m.port, "CLIENT", "KILL", "TYPE", "replica"), 1);
      await pipe(m.port, [...Array(2000)].map((_, i) => ["SET", `big:${i}`, "x".repeat(100)]));
      r.signal("SIGCONT");
      await caughtUp(m.port, [r.port]);
      stats = await info(m.port, "stats");
      assertEquals(stats.get("sync_full"), "2");
      assertEquals(stats.get("sync_partial_ok"), "1");
      assertEquals(stats.get("sync_partial_err"), "1");
      // The load has 1-40 ms TTLs: reclaim them on the master first, so an
      // expiry between the two DEBUG DIGESTs cannot make them differ.
      await expireShortTtls(m.port);
      await caughtUp(m.port, [r.port]);
      assertEquals(await digest(r.port), await digest(m.port));
      // A replica process killed and restarted (no persistence) syncs fully.
      await r.stop();
      procs.splice(procs.indexOf(r), 1);
      const r2 = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r2);
      await caughtUp(m.port, [r2.port]);
      assertEquals((await info(m.port, "stats")).get("sync_full"), "3");
      // The load has 1-40 ms TTLs: reclaim them on the master first, so an
      // expiry between the two DEBUG DIGESTs cannot make them differ.
      await expireShortTtls(m.port);
      await caughtUp(m.port, [r2.port]);
      assertEquals(await digest(r2.port), await digest(m.port));
    }),
);

Deno.test(
  "replication: REPLICAOF at runtime, promotion keeps replicas partial",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc();
      procs.push(m);
      const r1 = await startRespiteProc();
      procs.push(r1);
      const r2 = await startRespiteProc();
      procs.push(r2);
      await pipe(m.port, mixedLoad(300, 9));
      assertEquals(await call(r1.port, "REPLICAOF", "127.0.0.1", String(m.port)), "OK");
      assertEquals(
        await call(r1.port, "REPLICAOF", "127.0.0.1", String(m.port)),
        "OK Already connected to specified master",
      );
      assertEquals(await call(r1.port, "REPLICAOF", "127.0.0.1", "99999"), {
        error: "ERR Invalid master port",
      });
      assertEquals(await call(r2.port, "SLAVEOF", "127.0.0.1", String(r1.port)), "OK");
      await caughtUp(m.port, [r1.port]);
      await caughtUp(r1.port, [r2.port]);
      assertEquals(await call(r1.port, "CONFIG", "GET", "replicaof"), [
        "replicaof",
        `127.0.0.1 ${m.port}`,
      ]);
      const before = await info(r1.port, "replication");
      // Promote r1: its replica r2 continues partially with the new id.
      assertEquals(await call(r1.port, "REPLICAOF", "NO", "ONE"), "OK");
      const after = await info(r1.port, "replication");
      assertEquals(after.get("role"), "master");
      assertEquals(after.get("master_replid2"), before.get("master_replid"));
      assertEquals(
        after.get("second_repl_offset"),
        String(Number(before.get("master_repl_offset")) + 1),
      );
      assertEquals(await call(r1.port, "SET", "promoted", "yes"), "OK");
      await caughtUp(r1.port, [r2.port]);
      assertEquals(await call(r2.port, "GET", "promoted"), "yes");
      const s = await info(r1.port, "stats");
      assertEquals(s.get("sync_partial_ok"), "1");
      assertEquals(
        (await info(r2.port, "replication")).get("master_replid"),
        after.get("master_replid"),
      );
      assertEquals(await digest(r2.port), await digest(r1.port));
    }),
);

Deno.test(
  "replication: a replica killed and restarted from its RDB resyncs partially",
  opts,
  () =>
    withProcs(async (procs) => {
      const dir = await Deno.makeTempDir({ prefix: "respite-replica-" });
      try {
        const m = await startRespiteProc(["--repl-backlog-size", "1mb"]);
        procs.push(m);
        const replicaArgs = ["--replicaof", `127.0.0.1 ${m.port}`, "--dir", dir, "--save", ""];
        const r = await startRespiteProc(replicaArgs);
        procs.push(r);
        await pipe(m.port, mixedLoad(300, 5));
        await caughtUp(m.port, [r.port]);
        // The dump carries the replication id and offset (repl-id, repl-offset).
        assertEquals(await call(r.port, "SAVE"), "OK");
        await pipe(m.port, mixedLoad(100, 6, "after-save:"));
        await caughtUp(m.port, [r.port]);
        await r.stop(); // SIGKILL: what came after the SAVE is lost on the replica
        procs.splice(procs.indexOf(r), 1);
        await pipe(m.port, mixedLoad(100, 7, "while-down:"));
        const r2 = await startRespiteProc(replicaArgs);
        procs.push(r2);
        await caughtUp(m.port, [r2.port]);
        const stats = await info(m.port, "stats");
        assertEquals(stats.get("sync_full"), "1");
        assertEquals(stats.get("sync_partial_ok"), "1");
        assert(r2.log().includes("Successful partial resynchronization with master."));
        // The load has 1-40 ms TTLs: reclaim them on the master first, so an
        // expiry between the two DEBUG DIGESTs cannot make them differ.
        await expireShortTtls(m.port);
        await caughtUp(m.port, [r2.port]);
        assertEquals(await digest(r2.port), await digest(m.port));
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }),
);

/** INFO replication's backlog fields: the offset, and the last byte the backlog holds. */
function backlogEnd(text: string): [number, number] {
  const f = new Map(text.split("\r\n").map((l) => l.split(":") as [string, string]));
  const first = Number(f.get("repl_backlog_first_byte_offset"));
  return [Number(f.get("master_repl_offset")), first + Number(f.get("repl_backlog_histlen")) - 1];
}

Deno.test(
  "replication: the writes of a pipelined batch are in the backlog when INFO in it looks, and reach a chained replica",
  opts,
  () =>
    withProcs(async (procs) => {
      const m = await startRespiteProc();
      procs.push(m);
      const r = await startRespiteProc(["--replicaof", `127.0.0.1 ${m.port}`]);
      procs.push(r);
      const r2 = await startRespiteProc(["--replicaof", `127.0.0.1 ${r.port}`]);
      procs.push(r2);
      await caughtUp(m.port, [r.port]);
      await caughtUp(r.port, [r2.port]);
      // Writes and INFO in one read: the stream is delivered once per
      // batch, but INFO must see every byte of it in the backlog.
      const c = await RawClient.connect(m.port);
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 300; i++) parts.push(encodeCommand(["INCR", `n:${i % 7}`]));
      parts.push(encodeCommand(["INFO", "replication"]));
      await c.write(new Uint8Array(parts.flatMap((p) => [...p])));
      for (let i = 0; i < 300; i++) await c.read();
      const [offset, end] = backlogEnd(String((await c.read()).value));
      assert(offset > 0);
      assertEquals(end, offset);
      c.close();
      await caughtUp(m.port, [r.port]);
      await caughtUp(r.port, [r2.port]);
      const ri = String(await call(r.port, "INFO", "replication"));
      assertEquals(backlogEnd(ri), [offset, offset]);
      assertEquals(await call(r2.port, "GET", "n:3"), "43");
      assertEquals(await digest(r2.port), await digest(m.port));
    }),
);
