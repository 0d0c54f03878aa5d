/**
 * The connection family: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT,
 * SWAPDB and the `requirepass` gate, differentially against redis-server
 * and through raw RESP, redis-cli, ioredis and node-redis.
 */

import { Redis } from "ioredis";
import { createClient } from "redis";
import {
  diffDirty,
  diffTest,
  hasRedis,
  hasRedisCli,
  RawClient,
  redisCli,
  type Reply,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";
import { assertEquals, assertMatch, assertOk as assert } from "../_assert.ts";

const NOAUTH = { error: "NOAUTH Authentication required." };
const WRONGPASS = { error: "WRONGPASS invalid username-password pair or user is disabled." };

diffTest("ping and echo", [
  ["PING"],
  ["ping", "hello"],
  ["PING", ""],
  ["PING", "a", "b"],
  ["ECHO", "\x00\xff\r\nbinary"],
  ["ECHO", ""],
  ["ECHO"],
  ["ECHO", "a", "b"],
]);

diffTest("select", [
  ["SETBIT", "conn:k", "0", "1"],
  ["SELECT", "1"],
  ["EXISTS", "conn:k"],
  ["SELECT", "15"],
  ["SELECT", "16"],
  ["SELECT", "-1"],
  ["SELECT", "x"],
  ["SELECT", "1.5"],
  ["SELECT", " 1"],
  ["SELECT", "01"],
  ["SELECT", "99999999999"],
  ["SELECT", "9223372036854775808"],
  ["SELECT"],
  ["SELECT", "0"],
  ["GETBIT", "conn:k", "0"],
  ["DEL", "conn:k"],
]);

diffDirty("SWAPDB counts one change, also of a database with itself; SELECT none", [
  ["SELECT", "1"],
  ["SELECT", "0"],
  ["SWAPDB", "0", "0"],
  ["SWAPDB", "0", "1"],
  ["SET", "k", "v"],
  ["SWAPDB", "1", "0"],
  ["SWAPDB", "0", "99"],
  ["SWAPDB", "1", "0"],
]);

diffTest("swapdb", [
  ["SETBIT", "conn:a", "7", "1"],
  ["SWAPDB", "0", "1"],
  ["EXISTS", "conn:a"],
  ["SELECT", "1"],
  ["GETBIT", "conn:a", "7"],
  ["SWAPDB", "1", "0"],
  ["EXISTS", "conn:a"],
  ["SELECT", "0"],
  ["EXISTS", "conn:a"],
  ["SWAPDB", "0", "0"],
  ["EXISTS", "conn:a"],
  ["SWAPDB", "0", "16"],
  ["SWAPDB", "-1", "0"],
  ["SWAPDB", "x", "1"],
  ["SWAPDB", "1", "x"],
  ["SWAPDB", "x", "y"],
  ["SWAPDB", "99999999999", "0"],
  ["SWAPDB", "0"],
  ["DEL", "conn:a"],
]);

diffTest("hello errors and shape", [
  ["HELLO", "4"],
  ["HELLO", "1"],
  ["HELLO", "-1"],
  ["HELLO", "x"],
  ["HELLO", "3", "auth"],
  ["HELLO", "3", "AUTH", "default"],
  ["HELLO", "3", "setname"],
  ["HELLO", "3", "foo"],
  ["HELLO", "2", "SETNAME", "a b"],
  ["HELLO", "2", "AUTH", "nobody", "pw"],
  { cmd: ["HELLO"], shapeOnly: true },
  { cmd: ["HELLO", "2", "AUTH", "default", "anything", "SETNAME", "n1"], shapeOnly: true },
  ["CLIENT", "GETNAME"],
  // The name is set as the option is read, even when the call then fails.
  ["HELLO", "2", "SETNAME", "kept", "bad"],
  ["CLIENT", "GETNAME"],
  ["HELLO", "2", "SETNAME", "n2", "AUTH", "nobody", "pw"],
  ["CLIENT", "GETNAME"],
]);

diffTest("auth without a password", [
  ["AUTH", "pw"],
  ["AUTH", "default", "pw"],
  ["AUTH", "nobody", "pw"],
  ["AUTH", "a", "b", "c"],
  ["AUTH"],
]);

/** Runs each command on a fresh connection pair and compares the replies. */
async function compareOn(ports: [number, number], script: string[][]): Promise<Reply[]> {
  const [a, b] = await Promise.all(ports.map((p) => RawClient.connect(p)));
  const out: Reply[] = [];
  try {
    for (const argv of script) {
      const ours = await a!.call(...argv);
      const theirs = await b!.call(...argv);
      const idFree = (r: Reply) =>
        Array.isArray(r) ? r.map((x, i) => (r[i - 1] === "id" ? 0 : x)) : r;
      assertEquals(idFree(ours), idFree(theirs), JSON.stringify(argv));
      out.push(ours);
    }
  } finally {
    a!.close();
    b!.close();
  }
  return out;
}

Deno.test({
  name: "diff: requirepass gates commands until AUTH",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ config: { requirepass: "pw" } });
    const real = await startRealRedis(["--requirepass", "pw"]);
    try {
      const replies = await compareOn([s.port, real.port], [
        ["PING"],
        ["EXISTS", "x"],
        ["NOSUCHCOMMAND"],
        ["EXISTS"],
        ["HELLO"],
        ["HELLO", "3"],
        ["HELLO", "9"],
        ["HELLO", "3", "foo"],
        ["HELLO", "3", "AUTH", "default", "bad"],
        ["HELLO", "3", "SETNAME", "a"],
        ["AUTH", "bad"],
        ["AUTH", "default", "bad"],
        ["AUTH", "x", "y"],
        ["AUTH", "a", "b", "c"],
        ["CLIENT", "ID"],
        ["SELECT", "1"],
        ["RESET"],
        ["ECHO"],
        ["AUTH", "pw"],
        ["CLIENT", "SETNAME", "n"],
        ["PING"],
        ["RESET"],
        ["CLIENT", "GETNAME"],
        ["PING"],
        ["AUTH", "default", "pw"],
        ["CLIENT", "GETNAME"],
        ["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "x"],
        ["CLIENT", "GETNAME"],
        ["QUIT"],
      ]);
      assertEquals(replies[0], NOAUTH);
      assertEquals(replies[8], WRONGPASS);
      assertEquals(replies[20], "PONG");
      assertEquals(replies[27], "x");
      assertEquals(replies[28], "OK");
    } finally {
      await s.close();
      await real.stop();
    }
  },
});

