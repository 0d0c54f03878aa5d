/**
 * CLUSTER and its subcommands, READONLY, READWRITE and ASKING, with Redis
 * 7.0's replies and errors (clusterCommand). With cluster mode off every
 * one answers Redis's "cluster support disabled" error.
 *
 * @module
 */

import { nodeBuiltin } from "../../core/node_builtin.ts";
import type { Bytes, CommandHandler, CommandSpec, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { replyHelp } from "../../core/help.ts";
import { byteStringToUtf8 } from "../../core/resp/bytes.ts";
import { commandTable, DISABLED, type FlagCommand } from "./_table.ts";
import type { Cluster } from "./_cluster.ts";
import { CLUSTER_PORT_INCR } from "./_config.ts";
import { keyHashSlot } from "./_slots.ts";
import { CLUSTER_SLOTS, type ClusterNode, MSG_TYPE_NAMES, Todo } from "./_state.ts";
import { nodeDescription, nodesDescription, shownEpoch } from "./_nodes_conf.ts";
import { replyShards, replySlots } from "./_commands_slots.ts";
import { startClusterFailover } from "./bus/mod.ts";

const HELP = [
  "ADDSLOTS <slot> [<slot> ...]",
  "    Assign slots to current node.",
  "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
  "    Assign slots which are between <start-slot> and <end-slot> to current node.",
  "BUMPEPOCH",
  "    Advance the cluster config epoch.",
  "COUNT-FAILURE-REPORTS <node-id>",
  "    Return number of failure reports for <node-id>.",
  "COUNTKEYSINSLOT <slot>",
  "    Return the number of keys in <slot>.",
  "DELSLOTS <slot> [<slot> ...]",
  "    Delete slots information from current node.",
  "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
  "    Delete slots information which are between <start-slot> and <end-slot> from current node.",
  "FAILOVER [FORCE|TAKEOVER]",
  "    Promote current replica node to being a master.",
  "FORGET <node-id>",
  "    Remove a node from the cluster.",
  "GETKEYSINSLOT <slot> <count>",
  "    Return key names stored by current node in a slot.",
  "FLUSHSLOTS",
  "    Delete current node own slots information.",
  "INFO",
  "    Return information about the cluster.",
  "KEYSLOT <key>",
  "    Return the hash slot for <key>.",
  "MEET <ip> <port> [<bus-port>]",
  "    Connect nodes into a working cluster.",
  "MYID",
  "    Return the node id.",
  "NODES",
  "    Return cluster configuration seen by node. Output format:",
  "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
  "REPLICATE <node-id>",
  "    Configure current node as replica to <node-id>.",
  "RESET [HARD|SOFT]",
  "    Reset current node (default: soft).",
  "SET-CONFIG-EPOCH <epoch>",
  "    Set config epoch of current node.",
  "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
  "    Set slot state.",
  "REPLICAS <node-id>",
  "    Return <node-id> replicas.",
  "SAVECONFIG",
  "    Force saving cluster configuration on disk.",
  "SLOTS",
  "    Return information about slots range mappings. Each range is made of:",
  "    start, end, master and replicas IP addresses, ports and ids",
  "SHARDS",
  "    Return information about slot range mappings and the nodes associated with them.",
  "LINKS",
  "    Return information about all network links between this node and its peers.",
  "    Output format is an array where each array element is a map containing attributes of a link",
];

/**
 * What the cluster subcommands do with the rest of the server, beyond the
 * table: the replication role and emptying the dataset.
 */
export interface ClusterActions {
  /** Becomes a replica of host:port (replicationSetMaster). */
  replicate(host: string, port: number): void;
  /** Becomes a master again (replicationUnsetMaster). */
  unsetMaster(): void;
  /** Empties every database (emptyData). */
  flushAll(): void;
}

/** The per-client cluster state: READONLY and ASKING (CLIENT_READONLY, CLIENT_ASKING). */
declare module "../../core/types.ts" {
  interface ClientExtensions {
    clusterReadonly?: boolean;
    clusterAsking?: boolean;
  }
}

/** `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try CLUSTER HELP.` */
function subcommandSyntax(argv: Bytes[]): ReplyError {
  return new ReplyError(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1]!.slice(0, 128)}'. Try ${
      argv[0]!.toUpperCase()
    } HELP.`,
  );
}

/** getSlotOrReply. */
function slotArg(s: Bytes): number {
  const n = parseInteger(s);
  if (n === undefined || n < 0 || n >= CLUSTER_SLOTS) {
    throw new ReplyError("ERR Invalid or out of range slot");
  }
  return n;
}

/** getLongLongFromObjectOrReply. */
function llArg(s: Bytes): number {
  const n = parseInteger(s);
  if (n === undefined) throw new ReplyError(Err.notInteger);
  return n;
}

function unknownNode(name: Bytes): ReplyError {
  return new ReplyError(`ERR Unknown node ${name}`);
}

/** Marks `slots` as given once each, refusing busy or unassigned ones (checkSlotAssignmentsOrReply). */
function checkSlots(
  cl: Cluster,
  marks: Uint8Array,
  del: boolean,
  start: number,
  end: number,
): void {
  for (let s = start; s <= end; s++) {
    const owner = cl.state.slots[s];
    if (del && owner === undefined) throw new ReplyError(`ERR Slot ${s} is already unassigned`);
    if (!del && owner !== undefined) throw new ReplyError(`ERR Slot ${s} is already busy`);
    if (marks[s]!++ === 1) throw new ReplyError(`ERR Slot ${s} specified multiple times`);
  }
}

/** Applies the checked slots (clusterUpdateSlots). */
function updateSlots(cl: Cluster, marks: Uint8Array, del: boolean): void {
  const st = cl.state;
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    if (marks[j] === 0) continue;
    // Now the real owner: an import into it is over.
    st.importingSlotsFrom[j] = undefined;
    if (del) st.delSlot(j);
    else st.addSlot(st.myself, j);
  }
  st.markTodo(Todo.UPDATE_STATE | Todo.SAVE_CONFIG);
}

/** CLUSTER INFO's text. */
export function clusterInfoText(cl: Cluster): string {
  const st = cl.state;
  let assigned = 0, ok = 0, pfail = 0, fail = 0;
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    const n = st.slots[j];
    if (n === undefined) continue;
    assigned++;
    if (n.failed) fail++;
    else if (n.timedOut) pfail++;
    else ok++;
  }
  const me = st.myself;
  let s = `cluster_state:${st.state}\r\n` +
    `cluster_slots_assigned:${assigned}\r\n` +
    `cluster_slots_ok:${ok}\r\n` +
    `cluster_slots_pfail:${pfail}\r\n` +
    `cluster_slots_fail:${fail}\r\n` +
    `cluster_known_nodes:${st.nodes.size}\r\n` +
    `cluster_size:${st.size}\r\n` +
    `cluster_current_epoch:${st.currentEpoch}\r\n` +
    `cluster_my_epoch:${shownEpoch(me)}\r\n`;
  for (const [dir, counts] of [["sent", st.stats.sent], ["received", st.stats.received]] as const) {
    let total = 0;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0) continue;
      total += counts[i]!;
      s += `cluster_stats_messages_${MSG_TYPE_NAMES[i]}_${dir}:${counts[i]}\r\n`;
    }
    s += `cluster_stats_messages_${dir}:${total}\r\n`;
  }
  s += `total_cluster_links_buffer_limit_exceeded:${st.stats.linksBufferLimitExceeded}\r\n`;
  return s;
}

/** CLUSTER LINKS: a map per link, each node's outbound link then its inbound one. */
function replyLinks(c: Context, cl: Cluster): void {
  const links = [];
  for (const n of cl.state.nodes.values()) {
    if (n.link !== undefined) links.push(n.link);
    if (n.inboundLink !== undefined) links.push(n.inboundLink);
  }
  const r = c.reply;
  r.array(links.length);
  for (const l of links) {
    r.map(6);
    r.bulk("direction");
    r.bulk(l.inbound ? "from" : "to");
    r.bulk("node");
    r.bulk(l.node?.name ?? "");
    r.bulk("create-time");
    r.integer(l.ctime);
    r.bulk("events");
    r.bulk(l.events);
    r.bulk("send-buffer-allocated");
    r.integer(l.sendBufferAllocated);
    r.bulk("send-buffer-used");
    r.integer(l.sendBufferUsed);
  }
}

/** Replies the replicas of a master, a CLUSTER NODES line each. */
function replyReplicas(c: Context, cl: Cluster, name: Bytes): void {
  const n = cl.state.lookup(name);
  if (n === undefined) throw unknownNode(name);
  if (n.isReplica) throw new ReplyError("ERR The specified node is not a master");
  c.reply.array(n.replicas.length);
  for (const r of n.replicas) c.reply.bulk(nodeDescription(cl.state, r));
}

type Handler = (c: Context, argv: Bytes[], cl: Cluster, act: ClusterActions) => void;

const handlers: Record<string, Handler> = {
  help: (c, argv) => replyHelp(c, argv, HELP),
  meet(c, argv, cl) {
    if (argv.length !== 4 && argv.length !== 5) throw subcommandSyntax(argv);
    const port = parseInteger(argv[3]!);
    if (port === undefined) {
      throw new ReplyError(`ERR Invalid TCP base port specified: ${argv[3]}`);
    }
    let cport = port + CLUSTER_PORT_INCR;
    if (argv.length === 5) {
      const p = parseInteger(argv[4]!);
      if (p === undefined) throw new ReplyError(`ERR Invalid TCP bus port specified: ${argv[4]}`);
      cport = p;
    }
    const ip = byteStringToUtf8(argv[2]!);
    // node:net at the first MEET, not at start-up: see core/node_builtin.ts.
    const { isIP } = nodeBuiltin<typeof import("node:net")>("node:net");
    const valid = isIP(ip) !== 0 && port > 0 && port <= 65535 && cport > 0 && cport <= 65535;
    if (!valid || (cl.bus !== undefined && !cl.bus.meet(ip, port, cport))) {
      throw new ReplyError(`ERR Invalid node address specified: ${argv[2]}:${argv[3]}`);
    }
    c.reply.ok();
  },
  nodes(c, _argv, cl) {
    c.reply.verbatim(nodesDescription(cl.state), "txt");
  },
  myid(c, _argv, cl) {
    c.reply.bulk(cl.state.myself.name);
  },
  slots: (c, _argv, cl) => replySlots(c, cl),
  shards: (c, _argv, cl) => replyShards(c, cl),
  flushslots(c, _argv, cl) {
    if (c.server.keyspace.db(0).size !== 0) {
      throw new ReplyError("ERR DB must be empty to perform CLUSTER FLUSHSLOTS.");
    }
    cl.state.delNodeSlots(cl.state.myself);
    cl.state.markTodo(Todo.UPDATE_STATE | Todo.SAVE_CONFIG);
    c.reply.ok();
  },
  addslots: (c, argv, cl) => slotsCommand(c, argv, cl, false, false),
  delslots: (c, argv, cl) => slotsCommand(c, argv, cl, true, false),
  addslotsrange: (c, argv, cl) => slotsCommand(c, argv, cl, false, true),
  delslotsrange: (c, argv, cl) => slotsCommand(c, argv, cl, true, true),
  bumpepoch(c, _argv, cl) {
    const bumped = bumpEpoch(c, cl);
    c.reply.simple(`${bumped ? "BUMPED" : "STILL"} ${cl.state.myself.configEpoch}`);
  },
  "set-config-epoch"(c, argv, cl) {
    const epoch = llArg(argv[2]!);
    const st = cl.state;
    if (epoch < 0) throw new ReplyError(`ERR Invalid config epoch specified: ${epoch}`);
    if (st.nodes.size > 1) {
      throw new ReplyError(
        "ERR The user can assign a config epoch only when the node does not know any other node.",
      );
    }
    if (st.myself.configEpoch !== 0) {
      throw new ReplyError("ERR Node config epoch is already non-zero");
    }
    st.myself.configEpoch = epoch;
    c.server.log("warning", `configEpoch set to ${epoch} via CLUSTER SET-CONFIG-EPOCH`);
    if (st.currentEpoch < epoch) st.currentEpoch = epoch;
    st.markTodo(Todo.UPDATE_STATE | Todo.SAVE_CONFIG);
    c.reply.ok();
  },
  info(c, _argv, cl) {
    c.reply.verbatim(clusterInfoText(cl), "txt");
  },
  saveconfig(c, _argv, cl) {
    if (!cl.saveConfig()) {
      throw new ReplyError(`ERR error saving the cluster node config: ${cl.lastSaveError}`);
    }
    c.reply.ok();
  },
  keyslot(c, argv) {
    c.reply.integer(keyHashSlot(argv[2]!));
  },
  countkeysinslot(c, argv, cl) {
    const slot = llArg(argv[2]!);
    if (slot < 0 || slot >= CLUSTER_SLOTS) throw new ReplyError("ERR Invalid slot");
    c.reply.integer(cl.countKeysInSlot(slot));
  },
  getkeysinslot(c, argv, cl) {
    const slot = llArg(argv[2]!);
    const max = llArg(argv[3]!);
    if (slot < 0 || slot >= CLUSTER_SLOTS || max < 0) {
      throw new ReplyError("ERR Invalid slot or number of keys");
    }
    c.reply.bulkArray(cl.keysInSlot(slot, max));
  },
  forget(c, argv, cl) {
    const st = cl.state;
    const n = st.lookup(argv[2]!);
    if (n === undefined) throw unknownNode(argv[2]!);
    if (n === st.myself) throw new ReplyError("ERR I tried hard but I can't forget myself...");
    if (st.myself.isReplica && st.myself.replicaOf === n) {
      throw new ReplyError("ERR Can't forget my master!");
    }
    st.blacklistAdd(n.name, Math.floor(c.server.clock.now() / 1000));
    st.deleteNode(n);
    st.markTodo(Todo.UPDATE_STATE | Todo.SAVE_CONFIG);
    c.reply.ok();
  },
  replicate(c, argv, cl, act) {
    const st = cl.state, me = st.myself;
    const n = st.lookup(argv[2]!);
    if (n === undefined) throw unknownNode(argv[2]!);
    if (n === me) throw new ReplyError("ERR Can't replicate myself");
    if (n.isReplica) throw new ReplyError("ERR I can only replicate a master, not a replica.");
    if (me.isMaster && (me.numslots !== 0 || c.server.keyspace.db(0).size !== 0)) {
      throw new ReplyError(
        "ERR To set a master the node must be empty and without assigned slots.",
      );
    }
    setMaster(cl, act, n);
    st.markTodo(Todo.UPDATE_STATE | Todo.SAVE_CONFIG);
    c.reply.ok();
  },
  slaves: (c, argv, cl) => replyReplicas(c, cl, argv[2]!),
  replicas: (c, argv, cl) => replyReplicas(c, cl, argv[2]!),
  "count-failure-reports"(c, argv, cl) {
    const n = cl.state.lookup(argv[2]!);
    if (n === undefined) throw unknownNode(argv[2]!);
    c.reply.integer(n.failureReportsCount(c.server.clock.now(), cl.cfg.nodeTimeout));
  },
  reset(c, argv, cl, act) {
    if (argv.length > 3) throw subcommandSyntax(argv);
    let hard = false;
    if (argv.length === 3) {
      const m = argv[2]!.toLowerCase();
      if (m === "hard") hard = true;
      else if (m !== "soft") throw new ReplyError(Err.syntax);
    }
    const me = cl.state.myself;
    if (me.isMaster && c.db.size !== 0) {
      throw new ReplyError("ERR CLUSTER RESET can't be called with master nodes containing keys");
    }
    if (me.isReplica) {
      cl.state.setNodeAsMaster(me);
      act.unsetMaster();
      act.flushAll();
    }
    cl.reset(hard);
    c.reply.ok();
  },
  links: (c, _argv, cl) => replyLinks(c, cl),
  failover(c, argv, cl, act) {
    if (argv.length > 3) throw subcommandSyntax(argv);
    let force = false, takeover = false;
    if (argv.length === 3) {
      const m = argv[2]!.toLowerCase();
      if (m === "force") force = true;
      else if (m === "takeover") takeover = force = true;
      else throw new ReplyError(Err.syntax);
    }
    const st = cl.state, me = st.myself, master = me.replicaOf;
    if (me.isMaster) throw new ReplyError("ERR You should send CLUSTER FAILOVER to a replica");
    if (master === undefined) {
      throw new ReplyError("ERR I'm a replica but my master is unknown to me");
    }
    if (!force && (master.failed || master.link === undefined)) {
      throw new ReplyError("ERR Master is down or failed, please use CLUSTER FAILOVER FORCE");
    }
    if (!takeover) {
      // The replica's own election, agreed with its master unless FORCE.
      startClusterFailover(cl, force);
      c.reply.ok();
      return;
    }
    // A takeover asks nobody: a new epoch, the master's slots, and the
    // news to every node (clusterFailoverReplaceYourMaster).
    c.server.log("warning", "Taking over the master (user request).");
    bumpEpoch(c, cl);
    st.setNodeAsMaster(me);
    act.unsetMaster();
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (!master.hasSlot(j)) continue;
      st.delSlot(j);
      st.addSlot(me, j);
    }
    cl.updateState();
    cl.saveConfig();
    cl.bus?.broadcastPong();
    st.mfEnd = 0;
    st.mfReplica = undefined;
    st.mfCanStart = false;
    st.mfMasterOffset = -1;
    c.reply.ok();
  },
  setslot(c, argv, cl, act) {
    const st = cl.state, me = st.myself;
    if (me.isReplica) throw new ReplyError("ERR Please use SETSLOT only with masters.");
    const slot = slotArg(argv[2]!);
    const action = argv[3]!.toLowerCase();
    const target = (unknown: string): ClusterNode => {
      const n = st.lookup(argv[4]!);
      if (n === undefined) throw new ReplyError(`ERR ${unknown} ${argv[4]}`);
      if (n.isReplica) throw new ReplyError("ERR Target node is not a master");
      return n;
    };
    if (action === "migrating" && argv.length === 5) {
      if (st.slots[slot] !== me) throw new ReplyError(`ERR I'm not the owner of hash slot ${slot}`);
      st.migratingSlotsTo[slot] = target("I don't know about node");
    } else if (action === "importing" && argv.length === 5) {
      if (st.slots[slot] === me) {
        throw new ReplyError(`ERR I'm already the owner of hash slot ${slot}`);
      }
      st.importingSlotsFrom[slot] = target("I don't know about node");
    } else if (action === "stable" && argv.length === 4) {
      st.importingSlotsFrom[slot] = undefined;
      st.migratingSlotsTo[slot] = undefined;
    } else if (action === "node" && argv.length === 5) {
      const n = target("Unknown node");
      const keys = cl.countKeysInSlot(slot);
      if (st.slots[slot] === me && n !== me && keys !== 0) {
        throw new ReplyError(
          `ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`,
        );
      }
      // A migration whose keys are all gone ends with the slot's new owner.
      if (keys === 0) st.migratingSlotsTo[slot] = undefined;
      const wasMine = st.slots[slot] === me;
      st.delSlot(slot);
      st.addSlot(n, slot);
      // A master left without slots follows the slots' new owner.
      if (wasMine && n !== me && me.numslots === 0 && cl.cfg.allowReplicaMigration) {
        c.server.log(
          "warning",
          `Configuration change detected. Reconfiguring myself as a replica of ${n.name}`,
        );
        setMaster(cl, act, n);
        st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG);
      }
      if (n === me && st.importingSlotsFrom[slot] !== undefined) {
        // A slot moved by hand: a new epoch makes this node's claim win.
        if (bumpEpoch(c, cl)) {
          c.server.log("warning", `configEpoch updated after importing slot ${slot}`);
        }
        st.importingSlotsFrom[slot] = undefined;
        cl.bus?.broadcastPong();
      }
    } else {
      throw new ReplyError(
        "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP",
      );
    }
    st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
    c.reply.ok();
  },
};

