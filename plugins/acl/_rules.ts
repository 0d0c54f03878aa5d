/**
 * The ACL model and rule language of Redis 7.0: users, selectors, the rules
 * that change them (`on`, `>pass`, `~pattern`, `+@category`, `(...)`, ...)
 * and the rendering ACL LIST, ACL GETUSER and ACL SAVE show.
 *
 * A selector's command permissions are Redis's bitmap, kept sparse: a base
 * bit (set by `+@all`, cleared by `-@all`; Redis's reserved "future
 * commands" bit) plus per-command overrides. Commands registered after a
 * rule ran (user plugins) get the base bit, as Redis gives module commands
 * loaded later.
 *
 * Passwords are kept only as SHA-256 hex digests.
 *
 * @module
 */

import { sha256hex } from "../../core/sha256.ts";
import type { Bytes, CommandEntry } from "../../core/types.ts";
import { splitArgs } from "../../core/config.ts";
import { ACL_CATEGORIES } from "../../core/registry.ts";

/** Key pattern permissions (`%R~`, `%W~`, `~` is both). */
export const READ = 1;
/** Write permission bit of a key pattern. */
export const WRITE = 2;
/** Both permissions: a plain `~pattern`. */
export const ALL = READ | WRITE;

/** The commands rules refer to: the server's command table. */
export interface CommandTable {
  /** Top-level commands, in registration order. */
  all(): Iterable<CommandEntry>;
  /** A command or `parent|sub` by name (any case), or undefined. */
  lookup(name: string): CommandEntry | undefined;
}

/** Why a rule was refused: Redis's `errno` values for ACLSetUser. */
export type RuleErrno =
  | "EINVAL"
  | "ENOENT"
  | "EEXIST"
  | "EISDIR"
  | "ENODEV"
  | "EBADMSG"
  | "EALREADY"
  | "ECHILD";

/** A refused rule, with Redis's reason (ACLSetUserStringError). */
export class RuleError extends Error {
  constructor(readonly errno: RuleErrno) {
    super(ruleErrorText(errno));
    this.name = "RuleError";
  }
}

/** Redis's text for each rule error. */
export function ruleErrorText(errno: RuleErrno): string {
  switch (errno) {
    case "ENOENT":
      return "Unknown command or category name in ACL";
    case "EINVAL":
      return "Syntax error";
    case "EEXIST":
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and " +
        "does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case "EISDIR":
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid " +
        "and does not have any effect. Try 'resetchannels' to start with an empty list of " +
        "channels";
    case "ENODEV":
      return "The password you are trying to remove from the user does not exist";
    case "EBADMSG":
      return "The password hash must be exactly 64 characters and contain only lowercase " +
        "hexadecimal characters";
    case "EALREADY":
      return "Duplicate user found. A user can only be defined once in config files";
    case "ECHILD":
      return "Allowing first-arg of a subcommand is not supported";
  }
}

/** A key pattern and the permissions it grants. */
export interface KeyPattern {
  pattern: Bytes;
  flags: number;
}

/** One set of permissions: a user's root selector, or a `(...)` one. */
export class Selector {
  root: boolean;
  allKeys = false;
  allChannels: boolean;
  /** ALLCOMMANDS: skip the per-command test (cleared by any `-` rule). */
  allCommands = false;
  /** The bit of every command without an override (Redis's future bit). */
  base = false;
  overrides: Map<CommandEntry, boolean> = new Map();
  /** Allowed first arguments of otherwise denied commands (`+select|0`). */
  firstArgs: Map<CommandEntry, Bytes[]> = new Map();
  keys: KeyPattern[] = [];
  channels: Bytes[] = [];

  constructor(root: boolean, pubsubDefault: boolean) {
    this.root = root;
    this.allChannels = pubsubDefault;
  }

  /** Whether the selector's bitmap allows `cmd`. */
  bit(cmd: CommandEntry): boolean {
    const o = this.overrides.get(cmd);
    return o === undefined ? this.base : o;
  }

  /** A deep copy. */
  clone(): Selector {
    const s = new Selector(this.root, this.allChannels);
    s.allKeys = this.allKeys;
    s.allCommands = this.allCommands;
    s.base = this.base;
    s.overrides = new Map(this.overrides);
    for (const [k, v] of this.firstArgs) s.firstArgs.set(k, [...v]);
    s.keys = this.keys.map((k) => ({ ...k }));
    s.channels = [...this.channels];
    return s;
  }

