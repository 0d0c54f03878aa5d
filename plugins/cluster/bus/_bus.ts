/**
 * The cluster bus of one node: the listener on the bus port, a link toward
 * every known node, the messages this node sends (PING, PONG, MEET with
 * gossip; FAIL, PUBLISH, UPDATE) and the bus's cron (Redis's clusterCron:
 * reconnects, pings, PFAIL detection, handshake timeouts). What arriving
 * messages do to the node table is in `_process.ts`.
 *
 * @module
 */

import {
  type ClusterBus,
  type ClusterLink,
  ClusterNode,
  type ClusterState,
  NodeFlag,
  randomNodeName,
  Todo,
} from "../_state.ts";
import { BusLink, type LinkOwner, normalizeIp } from "./_link.ts";
import {
  type ClusterMsg,
  decodeMessage,
  encodeMessage,
  type GossipEntry,
  MsgFlag0,
  MsgType,
  NULL_NAME,
  type PingExt,
  PingExtType,
} from "./_messages.ts";
import { processPacket } from "./_process.ts";
import { failoverBeforeSleep, replicaCron } from "./_failover.ts";

/** What the bus needs from the rest of the node. */
export interface BusHost {
  /** The node table (read at each use: a reset may replace it). */
  state(): ClusterState;
  /** Addresses to listen on (the `bind` directive); "*" or none: all. */
  bindAddrs: readonly string[];
  /** The bus port to listen on (`cluster-port`, or port + 10000). */
  busPort: number;
  /** `cluster-node-timeout` in milliseconds. */
  nodeTimeout(): number;
  /**
   * What this node announces: `ip` "" leaves it to the receivers (no
   * `cluster-announce-ip`); `cport` the bus port others connect to.
   */
  announced(): { ip: string; port: number; pport: number; cport: number; hostname: string };
  /** This node's replication offset (a master's, or what a replica processed). */
  replOffset(): number;
  /** A PUBLISH (shard false) or PUBLISHSHARD (shard true) from another node. */
  deliver(channel: string, message: string, shard: boolean): void;
  /**
   * An UPDATE or a PING took this node's last slots: it becomes a replica of
   * `master` (clusterSetMaster, replication included).
   */
  setMaster(master: ClusterNode): void;
  /**
   * A replica whose replication is off (restarted from nodes.conf) starts
   * replicating from `master`; nothing when it already replicates.
   */
  resumeReplication?(master: ClusterNode): void;
  /** Deletes the keys of a slot this node lost while holding keys in it. */
  deleteKeysInSlot(slot: number): void;
  /** Pauses writes until `end` (ms) for a manual failover (PAUSE_DURING_FAILOVER). */
  pauseWrites?(end: number): void;
  /** Ends that pause. */
  unpauseWrites?(): void;
  /** `cluster-allow-replica-migration` (default yes). */
  allowReplicaMigration?(): boolean;
  /**
   * How old this replica's data is (ms): since the last byte from its
   * master while the link is up, else since the link went down.
   */
  replicaDataAge?(): number;
  /** This replica becomes a master, replication off (replicationUnsetMaster). */
  unsetMaster?(): void;
  /** `cluster-replica-validity-factor` (0: any data age may fail over). */
  replicaValidityFactor?(): number;
  /** `repl-ping-replica-period` in seconds. */
  replPingReplicaPeriod?(): number;
  /** `cluster-migration-barrier`. */
  migrationBarrier?(): number;
  /** `cluster-replica-no-failover`. */
  replicaNoFailover?(): boolean;
  /** `cluster-link-sendbuf-limit` in bytes; 0 for none. */
  linkSendbufLimit?(): number;
  /** Runs the end-of-turn work (clusterBeforeSleep) now. */
  beforeSleep(): void;
  log(level: "debug" | "verbose" | "notice" | "warning", msg: string): void;
  /** The clock (ms); Date.now by default. */
  now?(): number;
}

/** clusterCron runs ten times a second. */
const CRON_MS = 100;

/**
 * The bus. Create it with {@link startBus}.
 */
