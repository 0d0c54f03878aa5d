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
import type { PluginInstance, ServerApi } from "../../core/types.ts";
import { Cluster } from "./_cluster.ts";
import { type ClusterActions, clusterCommands, setMaster } from "./_commands.ts";
import { startClusterBus } from "./bus/mod.ts";
import { Todo } from "./_state.ts";
import type {} from "../replication/mod.ts";

function init(server: ServerApi): PluginInstance {
  const enabled = server.config.bool("cluster-enabled");
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
  return {
    commands,
    hooks: {
      load() {
        cluster.updateMyself();
        cluster.bus = startClusterBus(cluster, {
          setMaster: (n) => setMaster(cluster, actions, n),
        });
        cluster.state.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE);
        cluster.beforeSleep();
      },
      cron() {
        const st = cluster.state;
        // As clusterCron: a failed state is re-checked on every run.
        if (st.state === "fail") st.todo |= Todo.UPDATE_STATE;
        if (st.todo !== 0) cluster.beforeSleep();
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
