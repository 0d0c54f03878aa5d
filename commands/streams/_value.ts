/**
 * The stream value stored in the keyspace: the entries ({@link StreamLog}),
 * the stream's ids and counters (last generated id, first entry id, max
 * deleted id, entries added) and its consumer groups, with Redis 7.0's
 * bookkeeping for group lag and entries-read.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type {
  DataObject,
  StreamDump,
  StreamDumpEntry,
  StreamEntryId,
  StreamView,
  ValueType,
} from "../../core/keyspace.ts";
import type { Digestible, ValueDigest } from "../../core/digest.ts";
import { heapStringBytes } from "../../core/value_type.ts";
import { DELETED, lpIntSize, lpStringSize, SAMEFIELDS, StreamLog, StreamNode } from "./_log.ts";
import { cmpId, isZeroId, MAX_ID, StreamId, u64Big, ZERO_ID } from "./_id.ts";
import { byteCompare, Consumer, ConsumerGroup, INVALID_ENTRIES_READ, Nack } from "./_groups.ts";

/** An id as a (ms, seq) bigint pair (persistence's form). */
function toPair(id: StreamId): StreamEntryId {
  return [u64Big(id.msHi, id.msLo), u64Big(id.seqHi, id.seqLo)];
}

/** A (ms, seq) bigint pair as an id. */
function fromPair([ms, seq]: StreamEntryId): StreamId {
  return new StreamId(
    Number(ms >> 32n),
    Number(ms & 0xffffffffn),
    Number(seq >> 32n),
    Number(seq & 0xffffffffn),
  );
}

/**
 * A stream (TYPE `stream`, OBJECT ENCODING `stream`).
 *
 * @example
 * ```ts
 * import { StreamValue } from "./_value.ts";
 * const s = new StreamValue();
 * console.log(s.type, s.encoding(), s.log.length); // stream stream 0
 * ```
 */
export class StreamValue implements DataObject, Digestible, StreamView {
  readonly type = "stream";
  log: StreamLog = new StreamLog();
  /** The last id generated (or set by XSETID). */
  lastId: StreamId = ZERO_ID;
  /** The first live entry's id (0-0 when empty), as Redis records it. */
  firstId: StreamId = ZERO_ID;
  /** The largest id XDEL removed. */
  maxDeletedId: StreamId = ZERO_ID;
  /** Entries ever added. */
  entriesAdded = 0;
  /** Consumer groups, created on demand. */
  groups: Map<Bytes, ConsumerGroup> | undefined;

  encoding(): string {
    return "stream";
  }

  /** Number of live entries. */
  get length(): number {
    return this.log.length;
  }

  /**
   * Estimated bytes in V8's heap (MEMORY USAGE, INFO's used_memory,
   * `maxmemory`), in O(1): per entry its id and flags (17 bytes in the
   * node's typed arrays), its slot and a share of its node's spare room,
   * plus its strings as the first {@link SAMPLED} entries average;
   * consumer groups by their pending entries and consumers. Entries that
   * share one value string (a client repeating it) are counted apart.
   */
  memoryUsage(): number {
    const nodes = this.log.nodes;
    let strings = 0, sampled = 0;
    const first = nodes[0];
    if (first !== undefined) {
      for (let i = 0; i < first.size && sampled < SAMPLED; i++) {
        const d = first.data[i]!;
        if (typeof d === "string") strings += heapStringBytes(d.length);
        else for (const x of d) strings += heapStringBytes(x.length);
        sampled++;
      }
    }
    const perEntry = 32 + (sampled === 0 ? 0 : strings / sampled);
    let groups = 0;
    if (this.groups !== undefined) {
      for (const g of this.groups.values()) {
        groups += 128 + g.pel.size * 96 + g.consumers.size * 160;
      }
    }
    return Math.round(160 + nodes.length * 160 + this.log.length * perEntry + groups);
  }

  clone(): StreamValue {
    const s = new StreamValue();
    s.log = this.log.clone();
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    if (this.groups !== undefined) {
      s.groups = new Map();
      for (const [name, g] of this.groups) s.groups.set(name, g.clone());
    }
    return s;
  }

