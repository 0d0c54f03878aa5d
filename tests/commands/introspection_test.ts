/**
 * COMMAND introspection: INFO, DOCS, COUNT, LIST, GETKEYS,
 * GETKEYSANDFLAGS and HELP, differentially against redis-server and
 * through clients.
 */

import { Redis } from "ioredis";
import { assertEquals, assertOk } from "../_assert.ts";
import {
  diffTest,
  hasRedis,
  hasRedisCli,
  RawClient,
  redisCli,
  type Reply,
  sharedServers,
  startRespite,
} from "../_helpers.ts";
import { definePlugin } from "../../mod.ts";

const MINE = [
  "config|get",
  "config|set",
  "config|resetstat",
  "config|rewrite",
  "config|help",
  "info",
  "dbsize",
  "flushdb",
  "flushall",
  "time",
  "shutdown",
  "debug",
  "command|count",
  "command|info",
  "command|docs",
  "command|list",
  "command|getkeys",
  "command|getkeysandflags",
  "command|help",
];

diffTest("COMMAND INFO of the server family and COMMAND's subcommands", [
  ...MINE.map((n) => ["COMMAND", "INFO", n]),
  ["COMMAND", "INFO", "CONFIG|GET"],
]);

diffTest("COMMAND INFO of strings commands", [
  ["COMMAND", "INFO", "get"],
  ["COMMAND", "INFO", "set"],
  ["COMMAND", "INFO", "mget"],
  ["COMMAND", "INFO", "GET", "nosuch", "mget"],
  ["COMMAND", "INFO", "nosuch"],
  ["COMMAND", "INFO", "get|x"],
  ["COMMAND", "INFO", "config|nosuch"],
]);

diffTest("COMMAND DOCS", [
  ["COMMAND", "DOCS", "time"],
  ["COMMAND", "DOCS", "dbsize", "nosuch", "config|help"],
  ["COMMAND", "DOCS", "command|count"],
  ["COMMAND", "DOCS", "config|resetstat"],
  ["COMMAND", "DOCS", "nosuch"],
]);

diffTest("COMMAND GETKEYS and GETKEYSANDFLAGS", [
  ["COMMAND", "GETKEYS", "get", "a"],
  ["COMMAND", "GETKEYS", "GET", "a"],
  ["COMMAND", "GETKEYS", "set", "a", "b"],
  ["COMMAND", "GETKEYS", "mget", "a", "b", "c"],
  ["COMMAND", "GETKEYSANDFLAGS", "mget", "a", "b"],
  ["COMMAND", "GETKEYSANDFLAGS", "get", "k"],
  ["COMMAND", "GETKEYS"],
  ["COMMAND", "GETKEYS", "get"],
  ["COMMAND", "GETKEYS", "nosuch", "a"],
  ["COMMAND", "GETKEYS", "get", "a", "b"],
  ["COMMAND", "GETKEYS", "mget"],
  ["COMMAND", "GETKEYS", "config", "get"],
  ["COMMAND", "GETKEYS", "config", "nosuch"],
  ["COMMAND", "GETKEYS", "dbsize", "x"],
  ["COMMAND", "GETKEYSANDFLAGS", "nosuch", "a"],
  ["COMMAND", "GETKEYSANDFLAGS", "time", "x"],
]);

diffTest("COMMAND LIST, COUNT, HELP and errors", [
  { cmd: ["COMMAND", "LIST", "FILTERBY", "PATTERN", "config*"], unordered: true },
  { cmd: ["COMMAND", "LIST", "FILTERBY", "pattern", "COMMAND*"], unordered: true },
  ["COMMAND", "LIST", "FILTERBY", "PATTERN", "nosuch*"],
  ["COMMAND", "LIST", "FILTERBY", "MODULE", "x"],
  ["COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"],
  ["COMMAND", "LIST", "FILTERBY", "foo", "x"],
  ["COMMAND", "LIST", "x"],
  ["COMMAND", "LIST", "FILTERBY"],
  ["COMMAND", "LIST", "FILTERBY", "PATTERN", "a", "b"],
  ["COMMAND", "COUNT", "x"],
  ["COMMAND", "HELP"],
  ["COMMAND", "HELP", "x"],
  ["COMMAND", "NOSUCH"],
]);

Deno.test({
  name: "COMMAND, COUNT, LIST and INFO through ioredis",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const s = await startRespite();
    const redis = new Redis({ port: s.port, lazyConnect: true });
    try {
      await redis.connect();
      const count = await redis.call("COMMAND", "COUNT") as number;
      assertEquals(count, s.server.commands.size);
      const all = await redis.call("COMMAND") as unknown[][];
      assertEquals(all.length, count);
      const get = all.find((e) => e[0] === "get")!;
      assertEquals(get.slice(0, 7), [
        "get",
        2,
        ["readonly", "fast"],
        1,
        1,
        1,
        ["@read", "@string", "@fast"],
      ]);
      // COMMAND INFO without names is COMMAND.
      assertEquals((await redis.command("INFO") as unknown[]).length, count);
      const list = await redis.command("LIST") as string[];
      let subs = 0;
      for (const e of s.server.commands.values()) subs += e.subcommands?.size ?? 0;
      assertEquals(list.length, count + subs);
      assertOk(list.includes("config|get") && list.includes("config"));
      const admin = await redis.command("LIST", "FILTERBY", "ACLCAT", "admin") as string[];
      assertOk(admin.includes("config|set") && admin.includes("shutdown"));
      assertOk(!admin.includes("config") && !admin.includes("get"));
      // The container's subcommands, nested in its entry.
      const [config] = await redis.command("INFO", "config") as unknown[][];
      const names = (config![9] as unknown[][]).map((e) => e[0]).sort();
      assertEquals(names, [
        "config|get",
        "config|help",
        "config|resetstat",
        "config|rewrite",
        "config|set",
      ]);
      assertEquals(config!.slice(0, 7), ["config", -2, [], 0, 0, 0, ["@slow"]]);
    } finally {
      redis.disconnect();
      await s.close();
    }
  },
});

