/**
 * The script that runs now in one of a server's Lua VMs (EVAL's or the
 * functions'), as SCRIPT KILL, FUNCTION KILL and FUNCTION STATS see it,
 * and Redis 7.0's words for it (script.c's scriptKill, server.c's
 * `slowevalerr` and `slowscripterr`).
 *
 * @module
 */

import type { Bytes, Context } from "../../core/types.ts";

/** The BUSY error while EVAL's script runs past `busy-reply-threshold`. */
export const BUSY_EVAL =
  "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/** The BUSY error while a function runs past `busy-reply-threshold`. */
export const BUSY_FUNCTION =
  "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
/** SCRIPT KILL and FUNCTION KILL when no script runs. */
export const NOTBUSY = "NOTBUSY No scripts in execution right now.";

const UNKILLABLE_WRITES = "UNKILLABLE Sorry the script already executed write commands " +
  "against the dataset. You can either wait the script termination or kill the server in a " +
  "hard way using the SHUTDOWN NOSAVE command.";
const UNKILLABLE_MASTER = "UNKILLABLE The busy script was sent by a master instance in the " +
  "context of replication and cannot be killed.";

/** A script while it runs (the VM's run state). */
export interface ActiveScript {
  /** What errors name it: the script's SHA-1, or the function's name. */
  readonly name: string;
  /** A function (FCALL), not EVAL's script. */
  readonly fn: boolean;
  readonly caller: Context;
  /** The caller's command (FUNCTION STATS shows it). */
  readonly argv: readonly Bytes[];
  /** When it started (`performance.now()`). */
  readonly start: number;
  /** It ran a write command: it must run to its end. */
  readonly writeDirty: boolean;
  /** SCRIPT KILL or FUNCTION KILL asked it to stop. */
  killed: boolean;
  /**
   * Runs its next slice as soon as the command at hand is done (it was
   * just killed: the kill takes effect before another command is read).
   */
  wake(): void;
}

/**
 * What a server's scripts share across its VMs: `busy-reply-threshold`
 * and the script running now.
 *
 * @example
 * ```ts
 * import { Scripts } from "./_running.ts";
 * const scripts = new Scripts();
 * console.log(scripts.kill(true)); // "NOTBUSY No scripts in execution right now."
 * ```
 */
export class Scripts {
  /** `busy-reply-threshold` (`lua-time-limit`), ms; 0 never pauses. */
  threshold = 5000;
  /** The script running now (paused ones included). */
  active: ActiveScript | undefined;
  /** Set once the server shuts down: paused scripts go no further. */
  stopped = false;

  /** The BUSY error for the running script. */
  busyError(s: ActiveScript): string {
    return s.fn ? BUSY_FUNCTION : BUSY_EVAL;
  }

  /**
   * SCRIPT KILL (`isEval`) or FUNCTION KILL: marks the running script
   * killed, or returns Redis's refusal.
   */
  kill(isEval: boolean): string | undefined {
    const s = this.active;
    if (s === undefined) return NOTBUSY;
    if (s.caller.kind === "master") return UNKILLABLE_MASTER;
    if (s.writeDirty) return UNKILLABLE_WRITES;
    if (isEval === s.fn) return this.busyError(s);
    s.killed = true;
    s.wake();
    return undefined;
  }
}
