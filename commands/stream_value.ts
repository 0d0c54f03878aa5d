/**
 * The stream value stored in the keyspace: the entries ({@link StreamLog}),
 * the stream's ids and counters (last generated id, first entry id, max
 * deleted id, entries added) and its consumer groups, with Redis 7.0's
 * bookkeeping for group lag and entries-read.
 *
 * @module
 */

import type { Bytes } from "../core/types.ts";
import type { DataObject } from "../core/keyspace.ts";
import type { Digestible, ValueDigest } from "../core/digest.ts";
import { StreamLog } from "./stream_log.ts";
import { cmpId, isZeroId, MAX_ID, type StreamId, ZERO_ID } from "./stream_id.ts";
import { byteCompare, type ConsumerGroup, INVALID_ENTRIES_READ } from "./stream_groups.ts";

/**
 * A stream (TYPE `stream`, OBJECT ENCODING `stream`).
 *
 * @example
 * ```ts
 * import { StreamValue } from "./stream_value.ts";
 * const s = new StreamValue();
 * console.log(s.type, s.encoding(), s.log.length); // stream stream 0
 * ```
 */
export class StreamValue implements DataObject, Digestible {
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
