/**
 * The registry: orders plugins by dependency, turns command specs into
 * command entries (implied flags and ACL categories, legacy key ranges) and
 * collects hooks by kind.
 *
 * @module
 */

import type {
  Bytes,
  CommandEntry,
  CommandFlag,
  CommandSpec,
  Hooks,
  KeySpec,
  KeySpecFlag,
  Plugin,
} from "./types.ts";
import { Trait } from "./types.ts";

/**
 * Declares a plugin; an identity function that gives type inference and
 * checking to a plugin literal.
 *
 * @example
 * ```ts
 * import { definePlugin } from "./registry.ts";
 * export default definePlugin({ name: "empty" });
 * ```
 */
export function definePlugin<P extends Plugin>(plugin: P): P {
  return plugin;
}

/** Hook lists by kind; an empty list means the core skips that call. */
export type HookLists = { [K in keyof Hooks]-?: NonNullable<Hooks[K]>[] };

/** Creates empty hook lists. */
export function emptyHooks(): HookLists {
  return {
    clientConnected: [],
    clientClosed: [],
    beforeCommand: [],
    afterCommand: [],
    commandRejected: [],
    keyChanged: [],
    databaseChanged: [],
    propagate: [],
    keyExpired: [],
    cron: [],
    prepareShutdown: [],
    shutdown: [],
    info: [],
    clientReset: [],
    clientInfo: [],
    load: [],
    beforeFlush: [],
    beforeWrite: [],
  };
}

/**
 * Orders plugins so that each comes after its dependencies. Throws on a
 * missing dependency, a cycle or a duplicate name.
 *
 * @example
 * ```ts
 * import { orderPlugins } from "./registry.ts";
 * const order = orderPlugins([{ name: "b", dependencies: ["a"] }, { name: "a" }]);
 * console.log(order.map((p) => p.name)); // ["a", "b"]
 * ```
 */
export function orderPlugins(plugins: readonly Plugin[]): Plugin[] {
  const byName = new Map<string, Plugin>();
  for (const p of plugins) {
    if (byName.has(p.name)) throw new Error(`plugin '${p.name}' registered twice`);
    byName.set(p.name, p);
  }
  const out: Plugin[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (p: Plugin, path: string[]) => {
    const s = state.get(p.name);
    if (s === "done") return;
    if (s === "visiting") {
      throw new Error(`plugin dependency cycle: ${[...path, p.name].join(" -> ")}`);
    }
    state.set(p.name, "visiting");
    for (const dep of p.dependencies ?? []) {
      const d = byName.get(dep);
      if (!d) throw new Error(`plugin '${p.name}' depends on missing plugin '${dep}'`);
      visit(d, [...path, p.name]);
    }
    state.set(p.name, "done");
    out.push(p);
  };
  for (const p of plugins) visit(p, []);
  return out;
}

/**
 * Redis's ACL categories in its bit order: ACL CAT lists them so, COMMAND
 * INFO sorts a command's categories by it, and ACL rules render by it.
 *
 * @example
 * ```ts
 * import { ACL_CATEGORIES } from "./registry.ts";
 * console.log(ACL_CATEGORIES.indexOf("keyspace")); // 0
 * ```
 */
export const ACL_CATEGORIES: readonly string[] = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
];

/** The ACL categories a command's flags put it in (Redis's setImplicitACLCategories). */
const IMPLIED: Partial<Record<CommandFlag, readonly string[]>> = {
  write: ["write"],
  readonly: ["read"],
  admin: ["admin", "dangerous"],
  pubsub: ["pubsub"],
  fast: ["fast"],
  blocking: ["blocking"],
};

