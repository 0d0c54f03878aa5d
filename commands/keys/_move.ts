/**
 * RENAME, RENAMENX, COPY and MOVE: commands that put a value under another
 * name or in another database, keeping its TTL.
 *
 * @module
 */

import type { Bytes, CommandArg, Context } from "../../core/types.ts";
import { keys } from "../../core/registry.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { command, dbArg, lookupRead } from "./_util.ts";

const SAME = "ERR source and destination objects are the same";

function rename(c: Context, argv: Bytes[], nx: boolean): void {
  const db = c.db;
  const src = argv[1]!, dst = argv[2]!;
  const value = db.get(src);
  if (value === undefined) throw new ReplyError(Err.noSuchKey);
  if (src === dst) {
    // Same name: nothing changes, and nothing is propagated.
    if (nx) c.reply.integer(0);
    else c.reply.ok();
    return;
  }
  const expire = db.getExpire(src);
  if (db.get(dst) !== undefined) {
    if (nx) {
      c.reply.integer(0);
      return;
    }
    db.delete(dst);
  }
  db.set(dst, value);
  if (expire !== -1) db.setExpire(dst, expire);
  // The same object under a new name: its access time and encoding.
  db.copyMeta(src, db, dst);
  db.delete(src);
  // One change in all, as Redis counts a rename.
  c.changed(src, "rename_from", "g");
  c.changed(dst, "rename_to", "g", 0);
  if (nx) c.reply.integer(1);
  else c.reply.ok();
}

function copy(c: Context, argv: Bytes[]): void {
  const src = c.db;
  let dst = src;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    if (opt === "replace") {
      replace = true;
    } else if (opt === "db" && argv.length - j - 1 >= 1) {
      dst = dbArg(c, argv[++j]!);
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  if ((src.index !== 0 || dst.index !== 0) && c.server.config.bool("cluster-enabled")) {
    throw new ReplyError("ERR Copying to another database is not allowed in cluster mode");
  }
  const key = argv[1]!, newKey = argv[2]!;
  if (src === dst && key === newKey) throw new ReplyError(SAME);
  const value = lookupRead(c, key);
  if (value === undefined) {
    c.reply.integer(0);
    return;
  }
  const expire = src.getExpire(key);
  if (dst.get(newKey) !== undefined) {
    if (!replace) {
      c.reply.integer(0);
      return;
    }
    dst.delete(newKey);
  }
  dst.set(newKey, typeof value === "string" ? value : value.clone());
  if (expire !== -1) dst.setExpire(newKey, expire);
  // A copy is a new object with the same encoding.
  src.copyMeta(key, dst, newKey, true);
  c.changedIn(dst, newKey, "copy_to", "g");
  c.reply.integer(1);
}

function move(c: Context, argv: Bytes[]): void {
  if (c.server.config.bool("cluster-enabled")) {
    throw new ReplyError("ERR MOVE is not allowed in cluster mode");
  }
  const src = c.db;
  const dst = dbArg(c, argv[2]!);
  if (src === dst) throw new ReplyError(SAME);
  const key = argv[1]!;
  const value = src.get(key);
  if (value === undefined || dst.get(key) !== undefined) {
    c.reply.integer(0);
    return;
  }
  const expire = src.getExpire(key);
  dst.set(key, value);
  if (expire !== -1) dst.setExpire(key, expire);
  src.copyMeta(key, dst, key);
  src.delete(key);
  // One change in all, as Redis counts a move.
  c.changed(key, "move_from", "g");
  c.changedIn(dst, key, "move_to", "g", 0);
  c.reply.integer(1);
}

/** RENAME's and RENAMENX's arguments. */
const RENAME_ARGS: readonly CommandArg[] = [
  { name: "key", type: "key", keySpecIndex: 0 },
  { name: "newkey", type: "key", keySpecIndex: 1 },
];

/** The commands of this file. */
export const moveCommands = [
  command({
    name: "rename",
    arity: 3,
    flags: ["write"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"]), keys.one(2, ["OW", "UPDATE"])],
    docs: {
      summary: "Rename a key",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: RENAME_ARGS,
    },
    handler: (c, argv) => rename(c, argv, false),
  }),
  command({
    name: "renamenx",
    arity: 3,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"]), keys.one(2, ["OW", "INSERT"])],
    docs: {
      summary: "Rename a key, only if the new key does not exist",
      since: "1.0.0",
      complexity: "O(1)",
      history: [[
        "3.2.0",
        "The command no longer returns an error when source and destination names are the same.",
      ]],
      arguments: RENAME_ARGS,
    },
    handler: (c, argv) => rename(c, argv, true),
  }),
  command({
    name: "copy",
    arity: -3,
    flags: ["write", "denyoom"],
    keySpecs: [keys.one(1, ["RO", "ACCESS"]), keys.one(2, ["OW", "UPDATE"])],
    docs: {
      summary: "Copy a key",
      since: "6.2.0",
      complexity:
        "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
      arguments: [
        { name: "source", type: "key", keySpecIndex: 0 },
        { name: "destination", type: "key", keySpecIndex: 1 },
        { name: "destination-db", type: "integer", token: "DB", flags: ["optional"] },
        { name: "replace", type: "pure-token", token: "REPLACE", flags: ["optional"] },
      ],
    },
    handler: copy,
  }),
  command({
    name: "move",
    arity: 3,
    flags: ["write", "fast"],
    keySpecs: [keys.one(1, ["RW", "ACCESS", "UPDATE"])],
    docs: {
      summary: "Move a key to another database",
      since: "1.0.0",
      complexity: "O(1)",
      arguments: [
        { name: "key", type: "key", keySpecIndex: 0 },
        { name: "db", type: "integer" },
      ],
    },
    handler: move,
  }),
];
