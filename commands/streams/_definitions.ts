/**
 * The definitions of the stream commands: for each, Redis 7.0's COMMAND
 * INFO and DOCS facts beside its handler (entries in `_commands.ts`,
 * reads in `_read.ts`, consumer groups in `_group_commands.ts`, XINFO in
 * `_info.ts`).
 *
 * @module
 */

import type { Bytes, CommandSpec } from "../../core/types.ts";
import { commandFamily, keys } from "../../core/registry.ts";
import type { NodeLimits } from "./_log.ts";
import * as cmd from "./_commands.ts";
import * as read from "./_read.ts";
import * as group from "./_group_commands.ts";
import * as info from "./_info.ts";

const command = commandFamily({ category: "stream" });

/** XRANGE/XREVRANGE with a small COUNT: as cheap as a fast command. */
function fewEntries(argv: Bytes[]): boolean {
  if (argv.length !== 6) return false;
  const t = argv[4]!;
  return t.length === 5 && t.toLowerCase() === "count" && Number(argv[5]) <= 100;
}

/**
 * Every stream command, for a server whose node limits are `limits` (the
 * plugin keeps them up to date with CONFIG SET).
 */
export function streamCommands(limits: NodeLimits): CommandSpec[] {
  return [
    command({
      name: "xadd",
      arity: -5,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [
        {
          notes: "UPDATE instead of INSERT because of the optional trimming feature",
          flags: ["RW", "UPDATE"],
          begin: { index: 1 },
          find: { range: { lastkey: 0, step: 1, limit: 0 } },
        },
      ],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Appends a new entry to a stream",
        since: "5.0.0",
        complexity:
          "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
        history: [
          [
            "6.2.0",
            "Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option.",
          ],
          ["7.0.0", "Added support for the `<ms>-*` explicit ID form."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          {
            name: "nomkstream",
            type: "pure-token",
            token: "NOMKSTREAM",
            since: "6.2.0",
            flags: ["optional"],
          },
          {
            name: "trim",
            type: "block",
            flags: ["optional"],
            arguments: [
              {
                name: "strategy",
                type: "oneof",
                arguments: [
                  { name: "maxlen", type: "pure-token", token: "MAXLEN" },
                  { name: "minid", type: "pure-token", token: "MINID", since: "6.2.0" },
                ],
              },
              {
                name: "operator",
                type: "oneof",
                flags: ["optional"],
                arguments: [
                  { name: "equal", type: "pure-token", token: "=" },
                  { name: "approximately", type: "pure-token", token: "~" },
                ],
              },
              { name: "threshold", type: "string" },
              {
                name: "count",
                type: "integer",
                token: "LIMIT",
                since: "6.2.0",
                flags: ["optional"],
              },
            ],
          },
          {
            name: "id_or_auto",
            type: "oneof",
            arguments: [
              { name: "auto_id", type: "pure-token", token: "*" },
              { name: "id", type: "string" },
            ],
          },
          {
            name: "field_value",
            type: "block",
            flags: ["multiple"],
            arguments: [
              { name: "field", type: "string" },
              { name: "value", type: "string" },
            ],
          },
        ],
      },
      handler: (c, argv) => cmd.xadd(c, argv, limits),
    }),
    command({
      name: "xrange",
      arity: -4,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary:
          "Return a range of elements in a stream, with IDs matching the specified IDs interval",
        since: "5.0.0",
        complexity:
          "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        history: [
          ["6.2.0", "Added exclusive ranges."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "start", type: "string" },
          { name: "end", type: "string" },
          { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
        ],
      },
      fastWhen: fewEntries,
      handler: cmd.xrange,
    }),
    command({
      name: "xrevrange",
      arity: -4,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      docs: {
        summary:
          "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
        since: "5.0.0",
        complexity:
          "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
        history: [
          ["6.2.0", "Added exclusive ranges."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "end", type: "string" },
          { name: "start", type: "string" },
          { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
        ],
      },
      fastWhen: fewEntries,
      handler: cmd.xrevrange,
    }),
    command({
      name: "xlen",
      arity: 2,
      flags: ["readonly", "fast"],
      keySpecs: [keys.one(1, ["RO"])],
      docs: {
        summary: "Return the number of entries in a stream",
        since: "5.0.0",
        complexity: "O(1)",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
        ],
      },
      handler: cmd.xlen,
    }),
    command({
      name: "xdel",
      arity: -3,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "DELETE"])],
      docs: {
        summary:
          "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
        since: "5.0.0",
        complexity:
          "O(1) for each single item to delete in the stream, regardless of the stream size.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "id", type: "string", flags: ["multiple"] },
        ],
      },
      handler: cmd.xdel,
    }),
    command({
      name: "xtrim",
      arity: -4,
      flags: ["write"],
      keySpecs: [keys.one(1, ["RW", "DELETE"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary: "Trims the stream to (approximately if '~' is passed) a certain size",
        since: "5.0.0",
        complexity:
          "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
        history: [
          ["6.2.0", "Added the `MINID` trimming strategy and the `LIMIT` option."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          {
            name: "trim",
            type: "block",
            arguments: [
              {
                name: "strategy",
                type: "oneof",
                arguments: [
                  { name: "maxlen", type: "pure-token", token: "MAXLEN" },
                  { name: "minid", type: "pure-token", token: "MINID", since: "6.2.0" },
                ],
              },
              {
                name: "operator",
                type: "oneof",
                flags: ["optional"],
                arguments: [
                  { name: "equal", type: "pure-token", token: "=" },
                  { name: "approximately", type: "pure-token", token: "~" },
                ],
              },
              { name: "threshold", type: "string" },
              {
                name: "count",
                type: "integer",
                token: "LIMIT",
                since: "6.2.0",
                flags: ["optional"],
              },
            ],
          },
        ],
      },
      handler: (c, argv) => cmd.xtrim(c, argv, limits),
    }),
    command({
      name: "xread",
      arity: -4,
      flags: ["readonly", "blocking"],
      keySpecs: [
        {
          flags: ["RO", "ACCESS"],
          begin: { keyword: "STREAMS", startfrom: 1 },
          find: { range: { lastkey: -1, step: 1, limit: 2 } },
        },
      ],
      docs: {
        summary:
          "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
        since: "5.0.0",
        complexity:
          "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
        arguments: [
          { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
          { name: "milliseconds", type: "integer", token: "BLOCK", flags: ["optional"] },
          {
            name: "streams",
            type: "block",
            token: "STREAMS",
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
              { name: "id", type: "string", flags: ["multiple"] },
            ],
          },
        ],
      },
      handler: read.xread,
    }),
    command({
      name: "xreadgroup",
      arity: -7,
      flags: ["write", "blocking"],
      keySpecs: [
        {
          flags: ["RO", "ACCESS"],
          begin: { keyword: "STREAMS", startfrom: 4 },
          find: { range: { lastkey: -1, step: 1, limit: 2 } },
        },
      ],
      docs: {
        summary:
          "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
        since: "5.0.0",
        complexity:
          "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
        arguments: [
          {
            name: "group_consumer",
            type: "block",
            token: "GROUP",
            arguments: [
              { name: "group", type: "string" },
              { name: "consumer", type: "string" },
            ],
          },
          { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
          { name: "milliseconds", type: "integer", token: "BLOCK", flags: ["optional"] },
          { name: "noack", type: "pure-token", token: "NOACK", flags: ["optional"] },
          {
            name: "streams",
            type: "block",
            token: "STREAMS",
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
              { name: "id", type: "string", flags: ["multiple"] },
            ],
          },
        ],
      },
      handler: read.xreadgroup,
    }),
    command({
      name: "xsetid",
      arity: -3,
      flags: ["write", "denyoom", "fast"],
      keySpecs: [keys.one(1, ["RW", "UPDATE"])],
      docs: {
        summary: "An internal command for replicating stream values",
        since: "5.0.0",
        complexity: "O(1)",
        history: [
          ["7.0.0", "Added the `entries_added` and `max_deleted_entry_id` arguments."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "last-id", type: "string" },
          {
            name: "entries_added",
            type: "integer",
            token: "ENTRIESADDED",
            since: "7.0.0",
            flags: ["optional"],
          },
          {
            name: "max_deleted_entry_id",
            type: "string",
            token: "MAXDELETEDID",
            since: "7.0.0",
            flags: ["optional"],
          },
        ],
      },
      handler: cmd.xsetid,
    }),
    command({
      name: "xgroup",
      arity: -2,
      flags: [],
      docs: {
        summary: "A container for consumer groups commands",
        since: "5.0.0",
        complexity: "Depends on subcommand.",
      },
      subcommands: [
        {
          name: "createconsumer",
          arity: 5,
          flags: ["write", "denyoom"],
          keySpecs: [keys.one(2, ["RW", "INSERT"])],
          docs: {
            summary: "Create a consumer in a consumer group.",
            since: "6.2.0",
            complexity: "O(1)",
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0 },
              { name: "groupname", type: "string" },
              { name: "consumername", type: "string" },
            ],
          },
          handler: group.xgroupCreateConsumer,
        },
        {
          name: "create",
          arity: -5,
          flags: ["write", "denyoom"],
          keySpecs: [keys.one(2, ["RW", "INSERT"])],
          docs: {
            summary: "Create a consumer group.",
            since: "5.0.0",
            complexity: "O(1)",
            history: [
              ["7.0.0", "Added the `entries_read` named argument."],
            ],
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0 },
              { name: "groupname", type: "string" },
              {
                name: "id",
                type: "oneof",
                arguments: [
                  { name: "id", type: "string" },
                  { name: "new_id", type: "pure-token", token: "$" },
                ],
              },
              { name: "mkstream", type: "pure-token", token: "MKSTREAM", flags: ["optional"] },
              { name: "entries_read", type: "integer", token: "ENTRIESREAD", flags: ["optional"] },
            ],
          },
          handler: group.xgroupCreate,
        },
        {
          name: "delconsumer",
          arity: 5,
          flags: ["write"],
          keySpecs: [keys.one(2, ["RW", "DELETE"])],
          docs: {
            summary: "Delete a consumer from a consumer group.",
            since: "5.0.0",
            complexity: "O(1)",
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0 },
              { name: "groupname", type: "string" },
              { name: "consumername", type: "string" },
            ],
          },
          handler: group.xgroupDelConsumer,
        },
        {
          name: "destroy",
          arity: 4,
          flags: ["write"],
          keySpecs: [keys.one(2, ["RW", "DELETE"])],
          docs: {
            summary: "Destroy a consumer group.",
            since: "5.0.0",
            complexity:
              "O(N) where N is the number of entries in the group's pending entries list (PEL).",
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0 },
              { name: "groupname", type: "string" },
            ],
          },
          handler: group.xgroupDestroy,
        },
        {
          name: "setid",
          arity: -5,
          flags: ["write"],
          keySpecs: [keys.one(2, ["RW", "UPDATE"])],
          docs: {
            summary: "Set a consumer group to an arbitrary last delivered ID value.",
            since: "5.0.0",
            complexity: "O(1)",
            history: [
              ["7.0.0", "Added the optional `entries_read` argument."],
            ],
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0 },
              { name: "groupname", type: "string" },
              {
                name: "id",
                type: "oneof",
                arguments: [
                  { name: "id", type: "string" },
                  { name: "new_id", type: "pure-token", token: "$" },
                ],
              },
              { name: "entries_read", type: "integer", token: "ENTRIESREAD", flags: ["optional"] },
            ],
          },
          handler: group.xgroupSetid,
        },
        {
          name: "help",
          arity: 2,
          flags: ["loading", "stale"],
          docs: {
            summary: "Show helpful text about the different subcommands",
            since: "5.0.0",
            complexity: "O(1)",
          },
          handler: group.xgroupHelp,
        },
      ],
    }),
    command({
      name: "xack",
      arity: -4,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "UPDATE"])],
      docs: {
        summary:
          "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
        since: "5.0.0",
        complexity: "O(1) for each message ID processed.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "group", type: "string" },
          { name: "id", type: "string", flags: ["multiple"] },
        ],
      },
      handler: group.xack,
    }),
    command({
      name: "xpending",
      arity: -3,
      flags: ["readonly"],
      keySpecs: [keys.one(1, ["RO", "ACCESS"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary:
          "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
        since: "5.0.0",
        complexity:
          "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
        history: [
          ["6.2.0", "Added the `IDLE` option and exclusive range intervals."],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "group", type: "string" },
          {
            name: "filters",
            type: "block",
            flags: ["optional"],
            arguments: [
              {
                name: "min-idle-time",
                type: "integer",
                token: "IDLE",
                since: "6.2.0",
                flags: ["optional"],
              },
              { name: "start", type: "string" },
              { name: "end", type: "string" },
              { name: "count", type: "integer" },
              { name: "consumer", type: "string", flags: ["optional"] },
            ],
          },
        ],
      },
      handler: group.xpending,
    }),
    command({
      name: "xclaim",
      arity: -6,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "UPDATE"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary:
          "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
        since: "5.0.0",
        complexity:
          "O(log N) with N being the number of messages in the PEL of the consumer group.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "group", type: "string" },
          { name: "consumer", type: "string" },
          { name: "min-idle-time", type: "string" },
          { name: "id", type: "string", flags: ["multiple"] },
          { name: "ms", type: "integer", token: "IDLE", flags: ["optional"] },
          { name: "unix-time-milliseconds", type: "unix-time", token: "TIME", flags: ["optional"] },
          { name: "count", type: "integer", token: "RETRYCOUNT", flags: ["optional"] },
          { name: "force", type: "pure-token", token: "FORCE", flags: ["optional"] },
          { name: "justid", type: "pure-token", token: "JUSTID", flags: ["optional"] },
          { name: "id", type: "string", token: "LASTID", flags: ["optional"] },
        ],
      },
      handler: group.xclaim,
    }),
    command({
      name: "xautoclaim",
      arity: -6,
      flags: ["write", "fast"],
      keySpecs: [keys.one(1, ["RW", "DELETE"])],
      tips: ["nondeterministic_output"],
      docs: {
        summary:
          "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
        since: "6.2.0",
        complexity: "O(1) if COUNT is small.",
        history: [
          [
            "7.0.0",
            "Added an element to the reply array, containing deleted entries the command cleared from the PEL",
          ],
        ],
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0 },
          { name: "group", type: "string" },
          { name: "consumer", type: "string" },
          { name: "min-idle-time", type: "string" },
          { name: "start", type: "string" },
          { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
          { name: "justid", type: "pure-token", token: "JUSTID", flags: ["optional"] },
        ],
      },
      handler: group.xautoclaim,
    }),
    command({
      name: "xinfo",
      arity: -2,
      flags: [],
      docs: {
        summary: "A container for stream introspection commands",
        since: "5.0.0",
        complexity: "Depends on subcommand.",
      },
      subcommands: [
        {
          name: "stream",
          arity: -3,
          flags: ["readonly"],
          keySpecs: [keys.one(2, ["RO", "ACCESS"])],
          docs: {
            summary: "Get information about a stream",
            since: "5.0.0",
            complexity: "O(1)",
            history: [
              ["6.0.0", "Added the `FULL` modifier."],
              [
                "7.0.0",
                "Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields",
              ],
            ],
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0 },
              {
                name: "full",
                type: "block",
                token: "FULL",
                flags: ["optional"],
                arguments: [
                  { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
                ],
              },
            ],
          },
          handler: info.xinfoStream,
        },
        {
          name: "help",
          arity: 2,
          flags: ["loading", "stale"],
          docs: {
            summary: "Show helpful text about the different subcommands",
            since: "5.0.0",
            complexity: "O(1)",
          },
          handler: info.xinfoHelp,
        },
        {
          name: "groups",
          arity: 3,
          flags: ["readonly"],
          keySpecs: [keys.one(2, ["RO", "ACCESS"])],
          docs: {
            summary: "List the consumer groups of a stream",
            since: "5.0.0",
            complexity: "O(1)",
            history: [
              ["7.0.0", "Added the `entries-read` and `lag` fields"],
            ],
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0 },
            ],
          },
          handler: info.xinfoGroups,
        },
        {
          name: "consumers",
          arity: 4,
          flags: ["readonly"],
          keySpecs: [keys.one(2, ["RO", "ACCESS"])],
          tips: ["nondeterministic_output"],
          docs: {
            summary: "List the consumers in a consumer group",
            since: "5.0.0",
            complexity: "O(1)",
            arguments: [
              { name: "key", type: "key", keySpecIndex: 0 },
              { name: "groupname", type: "string" },
            ],
          },
          handler: info.xinfoConsumers,
        },
      ],
    }),
  ];
}
