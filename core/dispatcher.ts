/**
 * The dispatcher: command lookup, arity, the admission phases, the
 * before/after hooks, the handler, statistics, default propagation and
 * the observers (MONITOR, SLOWLOG, latency tracking), which see every call
 * with its duration. Everything a command needs checked comes from its spec.
 *
 * @module
 */

import type {
  AdmissionCheck,
  Bytes,
  CallEnd,
  CommandEntry,
  CommandObserver,
  CommandObservers,
  SuspendedCall,
} from "./types.ts";
import type { HookLists } from "./registry.ts";
import type { Client } from "./client.ts";
import { ReplyError } from "./errors.ts";
import type { BlockingManager } from "./blocking.ts";
import { type Pause, POSTPONED } from "./pause.ts";

/** What the dispatcher needs from the server. */
export interface DispatchHost {
  readonly commands: ReadonlyMap<string, CommandEntry>;
  readonly hooks: HookLists;
  /** The admission checks, in phase order. */
  readonly admission: readonly AdmissionCheck[];
  readonly blocking: BlockingManager;
  /** Where CLIENT PAUSE is kept. */
  readonly keyspace: { readonly pause: Pause };
  dirty: number;
  readonly stats: { totalCommands: number };
  emitPropagate(dbIndex: number, argv: readonly Bytes[]): void;
  log(level: "warning", msg: string): void;
}

const CACHE_MAX = 512;
const SAMPLE = 16; // a power of two
const SHARE = 16;
/** Indexes of Dispatcher's #us: a run's estimated µs, the means, the guessed sum. */
const SHARED_US = 0, MEAN = 1, NESTED_MEAN = 2, GUESSED_US = 3;
/** Runs whose commands took more than this (µs, a pause) are timed one by one. */
const SHARE_MAX_US = 50;

/**
 * A command that suspended itself ({@link Context.suspendCall}) and goes on
 * in later tasks. What the dispatcher keeps of its call between steps: the
 * state `run` sets aside for a nested command, and what the end of the
 * call needs (its duration, the errors before it).
 */
export class PendingCall implements SuspendedCall {
  finished = false;
  /**
   * The call that goes on once this one ends: EXEC's, when a command of
   * its queue suspended.
   */
  outer: PendingCall | undefined = undefined;
  changes = 0;
  rewritten = false;
  nestedErrors = 0;
  errorsBefore = 0;
  /** Microseconds of the steps so far (while timed). */
  micros = 0;
  /** Timed as the dispatcher times calls: exactly, or one in SAMPLE. */
  exact = false;
  timed = false;
  /** A blocked command's re-run (counted when first made). */
  woken = false;

  constructor(
    readonly dispatcher: Dispatcher,
    readonly c: Client,
    readonly cmd: CommandEntry,
    readonly argv: Bytes[],
    public step: () => void,
  ) {}

  resume(): void {
    this.dispatcher.resumeCall(this);
  }
}

/**
 * Runs commands for clients. One per server.
 *
 * @example
 * ```ts
 * import { startServer } from "../mod.ts";
 * const s = await startServer({ port: 0, logger: () => {} });
 * const d = s.server.dispatcher;
 * const entry = d.resolve(["config", "get", "port"]);
 * console.log(typeof entry === "string" ? entry : entry.fullName); // "config|get"
 * console.log(d.resolve(["GET"])); // "ERR wrong number of arguments for 'get' command"
 * await s.close();
 * ```
 */
