/**
 * CLIENT and its subcommands: identity (ID, SETNAME, GETNAME, SETINFO),
 * introspection (LIST, INFO), KILL, REPLY, NO-EVICT and HELP.
 *
 * CLIENT LIST shows state that other plugins own (subscriptions, MULTI,
 * tracking). Those plugins report it through the `clientInfo` hook instead
 * of this file reaching into their state.
 *
 * @module
 */

import type { Bytes, CommandSpec, Context } from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { helpSubcommand } from "../../core/help.ts";
import { parseTimeout } from "../../core/blocking.ts";
import { PauseLevel, POSTPONED } from "../../core/pause.ts";

/** Redis's order of CLIENT LIST flag letters. */
const FLAG_ORDER = "OSMPxbtRBdcuAUre";

/** Extra per-client numbers the connection plugin keeps (file descriptors). */
export interface ClientListState {
  /** A plausible file descriptor per client id (Redis shows `fd=`). */
  fds: Map<number, number>;
}

/**
 * One CLIENT LIST line (no trailing newline), with Redis 7.0's fields in
 * its order, then Redis 7.2's `lib-name` and `lib-ver` (CLIENT SETINFO's).
 * `argv` is the running command's arguments when `c` is the caller (for
 * `argv-mem`).
 */
export function clientInfoLine(
  c: Context,
  state: ClientListState,
  argv?: readonly Bytes[],
): string {
  const now = c.server.clock.now();
  let sub = 0, psub = 0, ssub = 0, multi = -1, multiMem = 0, redir = -1;
  let flags = "";
  if (c.kind === "replica") flags += "S";
  if (c.kind === "master") flags += "M";
  if (c.kind === "pubsub") flags += "P";
  for (const r of c.server.clientInfo(c)) {
    if (!r) continue;
    if (r.sub !== undefined) sub = r.sub;
    if (r.psub !== undefined) psub = r.psub;
    if (r.ssub !== undefined) ssub = r.ssub;
    if (r.multi !== undefined) multi = r.multi;
    if (r.multiMem !== undefined) multiMem = r.multiMem;
    if (r.redir !== undefined) redir = r.redir;
    if (r.flags) flags += r.flags;
  }
  if (c.suspended) flags += "b";
  if (c.flags.closeAfterReply) flags += "c";
  if (c.flags.noEvict) flags += "e";
  if (c.flags.unixSocket) flags += "U";
  flags = [...new Set(flags)].sort((a, b) => FLAG_ORDER.indexOf(a) - FLAG_ORDER.indexOf(b))
    .join("");
  if (flags === "") flags = "N";
  const b = c.buffers;
  // The running command's arguments for the caller; for another client
  // those of the command it is blocked in or waits to run.
  let argvMem = 0;
  if (argv === undefined) argvMem = b.heldArgv;
  else for (const a of argv) argvMem += a.length;
  const qbuf = b.query;
  const omem = b.inFlight;
  // What the client holds, as Redis's getClientMemoryUsage counts it: its
  // buffers as allocated, output in flight, the arguments and MULTI queue
  // it holds, and its own state.
  const totMem = b.queryCapacity + b.outputCapacity + omem + argvMem + multiMem + CLIENT_STATE;
  const events = b.writing ? "rw" : "r";
  const age = Math.max(0, Math.floor(now / 1000) - Math.floor(c.createdAt / 1000));
  const idle = Math.max(0, Math.floor(now / 1000) - Math.floor(c.lastInteraction / 1000));
  return `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${state.fds.get(c.id) ?? -1} ` +
    `name=${c.name} age=${age} idle=${idle} flags=${flags} db=${c.db.index} ` +
    `sub=${sub} psub=${psub} ssub=${ssub} multi=${multi} qbuf=${qbuf} ` +
    `qbuf-free=${b.queryCapacity - qbuf} argv-mem=${argvMem} multi-mem=${multiMem} ` +
    `rbs=${b.outputCapacity} rbp=${b.outputPeak} obl=${b.output} oll=${omem > 0 ? 1 : 0} ` +
    `omem=${omem} tot-mem=${totMem} events=${events} cmd=${c.lastCommand} user=${c.user} ` +
    `redir=${redir} resp=${c.resp} lib-name=${c.libName} lib-ver=${c.libVer}`;
}

