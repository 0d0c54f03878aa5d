/**
 * Unit tests of the redis.conf parser and the command-line conversion.
 */

import { join } from "node:path";
import { ConfigStore } from "../../core/config.ts";
import { coreDirectives } from "../../core/server_config.ts";
import {
  applyConf,
  type ConfFileError,
  type ConfLine,
  countLines,
  formatConfError,
  parseCommandLine,
  parseConf,
  pluginLines,
  reprArg,
} from "../../core/conf_file.ts";
import { assertEquals, assertOk, assertThrows } from "../_assert.ts";

/** A store with the core's directives and a plain `save` (tests own it). */
function store(): ConfigStore {
  const s = new ConfigStore();
  for (const d of coreDirectives) s.declare(d);
  if (!s.directive("save")) s.declare({ name: "save", type: "string", default: "3600 1" });
  s.declare({ name: "replicaof", type: "string", default: "" });
  return s;
}

/** The error of the line that has one. */
function errorOf(lines: ConfLine[]): ConfFileError | undefined {
  return lines.find((l) => l.error)?.error;
}

function applyErr(text: string): string {
  try {
    applyConf(parseConf(text, { baseDir: "/" }), store());
  } catch (e) {
    return formatConfError(e as ConfFileError);
  }
  throw new Error("no error");
}

const fatal = (line: number, text: string, reason: string) =>
  `\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line ${line}\n>>> '${text}'\n${reason}\n`;

Deno.test("conf: comments, blank lines, quotes, case-insensitive names", () => {
  const lines = parseConf(
    [
      "# a comment",
      "",
      "   ",
      "PORT 7000",
      '  save "900 1"  ',
      "logfile 'it\\'s.log'",
      'requirepass "a\\x41\\n"',
      "\tbind 127.0.0.1 ::1\r",
      "# port 1",
    ].join("\n"),
    { baseDir: "/etc" },
  );
  assertEquals(lines.map((l) => [l.line, l.args]), [
    [4, ["port", "7000"]],
    [5, ["save", "900 1"]],
    [6, ["logfile", "it's.log"]],
    [7, ["requirepass", "aA\n"]],
    [8, ["bind", "127.0.0.1", "::1"]],
  ]);
  assertEquals(lines[1]!.text, 'save "900 1"');
  assertEquals(lines[0]!.baseDir, "/etc");
});

Deno.test("conf: unbalanced quotes stop parsing with Redis's message", () => {
  const lines = parseConf('port 7000\nfoo "bar\nhz 5\n', { baseDir: "/" });
  assertEquals(lines.length, 2);
  const e = errorOf(lines)!;
  assertEquals(formatConfError(e), fatal(2, 'foo "bar', "Unbalanced quotes in configuration line"));
  // A closing quote must be followed by a space.
  assertOk(errorOf(parseConf('port "7000"x', { baseDir: "/" })));
});

Deno.test("conf: include reads the file relative to the including file, with its own line numbers", () => {
  const files: Record<string, string> = {
    "/etc/r/main.conf": "hz 5\ninclude sub/extra.conf\ntimeout 3\n",
    "/etc/r/sub/extra.conf": "\n\ntimeout 9\ninclude ../last.conf\n",
    "/etc/r/last.conf": "maxclients 10\n",
  };
  const readFile = (p: string) => {
    const t = files[p];
    if (t === undefined) throw new Deno.errors.NotFound(`No such file or directory (os error 2)`);
    return t;
  };
  const lines = parseConf(files["/etc/r/main.conf"]!, { baseDir: "/etc/r", readFile });
  assertEquals(lines.map((l) => [l.line, l.args.join(" "), l.baseDir]), [
    [1, "hz 5", "/etc/r"],
    [3, "timeout 9", "/etc/r/sub"],
    [1, "maxclients 10", "/etc/r"],
    [3, "timeout 3", "/etc/r"],
  ]);
  const { config } = applyConf(lines, store());
  assertEquals(config, { hz: "5", timeout: "3", maxclients: "10" });

  // A missing include is reported as Redis reports it (a log line).
  const missing = errorOf(parseConf("include nope.conf", { baseDir: "/etc/r", readFile }))!;
  assertEquals(missing.kind, "open");
  assertEquals(
    missing.reason,
    "Fatal error, can't open config file '/etc/r/nope.conf': No such file or directory",
  );
  // An error inside an included file carries that file's line number.
  files["/etc/r/bad.conf"] = "hz 1\n\nbogus\n";
  const bad = parseConf("hz 2\ninclude bad.conf\nhz 3", { baseDir: "/etc/r", readFile });
  assertThrows(
    () => applyConf(bad, store()),
    /Bad directive or wrong number of arguments \(line 3: bogus\)/,
  );
  // `include` needs exactly one argument.
  assertEquals(
    formatConfError(errorOf(parseConf("include", { baseDir: "/" }))!),
    fatal(1, "include", "Bad directive or wrong number of arguments"),
  );
});

