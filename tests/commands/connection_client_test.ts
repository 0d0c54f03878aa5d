/**
 * CLIENT: ID, SETNAME/GETNAME, SETINFO, LIST/INFO, KILL, REPLY, NO-EVICT,
 * HELP, differentially against redis-server and through raw RESP.
 */

import { diffTest, hasRedis, RawClient, startRealRedis, startRespite } from "../_helpers.ts";
import { assertEquals, assertOk as assert } from "../_assert.ts";

diffTest("client names", [
  ["CLIENT"],
  ["CLIENT", "NOSUCH"],
  ["CLIENT", "GETNAME"],
  ["CLIENT", "SETNAME", "a b"],
  ["CLIENT", "SETNAME", "a\nb"],
  ["CLIENT", "SETNAME", "caf\xc3\xa9"],
  ["CLIENT", "SETNAME", "\x7f"],
  ["CLIENT", "SETNAME", "ok-name!~"],
  ["CLIENT", "GETNAME"],
  ["CLIENT", "SETNAME", ""],
  ["CLIENT", "GETNAME"],
  ["CLIENT", "SETNAME"],
  ["CLIENT", "SETNAME", "a", "b"],
  ["CLIENT", "GETNAME", "x"],
  ["CLIENT", "ID", "x"],
  ["client", "help"],
  ["CLIENT", "HELP", "x"],
]);

