/**
 * The entries of a stream: a list of nodes shaped like Redis's radix-tree
 * of listpacks, so that everything Redis derives from its node layout
 * (approximate `~` trimming, XINFO's `radix-tree-keys` and
 * `radix-tree-nodes`, the first id including tombstones that MINID
 * propagation uses) comes out the same.
 *
 * Each node holds up to `stream-node-max-entries` entries (live or deleted)
 * and stops growing when its listpack would pass `stream-node-max-bytes`:
 * the node keeps a running count of the bytes Redis's listpack would take
 * ({@link StreamNode.body}) instead of the bytes themselves. Ids live in a
 * Uint32Array (four 32-bit halves per entry), values in a plain array, and
 * field names are shared with the node's first ("master") entry when they
 * repeat, as Redis's SAMEFIELDS flag does. Lookups are binary searches over
 * nodes then entries (O(log n)); appends touch only the tail node
 * (O(1) amortised); XDEL marks a tombstone and drops a node only once it has
 * no live entry, so no delete shifts the whole stream.
 *
 * @module
 */

import type { Bytes, ReplyWriter } from "../../core/types.ts";
import { cmpId, replyIdParts, StreamId, TWO32, u64Big, u64String } from "./_id.ts";

/** Entry flags, as in Redis. */
export const DELETED = 1;
/** The entry's field names are the node's master fields. */
export const SAMEFIELDS = 2;

/** Node size limits (`stream-node-max-bytes`, `stream-node-max-entries`). */
export interface NodeLimits {
  maxBytes: number;
  maxEntries: number;
}

/** Redis's STREAM_LISTPACK_MAX_SIZE: no node grows past 1 GiB. */
const LISTPACK_MAX = 1 << 30;

/** Bytes a listpack integer element takes (encoding + backlen). */
export function lpIntSize(v: number | bigint): number {
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}

const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

/** Bytes a listpack element for `s` takes (integer-encoded when it can be). */
export function lpStringSize(s: Bytes): number {
  const n = s.length;
  if (n !== 0 && n <= 20) {
    const c0 = s.charCodeAt(0);
    if ((c0 >= 48 && c0 <= 57) || c0 === 45) {
      if (s === "0") return 2;
      if (/^-?[1-9][0-9]*$/.test(s)) {
        if (n <= 15) return lpIntSize(Number(s));
        const b = BigInt(s);
        if (b >= INT64_MIN && b <= INT64_MAX) return lpIntSize(b);
      }
    }
  }
  const enc = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
  const back = enc <= 127 ? 1 : enc < 16384 ? 2 : enc < 2097152 ? 3 : enc < 268435456 ? 4 : 5;
  return enc + back;
}

/** A 64-bit difference a - b of two unsigned halves pairs, as int64. */
function delta64(aHi: number, aLo: number, bHi: number, bLo: number): number | bigint {
  if (aHi < 0x200000 && bHi < 0x200000) return (aHi - bHi) * TWO32 + (aLo - bLo);
  return BigInt.asIntN(64, u64Big(aHi, aLo) - u64Big(bHi, bLo));
}

/**
 * One node: Redis's listpack of entries under a radix-tree key (the id of
 * the first entry added to it).
 */
export class StreamNode {
  /** Ids, four halves per entry (ms hi, ms lo, seq hi, seq lo). */
  ids: Uint32Array;
  /** Per-entry flags (DELETED, SAMEFIELDS). */
  flags: Uint8Array;
  /**
   * Per entry: the value (one master field), the values (several master
   * fields), or field/value pairs (other fields).
   */
  data: (Bytes | Bytes[])[] = [];
  /** Entries in the node, deleted ones included. */
  size = 0;
  /** Live entries (the listpack's `count`). */
  live = 0;
  /** Tombstones (the listpack's `deleted`). */
  deleted = 0;
  /** Listpack bytes except the count and deleted elements. */
  body: number;

  constructor(readonly master: StreamId, readonly masterFields: Bytes[], capacity: number) {
    this.ids = new Uint32Array(capacity * 4);
    this.flags = new Uint8Array(capacity);
    // header (6) + end (1) + num-fields + fields + master terminator (0).
    let body = 7 + lpIntSize(masterFields.length) + 2;
    for (const f of masterFields) body += lpStringSize(f);
    this.body = body;
  }

  /** Redis's lpBytes(lp) for this node. */
  get bytes(): number {
    return this.body + lpIntSize(this.live) + lpIntSize(this.deleted);
  }

