import { diffTest, RawClient, startRespite } from "./_helpers.ts";
import { assertEquals } from "./_assert.ts";

Deno.test("smoke: ping over raw RESP", async () => {
  const s = await startRespite();
  const c = await RawClient.connect(s.port);
  assertEquals(await c.command("PING"), "+PONG\r\n");
  c.close();
  await s.close();
});

diffTest("smoke", [["PING"], ["SET", "a", "b"], ["GET", "a"], ["NOPE", "x"]]);
