/**
 * CONFIG GET, SET, REWRITE, RESETSTAT and HELP, as Redis 7.0 answers them.
 *
 * @module
 */

import type { Bytes, CommandSpec, Context, ServerApi } from "../../core/types.ts";
import { ConfigSetError } from "../../core/config.ts";
import { osReason, readConfFile, rewriteConf } from "../../core/conf_file.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { helpSubcommand } from "../../core/help.ts";
import { BufferWriter } from "../../core/resp/writer.ts";
import { stringToBytes } from "../../core/resp/bytes.ts";
import { isLocalClient } from "./_debug.ts";

const CONFIG_HELP = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

/** CONFIG GET: several names and patterns, answered as one map. */
function configGet(c: Context, argv: Bytes[]): void {
  const out = c.server.config.match(argv.slice(2));
  const r = c.reply;
  r.map(out.length);
  for (const [k, v] of out) {
    r.bulk(k);
    r.bulk(v);
  }
}

/** Whether `enable-protected-configs` lets this client change a protected directive. */
function protectedAllowed(c: Context): boolean {
  const v = c.server.config.get("enable-protected-configs");
  return v === "yes" || (v === "local" && isLocalClient(c));
}

function setFailed(name: string, reason: string): string {
  return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`;
}

/**
 * CONFIG SET, as Redis 7.0's `configSetCommand`: the names are checked
 * first (the first unknown one is reported before anything else; then an
 * immutable or protected one, or one given twice), then the values are set
 * as one change (see `ConfigStore.setMany`): a bad value or a failed apply
 * (a port that cannot be bound) leaves every directive as it was.
 */
function configSet(c: Context, argv: Bytes[]): void {
  if (argv.length % 2 !== 0) throw new ReplyError(Err.syntax);
  const cfg = c.server.config;
  const pairs: [string, string][] = [];
  // Redis tells an alias from its name: both may be given.
  const seen = new Set<string>();
  let unknown: string | undefined;
  let failure: string | undefined;
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i]!;
    const d = cfg.directive(name);
    if (d === undefined || d.fileOnly) {
      if (unknown === undefined && failure === undefined) unknown = name;
      continue;
    }
    if (unknown !== undefined || failure !== undefined) continue;
    if (d.mutable === false) {
      failure = setFailed(name, "can't set immutable config");
    } else if (d.protected && !protectedAllowed(c)) {
      failure = setFailed(name, "can't set protected config");
    } else if (seen.has(name.toLowerCase())) {
      failure = setFailed(name, "duplicate parameter");
    }
    seen.add(name.toLowerCase());
    pairs.push([name, argv[i + 1]!]);
  }
  if (unknown !== undefined) {
    throw new ReplyError(`ERR Unknown option or number of arguments for CONFIG SET - '${unknown}'`);
  }
  if (failure !== undefined) throw new ReplyError(failure);
  const failed = (e: unknown): void => {
    if (!(e instanceof ConfigSetError)) throw e;
    if (e.applying) {
      c.server.log(
        "warning",
        `Failed applying new configuration. Possibly related to new ${e.param} setting. Restoring previous settings.`,
      );
    }
    throw new ReplyError(setFailed(e.param, e.message));
  };
  let done: void | Promise<void>;
  try {
    // A client that cannot wait (inside EXEC) gets an answer at once.
    done = cfg.setMany(pairs, c.blockable);
  } catch (e) {
    return failed(e);
  }
  if (done === undefined) return c.reply.ok();
  // Rebinding waits for the old sockets to be released: the reply follows.
  const resume = c.suspend();
  done.then(() => c.reply.ok(), (e) => {
    try {
      failed(e);
    } catch (r) {
      c.reply.error(r instanceof ReplyError ? r.message : String(r));
    }
  }).finally(resume);
}

/**
 * The users as `user` lines (ACL LIST's reply), for CONFIG REWRITE; none
 * when they come from an `aclfile` or there is no ACL command. ACL LIST's
 * handler is called directly, so it counts in no statistics.
 */
function userLines(server: ServerApi): string[] | undefined {
  const cfg = server.config;
  if (cfg.directive("aclfile") !== undefined && cfg.get("aclfile") !== "") return undefined;
  const cmd = server.resolveCommand(["acl", "list"]);
  if (typeof cmd === "string" || cmd.spec.handler === undefined) return undefined;
  const w = new BufferWriter();
  const c = server.createInternalClient({ reply: w });
  w.enabled = true;
  cmd.spec.handler(c, ["acl", "list"]);
  return parseBulkArray(w.take());
}

/** The strings of an array of bulk strings in RESP2 (ACL LIST's reply). */
function parseBulkArray(buf: Uint8Array): string[] | undefined {
  let at = 0;
  const line = (): string => {
    const end = buf.indexOf(13, at);
    const s = String.fromCharCode(...buf.subarray(at, end));
    at = end + 2;
    return s;
  };
  const head = line();
  if (head[0] !== "*") return undefined;
  const out: string[] = [];
  for (let n = Number(head.slice(1)); n > 0; n--) {
    const len = Number(line().slice(1));
    let s = "";
    for (let i = 0; i < len; i++) s += String.fromCharCode(buf[at + i]!);
    out.push(s);
    at += len + 2;
  }
  return out;
}

/**
 * Writes the rewritten file as Redis's `rewriteConfigOverwriteFile` does: a
 * temporary file beside it, synced, mode 0644, renamed over it.
 */
function overwrite(path: string, text: string): void {
  const tmp = `${path}.${Math.random().toString(36).slice(2, 8)}`;
  try {
    const f = Deno.openSync(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      const data = stringToBytes(text);
      for (let off = 0; off < data.length;) off += f.writeSync(data.subarray(off));
      f.syncSync();
    } finally {
      f.close();
    }
    Deno.chmodSync(tmp, 0o644);
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never created */ }
    throw e;
  }
}

/** CONFIG REWRITE: the config file the server started with, rewritten in place. */
function configRewrite(c: Context): void {
  const server = c.server;
  const path = server.config.file;
  if (path === undefined) throw new ReplyError("ERR The server is running without a config file");
  try {
    let old: string | undefined;
    try {
      old = readConfFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const users = userLines(server);
    overwrite(path, rewriteConf(old, server.config, users === undefined ? {} : { users }));
  } catch (e) {
    const reason = osReason(e);
    server.log("warning", `CONFIG REWRITE failed: ${reason}`);
    throw new ReplyError(`ERR Rewriting config file: ${reason}`);
  }
  server.log("warning", "CONFIG REWRITE executed with success.");
  c.reply.ok();
}

/** The CONFIG command's subcommands; RESETSTAT's handler comes from the server plugin. */
export function configSubcommands(resetStat: (c: Context) => void): CommandSpec[] {
  const flags = ["admin", "noscript", "loading", "stale"] as const;
  return [
    {
      name: "rewrite",
      arity: 2,
      flags: [...flags],
      docs: {
        summary: "Rewrite the configuration file with the in memory configuration",
        since: "2.8.0",
        complexity: "O(1)",
      },
      handler: configRewrite,
    },
    helpSubcommand(CONFIG_HELP),
    {
      name: "get",
      arity: -3,
      flags: [...flags],
      docs: {
        summary: "Get the values of configuration parameters",
        since: "2.0.0",
        complexity: "O(N) when N is the number of configuration parameters provided",
        history: [
          ["7.0.0", "Added the ability to pass multiple pattern parameters in one call"],
        ],
        arguments: [
          {
            name: "parameter",
            type: "block",
            flags: ["multiple"],
            arguments: [{ name: "parameter", type: "string" }],
          },
        ],
      },
      handler: configGet,
    },
    {
      name: "resetstat",
      arity: 2,
      flags: [...flags],
      docs: {
        summary: "Reset the stats returned by INFO",
        since: "2.0.0",
        complexity: "O(1)",
      },
      handler(c) {
        resetStat(c);
        c.reply.ok();
      },
    },
    {
      name: "set",
      arity: -4,
      flags: [...flags],
      tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
      docs: {
        summary: "Set configuration parameters to the given values",
        since: "2.0.0",
        complexity: "O(N) when N is the number of configuration parameters provided",
        history: [
          ["7.0.0", "Added the ability to set multiple parameters in one call."],
        ],
        arguments: [
          {
            name: "parameter_value",
            type: "block",
            flags: ["multiple"],
            arguments: [
              { name: "parameter", type: "string" },
              { name: "value", type: "string" },
            ],
          },
        ],
      },
      handler: configSet,
    },
  ];
}
