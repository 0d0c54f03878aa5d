/**
 * What a message received on the bus does (Redis's clusterProcessPacket):
 * the handshake and renaming, epochs, roles, slot ownership (and UPDATE
 * messages for stale claims), the gossip section with its failure reports,
 * FAIL, PUBLISH and the ping extensions.
 *
 * @module
 */

import {
  bitmapTestBit,
  CLUSTER_SLOTS,
  ClusterNode,
  isNodeName,
  NodeFlag,
  randomNodeName,
  Todo,
} from "../_state.ts";
import type { Bus } from "./_bus.ts";
import type { BusLink } from "./_link.ts";
import { type ClusterMsg, MsgFlag0, MsgType, NULL_NAME, PingExtType } from "./_messages.ts";

/** The sender's address: the one it announces, else where its link comes from (nodeIp2String). */
function senderIp(link: BusLink, msg: ClusterMsg): string {
  return msg.myip !== "" ? msg.myip : link.peerIp;
}

/** Handles one valid message from `link`; false when the link was freed. */
export function processPacket(bus: Bus, link: BusLink, msg: ClusterMsg): boolean {
  const st = bus.state;
  const me = st.myself;
  const now = bus.now();
  const type = msg.type;
  const flags = msg.flags;
  let senderConfigEpoch = 0;
  let senderCurrentEpoch = 0;

  // An inbound link learns its node from the messages; an outbound one knows it.
  let sender: ClusterNode | undefined = link.node !== undefined && !link.node.inHandshake
    ? link.node
    : st.lookup(msg.sender);
  if (sender === me && link.inbound) sender = undefined;
  if (sender !== undefined && link.inbound && link.node === undefined && !sender.inHandshake) {
    bus.setInboundLink(sender, link);
  }
  if (sender !== undefined) sender.dataReceived = now;

  if (sender !== undefined && !sender.inHandshake) {
    senderCurrentEpoch = msg.currentEpoch;
    senderConfigEpoch = msg.configEpoch;
    if (senderCurrentEpoch > st.currentEpoch) st.currentEpoch = senderCurrentEpoch;
    if (senderConfigEpoch > sender.configEpoch) {
      sender.configEpoch = senderConfigEpoch;
      st.markTodo(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG);
    }
    sender.replOffset = msg.offset;
    sender.replOffsetTime = now;
    if (
      st.mfEnd !== 0 && me.isReplica && me.replicaOf === sender &&
      (msg.mflags[0] & MsgFlag0.PAUSED) !== 0 && st.mfMasterOffset === -1
    ) {
      st.mfMasterOffset = sender.replOffset;
      st.markTodo(Todo.HANDLE_MANUALFAILOVER);
      bus.host.log(
        "warning",
        `Received replication offset for paused master manual failover: ${st.mfMasterOffset}`,
      );
    }
  }

  if (type === MsgType.PING || type === MsgType.MEET) {
    // A MEET comes to the address others know this node by: learn it, unless announced.
    const announcedIp = bus.host.announced().ip;
    if ((type === MsgType.MEET || me.ip === "") && announcedIp === "") {
      if (link.localIp !== "" && link.localIp !== me.ip) {
        me.ip = link.localIp;
        bus.host.log("warning", `IP address for this node updated to ${me.ip}`);
        st.markTodo(Todo.SAVE_CONFIG);
      }
    }
    // A MEET from an unknown node adds it, in handshake until our own link to it answers.
    // (Not one carrying this node's own name: a MEET of itself.)
    if (sender === undefined && type === MsgType.MEET && msg.sender !== me.name) {
      const n = new ClusterNode(randomNodeName(), NodeFlag.HANDSHAKE, now);
      n.ip = senderIp(link, msg);
      n.port = msg.port;
      n.pport = msg.pport;
      n.cport = msg.cport;
      st.addNode(n);
      st.markTodo(Todo.SAVE_CONFIG);
    }
    // (Redis also reads a MEET's gossip from an unknown sender, which adds nothing.)
    bus.sendPing(link, MsgType.PONG);
  }

  if (type === MsgType.PING || type === MsgType.PONG || type === MsgType.MEET) {
    if (!link.inbound) {
      const node = link.node!;
      if (node.inHandshake) {
        // We already know this node under its real name: update its address, drop the handshake.
        if (sender !== undefined) {
          bus.host.log(
            "verbose",
            `Handshake: we already know node ${sender.name}, updating the address if needed.`,
          );
          if (updateAddressIfNeeded(bus, sender, link, msg)) {
            st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
          }
          st.deleteNode(node);
          return false;
        }
        if (!isNodeName(msg.sender)) {
          bus.host.log("warning", "Handshake: the peer's node name is not 40 hex characters.");
          st.deleteNode(node);
          return false;
        }
        st.renameNode(node, msg.sender);
        bus.host.log("debug", `Handshake with node ${node.name} completed.`);
        node.flags &= ~NodeFlag.HANDSHAKE;
        node.flags |= flags & (NodeFlag.MASTER | NodeFlag.SLAVE);
        st.markTodo(Todo.SAVE_CONFIG);
      } else if (node.name !== msg.sender) {
        // Someone else answers at this address now: forget the address.
        bus.host.log(
          "debug",
          `PONG contains mismatching sender ID. About node ${node.name} added ${
            now - node.ctime
          } ms ago, having flags ${node.flags}`,
        );
        node.flags |= NodeFlag.NOADDR;
        node.ip = "";
        node.port = node.pport = node.cport = 0;
        bus.freeLink(link);
        st.markTodo(Todo.SAVE_CONFIG);
        return false;
      }
    }

    // NOFAILOVER is the sender's to say.
    if (sender !== undefined) {
      sender.flags = (sender.flags & ~NodeFlag.NOFAILOVER) | (flags & NodeFlag.NOFAILOVER);
    }

    if (
      sender !== undefined && type === MsgType.PING && !sender.inHandshake &&
      updateAddressIfNeeded(bus, sender, link, msg)
    ) {
      st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
    }

    if (!link.inbound && type === MsgType.PONG) {
      const node = link.node!;
      node.pongReceived = now;
      node.pingSent = 0;
      // PFAIL ends by itself; FAIL only as clearNodeFailureIfNeeded allows.
      if (node.timedOut) {
        node.flags &= ~NodeFlag.PFAIL;
        st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
      } else if (node.failed) {
        clearNodeFailureIfNeeded(bus, node);
      }
    }

    // Role switches.
    if (sender !== undefined) {
      if (msg.slaveof === NULL_NAME) {
        st.setNodeAsMaster(sender);
      } else {
        const master = st.lookup(msg.slaveof);
        if (sender.isMaster) {
          // A master turned into a replica.
          st.delNodeSlots(sender);
          sender.flags &= ~(NodeFlag.MASTER | NodeFlag.MIGRATE_TO);
          sender.flags |= NodeFlag.SLAVE;
          st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
        }
        if (master !== undefined && master !== sender && sender.replicaOf !== master) {
          sender.replicaOf?.removeReplica(sender);
          master.addReplica(sender);
          sender.replicaOf = master;
          st.markTodo(Todo.SAVE_CONFIG);
        }
      }
    }

    // Slots: only when what the sender claims differs from what we have for it.
    let senderMaster: ClusterNode | undefined;
    let dirtySlots = false;
    if (sender !== undefined) {
      senderMaster = sender.isMaster ? sender : sender.replicaOf;
      if (senderMaster !== undefined) dirtySlots = !sameBytes(senderMaster.slots, msg.myslots);
    }
    if (sender !== undefined && sender.isMaster && dirtySlots) {
      updateSlotsConfigWith(bus, sender, senderConfigEpoch, msg.myslots);
    }
    // The sender claims slots a master with a greater config epoch has: tell it.
    if (sender !== undefined && dirtySlots) {
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        if (!bitmapTestBit(msg.myslots, j)) continue;
        const owner = st.slots[j];
        if (owner === sender || owner === undefined) continue;
        if (owner.configEpoch > senderConfigEpoch) {
          bus.host.log(
            "verbose",
            `Node ${sender.name} has old slots configuration, sending an UPDATE message about ${owner.name}`,
          );
          bus.sendUpdate(sender.link, owner);
          break;
        }
      }
    }

    // Two masters with one config epoch: the one with the smaller name moves on.
    if (
      sender !== undefined && me.isMaster && sender.isMaster &&
      senderConfigEpoch === me.configEpoch
    ) {
      handleConfigEpochCollision(bus, sender);
    }

    if (sender !== undefined) {
      processGossipSection(bus, sender, msg);
      processPingExt(bus, sender, msg);
    }
  } else if (type === MsgType.FAIL) {
    const about = msg.fail!.nodename;
    if (sender !== undefined) {
      const failing = st.lookup(about);
      if (failing !== undefined && !(failing.flags & (NodeFlag.FAIL | NodeFlag.MYSELF))) {
        bus.host.log("notice", `FAIL message received from ${msg.sender} about ${about}`);
        failing.flags |= NodeFlag.FAIL;
        failing.failTime = now;
        failing.flags &= ~NodeFlag.PFAIL;
        st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
      }
    } else {
      bus.host.log(
        "notice",
        `Ignoring FAIL message from unknown node ${printable(msg.sender)} about ${
          printable(about)
        }`,
      );
    }
  } else if (type === MsgType.PUBLISH || type === MsgType.PUBLISHSHARD) {
    if (sender === undefined) return true;
    bus.host.deliver(msg.publish!.channel, msg.publish!.message, type === MsgType.PUBLISHSHARD);
  } else if (type === MsgType.UPDATE) {
    if (sender === undefined) return true;
    const u = msg.update!;
    const n = st.lookup(u.nodename);
    if (n === undefined) return true;
    if (n.configEpoch >= u.configEpoch) return true;
    if (n.isReplica) st.setNodeAsMaster(n);
    n.configEpoch = u.configEpoch;
    st.markTodo(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG);
    updateSlotsConfigWith(bus, n, u.configEpoch, u.slots);
  } else if (type === MsgType.FAILOVER_AUTH_REQUEST) {
    if (sender === undefined) return true;
    sendFailoverAuthIfNeeded(bus, sender, msg);
  } else if (type === MsgType.FAILOVER_AUTH_ACK) {
    // A vote counts for this node's election if it comes from a master with
    // slots, at or past the election's epoch; the end of the turn checks
    // the quorum (`_failover.ts`).
    if (sender === undefined) return true;
    if (sender.isMaster && sender.numslots > 0 && senderCurrentEpoch >= st.failoverAuthEpoch) {
      st.failoverAuthCount++;
      st.markTodo(Todo.HANDLE_FAILOVER);
    }
  } else if (type === MsgType.MFSTART) {
    // A replica of this master asks for a manual failover: writes pause
    // until it took over (or the timeout), and it hears the offset to reach.
    if (sender === undefined || sender.replicaOf !== me) return true;
    bus.resetManualFailover();
    st.mfEnd = now + MF_TIMEOUT;
    st.mfReplica = sender;
    bus.host.pauseWrites?.(now + MF_TIMEOUT * MF_PAUSE_MULT);
    bus.host.log("warning", `Manual failover requested by replica ${sender.name}.`);
    bus.sendPing(link, MsgType.PING);
  } else if (type === MsgType.MODULE) {
    // Modules do not exist here: nothing to deliver to.
  } else {
    bus.host.log("warning", `Received unknown packet type: ${type}`);
  }
  return true;
}

