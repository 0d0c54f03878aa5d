/**
 * The Lua engine is loaded on first use (plugins/scripting/_engine.ts), not
 * at start-up: each test runs fresh server processes, whose first script
 * command finds no engine loaded. A client's EVAL, SCRIPT LOAD, FUNCTION
 * LOAD and RESTORE wait for it; EXEC, an AOF or RDB at start-up and a
 * master's stream load it synchronously. The replies are those a server
 * with the engine loaded gives. (In-process servers share one engine once
 * any of them loaded it, so these run as processes.)
 */

import { assertEquals } from "../_assert.ts";
import { encodeCommand, type Proc, RawClient, type Reply } from "../_helpers.ts";
import { caughtUp, startRespiteProc, until } from "../_replication.ts";

const INCR_SCRIPT = "return redis.call('INCRBY', KEYS[1], ARGV[1])";
const INCR_SHA = "8cd00688c05c46bde4a2e60658ef20a2e5c0b248";
const LIB = "#!lua name=mylib\n" +
  "redis.register_function('myfunc', function(keys, args) return args[1] end)\n" +
  "redis.register_function{function_name='ro', callback=function(keys) " +
  "return redis.call('GET', keys[1]) end, flags={'no-writes'}}";

/** Sends every command in one write and reads their replies, in order. */
async function pipeline(port: number, cmds: string[][]): Promise<Reply[]> {
  const c = await RawClient.connect(port);
  try {
    const parts = cmds.map(encodeCommand);
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    await c.write(all);
    const out: Reply[] = [];
    for (let i = 0; i < cmds.length; i++) out.push((await c.read()).value);
    return out;
  } finally {
    c.close();
  }
}

async function withProcs(fn: (stop: (p: Proc) => void) => Promise<void>): Promise<void> {
  const procs: Proc[] = [];
  try {
    await fn((p) => procs.push(p));
  } finally {
    for (const p of procs) await p.stop();
  }
}

Deno.test("lazy engine: the first EVAL, FUNCTION LOAD and FCALL of a fresh server, pipelined", async () => {
  await withProcs(async (keep) => {
    const p = await startRespiteProc();
    keep(p);
    // EVAL first, with commands behind it in the same write: they wait for it.
    assertEquals(
      await pipeline(p.port, [
        ["EVAL", INCR_SCRIPT, "1", "counter", "5"],
        ["GET", "counter"],
        ["EVALSHA", INCR_SHA, "1", "counter", "5"],
        ["SCRIPT", "EXISTS", INCR_SHA],
        ["EVAL", "return {1, 'two', 3.99, {err='E x'}}", "0"],
        ["EVAL", "return redis.call('nosuch')", "0"],
      ]),
      [
        5,
        "5",
        10,
        [1],
        [1, "two", 3, { error: "E x" }],
        {
          error:
            "ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.",
        },
      ],
    );
    assertEquals(
      await pipeline(p.port, [
        ["FUNCTION", "LOAD", LIB],
        ["FCALL", "myfunc", "0", "hello"],
        ["FCALL_RO", "ro", "1", "counter"],
        ["FUNCTION", "LIST"],
      ]),
      [
        "mylib",
        "hello",
        "10",
        [[
          "library_name",
          "mylib",
          "engine",
          "LUA",
          "functions",
          [
            ["name", "myfunc", "description", null, "flags", []],
            ["name", "ro", "description", null, "flags", ["no-writes"]],
          ],
        ]],
      ],
    );
  });
});

Deno.test("lazy engine: SCRIPT LOAD, FUNCTION RESTORE and an EVAL error first", async () => {
  await withProcs(async (keep) => {
    const a = await startRespiteProc();
    keep(a);
    // An EVAL refused before it compiles anything answers as always.
    assertEquals(await pipeline(a.port, [["EVAL", "return 1", "2", "k"]]), [
      { error: "ERR Number of keys can't be greater than number of args" },
    ]);
    assertEquals(await pipeline(a.port, [["SCRIPT", "LOAD", INCR_SCRIPT]]), [INCR_SHA]);
    const src = await startRespiteProc();
    keep(src);
    const [, dump] = await pipeline(src.port, [["FUNCTION", "LOAD", LIB], ["FUNCTION", "DUMP"]]);
    const b = await startRespiteProc();
    keep(b);
    assertEquals(
      await pipeline(b.port, [
        ["FUNCTION", "RESTORE", dump as string],
        ["FCALL", "myfunc", "0", "restored"],
      ]),
      ["OK", "restored"],
    );
  });
});

