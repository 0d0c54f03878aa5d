/**
 * RDB persistence: loading `dir`/`dbfilename` at start-up, SAVE, BGSAVE,
 * save points, saving at shutdown, LASTSAVE, DUMP/RESTORE, DEBUG RELOAD,
 * the INFO persistence fields, and the `rdb` service other plugins use
 * (see {@link RdbService}). Files are Redis 7.0's RDB version 10; the
 * loader reads what Redis 2.x to 7.2 wrote.
 *
 * The codec lives in the private files: byte helpers (`_buf.ts`), CRC-64
 * (`_crc64.ts`), LZF (`_lzf.ts`), listpack/ziplist/intset/zipmap
 * (`_packed.ts`), values (`_encode.ts`, `_decode.ts`, `_stream.ts`,
 * `_module.ts` for plugin types), whole files (`_file.ts`) and background
 * snapshots (`_snapshot.ts`); one server's state is `_persist.ts`, its
 * commands `_commands.ts`.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import type { Bytes, Context } from "../../core/types.ts";
import { Trait } from "../../core/types.ts";
import { ConfigError } from "../../core/config.ts";
import { ReplyError } from "../../core/errors.ts";
import type {} from "../../commands/server/mod.ts";
import type { RdbService } from "./_service.ts";
import { parseSavePoints, RdbPersistence } from "./_persist.ts";
import { rdbCommands, restore } from "./_commands.ts";
import { migrateCommands, MigrateLinks } from "./_migrate.ts";

export type {
  LoadOptions,
  LoadResult,
  RdbService,
  SerializeOptions,
  SnapshotJob,
} from "./_service.ts";

declare module "../../core/types.ts" {
  interface Services {
    /** The RDB serializer and loader (see `_service.ts`). */
    rdb: RdbService;
  }
}

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves, then loads the dump again. */
function debugReload(st: RdbPersistence) {
  return (c: Context, argv: Bytes[]): void => {
    let save = true;
    for (let i = 2; i < argv.length; i++) {
      const o = argv[i]!.toLowerCase();
      if (o === "nosave") save = false;
      else if (o !== "merge" && o !== "noflush") {
        throw new ReplyError(
          "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
        );
      }
    }
    let bytes: Uint8Array;
    try {
      if (save) st.save();
      bytes = Deno.readFileSync(st.path());
    } catch (e) {
      throw new ReplyError(`ERR Error trying to save the DB: ${(e as Error).message}`);
    }
    try {
      st.load(bytes, { keepExpired: false });
    } catch (e) {
      throw new ReplyError(`ERR Error trying to load the RDB dump: ${(e as Error).message}`);
    }
    c.server.log("notice", "DB reloaded by DEBUG RELOAD");
    c.reply.ok();
  };
}

const LOADING = "LOADING Redis is loading the dataset in memory";
const MISCONF = "MISCONF Redis is configured to save RDB snapshots, but it's currently " +
  "unable to persist to disk. Commands that may modify the data set are disabled, because " +
  "this instance is configured to report errors during writes if RDB snapshotting fails " +
  "(stop-writes-on-bgsave-error option). Please check the Redis logs for details about the " +
  "RDB error.";

