/**
 * Plugin value types in RDB form, as Redis writes a module's data type
 * (`rdbSaveObject` / `rdbLoadObject` for `OBJ_MODULE`, the module API's
 * `RedisModule_Save*` / `RedisModule_Load*`):
 *
 * - the type byte `RDB_TYPE_MODULE_2` (7);
 * - the 64-bit module type id (`moduleTypeEncodeId`: the 9-character type
 *   name, 6 bits a character, then 10 bits of encoding version) as a
 *   length;
 * - the fields the type's `save` writes, each an opcode (a length) then
 *   its data;
 * - the EOF opcode 0.
 *
 * A real Redis without the module refuses the data ("module data I can't
 * load"), and so does Respite for an id no registered type has.
 *
 * @module
 */

import type { Bytes } from "../../core/types.ts";
import type { DataObject, Value } from "../../core/keyspace.ts";
import {
  MODULE_TYPE_CHARSET,
  type ModuleTypeRdb,
  type RdbLoadIO,
  type RdbSaveIO,
  type ValueType,
} from "../../core/value_type.ts";
import type { RdbEncoder } from "./_encode.ts";
import type { RdbDecoder } from "./_decode.ts";

/** `RDB_MODULE_OPCODE_*`: the tag before each field of a module value. */
export const MODULE_OP = {
  EOF: 0,
  SINT: 1,
  UINT: 2,
  FLOAT: 3,
  DOUBLE: 4,
  STRING: 5,
} as const;

/** `RDB_TYPE_MODULE`: a module value without opcodes (Redis 4.0 files). */
const RDB_TYPE_MODULE = 6;

const U64 = 1n << 64n;
const I64_MAX = (1n << 63n) - 1n;

/**
 * Redis's `moduleTypeEncodeId`: the 64-bit id stored before a module value.
 * The name must be 9 characters of the charset (checked at registration).
 *
 * @example
 * ```ts
 * import { moduleTypeId, moduleTypeName } from "./_module.ts";
 * const id = moduleTypeId("counter-1", 3);
 * console.log(moduleTypeName(id), id & 1023n); // "counter-1" 3n
 * ```
 */
export function moduleTypeId(name: string, encver: number): bigint {
  let id = 0n;
  for (let i = 0; i < 9; i++) {
    const pos = MODULE_TYPE_CHARSET.indexOf(name[i] ?? "");
    if (pos < 0) throw new Error(`invalid module type name '${name}'`);
    id = (id << 6n) | BigInt(pos);
  }
  return (id << 10n) | BigInt(encver);
}

/** Redis's `moduleTypeNameByID`: the 9-character name an id encodes. */
export function moduleTypeName(id: bigint): string {
  let name = "";
  let rest = id >> 10n;
  for (let i = 0; i < 9; i++) {
    name = MODULE_TYPE_CHARSET[Number(rest & 63n)] + name;
    rest >>= 6n;
  }
  return name;
}

/**
 * A value the RDB form cannot hold: of a volatile type, or of a type no
 * plugin registered. DUMP answers `ERR <message>`.
 */
export class NotPersistedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotPersistedError";
  }
}

/** The RDB declaration of a value's type, or a {@link NotPersistedError}. */
export function moduleRdbOf(
  v: DataObject,
  types: ReadonlyMap<string, ValueType> | undefined,
): ModuleTypeRdb {
  const t = types?.get(v.type);
  if (t?.rdb !== undefined) return t.rdb;
  if (t?.volatile === true) {
    throw new NotPersistedError(
      `values of the volatile type '${v.type}' are not persisted and cannot be serialized`,
    );
  }
  throw new NotPersistedError(
    `no value type '${v.type}' is registered, so its values cannot be serialized (a plugin ` +
      `declares the types it stores in \`types\`)`,
  );
}

/** True when `v` is of a type registered as volatile. */
export function isVolatile(v: Value, types: ReadonlyMap<string, ValueType>): boolean {
  return typeof v !== "string" && types.get(v.type)?.volatile === true;
}

/** {@link RdbSaveIO} over an encoder: the module API's opcodes, then the data. */
class ModuleSaveIO implements RdbSaveIO {
  constructor(readonly e: RdbEncoder) {}

  saveUnsigned(n: number | bigint): void {
    const v = typeof n === "bigint" ? n : toBig(n, "saveUnsigned");
    if (v < 0n || v >= U64) throw new RangeError(`saveUnsigned: ${n} is not an unsigned 64-bit`);
    this.e.len(MODULE_OP.UINT);
    this.e.len64(v);
  }

  saveSigned(n: number | bigint): void {
    const v = typeof n === "bigint" ? n : toBig(n, "saveSigned");
    if (v > I64_MAX || v < -I64_MAX - 1n) {
      throw new RangeError(`saveSigned: ${n} is not a signed 64-bit integer`);
    }
    // As RedisModule_SaveSigned: the same bits, saved as an unsigned.
    this.e.len(MODULE_OP.UINT);
    this.e.len64(v < 0n ? v + U64 : v);
  }

