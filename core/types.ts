/**
 * The typed contract between the core and every plugin: command specs,
 * hooks, plugins, the reply writer and the per-client context.
 *
 * Keys and values are "byte strings": one UTF-16 code unit per byte
 * (0x00–0xFF). They are binary safe, compact in V8 and cheap to hash, and
 * the reply writer turns them back into the same bytes.
 *
 * @module
 */

import type { Database, Keyspace, ValueType } from "./keyspace.ts";
import type { ConfigDirective, ConfigStore } from "./config.ts";
import type { Clock } from "./clock.ts";
import type { BlockSpec } from "./blocking.ts";

/** A binary-safe string: each char code is one byte (0–255). */
export type Bytes = string;

/**
 * Writes replies in the client's protocol (RESP2 or RESP3). Handlers call it
 * directly, so a reply is encoded once, with no intermediate objects.
 *
 * @example
 * ```ts
 * import type { ReplyWriter } from "./types.ts";
 * function replyPair(r: ReplyWriter) {
 *   r.array(2);
 *   r.bulk("a");
 *   r.integer(1);
 * }
 * ```
 */
export interface ReplyWriter {
  /** Protocol version of the client the reply goes to. */
  readonly resp: 2 | 3;
  /** Errors written so far (the dispatcher counts failed calls by it). */
  readonly errorCount: number;
  /** `+OK`. */
  ok(): void;
  /** A simple string: `+<s>`. Must not contain CR or LF. */
  simple(s: string): void;
  /** An error: `-<msg>`; `msg` starts with its code (`ERR ...`). */
  error(msg: string): void;
  /** An integer: `:<n>`. */
  integer(n: number): void;
  /** An integer given as a BigInt (64-bit values beyond 2^53): `:<n>`. */
  bigInteger(n: bigint): void;
  /** A bulk string of bytes. */
  bulk(s: Bytes): void;
  /** A null bulk string (`$-1` in RESP2, `_` in RESP3). */
  nullBulk(): void;
  /** A null array (`*-1` in RESP2, `_` in RESP3). */
  nullArray(): void;
  /** An array header; the caller then writes `n` replies. */
  array(n: number): void;
  /** A map header of `n` pairs (RESP2: an array of `2n`). */
  map(n: number): void;
  /** A set header (RESP2: an array). */
  set(n: number): void;
  /** A push header (RESP2: an array). */
  push(n: number): void;
  /** A double (RESP2: a bulk string formatted like Redis, `%.17g`). */
  double(d: number): void;
  /** A boolean (RESP2: `:1` / `:0`). */
  bool(b: boolean): void;
  /** A big number (RESP2: a bulk string). */
  bigNumber(digits: string): void;
  /** A verbatim string (RESP2: a bulk string). */
  verbatim(s: Bytes, format?: string): void;
  /** An array of bulk strings. */
  bulkArray(items: readonly Bytes[]): void;
  /**
   * The bulk string `<a>-<b>` of two integers from 0 to 2^53 - 1 in
   * decimal (a stream ID), written without making the string.
   */
  bulkUintPair(a: number, b: number): void;
  /** Bytes already encoded as RESP (precomputed replies). */
  raw(bytes: Uint8Array): void;
}

/** Redis command flags, as COMMAND INFO reports them. */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "asking"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "no_mandatory_keys"
  | "no_async_loading"
  | "no_multi"
  | "movablekeys"
  | "allow_busy";

/** Key-spec flags (Redis 7 key specifications). */
export type KeySpecFlag =
  | "RO"
  | "RW"
  | "OW"
  | "RM"
  | "ACCESS"
  | "UPDATE"
  | "INSERT"
  | "DELETE"
  | "NOT_KEY"
  | "INCOMPLETE"
  | "VARIABLE_FLAGS";

/**
 * Where a command's keys are, as in Redis 7: a begin-search step (an index,
 * or a keyword) then a find-keys step (a range, or a key count). `unknown`
 * marks keys no spec can find (SORT's BY and STORE): the command's
 * {@link CommandSpec.getKeys} finds them, and it is `movablekeys`.
 */
export interface KeySpec {
  flags: readonly KeySpecFlag[];
  /** Begin search at an argument index, or after a keyword. */
  begin: { index: number } | {
    keyword: string;
    startfrom: number;
  } | { unknown: true };
  /** Find keys as a range (lastkey relative, -1 = last arg) or by a count argument. */
  find:
    | { range: { lastkey: number; step: number; limit: number } }
    | { keynum: { keynumidx: number; firstkey: number; step: number } }
    | { unknown: true };
  /** Free-text remark COMMAND INFO shows as the key spec's `notes`. */
  notes?: string;
}

/** Argument types of COMMAND DOCS (Redis's `redisCommandArgType`). */
export type CommandArgType =
  | "string"
  | "integer"
  | "double"
  | "key"
  | "pattern"
  | "unix-time"
  | "pure-token"
  | "oneof"
  | "block";

/**
 * One argument of a command as COMMAND DOCS describes it (redis-cli's
 * hints and `help` render these). `oneof` and `block` hold `arguments`.
 */
export interface CommandArg {
  readonly name: string;
  readonly type: CommandArgType;
  /** For a `key`: the index of the key spec that finds it. */
  readonly keySpecIndex?: number;
  /** The literal word that introduces the argument (`EX`, `LIMIT`). */
  readonly token?: string;
  readonly summary?: string;
  /** The version that added it. */
  readonly since?: string;
  readonly deprecatedSince?: string;
  readonly flags?: readonly ("optional" | "multiple" | "multiple_token")[];
  readonly arguments?: readonly CommandArg[];
}

/**
 * A command's documentation, as COMMAND DOCS answers it. Built-in commands
 * carry Redis 7.0's text.
 */
