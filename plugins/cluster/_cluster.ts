/**
 * One node's cluster runtime: its table (loaded from nodes.conf or new),
 * the settings, the bus once started, and the end-of-turn work Redis does
 * in clusterBeforeSleep (update the state, save nodes.conf).
 *
 * @module
 */

import type { Bytes, ServerApi } from "../../core/types.ts";
import type { Database } from "../../core/keyspace.ts";
import { KeyMap } from "../../core/keymap.ts";
import { ClusterSettings } from "./_config.ts";
import { freshState, parseNodesConf, saveNodesConf } from "./_nodes_conf.ts";
import { type ClusterBus, type ClusterState, NodeFlag, randomNodeName, Todo } from "./_state.ts";
import { keyHashSlot } from "./_slots.ts";

/**
 * The cluster as the commands, the redirection check and the bus share it.
 *
 * @example
 * ```ts
 * import { startServer } from "../../mod.ts";
 * const dir = Deno.makeTempDirSync();
 * // A free bus port (by default the bus takes the client port + 10000).
 * const l = Deno.listen({ port: 0 });
 * const bus = String((l.addr as Deno.NetAddr).port);
 * l.close();
 * const s = await startServer({
 *   port: 0,
 *   config: { "cluster-enabled": "yes", "cluster-port": bus, dir },
 *   logger: () => {},
 * });
 * console.log(Deno.readTextFileSync(`${dir}/nodes.conf`).includes("myself,master")); // true
 * await s.close();
 * Deno.removeSync(dir, { recursive: true });
 * ```
 */
export class Cluster {
  readonly cfg: ClusterSettings;
  state: ClusterState;
  bus: ClusterBus | undefined = undefined;
  #scheduled = false;
  #announcedIp = "";

