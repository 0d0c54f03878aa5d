/**
 * The STREAMS family: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID,
 * XREAD and XREADGROUP (blocking too), XGROUP, XACK, XPENDING, XCLAIM,
 * XAUTOCLAIM and XINFO, with Redis 7.0's replies, errors, keyspace events
 * (class `t`), change counts and propagation.
 *
 * A stream is a `StreamValue` (`_value.ts`): entries in nodes shaped like
 * Redis's listpacks (`_log.ts`), consumer groups with ordered PELs
 * (`_groups.ts`). Node sizes follow `stream-node-max-bytes` and
 * `stream-node-max-entries`, as in Redis. The command definitions are in
 * `_definitions.ts`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { nonNegative } from "../../core/number.ts";
import { LONG_MAX } from "../../core/config.ts";
import type { NodeLimits } from "./_log.ts";
import { streamType } from "./_value.ts";
import { streamCommands } from "./_definitions.ts";

/**
 * The streams plugin. Each server has its own node limits, which its
 * commands read.
 *
 * @example
 * ```ts
 * import streams from "./mod.ts";
 * console.log(streams.config.map((d) => d.name));
 * // [ "stream-node-max-bytes", "stream-node-max-entries" ]
 * ```
 */
export default definePlugin({
  name: "streams",
  config: [
    {
      name: "stream-node-max-bytes",
      type: "memory",
      default: "4096",
      // A size_t: -1 wraps above the maximum.
      min: 0,
      max: LONG_MAX,
      unsigned: true,
    },
    {
      name: "stream-node-max-entries",
      type: "int",
      default: "100",
      validate: nonNegative("int"),
    },
  ],
  types: [streamType],
  init(server) {
    const limits: NodeLimits = { maxBytes: 4096, maxEntries: 100 };
    server.config.watch("stream-node-max-bytes", (v) => (limits.maxBytes = Number(v)));
    server.config.watch("stream-node-max-entries", (v) => (limits.maxEntries = Number(v)));
    return { commands: streamCommands(limits) };
  },
});
