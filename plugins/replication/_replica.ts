/**
 * The replica side of replication: the link to the master (connect with
 * backoff, handshake, PSYNC with the cached id and offset first, the RDB
 * transfer, the write stream), applied by an internal client that writes no
 * replies, with REPLCONF ACK every second and on GETACK.
 *
 * The stream is applied as Redis does: command by command, a MULTI ... EXEC
 * block at once (queued until its EXEC arrives), and the applied bytes go
 * verbatim to this server's own replicas and backlog (chained replication
 * keeps the master's id and offsets). Under CLIENT PAUSE the commands the
 * pause holds wait, while the link goes on reading.
 *
 * While the link is up its client is listed as Redis's master client
 * (CLIENT LIST's `flags=M`, CLIENT KILL TYPE master): killing it drops the
 * link, which reconnects and resumes with a partial resynchronization, the
 * client keeping its id and selected database.
 *
 * @module
 */

import type { Bytes, Context, ServerApi } from "../../core/types.ts";
import { RequestParser } from "../../core/resp/parser.ts";
import { bytesToString, stringToBytes } from "../../core/resp/bytes.ts";
import { BufferWriter } from "../../core/resp/writer.ts";
import { parseInteger } from "../../core/number.ts";
import type { MasterSide } from "./_master.ts";

/** ROLE's link states. */
export type LinkState = "connect" | "connecting" | "handshake" | "sync" | "connected";

/** Thrown to end a link attempt (logged, then retried). */
class LinkError extends Error {}

/** What the link asks of a FAILOVER handing this server over (see `_failover.ts`). */
export interface FailoverLink {
  /** Whether a failover is handing over now: PSYNC carries FAILOVER. */
  inProgress(): boolean;
  /** The target took over. */
  accepted(): void;
  /** The target refused: the failover aborts and the server is a master again. */
  rejected(): void;
}

const MAX_BUF = Number.MAX_SAFE_INTEGER;

/** Encodes a command as RESP. */
function encode(argv: readonly string[]): Uint8Array {
  const w = new BufferWriter(64);
  w.bulkArray(argv);
  return w.take();
}

/** A growable byte queue (what was read and not yet consumed). */
class ByteQueue {
  buf: Uint8Array = new Uint8Array(16384);
  start = 0;
  end = 0;

  get length(): number {
    return this.end - this.start;
  }

  append(data: Uint8Array): void {
    if (this.start === this.end) this.start = this.end = 0;
    if (this.end + data.length > this.buf.length) {
      const used = this.end - this.start;
      let size = this.buf.length;
      while (size < used + data.length) size *= 2;
      if (size === this.buf.length) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(size);
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = used;
    }
    this.buf.set(data, this.end);
    this.end += data.length;
  }

  /** A view of the next `n` bytes, consumed (valid until the next append). */
  take(n: number): Uint8Array {
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    return out;
  }

  /** The index of `byte` at or after the start, or -1. */
  indexOf(byte: number): number {
    const i = this.buf.subarray(this.start, this.end).indexOf(byte);
    return i === -1 ? -1 : i;
  }
}

/** The replica side of one server. */
export class ReplicaSide {
  host = "";
  port = 0;
  state: LinkState = "connect";
  /** `slave_read_repl_offset`: stream bytes read, applied or not. */
  readOffset = 0;
  /** When data last came from the master (ms). */
  lastIo = 0;
  /** When the link went down (ms; 0 while up or never up). */
  downSince = 0;
  /** Whether PSYNC may name our id and offset (we hold a copy of that history). */
  hasCache = false;
  /**
   * The database the master's stream had selected when this replica's
   * history was saved (`repl-stream-db`): a restarted replica resumes there.
   */
  cachedDb = 0;
  /** Bytes of the RDB transfer (INFO master_sync_*). */
  syncTotal = -1;
  syncRead = 0;
  #gen = 0;
  #conn: Deno.TcpConn | undefined;
  #writes: Promise<unknown> = Promise.resolve();
  #ackTimer: ReturnType<typeof setInterval> | undefined;
  /** The master client: it applies the stream; listed while the link is up. */
  #client: Context | undefined;
  /** Set while the master client is unlisted (its link is not to close). */
  #unlisting = false;
  #in = new ByteQueue();
  /**
   * Set while a FAILOVER hands this server over to its new master: the
   * PSYNC carries `FAILOVER`, and its answer ends the failover.
   */
  failover: FailoverLink | undefined;

