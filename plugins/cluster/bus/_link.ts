/**
 * One TCP connection of the cluster bus (Redis's clusterLink): it frames
 * what arrives into messages and queues what is sent. A link opened by
 * this node belongs to a node from the start; an accepted one learns its
 * node from the messages it carries.
 *
 * @module
 */

import type { ClusterLink, ClusterNode } from "../_state.ts";
import { BusProtocolError, MessageReader } from "./_messages.ts";

/** What a link reports to the bus that owns it. */
export interface LinkOwner {
  /** A whole message arrived (still undecoded). */
  received(link: BusLink, frame: Uint8Array): void;
  /** The link is closed (by either side, an error, or {@link BusLink.close}). */
  closed(link: BusLink, reason: string): void;
}

/**
 * A bus connection. Outbound links exist from the moment the connection is
 * attempted, as in Redis, so the node counts as linked meanwhile.
 *
 * @example
 * ```ts
 * import { BusLink } from "./_link.ts";
 * const link = new BusLink({ received() {}, closed() {} }, undefined, true, Date.now());
 * console.log(link.inbound, link.sendBufferUsed, link.events); // true 0 r
 * link.close();
 * ```
 */
export class BusLink implements ClusterLink {
  #conn: Deno.Conn | undefined;
  #reader = new MessageReader();
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #closed = false;
  /** The peer's address, once connected (for addresses learned from it). */
  peerIp = "";
  /** This end's address, once connected (for myself's IP on a MEET). */
  localIp = "";

  /**
   * @param owner the bus
   * @param node the node an outbound link goes to; undefined for an accepted one
   * @param inbound accepted from the peer
   * @param ctime creation time (ms)
   */
  constructor(
    readonly owner: LinkOwner,
    public node: ClusterNode | undefined,
    readonly inbound: boolean,
    readonly ctime: number,
  ) {}

  /** True once closed. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** True while an outbound connection is still being made. */
  get connecting(): boolean {
    return this.#conn === undefined && !this.#closed;
  }

  get sendBufferUsed(): number {
    return this.#queued;
  }

  get sendBufferAllocated(): number {
    return this.#queued;
  }

  get events(): string {
    return this.#queued > 0 ? "rw" : "r";
  }

  /** Starts reading a connected socket (accepted, or once an outbound one connects). */
  attach(conn: Deno.Conn): void {
    if (this.#closed) {
      try {
        conn.close();
      } catch { /* already closed */ }
      return;
    }
    this.#conn = conn;
    const peer = conn.remoteAddr as Deno.NetAddr;
    const local = conn.localAddr as Deno.NetAddr;
    this.peerIp = normalizeIp(peer.hostname);
    this.localIp = normalizeIp(local.hostname);
    try {
      (conn as Deno.TcpConn).setNoDelay(true);
    } catch { /* not a TCP socket */ }
    this.#readLoop(conn);
    if (this.#queued > 0) this.#writeLoop();
  }

  /** Queues a message; it is written as soon as the socket takes it. */
  send(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (this.#conn !== undefined && !this.#writing) this.#writeLoop();
  }

  /** Closes the connection (a pending connect is dropped when it ends). */
  close(): void {
    this.#shut("closed");
  }

  #shut(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    if (this.#conn !== undefined) {
      try {
        this.#conn.close();
      } catch { /* already closed */ }
    }
    this.owner.closed(this, reason);
  }

  async #readLoop(conn: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    let reason = "connection closed";
    try {
      while (!this.#closed) {
        const n = await conn.read(buf);
        if (n === null) break;
        if (this.#closed) break;
        // The reader keeps what it is given: hand it a copy.
        for (const frame of this.#reader.feed(buf.slice(0, n))) {
          if (this.#closed) break;
          this.owner.received(this, frame);
        }
      }
    } catch (e) {
      reason = e instanceof BusProtocolError ? e.message : `I/O error: ${(e as Error).message}`;
    }
    this.#shut(reason);
  }

  async #writeLoop(): Promise<void> {
    const conn = this.#conn;
    if (conn === undefined) return;
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const chunk = this.#queue.length === 1 ? this.#queue[0]! : concat(this.#queue);
        this.#queue = [];
        let at = 0;
        while (at < chunk.length) {
          at += await conn.write(chunk.subarray(at));
          if (this.#closed) return;
        }
        this.#queued -= chunk.length;
      }
    } catch (e) {
      this.#writing = false;
      this.#shut(`I/O error: ${(e as Error).message}`);
      return;
    }
    this.#writing = false;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An IPv4 address mapped into IPv6 (`::ffff:1.2.3.4`) reads as IPv4, as Redis prints it. */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return m ? m[1]! : ip;
}
