/**
 * The LISTS family: push, pop, ranges, LPOS, LMOVE, LMPOP and the blocking
 * pops, with Redis 7.0's specs, replies, errors, keyspace events, change
 * counts and propagation.
 *
 * Lists are {@link ListValue}s, ring-buffer deques: O(1) at both ends and
 * by index. The command definitions are in `_definitions.ts`, their
 * handlers in `_commands.ts` and `_blocking.ts`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { listType } from "./_value.ts";
import { listCommands } from "./_definitions.ts";

/**
 * The lists plugin: the list commands, the `list` value type and the list
 * encoding directives (kept for CONFIG compatibility; Redis 7.0 encodes
 * every list as a quicklist).
 *
 * @example
 * ```ts
 * import lists from "./mod.ts";
 * console.log(lists.commands.find((c) => c.name === "lpush")?.arity); // -3
 * ```
 */
export default definePlugin({
  name: "lists",
  config: [
    {
      name: "list-max-listpack-size",
      type: "int",
      default: "-2",
      min: -2147483648,
      max: 2147483647,
      aliases: ["list-max-ziplist-size"],
    },
    { name: "list-compress-depth", type: "int", default: "0", min: 0, max: 2147483647 },
  ],
  commands: listCommands,
  types: [listType],
});
