/**
 * The listening sockets as configuration: CONFIG SET `port` and `bind`
 * rebind at run time (and keep the old sockets when the new ones cannot be
 * bound, answering as Redis does), and `unixsocket` / `unixsocketperm`
 * serve redis-cli `-s` and ioredis `path`.
 */

import { join } from "node:path";
import { Redis } from "ioredis";
import {
  freePort,
  hasRedis,
  hasRedisCli,
  RawClient,
  type Reply,
  startRealRedis,
  startRespite,
  startRespiteProc,
} from "../_helpers.ts";
import { assertEquals, assertMatch, assertOk } from "../_assert.ts";

/** Whether something accepts connections on 127.0.0.1:port. */
async function listening(port: number, hostname = "127.0.0.1"): Promise<boolean> {
  try {
    (await Deno.connect({ hostname, port })).close();
    return true;
  } catch {
    return false;
  }
}

/** Whether this machine has a usable IPv6 loopback. */
const hasIpv6 = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
})();

Deno.test("CONFIG SET port listens on the new port and closes the old one", async () => {
  const s = await startRespite();
  const old = s.port;
  const c = await RawClient.connect(old);
  try {
    const next = freePort();
    assertEquals(await c.call("CONFIG", "SET", "port", String(next)), "OK");
    assertEquals(await c.call("CONFIG", "GET", "port"), ["port", String(next)]);
    assertEquals(s.server.port, next);
    assertOk(await listening(next));
    assertOk(!(await listening(old)));
    // The connection that asked stays served.
    assertEquals(await c.call("PING"), "PONG");
    // A port in use: Redis's reason, and the current port stays.
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const p = String((busy.addr as Deno.NetAddr).port);
      assertEquals(await c.call("CONFIG", "SET", "port", p), {
        error:
          "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.",
      });
    } finally {
      busy.close();
    }
    assertEquals(await c.call("CONFIG", "GET", "port"), ["port", String(next)]);
    assertOk(await listening(next));
  } finally {
    c.close();
    await s.close();
  }
});

/** The replies of a CONFIG SET bind session, on a server listening on `port`. */
async function bindSession(port: number): Promise<Reply[]> {
  const c = await RawClient.connect(port);
  const out: Reply[] = [];
  try {
    // An address this machine does not have (TEST-NET-1): the old sockets stay.
    out.push(await c.call("CONFIG", "SET", "bind", "192.0.2.1"));
    out.push(await c.call("CONFIG", "GET", "bind"));
    out.push(await listening(port));
    out.push(await c.call("CONFIG", "SET", "bind", "-192.0.2.1 127.0.0.1"));
    out.push(await c.call("CONFIG", "GET", "bind"));
    out.push(await listening(port));
    out.push(await c.call("CONFIG", "SET", "bind", Array(17).fill("127.0.0.1").join(" ")));
    out.push(await c.call("CONFIG", "SET", "bind", "127.0.0.1"));
    out.push(await listening(port));
  } finally {
    c.close();
  }
  return out;
}

Deno.test({
  name: "diff: CONFIG SET bind rebinds, and keeps the old addresses when one fails",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ bind: "127.0.0.1" });
    const real = await startRealRedis();
    try {
      const ours = await bindSession(s.port);
      const theirs = await bindSession(real.port);
      assertEquals(ours, theirs);
      assertEquals(ours[0], {
        error:
          "ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.",
      });
    } finally {
      await s.close();
      await real.stop();
    }
  },
});

Deno.test({
  name: "CONFIG SET bind adds and drops addresses",
  ignore: !hasIpv6,
  async fn() {
    const s = await startRespite({ bind: "127.0.0.1" });
    const c = await RawClient.connect(s.port);
    try {
      assertOk(!(await listening(s.port, "::1")));
      assertEquals(await c.call("CONFIG", "SET", "bind", "127.0.0.1 ::1"), "OK");
      assertOk(await listening(s.port, "::1"));
      assertEquals(await c.call("CONFIG", "SET", "bind", "::1"), "OK");
      assertOk(!(await listening(s.port)));
      assertOk(await listening(s.port, "::1"));
      assertEquals(await c.call("PING"), "PONG");
    } finally {
      c.close();
      await s.close();
    }
  },
});

