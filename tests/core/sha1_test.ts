/** core/sha1.ts against node:crypto, over every padding case. */

import { createHash } from "node:crypto";
import { assertEquals } from "../_assert.ts";
import { sha1 } from "../../core/sha1.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

Deno.test("sha1: bytes and byte strings of 0-300 bytes match node:crypto", () => {
  const out = new Uint8Array(20);
  for (let n = 0; n <= 300; n++) {
    const data = new Uint8Array(n);
    for (let i = 0; i < n; i++) data[i] = (i * 131 + n * 7) & 255;
    const want = createHash("sha1").update(data).digest("hex");
    sha1(data, out);
    assertEquals(hex(out), want, `bytes, n=${n}`);
    sha1(String.fromCharCode(...data), out);
    assertEquals(hex(out), want, `string, n=${n}`);
  }
  sha1("abc", out);
  assertEquals(hex(out), "a9993e364706816aba3e25717850c26c9cd0d89d");
});

Deno.test("sha1: the output may be the input", () => {
  const d = new Uint8Array(20).map((_, i) => i * 13);
  const want = createHash("sha1").update(d).digest("hex");
  sha1(d, d);
  assertEquals(hex(d), want);
});
