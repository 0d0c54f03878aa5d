/**
 * redis.conf parsing, as `redis-server` does it: a config file, then the
 * command-line options turned into config lines and appended after it.
 *
 * Parsing happens in three steps so that plugins named by `plugin` lines can
 * declare their own directives before any value is checked:
 *
 * 1. {@link parseConf} splits text into {@link ConfLine}s (quotes, comments,
 *    `include`), recording a syntax error as a line that carries it;
 * 2. {@link pluginLines} lists the `plugin` modules to import;
 * 3. {@link applyConf} validates every line in order against a
 *    {@link ConfigStore} that knows every directive, and returns the values.
 *
 * Errors are {@link ConfFileError}s; {@link formatConfError} prints them in
 * Redis's words (`*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***`).
 *
 * Values are byte strings (one char code per byte), like every value that
 * arrives over the wire through CONFIG SET.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "node:path";
import { ConfigError, type ConfigStore, splitArgs } from "./config.ts";
import { globMatch } from "./glob.ts";
import { bytesToString, utf8ToByteString } from "./resp/bytes.ts";
import { REDIS_VERSION } from "./version.ts";

/** One directive line of a configuration. */
export interface ConfLine {
  /** The arguments, the directive name first (lower case). */
  args: string[];
  /** The 1-based line number in its source, as Redis counts it. */
  line: number;
  /** The line as written (trimmed), for error messages. */
  text: string;
  /** The directory that relative paths on this line resolve against. */
  baseDir: string;
  /** Set when the line cannot be used: parsing stops after it. */
  error?: ConfFileError;
}

/**
 * A fatal configuration error. With `at` it is reported as Redis reports a
 * bad line; without it (`kind: "open"`) as a log line, as Redis reports a
 * file it cannot open.
 */
export class ConfFileError extends Error {
  constructor(
    /** Redis's reason text (`Bad directive or wrong number of arguments`). */
    readonly reason: string,
    /** The offending line, when there is one. */
    readonly at?: { line: number; text: string },
    /** `line` for a bad line, `open` for a file that cannot be read. */
    readonly kind: "line" | "open" = "line",
  ) {
    super(at ? `${reason} (line ${at.line}: ${at.text})` : reason);
    this.name = "ConfFileError";
  }
}

/** The error Redis gives for an unknown directive or a bad argument count. */
export const BAD_DIRECTIVE = "Bad directive or wrong number of arguments";

/**
 * Formats an error as `redis-server` prints it to stderr before exiting 1.
 *
 * @example
 * ```ts
 * import { ConfFileError, formatConfError } from "./conf_file.ts";
 * const e = new ConfFileError("Bad directive or wrong number of arguments", {
 *   line: 2,
 *   text: "foo bar",
 * });
 * console.log(formatConfError(e));
 * ```
 */
export function formatConfError(e: ConfFileError): string {
  let s = `\n*** FATAL CONFIG FILE ERROR (Redis ${REDIS_VERSION}) ***\n`;
  if (e.at) {
    s += `Reading the configuration file, at line ${e.at.line}\n>>> '${e.at.text}'\n`;
  }
  return s + `${e.reason}\n`;
}

/** Options for {@link parseConf}. */
export interface ParseOptions {
  /** Where relative `include` and `plugin` paths resolve. Default: the cwd. */
  baseDir?: string;
  /** Added to line numbers (command-line options follow the file's lines). */
  lineOffset?: number;
  /** Reads an included file as a byte string; throws like Deno.readFileSync. */
  readFile?: (path: string) => string;
  /** Lists a directory (for `include` globs). */
  readDir?: (path: string) => string[];
  /** Absolute paths of the files being included, outermost first. */
  includeStack?: readonly string[];
}

/** Reads a file as a byte string. */
export function readConfFile(path: string): string {
  const b = Deno.readFileSync(path);
  return bytesToString(b, 0, b.length);
}

function listDir(path: string): string[] {
  return [...Deno.readDirSync(path)].map((e) => e.name);
}

