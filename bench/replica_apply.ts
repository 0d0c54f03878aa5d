/**
 * A replica's cost per applied write, alone: this script plays the master
 * (handshake, an empty RDB payload, then a stream of SETs of random keys
 * under 100,000 with 3-byte values, as `redis-benchmark -t set -r 100000`
 * sends), so neither a master nor a load generator shares the cores with
 * the replica. The figure is the replica process's CPU (user+sys from
 * `/proc/<pid>/stat`) from the moment it acknowledged the warm-up to its
 * acknowledgement of the last write (`REPLCONF GETACK`), per write:
 * redis-server and Respite alternately, the median of the repetitions.
 * bench/replication.ts measures the whole chain (master, replica and
 * redis-benchmark together); this one tells the replica's share apart.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-run bench/replica_apply.ts [writes] [reps]
 * ```
 *
 * @module
 */

import { defaultEntry, redisArgs, respiteArgs } from "./servers.ts";
import { cpuMicros } from "./system.ts";

const enc = new TextEncoder();
/** An empty RDB (version 9; a zero checksum is not checked). */
const EMPTY_RDB = new Uint8Array([...enc.encode("REDIS0009"), 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
const GETACK = enc.encode("*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n");

/** Blocks of 1,000 SETs, cycled. */
function blocks(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let b = 0; b < 64; b++) {
    let s = "";
    for (let i = 0; i < 1000; i++) {
      const k = "key:" + String(Math.floor(Math.random() * 100000)).padStart(12, "0");
      s += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$3\r\nxxx\r\n`;
    }
    out.push(enc.encode(s));
  }
  return out;
}

/** The master side of one replica's link: reads its commands, writes the stream. */
class Link {
  #text = "";
  #buf = new Uint8Array(65536);
  /** Stream bytes sent since the payload (the replica's offset counts them). */
  offset = 0;

  constructor(readonly conn: Deno.Conn) {}

  /** The next command from the replica, its arguments joined by spaces. */
  async command(): Promise<string> {
    for (;;) {
      const t = this.#text;
      const m = /^\*(\d+)\r\n/.exec(t);
      if (m !== null) {
        let at = m[0].length;
        const args: string[] = [];
        for (let k = 0; k < Number(m[1]); k++) {
          const h = /^\$(\d+)\r\n/.exec(t.slice(at));
          if (h === null) break;
          const len = Number(h[1]);
          if (t.length < at + h[0].length + len + 2) break;
          args.push(t.slice(at + h[0].length, at + h[0].length + len));
          at += h[0].length + len + 2;
        }
        if (args.length === Number(m[1])) {
          this.#text = t.slice(at);
          return args.join(" ");
        }
      }
      const n = await this.conn.read(this.#buf);
      if (n === null) throw new Error("the replica closed its link");
      this.#text += new TextDecoder().decode(this.#buf.subarray(0, n));
    }
  }

  async write(bytes: Uint8Array, stream = true): Promise<void> {
    for (let off = 0; off < bytes.length;) off += await this.conn.write(bytes.subarray(off));
    if (stream) this.offset += bytes.length;
  }

  /** Sends GETACK and waits for the replica to acknowledge everything sent. */
  async acked(): Promise<void> {
    await this.write(GETACK);
    for (;;) {
      const c = (await this.command()).split(" ");
      if (c[0] === "REPLCONF" && c[1] === "ACK" && Number(c[2]) >= this.offset) return;
    }
  }
}

/** One run: ns of the replica's CPU per applied write. */
async function run(kind: "redis" | "respite", writes: number, data: Uint8Array[]): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const masterPort = (listener.addr as Deno.NetAddr).port;
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const replicaOf = ["--replicaof", `127.0.0.1 ${masterPort}`];
  const child = kind === "redis"
    ? new Deno.Command("redis-server", {
      args: [...redisArgs(port), ...replicaOf],
      stdout: "null",
      stderr: "null",
    }).spawn()
    : new Deno.Command("deno", {
      args: [...respiteArgs(port, defaultEntry()), "--appendonly", "no", ...replicaOf],
      cwd: new URL("..", import.meta.url).pathname,
      stdout: "null",
      stderr: "null",
    }).spawn();
  try {
    const link = new Link(await listener.accept());
    for (;;) {
      const c = await link.command();
      if (c.startsWith("PSYNC")) break;
      await link.write(enc.encode(c.startsWith("PING") ? "+PONG\r\n" : "+OK\r\n"), false);
    }
    await link.write(enc.encode(`+FULLRESYNC ${"0".repeat(39)}1 0\r\n`), false);
    await link.write(enc.encode(`$${EMPTY_RDB.length}\r\n`), false);
    await link.write(EMPTY_RDB, false);
    await link.write(enc.encode("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n"));
    // Warm-up: the keys exist and the code is compiled before the clock starts.
    for (let i = 0; i < 200; i++) await link.write(data[i % data.length]!);
    await link.acked();
    const before = cpuMicros(child.pid)!;
    for (let i = 0; i < writes / 1000; i++) await link.write(data[i % data.length]!);
    await link.acked();
    return (cpuMicros(child.pid)! - before) * 1e3 / writes;
  } finally {
    listener.close();
    child.kill("SIGKILL");
    await child.status;
  }
}

if (import.meta.main) {
  const writes = Math.max(1000, Math.round(Number(Deno.args[0] ?? 2_000_000) / 1000) * 1000);
  const reps = Number(Deno.args[1] ?? 3);
  const data = blocks();
  const runs: Record<"redis" | "respite", number[]> = { redis: [], respite: [] };
  for (let r = 0; r < reps; r++) {
    const order = r % 2 === 0 ? ["redis", "respite"] as const : ["respite", "redis"] as const;
    for (const kind of order) {
      const ns = await run(kind, writes, data);
      runs[kind].push(ns);
      console.log(`${kind.padEnd(7)} ${ns.toFixed(0)} ns of replica CPU per applied SET`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const a = median(runs.redis), b = median(runs.respite);
  console.log(
    `median: redis-server ${a.toFixed(0)} ns, Respite ${b.toFixed(0)} ns (${(b / a).toFixed(2)}x)`,
  );
}