Deno.test({
  name: "COMMAND in RESP3: sets, maps and a user plugin's spec",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const user = definePlugin({
      name: "user-cmds",
      commands: [{
        name: "my.copy",
        arity: 4,
        flags: ["write", "denyoom"],
        tips: ["nondeterministic_output"],
        keySpecs: [
          {
            flags: ["RO", "ACCESS"],
            begin: { index: 1 },
            find: { range: { lastkey: 0, step: 1, limit: 0 } },
          },
          {
            flags: ["OW", "UPDATE"],
            begin: { keyword: "TO", startfrom: 1 },
            find: { range: { lastkey: 0, step: 1, limit: 0 } },
            notes: "a note",
          },
        ],
        handler: (c) => c.reply.ok(),
      }],
    });
    const s = await startRespite({ plugins: [user] });
    const c = await RawClient.connect(s.port);
    try {
      await c.call("HELLO", "3");
      const info = await c.call("COMMAND", "INFO", "my.copy") as Reply[];
      const flagMap = (flags: string[]) => ({ set: flags });
      const index = (i: number) => ({
        map: [["type", "index"], ["spec", { map: [["index", i]] }]],
      });
      const range = {
        map: [["type", "range"], ["spec", { map: [["lastkey", 0], ["keystep", 1], ["limit", 0]] }]],
      };
      assertEquals(info, [[
        "my.copy",
        4,
        flagMap(["write", "denyoom", "movablekeys"]),
        1,
        1,
        1,
        flagMap(["@write", "@slow"]),
        flagMap(["nondeterministic_output"]),
        {
          set: [
            {
              map: [["flags", flagMap(["RO", "access"])], ["begin_search", index(1)], [
                "find_keys",
                range,
              ]],
            },
            {
              map: [
                ["notes", "a note"],
                ["flags", flagMap(["OW", "update"])],
                [
                  "begin_search",
                  {
                    map: [["type", "keyword"], ["spec", {
                      map: [["keyword", "TO"], ["startfrom", 1]],
                    }]],
                  },
                ],
                ["find_keys", range],
              ],
            },
          ],
        },
        { set: [] },
      ]] as unknown as Reply);
      assertEquals(
        await c.call("COMMAND", "GETKEYSANDFLAGS", "my.copy", "a", "TO"),
        {
          error: "ERR Invalid number of arguments specified for command",
        } as Reply,
      );
      assertEquals(
        await c.call("COMMAND", "GETKEYSANDFLAGS", "my.copy", "a", "TO", "b"),
        [["a", { set: ["RO", "access"] }], ["b", { set: ["OW", "update"] }]] as unknown as Reply,
      );
      assertEquals(
        await c.call("COMMAND", "DOCS", "my.copy", "time"),
        {
          map: [
            ["my.copy", { map: [["group", "module"]] }],
            [
              "time",
              {
                map: [
                  ["summary", "Return the current server time"],
                  ["since", "2.6.0"],
                  ["group", "server"],
                  ["complexity", "O(1)"],
                ],
              },
            ],
          ],
        } as unknown as Reply,
      );
      const docs = await c.call("COMMAND", "DOCS", "config") as {
        map: [Reply, { map: [Reply, Reply][] }][];
      };
      const sub = docs.map[0]![1].map.find(([k]) => k === "subcommands")![1] as {
        map: [Reply, Reply][];
      };
      assertEquals(sub.map.map(([k]) => k).sort(), [
        "config|get",
        "config|help",
        "config|resetstat",
        "config|rewrite",
        "config|set",
      ]);
    } finally {
      c.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "diff: redis-cli's help shows the same syntax as with Redis (it reads COMMAND DOCS)",
  ignore: !hasRedis || !hasRedisCli,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { respite, redis } = await sharedServers();
    for (
      const topic of [
        ["set"],
        ["zadd"],
        ["xadd"],
        ["client", "kill"],
        ["georadius"],
        ["@list"],
        ["@hash"],
      ]
    ) {
      const ours = await redisCli(respite.port, ["help", ...topic]);
      const theirs = await redisCli(redis!.port, ["help", ...topic]);
      assertOk(theirs.includes("summary:"), `redis-cli help ${topic.join(" ")}: ${theirs}`);
      assertEquals(ours, theirs, `help ${topic.join(" ")}`);
    }
    // The argument syntax comes from the arguments COMMAND DOCS lists.
    assertOk(
      (await redisCli(respite.port, ["help", "set"])).includes(
        "key value [NX|XX] [GET] [EX seconds|PX milliseconds|",
      ),
    );
  },
});
