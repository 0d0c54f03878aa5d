/**
 * SCAN over a database, with Redis's option parsing and errors.
 *
 * The cursor is a handle to a live `Map` iterator kept in the keyspace's
 * shared {@link ScanCursors}: every key present for the whole scan is
 * returned exactly once, even while keys are added and deleted. Cursor
 * values are therefore opaque handles, not hash-table positions.
 *
 * @module
 */

import { typeOf } from "../../core/keyspace.ts";
import { globMatch } from "../../core/glob.ts";

import { parseScanCursor, parseScanOptions } from "../../core/cursor.ts";

import { command } from "./_util.ts";

/** The SCAN command. */
export const scanCommand = command({
  name: "scan",
  arity: -2,
  flags: ["readonly"],
  tips: ["nondeterministic_output", "request_policy:special"],
  docs: {
    summary: "Incrementally iterate the keys space",
    since: "2.8.0",
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
    history: [["6.0.0", "Added the `TYPE` subcommand."]],
    arguments: [
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", flags: ["optional"] },
      { name: "count", type: "integer", token: "COUNT", flags: ["optional"] },
      { name: "type", type: "string", token: "TYPE", since: "6.0.0", flags: ["optional"] },
    ],
  },
  handler(c, argv) {
    const cursor = parseScanCursor(argv[1]!);
    const { count, pattern, type } = parseScanOptions(argv, 2, true);
    const db = c.db;
    // COUNT bounds the keys examined, not the keys returned, as in Redis.
    const page = c.server.keyspace.cursors.scan(db.data, cursor, count, () => db.data.keys());
    const out: string[] = [];
    for (const key of page.items) {
      if (pattern !== undefined && !globMatch(pattern, key)) continue;
      const v = db.peek(key); // reclaims the key when expired; not an access
      if (v === undefined) continue;
      if (type !== undefined && typeOf(v) !== type) continue;
      out.push(key);
    }
    c.reply.array(2);
    c.reply.bulk(page.cursor);
    c.reply.bulkArray(out);
  },
});