/** Redis's reason for a file it cannot open (`No such file or directory`). */
export function osReason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "Is a directory";
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\(os error \d+\).*$/s, "");
}

const TRIM = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/**
 * Splits configuration text into directive lines. Blank lines and lines
 * starting with `#` are skipped; quoting follows `sdssplitargs`; `include`
 * lines are replaced by the included file's lines (numbered within that
 * file, as Redis numbers them). A line that cannot be parsed ends the list,
 * carrying its error.
 *
 * @example
 * ```ts
 * import { parseConf } from "./conf_file.ts";
 * const lines = parseConf('port 7000\n# a comment\nsave "900 1"\n');
 * console.log(lines.map((l) => l.args)); // [["port", "7000"], ["save", "900 1"]]
 * ```
 */
export function parseConf(text: string, opts: ParseOptions = {}): ConfLine[] {
  const baseDir = opts.baseDir ?? Deno.cwd();
  const offset = opts.lineOffset ?? 0;
  const stack = opts.includeStack ?? [];
  const out: ConfLine[] = [];
  const rows = text.split("\n");
  for (let i = 0; i < rows.length; i++) {
    const t = rows[i]!.replace(TRIM, "");
    if (t === "" || t[0] === "#") continue;
    const line = offset + i + 1;
    const at = { line, text: t };
    const args = splitArgs(t);
    if (args === undefined) {
      out.push({
        args: [],
        line,
        text: t,
        baseDir,
        error: new ConfFileError("Unbalanced quotes in configuration line", at),
      });
      return out;
    }
    if (args.length === 0) continue;
    args[0] = args[0]!.toLowerCase();
    if (args[0] !== "include") {
      out.push({ args, line, text: t, baseDir });
      continue;
    }
    if (args.length !== 2) {
      out.push({ args, line, text: t, baseDir, error: new ConfFileError(BAD_DIRECTIVE, at) });
      return out;
    }
    for (const path of includePaths(args[1]!, baseDir, opts)) {
      const fail = (e: ConfFileError): ConfLine[] => {
        out.push({ args, line, text: t, baseDir, error: e });
        return out;
      };
      if (stack.includes(path)) {
        return fail(new ConfFileError(`Include loop: '${path}' includes itself`, at));
      }
      let content: string;
      try {
        content = (opts.readFile ?? readConfFile)(path);
      } catch (e) {
        return fail(
          new ConfFileError(
            `Fatal error, can't open config file '${path}': ${osReason(e)}`,
            undefined,
            "open",
          ),
        );
      }
      const sub = parseConf(content, {
        ...opts,
        baseDir: dirname(path),
        lineOffset: 0,
        includeStack: [...stack, path],
      });
      out.push(...sub);
      if (sub.at(-1)?.error) return out;
    }
  }
  return out;
}