/** How long a manual failover may take (CLUSTER_MF_TIMEOUT, ms). */
export const MF_TIMEOUT = 5000;
/** The master's writes pause for this many times MF_TIMEOUT (CLUSTER_MF_PAUSE_MULT). */
export const MF_PAUSE_MULT = 2;

/**
 * A replica asks for this master's vote to take over its failed master
 * (clusterSendFailoverAuthIfNeeded): one vote per epoch, none for a master
 * that is up unless the request is forced (manual failover), none twice
 * within two node timeouts for one master, none against a slot owner with
 * a greater config epoch.
 */
function sendFailoverAuthIfNeeded(bus: Bus, node: ClusterNode, request: ClusterMsg): void {
  const st = bus.state;
  const me = st.myself;
  const master = node.replicaOf;
  const now = bus.now();
  const nodeTimeout = bus.host.nodeTimeout();
  const forceAck = (request.mflags[0] & MsgFlag0.FORCEACK) !== 0;
  const log = (why: string) =>
    bus.host.log("warning", `Failover auth denied to ${node.name}: ${why}`);
  // Only masters serving slots vote: the quorum counts them.
  if (me.isReplica || me.numslots === 0) return;
  if (request.currentEpoch < st.currentEpoch) {
    return log(`reqEpoch (${request.currentEpoch}) < curEpoch(${st.currentEpoch})`);
  }
  if (st.lastVoteEpoch === st.currentEpoch) {
    return log(`already voted for epoch ${st.currentEpoch}`);
  }
  if (node.isMaster || master === undefined || (!master.failed && !forceAck)) {
    if (node.isMaster) return log("it is a master node");
    if (master === undefined) return log("I don't know its master");
    return log("its master is up");
  }
  if (now - master.votedTime < nodeTimeout * 2) {
    return log(
      `can't vote about this master before ${
        nodeTimeout * 2 - (now - master.votedTime)
      } milliseconds`,
    );
  }
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    if (!bitmapTestBit(request.myslots, j)) continue;
    const owner = st.slots[j];
    if (owner === undefined || owner.configEpoch <= request.configEpoch) continue;
    return log(`slot ${j} epoch (${owner.configEpoch}) > reqEpoch (${request.configEpoch})`);
  }
  st.lastVoteEpoch = st.currentEpoch;
  master.votedTime = now;
  st.markTodo(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG);
  bus.sendFailoverAuth(node);
  bus.host.log("warning", `Failover auth granted to ${node.name} for epoch ${st.currentEpoch}`);
}

