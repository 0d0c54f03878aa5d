/**
 * The configuration directives the core owns: the network, limits,
 * databases, logging and the process, and every Redis 7.0 directive that no
 * family or subsystem gives an effect yet (accepted, validated and reported
 * as Redis does, changing nothing). Families and subsystems declare theirs in
 * their own plugins.
 *
 * @module
 */

import { isAbsolute, resolve } from "./path.ts";
import {
  type ConfigDirective,
  ConfigError,
  formatMemory,
  INT_MAX,
  INT_MIN,
  LONG_MAX,
  memToBig,
  type RewriteLine,
  UINT_MAX,
  ULLONG_MAX,
} from "./config.ts";
import { osReason, reprArg } from "./conf_file.ts";
import { byteStringToUtf8, utf8ToByteString } from "./resp/bytes.ts";
import { tlsDirectives } from "./tls.ts";

/** The output buffer classes, as CONFIG GET names them. */
const OBUF_CLASSES = ["normal", "slave", "pubsub"] as const;

/** Redis's default output buffer limits, as CONFIG GET shows them. */
const DEFAULT_OBUF = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";

/**
 * Parses a `client-output-buffer-limit` value as CONFIG GET shows it into
 * `[hard, soft, seconds]` by class (`normal`, `replica`, `pubsub`).
 *
 * @example
 * ```ts
 * import { parseOutputLimits } from "./server_config.ts";
 * console.log(parseOutputLimits("normal 0 0 0 slave 10 5 60 pubsub 0 0 0").replica); // [10, 5, 60]
 * ```
 */
export function parseOutputLimits(v: string): Record<string, [number, number, number]> {
  const parts = v.split(" ");
  const out: Record<string, [number, number, number]> = {};
  for (let i = 0; i + 3 < parts.length; i += 4) {
    const cls = parts[i] === "slave" ? "replica" : parts[i]!;
    out[cls] = [Number(parts[i + 1]), Number(parts[i + 2]), Number(parts[i + 3])];
  }
  return out;
}

/** `strtoll(s, &end, 10)` with nothing left over; undefined otherwise. */
function strtollFull(s: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]*)$/.exec(s);
  if (m === null) return undefined;
  if (!/[0-9]/.test(m[1]!)) return s === "" ? 0n : undefined;
  return BigInt(m[1]!);
}

/**
 * Redis's `updateClientOutputBufferLimit`: `<class> <hard> <soft> <seconds>`
 * groups, all checked before any is taken; the classes not named keep their
 * current limits.
 */
function validateOutputLimits(v: string, current: string): string {
  const args = v === "" ? [] : v.split(" ");
  if (args.length % 4 !== 0) {
    throw new ConfigError("Wrong number of arguments in buffer limit configuration.");
  }
  const limits = new Map<string, string>();
  const cur = current.split(" ");
  for (let i = 0; i + 3 < cur.length; i += 4) {
    limits.set(cur[i]!, cur.slice(i + 1, i + 4).join(" "));
  }
  for (let i = 0; i < args.length; i += 4) {
    let cls = args[i]!.toLowerCase();
    if (cls === "replica") cls = "slave";
    if (!(OBUF_CLASSES as readonly string[]).includes(cls)) {
      throw new ConfigError("Invalid client class specified in buffer limit configuration.");
    }
    const hard = memToBig(args[i + 1]!), soft = memToBig(args[i + 2]!);
    const secs = strtollFull(args[i + 3]!);
    // soft_seconds is a C int.
    const s32 = secs === undefined ? -1n : BigInt.asIntN(32, secs);
    if (hard === undefined || soft === undefined || s32 < 0n) {
      throw new ConfigError(
        "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
      );
    }
    limits.set(cls, `${hard} ${soft} ${s32}`);
  }
  return OBUF_CLASSES.map((c) => `${c} ${limits.get(c) ?? "0 0 0"}`).join(" ");
}

