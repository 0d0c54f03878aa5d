/**
 * Blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK, ...): parked clients,
 * per-key wait queues, wake-ups and timeouts.
 *
 * A blocking handler that finds no data calls `c.block(...)` and writes no
 * reply. The client is suspended: it stops processing input, other clients
 * go on. When a write touches one of its keys and the key then holds the
 * type it waits for, the command runs again, exactly as it was sent; if it
 * still finds nothing it calls `block` again and keeps its place in line.
 * Clients blocked on a key are served first-blocked-first-served.
 *
 * @module
 */

import type { Bytes, CommandEntry, Context } from "./types.ts";
import type { Client } from "./client.ts";
import { type Database, typeOf } from "./keyspace.ts";
import type { Clock } from "./clock.ts";
import { ReplyError } from "./errors.ts";
import { parseFloatStrict, parseInteger } from "./number.ts";
import { POSTPONED } from "./pause.ts";
import { KeyMap } from "./keymap.ts";

/** What a blocking handler asks for. */
export interface BlockSpec {
  /** Keys in the client's current database; a write to any may serve it. */
  keys: readonly Bytes[];
  /** Relative timeout in ms; 0 blocks until served. */
  timeoutMs: number;
  /** The value type that can serve the client ("list", "zset", "stream"). */
  type: string;
  /** Writes the reply on timeout. Default: a null array. */
  onTimeout?: (c: Context) => void;
  /** Handler-owned state for the re-run (e.g. the ids `$` stood for). */
  data?: unknown;
  /**
   * Also re-run when a key it waits on is deleted or stops holding `type`
   * (XREADGROUP then fails with Redis's error instead of waiting on).
   */
  wakeOnDelete?: boolean;
  /**
   * Waiters are served independently: one whose re-run finds nothing does
   * not stop the ones behind it (streams: every reader may read the same
   * new entry, and readers of other groups still get theirs).
   */
  independent?: boolean;
}

/** A blocked client's registration. */
export interface BlockState {
  readonly spec: BlockSpec;
  readonly db: Database;
  readonly cmd: CommandEntry;
  readonly argv: Bytes[];
  readonly deadline: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Set when a re-run found nothing again and re-blocked. */
  reblocked: boolean;
}

/** What the manager needs from the server. */
export interface BlockingHost {
  readonly clock: Clock;
  /**
   * The server is busy (a suspended script holds the dataset): nobody is
   * served or timed out until it ends, as in Redis.
   */
  readonly busy: boolean;
  /** Runs a command for a client (stats, propagation, hooks). */
  rerun(c: Client, cmd: CommandEntry, argv: Bytes[]): void;
  /** Continues a client after it was unblocked. */
  resumeClient(c: Client): void;
}

/**
 * The blocked clients of one server.
 *
 * @example
 * ```ts
 * import { definePlugin } from "./registry.ts";
 * import { Server } from "./server.ts";
 * const mailbox = definePlugin({
 *   name: "mailbox",
 *   commands: [{
 *     name: "take", // TAKE key: waits up to a second for the key, then takes it
 *     arity: 2,
 *     flags: ["write", "blocking"],
 *     handler(c, argv) {
 *       const v = c.db.get(argv[1]!);
 *       if (typeof v !== "string") {
 *         // No reply now: the command runs again once the key holds a string.
 *         c.block({ keys: [argv[1]!], timeoutMs: 1000, type: "string" });
 *         return;
 *       }
 *       c.db.delete(argv[1]!);
 *       c.changed(argv[1]!, "del", "g");
 *       c.reply.bulk(v);
 *     },
 *   }, {
 *     name: "put", // PUT key value
 *     arity: 3,
 *     flags: ["write"],
 *     handler(c, argv) {
 *       c.db.set(argv[1]!, argv[2]!);
 *       c.changed(argv[1]!, "set", "$");
 *       c.reply.ok();
 *     },
 *   }],
 * });
 * const server = new Server({ plugins: [mailbox], config: { port: "0" }, logger: () => {} });
 * server.listen();
 * const taker = await Deno.connect({ port: server.port });
 * const putter = await Deno.connect({ port: server.port });
 * await taker.write(new TextEncoder().encode("TAKE box\r\n"));
 * await putter.write(new TextEncoder().encode("PUT box hi\r\n"));
 * const buf = new Uint8Array(16);
 * const n = await taker.read(buf);
 * console.log(new TextDecoder().decode(buf.subarray(0, n!))); // "$2\r\nhi\r\n"
 * taker.close();
 * putter.close();
 * await server.close();
 * ```
 */