  constructor(readonly server: ServerApi, readonly master: MasterSide) {}

  /** True while configured as a replica. */
  get active(): boolean {
    return this.host !== "";
  }

  /** Starts replicating from host:port (REPLICAOF host port). */
  setMaster(host: string, port: number, wasMaster: boolean): void {
    this.host = host;
    this.port = port;
    if (wasMaster) {
      // Our own history is the cached master (Redis's
      // replicationCacheMasterUsingMyself): a partial resync may follow.
      this.hasCache = true;
      this.readOffset = this.master.offset;
    }
    this.server.keyspace.isReplica = true;
    this.master.isReplica = true;
    this.server.rearm();
    // Our own replicas stay: they get the new master's stream through us,
    // and are dropped only when its history turns out to differ.
    if (this.state === "connected") this.downSince = this.server.clock.now();
    this.#stop();
    this.state = "connect";
    const gen = this.#gen;
    this.server.log("notice", `Connecting to MASTER ${host}:${port}`);
    setTimeout(() => this.#run(gen), 0);
  }

  /** Stops replicating (REPLICAOF NO ONE); the caller promotes. */
  unsetMaster(): void {
    this.host = "";
    this.port = 0;
    this.#stop();
    this.state = "connect";
    this.downSince = 0;
    this.server.keyspace.isReplica = false;
    this.master.isReplica = false;
    this.server.rearm();
    // The cached master is discarded: a later link starts from our own history.
    this.#client = undefined;
    this.cachedDb = 0;
    this.hasCache = false;
  }

  /** Closes the link and ends its loop. */
  #stop(): void {
    this.#gen++;
    this.#unlist();
    if (this.#ackTimer !== undefined) clearInterval(this.#ackTimer);
    this.#ackTimer = undefined;
    try {
      this.#conn?.close();
    } catch { /* already closed */ }
    this.#conn = undefined;
  }

  /** Shutdown: close the link for good. */
  close(): void {
    this.host = "";
    this.#stop();
  }

  /**
   * Runs once per cron tick: drops a link silent for longer than
   * `repl-timeout`, whether it is connecting, in its handshake, receiving
   * the payload or streaming (Redis's three timeouts).
   */
  cron(now: number): void {
    if (!this.active || this.state === "connect" || this.#loadingPayload) return;
    const timeout = this.server.config.number("repl-timeout") * 1000;
    if (now - this.lastIo <= timeout) return;
    if (this.state === "connected") {
      this.server.log("warning", "MASTER timeout: no data nor PING received...");
    } else if (this.state === "sync") {
      this.server.log(
        "warning",
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.",
      );
    } else {
      this.server.log("warning", "Timeout connecting to the MASTER...");
    }
    this.lastIo = now;
    const conn = this.#conn;
    if (conn === undefined) {
      // Still connecting: the attempt is dropped and a new one starts.
      this.#abortConnect?.();
      return;
    }
    try {
      conn.close();
    } catch { /* closed */ }
  }

  async #run(gen: number): Promise<void> {
    // The dataset loads first (its replication fields say where we are).
    await this.server.service("rdb")?.whenLoaded();
    let backoff = 100;
    while (gen === this.#gen && this.active) {
      const wasUp = this.state === "connected";
      try {
        await this.#session(gen);
      } catch (e) {
        if (gen !== this.#gen) return;
        const msg = e instanceof LinkError ? e.message : `Error condition on socket for SYNC: ${e}`;
        this.server.log(this.state === "connected" ? "notice" : "warning", msg);
      }
      if (gen !== this.#gen) return;
      if (this.state === "connected" || wasUp) {
        this.server.log("notice", "Connection with master lost.");
        this.server.log("notice", "Caching the disconnected master state.");
        this.downSince = this.server.clock.now();
        backoff = 100;
      }
      this.#unlist();
      try {
        this.#conn?.close();
      } catch { /* closed */ }
      this.#conn = undefined;
      if (this.#ackTimer !== undefined) clearInterval(this.#ackTimer);
      this.#ackTimer = undefined;
      this.state = "connect";
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(1000, backoff * 2);
    }
  }

  #send(argv: readonly string[]): void {
    const conn = this.#conn;
    if (conn === undefined) return;
    const bytes = encode(argv);
    this.#writes = this.#writes.then(async () => {
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    }).catch(() => {});
  }

  /** Reads more bytes from the master into the input queue. */
  async #fill(): Promise<void> {
    const conn = this.#conn;
    if (conn === undefined) throw new LinkError("link closed");
    const chunk = new Uint8Array(65536);
    const n = await conn.read(chunk);
    if (n === null) throw new LinkError("Connection with master lost.");
    this.lastIo = this.server.clock.now();
    this.#in.append(chunk.subarray(0, n));
  }