/** Bytes of a client's own state beyond its buffers (its objects, in V8). */
const CLIENT_STATE = 1024;

/**
 * Redis's client name rule (also for SETINFO values): printable ASCII
 * without spaces; the empty string clears the name.
 */
export function validClientName(s: Bytes): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x21 || ch > 0x7e) return false;
  }
  return true;
}

/** The error for a name {@link validClientName} refuses. */
export const BAD_NAME = "ERR Client names cannot contain spaces, newlines or special characters.";

/** Client types as CLIENT LIST TYPE and CLIENT KILL TYPE name them. */
type ClientType = "normal" | "master" | "replica" | "pubsub";

function clientType(name: string): ClientType {
  switch (name.toLowerCase()) {
    case "normal":
      return "normal";
    case "master":
      return "master";
    case "slave":
    case "replica":
      return "replica";
    case "pubsub":
      return "pubsub";
  }
  throw new ReplyError(`ERR Unknown client type '${name}'`);
}

function typeOfClient(c: Context): ClientType {
  return c.kind;
}

const HELP = [
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "UNPAUSE",
  "    Stop the current client pause, resuming traffic.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Suspend all, or just write, clients for <timeout> milliseconds.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
];

/** Options for {@link clientCommand}. */
export interface ClientCommandOptions {
  /** fd bookkeeping for CLIENT LIST. */
  state: ClientListState;
  /** Whether `user` names an existing user (CLIENT KILL USER). */
  userExists(user: string): boolean;
}

/**
 * The CLIENT container command (its family adds the connection category),
 * subcommands in Redis's order.
 */
