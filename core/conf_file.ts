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

import { dirname, isAbsolute, join, resolve } from "./path.ts";
import {
  type ConfigDirective,
  ConfigError,
  type ConfigStore,
  formatMemory,
  type RewriteLine,
  splitArgs,
} from "./config.ts";
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
  if (e instanceof Deno.errors.NotADirectory) return "Not a directory";
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
 * Directives that take several arguments on a line (`save 900 1`) besides
 * those declared `multiArg`: the ones plugins declare without saying so.
 * The others take exactly one, as in Redis (`wrong number of arguments`).
 */
const MULTI_ARG = new Set([
  "save",
  "replicaof",
  "slaveof",
  "latency-tracking-info-percentiles",
  "shutdown-on-sigterm",
  "shutdown-on-sigint",
  "user",
]);

/** Directives whose repeated lines add up instead of replacing each other. */
const ACCUMULATE = new Set(["save", "plugin"]);

/**
 * Directives whose repeated lines add up as lines (`user`): the value holds
 * one line per directive, its arguments quoted by {@link reprArg}.
 */
const ACCUMULATE_LINES = new Set(["user"]);

/** Directives Redis 7.0 still accepts and ignores (deprecated), with their argument count. */
const DEPRECATED = new Set([
  "list-max-ziplist-entries",
  "list-max-ziplist-value",
  "lua-replicate-commands",
]);

/** A `rename-command` line: a command to rename (or remove, `to` empty). */
export interface CommandRename {
  /** The command's name, lower case. */
  from: string;
  /** Its new name; empty removes the command. */
  to: string;
  /** The line, for errors (`No such command in rename-command`). */
  at: { line: number; text: string };
}

/** The result of {@link applyConf}. */
export interface AppliedConf {
  /** Canonical directive name -> value, in the order first set. */
  config: Record<string, string>;
  /** `rename-command` lines, in order, for the server's command table. */
  renames: CommandRename[];
}

/**
 * Validates the lines in order against `store` (which must already declare
 * every directive: the core's and every plugin's) and returns the values to
 * start a server with. Repeated `save` lines add up (`save ""` clears), as
 * in a Redis config file, and so do `plugin` lines; other directives keep
 * their last value. Throws a {@link ConfFileError} for the first bad line:
 * a name no one declares stops start-up, as in Redis.
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
  const renames: CommandRename[] = [];
  const lists = new Map<string, string[]>();
  for (const l of lines) {
    if (l.error) throw l.error;
    const at = { line: l.line, text: l.text };
    const name = l.args[0]!;
    const d = store.directive(name);
    if (!d) {
      if (DEPRECATED.has(name) && l.args.length === 2) continue;
      if (name === "rename-command" && l.args.length === 3) {
        renames.push({ from: l.args[1]!.toLowerCase(), to: l.args[2]!, at });
        continue;
      }
      if (name === "loadmodule" && l.args.length >= 2) {
        throw new ConfFileError(
          "Redis modules cannot be loaded: Respite takes plugins instead (plugin <path>)",
          at,
        );
      }
      throw new ConfFileError(BAD_DIRECTIVE, at);
    }
    let values = l.args.slice(1);
    const multi = d.multiArg === true || MULTI_ARG.has(name) || MULTI_ARG.has(d.name);
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
  // Redis's sanity check once every line is read.
  if (
    store.directive("cluster-enabled") !== undefined && store.bool("cluster-enabled") &&
    store.directive("replicaof") !== undefined && store.get("replicaof") !== ""
  ) {
    throw new ConfFileError("replicaof directive not allowed in cluster mode");
  }
  return { config, renames };
}

/** The comment CONFIG REWRITE puts before the lines it appends. */
export const REWRITE_SIGNATURE = "# Generated by CONFIG REWRITE";

/**
 * The lines CONFIG REWRITE writes for a directive's value, by its type as
 * Redis's `rewrite` functions do (a directive may give its own). None means
 * the directive is unset: its lines leave the file.
 *
 * @example
 * ```ts
 * import { rewriteLinesFor } from "./conf_file.ts";
 * const d = { name: "maxmemory", type: "memory", default: "0" } as const;
 * console.log(rewriteLinesFor(d, "1073741824", "0")); // [{ line: "maxmemory 1gb", force: true }]
 * ```
 */
export function rewriteLinesFor(
  d: ConfigDirective,
  value: string,
  defaultValue: string,
): RewriteLine[] {
  if (d.rewrite) return [...d.rewrite(value, d.name)];
  const force = value !== defaultValue;
  switch (d.type) {
    case "memory":
      return [{
        line: `${d.name} ${value.endsWith("%") ? value : formatMemory(BigInt(value))}`,
        force,
      }];
    case "string":
      if (d.emptyIsNull && value === "") return [];
      return [{ line: `${d.name} ${reprArg(value)}`, force }];
    default:
      return [{ line: `${d.name} ${value}`, force }];
  }
}

