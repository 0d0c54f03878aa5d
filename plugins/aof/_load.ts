/**
 * Loading a multi-part AOF at start-up, as Redis 7.0's
 * `loadAppendOnlyFiles`: the base file (RDB or commands), then every
 * incremental file in order, replayed through the dispatcher by a client
 * with no connection. A torn tail is truncated or fatal according to
 * `aof-load-truncated`; a truncated file that is not the last is fatal.
 *
 * @module
 */

import { join } from "../../core/path.ts";
import type { Bytes, CommandEntry, Context, ServerApi } from "../../core/types.ts";
import { bytesToString } from "../../core/resp/bytes.ts";
import type { AofFileInfo, Manifest } from "./_format.ts";
import { isRdb } from "./_rdb.ts";
import type { RdbService } from "../rdb/mod.ts";

/** Start-up must stop: the AOF cannot be loaded. */
export class AofLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AofLoadError";
  }
}

/** What loading one file found. */
export type FileStatus = "ok" | "empty" | "truncated";

/** Options for {@link loadAppendOnlyFiles}. */
export interface LoadOptions {
  server: ServerApi;
  /** The AOF directory (`dir`/`appenddirname`). */
  dir: string;
  manifest: Manifest;
  /** `aof-load-truncated`. */
  truncatedOk: boolean;
  rdb: RdbService | undefined;
}

/**
 * Loads every file the manifest lists; returns their total size (Redis's
 * `aof_current_size` after loading). Throws {@link AofLoadError} when
 * start-up must stop (the reason is logged first, as Redis does).
 */
export function loadAppendOnlyFiles(o: LoadOptions): number {
  const { server, manifest } = o;
  const files: AofFileInfo[] = [...(manifest.base ? [manifest.base] : []), ...manifest.incr];
  const client = server.createInternalClient();
  let total = 0;
  const t0 = performance.now();
  const ks = server.keyspace;
  const dirty = server.dirty;
  // The replay is not new work: statistics stay as they were.
  const stats = snapshotStats(server);
  ks.loading = true;
  try {
    files.forEach((f, i) => {
      const last = i === files.length - 1;
      const start = performance.now();
      const path = join(o.dir, f.name);
      let bytes: Uint8Array;
      try {
        bytes = Deno.readFileSync(path);
      } catch (e) {
        throw fatal(server, `The AOF file ${f.name} doesn't exist (${(e as Error).message})`);
      }
      total += bytes.length;
      const status = loadSingle(o, client, f, path, bytes);
      if (status === "truncated" && !last) {
        throw fatal(server, "Fatal error: the truncated file is not the last file");
      }
      if (status === "truncated") total -= bytes.length - Deno.statSync(path).size;
      server.log(
        "notice",
        `DB loaded from ${f.type === "b" ? "base" : "incr"} file ${f.name}: ${
          ((performance.now() - start) / 1000).toFixed(3)
        } seconds`,
      );
    });
  } finally {
    ks.loading = false;
    server.dirty = dirty;
    stats.restore();
  }
  if (files.length !== 0) {
    server.log(
      "notice",
      `DB loaded from append only file: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`,
    );
  }
  return total;
}

function fatal(server: ServerApi, msg: string): AofLoadError {
  server.log("warning", msg);
  return new AofLoadError(msg);
}

function loadSingle(
  o: LoadOptions,
  client: Context,
  f: AofFileInfo,
  path: string,
  bytes: Uint8Array,
): FileStatus {
  if (bytes.length === 0) return "empty";
  let start = 0;
  if (isRdb(bytes)) {
    const base = f.type === "b" && f.name.endsWith(".rdb");
    if (!o.rdb) {
      throw fatal(o.server, `Can't load the RDB base file ${f.name}: the rdb plugin is not loaded`);
    }
    try {
      // Keys that expired since stay: later commands may still touch them.
      start = o.rdb.load(bytes, { keepExpired: true, allowTrailing: !base }).bytesRead;
    } catch (e) {
      throw fatal(
        o.server,
        base
          ? `Error reading the RDB base file ${f.name}, AOF loading aborted: ${
            (e as Error).message
          }`
          : `Error reading the RDB preamble of the AOF file ${f.name}, AOF loading aborted: ${
            (e as Error).message
          }`,
      );
    }
    if (!base && start < bytes.length) o.server.log("notice", "Reading the remaining AOF tail...");
  }
  // The replay starts in database 0, as Redis's fake client does.
  client.db = o.server.keyspace.db(0);
  return replay(o, client, f.name, path, bytes, start);
}

