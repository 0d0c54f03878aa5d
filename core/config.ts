/**
 * Configuration directives: declared by the core and by plugins, read from
 * the command line and redis.conf, changed by CONFIG SET.
 *
 * @module
 */

import { globMatch } from "./glob.ts";

/** The kinds of value a directive holds. */
export type ConfigType = "bool" | "int" | "memory" | "string" | "enum";

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
  /** False when CONFIG SET may not change it. Default true. */
  mutable?: boolean;
  /** Allowed values for `enum`. */
  values?: readonly string[];
  min?: number;
  max?: number;
  aliases?: readonly string[];
  /** Extra validation or normalisation; throws an Error with the reason. */
  validate?: (value: string) => string;
  /** Hidden from `CONFIG GET *` (aliases, sensitive values). */
  hidden?: boolean;
}

/** A bad configuration value; the message is Redis's reason text. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: 1024 * 1024,
  g: 1000 * 1000 * 1000,
  gb: 1024 * 1024 * 1024,
};

/** Parses a memory value (`512mb`, `1gb`, `100`), as redis.conf does. */
export function parseMemory(s: string): number | undefined {
  const m = /^(-?\d+)([a-z]*)$/i.exec(s.trim());
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Number(m[1]) * unit;
}

/**
 * Told a directive's value: as CONFIG GET shows it, and as it was given
 * (a directive whose shown form drops something, as
 * `notify-keyspace-events`'s `n` under `A`, reads the given one).
 */
type Listener = (value: string, given: string) => void;

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
  #defs = new Map<string, ConfigDirective>();
  #values = new Map<string, string>();
  /** Values as given, before normalising. */
  #given = new Map<string, string>();
  #listeners = new Map<string, Listener[]>();

  /** Declares a directive and sets its default. */
  declare(d: ConfigDirective): void {
    if (this.#defs.has(d.name)) {
      throw new Error(`config directive '${d.name}' declared twice`);
    }
    this.#defs.set(d.name, d);
    for (const a of d.aliases ?? []) this.#defs.set(a, d);
    this.#values.set(d.name, this.#normalize(d, d.default));
    this.#given.set(d.name, d.default);
  }

  /** The directive named `name` (or one of its aliases). */
  directive(name: string): ConfigDirective | undefined {
    return this.#defs.get(name.toLowerCase());
  }

  /** Every declared directive, once each. */
  directives(): ConfigDirective[] {
    return [...new Set(this.#defs.values())];
  }

  /** The current value, as CONFIG GET shows it. */
  get(name: string): string {
    const d = this.directive(name);
    if (!d) throw new Error(`unknown config directive '${name}'`);
    return this.#values.get(d.name)!;
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
    const v = this.#normalize(d, value);
    this.#values.set(d.name, v);
    this.#given.set(d.name, value);
    for (const fn of this.#listeners.get(d.name) ?? []) fn(v, value);
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

  /** Name/value pairs whose name matches any of the glob patterns. */
  match(patterns: readonly string[]): [string, string][] {
    const out = new Map<string, string>();
    for (const [key, d] of this.#defs) {
      if (out.has(key)) continue;
      const isAlias = key !== d.name;
      for (const p of patterns) {
        const lp = p.toLowerCase();
        const exact = lp === key;
        // Aliases and hidden entries answer only when named exactly.
        if ((isAlias || d.hidden) && !exact) continue;
        if (exact || globMatch(lp, key)) {
          out.set(key, this.#values.get(d.name)!);
          break;
        }
      }
    }
    return [...out];
  }

  #normalize(d: ConfigDirective, raw: string): string {
    let v = raw;
    switch (d.type) {
      case "bool": {
        const l = v.toLowerCase();
        if (l !== "yes" && l !== "no") {
          throw new ConfigError("argument must be 'yes' or 'no'");
        }
        v = l;
        break;
      }
      case "int":
      case "memory": {
        const n = d.type === "memory"
          ? parseMemory(v)
          : (/^-?\d+$/.test(v.trim()) ? Number(v) : undefined);
        if (n === undefined || !Number.isSafeInteger(n)) {
          throw new ConfigError(
            d.type === "memory"
              ? "argument must be a memory value"
              : "argument couldn't be parsed into an integer",
          );
        }
        const min = d.min ?? -Infinity, max = d.max ?? Infinity;
        if (n < min || n > max) {
          throw new ConfigError(
            `argument must be between ${min} and ${max} inclusive`,
          );
        }
        v = String(n);
        break;
      }
      case "enum": {
        const l = v.toLowerCase();
        if (!d.values!.includes(l)) {
          throw new ConfigError(
            `argument(s) must be one of the following: ${d.values!.join(", ")}`,
          );
        }
        v = l;
        break;
      }
      case "string":
        break;
    }
    return d.validate ? d.validate(v) : v;
  }
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