diffTest("client list and kill errors", [
  ["CLIENT", "LIST", "TYPE", "foo"],
  ["CLIENT", "LIST", "foo"],
  ["CLIENT", "LIST", "TYPE"],
  ["CLIENT", "LIST", "ID"],
  ["CLIENT", "LIST", "ID", "1", "x"],
  ["CLIENT", "LIST", "ID", "999999"],
  ["CLIENT", "LIST", "TYPE", "master"],
  ["CLIENT", "LIST", "TYPE", "replica"],
  ["CLIENT", "LIST", "TYPE", "slave"],
  ["CLIENT", "LIST", "TYPE", "pubsub"],
  ["CLIENT", "LIST", "TYPE", "normal", "x"],
  ["CLIENT", "KILL"],
  ["CLIENT", "KILL", "1.2.3.4:5"],
  ["CLIENT", "KILL", "ID", "0"],
  ["CLIENT", "KILL", "ID", "x"],
  ["CLIENT", "KILL", "ID", "-1"],
  ["CLIENT", "KILL", "ID", "99", "SKIPME"],
  ["CLIENT", "KILL", "USER", "nobody"],
  ["CLIENT", "KILL", "TYPE", "foo"],
  ["CLIENT", "KILL", "SKIPME", "maybe"],
  ["CLIENT", "KILL", "foo", "bar"],
  ["CLIENT", "KILL", "ID", "999999"],
  ["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
  ["CLIENT", "KILL", "LADDR", "1.2.3.4:5"],
  ["CLIENT", "KILL", "USER", "default", "TYPE", "master"],
  ["CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "no"],
]);

diffTest("client reply and no-evict errors", [
  ["CLIENT", "REPLY", "maybe"],
  ["CLIENT", "REPLY"],
  ["CLIENT", "REPLY", "ON"],
  ["CLIENT", "NO-EVICT", "maybe"],
  ["CLIENT", "NO-EVICT", "on"],
  ["CLIENT", "NO-EVICT", "OFF"],
  ["CLIENT", "NO-EVICT"],
]);

/** `k=v k=v` to its field names. */
function fieldNames(line: string): string[] {
  return line.trim().split(" ").map((kv) => kv.slice(0, kv.indexOf("=")));
}

/** `k=v k=v` to a record. */
function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of line.trim().split(" ")) {
    const at = kv.indexOf("=");
    out[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return out;
}

Deno.test({
  name: "diff: CLIENT LIST and CLIENT INFO field names and order",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const real = await startRealRedis();
    try {
      for (const sub of [["LIST"], ["INFO"]]) {
        const ours = await RawClient.connect(s.port);
        const theirs = await RawClient.connect(real.port);
        const a = await ours.call("CLIENT", ...sub) as string;
        const b = await theirs.call("CLIENT", ...sub) as string;
        assert(a.endsWith("\n") && b.endsWith("\n"));
        // Redis 7.2's lib-name and lib-ver (CLIENT SETINFO's) close the line.
        assertEquals(fieldNames(a), [...fieldNames(b), "lib-name", "lib-ver"]);
        const fa = fields(a), fb = fields(b);
        for (const k of ["name", "flags", "db", "sub", "psub", "ssub", "multi"]) {
          assertEquals(fa[k], fb[k], k);
        }
        // Whole seconds: a second boundary may fall between connect and call.
        for (const k of ["age", "idle"]) assert(fa[k] === "0" || fa[k] === "1", `${k}=${fa[k]}`);
        for (const k of ["argv-mem", "multi-mem", "obl", "oll", "omem", "events", "cmd"]) {
          assertEquals(fa[k], fb[k], k);
        }
        for (const k of ["user", "redir", "resp"]) assertEquals(fa[k], fb[k], k);
        ours.close();
        theirs.close();
      }
    } finally {
      await s.close();
      await real.stop();
    }
  },
});

Deno.test("CLIENT LIST/INFO values describe the connection", async () => {
  const s = await startRespite();
  const a = await RawClient.connect(s.port);
  const b = await RawClient.connect(s.port);
  try {
    const idA = await a.call("CLIENT", "ID") as number;
    const idB = await b.call("CLIENT", "ID") as number;
    assertEquals(idB, idA + 1);
    await b.call("CLIENT", "SETNAME", "bee");
    await b.call("SELECT", "7");
    await b.call("CLIENT", "NO-EVICT", "on");
    const local = a.conn.localAddr as Deno.NetAddr;
    const info = fields(await a.call("CLIENT", "INFO") as string);
    assertEquals(info.id, String(idA));
    assertEquals(info.addr, `127.0.0.1:${local.port}`);
    assertEquals(info.laddr, `127.0.0.1:${s.port}`);
    assertEquals(info.cmd, "client|info");
    assertEquals(info["argv-mem"], "10");
    const list = (await a.call("CLIENT", "LIST") as string).trimEnd().split("\n");
    assertEquals(list.length, 2);
    const other = fields(list.find((l) => l.startsWith(`id=${idB} `))!);
    assertEquals(other.name, "bee");
    assertEquals(other.db, "7");
    assertEquals(other.flags, "e");
    assertEquals(other.cmd, "client|no-evict");
    assertEquals(other["argv-mem"], "0");
    // The fds of two live clients differ.
    assert(other.fd !== info.fd);
    const byId = await a.call("CLIENT", "LIST", "ID", String(idB), "424242", String(idA)) as string;
    assertEquals(byId.split("\n").map((l) => l.split(" ")[0]), [`id=${idB}`, `id=${idA}`, ""]);
    const normal = await a.call("CLIENT", "LIST", "TYPE", "NORMAL") as string;
    assertEquals(normal.split("\n").length, 3);
    assertEquals(await a.call("CLIENT", "LIST", "TYPE", "pubsub"), "");
  } finally {
    a.close();
    b.close();
    await s.close();
  }
});

Deno.test("CLIENT KILL by ID, ADDR, old form, and SKIPME", async () => {
  const s = await startRespite();
  const me = await RawClient.connect(s.port);
  const victims = await Promise.all([1, 2, 3].map(() => RawClient.connect(s.port)));
  try {
    const myId = await me.call("CLIENT", "ID") as number;
    const [v1, v2, v3] = victims as [RawClient, RawClient, RawClient];
    const id1 = await v1.call("CLIENT", "ID") as number;
    assertEquals(await me.call("CLIENT", "KILL", "ID", String(id1)), 1);
    assert(await v1.closedWithin());
    assertEquals(await me.call("CLIENT", "KILL", "ID", String(id1)), 0);
    const addr2 = `127.0.0.1:${(v2.conn.localAddr as Deno.NetAddr).port}`;
    assertEquals(await me.call("CLIENT", "KILL", "ADDR", addr2), 1);
    assert(await v2.closedWithin());
    const addr3 = `127.0.0.1:${(v3.conn.localAddr as Deno.NetAddr).port}`;
    assertEquals(await me.call("CLIENT", "KILL", addr3), "OK");
    assert(await v3.closedWithin());
    assertEquals(await me.call("CLIENT", "KILL", addr3), { error: "ERR No such client" });
    // The caller is skipped by default, unless SKIPME no.
    assertEquals(await me.call("CLIENT", "KILL", "ID", String(myId)), 0);
    assertEquals(await me.call("CLIENT", "KILL", "LADDR", `127.0.0.1:${s.port}`), 0);
    assertEquals(s.server.clients.size, 1);
    assertEquals(await me.call("CLIENT", "KILL", "ID", String(myId), "SKIPME", "no"), 1);
    assert(await me.closedWithin());
  } finally {
    me.close();
    for (const v of victims) v.close();
    await s.close();
  }
});

Deno.test("CLIENT KILL old form may kill the caller after replying", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    const addr = `127.0.0.1:${(c.conn.localAddr as Deno.NetAddr).port}`;
    assertEquals(await c.command("CLIENT", "KILL", addr), "+OK\r\n");
    assert(await c.closedWithin());
  } finally {
    c.close();
    await s.close();
  }
});