export class BlockingManager {
  /**
   * Blocked clients by database and key. KeyMaps: every write looks its key
   * up here while a client blocks (a BullMQ worker always does), and a
   * `Map` would intern each fresh key string.
   */
  #byKey = new Map<Database, KeyMap<Client[]>>();
  #ready: [Database, Bytes][] = [];
  #readySet = new Map<Database, Set<Bytes>>();
  #serving = false;
  /** Every blocked client. */
  readonly blocked: Set<Client> = new Set();

  constructor(readonly host: BlockingHost) {}

  /** True when some client waits on a key that became ready. */
  get hasReady(): boolean {
    return this.#ready.length !== 0;
  }

  /** Parks `c` (called through `Context.block`). */
  block(c: Client, cmd: CommandEntry, argv: Bytes[], spec: BlockSpec): void {
    if (c.blockState !== undefined) {
      // A re-run that found nothing: keep the place in every queue.
      c.blockState.reblocked = true;
      return;
    }
    const now = this.host.clock.now();
    const st: BlockState = {
      spec,
      db: c.db,
      cmd,
      argv,
      deadline: spec.timeoutMs > 0 ? now + spec.timeoutMs : 0,
      timer: undefined,
      reblocked: false,
    };
    c.blockState = st;
    c.suspended = true;
    this.blocked.add(c);
    let keys = this.#byKey.get(c.db);
    if (!keys) this.#byKey.set(c.db, keys = new KeyMap());
    for (const k of new Set(spec.keys)) {
      const q = keys.get(k);
      if (q) q.push(c);
      else keys.set(k, [c]);
    }
    if (st.deadline !== 0) {
      st.timer = setTimeout(() => this.checkTimeout(c), spec.timeoutMs + 1);
    }
  }

  /** A key was written: queue it for serving if someone waits on it. */
  signal(db: Database, key: Bytes): void {
    const q = this.#byKey.get(db)?.get(key);
    if (q === undefined) return;
    let set = this.#readySet.get(db);
    if (!set) this.#readySet.set(db, set = new Set());
    if (set.has(key)) return;
    set.add(key);
    this.#ready.push([db, key]);
  }

  /**
   * Signals every key someone waits on in `db` (FLUSHDB, FLUSHALL, SWAPDB:
   * the keys' contents changed all at once).
   */
  signalAll(db: Database): void {
    const keys = this.#byKey.get(db);
    if (keys === undefined) return;
    for (const key of keys.keys()) this.signal(db, key);
  }

