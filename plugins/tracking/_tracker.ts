/**
 * The tracking tables and the invalidation messages of client-side caching
 * (Redis's tracking.c): which clients may cache which keys, the BCAST
 * prefixes, and how a message reaches a client (a RESP3 push, or a
 * `__redis__:invalidate` message on the connection it redirects to).
 *
 * @module
 */

import type {
  Bytes,
  CommandEntry,
  CommandObserver,
  Context,
  ReplyWriter,
  ServerApi,
} from "../../core/types.ts";
import { keysAndFlags } from "../../core/registry.ts";
import { KeyMap } from "../../core/keymap.ts";
import type { PubSubService } from "../pubsub/mod.ts";

/** A tracking client's mode, as CLIENT TRACKING ON set it. */
export interface TrackingState {
  /** The client id its invalidations go to; 0 for itself. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /**
   * CLIENT CACHING was given: the next command (or transaction) is
   * tracked under OPTIN, not tracked under OPTOUT.
   */
  caching: boolean;
  /** The client it redirects to was found gone (CLIENT LIST flag `R`). */
  brokenRedirect: boolean;
  /** Its BCAST prefixes. */
  prefixes: Set<Bytes>;
}

declare module "../../core/types.ts" {
  interface ClientExtensions {
    /** Client-side caching state while CLIENT TRACKING is on (tracking plugin). */
    tracking?: TrackingState | undefined;
  }
}

/** What CLIENT TRACKING ON asks for. */
export interface TrackingOptions {
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  prefixes: readonly Bytes[];
}

/** One BCAST prefix: its clients and the keys under it changed since the last broadcast. */
interface Broadcast {
  clients: Set<Context>;
  /** Changed keys, each with the client that changed it last (for NOLOOP). */
  keys: KeyMap<Context | undefined>;
}

/** The channel RESP2 connections get redirected invalidations on. */
const CHANNEL = "__redis__:invalidate";

/** Scripts whose own keys are not remembered: the commands they run are. */
const READ_ONLY_SCRIPTS = new Set(["eval_ro", "evalsha_ro", "fcall_ro"]);

const NO_ARGS: Bytes[] = [];

const isFlush = (cmd: CommandEntry): boolean =>
  cmd.fullName === "flushall" || cmd.fullName === "flushdb";

/** CLIENT's subcommands leave CLIENT CACHING in force (Redis compares the proc). */
const isClientCommand = (cmd: CommandEntry): boolean => (cmd.parent ?? cmd).fullName === "client";

/**
 * A server's client tracking. Keys are tracked by name whatever the
 * database, as in Redis. Entries of clients that stopped tracking or left
 * are dropped lazily, when their key changes.
 *
 * @example
 * ```ts ignore
 * const tracker = new Tracker(server, server.service("pubsub"));
 * tracker.enable(c, { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, prefixes: [] });
 * tracker.invalidate("k", true); // c gets `>2 invalidate [k]` if it read k since
 * ```
 */
export class Tracker {
  /**
   * Key -> ids of the clients that may cache it (Redis's TrackingTable).
   * A KeyMap: keys arrive as fresh strings, which a `Map` would intern,
   * and every write looks its key up here while some client tracks.
   */
  readonly table: KeyMap<Set<number>> = new KeyMap();
  /** Client ids across the whole table (INFO `tracking_total_items`). */
  items = 0;
  /** BCAST prefixes (Redis's PrefixTable). */
  readonly prefixes: Map<Bytes, Broadcast> = new Map();
  /** Clients with tracking on (INFO `tracking_clients`). */
  clients = 0;
  /** `tracking-table-max-keys`; 0 for no limit. */
  maxKeys = 1000000;

