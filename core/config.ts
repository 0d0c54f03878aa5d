/**
 * Configuration directives: declared by the core and by plugins, read from
 * the command line and redis.conf, changed by CONFIG SET.
 *
 * Values are checked as Redis 7.0 checks them: the same parsers (`yes`/`no`,
 * strict integers, memory units, percentages, octal), the same bounds and
 * the same reasons, so `CONFIG SET` and `FATAL CONFIG FILE ERROR` say what
 * redis-server says.
 *
 * @module
 */

import { globMatch } from "./glob.ts";

/**
 * The kinds of value a directive holds, as Redis's config types: `bool`
 * (yes/no), `int` (a strict integer), `memory` (an integer with an optional
 * unit: `1k`, `5mb`, `2gb`), `octal` (`unixsocketperm`), `enum` (one of
 * `values`) and `string` (anything its `validate` accepts).
 */
export type ConfigType = "bool" | "int" | "memory" | "octal" | "string" | "enum";

/** C's `INT_MIN`, the lower bound of Redis's `int` configs. */
export const INT_MIN = -2147483648;
/** C's `INT_MAX`. */
export const INT_MAX = 2147483647;
/** C's `UINT_MAX` (`maxclients`). */
export const UINT_MAX = 4294967295;
/** C's `LONG_MAX` (also `LLONG_MAX`, `SSIZE_MAX`) on 64-bit Linux. */
export const LONG_MAX = 9223372036854775807n;
/** C's `LLONG_MIN`. */
export const LLONG_MIN = -9223372036854775808n;
/** C's `ULLONG_MAX` (`maxmemory`). */
export const ULLONG_MAX = 18446744073709551615n;

/** One line CONFIG REWRITE writes for a directive. */
export interface RewriteLine {
  /** The whole line, the directive's name first. */
  line: string;
  /**
   * Written even where the file does not mention the directive (the value
   * is not the default); otherwise it only replaces a line already there.
   */
  force: boolean;
}

/**
 * A configuration directive.
 *
 * @example
 * ```ts
 * import type { ConfigDirective } from "./config.ts";
 * const d: ConfigDirective = { name: "hz", type: "int", default: "10", min: 1, max: 500 };
 * ```
 */
export interface ConfigDirective {
  name: string;
  type: ConfigType;
  /** The default, written as in redis.conf. */
  default: string;
  /** False when CONFIG SET may not change it (Redis's IMMUTABLE_CONFIG). Default true. */
  mutable?: boolean;
  /**
   * CONFIG SET may change it only where `enable-protected-configs` allows
   * (Redis's PROTECTED_CONFIG: `dir`, `dbfilename`).
   */
  protected?: boolean;
  /** Its value is a secret: kept out of logs, MONITOR and SLOWLOG (SENSITIVE_CONFIG). */
  sensitive?: boolean;
  /** Allowed values for `enum`. */
  values?: readonly string[];
  /** Bounds of `int`, `memory` and `octal` values (BigInt beyond 2^53). */
  min?: number | bigint;
  max?: number | bigint;
  /**
   * The value is an unsigned C type: bounds compare after the 64-bit
   * unsigned cast, as Redis's do (`-1` is then above the maximum).
   */
  unsigned?: boolean;
  /** A `memory` value that also takes a percentage (`maxmemory-clients 5%`). */
  percent?: boolean;
  /** Other names it answers to (`slaveof` for `replicaof`). */
  aliases?: readonly string[];
  /**
   * A config file line may give it several arguments (`save 900 1`,
   * `bind a b`); they reach `validate` joined by spaces.
   */
  multiArg?: boolean;
  /**
   * An empty value means "unset" (Redis's EMPTY_STRING_IS_NULL): CONFIG
   * REWRITE then removes its lines instead of writing `name ""`.
   */
  emptyIsNull?: boolean;
  /**
   * Extra validation or normalisation of a value already of its type;
   * throws a {@link ConfigError} with the reason. `current` is the value it
   * replaces (a directive set piecewise, as `client-output-buffer-limit`,
   * merges into it).
   */
  validate?: (value: string, current: string) => string;
  /** The lines CONFIG REWRITE writes for a value; none removes its lines. */
  rewrite?: (value: string, name: string) => readonly RewriteLine[];
  /** Answers `CONFIG GET` only when named, not to a pattern (HIDDEN_CONFIG). */
  hidden?: boolean;
  /**
   * A config file directive that is no parameter (Redis's `user`): CONFIG
   * GET and SET do not know it; CONFIG REWRITE writes what its `rewrite`
   * gives in place of its lines.
   */
  fileOnly?: boolean;
}

