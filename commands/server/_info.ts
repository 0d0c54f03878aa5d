/**
 * INFO: Redis 7.0's sections, field names and formats. The fields that
 * subsystems own (persistence, replication, blocked clients...) come from
 * the plugins' `info` hooks and override the defaults given here, so INFO
 * is complete even when no such plugin is loaded.
 *
 * @module
 */

import { nodeBuiltin } from "../../core/node_builtin.ts";
import type { ServerApi } from "../../core/types.ts";
import { RESPITE_VERSION } from "../../core/version.ts";
import { bytesToHuman } from "../../core/number.ts";
import { utf8ToByteString } from "../../core/resp/bytes.ts";
import { randomHex } from "../../core/random.ts";

/**
 * The process's CPU time in microseconds. Deno's own `Deno.cpuUsage` (what
 * `process.cpuUsage` calls, not in Deno's published types) where it exists:
 * `node:process` would build the Node compatibility layer, some 7 MB of
 * RSS, on the first INFO (ioredis sends one per connection).
 */
function cpuUsage(): { user: number; system: number } {
  const own = (Deno as { cpuUsage?: () => { user: number; system: number } }).cpuUsage;
  if (typeof own === "function") return own();
  return nodeBuiltin<typeof import("node:process")>("node:process").cpuUsage();
}

type Fields = Record<string, string | number>;

/** Every section, in Redis's output order. */
const SECTIONS = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "commandstats",
  "errorstats",
  "latencystats",
  "cluster",
  "keyspace",
] as const;
type Section = typeof SECTIONS[number];

/** What plain INFO (or `default`) shows: all but the per-command sections. */
const DEFAULT: ReadonlySet<Section> = new Set(
  SECTIONS.filter((s) => s !== "commandstats" && s !== "latencystats"),
);

const TITLES: Record<Section, string> = {
  server: "Server",
  clients: "Clients",
  memory: "Memory",
  persistence: "Persistence",
  stats: "Stats",
  replication: "Replication",
  cpu: "CPU",
  modules: "Modules",
  commandstats: "Commandstats",
  errorstats: "Errorstats",
  latencystats: "Latencystats",
  cluster: "Cluster",
  keyspace: "Keyspace",
};

function granted(desc: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(desc).state === "granted";
  } catch {
    return false;
  }
}

function osName(): string {
  const os = Deno.build.os;
  const sys = os === "linux"
    ? "Linux"
    : os === "darwin"
    ? "Darwin"
    : os === "windows"
    ? "Windows_NT"
    : os;
  // osRelease needs --allow-sys; asking without it could prompt or throw.
  const release = granted({ name: "sys", kind: "osRelease" }) ? ` ${Deno.osRelease()}` : "";
  return `${sys}${release} ${Deno.build.arch}`;
}

function heapBytes(): { used: number; rss: number } {
  const m = Deno.memoryUsage();
  return { used: m.heapUsed + m.external, rss: m.rss };
}

/** Redis's instantaneous metrics: 16 samples of a rate, averaged. */
class RateMeter {
  #samples: number[] = [];
  #last = -1;
  #lastAt = 0;

