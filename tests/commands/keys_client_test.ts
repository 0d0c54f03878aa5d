/**
 * The generic key commands through ioredis over TCP.
 *
 * @module
 */

import { Redis } from "ioredis";
import { startRespite } from "../_helpers.ts";
import { assertEquals, assertOk, assertRejects } from "../_assert.ts";

Deno.test({
  name: "ioredis: generic key commands and scanStream",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const io = new Redis({ port: s.port, lazyConnect: true, enableReadyCheck: false });
    await io.connect();
    try {
      const db = s.server.keyspace.db(0);
      for (let i = 0; i < 500; i++) db.set(`user:${i}`, String(i));
      for (let i = 0; i < 50; i++) db.set(`other:${i}`, "x");

      // scanStream walks the cursor to 0; every key comes exactly once.
      const seen: string[] = [];
      const stream = io.scanStream({ match: "user:*", count: 13 });
      for await (const page of stream) seen.push(...(page as string[]));
      assertEquals(seen.length, 500);
      assertEquals(new Set(seen).size, 500);
      assertOk(seen.every((k) => k.startsWith("user:")));

      const typed: string[] = [];
      for await (const page of io.scanStream({ type: "string", count: 100 })) {
        typed.push(...(page as string[]));
      }
      assertEquals(typed.length, 550);

      assertEquals(await io.exists("user:1", "user:1", "nope"), 2);
      assertEquals(await io.type("user:1"), "string");
      assertEquals(await io.type("nope"), "none");
      assertEquals((await io.keys("other:1?")).sort(), [
        "other:10",
        "other:11",
        "other:12",
        "other:13",
        "other:14",
        "other:15",
        "other:16",
        "other:17",
        "other:18",
        "other:19",
      ]);
      assertEquals(await io.del("other:1", "other:2", "nope"), 2);
      assertEquals(await io.unlink("other:3"), 1);
      assertEquals(await io.touch("user:2", "nope"), 1);

      assertEquals(await io.expire("user:1", 100), 1);
      assertEquals(await io.ttl("user:1"), 100);
      const pttl = await io.pttl("user:1");
      assertOk(pttl > 99_000 && pttl <= 100_000, `pttl ${pttl}`);
      assertEquals(await io.expire("user:1", 50, "GT"), 0);
      assertEquals(await io.pexpireat("user:1", 4_000_000_000_000), 1);
      assertEquals(await io.expiretime("user:1"), 4_000_000_000);
      assertEquals(await io.persist("user:1"), 1);
      assertEquals(await io.ttl("user:1"), -1);
      assertEquals(await io.ttl("nope"), -2);

      assertEquals(await io.rename("user:1", "renamed"), "OK");
      await assertRejects(() => io.rename("user:1", "x"), /ERR no such key/);
      assertEquals(await io.renamenx("renamed", "user:2"), 0);
      assertEquals(await io.copy("renamed", "copied"), 1);
      assertEquals(await io.get("copied"), "1");
      assertEquals(await io.move("copied", 5), 1);
      assertEquals(await io.exists("copied"), 0);
      await assertRejects(() => io.move("renamed", 0), /source and destination/);
      assertEquals(await io.object("ENCODING", "renamed"), "int");
      assertEquals(await io.object("REFCOUNT", "renamed"), 2147483647);
      assertEquals(await io.object("ENCODING", "nope"), null);

      const k = await io.randomkey();
      assertOk(k !== null && (await io.exists(k)) === 1);
      await assertRejects(() => io.call("SCAN", "abc"), /ERR invalid cursor/);
    } finally {
      io.disconnect();
      await s.close();
    }
  },
});
