/**
 * ACL: users, the Redis 7.0 rule language, the ACL command, and the
 * permission check every command goes through.
 *
 * - An admission check (the `acl` phase) checks the client's user against
 *   the command, its keys (read or write, from the flags of the key specs)
 *   and its channels, for every command, user plugins' included. Refusals
 *   answer Redis's NOPERM errors, go to the ACL LOG and, inside MULTI, fail
 *   the transaction (EXECABORT): admission runs before MULTI queues.
 * - Commands run later than they were admitted (EXEC's queue, a script's
 *   `redis.call`) are checked again through {@link AuthService.permits}, by
 *   the plugin that runs them.
 * - The `auth` service lets the connection plugin (AUTH, HELLO AUTH, the
 *   NOAUTH gate) authenticate against users; `requirepass` sets the default
 *   user's password, as in Redis.
 * - Users come from `user` directives or the `aclfile` (not both), loaded
 *   by the `load` hook once every plugin has registered its commands, so
 *   rules may name any command; an error stops start-up.
 * - Passwords are kept only as SHA-256 digests, compared in constant time.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { LONG_MAX } from "../../core/config.ts";
import type {
  Bytes,
  CommandEntry,
  CommandHandler,
  CommandSpec,
  Context,
  PluginInstance,
  ServerApi,
} from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { ACL_CATEGORIES, commandFamily } from "../../core/registry.ts";
import { helpSubcommand } from "../../core/help.ts";
import { parseInteger } from "../../core/number.ts";
import { bytesToString, byteStringToUtf8, stringToBytes } from "../../core/resp/bytes.ts";
import type {} from "../../commands/connection/mod.ts";
import { osReason } from "../../core/conf_file.ts";
import type {} from "../pubsub/mod.ts";
import {
  applyUserRule,
  type CommandTable,
  createDefaultUser,
  describeChannels,
  describeCommandRules,
  describeKeys,
  describeUser,
  hashPassword,
  hasSpaces,
  mergeSelectorArgs,
  type RuleContext,
  RuleError,
  type Selector,
  User,
  userFlags,
} from "./_rules.ts";
import {
  channelAllowed,
  checkCommand,
  type CheckResult,
  DENIED_AUTH,
  DENIED_CHANNEL,
  DENIED_CMD,
  DENIED_KEY,
  OK,
} from "./_check.ts";
import { AclLog, type LogContext } from "./_log.ts";
import {
  formatAclFile,
  parseAclFile,
  sortedUsers,
  userLines,
  type UserMap,
  validateUserDirectives,
} from "./_file.ts";

/** What the connection plugin needs to authenticate clients. */
export interface AuthService {
  /**
   * Checks a user/password pair; on success the client runs as that user
   * (the connection plugin then counts it authenticated). A failure is
   * logged in the ACL LOG (`via` is the command name as the client typed
   * it, Redis's log `object`).
   */
  authenticate(c: Context, user: Bytes, pass: Bytes, via: Bytes): boolean;
  /** The default user has `nopass` (AUTH <password> is then an error). */
  defaultNoPass(): boolean;
  /** New (or RESET) clients start authenticated: default is `on` and `nopass`. */
  startsAuthenticated(): boolean;
  /** Whether a user exists (CLIENT KILL USER). */
  userExists(name: Bytes): boolean;
  /** Calls `fn` whenever the default user changes (parser strictness). */
  onDefaultUserChange(fn: () => void): void;
  /**
   * Whether `c`'s user may run `argv` now (a script's `redis.call`, a
   * command EXEC is about to run): `"ok"`, or what it lacks. A refusal is
   * logged in the ACL LOG under `log`, the context Redis names (`lua`,
   * `multi`); nothing is logged without one (redis.acl_check_cmd).
   */
  permits(c: Context, cmd: CommandEntry, argv: Bytes[], log?: "lua" | "multi"): AclVerdict;
}

/** {@link AuthService.permits}'s answer. */
export type AclVerdict = "ok" | "command" | "key" | "channel";

