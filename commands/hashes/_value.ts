/**
 * The hash value: a table of field -> value (a {@link KeyMap}: O(1) per
 * field, insertion ordered, fields never internalized by V8) plus the
 * encoding Redis would use for it.
 *
 * Redis keeps small hashes in a listpack (insertion order) and converts them
 * once, for good, to a hash table when they grow past
 * `hash-max-listpack-entries` fields or get a field or value longer than
 * `hash-max-listpack-value` bytes. We always store a table, whose iteration
 * order is insertion order, and only track the encoding flag, so OBJECT
 * ENCODING, HSCAN and HRANDFIELD behave as Redis's for that encoding.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { DataObject, FieldsView, PairsView, ValueType } from "../../core/keyspace.ts";
import type { Digestible, ValueDigest } from "../../core/digest.ts";
import { KeyMap } from "../../core/keymap.ts";

/** Listpack thresholds, read from the config by the plugin. */
export interface HashLimits {
  /** `hash-max-listpack-entries`. */
  entries: number;
  /** `hash-max-listpack-value`. */
  value: number;
}

/**
 * A hash value.
 *
 * @example
 * ```ts
 * import { HashObject } from "./_value.ts";
 * const h = new HashObject();
 * h.map.set("f", "v");
 * console.log(h.encoding(), h.field("f")); // "listpack" "v"
 * ```
 */
export class HashObject implements DataObject, Digestible, FieldsView, PairsView {
  readonly type = "hash";
  /** Field -> value. Call {@link HashObject.fieldsChanged} after adding or deleting fields. */
  readonly map: KeyMap<Bytes>;
  /** True once converted to a hash table (one way, as in Redis). */
  ht = false;
  /** Field names in an array, for O(1) random picks; dropped on any add or delete. */
  #fields: Bytes[] | undefined;

  constructor(map: KeyMap<Bytes> = new KeyMap()) {
    this.map = map;
  }

  /** OBJECT ENCODING's answer. */
  encoding(): string {
    return this.ht ? "hashtable" : "listpack";
  }

  /** A deep copy with the same encoding (COPY keeps it, as Redis's dup). */
  clone(): HashObject {
    const h = new HashObject(this.map.copy());
    h.ht = this.ht;
    return h;
  }

  /** Redis's hash digest: one unordered element (field, value) per field. */
  digest(d: ValueDigest): void {
    for (const [f, v] of this.map) d.element(f, v);
  }

  /** Every (field, value) pair in order (RDB and DUMP read them). */
  pairs(): Iterable<[Bytes, Bytes]> {
    return this.map.entries();
  }

  /**
   * A hash from pairs, with the encoding Redis picks for that content
   * (RDB loading, RESTORE): a later duplicate field overwrites.
   */
  static fromPairs(pairs: Iterable<[Bytes, Bytes]>, limits: HashLimits): HashObject {
    const h = new HashObject();
    for (const [f, v] of pairs) {
      h.map.set(f, v);
      h.checkLength(f, limits);
      h.checkLength(v, limits);
    }
    h.checkSize(limits);
    return h;
  }

  /** SORT's `key->field` lookups. */
  field(name: Bytes): Bytes | undefined {
    return this.map.get(name);
  }

  /** Number of fields. */
  get length(): number {
    return this.map.size;
  }

  /** Must be called after fields were added or deleted (not on value updates). */
  fieldsChanged(): void {
    this.#fields = undefined;
  }

  /** Converts to a hash table when a field or value is too long for a listpack. */
  checkLength(s: Bytes, limits: HashLimits): void {
    if (!this.ht && s.length > limits.value) this.ht = true;
  }

  /** Converts to a hash table when there are too many fields for a listpack. */
  checkSize(limits: HashLimits): void {
    if (!this.ht && this.map.size > limits.entries) this.ht = true;
  }

  /** A uniformly random field (the hash must not be empty). */
  randomField(): Bytes {
    const f = this.#fields ??= [...this.map.keys()];
    return f[Math.floor(Math.random() * f.length)]!;
  }

  /**
   * `count` distinct random fields (`count` < size). A large share is
   * drawn by selection sampling in one pass (fields keep hash order, as
   * Redis's listpack sampling does); a small one by random picks.
   */
  distinctFields(count: number): Bytes[] {
    const size = this.map.size;
    if (count * 3 > size) {
      const out: Bytes[] = [];
      let left = size;
      for (const f of this.map.keys()) {
        if (Math.random() * left < count - out.length) {
          out.push(f);
          if (out.length === count) break;
        }
        left--;
      }
      return out;
    }
    const seen = new KeyMap<true>();
    while (seen.size < count) seen.set(this.randomField(), true);
    return [...seen.keys()];
  }
}

/**
 * The `hash` value type of a server whose thresholds are `limits`:
 * persistence and RESTORE build hashes through it.
 */
export function hashType(limits: HashLimits): ValueType {
  return { name: "hash", fromPairs: (pairs) => HashObject.fromPairs(pairs, limits) };
}
