/**
 * A replica's side of failover, as Redis 7.0's cluster.c: the election a
 * replica runs when its master is FAIL (clusterHandleSlaveFailover), the
 * manual failover CLUSTER FAILOVER starts (clusterHandleManualFailover,
 * MFSTART), taking the master's place once elected
 * (clusterFailoverReplaceYourMaster), and replica migration toward an
 * orphaned master (clusterHandleSlaveMigration). The master's side (votes,
 * pausing for MFSTART) is in `_process.ts`.
 *
 * @module
 */

import { CLUSTER_SLOTS, type ClusterNode, NodeFlag, Todo } from "../_state.ts";
import type { Bus } from "./_bus.ts";
import type { BusLink } from "./_link.ts";
import { encodeMessage, MsgFlag0, MsgType } from "./_messages.ts";
import { MF_TIMEOUT } from "./_process.ts";

/** Why a replica cannot fail over now (CLUSTER_CANT_FAILOVER_*). */
export const CantFailover = {
  NONE: 0,
  DATA_AGE: 1,
  WAITING_DELAY: 2,
  EXPIRED: 3,
  WAITING_VOTES: 4,
} as const;

/** The same reason is logged again only after this long (ms; CLUSTER_CANT_FAILOVER_RELOG_PERIOD). */
const CANT_FAILOVER_RELOG_PERIOD = 10_000;
/** An orphaned master gets a replica once orphaned this long (ms; CLUSTER_SLAVE_MIGRATION_DELAY). */
export const REPLICA_MIGRATION_DELAY = 5000;

const lastCantFailoverLog = new WeakMap<Bus, number>();

/**
 * This replica's rank among its master's replicas: how many that can fail
 * over have a greater replication offset (clusterGetSlaveRank).
 */
export function replicaRank(bus: Bus): number {
  const me = bus.state.myself;
  const master = me.replicaOf;
  if (master === undefined) return 0;
  const myOffset = bus.host.replOffset();
  let rank = 0;
  for (const r of master.replicas) {
    if (r !== me && !r.cantFailover && r.replOffset > myOffset) rank++;
  }
  return rank;
}

/** Logs why the failover waits, without repeating itself (clusterLogCantFailover). */
function logCantFailover(bus: Bus, reason: number): void {
  const st = bus.state;
  const now = bus.now();
  const last = lastCantFailoverLog.get(bus) ?? 0;
  if (reason === st.cantFailoverReason && now - last < CANT_FAILOVER_RELOG_PERIOD) return;
  st.cantFailoverReason = reason;
  // A master that failed a moment ago is no stalled condition worth a line.
  const master = st.myself.replicaOf;
  const nologFailTime = bus.host.nodeTimeout() + 5000;
  if (master !== undefined && master.failed && now - master.failTime < nologFailTime) return;
  const msg = reason === CantFailover.DATA_AGE
    ? "Disconnected from master for longer than allowed. Please check the " +
      "'cluster-replica-validity-factor' configuration option."
    : reason === CantFailover.WAITING_DELAY
    ? "Waiting the delay before I can start a new failover."
    : reason === CantFailover.EXPIRED
    ? "Failover attempt expired."
    : reason === CantFailover.WAITING_VOTES
    ? "Waiting for votes, but majority still not reached."
    : "Unknown reason code.";
  lastCantFailoverLog.set(bus, now);
  bus.host.log("warning", `Currently unable to failover: ${msg}`);
}

/**
 * Asks every node for its vote (clusterRequestFailoverAuth); only masters
 * answer. A manual failover asks them to vote although the master is up.
 */
export function requestFailoverAuth(bus: Bus): void {
  const st = bus.state;
  const msg = bus.header(MsgType.FAILOVER_AUTH_REQUEST);
  if (st.mfEnd !== 0) msg.mflags[0] |= MsgFlag0.FORCEACK;
  bus.broadcast(encodeMessage(msg), MsgType.FAILOVER_AUTH_REQUEST);
}

/** Asks this replica's master to pause for a manual failover (clusterSendMFStart). */
export function sendMFStart(bus: Bus, master: ClusterNode): void {
  if (master.link === undefined) return;
  bus.sendBytes(
    master.link as BusLink,
    encodeMessage(bus.header(MsgType.MFSTART)),
    MsgType.MFSTART,
  );
}

/**
 * The replica's election (clusterHandleSlaveFailover): with its master
 * FAIL (or a manual failover ready to start), data recent enough, after
 * 500 ms + 0..500 ms + 1 s per better-placed replica, it bumps the current
 * epoch, asks the masters for their votes, and with a majority within the
 * auth timeout takes its master's place.
 */