/** CONFIG REWRITE's lines for the output limits: one per class, `replica` for `slave`. */
function rewriteOutputLimits(v: string, name: string): RewriteLine[] {
  const cur = v.split(" "), def = DEFAULT_OBUF.split(" ");
  const out: RewriteLine[] = [];
  for (let i = 0; i < cur.length; i += 4) {
    const [h, s, t] = [cur[i + 1]!, cur[i + 2]!, cur[i + 3]!];
    const cls = cur[i] === "slave" ? "replica" : cur[i];
    out.push({
      line: `${name} ${cls} ${formatMemory(BigInt(h))} ${formatMemory(BigInt(s))} ${t}`,
      force: h !== def[i + 1] || s !== def[i + 2] || t !== def[i + 3],
    });
  }
  return out;
}

/** Redis's `setConfigOOMScoreAdjValuesOption`. */
function validateOomValues(v: string): string {
  const args = v.split(" ");
  if (args.length !== 3) throw new ConfigError("wrong number of arguments");
  return args.map((a) => {
    const n = strtollFull(a);
    if (a === "" || n === undefined || n < -2000n || n > 2000n) {
      throw new ConfigError(
        "Invalid oom-score-adj-values, elements must be between -2000 and 2000.",
      );
    }
    return n.toString();
  }).join(" ");
}

/** The errno text Redis's `chdir` reports, for a directory Deno cannot open. */
function dirError(e: unknown): ConfigError {
  return new ConfigError(osReason(e));
}

/**
 * Checks `dir` as Redis's `chdir` would and returns its absolute path (what
 * CONFIG GET shows: Redis's `getcwd`). A directory Deno's permissions keep
 * it from inspecting (`/proc` without `--allow-all`) is taken as given, as
 * Redis takes any directory it can enter.
 */
function validateDir(v: string): string {
  const path = byteStringToUtf8(v);
  let abs: string;
  try {
    const st = Deno.statSync(path);
    if (!st.isDirectory) throw new ConfigError("Not a directory");
    // Entering needs search permission, which a lookup inside checks.
    Deno.statSync(path.endsWith("/") ? path + "." : path + "/.");
    abs = Deno.realPathSync(path);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    if (!(e instanceof Deno.errors.NotCapable)) throw dirError(e);
    abs = isAbsolute(path) ? resolve(path) : resolveFromCwd(path);
  }
  return utf8ToByteString(abs);
}

function resolveFromCwd(path: string): string {
  try {
    return resolve(Deno.cwd(), path);
  } catch {
    return path;
  }
}

/** `hz` takes any int; the server clamps it to 1..500, as Redis's `updateHZ`. */
function clampHz(v: string): string {
  const n = Number(v);
  return String(n < 1 ? 1 : n > 500 ? 500 : n);
}

/** Redis's CONFIG_BINDADDR_MAX. */
const MAX_BIND = 16;

/** Redis's default `bind`, which CONFIG REWRITE leaves out of the file. */
const REDIS_DEFAULT_BIND = "* -::*";

/** The variables a `proc-title-template` may use. */
const TITLE_VARS = ["title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket"];

/**
 * Redis's `validateProcTitleTemplate`: `{var}` must be known, `{{` and `}}`
 * are literal braces, and the title must not come out empty (it is tried
 * with an empty `{title}`, `{server-mode}` and `{unixsocket}`).
 */
function validateTitle(v: string): string {
  const bad = () => new ConfigError("template format is invalid or contains unknown variables");
  let out = "";
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === "{" && v[i + 1] === "{") {
      out += "{";
      i++;
    } else if (c === "}" && v[i + 1] === "}") {
      out += "}";
      i++;
    } else if (c === "{") {
      const end = v.indexOf("}", i);
      if (end === -1) throw bad();
      const name = v.slice(i + 1, end);
      if (name !== "config-file" && !TITLE_VARS.includes(name)) throw bad();
      if (name !== "title" && name !== "server-mode" && name !== "unixsocket") out += "x";
      i = end;
    } else {
      out += c;
    }
  }
  if (out.trim() === "") throw bad();
  return v;
}

