/** The snapshot's log of written keys: bounded tables behave as one set. */

import { assertEquals } from "../_assert.ts";
import { KeyLog } from "../../plugins/rdb/_snapshot.ts";

Deno.test("rdb snapshot: KeyLog answers across its chunks and clears", () => {
  const log = new KeyLog();
  const n = KeyLog.CHUNK * 3 + 5;
  for (let i = 0; i < n; i++) log.add(`k${i}`);
  let found = 0;
  for (let i = 0; i < n; i++) if (log.has(`k${i}`)) found++;
  assertEquals(found, n);
  assertEquals(log.size, n);
  log.add("k7"); // already there: counted once
  assertEquals(log.size, n);
  assertEquals(log.has(`k${n}`), false);
  assertEquals(log.has("\x80\x9f"), false);
  log.add("\x80\x9f");
  assertEquals(log.has("\x80\x9f"), true);
  log.clear();
  assertEquals(log.size, 0);
  assertEquals(log.has("k0"), false);
  assertEquals(log.has(`k${n - 1}`), false);
});
