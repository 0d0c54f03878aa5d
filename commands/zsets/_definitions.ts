/**
 * The definitions of the sorted-set commands: for each, Redis 7.0's
 * COMMAND INFO and DOCS facts beside its handler (in `_commands.ts`,
 * `_pop.ts` and `_store.ts`).
 *
 * @module
 */

import type { CommandArg, CommandHandler, CommandSpec } from "../../core/types.ts";
import { commandFamily, keys } from "../../core/registry.ts";
import type { ZsetLimits } from "./_value.ts";
import * as cmd from "./_commands.ts";
import * as pop from "./_pop.ts";
import { type SetOpOptions, zsetOperation } from "./_store.ts";

const command = commandFamily({ category: "sortedset", group: "sorted-set" });

/** The WEIGHTS and AGGREGATE options of ZUNION, ZINTER and their STORE forms. */
const WEIGHTS_AGGREGATE: readonly CommandArg[] = [
  { name: "weight", type: "integer", token: "WEIGHTS", flags: ["optional", "multiple"] },
  {
    name: "aggregate",
    type: "oneof",
    token: "AGGREGATE",
    flags: ["optional"],
    arguments: [
      { name: "sum", type: "pure-token", token: "SUM" },
      { name: "min", type: "pure-token", token: "MIN" },
      { name: "max", type: "pure-token", token: "MAX" },
    ],
  },
];

