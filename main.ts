/**
 * The `respite` command: starts a server the way `redis-server` does.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write --allow-env=FENGARICONF main.ts \
 *   [/path/to/redis.conf] [--directive value ...] [-]
 * ```
 *
 * The config file comes first; each `--name value...` option is appended to
 * it as a config line (so the options win), `-` reads more config from stdin.
 * `plugin` lines and `--plugin ./x.ts` options load user plugins (a module
 * whose default or `plugin` export is a {@link Plugin}) before the server is
 * created, so their directives may be set like any other. Relative plugin
 * paths resolve against the config file's directory for file lines and
 * against the working directory for options.
 *
 * In a `deno compile`d binary only plugins embedded at compile time can be
 * imported: `deno compile --include plugins/examples/counter.ts ... main.ts`.
 *
 * Errors in the configuration are printed as `redis-server` prints them and
 * the process exits with status 1. SIGINT and SIGTERM shut the server down
 * as SHUTDOWN does, with the modifiers of `shutdown-on-sigint` and
 * `shutdown-on-sigterm`, and exit with status 0; when the final save fails
 * the server logs it and keeps serving. A second SIGINT during a shutdown
 * exits at once with status 1.
 *
 * @module
 */

import { dirname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  builtinPlugins,
  type Plugin,
  REDIS_VERSION,
  RESPITE_VERSION,
  type ServerHandle,
  startServer,
} from "./mod.ts";
import { ConfigStore } from "./core/config.ts";
import { coreDirectives } from "./core/server_config.ts";
import { signalShutdownOptions } from "./commands/server/mod.ts";
import {
  type AppliedConf,
  applyConf,
  ConfFileError,
  type ConfLine,
  countLines,
  formatConfError,
  osReason,
  parseCommandLine,
  parseConf,
  pluginLines,
  readConfFile,
} from "./core/conf_file.ts";
import { bytesToString, byteStringToUtf8, stringToBytes } from "./core/resp/bytes.ts";
import { logLine } from "./core/log.ts";

const USAGE = `Usage: respite [/path/to/redis.conf] [options] [-]
       respite - (read config from stdin)
       respite -v or --version
       respite -h or --help

Options are config directives: --port 7777 --save 900 1 --save "300 10"

Examples:
       respite (run the server with default conf)
       echo 'maxmemory 128mb' | respite -
       respite /etc/redis/6379.conf
       respite --port 7777
       respite --port 7777 --replicaof 127.0.0.1 8888
       respite /etc/myredis.conf --loglevel verbose -
       respite --plugin ./plugins/examples/counter.ts --counter-max 1000

Run from source with:
       deno run --allow-net --allow-read --allow-write --allow-env=FENGARICONF main.ts [options]
`;

/** Writes all of `data` to a synchronous writer. */
function writeAll(w: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += w.writeSync(data.subarray(off));
}

/**
 * A log line written before the server exists (role `C`, as redis-server's
 * configuration-time lines), at warning level (`#`).
 */
function earlyLog(msg: string): string {
  return logLine({ pid: Deno.pid, role: "C", at: Date.now() }, "warning", msg);
}

/** Where log lines go: `logfile`, or stdout as redis-server does. */
function makeLogger(logfile: string): (line: string) => void {
  const enc = new TextEncoder();
  if (logfile === "") return (line) => writeAll(Deno.stdout, enc.encode(line + "\n"));
  const f = Deno.openSync(byteStringToUtf8(logfile), {
    append: true,
    create: true,
    write: true,
  });
  return (line) => writeAll(f, enc.encode(line + "\n"));
}

/** Prints a fatal configuration error as redis-server does. */
function reportConfError(e: ConfFileError): void {
  if (e.kind === "open") {
    writeAll(Deno.stdout, stringToBytes(earlyLog(e.reason) + "\n"));
  } else {
    writeAll(Deno.stderr, stringToBytes(formatConfError(e)));
  }
}