/** The RDB plugin. */
export default definePlugin({
  name: "rdb",
  // DEBUG RELOAD goes through the server plugin's `debug` service.
  dependencies: ["server"],
  config: [
    {
      name: "save",
      type: "string",
      // Redis's built-in default is "3600 1 300 100 60 10000"; Respite
      // starts with none so an embedded server never writes files by itself.
      default: "",
      validate(v) {
        try {
          return parseSavePoints(v).map(([s, c]) => `${s} ${c}`).join(" ");
        } catch (e) {
          throw new ConfigError((e as Error).message);
        }
      },
      // One `save <seconds> <changes>` line per point, or `save ""`.
      rewrite: (v, name) =>
        parseSavePoints(v).map(([s, c]) => ({ line: `${name} ${s} ${c}`, force: true }))
          .concat(v === "" ? [{ line: `${name} ""`, force: true }] : []),
    },
    {
      name: "dbfilename",
      type: "string",
      default: "dump.rdb",
      protected: true,
      validate(v) {
        if (v.includes("/") || v.includes("\\")) {
          throw new ConfigError("dbfilename can't be a path, just a filename");
        }
        return v;
      },
    },
    { name: "rdbcompression", type: "bool", default: "yes" },
    { name: "rdbchecksum", type: "bool", default: "yes", mutable: false },
    { name: "stop-writes-on-bgsave-error", type: "bool", default: "yes" },
    {
      name: "sanitize-dump-payload",
      type: "enum",
      default: "no",
      values: ["no", "yes", "clients"],
    },
    { name: "rdb-del-sync-files", type: "bool", default: "no" },
    { name: "rdb-save-incremental-fsync", type: "bool", default: "yes" },
    // Redis's test-only knob: microseconds to sleep after each key saved
    // in the background (here: a pause between keys, the server answering).
    {
      name: "rdb-key-save-delay",
      type: "int",
      default: "0",
      min: -2147483648,
      max: 2147483647,
      hidden: true,
    },
    {
      // Respite's own: what a corrupt RDB at start-up does (Redis: fail).
      name: "rdb-load-corrupt",
      type: "enum",
      default: "fail",
      values: ["fail", "empty"],
      mutable: false,
      hidden: true,
    },
  ],
  init(server) {
    const st = new RdbPersistence(server);
    server.config.watch("save", (v) => {
      st.savePoints = parseSavePoints(v);
      server.rearm();
    });
    let stopWrites = true;
    server.config.watch("stop-writes-on-bgsave-error", (v) => {
      stopWrites = v === "yes";
      server.rearm();
    });
    server.provide("rdb", st);
    server.service("debug")?.register("reload", debugReload(st));
    const migrateLinks = new MigrateLinks();
    return {
      commands: [...rdbCommands(st), ...migrateCommands(server, st, migrateLinks, restore(st))],
      admission: {
        // Armed after a failed BGSAVE, when save points and
        // stop-writes-on-bgsave-error make it refuse writes.
        // Armed while a dataset loads in steps: only commands flagged
        // `loading` run (PING answers LOADING, as Sentinel expects); while
        // the old dataset is served, those flagged `no_async_loading` wait.
        loading: {
          armed: () => st.loading !== undefined,
          check(_c, cmd) {
            const l = st.loading;
            if (l === undefined) return undefined;
            if (l.serveOld) return cmd.flagSet.has("no_async_loading") ? LOADING : undefined;
            return cmd.flagSet.has("loading") ? undefined : LOADING;
          },
        },
        misconf: {
          armed: () =>
            !st.lastBgsaveOk && st.savePoints.length !== 0 && stopWrites &&
            !server.keyspace.isReplica,
          check(_c, cmd, _argv, traits) {
            // PING too, so that monitoring sees the failure.
            if ((traits & Trait.WRITE) === 0 && cmd.fullName !== "ping") return undefined;
            return MISCONF;
          },
        },
      },
      hooks: {
        load() {
          // With the AOF on, the AOF plugin loads (it has priority, as in Redis).
          const aof = server.config.directive("appendonly");
          if (aof !== undefined && server.config.get("appendonly") === "yes") return;
          return st.loadAtStartup();
        },
        beforeWrite(c, cmd, argv) {
          for (const j of st.jobs) j.beforeWrite(c, cmd, argv);
        },
        cron(now) {
          st.cron(now);
          migrateLinks.cron();
        },
        shutdown() {
          st.close();
          migrateLinks.closeAll();
        },
        prepareShutdown(opts) {
          st.killBgsave();
          // A dataset still loading is not saved over the file (Redis
          // shuts down without saving then).
          if (st.loading !== undefined) return;
          const save = opts.save ?? st.savePoints.length !== 0;
          if (!save) return;
          server.log("notice", "Saving the final RDB snapshot before exiting.");
          if (st.saveSync()) return;
          if (opts.force) {
            server.log("warning", "Error trying to save the DB. Exit anyway.");
            return;
          }
          server.log("warning", "Error trying to save the DB, can't exit.");
          throw new Error("Error trying to save the DB");
        },
        info(section) {
          if (section !== "persistence") return undefined;
          return st.info();
        },
      },
      // Snapshots in progress copy what a write would change (see #addJob).
      hooksArmed: { beforeWrite: () => st.jobs.size !== 0 },
    };
  },
});
