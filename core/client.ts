/**
 * A connected client: its protocol state, its buffers and what Redis shows
 * about it in CLIENT LIST. Implements the handler {@link Context}.
 *
 * @module
 */

import type {
  Bytes,
  ClientBuffers,
  ClientExtensions,
  ClientFlags,
  Context,
  EventClass,
  ReplyWriter,
  ServerApi,
} from "./types.ts";
import type { Database } from "./keyspace.ts";
import { BufferWriter } from "./resp/writer.ts";
import { RequestParser } from "./resp/parser.ts";
import type { BlockSpec, BlockState } from "./blocking.ts";
import type { CommandEntry, SuspendedCall } from "./types.ts";
import type { PendingCall } from "./dispatcher.ts";

/** The bytes of a command's arguments (Redis's `argv_len_sum`). */
function argvBytes(argv: readonly Bytes[] | undefined): number {
  let n = 0;
  for (const a of argv ?? []) n += a.length;
  return n;
}

/** What the server needs from a client to run it. */
export interface ClientHost extends ServerApi {
  /** Called by {@link Client.resume} to run input parked while suspended. */
  resumeClient(c: Client): void;
  /** Writes a client's buffered output (see {@link Client.flush}). */
  flushClient(c: Client): void;
  /** Parks a client (see {@link Client.block}). */
  blockClient(c: Client, cmd: CommandEntry, argv: Bytes[], spec: BlockSpec): void;
  /** Suspends the running command (see {@link Client.suspendCall}). */
  suspendCall(c: Client, step: () => void): SuspendedCall | undefined;
}

/**
 * A client's state: its parser and reply buffers, its flags and the command
 * it runs. The loop that reads its socket and writes its replies is
 * `Connections` in `connection.ts`; an internal client (AOF loading, a
 * replica's link, a script) has no socket.
 */
export class Client implements Context {
  readonly writer: BufferWriter;
  readonly parser: RequestParser;
  readonly createdAt: number;
  lastInteraction: number;
  name = "";
  user = "default";
  libName = "";
  libVer = "";
  lastCommand = "NULL";
  /** Commands to run before its keys are prefetched again (see `connection.ts`). */
  prefetchPause = 0;
  readonly flags: ClientFlags = {
    multi: false,
    closeAfterReply: false,
    noEvict: false,
    replyMode: "on",
  };
  readonly ext: ClientExtensions = {};
  /** True once the connection is closing or closed. */
  closed = false;
  /** The socket (unset for internal clients). */
  conn: Deno.Conn | undefined;
  /**
   * While true, input is not processed (a blocked command waits); parsed
   * commands stay queued and run in order on {@link Client.resume}.
   */
  suspended = false;
  /** The blocked command's registration, while blocked. */
  blockState: BlockState | undefined;
  blockable = true;
  /** The command running now and its arguments (set by the dispatcher). */
  runningCmd: CommandEntry | undefined;
  runningArgv: Bytes[] = [];
  /** The running command may suspend (set by the dispatcher). */
  suspendable = false;
  /** The innermost suspended call, while one waits. */
  pendingCall: PendingCall | undefined;
  /** The pending call whose step is running (set by the dispatcher). */
  stepping: PendingCall | undefined;
  /** Set when the running command or step suspended (read by the dispatcher). */
  suspending: PendingCall | undefined;
  /**
   * Changes the running command counted (see {@link Context.changed}); the
   * dispatcher propagates the command when there are some.
   */
  changes = 0;
  /** The running command propagated a rewritten form of itself. */
  rewritten = false;
  noPropagation = false;
  /** Errors replied by commands run inside the running one (EXEC's queue). */
  nestedErrors = 0;
  /** Bytes in flight to the socket (for output buffer limits). */
  outputPending = 0;
  /** {@link outputPending} as the cron last saw it (progress is interaction). */
  pendingSeen = -1;
  /** When the output buffer first went over the soft limit (0 = not over). */
  softLimitSince = 0;
  /**
   * The most reply bytes flushed at once since `outputPeakAt` (Redis's
   * reply buffer peak, reset every 5 s by the cron).
   */
  outputPeak = 0;
  outputPeakAt = 0;
  kind: "normal" | "pubsub" | "replica" = "normal";
  /**
   * The write in progress, if any: its promise, or `true` while the
   * client's read loop writes a batch's replies itself.
   */
  writing: Promise<void> | true | undefined;
  /** Total commands this client ran. */
  commands = 0;
  /** Set by the server to close the socket. */
  closer: (() => void) | undefined;

