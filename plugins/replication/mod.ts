/**
 * Replication, speaking Redis's protocol so Respite and Redis replicate
 * from each other: PSYNC/SYNC with full (`+FULLRESYNC`, the RDB as
 * `$<len>` or diskless `$EOF:<mark>`) and partial (`+CONTINUE`, from the
 * backlog) resyncs, the write stream with SELECT and periodic PING,
 * REPLCONF, WAIT, min-replicas-to-write, REPLICAOF/SLAVEOF, ROLE and the
 * INFO replication fields.
 *
 * The pieces: `_backlog.ts` (the ring buffer), `_master.ts` (ids,
 * offsets, attached replicas), `_replica.ts` (the link to a master),
 * `_wait.ts` (WAIT), `_failover.ts` (FAILOVER).
 *
 * @module
 */

import { commandFamily, definePlugin } from "../../core/registry.ts";
import type {
  Bytes,
  CommandArg,
  CommandSpec,
  Context,
  PluginInstance,
  ServerApi,
} from "../../core/types.ts";
import { Trait } from "../../core/types.ts";
import { ConfigError, LONG_MAX } from "../../core/config.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import type {} from "../rdb/mod.ts";
import { MasterSide } from "./_master.ts";
import { ReplicaSide } from "./_replica.ts";
import { WaitList } from "./_wait.ts";
import { Failover } from "./_failover.ts";

/** What the RDB plugin exchanges with replication (Redis's RDB `repl-*` AUX fields). */
export interface ReplicationService {
  /**
   * AUX fields to write into a saved RDB (`repl-stream-db`, `repl-id`,
   * `repl-offset`), so a restarted replica (or master) can resync partially.
   */
  rdbAux(): Record<string, string>;
  /** Hands over the AUX fields of the RDB loaded at start-up. */
  rdbLoaded(aux: ReadonlyMap<string, string>): void;
  /**
   * Becomes (or stays) a replica of host:port, as REPLICAOF does
   * (replicationSetMaster): CLUSTER REPLICATE uses it.
   */
  setMaster(host: string, port: number): void;
  /** Becomes a master with a new history (replicationUnsetMaster): CLUSTER RESET. */
  unsetMaster(): void;
}

declare module "../../core/types.ts" {
  interface Services {
    /** Replication's side of RDB persistence (see `plugins/replication/`). */
    replication: ReplicationService;
  }
}

const READONLY = "READONLY You can't write against a read only replica.";
const NOREPLICAS = "NOREPLICAS Not enough good replicas to write.";
const UNBLOCKED_ROLE = "UNBLOCKED force unblock from blocking operation, " +
  "instance state changed (master -> replica?)";
const MASTERDOWN =
  "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
const WAIT_ON_REPLICA = "ERR WAIT cannot be used with replica instances. Please also note that " +
  "since Redis 4.0 if a replica is configured to be writable (which is not the default) writes " +
  "to replicas are just local and are not propagated.";

/** Parses `host port` (the `replicaof` directive); undefined for none. */
function parseReplicaof(v: string): [string, number] | undefined {
  const parts = v.trim().split(/\s+/).filter((p) => p !== "");
  if (parts.length === 0) return undefined;
  if (parts.length !== 2) throw new ConfigError("wrong number of arguments");
  if (parts[0]!.toLowerCase() === "no" && parts[1]!.toLowerCase() === "one") return undefined;
  const port = parseInteger(parts[1]!);
  if (port === undefined || port < 0 || port > 65535) throw new ConfigError("Invalid master port");
  return [parts[0]!, port];
}

const command = commandFamily({ group: "server" });