/**
 * The node's address changed if its PING comes from elsewhere than its
 * link goes to (nodeUpdateAddressIfNeeded): take the new one and reconnect.
 */
function updateAddressIfNeeded(
  bus: Bus,
  node: ClusterNode,
  link: BusLink,
  msg: ClusterMsg,
): boolean {
  if (link === node.link) return false;
  const ip = senderIp(link, msg);
  if (
    node.port === msg.port && node.cport === msg.cport && node.pport === msg.pport &&
    node.ip === ip
  ) return false;
  node.ip = ip;
  node.port = msg.port;
  node.pport = msg.pport;
  node.cport = msg.cport;
  if (node.link !== undefined) (node.link as BusLink).close();
  node.flags &= ~NodeFlag.NOADDR;
  bus.host.log("warning", `Address updated for node ${node.name}, now ${node.ip}:${node.port}`);
  const me = bus.state.myself;
  if (me.isReplica && me.replicaOf === node) bus.host.setMaster(node);
  return true;
}

/** A failed node that answers again (clearNodeFailureIfNeeded). */
function clearNodeFailureIfNeeded(bus: Bus, node: ClusterNode): void {
  const st = bus.state;
  const now = bus.now();
  if (node.isReplica || node.numslots === 0) {
    bus.host.log(
      "notice",
      `Clear FAIL state for node ${node.name}: ${
        node.isReplica ? "replica" : "master without slots"
      } is reachable again.`,
    );
    node.flags &= ~NodeFlag.FAIL;
    st.markTodo(Todo.UPDATE_STATE | Todo.SAVE_CONFIG);
  }
  // A master still serving its slots long after its failure: nobody took over.
  if (
    node.isMaster && node.numslots > 0 &&
    now - node.failTime > bus.host.nodeTimeout() * 2
  ) {
    bus.host.log(
      "notice",
      `Clear FAIL state for node ${node.name}: is reachable again and nobody is serving its slots after some time.`,
    );
    node.flags &= ~NodeFlag.FAIL;
    st.markTodo(Todo.UPDATE_STATE | Todo.SAVE_CONFIG);
  }
}

