/**
 * Replication: its directives and the master-side INFO fields. Replicating
 * is not implemented yet, so `replicaof` is refused at start-up rather than
 * silently ignored.
 *
 * @module
 */

import { definePlugin } from "../mod.ts";
import { ConfigError } from "../core/config.ts";
import { randomHex } from "../core/server.ts";

/** The replication plugin (directives and INFO for now). */
export default definePlugin({
  name: "replication",
  config: [
    {
      name: "replicaof",
      type: "string",
      default: "",
      aliases: ["slaveof"],
      mutable: false,
      validate(v) {
        if (v.trim() !== "") throw new ConfigError("replication is not supported yet by Respite");
        return v;
      },
    },
    { name: "replica-read-only", type: "bool", default: "yes", aliases: ["slave-read-only"] },
    {
      name: "repl-backlog-size",
      type: "memory",
      default: "1mb",
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    },
    { name: "repl-ping-replica-period", type: "int", default: "10", min: 1, max: 2147483647 },
    { name: "repl-timeout", type: "int", default: "60", min: 1, max: 2147483647 },
    { name: "min-replicas-to-write", type: "int", default: "0", min: 0, max: 2147483647 },
    { name: "min-replicas-max-lag", type: "int", default: "10", min: 0, max: 2147483647 },
    { name: "masterauth", type: "string", default: "", hidden: true },
    { name: "masteruser", type: "string", default: "" },
  ],
  init() {
    const replid = randomHex(40);
    return {
      hooks: {
        info(section) {
          if (section !== "replication") return undefined;
          return {
            role: "master",
            connected_slaves: 0,
            master_failover_state: "no-failover",
            master_replid: replid,
            master_replid2: "0000000000000000000000000000000000000000",
            master_repl_offset: 0,
            second_repl_offset: -1,
            repl_backlog_active: 0,
            repl_backlog_size: 1048576,
            repl_backlog_first_byte_offset: 0,
            repl_backlog_histlen: 0,
          };
        },
      },
    };
  },
});