/** REPLICAOF's and SLAVEOF's arguments in COMMAND DOCS. */
const REPLICAOF_ARGS: CommandArg[] = [{
  name: "args",
  type: "oneof",
  arguments: [
    {
      name: "host-port",
      type: "block",
      arguments: [{ name: "host", type: "string" }, { name: "port", type: "integer" }],
    },
    {
      name: "no-one",
      type: "block",
      arguments: [
        { name: "no", type: "pure-token", token: "NO" },
        { name: "one", type: "pure-token", token: "ONE" },
      ],
    },
  ],
}];

function init(server: ServerApi): PluginInstance {
  const master = new MasterSide(server);
  const replica = new ReplicaSide(server, master);
  const waits = new WaitList(master);
  master.onAck = () => waits.check();
  master.streamDb = () => (replica.active ? replica.streamDb() : 0);
  const cfg = server.config;
  let readOnly = true, serveStale = true, minToWrite = 0, maxLag = 10;
  // Each change may arm or disarm an admission check below.
  cfg.watch("replica-read-only", (v) => {
    readOnly = v === "yes";
    server.rearm();
  });
  cfg.watch("replica-serve-stale-data", (v) => {
    serveStale = v === "yes";
    server.rearm();
  });
  cfg.watch("min-replicas-to-write", (v) => {
    minToWrite = Number(v);
    server.rearm();
  });
  cfg.watch("min-replicas-max-lag", (v) => {
    maxLag = Number(v);
    server.rearm();
  });
  cfg.watch("repl-backlog-size", (v) => master.backlog?.resize(Number(v)));
  // CONFIG SET raises a backlog below 16kb to that, as Redis's resize does.
  cfg.onApply(["repl-backlog-size"], () => {
    if (cfg.number("repl-backlog-size") < 16384) cfg.set("repl-backlog-size", "16384", true);
  });
  const startup = parseReplicaof(cfg.get("replicaof"));
  if (startup !== undefined) replica.setMaster(startup[0], startup[1], false);

  server.provide("replication", {
    rdbAux() {
      // As rdbPopulateSaveInfo: a master with a backlog, or a replica with
      // its master's history; none else (a restart could resume nothing).
      let db: number;
      if (!replica.active) {
        if (master.backlog === undefined) return {};
        db = Math.max(0, master.seldb);
      } else {
        if (!replica.hasCache) return {};
        db = replica.streamDb();
      }
      return {
        "repl-stream-db": String(db),
        "repl-id": master.replid,
        "repl-offset": String(master.offset),
      };
    },
    rdbLoaded(aux) {
      const id = aux.get("repl-id"), off = Number(aux.get("repl-offset"));
      if (id === undefined || id.length !== 40 || !Number.isSafeInteger(off)) return;
      master.offset = off;
      if (replica.active) {
        // A replica resumes its master's history: the cached master.
        master.replid = id;
        master.clearReplid2();
        master.resetBacklog();
        replica.hasCache = true;
        replica.readOffset = off;
        const db = Number(aux.get("repl-stream-db"));
        if (Number.isSafeInteger(db) && db >= 0 && db < server.keyspace.dbs.length) {
          replica.cachedDb = db;
        }
        return;
      }
      // A master starts a new history that continues the saved one: its
      // replicas resume partially with the saved id as the second one.
      master.replid2 = id;
      master.secondOffset = off + 1;
      master.resetBacklog();
    },
    setMaster: (host, port) => {
      if (replica.active && replica.host === host && replica.port === port) return;
      becomeReplica(host, port);
    },
    unsetMaster: () => becomeMaster(),
  });

  const who = (c: Context) => `'id=${c.id} addr=${c.addr} laddr=${c.laddr} name=${c.name}'`;

  /** Redis's replicationSetMaster: becomes (or stays) a replica of host:port. */
  const becomeReplica = (host: string, port: number): void => {
    const wasMaster = !replica.active;
    replica.setMaster(host, port, wasMaster);
    server.rearm();
    // What blocked clients wait for now comes from the master (or never):
    // served here it would make this replica's data differ from it.
    server.unblockAllClients(UNBLOCKED_ROLE);
    waits.abortAll(UNBLOCKED_ROLE);
    cfg.set("replicaof", `${host} ${port}`, true);
  };

  /** Redis's replicationUnsetMaster: a master again, with a new history. */
  const becomeMaster = (): void => {
    if (!replica.active) return;
    replica.unsetMaster();
    server.rearm();
    master.shiftReplicationId();
    // Replicas reconnect and learn the new id with +CONTINUE.
    master.disconnectReplicas();
    master.seldb = -1;
    cfg.set("replicaof", "", true);
  };

  const failover = new Failover(server, master, {
    isReplica: () => replica.active,
    becomeReplica,
    becomeMaster,
  });
  replica.failover = {
    inProgress: () => failover.state === "failover-in-progress",
    accepted: () => failover.done(),
    rejected: () => failover.abort("Failover target rejected psync request"),
  };
  // A failover's pause holds writes; acknowledgements asked meanwhile would
  // move the offset the target must reach, so they wait for its end.
  master.acksHeld = () => server.keyspace.pause.level !== 0;

  /** SYNC and PSYNC's checks, PSYNC FAILOVER first (Redis's syncCommand). */
  const syncChecks = (c: Context, argv: Bytes[]): void => {
    if (
      argv.length > 3 && argv[0]!.toLowerCase() === "psync" && argv[3]!.toLowerCase() === "failover"
    ) {
      server.log("warning", `Failover request received for replid ${argv[1]}.`);
      if (!replica.active) throw new ReplyError("ERR PSYNC FAILOVER can't be sent to a master.");
      if (argv[1]!.toLowerCase() !== master.replid) {
        throw new ReplyError("ERR PSYNC FAILOVER replid must match my replid.");
      }
      becomeMaster();
      server.log("notice", `MASTER MODE enabled (failover request from ${who(c)})`);
    }
    if (failover.active) throw new ReplyError("NOMASTERLINK Can't SYNC while failing over");
    if (replica.active && replica.state !== "connected") {
      throw new ReplyError("NOMASTERLINK Can't SYNC while not connected with my master");
    }
  };

  const commands: CommandSpec[] = [
    command({
      name: "replconf",
      arity: -1,
      flags: ["admin", "noscript", "loading", "stale", "allow_busy"],
      docs: {
        summary: "An internal command for configuring the replication stream",
        since: "3.0.0",
        complexity: "O(1)",
        docFlags: ["syscmd"],
      },
      handler(c, argv) {
        if (argv.length % 2 === 0) throw new ReplyError(Err.syntax);
        const info = c.ext.replconf ??= { port: 0, ip: "", capaEof: false, capaPsync2: false };
        for (let i = 1; i < argv.length; i += 2) {
          const opt = argv[i]!.toLowerCase(), val = argv[i + 1]!;
          if (opt === "listening-port") {
            const port = parseInteger(val);
            if (port === undefined) throw new ReplyError(Err.notInteger);
            info.port = port;
          } else if (opt === "ip-address") {
            info.ip = val;
          } else if (opt === "capa") {
            if (val.toLowerCase() === "eof") info.capaEof = true;
            else if (val.toLowerCase() === "psync2") info.capaPsync2 = true;
          } else if (opt === "ack") {
            // From a replica only, and never answered.
            const off = parseInteger(val);
            if (off !== undefined) master.ack(c, off);
            return;
          } else if (opt === "getack") {
            if (replica.state === "connected") replica.ackNow();
            return;
          } else if (opt !== "rdb-only" && opt !== "rdb-filter-only") {
            throw new ReplyError(`ERR Unrecognized REPLCONF option: ${argv[i]}`);
          }
        }
        c.reply.ok();
      },
    }),
    command({
      name: "psync",
      arity: -3,
      flags: ["admin", "noscript", "no_async_loading", "no_multi"],
      docs: {
        summary: "Internal command used for replication",
        since: "2.8.0",
        arguments: [
          { name: "replicationid", type: "string" },
          { name: "offset", type: "integer" },
        ],
      },
      handler(c, argv) {
        if (c.ext.replicaPeer !== undefined) return;
        syncChecks(c, argv);
        master.psync(c, argv[1]!, argv[2]!, false);
      },
    }),
    command({
      name: "sync",
      arity: 1,
      flags: ["admin", "noscript", "no_async_loading", "no_multi"],
      docs: { summary: "Internal command used for replication", since: "1.0.0" },
      handler(c, argv) {
        if (c.ext.replicaPeer !== undefined) return;
        syncChecks(c, argv);
        master.psync(c, "?", "-1", true);
      },
    }),
    command({
      name: "wait",
      arity: 3,
      flags: ["noscript"],
      categories: ["connection"],
      tips: ["request_policy:all_shards", "response_policy:agg_min"],
      docs: {
        summary:
          "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
        since: "3.0.0",
        group: "generic",
        complexity: "O(1)",
        arguments: [
          { name: "numreplicas", type: "integer" },
          { name: "timeout", type: "integer" },
        ],
      },
      handler(c, argv) {
        if (replica.active) throw new ReplyError(WAIT_ON_REPLICA);
        const n = parseInteger(argv[1]!);
        if (n === undefined) throw new ReplyError(Err.notInteger);
        const t = parseInteger(argv[2]!);
        if (t === undefined) throw new ReplyError("ERR timeout is not an integer or out of range");
        if (t < 0) throw new ReplyError("ERR timeout is negative");
        waits.wait(c, n, t);
      },
    }),
    command({
      name: "role",
      arity: 1,
      flags: ["noscript", "loading", "stale", "fast"],
      categories: ["admin", "dangerous"],
      docs: {
        summary: "Return the role of the instance in the context of replication",
        since: "2.8.12",
        complexity: "O(1)",
      },
      handler(c) {
        const r = c.reply;
        if (!replica.active) {
          const list = master.roleReplicas();
          r.array(3);
          r.bulk("master");
          r.integer(master.offset);
          r.array(list.length);
          for (const e of list) r.bulkArray(e);
          return;
        }
        r.array(5);
        r.bulk("slave");
        r.bulk(replica.host);
        r.integer(replica.port);
        r.bulk(replica.state);
        r.integer(replica.state === "connected" ? master.offset : -1);
      },
    }),
  ];

  /** REPLICAOF and SLAVEOF (replicaofCommand). */
  const replicaofHandler = (c: Context, argv: Bytes[]): void => {
    if (server.config.bool("cluster-enabled")) {
      throw new ReplyError("ERR REPLICAOF not allowed in cluster mode.");
    }
    if (failover.active) throw new ReplyError("ERR REPLICAOF not allowed while failing over.");
    const host = argv[1]!, portArg = argv[2]!;
    if (host.toLowerCase() === "no" && portArg.toLowerCase() === "one") {
      if (replica.active) {
        becomeMaster();
        server.log("notice", `MASTER MODE enabled (user request from ${who(c)})`);
      }
      c.reply.ok();
      return;
    }
    if (c.ext.replicaPeer !== undefined) {
      throw new ReplyError("ERR Command is not valid when client is a replica.");
    }
    const port = parseInteger(portArg);
    if (port === undefined || port < 0 || port > 65535) {
      throw new ReplyError("ERR Invalid master port");
    }
    if (
      replica.active && replica.host.toLowerCase() === host.toLowerCase() &&
      replica.port === port
    ) {
      server.log(
        "notice",
        "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
      );
      c.reply.simple("OK Already connected to specified master");
      return;
    }
    becomeReplica(host, port);
    server.log("notice", `REPLICAOF ${host}:${port} enabled (user request from ${who(c)})`);
    c.reply.ok();
  };
  commands.push(
    command({
      name: "replicaof",
      arity: 3,
      flags: ["admin", "noscript", "stale", "no_async_loading"],
      docs: {
        summary: "Make the server a replica of another instance, or promote it as master.",
        since: "5.0.0",
        complexity: "O(1)",
        arguments: REPLICAOF_ARGS,
      },
      handler: replicaofHandler,
    }),
    command({
      name: "slaveof",
      arity: 3,
      flags: ["admin", "noscript", "stale", "no_async_loading"],
      docs: {
        summary: "Make the server a replica of another instance, or promote it as master.",
        since: "1.0.0",
        complexity: "O(1)",
        deprecatedSince: "5.0.0",
        replacedBy: "`REPLICAOF`",
        docFlags: ["deprecated"],
        arguments: REPLICAOF_ARGS,
      },
      handler: replicaofHandler,
    }),
  );

  commands.push(command({
    name: "failover",
    arity: -1,
    flags: ["admin", "noscript", "stale"],
    docs: {
      summary: "Start a coordinated failover between this server and one of its replicas.",
      since: "6.2.0",
      complexity: "O(1)",
      arguments: [
        {
          name: "target",
          type: "block",
          token: "TO",
          flags: ["optional"],
          arguments: [
            { name: "host", type: "string" },
            { name: "port", type: "integer" },
            { name: "force", type: "pure-token", token: "FORCE", flags: ["optional"] },
          ],
        },
        { name: "abort", type: "pure-token", token: "ABORT", flags: ["optional"] },
        { name: "milliseconds", type: "integer", token: "TIMEOUT", flags: ["optional"] },
      ],
    },
    handler: (c, argv) => failover.command(c, argv),
  }));

  let lastCron = 0;
  return {
    commands,
    // Redis's checkGoodReplicasStatus, its read-only replica and its stale
    // replica checks.
    // Armed only in the roles and settings where they can refuse.
    admission: {
      noreplicas: {
        armed: () => !replica.active && minToWrite !== 0 && maxLag !== 0,
        check(_c, _cmd, _argv, traits) {
          if ((traits & Trait.WRITE) === 0) return undefined;
          return master.goodReplicas(maxLag) >= minToWrite ? undefined : NOREPLICAS;
        },
      },
      readonly: {
        armed: () => replica.active && readOnly,
        check(c, _cmd, _argv, traits) {
          if ((traits & Trait.WRITE) === 0) return undefined;
          // The master's own stream is never refused.
          return c.id === 0 || c.kind === "master" ? undefined : READONLY;
        },
      },
      stale: {
        armed: () => replica.active && !serveStale,
        check(_c, _cmd, _argv, traits) {
          if (replica.state === "connected") return undefined;
          return (traits & Trait.DENYSTALE) !== 0 ? MASTERDOWN : undefined;
        },
      },
    },
    hooks: {
      propagate(db: number, argv: readonly string[]) {
        if (master.isReplica) return;
        master.feedCommand(db, argv);
        master.writeOffset = master.offset;
      },
      clientClosed(c: Context) {
        master.dropped(c);
        waits.dropped(c);
      },
      cron(now: number) {
        replica.cron(now);
        // Every 100 ms while a failover is on, as Redis's replication cron.
        if (now - lastCron < (failover.active ? 100 : 1000)) return;
        lastCron = now;
        failover.update(now);
        // No PING while a failover with a timeout holds writes: the target
        // must reach the offset.
        master.cron(now, failover.endTime !== 0 && server.keyspace.pause.level !== 0);
      },
      shutdown() {
        replica.close();
        master.close();
        waits.releaseAll();
        server.keyspace.pause.stop("failover");
      },
      info(section: string): Record<string, string | number> | undefined {
        if (section === "stats") {
          return {
            sync_full: master.syncFull,
            sync_partial_ok: master.syncPartialOk,
            sync_partial_err: master.syncPartialErr,
          };
        }
        if (section === "memory") return { mem_replication_backlog: master.backlog?.size ?? 0 };
        if (section !== "replication") return undefined;
        const good = minToWrite !== 0 && maxLag !== 0
          ? { min_slaves_good_slaves: master.goodReplicas(maxLag) }
          : {};
        const ids = { master_failover_state: failover.state, ...master.idFields() };
        if (!replica.active) {
          return { role: "master", ...master.infoFields(good), ...ids };
        }
        return { ...replica.infoFields(), ...master.infoFields(good), ...ids };
      },
    },
    // MasterSide rearms when its backlog appears, the replica side when the role changes.
    hooksArmed: { propagate: () => master.streaming },
  };
}

