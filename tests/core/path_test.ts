/** core/path.ts against node:path (POSIX), over awkward paths. */

import * as node from "node:path";
import { assertEquals } from "../_assert.ts";
import { dirname, isAbsolute, join, resolve } from "../../core/path.ts";

const SAMPLES = [
  ...["", ".", "..", "/", "//", "///a", "a", "a/", "/a/b/", "a/./b", "a/../b", "../../a"],
  ...["/../a", "a/b/../../..", "./a/", "/a//b///c", "a/..", "a/../", "/a/b/c/..", "..a/b"],
  ...["a/...", "/x/.hidden", "foo/bar/../baz/./", "//a/b", "a//", "dump.rdb", "../", "./"],
];

Deno.test({
  name: "path: join, resolve, dirname and isAbsolute match node:path",
  ignore: Deno.build.os === "windows",
  fn() {
    for (const a of SAMPLES) {
      assertEquals(isAbsolute(a), node.isAbsolute(a), `isAbsolute(${a})`);
      assertEquals(dirname(a), node.dirname(a), `dirname(${a})`);
      assertEquals(resolve(a), node.resolve(a), `resolve(${a})`);
      for (const b of SAMPLES) {
        assertEquals(join(a, b), node.join(a, b), `join(${a}, ${b})`);
        assertEquals(join(a, b, "c"), node.join(a, b, "c"), `join(${a}, ${b}, c)`);
        assertEquals(resolve(a, b), node.resolve(a, b), `resolve(${a}, ${b})`);
      }
    }
  },
});
