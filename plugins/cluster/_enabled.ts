/**
 * A cluster node's runtime, armed by the plugin's `init` when
 * `cluster-enabled` is yes: the node table and nodes.conf, the commands
 * bound to them, the redirections, the bus. A server with cluster mode off
 * never loads this module or what it imports (see `mod.ts`).
 *
 * @module
 */

import type { PluginInstance, ServerApi } from "../../core/types.ts";
import { Cluster } from "./_cluster.ts";
import { type ClusterActions, clusterCommands, setMaster } from "./_commands.ts";
import { startClusterBus } from "./bus/mod.ts";
import { Todo } from "./_state.ts";
import { clusterAdmission, redirectBlockedClients, scriptClusterCheck } from "./_redirect.ts";
import { keyHashSlot } from "./_slots.ts";
import { PORT_TOO_HIGH } from "./_config.ts";
import type {} from "./mod.ts";
import type {} from "../replication/mod.ts";
import type {} from "../pubsub/mod.ts";
import type {} from "../rdb/mod.ts";

/** The plugin's instance on a node with cluster mode on. */
export function enableCluster(server: ServerApi): PluginInstance {
  const cluster = new Cluster(server);
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
