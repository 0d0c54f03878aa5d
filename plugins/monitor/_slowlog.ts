/**
 * The slow log (Redis's slowlog.c): commands that ran for at least
 * `slowlog-log-slower-than` microseconds, newest first, at most
 * `slowlog-max-len` of them, each with its arguments (redacted, at most 32
 * of at most 128 bytes each), the client's address and name.
 *
 * @module
 */

import type {
  Bytes,
  CallEnd,
  CommandEntry,
  CommandObserver,
  CommandSpec,
  Context,
  ServerApi,
} from "../../core/types.ts";
import { ReplyError } from "../../core/errors.ts";
import { parseInteger } from "../../core/number.ts";
import { helpSubcommand } from "../../core/help.ts";
import { redactArgv } from "./_redact.ts";

/** Arguments an entry keeps; the last one kept says how many more there were. */
const MAX_ARGC = 32;
/** Bytes an argument keeps; the rest is counted. */
const MAX_STRING = 128;

/** One slow log entry, as SLOWLOG GET replies it. */
export interface SlowlogEntry {
  readonly id: number;
  /** Unix time in seconds. */
  readonly time: number;
  readonly micros: number;
  readonly argv: readonly Bytes[];
  /** The client's address (`?:0` for a script's commands). */
  readonly peer: string;
  readonly name: string;
}

/**
 * An entry's arguments as Redis's `slowlogCreateEntry` keeps them.
 *
 * @example
 * ```ts
 * import { entryArgs } from "./_slowlog.ts";
 * console.log(entryArgs(["SET", "k", "x".repeat(130)])[2]); // "xxx...x... (2 more bytes)"
 * ```
 */
export function entryArgs(argv: readonly Bytes[]): Bytes[] {
  const argc = Math.min(argv.length, MAX_ARGC);
  const out: Bytes[] = [];
  for (let j = 0; j < argc; j++) {
    if (argc !== argv.length && j === argc - 1) {
      out.push(`... (${argv.length - argc + 1} more arguments)`);
      continue;
    }
    const a = argv[j]!;
    out.push(
      a.length > MAX_STRING
        ? `${a.slice(0, MAX_STRING)}... (${a.length - MAX_STRING} more bytes)`
        : a,
    );
  }
  return out;
}

/** The address Redis's `getClientPeerId` gives a client (`?:0` without a connection). */
export function peerId(c: Context): string {
  return c.addr === "" ? "?:0" : c.addr;
}

/** One server's slow log. */
export class SlowLog {
  /** Oldest first. */
  #entries: SlowlogEntry[] = [];
  #nextId = 0;
  /**
   * What blocked calls cost before they blocked: a call woken up is logged
   * with it (Redis's updateStatsOnUnblock). One that times out is not
   * logged at all, as in Redis 7.0; its entry is replaced at the next block.
   */
  #blocked = new WeakMap<Context, number>();
  /** `slowlog-log-slower-than` (µs); negative: off. */
  threshold = 10000;
  /** `slowlog-max-len`. */
  maxLen = 128;
  #stop: (() => void) | undefined;

  constructor(readonly server: ServerApi) {}

  /** Observes commands while the log is on, and only then. */
  setThreshold(us: number): void {
    this.threshold = us;
    this.#observer.minMicros = us;
    if (us >= 0 && this.#stop === undefined) {
      this.#stop = this.server.dispatcher.observe(this.#observer);
    } else if (us < 0 && this.#stop !== undefined) {
      this.#stop();
      this.#stop = undefined;
    }
  }

