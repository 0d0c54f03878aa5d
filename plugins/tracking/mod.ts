/**
 * Client-side caching (Redis 6+ "tracking"): CLIENT TRACKING, CLIENT
 * CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO and the
 * `tracking-table-max-keys` directive.
 *
 * A tracking client is told when a key it may have cached changes:
 *
 * - By default the server remembers the keys each tracking client read
 *   (after a read-only command ran, the keys its key specs flag RO or
 *   ACCESS; for a read inside a script, as Redis 7.0 does, the keys the
 *   script declared) and sends an invalidation when one of them changes,
 *   expires or is evicted, then forgets it. OPTIN remembers only after
 *   CLIENT CACHING YES, OPTOUT all but after CLIENT CACHING NO, for the
 *   next command or transaction.
 * - BCAST remembers nothing: every change of a key under one of the
 *   client's prefixes is broadcast, the keys of a batch together.
 * - NOLOOP leaves out the client's own changes.
 * - FLUSHDB and FLUSHALL invalidate everything (a null), as does anything
 *   else that empties a database (SWAPDB does not, as in Redis 7.0).
 *
 * An invalidation is a RESP3 push, `>2 invalidate [keys]`, sent after the
 * reply of the command that caused it. With REDIRECT it goes to another
 * connection: a RESP3 one gets the push, a RESP2 one in subscribed mode a
 * `message` on `__redis__:invalidate` (through the pubsub plugin's
 * service). When that connection is gone, the tracking client gets a
 * `tracking-redir-broken` push instead. CLIENT LIST shows tracking clients
 * with the `t`, `B` (BCAST) and `R` (broken redirect) flags and `redir`;
 * INFO has `tracking_clients` and the table's size. Past
 * `tracking-table-max-keys` keys, the oldest tracked keys are dropped and
 * invalidated (Redis drops random ones).
 *
 * While no client tracks, nothing runs per command: the per-command work
 * is a dispatcher observer added by the first tracking client, and key
 * changes cost one test while the tables are empty.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { LONG_MAX } from "../../core/config.ts";
import type { PluginInstance, ServerApi } from "../../core/types.ts";
import type {} from "../pubsub/mod.ts";
import { Tracker } from "./_tracker.ts";
import { trackingCommands } from "./_commands.ts";

export type { TrackingState } from "./_tracker.ts";

function init(server: ServerApi): PluginInstance {
  const tracker = new Tracker(server, server.service("pubsub"));
  /** Whether the keyChanged hook is armed: while some client tracks or the table holds keys. */
  let armed = false;
  server.config.watch("tracking-table-max-keys", (v) => (tracker.maxKeys = Number(v)));
  return {
    commands: trackingCommands(tracker),
    hooks: {
      keyChanged(_db, key) {
        if (!tracker.idle) tracker.invalidate(key, true);
      },
      databaseChanged(_db, event) {
        // SWAPDB invalidates nothing in Redis 7.0.
        if (event === "flush") tracker.flushed();
      },
      commandRejected(c) {
        tracker.rejected(c);
      },
      clientClosed(c) {
        tracker.disable(c);
      },
      clientReset(c) {
        tracker.disable(c);
      },
      cron() {
        // Redis also trims in its cron: a CONFIG SET lowering the limit
        // takes effect on an idle server.
        if (tracker.clients !== 0) tracker.limit();
        // Disarmed lazily: the last client and the last key may go often.
        else if (armed && tracker.idle) server.rearm();
      },
      clientInfo(c) {
        const st = c.ext.tracking;
        if (st === undefined) return undefined;
        return {
          flags: "t" + (st.brokenRedirect ? "R" : "") + (st.bcast ? "B" : ""),
          redir: st.redirect,
        };
      },
      info(section) {
        if (section === "clients") return { tracking_clients: tracker.clients };
        if (section !== "stats") return undefined;
        return {
          tracking_total_keys: tracker.table.size,
          tracking_total_items: tracker.items,
          tracking_total_prefixes: tracker.prefixes.size,
        };
      },
    },
    hooksArmed: { keyChanged: () => (armed = tracker.clients !== 0 || !tracker.idle) },
  };
}

/**
 * The client tracking plugin.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const conn = await Deno.connect({ port: s.port });
 * await conn.write(new TextEncoder().encode("CLIENT TRACKING ON\r\nCLIENT GETREDIR\r\n"));
 * const buf = new Uint8Array(64);
 * let text = "";
 * while (!text.endsWith(":0\r\n")) {
 *   const n = await conn.read(buf);
 *   text += new TextDecoder().decode(buf.subarray(0, n!));
 * }
 * console.log(text); // "+OK\r\n:0\r\n"
 * conn.close();
 * await s.close();
 * ```
 */
export default definePlugin({
  name: "tracking",
  // CLIENT is the connection family's; redirected invalidations go out
  // through pub/sub.
  dependencies: ["connection", "pubsub"],
  config: [{
    name: "tracking-table-max-keys",
    type: "int",
    default: "1000000",
    min: 0,
    max: LONG_MAX,
  }],
  init,
});
