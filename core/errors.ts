/**
 * Errors a handler may throw instead of writing a reply. The dispatcher turns
 * them into an error reply; nothing has been written yet when they are thrown.
 *
 * @module
 */

/**
 * An error reply. The message starts with its code (`ERR`, `WRONGTYPE`, ...).
 *
 * @example
 * ```ts
 * import { Err, ReplyError } from "./errors.ts";
 * import type { CommandHandler } from "./types.ts";
 * const handler: CommandHandler = (c, argv) => {
 *   // The client gets `-ERR syntax error`.
 *   if (argv.length > 2) throw new ReplyError(Err.syntax);
 *   c.reply.ok();
 * };
 * console.log(typeof handler); // "function"
 * ```
 */
export class ReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplyError";
  }
}

/** Redis's common error texts, so every family spells them the same way. */
export const Err = {
  wrongType: "WRONGTYPE Operation against a key holding the wrong kind of value",
  syntax: "ERR syntax error",
  notInteger: "ERR value is not an integer or out of range",
  notFloat: "ERR value is not a valid float",
  noSuchKey: "ERR no such key",
  overflow: "ERR increment or decrement would overflow",
  dbIndex: "ERR DB index is out of range",
  invalidExpire: (cmd: string) => `ERR invalid expire time in '${cmd}' command`,
  arity: (cmd: string) => `ERR wrong number of arguments for '${cmd}' command`,
} as const;

/** The WRONGTYPE error, preallocated: it is thrown on a hot path. */
export const WRONGTYPE = new ReplyError(Err.wrongType);
