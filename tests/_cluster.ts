/**
 * Helpers for the cluster tests: cluster nodes (Respite or redis-server)
 * as child processes with free client and bus ports, forming a cluster
 * with MEET and slot ranges, and waiting until every node agrees.
 *
 * @module
 */

import {
  call,
  freePort,
  type Proc,
  RawClient,
  type Reply,
  type SpawnOptions,
  spawnServer,
  until,
} from "./_helpers.ts";

export { call, type Proc, until };

/** A cluster node process and its ports. */
export interface ClusterProc extends Proc {
  readonly kind: "respite" | "redis";
  readonly busPort: number;
}

/**
 * Starts a cluster node: `cluster-enabled yes`, a free bus port given with
 * `cluster-port`, no persistence. `args` come last (they may override).
 */
export async function startNode(
  kind: "respite" | "redis",
  args: readonly string[] = [],
  opts: SpawnOptions = {},
  ports: readonly [number, number] = distinctFreePorts(2) as [number, number],
): Promise<ClusterProc> {
  const busPort = ports[1];
  const base = [
    "--save",
    "",
    "--appendonly",
    "no",
    "--cluster-enabled",
    "yes",
    "--cluster-port",
    String(busPort),
    "--cluster-node-timeout",
    "3000",
    "--enable-debug-command",
    "yes",
  ];
  if (kind === "redis") base.push("--bind", "127.0.0.1");
  const p = await spawnServer(kind, [...base, ...args], { port: ports[0], ...opts });
  return Object.assign(p, { kind, busPort });
}

/** Starts nodes of the given kinds, in parallel; all stopped if one fails. */
export async function startNodes(
  kinds: readonly ("respite" | "redis")[],
  args: readonly string[] = [],
): Promise<ClusterProc[]> {
  const ports = distinctFreePorts(kinds.length * 2);
  const started = await Promise.allSettled(
    kinds.map((k, i) => startNode(k, args, {}, [ports[2 * i]!, ports[2 * i + 1]!])),
  );
  const ok = started.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
  const bad = started.find((r) => r.status === "rejected");
  if (bad !== undefined) {
    await stopAll(ok);
    throw (bad as PromiseRejectedResult).reason;
  }
  return ok;
}

/** `n` different free ports (freePort never hands one out twice). */
export function distinctFreePorts(n: number): number[] {
  return Array.from({ length: n }, () => freePort());
}

/**
 * `s` with `port` replaced by `label` wherever it stands as a whole number
 * outside a slot range: a bus port of 16383 leaves `8192-16383` alone.
 */
export function maskPort(s: string, port: number, label: string): string {
  return s.replace(new RegExp(`(?<![\\d-])${port}(?![\\d-])`, "g"), label);
}

/** Stops every node (SIGKILL), ignoring the ones already gone. */
export async function stopAll(nodes: readonly (Proc | undefined)[]): Promise<void> {
  await Promise.all(nodes.map((n) => n?.stop()));
}

/** CLUSTER INFO of a node as a map. */
export async function clusterInfo(port: number): Promise<Map<string, string>> {
  const text = String(await call(port, "CLUSTER", "INFO"));
  const m = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** A node's CLUSTER NODES lines, split into fields. */
export async function clusterNodes(port: number): Promise<string[][]> {
  const text = String(await call(port, "CLUSTER", "NODES"));
  return text.split("\n").filter((l) => l !== "").map((l) => l.split(" "));
}

/**
 * Forms a cluster: each node gets its slot ranges (`ranges[i]`, pairs of
 * start and end; none for a node meant to be a replica), every node MEETs
 * the first, and the call returns once every node knows all the others as
 * connected and reports `cluster_state:ok`.
 */
export async function formCluster(
  nodes: readonly ClusterProc[],
  ranges: readonly (readonly number[])[],
  ms = 20000,
): Promise<void> {
  for (let i = 0; i < nodes.length; i++) {
    const r = ranges[i] ?? [];
    if (r.length !== 0) {
      const reply = await call(nodes[i]!.port, "CLUSTER", "ADDSLOTSRANGE", ...r.map(String));
      if (reply !== "OK") {
        throw new Error(`ADDSLOTSRANGE on ${nodes[i]!.port}: ${JSON.stringify(reply)}`);
      }
    }
  }
  for (let i = 1; i < nodes.length; i++) {
    const first = nodes[0]!;
    const reply = await call(
      nodes[i]!.port,
      "CLUSTER",
      "MEET",
      "127.0.0.1",
      String(first.port),
      String(first.busPort),
    );
    if (reply !== "OK") throw new Error(`MEET from ${nodes[i]!.port}: ${JSON.stringify(reply)}`);
  }
  await allAgree(nodes, ms);
}

/**
 * Waits until every node knows every other as connected (no handshake,
 * no failure flag), reports `cluster_state:ok`, and all agree on each
 * slot's owner.
 */
export async function allAgree(nodes: readonly ClusterProc[], ms = 20000): Promise<void> {
  await until("the nodes to agree", async () => {
    let owners: string | undefined;
    for (const n of nodes) {
      const info = await clusterInfo(n.port);
      if (info.get("cluster_state") !== "ok") return false;
      if (info.get("cluster_known_nodes") !== String(nodes.length)) return false;
      const lines = await clusterNodes(n.port);
      for (const f of lines) {
        if (f[2]!.includes("myself")) continue;
        if (f[7] !== "connected" || /handshake|fail|noaddr/.test(f[2]!)) return false;
      }
      const o = layout(lines);
      if (owners === undefined) owners = o;
      else if (owners !== o) return false;
    }
    return true;
  }, ms);
}

/**
 * Each node's id with its master's (a replica) or its slots (a master), as
 * one comparable string: nodes agree on roles as well as owners, so a
 * master knows a replica that just followed it before it is asked for
 * anything only a replica may ask (MFSTART).
 */
function layout(lines: readonly string[][]): string {
  return lines.map((f) => `${f[0]} ${f[3]} ${f.slice(8).join(" ")}`).sort().join("\n");
}

/** A node's id (CLUSTER MYID). */
export async function myId(port: number): Promise<string> {
  return String(await call(port, "CLUSTER", "MYID"));
}

/** Runs commands on one connection and returns the replies. */
export async function run(port: number, steps: readonly (readonly string[])[]): Promise<Reply[]> {
  const c = await RawClient.connect(port);
  try {
    const out: Reply[] = [];
    for (const s of steps) out.push(await c.call(...s));
    return out;
  } finally {
    c.close();
  }
}