/** Builds the entry for a spec (and its subcommands). */
export function makeEntry(spec: CommandSpec, parent?: CommandEntry): CommandEntry {
  const flags = new Set<CommandFlag>(spec.flags);
  const cats: string[] = [];
  const add = (c: string) => {
    if (!cats.includes(c)) cats.push(c);
  };
  for (const c of spec.categories ?? []) add(c);
  // As Redis's setImplicitACLCategories: scripting commands (EVAL_RO)
  // are not put in @read by their readonly flag.
  const scripting = cats.includes("scripting");
  for (const f of spec.flags) {
    for (const c of IMPLIED[f] ?? []) if (!(scripting && c === "read")) add(c);
  }
  if (!flags.has("fast")) add("slow");
  const legacy = legacyRange(spec.keySpecs ?? []);
  if (legacy.movable || spec.getKeys) flags.add("movablekeys");
  const fullName = parent ? `${parent.fullName}|${spec.name}` : spec.name;
  let traits = 0;
  if (flags.has("write")) traits |= Trait.WRITE | Trait.MAY_REPLICATE;
  if (flags.has("may_replicate")) traits |= Trait.MAY_REPLICATE;
  if (flags.has("denyoom")) traits |= Trait.DENYOOM;
  if (!flags.has("stale")) traits |= Trait.DENYSTALE;
  if (flags.has("readonly")) traits |= Trait.READ;
  const entry: CommandEntry = {
    spec,
    fullName,
    parent,
    subcommands: undefined,
    isWrite: flags.has("write"),
    isReadonly: flags.has("readonly"),
    // SET and the like are O(1) but not `fast` in Redis (freeing an old
    // value may take long there); here they are as cheap.
    isFast: flags.has("fast") ||
      (spec.docs?.complexity === "O(1)" && !flags.has("blocking") &&
        !flags.has("noscript") && !flags.has("admin")),
    timedByNested: spec.timedByNested === true,
    fastWhen: spec.fastWhen,
    flagSet: flags,
    traits,
    categories: cats,
    legacyKeys: legacy.range,
    calls: 0,
    usec: 0,
    rejectedCalls: 0,
    failedCalls: 0,
  };
  if (spec.subcommands) {
    const subs = new Map<string, CommandEntry>();
    for (const s of spec.subcommands) subs.set(s.name, makeEntry(s, entry));
    (entry as { subcommands: Map<string, CommandEntry> }).subcommands = subs;
  }
  return entry;
}

/** Redis's legacy (first, last, step) derived from key specs. */
function legacyRange(
  specs: readonly KeySpec[],
): { range: [number, number, number]; movable: boolean } {
  let first = 0, last = 0, step = 0;
  let movable = false;
  for (const ks of specs) {
    if (!("index" in ks.begin) || !("range" in ks.find)) {
      movable = true;
      continue;
    }
    const { lastkey, step: st, limit } = ks.find.range;
    if (limit !== 0 && lastkey < 0) movable = true;
    const begin = ks.begin.index;
    const end = lastkey < 0 ? lastkey : begin + lastkey;
    if (first === 0) {
      first = begin;
      last = end;
      step = st;
      continue;
    }
    if (st !== step) {
      movable = true;
      continue;
    }
    if (begin < first) first = begin;
    if (last >= 0 && (end < 0 || end > last)) last = end;
  }
  return { range: [first, last, step], movable };
}

/**
 * Whether a command names keys at all (Redis's doesCommandHaveKeys): a
 * `getKeys`, or a key spec that is not `NOT_KEY`.
 *
 * @example
 * ```ts
 * import { hasKeys, keys, makeEntry } from "./registry.ts";
 * const e = makeEntry({ name: "get", arity: 2, flags: [], keySpecs: [keys.one(1, ["RO"])] });
 * console.log(hasKeys(e)); // true
 * ```
 */
export function hasKeys(entry: CommandEntry): boolean {
  if (entry.spec.getKeys !== undefined) return true;
  for (const ks of entry.spec.keySpecs ?? []) if (!ks.flags.includes("NOT_KEY")) return true;
  return false;
}

/**
 * The argument positions of a command's keys, from its key specs (or its
 * `getKeys`). `argv` includes the command name.
 *
 * @example
 * ```ts
 * import { keyPositions, makeEntry } from "./registry.ts";
 * const e = makeEntry({
 *   name: "mget", arity: -2, flags: ["readonly"],
 *   keySpecs: [{ flags: ["RO"], begin: { index: 1 }, find: { range: { lastkey: -1, step: 1, limit: 0 } } }],
 * });
 * console.log(keyPositions(e, ["mget", "a", "b"])); // [1, 2]
 * ```
 */