export class Bus implements ClusterBus, LinkOwner {
  readonly #listeners: Deno.Listener[] = [];
  readonly #links = new Set<BusLink>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #iteration = 0;
  #closed = false;
  /** The actual ports listened on (port 0 picks one). */
  readonly boundPorts: number[] = [];

  constructor(readonly host: BusHost) {}

  get state(): ClusterState {
    return this.host.state();
  }

  now(): number {
    return this.host.now?.() ?? Date.now();
  }

  /** Binds the bus port; throws when it cannot (the start-up then fails). */
  listen(): void {
    const addrs = this.host.bindAddrs.length === 0 ? ["*"] : this.host.bindAddrs;
    let port = this.host.busPort;
    for (const raw of addrs) {
      // "-addr" may fail (as in `bind`); "*" and "::*" are every address.
      const optional = raw.startsWith("-");
      const addr = optional ? raw.slice(1) : raw;
      const hostname = addr === "*" ? "0.0.0.0" : addr === "::*" ? "::" : addr;
      let l: Deno.Listener;
      try {
        l = Deno.listen({ hostname, port, transport: "tcp" });
      } catch (e) {
        if (optional) continue;
        for (const done of this.#listeners) done.close();
        this.#listeners.length = 0;
        throw e;
      }
      if (port === 0) port = (l.addr as Deno.NetAddr).port;
      this.#listeners.push(l);
      this.boundPorts.push((l.addr as Deno.NetAddr).port);
      this.#acceptLoop(l);
    }
    this.#timer = setInterval(() => this.#tick(), CRON_MS);
  }

  async #acceptLoop(l: Deno.Listener): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await l.accept();
      } catch (e) {
        if (this.#closed || e instanceof Deno.errors.BadResource) return;
        // Out of descriptors and the like: wait a little, then accept again.
        this.host.log("warning", `Error accepting cluster node: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      const link = new BusLink(this, undefined, true, this.now());
      this.#links.add(link);
      const peer = conn.remoteAddr as Deno.NetAddr;
      this.host.log(
        "verbose",
        `Accepting cluster node connection from ${normalizeIp(peer.hostname)}:${peer.port}`,
      );
      link.attach(conn);
    }
  }

  // LinkOwner

  received(link: BusLink, frame: Uint8Array): void {
    const st = this.state;
    const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const type = v.getUint16(12);
    // Counted before the checks, as clusterIsValidPacket counts them.
    if (type < MsgType.COUNT) st.stats.received[type]!++;
    const msg = decodeMessage(frame);
    if (typeof msg === "string") {
      // Redis drops a malformed message and keeps the link: the framing holds.
      this.host.log("warning", msg);
      return;
    }
    try {
      processPacket(this, link, msg);
    } catch (e) {
      this.host.log("warning", `Cluster bus message refused: ${(e as Error).message}`);
      this.freeLink(link);
    }
    this.#beforeSleep();
  }

  closed(link: BusLink, reason: string): void {
    this.#links.delete(link);
    const node = link.node;
    if (node !== undefined) {
      if (node.link === link) node.link = undefined;
      else if (node.inboundLink === link) node.inboundLink = undefined;
    }
    if (reason !== "closed" && !this.#closed) {
      this.host.log(
        "debug",
        `I/O error on ${link.inbound ? "inbound " : ""}link with node ${
          node?.name ?? "(unknown)"
        }: ${reason}`,
      );
    }
  }

  /** Closes a link and unhooks it from its node (freeClusterLink). */
  freeLink(link: BusLink): void {
    link.close();
  }

  /** Makes `link` the inbound link of `node` (setClusterNodeToInboundClusterLink). */
  setInboundLink(node: ClusterNode, link: BusLink): void {
    if (node.inboundLink === link) return;
    // A peer may reconnect before its old inbound link is seen closing.
    if (node.inboundLink !== undefined) {
      const old = node.inboundLink;
      node.inboundLink = undefined;
      old.node = undefined;
      old.close();
    }
    node.inboundLink = link;
    link.node = node;
  }

  // ClusterBus

  meet(ip: string, port: number, cport: number): boolean {
    const norm = normalizeAddress(ip);
    if (norm === undefined) return false;
    if (port <= 0 || port > 65535 || cport <= 0 || cport > 65535) return false;
    const st = this.state;
    // A handshake toward that address is already going on (EAGAIN): nothing to do.
    for (const n of st.nodes.values()) {
      if (!n.inHandshake) continue;
      if (n.ip.toLowerCase() === norm && n.port === port && n.cport === cport) return true;
    }
    const n = new ClusterNode(randomNodeName(), NodeFlag.HANDSHAKE | NodeFlag.MEET, this.now());
    n.ip = norm;
    n.port = port;
    n.cport = cport;
    st.addNode(n);
    return true;
  }

  publish(channel: string, message: string): void {
    const msg = this.header(MsgType.PUBLISH);
    msg.publish = { channel, message };
    this.broadcast(encodeMessage(msg), MsgType.PUBLISH);
  }

  publishShard(channel: string, message: string): void {
    const st = this.state;
    const msg = this.header(MsgType.PUBLISHSHARD);
    msg.publish = { channel, message };
    const bytes = encodeMessage(msg);
    // This node's shard: its master (or itself) and that master's replicas.
    const master = st.myself.isReplica && st.myself.replicaOf ? st.myself.replicaOf : st.myself;
    for (const n of [master, ...master.replicas]) {
      if (n === st.myself || n.link === undefined) continue;
      this.sendBytes(n.link as BusLink, bytes, MsgType.PUBLISHSHARD);
    }
  }

  links(): ClusterLink[] {
    const out: ClusterLink[] = [];
    for (const n of this.state.nodes.values()) {
      if (n.link !== undefined) out.push(n.link);
      if (n.inboundLink !== undefined) out.push(n.inboundLink);
    }
    return out;
  }

  broadcastPong(localReplicasOnly = false): void {
    const st = this.state;
    for (const n of st.nodes.values()) {
      if (n.link === undefined || n === st.myself || n.inHandshake) continue;
      if (localReplicasOnly) {
        const local = n.isReplica && n.replicaOf !== undefined &&
          (n.replicaOf === st.myself || n.replicaOf === st.myself.replicaOf);
        if (!local) continue;
      }
      this.sendPing(n.link as BusLink, MsgType.PONG);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const l of this.#listeners) {
      try {
        l.close();
      } catch { /* closed */ }
    }
    for (const link of [...this.#links]) link.close();
    for (const n of this.state.nodes.values()) n.link = n.inboundLink = undefined;
    // Let the closed sockets' pending reads settle.
    await new Promise((r) => setTimeout(r, 0));
  }

  // Sending

  /**
   * A message header with this node's view of itself (clusterBuildMessageHdr):
   * a replica sends its master's slots and config epoch.
   */
  header(type: number): ClusterMsg {
    const st = this.state;
    const me = st.myself;
    const master = me.isReplica && me.replicaOf !== undefined ? me.replicaOf : me;
    const a = this.host.announced();
    return {
      type,
      port: a.port,
      pport: a.pport,
      cport: a.cport,
      currentEpoch: st.currentEpoch,
      configEpoch: master.configEpoch,
      offset: this.host.replOffset(),
      sender: me.name,
      myslots: master.slots,
      slaveof: me.replicaOf !== undefined ? me.replicaOf.name : NULL_NAME,
      myip: a.ip,
      flags: me.flags,
      state: st.state === "ok" ? 0 : 1,
      mflags: [me.isMaster && st.mfEnd !== 0 ? MsgFlag0.PAUSED : 0, 0, 0],
    };
  }

  /** Queues bytes on a link and counts the message (clusterSendMessage). */
  sendBytes(link: BusLink, bytes: Uint8Array, type: number): void {
    if (link.isClosed) return;
    link.send(bytes);
    if (type < MsgType.COUNT) this.state.stats.sent[type]!++;
  }

  /** Sends to every node linked and past its handshake (clusterBroadcastMessage). */
  broadcast(bytes: Uint8Array, type: number): void {
    const st = this.state;
    for (const n of st.nodes.values()) {
      if (n.link === undefined || n === st.myself || n.inHandshake) continue;
      this.sendBytes(n.link as BusLink, bytes, type);
    }
  }

  /**
   * PING, PONG or MEET with gossip about a tenth of the nodes (at least 3)
   * and every node in PFAIL, plus the hostname extension (clusterSendPing).
   */
  sendPing(link: BusLink, type: number): void {
    const st = this.state;
    const now = this.now();
    const nodes = [...st.nodes.values()];
    let freshnodes = nodes.length - 2;
    let wanted = Math.max(3, Math.floor(nodes.length / 10));
    if (wanted > freshnodes) wanted = freshnodes;
    if (!link.inbound && type === MsgType.PING && link.node !== undefined) {
      link.node.pingSent = now;
    }
    const msg = this.header(type);
    const gossip: GossipEntry[] = [];
    const chosen = new Set<ClusterNode>();
    let maxiterations = wanted * 3;
    while (freshnodes > 0 && gossip.length < wanted && maxiterations-- > 0) {
      const n = nodes[Math.floor(Math.random() * nodes.length)]!;
      if (n === st.myself) continue;
      // PFAIL nodes all go at the end.
      if (n.flags & NodeFlag.PFAIL) continue;
      if (
        (n.flags & (NodeFlag.HANDSHAKE | NodeFlag.NOADDR)) !== 0 ||
        (n.link === undefined && n.numslots === 0)
      ) {
        freshnodes--;
        continue;
      }
      if (chosen.has(n)) continue;
      chosen.add(n);
      gossip.push(gossipEntry(n));
      freshnodes--;
    }
    let pfailWanted = st.stats.pfailNodes;
    for (const n of nodes) {
      if (pfailWanted <= 0) break;
      if (n.flags & (NodeFlag.HANDSHAKE | NodeFlag.NOADDR)) continue;
      if (!(n.flags & NodeFlag.PFAIL)) continue;
      gossip.push(gossipEntry(n));
      pfailWanted--;
    }
    msg.gossip = gossip;
    const hostname = this.host.announced().hostname;
    const exts: PingExt[] = [];
    if (hostname !== "") exts.push({ type: PingExtType.HOSTNAME, hostname });
    msg.exts = exts;
    this.sendBytes(link, encodeMessage(msg), type);
  }

  /** Tells every node that `node` is failing (clusterSendFail). */
  sendFail(node: ClusterNode): void {
    const msg = this.header(MsgType.FAIL);
    msg.fail = { nodename: node.name };
    this.broadcast(encodeMessage(msg), MsgType.FAIL);
  }

  /** Gives `node` this master's vote (clusterSendFailoverAuth). */
  sendFailoverAuth(node: ClusterNode): void {
    if (node.link === undefined) return;
    this.sendBytes(
      node.link as BusLink,
      encodeMessage(this.header(MsgType.FAILOVER_AUTH_ACK)),
      MsgType.FAILOVER_AUTH_ACK,
    );
  }

  /**
   * Ends a manual failover in progress (resetManualFailover): a master that
   * paused its writes for it resumes them.
   */
  resetManualFailover(): void {
    const st = this.state;
    if (st.mfReplica !== undefined) this.host.unpauseWrites?.();
    st.mfEnd = 0;
    st.mfCanStart = false;
    st.mfReplica = undefined;
    st.mfMasterOffset = -1;
  }

  /** Tells the node behind `link` what `node` serves (clusterSendUpdate). */
  sendUpdate(link: ClusterLink | undefined, node: ClusterNode): void {
    if (link === undefined) return;
    const msg = this.header(MsgType.UPDATE);
    msg.update = { configEpoch: node.configEpoch, nodename: node.name, slots: node.slots };
    this.sendBytes(link as BusLink, encodeMessage(msg), MsgType.UPDATE);
  }

  // The cron

  #tick(): void {
    if (this.#closed) return;
    try {
      this.cron();
    } catch (e) {
      this.host.log("warning", `Cluster cron: ${(e as Error).message}`);
    }
    this.#beforeSleep();
  }

  /** The failover work messages asked for, then the node's end-of-turn work. */
  #beforeSleep(): void {
    try {
      failoverBeforeSleep(this);
    } catch (e) {
      this.host.log("warning", `Cluster failover: ${(e as Error).message}`);
    }
    this.host.beforeSleep();
  }

  /** One run of clusterCron (every 100 ms). */
  cron(): void {
    const st = this.state;
    const me = st.myself;
    const nodeTimeout = this.host.nodeTimeout();
    const handshakeTimeout = Math.max(nodeTimeout, 1000);
    const a = this.host.announced();
    if (me.hostname !== a.hostname) {
      me.hostname = a.hostname;
      st.markTodo(Todo.SAVE_CONFIG);
    }
    this.#iteration++;
    let now = this.now();
    st.stats.pfailNodes = 0;
    const limit = this.host.linkSendbufLimit?.() ?? 0;
    for (const n of [...st.nodes.values()]) {
      if (limit > 0) {
        for (const l of [n.link, n.inboundLink]) {
          if (l !== undefined && l.sendBufferAllocated > limit) {
            this.host.log(
              "warning",
              `Freeing cluster link(${
                l.inbound ? "from" : "to"
              } node ${n.name}), used memory: ${l.sendBufferAllocated} (exceeds limit)`,
            );
            st.stats.linksBufferLimitExceeded++;
            (l as BusLink).close();
          }
        }
      }
      if (n.flags & (NodeFlag.MYSELF | NodeFlag.NOADDR)) continue;
      if (n.flags & NodeFlag.PFAIL) st.stats.pfailNodes++;
      // A handshake lives as long as the node timeout (at least 1 s).
      if (n.inHandshake && now - n.ctime > handshakeTimeout) {
        st.deleteNode(n);
        continue;
      }
      if (n.link === undefined) this.#connect(n);
    }

    // About once a second, ping the node whose pong is oldest among a few random ones.
    if (this.#iteration % 10 === 0) {
      const nodes = [...st.nodes.values()];
      let minPongNode: ClusterNode | undefined;
      for (let j = 0; j < 5 && nodes.length > 0; j++) {
        const n = nodes[Math.floor(Math.random() * nodes.length)]!;
        if (n.link === undefined || n.pingSent !== 0) continue;
        if (n.flags & (NodeFlag.MYSELF | NodeFlag.HANDSHAKE)) continue;
        if (minPongNode === undefined || minPongNode.pongReceived > n.pongReceived) minPongNode = n;
      }
      if (minPongNode !== undefined) this.sendPing(minPongNode.link as BusLink, MsgType.PING);
    }

    let updateState = false;
    for (const n of [...st.nodes.values()]) {
      now = this.now();
      if (n.flags & (NodeFlag.MYSELF | NodeFlag.NOADDR | NodeFlag.HANDSHAKE)) continue;
      const pingDelay = now - n.pingSent;
      const dataDelay = now - n.dataReceived;
      // A link silent for half the timeout while a ping waits: reconnect it.
      if (
        n.link !== undefined && now - n.link.ctime > nodeTimeout && n.pingSent !== 0 &&
        pingDelay > nodeTimeout / 2 && dataDelay > nodeTimeout / 2
      ) {
        (n.link as BusLink).close();
      }
      // No ping pending and the last pong older than half the timeout: ping now.
      if (n.link !== undefined && n.pingSent === 0 && now - n.pongReceived > nodeTimeout / 2) {
        this.sendPing(n.link as BusLink, MsgType.PING);
        continue;
      }
      if (st.mfEnd !== 0 && me.isMaster && st.mfReplica === n && n.link !== undefined) {
        this.sendPing(n.link as BusLink, MsgType.PING);
        continue;
      }
      if (n.pingSent === 0) continue;
      const nodeDelay = Math.min(pingDelay, dataDelay);
      if (nodeDelay > nodeTimeout && !(n.flags & (NodeFlag.PFAIL | NodeFlag.FAIL))) {
        this.host.log("debug", `*** NODE ${n.name} possibly failing`);
        n.flags |= NodeFlag.PFAIL;
        updateState = true;
      }
    }
    // A manual failover that did not end in time is abandoned (manualFailoverCheckTimeout).
    if (st.mfEnd !== 0 && st.mfEnd < now) {
      this.host.log("warning", "Manual failover timed out.");
      this.resetManualFailover();
    }
    // A replica not replicating yet (as after a restart) starts once its master has an address.
    const master = me.replicaOf;
    if (me.isReplica && master !== undefined && master.hasAddr && master.ip !== "") {
      this.host.resumeReplication?.(master);
    }
    // A replica's election, manual failover and migration.
    replicaCron(this);
    if (updateState || st.state === "fail") st.markTodo(Todo.UPDATE_STATE);
  }

  /** Opens the link toward a node (clusterNodeCronHandleReconnect). */
  #connect(node: ClusterNode): void {
    const link = new BusLink(this, node, false, this.now());
    node.link = link;
    this.#links.add(link);
    Deno.connect({ hostname: node.ip, port: node.cport, transport: "tcp" }).then((conn) => {
      if (link.isClosed) {
        conn.close();
        return;
      }
      link.attach(conn);
      this.#connected(link);
    }, (e) => {
      // Failure detection needs a ping to time: count one as sent.
      if (node.pingSent === 0) node.pingSent = this.now();
      this.host.log(
        "verbose",
        `Connection with Node ${node.name} at ${node.ip}:${node.cport} failed: ${
          (e as Error).message
        }`,
      );
      link.close();
    });
  }

  /** The link is up: PING (MEET for a node met by CLUSTER MEET) at once. */
  #connected(link: BusLink): void {
    const node = link.node;
    if (node === undefined || link.isClosed) return;
    const oldPingSent = node.pingSent;
    this.sendPing(link, node.flags & NodeFlag.MEET ? MsgType.MEET : MsgType.PING);
    // A ping pending before the reconnection keeps its time.
    if (oldPingSent !== 0) node.pingSent = oldPingSent;
    node.flags &= ~NodeFlag.MEET;
    this.host.log("debug", `Connecting with Node ${node.name} at ${node.ip}:${node.cport}`);
  }
}

function gossipEntry(n: ClusterNode): GossipEntry {
  return {
    nodename: n.name,
    pingSent: Math.floor(n.pingSent / 1000),
    pongReceived: Math.floor(n.pongReceived / 1000),
    ip: n.ip,
    port: n.port,
    cport: n.cport,
    flags: n.flags,
    pport: n.pport,
  };
}

/**
 * An IP address in its normal text form (inet_pton then inet_ntop), or
 * undefined when it is not one: CLUSTER MEET takes addresses, not names.
 */
export function normalizeAddress(ip: string): string | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p, i) => p > 255 || (v4[i + 1]!.length > 1 && v4[i + 1]!.startsWith("0")))) {
      return undefined;
    }
    return parts.join(".");
  }
  if (!ip.includes(":")) return undefined;
  try {
    // The URL parser normalizes IPv6 the way inet_ntop prints it.
    const host = new URL(`http://[${ip}]/`).hostname;
    return normalizeIp(host.slice(1, -1));
  } catch {
    return undefined;
  }
}

/**
 * Starts the bus of a node: binds the bus port (throws when it cannot) and
 * starts its cron. The caller sets `cluster.bus` to the result.
 *
 * @example
 * ```ts
 * import { startBus } from "./_bus.ts";
 * import { ClusterNode, ClusterState, NodeFlag } from "../_state.ts";
 * const me = new ClusterNode("a".repeat(40), NodeFlag.MYSELF | NodeFlag.MASTER, Date.now());
 * const st = new ClusterState(me);
 * const bus = startBus({
 *   state: () => st, bindAddrs: ["127.0.0.1"], busPort: 0,
 *   nodeTimeout: () => 15000,
 *   announced: () => ({ ip: "", port: 7000, pport: 0, cport: 17000, hostname: "" }),
 *   replOffset: () => 0, deliver() {}, setMaster() {}, deleteKeysInSlot() {},
 *   beforeSleep() {}, log() {},
 * });
 * console.log(bus.boundPorts.length); // 1
 * await bus.close();
 * ```
 */
export function startBus(host: BusHost): Bus {
  const bus = new Bus(host);
  bus.listen();
  return bus;
}
