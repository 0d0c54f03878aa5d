/**
 * The configuration directives the core owns. Families and subsystems
 * declare theirs in their own plugins.
 *
 * @module
 */

import { type ConfigDirective, ConfigError, parseMemory } from "./config.ts";
import { tlsDirectives } from "./tls.ts";

/** Parses `client-output-buffer-limit`: `<class> <hard> <soft> <seconds>`... */
export function parseOutputLimits(
  v: string,
): Record<string, [number, number, number]> {
  const parts = v.trim().split(/\s+/);
  if (parts.length % 4 !== 0) {
    throw new ConfigError("Wrong number of arguments in buffer limit configuration.");
  }
  const out: Record<string, [number, number, number]> = {};
  for (let i = 0; i < parts.length; i += 4) {
    let cls = parts[i]!.toLowerCase();
    if (cls === "slave") cls = "replica";
    if (cls !== "normal" && cls !== "replica" && cls !== "pubsub") {
      throw new ConfigError("Invalid client class specified in buffer limit configuration.");
    }
    const hard = parseMemory(parts[i + 1]!);
    const soft = parseMemory(parts[i + 2]!);
    const secs = Number(parts[i + 3]);
    if (
      hard === undefined || soft === undefined || !Number.isInteger(secs) || hard < 0 || soft < 0 ||
      secs < 0
    ) {
      throw new ConfigError(
        "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
      );
    }
    out[cls] = [hard, soft, secs];
  }
  return out;
}

const DEFAULT_OBUF = "normal 0 0 0 replica 268435456 67108864 60 pubsub 33554432 8388608 60";

/** Directives of the core: network, limits, databases, logging. */
export const coreDirectives: readonly ConfigDirective[] = [
  { name: "port", type: "int", default: "6379", min: 0, max: 65535, mutable: false },
  { name: "bind", type: "string", default: "127.0.0.1", mutable: false },
  { name: "databases", type: "int", default: "16", min: 1, max: 1 << 20, mutable: false },
  { name: "maxclients", type: "int", default: "10000", min: 1, max: 1 << 20 },
  { name: "timeout", type: "int", default: "0", min: 0, max: 2147483647 },
  { name: "tcp-keepalive", type: "int", default: "300", min: 0, max: 2147483647 },
  { name: "tcp-backlog", type: "int", default: "511", min: 0, max: 2147483647, mutable: false },
  { name: "hz", type: "int", default: "10", min: 1, max: 500 },
  {
    name: "proto-max-bulk-len",
    type: "memory",
    default: "512mb",
    min: 1024 * 1024,
    max: Number.MAX_SAFE_INTEGER,
  },
  {
    name: "client-query-buffer-limit",
    type: "memory",
    default: "1gb",
    min: 1024 * 1024,
    max: Number.MAX_SAFE_INTEGER,
  },
  {
    name: "client-output-buffer-limit",
    type: "string",
    default: DEFAULT_OBUF,
    validate(v) {
      // Merge with the current classes: a CONFIG SET may name only one.
      const merged = { ...parseOutputLimits(DEFAULT_OBUF), ...parseOutputLimits(v) };
      return Object.entries(merged).map(([k, [h, s, t]]) => `${k} ${h} ${s} ${t}`).join(" ");
    },
  },
  {
    name: "loglevel",
    type: "enum",
    default: "notice",
    values: ["debug", "verbose", "notice", "warning"],
  },
  { name: "logfile", type: "string", default: "", mutable: false },
  { name: "dir", type: "string", default: ".", validate: validateDir },
  { name: "pidfile", type: "string", default: "", mutable: false },
  {
    name: "daemonize",
    type: "bool",
    default: "no",
    mutable: false,
    validate: (v) => {
      if (v === "yes") {
        throw new ConfigError(
          "daemonize is not supported: run under a service manager",
        );
      }
      return v;
    },
  },
  {
    name: "enable-debug-command",
    type: "enum",
    default: "no",
    values: ["no", "yes", "local"],
    mutable: false,
  },
  { name: "protected-mode", type: "bool", default: "yes" },
  { name: "active-expire-effort", type: "int", default: "1", min: 1, max: 10 },
  { name: "lazyfree-lazy-user-flush", type: "bool", default: "no" },
  { name: "lazyfree-lazy-user-del", type: "bool", default: "no" },
  { name: "lazyfree-lazy-expire", type: "bool", default: "no" },
  { name: "lazyfree-lazy-eviction", type: "bool", default: "no" },
  { name: "lazyfree-lazy-server-del", type: "bool", default: "no" },
  { name: "io-threads", type: "int", default: "1", min: 1, max: 1, mutable: false },
  { name: "maxmemory", type: "memory", default: "0", min: 0, max: Number.MAX_SAFE_INTEGER },
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
  { name: "plugin", type: "string", default: "", mutable: false },
  ...tlsDirectives,
];

function validateDir(v: string): string {
  try {
    if (!Deno.statSync(v).isDirectory) throw new Error();
  } catch {
    throw new ConfigError("No such file or directory");
  }
  return v;
}
