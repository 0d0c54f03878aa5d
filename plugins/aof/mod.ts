/**
 * AOF persistence in Redis 7's multi-part layout: under `dir`/`appenddirname`
 * a manifest (`appendonly.aof.manifest`) lists one base file (an RDB
 * preamble, `.base.rdb`, or commands, `.base.aof`) and incremental files
 * (`.incr.aof`) of propagated commands.
 *
 * - Start-up with `appendonly yes` loads the AOF instead of the RDB (as
 *   Redis does), or creates a base file for the empty dataset.
 * - Every propagated write (deterministic form, MULTI/EXEC from
 *   `atomically`) is appended; `appendfsync` decides when it is fsynced
 *   (see `_writer.ts`).
 * - BGREWRITEAOF, automatic rewrites and `CONFIG SET appendonly yes` start
 *   a point-in-time snapshot (the rdb plugin serializes it in slices, so
 *   the server keeps answering), open a new incremental file at that same
 *   instant, write the new base in the background, then swap the manifest
 *   and remove the history files. Without the rdb plugin, or with
 *   `aof-use-rdb-preamble no`, the base is commands (`aof_rewrite.ts`).
 *
 * @module
 */

import { join } from "../../core/path.ts";
import { commandFamily, definePlugin } from "../../core/registry.ts";
import { ConfigError, LONG_MAX } from "../../core/config.ts";
import type { ServerApi } from "../../core/types.ts";
import { Trait } from "../../core/types.ts";
import type { DataObject } from "../../core/keyspace.ts";
import { bytesToString, byteStringToUtf8, stringToBytes } from "../../core/resp/bytes.ts";
import {
  type AofFileInfo,
  baseName,
  cloneManifest,
  emptyManifest,
  formatManifest,
  incrName,
  type Manifest,
  ManifestError,
  manifestName,
  parseManifest,
  tempIncrName,
  tempManifestName,
} from "./_format.ts";
import { AofLoadError, loadAppendOnlyFiles } from "./_load.ts";
import { rdbCodec } from "./_rdb.ts";
import { datasetAsCommands } from "./_rewrite.ts";
import { AofWriter, type FsyncPolicy, writeAllSync } from "./_writer.ts";

/** A rewrite in the background. */
interface Rewrite {
  startedAt: number;
  cancelled: boolean;
  done: Promise<void>;
  /** Stops the snapshot's serialization. */
  cancel: (() => void) | undefined;
}

/** A base file being made: its bytes once serialized, and its format. */
interface Snapshot {
  rdb: boolean;
  /** The base's bytes; empty when they were streamed to a sink. */
  data: Promise<Uint8Array>;
  cancel?: () => void;
}

/** The temporary file a rewrite's base goes to. */
interface BaseOut {
  tmpName: string;
  file: Promise<Deno.FsFile>;
  /** Bytes written so far. */
  size: number;
}

/** The AOF subsystem's state. */
class Aof {
  /** `off`, `on`, or `wait`: turned on, waiting for its first rewrite. */
  #state: "off" | "on" | "wait" = "off";
  manifest: Manifest = emptyManifest();
  readonly writer: AofWriter;
  rewrite: Rewrite | undefined;
  scheduled = false;
  /** Redis's `aof_rewrite_base_size`: the size after the last rewrite. */
  baseSize = 0;
  lastRewriteSecs = -1;
  lastRewriteOk = true;
  rewrites = 0;
  failures = 0;
  #rewriteSeq = 0;
  /** True until start-up is over (config watchers ignore their first call). */
  starting = true;

  constructor(readonly server: ServerApi) {
    this.writer = new AofWriter(
      () => server.clock.now(),
      (level, msg) => server.log(level, msg),
    );
    this.writer.onStatusChange = () => server.rearm();
    this.writer.latency = () => server.service("latency");
  }

  /** Off, on, or waiting for the first rewrite; changes re-arm MISCONF's check. */
  get state(): "off" | "on" | "wait" {
    return this.#state;
  }

