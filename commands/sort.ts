/**
 * SORT and SORT_RO, as Redis 7.0's sort.c: BY (with `nosort`-style
 * constant patterns and `*->field` hash lookups), GET (`#`, key patterns,
 * `->field`), LIMIT, ASC|DESC, ALPHA and STORE.
 *
 * The family reads values only through the keyspace's typed views (see
 * `viewOf`): lists, sets and sorted sets as elements, hashes by field;
 * STORE builds its list through the registered `list` value type. So it
 * depends on no other family.
 *
 * @module
 */

import { commandFamily, definePlugin, keys } from "../core/registry.ts";
import type { Bytes, CommandArg, Context, KeySpec, KeySpecFlag } from "../core/types.ts";
import { type Database, type ElementsView, typeOf, type Value, viewOf } from "../core/keyspace.ts";
import { Err, ReplyError, WRONGTYPE } from "../core/errors.ts";
import { parseInteger, strtod } from "../core/number.ts";

const SYNTAX = new ReplyError(Err.syntax);
const NOT_INTEGER = new ReplyError(Err.notInteger);

/** One element to sort, with what it sorts by. */
interface SortItem {
  obj: Bytes;
  score: number;
  cmp: Bytes | undefined;
}

const EMPTY: ElementsView = { elements: () => [], length: 0 };

/** The elements of a list, set or sorted set; undefined for other values. */
function elementsOf(v: Value): ElementsView | undefined {
  return viewOf(v, "list") ?? viewOf(v, "set") ?? viewOf(v, "zset");
}

/**
 * lookupKeyByPattern: `#` is the element itself; otherwise the first `*`
 * is replaced by the element and the key read as a string, or, with a
 * `->field` suffix after the `*`, as a hash field. Undefined when missing.
 */
export function lookupByPattern(db: Database, pattern: Bytes, subst: Bytes): Bytes | undefined {
  if (pattern === "#") return subst;
  const star = pattern.indexOf("*");
  if (star === -1) return undefined;
  const arrow = pattern.indexOf("->", star + 1);
  let keyPat = pattern, field: Bytes | undefined;
  if (arrow !== -1 && arrow + 2 < pattern.length) {
    field = pattern.slice(arrow + 2);
    keyPat = pattern.slice(0, arrow);
  }
  const key = keyPat.slice(0, star) + subst + keyPat.slice(star + 1);
  const o = db.get(key);
  if (o === undefined) return undefined;
  if (field !== undefined) {
    return viewOf(o, "hash")?.field(field);
  }
  return typeof o === "string" ? o : undefined;
}

/**
 * A SORT weight as Redis reads it with C's strtod: the whole string must
 * convert (up to a NUL), and a conversion error (ERANGE: overflow,
 * underflow, an inexact subnormal) or NaN fails (undefined). An empty
 * string is 0: strtod stops at once, at the end.
 *
 * @example
 * ```ts
 * import { sortWeight } from "./sort.ts";
 * console.log(sortWeight(" 1.5"), sortWeight("1.5 "), sortWeight("1e400")); // 1.5 undefined undefined
 * ```
 */
export function sortWeight(s: Bytes): number | undefined {
  const r = strtod(s);
  if (r.erange || Number.isNaN(r.value)) return undefined;
  if (r.used < s.length && s.charCodeAt(r.used) !== 0) return undefined;
  return r.value;
}