  sample(value: number, at: number): void {
    if (this.#last >= 0 && at > this.#lastAt) {
      this.#samples.push(((value - this.#last) * 1000) / (at - this.#lastAt));
      if (this.#samples.length > 16) this.#samples.shift();
    }
    this.#last = value;
    this.#lastAt = at;
  }

  get rate(): number {
    if (this.#samples.length === 0) return 0;
    let sum = 0;
    for (const s of this.#samples) sum += s;
    return sum / this.#samples.length;
  }

  reset(): void {
    this.#samples = [];
    this.#last = -1;
  }
}

/** INFO's state for one server. */
export interface Info {
  /** Samples instantaneous metrics and the memory peak (call from cron). */
  cron(): void;
  /** CONFIG RESETSTAT. */
  reset(): void;
  /** The text of the given sections (`[]` = default), as INFO replies it. */
  render(sections: readonly string[]): string;
}

/** Creates INFO for a server. */
export function createInfo(server: ServerApi): Info {
  const ops = new RateMeter(), netIn = new RateMeter(), netOut = new RateMeter();
  let lastSample = 0;
  const startupMemory = heapBytes().used;
  let peak = startupMemory;
  const replid = randomHex(40);

  const server_ = (): Fields => {
    const now = server.clock.now();
    const os = Deno.build.os;
    return {
      redis_version: server.version,
      redis_git_sha1: "00000000",
      redis_git_dirty: 0,
      redis_build_id: "0",
      redis_mode: "standalone",
      os: osName(),
      arch_bits: 64,
      monotonic_clock: "POSIX clock_gettime",
      multiplexing_api: os === "linux" ? "epoll" : os === "windows" ? "iocp" : "kqueue",
      atomicvar_api: "c11-builtin",
      gcc_version: "0.0.0",
      process_id: server.pid,
      process_supervised: "no",
      run_id: server.runId,
      tcp_port: server.port,
      server_time_usec: now * 1000,
      uptime_in_seconds: Math.floor((now - server.startedAt) / 1000),
      uptime_in_days: Math.floor((now - server.startedAt) / 86400000),
      hz: server.config.get("hz"),
      configured_hz: server.config.get("hz"),
      lru_clock: Math.floor(now / 1000) & 0xffffff,
      executable: granted({ name: "read" }) ? Deno.execPath() : "",
      config_file: utf8ToByteString(server.config.file ?? ""),
      io_threads_active: 0,
      respite_version: RESPITE_VERSION,
    };
  };

  const clients = (): Fields => {
    let n = 0;
    for (const c of server.clients.values()) if (c.kind !== "replica") n++;
    return {
      connected_clients: n,
      cluster_connections: 0,
      maxclients: server.config.get("maxclients"),
      client_recent_max_input_buffer: 0,
      client_recent_max_output_buffer: 0,
      blocked_clients: server.blockedClients,
      tracking_clients: 0,
      clients_in_timeout_table: server.blockedClients,
    };
  };

  const memory = (): Fields => {
    const { used, rss } = heapBytes();
    if (used > peak) peak = used;
    const maxmemory = server.config.number("maxmemory");
    const out: Fields = {
      used_memory: used,
      used_memory_human: bytesToHuman(used),
      used_memory_rss: rss,
      used_memory_rss_human: bytesToHuman(rss),
      used_memory_peak: peak,
      used_memory_peak_human: bytesToHuman(peak),
      used_memory_peak_perc: `${(used * 100 / peak).toFixed(2)}%`,
      used_memory_startup: startupMemory,
      used_memory_dataset: Math.max(0, used - startupMemory),
    };
    if (granted({ name: "sys", kind: "systemMemoryInfo" })) {
      const total = Deno.systemMemoryInfo().total;
      out.total_system_memory = total;
      out.total_system_memory_human = bytesToHuman(total);
    }
    Object.assign(out, {
      maxmemory,
      maxmemory_human: bytesToHuman(maxmemory),
      maxmemory_policy: server.config.get("maxmemory-policy"),
      mem_fragmentation_ratio: (rss / Math.max(1, used)).toFixed(2),
      mem_fragmentation_bytes: rss - used,
      mem_not_counted_for_evict: 0,
      mem_replication_backlog: 0,
      mem_clients_slaves: 0,
      mem_clients_normal: 0,
      mem_aof_buffer: 0,
      // V8's heap, not a malloc: the closest honest answer.
      mem_allocator: "v8",
      active_defrag_running: 0,
      lazyfree_pending_objects: 0,
      lazyfreed_objects: 0,
    });
    return out;
  };

  const persistence = (): Fields => ({
    loading: 0,
    async_loading: 0,
    current_cow_peak: 0,
    current_cow_size: 0,
    current_cow_size_age: 0,
    current_fork_perc: "0.00",
    current_save_keys_processed: 0,
    current_save_keys_total: 0,
    rdb_changes_since_last_save: server.dirty,
    rdb_bgsave_in_progress: 0,
    rdb_last_save_time: Math.floor(server.startedAt / 1000),
    rdb_last_bgsave_status: "ok",
    rdb_last_bgsave_time_sec: -1,
    rdb_current_bgsave_time_sec: -1,
    rdb_saves: 0,
    rdb_last_cow_size: 0,
    rdb_last_load_keys_expired: 0,
    rdb_last_load_keys_loaded: 0,
    aof_enabled: 0,
    aof_rewrite_in_progress: 0,
    aof_rewrite_scheduled: 0,
    aof_last_rewrite_time_sec: -1,
    aof_current_rewrite_time_sec: -1,
    aof_last_bgrewrite_status: "ok",
    aof_rewrites: 0,
    aof_rewrites_consecutive_failures: 0,
    aof_last_write_status: "ok",
    aof_last_cow_size: 0,
    module_fork_in_progress: 0,
    module_fork_last_cow_size: 0,
  });

  const stats = (): Fields => {
    const s = server.stats;
    return {
      total_connections_received: s.totalConnections,
      total_commands_processed: s.totalCommands,
      instantaneous_ops_per_sec: Math.round(ops.rate),
      total_net_input_bytes: s.netInputBytes,
      total_net_output_bytes: s.netOutputBytes,
      total_net_repl_input_bytes: 0,
      total_net_repl_output_bytes: 0,
      instantaneous_input_kbps: (netIn.rate / 1024).toFixed(2),
      instantaneous_output_kbps: (netOut.rate / 1024).toFixed(2),
      instantaneous_input_repl_kbps: "0.00",
      instantaneous_output_repl_kbps: "0.00",
      rejected_connections: s.rejectedConnections,
      sync_full: 0,
      sync_partial_ok: 0,
      sync_partial_err: 0,
      expired_keys: s.expiredKeys,
      expired_stale_perc: "0.00",
      expired_time_cap_reached_count: 0,
      expire_cycle_cpu_milliseconds: 0,
      evicted_keys: 0,
      evicted_clients: 0,
      total_eviction_exceeded_time: 0,
      current_eviction_exceeded_time: 0,
      keyspace_hits: s.keyspaceHits,
      keyspace_misses: s.keyspaceMisses,
      pubsub_channels: 0,
      pubsub_patterns: 0,
      pubsubshard_channels: 0,
      latest_fork_usec: 0,
      total_forks: 0,
      migrate_cached_sockets: 0,
      slave_expires_tracked_keys: 0,
      active_defrag_hits: 0,
      active_defrag_misses: 0,
      active_defrag_key_hits: 0,
      active_defrag_key_misses: 0,
      total_active_defrag_time: 0,
      current_active_defrag_time: 0,
      tracking_total_keys: 0,
      tracking_total_items: 0,
      tracking_total_prefixes: 0,
      unexpected_error_replies: 0,
      total_error_replies: s.errorReplies,
      dump_payload_sanitizations: 0,
      io_threaded_reads_processed: 0,
      io_threaded_writes_processed: 0,
    };
  };

  const replication = (): Fields => ({
    role: "master",
    connected_slaves: 0,
    master_failover_state: "no-failover",
    master_replid: replid,
    master_replid2: "0000000000000000000000000000000000000000",
    master_repl_offset: 0,
    second_repl_offset: -1,
    repl_backlog_active: 0,
    repl_backlog_size: server.config.directive("repl-backlog-size")
      ? server.config.get("repl-backlog-size")
      : 1048576,
    repl_backlog_first_byte_offset: 0,
    repl_backlog_histlen: 0,
  });

  const cpu = (): Fields => {
    const u = cpuUsage();
    const sys = (u.system / 1e6).toFixed(6), user = (u.user / 1e6).toFixed(6);
    return {
      used_cpu_sys: sys,
      used_cpu_user: user,
      used_cpu_sys_children: "0.000000",
      used_cpu_user_children: "0.000000",
      used_cpu_sys_main_thread: sys,
      used_cpu_user_main_thread: user,
    };
  };

  const commandstats = (): Fields => {
    const out: Fields = {};
    const add = (e: ServerApi["commands"] extends ReadonlyMap<string, infer E> ? E : never) => {
      if (e.calls === 0 && e.failedCalls === 0 && e.rejectedCalls === 0) return;
      const usec = Math.round(e.usec);
      const per = e.calls === 0 ? 0 : usec / e.calls;
      out[`cmdstat_${e.fullName}`] = `calls=${e.calls},usec=${usec},usec_per_call=${
        per.toFixed(2)
      },rejected_calls=${e.rejectedCalls},failed_calls=${e.failedCalls}`;
    };
    for (const e of server.commands.values()) {
      add(e);
      if (e.subcommands) { for (const s of e.subcommands.values()) add(s); }
    }
    return out;
  };

  const errorstats = (): Fields => {
    const out: Fields = {};
    const codes = [...server.stats.errorCodes].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    for (const [code, n] of codes) out[`errorstat_${code}`] = `count=${n}`;
    return out;
  };

  const keyspace = (): Fields => {
    const out: Fields = {};
    const now = server.clock.now();
    for (const db of server.keyspace.dbs) {
      if (db.size === 0) continue;
      // Redis's avg_ttl is an estimate from expiry sampling; this averages
      // the first few hundred TTLs, which is as good and bounded in cost.
      let sum = 0, n = 0;
      for (const at of db.expires.values()) {
        if (at > now) {
          sum += at - now;
          n++;
        }
        if (n >= 256) break;
      }
      out[`db${db.index}`] = `keys=${db.size},expires=${db.expires.size},avg_ttl=${
        n === 0 ? 0 : Math.floor(sum / n)
      }`;
    }
    return out;
  };

  const builders: Record<Section, () => Fields> = {
    server: server_,
    clients,
    memory,
    persistence,
    stats,
    replication,
    cpu,
    modules: () => ({}),
    commandstats,
    errorstats,
    latencystats: () => ({}),
    cluster: () => ({ cluster_enabled: 0 }),
    keyspace,
  };

  const section = (name: string, defaults: Fields): string => {
    const extra = server.pluginInfo(name);
    const first = Object.keys(defaults)[0];
    // A plugin that supplies the section's leading field (replication's
    // role) owns the order; otherwise its fields update the defaults in place.
    const fields = first !== undefined && first in extra
      ? { ...extra, ...Object.fromEntries(Object.entries(defaults).filter(([k]) => !(k in extra))) }
      : { ...defaults, ...extra };
    let s = "";
    for (const k in fields) s += `${k}:${fields[k]}\r\n`;
    return s;
  };

  const render = (requested: readonly string[]): string => {
    const want = new Set<string>();
    let extras: string[] = [];
    if (requested.length === 0) { for (const s of DEFAULT) want.add(s); }
    for (const raw of requested) {
      const r = raw.toLowerCase();
      if (r === "default") { for (const s of DEFAULT) want.add(s); }
      else if (r === "all" || r === "everything") { for (const s of SECTIONS) want.add(s); }
      else if (r === "module_list") want.add("modules");
      else if ((SECTIONS as readonly string[]).includes(r)) want.add(r);
      else extras.push(r);
    }
    extras = [...new Set(extras)];
    const parts: string[] = [];
    for (const s of SECTIONS) {
      if (want.has(s)) parts.push(`# ${TITLES[s]}\r\n${section(s, builders[s]())}`);
    }
    // Sections only a plugin knows (INFO <name>) show when it has fields.
    for (const name of extras) {
      const body = section(name, {});
      if (body !== "") parts.push(`# ${name[0]!.toUpperCase()}${name.slice(1)}\r\n${body}`);
    }
    return parts.join("\r\n");
  };

  return {
    render,
    cron() {
      const t = performance.now();
      if (t - lastSample < 100) return;
      lastSample = t;
      const s = server.stats;
      ops.sample(s.totalCommands, t);
      netIn.sample(s.netInputBytes, t);
      netOut.sample(s.netOutputBytes, t);
      const used = heapBytes().used;
      if (used > peak) peak = used;
    },
    reset() {
      ops.reset();
      netIn.reset();
      netOut.reset();
    },
  };
}