Deno.test("conf: include loops are caught", () => {
  const files: Record<string, string> = {
    "/c/a.conf": "hz 5\ninclude b.conf\n",
    "/c/b.conf": "include a.conf\n",
  };
  const lines = parseConf(files["/c/a.conf"]!, {
    baseDir: "/c",
    readFile: (p) => files[p]!,
    includeStack: ["/c/a.conf"],
  });
  const e = errorOf(lines)!;
  assertEquals(e.reason, "Include loop: '/c/a.conf' includes itself");
  assertEquals(e.at, { line: 1, text: "include a.conf" });
});

Deno.test("conf: include globs on real files, sorted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "respite-conf-" });
  try {
    await Deno.writeTextFile(join(dir, "b.conf"), "hz 7\n");
    await Deno.writeTextFile(join(dir, "a.conf"), "hz 6\ntimeout 2\n");
    await Deno.writeTextFile(join(dir, "a.txt"), "bogus\n");
    const lines = parseConf("include *.conf\n", { baseDir: dir });
    assertEquals(lines.map((l) => l.args.join(" ")), ["hz 6", "timeout 2", "hz 7"]);
    assertEquals(parseConf(`include ${dir}/none-*.conf`), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("conf: errors name the line and give Redis's reason", () => {
  assertEquals(
    applyErr("port 7000\nfoo bar"),
    fatal(2, "foo bar", "Bad directive or wrong number of arguments"),
  );
  assertEquals(applyErr("hz"), fatal(1, "hz", "wrong number of arguments"));
  assertEquals(applyErr("hz 1 2"), fatal(1, "hz 1 2", "wrong number of arguments"));
  assertEquals(
    applyErr("\n\nport abc"),
    fatal(3, "port abc", "argument couldn't be parsed into an integer"),
  );
  assertEquals(
    applyErr("hz -1"),
    fatal(1, "hz -1", "argument must be between 0 and 2147483647 inclusive"),
  );
  assertEquals(
    applyErr("maxclients -1"),
    fatal(1, "maxclients -1", "argument must be between 1 and 4294967295 inclusive"),
  );
  assertEquals(
    applyErr("dir /etc/hostname"),
    fatal(1, "dir /etc/hostname", "Not a directory"),
  );
  assertEquals(
    applyErr("dir /nonexistent/x"),
    fatal(1, "dir /nonexistent/x", "No such file or directory"),
  );
  assertEquals(
    applyErr("protected-mode maybe"),
    fatal(1, "protected-mode maybe", "argument must be 'yes' or 'no'"),
  );
  assertEquals(
    applyErr("maxmemory 1zb"),
    fatal(1, "maxmemory 1zb", "argument must be a memory value"),
  );
  // A directive no plugin of this store declares is refused.
  assertEquals(
    applyErr("requirepass secret"),
    fatal(1, "requirepass secret", "Bad directive or wrong number of arguments"),
  );
});

Deno.test("conf: multi-argument directives, accumulating save and plugin lines", () => {
  const s = store();
  const { config } = applyConf(
    parseConf(
      [
        "bind 127.0.0.1   -::1",
        'save "900 1"',
        "save 300 10",
        "replicaof 10.0.0.1 6380",
        "plugin a.ts b.ts",
        "plugin c.ts",
        "MAXMEMORY 1mb",
      ].join("\n"),
      { baseDir: "/" },
    ),
    s,
  );
  assertEquals(config, {
    bind: "127.0.0.1 -::1",
    save: "900 1 300 10",
    replicaof: "10.0.0.1 6380",
    plugin: "a.ts b.ts c.ts",
    maxmemory: "1048576",
  });
  assertEquals(s.get("save"), "900 1 300 10");
  // `save ""` clears what came before; later lines add again.
  const s2 = store();
  assertEquals(applyConf(parseConf('save 1 1\nsave ""\nsave 5 5', { baseDir: "/" }), s2).config, {
    save: "5 5",
  });
  assertEquals(applyConf(parseConf('save 1 1\nsave ""', { baseDir: "/" }), store()).config, {
    save: "",
  });
  // Single-argument directives keep the last value.
  assertEquals(applyConf(parseConf("hz 5\nhz 6", { baseDir: "/" }), store()).config, { hz: "6" });
});

Deno.test("conf: deprecated directives are skipped, undeclared ones stop start-up", () => {
  const s = new ConfigStore();
  for (const d of coreDirectives) s.declare(d);
  const { config, renames } = applyConf(
    parseConf(
      'lua-replicate-commands yes\nlist-max-ziplist-entries 5\nhz 12\nrename-command FLUSHALL ""',
      { baseDir: "/" },
    ),
    s,
  );
  assertEquals(config, { hz: "12" });
  assertEquals(renames, [{
    from: "flushall",
    to: "",
    at: { line: 4, text: 'rename-command FLUSHALL ""' },
  }]);
  // A Redis directive no plugin declares is an error, as an unknown one is.
  assertEquals(
    applyErr("hz 5\nstop-writes-on-bgsave-error yes"),
    fatal(2, "stop-writes-on-bgsave-error yes", "Bad directive or wrong number of arguments"),
  );
  // A deprecated one with the wrong number of arguments too, as in Redis.
  assertEquals(
    applyErr("lua-replicate-commands"),
    fatal(1, "lua-replicate-commands", "Bad directive or wrong number of arguments"),
  );
  assertEquals(
    applyErr("loadmodule /x.so"),
    fatal(
      1,
      "loadmodule /x.so",
      "Redis modules cannot be loaded: Respite takes plugins instead (plugin <path>)",
    ),
  );
});

Deno.test("conf: plugin lines are listed in order, up to the first error", () => {
  const lines = parseConf('plugin ./a.ts\nhz 5\nplugin b.ts "c d.ts"\nfoo "\nplugin e.ts', {
    baseDir: "/p",
  });
  assertEquals(pluginLines(lines).map((r) => [r.spec, r.baseDir, r.line.line]), [
    ["./a.ts", "/p", 1],
    ["b.ts", "/p", 3],
    ["c d.ts", "/p", 3],
  ]);
});

Deno.test("cmdline: options become config text as redis-server builds it", () => {
  const run = (args: string[]) => {
    const r = parseCommandLine(args);
    if (r.kind !== "run") throw new Error(r.kind);
    return r;
  };
  assertEquals(run(["--port", "7000"]), {
    kind: "run",
    file: undefined,
    stdin: false,
    options: 'port "7000" ',
  });
  assertEquals(
    run(["/etc/redis.conf", "--save", "900", "1", "--save", "300 10"]).options,
    'save "900" "1" \nsave "300 10" ',
  );
  assertEquals(run(["/etc/redis.conf"]).file, "/etc/redis.conf");
  // `--save` without a value means `save ""`, at the end or before an option.
  assertEquals(run(["--save"]).options, 'save ""');
  assertEquals(run(["--save", "--port", "1"]).options, 'save ""\nport "1" ');
  assertEquals(run(["--save", ""]).options, 'save "" ');
  // The first argument after a name is always a value, even with `--`.
  assertEquals(
    run(["--requirepass", "--x", "--port", "1"]).options,
    'requirepass "--x" \nport "1" ',
  );
  // "--name value" as one argument.
  assertEquals(run(["--port 7000", "--hz", "5"]).options, 'port 7000 \nhz "5" ');
  assertEquals(run(["--replicaof", "127.0.0.1", "6380"]).options, 'replicaof "127.0.0.1" "6380" ');
  // stdin: `-` first or last only.
  assertEquals(run(["-", "--port", "1"]).stdin, true);
  assertEquals(run(["--port", "1", "-"]).stdin, true);
  assertEquals(run(["a.conf", "-", "--port", "1"]).options, '"-" \nport "1" ');
  // Non-ASCII arguments are quoted as their UTF-8 bytes.
  assertEquals(run(["--logfile", "é"]).options, 'logfile "\\xc3\\xa9" ');
  assertEquals(parseCommandLine(["-v"]), { kind: "version" });
  assertEquals(parseCommandLine(["--version"]), { kind: "version" });
  assertEquals(parseCommandLine(["-h"]), { kind: "help" });
  assertEquals(parseCommandLine(["--help"]), { kind: "help" });
});

Deno.test("cmdline: the text round-trips through the parser", () => {
  const r = parseCommandLine(["--foo", 'a"b\\c\n\t\x07\x08\x01', "--save", "900 1"]);
  if (r.kind !== "run") throw new Error(r.kind);
  const lines = parseConf(r.options, { baseDir: "/", lineOffset: countLines("") });
  assertEquals(lines.map((l) => [l.line, l.args]), [
    [2, ["foo", 'a"b\\c\n\t\x07\x08\x01']],
    [3, ["save", "900 1"]],
  ]);
  assertEquals(lines[0]!.text, 'foo "a\\"b\\\\c\\n\\t\\a\\b\\x01"');
});

Deno.test("cmdline: reprArg and countLines", () => {
  assertEquals(reprArg(""), '""');
  assertEquals(reprArg("a b"), '"a b"');
  assertEquals(reprArg("\x7f\xff"), '"\\x7f\\xff"');
  assertEquals(countLines(""), 1);
  assertEquals(countLines("a\nb\n"), 3);
  assertEquals(countLines("a\nb"), 2);
});
