/**
 * The connection family: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT,
 * SWAPDB and CLIENT (in `_client.ts`), plus the `requirepass` gate.
 *
 * With the ACL plugin loaded, users and passwords are its business: AUTH,
 * HELLO AUTH and the NOAUTH gate ask its `auth` service (and `requirepass`
 * becomes the default user's password). Without it there is one user,
 * "default", whose password is `requirepass` ("" means no password, so every
 * client is authenticated). Either way, as in Redis, a client's
 * authentication is decided when it connects or authenticates: setting a
 * password later does not lock out clients that connected without one.
 *
 * @module
 */

import type {
  Bytes,
  CommandSpec,
  Context,
  Plugin,
  PluginInstance,
  ServerApi,
} from "../../core/types.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { commandFamily } from "../../core/registry.ts";
import {
  BAD_NAME,
  clientCommand,
  clientInfoLine,
  type ClientListState,
  validClientName,
} from "./_client.ts";
import type { AuthService } from "../../plugins/acl/mod.ts";

/** What the connection plugin offers others about clients. */
export interface ClientsService {
  /**
   * A client's CLIENT LIST line (ACL LOG's `client-info`); `argv` is the
   * command it is running, for `argv-mem`.
   */
  infoLine(c: Context, argv?: readonly Bytes[]): string;
  /**
   * `c` must authenticate again before its next command (its ACL user was
   * deleted; it is being disconnected).
   */
  deauthenticate(c: Context): void;
}

declare module "../../core/types.ts" {
  interface ClientExtensions {
    /** True once the client may run commands (connection plugin). */
    authenticated?: boolean;
  }
  interface Services {
    /** Client descriptions (connection plugin). */
    clients: ClientsService;
  }
}

const NOAUTH = "NOAUTH Authentication required.";
const NOAUTH_HELLO = "NOAUTH HELLO must be called with the client already authenticated, " +
  "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client " +
  "and select the RESP protocol version at the same time";
const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const NOPASS_AUTH = "ERR AUTH <password> called without any password configured for the " +
  "default user. Are you sure your configuration is correct?";

/**
 * Parses a C `int` argument as getIntFromObjectOrReply does: `msg` (when
 * given) replaces both the not-an-integer and the out-of-range error.
 */
function intArgument(s: Bytes, msg?: string): number {
  const n = parseInteger(s);
  if (n === undefined) throw new ReplyError(msg ?? Err.notInteger);
  if (n < -2147483648 || n > 2147483647) {
    throw new ReplyError(
      msg ?? "ERR value is out of range, value must between -2147483648 and 2147483647",
    );
  }
  return n;
}

const command = commandFamily({ category: "connection" });
const serverCommand = commandFamily({ group: "server" });

