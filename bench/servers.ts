/**
 * The two servers under benchmark, each a separate process: the real
 * redis-server and Respite (`main.ts`, or `bench/respite_server.ts`).
 *
 * @module
 */

/** A server process under benchmark. */
export interface BenchServer {
  /** "Redis" or "Respite". */
  readonly label: string;
  readonly port: number;
  readonly pid: number;
  /** The command line that started it, for the report. */
  readonly commandLine: string;
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/** The repository root, the servers' working directory. */
export const ROOT: string = new URL("..", import.meta.url).pathname;

/** True when nothing listens on 127.0.0.1:port. */
export function portFree(port: number): boolean {
  try {
    Deno.listen({ port, hostname: "127.0.0.1" }).close();
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port picked by the kernel. */
export function freePort(): number {
  const l = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Sends PING and resolves true when `+PONG` comes back. */
async function ping(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ port, hostname: "127.0.0.1" });
    await conn.write(new TextEncoder().encode("*1\r\n$4\r\nPING\r\n"));
    const buf = new Uint8Array(64);
    const n = await conn.read(buf);
    return n !== null && new TextDecoder().decode(buf.subarray(0, n)).startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

/** Keeps the last few KB of a stream, so a failed start can say why. */
export function tail(stream: ReadableStream<Uint8Array>): () => string {
  let text = "";
  (async () => {
    const dec = new TextDecoder();
    for await (const chunk of stream) text = (text + dec.decode(chunk)).slice(-4096);
  })().catch(() => {});
  return () => text;
}

/** Quotes an argument for a command line shown in the report. */
export const quote = (a: string): string =>
  /^[\w./:=-]+$/.test(a) ? a : `"${a.replaceAll('"', '\\"')}"`;

async function spawn(
  label: string,
  port: number,
  cmd: string,
  args: string[],
  shown: string,
): Promise<BenchServer> {
  const dir = await Deno.makeTempDir({ prefix: `respite-bench-${label.toLowerCase()}-` });
  const child = new Deno.Command(cmd, {
    args: [...args, "--dir", dir],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = tail(child.stdout);
  const err = tail(child.stderr);
  let exited = false;
  child.status.then(() => exited = true);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 3000);
    await child.status;
    clearTimeout(timer);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + 30_000;
  while (!(await ping(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`${label} did not start on port ${port}:\n${out()}${err()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { label, port, pid: child.pid, commandLine: `${shown} --dir <tmpdir>`, stop };
}

/** redis-server's arguments (without `--dir`): no persistence. */
export function redisArgs(port: number): string[] {
  return ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
}

/** Starts redis-server without persistence. */
export function startRedis(port: number): Promise<BenchServer> {
  const args = redisArgs(port);
  return spawn("Redis", port, "redis-server", args, `redis-server ${args.map(quote).join(" ")}`);
}

/** Which Respite entry point to run. */
export type RespiteEntry = "main" | "launcher";

/** The entry point used when none is asked for: main.ts once it exists. */
export function defaultEntry(): RespiteEntry {
  try {
    Deno.statSync(`${ROOT}main.ts`);
    return "main";
  } catch {
    return "launcher";
  }
}

/**
 * The `deno` arguments (without `--dir`) that run Respite's entry point
 * with no save points; relative to the repository root.
 */
export function respiteArgs(port: number, entry: RespiteEntry): string[] {
  const file = entry === "main" ? "main.ts" : "bench/respite_server.ts";
  return [
    "run",
    "--allow-net",
    "--allow-read",
    "--allow-write",
    // As `deno task start`: no V8 code cache, a smaller young generation
    // (see the README).
    "--no-code-cache",
    "--v8-flags=--max-semi-space-size=8",
    file,
    "--port",
    String(port),
    "--save",
    "",
  ];
}

/** Starts Respite as its own Deno process. */
export function startRespite(port: number, entry: RespiteEntry): Promise<BenchServer> {
  const args = respiteArgs(port, entry);
  return spawn("Respite", port, Deno.execPath(), args, `deno ${args.map(quote).join(" ")}`);
}

/**
 * Starts bench/io_floor.ts: a Deno server that answers every command with
 * `+PONG` and does nothing else, Deno's socket cost with no server code;
 * with `workNs`, plus a busy loop of that many nanoseconds per command.
 */
export function startIoFloor(port: number, workNs = 0): Promise<BenchServer> {
  const args = ["run", "--allow-net", "bench/io_floor.ts", String(port)];
  if (workNs !== 0) args.push("--work", String(workNs));
  return spawn("Floor", port, Deno.execPath(), args, `deno ${args.map(quote).join(" ")}`);
}

/** Runs redis-cli against a server and returns its trimmed output. */
export async function redisCli(port: number, ...argv: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args: ["-h", "127.0.0.1", "-p", String(port), ...argv],
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).trim();
}
