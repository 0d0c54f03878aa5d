/**
 * The wire protocol over TCP, against Respite and the real redis-server:
 * protocol errors byte for byte, connection closing, pipelining, binary
 * safety and large values.
 */

import { encodeCommand, hasRedis, RawClient, sharedServers } from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

function mb(...argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
}

/**
 * Sends `data` on a fresh connection and reads until the server closes it
 * (or `ms` pass). Returns what arrived and whether the connection closed.
 */
async function exchange(
  port: number,
  data: string,
  ms = 3000,
): Promise<{ text: string; closed: boolean }> {
  const conn = await Deno.connect({ port, hostname: "127.0.0.1" });
  const b = bytes(data);
  try {
    for (let off = 0; off < b.length;) off += await conn.write(b.subarray(off));
  } catch { /* the server may close before reading everything */ }
  let text = "";
  let closed = false;
  const buf = new Uint8Array(65536);
  const deadline = Date.now() + ms;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        conn.read(buf),
        new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), left))),
      ]).finally(() => clearTimeout(timer));
      if (n === "timeout") break;
      if (n === null) {
        closed = true;
        break;
      }
      text += String.fromCharCode(...buf.subarray(0, n));
    }
  } catch {
    closed = true; // reset
  }
  try {
    conn.close();
  } catch { /* closed */ }
  return { text, closed };
}

const BIG = 64 * 1024 + 1;

/** Bad frames, each sent after two good commands and before one more. */
const BAD_FRAMES: [string, string, string][] = [
  ["negative bulk length", "*1\r\n$-5\r\n", "invalid bulk length"],
  ["non-numeric bulk length", "*1\r\n$abc\r\n", "invalid bulk length"],
  ["empty bulk length", "*2\r\n$4\r\nECHO\r\n$\r\n", "invalid bulk length"],
  ["10 GB bulk", "*1\r\n$10737418240\r\n", "invalid bulk length"],
  ["non-numeric multibulk length", "*abc\r\n", "invalid multibulk length"],
  ["multibulk length over INT_MAX", "*3000000000\r\n", "invalid multibulk length"],
  ["multibulk length beyond 64 bits", "*-99999999999999999999\r\n", "invalid multibulk length"],
  ["leading zero", "*01\r\n", "invalid multibulk length"],
  ["missing $", "*1\r\nx\r\n", "expected '$', got 'x'"],
  ["CR instead of $", "*2\r\n$4\r\nECHO\r\n\r\n", "expected '$', got ' '"],
  ["unbalanced double quote", 'SET "a b\r\n', "unbalanced quotes in request"],
  ["unbalanced single quote", "SET 'a\r\n", "unbalanced quotes in request"],
  ["text after closing quote", 'SET "a"b c\r\n', "unbalanced quotes in request"],
  ["too big inline request", "x".repeat(BIG), "too big inline request"],
  ["too big mbulk count string", "*" + "1".repeat(BIG), "too big mbulk count string"],
  ["too big bulk count string", "*1\r\n$" + "1".repeat(BIG), "too big bulk count string"],
];

for (const [name, frame, msg] of BAD_FRAMES) {
  Deno.test({
    name: `protocol error: ${name}`,
    ...opts,
    async fn() {
      const { respite, redis } = await sharedServers();
      const ports = [respite.port, ...(redis ? [redis.port] : [])];
      const results = [];
      for (const port of ports) {
        // A client connected before the bad one must keep working after.
        const other = await RawClient.connect(port);
        assertEquals(await other.command("PING"), "+PONG\r\n");
        // (An unterminated frame must end the packet: the next command's
        // CRLF would terminate it.)
        const after = msg.startsWith("too big") ? "" : mb("SET", "protokey", "w");
        const packet = "PING\r\n" + mb("SET", "protokey", "v") + frame + after;
        const r = await exchange(port, packet);
        results.push(r);
        // The command after the bad frame never ran.
        assertEquals(await other.command("GET", "protokey"), "$1\r\nv\r\n");
        assertEquals(await other.command("PING"), "+PONG\r\n");
        other.close();
      }
      const want = `+PONG\r\n+OK\r\n-ERR Protocol error: ${msg}\r\n`;
      assertEquals(results[0], { text: want, closed: true });
      if (results[1]) assertEquals(results[0], results[1], "redis-server differs");
    },
  });
}

/**
 * A database past the size from which the keys of a pipelined batch are
 * prefetched (the batch's commands parsed ahead of running them).
 */
const BIG_DB = "12";