  #reply: ReplyWriter | undefined;

  constructor(
    readonly id: number,
    readonly server: ClientHost,
    public db: Database,
    readonly addr: string,
    readonly laddr: string,
    reply?: ReplyWriter,
  ) {
    this.#reply = reply;
    const now = server.clock.now();
    this.createdAt = now;
    this.lastInteraction = now;
    this.writer = new BufferWriter();
    this.parser = new RequestParser({
      maxBulk: server.config.number("proto-max-bulk-len"),
      maxQuery: server.config.number("client-query-buffer-limit"),
    });
  }

  /** Where replies go: the socket's buffer, or an internal client's writer. */
  get reply(): ReplyWriter {
    return this.#reply ?? this.writer;
  }

  get resp(): 2 | 3 {
    return this.writer.resp;
  }

  set resp(v: 2 | 3) {
    this.writer.resp = v;
  }

  changed(key: Bytes, event: string, cls: EventClass, dirty = 1): void {
    this.changes += dirty;
    this.server.emitKeyChanged(this.db, key, event, cls, dirty);
  }

  changedIn(db: Database, key: Bytes, event: string, cls: EventClass, dirty = 1): void {
    this.changes += dirty;
    this.server.emitKeyChanged(db, key, event, cls, dirty);
  }

  wrote(n = 1): void {
    this.changes += n;
    this.server.dirty += n;
  }

  propagate(argv: readonly Bytes[]): void {
    this.rewritten = true;
    if (!this.noPropagation) this.server.emitPropagate(this.db.index, argv);
  }

  preventPropagation(): void {
    this.rewritten = true;
  }

  get propagating(): boolean {
    return !this.noPropagation && this.server.propagating;
  }

  setReplyMode(mode: "on" | "off" | "skip"): void {
    // SKIP applies to the next command; the connection loop turns it back.
    if (mode === "skip") {
      if (this.flags.replyMode !== "off") this.flags.replyMode = "skip";
      return;
    }
    this.flags.replyMode = mode;
    this.writer.enabled = mode === "on";
  }

  beginPush(): boolean {
    const restore = this.writer.enabled;
    // An internal client's writer output goes nowhere: keep it off.
    if (this.conn !== undefined) this.writer.enabled = true;
    return restore;
  }

  endPush(restore: boolean): void {
    this.writer.enabled = restore;
  }

  get strictInput(): boolean {
    return this.parser.strict;
  }

  set strictInput(on: boolean) {
    this.parser.strict = on;
  }

  get buffers(): ClientBuffers {
    return {
      query: this.parser.pending,
      queryCapacity: this.parser.buf.length,
      output: this.writer.len,
      outputCapacity: this.writer.buf.length,
      inFlight: this.outputPending,
      writing: this.writing !== undefined,
      outputPeak: Math.max(this.outputPeak, this.writer.len),
      heldArgv: this.blockState === undefined
        ? this.parser.partialArgvBytes
        : argvBytes(this.blockState.argv),
    };
  }

  close(): void {
    this.flags.closeAfterReply = true;
  }

  suspend(): () => void {
    this.suspended = true;
    return () => {
      if (!this.closed) this.resume();
    };
  }

  suspendCall(step: () => void): SuspendedCall | undefined {
    return this.server.suspendCall(this, step);
  }

  get blockedData(): unknown {
    return this.blockState?.spec.data;
  }

  block(spec: BlockSpec): void {
    if (!this.blockable && this.blockState === undefined) {
      if (spec.onTimeout) spec.onTimeout(this);
      else this.reply.nullArray();
      return;
    }
    this.server.blockClient(this, this.runningCmd!, this.runningArgv, spec);
  }

  flush(): void {
    this.server.flushClient(this);
  }

  /** Continues processing input after a suspension. */
  resume(): void {
    this.suspended = false;
    // Its command's reply goes out now, which counts as interaction
    // (`timeout`), as the write does in Redis: a command that took long is
    // not the client idling.
    this.lastInteraction = this.server.clock.now();
    this.server.resumeClient(this);
  }
}