  set state(s: "off" | "on" | "wait") {
    if (s === this.#state) return;
    this.#state = s;
    this.server.rearm();
  }

  get filename(): string {
    return this.server.config.get("appendfilename");
  }

  get dir(): string {
    const cfg = this.server.config;
    return join(byteStringToUtf8(cfg.get("dir")), byteStringToUtf8(cfg.get("appenddirname")));
  }

  #path(name: string): string {
    return join(this.dir, byteStringToUtf8(name));
  }

  /** The manifest on disk, or an empty one when there is none. */
  readManifest(): Manifest {
    let text: string;
    try {
      const b = Deno.readFileSync(this.#path(manifestName(this.filename)));
      text = bytesToString(b, 0, b.length);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return emptyManifest();
      throw this.#fatal(
        `Fatal error: can't open the AOF manifest file ${
          manifestName(this.filename)
        } for reading: ${(e as Error).message}`,
      );
    }
    try {
      return parseManifest(text);
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      this.server.log("warning", "*** FATAL AOF MANIFEST FILE ERROR ***");
      if (e.line !== undefined) {
        this.server.log("warning", `Reading the manifest file, at line ${e.lineNo}`);
        this.server.log("warning", `>>> '${e.line}'`);
      }
      throw this.#fatal(e.message);
    }
  }

