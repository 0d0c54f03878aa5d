/**
 * WAIT: clients parked until enough replicas acknowledge the replication
 * offset of their writes, or until a timeout.
 *
 * WAIT is not key-based, so it does not use the core's key queues: a parked
 * client is suspended (its pipelined input waits) and resumed with its
 * reply, either when an acknowledgement completes its count or when its
 * timer fires.
 *
 * @module
 */

import type { Context } from "../../core/types.ts";
import type { MasterSide } from "./_master.ts";

interface Waiter {
  readonly c: Context;
  /** Sends the reply and lets the client's pipelined input go on. */
  readonly resume: () => void;
  /** The offset the replicas must reach. */
  readonly offset: number;
  readonly needed: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The clients blocked in WAIT on one server.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * import { MasterSide } from "./_master.ts";
 * import { WaitList } from "./_wait.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const waits = new WaitList(new MasterSide(s.server));
 * // Replies now, or once 2 replicas acknowledged, or after 1 s: here
 * // (no replica, none needed) at once.
 * waits.wait(s.server.createInternalClient(), 0, 1000);
 * console.log(waits.size); // 0
 * await s.close();
 * ```
 */
export class WaitList {
  #waiters: Waiter[] = [];
  #ackRequested = false;

  constructor(readonly master: MasterSide) {}

  /** Number of clients waiting. */
  get size(): number {
    return this.#waiters.length;
  }

  /**
   * WAIT numreplicas timeout for `c`: answers at once when enough replicas
   * already acknowledged (or blocking is not allowed, as inside MULTI);
   * otherwise parks the client and asks every replica for an ACK.
   */
  wait(c: Context, needed: number, timeoutMs: number): void {
    const offset = this.master.writeOffset;
    const acked = this.master.countAcked(offset);
    if (acked >= needed || !c.blockable) {
      c.reply.integer(acked);
      return;
    }
    const w: Waiter = { c, resume: c.suspend(), offset, needed, timer: undefined };
    this.#waiters.push(w);
    if (timeoutMs > 0) w.timer = setTimeout(() => this.#finish(w), timeoutMs);
    // Once per event-loop turn, however many clients started waiting.
    if (!this.#ackRequested) {
      this.#ackRequested = true;
      queueMicrotask(() => {
        this.#ackRequested = false;
        this.master.requestAcks();
      });
    }
  }

  /** Re-counts after an acknowledgement; answers the satisfied waiters. */
  check(): void {
    if (this.#waiters.length === 0) return;
    for (const w of [...this.#waiters]) {
      if (this.master.countAcked(w.offset) >= w.needed) this.#finish(w);
    }
  }

  /** Answers a waiter with its count, or with `error` then closes it. */
  #finish(w: Waiter, error?: string): void {
    const i = this.#waiters.indexOf(w);
    if (i === -1) return;
    this.#waiters.splice(i, 1);
    if (w.timer !== undefined) clearTimeout(w.timer);
    if (w.c.closed) return;
    if (error === undefined) {
      w.c.reply.integer(this.master.countAcked(w.offset));
    } else {
      w.c.reply.error(error);
      w.c.close();
    }
    w.resume();
  }

  /** A client went away: stop waiting for it. */
  dropped(c: Context): void {
    const i = this.#waiters.findIndex((w) => w.c === c);
    if (i === -1) return;
    const [w] = this.#waiters.splice(i, 1);
    if (w?.timer !== undefined) clearTimeout(w.timer);
  }

  /** Answers every waiter now (shutdown). */
  releaseAll(): void {
    for (const w of [...this.#waiters]) this.#finish(w);
  }

  /**
   * Ends every wait with `error` and closes those clients once it is
   * written (the server became a replica: Redis's disconnectAllBlockedClients).
   */
  abortAll(error: string): void {
    for (const w of [...this.#waiters]) this.#finish(w, error);
  }
}
