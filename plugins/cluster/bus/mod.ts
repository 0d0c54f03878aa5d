/**
 * The cluster bus, byte-compatible with Redis 7.0's: the binary messages
 * (`_messages.ts`), links (`_link.ts`), the listener, sending and the cron
 * (`_bus.ts`) and what received messages do (`_process.ts`).
 * {@link startClusterBus} starts it for a node's cluster runtime.
 *
 * @module
 */

import { PauseLevel } from "../../../core/pause.ts";
import type { Cluster } from "../_cluster.ts";
import type { ClusterNode } from "../_state.ts";
import { Bus, type BusHost, startBus } from "./_bus.ts";
import { startManualFailover } from "./_failover.ts";

export { Bus, type BusHost, startBus };

/** What the bus asks of the node beyond its runtime. */
export interface ClusterBusActions {
  /** This node becomes a replica of `master` (clusterSetMaster, replication included). */
  setMaster(master: ClusterNode): void;
}

/**
 * Starts the bus of `cluster`'s node on its bus port: binds it (throws
 * when it cannot, as Redis refuses to start) and starts the cron that
 * connects to every known node.
 *
 * @example
 * ```ts
 * import { startServer } from "../../../mod.ts";
 * const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const busPort = (probe.addr as Deno.NetAddr).port;
 * probe.close();
 * const dir = Deno.makeTempDirSync();
 * const s = await startServer({
 *   port: 0,
 *   config: { "cluster-enabled": "yes", "cluster-port": String(busPort), dir },
 *   logger: () => {},
 * });
 * // Other nodes connect to the bus port (CLUSTER MEET's third argument).
 * (await Deno.connect({ hostname: "127.0.0.1", port: busPort })).close();
 * await s.close();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export function startClusterBus(cluster: Cluster, actions: ClusterBusActions): Bus {
  const server = cluster.server;
  const cfg = cluster.cfg;
  const host: BusHost = {
    state: () => cluster.state,
    bindAddrs: server.config.get("bind").split(" ").filter((a) => a !== ""),
    busPort: cfg.busPort,
    nodeTimeout: () => cfg.nodeTimeout,
    announced: () => ({
      ip: cfg.announceIp,
      port: cfg.announcedPort,
      pport: 0,
      cport: cfg.announcedBusPort,
      hostname: cfg.announceHostname,
    }),
    replOffset() {
      // A replica's is what it processed of its master's stream (replicationGetSlaveOffset).
      const info = server.pluginInfo("replication");
      const field = info["role"] === "slave" ? "slave_repl_offset" : "master_repl_offset";
      return Number(info[field] ?? 0);
    },
    replicaDataAge() {
      const info = server.pluginInfo("replication");
      if (info["role"] !== "slave") return 0;
      if (info["master_link_status"] === "up") {
        return Number(info["master_last_io_seconds_ago"] ?? 0) * 1000;
      }
      const down = Number(info["master_link_down_since_seconds"] ?? -1);
      // Never connected: as old as can be (Redis's repl_down_since 0).
      return down < 0 ? Number.MAX_SAFE_INTEGER : down * 1000;
    },
    unsetMaster: () => server.service("replication")?.unsetMaster(),
    replicaValidityFactor: () => cfg.replicaValidityFactor,
    replPingReplicaPeriod: () => server.config.number("repl-ping-replica-period"),
    migrationBarrier: () => cfg.migrationBarrier,
    replicaNoFailover: () => cfg.replicaNoFailover,
    deliver(channel, message, shard) {
      const pubsub = server.service("pubsub");
      if (shard) pubsub?.publishShard(channel, message);
      else pubsub?.publish(channel, message);
    },
    setMaster: (master) => actions.setMaster(master),
    resumeReplication(master) {
      // role:master while flagged a replica: replication is off (Redis's masterhost == NULL).
      if (server.pluginInfo("replication")["role"] !== "master") return;
      server.service("replication")?.setMaster(master.ip, master.port);
    },
    deleteKeysInSlot(slot) {
      // As commands, so replicas, the AOF and keyspace events see the deletions.
      const del = server.commands.get("del");
      if (del === undefined) return;
      const c = server.createInternalClient();
      for (const key of cluster.keysInSlot(slot)) server.runCommand(c, del, ["DEL", key]);
    },
    pauseWrites: (end) => server.keyspace.pause.start(PauseLevel.WRITE, end, "failover"),
    unpauseWrites: () => server.keyspace.pause.stop("failover"),
    allowReplicaMigration: () => cfg.allowReplicaMigration,
    linkSendbufLimit: () => cfg.linkSendbufLimit,
    beforeSleep: () => cluster.beforeSleep(),
    log: (level, msg) => server.log(level, msg),
  };
  try {
    return startBus(host);
  } catch (e) {
    // Redis's words (its test suite matches them).
    server.log("warning", `Failed listening on port ${host.busPort} (cluster), aborting.`);
    throw e;
  }
}

/**
 * CLUSTER FAILOVER without TAKEOVER on a replica whose preconditions the
 * command checked: FORCE starts the election at once; otherwise the master
 * pauses its writers (MFSTART) and the election starts once this replica
 * has processed everything the master wrote.
 *
 * @example
 * ```ts
 * import { startClusterFailover } from "./mod.ts";
 * // In the CLUSTER FAILOVER handler, after its checks:
 * // startClusterFailover(cluster, force);
 * console.log(typeof startClusterFailover); // "function"
 * ```
 */
export function startClusterFailover(cluster: Cluster, force: boolean): void {
  if (cluster.bus instanceof Bus) startManualFailover(cluster.bus, force);
}