/** Same config epoch as another master: take a new one if our name is smaller. */
function handleConfigEpochCollision(bus: Bus, sender: ClusterNode): void {
  const st = bus.state;
  const me = st.myself;
  if (sender.configEpoch !== me.configEpoch || !sender.isMaster || !me.isMaster) return;
  if (sender.name <= me.name) return;
  st.currentEpoch++;
  me.configEpoch = st.currentEpoch;
  st.markTodo(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG);
  bus.host.log(
    "verbose",
    `WARNING: configEpoch collision with node ${sender.name}. configEpoch set to ${me.configEpoch}`,
  );
}

/**
 * Rebinds the slots `sender` claims at `senderConfigEpoch` that we have
 * for an older configuration (clusterUpdateSlotsConfigWith); this node
 * becomes a replica of the sender if it lost its last slot to it.
 */
function updateSlotsConfigWith(
  bus: Bus,
  sender: ClusterNode,
  senderConfigEpoch: number,
  slots: Uint8Array,
): void {
  const st = bus.state;
  const me = st.myself;
  if (sender === me) {
    bus.host.log("notice", "Discarding UPDATE message about myself.");
    return;
  }
  const curmaster = me.isMaster ? me : me.replicaOf;
  let newmaster: ClusterNode | undefined;
  const dirty: number[] = [];
  let senderSlots = 0;
  let migratedOurSlots = 0;
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    if (!bitmapTestBit(slots, j)) continue;
    senderSlots++;
    const owner = st.slots[j];
    if (owner === sender) continue;
    // A slot being imported is only changed by hand.
    if (st.importingSlotsFrom[j] !== undefined) continue;
    if (owner === undefined || owner.configEpoch < senderConfigEpoch) {
      if (owner === me && st.countKeysInSlot(j) > 0) dirty.push(j);
      if (owner !== undefined && owner === curmaster) {
        newmaster = sender;
        migratedOurSlots++;
      }
      st.delSlot(j);
      st.addSlot(sender, j);
      st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG);
    }
  }
  if (
    newmaster !== undefined && curmaster !== undefined && curmaster.numslots === 0 &&
    ((bus.host.allowReplicaMigration?.() ?? true) || senderSlots === migratedOurSlots)
  ) {
    bus.host.log(
      "warning",
      `Configuration change detected. Reconfiguring myself as a replica of ${sender.name}`,
    );
    bus.resetManualFailover();
    bus.host.setMaster(sender);
    st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG);
  } else if (
    me.replicaOf !== undefined && me.replicaOf.replicaOf !== undefined &&
    me.replicaOf.replicaOf !== me
  ) {
    bus.host.log(
      "warning",
      `I'm a sub-replica! Reconfiguring myself as a replica of grandmaster ${me.replicaOf.replicaOf.name}`,
    );
    bus.resetManualFailover();
    bus.host.setMaster(me.replicaOf.replicaOf);
    st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG);
  } else {
    for (const j of dirty) bus.host.deleteKeysInSlot(j);
  }
}

