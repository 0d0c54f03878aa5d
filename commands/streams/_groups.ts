/**
 * Consumer groups: the group's pending entries list (PEL), its consumers
 * with their own PELs, and the NACKs both share, as in Redis's streamCG /
 * streamConsumer / streamNACK. PELs are ordered by id ({@link IdMap}) so
 * XPENDING ranges, XAUTOCLAIM scans and history reads walk them in order.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { cmpId, type StreamId } from "./_id.ts";

/** A pending entry: delivered, not yet acknowledged. */
export class Nack {
  constructor(
    readonly id: StreamId,
    /** Unix ms of the last delivery. */
    public deliveryTime: number,
    public deliveryCount: number,
    /** The owner; undefined only briefly while XCLAIM FORCE creates it. */
    public consumer: Consumer | undefined,
  ) {}
}

const CHUNK = 128;

/**
 * A map from ids to NACKs, kept in id order: sorted chunks of at most 128,
 * so inserts and deletes anywhere cost O(log n + 128).
 *
 * @example
 * ```ts
 * import { IdMap, Nack } from "./_groups.ts";
 * import { makeId } from "./_id.ts";
 * const m = new IdMap();
 * m.set(new Nack(makeId(2, 0), 0, 1, undefined));
 * m.set(new Nack(makeId(1, 0), 0, 1, undefined));
 * console.log([...m.from(makeId(0, 0))].map((n) => n.id.toString())); // ["1-0", "2-0"]
 * ```
 */
export class IdMap {
  #chunks: Nack[][] = [];
  /** Number of entries. */
  size = 0;

  #chunkFor(id: StreamId): number {
    const ch = this.#chunks;
    let lo = 0, hi = ch.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = ch[mid]!;
      if (cmpId(c[c.length - 1]!.id, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  static #index(c: Nack[], id: StreamId): number {
    let lo = 0, hi = c.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmpId(c[mid]!.id, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The NACK with this id. */
  get(id: StreamId): Nack | undefined {
    const ci = this.#chunkFor(id);
    const c = this.#chunks[ci];
    if (c === undefined) return undefined;
    const i = IdMap.#index(c, id);
    const n = c[i];
    return n !== undefined && cmpId(n.id, id) === 0 ? n : undefined;
  }

  /** Inserts or replaces the NACK under its id. */
  set(n: Nack): void {
    const ch = this.#chunks;
    if (ch.length === 0) {
      ch.push([n]);
      this.size = 1;
      return;
    }
    let ci = this.#chunkFor(n.id);
    if (ci === ch.length) ci--; // past the end: append to the last chunk
    const c = ch[ci]!;
    const i = IdMap.#index(c, n.id);
    if (i < c.length && cmpId(c[i]!.id, n.id) === 0) {
      c[i] = n;
      return;
    }
    c.splice(i, 0, n);
    this.size++;
    if (c.length > CHUNK) ch.splice(ci + 1, 0, c.splice(CHUNK / 2));
  }

  /** Removes the entry with this id; true when it was there. */
  delete(id: StreamId): boolean {
    const ci = this.#chunkFor(id);
    const c = this.#chunks[ci];
    if (c === undefined) return false;
    const i = IdMap.#index(c, id);
    if (i >= c.length || cmpId(c[i]!.id, id) !== 0) return false;
    c.splice(i, 1);
    this.size--;
    if (c.length === 0) this.#chunks.splice(ci, 1);
    return true;
  }

  /** The smallest entry. */
  first(): Nack | undefined {
    return this.#chunks[0]?.[0];
  }

  /** The largest entry. */
  last(): Nack | undefined {
    const c = this.#chunks[this.#chunks.length - 1];
    return c?.[c.length - 1];
  }

  /**
   * Entries with id >= `start`, ascending. The walk tolerates deleting the
   * entry just returned (XAUTOCLAIM drops NACKs of deleted entries).
   */
  *from(start: StreamId): Generator<Nack> {
    let last: StreamId | undefined;
    let ci = this.#chunkFor(start);
    let i = ci < this.#chunks.length ? IdMap.#index(this.#chunks[ci]!, start) : 0;
    for (;;) {
      const ch = this.#chunks;
      if (last !== undefined) {
        // Re-seek after the last one returned: the map may have changed.
        ci = this.#chunkFor(last);
        if (ci >= ch.length) return;
        i = IdMap.#index(ch[ci]!, last);
        const c = ch[ci]!;
        if (i < c.length && cmpId(c[i]!.id, last) === 0) i++;
      }
      let c = ch[ci];
      while (c !== undefined && i >= c.length) {
        c = ch[++ci];
        i = 0;
      }
      if (c === undefined) return;
      const n = c[i]!;
      last = n.id;
      yield n;
    }
  }

  /** Every entry, ascending. */
  *values(): Generator<Nack> {
    for (const c of this.#chunks) yield* c;
  }

  /** Removes everything. */
  clear(): void {
    this.#chunks = [];
    this.size = 0;
  }
}

/** A consumer of a group. */
export class Consumer {
  /** Its own pending entries. */
  readonly pel: IdMap = new IdMap();
  constructor(readonly name: Bytes, public seenTime: number) {}
}

/** The lag/entries-read marker for an unknown counter (Redis's SCG_INVALID_ENTRIES_READ). */
export const INVALID_ENTRIES_READ = -1;

/** A consumer group. */
export class ConsumerGroup {
  readonly pel: IdMap = new IdMap();
  readonly consumers: Map<Bytes, Consumer> = new Map();
  constructor(
    public lastId: StreamId,
    /** Entries read (the logical read counter), or -1 when unknown. */
    public entriesRead: number,
  ) {}

  /** Consumers in Redis's order (rax: bytewise by name). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => byteCompare(a.name, b.name));
  }

  /** Removes a consumer and its pending entries (XGROUP DELCONSUMER). */
  deleteConsumer(c: Consumer): void {
    for (const n of c.pel.values()) this.pel.delete(n.id);
    this.consumers.delete(c.name);
  }

  /** A deep copy (COPY). */
  clone(): ConsumerGroup {
    const g = new ConsumerGroup(this.lastId, this.entriesRead);
    const byName = new Map<Consumer, Consumer>();
    for (const c of this.consumers.values()) {
      const nc = new Consumer(c.name, c.seenTime);
      byName.set(c, nc);
      g.consumers.set(c.name, nc);
    }
    for (const n of this.pel.values()) {
      const owner = n.consumer === undefined ? undefined : byName.get(n.consumer);
      const nn = new Nack(n.id, n.deliveryTime, n.deliveryCount, owner);
      g.pel.set(nn);
      owner?.pel.set(nn);
    }
    return g;
  }
}

/** Byte-string order (rax order of names). */
export function byteCompare(a: Bytes, b: Bytes): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