export function handleReplicaFailover(bus: Bus): void {
  const st = bus.state;
  const me = st.myself;
  const host = bus.host;
  const now = bus.now();
  const nodeTimeout = host.nodeTimeout();
  const authAge = now - st.failoverAuthTime;
  const neededQuorum = Math.floor(st.size / 2) + 1;
  const manual = st.mfEnd !== 0 && st.mfCanStart;
  st.todo &= ~Todo.HANDLE_FAILOVER;
  // Time to send the requests and collect the votes; twice that before trying again.
  const authTimeout = Math.max(nodeTimeout * 2, 2000);
  const authRetryTime = authTimeout * 2;
  const master = me.replicaOf;
  if (
    me.isMaster || master === undefined || (!master.failed && !manual) ||
    ((host.replicaNoFailover?.() ?? false) && !manual) || master.numslots === 0
  ) {
    st.cantFailoverReason = CantFailover.NONE;
    return;
  }
  // Not hearing from the master for the time it took to find it failed is
  // expected: only the rest counts against the data's freshness.
  let dataAge = host.replicaDataAge?.() ?? 0;
  if (dataAge > nodeTimeout) dataAge -= nodeTimeout;
  const factor = host.replicaValidityFactor?.() ?? 10;
  if (
    factor !== 0 &&
    dataAge > (host.replPingReplicaPeriod?.() ?? 10) * 1000 + nodeTimeout * factor
  ) {
    if (!manual) {
      logCantFailover(bus, CantFailover.DATA_AGE);
      return;
    }
  }
  // The last attempt is over: schedule a new one.
  if (authAge > authRetryTime) {
    st.failoverAuthTime = now + 500 + Math.floor(Math.random() * 500);
    st.failoverAuthCount = 0;
    st.failoverAuthSent = false;
    st.failoverAuthRank = replicaRank(bus);
    // Replicas with an older offset wait a second more per better one.
    st.failoverAuthTime += st.failoverAuthRank * 1000;
    if (st.mfEnd !== 0) {
      st.failoverAuthTime = now;
      st.failoverAuthRank = 0;
      st.markTodo(Todo.HANDLE_FAILOVER);
    }
    host.log(
      "warning",
      `Start of election delayed for ${
        st.failoverAuthTime - now
      } milliseconds (rank #${st.failoverAuthRank}, offset ${host.replOffset()}).`,
    );
    // The other replicas of this master learn our offset, and their rank.
    bus.broadcastPong(true);
    return;
  }
  // Better offsets heard since: a worse rank waits longer.
  if (!st.failoverAuthSent && st.mfEnd === 0) {
    const rank = replicaRank(bus);
    if (rank > st.failoverAuthRank) {
      const added = (rank - st.failoverAuthRank) * 1000;
      st.failoverAuthTime += added;
      st.failoverAuthRank = rank;
      host.log(
        "warning",
        `Replica rank updated to #${rank}, added ${added} milliseconds of delay.`,
      );
    }
  }
  if (now < st.failoverAuthTime) {
    logCantFailover(bus, CantFailover.WAITING_DELAY);
    return;
  }
  if (authAge > authTimeout) {
    logCantFailover(bus, CantFailover.EXPIRED);
    return;
  }
  if (!st.failoverAuthSent) {
    st.currentEpoch++;
    st.failoverAuthEpoch = st.currentEpoch;
    host.log("warning", `Starting a failover election for epoch ${st.currentEpoch}.`);
    requestFailoverAuth(bus);
    st.failoverAuthSent = true;
    st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG);
    return;
  }
  if (st.failoverAuthCount >= neededQuorum) {
    host.log("warning", "Failover election won: I'm the new master.");
    if (me.configEpoch < st.failoverAuthEpoch) {
      me.configEpoch = st.failoverAuthEpoch;
      host.log("warning", `configEpoch set to ${me.configEpoch} after successful failover`);
    }
    replaceMaster(bus);
  } else {
    logCantFailover(bus, CantFailover.WAITING_VOTES);
  }
}

/**
 * The elected replica takes its master's place
 * (clusterFailoverReplaceYourMaster): a master, replication off, the
 * master's slots, the state and nodes.conf updated, a PONG to every node
 * so the cluster learns it at once.
 */
export function replaceMaster(bus: Bus): void {
  const st = bus.state;
  const me = st.myself;
  const old = me.replicaOf;
  if (me.isMaster || old === undefined) return;
  st.setNodeAsMaster(me);
  bus.host.unsetMaster?.();
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    if (!old.hasSlot(j)) continue;
    st.delSlot(j);
    st.addSlot(me, j);
  }
  st.markTodo(Todo.UPDATE_STATE | Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG);
  bus.host.beforeSleep();
  bus.broadcastPong();
  bus.resetManualFailover();
  // The election is over. (Redis keeps its votes counted until the retry
  // time passes, so a failover this node runs again within it would be
  // "won" with them at an old epoch, then undone by UPDATE messages.)
  st.failoverAuthTime = 0;
  st.failoverAuthSent = false;
  st.failoverAuthCount = 0;
}

/**
 * A manual failover waits for this replica to reach the offset its paused
 * master announced; then the election may start (clusterHandleManualFailover).
 */
