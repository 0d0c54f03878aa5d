/**
 * Keyspace notifications: the `notify-keyspace-events` directive and the
 * `__keyspace@<db>__:<key>` / `__keyevent@<db>__:<event>` messages, published
 * through the `pubsub` service.
 *
 * Events come from the key-changed hook, so every write command (user
 * plugins' included) raises them with the event name and class it passes to
 * `c.changed`; expired keys arrive through the same hook with class `x`.
 *
 * Class letters as in Redis 7.0: `K` keyspace, `E` keyevent, `g` generic,
 * `$` string, `l` list, `s` set, `h` hash, `z` sorted set, `x` expired,
 * `e` evicted, `t` stream, `m` key miss, `d` module, `n` new key, and `A`
 * (alias for `g$lshzxetd`). CONFIG GET shows Redis's normalised form
 * (`KEA` reads back as `AKE`).
 *
 * Supported beyond the families' own events:
 * - `n`: a `new` event whenever a key is created, raised by the keyspace
 *   ({@link Keyspace.onNew}) before the command's own event, as Redis's
 *   `dbAdd` does. The keyspace calls it only while `n` is enabled.
 *
 * Not raised (no source yet): `e` (Respite does not evict) and `m` (read
 * misses are not reported by the families). Both letters are accepted.
 *
 * @module
 */

import { definePlugin } from "../core/registry.ts";
import { ConfigError } from "../core/config.ts";
import type { Bytes, EventClass, ServerApi } from "../core/types.ts";
import type { Database } from "../core/keyspace.ts";
import type {} from "./pubsub/mod.ts";

const K = 1 << 0;
const E = 1 << 1;
const G = 1 << 2;
const STR = 1 << 3;
const L = 1 << 4;
const S = 1 << 5;
const H = 1 << 6;
const Z = 1 << 7;
const X = 1 << 8;
const EV = 1 << 9;
const T = 1 << 10;
const M = 1 << 11;
const D = 1 << 12;
const N = 1 << 13;
/** `A`: every class but `m` and `n`, as Redis's NOTIFY_ALL. */
const ALL = G | STR | L | S | H | Z | X | EV | T | D;

/** Class letter -> bit, for the letters `c.changed` passes. */
const CLASS_BIT: Readonly<Record<EventClass, number>> = {
  "": 0,
  g: G,
  $: STR,
  l: L,
  s: S,
  h: H,
  z: Z,
  x: X,
  e: EV,
  t: T,
  m: M,
  d: D,
  n: N,
};

/** Letter -> bit, for parsing the directive (`A` included). */
const LETTER_BIT: Readonly<Record<string, number>> = {
  ...CLASS_BIT,
  A: ALL,
  K,
  E,
};

const INVALID = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/**
 * Parses a `notify-keyspace-events` value into class bits, as Redis's
 * `keyspaceEventsStringToFlags` (case sensitive). Throws ConfigError on an
 * unknown letter.
 *
 * @example
 * ```ts
 * import { formatEventFlags, parseEventFlags } from "./notifications.ts";
 * console.log(formatEventFlags(parseEventFlags("KEA"))); // "AKE"
 * ```
 */
export function parseEventFlags(s: string): number {
  let flags = 0;
  for (const ch of s) {
    const bit = LETTER_BIT[ch];
    if (bit === undefined) throw new ConfigError(INVALID);
    flags |= bit;
  }
  return flags;
}

/**
 * Formats class bits as Redis's `keyspaceEventsFlagsToString` does: `A`
 * when every class of ALL is set (then `n` is not shown, a Redis quirk),
 * else the class letters in order; then `K`, `E` and `m`.
 */
export function formatEventFlags(flags: number): string {
  let out = "";
  if ((flags & ALL) === ALL) {
    out = "A";
  } else {
    for (const [ch, bit] of ORDER) if (flags & bit) out += ch;
  }
  if (flags & K) out += "K";
  if (flags & E) out += "E";
  if (flags & M) out += "m";
  return out;
}

const ORDER: readonly [string, number][] = [
  ["g", G],
  ["$", STR],
  ["l", L],
  ["s", S],
  ["h", H],
  ["z", Z],
  ["x", X],
  ["e", EV],
  ["t", T],
  ["d", D],
  ["n", N],
];

/** The keyspace notifications plugin. */
export default definePlugin({
  name: "notifications",
  dependencies: ["pubsub"],
  config: [{
    name: "notify-keyspace-events",
    type: "string",
    default: "",
    validate: (v: string): string => formatEventFlags(parseEventFlags(v)),
  }],
  init(server: ServerApi) {
    const pubsub = server.service("pubsub");
    /** Enabled class bits; 0 when nothing can be delivered. */
    let flags = 0;

    const publishEvent = (db: Database, key: Bytes, event: string): void => {
      if (pubsub === undefined) return;
      if (flags & K) pubsub.publish(`__keyspace@${db.index}__:${key}`, event);
      if (flags & E) pubsub.publish(`__keyevent@${db.index}__:${event}`, key);
    };
    const onNew = (db: Database, key: Bytes): void => publishEvent(db, key, "new");

    // The value as given: the shown form drops `n` under `A`, which Redis
    // (and so this plugin) still applies.
    server.config.watch("notify-keyspace-events", (_shown, given) => {
      const parsed = parseEventFlags(given);
      // Without K or E nothing is published: the hook is not even called.
      flags = parsed & (K | E) ? parsed : 0;
      server.keyspace.onNew = flags & N ? onNew : undefined;
      server.rearm();
    });

    return {
      hooks: {
        keyChanged(db: Database, key: Bytes, event: string, cls: EventClass): void {
          if ((flags & CLASS_BIT[cls]) === 0) return;
          publishEvent(db, key, event);
        },
      },
      hooksArmed: { keyChanged: () => flags !== 0 },
    };
  },
});