  /** The client whose top-level command is running (Redis's current_client). */
  #current: Context | undefined;
  /** The command a client runs, nested or not: a script's reads remember its keys. */
  #callerCmd: CommandEntry | undefined;
  #callerArgv: Bytes[] = NO_ARGS;
  /** Its handler runs: invalidations for it wait for its reply. */
  #executing = false;
  /** Invalidations for the running client, sent after its reply (null: a flush). */
  #pending: (Bytes | null)[] = [];
  /** A flush was announced in the command that runs (FLUSHALL empties several databases). */
  #flushNoted = false;
  /** The error count of a flush command's client before it ran. */
  #flushErrors = 0;
  #broadcastQueued = false;
  /** Times the table was found still over its limit (Redis's timeout_counter). */
  #overLimitRuns = 0;
  /** Removes the command observer (set while some client tracks). */
  #unobserve: (() => void) | undefined;

  constructor(readonly server: ServerApi, readonly pubsub: PubSubService | undefined) {}

  /** True while there is nothing to invalidate: key changes need no work. */
  get idle(): boolean {
    return this.table.size === 0 && this.prefixes.size === 0;
  }

  /** CLIENT TRACKING ON: (re)enables tracking with `opts` (already checked). */
  enable(c: Context, opts: TrackingOptions): void {
    let st = c.ext.tracking;
    if (st === undefined) {
      st = c.ext.tracking = {
        redirect: 0,
        bcast: false,
        optin: false,
        optout: false,
        noloop: false,
        caching: false,
        brokenRedirect: false,
        prefixes: new Set(),
      };
      if (this.clients++ === 0) {
        this.#observe(c);
        // Key changes matter from now on (the keyChanged hook's predicate).
        this.server.rearm();
      }
    }
    st.redirect = opts.redirect;
    st.brokenRedirect = false;
    st.bcast = opts.bcast;
    st.optin = opts.optin;
    st.optout = opts.optout;
    st.noloop = opts.noloop;
    if (!opts.bcast) return;
    if (opts.prefixes.length === 0) this.#addPrefix(c, st, "");
    for (const p of opts.prefixes) this.#addPrefix(c, st, p);
  }