  #setBit(cmd: CommandEntry, value: boolean): void {
    this.overrides.set(cmd, value);
    if (!value) this.allCommands = false;
  }

  /** ACLChangeSelectorPerm: a command and all its subcommands. */
  changePerm(cmd: CommandEntry, allow: boolean): void {
    this.#setBit(cmd, allow);
    this.firstArgs.delete(cmd);
    if (cmd.subcommands) { for (const sub of cmd.subcommands.values()) this.#setBit(sub, allow); }
  }

  /** `+@all` / `-@all`. */
  setAll(allow: boolean): void {
    this.base = allow;
    this.allCommands = allow;
    this.overrides.clear();
    this.firstArgs.clear();
  }

  /** `+@category` / `-@category` over the table. */
  setCategory(table: CommandTable, category: string, allow: boolean): void {
    const walk = (cmds: Iterable<CommandEntry>) => {
      for (const cmd of cmds) {
        if (cmd.categories.includes(category)) this.changePerm(cmd, allow);
        if (cmd.subcommands) walk(cmd.subcommands.values());
      }
    };
    walk(table.all());
  }

  /** Whether this selector grants everything (no check needed). */
  get unrestricted(): boolean {
    return this.allCommands && this.allKeys && this.allChannels;
  }
}

/** Settings rules depend on. */
export interface RuleContext {
  table: CommandTable;
  /** `acl-pubsub-default allchannels`: new selectors get `&*`. */
  pubsubDefault: boolean;
}

/** SHA-256 hex of a byte-string password, as Redis stores it. */
export function hashPassword(pass: Bytes): string {
  return sha256hex(pass);
}

/** Redis's ACLStringHasSpaces: whitespace (isspace) or NUL. */
export function hasSpaces(s: Bytes): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13) || c === 0) return true;
  }
  return false;
}

function validHash(h: Bytes): boolean {
  return /^[0-9a-f]{64}$/.test(h);
}

const eq = (a: string, b: string) => a.toLowerCase() === b;

/** Applies one selector rule (ACLSetSelector); throws a {@link RuleError}. */
export function applySelectorRule(s: Selector, op: Bytes, ctx: RuleContext): void {
  const lower = op.toLowerCase();
  if (lower === "allkeys" || op === "~*") {
    s.allKeys = true;
    s.keys = [];
  } else if (lower === "resetkeys") {
    s.allKeys = false;
    s.keys = [];
  } else if (lower === "allchannels" || op === "&*") {
    s.allChannels = true;
    s.channels = [];
  } else if (lower === "resetchannels") {
    s.allChannels = false;
    s.channels = [];
  } else if (lower === "allcommands" || lower === "+@all") {
    s.setAll(true);
  } else if (lower === "nocommands" || lower === "-@all") {
    s.setAll(false);
  } else if (op[0] === "~" || op[0] === "%") {
    if (s.allKeys) throw new RuleError("EEXIST");
    let flags = 0;
    let offset = 1;
    if (op[0] === "%") {
      for (; offset < op.length; offset++) {
        const ch = op[offset]!.toUpperCase();
        if (ch === "R" && !(flags & READ)) flags |= READ;
        else if (ch === "W" && !(flags & WRITE)) flags |= WRITE;
        else if (op[offset] === "~") {
          offset++;
          break;
        } else throw new RuleError("EINVAL");
      }
      // `%~x` grants nothing; `%R` is taken as `%R~` (an empty pattern).
      if (flags === 0) throw new RuleError("EINVAL");
    } else {
      flags = ALL;
    }
    const pattern = op.slice(offset);
    if (hasSpaces(pattern)) throw new RuleError("EINVAL");
    const old = s.keys.find((k) => k.pattern === pattern);
    if (old) old.flags |= flags;
    else s.keys.push({ pattern, flags });
    s.allKeys = false;
  } else if (op[0] === "&") {
    if (s.allChannels) throw new RuleError("EISDIR");
    const pattern = op.slice(1);
    if (hasSpaces(pattern)) throw new RuleError("EINVAL");
    if (!s.channels.includes(pattern)) s.channels.push(pattern);
    s.allChannels = false;
  } else if (op[0] === "+" && op[1] !== "@") {
    const name = op.slice(1);
    const bar = name.lastIndexOf("|");
    if (bar === -1) {
      const cmd = ctx.table.lookup(name);
      if (cmd === undefined) throw new RuleError("ENOENT");
      s.changePerm(cmd, true);
      return;
    }
    const cmd = ctx.table.lookup(name.slice(0, bar));
    const sub = name.slice(bar + 1);
    if (cmd === undefined) throw new RuleError("ENOENT");
    if (cmd.parent !== undefined) throw new RuleError("ECHILD");
    if (sub === "") throw new RuleError("EINVAL");
    if (cmd.subcommands !== undefined) {
      const full = ctx.table.lookup(name);
      if (full === undefined) throw new RuleError("ENOENT");
      s.changePerm(full, true);
    } else {
      // Redis's deprecated first-arg form (`+select|0`).
      const list = s.firstArgs.get(cmd) ?? [];
      if (!list.some((a) => eq(a, sub.toLowerCase()))) list.push(sub);
      s.firstArgs.set(cmd, list);
    }
  } else if (op[0] === "-" && op[1] !== "@") {
    const cmd = ctx.table.lookup(op.slice(1));
    if (cmd === undefined) throw new RuleError("ENOENT");
    s.changePerm(cmd, false);
  } else if ((op[0] === "+" || op[0] === "-") && op[1] === "@") {
    const cat = lower.slice(2);
    if (!ACL_CATEGORIES.includes(cat)) throw new RuleError("ENOENT");
    s.setCategory(ctx.table, cat, op[0] === "+");
  } else {
    throw new RuleError("EINVAL");
  }
}

