/**
 * The SETS family: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD,
 * SPOP, SRANDMEMBER, SMOVE and SSCAN (`_commands.ts`), and the multi-key
 * algebra, SINTER, SINTERCARD, SUNION, SDIFF and their STORE forms
 * (`_ops.ts`). Replies, errors, keyspace events, change counts and
 * propagation follow Redis 7.0 (`t_set.c`); the value is a `SetValue`
 * (`_value.ts`). The command definitions are in `_definitions.ts`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { nonNegative } from "../../core/number.ts";
import { type SetLimits, setType } from "./_value.ts";
import { setCommands } from "./_definitions.ts";

/**
 * The sets plugin. Each server has its own `set-max-intset-entries`,
 * which its commands and its `set` value type read.
 *
 * @example
 * ```ts
 * import sets from "./mod.ts";
 * console.log(sets.config.map((d) => d.name)); // [ "set-max-intset-entries" ]
 * ```
 */
export default definePlugin({
  name: "sets",
  config: [{
    name: "set-max-intset-entries",
    type: "int",
    default: "512",
    validate: nonNegative("int"),
  }],
  init(server) {
    const limits: SetLimits = { maxIntset: 512 };
    server.config.watch("set-max-intset-entries", (v) => (limits.maxIntset = Number(v)));
    return { commands: setCommands(limits), types: [setType(limits)] };
  },
});
