/**
 * MODULE, differentially against redis-server: LIST is empty; LOAD,
 * LOADEX and UNLOAD are refused without `enable-module-command`; with it,
 * LOAD and LOADEX fail with Redis's error after logging why, and UNLOAD
 * finds nothing.
 */

import {
  diffTest,
  hasRedis,
  RawClient,
  type Reply,
  spawnServer,
  startRealRedis,
  startRespiteProc,
} from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

diffTest("module: LIST is empty; loading is refused without enable-module-command", [
  ["MODULE", "HELP"],
  ["MODULE", "LIST"],
  ["MODULE", "LOAD", "/nonexistent.so"],
  ["MODULE", "LOADEX", "/nonexistent.so", "CONFIG", "a", "b"],
  ["MODULE", "UNLOAD", "foo"],
  ["MODULE"],
  ["MODULE", "LOAD"],
  ["MODULE", "UNLOAD"],
  ["MODULE", "NOSUCH"],
]);

/** A file that exists but is not executable: Redis refuses it before dlopen. */
const NOEXEC = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "respite-module-" });
  const path = `${dir}/noexec.so`;
  await Deno.writeTextFile(path, "not a module", { mode: 0o644 });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  return path;
})();

const SCRIPT: readonly string[][] = [
  ["MODULE", "LIST"],
  ["MODULE", "LOAD", "/nonexistent.so"],
  ["MODULE", "LOAD", NOEXEC, "arg1"],
  ["MODULE", "LOADEX", "/nonexistent.so", "CONFIG", "a", "b", "ARGS", "c"],
  ["MODULE", "LOADEX", "/nonexistent.so", "foo"],
  ["MODULE", "LOADEX", "/nonexistent.so", "CONFIG", "a"],
  ["MODULE", "LOADEX", "/nonexistent.so", "ARGS"],
  ["MODULE", "UNLOAD", "foo"],
  ["MODULE", "HELP", "x"],
];

/** Runs SCRIPT on a server started with `enable-module-command yes`; returns replies and the log's module lines. */
async function run(kind: "respite" | "redis"): Promise<[Reply[], string[]]> {
  const args = ["--enable-module-command", "yes"];
  const p = kind === "redis" ? await startRealRedis(args) : await startRespiteProc(args);
  const c = await RawClient.connect(p.port);
  try {
    const replies: Reply[] = [];
    for (const argv of SCRIPT) replies.push(await c.call(...argv));
    const log = p.log().split("\n")
      .map((l) => l.replace(/^\d+:[MCSX] .*? [.\-*#] /, ""))
      .filter((l) => /Module|loadex|CONFIG specified/.test(l));
    return [replies, log];
  } finally {
    c.close();
    await p.stop();
  }
}

Deno.test({
  name: "diff: module: enabled, nothing loads, with Redis's log lines",
  ignore: !hasRedis,
  ...opts,
  async fn() {
    const [ours, ourLog] = await run("respite");
    const [theirs, theirLog] = await run("redis");
    assertEquals(ours, theirs);
    assertEquals(ourLog, theirLog);
    assertEquals(ourLog.filter((l) => l.includes("execute permissions")).length, 1);
  },
});

Deno.test({
  name: "module: an executable that is no Redis module is refused, and said so",
  ...opts,
  async fn() {
    const p = await spawnServer("respite", ["--enable-module-command", "local"]);
    const c = await RawClient.connect(p.port);
    try {
      assertEquals(await c.call("MODULE", "LOAD", "/bin/sh"), {
        error: "ERR Error loading the extension. Please check the server logs.",
      });
      await p.waitLog(/Module \/bin\/sh failed to load: Respite does not load Redis modules/);
      assertEquals(await c.call("MODULE", "LIST"), []);
    } finally {
      c.close();
      await p.stop();
    }
  },
});