  /** Compares entry `i`'s id with `id`. */
  cmp(i: number, id: StreamId): number {
    const a = this.ids, o = i * 4;
    return a[o]! - id.msHi || a[o + 1]! - id.msLo || a[o + 2]! - id.seqHi || a[o + 3]! - id.seqLo;
  }

  /** Entry `i`'s id. */
  id(i: number): StreamId {
    const a = this.ids, o = i * 4;
    return new StreamId(a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!);
  }

  /** Entry `i`'s id as text. */
  idString(i: number): string {
    const a = this.ids, o = i * 4;
    return u64String(a[o]!, a[o + 1]!) + "-" + u64String(a[o + 2]!, a[o + 3]!);
  }

  /** Writes entry `i`'s id as a bulk string (as {@link StreamNode.idString} would). */
  writeId(r: ReplyWriter, i: number): void {
    const a = this.ids, o = i * 4;
    replyIdParts(r, a[o]!, a[o + 1]!, a[o + 2]!, a[o + 3]!);
  }

  /** Entry `i`'s fields and values, interleaved. */
  pairs(i: number): Bytes[] {
    const d = this.data[i]!;
    if ((this.flags[i]! & SAMEFIELDS) === 0) return d as Bytes[];
    const mf = this.masterFields;
    if (typeof d === "string") return [mf[0]!, d];
    const out: Bytes[] = new Array(mf.length * 2);
    for (let k = 0; k < mf.length; k++) {
      out[2 * k] = mf[k]!;
      out[2 * k + 1] = d[k]!;
    }
    return out;
  }

  /** Number of field/value pairs of entry `i`. */
  fieldCount(i: number): number {
    if ((this.flags[i]! & SAMEFIELDS) !== 0) return this.masterFields.length;
    return (this.data[i] as Bytes[]).length / 2;
  }

