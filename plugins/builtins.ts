/**
 * The built-in plugins, in registration order (the registry still orders
 * them by their declared dependencies).
 *
 * @module
 */

import type { Plugin } from "../core/types.ts";
import connection from "../commands/connection/mod.ts";
import acl from "./acl/mod.ts";
import eviction from "./eviction/mod.ts";
import server from "../commands/server/mod.ts";
import introspection from "../commands/introspection.ts";
import strings from "../commands/strings/mod.ts";
import bitmaps from "../commands/bitmaps/mod.ts";
import hyperloglog from "../commands/hyperloglog/mod.ts";
import keys from "../commands/keys/mod.ts";
import lists from "../commands/lists/mod.ts";
import sort from "../commands/sort.ts";
import lolwut from "../commands/lolwut.ts";
import hashes from "../commands/hashes/mod.ts";
import sets from "../commands/sets/mod.ts";
import zsets from "../commands/zsets/mod.ts";
import geo from "../commands/geo/mod.ts";
import streams from "../commands/streams/mod.ts";
import rdb from "./rdb/mod.ts";
import aof from "./aof/mod.ts";
import replication from "./replication/mod.ts";
import transactions from "./transactions/mod.ts";
import scripting from "./scripting/mod.ts";
import functions from "./functions/mod.ts";
import pubsub from "./pubsub/mod.ts";
import tracking from "./tracking/mod.ts";
import notifications from "./notifications.ts";
import monitor from "./monitor/mod.ts";
import latency from "./latency/mod.ts";
import module from "./module.ts";
import cluster from "./cluster/mod.ts";

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
  lolwut,
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
  // Before notifications: as in Redis, a change's invalidation goes out
  // before its keyspace notification.
  tracking,
  notifications,
  monitor,
  latency,
  module,
  cluster,
];
