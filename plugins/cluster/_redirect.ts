/**
 * Redirection: which node serves a command (Redis 7.0's getNodeByQuery),
 * the error that sends the client there (clusterRedirectClient), the
 * `cluster` admission check, and blocked clients whose slot moved away
 * (clusterRedirectBlockedClientIfNeeded).
 *
 * @module
 */

import type { ArmedCheck, Bytes, CommandEntry, Context, ServerApi } from "../../core/types.ts";
import { Trait } from "../../core/types.ts";
import { hasKeys, keyPositions } from "../../core/registry.ts";
import type { Cluster } from "./_cluster.ts";
import type { ClusterNode } from "./_state.ts";
import { keyHashSlot } from "./_slots.ts";
import { preferredEndpoint } from "./_commands_slots.ts";

/** Why a command is not served here (CLUSTER_REDIR_*). */
export const Redir = {
  NONE: 0,
  CROSS_SLOT: 1,
  UNSTABLE: 2,
  ASK: 3,
  MOVED: 4,
  DOWN_STATE: 5,
  DOWN_UNBOUND: 6,
  DOWN_RO_STATE: 7,
} as const;

/** getNodeByQuery's answer: the node, the slot, and why it is not this one. */
export interface Query {
  node: ClusterNode | undefined;
  slot: number;
  code: number;
}

/** The shard pub/sub commands: their channels route like keys (NOT_KEY specs). */
const SHARD_PUBSUB = new Set(["ssubscribe", "sunsubscribe", "spublish"]);

/**
 * How the redirection looks at a command, computed once per command: -1
 * not at all (no keys, no channels, not EXEC), 0 through
 * {@link nodeByQuery}, or the position of its only key (GET, SET, most
 * commands), which a fast path checks first.
 */
const routes = new Map<CommandEntry, number>();

/** The last command {@link routeOf} answered for, and its route: a pipeline repeats one. */
let lastCmd: CommandEntry | undefined;
let lastRoute = -1;

function routeOf(cmd: CommandEntry): number {
  if (cmd === lastCmd) return lastRoute;
  let r = routes.get(cmd);
  if (r === undefined) {
    const name = cmd.fullName;
    if (!hasKeys(cmd) && !SHARD_PUBSUB.has(name) && name !== "exec") r = -1;
    else r = singleKeyPosition(cmd);
    routes.set(cmd, r);
  }
  lastCmd = cmd;
  lastRoute = r;
  return r;
}

function isRouted(cmd: CommandEntry): boolean {
  return routeOf(cmd) >= 0;
}

/** The position of a command's only key, when one key spec names exactly one; else 0. */
function singleKeyPosition(cmd: CommandEntry): number {
  const spec = cmd.spec;
  const ks = spec.keySpecs;
  if (spec.getKeys !== undefined || ks === undefined || ks.length !== 1) return 0;
  const k = ks[0]!;
  if (k.flags.includes("NOT_KEY") || !("index" in k.begin) || !("range" in k.find)) return 0;
  if (k.find.range.lastkey !== 0 || SHARD_PUBSUB.has(cmd.fullName)) return 0;
  return k.begin.index;
}

/** The argument positions that route a command: its keys, or a shard command's channels. */
function routingPositions(cmd: CommandEntry, argv: readonly Bytes[]): number[] {
  const name = cmd.fullName;
  if (SHARD_PUBSUB.has(name)) {
    if (name === "spublish") return [1];
    const out: number[] = [];
    for (let i = 1; i < argv.length; i++) out.push(i);
    return out;
  }
  return keyPositions(cmd, argv);
}

/** The queued commands of a client's transaction, when it is in one. */
type QueueView = readonly { readonly cmd: CommandEntry; readonly argv: Bytes[] }[];

/**
 * Whether `c` sent ASKING just before this command (the flag lasts one
 * command, or the whole transaction inside MULTI).
 */
function asking(c: Context): boolean {
  if (c.ext.clusterAsking !== true) return false;
  if (c.lastCommand === "asking" || c.flags.multi) return true;
  c.ext.clusterAsking = false;
  return false;
}