declare module "../../core/types.ts" {
  interface ClientExtensions {
    /** The ACL user the client runs as (acl plugin); the default user if unset. */
    aclUser?: User;
  }
  interface Services {
    /** Users and passwords (acl plugin). */
    auth: AuthService;
  }
}

const NOPERM_KEY =
  "NOPERM this user has no permissions to access one of the keys used as arguments";
const NOPERM_CHANNEL =
  "NOPERM this user has no permissions to access one of the channels used as arguments";
const NO_ACLFILE = "ERR This Redis instance is not configured to use an ACL file. You may want " +
  "to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you " +
  "have a Redis configuration file set) in order to store users in the Redis configuration.";
const BOTH_SOURCES = "Configuring Redis with users defined in redis.conf and at the same " +
  "setting an ACL file path is invalid. This setup is very likely to lead to configuration " +
  "errors and security holes, please define either an ACL file or declare users directly in " +
  "your redis.conf, but not both.";
const GENPASS_MAX_BITS = 4096;

const HELP = [
  "CAT [<category>]",
  "    List all commands that belong to <category>, or all command categories",
  "    when no category is specified.",
  "DELUSER <username> [<username> ...]",
  "    Delete a list of users.",
  "DRYRUN <username> <command> [<arg> ...]",
  "    Returns whether the user can execute the given command without executing the command.",
  "GETUSER <username>",
  "    Get the user's details.",
  "GENPASS [<bits>]",
  "    Generate a secure 256-bit user password. The optional `bits` argument can",
  "    be used to specify a different size.",
  "LIST",
  "    Show users details in config file format.",
  "LOAD",
  "    Reload users from the ACL file.",
  "LOG [<count> | RESET]",
  "    Show the ACL log entries.",
  "SAVE",
  "    Save the current config to the ACL file.",
  "SETUSER <username> <attribute> [<attribute> ...]",
  "    Create or modify a user with the specified attributes.",
  "USERS",
  "    List all the registered usernames.",
  "WHOAMI",
  "    Return the current connection username.",
];

/** ACL is in Redis's server group. */
const command = commandFamily({ group: "server" });

/**
 * Whether two password hashes (64 hex digits) are equal, in time that does
 * not depend on where they differ (as node:crypto's `timingSafeEqual`).
 */
