/**
 * The definitions of the set commands: for each, Redis 7.0's COMMAND INFO
 * and DOCS facts beside its handler (in `_commands.ts` and `_ops.ts`).
 *
 * @module
 */

import type { CommandSpec } from "../../core/types.ts";
import { commandFamily, keys } from "../../core/registry.ts";
import type { SetLimits } from "./_value.ts";
import * as cmd from "./_commands.ts";
import * as ops from "./_ops.ts";

const command = commandFamily({ category: "set" });

/**
 * Every set command, for a server whose intset threshold is `limits` (the
 * plugin keeps it up to date with CONFIG SET).
 */
export function setCommands(limits: SetLimits): CommandSpec[] {
  return [
    command({
      name: "sadd",
      arity: -3,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "INSERT"])],
      docs: {
        summary: "Add one or more members to a set",
        since: "1.0.0",
        complexity:
          "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        history: [
          ["2.4.0", "Accepts multiple `member` arguments."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "member", type: "string", flags: ["multiple"] },
        ],
      },
      handler: (c, argv) => cmd.sadd(c, argv, limits),
    }),
    command({
      name: "srem",
      arity: -3,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "DELETE"])],
      docs: {
        summary: "Remove one or more members from a set",
        since: "1.0.0",
        complexity: "O(N) where N is the number of members to be removed.",
        history: [
          ["2.4.0", "Accepts multiple `member` arguments."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "member", type: "string", flags: ["multiple"] },
        ],
      },
      handler: cmd.srem,
    }),
    command({
      name: "smembers",
      arity: 2,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Get all the members in a set",
        since: "1.0.0",
        complexity: "O(N) where N is the set cardinality.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
        ],
      },
      handler: cmd.smembers,
    }),
    command({
      name: "sismember",
      arity: 3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO"])],
      docs: {
        summary: "Determine if a given value is a member of a set",
        since: "1.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "member", type: "string" },
        ],
      },
      handler: cmd.sismember,
    }),
    command({
      name: "smismember",
      arity: -3,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Returns the membership associated with the given elements for a set",
        since: "6.2.0",
        complexity: "O(N) where N is the number of elements being checked for membership",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "member", type: "string", flags: ["multiple"] },
        ],
      },
      handler: cmd.smismember,
    }),
    command({
      name: "scard",
      arity: 2,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO"])],
      docs: {
        summary: "Get the number of members in a set",
        since: "1.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
        ],
      },
      handler: cmd.scard,
    }),
    command({
      name: "spop",
      arity: -2,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Remove and return one or multiple random members from a set",
        since: "1.0.0",
        complexity:
          "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        history: [
          ["3.2.0", "Added the `count` argument."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "count", type: "integer", since: "3.2.0", flags: ["optional"] },
        ],
      },
      handler: (c, argv) => cmd.spop(c, argv, limits),
    }),
    command({
      name: "srandmember",
      arity: -2,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Get one or multiple random members from a set",
        since: "1.0.0",
        complexity:
          "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        history: [
          ["2.6.0", "Added the optional `count` argument."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "count", type: "integer", since: "2.6.0", flags: ["optional"] },
        ],
      },
      handler: cmd.srandmember,
    }),
    command({
      name: "smove",
      arity: 4,
      flags: ["write", "fast"],
      keySpecs: [
        keys.one(1, ["RW", "ACCESS", "DELETE"]),
        keys.one(2, ["RW", "INSERT"]),
      ],
      docs: {
        summary: "Move a member from one set to another",
        since: "1.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "source", type: "key", keySpecIndex: 0 },
          { name: "destination", type: "key", keySpecIndex: 1 },
          { name: "member", type: "string" },
        ],
      },
      handler: (c, argv) => cmd.smove(c, argv, limits),
    }),
    command({
      name: "sscan",
      arity: -3,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Incrementally iterate Set elements",
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
      handler: cmd.sscan,
    }),
    command({
      name: "sinter",
      arity: -2,
      flags: ["readonly"],
      keySpecs: [keys.rest(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Intersect multiple sets",
        since: "1.0.0",
        complexity:
          "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
        ],
      },
      handler: ops.sinter,
    }),
    command({
      name: "sintercard",
      arity: -3,
      flags: ["readonly"],
      keySpecs: [keys.counted(1, ["RO", "ACCESS"])],
      docs: {
        summary: "Intersect multiple sets and return the cardinality of the result",
        since: "7.0.0",
        complexity:
          "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        arguments: [
          { name: "numkeys", type: "integer" },
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
          { name: "limit", type: "integer", token: "LIMIT", flags: ["optional"] },
        ],
      },
      handler: ops.sintercard,
    }),
    command({
      name: "sinterstore",
      arity: -3,
      flags: ["write", "denyoom"],
      keySpecs: [
        keys.one(1, ["RW", "UPDATE"]),
        keys.rest(2, ["RO", "ACCESS"]),
      ],
      docs: {
        summary: "Intersect multiple sets and store the resulting set in a key",
        since: "1.0.0",
        complexity:
          "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        arguments: [
          { name: "destination", type: "key", keySpecIndex: 0 },
          { name: "key", type: "key", keySpecIndex: 1, flags: ["multiple"] },
        ],
      },
      handler: (c, argv) => ops.sinterstore(c, argv, limits),
    }),
    command({
      name: "sunion",
      arity: -2,
      flags: ["readonly"],
      keySpecs: [keys.rest(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Add multiple sets",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
        ],
      },
      handler: (c, argv) => ops.sunion(c, argv, limits),
    }),
    command({
      name: "sunionstore",
      arity: -3,
      flags: ["write", "denyoom"],
      keySpecs: [
        keys.one(1, ["OW", "UPDATE"]),
        keys.rest(2, ["RO", "ACCESS"]),
      ],
      docs: {
        summary: "Add multiple sets and store the resulting set in a key",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        arguments: [
          { name: "destination", type: "key", keySpecIndex: 0 },
          { name: "key", type: "key", keySpecIndex: 1, flags: ["multiple"] },
        ],
      },
      handler: (c, argv) => ops.sunionstore(c, argv, limits),
    }),
    command({
      name: "sdiff",
      arity: -2,
      flags: ["readonly"],
      keySpecs: [keys.rest(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output_order"],
      docs: {
        summary: "Subtract multiple sets",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
        ],
      },
      handler: (c, argv) => ops.sdiff(c, argv, limits),
    }),
    command({
      name: "sdiffstore",
      arity: -3,
      flags: ["write", "denyoom"],
      keySpecs: [
        keys.one(1, ["OW", "UPDATE"]),
        keys.rest(2, ["RO", "ACCESS"]),
      ],
      docs: {
        summary: "Subtract multiple sets and store the resulting set in a key",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        arguments: [
          { name: "destination", type: "key", keySpecIndex: 0 },
          { name: "key", type: "key", keySpecIndex: 1, flags: ["multiple"] },
        ],
      },
      handler: (c, argv) => ops.sdiffstore(c, argv, limits),
    }),
  ];
}
