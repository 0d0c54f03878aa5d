/**
 * `maxmemory` and its eviction policies, as Redis 7.0's `evict.c`, and the
 * MEMORY command (`_memory.ts`), which reports the same accounting.
 *
 * **Memory accounting.** While `maxmemory` is set, every key's estimated
 * size (see `eviction_size.ts`) is kept in a per-database table updated by
 * the `keyChanged` hook, so the dataset's total is exact with respect to
 * the estimate after every write, at O(1) per write. Client buffers (query
 * and reply buffers as allocated, so an idle client counts 32 KB as Redis's
 * counts its 16 KB reply buffer, plus output in flight; not replicas', as
 * Redis) are summed each cron tick. `used_memory` = dataset + clients; there is no allocator overhead
 * to add, and the runtime's own fixed heap is left out (it does not grow
 * with the data). Without `maxmemory` nothing is tracked and INFO's
 * `used_memory` is estimated from a sample of keys (at most V8's heap and
 * buffers: a sample can hold one huge value). INFO also shows
 * `used_memory_rss` and V8's `heap_used` as cross-checks.
 *
 * **Eviction.** Before each command (as `processCommand` does) the server
 * frees memory when over the limit: random policies pick random keys
 * (databases in turn); LRU, LFU and TTL policies fill Redis's 16-entry
 * pool with `maxmemory-samples` keys per database and evict the best
 * candidate. Evicted keys raise `keyChanged(db, key, "evicted", "e")` and
 * propagate `DEL` (`UNLINK` with `lazyfree-lazy-eviction`). When nothing
 * can be freed, commands flagged `denyoom` (and anything queued in MULTI
 * but EXEC/DISCARD/QUIT/RESET, or EXEC of a queue with a `denyoom`
 * command) get `-OOM command not allowed when used memory > 'maxmemory'.`
 * Eviction stops after `maxmemory-eviction-tenacity`'s time budget and
 * goes on in a timer, as Redis does.
 *
 * **Client eviction.** With `maxmemory-clients` set (bytes, or a share of
 * `maxmemory`; at least 128 KB), the cron closes the biggest normal and
 * pub/sub clients while they hold more than that (their buffers as
 * allocated), sparing those that sent CLIENT NO-EVICT ON, as Redis's
 * `evictClients` does before it sleeps (INFO `evicted_clients`).
 *
 * **Idle collection.** When the keyspace grew or shrank by many keys and
 * the server then goes idle, the cron runs one full garbage collection, so
 * the old tables and garbage of a bulk load are given back (`_reclaim.ts`;
 * MEMORY PURGE runs one too). Only on a server that owns its process
 * (`main.ts`, or `ownsProcess` when embedded): a full collection pauses
 * everything in it, the host's work and other servers too.
 *
 * **Access tracking.** The keyspace records every key's last access on
 * its one-second LRU clock whatever the policy (OBJECT IDLETIME, and what
 * LRU policies evict by), in the tag of the key's entry (see `Database`),
 * which the key table's share of a key counts. Under an LFU policy this plugin also keeps
 * Redis's logarithmic counter per key, bumped through the keyspace's
 * `onAccess` listener (set only then) and by writes. Lookups Redis makes
 * with `LOOKUP_NOTOUCH` (OBJECT, TYPE, TTL, EXISTS...) use
 * `Database.peek` and count as neither.
 *
 * @module
 */

import { definePlugin } from "../../core/registry.ts";
import { KeyMap } from "../../core/keymap.ts";
import type { Bytes, Context, EventClass, PluginInstance, ServerApi } from "../../core/types.ts";
import { Trait } from "../../core/types.ts";
import { type Database, type Stored, storedValue } from "../../core/keyspace.ts";
import { bytesToHuman } from "../../core/number.ts";
import { KEY_ENTRY, keyBytes, MAP_ENTRY } from "./_size.ts";
import { EvictionPool, KeySampler } from "./_pool.ts";
import type {} from "../../commands/connection/mod.ts"; // the `clients` service's type
import { memoryCommand, type MemoryFigures } from "./_memory.ts";
import { LFU_INIT_VAL, lfuCounter, lfuMinutes, lfuNew, lfuTouch } from "./_lfu.ts";
import { collectGarbage, IdleReclaimer } from "./_reclaim.ts";

