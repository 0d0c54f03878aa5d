/**
 * Redis's `addReplyHelp`: the reply of every `<COMMAND> HELP`.
 *
 * @module
 */

import type { Bytes, CommandSpec, Context } from "./types.ts";

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

/**
 * A container command's HELP subcommand as Redis defines every one (arity
 * 2, `loading` and `stale`, the same summary), replying `lines` through
 * {@link replyHelp}. `since` is the version that gave the container its
 * HELP. A family builder adds the family's category and group to it as to
 * any subcommand.
 *
 * @example
 * ```ts
 * import { helpSubcommand } from "./help.ts";
 * const help = helpSubcommand(["COUNT", "    Return the number of things."], "6.2.0");
 * console.log(help.name, help.arity, help.docs?.since); // help 2 6.2.0
 * ```
 */
export function helpSubcommand(lines: readonly string[], since = "5.0.0"): CommandSpec {
  return {
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    docs: {
      summary: "Show helpful text about the different subcommands",
      since,
      complexity: "O(1)",
    },
    handler: (c, argv) => replyHelp(c, argv, lines),
  };
}