export interface CommandDocs {
  readonly summary: string;
  /** The version that added the command. */
  readonly since: string;
  /** The COMMAND DOCS group (`string`, `sorted-set`, ...); `module` if absent. */
  readonly group?: string;
  readonly complexity?: string;
  readonly docFlags?: readonly ("deprecated" | "syscmd")[];
  readonly deprecatedSince?: string;
  readonly replacedBy?: string;
  /** Changes by version: `[version, description]`. */
  readonly history?: readonly (readonly [string, string])[];
  readonly arguments?: readonly CommandArg[];
}

/**
 * What the admission checks need to know of a command, as bits (Redis's
 * `is_write_command`, `is_denyoom_command`, ...). Most commands take them
 * from their flags; EXEC (its queue's union), and EVAL or FCALL of a
 * script with declared flags, compute them per call (see
 * {@link CommandSpec.traitsFor}).
 */
export const Trait = {
  /** Changes data (`write`). */
  WRITE: 1,
  /** May use more memory (`denyoom`): refused when out of memory. */
  DENYOOM: 2,
  /** Refused on a replica whose master link is down (no `stale` flag). */
  DENYSTALE: 4,
  /** May propagate something (`write` or `may_replicate`). */
  MAY_REPLICATE: 8,
  /** Reads data (`readonly`). */
  READ: 16,
} as const;

/**
 * The admission phases every command passes before it runs, in Redis's
 * order (`processCommand`). The dispatcher itself does the lookup and the
 * arity check first; plugins contribute checks to the phases:
 *
 * 1. `auth`: the client must authenticate (NOAUTH).
 * 2. `no-multi`: commands flagged `no_multi` inside MULTI.
 * 3. `acl`: the user's permissions (NOPERM).
 * 4. `cluster`: redirection to another node (MOVED, ASK, CROSSSLOT, CLUSTERDOWN).
 * 5. `oom`: `maxmemory` reached and the command may grow memory (OOM).
 * 6. `misconf`: writes refused after a failed save (MISCONF).
 * 7. `noreplicas`: `min-replicas-to-write` not met (NOREPLICAS).
 * 8. `readonly`: writes on a read-only replica (READONLY).
 * 9. `pubsub`: a RESP2 client in subscribed mode.
 * 10. `stale`: a replica with its master link down (MASTERDOWN).
 * 11. `loading`: a dataset is loading (LOADING).
 * 12. `busy`: a script or function is running (BUSY).
 *
 * Then the `beforeCommand` hooks may take the command (MULTI queues it).
 */
export type AdmissionPhase =
  | "auth"
  | "no-multi"
  | "acl"
  | "cluster"
  | "oom"
  | "misconf"
  | "noreplicas"
  | "readonly"
  | "pubsub"
  | "stale"
  | "loading"
  | "busy";

/** The admission phases in the order they run. */
export const ADMISSION_PHASES: readonly AdmissionPhase[] = [
  "auth",
  "no-multi",
  "acl",
  "cluster",
  "oom",
  "misconf",
  "noreplicas",
  "readonly",
  "pubsub",
  "stale",
  "loading",
  "busy",
];

/**
 * One admission check. Returns the error that refuses the command (with its
 * code: `OOM command not allowed ...`), or undefined to let it through. The
 * dispatcher replies the error (as EXECABORT for EXEC) and fails an open
 * MULTI, so a check never writes a reply itself.
 *
 * `nested` is true when EXEC or a script re-checks a command it is about
 * to run: the check must then only observe the server's state (the `oom`
 * check reports the state seen when the outer command was admitted instead
 * of evicting keys in the middle of a script).
 */
export type AdmissionCheck = (
  c: Context,
  cmd: CommandEntry,
  argv: Bytes[],
  traits: number,
  nested: boolean,
) => string | undefined;

/** Admission checks of some phases, asked together (see {@link ServerApi.admitter}). */
export interface Admitter {
  /** Whether any of its checks is armed: when not, {@link Admitter.check} admits anything. */
  readonly armed: boolean;
  /**
   * Runs the armed checks in order for `cmd` with `traits`; returns the
   * first refusal, or undefined.
   */
  check(c: Context, cmd: CommandEntry, argv: Bytes[], traits: number): string | undefined;
}

/**
 * An admission check that is often idle (no `maxmemory`, not a replica, no
 * client in MULTI): `armed` says whether it can refuse anything now, and
 * the dispatcher skips it while it cannot, so commands pay only for the
 * checks that matter. The plugin calls {@link ServerApi.rearm} when what
 * `armed` depends on changes.
 */
export interface ArmedCheck {
  check: AdmissionCheck;
  armed(): boolean;
}

/** A plugin's admission checks, by phase. */
export type AdmissionChecks = {
  readonly [P in AdmissionPhase]?: AdmissionCheck | ArmedCheck;
};

/** A command handler. It writes exactly one reply through `c.reply`. */
export type CommandHandler = (c: Context, argv: Bytes[]) => void;

/**
 * A command: everything the dispatcher, COMMAND, ACL and WATCH need to know,
 * plus the handler. Handlers never touch sockets.
 *
 * @example
 * ```ts
 * import type { CommandSpec } from "./types.ts";
 * const hello: CommandSpec = {
 *   name: "hello.world",
 *   arity: 1,
 *   flags: ["readonly", "fast"],
 *   handler(c) {
 *     c.reply.simple("hello");
 *   },
 * };
 * ```
 */