  constructor(readonly server: ServerApi) {
    this.cfg = new ClusterSettings(server);
    const now = server.clock.now();
    const path = this.cfg.configFile;
    let text = "";
    try {
      text = Deno.readTextFileSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        throw new Error(`Loading the cluster node config from ${path}: ${(e as Error).message}`);
      }
    }
    const loaded = parseNodesConf(text, now);
    if (loaded !== undefined) {
      this.state = loaded;
      server.log("notice", `Node configuration loaded, I'm ${loaded.myself.name}`);
    } else {
      this.state = freshState(now);
      server.log("notice", `No cluster configuration found, I'm ${this.state.myself.name}`);
    }
    this.#hook(this.state);
  }

  /** Wires a (new) table's callbacks to this server. */
  #hook(st: ClusterState): void {
    st.markTodo = (flags: number) => {
      st.todo |= flags;
      this.#schedule();
    };
    st.countKeysInSlot = (slot) => this.countKeysInSlot(slot);
  }

  /**
   * Sets this node's announced address and flags from the settings
   * (clusterUpdateMyselfAnnouncedPorts, clusterUpdateMyselfFlags,
   * clusterUpdateMyselfHostname), after the ports are bound.
   */
  updateMyself(): void {
    const me = this.state.myself, cfg = this.cfg;
    me.port = cfg.announcedPort;
    me.pport = 0;
    me.cport = cfg.announcedBusPort;
    me.hostname = cfg.announceHostname;
    const ip = cfg.announceIp;
    // An announced address wins; one no longer announced is learned again
    // from the other nodes (clusterUpdateMyselfIp).
    if (ip !== "") me.ip = ip;
    else if (this.#announcedIp !== "") me.ip = "";
    this.#announcedIp = ip;
    const nofailover = cfg.replicaNoFailover;
    const flags = nofailover ? me.flags | NodeFlag.NOFAILOVER : me.flags & ~NodeFlag.NOFAILOVER;
    if (flags !== me.flags) {
      me.flags = flags;
      this.state.markTodo(Todo.SAVE_CONFIG);
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // At the end of the turn (the beforeFlush hook gets there first when a
    // client's reply is about to be written).
    queueMicrotask(() => {
      this.#scheduled = false;
      this.beforeSleep();
    });
  }

  /** The end-of-turn work (clusterBeforeSleep): update the state, save the config. */
  beforeSleep(): void {
    const st = this.state;
    if (st.todo & Todo.UPDATE_STATE) this.updateState();
    if (st.todo & Todo.SAVE_CONFIG) {
      if (!this.saveConfig()) {
        this.server.log("warning", "Fatal: can't update cluster config file.");
      }
    }
    st.todo &= ~(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG);
  }

  /** clusterUpdateState with this server's settings and clock. */
  updateState(): void {
    this.state.updateState({
      now: this.server.clock.now(),
      nodeTimeout: this.cfg.nodeTimeout,
      requireFullCoverage: this.cfg.requireFullCoverage,
      log: (msg) => this.server.log("warning", msg),
    });
  }

  /** Writes nodes.conf now; false (logged) when it fails. */
  saveConfig(): boolean {
    this.state.todo &= ~(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG);
    try {
      saveNodesConf(this.cfg.configFile, this.state);
      return true;
    } catch (e) {
      this.lastSaveError = (e as Error).message;
      this.server.log("warning", `Could not save the cluster config: ${this.lastSaveError}`);
      return false;
    }
  }

  /** Why the last save failed (CLUSTER SAVECONFIG's error). */
  lastSaveError = "";

  /**
   * Database 0's keys by slot, built by one scan the first time a slot's
   * keys are asked for (COUNTKEYSINSLOT, GETKEYSINSLOT: cluster tools,
   * resharding), then kept up to date from the key-change hooks; until
   * then writes pay nothing for it. The index is built again when its
   * count no longer matches the database (a change no hook told of, as a
   * bulk load).
   */
  #index: SlotIndex | undefined;

  #slotIndex(): SlotIndex {
    const db = this.server.keyspace.db(0);
    let ix = this.#index;
    if (ix !== undefined && ix.total === db.size) return ix;
    ix = new SlotIndex();
    for (const k of db.data.keys()) ix.add(k);
    this.#index = ix;
    return ix;
  }

  /** A key of `db` changed (written, deleted, expired): the index follows it. */
  noteKey(db: Database, key: Bytes): void {
    const ix = this.#index;
    if (ix === undefined || db.index !== 0) return;
    if (db.data.has(key)) ix.add(key);
    else ix.remove(key);
  }

  /** A database was flushed or swapped: the index is built again when next needed. */
  dropIndex(): void {
    this.#index = undefined;
  }

  /**
   * Up to `max` keys of database 0 in `slot`, newest first as Redis lists
   * a slot's keys (GETKEYSINSLOT).
   */
  keysInSlot(slot: number, max = Infinity): Bytes[] {
    const data = this.server.keyspace.db(0).data;
    return this.#slotIndex().newest(slot, max, (k) => data.has(k));
  }

  /** How many keys of database 0 are in `slot` (countKeysInSlot). */
  countKeysInSlot(slot: number): number {
    return this.#slotIndex().count(slot);
  }

  /**
   * Makes the table agree with the data loaded at start-up
   * (verifyClusterConfigWithData): a master takes the unassigned slots it
   * holds keys of, and marks as importing the ones another node serves.
   * Throws when a database other than 0 holds keys.
   */
  verifyWithData(): void {
    const st = this.state, me = st.myself;
    if (me.isReplica) return;
    const dbs = this.server.keyspace.dbs;
    for (let j = 1; j < dbs.length; j++) {
      if (dbs[j]!.size !== 0) {
        throw new Error(
          "You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting.",
        );
      }
    }
    const populated = new Set<number>();
    for (const k of dbs[0]!.data.keys()) populated.add(keyHashSlot(k));
    let changed = false;
    for (const j of [...populated].sort((a, b) => a - b)) {
      if (st.slots[j] === me || st.importingSlotsFrom[j] !== undefined) continue;
      changed = true;
      if (st.slots[j] === undefined) {
        this.server.log(
          "warning",
          `I have keys for unassigned slot ${j}. Taking responsibility for it.`,
        );
        st.addSlot(me, j);
      } else {
        this.server.log(
          "warning",
          `I have keys for slot ${j}, but the slot is assigned to another node. Setting it to importing state.`,
        );
        st.importingSlotsFrom[j] = st.slots[j];
      }
    }
    if (changed) st.markTodo(Todo.SAVE_CONFIG);
  }

  /**
   * CLUSTER RESET (clusterReset): forgets every other node and every slot;
   * a hard reset also zeroes the epochs and takes a new name. Turning a
   * replica into a master is the caller's (it also involves replication).
   */
  reset(hard: boolean): void {
    const st = this.state;
    for (let j = 0; j < st.migratingSlotsTo.length; j++) {
      st.migratingSlotsTo[j] = undefined;
      st.importingSlotsFrom[j] = undefined;
    }
    st.mfEnd = 0;
    st.mfReplica = undefined;
    st.mfCanStart = false;
    st.mfMasterOffset = -1;
    for (let j = 0; j < st.slots.length; j++) st.delSlot(j);
    for (const n of [...st.nodes.values()]) if (n !== st.myself) st.deleteNode(n);
    if (hard) {
      st.currentEpoch = 0;
      st.lastVoteEpoch = 0;
      st.myself.configEpoch = 0;
      this.server.log("warning", "configEpoch set to 0 via CLUSTER RESET HARD");
      st.nodes.delete(st.myself.name);
      st.myself.name = randomNodeName();
      st.nodes.set(st.myself.name, st.myself);
      this.server.log("notice", `Node hard reset, now I'm ${st.myself.name}`);
    }
    st.markTodo(Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG);
  }
}

