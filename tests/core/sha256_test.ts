/** core/sha256.ts against node:crypto, over every padding case. */

import { createHash } from "node:crypto";
import { assertEquals } from "../_assert.ts";
import { sha256hex } from "../../core/sha256.ts";

Deno.test("sha256: byte strings of 0-300 bytes match node:crypto", () => {
  for (let n = 0; n <= 300; n++) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = (i * 131 + n * 7) & 255;
    const want = createHash("sha256").update(data).digest("hex");
    assertEquals(sha256hex(String.fromCharCode(...data)), want, `n=${n}`);
  }
});
