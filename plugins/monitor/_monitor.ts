/**
 * MONITOR (Redis's `replicationFeedMonitors`): every command that runs,
 * nested ones included, as a status line to each monitoring client, once
 * it has run (so SELECT shows the database it selected), in the order
 * Redis shows them: EXEC's commands before EXEC, a script's before the
 * script ends but after the script itself (EVAL and FCALL are shown
 * before they run). Administrative commands are not shown, nor a blocked
 * command's re-run.
 *
 * @module
 */

import type {
  AdmissionCheck,
  ArmedCheck,
  Bytes,
  CallEnd,
  CommandEntry,
  CommandObserver,
  Context,
  ServerApi,
} from "../../core/types.ts";
import { Trait } from "../../core/types.ts";
import { reprArg } from "../../core/conf_file.ts";
import { redactArgv } from "./_redact.ts";

/** The commands that show themselves before they run (evalCommand, fcallCommand). */
const SHOWN_BEFORE = new Set(["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"]);

/** Commands that touch the keyspace are refused to a monitor (a replica, to Redis). */
const KEYSPACE = Trait.READ | Trait.WRITE | Trait.MAY_REPLICATE;

/**
 * One line of MONITOR's output: `<unix time with µs> [<db> <client>]
 * "<arg>" ...`, the arguments quoted as `sdscatrepr` quotes them.
 *
 * @example
 * ```ts
 * import { monitorLine } from "./_monitor.ts";
 * console.log(monitorLine(1700000000123456, 0, "127.0.0.1:5000", ["SET", "k", "a\nb"]));
 * // 1700000000.123456 [0 127.0.0.1:5000] "SET" "k" "a\nb"
 * ```
 */
export function monitorLine(
  micros: number,
  db: number,
  client: string,
  argv: readonly Bytes[],
): string {
  const secs = Math.floor(micros / 1e6);
  let line = `${secs}.${String(micros - secs * 1e6).padStart(6, "0")} [${db} ${client}]`;
  for (const a of argv) line += " " + reprArg(a);
  return line;
}

/** How MONITOR names a client: `lua` for a script, its address otherwise. */
function clientLabel(c: Context): string {
  if (c.flags.script === true) return "lua";
  const a = c.addr;
  if (a === "") return "?:0";
  // A Unix socket client (`/path:0`) shows as the socket's path.
  if (a.startsWith("/")) return `unix:${a.endsWith(":0") ? a.slice(0, -2) : a}`;
  return a;
}

/** The monitoring clients of one server. */
export class Monitors {
  readonly clients: Set<Context> = new Set();
  #stop: (() => void) | undefined;

  constructor(readonly server: ServerApi) {}

  /** Makes `c` a monitor; false when it already is one. */
  add(c: Context): boolean {
    if (this.clients.has(c)) return false;
    this.clients.add(c);
    c.flags.neverPaused = true;
    if (this.#stop === undefined) this.#stop = this.server.dispatcher.observe(this.#observer);
    if (this.clients.size === 1) this.server.rearm();
    return true;
  }

  /** Stops `c` monitoring (RESET, a closed connection). */
  remove(c: Context): void {
    if (!this.clients.delete(c)) return;
    c.flags.neverPaused = false;
    if (this.clients.size !== 0) return;
    this.#stop?.();
    this.#stop = undefined;
    this.server.rearm();
  }

  readonly #observer: CommandObserver = {
    before: (c, cmd, argv) => {
      if (SHOWN_BEFORE.has(cmd.fullName)) this.#feed(c, cmd, argv);
    },
    after: (c, cmd, argv, _micros, end) => this.#after(c, cmd, argv, end),
  };

  #after(c: Context, cmd: CommandEntry, argv: Bytes[], end: CallEnd): void {
    if (end === "woken") return;
    const flags = cmd.flagSet;
    if (flags.has("skip_monitor") || flags.has("admin")) return;
    this.#feed(c, cmd, argv);
  }

  #feed(c: Context, cmd: CommandEntry, argv: Bytes[]): void {
    const ms = this.server.clock.now();
    // The clock gives milliseconds; the microseconds come from the
    // monotonic clock's fraction.
    const micros = Math.floor(ms) * 1000 + Math.floor((performance.now() % 1) * 1000);
    const line = monitorLine(micros, c.db.index, clientLabel(c), redactArgv(cmd, argv));
    for (const m of this.clients) {
      if (m.closed) continue;
      m.reply.simple(line);
      if (m !== c) m.flush();
    }
  }

  /**
   * The admission check Redis makes of replicas, which monitors are: no
   * command that reads or writes keys. Armed while someone monitors.
   */
  readonly check: ArmedCheck = {
    armed: () => this.clients.size !== 0,
    check:
      ((c, _cmd, _argv, traits) =>
        (traits & KEYSPACE) !== 0 && this.clients.has(c)
          ? "ERR Replica can't interact with the keyspace"
          : undefined) satisfies AdmissionCheck,
  };
}
