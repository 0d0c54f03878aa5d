/**
 * The server's lifecycle: it is built from plugins (their directives,
 * commands, admission checks, hooks, types and services), opens its
 * listeners, runs the cron and shuts down in two stages. What happens
 * between a socket and a reply is elsewhere: `connection.ts` (the loop),
 * `dispatcher.ts` (admission and the handler), `propagation.ts` (writes
 * leaving), `expiry.ts` (keys expiring).
 *
 * @module
 */

import {
  ADMISSION_PHASES,
  type AdmissionCheck,
  type AdmissionChecks,
  type AdmissionPhase,
  type Admitter,
  type ArmedCheck,
  type Bytes,
  type ClientInfoContribution,
  type CommandEntry,
  type CommandSpec,
  type Context,
  type EventClass,
  type Hooks,
  type HooksArmed,
  type ListedLink,
  type Plugin,
  type ReplyWriter,
  type ServerStats,
  type Services,
  type ShutdownOptions,
  type SuspendedCall,
} from "./types.ts";
import { ConfigStore } from "./config.ts";
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { type Database, Keyspace } from "./keyspace.ts";
import { emptyHooks, type HookLists, makeEntry, orderPlugins } from "./registry.ts";
import { Dispatcher } from "./dispatcher.ts";
import { Client, type ClientHost } from "./client.ts";
import { Connections } from "./connection.ts";
import { Propagation } from "./propagation.ts";
import { Expiry } from "./expiry.ts";
import { coreDirectives } from "./server_config.ts";
import { VERSION } from "./version.ts";
import { randomHex } from "./random.ts";
import { BlockingManager, type BlockSpec } from "./blocking.ts";
import { Listeners } from "./listeners.ts";
import { LOG_SEVERITY, type LogLevel, logLine } from "./log.ts";

/** How long a committed shutdown waits for replies still being written. */
const SHUTDOWN_FLUSH_MS = 1000;

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
  /**
   * The server is the process's only job (`main.ts`): plugins may then act
   * on the whole process, as the idle full garbage collection does. An
   * embedded server leaves its host's heap alone. Default false.
   */
  ownsProcess?: boolean;
}

/**
 * A Respite server. Use `startServer` from `mod.ts` rather than this class.
 *
 * @example
 * ```ts
 * import { Server } from "./server.ts";
 * import { builtinPlugins } from "../mod.ts";
 * const server = new Server({ plugins: builtinPlugins, config: { port: "0" }, logger: () => {} });
 * server.listen();
 * console.log(server.port > 0); // true
 * await server.close();
 * ```
 */
const alwaysArmed = (): boolean => true;