Deno.test("requirepass: unauthenticated clients get tight request limits", async () => {
  const s = await startRespite({ config: { requirepass: "pw" } });
  try {
    let c = await RawClient.connect(s.port);
    await c.write("*11\r\n");
    assertEquals((await c.read()).value, {
      error: "ERR Protocol error: unauthenticated multibulk length",
    });
    assert(await c.closedWithin());
    c.close();
    c = await RawClient.connect(s.port);
    await c.write("*2\r\n$4\r\nECHO\r\n$20000\r\n");
    assertEquals((await c.read()).value, {
      error: "ERR Protocol error: unauthenticated bulk length",
    });
    assert(await c.closedWithin());
    c.close();
    // Once authenticated the usual limits apply; RESET takes that back.
    c = await RawClient.connect(s.port);
    assertEquals(await c.call("AUTH", "pw"), "OK");
    const big = "x".repeat(20000);
    assertEquals(await c.call("ECHO", big), big);
    assertEquals(await c.call("RESET"), "RESET");
    await c.write("*11\r\n");
    assertEquals((await c.read()).value, {
      error: "ERR Protocol error: unauthenticated multibulk length",
    });
    c.close();
  } finally {
    await s.close();
  }
});

Deno.test("requirepass: set at runtime spares connected clients; cleared opens all", async () => {
  const s = await startRespite();
  try {
    const early = await RawClient.connect(s.port);
    assertEquals(await early.call("AUTH", "x"), {
      error:
        "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    });
    s.server.config.set("requirepass", "secret");
    const late = await RawClient.connect(s.port);
    assertEquals(await early.call("PING"), "PONG");
    assertEquals(await late.call("PING"), NOAUTH);
    assertEquals(await late.call("AUTH", "wrong"), WRONGPASS);
    s.server.config.set("requirepass", "");
    assertEquals(await late.call("PING"), "PONG");
    early.close();
    late.close();
  } finally {
    await s.close();
  }
});

Deno.test("HELLO 3 switches to RESP3 and HELLO 2 back", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    const id = await c.call("CLIENT", "ID");
    assertEquals(typeof id, "number");
    const r = await c.call("HELLO", "3", "SETNAME", "resp3client");
    assertEquals(r, {
      map: [
        ["server", "redis"],
        ["version", "7.0.15"],
        ["proto", 3],
        ["id", id],
        ["mode", "standalone"],
        ["role", "master"],
        ["modules", []],
      ],
    });
    assertEquals(await c.command("CLIENT", "GETNAME"), "$11\r\nresp3client\r\n");
    assertEquals(await c.command("CLIENT", "SETNAME", ""), "+OK\r\n");
    assertEquals(await c.command("CLIENT", "GETNAME"), "_\r\n");
    const info = await c.call("CLIENT", "INFO");
    assert(
      typeof info === "object" && info !== null && "verbatim" in info &&
        info.verbatim.startsWith("txt:id=") && info.verbatim.includes(" resp=3 "),
    );
    const r2 = await c.call("HELLO", "2");
    assert(Array.isArray(r2) && r2.length === 14 && r2[5] === 2 && r2[7] === id);
    assertEquals(await c.command("CLIENT", "GETNAME"), "$-1\r\n");
    // No argument: the current protocol stays.
    const r3 = await c.call("HELLO");
    assert(Array.isArray(r3) && r3[5] === 2);
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("QUIT replies +OK then closes", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    // Commands pipelined after QUIT are not run.
    await c.write("*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n");
    assertEquals((await c.read()).raw, "+OK\r\n");
    assert(await c.closedWithin());
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("RESET restores db, name, protocol and reply mode; NO-EVICT stays", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    await c.call("SELECT", "3");
    await c.call("CLIENT", "SETNAME", "before");
    await c.call("CLIENT", "NO-EVICT", "on");
    await c.call("HELLO", "3");
    const info = await c.call("CLIENT", "INFO") as { verbatim: string };
    assert(info.verbatim.includes(" name=before "), info.verbatim);
    assert(info.verbatim.includes(" flags=e db=3 "), info.verbatim);
    await c.write("*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*1\r\n$4\r\nPING\r\n");
    assertEquals(await c.command("RESET"), "+RESET\r\n");
    const after = await c.call("CLIENT", "INFO") as string;
    assert(after.includes(" name= "), after);
    assert(after.includes(" flags=e db=0 "), after);
    assert(after.includes(" resp=2 "), after);
    assertEquals(await c.command("CLIENT", "GETNAME"), "$-1\r\n");
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test({
  name: "redis-cli: ping, -a password, -3 hello",
  ignore: !hasRedisCli,
  async fn() {
    const s = await startRespite();
    const p = await startRespite({ config: { requirepass: "pw" } });
    try {
      assertEquals(await redisCli(s.port, ["ping"]), "PONG\n");
      assertEquals(await redisCli(s.port, ["echo", "hi there"]), "hi there\n");
      const hello = await redisCli(s.port, ["-3", "hello"]);
      assert(
        /^server redis\nversion 7\.0\.15\nproto 3\nid \d+\nmode standalone\nrole master\nmodules \n$/
          .test(hello),
        hello,
      );
      assertEquals(await redisCli(p.port, ["ping"]), "NOAUTH Authentication required.\n\n");
      assertEquals(await redisCli(p.port, ["-a", "pw", "--no-auth-warning", "ping"]), "PONG\n");
      assertEquals(
        await redisCli(p.port, ["-n", "2", "-a", "pw", "--no-auth-warning", "ping"]),
        "PONG\n",
      );
    } finally {
      await s.close();
      await p.close();
    }
  },
});

Deno.test({
  name: "ioredis: password, db and connection name on connect",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ config: { requirepass: "pw" } });
    const io = new Redis({
      port: s.port,
      password: "pw",
      db: 4,
      connectionName: "io-conn",
      lazyConnect: true,
      enableReadyCheck: false,
    });
    try {
      await io.connect();
      assertEquals(await io.ping(), "PONG");
      assertEquals(await io.ping("x"), "x");
      assertEquals(await io.echo("\u00e9"), "\u00e9");
      assertEquals(await io.client("GETNAME"), "io-conn");
      const info = await io.client("INFO") as string;
      assert(info.includes(" name=io-conn ") && info.includes(" db=4 "), info);
      let err = "";
      try {
        await io.select(99);
      } catch (e) {
        err = (e as Error).message;
      }
      assertEquals(err, "ERR DB index is out of range");
      const bad = new Redis({
        port: s.port,
        password: "nope",
        lazyConnect: true,
        enableReadyCheck: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      let authErr = "";
      bad.on("error", (e: Error) => (authErr ||= e.message));
      try {
        await bad.connect();
        await bad.ping();
      } catch (e) {
        authErr ||= (e as Error).message;
      }
      bad.disconnect();
      assert(authErr.includes("WRONGPASS"), authErr);
    } finally {
      io.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "node-redis: connects (CLIENT SETINFO), names, selects, lists clients",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const nr = createClient({ socket: { port: s.port }, name: "nr-conn", database: 2 });
    nr.on("error", () => {});
    try {
      await nr.connect();
      assertEquals(await nr.ping(), "PONG");
      assertEquals(await nr.echo("hello"), "hello");
      assertEquals(await nr.clientGetName(), "nr-conn");
      const id = await nr.clientId();
      const list = await nr.clientList();
      const me = list.find((c) => c.id === id);
      if (me === undefined) throw new Error("own connection not listed");
      assertEquals(me.name, "nr-conn");
      assertEquals(me.db, 2);
      assertEquals(me.cmd, "client|list");
      const lib = s.server.clients.get(id)!;
      // node-redis sends CLIENT SETINFO LIB-NAME / LIB-VER while connecting.
      assertEquals(lib.libName, "node-redis");
      assertMatch(lib.libVer, /^\d+\.\d+\.\d+$/);
      assertEquals(await nr.sendCommand(["CLIENT", "SETINFO", "LIB-NAME", "custom"]), "OK");
      assertEquals(lib.libName, "custom");
      await nr.select(5);
      const info = await nr.clientInfo();
      assertEquals(info.db, 5);
      assertEquals(info.id, id);
    } finally {
      await nr.disconnect();
      await s.close();
    }
  },
});
