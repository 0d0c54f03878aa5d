/**
 * Users from files: the `aclfile` (ACL SAVE / ACL LOAD round trip, LOAD's
 * errors against redis-server's for the same file) and `user` directives in
 * a config file read by main.ts (against redis-server's fatal errors).
 *
 * @module
 */

import { join } from "node:path";
import {
  hasRedis,
  RawClient,
  runToExit,
  spawnServer,
  START_PERMS,
  startRealRedis,
  startRespite,
} from "../_helpers.ts";
import { assertEquals, assertMatch } from "../_assert.ts";

const noSanitize = { sanitizeOps: false, sanitizeResources: false };

/** Sorts the single-command rules of each line (Redis's order is random). */
function normLines(text: string): string {
  return text.split("\n").map((line) => {
    const toks = line.split(" ");
    const i = toks.findIndex((t) => /^[+-]@all$/.test(t));
    if (i === -1) return line;
    const cats = toks.slice(0, i + 1);
    const rest = toks.slice(i + 1);
    return [
      ...cats,
      ...rest.filter((t) => t.includes("@")),
      ...rest.filter((t) => !t.includes("@")).sort(),
    ]
      .join(" ");
  }).join("\n");
}

Deno.test({
  name: "acl file: SAVE then LOAD round trip; LOAD disconnects replaced users",
  ...noSanitize,
  async fn() {
    const dir = await Deno.makeTempDir();
    const file = join(dir, "users.acl");
    await Deno.writeTextFile(file, "user alice on >pa ~a* +get\n");
    const s = await startRespite({ config: { aclfile: file } });
    const admin = await RawClient.connect(s.port);
    const alice = await RawClient.connect(s.port);
    try {
      assertEquals(await admin.call("ACL", "USERS"), ["alice", "default"]);
      assertEquals(await alice.call("AUTH", "alice", "pa"), "OK");
      assertEquals(await alice.call("GET", "a1"), null);
      assertEquals(
        await admin.call("ACL", "SETUSER", "bob", "on", "nopass", "(~x +set)", "&c", "+@hash"),
        "OK",
      );
      assertEquals(await admin.call("ACL", "SAVE"), "OK");
      const saved = await Deno.readTextFile(file);
      const list = await admin.call("ACL", "LIST") as string[];
      assertEquals(saved, list.join("\n") + "\n");
      assertMatch(saved, /^user alice on #[0-9a-f]{64} ~a\* resetchannels -@all \+get\n/);
      assertEquals(
        saved.split("\n")[1],
        "user bob on nopass resetchannels &c -@all +@hash (~x resetchannels -@all +set)",
      );
      // Edit the file and load it back: every user is replaced.
      await Deno.writeTextFile(file, saved.replace("user bob on", "user bob off"));
      assertEquals(await admin.call("ACL", "LOAD"), "OK");
      assertEquals(
        (await admin.call("ACL", "LIST") as string[])[1]!.startsWith("user bob off"),
        true,
      );
      assertEquals(await alice.closedWithin(2000), true);
      assertEquals(await admin.call("ACL", "WHOAMI"), "default");
      // A broken file changes nothing.
      await Deno.writeTextFile(file, "user carol on +nosuch\n");
      assertEquals(await admin.call("ACL", "LOAD"), {
        error: `ERR ${file}:1: Error in applying operation '+nosuch': Unknown command or ` +
          "category name in ACL. WARNING: ACL errors detected, no change to the previously " +
          "active ACL rules was performed",
      });
      assertEquals(await admin.call("ACL", "USERS"), ["alice", "bob", "default"]);
      assertEquals(await admin.call("CONFIG", "SET", "aclfile", "/tmp/x"), {
        error: "ERR CONFIG SET failed (possibly related to argument 'aclfile') - can't set " +
          "immutable config",
      });
    } finally {
      admin.close();
      alice.close();
      await s.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "acl file: LOAD errors and SAVE output match redis-server's",
  ignore: !hasRedis,
  ...noSanitize,
  async fn() {
    const dir = await Deno.makeTempDir();
    const file = join(dir, "users.acl");
    await Deno.writeTextFile(file, "user default on nopass ~* &* +@all\n");
    const s = await startRespite({ config: { aclfile: file } });
    const r = await startRealRedis(["--aclfile", file]);
    const ours = await RawClient.connect(s.port);
    const theirs = await RawClient.connect(r.port);
    const both = async (...argv: string[]) => {
      const a = await ours.call(...argv);
      const b = await theirs.call(...argv);
      assertEquals(a, b, JSON.stringify(argv));
      return a;
    };
    try {
      const broken = [
        "user alice on >pa ~a* +get",
        "# comment",
        "user  bob   on  foo",
        "user bob on",
        'user c"d on',
        "xuser x",
        "user",
        "  ",
        "user e (~x +get",
        "user f +nosuch -nosuch2 badrule",
        "User g",
        "user alice off",
        "user h on >x <y",
        "user  carol",
        "user dave\ton\t+get",
        "",
      ].join("\n");
      await Deno.writeTextFile(file, broken);
      await both("ACL", "LOAD");
      await both("ACL", "LIST");
      const good = [
        "user alice on >pa ~a* %R~r* +get +@hash",
        "user bob on nopass (~x  +set) (&c* +publish)",
        "user carol off",
        "",
      ].join("\r\n");
      await Deno.writeTextFile(file, good);
      assertEquals(await both("ACL", "LOAD"), "OK");
      const list = await ours.call("ACL", "LIST") as string[];
      assertEquals(
        list.map(normLines),
        (await theirs.call("ACL", "LIST") as string[]).map(normLines),
      );
      await both("ACL", "SETUSER", "erin", "on", "#" + "ab".repeat(32), "+@all", "-@dangerous");
      assertEquals(await ours.call("ACL", "SAVE"), "OK");
      const savedOurs = await Deno.readTextFile(file);
      assertEquals(await theirs.call("ACL", "SAVE"), "OK");
      const savedTheirs = await Deno.readTextFile(file);
      assertEquals(normLines(savedOurs), normLines(savedTheirs));
      assertEquals(savedOurs.split("\n").length, 6, savedOurs);
      // The default user is created when the file has none.
      assertEquals(
        (list as string[]).some((l) => l === "user default on nopass ~* &* +@all"),
        true,
      );
    } finally {
      ours.close();
      theirs.close();
      await s.close();
      await r.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "acl config: `user` directives in a config file read by main.ts",
  ...noSanitize,
  async fn() {
    const dir = await Deno.makeTempDir();
    const conf = join(dir, "respite.conf");
    await Deno.writeTextFile(
      conf,
      [
        "requirepass rootpw",
        'user alice on ">pass word" ~a* +@read',
        "user bob on nopass (~x +get) &c",
        "user default on >newroot ~* &* +@all",
      ].join("\n") + "\n",
    );
    const p = await spawnServer("respite", [], { conf, dir, permissions: START_PERMS });
    let c: RawClient | undefined;
    try {
      c = await RawClient.connect(p.port);
      // The `user default` line wins over requirepass, as in Redis.
      assertEquals(await c!.call("AUTH", "rootpw"), {
        error: "WRONGPASS invalid username-password pair or user is disabled.",
      });
      assertEquals(await c!.call("AUTH", "newroot"), "OK");
      assertEquals(await c!.call("ACL", "USERS"), ["alice", "bob", "default"]);
      const list = await c!.call("ACL", "LIST") as string[];
      assertMatch(list[0]!, /^user alice on #[0-9a-f]{64} ~a\* resetchannels -@all \+@read$/);
      assertEquals(
        list[1],
        "user bob on nopass resetchannels &c -@all (~x resetchannels -@all +get)",
      );
      // `user` is no parameter, as in Redis: CONFIG GET does not know it.
      assertEquals(await c!.call("CONFIG", "GET", "user"), []);
      assertEquals(await c!.call("AUTH", "alice", "pass word"), "OK");
    } finally {
      c?.close();
      await p.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "acl config: bad `user` directives fail like redis-server",
  ignore: !hasRedis,
  ...noSanitize,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const cases = [
        "user alice on foo",
        "user alice on\nuser alice off",
        "user alice on ~* ~x",
        "user alice on #abc",
      ];
      for (const [i, text] of cases.entries()) {
        const conf = join(dir, `bad${i}.conf`);
        await Deno.writeTextFile(conf, `${text}\n`);
        const ours = await runToExit("respite", [], { conf, dir });
        const theirs = await runToExit("redis", [], { conf, dir });
        assertEquals(ours.code, 1, text);
        assertEquals(theirs.code, 1, text);
        const fatal = (s: string) => s.slice(s.indexOf("*** FATAL")).trim();
        assertEquals(fatal(ours.log), fatal(theirs.log), text);
      }
      const both = join(dir, "both.conf");
      await Deno.writeTextFile(both, `aclfile ${dir}/x.acl\nuser a on\n`);
      const ours = await runToExit("respite", [], { conf: both, dir });
      assertEquals(ours.code, 1);
      assertMatch(ours.log, /users defined in redis\.conf and at the same setting an ACL file/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