export interface CommandSpec {
  /**
   * Lower-case name. A plugin adds a subcommand to another plugin's
   * container command by naming it `parent|sub` (`client|tracking`), with
   * the container's plugin in its `dependencies`.
   */
  name: string;
  /** N: exactly N arguments (name included); -N: at least N. */
  arity: number;
  flags: readonly CommandFlag[];
  /** ACL categories without the `@`, beyond the ones implied by flags. */
  categories?: readonly string[];
  keySpecs?: readonly KeySpec[];
  /** Extracts keys when key specs cannot (legacy `getkeys` proc). */
  getKeys?: (argv: Bytes[]) => number[];
  /**
   * The flags of the key at `pos` in this call, when they depend on the
   * arguments (what Redis's getkeys procs report): for keys a
   * `VARIABLE_FLAGS` key spec or {@link CommandSpec.getKeys} finds. SET's
   * key is `OW UPDATE`, or `RW ACCESS UPDATE` with GET; SORT's STORE key is
   * `OW UPDATE`. COMMAND GETKEYSANDFLAGS reports them (see `keysAndFlags`
   * in core/registry.ts).
   */
  keyFlags?: (argv: Bytes[], pos: number) => readonly KeySpecFlag[];
  subcommands?: readonly CommandSpec[];
  /**
   * Command tips COMMAND INFO reports (`nondeterministic_output`,
   * `request_policy:all_shards`, ...).
   */
  tips?: readonly string[];
  /** The handler; a container command with subcommands needs none. */
  handler?: CommandHandler;
  /**
   * The command's {@link Trait} bits for this call, when they depend on its
   * arguments or the client's state (Redis's `getCommandFlags`: EXEC takes
   * its queue's, EVAL a declared script's). `base` is what the flags give;
   * without this function, that is the answer.
   */
  traitsFor?: (c: Context, argv: Bytes[], base: number) => number;
  /**
   * Its own work is negligible beside the commands it runs nested (EXEC's
   * queue): when those were all cheap and their durations estimated, the
   * call's duration is estimated as their sum too, without a clock read
   * (see the dispatcher's timing). Statistics only.
   */
  timedByNested?: boolean;
  /**
   * Whether this call is as cheap as a `fast` command's (for a command that
   * is not `fast` in general): MSET of a few keys, PFCOUNT of one. Such a
   * call shares clock reads with its neighbours (see the dispatcher's
   * timing), so its bound must be small: it may go unseen by a slow log
   * threshold below tens of microseconds. Statistics only.
   */
  fastWhen?: (argv: Bytes[]) => boolean;
  /** What COMMAND DOCS answers (and redis-cli's `help` shows). */
  docs?: CommandDocs;
}

