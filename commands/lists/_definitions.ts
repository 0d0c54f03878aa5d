/**
 * The definitions of the list commands: for each, Redis 7.0's COMMAND INFO
 * and DOCS facts beside its handler (in `_commands.ts` and `_blocking.ts`).
 *
 * @module
 */

import type { CommandSpec } from "../../core/types.ts";
import { commandFamily, keys } from "../../core/registry.ts";
import * as cmd from "./_commands.ts";
import * as blk from "./_blocking.ts";

const command = commandFamily({ category: "list" });

/** Every list command. */
export const listCommands: readonly CommandSpec[] = [
  command({
    name: "lpush",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "INSERT"])],
    docs: {
      summary: "Prepend one or multiple elements to a list",
      since: "1.0.0",
      complexity:
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
      history: [
        ["2.4.0", "Accepts multiple `element` arguments."],
      ],
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "element", type: "string", flags: ["multiple"] },
      ],
    },
    handler: cmd.lpush,
  }),
  command({
    name: "rpush",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "INSERT"])],
    docs: {
      summary: "Append one or multiple elements to a list",
      since: "1.0.0",
      complexity:
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
      history: [
        ["2.4.0", "Accepts multiple `element` arguments."],
      ],
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "element", type: "string", flags: ["multiple"] },
      ],
    },
    handler: cmd.rpush,
  }),
  command({
    name: "lpushx",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "INSERT"])],
    docs: {
      summary: "Prepend an element to a list, only if the list exists",
      since: "2.2.0",
      complexity:
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
      history: [
        ["4.0.0", "Accepts multiple `element` arguments."],
      ],
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "element", type: "string", flags: ["multiple"] },
      ],
    },
    handler: cmd.lpushx,
  }),
  command({
    name: "rpushx",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keySpecs: [keys.one(1, ["RW", "INSERT"])],
    docs: {
      summary: "Append an element to a list, only if the list exists",
      since: "2.2.0",
      complexity:
        "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
      history: [
        ["4.0.0", "Accepts multiple `element` arguments."],
      ],
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "element", type: "string", flags: ["multiple"] },
      ],
    },
    handler: cmd.rpushx,
  }),
  command({
    name: "lpop",
    arity: -2,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"])],
    docs: {
      summary: "Remove and get the first elements in a list",
      since: "1.0.0",
      complexity: "O(N) where N is the number of elements returned",
      history: [
        ["6.2.0", "Added the `count` argument."],
      ],
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "count", type: "integer", since: "6.2.0", flags: ["optional"] },
      ],
    },
    handler: cmd.lpop,
  }),
  command({
    name: "rpop",
    arity: -2,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"])],
    docs: {
      summary: "Remove and get the last elements in a list",
      since: "1.0.0",
      complexity: "O(N) where N is the number of elements returned",
      history: [
        ["6.2.0", "Added the `count` argument."],
      ],
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "count", type: "integer", since: "6.2.0", flags: ["optional"] },
      ],
    },
    handler: cmd.rpop,
  }),
  command({
    name: "llen",
    arity: 2,
    flags: ["readonly", "fast"],
    keySpecs: [keys.one(1, ["RO"])],
    docs: {
      summary: "Get the length of a list",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
      ],
    },
    handler: cmd.llen,
  }),
  command({
    name: "lrange",
    arity: 4,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Get a range of elements from a list",
      since: "1.0.0",
      complexity:
        "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "start", type: "integer" },
        { name: "stop", type: "integer" },
      ],
    },
    handler: cmd.lrange,
  }),
  command({
    name: "lindex",
    arity: 3,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Get an element from a list by its index",
      since: "1.0.0",
      complexity:
        "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "index", type: "integer" },
      ],
    },
    handler: cmd.lindex,
  }),
  command({
    name: "lset",
    arity: 4,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, ["RW", "UPDATE"])],
    docs: {
      summary: "Set the value of an element in a list by its index",
      since: "1.0.0",
      complexity:
        "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "index", type: "integer" },
        { name: "element", type: "string" },
      ],
    },
    handler: cmd.lset,
  }),
  command({
    name: "lrem",
    arity: 4,
    flags: ["write"],
    keySpecs: [keys.one(1, ["RW", "DELETE"])],
    docs: {
      summary: "Remove elements from a list",
      since: "1.0.0",
      complexity:
        "O(N+M) where N is the length of the list and M is the number of elements removed.",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "count", type: "integer" },
        { name: "element", type: "string" },
      ],
    },
    handler: cmd.lrem,
  }),
  command({
    name: "ltrim",
    arity: 4,
    flags: ["write"],
    keySpecs: [keys.one(1, ["RW", "DELETE"])],
    docs: {
      summary: "Trim a list to the specified range",
      since: "1.0.0",
      complexity: "O(N) where N is the number of elements to be removed by the operation.",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "start", type: "integer" },
        { name: "stop", type: "integer" },
      ],
    },
    handler: cmd.ltrim,
  }),
  command({
    name: "linsert",
    arity: 5,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, ["RW", "INSERT"])],
    docs: {
      summary: "Insert an element before or after another element in a list",
      since: "2.2.0",
      complexity:
        "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        {
          name: "where",
          type: "oneof",
          arguments: [
            { name: "before", type: "pure-token", token: "BEFORE" },
            { name: "after", type: "pure-token", token: "AFTER" },
          ],
        },
        { name: "pivot", type: "string" },
        { name: "element", type: "string" },
      ],
    },
    handler: cmd.linsert,
  }),
  command({
    name: "lpos",
    arity: -3,
    flags: ["readonly"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"])],
    docs: {
      summary: "Return the index of matching elements on a list",
      since: "6.0.6",
      complexity:
        "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "element", type: "string" },
        { name: "rank", type: "integer", token: "RANK", flags: ["optional"] },
        { name: "num-matches", type: "integer", token: "COUNT", flags: ["optional"] },
        { name: "len", type: "integer", token: "MAXLEN", flags: ["optional"] },
      ],
    },
    handler: cmd.lpos,
  }),
  command({
    name: "lmove",
    arity: 5,
    flags: ["write", "denyoom"],
    keySpecs: [
      keys.one(1, ["RW", "ACCESS", "DELETE"]),
      keys.one(2, ["RW", "INSERT"]),
    ],
    docs: {
      summary: "Pop an element from a list, push it to another list and return it",
      since: "6.2.0",
      complexity: "O(1)",
      arguments: [
        { name: "source", type: "key", keySpecIndex: 0 },
        { name: "destination", type: "key", keySpecIndex: 1 },
        {
          name: "wherefrom",
          type: "oneof",
          arguments: [
            { name: "left", type: "pure-token", token: "LEFT" },
            { name: "right", type: "pure-token", token: "RIGHT" },
          ],
        },
        {
          name: "whereto",
          type: "oneof",
          arguments: [
            { name: "left", type: "pure-token", token: "LEFT" },
            { name: "right", type: "pure-token", token: "RIGHT" },
          ],
        },
      ],
    },
    handler: cmd.lmove,
  }),
  command({
    name: "rpoplpush",
    arity: 3,
    flags: ["write", "denyoom"],
    keySpecs: [
      keys.one(1, ["RW", "ACCESS", "DELETE"]),
      keys.one(2, ["RW", "INSERT"]),
    ],
    docs: {
      summary: "Remove the last element in a list, prepend it to another list and return it",
      since: "1.2.0",
      complexity: "O(1)",
      deprecatedSince: "6.2.0",
      replacedBy: "`LMOVE` with the `RIGHT` and `LEFT` arguments",
      docFlags: ["deprecated"],
      arguments: [
        { name: "source", type: "key", keySpecIndex: 0 },
        { name: "destination", type: "key", keySpecIndex: 1 },
      ],
    },
    handler: cmd.rpoplpush,
  }),
  command({
    name: "lmpop",
    arity: -4,
    flags: ["write"],
    keySpecs: [keys.counted(1, ["RW", "ACCESS", "DELETE"])],
    docs: {
      summary: "Pop elements from a list",
      since: "7.0.0",
      complexity:
        "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
      arguments: [
        { name: "numkeys", type: "integer" },
        { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
        {
          name: "where",
          type: "oneof",
          arguments: [
            { name: "left", type: "pure-token", token: "LEFT" },
            { name: "right", type: "pure-token", token: "RIGHT" },
          ],
        },
        { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
      ],
    },
    handler: cmd.lmpop,
  }),
  command({
    name: "blpop",
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    keySpecs: [keys.rest(1, ["RW", "ACCESS", "DELETE"], 1, -2)],
    docs: {
      summary: "Remove and get the first element in a list, or block until one is available",
      since: "2.0.0",
      complexity: "O(N) where N is the number of provided keys.",
      history: [
        ["6.0.0", "`timeout` is interpreted as a double instead of an integer."],
      ],
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
        { name: "timeout", type: "double" },
      ],
    },
    handler: blk.blpop,
  }),
  command({
    name: "brpop",
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    keySpecs: [keys.rest(1, ["RW", "ACCESS", "DELETE"], 1, -2)],
    docs: {
      summary: "Remove and get the last element in a list, or block until one is available",
      since: "2.0.0",
      complexity: "O(N) where N is the number of provided keys.",
      history: [
        ["6.0.0", "`timeout` is interpreted as a double instead of an integer."],
      ],
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
        { name: "timeout", type: "double" },
      ],
    },
    handler: blk.brpop,
  }),
  command({
    name: "blmove",
    arity: 6,
    flags: ["write", "denyoom", "noscript", "blocking"],
    keySpecs: [
      keys.one(1, ["RW", "ACCESS", "DELETE"]),
      keys.one(2, ["RW", "INSERT"]),
    ],
    docs: {
      summary:
        "Pop an element from a list, push it to another list and return it; or block until one is available",
      since: "6.2.0",
      complexity: "O(1)",
      arguments: [
        { name: "source", type: "key", keySpecIndex: 0 },
        { name: "destination", type: "key", keySpecIndex: 1 },
        {
          name: "wherefrom",
          type: "oneof",
          arguments: [
            { name: "left", type: "pure-token", token: "LEFT" },
            { name: "right", type: "pure-token", token: "RIGHT" },
          ],
        },
        {
          name: "whereto",
          type: "oneof",
          arguments: [
            { name: "left", type: "pure-token", token: "LEFT" },
            { name: "right", type: "pure-token", token: "RIGHT" },
          ],
        },
        { name: "timeout", type: "double" },
      ],
    },
    handler: blk.blmove,
  }),
  command({
    name: "brpoplpush",
    arity: 4,
    flags: ["write", "denyoom", "noscript", "blocking"],
    keySpecs: [
      keys.one(1, ["RW", "ACCESS", "DELETE"]),
      keys.one(2, ["RW", "INSERT"]),
    ],
    docs: {
      summary:
        "Pop an element from a list, push it to another list and return it; or block until one is available",
      since: "2.2.0",
      complexity: "O(1)",
      deprecatedSince: "6.2.0",
      replacedBy: "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
      docFlags: ["deprecated"],
      history: [
        ["6.0.0", "`timeout` is interpreted as a double instead of an integer."],
      ],
      arguments: [
        { name: "source", type: "key", keySpecIndex: 0 },
        { name: "destination", type: "key", keySpecIndex: 1 },
        { name: "timeout", type: "double" },
      ],
    },
    handler: blk.brpoplpush,
  }),
  command({
    name: "blmpop",
    arity: -5,
    flags: ["write", "blocking"],
    keySpecs: [keys.counted(2, ["RW", "ACCESS", "DELETE"])],
    docs: {
      summary: "Pop elements from a list, or block until one is available",
      since: "7.0.0",
      complexity:
        "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
      arguments: [
        { name: "timeout", type: "double" },
        { name: "numkeys", type: "integer" },
        { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
        {
          name: "where",
          type: "oneof",
          arguments: [
            { name: "left", type: "pure-token", token: "LEFT" },
            { name: "right", type: "pure-token", token: "RIGHT" },
          ],
        },
        { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
      ],
    },
    handler: blk.blmpop,
  }),
];
