/**
 * The cluster's node table, as Redis keeps it (`clusterNode` and
 * `clusterState` in cluster.h): every node this one knows, who serves each
 * of the 16384 slots, the epochs, and the small operations on them that
 * both the commands and the bus perform (cluster.c's clusterAddNode,
 * clusterDelNode, clusterRenameNode, clusterAddSlot, clusterSetNodeAsMaster,
 * failure reports, clusterUpdateState). Data and pure operations only: no
 * sockets, no files, no timers.
 *
 * @module
 */

/** Number of hash slots (CLUSTER_SLOTS). */
export const CLUSTER_SLOTS = 16384;
/** Length of a node name: 40 hex characters (CLUSTER_NAMELEN). */
export const CLUSTER_NAMELEN = 40;
/** The name of no node, as the bus sends it: 40 zero bytes (CLUSTER_NODE_NULL_NAME). */
export const NULL_NODE_NAME = "\0".repeat(CLUSTER_NAMELEN);

/** A failure report is valid for node-timeout times this (CLUSTER_FAIL_REPORT_VALIDITY_MULT). */
export const FAIL_REPORT_VALIDITY_MULT = 2;
/** A FAIL flag is undone after node-timeout times this (CLUSTER_FAIL_UNDO_TIME_MULT). */
export const FAIL_UNDO_TIME_MULT = 2;
/** How long a forgotten node is not re-added by gossip, in seconds (CLUSTER_BLACKLIST_TTL). */
export const BLACKLIST_TTL = 60;
/** Bounds of the delay before a master out of the minority serves again (ms). */
export const MAX_REJOIN_DELAY = 5000;
export const MIN_REJOIN_DELAY = 500;
/** A master that starts in the fail state waits this long before it serves (ms). */
export const WRITABLE_DELAY = 2000;

/** Node flags, Redis's CLUSTER_NODE_* bits (also their place in bus messages). */
export const NodeFlag = {
  MASTER: 1,
  SLAVE: 2,
  PFAIL: 4,
  FAIL: 8,
  MYSELF: 16,
  HANDSHAKE: 32,
  NOADDR: 64,
  MEET: 128,
  MIGRATE_TO: 256,
  NOFAILOVER: 512,
} as const;

/**
 * The flag names CLUSTER NODES and nodes.conf print, in Redis's order
 * (redisNodeFlagsTable); `noflags` when none is set.
 */
export const NODE_FLAG_NAMES: readonly (readonly [number, string])[] = [
  [NodeFlag.MYSELF, "myself"],
  [NodeFlag.MASTER, "master"],
  [NodeFlag.SLAVE, "slave"],
  [NodeFlag.PFAIL, "fail?"],
  [NodeFlag.FAIL, "fail"],
  [NodeFlag.HANDSHAKE, "handshake"],
  [NodeFlag.NOADDR, "noaddr"],
  [NodeFlag.NOFAILOVER, "nofailover"],
];

/** What clusterBeforeSleep has to do (CLUSTER_TODO_* bits). */
export const Todo = {
  HANDLE_FAILOVER: 1,
  UPDATE_STATE: 2,
  SAVE_CONFIG: 4,
  FSYNC_CONFIG: 8,
  HANDLE_MANUALFAILOVER: 16,
} as const;

/** Bus message types (CLUSTERMSG_TYPE_*); the stats arrays are indexed by them. */
export const MsgType = {
  PING: 0,
  PONG: 1,
  MEET: 2,
  FAIL: 3,
  PUBLISH: 4,
  FAILOVER_AUTH_REQUEST: 5,
  FAILOVER_AUTH_ACK: 6,
  UPDATE: 7,
  MFSTART: 8,
  MODULE: 9,
  PUBLISHSHARD: 10,
  COUNT: 11,
} as const;

/** Message type names as CLUSTER INFO prints them (clusterGetMessageTypeString). */
export const MSG_TYPE_NAMES: readonly string[] = [
  "ping",
  "pong",
  "meet",
  "fail",
  "publish",
  "auth-req",
  "auth-ack",
  "update",
  "mfstart",
  "module",
  "publishshard",
];

/**
 * A bus connection as the table sees it (Redis's clusterLink). The bus
 * creates and owns links; the table only points at them, and CLUSTER LINKS
 * reads these fields.
 */