/** A bad configuration value; the message is Redis's reason text. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * A CONFIG SET that failed: `param` is the name Redis's reply names
 * (`possibly related to argument '<param>'`), `message` the reason;
 * `applying` when the value was valid but could not be put in force.
 */
export class ConfigSetError extends ConfigError {
  constructor(readonly param: string, reason: string, readonly applying = false) {
    super(reason);
    this.name = "ConfigSetError";
  }
}

const UNITS: Record<string, bigint> = {
  "": 1n,
  b: 1n,
  k: 1000n,
  kb: 1024n,
  m: 1000n * 1000n,
  mb: 1024n * 1024n,
  g: 1000n * 1000n * 1000n,
  gb: 1024n * 1024n * 1024n,
};

/**
 * Redis's `memtoull`: digits and an optional unit (`b`, `k`, `kb`, `m`,
 * `mb`, `g`, `gb`, any case), wrapping as C's unsigned 64-bit arithmetic
 * does. Undefined when it is not a memory value (a sign, a space, a dot).
 *
 * @example
 * ```ts
 * import { memToBig } from "./config.ts";
 * console.log(memToBig("64mb"), memToBig("-1")); // 67108864n undefined
 * ```
 */
export function memToBig(s: string): bigint | undefined {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  const unit = UNITS[s.slice(i).toLowerCase()];
  if (unit === undefined) return undefined;
  // strtoull: no digits reads as 0; an overflow saturates.
  let n = i === 0 ? 0n : BigInt(s.slice(0, i));
  if (n > ULLONG_MAX) n = ULLONG_MAX;
  return BigInt.asUintN(64, n * unit);
}

/** Parses a memory value (`512mb`, `1gb`, `100`), as redis.conf does. */
export function parseMemory(s: string): number | undefined {
  const n = memToBig(s);
  return n === undefined ? undefined : Number(n);
}

/**
 * Formats bytes as CONFIG REWRITE writes them (`rewriteConfigFormatMemory`):
 * in `gb`, `mb` or `kb` when a whole number of them, else in bytes.
 *
 * @example
 * ```ts
 * import { formatMemory } from "./config.ts";
 * console.log(formatMemory(64n * 1024n * 1024n), formatMemory(1000n)); // 64mb 1000
 * ```
 */
export function formatMemory(bytes: bigint): string {
  const n = BigInt.asIntN(64, bytes);
  for (const [unit, size] of [["gb", 1n << 30n], ["mb", 1n << 20n], ["kb", 1n << 10n]] as const) {
    if (n !== 0n && n % size === 0n) return `${n / size}${unit}`;
  }
  return n.toString();
}

/** Redis's `string2ll`: a strict 64-bit integer (no sign but `-`, no leading zeros). */
function string2ll(s: string): bigint | undefined {
  if (s === "0") return 0n;
  if (!/^-?[1-9][0-9]*$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < LLONG_MIN || n > LONG_MAX ? undefined : n;
}

/** `strtoll(s, &end, 8)` with nothing left over and no overflow. */
function octalToBig(s: string): bigint | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-7]*)$/.exec(s);
  if (m === null || (m[2] === "" && s !== "")) return undefined;
  const n = m[2] === "" ? 0n : BigInt("0o" + m[2]);
  const v = m[1] === "-" ? -n : n;
  return v < LLONG_MIN || v > LONG_MAX ? undefined : v;
}

const big = (n: number | bigint): bigint => typeof n === "bigint" ? n : BigInt(n);

/** A numeric value as Redis parses it, before the bounds (its `long long`). */
function parseNumeric(d: ConfigDirective, v: string): bigint {
  if (d.type === "memory") {
    const m = memToBig(v);
    if (m !== undefined) return BigInt.asIntN(64, m);
    if (d.percent && v.length > 1 && v.endsWith("%")) {
      const p = string2ll(v.slice(0, -1));
      // Stored negative, as Redis does.
      if (p !== undefined && p >= 0n) return -p;
    }
    throw new ConfigError(
      d.percent ? "argument must be a memory or percent value" : "argument must be a memory value",
    );
  }
  if (d.type === "octal") {
    const o = octalToBig(v);
    if (o === undefined) throw new ConfigError("argument couldn't be parsed as an octal number");
    return o;
  }
  const n = string2ll(v);
  if (n === undefined) throw new ConfigError("argument couldn't be parsed into an integer");
  return n;
}

