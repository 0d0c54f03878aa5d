/**
 * `masterauth` and `masteruser`: a replica authenticates to a master that
 * requires it (AUTH after PING, as Redis's handshake does), to a Respite
 * master and to a redis-server one; the link stays down with a wrong
 * password.
 */

import { call, hasRedis, info, startRealRedis, startRespite, until } from "../_helpers.ts";
import { assertEquals } from "../_assert.ts";

/** Waits until the replica on `port` reports its link to the master up. */
function linkUp(port: number): Promise<void> {
  return until(
    "the replication link",
    async () => (await info(port, "replication")).get("master_link_status") === "up",
  );
}

Deno.test("masterauth: a replica authenticates to a master with requirepass", async () => {
  const master = await startRespite({
    config: { requirepass: "s3cret", "repl-diskless-sync-delay": "0" },
  });
  const replica = await startRespite({
    config: { replicaof: `127.0.0.1 ${master.port}`, masterauth: "s3cret" },
  });
  try {
    await linkUp(replica.port);
    assertEquals(await call(replica.port, "CONFIG", "GET", "masterauth"), ["masterauth", "s3cret"]);
  } finally {
    await replica.close();
    await master.close();
  }
});

Deno.test("masteruser: a replica authenticates as an ACL user", async () => {
  const master = await startRespite({
    config: { user: "repl on >pw +psync +replconf +ping", "repl-diskless-sync-delay": "0" },
  });
  const bad = await startRespite({
    config: {
      replicaof: `127.0.0.1 ${master.port}`,
      masteruser: "repl",
      masterauth: "wrong",
    },
  });
  const good = await startRespite({
    config: { replicaof: `127.0.0.1 ${master.port}`, masteruser: "repl", masterauth: "pw" },
  });
  try {
    await linkUp(good.port);
    // A wrong password never brings the link up.
    assertEquals((await info(bad.port, "replication")).get("master_link_status"), "down");
  } finally {
    await good.close();
    await bad.close();
    await master.close();
  }
});

Deno.test({
  name: "masterauth: a Respite replica of a redis-server master that requires a password",
  ignore: !hasRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const master = await startRealRedis([
      "--requirepass",
      "s3cret",
      "--repl-diskless-sync-delay",
      "0",
    ]);
    const replica = await startRespite({
      config: { replicaof: `127.0.0.1 ${master.port}`, masterauth: "s3cret" },
    });
    try {
      await linkUp(replica.port);
    } finally {
      await replica.close();
      await master.stop();
    }
  },
});