/**
 * Keys by slot, each slot's in the order they were added: newest first is
 * read from the end (GETKEYSINSLOT), so moving a slot's keys away, newest
 * first, costs each call only the keys it returns. A removed key leaves a
 * hole, trimmed from the end and compacted when holes outnumber keys.
 *
 * @example
 * ```ts
 * import { SlotIndex } from "./_cluster.ts";
 * const ix = new SlotIndex();
 * for (const k of ["{a}1", "{a}2", "{a}3"]) ix.add(k);
 * ix.remove("{a}2");
 * console.log(ix.newest(15495, 10, () => true)); // [ "{a}3", "{a}1" ]
 * ```
 */
export class SlotIndex {
  readonly #slots = new Map<number, { keys: (Bytes | undefined)[]; live: number }>();
  /** Each key's place in its slot's list (a KeyMap: a Map would internalize every key). */
  readonly #pos = new KeyMap<number>();
  /** Keys indexed. */
  total = 0;

  add(key: Bytes): void {
    if (this.#pos.has(key)) return;
    const slot = keyHashSlot(key);
    let sk = this.#slots.get(slot);
    if (sk === undefined) this.#slots.set(slot, sk = { keys: [], live: 0 });
    this.#pos.set(key, sk.keys.length);
    sk.keys.push(key);
    sk.live++;
    this.total++;
  }

  remove(key: Bytes): void {
    const i = this.#pos.get(key);
    if (i === undefined) return;
    this.#pos.delete(key);
    const sk = this.#slots.get(keyHashSlot(key))!;
    sk.keys[i] = undefined;
    sk.live--;
    this.total--;
    const keys = sk.keys;
    while (keys.length !== 0 && keys[keys.length - 1] === undefined) keys.pop();
    if (keys.length > 64 && keys.length > 2 * sk.live) {
      const kept = keys.filter((k): k is Bytes => k !== undefined);
      kept.forEach((k, j) => this.#pos.set(k, j));
      sk.keys = kept;
    }
  }

  count(slot: number): number {
    return this.#slots.get(slot)?.live ?? 0;
  }

  /** Up to `max` keys of `slot`, newest first, dropping those `exists` denies. */
  newest(slot: number, max: number, exists: (key: Bytes) => boolean): Bytes[] {
    const out: Bytes[] = [];
    const sk = this.#slots.get(slot);
    if (sk === undefined) return out;
    const gone: Bytes[] = [];
    for (let i = sk.keys.length - 1; i >= 0 && out.length < max; i--) {
      const k = sk.keys[i];
      if (k === undefined) continue;
      if (exists(k)) out.push(k);
      else gone.push(k);
    }
    // After the walk: a removal may compact the list under it.
    for (const k of gone) this.remove(k);
    return out;
  }
}
