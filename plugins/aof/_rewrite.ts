/**
 * The dataset as AOF commands, for a base file when `aof-use-rdb-preamble`
 * is no (Redis's `rewriteAppendOnlyFileRio`): SELECT per database, one
 * command per 64 elements, PEXPIREAT for keys with a TTL. Streams, which
 * Redis rebuilds with XADD/XSETID/XGROUP, go as RESTORE of their DUMP
 * payload instead: one command, same contents. A plugin type's values are
 * rebuilt by its value type's `rewrite` commands (else RESTORE too); keys
 * of volatile types are left out, with one warning.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import {
  type DataObject,
  type Keyspace,
  storedValue,
  type ValueType,
  viewOf,
} from "../../core/keyspace.ts";
import { formatDouble } from "../../core/number.ts";
import { bytesToString } from "../../core/resp/bytes.ts";
import { NATIVE_TYPES as NATIVE, notPersistedWarning } from "../../core/value_type.ts";
import { encodeCommand } from "./_format.ts";

/** Redis's AOF_REWRITE_ITEMS_PER_CMD. */
const ITEMS_PER_CMD = 64;

/** A value the command form cannot express (streams need the RDB form). */
export class RewriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RewriteError";
  }
}

/** Emits `cmd key item...` in batches of {@link ITEMS_PER_CMD} items. */
function batched(
  out: string[],
  cmd: string,
  key: Bytes,
  items: Iterable<Bytes[]>,
): void {
  let argv: Bytes[] = [cmd, key];
  let n = 0;
  for (const it of items) {
    argv.push(...it);
    if (++n === ITEMS_PER_CMD) {
      out.push(encodeCommand(argv));
      argv = [cmd, key];
      n = 0;
    }
  }
  if (n !== 0) out.push(encodeCommand(argv));
}

function* map<T, U>(it: Iterable<T>, fn: (t: T) => U): Iterable<U> {
  for (const x of it) yield fn(x);
}

function valueCommands(
  out: string[],
  key: Bytes,
  v: DataObject,
  dump: ((v: DataObject) => Uint8Array) | undefined,
  t: ValueType | undefined,
): void {
  // viewOf(v, v.type) is never undefined.
  switch (v.type) {
    case "list":
      batched(out, "RPUSH", key, map(viewOf(v, "list")!.elements(), (e) => [e]));
      return;
    case "set":
      batched(out, "SADD", key, map(viewOf(v, "set")!.elements(), (e) => [e]));
      return;
    case "zset":
      batched(out, "ZADD", key, map(viewOf(v, "zset")!.scored(), ([m, s]) => [formatDouble(s), m]));
      return;
    case "hash":
      batched(out, "HMSET", key, map(viewOf(v, "hash")!.pairs(), ([f, val]) => [f, val]));
      return;
    default: {
      if (t?.rewrite !== undefined) {
        for (const argv of t.rewrite(key, v)) out.push(encodeCommand(argv));
        return;
      }
      // Streams (and plugin types without `rewrite`) go as RESTORE of
      // their DUMP payload.
      if (!dump) {
        throw new RewriteError(
          `a ${v.type} value can't be written as commands without the rdb plugin`,
        );
      }
      const p = dump(v);
      out.push(encodeCommand(["RESTORE", key, "0", bytesToString(p, 0, p.length)]));
    }
  }
}

/**
 * The whole dataset as AOF commands (a byte string), function libraries
 * first as `FUNCTION LOAD <code>` (Redis's rewriteFunctions). Keys of
 * volatile types are left out and reported in one line to `warn`. Throws
 * {@link RewriteError} for a value type it cannot express.
 *
 * @example
 * ```ts
 * import { Keyspace } from "../../core/keyspace.ts";
 * import { datasetAsCommands } from "./_rewrite.ts";
 * const ks = new Keyspace({ databases: 1 });
 * ks.db(0).set("k", "v");
 * console.log(JSON.stringify(datasetAsCommands(ks)));
 * // "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
 * ```
 */
export function datasetAsCommands(
  ks: Keyspace,
  dump?: (v: DataObject) => Uint8Array,
  functions: readonly Bytes[] = [],
  warn: (msg: string) => void = (m) => console.warn(m),
): Bytes {
  const out: string[] = [];
  const skipped = new Map<string, number>();
  for (const code of functions) out.push(encodeCommand(["FUNCTION", "LOAD", code]));
  for (const db of ks.dbs) {
    if (db.data.size === 0) continue;
    out.push(encodeCommand(["SELECT", String(db.index)]));
    for (const [key, stored] of db.data) {
      const v = storedValue(stored);
      if (typeof v === "string") {
        out.push(encodeCommand(["SET", key, v]));
      } else {
        const t = NATIVE.has(v.type) ? undefined : ks.types.get(v.type);
        if (t?.volatile === true) {
          skipped.set(v.type, (skipped.get(v.type) ?? 0) + 1);
          continue;
        }
        valueCommands(out, key, v, dump, t);
      }
      const at = db.expires.get(key);
      if (at !== undefined) out.push(encodeCommand(["PEXPIREAT", key, String(at)]));
    }
  }
  if (skipped.size !== 0) warn(notPersistedWarning(skipped));
  return out.join("");
}
