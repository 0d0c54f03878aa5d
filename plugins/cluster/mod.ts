/**
 * Redis Cluster: with `cluster-enabled yes` the server is a cluster node
 * that Redis 7.0 nodes, `redis-cli --cluster` and cluster clients accept.
 *
 * - `_state.ts`: the node table (clusterNode, clusterState);
 * - `_nodes_conf.ts`: nodes.conf and CLUSTER NODES;
 * - `_cluster.ts`: one node's runtime (load, save, end-of-turn work);
 * - `_commands*.ts`: CLUSTER, READONLY, READWRITE, ASKING;
 * - `_slots.ts`: key hash slots; `_config.ts`: the `cluster-*` directives;
 * - `bus/`: the cluster bus (Redis's binary protocol between nodes).
 *
 * With cluster mode off the commands answer Redis's "cluster support
 * disabled" error and nothing else is armed.
 *
 * ```sh
 * deno task start --port 7000 --cluster-enabled yes
 * redis-cli -p 7000 CLUSTER ADDSLOTSRANGE 0 16383
 * redis-cli -p 7000 CLUSTER INFO
 * ```
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import type { Bytes, CommandEntry, Context, PluginInstance, ServerApi } from "../../core/types.ts";
import { Cluster } from "./_cluster.ts";
import { type ClusterActions, clusterCommands, setMaster } from "./_commands.ts";
import { startClusterBus } from "./bus/mod.ts";
import { Todo } from "./_state.ts";
import { clusterAdmission, redirectBlockedClients, scriptClusterCheck } from "./_redirect.ts";
import { keyHashSlot } from "./_slots.ts";
import { CLUSTER_PORT_INCR } from "./_config.ts";
import type {} from "../replication/mod.ts";
import type {} from "../pubsub/mod.ts";
import type {} from "../rdb/mod.ts";

/** What the cluster offers other plugins in cluster mode (the `cluster` service). */
export interface ClusterService {
  /**
   * Checks a command a script runs (Redis's scriptVerifyClusterState):
   * the error text refusing it, or undefined. `run` identifies the
   * script's run, whose keys must stay in one slot unless `crossSlot`.
   */
  scriptCheck(
    caller: Context,
    cmd: CommandEntry,
    argv: Bytes[],
    run: object,
    crossSlot: boolean,
  ): string | undefined;
}

declare module "../../core/types.ts" {
  interface Services {
    /** Cluster mode (cluster plugin); absent when `cluster-enabled` is no. */
    cluster: ClusterService;
  }
}

const PORT_TOO_HIGH = "Redis port number too high. Cluster communication port is 10,000 port " +
  "numbers higher than your Redis port. Your Redis port number must be 55535 or less.";

function init(server: ServerApi): PluginInstance {
  const enabled = server.config.bool("cluster-enabled");
  // Before nodes.conf is touched, as Redis checks it.
  if (
    enabled && server.config.number("cluster-port") === 0 &&
    server.config.number("port") > 65535 - CLUSTER_PORT_INCR
  ) {
    throw new Error(PORT_TOO_HIGH);
  }
  const cluster = enabled ? new Cluster(server) : undefined;
  const actions: ClusterActions = {
    replicate(host, port) {
      server.service("replication")?.setMaster(host, port);
    },
    unsetMaster() {
      server.service("replication")?.unsetMaster();
    },
    flushAll() {
      for (const db of server.keyspace.dbs) {
        if (db.size === 0) continue;
        db.clear();
        server.emitDatabaseChanged(db, "flush");
      }
    },
  };
  const commands = clusterCommands(() => cluster, actions);
  if (cluster === undefined) return { commands };
  // What this node announces follows CONFIG SET (once the ports are bound).
  let loaded = false;
  for (
    const name of [
      "cluster-announce-ip",
      "cluster-announce-port",
      "cluster-announce-bus-port",
      "cluster-announce-hostname",
      "cluster-replica-no-failover",
    ]
  ) {
    server.config.watch(name, () => {
      if (!loaded) return;
      cluster.updateMyself();
      cluster.state.markTodo(Todo.SAVE_CONFIG);
    });
  }
  const scriptSlots = new WeakMap<object, number>();
  server.provide("cluster", {
    scriptCheck: (caller, cmd, argv, run, crossSlot) =>
      scriptClusterCheck(cluster, scriptSlots, caller, cmd, argv, run, crossSlot),
  });
  const pubsub = server.service("pubsub");
  // Messages reach the other nodes over the bus; a slot that goes takes
  // its shard channels with it.
  pubsub?.relay((channel, message, shard) => {
    if (shard) cluster.bus?.publishShard(channel, message);
    else cluster.bus?.publish(channel, message);
  });
  cluster.state.onSlotDeleted = (slot) =>
    pubsub?.dropShardChannels((channel) => keyHashSlot(channel) === slot);
  return {
    commands,
    admission: { cluster: clusterAdmission(cluster) },
    hooks: {
      load() {
        // A port chosen at bind time (port 0) is checked once known.
        if (cluster.cfg.busPort > 65535) throw new Error(PORT_TOO_HIGH);
        cluster.updateMyself();
        loaded = true;
        cluster.bus = startClusterBus(cluster, {
          setMaster: (n) => setMaster(cluster, actions, n),
        });
        cluster.state.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
        cluster.beforeSleep();
        // The dataset loads in the persistence plugins' load hooks, which
        // ran before this one; one loading in steps is waited for.
        const rdb = server.service("rdb");
        if (rdb?.loading === undefined) {
          cluster.verifyWithData();
          cluster.beforeSleep();
          return;
        }
        return (async () => {
          while (rdb.loading !== undefined) await new Promise((r) => setTimeout(r, 10));
          cluster.verifyWithData();
          cluster.beforeSleep();
        })();
      },
      cron() {
        const st = cluster.state;
        // As clusterCron: a failed state is re-checked on every run.
        if (st.state === "fail") st.todo |= Todo.UPDATE_STATE;
        if (st.todo !== 0) cluster.beforeSleep();
        if (server.blockedClients !== 0) redirectBlockedClients(cluster, server);
      },
      // As Redis's clusterBeforeSleep runs before the replies are written:
      // a reply never leaves before the nodes.conf it depends on.
      beforeFlush() {
        if (cluster.state.todo !== 0) cluster.beforeSleep();
      },
      // The per-slot key index, once built, follows every key change.
      keyChanged(db, key) {
        cluster.noteKey(db, key);
      },
      databaseChanged() {
        cluster.dropIndex();
      },
      // CLIENT LIST's `r`: a READONLY client.
      clientInfo(c) {
        return c.ext.clusterReadonly === true ? { flags: "r" } : undefined;
      },
      // RESET ends READONLY and ASKING (clearClientConnectionState).
      clientReset(c) {
        c.ext.clusterReadonly = false;
        c.ext.clusterAsking = false;
      },
      info(section) {
        return section === "cluster" ? { cluster_enabled: 1 } : undefined;
      },
      async shutdown() {
        cluster.saveConfig();
        await cluster.bus?.close();
      },
    },
  };
}

/**
 * The cluster plugin (a built-in).
 *
 * @example
 * ```ts
 * import cluster from "./mod.ts";
 * console.log(cluster.name); // "cluster"
 * ```
 */
export default definePlugin({
  name: "cluster",
  dependencies: ["replication", "pubsub"],
  init,
});
