/**
 * Client connections: accepting them (`maxclients`, protected mode), the
 * loop that serves each one, and the limits on its buffers.
 *
 * The loop is the hot path. A read lands in the client's reused parser
 * buffer; every complete command in it is parsed and dispatched, each
 * handler writing its reply into the client's reused output buffer; then
 * the batch's replies leave in one socket write. Nothing in it allocates
 * per command.
 *
 * @module
 */

import type { ClientFlags, ServerStats } from "./types.ts";
import type { ConfigStore } from "./config.ts";
import type { Clock } from "./clock.ts";
import type { Keyspace } from "./keyspace.ts";
import type { HookLists } from "./registry.ts";
import type { Dispatcher } from "./dispatcher.ts";
import type { BlockingManager } from "./blocking.ts";
import type { LogLevel } from "./log.ts";
import { Client, type ClientHost } from "./client.ts";
import { ProtocolError } from "./resp/parser.ts";
import { parseOutputLimits } from "./server_config.ts";

/**
 * A database at least this large has its keys prefetched a pipelined batch
 * at a time (see Connections#prefetch): its table no longer fits the CPU's
 * second-level cache. Below it, the lines are there already.
 */
const PREFETCH_MIN_KEYS = 16384;
/** Commands of a pipelined batch prefetched together. */
const PREFETCH_BATCH = 16;
/**
 * Commands a client runs without prefetching once a batch of its repeated
 * one key (a counter, a queue): prefetching them costs and gains nothing.
 */
const PREFETCH_PAUSE = 1024;
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
 * import { protectedModeRefuses } from "./connection.ts";
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

/** What connections need from the server. */
export interface ConnectionHost extends ClientHost {
  readonly config: ConfigStore;
  readonly clock: Clock;
  readonly keyspace: Keyspace;
  readonly stats: ServerStats;
  readonly hooks: HookLists;
  readonly dispatcher: Dispatcher;
  readonly blocking: BlockingManager;
  log(level: LogLevel, msg: string): void;
}

/**
 * The connected clients of one server and the loop that serves them.
 *
 * @example
 * ```ts
 * import { startServer } from "../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const conn = await Deno.connect({ port: s.port });
 * await conn.write(new TextEncoder().encode("PING\r\n"));
 * const buf = new Uint8Array(16);
 * const n = await conn.read(buf);
 * console.log(new TextDecoder().decode(buf.subarray(0, n!))); // +PONG
 * conn.close();
 * await s.close();
 * ```
 */
export class Connections {
  /** Connected clients, by id. */
  readonly clients: Map<number, Client> = new Map();
  /**
   * Set once a shutdown is committed: the final save is made, so a command
   * run now would be acknowledged, then lost. Input is no longer run.
   */
  halted = false;
  #nextId = 1;
  #maxclients = 10000;
  #timeout = 0;
  #outputLimits: Record<string, [number, number, number]> = {};
  /** Smallest output limit of any class: below it no check is needed. */
  #outputCheckAt = Infinity;