  /** First entry index with id >= `id` (may be `size`). */
  lowerBound(id: StreamId): number {
    let lo = 0, hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(mid, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops spare capacity once the node is no longer the tail. */
  seal(): void {
    if (this.flags.length > this.size) {
      this.ids = this.ids.slice(0, this.size * 4);
      this.flags = this.flags.slice(0, this.size);
    }
  }

  /** A deep copy. */
  clone(): StreamNode {
    const n = new StreamNode(this.master, this.masterFields, 0);
    n.ids = this.ids.slice();
    n.flags = this.flags.slice();
    n.data = this.data.map((d) => typeof d === "string" ? d : d.slice());
    n.size = this.size;
    n.live = this.live;
    n.deleted = this.deleted;
    n.body = this.body;
    return n;
  }
}

/** A position: node index and entry index. */
export interface Cursor {
  node: StreamNode;
  index: number;
}

/** Trimming arguments (Redis's streamAddTrimArgs). */
export interface TrimArgs {
  strategy: "maxlen" | "minid";
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  /** Most entries to remove; 0 means no limit. */
  limit: number;
}

/**
 * The ordered entries of one stream.
 *
 * @example
 * ```ts
 * import { StreamLog } from "./_log.ts";
 * import { makeId } from "./_id.ts";
 * const log = new StreamLog();
 * log.append(makeId(1, 0), ["f", "v"], 0, 1, { maxBytes: 4096, maxEntries: 100 });
 * console.log(log.length); // 1
 * ```
 */
export class StreamLog {
  /** Nodes in id order. */
  nodes: StreamNode[] = [];
  /** Live entries. */
  length = 0;

  /**
   * Appends an entry whose id is greater than every id in the log, from
   * `numFields` field/value pairs of `argv` starting at `from`.
   */
  append(id: StreamId, argv: readonly Bytes[], from: number, numFields: number, lim: NodeLimits) {
    let node = this.nodes.length === 0 ? undefined : this.nodes[this.nodes.length - 1]!;
    if (node !== undefined) {
      let total = 0;
      for (let k = from, end = from + numFields * 2; k < end; k++) total += argv[k]!.length;
      const maxBytes = lim.maxBytes === 0 || lim.maxBytes > LISTPACK_MAX
        ? LISTPACK_MAX
        : lim.maxBytes;
      if (
        node.bytes + total >= maxBytes ||
        (lim.maxEntries !== 0 && node.live + node.deleted >= lim.maxEntries)
      ) {
        node.seal();
        node = undefined;
      }
    }
    let flags: number;
    if (node === undefined) {
      const mf: Bytes[] = new Array(numFields);
      for (let k = 0; k < numFields; k++) mf[k] = argv[from + 2 * k]!;
      const cap = lim.maxEntries > 0 ? Math.min(lim.maxEntries, 128) : 16;
      node = new StreamNode(id, mf, cap);
      this.nodes.push(node);
      flags = SAMEFIELDS;
    } else {
      flags = SAMEFIELDS;
      const mf = node.masterFields;
      if (mf.length !== numFields) flags = 0;
      else {
        for (let k = 0; k < numFields; k++) {
          if (mf[k] !== argv[from + 2 * k]) {
            flags = 0;
            break;
          }
        }
      }
    }
    const i = node.size;
    if (i === node.flags.length) {
      const cap = Math.max(16, i * 2);
      const ids = new Uint32Array(cap * 4);
      ids.set(node.ids);
      node.ids = ids;
      const fl = new Uint8Array(cap);
      fl.set(node.flags);
      node.flags = fl;
    }
    const o = i * 4, ids = node.ids;
    ids[o] = id.msHi;
    ids[o + 1] = id.msLo;
    ids[o + 2] = id.seqHi;
    ids[o + 3] = id.seqLo;
    node.flags[i] = flags;
    const m = node.master;
    let bytes = 2 + lpIntSize(delta64(id.msHi, id.msLo, m.msHi, m.msLo)) +
      lpIntSize(delta64(id.seqHi, id.seqLo, m.seqHi, m.seqLo));
    if (flags === SAMEFIELDS) {
      if (numFields === 1) {
        const v = argv[from + 1]!;
        node.data.push(v);
        bytes += lpStringSize(v);
      } else {
        const vals: Bytes[] = new Array(numFields);
        for (let k = 0; k < numFields; k++) {
          const v = argv[from + 2 * k + 1]!;
          vals[k] = v;
          bytes += lpStringSize(v);
        }
        node.data.push(vals);
      }
      bytes += lpIntSize(numFields + 3);
    } else {
      const pairs = argv.slice(from, from + numFields * 2);
      for (const s of pairs) bytes += lpStringSize(s);
      node.data.push(pairs);
      bytes += lpIntSize(numFields) + lpIntSize(numFields * 2 + 4);
    }
    node.body += bytes;
    node.size = i + 1;
    node.live++;
    this.length++;
  }

  /** Index of the last node whose master id is <= `id`, or -1. */
  nodeFor(id: StreamId): number {
    const nodes = this.nodes;
    let lo = 0, hi = nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmpId(nodes[mid]!.master, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** The live entry with exactly this id, if any. */
  find(id: StreamId): Cursor | undefined {
    const ni = this.nodeFor(id);
    if (ni < 0) return undefined;
    const node = this.nodes[ni]!;
    const i = node.lowerBound(id);
    if (i >= node.size || node.cmp(i, id) !== 0 || (node.flags[i]! & DELETED) !== 0) {
      return undefined;
    }
    return { node, index: i };
  }

  /**
   * Visits live entries with start <= id <= end, ascending (or descending
   * when `rev`), at most `count` of them (0: all). Returns how many.
   */
  range(
    start: StreamId,
    end: StreamId,
    rev: boolean,
    count: number,
    fn: (node: StreamNode, i: number) => void,
  ): number {
    if (cmpId(start, end) > 0) return 0;
    const nodes = this.nodes;
    let n = 0;
    if (!rev) {
      let ni = Math.max(0, this.nodeFor(start));
      if (ni >= nodes.length) return 0;
      let i = nodes[ni]!.lowerBound(start);
      for (; ni < nodes.length; ni++, i = 0) {
        const node = nodes[ni]!;
        for (; i < node.size; i++) {
          if ((node.flags[i]! & DELETED) !== 0) continue;
          if (node.cmp(i, end) > 0) return n;
          fn(node, i);
          if (++n === count) return n;
        }
      }
    } else {
      let ni = this.nodeFor(end);
      if (ni < 0) return 0;
      let node = nodes[ni]!;
      let i = node.lowerBound(end);
      if (i >= node.size || node.cmp(i, end) > 0) i--;
      for (;;) {
        for (; i >= 0; i--) {
          if ((node.flags[i]! & DELETED) !== 0) continue;
          if (node.cmp(i, start) < 0) return n;
          fn(node, i);
          if (++n === count) return n;
        }
        if (--ni < 0) return n;
        node = nodes[ni]!;
        i = node.size - 1;
      }
    }
    return n;
  }

  /** The first (or last) entry, tombstones skipped unless `tombstones`. */
  edge(last: boolean, tombstones: boolean): Cursor | undefined {
    const nodes = this.nodes;
    if (!last) {
      for (const node of nodes) {
        for (let i = 0; i < node.size; i++) {
          if (tombstones || (node.flags[i]! & DELETED) === 0) return { node, index: i };
        }
      }
    } else {
      for (let ni = nodes.length - 1; ni >= 0; ni--) {
        const node = nodes[ni]!;
        for (let i = node.size - 1; i >= 0; i--) {
          if (tombstones || (node.flags[i]! & DELETED) === 0) return { node, index: i };
        }
      }
    }
    return undefined;
  }

  /** Deletes a live entry (a tombstone; an emptied node goes). */
  delete(id: StreamId): boolean {
    const ni = this.nodeFor(id);
    if (ni < 0) return false;
    const node = this.nodes[ni]!;
    const i = node.lowerBound(id);
    if (i >= node.size || node.cmp(i, id) !== 0 || (node.flags[i]! & DELETED) !== 0) return false;
    if (node.live === 1) {
      this.nodes.splice(ni, 1);
    } else {
      node.flags[i]! |= DELETED;
      node.live--;
      node.deleted++;
      // The value can go now; the id stays as the tombstone.
      node.data[i] = "";
    }
    this.length--;
    return true;
  }

  /** Redis's streamTrim: returns the number of entries removed. */
  trim(a: TrimArgs): number {
    const nodes = this.nodes;
    let deleted = 0, removed = 0;
    const maxlen = a.strategy === "maxlen";
    for (let ni = 0; ni < nodes.length; ni++) {
      if (maxlen && this.length <= a.maxlen) break;
      const node = nodes[ni]!;
      const entries = node.live;
      if (a.limit !== 0 && deleted + entries > a.limit) break;
      const removeNode = maxlen
        ? this.length - entries >= a.maxlen
        : node.size === 0 || node.cmp(node.size - 1, a.minid) < 0;
      if (removeNode) {
        removed++;
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (a.approx) break;
      const flags = node.flags;
      for (let i = 0; i < node.size; i++) {
        if (maxlen ? this.length <= a.maxlen : node.cmp(i, a.minid) >= 0) break;
        if ((flags[i]! & DELETED) === 0) {
          flags[i]! |= DELETED;
          node.data[i] = "";
          node.live--;
          node.deleted++;
          this.length--;
          deleted++;
        }
      }
      break;
    }
    if (removed !== 0) nodes.splice(0, removed);
    return deleted;
  }

  /** Redis's rax->numnodes for the node keys (16-byte big-endian ids). */
  radixNodes(): number {
    const keys = this.nodes.map((n) => {
      const k = new Uint8Array(16);
      const v = new DataView(k.buffer);
      v.setUint32(0, n.master.msHi);
      v.setUint32(4, n.master.msLo);
      v.setUint32(8, n.master.seqHi);
      v.setUint32(12, n.master.seqLo);
      return k;
    });
    return keys.length === 0 ? 1 : raxCount(keys, 0, keys.length, 0);
  }

  /** A deep copy. */
  clone(): StreamLog {
    const l = new StreamLog();
    l.nodes = this.nodes.map((n) => n.clone());
    l.length = this.length;
    return l;
  }
}

/**
 * Nodes of a compressed radix tree (Redis's rax) holding the sorted,
 * distinct, equal-length `keys[lo..hi)` below a node at `depth`.
 */
function raxCount(keys: Uint8Array[], lo: number, hi: number, depth: number): number {
  const len = keys[lo]!.length;
  if (depth === len) return 1;
  if (hi - lo === 1) return 2; // one compressed node, then the key's leaf
  const first = keys[lo]!, last = keys[hi - 1]!;
  let d = depth;
  while (first[d] === last[d]) d++;
  let n = d > depth ? 2 : 1; // a compressed node for the common part, then the branch
  let s = lo;
  while (s < hi) {
    const b = keys[s]![d];
    let e = s + 1;
    while (e < hi && keys[e]![d] === b) e++;
    n += raxCount(keys, s, e, d + 1);
    s = e;
  }
  return n;
}
