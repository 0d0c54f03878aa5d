/**
 * Redis's `addReplyHelp`: the reply of every `<COMMAND> HELP`.
 *
 * @module
 */

import type { Bytes, Context } from "./types.ts";

/**
 * Replies a container command's HELP as Redis does: a header naming the
 * command as the client typed it (upper-cased), the given lines, and the
 * HELP entry itself, each a simple string.
 *
 * @example
 * ```ts
 * import { replyHelp } from "./help.ts";
 * import type { CommandSpec } from "./types.ts";
 * // A container command's HELP subcommand:
 * const help: CommandSpec = {
 *   name: "object|help",
 *   arity: 2,
 *   flags: ["loading", "stale"],
 *   handler(c, argv) {
 *     replyHelp(c, argv, [
 *       "ENCODING <key>",
 *       "    Return the kind of internal representation used in order to store the value",
 *       "    associated with a <key>.",
 *     ]);
 *   },
 * };
 * console.log(help.name); // "object|help"
 * ```
 */
export function replyHelp(c: Context, argv: readonly Bytes[], lines: readonly string[]): void {
  const r = c.reply;
  r.array(lines.length + 3);
  r.simple(`${argv[0]!.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const l of lines) r.simple(l);
  r.simple("HELP");
  r.simple("    Prints this help.");
}
