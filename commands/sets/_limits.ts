/**
 * Each server's live `set-max-intset-entries` (several servers may share
 * the sets modules in one process, so it is not a module global).
 *
 * @module
 */

import type { Context, ServerApi } from "../../core/types.ts";

const LIMITS = new WeakMap<object, { maxIntset: number }>();
let lastServer: object | undefined;
let lastLimits = { maxIntset: 512 };

/** Starts tracking a server's `set-max-intset-entries`. */
export function watchIntsetLimit(server: ServerApi): void {
  const limits = { maxIntset: 512 };
  LIMITS.set(server, limits);
  server.config.watch("set-max-intset-entries", (v) => (limits.maxIntset = Number(v)));
}

/** The calling server's `set-max-intset-entries` (SADD's hot path: one-entry cache). */
export function intsetLimit(c: Context): number {
  if (c.server !== lastServer) {
    lastServer = c.server;
    lastLimits = LIMITS.get(c.server) ?? { maxIntset: 512 };
  }
  return lastLimits.maxIntset;
}
