/**
 * nodes.conf and CLUSTER NODES, which share one format
 * (clusterGenNodesDescription): a line per node, then, in the file only,
 * `vars currentEpoch N lastVoteEpoch M`. Parsing follows clusterLoadConfig,
 * so a file Redis 7.0 wrote loads here and the other way round.
 *
 * @module
 */

import { writeFileAtomicSync } from "../../core/atomic_file.ts";
import { splitArgs } from "../../core/config.ts";
import {
  CLUSTER_SLOTS,
  ClusterNode,
  ClusterState,
  NODE_FLAG_NAMES,
  NodeFlag,
  randomNodeName,
} from "./_state.ts";
import { CLUSTER_PORT_INCR } from "./_config.ts";

/** Flags as CLUSTER NODES prints them (representClusterNodeFlags). */
export function flagsText(flags: number): string {
  const names: string[] = [];
  for (const [bit, name] of NODE_FLAG_NAMES) if (flags & bit) names.push(name);
  return names.length === 0 ? "noflags" : names.join(",");
}

/** Slot ranges of a node: `[start, end]` pairs, ascending. */
export function slotRanges(node: ClusterNode): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let j = 0; j <= CLUSTER_SLOTS; j++) {
    const has = j < CLUSTER_SLOTS && node.hasSlot(j);
    if (has && start < 0) start = j;
    if (!has && start >= 0) {
      out.push([start, j - 1]);
      start = -1;
    }
  }
  return out;
}

/** The epoch shown for a node: its master's for a replica (nodeEpoch). */
export function shownEpoch(node: ClusterNode): number {
  return node.isReplica && node.replicaOf !== undefined
    ? node.replicaOf.configEpoch
    : node.configEpoch;
}

/**
 * One node's line, without the newline (clusterGenNodeDescription):
 * `<id> <ip:port@cport[,hostname]> <flags> <master|-> <ping-sent>
 * <pong-recv> <config-epoch> <link-state> <slots...>`; this node's own line
 * also lists its open migrations as `[slot->-id]` and `[slot-<-id]`.
 *
 * @example
 * ```ts
 * import { ClusterNode, ClusterState, NodeFlag } from "./_state.ts";
 * import { nodeDescription } from "./_nodes_conf.ts";
 * const me = new ClusterNode("a".repeat(40), NodeFlag.MYSELF | NodeFlag.MASTER, 0);
 * me.port = 7000;
 * me.cport = 17000;
 * const st = new ClusterState(me);
 * for (let s = 0; s <= 5; s++) st.addSlot(me, s);
 * st.addSlot(me, 9);
 * console.log(nodeDescription(st, me));
 * // "aaaa...aaaa :7000@17000 myself,master - 0 0 0 connected 0-5 9"
 * ```
 */
export function nodeDescription(st: ClusterState, node: ClusterNode): string {
  let s = `${node.name} ${node.ip}:${node.port}@${node.cport}`;
  if (node.hostname !== "") s += `,${node.hostname}`;
  s += ` ${flagsText(node.flags)} ${node.replicaOf !== undefined ? node.replicaOf.name : "-"}`;
  const linked = node.link !== undefined || node.isMyself;
  s += ` ${node.pingSent} ${node.pongReceived} ${shownEpoch(node)} ${
    linked ? "connected" : "disconnected"
  }`;
  for (const [a, b] of slotRanges(node)) s += a === b ? ` ${a}` : ` ${a}-${b}`;
  if (node.isMyself) {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      const to = st.migratingSlotsTo[j];
      if (to !== undefined) s += ` [${j}->-${to.name}]`;
      const from = st.importingSlotsFrom[j];
      if (from !== undefined) s += ` [${j}-<-${from.name}]`;
    }
  }
  return s;
}

/**
 * Every node's line, each ending in a newline, leaving out nodes with any
 * of the `filter` flags (the file leaves out handshakes).
 */
export function nodesDescription(st: ClusterState, filter = 0): string {
  let s = "";
  for (const n of st.nodes.values()) {
    if (n.flags & filter) continue;
    s += nodeDescription(st, n) + "\n";
  }
  return s;
}

/** The whole nodes.conf text (clusterSaveConfig's content). */
export function nodesConfText(st: ClusterState): string {
  return nodesDescription(st, NodeFlag.HANDSHAKE) +
    `vars currentEpoch ${st.currentEpoch} lastVoteEpoch ${st.lastVoteEpoch}\n`;
}

/** Writes nodes.conf atomically and fsynced; throws on failure. */
export function saveNodesConf(path: string, st: ClusterState): void {
  writeFileAtomicSync(path, new TextEncoder().encode(nodesConfText(st)));
}

/** A nodes.conf that cannot be used (Redis exits with this). */
export class NodesConfError extends Error {
  /** @param line the line that could not be read */
  constructor(readonly line: string) {
    super("Unrecoverable error: corrupted cluster config file.");
  }
}

const FLAG_BITS: Record<string, number> = {
  myself: NodeFlag.MYSELF,
  master: NodeFlag.MASTER,
  slave: NodeFlag.SLAVE,
  "fail?": NodeFlag.PFAIL,
  fail: NodeFlag.FAIL,
  handshake: NodeFlag.HANDSHAKE,
  noaddr: NodeFlag.NOADDR,
  nofailover: NodeFlag.NOFAILOVER,
  noflags: 0,
};

const NUMERIC = /^\d+$/;

/** A node by name, created (with no flags) when first named. */
function nodeNamed(
  nodes: Map<string, ClusterNode>,
  name: string,
  now: number,
  line: string,
): ClusterNode {
  if (name.length !== 40) throw new NodesConfError(line);
  let n = nodes.get(name);
  if (n === undefined) {
    n = new ClusterNode(name, 0, now);
    nodes.set(name, n);
  }
  return n;
}

