/**
 * A local cluster in one command, in the spirit of Redis's
 * `utils/create-cluster`: `respite --cluster-local N` starts N nodes (one
 * process each, so the cluster uses every core) on consecutive ports,
 * forms the cluster with replicas and prints the seed address, then stays
 * in front of them until Ctrl-C (or SIGTERM) stops them all.
 *
 * ```sh
 * deno task cluster                            # 6 nodes: 3 masters, 3 replicas, from port 30001
 * deno run -A main.ts --cluster-local 9 --port 7000 --cluster-replicas 2
 * redis-cli -c -p 30001                        # or any cluster client, seeded with one node
 * ```
 *
 * Options: `--port P` (the first node's port, default 30001), `--cluster-replicas R`
 * (replicas per master, default 1; nodes left over become more replicas), `--dir D`
 * (default `cluster-local`: node `P` keeps its files, nodes.conf and its log
 * `node.log` included, in `D/P`). Any other `--directive value` goes to every node.
 * Started again over the same directory, the nodes rejoin from their nodes.conf.
 *
 * @module
 */

import { join } from "../../core/path.ts";

/** What `--cluster-local` was asked for. */
export interface LocalClusterOptions {
  nodes: number;
  port: number;
  replicas: number;
  dir: string;
  /** Directives passed to every node (`--name value ...`). */
  extra: string[];
}

/** The node-timeout the nodes get unless told otherwise (create-cluster's). */
const NODE_TIMEOUT = "2000";
const SLOTS = 16384;

/**
 * Reads `--cluster-local N` and its options from the command line; an
 * error message for arguments that do not fit.
 *
 * @example
 * ```ts
 * import { parseLocalClusterArgs } from "./local.ts";
 * const o = parseLocalClusterArgs(["--cluster-local", "6", "--port", "7000", "--appendonly", "yes"]);
 * console.log(typeof o === "string" ? o : [o.nodes, o.port, o.replicas, o.extra]);
 * // [ 6, 7000, 1, [ "--appendonly", "yes" ] ]
 * ```
 */