export class Server implements ClientHost {
  readonly config: ConfigStore = new ConfigStore();
  readonly keyspace: Keyspace;
  readonly clock: Clock;
  readonly version: string = VERSION;
  readonly startedAt: number;
  readonly pid: number = Deno.pid;
  readonly runId: string;
  /** See {@link ServerOptions.ownsProcess}. */
  readonly ownsProcess: boolean;
  /**
   * The hooks the core calls, by kind: the armed ones (see rearm()). Each
   * list is replaced, never changed, so a loop over one is not disturbed
   * by a hook that rearms.
   */
  readonly hooks: HookLists = emptyHooks();
  /** Every registered hook, in order, with its predicate if it has one. */
  #hookEntries: { kind: keyof HookLists; fn: unknown; armed: (() => boolean) | undefined }[] = [];
  /** Every admission check, in phase order (what the dispatcher runs). */
  admission: readonly AdmissionCheck[] = [];
  /** Every check by phase, armed or not. */
  #checks = new Map<AdmissionPhase, ArmedCheck[]>();
  /** The armed checks by phase (what the admitters take). */
  #armed = new Map<AdmissionPhase, AdmissionCheck[]>();
  /** The admitters handed out, by their phases (see `admitter`), kept current by rearm(). */
  #admitters = new Map<string, PhaseAdmitter>();
  readonly commands: Map<string, CommandEntry> = new Map();
  readonly dispatcher: Dispatcher;
  readonly blocking: BlockingManager;
  /** The connected clients and the loop that serves them. */
  readonly connections: Connections;
  readonly clients: Map<number, Client>;
  /** Writes leaving for the AOF and replicas. */
  readonly propagation: Propagation;
  /** Lazy and active expiry's consequences. */
  readonly expiry: Expiry;
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
  /** The listening sockets (TCP, TLS, Unix). */
  readonly listeners: Listeners;
  /** Set once the load hooks have run. */
  #loaded = false;
  /** The BUSY error while a suspended command holds the dataset. */
  #busy: string | undefined;
  /** What waits for the busy state to end. */
  #notBusy: (() => void)[] = [];
  #services = new Map<keyof Services, unknown>();
  #cron: ReturnType<typeof setInterval> | undefined;
  /** A shutdown in its prepare stage (it may still be refused). */
  #preparing: Promise<void> | undefined;
  /** The committed shutdown. */
  #closing: Promise<void> | undefined;
  /** A shutdown waiting for the busy state to end. */
  #afterBusy: Promise<void> | undefined;
  #logger: (line: string) => void;
  #logLevel: LogLevel = "notice";
  #closed!: () => void;
  /** Resolves once the server has shut down. */
  readonly finished: Promise<void> = new Promise((r) => (this.#closed = r));

  constructor(opts: ServerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.runId = randomHex(40);
    this.ownsProcess = opts.ownsProcess ?? false;
    this.#logger = opts.logger ?? ((line) => console.error(line));
    this.plugins = orderPlugins(opts.plugins);
    for (const d of coreDirectives) this.config.declare(d);
    for (const p of this.plugins) for (const d of p.config ?? []) this.config.declare(d);
    for (const [k, v] of Object.entries(opts.config ?? {})) this.config.set(k, v, true);
    this.keyspace = new Keyspace({
      databases: this.config.number("databases"),
      clock: this.clock,
    });
    this.propagation = new Propagation(this.hooks);
    this.dispatcher = new Dispatcher(this);
    const isBusy = () => this.#busy !== undefined;
    this.blocking = new BlockingManager({
      clock: this.clock,
      get busy() {
        return isBusy();
      },
      rerun: (c, cmd, argv) => this.dispatcher.run(c, cmd, argv),
      resumeClient: (c) => this.resumeClient(c),
    });
    this.expiry = new Expiry(this);
    this.connections = new Connections(this);
    this.clients = this.connections.clients;
    this.listeners = new Listeners({
      config: this.config,
      accept: (l, unixPath) => void this.connections.accept(l, unixPath),
      log: (level, msg) => this.log(level, msg),
    });
    this.config.watch("loglevel", (v) => (this.#logLevel = v as LogLevel));
    // Redis's processCommand: while busy, only `allow_busy` commands run.
    this.#addChecks({
      busy: {
        check: (_c, cmd) => cmd.flagSet.has("allow_busy") ? undefined : this.#busy,
        armed: () => this.#busy !== undefined,
      },
    });
    for (const p of this.plugins) {
      this.#register(p.commands ?? [], p.hooks, p.hooksArmed);
      this.#addChecks(p.admission);
      this.keyspace.types.registerAll(p.types, p.name);
      const inst = p.init?.(this);
      if (inst) {
        this.#register(inst.commands ?? [], inst.hooks, inst.hooksArmed);
        this.#addChecks(inst.admission);
        this.keyspace.types.registerAll(inst.types, p.name);
      }
    }
    this.rearm();
  }

  /** The TCP port bound. */
  get port(): number {
    return this.listeners.port;
  }

  /** The TLS port bound (0 when TLS is off). */
  get tlsPort(): number {
    return this.listeners.tlsPort;
  }

  /**
   * A plugin's subcommand of another plugin's container command
   * (`client|tracking`): the container must be registered first (list its
   * plugin in `dependencies`).
   */
  #registerSubcommand(spec: CommandSpec, parentName: string, name: string): void {
    const parent = this.commands.get(parentName);
    if (parent?.subcommands === undefined) {
      throw new Error(`command '${spec.name}': no container command '${parentName}' to add it to`);
    }
    if (parent.subcommands.has(name)) throw new Error(`command '${spec.name}' registered twice`);
    parent.subcommands.set(name, makeEntry({ ...spec, name }, parent));
  }

  #addChecks(checks: AdmissionChecks | undefined): void {
    if (checks === undefined) return;
    for (const phase of ADMISSION_PHASES) {
      const check = checks[phase];
      if (check === undefined) continue;
      let list = this.#checks.get(phase);
      if (list === undefined) this.#checks.set(phase, list = []);
      list.push(typeof check === "function" ? { check, armed: alwaysArmed } : check);
    }
  }