/** The files an `include` names: one path, or a glob in its last part. */
function includePaths(spec: string, baseDir: string, opts: ParseOptions): string[] {
  const path = isAbsolute(spec) ? spec : resolve(baseDir, spec);
  const dir = dirname(path);
  const base = path.slice(dir.length + (dir.endsWith("/") ? 0 : 1));
  if (!/[*?[]/.test(base)) return [path];
  let names: string[];
  try {
    names = (opts.readDir ?? listDir)(dir);
  } catch {
    return [];
  }
  // Sorted, as glob(3) returns them; a pattern that matches nothing is fine.
  return names.filter((n) => globMatch(base, n)).sort().map((n) => join(dir, n));
}

/** What the command line asks for. */
export type CommandLine =
  | { kind: "version" }
  | { kind: "help" }
  | {
    kind: "run";
    /** The config file, when the first argument is not an option. */
    file: string | undefined;
    /** True when `-` asks for config text on stdin. */
    stdin: boolean;
    /** The options as config text (`port "7000"` lines), Redis's way. */
    options: string;
  };

/**
 * Parses `redis-server`-style arguments: `[config-file] [--name value...]
 * [-]`. Every `--name` starts a directive; the values are every argument
 * up to the next `--` argument (the first one is always a value, so
 * `--requirepass --x` works), and the options become config text appended
 * after the file, exactly as `redis-server` builds it. A `--save` with no
 * value means `save ""`.
 *
 * Arguments are JavaScript strings (as `Deno.args` gives them); the text
 * returned is a byte string of their UTF-8.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./conf_file.ts";
 * const cl = parseCommandLine(["redis.conf", "--port", "7000", "--save", "900", "1"]);
 * console.log(cl.kind === "run" && cl.options); // 'port "7000" \nsave "900" "1" '
 * ```
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const args = argv.map(utf8ToByteString);
  const first = args[0];
  if (first === "-v" || first === "--version") return { kind: "version" };
  if (first === "-h" || first === "--help") return { kind: "help" };
  let j = 0;
  let file: string | undefined;
  if (first !== undefined && first[0] !== "-") {
    file = first;
    j = 1;
  }
  let stdin = false;
  let options = "";
  let valueDue = false;
  for (; j < args.length; j++) {
    const a = args[j]!;
    if (a === "-" && (j === 0 || j === args.length - 1)) {
      stdin = true;
    } else if (!valueDue && a.startsWith("--")) {
      if (options !== "") options += "\n";
      options += a.slice(2) + " ";
      const parts = splitArgs(a);
      if (parts !== undefined && parts.length === 1) {
        valueDue = true;
        if (a.toLowerCase() === "--save") {
          const next = args[j + 1];
          if (next === undefined || next.startsWith("--")) {
            options += '""';
            valueDue = false;
          }
        }
      }
    } else {
      options += reprArg(a) + " ";
      valueDue = false;
    }
  }
  return { kind: "run", file, stdin, options };
}

/**
 * Quotes a byte string as `sdscatrepr` does: `"..."` with `\"`, `\\`, `\n`,
 * `\r`, `\t`, `\a`, `\b` and `\xHH` for other unprintable bytes.
 *
 * @example
 * ```ts
 * import { reprArg } from "./conf_file.ts";
 * console.log(reprArg('a"b')); // "a\"b"
 * ```
 */
export function reprArg(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out + '"';
}

/**
 * The number of lines Redis counts in `text`: command-line options are
 * numbered after them (the options follow a newline added after the file).
 */
export function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** A module a `plugin` line names. */
export interface PluginRef {
  /** The specifier as written (a path or a URL). */
  spec: string;
  /** The directory a relative path resolves against. */
  baseDir: string;
  /** The line that names it, for error messages. */
  line: ConfLine;
}

/**
 * The modules named by `plugin` lines, in order, up to the first line with
 * an error. One line may name several.
 */
export function pluginLines(lines: readonly ConfLine[]): PluginRef[] {
  const out: PluginRef[] = [];
  for (const l of lines) {
    if (l.error) break;
    if (l.args[0] !== "plugin") continue;
    for (const spec of l.args.slice(1)) {
      if (spec !== "") out.push({ spec, baseDir: l.baseDir, line: l });
    }
  }
  return out;
}

/**
 * Redis's directives that take several arguments (`save 900 1`). The others
 * take exactly one, as in Redis (`wrong number of arguments`).
 */
const MULTI_ARG = new Set([
  "save",
  "bind",
  "client-output-buffer-limit",
  "oom-score-adj-values",
  "replicaof",
  "slaveof",
  "latency-tracking-info-percentiles",
  "shutdown-on-sigterm",
  "shutdown-on-sigint",
  "plugin",
  "user",
]);

/** Directives whose repeated lines add up instead of replacing each other. */
const ACCUMULATE = new Set(["save", "plugin"]);

/**
 * Directives whose repeated lines add up as lines (`user`): the value holds
 * one line per directive, its arguments quoted by {@link reprArg}.
 */
const ACCUMULATE_LINES = new Set(["user"]);

/** Directives Redis 7.0 ignores silently (deprecated). */
const DEPRECATED = new Set([
  "list-max-ziplist-entries",
  "list-max-ziplist-value",
  "lua-replicate-commands",
]);

/**
 * Redis 7.0's directives. One that no plugin declares is ignored with a
 * warning, so a stock redis.conf loads. The security-relevant ones
 * (`requirepass`, `masterauth`, `masteruser`, `aclfile`, `unixsocket`,
 * `tls-*`) are left out on purpose: ignoring them would start a server less
 * protected than its configuration says, so they stay fatal until a plugin
 * declares them.
 */
const REDIS_DIRECTIVES = new Set(
  (
    "acl-pubsub-default acllog-max-len active-defrag-cycle-max active-defrag-cycle-min " +
    "active-defrag-ignore-bytes active-defrag-max-scan-fields active-defrag-threshold-lower " +
    "active-defrag-threshold-upper active-expire-effort activedefrag activerehashing " +
    "always-show-logo aof-disable-auto-gc aof-load-truncated aof-rewrite-incremental-fsync " +
    "aof-timestamp-enabled aof-use-rdb-preamble aof_rewrite_cpulist appenddirname " +
    "appendfilename appendfsync appendonly auto-aof-rewrite-min-size " +
    "auto-aof-rewrite-percentage bgsave_cpulist bind bind-source-addr bio_cpulist " +
    "busy-reply-threshold client-output-buffer-limit client-query-buffer-limit " +
    "cluster-allow-pubsubshard-when-down cluster-allow-reads-when-down " +
    "cluster-allow-replica-migration cluster-announce-bus-port cluster-announce-hostname " +
    "cluster-announce-ip cluster-announce-port cluster-announce-tls-port cluster-config-file " +
    "cluster-link-sendbuf-limit cluster-migration-barrier cluster-node-timeout cluster-port " +
    "cluster-preferred-endpoint-type cluster-replica-no-failover " +
    "cluster-replica-validity-factor cluster-require-full-coverage cluster-slave-no-failover " +
    "cluster-slave-validity-factor crash-log-enabled crash-memcheck-enabled daemonize " +
    "databases dbfilename dir disable-thp dynamic-hz enable-debug-command " +
    "enable-module-command enable-protected-configs hash-max-listpack-entries " +
    "hash-max-listpack-value hash-max-ziplist-entries hash-max-ziplist-value " +
    "hll-sparse-max-bytes hz ignore-warnings io-threads io-threads-do-reads " +
    "jemalloc-bg-thread latency-monitor-threshold latency-tracking " +
    "latency-tracking-info-percentiles lazyfree-lazy-eviction lazyfree-lazy-expire " +
    "lazyfree-lazy-server-del lazyfree-lazy-user-del lazyfree-lazy-user-flush lfu-decay-time " +
    "lfu-log-factor list-compress-depth list-max-listpack-size list-max-ziplist-size logfile " +
    "loglevel lua-time-limit maxclients maxmemory maxmemory-clients " +
    "maxmemory-eviction-tenacity maxmemory-policy maxmemory-samples min-replicas-max-lag " +
    "min-replicas-to-write min-slaves-max-lag min-slaves-to-write no-appendfsync-on-rewrite " +
    "notify-keyspace-events oom-score-adj oom-score-adj-values pidfile port " +
    "proc-title-template propagation-error-behavior proto-max-bulk-len rdb-del-sync-files " +
    "rdb-save-incremental-fsync rdbchecksum rdbcompression repl-backlog-size " +
    "repl-backlog-ttl repl-disable-tcp-nodelay repl-diskless-load repl-diskless-sync " +
    "repl-diskless-sync-delay repl-diskless-sync-max-replicas repl-ping-replica-period " +
    "repl-ping-slave-period repl-timeout replica-announce-ip replica-announce-port " +
    "replica-announced replica-ignore-disk-write-errors replica-ignore-maxmemory " +
    "replica-lazy-flush replica-priority replica-read-only replica-serve-stale-data replicaof " +
    "sanitize-dump-payload save server_cpulist set-max-intset-entries set-proc-title " +
    "shutdown-on-sigint shutdown-on-sigterm shutdown-timeout slave-announce-ip " +
    "slave-announce-port slave-ignore-maxmemory slave-lazy-flush slave-priority " +
    "slave-read-only slave-serve-stale-data slaveof slowlog-log-slower-than slowlog-max-len " +
    "socket-mark-id stop-writes-on-bgsave-error stream-node-max-bytes " +
    "stream-node-max-entries supervised syslog-enabled syslog-facility syslog-ident " +
    "tcp-backlog tcp-keepalive timeout tracking-table-max-keys unixsocketperm " +
    "zset-max-listpack-entries zset-max-listpack-value zset-max-ziplist-entries " +
    "zset-max-ziplist-value"
  ).split(" "),
);

/** The result of {@link applyConf}. */
export interface AppliedConf {
  /** Canonical directive name -> value, in the order first set. */
  config: Record<string, string>;
  /** Redis directives no plugin declares, ignored: one message each. */
  warnings: string[];
}

/**
 * Validates the lines in order against `store` (which must already declare
 * every directive: the core's and every plugin's) and returns the values to
 * start a server with. Repeated `save` lines add up (`save ""` clears), as
 * in a Redis config file, and so do `plugin` lines; other directives keep
 * their last value. Throws a {@link ConfFileError} for the first bad line.
 *
 * @example
 * ```ts
 * import { ConfigStore } from "./config.ts";
 * import { applyConf, parseConf } from "./conf_file.ts";
 * const store = new ConfigStore();
 * store.declare({ name: "hz", type: "int", default: "10", min: 1, max: 500 });
 * const { config } = applyConf(parseConf("hz 20"), store);
 * console.log(config); // { hz: "20" }
 * ```
 */
export function applyConf(lines: readonly ConfLine[], store: ConfigStore): AppliedConf {
  const config: Record<string, string> = {};
  const warnings: string[] = [];
  const lists = new Map<string, string[]>();
  for (const l of lines) {
    if (l.error) throw l.error;
    const at = { line: l.line, text: l.text };
    const name = l.args[0]!;
    const d = store.directive(name);
    if (!d) {
      if (DEPRECATED.has(name)) continue;
      if (REDIS_DIRECTIVES.has(name)) {
        warnings.push(`Ignoring unsupported directive '${name}' (config line ${l.line})`);
        continue;
      }
      throw new ConfFileError(BAD_DIRECTIVE, at);
    }
    let values = l.args.slice(1);
    const multi = MULTI_ARG.has(name) || MULTI_ARG.has(d.name);
    if (!multi && values.length !== 1) {
      throw new ConfFileError("wrong number of arguments", at);
    }
    if (multi && values.length === 1 && values[0] !== "") {
      // One quoted argument holds them all (`--save "900 1"`).
      const split = splitArgs(values[0]!);
      if (split === undefined) {
        throw new ConfFileError("Unbalanced quotes in configuration line", at);
      }
      values = split;
    }
    let value: string;
    if (ACCUMULATE_LINES.has(d.name)) {
      const list = lists.get(d.name) ?? [];
      lists.set(d.name, list);
      list.push(values.map(reprArg).join(" "));
      value = list.join("\n");
    } else if (ACCUMULATE.has(d.name)) {
      let list = lists.get(d.name);
      if (list === undefined || (values.length === 1 && values[0] === "")) {
        // The first line replaces the default; `save ""` clears.
        list = [];
        lists.set(d.name, list);
      }
      for (const v of values) if (v !== "") list.push(v);
      value = list.join(" ");
    } else {
      value = values.join(" ");
    }
    try {
      store.set(d.name, value, true);
    } catch (e) {
      if (e instanceof ConfigError || e instanceof Error) {
        throw new ConfFileError(e.message, at);
      }
      throw e;
    }
    config[d.name] = store.get(d.name);
  }
  return { config, warnings };
}
