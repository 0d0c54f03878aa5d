/**
 * The STREAMS family: XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID,
 * XREAD and XREADGROUP (blocking too), XGROUP, XACK, XPENDING, XCLAIM,
 * XAUTOCLAIM and XINFO, with Redis 7.0's replies, errors, keyspace events
 * (class `t`) and propagation.
 *
 * A stream is a {@link StreamValue}: entries in nodes shaped like Redis's
 * listpacks (see `stream_log.ts`), consumer groups with ordered PELs (see
 * `stream_groups.ts`). Node sizes follow `stream-node-max-bytes` and
 * `stream-node-max-entries`, as in Redis.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { StreamValue } from "./_value.ts";
import type { CommandFlag, CommandHandler, CommandSpec, KeySpec } from "../../core/types.ts";
import { keys } from "../../core/registry.ts";
import { ConfigError } from "../../core/config.ts";
import {
  LIMITS,
  xaddCommand,
  xdelCommand,
  xlenCommand,
  xrangeCommand,
  xsetidCommand,
  xtrimCommand,
} from "./_commands.ts";
import { xreadCommand } from "./_read.ts";
import {
  xackCommand,
  xautoclaimCommand,
  xclaimCommand,
  XGROUP_HELP,
  xgroupCreate,
  xgroupCreateConsumer,
  xgroupDelConsumer,
  xgroupDestroy,
  xgroupSetid,
  xpendingCommand,
} from "./_group_commands.ts";
import { XINFO_HELP, xinfoConsumers, xinfoGroups, xinfoStream } from "./_info.ts";

interface Doc {
  summary: string;
  since: string;
  complexity: string;
}

function spec(
  name: string,
  arity: number,
  flags: readonly CommandFlag[],
  keySpecs: readonly KeySpec[],
  handler: CommandHandler,
  doc: Doc,
): CommandSpec {
  return {
    name,
    arity,
    flags,
    categories: ["stream"],
    keySpecs,
    handler,
    docs: { ...doc, group: "stream" },
  };
}

const one = (flags: KeySpec["flags"], index = 1): KeySpec[] => [keys.one(index, flags)];

/** The keys after STREAMS: the first half of what follows (XREAD, XREADGROUP). */
function streamsKeys(startfrom: number): KeySpec[] {
  return [{
    flags: ["RO", "ACCESS"],
    begin: { keyword: "STREAMS", startfrom },
    find: { range: { lastkey: -1, step: 1, limit: 2 } },
  }];
}

function help(lines: readonly string[]): CommandSpec {
  return {
    name: "help",
    arity: 2,
    flags: ["loading", "stale"],
    categories: ["stream"],
    docs: {
      group: "stream",
      summary: "Show helpful text about the different subcommands",
      since: "5.0.0",
      complexity: "O(1)",
    },
    handler(c) {
      c.reply.array(lines.length);
      for (const l of lines) c.reply.simple(l);
    },
  };
}

const ON_RANGE = "O(N) with N being the number of elements being returned. If N is constant " +
  "(e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).";

const xgroup: CommandSpec = {
  name: "xgroup",
  arity: -2,
  flags: [],
  docs: {
    group: "stream",
    summary: "A container for consumer groups commands",
    since: "5.0.0",
    complexity: "Depends on subcommand.",
  },
  subcommands: [
    spec("create", -5, ["write", "denyoom"], one(["RW", "INSERT"], 2), xgroupCreate, {
      summary: "Create a consumer group.",
      since: "5.0.0",
      complexity: "O(1)",
    }),
    spec("destroy", 4, ["write"], one(["RW", "DELETE"], 2), xgroupDestroy, {
      summary: "Destroy a consumer group.",
      since: "5.0.0",
      complexity:
        "O(N) where N is the number of entries in the group's pending entries list (PEL).",
    }),
    spec("delconsumer", 5, ["write"], one(["RW", "DELETE"], 2), xgroupDelConsumer, {
      summary: "Delete a consumer from a consumer group.",
      since: "5.0.0",
      complexity: "O(1)",
    }),
    spec("setid", -5, ["write"], one(["RW", "UPDATE"], 2), xgroupSetid, {
      summary: "Set a consumer group to an arbitrary last delivered ID value.",
      since: "5.0.0",
      complexity: "O(1)",
    }),
    spec(
      "createconsumer",
      5,
      ["write", "denyoom"],
      one(["RW", "INSERT"], 2),
      xgroupCreateConsumer,
      { summary: "Create a consumer in a consumer group.", since: "6.2.0", complexity: "O(1)" },
    ),
    help(XGROUP_HELP),
  ],
};

