/**
 * SCAN's guarantee under concurrent writes, over TCP.
 *
 * @module
 */

import { RawClient, startRespite } from "../_helpers.ts";
import { assertEquals, assertOk } from "../_assert.ts";

Deno.test({
  name: "SCAN COUNT 7 returns every stable key exactly once while keys come and go",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    const w = await RawClient.connect(s.port);
    const db = s.server.keyspace.db(0);
    for (let i = 0; i < 1000; i++) db.set(`stable:${i}`, "v");
    for (let i = 0; i < 200; i++) db.set(`temp:${i}`, "v");
    const seen = new Map<string, number>();
    let cursor = "0";
    let calls = 0;
    let added = 0;
    do {
      const [next, keys] = await c.call("SCAN", cursor, "COUNT", "7") as [string, string[]];
      calls++;
      assertOk(keys.length <= 7);
      for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
      cursor = next;
      // Another client deletes temporary keys and adds new ones meanwhile.
      if (calls <= 100) {
        assertEquals(await w.call("DEL", `temp:${calls * 2 - 2}`, `temp:${calls * 2 - 1}`), 2);
        await w.call("SET", `new:${added++}`, "v");
      }
    } while (cursor !== "0");
    for (let i = 0; i < 1000; i++) {
      assertEquals(seen.get(`stable:${i}`), 1, `stable:${i}`);
    }
    for (const [k, n] of seen) assertEquals(n, 1, `${k} returned ${n} times`);
    // Temporary keys sit after the stable ones and were all deleted before
    // the scan reached them: none is returned.
    assertEquals([...seen.keys()].filter((k) => k.startsWith("temp:")), []);
    // Keys added during the scan were (a Map iterator reaches appended keys).
    assertEquals([...seen.keys()].filter((k) => k.startsWith("new:")).length, added);
    assertOk(calls >= Math.ceil(1000 / 7), `calls ${calls}`);

    // Independent scans interleave; MATCH and TYPE filter a page, not the
    // count of keys examined; a cursor from another database ends the scan.
    const a = await c.call("SCAN", "0", "COUNT", "5", "MATCH", "stable:1*") as [string, string[]];
    const b = await w.call("SCAN", "0", "COUNT", "5") as [string, string[]];
    assertOk(a[0] !== "0" && b[0] !== "0" && a[0] !== b[0]);
    assertEquals(await w.call("SELECT", "1"), "OK");
    assertEquals(await w.call("SCAN", a[0]), ["0", []]);
    assertEquals(await c.call("SCAN", "424242"), ["0", []]);
    c.close();
    w.close();
    await s.close();
  },
});
