/**
 * The `respite` command: starts a server the way `redis-server` does.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-write main.ts \
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
 * Start-up follows Redis's order: the configuration is read and checked,
 * `daemonize yes` re-launches the server detached (Deno cannot fork; this
 * needs `--allow-run`) and the pid file is written, `rename-command` lines
 * rename commands, the ports are bound (a port in use is found before a
 * long load), then the dataset is loaded. The config file's absolute path
 * is what CONFIG REWRITE rewrites and INFO's `config_file` shows.
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

import { dirname, isAbsolute, resolve } from "./core/path.ts";
import { builtinPlugins, type Plugin, REDIS_VERSION, RESPITE_VERSION, Server } from "./mod.ts";
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
import type { CommandRename } from "./core/conf_file.ts";
import { logLine } from "./core/log.ts";
import { nodeBuiltin } from "./core/node_builtin.ts";

const USAGE = `Usage: respite [/path/to/redis.conf] [options] [-]
       respite - (read config from stdin)
       respite -v or --version
       respite -h or --help
       respite --cluster-local <nodes> [--port <first port>] [--cluster-replicas <n>] [--dir <dir>]

Options are config directives: --port 7777 --save 900 1 --save "300 10"

Examples:
       respite (run the server with default conf)
       echo 'maxmemory 128mb' | respite -
       respite /etc/redis/6379.conf
       respite --port 7777
       respite --port 7777 --replicaof 127.0.0.1 8888
       respite /etc/myredis.conf --loglevel verbose -
       respite --plugin ./plugins/examples/counter.ts --counter-max 1000
       respite --cluster-local 6 (3 masters and 3 replicas on ports 30001-30006)

Run from source with:
       deno run --allow-net --allow-read --allow-write main.ts [options]
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
  // node:url only where a plugin file is loaded (see core/node_builtin.ts).
  const url = isUrl ? spec : nodeBuiltin<typeof import("node:url")>("node:url")
    .pathToFileURL(isAbsolute(spec) ? spec : resolve(baseDir, spec)).href;
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
): Promise<
  | {
    applied: AppliedConf;
    plugins: Plugin[];
    file: string | undefined;
    /** The config read from stdin (`-`), for a daemon re-launched. */
    stdin: Uint8Array | undefined;
  }
  | number
> {
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
  let file: string | undefined;
  let stdin: Uint8Array | undefined;
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
    file = path;
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
    stdin = all;
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
    return { applied: applyConf(lines, store), plugins, file, stdin };
  } catch (e) {
    if (!(e instanceof ConfFileError)) throw e;
    reportConfError(e);
    return 1;
  }
}

/** redis-server's save points when no `save` directive is given. */
const REDIS_DEFAULT_SAVE = "3600 1 300 100 60 10000";

/** The pid file a daemon writes when none is configured, as Redis's. */
const DEFAULT_PIDFILE = "/var/run/redis.pid";

/**
 * The last argument of the process a `daemonize yes` server re-launches in
 * the background: that one runs the server instead of launching another.
 */
const DAEMON_CHILD = "--respite-daemonized";

/**
 * The command that runs this server again with the same arguments: the
 * binary itself when compiled, else Deno with the command line it was
 * started with (`/proc/self/cmdline`, readable with `--allow-all`) or, when
 * that cannot be read, `deno run` with the permissions it was granted.
 */
function selfCommand(args: readonly string[]): { cmd: string; args: string[] } {
  const cmd = Deno.execPath();
  if (Deno.build.standalone) return { cmd, args: [...args] };
  try {
    const argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
    argv.pop();
    if (argv.length > 1) return { cmd, args: argv.slice(1) };
  } catch { /* not Linux, or /proc needs --allow-all */ }
  const flags: string[] = [];
  for (const name of ["net", "read", "write", "run", "sys", "ffi"] as const) {
    if (Deno.permissions.querySync({ name }).state === "granted") flags.push(`--allow-${name}`);
  }
  if (Deno.permissions.querySync({ name: "env" }).state === "granted") flags.push("--allow-env");
  return { cmd, args: ["run", ...flags, Deno.mainModule, ...args] };
}