  constructor(readonly host: ConnectionHost) {
    const config = host.config;
    config.watch("maxclients", (v) => (this.#maxclients = Number(v)));
    config.watch("timeout", (v) => (this.#timeout = Number(v)));
    config.watch("client-output-buffer-limit", (v) => {
      this.#outputLimits = parseOutputLimits(v);
      this.#outputCheckAt = Math.min(
        ...Object.values(this.#outputLimits).flatMap(([h, s]) => [h || Infinity, s || Infinity]),
      );
    });
    config.watch("proto-max-bulk-len", (v) => {
      for (const c of this.clients.values()) c.parser.limits.maxBulk = Number(v);
    });
    config.watch("client-query-buffer-limit", (v) => {
      for (const c of this.clients.values()) c.parser.limits.maxQuery = Number(v);
    });
  }

  /**
   * Serves every connection `l` accepts, until it is closed; `unixPath`
   * for a Unix socket's (its clients are local: protected mode lets them
   * in, and their address is `<path>:0`, as in Redis).
   */
  async accept(l: Deno.Listener | Deno.TlsListener, unixPath?: string): Promise<void> {
    try {
      for await (const conn of l) this.#serve(conn as Deno.TcpConn, unixPath);
    } catch (e) {
      if (!this.halted) this.host.log("warning", `accept failed: ${e}`);
    }
  }

  async #serve(conn: Deno.TcpConn, unixPath?: string): Promise<void> {
    const host = this.host;
    if (this.clients.size >= this.#maxclients) {
      host.stats.rejectedConnections++;
      await refuse(conn, "-ERR max number of clients reached\r\n");
      return;
    }
    // Counted once accepted: Redis leaves rejected connections out.
    host.stats.totalConnections++;
    const peer = (conn.remoteAddr as Deno.NetAddr).hostname;
    if (
      unixPath === undefined &&
      protectedModeRefuses(host.config.bool("protected-mode"), this.#defaultUserNoPass(), peer)
    ) {
      host.stats.rejectedConnections++;
      host.log("verbose", `protected mode: refused a client from ${peer}`);
      await refuse(conn, PROTECTED_MODE_DENIED);
      return;
    }
    try {
      conn.setNoDelay(true);
      conn.setKeepAlive(true);
    } catch { /* not every transport supports these */ }
    const c = new Client(
      this.#nextId++,
      host,
      host.keyspace.db(0),
      unixPath === undefined ? fmtAddr(conn.remoteAddr as Deno.NetAddr) : `${unixPath}:0`,
      unixPath === undefined ? fmtAddr(conn.localAddr as Deno.NetAddr) : `${unixPath}:0`,
    );
    if (unixPath !== undefined) c.flags.unixSocket = true;
    c.writer.onError = (msg) => countError(host.stats, msg);
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
    for (const h of host.hooks.clientConnected) h(c);
    try {
      for (;;) {
        // A read is always pending on an idle client, so a buffer grown for
        // one big request is dropped here, between requests.
        c.parser.shrink();
        const view = c.parser.writable();
        const n = await conn.read(view);
        if (n === null || c.closed) break;
        host.stats.netInputBytes += n;
        try {
          c.parser.commit(n);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
          host.log(
            "warning",
            `closing client id=${c.id} addr=${c.addr}: query buffer limit reached`,
          );
          break;
        }
        c.lastInteraction = host.clock.now();
        // Access times of the batch's keys are recorded on this clock.
        host.keyspace.setTime(c.lastInteraction);
        host.keyspace.batchTime = c.lastInteraction;
        try {
          this.#processInput(c);
        } finally {
          host.keyspace.batchTime = 0;
        }
        // Without an output limit, wait for the write before reading more:
        // a client that does not read stalls only itself, with bounded
        // memory. With one, keep reading as Redis does, so the limit sees
        // the output pile up and disconnects the client.
        const waits = c.flags.closeAfterReply || !this.#hasOutputLimit(c);
        if (c.writer.len !== 0 && c.writing === undefined && waits) {
          // The usual turn: this loop writes the batch's replies itself,
          // with no promise chain of flush()'s and no #writeLoop promise
          // (10-15 ns a pipelined GET).
          if (this.#overOutputLimit(c)) break;
          c.writing = true;
          do {
            const wait = this.#beforeFlush(c);
            if (wait !== undefined) await wait;
            if (c.closed) break;
            const data = this.#take(c);
            for (let off = 0; off < data.length;) {
              off += await conn.write(off === 0 ? data : data.subarray(off));
              c.outputPending = data.length - off;
            }
            this.#written(c, data);
          } while (c.writer.len !== 0 && !c.closed);
          c.outputPending = 0;
          c.softLimitSince = 0;
          c.writing = undefined;
          if (c.writer.len !== 0) this.flush(c);
        } else if (c.writer.len !== 0) {
          this.flush(c);
        }
        if (c.writing && waits) await c.writing;
        if (c.flags.closeAfterReply || c.closed) break;
      }
    } catch (e) {
      if (!c.closed && !isDisconnect(e)) host.log("verbose", `client id=${c.id} error: ${e}`);
    } finally {
      this.drop(c);
    }
  }

  /**
   * Whether the default user logs in without a password (protected mode):
   * the `defaultUserNoPass` service (the ACL plugin's), else an empty
   * `requirepass`.
   */
  #defaultUserNoPass(): boolean {
    const { config } = this.host;
    const own = this.host.service("defaultUserNoPass");
    if (own !== undefined) return own();
    return config.directive("requirepass") === undefined || config.get("requirepass") === "";
  }

  /** Runs every complete command in the client's input buffer. */
  #processInput(c: Client): void {
    if (this.halted) return;
    const parser = c.parser;
    const w = c.writer;
    const dispatcher = this.host.dispatcher;
    while (!c.suspended && !c.flags.closeAfterReply && !c.closed) {
      let argv: string[] | null;
      try {
        argv = parser.next();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        if (e.reply !== undefined) {
          w.enabled = true;
          w.error(e.reply);
          this.host.log(
            "verbose",
            `protocol error from client id=${c.id} addr=${c.addr}: ${e.reply}`,
          );
        }
        c.flags.closeAfterReply = true;
        break;
      }
      if (argv === null) break;
      if (c.db.size >= PREFETCH_MIN_KEYS && parser.ahead === 0) {
        if (c.prefetchPause === 0) this.#prefetch(c, argv);
        else c.prefetchPause--;
      }
      if (c.flags.replyMode === "skip") {
        // The skip is consumed by this command, which may set a new mode
        // (CLIENT REPLY SKIP again, or OFF) that must then stay in force.
        c.flags.replyMode = "on" as ClientFlags["replyMode"];
        w.enabled = false;
        dispatcher.execute(c, argv);
        w.enabled = c.flags.replyMode !== "off";
      } else {
        dispatcher.execute(c, argv);
      }
      // A pipelined batch of big replies: stop as soon as it goes over.
      if (w.len > this.#outputCheckAt && this.#overOutputLimit(c)) break;
    }
  }

  /**
   * Parses the rest of a pipelined batch (up to PREFETCH_BATCH commands)
   * and has the database prefetch the first key of each, so that the
   * cache misses of a large table's lookups overlap: one after another,
   * they cost a random GET over 100k keys three times what the rest of
   * the command does.
   */
  #prefetch(c: Client, argv: string[]): void {
    const parser = c.parser;
    const n = parser.readAhead(PREFETCH_BATCH - 1);
    if (n === 0) return;
    const dispatcher = this.host.dispatcher, keys = this.#prefetchKeys;
    let m = 0;
    let k = dispatcher.firstKey(argv);
    if (k !== undefined) keys[m++] = k;
    for (let i = 0; i < n; i++) {
      k = dispatcher.firstKey(parser.aheadAt(i));
      if (k !== undefined) keys[m++] = k;
    }
    // A client that repeats a key or two gains nothing: it pauses a while.
    if (m > 1 && c.db.prefetch(keys, m) * 2 <= m) c.prefetchPause = PREFETCH_PAUSE;
  }
  #prefetchKeys: string[] = new Array(PREFETCH_BATCH).fill("");

  /** Runs the input a suspended client held, then writes its replies. */
  resume(c: Client): void {
    if (c.closed) return;
    this.#processInput(c);
    this.flush(c);
    if (c.flags.closeAfterReply && !c.writing) c.closer?.();
  }

  /** Starts writing the client's buffered output, unless a write is under way. */
  flush(c: Client): void {
    if (c.closed || c.writer.len === 0) return;
    // Checked even while a write is in flight: that is when output piles up.
    if (this.#overOutputLimit(c)) return;
    if (c.writing) return;
    c.writing = this.#writeLoop(c).finally(() => {
      c.writing = undefined;
      // Output added after the loop's last check (its promise settles a
      // microtask later) would otherwise wait for the next flush.
      if (c.writer.len !== 0) this.flush(c);
    });
  }

  async #writeLoop(c: Client): Promise<void> {
    const conn = c.conn!;
    try {
      while (c.writer.len !== 0 && !c.closed) {
        const wait = this.#beforeFlush(c);
        if (wait !== undefined) await wait;
        if (c.closed) break;
        const data = this.#take(c);
        for (let off = 0; off < data.length;) {
          off += await conn.write(off === 0 ? data : data.subarray(off));
          // Progress counts as interaction (`timeout`), as Redis's writes
          // do: the cron sees this change (a clock read per write would be
          // a tenth of a request's cost).
          c.outputPending = data.length - off;
        }
        this.#written(c, data);
      }
      c.outputPending = 0;
      c.softLimitSince = 0;
      if (c.flags.closeAfterReply && !c.suspended) c.closer?.();
    } catch {
      c.closer?.();
    }
  }

  /**
   * Runs the beforeFlush hooks before a write of `c`'s output: undefined
   * when none has anything to wait for (the usual case, no promise made).
   */
  #beforeFlush(c: Client): Promise<void> | undefined {
    const before = this.host.hooks.beforeFlush;
    for (let i = 0; i < before.length; i++) {
      const p = before[i]!();
      if (p !== undefined) return this.#awaitHooks(c, p, i, before);
    }
    return undefined;
  }

