/**
 * What COMMAND INFO and COMMAND DOCS say of CLUSTER, its subcommands,
 * READONLY, READWRITE and ASKING: Redis 7.0's arity, flags, tips and
 * documentation, subcommands in the order Redis lists them.
 *
 * @module
 */

import type { CommandSpec } from "../../core/types.ts";

/** A command's spec without its handler. */
export type CommandMeta = Omit<CommandSpec, "handler" | "subcommands">;

/** CLUSTER's subcommands, by name, in Redis's order. */
export const SUBCOMMANDS: Record<string, CommandMeta> = {
  "slots": {
    name: "slots",
    arity: 2,
    flags: ["stale"],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "Get array of Cluster slot to node mappings",
      since: "3.0.0",
      complexity: "O(N) where N is the total number of Cluster nodes",
      docFlags: ["deprecated"],
      deprecatedSince: "7.0.0",
      replacedBy: "`CLUSTER SHARDS`",
      history: [["4.0.0", "Added node IDs."], [
        "7.0.0",
        "Added additional networking metadata field.",
      ]],
    },
  },
  "slaves": {
    name: "slaves",
    arity: 3,
    flags: ["admin", "stale"],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "List replica nodes of the specified master node",
      since: "3.0.0",
      complexity: "O(1)",
      docFlags: ["deprecated"],
      deprecatedSince: "5.0.0",
      replacedBy: "`CLUSTER REPLICAS`",
      arguments: [{ name: "node-id", type: "string" }],
    },
  },
  "saveconfig": {
    name: "saveconfig",
    arity: 2,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Forces the node to save cluster state on disk",
      since: "3.0.0",
      complexity: "O(1)",
    },
  },
  "forget": {
    name: "forget",
    arity: 3,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Remove a node from the nodes table",
      since: "3.0.0",
      complexity: "O(1)",
      arguments: [{ name: "node-id", type: "string" }],
    },
  },
  "nodes": {
    name: "nodes",
    arity: 2,
    flags: ["stale"],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "Get Cluster config for the node",
      since: "3.0.0",
      complexity: "O(N) where N is the total number of Cluster nodes",
    },
  },
  "addslots": {
    name: "addslots",
    arity: -3,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Assign new hash slots to receiving node",
      since: "3.0.0",
      complexity: "O(N) where N is the total number of hash slot arguments",
      arguments: [{ name: "slot", type: "integer", flags: ["multiple"] }],
    },
  },
  "info": {
    name: "info",
    arity: 2,
    flags: ["stale"],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "Provides info about Redis Cluster node state",
      since: "3.0.0",
      complexity: "O(1)",
    },
  },
  "shards": {
    name: "shards",
    arity: 2,
    flags: ["stale"],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "Get array of cluster slots to node mappings",
      since: "7.0.0",
      complexity: "O(N) where N is the total number of cluster nodes",
    },
  },
  "replicas": {
    name: "replicas",
    arity: 3,
    flags: ["admin", "stale"],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "List replica nodes of the specified master node",
      since: "5.0.0",
      complexity: "O(1)",
      arguments: [{ name: "node-id", type: "string" }],
    },
  },
  "reset": {
    name: "reset",
    arity: -2,
    flags: ["admin", "noscript", "stale"],
    docs: {
      summary: "Reset a Redis Cluster node",
      since: "3.0.0",
      complexity:
        "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.",
      arguments: [{
        name: "hard_soft",
        type: "oneof",
        flags: ["optional"],
        arguments: [{ name: "hard", type: "pure-token", token: "HARD" }, {
          name: "soft",
          type: "pure-token",
          token: "SOFT",
        }],
      }],
    },
  },
  "failover": {
    name: "failover",
    arity: -2,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Forces a replica to perform a manual failover of its master.",
      since: "3.0.0",
      complexity: "O(1)",
      arguments: [{
        name: "options",
        type: "oneof",
        flags: ["optional"],
        arguments: [{ name: "force", type: "pure-token", token: "FORCE" }, {
          name: "takeover",
          type: "pure-token",
          token: "TAKEOVER",
        }],
      }],
    },
  },
  "delslotsrange": {
    name: "delslotsrange",
    arity: -4,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Set hash slots as unbound in receiving node",
      since: "7.0.0",
      complexity:
        "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
      arguments: [{
        name: "start-slot_end-slot",
        type: "block",
        flags: ["multiple"],
        arguments: [{ name: "start-slot", type: "integer" }, { name: "end-slot", type: "integer" }],
      }],
    },
  },
  "setslot": {
    name: "setslot",
    arity: -4,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Bind a hash slot to a specific node",
      since: "3.0.0",
      complexity: "O(1)",
      arguments: [{ name: "slot", type: "integer" }, {
        name: "subcommand",
        type: "oneof",
        arguments: [
          { name: "node-id", type: "string", token: "IMPORTING" },
          { name: "node-id", type: "string", token: "MIGRATING" },
          { name: "node-id", type: "string", token: "NODE" },
          { name: "stable", type: "pure-token", token: "STABLE" },
        ],
      }],
    },
  },
  "set-config-epoch": {
    name: "set-config-epoch",
    arity: 3,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Set the configuration epoch in a new node",
      since: "3.0.0",
      complexity: "O(1)",
      arguments: [{ name: "config-epoch", type: "integer" }],
    },
  },
  "delslots": {
    name: "delslots",
    arity: -3,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Set hash slots as unbound in receiving node",
      since: "3.0.0",
      complexity: "O(N) where N is the total number of hash slot arguments",
      arguments: [{ name: "slot", type: "integer", flags: ["multiple"] }],
    },
  },
  "keyslot": {
    name: "keyslot",
    arity: 3,
    flags: ["stale"],
    docs: {
      summary: "Returns the hash slot of the specified key",
      since: "3.0.0",
      complexity: "O(N) where N is the number of bytes in the key",
      arguments: [{ name: "key", type: "string" }],
    },
  },
  "meet": {
    name: "meet",
    arity: -4,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Force a node cluster to handshake with another node",
      since: "3.0.0",
      complexity: "O(1)",
      history: [["4.0.0", "Added the optional `cluster_bus_port` argument."]],
      arguments: [{ name: "ip", type: "string" }, { name: "port", type: "integer" }, {
        name: "cluster_bus_port",
        type: "integer",
        since: "4.0.0",
        flags: ["optional"],
      }],
    },
  },
  "myid": {
    name: "myid",
    arity: 2,
    flags: ["stale"],
    docs: { summary: "Return the node id", since: "3.0.0", complexity: "O(1)" },
  },
  "getkeysinslot": {
    name: "getkeysinslot",
    arity: 4,
    flags: ["stale"],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "Return local key names in the specified hash slot",
      since: "3.0.0",
      complexity: "O(log(N)) where N is the number of requested keys",
      arguments: [{ name: "slot", type: "integer" }, { name: "count", type: "integer" }],
    },
  },
  "links": {
    name: "links",
    arity: 2,
    flags: ["stale"],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "Returns a list of all TCP links to and from peer nodes in cluster",
      since: "7.0.0",
      complexity: "O(N) where N is the total number of Cluster nodes",
    },
  },
  "addslotsrange": {
    name: "addslotsrange",
    arity: -4,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Assign new hash slots to receiving node",
      since: "7.0.0",
      complexity:
        "O(N) where N is the total number of the slots between the start slot and end slot arguments.",
      arguments: [{
        name: "start-slot_end-slot",
        type: "block",
        flags: ["multiple"],
        arguments: [{ name: "start-slot", type: "integer" }, { name: "end-slot", type: "integer" }],
      }],
    },
  },
  "replicate": {
    name: "replicate",
    arity: 3,
    flags: ["admin", "stale", "no_async_loading"],
    docs: {
      summary: "Reconfigure a node as a replica of the specified master node",
      since: "3.0.0",
      complexity: "O(1)",
      arguments: [{ name: "node-id", type: "string" }],
    },
  },
  "bumpepoch": {
    name: "bumpepoch",
    arity: 2,
    flags: ["admin", "stale", "no_async_loading"],
    tips: ["nondeterministic_output"],
    docs: { summary: "Advance the cluster config epoch", since: "3.0.0", complexity: "O(1)" },
  },
  "help": {
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    docs: {
      summary: "Show helpful text about the different subcommands",
      since: "5.0.0",
      complexity: "O(1)",
    },
  },
  "flushslots": {
    name: "flushslots",
    arity: 2,
    flags: ["admin", "stale", "no_async_loading"],
    docs: { summary: "Delete a node's own slots information", since: "3.0.0", complexity: "O(1)" },
  },
  "countkeysinslot": {
    name: "countkeysinslot",
    arity: 3,
    flags: ["stale"],
    docs: {
      summary: "Return the number of local keys in the specified hash slot",
      since: "3.0.0",
      complexity: "O(1)",
      arguments: [{ name: "slot", type: "integer" }],
    },
  },
  "count-failure-reports": {
    name: "count-failure-reports",
    arity: 3,
    flags: ["admin", "stale"],
    tips: ["nondeterministic_output"],
    docs: {
      summary: "Return the number of failure reports active for a given node",
      since: "3.0.0",
      complexity: "O(N) where N is the number of failure reports",
      arguments: [{ name: "node-id", type: "string" }],
    },
  },
};

/** CLUSTER itself, READONLY, READWRITE and ASKING. */
export const COMMANDS: Record<"cluster" | "readonly" | "readwrite" | "asking", CommandMeta> = {
  cluster: {
    name: "cluster",
    arity: -2,
    flags: [],
    docs: {
      summary: "A container for cluster commands",
      since: "3.0.0",
      complexity: "Depends on subcommand.",
    },
  },
  readonly: {
    name: "readonly",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    categories: ["connection"],
    docs: {
      summary: "Enables read queries for a connection to a cluster replica node",
      since: "3.0.0",
      complexity: "O(1)",
    },
  },
  readwrite: {
    name: "readwrite",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    categories: ["connection"],
    docs: {
      summary: "Disables read queries for a connection to a cluster replica node",
      since: "3.0.0",
      complexity: "O(1)",
    },
  },
  asking: {
    name: "asking",
    arity: 1,
    flags: ["fast"],
    categories: ["connection"],
    docs: {
      summary: "Sent by cluster clients after an -ASK redirect",
      since: "3.0.0",
      complexity: "O(1)",
    },
  },
};
