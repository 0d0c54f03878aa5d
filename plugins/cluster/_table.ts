/**
 * The command table of CLUSTER, READONLY, READWRITE and ASKING: the specs
 * from `_commands_meta.ts` with handlers given by the caller. Shared by a
 * node with cluster mode off (every handler answers {@link DISABLED}, and
 * nothing else of the plugin is loaded) and by an enabled node
 * (`_commands.ts`), so COMMAND INFO and DOCS are the same either way.
 *
 * @module
 */

import type { CommandHandler, CommandSpec } from "../../core/types.ts";
import { commandFamily } from "../../core/registry.ts";
import { ReplyError } from "../../core/errors.ts";
import { type CommandMeta, COMMANDS, SUBCOMMANDS } from "./_commands_meta.ts";

/** The error of every cluster command while cluster mode is off. */
export const DISABLED = "ERR This instance has cluster support disabled";

const family = commandFamily({ group: "cluster" });

/** The top-level commands besides CLUSTER. */
export type FlagCommand = "readonly" | "readwrite" | "asking";

/**
 * The commands: `sub(name)` handles CLUSTER's subcommand `name`, `flag`
 * READONLY, READWRITE and ASKING.
 */
export function commandTable(
  sub: (name: string) => CommandHandler,
  flag: (name: FlagCommand) => CommandHandler,
): CommandSpec[] {
  const subs = Object.values(SUBCOMMANDS).map((m: CommandMeta): CommandSpec => ({
    ...m,
    handler: sub(m.name),
  }));
  return [
    family({ ...COMMANDS.cluster, subcommands: subs }),
    family({ ...COMMANDS.readonly, handler: flag("readonly") }),
    family({ ...COMMANDS.readwrite, handler: flag("readwrite") }),
    family({ ...COMMANDS.asking, handler: flag("asking") }),
  ];
}

const disabled: CommandHandler = () => {
  throw new ReplyError(DISABLED);
};

/** The commands of a node with cluster mode off. */
export function disabledCommands(): CommandSpec[] {
  return commandTable(() => disabled, () => disabled);
}
