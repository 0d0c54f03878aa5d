/**
 * Streams in RDB format: the radix tree of listpacks (each node's key is
 * its master id, 16 bytes big endian; its listpack holds a master entry
 * then entries as id deltas), the stream's ids and counters, and consumer
 * groups with their PEL and consumers. Writes `RDB_TYPE_STREAM_LISTPACKS_2`
 * (Redis 7.0); reads versions 1 to 3 (Redis 5 to 7.2).
 *
 * Listpack layout of a node (`t_stream.c`): `count deleted nfields
 * field... 0`, then per entry `flags ms-diff seq-diff [nfields] (values |
 * field value ...) lp-count`.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type {
  StreamDump,
  StreamDumpEntry,
  StreamDumpGroup,
  StreamDumpNode,
  StreamEntryId,
  StreamView,
  Value,
  ValueType,
} from "../../core/keyspace.ts";
import { ByteWriter } from "./_buf.ts";
import type { RdbEncoder } from "./_encode.ts";
import type { RdbDecoder } from "./_decode.ts";
import { ListpackBuilder, readListpack } from "./_packed.ts";

const DELETED = 1;
const SAMEFIELDS = 2;
/** `RDB_TYPE_STREAM_LISTPACKS`, `_2`, `_3`. */
const V1 = 15, V3 = 21;
const U64 = (1n << 64n) - 1n;

/** Writes a stream's body (`rdbSaveObject` for OBJ_STREAM, version 2). */
export function encodeStream(e: RdbEncoder, v: StreamView): void {
  const d = v.streamDump();
  const nodes = d.nodes.filter((n) => n.entries.length !== 0);
  e.len(nodes.length);
  const key = new ByteWriter(16);
  for (const n of nodes) {
    key.reset();
    key.u64be(n.master[0]);
    key.u64be(n.master[1]);
    e.blob(key.result());
    e.blob(nodeListpack(n));
  }
  e.len(d.length);
  const id = (x: StreamEntryId) => {
    e.len64(x[0]);
    e.len64(x[1]);
  };
  id(d.lastId);
  id(d.firstId ?? [0n, 0n]);
  id(d.maxDeletedId);
  e.len(d.entriesAdded ?? d.length);
  e.len(d.groups.length);
  const raw = (x: StreamEntryId) => {
    e.w.u64be(x[0]);
    e.w.u64be(x[1]);
  };
  for (const g of d.groups) {
    e.string(g.name);
    id(g.lastId);
    // -1 (unknown) is saved as the unsigned 64-bit value Redis's cast gives.
    const read = g.entriesRead ?? -1;
    e.len64(read < 0 ? U64 : BigInt(read));
    e.len(g.pel.length);
    for (const p of g.pel) {
      raw(p.id);
      e.w.i64le(p.deliveryTime);
      e.len(p.deliveryCount);
    }
    e.len(g.consumers.length);
    const owned = new Map<Bytes, StreamEntryId[]>();
    for (const p of g.pel) {
      let l = owned.get(p.consumer);
      if (l === undefined) owned.set(p.consumer, l = []);
      l.push(p.id);
    }
    for (const c of g.consumers) {
      e.string(c.name);
      e.w.i64le(c.seenTime);
      const ids = owned.get(c.name) ?? [];
      e.len(ids.length);
      for (const x of ids) raw(x);
    }
  }
}

/** A node's listpack, exactly as Redis lays it out. */
function nodeListpack(n: StreamDumpNode): Uint8Array {
  const b = new ListpackBuilder();
  let live = 0, deleted = 0;
  for (const x of n.entries) {
    if (x.deleted) deleted++;
    else live++;
  }
  b.addInt(live);
  b.addInt(deleted);
  b.addInt(n.masterFields.length);
  for (const f of n.masterFields) b.add(f);
  b.addInt(0);
  const [mms, mseq] = n.master;
  const nmf = n.masterFields.length;
  for (let x of n.entries) {
    if (x.deleted && (x.sameFields ? x.items.length !== nmf : x.items.length % 2 !== 0)) {
      // A tombstone whose contents the stream no longer keeps: write it
      // with empty master-field values (never readable, and valid).
      x = { ...x, sameFields: true, items: new Array(nmf).fill("") };
    }
    b.addInt((x.deleted ? DELETED : 0) | (x.sameFields ? SAMEFIELDS : 0));
    b.addInt(small(BigInt.asIntN(64, x.id[0] - mms)));
    b.addInt(small(BigInt.asIntN(64, x.id[1] - mseq)));
    if (x.sameFields) {
      for (const v of x.items) b.add(v);
      b.addInt(x.items.length + 3);
    } else {
      const nf = x.items.length / 2;
      b.addInt(nf);
      for (const v of x.items) b.add(v);
      b.addInt(nf * 2 + 4);
    }
  }
  return b.finish();
}

