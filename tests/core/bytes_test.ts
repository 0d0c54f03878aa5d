/**
 * The byte-string conversions the parser uses: the cache of recent
 * arguments must give back exactly the bytes read, whichever byte of a
 * cached argument differs (it compares four bytes at a time, then the
 * rest) and whatever the bytes are (0x80-0x9F included).
 */

import { bytesToString, commandNameToString, recentBytesToString } from "../../core/resp/bytes.ts";
import { assertEquals } from "../_assert.ts";
import { prng } from "../_helpers.ts";

Deno.test("bytes: recentBytesToString gives the bytes read, each byte of a cached one changed", () => {
  const rand = prng(7);
  const buf = new Uint8Array(1024);
  for (const len of [2, 3, 4, 5, 7, 8, 15, 16, 17, 20, 31, 64, 255, 256, 257]) {
    const at = 3 + (len % 5); // an odd offset: words read unaligned
    for (let i = 0; i < len; i++) buf[at + i] = Math.floor(rand() * 256);
    const want = bytesToString(buf, at, at + len);
    // Seen twice: cached; a third time: from the cache.
    recentBytesToString(buf, at, at + len);
    recentBytesToString(buf, at, at + len);
    assertEquals(recentBytesToString(buf, at, at + len), want);
    for (let pos = 0; pos < len; pos++) {
      const old = buf[at + pos]!;
      buf[at + pos] = old ^ 0x81;
      assertEquals(
        recentBytesToString(buf, at, at + len),
        bytesToString(buf, at, at + len),
        `length ${len}, byte ${pos} changed`,
      );
      buf[at + pos] = old;
      assertEquals(recentBytesToString(buf, at, at + len), want, `length ${len}, byte ${pos} back`);
    }
  }
});

Deno.test("bytes: recentBytesToString compares across buffers", () => {
  const a = new TextEncoder().encode("..key:000000012345..");
  const b = new TextEncoder().encode("key:000000012345");
  const c = new TextEncoder().encode("...key:000000012346");
  const s = recentBytesToString(a, 2, 18);
  recentBytesToString(a, 2, 18);
  assertEquals(recentBytesToString(b, 0, 16), s);
  assertEquals(recentBytesToString(c, 3, 19), "key:000000012346");
  assertEquals(recentBytesToString(a, 2, 18), "key:000000012345");
});

Deno.test("bytes: bytesToString keeps every byte at every length of each path", () => {
  // Direct calls up to 32 bytes, a kept array up to 64, a subarray up to
  // 8 KB, chunks beyond: each byte read back, 0x80-0x9F included.
  const rand = prng(11);
  const buf = new Uint8Array(20000);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rand() * 256);
  for (const len of [...Array(70).keys(), 8191, 8192, 8193, 19990]) {
    const at = 5 + (len % 3);
    const s = bytesToString(buf, at, at + len);
    assertEquals(s.length, len, `length ${len}`);
    for (let i = 0; i < len; i++) {
      if (s.charCodeAt(i) !== buf[at + i]) {
        assertEquals(s.charCodeAt(i), buf[at + i], `length ${len}, byte ${i}`);
      }
    }
  }
});

Deno.test("bytes: commandNameToString gives the name read, whatever the cache holds", () => {
  // Names that share a set, names that differ in one byte, bytes above
  // 0x7F, and the lengths around the cached limit, interleaved so each
  // lookup meets what the others left.
  const names = ["PING", "MULTI", "ping", "HSET", "HGET", "HSET", "EXEC", "GET", "SET"];
  const rand = prng(7);
  for (let i = 0; i < 200; i++) {
    const len = [1, 2, 31, 32, 33][i % 5]!;
    names.push(String.fromCharCode(...Array.from({ length: len }, () => Math.floor(rand() * 256))));
  }
  for (let round = 0; round < 3; round++) {
    for (const [i, name] of names.entries()) {
      const buf = new Uint8Array(name.length + 2);
      for (let j = 0; j < name.length; j++) buf[j + 1] = name.charCodeAt(j);
      assertEquals(commandNameToString(buf, 1, name.length + 1), name, `name ${i}`);
      assertEquals(commandNameToString(buf, 1, name.length + 1), name, `name ${i} again`);
    }
  }
});
