/**
 * The SORTED SETS family: ZADD and friends, the ZRANGE family, pops
 * (blocking too), set operations, ZRANDMEMBER and ZSCAN, with Redis 7.0's
 * replies, errors, encodings, keyspace events, change counts and
 * propagation.
 *
 * A sorted set is a `ZSetObject` (`_value.ts`): a member -> score Map
 * beside a B+tree of sorted chunks (O(log n) insert, delete, rank and
 * range), and the listpack/skiplist encoding name driven by
 * `zset-max-listpack-entries` / `zset-max-listpack-value`. The command
 * definitions are in `_definitions.ts`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { nonNegative } from "../../core/number.ts";
import { LONG_MAX } from "../../core/config.ts";
import { type ZsetLimits, zsetType } from "./_value.ts";
import { zsetCommands } from "./_definitions.ts";

/**
 * The sorted sets plugin. Each server has its own listpack thresholds,
 * which its commands and its `zset` value type read.
 *
 * @example
 * ```ts
 * import zsets from "./mod.ts";
 * console.log(zsets.config.map((d) => d.name));
 * // [ "zset-max-listpack-entries", "zset-max-listpack-value" ]
 * ```
 */
export default definePlugin({
  name: "zsets",
  config: [
    {
      name: "zset-max-listpack-entries",
      type: "int",
      default: "128",
      aliases: ["zset-max-ziplist-entries"],
      validate: nonNegative("int"),
    },
    {
      name: "zset-max-listpack-value",
      type: "memory",
      default: "64",
      aliases: ["zset-max-ziplist-value"],
      // A size_t: -1 wraps above the maximum.
      min: 0,
      max: LONG_MAX,
      unsigned: true,
    },
  ],
  init(server) {
    const limits: ZsetLimits = { entries: 128, value: 64 };
    server.config.watch("zset-max-listpack-entries", (v) => (limits.entries = Number(v)));
    server.config.watch("zset-max-listpack-value", (v) => (limits.value = Number(v)));
    return { commands: zsetCommands(limits), types: [zsetType(limits)] };
  },
});
