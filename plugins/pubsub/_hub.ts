/**
 * The pub/sub subscription tables: who listens to which channel, pattern
 * and shard channel, and message delivery. The commands live in
 * `pubsub.ts`; this file holds no command logic.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import { globMatch } from "../../core/glob.ts";
import { Frame } from "./_frames.ts";

/** A client's subscriptions (insertion ordered, as they were made). */
export interface ClientSubscriptions {
  channels: Set<Bytes>;
  patterns: Set<Bytes>;
  shard: Set<Bytes>;
}

declare module "../../core/types.ts" {
  interface ClientExtensions {
    /** Subscriptions of a client that ever subscribed (pubsub plugin). */
    pubsub?: ClientSubscriptions;
  }
}

/** The three subscription families. */
export type SubKind = "channels" | "patterns" | "shard";

/** Subscribers by name; sets keep subscription order, so delivery order is stable. */
type Table = Map<Bytes, Set<Context>>;

/**
 * The server-wide subscription tables and delivery.
 *
 * @example
 * ```ts ignore
 * const hub = new PubSubHub();
 * hub.subscribe(client, "channels", "news");
 * hub.publish("news", "hello"); // 1
 * ```
 */
export class PubSubHub {
  readonly tables: Record<SubKind, Table> = {
    channels: new Map(),
    patterns: new Map(),
    shard: new Map(),
  };

  /** The client's subscriptions, created on first use. */
  subs(c: Context): ClientSubscriptions {
    return c.ext.pubsub ??= { channels: new Set(), patterns: new Set(), shard: new Set() };
  }

  /** Adds a subscription; false when the client already had it. */
  subscribe(c: Context, kind: SubKind, name: Bytes): boolean {
    const mine = this.subs(c)[kind];
    if (mine.has(name)) return false;
    mine.add(name);
    const table = this.tables[kind];
    let set = table.get(name);
    if (set === undefined) table.set(name, set = new Set());
    set.add(c);
    this.#updateKind(c);
    return true;
  }

  /** Removes a subscription; false when the client did not have it. */
  unsubscribe(c: Context, kind: SubKind, name: Bytes): boolean {
    const mine = c.ext.pubsub?.[kind];
    if (mine === undefined || !mine.delete(name)) return false;
    const table = this.tables[kind];
    const set = table.get(name);
    if (set !== undefined) {
      set.delete(c);
      if (set.size === 0) table.delete(name);
    }
    this.#updateKind(c);
    return true;
  }

  /** Drops every subscription of a client, silently (disconnect, RESET). */
  dropAll(c: Context): void {
    const s = c.ext.pubsub;
    if (s === undefined) return;
    for (const kind of ["channels", "patterns", "shard"] as const) {
      for (const name of [...s[kind]]) this.unsubscribe(c, kind, name);
    }
  }

  /** Channel plus pattern subscriptions (the count SUBSCRIBE replies carry). */
  count(c: Context): number {
    const s = c.ext.pubsub;
    return s === undefined ? 0 : s.channels.size + s.patterns.size;
  }

  /** Shard channel subscriptions (the count SSUBSCRIBE replies carry). */
  shardCount(c: Context): number {
    return c.ext.pubsub?.shard.size ?? 0;
  }

  /**
   * Subscribed mode lasts while any subscription remains. The core applies
   * the pubsub output buffer limit and CLIENT LIST's `P` flag from it.
   */
  #updateKind(c: Context): void {
    if (c.kind === "replica") return;
    const kind = this.count(c) + this.shardCount(c) > 0 ? "pubsub" : "normal";
    if (kind === c.kind) return;
    c.kind = kind;
    this.subscribedClients += kind === "pubsub" ? 1 : -1;
    if (this.subscribedClients === (kind === "pubsub" ? 1 : 0)) this.onFirstOrLast?.();
  }

  /** Clients in subscribed mode. */
  subscribedClients = 0;
  /** Told when the first client enters subscribed mode or the last one leaves it. */
  onFirstOrLast: (() => void) | undefined;

  /**
   * Delivers `message` to the channel's subscribers, then to every matching
   * pattern's subscribers; returns the number of deliveries (a client
   * matching twice counts twice, as in Redis).
   */
  publish(channel: Bytes, message: Bytes): number {
    let receivers = 0;
    const subs = this.tables.channels.get(channel);
    if (subs !== undefined) {
      const frame = new Frame(["message", channel, message]);
      for (const c of subs) {
        deliver(c, frame);
        receivers++;
      }
    }
    const patterns = this.tables.patterns;
    if (patterns.size !== 0) {
      for (const [pattern, set] of patterns) {
        if (!globMatch(pattern, channel)) continue;
        const frame = new Frame(["pmessage", pattern, channel, message]);
        for (const c of set) {
          deliver(c, frame);
          receivers++;
        }
      }
    }
    return receivers;
  }

  /** SPUBLISH: delivers to the shard channel's subscribers only. */
  publishShard(channel: Bytes, message: Bytes): number {
    const subs = this.tables.shard.get(channel);
    if (subs === undefined) return 0;
    const frame = new Frame(["smessage", channel, message]);
    let receivers = 0;
    for (const c of subs) {
      deliver(c, frame);
      receivers++;
    }
    return receivers;
  }
}

/**
 * Appends the frame to the subscriber's output and schedules its write.
 * The write starts once the running batch of commands is done (a
 * microtask, as Redis writes to clients before it sleeps), so a pipeline
 * of PUBLISHes reaches each subscriber in one write; while a write is in
 * flight, output accumulates for the next. A message is pushed: it
 * reaches a client whose replies are off too.
 */
function deliver(c: Context, frame: Frame): void {
  const restore = c.beginPush();
  c.reply.raw(frame.bytes(c.resp));
  c.endPush(restore);
  if (pendingFlush.size === 0) queueMicrotask(flushPending);
  pendingFlush.add(c);
}

/** Subscribers with messages not yet handed to a write. */
const pendingFlush = new Set<Context>();

function flushPending(): void {
  // Each leaves the set before its flush: one added meanwhile is still
  // visited (or schedules its own run, the set being empty).
  for (const c of pendingFlush) {
    pendingFlush.delete(c);
    c.flush();
  }
}