export function parseLocalClusterArgs(argv: readonly string[]): LocalClusterOptions | string {
  const o: LocalClusterOptions = {
    nodes: 0,
    port: 30001,
    replicas: 1,
    dir: "cluster-local",
    extra: [],
  };
  const int = (v: string | undefined, name: string, min: number, max: number) => {
    const n = v !== undefined && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!(n >= min && n <= max)) {
      throw new Error(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
  try {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      const v = argv[i + 1];
      if (a === "--cluster-local") o.nodes = int(v, "--cluster-local", 1, 1000), i++;
      else if (a === "--port") o.port = int(v, "--port", 1, 65535), i++;
      else if (a === "--cluster-replicas") o.replicas = int(v, "--cluster-replicas", 0, 100), i++;
      else if (a === "--dir") {
        if (v === undefined) throw new Error("--dir needs a directory");
        o.dir = v;
        i++;
      } else if (a === "--cluster-enabled" || a === "--cluster-port") {
        throw new Error(`${a} is set by --cluster-local`);
      } else o.extra.push(a);
    }
  } catch (e) {
    return (e as Error).message;
  }
  if (o.nodes === 0) return "--cluster-local needs the number of nodes";
  // The bus ports are the client ports + 10000.
  if (o.port + o.nodes - 1 > 55535) return "the last node's port must be 55535 or less";
  return o;
}

/** Slot ranges for `masters` masters, split as redis-cli --cluster create splits them. */
export function slotRanges(masters: number): [number, number][] {
  const out: [number, number][] = [];
  const per = SLOTS / masters;
  let first = 0;
  let cursor = 0;
  for (let i = 0; i < masters; i++) {
    let last = Math.round(cursor + per - 1);
    if (last > SLOTS - 1 || i === masters - 1) last = SLOTS - 1;
    out.push([first, last]);
    first = last + 1;
    cursor += per;
  }
  return out;
}

/** A one-command RESP connection (just what forming a cluster needs). */
class Conn {
  #buf = new Uint8Array(0);
  private constructor(readonly conn: Deno.TcpConn) {}

  static async open(port: number): Promise<Conn> {
    return new Conn(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async call(...argv: string[]): Promise<string> {
    const enc = new TextEncoder();
    let s = `*${argv.length}\r\n`;
    for (const a of argv) s += `$${enc.encode(a).length}\r\n${a}\r\n`;
    const out = enc.encode(s);
    for (let at = 0; at < out.length;) at += await this.conn.write(out.subarray(at));
    for (;;) {
      const r = this.#parse();
      if (r !== undefined) return r;
      const chunk = new Uint8Array(65536);
      const n = await this.conn.read(chunk);
      if (n === null) throw new Error("connection closed");
      const joined = new Uint8Array(this.#buf.length + n);
      joined.set(this.#buf);
      joined.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = joined;
    }
  }

  /** One reply (+, -, :, $) as text; errors throw. */
  #parse(): string | undefined {
    const b = this.#buf;
    const eol = b.indexOf(10);
    if (eol < 1) return undefined;
    const line = new TextDecoder().decode(b.subarray(1, eol - 1));
    let end = eol + 1;
    let value = line;
    if (b[0] === 0x24) {
      const len = Number(line);
      if (len < 0) value = "";
      else {
        if (b.length < end + len + 2) return undefined;
        value = new TextDecoder().decode(b.subarray(end, end + len));
        end += len + 2;
      }
    }
    this.#buf = b.slice(end);
    if (b[0] === 0x2d) throw new Error(line);
    return value;
  }

  close(): void {
    try {
      this.conn.close();
    } catch { /* closed */ }
  }
}

async function call(port: number, ...argv: string[]): Promise<string> {
  const c = await Conn.open(port);
  try {
    return await c.call(...argv);
  } finally {
    c.close();
  }
}

/** Polls `fn` every 100 ms until true; false after `ms`. */
async function until(fn: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await fn()) return true;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The command that starts one more server like this one. */
function serverCommand(): { cmd: string; args: string[] } {
  const cmd = Deno.execPath();
  if (Deno.build.standalone) return { cmd, args: [] };
  const flags: string[] = [];
  for (const name of ["net", "read", "write", "run", "sys"] as const) {
    if (Deno.permissions.querySync({ name }).state === "granted") flags.push(`--allow-${name}`);
  }
  if (Deno.permissions.querySync({ name: "env" }).state === "granted") flags.push("--allow-env");
  return {
    cmd,
    args: [
      "run",
      ...flags,
      "--no-code-cache",
      "--v8-flags=--max-semi-space-size=8",
      Deno.mainModule,
    ],
  };
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `--cluster-local`: starts the nodes, forms the cluster (unless
 * their nodes.conf already hold one), prints the seed, and waits for a
 * signal to stop them. Returns the exit status.
 */
export async function runLocalCluster(
  argv: readonly string[],
  print: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  const o = parseLocalClusterArgs(argv);
  if (typeof o === "string") {
    print(`--cluster-local: ${o}`);
    return 1;
  }
  const ports = Array.from({ length: o.nodes }, (_, i) => o.port + i);
  for (const p of ports) {
    for (const q of [p, p + 10000]) {
      if (!portFree(q)) {
        print(`--cluster-local: port ${q} is in use`);
        return 1;
      }
    }
  }
  const self = serverCommand();
  const children = new Map<number, Deno.ChildProcess>();
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const c of children.values()) {
      try {
        c.kill("SIGTERM");
      } catch { /* exited */ }
    }
    await Promise.all([...children.values()].map(async (c) => {
      const timer = setTimeout(() => {
        try {
          c.kill("SIGKILL");
        } catch { /* exited */ }
      }, 10000);
      await c.status;
      clearTimeout(timer);
    }));
  };
  try {
    for (const p of ports) {
      const dir = join(o.dir, String(p));
      Deno.mkdirSync(dir, { recursive: true });
      const child = new Deno.Command(self.cmd, {
        args: [
          ...self.args,
          ...["--port", String(p), "--cluster-enabled", "yes", "--dir", dir],
          ...["--cluster-node-timeout", NODE_TIMEOUT, "--logfile", join(dir, "node.log")],
          ...o.extra,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      children.set(p, child);
      child.status.then((s) => {
        if (!stopping) {
          print(`node 127.0.0.1:${p} exited (code ${s.code}); its log: ${dir}/node.log`);
        }
      });
    }
    for (const p of ports) {
      if (!await until(async () => (await call(p, "PING")) === "PONG", 30000)) {
        throw new Error(
          `node 127.0.0.1:${p} did not start; its log: ${join(o.dir, String(p))}/node.log`,
        );
      }
    }
    const known = async (p: number) =>
      (await call(p, "CLUSTER", "NODES")).split("\n").filter((l) =>
        l.trim() !== "" && !l.includes("handshake")
      ).length;
    const formed = (await Promise.all(ports.map(known))).every((n) => n === o.nodes);
    const masters = o.replicas === 0
      ? o.nodes
      : Math.max(1, Math.floor(o.nodes / (o.replicas + 1)));
    if (!formed) await form(ports, masters);
    if (
      !await until(async () => {
        // Every node ok, and all of them agreeing on who is whose replica.
        let view: string | undefined;
        for (const p of ports) {
          if (!(await call(p, "CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
          const roles = (await call(p, "CLUSTER", "NODES")).trim().split("\n").map((l) => {
            const f = l.split(" ");
            return `${f[0]} ${f[2]!.includes("master") ? "master" : f[3]}`;
          }).sort().join(",");
          if (view !== undefined && roles !== view) return false;
          view = roles;
        }
        return true;
      }, 60000)
    ) {
      throw new Error("the cluster did not reach cluster_state:ok within 60 s");
    }
    print(
      formed
        ? `Cluster of ${o.nodes} nodes rejoined from ${o.dir}`
        : `Cluster of ${o.nodes} nodes formed (${masters} masters) in ${o.dir}`,
    );
    const nodes = (await call(ports[0]!, "CLUSTER", "NODES")).trim().split("\n")
      .map((l) => l.split(" "));
    const addrOf = new Map(nodes.map((f) => [f[0]!, f[1]!.split("@")[0]!]));
    const portOf = (f: string[]) => Number(f[1]!.split(/[:@]/)[1]);
    nodes.sort((a, b) => portOf(a) - portOf(b));
    for (const f of nodes) {
      print(
        f[2]!.includes("master")
          ? `  master  ${addrOf.get(f[0]!)}  slots ${f.slice(8).join(" ")}`
          : `  replica ${addrOf.get(f[0]!)}  of ${addrOf.get(f[3]!) ?? f[3]}`,
      );
    }
    print(
      `Cluster ready. Seed: 127.0.0.1:${o.port} (redis-cli -c -p ${o.port}). Ctrl-C stops every node.`,
    );
  } catch (e) {
    print(`--cluster-local: ${(e as Error).message}`);
    await stopAll();
    return 1;
  }
  // Until a signal, or until every node is gone.
  const signalled = new Promise<void>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      try {
        Deno.addSignalListener(sig, () => resolve());
      } catch { /* no SIGTERM on Windows */ }
    }
  });
  const allGone = Promise.all([...children.values()].map((c) => c.status));
  const bySignal = await Promise.race([signalled.then(() => true), allGone.then(() => false)]);
  print(bySignal ? "Stopping every node..." : "Every node exited.");
  await stopAll();
  return bySignal ? 0 : 1;
}

/**
 * Forms the cluster as `redis-cli --cluster create` does: slots to the
 * masters, a config epoch each, MEET, then each replica to its master.
 */
async function form(ports: number[], masters: number): Promise<void> {
  const ranges = slotRanges(masters);
  const ids = await Promise.all(ports.map((p) => call(p, "CLUSTER", "MYID")));
  for (let i = 0; i < masters; i++) {
    await call(ports[i]!, "CLUSTER", "ADDSLOTSRANGE", String(ranges[i]![0]), String(ranges[i]![1]));
  }
  for (let i = 0; i < ports.length; i++) {
    try {
      await call(ports[i]!, "CLUSTER", "SET-CONFIG-EPOCH", String(i + 1));
    } catch { /* it knows other nodes already (a half-formed run): its epoch stays */ }
  }
  for (const p of ports.slice(1)) {
    await call(ports[0]!, "CLUSTER", "MEET", "127.0.0.1", String(p), String(p + 10000));
  }
  const joined = await until(async () => {
    for (const p of ports) {
      const lines = (await call(p, "CLUSTER", "NODES")).trim().split("\n");
      if (lines.length !== ports.length || lines.some((l) => l.includes("handshake"))) return false;
    }
    return true;
  }, 30000);
  if (!joined) throw new Error("the nodes did not all meet within 30 s");
  for (let i = masters; i < ports.length; i++) {
    const master = ids[(i - masters) % masters]!;
    await call(ports[i]!, "CLUSTER", "REPLICATE", master);
  }
}