  #fatal(msg: string): AofLoadError {
    this.server.log("warning", msg);
    return new AofLoadError(msg);
  }

  /** Writes the manifest to a temporary file, fsyncs it, renames it. */
  persistManifest(m: Manifest): void {
    const tmp = this.#path(tempManifestName(this.filename));
    const f = Deno.openSync(tmp, { write: true, create: true, truncate: true });
    try {
      // Names are byte strings: the manifest holds their bytes.
      writeAllSync(f, stringToBytes(formatManifest(m)));
      f.syncSync();
    } finally {
      f.close();
    }
    Deno.renameSync(tmp, this.#path(manifestName(this.filename)));
    syncDir(this.dir);
  }

  /**
   * The dataset as a base file: RDB (through the rdb plugin) or commands.
   * `background` serializes a point-in-time snapshot in slices.
   */
  snapshot(background: boolean, sink?: (chunk: Uint8Array) => Promise<void>): Snapshot {
    const rdb = rdbCodec(this.server);
    if (rdb && this.server.config.bool("aof-use-rdb-preamble")) {
      if (background) {
        const job = rdb.snapshot({ aofBase: true, ...(sink ? { sink } : {}) });
        return { rdb: true, data: job.done, cancel: () => job.cancel() };
      }
      return { rdb: true, data: Promise.resolve(rdb.serialize({ aofBase: true })) };
    }
    const dump = rdb && ((v: DataObject) => rdb.dumpValue(v));
    return {
      rdb: false,
      data: Promise.resolve(
        stringToBytes(
          datasetAsCommands(
            this.server.keyspace,
            dump,
            this.server.service("functions")?.codes(),
            (m) => this.server.log("warning", m),
          ),
        ),
      ),
    };
  }

  /** Start-up: load the AOF (priority over the RDB), then open it. */
  load(): void {
    const server = this.server;
    this.writer.policy = server.config.get("appendfsync") as FsyncPolicy;
    if (!server.config.bool("appendonly")) return;
    // With AOF on Redis never loads the RDB: drop what it may have loaded.
    for (const db of server.keyspace.dbs) if (db.data.size !== 0) db.clear();
    let exists = false;
    try {
      exists = Deno.statSync(this.dir).isDirectory;
    } catch { /* no AOF directory yet */ }
    this.manifest = exists ? this.readManifest() : emptyManifest();
    const m = this.manifest;
    if (m.base || m.incr.length !== 0) {
      this.writer.currentSize = loadAppendOnlyFiles({
        server,
        dir: this.dir,
        manifest: m,
        truncatedOk: server.config.bool("aof-load-truncated"),
        rdb: rdbCodec(server),
      });
      this.baseSize = this.writer.currentSize;
    }
    this.#openOnStart();
    this.state = "on";
  }

  /** Redis's `aofOpenIfNeededOnServerStart`. */
  #openOnStart(): void {
    Deno.mkdirSync(this.dir, { recursive: true });
    const m = this.manifest;
    const created = m.incr.length === 0;
    if (!m.base && m.incr.length === 0) {
      // An empty dataset still gets a base file.
      const rdb = rdbCodec(this.server);
      const useRdb = rdb !== undefined && this.server.config.bool("aof-use-rdb-preamble");
      const data = useRdb ? rdb.serialize({ aofBase: true }) : stringToBytes(
        datasetAsCommands(
          this.server.keyspace,
          undefined,
          this.server.service("functions")?.codes(),
        ),
      );
      const name = baseName(this.filename, ++m.baseSeq, useRdb);
      const tmp = this.#path(`temp-rewriteaof-${Deno.pid}.aof`);
      writeFileSynced(tmp, data);
      Deno.renameSync(tmp, this.#path(name));
      m.base = { name, seq: m.baseSeq, type: "b" };
      this.server.log("notice", `Creating AOF base file ${name} on server start`);
    }
    if (created) {
      m.incr.push({ name: incrName(this.filename, ++m.incrSeq), seq: m.incrSeq, type: "i" });
    }
    const last = m.incr.at(-1)!;
    const file = Deno.openSync(this.#path(last.name), { append: true, create: true });
    this.persistManifest(m);
    this.writer.switchTo(file, file.statSync().size);
    this.writer.lastFsync = this.server.clock.now();
    this.server.log(
      "notice",
      `${created ? "Creating" : "Opening"} AOF incr file ${last.name} on server start`,
    );
  }

  /**
   * Starts a rewrite: a snapshot now, a new incremental file from now on,
   * the base written in the background. False when it could not start.
   */
  startRewrite(): boolean {
    const server = this.server;
    let snap: Snapshot | undefined;
    // Unique per rewrite: a cancelled one may still be writing its own.
    const tmpName = `temp-rewriteaof-bg-${Deno.pid}-${++this.#rewriteSeq}.aof`;
    let out: BaseOut | undefined;
    try {
      Deno.mkdirSync(this.dir, { recursive: true });
      // An RDB base streams into the file as it is serialized.
      const o: BaseOut = out = {
        tmpName,
        file: Deno.open(this.#path(tmpName), { write: true, create: true, truncate: true }),
        size: 0,
      };
      o.file.catch(() => {}); // reported by #finishRewrite
      snap = this.snapshot(true, async (chunk) => {
        const f = await o.file;
        for (let off = 0; off < chunk.length;) off += await f.write(chunk.subarray(off));
        o.size += chunk.length;
      });
      if (this.state === "on") {
        const m = cloneManifest(this.manifest);
        const name = incrName(this.filename, ++m.incrSeq);
        m.incr.push({ name, seq: m.incrSeq, type: "i" });
        this.writer.writeOut();
        const file = Deno.openSync(this.#path(name), { write: true, create: true, truncate: true });
        try {
          this.persistManifest(m);
        } catch (e) {
          file.close();
          throw e;
        }
        this.manifest = m;
        this.writer.switchTo(file, 0);
        server.log("notice", `Creating AOF incr file ${name} on background rewrite`);
      } else if (this.state === "wait") {
        const name = tempIncrName(this.filename);
        const file = Deno.openSync(this.#path(name), { write: true, create: true, truncate: true });
        this.writer.switchTo(file, 0);
        server.log("notice", `Creating AOF incr file ${name} on background rewrite`);
      }
    } catch (e) {
      server.log(
        "warning",
        `Can't rewrite append only file in background: ${(e as Error).message}`,
      );
      snap?.cancel?.();
      if (out !== undefined) this.#discard(out);
      this.lastRewriteOk = false;
      this.failures++;
      return false;
    }
    const rw: Rewrite = {
      startedAt: server.clock.now(),
      cancelled: false,
      done: Promise.resolve(),
      cancel: snap.cancel,
    };
    this.rewrite = rw;
    this.scheduled = false;
    server.log("notice", "Background append only file rewriting started");
    rw.done = this.#finishRewrite(rw, snap, out!);
    return true;
  }

  /** Closes and removes a base file that will not be used. */
  #discard(out: BaseOut): void {
    out.file.then((f) => {
      try {
        f.close();
      } catch { /* closed */ }
      return Deno.remove(this.#path(out.tmpName));
    }).catch(() => {});
  }

  /** Writes the base, then swaps it in (Redis's `backgroundRewriteDoneHandler`). */
  async #finishRewrite(rw: Rewrite, snap: Snapshot, out: BaseOut): Promise<void> {
    const server = this.server;
    const tmpName = out.tmpName;
    const tmp = this.#path(tmpName);
    try {
      const f = await out.file;
      try {
        // Empty when streamed; the whole base otherwise (commands).
        const data = await snap.data;
        let off = 0;
        while (off < data.length) off += await f.write(data.subarray(off));
        out.size += data.length;
        await f.syncData();
      } finally {
        f.close();
      }
      if (rw.cancelled) throw new Error("rewrite cancelled");
      server.log("notice", "Background AOF rewrite terminated with success");
      const m = cloneManifest(this.manifest);
      const name = baseName(this.filename, ++m.baseSeq, snap.rdb);
      if (m.base) m.history.unshift({ ...m.base, type: "h" });
      m.base = { name, seq: m.baseSeq, type: "b" };
      Deno.renameSync(tmp, this.#path(name));
      server.log(
        "notice",
        `Successfully renamed the temporary AOF base file ${tmpName} into ${name}`,
      );
      if (this.state === "wait") {
        const incr = incrName(this.filename, ++m.incrSeq);
        this.writer.writeOut();
        Deno.renameSync(this.#path(tempIncrName(this.filename)), this.#path(incr));
        m.incr.push({ name: incr, seq: m.incrSeq, type: "i" });
        server.log(
          "notice",
          `Successfully renamed the temporary AOF incr file ${
            tempIncrName(this.filename)
          } into ${incr}`,
        );
      }
      // Every incremental file but the one being written is in the base now.
      const keep = this.writer.open ? 1 : 0;
      const old: AofFileInfo[] = m.incr.splice(0, m.incr.length - keep);
      m.history.unshift(...old.map((f) => ({ ...f, type: "h" as const })));
      this.persistManifest(m);
      this.manifest = m;
      if (this.state === "wait") this.state = "on";
      this.writer.currentSize = out.size + this.writer.incrSize;
      this.baseSize = this.writer.currentSize;
      for (const h of m.history) {
        server.log("notice", `Removing the history file ${h.name} in the background`);
        try {
          Deno.removeSync(this.#path(h.name));
        } catch { /* already gone */ }
      }
      if (m.history.length !== 0) {
        m.history = [];
        this.persistManifest(m);
      }
      this.lastRewriteOk = true;
      this.failures = 0;
      this.rewrites++;
      this.lastRewriteSecs = Math.round((server.clock.now() - rw.startedAt) / 1000);
      server.log("notice", "Background AOF rewrite finished successfully");
    } catch (e) {
      this.#discard(out);
      if (!rw.cancelled) {
        this.lastRewriteOk = false;
        this.failures++;
        server.log("warning", `Background AOF rewrite failed: ${(e as Error).message}`);
        // Turning AOF on needs a rewrite: try again from the cron.
        if (this.state === "wait") this.scheduled = true;
      }
    } finally {
      if (this.rewrite === rw) this.rewrite = undefined;
    }
  }

  /** Stops the rewrite in progress; its files are removed. */
  cancelRewrite(): void {
    const rw = this.rewrite;
    if (!rw) return;
    rw.cancelled = true;
    rw.cancel?.();
    this.rewrite = undefined;
  }

  /** CONFIG SET appendonly yes: Redis's `startAppendOnly`. */
  start(): void {
    if (this.state !== "off") return;
    this.state = "wait";
    this.writer.lastFsync = this.server.clock.now();
    if (this.rewrite) {
      this.scheduled = true;
      this.server.log(
        "notice",
        "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.",
      );
      this.cancelRewrite();
    }
    if (!this.startRewrite()) {
      this.state = "off";
      this.server.log(
        "warning",
        "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
      );
    }
  }

  /** CONFIG SET appendonly no: Redis's `stopAppendOnly`. */
  stop(): void {
    if (this.state === "off") return;
    const wasWaiting = this.state === "wait";
    this.writer.close();
    this.state = "off";
    if (this.rewrite) {
      this.server.log("notice", "Killing running AOF rewrite child");
      this.cancelRewrite();
    }
    if (wasWaiting) {
      try {
        Deno.removeSync(this.#path(tempIncrName(this.filename)));
      } catch { /* not there */ }
    }
    this.scheduled = false;
  }

  /** Redis's automatic rewrite and scheduled rewrites, from the cron. */
  cron(now: number): void {
    if (this.state !== "off") this.writer.cron(now);
    if (this.rewrite) return;
    if (this.scheduled) {
      this.startRewrite();
      return;
    }
    if (this.state !== "on") return;
    const cfg = this.server.config;
    const perc = cfg.number("auto-aof-rewrite-percentage");
    const size = this.writer.currentSize;
    if (perc === 0 || size <= cfg.number("auto-aof-rewrite-min-size")) return;
    const base = this.baseSize || 1;
    const growth = Math.trunc((size * 100) / base) - 100;
    if (growth >= perc) {
      this.server.log("notice", `Starting automatic rewriting of AOF on ${growth}% growth`);
      this.startRewrite();
    }
  }

  info(): Record<string, string | number> {
    const now = this.server.clock.now();
    const out: Record<string, string | number> = {
      aof_enabled: this.state === "off" ? 0 : 1,
      aof_rewrite_in_progress: this.rewrite ? 1 : 0,
      aof_rewrite_scheduled: this.scheduled ? 1 : 0,
      aof_last_rewrite_time_sec: this.lastRewriteSecs,
      aof_current_rewrite_time_sec: this.rewrite
        ? Math.round((now - this.rewrite.startedAt) / 1000)
        : -1,
      aof_last_bgrewrite_status: this.lastRewriteOk ? "ok" : "err",
      aof_rewrites: this.rewrites,
      aof_rewrites_consecutive_failures: this.failures,
      aof_last_write_status: this.writer.lastWriteOk ? "ok" : "err",
      aof_last_cow_size: 0,
      module_fork_in_progress: 0,
      module_fork_last_cow_size: 0,
    };
    if (this.state !== "off") {
      Object.assign(out, {
        aof_current_size: this.writer.currentSize,
        aof_base_size: this.baseSize,
        aof_pending_rewrite: this.scheduled ? 1 : 0,
        aof_buffer_length: this.writer.buffered,
        aof_pending_bio_fsync: 0,
        aof_delayed_fsync: 0,
      });
    }
    return out;
  }
}

function writeFileSynced(path: string, data: Uint8Array): void {
  const f = Deno.openSync(path, { write: true, create: true, truncate: true });
  try {
    writeAllSync(f, data);
    f.syncSync();
  } finally {
    f.close();
  }
}

/** Fsyncs a directory so renames in it are durable (best effort). */
function syncDir(dir: string): void {
  try {
    const d = Deno.openSync(dir, { read: true });
    try {
      d.syncSync();
    } finally {
      d.close();
    }
  } catch { /* not supported here */ }
}

const command = commandFamily({ group: "server" });

/** The AOF plugin. */
/** Redis's check of `appendfilename` and `appenddirname`: a name, not a path. */
function onlyName(directive: string, what: string): (v: string) => string {
  return (v) => {
    if (v === "") throw new ConfigError(`${directive} can't be empty`);
    if (v.includes("/") || v.includes("\\")) {
      throw new ConfigError(`${directive} can't be a path, just a ${what}`);
    }
    return v;
  };
}

export default definePlugin({
  name: "aof",
  dependencies: ["rdb"],
  config: [
    { name: "appendonly", type: "bool", default: "no" },
    {
      name: "appendfsync",
      type: "enum",
      default: "everysec",
      values: ["everysec", "always", "no"],
    },
    {
      name: "appendfilename",
      type: "string",
      default: "appendonly.aof",
      mutable: false,
      validate: onlyName("appendfilename", "filename"),
    },
    {
      name: "appenddirname",
      type: "string",
      default: "appendonlydir",
      mutable: false,
      validate: onlyName("appenddirname", "dirname"),
    },
    { name: "auto-aof-rewrite-percentage", type: "int", default: "100", min: 0, max: 2147483647 },
    {
      name: "auto-aof-rewrite-min-size",
      type: "memory",
      default: "64mb",
      min: 0,
      max: LONG_MAX,
    },
    { name: "aof-load-truncated", type: "bool", default: "yes" },
    { name: "aof-use-rdb-preamble", type: "bool", default: "yes" },
  ],
  init(server) {
    const aof = new Aof(server);
    server.config.watch("appendonly", (v) => {
      if (aof.starting) return;
      if (v === "yes") {
        aof.start();
        // Redis's failed apply: CONFIG SET answers it and keeps `no`.
        if (aof.state === "off") throw new ConfigError("Unable to turn on AOF. Check server logs.");
      } else {
        aof.stop();
      }
    });
    server.config.watch("appendfsync", (v) => (aof.writer.policy = v as FsyncPolicy));
    /** A rewrite the shutdown stopped, settled once its files are gone. */
    let rewriteCancelled: Promise<void> | undefined;
    return {
      commands: [command({
        name: "bgrewriteaof",
        arity: 1,
        flags: ["admin", "noscript", "no_async_loading"],
        docs: {
          summary: "Asynchronously rewrite the append-only file",
          since: "1.0.0",
          complexity: "O(1)",
        },
        handler(c) {
          if (aof.rewrite) {
            c.reply.error("ERR Background append only file rewriting already in progress");
          } else if (aof.startRewrite()) {
            c.reply.simple("Background append only file rewriting started");
          } else {
            c.reply.error(
              "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
            );
          }
        },
      })],
      admission: {
        // Redis's writeCommandsDeniedByDiskError: while the AOF cannot be
        // written, writes (and PING, for monitoring) are refused rather than
        // acknowledged and lost.
        // Armed while the AOF is on and its last write or fsync failed.
        misconf: {
          armed: () => aof.state !== "off" && !aof.writer.lastWriteOk,
          check(_c, cmd, _argv, traits) {
            if ((traits & Trait.WRITE) === 0 && cmd.fullName !== "ping") return undefined;
            return `MISCONF Errors writing to the AOF file: ${aof.writer.lastWriteError}`;
          },
        },
      },
      hooks: {
        load() {
          try {
            aof.load();
          } finally {
            aof.starting = false;
          }
        },
        propagate(dbIndex, argv) {
          if (aof.state !== "off") aof.writer.append(dbIndex, argv);
        },
        beforeFlush() {
          if (aof.state !== "off") return aof.writer.beforeFlush();
        },
        cron(now) {
          aof.cron(now);
        },
        prepareShutdown(opts) {
          if (aof.rewrite) {
            // Turned on, its first rewrite still running: the AOF holds
            // nothing yet (Redis's AOF_WAIT_REWRITE).
            if (aof.state === "wait") {
              if (!opts.force) {
                server.log("warning", "Writing initial AOF, can't exit.");
                throw new Error("Writing initial AOF");
              }
              server.log("warning", "Writing initial AOF. Exit anyway.");
            }
            server.log("warning", "There is a child rewriting the AOF. Killing it!");
            // Its files are cleaned up at commit; the AOF itself stays
            // complete without it, so a refused shutdown loses nothing.
            rewriteCancelled = aof.rewrite.done;
            aof.cancelRewrite();
          }
          if (aof.state === "off") return;
          // Synced, not closed: a refused shutdown goes on appending.
          server.log("notice", "Calling fsync() on the AOF file.");
          if (aof.writer.syncNow() === undefined) return;
          if (opts.force) {
            server.log("warning", "Error trying to write the AOF file. Exit anyway.");
            return;
          }
          server.log("warning", "Error trying to write the AOF file, can't exit.");
          throw new Error("Error trying to write the AOF file");
        },
        async shutdown() {
          await rewriteCancelled;
          if (aof.state !== "off") aof.writer.close();
        },
        info(section) {
          return section === "persistence" ? aof.info() : undefined;
        },
      },
      // The state's setter rearms.
      hooksArmed: {
        propagate: () => aof.state !== "off",
        beforeFlush: () => aof.state !== "off",
      },
    };
  },
});
