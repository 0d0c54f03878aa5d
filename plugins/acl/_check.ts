/**
 * ACL permission checks, as Redis 7.0's ACLCheckAllUserCommandPerm: each
 * selector is tried in turn; the command passes when one selector allows
 * its command bit, every key (read or write, from the key specs' ACCESS /
 * INSERT / DELETE / UPDATE flags) and every channel.
 *
 * @module
 */

import type { Bytes, CommandEntry, KeySpecFlag } from "../../core/types.ts";
import { hasKeys, keysAndFlags } from "../../core/registry.ts";
import { globMatch } from "../../core/glob.ts";
import { READ, type Selector, type User, WRITE } from "./_rules.ts";

/** Check results, ordered as Redis's ACL_DENIED_* (the larger wins). */
export const OK = 0;
/** The command (or subcommand) is not allowed. */
export const DENIED_CMD = 1;
/** A key is not allowed. */
export const DENIED_KEY = 2;
/** Authentication failed (log entries only). */
export const DENIED_AUTH = 3;
/** A channel is not allowed. */
export const DENIED_CHANNEL = 4;

/** A check's outcome: the reason and the offending argument index. */
export interface CheckResult {
  result: number;
  /** Index in argv of the key or channel that was refused. */
  idx: number;
}

/** A key position and the permissions it needs. */
interface KeyRef {
  pos: number;
  need: number;
}

/** The permissions a key spec's flags ask for (ACLSelectorCheckKey). */
function needOf(flags: readonly KeySpecFlag[]): number {
  let need = 0;
  if (flags.includes("ACCESS")) need |= READ;
  if (flags.includes("INSERT") || flags.includes("DELETE") || flags.includes("UPDATE")) {
    need |= WRITE;
  }
  return need;
}

/**
 * The keys of a command with the permissions each needs, from the flags
 * Redis's getKeysFromCommandWithSpecs gives them (a `VARIABLE_FLAGS` key,
 * as SET's, takes its flags for this call).
 */
export function keyRefs(cmd: CommandEntry, argv: readonly Bytes[]): KeyRef[] {
  return keysAndFlags(cmd, argv).map(([pos, flags]) => ({ pos, need: needOf(flags) }));
}

/** Channel-bearing commands: where their channels are, and how they match. */
const CHANNELS: Record<string, { all: boolean; literal: boolean }> = {
  publish: { all: false, literal: false },
  spublish: { all: false, literal: false },
  subscribe: { all: true, literal: false },
  ssubscribe: { all: true, literal: false },
  psubscribe: { all: true, literal: true },
};

/** Whether a channel (or, `literal`, a PSUBSCRIBE pattern) is in `list`. */
export function channelAllowed(list: readonly Bytes[], channel: Bytes, literal: boolean): boolean {
  for (const p of list) {
    if (literal ? p === channel : globMatch(p, channel)) return true;
  }
  return false;
}

function keyAllowed(s: Selector, key: Bytes, need: number): boolean {
  if (s.allKeys) return true;
  for (const k of s.keys) {
    if ((k.flags & need) !== need) continue;
    if (globMatch(k.pattern, key)) return true;
  }
  return false;
}

function checkSelector(
  s: Selector,
  cmd: CommandEntry,
  argv: readonly Bytes[],
  keys: () => KeyRef[],
): CheckResult {
  if (!s.allCommands && !cmd.flagSet.has("no_auth") && !s.bit(cmd)) {
    const first = s.firstArgs.get(cmd);
    const arg = argv[cmd.parent ? 2 : 1];
    if (first === undefined || arg === undefined) return { result: DENIED_CMD, idx: 0 };
    const a = arg.toLowerCase();
    if (!first.some((f) => f.toLowerCase() === a)) return { result: DENIED_CMD, idx: 0 };
  }
  if (!s.allKeys && hasKeys(cmd)) {
    for (const k of keys()) {
      if (!keyAllowed(s, argv[k.pos]!, k.need)) return { result: DENIED_KEY, idx: k.pos };
    }
  }
  const ch = s.allChannels ? undefined : CHANNELS[cmd.fullName];
  if (ch !== undefined) {
    const end = ch.all ? argv.length : 2;
    for (let j = 1; j < end; j++) {
      if (!channelAllowed(s.channels, argv[j]!, ch.literal)) {
        return { result: DENIED_CHANNEL, idx: j };
      }
    }
  }
  return { result: OK, idx: 0 };
}

/**
 * Checks a command against every selector of a user. When all refuse, the
 * reported reason is the "largest" one (channel > key > command), and for
 * equal reasons the one with the last argument index, as in Redis.
 */
export function checkCommand(u: User, cmd: CommandEntry, argv: readonly Bytes[]): CheckResult {
  if (u.unrestricted) return { result: OK, idx: 0 };
  let cache: KeyRef[] | undefined;
  const keys = () => cache ??= keyRefs(cmd, argv);
  let relevant = DENIED_CMD, last = 0;
  for (const s of u.selectors) {
    const r = checkSelector(s, cmd, argv, keys);
    if (r.result === OK) return r;
    if (r.result > relevant || (r.result === relevant && r.idx > last)) {
      relevant = r.result;
      last = r.idx;
    }
  }
  return { result: relevant, idx: last };
}

/** Whether any selector of `u` allows `channel` (ACLUserCheckChannelPerm). */
export function userChannelAllowed(u: User, channel: Bytes, literal: boolean): boolean {
  for (const s of u.selectors) {
    if (s.allChannels || channelAllowed(s.channels, channel, literal)) return true;
  }
  return false;
}