/**
 * Imports a user plugin module. Relative paths resolve against `baseDir`;
 * URLs (`file:`, `https:`, `npm:`, `jsr:`) are imported as given.
 */
export async function importPlugin(spec: string, baseDir: string): Promise<Plugin> {
  const isUrl = /^[a-z][a-z0-9+.-]+:/i.test(spec);
  const url = isUrl ? spec : pathToFileURL(isAbsolute(spec) ? spec : resolve(baseDir, spec)).href;
  const mod = await import(url);
  for (const cand of [mod.default, mod.plugin]) {
    if (isPlugin(cand)) return cand;
  }
  throw new Error("the module has no default or 'plugin' export that is a plugin");
}

function isPlugin(v: unknown): v is Plugin {
  return typeof v === "object" && v !== null && typeof (v as Plugin).name === "string";
}

/** The configuration and plugins to start with, or an exit status. */
async function loadConfiguration(
  args: readonly string[],
): Promise<{ applied: AppliedConf; plugins: Plugin[] } | number> {
  const cl = parseCommandLine(args);
  if (cl.kind === "version") {
    console.log(`Respite v=${RESPITE_VERSION} redis_version=${REDIS_VERSION}`);
    return 0;
  }
  if (cl.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  const cwd = Deno.cwd();
  let text = "";
  let fileDir = cwd;
  const stack: string[] = [];
  if (cl.file !== undefined) {
    const path = resolve(cwd, byteStringToUtf8(cl.file));
    try {
      text = readConfFile(path);
    } catch (e) {
      reportConfError(
        new ConfFileError(
          `Fatal error, can't open config file '${path}': ${osReason(e)}`,
          undefined,
          "open",
        ),
      );
      return 1;
    }
    fileDir = dirname(path);
    stack.push(path);
  }
  if (cl.stdin) {
    writeAll(Deno.stdout, stringToBytes(earlyLog("Reading config from stdin") + "\n"));
    const chunks: Uint8Array[] = [];
    for await (const c of Deno.stdin.readable) chunks.push(c);
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    text += bytesToString(all, 0, all.length);
  }
  const lines: ConfLine[] = parseConf(text, { baseDir: fileDir, includeStack: stack });
  if (!lines.at(-1)?.error) {
    lines.push(...parseConf(cl.options, { baseDir: cwd, lineOffset: countLines(text) }));
  }
  const plugins: Plugin[] = [];
  for (const ref of pluginLines(lines)) {
    try {
      plugins.push(await importPlugin(byteStringToUtf8(ref.spec), ref.baseDir));
    } catch (e) {
      const msg = e instanceof Error ? e.message.split("\n")[0] : String(e);
      reportConfError(
        new ConfFileError(`Failed to load plugin '${ref.spec}': ${msg}`, {
          line: ref.line.line,
          text: ref.line.text,
        }),
      );
      return 1;
    }
  }
  // A scratch store that knows every directive, so each line is checked
  // (and reported with its line number) before the server exists.
  const store = new ConfigStore();
  try {
    for (const d of coreDirectives) store.declare(d);
    for (const p of [...builtinPlugins, ...plugins]) {
      for (const d of p.config ?? []) store.declare(d);
    }
  } catch (e) {
    writeAll(Deno.stdout, stringToBytes(earlyLog(`Fatal: ${(e as Error).message}`) + "\n"));
    return 1;
  }
  try {
    return { applied: applyConf(lines, store), plugins };
  } catch (e) {
    if (!(e instanceof ConfFileError)) throw e;
    reportConfError(e);
    return 1;
  }
}

/** redis-server's save points when no `save` directive is given. */
const REDIS_DEFAULT_SAVE = "3600 1 300 100 60 10000";

/**
 * Runs the server until it shuts down; returns the exit status.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * console.log(await main(["--version"])); // 0
 * ```
 */

export async function main(args: readonly string[]): Promise<number> {
  const loaded = await loadConfiguration(args);
  if (typeof loaded === "number") return loaded;
  const { applied, plugins } = loaded;
  const cfg = applied.config;
  // As redis-server: without a `save` line, snapshot on Redis's default
  // points. (An embedded server saves nothing unless told to.)
  if (!("save" in cfg)) cfg.save = REDIS_DEFAULT_SAVE;
  let logger: (line: string) => void;
  try {
    logger = makeLogger(cfg.logfile ?? "");
  } catch (e) {
    writeAll(
      Deno.stdout,
      stringToBytes(earlyLog(`Can't open the log file: ${osReason(e)}`) + "\n"),
    );
    return 1;
  }
  // Listen for signals before the port opens: whoever sees the port open
  // may signal at once.
  let handle: ServerHandle | undefined;
  /** A signal's shutdown is under way (cleared when it is refused). */
  let shuttingDown = false;
  const listeners: [Deno.Signal, () => void][] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const fn = () => {
      if (!handle) Deno.exit(0); // not started yet: nothing to shut down
      const server = handle.server;
      if (shuttingDown) {
        if (sig === "SIGINT") {
          server.log("warning", "You insist... exiting now.");
          Deno.exit(1);
        }
        return;
      }
      shuttingDown = true;
      server.log("warning", `Received ${sig} scheduling shutdown...`);
      const directive = sig === "SIGINT" ? "shutdown-on-sigint" : "shutdown-on-sigterm";
      const flags = server.config.directive(directive) ? server.config.get(directive) : "";
      // A refused shutdown (a final save failed) leaves the server serving,
      // as Redis does: exiting would lose the data.
      server.shutdown(signalShutdownOptions(flags)).catch(() => {
        shuttingDown = false;
        server.log(
          "warning",
          `${sig} received but errors trying to shut down the server, check the logs for more information`,
        );
      });
    };
    try {
      Deno.addSignalListener(sig, fn);
      listeners.push([sig, fn]);
    } catch { /* SIGTERM is not available on Windows */ }
  }
  try {
    handle = await startServer({ plugins, config: cfg, logger });
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.AddrNotAvailable) {
      const port = cfg.port ?? "6379";
      const bind = cfg.bind ?? "127.0.0.1";
      logger(earlyLog(
        `Warning: Could not create server TCP listening socket ${bind}:${port}: bind: ${
          osReason(e)
        }`,
      ));
      logger(earlyLog(`Failed listening on port ${port} (tcp), aborting.`));
    } else {
      logger(earlyLog(`Fatal: ${e instanceof Error ? e.message : String(e)}`));
    }
    return 1;
  }
  const server = handle.server;
  server.log(
    "warning",
    `Respite ${RESPITE_VERSION} (Redis ${REDIS_VERSION} compatible), bits=64, pid=${Deno.pid}, port=${handle.port}, just started`,
  );
  for (const w of applied.warnings) server.log("warning", w);
  for (const p of plugins) server.log("notice", `Plugin '${p.name}' loaded`);
  const pidfile = server.config.get("pidfile");
  if (pidfile !== "") {
    try {
      Deno.writeTextFileSync(byteStringToUtf8(pidfile), `${Deno.pid}\n`);
    } catch (e) {
      server.log("warning", `Failed to write PID file: ${osReason(e)}`);
    }
  }
  server.log("notice", `Running mode=standalone, port=${handle.port}.`);
  server.log("warning", "Server initialized");
  server.log("notice", "Ready to accept connections");

  await handle.finished;
  for (const [sig, fn] of listeners) Deno.removeSignalListener(sig, fn);
  if (pidfile !== "") {
    server.log("notice", "Removing the pid file.");
    try {
      Deno.removeSync(byteStringToUtf8(pidfile));
    } catch { /* already gone */ }
  }
  server.log("warning", "Respite is now ready to exit, bye bye...");
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
