/**
 * The arguments MONITOR and SLOWLOG must not show: passwords, as Redis's
 * `redactClientCommandArgument` replaces them while the command parses its
 * arguments. Each rule follows its command's own parsing in Redis 7.0, so
 * a call that fails before reaching a secret shows it as sent, as Redis
 * does (`AUTH a b c` is a syntax error, logged in full).
 *
 * @module
 */

import type { Bytes, CommandEntry } from "../../core/types.ts";
import { parseInteger } from "../../core/number.ts";

/** What a redacted argument reads as. */
export const REDACTED = "(redacted)";

/** CONFIG SET parameters whose values are secrets (Redis's SENSITIVE_CONFIG). */
const SENSITIVE_CONFIGS = new Set(["requirepass", "masterauth", "masteruser"]);

/** The positions a command's call hides, by the command's full name. */
const RULES = new Map<string, (argv: readonly Bytes[]) => number[]>([
  // authCommand: both forms redact every argument; more is a syntax error.
  ["auth", (argv) => argv.length > 3 ? [] : range(1, argv.length)],
  ["hello", helloSecrets],
  // ACL SETUSER hides the user name and every rule.
  ["acl|setuser", (argv) => range(2, argv.length)],
  ["config|set", configSecrets],
  ["migrate", migrateSecrets],
]);

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

/** configSetCommand: the value of every sensitive parameter of a well-formed call. */
function configSecrets(argv: readonly Bytes[]): number[] {
  const out: number[] = [];
  if (argv.length % 2 !== 0) return out;
  for (let i = 2; i + 1 < argv.length; i += 2) {
    if (SENSITIVE_CONFIGS.has(argv[i]!.toLowerCase())) out.push(i + 1);
  }
  return out;
}

/** helloCommand: the version must parse, then options in order up to a bad one. */
function helloSecrets(argv: readonly Bytes[]): number[] {
  const out: number[] = [];
  if (argv.length >= 2) {
    const ver = parseInteger(argv[1]!);
    if (ver === undefined || ver < 2 || ver > 3) return out;
  }
  for (let j = 2; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j]!.toLowerCase();
    if (opt === "auth" && more >= 2) {
      out.push(j + 1, j + 2);
      j += 2;
    } else if (opt === "setname" && more >= 1) {
      j++;
    } else {
      break;
    }
  }
  return out;
}

/** migrateCommand's option loop: AUTH password, AUTH2 username password. */
function migrateSecrets(argv: readonly Bytes[]): number[] {
  const out: number[] = [];
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j]!.toLowerCase();
    if (opt === "copy" || opt === "replace") continue;
    if (opt === "auth" && more >= 1) {
      out.push(++j);
    } else if (opt === "auth2" && more >= 2) {
      out.push(++j, ++j);
    } else {
      break;
    }
  }
  return out;
}

/**
 * `argv` as MONITOR and SLOWLOG show it: the same array when nothing is
 * secret, else a copy with the secrets replaced by `(redacted)`.
 *
 * @example
 * ```ts
 * import { redactArgv } from "./_redact.ts";
 * import { makeEntry } from "../../core/registry.ts";
 * const auth = makeEntry({ name: "auth", arity: -2, flags: [] });
 * console.log(redactArgv(auth, ["AUTH", "alice", "s3cret"])); // [ "AUTH", "(redacted)", "(redacted)" ]
 * ```
 */
export function redactArgv(cmd: CommandEntry, argv: readonly Bytes[]): readonly Bytes[] {
  const rule = RULES.get(cmd.fullName);
  if (rule === undefined) return argv;
  const hide = rule(argv);
  if (hide.length === 0) return argv;
  const out = argv.slice();
  for (const i of hide) out[i] = REDACTED;
  return out;
}
