/**
 * Authentication through real clients: ioredis with `username`/`password`,
 * redis-cli with `--user`/`--pass`, `requirepass`, and ACL behaviour that
 * needs a fresh server (DELUSER of the caller, the ACL LOG's grouping, user
 * plugins' commands under ACL).
 *
 * @module
 */

import { Redis } from "ioredis";
import { hasRedisCli, RawClient, redisCli, startRespite } from "../_helpers.ts";
import { assertEquals, assertMatch } from "../_assert.ts";
import type { Plugin } from "../../mod.ts";

const noSanitize = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "acl: ioredis authenticates with username and password",
  ...noSanitize,
  async fn() {
    const s = await startRespite({ config: { requirepass: "rootpw" } });
    const admin = new Redis({ port: s.port, password: "rootpw", lazyConnect: true });
    const app = new Redis({
      port: s.port,
      username: "app",
      password: "apppw",
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await admin.connect();
      assertEquals(await admin.call("ACL", "WHOAMI"), "default");
      assertEquals(
        await admin.call("ACL", "SETUSER", "app", "on", ">apppw", "~app:*", "+@read", "+@write"),
        "OK",
      );
      await app.connect();
      assertEquals(
        await app.call("ACL", "WHOAMI").catch((e) => String(e)),
        "ReplyError: " +
          "NOPERM this user has no permissions to run the 'acl|whoami' command",
      );
      assertEquals(await app.set("app:1", "v"), "OK");
      assertEquals(await app.get("app:1"), "v");
      let err = "";
      await app.get("other").catch((e) => (err = (e as Error).message));
      assertEquals(
        err,
        "NOPERM this user has no permissions to access one of the keys used as arguments",
      );
      const log = await admin.call("ACL", "LOG", "1") as unknown[][];
      assertEquals(log[0]!.slice(0, 10), [
        "count",
        1,
        "reason",
        "key",
        "context",
        "toplevel",
        "object",
        "other",
        "username",
        "app",
      ]);
      const bad = new Redis({
        port: s.port,
        username: "app",
        password: "wrong",
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      const errors: string[] = [];
      bad.on("error", (e: Error) => errors.push(e.message));
      await bad.connect().catch(() => {});
      bad.disconnect();
      assertMatch(
        errors.join("\n"),
        /WRONGPASS invalid username-password pair or user is disabled/,
      );
    } finally {
      admin.disconnect();
      app.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "acl: redis-cli --user --pass",
  ignore: !hasRedisCli,
  ...noSanitize,
  async fn() {
    const s = await startRespite({
      config: { user: "cli on >clipw ~* &* +@all\nro on nopass ~* -@all +get" },
    });
    try {
      const who = await redisCli(s.port, ["--user", "cli", "--pass", "clipw", "ACL", "WHOAMI"]);
      assertEquals(who, "cli\n");
      const denied = await redisCli(s.port, ["--user", "ro", "--pass", "x", "SET", "k", "v"]);
      assertEquals(denied.trim(), "NOPERM this user has no permissions to run the 'set' command");
      // A failed AUTH leaves redis-cli on the default user (nopass here).
      const wrong = await redisCli(s.port, ["--user", "cli", "--pass", "nope", "ACL", "WHOAMI"]);
      assertEquals(wrong, "default\n");
      const log = await redisCli(s.port, ["ACL", "LOG", "1"]);
      assertMatch(log, /^count\n1\nreason\nauth\ncontext\ntoplevel\nobject\nAUTH\nusername\ncli\n/);
      const list = await redisCli(s.port, ["ACL", "LIST"]);
      assertEquals(
        list,
        `user cli on #${await sha256("clipw")} ~* &* +@all\n` +
          "user default on nopass ~* &* +@all\n" +
          "user ro on nopass ~* resetchannels -@all +get\n",
      );
    } finally {
      await s.close();
    }
  },
});

async function sha256(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test({
  name: "acl: requirepass, CONFIG SET requirepass, HELLO AUTH, RESET",
  ...noSanitize,
  async fn() {
    const s = await startRespite({ config: { requirepass: "first" } });
    const c = await RawClient.connect(s.port);
    const d = await RawClient.connect(s.port);
    try {
      assertEquals(await c.call("PING"), { error: "NOAUTH Authentication required." });
      assertEquals(await c.call("AUTH", "first"), "OK");
      assertEquals(await c.call("CONFIG", "SET", "requirepass", "second"), "OK");
      assertEquals(
        await c.call("ACL", "GETUSER", "default"),
        [
          "flags",
          ["on"],
          "passwords",
          [await sha256("second")],
          "commands",
          "+@all",
          "keys",
          "~*",
          "channels",
          "&*",
          "selectors",
          [],
        ],
      );
      assertEquals(await d.call("AUTH", "first"), {
        error: "WRONGPASS invalid username-password pair or user is disabled.",
      });
      const hello = await d.call("HELLO", "3", "AUTH", "default", "second") as {
        map: [unknown, unknown][];
      };
      assertEquals(hello.map[2], ["proto", 3]);
      assertEquals(await d.call("ACL", "SETUSER", "other", "on", ">o", "+@all"), "OK");
      assertEquals(await d.call("AUTH", "other", "o"), "OK");
      assertEquals(await d.call("ACL", "WHOAMI"), "other");
      // RESET returns to the default user, which needs a password again.
      assertEquals(await d.call("RESET"), "RESET");
      assertEquals(await d.call("ACL", "WHOAMI"), { error: "NOAUTH Authentication required." });
      assertEquals(await c.call("CONFIG", "SET", "requirepass", ""), "OK");
      assertEquals(await d.call("ACL", "WHOAMI"), "default");
    } finally {
      c.close();
      d.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "acl: DELUSER of the caller's own user answers, then closes",
  ...noSanitize,
  async fn() {
    const s = await startRespite();
    const c = await RawClient.connect(s.port);
    try {
      assertEquals(await c.call("ACL", "SETUSER", "me", "on", "nopass", "+@all"), "OK");
      assertEquals(await c.call("AUTH", "me", "x"), "OK");
      assertEquals(await c.call("ACL", "DELUSER", "me"), 1);
      assertEquals(await c.closedWithin(2000), true);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "acl: LOG groups similar entries and honours acllog-max-len",
  ...noSanitize,
  async fn() {
    const s = await startRespite({ config: { "acllog-max-len": "3" } });
    const c = await RawClient.connect(s.port);
    try {
      for (let i = 0; i < 3; i++) {
        assertEquals(await c.call("AUTH", "nobody", "x"), {
          error: "WRONGPASS invalid username-password pair or user is disabled.",
        });
      }
      const log = await c.call("ACL", "LOG") as unknown[][];
      assertEquals(log.length, 1);
      assertEquals(log[0]!.slice(0, 10), [
        "count",
        3,
        "reason",
        "auth",
        "context",
        "toplevel",
        "object",
        "AUTH",
        "username",
        "nobody",
      ]);
      for (const u of ["a", "b", "c", "d"]) await c.call("AUTH", u, "x");
      const after = await c.call("ACL", "LOG") as unknown[][];
      assertEquals(after.map((e) => e[9]), ["d", "c", "b"]);
      assertEquals(await c.call("ACL", "LOG", "1").then((l) => (l as unknown[]).length), 1);
      assertEquals(await c.call("ACL", "LOG", "RESET"), "OK");
      assertEquals(await c.call("ACL", "LOG"), []);
    } finally {
      c.close();
      await s.close();
    }
  },
});

const counter: Plugin = {
  name: "acl-test-counter",
  commands: [{
    name: "counter.incr",
    arity: 2,
    flags: ["write", "fast"],
    categories: ["string"],
    keySpecs: [{
      flags: ["RW", "ACCESS", "UPDATE"],
      begin: { index: 1 },
      find: { range: { lastkey: 0, step: 1, limit: 0 } },
    }],
    handler(c, argv) {
      c.reply.integer(Number(c.db.getString(argv[1]!) ?? "0") + 1);
    },
  }],
};

Deno.test({
  name: "acl: user plugins' commands are checked like built-ins",
  ...noSanitize,
  async fn() {
    const s = await startRespite({
      plugins: [counter],
      config: { user: "p on nopass ~c:* -@all +@string\nq on nopass ~* +@all -counter.incr" },
    });
    const c = await RawClient.connect(s.port);
    try {
      assertEquals(
        await c.call("ACL", "CAT", "string").then((l) =>
          (l as string[]).includes(
            "counter.incr",
          )
        ),
        true,
      );
      assertEquals(await c.call("ACL", "DRYRUN", "p", "counter.incr", "c:1"), "OK");
      assertEquals(
        await c.call("ACL", "DRYRUN", "p", "counter.incr", "x"),
        "This user has no permissions to access the 'x' key",
      );
      assertEquals(
        await c.call("ACL", "GETUSER", "q").then((u) => (u as string[])[5]),
        "+@all -counter.incr",
      );
      assertEquals(await c.call("AUTH", "q", "x"), "OK");
      assertEquals(await c.call("COUNTER.INCR", "k"), {
        error: "NOPERM this user has no permissions to run the 'counter.incr' command",
      });
      assertEquals(await c.call("AUTH", "p", "x"), "OK");
      assertEquals(await c.call("COUNTER.INCR", "c:1"), 1);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "acl: without the acl plugin, requirepass alone still gates clients",
  ...noSanitize,
  async fn() {
    const { builtinPlugins } = await import("../../mod.ts");
    const s = await startRespite({
      builtins: builtinPlugins.filter((p) => p.name !== "acl"),
      config: { requirepass: "pw" },
    });
    const c = await RawClient.connect(s.port);
    try {
      assertEquals(await c.call("GET", "k"), { error: "NOAUTH Authentication required." });
      assertEquals(await c.call("AUTH", "other", "pw"), {
        error: "WRONGPASS invalid username-password pair or user is disabled.",
      });
      assertEquals(await c.call("AUTH", "pw"), "OK");
      assertEquals(await c.call("GET", "k"), null);
      assertEquals(await c.call("ACL", "WHOAMI"), {
        error: "ERR unknown command 'ACL', with args beginning with: 'WHOAMI' ",
      });
    } finally {
      c.close();
      await s.close();
    }
  },
});
