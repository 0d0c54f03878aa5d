/**
 * MEMORY USAGE | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP, from the
 * eviction plugin's accounting and what V8 reports of its heap.
 *
 * USAGE answers the estimate `maxmemory` counts for the key (see
 * `_size.ts`), with Redis's SAMPLES option. STATS has Redis 7.0's fields
 * in its order: `total.allocated` is INFO's `used_memory` (the dataset
 * and the normal clients' buffers, what `maxmemory` counts) plus what
 * other plugins report holding in INFO memory (the replication backlog,
 * replicas' buffers, the AOF buffer, script and function caches), and the
 * `allocator.*` fields are V8's heap (used and committed, external memory
 * included: `Deno.memoryUsage`, as `node:v8` would build Deno's Node
 * compatibility layer on the first INFO, some 4 MB of RSS). DOCTOR runs
 * Redis's checks on these figures, with the process's RSS counted from
 * what it was at start-up: the runtime's own footprint is no fragmentation.
 * MALLOC-STATS is V8's heap statistics, as Redis shows its allocator's;
 * PURGE runs a full garbage collection, which returns the heap's garbage
 * to the system (see `_reclaim.ts`).
 *
 * @module
 */

import { nodeBuiltin } from "../../core/node_builtin.ts";
import type { Bytes, CommandSpec, Context, ServerApi } from "../../core/types.ts";
import { type Database, storedValue, type Value } from "../../core/keyspace.ts";
import { Err, ReplyError } from "../../core/errors.ts";
import { parseBigInteger } from "../../core/number.ts";
import { commandFamily, keys } from "../../core/registry.ts";
import { helpSubcommand } from "../../core/help.ts";
import { DEFAULT_SAMPLES, MAP_ENTRY_NUMBER } from "./_size.ts";

/** What INFO memory reports of the eviction plugin's accounting. */
export interface MemoryFigures {
  /** `used_memory`: the dataset plus the normal clients' buffers. */
  used: number;
  /** `used_memory_peak`. */
  peak: number;
  /** `used_memory_dataset`. */
  dataset: number;
  /** `mem_clients_normal`. */
  clients: number;
}

/** What the MEMORY command needs from the eviction plugin. */
export interface MemoryHost {
  readonly server: ServerApi;
  /** The current figures (updating the peak). */
  figures(): MemoryFigures;
  /** The estimate `maxmemory` counts for a key, from `samples` elements (0: all). */
  keyUsage(db: Database, key: Bytes, v: Value, samples: number): number;
  /** Bytes of a database's table entries (its key table, access and accounting entries). */
  tableOverhead(db: Database): number;
  /** The process's RSS when the server started. */
  readonly startRss: number;
  /** MEMORY PURGE: a full garbage collection (see `_reclaim.ts`). */
  purge(): void;
}

const command = commandFamily({ group: "server" });

const HELP = [
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
];

/** MEMORY USAGE: options first (Redis parses them before the lookup). */
function usage(host: MemoryHost, c: Context, argv: Bytes[]): void {
  let samples = DEFAULT_SAMPLES;
  for (let j = 3; j < argv.length; j++) {
    if (argv[j]!.toLowerCase() === "samples" && j + 1 < argv.length) {
      const n = parseBigInteger(argv[++j]!);
      if (n === undefined || n < -(2n ** 63n) || n >= 2n ** 63n) {
        throw new ReplyError(Err.notInteger);
      }
      if (n < 0n) throw new ReplyError(Err.syntax);
      samples = n > 1_000_000_000n ? 0 : Number(n);
    } else {
      throw new ReplyError(Err.syntax);
    }
  }
  // Redis looks in the key table itself: no expiry, no access, no stats.
  const key = argv[2]!;
  const v = c.db.data.get(key);
  if (v === undefined) c.reply.nullBulk();
  else c.reply.integer(host.keyUsage(c.db, key, storedValue(v), samples));
}