  rearm(): void {
    const all: AdmissionCheck[] = [];
    this.#armed = new Map();
    for (const phase of ADMISSION_PHASES) {
      const armed = (this.#checks.get(phase) ?? []).filter((a) => a.armed()).map((a) => a.check);
      if (armed.length === 0) continue;
      this.#armed.set(phase, armed);
      // While busy nothing is evicted (Redis skips performEvictions): the
      // suspended command's keys must stay as it left them.
      if (phase === "oom" && this.#busy !== undefined) continue;
      all.push(...armed);
    }
    // A new array: the dispatcher reads it once per command.
    this.admission = all;
    const lists = emptyHooks();
    for (const e of this.#hookEntries) {
      // deno-lint-ignore no-explicit-any
      if (e.armed === undefined || e.armed()) (lists[e.kind] as any[]).push(e.fn);
    }
    Object.assign(this.hooks, lists);
    for (const a of this.#admitters.values()) a.arm(this.#armed);
  }

  admitter(phases: readonly AdmissionPhase[]): Admitter {
    const key = phases.join(" ");
    let a = this.#admitters.get(key);
    if (a === undefined) {
      this.#admitters.set(key, a = new PhaseAdmitter(phases));
      a.arm(this.#armed);
    }
    return a;
  }

  #register(specs: readonly CommandSpec[], hooks?: Hooks, armed?: HooksArmed): void {
    for (const spec of specs) {
      const bar = spec.name.indexOf("|");
      if (bar !== -1) {
        this.#registerSubcommand(spec, spec.name.slice(0, bar), spec.name.slice(bar + 1));
        continue;
      }
      if (this.commands.has(spec.name)) throw new Error(`command '${spec.name}' registered twice`);
      this.commands.set(spec.name, makeEntry(spec));
    }
    if (!hooks) return;
    for (const k of Object.keys(hooks) as (keyof HookLists)[]) {
      const fn = hooks[k];
      if (!fn) continue;
      this.#hookEntries.push({ kind: k, fn, armed: armed?.[k] });
      // Armed until the rearm() at the end of the constructor asks.
      // deno-lint-ignore no-explicit-any
      (this.hooks[k] as any[]).push(fn);
    }
  }

  /**
   * Binds the listening sockets, then loads the dataset (see
   * {@link Server.bind} and {@link Server.load}; the promise of a load
   * that goes on in the background).
   */
  listen(): Promise<void> | undefined {
    this.bind();
    return this.load();
  }

  /**
   * Binds every `bind` address on `port` (and `tls-port` when TLS is
   * configured, and `unixsocket`), starts accepting clients and starts the
   * cron. Clients are served once the dataset is loaded: a short load
   * holds the event loop, a long one answers LOADING meanwhile.
   */
  bind(): void {
    this.listeners.open();
    const hz = this.config.number("hz");
    this.#cron = setInterval(() => this.#tick(), Math.max(1, Math.floor(1000 / hz)));
    this.config.watch("hz", (v) => {
      if (this.#cron === undefined) return;
      clearInterval(this.#cron);
      this.#cron = setInterval(() => this.#tick(), Math.max(1, Math.floor(1000 / Number(v))));
    });
  }

  /**
   * Runs the `load` hooks once (persistence plugins load their data, ACL
   * its users): after binding, as Redis does, so a port in use is found
   * before a long load. A promise when a load goes on in the background
   * (the server answers LOADING until it settles).
   */
  load(): Promise<void> | undefined {
    if (this.#loaded) return undefined;
    this.#loaded = true;
    const pending: Promise<void>[] = [];
    for (const h of this.hooks.load) {
      const p = h();
      if (p !== undefined) pending.push(p);
    }
    // Loading may have changed what arms a check (ACL users from a file).
    this.rearm();
    if (pending.length === 0) return undefined;
    return Promise.all(pending).then(() => this.rearm());
  }

  resumeClient(c: Client): void {
    this.connections.resume(c);
  }

  flushClient(c: Client): void {
    this.connections.flush(c);
  }

  blockClient(c: Client, cmd: CommandEntry, argv: Bytes[], spec: BlockSpec): void {
    this.blocking.block(c, cmd, argv, spec);
  }

  suspendCall(c: Client, step: () => void): SuspendedCall | undefined {
    return this.dispatcher.suspendCall(c, step);
  }

  get busy(): string | undefined {
    return this.#busy;
  }

  setBusy(error: string | undefined): void {
    const was = this.#busy;
    this.#busy = error;
    if ((was === undefined) === (error === undefined)) return;
    this.rearm();
    if (error !== undefined) return;
    const waiting = this.#notBusy;
    if (waiting.length === 0) return;
    this.#notBusy = [];
    // After the command that held the server has ended, as Redis reprocesses
    // its master client once the script is done.
    setTimeout(() => {
      for (const fn of waiting) fn();
    }, 0);
  }

  whenNotBusy(fn: () => void): void {
    if (this.#busy === undefined) setTimeout(fn, 0);
    else this.#notBusy.push(fn);
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

  blockedOnKeys(): { client: Context; keys: readonly Bytes[]; cmd: CommandEntry }[] {
    const out = [];
    for (const c of this.blocking.blocked) {
      const st = c.blockState;
      if (st === undefined || st.spec.keys.length === 0) continue;
      out.push({ client: c, keys: st.spec.keys, cmd: st.cmd });
    }
    return out;
  }

  unblockClientWith(id: number, error: string): boolean {
    const c = this.clients.get(id);
    return c !== undefined && this.blocking.unblockWith(c, error);
  }

  killClient(id: number): boolean {
    const c = this.clients.get(id);
    if (!c) return false;
    this.connections.drop(c);
    return true;
  }

  /** The cron, `hz` times a second. */
  #tick(): void {
    // Busy: the dataset stands still, as Redis's whileBlockedCron does
    // nothing of serverCron (no expiry, eviction, saves, timeouts).
    if (this.#busy !== undefined) return;
    const now = this.clock.now();
    this.expiry.cycle(now);
    this.connections.cron(now);
    if (this.blocking.blocked.size !== 0) this.blocking.cron(now);
    for (const h of this.hooks.cron) h(now);
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

  get propagating(): boolean {
    return this.hooks.propagate.length !== 0;
  }

  emitPropagate(dbIndex: number, argv: readonly Bytes[]): void {
    this.propagation.emit(dbIndex, argv);
  }

  atomically<T>(fn: () => T): T {
    return this.propagation.atomically(fn);
  }

  beginAtomic(): void {
    this.propagation.begin();
  }

  endAtomic(): void {
    this.propagation.end();
  }

  resolveCommand(argv: Bytes[]): CommandEntry | string {
    return this.dispatcher.resolve(argv);
  }

  runCommand(c: Context, cmd: CommandEntry, argv: Bytes[], suspendable = false): void {
    this.dispatcher.run(c as Client, cmd, argv, suspendable);
  }

  runNextCommand(c: Context, cmd: CommandEntry, argv: Bytes[]): void {
    this.dispatcher.runNext(c as Client, cmd, argv);
  }

  createInternalClient(opts: { reply?: ReplyWriter; listed?: ListedLink } = {}): Context {
    const l = opts.listed;
    const id = l === undefined ? 0 : l.id ?? this.connections.nextId();
    const c = new Client(id, this, this.keyspace.db(0), l?.addr ?? "", l?.laddr ?? "", opts.reply);
    c.writer.enabled = false;
    if (l !== undefined) this.connections.adopt(c, l.close);
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

  log(level: LogLevel, msg: string): void {
    if (LOG_SEVERITY[level] < LOG_SEVERITY[this.#logLevel]) return;
    this.#logger(logLine({ pid: this.pid, role: "M", at: this.clock.now() }, level, msg));
  }

  /**
   * Shuts down in two stages, as Redis's `prepareForShutdown` and
   * `finishShutdown`. Prepare: the `prepareShutdown` hooks make the data
   * durable (the final AOF fsync, the final RDB save). When one refuses, the
   * promise rejects and nothing was closed: listeners, clients and the cron
   * go on, because exiting would lose the data. Commit: the cron and the
   * listeners stop, the `shutdown` hooks release what they hold, clients
   * are closed and `finished` resolves. A call made during a shutdown
   * shares its outcome. While the server is busy, one that may save waits
   * for the end of what holds the dataset (a save would catch a script in
   * its middle), as a signal's shutdown waits for Redis's cron.
   */
  shutdown(opts: ShutdownOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    if (this.#busy !== undefined && opts.save !== false) {
      return this.#afterBusy ??= new Promise<void>((resolve, reject) => {
        this.whenNotBusy(() => {
          this.#afterBusy = undefined;
          this.shutdown(opts).then(resolve, reject);
        });
      });
    }
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
    // The final save is made: input run from now on would be acknowledged,
    // then lost.
    this.connections.halted = true;
    return this.#closing = (async () => {
      if (this.#cron !== undefined) clearInterval(this.#cron);
      this.#cron = undefined;
      this.listeners.close();
      for (const h of this.hooks.shutdown) {
        try {
          await h(opts);
        } catch (e) {
          this.log("warning", `shutdown hook failed: ${e}`);
        }
      }
      // Replies on their way get a moment to leave; a client that does not
      // read must not hold the exit (Redis does not wait at all).
      const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
      const writing = () => {
        for (const c of this.clients.values()) if (c.writing !== undefined) return true;
        return false;
      };
      while (writing() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      for (const c of [...this.clients.values()]) this.connections.drop(c);
      this.#closed();
    })();
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The armed checks of some phases, in order (see `Server.admitter`): a
 * script asks it for each command it runs, so the list is kept, and
 * `armed` spares the call when it is empty (the common case).
 */
class PhaseAdmitter implements Admitter {
  armed = false;
  #checks: AdmissionCheck[] = [];

  constructor(readonly phases: readonly AdmissionPhase[]) {}

  /** Takes the checks now armed for its phases. */
  arm(byPhase: ReadonlyMap<AdmissionPhase, AdmissionCheck[]>): void {
    const checks: AdmissionCheck[] = [];
    for (const phase of this.phases) checks.push(...(byPhase.get(phase) ?? []));
    this.#checks = checks;
    this.armed = checks.length !== 0;
  }

  check(c: Context, cmd: CommandEntry, argv: Bytes[], traits: number): string | undefined {
    const checks = this.#checks;
    for (let i = 0; i < checks.length; i++) {
      const err = checks[i]!(c, cmd, argv, traits, true);
      if (err !== undefined) return err;
    }
    return undefined;
  }
}
