/**
 * AOF persistence: its directives. Appending is not implemented yet, so
 * `appendonly yes` is refused rather than silently ignored.
 *
 * @module
 */

import { definePlugin } from "../mod.ts";
import { ConfigError } from "../core/config.ts";

/** The AOF plugin (directives for now). */
export default definePlugin({
  name: "aof",
  config: [
    {
      name: "appendonly",
      type: "bool",
      default: "no",
      validate(v) {
        if (v === "yes") throw new ConfigError("AOF persistence is not supported yet by Respite");
        return v;
      },
    },
    {
      name: "appendfsync",
      type: "enum",
      default: "everysec",
      values: ["always", "everysec", "no"],
    },
    { name: "appendfilename", type: "string", default: "appendonly.aof", mutable: false },
    { name: "appenddirname", type: "string", default: "appendonlydir", mutable: false },
    { name: "auto-aof-rewrite-percentage", type: "int", default: "100", min: 0, max: 2147483647 },
    {
      name: "auto-aof-rewrite-min-size",
      type: "memory",
      default: "64mb",
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
    },
    { name: "aof-load-truncated", type: "bool", default: "yes" },
    { name: "aof-use-rdb-preamble", type: "bool", default: "yes" },
  ],
  hooks: {
    info(section) {
      if (section !== "persistence") return undefined;
      return {
        aof_enabled: 0,
        aof_rewrite_in_progress: 0,
        aof_rewrite_scheduled: 0,
        aof_last_rewrite_time_sec: -1,
        aof_current_rewrite_time_sec: -1,
        aof_last_bgrewrite_status: "ok",
        aof_rewrites: 0,
        aof_last_write_status: "ok",
      };
    },
  },
});