/** Reads an integer as C's `atoi`/`strtol` do (leading blanks, sign, digits). */
function atoi(b: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i < to && (b[i] === 0x20 || (b[i]! >= 9 && b[i]! <= 13))) i++;
  let neg = false;
  if (b[i] === 0x2d || b[i] === 0x2b) neg = b[i++] === 0x2d;
  let n = 0;
  while (i < to && b[i]! >= 0x30 && b[i]! <= 0x39) n = n * 10 + (b[i++]! - 0x30);
  return neg ? -n : n;
}

/**
 * Replays the commands in `bytes` from `pos`, following Redis's parser: a
 * line that does not start with `*` (or `$` for an argument) is a format
 * error, fatal whatever `aof-load-truncated` says; a command cut short by
 * the end of the file is a truncated tail.
 */
function replay(
  o: LoadOptions,
  client: Context,
  name: string,
  path: string,
  b: Uint8Array,
  pos: number,
): FileStatus {
  const server = o.server;
  const len = b.length;
  let validUpTo = pos;
  let validBeforeMulti = pos;
  let queue: [CommandEntry, Bytes[]][] | undefined;
  const lineEnd = (from: number) => {
    const nl = b.indexOf(0x0a, from);
    return nl === -1 ? len : nl;
  };
  const fmtErr = () =>
    fatal(
      server,
      `Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`,
    );
  const resolve = (argv: Bytes[]): CommandEntry => {
    const cmd = server.resolveCommand(argv);
    if (typeof cmd === "string") {
      throw fatal(server, `Unknown command '${argv[0]}' reading the append only file ${name}`);
    }
    return cmd;
  };
  let truncated = false;
  outer: while (pos < len) {
    if (b[pos] === 0x23) { // '#': an annotation
      pos = lineEnd(pos) + 1;
      continue;
    }
    if (b[pos] !== 0x2a) throw fmtErr();
    if (pos + 1 === len) {
      truncated = true;
      break;
    }
    let end = lineEnd(pos);
    const argc = atoi(b, pos + 1, end);
    if (argc < 1) throw fmtErr();
    pos = end + 1;
    const argv: Bytes[] = new Array(argc);
    for (let j = 0; j < argc; j++) {
      if (pos >= len) {
        truncated = true;
        break outer;
      }
      if (b[pos] !== 0x24) throw fmtErr();
      end = lineEnd(pos);
      const alen = atoi(b, pos + 1, end);
      pos = end + 1;
      if (pos + alen + 2 > len) {
        truncated = true;
        break outer;
      }
      argv[j] = bytesToString(b, pos, pos + alen);
      pos += alen + 2;
    }
    const lname = argv[0]!.toLowerCase();
    if (lname === "multi") {
      validBeforeMulti = validUpTo;
      queue = [];
    } else if (lname === "exec" && queue !== undefined) {
      const q = queue;
      queue = undefined;
      for (const [cmd, args] of q) server.runCommand(client, cmd, args);
    } else if (lname === "discard" && queue !== undefined) {
      queue = undefined;
    } else {
      const cmd = resolve(argv);
      if (queue !== undefined) queue.push([cmd, argv]);
      else server.runCommand(client, cmd, argv);
    }
    validUpTo = pos;
  }
  if (!truncated && queue !== undefined) {
    server.log("warning", `Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
    validUpTo = validBeforeMulti;
    truncated = true;
  }
  if (!truncated) return "ok";
  if (o.truncatedOk) {
    server.log("warning", `!!! Warning: short read while loading the AOF file ${name}!!!`);
    server.log("warning", `!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`);
    try {
      Deno.truncateSync(path, validUpTo);
    } catch (e) {
      throw fatal(
        server,
        `Error truncating the AOF file ${name}: ${(e as Error).message}`,
      );
    }
    server.log("warning", `AOF ${name} loaded anyway because aof-load-truncated is enabled`);
    return "truncated";
  }
  throw fatal(
    server,
    `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
  );
}

/** Saves command statistics to put them back after the replay. */
function snapshotStats(server: ServerApi): { restore(): void } {
  const total = server.stats.totalCommands;
  const saved: [CommandEntry, number, number, number][] = [];
  const walk = (e: CommandEntry) => {
    saved.push([e, e.calls, e.usec, e.failedCalls]);
    for (const s of e.subcommands?.values() ?? []) walk(s);
  };
  for (const e of server.commands.values()) walk(e);
  return {
    restore() {
      server.stats.totalCommands = total;
      for (const [e, calls, usec, failed] of saved) {
        e.calls = calls;
        e.usec = usec;
        e.failedCalls = failed;
      }
    },
  };
}