/**
 * Reads a nodes.conf text into a table (clusterLoadConfig). Returns
 * undefined for an empty file (a new node then creates its own); throws
 * {@link NodesConfError} for a malformed one, or one without `myself`.
 *
 * @example
 * ```ts
 * import { parseNodesConf } from "./_nodes_conf.ts";
 * const st = parseNodesConf(
 *   "a".repeat(40) + " 127.0.0.1:7000@17000 myself,master - 0 0 3 connected 0-99\n" +
 *     "vars currentEpoch 5 lastVoteEpoch 0\n",
 *   Date.now(),
 * )!;
 * console.log(st.myself.configEpoch, st.currentEpoch, st.myself.numslots); // 3 5 100
 * ```
 */
export function parseNodesConf(text: string, now: number): ClusterState | undefined {
  const nodes = new Map<string, ClusterNode>();
  let myself: ClusterNode | undefined;
  let currentEpoch = 0, lastVoteEpoch = 0;
  const slotLines: [ClusterNode, string[], string][] = [];
  let any = false;
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue;
    any = true;
    const argv = splitArgs(raw);
    if (argv === undefined || argv.length === 0) throw new NodesConfError(raw);
    if (argv[0]!.toLowerCase() === "vars") {
      for (let j = 1; j + 1 < argv.length; j += 2) {
        const k = argv[j]!.toLowerCase(), v = argv[j + 1]!;
        if (!NUMERIC.test(v)) throw new NodesConfError(raw);
        if (k === "currentepoch") currentEpoch = Number(v);
        else if (k === "lastvoteepoch") lastVoteEpoch = Number(v);
      }
      continue;
    }
    if (argv.length < 8) throw new NodesConfError(raw);
    const n = nodeNamed(nodes, argv[0]!, now, raw);
    // ip:port@cport[,hostname]; the ip may hold colons (IPv6).
    const addr = argv[1]!;
    const colon = addr.lastIndexOf(":");
    if (colon < 0) throw new NodesConfError(raw);
    n.ip = addr.slice(0, colon);
    let rest = addr.slice(colon + 1);
    const comma = rest.indexOf(",");
    n.hostname = comma < 0 ? "" : rest.slice(comma + 1);
    if (comma >= 0) rest = rest.slice(0, comma);
    const at = rest.indexOf("@");
    const port = at < 0 ? rest : rest.slice(0, at);
    if (!NUMERIC.test(port) || (at >= 0 && !NUMERIC.test(rest.slice(at + 1)))) {
      throw new NodesConfError(raw);
    }
    n.port = Number(port);
    n.cport = at < 0 ? n.port + CLUSTER_PORT_INCR : Number(rest.slice(at + 1));
    for (const f of argv[2]!.split(",")) {
      const bit = FLAG_BITS[f.toLowerCase()];
      if (bit === undefined) throw new NodesConfError(raw);
      if (bit === NodeFlag.MYSELF) {
        if (myself !== undefined) throw new NodesConfError(raw);
        myself = n;
      }
      if (bit === NodeFlag.FAIL) n.failTime = now;
      n.flags |= bit;
    }
    if (argv[3] !== "-") {
      const master = nodeNamed(nodes, argv[3]!, now, raw);
      n.replicaOf = master;
      master.addReplica(n);
    }
    if (!NUMERIC.test(argv[4]!) || !NUMERIC.test(argv[5]!) || !NUMERIC.test(argv[6]!)) {
      throw new NodesConfError(raw);
    }
    if (Number(argv[4]) !== 0) n.pingSent = now;
    if (Number(argv[5]) !== 0) n.pongReceived = now;
    n.configEpoch = Number(argv[6]);
    slotLines.push([n, argv.slice(8), raw]);
  }
  if (!any) return undefined;
  if (myself === undefined) throw new NodesConfError("no myself");
  const st = new ClusterState(myself);
  for (const n of nodes.values()) st.addNode(n);
  for (const [n, slots, raw] of slotLines) {
    for (const arg of slots) {
      const mig = /^\[(\d+)-([<>])-([0-9a-fA-F]{40})\]$/.exec(arg);
      if (mig !== null) {
        const slot = Number(mig[1]);
        if (slot >= CLUSTER_SLOTS) throw new NodesConfError(raw);
        const other = st.lookup(mig[3]!) ?? nodeNamed(st.nodes, mig[3]!, now, raw);
        if (mig[2] === ">") st.migratingSlotsTo[slot] = other;
        else st.importingSlotsFrom[slot] = other;
        continue;
      }
      const range = /^(\d+)(?:-(\d+))?$/.exec(arg);
      if (range === null) throw new NodesConfError(raw);
      const start = Number(range[1]), stop = Number(range[2] ?? range[1]);
      if (start > stop || stop >= CLUSTER_SLOTS) throw new NodesConfError(raw);
      for (let j = start; j <= stop; j++) st.addSlot(n, j);
    }
  }
  st.currentEpoch = currentEpoch;
  st.lastVoteEpoch = lastVoteEpoch;
  // Protection against a hand-edited file (as Redis does).
  const max = st.maxEpoch();
  if (max > st.currentEpoch) st.currentEpoch = max;
  return st;
}

/** A new table holding only this node, a master with a random name. */
export function freshState(now: number): ClusterState {
  const me = new ClusterNode(randomNodeName(), NodeFlag.MYSELF | NodeFlag.MASTER, now);
  return new ClusterState(me);
}
