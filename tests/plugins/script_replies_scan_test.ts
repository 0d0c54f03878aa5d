/**
 * No JS exception reaches a client from a script or a function: the
 * scripting and functions test suites (every `scripting*_test.ts` and
 * `functions*_test.ts` here, and the BullMQ test) run again, each in a
 * `deno test` of its own as it runs alone, with every byte the Respite
 * servers they start send to their clients scanned for a JS exception's
 * text (`RESPITE_REPLY_SCAN`, see the test helpers); the test fails if
 * any is found.
 */

import { assertEquals } from "../_assert.ts";

const here = new URL(".", import.meta.url);
const suites = [...Deno.readDirSync(here)]
  .map((e) => e.name)
  .filter((n) => /^(scripting|functions).*_test\.ts$/.test(n))
  .sort()
  .map((n) => new URL(n, here).pathname);
suites.push(new URL("../bullmq_test.ts", here).pathname);

Deno.test({
  name: "scripts and functions: no reply of their suites carries a JS exception's text",
  sanitizeResources: false,
  async fn() {
    assertEquals(suites.length >= 5, true, "the suites were found");
    const file = await Deno.makeTempFile({ prefix: "respite-reply-scan-" });
    try {
      for (const suite of suites) {
        await new Deno.Command(Deno.execPath(), {
          args: ["test", "--allow-all", suite],
          env: { RESPITE_REPLY_SCAN: file },
          stdout: "null",
          stderr: "null",
        }).output();
      }
      const found = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
      assertEquals(found.slice(0, 20), []);
    } finally {
      await Deno.remove(file);
    }
  },
});
