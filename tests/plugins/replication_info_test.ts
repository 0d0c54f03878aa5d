/**
 * What Sentinel reads, compared with redis-server in the same states: INFO
 * replication's fields and their order (a master alone and with replicas,
 * a replica up, down, in its handshake and receiving its payload,
 * `min_slaves_good_slaves`, `replica-priority`, `replica-announce-ip` and
 * `-port`, `replica-announced`), ROLE, PING's MASTERDOWN, and the
 * transaction Sentinel reconfigures a replica with.
 *
 * @module
 */

import { assertEquals } from "../_assert.ts";
import { diffSession, hasRedis, RawClient, sleep } from "../_helpers.ts";
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

const opts = { sanitizeOps: false, sanitizeResources: false };

type Start = (args?: string[]) => Promise<Proc>;

/**
 * INFO replication as comparable lines: every field in order; ids, ports
 * and offsets replaced by what they are (a port by the name of its server).
 */
async function replicationInfo(port: number, names: Map<number, string>): Promise<string[]> {
  const text = String(await call(port, "INFO", "replication"));
  const out: string[] = [];
  const portName = (p: string) => names.get(Number(p)) ?? (p === "0" ? "0" : "<port>");
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i === -1) continue;
    const k = line.slice(0, i);
    let v = line.slice(i + 1);
    if (/^slave\d+$/.test(k)) {
      v = v.replace(/port=(\d+)/, (_, p) => `port=${portName(p)}`)
        .replace(/offset=\d+/, "offset=<n>").replace(/lag=\d+/, "lag=<n>");
    } else if (k === "master_port") {
      v = portName(v);
    } else if (k === "master_replid") {
      v = "<id>";
    } else if (k === "master_replid2") {
      v = /^0+$/.test(v) ? "<none>" : "<id>";
    } else if (/offset$/.test(k) || k === "repl_backlog_histlen") {
      // Where a backlog starts depends on when the replica synced; a
      // replica that never reached its master shows 1 (no cached master).
      const special = !k.startsWith("repl_backlog") &&
        (v === "0" || v === "-1" || (v === "1" && k.startsWith("slave_")));
      v = special ? v : "<n>";
    } else if (/seconds/.test(k)) {
      v = v === "-1" ? "-1" : "<s>";
    }
    out.push(`${k}:${v}`);
  }
  return out;
}

/** ROLE with ports named and offsets hidden. */
async function role(port: number, names: Map<number, string>): Promise<unknown> {
  const r = await call(port, "ROLE") as unknown[];
  const name = (p: unknown) => names.get(Number(p)) ?? String(p);
  if (r[0] === "master") {
    return ["master", "<n>", (r[2] as string[][]).map(([ip, p]) => [ip, name(p), "<n>"])];
  }
  return ["slave", r[1], name(r[2]), r[3], typeof r[4]];
}

/**
 * A master with two replicas (the second announcing another address,
 * priority 0, not announced to Sentinel), then the master killed, then a
 * replica of nothing: what INFO and ROLE show at each step.
 */
async function states(start: Start): Promise<unknown[]> {
  return await withProcs(async (procs) => {
    const seen: unknown[] = [];
    const m = await start();
    procs.push(m);
    const names = new Map([[m.port, "<master>"]]);
    seen.push(await replicationInfo(m.port, names));
    const r1 = await start(["--replicaof", `127.0.0.1 ${m.port}`]);
    procs.push(r1);
    names.set(r1.port, "<r1>");
    const r2 = await start([
      ...["--replicaof", `127.0.0.1 ${m.port}`, "--replica-priority", "0"],
      ...["--replica-announce-ip", "10.1.2.3", "--replica-announce-port", "7777"],
      ...["--replica-announced", "no", "--replica-read-only", "no"],
    ]);
    procs.push(r2);
    names.set(r2.port, "<r2>");
    await call(m.port, "SET", "k", "v");
    await caughtUp(m.port, [r1.port, r2.port]);
    // The master lists its replicas in the order they attached.
    await until("both replicas online", async () => {
      const i = await info(m.port, "replication");
      return i.get("slave1")?.includes("state=online") === true &&
        i.get("slave0")?.includes("state=online") === true;
    });
    const mi = (await replicationInfo(m.port, names)).sort();
    seen.push(mi, await role(m.port, names));
    seen.push(await replicationInfo(r1.port, names), await role(r1.port, names));
    seen.push(await replicationInfo(r2.port, names));
    await call(m.port, "CONFIG", "SET", "min-replicas-to-write", "1");
    seen.push((await replicationInfo(m.port, names)).filter((l) => l.startsWith("min_")));
    await call(m.port, "CONFIG", "SET", "min-replicas-to-write", "0");
    // The master dies: its replicas keep their cached state.
    m.signal("SIGKILL");
    await m.exited(5000);
    await until(
      "the link to be down",
      async () => (await info(r1.port, "replication")).get("master_link_status") === "down",
    );
    seen.push(await replicationInfo(r1.port, names));
    const rr = await role(r1.port, names) as unknown[];
    seen.push([rr[0], rr[1], rr[2], ["connect", "connecting"].includes(rr[3] as string)]);
    // A replica that never reached its master has no cached one.
    const closed = await start(["--replicaof", `127.0.0.1 ${m.port}`]);
    procs.push(closed);
    await sleep(200);
    seen.push(await replicationInfo(closed.port, names));
    return seen;
  });
}

