/**
 * Value types: what a family or a plugin declares about the values it
 * stores, so that the rest of the server (persistence, replication, AOF
 * rewrites, DEBUG DIGEST, memory accounting) handles them without knowing
 * their classes.
 *
 * A plugin's own type is persisted as Redis persists a module's data type:
 * in RDB files, DUMP payloads and full resyncs as `RDB_TYPE_MODULE_2`, its
 * bytes written through {@link RdbSaveIO} with the module API's opcodes. A
 * real Redis without that module refuses such data the way it refuses any
 * unknown module's. A type whose values need not survive a restart says so
 * with `volatile: true` instead; a type that says neither is refused when
 * it is registered.
 *
 * @module
 */

import type { Bytes } from "./types.ts";
import type { DataObject, StreamDump } from "./keyspace.ts";

/**
 * Writes one value's fields into an RDB file, DUMP payload or full resync,
 * as Redis's `RedisModule_Save*` calls do: each field is an opcode then its
 * data, so a loader that reads other fields than were written fails
 * cleanly instead of misreading the file.
 *
 * @example
 * ```ts
 * import type { RdbSaveIO } from "./value_type.ts";
 * function savePoint(p: { x: number; y: number; label: string }, io: RdbSaveIO) {
 *   io.saveDouble(p.x);
 *   io.saveDouble(p.y);
 *   io.saveString(p.label);
 * }
 * ```
 */
export interface RdbSaveIO {
  /** An unsigned 64-bit integer (`RedisModule_SaveUnsigned`). */
  saveUnsigned(n: number | bigint): void;
  /**
   * A signed 64-bit integer (`RedisModule_SaveSigned`: stored as its
   * two's-complement unsigned value, with the unsigned opcode, as Redis).
   */
  saveSigned(n: number | bigint): void;
  /** A byte string (`RedisModule_SaveStringBuffer`). */
  saveString(s: Bytes): void;
  /** A double, 8 bytes (`RedisModule_SaveDouble`). */
  saveDouble(d: number): void;
  /** A float, 4 bytes: precision beyond float32 is lost (`RedisModule_SaveFloat`). */
  saveFloat(f: number): void;
}

/**
 * Reads back, in the same order, the fields {@link RdbSaveIO} wrote. Each
 * call checks the field's opcode: a mismatch (or a truncated value) throws,
 * and the load fails with a message naming the type and the offset.
 *
 * The integer readers return numbers and fail on values beyond 2^53; the
 * `Big` variants return bigints for the full 64-bit range.
 *
 * @example
 * ```ts
 * import type { RdbLoadIO } from "./value_type.ts";
 * function loadPoint(io: RdbLoadIO) {
 *   return { x: io.loadDouble(), y: io.loadDouble(), label: io.loadString() };
 * }
 * ```
 */
export interface RdbLoadIO {
  loadUnsigned(): number;
  loadUnsignedBig(): bigint;
  loadSigned(): number;
  loadSignedBig(): bigint;
  loadString(): Bytes;
  loadDouble(): number;
  loadFloat(): number;
  /**
   * Fails the load with `message` (a value the type cannot accept: out of
   * range, inconsistent), naming the type and the offset.
   */
  fail(message: string): never;
}

/**
 * How a type's values are written in RDB form, as a Redis module data type
 * (`RedisModule_CreateDataType`): a 9-character type name and an encoding
 * version make the 64-bit module type id stored before each value.
 *
 * @example
 * ```ts
 * import type { ModuleTypeRdb } from "./value_type.ts";
 * class Box {
 *   readonly type = "box";
 *   constructor(public n = 0) {}
 *   encoding() {
 *     return "raw";
 *   }
 *   clone() {
 *     return new Box(this.n);
 *   }
 * }
 * const rdb: ModuleTypeRdb<Box> = {
 *   name: "boxtype-1",
 *   encver: 0,
 *   save: (v, io) => io.saveSigned(v.n),
 *   load: (io) => new Box(io.loadSigned()),
 * };
 * ```
 */
export interface ModuleTypeRdb<T extends DataObject = DataObject> {
  /**
   * Exactly 9 characters of `A-Z a-z 0-9 - _` (Redis's module type names):
   * unique among the types the server knows, and what a real Redis names
   * in its error when it cannot load the data.
   */
  readonly name: string;
  /** The encoding version written now, 0..1023; `load` gets the one read. */
  readonly encver: number;
  /** Writes a value's fields. */
  save(value: T, io: RdbSaveIO): void;
  /**
   * Rebuilds a value from the fields `save` wrote under encoding version
   * `encver` (the one in the file, maybe older than the current one).
   */
  load(io: RdbLoadIO, encver: number): T;
}