/**
 * Why a script's command is refused (scriptVerifyClusterState): `slots`
 * keeps the slot each run's keys are in so far, starting from the one its
 * EVAL or FCALL declared (Redis's `c->slot`); `crossSlot` lets a script
 * flagged `allow-cross-slot-keys` (or without flags) use keys of several
 * slots, as long as this node serves them.
 */
export function scriptClusterCheck(
  cl: Cluster,
  slots: WeakMap<object, number>,
  caller: Context,
  cmd: CommandEntry,
  argv: Bytes[],
  run: object,
  crossSlot: boolean,
): string | undefined {
  if (!isRouted(cmd)) return undefined;
  // The caller's READONLY and ASKING hold for the script's commands.
  const q = nodeByQuery(cl, caller, cmd, argv, cmd.traits, caller.ext.clusterAsking === true);
  if (q.node !== cl.state.myself) {
    if (q.code === Redir.DOWN_RO_STATE) {
      return "Script attempted to execute a write command while the cluster is down and readonly";
    }
    if (q.code === Redir.DOWN_STATE) {
      return "Script attempted to execute a command while the cluster is down";
    }
    return "Script attempted to access a non local key in a cluster node";
  }
  if (q.slot !== -1 && !crossSlot) {
    const s = slots.get(run) ?? caller.ext.clusterSlot ?? -1;
    if (s === -1) slots.set(run, q.slot);
    else if (s !== q.slot) {
      return "Script attempted to access keys that do not hash to the same slot";
    }
  }
  return undefined;
}

/**
 * Finds the node that serves a command (getNodeByQuery): every key (of
 * every queued command, for EXEC) must hash to one slot; an open migration
 * or import of that slot decides by which keys exist here; a replica
 * serves reads of its master's slots to READONLY clients.
 */
export function nodeByQuery(
  cl: Cluster,
  c: Context,
  cmd: CommandEntry,
  argv: Bytes[],
  traits: number,
  askingNow?: boolean,
): Query {
  const st = cl.state, me = st.myself;
  const q: Query = { node: me, slot: -1, code: Redir.NONE };
  let batch: QueueView;
  if (cmd.fullName === "exec") {
    const queue = cl.server.service("transactions")?.queued(c);
    // EXEC without MULTI just fails.
    if (queue === undefined) return q;
    batch = queue;
  } else {
    batch = [{ cmd, argv }];
  }
  const shard = SHARD_PUBSUB.has(cmd.fullName);
  let first: Bytes | undefined;
  let slot = 0;
  let n: ClusterNode | undefined;
  let migrating = false, importing = false, multipleKeys = false;
  let missing = 0, existing = 0;
  const db0 = cl.server.keyspace.db(0);
  for (const { cmd: mcmd, argv: margv } of batch) {
    for (const pos of routingPositions(mcmd, margv)) {
      const key = margv[pos]!;
      const keySlot = keyHashSlot(key);
      if (first === undefined) {
        first = key;
        slot = keySlot;
        n = st.slots[slot];
        if (n === undefined) {
          return { node: undefined, slot, code: Redir.DOWN_UNBOUND };
        }
        if (n === me && st.migratingSlotsTo[slot] !== undefined) migrating = true;
        else if (st.importingSlotsFrom[slot] !== undefined) importing = true;
      } else if (key !== first) {
        if (keySlot !== slot) return { node: undefined, slot, code: Redir.CROSS_SLOT };
        multipleKeys = true;
      }
      // During a migration the channels stay with the source until it ends.
      if ((migrating || importing) && !shard) {
        if (db0.peek(key) === undefined) missing++;
        else existing++;
      }
    }
  }
  // No key at all: served anywhere.
  if (n === undefined) return q;
  // The call's flags (a script's declared ones, EXEC's queue), as getCommandFlags.
  const write = (traits & Trait.WRITE) !== 0;
  if (st.state !== "ok") {
    if (shard) {
      if (!cl.cfg.allowPubsubshardWhenDown) {
        return { node: undefined, slot, code: Redir.DOWN_STATE };
      }
    } else if (!cl.cfg.allowReadsWhenDown) {
      return { node: undefined, slot, code: Redir.DOWN_STATE };
    } else if (write) {
      return { node: undefined, slot, code: Redir.DOWN_RO_STATE };
    }
  }
  q.slot = slot;
  if ((migrating || importing) && cmd.fullName === "migrate") return q;
  if (migrating && missing !== 0) {
    if (existing !== 0) return { node: undefined, slot, code: Redir.UNSTABLE };
    return { node: st.migratingSlotsTo[slot], slot, code: Redir.ASK };
  }
  // A command flagged `asking` (RESTORE-ASKING, which MIGRATE sends) is
  // taken as if ASKING came first, as in Redis.
  if (importing && (cmd.flagSet.has("asking") || (askingNow ?? asking(c)))) {
    if (multipleKeys && missing !== 0) return { node: undefined, slot, code: Redir.UNSTABLE };
    return q;
  }
  if (
    (c.ext.clusterReadonly === true || shard) && !write && me.isReplica && me.replicaOf === n
  ) {
    return q;
  }
  if (n !== me) return { node: n, slot, code: Redir.MOVED };
  return q;
}

