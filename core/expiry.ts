/**
 * Expiry beside the keyspace: what a key's expiry sets off, and the active
 * cycle that reclaims keys nobody reads. A read meets an expired key in
 * {@link Database} (lazy expiry); both ways end in {@link Expiry}.
 *
 * @module
 */

import type { Bytes, ServerStats, Services } from "./types.ts";
import type { Database, Keyspace } from "./keyspace.ts";
import type { HookLists } from "./registry.ts";
import type { BlockingManager } from "./blocking.ts";
import type { ConfigStore } from "./config.ts";

/** What expiry needs from the server. */
export interface ExpiryHost {
  readonly keyspace: Keyspace;
  readonly config: ConfigStore;
  readonly stats: ServerStats;
  readonly hooks: HookLists;
  readonly blocking: BlockingManager;
  emitPropagate(dbIndex: number, argv: readonly Bytes[]): void;
  /** The latency monitor, if loaded, hears of each cycle's duration. */
  service<K extends keyof Services>(name: K): Services[K] | undefined;
}

/** Keys an active step examines per database, times `active-expire-effort`. */
const KEYS_PER_STEP = 20;

/**
 * Whether a database holds a key with a TTL. An idle server's cron then
 * reads no clock and steps through no database: ten times a second for
 * each of sixteen, that work was enough for V8 to compile it, and its
 * compilers' pages joined the idle RSS.
 */
function anyVolatile(dbs: readonly Database[]): boolean {
  for (let i = 0; i < dbs.length; i++) if (dbs[i]!.expires.size !== 0) return true;
  return false;
}

/**
 * A server's expiry. Created once per server; it takes over the keyspace's
 * `onExpire`.
 *
 * @example
 * ```ts
 * import { startServer } from "../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const db = s.server.keyspace.db(0);
 * db.set("k", "v");
 * db.setExpire("k", 1); // long past
 * s.server.expiry.cycle(Date.now());
 * console.log(db.size, s.server.stats.expiredKeys); // 0 1
 * await s.close();
 * ```
 */
export class Expiry {
  constructor(readonly host: ExpiryHost) {
    host.keyspace.onExpire = (db, key) => this.#expired(db, key);
  }

  /**
   * One run of the active cycle (Redis's slow cycle, from the cron): samples
   * keys with a TTL in every database, and goes on while more than a
   * quarter of a sample had expired, within a quarter of a cron tick.
   */
  cycle(now: number): void {
    const { keyspace, config } = this.host;
    // The cron moves the keyspace's LRU clock too (between client batches),
    // and ends a CLIENT PAUSE whose time is up: nothing expires during one.
    keyspace.setTime(now);
    if (keyspace.pause.level !== 0) {
      keyspace.pause.tick(now);
      if (keyspace.pause.level !== 0) return;
    }
    if (!keyspace.activeExpire || !anyVolatile(keyspace.dbs)) return;
    const budget = (1000 / config.number("hz")) * 0.25;
    const t0 = performance.now();
    const max = KEYS_PER_STEP * config.number("active-expire-effort");
    cycle: for (;;) {
      let again = false;
      for (const db of keyspace.dbs) {
        const [examined, expired] = db.activeExpireStep(max, now);
        if (examined !== 0 && expired * 4 > examined) again = true;
        if (performance.now() - t0 > budget) break cycle;
      }
      if (!again) break;
    }
    // Redis's `expire-cycle` latency event.
    const latency = this.host.service("latency");
    if (latency !== undefined && latency.threshold !== 0) {
      latency.sample("expire-cycle", performance.now() - t0);
    }
  }

  /** A key expired, lazily or in the cycle: count it, wake, tell, propagate. */
  #expired(db: Database, key: Bytes): void {
    const host = this.host;
    host.stats.expiredKeys++;
    // A deleted key may end a block (XREADGROUP fails when its stream goes).
    if (host.blocking.blocked.size !== 0) host.blocking.signal(db, key);
    for (const h of host.hooks.keyExpired) h(db, key);
    // Not through emitKeyChanged: as in Redis, an expiry is not a change
    // of `dirty`, so a read command that meets an expired key is not
    // propagated itself; the DEL below is.
    const hs = host.hooks.keyChanged;
    for (let i = 0; i < hs.length; i++) hs[i]!(db, key, "expired", "x");
    host.emitPropagate(db.index, ["DEL", key]);
  }
}
