/**
 * The generic key commands (Redis's "generic" group): DEL, UNLINK, EXISTS,
 * TYPE, TOUCH, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, OBJECT,
 * the EXPIRE and TTL families and PERSIST. SORT lives elsewhere.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { basicCommands } from "./_basic.ts";
import { scanCommand } from "./_scan.ts";
import { moveCommands } from "./_move.ts";
import { objectCommand } from "./_object.ts";
import { expireCommands } from "./_expire.ts";

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