/** The replication plugin. */
export default definePlugin({
  name: "replication",
  dependencies: ["rdb"],
  config: [
    {
      name: "replicaof",
      type: "string",
      default: "",
      aliases: ["slaveof"],
      mutable: false,
      multiArg: true,
      // `replicaof <host> <port>` on a replica; a master's lines go.
      rewrite: (v, name) => v === "" ? [] : [{ line: `${name} ${v}`, force: true }],
      validate(v) {
        const p = parseReplicaof(v);
        return p === undefined ? "" : `${p[0]} ${p[1]}`;
      },
    },
    { name: "replica-read-only", type: "bool", default: "yes", aliases: ["slave-read-only"] },
    {
      name: "replica-serve-stale-data",
      type: "bool",
      default: "yes",
      aliases: ["slave-serve-stale-data"],
    },
    {
      name: "repl-backlog-size",
      type: "memory",
      default: "1mb",
      min: 1,
      max: LONG_MAX,
    },
    { name: "repl-backlog-ttl", type: "int", default: "3600", min: 0, max: LONG_MAX },
    {
      name: "repl-ping-replica-period",
      type: "int",
      default: "10",
      min: 1,
      max: 2147483647,
      aliases: ["repl-ping-slave-period"],
    },
    { name: "repl-timeout", type: "int", default: "60", min: 1, max: 2147483647 },
    { name: "repl-diskless-sync", type: "bool", default: "yes" },
    { name: "repl-diskless-sync-delay", type: "int", default: "5", min: 0, max: 2147483647 },
    {
      name: "repl-diskless-sync-max-replicas",
      type: "int",
      default: "0",
      min: 0,
      max: 2147483647,
    },
    {
      name: "repl-diskless-load",
      type: "enum",
      default: "disabled",
      values: ["disabled", "on-empty-db", "swapdb"],
    },
    { name: "repl-disable-tcp-nodelay", type: "bool", default: "no" },
    {
      name: "min-replicas-to-write",
      type: "int",
      default: "0",
      min: 0,
      max: 2147483647,
      aliases: ["min-slaves-to-write"],
    },
    {
      name: "min-replicas-max-lag",
      type: "int",
      default: "10",
      min: 0,
      max: 2147483647,
      aliases: ["min-slaves-max-lag"],
    },
    {
      name: "replica-announce-ip",
      type: "string",
      default: "",
      aliases: ["slave-announce-ip"],
      emptyIsNull: true,
    },
    {
      name: "replica-announce-port",
      type: "int",
      default: "0",
      min: 0,
      max: 65535,
      aliases: ["slave-announce-port"],
    },
    { name: "replica-announced", type: "bool", default: "yes" },
    {
      name: "replica-priority",
      type: "int",
      default: "100",
      min: 0,
      max: 2147483647,
      aliases: ["slave-priority"],
    },
    { name: "replica-lazy-flush", type: "bool", default: "no", aliases: ["slave-lazy-flush"] },
    { name: "replica-ignore-disk-write-errors", type: "bool", default: "no" },
    { name: "masterauth", type: "string", default: "", sensitive: true, emptyIsNull: true },
    { name: "masteruser", type: "string", default: "", sensitive: true, emptyIsNull: true },
  ],
  init,
});
