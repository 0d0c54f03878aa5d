/**
 * The server: plugin set-up, listeners, the per-connection I/O loop, the
 * cron, and the hook fan-out. Command families live in plugins.
 *
 * @module
 */

import {
  ADMISSION_PHASES,
  type AdmissionCheck,
  type AdmissionChecks,
  type AdmissionPhase,
  type Bytes,
  type ClientFlags,
  type ClientInfoContribution,
  type CommandEntry,
  type CommandSpec,
  type Context,
  type EventClass,
  type Hooks,
  type Plugin,
  type ReplyWriter,
  type ServerStats,
  type Services,
  type ShutdownOptions,
} from "./types.ts";
import { ConfigStore } from "./config.ts";
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { type Database, Keyspace } from "./keyspace.ts";
import { emptyHooks, type HookLists, makeEntry, orderPlugins } from "./registry.ts";
import { Dispatcher } from "./dispatcher.ts";
import { Client, type ClientHost } from "./client.ts";
import { ProtocolError } from "./resp/parser.ts";
import { coreDirectives, parseOutputLimits } from "./server_config.ts";
import { VERSION } from "./version.ts";
import { randomHex } from "./random.ts";
import { BlockingManager, type BlockSpec } from "./blocking.ts";
import { listenTls, tlsMaterial } from "./tls.ts";

/** Redis 7.0's protected-mode refusal, sent before closing (typo included). */
export const PROTECTED_MODE_DENIED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/**
 * Redis 7.0's protected-mode decision (`clientAcceptHandler`): refuse a
 * client when protected mode is on, the default user needs no password and
 * the peer is not exactly 127.0.0.1 or ::1 (Redis compares the address
 * text, so 127.0.0.2 is refused too). Unix sockets are not served.
 *
 * @example
 * ```ts
 * import { protectedModeRefuses } from "./server.ts";
 * console.log(protectedModeRefuses(true, true, "192.0.2.7")); // true
 * console.log(protectedModeRefuses(true, true, "127.0.0.1")); // false
 * ```
 */
export function protectedModeRefuses(
  protectedMode: boolean,
  noPassword: boolean,
  peerHost: string,
): boolean {
  if (!protectedMode || !noPassword) return false;
  return peerHost !== "127.0.0.1" && peerHost !== "::1";
}

/** How long a committed shutdown waits for replies still being written. */
const SHUTDOWN_FLUSH_MS = 1000;

/** Log levels in increasing severity. */
const LEVELS = { debug: 0, verbose: 1, notice: 2, warning: 3 } as const;
type Level = keyof typeof LEVELS;

/** Options for {@link Server}. */
export interface ServerOptions {
  /** Plugins, built-in families included (see `mod.ts`'s `builtinPlugins`). */
  plugins: readonly Plugin[];
  /** Directive values, as in redis.conf (`{ port: "0" }`). */
  config?: Readonly<Record<string, string>>;
  /** The clock TTLs and timeouts read. Defaults to the system clock. */
  clock?: Clock;
  /** Where log lines go. Defaults to stderr (or `logfile`). */
  logger?: (line: string) => void;
}

/**
 * A Respite server. Use `startServer` from `mod.ts` rather than this class.
 */