  readonly #observer: CommandObserver = {
    after: (c, cmd, argv, micros, end) => this.#after(c, cmd, argv, micros, end),
    minMicros: 10000,
  };

  #after(c: Context, cmd: CommandEntry, argv: Bytes[], micros: number, end: CallEnd): void {
    if (end === "ran") {
      if (micros >= this.threshold) this.#log(c, cmd, argv, micros);
    } else if (end === "blocked") {
      this.#blocked.set(c, micros);
    } else {
      const total = (this.#blocked.get(c) ?? 0) + micros;
      if (total >= this.threshold) this.#log(c, cmd, argv, total);
    }
  }

  #log(c: Context, cmd: CommandEntry, argv: Bytes[], micros: number): void {
    // Off (the command that turned it off), or AOF loading replaying
    // commands (not new work), as in Redis.
    if (this.threshold < 0 || this.server.keyspace.loading) return;
    if (cmd.flagSet.has("skip_slowlog")) return;
    this.#entries.push({
      id: this.#nextId++,
      time: Math.floor(this.server.clock.now() / 1000),
      micros: Math.floor(micros),
      argv: entryArgs(redactArgv(cmd, argv)),
      peer: peerId(c),
      name: c.name,
    });
    // Trimmed here only, as Redis does: a smaller slowlog-max-len shows at
    // the next entry.
    const over = this.#entries.length - this.maxLen;
    if (over > 0) this.#entries.splice(0, over);
  }

  /** The newest `count` entries, newest first. */
  newest(count: number): SlowlogEntry[] {
    const e = this.#entries;
    const out: SlowlogEntry[] = [];
    for (let i = e.length - 1; i >= 0 && out.length < count; i--) out.push(e[i]!);
    return out;
  }

  get length(): number {
    return this.#entries.length;
  }

  reset(): void {
    this.#entries = [];
  }
}

const HELP = [
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
];

const COUNT_ERROR = "ERR count should be greater than or equal to -1";

/** SLOWLOG GET's reply. */
function slowlogGet(log: SlowLog, c: Context, argv: Bytes[]): void {
  if (argv.length > 3) {
    throw new ReplyError(
      `ERR unknown subcommand or wrong number of arguments for '${
        argv[1]!.slice(0, 128)
      }'. Try SLOWLOG HELP.`,
    );
  }
  let count = 10;
  if (argv.length === 3) {
    const n = parseInteger(argv[2]!);
    if (n === undefined || n < -1) throw new ReplyError(COUNT_ERROR);
    count = n === -1 ? log.length : n;
  }
  const r = c.reply;
  const entries = log.newest(count);
  r.array(entries.length);
  for (const e of entries) {
    r.array(6);
    r.integer(e.id);
    r.integer(e.time);
    r.integer(e.micros);
    r.bulkArray(e.argv);
    r.bulk(e.peer);
    r.bulk(e.name);
  }
}

/** The SLOWLOG container command. */
export function slowlogCommand(log: SlowLog): CommandSpec {
  return {
    name: "slowlog",
    arity: -2,
    flags: [],
    docs: {
      summary: "A container for slow log commands",
      since: "2.2.12",
      complexity: "Depends on subcommand.",
    },
    subcommands: [
      {
        name: "len",
        arity: 2,
        flags: ["admin", "loading", "stale"],
        tips: ["request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"],
        docs: { summary: "Get the slow log's length", since: "2.2.12", complexity: "O(1)" },
        handler: (c) => c.reply.integer(log.length),
      },
      helpSubcommand(HELP, "6.2.0"),
      {
        name: "get",
        arity: -2,
        flags: ["admin", "loading", "stale"],
        tips: ["request_policy:all_nodes", "nondeterministic_output"],
        docs: {
          summary: "Get the slow log's entries",
          since: "2.2.12",
          complexity: "O(N) where N is the number of entries returned",
          history: [["4.0.0", "Added client IP address, port and name to the reply."]],
          arguments: [{ name: "count", type: "integer", flags: ["optional"] }],
        },
        handler: (c, argv) => slowlogGet(log, c, argv),
      },
      {
        name: "reset",
        arity: 2,
        flags: ["admin", "loading", "stale"],
        tips: ["request_policy:all_nodes", "response_policy:all_succeeded"],
        docs: {
          summary: "Clear all entries from the slow log",
          since: "2.2.12",
          complexity: "O(N) where N is the number of entries in the slowlog",
        },
        handler(c) {
          log.reset();
          c.reply.ok();
        },
      },
    ],
  };
}