/** What the sender says of other nodes (clusterProcessGossipSection). */
function processGossipSection(bus: Bus, sender: ClusterNode, msg: ClusterMsg): void {
  const st = bus.state;
  const me = st.myself;
  const nodeTimeout = bus.host.nodeTimeout();
  for (const g of msg.gossip ?? []) {
    const flags = g.flags;
    const node = st.lookup(g.nodename);
    if (node !== undefined) {
      // Failure reports count from masters only.
      if (sender.isMaster && node !== me) {
        if (flags & (NodeFlag.FAIL | NodeFlag.PFAIL)) {
          if (node.addFailureReport(sender, bus.now())) {
            bus.host.log(
              "verbose",
              `Node ${sender.name} reported node ${node.name} as not reachable.`,
            );
          }
          markNodeAsFailingIfNeeded(bus, node);
        } else if (node.delFailureReport(sender, bus.now(), nodeTimeout)) {
          bus.host.log("verbose", `Node ${sender.name} reported node ${node.name} is back online.`);
        }
      }
      // Seen up by the sender, and no doubt here: its pong time may move forward.
      if (
        !(flags & (NodeFlag.FAIL | NodeFlag.PFAIL)) && node.pingSent === 0 &&
        node.failureReportsCount(bus.now(), nodeTimeout) === 0
      ) {
        const pongtime = g.pongReceived * 1000;
        if (pongtime <= bus.now() + 500 && pongtime > node.pongReceived) {
          node.pongReceived = pongtime;
        }
      }
      // Unreachable here, reachable there at another address: try that one.
      if (
        node.flags & (NodeFlag.FAIL | NodeFlag.PFAIL) && !(flags & NodeFlag.NOADDR) &&
        !(flags & (NodeFlag.FAIL | NodeFlag.PFAIL)) &&
        (node.ip.toLowerCase() !== g.ip.toLowerCase() || node.port !== g.port ||
          node.cport !== g.cport)
      ) {
        if (node.link !== undefined) (node.link as BusLink).close();
        node.ip = g.ip;
        node.port = g.port;
        node.pport = g.pport;
        node.cport = g.cport;
        node.flags &= ~NodeFlag.NOADDR;
      }
    } else if (
      !(flags & NodeFlag.NOADDR) && !st.blacklistHas(g.nodename, Math.floor(bus.now() / 1000)) &&
      isNodeName(g.nodename) && g.cport !== 0
    ) {
      // A node we do not know, vouched for by a known one: add it as it is.
      const n = new ClusterNode(
        g.nodename,
        flags & ~(NodeFlag.MYSELF | NodeFlag.MEET | NodeFlag.MIGRATE_TO),
        bus.now(),
      );
      n.ip = g.ip;
      n.port = g.port;
      n.pport = g.pport;
      n.cport = g.cport;
      st.addNode(n);
    }
  }
}

