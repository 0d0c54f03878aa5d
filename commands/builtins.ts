/**
 * The built-in plugins, in registration order (the registry still orders
 * them by their declared dependencies).
 *
 * @module
 */

import type { Plugin } from "../core/types.ts";
import connection from "./connection.ts";
import acl from "../plugins/acl.ts";
import eviction from "../plugins/eviction.ts";
import server from "./server.ts";
import introspection from "./command.ts";
import strings from "./strings.ts";
import bitmaps from "./bitmaps.ts";
import hyperloglog from "./hyperloglog.ts";
import keys from "./keys.ts";
import lists from "./lists.ts";
import sort from "./sort.ts";
import hashes from "./hashes.ts";
import sets from "./sets.ts";
import zsets from "./zsets.ts";
import geo from "./geo.ts";
import streams from "./streams.ts";
import rdb from "../plugins/rdb.ts";
import aof from "../plugins/aof.ts";
import replication from "../plugins/replication.ts";
import transactions from "../plugins/transactions.ts";
import scripting from "../plugins/scripting.ts";
import functions from "../plugins/functions.ts";
import pubsub from "../plugins/pubsub.ts";
import notifications from "../plugins/notifications.ts";

/** Every built-in family and subsystem. */
export const builtinPlugins: readonly Plugin[] = [
  connection,
  // Before transactions: its permission check must see commands before
  // MULTI queues them.
  acl,
  // After ACL, before transactions: Redis checks permissions, then OOM,
  // then queues a command in MULTI.
  eviction,
  server,
  introspection,
  strings,
  bitmaps,
  hyperloglog,
  keys,
  lists,
  sort,
  hashes,
  sets,
  zsets,
  geo,
  streams,
  rdb,
  aof,
  replication,
  transactions,
  scripting,
  functions,
  pubsub,
  notifications,
];
