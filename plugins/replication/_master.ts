/**
 * The master side of replication: the replication id and offset, the
 * backlog, the replicas attached to this server (full and partial resyncs,
 * the write stream, acknowledgements) and the fields INFO and ROLE show.
 *
 * A replica is an ordinary client that sent PSYNC (or SYNC). From then on
 * its writer carries the stream; replies to anything else it sends are
 * dropped (its reply mode is off), as Redis does for replica clients.
 *
 * @module
 */

import type { Bytes, Context, ServerApi } from "../../core/types.ts";
import { BufferWriter } from "../../core/resp/writer.ts";
import { randomHex } from "../../core/random.ts";
import { stringToBytes } from "../../core/resp/bytes.ts";
import { Backlog } from "./_backlog.ts";
import type { SnapshotJob } from "../rdb/mod.ts";

/** What a client announced with REPLCONF before PSYNC. */
export interface ReplconfInfo {
  port: number;
  ip: string;
  capaEof: boolean;
  capaPsync2: boolean;
}

declare module "../../core/types.ts" {
  interface ClientExtensions {
    /** REPLCONF announcements (replication plugin). */
    replconf?: ReplconfInfo;
    /** Set once the client is one of this server's replicas. */
    replicaPeer?: ReplicaPeer;
  }
}

/** INFO's replica states. */
export type PeerState = "wait_bgsave" | "online";

/** One replica of this server. */
export class ReplicaPeer {
  state: PeerState = "wait_bgsave";
  /** Highest offset the replica acknowledged (REPLCONF ACK). */
  ackOffset = 0;
  /** When it last acknowledged (ms). */
  ackTime: number;
  /**
   * Stream bytes held back: while its snapshot is made, and after a
   * diskless transfer until its first ACK (a replica reading an EOF-marked
   * payload may read past the mark, so Redis starts the stream on the ACK).
   */
  pending: Uint8Array[] | undefined;
  /** The payload goes as `$EOF:<mark>` (the replica announced `capa eof`). */
  eof = false;
  /** SYNC (not PSYNC): no `+FULLRESYNC` line. */
  oldSync = false;
  /** Whether the `$` header of its payload has been written. */
  headerSent = false;

  constructor(readonly c: Context, readonly info: ReplconfInfo, now: number) {
    this.ackTime = now;
  }

  /**
   * Writes stream bytes to the replica's socket buffer, past the reply
   * mode that drops everything else.
   */
  write(bytes: Uint8Array): void {
    const c = this.c;
    const off = c.flags.replyMode === "off";
    if (off) c.setReplyMode("on");
    c.reply.raw(bytes);
    if (off) c.setReplyMode("off");
  }

  /** Writes a byte string. */
  writeText(s: string): void {
    this.write(stringToBytes(s));
  }
}

const ZERO_ID = "0000000000000000000000000000000000000000";

/**
 * Replication state of one server, master side. A replica uses it too: its
 * id and offset are its master's, and its own replicas get the master's
 * stream verbatim through {@link MasterSide.feed}.
 */
export class MasterSide {
  replid: string = randomHex(40);
  replid2: string = ZERO_ID;
  /** Offset up to which `replid2` is valid (+1), or -1. */
  secondOffset = -1;
  /**
   * `master_repl_offset`. It counts the commands encoded and not yet
   * delivered too (see {@link MasterSide.settle}).
   */
  offset = 0;
  #backlog: Backlog | undefined;
  /** The database the stream last selected (-1: next write sends SELECT). */
  seldb = -1;
  readonly replicas: ReplicaPeer[] = [];
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  /** Called when an acknowledgement arrives (WAIT). */
  onAck: (() => void) | undefined;
  /** Whether this server replicates from a master (streams are forwarded, not made). */
  isReplica = false;
  /** The offset after the last write clients made (WAIT waits for it). */
  writeOffset = 0;
  /**
   * The database the stream has selected at this point: a replica's own
   * replicas get the master's stream verbatim, so they must start in the
   * database that stream is in (the RDB's `repl-stream-db`).
   */
  streamDb: () => number = () => 0;
  /**
   * The commands written since the stream was last delivered: they reach
   * the backlog and the replicas' buffers together, once per task (a
   * pipelined batch) rather than once each, as their socket writes do.
   */
  #enc = new BufferWriter(16384);
  #toFlush = new Set<ReplicaPeer>();
  #flushQueued = false;
  readonly #settleAndFlush = (): void => {
    // Still marked queued while settling: #schedule queues no second task.
    this.settle();
    this.#flushQueued = false;
    for (const q of this.#toFlush) q.c.flush();
    this.#toFlush.clear();
  };
  /** Replicas waiting for a full sync whose snapshot has not started. */
  #waiting: ReplicaPeer[] = [];
  #job: SnapshotJob | undefined;
  #delay: ReturnType<typeof setTimeout> | undefined;
  /**
   * The last PING's time, from the start: as Redis's cron pings every
   * `repl-ping-replica-period` seconds counted from start-up, a replica
   * that attaches gets its first PING at the next multiple, not at once.
   */
  #pingAt: number;