function init(server: ServerApi): PluginInstance {
  let requirepass = "";
  const fds: ClientListState = { fds: new Map() };
  server.provide("clients", {
    infoLine: (c, argv) => clientInfoLine(c, fds, argv),
    deauthenticate(c) {
      c.ext.authenticated = false;
      updateStrict(c);
    },
  });
  const freeFds: number[] = [];
  let nextFd = 8;

  // The ACL plugin's service, looked up when first needed (it initialises
  // after this plugin); undefined without the ACL plugin.
  let acl: AuthService | undefined;
  const authService = (): AuthService | undefined => {
    if (acl === undefined) {
      acl = server.service("auth");
      acl?.onDefaultUserChange(() => {
        for (const c of server.clients.values()) updateStrict(c);
        server.rearm();
      });
    }
    return acl;
  };

  /** Whether a new (or RESET) client starts authenticated. */
  const startsAuthenticated = () => authService()?.startsAuthenticated() ?? requirepass === "";

  /**
   * Redis's authRequired(): the default user needs a password (or is off)
   * and the client has not authenticated.
   */
  const authRequired = (c: Context) => c.ext.authenticated !== true && !startsAuthenticated();

  /** Unauthenticated clients get tighter request limits, as in Redis. */
  const updateStrict = (c: Context) => {
    c.strictInput = authRequired(c);
  };

  server.config.watch("requirepass", (v) => {
    requirepass = v;
    for (const c of server.clients.values()) updateStrict(c);
    server.rearm();
  });

  /** Checks a user/password pair against the default user. */
  const credentialsOk = (user: Bytes, pass: Bytes) =>
    user === "default" && (requirepass === "" || pass === requirepass);

  const authenticate = (c: Context, user: Bytes, pass: Bytes, via: Bytes): boolean => {
    const svc = authService();
    if (svc !== undefined) {
      if (!svc.authenticate(c, user, pass, via)) return false;
    } else {
      if (!credentialsOk(user, pass)) return false;
      c.user = user;
    }
    c.ext.authenticated = true;
    updateStrict(c);
    return true;
  };

  const commands: CommandSpec[] = [
    command({
      name: "ping",
      arity: -1,
      flags: ["fast"],
      tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
      docs: {
        summary: "Ping the server",
        since: "1.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "message", type: "string", flags: ["optional"] },
        ],
      },
      handler(c, argv) {
        if (argv.length > 2) throw new ReplyError(Err.arity("ping"));
        // A RESP2 client in subscribed mode gets a pub/sub-shaped reply.
        if (c.kind === "pubsub" && c.resp === 2) {
          c.reply.array(2);
          c.reply.bulk("pong");
          c.reply.bulk(argv[1] ?? "");
        } else if (argv.length === 1) {
          c.reply.simple("PONG");
        } else {
          c.reply.bulk(argv[1]!);
        }
      },
    }),
    command({
      name: "echo",
      arity: 2,
      flags: ["loading", "stale", "fast"],
      docs: {
        summary: "Echo the given string",
        since: "1.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "message", type: "string" },
        ],
      },
      handler(c, argv) {
        c.reply.bulk(argv[1]!);
      },
    }),
    command({
      name: "quit",
      arity: -1,
      flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
      docs: {
        summary: "Close the connection",
        since: "1.0.0",
        complexity: "O(1)",
      },
      handler(c) {
        c.reply.ok();
        c.close();
      },
    }),
    command({
      name: "reset",
      arity: 1,
      flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
      docs: {
        summary: "Reset the connection",
        since: "6.2.0",
        complexity: "O(1)",
      },
      handler(c) {
        if (c.kind === "replica") {
          throw new ReplyError("ERR can only reset normal client connections");
        }
        c.server.emitClientReset(c);
        c.db = c.server.keyspace.db(0);
        c.resp = 2;
        c.user = "default";
        c.ext.authenticated = startsAuthenticated();
        updateStrict(c);
        c.name = "";
        // CLIENT NO-EVICT outlives RESET, as in Redis 7.0.
        // A skipped RESET stays silent; REPLY OFF is lifted before replying.
        if (c.flags.replyMode === "off") c.setReplyMode("on");
        c.reply.simple("RESET");
      },
    }),
    command({
      name: "hello",
      arity: -1,
      flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
      docs: {
        summary: "Handshake with Redis",
        since: "6.0.0",
        complexity: "O(1)",
        history: [
          [
            "6.2.0",
            "`protover` made optional; when called without arguments the command reports the current connection's context.",
          ],
        ],
        arguments: [
          {
            name: "arguments",
            type: "block",
            flags: ["optional"],
            arguments: [
              { name: "protover", type: "integer" },
              {
                name: "username_password",
                type: "block",
                token: "AUTH",
                flags: ["optional"],
                arguments: [
                  { name: "username", type: "string" },
                  { name: "password", type: "string" },
                ],
              },
              { name: "clientname", type: "string", token: "SETNAME", flags: ["optional"] },
            ],
          },
        ],
      },
      handler(c, argv) {
        let ver = 0;
        let i = 1;
        if (argv.length >= 2) {
          const n = parseInteger(argv[i++]!);
          if (n === undefined) {
            throw new ReplyError("ERR Protocol version is not an integer or out of range");
          }
          if (n < 2 || n > 3) throw new ReplyError("NOPROTO unsupported protocol version");
          ver = n;
        }
        let user: Bytes | undefined, pass: Bytes | undefined;
        for (; i < argv.length; i++) {
          const more = argv.length - 1 - i;
          const opt = argv[i]!;
          const o = opt.toLowerCase();
          if (o === "auth" && more >= 2) {
            user = argv[++i]!;
            pass = argv[++i]!;
          } else if (o === "setname" && more >= 1) {
            // Redis 7.0 names the client at once, so the name stays even
            // when a later option, the password or NOAUTH fails the call.
            const name = argv[++i]!;
            if (!validClientName(name)) throw new ReplyError(BAD_NAME);
            c.name = name;
          } else {
            throw new ReplyError(`ERR Syntax error in HELLO option '${opt}'`);
          }
        }
        if (user !== undefined && !authenticate(c, user, pass!, argv[0]!)) {
          throw new ReplyError(WRONGPASS);
        }
        if (authRequired(c)) throw new ReplyError(NOAUTH_HELLO);
        if (ver !== 0) c.resp = ver as 2 | 3;
        const r = c.reply;
        r.map(7);
        r.bulk("server");
        r.bulk("redis");
        r.bulk("version");
        r.bulk(c.server.version);
        r.bulk("proto");
        r.integer(c.resp);
        r.bulk("id");
        r.integer(c.id);
        r.bulk("mode");
        r.bulk("standalone");
        r.bulk("role");
        // The replication plugin reports "slave" on a replica, as INFO does.
        const role = c.server.pluginInfo("replication").role;
        r.bulk(role === "slave" ? "replica" : "master");
        r.bulk("modules");
        r.array(0);
      },
    }),
    command({
      name: "auth",
      arity: -2,
      flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
      docs: {
        summary: "Authenticate to the server",
        since: "1.0.0",
        complexity: "O(N) where N is the number of passwords defined for the user",
        history: [
          ["6.0.0", "Added ACL style (username and password)."],
        ],
        arguments: [
          { name: "username", type: "string", since: "6.0.0", flags: ["optional"] },
          { name: "password", type: "string" },
        ],
      },
      handler(c, argv) {
        if (argv.length > 3) throw new ReplyError(Err.syntax);
        let user = "default", pass = argv[1]!;
        if (argv.length === 2) {
          if (authService()?.defaultNoPass() ?? requirepass === "") {
            throw new ReplyError(NOPASS_AUTH);
          }
        } else {
          user = argv[1]!;
          pass = argv[2]!;
        }
        if (!authenticate(c, user, pass, argv[0]!)) throw new ReplyError(WRONGPASS);
        c.reply.ok();
      },
    }),
    command({
      name: "select",
      arity: 2,
      flags: ["loading", "stale", "fast"],
      docs: {
        summary: "Change the selected database for the current connection",
        since: "1.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "index", type: "integer" },
        ],
      },
      handler(c, argv) {
        const id = intArgument(argv[1]!);
        if (id !== 0 && c.server.config.bool("cluster-enabled")) {
          throw new ReplyError("ERR SELECT is not allowed in cluster mode");
        }
        const ks = c.server.keyspace;
        if (id < 0 || id >= ks.dbs.length) throw new ReplyError(Err.dbIndex);
        c.db = ks.db(id);
        c.reply.ok();
      },
    }),
    // In Redis's server group and keyspace category, not connection's.
    serverCommand({
      name: "swapdb",
      arity: 3,
      flags: ["write", "fast"],
      categories: ["keyspace", "dangerous"],
      docs: {
        summary: "Swaps two Redis databases",
        since: "4.0.0",
        complexity:
          "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        arguments: [
          { name: "index1", type: "integer" },
          { name: "index2", type: "integer" },
        ],
      },
      handler(c, argv) {
        if (c.server.config.bool("cluster-enabled")) {
          throw new ReplyError("ERR SWAPDB is not allowed in cluster mode");
        }
        const a = intArgument(argv[1]!, "ERR invalid first DB index");
        const b = intArgument(argv[2]!, "ERR invalid second DB index");
        const ks = c.server.keyspace;
        const n = ks.dbs.length;
        if (a < 0 || a >= n || b < 0 || b >= n) throw new ReplyError(Err.dbIndex);
        // One change, also when the two are the same database (Redis
        // swaps nothing then but still counts it and propagates it).
        if (a !== b) {
          const da = ks.db(a), db = ks.db(b);
          da.swapWith(db);
          c.server.emitDatabaseChanged(da, "swap");
          c.server.emitDatabaseChanged(db, "swap");
        }
        c.wrote();
        c.reply.ok();
      },
    }),
    command(clientCommand({
      state: fds,
      userExists: (u) => authService()?.userExists(u) ?? u === "default",
    })),
  ];

  return {
    commands,
    hooks: {
      clientConnected(c: Context) {
        c.ext.authenticated = startsAuthenticated();
        updateStrict(c);
        fds.fds.set(c.id, freeFds.pop() ?? nextFd++);
      },
      clientClosed(c: Context) {
        const fd = fds.fds.get(c.id);
        if (fd !== undefined) {
          fds.fds.delete(c.id);
          freeFds.push(fd);
        }
      },
      // A CLIENT PAUSE's timer must not outlive the server.
      shutdown() {
        server.keyspace.pause.close();
      },
    },
    admission: {
      // Armed while new clients must authenticate (a password is set).
      auth: {
        armed: () => !startsAuthenticated(),
        check(c, cmd) {
          if (c.ext.authenticated === true || !authRequired(c)) return undefined;
          return cmd.flagSet.has("no_auth") ? undefined : NOAUTH;
        },
      },
    },
  };
}

/** The connection plugin. */
const connection: Plugin = {
  name: "connection",
  config: [{
    name: "requirepass",
    type: "string",
    default: "",
    sensitive: true,
    emptyIsNull: true,
  }],
  init,
};

export default connection;