function sameHash(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function subSyntaxError(argv: Bytes[]): ReplyError {
  return new ReplyError(
    `ERR unknown subcommand or wrong number of arguments for '${
      argv[1]!.slice(0, 128)
    }'. Try ACL HELP.`,
  );
}

function init(server: ServerApi): PluginInstance {
  const table: CommandTable = {
    all: () => server.commands.values(),
    lookup(name) {
      const parts = name.toLowerCase().split("|");
      if (parts.length > 2) return undefined;
      const base = server.commands.get(parts[0]!);
      if (parts.length === 1 || base === undefined) return base;
      return base.subcommands?.get(parts[1]!);
    },
  };
  let pubsubDefault = false;
  const ctx: RuleContext = {
    table,
    get pubsubDefault() {
      return pubsubDefault;
    },
  };
  server.config.watch("acl-pubsub-default", (v) => (pubsubDefault = v === "allchannels"));
  let logMax = 128;
  server.config.watch("acllog-max-len", (v) => (logMax = Number(v)));

  const log = new AclLog();
  const defaultUser = createDefaultUser(ctx);
  let users: UserMap = new Map([["default", defaultUser]]);
  const defaultListeners: (() => void)[] = [];
  const defaultChanged = () => {
    for (const fn of defaultListeners) fn();
    server.rearm();
  };

  const setDefaultPassword = (pass: Bytes) => {
    applyUserRule(defaultUser, "resetpass", ctx);
    applyUserRule(defaultUser, pass === "" ? "nopass" : ">" + pass, ctx);
    defaultUser.refresh();
    defaultChanged();
  };

  let loaded = false;
  let requirepass = "";
  server.config.watch("requirepass", (v) => {
    requirepass = v;
    if (loaded) setDefaultPassword(v);
  });

  const aclfile = () => server.config.get("aclfile");
  if (aclfile() !== "" && server.config.get("user") !== "") throw new Error(BOTH_SOURCES);

  /** Loads the configured users once every command is registered. */
  function load(): void {
    if (loaded) return;
    loaded = true;
    if (requirepass !== "") setDefaultPassword(requirepass);
    for (const args of userLines(server.config.get("user"))) loadConfiguredUser(args);
    // The directives may hold clear-text passwords: CONFIG GET must not show them.
    server.config.set("user", "", true);
    if (aclfile() !== "") {
      const err = loadFile();
      // Thrown from the load hook, this stops start-up, as Redis exits.
      if (err !== undefined) {
        throw new Error(`Aborting Redis startup because of ACL errors: ${err}`);
      }
    }
  }

  function loadConfiguredUser(args: string[]): void {
    const name = args[0]!;
    if (hasSpaces(name)) {
      server.log("warning", "Spaces not allowed in ACL usernames");
      throw new Error("Critical error while loading ACLs. Exiting.");
    }
    let u = users.get(name);
    if (u === undefined) {
      u = new User(name, pubsubDefault);
      users.set(name, u);
    } else {
      applyUserRule(u, "reset", ctx);
    }
    const merged = mergeSelectorArgs(args.slice(1));
    for (const op of Array.isArray(merged) ? merged : []) {
      try {
        applyUserRule(u, op, ctx);
      } catch (e) {
        if (!(e instanceof RuleError)) throw e;
        server.log(
          "warning",
          `Error loading ACL rule '${op}' for the user named '${name}': ${e.message}`,
        );
        throw new Error("Critical error while loading ACLs. Exiting.");
      }
    }
    u.refresh();
    if (u === defaultUser) defaultChanged();
    else server.rearm();
    if (!u.enabled) {
      server.log(
        "notice",
        `The user '${name}' is disabled (there is no 'on' modifier in the user description). ` +
          "Make sure this is not a configuration error.",
      );
    }
  }

  /** ACLLoadFromFile: replaces every user, or returns the errors. */
  function loadFile(self?: Context): string | undefined {
    const file = aclfile();
    let text: string;
    try {
      const b = Deno.readFileSync(byteStringToUtf8(file));
      text = bytesToString(b, 0, b.length);
    } catch (e) {
      return `Error loading ACLs, opening file '${file}': ${osReason(e)}`;
    }
    const parsed = parseAclFile(text, file, ctx);
    if ("errors" in parsed) return parsed.errors;
    const next = parsed.users;
    defaultUser.copyFrom(next.get("default")!);
    next.set("default", defaultUser);
    const old = users;
    users = next;
    for (const u of old.values()) if (u !== defaultUser) disconnectUser(u, self);
    defaultChanged();
    return undefined;
  }

  /** Logs a denial or a failed authentication. */
  function logEntry(
    c: Context,
    reason: number,
    context: LogContext,
    object: Bytes,
    username: Bytes,
    argv?: readonly Bytes[],
  ): void {
    log.add({
      reason,
      context,
      object,
      username,
      ctime: server.clock.now(),
      cinfo: server.service("clients")?.infoLine(c, argv) ?? "",
    }, logMax);
  }

  /** Disconnects every client of a deleted or replaced user (ACLFreeUserAndKillClients). */
  function disconnectUser(u: User, self?: Context): void {
    for (const c of [...server.clients.values()]) {
      if (c.ext.aclUser !== u) continue;
      c.ext.aclUser = defaultUser;
      c.user = "default";
      server.service("clients")?.deauthenticate(c);
      if (c === self) c.close();
      else server.killClient(c.id);
    }
  }

  /** ACLKillPubsubClientsIfNeeded: subscribers that lost a channel go. */
  function killPubsubClients(next: User, original: User, self: Context): void {
    if (next.selectors.some((s) => s.allChannels)) return;
    const upcoming: Bytes[] = next.selectors.flatMap((s) => s.channels);
    const kept = original.selectors.every((s) => s.channels.every((ch) => upcoming.includes(ch)));
    if (kept) return;
    for (const c of [...server.clients.values()]) {
      if (c.ext.aclUser !== original || c.kind !== "pubsub") continue;
      const subs = server.service("pubsub")?.subscriptions(c);
      if (subs === undefined) continue;
      const lost = [...subs.patterns].some((p) => !channelAllowed(upcoming, p, true)) ||
        [...subs.channels].some((ch) => !channelAllowed(upcoming, ch, false)) ||
        [...subs.shard].some((ch) => !channelAllowed(upcoming, ch, false));
      if (!lost) continue;
      if (c === self) c.close();
      else server.killClient(c.id);
    }
  }

  const objectOf = (r: CheckResult, cmd: CommandEntry, argv: readonly Bytes[]) =>
    r.result === DENIED_CMD ? cmd.fullName : argv[r.idx]!;

  const auth: AuthService = {
    permits(c, cmd, argv, log) {
      const u = c.ext.aclUser ?? defaultUser;
      if (u.unrestricted) return "ok";
      const r = checkCommand(u, cmd, argv);
      if (r.result === OK) return "ok";
      if (log !== undefined) logEntry(c, r.result, log, objectOf(r, cmd, argv), c.user, argv);
      return r.result === DENIED_KEY ? "key" : r.result === DENIED_CHANNEL ? "channel" : "command";
    },
    authenticate(c, name, pass, via) {
      const u = users.get(name);
      let ok = false;
      if (u !== undefined && u.enabled) {
        if (u.nopass) ok = true;
        else {
          const given = hashPassword(pass);
          for (const p of u.passwords) {
            if (sameHash(given, p)) ok = true;
          }
        }
      }
      if (ok && u !== undefined) {
        c.ext.aclUser = u;
        c.user = name;
        return true;
      }
      logEntry(c, DENIED_AUTH, c.flags.multi ? "multi" : "toplevel", via, name);
      return false;
    },
    defaultNoPass: () => defaultUser.nopass,
    startsAuthenticated: () => defaultUser.nopass && defaultUser.enabled,
    userExists: (name) => users.has(name),
    onDefaultUserChange: (fn) => void defaultListeners.push(fn),
  };
  server.provide("auth", auth);
  server.provide("defaultUserNoPass", () => defaultUser.nopass);

  // -------------------------------------------------------------------------
  // ACL subcommands

  const setuser: CommandHandler = (c, argv) => {
    const name = argv[2]!;
    if (hasSpaces(name)) {
      throw new ReplyError("ERR Usernames can't contain spaces or null characters");
    }
    const merged = mergeSelectorArgs(argv.slice(3));
    if (!Array.isArray(merged)) {
      throw new ReplyError(
        `ERR Unmatched parenthesis in acl selector starting at '${argv[merged.openAt + 3]}'.`,
      );
    }
    const existing = users.get(name);
    const temp = new User(name, pubsubDefault);
    if (existing) temp.copyFrom(existing);
    for (const op of merged) {
      try {
        applyUserRule(temp, op, ctx);
      } catch (e) {
        if (!(e instanceof RuleError)) throw e;
        throw new ReplyError(`ERR Error in ACL SETUSER modifier '${cut(op)}': ${e.message}`);
      }
    }
    if (existing) killPubsubClients(temp, existing, c);
    const u = existing ?? new User(name, pubsubDefault);
    u.copyFrom(temp);
    users.set(name, u);
    if (u === defaultUser) defaultChanged();
    else server.rearm();
    c.reply.ok();
  };

  const deluser: CommandHandler = (c, argv) => {
    for (let j = 2; j < argv.length; j++) {
      if (argv[j] === "default") throw new ReplyError("ERR The 'default' user cannot be removed");
    }
    let deleted = 0;
    for (let j = 2; j < argv.length; j++) {
      const u = users.get(argv[j]!);
      if (u === undefined) continue;
      users.delete(argv[j]!);
      disconnectUser(u, c);
      deleted++;
    }
    if (deleted !== 0) server.rearm();
    c.reply.integer(deleted);
  };

  const selectorFields = (c: Context, s: Selector) => {
    c.reply.bulk("commands");
    c.reply.bulk(describeCommandRules(s, table));
    c.reply.bulk("keys");
    c.reply.bulk(describeKeys(s));
    c.reply.bulk("channels");
    c.reply.bulk(describeChannels(s));
  };

  const getuser: CommandHandler = (c, argv) => {
    const u = users.get(argv[2]!);
    if (u === undefined) {
      c.reply.nullBulk();
      return;
    }
    const r = c.reply;
    r.map(6);
    r.bulk("flags");
    const flags = userFlags(u);
    r.set(flags.length);
    for (const f of flags) r.bulk(f);
    r.bulk("passwords");
    r.bulkArray(u.passwords);
    selectorFields(c, u.root);
    r.bulk("selectors");
    r.array(u.selectors.length - 1);
    for (const s of u.selectors.slice(1)) {
      r.map(3);
      selectorFields(c, s);
    }
  };

  const list = (names: boolean): CommandHandler => (c) => {
    const all = sortedUsers(users);
    c.reply.bulkArray(
      all.map((u) => names ? u.name : `user ${u.name} ${describeUser(u, table)}`),
    );
  };

  const cat: CommandHandler = (c, argv) => {
    if (argv.length > 3) throw subSyntaxError(argv);
    if (argv.length === 2) {
      c.reply.bulkArray(ACL_CATEGORIES);
      return;
    }
    const want = argv[2]!.toLowerCase();
    if (!ACL_CATEGORIES.includes(want)) {
      throw new ReplyError(`ERR Unknown category '${argv[2]!.slice(0, 128)}'`);
    }
    const out: string[] = [];
    const walk = (cmds: Iterable<CommandEntry>) => {
      for (const cmd of cmds) {
        if (cmd.categories.includes(want)) out.push(cmd.fullName);
        if (cmd.subcommands) walk(cmd.subcommands.values());
      }
    };
    walk(table.all());
    c.reply.bulkArray(out);
  };

  const genpass: CommandHandler = (c, argv) => {
    if (argv.length > 3) throw subSyntaxError(argv);
    let bits = 256;
    if (argv.length === 3) {
      const n = parseInteger(argv[2]!);
      if (n === undefined) throw new ReplyError(Err.notInteger);
      bits = n;
    }
    if (bits <= 0 || bits > GENPASS_MAX_BITS) {
      throw new ReplyError(
        "ERR ACL GENPASS argument must be the number of bits for the output password, " +
          `a positive number up to ${GENPASS_MAX_BITS}`,
      );
    }
    const chars = Math.floor((bits + 3) / 4);
    const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    c.reply.bulk(hex.slice(0, chars));
  };

  const aclLog: CommandHandler = (c, argv) => {
    if (argv.length > 3) throw subSyntaxError(argv);
    let count = 10;
    if (argv.length === 3) {
      if (argv[2]!.toLowerCase() === "reset") {
        log.entries = [];
        c.reply.ok();
        return;
      }
      const n = parseInteger(argv[2]!);
      if (n === undefined) throw new ReplyError(Err.notInteger);
      count = Math.max(0, n);
    }
    log.reply(c.reply, count, server.clock.now());
  };

  const dryrun: CommandHandler = (c, argv) => {
    const u = users.get(argv[2]!);
    if (u === undefined) throw new ReplyError(`ERR User '${argv[2]}' not found`);
    const args = argv.slice(3);
    const base = server.commands.get(args[0]!.toLowerCase());
    const cmd = base?.subcommands !== undefined && args.length >= 2
      ? base.subcommands.get(args[1]!.toLowerCase())
      : base;
    if (cmd === undefined) throw new ReplyError(`ERR Command '${args[0]}' not found`);
    const arity = cmd.spec.arity;
    if ((arity > 0 && arity !== args.length) || args.length < -arity) {
      throw new ReplyError(Err.arity(cmd.fullName));
    }
    const r = checkCommand(u, cmd, args);
    if (r.result === DENIED_CMD) {
      c.reply.bulk(`This user has no permissions to run the '${cmd.fullName}' command`);
    } else if (r.result === DENIED_KEY) {
      c.reply.bulk(`This user has no permissions to access the '${args[r.idx]}' key`);
    } else if (r.result === DENIED_CHANNEL) {
      c.reply.bulk(`This user has no permissions to access the '${args[r.idx]}' channel`);
    } else {
      c.reply.ok();
    }
  };

  const save: CommandHandler = (c) => {
    const file = aclfile();
    if (file === "") throw new ReplyError(NO_ACLFILE);
    const path = byteStringToUtf8(file);
    const tmp = `${path}.tmp-${server.pid}-${server.clock.now()}`;
    try {
      Deno.writeFileSync(tmp, stringToBytes(formatAclFile(users, table)), { mode: 0o644 });
      Deno.renameSync(tmp, path);
    } catch (e) {
      server.log("warning", `Writing ACL file for ACL SAVE: ${osReason(e)}`);
      try {
        Deno.removeSync(tmp);
      } catch { /* never written */ }
      throw new ReplyError(
        "ERR There was an error trying to save the ACLs. Please check the server logs for " +
          "more information",
      );
    }
    c.reply.ok();
  };

  const loadCmd: CommandHandler = (c) => {
    if (aclfile() === "") throw new ReplyError(NO_ACLFILE);
    const err = loadFile(c);
    if (err !== undefined) throw new ReplyError(`ERR ${err}`);
    c.reply.ok();
  };

  const commands: CommandSpec[] = [command({
    name: "acl",
    arity: -2,
    flags: [],
    docs: {
      summary: "A container for Access List Control commands ",
      since: "6.0.0",
      complexity: "Depends on subcommand.",
    },
    subcommands: [
      {
        name: "dryrun",
        arity: -4,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary:
            "Returns whether the user can execute the given command without executing the command.",
          since: "7.0.0",
          complexity: "O(1).",
          arguments: [
            { name: "username", type: "string" },
            { name: "command", type: "string" },
            { name: "arg", type: "string", flags: ["optional", "multiple"] },
          ],
        },
        handler: dryrun,
      },
      {
        name: "cat",
        arity: -2,
        flags: ["noscript", "loading", "stale"],
        docs: {
          summary: "List the ACL categories or the commands inside a category",
          since: "6.0.0",
          complexity: "O(1) since the categories and commands are a fixed set.",
          arguments: [
            { name: "categoryname", type: "string", flags: ["optional"] },
          ],
        },
        handler: cat,
      },
      {
        name: "save",
        arity: 2,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Save the current ACL rules in the configured ACL file",
          since: "6.0.0",
          complexity: "O(N). Where N is the number of configured users.",
        },
        handler: save,
      },
      {
        name: "genpass",
        arity: -2,
        flags: ["noscript", "loading", "stale"],
        docs: {
          summary: "Generate a pseudorandom secure password to use for ACL users",
          since: "6.0.0",
          complexity: "O(1)",
          arguments: [
            { name: "bits", type: "integer", flags: ["optional"] },
          ],
        },
        handler: genpass,
      },
      {
        name: "getuser",
        arity: 3,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Get the rules for a specific ACL user",
          since: "6.0.0",
          complexity:
            "O(N). Where N is the number of password, command and pattern rules that the user has.",
          history: [
            ["6.2.0", "Added Pub/Sub channel patterns."],
            [
              "7.0.0",
              "Added selectors and changed the format of key and channel patterns from a list to their rule representation.",
            ],
          ],
          arguments: [
            { name: "username", type: "string" },
          ],
        },
        handler: getuser,
      },
      {
        name: "users",
        arity: 2,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "List the username of all the configured ACL rules",
          since: "6.0.0",
          complexity: "O(N). Where N is the number of configured users.",
        },
        handler: list(true),
      },
      {
        name: "whoami",
        arity: 2,
        flags: ["noscript", "loading", "stale"],
        docs: {
          summary: "Return the name of the user associated to the current connection",
          since: "6.0.0",
          complexity: "O(1)",
        },
        handler: (c) => c.reply.bulk(c.user),
      },
      {
        name: "deluser",
        arity: -3,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Remove the specified ACL users and the associated rules",
          since: "6.0.0",
          complexity: "O(1) amortized time considering the typical user.",
          arguments: [
            { name: "username", type: "string", flags: ["multiple"] },
          ],
        },
        handler: deluser,
      },
      {
        name: "load",
        arity: 2,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Reload the ACLs from the configured ACL file",
          since: "6.0.0",
          complexity: "O(N). Where N is the number of configured users.",
        },
        handler: loadCmd,
      },
      {
        name: "setuser",
        arity: -3,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Modify or create the rules for a specific ACL user",
          since: "6.0.0",
          complexity: "O(N). Where N is the number of rules provided.",
          history: [
            ["6.2.0", "Added Pub/Sub channel patterns."],
            ["7.0.0", "Added selectors and key based permissions."],
          ],
          arguments: [
            { name: "username", type: "string" },
            { name: "rule", type: "string", flags: ["optional", "multiple"] },
          ],
        },
        handler: setuser,
      },
      {
        name: "log",
        arity: -2,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "List latest events denied because of ACLs in place",
          since: "6.0.0",
          complexity: "O(N) with N being the number of entries shown.",
          arguments: [
            {
              name: "operation",
              type: "oneof",
              flags: ["optional"],
              arguments: [
                { name: "count", type: "integer" },
                { name: "reset", type: "pure-token", token: "RESET" },
              ],
            },
          ],
        },
        handler: aclLog,
      },
      helpSubcommand(HELP, "6.0.0"),
      {
        name: "list",
        arity: 2,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "List the current ACL rules in ACL config file format",
          since: "6.0.0",
          complexity: "O(N). Where N is the number of configured users.",
        },
        handler: list(false),
      },
    ],
  })];

  /** The ACL phase of admission: the user's permissions for this command. */
  const aclCheck = (c: Context, cmd: CommandEntry, argv: Bytes[]): string | undefined => {
    const u = c.ext.aclUser ?? defaultUser;
    if (u.unrestricted) return undefined;
    const r = checkCommand(u, cmd, argv);
    if (r.result === OK) return undefined;
    // Redis records the refused command as the client's last one.
    c.lastCommand = cmd.fullName;
    const ctx = c.flags.multi ? "multi" : "toplevel";
    logEntry(c, r.result, ctx, objectOf(r, cmd, argv), c.user, argv);
    return r.result === DENIED_CMD
      ? `NOPERM this user has no permissions to run the '${cmd.fullName}' command`
      : r.result === DENIED_KEY
      ? NOPERM_KEY
      : NOPERM_CHANNEL;
  };

  return {
    commands,
    hooks: {
      load,
      clientConnected(c) {
        c.ext.aclUser = defaultUser;
      },
      clientReset(c) {
        c.ext.aclUser = defaultUser;
      },
    },
    admission: {
      // Armed while some user is restricted (only the default user with
      // every permission, as out of the box, makes it idle).
      acl: {
        armed: () => {
          for (const u of users.values()) if (!u.unrestricted) return true;
          return false;
        },
        check: (c, cmd, argv) => aclCheck(c, cmd, argv),
      },
    },
  };
}

/** Redis prints modifiers with %s: a NUL byte ends them. */
function cut(s: Bytes): Bytes {
  const i = s.indexOf("\0");
  return i === -1 ? s : s.slice(0, i);
}

/** The ACL plugin: users, ACL, and permission checks for every command. */
export default definePlugin({
  name: "acl",
  dependencies: ["connection"],
  config: [
    {
      name: "user",
      type: "string",
      default: "",
      mutable: false,
      fileOnly: true,
      validate(v: string) {
        validateUserDirectives(v);
        return v;
      },
    },
    { name: "aclfile", type: "string", default: "", mutable: false },
    // An unsigned long in Redis: -1 is above the maximum.
    { name: "acllog-max-len", type: "int", default: "128", min: 0, max: LONG_MAX, unsigned: true },
    {
      name: "acl-pubsub-default",
      type: "enum",
      default: "resetchannels",
      values: ["allchannels", "resetchannels"],
    },
  ],
  init,
});
