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
 * disabled" error and nothing else is armed or even loaded: the runtime
 * (`_enabled.ts` and all it imports) is some 4 MB of an idle server's RSS.
 * `main.ts` has it imported before the server is created (`prepare`, an
 * `import()` that `deno compile` embeds); a server created without that
 * loads it synchronously in `init`.
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
import { nodeBuiltin } from "../../core/node_builtin.ts";
import { disabledCommands } from "./_table.ts";
import { CLUSTER_PORT_INCR, PORT_TOO_HIGH } from "./_config.ts";
import type * as Enabled from "./_enabled.ts";

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

/** The runtime of an enabled node, once loaded. */
let runtime: typeof Enabled | undefined;

/** Whether a config record (as main.ts has it) turns cluster mode on. */
function enabledIn(config: Readonly<Record<string, string>>): boolean {
  return (config["cluster-enabled"] ?? "").toLowerCase() === "yes";
}

function init(server: ServerApi): PluginInstance {
  const enabled = server.config.bool("cluster-enabled");
  // Before nodes.conf is touched, as Redis checks it.
  if (
    enabled && server.config.number("cluster-port") === 0 &&
    server.config.number("port") > 65535 - CLUSTER_PORT_INCR
  ) {
    throw new Error(PORT_TOO_HIGH);
  }
  if (!enabled) return { commands: disabledCommands() };
  // Not prepared (a server created without `prepare`, as startServer
  // does): Deno's require(esm) loads the same module synchronously.
  runtime ??= nodeBuiltin<typeof import("node:module")>("node:module")
    .createRequire(import.meta.url)("./_enabled.ts") as typeof Enabled;
  return runtime.enableCluster(server);
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
  dependencies: ["replication", "pubsub", "transactions"],
  async prepare(config) {
    if (enabledIn(config)) runtime ??= await import("./_enabled.ts");
  },
  init,
});