export function keyPositions(entry: CommandEntry, argv: readonly Bytes[]): number[] {
  const spec = entry.spec;
  if (spec.getKeys) return spec.getKeys(argv as Bytes[]);
  return specPositions(spec.keySpecs ?? [], argv);
}

/** The argument positions the key specs `specs` find in `argv`. */
function specPositions(specs: readonly KeySpec[], argv: readonly Bytes[]): number[] {
  const out: number[] = [];
  const argc = argv.length;
  for (const ks of specs) {
    // NOT_KEY specs name no key; `unknown` ones are getKeys' to find.
    if (ks.flags.includes("NOT_KEY") || "unknown" in ks.begin || "unknown" in ks.find) continue;
    let start: number;
    if ("index" in ks.begin) {
      start = ks.begin.index;
    } else {
      const { keyword, startfrom } = ks.begin;
      start = -1;
      const kw = keyword.toLowerCase();
      if (startfrom >= 0) {
        for (let i = startfrom; i < argc; i++) {
          if (argv[i]!.toLowerCase() === kw) {
            start = i + 1;
            break;
          }
        }
      } else {
        for (let i = argc + startfrom; i > 0; i--) {
          if (argv[i]!.toLowerCase() === kw) {
            start = i + 1;
            break;
          }
        }
      }
      if (start === -1) continue;
    }
    if (start >= argc) continue;
    if ("range" in ks.find) {
      const { lastkey, step, limit } = ks.find.range;
      let end: number;
      if (lastkey >= 0) {
        end = start + lastkey;
      } else if (limit <= 1) {
        end = argc + lastkey;
      } else {
        end = start + Math.floor((argc - start) / limit) - 1;
      }
      for (let i = start; i <= end && i < argc; i += step) out.push(i);
    } else {
      const { keynumidx, firstkey, step } = ks.find.keynum;
      const n = Number(argv[start + keynumidx]);
      if (!Number.isInteger(n) || n < 0) continue;
      const first = start + firstkey;
      for (let k = 0; k < n; k++) {
        const i = first + k * step;
        if (i >= argc) break;
        out.push(i);
      }
    }
  }
  return out;
}

/**
 * Each key of a call with its flags, as Redis's COMMAND GETKEYSANDFLAGS
 * finds them (`getKeysFromCommandWithSpecs`). When the key specs are
 * reliable (none `unknown`, `INCOMPLETE` or `VARIABLE_FLAGS`), each key
 * takes the flags of the spec that finds it. Otherwise, as with Redis's
 * getkeys procs, the positions come from {@link CommandSpec.getKeys} (or
 * the specs) and the flags from {@link CommandSpec.keyFlags}, else from
 * the first concrete spec that finds the key.
 *
 * @example
 * ```ts
 * import { keys, keysAndFlags, makeEntry } from "./registry.ts";
 * const e = makeEntry({
 *   name: "rename", arity: 3, flags: ["write"],
 *   keySpecs: [keys.one(1, ["RW", "ACCESS", "DELETE"]), keys.one(2, ["OW", "UPDATE"])],
 * });
 * console.log(keysAndFlags(e, ["rename", "a", "b"])[1]); // [ 2, [ "OW", "UPDATE" ] ]
 * ```
 */
