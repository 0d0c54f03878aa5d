/**
 * `respite --cluster-local N` (`deno task cluster`): the nodes start, the
 * cluster forms with replicas and serves, a signal stops every node, and a
 * second run over the same directory rejoins from nodes.conf.
 */

import { assertEquals, assertMatch, assertOk } from "../_assert.ts";
import { call, hasRedisCli, redisCli, sleep } from "../_helpers.ts";
import { parseLocalClusterArgs, slotRanges } from "../../plugins/cluster/local.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

Deno.test("cluster-local: arguments and slot ranges", () => {
  const o = parseLocalClusterArgs([
    "--cluster-local",
    "9",
    "--cluster-replicas",
    "2",
    "--dir",
    "d",
  ]);
  assertOk(typeof o === "object");
  assertEquals([o.nodes, o.port, o.replicas, o.dir, o.extra], [9, 30001, 2, "d", []]);
  assertEquals(
    parseLocalClusterArgs(["--cluster-local"]),
    "--cluster-local must be an integer from 1 to 1000",
  );
  assertEquals(
    parseLocalClusterArgs(["--cluster-local", "x"]),
    "--cluster-local must be an integer from 1 to 1000",
  );
  assertEquals(
    parseLocalClusterArgs(["--cluster-local", "3", "--cluster-port", "1"]),
    "--cluster-port is set by --cluster-local",
  );
  assertEquals(
    parseLocalClusterArgs(["--cluster-local", "6", "--port", "55531"]),
    "the last node's port must be 55535 or less",
  );
  // As redis-cli --cluster create splits them.
  assertEquals(slotRanges(3), [[0, 5460], [5461, 10922], [10923, 16383]]);
  assertEquals(slotRanges(1), [[0, 16383]]);
  assertEquals(slotRanges(4), [[0, 4095], [4096, 8191], [8192, 12287], [12288, 16383]]);
});

/** A first port whose N ports and bus ports (+10000) are free, below the ephemeral range. */
function freeRange(n: number): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 12000 + Math.floor(Math.random() * 9000);
    let ok = true;
    for (let p = base; p < base + n && ok; p++) {
      for (const q of [p, p + 10000]) {
        try {
          Deno.listen({ hostname: "127.0.0.1", port: q }).close();
        } catch {
          ok = false;
        }
      }
    }
    if (ok) return base;
  }
  throw new Error("no free port range");
}

/** Runs `main.ts --cluster-local ...` until its "ready" line (or its exit). */
async function launch(args: string[]): Promise<{ child: Deno.ChildProcess; out: () => string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += dec.decode(chunk);
  };
  pump(child.stdout);
  pump(child.stderr);
  const deadline = Date.now() + 90000;
  while (!text.includes("Cluster ready.") && Date.now() < deadline) {
    const done = await Promise.race([child.status.then(() => true), sleep(100).then(() => false)]);
    if (done) break;
  }
  return { child, out: () => text };
}

/** The node processes' pids (to kill them if the parent cannot). */
async function pids(ports: number[]): Promise<number[]> {
  const out: number[] = [];
  for (const p of ports) {
    try {
      const m = /process_id:(\d+)/.exec(String(await call(p, "INFO", "server")));
      if (m) out.push(Number(m[1]));
    } catch { /* down */ }
  }
  return out;
}

async function down(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return false;
  } catch {
    return true;
  }
}

Deno.test({
  name: "cluster-local: six nodes form a cluster with replicas, stop on a signal, rejoin",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const base = freeRange(6);
    const ports = Array.from({ length: 6 }, (_, i) => base + i);
    const dir = Deno.makeTempDirSync({ prefix: "respite-cluster-local-" });
    const started: Deno.ChildProcess[] = [];
    let nodePids: number[] = [];
    try {
      const first = await launch(["--cluster-local", "6", "--port", String(base), "--dir", dir]);
      started.push(first.child);
      assertOk(first.out().includes("Cluster ready."), first.out());
      assertOk(first.out().includes(`Seed: 127.0.0.1:${base}`), first.out());
      assertOk(first.out().includes("formed (3 masters)"), first.out());
      nodePids = await pids(ports);
      assertEquals(nodePids.length, 6);
      const ids: string[] = [];
      for (const p of ports) {
        const info = String(await call(p, "CLUSTER", "INFO"));
        assertMatch(info, /cluster_state:ok/);
        assertMatch(info, /cluster_known_nodes:6/);
        assertMatch(info, /cluster_size:3/);
        ids.push(String(await call(p, "CLUSTER", "MYID")));
      }
      // Three masters, each with one replica on another port.
      const nodes = String(await call(base, "CLUSTER", "NODES"));
      assertEquals(nodes.match(/[ ,]master /g)?.length, 3);
      assertEquals(nodes.match(/[ ,]slave /g)?.length, 3);
      if (hasRedisCli) {
        const check = await redisCli(base, ["--cluster", "check", `127.0.0.1:${base}`]);
        assertOk(check.includes("[OK] All 16384 slots covered."), check);
        assertEquals((await redisCli(base, ["-c", "SET", "greeting", "hello"])).trim(), "OK");
        assertEquals((await redisCli(base + 3, ["-c", "GET", "greeting"])).trim(), "hello");
      }
      // A signal stops every node, and the parent exits 0.
      first.child.kill("SIGTERM");
      assertEquals((await first.child.status).code, 0);
      for (const p of ports) assertOk(await down(p), `port ${p} still open`);
      assertOk(first.out().includes("Stopping every node..."));

      // Again over the same directory: the same nodes, from their nodes.conf.
      const again = await launch(["--cluster-local", "6", "--port", String(base), "--dir", dir]);
      started.push(again.child);
      assertOk(again.out().includes("rejoined"), again.out());
      nodePids = await pids(ports);
      for (let i = 0; i < ports.length; i++) {
        assertEquals(String(await call(ports[i]!, "CLUSTER", "MYID")), ids[i]);
      }
      if (hasRedisCli) {
        assertEquals((await redisCli(base, ["-c", "GET", "greeting"])).trim(), "hello");
      }
      again.child.kill("SIGINT");
      assertEquals((await again.child.status).code, 0);
      for (const p of ports) assertOk(await down(p), `port ${p} still open`);

      // A port in use: nothing starts.
      const blocker = Deno.listen({ hostname: "127.0.0.1", port: base + 10002 });
      try {
        const busy = await launch(["--cluster-local", "6", "--port", String(base), "--dir", dir]);
        started.push(busy.child);
        assertEquals((await busy.child.status).code, 1);
        assertOk(busy.out().includes(`port ${base + 10002} is in use`), busy.out());
      } finally {
        blocker.close();
      }
    } finally {
      for (const c of started) {
        try {
          c.kill("SIGKILL");
        } catch { /* exited */ }
        await c.status;
      }
      for (const pid of nodePids) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* exited */ }
      }
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