/**
 * `daemonize yes`: Deno cannot fork, so the server runs again as a
 * detached process (a new session, standard streams on /dev/null) and this
 * one exits, as Redis's parent does. Needs `--allow-run`.
 */
async function daemonize(args: readonly string[], stdin: Uint8Array | undefined): Promise<number> {
  const self = selfCommand(args);
  try {
    const child = new Deno.Command(self.cmd, {
      args: [...self.args, DAEMON_CHILD],
      cwd: Deno.cwd(),
      // Config read from stdin (`-`) is handed on.
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(stdin);
      await w.close();
    }
    child.unref();
    return 0;
  } catch (e) {
    writeAll(
      Deno.stdout,
      stringToBytes(
        earlyLog(
          `Can't daemonize: ${
            osReason(e)
          } (Deno cannot fork: the server re-launches itself in the background, which needs --allow-run)`,
        ) + "\n",
      ),
    );
    return 1;
  }
}

/**
 * Renames a command as a `rename-command` line does (an empty name removes
 * it); the reason when it cannot, as Redis words it.
 */
function renameCommand(server: Server, r: CommandRename): string | undefined {
  const cmd = server.commands.get(r.from);
  if (cmd === undefined) return "No such command in rename-command";
  const to = r.to.toLowerCase();
  if (to !== "" && to !== r.from && server.commands.has(to)) {
    return "Target command name already exists";
  }
  server.commands.delete(r.from);
  if (to !== "") server.commands.set(to, cmd);
  return undefined;
}

/**
 * The start-up banner, as Redis's ASCII-art logo gives it (shown with
 * `always-show-logo yes` or on a terminal): the version, the mode, the port
 * and `PID: <pid>`, which tools and Redis's test suite look for.
 */
function banner(port: number, mode: string): string {
  const pad = " ".repeat(17);
  return [
    "",
    `${pad}Respite ${RESPITE_VERSION} (Redis ${REDIS_VERSION} compatible) 64 bit`,
    `${pad}Running in ${mode} mode`,
    `${pad}Port: ${port}`,
    `${pad}PID: ${Deno.pid}`,
    "",
  ].join("\n");
}

/**
 * Runs the server until it shuts down; returns the exit status.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * console.log(await main(["--version"])); // 0
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  // `--cluster-local N`: a whole local cluster, not one server (its module
  // is loaded only then: a server does not hold it).
  if (argv.includes("--cluster-local")) {
    const { runLocalCluster } = await import("./plugins/cluster/local.ts");
    return await runLocalCluster(argv);
  }
  const daemonChild = argv.at(-1) === DAEMON_CHILD;
  const args = daemonChild ? argv.slice(0, -1) : argv;
  const loaded = await loadConfiguration(args);
  if (typeof loaded === "number") return loaded;
  const { applied, plugins, file, stdin } = loaded;
  const cfg = applied.config;
  // As redis-server: without a `save` line, snapshot on Redis's default
  // points. (An embedded server saves nothing unless told to.)
  if (!("save" in cfg)) cfg.save = REDIS_DEFAULT_SAVE;
  const background = cfg.daemonize === "yes";
  let logger: (line: string) => void;
  try {
    logger = makeLogger(cfg.logfile ?? "");
  } catch (e) {
    reportConfError(new ConfFileError(`Can't open the log file: ${osReason(e)}`));
    return 1;
  }
  if (background && !daemonChild) return await daemonize(args, stdin);
  // A daemon writes a pid file even when none is configured, as Redis.
  const pidfile = background && (cfg.pidfile ?? "") === "" ? DEFAULT_PIDFILE : cfg.pidfile ?? "";
  if (pidfile !== "") {
    cfg.pidfile = pidfile;
    try {
      Deno.writeTextFileSync(byteStringToUtf8(pidfile), `${Deno.pid}\n`);
    } catch (e) {
      logger(earlyLog(`Failed to write PID file: ${osReason(e)}`));
    }
  }
  logger(earlyLog("oO0OoO0OoO0Oo Respite is starting oO0OoO0OoO0Oo"));
  // The modules this configuration needs that a plugin loads only then.
  for (const p of [...builtinPlugins, ...plugins]) await p.prepare?.(cfg);
  logger(earlyLog("Configuration loaded"));
  const s = (() => {
    try {
      return new Server({
        plugins: [...builtinPlugins, ...plugins],
        config: cfg,
        logger,
        ownsProcess: true,
      });
    } catch (e) {
      logger(earlyLog(`Fatal: ${e instanceof Error ? e.message : String(e)}`));
      return undefined;
    }
  })();
  if (s === undefined) return 1;
  s.config.file = file;
  for (const r of applied.renames) {
    const reason = renameCommand(s, r);
    if (reason !== undefined) {
      reportConfError(new ConfFileError(reason, r.at));
      return 1;
    }
  }
  // Listen for signals before the port opens: whoever sees the port open
  // may signal at once. Until it is bound, a signal just exits.
  let bound = false;
  /** A signal's shutdown is under way (cleared when it is refused). */
  let shuttingDown = false;
  const listeners: [Deno.Signal, () => void][] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const fn = () => {
      if (!bound) Deno.exit(0); // not started yet: nothing to shut down
      if (shuttingDown) {
        if (sig === "SIGINT") {
          s.log("warning", "You insist... exiting now.");
          Deno.exit(1);
        }
        return;
      }
      shuttingDown = true;
      s.log("warning", `Received ${sig} scheduling shutdown...`);
      const directive = sig === "SIGINT" ? "shutdown-on-sigint" : "shutdown-on-sigterm";
      const flags = s.config.directive(directive) ? s.config.get(directive) : "";
      // A refused shutdown (a final save failed) leaves the server serving,
      // as Redis does: exiting would lose the data.
      s.shutdown(signalShutdownOptions(flags)).catch(() => {
        shuttingDown = false;
        s.log(
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
  // The ports first: one in use is found before a long load.
  try {
    s.bind();
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse || e instanceof Deno.errors.AddrNotAvailable) {
      s.log("warning", `Failed listening on port ${cfg.port ?? "6379"} (tcp), aborting.`);
    } else {
      s.log("warning", `Fatal: ${e instanceof Error ? e.message : String(e)}`);
    }
    return 1;
  }
  bound = true;
  s.log(
    "warning",
    `Respite ${RESPITE_VERSION} (Redis ${REDIS_VERSION} compatible), bits=64, pid=${Deno.pid}, port=${s.port}, just started`,
  );
  for (const p of plugins) s.log("notice", `Plugin '${p.name}' loaded`);
  if (s.config.bool("always-show-logo") || (cfg.logfile ?? "") === "" && Deno.stdout.isTerminal()) {
    logger(banner(s.port, s.config.bool("cluster-enabled") ? "cluster" : "standalone"));
  } else {
    s.log(
      "notice",
      `Running mode=${
        s.config.bool("cluster-enabled") ? "cluster" : "standalone"
      }, port=${s.port}.`,
    );
  }
  s.log("warning", "Server initialized");
  // The Lua engine is loaded on first use (plugins/scripting/_engine.ts);
  // where nothing can wait for it (the AOF, EXEC, a master's stream) it is
  // loaded with `require`, not known to reach the modules `deno compile`
  // embeds: a compiled binary loads it before anything may need it.
  if (Deno.build.standalone) await s.service("scripting")?.preload();
  try {
    // A long load answers LOADING meanwhile; a SHUTDOWN may end it first.
    const loading = s.load();
    const shut = loading !== undefined &&
      await Promise.race([loading.then(() => false), s.finished.then(() => true)]);
    if (!shut) s.log("notice", "Ready to accept connections");
  } catch (e) {
    s.log("warning", e instanceof Error ? e.message : String(e));
    await s.close();
    return 1;
  }

  await s.finished;
  for (const [sig, fn] of listeners) Deno.removeSignalListener(sig, fn);
  if (pidfile !== "") {
    s.log("notice", "Removing the pid file.");
    try {
      Deno.removeSync(byteStringToUtf8(pidfile));
    } catch { /* already gone */ }
  }
  s.log("warning", "Respite is now ready to exit, bye bye...");
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
