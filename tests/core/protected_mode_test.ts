/**
 * Protected mode: with no password for the default user, clients from any
 * address but 127.0.0.1 and ::1 get Redis 7.0's DENIED error and are
 * closed. The remote case connects to the machine's own non-loopback
 * address (the server binds 0.0.0.0), so the peer address is not loopback;
 * on a machine with loopback only, that part is skipped and the decision
 * function is tested alone.
 *
 * @module
 */

import { PROTECTED_MODE_DENIED, protectedModeRefuses } from "../../core/connection.ts";
import { assertEquals, assertOk } from "../_assert.ts";
import { hasRedis, RawClient, startRealRedis, startRespite } from "../_helpers.ts";

/** A non-loopback IPv4 address of this machine, if any. */
function externalAddress(): string | undefined {
  try {
    return Deno.networkInterfaces().find((i) =>
      i.family === "IPv4" && !i.address.startsWith("127.")
    )?.address;
  } catch {
    return undefined;
  }
}

const external = externalAddress();

/** Everything the server sends until it closes the connection. */
async function readAll(hostname: string, port: number, send: string): Promise<string> {
  const conn = await Deno.connect({ hostname, port });
  try {
    // The DENIED reply comes unasked; writing to a closing socket could
    // turn its close into a reset that discards it.
    if (send !== "") await conn.write(new TextEncoder().encode(send));
    let out = "";
    const buf = new Uint8Array(4096);
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) return out;
      out += String.fromCharCode(...buf.subarray(0, n));
      if (!out.startsWith("-DENIED") && out.endsWith("\r\n")) return out;
    }
    throw new Error("the server neither replied nor closed");
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

Deno.test("protected mode: the decision is Redis 7.0's", () => {
  assertEquals(protectedModeRefuses(true, true, "192.0.2.7"), true);
  assertEquals(protectedModeRefuses(true, true, "10.1.2.3"), true);
  assertEquals(protectedModeRefuses(true, true, "fe80::1"), true);
  // Redis compares the address text: only these two are local.
  assertEquals(protectedModeRefuses(true, true, "127.0.0.1"), false);
  assertEquals(protectedModeRefuses(true, true, "::1"), false);
  assertEquals(protectedModeRefuses(true, true, "127.0.0.2"), true);
  // A password, or protected mode off, lets everyone in.
  assertEquals(protectedModeRefuses(true, false, "192.0.2.7"), false);
  assertEquals(protectedModeRefuses(false, true, "192.0.2.7"), false);
});

Deno.test({
  name: "protected mode: a remote client gets DENIED and is closed; loopback is served",
  ignore: external === undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite({ bind: "0.0.0.0" });
    try {
      const before = s.server.stats.rejectedConnections;
      assertEquals(await readAll(external!, s.port, ""), PROTECTED_MODE_DENIED);
      assertEquals(s.server.stats.rejectedConnections, before + 1);
      assertEquals(await readAll("127.0.0.1", s.port, "PING\r\n"), "+PONG\r\n");
      // A password opens the door (AUTH is then required, as usual).
      s.server.config.set("requirepass", "pw");
      assertEquals(
        await readAll(external!, s.port, "PING\r\n"),
        "-NOAUTH Authentication required.\r\n",
      );
      s.server.config.set("requirepass", "");
      assertOk((await readAll(external!, s.port, "")).startsWith("-DENIED"));
      // So does CONFIG SET protected-mode no, from loopback.
      const local = await RawClient.connect(s.port);
      assertEquals(await local.call("CONFIG", "SET", "protected-mode", "no"), "OK");
      assertEquals(await readAll(external!, s.port, "PING\r\n"), "+PONG\r\n");
      local.close();
    } finally {
      await s.close();
    }
  },
});

Deno.test({
  name: "protected mode: the DENIED reply is byte for byte redis-server's",
  ignore: external === undefined || !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const real = await startRealRedis(["--bind", "0.0.0.0"]);
    try {
      assertEquals(await readAll(external!, real.port, ""), PROTECTED_MODE_DENIED);
      assertEquals(await readAll("127.0.0.1", real.port, "PING\r\n"), "+PONG\r\n");
    } finally {
      await real.stop();
    }
  },
});