/** Redis's `numericBoundaryCheck`. */
function checkBounds(d: ConfigDirective, n: bigint): void {
  const min = big(d.min ?? (d.unsigned ? 0n : LLONG_MIN));
  const max = big(d.max ?? (d.unsigned ? ULLONG_MAX : LONG_MAX));
  const fmt = (x: bigint) => d.type === "octal" ? x.toString(8) : x.toString();
  const between = () =>
    new ConfigError(`argument must be between ${fmt(min)} and ${fmt(max)} inclusive`);
  if (d.unsigned) {
    const u = BigInt.asUintN(64, n);
    if (u > max || u < min) throw between();
  } else if (d.percent && n < 0n) {
    if (n < min) throw new ConfigError(`percentage argument must be less or equal to ${-min}`);
  } else if (n > max || n < min) {
    throw between();
  }
}

/** How CONFIG GET shows a numeric value. */
function showNumeric(d: ConfigDirective, n: bigint): string {
  if (d.percent && n < 0n) return `${-n}%`;
  if (d.type === "memory") return BigInt.asUintN(64, n).toString();
  if (d.type === "octal") return BigInt.asUintN(64, n).toString(8);
  return n.toString();
}

/**
 * Checks and normalises a value for a directive (without storing it):
 * the canonical form CONFIG GET shows, or a {@link ConfigError} with
 * Redis's reason.
 *
 * @example
 * ```ts
 * import { normalizeValue } from "./config.ts";
 * const d = { name: "maxmemory", type: "memory", default: "0" } as const;
 * console.log(normalizeValue(d, "1kb", "0")); // "1024"
 * ```
 */
export function normalizeValue(d: ConfigDirective, raw: string, current: string): string {
  let v = raw;
  switch (d.type) {
    case "bool": {
      const l = v.toLowerCase();
      if (l !== "yes" && l !== "no") throw new ConfigError("argument must be 'yes' or 'no'");
      v = l;
      break;
    }
    case "int":
    case "memory":
    case "octal": {
      const n = parseNumeric(d, v);
      checkBounds(d, n);
      v = showNumeric(d, n);
      break;
    }
    case "enum": {
      const l = v.toLowerCase();
      const found = d.values!.find((x) => x.toLowerCase() === l);
      if (found === undefined) {
        throw new ConfigError(
          `argument(s) must be one of the following: ${d.values!.join(", ")}`,
        );
      }
      v = found;
      break;
    }
    case "string":
      break;
  }
  return d.validate ? d.validate(v, current) : v;
}

/**
 * Told a directive's value: as CONFIG GET shows it, and as it was given
 * (a directive whose shown form drops something, as
 * `notify-keyspace-events`'s `n` under `A`, reads the given one).
 * Throwing a {@link ConfigError} during a CONFIG SET makes it fail with that
 * reason and restores the previous values (Redis's failed apply).
 */
type Listener = (value: string, given: string) => void;

/**
 * Puts a CONFIG SET in force (see {@link ConfigStore.onApply}); `canWait`
 * when the caller can wait for a promise (else the applier must finish, or
 * fail, at once).
 */
type Applier = (canWait: boolean) => void | Promise<void>;

/**
 * The live configuration: canonical string values by directive name.
 *
 * @example
 * ```ts
 * import { ConfigStore } from "./config.ts";
 * const cfg = new ConfigStore();
 * cfg.declare({ name: "hz", type: "int", default: "10", min: 1, max: 500 });
 * cfg.set("hz", "20");
 * console.log(cfg.number("hz")); // 20
 * ```
 */
export class ConfigStore {
  /** Directives by lower-case name and alias, in declaration order. */
  #defs = new Map<string, ConfigDirective>();
  #values = new Map<string, string>();
  /** Values as given, before normalising. */
  #given = new Map<string, string>();
  #listeners = new Map<string, Listener[]>();
  #appliers: { names: Set<string>; fn: Applier }[] = [];
  /**
   * The absolute path of the config file the server was started with:
   * what CONFIG REWRITE rewrites and INFO's `config_file` shows.
   */
  file: string | undefined;