  /** One line without its CRLF. */
  async #line(): Promise<string> {
    for (;;) {
      const i = this.#in.indexOf(10);
      if (i !== -1) {
        const b = this.#in.take(i + 1);
        let end = b.length - 1;
        if (end > 0 && b[end - 1] === 13) end--;
        return bytesToString(b, 0, end);
      }
      await this.#fill();
    }
  }

  async #reply(): Promise<string> {
    for (;;) {
      const l = await this.#line();
      // Newlines keep the link alive while the master prepares.
      if (l !== "") return l;
    }
  }

  /** Set while the payload loads: the link is not timed out meanwhile. */
  #loadingPayload = false;

  /** Ends a pending connect (the handshake timeout). */
  #abortConnect: (() => void) | undefined;

  /** Connects to the master; the cron's timeout may give up on it first. */
  #connect(): Promise<Deno.TcpConn> {
    const pending = Deno.connect({ hostname: this.host, port: this.port, transport: "tcp" });
    return new Promise((resolve, reject) => {
      let gaveUp = false;
      this.#abortConnect = () => {
        gaveUp = true;
        reject(new LinkError("Connection attempt timed out"));
      };
      pending.then((conn) => {
        this.#abortConnect = undefined;
        if (gaveUp) conn.close();
        else resolve(conn);
      }, (e) => {
        this.#abortConnect = undefined;
        reject(e);
      });
    });
  }

  async #session(gen: number): Promise<void> {
    this.state = "connecting";
    this.lastIo = this.server.clock.now();
    this.#in = new ByteQueue();
    const conn = await this.#connect();
    if (gen !== this.#gen) {
      conn.close();
      return;
    }
    this.#conn = conn;
    try {
      conn.setNoDelay(true);
    } catch { /* not supported */ }
    this.lastIo = this.server.clock.now();
    this.state = "handshake";
    this.server.log("notice", "MASTER <-> REPLICA sync started");
    const cfg = this.server.config;
    this.#send(["PING"]);
    const pong = await this.#reply();
    if (
      pong.startsWith("-") && !pong.startsWith("-NOAUTH") && !pong.startsWith("-NOPERM") &&
      !pong.startsWith("-ERR operation not permitted")
    ) throw new LinkError(`Error reply to PING from master: '${pong}'`);
    this.server.log("notice", "Master replied to PING, replication can continue...");
    const pass = cfg.get("masterauth");
    if (pass !== "") {
      const user = cfg.get("masteruser");
      this.#send(user !== "" ? ["AUTH", user, pass] : ["AUTH", pass]);
      const r = await this.#reply();
      if (r.startsWith("-")) throw new LinkError(`Unable to AUTH to MASTER: ${r}`);
    }
    const announcedPort = cfg.number("replica-announce-port") || this.server.port;
    this.#send(["REPLCONF", "listening-port", String(announcedPort)]);
    const ip = cfg.get("replica-announce-ip");
    if (ip !== "") this.#send(["REPLCONF", "ip-address", ip]);
    this.#send(["REPLCONF", "capa", "eof", "capa", "psync2"]);
    for (let i = ip !== "" ? 3 : 2; i > 0; i--) {
      const r = await this.#reply();
      if (r.startsWith("-")) {
        this.server.log("notice", `(Non critical) Master does not understand REPLCONF: ${r}`);
      }
    }
    const m = this.master;
    const psync = this.hasCache ? ["PSYNC", m.replid, String(m.offset + 1)] : ["PSYNC", "?", "-1"];
    if (this.hasCache) {
      this.server.log(
        "notice",
        `Trying a partial resynchronization (request ${m.replid}:${m.offset + 1}).`,
      );
    } else {
      this.server.log("notice", "Partial resynchronization not possible (no cached master)");
    }
    // A FAILOVER asks the target to take over with this PSYNC.
    const failover = this.failover?.inProgress() === true ? this.failover : undefined;
    if (failover !== undefined) psync.push("FAILOVER");
    this.#send(psync);
    const r = await this.#reply();
    if (failover !== undefined) {
      if (r.startsWith("+FULLRESYNC") || r.startsWith("+CONTINUE")) {
        failover.accepted();
      } else {
        this.server.log("warning", `Unexpected reply to PSYNC from master: ${r}`);
        // The server is a master again: this link ends.
        failover.rejected();
        throw new LinkError("Failover target rejected psync request");
      }
    }
    if (r.startsWith("+FULLRESYNC")) {
      const [, id = "", off = "0"] = r.split(" ");
      this.server.log("notice", `Full resync from master: ${id}:${off}`);
      await this.#fullSync(id, Number(off), gen);
    } else if (r.startsWith("+CONTINUE")) {
      const id = r.split(" ")[1];
      this.server.log("notice", "Successful partial resynchronization with master.");
      if (id !== undefined && id !== "" && id !== m.replid) {
        m.replid2 = m.replid;
        m.secondOffset = m.offset + 1;
        m.replid = id;
        this.server.log("notice", `Master replication ID changed to ${id}`);
        m.disconnectReplicas();
      }
      if (m.backlog === undefined) m.resetBacklog();
      this.server.log(
        "notice",
        "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
      );
    } else if (r.startsWith("-NOMASTERLINK") || r.startsWith("-LOADING")) {
      throw new LinkError(`Master is currently unable to PSYNC but should be in the future: ${r}`);
    } else {
      throw new LinkError(`Unexpected reply to PSYNC from master: ${r}`);
    }
    this.hasCache = true;
    this.state = "connected";
    this.downSince = 0;
    this.readOffset = m.offset;
    // A partial resync resurrects the cached master client (its id, its
    // database); a full one made a new client.
    if (this.#client === undefined || this.#client.closed) {
      this.#client = this.#newClient(this.#client);
    }
    this.#ackTimer = setInterval(() => this.#sendAck(), 1000);
    this.#sendAck();
    await this.#stream(gen);
  }

  /**
   * The master client for the link now up, listed; `cached` is the one
   * this link resumes (a partial resync): its id and database are kept.
   */
  #newClient(cached?: Context): Context {
    this.#unlist();
    const conn = this.#conn;
    const local = conn?.localAddr as Deno.NetAddr | undefined;
    const c = this.server.createInternalClient({
      listed: {
        addr: hostPort(this.host, this.port),
        laddr: local === undefined ? "" : hostPort(local.hostname, local.port),
        ...(cached === undefined ? {} : { id: cached.id }),
        // CLIENT KILL: this link drops (and reconnects).
        close: () => {
          if (this.#unlisting) return;
          try {
            conn?.close();
          } catch { /* already closed */ }
        },
      },
    });
    c.blockable = false;
    c.kind = "master";
    c.user = "(superuser)";
    if (cached !== undefined) {
      c.db = cached.db;
      c.lastCommand = cached.lastCommand;
    } else {
      c.db = this.server.keyspace.db(this.cachedDb);
    }
    return c;
  }

  /** Takes the master client off the client list, leaving the link as it is. */
  #unlist(): void {
    const c = this.#client;
    if (c === undefined || c.closed || c.id === 0) return;
    this.#unlisting = true;
    try {
      this.server.killClient(c.id);
    } finally {
      this.#unlisting = false;
    }
  }

  /** The database the master's stream has selected (0 before any). */
  streamDb(): number {
    return this.#client?.db.index ?? this.cachedDb;
  }

  /** REPLCONF GETACK from a client: acknowledge now. */
  ackNow(): void {
    this.#sendAck();
  }

  /** INFO replication's replica fields (before `connected_slaves`). */
  infoFields(): Record<string, string | number> {
    const now = this.server.clock.now();
    const up = this.state === "connected";
    const cfg = this.server.config;
    const out: Record<string, string | number> = {
      role: "slave",
      master_host: this.host,
      master_port: this.port,
      master_link_status: up ? "up" : "down",
      master_last_io_seconds_ago: up ? Math.floor((now - this.lastIo) / 1000) : -1,
      master_sync_in_progress: this.state === "sync" ? 1 : 0,
      // Without a master, nor a cached one, Redis shows 1.
      slave_read_repl_offset: up || this.hasCache ? this.readOffset : 1,
      slave_repl_offset: up || this.hasCache ? this.master.offset : 1,
    };
    if (this.state === "sync") {
      // The size is -1 before the `$` line, 0 for an EOF-marked payload.
      const total = this.syncTotal, read = this.syncRead;
      const perc = total !== 0 ? read / total * 100 : 0;
      out.master_sync_total_bytes = total;
      out.master_sync_read_bytes = read;
      out.master_sync_left_bytes = total - read;
      out.master_sync_perc = Object.is(perc, -0) ? "-0.00" : perc.toFixed(2);
      out.master_sync_last_io_seconds_ago = Math.floor((now - this.lastIo) / 1000);
    }
    if (!up) {
      out.master_link_down_since_seconds = this.downSince === 0
        ? -1
        : Math.floor((now - this.downSince) / 1000);
    }
    out.slave_priority = cfg.number("replica-priority");
    out.slave_read_only = cfg.bool("replica-read-only") ? 1 : 0;
    out.replica_announced = cfg.bool("replica-announced") ? 1 : 0;
    return out;
  }

  #sendAck(): void {
    if (this.state !== "connected") return;
    this.#send(["REPLCONF", "ACK", String(this.master.offset)]);
  }

  /** Reads the RDB payload (`$<len>` or `$EOF:<mark>`) and loads it. */
  async #fullSync(id: string, offset: number, gen: number): Promise<void> {
    this.state = "sync";
    this.syncRead = 0;
    this.syncTotal = -1;
    const header = await this.#reply();
    if (header.startsWith("-")) {
      throw new LinkError(`MASTER aborted replication with an error: ${header}`);
    }
    if (!header.startsWith("$")) {
      throw new LinkError(
        `Bad protocol from MASTER, the first byte is not '$' (we received '${header}')`,
      );
    }
    let payload: Uint8Array;
    if (header.startsWith("$EOF:")) {
      const mark = stringToBytes(header.slice(5));
      if (mark.length !== 40) throw new LinkError("Bad EOF mark from MASTER");
      this.syncTotal = 0;
      this.server.log(
        "notice",
        "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to memory",
      );
      payload = await this.#untilMark(mark);
    } else {
      const len = Number(header.slice(1));
      if (!Number.isSafeInteger(len) || len < 0) {
        throw new LinkError(`Bad payload length from MASTER: ${header}`);
      }
      this.syncTotal = len;
      this.server.log(
        "notice",
        `MASTER <-> REPLICA sync: receiving ${len} bytes from master to memory`,
      );
      while (this.#in.length < len) {
        this.syncRead = this.#in.length;
        await this.#fill();
      }
      payload = this.#in.take(len).slice();
    }
    const rdb = this.server.service("rdb");
    if (rdb === undefined) {
      throw new LinkError("Can't load the RDB from MASTER: the rdb plugin is not loaded");
    }
    // repl-diskless-load swapdb: the old dataset stays until the new one
    // has loaded (and is served meanwhile when the master's history is
    // ours); otherwise it is flushed first, as Redis does.
    const swap = this.server.config.get("repl-diskless-load") === "swapdb";
    const serveOld = swap && this.hasCache && this.master.replid === id;
    if (!swap) this.server.log("notice", "MASTER <-> REPLICA sync: Flushing old data");
    this.server.log("notice", "MASTER <-> REPLICA sync: Loading DB in memory");
    let streamDb = 0;
    this.#loadingPayload = true;
    try {
      // Keys already expired stay: the master will send their DELs. A
      // long load answers LOADING to clients meanwhile.
      const res = await rdb.loadAsync(payload, { keepExpired: true, swap, serveOld });
      const db = parseInteger(res.aux.get("repl-stream-db") ?? "0") ?? 0;
      if (db >= 0 && db < this.server.keyspace.dbs.length) streamDb = db;
    } catch (e) {
      if (swap) {
        this.server.log("notice", "MASTER <-> REPLICA sync: Discarding temporary DB in background");
      }
      throw new LinkError(
        `Failed trying to load the MASTER synchronization DB from socket: ${(e as Error).message}`,
      );
    } finally {
      this.#loadingPayload = false;
    }
    if (gen !== this.#gen) throw new LinkError("The replication link changed during the load");
    if (swap) {
      this.server.log("notice", "MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
      this.server.log("notice", "MASTER <-> REPLICA sync: Discarding old DB in background");
    }
    const m = this.master;
    m.replid = id;
    m.clearReplid2();
    m.offset = offset;
    m.resetBacklog();
    m.seldb = -1;
    // Our own replicas hold an older dataset: they must resync too.
    m.disconnectReplicas();
    this.#client = this.#newClient();
    // The stream goes on in the database the master's stream had selected.
    this.#client.db = this.server.keyspace.db(streamDb);
    this.server.log("notice", "MASTER <-> REPLICA sync: Finished with success");
  }

  async #untilMark(mark: Uint8Array): Promise<Uint8Array> {
    const q = this.#in;
    let from = 0;
    for (;;) {
      const view = q.buf.subarray(q.start, q.end);
      // Look for the mark from where it could start (the last search's end).
      for (let i = from; i + mark.length <= view.length; i++) {
        if (view[i] !== mark[0]) continue;
        let k = 1;
        while (k < mark.length && view[i + k] === mark[k]) k++;
        if (k === mark.length) {
          const payload = q.take(i).slice();
          q.take(mark.length);
          return payload;
        }
      }
      from = Math.max(0, view.length - mark.length + 1);
      this.syncRead = view.length;
      await this.#fill();
    }
  }

  /** Applies the write stream until the link drops. */
  async #stream(gen: number): Promise<void> {
    const parser = new RequestParser({ maxBulk: MAX_BUF, maxQuery: MAX_BUF });
    // What the parser consumed is counted from its start index; `mark` is
    // where the last count stopped, `acc` the bytes of the command so far.
    let mark = 0, acc = 0;
    // Everything read and not yet fed to our backlog, byte for byte.
    const fwd = new ByteQueue();
    // Bytes applied and not yet fed; `done` of them are outside any open
    // MULTI. They go to the backlog and our replicas once per drain (and
    // before a GETACK is answered): nothing reads the offset in between.
    let held = 0, done = 0;
    const feedDone = () => {
      if (done === 0) return;
      this.master.feed(fwd.take(done));
      held -= done;
      done = 0;
    };
    let multi: Bytes[][] | undefined;
    // A command CLIENT PAUSE holds, with its size in the stream.
    let pending: Bytes[] | undefined, pendingBytes = 0, waiting = false;
    const pause = this.server.keyspace.pause;
    const feedIn = (data: Uint8Array) => {
      if (data.length === 0) return;
      acc += parser.start - mark;
      parser.push(data);
      mark = parser.start;
      fwd.append(data);
      this.readOffset += data.length;
    };
    /**
     * Applies what was read, up to a command the pause holds. What was
     * applied is fed even when the stream turns out malformed: a resync
     * must not apply it twice.
     */
    const drain = () => {
      try {
        for (;;) {
          let argv = pending, n = pendingBytes;
          pending = undefined;
          if (argv === undefined) {
            const next = parser.next();
            acc += parser.start - mark;
            mark = parser.start;
            if (next === null) break;
            argv = next;
            n = acc;
            acc = 0;
          }
          // While a script holds the server (busy) the stream waits too, as
          // Redis leaves its master's input unread until the script ends.
          const busy = this.server.busy !== undefined;
          if (busy || (pause.level !== 0 && this.#held(argv, multi))) {
            pending = argv;
            pendingBytes = n;
            if (!waiting) {
              waiting = true;
              const go = () => {
                waiting = false;
                if (gen !== this.#gen) return;
                drain();
                this.server.serveBlocked();
              };
              if (busy) this.server.whenNotBusy(go);
              else pause.whenOver(go);
            }
            return;
          }
          // REPLCONF GETACK answers the offset before it.
          if (multi === undefined && isReplconf(argv[0]!)) feedDone();
          held += n;
          multi = this.#apply(argv, multi);
          if (multi === undefined) done = held;
        }
      } finally {
        feedDone();
      }
    };
    // Bytes that followed the RDB payload in the same reads.
    if (this.#in.length !== 0) feedIn(this.#in.take(this.#in.length).slice());
    const conn = this.#conn!;
    const chunk = new Uint8Array(65536);
    for (;;) {
      if (pending === undefined) drain();
      this.server.serveBlocked();
      const r = await conn.read(chunk);
      if (gen !== this.#gen) return;
      if (r === null) throw new LinkError("Connection with master lost.");
      this.lastIo = this.server.clock.now();
      if (this.#client !== undefined) this.#client.lastInteraction = this.lastIo;
      feedIn(chunk.subarray(0, r));
    }
  }

  /**
   * Whether CLIENT PAUSE holds this command from the master (an EXEC by
   * what it runs), as it holds a client's.
   */
  #held(argv: Bytes[], multi: Bytes[][] | undefined): boolean {
    const pause = this.server.keyspace.pause;
    let traits = 0;
    const name = argv[0]!.toLowerCase();
    const queue = multi !== undefined && name === "exec" ? multi : [argv];
    for (const a of queue) {
      const cmd = this.server.resolveCommand(a);
      if (typeof cmd !== "string") traits |= cmd.traits;
    }
    return pause.holds(traits);
  }

  /** Applies one command from the master; returns the open MULTI queue, if any. */
  #apply(argv: Bytes[], multi: Bytes[][] | undefined): Bytes[][] | undefined {
    const a0 = argv[0]!;
    // Only MULTI, EXEC, DISCARD and REPLCONF are looked at by name: the
    // other commands skip lower-casing theirs.
    const name = isSpecial(a0) ? a0.toLowerCase() : "";
    if (multi !== undefined) {
      if (name === "exec") {
        this.server.atomically(() => {
          for (const q of multi) this.#exec(q);
        });
        return undefined;
      }
      if (name === "discard") return undefined;
      multi.push(argv);
      return multi;
    }
    if (name === "multi") return [];
    if (name === "replconf" && argv[1]?.toLowerCase() === "getack") {
      // The offset before this command, as Redis answers.
      this.#sendAck();
      return undefined;
    }
    this.#exec(argv);
    return undefined;
  }

  #exec(argv: Bytes[]): void {
    const c = this.#client!;
    const cmd = this.server.resolveCommand(argv);
    if (typeof cmd === "string") {
      this.server.log("warning", `Master sent a command that failed: ${cmd}`);
      return;
    }
    // The master's commands see keys whose TTL passed as still there (a
    // DEL must delete them), as Redis's expireIfNeeded does for its master
    // client: the keyspace's loading mode neither hides nor reclaims them.
    const ks = this.server.keyspace;
    const was = ks.loading;
    ks.loading = true;
    try {
      this.server.runNextCommand(c, cmd, argv);
    } catch (e) {
      this.server.log("warning", `Applying '${cmd.fullName}' from the master failed: ${e}`);
    } finally {
      ks.loading = was;
    }
  }
}

/** Whether a command name may be MULTI, EXEC, DISCARD or REPLCONF (by length and first letter). */
function isSpecial(name: string): boolean {
  const n = name.length;
  if (n < 4 || n > 8) return false;
  const f = name.charCodeAt(0) | 32;
  return f === 101 /* e */ || f === 109 /* m */ || f === 100 /* d */ || f === 114; /* r */
}

/** Whether a command name is REPLCONF, in any case. */
function isReplconf(name: string): boolean {
  return name.length === 8 && name.toLowerCase() === "replconf";
}

/** `host:port`, an IPv6 host in brackets, as CLIENT LIST shows addresses. */
function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
