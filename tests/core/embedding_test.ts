/**
 * Embedding from outside the repository: a script in a directory of its
 * own imports `mod.ts` by absolute path, with no import map and no config
 * file, and runs a server. Every import the server makes must then be
 * self-contained (a relative path, or a full `npm:` specifier).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { assertEquals } from "../_assert.ts";
import { START_PERMS } from "../_helpers.ts";

const MOD = new URL("../../mod.ts", import.meta.url).href;
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test({
  name: "embedding: a script outside the repository imports mod.ts and serves PING",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "respite-embed-" });
    try {
      if (dir.startsWith(ROOT)) throw new Error(`${dir} is inside the repository`);
      await Deno.writeTextFile(
        `${dir}/embed.ts`,
        `import { startServer } from ${JSON.stringify(MOD)};
const s = await startServer({ port: 0, logger: () => {} });
const conn = await Deno.connect({ port: s.port });
await conn.write(new TextEncoder().encode("PING\\r\\n"));
const buf = new Uint8Array(64);
let got = "";
while (!got.endsWith("\\r\\n")) {
  const n = await conn.read(buf);
  if (n === null) break;
  got += new TextDecoder().decode(buf.subarray(0, n));
}
conn.close();
await s.close();
console.log(JSON.stringify(got));
`,
      );
      // The permissions `deno task start` grants; the script's directory has
      // no deno.json, so none is used.
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...START_PERMS, "embed.ts"],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, stderr);
      assertEquals(new TextDecoder().decode(out.stdout).trim(), JSON.stringify("+PONG\r\n"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
