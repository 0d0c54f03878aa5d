/**
 * COMMAND: introspection of the command table (COMMAND, COUNT, INFO, DOCS,
 * LIST, GETKEYS, GETKEYSANDFLAGS, HELP), generated from the registered
 * {@link CommandEntry} list, in Redis 7.0's reply layout.
 *
 * Everything comes from the commands' definitions: flags, key specs and
 * their `notes`, `tips` and `docs`.
 *
 * @module
 */

import {
  ACL_CATEGORIES,
  commandFamily,
  definePlugin,
  hasKeys,
  keysAndFlags,
} from "../core/registry.ts";
import type {
  Bytes,
  CommandArg,
  CommandEntry,
  CommandSpec,
  Context,
  KeySpec,
  ReplyWriter,
} from "../core/types.ts";
import { ReplyError } from "../core/errors.ts";
import { globMatch } from "../core/glob.ts";
import { helpSubcommand } from "../core/help.ts";

/** COMMAND INFO's flag order (Redis's `commandFlagNames`; may_replicate hidden). */
const FLAG_ORDER: readonly string[] = [
  "write",
  "readonly",
  "denyoom",
  "module",
  "admin",
  "pubsub",
  "noscript",
  "blocking",
  "loading",
  "stale",
  "skip_monitor",
  "skip_slowlog",
  "asking",
  "fast",
  "no_auth",
  "no_mandatory_keys",
  "no_async_loading",
  "no_multi",
  "movablekeys",
  "allow_busy",
];

const KEY_FLAG_ORDER: readonly string[] = [
  "RO",
  "RW",
  "OW",
  "RM",
  "ACCESS",
  "UPDATE",
  "INSERT",
  "DELETE",
  "NOT_KEY",
  "INCOMPLETE",
  "VARIABLE_FLAGS",
];

function rank(order: readonly string[], x: string): number {
  const i = order.indexOf(x);
  return i === -1 ? order.length : i;
}

/** The flags COMMAND INFO shows, in Redis's order. */
export function commandFlags(e: CommandEntry): string[] {
  const out: string[] = [];
  for (const f of e.flagSet) if (f !== "may_replicate") out.push(f);
  return out.sort((a, b) => rank(FLAG_ORDER, a) - rank(FLAG_ORDER, b));
}

/** The ACL categories COMMAND INFO shows (with `@`), in Redis's order. */
export function commandCategories(e: CommandEntry): string[] {
  return [...e.categories]
    .sort((a, b) => rank(ACL_CATEGORIES, a) - rank(ACL_CATEGORIES, b))
    .map((c) => "@" + c);
}

/** Key-spec flags as Redis prints them: RO/RW/OW/RM upper case, the rest lower. */
export function keySpecFlags(flags: readonly string[]): string[] {
  return [...flags]
    .sort((a, b) => rank(KEY_FLAG_ORDER, a) - rank(KEY_FLAG_ORDER, b))
    .map((f) => (f.length === 2 ? f : f.toLowerCase()));
}

function writeStatusSet(r: ReplyWriter, items: readonly string[]): void {
  r.set(items.length);
  for (const s of items) r.simple(s);
}

function writeKeySpec(r: ReplyWriter, ks: KeySpec, note: string | undefined): void {
  r.map(note === undefined ? 3 : 4);
  if (note !== undefined) {
    r.bulk("notes");
    r.bulk(note);
  }
  r.bulk("flags");
  writeStatusSet(r, keySpecFlags(ks.flags));
  r.bulk("begin_search");
  r.map(2);
  r.bulk("type");
  if ("unknown" in ks.begin) {
    r.bulk("unknown");
    r.bulk("spec");
    r.map(0);
  } else if ("index" in ks.begin) {
    r.bulk("index");
    r.bulk("spec");
    r.map(1);
    r.bulk("index");
    r.integer(ks.begin.index);
  } else {
    r.bulk("keyword");
    r.bulk("spec");
    r.map(2);
    r.bulk("keyword");
    r.bulk(ks.begin.keyword);
    r.bulk("startfrom");
    r.integer(ks.begin.startfrom);
  }
  r.bulk("find_keys");
  r.map(2);
  r.bulk("type");
  if ("unknown" in ks.find) {
    r.bulk("unknown");
    r.bulk("spec");
    r.map(0);
  } else if ("range" in ks.find) {
    const { lastkey, step, limit } = ks.find.range;
    r.bulk("range");
    r.bulk("spec");
    r.map(3);
    r.bulk("lastkey");
    r.integer(lastkey);
    r.bulk("keystep");
    r.integer(step);
    r.bulk("limit");
    r.integer(limit);
  } else {
    const { keynumidx, firstkey, step } = ks.find.keynum;
    r.bulk("keynum");
    r.bulk("spec");
    r.map(3);
    r.bulk("keynumidx");
    r.integer(keynumidx);
    r.bulk("firstkey");
    r.integer(firstkey);
    r.bulk("keystep");
    r.integer(step);
  }
}

