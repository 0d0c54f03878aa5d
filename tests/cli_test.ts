/**
 * The command line: main.ts run as a subprocess with the permissions of the
 * `start` task, checked over TCP, against redis-server's own error output,
 * and for signal handling.
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, hasRedis, RawClient, START_PERMS, waitPort } from "./_helpers.ts";
import { assertEquals, assertMatch, assertOk } from "./_assert.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const MAIN = join(ROOT, "main.ts");
const PERMS = START_PERMS;
/** The memory tuning `deno task start` adds (see the README). */
const TUNING = "--no-code-cache --v8-flags=--max-semi-space-size=8";
const dec = new TextDecoder();

/** Runs main.ts to completion (for runs that exit by themselves). */
async function runMain(
  args: string[],
  opts: { cwd?: string; stdin?: string; perms?: readonly string[] } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...(opts.perms ?? PERMS), MAIN, ...args],
    cwd: opts.cwd ?? ROOT,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs redis-server with arguments that make it fail at start-up. */
async function runRedisFailing(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("redis-server", {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A main.ts server running in the background. */
interface Running {
  port: number;
  child: Deno.ChildProcess;
  /** Everything it logged, once it has exited. */
  finish(): Promise<{ code: number; stdout: string; ms: number }>;
}

/** Starts main.ts on a free port and waits until it accepts connections. */
async function startMain(args: string[], opts: { cwd?: string; port?: number } = {}) {
  const port = opts.port ?? freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMS, MAIN, ...args, "--port", String(port)],
    // A scratch directory: the default save points write dump.rdb there.
    cwd: opts.cwd ?? Deno.makeTempDirSync({ prefix: "respite-cli-" }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  if (!(await waitPort(port))) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    const o = await output;
    throw new Error(`main.ts did not start: ${dec.decode(o.stdout)}${dec.decode(o.stderr)}`);
  }
  const running: Running = {
    port,
    child,
    async finish() {
      const t0 = performance.now();
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      const o = await output;
      clearTimeout(timer);
      return { code: o.code, stdout: dec.decode(o.stdout), ms: performance.now() - t0 };
    },
  };
  return running;
}

Deno.test("cli: these tests run main.ts with the permissions of `deno task start`", () => {
  const tasks = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json"))).tasks;
  assertEquals(tasks.start, `deno run ${PERMS.join(" ")} ${TUNING} main.ts`);
});

Deno.test("cli: --version and -v print the versions and exit 0", async () => {
  for (const flag of ["--version", "-v"]) {
    const r = await runMain([flag]);
    assertEquals(r.code, 0);
    assertEquals(r.stdout, "Respite v=0.1.0 redis_version=7.0.15\n");
  }
});

Deno.test("cli: --help prints usage and exits 0", async () => {
  const r = await runMain(["--help"]);
  assertEquals(r.code, 0);
  assertMatch(r.stdout, /^Usage: respite \[\/path\/to\/redis\.conf\] \[options\] \[-\]/);
  assertMatch(r.stdout, /--replicaof 127\.0\.0\.1 8888/);
});

Deno.test("cli: starts, logs, answers PING and CONFIG GET, exits 0 on SIGTERM", async () => {
  const s = await startMain(["--databases", "2", "--hz", "20", "--save", ""]);
  const c = await RawClient.connect(s.port);
  assertEquals(await c.command("PING"), "+PONG\r\n");
  assertEquals(await c.call("CONFIG", "GET", "databases"), ["databases", "2"]);
  assertEquals(await c.call("CONFIG", "GET", "hz"), ["hz", "20"]);
  assertEquals(await c.call("CONFIG", "GET", "port"), ["port", String(s.port)]);
  // --databases 2 took effect: DB 2 does not exist.
  assertEquals(await c.call("SELECT", "1"), "OK");
  assertEquals(await c.call("SELECT", "2"), { error: "ERR DB index is out of range" });
  c.close();
  s.child.kill("SIGTERM");
  const r = await s.finish();
  assertEquals(r.code, 0);
  assertOk(r.ms < 3000, `exit took ${r.ms} ms`);
  const pid = s.child.pid;
  assertMatch(
    r.stdout,
    new RegExp(
      `^${pid}:M \\d\\d \\w{3} \\d{4} [\\d:.]+ # Respite 0\\.1\\.0 \\(Redis 7\\.0\\.15 compatible\\), ` +
        `bits=64, pid=${pid}, port=${s.port}, just started$`,
      "m",
    ),
  );
  assertMatch(r.stdout, /\* Ready to accept connections\n/);
  assertMatch(r.stdout, /# Received SIGTERM scheduling shutdown\.\.\.\n/);
});

Deno.test("cli: SIGINT exits 0", async () => {
  const s = await startMain([]);
  s.child.kill("SIGINT");
  const r = await s.finish();
  assertEquals(r.code, 0);
  assertMatch(r.stdout, /# Received SIGINT scheduling shutdown\.\.\./);
});

Deno.test("cli: SHUTDOWN exits 0", async () => {
  const s = await startMain([]);
  const c = await RawClient.connect(s.port);
  await c.write("SHUTDOWN NOSAVE\r\n");
  await c.closedWithin(3000);
  c.close();
  const r = await s.finish();
  assertEquals(r.code, 0);
});

Deno.test("cli: config file, include, options override the file, stdin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "respite-cli-" });
  try {
    await Deno.mkdir(join(dir, "conf.d"));
    await Deno.writeTextFile(
      join(dir, "main.conf"),
      '# comment\n\nHZ 15\ninclude conf.d/*.conf\nmaxmemory-policy "allkeys-lru"\n' +
        "acllog-max-len 5\n",
    );
    await Deno.writeTextFile(join(dir, "conf.d", "a.conf"), "acllog-max-len 7\ntimeout 9\n");
    await Deno.writeTextFile(join(dir, "conf.d", "b.conf"), "timeout 11\n");
    const s = await startMain(["main.conf", "--timeout", "30"], { cwd: dir });
    const c = await RawClient.connect(s.port);
    assertEquals(await c.call("CONFIG", "GET", "hz"), ["hz", "15"]);
    assertEquals(await c.call("CONFIG", "GET", "maxmemory-policy"), [
      "maxmemory-policy",
      "allkeys-lru",
    ]);
    // The file's line after the include wins over the included value...
    assertEquals(await c.call("CONFIG", "GET", "acllog-max-len"), ["acllog-max-len", "5"]);
    // ...and the command line wins over both.
    assertEquals(await c.call("CONFIG", "GET", "timeout"), ["timeout", "30"]);
    c.close();
    s.child.kill("SIGTERM");
    assertEquals((await s.finish()).code, 0);

    // Config from stdin (`-`, last), after the file and before the options.
    const r = await runMain(["main.conf", "--port", "0", "-"], {
      cwd: dir,
      stdin: "hz 16\nbogus 1\n",
    });
    assertEquals(r.code, 1);
    assertEquals(
      r.stderr,
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 8\n" +
        ">>> 'bogus 1'\nBad directive or wrong number of arguments\n",
    );
    // A "-" that is neither first nor last is a value, as in redis-server.
    const r2 = await runMain(["main.conf", "-", "--port", "0"], { cwd: dir });
    assertEquals(r2.code, 1);
    assertMatch(r2.stderr, /at line 8\n>>> '"-"'\nBad directive or wrong number of arguments\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a plugin line in a config file resolves against the file's directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "respite-cli-" });
  try {
    const mod = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      join(dir, "greet.ts"),
      `import { definePlugin } from ${JSON.stringify(mod)};\n` +
        `export const plugin = definePlugin({\n` +
        `  name: "greet",\n` +
        `  config: [{ name: "greet-greeting", type: "string", default: "hi" }],\n` +
        `  commands: [{ name: "greet", arity: 1, flags: ["fast"],\n` +
        `    handler: (c) => c.reply.bulk(c.server.config.get("greet-greeting")) }],\n` +
        `});\n`,
    );
    await Deno.writeTextFile(join(dir, "r.conf"), "greet-greeting bonjour\nplugin greet.ts\n");
    const s = await startMain([join(dir, "r.conf")]);
    const c = await RawClient.connect(s.port);
    assertEquals(await c.call("GREET"), "bonjour");
    assertEquals(await c.call("CONFIG", "GET", "plugin"), ["plugin", "greet.ts"]);
    c.close();
    s.child.kill("SIGTERM");
    const r = await s.finish();
    assertEquals(r.code, 0);
    assertMatch(r.stdout, /\* Plugin 'greet' loaded\n/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a plugin that cannot load is a fatal config error", async () => {
  const r = await runMain(["--plugin", "./no/such/plugin.ts"]);
  assertEquals(r.code, 1);
  assertMatch(
    r.stderr,
    /^\n\*\*\* FATAL CONFIG FILE ERROR \(Redis 7\.0\.15\) \*\*\*\nReading the configuration file, at line 2\n>>> 'plugin "\.\/no\/such\/plugin\.ts"'\nFailed to load plugin '\.\/no\/such\/plugin\.ts': /,
  );
  const r2 = await runMain(["--plugin", "./mod.ts"]);
  assertEquals(r2.code, 1);
  assertMatch(r2.stderr, /the module has no default or 'plugin' export that is a plugin\n$/);
});

Deno.test("cli: port already in use exits 1", async () => {
  const l = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (l.addr as Deno.NetAddr).port;
  try {
    const r = await runMain(["--port", String(port)]);
    assertEquals(r.code, 1);
    assertMatch(
      r.stdout,
      new RegExp(`# Failed listening on port ${port} \\(tcp\\), aborting\\.\n$`),
    );
  } finally {
    l.close();
  }
});

/** Bad start-ups: Respite must print what redis-server prints, and exit 1. */
const FAILING: { args: string[]; files?: Record<string, string> }[] = [
  { args: ["--foo", "bar"] },
  { args: ["--port", "abc"] },
  { args: ["--port", "1", "2"] },
  { args: ["--port", "7000", "--hz"] },
  { args: ["--maxmemory-policy", "foo"] },
  { args: ["--protected-mode", "maybe"] },
  { args: ["--maxmemory", "12xb"] },
  { args: ["--foo", 'a"b\n\x01c'] },
  { args: ["--port 7000", "--timeout", "x"] },
  { args: ["t.conf"], files: { "t.conf": "port 7000\n\n  foo bar  \n" } },
  { args: ["t.conf"], files: { "t.conf": 'port 7000\nfoo "bar\n' } },
  { args: ["t.conf", "--hz", "x"], files: { "t.conf": "port 7000\n" } },
  { args: ["t.conf", "--hz", "x"], files: { "t.conf": "port 7000" } },
  { args: ["t.conf"], files: { "t.conf": "include\n" } },
  { args: ["t.conf"], files: { "t.conf": "hz 5\ninclude INC\n", "i.conf": "hz 6\n\nbad line\n" } },
  // Redis's validation and reasons, for every kind of directive.
  { args: ["--dir", "/etc/hostname"] },
  { args: ["--dir", "/nonexistent/dir"] },
  { args: ["--hz", "-1"] },
  { args: ["--maxclients", "-1"] },
  { args: ["--maxmemory", "-1"] },
  { args: ["--maxmemory-clients", "101%"] },
  { args: ["--unixsocketperm", "999"] },
  { args: ["--activedefrag", "yes"] },
  { args: ["--appendfilename", "a/b"] },
  { args: ["--dbfilename", "a/b"] },
  { args: ["--oom-score-adj-values", "1", "2"] },
  { args: ["--client-output-buffer-limit", "master", "1", "2", "3"] },
  { args: ["--replicaof", "localhost"] },
  { args: ["--save", "10"] },
  { args: ["--proc-title-template", "{nope}"] },
  { args: ["--cluster-announce-hostname", "a_b"] },
  { args: ["--enable-protected-configs", "maybe"] },
  { args: ["--lua-replicate-commands", "yes", "no"] },
  { args: ["--logfile", "/nonexistent/dir/redis.log"] },
  { args: ["t.conf"], files: { "t.conf": "rename-command NOSUCH x\n" } },
  { args: ["t.conf"], files: { "t.conf": "rename-command GET SET\n" } },
];

Deno.test({
  name: "cli: configuration errors match redis-server's, byte for byte",
  ignore: !hasRedis,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-cli-" });
    try {
      for (const t of FAILING) {
        for (const [name, text] of Object.entries(t.files ?? {})) {
          // Redis opens includes relative to its cwd; Respite relative to
          // the including file. An absolute path reads the same for both.
          await Deno.writeTextFile(join(dir, name), text.replace("INC", join(dir, "i.conf")));
        }
        const ours = await runMain(t.args, { cwd: dir });
        const theirs = await runRedisFailing(t.args, dir);
        const what = JSON.stringify(t);
        assertEquals(theirs.code, 1, `redis-server ${what}`);
        assertEquals(ours.code, 1, what);
        assertEquals(ours.stderr, theirs.stderr, what);
      }
      // A missing config file is reported as a log line on stdout.
      const ours = await runMain(["missing.conf"], { cwd: dir });
      const theirs = await runRedisFailing(["missing.conf"], dir);
      const strip = (s: string) => s.replace(/^\d+:C [^#]+/, "");
      assertEquals(ours.code, 1);
      assertEquals(strip(ours.stdout), strip(theirs.stdout));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("cli: --dir names the real cause; a special directory such as /proc is accepted", async () => {
  const file = await runMain(["--port", "0", "--dir", "/etc/hostname"]);
  assertEquals(file.code, 1);
  assertMatch(file.stderr, /\nNot a directory\n$/);
  // Deno's permissions keep /proc from being inspected: it is taken as Redis takes it.
  const s = await startMain(["--dir", "/proc", "--save", ""]);
  const c = await RawClient.connect(s.port);
  assertEquals(await c.call("CONFIG", "GET", "dir"), ["dir", "/proc"]);
  c.close();
  s.child.kill("SIGTERM");
  assertEquals((await s.finish()).code, 0);
});

Deno.test("cli: the banner has Redis's PID line, before Server initialized", async () => {
  const s = await startMain(["--always-show-logo", "yes", "--save", ""]);
  s.child.kill("SIGTERM");
  const r = await s.finish();
  assertEquals(r.code, 0);
  assertMatch(r.stdout, new RegExp(` PID: ${s.child.pid}\n[\\s\\S]*# Server initialized\n`));
  assertMatch(r.stdout, new RegExp(` Port: ${s.port}\n`));
  // Without the logo, Redis's one line.
  const t = await startMain(["--save", ""]);
  t.child.kill("SIGTERM");
  assertMatch(
    (await t.finish()).stdout,
    new RegExp(`\\* Running mode=standalone, port=${t.port}\\.\n`),
  );
});

Deno.test("cli: the ports are bound before the dataset is loaded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "respite-cli-" });
  const l = Deno.listen({ port: 0, hostname: "127.0.0.1" });
  const port = (l.addr as Deno.NetAddr).port;
  try {
    // A dump.rdb that cannot be loaded: with the port free, loading fails...
    await Deno.writeTextFile(join(dir, "dump.rdb"), "REDIS0011 not an rdb");
    const free = await runMain(["--port", "0"], { cwd: dir });
    assertEquals(free.code, 1);
    assertMatch(free.stdout, /Fatal error loading the DB/);
    // ...with the port in use, the port is what stops it, before any load.
    const busy = await runMain(["--port", String(port)], { cwd: dir });
    assertEquals(busy.code, 1);
    assertMatch(
      busy.stdout,
      new RegExp(`# Failed listening on port ${port} \\(tcp\\), aborting\\.\n$`),
    );
    assertOk(!busy.stdout.includes("loading the DB"), busy.stdout);
  } finally {
    l.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: rename-command renames or removes a command", async () => {
  const dir = await Deno.makeTempDir({ prefix: "respite-cli-" });
  try {
    await Deno.writeTextFile(
      join(dir, "r.conf"),
      'rename-command FLUSHALL ""\nrename-command ECHO SAY\nsave ""\n',
    );
    const s = await startMain(["r.conf"], { cwd: dir });
    const c = await RawClient.connect(s.port);
    assertEquals(await c.call("FLUSHALL"), {
      error: "ERR unknown command 'FLUSHALL', with args beginning with: ",
    });
    assertEquals(await c.call("SAY", "hi"), "hi");
    assertEquals((await c.call("ECHO", "hi") as { error: string }).error.split(" ")[0], "ERR");
    c.close();
    s.child.kill("SIGTERM");
    assertEquals((await s.finish()).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Waits until nothing listens on 127.0.0.1:port; false after `ms`. */
async function waitClosed(port: number, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      (await Deno.connect({ port, hostname: "127.0.0.1" })).close();
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/** The session a process leads (`/proc/<pid>/stat`'s sixth field). */
function sessionOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

Deno.test({
  name: "cli: daemonize yes detaches, writes the pid file and logs to logfile",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-daemon-" });
    const port = freePort();
    const pidfile = join(dir, "r.pid"), logfile = join(dir, "r.log");
    try {
      const args = [
        ...["--daemonize", "yes", "--port", String(port), "--save", ""],
        ...["--pidfile", pidfile, "--logfile", logfile],
      ];
      // The parent exits at once, as Redis's does; the server goes on.
      const t0 = performance.now();
      const r = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...PERMS, MAIN, ...args],
        cwd: dir,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(r.code, 0, dec.decode(r.stdout) + dec.decode(r.stderr));
      assertEquals(dec.decode(r.stdout), "");
      assertOk(await waitPort(port), "the daemon never listened");
      assertOk(performance.now() - t0 < 15000);
      const c = await RawClient.connect(port);
      const pid = Number((await Deno.readTextFile(pidfile)).trim());
      const info = String(await c.call("INFO", "server"));
      assertMatch(info, new RegExp(`\r\nprocess_id:${pid}\r\n`));
      assertEquals(await c.call("CONFIG", "GET", "daemonize"), ["daemonize", "yes"]);
      // A session of its own: no terminal to lose.
      assertEquals(sessionOf(pid), pid);
      await c.write("SHUTDOWN NOSAVE\r\n");
      await c.closedWithin(3000);
      c.close();
      assertOk(await waitClosed(port));
      const log = await Deno.readTextFile(logfile);
      assertMatch(log, new RegExp(`^${pid}:M .* \\* Ready to accept connections$`, "m"));
      assertMatch(log, /Removing the pid file\./);
      assertOk(!(await Deno.stat(pidfile).then(() => true, () => false)), "pid file left");
      // Without --allow-run it cannot re-launch itself: it says so.
      const perms = PERMS.filter((p) => p !== "--allow-run");
      const denied = await runMain(args, { cwd: dir, perms });
      assertEquals(denied.code, 1);
      assertMatch(denied.stdout, /Can't daemonize: .*--allow-run/);
      // Config from stdin (`-`) reaches the daemon too.
      const port2 = freePort();
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", ...PERMS, MAIN, "-"],
        cwd: dir,
        stdin: "piped",
        stdout: "null",
        stderr: "null",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(
        new TextEncoder().encode(
          `daemonize yes\nport ${port2}\nsave ""\npidfile ${pidfile}\nlogfile ${logfile}\n`,
        ),
      );
      await w.close();
      assertEquals((await child.status).code, 0);
      assertOk(await waitPort(port2), "the daemon fed by stdin never listened");
      const d = await RawClient.connect(port2);
      assertEquals(await d.call("CONFIG", "GET", "daemonize"), ["daemonize", "yes"]);
      await d.write("SHUTDOWN NOSAVE\r\n");
      await d.closedWithin(3000);
      d.close();
      assertOk(await waitClosed(port2));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Debian's redis.conf, installed by the redis-server package. */
const DEBIAN_CONF = "/etc/redis/redis.conf";

/** Whether Debian's file is there. */
const hasDebianConf = (() => {
  try {
    return Deno.statSync(DEBIAN_CONF).isFile;
  } catch {
    return false;
  }
})();

/** Whether the log file Debian's file names can be written here (as root). */
const debianLogWritable = hasDebianConf && (() => {
  try {
    const log = /^logfile\s+(\S+)/m.exec(Deno.readTextFileSync(DEBIAN_CONF))?.[1];
    if (log !== undefined) Deno.openSync(log, { append: true, create: true }).close();
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "cli: starts on Debian's /etc/redis/redis.conf with only --port and --dir",
  ignore: !debianLogWritable,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-debian-" });
    const port = freePort();
    try {
      // As `deno task start` runs.
      const r = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...PERMS,
          MAIN,
          DEBIAN_CONF,
          "--port",
          String(port),
          "--dir",
          dir,
        ],
        cwd: dir,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(r.code, 0, dec.decode(r.stdout) + dec.decode(r.stderr));
      assertOk(await waitPort(port), "never listened");
      const c = await RawClient.connect(port);
      try {
        assertEquals(await c.call("PING"), "PONG");
        assertEquals(await c.call("CONFIG", "GET", "daemonize"), ["daemonize", "yes"]);
        assertEquals(await c.call("CONFIG", "GET", "dir"), ["dir", await Deno.realPath(dir)]);
        assertMatch(
          String(await c.call("INFO", "server")),
          /\r\nconfig_file:\/etc\/redis\/redis\.conf\r\n/,
        );
        assertEquals(await c.call("SET", "k", "v"), "OK");
        await c.write("SHUTDOWN NOSAVE\r\n");
        await c.closedWithin(3000);
      } finally {
        c.close();
      }
      assertOk(await waitClosed(port));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "cli: starts on Debian's redis.conf run in the foreground (Redis's own defaults)",
  ignore: !hasDebianConf,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-debian-" });
    try {
      // Redis's source redis.conf is Debian's but for these lines.
      const text = (await Deno.readTextFile(DEBIAN_CONF))
        .replace(/^daemonize yes$/m, "daemonize no")
        .replace(/^(pidfile|logfile) .*$/gm, "")
        .replace(/^dir .*$/m, "dir ./");
      await Deno.writeTextFile(join(dir, "redis.conf"), text);
      const s = await startMain(["redis.conf", "--dir", dir], { cwd: dir });
      const c = await RawClient.connect(s.port);
      assertEquals(await c.call("PING"), "PONG");
      assertEquals(await c.call("CONFIG", "REWRITE"), "OK");
      c.close();
      s.child.kill("SIGTERM");
      assertEquals((await s.finish()).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "cli: where Debian's log file cannot be opened, start-up fails as redis-server's does",
  ignore: !hasDebianConf || debianLogWritable || !hasRedis,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-debian-" });
    try {
      const args = [DEBIAN_CONF, "--port", String(freePort()), "--dir", dir];
      const ours = await runMain(args, { cwd: dir });
      const theirs = await runRedisFailing(args, dir);
      assertEquals(ours.code, 1);
      assertEquals(theirs.code, 1);
      assertEquals(ours.stderr, theirs.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
