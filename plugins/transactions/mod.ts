/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH and UNWATCH, with Redis 7.0's
 * semantics.
 *
 * - Inside MULTI a before-command hook queues every command except MULTI,
 *   EXEC, DISCARD, WATCH, QUIT and RESET, answering `+QUEUED`. A command
 *   flagged `no_multi`, or one the dispatcher rejects (unknown, wrong arity,
 *   through the `commandRejected` hook), fails the transaction: EXEC then
 *   answers EXECABORT.
 * - EXEC runs the queue (no other client sees its middle) through
 *   `server.runCommand` (statistics, propagation, after-command hooks), in
 *   one atomic block (replicas and the AOF get MULTI ... EXEC), with
 *   blocking turned off (BLPOP and friends answer at once). A queued script
 *   that runs past `busy-reply-threshold` suspends EXEC with it: the server
 *   is busy meanwhile, and the rest of the queue runs once it ended.
 *   Run-time errors take their slot in EXEC's reply; the rest still run.
 * - Permissions are checked again as each queued command's turn comes, as
 *   Redis does: with an auth service (the ACL plugin), a command the rules
 *   no longer allow answers NOPERM in its slot and is logged (context
 *   `multi`).
 * - WATCH follows the `keyChanged` and `databaseChanged` hooks (see
 *   `_watch.ts`), so any plugin's writes invalidate watches.
 * - The `transactions` service shows a client's queue to other plugins:
 *   the cluster routes EXEC by the keys queued.
 *
 * @module
 */

import { commandFamily, definePlugin, keys, makeEntry } from "../../core/registry.ts";
import type {
  Bytes,
  ClientInfoContribution,
  CommandEntry,
  CommandSpec,
  Context,
  PluginInstance,
  ServerApi,
  Services,
} from "../../core/types.ts";
import type { Database } from "../../core/keyspace.ts";
import { ReplyError } from "../../core/errors.ts";
import type { AclVerdict } from "../acl/mod.ts";
import { type WatchedKey, type Watcher, WatchRegistry } from "./_watch.ts";

/** A queued command, resolved when it was queued. */
export interface Queued {
  readonly cmd: CommandEntry;
  readonly argv: Bytes[];
}

/**
 * What the transactions plugin offers other plugins (the `transactions`
 * service): the cluster routes an EXEC by the keys of its queue.
 */
export interface TransactionsService {
  /** The commands `c` queued since MULTI, in order; undefined outside MULTI. */
  queued(c: Context): readonly Queued[] | undefined;
}

declare module "../../core/types.ts" {
  interface ClientExtensions {
    /** MULTI and WATCH state (transactions plugin), created on first use. */
    tx?: TxState;
  }
  interface Services {
    /** MULTI's queues (transactions plugin). */
    transactions: TransactionsService;
  }
}

/** A client's transaction state. */
class TxState implements Watcher {
  /** The queued commands; undefined outside MULTI. */
  queue: Queued[] | undefined = undefined;
  /** Bytes the queue holds, as Redis counts `multi-mem`. */
  queueMem = 0;
  /** A command was refused while queueing: EXEC answers EXECABORT. */
  execAbort = false;
  /**
   * The union of the queued commands' {@link Trait} bits: EXEC is admitted
   * with them (a queued write makes EXEC a write for OOM, MISCONF,
   * NOREPLICAS and READONLY, as Redis's `mstate.cmd_flags`).
   */
  traits = 0;
  dirty = false;
  readonly watched: Map<Database, Map<Bytes, WatchedKey>> = new Map();
}

/** Commands that run at once inside MULTI instead of being queued. */
const IMMEDIATE = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

const EXECABORT = "EXECABORT Transaction discarded because of previous errors.";

const command = commandFamily({ category: "transaction", group: "transactions" });

/**
 * A stand-in EXEC runs for a queued command the rules no longer allow
 * (Redis's execCommand): the NOPERM reply then counts as the queued
 * command's error, not EXEC's (Redis counts no failed EXEC), and the
 * refused command as not called.
 */
function deniedEntry(reason: string): CommandEntry {
  const msg = "NOPERM ACLs rules changed between the moment the transaction was " +
    "accumulated and the EXEC call. This command is no longer allowed for the following " +
    `reason: ${reason}`;
  return makeEntry({ name: "exec", arity: 1, flags: [], handler: (c) => c.reply.error(msg) });
}

function state(c: Context): TxState {
  return c.ext.tx ??= new TxState();
}

/** Redis's `multi-mem` share of one queued command: its bytes and pointers. */
function argvMem(argv: readonly Bytes[]): number {
  let n = argv.length * 8;
  for (const a of argv) n += a.length;
  return n;
}

