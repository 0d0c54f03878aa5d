/**
 * Helpers shared by the generic key commands: their family builder,
 * counted lookups and database index arguments.
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";
import type { Database, Value } from "../../core/keyspace.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseBigInteger } from "../../core/number.ts";
import { commandFamily } from "../../core/registry.ts";

/** The builder of the generic key commands: ACL @keyspace, DOCS group `generic`. */
export const command = commandFamily({ category: "keyspace", group: "generic" });

/**
 * Looks a key up for reading and counts a keyspace hit or miss, as Redis's
 * `lookupKeyRead` does (write lookups are not counted).
 */
export function lookupRead(c: Context, key: Bytes, db: Database = c.db): Value | undefined {
  return counted(c, db.get(key));
}

/**
 * {@link lookupRead} without recording an access to the key: Redis's
 * `LOOKUP_NOTOUCH` (TYPE, TTL, EXISTS, OBJECT).
 */
export function lookupNoTouch(c: Context, key: Bytes, db: Database = c.db): Value | undefined {
  return counted(c, db.peek(key));
}

function counted(c: Context, v: Value | undefined): Value | undefined {
  if (v === undefined) c.server.stats.keyspaceMisses++;
  else c.server.stats.keyspaceHits++;
  return v;
}

/**
 * Parses a database index as Redis's `getIntFromObjectOrReply` then
 * `selectDb` do, and returns that database. Throws Redis's errors.
 */
export function dbArg(c: Context, s: Bytes): Database {
  const n = parseBigInteger(s);
  if (n === undefined) throw new ReplyError(Err.notInteger);
  if (n < -2147483648n || n > 2147483647n) {
    throw new ReplyError(
      "ERR value is out of range, value must between -2147483648 and 2147483647",
    );
  }
  const i = Number(n);
  if (i < 0 || i >= c.server.config.number("databases")) throw new ReplyError(Err.dbIndex);
  return c.server.keyspace.db(i);
}