/** An ACL user. */
export class User {
  enabled = false;
  nopass = false;
  /** `sanitize-payload` / `skip-sanitize-payload` (neither on a new user). */
  sanitize: "" | "sanitize-payload" | "skip-sanitize-payload" = "";
  /** SHA-256 hex digests. */
  passwords: string[] = [];
  /** The root selector first. */
  selectors: Selector[];
  /** Everything allowed: the hot path skips the checks (kept by `refresh`). */
  unrestricted = false;

  constructor(readonly name: Bytes, pubsubDefault: boolean) {
    this.selectors = [new Selector(true, pubsubDefault)];
  }

  get root(): Selector {
    return this.selectors[0]!;
  }

  /** Copies another user's rules into this one (ACLCopyUser). */
  copyFrom(src: User): void {
    this.enabled = src.enabled;
    this.nopass = src.nopass;
    this.sanitize = src.sanitize;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.clone());
    this.refresh();
  }

  /** Recomputes derived state after a change. */
  refresh(): void {
    this.unrestricted = this.root.unrestricted;
  }
}

/** Applies one user rule (ACLSetUser); throws a {@link RuleError}. */
export function applyUserRule(u: User, op: Bytes, ctx: RuleContext): void {
  if (op === "") return;
  const lower = op.toLowerCase();
  if (lower === "on") {
    u.enabled = true;
  } else if (lower === "off") {
    u.enabled = false;
  } else if (lower === "skip-sanitize-payload" || lower === "sanitize-payload") {
    u.sanitize = lower;
  } else if (lower === "nopass") {
    u.nopass = true;
    u.passwords = [];
  } else if (lower === "resetpass") {
    u.nopass = false;
    u.passwords = [];
  } else if (op[0] === ">" || op[0] === "#") {
    let hash: string;
    if (op[0] === ">") {
      hash = hashPassword(op.slice(1));
    } else {
      hash = op.slice(1);
      if (!validHash(hash)) throw new RuleError("EBADMSG");
    }
    if (!u.passwords.includes(hash)) u.passwords.push(hash);
    u.nopass = false;
  } else if (op[0] === "<" || op[0] === "!") {
    let hash: string;
    if (op[0] === "<") {
      hash = hashPassword(op.slice(1));
    } else {
      hash = op.slice(1);
      if (!validHash(hash)) throw new RuleError("EBADMSG");
    }
    const i = u.passwords.indexOf(hash);
    if (i === -1) throw new RuleError("ENODEV");
    u.passwords.splice(i, 1);
  } else if (op[0] === "(" && op[op.length - 1] === ")") {
    const s = new Selector(false, ctx.pubsubDefault);
    for (const sub of splitSelector(op.slice(1, -1))) applySelectorRule(s, sub, ctx);
    u.selectors.push(s);
  } else if (lower === "clearselectors") {
    u.selectors.length = 1;
  } else if (lower === "reset") {
    u.nopass = false;
    u.passwords = [];
    const root = u.root;
    root.allKeys = false;
    root.keys = [];
    root.allChannels = ctx.pubsubDefault;
    root.channels = [];
    u.enabled = false;
    u.sanitize = "sanitize-payload";
    u.selectors.length = 1;
    root.setAll(false);
  } else {
    applySelectorRule(u.root, op, ctx);
  }
}

/**
 * Splits a selector's body as `sdssplitargs` does (quotes allowed). As in
 * Redis, unbalanced quotes give no rules at all (an empty selector).
 */
function splitSelector(body: string): string[] {
  return splitArgs(body) ?? [];
}

/**
 * Merges selector rules spread over several arguments (`(~x`, `+get)`)
 * into one, as ACLMergeSelectorArguments does. Returns the index of the
 * unclosed `(` argument when one is left open.
 */
export function mergeSelectorArgs(args: readonly Bytes[]): Bytes[] | { openAt: number } {
  const out: Bytes[] = [];
  let open = -1;
  let sel = "";
  for (let j = 0; j < args.length; j++) {
    const op = args[j]!;
    if (op[0] === "(" && op[op.length - 1] !== ")") {
      sel = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      sel += " " + op;
      if (op[op.length - 1] === ")") {
        open = -1;
        out.push(sel);
      }
      continue;
    }
    out.push(op);
  }
  if (open !== -1) return { openAt: open };
  return out;
}

