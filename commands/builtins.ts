/**
 * The built-in plugins, in registration order (the registry still orders
 * them by their declared dependencies).
 *
 * @module
 */

import type { Plugin } from "../core/types.ts";
import connection from "./connection.ts";
import server from "./server.ts";
import introspection from "./command.ts";
import strings from "./strings.ts";
import bitmaps from "./bitmaps.ts";
import keys from "./keys.ts";
import rdb from "../plugins/rdb.ts";
import aof from "../plugins/aof.ts";
import replication from "../plugins/replication.ts";

/** Every built-in family and subsystem. */
export const builtinPlugins: readonly Plugin[] = [
  connection,
  server,
  introspection,
  strings,
  bitmaps,
  keys,
  rdb,
  aof,
  replication,
];
