/**
 * A plugin adds a subcommand to another plugin's container command
 * (`client|hello`): it runs, and COMMAND lists it under its container.
 */

import { assertEquals, assertOk } from "../_assert.ts";
import { RawClient, startRespite } from "../_helpers.ts";
import { definePlugin } from "../../mod.ts";

const hello = definePlugin({
  name: "client-hello",
  dependencies: ["connection"],
  commands: [{
    name: "client|hello",
    arity: 2,
    flags: ["fast"],
    docs: { summary: "Says hello", since: "1.0.0" },
    handler: (c) => c.reply.simple("hello"),
  }],
});

Deno.test("registry: a plugin's subcommand of another plugin's container", async () => {
  const s = await startRespite({ plugins: [hello] });
  const c = await RawClient.connect(s.port);
  try {
    assertEquals(await c.call("CLIENT", "HELLO"), "hello");
    assertEquals(await c.call("CLIENT", "HELLO", "x"), {
      error: "ERR wrong number of arguments for 'client|hello' command",
    });
    const list = await c.call("COMMAND", "LIST") as string[];
    assertOk(list.includes("client|hello"));
    const [info] = await c.call("COMMAND", "INFO", "client|hello") as unknown[][];
    assertEquals(info![0], "client|hello");
  } finally {
    c.close();
    await s.close();
  }
});

Deno.test("registry: a subcommand of a container that is not there is refused at start", async () => {
  const orphan = definePlugin({
    name: "orphan",
    commands: [{ name: "nosuch|x", arity: 2, flags: [], handler: (c) => c.reply.ok() }],
  });
  let err = "";
  try {
    await (await startRespite({ plugins: [orphan] })).close();
  } catch (e) {
    err = (e as Error).message;
  }
  assertEquals(err, "command 'nosuch|x': no container command 'nosuch' to add it to");
});
