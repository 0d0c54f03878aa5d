/**
 * Log lines in redis-server's format:
 * `pid:role dd Mon yyyy hh:mm:ss.mmm mark message`, the mark telling the
 * level (`.` debug, `-` verbose, `*` notice, `#` warning).
 *
 * @module
 */

/** Log levels, in increasing severity. */
export type LogLevel = "debug" | "verbose" | "notice" | "warning";

/** Each level's severity: a line is written when at least `loglevel`'s. */
export const LOG_SEVERITY: Readonly<Record<LogLevel, number>> = {
  debug: 0,
  verbose: 1,
  notice: 2,
  warning: 3,
};

const MARKS: Readonly<Record<LogLevel, string>> = {
  debug: ".",
  verbose: "-",
  notice: "*",
  warning: "#",
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * One log line. `role` is Redis's: `M` for the server, `C` for lines
 * written while the configuration is read, before the server exists.
 *
 * @example
 * ```ts
 * import { logLine } from "./log.ts";
 * const line = logLine({ pid: 42, role: "M", at: Date.UTC(2024, 0, 5, 9, 3, 7, 12) }, "notice", "Ready");
 * console.log(line); // 42:M 05 Jan 2024 09:03:07.012 * Ready
 * ```
 */
export function logLine(
  who: { pid: number; role: "M" | "C"; at: number },
  level: LogLevel,
  msg: string,
): string {
  const d = new Date(who.at);
  const day = String(d.getUTCDate()).padStart(2, "0");
  const date = `${day} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
  return `${who.pid}:${who.role} ${date} ${d.toISOString().slice(11, 23)} ${MARKS[level]} ${msg}`;
}
