/**
 * Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
 * SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, with Redis 7.0's replies, plus
 * the `pubsub` service other plugins publish through (keyspace
 * notifications).
 *
 * A client with any subscription is in subscribed mode (`c.kind` is
 * "pubsub"): the core then applies `client-output-buffer-limit pubsub` to it,
 * so a subscriber that reads too slowly is disconnected rather than growing
 * the server's memory, and a RESP2 client may only run the commands Redis
 * allows in that context (a before-command hook). Shard channels behave as
 * plain channels with their own table, as in a non-cluster Redis.
 *
 * @module
 */

import { commandFamily, definePlugin, keys } from "../../core/registry.ts";
import type {
  Bytes,
  CommandHandler,
  CommandSpec,
  Context,
  PluginInstance,
  ReplyWriter,
  ServerApi,
} from "../../core/types.ts";
import { globMatch } from "../../core/glob.ts";
import { helpSubcommand } from "../../core/help.ts";
import { PubSubHub, type SubKind } from "./_hub.ts";

/** A client's subscriptions, as other plugins may read them. */
export interface SubscriptionsView {
  readonly channels: ReadonlySet<Bytes>;
  readonly patterns: ReadonlySet<Bytes>;
  readonly shard: ReadonlySet<Bytes>;
}

/** What the pub/sub plugin offers others (the `pubsub` service). */
export interface PubSubService {
  /** Publishes to channel subscribers and matching patterns; returns receivers. */
  publish(channel: Bytes, message: Bytes): number;
  /** Publishes to shard channel subscribers (SPUBLISH); returns receivers. */
  publishShard(channel: Bytes, message: Bytes): number;
  /**
   * Hands every message PUBLISH and SPUBLISH deliver here to `fn` too
   * (`shard` for SPUBLISH): the cluster sends them on to the other nodes.
   * Undefined stops it.
   */
  relay(fn: ((channel: Bytes, message: Bytes, shard: boolean) => void) | undefined): void;
  /**
   * Unsubscribes every client from the shard channels `drop` selects, each
   * told with a `sunsubscribe` message (a cluster slot moved away).
   */
  dropShardChannels(drop: (channel: Bytes) => boolean): void;
  /**
   * A client's subscriptions (ACL rules that take a channel away end its
   * subscriber); undefined when it never subscribed.
   */
  subscriptions(c: Context): SubscriptionsView | undefined;
  /**
   * Sends one client a `message` on `channel` whatever it subscribed to,
   * with a payload of any RESP type written by `payload` (client tracking's
   * invalidations on `__redis__:invalidate` carry an array of keys or a
   * null). Only a client in subscribed mode can take one: false, and
   * nothing sent, otherwise.
   */
  message(c: Context, channel: Bytes, payload: (w: ReplyWriter) => void): boolean;
}

declare module "../../core/types.ts" {
  interface Services {
    /** Publishing and subscriptions (pubsub plugin). */
    pubsub: PubSubService;
  }
}

/** The pub/sub commands: their ACL category comes from the `pubsub` flag. */
const command = commandFamily({ group: "pubsub" });

