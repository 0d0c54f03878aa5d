/**
 * CLUSTER SLOTS and CLUSTER SHARDS, the replies cluster clients build
 * their slot maps from (clusterReplyMultiBulkSlots, clusterReplyShards).
 *
 * @module
 */

import type { Context } from "../../core/types.ts";
import type { Cluster } from "./_cluster.ts";
import { CLUSTER_SLOTS, type ClusterNode } from "./_state.ts";
import { slotRanges } from "./_nodes_conf.ts";

/** This node's replication offset: its master's stream read, or its own. */
function myOffset(c: Context, node: ClusterNode): number {
  const info = c.server.pluginInfo("replication");
  const v = node.isReplica ? info["slave_repl_offset"] : info["master_repl_offset"];
  return Number(v ?? 0);
}

function offsetOf(c: Context, node: ClusterNode): number {
  return node.isMyself ? myOffset(c, node) : node.replOffset;
}

/** A replica worth listing: not failed, and not without data (isReplicaAvailable). */
function replicaAvailable(c: Context, node: ClusterNode): boolean {
  if (node.failed) return false;
  return offsetOf(c, node) !== 0;
}

/** The endpoint clients are told (getPreferredEndpoint). */
export function preferredEndpoint(cl: Cluster, node: ClusterNode): string {
  switch (cl.cfg.preferredEndpointType) {
    case "hostname":
      return node.hostname !== "" ? node.hostname : "?";
    case "unknown-endpoint":
      return "";
    default:
      return node.ip;
  }
}

/** One node of a CLUSTER SLOTS range: endpoint, port, id, other networking metadata. */
function replyNode(c: Context, cl: Cluster, node: ClusterNode): void {
  const r = c.reply;
  const type = cl.cfg.preferredEndpointType;
  r.array(4);
  if (type === "ip") r.bulk(node.ip);
  else if (type === "hostname") r.bulk(node.hostname !== "" ? node.hostname : "?");
  else r.nullBulk();
  r.integer(node.port);
  r.bulk(node.name);
  const ip = type !== "ip";
  const host = type !== "hostname" && node.hostname !== "";
  r.map((ip ? 1 : 0) + (host ? 1 : 0));
  if (ip) {
    r.bulk("ip");
    r.bulk(node.ip);
  }
  if (host) {
    r.bulk("hostname");
    r.bulk(node.hostname);
  }
}

/** CLUSTER SLOTS: each run of slots with one owner, with the owner and its available replicas. */
export function replySlots(c: Context, cl: Cluster): void {
  const st = cl.state;
  const runs: [number, number, ClusterNode][] = [];
  let start = 0;
  let owner: ClusterNode | undefined = undefined;
  for (let j = 0; j <= CLUSTER_SLOTS; j++) {
    const n = j < CLUSTER_SLOTS ? st.slots[j] : undefined;
    if (n === owner) continue;
    if (owner !== undefined) runs.push([start, j - 1, owner]);
    owner = n;
    start = j;
  }
  const r = c.reply;
  r.array(runs.length);
  for (const [a, b, n] of runs) {
    const replicas = n.replicas.filter((x) => replicaAvailable(c, x));
    r.array(3 + replicas.length);
    r.integer(a);
    r.integer(b);
    replyNode(c, cl, n);
    for (const x of replicas) replyNode(c, cl, x);
  }
}

/** One node of a CLUSTER SHARDS shard (addNodeDetailsToShardReply). */
function replyShardNode(c: Context, cl: Cluster, node: ClusterNode): void {
  const r = c.reply;
  const offset = offsetOf(c, node);
  const fields: [string, string | number][] = [["id", node.name]];
  if (node.port !== 0) fields.push(["port", node.port]);
  fields.push(["ip", node.ip], ["endpoint", preferredEndpoint(cl, node)]);
  if (node.hostname !== "") fields.push(["hostname", node.hostname]);
  fields.push(
    ["role", node.isReplica ? "replica" : "master"],
    ["replication-offset", offset],
    ["health", node.failed ? "fail" : node.isReplica && offset === 0 ? "loading" : "online"],
  );
  r.map(fields.length);
  for (const [k, v] of fields) {
    r.bulk(k);
    if (typeof v === "number") r.integer(v);
    else r.bulk(v);
  }
}

/**
 * CLUSTER SHARDS: a shard per master, its slot ranges (start, end, ...),
 * then the master and its replicas.
 */
export function replyShards(c: Context, cl: Cluster): void {
  const masters = [...cl.state.nodes.values()].filter((n) => n.isMaster);
  const r = c.reply;
  r.array(masters.length);
  for (const m of masters) {
    r.map(2);
    r.bulk("slots");
    const ranges = slotRanges(m);
    r.array(ranges.length * 2);
    for (const [a, b] of ranges) {
      r.integer(a);
      r.integer(b);
    }
    r.bulk("nodes");
    const nodes = [m, ...m.replicas];
    r.array(nodes.length);
    for (const n of nodes) replyShardNode(c, cl, n);
  }
}