export class Server implements ClientHost {
  readonly config: ConfigStore = new ConfigStore();
  readonly keyspace: Keyspace;
  readonly clock: Clock;
  readonly version: string = VERSION;
  readonly startedAt: number;
  readonly pid: number = Deno.pid;
  readonly runId: string;
  readonly hooks: HookLists = emptyHooks();
  /** Every admission check, in phase order (what the dispatcher runs). */
  admission: readonly AdmissionCheck[] = [];
  #checks = new Map<AdmissionPhase, AdmissionCheck[]>();
  readonly commands: Map<string, CommandEntry> = new Map();
  readonly clients: Map<number, Client> = new Map();
  readonly dispatcher: Dispatcher;
  readonly blocking: BlockingManager;
  readonly plugins: Plugin[];
  readonly stats: ServerStats = {
    totalConnections: 0,
    totalCommands: 0,
    rejectedConnections: 0,
    expiredKeys: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    errorReplies: 0,
    errorCodes: new Map(),
  };
  dirty = 0;
  port = 0;
  /** The TLS port actually bound (0 when TLS is off). */
  tlsPort = 0;
  #listeners: (Deno.Listener | Deno.TlsListener)[] = [];
  #nextClientId = 1;
  #atomicDepth = 0;
  #atomicOpened = false;
  #atomicDb = 0;
  /** The first write inside `atomically`, held until a second one comes. */
  #atomicPending: [number, readonly Bytes[]] | undefined;
  #services = new Map<keyof Services, unknown>();
  #cron: ReturnType<typeof setInterval> | undefined;
  /** A shutdown in its prepare stage (it may still be refused). */
  #preparing: Promise<void> | undefined;
  /** The committed shutdown. */
  #closing: Promise<void> | undefined;
  #logger: (line: string) => void;
  #logLevel: Level = "notice";
  #maxclients = 10000;
  #timeout = 0;
  #outputLimits: Record<string, [number, number, number]> = {};
  /** Smallest output limit of any class: below it no check is needed. */
  #outputCheckAt = Infinity;
  #closed!: () => void;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void> = new Promise((r) => (this.#closed = r));