const bool = (name: string, def: "yes" | "no", extra: Partial<ConfigDirective> = {}) =>
  ({ name, type: "bool", default: def, ...extra }) as const satisfies ConfigDirective;
const int = (
  name: string,
  def: string,
  min: number | bigint,
  max: number | bigint,
  extra: Partial<ConfigDirective> = {},
) => ({ name, type: "int", default: def, min, max, ...extra }) as const satisfies ConfigDirective;
const str = (name: string, def: string, extra: Partial<ConfigDirective> = {}) =>
  ({ name, type: "string", default: def, ...extra }) as const satisfies ConfigDirective;
const immutable = { mutable: false } as const;
/** An unset value is removed from the file by CONFIG REWRITE. */
const nullable = { emptyIsNull: true } as const;
const protectedAction = ["no", "yes", "local"] as const;

/** Directives of the core: network, limits, databases, logging, the process. */
export const coreDirectives: readonly ConfigDirective[] = [
  int("port", "6379", 0, 65535),
  {
    name: "bind",
    type: "string",
    default: "127.0.0.1",
    multiArg: true,
    validate(v) {
      if (v.split(" ").length > MAX_BIND) {
        throw new ConfigError("Too many bind addresses specified.");
      }
      return v;
    },
    rewrite: (v, name) =>
      v === REDIS_DEFAULT_BIND ? [] : [{ line: `${name} ${v === "" ? '""' : v}`, force: true }],
  },
  {
    name: "unixsocket",
    type: "string",
    default: "",
    mutable: false,
    emptyIsNull: true,
  },
  {
    name: "unixsocketperm",
    type: "octal",
    default: "0",
    min: 0,
    max: 0o777,
    unsigned: true,
    ...immutable,
  },
  int("databases", "16", 1, INT_MAX, immutable),
  int("maxclients", "10000", 1, UINT_MAX, { unsigned: true }),
  int("timeout", "0", 0, INT_MAX),
  int("tcp-keepalive", "300", 0, INT_MAX),
  int("tcp-backlog", "511", 0, INT_MAX, immutable),
  int("hz", "10", 0, INT_MAX, { validate: clampHz }),
  {
    name: "proto-max-bulk-len",
    type: "memory",
    default: "512mb",
    min: 1024 * 1024,
    max: LONG_MAX,
  },
  {
    name: "client-query-buffer-limit",
    type: "memory",
    default: "1gb",
    min: 1024 * 1024,
    max: LONG_MAX,
    unsigned: true,
  },
  {
    name: "client-output-buffer-limit",
    type: "string",
    default: DEFAULT_OBUF,
    multiArg: true,
    validate: validateOutputLimits,
    rewrite: rewriteOutputLimits,
  },
  {
    name: "loglevel",
    type: "enum",
    default: "notice",
    values: ["debug", "verbose", "notice", "warning"],
  },
  str("logfile", "", immutable),
  {
    name: "dir",
    type: "string",
    default: ".",
    protected: true,
    validate: validateDir,
    // Always written, as Redis writes its working directory.
    rewrite: (v, name) => [{ line: `${name} ${reprArg(v)}`, force: true }],
  },
  str("pidfile", "", { ...immutable, ...nullable }),
  bool("daemonize", "no", immutable),
  bool("always-show-logo", "no", immutable),
  {
    name: "enable-debug-command",
    type: "enum",
    default: "no",
    values: protectedAction,
    ...immutable,
  },
  {
    name: "enable-protected-configs",
    type: "enum",
    default: "no",
    values: protectedAction,
    ...immutable,
  },
  {
    name: "enable-module-command",
    type: "enum",
    default: "no",
    values: protectedAction,
    ...immutable,
  },
  bool("protected-mode", "yes"),
  int("active-expire-effort", "1", 1, 10),
  bool("lazyfree-lazy-user-flush", "no"),
  bool("lazyfree-lazy-user-del", "no"),
  bool("lazyfree-lazy-expire", "no"),
  bool("lazyfree-lazy-eviction", "no"),
  bool("lazyfree-lazy-server-del", "no"),
  {
    name: "maxmemory",
    type: "memory",
    default: "0",
    min: 0,
    max: ULLONG_MAX,
    unsigned: true,
  },
  {
    name: "maxmemory-policy",
    type: "enum",
    default: "noeviction",
    values: [
      "volatile-lru",
      "volatile-lfu",
      "volatile-random",
      "volatile-ttl",
      "allkeys-lru",
      "allkeys-lfu",
      "allkeys-random",
      "noeviction",
    ],
  },
  // Respite's own: modules to import as plugins (`plugin ./x.ts`), one
  // line each, as `loadmodule` lines are.
  {
    name: "plugin",
    type: "string",
    default: "",
    mutable: false,
    hidden: true,
    multiArg: true,
    rewrite: (v, name) =>
      v === "" ? [] : v.split(" ").map((spec) => ({ line: `${name} ${spec}`, force: true })),
  },
  ...tlsDirectives,
  ...acceptedDirectives(),
];