/** The default user as Redis creates it: on, nopass, `~* &* +@all`. */
export function createDefaultUser(ctx: RuleContext): User {
  const u = new User("default", ctx.pubsubDefault);
  for (const op of ["+@all", "~*", "&*", "on", "nopass"]) applyUserRule(u, op, ctx);
  u.refresh();
  return u;
}

// ---------------------------------------------------------------------------
// Rendering

function patternString(k: KeyPattern): string {
  const prefix = k.flags === ALL ? "~" : k.flags === READ ? "%R~" : "%W~";
  return prefix + k.pattern;
}

function countCategory(
  table: CommandTable,
  s: Selector,
  category: string,
): { on: number; off: number } {
  let on = 0, off = 0;
  const walk = (cmds: Iterable<CommandEntry>) => {
    for (const cmd of cmds) {
      if (cmd.categories.includes(category)) {
        if (s.bit(cmd)) on++;
        else off++;
      }
      if (cmd.subcommands) walk(cmd.subcommands.values());
    }
  };
  walk(table.all());
  return { on, off };
}

/**
 * The command rules of a selector (ACLDescribeSelectorCommandRules): `+@all`
 * or `-@all`, the categories that fit best, then single commands.
 */
export function describeCommandRules(s: Selector, table: CommandTable): string {
  const rules: string[] = [];
  const ctx: RuleContext = { table, pubsubDefault: false };
  const fake = new Selector(false, false);
  const additive = !s.base;
  rules.push(additive ? "-@all" : "+@all");
  applySelectorRule(fake, rules[0]!, ctx);
  const temp = new Selector(false, false);
  temp.base = s.base;
  temp.overrides = new Map(s.overrides);
  const applied = new Set<number>();
  for (;;) {
    let best = -1, mindiff = Number.MAX_SAFE_INTEGER, maxsame = 0;
    for (let j = 0; j < ACL_CATEGORIES.length; j++) {
      if (applied.has(j)) continue;
      const { on, off } = countCategory(table, temp, ACL_CATEGORIES[j]!);
      const diff = additive ? off : on;
      const same = additive ? on : off;
      if (same > diff && (diff < mindiff || (diff === mindiff && same > maxsame))) {
        best = j;
        mindiff = diff;
        maxsame = same;
      }
    }
    if (best === -1) break;
    const cat = ACL_CATEGORIES[best]!;
    fake.setCategory(table, cat, additive);
    temp.setCategory(table, cat, !additive);
    rules.push((additive ? "+@" : "-@") + cat);
    applied.add(best);
  }
  const single = (cmds: Iterable<CommandEntry>) => {
    for (const cmd of cmds) {
      const userbit = s.bit(cmd);
      if (userbit !== fake.bit(cmd)) {
        rules.push((userbit ? "+" : "-") + cmd.fullName);
        fake.changePerm(cmd, userbit);
      }
      if (cmd.subcommands) single(cmd.subcommands.values());
      const first = s.firstArgs.get(cmd);
      if (!userbit && first) { for (const a of first) rules.push(`+${cmd.fullName}|${a}`); }
    }
  };
  single(table.all());
  return rules.join(" ");
}

/** A selector's keys, channels and commands (ACLDescribeSelector). */
export function describeSelector(s: Selector, table: CommandTable): string {
  let res = "";
  if (s.allKeys) res += "~* ";
  else for (const k of s.keys) res += patternString(k) + " ";
  if (s.allChannels) res += "&* ";
  else {
    res += "resetchannels ";
    for (const ch of s.channels) res += "&" + ch + " ";
  }
  return res + describeCommandRules(s, table);
}

/** A user's flags in Redis's order (GETUSER `flags`). */
export function userFlags(u: User): string[] {
  const out = [u.enabled ? "on" : "off"];
  if (u.nopass) out.push("nopass");
  if (u.sanitize !== "") out.push(u.sanitize);
  return out;
}

/** The rules that recreate a user (ACLDescribeUser), without `user <name>`. */
export function describeUser(u: User, table: CommandTable): string {
  let res = "";
  for (const f of userFlags(u)) res += f + " ";
  for (const p of u.passwords) res += "#" + p + " ";
  for (const s of u.selectors) {
    const d = describeSelector(s, table);
    res += s.root ? d : ` (${d})`;
  }
  return res;
}

/** GETUSER's `keys` field of a selector. */
export function describeKeys(s: Selector): string {
  return s.allKeys ? "~*" : s.keys.map(patternString).join(" ");
}

/** GETUSER's `channels` field of a selector. */
export function describeChannels(s: Selector): string {
  return s.allChannels ? "&*" : s.channels.map((c) => "&" + c).join(" ");
}