function init(server: ServerApi): PluginInstance {
  const watches = new WatchRegistry();
  server.provide("transactions", { queued: (c) => c.ext.tx?.queue });
  /**
   * Clients in MULTI, and whether the hooks that serve them (and WATCH)
   * are armed: armed at once when needed, disarmed by the cron once idle
   * (a client's every transaction would otherwise rearm twice).
   */
  let inMulti = 0;
  let multiArmed = false, watchArmed = false;
  watches.onFirst = () => {
    if (!watchArmed) server.rearm();
  };
  const denied: Readonly<Record<Exclude<AclVerdict, "ok">, CommandEntry>> = {
    command: deniedEntry("no permission to execute the command or subcommand"),
    key: deniedEntry("no permission to touch the specified keys"),
    channel: deniedEntry("no permission to access one of the channels used as arguments"),
  };

  /** The auth service (the ACL plugin's), looked up at the first EXEC. */
  let auth: Services["auth"] | undefined;

  // SWAPDB reports its two databases one after the other; they are
  // handled as a pair, since a key's fate depends on both.
  let swapPending: Database | undefined;

  /** Leaves MULTI and forgets watches (`discardTransaction`). */
  function discard(c: Context, tx: TxState): void {
    if (tx.queue !== undefined) inMulti--;
    tx.queue = undefined;
    c.flags.multi = false;
    tx.traits = 0;
    tx.queueMem = 0;
    tx.execAbort = false;
    tx.dirty = false;
    if (tx.watched.size !== 0) watches.unwatchAll(tx);
  }

  function exec(c: Context): void {
    const tx = c.ext.tx;
    const queue = tx?.queue;
    if (tx === undefined || queue === undefined) throw new ReplyError("ERR EXEC without MULTI");
    // A watched key whose TTL passed counts as changed, reclaimed or not.
    if (!tx.dirty && tx.watched.size !== 0 && watches.anyExpired(tx, server.clock.now())) {
      tx.dirty = true;
    }
    if (tx.execAbort || tx.dirty) {
      const abort = tx.execAbort;
      discard(c, tx);
      if (abort) c.reply.error(EXECABORT);
      else c.reply.nullArray();
      return;
    }
    if (tx.watched.size !== 0) watches.unwatchAll(tx);
    const blockable = c.blockable;
    c.blockable = false;
    c.reply.array(queue.length);
    // Each queued command runs, counts and propagates as its own (EXEC
    // itself changes nothing); replicas and the AOF get them as one.
    server.beginAtomic();
    runQueue(c, tx, queue, 0, blockable, c.suspendable);
  }

  /**
   * Runs `queue` from `next`. A queued command may suspend (a script past
   * busy-reply-threshold): EXEC then suspends too and goes on with the
   * rest once it ended (the only case that makes a closure).
   */
  function runQueue(
    c: Context,
    tx: TxState,
    queue: Queued[],
    next: number,
    blockable: boolean,
    suspendable: boolean,
  ): void {
    auth ??= server.service("auth");
    try {
      while (next < queue.length) {
        const q = queue[next++]!;
        // The client is still running EXEC as the ACL LOG sees it.
        c.lastCommand = "exec";
        const verdict = auth?.permits(c, q.cmd, q.argv, "multi") ?? "ok";
        const cmd = verdict === "ok" ? q.cmd : denied[verdict];
        server.runCommand(c, cmd, q.argv, suspendable);
        if (c.pendingCall !== undefined) {
          const from = next;
          const rest = () => runQueue(c, tx, queue, from, blockable, suspendable);
          if (c.suspendCall(rest) !== undefined) return;
        }
      }
    } catch (e) {
      finish(c, tx, blockable);
      throw e;
    }
    finish(c, tx, blockable);
  }

  /** Ends EXEC's run of its queue. */
  function finish(c: Context, tx: TxState, blockable: boolean): void {
    server.endAtomic();
    c.blockable = blockable;
    discard(c, tx);
    c.lastCommand = "exec";
  }

  const commands: CommandSpec[] = [
    command({
      name: "multi",
      arity: 1,
      flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
      docs: {
        summary: "Mark the start of a transaction block",
        since: "1.2.0",
        complexity: "O(1)",
      },
      handler(c) {
        const tx = state(c);
        if (tx.queue !== undefined) throw new ReplyError("ERR MULTI calls can not be nested");
        tx.queue = [];
        c.flags.multi = true;
        tx.queueMem = 0;
        if (inMulti++ === 0 && !multiArmed) server.rearm();
        c.reply.ok();
      },
    }),
    command({
      name: "exec",
      arity: 1,
      flags: ["noscript", "loading", "stale", "skip_slowlog"],
      docs: {
        summary: "Execute all commands issued after MULTI",
        since: "1.2.0",
        complexity: "Depends on commands in the transaction",
      },
      // EXEC's own flags give no trait: its queue's are its.
      traitsFor: (c) => c.ext.tx?.traits ?? 0,
      timedByNested: true,
      handler: exec,
    }),
    command({
      name: "discard",
      arity: 1,
      flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
      docs: {
        summary: "Discard all commands issued after MULTI",
        since: "2.0.0",
        complexity: "O(N), when N is the number of queued commands",
      },
      handler(c) {
        const tx = c.ext.tx;
        if (tx?.queue === undefined) throw new ReplyError("ERR DISCARD without MULTI");
        discard(c, tx);
        c.reply.ok();
      },
    }),
    command({
      name: "watch",
      arity: -2,
      flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
      keySpecs: [keys.rest(1, ["RO"])],
      docs: {
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
        since: "2.2.0",
        complexity: "O(1) for every key.",
        arguments: [
          { name: "key", type: "key", keySpecIndex: 0, flags: ["multiple"] },
        ],
      },
      handler(c, argv) {
        const tx = state(c);
        if (tx.queue !== undefined) throw new ReplyError("ERR WATCH inside MULTI is not allowed");
        // Once dirty, EXEC fails whatever happens: watching more is moot.
        if (!tx.dirty) {
          const now = server.clock.now();
          for (let i = 1; i < argv.length; i++) watches.watch(tx, c.db, argv[i]!, now);
        }
        c.reply.ok();
      },
    }),
    command({
      name: "unwatch",
      arity: 1,
      flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
      docs: {
        summary: "Forget about all watched keys",
        since: "2.2.0",
        complexity: "O(1)",
      },
      handler(c) {
        const tx = c.ext.tx;
        if (tx !== undefined) {
          if (tx.watched.size !== 0) watches.unwatchAll(tx);
          tx.dirty = false;
        }
        c.reply.ok();
      },
    }),
  ];

  return {
    commands,
    admission: {
      "no-multi": {
        check: (c, cmd) =>
          c.flags.multi && cmd.flagSet.has("no_multi")
            ? "ERR Command not allowed inside a transaction"
            : undefined,
        armed: () => inMulti !== 0,
      },
    },
    hooks: {
      beforeCommand(c, cmd, argv) {
        const tx = c.ext.tx;
        if (tx === undefined || tx.queue === undefined) return true;
        const top = cmd.parent ?? cmd;
        if (IMMEDIATE.has(top.fullName)) return true;
        const traitsFor = cmd.spec.traitsFor;
        tx.traits |= traitsFor === undefined ? cmd.traits : traitsFor(c, argv, cmd.traits);
        tx.queue.push({ cmd, argv });
        tx.queueMem += argvMem(argv);
        c.lastCommand = cmd.fullName;
        // Queueing is not a rejection, though the dispatcher counts a
        // before-hook's refusal as one.
        cmd.rejectedCalls--;
        c.reply.simple("QUEUED");
        return false;
      },
      commandRejected(c, argv, error) {
        const tx = c.ext.tx;
        if (argv[0]!.toLowerCase() === "exec") {
          // As Redis's execCommandAbort: a refused EXEC ends the transaction.
          if (tx !== undefined) discard(c, tx);
          // A cluster redirection reaches the client as it is.
          if (/^(MOVED|ASK|CROSSSLOT|TRYAGAIN|CLUSTERDOWN) /.test(error)) return;
          return `EXECABORT Transaction discarded because of: ${error.replace(/^ERR /, "")}`;
        }
        if (tx?.queue !== undefined) tx.execAbort = true;
      },
      keyChanged(db, key) {
        watches.keyChanged(db, key);
      },
      databaseChanged(db, event) {
        if (event === "flush") {
          watches.flushed(db);
          return;
        }
        if (swapPending === undefined) {
          swapPending = db;
          // A lone swap event (no partner follows) is taken as a swap with
          // itself rather than left to pair with an unrelated one.
          queueMicrotask(() => {
            if (swapPending === undefined) return;
            const lone = swapPending;
            swapPending = undefined;
            watches.swapped(lone, lone, server.clock.now());
          });
          return;
        }
        const first = swapPending;
        swapPending = undefined;
        watches.swapped(first, db, server.clock.now());
      },
      clientReset(c) {
        const tx = c.ext.tx;
        if (tx !== undefined) discard(c, tx);
      },
      clientClosed(c) {
        const tx = c.ext.tx;
        if (tx !== undefined) discard(c, tx);
      },
      clientInfo(c): ClientInfoContribution | undefined {
        const tx = c.ext.tx;
        if (tx === undefined) return undefined;
        const d = tx.dirty ? "d" : "";
        if (tx.queue === undefined) return d === "" ? undefined : { flags: d };
        return { multi: tx.queue.length, multiMem: tx.queueMem, flags: "x" + d };
      },
      cron() {
        if ((multiArmed && inMulti === 0) || (watchArmed && watches.size === 0)) server.rearm();
      },
    },
    hooksArmed: {
      beforeCommand: () => (multiArmed = inMulti !== 0),
      keyChanged: () => (watchArmed = watches.size !== 0),
    },
  };
}

/** The transactions plugin: MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
export default definePlugin({
  name: "transactions",
  init,
});