async function fillBigDb(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    await c.call("SELECT", BIG_DB);
    if (Number(await c.call("DBSIZE")) >= 20000) return;
    const argv = ["MSET"];
    for (let i = 0; i < 20000; i++) argv.push(`pf:${i}`, String(i));
    assertEquals(await c.call(...argv), "OK");
  } finally {
    c.close();
  }
}

for (const [name, frame, msg] of BAD_FRAMES) {
  Deno.test({
    name: `protocol error in a batch parsed ahead (a large database): ${name}`,
    ...opts,
    async fn() {
      const { respite, redis } = await sharedServers();
      const results = [];
      for (const port of [respite.port, ...(redis ? [redis.port] : [])]) {
        await fillBigDb(port);
        const after = msg.startsWith("too big") ? "" : mb("SET", "pf:1", "w");
        const packet = mb("SELECT", BIG_DB) + mb("GET", "pf:1") + mb("SET", "pf:1", "v") + frame +
          after;
        results.push(await exchange(port, packet));
        // The commands before the bad frame ran, the one after it did not.
        const other = await RawClient.connect(port);
        await other.call("SELECT", BIG_DB);
        assertEquals(await other.call("GETSET", "pf:1", "1"), "v");
        other.close();
      }
      const want = `+OK\r\n$1\r\n1\r\n+OK\r\n-ERR Protocol error: ${msg}\r\n`;
      assertEquals(results[0], { text: want, closed: true });
      if (results[1]) assertEquals(results[0], results[1], "redis-server differs");
    },
  });
}

Deno.test({
  name: "protocol: a batch parsed ahead over a large database answers as redis-server, " +
    "across a transaction, CLIENT REPLY, SELECT, a blocked command and QUIT",
  ...opts,
  async fn() {
    const { respite, redis } = await sharedServers();
    const results = [];
    for (const port of [respite.port, ...(redis ? [redis.port] : [])]) {
      await fillBigDb(port);
      const c = await RawClient.connect(port);
      const other = await RawClient.connect(port);
      try {
        const cmds = [
          ["SELECT", BIG_DB],
          ["GET", "pf:5"],
          ["GET", "pf:none"],
          ["SET", "pf:new", "x"],
          ["GET", "pf:new"],
          ["INCR", "pf:7"],
          ["DEL", "pf:new"],
          ["EXISTS", "pf:new"],
          ["MULTI"],
          ["GET", "pf:8"],
          ["SET", "pf:9", "y"],
          ["EXEC"],
          ["CLIENT", "REPLY", "OFF"],
          ["GET", "pf:10"],
          ["CLIENT", "REPLY", "ON"],
          ["GET", "pf:11"],
          ["SELECT", "0"],
          ["GET", "pf:12"],
          ["SELECT", BIG_DB],
          ["MGET", "pf:13", "pf:9", "pf:none"],
          ["BLPOP", "pf:list", "0"],
          ["GET", "pf:14"],
          ["LPOP", "pf:list"],
          ["QUIT"],
          ["GET", "pf:15"],
        ];
        await c.write(cmds.map((a) => mb(...a)).join(""));
        const got: string[] = [];
        // Replies up to the blocked BLPOP (CLIENT REPLY OFF silences one).
        for (let i = 0; i < 18; i++) got.push((await c.read()).raw);
        assertEquals(await c.pending(200), [], "the BLPOP blocks the rest");
        await other.call("SELECT", BIG_DB);
        await other.call("RPUSH", "pf:list", "a", "b");
        for (let i = 0; i < 4; i++) got.push((await c.read()).raw);
        assertOk(await c.closedWithin(2000), "QUIT closes; the GET after it never runs");
        await other.call("SET", "pf:7", "7");
        await other.call("SET", "pf:9", "9");
        results.push(got);
      } finally {
        c.close();
        other.close();
      }
    }
    assertEquals(results[0]!.slice(0, 6), [
      "+OK\r\n",
      "$1\r\n5\r\n",
      "$-1\r\n",
      "+OK\r\n",
      "$1\r\nx\r\n",
      ":8\r\n",
    ]);
    assertEquals(results[0]!.slice(-4), [
      "*2\r\n$7\r\npf:list\r\n$1\r\na\r\n",
      "$2\r\n14\r\n",
      "$1\r\nb\r\n",
      "+OK\r\n",
    ]);
    if (results[1]) assertEquals(results[0], results[1], "redis-server differs");
  },
});

