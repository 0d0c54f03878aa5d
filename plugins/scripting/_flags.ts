/**
 * Script flags, as Redis 7.0's `SCRIPT_FLAG_*`: declared by an EVAL
 * script's shebang line (`#!lua flags=no-writes,allow-oom`) or by a
 * function's `redis.register_function{flags={...}}`, and what they make
 * of the calling command's admission traits.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import { Trait } from "../../core/types.ts";

/** Shebang or registration flags, as Redis 7.0's SCRIPT_FLAG_*. */
export interface ScriptFlags {
  /** No shebang: Redis's backwards-compatible eval mode. */
  compat: boolean;
  noWrites: boolean;
  allowOom: boolean;
  allowStale: boolean;
  noCluster: boolean;
  allowCrossSlot: boolean;
}

/** The flags by name, in Redis's order (FUNCTION LIST shows them so). */
export const SCRIPT_FLAGS: readonly (readonly [string, keyof ScriptFlags])[] = [
  ["no-writes", "noWrites"],
  ["allow-oom", "allowOom"],
  ["allow-stale", "allowStale"],
  ["no-cluster", "noCluster"],
  ["allow-cross-slot-keys", "allowCrossSlot"],
];

/** No flag set; `compat` for a script without a shebang. */
export function noFlags(compat: boolean): ScriptFlags {
  return {
    compat,
    noWrites: false,
    allowOom: false,
    allowStale: false,
    noCluster: false,
    allowCrossSlot: false,
  };
}

/** Sets the flag called `name` (exactly); false for an unknown name. */
export function setFlag(flags: ScriptFlags, name: string): boolean {
  const f = SCRIPT_FLAGS.find(([n]) => n === name);
  if (f === undefined) return false;
  flags[f[1]] = true;
  return true;
}

/** The names of the flags set, in Redis's order. */
export function flagNames(flags: ScriptFlags): string[] {
  return SCRIPT_FLAGS.filter(([, k]) => flags[k]).map(([n]) => n);
}

/**
 * The {@link Trait} bits of EVAL or FCALL of a script with declared flags
 * (Redis's scriptFlagsToCmdFlags): a script is a write unless `no-writes`,
 * may grow memory unless `allow-oom` or `no-writes`, and is refused on a
 * stale replica unless `allow-stale`. Without a shebang (`compat`), the
 * command's own flags stand.
 *
 * @example
 * ```ts
 * import { noFlags, scriptTraits } from "./_flags.ts";
 * import { Trait } from "../../core/types.ts";
 * const flags = { ...noFlags(false), noWrites: true };
 * console.log((scriptTraits(Trait.WRITE, flags) & Trait.WRITE) === 0); // true
 * ```
 */
export function scriptTraits(base: number, flags: ScriptFlags): number {
  if (flags.compat) return base;
  let t = base & ~(Trait.WRITE | Trait.DENYOOM | Trait.MAY_REPLICATE | Trait.DENYSTALE);
  if (!flags.noWrites) t |= Trait.WRITE | Trait.MAY_REPLICATE;
  if (!flags.noWrites && !flags.allowOom) t |= Trait.DENYOOM;
  if (!flags.allowStale) t |= Trait.DENYSTALE;
  return t;
}

/**
 * Parses a script's shebang line (evalExtractShebangFlags): its flags and
 * the length of the line (kept out of the compiled source, its newline
 * kept so line numbers hold), or the error text.
 *
 * @example
 * ```ts
 * import { parseShebang } from "./_flags.ts";
 * const r = parseShebang("#!lua flags=no-writes\nreturn 1");
 * console.log(typeof r !== "string" && r.flags.noWrites, typeof r !== "string" && r.length);
 * // true 21
 * ```
 */
export function parseShebang(body: Bytes): { flags: ScriptFlags; length: number } | string {
  if (!body.startsWith("#!")) return { flags: noFlags(true), length: 0 };
  const flags = noFlags(false);
  const end = body.indexOf("\n");
  if (end === -1) return "ERR Invalid script shebang";
  const parts = body.slice(0, end).split(/[ \t\r\v\f]+/).filter((p) => p !== "");
  if (parts.length === 0) return "ERR Invalid engine in script shebang";
  if (parts[0] !== "#!lua") return `ERR Unexpected engine in script shebang: ${parts[0]}`;
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) return `ERR Unknown lua shebang option: ${part}`;
    const list = part.slice(6);
    if (list === "") continue;
    for (const f of list.split(",")) {
      if (!setFlag(flags, f)) return `ERR Unexpected flag in script shebang: ${f}`;
    }
  }
  return { flags, length: end };
}