  /** Redis's debug.c recipe: each entry's `ms.seq`, then its fields and values. */
  digest(d: ValueDigest): void {
    this.log.range(ZERO_ID, MAX_ID, false, 0, (node, i) => {
      d.mix(node.idString(i).replace("-", "."));
      for (const s of node.pairs(i)) d.mix(s);
    });
  }

  /** The whole stream for persistence (RDB, DUMP), node layout included. */
  streamDump(): StreamDump {
    return {
      nodes: this.log.nodes.map((n) => {
        const entries: StreamDumpEntry[] = new Array(n.size);
        for (let i = 0; i < n.size; i++) {
          const f = n.flags[i]!, d = n.data[i]!;
          const same = (f & SAMEFIELDS) !== 0;
          entries[i] = {
            id: toPair(n.id(i)),
            deleted: (f & DELETED) !== 0,
            sameFields: same,
            items: typeof d === "string" ? [d] : d,
          };
        }
        return { master: toPair(n.master), masterFields: n.masterFields, entries };
      }),
      length: this.length,
      lastId: toPair(this.lastId),
      firstId: toPair(this.firstId),
      maxDeletedId: toPair(this.maxDeletedId),
      entriesAdded: this.entriesAdded,
      groups: this.sortedGroups().map(([name, g]) => ({
        name,
        lastId: toPair(g.lastId),
        entriesRead: g.entriesRead,
        pel: [...g.pel.values()].map((p) => ({
          id: toPair(p.id),
          deliveryTime: p.deliveryTime,
          deliveryCount: p.deliveryCount,
          consumer: p.consumer?.name ?? "",
        })),
        consumers: g.sortedConsumers().map((c) => ({ name: c.name, seenTime: c.seenTime })),
      })),
    };
  }

  /** Rebuilds a stream from {@link StreamValue.streamDump}'s form (RDB loading). */
  static fromStreamDump(d: StreamDump): StreamValue {
    const s = new StreamValue();
    let live = 0;
    for (const nd of d.nodes) {
      const mf = nd.masterFields;
      const node = new StreamNode(fromPair(nd.master), mf, Math.max(1, nd.entries.length));
      for (const e of nd.entries) {
        const i = node.size, o = i * 4, id = fromPair(e.id);
        node.ids[o] = id.msHi;
        node.ids[o + 1] = id.msLo;
        node.ids[o + 2] = id.seqHi;
        node.ids[o + 3] = id.seqLo;
        // The listpack bytes Redis's entry takes, as StreamLog.append counts them.
        let bytes = 2 + lpIntSize(BigInt.asIntN(64, e.id[0] - nd.master[0])) +
          lpIntSize(BigInt.asIntN(64, e.id[1] - nd.master[1]));
        for (const x of e.items) bytes += lpStringSize(x);
        let flags = e.deleted ? DELETED : 0;
        if (e.sameFields) {
          flags |= SAMEFIELDS;
          node.data.push(mf.length === 1 ? e.items[0]! : e.items.slice());
          bytes += lpIntSize(mf.length + 3);
        } else {
          const nf = e.items.length / 2;
          node.data.push(e.items.slice());
          bytes += lpIntSize(nf) + lpIntSize(nf * 2 + 4);
        }
        node.flags[i] = flags;
        node.body += bytes;
        node.size = i + 1;
        if (e.deleted) node.deleted++;
        else node.live++;
      }
      s.log.nodes.push(node);
      live += node.live;
    }
    s.log.length = live;
    s.lastId = fromPair(d.lastId);
    s.maxDeletedId = fromPair(d.maxDeletedId);
    s.entriesAdded = d.entriesAdded ?? live;
    if (d.firstId === undefined) s.refreshFirstId();
    else s.firstId = fromPair(d.firstId);
    for (const g of d.groups) {
      const cg = new ConsumerGroup(fromPair(g.lastId), g.entriesRead ?? INVALID_ENTRIES_READ);
      if (g.entriesRead === undefined) cg.entriesRead = s.estimateDistance(cg.lastId);
      for (const c of g.consumers) cg.consumers.set(c.name, new Consumer(c.name, c.seenTime));
      for (const p of g.pel) {
        const owner = cg.consumers.get(p.consumer);
        const n = new Nack(fromPair(p.id), p.deliveryTime, p.deliveryCount, owner);
        cg.pel.set(n);
        owner?.pel.set(n);
      }
      (s.groups ??= new Map()).set(g.name, cg);
    }
    return s;
  }