/** Commands a RESP2 client may run in subscribed mode (Redis 7.0's list). */
const ALLOWED_SUBSCRIBED = new Set([
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);

const HELP = [
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
];

function init(server: ServerApi): PluginInstance {
  const hub = new PubSubHub();
  hub.onFirstOrLast = () => server.rearm();
  let relay: ((channel: Bytes, message: Bytes, shard: boolean) => void) | undefined;
  server.provide("pubsub", {
    publish: (channel, message) => hub.publish(channel, message),
    publishShard: (channel, message) => hub.publishShard(channel, message),
    relay(fn) {
      relay = fn;
    },
    dropShardChannels(drop) {
      for (const [channel, subs] of [...hub.tables.shard]) {
        if (!drop(channel)) continue;
        for (const c of [...subs]) {
          hub.unsubscribe(c, "shard", channel);
          confirm(c, "sunsubscribe", channel, countOf(c, "shard"));
          c.flush();
        }
      }
    },
    subscriptions: (c) => c.ext.pubsub,
    message(c, channel, payload) {
      if (c.kind !== "pubsub") return false;
      const restore = c.beginPush();
      c.reply.push(3);
      c.reply.bulk("message");
      c.reply.bulk(channel);
      payload(c.reply);
      c.endPush(restore);
      c.flush();
      return true;
    },
  });

  /**
   * The `<kind> <name> <count>` confirmation (a push frame in RESP3). As in
   * Redis it is pushed, so a client whose replies are off gets it too.
   */
  const confirm = (c: Context, what: string, name: Bytes | null, count: number) => {
    const restore = c.beginPush();
    c.reply.push(3);
    c.reply.bulk(what);
    if (name === null) c.reply.nullBulk();
    else c.reply.bulk(name);
    c.reply.integer(count);
    c.endPush(restore);
  };

  const countOf = (c: Context, kind: SubKind) =>
    kind === "shard" ? hub.shardCount(c) : hub.count(c);

  const subscriber = (kind: SubKind, what: string): CommandHandler => (c, argv) => {
    for (let i = 1; i < argv.length; i++) {
      hub.subscribe(c, kind, argv[i]!);
      confirm(c, what, argv[i]!, countOf(c, kind));
    }
  };

  const unsubscriber = (kind: SubKind, what: string): CommandHandler => (c, argv) => {
    if (argv.length > 1) {
      for (let i = 1; i < argv.length; i++) {
        hub.unsubscribe(c, kind, argv[i]!);
        confirm(c, what, argv[i]!, countOf(c, kind));
      }
      return;
    }
    const mine = c.ext.pubsub?.[kind];
    if (mine === undefined || mine.size === 0) {
      confirm(c, what, null, countOf(c, kind));
      return;
    }
    for (const name of [...mine]) {
      hub.unsubscribe(c, kind, name);
      confirm(c, what, name, countOf(c, kind));
    }
  };

  /** Names in a table, filtered by an optional glob (PUBSUB CHANNELS). */
  const listNames = (kind: SubKind): CommandHandler => (c, argv) => {
    if (argv.length > 3) {
      c.reply.error(
        `ERR unknown subcommand or wrong number of arguments for '${
          argv[1]!.slice(0, 128)
        }'. Try PUBSUB HELP.`,
      );
      return;
    }
    const pattern = argv[2];
    const out: Bytes[] = [];
    for (const name of hub.tables[kind].keys()) {
      if (pattern === undefined || globMatch(pattern, name)) out.push(name);
    }
    c.reply.bulkArray(out);
  };

  const numSub = (kind: SubKind): CommandHandler => (c, argv) => {
    c.reply.array((argv.length - 2) * 2);
    for (let i = 2; i < argv.length; i++) {
      c.reply.bulk(argv[i]!);
      c.reply.integer(hub.tables[kind].get(argv[i]!)?.size ?? 0);
    }
  };

  const commands: CommandSpec[] = [
    command({
      name: "subscribe",
      arity: -2,
      flags: ["pubsub", "noscript", "loading", "stale"],
      docs: {
        summary: "Listen for messages published to the given channels",
        since: "2.0.0",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        arguments: [
          { name: "channel", type: "string", flags: ["multiple"] },
        ],
      },
      handler: subscriber("channels", "subscribe"),
    }),
    command({
      name: "unsubscribe",
      arity: -1,
      flags: ["pubsub", "noscript", "loading", "stale"],
      docs: {
        summary: "Stop listening for messages posted to the given channels",
        since: "2.0.0",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        arguments: [
          { name: "channel", type: "string", flags: ["optional", "multiple"] },
        ],
      },
      handler: unsubscriber("channels", "unsubscribe"),
    }),
    command({
      name: "psubscribe",
      arity: -2,
      flags: ["pubsub", "noscript", "loading", "stale"],
      docs: {
        summary: "Listen for messages published to channels matching the given patterns",
        since: "2.0.0",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        arguments: [
          {
            name: "pattern",
            type: "block",
            flags: ["multiple"],
            arguments: [{ name: "pattern", type: "pattern" }],
          },
        ],
      },
      handler: subscriber("patterns", "psubscribe"),
    }),
    command({
      name: "punsubscribe",
      arity: -1,
      flags: ["pubsub", "noscript", "loading", "stale"],
      docs: {
        summary: "Stop listening for messages posted to channels matching the given patterns",
        since: "2.0.0",
        complexity:
          "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        arguments: [
          { name: "pattern", type: "pattern", flags: ["optional", "multiple"] },
        ],
      },
      handler: unsubscriber("patterns", "punsubscribe"),
    }),
    // Shard channels are declared as keys (for cluster routing), flagged NOT_KEY.
    command({
      name: "ssubscribe",
      arity: -2,
      flags: ["pubsub", "noscript", "loading", "stale"],
      keySpecs: [keys.rest(1, ["NOT_KEY"])],
      docs: {
        summary: "Listen for messages published to the given shard channels",
        since: "7.0.0",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        arguments: [
          { name: "shardchannel", type: "string", flags: ["multiple"] },
        ],
      },
      handler: subscriber("shard", "ssubscribe"),
    }),
    command({
      name: "sunsubscribe",
      arity: -1,
      flags: ["pubsub", "noscript", "loading", "stale"],
      keySpecs: [keys.rest(1, ["NOT_KEY"])],
      docs: {
        summary: "Stop listening for messages posted to the given shard channels",
        since: "7.0.0",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        arguments: [
          { name: "shardchannel", type: "string", flags: ["optional", "multiple"] },
        ],
      },
      handler: unsubscriber("shard", "sunsubscribe"),
    }),
    // may_replicate (hidden by COMMAND INFO), as in Redis: read-only
    // scripts may not publish.
    command({
      name: "publish",
      arity: 3,
      flags: ["pubsub", "loading", "stale", "fast", "may_replicate"],
      docs: {
        summary: "Post a message to a channel",
        since: "2.0.0",
        complexity:
          "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        arguments: [
          { name: "channel", type: "string" },
          { name: "message", type: "string" },
        ],
      },
      handler(c, argv) {
        c.reply.integer(hub.publish(argv[1]!, argv[2]!));
        relay?.(argv[1]!, argv[2]!, false);
      },
    }),
    command({
      name: "spublish",
      arity: 3,
      flags: ["pubsub", "loading", "stale", "fast", "may_replicate"],
      keySpecs: [keys.one(1, ["NOT_KEY"])],
      docs: {
        summary: "Post a message to a shard channel",
        since: "7.0.0",
        complexity:
          "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        arguments: [
          { name: "shardchannel", type: "string" },
          { name: "message", type: "string" },
        ],
      },
      handler(c, argv) {
        c.reply.integer(hub.publishShard(argv[1]!, argv[2]!));
        relay?.(argv[1]!, argv[2]!, true);
      },
    }),
    command({
      name: "pubsub",
      arity: -2,
      flags: [],
      docs: {
        summary: "A container for Pub/Sub commands",
        since: "2.8.0",
        complexity: "Depends on subcommand.",
      },
      subcommands: [
        {
          name: "channels",
          arity: -2,
          flags: ["pubsub", "loading", "stale"],
          docs: {
            summary: "List active channels",
            since: "2.8.0",
            complexity:
              "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
            arguments: [
              { name: "pattern", type: "pattern", flags: ["optional"] },
            ],
          },
          handler: listNames("channels"),
        },
        {
          name: "numsub",
          arity: -2,
          flags: ["pubsub", "loading", "stale"],
          docs: {
            summary: "Get the count of subscribers for channels",
            since: "2.8.0",
            complexity:
              "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
            arguments: [
              { name: "channel", type: "string", flags: ["optional", "multiple"] },
            ],
          },
          handler: numSub("channels"),
        },
        {
          name: "numpat",
          arity: 2,
          flags: ["pubsub", "loading", "stale"],
          docs: {
            summary: "Get the count of unique patterns pattern subscriptions",
            since: "2.8.0",
            complexity: "O(1)",
          },
          handler: (c) => c.reply.integer(hub.tables.patterns.size),
        },
        {
          name: "shardnumsub",
          arity: -2,
          flags: ["pubsub", "loading", "stale"],
          docs: {
            summary: "Get the count of subscribers for shard channels",
            since: "7.0.0",
            complexity:
              "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
            arguments: [
              { name: "shardchannel", type: "string", flags: ["optional", "multiple"] },
            ],
          },
          handler: numSub("shard"),
        },
        {
          name: "shardchannels",
          arity: -2,
          flags: ["pubsub", "loading", "stale"],
          docs: {
            summary: "List active shard channels",
            since: "7.0.0",
            complexity:
              "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
            arguments: [
              { name: "pattern", type: "pattern", flags: ["optional"] },
            ],
          },
          handler: listNames("shard"),
        },
        helpSubcommand(HELP, "6.2.0"),
      ],
    }),
  ];

  return {
    commands,
    admission: {
      // Armed while some client is subscribed.
      pubsub: {
        armed: () => hub.subscribedClients !== 0,
        check(c, cmd) {
          // RESP3 clients may run anything while subscribed; RESP2 ones get
          // Redis's error for anything but the pub/sub commands and PING.
          if (c.kind !== "pubsub" || c.resp !== 2 || ALLOWED_SUBSCRIBED.has(cmd.fullName)) {
            return undefined;
          }
          return `ERR Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / ` +
            "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
        },
      },
    },
    hooks: {
      clientClosed(c) {
        hub.dropAll(c);
      },
      clientReset(c) {
        // RESET leaves subscribed mode without confirmation messages.
        hub.dropAll(c);
      },
      clientInfo(c) {
        const s = c.ext.pubsub;
        if (s === undefined) return undefined;
        return { sub: s.channels.size, psub: s.patterns.size, ssub: s.shard.size };
      },
      info(section) {
        if (section !== "stats") return undefined;
        return {
          pubsub_channels: hub.tables.channels.size,
          pubsub_patterns: hub.tables.patterns.size,
          pubsubshard_channels: hub.tables.shard.size,
        };
      },
    },
  };
}

/** The pub/sub plugin. */
export default definePlugin({ name: "pubsub", init });