Deno.test({
  ...opts,
  name: "diff: INFO replication and ROLE of masters and replicas, up and down",
  ignore: !hasRedis,
  async fn() {
    assertEquals(await states(startRespiteProc), await states(startRedisProc));
  },
});

/**
 * A replica's handshake and payload transfer with a fake master that
 * stops: ROLE's `handshake`, then INFO's master_sync_* fields while a
 * `$<len>` payload and an EOF-marked one arrive.
 */
async function transfer(start: Start): Promise<unknown[]> {
  const seen: unknown[] = [];
  const bodies = [
    `$1000\r\nREDIS0009`,
    `$EOF:${"m".repeat(40)}\r\nREDIS0009`,
  ];
  for (const body of [undefined, ...bodies]) {
    const fake = fakeMaster((l) => {
      if (body === undefined) return undefined;
      return l.startsWith("PSYNC") ? `+FULLRESYNC ${"a".repeat(40)} 0\r\n${body}` : "+OK\r\n";
    });
    try {
      await withProcs(async (procs) => {
        const r = await start(["--replicaof", `127.0.0.1 ${fake.port}`]);
        procs.push(r);
        const names = new Map([[fake.port, "<master>"]]);
        if (body === undefined) {
          await until(
            "the handshake",
            async () => (await call(r.port, "ROLE") as string[])[3] === "handshake",
          );
          seen.push(await role(r.port, names), await replicationInfo(r.port, names));
          return;
        }
        await until(
          "the transfer",
          async () => (await info(r.port, "replication")).get("master_sync_read_bytes") === "9",
        );
        const i = await info(r.port, "replication");
        seen.push(await role(r.port, names));
        seen.push(
          ["master_sync_in_progress", "master_sync_total_bytes", "master_sync_read_bytes"]
            .concat(["master_sync_left_bytes", "master_sync_perc", "master_link_status"])
            .map((k) => `${k}:${i.get(k)}`),
        );
      });
    } finally {
      fake.close();
    }
  }
  return seen;
}

Deno.test({
  ...opts,
  name: "diff: ROLE and INFO during a replica's handshake and payload transfer",
  ignore: !hasRedis,
  async fn() {
    assertEquals(await transfer(startRespiteProc), await transfer(startRedisProc));
  },
});

// A replica whose link is down with replica-serve-stale-data no answers
// MASTERDOWN to PING and to data commands, not to INFO or ROLE.
diffSession("PING on a stale replica answers MASTERDOWN", [
  [0, "CONFIG", "SET", "replica-serve-stale-data", "no"],
  [0, "REPLICAOF", "127.0.0.1", "1"],
  [0, "PING"],
  [0, "GET", "k"],
  [0, "ECHO", "x"],
  [0, "DBSIZE"],
  [0, "CLIENT", "SETNAME", "x"],
  [0, "CONFIG", "GET", "replica-serve-stale-data"],
  [0, "REPLICAOF", "NO", "ONE"],
  [0, "PING"],
], {
  cleanup: [["REPLICAOF", "NO", "ONE"], ["CONFIG", "SET", "replica-serve-stale-data", "yes"]],
});

/**
 * The transaction Sentinel sends to make an instance a replica (and to
 * fix a replica's master): REPLICAOF, CONFIG REWRITE, and closing the
 * normal and pub/sub clients, its own connection spared.
 */
async function reconfiguration(start: Start): Promise<unknown[]> {
  return await withProcs(async (procs) => {
    const m = await start();
    procs.push(m);
    const r = await start();
    procs.push(r);
    const sentinel = await RawClient.connect(r.port);
    const normal = await RawClient.connect(r.port);
    const sub = await RawClient.connect(r.port);
    try {
      const seen: unknown[] = [];
      seen.push(await sentinel.call("CLIENT", "SETNAME", "sentinel-1234abcd-cmd"));
      seen.push(await sub.call("SUBSCRIBE", "ch"));
      seen.push(await normal.call("PING"));
      for (
        const argv of [
          ["MULTI"],
          ["REPLICAOF", "127.0.0.1", String(m.port)],
          ["CONFIG", "REWRITE"],
          ["CLIENT", "KILL", "TYPE", "normal"],
          ["CLIENT", "KILL", "TYPE", "pubsub"],
          ["EXEC"],
        ]
      ) seen.push(await sentinel.call(...argv));
      // The other clients were closed; the Sentinel's connection goes on.
      seen.push(await normal.call("PING").catch((e) => (e as Error).message));
      seen.push(await sub.read(1000).then(() => "open", (e) => (e as Error).message));
      seen.push(await sentinel.call("CLIENT", "GETNAME"));
      await until(
        "the link",
        async () => (await info(r.port, "replication")).get("master_link_status") === "up",
      );
      return seen;
    } finally {
      for (const c of [sentinel, normal, sub]) c.close();
    }
  });
}

Deno.test({
  ...opts,
  name:
    "diff: Sentinel's reconfiguration transaction (MULTI, REPLICAOF, CONFIG REWRITE, CLIENT KILL, EXEC)",
  ignore: !hasRedis,
  async fn() {
    assertEquals(await reconfiguration(startRespiteProc), await reconfiguration(startRedisProc));
  },
});