/**
 * A new configEpoch for this node when it has none or is not the highest
 * (clusterBumpConfigEpochWithoutConsensus); false when it kept its own.
 */
function bumpEpoch(c: Context, cl: Cluster): boolean {
  const st = cl.state, me = st.myself;
  if (me.configEpoch !== 0 && me.configEpoch === st.maxEpoch()) return false;
  st.currentEpoch++;
  me.configEpoch = st.currentEpoch;
  st.markTodo(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG);
  c.server.log("warning", `New configEpoch set to ${me.configEpoch}`);
  return true;
}

/** clusterSetMaster: this node becomes a replica of `n`. */
export function setMaster(cl: Cluster, act: ClusterActions, n: ClusterNode): void {
  const st = cl.state, me = st.myself;
  if (me.isMaster) {
    // clusterCloseAllSlots.
    st.migratingSlotsTo.fill(undefined);
    st.importingSlotsFrom.fill(undefined);
  }
  st.setReplicaOf(me, n);
  act.replicate(n.ip, n.port);
  st.mfEnd = 0;
  st.mfReplica = undefined;
  st.mfCanStart = false;
  st.mfMasterOffset = -1;
}

/** ADDSLOTS, DELSLOTS and their RANGE forms. */
function slotsCommand(c: Context, argv: Bytes[], cl: Cluster, del: boolean, range: boolean) {
  const marks = new Uint8Array(CLUSTER_SLOTS);
  if (range) {
    if (argv.length % 2 === 1) throw new ReplyError(Err.arity(`cluster|${argv[1]!.toLowerCase()}`));
    for (let j = 2; j < argv.length; j += 2) {
      const start = slotArg(argv[j]!), end = slotArg(argv[j + 1]!);
      if (start > end) {
        throw new ReplyError(
          `ERR start slot number ${start} is greater than end slot number ${end}`,
        );
      }
      checkSlots(cl, marks, del, start, end);
    }
  } else {
    for (let j = 2; j < argv.length; j++) {
      const s = slotArg(argv[j]!);
      checkSlots(cl, marks, del, s, s);
    }
  }
  updateSlots(cl, marks, del);
  c.reply.ok();
}

/**
 * The commands, bound to the cluster runtime (`undefined` with cluster mode
 * off, when each answers {@link DISABLED}).
 */
export function clusterCommands(
  cluster: () => Cluster | undefined,
  act: ClusterActions,
  extra: Record<string, Handler> = {},
): CommandSpec[] {
  const bind = (h: Handler | undefined): CommandHandler => (c, argv) => {
    const cl = cluster();
    if (cl === undefined) throw new ReplyError(DISABLED);
    if (h === undefined) throw subcommandSyntax(argv);
    h(c, argv, cl, act);
  };
  const flags: Record<FlagCommand, (c: Context) => void> = {
    readonly(c) {
      c.ext.clusterReadonly = true;
    },
    readwrite(c) {
      c.ext.clusterReadonly = false;
    },
    asking(c) {
      c.ext.clusterAsking = true;
    },
  };
  return commandTable(
    (name) => bind(extra[name] ?? handlers[name]),
    (name) => (c) => {
      if (cluster() === undefined) throw new ReplyError(DISABLED);
      flags[name](c);
      c.reply.ok();
    },
  );
}