/** PFAIL becomes FAIL once a majority of masters report it (markNodeAsFailingIfNeeded). */
function markNodeAsFailingIfNeeded(bus: Bus, node: ClusterNode): void {
  const st = bus.state;
  const neededQuorum = Math.floor(st.size / 2) + 1;
  if (!node.timedOut) return;
  if (node.failed) return;
  let failures = node.failureReportsCount(bus.now(), bus.host.nodeTimeout());
  if (st.myself.isMaster) failures++;
  if (failures < neededQuorum) return;
  bus.host.log("notice", `Marking node ${node.name} as failing (quorum reached).`);
  node.flags &= ~NodeFlag.PFAIL;
  node.flags |= NodeFlag.FAIL;
  node.failTime = bus.now();
  // Everyone is told, even by a replica: the reports came from masters.
  bus.sendFail(node);
  st.markTodo(Todo.UPDATE_STATE | Todo.SAVE_CONFIG);
}

/** The ping extensions (clusterProcessPingExt): the sender's hostname. */
function processPingExt(bus: Bus, sender: ClusterNode, msg: ClusterMsg): void {
  let hostname = "";
  for (const ext of msg.exts ?? []) {
    if (ext.type === PingExtType.HOSTNAME && "hostname" in ext) hostname = ext.hostname;
    else bus.host.log("warning", `Received unknown extension type ${ext.type}`);
  }
  if (sender.hostname !== hostname) {
    sender.hostname = hostname;
    bus.state.markTodo(Todo.SAVE_CONFIG);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A name from the wire for a log line: NULs and other bytes escaped. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