/** A bigint as a number when exact (the listpack builder's fast path). */
function small(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Reads a stream's body (`rdbLoadObject` for the stream types). */
export function decodeStream(d: RdbDecoder, t: number, type: ValueType): Value {
  const r = d.r;
  const at = r.pos - 1;
  const nodeCount = d.len();
  const nodes: StreamDumpNode[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const keyAt = r.pos;
    const key = d.blob();
    if (key.length !== 16) r.fail("Stream node key entry is not the size of a stream ID", keyAt);
    const dv = new DataView(key.buffer, key.byteOffset, 16);
    const master: StreamEntryId = [dv.getBigUint64(0), dv.getBigUint64(8)];
    const lpAt = r.pos;
    const items = readListpack(d.blob(), lpAt);
    if (items.length === 0) r.fail("Empty listpack inside stream", lpAt);
    nodes.push(parseNode(master, items, () => r.fail("Corrupt stream listpack", lpAt)));
  }
  const length = d.len();
  const id = (): StreamEntryId => [d.len64(), d.len64()];
  const lastId = id();
  let firstId: StreamEntryId | undefined, maxDeletedId: StreamEntryId = [0n, 0n];
  let entriesAdded: number | undefined;
  if (t !== V1) {
    firstId = id();
    maxDeletedId = id();
    entriesAdded = d.len();
  }
  const groupCount = d.len();
  const groups: StreamDumpGroup[] = [];
  for (let i = 0; i < groupCount; i++) {
    const name = d.string();
    const gLast = id();
    let entriesRead: number | undefined;
    if (t !== V1) {
      const v = d.len64();
      entriesRead = v === U64 ? -1 : Number(BigInt.asIntN(64, v));
    }
    const pelCount = d.len();
    const pel: StreamDumpGroup["pel"] = [];
    const byId = new Map<string, StreamDumpGroup["pel"][number]>();
    for (let j = 0; j < pelCount; j++) {
      const pid: StreamEntryId = [r.u64be(), r.u64be()];
      const deliveryTime = Number(r.i64le());
      const deliveryCount = d.len();
      const p = { id: pid, deliveryTime, deliveryCount, consumer: "" };
      pel.push(p);
      byId.set(`${pid[0]}-${pid[1]}`, p);
    }
    const consumerCount = d.len();
    const consumers: StreamDumpGroup["consumers"] = [];
    for (let j = 0; j < consumerCount; j++) {
      const cname = d.string();
      const seenTime = Number(r.i64le());
      if (t === V3) r.i64le(); // active-time (Redis 7.2)
      consumers.push({ name: cname, seenTime });
      const owned = d.len();
      for (let k = 0; k < owned; k++) {
        const at2 = r.pos;
        const pid = `${r.u64be()}-${r.u64be()}`;
        const p = byId.get(pid);
        if (p === undefined) {
          return r.fail("Consumer's PEL entry not found in group global PEL", at2);
        }
        p.consumer = cname;
      }
    }
    groups.push({ name, lastId: gLast, entriesRead, pel, consumers });
  }
  const dump: StreamDump = { nodes, length, lastId, firstId, maxDeletedId, entriesAdded, groups };
  const live = nodes.reduce((n, x) => n + x.entries.filter((e) => !e.deleted).length, 0);
  if (live !== length) r.fail("Stream length does not match its entries", at);
  return type.fromStreamDump!(dump);
}

/** Splits a node's listpack elements into entries. */
function parseNode(master: StreamEntryId, items: Bytes[], fail: () => never): StreamDumpNode {
  let p = 0;
  const int = (): bigint => {
    const s = items[p++];
    if (s === undefined || !/^-?\d+$/.test(s)) fail();
    return BigInt(s);
  };
  const str = (): Bytes => {
    const s = items[p++];
    if (s === undefined) fail();
    return s;
  };
  int(); // count
  int(); // deleted
  const nmf = Number(int());
  const masterFields: Bytes[] = [];
  for (let i = 0; i < nmf; i++) masterFields.push(str());
  if (int() !== 0n) fail();
  const entries: StreamDumpEntry[] = [];
  while (p < items.length) {
    const flags = Number(int());
    const ms = BigInt.asUintN(64, master[0] + int());
    const seq = BigInt.asUintN(64, master[1] + int());
    const sameFields = (flags & SAMEFIELDS) !== 0;
    const out: Bytes[] = [];
    if (sameFields) {
      for (let i = 0; i < nmf; i++) out.push(str());
    } else {
      const nf = Number(int());
      for (let i = 0; i < nf * 2; i++) out.push(str());
    }
    int(); // lp-count
    entries.push({ id: [ms, seq], deleted: (flags & DELETED) !== 0, sameFields, items: out });
  }
  return { master, masterFields, entries };
}