export function clientCommand(opts: ClientCommandOptions): CommandSpec {
  const { state } = opts;
  return {
    name: "client",
    arity: -2,
    flags: [],
    docs: {
      summary: "A container for client connection commands",
      since: "2.4.0",
      complexity: "Depends on subcommand.",
    },
    subcommands: [
      {
        name: "unblock",
        arity: -3,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Unblock a client blocked in a blocking command from a different connection",
          since: "5.0.0",
          complexity: "O(log N) where N is the number of client connections",
          arguments: [
            { name: "client-id", type: "integer" },
            {
              name: "timeout_error",
              type: "oneof",
              flags: ["optional"],
              arguments: [
                { name: "timeout", type: "pure-token", token: "TIMEOUT" },
                { name: "error", type: "pure-token", token: "ERROR" },
              ],
            },
          ],
        },
        handler(c, argv) {
          if (argv.length > 4) {
            throw new ReplyError(
              `ERR unknown subcommand or wrong number of arguments for '${
                argv[1]
              }'. Try CLIENT HELP.`,
            );
          }
          const id = parseInteger(argv[2]!);
          if (id === undefined) throw new ReplyError(Err.notInteger);
          let error = false;
          if (argv.length === 4) {
            const how = argv[3]!.toLowerCase();
            if (how === "error") error = true;
            else if (how !== "timeout") {
              throw new ReplyError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
            }
          }
          // A client CLIENT PAUSE holds waits for the pause, not for data.
          const paused = c.server.clients.get(id)?.blockedData === POSTPONED;
          c.reply.integer(!paused && c.server.unblockClient(id, error) ? 1 : 0);
        },
      },
      {
        name: "kill",
        arity: -3,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Kill the connection of a client",
          since: "2.4.0",
          complexity: "O(N) where N is the number of client connections",
          history: [
            ["2.8.12", "Added new filter format."],
            ["2.8.12", "`ID` option."],
            ["3.2.0", "Added `master` type in for `TYPE` option."],
            [
              "5.0.0",
              "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.",
            ],
            ["6.2.0", "`LADDR` option."],
          ],
          arguments: [
            {
              name: "filter",
              type: "oneof",
              arguments: [
                { name: "ip:port", type: "string", deprecatedSince: "2.8.12" },
                {
                  name: "new-format",
                  type: "oneof",
                  flags: ["multiple"],
                  arguments: [
                    {
                      name: "client-id",
                      type: "integer",
                      token: "ID",
                      since: "2.8.12",
                      flags: ["optional"],
                    },
                    {
                      name: "normal_master_slave_pubsub",
                      type: "oneof",
                      token: "TYPE",
                      since: "2.8.12",
                      flags: ["optional"],
                      arguments: [
                        { name: "normal", type: "pure-token", token: "NORMAL" },
                        { name: "master", type: "pure-token", token: "MASTER", since: "3.2.0" },
                        { name: "slave", type: "pure-token", token: "SLAVE" },
                        { name: "replica", type: "pure-token", token: "REPLICA", since: "5.0.0" },
                        { name: "pubsub", type: "pure-token", token: "PUBSUB" },
                      ],
                    },
                    { name: "username", type: "string", token: "USER", flags: ["optional"] },
                    { name: "ip:port", type: "string", token: "ADDR", flags: ["optional"] },
                    {
                      name: "ip:port",
                      type: "string",
                      token: "LADDR",
                      since: "6.2.0",
                      flags: ["optional"],
                    },
                    { name: "yes/no", type: "string", token: "SKIPME", flags: ["optional"] },
                  ],
                },
              ],
            },
          ],
        },
        handler: (c, argv) => clientKill(c, argv, opts),
      },
      {
        name: "no-evict",
        arity: 3,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Set client eviction mode for the current connection",
          since: "7.0.0",
          complexity: "O(1)",
          arguments: [
            {
              name: "enabled",
              type: "oneof",
              arguments: [
                { name: "on", type: "pure-token", token: "ON" },
                { name: "off", type: "pure-token", token: "OFF" },
              ],
            },
          ],
        },
        handler(c, argv) {
          const mode = argv[2]!.toLowerCase();
          if (mode === "on") c.flags.noEvict = true;
          else if (mode === "off") c.flags.noEvict = false;
          else throw new ReplyError(Err.syntax);
          c.reply.ok();
        },
      },
      {
        name: "info",
        arity: 2,
        flags: ["noscript", "loading", "stale"],
        tips: ["nondeterministic_output"],
        docs: {
          summary: "Returns information about the current client connection.",
          since: "6.2.0",
          complexity: "O(1)",
        },
        handler(c, argv) {
          c.reply.verbatim(clientInfoLine(c, state, argv) + "\n");
        },
      },
      {
        name: "unpause",
        arity: 2,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Resume processing of clients that were paused",
          since: "6.2.0",
          complexity: "O(N) Where N is the number of paused clients",
        },
        handler(c) {
          c.server.keyspace.pause.stop();
          c.reply.ok();
        },
      },
      {
        name: "reply",
        arity: 3,
        flags: ["noscript", "loading", "stale"],
        docs: {
          summary: "Instruct the server whether to reply to commands",
          since: "3.2.0",
          complexity: "O(1)",
          arguments: [
            {
              name: "on_off_skip",
              type: "oneof",
              arguments: [
                { name: "on", type: "pure-token", token: "ON" },
                { name: "off", type: "pure-token", token: "OFF" },
                { name: "skip", type: "pure-token", token: "SKIP" },
              ],
            },
          ],
        },
        handler(c, argv) {
          const mode = argv[2]!.toLowerCase();
          if (mode !== "on" && mode !== "off" && mode !== "skip") {
            throw new ReplyError(Err.syntax);
          }
          c.setReplyMode(mode);
          // Only ON is acknowledged; SKIP silences this reply too.
          if (mode === "on") c.reply.ok();
        },
      },
      {
        name: "id",
        arity: 2,
        flags: ["noscript", "loading", "stale"],
        docs: {
          summary: "Returns the client ID for the current connection",
          since: "5.0.0",
          complexity: "O(1)",
        },
        handler(c) {
          c.reply.integer(c.id);
        },
      },
      {
        name: "pause",
        arity: -3,
        flags: ["admin", "noscript", "loading", "stale"],
        docs: {
          summary: "Stop processing commands from clients for some time",
          since: "2.9.50",
          complexity: "O(1)",
          history: [["6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."]],
          arguments: [
            { name: "timeout", type: "integer" },
            {
              name: "mode",
              type: "oneof",
              since: "6.2.0",
              flags: ["optional"],
              arguments: [
                { name: "write", type: "pure-token", token: "WRITE" },
                { name: "all", type: "pure-token", token: "ALL" },
              ],
            },
          ],
        },
        handler: clientPause,
      },
      helpSubcommand(HELP),
      {
        name: "list",
        arity: -2,
        flags: ["admin", "noscript", "loading", "stale"],
        tips: ["nondeterministic_output"],
        docs: {
          summary: "Get the list of client connections",
          since: "2.4.0",
          complexity: "O(N) where N is the number of client connections",
          history: [
            ["2.8.12", "Added unique client `id` field."],
            ["5.0.0", "Added optional `TYPE` filter."],
            ["6.0.0", "Added `user` field."],
            [
              "6.2.0",
              "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.",
            ],
            ["7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."],
            ["7.0.3", "Added `ssub` field."],
          ],
          arguments: [
            {
              name: "normal_master_replica_pubsub",
              type: "oneof",
              token: "TYPE",
              since: "5.0.0",
              flags: ["optional"],
              arguments: [
                { name: "normal", type: "pure-token", token: "NORMAL" },
                { name: "master", type: "pure-token", token: "MASTER" },
                { name: "replica", type: "pure-token", token: "REPLICA" },
                { name: "pubsub", type: "pure-token", token: "PUBSUB" },
              ],
            },
            {
              name: "id",
              type: "block",
              token: "ID",
              since: "6.2.0",
              flags: ["optional"],
              arguments: [
                { name: "client-id", type: "integer", flags: ["multiple"] },
              ],
            },
          ],
        },
        handler: (c, argv) => c.reply.verbatim(clientList(c, argv, state)),
      },
      {
        name: "getname",
        arity: 2,
        flags: ["noscript", "loading", "stale"],
        docs: {
          summary: "Get the current connection name",
          since: "2.6.9",
          complexity: "O(1)",
        },
        handler(c) {
          if (c.name === "") c.reply.nullBulk();
          else c.reply.bulk(c.name);
        },
      },
      {
        name: "setname",
        arity: 3,
        flags: ["noscript", "loading", "stale"],
        docs: {
          summary: "Set the current connection name",
          since: "2.6.9",
          complexity: "O(1)",
          arguments: [
            { name: "connection-name", type: "string" },
          ],
        },
        handler(c, argv) {
          const name = argv[2]!;
          if (!validClientName(name)) throw new ReplyError(BAD_NAME);
          c.name = name;
          c.reply.ok();
        },
      },
      // Redis 7.2's; client libraries send it on connect.
      {
        name: "setinfo",
        arity: 4,
        flags: ["noscript", "loading", "stale"],
        docs: {
          summary: "Sets information specific to the client or connection.",
          since: "7.2.0",
          complexity: "O(1)",
          arguments: [
            {
              name: "attr",
              type: "oneof",
              arguments: [
                { name: "libname", type: "string", token: "LIB-NAME" },
                { name: "libver", type: "string", token: "LIB-VER" },
              ],
            },
          ],
        },
        handler(c, argv) {
          const attr = argv[2]!, val = argv[3]!;
          const a = attr.toLowerCase();
          if (a !== "lib-name" && a !== "lib-ver") {
            throw new ReplyError(`ERR Unrecognized option '${attr}'`);
          }
          if (!validClientName(val)) {
            throw new ReplyError(
              `ERR ${attr} cannot contain spaces, newlines or special characters.`,
            );
          }
          if (a === "lib-name") c.libName = val;
          else c.libVer = val;
          c.reply.ok();
        },
      },
    ],
  };
}

/** CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked before the timeout, as in Redis. */
function clientPause(c: Context, argv: Bytes[]): void {
  if (argv.length > 4) {
    throw new ReplyError(
      `ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try CLIENT HELP.`,
    );
  }
  let level: number = PauseLevel.ALL;
  if (argv.length === 4) {
    const mode = argv[3]!.toLowerCase();
    if (mode === "write") level = PauseLevel.WRITE;
    else if (mode !== "all") throw new ReplyError("ERR CLIENT PAUSE mode must be WRITE or ALL");
  }
  const ms = parseTimeout(argv[2]!, "milliseconds");
  const now = c.server.clock.now();
  // Redis 7.0 adds the time unchecked: an end past 2^63 wraps to the past,
  // and the pause ends at once.
  c.server.keyspace.pause.start(level, ms > LLONG_MAX - now ? 0 : now + ms);
  c.reply.ok();
}

const LLONG_MAX = 9223372036854775807;

function clientList(c: Context, argv: Bytes[], state: ClientListState): string {
  const all = c.server.clients;
  let type: ClientType | undefined;
  let out = "";
  if (argv.length === 4 && argv[2]!.toLowerCase() === "type") {
    type = clientType(argv[3]!);
  } else if (argv.length > 3 && argv[2]!.toLowerCase() === "id") {
    const ids: number[] = [];
    for (let i = 3; i < argv.length; i++) {
      const id = parseInteger(argv[i]!);
      if (id === undefined) throw new ReplyError("ERR Invalid client ID");
      ids.push(id);
    }
    for (const id of ids) {
      const cl = all.get(id);
      if (cl) out += clientInfoLine(cl, state, cl === c ? argv : undefined) + "\n";
    }
    return out;
  } else if (argv.length !== 2) {
    throw new ReplyError(Err.syntax);
  }
  for (const cl of all.values()) {
    if (type !== undefined && typeOfClient(cl) !== type) continue;
    out += clientInfoLine(cl, state, cl === c ? argv : undefined) + "\n";
  }
  return out;
}