  #addPrefix(c: Context, st: TrackingState, prefix: Bytes): void {
    let b = this.prefixes.get(prefix);
    if (b === undefined) this.prefixes.set(prefix, b = { clients: new Set(), keys: new KeyMap() });
    b.clients.add(c);
    st.prefixes.add(prefix);
  }

  /** CLIENT TRACKING OFF, RESET, a disconnect: its table entries stay until their keys change. */
  disable(c: Context): void {
    const st = c.ext.tracking;
    if (st === undefined) return;
    for (const p of st.prefixes) {
      const b = this.prefixes.get(p);
      if (b === undefined) continue;
      b.clients.delete(c);
      if (b.clients.size === 0) this.prefixes.delete(p);
    }
    c.ext.tracking = undefined;
    if (--this.clients === 0) {
      this.#unobserve?.();
      this.#unobserve = undefined;
    }
  }

  /**
   * Sees every command while some client tracks, nested ones included:
   * the keys a tracking client read are remembered after the command,
   * invalidations of its own writes follow its reply, CLIENT CACHING
   * lasts one command or transaction, and the table is kept to its limit.
   */
  #observe(enabler: Context): void {
    const observer: CommandObserver = {
      before: (c, cmd, argv) => this.#before(c, cmd, argv),
      after: (c, cmd, argv) => this.#after(c, cmd, argv),
    };
    this.#unobserve = this.server.dispatcher.observe(observer);
    // Enabled inside EXEC: its own changes later in the transaction must
    // still wait for EXEC's reply, which this observer will not see end.
    if (!enabler.blockable && this.#current === undefined) {
      this.#current = enabler;
      this.#executing = true;
      queueMicrotask(() => {
        if (this.#current !== enabler) return;
        this.#endCommand();
        enabler.flush();
      });
    }
  }

  /**
   * A client's own command starts at the top level (a queued one inside
   * EXEC, or one a script runs on its internal client, is nested).
   */
  #topLevel(c: Context): boolean {
    return c.id !== 0 && c.blockable;
  }

  #before(c: Context, cmd: CommandEntry, argv: Bytes[]): void {
    if (isFlush(cmd)) this.#flushErrors = c.reply.errorCount;
    if (c.id === 0) return;
    this.#callerCmd = cmd;
    this.#callerArgv = argv;
    if (!c.blockable) return;
    this.#current = c;
    // As in Redis's processCommand: keys evicted for the limit now are
    // announced at once, before the reply.
    this.#executing = false;
    if (this.maxKeys !== 0 && this.table.size > this.maxKeys) this.limit();
    this.#executing = true;
  }

  #after(c: Context, cmd: CommandEntry, argv: Bytes[]): void {
    if (cmd.isReadonly && !cmd.flagSet.has("pubsub") && !READ_ONLY_SCRIPTS.has(cmd.fullName)) {
      // A script's commands run on an internal client. As in Redis 7.0,
      // a read there remembers the keys its caller declared (EVAL's
      // KEYS), for the caller.
      const reader = c.id === 0 ? this.#current : c;
      const st = reader?.ext.tracking;
      if (st !== undefined && !st.bcast) {
        if (c.id !== 0) this.#remember(c, st, cmd, argv);
        else if (this.#callerCmd !== undefined) {
          this.#remember(reader!, st, this.#callerCmd, this.#callerArgv);
        }
      }
    }
    // A flush of empty databases empties nothing, but still invalidates.
    if (isFlush(cmd) && c.reply.errorCount === this.#flushErrors) this.flushed();
    this.#flushNoted = false;
    if (!this.#topLevel(c)) return;
    const st = c.ext.tracking;
    if (st !== undefined && st.caching && !c.flags.multi && !isClientCommand(cmd)) {
      st.caching = false;
    }
    this.#endCommand();
  }

  /** The top-level command ended: what waited for its reply goes out. */
  #endCommand(): void {
    const c = this.#current;
    if (c !== undefined && this.#pending.length !== 0) {
      const pending = this.#pending;
      this.#pending = [];
      // Still the running client: they leave with its batch's replies.
      for (const key of pending) this.#send(c, key === null ? null : [key]);
    }
    this.#current = undefined;
    this.#callerCmd = undefined;
    this.#callerArgv = NO_ARGS;
    this.#executing = false;
  }

  /** A command was refused: CLIENT CACHING is used up all the same, as in Redis. */
  rejected(c: Context): void {
    const st = c.ext.tracking;
    if (st !== undefined && st.caching && !c.flags.multi) st.caching = false;
  }

  /** Remembers the keys a tracking client's read-only command read. */
  #remember(c: Context, st: TrackingState, cmd: CommandEntry, argv: Bytes[]): void {
    if ((st.optin && !st.caching) || (st.optout && st.caching)) return;
    for (const [pos, flags] of keysAndFlags(cmd, argv)) {
      if (!flags.includes("RO") && !flags.includes("ACCESS")) continue;
      const key = argv[pos]!;
      let ids = this.table.get(key);
      if (ids === undefined) this.table.set(key, ids = new Set());
      if (!ids.has(c.id)) {
        ids.add(c.id);
        this.items++;
      }
    }
  }

  /**
   * `key` changed (or is dropped from the table, `bcast` false): every
   * client that may cache it is told, once; the key leaves the table. With
   * `bcast`, BCAST clients of a matching prefix hear of it at the next
   * broadcast.
   */
  invalidate(key: Bytes, bcast: boolean): void {
    if (bcast && this.prefixes.size !== 0) this.#rememberForBroadcast(key);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    const clients = this.server.clients;
    const current = this.#current;
    for (const id of ids) {
      const target = clients.get(id);
      const st = target?.ext.tracking;
      // Switched to BCAST since: its old entries are not its concern.
      if (st === undefined || st.bcast) continue;
      if (st.noloop && target === current) continue;
      if (target === current && this.#executing) this.#pending.push(key);
      else this.#send(target!, [key]);
    }
    this.items -= ids.size;
    this.table.delete(key);
  }

  #rememberForBroadcast(key: Bytes): void {
    for (const [prefix, b] of this.prefixes) {
      if (key.startsWith(prefix)) b.keys.set(key, this.#current);
    }
    if (this.#broadcastQueued) return;
    this.#broadcastQueued = true;
    // Redis broadcasts before it sleeps: the keys of a whole batch (a
    // pipeline, an EXEC) go out together, after its replies.
    queueMicrotask(() => this.broadcast());
  }

  /**
   * Sends each BCAST client the keys changed under its prefixes, one
   * message per prefix, keys in byte order; NOLOOP clients do not hear of
   * their own changes.
   */
  broadcast(): void {
    this.#broadcastQueued = false;
    for (const prefix of [...this.prefixes.keys()].sort()) {
      const b = this.prefixes.get(prefix)!;
      if (b.keys.size === 0) continue;
      const keys = [...b.keys.keys()].sort();
      for (const c of b.clients) {
        let mine = keys;
        if (c.ext.tracking?.noloop) {
          mine = keys.filter((k) => b.keys.get(k) !== c);
          if (mine.length === 0) continue;
        }
        this.#send(c, mine);
      }
      b.keys = new KeyMap();
    }
  }

  /**
   * Databases were flushed: every tracking client is told that all keys
   * are invalid (a null), once per command, and the table empties.
   */
  flushed(): void {
    if (this.#flushNoted) return;
    this.#flushNoted = true;
    // Outside a command (a replica loading its master's data) the note
    // lasts until the loading is done.
    if (this.#current === undefined) queueMicrotask(() => (this.#flushNoted = false));
    if (this.clients !== 0) this.#announceFlush();
    this.table.clear();
    this.items = 0;
  }

  #announceFlush(): void {
    for (const c of this.server.clients.values()) {
      if (c.ext.tracking === undefined) continue;
      if (c === this.#current && this.#executing) this.#pending.push(null);
      else this.#send(c, null);
    }
  }

  /**
   * Keeps the table within `tracking-table-max-keys`: drops keys, oldest
   * tracked first, telling their clients as if they had changed, with an
   * effort that grows while the table stays over (Redis's
   * trackingLimitUsedSlots, which drops random keys).
   */
  limit(): void {
    const max = this.maxKeys;
    if (max === 0 || this.table.size <= max) {
      this.#overLimitRuns = 0;
      return;
    }
    let effort = 100 * (this.#overLimitRuns + 1);
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidate(key, false);
      if (this.table.size <= max) {
        this.#overLimitRuns = 0;
        return;
      }
    }
    this.#overLimitRuns++;
  }

  /**
   * Sends one invalidation (keys, or null for all) the way `c` asked: as
   * a RESP3 push to itself or to the client it redirects to, or as a
   * `__redis__:invalidate` message to a RESP2 redirect target in
   * subscribed mode. A redirect target that is gone gets `c` a
   * `tracking-redir-broken` push instead (RESP3).
   */
  #send(c: Context, keys: readonly Bytes[] | null): void {
    const st = c.ext.tracking;
    let target = c;
    if (st !== undefined && st.redirect !== 0) {
      const to = this.server.clients.get(st.redirect);
      if (to === undefined) {
        st.brokenRedirect = true;
        if (c.resp === 3) {
          const id = st.redirect;
          this.#push(c, (w) => {
            w.push(2);
            w.bulk("tracking-redir-broken");
            w.integer(id);
          });
        }
        return;
      }
      target = to;
      if (target.resp !== 3) {
        this.pubsub?.message(target, CHANNEL, (w) => writeKeys(w, keys));
        return;
      }
    }
    if (target.resp !== 3) return;
    this.#push(target, (w) => {
      w.push(2);
      w.bulk("invalidate");
      writeKeys(w, keys);
    });
  }

  /** Writes out-of-band output to `c`; the running client's leaves with its replies. */
  #push(c: Context, write: (w: ReplyWriter) => void): void {
    const restore = c.beginPush();
    write(c.reply);
    c.endPush(restore);
    if (c !== this.#current) c.flush();
  }
}

/** An invalidation's payload: an array of keys, or a null for every key. */
function writeKeys(w: ReplyWriter, keys: readonly Bytes[] | null): void {
  if (keys === null) {
    w.nullBulk();
    return;
  }
  w.array(keys.length);
  for (const k of keys) w.bulk(k);
}