/**
 * Redis 7.0's directives that change nothing in Respite: accepted in files,
 * on the command line and by CONFIG SET with Redis's validation, reported by
 * CONFIG GET and written by CONFIG REWRITE, so a redis.conf loads unchanged.
 * The README's configuration section lists them.
 */
function acceptedDirectives(): ConfigDirective[] {
  return [
    // The process and the allocator: Respite runs in Deno's.
    bool("activerehashing", "yes"),
    bool("activedefrag", "no", {
      validate(v) {
        if (v === "yes") {
          // The reason redis-server gives when built without its own jemalloc.
          throw new ConfigError(
            "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution",
          );
        }
        return v;
      },
    }),
    int("active-defrag-cycle-min", "1", 1, 99),
    int("active-defrag-cycle-max", "25", 1, 99),
    int("active-defrag-threshold-lower", "10", 0, 1000),
    int("active-defrag-threshold-upper", "100", 0, 1000),
    {
      name: "active-defrag-ignore-bytes",
      type: "memory",
      default: "100mb",
      min: 1,
      max: LONG_MAX,
      unsigned: true,
    },
    int("active-defrag-max-scan-fields", "1000", 1, LONG_MAX, { unsigned: true }),
    bool("jemalloc-bg-thread", "yes"),
    bool("dynamic-hz", "yes"),
    bool("disable-thp", "yes", immutable),
    bool("crash-log-enabled", "yes"),
    bool("crash-memcheck-enabled", "yes"),
    bool("use-exit-on-panic", "no", { hidden: true }),
    int("watchdog-period", "0", 0, INT_MAX, { hidden: true }),
    int("key-load-delay", "0", INT_MIN, INT_MAX, { hidden: true }),
    int("loading-process-events-interval-bytes", "2097152", 1024, INT_MAX, { hidden: true }),
    bool("io-threads-do-reads", "no", immutable),
    int("io-threads", "1", 1, 128, immutable),
    bool("set-proc-title", "yes", immutable),
    str("proc-title-template", "{title} {listen-addr} {server-mode}", { validate: validateTitle }),
    bool("syslog-enabled", "no", immutable),
    str("syslog-ident", "redis", immutable),
    {
      name: "syslog-facility",
      type: "enum",
      default: "local0",
      values: [
        "user",
        "local0",
        "local1",
        "local2",
        "local3",
        "local4",
        "local5",
        "local6",
        "local7",
      ],
      ...immutable,
    },
    {
      name: "supervised",
      type: "enum",
      default: "no",
      values: ["upstart", "systemd", "auto", "no"],
      ...immutable,
    },
    {
      name: "oom-score-adj",
      type: "enum",
      default: "no",
      values: ["no", "yes", "relative", "absolute"],
      // `relative` is `yes`, and shows as `yes`.
      validate: (v) => v === "relative" ? "yes" : v,
    },
    {
      name: "oom-score-adj-values",
      type: "string",
      default: "0 200 800",
      multiArg: true,
      validate: validateOomValues,
      rewrite: (v, name) => [{ line: `${name} ${v}`, force: v !== "0 200 800" }],
    },
    str("server_cpulist", "", { ...immutable, ...nullable }),
    str("bio_cpulist", "", { ...immutable, ...nullable }),
    str("aof_rewrite_cpulist", "", { ...immutable, ...nullable }),
    str("bgsave_cpulist", "", { ...immutable, ...nullable }),
    str("ignore-warnings", ""),
    str("bind-source-addr", "", nullable),
    int("socket-mark-id", "0", 0, UINT_MAX, { ...immutable, unsigned: true }),
    int("shutdown-timeout", "10", 0, INT_MAX),
    {
      name: "propagation-error-behavior",
      type: "enum",
      default: "ignore",
      values: ["ignore", "panic", "panic-on-replicas"],
    },
    {
      name: "maxmemory-clients",
      type: "memory",
      default: "0",
      min: -100,
      max: LONG_MAX,
      percent: true,
    },
    // Scripts: a later change gives a running script a BUSY state.
    int("busy-reply-threshold", "5000", 0, LONG_MAX, { aliases: ["lua-time-limit"] }),
    // AOF tuning for a forked rewrite Respite does not have.
    bool("no-appendfsync-on-rewrite", "no"),
    bool("aof-rewrite-incremental-fsync", "yes"),
    bool("aof-timestamp-enabled", "no"),
    bool("aof-disable-auto-gc", "no"),
    // Cluster mode: accepted until Respite has one.
    bool("cluster-enabled", "no", immutable),
    str("cluster-config-file", "nodes.conf", immutable),
    int("cluster-port", "0", 0, 65535, immutable),
    int("cluster-node-timeout", "15000", 0, LONG_MAX),
    str("cluster-announce-ip", "", nullable),
    str("cluster-announce-hostname", "", {
      ...nullable,
      validate(v) {
        if (v.length >= 256) throw new ConfigError("Hostnames must be less than 256 characters");
        if (!/^[A-Za-z0-9.-]*$/.test(v)) {
          throw new ConfigError(
            "Hostnames may only contain alphanumeric characters, hyphens or dots",
          );
        }
        return v;
      },
    }),
    int("cluster-announce-port", "0", 0, 65535),
    int("cluster-announce-bus-port", "0", 0, 65535),
    int("cluster-announce-tls-port", "0", 0, 65535),
    bool("cluster-require-full-coverage", "yes"),
    bool("cluster-replica-no-failover", "no", { aliases: ["cluster-slave-no-failover"] }),
    int("cluster-replica-validity-factor", "10", 0, INT_MAX, {
      aliases: ["cluster-slave-validity-factor"],
    }),
    int("cluster-migration-barrier", "1", 0, INT_MAX),
    bool("cluster-allow-replica-migration", "yes"),
    bool("cluster-allow-reads-when-down", "no"),
    bool("cluster-allow-pubsubshard-when-down", "yes"),
    {
      name: "cluster-link-sendbuf-limit",
      type: "memory",
      default: "0",
      min: 0,
      max: ULLONG_MAX,
      unsigned: true,
    },
    {
      name: "cluster-preferred-endpoint-type",
      type: "enum",
      default: "ip",
      values: ["ip", "hostname", "unknown-endpoint"],
    },
    // TLS settings Deno's TLS listener has no equivalent for.
    str("tls-ca-cert-dir", "", nullable),
    str("tls-ciphers", "", nullable),
    str("tls-ciphersuites", "", nullable),
    str("tls-protocols", "", nullable),
    str("tls-dh-params-file", "", nullable),
    str("tls-key-file-pass", "", nullable),
    str("tls-client-cert-file", "", nullable),
    str("tls-client-key-file", "", nullable),
    str("tls-client-key-file-pass", "", nullable),
    bool("tls-cluster", "no"),
    bool("tls-replication", "no"),
    bool("tls-prefer-server-ciphers", "no"),
    bool("tls-session-caching", "yes"),
    int("tls-session-cache-size", "20480", 0, INT_MAX),
    int("tls-session-cache-timeout", "300", 0, INT_MAX),
  ];
}
