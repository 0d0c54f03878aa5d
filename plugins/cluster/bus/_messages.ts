/**
 * The cluster bus's binary messages, byte for byte as Redis 7.0 lays out
 * `clusterMsg` in `cluster.h`: a 2256-byte header (signature `RCmb`,
 * big-endian fields, the sender's 16384-bit slot bitmap) followed by a
 * body that depends on the type (gossip entries and ping extensions,
 * FAIL, PUBLISH, UPDATE, MODULE).
 *
 * {@link encodeMessage} builds a message, {@link decodeMessage} checks one
 * as Redis's `clusterIsValidPacket` does and reads it, and
 * {@link MessageReader} cuts a link's byte stream into messages.
 *
 * @module
 */

import { CLUSTER_NAMELEN, CLUSTER_SLOTS, MsgType, NULL_NODE_NAME } from "../_state.ts";

export { MsgType };
/** A node name's length: 40 hex characters (CLUSTER_NAMELEN). */
export const NAMELEN = CLUSTER_NAMELEN;
/** The size of an IP field (NET_IP_STR_LEN, room for IPv6 and a NUL). */
export const IP_LEN = 46;
/** The protocol version every message carries (CLUSTER_PROTO_VER). */
export const PROTO_VER = 1;
/** The name field of "no node" (CLUSTER_NODE_NULL_NAME): 40 NUL bytes. */
export const NULL_NAME = NULL_NODE_NAME;

/** Bits of `mflags[0]` (CLUSTERMSG_FLAG0_*). */
export const MsgFlag0 = {
  /** The master is paused for a manual failover. */
  PAUSED: 1,
  /** Vote for a FAILOVER_AUTH_REQUEST even if the master is up. */
  FORCEACK: 2,
  /** Ping extensions follow the gossip section. */
  EXT_DATA: 4,
} as const;

/** Ping extension types Redis 7.0 sends (CLUSTERMSG_EXT_TYPE_*). */
export const PingExtType = {
  /** The sender's `cluster-announce-hostname`. */
  HOSTNAME: 0,
} as const;

/**
 * Field offsets of `clusterMsg` and sizes of its parts, as the C compiler
 * lays them out on the platforms Redis runs on (the union after `mflags`
 * is 8-byte aligned, which is where the header's 2256 bytes come from).
 */
export const Layout = {
  sig: 0,
  totlen: 4,
  ver: 8,
  port: 10,
  type: 12,
  count: 14,
  currentEpoch: 16,
  configEpoch: 24,
  offset: 32,
  sender: 40,
  myslots: 80,
  slaveof: 2128,
  myip: 2168,
  extensions: 2214,
  // notused1[30] at 2216
  pport: 2246,
  cport: 2248,
  flags: 2250,
  state: 2252,
  mflags: 2253,
  data: 2256,
  /** CLUSTERMSG_MIN_LEN: the header without the data union. */
  headerSize: 2256,
  /** sizeof(union clusterMsgData): its largest member, UPDATE's. */
  dataSize: 2096,
  /** sizeof(clusterMsg). */
  msgSize: 4352,
  /** sizeof(clusterMsgDataGossip). */
  gossipSize: 104,
  /** sizeof(clusterMsgDataFail). */
  failSize: 40,
  /** sizeof(clusterMsgDataPublish) without its 8 placeholder bytes. */
  publishSize: 8,
  /** sizeof(clusterMsgDataUpdate). */
  updateSize: 2096,
  /** sizeof(clusterMsgModule) without its 3 placeholder bytes. */
  moduleSize: 13,
  /** sizeof(clusterMsgPingExt): the header of each ping extension. */
  extHeaderSize: 8,
} as const;

/** Offsets inside one gossip entry (clusterMsgDataGossip). */
export const GossipLayout = {
  nodename: 0,
  pingSent: 40,
  pongReceived: 44,
  ip: 48,
  port: 94,
  cport: 96,
  flags: 98,
  pport: 100,
  // notused1 at 102
} as const;

