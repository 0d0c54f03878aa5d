/**
 * Respite: a Redis-compatible server for Deno, built from typed plugins.
 *
 * Start one in-process (a test suite can use port 0):
 *
 * @example
 * ```ts
 * import { startServer } from "./mod.ts";
 * const server = await startServer({ port: 0 });
 * console.log(`listening on ${server.port}`);
 * await server.close();
 * ```
 *
 * Add your own commands with {@link definePlugin}:
 *
 * @example
 * ```ts
 * import { definePlugin, startServer } from "./mod.ts";
 * const hello = definePlugin({
 *   name: "hello",
 *   commands: [{
 *     name: "hello.world",
 *     arity: 1,
 *     flags: ["readonly", "fast"],
 *     handler: (c) => c.reply.simple("world"),
 *   }],
 * });
 * const server = await startServer({ port: 0, plugins: [hello] });
 * await server.close();
 * ```
 *
 * @module
 */

import { Server } from "./core/server.ts";
import type { Plugin } from "./core/types.ts";
import type { Clock } from "./core/clock.ts";
import { builtinPlugins } from "./plugins/builtins.ts";

export type {
  AdmissionCheck,
  AdmissionChecks,
  Admitter,
  ArmedCheck,
  Bytes,
  ClientExtensions,
  CommandEntry,
  CommandFlag,
  CommandHandler,
  CommandSpec,
  Context,
  EventClass,
  Hooks,
  HooksArmed,
  KeySpec,
  KeySpecFlag,
  Plugin,
  PluginInstance,
  ReplyWriter,
  ServerApi,
  ServerStats,
  Services,
  ShutdownOptions,
} from "./core/types.ts";
export type { DataObject, ElementsView, FieldsView, Value, ValueType } from "./core/keyspace.ts";
export type { ModuleDigest, ModuleTypeRdb, RdbLoadIO, RdbSaveIO } from "./core/value_type.ts";
export { heapStringBytes, ValueTypeError, ValueTypes } from "./core/value_type.ts";
export {
  Database,
  Keyspace,
  type Stored,
  storedValue,
  typeOf,
  type ValueViews,
  viewOf,
} from "./core/keyspace.ts";
export { type KeyCursor, KeyMap } from "./core/keymap.ts";
export { randomHex } from "./core/random.ts";
export type { ConfigDirective, ConfigType } from "./core/config.ts";
export { ConfigStore } from "./core/config.ts";
export { type Clock, ManualClock, systemClock } from "./core/clock.ts";
export { Err, ReplyError } from "./core/errors.ts";
export { commandFamily, definePlugin, type FamilyOptions, keys } from "./core/registry.ts";
export { globMatch } from "./core/glob.ts";
export { replyHelp } from "./core/help.ts";
export { formatDouble, intArg, parseFloatStrict, parseInteger } from "./core/number.ts";
export { byteStringToUtf8, utf8ToByteString } from "./core/resp/bytes.ts";
export { builtinPlugins };
export { REDIS_VERSION, RESPITE_VERSION } from "./core/version.ts";

/** Options for {@link startServer}. */
export interface StartOptions {
  /** TCP port; 0 picks a free one. Default 6379 (or `config.port`). */
  port?: number;
  /** Address(es) to bind, space separated. Default `127.0.0.1`. */
  bind?: string;
  /** Extra plugins, loaded after the built-in ones. */
  plugins?: readonly Plugin[];
  /** Replace the built-in plugins entirely (advanced). */
  builtins?: readonly Plugin[];
  /** Directive values as in redis.conf, e.g. `{ databases: "4" }`. */
  config?: Readonly<Record<string, string>>;
  /** The clock for TTLs and timeouts (a `ManualClock` in tests). */
  clock?: Clock;
  /** Where log lines go; default stderr. Pass `() => {}` to silence. */
  logger?: (line: string) => void;
  /**
   * The server is the process's only job: it may run V8's full collection
   * when idle after a bulk change, to give memory back (as `main.ts` does).
   * Default false: an embedded server leaves its host's heap alone.
   */
  ownsProcess?: boolean;
}

/** A running server. */
export interface ServerHandle {
  /** The bound TCP port. */
  readonly port: number;
  /** The bound address of the first listener. */
  readonly hostname: string;
  /** The server itself, for plugins and tests. */
  readonly server: Server;
  /**
   * Shuts down: stops listening, runs shutdown hooks, closes clients. It
   * always closes: a final save that fails is logged, as SHUTDOWN FORCE.
   */
  close(): Promise<void>;
  /** Resolves when the server has shut down (also after SHUTDOWN). */
  readonly finished: Promise<void>;
}

/**
 * Starts a server in-process.
 *
 * @example
 * ```ts
 * import { startServer } from "./mod.ts";
 * const s = await startServer({ port: 0, config: { databases: "4" }, logger: () => {} });
 * const conn = await Deno.connect({ port: s.port });
 * conn.close();
 * await s.close();
 * ```
 */
export function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  const config: Record<string, string> = { ...opts.config };
  if (opts.port !== undefined) config.port = String(opts.port);
  if (opts.bind !== undefined) config.bind = opts.bind;
  const server = new Server({
    plugins: [...(opts.builtins ?? builtinPlugins), ...(opts.plugins ?? [])],
    config,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ownsProcess: opts.ownsProcess ?? false,
  });
  // A load that fails at once throws here; a long one (the server answers
  // LOADING meanwhile) settles the promise.
  const loading = server.listen();
  const first = server.config.get("bind").split(/\s+/)[0]!.replace(/^-/, "");
  const handle: ServerHandle = {
    port: server.port,
    hostname: first,
    server,
    close: () => server.close(),
    finished: server.finished,
  };
  if (loading === undefined) return Promise.resolve(handle);
  return loading.then(() => handle, async (e) => {
    await server.close();
    throw e;
  });
}

export { Server };
