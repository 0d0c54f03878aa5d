/**
 * The HASHES family: HSET, HGET and friends, counters, HRANDFIELD and HSCAN,
 * with Redis 7.0's replies, errors, encodings, keyspace events, change
 * counts and propagation.
 *
 * A hash is a `HashObject` (`_value.ts`): a Map plus the listpack/hashtable encoding
 * flag, driven by `hash-max-listpack-entries` / `hash-max-listpack-value`.
 * The command definitions are in `_definitions.ts`, their handlers in
 * `_commands.ts` and `_random.ts`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { nonNegative } from "../../core/number.ts";
import { LONG_MAX } from "../../core/config.ts";
import { type HashLimits, hashType } from "./_value.ts";
import { hashCommands } from "./_definitions.ts";

/**
 * The hashes plugin. Each server has its own listpack thresholds, which
 * its commands and its `hash` value type read.
 *
 * @example
 * ```ts
 * import hashes from "./mod.ts";
 * console.log(hashes.config.map((d) => d.name));
 * // [ "hash-max-listpack-entries", "hash-max-listpack-value" ]
 * ```
 */
export default definePlugin({
  name: "hashes",
  config: [
    {
      name: "hash-max-listpack-entries",
      type: "int",
      // Redis 7.0's built-in default (redis.conf ships 128, the binary 512).
      default: "512",
      aliases: ["hash-max-ziplist-entries"],
      validate: nonNegative("int"),
    },
    {
      name: "hash-max-listpack-value",
      type: "memory",
      default: "64",
      aliases: ["hash-max-ziplist-value"],
      // A size_t: -1 wraps above the maximum.
      min: 0,
      max: LONG_MAX,
      unsigned: true,
    },
  ],
  init(server) {
    const limits: HashLimits = { entries: 512, value: 64 };
    server.config.watch("hash-max-listpack-entries", (v) => (limits.entries = Number(v)));
    server.config.watch("hash-max-listpack-value", (v) => (limits.value = Number(v)));
    return {
      commands: hashCommands(limits),
      types: [hashType(limits)],
    };
  },
});
