/**
 * Users from outside: the `aclfile` (ACL LOAD / ACL SAVE, Redis 7.0's
 * format and error texts) and the config file's `user` directives.
 *
 * A config value of the `user` directive holds one user per line, each
 * line that user's arguments quoted as `sdscatrepr` does, so arguments with
 * spaces survive (see `core/conf_file.ts`).
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { splitArgs } from "../../core/config.ts";
import {
  applyUserRule,
  type CommandTable,
  createDefaultUser,
  describeUser,
  hasSpaces,
  mergeSelectorArgs,
  type RuleContext,
  RuleError,
  User,
} from "./_rules.ts";

/** Users by name. */
export type UserMap = Map<Bytes, User>;

/**
 * Parses an ACL file as ACLLoadFromFile does: lines split on single spaces,
 * every error collected. Returns the new users (with a default user), or
 * the error text Redis replies.
 */
export function parseAclFile(
  text: Bytes,
  filename: string,
  ctx: RuleContext,
): { users: UserMap } | { errors: string } {
  const users: UserMap = new Map();
  let errors = "";
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const linenum = i + 1;
    const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (line === "") continue;
    const argv = line.split(" ");
    if (argv[0] !== "user" || argv.length < 2) {
      errors += `${filename}:${linenum} should start with user keyword followed by the username. `;
      continue;
    }
    const name = argv[1]!;
    if (hasSpaces(name)) {
      errors += `'${filename}:${linenum}: username '${name}' contains invalid characters. `;
      continue;
    }
    if (users.has(name)) {
      errors += `WARNING: Duplicate user '${name}' found on line ${linenum}. `;
      continue;
    }
    const u = new User(name, ctx.pubsubDefault);
    users.set(name, u);
    const merged = mergeSelectorArgs(argv.slice(2));
    if (!Array.isArray(merged)) {
      errors += `${filename}:${linenum}: Unmatched parenthesis in selector definition.`;
      continue;
    }
    let syntaxError = false;
    for (const raw of merged) {
      const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, "");
      try {
        applyUserRule(u, op, ctx);
      } catch (e) {
        if (!(e instanceof RuleError)) throw e;
        if (e.errno === "ENOENT") {
          errors += `${filename}:${linenum}: Error in applying operation '${op}': ${e.message}. `;
        } else if (!syntaxError) {
          errors += `${filename}:${linenum}: ${e.message}. `;
          syntaxError = true;
        }
      }
    }
    u.refresh();
  }
  if (errors !== "") {
    return {
      errors: errors +
        "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
    };
  }
  if (!users.has("default")) users.set("default", createDefaultUser(ctx));
  return { users };
}

/** Users sorted by name bytes, as Redis's radix tree lists them. */
export function sortedUsers(users: UserMap): User[] {
  return [...users.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The ACL file text ACL SAVE writes. */
export function formatAclFile(users: UserMap, table: CommandTable): string {
  let out = "";
  for (const u of sortedUsers(users)) out += `user ${u.name} ${describeUser(u, table)}\n`;
  return out;
}

/** The users of a `user` directive value: one argument list per line. */
export function userLines(value: string): string[][] {
  const out: string[][] = [];
  for (const line of value.split("\n")) {
    if (line.trim() === "") continue;
    out.push(splitArgs(line) ?? []);
  }
  return out;
}

/** A command table that knows no command (for config-time validation). */
const NO_COMMANDS: CommandTable = { all: () => [], lookup: () => undefined };

/**
 * Validates `user` directives as ACLAppendUserForLoading does when the
 * config file is read: syntax only (commands are not known yet, so an
 * unknown command is not an error here). Throws an Error with Redis's
 * reason, `Error in user declaration '<arg>': <why>`; `<arg>` is picked as
 * Redis picks it (an index into the merged rules, applied to the line).
 */
export function validateUserDirectives(value: string, pubsubDefault = false): void {
  const seen = new Set<string>();
  const ctx: RuleContext = { table: NO_COMMANDS, pubsubDefault };
  for (const args of userLines(value)) {
    const argv = ["user", ...args];
    const fail = (idx: number, why: string) => {
      throw new Error(`Error in user declaration '${argv[idx] ?? ""}': ${why}`);
    };
    if (args.length < 1) throw new Error("Bad directive or wrong number of arguments");
    if (seen.has(args[0]!)) fail(1, new RuleError("EALREADY").message);
    seen.add(args[0]!);
    const merged = mergeSelectorArgs(args.slice(1));
    if (!Array.isArray(merged)) fail(merged.openAt, "Syntax error");
    const fake = new User("__fakeuser__", pubsubDefault);
    (merged as Bytes[]).forEach((op, j) => {
      try {
        applyUserRule(fake, op, ctx);
      } catch (e) {
        if (!(e instanceof RuleError)) throw e;
        if (e.errno !== "ENOENT") fail(j, e.message);
      }
    });
  }
}