/** A registered command: its spec plus runtime statistics beside it. */
export interface CommandEntry {
  readonly spec: CommandSpec;
  /** Full name (`config|get` for a subcommand). */
  readonly fullName: string;
  readonly parent: CommandEntry | undefined;
  readonly subcommands: Map<string, CommandEntry> | undefined;
  /** Flag lookups without scanning arrays on the hot path. */
  readonly isWrite: boolean;
  readonly isReadonly: boolean;
  /**
   * Cheap: flagged `fast` (O(1) or O(log N), never blocks), or documented
   * O(1) and neither blocking, `noscript` nor `admin` (SET, GETDEL,
   * RENAME, ...).
   */
  readonly isFast: boolean;
  /** {@link CommandSpec.timedByNested}, as a field for the hot path. */
  readonly timedByNested: boolean;
  /** {@link CommandSpec.fastWhen}, as a field for the hot path. */
  readonly fastWhen: ((argv: Bytes[]) => boolean) | undefined;
  readonly flagSet: ReadonlySet<CommandFlag>;
  /** The {@link Trait} bits its flags give. */
  readonly traits: number;
  /** ACL categories including the ones implied by flags. */
  readonly categories: readonly string[];
  /** (first, last, step) as legacy COMMAND INFO reports them. */
  readonly legacyKeys: readonly [number, number, number];
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

/**
 * Keyspace notification classes (see `notify-keyspace-events`). `""` is a
 * change that notifies nothing (Redis's signalModifiedKey alone, as when
 * PFCOUNT refreshes its cached cardinality): WATCH and the dirty counter
 * still see it.
 */
export type EventClass =
  | ""
  | "g"
  | "$"
  | "l"
  | "s"
  | "h"
  | "z"
  | "x"
  | "e"
  | "t"
  | "m"
  | "d"
  | "n";

/**
 * Hooks a plugin may register. Each is optional; the core calls only the
 * hooks that exist, so an unused hook costs nothing on the hot path.
 */
export interface Hooks {
  /** A client connected (after `maxclients` admitted it). */
  clientConnected?(c: Context): void;
  /** A client is gone; release everything it held. */
  clientClosed?(c: Context): void;
  /**
   * Runs before a command, once it passed every admission phase. Return
   * false when the hook has written the reply itself and the command must
   * not run (MULTI queues it).
   */
  beforeCommand?(c: Context, cmd: CommandEntry, argv: Bytes[]): boolean;
  /**
   * The dispatcher refused a command before running it (unknown command,
   * wrong arity, an admission check); MULTI uses it to fail the
   * transaction. The error is replied after the hooks ran; a hook may
   * return a replacement for it (EXEC's EXECABORT).
   */
  commandRejected?(c: Context, argv: Bytes[], error: string): string | void;
  /** Runs after a command, with its duration. */
  afterCommand?(
    c: Context,
    cmd: CommandEntry,
    argv: Bytes[],
    micros: number,
  ): void;
  /** A key was modified (written, deleted, expired, flushed). */
  keyChanged?(db: Database, key: Bytes, event: string, cls: EventClass): void;
  /** A whole database changed at once (FLUSHDB, FLUSHALL, SWAPDB). */
  databaseChanged?(db: Database, event: "flush" | "swap"): void;
  /** A write leaves for the AOF and replicas, in deterministic form. */
  propagate?(dbIndex: number, argv: readonly Bytes[]): void;
  /** A key expired (lazily or by the active cycle). */
  keyExpired?(db: Database, key: Bytes): void;
  /** Runs `hz` times a second. */
  cron?(now: number): void;
  /**
   * First stage of a shutdown: make the data durable (the final AOF fsync,
   * the final RDB save). Throwing refuses the shutdown: the server logs it
   * and goes on serving, nothing closed. Under `opts.force` a hook logs its
   * failure and returns instead.
   */
  prepareShutdown?(opts: ShutdownOptions): void | Promise<void>;
  /**
   * The shutdown is committed (every `prepareShutdown` hook succeeded):
   * release what the plugin holds (files, links, timers). Runs once.
   */
  shutdown?(opts: ShutdownOptions): void | Promise<void>;
  /** The client sent RESET: drop plugin-owned per-client state. */
  clientReset?(c: Context): void;
  /** Adds a plugin's fields to a client's CLIENT LIST / CLIENT INFO line. */
  clientInfo?(c: Context): ClientInfoContribution | undefined;
  /** Adds lines to an INFO section (`section` is lower case). */
  info?(section: string): Record<string, string | number> | undefined;
  /**
   * Runs once, after every plugin is initialised and before the server
   * accepts clients: persistence plugins load their data here (every
   * command is registered by then). Throwing stops the start-up. A
   * returned promise is a load that goes on while the server answers
   * (LOADING): the start-up waits for it, and its rejection stops it.
   */
  load?(): void | Promise<void>;
  /**
   * Runs before a client's output is written to its socket. A returned
   * promise delays the write until it settles (AOF `appendfsync always`:
   * the propagated writes reach the disk before their replies leave).
   * It runs again after the wait, as more output may have been produced.
   */
  beforeFlush?(): Promise<void> | void;
  /**
   * Runs just before a write command's handler (also for commands EXEC
   * runs and blocked commands re-run), while the keys it names still hold
   * their old values: a background save copies them here before they
   * change (copy-on-write at key granularity).
   */
  beforeWrite?(c: Context, cmd: CommandEntry, argv: Bytes[]): void;
}

/** What a plugin adds to a client's CLIENT LIST / CLIENT INFO line. */
export interface ClientInfoContribution {
  /** Channels subscribed (`sub`). */
  sub?: number;
  /** Patterns subscribed (`psub`). */
  psub?: number;
  /** Shard channels subscribed (`ssub`). */
  ssub?: number;
  /** Commands queued in MULTI (`multi`; -1 outside MULTI). */
  multi?: number;
  /** Bytes held by queued commands (`multi-mem`). */
  multiMem?: number;
  /** Extra flag letters (`x` MULTI, `t` tracking, `d` dirty CAS, ...). */
  flags?: string;
  /** Tracking redirection client id (`redir`; -1 when none). */
  redir?: number;
}

/**
 * When a plugin's hooks have anything to do, by kind. While `armed()` is
 * false the core leaves that hook out of the lists it calls, so an idle
 * feature (no client WATCHing, none tracking, the AOF off, no replica)
 * costs the hot path nothing: an early-returning hook still costs a call
 * per command. A hook with no predicate is always called. The plugin calls
 * {@link ServerApi.rearm} when what a predicate depends on changes, and
 * before the first event a newly armed hook must see.
 *
 * @example
 * ```ts
 * import { definePlugin } from "../mod.ts";
 * let watchers = 0;
 * export default definePlugin({
 *   name: "audit",
 *   hooks: { keyChanged: (_db, key) => console.log("changed", key) },
 *   hooksArmed: { keyChanged: () => watchers !== 0 },
 * });
 * ```
 */
export type HooksArmed = { readonly [K in keyof Hooks]?: () => boolean };

/** What `init` may return. */
export interface PluginInstance {
  commands?: readonly CommandSpec[];
  hooks?: Hooks;
  /** When each of `hooks` has anything to do (see {@link HooksArmed}). */
  hooksArmed?: HooksArmed;
  /** Value types the plugin stores (see {@link Plugin.types}). */
  types?: readonly ValueType[];
  /** Checks the plugin adds to the admission phases. */
  admission?: AdmissionChecks;
}

/**
 * A plugin: a named module that registers commands, config directives and
 * hooks through the registry. Dependencies are initialised first.
 *
 * @example
 * ```ts
 * import { definePlugin } from "../mod.ts";
 * export default definePlugin({
 *   name: "hello",
 *   commands: [{
 *     name: "hello",
 *     arity: 1,
 *     flags: ["readonly", "fast"],
 *     handler: (c) => c.reply.simple("world"),
 *   }],
 * });
 * ```
 */
export interface Plugin {
  name: string;
  dependencies?: readonly string[];
  config?: readonly ConfigDirective[];
  commands?: readonly CommandSpec[];
  hooks?: Hooks;
  /** When each of `hooks` has anything to do (see {@link HooksArmed}). */
  hooksArmed?: HooksArmed;
  /** Checks the plugin adds to the admission phases. */
  admission?: AdmissionChecks;
  /**
   * Value types the plugin stores, registered into `keyspace.types`. A type
   * Redis does not have must declare its persistence (`rdb`) or be
   * `volatile`, else the server refuses to start.
   */
  types?: readonly ValueType[];
  /** Called once, dependencies first; may return more commands and hooks. */
  init?(server: ServerApi): PluginInstance | void;
  /**
   * Loads, before the server is created, the modules `init` will need
   * with this configuration (directive values as in redis.conf), so that
   * a part used only in some configurations is not loaded in the others:
   * an `import()` of a literal path, which `deno compile` embeds. `main.ts`
   * awaits it; `init` must still work without it (a `new Server` made
   * directly, as `startServer` does).
   */
  prepare?(config: Readonly<Record<string, string>>): Promise<void>;
}

/**
 * Per-client state added by plugins. Plugins extend it with declaration
 * merging, so the fields stay typed:
 *
 * @example
 * ```ts
 * import { definePlugin } from "./registry.ts";
 * declare module "./types.ts" {
 *   interface ClientExtensions {
 *     counter?: number;
 *   }
 * }
 * Deno.test("a plugin keeps a typed field per client", () => {
 *   definePlugin({
 *     name: "per-client-counter",
 *     commands: [{
 *       name: "bump",
 *       arity: 1,
 *       flags: ["fast"],
 *       handler(c) {
 *         c.ext.counter = (c.ext.counter ?? 0) + 1;
 *         c.reply.integer(c.ext.counter);
 *       },
 *     }],
 *   });
 * });
 * ```
 */
// deno-lint-ignore no-empty-interface
export interface ClientExtensions {}

/**
 * Typed services plugins offer each other (see `ServerApi.provide`). A
 * provider declares its entry by declaration merging:
 *
 * @example
 * ```ts
 * import { definePlugin } from "./registry.ts";
 * import { Server } from "./server.ts";
 * declare module "./types.ts" {
 *   interface Services {
 *     greeting: { greet(name: string): string };
 *   }
 * }
 * Deno.test("one plugin provides a service, another uses it", async () => {
 *   const provider = definePlugin({
 *     name: "greeter",
 *     init(server) {
 *       server.provide("greeting", { greet: (name) => `hello, ${name}` });
 *     },
 *   });
 *   const user = definePlugin({
 *     name: "greet-command",
 *     dependencies: ["greeter"],
 *     init(server) {
 *       const greeting = server.service("greeting");
 *       return {
 *         commands: [{
 *           name: "greet",
 *           arity: 2,
 *           flags: ["fast"],
 *           handler: (c, argv) => c.reply.bulk(greeting?.greet(argv[1]!) ?? "no greeter"),
 *         }],
 *       };
 *     },
 *   });
 *   // Order does not matter: dependencies are initialised first.
 *   const server = new Server({
 *     plugins: [user, provider],
 *     config: { port: "0" },
 *     logger: () => {},
 *   });
 *   server.listen();
 *   const conn = await Deno.connect({ port: server.port });
 *   await conn.write(new TextEncoder().encode("GREET bob\r\n"));
 *   const buf = new Uint8Array(64);
 *   const n = await conn.read(buf);
 *   console.log(new TextDecoder().decode(buf.subarray(0, n!))); // "$10\r\nhello, bob\r\n"
 *   conn.close();
 *   await server.close();
 * });
 * ```
 */
export interface Services {
  /**
   * Whether the default user logs in without a password, which is when
   * protected mode refuses remote clients. An auth (ACL) plugin provides
   * it; without one, an empty `requirepass` decides.
   */
  defaultUserNoPass: () => boolean;
  /**
   * The latency monitor (LATENCY): whoever meets a latency-prone event
   * (the expiry cycle, a snapshot slice, an AOF write) reports it here.
   */
  latency: LatencyMonitor;
}

/**
 * The latency monitor as event sources see it (Redis's
 * `latencyAddSampleIfNeeded`).
 *
 * @example
 * ```ts
 * import type { LatencyMonitor } from "./types.ts";
 * function timed(latency: LatencyMonitor | undefined, work: () => void): void {
 *   // Off (threshold 0): no clock read at all.
 *   if (latency === undefined || latency.threshold === 0) return work();
 *   const t0 = performance.now();
 *   work();
 *   latency.sample("expire-cycle", performance.now() - t0);
 * }
 * ```
 */
export interface LatencyMonitor {
  /**
   * `latency-monitor-threshold` in milliseconds; 0 while the monitor is
   * off, when sources need not time anything.
   */
  readonly threshold: number;
  /** Records that `event` lasted `ms`, if that reaches the threshold. */
  sample(event: string, ms: number): void;
}

/**
 * How a command's call ended, for {@link CommandObserver.after}: it ran;
 * it blocked (its reply comes later, from a re-run); or it was a blocked
 * command's re-run that finished, with its reply (Redis counts the call
 * once, when it was first made, and logs its duration when it ends).
 */
export type CallEnd = "ran" | "blocked" | "woken";

/**
 * Sees the commands the dispatcher runs, nested ones included (EXEC's
 * queue, a script's `redis.call`), as Redis's `call()` feeds MONITOR, the
 * slow log and the latency histograms. Added with
 * {@link CommandObservers.observe}; while none is, observing costs the
 * dispatcher nothing.
 */
export interface CommandObserver {
  /** Before the handler (MONITOR shows a script before what it runs). */
  before?(c: Context, cmd: CommandEntry, argv: Bytes[]): void;
  /**
   * After the handler and its propagation, with the call's duration in
   * microseconds (measured for every call while an observer is added). A
   * re-run that blocked again is not reported.
   */
  after?(c: Context, cmd: CommandEntry, argv: Bytes[], micros: number, end: CallEnd): void;
  /**
   * When set, `after` skips calls that ran in less than this many
   * microseconds (blocked and woken calls are still reported): the slow
   * log's threshold, which spares every fast call a function call. Read
   * at each call, so it may change.
   */
  minMicros?: number;
  /**
   * When set, pipelined cheap calls whose duration is estimated (the same
   * estimate for a run of them, see the dispatcher's timing) that ran to
   * completion come here in runs, `calls` calls of `cmd` at `micros` each,
   * instead of one `after` each: the latency histograms count them with
   * one call. The runs are delivered before the next call that is not one
   * of them starts, and by the end of the task, so whatever a command
   * reads is up to date.
   */
  afterRun?(cmd: CommandEntry, micros: number, calls: number): void;
}

/**
 * Adds and removes {@link CommandObserver}s.
 *
 * @example
 * ```ts
 * import { startServer } from "../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const seen: string[] = [];
 * const stop = s.server.dispatcher.observe({
 *   after: (_c, cmd) => void seen.push(cmd.fullName),
 * });
 * s.server.runCommand(s.server.createInternalClient(), s.server.commands.get("ping")!, ["PING"]);
 * stop();
 * console.log(seen); // [ "ping" ]
 * await s.close();
 * ```
 */
export interface CommandObservers {
  /** Adds an observer; returns the function that removes it. */
  observe(observer: CommandObserver): () => void;
}

/** A client's buffer sizes in bytes (see {@link Context.buffers}). */
export interface ClientBuffers {
  /** Query bytes received and not yet parsed (`qbuf`). */
  readonly query: number;
  /** The query buffer's allocated size (`qbuf` + `qbuf-free`). */
  readonly queryCapacity: number;
  /** Reply bytes produced and not yet handed to the socket (`obl`). */
  readonly output: number;
  /** The reply buffer's allocated size (`rbs`). */
  readonly outputCapacity: number;
  /** Reply bytes handed to the socket and not yet written (`omem`). */
  readonly inFlight: number;
  /** A write to the socket is in progress (CLIENT LIST `events=rw`). */
  readonly writing: boolean;
  /** The most reply bytes buffered at once over the last 5 s (`rbp`). */
  readonly outputPeak: number;
  /**
   * Bytes of the arguments of the command the client is blocked in,
   * waits to run or is still receiving (`argv-mem` of a client other than
   * the caller).
   */
  readonly heldArgv: number;
}

/** Client flags Redis shows in CLIENT LIST. */
export interface ClientFlags {
  /** Inside MULTI (set by the transactions plugin; Redis's CLIENT_MULTI). */
  multi: boolean;
  closeAfterReply: boolean;
  noEvict: boolean;
  replyMode: "on" | "off" | "skip";
  /**
   * Never held by CLIENT PAUSE, as replicas are (a monitor: Redis flags
   * monitors as replicas).
   */
  neverPaused?: boolean;
  /** Connected through the Unix socket (`unixsocket`; CLIENT LIST's `U`). */
  unixSocket?: boolean;
  /**
   * The client scripts run their commands as (Redis's CLIENT_SCRIPT):
   * MONITOR shows it as `lua`, SLOWLOG by an unknown address.
   */
  script?: boolean;
}

/** The command context: the calling client as a handler sees it. */
export interface Context {
  readonly id: number;
  readonly server: ServerApi;
  readonly reply: ReplyWriter;
  /** The selected database. */
  db: Database;
  name: string;
  resp: 2 | 3;
  user: string;
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt: number;
  lastInteraction: number;
  libName: string;
  libVer: string;
  readonly flags: ClientFlags;
  /** The command running now (for `lastcmd`). */
  lastCommand: string;
  /** Plugin-owned per-client state. */
  readonly ext: ClientExtensions;
  /** True once the connection is closing or closed (writes to it are dropped). */
  readonly closed: boolean;
  /**
   * Records that `key` in the current database changed: WATCH,
   * notifications and blocked clients hear of it, and `dirty` changes count
   * toward save points (Redis's `dirty`: default 1; ZADD of 3 new members
   * counts 3; 0 for an event that is no change of its own, as SET's
   * `expire` beside its `set`, or an LTRIM that removed nothing). A command
   * that counted changes is propagated to replicas and the AOF as received,
   * unless it called {@link Context.propagate}.
   */
  changed(key: Bytes, event: string, cls: EventClass, dirty?: number): void;
  /** Same, for a key in another database (MOVE, COPY DB). */
  changedIn(db: Database, key: Bytes, event: string, cls: EventClass, dirty?: number): void;
  /**
   * Counts `n` changes (default 1) that no single key carries (FLUSHALL,
   * SWAPDB, FUNCTION LOAD, PFCOUNT's cache refresh): as for
   * {@link Context.changed}, they count toward save points and make the
   * command propagate as received.
   */
  wrote(n?: number): void;
  /**
   * Propagates `argv` instead of the command as received (non-deterministic
   * commands rewrite themselves). Call once per propagated command.
   */
  propagate(argv: readonly Bytes[]): void;
  /**
   * The command as received is not propagated, whatever it changed (Redis's
   * preventCommandPropagation): its effects went out through
   * {@link Context.propagate} in another form, or need none.
   */
  preventPropagation(): void;
  /**
   * Whether this command's propagation reaches anything now: when false, a
   * handler that would rewrite itself for {@link Context.propagate} may
   * skip building the rewritten argv and call
   * {@link Context.preventPropagation} instead.
   */
  readonly propagating: boolean;
  /**
   * While true, nothing this client runs is propagated (a script after
   * `redis.set_repl(redis.REPL_NONE)`).
   */
  noPropagation: boolean;
  /** CLIENT REPLY: replies on, off, or off for the next command only. */
  setReplyMode(mode: "on" | "off" | "skip"): void;
  /**
   * Starts out-of-band output (Redis's CLIENT_PUSHING): what is written to
   * {@link Context.reply} until {@link Context.endPush} reaches the client
   * even under CLIENT REPLY OFF or SKIP, as pub/sub messages, subscription
   * confirmations and invalidation messages do. Returns what `endPush`
   * restores, so pushes nest.
   */
  beginPush(): boolean;
  /** Ends out-of-band output started by {@link Context.beginPush}. */
  endPush(restore: boolean): void;
  /**
   * Unauthenticated clients get tighter request limits (Redis: a multibulk
   * of at most 10 arguments of at most 16 KB each until AUTH).
   */
  strictInput: boolean;
  /** Its buffers, as CLIENT LIST and memory accounting report them. */
  readonly buffers: ClientBuffers;
  /** Input is on hold: the client is blocked, waiting or suspended. */
  readonly suspended: boolean;
  /** Marks the connection to close once its replies are written. */
  close(): void;
  /**
   * Holds the client for a command whose reply comes later (SHUTDOWN
   * waits for its final save): its pipelined input waits. Write the reply,
   * then call the returned function to send it and go on.
   */
  suspend(): () => void;
  /**
   * Schedules buffered replies to be written. Needed only for output made
   * outside this client's own command (a pub/sub message, a wake-up).
   */
  flush(): void;
  /**
   * Parks the client until one of `spec.keys` holds data of `spec.type`
   * (the command then runs again) or the timeout passes. The handler writes
   * no reply. When blocking is not allowed (inside MULTI/EXEC), the timeout
   * reply is written at once instead, as Redis does.
   */
  block(spec: BlockSpec): void;
  /** False while blocking is not allowed (EXEC runs its queue). */
  blockable: boolean;
  /** During a wake-up re-run: the `data` the handler passed to `block`. */
  readonly blockedData: unknown;
  /**
   * Lets the running command finish in a later task, without holding the
   * event loop (a script past `busy-reply-threshold`): the handler returns
   * without its reply, and the client's next input waits. Whoever drives
   * the command calls {@link SuspendedCall.resume} from a later task; that
   * runs `step` as part of the same call, and `step` either writes the
   * reply or calls `suspendCall` again. Statistics, observers and the
   * after-command hooks see one call, when its last step ends. Returns
   * undefined when the command cannot continue later (see
   * {@link Context.suspendable}): it must then finish now.
   */
  suspendCall(step: () => void): SuspendedCall | undefined;
  /**
   * Whether the running command may {@link Context.suspendCall}: a
   * client's own command, or one EXEC runs for it; not a command an
   * internal client runs (AOF loading, a script's `redis.call`).
   */
  readonly suspendable: boolean;
  /**
   * The innermost suspended call of this client, if one waits (a command
   * EXEC ran suspended: EXEC then suspends too, and goes on after it).
   */
  readonly pendingCall: SuspendedCall | undefined;
  /**
   * Which output buffer limit applies (`client-output-buffer-limit`);
   * `master` is a replica's link to its master (CLIENT LIST's `M`).
   */
  kind: "normal" | "pubsub" | "replica" | "master";
}

/** A command waiting to go on (see {@link Context.suspendCall}). */
export interface SuspendedCall {
  /**
   * Runs the command's next step now. Call it from a task of its own
   * (a timer), never from inside another command.
   */
  resume(): void;
  /** True once its last step ended. */
  readonly finished: boolean;
}

/** The server as plugins see it. */
export interface ServerApi {
  readonly keyspace: Keyspace;
  readonly config: ConfigStore;
  readonly clock: Clock;
  readonly version: string;
  readonly startedAt: number;
  readonly pid: number;
  /** Port actually bound (useful with port 0). */
  readonly port: number;
  readonly runId: string;
  /**
   * The server is the process's only job (`main.ts`), so a plugin may act
   * on the whole process (a full garbage collection); false when embedded.
   */
  readonly ownsProcess: boolean;
  /** Changes since the last save (Redis's `dirty`). */
  dirty: number;
  /** All registered commands, by lower-case name. */
  readonly commands: ReadonlyMap<string, CommandEntry>;
  /** Connected clients, by id. */
  readonly clients: ReadonlyMap<number, Context>;
  /** Global statistics INFO reports. */
  readonly stats: ServerStats;
  /** Observing the commands that run (see {@link CommandObserver}). */
  readonly dispatcher: CommandObservers;
  /** Runs a hook chain (for plugins that raise events of their own). */
  emitKeyChanged(
    db: Database,
    key: Bytes,
    event: string,
    cls: EventClass,
    dirty?: number,
  ): void;
  emitDatabaseChanged(db: Database, event: "flush" | "swap"): void;
  emitPropagate(dbIndex: number, argv: readonly Bytes[]): void;
  /**
   * Whether propagated writes reach anything now (an armed `propagate`
   * hook: the AOF is on, a backlog feeds replicas, a plugin listens).
   */
  readonly propagating: boolean;
  /** Runs the clientReset hooks (RESET). */
  emitClientReset(c: Context): void;
  /** Collects the clientInfo hooks' contributions for one client. */
  clientInfo(c: Context): ClientInfoContribution[];
  /**
   * Runs `fn`; everything it propagates reaches the propagate hooks wrapped
   * in MULTI ... EXEC, so replicas and the AOF apply it as one. As in Redis
   * 7, a single write goes out unwrapped and nothing goes out when nothing
   * was written. Nests.
   */
  atomically<T>(fn: () => T): T;
  /**
   * Opens a block as {@link ServerApi.atomically} does, for a command that
   * suspends in the middle ({@link Context.suspendCall}): everything
   * propagated until the matching {@link ServerApi.endAtomic} goes out as
   * one. Nests with `atomically`.
   */
  beginAtomic(): void;
  /** Closes the block {@link ServerApi.beginAtomic} opened. */
  endAtomic(): void;
  /**
   * While a suspended command holds the dataset (a script past
   * `busy-reply-threshold`, Redis's busy state): the error every command
   * not flagged `allow_busy` gets (`BUSY ...`). Meanwhile the cron stands
   * still (no expiry, eviction, save points, timeouts), nothing is
   * evicted on admission, blocked clients wait to be served, and a
   * replica's master stream waits.
   */
  readonly busy: string | undefined;
  /** Enters the busy state with its error, or leaves it (undefined). */
  setBusy(error: string | undefined): void;
  /** Runs `fn` in a later task once the server is not busy. */
  whenNotBusy(fn: () => void): void;
  /**
   * Asks every admission check and every hook with a predicate whether it
   * is armed again (see {@link ArmedCheck} and {@link HooksArmed}): call it
   * when an `armed` may have changed (a config value, the role, a failed
   * save, a first client in MULTI).
   */
  rearm(): void;
  /**
   * The admission checks of `phases` (in that order), for the commands
   * EXEC or a script is about to run, as `nested` checks: made once per
   * list of phases and kept current as checks arm and disarm.
   *
   * @example
   * ```ts
   * import { startServer } from "../mod.ts";
   * const s = await startServer({ port: 0 });
   * const writes = s.server.admitter(["readonly", "misconf", "noreplicas"]);
   * console.log(writes.armed); // false: a master with nothing failed
   * await s.close();
   * ```
   */
  admitter(phases: readonly AdmissionPhase[]): Admitter;
  /**
   * Resolves argv to a command (subcommand included) after the lookup and
   * arity checks, or returns the error the dispatcher would reply.
   */
  resolveCommand(argv: Bytes[]): CommandEntry | string;
  /**
   * Runs a resolved command for a client: handler, statistics, propagation
   * and after-command hooks, but not the before-command hooks (EXEC runs its
   * queue through this). With `suspendable` the command may
   * {@link Context.suspendCall}: the caller then finds it in
   * {@link Context.pendingCall} and must wait for it.
   */
  runCommand(c: Context, cmd: CommandEntry, argv: Bytes[], suspendable?: boolean): void;
  /**
   * {@link ServerApi.runCommand} for the next command of a pipelined run of
   * `c`'s (a replica applying its master's stream): timed as a client's
   * pipelined commands are, a cheap command that follows another of the
   * same client in the same task sharing its clock reads.
   *
   * @example
   * ```ts
   * import { startServer } from "../mod.ts";
   * const s = await startServer({ port: 0, logger: () => {} });
   * const c = s.server.createInternalClient();
   * const set = s.server.commands.get("set")!;
   * for (let i = 0; i < 3; i++) s.server.runNextCommand(c, set, ["SET", `k${i}`, "v"]);
   * console.log(s.server.keyspace.db(0).size); // 3
   * await s.close();
   * ```
   */
  runNextCommand(c: Context, cmd: CommandEntry, argv: Bytes[]): void;
  /**
   * Offers a typed service to other plugins (declare it by merging into
   * {@link Services}). Plugins that use it list the provider in
   * `dependencies`, so it is initialised first.
   */
  provide<K extends keyof Services>(name: K, impl: Services[K]): void;
  /**
   * A client with no connection, for replaying commands (AOF loading, a
   * replica applying its master's stream, a script's `redis.call`): its
   * replies go to `reply` when given, else they are discarded. It is not
   * listed in {@link ServerApi.clients}, and its id is 0, which admission
   * checks take as the server's own (never refused as a client would be).
   * With `listed` it is a connection the server opened itself (a replica's
   * link to its master): it gets an id (`listed.id`, to keep one across a
   * reconnection) and is listed like any client, and CLIENT KILL calls
   * `listed.close`.
   */
  createInternalClient(opts?: { reply?: ReplyWriter; listed?: ListedLink }): Context;
  /** A service another plugin provides, if loaded. */
  service<K extends keyof Services>(name: K): Services[K] | undefined;
  /** Collects INFO lines that plugins contribute to a section. */
  pluginInfo(section: string): Record<string, string | number>;
  /**
   * Serves clients blocked on keys that became ready. The dispatcher does
   * it after each client command; a plugin that runs commands through an
   * internal client (a replica applying its master's stream) calls it.
   */
  serveBlocked(): void;
  /** Blocked clients (INFO `blocked_clients`). */
  readonly blockedClients: number;
  /**
   * Ends a client's block early (CLIENT UNBLOCK): with its timeout reply or
   * with the UNBLOCKED error. False when that client is not blocked.
   */
  unblockClient(id: number, error: boolean): boolean;
  /**
   * Ends every client's block (BLPOP, XREAD ... BLOCK, ...) with `error` and
   * closes those connections once it is written, as Redis does when the
   * server becomes a replica.
   */
  unblockAllClients(error: string): void;
  /**
   * The clients blocked on keys (BLPOP, BZPOPMIN, XREAD ... BLOCK), each
   * with the keys it waits on and its command: the cluster ends the block
   * of a client whose keys' slot moved away.
   */
  blockedOnKeys(): { client: Context; keys: readonly Bytes[]; cmd: CommandEntry }[];
  /**
   * Ends a client's block with `error` as its reply; the client then
   * reads on. False when that client is not blocked.
   */
  unblockClientWith(id: number, error: string): boolean;
  /** Closes a client (CLIENT KILL). */
  killClient(id: number): boolean;
  /** Logs at a level (`debug`, `verbose`, `notice`, `warning`). */
  log(level: "debug" | "verbose" | "notice" | "warning", msg: string): void;
  /**
   * Stops the server (SHUTDOWN). Rejects, with the server still serving,
   * when a `prepareShutdown` hook refused (a final save failed).
   */
  shutdown(opts?: ShutdownOptions): Promise<void>;
}

/** A connection the server opened itself, listed among its clients. */
export interface ListedLink {
  /** The peer's address (`ip:port`). */
  addr: string;
  /** The local address. */
  laddr: string;
  /** An id to keep (the link reconnected); a new one when absent. */
  id?: number;
  /** Closes the connection (CLIENT KILL, the server's shutdown). */
  close(): void;
}

/** SHUTDOWN's modifiers, passed to the shutdown hooks. */
export interface ShutdownOptions {
  /** SAVE (true), NOSAVE (false), or neither: save if save points are set. */
  save?: boolean;
  /** NOW: do not wait for lagging replicas. */
  now?: boolean;
  /** FORCE: shut down even if saving fails. */
  force?: boolean;
}

/** Counters INFO stats reports. */
export interface ServerStats {
  totalConnections: number;
  totalCommands: number;
  rejectedConnections: number;
  expiredKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  netInputBytes: number;
  netOutputBytes: number;
  errorReplies: number;
  /** Error counts by code (`ERR`, `WRONGTYPE`), for INFO errorstats. */
  errorCodes: Map<string, number>;
}