function clientKill(c: Context, argv: Bytes[], opts: ClientCommandOptions): void {
  let addr: string | undefined, laddr: string | undefined, user: string | undefined;
  let type: ClientType | undefined;
  let id = 0;
  let skipme = true;
  if (argv.length === 3) {
    // Old form: CLIENT KILL addr (which may kill the caller itself).
    addr = argv[2]!;
    skipme = false;
  } else {
    for (let i = 2; i < argv.length; i += 2) {
      const opt = argv[i]!.toLowerCase();
      const val = argv[i + 1];
      if (val === undefined) throw new ReplyError(Err.syntax);
      if (opt === "id") {
        const n = parseInteger(val);
        if (n === undefined || n < 1) {
          throw new ReplyError("ERR client-id should be greater than 0");
        }
        id = n;
      } else if (opt === "type") {
        type = clientType(val);
      } else if (opt === "addr") {
        addr = val;
      } else if (opt === "laddr") {
        laddr = val;
      } else if (opt === "user") {
        if (!opts.userExists(val)) throw new ReplyError(`ERR No such user '${val}'`);
        user = val;
      } else if (opt === "skipme") {
        const v = val.toLowerCase();
        if (v === "yes") skipme = true;
        else if (v === "no") skipme = false;
        else throw new ReplyError(Err.syntax);
      } else {
        throw new ReplyError(Err.syntax);
      }
    }
  }
  let killed = 0;
  let self = false;
  for (const cl of [...c.server.clients.values()]) {
    if (addr !== undefined && cl.addr !== addr) continue;
    if (laddr !== undefined && cl.laddr !== laddr) continue;
    if (type !== undefined && typeOfClient(cl) !== type) continue;
    if (id !== 0 && cl.id !== id) continue;
    if (user !== undefined && cl.user !== user) continue;
    if (cl.id === c.id) {
      if (skipme) continue;
      self = true;
    } else {
      c.server.killClient(cl.id);
    }
    killed++;
  }
  if (argv.length === 3) {
    if (killed === 0) throw new ReplyError("ERR No such client");
    c.reply.ok();
  } else {
    c.reply.integer(killed);
  }
  // Close the caller only after its reply is queued.
  if (self) c.close();
}