  /**
   * Serves clients waiting on keys that became ready, re-running their
   * commands in blocking order. Runs after each top-level command.
   */
  serveReady(): void {
    if (this.#serving || this.host.busy) return;
    this.#serving = true;
    try {
      while (this.#ready.length !== 0) {
        const batch = this.#ready;
        this.#ready = [];
        this.#readySet.clear();
        const served: Client[] = [];
        for (const [db, key] of batch) {
          const q = this.#byKey.get(db)?.get(key);
          if (!q) continue;
          for (const c of [...q]) {
            const st = c.blockState;
            if (st === undefined) continue;
            const v = db.get(key);
            if (v === undefined || typeOf(v) !== st.spec.type) {
              if (st.spec.wakeOnDelete !== true) {
                if (st.spec.independent === true) continue;
                break;
              }
            }
            st.reblocked = false;
            this.host.rerun(c, st.cmd, st.argv);
            if (c.blockState === st && st.reblocked) {
              if (st.spec.independent === true) continue;
              break;
            }
            this.#release(c);
            served.push(c);
          }
        }
        for (const c of served) this.host.resumeClient(c);
      }
    } finally {
      this.#serving = false;
    }
  }

  /** Unblocks `c` with its timeout reply if its deadline has passed. */
  checkTimeout(c: Client, now: number = this.host.clock.now()): void {
    const st = c.blockState;
    if (st === undefined || st.deadline === 0 || now < st.deadline || this.host.busy) {
      if (st && st.deadline !== 0 && st.timer !== undefined) {
        // A manual clock behind real time: the cron checks again.
        st.timer = undefined;
      }
      return;
    }
    this.unblock(c, "timeout");
  }

  /** Checks every deadline (from the cron, for clocks that jump). */
  cron(now: number): void {
    for (const c of this.blocked) this.checkTimeout(c, now);
  }

  /**
   * Ends a block early: with the timeout reply, with CLIENT UNBLOCK's
   * error, or silently when the client is gone. Returns false when `c` was
   * not blocked.
   */
  unblock(c: Client, how: "timeout" | "error" | "gone"): boolean {
    const st = c.blockState;
    if (st === undefined) return false;
    this.#release(c);
    if (how === "gone") return true;
    if (how === "error") {
      c.writer.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    } else if (st.spec.onTimeout) {
      st.spec.onTimeout(c);
    } else {
      c.writer.nullArray();
    }
    this.host.resumeClient(c);
    return true;
  }

  /** Ends a block with `error` as its reply (a cluster redirection); false when not blocked. */
  unblockWith(c: Client, error: string): boolean {
    if (c.blockState === undefined) return false;
    this.#release(c);
    c.writer.error(error);
    this.host.resumeClient(c);
    return true;
  }

  /**
   * Ends every block with `error` and closes those connections once it is
   * written (Redis's disconnectAllBlockedClients: the instance changed
   * role, so what they wait for may never come, or come from a master).
   * Clients a pause postponed stay: their command has not started, and
   * runs (or is refused) from scratch when the pause ends, as in Redis.
   */
  unblockAll(error: string): void {
    for (const c of [...this.blocked]) {
      if (c.blockState?.spec.data === POSTPONED) continue;
      this.#release(c);
      c.writer.error(error);
      c.flags.closeAfterReply = true;
      this.host.resumeClient(c);
    }
  }

  #release(c: Client): void {
    const st = c.blockState;
    if (st === undefined) return;
    if (st.timer !== undefined) clearTimeout(st.timer);
    c.blockState = undefined;
    c.suspended = false;
    this.blocked.delete(c);
    const keys = this.#byKey.get(st.db);
    if (!keys) return;
    for (const k of new Set(st.spec.keys)) {
      const q = keys.get(k);
      if (!q) continue;
      const i = q.indexOf(c);
      if (i !== -1) q.splice(i, 1);
      if (q.length === 0) keys.delete(k);
    }
  }
}

const LLONG_MAX = 9223372036854775807;

/**
 * Parses a blocking command's timeout as Redis's getTimeoutFromObjectOrReply:
 * seconds as a float (BLPOP) or milliseconds as an integer (XREAD BLOCK).
 * Returns the relative timeout in ms, 0 meaning forever. Throws Redis's
 * errors; like Redis, a value too large for 64 bits (or `inf`) counts as
 * negative, and a positive value below 1 ms truncates to 0 (forever).
 *
 * @example
 * ```ts
 * import { parseTimeout } from "./blocking.ts";
 * console.log(parseTimeout("1.5", "seconds")); // 1500
 * ```
 */
export function parseTimeout(arg: Bytes, unit: "seconds" | "milliseconds"): number {
  let ms: number;
  if (unit === "seconds") {
    const f = parseFloatStrict(arg);
    if (f === undefined) throw new ReplyError("ERR timeout is not a float or out of range");
    const scaled = f * 1000;
    ms = !Number.isFinite(scaled) || Math.abs(scaled) >= LLONG_MAX ? -1 : Math.trunc(scaled);
  } else {
    const n = parseInteger(arg);
    if (n === undefined) throw new ReplyError("ERR timeout is not an integer or out of range");
    ms = n;
  }
  if (ms < 0) throw new ReplyError("ERR timeout is negative");
  return ms;
}