  constructor(readonly server: ServerApi) {
    this.#pingAt = server.clock.now();
  }

  /**
   * The backlog, with every command written so far in it (reading it
   * delivers what {@link MasterSide.feedCommand} holds).
   */
  get backlog(): Backlog | undefined {
    this.settle();
    return this.#backlog;
  }

  /**
   * Encodes a write into the stream (SELECT first when the database
   * changes). The offset grows now; the bytes reach the backlog and the
   * replicas at the end of the task, or before anything looks at them.
   */
  feedCommand(db: number, argv: readonly Bytes[]): void {
    if (this.#backlog === undefined && this.replicas.length === 0) return;
    const w = this.#enc;
    const len = w.len;
    if (db !== this.seldb && db >= 0) {
      w.array(2);
      w.bulk("SELECT");
      w.bulk(String(db));
      this.seldb = db;
    }
    w.array(argv.length);
    for (let i = 0; i < argv.length; i++) w.bulk(argv[i]!);
    this.offset += w.len - len;
    // A long task (a script's writes) delivers as it goes, in bounded pieces.
    if (w.len >= 65536) this.settle();
    else if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#settleAndFlush);
    }
  }

  /**
   * Delivers the commands encoded so far to the backlog and the replicas.
   * Whatever reads the backlog, changes the set of replicas or their state,
   * or writes to one of them otherwise calls it first, so each replica gets
   * the stream exactly from its starting offset.
   */
  settle(): void {
    const w = this.#enc;
    if (w.len === 0) return;
    const bytes = w.take();
    // Counted in the offset already.
    this.#deliver(bytes);
  }

  /** Appends stream bytes to the backlog and sends them to the replicas. */
  feed(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.settle();
    this.offset += bytes.length;
    this.#deliver(bytes);
  }