Deno.test("lazy engine: EVAL and FUNCTION LOAD first inside MULTI/EXEC", async () => {
  await withProcs(async (keep) => {
    const p = await startRespiteProc();
    keep(p);
    assertEquals(
      await pipeline(p.port, [
        ["MULTI"],
        ["SET", "n", "1"],
        ["EVAL", "return redis.call('INCR', KEYS[1])", "1", "n"],
        ["FUNCTION", "LOAD", LIB],
        ["FCALL", "myfunc", "0", "in exec"],
        ["GET", "n"],
        ["EXEC"],
        ["FCALL", "myfunc", "0", "after"],
      ]),
      [
        "OK",
        "QUEUED",
        "QUEUED",
        "QUEUED",
        "QUEUED",
        "QUEUED",
        ["OK", 2, "mylib", "in exec", "2"],
        "after",
      ],
    );
  });
});

Deno.test("lazy engine: an AOF and an RDB holding functions load at start-up", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "respite-lazy-engine-" });
  try {
    const first = await startRespiteProc(["--appendonly", "yes"], { dir });
    await pipeline(first.port, [
      ["FUNCTION", "LOAD", LIB],
      ["EVAL", INCR_SCRIPT, "1", "counter", "7"],
      ["SAVE"],
    ]);
    await first.stop();
    for (const aof of ["yes", "no"]) {
      const p = await startRespiteProc(["--appendonly", aof], { dir });
      try {
        assertEquals(
          await pipeline(p.port, [["FCALL", "myfunc", "0", aof], [
            "FCALL_RO",
            "ro",
            "1",
            "counter",
          ]]),
          [aof, "7"],
          `appendonly ${aof}`,
        );
      } finally {
        await p.stop();
      }
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("lazy engine: fresh replicas get functions from a full resync and the master's stream", async () => {
  await withProcs(async (keep) => {
    const master = await startRespiteProc();
    keep(master);
    // A replica whose first library comes over the link (FUNCTION LOAD).
    const r1 = await startRespiteProc(["--replicaof", "127.0.0.1", String(master.port)]);
    keep(r1);
    await caughtUp(master.port, [r1.port]);
    await pipeline(master.port, [["FUNCTION", "LOAD", LIB], ["SET", "k", "v"]]);
    await caughtUp(master.port, [r1.port]);
    assertEquals(await pipeline(r1.port, [["FCALL_RO", "ro", "1", "k"]]), ["v"]);
    // One whose first library comes in the full resync's RDB (REPLICAOF).
    const r2 = await startRespiteProc();
    keep(r2);
    assertEquals(await pipeline(r2.port, [["REPLICAOF", "127.0.0.1", String(master.port)]]), [
      "OK",
    ]);
    await caughtUp(master.port, [r2.port]);
    await until("the functions on the second replica", async () => {
      const [r] = await pipeline(r2.port, [["FCALL_RO", "ro", "1", "k"]]);
      return r === "v";
    });
  });
});

Deno.test("lazy engine: fengari is not among the modules main.ts imports statically", async () => {
  const main = new URL("../../main.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", main.href],
    stdout: "piped",
    stderr: "null",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const bySpec = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [main.href];
  while (todo.length !== 0) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpec.get(s)?.dependencies ?? []) {
      if (d.code !== undefined && d.isDynamic !== true) todo.push(d.code.specifier);
    }
  }
  const engine = [...seen].filter((s) => /scripting\/(vendor\/fengari\.js|_vm\.ts)$/.test(s));
  assertEquals(engine, []);
  // It is still in the graph (import() with a literal path), so `deno compile` embeds it.
  assertEquals(
    graph.modules.some((m) => m.specifier.endsWith("scripting/vendor/fengari.js")),
    true,
  );
});