  constructor(opts: ServerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.runId = randomHex(40);
    this.#logger = opts.logger ?? ((line) => console.error(line));
    this.plugins = orderPlugins(opts.plugins);
    for (const d of coreDirectives) this.config.declare(d);
    for (const p of this.plugins) for (const d of p.config ?? []) this.config.declare(d);
    for (const [k, v] of Object.entries(opts.config ?? {})) this.config.set(k, v, true);
    this.keyspace = new Keyspace({
      databases: this.config.number("databases"),
      clock: this.clock,
    });
    this.keyspace.onExpire = (db, key) => this.#expired(db, key);
    this.dispatcher = new Dispatcher(this);
    this.blocking = new BlockingManager({
      clock: this.clock,
      rerun: (c, cmd, argv) => this.dispatcher.run(c, cmd, argv),
      resumeClient: (c) => this.resumeClient(c),
    });
    this.config.watch("loglevel", (v) => (this.#logLevel = v as Level));
    this.config.watch("maxclients", (v) => (this.#maxclients = Number(v)));
    this.config.watch("timeout", (v) => (this.#timeout = Number(v)));
    this.config.watch(
      "client-output-buffer-limit",
      (v) => {
        this.#outputLimits = parseOutputLimits(v);
        this.#outputCheckAt = Math.min(
          ...Object.values(this.#outputLimits).flatMap(([h, s]) => [h || Infinity, s || Infinity]),
        );
      },
    );
    this.config.watch("proto-max-bulk-len", (v) => {
      for (const c of this.clients.values()) c.parser.limits.maxBulk = Number(v);
    });
    this.config.watch("client-query-buffer-limit", (v) => {
      for (const c of this.clients.values()) c.parser.limits.maxQuery = Number(v);
    });
    for (const p of this.plugins) {
      this.#register(p.commands ?? [], p.hooks);
      this.#addChecks(p.admission);
      this.keyspace.types.registerAll(p.types, p.name);
      const inst = p.init?.(this);
      if (inst) {
        this.#register(inst.commands ?? [], inst.hooks);
        this.#addChecks(inst.admission);
        this.keyspace.types.registerAll(inst.types, p.name);
      }
    }
    this.admission = ADMISSION_PHASES.flatMap((phase) => this.#checks.get(phase) ?? []);
    for (const h of this.hooks.load) h();
  }

  #addChecks(checks: AdmissionChecks | undefined): void {
    if (checks === undefined) return;
    for (const phase of ADMISSION_PHASES) {
      const check = checks[phase];
      if (check === undefined) continue;
      let list = this.#checks.get(phase);
      if (list === undefined) this.#checks.set(phase, list = []);
      list.push(check);
    }
  }

  admit(
    c: Context,
    cmd: CommandEntry,
    argv: Bytes[],
    opts: { traits: number; phases: readonly AdmissionPhase[] },
  ): string | undefined {
    for (const phase of opts.phases) {
      for (const check of this.#checks.get(phase) ?? []) {
        const err = check(c, cmd, argv, opts.traits, true);
        if (err !== undefined) return err;
      }
    }
    return undefined;
  }

  #register(specs: readonly CommandSpec[], hooks?: Hooks): void {
    for (const spec of specs) {
      if (this.commands.has(spec.name)) throw new Error(`command '${spec.name}' registered twice`);
      this.commands.set(spec.name, makeEntry(spec));
    }
    if (!hooks) return;
    for (const k of Object.keys(hooks) as (keyof HookLists)[]) {
      const fn = hooks[k];
      // deno-lint-ignore no-explicit-any
      if (fn) (this.hooks[k] as any[]).push(fn);
    }
  }

  /** Binds every `bind` address on `port` and starts accepting clients. */
  listen(): void {
    const want = this.config.number("port");
    const addrs = this.config.get("bind").split(/\s+/).filter((a) => a !== "");
    let port = want;
    for (const raw of addrs) {
      const optional = raw.startsWith("-");
      const hostname = optional ? raw.slice(1) : raw;
      try {
        const l = Deno.listen({
          hostname: hostname === "*" ? "0.0.0.0" : hostname,
          port,
          transport: "tcp",
        });
        if (port === 0) port = (l.addr as Deno.NetAddr).port;
        this.#listeners.push(l);
        this.#accept(l);
      } catch (e) {
        if (!optional) {
          for (const l of this.#listeners) l.close();
          throw e;
        }
      }
    }
    this.port = port;
    this.#listenTls(addrs);
    const hz = this.config.number("hz");
    this.#cron = setInterval(() => this.#tick(), Math.max(1, Math.floor(1000 / hz)));
    this.config.watch("hz", (v) => {
      if (this.#cron === undefined) return;
      clearInterval(this.#cron);
      this.#cron = setInterval(() => this.#tick(), Math.max(1, Math.floor(1000 / Number(v))));
    });
  }

  /** Opens `tls-port` on every bind address (see `tls.ts`). */
  #listenTls(addrs: string[]): void {
    let material;
    try {
      material = tlsMaterial(this.config);
    } catch (e) {
      for (const l of this.#listeners) l.close();
      throw e;
    }
    if (material === undefined) return;
    let port = this.config.number("tls-port");
    for (const raw of addrs) {
      const optional = raw.startsWith("-");
      const hostname = optional ? raw.slice(1) : raw;
      try {
        const l = listenTls(hostname === "*" ? "0.0.0.0" : hostname, port, material);
        port = (l.addr as Deno.NetAddr).port;
        this.#listeners.push(l);
        this.#accept(l);
      } catch (e) {
        if (!optional) {
          for (const l of this.#listeners) l.close();
          throw e;
        }
      }
    }
    this.tlsPort = port;
  }

  async #accept(l: Deno.Listener | Deno.TlsListener): Promise<void> {
    try {
      for await (const conn of l) this.#serve(conn as Deno.TcpConn);
    } catch (e) {
      if (!this.#closing) this.log("warning", `accept failed: ${e}`);
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    if (this.clients.size >= this.#maxclients) {
      this.stats.rejectedConnections++;
      try {
        await conn.write(new TextEncoder().encode("-ERR max number of clients reached\r\n"));
      } catch { /* gone already */ }
      conn.close();
      return;
    }
    // Counted once accepted: Redis leaves rejected connections out.
    this.stats.totalConnections++;
    const peer = (conn.remoteAddr as Deno.NetAddr).hostname;
    if (
      protectedModeRefuses(
        this.config.bool("protected-mode"),
        this.#defaultUserNoPass(),
        peer,
      )
    ) {
      this.stats.rejectedConnections++;
      this.log("verbose", `protected mode: refused a client from ${peer}`);
      try {
        await conn.write(new TextEncoder().encode(PROTECTED_MODE_DENIED));
      } catch { /* gone already */ }
      conn.close();
      return;
    }
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(true);
    } catch { /* not every transport supports these */ }
    const ra = conn.remoteAddr as Deno.NetAddr, la = conn.localAddr as Deno.NetAddr;
    const c = new Client(
      this.#nextClientId++,
      this,
      this.keyspace.db(0),
      fmtAddr(ra),
      fmtAddr(la),
    );
    c.writer.onError = (msg) => this.#countError(msg);
    let closedBySelf = false;
    c.closer = () => {
      if (closedBySelf) return;
      closedBySelf = true;
      try {
        conn.close();
      } catch { /* already closed */ }
    };
    c.conn = conn;
    this.clients.set(c.id, c);
    for (const h of this.hooks.clientConnected) h(c);
    try {
      for (;;) {
        // A read is always pending on an idle client, so a buffer grown for
        // one big request is dropped here, between requests.
        c.parser.shrink();
        const view = c.parser.writable();
        const n = await conn.read(view);
        if (n === null || c.closed) break;
        this.stats.netInputBytes += n;
        try {
          c.parser.commit(n);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          this.log(
            "warning",
            `closing client id=${c.id} addr=${c.addr}: query buffer limit reached`,
          );
          break;
        }
        c.lastInteraction = this.clock.now();
        this.#processInput(c);
        if (c.writer.len !== 0) this.flushClient(c);
        // Without an output limit, wait for the write before reading more:
        // a client that does not read stalls only itself, with bounded
        // memory. With one, keep reading as Redis does, so the limit sees
        // the output pile up and disconnects the client.
        if (c.writing && (c.flags.closeAfterReply || !this.#hasOutputLimit(c))) {
          await c.writing;
        }
        if (c.flags.closeAfterReply || c.closed) break;
      }
    } catch (e) {
      if (!c.closed && !isDisconnect(e)) this.log("verbose", `client id=${c.id} error: ${e}`);
    } finally {
      this.#drop(c);
    }
  }

  /**
   * Whether the default user logs in without a password (protected mode):
   * the `defaultUserNoPass` service (the ACL plugin's), else an empty
   * `requirepass`.
   */
  #defaultUserNoPass(): boolean {
    const own = this.service("defaultUserNoPass");
    if (own !== undefined) return own();
    return this.config.directive("requirepass") === undefined ||
      this.config.get("requirepass") === "";
  }

  /** Runs every complete command in the client's input buffer. */
  #processInput(c: Client): void {
    // Once the shutdown is committed the final save is made: a command run
    // now would be acknowledged, then lost.
    if (this.#closing !== undefined) return;
    const parser = c.parser;
    const w = c.writer;
    while (!c.suspended && !c.flags.closeAfterReply && !c.closed) {
      let argv: string[] | null;
      try {
        argv = parser.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        if (e.reply !== undefined) {
          w.enabled = true;
          w.error(e.reply);
          this.log("verbose", `protocol error from client id=${c.id} addr=${c.addr}: ${e.reply}`);
        }
        c.flags.closeAfterReply = true;
        break;
      }
      if (argv === null) break;
      if (c.flags.replyMode === "skip") {
        // The skip is consumed by this command, which may set a new mode
        // (CLIENT REPLY SKIP again, or OFF) that must then stay in force.
        c.flags.replyMode = "on" as ClientFlags["replyMode"];
        w.enabled = false;
        this.dispatcher.execute(c, argv);
        w.enabled = c.flags.replyMode !== "off";
      } else {
        this.dispatcher.execute(c, argv);
      }
      // A pipelined batch of big replies: stop as soon as it goes over.
      if (w.len > this.#outputCheckAt && this.#overOutputLimit(c)) break;
    }
  }

  resumeClient(c: Client): void {
    if (c.closed) return;
    this.#processInput(c);
    this.flushClient(c);
    if (c.flags.closeAfterReply && !c.writing) c.closer?.();
  }

  flushClient(c: Client): void {
    if (c.closed || c.writer.len === 0) return;
    // Checked even while a write is in flight: that is when output piles up.
    if (this.#overOutputLimit(c)) return;
    if (c.writing) return;
    c.writing = this.#writeLoop(c).finally(() => {
      c.writing = undefined;
      // Output added after the loop's last check (its promise settles a
      // microtask later) would otherwise wait for the next flush.
      if (c.writer.len !== 0) this.flushClient(c);
    });
  }

  async #writeLoop(c: Client): Promise<void> {
    const conn = c.conn!;
    const before = this.hooks.beforeFlush;
    try {
      while (c.writer.len !== 0 && !c.closed) {
        for (let i = 0; i < before.length; i++) {
          const p = before[i]!();
          if (p === undefined) continue;
          const len = c.writer.len;
          await p;
          // Output produced during the wait (a wake-up, a message) may
          // depend on writes that are not durable yet: ask again.
          if (c.writer.len !== len) i = -1;
        }
        if (c.closed) break;
        const data = c.writer.detach();
        c.outputPending = data.length;
        let off = 0;
        while (off < data.length) {
          off += await conn.write(off === 0 ? data : data.subarray(off));
          c.outputPending = data.length - off;
          // Redis counts a write as interaction (`timeout`).
          c.lastInteraction = this.clock.now();
        }
        this.stats.netOutputBytes += data.length;
        c.writer.release(data);
      }
      c.outputPending = 0;
      c.softLimitSince = 0;
      if (c.flags.closeAfterReply && !c.suspended) c.closer?.();
    } catch {
      c.closer?.();
    }
  }

  /** Whether `client-output-buffer-limit` limits the client's class. */
  #hasOutputLimit(c: Client): boolean {
    const lim = this.#outputLimits[c.kind];
    return lim !== undefined && (lim[0] !== 0 || lim[1] !== 0);
  }

  /** Applies `client-output-buffer-limit`; closes the client when over. */
  #overOutputLimit(c: Client): boolean {
    const lim = this.#outputLimits[c.kind];
    if (!lim) return false;
    const [hard, soft, secs] = lim;
    if (hard === 0 && soft === 0) return false;
    const size = c.writer.len + c.outputPending;
    let over = hard !== 0 && size > hard;
    if (!over && soft !== 0 && size > soft) {
      const now = this.clock.now();
      if (c.softLimitSince === 0) c.softLimitSince = now;
      else if (now - c.softLimitSince > secs * 1000) over = true;
    } else if (!over) {
      c.softLimitSince = 0;
    }
    if (over) {
      this.log(
        "warning",
        `client id=${c.id} addr=${c.addr} closed for overcoming of output buffer limits`,
      );
      this.#drop(c);
    }
    return over;
  }

  #drop(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    this.blocking.unblock(c, "gone");
    c.closer?.();
    this.clients.delete(c.id);
    for (const h of this.hooks.clientClosed) {
      try {
        h(c);
      } catch (e) {
        this.log("warning", `clientClosed hook failed: ${e}`);
      }
    }
  }

  blockClient(c: Client, cmd: CommandEntry, argv: Bytes[], spec: BlockSpec): void {
    this.blocking.block(c, cmd, argv, spec);
  }

  serveBlocked(): void {
    if (this.blocking.hasReady) this.blocking.serveReady();
  }

  get blockedClients(): number {
    return this.blocking.blocked.size;
  }

  unblockClient(id: number, error: boolean): boolean {
    const c = this.clients.get(id);
    return c !== undefined && this.blocking.unblock(c, error ? "error" : "timeout");
  }

  unblockAllClients(error: string): void {
    this.blocking.unblockAll(error);
  }

  killClient(id: number): boolean {
    const c = this.clients.get(id);
    if (!c) return false;
    this.#drop(c);
    return true;
  }

  #tick(): void {
    const now = this.clock.now();
    // Active expiry: sample keys with a TTL, within a time budget (25% of a
    // tick, as Redis's slow cycle), so keys nobody reads are reclaimed.
    const budget = (1000 / this.config.number("hz")) * 0.25;
    const t0 = performance.now();
    const effort = this.config.number("active-expire-effort");
    outer: while (this.keyspace.activeExpire) {
      let any = false;
      for (const db of this.keyspace.dbs) {
        const [examined, expired] = db.activeExpireStep(20 * effort, now);
        if (examined !== 0 && expired * 4 > examined) any = true;
        if (performance.now() - t0 > budget) break outer;
      }
      if (!any) break;
    }
    if (this.#timeout > 0) {
      for (const c of this.clients.values()) {
        if (c.kind !== "normal" || c.suspended) continue;
        if (now - c.lastInteraction > this.#timeout * 1000) {
          this.log("verbose", `closing idle client id=${c.id}`);
          this.#drop(c);
        }
      }
    }
    for (const c of this.clients.values()) {
      if (c.softLimitSince !== 0) this.#overOutputLimit(c);
    }
    if (this.blocking.blocked.size !== 0) this.blocking.cron(now);
    for (const h of this.hooks.cron) h(now);
  }

  #expired(db: Database, key: Bytes): void {
    this.stats.expiredKeys++;
    // A deleted key may end a block (XREADGROUP fails when its stream goes).
    if (this.blocking.blocked.size !== 0) this.blocking.signal(db, key);
    for (const h of this.hooks.keyExpired) h(db, key);
    // Not through emitKeyChanged: as in Redis, an expiry is not a change
    // of `dirty`, so a read command that meets an expired key is not
    // propagated itself; the DEL below is.
    const hs = this.hooks.keyChanged;
    for (let i = 0; i < hs.length; i++) hs[i]!(db, key, "expired", "x");
    this.emitPropagate(db.index, ["DEL", key]);
  }

  #countError(msg: string): void {
    this.stats.errorReplies++;
    const sp = msg.indexOf(" ");
    const code = sp === -1 ? msg : msg.slice(0, sp);
    this.stats.errorCodes.set(code, (this.stats.errorCodes.get(code) ?? 0) + 1);
  }

  emitKeyChanged(db: Database, key: Bytes, event: string, cls: EventClass, dirty = 1): void {
    this.dirty += dirty;
    if (this.blocking.blocked.size !== 0) this.blocking.signal(db, key);
    const hs = this.hooks.keyChanged;
    for (let i = 0; i < hs.length; i++) hs[i]!(db, key, event, cls);
  }

  emitDatabaseChanged(db: Database, event: "flush" | "swap"): void {
    if (this.blocking.blocked.size !== 0) this.blocking.signalAll(db);
    for (const h of this.hooks.databaseChanged) h(db, event);
  }

  emitPropagate(dbIndex: number, argv: readonly Bytes[]): void {
    const hs = this.hooks.propagate;
    if (hs.length === 0) return;
    if (this.#atomicDepth !== 0 && !this.#atomicOpened) {
      // Redis 7 wraps only two or more writes: hold the first until a
      // second one comes (MULTI goes under the first one's database).
      const first = this.#atomicPending;
      if (first === undefined) {
        this.#atomicPending = [dbIndex, argv];
        return;
      }
      this.#atomicPending = undefined;
      this.#atomicOpened = true;
      for (let i = 0; i < hs.length; i++) hs[i]!(first[0], ["MULTI"]);
      for (let i = 0; i < hs.length; i++) hs[i]!(first[0], first[1]);
    }
    this.#atomicDb = dbIndex;
    for (let i = 0; i < hs.length; i++) hs[i]!(dbIndex, argv);
  }

  atomically<T>(fn: () => T): T {
    this.#atomicDepth++;
    try {
      return fn();
    } finally {
      if (--this.#atomicDepth === 0) {
        const single = this.#atomicPending;
        if (single !== undefined) {
          // One write is atomic by itself: it goes out unwrapped.
          this.#atomicPending = undefined;
          for (const h of this.hooks.propagate) h(single[0], single[1]);
        } else if (this.#atomicOpened) {
          this.#atomicOpened = false;
          // Under the last command's database, so no SELECT comes between.
          for (const h of this.hooks.propagate) h(this.#atomicDb, ["EXEC"]);
        }
      }
    }
  }

  resolveCommand(argv: Bytes[]): CommandEntry | string {
    return this.dispatcher.resolve(argv);
  }

  runCommand(c: Context, cmd: CommandEntry, argv: Bytes[]): void {
    this.dispatcher.run(c as Client, cmd, argv);
  }

  createInternalClient(opts: { reply?: ReplyWriter } = {}): Context {
    const c = new Client(0, this, this.keyspace.db(0), "", "", opts.reply);
    c.writer.enabled = false;
    return c;
  }

  provide<K extends keyof Services>(name: K, impl: Services[K]): void {
    if (this.#services.has(name)) throw new Error(`service '${name}' provided twice`);
    this.#services.set(name, impl);
  }

  service<K extends keyof Services>(name: K): Services[K] | undefined {
    return this.#services.get(name) as Services[K] | undefined;
  }

  emitClientReset(c: Context): void {
    for (const h of this.hooks.clientReset) h(c);
  }

  clientInfo(c: Context): ClientInfoContribution[] {
    const out: ClientInfoContribution[] = [];
    for (const h of this.hooks.clientInfo) {
      const r = h(c);
      if (r) out.push(r);
    }
    return out;
  }

  pluginInfo(section: string): Record<string, string | number> {
    const out: Record<string, string | number> = {};
    for (const h of this.hooks.info) Object.assign(out, h(section) ?? {});
    return out;
  }

  log(level: Level, msg: string): void {
    if (LEVELS[level] < LEVELS[this.#logLevel]) return;
    const d = new Date(this.clock.now());
    const ts = `${String(d.getUTCDate()).padStart(2, "0")} ${
      MONTHS[d.getUTCMonth()]
    } ${d.getUTCFullYear()} ${d.toISOString().slice(11, 23)}`;
    const mark = level === "warning"
      ? "#"
      : level === "notice"
      ? "*"
      : level === "verbose"
      ? "-"
      : ".";
    this.#logger(`${this.pid}:M ${ts} ${mark} ${msg}`);
  }

  /**
   * Shuts down in two stages, as Redis's `prepareForShutdown` and
   * `finishShutdown`. Prepare: the `prepareShutdown` hooks make the data
   * durable (the final AOF fsync, the final RDB save). When one refuses, the
   * promise rejects and nothing was closed: listeners, clients and the cron
   * go on, because exiting would lose the data. Commit: the cron and the
   * listeners stop, the `shutdown` hooks release what they hold, clients
   * are closed and `finished` resolves. A call made during a shutdown
   * shares its outcome.
   */
  shutdown(opts: ShutdownOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    return this.#preparing ??= this.#shutdownOnce(opts, false);
  }

  /**
   * Shuts down whatever the final saves say (the embedded `close()`): as
   * SHUTDOWN FORCE, and a hook that fails even so is logged and passed.
   */
  async close(): Promise<void> {
    while (this.#preparing !== undefined) {
      try {
        await this.#preparing;
      } catch { /* refused: forced below */ }
    }
    if (this.#closing) return this.#closing;
    return this.#preparing = this.#shutdownOnce({ force: true }, true);
  }

  async #shutdownOnce(opts: ShutdownOptions, always: boolean): Promise<void> {
    try {
      await this.#prepareShutdown(opts, always);
    } finally {
      this.#preparing = undefined;
    }
    return this.#commitShutdown(opts);
  }

  async #prepareShutdown(opts: ShutdownOptions, always: boolean): Promise<void> {
    this.log("warning", "User requested shutdown...");
    for (const h of this.hooks.prepareShutdown) {
      try {
        await h(opts);
      } catch (e) {
        if (always) {
          this.log("warning", `Error preparing the shutdown: ${errorText(e)}. Exit anyway.`);
          continue;
        }
        this.log(
          "warning",
          "Errors trying to shut down the server. Check the logs for more information.",
        );
        throw e;
      }
    }
  }

  #commitShutdown(opts: ShutdownOptions): Promise<void> {
    return this.#closing = (async () => {
      if (this.#cron !== undefined) clearInterval(this.#cron);
      this.#cron = undefined;
      for (const l of this.#listeners) {
        try {
          l.close();
        } catch { /* already closed */ }
      }
      for (const h of this.hooks.shutdown) {
        try {
          await h(opts);
        } catch (e) {
          this.log("warning", `shutdown hook failed: ${e}`);
        }
      }
      // Replies on their way get a moment to leave; a client that does not
      // read must not hold the exit (Redis does not wait at all).
      const pending = [...this.clients.values()].map((c) => c.writing);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled(pending),
        new Promise((r) => (timer = setTimeout(r, SHUTDOWN_FLUSH_MS))),
      ]);
      clearTimeout(timer);
      for (const c of [...this.clients.values()]) this.#drop(c);
      this.#closed();
    })();
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function fmtAddr(a: Deno.NetAddr): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isDisconnect(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted ||
    e instanceof Deno.errors.NotConnected;
}

export type { Context };