/** One command's COMMAND INFO entry (10 fields, subcommands nested). */
export function writeCommandInfo(r: ReplyWriter, e: CommandEntry): void {
  r.array(10);
  r.bulk(e.fullName);
  r.integer(e.spec.arity);
  writeStatusSet(r, commandFlags(e));
  r.integer(e.legacyKeys[0]);
  r.integer(e.legacyKeys[1]);
  r.integer(e.legacyKeys[2]);
  writeStatusSet(r, commandCategories(e));
  const tips = e.spec.tips ?? [];
  r.set(tips.length);
  for (const t of tips) r.bulk(t);
  const specs = e.spec.keySpecs ?? [];
  r.set(specs.length);
  for (const ks of specs) writeKeySpec(r, ks, ks.notes === "" ? undefined : ks.notes);
  if (e.subcommands === undefined) {
    // Redis answers an empty *set* here but an array when there are some.
    r.set(0);
  } else {
    r.array(e.subcommands.size);
    for (const s of e.subcommands.values()) writeCommandInfo(r, s);
  }
}

/**
 * One command's COMMAND DOCS map, in Redis 7.0's field order
 * (`addReplyCommandDocs`): summary, since, group, complexity, doc_flags,
 * deprecated_since, replaced_by, history, arguments, subcommands.
 */
export function writeCommandDocs(r: ReplyWriter, e: CommandEntry): void {
  const d = e.spec.docs;
  const subs = e.subcommands;
  let n = 1;
  if (d !== undefined) {
    n += 2;
    if (d.complexity !== undefined) n++;
    if (d.docFlags !== undefined) n++;
    if (d.deprecatedSince !== undefined) n++;
    if (d.replacedBy !== undefined) n++;
    if (d.history !== undefined) n++;
    if (d.arguments !== undefined) n++;
  }
  if (subs !== undefined) n++;
  r.map(n);
  if (d !== undefined) {
    r.bulk("summary");
    r.bulk(d.summary);
    r.bulk("since");
    r.bulk(d.since);
  }
  // Always present: plugin commands are in Redis's `module` group.
  r.bulk("group");
  r.bulk(d?.group ?? "module");
  if (d !== undefined) {
    if (d.complexity !== undefined) {
      r.bulk("complexity");
      r.bulk(d.complexity);
    }
    if (d.docFlags !== undefined) {
      r.bulk("doc_flags");
      writeStatusSet(r, d.docFlags);
    }
    if (d.deprecatedSince !== undefined) {
      r.bulk("deprecated_since");
      r.bulk(d.deprecatedSince);
    }
    if (d.replacedBy !== undefined) {
      r.bulk("replaced_by");
      r.bulk(d.replacedBy);
    }
    if (d.history !== undefined) {
      r.bulk("history");
      r.set(d.history.length);
      for (const [version, change] of d.history) {
        r.array(2);
        r.bulk(version);
        r.bulk(change);
      }
    }
    if (d.arguments !== undefined) {
      r.bulk("arguments");
      writeArgs(r, d.arguments);
    }
  }
  if (subs !== undefined) {
    r.bulk("subcommands");
    r.map(subs.size);
    for (const sub of subs.values()) {
      r.bulk(sub.fullName);
      writeCommandDocs(r, sub);
    }
  }
}

