/**
 * The STRINGS family: GET, SET and friends, counters, ranges and LCS, with
 * Redis 7.0's replies, errors, keyspace events and propagation. Strings are
 * stored as bare byte strings in the database.
 *
 * Each file holds a group of commands, their definitions beside their
 * handlers: `_set.ts` (GET, the SET family, MGET, MSET), `_counters.ts`
 * (INCR ... INCRBYFLOAT), `_ranges.ts` (APPEND, STRLEN, GETRANGE,
 * SETRANGE) and `_lcs.ts`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { setCommands } from "./_set.ts";
import { counterCommands } from "./_counters.ts";
import { rangeCommands } from "./_ranges.ts";
import { lcsCommand } from "./_lcs.ts";

/** The STRINGS family plugin. */
export default definePlugin({
  name: "strings",
  commands: [...setCommands, ...counterCommands, ...rangeCommands, lcsCommand],
});
