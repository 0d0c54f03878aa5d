/**
 * Message frames (plugins/pubsub/_frames.ts): frames encoded one after the
 * other into the shared scratch buffer, reusing the channel part of the
 * one before, are byte for byte what a fresh encoding gives, in both
 * protocol versions, whatever the kind, channel and message sizes.
 *
 * @module
 */

import { encodeFrame, Frame } from "../../plugins/pubsub/_frames.ts";
import { assertEquals } from "../_assert.ts";

Deno.test("pubsub frames: consecutive frames sharing or not their channel encode as fresh ones", () => {
  const big = "m".repeat(3000);
  const sequence: string[][] = [
    ["message", "ch", "hi"],
    ["message", "ch", "a longer message"],
    ["message", "ch", ""],
    ["message", "other", "hi"],
    ["pmessage", "o*", "other", "hi"],
    ["message", "other", "x".repeat(120)],
    ["message", "other", big],
    ["message", "other", "hi"],
    ["smessage", "other", "hi"],
    ["message", "\x00\xff\x80", "\x9f"],
    ["message", "\x00\xff\x80", "\x9f\x00"],
  ];
  for (const parts of sequence) {
    const f = new Frame(parts);
    const want = encodeFrame(parts);
    assertEquals(Array.from(f.bytes(2)), Array.from(want), JSON.stringify(parts));
    want[0] = 62; // ">": the RESP3 push
    assertEquals(Array.from(f.bytes(3)), Array.from(want), JSON.stringify(parts));
  }
});