export class Dispatcher implements CommandObservers {
  // Raw command names as clients spell them ("GET", "get") -> entry, so the
  // hot path does not lower-case a string per command.
  #cache = new Map<string, CommandEntry>();
  #tick = 0;
  /** The observers' callbacks, rebuilt (never mutated) when they change. */
  #before: NonNullable<CommandObserver["before"]>[] = [];
  #after: NonNullable<CommandObserver["after"]>[] = [];
  /** The observer of each #after callback (for its `minMicros`). */
  #afterOf: CommandObserver[] = [];
  /**
   * Observers with `afterRun`, and the `after` callbacks of the others (with
   * their observers): an estimated call that ran goes to the pending run
   * (`#runCmd`, `#runUs`, `#runCalls`) for the first, one by one to these.
   */
  #runOf: CommandObserver[] = [];
  #afterSolo: NonNullable<CommandObserver["after"]>[] = [];
  #afterSoloOf: CommandObserver[] = [];
  #runCmd: CommandEntry | undefined;
  #runUs = 0;
  #runCalls = 0;
  #observers: CommandObserver[] = [];
  /**
   * Timing while observers need every call's duration: a clock read costs
   * ~80 ns, so a command pipelined behind another of the same client
   * starts where that one ended (its parsing is counted in) and costs one
   * read, not two. `#end` is the last read, valid until the event loop
   * may wait (a microtask forgets it); `#from` hands it to the next run.
   */
  #end = -1;
  #endClient: Client | undefined;
  #from = -1;
  /**
   * Pipelined cheap commands (`CommandEntry.isFast`) share clock reads: of a
   * client's run of them,
   * one in SHARE reads the clock, the others are given the last run's mean
   * (`#us[MEAN]`, µs; their sum so far is `#us[SHARED_US]`), and the one
   * that reads takes the run's measured time
   * less those estimates. A read costs as much as a pipelined GET's own
   * work; this keeps INFO commandstats' sums and the histograms' counts
   * exact. A fast command is not slow on its own: a run slower than
   * SHARE_MAX_US per command (a GC pause) has its next commands timed one
   * by one, so no estimate reaches the slow log.
   */
  #shared = 0;
  /**
   * The fast commands a script calls, or EXEC runs from its queue, are
   * timed one in SHARE too, alone (each pays Lua's or EXEC's work between
   * them, so none can start where another ended): the others are given
   * the mean of the last one timed (`#us[NESTED_MEAN]`). Their sums in INFO commandstats are
   * then estimates; the script's or EXEC's own time, read around it,
   * stays exact.
   */
  #nestedTick = 0;
  /**
   * Calls run, and of those the ones given an estimate (and its sum,
   * `#us[GUESSED_US]`): a
   * {@link CommandSpec.timedByNested} call whose nested calls were all
   * estimated joins the shared run as their sum plus one mean, instead of
   * reading the clock (EXEC of a queue of cheap commands, pipelined).
   */
  #runs = 0;
  #guessed = 0;
  #expiring = false;
  /**
   * The sums and means above (µs), as doubles in an array: kept in fields,
   * every sum stored per call boxed a new number (a pipelined GET then
   * allocated 15% more, one scavenge in seven).
   */
  readonly #us = new Float64Array(4);
  readonly #expire = (): void => {
    this.#end = -1;
    this.#expiring = false;
    this.#flushRun();
  };

  constructor(readonly host: DispatchHost) {}

  observe(observer: CommandObserver): () => void {
    this.#observers = [...this.#observers, observer];
    this.#rebuild();
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
      this.#rebuild();
    };
  }

  #rebuild(): void {
    this.#flushRun();
    const os = this.#observers;
    this.#before = os.flatMap((o) => o.before ? [o.before.bind(o)] : []);
    this.#after = os.flatMap((o) => o.after ? [o.after.bind(o)] : []);
    this.#afterOf = os.filter((o) => o.after !== undefined);
    this.#runOf = os.filter((o) => o.afterRun !== undefined);
    this.#afterSolo = os.flatMap((o) => o.after && !o.afterRun ? [o.after.bind(o)] : []);
    this.#afterSoloOf = os.filter((o) => o.after !== undefined && o.afterRun === undefined);
  }

  /** Delivers the pending run of estimated calls to the `afterRun` observers. */
  #flushRun(): void {
    const n = this.#runCalls;
    if (n === 0) return;
    this.#runCalls = 0;
    const os = this.#runOf, cmd = this.#runCmd!, us = this.#runUs;
    this.#runCmd = undefined;
    for (let i = 0; i < os.length; i++) os[i]!.afterRun!(cmd, us, n);
  }

  /** Finds a command by any spelling of its name. */
  lookup(name: string): CommandEntry | undefined {
    let cmd = this.#cache.get(name);
    if (cmd !== undefined) return cmd;
    cmd = this.host.commands.get(name.toLowerCase());
    if (cmd !== undefined && this.#cache.size < CACHE_MAX) this.#cache.set(name, cmd);
    return cmd;
  }

  /**
   * The first key of a command by its table entry's key positions, or
   * undefined (an unknown command, or none): what is worth prefetching.
   */
  firstKey(argv: Bytes[]): Bytes | undefined {
    const cmd = this.lookup(argv[0]!);
    if (cmd === undefined) return undefined;
    const first = cmd.legacyKeys[0];
    return first > 0 && first < argv.length ? argv[first] : undefined;
  }

  /**
   * Resolves argv to a runnable entry (subcommand included) or an error
   * message, without running anything.
   */
  resolve(argv: Bytes[]): CommandEntry | string {
    let cmd = this.lookup(argv[0]!);
    if (cmd === undefined) return unknownCommand(argv);
    if (cmd.subcommands !== undefined && argv.length >= 2) {
      const sub = cmd.subcommands.get(argv[1]!.toLowerCase());
      if (sub === undefined) {
        return `ERR unknown subcommand '${
          clip(argv[1]!, 128)
        }'. Try ${cmd.spec.name.toUpperCase()} HELP.`;
      }
      cmd = sub;
    }
    const arity = cmd.spec.arity;
    const argc = argv.length;
    if ((arity > 0 && argc !== arity) || argc < -arity) {
      cmd.rejectedCalls++;
      return `ERR wrong number of arguments for '${cmd.fullName}' command`;
    }
    return cmd;
  }

  /** Runs one command for a client; the reply goes to its writer. */
  execute(c: Client, argv: Bytes[]): void {
    const host = this.host;
    const hooks = host.hooks;
    const cmd = this.resolve(argv);
    if (typeof cmd === "string") {
      this.#reject(c, argv, cmd);
      return;
    }
    // Admission, phase by phase (see AdmissionPhase): the first refusal
    // is the reply.
    const checks = host.admission;
    if (checks.length !== 0) {
      const traitsFor = cmd.spec.traitsFor;
      const traits = traitsFor === undefined ? cmd.traits : traitsFor(c, argv, cmd.traits);
      for (let i = 0; i < checks.length; i++) {
        const err = checks[i]!(c, cmd, argv, traits, false);
        if (err !== undefined) {
          cmd.rejectedCalls++;
          this.#reject(c, argv, err);
          return;
        }
      }
    }
    // CLIENT PAUSE: the command waits for its end (a replica never does).
    if (
      host.keyspace.pause.level !== 0 && c.kind !== "replica" && c.flags.neverPaused !== true &&
      this.#postpone(c, cmd, argv)
    ) {
      return;
    }
    const before = hooks.beforeCommand;
    for (let i = 0; i < before.length; i++) {
      if (!before[i]!(c, cmd, argv)) {
        cmd.rejectedCalls++;
        return;
      }
    }
    this.runNext(c, cmd, argv, true);
    if (host.blocking.hasReady) host.blocking.serveReady();
  }

  /**
   * Runs an already checked command as the next of `c`'s pipelined run: a
   * command that follows another of the same client in the same task
   * starts where that one ended, so a run of cheap commands reads the
   * clock once in SHARE rather than twice each. Every command
   * {@link Dispatcher.execute} admits runs so, as does a replica applying
   * its master's stream.
   */
  runNext(c: Client, cmd: CommandEntry, argv: Bytes[], suspendable = false): void {
    if (c === this.#endClient) this.#from = this.#end;
    this.run(c, cmd, argv, suspendable);
    this.#endClient = c;
    if (this.#end >= 0 && !this.#expiring) {
      this.#expiring = true;
      queueMicrotask(this.#expire);
    }
  }

  /**
   * Parks `c` with its command while the pause holds it (Redis's
   * BLOCKED_POSTPONE: a blocked client, no key, no timeout); when the pause
   * ends the command goes through admission again, then the client reads
   * on. False when the pause lets the command through.
   */
  #postpone(c: Client, cmd: CommandEntry, argv: Bytes[]): boolean {
    const pause = this.host.keyspace.pause;
    const traitsFor = cmd.spec.traitsFor;
    if (!pause.holds(traitsFor === undefined ? cmd.traits : traitsFor(c, argv, cmd.traits))) {
      return false;
    }
    const blocking = this.host.blocking;
    c.lastCommand = cmd.fullName;
    blocking.block(c, cmd, argv, { keys: [], timeoutMs: 0, type: "", data: POSTPONED });
    pause.whenOver(() => {
      // Gone meanwhile (closed, or unblocked another way).
      if (c.blockState?.spec.data !== POSTPONED) return;
      blocking.unblock(c, "gone");
      this.execute(c, argv);
      if (!c.suspended) c.resume();
    });
    return true;
  }

  /**
   * Replies a refusal (Redis's rejectCommand). The commandRejected hooks
   * see it first: MULTI fails its transaction, EXEC rewords it as
   * EXECABORT.
   */
  #reject(c: Client, argv: Bytes[], error: string): void {
    let msg = error;
    const hooks = this.host.hooks.commandRejected;
    for (let i = 0; i < hooks.length; i++) msg = hooks[i]!(c, argv, msg) ?? msg;
    c.reply.error(msg);
  }

  /**
   * Runs an already checked command: handler, statistics, propagation and
   * after-hooks. EXEC calls it for each queued command on the same client:
   * the running command's state (its changes, its errors, what block()
   * re-runs) is set aside meanwhile, so each nested command is counted and
   * propagated as its own and EXEC as neither. A blocked command's re-run
   * is not counted as a call again (Redis counts the call when made).
   */
  run(c: Client, cmd: CommandEntry, argv: Bytes[], suspendable = false): void {
    const host = this.host;
    const sums = this.#us;
    const w = c.reply;
    const after = host.hooks.afterCommand;
    const from = this.#from;
    this.#from = -1;
    const woken = c.blockState;
    const before = this.#before;
    if (before.length !== 0 && woken === undefined) {
      for (let i = 0; i < before.length; i++) before[i]!(c, cmd, argv);
    }
    const observers = this.#after, observerOf = this.#afterOf;
    const errorsBefore = w.errorCount;
    const outerChanges = c.changes, outerRewritten = c.rewritten, outerNested = c.nestedErrors;
    const outerCmd = c.runningCmd, outerArgv = c.runningArgv;
    const outerSuspendable = c.suspendable, outerStepping = c.stepping;
    c.changes = 0;
    c.rewritten = false;
    c.nestedErrors = 0;
    c.lastCommand = cmd.fullName;
    c.runningCmd = cmd;
    c.runningArgv = argv;
    c.suspendable = suspendable;
    c.stepping = undefined;
    c.suspending = undefined;
    // performance.now() costs ~90 ns, a tenth of a pipelined GET. Without
    // after-command hooks or observers (which need exact times), time one
    // call in SAMPLE and scale, which keeps INFO commandstats' averages right.
    const exact = after.length !== 0 || observers.length !== 0;
    const timed = exact || (this.#tick++ & (SAMPLE - 1)) === 0;
    if (from < 0) {
      this.#shared = 0;
      sums[SHARED_US] = 0;
    }
    const fastWhen = cmd.fastWhen;
    const fast = cmd.isFast || (fastWhen !== undefined && fastWhen(argv));
    const share = from >= 0 && exact && fast && woken === undefined &&
      after.length === 0 && this.#shared < SHARE - 1 && sums[MEAN]! < SHARE_MAX_US;
    const nestedFast = from < 0 && exact && fast &&
      (c.flags.script === true || outerCmd !== undefined) && woken === undefined &&
      after.length === 0;
    const guess = nestedFast && (this.#nestedTick++ & (SHARE - 1)) !== 0 &&
      sums[NESTED_MEAN]! < SHARE_MAX_US;
    const runs0 = ++this.#runs;
    const byNested = cmd.timedByNested && from >= 0 && exact && woken === undefined &&
      after.length === 0;
    const guessed0 = this.#guessed, guessedUs0 = sums[GUESSED_US]!;
    // A call that reads the clock settles the run so far (before any
    // nested call starts a run of its own).
    let owed = 0, owedCalls = 0;
    if (!share) {
      // What runs now may read what the pending run's observers keep.
      if (this.#runCalls !== 0) this.#flushRun();
      owed = sums[SHARED_US]!;
      owedCalls = this.#shared;
      this.#shared = 0;
      sums[SHARED_US] = 0;
    }
    const t0 = !timed || guess ? 0 : exact && from >= 0 ? from : performance.now();
    if (cmd.isWrite) {
      const bw = host.hooks.beforeWrite;
      for (let i = 0; i < bw.length; i++) bw[i]!(c, cmd, argv);
    }
    try {
      cmd.spec.handler!(c, argv);
    } catch (e) {
      replyThrown(host, c, cmd, e);
    }
    c.suspendable = outerSuspendable;
    c.stepping = outerStepping;
    // (The handler may have set it: not the undefined set above.)
    const pending = c.suspending as PendingCall | undefined;
    if (pending !== undefined) {
      // The call goes on later: its end (statistics, propagation, hooks)
      // comes with its last step.
      c.suspending = undefined;
      pending.changes = c.changes;
      pending.rewritten = c.rewritten;
      pending.nestedErrors = c.nestedErrors;
      pending.errorsBefore = errorsBefore;
      pending.exact = exact;
      pending.timed = timed;
      pending.micros = timed && !guess ? (performance.now() - t0) * 1000 - owed : 0;
      pending.woken = woken !== undefined;
      c.changes = outerChanges;
      c.rewritten = outerRewritten;
      c.nestedErrors = outerNested;
      c.runningCmd = outerCmd;
      c.runningArgv = outerArgv;
      return;
    }
    let us = 0;
    // Its nested calls, all estimated: so is it (no clock read).
    const nested = this.#runs - runs0;
    const estimated = byNested && this.#guessed - guessed0 === nested &&
      owedCalls + 1 + nested < SHARE && sums[MEAN]! < SHARE_MAX_US;
    if (guess) {
      us = sums[NESTED_MEAN]!;
      cmd.usec += us;
      this.#guessed++;
      sums[GUESSED_US] = sums[GUESSED_US]! + us;
    } else if (estimated) {
      // The settled run is owed again, weighted as the calls it holds.
      us = sums[MEAN]! + sums[GUESSED_US]! - guessedUs0;
      this.#shared = owedCalls + 1 + nested;
      sums[SHARED_US] = owed + us;
      cmd.usec += us;
    } else if (share) {
      // The run's start stays in #end for the next command to chain from.
      us = sums[MEAN]!;
      this.#shared++;
      sums[SHARED_US] = sums[SHARED_US]! + us;
      cmd.usec += us;
    } else if (timed) {
      const t1 = performance.now();
      const run = (t1 - t0) * 1000;
      us = run - owed;
      if (us < 0) us = 0;
      if (fast) sums[MEAN] = run / (owedCalls + 1);
      if (nestedFast) sums[NESTED_MEAN] = us;
      cmd.usec += exact ? us : us * SAMPLE;
      this.#end = exact ? t1 : -1;
    }
    if (woken === undefined) {
      cmd.calls++;
      c.commands++;
      host.stats.totalCommands++;
    }
    // Errors of nested commands are theirs (an EXEC whose queue had one
    // did not fail).
    const errors = w.errorCount - errorsBefore;
    if (errors !== c.nestedErrors) cmd.failedCalls++;
    if (
      c.changes !== 0 && !c.rewritten && !c.noPropagation && host.hooks.propagate.length !== 0
    ) {
      host.emitPropagate(c.db.index, argv);
    }
    c.changes = outerChanges;
    c.rewritten = outerRewritten;
    c.nestedErrors = outerNested + errors;
    c.runningCmd = outerCmd;
    c.runningArgv = outerArgv;
    if (observers.length !== 0 && share && c.blockState === undefined && this.#runOf.length !== 0) {
      // An estimated call that ran: into the pending run (same command,
      // same estimate) for the observers that take runs.
      if (cmd !== this.#runCmd || us !== this.#runUs) {
        this.#flushRun();
        this.#runCmd = cmd;
        this.#runUs = us;
      }
      this.#runCalls++;
      const solo = this.#afterSolo, soloOf = this.#afterSoloOf;
      for (let i = 0; i < solo.length; i++) {
        const min = soloOf[i]!.minMicros;
        if (min !== undefined && us < min) continue;
        solo[i]!(c, cmd, argv, us, "ran");
      }
    } else if (observers.length !== 0) {
      const blocked = c.blockState;
      // A re-run that found nothing again is still the same pending call.
      if (woken === undefined || !woken.reblocked) {
        const end: CallEnd = woken !== undefined
          ? "woken"
          : blocked !== undefined
          ? "blocked"
          : "ran";
        for (let i = 0; i < observers.length; i++) {
          const min = observerOf[i]!.minMicros;
          if (min !== undefined && us < min && end === "ran") continue;
          observers[i]!(c, cmd, argv, us, end);
        }
      }
    }
    for (let i = 0; i < after.length; i++) after[i]!(c, cmd, argv, us);
  }

  /**
   * Suspends the command running for `c` (see {@link Context.suspendCall}):
   * a new pending call, or the same one when its step suspends again.
   * Nested commands that suspended first (EXEC's queue) go on before it.
   */
  suspendCall(c: Client, step: () => void): PendingCall | undefined {
    if (!c.suspendable) return undefined;
    let p = c.stepping;
    if (p !== undefined) p.step = step;
    else p = new PendingCall(this, c, c.runningCmd!, c.runningArgv, step);
    const inner = c.pendingCall;
    if (inner === undefined) {
      c.pendingCall = p;
    } else if (inner !== p) {
      let q = inner;
      while (q.outer !== undefined) q = q.outer;
      q.outer = p;
    }
    c.suspending = p;
    c.suspended = true;
    return p;
  }

  /**
   * Runs a pending call's next step, as part of its call; when the step
   * finishes it, the call ends as {@link Dispatcher.run} ends one, and then
   * the call waiting on it goes on, or the client reads on.
   */
  resumeCall(p: PendingCall): void {
    const c = p.c;
    if (p.finished || c.pendingCall !== p) return;
    c.pendingCall = undefined;
    const host = this.host;
    const cmd = p.cmd;
    const outerChanges = c.changes, outerRewritten = c.rewritten, outerNested = c.nestedErrors;
    const outerCmd = c.runningCmd, outerArgv = c.runningArgv;
    const outerSuspendable = c.suspendable, outerStepping = c.stepping;
    c.changes = p.changes;
    c.rewritten = p.rewritten;
    c.nestedErrors = p.nestedErrors;
    c.lastCommand = cmd.fullName;
    c.runningCmd = cmd;
    c.runningArgv = p.argv;
    c.suspendable = true;
    c.stepping = p;
    c.suspending = undefined;
    const t0 = p.timed ? performance.now() : 0;
    try {
      p.step();
    } catch (e) {
      replyThrown(host, c, cmd, e);
    }
    if (p.timed) p.micros += (performance.now() - t0) * 1000;
    const again = (c.suspending as PendingCall | undefined) === p;
    c.suspending = undefined;
    c.suspendable = outerSuspendable;
    c.stepping = outerStepping;
    if (again) {
      p.changes = c.changes;
      p.rewritten = c.rewritten;
      p.nestedErrors = c.nestedErrors;
    } else {
      this.#endCall(p);
    }
    c.changes = outerChanges;
    c.rewritten = outerRewritten;
    c.nestedErrors = outerNested;
    c.runningCmd = outerCmd;
    c.runningArgv = outerArgv;
    if (again) return;
    const outer = p.outer;
    if (outer !== undefined) {
      c.pendingCall = outer;
      this.resumeCall(outer);
      return;
    }
    c.suspended = c.blockState !== undefined;
    if (host.blocking.hasReady) host.blocking.serveReady();
    if (!c.suspended) c.resume();
  }

  /** The end of a pending call's last step: what `run` does after a handler. */
  #endCall(p: PendingCall): void {
    p.finished = true;
    const host = this.host;
    const c = p.c, cmd = p.cmd, argv = p.argv;
    const us = p.micros;
    if (p.timed) cmd.usec += p.exact ? us : us * SAMPLE;
    if (!p.woken) {
      cmd.calls++;
      c.commands++;
      host.stats.totalCommands++;
    }
    const errors = c.reply.errorCount - p.errorsBefore;
    if (errors !== c.nestedErrors) cmd.failedCalls++;
    if (
      c.changes !== 0 && !c.rewritten && !c.noPropagation && host.hooks.propagate.length !== 0
    ) {
      host.emitPropagate(c.db.index, argv);
    }
    // The call this one ran in counts its errors as nested ones.
    if (p.outer !== undefined) p.outer.nestedErrors += errors;
    const observers = this.#after, of = this.#afterOf;
    if (p.exact && observers.length !== 0) {
      const end: CallEnd = p.woken ? "woken" : "ran";
      for (let i = 0; i < observers.length; i++) {
        const min = of[i]!.minMicros;
        if (min !== undefined && us < min && end === "ran") continue;
        observers[i]!(c, cmd, argv, us, end);
      }
    }
    const after = host.hooks.afterCommand;
    for (let i = 0; i < after.length; i++) after[i]!(c, cmd, argv, us);
  }
}

/** The reply for a handler's exception (a non-ReplyError is a bug: logged). */
function replyThrown(host: DispatchHost, c: Client, cmd: CommandEntry, e: unknown): void {
  if (e instanceof ReplyError) {
    c.reply.error(e.message);
  } else {
    host.log("warning", `command '${cmd.fullName}' failed: ${(e as Error)?.stack ?? e}`);
    c.reply.error(`ERR ${(e as Error)?.message ?? e}`);
  }
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

/** Redis's unknown-command error, with the first arguments quoted. */
export function unknownCommand(argv: Bytes[]): string {
  let args = "";
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    args += `'${clip(argv[i]!, 128 - args.length)}' `;
  }
  return `ERR unknown command '${clip(argv[0]!, 128)}', with args beginning with: ${args}`;
}