Deno.test({
  name: "protocol: the same good inputs give the same bytes as redis-server",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    const { respite, redis } = await sharedServers();
    const input = "\r\n\n  \r\n*0\r\n*-1\r\n" + `SET "a b" 'c d'\r\n` + 'GET "a b"\r\n' +
      `SET hex "\\x41\\x00\\xff\\n"\r\n` + mb("GET", "hex") + "GET   hex  \n" +
      "*1\r\n$4\r\nPINGxx" + mb("PING") + "*2\r\n$3\r\nGET\r\n$3\r\nhex\r\n";
    const ours = await exchange(respite.port, input, 500);
    const theirs = await exchange(redis!.port, input, 500);
    assertEquals(ours, theirs);
    assertEquals(
      ours.text,
      "+OK\r\n$3\r\nc d\r\n+OK\r\n$4\r\nA\x00\xff\n\r\n$4\r\nA\x00\xff\n\r\n" +
        "+PONG\r\n+PONG\r\n$4\r\nA\x00\xff\n\r\n",
    );
    assertEquals(ours.closed, false);
  },
});

Deno.test({
  name: "protocol: a 10 GB bulk header is refused without allocating",
  ...opts,
  async fn() {
    const { respite } = await sharedServers();
    const before = Deno.memoryUsage().rss;
    const r = await exchange(respite.port, "*2\r\n$3\r\nSET\r\n$10737418240\r\n");
    assertEquals(r, { text: "-ERR Protocol error: invalid bulk length\r\n", closed: true });
    // A bulk within proto-max-bulk-len (512 MB here) that never arrives
    // costs nothing either: the buffer grows with the bytes received.
    const c = await RawClient.connect(respite.port);
    await c.write("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\nabc");
    await new Promise((res) => setTimeout(res, 100));
    const grew = Deno.memoryUsage().rss - before;
    c.close();
    assertOk(grew < 64 * 1024 * 1024, `RSS grew by ${grew} bytes`);
  },
});

Deno.test({
  name: "protocol: 10,000 pipelined commands in one write, answered in order",
  ...opts,
  async fn() {
    const { respite } = await sharedServers();
    const c = await RawClient.connect(respite.port);
    const n = 10_000;
    let batch = "";
    for (let i = 0; i < n; i++) batch += mb("SET", `pipe:${i}`, `v${i}`);
    for (let i = 0; i < n; i++) batch += i % 2 ? mb("GET", `pipe:${i}`) : `GET pipe:${i}\r\n`;
    const writesBefore = respite.server.stats.netOutputBytes;
    await c.write(batch);
    for (let i = 0; i < n; i++) assertEquals((await c.read()).raw, "+OK\r\n");
    for (let i = 0; i < n; i++) {
      const v = `v${i}`;
      assertEquals((await c.read()).raw, `$${v.length}\r\n${v}\r\n`);
    }
    // Every reply byte was written, and nothing else.
    let expected = 5 * n;
    for (let i = 0; i < n; i++) expected += `$${`v${i}`.length}\r\nv${i}\r\n`.length;
    assertEquals(respite.server.stats.netOutputBytes - writesBefore, expected);
    c.close();
  },
});

Deno.test({
  name: "protocol: every byte value survives SET/GET; 5 MB values too",
  ...opts,
  async fn() {
    const { respite, redis } = await sharedServers();
    let every = "";
    for (let b = 0; b < 256; b++) every += String.fromCharCode(b);
    const big = every.repeat(5 * 4096); // 5 MB
    for (const port of [respite.port, ...(redis ? [redis.port] : [])]) {
      const c = await RawClient.connect(port);
      assertEquals(await c.command("SET", every, every), "+OK\r\n");
      assertEquals(await c.command("GET", every), `$256\r\n${every}\r\n`);
      const c1 = every.slice(0x80, 0xa0);
      assertEquals(await c.command("SET", c1, c1), "+OK\r\n");
      assertEquals(await c.command("GET", c1), `$32\r\n${c1}\r\n`);
      // A 5 MB value, written in small pieces with pauses.
      const frame = encodeCommand(["SET", "big", big]);
      for (let off = 0; off < frame.length; off += 700_000) {
        await c.write(frame.subarray(off, off + 700_000));
        await new Promise((r) => setTimeout(r, 2));
      }
      assertEquals((await c.read()).raw, "+OK\r\n");
      await c.write(encodeCommand(["GET", "big"]));
      // Read the reply straight off the socket (RawClient is for small ones).
      const head = `$${big.length}\r\n`;
      const want = bytes(head + big + "\r\n");
      const got = new Uint8Array(want.length);
      for (let off = 0; off < got.length;) {
        const n = await c.conn.read(got.subarray(off));
        assertOk(n !== null, "connection closed");
        off += n;
      }
      assertOk(got.every((b, i) => b === want[i]), "5 MB reply differs");
      c.close();
    }
  },
});
