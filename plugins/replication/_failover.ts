/**
 * FAILOVER, as Redis 7.0's coordinated failover (`failoverCommand`,
 * `updateFailoverStatus`): the master pauses writes, waits until a replica
 * (the one named with TO, or the first) acknowledged its whole stream, then
 * becomes that replica's replica with `PSYNC <replid> <offset> FAILOVER`,
 * which tells the target to take over. The target answers `+CONTINUE`, the
 * pause ends and the old master goes on as a replica, resynchronized
 * partially. TIMEOUT aborts when the replica never catches up, or with
 * FORCE fails over anyway; ABORT stops it.
 *
 * @module
 */

import type { Bytes, Context, ServerApi } from "../../core/types.ts";
import { PauseLevel } from "../../core/pause.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import type { MasterSide, ReplicaPeer } from "./_master.ts";
import { peerIp } from "./_master.ts";

/** INFO's `master_failover_state`. */
export type FailoverState = "no-failover" | "waiting-for-sync" | "failover-in-progress";

/** What the failover does to the server's role. */
export interface RoleChanges {
  /** Whether the server replicates from a master. */
  isReplica(): boolean;
  /** Becomes a replica of host:port (REPLICAOF host port). */
  becomeReplica(host: string, port: number): void;
  /** Becomes a master again (REPLICAOF NO ONE). */
  becomeMaster(): void;
}

/**
 * One server's coordinated failover.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * import { MasterSide } from "./_master.ts";
 * import { Failover } from "./_failover.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const f = new Failover(s.server, new MasterSide(s.server), {
 *   isReplica: () => false,
 *   becomeReplica() {},
 *   becomeMaster() {},
 * });
 * console.log(f.state); // "no-failover"
 * await s.close();
 * ```
 */
export class Failover {
  state: FailoverState = "no-failover";
  /** When a TIMEOUT ends the wait (ms; 0: none). */
  endTime = 0;
  force = false;
  /** The target, once named (TO) or chosen. */
  host: string | undefined;
  port = 0;

  constructor(
    readonly server: ServerApi,
    readonly master: MasterSide,
    readonly roles: RoleChanges,
  ) {}

  /** True while a failover is on. */
  get active(): boolean {
    return this.state !== "no-failover";
  }

  /** FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]. */
  command(c: Context, argv: Bytes[]): void {
    if (argv.length === 2 && argv[1]!.toLowerCase() === "abort") {
      if (this.state === "no-failover") throw new ReplyError("ERR No failover in progress.");
      this.abort("Failover manually aborted");
      c.reply.ok();
      return;
    }
    let timeout = 0, force = false, port = 0;
    let host: string | undefined;
    for (let j = 1; j < argv.length; j++) {
      const opt = argv[j]!.toLowerCase();
      if (opt === "timeout" && j + 1 < argv.length && timeout === 0) {
        timeout = longArg(argv[j + 1]!);
        if (timeout <= 0) throw new ReplyError("ERR FAILOVER timeout must be greater than 0");
        j++;
      } else if (opt === "to" && j + 2 < argv.length && host === undefined) {
        port = longArg(argv[j + 2]!);
        host = argv[j + 1]!;
        j += 2;
      } else if (opt === "force" && !force) {
        force = true;
      } else {
        throw new ReplyError(Err.syntax);
      }
    }
    if (this.state !== "no-failover") throw new ReplyError("ERR FAILOVER already in progress.");
    if (this.roles.isReplica()) {
      throw new ReplyError("ERR FAILOVER is not valid when server is a replica.");
    }
    if (this.master.replicas.length === 0) {
      throw new ReplyError("ERR FAILOVER requires connected replicas.");
    }
    if (force && (timeout === 0 || host === undefined)) {
      throw new ReplyError(
        "ERR FAILOVER with force option requires both a timeout and target HOST and IP.",
      );
    }
    if (host !== undefined) {
      const target = this.#find(host, port);
      if (target === undefined) {
        throw new ReplyError("ERR FAILOVER target HOST and PORT is not a replica.");
      }
      if (target.state !== "online") {
        throw new ReplyError("ERR FAILOVER target replica is not online.");
      }
      this.host = host;
      this.port = port;
      this.server.log("notice", `FAILOVER requested to ${host}:${port}.`);
    } else {
      this.server.log("notice", "FAILOVER requested to any replica.");
    }
    const now = this.server.clock.now();
    if (timeout !== 0) this.endTime = now + timeout;
    this.force = force;
    this.state = "waiting-for-sync";
    // Writes wait until the failover ends (Redis's PAUSE_DURING_FAILOVER).
    this.server.keyspace.pause.start(PauseLevel.WRITE, Number.MAX_SAFE_INTEGER, "failover");
    c.reply.ok();
  }

  /**
   * Redis's updateFailoverStatus (the replication cron, every 100 ms while
   * a failover is on): gives up or forces at the timeout; fails over once
   * the target acknowledged the whole stream.
   */
  update(now: number): void {
    if (this.state !== "waiting-for-sync") return;
    if (this.endTime !== 0 && this.endTime <= now) {
      if (this.force) {
        this.server.log(
          "notice",
          `FAILOVER to ${this.host}:${this.port} time out exceeded, failing over.`,
        );
        this.state = "failover-in-progress";
        this.roles.becomeReplica(this.host!, this.port);
      } else {
        this.abort("Replica never caught up before timeout");
      }
      return;
    }
    const offset = this.master.offset;
    let target: ReplicaPeer | undefined;
    if (this.host !== undefined) {
      target = this.#find(this.host, this.port);
    } else {
      target = this.master.replicas.find((p) => p.ackOffset === offset);
      if (target !== undefined) {
        this.host = peerIp(target);
        this.port = target.info.port;
      }
    }
    if (target === undefined || target.ackOffset !== offset) return;
    this.state = "failover-in-progress";
    this.server.log(
      "notice",
      `Failover target ${this.host}:${this.port} is synced, failing over.`,
    );
    this.roles.becomeReplica(this.host!, this.port);
  }

  /** The target answered PSYNC FAILOVER: the failover is over. */
  done(): void {
    this.#clear();
  }

  /** Stops the failover; a server already handing over becomes a master again. */
  abort(why: string): void {
    if (this.state === "no-failover") return;
    if (this.host !== undefined) {
      this.server.log("notice", `FAILOVER to ${this.host}:${this.port} aborted: ${why}`);
    } else {
      this.server.log("notice", `FAILOVER to any replica aborted: ${why}`);
    }
    if (this.state === "failover-in-progress") this.roles.becomeMaster();
    this.#clear();
  }

  #clear(): void {
    this.endTime = 0;
    this.force = false;
    this.host = undefined;
    this.port = 0;
    this.state = "no-failover";
    this.server.keyspace.pause.stop("failover");
  }

  /** The replica announced as host:port (Redis's findReplica). */
  #find(host: string, port: number): ReplicaPeer | undefined {
    const h = host.toLowerCase();
    return this.master.replicas.find((p) => peerIp(p).toLowerCase() === h && p.info.port === port);
  }
}

/** A `long` argument, as getLongFromObjectOrReply reads it. */
function longArg(s: string): number {
  const n = parseInteger(s);
  if (n === undefined) throw new ReplyError(Err.notInteger);
  return n;
}
