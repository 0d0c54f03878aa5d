/**
 * Redis 7's dataset digest (`DEBUG DIGEST`, `DEBUG DIGEST-VALUE`), as in
 * `src/debug.c`: SHA1-based `xorDigest` / `mixDigest` over every key, its
 * value and whether it has an expire. Strings are digested here; Redis's
 * other types take part by implementing {@link Digestible} on their
 * DataObject, and plugin types through their value type's `digest`, as
 * Redis digests module types (debug.c `OBJ_MODULE`).
 *
 * @module
 */

import type { Bytes } from "./types.ts";
import { sha1, toHex } from "./sha1.ts";
import {
  type Database,
  type DataObject,
  storedValue,
  type Value,
  type ValueType,
} from "./keyspace.ts";
import type { ModuleDigest } from "./value_type.ts";

/** A 20-byte digest. */
export type Digest = Uint8Array;

/**
 * What a value's {@link Digestible.digest} writes into: the per-key digest
 * Redis's `xorObjectDigest` builds.
 */
export interface ValueDigest {
  /** `xorDigest`: XORs SHA1(bytes) into the digest (order-independent: sets). */
  xor(bytes: Bytes): void;
  /** `mixDigest`: XORs SHA1(bytes) in, then replaces the digest by its SHA1 (ordered: lists). */
  mix(bytes: Bytes): void;
  /**
   * One unordered element made of ordered parts (a hash field and its value,
   * a sorted-set member and its score): mixes the parts into a zeroed
   * element digest, then XORs that into the digest.
   */
  element(...parts: Bytes[]): void;
}

/**
 * Implemented by DataObjects that take part in `DEBUG DIGEST`. Redis's
 * per-type recipes (debug.c `xorObjectDigest`):
 * - list: `mix` each element, head to tail;
 * - set: `xor` each member;
 * - zset: `element(member, score)` with the score formatted by `fpconv_dtoa`
 *   (shortest round-trip, like `formatDouble`);
 * - hash: `element(field, value)`;
 * - stream: see debug.c (entries and consumer groups).
 *
 * @example
 * ```ts
 * import type { Digestible, ValueDigest } from "./digest.ts";
 * class MyList implements Digestible {
 *   items: string[] = [];
 *   digest(d: ValueDigest) {
 *     for (const it of this.items) d.mix(it);
 *   }
 * }
 * ```
 */
export interface Digestible {
  digest(d: ValueDigest): void;
}

/** Redis's object type numbers (`OBJ_STRING`...), hashed before each value. */
const TYPE_IDS: Record<string, number> = {
  string: 0,
  list: 1,
  set: 2,
  zset: 3,
  hash: 4,
  stream: 6,
};
/** OBJ_MODULE: any type Redis does not know. */
const MODULE_TYPE = 5;

const scratch = new Uint8Array(20);

/** `xorDigest`: digest ^= SHA1(data). */
function xorDigest(digest: Digest, data: Bytes | Uint8Array): void {
  sha1(data, scratch);
  for (let i = 0; i < 20; i++) digest[i]! ^= scratch[i]!;
}

/** `mixDigest`: digest = SHA1(digest ^ SHA1(data)). */
function mixDigest(digest: Digest, data: Bytes | Uint8Array): void {
  xorDigest(digest, data);
  sha1(digest, digest);
}

function u32be(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

/** Hex of a digest, as DEBUG DIGEST prints it. */
export function digestHex(d: Digest): string {
  return toHex(d);
}

function isDigestible(v: unknown): v is Digestible {
  return typeof (v as Partial<Digestible>).digest === "function";
}

/**
 * A module type's digest of one value: parts are mixed into a sequence `o`,
 * each ended sequence is XORed into `x` (`RedisModuleDigest`), and the
 * value's digest takes SHA1(x).
 */
function moduleDigest(digest: Digest, value: DataObject, t: ValueType): void {
  const o = new Uint8Array(20);
  const x = new Uint8Array(20);
  const md: ModuleDigest = {
    addString: (b) => mixDigest(o, b),
    // ll2string: the decimal text.
    addLongLong: (n) => mixDigest(o, String(n)),
    endSequence: () => {
      xorDigest(x, o);
      o.fill(0);
    },
  };
  t.digest!(value, md);
  xorDigest(digest, x);
}

/**
 * `xorObjectDigest`: mixes the value's type, the value, and an expire
 * marker into `digest` (the key itself is not included). Plugin types are
 * digested by their registered type in `types`.
 */
export function objectDigest(
  digest: Digest,
  value: Value,
  hasExpire: boolean,
  types?: ReadonlyMap<string, ValueType>,
): void {
  const type = typeof value === "string" ? "string" : value.type;
  const id = TYPE_IDS[type];
  mixDigest(digest, u32be(id ?? MODULE_TYPE));
  const moduleType = id === undefined ? types?.get(type) : undefined;
  if (typeof value === "string") {
    mixDigest(digest, value);
  } else if (moduleType !== undefined) {
    // As Redis: a module type without a digest method adds nothing.
    if (moduleType.digest !== undefined) moduleDigest(digest, value, moduleType);
  } else if (isDigestible(value)) {
    value.digest({
      xor: (b) => xorDigest(digest, b),
      mix: (b) => mixDigest(digest, b),
      element: (...parts) => {
        const ele = new Uint8Array(20);
        for (const p of parts) mixDigest(ele, p);
        xorDigest(digest, ele);
      },
    });
  }
  // Redis mixes only the presence of an expire, not its time, so a dataset
  // digests the same after a reload.
  if (hasExpire) xorDigest(digest, "!!expire!!");
}

/**
 * The digest of one key's value (`DEBUG DIGEST-VALUE`); 20 zero bytes when
 * the key does not exist. Logically expired keys still count, as in Redis.
 */
export function valueDigest(db: Database, key: Bytes): Digest {
  const d = new Uint8Array(20);
  const v = db.data.get(key);
  if (v !== undefined) objectDigest(d, storedValue(v), db.expires.has(key), db.keyspace.types);
  return d;
}

/**
 * `computeDatasetDigest`: every non-empty database's index, then each
 * key/value digest XORed in, so key order does not matter.
 *
 * @example
 * ```ts
 * import { Keyspace } from "./keyspace.ts";
 * import { datasetDigest, digestHex } from "./digest.ts";
 * const ks = new Keyspace({ databases: 1 });
 * console.log(digestHex(datasetDigest(ks.dbs))); // forty zeros
 * ```
 */
export function datasetDigest(dbs: readonly Database[]): Digest {
  const final = new Uint8Array(20);
  for (const db of dbs) {
    if (db.data.size === 0) continue;
    mixDigest(final, u32be(db.index));
    for (const [key, v] of db.data) {
      const d = new Uint8Array(20);
      mixDigest(d, key);
      objectDigest(d, storedValue(v), db.expires.has(key), db.keyspace.types);
      xorDigest(final, d);
    }
  }
  return final;
}