/** The error that redirects the client (clusterRedirectClient). */
export function redirectError(cl: Cluster, q: Query): string {
  switch (q.code) {
    case Redir.CROSS_SLOT:
      return "CROSSSLOT Keys in request don't hash to the same slot";
    case Redir.UNSTABLE:
      return "TRYAGAIN Multiple keys request during rehashing of slot";
    case Redir.DOWN_STATE:
      return "CLUSTERDOWN The cluster is down";
    case Redir.DOWN_RO_STATE:
      return "CLUSTERDOWN The cluster is down and only accepts read commands";
    case Redir.DOWN_UNBOUND:
      return "CLUSTERDOWN Hash slot not served";
    default: {
      const n = q.node!;
      return `${q.code === Redir.ASK ? "ASK" : "MOVED"} ${q.slot} ${
        preferredEndpoint(cl, n)
      }:${n.port}`;
    }
  }
}

/** The per-client slot of the command admitted last (Redis's `c->slot`), for scripts. */
declare module "../../core/types.ts" {
  interface ClientExtensions {
    clusterSlot?: number;
  }
}

/**
 * The `cluster` admission check: commands for keys served elsewhere get
 * MOVED (or ASK, CROSSSLOT, TRYAGAIN, CLUSTERDOWN). Commands without keys
 * pass at once; the master's link and the AOF are obeyed.
 */
export function clusterAdmission(cl: Cluster): ArmedCheck {
  return {
    armed: () => true,
    check(c, cmd, argv, traits) {
      if (c.id === 0 || c.kind === "master") return undefined;
      const route = routeOf(cmd);
      if (route < 0) return undefined;
      if (route > 0 && route < argv.length) {
        // One key in a stable slot this node serves, the cluster up: served.
        const st = cl.state;
        const slot = keyHashSlot(argv[route]!);
        if (
          st.slots[slot] === st.myself && st.state === "ok" &&
          st.migratingSlotsTo[slot] === undefined && st.importingSlotsFrom[slot] === undefined
        ) {
          return undefined;
        }
      }
      const q = nodeByQuery(cl, c, cmd, argv, traits);
      if (q.node === cl.state.myself) {
        c.ext.clusterSlot = q.slot;
        return undefined;
      }
      return redirectError(cl, q);
    },
  };
}

/**
 * Ends the blocks of clients waiting on keys this node no longer serves,
 * with the redirection (or CLUSTERDOWN), as Redis's clientsCron does.
 */
export function redirectBlockedClients(cl: Cluster, server: ServerApi): void {
  const st = cl.state, me = st.myself;
  for (const { client, keys, cmd } of server.blockedOnKeys()) {
    if (st.state === "fail") {
      server.unblockClientWith(client.id, "CLUSTERDOWN The cluster is down");
      continue;
    }
    const slot = keyHashSlot(keys[0]!);
    let node = st.slots[slot];
    if (
      client.ext.clusterReadonly === true && !cmd.isWrite && me.isReplica && me.replicaOf === node
    ) {
      node = me;
    }
    if (node === me || st.importingSlotsFrom[slot] !== undefined) continue;
    server.unblockClientWith(
      client.id,
      node === undefined
        ? "CLUSTERDOWN Hash slot not served"
        : redirectError(cl, { node, slot, code: Redir.MOVED }),
    );
  }
}
