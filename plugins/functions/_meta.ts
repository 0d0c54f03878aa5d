/**
 * A function library's metadata: the shebang line (`#!lua name=mylib`) as
 * Redis 7.0's functionExtractLibMetaData reads it, and the name rule
 * libraries and functions share.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { splitArgs } from "../../core/config.ts";

/** What the shebang line says. */
export interface LibraryMeta {
  /** The engine named after `#!` (`lua`). */
  engine: Bytes;
  name: Bytes;
  /** Where the code the engine runs starts: the shebang line's newline. */
  offset: number;
}

/** The error for a bad library or function name (Redis uses it for both). */
export const BAD_NAME = "Library names can only contain letters, numbers, or underscores(_) " +
  "and must be at least one character long";

/** Letters, digits and underscores, at least one (functionsVerifyName). */
export function validName(name: Bytes): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/**
 * Parses the shebang line of a library's code, or returns the error reply.
 *
 * @example
 * ```ts
 * import { parseLibraryMeta } from "./_meta.ts";
 * const m = parseLibraryMeta("#!lua name=lib\nreturn 1");
 * // { engine: "lua", name: "lib", offset: 14 }
 * ```
 */
export function parseLibraryMeta(code: Bytes): LibraryMeta | string {
  if (!code.startsWith("#!")) return "ERR Missing library metadata";
  const end = code.indexOf("\n");
  if (end === -1) return "ERR Invalid library metadata";
  const parts = splitArgs(code.slice(0, end));
  if (parts === undefined || parts.length === 0) return "ERR Invalid library metadata";
  let name: Bytes | undefined;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === "name=") {
      if (name !== undefined) {
        return "ERR Invalid metadata value, name argument was given multiple times";
      }
      name = part.slice(5);
      continue;
    }
    return `ERR Invalid metadata value given: ${part}`;
  }
  if (name === undefined) return "ERR Library name was not given";
  return { engine: parts[0]!.slice(2), name, offset: end };
}