/** COMMAND DOCS's `arguments` (Redis's addReplyCommandArgList). */
function writeArgs(r: ReplyWriter, args: readonly CommandArg[]): void {
  r.array(args.length);
  for (const a of args) {
    const nested = a.type === "oneof" || a.type === "block";
    r.map(
      2 + (a.keySpecIndex !== undefined ? 1 : 0) + (a.token !== undefined ? 1 : 0) +
        (a.summary !== undefined ? 1 : 0) + (a.since !== undefined ? 1 : 0) +
        (a.deprecatedSince !== undefined ? 1 : 0) + (a.flags !== undefined ? 1 : 0) +
        (nested ? 1 : 0),
    );
    r.bulk("name");
    r.bulk(a.name);
    r.bulk("type");
    r.bulk(a.type);
    if (a.keySpecIndex !== undefined) {
      r.bulk("key_spec_index");
      r.integer(a.keySpecIndex);
    }
    if (a.token !== undefined) {
      r.bulk("token");
      r.bulk(a.token);
    }
    if (a.summary !== undefined) {
      r.bulk("summary");
      r.bulk(a.summary);
    }
    if (a.since !== undefined) {
      r.bulk("since");
      r.bulk(a.since);
    }
    if (a.deprecatedSince !== undefined) {
      r.bulk("deprecated_since");
      r.bulk(a.deprecatedSince);
    }
    if (a.flags !== undefined) {
      r.bulk("flags");
      writeStatusSet(r, a.flags);
    }
    if (nested) {
      r.bulk("arguments");
      writeArgs(r, a.arguments ?? []);
    }
  }
}

/**
 * Finds a command by its full name (`get`, `config|get`), as COMMAND INFO
 * and DOCS accept it.
 */
export function lookupFullName(
  commands: ReadonlyMap<string, CommandEntry>,
  name: string,
): CommandEntry | undefined {
  const parts = name.toLowerCase().split("|");
  if (parts.length > 2) return undefined;
  const base = commands.get(parts[0]!);
  if (parts.length === 1 || base === undefined) return base;
  return base.subcommands?.get(parts[1]!);
}

/** Resolves argv to a command as the dispatcher would (`config get` -> config|get). */
function lookupArgv(
  commands: ReadonlyMap<string, CommandEntry>,
  argv: readonly Bytes[],
): CommandEntry | undefined {
  const base = commands.get(argv[0]!.toLowerCase());
  if (base === undefined || base.subcommands === undefined || argv.length === 1) return base;
  return base.subcommands.get(argv[1]!.toLowerCase());
}

function getKeys(c: Context, argv: Bytes[], withFlags: boolean): void {
  const args = argv.slice(2);
  const e = lookupArgv(c.server.commands, args);
  if (e === undefined) throw new ReplyError("ERR Invalid command specified");
  if (!hasKeys(e)) throw new ReplyError("ERR The command has no key arguments");
  const arity = e.spec.arity;
  if ((arity > 0 && arity !== args.length) || args.length < -arity) {
    throw new ReplyError("ERR Invalid number of arguments specified for command");
  }
  const found = keysAndFlags(e, args);
  if (found.length === 0 && !e.flagSet.has("no_mandatory_keys")) {
    throw new ReplyError("ERR Invalid arguments specified for command");
  }
  const r = c.reply;
  r.array(found.length);
  for (const [i, flags] of found) {
    if (withFlags) {
      r.array(2);
      r.bulk(args[i]!);
      writeStatusSet(r, keySpecFlags(flags));
    } else {
      r.bulk(args[i]!);
    }
  }
}

/** Every command and subcommand, parents first (COMMAND LIST's order). */
function* allEntries(commands: ReadonlyMap<string, CommandEntry>): Generator<CommandEntry> {
  for (const e of commands.values()) {
    yield e;
    if (e.subcommands !== undefined) yield* e.subcommands.values();
  }
}

const HELP = [
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
  "GETKEYSANDFLAGS <full-command>",
  "    Return the keys and the access flags from a full Redis command.",
];

/** COMMAND LIST's handler (FILTERBY MODULE, ACLCAT or PATTERN). */
function commandList(c: Context, argv: Bytes[]): void {
  let filter: ((e: CommandEntry) => boolean) | undefined;
  for (let i = 2; i < argv.length; i += 3) {
    if (argv[i]!.toLowerCase() !== "filterby" || argv.length - 1 - i !== 2) {
      throw new ReplyError("ERR syntax error");
    }
    const arg = argv[i + 2]!;
    switch (argv[i + 1]!.toLowerCase()) {
      case "module":
        // Plugins are not modules: no command belongs to a module.
        filter = () => false;
        break;
      case "aclcat": {
        const cat = arg.toLowerCase();
        filter = (e) => e.categories.includes(cat);
        break;
      }
      case "pattern":
        filter = (e) => globMatch(arg, e.fullName, true);
        break;
      default:
        throw new ReplyError("ERR syntax error");
    }
  }
  const names: string[] = [];
  for (const e of allEntries(c.server.commands)) {
    if (filter === undefined || filter(e)) names.push(e.fullName);
  }
  c.reply.bulkArray(names);
}