export function handleManualFailover(bus: Bus): void {
  const st = bus.state;
  st.todo &= ~Todo.HANDLE_MANUALFAILOVER;
  if (st.mfEnd === 0 || st.mfCanStart || st.mfMasterOffset === -1) return;
  if (st.mfMasterOffset === bus.host.replOffset()) {
    st.mfCanStart = true;
    bus.host.log(
      "warning",
      "All master replication stream processed, manual failover can start.",
    );
    st.markTodo(Todo.HANDLE_FAILOVER);
    return;
  }
  st.markTodo(Todo.HANDLE_MANUALFAILOVER);
}

/**
 * CLUSTER FAILOVER [FORCE] on this replica (the command checked the
 * preconditions): FORCE starts the election at once; without it the
 * master is asked to pause its writers first (MFSTART), and the election
 * starts once this replica processed all it wrote.
 */
export function startManualFailover(bus: Bus, force: boolean): void {
  const st = bus.state;
  bus.resetManualFailover();
  st.mfEnd = bus.now() + MF_TIMEOUT;
  if (force) {
    bus.host.log("warning", "Forced failover user request accepted.");
    st.mfCanStart = true;
  } else {
    bus.host.log("warning", "Manual failover user request accepted.");
    if (st.myself.replicaOf !== undefined) sendMFStart(bus, st.myself.replicaOf);
  }
}

/**
 * What clusterCron does for a replica after its node loop: the manual
 * failover, the election, and replica migration when some master is
 * orphaned and this replica's master has the most working replicas.
 */
export function replicaCron(bus: Bus): void {
  const st = bus.state;
  const me = st.myself;
  if (!me.isReplica) return;
  let orphanedMasters = 0, maxReplicas = 0, thisReplicas = 0;
  for (const n of st.nodes.values()) {
    if (n.flags & (NodeFlag.MYSELF | NodeFlag.NOADDR | NodeFlag.HANDSHAKE)) continue;
    if (!n.isMaster || n.failed) continue;
    const ok = n.nonFailingReplicas();
    // Orphaned: serves slots, no working replica, but had one (MIGRATE_TO).
    if (ok === 0 && n.numslots > 0 && (n.flags & NodeFlag.MIGRATE_TO) !== 0) orphanedMasters++;
    if (ok > maxReplicas) maxReplicas = ok;
    if (me.replicaOf === n) thisReplicas = ok;
  }
  handleManualFailover(bus);
  handleReplicaFailover(bus);
  if (
    me.isReplica && orphanedMasters > 0 && maxReplicas >= 2 && thisReplicas === maxReplicas &&
    (bus.host.allowReplicaMigration?.() ?? true)
  ) {
    handleReplicaMigration(bus, maxReplicas);
  }
}

/**
 * Moves this replica to an orphaned master when its own master keeps more
 * than `cluster-migration-barrier` working replicas and it is the replica
 * with the smallest name among the masters with the most replicas
 * (clusterHandleSlaveMigration).
 */
export function handleReplicaMigration(bus: Bus, maxReplicas: number): void {
  const st = bus.state;
  const me = st.myself;
  const mymaster = me.replicaOf;
  if (st.state !== "ok" || mymaster === undefined) return;
  let okReplicas = 0;
  for (const r of mymaster.replicas) if (!r.failed && !r.timedOut) okReplicas++;
  if (okReplicas <= (bus.host.migrationBarrier?.() ?? 1)) return;
  let target: ClusterNode | undefined;
  let candidate: ClusterNode = me;
  const now = bus.now();
  for (const n of st.nodes.values()) {
    let ok = 0;
    let orphaned = !(n.isReplica || n.failed) && (n.flags & NodeFlag.MIGRATE_TO) !== 0;
    if (n.isMaster) ok = n.nonFailingReplicas();
    if (ok > 0) orphaned = false;
    if (orphaned) {
      if (target === undefined && n.numslots > 0) target = n;
      if (n.orphanedTime === 0) n.orphanedTime = now;
    } else {
      n.orphanedTime = 0;
    }
    if (ok === maxReplicas) {
      for (const r of n.replicas) if (r.name < candidate.name) candidate = r;
    }
  }
  // The orphan's own replicas get a moment to announce their new master first.
  if (
    target !== undefined && candidate === me &&
    now - target.orphanedTime > REPLICA_MIGRATION_DELAY
  ) {
    bus.host.log("warning", `Migrating to orphaned master ${target.name}`);
    bus.host.setMaster(target);
    st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
  }
}

/** The failover work clusterBeforeSleep does when messages asked for it. */
export function failoverBeforeSleep(bus: Bus): void {
  const st = bus.state;
  if (st.todo & Todo.HANDLE_MANUALFAILOVER) {
    st.todo &= ~(Todo.HANDLE_MANUALFAILOVER | Todo.HANDLE_FAILOVER);
    if (st.myself.isReplica) {
      handleManualFailover(bus);
      handleReplicaFailover(bus);
    }
  } else if (st.todo & Todo.HANDLE_FAILOVER) {
    handleReplicaFailover(bus);
  }
}