export interface ClusterLink {
  /** When the link was created (ms). */
  readonly ctime: number;
  /** The node at the other end; undefined for an inbound link not yet identified. */
  node: ClusterNode | undefined;
  /** Accepted from the peer (true) or opened by this node (false). */
  readonly inbound: boolean;
  /** Bytes queued and not yet written (`send-buffer-used`). */
  readonly sendBufferUsed: number;
  /** Bytes the send buffer holds allocated (`send-buffer-allocated`). */
  readonly sendBufferAllocated: number;
  /** `r`, `w` or `rw`: what the link waits for (CLUSTER LINKS `events`). */
  readonly events: string;
  /** Closes the connection; the bus unhooks it from its node. */
  close(): void;
}

/** A node's report that another node is failing (clusterNodeFailReport). */
export interface FailReport {
  /** The node that reported. */
  node: ClusterNode;
  /** When it last reported it (ms). */
  time: number;
}

/** A random node name: 40 lower-case hex characters (getRandomHexChars). */
export function randomNodeName(): string {
  const b = new Uint8Array(CLUSTER_NAMELEN / 2);
  crypto.getRandomValues(b);
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** True for a valid node name: 40 hex characters (verifyClusterNodeId). */
export function isNodeName(s: string): boolean {
  return s.length === CLUSTER_NAMELEN && /^[0-9a-fA-F]{40}$/.test(s);
}

/** Tests bit `pos` of a bitmap in Redis's order (byte pos/8, bit pos&7 from the low end). */
export function bitmapTestBit(bitmap: Uint8Array, pos: number): boolean {
  return (bitmap[pos >> 3]! & (1 << (pos & 7))) !== 0;
}

/** Sets bit `pos` (see {@link bitmapTestBit}). */
export function bitmapSetBit(bitmap: Uint8Array, pos: number): void {
  bitmap[pos >> 3]! |= 1 << (pos & 7);
}

/** Clears bit `pos` (see {@link bitmapTestBit}). */
export function bitmapClearBit(bitmap: Uint8Array, pos: number): void {
  bitmap[pos >> 3]! &= ~(1 << (pos & 7));
}

/**
 * One node of the cluster (Redis's clusterNode), this one included.
 *
 * @example
 * ```ts
 * import { ClusterNode, NodeFlag } from "./_state.ts";
 * const n = new ClusterNode("a".repeat(40), NodeFlag.MASTER, 0);
 * n.ip = "127.0.0.1";
 * n.port = 7000;
 * n.cport = 17000;
 * console.log(n.isMaster, n.numslots); // true 0
 * ```
 */
export class ClusterNode {
  /** Slots this node serves, a bit each (Redis's bit order). */
  readonly slots: Uint8Array = new Uint8Array(CLUSTER_SLOTS / 8);
  numslots = 0;
  /** Its replicas, when a master. */
  replicas: ClusterNode[] = [];
  /** Its master, when a replica (may be unknown even then). */
  replicaOf: ClusterNode | undefined = undefined;
  configEpoch = 0;
  /** Unix ms we sent the last ping still unanswered (0: none pending). */
  pingSent = 0;
  pongReceived = 0;
  dataReceived = 0;
  /** When the FAIL flag was set. */
  failTime = 0;
  /** The last time we voted for a replica of this master. */
  votedTime = 0;
  /** When its replication offset was received. */
  replOffsetTime = 0;
  /** Since when it is a master with slots and no working replica. */
  orphanedTime = 0;
  replOffset = 0;
  ip = "";
  /** Announced hostname ("" when none). */
  hostname = "";
  /** Client port (TLS or plain, whichever clients use). */
  port = 0;
  /** Plaintext client port when `port` is TLS. */
  pport = 0;
  /** Bus port. */
  cport = 0;
  /** The link we opened toward it. */
  link: ClusterLink | undefined = undefined;
  /** The link it opened toward us. */
  inboundLink: ClusterLink | undefined = undefined;
  failReports: FailReport[] = [];

  /**
   * @param name 40 hex characters (a random temporary one during handshake)
   * @param flags {@link NodeFlag} bits
   * @param ctime creation time (ms), used to expire handshakes
   */
  constructor(public name: string, public flags: number, public ctime: number) {}

  get isMaster(): boolean {
    return (this.flags & NodeFlag.MASTER) !== 0;
  }
  get isReplica(): boolean {
    return (this.flags & NodeFlag.SLAVE) !== 0;
  }
  get isMyself(): boolean {
    return (this.flags & NodeFlag.MYSELF) !== 0;
  }
  get inHandshake(): boolean {
    return (this.flags & NodeFlag.HANDSHAKE) !== 0;
  }
  get hasAddr(): boolean {
    return (this.flags & NodeFlag.NOADDR) === 0;
  }
  /** PFAIL (nodeTimedOut). */
  get timedOut(): boolean {
    return (this.flags & NodeFlag.PFAIL) !== 0;
  }
  /** FAIL (nodeFailed). */
  get failed(): boolean {
    return (this.flags & NodeFlag.FAIL) !== 0;
  }
  get cantFailover(): boolean {
    return (this.flags & NodeFlag.NOFAILOVER) !== 0;
  }

  /** Whether it serves `slot` (clusterNodeGetSlotBit). */
  hasSlot(slot: number): boolean {
    return bitmapTestBit(this.slots, slot);
  }

  /** Adds `replica` to its replicas; false if already there (clusterNodeAddSlave). */
  addReplica(replica: ClusterNode): boolean {
    if (this.replicas.includes(replica)) return false;
    this.replicas.push(replica);
    this.flags |= NodeFlag.MIGRATE_TO;
    return true;
  }

  /** Removes `replica`; false if it was not one (clusterNodeRemoveSlave). */
  removeReplica(replica: ClusterNode): boolean {
    const i = this.replicas.indexOf(replica);
    if (i < 0) return false;
    this.replicas.splice(i, 1);
    if (this.replicas.length === 0) this.flags &= ~NodeFlag.MIGRATE_TO;
    return true;
  }

  /** Replicas neither failing nor failed (clusterCountNonFailingSlaves). */
  nonFailingReplicas(): number {
    let n = 0;
    for (const r of this.replicas) if (!r.failed) n++;
    return n;
  }

  /**
   * Records that `sender` reports this node failing; true when the report is
   * new, false when it refreshed one (clusterNodeAddFailureReport).
   */
  addFailureReport(sender: ClusterNode, now: number): boolean {
    for (const r of this.failReports) {
      if (r.node === sender) {
        r.time = now;
        return false;
      }
    }
    this.failReports.push({ node: sender, time: now });
    return true;
  }

  /** Drops reports older than twice the node timeout (clusterNodeCleanupFailureReports). */
  cleanupFailureReports(now: number, nodeTimeout: number): void {
    const maxAge = nodeTimeout * FAIL_REPORT_VALIDITY_MULT;
    this.failReports = this.failReports.filter((r) => now - r.time <= maxAge);
  }

  /** Removes `sender`'s report; false if it had none (clusterNodeDelFailureReport). */
  delFailureReport(sender: ClusterNode, now: number, nodeTimeout: number): boolean {
    const i = this.failReports.findIndex((r) => r.node === sender);
    if (i < 0) return false;
    this.failReports.splice(i, 1);
    this.cleanupFailureReports(now, nodeTimeout);
    return true;
  }

  /** Valid failure reports (clusterNodeFailureReportsCount). */
  failureReportsCount(now: number, nodeTimeout: number): number {
    this.cleanupFailureReports(now, nodeTimeout);
    return this.failReports.length;
  }
}

/** Bus message counters (CLUSTER INFO's `cluster_stats_messages_*`). */
export interface ClusterStats {
  /** Sent, by {@link MsgType}. */
  readonly sent: number[];
  /** Received, by {@link MsgType}. */
  readonly received: number[];
  /** Nodes in PFAIL, without NOADDR ones (stats_pfail_nodes). */
  pfailNodes: number;
  /** Links freed for going over `cluster-link-sendbuf-limit`. */
  linksBufferLimitExceeded: number;
}

/** What {@link ClusterState.updateState} reads from the configuration. */
export interface UpdateStateOptions {
  now: number;
  nodeTimeout: number;
  requireFullCoverage: boolean;
  /** Logs the state change (Redis logs it as a warning). */
  log?: (msg: string) => void;
}

/**
 * The whole cluster as this node sees it (Redis's clusterState).
 *
 * @example
 * ```ts
 * import { ClusterNode, ClusterState, NodeFlag, Todo } from "./_state.ts";
 * const me = new ClusterNode("a".repeat(40), NodeFlag.MYSELF | NodeFlag.MASTER, 0);
 * const st = new ClusterState(me);
 * st.addSlot(me, 0);
 * console.log(st.slots[0] === me, me.numslots); // true 1
 * console.log((st.todo & Todo.SAVE_CONFIG) !== 0); // false: the caller marks what to do
 * ```
 */
export class ClusterState {
  currentEpoch = 0;
  state: "ok" | "fail" = "fail";
  /**
   * Masters serving at least one slot (recomputed by {@link updateState});
   * 1 until then, as clusterInit starts it.
   */
  size = 1;
  /** Every known node by name, this one included. */
  readonly nodes: Map<string, ClusterNode> = new Map();
  /** Forgotten nodes gossip must not re-add, by name: expiry time in seconds. */
  readonly blacklist: Map<string, number> = new Map();
  readonly migratingSlotsTo: (ClusterNode | undefined)[] = new Array(CLUSTER_SLOTS).fill(
    undefined,
  );
  readonly importingSlotsFrom: (ClusterNode | undefined)[] = new Array(CLUSTER_SLOTS).fill(
    undefined,
  );
  /** The owner of each slot. */
  readonly slots: (ClusterNode | undefined)[] = new Array(CLUSTER_SLOTS).fill(undefined);
  // Elections (part of failover).
  failoverAuthTime = 0;
  failoverAuthCount = 0;
  failoverAuthSent = false;
  failoverAuthRank = 0;
  failoverAuthEpoch = 0;
  cantFailoverReason = 0;
  // Manual failover.
  mfEnd = 0;
  mfReplica: ClusterNode | undefined = undefined;
  mfMasterOffset = -1;
  mfCanStart = false;
  /** Epoch of the last vote granted. */
  lastVoteEpoch = 0;
  /** {@link Todo} bits for the end of the event-loop turn (todo_before_sleep). */
  todo = 0;
  readonly stats: ClusterStats = {
    sent: new Array(MsgType.COUNT).fill(0),
    received: new Array(MsgType.COUNT).fill(0),
    pfailNodes: 0,
    linksBufferLimitExceeded: 0,
  };
  /** Keys in a slot of this node's database (countKeysInSlot); the keyspace sets it. */
  countKeysInSlot: (slot: number) => number = () => 0;
  /**
   * Called when a slot this node or its master served stops being served
   * by it (clusterDelSlot's removeChannelsInSlot): shard channels go.
   */
  onSlotDeleted: (slot: number) => void = () => {};
  /** When updateState was first called (its static first_call_time). */
  firstCallTime = 0;
  /** When this node last found itself in the minority (among_minority_time). */
  amongMinorityTime = 0;

  /** @param myself this node, already flagged MYSELF; it is added to the table */
  constructor(public myself: ClusterNode) {
    this.nodes.set(myself.name, myself);
  }

  /** Asks for work at the end of the turn (clusterDoBeforeSleep). */
  markTodo(flags: number): void {
    this.todo |= flags;
  }

  /** Looks a node up by name (clusterLookupNode). */
  lookup(name: string): ClusterNode | undefined {
    return this.nodes.get(name);
  }

  /** Adds a node to the table (clusterAddNode); false if the name is taken. */
  addNode(node: ClusterNode): boolean {
    if (this.nodes.has(node.name)) return false;
    this.nodes.set(node.name, node);
    return true;
  }

  /**
   * Removes a node from the table and every reference to it: its slots, the
   * migrations, the failure reports it sent, its master's list, its
   * replicas' master pointer (clusterDelNode + freeClusterNode). Its links
   * are closed.
   */
  deleteNode(node: ClusterNode): void {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (this.importingSlotsFrom[j] === node) this.importingSlotsFrom[j] = undefined;
      if (this.migratingSlotsTo[j] === node) this.migratingSlotsTo[j] = undefined;
      if (this.slots[j] === node) this.delSlot(j);
    }
    for (const n of this.nodes.values()) {
      if (n === node) continue;
      const i = n.failReports.findIndex((r) => r.node === node);
      if (i >= 0) n.failReports.splice(i, 1);
    }
    for (const r of node.replicas) r.replicaOf = undefined;
    if (node.isReplica && node.replicaOf !== undefined) node.replicaOf.removeReplica(node);
    if (this.nodes.get(node.name) === node) this.nodes.delete(node.name);
    const links = [node.link, node.inboundLink];
    node.link = node.inboundLink = undefined;
    for (const l of links) {
      if (l === undefined) continue;
      l.node = undefined;
      l.close();
    }
  }

  /** Gives a node its real name once learned; clears HANDSHAKE (clusterRenameNode). */
  renameNode(node: ClusterNode, name: string): void {
    if (this.nodes.get(node.name) === node) this.nodes.delete(node.name);
    node.name = name;
    this.nodes.set(name, node);
    node.flags &= ~NodeFlag.HANDSHAKE;
  }

  /** The highest configEpoch of any node, or currentEpoch if greater (clusterGetMaxEpoch). */
  maxEpoch(): number {
    let max = 0;
    for (const n of this.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    return max > this.currentEpoch ? max : this.currentEpoch;
  }

  /** Whether any master has a replica (clusterMastersHaveSlaves). */
  mastersHaveReplicas(): boolean {
    for (const n of this.nodes.values()) {
      if (n.isReplica) continue;
      if (n.replicas.length !== 0) return true;
    }
    return false;
  }

  /**
   * Sets `slot`'s bit on `node`; returns the old bit (clusterNodeSetSlotBit).
   * A master's first slot makes it a target of replica migration when other
   * masters have replicas.
   */
  setSlotBit(node: ClusterNode, slot: number): boolean {
    const old = bitmapTestBit(node.slots, slot);
    if (!old) {
      bitmapSetBit(node.slots, slot);
      node.numslots++;
      if (node.numslots === 1 && this.mastersHaveReplicas()) node.flags |= NodeFlag.MIGRATE_TO;
    }
    return old;
  }

  /** Clears `slot`'s bit on `node`; returns the old bit (clusterNodeClearSlotBit). */
  clearSlotBit(node: ClusterNode, slot: number): boolean {
    const old = bitmapTestBit(node.slots, slot);
    if (old) {
      bitmapClearBit(node.slots, slot);
      node.numslots--;
    }
    return old;
  }

  /** Assigns an unassigned slot to `node`; false if it has an owner (clusterAddSlot). */
  addSlot(node: ClusterNode, slot: number): boolean {
    if (this.slots[slot] !== undefined) return false;
    this.setSlotBit(node, slot);
    this.slots[slot] = node;
    return true;
  }

  /** Unassigns a slot; false if it had no owner (clusterDelSlot). */
  delSlot(slot: number): boolean {
    const n = this.slots[slot];
    if (n === undefined) return false;
    // This node's shard loses the slot: its shard channels go.
    if (n === this.myself || n === this.myself.replicaOf) this.onSlotDeleted(slot);
    this.clearSlotBit(n, slot);
    this.slots[slot] = undefined;
    return true;
  }

  /** Unassigns every slot of `node`; returns how many (clusterDelNodeSlots). */
  delNodeSlots(node: ClusterNode): number {
    let deleted = 0;
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (node.hasSlot(j)) {
        this.delSlot(j);
        deleted++;
      }
    }
    return deleted;
  }

  /**
   * Makes `node` a master (clusterSetNodeAsMaster): it leaves its master's
   * replica list. Marks the config to save and the state to update.
   */
  setNodeAsMaster(node: ClusterNode): void {
    if (node.isMaster) return;
    if (node.replicaOf !== undefined) {
      node.replicaOf.removeReplica(node);
      if (node !== this.myself) node.flags |= NodeFlag.MIGRATE_TO;
    }
    node.flags &= ~NodeFlag.SLAVE;
    node.flags |= NodeFlag.MASTER;
    node.replicaOf = undefined;
    this.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
  }

  /**
   * Makes `node` a replica of `master` (the table part of
   * clusterSetMaster and of a replica's gossip): flags, both pointers.
   */
  setReplicaOf(node: ClusterNode, master: ClusterNode): void {
    if (node.replicaOf !== undefined && node.replicaOf !== master) {
      node.replicaOf.removeReplica(node);
    }
    node.flags &= ~(NodeFlag.MASTER | NodeFlag.MIGRATE_TO);
    node.flags |= NodeFlag.SLAVE;
    node.replicaOf = master;
    master.addReplica(node);
    this.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
  }

  /** Adds a forgotten node to the blacklist (clusterBlacklistAddNode). */
  blacklistAdd(name: string, nowSec: number): void {
    this.blacklistCleanup(nowSec);
    this.blacklist.set(name, nowSec + BLACKLIST_TTL);
  }

  /** Whether gossip must ignore `name` for now (clusterBlacklistExists). */
  blacklistHas(name: string, nowSec: number): boolean {
    this.blacklistCleanup(nowSec);
    return this.blacklist.has(name);
  }

  /** Drops expired blacklist entries (clusterBlacklistCleanup). */
  blacklistCleanup(nowSec: number): void {
    for (const [name, expire] of this.blacklist) if (expire < nowSec) this.blacklist.delete(name);
  }

  /**
   * Recomputes `size` and the ok/fail state (clusterUpdateState): fail when
   * a slot is unserved or failed (with full coverage required) or when the
   * reachable masters are not a majority; back to ok only after the rejoin
   * delay, and a master starting in fail waits WRITABLE_DELAY first.
   */
  updateState(o: UpdateStateOptions): void {
    this.todo &= ~Todo.UPDATE_STATE;
    if (this.firstCallTime === 0) this.firstCallTime = o.now;
    if (
      this.myself.isMaster && this.state === "fail" && o.now - this.firstCallTime < WRITABLE_DELAY
    ) {
      return;
    }
    let next: "ok" | "fail" = "ok";
    if (o.requireFullCoverage) {
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        const n = this.slots[j];
        if (n === undefined || n.failed) {
          next = "fail";
          break;
        }
      }
    }
    let reachable = 0;
    this.size = 0;
    for (const n of this.nodes.values()) {
      if (n.isMaster && n.numslots !== 0) {
        this.size++;
        if ((n.flags & (NodeFlag.FAIL | NodeFlag.PFAIL)) === 0) reachable++;
      }
    }
    if (reachable < Math.floor(this.size / 2) + 1) {
      next = "fail";
      this.amongMinorityTime = o.now;
    }
    if (next !== this.state) {
      const delay = Math.min(MAX_REJOIN_DELAY, Math.max(MIN_REJOIN_DELAY, o.nodeTimeout));
      if (next === "ok" && this.myself.isMaster && o.now - this.amongMinorityTime < delay) return;
      o.log?.(`Cluster state changed: ${next}`);
      this.state = next;
    }
  }

  /** Masters known, excluding none (CLUSTER INFO's cluster_known_nodes counts all nodes). */
  knownNodes(): number {
    return this.nodes.size;
  }
}

/**
 * What the bus offers the commands (CLUSTER MEET, LINKS, publishing). The
 * bus plugin part implements it; the commands hold it through the cluster's
 * runtime object.
 */
export interface ClusterBus {
  /**
   * Starts a handshake with the node at ip:port (bus port `cport`), as
   * clusterStartHandshake: false (errno EINVAL in Redis) for an invalid
   * address or port; true when a handshake starts or one is already in
   * progress toward that address.
   */
  meet(ip: string, port: number, cport: number): boolean;
  /** Sends PUBLISH to every node (clusterPropagatePublish). */
  publish(channel: string, message: string): void;
  /** Sends PUBLISHSHARD to this node's shard (clusterPropagatePublishShard). */
  publishShard(channel: string, message: string): void;
  /** Every link, outbound and inbound (CLUSTER LINKS). */
  links(): ClusterLink[];
  /**
   * Pings the other nodes now with this node's new state (epoch bumped,
   * role changed, slots changed): clusterBroadcastPong to all nodes.
   */
  broadcastPong(): void;
  /** Closes the listener and every link. */
  close(): Promise<void>;
}
