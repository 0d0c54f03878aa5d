import { Redis } from "ioredis";
import { createClient } from "redis";
import { startRespite } from "./_helpers.ts";
import { assertEquals } from "./_assert.ts";

Deno.test({
  name: "ioredis and node-redis connect",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    await io.connect();
    assertEquals(await io.ping(), "PONG");
    await io.set("k", "v");
    assertEquals(await io.get("k"), "v");
    io.disconnect();
    const nr = createClient({ socket: { port: s.port } });
    await nr.connect();
    assertEquals(await nr.get("k"), "v");
    await nr.disconnect();
    await s.close();
  },
});