/** What {@link rewriteConf} writes besides the directives' values. */
export interface RewriteExtras {
  /**
   * The users to write as `user` lines (ACL LIST's lines), or undefined to
   * write none (users come from an `aclfile`).
   */
  users?: readonly string[];
}

/**
 * CONFIG REWRITE's new file, as Redis's `rewriteConfig` makes it from the
 * old one (`undefined` when there is none): comments, blank lines and the
 * order are kept; each directive's lines are replaced in place by its
 * current value (an alias's lines by its name's); a value not
 * at its default and not in the file is appended under
 * {@link REWRITE_SIGNATURE}; lines a directive no longer needs are blanked
 * (an unset one, the extra `save` lines) and runs of blank lines collapse
 * into one. Lines of other directives (`include`, `rename-command`) stay;
 * an unparsable one becomes a `# ??? ` comment.
 *
 * @example
 * ```ts
 * import { ConfigStore } from "./config.ts";
 * import { rewriteConf } from "./conf_file.ts";
 * const store = new ConfigStore();
 * store.declare({ name: "hz", type: "int", default: "10" });
 * store.declare({ name: "timeout", type: "int", default: "0" });
 * store.set("hz", "20");
 * store.set("timeout", "5");
 * console.log(rewriteConf("# mine\nhz 10\n", store));
 * // "# mine\nhz 20\n\n# Generated by CONFIG REWRITE\ntimeout 5\n"
 * ```
 */
export function rewriteConf(
  old: string | undefined,
  store: ConfigStore,
  extras: RewriteExtras = {},
): string {
  const lines: string[] = [];
  const optionLines = new Map<string, number[]>();
  let needsSignature = true;
  if (old !== undefined && old !== "") {
    for (const raw of old.split("\n")) {
      const line = raw.replace(REWRITE_TRIM, "");
      if (line === "" || line[0] === "#") {
        if (needsSignature && line === REWRITE_SIGNATURE) needsSignature = false;
        lines.push(line);
        continue;
      }
      const argv = splitArgs(line);
      if (argv === undefined || argv.length === 0) {
        lines.push("# ??? " + line);
        continue;
      }
      lines.push(line);
      // An alias (`slaveof`, `hash-max-ziplist-entries`) stands for its name.
      const name = argv[0]!.toLowerCase().replace("slave", "replica");
      const option = store.directive(name)?.name ?? name;
      const at = optionLines.get(option);
      if (at === undefined) optionLines.set(option, [lines.length - 1]);
      else at.push(lines.length - 1);
    }
  }
  const processed = new Set<string>();
  const rewrite = (option: string, line: string, force: boolean) => {
    processed.add(option);
    const at = optionLines.get(option);
    if (at === undefined) {
      if (!force) return;
      if (needsSignature) {
        lines.push(REWRITE_SIGNATURE);
        needsSignature = false;
      }
      lines.push(line);
      return;
    }
    lines[at.shift()!] = line;
    if (at.length === 0) optionLines.delete(option);
  };
  for (const d of store.directives()) {
    if (d.fileOnly) continue;
    processed.add(d.name);
    const lines = rewriteLinesFor(d, store.get(d.name), store.defaultOf(d.name));
    for (const { line, force } of lines) rewrite(d.name, line, force);
  }
  // Then what is no parameter: the users, the plugins (Redis's modules).
  for (const u of extras.users ?? []) rewrite("user", u, true);
  // With an aclfile the users live there: the file's `user` lines go.
  processed.add("user");
  for (const d of store.directives()) {
    if (!d.fileOnly || d.rewrite === undefined) continue;
    for (const { line } of d.rewrite(store.get(d.name), d.name)) rewrite(d.name, line, true);
  }
  // Lines no value took any more (a second `save`, an unset directive).
  for (const [option, at] of optionLines) {
    if (!processed.has(option)) continue;
    for (const i of at) lines[i] = "";
  }
  let out = "";
  let wasEmpty = false;
  for (const l of lines) {
    if (l === "") {
      if (wasEmpty) continue;
      wasEmpty = true;
    } else {
      wasEmpty = false;
    }
    out += l + "\n";
  }
  return out;
}

/** What Redis's rewrite trims from each line of the old file. */
const REWRITE_TRIM = /^[\r\n\t ]+|[\r\n\t ]+$/g;