/** What the plugin offers other plugins (OBJECT FREQ, MEMORY USAGE). */
export interface EvictionService {
  /** Estimated bytes in use (`used_memory`). */
  usedMemory(): number;
  /** A key's LFU counter (decayed); undefined unless an LFU policy is selected. */
  lfuCounter(db: Database, key: Bytes): number | undefined;
  /** Keys evicted since start (INFO `evicted_keys`). */
  readonly evictedKeys: number;
}

declare module "../../core/types.ts" {
  interface Services {
    /** The eviction plugin (maxmemory). */
    eviction: EvictionService;
  }
}

/** Redis's OOM error. */
export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/** Commands that still run inside MULTI when out of memory. */
const MULTI_ALLOWED = new Set(["exec", "discard", "quit", "reset"]);

type Policy =
  | "noeviction"
  | "allkeys-lru"
  | "allkeys-lfu"
  | "allkeys-random"
  | "volatile-lru"
  | "volatile-lfu"
  | "volatile-random"
  | "volatile-ttl";

type EvictResult = "ok" | "running" | "fail";

/** Sizes of one database's keys (tied to its key table, which FLUSHDB and SWAPDB replace). */
interface SizeTable {
  readonly data: KeyMap<Stored>;
  readonly sizes: KeyMap<number>;
  total: number;
}