const xinfo: CommandSpec = {
  name: "xinfo",
  arity: -2,
  flags: [],
  docs: {
    group: "stream",
    summary: "A container for stream introspection commands",
    since: "5.0.0",
    complexity: "Depends on subcommand.",
  },
  subcommands: [
    spec("groups", 3, ["readonly"], one(["RO", "ACCESS"], 2), xinfoGroups, {
      summary: "List the consumer groups of a stream",
      since: "5.0.0",
      complexity: "O(1)",
    }),
    spec("consumers", 4, ["readonly"], one(["RO", "ACCESS"], 2), xinfoConsumers, {
      summary: "List the consumers in a consumer group",
      since: "5.0.0",
      complexity: "O(1)",
    }),
    spec("stream", -3, ["readonly"], one(["RO", "ACCESS"], 2), xinfoStream, {
      summary: "Get information about a stream",
      since: "5.0.0",
      complexity: "O(1)",
    }),
    help(XINFO_HELP),
  ],
};

/** Every stream command. */
export const streamCommands: readonly CommandSpec[] = [
  spec("xadd", -5, ["write", "denyoom", "fast"], one(["RW", "UPDATE"]), xaddCommand, {
    summary: "Appends a new entry to a stream",
    since: "5.0.0",
    complexity:
      "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
  }),
  spec("xrange", -4, ["readonly"], one(["RO", "ACCESS"]), (c, a) => xrangeCommand(c, a, false), {
    summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
    since: "5.0.0",
    complexity: ON_RANGE,
  }),
  spec("xrevrange", -4, ["readonly"], one(["RO", "ACCESS"]), (c, a) => xrangeCommand(c, a, true), {
    summary:
      "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
    since: "5.0.0",
    complexity: ON_RANGE.replace("being returned", "returned"),
  }),
  spec("xlen", 2, ["readonly", "fast"], one(["RO"]), xlenCommand, {
    summary: "Return the number of entries in a stream",
    since: "5.0.0",
    complexity: "O(1)",
  }),
  spec("xdel", -3, ["write", "fast"], one(["RW", "DELETE"]), xdelCommand, {
    summary:
      "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
    since: "5.0.0",
    complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
  }),
  spec("xtrim", -4, ["write"], one(["RW", "DELETE"]), xtrimCommand, {
    summary: "Trims the stream to (approximately if '~' is passed) a certain size",
    since: "5.0.0",
    complexity:
      "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
  }),
  spec(
    "xread",
    -4,
    ["readonly", "blocking"],
    streamsKeys(1),
    (c, a) => xreadCommand(c, a, false),
    {
      summary:
        "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
      since: "5.0.0",
      complexity:
        "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
    },
  ),
  spec(
    "xreadgroup",
    -7,
    ["write", "blocking"],
    streamsKeys(4),
    (c, a) => xreadCommand(c, a, true),
    {
      summary:
        "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
      since: "5.0.0",
      complexity:
        "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
    },
  ),
  spec("xsetid", -3, ["write", "denyoom", "fast"], one(["RW", "UPDATE"]), xsetidCommand, {
    summary: "An internal command for replicating stream values",
    since: "5.0.0",
    complexity: "O(1)",
  }),
  xgroup,
  spec("xack", -4, ["write", "fast"], one(["RW", "UPDATE"]), xackCommand, {
    summary:
      "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
    since: "5.0.0",
    complexity: "O(1) for each message ID processed.",
  }),
  spec("xpending", -3, ["readonly"], one(["RO", "ACCESS"]), xpendingCommand, {
    summary:
      "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
    since: "5.0.0",
    complexity:
      "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
  }),
  spec("xclaim", -6, ["write", "fast"], one(["RW", "UPDATE"]), xclaimCommand, {
    summary:
      "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
    since: "5.0.0",
    complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
  }),
  spec("xautoclaim", -6, ["write", "fast"], one(["RW", "DELETE"]), xautoclaimCommand, {
    summary:
      "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
    since: "6.2.0",
    complexity: "O(1) if COUNT is small.",
  }),
  xinfo,
];

function nonNegative(msg: string): (v: string) => string {
  return (v) => {
    if (Number(v) < 0) throw new ConfigError(msg);
    return v;
  };
}

/** The STREAMS family plugin. */
export default definePlugin({
  name: "streams",
  config: [
    {
      name: "stream-node-max-bytes",
      type: "memory",
      default: "4096",
      validate: nonNegative("argument must be a memory value"),
    },
    {
      name: "stream-node-max-entries",
      type: "int",
      default: "100",
      validate: nonNegative("argument must be between 0 and 9223372036854775807 inclusive"),
    },
  ],
  commands: streamCommands,
  init(server) {
    const limits = { maxBytes: 4096, maxEntries: 100 };
    server.config.watch("stream-node-max-bytes", (v) => (limits.maxBytes = Number(v)));
    server.config.watch("stream-node-max-entries", (v) => (limits.maxEntries = Number(v)));
    LIMITS.set(server, limits);
    server.keyspace.types.set("stream", {
      name: "stream",
      fromStreamDump: (d) => StreamValue.fromStreamDump(d),
    });
  },
});