/**
 * What a type's `digest` writes into, as Redis's `RedisModuleDigest`: the
 * parts of a value are added to an ordered sequence (`o`), and each ended
 * sequence is XORed into the value's digest (`x`), so the order of
 * sequences does not matter while the order within one does.
 */
export interface ModuleDigest {
  /** `RedisModule_DigestAddStringBuffer`: mixes bytes into the sequence. */
  addString(bytes: Bytes): void;
  /** `RedisModule_DigestAddLongLong`: mixes an integer's decimal text in. */
  addLongLong(n: number | bigint): void;
  /** `RedisModule_DigestEndSequence`: XORs the sequence in, starts a new one. */
  endSequence(): void;
}

/**
 * A value type a plugin registers (in `types` of its plugin or of what its
 * `init` returns), so other families can create values of it without
 * importing its classes (SORT ... STORE makes a list, RDB loading makes
 * every type), and persistence, replication, AOF rewrites, DEBUG DIGEST and
 * memory accounting handle its values.
 *
 * Redis's own types (string, list, set, zset, hash, stream) are persisted
 * natively by the rdb plugin and only provide builders. Any other type must
 * declare `rdb` (and may add `rewrite`, `digest`, `memoryUsage`), or be
 * `volatile`.
 *
 * @example
 * ```ts
 * import type { ValueType } from "./value_type.ts";
 * class Flag {
 *   readonly type = "flag";
 *   constructor(public on = false) {}
 *   encoding() {
 *     return "raw";
 *   }
 *   clone() {
 *     return new Flag(this.on);
 *   }
 * }
 * export const flagType: ValueType<Flag> = {
 *   name: "flag",
 *   rdb: {
 *     name: "flagtype1",
 *     encver: 0,
 *     save: (v, io) => io.saveUnsigned(v.on ? 1 : 0),
 *     load: (io) => new Flag(io.loadUnsigned() === 1),
 *   },
 *   rewrite: (key, v) => v.on ? [["FLAG.ON", key]] : [["FLAG.OFF", key]],
 *   digest(v, md) {
 *     md.addLongLong(v.on ? 1 : 0);
 *     md.endSequence();
 *   },
 *   memoryUsage: () => 32,
 * };
 * ```
 */
export interface ValueType<T extends DataObject = DataObject> {
  /** The type name (`list`): what TYPE reports and typed lookups compare. */
  readonly name: string;
  /** Builds a value from elements in order (lists: head to tail; sets). */
  fromElements?(items: readonly Bytes[]): DataObject;
  /** Builds a hash from (field, value) pairs in order. */
  fromPairs?(pairs: Iterable<[Bytes, Bytes]>): DataObject;
  /** Builds a sorted set from (member, score) pairs (members distinct). */
  fromScored?(items: Iterable<[Bytes, number]>): DataObject;
  /** Rebuilds a stream, node layout included. */
  fromStreamDump?(dump: StreamDump): DataObject;
  /**
   * RDB persistence, as a Redis module type: RDB files, BGSAVE, full
   * resyncs, DUMP/RESTORE and AOF rewrites with an RDB preamble use it.
   */
  readonly rdb?: ModuleTypeRdb<T>;
  /**
   * Commands that rebuild the value at `key` (an AOF rewrite without RDB
   * preamble; Redis's `aof_rewrite`). Without it such a rewrite stores the
   * value as RESTORE of its DUMP payload.
   */
  rewrite?(key: Bytes, value: T): Bytes[][];
  /** Adds the value to DEBUG DIGEST / DEBUG DIGEST-VALUE (Redis's `digest`). */
  digest?(value: T, md: ModuleDigest): void;
  /** Estimated bytes the value holds, for `maxmemory` (Redis's `mem_usage`). */
  memoryUsage?(value: T): number;
  /**
   * Values of this type are not persisted: saves, full resyncs and AOF
   * rewrites leave them out (with a warning), DUMP refuses them.
   */
  readonly volatile?: boolean;
}

/** Redis's own types: the rdb plugin persists them natively. */
export const NATIVE_TYPES: ReadonlySet<string> = new Set([
  "string",
  "list",
  "set",
  "zset",
  "hash",
  "stream",
]);

/**
 * The warning a save or AOF rewrite logs for the keys of volatile types it
 * left out: one line, whatever their number (counts by type name).
 *
 * @example
 * ```ts
 * import { notPersistedWarning } from "./value_type.ts";
 * console.log(notPersistedWarning(new Map([["session", 2]])));
 * // "2 keys of the volatile type 'session' not persisted"
 * ```
 */
