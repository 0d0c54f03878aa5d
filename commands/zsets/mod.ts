/**
 * The SORTED SETS family: ZADD and friends, the ZRANGE family, pops
 * (blocking too), set operations, ZRANDMEMBER and ZSCAN, with Redis 7.0's
 * replies, errors, encodings, keyspace events and propagation.
 *
 * A sorted set is a {@link ZSetObject}: a member -> score Map beside a
 * B+tree of sorted chunks (O(log n) insert, delete, rank and range), and the
 * listpack/skiplist encoding name driven by `zset-max-listpack-entries` /
 * `zset-max-listpack-value`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import type { CommandFlag, CommandHandler, CommandSpec, KeySpec } from "../../core/types.ts";
import { ConfigError } from "../../core/config.ts";
import { keys } from "../../core/registry.ts";
import { ZSET_DOCS } from "./_docs.ts";
import { buildZset, type ZsetLimits } from "./_value.ts";
import {
  LIMITS,
  limitsOf,
  zaddGeneric,
  zcardCommand,
  zcountCommand,
  zlexcountCommand,
  zmscoreCommand,
  zrangeGeneric,
  zrankGeneric,
  zremCommand,
  zremrangeGeneric,
  zscoreCommand,
} from "./_commands.ts";
import {
  bzmpopCommand,
  bzpopCommand,
  zmpopCommand,
  zpopCommand,
  zrandmemberCommand,
  zscanCommand,
} from "./_pop.ts";
import { type SetOp, zsetOperation } from "./_store.ts";

const RO: KeySpec[] = [keys.one(1, ["RO"])];
const RO_ACCESS: KeySpec[] = [keys.one(1, ["RO", "ACCESS"])];
const RW_UPDATE: KeySpec[] = [keys.one(1, ["RW", "UPDATE"])];
const RW_ACCESS_UPDATE: KeySpec[] = [keys.one(1, ["RW", "ACCESS", "UPDATE"])];
const RW_DELETE: KeySpec[] = [keys.one(1, ["RW", "DELETE"])];
const RW_ACCESS_DELETE: KeySpec[] = [keys.one(1, ["RW", "ACCESS", "DELETE"])];
const COUNTED_RO: KeySpec[] = [keys.counted(1, ["RO", "ACCESS"])];
const STORE_COUNTED: KeySpec[] = [
  keys.one(1, ["OW", "UPDATE"]),
  keys.counted(2, ["RO", "ACCESS"]),
];

function spec(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  keySpecs: readonly KeySpec[],
  handler: CommandHandler,
): CommandSpec {
  const doc = ZSET_DOCS[name]!;
  return {
    name,
    arity,
    flags,
    categories: ["sortedset"],
    keySpecs,
    handler,
    docs: {
      summary: doc.summary,
      since: doc.since,
      group: "sorted-set",
      complexity: doc.complexity,
    },
  };
}

const setOp = (op: SetOp, name: string, store: boolean): CommandHandler => (c, argv) =>
  zsetOperation(c, argv, store ? 2 : 1, {
    op,
    name,
    limits: limitsOf(c),
    ...(store ? { dst: argv[1]! } : {}),
  });

/** Every sorted-set command. */
export const zsetCommands: readonly CommandSpec[] = [
  spec("zadd", -4, ["write", "denyoom", "fast"], RW_UPDATE, (c, a) => zaddGeneric(c, a, false)),
  spec(
    "zincrby",
    4,
    ["write", "denyoom", "fast"],
    RW_ACCESS_UPDATE,
    (c, a) => zaddGeneric(c, a, true),
  ),
  spec("zscore", 3, ["readonly", "fast"], RO_ACCESS, zscoreCommand),
  spec("zmscore", -3, ["readonly", "fast"], RO_ACCESS, zmscoreCommand),
  spec("zcard", 2, ["readonly", "fast"], RO, zcardCommand),
  spec("zcount", 4, ["readonly", "fast"], RO_ACCESS, zcountCommand),
  spec("zlexcount", 4, ["readonly", "fast"], RO_ACCESS, zlexcountCommand),
  spec("zrange", -4, ["readonly"], RO_ACCESS, (c, a) => zrangeGeneric(c, a, { keyIndex: 1 })),
  spec(
    "zrangestore",
    -5,
    ["write", "denyoom"],
    [keys.one(1, ["OW", "UPDATE"]), keys.one(2, ["RO", "ACCESS"])],
    (c, a) => zrangeGeneric(c, a, { keyIndex: 2, dst: a[1]! }),
  ),
  spec(
    "zrangebyscore",
    -4,
    ["readonly"],
    RO_ACCESS,
    (c, a) => zrangeGeneric(c, a, { keyIndex: 1, type: "score", rev: false }),
  ),
  spec(
    "zrevrangebyscore",
    -4,
    ["readonly"],
    RO_ACCESS,
    (c, a) => zrangeGeneric(c, a, { keyIndex: 1, type: "score", rev: true }),
  ),
  spec(
    "zrangebylex",
    -4,
    ["readonly"],
    RO_ACCESS,
    (c, a) => zrangeGeneric(c, a, { keyIndex: 1, type: "lex", rev: false }),
  ),
  spec(
    "zrevrangebylex",
    -4,
    ["readonly"],
    RO_ACCESS,
    (c, a) => zrangeGeneric(c, a, { keyIndex: 1, type: "lex", rev: true }),
  ),
  spec(
    "zrevrange",
    -4,
    ["readonly"],
    RO_ACCESS,
    (c, a) => zrangeGeneric(c, a, { keyIndex: 1, type: "rank", rev: true }),
  ),
  // Arity -3 and WITHSCORE as in Redis 7.2 (7.0 has arity 3).
  spec("zrank", -3, ["readonly", "fast"], RO_ACCESS, (c, a) => zrankGeneric(c, a, false)),
  spec("zrevrank", -3, ["readonly", "fast"], RO_ACCESS, (c, a) => zrankGeneric(c, a, true)),
  spec("zrem", -3, ["write", "fast"], RW_DELETE, zremCommand),
  spec("zremrangebyrank", 4, ["write"], RW_DELETE, (c, a) => zremrangeGeneric(c, a, "rank")),
  spec("zremrangebyscore", 4, ["write"], RW_DELETE, (c, a) => zremrangeGeneric(c, a, "score")),
  spec("zremrangebylex", 4, ["write"], RW_DELETE, (c, a) => zremrangeGeneric(c, a, "lex")),
  spec("zpopmin", -2, ["write", "fast"], RW_ACCESS_DELETE, (c, a) => zpopCommand(c, a, false)),
  spec("zpopmax", -2, ["write", "fast"], RW_ACCESS_DELETE, (c, a) => zpopCommand(c, a, true)),
  spec(
    "bzpopmin",
    -3,
    ["write", "noscript", "blocking", "fast"],
    [keys.rest(1, ["RW", "ACCESS", "DELETE"], 1, -2)],
    (c, a) => bzpopCommand(c, a, false),
  ),
  spec(
    "bzpopmax",
    -3,
    ["write", "noscript", "blocking", "fast"],
    [keys.rest(1, ["RW", "ACCESS", "DELETE"], 1, -2)],
    (c, a) => bzpopCommand(c, a, true),
  ),
  spec("zmpop", -4, ["write"], [keys.counted(1, ["RW", "ACCESS", "DELETE"])], zmpopCommand),
  spec(
    "bzmpop",
    -5,
    ["write", "blocking"],
    [keys.counted(2, ["RW", "ACCESS", "DELETE"])],
    bzmpopCommand,
  ),
  spec("zrandmember", -2, ["readonly"], RO_ACCESS, zrandmemberCommand),
  spec("zunion", -3, ["readonly"], COUNTED_RO, setOp("union", "zunion", false)),
  spec("zinter", -3, ["readonly"], COUNTED_RO, setOp("inter", "zinter", false)),
  spec("zdiff", -3, ["readonly"], COUNTED_RO, setOp("diff", "zdiff", false)),
  spec("zunionstore", -4, ["write", "denyoom"], STORE_COUNTED, setOp("union", "zunionstore", true)),
  spec("zinterstore", -4, ["write", "denyoom"], STORE_COUNTED, setOp("inter", "zinterstore", true)),
  spec("zdiffstore", -4, ["write", "denyoom"], STORE_COUNTED, setOp("diff", "zdiffstore", true)),
  spec(
    "zintercard",
    -3,
    ["readonly"],
    COUNTED_RO,
    (c, a) =>
      zsetOperation(c, a, 1, {
        op: "inter",
        name: "zintercard",
        cardOnly: true,
        limits: limitsOf(c),
      }),
  ),
  spec("zscan", -3, ["readonly"], RO_ACCESS, zscanCommand),
];

/** Redis's range error for these size_t directives (LONG_MAX bound). */
function nonNegative(msg: string): (v: string) => string {
  return (v) => {
    if (Number(v) < 0) throw new ConfigError(msg);
    return v;
  };
}

/** The SORTED SETS family plugin. */
export default definePlugin({
  name: "zsets",
  config: [
    {
      name: "zset-max-listpack-entries",
      type: "int",
      default: "128",
      aliases: ["zset-max-ziplist-entries"],
      validate: nonNegative("argument must be between 0 and 9223372036854775807 inclusive"),
    },
    {
      name: "zset-max-listpack-value",
      type: "memory",
      default: "64",
      aliases: ["zset-max-ziplist-value"],
      validate: nonNegative("argument must be a memory value"),
    },
  ],
  commands: zsetCommands,
  init(server) {
    const limits: ZsetLimits = { entries: 128, value: 64 };
    server.config.watch("zset-max-listpack-entries", (v) => (limits.entries = Number(v)));
    server.config.watch("zset-max-listpack-value", (v) => (limits.value = Number(v)));
    LIMITS.set(server, limits);
    server.keyspace.types.set("zset", {
      name: "zset",
      fromScored: (items) => buildZset(items, limits),
    });
  },
});
