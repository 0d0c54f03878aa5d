/**
 * The definitions of the hash commands: for each, Redis 7.0's COMMAND INFO
 * and DOCS facts beside its handler (in `_commands.ts` and `_random.ts`).
 *
 * @module
 */

import type { CommandArg, CommandSpec } from "../../core/types.ts";
import { commandFamily, keys } from "../../core/registry.ts";
import type { HashLimits } from "./_value.ts";
import * as cmd from "./_commands.ts";
import { hrandfield, hscan } from "./_random.ts";

const command = commandFamily({ category: "hash" });

/** HSET's and HMSET's arguments. */
const HSET_ARGS: readonly CommandArg[] = [
  { name: "key", type: "key", keySpecIndex: 0 },
  {
    name: "field_value",
    type: "block",
    flags: ["multiple"],
    arguments: [
      { name: "field", type: "string" },
      { name: "value", type: "string" },
    ],
  },
];

/**
 * Every hash command, for a server whose listpack thresholds are `limits`
 * (the plugin keeps them up to date with CONFIG SET).
 */
export function hashCommands(limits: HashLimits): CommandSpec[] {
  return [
    command({
      name: "hset",
      arity: -4,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "UPDATE"])],
      docs: {
        summary: "Set the string value of a hash field",
        since: "2.0.0",
        complexity:
          "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        history: [
          ["4.0.0", "Accepts multiple `field` and `value` arguments."],
        ],
        arguments: HSET_ARGS,
      },
      handler: (c, argv) => cmd.hset(c, argv, limits),
    }),
    command({
      name: "hsetnx",
      arity: 4,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "INSERT"])],
      docs: {
        summary: "Set the value of a hash field, only if the field does not exist",
        since: "2.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "field", type: "string" },
          { name: "value", type: "string" },
        ],
      },
      handler: (c, argv) => cmd.hsetnx(c, argv, limits),
    }),
    command({
      name: "hmset",
      arity: -4,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "UPDATE"])],
      docs: {
        summary: "Set multiple hash fields to multiple values",
        since: "2.0.0",
        complexity: "O(N) where N is the number of fields being set.",
        deprecatedSince: "4.0.0",
        replacedBy: "`HSET` with multiple field-value pairs",
        docFlags: ["deprecated"],
        arguments: HSET_ARGS,
      },
      handler: (c, argv) => cmd.hmset(c, argv, limits),
    }),
    command({
      name: "hget",
      arity: 3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Get the value of a hash field",
        since: "2.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "field", type: "string" },
        ],
      },
      handler: cmd.hget,
    }),
    command({
      name: "hmget",
      arity: -3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Get the values of all the given hash fields",
        since: "2.0.0",
        complexity: "O(N) where N is the number of fields being requested.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "field", type: "string", flags: ["multiple"] },
        ],
      },
      handler: cmd.hmget,
    }),
    command({
      name: "hgetall",
      arity: 2,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Get all the fields and values in a hash",
        since: "2.0.0",
        complexity: "O(N) where N is the size of the hash.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
        ],
      },
      handler: cmd.hgetall,
    }),
    command({
      name: "hdel",
      arity: -3,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "DELETE"])],
      docs: {
        summary: "Delete one or more hash fields",
        since: "2.0.0",
        complexity: "O(N) where N is the number of fields to be removed.",
        history: [
          ["2.4.0", "Accepts multiple `field` arguments."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "field", type: "string", flags: ["multiple"] },
        ],
      },
      handler: cmd.hdel,
    }),
    command({
      name: "hlen",
      arity: 2,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO"])],
      docs: {
        summary: "Get the number of fields in a hash",
        since: "2.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
        ],
      },
      handler: cmd.hlen,
    }),
    command({
      name: "hexists",
      arity: 3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO"])],
      docs: {
        summary: "Determine if a hash field exists",
        since: "2.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "field", type: "string" },
        ],
      },
      handler: cmd.hexists,
    }),
    command({
      name: "hkeys",
      arity: 2,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Get all the fields in a hash",
        since: "2.0.0",
        complexity: "O(N) where N is the size of the hash.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
        ],
      },
      handler: cmd.hkeys,
    }),
    command({
      name: "hvals",
      arity: 2,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Get all the values in a hash",
        since: "2.0.0",
        complexity: "O(N) where N is the size of the hash.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
        ],
      },
      handler: cmd.hvals,
    }),
    command({
      name: "hstrlen",
      arity: 3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO"])],
      docs: {
        summary: "Get the length of the value of a hash field",
        since: "3.2.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "field", type: "string" },
        ],
      },
      handler: cmd.hstrlen,
    }),
    command({
      name: "hincrby",
      arity: 4,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
      docs: {
        summary: "Increment the integer value of a hash field by the given number",
        since: "2.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "field", type: "string" },
          { name: "increment", type: "integer" },
        ],
      },
      handler: (c, argv) => cmd.hincrby(c, argv, limits),
    }),
    command({
      name: "hincrbyfloat",
      arity: 4,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
      docs: {
        summary: "Increment the float value of a hash field by the given amount",
        since: "2.6.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "field", type: "string" },
          { name: "increment", type: "double" },
        ],
      },
      handler: (c, argv) => cmd.hincrbyfloat(c, argv, limits),
    }),
    command({
      name: "hrandfield",
      arity: -2,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Get one or multiple random fields from a hash",
        since: "6.2.0",
        complexity: "O(N) where N is the number of fields returned",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          {
            name: "options",
            type: "block",
            flags: ["optional"],
            arguments: [
              { name: "count", type: "integer" },
              { name: "withvalues", type: "pure-token", token: "WITHVALUES", flags: ["optional"] },
            ],
          },
        ],
      },
      handler: hrandfield,
    }),
    command({
      name: "hscan",
      arity: -3,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Incrementally iterate hash fields and associated values",
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
      handler: hscan,
    }),
  ];
}