function init(server: ServerApi): PluginInstance {
  const ks = server.keyspace;
  const clock = server.clock;
  let maxmemory = 0;
  /** Whether the last admitted command found the server out of memory. */
  let oomAtAdmission = false;
  let policy: Policy = "noeviction";
  let samples = 5;
  let tenacity = 10;
  const lfuOpts = { decayTime: 1, logFactor: 10 };
  let lfu = false;

  // Memory accounting: only while maxmemory is set.
  let tracking = false;
  let tables: SizeTable[] = [];
  let dataset = 0;
  let clientsMem = 0;
  let peak = 0;
  let evictedKeys = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  /** LFU counters per key table (so SWAPDB and FLUSHDB carry them along). */
  let counters = new WeakMap<KeyMap<Stored>, KeyMap<number>>();
  const pool = new EvictionPool();
  /** Collects the garbage of a burst of writes once the server is idle. */
  const reclaimer = new IdleReclaimer();
  const keysNow = () => ks.totalKeys;
  const sampler = new KeySampler();
  let nextDb = 0;

  /**
   * Bytes of this plugin's bookkeeping per key: its size entry while
   * tracking and, under LFU, its counter.
   */
  const extraPerKey = () => (tracking ? MAP_ENTRY : 0) + (lfu ? MAP_ENTRY : 0);

  /** A key's entry in the size table (which exists while tracking). */
  function sizeOf(db: Database, key: Bytes, v: Stored): number {
    const ttl = db.expires.size !== 0 && db.expires.has(key);
    return keyBytes(key, storedValue(v), ttl, MAP_ENTRY + (lfu ? MAP_ENTRY : 0), ks.types);
  }

  function countTable(db: Database): SizeTable {
    const t: SizeTable = { data: db.data, sizes: new KeyMap(), total: 0 };
    for (const [k, v] of db.data) {
      const n = sizeOf(db, k, v);
      t.sizes.set(k, n);
      t.total += n;
    }
    return t;
  }

  /** Recounts everything (maxmemory turned on, policy change, loads). */
  function recount(): void {
    tables = ks.dbs.map(countTable);
    dataset = tables.reduce((n, t) => n + t.total, 0);
  }

  /** The table of `db`; all are re-matched when its key table was replaced. */
  function table(db: Database): SizeTable {
    const t = tables[db.index]!;
    if (t.data === db.data) return t;
    resync();
    return tables[db.index]!;
  }

  /** FLUSHDB/FLUSHALL made new key tables, SWAPDB exchanged two. */
  function resync(): void {
    const byData = new Map(tables.map((t) => [t.data, t]));
    tables = ks.dbs.map((db) => byData.get(db.data) ?? countTable(db));
    dataset = tables.reduce((n, t) => n + t.total, 0);
  }

  function measureClients(): number {
    let n = 0;
    for (const c of server.clients.values()) {
      if (c.kind === "replica") continue;
      // What the client holds, as Redis counts a client's memory: its
      // reply and query buffers as allocated (16 KB each when idle, like
      // Redis's reply buffer) and the output still in flight.
      const b = c.buffers;
      n += b.outputCapacity + b.inFlight + b.queryCapacity;
    }
    return n;
  }

  // ---- client eviction (maxmemory-clients) ----

  /** `maxmemory-clients` as shown (bytes, or a percentage of maxmemory). */
  let clientsSetting = "0";
  /** The limit in bytes; 0 when client eviction is off. */
  let clientsLimit = 0;
  let evictedClients = 0;

  /** Redis's getClientEvictionLimit. */
  function applyClientsLimit(): void {
    const v = clientsSetting;
    const limit = v.endsWith("%")
      ? Math.floor(maxmemory * Number(v.slice(0, -1)) / 100)
      : Number(v);
    // Never so small that no client could talk to the server.
    clientsLimit = limit > 0 ? Math.max(limit, 128 * 1024) : 0;
  }

  /** What a client holds, as Redis's client eviction counts it. */
  function clientMemory(c: Context): number {
    const b = c.buffers;
    return b.queryCapacity + b.outputCapacity + b.inFlight + b.heldArgv;
  }

  /**
   * Redis's evictClients: while normal and pub/sub clients hold more than
   * the limit, the biggest that did not ask for CLIENT NO-EVICT are closed.
   */
  function evictClients(): void {
    let total = 0;
    const candidates: [number, Context][] = [];
    for (const c of server.clients.values()) {
      if (c.kind !== "normal" && c.kind !== "pubsub") continue;
      const m = clientMemory(c);
      total += m;
      if (!c.flags.noEvict) candidates.push([m, c]);
    }
    if (total < clientsLimit) return;
    candidates.sort((a, b) => b[0] - a[0]);
    for (const [m, c] of candidates) {
      const line = server.service("clients")?.infoLine(c) ?? `id=${c.id} addr=${c.addr}`;
      server.log("notice", `Evicting client: ${line}`);
      server.killClient(c.id);
      evictedClients++;
      total -= m;
      if (total < clientsLimit) return;
    }
    server.log("warning", "Over client maxmemory after evicting all evictable clients");
  }

  /** Average estimated bytes per key from a sample (INFO without maxmemory). */
  function sampledDataset(): number {
    let total = 0;
    for (const db of ks.dbs) {
      if (db.size === 0) continue;
      const keys = sampler.sample(db.data, 32);
      let sum = 0;
      for (const k of keys) {
        const v = db.data.get(k);
        // Less the size-table entry, which exists only while tracking.
        if (v !== undefined) sum += sizeOf(db, k, v) - MAP_ENTRY;
      }
      total += keys.length === 0 ? 0 : (sum / keys.length) * db.size;
    }
    // One big value in a sample of small ones (a stream of millions of
    // entries among a million strings) would count once per 32 keys, tens
    // of times what the process holds: no more than V8's heap and buffers.
    const m = Deno.memoryUsage();
    return Math.round(Math.min(total, m.heapUsed + m.external));
  }

  function used(): number {
    return dataset + clientsMem;
  }

  // ---- access tracking ----

  function counterTable(db: Database): KeyMap<number> {
    let m = counters.get(db.data);
    if (m === undefined) counters.set(db.data, m = new KeyMap());
    return m;
  }

  /** An access under LFU (the keyspace records access times itself). */
  function accessed(db: Database, key: Bytes): void {
    const now = clock.now();
    const m = counterTable(db);
    const cur = m.get(key);
    m.set(key, cur === undefined ? lfuNew(now) : lfuTouch(cur, now, lfuOpts));
  }

  /** LFU counters are kept only under an LFU policy. */
  function setLfu(on: boolean): void {
    lfu = on;
    counters = new WeakMap();
    ks.onAccess = on ? accessed : undefined;
    ks.onFrequency = on
      ? (db, key, freq) => counterTable(db).set(key, lfuMinutes(clock.now()) * 256 + freq)
      : undefined;
    server.rearm();
  }

  // ---- eviction ----

  function idleOf(db: Database, key: Bytes, now: number): number | undefined {
    if (policy === "volatile-ttl") {
      const at = db.expires.get(key);
      return at === undefined ? undefined : Number.MAX_SAFE_INTEGER - at;
    }
    if (lfu) {
      const c = counters.get(db.data)?.get(key);
      return 255 - (c === undefined ? LFU_INIT_VAL : lfuCounter(c, now, lfuOpts.decayTime));
    }
    return db.idleSeconds(key);
  }

  /** The next key to evict, or undefined when nothing is evictable. */
  function pick(): [Database, Bytes] | undefined {
    const volatile = policy.startsWith("volatile-");
    if (policy === "allkeys-random" || policy === "volatile-random") {
      for (let i = 0; i < ks.dbs.length; i++) {
        const db = ks.dbs[nextDb++ % ks.dbs.length]!;
        const map = volatile ? db.expires : db.data;
        if (map.size === 0) continue;
        const key = sampler.one(map);
        if (key !== undefined) return [db, key];
      }
      return undefined;
    }
    const now = clock.now();
    for (;;) {
      let total = 0;
      for (const db of ks.dbs) {
        const map = volatile ? db.expires : db.data;
        if (map.size === 0) continue;
        total += map.size;
        for (const key of sampler.sample(map, samples)) {
          const idle = idleOf(db, key, now);
          if (idle !== undefined) pool.offer(idle, key, db.index);
        }
      }
      if (total === 0) return undefined;
      // Best first; skip candidates that went away (or lost their TTL).
      for (let e = pool.pop(); e !== undefined; e = pool.pop()) {
        const db = ks.dbs[e.db]!;
        if (volatile ? db.expires.has(e.key) : db.data.has(e.key)) return [db, e.key];
      }
    }
  }

  function evict(db: Database, key: Bytes): void {
    server.emitPropagate(db.index, [
      server.config.bool("lazyfree-lazy-eviction") ? "UNLINK" : "DEL",
      key,
    ]);
    db.delete(key);
    evictedKeys++;
    // Not a change of `dirty` (Redis's evictions are not), but WATCH,
    // notifications and blocked clients hear of it.
    server.emitKeyChanged(db, key, "evicted", "e", 0);
  }

  /** Redis's `evictionTimeLimitUs`, in ms. */
  function timeLimit(): number {
    if (tenacity <= 10) return 0.05 * tenacity;
    if (tenacity < 100) return 0.5 * Math.pow(1.15, tenacity - 10);
    return Infinity;
  }

  /** Redis's `performEvictions`. */
  function performEvictions(): EvictResult {
    if (used() <= maxmemory) return "ok";
    if (ks.isReplica && server.config.bool("replica-ignore-maxmemory")) return "ok";
    // Under CLIENT PAUSE the dataset stands still (and nothing is refused),
    // and while a script holds it (busy; the cron takes over afterwards).
    if (ks.pause.level !== 0 || server.busy !== undefined) return "ok";
    if (policy === "noeviction") return "fail";
    const t0 = performance.now();
    const limit = timeLimit();
    let n = 0;
    while (used() > maxmemory) {
      const victim = pick();
      if (victim === undefined) return "fail";
      evict(victim[0], victim[1]);
      if ((++n & 15) === 0 && performance.now() - t0 > limit) {
        if (used() > maxmemory && timer === undefined) {
          timer = setTimeout(() => {
            timer = undefined;
            if (tracking) performEvictions();
          }, 0);
        }
        return "running";
      }
    }
    return "ok";
  }

  // ---- configuration ----

  function applyMaxmemory(v: number): void {
    maxmemory = v;
    applyClientsLimit();
    if (v === 0) oomAtAdmission = false;
    if (v > 0 && !tracking) {
      tracking = true;
      recount();
      clientsMem = measureClients();
    } else if (v === 0 && tracking) {
      tracking = false;
      tables = [];
      dataset = 0;
    }
    server.rearm();
    if (v > 0 && used() > v) {
      server.log(
        "warning",
        "WARNING: the new maxmemory value set via CONFIG SET is smaller than the current memory usage. This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.",
      );
      performEvictions();
    }
  }

  server.config.watch("maxmemory-policy", (v) => {
    policy = v as Policy;
    pool.clear();
    if (policy.endsWith("-lfu") !== lfu) {
      setLfu(!lfu);
      if (tracking) recount(); // bookkeeping per key changed
    }
  });
  server.config.watch("maxmemory-samples", (v) => (samples = Number(v)));
  server.config.watch("maxmemory-eviction-tenacity", (v) => (tenacity = Number(v)));
  server.config.watch("lfu-log-factor", (v) => (lfuOpts.logFactor = Number(v)));
  server.config.watch("lfu-decay-time", (v) => (lfuOpts.decayTime = Number(v)));
  server.config.watch("maxmemory", (v) => applyMaxmemory(Number(v)));
  // Declared by the core; absent when the server is built without it.
  if (server.config.directive("maxmemory-clients") !== undefined) {
    server.config.watch("maxmemory-clients", (v) => {
      clientsSetting = v;
      applyClientsLimit();
    });
  }

  server.provide("eviction", {
    usedMemory: () => tracking ? used() : sampledDataset() + measureClients(),
    lfuCounter(db, key) {
      if (!lfu) return undefined;
      const c = counters.get(db.data)?.get(key);
      if (c !== undefined) return lfuCounter(c, clock.now(), lfuOpts.decayTime);
      // No counter yet (written before LFU was selected): a new key's, as
      // of its last access.
      const periods = lfuOpts.decayTime > 0
        ? Math.floor(db.idleSeconds(key) / 60 / lfuOpts.decayTime)
        : 0;
      return Math.max(0, LFU_INIT_VAL - periods);
    },
    get evictedKeys() {
      return evictedKeys;
    },
  });

  /** INFO memory's figures, estimated from a sample without maxmemory. */
  function figures(): MemoryFigures {
    const clients = tracking ? clientsMem : measureClients();
    const data = tracking ? dataset : sampledDataset();
    const u = data + clients;
    if (u > peak) peak = u;
    return { used: u, peak, dataset: data, clients };
  }

  const memory = memoryCommand({
    server,
    figures,
    keyUsage: (db, key, v, samples) =>
      keyBytes(
        key,
        v,
        db.expires.size !== 0 && db.expires.has(key),
        extraPerKey(),
        ks.types,
        samples,
      ),
    // The key table (its entries' tags included), the size table (only
    // while maxmemory is set) and LFU counters.
    tableOverhead: (db) => db.size * (KEY_ENTRY + extraPerKey()),
    startRss: Deno.memoryUsage().rss,
    purge() {
      collectGarbage();
      reclaimer.collected(ks.totalKeys);
    },
  });

  return {
    commands: [memory],
    admission: {
      // Armed while maxmemory is set.
      oom: {
        armed: () => maxmemory !== 0,
        check(c, cmd, _argv, traits, nested) {
          // A script or EXEC re-checking a command sees the state found when
          // it was admitted (Redis's pre_command_oom_state): keys are not
          // evicted in the middle of a script.
          if (nested) {
            return oomAtAdmission && (traits & Trait.DENYOOM) !== 0 ? OOM_ERROR : undefined;
          }
          // Inside MULTI any queued command may grow memory, so only the
          // commands that end a transaction pass.
          const reject = (traits & Trait.DENYOOM) !== 0 ||
            (c.flags.multi && !MULTI_ALLOWED.has(cmd.fullName));
          oomAtAdmission = performEvictions() === "fail";
          return oomAtAdmission && reject ? OOM_ERROR : undefined;
        },
      },
    },
    hooks: {
      keyChanged(db: Database, key: Bytes, _event: string, _cls: EventClass): void {
        const v = db.data.get(key);
        if (lfu) {
          // A new key starts at LFU_INIT_VAL; a written key was counted by
          // its lookup (or Database.set), as Redis's lookupKeyWrite does.
          const m = counterTable(db);
          if (v === undefined) m.delete(key);
          else if (!m.has(key)) m.set(key, lfuNew(clock.now()));
        }
        if (!tracking) return;
        const t = table(db);
        const before = t.sizes.get(key) ?? 0;
        const after = v === undefined ? 0 : sizeOf(db, key, v);
        if (after === 0) t.sizes.delete(key);
        else t.sizes.set(key, after);
        t.total += after - before;
        dataset += after - before;
      },
      databaseChanged(db: Database, event: "flush" | "swap"): void {
        pool.clear();
        if (!tracking) return;
        if (event === "swap") return resync();
        // Raised before the keys go: the table empties now, and the
        // database's next key table is matched up on its next use.
        const t = table(db);
        dataset -= t.total;
        tables[db.index] = { data: t.data, sizes: new KeyMap(), total: 0 };
      },
      // A new client holds its buffers at once: counted now, not at the
      // next cron tick, so its first write already sees them (as Redis).
      clientConnected(): void {
        if (tracking) clientsMem = measureClients();
      },
      cron(): void {
        // Redis checks client memory before each sleep; the cron does here.
        if (clientsLimit !== 0) evictClients();
        // Idle in real time, whatever clock the server keeps. Not while a
        // dataset loads (no command runs then, yet the server is busy: a
        // collection every 50,000 keys made a 1M-key load 1.5x slower);
        // the first quiet tick after it collects once. Only when the
        // process is the server's: an embedder's heap is not ours to collect.
        if (server.ownsProcess && !ks.loading) {
          reclaimer.tick(performance.now(), server.stats.totalCommands, keysNow);
        }
        if (!tracking) return;
        clientsMem = measureClients();
        // Keys written without a keyChanged event (a load) are found by
        // their count and the table recounted.
        for (const db of ks.dbs) {
          const t = table(db);
          if (t.sizes.size !== db.data.size) {
            const fresh = countTable(db);
            tables[db.index] = fresh;
            dataset += fresh.total - t.total;
          }
        }
        const u = used();
        if (u > peak) peak = u;
        if (u > maxmemory) performEvictions();
      },
      info(section: string): Record<string, string | number> | undefined {
        if (section === "stats") {
          return { evicted_keys: evictedKeys, evicted_clients: evictedClients };
        }
        if (section !== "memory") return undefined;
        const { used: u, dataset: data, clients } = figures();
        const m = Deno.memoryUsage();
        return {
          used_memory: u,
          used_memory_human: bytesToHuman(u),
          used_memory_peak: peak,
          used_memory_peak_human: bytesToHuman(peak),
          used_memory_peak_perc: `${(peak === 0 ? 100 : u * 100 / peak).toFixed(2)}%`,
          used_memory_startup: 0,
          used_memory_dataset: data,
          mem_fragmentation_ratio: (m.rss / Math.max(1, u)).toFixed(2),
          mem_fragmentation_bytes: m.rss - u,
          mem_clients_normal: clients,
          // Cross-checks: V8's heap (garbage included) and the estimate's scope.
          heap_used: m.heapUsed,
          heap_used_human: bytesToHuman(m.heapUsed),
        };
      },
      shutdown(): void {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
      },
    },
    // Key sizes are kept under maxmemory, LFU counters under an LFU policy.
    hooksArmed: { keyChanged: () => tracking || lfu },
  };
}

/** The eviction plugin: `maxmemory`, its policies, memory accounting and MEMORY. */
export default definePlugin({
  name: "eviction",
  dependencies: [],
  config: [
    { name: "maxmemory-samples", type: "int", default: "5", min: 1, max: 2147483647 },
    { name: "maxmemory-eviction-tenacity", type: "int", default: "10", min: 0, max: 100 },
    { name: "lfu-log-factor", type: "int", default: "10", min: 0, max: 2147483647 },
    { name: "lfu-decay-time", type: "int", default: "1", min: 0, max: 2147483647 },
    {
      name: "replica-ignore-maxmemory",
      type: "bool",
      default: "yes",
      aliases: ["slave-ignore-maxmemory"],
    },
  ],
  init,
});