function cmpBytes(a: Bytes, b: Bytes): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortCommand(c: Context, argv: Bytes[], readonly: boolean): void {
  let desc = false, alpha = false, dontsort = false;
  let limitStart = 0, limitCount = -1;
  let sortby: Bytes | undefined, storekey: Bytes | undefined;
  const gets: Bytes[] = [];
  for (let j = 2; j < argv.length; j++) {
    const opt = argv[j]!.toLowerCase();
    const left = argv.length - j - 1;
    if (opt === "asc") desc = false;
    else if (opt === "desc") desc = true;
    else if (opt === "alpha") alpha = true;
    else if (opt === "limit" && left >= 2) {
      const s = parseInteger(argv[j + 1]!), n = parseInteger(argv[j + 2]!);
      if (s === undefined || n === undefined) throw NOT_INTEGER;
      limitStart = s;
      limitCount = n;
      j += 2;
    } else if (!readonly && opt === "store" && left >= 1) {
      storekey = argv[++j]!;
    } else if (opt === "by" && left >= 1) {
      sortby = argv[++j]!;
      // A pattern without `*` names no per-element key: do not sort.
      if (!sortby.includes("*")) dontsort = true;
    } else if (opt === "get" && left >= 1) {
      gets.push(argv[++j]!);
    } else {
      throw SYNTAX;
    }
  }
  const db = c.db;
  const v = db.get(argv[1]!);
  const all = v === undefined ? EMPTY : elementsOf(v);
  if (all === undefined) throw WRONGTYPE;
  const type = v === undefined ? "list" : typeOf(v);
  // A set has no order of its own: with STORE, sort it so the stored list
  // (and what replicas compute) is deterministic.
  if (dontsort && type === "set" && storekey !== undefined) {
    dontsort = false;
    alpha = true;
    sortby = undefined;
  }
  const len = all.length;
  let start = Math.min(Math.max(limitStart, 0), len);
  limitCount = Math.min(Math.max(limitCount, -1), len);
  let end = limitCount < 0 ? len : start + limitCount - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;

  let vector: SortItem[];
  const item = (obj: Bytes): SortItem => ({ obj, score: 0, cmp: undefined });
  if (dontsort && type !== "set") {
    // Native order (lists, sorted sets), only the LIMIT range, DESC reversed.
    vector = [];
    if (end >= start) {
      const elems = [...all.elements()];
      for (let j = start; j <= end; j++) vector.push(item(elems[desc ? len - 1 - j : j]!));
    }
    end -= start;
    start = 0;
  } else {
    vector = [];
    for (const e of all.elements()) vector.push(item(e));
  }

  let convError = false;
  if (!dontsort) {
    for (const it of vector) {
      const byval = sortby !== undefined ? lookupByPattern(db, sortby, it.obj) : it.obj;
      if (byval === undefined) continue;
      if (alpha) {
        if (sortby !== undefined) it.cmp = byval;
      } else {
        const d = sortWeight(byval);
        if (d === undefined) convError = true;
        else it.score = d;
      }
    }
    const byPattern = sortby !== undefined;
    const sign = desc ? -1 : 1;
    vector.sort((a, b) => {
      let cmp: number;
      if (!alpha) {
        cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : cmpBytes(a.obj, b.obj);
      } else if (byPattern) {
        if (a.cmp === undefined || b.cmp === undefined) {
          cmp = a.cmp === b.cmp ? 0 : a.cmp === undefined ? -1 : 1;
        } else {
          cmp = cmpBytes(a.cmp, b.cmp);
        }
      } else {
        cmp = cmpBytes(a.obj, b.obj);
      }
      return sign * cmp;
    });
  }

  if (convError) throw new ReplyError("ERR One or more scores can't be converted into double");
  const count = Math.max(end - start + 1, 0);
  const outputlen = gets.length !== 0 ? gets.length * count : count;
  if (storekey === undefined) {
    const r = c.reply;
    r.array(outputlen);
    for (let j = start; j <= end; j++) {
      const obj = vector[j]!.obj;
      if (gets.length === 0) r.bulk(obj);
      for (const g of gets) {
        const val = lookupByPattern(db, g, obj);
        if (val === undefined) r.nullBulk();
        else r.bulk(val);
      }
    }
    return;
  }
  const out: Bytes[] = [];
  for (let j = start; j <= end; j++) {
    const obj = vector[j]!.obj;
    if (gets.length === 0) out.push(obj);
    for (const g of gets) out.push(lookupByPattern(db, g, obj) ?? "");
  }
  if (outputlen !== 0) {
    const list = db.keyspace.types.get("list")?.fromElements;
    if (list === undefined) throw new ReplyError("ERR SORT STORE needs the list type");
    db.set(storekey, list(out));
    // Redis counts every stored element as a change.
    c.changed(storekey, "sortstore", "l", outputlen);
  } else if (db.delete(storekey)) {
    c.changed(storekey, "del", "g");
  }
  c.reply.integer(outputlen);
}