/** ZUNION's and ZINTER's arguments. */
const UNION_INTER_ARGS: readonly CommandArg[] = [
  { name: "numkeys", type: "integer" },
  { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
  ...WEIGHTS_AGGREGATE,
  { name: "withscores", type: "pure-token", token: "WITHSCORES", flags: ["optional"] },
];

/** ZUNIONSTORE's and ZINTERSTORE's arguments. */
const UNION_INTER_STORE_ARGS: readonly CommandArg[] = [
  { name: "destination", type: "key", keySpecIndex: 0 },
  { name: "numkeys", type: "integer" },
  { name: "key", type: "key", keySpecIndex: 1, flags: ["multiple"] },
  ...WEIGHTS_AGGREGATE,
];

/**
 * Every sorted-set command, for a server whose listpack thresholds are
 * `limits` (the plugin keeps them up to date with CONFIG SET).
 */
export function zsetCommands(limits: ZsetLimits): CommandSpec[] {
  const setOp = (o: Omit<SetOpOptions, "limits">): CommandHandler => {
    const opts: SetOpOptions = { ...o, limits };
    return (c, argv) => zsetOperation(c, argv, opts);
  };
  return [
    command({
      name: "zadd",
      arity: -4,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "UPDATE"])],
      docs: {
        summary:
          "Add one or more members to a sorted set, or update its score if it already exists",
        since: "1.2.0",
        complexity:
          "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        history: [
          ["2.4.0", "Accepts multiple elements."],
          ["3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."],
          ["6.2.0", "Added the `GT` and `LT` options."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          {
            name: "condition",
            type: "oneof",
            since: "3.0.2",
            flags: ["optional"],
            arguments: [
              { name: "nx", type: "pure-token", token: "NX" },
              { name: "xx", type: "pure-token", token: "XX" },
            ],
          },
          {
            name: "comparison",
            type: "oneof",
            since: "6.2.0",
            flags: ["optional"],
            arguments: [
              { name: "gt", type: "pure-token", token: "GT" },
              { name: "lt", type: "pure-token", token: "LT" },
            ],
          },
          { name: "change", type: "pure-token", token: "CH", since: "3.0.2", flags: ["optional"] },
          {
            name: "increment",
            type: "pure-token",
            token: "INCR",
            since: "3.0.2",
            flags: ["optional"],
          },
          {
            name: "score_member",
            type: "block",
            flags: ["multiple"],
            arguments: [
              { name: "score", type: "double" },
              { name: "member", type: "string" },
            ],
          },
        ],
      },
      handler: (c, argv) => cmd.zadd(c, argv, limits),
    }),
    command({
      name: "zincrby",
      arity: 4,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
      docs: {
        summary: "Increment the score of a member in a sorted set",
        since: "1.2.0",
        complexity: "O(log(N)) where N is the number of elements in the sorted set.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "increment", type: "integer" },
          { name: "member", type: "string" },
        ],
      },
      handler: (c, argv) => cmd.zincrby(c, argv, limits),
    }),
    command({
      name: "zscore",
      arity: 3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Get the score associated with the given member in a sorted set",
        since: "1.2.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "member", type: "string" },
        ],
      },
      handler: cmd.zscore,
    }),
    command({
      name: "zmscore",
      arity: -3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Get the score associated with the given members in a sorted set",
        since: "6.2.0",
        complexity: "O(N) where N is the number of members being requested.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "member", type: "string", flags: ["multiple"] },
        ],
      },
      handler: cmd.zmscore,
    }),
    command({
      name: "zcard",
      arity: 2,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO"])],
      docs: {
        summary: "Get the number of members in a sorted set",
        since: "1.2.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
        ],
      },
      handler: cmd.zcard,
    }),
    command({
      name: "zcount",
      arity: 4,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Count the members in a sorted set with scores within the given values",
        since: "2.0.0",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "min", type: "double" },
          { name: "max", type: "double" },
        ],
      },
      handler: cmd.zcount,
    }),
    command({
      name: "zlexcount",
      arity: 4,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary:
          "Count the number of members in a sorted set between a given lexicographical range",
        since: "2.8.9",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "min", type: "string" },
          { name: "max", type: "string" },
        ],
      },
      handler: cmd.zlexcount,
    }),
    command({
      name: "zrange",
      arity: -4,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Return a range of members in a sorted set",
        since: "1.2.0",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        history: [
          ["6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "start", type: "string" },
          { name: "stop", type: "string" },
          {
            name: "sortby",
            type: "oneof",
            since: "6.2.0",
            flags: ["optional"],
            arguments: [
              { name: "byscore", type: "pure-token", token: "BYSCORE" },
              { name: "bylex", type: "pure-token", token: "BYLEX" },
            ],
          },
          { name: "rev", type: "pure-token", token: "REV", since: "6.2.0", flags: ["optional"] },
          {
            name: "offset_count",
            type: "block",
            token: "LIMIT",
            since: "6.2.0",
            flags: ["optional"],
            arguments: [
              { name: "offset", type: "integer" },
              { name: "count", type: "integer" },
            ],
          },
          { name: "withscores", type: "pure-token", token: "WITHSCORES", flags: ["optional"] },
        ],
      },
      handler: cmd.zrange,
    }),
    command({
      name: "zrangestore",
      arity: -5,
      flags: ["write", "denyoom"],
      keySpecs: [
        keys.one(1, ["OW", "UPDATE"]),
        keys.one(2, ["RO", "ACCESS"]),
      ],
      docs: {
        summary: "Store a range of members from sorted set into another key",
        since: "6.2.0",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
        arguments: [
          { name: "dst", type: "key", keySpecIndex: 0 },
          { name: "src", type: "key", keySpecIndex: 1 },
          { name: "min", type: "string" },
          { name: "max", type: "string" },
          {
            name: "sortby",
            type: "oneof",
            flags: ["optional"],
            arguments: [
              { name: "byscore", type: "pure-token", token: "BYSCORE" },
              { name: "bylex", type: "pure-token", token: "BYLEX" },
            ],
          },
          { name: "rev", type: "pure-token", token: "REV", flags: ["optional"] },
          {
            name: "offset_count",
            type: "block",
            token: "LIMIT",
            flags: ["optional"],
            arguments: [
              { name: "offset", type: "integer" },
              { name: "count", type: "integer" },
            ],
          },
        ],
      },
      handler: (c, argv) => cmd.zrangestore(c, argv, limits),
    }),
    command({
      name: "zrangebyscore",
      arity: -4,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Return a range of members in a sorted set, by score",
        since: "1.0.5",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        deprecatedSince: "6.2.0",
        replacedBy: "`ZRANGE` with the `BYSCORE` argument",
        docFlags: ["deprecated"],
        history: [
          ["2.0.0", "Added the `WITHSCORES` modifier."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "min", type: "double" },
          { name: "max", type: "double" },
          {
            name: "withscores",
            type: "pure-token",
            token: "WITHSCORES",
            since: "2.0.0",
            flags: ["optional"],
          },
          {
            name: "offset_count",
            type: "block",
            token: "LIMIT",
            flags: ["optional"],
            arguments: [
              { name: "offset", type: "integer" },
              { name: "count", type: "integer" },
            ],
          },
        ],
      },
      handler: cmd.zrangebyscore,
    }),
    command({
      name: "zrevrangebyscore",
      arity: -4,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary:
          "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        since: "2.2.0",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        deprecatedSince: "6.2.0",
        replacedBy: "`ZRANGE` with the `REV` and `BYSCORE` arguments",
        docFlags: ["deprecated"],
        history: [
          ["2.1.6", "`min` and `max` can be exclusive."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "max", type: "double" },
          { name: "min", type: "double" },
          { name: "withscores", type: "pure-token", token: "WITHSCORES", flags: ["optional"] },
          {
            name: "offset_count",
            type: "block",
            token: "LIMIT",
            flags: ["optional"],
            arguments: [
              { name: "offset", type: "integer" },
              { name: "count", type: "integer" },
            ],
          },
        ],
      },
      handler: cmd.zrevrangebyscore,
    }),
    command({
      name: "zrangebylex",
      arity: -4,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Return a range of members in a sorted set, by lexicographical range",
        since: "2.8.9",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        deprecatedSince: "6.2.0",
        replacedBy: "`ZRANGE` with the `BYLEX` argument",
        docFlags: ["deprecated"],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "min", type: "string" },
          { name: "max", type: "string" },
          {
            name: "offset_count",
            type: "block",
            token: "LIMIT",
            flags: ["optional"],
            arguments: [
              { name: "offset", type: "integer" },
              { name: "count", type: "integer" },
            ],
          },
        ],
      },
      handler: cmd.zrangebylex,
    }),
    command({
      name: "zrevrangebylex",
      arity: -4,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary:
          "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        since: "2.8.9",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        deprecatedSince: "6.2.0",
        replacedBy: "`ZRANGE` with the `REV` and `BYLEX` arguments",
        docFlags: ["deprecated"],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "max", type: "string" },
          { name: "min", type: "string" },
          {
            name: "offset_count",
            type: "block",
            token: "LIMIT",
            flags: ["optional"],
            arguments: [
              { name: "offset", type: "integer" },
              { name: "count", type: "integer" },
            ],
          },
        ],
      },
      handler: cmd.zrevrangebylex,
    }),
    command({
      name: "zrevrange",
      arity: -4,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary:
          "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        since: "1.2.0",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        deprecatedSince: "6.2.0",
        replacedBy: "`ZRANGE` with the `REV` argument",
        docFlags: ["deprecated"],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "start", type: "integer" },
          { name: "stop", type: "integer" },
          { name: "withscores", type: "pure-token", token: "WITHSCORES", flags: ["optional"] },
        ],
      },
      handler: cmd.zrevrange,
    }),
    command({
      name: "zrank",
      arity: 3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Determine the index of a member in a sorted set",
        since: "2.0.0",
        complexity: "O(log(N))",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "member", type: "string" },
        ],
      },
      handler: cmd.zrank,
    }),
    command({
      name: "zrevrank",
      arity: 3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary:
          "Determine the index of a member in a sorted set, with scores ordered from high to low",
        since: "2.0.0",
        complexity: "O(log(N))",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "member", type: "string" },
        ],
      },
      handler: cmd.zrevrank,
    }),
    command({
      name: "zrem",
      arity: -3,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "DELETE"])],
      docs: {
        summary: "Remove one or more members from a sorted set",
        since: "1.2.0",
        complexity:
          "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
        history: [
          ["2.4.0", "Accepts multiple elements."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "member", type: "string", flags: ["multiple"] },
        ],
      },
      handler: cmd.zrem,
    }),
    command({
      name: "zremrangebyrank",
      arity: 4,
      flags: ["write"],
      keySpecs: [keys.one(1, ["RW", "DELETE"])],
      docs: {
        summary: "Remove all members in a sorted set within the given indexes",
        since: "2.0.0",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "start", type: "integer" },
          { name: "stop", type: "integer" },
        ],
      },
      handler: cmd.zremrangebyrank,
    }),
    command({
      name: "zremrangebyscore",
      arity: 4,
      flags: ["write"],
      keySpecs: [keys.one(1, ["RW", "DELETE"])],
      docs: {
        summary: "Remove all members in a sorted set within the given scores",
        since: "1.2.0",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "min", type: "double" },
          { name: "max", type: "double" },
        ],
      },
      handler: cmd.zremrangebyscore,
    }),
    command({
      name: "zremrangebylex",
      arity: 4,
      flags: ["write"],
      keySpecs: [keys.one(1, ["RW", "DELETE"])],
      docs: {
        summary: "Remove all members in a sorted set between the given lexicographical range",
        since: "2.8.9",
        complexity:
          "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "min", type: "string" },
          { name: "max", type: "string" },
        ],
      },
      handler: cmd.zremrangebylex,
    }),
    command({
      name: "zpopmin",
      arity: -2,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"])],
      docs: {
        summary: "Remove and return members with the lowest scores in a sorted set",
        since: "5.0.0",
        complexity:
          "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "count", type: "integer", flags: ["optional"] },
        ],
      },
      handler: pop.zpopmin,
    }),
    command({
      name: "zpopmax",
      arity: -2,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"])],
      docs: {
        summary: "Remove and return members with the highest scores in a sorted set",
        since: "5.0.0",
        complexity:
          "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "count", type: "integer", flags: ["optional"] },
        ],
      },
      handler: pop.zpopmax,
    }),
    command({
      name: "bzpopmin",
      arity: -3,
      flags: ["write", "noscript", "blocking", "fast"],
      keySpecs: [keys.rest(1, ["RW", "ACCESS", "DELETE"], 1, -2)],
      docs: {
        summary:
          "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        since: "5.0.0",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        history: [
          ["6.0.0", "`timeout` is interpreted as a double instead of an integer."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
          { name: "timeout", type: "double" },
        ],
      },
      handler: pop.bzpopmin,
    }),
    command({
      name: "bzpopmax",
      arity: -3,
      flags: ["write", "noscript", "blocking", "fast"],
      keySpecs: [keys.rest(1, ["RW", "ACCESS", "DELETE"], 1, -2)],
      docs: {
        summary:
          "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        since: "5.0.0",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        history: [
          ["6.0.0", "`timeout` is interpreted as a double instead of an integer."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
          { name: "timeout", type: "double" },
        ],
      },
      handler: pop.bzpopmax,
    }),
    command({
      name: "zmpop",
      arity: -4,
      flags: ["write"],
      keySpecs: [keys.counted(1, ["RW", "ACCESS", "DELETE"])],
      docs: {
        summary: "Remove and return members with scores in a sorted set",
        since: "7.0.0",
        complexity:
          "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: [
          { name: "numkeys", type: "integer" },
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
          {
            name: "where",
            type: "oneof",
            arguments: [
              { name: "min", type: "pure-token", token: "MIN" },
              { name: "max", type: "pure-token", token: "MAX" },
            ],
          },
          { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
        ],
      },
      handler: pop.zmpop,
    }),
    command({
      name: "bzmpop",
      arity: -5,
      flags: ["write", "blocking"],
      keySpecs: [keys.counted(2, ["RW", "ACCESS", "DELETE"])],
      docs: {
        summary:
          "Remove and return members with scores in a sorted set or block until one is available",
        since: "7.0.0",
        complexity:
          "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        arguments: [
          { name: "timeout", type: "double" },
          { name: "numkeys", type: "integer" },
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
          {
            name: "where",
            type: "oneof",
            arguments: [
              { name: "min", type: "pure-token", token: "MIN" },
              { name: "max", type: "pure-token", token: "MAX" },
            ],
          },
          { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
        ],
      },
      handler: pop.bzmpop,
    }),
    command({
      name: "zrandmember",
      arity: -2,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Get one or multiple random elements from a sorted set",
        since: "6.2.0",
        complexity: "O(N) where N is the number of elements returned",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          {
            name: "options",
            type: "block",
            flags: ["optional"],
            arguments: [
              { name: "count", type: "integer" },
              { name: "withscores", type: "pure-token", token: "WITHSCORES", flags: ["optional"] },
            ],
          },
        ],
      },
      handler: pop.zrandmember,
    }),
    command({
      name: "zunion",
      arity: -3,
      flags: ["readonly"],
      keySpecs: [keys.counted(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Add multiple sorted sets",
        since: "6.2.0",
        complexity:
          "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        arguments: UNION_INTER_ARGS,
      },
      handler: setOp({ op: "union" }),
    }),
    command({
      name: "zinter",
      arity: -3,
      flags: ["readonly"],
      keySpecs: [keys.counted(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Intersect multiple sorted sets",
        since: "6.2.0",
        complexity:
          "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        arguments: UNION_INTER_ARGS,
      },
      handler: setOp({ op: "inter" }),
    }),
    command({
      name: "zdiff",
      arity: -3,
      flags: ["readonly"],
      keySpecs: [keys.counted(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Subtract multiple sorted sets",
        since: "6.2.0",
        complexity:
          "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        arguments: [
          { name: "numkeys", type: "integer" },
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
          { name: "withscores", type: "pure-token", token: "WITHSCORES", flags: ["optional"] },
        ],
      },
      handler: setOp({ op: "diff" }),
    }),
    command({
      name: "zunionstore",
      arity: -4,
      flags: ["write", "denyoom"],
      keySpecs: [
        keys.one(1, ["OW", "UPDATE"]),
        keys.counted(2, ["RO", "ACCESS"]),
      ],
      docs: {
        summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
        since: "2.0.0",
        complexity:
          "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        arguments: UNION_INTER_STORE_ARGS,
      },
      handler: setOp({ op: "union", store: true }),
    }),
    command({
      name: "zinterstore",
      arity: -4,
      flags: ["write", "denyoom"],
      keySpecs: [
        keys.one(1, ["OW", "UPDATE"]),
        keys.counted(2, ["RO", "ACCESS"]),
      ],
      docs: {
        summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        since: "2.0.0",
        complexity:
          "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        arguments: UNION_INTER_STORE_ARGS,
      },
      handler: setOp({ op: "inter", store: true }),
    }),
    command({
      name: "zdiffstore",
      arity: -4,
      flags: ["write", "denyoom"],
      keySpecs: [
        keys.one(1, ["OW", "UPDATE"]),
        keys.counted(2, ["RO", "ACCESS"]),
      ],
      docs: {
        summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        since: "6.2.0",
        complexity:
          "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        arguments: [
          { name: "destination", type: "key", keySpecIndex: 0 },
          { name: "numkeys", type: "integer" },
          { name: "key", type: "key", keySpecIndex: 1, flags: ["multiple"] },
        ],
      },
      handler: setOp({ op: "diff", store: true }),
    }),
    command({
      name: "zintercard",
      arity: -3,
      flags: ["readonly"],
      keySpecs: [keys.counted(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Intersect multiple sorted sets and return the cardinality of the result",
        since: "7.0.0",
        complexity:
          "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
        arguments: [
          { name: "numkeys", type: "integer" },
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
          { name: "limit", type: "integer", token: "LIMIT", flags: ["optional"] },
        ],
      },
      handler: setOp({ op: "inter", cardOnly: true }),
    }),
    command({
      name: "zscan",
      arity: -3,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Incrementally iterate sorted sets elements and associated scores",
        since: "2.8.0",
        complexity:
          "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "cursor", type: "integer" },
          { name: "pattern", type: "pattern", token: "MATCH", flags: ["optional"] },
          { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
        ],
      },
      handler: pop.zscan,
    }),
  ];
}