const enc = (argv: string[]) =>
  `*${argv.length}\r\n${argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;

Deno.test("CLIENT REPLY OFF, SKIP and ON", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    await c.write(
      [
        ["CLIENT", "REPLY", "OFF"],
        ["PING"],
        ["ECHO", "hidden"],
        ["NOSUCHCOMMAND"],
        ["CLIENT", "REPLY", "SKIP"], // ignored while OFF
        ["CLIENT", "REPLY", "ON"],
        ["ECHO", "one"],
        ["CLIENT", "REPLY", "SKIP"],
        ["ECHO", "skipped"],
        ["ECHO", "two"],
        // A skipped REPLY OFF stays in force.
        ["CLIENT", "REPLY", "SKIP"],
        ["CLIENT", "REPLY", "OFF"],
        ["ECHO", "hidden2"],
        ["CLIENT", "REPLY", "ON"],
        // A skipped REPLY SKIP skips the next command too.
        ["CLIENT", "REPLY", "SKIP"],
        ["CLIENT", "REPLY", "SKIP"],
        ["ECHO", "skipped2"],
        ["ECHO", "three"],
      ].map(enc).join(""),
    );
    assertEquals((await c.read()).raw, "+OK\r\n");
    assertEquals((await c.read()).raw, "$3\r\none\r\n");
    assertEquals((await c.read()).raw, "$3\r\ntwo\r\n");
    assertEquals((await c.read()).raw, "+OK\r\n");
    assertEquals((await c.read()).raw, "$5\r\nthree\r\n");
    assertEquals(await c.command("PING"), "+PONG\r\n");
    // A skipped RESET is silent; RESET lifts OFF and replies.
    await c.write("CLIENT REPLY SKIP\r\nRESET\r\nPING\r\nCLIENT REPLY OFF\r\nRESET\r\nPING\r\n");
    assertEquals((await c.read()).raw, "+PONG\r\n");
    assertEquals((await c.read()).raw, "+RESET\r\n");
    assertEquals((await c.read()).raw, "+PONG\r\n");
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("CLIENT SETINFO (Redis 7.2) stores LIB-NAME and LIB-VER", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  try {
    const id = await c.call("CLIENT", "ID") as number;
    assertEquals(await c.call("CLIENT", "SETINFO", "lib-name", "mylib"), "OK");
    assertEquals(await c.call("CLIENT", "SETINFO", "LIB-VER", "1.2.3"), "OK");
    const client = s.server.clients.get(id)!;
    assertEquals([client.libName, client.libVer], ["mylib", "1.2.3"]);
    assertEquals(await c.call("CLIENT", "SETINFO", "lib-foo", "x"), {
      error: "ERR Unrecognized option 'lib-foo'",
    });
    assertEquals(await c.call("CLIENT", "SETINFO", "lib-name", "a b"), {
      error: "ERR lib-name cannot contain spaces, newlines or special characters.",
    });
    assertEquals(await c.call("CLIENT", "SETINFO", "lib-name"), {
      error: "ERR wrong number of arguments for 'client|setinfo' command",
    });
    assertEquals(await c.call("CLIENT", "SETINFO", "lib-name", ""), "OK");
    assertEquals(client.libName, "");
  } finally {
    c.close();
    await s.close();
  }
});