/** sortGetKeys: the sorted key, plus the last STORE destination. */
function sortKeys(argv: Bytes[]): number[] {
  const out = [1];
  let store = -1;
  const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!.toLowerCase();
    if (skip[a] !== undefined) i += skip[a];
    else if (a === "store" && i + 1 < argv.length) store = i + 1;
  }
  if (store !== -1) out.push(store);
  return out;
}

const command = commandFamily({ group: "generic" });

const CATEGORIES = ["set", "sortedset", "list", "dangerous"];
const COMPLEXITY =
  "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";
const RO_ACCESS: readonly KeySpecFlag[] = ["RO", "ACCESS"];
const OW_UPDATE: readonly KeySpecFlag[] = ["OW", "UPDATE"];
/** The keys BY and GET patterns name: derived from the sorted values. */
const BY_GET_KEYS: KeySpec = {
  notes:
    "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort",
  flags: RO_ACCESS,
  begin: { unknown: true },
  find: { unknown: true },
};
/** SORT_RO's arguments; SORT's add STORE. */
const ARGUMENTS: readonly CommandArg[] = [
  { name: "key", type: "key", keySpecIndex: 0 },
  { name: "pattern", type: "pattern", keySpecIndex: 1, token: "BY", flags: ["optional"] },
  {
    name: "offset_count",
    type: "block",
    token: "LIMIT",
    flags: ["optional"],
    arguments: [{ name: "offset", type: "integer" }, { name: "count", type: "integer" }],
  },
  {
    name: "pattern",
    type: "pattern",
    keySpecIndex: 1,
    token: "GET",
    flags: ["optional", "multiple", "multiple_token"],
  },
  {
    name: "order",
    type: "oneof",
    flags: ["optional"],
    arguments: [
      { name: "asc", type: "pure-token", token: "ASC" },
      { name: "desc", type: "pure-token", token: "DESC" },
    ],
  },
  { name: "sorting", type: "pure-token", token: "ALPHA", flags: ["optional"] },
];

const sort = command({
  name: "sort",
  arity: -2,
  flags: ["write", "denyoom"],
  categories: CATEGORIES,
  keySpecs: [keys.one(1, RO_ACCESS), BY_GET_KEYS, {
    notes:
      "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
    flags: OW_UPDATE,
    begin: { unknown: true },
    find: { unknown: true },
  }],
  getKeys: sortKeys,
  // As Redis's sortGetKeys: the sorted key is read, the STORE key written.
  keyFlags: (_argv, pos) => pos === 1 ? RO_ACCESS : OW_UPDATE,
  docs: {
    summary: "Sort the elements in a list, set or sorted set",
    since: "1.0.0",
    complexity: COMPLEXITY,
    arguments: [
      ...ARGUMENTS,
      { name: "destination", type: "key", keySpecIndex: 2, token: "STORE", flags: ["optional"] },
    ],
  },
  handler: (c, argv) => sortCommand(c, argv, false),
});

const sortRo = command({
  name: "sort_ro",
  arity: -2,
  flags: ["readonly"],
  categories: CATEGORIES,
  keySpecs: [keys.one(1, RO_ACCESS), BY_GET_KEYS],
  getKeys: () => [1],
  docs: {
    summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
    since: "7.0.0",
    complexity: COMPLEXITY,
    arguments: ARGUMENTS,
  },
  handler: (c, argv) => sortCommand(c, argv, true),
});

/**
 * The sort plugin: SORT and SORT_RO over any type that implements the
 * keyspace's element views.
 *
 * @example
 * ```ts
 * import sort from "./sort.ts";
 * console.log(sort.commands.map((c) => c.name)); // [ "sort", "sort_ro" ]
 * ```
 */
export default definePlugin({ name: "sort", commands: [sort, sortRo] });