  /** Declares a directive and sets its default. */
  declare(d: ConfigDirective): void {
    for (const n of [d.name, ...(d.aliases ?? [])]) {
      if (this.#defs.has(n)) throw new Error(`config directive '${n}' declared twice`);
    }
    this.#defs.set(d.name, d);
    for (const a of d.aliases ?? []) this.#defs.set(a, d);
    this.#values.set(d.name, normalizeValue(d, d.default, d.default));
    this.#given.set(d.name, d.default);
  }

  /** The directive named `name` (or one of its aliases). */
  directive(name: string): ConfigDirective | undefined {
    return this.#defs.get(name.toLowerCase());
  }

  /** Every declared directive, once each, in declaration order. */
  directives(): ConfigDirective[] {
    return [...new Set(this.#defs.values())];
  }

  /** The current value, as CONFIG GET shows it. */
  get(name: string): string {
    const d = this.directive(name);
    if (!d) throw new Error(`unknown config directive '${name}'`);
    return this.#values.get(d.name)!;
  }

  /** The default value, normalised as CONFIG GET would show it. */
  defaultOf(name: string): string {
    const d = this.directive(name);
    if (!d) throw new Error(`unknown config directive '${name}'`);
    return normalizeValue(d, d.default, d.default);
  }

  /** The current value as a number (int and memory directives). */
  number(name: string): number {
    return Number(this.get(name));
  }

  /** The current value of a yes/no directive. */
  bool(name: string): boolean {
    return this.get(name) === "yes";
  }

  /**
   * Sets a value after validating it; throws ConfigError with Redis's reason.
   * `startup` allows immutable directives (command line and config file).
   */
  set(name: string, value: string, startup = false): void {
    const d = this.directive(name);
    if (!d) throw new ConfigError("Unknown option");
    if (!startup && d.mutable === false) {
      throw new ConfigError("can't set immutable config");
    }
    const v = normalizeValue(d, value, this.#values.get(d.name)!);
    this.#values.set(d.name, v);
    this.#given.set(d.name, value);
    for (const fn of this.#listeners.get(d.name) ?? []) fn(v, value);
  }

  /**
   * Sets several directives as one CONFIG SET does, all or nothing: every
   * value is checked first, then each is stored and its watchers told in
   * order, then the appliers of the changed directives run once each (see
   * {@link ConfigStore.onApply}). A watcher or applier that fails (Redis's
   * failed apply: a port that cannot be bound) restores every value, telling
   * the watchers and running the appliers again. Values that do not change
   * tell no one. Fails with a {@link ConfigSetError} naming the directive as
   * `pairs` spelled it (lower case): thrown, or the rejection of the promise
   * returned when an applier works asynchronously (only when `canWait`).
   *
   * The caller checks the names first (unknown, immutable, duplicates).
   */
  setMany(
    pairs: readonly (readonly [string, string])[],
    canWait = false,
  ): void | Promise<void> {
    const items = pairs.map(([name, value]) => {
      const d = this.directive(name);
      if (!d) throw new ConfigSetError(name, "Unknown option");
      return { param: name.toLowerCase(), d, given: value, value: "" };
    });
    for (const it of items) {
      try {
        it.value = normalizeValue(it.d, it.given, this.#values.get(it.d.name)!);
      } catch (e) {
        throw new ConfigSetError(it.param, reasonOf(e));
      }
    }
    const old = items.map((it): [string, string] => [
      this.#values.get(it.d.name)!,
      this.#given.get(it.d.name)!,
    ]);
    const appliers: { fn: Applier; param: string }[] = [];
    /** Puts the old values back, then fails with `e` as `param`'s. */
    const fail = (e: unknown, param: string): void | Promise<void> => {
      for (let j = items.length - 1; j >= 0; j--) {
        const [v, g] = old[j]!;
        const name = items[j]!.d.name;
        if (this.#values.get(name) === v && this.#given.get(name) === g) continue;
        try {
          this.#store(name, v, g);
        } catch { /* the old value was in force before: nothing better to restore */ }
      }
      const err = new ConfigSetError(param, reasonOf(e), true);
      const reapply = (i: number): void | Promise<void> => {
        for (; i < appliers.length; i++) {
          let r;
          try {
            r = appliers[i]!.fn(canWait);
          } catch { /* as above */ }
          if (r instanceof Promise) return r.catch(() => {}).then(() => reapply(i + 1));
        }
        throw err;
      };
      return reapply(0);
    };
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (it.value === old[i]![0] && it.given === old[i]![1]) continue;
      for (const a of this.#appliers) {
        if (a.names.has(it.d.name) && !appliers.some((x) => x.fn === a.fn)) {
          appliers.push({ fn: a.fn, param: it.param });
        }
      }
      try {
        this.#store(it.d.name, it.value, it.given);
      } catch (e) {
        return fail(e, it.param);
      }
    }
    const apply = (i: number): void | Promise<void> => {
      for (; i < appliers.length; i++) {
        const a = appliers[i]!;
        let r;
        try {
          r = a.fn(canWait);
        } catch (e) {
          return fail(e, a.param);
        }
        if (r instanceof Promise) {
          return r.then(() => apply(i + 1), (e) => fail(e, a.param));
        }
      }
    };
    return apply(0);
  }

  /**
   * Registers what puts a CONFIG SET of any of `names` in force when that
   * cannot be done one directive at a time (rebinding after `port` and
   * `bind`, reloading TLS after its files): run once per CONFIG SET, after
   * every value is stored, possibly asynchronously (the CONFIG SET then
   * answers when it is done). Failing with a {@link ConfigError} fails the
   * CONFIG SET with that reason and restores the values. Not run at
   * start-up.
   */
  onApply(names: readonly string[], fn: Applier): void {
    const set = new Set<string>();
    for (const n of names) {
      const d = this.directive(n);
      if (!d) throw new Error(`unknown config directive '${n}'`);
      set.add(d.name);
    }
    this.#appliers.push({ names: set, fn });
  }

  #store(name: string, value: string, given: string): void {
    this.#values.set(name, value);
    this.#given.set(name, given);
    for (const fn of this.#listeners.get(name) ?? []) fn(value, given);
  }

  /** Calls `fn` now and whenever the directive changes. */
  watch(name: string, fn: Listener): void {
    const d = this.directive(name);
    if (!d) throw new Error(`unknown config directive '${name}'`);
    const list = this.#listeners.get(d.name) ?? [];
    list.push(fn);
    this.#listeners.set(d.name, list);
    fn(this.#values.get(d.name)!, this.#given.get(d.name)!);
  }

  /**
   * CONFIG GET's name/value pairs for its arguments, as Redis 7.0 answers:
   * a name without `*`, `?` or `[` is looked up (hidden directives
   * included) and answered under the name as given; a pattern matches
   * every visible name and alias, case-insensitively. A directive already
   * answered under a name (any case) is not repeated.
   */
  match(patterns: readonly string[]): [string, string][] {
    const out: [string, string][] = [];
    const seen = new Set<string>();
    for (const p of patterns) {
      if (!/[*?[]/.test(p)) {
        const d = this.directive(p);
        const key = p.toLowerCase();
        if (d !== undefined && !d.fileOnly && !seen.has(key)) {
          seen.add(key);
          out.push([p, this.#values.get(d.name)!]);
        }
        continue;
      }
      for (const [key, d] of this.#defs) {
        if (d.hidden || d.fileOnly || seen.has(key) || !globMatch(p, key, true)) continue;
        seen.add(key);
        out.push([key, this.#values.get(d.name)!]);
      }
    }
    return out;
  }
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Splits a redis.conf line into arguments (`sdssplitargs` rules): spaces
 * separate, `"..."` takes `\n`, `\xHH` escapes, `'...'` takes `\'`.
 * Returns undefined for unbalanced quotes.
 *
 * @example
 * ```ts
 * import { splitArgs } from "./config.ts";
 * console.log(splitArgs('save ""')); // ["save", ""]
 * ```
 */
export function splitArgs(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string) =>
    c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\v" ||
    c === "\f";
  for (;;) {
    while (i < n && isSpace(line[i]!)) i++;
    if (i >= n) return out;
    let cur = "";
    let inDq = false, inSq = false, done = false;
    while (!done) {
      const c = line[i];
      if (inDq) {
        if (c === undefined) return undefined;
        if (
          c === "\\" && line[i + 1] === "x" && isHex(line[i + 2]) &&
          isHex(line[i + 3])
        ) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i]!;
          cur += e === "n"
            ? "\n"
            : e === "r"
            ? "\r"
            : e === "t"
            ? "\t"
            : e === "b"
            ? "\b"
            : e === "a"
            ? "\x07"
            : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return undefined;
          done = true;
        } else {
          cur += c;
        }
      } else if (inSq) {
        if (c === undefined) return undefined;
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1]!)) return undefined;
          done = true;
        } else {
          cur += c;
        }
      } else {
        if (c === undefined || isSpace(c)) {
          done = true;
        } else if (c === '"') {
          inDq = true;
        } else if (c === "'") {
          inSq = true;
        } else {
          cur += c;
        }
      }
      if (i < n) i++;
    }
    out.push(cur);
  }
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}
