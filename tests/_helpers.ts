/**
 * Test helpers: Respite in-process, a real redis-server beside it, a raw
 * RESP client that returns replies byte for byte, and differential scripts.
 *
 * @module
 */

import { type Plugin, type ServerHandle, type StartOptions, startServer } from "../mod.ts";
import { assertEquals } from "./_assert.ts";

/** Starts Respite on a free port with logging silenced. */
export function startRespite(opts: StartOptions = {}): Promise<ServerHandle> {
  // Its own empty `dir`, so a dump.rdb left in the working directory by
  // another test is never loaded.
  const dir = Deno.makeTempDirSync({ prefix: "respite-test-" });
  const watch = replyWatcher;
  return startServer({
    port: 0,
    logger: () => {},
    ...opts,
    ...(watch === undefined ? {} : { plugins: [...(opts.plugins ?? []), watch] }),
    config: { dir, ...opts.config },
  });
}

let replyWatcher: Plugin | undefined;

/**
 * Shows `see` every byte each Respite started from now on by
 * {@link startRespite} (the shared one too) writes to a client socket,
 * with the client's id, as it is written.
 */
export function watchReplies(see: (client: number, bytes: Uint8Array) => void): void {
  replyWatcher = {
    name: "reply-watcher",
    hooks: {
      clientConnected(c) {
        const conn = (c as { conn?: Deno.Conn }).conn;
        if (conn === undefined) return;
        const write = conn.write.bind(conn);
        conn.write = (p) => {
          see(c.id, p);
          return write(p);
        };
      },
    },
  };
}

/**
 * What a JS exception's message or name leaves in a reply (Redis's own
 * "given type is not a function", FUNCTION RESTORE's, is no such text).
 */
export const JS_ERROR_TEXT: RegExp =
  /RangeError|TypeError|ReferenceError|SyntaxError:|InternalError|Maximum call stack|(?<!given type )is not a function|is not defined|is not iterable|Cannot read propert|Cannot set propert|Cannot convert|Invalid array length|Invalid typed array|Invalid string length|undefined|\[object /;

/**
 * With `RESPITE_REPLY_SCAN` set to a file name, every reply of every
 * Respite the tests start is scanned for {@link JS_ERROR_TEXT}, and what
 * is found is appended to that file (script_replies_scan_test.ts runs
 * test files so).
 */
function scanReplies(file: string): void {
  const tails = new Map<number, string>();
  watchReplies((client, bytes) => {
    // What the client's last write ended with: a text cut between two writes is still found.
    let s = tails.get(client) ?? "";
    for (let i = 0; i < bytes.length; i += 8192) {
      s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 8192)));
    }
    const m = JS_ERROR_TEXT.exec(s);
    if (m !== null) {
      const at = JSON.stringify(s.slice(Math.max(0, m.index - 120), m.index + 120));
      Deno.writeTextFileSync(file, at + "\n", { append: true });
    }
    tails.set(client, s.slice(-40));
  });
}

const scanFile = Deno.env.get("RESPITE_REPLY_SCAN");
if (scanFile !== undefined) scanReplies(scanFile);

/** True when a `redis-server` binary is on PATH. */
export const hasRedis: boolean = (() => {
  try {
    const r = new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync();
    return r.success;
  } catch {
    return false;
  }
})();

/**
 * A small seeded PRNG (mulberry32): numbers in [0, 1), the same for a
 * seed, so a failure reproduces.
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The permissions `deno task start` grants (deno.json). */
export const START_PERMS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
];

const handedOut = new Set<number>();