/** One gossip entry: what the sender knows of another node. */
export interface GossipEntry {
  /** The node's name (40 bytes). */
  nodename: string;
  /** When the sender last pinged it, in seconds (0: no ping pending). */
  pingSent: number;
  /** When the sender last heard its pong, in seconds. */
  pongReceived: number;
  ip: string;
  port: number;
  cport: number;
  /** Its CLUSTER_NODE_* flags as the sender sees them. */
  flags: number;
  pport: number;
}

/** A ping extension: a hostname, or one of a type this version ignores. */
export type PingExt =
  | { type: typeof PingExtType.HOSTNAME; hostname: string }
  | { type: number; data: Uint8Array };

/** A FAIL message's body: the node the sender marked as failing. */
export interface FailData {
  nodename: string;
}

/** A PUBLISH or PUBLISHSHARD message's body (byte strings). */
export interface PublishData {
  channel: string;
  message: string;
}

/** An UPDATE message's body: a node's slots at a config epoch. */
export interface UpdateData {
  configEpoch: number;
  nodename: string;
  /** The 2048-byte slot bitmap. */
  slots: Uint8Array;
}

/** A MODULE message's body. */
export interface ModuleData {
  /** The module's 64-bit id, kept exact. */
  moduleId: bigint;
  moduleType: number;
  payload: Uint8Array;
}

/**
 * A decoded cluster bus message. The header fields carry the sender's
 * view of itself; the body fields are set for the types that have them.
 *
 * @example
 * ```ts
 * import { decodeMessage, emptySlots, encodeMessage, MsgType, NULL_NAME } from "./_messages.ts";
 * const bytes = encodeMessage({
 *   type: MsgType.PING, port: 7000, cport: 17000, pport: 0,
 *   currentEpoch: 3, configEpoch: 2, offset: 0,
 *   sender: "a".repeat(40), myslots: emptySlots(), slaveof: NULL_NAME,
 *   myip: "", flags: 1, state: 0, mflags: [0, 0, 0],
 *   gossip: [], exts: [{ type: 0, hostname: "node-a" }],
 * });
 * const msg = decodeMessage(bytes);
 * console.log(typeof msg === "string" ? msg : msg.exts); // [ { type: 0, hostname: "node-a" } ]
 * ```
 */
export interface ClusterMsg {
  type: number;
  /** The sender's client port (TLS or plain). */
  port: number;
  /** Its plaintext client port when `port` is TLS, else 0. */
  pport: number;
  /** Its cluster bus port. */
  cport: number;
  currentEpoch: number;
  /** Its config epoch (a replica sends its master's). */
  configEpoch: number;
  /** Its replication offset. */
  offset: number;
  sender: string;
  /** The slots it serves (its master's for a replica): 2048 bytes. */
  myslots: Uint8Array;
  /** Its master's name, {@link NULL_NAME} for a master. */
  slaveof: string;
  /** The IP it believes it has; "" when it leaves that to the receiver. */
  myip: string;
  flags: number;
  /** The cluster state it sees: 0 ok, 1 fail. */
  state: number;
  mflags: [number, number, number];
  /** PING, PONG, MEET: gossip entries. */
  gossip?: GossipEntry[];
  /** PING, PONG, MEET: ping extensions. */
  exts?: PingExt[];
  fail?: FailData;
  publish?: PublishData;
  update?: UpdateData;
  module?: ModuleData;
  /** The body of a type this version does not know, kept as received. */
  unknown?: Uint8Array;
}

/** An all-clear slot bitmap. */
export function emptySlots(): Uint8Array {
  return new Uint8Array(CLUSTER_SLOTS / 8);
}

/** True for PING, PONG and MEET, which share one layout. */
export function isPingType(type: number): boolean {
  return type === MsgType.PING || type === MsgType.PONG || type === MsgType.MEET;
}

/** A message type's name as Redis's logs spell it (clusterGetMessageTypeString). */
export function messageTypeString(type: number): string {
  switch (type) {
    case MsgType.PING:
      return "ping";
    case MsgType.PONG:
      return "pong";
    case MsgType.MEET:
      return "meet";
    case MsgType.FAIL:
      return "fail";
    case MsgType.PUBLISH:
      return "publish";
    case MsgType.PUBLISHSHARD:
      return "publishshard";
    case MsgType.FAILOVER_AUTH_REQUEST:
      return "auth-req";
    case MsgType.FAILOVER_AUTH_ACK:
      return "auth-ack";
    case MsgType.UPDATE:
      return "update";
    case MsgType.MFSTART:
      return "mfstart";
    case MsgType.MODULE:
      return "module";
  }
  return "unknown";
}