  /** {@link Connections.#beforeFlush} from hook `i` of `before`, whose wait is `p`. */
  async #awaitHooks(
    c: Client,
    p: Promise<void>,
    i: number,
    before: readonly (() => Promise<void> | void)[],
  ): Promise<void> {
    for (;;) {
      const len = c.writer.len;
      await p;
      // Output produced during the wait (a wake-up, a message) may depend
      // on writes that are not durable yet, and the hooks may have been
      // rearmed: ask them all again.
      const now = this.host.hooks.beforeFlush;
      if (c.writer.len !== len || now !== before) {
        i = -1;
        before = now;
      }
      let next: Promise<void> | void = undefined;
      for (i++; i < before.length; i++) {
        next = before[i]!();
        if (next !== undefined) break;
      }
      if (next === undefined) return;
      p = next;
    }
  }

  /** The client's buffered output, taken for a write. */
  #take(c: Client): Uint8Array {
    if (c.writer.len > c.outputPeak) c.outputPeak = c.writer.len;
    const data = c.writer.detach();
    c.outputPending = data.length;
    return data;
  }

  /** After a write of what {@link Connections.#take} gave: counted, buffer back. */
  #written(c: Client, data: Uint8Array): void {
    this.host.stats.netOutputBytes += data.length;
    c.writer.release(data);
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
    // Indexed, not destructured: this runs per read, and destructuring
    // allocates an iterator.
    const hard = lim[0], soft = lim[1], secs = lim[2];
    if (hard === 0 && soft === 0) return false;
    const size = c.writer.len + c.outputPending;
    let over = hard !== 0 && size > hard;
    if (!over && soft !== 0 && size > soft) {
      const now = this.host.clock.now();
      if (c.softLimitSince === 0) c.softLimitSince = now;
      else if (now - c.softLimitSince > secs * 1000) over = true;
    } else if (!over) {
      c.softLimitSince = 0;
    }
    if (over) {
      this.host.log(
        "warning",
        `client id=${c.id} addr=${c.addr} closed for overcoming of output buffer limits`,
      );
      this.drop(c);
    }
    return over;
  }

  /** An id for a new client. */
  nextId(): number {
    return this.#nextId++;
  }

  /**
   * Lists a client the server connected itself (a replica's link to its
   * master): the `clientConnected` hooks run, and {@link Connections.drop}
   * (CLIENT KILL) calls `close`.
   */
  adopt(c: Client, close: () => void): void {
    let closed = false;
    c.closer = () => {
      if (closed) return;
      closed = true;
      close();
    };
    this.clients.set(c.id, c);
    for (const h of this.host.hooks.clientConnected) h(c);
  }

  /** Closes a client and forgets it; the `clientClosed` hooks run. */
  drop(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    this.host.blocking.unblock(c, "gone");
    c.closer?.();
    this.clients.delete(c.id);
    for (const h of this.host.hooks.clientClosed) {
      try {
        h(c);
      } catch (e) {
        this.host.log("warning", `clientClosed hook failed: ${e}`);
      }
    }
  }

  /**
   * The cron's part: closes clients idle past `timeout` and those over a
   * soft output limit for too long.
   */
  cron(now: number): void {
    if (this.#timeout > 0) {
      for (const c of this.clients.values()) {
        if (c.kind !== "normal" || c.suspended) continue;
        // Output written since the last look is interaction, as in Redis.
        if (c.writing !== undefined && c.outputPending !== c.pendingSeen) {
          c.pendingSeen = c.outputPending;
          c.lastInteraction = now;
        }
        if (now - c.lastInteraction > this.#timeout * 1000) {
          this.host.log("verbose", `closing idle client id=${c.id}`);
          this.drop(c);
        }
      }
    }
    for (const c of this.clients.values()) {
      if (c.softLimitSince !== 0) this.#overOutputLimit(c);
      // CLIENT LIST's `rbp` covers the last 5 s (reply-buffer-peak-reset-time).
      if (now - c.outputPeakAt >= 5000) {
        c.outputPeak = c.writer.len;
        c.outputPeakAt = now;
      }
    }
  }
}

/** Writes a refusal to a connection being turned away, and closes it. */
async function refuse(conn: Deno.Conn, reply: string): Promise<void> {
  try {
    await conn.write(new TextEncoder().encode(reply));
  } catch { /* gone already */ }
  conn.close();
}

/** Counts an error reply for INFO stats and errorstats. */
function countError(stats: ServerStats, msg: string): void {
  stats.errorReplies++;
  const sp = msg.indexOf(" ");
  const code = sp === -1 ? msg : msg.slice(0, sp);
  stats.errorCodes.set(code, (stats.errorCodes.get(code) ?? 0) + 1);
}

function fmtAddr(a: Deno.NetAddr): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

function isDisconnect(e: unknown): boolean {
  return e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BrokenPipe ||
    e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted ||
    e instanceof Deno.errors.NotConnected;
}
