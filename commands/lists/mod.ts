/**
 * The LISTS family: push, pop, ranges, LPOS, LMOVE, LMPOP and the blocking
 * pops, with Redis 7.0's specs, replies, errors, keyspace events and
 * propagation.
 *
 * Lists are {@link ListValue}s, ring-buffer deques: O(1) at both ends and
 * by index. Handlers live in `list_commands.ts` and `list_blocking.ts`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import type { CommandSpec, KeySpec } from "../../core/types.ts";
import { commandGroup, keys } from "../../core/registry.ts";
import { listType } from "./_value.ts";
import * as cmd from "./_commands.ts";
import * as blk from "./_blocking.ts";

const PUSH = ["write", "denyoom", "fast"] as const;
const PUSH_KEY: KeySpec = keys.one(1, ["RW", "INSERT"]);
const POP_KEY: KeySpec = keys.one(1, ["RW", "ACCESS", "DELETE"]);
const READ_KEY: KeySpec = keys.one(1, ["RO", "ACCESS"]);
const MOVE_KEYS: readonly KeySpec[] = [
  keys.one(1, ["RW", "ACCESS", "DELETE"]),
  keys.one(2, ["RW", "INSERT"]),
];
const PUSH_O = "O(1) for each element added, so O(N) to add N elements when the command " +
  "is called with multiple arguments.";
const MPOP_O = "O(N+M) where N is the number of provided keys and M is the number of " +
  "elements returned.";

const spec = commandGroup("list");

const commands: CommandSpec[] = [
  spec("lpush", -3, PUSH, [PUSH_KEY], cmd.lpush, {
    summary: "Prepend one or multiple elements to a list",
    since: "1.0.0",
    complexity: PUSH_O,
  }),
  spec("rpush", -3, PUSH, [PUSH_KEY], cmd.rpush, {
    summary: "Append one or multiple elements to a list",
    since: "1.0.0",
    complexity: PUSH_O,
  }),
  spec("lpushx", -3, PUSH, [PUSH_KEY], cmd.lpushx, {
    summary: "Prepend an element to a list, only if the list exists",
    since: "2.2.0",
    complexity: PUSH_O,
  }),
  spec("rpushx", -3, PUSH, [PUSH_KEY], cmd.rpushx, {
    summary: "Append an element to a list, only if the list exists",
    since: "2.2.0",
    complexity: PUSH_O,
  }),
  spec("lpop", -2, ["write", "fast"], [POP_KEY], cmd.lpop, {
    summary: "Remove and get the first elements in a list",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements returned",
  }),
  spec("rpop", -2, ["write", "fast"], [POP_KEY], cmd.rpop, {
    summary: "Remove and get the last elements in a list",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements returned",
  }),
  spec("llen", 2, ["readonly", "fast"], [keys.one(1, ["RO"])], cmd.llen, {
    summary: "Get the length of a list",
    since: "1.0.0",
    complexity: "O(1)",
  }),
  spec("lrange", 4, ["readonly"], [READ_KEY], cmd.lrange, {
    summary: "Get a range of elements from a list",
    since: "1.0.0",
    complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, " +
      "from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in " +
      "the specified range.",
  }),
  spec("lindex", 3, ["readonly"], [READ_KEY], cmd.lindex, {
    summary: "Get an element from a list by its index",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements to traverse to get to the element " +
      "at index. This makes asking for the first or the last element of the list O(1).",
  }),
  spec("lset", 4, ["write", "denyoom"], [keys.one(1, ["RW", "UPDATE"])], cmd.lset, {
    summary: "Set the value of an element in a list by its index",
    since: "1.0.0",
    complexity: "O(N) where N is the length of the list. Setting either the first or the " +
      "last element of the list is O(1).",
  }),
  spec("lrem", 4, ["write"], [keys.one(1, ["RW", "DELETE"])], cmd.lrem, {
    summary: "Remove elements from a list",
    since: "1.0.0",
    complexity: "O(N+M) where N is the length of the list and M is the number of elements " +
      "removed.",
  }),
  spec("ltrim", 4, ["write"], [keys.one(1, ["RW", "DELETE"])], cmd.ltrim, {
    summary: "Trim a list to the specified range",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements to be removed by the operation.",
  }),
  spec("linsert", 5, ["write", "denyoom"], [PUSH_KEY], cmd.linsert, {
    summary: "Insert an element before or after another element in a list",
    since: "2.2.0",
    complexity: "O(N) where N is the number of elements to traverse before seeing the value " +
      "pivot. This means that inserting somewhere on the left end on the list (head) can be " +
      "considered O(1) and inserting somewhere on the right end (tail) is O(N).",
  }),
  spec("lpos", -3, ["readonly"], [READ_KEY], cmd.lpos, {
    summary: "Return the index of matching elements on a list",
    since: "6.0.6",
    complexity: "O(N) where N is the number of elements in the list, for the average case. " +
      "When searching for elements near the head or the tail of the list, or when the " +
      "MAXLEN option is provided, the command may run in constant time.",
  }),
  spec("lmove", 5, ["write", "denyoom"], MOVE_KEYS, cmd.lmove, {
    summary: "Pop an element from a list, push it to another list and return it",
    since: "6.2.0",
    complexity: "O(1)",
  }),
  spec("rpoplpush", 3, ["write", "denyoom"], MOVE_KEYS, cmd.rpoplpush, {
    summary: "Remove the last element in a list, prepend it to another list and return it",
    since: "1.2.0",
    complexity: "O(1)",
  }),
  spec("lmpop", -4, ["write"], [keys.counted(1, ["RW", "ACCESS", "DELETE"])], cmd.lmpop, {
    summary: "Pop elements from a list",
    since: "7.0.0",
    complexity: MPOP_O,
  }),
  spec(
    "blpop",
    -3,
    ["write", "noscript", "blocking"],
    [keys.rest(1, ["RW", "ACCESS", "DELETE"], 1, -2)],
    blk.blpop,
    {
      summary: "Remove and get the first element in a list, or block until one is available",
      since: "2.0.0",
      complexity: "O(N) where N is the number of provided keys.",
    },
  ),
  spec(
    "brpop",
    -3,
    ["write", "noscript", "blocking"],
    [keys.rest(1, ["RW", "ACCESS", "DELETE"], 1, -2)],
    blk.brpop,
    {
      summary: "Remove and get the last element in a list, or block until one is available",
      since: "2.0.0",
      complexity: "O(N) where N is the number of provided keys.",
    },
  ),
  spec("blmove", 6, ["write", "denyoom", "noscript", "blocking"], MOVE_KEYS, blk.blmove, {
    summary:
      "Pop an element from a list, push it to another list and return it; or block until one is available",
    since: "6.2.0",
    complexity: "O(1)",
  }),
  spec("brpoplpush", 4, ["write", "denyoom", "noscript", "blocking"], MOVE_KEYS, blk.brpoplpush, {
    summary:
      "Pop an element from a list, push it to another list and return it; or block until one is available",
    since: "2.2.0",
    complexity: "O(1)",
  }),
  spec(
    "blmpop",
    -5,
    ["write", "blocking"],
    [keys.counted(2, ["RW", "ACCESS", "DELETE"])],
    blk.blmpop,
    {
      summary: "Pop elements from a list, or block until one is available",
      since: "7.0.0",
      complexity: MPOP_O,
    },
  ),
];

/**
 * The lists plugin: the commands above, the `list` value type and the list
 * encoding directives (kept for CONFIG compatibility; Redis 7.0 encodes
 * every list as a quicklist).
 *
 * @example
 * ```ts ignore
 * import lists from "./mod.ts";
 * await startServer({ port: 0, plugins: [lists] });
 * ```
 */
export default definePlugin({
  name: "lists",
  config: [
    {
      name: "list-max-listpack-size",
      type: "int",
      default: "-2",
      min: -2147483648,
      max: 2147483647,
      aliases: ["list-max-ziplist-size"],
    },
    { name: "list-compress-depth", type: "int", default: "0", min: 0, max: 2147483647 },
  ],
  commands,
  init(server) {
    server.keyspace.types.set("list", listType);
  },
});