/** The bytes a hostname extension takes: header, name, NUL, padding to 8. */
function hostnameExtSize(hostname: string): number {
  return Layout.extHeaderSize + eightByteAlign(hostname.length + 1);
}

function eightByteAlign(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function extSize(ext: PingExt): number {
  if ("hostname" in ext) return hostnameExtSize(ext.hostname);
  return Layout.extHeaderSize + eightByteAlign(ext.data.length);
}

/** The length a message will have once encoded. */
export function messageLength(msg: ClusterMsg): number {
  const h = Layout.headerSize;
  switch (msg.type) {
    case MsgType.PING:
    case MsgType.PONG:
    case MsgType.MEET: {
      let n = h + Layout.gossipSize * (msg.gossip?.length ?? 0);
      for (const e of msg.exts ?? []) n += extSize(e);
      return n;
    }
    case MsgType.FAIL:
      return h + Layout.failSize;
    case MsgType.PUBLISH:
    case MsgType.PUBLISHSHARD:
      return h + Layout.publishSize + (msg.publish?.channel.length ?? 0) +
        (msg.publish?.message.length ?? 0);
    case MsgType.UPDATE:
      return h + Layout.updateSize;
    case MsgType.MODULE:
      return h + Layout.moduleSize + (msg.module?.payload.length ?? 0);
    case MsgType.FAILOVER_AUTH_REQUEST:
    case MsgType.FAILOVER_AUTH_ACK:
    case MsgType.MFSTART:
      return h;
  }
  return h + (msg.unknown?.length ?? 0);
}

/** Writes a byte string into a fixed-size field, NUL-padded (and cut to fit). */
function putString(buf: Uint8Array, at: number, size: number, s: string): void {
  const n = Math.min(size, s.length);
  for (let i = 0; i < n; i++) buf[at + i] = s.charCodeAt(i) & 0xff;
}

/** Reads a fixed-size field as a byte string of exactly `size` bytes. */
function getFixed(buf: Uint8Array, at: number, size: number): string {
  return String.fromCharCode.apply(null, buf.subarray(at, at + size) as unknown as number[]);
}

/** Reads a NUL-terminated string from a field of at most `size` bytes. */
function getCString(buf: Uint8Array, at: number, size: number): string {
  let end = at;
  const max = at + size;
  while (end < max && buf[end] !== 0) end++;
  return String.fromCharCode.apply(null, buf.subarray(at, end) as unknown as number[]);
}

function putU64(view: DataView, at: number, n: number): void {
  view.setBigUint64(at, BigInt(Math.max(0, Math.trunc(n))));
}

function getU64(view: DataView, at: number): number {
  return Number(view.getBigUint64(at));
}

/**
 * Encodes a message; `totlen`, `count` (the gossip entries) and
 * `extensions` are computed, and EXT_DATA is set in `mflags[0]` when
 * there are extensions, as Redis sets it.
 */
export function encodeMessage(msg: ClusterMsg): Uint8Array {
  const totlen = messageLength(msg);
  const buf = new Uint8Array(totlen);
  const v = new DataView(buf.buffer);
  buf.set([0x52, 0x43, 0x6d, 0x62], 0); // "RCmb"
  v.setUint32(Layout.totlen, totlen);
  v.setUint16(Layout.ver, PROTO_VER);
  v.setUint16(Layout.port, msg.port);
  v.setUint16(Layout.type, msg.type);
  putU64(v, Layout.currentEpoch, msg.currentEpoch);
  putU64(v, Layout.configEpoch, msg.configEpoch);
  putU64(v, Layout.offset, msg.offset);
  putString(buf, Layout.sender, NAMELEN, msg.sender);
  buf.set(msg.myslots.subarray(0, CLUSTER_SLOTS / 8), Layout.myslots);
  putString(buf, Layout.slaveof, NAMELEN, msg.slaveof);
  // The last byte of the IP field stays NUL, as Redis's memcpy of a C string leaves it.
  putString(buf, Layout.myip, IP_LEN - 1, msg.myip);
  v.setUint16(Layout.pport, msg.pport);
  v.setUint16(Layout.cport, msg.cport);
  v.setUint16(Layout.flags, msg.flags);
  buf[Layout.state] = msg.state;
  const exts = isPingType(msg.type) ? msg.exts ?? [] : [];
  buf[Layout.mflags] = msg.mflags[0] | (exts.length > 0 ? MsgFlag0.EXT_DATA : 0);
  buf[Layout.mflags + 1] = msg.mflags[1];
  buf[Layout.mflags + 2] = msg.mflags[2];
  let at = Layout.data;
  switch (msg.type) {
    case MsgType.PING:
    case MsgType.PONG:
    case MsgType.MEET: {
      const gossip = msg.gossip ?? [];
      v.setUint16(Layout.count, gossip.length);
      for (const g of gossip) {
        putString(buf, at + GossipLayout.nodename, NAMELEN, g.nodename);
        v.setUint32(at + GossipLayout.pingSent, g.pingSent >>> 0);
        v.setUint32(at + GossipLayout.pongReceived, g.pongReceived >>> 0);
        putString(buf, at + GossipLayout.ip, IP_LEN - 1, g.ip);
        v.setUint16(at + GossipLayout.port, g.port);
        v.setUint16(at + GossipLayout.cport, g.cport);
        v.setUint16(at + GossipLayout.flags, g.flags);
        v.setUint16(at + GossipLayout.pport, g.pport);
        at += Layout.gossipSize;
      }
      v.setUint16(Layout.extensions, exts.length);
      for (const e of exts) {
        const size = extSize(e);
        v.setUint32(at, size);
        v.setUint16(at + 4, e.type);
        if ("hostname" in e) putString(buf, at + 8, e.hostname.length, e.hostname);
        else buf.set(e.data, at + 8);
        at += size;
      }
      break;
    }
    case MsgType.FAIL:
      putString(buf, at, NAMELEN, msg.fail?.nodename ?? NULL_NAME);
      break;
    case MsgType.PUBLISH:
    case MsgType.PUBLISHSHARD: {
      const channel = msg.publish?.channel ?? "";
      const message = msg.publish?.message ?? "";
      v.setUint32(at, channel.length);
      v.setUint32(at + 4, message.length);
      putString(buf, at + 8, channel.length, channel);
      putString(buf, at + 8 + channel.length, message.length, message);
      break;
    }
    case MsgType.UPDATE:
      putU64(v, at, msg.update?.configEpoch ?? 0);
      putString(buf, at + 8, NAMELEN, msg.update?.nodename ?? NULL_NAME);
      if (msg.update) buf.set(msg.update.slots.subarray(0, CLUSTER_SLOTS / 8), at + 48);
      break;
    case MsgType.MODULE:
      if (msg.module) {
        v.setBigUint64(at, BigInt.asUintN(64, msg.module.moduleId));
        v.setUint32(at + 8, msg.module.payload.length);
        buf[at + 12] = msg.module.moduleType;
        buf.set(msg.module.payload, at + 13);
      }
      break;
    default:
      if (msg.unknown) buf.set(msg.unknown, at);
  }
  return buf;
}

/** The expected length check failed (Redis's warning, verbatim). */
function lengthError(type: number, totlen: number, explen: number): string {
  return `Received invalid ${
    messageTypeString(type)
  } packet of length ${totlen} but expected length ${explen}`;
}

/**
 * Checks a whole message (as framed by {@link MessageReader}) the way
 * Redis's `clusterIsValidPacket` does and decodes it. Returns the warning
 * Redis would log for a message it ignores (a wrong version, a length that
 * does not match the type's, extensions that overrun the message).
 */
export function decodeMessage(buf: Uint8Array): ClusterMsg | string {
  if (buf.length < Layout.headerSize) {
    return "Bad message length or signature received from Cluster bus.";
  }
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const totlen = v.getUint32(Layout.totlen);
  const type = v.getUint16(Layout.type);
  if (
    buf[0] !== 0x52 || buf[1] !== 0x43 || buf[2] !== 0x6d || buf[3] !== 0x62 ||
    totlen < Layout.headerSize
  ) return "Bad message length or signature received from Cluster bus.";
  if (totlen !== buf.length) return lengthError(type, buf.length, totlen);
  const ver = v.getUint16(Layout.ver);
  if (ver !== PROTO_VER) return `Received a message of protocol version ${ver}`;
  const count = v.getUint16(Layout.count);
  const mflags: [number, number, number] = [
    buf[Layout.mflags]!,
    buf[Layout.mflags + 1]!,
    buf[Layout.mflags + 2]!,
  ];
  const msg: ClusterMsg = {
    type,
    port: v.getUint16(Layout.port),
    pport: v.getUint16(Layout.pport),
    cport: v.getUint16(Layout.cport),
    currentEpoch: getU64(v, Layout.currentEpoch),
    configEpoch: getU64(v, Layout.configEpoch),
    offset: getU64(v, Layout.offset),
    sender: getFixed(buf, Layout.sender, NAMELEN),
    myslots: buf.slice(Layout.myslots, Layout.myslots + CLUSTER_SLOTS / 8),
    slaveof: getFixed(buf, Layout.slaveof, NAMELEN),
    myip: getCString(buf, Layout.myip, IP_LEN),
    flags: v.getUint16(Layout.flags),
    state: buf[Layout.state]!,
    mflags,
  };
  const at = Layout.data;
  let explen: number = Layout.headerSize;
  switch (type) {
    case MsgType.PING:
    case MsgType.PONG:
    case MsgType.MEET: {
      explen += Layout.gossipSize * count;
      if (explen > totlen) return lengthError(type, totlen, explen);
      const gossip: GossipEntry[] = [];
      let p = at;
      for (let i = 0; i < count; i++, p += Layout.gossipSize) {
        gossip.push({
          nodename: getFixed(buf, p + GossipLayout.nodename, NAMELEN),
          pingSent: v.getUint32(p + GossipLayout.pingSent),
          pongReceived: v.getUint32(p + GossipLayout.pongReceived),
          ip: getCString(buf, p + GossipLayout.ip, IP_LEN),
          port: v.getUint16(p + GossipLayout.port),
          cport: v.getUint16(p + GossipLayout.cport),
          flags: v.getUint16(p + GossipLayout.flags),
          pport: v.getUint16(p + GossipLayout.pport),
        });
      }
      msg.gossip = gossip;
      const exts: PingExt[] = [];
      // Extensions count only when flagged, as Redis reads them.
      if (mflags[0] & MsgFlag0.EXT_DATA) {
        let n = v.getUint16(Layout.extensions);
        while (n-- > 0) {
          if (totlen - explen < Layout.extHeaderSize) {
            return `Received invalid ${
              messageTypeString(type)
            } packet with extension data that exceeds total packet length (${totlen})`;
          }
          const extlen = v.getUint32(explen);
          if (extlen % 8 !== 0) {
            return `Received a ${
              messageTypeString(type)
            } packet without proper padding (${extlen} bytes)`;
          }
          if (totlen - explen < extlen || extlen < Layout.extHeaderSize) {
            return `Received invalid ${
              messageTypeString(type)
            } packet with extension data that exceeds total packet length (${totlen})`;
          }
          const extType = v.getUint16(explen + 4);
          if (extType === PingExtType.HOSTNAME) {
            exts.push({
              type: PingExtType.HOSTNAME,
              hostname: getCString(buf, explen + 8, extlen - 8),
            });
          } else {
            exts.push({ type: extType, data: buf.slice(explen + 8, explen + extlen) });
          }
          explen += extlen;
        }
      }
      msg.exts = exts;
      break;
    }
    case MsgType.FAIL:
      explen += Layout.failSize;
      if (explen === totlen) msg.fail = { nodename: getFixed(buf, at, NAMELEN) };
      break;
    case MsgType.PUBLISH:
    case MsgType.PUBLISHSHARD: {
      if (totlen < explen + Layout.publishSize) {
        return lengthError(type, totlen, explen + Layout.publishSize);
      }
      const clen = v.getUint32(at);
      const mlen = v.getUint32(at + 4);
      explen += Layout.publishSize + clen + mlen;
      if (explen === totlen) {
        const c0 = at + Layout.publishSize;
        msg.publish = {
          channel: getFixed(buf, c0, clen),
          message: getFixed(buf, c0 + clen, mlen),
        };
      }
      break;
    }
    case MsgType.FAILOVER_AUTH_REQUEST:
    case MsgType.FAILOVER_AUTH_ACK:
    case MsgType.MFSTART:
      break;
    case MsgType.UPDATE:
      explen += Layout.updateSize;
      if (explen === totlen) {
        msg.update = {
          configEpoch: getU64(v, at),
          nodename: getFixed(buf, at + 8, NAMELEN),
          slots: buf.slice(at + 48, at + 48 + CLUSTER_SLOTS / 8),
        };
      }
      break;
    case MsgType.MODULE: {
      if (totlen < explen + Layout.moduleSize) {
        return lengthError(type, totlen, explen + Layout.moduleSize);
      }
      const len = v.getUint32(at + 8);
      explen += Layout.moduleSize + len;
      if (explen === totlen) {
        msg.module = {
          moduleId: v.getBigUint64(at),
          moduleType: buf[at + 12]!,
          payload: buf.slice(at + 13, at + 13 + len),
        };
      }
      break;
    }
    default:
      // A type this version does not know is taken as well formed.
      explen = totlen;
      msg.unknown = buf.slice(at, totlen);
  }
  if (explen !== totlen) return lengthError(type, totlen, explen);
  return msg;
}

/**
 * Cuts a link's incoming bytes into whole messages. As Redis's read
 * handler, it looks at the first 8 bytes of each message (signature and
 * length) before reading the rest; a wrong signature or a length under the
 * header's is fatal to the link. Memory grows only with the bytes that
 * arrive, never with the length a message claims.
 *
 * @example
 * ```ts
 * import { emptySlots, encodeMessage, MessageReader, MsgType, NULL_NAME } from "./_messages.ts";
 * const ping = encodeMessage({
 *   type: MsgType.PING, port: 7000, cport: 17000, pport: 0, currentEpoch: 0,
 *   configEpoch: 0, offset: 0, sender: "b".repeat(40), myslots: emptySlots(),
 *   slaveof: NULL_NAME, myip: "", flags: 1, state: 1, mflags: [0, 0, 0],
 * });
 * const reader = new MessageReader();
 * console.log(reader.feed(ping.subarray(0, 100)).length); // 0
 * console.log(reader.feed(ping.subarray(100)).length); // 1
 * ```
 */
export class MessageReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** The length of the message being read; 0 until its first 8 bytes are in. */
  #need = 0;

  /** Bytes received and not yet part of a whole message. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Takes the next bytes of the stream; returns the messages they
   * complete. Throws {@link BusProtocolError} when the stream cannot be a
   * cluster bus (the link must then be closed).
   */
  feed(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    for (;;) {
      if (this.#need === 0) {
        if (this.#buffered < 8) break;
        const head = this.#peek(8);
        const totlen = new DataView(head.buffer, head.byteOffset, 8).getUint32(4);
        if (
          head[0] !== 0x52 || head[1] !== 0x43 || head[2] !== 0x6d || head[3] !== 0x62 ||
          totlen < Layout.headerSize
        ) {
          throw new BusProtocolError("Bad message length or signature received from Cluster bus.");
        }
        this.#need = totlen;
      }
      if (this.#buffered < this.#need) break;
      out.push(this.#take(this.#need));
      this.#need = 0;
    }
    return out;
  }

  /** The first `n` buffered bytes, without consuming them. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.#chunks) {
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (at === n) break;
    }
    return out;
  }

  /** Consumes `n` buffered bytes into one array of its own. */
  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    this.#buffered -= n;
    return out;
  }
}

/** The byte stream is not a cluster bus: its link must be closed. */
export class BusProtocolError extends Error {
  override name = "BusProtocolError";
}
