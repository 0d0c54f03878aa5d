/**
 * RDB persistence: the directives and LASTSAVE. Loading and saving RDB files
 * are not implemented yet, so a non-empty `save` is refused at start-up
 * rather than silently ignored.
 *
 * @module
 */

import { definePlugin } from "../mod.ts";
import { ConfigError } from "../core/config.ts";

const notYet = (what: string) => (v: string) => {
  if (v.trim() !== "") throw new ConfigError(`${what} is not supported yet by Respite`);
  return v;
};

/** The RDB plugin (directives and LASTSAVE for now). */
export default definePlugin({
  name: "rdb",
  config: [
    { name: "save", type: "string", default: "", validate: notYet("RDB snapshotting (save)") },
    { name: "dbfilename", type: "string", default: "dump.rdb" },
    { name: "rdbcompression", type: "bool", default: "yes" },
    { name: "rdbchecksum", type: "bool", default: "yes" },
    { name: "stop-writes-on-bgsave-error", type: "bool", default: "yes" },
  ],
  init(server) {
    return {
      commands: [{
        name: "lastsave",
        arity: 1,
        flags: ["loading", "stale", "fast"],
        categories: ["admin", "dangerous"],
        summary: "Returns the Unix timestamp of the last successful save to disk.",
        since: "1.0.0",
        group: "server",
        complexity: "O(1)",
        // No save has happened: persistence is not implemented yet.
        handler: (c) => c.reply.integer(0),
      }],
      hooks: {
        info(section) {
          if (section !== "persistence") return undefined;
          return {
            loading: 0,
            async_loading: 0,
            current_cow_peak: 0,
            current_cow_size: 0,
            current_cow_size_age: 0,
            current_fork_perc: "0.00",
            current_save_keys_processed: 0,
            current_save_keys_total: 0,
            rdb_changes_since_last_save: server.dirty,
            rdb_bgsave_in_progress: 0,
            rdb_last_save_time: 0,
            rdb_last_bgsave_status: "ok",
            rdb_last_bgsave_time_sec: -1,
            rdb_current_bgsave_time_sec: -1,
            rdb_saves: 0,
          };
        },
      },
    };
  },
});