/** COMMAND INFO's handler: every command, or the ones named. */
function commandInfo(c: Context, argv: Bytes[]): void {
  const cmds = c.server.commands;
  const r = c.reply;
  if (argv.length <= 2) {
    r.array(cmds.size);
    for (const e of cmds.values()) writeCommandInfo(r, e);
    return;
  }
  r.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const e = lookupFullName(cmds, argv[i]!);
    if (e === undefined) r.nullArray();
    else writeCommandInfo(r, e);
  }
}

/** COMMAND DOCS's handler: every command, or the ones named that exist. */
function commandDocs(c: Context, argv: Bytes[]): void {
  const cmds = c.server.commands;
  const found: CommandEntry[] = [];
  if (argv.length === 2) found.push(...cmds.values());
  for (let i = 2; i < argv.length; i++) {
    const e = lookupFullName(cmds, argv[i]!);
    if (e !== undefined) found.push(e);
  }
  const r = c.reply;
  r.map(found.length);
  for (const e of found) {
    r.bulk(e.fullName);
    writeCommandDocs(r, e);
  }
}

const command = commandFamily({ category: "connection", group: "server" });

/** The COMMAND container command and its subcommands, in Redis's order. */
export const commandSpec: CommandSpec = command({
  name: "command",
  arity: -1,
  flags: ["loading", "stale"],
  // Unlike other containers, COMMAND runs bare, and is in a category.
  categories: ["connection"],
  tips: ["nondeterministic_output_order"],
  docs: {
    summary: "Get array of Redis command details",
    since: "2.8.13",
    complexity: "O(N) where N is the total number of Redis commands",
  },
  // Bare COMMAND (the dispatcher routes any argument to a subcommand).
  handler: commandInfo,
  subcommands: [
    {
      name: "list",
      arity: -2,
      flags: ["loading", "stale"],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Get an array of Redis command names",
        since: "7.0.0",
        complexity: "O(N) where N is the total number of Redis commands",
        arguments: [
          {
            name: "filterby",
            type: "oneof",
            token: "FILTERBY",
            flags: ["optional"],
            arguments: [
              { name: "module-name", type: "string", token: "MODULE" },
              { name: "category", type: "string", token: "ACLCAT" },
              { name: "pattern", type: "pattern", token: "PATTERN" },
            ],
          },
        ],
      },
      handler: commandList,
    },
    {
      name: "getkeys",
      arity: -4,
      flags: ["loading", "stale"],
      docs: {
        summary: "Extract keys given a full Redis command",
        since: "2.8.13",
        complexity: "O(N) where N is the number of arguments to the command",
      },
      handler: (c, argv) => getKeys(c, argv, false),
    },
    helpSubcommand(HELP),
    {
      name: "docs",
      arity: -2,
      flags: ["loading", "stale"],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Get array of specific Redis command documentation",
        since: "7.0.0",
        complexity: "O(N) where N is the number of commands to look up",
        arguments: [
          { name: "command-name", type: "string", flags: ["optional", "multiple"] },
        ],
      },
      handler: commandDocs,
    },
    {
      name: "getkeysandflags",
      arity: -4,
      flags: ["loading", "stale"],
      docs: {
        summary: "Extract keys and access flags given a full Redis command",
        since: "7.0.0",
        complexity: "O(N) where N is the number of arguments to the command",
      },
      handler: (c, argv) => getKeys(c, argv, true),
    },
    {
      name: "count",
      arity: 2,
      flags: ["loading", "stale"],
      docs: {
        summary: "Get total number of Redis commands",
        since: "2.8.13",
        complexity: "O(1)",
      },
      handler: (c) => c.reply.integer(c.server.commands.size),
    },
    {
      name: "info",
      arity: -2,
      flags: ["loading", "stale"],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Get array of specific Redis command details, or all when no argument is given.",
        since: "2.8.13",
        complexity: "O(N) where N is the number of commands to look up",
        history: [
          ["7.0.0", "Allowed to be called with no argument to get info on all commands."],
        ],
        arguments: [
          { name: "command-name", type: "string", flags: ["optional", "multiple"] },
        ],
      },
      handler: commandInfo,
    },
  ],
});

/** The COMMAND introspection plugin. */
export default definePlugin({ name: "command", commands: [commandSpec] });
