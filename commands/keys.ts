/**
 * The generic key commands (Redis's "generic" group): DEL, UNLINK, EXISTS,
 * TYPE, TOUCH, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, OBJECT,
 * the EXPIRE and TTL families and PERSIST. SORT lives elsewhere.
 *
 * @module
 */

import { definePlugin } from "../mod.ts";
import { basicCommands } from "./keys_basic.ts";
import { scanCommand } from "./keys_scan.ts";
import { moveCommands } from "./keys_move.ts";
import { objectCommand } from "./keys_object.ts";
import { expireCommands } from "./keys_expire.ts";

/** The `keys` plugin. */
export default definePlugin({
  name: "keys",
  commands: [
    ...basicCommands,
    scanCommand,
    ...moveCommands,
    objectCommand,
    ...expireCommands,
  ],
});