  /** The group, if it exists. */
  group(name: Bytes): ConsumerGroup | undefined {
    return this.groups?.get(name);
  }

  /** Groups in Redis's order (bytewise by name). */
  sortedGroups(): [Bytes, ConsumerGroup][] {
    if (this.groups === undefined) return [];
    return [...this.groups].sort((a, b) => byteCompare(a[0], b[0]));
  }

  /** The last live entry's id (streamLastValidID), 0-0 when empty. */
  lastValidId(): StreamId {
    const c = this.log.edge(true, false);
    return c === undefined ? ZERO_ID : c.node.id(c.index);
  }

  /** Resets `firstId` after entries went (streamGetEdgeID, tombstones skipped). */
  refreshFirstId(): void {
    const c = this.log.edge(false, false);
    this.firstId = c === undefined ? ZERO_ID : c.node.id(c.index);
  }

  /** The first id, tombstones included; the max id when there are no nodes. */
  firstIdWithTombstones(): StreamId {
    const c = this.log.edge(false, true);
    return c === undefined ? MAX_ID : c.node.id(c.index);
  }

  /** Redis 7.0's streamRangeHasTombstones(s, start, +). */
  rangeHasTombstones(start: StreamId): boolean {
    if (this.length === 0 || isZeroId(this.maxDeletedId)) return false;
    if (cmpId(this.firstId, this.maxDeletedId) > 0) return false;
    return cmpId(start, this.maxDeletedId) <= 0;
  }

  /** Redis 7.0's streamEstimateDistanceFromFirstEverEntry. */
  estimateDistance(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && cmpId(id, this.lastId) < 1) return this.entriesAdded;
    const cmpLast = cmpId(id, this.lastId);
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return INVALID_ENTRIES_READ;
    const cmpFirst = cmpId(id, this.firstId);
    if (isZeroId(this.maxDeletedId) || cmpId(this.maxDeletedId, this.firstId) < 0) {
      if (cmpFirst < 0) return this.entriesAdded - this.length;
      if (cmpFirst === 0) return this.entriesAdded - this.length + 1;
    }
    return INVALID_ENTRIES_READ;
  }

  /** A group's lag (streamReplyWithCGLag), or undefined when unknown. */
  lag(g: ConsumerGroup): number | undefined {
    if (this.entriesAdded === 0) return 0;
    if (g.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(g.lastId)) {
      return this.entriesAdded - g.entriesRead;
    }
    const read = this.estimateDistance(g.lastId);
    return read === INVALID_ENTRIES_READ ? undefined : this.entriesAdded - read;
  }

  /**
   * Moves a group past a delivered entry `id` (streamReplyWithRange):
   * keeps the read counter when it is exact, re-estimates it otherwise.
   */
  advanceGroup(g: ConsumerGroup, id: StreamId): void {
    if (g.entriesRead !== INVALID_ENTRIES_READ && !this.rangeHasTombstones(id)) {
      g.entriesRead++;
    } else if (this.entriesAdded !== 0) {
      g.entriesRead = this.estimateDistance(id);
    }
    g.lastId = id;
  }
}

/** Entries whose strings size a stream's estimate ({@link StreamValue.memoryUsage}). */
const SAMPLED = 5;

/**
 * The `stream` value type: persistence and RESTORE rebuild streams through
 * it, memory accounting measures them by it.
 */
export const streamType: ValueType<StreamValue> = {
  name: "stream",
  fromStreamDump: (d) => StreamValue.fromStreamDump(d),
  memoryUsage: (s) => s.memoryUsage(),
};