export function notPersistedWarning(skipped: ReadonlyMap<string, number>): string {
  let n = 0;
  for (const c of skipped.values()) n += c;
  const names = [...skipped.keys()].map((t) => `'${t}'`).join(", ");
  const types = skipped.size === 1 ? "the volatile type" : "the volatile types";
  return `${n} key${n === 1 ? "" : "s"} of ${types} ${names} not persisted`;
}

/** Redis's `ModuleTypeNameCharSet`, in id order. */
export const MODULE_TYPE_CHARSET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const MODULE_TYPE_NAME = /^[A-Za-z0-9_-]{9}$/;

/** A type that cannot be registered as declared. */
export class ValueTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValueTypeError";
  }
}

/**
 * The registered value types by name (`server.keyspace.types`). Registering
 * checks the declaration: a type that is neither persisted nor volatile,
 * a malformed or duplicate module type name, or a second type under one
 * name is refused with a {@link ValueTypeError}.
 *
 * @example
 * ```ts
 * import { ValueTypes } from "./value_type.ts";
 * const types = new ValueTypes();
 * try {
 *   types.register({ name: "blob" });
 * } catch (e) {
 *   console.log((e as Error).message); // value type 'blob' declares no persistence: ...
 * }
 * ```
 */
export class ValueTypes extends Map<string, ValueType> {
  /**
   * Adds a type after checking it. A native type (list, set, ...) may be
   * registered once more, replacing its builders.
   */
  register(t: ValueType): this {
    return this.set(t.name, t);
  }

  /**
   * Registers a plugin's types (its `types`, or those its `init` returned);
   * an error names the plugin.
   */
  registerAll(types: readonly ValueType[] | undefined, plugin: string): void {
    for (const t of types ?? []) {
      try {
        this.register(t);
      } catch (e) {
        if (e instanceof ValueTypeError) {
          throw new ValueTypeError(`plugin '${plugin}': ${e.message}`);
        }
        throw e;
      }
    }
  }

  /** As {@link ValueTypes.register} (the Map door checks the same). */
  override set(name: string, t: ValueType): this {
    if (name !== t.name) {
      throw new ValueTypeError(`value type '${t.name}' registered under the name '${name}'`);
    }
    if (!NATIVE_TYPES.has(name)) this.#check(t);
    return super.set(name, t);
  }

  /** The type whose RDB module type name is `moduleName`. */
  byModuleName(moduleName: string): ValueType | undefined {
    for (const t of this.values()) if (t.rdb?.name === moduleName) return t;
    return undefined;
  }

  #check(t: ValueType): void {
    const name = t.name;
    if (this.has(name)) throw new ValueTypeError(`value type '${name}' is already registered`);
    if (name === "" || name === "none") {
      throw new ValueTypeError(`'${name}' cannot be the name of a value type`);
    }
    const rdb = t.rdb;
    if (rdb === undefined) {
      if (t.volatile === true) return;
      throw new ValueTypeError(
        `value type '${name}' declares no persistence: give it rdb (a module type name, ` +
          `encver, save and load), or mark it volatile: true if its values need not survive ` +
          `a restart`,
      );
    }
    if (t.volatile === true) {
      throw new ValueTypeError(`value type '${name}' cannot be both volatile and persisted`);
    }
    if (!MODULE_TYPE_NAME.test(rdb.name)) {
      throw new ValueTypeError(
        `value type '${name}': the RDB module type name '${rdb.name}' must be 9 characters ` +
          `of A-Z, a-z, 0-9, '-' and '_'`,
      );
    }
    if (!Number.isInteger(rdb.encver) || rdb.encver < 0 || rdb.encver > 1023) {
      throw new ValueTypeError(
        `value type '${name}': the RDB encoding version must be an integer from 0 to 1023`,
      );
    }
    const other = this.byModuleName(rdb.name);
    if (other !== undefined) {
      throw new ValueTypeError(
        `value type '${name}': the RDB module type name '${rdb.name}' is already used by '${other.name}'`,
      );
    }
  }
}

/**
 * Bytes V8 (64-bit) spends on a flat one-byte string of `len` characters:
 * a 16-byte header plus the bytes, rounded up to 8. The unit a value
 * type's {@link ValueType.memoryUsage} counts its strings in.
 *
 * @example
 * ```ts
 * import { heapStringBytes } from "./value_type.ts";
 * console.log(heapStringBytes(5)); // 24
 * ```
 */
export function heapStringBytes(len: number): number {
  return 16 + ((len + 7) & ~7);
}