  #deliver(bytes: Uint8Array): void {
    this.#backlog?.append(bytes);
    const rs = this.replicas;
    for (let i = 0; i < rs.length; i++) {
      const p = rs[i]!;
      if (p.pending !== undefined) p.pending.push(bytes.slice());
      else if (p.state === "online") {
        p.write(bytes);
        this.#schedule(p);
      }
    }
  }

  #schedule(p: ReplicaPeer): void {
    this.#toFlush.add(p);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(this.#settleAndFlush);
  }

  /** Creates the backlog (with a fresh id, as Redis does when it starts one from scratch). */
  ensureBacklog(): void {
    if (this.#backlog !== undefined) return;
    this.replid = randomHex(40);
    this.clearReplid2();
    this.#backlog = new Backlog(this.server.config.number("repl-backlog-size"), this.offset);
    // Writes feed the stream from now on: the propagate hook is armed.
    this.server.rearm();
  }

  /** A fresh backlog starting at the current offset (after a full sync from a master). */
  resetBacklog(): void {
    this.settle();
    const first = this.#backlog === undefined;
    this.#backlog = new Backlog(this.server.config.number("repl-backlog-size"), this.offset);
    if (first) this.server.rearm();
  }

  /**
   * Whether writes go into the replication stream: a master with a backlog
   * (every replica it has had made one). Without, feedCommand drops them.
   */
  get streaming(): boolean {
    return !this.isReplica && this.#backlog !== undefined;
  }

  clearReplid2(): void {
    this.replid2 = ZERO_ID;
    this.secondOffset = -1;
  }

  /** Promotion: the old id stays valid up to the current offset. */
  shiftReplicationId(): void {
    this.replid2 = this.replid;
    this.secondOffset = this.offset + 1;
    this.replid = randomHex(40);
    this.server.log(
      "warning",
      `Setting secondary replication ID to ${this.replid2}, valid up to offset: ${this.secondOffset}. New replication ID is ${this.replid}`,
    );
  }

  /** PSYNC (or SYNC when `oldSync`): partial resync if possible, else full. */
  psync(c: Context, replid: string, offsetArg: string, oldSync: boolean): void {
    // What was written before this replica joined is not its to receive.
    this.settle();
    const info = c.ext.replconf ?? { port: 0, ip: "", capaEof: false, capaPsync2: false };
    const now = this.server.clock.now();
    const peer = new ReplicaPeer(c, info, now);
    peer.oldSync = oldSync;
    const name = replicaName(c, info);
    if (!oldSync) {
      const off = /^-?\d+$/.test(offsetArg) ? Number(offsetArg) : NaN;
      if (this.#tryPartial(peer, replid, off, name)) return;
      if (replid !== "?") this.syncPartialErr++;
    }
    this.syncFull++;
    c.kind = "replica";
    c.ext.replicaPeer = peer;
    c.setReplyMode("off");
    peer.eof = info.capaEof && !oldSync && this.server.config.bool("repl-diskless-sync");
    this.server.log("notice", `Replica ${name} asks for synchronization`);
    this.ensureBacklog();
    this.replicas.push(peer);
    this.#waiting.push(peer);
    this.#maybeStart();
  }

  #tryPartial(peer: ReplicaPeer, replid: string, off: number, name: string): boolean {
    const log = (why: string) =>
      this.server.log("notice", `Partial resynchronization not accepted: ${why}`);
    if (replid === "?") return false;
    if (replid !== this.replid && !(replid === this.replid2 && off <= this.secondOffset)) {
      if (replid === this.replid2) {
        log(
          `Requested offset for second ID was ${off}, but I can reply up to ${this.secondOffset}`,
        );
      } else {
        log(
          `Replication ID mismatch (Replica asked for '${replid}', my replication IDs are '${this.replid}' and '${this.replid2}')`,
        );
      }
      return false;
    }
    const b = this.backlog;
    if (b === undefined || !Number.isFinite(off) || !b.covers(off)) {
      this.server.log(
        "notice",
        `Unable to partial resync with replica ${name} for lack of backlog (Replica request was: ${off}).`,
      );
      return false;
    }
    const c = peer.c;
    c.kind = "replica";
    c.ext.replicaPeer = peer;
    peer.state = "online";
    peer.headerSent = true;
    peer.writeText(peer.info.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : "+CONTINUE\r\n");
    const missing = b.from(off);
    peer.write(missing);
    c.setReplyMode("off");
    this.replicas.push(peer);
    this.syncPartialOk++;
    this.server.log(
      "notice",
      `Partial resynchronization request from ${name} accepted. Sending ${missing.length} bytes of backlog starting from offset ${off}.`,
    );
    return true;
  }

  /** Starts a snapshot for the waiting replicas, after `repl-diskless-sync-delay`. */
  #maybeStart(): void {
    if (this.#job !== undefined || this.#delay !== undefined || this.#waiting.length === 0) return;
    const cfg = this.server.config;
    const diskless = this.#waiting.some((p) => p.eof);
    const delay = diskless ? cfg.number("repl-diskless-sync-delay") : 0;
    const max = cfg.number("repl-diskless-sync-max-replicas");
    if (delay > 0 && !(max > 0 && this.#waiting.length >= max)) {
      this.#delay = setTimeout(() => {
        this.#delay = undefined;
        this.#start();
      }, delay * 1000);
      return;
    }
    this.#start();
  }

  #start(): void {
    // The snapshot holds what was written so far: not the replicas' to receive.
    this.settle();
    const peers = this.#waiting.filter((p) => !p.c.closed);
    this.#waiting = [];
    if (peers.length === 0) return;
    const rdb = this.server.service("rdb");
    // The snapshot is the dataset at this offset; what follows is streamed.
    this.seldb = -1;
    for (const p of peers) {
      p.pending = [];
      if (!p.oldSync) p.writeText(`+FULLRESYNC ${this.replid} ${this.offset}\r\n`);
      p.c.flush();
    }
    this.server.log(
      "notice",
      `Starting BGSAVE for SYNC with target: ${
        peers.some((p) => p.eof) ? "replicas sockets" : "disk"
      }`,
    );
    let done: Promise<Uint8Array>;
    const aux = {
      "repl-stream-db": String(this.streamDb()),
      "repl-id": this.replid,
      "repl-offset": String(this.offset),
    };
    // Diskless replicas get the payload as it is serialized (`$EOF:<mark>`
    // framing); the others need its length first, so it is kept for them.
    const mark = randomHex(40);
    const live = peers.filter((p) => p.eof);
    const kept: Uint8Array[] | undefined = live.length === peers.length ? undefined : [];
    for (const p of live) {
      p.writeText(`$EOF:${mark}\r\n`);
      p.headerSent = true; // no keep-alive newlines inside the payload
    }
    const sink = (chunk: Uint8Array): Promise<void> => {
      for (const p of live) {
        if (p.c.closed) continue;
        p.write(chunk);
        p.c.flush();
      }
      kept?.push(chunk.slice());
      return Promise.resolve();
    };
    try {
      if (rdb === undefined) throw new Error("the rdb plugin is not loaded");
      const job = rdb.snapshot({ aux, sink });
      this.#job = job;
      done = job.done;
    } catch (e) {
      done = Promise.reject(e);
    }
    done.then(
      () => this.#deliverPayload(peers, kept ?? [], mark),
      (e) => {
        this.server.log(
          "warning",
          `Can't produce the RDB for replicas: ${(e as Error)?.message ?? e}`,
        );
        for (const p of peers) this.server.killClient(p.c.id);
      },
    ).finally(() => {
      this.#job = undefined;
      this.#maybeStart();
    });
  }

  /**
   * The payload is complete: diskless replicas get the end mark (they had
   * the bytes already), the others the length and the `kept` bytes.
   */
  #deliverPayload(peers: ReplicaPeer[], kept: Uint8Array[], mark: string): void {
    // Written since the snapshot: held for these replicas, before they go online.
    this.settle();
    const now = this.server.clock.now();
    let size = 0;
    for (const b of kept) size += b.length;
    for (const p of peers) {
      if (p.c.closed || !this.replicas.includes(p)) continue;
      p.headerSent = true;
      p.state = "online";
      p.ackTime = now;
      if (p.eof) {
        p.writeText(mark);
      } else {
        p.writeText(`$${size}\r\n`);
        for (const b of kept) p.write(b);
        this.#release(p);
      }
      p.c.flush();
      this.server.log(
        "notice",
        `Synchronization with replica ${replicaName(p.c, p.info)} succeeded`,
      );
    }
  }

  /** Sends the stream held back for a replica. */
  #release(p: ReplicaPeer): void {
    this.settle();
    const held = p.pending ?? [];
    p.pending = undefined;
    for (const b of held) p.write(b);
  }

  /** REPLCONF ACK from one of our replicas. */
  ack(c: Context, offset: number): void {
    const p = c.ext.replicaPeer;
    if (p === undefined) return;
    this.settle();
    p.ackTime = this.server.clock.now();
    if (offset > p.ackOffset) p.ackOffset = offset;
    if (p.state === "online" && p.pending !== undefined && p.headerSent) {
      this.#release(p);
      p.c.flush();
    }
    this.onAck?.();
  }

  /** A client went away: forget it if it was a replica. */
  dropped(c: Context): void {
    const p = c.ext.replicaPeer;
    if (p === undefined) return;
    this.settle();
    const i = this.replicas.indexOf(p);
    if (i !== -1) this.replicas.splice(i, 1);
    const j = this.#waiting.indexOf(p);
    if (j !== -1) this.#waiting.splice(j, 1);
    this.#toFlush.delete(p);
    this.server.log("notice", `Connection with replica ${replicaName(c, p.info)} lost.`);
    this.onAck?.();
  }

  /** Closes every replica connection (they reconnect and resync). */
  disconnectReplicas(): void {
    this.settle();
    for (const p of [...this.replicas]) this.server.killClient(p.c.id);
  }

  /** Replicas whose acknowledged offset reached `offset`. */
  countAcked(offset: number): number {
    let n = 0;
    for (const p of this.replicas) if (p.state === "online" && p.ackOffset >= offset) n++;
    return n;
  }

  /** Online replicas that acknowledged within `maxLag` seconds. */
  goodReplicas(maxLag: number): number {
    const now = this.server.clock.now();
    let n = 0;
    for (const p of this.replicas) {
      if (p.state === "online" && Math.floor((now - p.ackTime) / 1000) <= maxLag) n++;
    }
    return n;
  }

  /**
   * Runs once a second: pings (unless `noPing`: a failover waits for its
   * target), keep-alive newlines, timeouts.
   */
  cron(now: number, noPing = false): void {
    if (this.replicas.length === 0) return;
    this.settle();
    const cfg = this.server.config;
    const period = cfg.number("repl-ping-replica-period") * 1000;
    if (!this.isReplica && !noPing && now - this.#pingAt >= period) {
      this.#pingAt = now;
      this.feedCommand(this.seldb, ["PING"]);
    }
    const timeout = cfg.number("repl-timeout") * 1000;
    for (const p of [...this.replicas]) {
      if (!p.headerSent) {
        // Keeps the link alive while the payload is prepared.
        p.writeText("\n");
        p.c.flush();
      } else if (p.state === "online" && now - p.ackTime > timeout) {
        this.server.log("warning", `Disconnecting timedout replica: ${replicaName(p.c, p.info)}`);
        this.server.killClient(p.c.id);
      }
    }
  }

  /** Shutdown: drops a pending delayed sync. */
  close(): void {
    if (this.#delay !== undefined) clearTimeout(this.#delay);
    this.#delay = undefined;
    this.#job?.cancel();
  }

  /**
   * Sends `REPLCONF GETACK *` to every replica (WAIT); while writes are
   * paused ({@link MasterSide.acksHeld}) it waits for the pause's end, as
   * Redis, which does not grow the stream while clients are paused.
   */
  requestAcks(): void {
    if (this.replicas.length === 0 || this.isReplica) return;
    if (this.acksHeld()) {
      if (this.#acksAsked) return;
      this.#acksAsked = true;
      this.server.keyspace.pause.whenOver(() => {
        this.#acksAsked = false;
        this.requestAcks();
      });
      return;
    }
    this.feedCommand(this.seldb, ["REPLCONF", "GETACK", "*"]);
  }

  /** Whether asking for acknowledgements must wait (a pause is on). */
  acksHeld: () => boolean = () => false;
  #acksAsked = false;

  /** INFO lines for the replicas (`extra` comes after `connected_slaves`). */
  infoFields(extra: Record<string, number> = {}): Record<string, string | number> {
    const out: Record<string, string | number> = {
      connected_slaves: this.replicas.length,
      ...extra,
    };
    const now = this.server.clock.now();
    this.replicas.forEach((p, i) => {
      out[`slave${i}`] = `ip=${
        peerIp(p)
      },port=${p.info.port},state=${p.state},offset=${p.ackOffset},lag=${
        Math.floor((now - p.ackTime) / 1000)
      }`;
    });
    return out;
  }

  /** The fields after the replica lines. */
  idFields(): Record<string, string | number> {
    const b = this.backlog;
    return {
      master_replid: this.replid,
      master_replid2: this.replid2,
      master_repl_offset: this.offset,
      second_repl_offset: this.secondOffset,
      repl_backlog_active: b === undefined ? 0 : 1,
      repl_backlog_size: b?.size ?? this.server.config.number("repl-backlog-size"),
      repl_backlog_first_byte_offset: b === undefined ? 0 : b.firstByte,
      repl_backlog_histlen: b?.histlen ?? 0,
    };
  }

  /** ROLE's replica list: [ip, port, offset] as strings. */
  roleReplicas(): [string, string, string][] {
    return this.replicas.filter((p) => p.state === "online").map((p) => [
      peerIp(p),
      String(p.info.port),
      String(p.ackOffset),
    ]);
  }
}

/** The address a replica is known by: the one it announced, else its peer address. */
export function peerIp(p: ReplicaPeer): string {
  if (p.info.ip !== "") return p.info.ip;
  const a = p.c.addr;
  const i = a.lastIndexOf(":");
  const host = i === -1 ? a : a.slice(0, i);
  return host.startsWith("[") ? host.slice(1, -1) : host;
}

/** `ip:port` as Redis names a replica in its log. */
function replicaName(c: Context, info: ReplconfInfo): string {
  const a = c.addr;
  const i = a.lastIndexOf(":");
  const host = info.ip !== "" ? info.ip : (i === -1 ? a : a.slice(0, i));
  return `${host}:${info.port}`;
}