/** Runs redis-cli with `args`; its output. */
async function cli(args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", { args, stdout: "piped", stderr: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}

Deno.test({
  name: "unixsocket: redis-cli -s and ioredis path, unixsocketperm, removed at shutdown",
  ignore: !hasRedisCli,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-unix-" });
    const sock = join(dir, "respite.sock");
    const p = await startRespiteProc(["--unixsocket", sock, "--unixsocketperm", "700"], { dir });
    try {
      assertEquals((await cli(["-s", sock, "PING"])).trim(), "PONG");
      assertEquals((await cli(["-s", sock, "SET", "k", "v"])).trim(), "OK");
      assertEquals(Deno.statSync(sock).mode! & 0o777, 0o700);
      // Its clients are local, named by the socket's path, flagged U.
      assertMatch(
        await cli(["-s", sock, "CLIENT", "INFO"]),
        new RegExp(`addr=${sock}:0 laddr=${sock}:0 .* flags=U `),
      );
      assertEquals(
        (await cli(["-s", sock, "CONFIG", "GET", "unix*"])).trim().split("\n"),
        ["unixsocket", sock, "unixsocketperm", "700"],
      );
      const r = new Redis({ path: sock, lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await r.connect();
        assertEquals(await r.get("k"), "v");
        assertEquals(await r.incr("n"), 1);
      } finally {
        r.disconnect();
      }
      assertEquals((await cli(["-s", sock, "SHUTDOWN", "NOSAVE"])).trim(), "");
      assertEquals(await p.exited(5000), 0);
      assertMatch(p.log(), /Removing the unix socket file\./);
      assertOk(!(await Deno.stat(sock).then(() => true, () => false)), "socket file left");
    } finally {
      await p.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "diff: a Unix socket client's address is the socket's path, as in Redis",
  ignore: !hasRedis || !hasRedisCli,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-unix-" });
    const ours = join(dir, "ours.sock"), theirs = join(dir, "theirs.sock");
    const p = await startRespiteProc(["--unixsocket", ours], { dir });
    const real = await startRealRedis(["--unixsocket", theirs]);
    try {
      const fields = async (sock: string) => {
        const info = await cli(["-s", sock, "CLIENT", "INFO"]);
        return /addr=(\S+) laddr=(\S+)/.exec(info)!.slice(1).map((a) => a.replace(sock, "SOCK"));
      };
      assertEquals(await fields(ours), await fields(theirs));
      assertEquals(
        (await cli(["-s", ours, "CONFIG", "GET", "unixsocketperm"])).trim(),
        (await cli(["-s", theirs, "CONFIG", "GET", "unixsocketperm"])).trim(),
      );
    } finally {
      await p.stop();
      await real.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** Whether `cmd` runs. */
function has(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "CONFIG SET tls-port opens TLS at run time; a bad certificate keeps the old one",
  ignore: !hasRedisCli || !has("openssl", ["version"]),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-tls-" });
    const cert = join(dir, "cert.pem"), key = join(dir, "key.pem");
    const made = await new Deno.Command("openssl", {
      args: [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert],
        ...["-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assertOk(made.success);
    const s = await startRespite({
      config: { "tls-cert-file": cert, "tls-key-file": key, "tls-auth-clients": "no" },
    });
    const c = await RawClient.connect(s.port);
    const tlsPing = (port: number) =>
      cli(["--tls", "--cacert", cert, "-p", String(port), "PING"]).then((o) => o.trim());
    try {
      const port = freePort();
      assertEquals(await c.call("CONFIG", "SET", "tls-port", String(port)), "OK");
      assertEquals(await tlsPing(port), "PONG");
      // A certificate that cannot be read: Redis's reason; TLS goes on.
      assertEquals(await c.call("CONFIG", "SET", "tls-cert-file", join(dir, "none.pem")), {
        error:
          "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.",
      });
      assertEquals(await c.call("CONFIG", "GET", "tls-cert-file"), ["tls-cert-file", cert]);
      assertEquals(await tlsPing(port), "PONG");
      // The same files again: reloaded on the same port.
      assertEquals(await c.call("CONFIG", "SET", "tls-key-file", key, "tls-cert-file", cert), "OK");
      assertEquals(await c.call("CONFIG", "SET", "tls-session-caching", "no"), "OK");
      assertEquals(await tlsPing(port), "PONG");
      assertEquals(await c.call("CONFIG", "SET", "tls-port", "0"), "OK");
      assertOk(!(await listening(port)));
    } finally {
      c.close();
      await s.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("CONFIG SET bind from an address to the wildcard and back waits for the old socket", async () => {
  const s = await startRespite({ bind: "127.0.0.1" });
  const c = await RawClient.connect(s.port);
  try {
    assertEquals(await c.call("CONFIG", "SET", "bind", "*"), "OK");
    assertEquals(await c.call("CONFIG", "GET", "bind"), ["bind", "*"]);
    assertOk(await listening(s.port));
    assertEquals(await c.call("CONFIG", "SET", "bind", "127.0.0.1"), "OK");
    assertOk(await listening(s.port));
    // Inside EXEC the answer comes at once, in its place in EXEC's reply.
    assertEquals(await c.call("MULTI"), "OK");
    assertEquals(await c.call("CONFIG", "SET", "bind", "127.0.0.1 -192.0.2.1"), "QUEUED");
    assertEquals(await c.call("PING"), "QUEUED");
    assertEquals(await c.call("EXEC"), ["OK", "PONG"]);
    assertEquals(await c.call("CONFIG", "GET", "bind"), ["bind", "127.0.0.1 -192.0.2.1"]);
  } finally {
    c.close();
    await s.close();
  }
});
