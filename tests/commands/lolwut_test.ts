/**
 * LOLWUT (commands/lolwut.ts) against redis-server: byte for byte where
 * Redis's drawing does not depend on rand(), in shape where it does.
 *
 * @module
 */

import { diffTest, hasRedis, RawClient, sharedServers } from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

diffTest("LOLWUT: the version line, the deterministic drawings, errors", [
  ["LOLWUT"],
  ["LOLWUT", "foo"],
  ["LOLWUT", "VERSION"],
  ["LOLWUT", "version", "7"],
  ["LOLWUT", "VERSION", "1", "2", "3"],
  ["LOLWUT", "VERSION", "-1"],
  ["LOLWUT", "VERSION", "x"],
  ["LOLWUT", "VERSION", "99999999999999999999"],
  // Schotter: the first two rows of squares are never displaced.
  ["LOLWUT", "VERSION", "5", "66", "8", "2"],
  ["LOLWUT", "VERSION", "5", "10", "1", "1"],
  ["LOLWUT", "VERSION", "5", "3", "2", "1"],
  ["LOLWUT", "VERSION", "5", "2", "1", "1"],
  ["LOLWUT", "VERSION", "5", "1", "1", "1"],
  ["LOLWUT", "VERSION", "5", "-5", "-5", "-5"],
  ["LOLWUT", "VERSION", "5", "2000", "300", "2"],
  ["LOLWUT", "VERSION", "5", "37", "7", "2", "extra"],
  ["LOLWUT", "VERSION", "4294967301", "20", "3", "2"],
  ["LOLWUT", "VERSION", "5", "x"],
  ["LOLWUT", "VERSION", "5", "10", "y"],
  ["LOLWUT", "VERSION", "5", "10", "2", "z"],
  // The skyline: a one-row canvas has no building tall enough to show.
  ["LOLWUT", "VERSION", "6", "80", "1"],
  ["LOLWUT", "VERSION", "6", "0", "0"],
  ["LOLWUT", "VERSION", "6", "x"],
  ["LOLWUT", "VERSION", "6", "10", "y"],
  { cmd: ["HELLO", "3"], shapeOnly: true },
  ["LOLWUT"],
  ["LOLWUT", "VERSION", "5", "20", "4", "2"],
]);

/** A drawing's lines as their lengths in characters, the caption kept. */
function shape(text: string): (number | string)[] {
  const lines = new TextDecoder().decode(Uint8Array.from(text, (c) => c.charCodeAt(0)))
    .split("\n");
  // Skyline rows count their cells (one escape sequence each), whatever the gray.
  return lines.map((l) => {
    const bare = l.replace(/\x1b\[[0-9;]*m/g, "");
    return /[a-z]/i.test(bare) ? l : [...bare].length;
  });
}

Deno.test({
  name: "LOLWUT: the random drawings have Redis's size and caption",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    for (
      const argv of [
        ["LOLWUT", "VERSION", "5"],
        ["LOLWUT", "VERSION", "5", "40", "6", "9"],
        ["LOLWUT", "VERSION", "6"],
        ["LOLWUT", "VERSION", "6", "33", "17"],
      ]
    ) {
      const shapes = [];
      for (const port of [respite.port, redis!.port]) {
        const c = await RawClient.connect(port);
        try {
          shapes.push(shape(String(await c.call(...argv))));
        } finally {
          c.close();
        }
      }
      assertEquals(shapes[0], shapes[1], argv.join(" "));
    }
  },
});