/** Whether `port` can be listened on, on every address. */
function bindable(port: number): boolean {
  try {
    Deno.listen({ port, hostname: "0.0.0.0" }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Picks a free TCP port below the kernel's ephemeral range (32768 and up),
 * where an outgoing connection's local port (a cluster bus link, a client)
 * can take a port between this pick and the server's bind. Its +10000
 * cluster bus port is free too and also below that range; no port is handed
 * out twice in one process.
 */
export function freePort(): number {
  for (let tries = 0; tries < 1000; tries++) {
    const port = 10000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(port) || handedOut.has(port + 10000)) continue;
    if (!bindable(port) || !bindable(port + 10000)) continue;
    handedOut.add(port).add(port + 10000);
    return port;
  }
  throw new Error("no free port found");
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until true, or throws after `ms`. */
export async function until(
  what: string,
  fn: () => Promise<boolean>,
  ms = 10000,
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until something accepts connections on `port`; false after `ms`. */
export async function waitPort(port: number, ms = 10000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      (await Deno.connect({ port, hostname: "127.0.0.1" })).close();
      return true;
    } catch {
      await sleep(25);
    }
  }
  return false;
}

/** Runs one command on a fresh connection. */
export async function call(port: number, ...argv: string[]): Promise<Reply> {
  const c = await RawClient.connect(port);
  try {
    return await c.call(...argv);
  } finally {
    c.close();
  }
}

/** INFO `section` as a map of its fields. */
export async function info(port: number, section: string): Promise<Map<string, string>> {
  const text = String(await call(port, "INFO", section));
  const m = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** A server child process: Respite (main.ts) or redis-server. */
export interface Proc {
  readonly port: number;
  /** Its `dir`. */
  readonly dir: string;
  readonly pid: number;
  /** Everything it logged so far (stdout and stderr). */
  log(): string;
  /** Waits until the log matches `re` `times` times; throws after `ms`. */
  waitLog(re: RegExp, ms?: number, times?: number): Promise<void>;
  /** The exit code once exited, or undefined if still running after `ms`. */
  exited(ms: number): Promise<number | undefined>;
  /** Sends a signal (SIGSTOP / SIGCONT pause and resume it); none once exited. */
  signal(sig: Deno.Signal): void;
  /**
   * Kills it (SIGKILL) if still running and waits for it; removes its
   * `dir` when that was made for it.
   */
  stop(): Promise<void>;
}

/** Options of {@link spawnServer} and {@link runToExit}. */
export interface SpawnOptions {
  /** Its port; default: a free one (a restarted server keeps its own). */
  port?: number;
  /**
   * Returns as soon as it answers PING, -LOADING included (a test of the
   * loading state); default: once it has loaded its dataset.
   */
  whileLoading?: boolean;
  /** Its `dir`; default: a new temporary one, removed by `stop`. */
  dir?: string;
  /**
   * Its working directory, against which relative `--plugin` paths
   * resolve; default: its `dir`.
   */
  cwd?: string;
  /**
   * A config file, passed before every other argument (the only place
   * either server reads one); the arguments still override its lines.
   */
  conf?: string;
  /**
   * Respite's Deno permission flags; default `-A`. {@link START_PERMS}
   * runs it with the permissions `deno task start` grants.
   */
  permissions?: readonly string[];
  /**
   * Runs it with SIGXFSZ ignored, so a file-size limit set later
   * (prlimit) fails its writes with EFBIG instead of killing it.
   */
  ignoreXfsz?: boolean;
}

/**
 * Starts a server process on a free port, `--port` and `--dir` before
 * `args` (so they may override them; only `conf` comes earlier), and waits
 * until it accepts connections. Throws with its log when it exits or
 * never listens.
 */
export async function spawnServer(
  kind: "respite" | "redis",
  args: readonly string[],
  opts: SpawnOptions = {},
): Promise<Proc> {
  const proc = launch(kind, args, opts);
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    // The port is bound before the dataset loads: ready means a reply that
    // is not -LOADING (a -NOAUTH is one).
    if (await answersPing(proc.port, deadline, opts.whileLoading === true)) return proc;
    if ((await proc.exited(25)) !== undefined) break;
  }
  await proc.stop();
  throw new Error(`${kind} did not start on port ${proc.port}:\n${proc.log()}`);
}

/** Whether a server on `port` answers PING with anything but -LOADING. */
async function answersPing(port: number, deadline: number, loading = false): Promise<boolean> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ port, hostname: "127.0.0.1" });
  } catch {
    return false;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buf = new Uint8Array(64);
    const n = await Promise.race([
      conn.read(buf),
      new Promise<null>((r) =>
        timer = setTimeout(() => r(null), Math.max(0, deadline - Date.now()))
      ),
    ]);
    if (n === null) return false;
    return loading || !new TextDecoder().decode(buf.subarray(0, n)).startsWith("-LOADING");
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

/**
 * Runs a server that is expected to exit at start-up (a bad config, a
 * file it refuses to load), as {@link spawnServer} would start it.
 * `code` is its exit status, or undefined when it was still running after
 * `ms` (it is killed then); `log` is everything it printed.
 */
export async function runToExit(
  kind: "respite" | "redis",
  args: readonly string[],
  opts: SpawnOptions = {},
  ms = 10000,
): Promise<{ code: number | undefined; log: string }> {
  const proc = launch(kind, args, opts);
  try {
    return { code: await proc.exited(ms), log: proc.log() };
  } finally {
    await proc.stop();
  }
}

/** Spawns a server process without waiting for it to listen. */
function launch(kind: "respite" | "redis", args: readonly string[], opts: SpawnOptions): Proc {
  const port = opts.port ?? freePort();
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? Deno.makeTempDirSync({ prefix: `respite-${kind}-` });
  const serverArgs = [
    ...(opts.conf === undefined ? [] : [opts.conf]),
    ...["--port", String(port), "--dir", dir, ...args],
  ];
  let cmd = kind === "redis" ? "redis-server" : Deno.execPath();
  let argv = kind === "redis"
    ? serverArgs
    : ["run", ...(opts.permissions ?? ["-A"]), MAIN, ...serverArgs];
  if (opts.ignoreXfsz) {
    argv = ["-c", 'trap "" XFSZ; exec "$0" "$@"', cmd, ...argv];
    cmd = "bash";
  }
  const child = new Deno.Command(cmd, {
    args: argv,
    cwd: opts.cwd ?? dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += dec.decode(chunk, { stream: true });
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  let code: number | undefined;
  const status = child.status.then((s) => (code = s.code));
  return {
    port,
    dir,
    pid: child.pid,
    log: () => text,
    async waitLog(re, ms = 5000, times = 1) {
      const g = new RegExp(re.source, re.flags.includes("g") ? re.flags : re.flags + "g");
      const deadline = Date.now() + ms;
      while ((text.match(g)?.length ?? 0) < times) {
        if (Date.now() > deadline) throw new Error(`log never matched ${re}:\n${text}`);
        await sleep(20);
      }
    },
    async exited(ms) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([status, new Promise((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
      if (code === undefined) return undefined;
      await drained;
      return code;
    },
    signal(sig) {
      if (code === undefined) child.kill(sig);
    },
    async stop() {
      if (code === undefined) {
        try {
          child.kill("SIGCONT");
          child.kill("SIGKILL");
        } catch { /* gone already */ }
      }
      await status;
      await drained;
      if (ownDir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A real redis-server child process (see {@link startRealRedis}). */
export type RealRedis = Proc;

/**
 * Starts a real redis-server on 127.0.0.1 (no persistence, DEBUG on) and
 * waits until it answers; `extra` arguments override those.
 */
export function startRealRedis(
  extra: readonly string[] = [],
  opts: SpawnOptions = {},
): Promise<Proc> {
  return spawnServer("redis", [
    ...["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    ...["--enable-debug-command", "yes", ...extra],
  ], opts);
}

/**
 * Starts Respite as a process (main.ts; no snapshots, DEBUG on) and waits
 * until it answers; `extra` arguments override those.
 */
export function startRespiteProc(
  extra: readonly string[] = [],
  opts: SpawnOptions = {},
): Promise<Proc> {
  return spawnServer("respite", ["--save", "", "--enable-debug-command", "yes", ...extra], opts);
}

/** Bytes as a byte string, in chunks (a spread of a large reply overflows the stack). */
function latin(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

const enc = (s: string) => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

/** A command as a RESP multibulk, as a byte string (to join a pipeline's commands). */
export function commandText(argv: readonly string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/** Encodes a command as a RESP multibulk (byte strings). */
export function encodeCommand(argv: readonly string[]): Uint8Array {
  return enc(commandText(argv));
}

/** A decoded reply. Errors are `{ error }`; RESP3 maps become `{ map }`. */
export type Reply =
  | string
  | number
  | bigint
  | boolean
  | null
  | { error: string }
  | { double: string }
  | { map: [Reply, Reply][] }
  | { set: Reply[] }
  | { push: Reply[] }
  | { verbatim: string }
  | Reply[];

/**
 * A raw RESP client: sends bytes, reads one complete reply at a time and
 * returns both its exact bytes (as a byte string) and its decoded form.
 */
export class RawClient {
  #buf = new Uint8Array(0);
  /**
   * Where #buf's unread bytes start: a reply is taken by moving it, so a
   * pipeline's thousands of replies are read in linear time.
   */
  #at = 0;
  #closed = false;
  #chunk = new Uint8Array(65536);
  /** A socket read still pending from a call that timed out. */
  #inflight: Promise<number | null> | undefined;
  private constructor(readonly conn: Deno.TcpConn) {}

  /** Connects to 127.0.0.1:port. */
  static async connect(port: number): Promise<RawClient> {
    const conn = await Deno.connect({ port, hostname: "127.0.0.1" });
    return new RawClient(conn);
  }

  /** Writes raw bytes (a byte string or bytes). */
  async write(data: string | Uint8Array): Promise<void> {
    const b = typeof data === "string" ? enc(data) : data;
    let off = 0;
    while (off < b.length) off += await this.conn.write(b.subarray(off));
  }

  /** Sends a command and returns its raw reply. */
  async command(...argv: string[]): Promise<string> {
    await this.write(encodeCommand(argv));
    return (await this.read()).raw;
  }

  /** Sends a command and returns its decoded reply. */
  async call(...argv: string[]): Promise<Reply> {
    await this.write(encodeCommand(argv));
    return (await this.read()).value;
  }

  /** Reads one complete reply; throws on EOF. `timeoutMs` bounds the wait. */
  async read(timeoutMs = 5000): Promise<{ raw: string; value: Reply }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = parseReply(this.#buf, this.#at);
      if (r) {
        const raw = latin(this.#buf.subarray(this.#at, r.end));
        this.#at = r.end;
        return { raw, value: r.value };
      }
      if (Date.now() > deadline) throw new Error("read timeout");
      const n = await this.#readMore(deadline - Date.now());
      if (n === "timeout") throw new Error("read timeout");
      if (n === null) throw new Error("connection closed");
    }
  }

  /**
   * Reads more bytes into the buffer within `ms`. A read that times out
   * stays pending and the next call takes it over, so no byte is lost to an
   * abandoned read (what `pending` relies on).
   */
  async #readMore(ms: number): Promise<number | null | "timeout"> {
    const chunk = this.#chunk;
    this.#inflight ??= this.conn.read(chunk);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      this.#inflight,
      new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), Math.max(1, ms)))),
    ]).finally(() => clearTimeout(timer));
    if (n === "timeout") return n;
    this.#inflight = undefined;
    if (n === null) return null;
    const rest = this.#buf.subarray(this.#at);
    const next = new Uint8Array(rest.length + n);
    next.set(rest);
    next.set(chunk.subarray(0, n), rest.length);
    this.#buf = next;
    this.#at = 0;
    return n;
  }

  /**
   * Every complete reply that arrives within `ms` (pushes the server sends
   * on its own: pub/sub messages, invalidations), in order; none is `[]`.
   */
  async pending(ms = 100): Promise<Reply[]> {
    const out: Reply[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const r = parseReply(this.#buf, this.#at);
      if (r) {
        out.push(r.value);
        this.#at = r.end;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) return out;
      const n = await this.#readMore(left);
      if (n === "timeout" || n === null) return out;
    }
  }

  /** Resolves true when the server closes the connection within `ms`. */
  async closedWithin(ms = 2000): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      try {
        const n = await this.#readMore(left);
        if (n === "timeout") return false;
        if (n === null) return true;
      } catch {
        return true;
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closing ends a pending read with an error nobody waits for.
    this.#inflight?.catch(() => {});
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

function line(buf: Uint8Array, at: number): { text: string; next: number } | undefined {
  for (let i = at; i + 1 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) {
      return { text: String.fromCharCode(...buf.subarray(at, i)), next: i + 2 };
    }
  }
  return undefined;
}

/** Parses one RESP2/RESP3 reply at `at`; undefined when incomplete. */
export function parseReply(buf: Uint8Array, at: number): { value: Reply; end: number } | undefined {
  if (at >= buf.length) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const l = line(buf, at + 1);
  if (!l) return undefined;
  const t = l.text;
  const agg = (n: number, k: number): { items: Reply[]; end: number } | undefined => {
    const items: Reply[] = [];
    let p = l.next;
    for (let i = 0; i < n * k; i++) {
      const r = parseReply(buf, p);
      if (!r) return undefined;
      items.push(r.value);
      p = r.end;
    }
    return { items, end: p };
  };
  switch (type) {
    case "+":
      return { value: t, end: l.next };
    case "-":
      return { value: { error: t }, end: l.next };
    case ":":
      return { value: Number(t), end: l.next };
    case "(":
      return { value: BigInt(t), end: l.next };
    case ",":
      return { value: { double: t }, end: l.next };
    case "#":
      return { value: t === "t", end: l.next };
    case "_":
      return { value: null, end: l.next };
    case "$":
    case "=":
    case "!": {
      const n = Number(t);
      if (n < 0) return { value: null, end: l.next };
      if (buf.length < l.next + n + 2) return undefined;
      const s = latin(buf.subarray(l.next, l.next + n));
      if (type === "!") return { value: { error: s }, end: l.next + n + 2 };
      if (type === "=") return { value: { verbatim: s }, end: l.next + n + 2 };
      return { value: s, end: l.next + n + 2 };
    }
    case "*":
    case "~":
    case ">": {
      const n = Number(t);
      if (n < 0) return { value: null, end: l.next };
      const r = agg(n, 1);
      if (!r) return undefined;
      const value: Reply = type === "*"
        ? r.items
        : type === "~"
        ? { set: r.items }
        : { push: r.items };
      return { value, end: r.end };
    }
    case "%":
    case "|": {
      const r = agg(Number(t), 2);
      if (!r) return undefined;
      const pairs: [Reply, Reply][] = [];
      for (let i = 0; i < r.items.length; i += 2) pairs.push([r.items[i]!, r.items[i + 1]!]);
      return { value: { map: pairs }, end: r.end };
    }
    default:
      throw new Error(
        `bad reply type '${type}' in ${
          JSON.stringify(String.fromCharCode(...buf.subarray(at, at + 40)))
        }`,
      );
  }
}

/** One step of a differential script: a command, or options for it. */
export type Step = string[] | {
  cmd: string[];
  /** Compare sorted (set-like replies whose order Redis does not define). */
  unordered?: boolean;
  /** Compare only the reply's type and shape, not its content. */
  shapeOnly?: boolean;
  /** Only the error code and whether it is an error. */
  errorPrefixOnly?: boolean;
};

/** Runs a script on one server and returns the raw replies. */
async function runScript(port: number, script: readonly Step[]): Promise<Reply[]> {
  const c = await RawClient.connect(port);
  try {
    await c.call("FLUSHALL");
    const out: Reply[] = [];
    for (const step of script) {
      const argv = Array.isArray(step) ? step : step.cmd;
      out.push(normalize(await c.call(...argv), Array.isArray(step) ? { cmd: argv } : step));
    }
    return out;
  } finally {
    c.close();
  }
}

function normalize(r: Reply, step: Exclude<Step, string[]>): Reply {
  if (step.errorPrefixOnly && r !== null && typeof r === "object" && "error" in r) {
    return { error: r.error.split(" ")[0]! };
  }
  if (step.shapeOnly) return shape(r);
  if (step.unordered && Array.isArray(r)) {
    return [...r].sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
  }
  return r;
}

function shape(r: Reply): Reply {
  if (Array.isArray(r)) return r.map(shape);
  if (r === null) return null;
  if (typeof r === "object") return "error" in r ? { error: "" } : "map";
  return typeof r;
}

let shared: Promise<{ respite: ServerHandle; redis: RealRedis | undefined }> | undefined;

/** One Respite and one redis-server shared by a test file. */
export function sharedServers(): Promise<{ respite: ServerHandle; redis: RealRedis | undefined }> {
  shared ??= (async () => {
    const respite = await startRespite({ config: { "enable-debug-command": "yes" } });
    const redis = hasRedis ? await startRealRedis() : undefined;
    globalThis.addEventListener("unload", () => {
      respite.close();
      redis?.stop();
    });
    return { respite, redis };
  })();
  return shared;
}

/**
 * Registers a differential test: the script runs against Respite and a real
 * redis-server, and every reply must match. A generated script may be
 * given as the function that builds it, called once when the test runs.
 * Without redis-server the test is reported as ignored, visibly.
 */
export function diffTest(name: string, script: readonly Step[] | (() => readonly Step[])): void {
  let built: readonly Step[] | undefined;
  const steps = () => built ??= typeof script === "function" ? script() : script;
  registerDiff(`diff: ${name}`, (_, port) => runScript(port, steps()), (i) => {
    const step = steps()[i]!;
    return `step ${i}: ${JSON.stringify(Array.isArray(step) ? step : step.cmd)}`;
  });
}

/**
 * Registers a test that runs `run` on the shared Respite, then on the
 * shared redis-server, and compares their results one by one (`label`
 * names the i-th in a failure). Without redis-server it is reported as
 * ignored, visibly.
 */
function registerDiff<T>(
  name: string,
  run: (server: "respite" | "redis", port: number) => Promise<T[]>,
  label: (i: number) => string,
): void {
  Deno.test({
    name,
    ignore: !hasRedis,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const { respite, redis } = await sharedServers();
      const ours = await run("respite", respite.port);
      const theirs = await run("redis", redis!.port);
      for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
        assertEquals(ours[i], theirs[i], label(i));
      }
    },
  });
}

/** Runs redis-cli with arguments against a port; returns stdout. */
export async function redisCli(port: number, args: string[], stdin?: string): Promise<string> {
  const cmd = new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  return new TextDecoder().decode(out.stdout);
}

/** True when redis-cli is on PATH. */
export const hasRedisCli: boolean = (() => {
  try {
    return new Deno.Command("redis-cli", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

/** What {@link captureWrites} records. */
export interface WriteCapture {
  /** A plugin to pass to `startRespite({ plugins })`. */
  plugin: Plugin;
  /** Every propagated argv, in order. */
  propagated: string[][];
  /** Every key change as `event:class:key`, in order. */
  events: string[];
}

/** A plugin recording propagated writes and keyspace changes. */
export function captureWrites(): WriteCapture {
  const propagated: string[][] = [];
  const events: string[] = [];
  const plugin: Plugin = {
    name: "capture",
    hooks: {
      propagate(_db, argv) {
        propagated.push([...argv]);
      },
      keyChanged(_db, key, event, cls) {
        events.push(`${event}:${cls}:${key}`);
      },
    },
  };
  return { plugin, propagated, events };
}

/**
 * A checker of single writes through `c`: it runs `argv`, then asserts its
 * reply, the commands it propagated and the key changes it made (`evs`;
 * not checked when omitted), counting only what this command recorded.
 *
 * @example
 * ```ts ignore
 * const cap = captureWrites();
 * const s = await startRespite({ plugins: [cap.plugin] });
 * const step = checkWrites(await RawClient.connect(s.port), cap);
 * await step(["LPUSH", "l", "z"], 1, [["LPUSH", "l", "z"]], ["lpush:l:l"]);
 * ```
 */
export function checkWrites(
  c: RawClient,
  cap: WriteCapture,
): (argv: string[], reply: Reply, props: string[][], evs?: string[]) => Promise<void> {
  return async (argv, reply, props, evs) => {
    cap.propagated.length = 0;
    cap.events.length = 0;
    assertEquals(await c.call(...argv), reply, JSON.stringify(argv));
    assertEquals(cap.propagated, props, `propagated for ${JSON.stringify(argv)}`);
    if (evs !== undefined) assertEquals(cap.events, evs, `events for ${JSON.stringify(argv)}`);
  };
}

/**
 * One step of a differential session: a command sent by client `n`
 * (`[n, ...argv]`), its reply read; a command sent without reading a reply
 * (`{ send: [n, ...argv] }`, for CLIENT REPLY OFF); what client `n`
 * received on its own within 100 ms (`{ read: n }`: pushes, messages, as a
 * list); or an action run beside the server between commands (`{ act }`,
 * given which server it is and its port).
 */
export type SessionStep =
  | readonly [client: number, ...argv: string[]]
  | { send: readonly [client: number, ...argv: string[]] }
  | { read: number }
  | { act: (server: "respite" | "redis", port: number) => unknown };

/** Options of {@link diffSession}. */
export interface SessionOptions {
  /** Clients connected for the session (default 2). */
  clients?: number;
  /**
   * Commands run after the session, passed or failed, to put the shared
   * servers back (CONFIG SET of what the session changed, REPLICAOF NO ONE).
   */
  cleanup?: readonly string[][];
  /** Runs after the cleanup commands (undoes what an `act` step did). */
  undo?: (server: "respite" | "redis", port: number) => unknown;
}

/** Runs a session on one server and returns the replies of its commands. */
async function runSession(
  which: "respite" | "redis",
  port: number,
  steps: readonly SessionStep[],
  opts: SessionOptions,
): Promise<Reply[]> {
  const clients = await Promise.all(
    Array.from({ length: opts.clients ?? 2 }, () => RawClient.connect(port)),
  );
  try {
    await clients[0]!.call("FLUSHALL");
    const out: Reply[] = [];
    for (const step of steps) {
      if ("act" in step) {
        await step.act(which, port);
        continue;
      }
      if ("send" in step) {
        const [n, ...argv] = step.send;
        await clients[n]!.write(encodeCommand(argv));
        continue;
      }
      if ("read" in step) {
        out.push(await clients[step.read]!.pending());
        continue;
      }
      const [n, ...argv] = step;
      out.push(await clients[n]!.call(...argv));
    }
    return out;
  } finally {
    for (const argv of opts.cleanup ?? []) await clients[0]!.call(...argv).catch(() => {});
    for (const c of clients) c.close();
    await opts.undo?.(which, port);
  }
}

/**
 * Registers a differential test of several clients: the steps run in order
 * against Respite and against a real redis-server (the shared pair of the
 * test file), and every reply must match.
 *
 * @example
 * ```ts ignore
 * diffSession("EXEC re-checks min-replicas", [
 *   [0, "MULTI"],
 *   [0, "INCR", "x"],
 *   [1, "CONFIG", "SET", "min-replicas-to-write", "2"],
 *   [0, "EXEC"],
 * ], { cleanup: [["CONFIG", "SET", "min-replicas-to-write", "0"]] });
 * ```
 */
export function diffSession(
  name: string,
  steps: readonly SessionStep[],
  opts: SessionOptions = {},
): void {
  const cmds = steps.filter((s) => !("act" in s) && !("send" in s));
  registerDiff(
    `diff: ${name}`,
    (server, port) => runSession(server, port, steps, opts),
    (i) => `step ${i}: ${JSON.stringify(cmds[i])}`,
  );
}

/** `rdb_changes_since_last_save` of a server (Redis's `dirty`). */
async function dirtyOf(c: RawClient): Promise<number> {
  const info = String(await c.call("INFO", "persistence"));
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)?.[1] ?? NaN);
}

/**
 * Registers a differential test of change counts: each command of the
 * script runs against Respite and a real redis-server, and the change
 * counter (`rdb_changes_since_last_save`, what save points and
 * propagation follow) must grow by the same amount on both, as must the
 * replies match.
 *
 * @example
 * ```ts ignore
 * diffDirty("SETBIT to the value a bit already has changes nothing", [
 *   ["SETBIT", "k", "7", "1"],
 *   ["SETBIT", "k", "7", "1"],
 * ]);
 * ```
 */
export function diffDirty(name: string, script: readonly string[][]): void {
  registerDiff(`diff: dirty: ${name}`, async (_, port) => {
    const c = await RawClient.connect(port);
    // The counter is read on a connection of its own: inside MULTI, the
    // script's would queue the INFO (and EXEC answer its time fields).
    const d = await RawClient.connect(port);
    try {
      await c.call("FLUSHALL");
      const out: [Reply, number][] = [];
      for (const argv of script) {
        const before = await dirtyOf(d);
        const reply = await c.call(...argv);
        out.push([reply, (await dirtyOf(d)) - before]);
      }
      return out;
    } finally {
      c.close();
      d.close();
    }
  }, (i) => `step ${i}: ${JSON.stringify(script[i])} [reply, changes]`);
}