  saveString(s: Bytes): void {
    this.e.len(MODULE_OP.STRING);
    this.e.string(s);
  }

  saveDouble(d: number): void {
    this.e.len(MODULE_OP.DOUBLE);
    this.e.w.f64le(d);
  }

  saveFloat(f: number): void {
    this.e.len(MODULE_OP.FLOAT);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, f, true);
    this.e.w.bytes(b);
  }
}

function toBig(n: number, fn: string): bigint {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${fn}: ${n} is not a safe integer`);
  return BigInt(n);
}

const OP_NAMES = [
  "the end of the value",
  "a signed integer",
  "an unsigned integer",
  "a float",
  "a double",
  "a string",
];

/**
 * {@link RdbLoadIO} over a decoder. `ver` 2 values carry opcodes, checked
 * on each read; `ver` 1 values (`RDB_TYPE_MODULE`) have none.
 */
class ModuleLoadIO implements RdbLoadIO {
  constructor(readonly d: RdbDecoder, readonly ver: 1 | 2, readonly typeName: string) {}

  fail(message: string, at: number = this.d.r.pos): never {
    return this.d.r.fail(`Module type '${this.typeName}' value: ${message}`, at);
  }

  #expect(op: number): void {
    if (this.ver !== 2) return;
    const at = this.d.r.pos;
    const got = this.d.len();
    if (got !== op) {
      const found = OP_NAMES[got] ?? `unknown opcode ${got}`;
      this.fail(`the load method reads ${OP_NAMES[op]} where the data holds ${found}`, at);
    }
  }

  loadUnsignedBig(): bigint {
    this.#expect(MODULE_OP.UINT);
    return this.d.len64();
  }

  loadUnsigned(): number {
    const at = this.d.r.pos;
    const v = this.loadUnsignedBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${v} does not fit a number`, at);
    return Number(v);
  }

  loadSignedBig(): bigint {
    const u = this.loadUnsignedBig();
    return u > I64_MAX ? u - U64 : u;
  }

  loadSigned(): number {
    const at = this.d.r.pos;
    const v = this.loadSignedBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail(`${v} does not fit a number`, at);
    }
    return Number(v);
  }

  loadString(): Bytes {
    this.#expect(MODULE_OP.STRING);
    return this.d.string();
  }

  loadDouble(): number {
    this.#expect(MODULE_OP.DOUBLE);
    return this.d.r.f64le();
  }

  loadFloat(): number {
    this.#expect(MODULE_OP.FLOAT);
    const b = this.d.r.view(4);
    return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
  }
}

/** A module value's body: type id, the type's fields, EOF (`rdbSaveObject`). */
export function writeModuleValue(e: RdbEncoder, rdb: ModuleTypeRdb, v: DataObject): void {
  e.len64(moduleTypeId(rdb.name, rdb.encver));
  rdb.save(v, new ModuleSaveIO(e));
  e.len(MODULE_OP.EOF);
}

/**
 * Reads a module value's body (after the type byte `rdbType`, 6 or 7) with
 * the registered type its id names.
 */
export function readModuleValue(
  d: RdbDecoder,
  rdbType: number,
  types: ReadonlyMap<string, ValueType>,
): DataObject {
  const r = d.r;
  const at = r.pos;
  const id = d.len64();
  const name = moduleTypeName(id);
  let t: ValueType | undefined;
  for (const x of types.values()) if (x.rdb?.name === name) t = x;
  if (t === undefined || t.rdb === undefined) {
    return r.fail(
      `The RDB file contains module data I can't load: no matching module type '${name}'`,
      at,
    );
  }
  const io = new ModuleLoadIO(d, rdbType === RDB_TYPE_MODULE ? 1 : 2, name);
  let v: DataObject;
  try {
    v = t.rdb.load(io, Number(id & 1023n));
  } catch (e) {
    // The type's own errors (not the reader's, which name their offset).
    if (e instanceof Error && e.name === "RdbError") throw e;
    return io.fail(`the load method failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof v !== "object" || v === null || v.type !== t.name) {
    return io.fail(`the load method did not return a '${t.name}' value`);
  }
  if (io.ver === 2) {
    const eofAt = r.pos;
    if (d.len() !== MODULE_OP.EOF) {
      r.fail(
        `The RDB file contains module data for the module type '${name}' that is not ` +
          `terminated by the proper module value EOF marker`,
        eofAt,
      );
    }
  }
  return v;
}

/**
 * Skips a module value written with the module API's opcodes (module AUX
 * data, which no plugin reads).
 */
export function skipModuleValue(d: RdbDecoder): void {
  const r = d.r;
  for (;;) {
    const op = d.len();
    switch (op) {
      case MODULE_OP.EOF:
        return;
      case MODULE_OP.SINT:
      case MODULE_OP.UINT:
        d.len64();
        break;
      case MODULE_OP.FLOAT:
        r.view(4);
        break;
      case MODULE_OP.DOUBLE:
        r.view(8);
        break;
      case MODULE_OP.STRING:
        d.blob();
        break;
      default:
        r.fail("Unknown module opcode");
    }
  }
}