/** A figure another plugin reports in INFO memory (0 when absent). */
function reported(info: Record<string, string | number>, name: string): number {
  const n = Number(info[name] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** V8's heap as an allocator's figures (V8 commits what it reserves: active is resident). */
function heap(): { allocated: number; active: number; resident: number } {
  const h = Deno.memoryUsage();
  return {
    allocated: h.heapUsed + h.external,
    active: h.heapTotal + h.external,
    resident: h.heapTotal + h.external,
  };
}

/** Redis's `redisMemOverhead`, from Respite's accounting. */
interface Overhead {
  peak: number;
  total: number;
  startup: number;
  backlog: number;
  replicas: number;
  clients: number;
  aof: number;
  lua: number;
  functions: number;
  dbs: { index: number; main: number; expires: number }[];
  overhead: number;
  keys: number;
  dataset: number;
  /** `number_of_cached_scripts`. */
  scripts: number;
}

function overheadData(host: MemoryHost): Overhead {
  const f = host.figures();
  const info = host.server.pluginInfo("memory");
  const backlog = reported(info, "mem_replication_backlog");
  const replicas = reported(info, "mem_clients_slaves");
  const aof = reported(info, "mem_aof_buffer");
  const lua = reported(info, "used_memory_scripts_eval");
  const functions = reported(info, "used_memory_functions");
  const dbs = [];
  let keys = 0, tables = 0;
  for (const db of host.server.keyspace.dbs) {
    if (db.size === 0) continue;
    keys += db.size;
    const main = host.tableOverhead(db), expires = db.expires.size * MAP_ENTRY_NUMBER;
    tables += main + expires;
    dbs.push({ index: db.index, main, expires });
  }
  const outside = backlog + replicas + aof + lua + functions;
  const total = f.used + outside;
  const overhead = Math.min(total, f.clients + tables + outside);
  return {
    peak: Math.max(f.peak, total),
    total,
    startup: 0,
    backlog,
    replicas,
    clients: f.clients,
    aof,
    lua,
    functions,
    dbs,
    overhead,
    keys,
    dataset: total - overhead,
    scripts: reported(info, "number_of_cached_scripts"),
  };
}

/** MEMORY STATS: Redis 7.0's 27 fields (and one map per non-empty database). */
function stats(host: MemoryHost, c: Context): void {
  const m = overheadData(host);
  const h = heap();
  const rss = Deno.memoryUsage().rss;
  const net = m.total > m.startup ? m.total - m.startup : 1;
  const r = c.reply;
  // Redis computes the ratios in single precision.
  const ratio = (a: number, b: number) => r.double(Math.fround(a / Math.max(1, b)));
  const field = (name: string, n: number) => {
    r.bulk(name);
    r.integer(n);
  };
  r.map(27 + m.dbs.length);
  field("peak.allocated", m.peak);
  field("total.allocated", m.total);
  field("startup.allocated", m.startup);
  field("replication.backlog", m.backlog);
  field("clients.slaves", m.replicas);
  field("clients.normal", m.clients);
  field("cluster.links", 0);
  field("aof.buffer", m.aof);
  field("lua.caches", m.lua);
  field("functions.caches", m.functions);
  for (const db of m.dbs) {
    r.bulk(`db.${db.index}`);
    r.map(3);
    field("overhead.hashtable.main", db.main);
    field("overhead.hashtable.expires", db.expires);
    field("overhead.hashtable.slot-to-keys", 0);
  }
  field("overhead.total", m.overhead);
  field("keys.count", m.keys);
  field("keys.bytes-per-key", m.keys === 0 ? 0 : Math.floor(net / m.keys));
  field("dataset.bytes", m.dataset);
  r.bulk("dataset.percentage");
  ratio(m.dataset * 100, net);
  r.bulk("peak.percentage");
  ratio(m.total * 100, m.peak);
  field("allocator.allocated", h.allocated);
  field("allocator.active", h.active);
  field("allocator.resident", h.resident);
  r.bulk("allocator-fragmentation.ratio");
  ratio(h.active, h.allocated);
  field("allocator-fragmentation.bytes", h.active - h.allocated);
  r.bulk("allocator-rss.ratio");
  ratio(h.resident, h.active);
  field("allocator-rss.bytes", h.resident - h.active);
  r.bulk("rss-overhead.ratio");
  ratio(rss, h.resident);
  field("rss-overhead.bytes", rss - h.resident);
  r.bulk("fragmentation");
  ratio(rss, m.total);
  field("fragmentation.bytes", rss - m.total);
}

const MB = 1024 * 1024;

const DOCTOR_EMPTY =
  "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_FINE =
  "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
const DOCTOR_HEAD = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";
const DOCTOR_TAIL = "I'm here to keep you safe, Sam. I want to help you.\n";

/** Redis's reports, in its order. */
const REPORTS = {
  bigPeak:
    " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.",
  highFrag:
    ' * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is "v8".',
  highAllocFrag:
    " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.",
  highAllocRss:
    " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.",
  highProcRss:
    " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.",
  bigReplicaBuf:
    " * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica (on average). This likely means that there is some replica instance that is struggling receiving data, either because it is too slow or because of networking issues. As a result, data piles on the master output buffers. Please try to identify what replica is not receiving data correctly and why. You can use the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output buffers of each replica.",
  bigClientBuf:
    " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.",
  manyScripts:
    " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.",
};

/**
 * Redis's `getMemoryDoctorReport`: an empty instance (under 5 MB) is not
 * examined; otherwise each check that fires adds its report.
 */
export function doctorReport(host: MemoryHost): string {
  const m = overheadData(host);
  if (m.total < 5 * MB) return DOCTOR_EMPTY;
  const h = heap();
  // The runtime's own resident memory at start-up is not the data's.
  const rss = Math.max(0, Deno.memoryUsage().rss - host.startRss);
  let replicas = 0, normal = 0;
  for (const cl of host.server.clients.values()) {
    if (cl.kind === "replica") replicas++;
    else normal++;
  }
  const over = (ratio: number, bytes: number, limit: number) => ratio > limit && bytes > 10 * MB;
  const fired: string[] = [];
  if (m.peak / m.total > 1.5) fired.push(REPORTS.bigPeak);
  if (over(rss / m.total, rss - m.total, 1.4)) fired.push(REPORTS.highFrag);
  if (over(h.active / h.allocated, h.active - h.allocated, 1.1)) fired.push(REPORTS.highAllocFrag);
  if (over(h.resident / h.active, h.resident - h.active, 1.1)) fired.push(REPORTS.highAllocRss);
  if (over(rss / h.resident, rss - h.resident, 1.1)) fired.push(REPORTS.highProcRss);
  if (replicas > 0 && m.replicas / replicas > 10 * MB) fired.push(REPORTS.bigReplicaBuf);
  if (normal > 0 && m.clients / normal > 200 * 1024) fired.push(REPORTS.bigClientBuf);
  if (m.scripts > 1000) fired.push(REPORTS.manyScripts);
  if (fired.length === 0) return DOCTOR_FINE;
  return DOCTOR_HEAD + fired.map((s) => s + "\n\n").join("") + DOCTOR_TAIL;
}

/** MALLOC-STATS: V8's heap statistics, framed as Redis frames jemalloc's. */
function mallocStats(): string {
  const v8 = nodeBuiltin<typeof import("node:v8")>("node:v8");
  const lines = ["___ Begin V8 heap statistics ___"];
  for (const [k, v] of Object.entries(v8.getHeapStatistics())) lines.push(`${k}: ${v}`);
  lines.push("Spaces:");
  for (const s of v8.getHeapSpaceStatistics()) {
    lines.push(
      `  ${s.space_name}: size ${s.space_size}, used ${s.space_used_size}, ` +
        `available ${s.space_available_size}, physical ${s.physical_space_size}`,
    );
  }
  lines.push("--- End V8 heap statistics ---");
  return lines.join("\n") + "\n";
}

/**
 * The MEMORY container command and its subcommands, in the order Redis
 * 7.0 lists them.
 */
export function memoryCommand(host: MemoryHost): CommandSpec {
  return command({
    name: "memory",
    arity: -2,
    flags: [],
    docs: {
      summary: "A container for memory diagnostics commands",
      since: "4.0.0",
      complexity: "Depends on subcommand.",
    },
    subcommands: [
      command({
        name: "purge",
        arity: 2,
        flags: [],
        tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
        docs: {
          summary: "Ask the allocator to release memory",
          since: "4.0.0",
          complexity: "Depends on how much memory is allocated, could be slow",
        },
        handler: (c) => {
          host.purge();
          c.reply.ok();
        },
      }),
      command({
        name: "malloc-stats",
        arity: 2,
        flags: [],
        tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        docs: {
          summary: "Show allocator internal stats",
          since: "4.0.0",
          complexity: "Depends on how much memory is allocated, could be slow",
        },
        handler: (c) => c.reply.verbatim(mallocStats()),
      }),
      command({
        name: "stats",
        arity: 2,
        flags: [],
        tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        docs: {
          summary: "Show memory usage details",
          since: "4.0.0",
          complexity: "O(1)",
        },
        handler: (c) => stats(host, c),
      }),
      command({
        name: "doctor",
        arity: 2,
        flags: [],
        tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        docs: {
          summary: "Outputs memory problems report",
          since: "4.0.0",
          complexity: "O(1)",
        },
        handler: (c) => c.reply.verbatim(doctorReport(host)),
      }),
      command(helpSubcommand(HELP, "4.0.0")),
      command({
        name: "usage",
        arity: -3,
        flags: ["readonly"],
        keySpecs: [keys.one(2, ["RO"])],
        docs: {
          summary: "Estimate the memory usage of a key",
          since: "4.0.0",
          complexity: "O(N) where N is the number of samples.",
          arguments: [
            { name: "key", type: "key", keySpecIndex: 0 },
            { name: "count", type: "integer", token: "SAMPLES", flags: ["optional"] },
          ],
        },
        handler: (c, argv) => usage(host, c, argv),
      }),
    ],
  });
}