export function keysAndFlags(
  entry: CommandEntry,
  argv: readonly Bytes[],
): [number, readonly KeySpecFlag[]][] {
  const spec = entry.spec;
  const specs = spec.keySpecs ?? [];
  const out: [number, readonly KeySpecFlag[]][] = [];
  const unreliable = (ks: KeySpec) =>
    "unknown" in ks.begin || "unknown" in ks.find || ks.flags.includes("INCOMPLETE") ||
    ks.flags.includes("VARIABLE_FLAGS");
  const concrete = specs.filter((ks) => !ks.flags.includes("NOT_KEY"));
  if (concrete.length !== 0 && !specs.some(unreliable)) {
    for (const ks of concrete) {
      for (const pos of specPositions([ks], argv)) out.push([pos, ks.flags]);
    }
    return out;
  }
  for (const pos of keyPositions(entry, argv)) {
    let flags = spec.keyFlags?.(argv as Bytes[], pos);
    for (let i = 0; flags === undefined && i < concrete.length; i++) {
      if (specPositions([concrete[i]!], argv).includes(pos)) flags = concrete[i]!.flags;
    }
    out.push([pos, flags ?? specs[0]?.flags ?? []]);
  }
  return out;
}

/** Builders for the common key-spec shapes. */
export interface KeySpecBuilders {
  /** One key at `index`. */
  one(index: number, flags: KeySpec["flags"]): KeySpec;
  /** Keys from `index` to the end, every `step` arguments. */
  rest(index: number, flags: KeySpec["flags"], step?: number, lastkey?: number): KeySpec;
  /** A count argument at `index`, then that many keys. */
  counted(index: number, flags: KeySpec["flags"]): KeySpec;
}

/** Shorthand key specs for the common shapes. */
export const keys: KeySpecBuilders = {
  /** One key at `index`. */
  one(index: number, flags: KeySpec["flags"]): KeySpec {
    return { flags, begin: { index }, find: { range: { lastkey: 0, step: 1, limit: 0 } } };
  },
  /** Keys from `index` to the end, every `step` arguments. */
  rest(index: number, flags: KeySpec["flags"], step = 1, lastkey = -1): KeySpec {
    return { flags, begin: { index }, find: { range: { lastkey, step, limit: 0 } } };
  },
  /** A count argument at `index`, then that many keys. */
  counted(index: number, flags: KeySpec["flags"]): KeySpec {
    return {
      flags,
      begin: { index },
      find: { keynum: { keynumidx: 0, firstkey: 1, step: 1 } },
    };
  },
};

/** What a family gives each of its commands (see {@link commandFamily}). */
export interface FamilyOptions {
  /** The ACL category every command of the family is in (`sortedset`). */
  category?: string;
  /** The COMMAND DOCS group (`sorted-set`); defaults to `category`. */
  group?: string;
}

/**
 * The builder of a family's commands: a command is one definition (name,
 * arity, flags, key specs, tips, docs and handler in one object), and the
 * builder adds what the whole family shares, the ACL category and the
 * COMMAND DOCS group, to it and to its subcommands (a container command
 * gets the group only: Redis puts it in no category).
 *
 * @example
 * ```ts
 * import { commandFamily, keys } from "./registry.ts";
 * const command = commandFamily({ category: "string" });
 * const strlen = command({
 *   name: "strlen",
 *   arity: 2,
 *   flags: ["readonly", "fast"],
 *   keySpecs: [keys.one(1, ["RO"])],
 *   docs: { summary: "Get the length of the value stored in a key", since: "2.2.0" },
 *   handler: (c) => c.reply.integer(0),
 * });
 * console.log(strlen.categories, strlen.docs?.group); // [ "string" ] string
 * ```
 */
export function commandFamily(opts: FamilyOptions): (spec: CommandSpec) => CommandSpec {
  const group = opts.group ?? opts.category;
  const build = (spec: CommandSpec): CommandSpec => {
    const cats = spec.categories ?? [];
    // A container (CLIENT, OBJECT) is in no category of its own, as in
    // Redis: its subcommands are.
    const container = spec.subcommands !== undefined;
    const out: CommandSpec = {
      ...spec,
      categories: opts.category === undefined || container || cats.includes(opts.category)
        ? cats
        : [opts.category, ...cats],
    };
    if (spec.docs !== undefined && spec.docs.group === undefined && group !== undefined) {
      out.docs = { ...spec.docs, group };
    }
    if (spec.subcommands !== undefined) out.subcommands = spec.subcommands.map(build);
    return out;
  };
  return build;
}
